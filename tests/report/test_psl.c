// SPDX-License-Identifier: GPL-2.0-or-later
/* Registered domains (report/psl.c): the Public Suffix List's algorithm on a
 * small list of its own (normal, wildcard and exception rules), without
 * a list, and on Debian's list when it is installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "tests/tap.h"

static const char *dom(const struct report_psl *p, const char *name)
{
	static char out[256];
	size_t len;
	const char *d = report_psl_domain(p, name, strlen(name), &len);

	if (!d)
		return "(suffix)";
	snprintf(out, sizeof(out), "%.*s", (int)len, d);
	return out;
}

int main(void)
{
	char path[] = "/tmp/ge-psl-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct report_psl *p;

	if (!f) {
		printf("Bail out! mkstemp\n");
		return 1;
	}
	fputs("// ===BEGIN ICANN DOMAINS===\n\ncom\nuk\nco.uk\n*.ck\n!www.ck\n// a comment\nTEST\n", f);
	fclose(f);
	p = report_psl_open(path);
	unlink(path);
	ok(p != NULL, "a small list opens");
	is_str(dom(p, "a.b.example.com"), "example.com", "one label above a normal rule");
	is_str(dom(p, "cdn.vendor.co.uk"), "vendor.co.uk", "the rule with the most labels prevails");
	is_str(dom(p, "co.uk"), "(suffix)", "a public suffix has no registered domain");
	is_str(dom(p, "a.b.ck"), "a.b.ck", "a wildcard counts its star: b.ck is a suffix");
	is_str(dom(p, "x.www.ck"), "www.ck", "an exception prevails: www.ck is registrable");
	is_str(dom(p, "app.vendor.test"), "vendor.test", "rules are read in any case");
	is_str(dom(p, "x.y.invalid"), "y.invalid", "no rule: the rule \"*\" (the last label)");
	report_psl_free(p);
	is_str(dom(NULL, "cdn.vendor.co.uk"), "co.uk", "no list: the last two labels");
	is_str(dom(NULL, "test"), "(suffix)", "no list: a single label is a suffix");
	ok(report_psl_open("/nonexistent/psl.dat") == NULL, "a missing list: NULL");
	p = report_psl_open(REPORT_PSL_DEFAULT);
	if (p) {
		is_str(dom(p, "a.b.example.co.uk"), "example.co.uk", "Debian's list: co.uk");
		is_str(dom(p, "x.s3.amazonaws.com"), "x.s3.amazonaws.com", "Debian's list: private rules too");
		report_psl_free(p);
	} else {
		ok(1, "# SKIP Debian's publicsuffix is not installed");
	}
	return tap_done();
}
