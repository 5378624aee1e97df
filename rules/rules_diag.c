// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — diagnostics (nft style: "file:line:col: error: message", the
 * source line, a caret under the token) and "did you mean" suggestions. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_diag.h"

/* Diagnostics kept with their text; the rest are only counted (as
 * compilers stop listing errors after a while).  Fuzz builds keep fewer:
 * what the fuzzer checks of a failed parse is that it says why, and an
 * input of a thousand errors would format a thousand messages a run. */
#ifdef GEOEGRESS_FUZZ
#define MAX_DIAGS 16
#else
#define MAX_DIAGS 100
#endif

int rules_edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
	int d[33][33];

	if (alen > 32 || blen > 32)
		return 99;
	for (size_t i = 0; i <= alen; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= blen; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= alen; i++) {
		for (size_t j = 1; j <= blen; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			/* a transposition counts as one edit */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[alen][blen];
}

/* How far a candidate may be from what was typed and still be suggested. */
static int max_distance(size_t len)
{
	return len <= 3 ? 1 : len <= 6 ? 2 : 3;
}

void sugg_init(struct sugg *s, const char *word, size_t len)
{
	s->word = word;
	s->len = len;
	s->best = NULL;
	s->dist = max_distance(len) + 1;
}

void sugg_offer(struct sugg *s, const char *cand)
{
	size_t cl = strlen(cand);
	int d;

	/* The distance is at least the difference in length: a candidate
	 * that cannot beat the best so far costs no matrix. */
	if ((cl > s->len ? cl - s->len : s->len - cl) >= (size_t)s->dist)
		return;
	d = rules_edit_distance(s->word, s->len, cand, cl);

	if (d < s->dist && d > 0 && (size_t)d < (s->len > cl ? s->len : cl)) {
		s->dist = d;
		s->best = cand;
	}
}

const char *sugg_pick(const char *word, size_t len, const char *const *cands, size_t n)
{
	struct sugg s;

	sugg_init(&s, word, len);
	for (size_t i = 0; i < n; i++)
		sugg_offer(&s, cands[i]);
	return s.best;
}

void diag_lines(struct diagctx *dc, const char *text, size_t len)
{
	dc->text = text;
	dc->len = len;
}

/* Finds line n (1-based) of the text; *ll is its length without "\r\n". */
static const char *find_line(const struct diagctx *dc, int n, size_t *ll)
{
	const char *p = dc->text, *end = dc->text + dc->len, *nl;

	for (int i = 1; i < n && p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p > end || (p == end && n > 1 && (p == dc->text || p[-1] != '\n')))
		return NULL;
	nl = memchr(p, '\n', (size_t)(end - p));
	*ll = (size_t)((nl ? nl : end) - p);
	if (*ll && p[*ll - 1] == '\r')
		(*ll)--;
	return p;
}

/* The caret line: tabs copied so the caret lines up, UTF-8 continuation
 * bytes skipped so a multi-byte character takes one column. */
static void caret(FILE *f, const char *src, size_t ll, int col, int width)
{
	size_t c = col > 0 ? (size_t)col - 1 : 0;

	for (size_t i = 0; i < c && i < ll; i++) {
		unsigned char ch = (unsigned char)src[i];

		if (ch == '\t')
			fputc('\t', f);
		else if ((ch & 0xc0) != 0x80)
			fputc(' ', f);
	}
	fputc('^', f);
	for (int i = 1; i < width && c + (size_t)i < ll; i++)
		if (((unsigned char)src[c + (size_t)i] & 0xc0) != 0x80)
			fputc('~', f);
}

void diag_v(struct diagctx *dc, enum rules_severity sev, int line, int col, int width,
	    const char *fmt, va_list ap)
{
	struct rules_errors *e = dc->errs;
	struct rules_diag *nd;
	char *buf = NULL;
	size_t blen = 0, ll = 0;
	const char *src;
	FILE *f;

	if (sev == RULES_ERROR)
		dc->nerrors++;
	else
		dc->nwarnings++;
	if (!e)
		return;
	if (sev == RULES_ERROR)
		e->nerrors++;
	else
		e->nwarnings++;
	if (e->count >= MAX_DIAGS)
		return;
	f = open_memstream(&buf, &blen);
	if (!f)
		return;
	if (line > 0)
		fprintf(f, "%s:%d:%d: %s: ", dc->file, line, col,
			sev == RULES_ERROR ? "error" : "warning");
	else
		fprintf(f, "%s: %s: ", dc->file, sev == RULES_ERROR ? "error" : "warning");
	vfprintf(f, fmt, ap);
	src = line > 0 ? find_line(dc, line, &ll) : NULL;
	if (src) {
		fprintf(f, "\n%.*s\n", (int)ll, src);
		caret(f, src, ll, col, width < 1 ? 1 : width);
	}
	if (fclose(f) != 0) {
		free(buf);
		return;
	}
	nd = realloc(e->diags, (e->count + 1) * sizeof(*nd));
	if (!nd) {
		free(buf);
		return;
	}
	e->diags = nd;
	nd[e->count].severity = sev;
	nd[e->count].line = line;
	nd[e->count].col = col;
	nd[e->count].text = buf;
	e->count++;
}

void diag(struct diagctx *dc, enum rules_severity sev, int line, int col, int width,
	  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(dc, sev, line, col, width, fmt, ap);
	va_end(ap);
}

void rules_errors_free(struct rules_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->count; i++)
		free(e->diags[i].text);
	free(e->diags);
	memset(e, 0, sizeof(*e));
}

/* Stable sort by position; diagnostics without a line go last. */
void diag_sort(struct rules_errors *e)
{
	if (!e)
		return;
	for (size_t i = 1; i < e->count; i++) {
		struct rules_diag d = e->diags[i];
		long key = d.line > 0 ? (long)d.line * 100000 + d.col : LONG_MAX;
		size_t j = i;

		while (j > 0) {
			const struct rules_diag *p = &e->diags[j - 1];
			long pk = p->line > 0 ? (long)p->line * 100000 + p->col : LONG_MAX;

			if (pk <= key)
				break;
			e->diags[j] = e->diags[j - 1];
			j--;
		}
		e->diags[j] = d;
	}
}
