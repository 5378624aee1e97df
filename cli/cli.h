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

/* Prints "geoegress SUB: MSG", the subcommand's synopsis and where its
 * help is to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the subcommand's usage to stdout (its --help); returns 0. */
int cli_help(const char *sub);
struct option;
/* For getopt_long's '?' and ':' (c), with opterr = 0 and an optstring
 * that begins with ':' (after any '+'): says which option and what is
 * wrong with it (needs an argument, takes none, unrecognized, ambiguous
 * among longopts), then the usage, like cli_usage_error.  Reads optind
 * and optopt as getopt_long left them.  Returns EXIT_USAGE. */
int cli_option_error(const char *sub, int c, char *const argv[], const struct option *longopts);

/* ---- common.c: helpers the subcommands share ---- */
struct rules_policy;
struct geo_db;

/* A --country argument: two letters in any case (ISO 3166-1 alpha-2, as
 * the log and conntrack marks carry them; EU and other non-country codes
 * too), or "unknown" / "--" for destinations without one.  Sets *cc (a
 * geo_cc; may be NULL; GEO_CC_UNKNOWN for unknown) and returns 0, or -1:
 * then say CLI_COUNTRY_ERR (its %s: the argument) as a usage error. */
int cli_country_arg(const char *s, uint16_t *cc);
#define CLI_COUNTRY_ERR "--country: '%s' is not a two-letter code (ISO 3166-1 alpha-2, as in the log: CN, SG) or unknown"

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
 * subcommand sub.  Returns 0, EXIT_USAGE after printing the usage error
 * (--json/--format without allow_format are usage errors), or -1 after
 * printing the usage for --help (the caller exits 0). */
int cli_ctl_args(int argc, char **argv, const char *sub, int allow_format, struct cli_ctl_args *a);
/* Sends cmd to the daemon and prints its reply (stdout, or stderr when it
 * refused); when none answers, says why and whether the gateway is held
 * closed.  Returns the exit code: 0, or 1. */
int cli_ctl_command(const char *sub, const struct cli_ctl_args *a, const char *cmd);

#endif
