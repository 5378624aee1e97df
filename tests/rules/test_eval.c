// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for rules_eval(): first match, negation, unknown countries,
 * MAC exact/prefix, IPv4 vs IPv6 sets, ports and protocols, audit mode,
 * located/registered/either, device naming, log flags. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/rules.h"
#include "tests/tap.h"

static struct rules_policy *P(const char *text)
{
	struct rules_errors e = { 0 };
	struct rules_policy *p = rules_parse_buf(text, strlen(text), "t.conf", &e);

	for (size_t i = 0; i < e.count; i++)
		diag("%s", e.diags[i].text);
	rules_errors_free(&e);
	if (!p) {
		printf("Bail out! test policy does not parse:\n%s\n", text);
		exit(1);
	}
	return p;
}

/* A flow: src (optionally "addr,mac"), dst, proto, dport (-1: none). */
static struct rules_flow F(const char *src, const char *dst, int proto, int dport)
{
	struct rules_flow f;
	char buf[80], *comma;

	memset(&f, 0, sizeof(f));
	snprintf(buf, sizeof(buf), "%s", src);
	comma = strchr(buf, ',');
	if (comma) {
		*comma++ = 0;
		if (rules_flow_set_mac(&f, comma) < 0)
			exit(2);
	}
	if (rules_flow_set_addr(&f, 's', buf) < 0 || rules_flow_set_addr(&f, 'd', dst) < 0)
		exit(2);
	f.proto = (uint8_t)proto;
	if (dport >= 0) {
		f.has_ports = 1;
		f.dport = (uint16_t)dport;
	}
	return f;
}

static struct geo_answer G(const char *loc, const char *reg)
{
	struct geo_answer g = { 0 };

	if (loc)
		g.located = geo_cc_make(loc[0], loc[1]);
	if (reg)
		g.registered = geo_cc_make(reg[0], reg[1]);
	g.found = loc || reg;
	return g;
}

static struct rules_verdict V(const struct rules_policy *p, struct rules_flow f, struct geo_answer g)
{
	struct rules_verdict v;

	memset(&v, 0xa5, sizeof(v));	/* every field must be written */
	rules_eval(p, &f, &g, &v);
	return v;
}

#define TCP 6
#define UDP 17

static void first_match(void)
{
	struct rules_policy *p = P("block to country CN name \"first\"\n"
				   "allow to country CN\n"
				   "reject to country HK\n"
				   "default allow\n");
	struct rules_verdict v = V(p, F("198.18.1.20", "198.51.100.10", TCP, 443), G("CN", NULL));

	is_int(v.action, RULES_BLOCK, "first match: the earlier block wins over a later allow");
	is_int(v.line, 1, "first match: line of the deciding rule");
	is_str(v.name, "first", "first match: rule name");
	is_int(v.is_default, 0, "first match: not the default");
	is_int(v.country, geo_cc_make('C', 'N'), "verdict carries the country");
	v = V(p, F("198.18.1.20", "203.0.113.10", TCP, 443), G("HK", NULL));
	is_int(v.action, RULES_REJECT, "third rule decides HK");
	ok(v.name == NULL, "no name: NULL");
	v = V(p, F("198.18.1.20", "203.0.113.10", TCP, 443), G("SG", NULL));
	ok(v.action == RULES_ALLOW && v.is_default && v.line == 4, "nothing matches: default, its line");
	rules_free(p);
}

