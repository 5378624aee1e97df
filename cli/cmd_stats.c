// SPDX-License-Identifier: GPL-2.0-or-later
/* geoegress stats: the running daemon's counters, over the control socket. */
#include "cli/cli.h"

const char cmd_stats_usage[] =
	"Usage: geoegress stats [--ctl PATH] [--state-dir DIR] [--json | --format F]\n"
	"Shows the running daemon's counters: packets by action and country, kernel\n"
	"queue drops, packets that passed undecided, the hook's state and repairs,\n"
	"decision-log records, policy and database ages, the build.  Exits 0 when the\n"
	"daemon answered (i.e. it is ready), 1 when none runs; then it says whether\n"
	"the gateway is held closed (see geoegress unlock) and why.\n"
	"  --format text|json|prometheus\n"
	"                      text (default), JSON (= --json), or the Prometheus text\n"
	"                      exposition format (what option metrics-file writes for\n"
	"                      node_exporter's textfile collector)\n";

int cmd_stats(int argc, char **argv)
{
	static const char *const cmds[] = {
		[CLI_CTL_TEXT] = "stats", [CLI_CTL_JSON] = "stats json", [CLI_CTL_PROMETHEUS] = "stats prometheus",
	};
	struct cli_ctl_args a;
	int rc = cli_ctl_args(argc, argv, "stats", 1, &a);

	if (rc)
		return rc < 0 ? 0 : rc;
	return cli_ctl_command("stats", &a, cmds[a.format]);
}
