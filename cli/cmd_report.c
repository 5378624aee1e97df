// SPDX-License-Identifier: GPL-2.0-or-later
/* geoegress report: summarise decision logs (report/report.h does the work). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "report/report.h"
#include "rules/rules.h"

const char cmd_report_usage[] =
	"Usage: geoegress report [-c POLICY] [FILE...|-] [options]\n"
	"\n"
	"Summarises decision logs (JSON Lines, doc/log-format.md): time span, totals\n"
	"by action, and the top devices, countries and destinations with flows,\n"
	"blocked, allowed, first and last seen; when the log has them, the hosts\n"
	"(names the devices' DNS answers gave), their registered domains and the\n"
	"autonomous systems.  Folded records count as `count` flows; unknown fields\n"
	"are ignored; bad lines are counted and listed.\n"
	"\n"
	"Input:\n"
	"  FILE...            logs to read, plain or gzip (detected); - is stdin.\n"
	"                     Default: the policy's `option log-file` together with\n"
	"                     its rotated files (FILE.N, FILE.N.gz, oldest first)\n"
	"  -c, --config POLICY  policy to take the log file from\n"
	"                     (default " GEOEGRESS_DEFAULT_CONF ", if it exists;\n"
	"                     else " GEOEGRESS_DEFAULT_LOG ")\n"
	"  -r, --rotated      also read the rotated files of each FILE given\n"
	"\n"
	"Filters:\n"
	"  --since T, --until T  records with since <= ts < until; T is RFC 3339\n"
	"                     (2026-11-27T07:00:00Z, 2026-11-27) or an age before\n"
	"                     now: 30s, 30m, 24h, 7d, 2w\n"
	"  --now T            the time ages count back from (default: now)\n"
	"  --device D         device set name, source address or MAC\n"
	"  --country CC       destination country; `unknown` for unplaced ones\n"
	"  --gateway NAME     records of one gateway (their `gateway` field)\n"
	"  --action A[,A...]  allow, block, reject, log, audit (would-be blocks of\n"
	"                     `mode audit`, not enforced), or blocked (block,reject)\n"
	"\n"
	"Output:\n"
	"  --format F         text (default), json, csv or html\n"
	"  --top N            rows per table (default 10 for text/html, all for\n"
	"                     json/csv; 0 = all)\n"
	"  --table T          csv only: gateways, devices, countries, destinations,\n"
	"                     timeline, hosts, domains or asns alone; without it every\n"
	"                     table is printed, separated by an empty line, each row\n"
	"                     led by a `table` column (gateways, devices, countries,\n"
	"                     destinations, timeline-hour or timeline-day; hosts,\n"
	"                     domains, asns when the log has them)\n"
	"  --psl FILE         the Public Suffix List, for registered domains (default\n"
	"                     " REPORT_PSL_DEFAULT ", Debian's\n"
	"                     publicsuffix; none or missing: the last two labels)\n"
	"  --width N          text width in columns (default 80)\n"
	"  -o, --output OUT   write to OUT instead of stdout (html: one\n"
	"                     self-contained file, no scripts, no external fetches)\n"
	"\n"
	"BLOCKED counts block + reject, ALLOWED allow + log; AUDIT counts would-be\n"
	"blocks that passed.  Devices and destinations that hit block rules come\n"
	"first.  The logs of several gateways can be read together: a device is\n"
	"one per gateway, and text and html add a table of gateways (json and csv\n"
	"always have it).  The log of one gateway reads as before.  The timeline\n"
	"(json, csv, html) counts blocked flows per hour, or per day when the span\n"
	"exceeds 3 days (the newest 2000 at most).  Times UTC.\n"
	"Exit status: 0, or 1 when a file could not be read (the others are still\n"
	"reported), 2 for a usage error.\n";

struct args {
	const char *policy, *out, *now, *psl;
	int rotated;
	struct report_filter f;
	struct report_output o;
	int top_set;
	const char *since, *until;
};

static int parse_actions(const char *s, unsigned *cats)
{
	char buf[128], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c;

		if (!strcmp(tok, "blocked")) {
			*cats |= 1u << REPORT_BLOCK | 1u << REPORT_REJECT;
			continue;
		}
		for (c = 0; c < REPORT_NCAT && strcmp(tok, report_cat_name(c)); c++)
			;
		if (c == REPORT_NCAT)
			return -1;
		*cats |= 1u << c;
	}
	return *cats ? 0 : -1;
}

static int parse_format(const char *s, struct report_output *o)
{
	static const char *const names[] = { "text", "json", "csv", "html" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return o->format = (enum report_format)i, 0;
	return -1;
}

static int parse_table(const char *s, struct report_output *o)
{
	static const char *const names[] = { "all", "devices", "countries", "destinations", "timeline",
					     "hosts", "domains", "asns", "gateways" };

	for (int i = 0; i < 9; i++)
		if (!strcmp(s, names[i]))
			return o->table = (enum report_table)i, 0;
	return -1;
}

static int parse_uint(const char *s, unsigned max, unsigned *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (!*s || *end || errno || n > max || *s == '-')
		return -1;
	*v = (unsigned)n;
	return 0;
}

static int now_ms(const char *now, int64_t *ms)
{
	struct timespec ts;

	if (now)
		return report_parse_rfc3339(now, strlen(now), ms);
	clock_gettime(CLOCK_REALTIME, &ts);
	*ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

/* --since/--until, after every option is known (--now may come later). */
static int parse_window(struct args *a)
{
	int64_t now;

	if (now_ms(a->now, &now) < 0)
		return cli_usage_error("report", "--now: '%s' is not an RFC 3339 time", a->now);
	if (a->since && report_parse_time(a->since, now, &a->f.since_ms) < 0)
		return cli_usage_error("report", "--since: '%s' is not a time (RFC 3339, or 30m, 24h, 7d, 2w)", a->since);
	if (a->until && report_parse_time(a->until, now, &a->f.until_ms) < 0)
		return cli_usage_error("report", "--until: '%s' is not a time (RFC 3339, or 30m, 24h, 7d, 2w)", a->until);
	if (a->f.since_ms >= a->f.until_ms)
		return cli_usage_error("report", "--since must be earlier than --until");
	return 0;
}