static void negation(void)
{
	struct rules_policy *p = P("networks cdn = { 203.0.113.0/25 }\n"
				   "block to country != { IN } name \"residency\"\n"
				   "reject to != @cdn\n"
				   "default allow\n");
	struct rules_verdict v;

	v = V(p, F("198.18.1.20", "198.51.100.10", TCP, 443), G("CN", NULL));
	is_int(v.action, RULES_BLOCK, "country != { IN } matches CN");
	v = V(p, F("198.18.1.20", "192.0.2.10", TCP, 443), G("IN", NULL));
	is_int(v.line, 3, "country != { IN } does not match IN");
	is_int(v.action, RULES_REJECT, "!= @cdn matches an address outside the set");
	v = V(p, F("198.18.1.20", "203.0.113.10", TCP, 443), G("IN", NULL));
	ok(v.is_default && v.action == RULES_ALLOW, "!= @cdn does not match an address inside the set");
	v = V(p, F("198.18.1.20", "203.0.113.10", TCP, 443), G(NULL, NULL));
	ok(v.is_default, "a negated country test never matches an unknown destination");
	v = V(p, F("2001:db8:1::20", "2001:db8:86::10", TCP, 443), G("IN", NULL));
	is_int(v.action, RULES_REJECT, "!= @cdn (IPv4 only) matches an IPv6 destination");
	rules_free(p);
}

static void unknown_country(void)
{
	struct rules_policy *p = P("networks internal = { 10.0.0.0/8 }\n"
				   "option unknown block log\n"
				   "allow to @internal\n"
				   "block to country { CN }\n"
				   "default allow\n");
	struct rules_policy *q = P("block to country { CN }\nlog to unknown name \"u\"\ndefault reject\n");
	struct rules_policy *r = P("block to country { CN }\ndefault reject\n");
	struct rules_verdict v;

	v = V(p, F("198.18.1.20", "198.19.0.10", TCP, 443), G(NULL, NULL));
	ok(v.action == RULES_BLOCK && v.is_default && v.log, "option unknown: unknown destination → its action, logged");
	is_int(v.line, 2, "option unknown: line of the option");
	is_int(v.country, GEO_CC_UNKNOWN, "unknown country in the verdict");
	v = V(p, F("198.18.1.20", "10.1.2.3", TCP, 443), G(NULL, NULL));
	ok(v.action == RULES_ALLOW && !v.is_default && v.line == 3, "rules come before option unknown");
	v = V(p, F("198.18.1.20", "192.0.2.10", TCP, 443), G("IN", NULL));
	ok(v.action == RULES_ALLOW && v.is_default && v.line == 5, "a known country falls to default, not unknown");
	v = V(q, F("198.18.1.20", "198.19.0.10", TCP, 443), G(NULL, NULL));
	ok(v.action == RULES_LOG && v.log && v.line == 2 && !v.is_default, "`to unknown` rule matches");
	v = V(q, F("198.18.1.20", "192.0.2.10", TCP, 443), G("IN", NULL));
	ok(v.is_default && v.action == RULES_REJECT, "`to unknown` does not match a known country");
	v = V(r, F("198.18.1.20", "198.19.0.10", TCP, 443), G(NULL, NULL));
	ok(v.is_default && v.action == RULES_REJECT && v.line == 2, "no option unknown: unknown → default");
	rules_free(p);
	rules_free(q);
	rules_free(r);
}

static void macs(void)
{
	struct rules_policy *p = P("devices phones = { 02:00:5e:00:53:01, 00:1a:11, 02:00:5e:00:54:00/44 }\n"
				   "block from @phones\ndefault allow\n");
	struct geo_answer g = G("CN", NULL);

	is_int(V(p, F("198.18.1.7,02:00:5e:00:53:01", "192.0.2.1", TCP, 1), g).action, RULES_BLOCK,
	       "MAC exact match");
	is_int(V(p, F("198.18.1.7,02:00:5e:00:53:02", "192.0.2.1", TCP, 1), g).action, RULES_ALLOW,
	       "MAC exact: a neighbour does not match");
	is_int(V(p, F("198.18.1.7,00:1a:11:aa:bb:cc", "192.0.2.1", TCP, 1), g).action, RULES_BLOCK,
	       "MAC OUI prefix matches");
	is_int(V(p, F("198.18.1.7,00:1a:12:00:00:00", "192.0.2.1", TCP, 1), g).action, RULES_ALLOW,
	       "MAC OUI prefix: another vendor does not match");
	is_int(V(p, F("198.18.1.7,02:00:5e:00:54:0f", "192.0.2.1", TCP, 1), g).action, RULES_BLOCK,
	       "MAC /44 prefix: last in range");
	is_int(V(p, F("198.18.1.7,02:00:5e:00:54:10", "192.0.2.1", TCP, 1), g).action, RULES_ALLOW,
	       "MAC /44 prefix: first outside");
	is_int(V(p, F("198.18.1.7", "192.0.2.1", TCP, 1), g).action, RULES_ALLOW,
	       "no MAC in the flow: a MAC set does not match");
	is_int(V(p, F("2001:db8:1::7,02:00:5e:00:53:01", "2001:db8:86::1", TCP, 1), g).action, RULES_BLOCK,
	       "MAC matches whatever the address family");
	rules_free(p);
}

