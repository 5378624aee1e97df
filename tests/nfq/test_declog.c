// SPDX-License-Identifier: GPL-2.0-or-later
/* The decision log writer: record fields and escaping, IPv6 formatting,
 * rate-limit folding (counts add up), write failures (/dev/full, an
 * unwritable path), reopen. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nfq/nfq_int.h"
#include "tests/tap.h"

static struct nfq_declog_rec rec4(const char *src, uint16_t dport)
{
	struct nfq_declog_rec r;

	memset(&r, 0, sizeof(r));
	r.ts.tv_sec = 1795764601;	/* 2026-11-27T07:30:01Z */
	r.ts.tv_nsec = 123456789;
	r.flow.family = AF_INET;
	r.flow.proto = IPPROTO_TCP;
	r.flow.has_ports = 1;
	r.flow.sport = 51514;
	r.flow.dport = dport;
	inet_pton(AF_INET, src, r.flow.src.b);
	inet_pton(AF_INET, "198.51.100.7", r.flow.dst.b);
	r.action = RULES_BLOCK;
	r.line = 12;
	nfq_declog_names(&r, "IAF advisory 2014", "managed");
	r.country = geo_cc_make('C', 'N');
	strcpy(r.in, "lan0");
	strcpy(r.out, "wan0");
	return r;
}

static void test_format(void)
{
	struct nfq_declog_rec r = rec4("192.0.2.10", 443);
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
	char buf[1024];
	size_t n;

	r.flow.has_mac = 1;
	memcpy(r.flow.src_mac, mac, 6);
	n = nfq_declog_format(buf, sizeof(buf), &r, 1, 0, 0);
	is_str(buf, "{\"ts\":\"2026-11-27T07:30:01.123Z\",\"action\":\"block\",\"audit\":false,\"rule\":12,"
	       "\"rule_name\":\"IAF advisory 2014\",\"default\":false,\"src\":\"192.0.2.10\","
	       "\"src_mac\":\"02:00:5e:00:53:01\",\"device\":\"managed\",\"dst\":\"198.51.100.7\","
	       "\"country\":\"CN\",\"proto\":\"tcp\",\"sport\":51514,\"dport\":443,\"in\":\"lan0\","
	       "\"out\":\"wan0\",\"count\":1}", "the example record of doc/log-format.md");
	is_int(n, strlen(buf), "returns the length");

	memset(&r.flow, 0, sizeof(r.flow));
	r.flow.family = AF_INET6;
	r.flow.proto = IPPROTO_ICMPV6;
	inet_pton(AF_INET6, "2001:db8:1::10", r.flow.src.b);
	inet_pton(AF_INET6, "2001:0db8:0000:0000:0001:0000:0000:0010", r.flow.dst.b);
	nfq_declog_names(&r, "a \"quoted\" \\ name\n\x01", NULL);
	r.country = GEO_CC_UNKNOWN;
	r.action = RULES_LOG;
	r.audit = 1;
	r.is_default = 1;
	r.in[0] = r.out[0] = '\0';
	nfq_declog_format(buf, sizeof(buf), &r, 7, 0, 1);
	is_str(buf, "{\"ts\":\"2026-11-27T07:30:01.123Z\",\"action\":\"log\",\"audit\":true,\"rule\":12,"
	       "\"rule_name\":\"a \\\"quoted\\\" \\\\ name\\u000a\\u0001\",\"default\":true,"
	       "\"src\":\"2001:db8:1::10\",\"src_mac\":null,\"device\":null,\"dst\":\"2001:db8::1:0:0:10\","
	       "\"country\":null,\"proto\":\"icmpv6\",\"sport\":null,\"dport\":null,\"in\":null,"
	       "\"out\":null,\"count\":7,\"folded\":true}", "ipv6 (RFC 5952), escaping, nulls, folded");
	nfq_declog_format(buf, sizeof(buf), &r, 3, 3, 0);
	ok(strstr(buf, "\"count\":3,\"retries\":3}") != NULL, "a retries record: count and retries, not folded");
	nfq_declog_format(buf, sizeof(buf), &r, 9, 2, NFQ_FOLD_RATE | NFQ_FOLD_CAP);
	ok(strstr(buf, "\"count\":9,\"retries\":2,\"folded\":true,\"over_cap\":true}") != NULL,
	   "an over-cap record: count, retries, folded, over_cap");
	r.flow.proto = 47;
	nfq_declog_format(buf, sizeof(buf), &r, 1, 0, 0);
	ok(strstr(buf, "\"proto\":\"47\"") != NULL, "other protocols as a number string");

	inet_pton(AF_INET6, "64:ff9b::c633:640a", r.flow.dst.b);
	r.country = geo_cc_make('C', 'N');
	r.via = GEO_VIA_NAT64;
	inet_pton(AF_INET, "198.51.100.10", r.via_v4);
	nfq_declog_format(buf, sizeof(buf), &r, 1, 0, 0);
	ok(strstr(buf, "\"dst\":\"64:ff9b::c633:640a\",\"country\":\"CN\",\"via\":\"nat64\","
		       "\"geo_addr\":\"198.51.100.10\"") != NULL, "a translated destination: via and geo_addr");
	r.via = GEO_VIA_NONE;
	r.country = GEO_CC_UNKNOWN;
	r.db_code = geo_cc_make('Z', 'Z');
	nfq_declog_format(buf, sizeof(buf), &r, 1, 0, 0);
	ok(strstr(buf, "\"country\":null,\"db_code\":\"ZZ\"") != NULL && !strstr(buf, "geo_addr"),
	   "a code that is not a country: country null, db_code kept");
	r.db_code = GEO_CC_UNKNOWN;
	is_int(nfq_declog_format(buf, 40, &r, 1, 0, 0), 0, "too small a buffer: 0");
}

