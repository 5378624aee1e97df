// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: aggregation, filters, the streaming reader (plain, gzip,
 * long and unterminated lines) and report_write's formats. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "report/report.h"
#include "tests/tap.h"

static int add_line(struct report *r, const char *text)
{
	char buf[1024], why[160];
	struct report_record rec;
	size_t n = strlen(text);

	memcpy(buf, text, n + 1);
	if (report_parse_line(buf, n, &rec, why, sizeof(why)) < 0) {
		diag("parse: %s", why);
		return -1;
	}
	return report_add(r, &rec);
}

static void rec_line(char *buf, size_t len, int sec, const char *action, const char *src,
		     const char *dev, const char *dst, const char *cc, int dport, int count)
{
	char ccs[8];

	snprintf(ccs, sizeof(ccs), cc ? "\"%s\"" : "null", cc ? cc : "");
	snprintf(buf, len, "{\"ts\":\"2026-11-27T%02d:%02d:%02dZ\",\"action\":\"%s\",\"src\":\"%s\","
		 "\"device\":\"%s\",\"dst\":\"%s\",\"country\":%s,\"proto\":\"tcp\",\"dport\":%d,\"count\":%d}",
		 sec / 3600, sec / 60 % 60, sec % 60, action, src, dev, dst, ccs, dport, count);
}

static void test_totals(void)
{
	struct report *r = report_new(NULL);
	struct report_totals t;
	char line[512];

	rec_line(line, sizeof(line), 100, "block", "192.0.2.1", "managed", "198.51.100.10", "CN", 443, 1);
	add_line(r, line);
	rec_line(line, sizeof(line), 200, "block", "192.0.2.1", "managed", "198.51.100.10", "CN", 443, 37);
	add_line(r, line);
	rec_line(line, sizeof(line), 50, "allow", "192.0.2.2", "guests", "203.0.113.10", "SG", 80, 1);
	add_line(r, line);
	rec_line(line, sizeof(line), 7200, "log", "2001:db8:1::1", "managed", "2001:db8:ff::10", NULL, 22, 2);
	add_line(r, line);
	add_line(r, "{\"ts\":\"2026-11-27T02:00:00Z\",\"action\":\"block\",\"audit\":true,\"src\":\"192.0.2.2\","
		 "\"device\":\"guests\",\"dst\":\"198.51.100.10\",\"country\":\"CN\",\"dport\":443,\"proto\":\"tcp\"}");
	report_totals(r, &t);
	is_int(t.records, 5, "5 records");
	is_int(t.flows, 42, "flows sum count (1 + 37 + 1 + 2 + 1)");
	is_int(t.by_cat[REPORT_BLOCK], 38, "block flows");
	is_int(t.by_cat[REPORT_AUDIT], 1, "audit counted apart from block");
	is_int(t.by_cat[REPORT_LOG], 2, "log flows");
	is_int(t.devices, 3, "3 devices (src+set+mac)");
	is_int(t.countries, 3, "3 countries incl. unknown");
	is_int(t.destinations, 3, "3 destinations");
	is_int(t.first_ms, 1795737600000LL + 50000, "first seen");
	is_int(t.last_ms, 1795737600000LL + 7200000, "last seen");
	report_free(r);
}

static int count_with(const struct report_filter *f)
{
	struct report *r = report_new(f);
	struct report_totals t;
	char line[512];
	const char *cc[] = { "CN", "SG", NULL, "IN" };
	const char *act[] = { "allow", "block", "reject", "log" };

	for (int i = 0; i < 40; i++) {
		char src[32];

		snprintf(src, sizeof(src), "192.0.2.%d", i % 5);
		rec_line(line, sizeof(line), i * 600, act[i % 4], src, i % 2 ? "managed" : "guests",
			 "198.51.100.10", cc[i % 4 == 3 ? 3 : i % 3], 443, 1);
		add_line(r, line);
	}
	report_totals(r, &t);
	if (t.records + t.filtered != 40)
		diag("records %llu + filtered %llu != 40", (unsigned long long)t.records,
		     (unsigned long long)t.filtered);
	report_free(r);
	return (int)t.records;
}

static void test_filters(void)
{
	struct report_filter f;
	int n;

	report_filter_init(&f);
	is_int(count_with(&f), 40, "no filter: all 40");
	f.since_ms = 1795737600000LL + 600000 * 10;
	f.until_ms = 1795737600000LL + 600000 * 20;
	is_int(count_with(&f), 10, "since inclusive, until exclusive");
	report_filter_init(&f);
	f.device = "managed";
	is_int(count_with(&f), 20, "device by set name");
	f.device = "192.0.2.3";
	is_int(count_with(&f), 8, "device by address");
	report_filter_init(&f);
	f.cats = 1u << REPORT_BLOCK | 1u << REPORT_REJECT;
	is_int(count_with(&f), 20, "action block,reject");
	report_filter_init(&f);
	f.country = "cn";
	n = count_with(&f);
	f.country = "unknown";
	ok(n > 0 && count_with(&f) > 0, "country (case-insensitive) and unknown");
	f.country = "ZZ";
	is_int(count_with(&f), 0, "country that never occurs");
}

