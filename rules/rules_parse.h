/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rules — private: the parser state shared by the files of the parser:
 * rules_parse.c (statements, sets, rules), rules_elem.c (list elements),
 * rules_option.c (`option NAME VALUE`) and rules_compile.c (warnings). */
#ifndef GEOEGRESS_RULES_PARSE_H
#define GEOEGRESS_RULES_PARSE_H

#include "rules/rules_diag.h"
#include "rules/rules_int.h"

/* Where a list or element appears: decides what it may contain. */
enum ctx {
	CTX_DEVICES = 0,	/* devices set: addresses, CIDRs, MACs, @devices/@networks */
	CTX_NETWORKS,		/* networks set: addresses, CIDRs, @networks */
	CTX_COUNTRIES,		/* countries set: codes, @countries, @group */
	CTX_SRC,		/* rule source: like a devices set */
	CTX_DST,		/* rule destination: like a networks set */
	CTX_CC,			/* rule `country`: like a countries set */
	CTX_PROTO,
	CTX_PORT,
	CTX_HOSTS,		/* hosts set: names, *.domains, @hosts */
	CTX_HOST,		/* rule `to host`: like a hosts set */
	CTX_ASN,		/* rule `to asn`: AS numbers */
};

struct parser {
	struct diagctx dc;
	struct tok *t;
	size_t nt, i;
	struct rules_policy *p;
	int oom;
	int saw_default;	/* a default statement, even a bad one */
};

static inline struct tok *pcur(struct parser *ps)
{
	return &ps->t[ps->i];
}

static inline struct tok *pnext(struct parser *ps)
{
	if (ps->t[ps->i].kind != T_EOF)
		ps->i++;
	return &ps->t[ps->i];
}

static inline int tok_end(const struct tok *t)
{
	return t->kind == T_NL || t->kind == T_EOF;
}

#define TOKFMT(t) (int)((t)->len > 40 ? 40 : (t)->len), (t)->p

/* rules_elem.c */
void perr(struct parser *ps, const struct tok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tok_is(const struct tok *t, const char *word);
int parse_elem(struct parser *ps, enum ctx ctx, const struct tok *t, struct elem *out);
int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out);
int elist_push(struct parser *ps, struct elist *l, const struct elem *e);
void elist_free(struct elist *l);

/* rules_option.c: `option NAME VALUE` at the current token; 0 or -1 (reported). */
int rules_parse_option(struct parser *ps);
/* rules_compile.c: unused sets and shadowed rules, after a parse without errors. */
void rules_check_warnings(struct parser *ps);

#endif
