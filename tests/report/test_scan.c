// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the decision-log JSON scanner and time parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "tests/tap.h"

static char linebuf[4096];
static char why[160];

/* Parses a copy of text; returns report_parse_line's result. */
static int parse(const char *text, struct report_record *rec)
{
	size_t n = strlen(text);

	memcpy(linebuf, text, n + 1);
	why[0] = 0;
	return report_parse_line(linebuf, n, rec, why, sizeof(why));
}

static int str_is(const struct report_str *s, const char *want)
{
	if (!want)
		return s->p == NULL;
	return s->p && s->len == strlen(want) && !memcmp(s->p, want, s->len);
}

static void test_full_record(void)
{
	struct report_record r;
	int rc = parse("{\"ts\":\"2026-11-27T07:30:01.123Z\",\"action\":\"block\",\"audit\":false,"
		       "\"rule\":12,\"rule_name\":\"IAF advisory 2014\",\"default\":false,"
		       "\"src\":\"192.0.2.10\",\"src_mac\":\"02:00:5e:00:53:01\",\"device\":\"managed\","
		       "\"dst\":\"198.51.100.7\",\"country\":\"CN\",\"proto\":\"tcp\",\"sport\":51514,"
		       "\"dport\":443,\"in\":\"lan0\",\"out\":\"wan0\",\"count\":1}", &r);

	is_int(rc, 0, "the log-format.md example parses");
	is_int(r.ts_ms, 1795764601123LL, "ts to epoch ms");
	is_int(r.cat, REPORT_BLOCK, "action block");
	is_int(r.rule, 12, "rule line");
	ok(str_is(&r.rule_name, "IAF advisory 2014"), "rule_name");
	ok(str_is(&r.src, "192.0.2.10") && str_is(&r.dst, "198.51.100.7"), "src and dst");
	ok(str_is(&r.src_mac, "02:00:5e:00:53:01") && str_is(&r.device, "managed"), "mac and device");
	ok(str_is(&r.country, "CN") && str_is(&r.proto, "tcp"), "country and proto");
	ok(r.sport == 51514 && r.dport == 443 && r.count == 1, "ports and count");
	ok(str_is(&r.host, NULL), "host absent");
	ok(str_is(&r.via, NULL) && str_is(&r.geo_addr, NULL), "via, geo_addr absent");
	rc = parse("{\"ts\":\"2026-11-27T07:30:01Z\",\"action\":\"block\",\"dst\":\"64:ff9b::c633:640a\","
		   "\"country\":\"CN\",\"db_code\":\"CN\",\"via\":\"nat64\",\"geo_addr\":\"198.51.100.10\"}", &r);
	ok(rc == 0 && str_is(&r.via, "nat64") && str_is(&r.geo_addr, "198.51.100.10") &&
	   str_is(&r.dst, "64:ff9b::c633:640a") && r.is_default == 0,
	   "a translated destination: via and geo_addr; db_code is not taken for default");
}

static void test_escapes(void)
{
	struct report_record r;

	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\","
		     "\"host\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"}", &r), 0, "escapes parse");
	ok(str_is(&r.host, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	   "escapes decoded in place (incl. \\u, surrogate pair)");
	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"host\":\"\\ud800x\"}", &r), 0,
	       "lone surrogate accepted");
	ok(str_is(&r.host, "\xef\xbf\xbdx"), "lone surrogate becomes U+FFFD");
	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"host\":\"\\u0000\"}", &r), -1,
	       "\\u0000 rejected");
	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"host\":\"\\x\"}", &r), -1,
	       "bad escape rejected");
	is_str(why, "bad escape '\\x' in string", "bad escape reason");
	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"host\":\"\\u12G4\"}", &r), -1,
	       "bad \\u rejected");
}

static void test_unknown_and_folded(void)
{
	struct report_record r;

	is_int(parse(" { \"ts\" : \"2026-01-01T00:00:00Z\" , \"v2\":{\"a\":[1,2.5e3,{\"b\":null}],\"c\":true},"
		     "\"action\":\"log\",\"x\":[],\"y\":{},\"z\":-0.5,\"folded\":true,\"count\":37 } ", &r), 0,
	       "unknown nested fields skipped, whitespace allowed");
	ok(r.cat == REPORT_LOG && r.folded && r.count == 37, "folded record with count 37");
	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"reject\",\"audit\":true}", &r), 0, "audit");
	is_int(r.cat, REPORT_AUDIT, "audit reject is category audit");
	is_int(r.action, REPORT_REJECT, "policy action kept");
	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"audit\":true}", &r), 0, "audit allow");
	is_int(r.cat, REPORT_ALLOW, "audit allow stays allow");
	is_int(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"proto\":132,\"dport\":null}", &r), 0,
	       "numeric proto");
	ok(str_is(&r.proto, "132") && r.dport == -1, "proto as digits, dport null");
}