static void families(void)
{
	struct rules_policy *p = P("devices lan = { 198.18.1.0/24, 2001:db8:1::/64 }\n"
				   "networks v4 = { 198.51.100.0/24 }\nnetworks v6 = { 2001:db8:86::/48 }\n"
				   "block from @lan to @v4 name \"v4\"\nblock from @lan to @v6 name \"v6\"\n"
				   "default allow\n");
	struct geo_answer g = G(NULL, NULL);

	is_str(V(p, F("198.18.1.255", "198.51.100.255", UDP, 53), g).name, "v4", "IPv4 in IPv4 sets (edges)");
	is_str(V(p, F("2001:db8:1::ffff", "2001:db8:86:ffff::1", UDP, 53), g).name, "v6", "IPv6 in IPv6 sets");
	is_int(V(p, F("198.18.2.1", "198.51.100.1", UDP, 53), g).is_default, 1, "IPv4 source outside /24");
	is_int(V(p, F("2001:db8:2::1", "2001:db8:86::1", UDP, 53), g).is_default, 1, "IPv6 source outside /64");
	is_int(V(p, F("2001:db8:1::1", "2001:db8:87::1", UDP, 53), g).is_default, 1, "IPv6 destination outside /48");
	is_int(V(p, F("::ffff:198.18.1.1", "::ffff:198.51.100.1", UDP, 53), g).is_default, 1,
	       "IPv4-mapped IPv6 is not matched by IPv4 ranges");
	rules_free(p);
}

static void ports_protos(void)
{
	struct rules_policy *p = P("block proto tcp port { 80, 8000-8080 } name \"web\"\n"
				   "reject port 53 name \"dns\"\n"
				   "log proto { icmp, 47 } name \"misc\"\n"
				   "default allow\n");
	struct geo_answer g = G("SG", NULL);

	is_str(V(p, F("198.18.1.1", "192.0.2.1", TCP, 80), g).name, "web", "tcp port 80");
	is_str(V(p, F("198.18.1.1", "192.0.2.1", TCP, 8000), g).name, "web", "range start");
	is_str(V(p, F("198.18.1.1", "192.0.2.1", TCP, 8080), g).name, "web", "range end");
	ok(V(p, F("198.18.1.1", "192.0.2.1", TCP, 8081), g).is_default, "past the range end");
	ok(V(p, F("198.18.1.1", "192.0.2.1", TCP, 79), g).is_default, "port 79");
	ok(V(p, F("198.18.1.1", "192.0.2.1", UDP, 80), g).is_default, "udp is not tcp");
	ok(V(p, F("198.18.1.1", "192.0.2.1", TCP, -1), g).is_default, "no ports read: a port rule does not match");
	is_str(V(p, F("198.18.1.1", "192.0.2.1", UDP, 53), g).name, "dns", "port without proto: udp");
	is_str(V(p, F("198.18.1.1", "192.0.2.1", TCP, 53), g).name, "dns", "port without proto: tcp");
	is_str(V(p, F("198.18.1.1", "192.0.2.1", 132, 53), g).name, "dns", "port without proto: sctp");
	is_str(V(p, F("198.18.1.1", "192.0.2.1", 1, -1), g).name, "misc", "icmp");
	is_str(V(p, F("198.18.1.1", "192.0.2.1", 47, -1), g).name, "misc", "protocol by number (47)");
	ok(V(p, F("198.18.1.1", "192.0.2.1", 58, -1), g).is_default, "icmpv6 is not icmp");
	rules_free(p);
}

