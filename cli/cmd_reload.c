// SPDX-License-Identifier: GPL-2.0-or-later
/* geoegress reload: makes the running daemon re-read policy and database. */
#include "cli/cli.h"

const char cmd_reload_usage[] =
	"Usage: geoegress reload [--ctl PATH] [--state-dir DIR]\n"
	"Makes the running daemon re-read its policy and database and reopen its\n"
	"decision log.  Exits 0 when the new ones are in force; 1 with the errors when\n"
	"they were rejected (the running policy and database stay in force).\n";

int cmd_reload(int argc, char **argv)
{
	struct cli_ctl_args a;
	int rc = cli_ctl_args(argc, argv, "reload", 0, &a);

	if (rc)
		return rc < 0 ? 0 : rc;
	return cli_ctl_command("reload", &a, "reload");
}
