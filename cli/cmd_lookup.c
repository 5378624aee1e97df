// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * geoegress lookup: the country of addresses, as the daemon would see it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "geo/geo.h"
#include "rules/rules.h"
#include "util/json.h"

const char cmd_lookup_usage[] =
	"Usage: geoegress lookup [--db FILE] [--field located|registered|either] [--json]\n"
	"                        [--nat64 PREFIX]... ADDR...\n"
	"       geoegress lookup [OPTIONS] -          (addresses from stdin, one per line)\n"
	"\n"
	"Prints the country of each IPv4/IPv6 address: address, code (-- if unknown),\n"
	"name, and the database field that answered.  A code the database gives that\n"
	"is not an ISO 3166-1 country (EU, AP, ZZ, ...) is shown, and counts as unknown.\n"
	"An IPv6 address that embeds an IPv4 address (NAT64 64:ff9b::/96 and the\n"
	"--nat64 prefixes, 6to4 2002::/16, Teredo 2001::/32) has that address's\n"
	"country; the source column then names it (\"country, nat64 198.51.100.10\").\n"
	"\n"
	"  -d, --db FILE      database (default: $GEOEGRESS_DB, else " GEOEGRESS_DEFAULT_DB ")\n"
	"  -f, --field F      which country counts: located (default: country, else\n"
	"                     registered_country), registered (the reverse), either\n"
	"  -j, --json         one JSON object per line\n"
	"  -n, --nat64 PREFIX this network's NAT64 prefix (length 32, 40, 48, 56, 64 or\n"
	"                     96, RFC 6052), as the policy's option nat64; repeatable\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 all answered, 1 an address or the database was bad, 2 usage.\n";

struct lookup_opts {
	const char *db;
	enum geo_field field;
	int json;
	struct geo_xlat xlat;		/* --nat64 prefixes */
	char nat64[1024];		/* their text, ", "-separated */
};

/* One answered line, kept to align the text columns. */
struct row {
	char *addr;
	geo_cc cc, code;	/* the country, and the database's code */
	enum geo_source src;
	char via[40];		/* ", nat64 198.51.100.10" or "" */
};

struct rows {
	struct row *v;
	size_t n, cap;
	int aw, nw;	/* address and name column widths */
};

/* The country's name; for a code that is not a country, what it is. */
static const char *name_of(geo_cc cc, geo_cc code, char *buf, size_t len)
{
	const char *n = geo_country_name(cc), *what = geo_code_name(code);
	char b[3];

	if (cc != GEO_CC_UNKNOWN && code == cc)
		return n ? n : "?";
	if (cc != GEO_CC_UNKNOWN)	/* the first field held a code that is not a country */
		snprintf(buf, len, "%s (%s, in the field tried first, is not a country)", n, geo_cc_str(code, b));
	else if (code == GEO_CC_UNKNOWN)
		return "unknown";
	else
		snprintf(buf, len, "unknown: not a country but %s", what ? what : "a code of this database");
	return buf;
}

static void json_cc(const char *key, geo_cc cc)
{
	char b[3];

	printf(",\"%s\":", key);
	if (cc == GEO_CC_UNKNOWN)
		fputs("null", stdout);
	else
		json_write_str(stdout, geo_cc_str(cc, b));
}

static void print_json(const char *addr, const struct geo_answer *a, geo_cc cc, geo_cc code,
		       enum geo_source src)
{
	fputs("{\"address\":", stdout);
	json_write_str(stdout, addr);
	json_cc("country", cc);
	json_cc("code", code);
	fputs(",\"name\":", stdout);
	if (cc == GEO_CC_UNKNOWN || !geo_country_name(cc))
		fputs("null", stdout);
	else
		json_write_str(stdout, geo_country_name(cc));
	printf(",\"source\":\"%s\"", geo_source_name(src));
	json_cc("registered", a->registered);
	json_cc("located", a->located);
	json_cc("represented", a->represented);
	fputs(",\"via\":", stdout);
	if (a->via == GEO_VIA_NONE)
		fputs("null,\"ipv4\":null}\n", stdout);
	else
		printf("\"%s\",\"ipv4\":\"%u.%u.%u.%u\"}\n", geo_via_name(a->via), a->v4[0], a->v4[1],
		       a->v4[2], a->v4[3]);
}

static int add_row(struct rows *r, const char *addr, const struct geo_answer *a, geo_cc cc, geo_cc code,
		   enum geo_source src)
{
	char nb[160];
	int aw = (int)strlen(addr), nw = (int)strlen(name_of(cc, code, nb, sizeof(nb)));

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct row *v = reallocarray(r->v, cap, sizeof(*v));

		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n] = (struct row){ strdup(addr), cc, code, src, "" };
	if (!r->v[r->n].addr)
		return -1;
	if (a->via != GEO_VIA_NONE && a->via != GEO_VIA_MAPPED)	/* ::ffff: speaks for itself */
		snprintf(r->v[r->n].via, sizeof(r->v[r->n].via), ", %s %u.%u.%u.%u", geo_via_name(a->via),
			 a->v4[0], a->v4[1], a->v4[2], a->v4[3]);
	r->n++;
	r->aw = aw > r->aw ? aw : r->aw;
	r->nw = nw > r->nw ? nw : r->nw;
	return 0;
}

