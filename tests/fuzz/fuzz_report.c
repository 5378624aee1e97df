// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness for the decision-log reader: every line through the
 * JSON scanner into a report (the scanner must never read past the line,
 * and a parsed record's strings must lie inside it), then every output
 * format written; the JSON output must keep its braces balanced. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const struct report_str *s, const char *line, size_t len)
{
	if (s->p && (s->p < line || s->p + s->len > line + len))
		abort();
}

static void add_lines(struct report *r, const uint8_t *data, size_t size)
{
	struct report_record rec;
	char why[160];
	size_t start = 0;

	while (start < size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - data) - start : size - start;
		char *line = malloc(len + 1);	/* exact size: ASan sees overreads */

		memcpy(line, data + start, len);
		if (report_parse_line(line, len, &rec, why, sizeof(why)) == 0) {
			const struct report_str *s[] = { &rec.src, &rec.dst, &rec.src_mac, &rec.device,
							 &rec.country, &rec.proto, &rec.host, &rec.rule_name,
							 &rec.via, &rec.geo_addr };

			for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
				inside(s[i], line, len);
			if (rec.count < 1 || rec.retries > rec.count || rec.cat >= REPORT_NCAT)
				abort();
			report_add(r, &rec);
		} else {
			report_add_bad(r, "fuzz", 1, why);
		}
		free(line);
		start += len + 1;
	}
}

static void check_json(struct report *r)
{
	struct report_output o = { .format = REPORT_JSON };
	char *buf = NULL;
	size_t len = 0;
	long depth = 0;
	int in_str = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || report_write(r, f, &o) < 0)
		abort();
	fclose(f);
	for (size_t i = 0; i < len; i++) {
		if (in_str) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				in_str = 0;
			else if ((unsigned char)buf[i] < 0x20)
				abort();	/* raw control character in a JSON string */
		} else if (buf[i] == '"') {
			in_str = 1;
		} else if (buf[i] == '{' || buf[i] == '[') {
			depth++;
		} else if (buf[i] == '}' || buf[i] == ']') {
			if (--depth < 0)
				abort();
		}
	}
	if (depth != 0 || in_str)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report *r = report_new(NULL);
	FILE *devnull = fopen("/dev/null", "w");
	int64_t t;

	if (!r || !devnull)
		abort();
	add_lines(r, data, size);
	check_json(r);
	{
		/* attempts and retries add up to the decisions; every attempt is
		 * in the device and country tables */
		struct report_totals t;
		uint64_t cats = 0;

		report_totals(r, &t);
		for (int c = 0; c < REPORT_NCAT; c++)
			cats += t.by_cat[c];
		if (cats != t.flows || t.over_cap > t.folded)
			abort();
	}
	for (int fmt = REPORT_TEXT; fmt <= REPORT_HTML; fmt++) {
		struct report_output o = { .format = (enum report_format)fmt, .top = 5 };

		report_write(r, devnull, &o);
	}
	if (size < 64) {
		char s[65];

		memcpy(s, data, size);
		s[size] = 0;
		report_parse_time(s, 0, &t);
	}
	fclose(devnull);
	report_free(r);
	return 0;
}