static void test_growth(void)
{
	struct report *r = report_new(NULL);
	struct report_totals t;
	char line[512], dst[64];

	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < 20000; i++) {
			snprintf(dst, sizeof(dst), "2001:db8:%x::%x", i / 200, i % 200);
			rec_line(line, sizeof(line), i % 86000, "allow", "192.0.2.1", "m", dst, "SG", 443, 1);
			if (add_line(r, line) != 1) {
				ok(0, "add %d", i);
				report_free(r);
				return;
			}
		}
	}
	report_totals(r, &t);
	is_int(t.destinations, 20000, "20000 distinct destinations after 60000 records (tables grew)");
	is_int(t.devices, 1, "one device");
	is_int(t.flows, 60000, "60000 flows");
	report_free(r);
}

static char tmpdir[] = "/tmp/ge-report-test-XXXXXX";

static void write_file(const char *path, const char *data, size_t n, int gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");

		gzwrite(g, data, (unsigned)n);
		gzclose(g);
	} else {
		FILE *f = fopen(path, "w");

		fwrite(data, 1, n, f);
		fclose(f);
	}
}

static void test_reader(void)
{
	const char *good = "{\"ts\":\"2026-11-27T07:00:00Z\",\"action\":\"block\",\"count\":3}\n";
	size_t big = 2 * 1024 * 1024, n = 0;
	char *data = malloc(big + 4096), path[128], err[256];
	struct report *r = report_new(NULL);
	struct report_totals t;

	n += (size_t)sprintf(data + n, "%s", good);
	data[n++] = '{';
	memset(data + n, 'x', big);		/* line 2: longer than the buffer */
	n += big;
	data[n++] = '\n';
	n += (size_t)sprintf(data + n, "%s%s", good, "\n");	/* line 3 good, line 4 blank */
	n += (size_t)sprintf(data + n, "%.30s", good);		/* line 5 cut off */
	for (int gz = 0; gz <= 1; gz++) {
		snprintf(path, sizeof(path), "%s/log%s", tmpdir, gz ? ".gz" : "");
		write_file(path, data, n, gz);
		is_int(report_read(r, path, err, sizeof(err)), 0, gz ? "gzip file read" : "plain file read");
	}
	report_totals(r, &t);
	is_int(t.records, 4, "2 good lines per file");
	is_int(t.flows, 12, "count summed");
	is_int(t.skipped, 4, "long and cut-off lines skipped (blank lines are not)");
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ok(report_read(r, path, err, sizeof(err)) == -1 && strstr(err, "No such file"), "missing file: %s", err);
	snprintf(path, sizeof(path), "%s/bad.gz", tmpdir);
	write_file(path, "\x1f\x8b\x08\x00garbage-not-deflate", 22, 0);
	is_int(report_read(r, path, err, sizeof(err)), 0, "corrupt gzip is not fatal");
	report_totals(r, &t);
	is_int(t.skipped, 5, "corrupt gzip counted as a skipped line");
	report_free(r);
	free(data);
}

static void test_write(void)
{
	struct report *r = report_new(NULL);
	struct report_output o = { .format = REPORT_JSON };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	add_line(r, "{\"ts\":\"2026-11-27T07:00:00Z\",\"action\":\"block\",\"src\":\"a\\u0001\\\"<b>\","
		 "\"host\":\"\\u00ff\"}");
	f = open_memstream(&buf, &len);
	is_int(report_write(r, f, &o), 0, "json written");
	fclose(f);
	/* a device without a MAC is its address: id and the one address */
	ok(strstr(buf, "\"id\":\"a\\u0001\\\"<b>\"") != NULL &&
	   strstr(buf, "\"addresses\":[\"a\\u0001\\\"<b>\"]") != NULL, "json escapes control chars and quotes");
	free(buf);
	o.format = REPORT_HTML;
	f = open_memstream(&buf, &len);
	report_write(r, f, &o);
	fclose(f);
	ok(strstr(buf, "a &quot;&lt;b&gt;") && !strstr(buf, "\"<b>"),
	   "html escapes log text");
	free(buf);
	report_free(r);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	test_totals();
	test_filters();
	test_growth();
	test_reader();
	test_write();
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("cleanup of %s failed", tmpdir);
	}
	return tap_done();
}
