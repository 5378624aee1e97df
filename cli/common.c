// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers the subcommands share: loading a policy with its diagnostics,
 * opening its database, and fitting values into text
 * columns.  Pure functions apart from the first two (which print the
 * errors a person acts on), so tests/cli links this file alone.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "geo/geo.h"
#include "rules/rules.h"

/* Prints every diagnostic; with errors also the count line. */
static void print_diags(const char *file, const struct rules_errors *e, int failed)
{
	for (size_t i = 0; i < e->count; i++)
		fprintf(stderr, "%s\n", e->diags[i].text);
	if (e->nerrors + e->nwarnings > e->count)
		fprintf(stderr, "%s: (%zu more not shown; fix these first)\n", file,
			e->nerrors + e->nwarnings - e->count);
	if (failed)
		fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", file, e->nerrors,
			e->nerrors == 1 ? "" : "s", e->nwarnings, e->nwarnings == 1 ? "" : "s");
}

struct rules_policy *cli_load_policy(const char *file)
{
	struct rules_errors e = { 0 };
	struct rules_policy *p = rules_parse_file(file, &e);

	print_diags(file, &e, p == NULL);
	rules_errors_free(&e);
	return p;
}

struct geo_db *cli_open_db(const char *sub, const char *path)
{
	struct geo_err err = { { 0 } };
	struct geo_db *db = geo_open(path, &err);

	if (!db)
		fprintf(stderr, "geoegress %s: database: %s\n", sub, err.msg);
	return db;
}

int cli_open_asn_db(const char *sub, const struct rules_policy *p, struct geo_db **out)
{
	const char *path = rules_options(p)->asn_database;
	struct geo_err err;

	*out = NULL;
	if (!path)
		return 0;
	*out = geo_open_asn(path, &err);
	if (*out)
		return 0;
	fprintf(stderr, "geoegress %s: AS database: %s\n", sub, err.msg);
	return -1;
}

char *cli_fit(char *buf, size_t width, const char *s)
{
	size_t n = strlen(s);

	if (n <= width) {
		memcpy(buf, s, n + 1);
		return buf;
	}
	if (width)
		memcpy(buf, s, width - 1);
	buf[width ? width - 1 : 0] = '~';
	buf[width] = '\0';
	return buf;
}

char *cli_fit_mid(char *buf, size_t width, const char *s)
{
	size_t n = strlen(s), head, tail;

	if (n <= width || width < 3)
		return cli_fit(buf, width, s);
	/* keep more of the head: an address's prefix says the most */
	tail = (width - 1) / 2;
	head = width - 1 - tail;
	memcpy(buf, s, head);
	buf[head] = '~';
	memcpy(buf + head + 1, s + n - tail, tail);
	buf[width] = '\0';
	return buf;
}

char *cli_human_bytes(char buf[8], uint64_t n)
{
	static const char units[] = "KMGTPE";
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, 8, "%" PRIu64, n);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v < 9.95)
		snprintf(buf, 8, "%.1f%c", v, units[u]);
	else
		snprintf(buf, 8, "%.0f%c", v, units[u]);
	return buf;
}

char *cli_human_age(char buf[8], uint64_t s)
{
	if (s < 60)
		snprintf(buf, 8, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, 8, "%" PRIu64 "m", s / 60);
	else if (s < 86400)
		snprintf(buf, 8, "%" PRIu64 "h", s / 3600);
	else if (s < 10000 * 86400ull)
		snprintf(buf, 8, "%" PRIu64 "d", s / 86400);
	else
		snprintf(buf, 8, ">27y");
	return buf;
}

int cli_country_arg(const char *s, geo_cc *cc)
{
	geo_cc v = GEO_CC_UNKNOWN;

	if (strcasecmp(s, "unknown") && strcmp(s, "--")) {
		if (strlen(s) != 2 || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]))
			return -1;
		v = geo_cc_make((char)toupper((unsigned char)s[0]), (char)toupper((unsigned char)s[1]));
	}
	if (cc)
		*cc = v;
	return 0;
}