/* Counts the lines of path: all, folded, over_cap; sums count. */
static long scan_file(const char *path, const char *must, int *lines, int *folded, int *over)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	long sum = 0;

	*lines = *folded = *over = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strstr(line, "\"count\":");

		if ((must && !strstr(line, must)) || !c)
			continue;
		sum += strtol(c + 8, NULL, 10);
		(*lines)++;
		*folded += strstr(line, "\"folded\":true") != NULL;
		*over += strstr(line, "\"over_cap\":true") != NULL;
	}
	if (f)
		fclose(f);
	return sum;
}

/* Sums "count" of the lines mentioning src in file; counts lines too. */
static long sum_counts(const char *path, const char *src, int *lines, int *folded)
{
	char key[64];
	int over;

	snprintf(key, sizeof(key), "\"src\":\"%s\"", src);
	return scan_file(path, key, lines, folded, &over);
}

static void test_rate_limit(const char *dir)
{
	struct nfq_declog *d = nfq_declog_new();
	struct nfq_declog_stats st;
	char path[512];
	int lines, folded;

	snprintf(path, sizeof(path), "%s/rate.jsonl", dir);
	is_int(nfq_declog_configure(d, path, 0, 3, 60), 0, "configure: 3 per minute");
	for (int i = 0; i < 10; i++) {
		struct nfq_declog_rec r = rec4("192.0.2.10", (uint16_t)(1000 + i));
		nfq_declog_add(d, &r, 100 + i);
	}
	for (int i = 0; i < 2; i++) {
		struct nfq_declog_rec r = rec4("192.0.2.11", 80);
		nfq_declog_add(d, &r, 100);
	}
	struct nfq_declog_rec rf = rec4("192.0.2.11", 80);
	nfq_declog_retry(d, &rf, 101);	/* a cached retry */
	nfq_declog_flush(d);
	is_int(sum_counts(path, "192.0.2.10", &lines, &folded), 3, "flooding device: 3 records within the minute");
	nfq_declog_tick(d, 150, 0);
	nfq_declog_flush(d);
	is_int(sum_counts(path, "192.0.2.10", &lines, &folded), 3, "nothing folded before the period ends");
	nfq_declog_tick(d, 161, 0);
	nfq_declog_flush(d);
	is_int(sum_counts(path, "192.0.2.10", &lines, &folded), 10, "counts add up to 10 after the period");
	ok(lines == 4 && folded == 1, "one folded record (4 lines)");
	/* issue 11, case 6: a retry is not "folded" (log-rate never folded it):
	 * it is written as a retries record */
	ok(sum_counts(path, "192.0.2.11", &lines, &folded) == 3 && folded == 0 && lines == 3,
	   "quiet device: 2 records + a retries record, not folded");
	{
		FILE *f = fopen(path, "r");
		char line[2048], last[2048] = "";

		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "192.0.2.10") && strstr(line, "folded"))
				strcpy(last, line);
		if (f)
			fclose(f);
		ok(strstr(last, "\"dport\":1009") && strstr(last, "\"count\":7"),
		   "folded record carries the last suppressed decision, count 7");
	}
	struct nfq_declog_rec r = rec4("192.0.2.10", 2000);
	nfq_declog_add(d, &r, 200);
	nfq_declog_flush(d);
	is_int(sum_counts(path, "192.0.2.10", &lines, &folded), 11, "a new period writes again");
	nfq_declog_stats(d, &st);
	ok(st.written == 8 && st.folded == 7 && st.retries == 1 && st.failed == 0,
	   "stats: written 8, folded 7, retries 1, failed 0");
	nfq_declog_free(d);
	unlink(path);
}

