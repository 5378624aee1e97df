// SPDX-License-Identifier: GPL-2.0-or-later
/* geoegress run: the daemon. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "nfq/nfq.h"

const char cmd_run_usage[] =
	"Usage: geoegress run [-c FILE] [-f|--foreground] [--no-hook] [--ctl PATH]\n"
	"                     [--pidfile PATH] [--user NAME] [--hook-backend auto|nft|iptables]\n"
	"                     [--state-dir DIR] [--fail-mode open|closed] [--seccomp on|off] [-v]\n"
	"Runs the daemon: binds the netfilter queue(s) of the policy, installs the\n"
	"firewall hook, and decides the first packet of every new outbound flow.\n"
	"  -c, --config FILE   policy file (default " GEOEGRESS_DEFAULT_CONF ")\n"
	"  -f, --foreground    log to stderr instead of syslog (it never forks either way)\n"
	"      --no-hook       install no firewall rules; the admin's ruleset queues packets\n"
	"      --hook-backend auto|nft|iptables\n"
	"                      where the queue rule lives: nft's own `queue` (kernels with\n"
	"                      CONFIG_NFT_QUEUE) or iptables-nft NFQUEUE; auto probes (default)\n"
	"      --state-dir DIR where the state file is kept (default /var/lib/geoegress):\n"
	"                      the fail mode of the last policy that loaded, the held state\n"
	"      --fail-mode open|closed\n"
	"                      the fail mode when the policy cannot be read and no state file\n"
	"                      says (default open)\n"
	"      --ctl PATH      control socket (default " NFQ_DEFAULT_CTL ")\n"
	"      --pidfile PATH  write the process id to PATH\n"
	"      --user NAME     once set up, run as NAME keeping only CAP_NET_ADMIN (the\n"
	"                      policy and database must be readable by NAME)\n"
	"      --seccomp on|off\n"
	"                      once set up, allow only the system calls the daemon needs\n"
	"                      (default on); a call outside the list is named on stderr\n"
	"                      and the daemon dies of SIGSYS\n"
	"  -v, --verbose       debug logging\n"
	"Signals: HUP reloads policy and database, USR1 reopens the decision log,\n"
	"TERM/INT stop: the hook is removed (fail-mode open) or held closed (closed).\n";

enum { OPT_NO_HOOK = 256, OPT_CTL, OPT_PIDFILE, OPT_USER, OPT_BACKEND, OPT_STATE_DIR, OPT_FAIL_MODE,
       OPT_SECCOMP };

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-hook", no_argument, NULL, OPT_NO_HOOK },
		{ "ctl", required_argument, NULL, OPT_CTL },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "user", required_argument, NULL, OPT_USER },
		{ "hook-backend", required_argument, NULL, OPT_BACKEND },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "fail-mode", required_argument, NULL, OPT_FAIL_MODE },
		{ "seccomp", required_argument, NULL, OPT_SECCOMP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nfq_opts o = { .conf = GEOEGRESS_DEFAULT_CONF, .ctl_path = NFQ_DEFAULT_CTL };
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:fvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help("run");
		case 'c': o.conf = optarg; break;
		case 'f': o.foreground = 1; break;
		case 'v': o.verbose++; break;
		case OPT_NO_HOOK: o.no_hook = 1; break;
		case OPT_CTL: o.ctl_path = optarg; break;
		case OPT_PIDFILE: o.pidfile = optarg; break;
		case OPT_USER: o.user = optarg; break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "auto"))
				o.backend = NFQ_BACKEND_AUTO;
			else if (!strcmp(optarg, "nft"))
				o.backend = NFQ_BACKEND_NFT;
			else if (!strcmp(optarg, "iptables"))
				o.backend = NFQ_BACKEND_IPTABLES;
			else
				return cli_usage_error("run", "--hook-backend: '%s' is not auto, nft or iptables", optarg);
			break;
		case OPT_STATE_DIR: o.state_dir = optarg; break;
		case OPT_FAIL_MODE:
			if (strcmp(optarg, "open") && strcmp(optarg, "closed"))
				return cli_usage_error("run", "--fail-mode: '%s' is not open or closed", optarg);
			o.fail_closed = !strcmp(optarg, "closed");
			break;
		case OPT_SECCOMP:
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return cli_usage_error("run", "--seccomp: '%s' is not on or off", optarg);
			o.no_seccomp = !strcmp(optarg, "off");
			break;
		default: return cli_option_error("run", c, argv, longopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
	return nfq_run(&o);
}
