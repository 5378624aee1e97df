// SPDX-License-Identifier: GPL-2.0-or-later
/* geoegress unlock: lift a held-closed gateway (fail-mode closed, no daemon). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "nfq/nfq.h"

const char cmd_unlock_usage[] =
	"Usage: geoegress unlock [--ctl PATH] [--state-dir DIR]\n"
	"With fail-mode closed, while no daemon decides (the policy or database is\n"
	"broken, the queue is taken, the daemon was stopped), the gateway is held\n"
	"closed: new connections are dropped, decided ones go on.  unlock removes\n"
	"geoegress's rules, so new connections pass without policy, and keeps a\n"
	"failing start from holding the gateway again until geoegress has started\n"
	"with a good policy once.  It refuses while a daemon answers on the control\n"
	"socket.  Exits 0 when lifted (or nothing was held), 1 otherwise.\n"
	"  --ctl PATH       control socket (default " NFQ_DEFAULT_CTL ")\n"
	"  --state-dir DIR  where the state file is (default /var/lib/geoegress)\n";

enum { OPT_CTL = 256, OPT_STATE_DIR };

int cmd_unlock(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ctl", required_argument, NULL, OPT_CTL },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ctl = NFQ_DEFAULT_CTL, *state_dir = NULL;
	char err[512];
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help("unlock");
		case OPT_CTL: ctl = optarg; break;
		case OPT_STATE_DIR: state_dir = optarg; break;
		default: return cli_option_error("unlock", c, argv, longopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("unlock", "unexpected argument '%s'", argv[optind]);
	rc = nfq_unlock(ctl, state_dir, stdout, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "geoegress unlock: %s\n", err);
		return 1;
	}
	return 0;
}