static const struct {
	const char *line, *why;
} bad[] = {
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"src\":\"1.2", "unterminated string" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\"", "unterminated object" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",", "unterminated object" },
	{ "garbage", "not a JSON object" },
	{ "[1,2]", "not a JSON object" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\"} x", "garbage after the object" },
	{ "{\"action\":\"allow\"}", "missing field 'ts'" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\"}", "missing field 'action'" },
	{ "{\"ts\":\"yesterday\",\"action\":\"allow\"}", "field 'ts': not an RFC 3339 time" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"nuke\"}", "unknown action 'nuke'" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":1}", "field 'action': expected a string, got a number" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"count\":\"3\"}",
	  "field 'count': expected a number, got a string" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"count\":0}", "field 'count': 0 is out of range" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"dport\":70000}", "field 'dport': 70000 is out of range" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"sport\":1.5}", "field 'sport': expected an integer" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"audit\":\"yes\"}",
	  "field 'audit': expected true or false, got a string" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"src\":[1]}",
	  "field 'src': expected a string or null, got an array" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"x\":tru}", "unexpected character 't'" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"x\":01}", "bad number (leading zero)" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\",\"action\":\"allow\",\"x\":[1 2]}", "expected ',' or ']'" },
	{ "{\"ts\":\"2026-01-01T00:00:00Z\" \"action\":\"allow\"}", "expected ',' or '}'" },
	{ "{ts:1}", "expected a key" },
	{ "{\"a\"1}", "expected ':' after a key" },
	{ "{\"ts\":\"a\tb\"}", "control character in string" },
	{ "", "empty line" },
};

static void test_bad_lines(void)
{
	struct report_record r;
	char deep[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].line, &r);

		if (!ok(rc == -1 && !strcmp(why, bad[i].why), "bad line %zu: %s", i, bad[i].why))
			diag("rc %d, why '%s'", rc, why);
	}
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "{\"x\":", 5);
	deep[sizeof(deep) - 1] = 0;
	is_int(parse(deep, &r), -1, "deep nesting rejected, no stack overflow");
	is_str(why, "nesting deeper than 32", "deep nesting reason");
}

static void test_times(void)
{
	int64_t t;
	const int64_t now = 1795764601123LL;

	ok(report_parse_rfc3339("1970-01-01T00:00:00Z", 20, &t) == 0 && t == 0, "epoch");
	ok(report_parse_rfc3339("2026-11-27T09:30:01.123+02:00", 29, &t) == 0 && t == now, "offset +02:00");
	ok(report_parse_rfc3339("2026-11-27T02:00:01.123-05:30", 29, &t) == 0 && t == now,
	   "offset -05:30");
	ok(report_parse_rfc3339("2026-11-27 07:30:01.123456", 26, &t) == 0 && t == now, "space, microseconds");
	ok(report_parse_rfc3339("2024-02-29", 10, &t) == 0 && t == 1709164800000LL, "leap day, date alone");
	ok(report_parse_rfc3339("2023-02-29", 10, &t) == -1, "not a leap year");
	ok(report_parse_rfc3339("2026-13-01", 10, &t) == -1, "month 13");
	ok(report_parse_rfc3339("2026-11-27T24:00:00Z", 20, &t) == -1, "hour 24");
	ok(report_parse_rfc3339("2026-11-27T07:30", 16, &t) == -1, "no seconds");
	ok(report_parse_rfc3339("2026-11-27T07:30:00Zx", 21, &t) == -1, "trailing junk");
	ok(report_parse_time("24h", now, &t) == 0 && t == now - 86400000LL, "relative 24h");
	ok(report_parse_time("30m", now, &t) == 0 && t == now - 1800000LL, "relative 30m");
	ok(report_parse_time("7d", now, &t) == 0 && t == now - 7 * 86400000LL, "relative 7d");
	ok(report_parse_time("2w", now, &t) == 0 && t == now - 14 * 86400000LL, "relative 2w");
	ok(report_parse_time("2026-11-27", now, &t) == 0 && t == 1795737600000LL, "absolute date");
	ok(report_parse_time("5y", now, &t) == -1 && report_parse_time("h", now, &t) == -1 &&
	   report_parse_time("-3h", now, &t) == -1 && report_parse_time("3hh", now, &t) == -1, "bad ages");
}

static void test_format_time(void)
{
	char b[32];

	is_str(report_format_time(1795764601123LL, b), "2026-11-27T07:30:01.123Z", "format");
	is_str(report_format_time(0, b), "1970-01-01T00:00:00.000Z", "format epoch");
	is_str(report_format_time(-1, b), "1969-12-31T23:59:59.999Z", "format before epoch");
	for (int64_t t = -86400000LL * 800; t < 86400000LL * 40000; t += 86400000LL * 37 + 3723001) {
		int64_t back;

		report_format_time(t, b);
		if (report_parse_rfc3339(b, strlen(b), &back) < 0 || back != t) {
			ok(0, "format/parse round trip at %lld (%s)", (long long)t, b);
			return;
		}
	}
	ok(1, "format/parse round trip over 110 years");
}

int main(void)
{
	test_full_record();
	test_escapes();
	test_unknown_and_folded();
	test_bad_lines();
	test_times();
	test_format_time();
	return tap_done();
}