/* 5,000 blocked decisions in 5 s from 2001:db8:1::0 .. ::1387, with the
 * source MAC mac (or none). */
static void flood(struct nfq_declog *d, const uint8_t *mac)
{
	for (int i = 0; i < 5000; i++) {
		struct nfq_declog_rec r = rec4("192.0.2.10", 443);

		r.flow.family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8:1::", r.flow.src.b);
		r.flow.src.b[14] = (uint8_t)(i >> 8);
		r.flow.src.b[15] = (uint8_t)i;
		if (mac) {
			r.flow.has_mac = 1;
			memcpy(r.flow.src_mac, mac, 6);
		}
		nfq_declog_add(d, &r, 100 + i / 1000);
	}
}

/* Issue 11, case 3: one phone (one MAC) sending from 5,000 IPv6 source
 * addresses of its /64 is one device for log-rate; sources without a MAC
 * are each a device, and the total cap bounds them all together. */
static void test_per_device(const char *dir)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
	struct nfq_declog *d = nfq_declog_new();
	struct nfq_declog_stats st;
	char path[512];
	int lines, folded, over;
	long sum;

	snprintf(path, sizeof(path), "%s/device.jsonl", dir);
	nfq_declog_cap(d, 50 * 20, 60);		/* the default: 50 x the rate */
	nfq_declog_configure(d, path, 0, 20, 60);
	flood(d, mac);
	nfq_declog_flush(d);
	sum = scan_file(path, "02:00:5e:00:53:01", &lines, &folded, &over);
	ok(lines == 20 && sum == 20 && folded == 0, "one MAC, 5000 source addresses: 20 records in the minute "
	   "(%d lines)", lines);
	nfq_declog_tick(d, 161, 0);
	nfq_declog_flush(d);
	sum = scan_file(path, "02:00:5e:00:53:01", &lines, &folded, &over);
	ok(lines == 21 && folded == 1 && sum == 5000, "after the minute: one folded record; counts sum to 5000 "
	   "(%d lines, %ld)", lines, sum);
	ok(scan_file(path, "\"count\":4980,\"folded\":true", &lines, &folded, &over) == 4980 && lines == 1,
	   "the folded record says it stands for 4980 decisions");
	nfq_declog_free(d);
	unlink(path);

	/* 5000 sources without a MAC (a routed subnet, the output hook): each
	 * is a device, so log-rate alone lets all of them through; the cap
	 * (here 200 a minute) bounds the mix. */
	d = nfq_declog_new();
	nfq_declog_cap(d, 200, 60);
	nfq_declog_configure(d, path, 0, 20, 60);
	flood(d, NULL);
	nfq_declog_flush(d);
	scan_file(path, NULL, &lines, &folded, &over);
	ok(lines == 200, "5000 MAC-less sources: the cap writes 200 records in the minute (%d)", lines);
	nfq_declog_tick(d, 161, 0);
	nfq_declog_flush(d);
	sum = scan_file(path, NULL, &lines, &folded, &over);
	ok(over == 1 && lines == 200 + 1 + 200 && sum < 5000, "the next minute: the over-cap record of the "
	   "first, then the folded records of the devices, capped again (%d lines, %ld)", lines, sum);
	nfq_declog_tick(d, 300, 1);
	nfq_declog_flush(d);
	sum = scan_file(path, NULL, &lines, &folded, &over);
	nfq_declog_stats(d, &st);
	ok(sum == 5000 && st.written == (uint64_t)lines && st.folded == 5000 - 200,
	   "nothing lost: written %llu, folded %llu", (unsigned long long)st.written,
	   (unsigned long long)st.folded);
	nfq_declog_free(d);
	unlink(path);
}