static void audit(void)
{
	struct rules_policy *p = P("option mode audit\nblock to country CN\nreject to country HK\n"
				   "allow to country IN\ndefault allow\n");
	struct rules_policy *q = P("block to country CN\ndefault allow\n");
	struct rules_verdict v;

	v = V(p, F("198.18.1.1", "198.51.100.1", TCP, 443), G("CN", NULL));
	ok(v.action == RULES_BLOCK && v.audit && v.log, "audit: block reported, not enforced, logged");
	v = V(p, F("198.18.1.1", "198.51.100.1", TCP, 443), G("HK", NULL));
	ok(v.action == RULES_REJECT && v.audit && v.log, "audit: reject reported, not enforced, logged");
	v = V(p, F("198.18.1.1", "198.51.100.1", TCP, 443), G("IN", NULL));
	ok(v.action == RULES_ALLOW && !v.audit && !v.log, "audit: allow is just allow");
	v = V(q, F("198.18.1.1", "198.51.100.1", TCP, 443), G("CN", NULL));
	ok(v.action == RULES_BLOCK && !v.audit && v.log, "enforce: block is enforced and logged (every block is)");
	is_int(rules_options(p)->mode, RULES_MODE_AUDIT, "options: mode audit");
	rules_free(p);
	rules_free(q);
}

static void fields(void)
{
	static const char *const pol = "block to country { CN } name \"cn\"\n"
				       "reject to country != { SG } name \"not-sg\"\n"
				       "default allow\n";
	char buf[256];
	struct rules_policy *loc, *reg, *eith;
	struct geo_answer sg_cn = G("SG", "CN"), cn_only = G(NULL, "CN");
	struct rules_flow f = F("198.18.1.1", "203.0.113.200", TCP, 443);

	loc = P(pol);
	snprintf(buf, sizeof(buf), "option country-field registered\n%s", pol);
	reg = P(buf);
	snprintf(buf, sizeof(buf), "option country-field either\n%s", pol);
	eith = P(buf);
	ok(V(loc, f, sg_cn).is_default, "located: SG (registered CN) is not CN, and is SG");
	is_int(V(loc, f, sg_cn).country, geo_cc_make('S', 'G'), "located: verdict country SG");
	is_str(V(reg, f, sg_cn).name, "cn", "registered: SG/CN counts as CN");
	is_int(V(reg, f, sg_cn).country, geo_cc_make('C', 'N'), "registered: verdict country CN");
	is_str(V(eith, f, sg_cn).name, "cn", "either: a list matches either field");
	is_str(V(loc, f, cn_only).name, "cn", "located falls back to registered_country");
	is_str(V(reg, f, G("IN", NULL)).name, "not-sg", "registered falls back to country");
	is_int(V(eith, f, G("SG", "SG")).is_default, 1, "either: != { SG } does not match SG/SG");
	is_int(V(eith, f, G("SG", "IN")).is_default, 1, "either: != { SG } matches only when neither is SG");
	is_str(V(eith, f, G("IN", "IN")).name, "not-sg", "either: != { SG } matches IN/IN");
	is_int(rules_options(eith)->field, GEO_FIELD_EITHER, "options: country-field either");
	rules_free(loc);
	rules_free(reg);
	rules_free(eith);
}

