// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — the lexer: policy text in memory → an array of tokens.
 * Lexical errors are reported through a callback and become T_BAD tokens,
 * so the parser skips the statement without a second message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

struct lexer {
	const char *s, *end;
	int line;
	const char *bol;	/* beginning of the current line */
	struct tok *v;
	size_t n, cap;
	void (*bad)(void *ctx, int line, int col, int width, const char *msg);
	void *ctx;
	int oom;
};

static int is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '/' || c == '-' || c == '+' || c == '*';
}

static int push(struct lexer *lx, enum tok_kind k, const char *p, size_t len)
{
	struct tok *t;

	if (lx->n == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 64;
		struct tok *nv = realloc(lx->v, cap * sizeof(*nv));

		if (!nv) {
			lx->oom = 1;
			return -1;
		}
		lx->v = nv;
		lx->cap = cap;
	}
	t = &lx->v[lx->n++];
	t->kind = k;
	t->p = p;
	t->len = len;
	t->line = lx->line;
	t->col = (int)(p - lx->bol) + 1;
	return 0;
}

static void report(struct lexer *lx, const char *p, int width, const char *msg)
{
	lx->bad(lx->ctx, lx->line, (int)(p - lx->bol) + 1, width, msg);
}

/* A string runs to the closing quote on the same line; \" and \\ escape. */
static const char *lex_string(struct lexer *lx, const char *p)
{
	const char *q = p + 1;
	int badc = 0;

	while (q < lx->end && *q != '"' && *q != '\n') {
		unsigned char c = (unsigned char)*q;

		if (c == '\\' && q + 1 < lx->end && (q[1] == '"' || q[1] == '\\')) {
			q += 2;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			if (!badc)
				report(lx, q, 1, "control character in a string; strings are one line of text");
			badc = 1;
		}
		q++;
	}
	if (q >= lx->end || *q != '"') {
		report(lx, p, 1, "unterminated string: missing '\"' before the end of the line");
		push(lx, T_BAD, p, (size_t)(q - p));
		return q;
	}
	push(lx, badc ? T_BAD : T_STRING, p, (size_t)(q + 1 - p));
	return q + 1;
}

static const char *lex_other(struct lexer *lx, const char *p)
{
	char msg[96];
	unsigned char c = (unsigned char)*p;
	const char *q;

	if (c == '!' && p + 1 < lx->end && p[1] == '=') {
		push(lx, T_NE, p, 2);
		return p + 2;
	}
	if (c == '@') {
		q = p + 1;

		while (q < lx->end && is_word((unsigned char)*q))
			q++;
		if (q == p + 1) {
			report(lx, p, 1, "'@' must be followed by a set name, as in @managed");
			push(lx, T_BAD, p, 1);
		} else {
			push(lx, T_REF, p, (size_t)(q - p));
		}
		return q;
	}
	if (c == '!')
		snprintf(msg, sizeof(msg), "unexpected '!'; negation is written '!=', as in 'country != { IN }'");
	else if (c > 0x20 && c < 0x7f)
		snprintf(msg, sizeof(msg), "unexpected character '%c'", c);
	else
		snprintf(msg, sizeof(msg), "unexpected byte 0x%02x (only ASCII outside strings)", c);
	report(lx, p, 1, msg);
	/* the rest of a word glued to it ("$CN") is part of the same mistake */
	q = p + 1;
	while (q < lx->end && is_word((unsigned char)*q))
		q++;
	push(lx, T_BAD, p, (size_t)(q - p));
	return q;
}

struct tok *rules_lex(const char *text, size_t len, size_t *ntok,
		      void (*bad)(void *ctx, int line, int col, int width, const char *msg),
		      void *ctx)
{
	struct lexer lx = { .s = text, .end = text + len, .line = 1, .bol = text,
			    .bad = bad, .ctx = ctx };
	const char *p = text;

	while (p < lx.end) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\r') {
			p++;
		} else if (c == '#') {
			while (p < lx.end && *p != '\n')
				p++;
		} else if (c == '\n') {
			push(&lx, T_NL, p, 1);
			lx.line++;
			lx.bol = ++p;
		} else if (c == ';') {
			push(&lx, T_NL, p++, 1);
		} else if (c == '{' || c == '}' || c == ',' || c == '=') {
			push(&lx, c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : c == ',' ? T_COMMA : T_EQ, p, 1);
			p++;
		} else if (c == '"') {
			p = lex_string(&lx, p);
		} else if (is_word(c)) {
			const char *q = p;

			while (q < lx.end && is_word((unsigned char)*q))
				q++;
			push(&lx, T_WORD, p, (size_t)(q - p));
			p = q;
		} else {
			p = lex_other(&lx, p);
		}
	}
	push(&lx, T_NL, p, 0);
	push(&lx, T_EOF, p, 0);
	if (lx.oom || !lx.v || lx.n < 2) {
		free(lx.v);
		return NULL;
	}
	*ntok = lx.n;
	return lx.v;
}
