// SPDX-License-Identifier: GPL-2.0-or-later
/* geoegress: the subcommand table, --help, help SUB, --version. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buildinfo.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "run", cmd_run, cmd_run_usage, "run the daemon: queue, decide and log new outbound flows" },
	{ "check", cmd_check, cmd_check_usage, "check a policy file (and its database); -v prints it back" },
	{ "explain", cmd_explain, cmd_explain_usage, "show what the policy decides for one flow, and why" },
	{ "lookup", cmd_lookup, cmd_lookup_usage, "look up the country of addresses in the database" },
	{ "report", cmd_report, cmd_report_usage, "summarise decision logs (text, json, csv, html)" },
	{ "stats", cmd_stats, cmd_stats_usage, "show the running daemon's counters" },
	{ "reload", cmd_reload, cmd_reload_usage, "make the running daemon re-read policy and database" },
	{ "unlock", cmd_unlock, cmd_unlock_usage, "lift a gateway held closed (fail-mode closed, no daemon)" },
	{ "flows", cmd_flows, cmd_flows_usage, "list live connections: device, country, decision" },
};
#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static const struct subcommand *find_sub(const char *name)
{
	for (size_t i = 0; i < NSUB; i++)
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	return NULL;
}

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: geoegress <command> [<args>]\n"
		   "       geoegress help <command>\n"
		   "       geoegress --version [--json|-v]\n\n"
		   "geoegress keeps a gateway's outbound flows away from the countries a policy forbids.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NSUB; i++)
		fprintf(f, "  %-8s  %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\nSee geoegress(8) and geoegress.conf(5).\n");
}

int cli_usage_error(const char *sub, const char *fmt, ...)
{
	const struct subcommand *s = find_sub(sub);
	va_list ap;

	fprintf(stderr, "geoegress %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* The synopsis (the "Usage:" line and its indented continuations),
	 * not the whole help: the error stays in sight. */
	if (s) {
		const char *end = s->usage;

		while ((end = strchr(end, '\n')) && end[1] == ' ')
			end++;	/* an indented continuation: one more line */
		fprintf(stderr, "%.*s\n", end ? (int)(end - s->usage) : (int)strlen(s->usage), s->usage);
		fprintf(stderr, "Try 'geoegress %s --help' for more.\n", sub);
	}
	return EXIT_USAGE;
}

int cli_help(const char *sub)
{
	const struct subcommand *s = find_sub(sub);

	if (s)
		fputs(s->usage, stdout);
	return 0;
}

int cli_option_error(const char *sub, int c, char *const argv[], const struct option *longopts)
{
	/* getopt_long leaves optopt the letter of a short option, the val of a
	 * long one that lacks its argument or has one it takes not, and 0 for
	 * a long one unknown or ambiguous.  The word at optind - 1 is the
	 * option's, except for an unknown letter inside a cluster ("-Zv": optind
	 * stays on it, the word before is another option's). */
	const char *a = optind > 1 ? argv[optind - 1] : "";
	const char *w = !strncmp(a, "--", 2) ? a + 2 : NULL;
	int n = w ? (int)strcspn(w, "=") : 0, matches = 0;
	const struct option *named = NULL;	/* the long option w names, when optopt is its val */
	char alts[256] = "";
	size_t used = 0;

	for (const struct option *o = longopts; n && o && o->name; o++) {
		if (strncmp(o->name, w, (size_t)n))
			continue;
		if (optopt && o->val == optopt && (!named || (int)strlen(o->name) == n))
			named = o;
		matches++;
		if (used < sizeof(alts))
			used += (size_t)snprintf(alts + used, sizeof(alts) - used, "%s--%s",
						 used ? ", " : "", o->name);
	}
	if (c == ':')
		return named ? cli_usage_error(sub, "option '--%s' needs an argument", named->name) :
			       cli_usage_error(sub, "option '-%c' needs an argument", optopt);
	if (optopt) {
		if (named && named->has_arg == no_argument && w[n] == '=')
			return cli_usage_error(sub, "option '--%s' takes no argument", named->name);
		return cli_usage_error(sub, "unrecognized option '-%c'", optopt);
	}
	if (matches > 1)
		return cli_usage_error(sub, "option '--%.*s' is ambiguous: %s", n, w, alts);
	return cli_usage_error(sub, "unrecognized option '%.*s'", n ? n + 2 : (int)strlen(a), a);
}

static int cmd_help(int argc, char **argv)
{
	const struct subcommand *s;

	if (argc < 2) {
		show_usage(stdout);
		return 0;
	}
	s = find_sub(argv[1]);
	if (!s) {
		fprintf(stderr, "geoegress: unknown command '%s'; try 'geoegress --help'\n", argv[1]);
		return EXIT_USAGE;
	}
	fputs(s->usage, stdout);
	return 0;
}

/* --version: "geoegress 0.1.0"; -v adds the libraries; --json all as JSON. */
static int show_version(int argc, char **argv)
{
	if (argc == 0) {
		printf("geoegress %s\n", buildinfo_version());
		return 0;
	}
	if (argc == 1 && !strcmp(argv[0], "--json")) {
		buildinfo_json(stdout);
		putchar('\n');
		return 0;
	}
	if (argc == 1 && (!strcmp(argv[0], "-v") || !strcmp(argv[0], "--verbose"))) {
		printf("geoegress %s\n", buildinfo_version());
		buildinfo_text(stdout);
		putchar('\n');
		return 0;
	}
	fprintf(stderr, "geoegress: --version takes --json or -v, not '%s'\n", argv[0]);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const struct subcommand *s;

	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv), 0;
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return show_version(argc - 2, argv + 2);
	if (!strcmp(argv[1], "help"))
		return cmd_help(argc - 1, argv + 1);
	s = find_sub(argv[1]);
	if (!s) {
		fprintf(stderr, "geoegress: unknown command '%s'; try 'geoegress --help'\n", argv[1]);
		return EXIT_USAGE;
	}
	/* `geoegress lookup --help` behaves like `geoegress help lookup`. */
	if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		fputs(s->usage, stdout);
		return 0;
	}
	return s->fn(argc - 1, argv + 1);
}