static void devices(void)
{
	struct rules_policy *p = P("devices laptop = { 198.18.1.20 }\n"
				   "devices managed = { 198.18.1.0/25, 02:00:5e:00:53:01 }\n"
				   "networks lan = { 198.18.1.0/24 }\n"
				   "devices guests = { 198.18.1.128/25 }\n"
				   "log from { @laptop, @managed, @guests, @lan }\ndefault allow\n");
	struct geo_answer g = G("IN", NULL);

	is_str(V(p, F("198.18.1.20", "192.0.2.1", TCP, 1), g).device, "laptop", "device: first set in policy order");
	is_str(V(p, F("198.18.1.21", "192.0.2.1", TCP, 1), g).device, "managed", "device: second set");
	is_str(V(p, F("198.18.1.200,02:00:5e:00:53:01", "192.0.2.1", TCP, 1), g).device, "managed",
	       "device: by MAC before a later address match");
	is_str(V(p, F("198.18.1.200", "192.0.2.1", TCP, 1), g).device, "guests",
	       "device: networks sets do not name devices");
	ok(V(p, F("198.18.2.1", "192.0.2.1", TCP, 1), g).device == NULL, "device: none → NULL");
	rules_free(p);
}

static void eval_log_flags(void)
{
	struct rules_policy *p = P("log to country IN\nblock log to country CN\nallow to country SG\n"
				   "default block log\n");
	struct rules_flow f = F("198.18.1.1", "192.0.2.1", TCP, 1);

	ok(V(p, f, G("IN", NULL)).log && V(p, f, G("IN", NULL)).action == RULES_LOG, "log action logs");
	ok(V(p, f, G("CN", NULL)).log, "block log logs");
	ok(!V(p, f, G("SG", NULL)).log, "plain allow does not log");
	ok(V(p, f, G("US", NULL)).log && V(p, f, G("US", NULL)).is_default, "default block log logs");
	rules_free(p);
}

static void options_and_lines(void)
{
	const char *text = "option hooks forward, output\noption queue 2-5\noption log-rate 7/hour\n"
			   "option log-file none\noption fail-mode closed\n\n  block to country CN  \n"
			   "default allow\n";
	struct rules_policy *p = P(text);
	const struct rules_options *o = rules_options(p);
	struct rules_policy *d = P("default allow\n");
	const char *l;
	size_t len;

	ok(o->hooks == (RULES_HOOK_FORWARD | RULES_HOOK_OUTPUT), "hooks forward, output");
	ok(o->queue_first == 2 && o->queue_count == 4, "queue 2-5");
	ok(o->log_rate == 7 && o->log_rate_period == 3600, "log-rate 7/hour");
	is_str(o->log_file, "", "log-file none is \"\"");
	is_int(o->fail_mode, RULES_FAIL_CLOSED, "fail-mode closed");
	o = rules_options(d);
	is_str(o->database, GEOEGRESS_DEFAULT_DB, "default database");
	is_str(o->log_file, GEOEGRESS_DEFAULT_LOG, "default log file");
	ok(o->log_rate == 20 && o->log_rate_period == 60 && o->hooks == RULES_HOOK_FORWARD &&
	   o->queue_count == 1 && !o->has_unknown && o->mode == RULES_MODE_ENFORCE, "defaults");
	l = rules_source_line(p, 7, &len);
	ok(l && len == 23 && !memcmp(l, "  block to country CN  ", len), "rules_source_line(7)");
	ok(rules_source_line(p, 99, &len) == NULL, "rules_source_line past the end");
	rules_free(p);
	rules_free(d);
}

static void errors(void)
{
	struct rules_errors e = { 0 };
	const char *bad = "block to country UK\nblock from @nope\n";

	ok(rules_parse_buf(bad, strlen(bad), "x.conf", &e) == NULL, "errors: NULL policy");
	ok(e.nerrors == 3 && e.count == 3, "errors: all three reported (UK, @nope, no default)");
	ok(e.count && strstr(e.diags[0].text, "x.conf:1:18: error: unknown country 'UK'") &&
	   strstr(e.diags[0].text, "did you mean 'GB'?\nblock to country UK\n                 ^~"),
	   "errors: file:line:col, message, source line, caret");
	rules_errors_free(&e);
	ok(rules_parse_buf(bad, strlen(bad), "x.conf", NULL) == NULL, "errors: NULL errs is fine");
	rules_free(NULL);
	rules_errors_free(NULL);
	ok(1, "free functions accept NULL");
}

