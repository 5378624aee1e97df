// SPDX-License-Identifier: GPL-2.0-or-later
/* The decision log's writer (nfq/declog.c) and the report's reader
 * (report/scan.c) change together (doc/log-format.md): records the daemon
 * writes are parsed back by the reader, and every field the reader knows
 * comes back as written — through the real write path (a log file, the
 * gateway's name) and through nfq_declog_format for the other shapes
 * (IPv6, nulls, folded, over the cap, retries). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfq/nfq_int.h"
#include "report/report.h"
#include "tests/tap.h"

static int str_is(const struct report_str *s, const char *want)
{
	if (!want)
		return s->p == NULL;
	return s->p && s->len == strlen(want) && !memcmp(s->p, want, s->len);
}

/* Every field of the doc's example record, and the optional ones. */
static struct nfq_declog_rec full_rec(void)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
	struct nfq_declog_rec r;

	memset(&r, 0, sizeof(r));
	r.ts.tv_sec = 1795764601;	/* 2026-11-27T07:30:01.123Z */
	r.ts.tv_nsec = 123456789;
	r.flow.family = AF_INET6;
	r.flow.proto = IPPROTO_TCP;
	r.flow.has_ports = 1;
	r.flow.sport = 51514;
	r.flow.dport = 443;
	r.flow.has_mac = 1;
	memcpy(r.flow.src_mac, mac, 6);
	inet_pton(AF_INET6, "2001:db8:1::10", r.flow.src.b);
	inet_pton(AF_INET6, "64:ff9b::c633:640a", r.flow.dst.b);
	r.action = RULES_REJECT;
	r.audit = 1;
	r.is_default = 0;
	r.existing = 1;
	r.line = 12;
	nfq_declog_names(&r, "IAF \"advisory\" 2014", "managed");
	r.country = geo_cc_make('C', 'N');
	r.db_code = geo_cc_make('E', 'U');
	r.via = GEO_VIA_NAT64;
	inet_pton(AF_INET, "198.51.100.10", r.via_v4);
	strcpy(r.in, "lan0");
	strcpy(r.out, "wan0");
	strcpy(r.host, "telemetry.vendor.example");
	r.asn = 64500;
	r.as_org = "Example Networks";
	return r;
}

static void check_full(const struct report_record *x, const char *line)
{
	char t[32];

	is_str(report_format_time(x->ts_ms, t), "2026-11-27T07:30:01.123Z", "ts");
	is_int(x->action, REPORT_REJECT, "action");
	ok(x->audit == 1 && x->cat == REPORT_AUDIT, "audit (and the category audit)");
	is_int(x->rule, 12, "rule");
	ok(str_is(&x->rule_name, "IAF \"advisory\" 2014"), "rule_name (unescaped)");
	is_int(x->is_default, 0, "default");
	ok(str_is(&x->src, "2001:db8:1::10"), "src");
	ok(str_is(&x->src_mac, "02:00:5e:00:53:01"), "src_mac");
	ok(str_is(&x->device, "managed"), "device");
	ok(str_is(&x->dst, "64:ff9b::c633:640a"), "dst");
	ok(str_is(&x->host, "telemetry.vendor.example"), "host");
	ok(str_is(&x->country, "CN"), "country");
	ok(str_is(&x->via, "nat64") && str_is(&x->geo_addr, "198.51.100.10"), "via, geo_addr");
	ok(x->asn == 64500 && str_is(&x->as_org, "Example Networks"), "asn, as_org");
	ok(str_is(&x->proto, "tcp"), "proto");
	ok(x->sport == 51514 && x->dport == 443, "sport, dport");
	/* written for people and other tools, not read by the report: */
	ok(strstr(line, "\"in\":\"lan0\",\"out\":\"wan0\"") && strstr(line, "\"existing\":true") &&
	   strstr(line, "\"db_code\":\"EU\""), "in, out, existing, db_code are written");
}

/* The real write path: a log file, records written by the rate limiter's
 * emit with the gateway's name. */