enum { O_SINCE = 256, O_UNTIL, O_NOW, O_DEVICE, O_COUNTRY, O_ACTION, O_FORMAT, O_TOP, O_TABLE, O_WIDTH,
       O_PSL, O_GATEWAY };

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "rotated", no_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
	{ "since", required_argument, NULL, O_SINCE },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "now", required_argument, NULL, O_NOW },
	{ "device", required_argument, NULL, O_DEVICE },
	{ "country", required_argument, NULL, O_COUNTRY },
	{ "action", required_argument, NULL, O_ACTION },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "top", required_argument, NULL, O_TOP },
	{ "table", required_argument, NULL, O_TABLE },
	{ "width", required_argument, NULL, O_WIDTH },
	{ "psl", required_argument, NULL, O_PSL },
	{ "gateway", required_argument, NULL, O_GATEWAY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int one_option(struct args *a, int opt)
{
	unsigned n;

	switch (opt) {
	case 'c': a->policy = optarg; return 0;
	case 'r': a->rotated = 1; return 0;
	case 'o': a->out = optarg; return 0;
	case O_SINCE: a->since = optarg; return 0;
	case O_UNTIL: a->until = optarg; return 0;
	case O_NOW: a->now = optarg; return 0;
	case O_PSL: a->psl = optarg; return 0;
	case O_DEVICE: a->f.device = optarg; return 0;
	case O_COUNTRY:
		if (cli_country_arg(optarg, NULL) < 0)
			return cli_usage_error("report", CLI_COUNTRY_ERR, optarg);
		a->f.country = optarg;
		return 0;
	case O_GATEWAY: a->f.gateway = optarg; return 0;
	case O_ACTION:
		if (parse_actions(optarg, &a->f.cats) < 0)
			return cli_usage_error("report", "--action: '%s': use allow, block, reject, log, audit or blocked", optarg);
		return 0;
	case O_FORMAT:
		if (parse_format(optarg, &a->o) < 0)
			return cli_usage_error("report", "--format: '%s': use text, json, csv or html", optarg);
		return 0;
	case O_TABLE:
		if (parse_table(optarg, &a->o) < 0)
			return cli_usage_error("report", "--table: '%s': use gateways, devices, countries, "
					       "destinations, timeline, hosts, domains or asns", optarg);
		return 0;
	case O_TOP:
		if (parse_uint(optarg, 1000000, &n) < 0)
			return cli_usage_error("report", "--top: '%s' is not a number of rows", optarg);
		a->o.top = n, a->top_set = 1;
		return 0;
	case O_WIDTH:
		if (parse_uint(optarg, 1000, &n) < 0 || n < 40)
			return cli_usage_error("report", "--width: '%s': give a number of columns, at least 40", optarg);
		a->o.width = (int)n;
		return 0;
	default:
		return cli_usage_error("report", "unknown option");
	}
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int opt, rc;

	memset(a, 0, sizeof(*a));
	report_filter_init(&a->f);
	a->o.width = 80;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:ro:h", longopts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return cli_option_error("report", opt, argv, longopts);
		if (opt == 'h') {
			cli_help("report");
			return -1;	/* done: the caller exits 0 */
		}
		if ((rc = one_option(a, opt)) != 0)
			return rc;
	}
	if (a->o.table && a->o.format != REPORT_CSV)
		return cli_usage_error("report", "--table goes with --format csv");
	if (!a->top_set)
		a->o.top = a->o.format == REPORT_JSON || a->o.format == REPORT_CSV ? 0 : 10;
	return parse_window(a);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void read_one(struct report *rep, const char *path, int *failed)
{
	char err[512];

	if (report_read(rep, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "geoegress report: %s\n", err);
		*failed = 1;
	}
}

/* path's rotated files, oldest first (FILE.N[.gz] ... FILE.1[.gz]), then
 * path itself, each read into rep. */
static void read_rotated(struct report *rep, const char *path, int *failed)
{
	char name[4096];
	int last = 0;

	for (int n = 1; n < 1000; n++) {
		snprintf(name, sizeof(name), "%s.%d", path, n);
		if (!exists(name)) {
			snprintf(name, sizeof(name), "%s.%d.gz", path, n);
			if (!exists(name))
				break;
		}
		last = n;
	}
	for (int n = last; n >= 1; n--) {
		snprintf(name, sizeof(name), "%s.%d", path, n);
		if (!exists(name))
			snprintf(name, sizeof(name), "%s.%d.gz", path, n);
		read_one(rep, name, failed);
	}
	if (last && !exists(path))
		return;	/* rotated away, not yet written again */
	read_one(rep, path, failed);
}

/* The log the policy names.  Returns 0, or 1 after printing why not. */
static int policy_log(const char *policy, char *buf, size_t len)
{
	struct rules_errors errs = { 0 };
	struct rules_policy *p;
	const char *log;

	if (!policy && !exists(GEOEGRESS_DEFAULT_CONF)) {
		snprintf(buf, len, "%s", GEOEGRESS_DEFAULT_LOG);
		return 0;
	}
	if (!policy)
		policy = GEOEGRESS_DEFAULT_CONF;
	p = rules_parse_file(policy, &errs);
	for (size_t i = 0; i < errs.count; i++)
		if (!p || errs.diags[i].severity == RULES_ERROR)
			fprintf(stderr, "%s\n", errs.diags[i].text);
	rules_errors_free(&errs);
	if (!p) {
		fprintf(stderr, "geoegress report: cannot take the log file from policy %s\n", policy);
		return 1;
	}
	log = rules_options(p)->log_file;
	if (!log || !*log) {
		fprintf(stderr, "geoegress report: policy %s logs nowhere (option log-file none); name a FILE\n", policy);
		rules_free(p);
		return 1;
	}
	snprintf(buf, len, "%s", log);
	rules_free(p);
	return 0;
}

static int read_inputs(struct report *rep, const struct args *a, int nfiles, char **files)
{
	char deflog[4096];
	int failed = 0;

	if (nfiles == 0) {
		if (policy_log(a->policy, deflog, sizeof(deflog)))
			return 1;
		read_rotated(rep, deflog, &failed);
		if (failed)
			fprintf(stderr, "geoegress report: (no FILE given, so the policy's log-file was read; "
				"name FILE... or -c POLICY)\n");
		return failed;
	}
	for (int i = 0; i < nfiles; i++) {
		if (a->rotated && strcmp(files[i], "-"))
			read_rotated(rep, files[i], &failed);
		else
			read_one(rep, files[i], &failed);
	}
	return failed;
}

static int write_out(struct report *rep, const struct args *a)
{
	FILE *out = stdout;
	int rc;

	if (a->out && strcmp(a->out, "-") && !(out = fopen(a->out, "w"))) {
		fprintf(stderr, "geoegress report: %s: %s\n", a->out, strerror(errno));
		return 1;
	}
	rc = report_write(rep, out, &a->o);
	if (rc < 0)
		fprintf(stderr, "geoegress report: writing %s: %s\n", a->out ? a->out : "stdout", strerror(errno));
	if (out != stdout && fclose(out) != 0 && rc == 0) {
		fprintf(stderr, "geoegress report: %s: %s\n", a->out, strerror(errno));
		rc = -1;
	}
	return rc < 0;
}

/* The Public Suffix List: --psl FILE (an error when it cannot be read),
 * else the default when it is there, else none. */
static int open_psl(const struct args *a, struct report_psl **psl)
{
	const char *path = a->psl ? a->psl : REPORT_PSL_DEFAULT;

	*psl = NULL;
	if (a->psl && !strcmp(a->psl, "none"))
		return 0;
	if (!a->psl && !exists(path))
		return 0;
	*psl = report_psl_open(path);
	if (!*psl && a->psl) {
		fprintf(stderr, "geoegress report: --psl %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_psl *psl;
	struct report *rep;
	struct args a;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc < 0 ? 0 : rc;	/* -1: --help */
	if (open_psl(&a, &psl))
		return 1;
	rep = report_new(&a.f);
	if (!rep) {
		fprintf(stderr, "geoegress report: out of memory\n");
		report_psl_free(psl);
		return 1;
	}
	report_set_psl(rep, psl);
	rc = read_inputs(rep, &a, argc - optind, argv + optind);
	if (rc == 0 || (argc - optind) > 0)
		rc |= write_out(rep, &a);
	report_free(rep);
	report_psl_free(psl);
	return rc ? 1 : 0;
}