static void test_failures(const char *dir)
{
	struct nfq_declog *d = nfq_declog_new();
	struct nfq_declog_stats st;
	struct nfq_declog_rec r = rec4("192.0.2.10", 443);
	char path[512], moved[600];
	int err = 0, lines, folded;

	is_int(nfq_declog_configure(d, "/dev/full", 0, 0, 60), 0, "/dev/full opens");
	for (int i = 0; i < 5; i++)
		nfq_declog_add(d, &r, 1);
	nfq_declog_flush(d);
	nfq_declog_stats(d, &st);
	ok(st.failed == 5 && st.written == 0, "/dev/full: 5 failed, 0 written");
	ok(nfq_declog_take_failures(d, &err) == 5 && err == ENOSPC, "failures reported once, ENOSPC");
	is_int(nfq_declog_take_failures(d, &err), 0, "and then reset");

	ok(nfq_declog_configure(d, "/nonexistent-geoegress/x.jsonl", 0, 0, 60) < 0 && errno == ENOENT,
	   "unwritable path: configure fails with ENOENT");
	nfq_declog_add(d, &r, 1);
	nfq_declog_flush(d);
	nfq_declog_stats(d, &st);
	is_int(st.failed, 6, "unwritable path: the record counts as failed");

	snprintf(path, sizeof(path), "%s/rot.jsonl", dir);
	snprintf(moved, sizeof(moved), "%s/rot.jsonl.1", dir);
	is_int(nfq_declog_configure(d, path, 0, 0, 60), 0, "configure a real file");
	nfq_declog_add(d, &r, 1);
	nfq_declog_flush(d);
	rename(path, moved);
	is_int(nfq_declog_reopen(d), 0, "reopen after logrotate moved the file");
	nfq_declog_add(d, &r, 1);
	nfq_declog_flush(d);
	ok(sum_counts(path, "192.0.2.10", &lines, &folded) == 1 &&
	   sum_counts(moved, "192.0.2.10", &lines, &folded) == 1, "one record in each file");
	is_int(nfq_declog_configure(d, NULL, 0, 0, 60), 0, "no log file");
	nfq_declog_add(d, &r, 1);
	nfq_declog_flush(d);
	nfq_declog_stats(d, &st);
	is_int(st.failed, 6, "no log file: nothing fails");
	nfq_declog_free(d);
	unlink(path);
	unlink(moved);
}

/* A disk that fills in the middle of a record (RLIMIT_FSIZE stands in
 * for a full tmpfs): the file keeps only complete lines, and written +
 * failed add up to the records logged. */
