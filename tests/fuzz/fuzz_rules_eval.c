// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness for policy evaluation: parse; if it parses, decide a
 * few flows made of the input, with the index and with the plain
 * rule-by-rule scan, which must agree (first matching rule and device
 * set).  Seeds: fuzz_rules's (tests/fuzz/run). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/rules.h"
#include "rules/rules_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct rules_policy *p = rules_parse_buf((const char *)data, size, "fuzz.conf", NULL);

	if (p) {
		eval_some(p, data, size);
		rules_free(p);
	}
	return 0;
}
