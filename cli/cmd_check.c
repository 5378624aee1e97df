// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * geoegress check: parse a policy, report every error, summarise it and
 * open the database it names.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "geo/geo.h"
#include "nfq/nfq.h"
#include "rules/rules.h"

#define OLD_DB_DAYS 90

const char cmd_check_usage[] =
	"Usage: geoegress check [-c FILE] [-v] [--db FILE | --no-db] [--print-hook[=nft|iptables]]\n"
	"                       [--resolv-conf FILE] [--state-dir DIR]\n"
	"\n"
	"Checks a policy file: prints every error (file:line:col, the line, a caret)\n"
	"and warning, or \"policy OK\" with a summary; then opens the database the\n"
	"policy names and reports its type, age and size.\n"
	"\n"
	"  -c, --config FILE  policy file (default " GEOEGRESS_DEFAULT_CONF "; - for stdin)\n"
	"  -v, --verbose      print the policy in canonical form to stdout (the\n"
	"                     summary lines then go to stderr, so the output can be\n"
	"                     fed back: geoegress check -v | geoegress check -c -)\n"
	"  -d, --db FILE      database to check the policy with (default: the policy's\n"
	"                     option database), as explain and lookup take it\n"
	"  -n, --no-db        do not open the database\n"
	"      --print-hook[=nft|iptables]\n"
	"                     print the rules geoegress installs for this policy (for\n"
	"                     `run --no-hook`): the nft table, and with iptables the\n"
	"                     queue rules for kernels without nft's `queue` (default nft)\n"
	"      --resolv-conf FILE\n"
	"                     with `option hooks output`: the gateway's resolvers, which\n"
	"                     check warns about when the policy would block them\n"
	"                     (default /etc/resolv.conf)\n"
	"      --state-dir DIR  when the gateway is held closed (fail-mode closed, no\n"
	"                     daemon deciding), check says so and why; the state file\n"
	"                     is in DIR (default /var/lib/geoegress)\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 policy (and database) OK, 1 errors, 2 usage.\n";

/* Whether names are learned from DNS answers, and what tests them. */
static void names_report(const struct rules_policy *p, FILE *out)
{
	const struct rules_options *o = rules_options(p);
	unsigned host_rules, asn_rules;

	rules_dest_tests(p, &host_rules, &asn_rules);
	if (!o->learn_names)
		return;
	fprintf(out, "names: learned from DNS answers (NFLOG group %u; TTL %u-%u s; %u entries); %u rule%s "
		"test%s them\n", o->names_group, o->names_ttl_min, o->names_ttl_max, o->names_max, host_rules,
		host_rules == 1 ? "" : "s", host_rules == 1 ? "s" : "");
}

static void db_report(const struct geo_db *db, FILE *out)
{
	struct geo_info gi;
	char date[32] = "?";
	struct tm tm;
	time_t now = time(NULL);
	long days;

	geo_info(db, &gi);
	if (gmtime_r(&gi.build_epoch, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	days = gi.build_epoch && now > gi.build_epoch ? (long)((now - gi.build_epoch) / 86400) : 0;
	fprintf(out, "database OK: %s: %s, built %s (%ld day%s old), IPv%d, %llu ranges, schema %s\n",
		gi.path, gi.database_type, date, days, days == 1 ? "" : "s", gi.ip_version,
		(unsigned long long)(gi.ranges_v4 + gi.ranges_v6), geo_schema_name(gi.schema));
	if (days > OLD_DB_DAYS)
		fprintf(stderr, "geoegress check: warning: %s is %ld days old; country assignments "
				"change, rebuild it (" GEOEGRESS_SHAREDIR "/geodb-build) or download a fresh copy\n", gi.path, days);
}

/* ---- the gateway's own traffic (option hooks output) ---- */

/* What the policy does with the gateway's own flow to dst (cc: the
 * country to assume when dst is NULL).  1 when it stops it. */
static int own_flow_stopped(const struct rules_policy *p, const struct geo_db *db, const char *dst,
			    geo_cc cc, uint8_t proto, uint16_t port, struct rules_verdict *v)
{
	struct rules_flow f = { 0 };
	struct geo_answer a = { 0 };

	if (dst) {
		if (rules_flow_set_addr(&f, 'd', dst) < 0)
			return 0;
		if (geo_lookup(db, f.family, f.dst.b, &a) < 0)
			memset(&a, 0, sizeof(a));
	} else {
		f.family = AF_INET;
		a.located = cc;
		a.found = cc != GEO_CC_UNKNOWN;
	}
	f.proto = proto;
	f.has_ports = 1;
	f.dport = port;
	f.sport = 49152;
	rules_eval(p, &f, &a, v);
	return !v->audit && (v->action == RULES_BLOCK || v->action == RULES_REJECT);
}

/* Warns about resolvers (udp/53) the policy would block.  Loopback ones
 * are exempt in the hook (a local resolver's upstreams are its own). */
static void check_resolvers(const struct rules_policy *p, const struct geo_db *db, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512], addr[128];
	struct rules_verdict v;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " nameserver %127s", addr) != 1 || !strncmp(addr, "127.", 4) ||
		    !strcmp(addr, "::1"))
			continue;
		if (own_flow_stopped(p, db, addr, GEO_CC_UNKNOWN, 17, 53, &v))
			fprintf(stderr, "geoegress check: warning: option hooks output: the gateway's "
				"resolver %s (%s) would be %sed by line %d; allow it, e.g. "
				"`allow to %s proto { udp, tcp } port 53` before that rule\n", addr, path,
				v.action == RULES_BLOCK ? "block" : "reject", v.line, addr);
	}
	fclose(f);
}