static void test_partial_write(const char *dir)
{
	struct nfq_declog *d = nfq_declog_new();
	struct nfq_declog_stats st;
	struct rlimit old, lim;
	char path[512], last = 0;
	int lines = 0, folded;
	FILE *f;

	snprintf(path, sizeof(path), "%s/full.jsonl", dir);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1000;	/* room for 3 and a half records */
	nfq_declog_configure(d, path, 0, 0, 60);
	setrlimit(RLIMIT_FSIZE, &lim);
	for (int i = 0; i < 10; i++) {
		struct nfq_declog_rec r = rec4("192.0.2.10", 443);
		nfq_declog_add(d, &r, 1);
	}
	nfq_declog_flush(d);
	setrlimit(RLIMIT_FSIZE, &old);
	nfq_declog_stats(d, &st);
	f = fopen(path, "r");
	if (f) {
		fseek(f, -1, SEEK_END);
		last = (char)fgetc(f);
		fclose(f);
	}
	sum_counts(path, "192.0.2.10", &lines, &folded);
	ok(last == '\n', "disk full mid-record: the file ends with a complete line");
	ok(lines >= 1 && st.written == (uint64_t)lines && st.written + st.failed == 10,
	   "written (%d lines) + failed (%llu) = 10", lines, (unsigned long long)st.failed);
	nfq_declog_free(d);
	unlink(path);
}

/* Issue 12, item 5: a folded record stays in the rate limiter across
 * batches and reloads; the policy it was decided by may be freed first
 * (a reload that swapped, then freed, before the log's next tick).  The
 * record keeps its own copy of the rule and device names.  (Under
 * SANITIZE=1 a record that pointed into the freed policy is a
 * use-after-free; without it, the names would read as garbage or
 * another policy's.) */
static void test_record_outlives_policy(const char *dir)
{
	static const char text[] = "devices managed = { 198.18.1.0/24 }\n"
				   "block from @managed to country CN name \"no CN for phones\"\n"
				   "default allow\n";
	static const char next[] = "devices other = { 192.0.2.0/24 }\ndefault block\n";
	struct rules_errors err = { 0 };
	struct rules_policy *p = rules_parse_buf(text, sizeof(text) - 1, "t.conf", &err);
	struct nfq_declog *d = nfq_declog_new();
	struct geo_answer g = { .located = geo_cc_make('C', 'N'), .found = 1 };
	struct timespec ts = { 1795764601, 0 };
	char path[512], line[2048], last[2048] = "";
	struct rules_verdict v;
	struct rules_flow f;
	FILE *in;

	snprintf(path, sizeof(path), "%s/outlives.jsonl", dir);
	ok(p && nfq_declog_configure(d, path, 0, 1, 60) == 0, "a policy, and a log of 1 record a minute");
	memset(&f, 0, sizeof(f));
	f.proto = IPPROTO_TCP;
	f.has_ports = 1;
	f.dport = 443;
	rules_flow_set_addr(&f, 's', "198.18.1.10");
	rules_flow_set_addr(&f, 'd', "198.51.100.7");
	rules_eval(p, &f, &g, &v);
	ok(v.name && v.device && v.action == RULES_BLOCK, "the verdict names the rule and the device set");
	for (int i = 0; i < 3; i++) {	/* one written, two folded and kept */
		struct nfq_declog_rec r;

		f.sport = (uint16_t)(40000 + i);
		nfq_declog_fill(&r, &ts, &f, &v);
		nfq_declog_add(d, &r, 100 + i);
	}
	nfq_declog_flush(d);
	rules_free(p);		/* the old policy goes before the folded record is written */
	rules_errors_free(&err);
	p = rules_parse_buf(next, strlen(next), "new.conf", &err);	/* and its memory is reused */
	nfq_declog_tick(d, 0, 1);
	nfq_declog_flush(d);
	in = fopen(path, "r");
	while (in && fgets(line, sizeof(line), in))
		if (strstr(line, "\"folded\":true"))
			strcpy(last, line);
	if (in)
		fclose(in);
	ok(strstr(last, "\"rule_name\":\"no CN for phones\"") && strstr(last, "\"device\":\"managed\"") &&
	   strstr(last, "\"count\":2"), "the folded record keeps its rule and device names after the policy is freed");
	rules_free(p);
	rules_errors_free(&err);
	nfq_declog_free(d);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/ge-test-declog-XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	test_format();
	test_rate_limit(dir);
	test_per_device(dir);
	test_failures(dir);
	test_partial_write(dir);
	test_record_outlives_policy(dir);
	rmdir(dir);
	nfq_declog_free(NULL);
	return tap_done();
}
