// SPDX-License-Identifier: GPL-2.0-or-later
/* The evaluation index (bit vectors per field) must decide exactly like
 * the plain first-match scan: random flows and flows on every range edge,
 * for every valid golden policy and the examples, in all country fields. */
#include <glob.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/rules.h"
#include "rules/rules_int.h"
#include "tests/tap.h"

static uint64_t seed = 42;

static uint64_t rnd(void)
{
	uint64_t z = (seed += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void put128(uint8_t *b, u128 v)
{
	for (int i = 15; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

/* Edge values of every range in the policy: lo-1, lo, hi, hi+1. */
static u128 edge(const struct rules_policy *p, int fam)
{
	const struct rrule *r = &p->rules[rnd() % p->nrules];
	const struct aset *a = rnd() % 2 ? &r->src_a : &r->dst_a;
	u128 v;

	if (fam == 4 && a->n4) {
		const struct r4 *x = &a->v4[rnd() % a->n4];

		v = rnd() % 2 ? x->lo : x->hi;
	} else if (fam == 6 && a->n6) {
		const struct r6 *x = &a->v6[rnd() % a->n6];

		v = rnd() % 2 ? x->lo : x->hi;
	} else {
		v = ((u128)rnd() << 64) | rnd();
	}
	return v + (u128)(rnd() % 3) - 1;
}

static void random_flow(const struct rules_policy *p, struct rules_flow *f, struct geo_answer *g)
{
	static const char *const cc[] = { "CN", "HK", "MO", "IN", "SG", "RU", "KP", "FR", "US", "cn" };
	int fam = rnd() % 2 ? 4 : 6;

	memset(f, 0, sizeof(*f));
	memset(g, 0, sizeof(*g));
	f->family = fam == 4 ? AF_INET : AF_INET6;
	if (fam == 4) {
		put32(f->src.b, (uint32_t)edge(p, 4));
		put32(f->dst.b, (uint32_t)edge(p, 4));
	} else {
		put128(f->src.b, edge(p, 6));
		put128(f->dst.b, edge(p, 6));
	}
	f->has_mac = rnd() % 2;
	for (int i = 0; i < 6; i++)
		f->src_mac[i] = (uint8_t)(rnd() % 4 ? (i < 3 ? (uint64_t)(uint8_t)"\x02\x00\x5e"[i] : rnd()) : rnd());
	if (rnd() % 4 == 0)
		memcpy(f->src_mac, "\x00\x1a\x11", 3);
	f->proto = (uint8_t)(rnd() % 3 ? (rnd() % 2 ? 6 : 17) : rnd());
	f->has_ports = rnd() % 5 != 0;
	f->dport = (uint16_t)(rnd() % 2 ? (rnd() % 2 ? 443 : 80 + rnd() % 8100) : rnd());
	if (rnd() % 5) {
		const char *a = cc[rnd() % 10], *b = cc[rnd() % 10];

		g->located = rnd() % 4 ? geo_cc_make(a[0], a[1]) : 0;
		g->registered = rnd() % 2 ? geo_cc_make(b[0], b[1]) : g->located;
		g->found = 1;
	}
}

/* Names and an AS for the destination: the policy's own names, names
 * below them, other names; its AS numbers and others; or nothing. */
static void random_dest(const struct rules_policy *p, struct rules_dest *d)
{
	static char buf[4][300];
	static const char *names[4];
	static const char *const other[] = { "example.test", "a.b.other.test", "test", "cdn.test" };

	d->nnames = (unsigned)(rnd() % 4);
	d->names = names;
	for (unsigned i = 0; i < d->nnames; i++) {
		size_t off = p->poollen ? rnd() % p->poollen : 0;

		while (off && p->pool[off - 1])
			off--;	/* the start of a pooled name */
		if (p->poollen && rnd() % 3)
			snprintf(buf[i], sizeof(buf[i]), "%s%s", rnd() % 2 ? "x." : "", p->pool + off);
		else
			snprintf(buf[i], sizeof(buf[i]), "%s", other[rnd() % 4]);
		names[i] = buf[i];
	}
	d->asn = 0;
	for (size_t i = 0; i < p->nrules && rnd() % 2; i++)
		if (p->rules[i].nasns)
			d->asn = p->rules[i].asns[rnd() % p->rules[i].nasns] + (uint32_t)(rnd() % 3) - 1;
}

static int compare(const char *name, const struct rules_policy *p, int n)
{
	struct rules_flow f;
	struct geo_answer g;
	struct rules_dest d;
	int bad = 0;

	for (int i = 0; i < n && p->nrules; i++) {
		random_flow(p, &f, &g);
		random_dest(p, &d);
		if (rules_first_match(p, &f, &g, &d, 1) != rules_first_match(p, &f, &g, &d, 0) && !bad++)
			diag("%s: flow %d: index says %ld, scan says %ld", name, i,
			     rules_first_match(p, &f, &g, &d, 1), rules_first_match(p, &f, &g, &d, 0));
		if (rules_device(p, &f, 1) != rules_device(p, &f, 0) && !bad++)
			diag("%s: flow %d: device index says %s, scan says %s", name, i,
			     rules_device(p, &f, 1) ? rules_device(p, &f, 1) : "-",
			     rules_device(p, &f, 0) ? rules_device(p, &f, 0) : "-");
	}
	return ok(bad == 0, "%s: index == scan (rule and device) on %d flows", name, n);
}

int main(void)
{
	static const char *const fields[] = { "", "option country-field registered\n",
					      "option country-field either\n" };
	glob_t g;

	if (glob("tests/rules/valid/*.conf", 0, NULL, &g) != 0 ||
	    glob("rules/examples/*.conf", GLOB_APPEND, NULL, &g) != 0) {
		printf("Bail out! no policy files (run from the top directory)\n");
		return 1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *fp = fopen(g.gl_pathv[i], "r");
		char text[65536], buf[66000];
		size_t len = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;

		if (fp)
			fclose(fp);
		text[len] = 0;
		for (int k = 0; k < 3; k++) {
			struct rules_policy *p;
			char name[300];

			/* a second country-field option would be an error */
			if (k && strstr(text, "option country-field"))
				continue;
			snprintf(buf, sizeof(buf), "%s%s", fields[k], text);
			p = rules_parse_buf(buf, strlen(buf), g.gl_pathv[i], NULL);
			snprintf(name, sizeof(name), "%s%s", g.gl_pathv[i], k == 1 ? " (registered)" :
				 k == 2 ? " (either)" : "");
			if (ok(p != NULL, "%s parses", name))
				compare(name, p, 20000);
			rules_free(p);
		}
	}
	globfree(&g);
	return tap_done();
}
