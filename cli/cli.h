/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The geoegress command line: one binary, subcommands (ip/nft/wg style).
 * Each cmd_* gets argv with argv[0] = the subcommand name and returns the
 * exit code: 0 ok, 1 error, 2 usage. */
#ifndef GEOEGRESS_CLI_H
#define GEOEGRESS_CLI_H

#include <stdint.h>
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
int cmd_flows(int argc, char **argv);

/* Usage text of each subcommand ("Usage: geoegress lookup [...]\n..."). */
extern const char cmd_run_usage[], cmd_check_usage[], cmd_explain_usage[],
	cmd_lookup_usage[], cmd_report_usage[], cmd_stats_usage[], cmd_reload_usage[],
	cmd_unlock_usage[], cmd_flows_usage[];

/* Prints "geoegress SUB: usage error: MSG" and the subcommand's usage to
 * stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- common.c: helpers the subcommands share ---- */
struct rules_policy;
struct geo_db;

/* Parses the policy file, printing every diagnostic (file:line:col) to
 * stderr.  Returns NULL when it has errors. */
struct rules_policy *cli_load_policy(const char *file);
/* Opens a database; on failure prints "geoegress SUB: database: MSG" and
 * returns NULL. */
struct geo_db *cli_open_db(const char *sub, const char *path);
/* Opens the policy's AS database (option asn-database) into *out, NULL
 * when it names none.  Returns 0, or -1 after printing
 * "geoegress SUB: AS database: MSG". */
int cli_open_asn_db(const char *sub, const struct rules_policy *p, struct geo_db **out);
/* Fits s (ASCII) into width columns: a longer s is cut and its last
 * column shows '~'.  buf has room for width + 1 bytes.  Returns buf. */
char *cli_fit(char *buf, size_t width, const char *s);
/* The same, cutting the middle ("2001:db8:86~::10"), for addresses: the
 * prefix and the host part both tell. */
char *cli_fit_mid(char *buf, size_t width, const char *s);
/* 999 → "999", 1536 → "1.5K", 123456789 → "118M" (powers of 1024; at
 * most 5 columns).  Returns buf. */
char *cli_human_bytes(char buf[8], uint64_t n);
/* Seconds → "45s", "12m", "3h", "9d" (rounded down; at most 5 columns). */
char *cli_human_age(char buf[8], uint64_t seconds);

/* ---- ctl.c: the control-socket client of stats and reload ---- */
enum cli_ctl_format { CLI_CTL_TEXT, CLI_CTL_JSON, CLI_CTL_PROMETHEUS };
struct cli_ctl_args {
	const char *ctl;	/* control socket (default NFQ_DEFAULT_CTL) */
	const char *state_dir;	/* NULL: the default */
	int format;		/* enum cli_ctl_format: --json, --format */
};
/* Reads --ctl, --state-dir and (allow_format) --json/--format for
 * subcommand sub.  Returns 0, or EXIT_USAGE after printing the usage
 * error (--json/--format without allow_format are usage errors). */
int cli_ctl_args(int argc, char **argv, const char *sub, int allow_format, struct cli_ctl_args *a);
/* Sends cmd to the daemon and prints its reply (stdout, or stderr when it
 * refused); when none answers, says why and whether the gateway is held
 * closed.  Returns the exit code: 0, or 1. */
int cli_ctl_command(const char *sub, const struct cli_ctl_args *a, const char *cmd);

#endif