/* Codes that are not countries (issue 11, case 2): the tor-geoipdb ZZ,
 * UN, SU, AB, OS and the regions EU, AP are unknown destinations — `option
 * unknown` covers them, `to unknown` matches them, no country test does —
 * and the verdict keeps the database's code. */
static void not_countries(void)
{
	static const char *const codes[] = { "ZZ", "UN", "SU", "AB", "OS", "EU", "AP", "XK", "UK" };
	struct rules_policy *p = P("option unknown block log\n"
				   "block to country CN\n"
				   "allow to country != { CN }\n"
				   "default allow\n");
	struct rules_policy *q = P("log to unknown name \"u\"\ndefault allow\n");
	struct rules_policy *e = P("option country-field either\nblock to country { DE }\n"
				   "allow to country != { DE }\ndefault reject\n");
	struct rules_verdict v;
	int bad = 0;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		v = V(p, F("198.18.1.20", "198.19.0.10", TCP, 443), G(codes[i], codes[i]));
		if (!(v.action == RULES_BLOCK && v.log && v.is_default && v.line == 1 &&
		      v.country == GEO_CC_UNKNOWN && v.db_code == geo_cc_make(codes[i][0], codes[i][1]))) {
			diag("%s: action %d line %d", codes[i], v.action, v.line);
			bad++;
		}
		v = V(q, F("198.18.1.20", "198.19.0.10", TCP, 443), G(codes[i], NULL));
		bad += !(v.action == RULES_LOG && v.line == 1);
	}
	is_int(bad, 0, "ZZ, UN, SU, AB, OS, EU, AP, XK, UK: option unknown blocks and logs them, "
	       "`to unknown` matches them, `!= { CN }` does not, the code is kept");
	v = V(p, F("198.18.1.20", "198.51.100.10", TCP, 443), G("CN", "CN"));
	ok(v.action == RULES_BLOCK && v.line == 2 && v.db_code == GEO_CC_UNKNOWN, "a country: no db_code");
	v = V(p, F("198.18.1.20", "198.19.1.10", TCP, 443), G("EU", "DE"));
	ok(v.action == RULES_ALLOW && v.line == 3 && v.country == geo_cc_make('D', 'E') &&
	   v.db_code == geo_cc_make('E', 'U'), "located EU, registered DE: DE decides, EU is kept");
	v = V(e, F("198.18.1.20", "198.19.1.10", TCP, 443), G("EU", "DE"));
	ok(v.action == RULES_BLOCK && v.line == 2, "either: DE matches, EU in the other field matches nothing");
	v = V(e, F("198.18.1.20", "198.19.1.10", TCP, 443), G("EU", "AP"));
	ok(v.action == RULES_REJECT && v.is_default, "either: EU and AP: unknown, not '!= { DE }'");
	{
		struct geo_answer g = G("CN", NULL);

		g.via = GEO_VIA_NAT64;
		g.v4[0] = 198, g.v4[1] = 51, g.v4[2] = 100, g.v4[3] = 10;
		v = V(p, F("2001:db8:1::10", "64:ff9b::c633:640a", TCP, 443), g);
		ok(v.action == RULES_BLOCK && v.via == GEO_VIA_NAT64 && v.via_v4[0] == 198 && v.via_v4[3] == 10,
		   "a translated destination: the verdict says which address decided");
		v = V(p, F("2001:db8:1::10", "2001:db8:86::10", TCP, 443), G("CN", NULL));
		ok(v.via == GEO_VIA_NONE, "no translation: via none");
	}
	rules_free(p);
	rules_free(q);
	rules_free(e);
}