/* NTP servers are names (pool.ntp.org): say where udp/123 is stopped. */
static void check_ntp(const struct rules_policy *p, const struct geo_db *db)
{
	char list[512] = "", cc[3];
	struct rules_verdict v;
	size_t used = 0;
	int n = 0;

	if (own_flow_stopped(p, db, NULL, GEO_CC_UNKNOWN, 17, 123, &v))
		used += (size_t)snprintf(list, sizeof(list), "unknown destinations (line %d)", v.line);
	for (unsigned i = 0; i < GEO_CC_SLOTS; i++) {
		geo_cc c = geo_cc_of_index(i);

		if (!geo_country_name(c) || !own_flow_stopped(p, db, NULL, c, 17, 123, &v))
			continue;
		if (n++ < 12 && used < sizeof(list) - 8)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 used ? ", " : "", geo_cc_str(c, cc));
	}
	if (!used)
		return;
	fprintf(stderr, "geoegress check: warning: option hooks output: the gateway's own NTP "
		"(udp/123) would be stopped to %s%s; if its time servers resolve there, time "
		"sync fails: allow them by address, or `allow proto udp port 123` for the gateway\n",
		list, n > 12 ? " and more" : "");
}

static void check_own_traffic(const struct rules_policy *p, const struct geo_db *db, const char *resolv)
{
	check_resolvers(p, db, resolv);
	check_ntp(p, db);
}

/* Codes that are not countries (geo.h): how many ranges carry them, and
 * what this policy does with them (they are unknown destinations). */
static void noncountry_report(const struct rules_policy *p, const struct geo_db *db, FILE *out)
{
	static uint64_t counts[GEO_CC_SLOTS];
	struct rules_unknown_info u;
	char cc[3];
	uint64_t n;
	int shown = 0;

	memset(counts, 0, sizeof(counts));
	n = geo_count_noncountry(db, rules_options(p)->field, counts);
	if (n == 0)
		return;
	fprintf(out, "codes that are not countries: %llu range%s (", (unsigned long long)n, n == 1 ? "" : "s");
	for (;;) {	/* by count, largest first */
		size_t best = 0;

		for (size_t i = 1; i < GEO_CC_SLOTS; i++)
			if (counts[i] > counts[best])
				best = i;
		if (!counts[best])
			break;
		fprintf(out, "%s%s %llu", shown++ ? ", " : "", geo_cc_str(geo_cc_of_index(best), cc),
			(unsigned long long)counts[best]);
		counts[best] = 0;
	}
	rules_unknown_info(p, &u);
	fprintf(out, ") count as unknown destinations\n  under this policy: no country test matches them");
	if (u.nrules)
		fprintf(out, "; 'to unknown' does (%d rule%s, first on line %d)", u.nrules,
			u.nrules == 1 ? "" : "s", u.first_rule);
	fprintf(out, "; if no rule matches: %s %s%s (line %d)\n", u.from_option ? "option unknown" : "default",
		rules_action_name(u.action), u.log ? " log" : "", u.line);
}

int cmd_check(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "no-db", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ "print-hook", optional_argument, NULL, 'P' }, { "resolv-conf", required_argument, NULL, 'R' },
		{ "state-dir", required_argument, NULL, 'S' }, { "db", required_argument, NULL, 'd' },
		{ 0 }
	};
	const char *file = GEOEGRESS_DEFAULT_CONF, *resolv = "/etc/resolv.conf", *state_dir = NULL;
	const char *dbpath = NULL;
	int verbose = 0, no_db = 0, c, rc = 1, print_hook = 0;
	struct rules_policy *p = NULL;
	struct geo_db *db = NULL, *asn = NULL;
	char sum[160];
	FILE *info;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:vnh", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'v': verbose = 1; break;
		case 'n': no_db = 1; break;
		case 'h': fputs(cmd_check_usage, stdout); return 0;
		case 'R': resolv = optarg; break;
		case 'S': state_dir = optarg; break;
		case 'P':
			if (!optarg || !strcmp(optarg, "nft"))
				print_hook = NFQ_BACKEND_NFT;
			else if (!strcmp(optarg, "iptables"))
				print_hook = NFQ_BACKEND_IPTABLES;
			else
				return cli_usage_error("check", "--print-hook: '%s' is not nft or iptables", optarg);
			break;
		default: return cli_option_error("check", c, argv, lopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
	if (dbpath && (no_db || print_hook))
		return cli_usage_error("check", "--db goes without --no-db and --print-hook");
	p = cli_load_policy(file);
	if (!p)
		goto out;
	info = verbose || print_hook ? stderr : stdout;
	rules_summary(p, sum, sizeof(sum));
	if (verbose)
		rules_print(p, stdout);
	fprintf(info, "policy OK: %s: %s\n", file, sum);
	if (print_hook) {
		nfq_hook_print(rules_options(p), (enum nfq_backend)print_hook, stdout);
		no_db = 1;
	}
	if (!no_db) {
		db = cli_open_db("check", dbpath ? dbpath : rules_options(p)->database);
		if (!db)
			goto out;
		db_report(db, info);
		noncountry_report(p, db, info);
		if (rules_options(p)->hooks & RULES_HOOK_OUTPUT)
			check_own_traffic(p, db, resolv);
		if (cli_open_asn_db("check", p, &asn) < 0)
			goto out;
		if (asn)
			db_report(asn, info);
	}
	names_report(p, info);
	rc = 0;
out:
	/* Reading the ruleset needs CAP_NET_ADMIN: as root, say when the
	 * gateway is held closed (the reason is often this very file). */
	if (geteuid() == 0 && !print_hook)
		nfq_held_status(state_dir, 1, stderr);
	geo_close(asn);
	geo_close(db);
	rules_free(p);
	return rc;
}
