// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness for the policy parser: parse; if it parses, print the
 * canonical form, parse that again (must succeed and be equal), print it
 * again (must be byte-identical: a fixed point), evaluate a few flows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/rules.h"
#include "rules/rules_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print_policy(const struct rules_policy *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (rules_print(p, f) < 0)
		abort();
	fclose(f);
	return buf;
}

/* The index and the plain rule-by-rule scan must agree on every flow. */
static void eval_some(const struct rules_policy *p, const uint8_t *data, size_t size)
{
	static const struct geo_answer geos[] = {
		{ .located = ('C' << 8) | 'N', .registered = ('S' << 8) | 'G', .found = 1 },
		{ .located = ('I' << 8) | 'N', .found = 1 },
		{ .registered = ('H' << 8) | 'K', .found = 1 },
		{ .located = ('c' << 8) | 'n', .found = 1 },
		{ 0 },
	};
	struct rules_flow fl;
	struct rules_verdict v;
	const char *names[2] = { "vendor.test", "a.vendor.test" };
	struct rules_dest dest = { names, 2, 64500 };

	/* the policy's own names, as a destination's */
	if (p->poollen) {
		names[0] = p->pool;
		names[1] = p->pool + strlen(p->pool) + 1 < p->pool + p->poollen ?
			   p->pool + strlen(p->pool) + 1 : "x.test";
	}
	for (size_t k = 0; k < 8; k++) {
		size_t off = size ? (k * 7) % size : 0, n = size - off;
		const struct geo_answer *g = &geos[k % 5];

		memset(&fl, 0, sizeof(fl));
		fl.family = k & 1 ? AF_INET6 : AF_INET;
		memcpy(fl.dst.b, data + off, n < 16 ? n : 16);
		memcpy(fl.src.b, data + off + n / 2, n / 2 < 16 ? n / 2 : 16);
		if (k & 2)	/* lab-like addresses too, so sets are hit */
			memcpy(fl.src.b, k & 1 ? "\x20\x01\x0d\xb8\x00\x01" : "\xc6\x12\x01\x14", k & 1 ? 6 : 4);
		fl.proto = (uint8_t)(k < 4 ? 6 : size ? data[size - 1] : 17);
		fl.has_ports = k != 5;
		fl.dport = (uint16_t)(k < 3 ? 443 : size > 1 ? data[0] << 8 | data[1] : 53);
		fl.has_mac = k & 1;
		memcpy(fl.src_mac, data + off, n < 6 ? n : 6);
		dest.nnames = (unsigned)(k % 3);
		dest.asn = k & 4 ? 64500 : 0;
		if (rules_first_match(p, &fl, g, &dest, 1) != rules_first_match(p, &fl, g, &dest, 0) ||
		    rules_device(p, &fl, 1) != rules_device(p, &fl, 0)) {
			fprintf(stderr, "index and linear scan disagree (flow %zu)\n", k);
			abort();
		}
		rules_eval_dest(p, &fl, g, &dest, &v);
	}
	rules_eval(p, &fl, NULL, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_errors e = { 0 }, e2 = { 0 };
	struct rules_policy *p, *q;
	char *t1, *t2;
	size_t l1, l2;

	p = rules_parse_buf((const char *)data, size, "fuzz.conf", &e);
	if (!p) {
		if (e.nerrors == 0)
			abort();	/* a failed parse must say why */
		rules_errors_free(&e);
		return 0;
	}
	eval_some(p, data, size);
	t1 = print_policy(p, &l1);
	q = rules_parse_buf(t1, l1, "printed.conf", &e2);
	if (!q) {
		fprintf(stderr, "printed policy does not parse:\n%s\n%s\n", t1,
			e2.count ? e2.diags[0].text : "");
		abort();
	}
	if (!rules_equal(p, q)) {
		fprintf(stderr, "parse(print(p)) != p:\n%s\n", t1);
		abort();
	}
	t2 = print_policy(q, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1)) {
		fprintf(stderr, "print is not a fixed point:\n%s\n---\n%s\n", t1, t2);
		abort();
	}
	free(t1);
	free(t2);
	rules_free(q);
	rules_free(p);
	rules_errors_free(&e);
	rules_errors_free(&e2);
	return 0;
}