static void flush_rows(struct rows *r)
{
	char b[3], nb[160];

	for (size_t i = 0; i < r->n; i++) {
		struct row *w = &r->v[i];

		printf("%-*s  %s  %-*s  %s%s\n", r->aw, w->addr, geo_cc_str(w->cc ? w->cc : w->code, b),
		       r->nw, name_of(w->cc, w->code, nb, sizeof(nb)), geo_source_name(w->src), w->via);
		free(w->addr);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* Answers one address; returns 0, or 1 after printing an error line. */
static int lookup_one(const struct geo_db *db, const struct lookup_opts *o, const char *addr,
		      struct rows *rows)
{
	unsigned char buf[16];
	struct geo_answer a;
	enum geo_source src;
	int family = AF_INET;
	geo_cc cc, code;

	if (inet_pton(AF_INET, addr, buf) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, addr, buf) != 1) {
			fprintf(stderr, "geoegress lookup: '%s' is not an IPv4 or IPv6 address\n", addr);
			return 1;
		}
	}
	if (geo_lookup_xlat(db, &o->xlat, family, buf, &a) < 0) {
		fprintf(stderr, "geoegress lookup: %s: IPv6 address, but the database is IPv4-only\n", addr);
		return 1;
	}
	cc = geo_pick(&a, o->field, &src);
	code = geo_pick_code(&a, o->field, cc == GEO_CC_UNKNOWN ? &src : NULL);	/* its field, if unknown */
	if (o->json) {
		print_json(addr, &a, cc, code, src);
		return 0;
	}
	if (add_row(rows, addr, &a, cc, code, src) < 0) {
		fprintf(stderr, "geoegress lookup: out of memory\n");
		return 1;
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int lookup_stdin(const struct geo_db *db, const struct lookup_opts *o, struct rows *rows)
{
	char *line = NULL, *s;
	size_t cap = 0;
	int bad = 0;

	while (getline(&line, &cap, stdin) >= 0) {
		s = trim(line);
		if (*s && *s != '#')
			bad |= lookup_one(db, o, s, rows);
	}
	free(line);
	return bad;
}

static int parse_field(const char *s, enum geo_field *f)
{
	static const enum geo_field all[] = { GEO_FIELD_LOCATED, GEO_FIELD_REGISTERED, GEO_FIELD_EITHER };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, geo_field_name(all[i]))) {
			*f = all[i];
			return 0;
		}
	}
	return -1;
}

/* The --nat64 prefixes, read as the policy's `option nat64` is (same
 * checks, same messages). */
static int parse_nat64(struct lookup_opts *o)
{
	struct rules_errors e = { 0 };
	struct rules_policy *p;
	char text[1100];

	snprintf(text, sizeof(text), "option nat64 %s\ndefault allow\n", o->nat64);
	p = rules_parse_buf(text, strlen(text), "--nat64", &e);
	for (size_t i = 0; !p && i < e.count; i++)
		fprintf(stderr, "geoegress lookup: %s\n", e.diags[i].text);
	if (p)
		o->xlat = rules_options(p)->nat64;
	rules_errors_free(&e);
	rules_free(p);
	return p ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct lookup_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "field", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "nat64", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:f:jn:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'n': {
			size_t l = strlen(o->nat64);

			snprintf(o->nat64 + l, sizeof(o->nat64) - l, "%s%s", l ? ", " : "", optarg);
			break;
		}
		case 'j': o->json = 1; break;
		case 'h': fputs(cmd_lookup_usage, stdout); return 0;
		case 'f':
			if (parse_field(optarg, &o->field) < 0)
				return cli_usage_error("lookup", "unknown field '%s' (located, registered or either)", optarg);
			break;
		default:
			return cli_option_error("lookup", c, argv, longopts);
		}
	}
	if (optind >= argc)
		return cli_usage_error("lookup", "no address given (use - to read them from stdin)");
	if (o->nat64[0] && parse_nat64(o) < 0)
		return EXIT_USAGE;
	return -1;
}

int cmd_lookup(int argc, char **argv)
{
	struct lookup_opts o = { .field = GEO_FIELD_LOCATED };
	struct rows rows = { 0 };
	struct geo_err err;
	struct geo_db *db;
	int rc, bad = 0;

	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (!o.db)
		o.db = getenv("GEOEGRESS_DB") && *getenv("GEOEGRESS_DB") ? getenv("GEOEGRESS_DB") : GEOEGRESS_DEFAULT_DB;
	db = geo_open(o.db, &err);
	if (!db) {
		fprintf(stderr, "geoegress lookup: %s\n", err.msg);
		return 1;
	}
	for (int i = optind; i < argc; i++)
		bad |= strcmp(argv[i], "-") ? lookup_one(db, &o, argv[i], &rows) : lookup_stdin(db, &o, &rows);
	flush_rows(&rows);
	geo_close(db);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "geoegress lookup: cannot write output: %s\n", strerror(errno));
		return 1;
	}
	return bad ? 1 : 0;
}
