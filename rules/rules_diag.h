/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rules — private: diagnostics and "did you mean" suggestions. */
#ifndef GEOEGRESS_RULES_DIAG_H
#define GEOEGRESS_RULES_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#include "rules/rules_int.h"

struct diagctx {
	const char *file;
	const char *text;
	size_t len;
	struct rules_errors *errs;	/* may be NULL: only count */
	size_t nerrors, nwarnings;
};

void diag_lines(struct diagctx *dc, const char *text, size_t len);
void diag(struct diagctx *dc, enum rules_severity sev, int line, int col, int width,
	  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void diag_v(struct diagctx *dc, enum rules_severity sev, int line, int col, int width,
	    const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

void diag_sort(struct rules_errors *e);

/* The nearest candidate within a small edit distance, or NULL. */
struct sugg {
	const char *word;
	size_t len;
	const char *best;
	int dist;
};
void sugg_init(struct sugg *s, const char *word, size_t len);
void sugg_offer(struct sugg *s, const char *cand);
const char *sugg_pick(const char *word, size_t len, const char *const *cands, size_t n);

#endif
