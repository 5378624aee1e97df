// SPDX-License-Identifier: GPL-2.0-or-later
/* parse(print(p)) equals p, and print is a fixed point, for every valid
 * golden file and example; rules_equal() tells different policies apart. */
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "tests/tap.h"

static char *print_policy(const struct rules_policy *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f || rules_print(p, f) < 0)
		exit(2);
	fclose(f);
	return buf;
}

static struct rules_policy *parse_text(const char *t, size_t len)
{
	return rules_parse_buf(t, len, "printed.conf", NULL);
}

int main(void)
{
	struct rules_policy *pols[64];
	size_t n = 0;
	glob_t g;

	if (glob("tests/rules/valid/*.conf", 0, NULL, &g) != 0 ||
	    glob("rules/examples/*.conf", GLOB_APPEND, NULL, &g) != 0) {
		printf("Bail out! no policy files (run from the top directory)\n");
		return 1;
	}
	for (size_t i = 0; i < g.gl_pathc && n < 64; i++) {
		const char *path = g.gl_pathv[i];
		struct rules_policy *p = rules_parse_file(path, NULL), *q;
		char *t1, *t2;
		size_t l1, l2;

		if (!ok(p != NULL, "%s parses", path))
			continue;
		t1 = print_policy(p, &l1);
		q = parse_text(t1, l1);
		ok(q != NULL, "%s: the printed form parses", path);
		ok(q && rules_equal(p, q), "%s: parse(print(p)) == p", path);
		t2 = q ? print_policy(q, &l2) : NULL;
		ok(t2 && l1 == l2 && !memcmp(t1, t2, l1), "%s: print(parse(print(p))) == print(p)", path);
		free(t1);
		free(t2);
		rules_free(q);
		pols[n++] = p;
	}
	/* different files are different policies */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j && rules_equal(pols[i], pols[j]))
				ok(0, "%s == %s?", g.gl_pathv[i], g.gl_pathv[j]);
	ok(n >= 9, "compared %zu policies pairwise: all different", n);
	{
		const char *a = "block to country CN\ndefault allow\n", *b = "block to country HK\ndefault allow\n",
			   *c = "block log to country CN\ndefault allow\n", *d = "block to country CN\ndefault block\n",
			   *e = "# comment\n\nblock  to country { cn }   # x\ndefault allow";
		struct rules_policy *pa = parse_text(a, strlen(a)), *pb = parse_text(b, strlen(b)),
				    *pc = parse_text(c, strlen(c)), *pd = parse_text(d, strlen(d)),
				    *pe = parse_text(e, strlen(e));

		ok(!rules_equal(pa, pb), "equality sees the country");
		ok(!rules_equal(pa, pc), "equality sees log");
		ok(!rules_equal(pa, pd), "equality sees the default");
		ok(rules_equal(pa, pe), "equality ignores comments, spacing, case of codes, braces");
		rules_free(pa);
		rules_free(pb);
		rules_free(pc);
		rules_free(pd);
		rules_free(pe);
	}
	for (size_t i = 0; i < n; i++)
		rules_free(pols[i]);
	globfree(&g);
	return tap_done();
}