/* Decides with names and an AS (names: comma-separated, "" = none). */
static struct rules_verdict VD(const struct rules_policy *p, struct rules_flow f, const char *names,
			       uint32_t asn)
{
	static char buf[256];
	const char *v[8];
	struct rules_dest d = { v, 0, asn };
	struct geo_answer g = G("SG", NULL);
	struct rules_verdict out;
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", names);
	for (char *t = strtok_r(buf, ",", &save); t && d.nnames < 8; t = strtok_r(NULL, ",", &save))
		v[d.nnames++] = t;
	memset(&out, 0xa5, sizeof(out));
	rules_eval_dest(p, &f, &g, &d, &out);
	return out;
}

static void host_names(void)
{
	struct rules_policy *p = P("option asn-database \"/x.mmdb\"\n"
				   "hosts vendor = { vendor.test, *.vendor.test }\n"
				   "hosts cdn = { *.cdn.test }\n"
				   "block to host @vendor name \"vendor\"\n"		/* line 4 */
				   "log to host != @cdn\n"				/* 5 */
				   "reject to host unknown proto tcp port 853\n"	/* 6 */
				   "block to asn { 64500, 64510 }\n"			/* 7 */
				   "allow to asn != 64501\n"				/* 8 */
				   "default log\n");
	struct rules_flow f = F("198.18.1.10", "203.0.113.10", TCP, 443);
	struct rules_flow dot = F("198.18.1.10", "203.0.113.10", TCP, 853);

	is_int(VD(p, f, "vendor.test", 0).line, 4, "the exact name matches");
	is_int(VD(p, f, "api.vendor.test", 0).line, 4, "*.vendor.test: one label below");
	is_int(VD(p, f, "a.b.vendor.test", 0).line, 4, "*.vendor.test: any depth below");
	is_int(VD(p, f, "xvendor.test", 0).line, 5, "a name that only ends the same is not below");
	is_int(VD(p, f, "x.cdn.test,www.vendor.test", 0).line, 4,
	       "several names: the address matches when any of them is in the set");
	is_int(VD(p, f, "x.cdn.test", 64999).line, 8, "!= @cdn: a name in cdn does not match; next rules");
	is_int(VD(p, f, "other.test", 0).line, 5, "!= @cdn: a known name outside it matches");
	is_int(VD(p, f, "", 64999).line, 8, "no name known: neither 'host @set' nor 'host !=' matches");
	is_int(VD(p, dot, "", 0).line, 6, "'to host unknown' matches when no answer explained it");
	is_int(VD(p, dot, "x.cdn.test", 0).line, 9, "... and not when one did");
	is_int(VD(p, f, "x.cdn.test", 64510).line, 7, "'to asn' matches a listed AS");
	is_int(VD(p, f, "x.cdn.test", 64501).line, 9, "'to asn !=' does not match a listed AS");
	is_int(VD(p, f, "", 0).is_default, 1, "an unknown AS: 'to asn !=' does not match it either");
	{
		struct rules_verdict v;

		rules_eval(p, &f, NULL, &v);
		is_int(v.line, 9, "rules_eval: nothing known about names or AS: the default");
	}
	is_int(rules_host_sets(p), 2, "two hosts sets");
	is_str(rules_host_set_name(p, 1), "cdn", "their names, in policy order");
	ok(rules_host_set_match(p, 0, "a.vendor.test") && !rules_host_set_match(p, 1, "a.vendor.test"),
	   "rules_host_set_match tells which set holds a name");
	rules_free(p);
}

int main(void)
{
	host_names();
	first_match();
	not_countries();
	negation();
	unknown_country();
	macs();
	families();
	ports_protos();
	audit();
	fields();
	devices();
	eval_log_flags();
	options_and_lines();
	errors();
	return tap_done();
}
