// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness for the policy parser: parse; if it parses, print the
 * canonical form, parse that again (must succeed and be equal), print it
 * again (must be byte-identical: a fixed point).  The evaluation of the
 * policies it parses is fuzz_rules_eval.c's (same seeds). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

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
