/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The geoegress command line: one binary, subcommands (ip/nft/wg style).
 * Each cmd_* gets argv with argv[0] = the subcommand name and returns the
 * exit code: 0 ok, 1 error, 2 usage. */
#ifndef GEOEGRESS_CLI_H
#define GEOEGRESS_CLI_H

#include <stdio.h>

#define EXIT_USAGE 2

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_unlock(int argc, char **argv);

/* Usage text of each subcommand ("Usage: geoegress lookup [...]\n..."). */
extern const char cmd_run_usage[], cmd_check_usage[], cmd_explain_usage[],
	cmd_lookup_usage[], cmd_report_usage[], cmd_stats_usage[], cmd_reload_usage[],
	cmd_unlock_usage[];

/* Prints "geoegress SUB: usage error: MSG" and the subcommand's usage to
 * stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