static void via_file(void)
{
	char dir[] = "/tmp/ge-test-roundtrip-XXXXXX", path[600], *line = NULL, why[128];
	struct rules_syslog none = { 0 };
	struct nfq_declog_rec r = full_rec();
	struct report_record x;
	struct nfq_declog *d = nfq_declog_new();
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (!mkdtemp(dir))
		exit(1);
	snprintf(path, sizeof(path), "%s/decisions.jsonl", dir);
	nfq_declog_outputs(d, "pune-1", &none);
	ok(nfq_declog_configure(d, path, 0, 20, 60) == 0, "a decision log");
	nfq_declog_add(d, &r, 100);
	nfq_declog_flush(d);
	f = fopen(path, "r");
	n = f ? getline(&line, &cap, f) : -1;
	if (f)
		fclose(f);
	ok(n > 0 && line[n - 1] == '\n', "one record written");
	if (n > 0)
		line[--n] = '\0';
	if (n > 0 && report_parse_line(line, (size_t)n, &x, why, sizeof(why)) == 0) {
		ok(1, "the reader parses the writer's record");
		check_full(&x, line);
		ok(str_is(&x.gateway, "pune-1"), "gateway");
		ok(x.count == 1 && x.retries == 0 && !x.folded && !x.over_cap, "count 1, not folded");
	} else {
		ok(0, "the reader parses the writer's record: %s", n > 0 ? why : "no line");
	}
	free(line);
	nfq_declog_free(d);
	unlink(path);
	rmdir(dir);
}

static int parse_formatted(const struct nfq_declog_rec *r, uint32_t count, uint32_t retries, unsigned flags,
			   char *buf, size_t len, struct report_record *x)
{
	char why[128];
	size_t n = nfq_declog_format(buf, len, r, count, retries, flags);

	return n > 0 && report_parse_line(buf, n, x, why, sizeof(why)) == 0 ? 0 : -1;
}

/* The other shapes: absent values (nulls), IPv4, folded and over-cap
 * records with retries, every action. */
static void shapes(void)
{
	struct nfq_declog_rec r;
	struct report_record x;
	char buf[4096];

	memset(&r, 0, sizeof(r));
	r.ts.tv_sec = 1795764601;
	r.flow.family = AF_INET;
	r.flow.proto = IPPROTO_ICMP;
	inet_pton(AF_INET, "198.18.1.12", r.flow.src.b);
	inet_pton(AF_INET, "198.19.0.10", r.flow.dst.b);
	r.action = RULES_LOG;
	r.is_default = 1;
	r.line = 16;
	nfq_declog_names(&r, NULL, NULL);
	ok(parse_formatted(&r, 7, 2, NFQ_FOLD_RATE, buf, sizeof(buf), &x) == 0, "a folded record parses");
	ok(x.rule_name.p == NULL && x.device.p == NULL && x.src_mac.p == NULL && x.country.p == NULL &&
	   x.host.p == NULL && x.via.p == NULL && x.as_org.p == NULL && x.gateway.p == NULL,
	   "absent: rule_name, device, src_mac, country null; host, via, as_org, gateway left out");
	ok(x.sport == -1 && x.dport == -1 && x.asn == -1, "no ports: sport, dport null; no asn");
	ok(str_is(&x.src, "198.18.1.12") && str_is(&x.dst, "198.19.0.10") && str_is(&x.proto, "icmp"),
	   "IPv4 addresses, icmp");
	ok(x.is_default == 1 && x.action == REPORT_LOG && x.cat == REPORT_LOG && x.rule == 16,
	   "default, action log, rule");
	ok(x.count == 7 && x.retries == 2 && x.folded && !x.over_cap, "count, retries, folded");
	ok(parse_formatted(&r, 9, 0, NFQ_FOLD_RATE | NFQ_FOLD_CAP, buf, sizeof(buf), &x) == 0 &&
	   x.folded && x.over_cap && x.count == 9, "an over-cap record: folded, over_cap");
	r.flow.proto = 47;
	ok(parse_formatted(&r, 1, 0, 0, buf, sizeof(buf), &x) == 0 && str_is(&x.proto, "47"),
	   "another protocol as its number");
	for (int a = 0; a < RULES_NACTION; a++) {
		r.action = (enum rules_action)a;
		ok(parse_formatted(&r, 1, 0, 0, buf, sizeof(buf), &x) == 0 && x.action == a &&
		   !strcmp(report_cat_name(x.cat), rules_action_name(r.action)),
		   "action %s: the same name for writer and reader", rules_action_name(r.action));
	}
}

int main(void)
{
	via_file();
	shapes();
	return tap_done();
}
