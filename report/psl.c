// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Registered domains from the Public Suffix List (https://publicsuffix.org;
 * Debian's publicsuffix package installs it as
 * /usr/share/publicsuffix/public_suffix_list.dat).  The algorithm is the
 * list's own: of the rules matching a name, an exception rule (!www.ck)
 * prevails, else the one with the most labels (a wildcard, *.ck, counts
 * its star); no match is the rule "*".  The public suffix is what the
 * prevailing rule matched (an exception less its first label), and the
 * registered domain that and one label more: a.b.vendor.co.uk → vendor.co.uk.
 *
 * The list spells internationalised suffixes in Unicode; names in the log
 * are in their DNS (punycode) form, so those fall to the rule "*".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "util/hash.h"

enum { R_NORMAL = 1, R_WILD, R_EXCEPT };

struct rule {
	uint64_t hash;		/* 0: empty */
	uint32_t off, len;	/* in text */
	uint8_t kind;
};

struct report_psl {
	struct rule *v;
	size_t cap, n;
	char *text;		/* the rules, each NUL-terminated */
	size_t textlen, textcap;
};

static uint64_t hash(const char *s, size_t len, int kind)
{
	uint64_t h = fnv1a64(FNV1A64_BASIS ^ (uint64_t)kind, s, len);

	return h ? h : 1;
}

static struct rule *slot(const struct report_psl *p, const char *s, size_t len, int kind, uint64_t h)
{
	for (size_t i = h & (p->cap - 1);; i = (i + 1) & (p->cap - 1)) {
		struct rule *r = &p->v[i];

		if (!r->hash || (r->hash == h && r->kind == kind && r->len == len &&
				 !memcmp(p->text + r->off, s, len)))
			return r;
	}
}

static int grow(struct report_psl *p)
{
	struct report_psl n = *p;

	n.cap = p->cap ? p->cap * 2 : 16384;
	n.v = calloc(n.cap, sizeof(*n.v));
	if (!n.v)
		return -1;
	for (size_t i = 0; i < p->cap; i++)
		if (p->v[i].hash)
			*slot(&n, p->text + p->v[i].off, p->v[i].len, p->v[i].kind, p->v[i].hash) = p->v[i];
	free(p->v);
	*p = n;
	return 0;
}

static int add(struct report_psl *p, const char *s, size_t len, int kind)
{
	uint64_t h = hash(s, len, kind);
	struct rule *r;

	if ((p->n + 1) * 2 > p->cap && grow(p) < 0)
		return -1;
	if (p->textlen + len + 1 > p->textcap) {
		size_t cap = (p->textlen + len + 1) * 2;
		char *t = realloc(p->text, cap);

		if (!t)
			return -1;
		p->text = t;
		p->textcap = cap;
	}
	r = slot(p, s, len, kind, h);
	if (r->hash)
		return 0;	/* a duplicate */
	memcpy(p->text + p->textlen, s, len);
	p->text[p->textlen + len] = '\0';
	*r = (struct rule){ h, (uint32_t)p->textlen, (uint32_t)len, (uint8_t)kind };
	p->textlen += len + 1;
	p->n++;
	return 0;
}

/* One line of the list: a rule up to the first white space, lower case. */
static int add_line(struct report_psl *p, char *line)
{
	size_t len = strcspn(line, " \t\r\n");
	int kind = R_NORMAL;

	if (!len || (line[0] == '/' && line[1] == '/'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (line[i] >= 'A' && line[i] <= 'Z')
			line[i] = (char)(line[i] - 'A' + 'a');
	if (line[0] == '!')
		kind = R_EXCEPT, line++, len--;
	else if (len > 2 && line[0] == '*' && line[1] == '.')
		kind = R_WILD, line += 2, len -= 2;	/* stored as the domain below the star */
	return len ? add(p, line, len, kind) : 0;
}

struct report_psl *report_psl_open(const char *path)
{
	struct report_psl *p = calloc(1, sizeof(*p));
	FILE *f = fopen(path, "re");
	char line[1024];
	int e;

	if (!p || !f)
		goto fail;
	while (fgets(line, sizeof(line), f))
		if (add_line(p, line) < 0)
			goto fail;
	if (ferror(f) || !p->n) {
		errno = ferror(f) ? EIO : ENODATA;
		goto fail;
	}
	fclose(f);
	return p;
fail:
	e = errno ? errno : ENOMEM;
	if (f)
		fclose(f);
	report_psl_free(p);
	errno = e;
	return NULL;
}

void report_psl_free(struct report_psl *p)
{
	if (!p)
		return;
	free(p->v);
	free(p->text);
	free(p);
}

static int has(const struct report_psl *p, const char *s, size_t len, int kind)
{
	return p->cap && slot(p, s, len, kind, hash(s, len, kind))->hash;
}

/* Where the public suffix of name starts (an offset into it). */
static size_t suffix_at(const struct report_psl *p, const char *name, size_t len)
{
	size_t best = len, at[128];	/* label starts */
	int n = 0;

	for (size_t i = 0; i < len && n < 128; i++)
		if (i == 0 || name[i - 1] == '.')
			at[n++] = i;
	for (int k = 0; k < n; k++)	/* an exception prevails: its suffix less its first label */
		if (has(p, name + at[k], len - at[k], R_EXCEPT))
			return k + 1 < n ? at[k + 1] : len;
	for (int k = 0; k < n && best == len; k++) {	/* the most labels first */
		if (has(p, name + at[k], len - at[k], R_NORMAL))
			best = at[k];
		else if (k + 1 < n && has(p, name + at[k + 1], len - at[k + 1], R_WILD))
			best = at[k];
	}
	if (best == len && n)	/* the rule "*": the last label */
		best = at[n - 1];
	return best;
}

const char *report_psl_domain(const struct report_psl *p, const char *name, size_t len, size_t *outlen)
{
	static const struct report_psl none;
	size_t ps, d;

	if (!len)
		return NULL;
	ps = suffix_at(p ? p : &none, name, len);
	if (ps == 0)
		return NULL;	/* the name is a public suffix itself */
	for (d = ps - 1; d > 0 && name[d - 1] != '.'; d--)	/* one label more */
		;
	*outlen = len - d;
	return name + d;
}
