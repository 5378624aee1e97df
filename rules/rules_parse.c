// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — the recursive-descent parser: statements, sets and rules.
 * Every error is reported and parsing resumes at the next statement, so
 * one run shows them all. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_parse.h"

static const char *const stmt_words[] = {
	"option", "devices", "networks", "countries", "hosts", "allow", "block", "reject", "log", "default",
};
#define NSTMT (sizeof(stmt_words) / sizeof(stmt_words[0]))

static int is_stmt_word(const struct tok *t)
{
	for (size_t i = 0; i < NSTMT; i++)
		if (tok_is(t, stmt_words[i]))
			return 1;
	return 0;
}

/* A statement keyword at the start of a line: where a statement begins. */
static int stmt_start(const struct parser *ps, size_t i)
{
	return is_stmt_word(&ps->t[i]) && i > 0 && ps->t[i - 1].kind == T_NL;
}

/* Skips to the end of the statement; newlines inside { } do not end it,
 * unless a statement keyword starts the next line (an unclosed brace). */
static void skip_stmt(struct parser *ps)
{
	int depth = 0;

	for (;;) {
		struct tok *t = pcur(ps);

		if (t->kind == T_EOF || stmt_start(ps, ps->i))
			return;
		if (t->kind == T_LBRACE)
			depth++;
		else if (t->kind == T_RBRACE && depth > 0)
			depth--;
		else if (t->kind == T_NL && (depth == 0 || stmt_start(ps, ps->i + 1)))
			return;
		pnext(ps);
	}
}

static int action_of(const struct tok *t, enum rules_action *a)
{
	for (size_t i = 0; i < RULES_NACTION; i++) {
		if (tok_is(t, rules_action_words[i])) {
			*a = (enum rules_action)i;
			return 0;
		}
	}
	return -1;
}

static char *tok_string(struct parser *ps, const struct tok *t)
{
	char *s = malloc(t->len), *o = s;

	if (!s) {
		ps->oom = 1;
		return NULL;
	}
	for (size_t i = 1; i + 1 < t->len; i++) {
		if (t->p[i] == '\\' && i + 2 < t->len && (t->p[i + 1] == '"' || t->p[i + 1] == '\\'))
			i++;
		*o++ = t->p[i];
	}
	*o = 0;
	return s;
}

/* Parses ELEMENT or { ELEMENT, ... } at the current token into l.
 * Returns -1 on a structural error (unterminated brace: the statement is
 * abandoned), else the number of bad elements (each already reported). */
static int parse_list(struct parser *ps, enum ctx ctx, struct elist *l, int need_brace)
{
	struct tok *open = pcur(ps), *t;
	struct elem e;
	int bad = 0;

	if (open->kind != T_LBRACE) {
		if (need_brace) {
			if (open->kind != T_BAD)
				perr(ps, open, "expected '{' to start the list of elements");
			return -1;
		}
		if (open->kind == T_BAD)
			return -1;
		if (parse_elem(ps, ctx, open, &e) < 0)
			bad++;
		else
			elist_push(ps, l, &e);
		if (!tok_end(open))
			pnext(ps);
		return bad;
	}
	pnext(ps);
	for (;;) {
		t = pcur(ps);
		if (t->kind == T_NL || t->kind == T_COMMA) {
			pnext(ps);
			continue;
		}
		if (t->kind == T_RBRACE) {
			pnext(ps);
			if (!need_brace && l->n == 0 && bad == 0) {
				/* in a rule, nothing would mean "any" to a reader and "none" to a parser */
				perr(ps, open, "empty list '{ }': give at least one element, or leave the clause out");
				return 1;
			}
			return bad;
		}
		if (t->kind == T_EOF || stmt_start(ps, ps->i)) {
			perr(ps, open, "this '{' is never closed: missing '}'");
			return -1;
		}
		if (t->kind == T_BAD)
			bad++;
		else if (parse_elem(ps, ctx, t, &e) < 0)
			bad++;
		else
			elist_push(ps, l, &e);
		t = pnext(ps);
		if (t->kind != T_COMMA && t->kind != T_NL && t->kind != T_RBRACE && t->kind != T_EOF &&
		    !stmt_start(ps, ps->i)) {
			perr(ps, t, "expected ',' or '}' before '%.*s'", TOKFMT(t));
			bad++;
		}
	}
}

static int parse_stmt_end(struct parser *ps)
{
	struct tok *t = pcur(ps);

	if (tok_end(t))
		return 0;
	if (t->kind != T_BAD)
		perr(ps, t, "unexpected '%.*s' after the end of the statement", TOKFMT(t));
	return -1;
}

/* ---- sets ---- */

static int valid_name(const struct tok *t)
{
	if (t->kind != T_WORD || t->len > RULES_SET_NAME_MAX)
		return 0;
	if (!(t->p[0] == '_' || (t->p[0] >= 'a' && t->p[0] <= 'z') || (t->p[0] >= 'A' && t->p[0] <= 'Z')))
		return 0;
	for (size_t i = 1; i < t->len; i++) {
		char c = t->p[i];

		if (!(c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

static int set_name_ok(struct parser *ps, const struct tok *kw, const struct tok *n)
{
	if (tok_end(n)) {
		perr(ps, n, "expected a set name after '%.*s'", TOKFMT(kw));
		return -1;
	}
	if (!valid_name(n)) {
		perr(ps, n, "invalid set name '%.*s': use letters, digits, '_' and '-', starting with a "
			    "letter or '_'", TOKFMT(n));
		return -1;
	}
	for (size_t i = 0; i < rules_ngroups; i++) {
		if (tok_is(n, rules_groups[i].name)) {
			perr(ps, n, "'%s' is a built-in country group; choose another name",
			     rules_groups[i].name);
			return -1;
		}
	}
	for (size_t i = 0; i < ps->p->nsets; i++) {
		if (strlen(ps->p->sets[i].name) == n->len && !memcmp(ps->p->sets[i].name, n->p, n->len)) {
			perr(ps, n, "set '%.*s' is already defined on line %d", TOKFMT(n),
			     ps->p->sets[i].line);
			return -1;
		}
	}
	return 0;
}

static int add_set(struct parser *ps, struct rset *s)
{
	struct rules_policy *p = ps->p;

	if (p->nsets == p->capsets) {
		size_t cap = p->capsets ? p->capsets * 2 : 8;
		struct rset *nv = realloc(p->sets, cap * sizeof(*nv));

		if (!nv)
			return -1;
		p->sets = nv;
		p->capsets = cap;
	}
	p->sets[p->nsets++] = *s;
	return 0;
}

static const enum ctx set_ctx[] = { CTX_DEVICES, CTX_NETWORKS, CTX_COUNTRIES, CTX_HOSTS };

static int parse_set(struct parser *ps, enum set_kind kind)
{
	struct tok *kw = pcur(ps), *n = pnext(ps);
	struct rset s = { .kind = kind, .line = n->line, .col = n->col };
	int name_ok = set_name_ok(ps, kw, n) == 0, rc;

	if (tok_end(n))
		return -1;
	if (pnext(ps)->kind != T_EQ) {
		perr(ps, pcur(ps), "expected '=' after the set name, as in '%.*s NAME = { ... }'", TOKFMT(kw));
		return -1;
	}
	pnext(ps);
	rc = parse_list(ps, set_ctx[kind], &s.elems, 1);
	if (rc == 0 && name_ok && s.elems.n == 0) {
		perr(ps, n, "set '%.*s' is empty; give it at least one element", TOKFMT(n));
		rc = 1;
	}
	/* Even a set with bad elements is defined, so later uses of it do
	 * not add "not defined" errors of their own. */
	if (name_ok) {
		s.name = strndup(n->p, n->len);
		if (!s.name || rules_compile_set(ps->p, &s) < 0 || add_set(ps, &s) < 0) {
			ps->oom = 1;
			free(s.name);
			rules_aset_free(&s.a);
			elist_free(&s.elems);
			return -1;
		}
	} else {
		elist_free(&s.elems);
	}
	return rc == 0 ? parse_stmt_end(ps) : -1;
}

/* Letters only: a misspelt keyword, not an address. */
static int plain_word(const struct tok *t)
{
	if (t->kind != T_WORD)
		return 0;
	for (size_t i = 0; i < t->len; i++)
		if (!((t->p[i] >= 'a' && t->p[i] <= 'z') || (t->p[i] >= 'A' && t->p[i] <= 'Z')))
			return 0;
	return 1;
}

/* [!=] LIST at t, the destination of kind (the list's context ctx);
 * missing: what to say is missing. */
static int parse_dst_list(struct parser *ps, struct rrule *r, struct tok *t, enum dst_kind kind, enum ctx ctx,
			  const char *missing)
{
	r->dkind = kind;
	if (t->kind == T_NE) {
		r->dneg = 1;
		t = pnext(ps);
	}
	if (tok_end(t)) {
		perr(ps, t, "%s", missing);
		return -1;
	}
	return parse_list(ps, ctx, &r->dst, 0);
}

/* to host [!=] LIST | to host unknown */
static int parse_to_host(struct parser *ps, struct rrule *r)
{
	struct tok *t = pnext(ps);

	if (tok_is(t, "unknown")) {
		r->dkind = DST_HOST_UNKNOWN;
		pnext(ps);
		return 0;
	}
	return parse_dst_list(ps, r, t, DST_HOST, CTX_HOST,
			      "expected a host name, *.domain, @hosts set or 'unknown' after 'host'");
}

static int parse_to(struct parser *ps, struct rrule *r)
{
	struct tok *t = pnext(ps);

	if (tok_is(t, "any")) {
		r->dkind = DST_ANY;
		pnext(ps);
		return 0;
	}
	if (tok_is(t, "unknown")) {
		r->dkind = DST_UNKNOWN;
		pnext(ps);
		return 0;
	}
	if (tok_is(t, "host") || tok_is(t, "hosts")) {
		if (tok_is(t, "hosts")) {
			perr(ps, t, "'to hosts' — did you mean 'to host'? (hosts is the kind of set)");
			return -1;
		}
		return parse_to_host(ps, r);
	}
	if (tok_is(t, "asn"))
		return parse_dst_list(ps, r, pnext(ps), DST_ASN, CTX_ASN, "expected an AS number after 'asn', as "
				      "in 'to asn 64500' or 'to asn { 64500, 64501 }'");
	if (plain_word(t)) {
		static const char *const words[] = { "any", "unknown", "country", "host", "asn" };
		const char *s = sugg_pick(t->p, t->len, words, 5);

		if (s) {
			perr(ps, t, "unknown word '%.*s' after 'to' — did you mean '%s'?", TOKFMT(t), s);
			return -1;
		}
	}
	if (tok_is(t, "country"))
		return parse_dst_list(ps, r, pnext(ps), DST_COUNTRY, CTX_CC, "expected a destination after 'country'");
	return parse_dst_list(ps, r, t, DST_ADDR, CTX_DST, "expected a destination after 'to'");
}

static int parse_from(struct parser *ps, struct rrule *r)
{
	struct tok *t = pnext(ps);

	if (tok_is(t, "any")) {
		pnext(ps);
		return 0;
	}
	if (t->kind == T_NE) {
		perr(ps, t, "'!=' is only for destinations; list the sources the rule is for");
		return -1;
	}
	if (tok_end(t)) {
		perr(ps, t, "expected a source after 'from'");
		return -1;
	}
	return parse_list(ps, CTX_SRC, &r->src, 0);
}

static int parse_name(struct parser *ps, struct rrule *r)
{
	struct tok *t = pnext(ps);

	if (t->kind != T_STRING) {
		if (t->kind != T_BAD)
			perr(ps, t, "expected a quoted rule name after 'name', as in name \"IAF advisory\"");
		return -1;
	}
	if (t->len > 2 + RULES_RULE_NAME_MAX) {
		perr(ps, t, "rule name is too long (at most %d characters)", RULES_RULE_NAME_MAX);
		return -1;
	}
	r->name = tok_string(ps, t);
	pnext(ps);
	return r->name ? 0 : -1;
}

static const char *const clause_words[] = { "from", "to", "proto", "port", "name", "log" };

static int unknown_clause(struct parser *ps, struct tok *t, int seen_log)
{
	const char *s = t->kind == T_WORD ? sugg_pick(t->p, t->len, clause_words, 5) : NULL;

	if (t->kind == T_BAD)
		return -1;
	if (tok_is(t, "log"))
		perr(ps, t, seen_log ? "'log' is given twice" :
			 "'log' goes right after the action, as in 'block log from ...'");
	else if (s)
		perr(ps, t, "unknown word '%.*s' in a rule — did you mean '%s'?", TOKFMT(t), s);
	else
		perr(ps, t, "unexpected '%.*s' in a rule; a rule is ACTION [log] [from ...] [to ...] "
			    "[proto ...] [port ...] [name \"...\"]", TOKFMT(t));
	return -1;
}

/* One clause (from/to/proto/port/name) of a rule. */
static int parse_clause(struct parser *ps, struct rrule *r, unsigned *seen, const struct tok **port_tok)
{
	struct tok *t = pcur(ps);
	size_t c;

	for (c = 0; c < 5; c++)
		if (tok_is(t, clause_words[c]))
			break;
	if (c == 5)
		return unknown_clause(ps, t, r->log);
	if (*seen & (1u << c)) {
		perr(ps, t, "'%s' is given twice in one rule", clause_words[c]);
		return -1;
	}
	*seen |= 1u << c;
	switch (c) {
	case 0:
		return parse_from(ps, r);
	case 1:
		return parse_to(ps, r);
	case 2:
		if (tok_end(pnext(ps))) {
			perr(ps, pcur(ps), "expected a protocol after 'proto'");
			return -1;
		}
		return parse_list(ps, CTX_PROTO, &r->proto, 0);
	case 3:
		*port_tok = t;
		if (tok_end(pnext(ps))) {
			perr(ps, pcur(ps), "expected a port after 'port'");
			return -1;
		}
		return parse_list(ps, CTX_PORT, &r->port, 0);
	default:
		return parse_name(ps, r);
	}
}

static int check_ports(struct parser *ps, struct rrule *r, const struct tok *port_tok)
{
	for (size_t i = 0; port_tok && i < r->proto.n; i++) {
		unsigned pr = r->proto.v[i].lo;

		if (pr != 6 && pr != 17 && pr != 132) {
			const char *nm = rules_proto_name(pr, NULL);

			perr(ps, port_tok, "'port' needs proto tcp, udp or sctp; this rule also has proto %s%s",
			     nm ? nm : "", nm ? "" : "number");
			return -1;
		}
	}
	return 0;
}

static void rule_free(struct rrule *r)
{
	free(r->name);
	elist_free(&r->src);
	elist_free(&r->dst);
	elist_free(&r->proto);
	elist_free(&r->port);
	rules_aset_free(&r->src_a);
	rules_aset_free(&r->dst_a);
	free(r->ports);
	free(r->asns);
}

static int add_rule(struct parser *ps, struct rrule *r)
{
	struct rules_policy *p = ps->p;

	if (p->nrules == p->caprules) {
		size_t cap = p->caprules ? p->caprules * 2 : 16;
		struct rrule *nv = realloc(p->rules, cap * sizeof(*nv));

		if (!nv)
			return -1;
		p->rules = nv;
		p->caprules = cap;
	}
	p->rules[p->nrules++] = *r;
	return 0;
}

static int parse_rule(struct parser *ps)
{
	struct tok *a = pcur(ps);
	struct rrule r = { .line = a->line, .col = a->col };
	const struct tok *port_tok = NULL;
	unsigned seen = 0;
	int bad = 0, rc;

	action_of(a, &r.action);
	if (tok_is(pnext(ps), "log")) {
		r.log = 1;
		pnext(ps);
	}
	while (!tok_end(pcur(ps))) {
		rc = parse_clause(ps, &r, &seen, &port_tok);
		if (rc < 0) {
			bad = -1;
			break;
		}
		bad += rc;
	}
	if (bad >= 0 && check_ports(ps, &r, port_tok) < 0)
		bad = -1;
	if (bad == 0 && (rules_compile_rule(ps->p, &r) < 0 || add_rule(ps, &r) < 0)) {
		ps->oom = 1;
		bad = -1;
	}
	if (bad != 0) {
		rule_free(&r);
		return -1;
	}
	return 0;
}

static int parse_default(struct parser *ps)
{
	struct tok *d = pcur(ps), *t = pnext(ps);
	enum rules_action a;

	ps->saw_default = 1;
	if (action_of(t, &a) < 0) {
		if (tok_end(t))
			perr(ps, t, "expected an action after 'default': allow, block, reject or log");
		else
			perr(ps, t, "'%.*s' is not an action; 'default' takes allow, block, reject or log",
			     TOKFMT(t));
		return -1;
	}
	if (ps->p->def_line) {
		perr(ps, d, "a second 'default'; the first is on line %d", ps->p->def_line);
		return -1;
	}
	ps->p->def = a;
	ps->p->def_line = d->line;
	if (tok_is(pnext(ps), "log")) {
		ps->p->def_log = 1;
		pnext(ps);
	}
	return parse_stmt_end(ps);
}

/* ---- statements ---- */

static int parse_stmt(struct parser *ps)
{
	struct tok *t = pcur(ps);
	const char *s;

	if (tok_is(t, "option"))
		return rules_parse_option(ps);
	if (tok_is(t, "devices"))
		return parse_set(ps, SET_DEVICES);
	if (tok_is(t, "networks"))
		return parse_set(ps, SET_NETWORKS);
	if (tok_is(t, "countries"))
		return parse_set(ps, SET_COUNTRIES);
	if (tok_is(t, "hosts"))
		return parse_set(ps, SET_HOSTS);
	if (tok_is(t, "default"))
		return parse_default(ps);
	if (tok_is(t, "allow") || tok_is(t, "block") || tok_is(t, "reject") || tok_is(t, "log"))
		return parse_rule(ps);
	if (t->kind == T_BAD)
		return -1;
	s = t->kind == T_WORD ? sugg_pick(t->p, t->len, stmt_words, NSTMT) : NULL;
	if (s)
		perr(ps, t, "unknown keyword '%.*s' — did you mean '%s'?", TOKFMT(t), s);
	else
		perr(ps, t, "expected a statement (option, devices, networks, countries, hosts, a rule "
			    "or default), got '%.*s'", TOKFMT(t));
	return -1;
}

static void lex_bad(void *ctx, int line, int col, int width, const char *msg)
{
	struct parser *ps = ctx;

	diag(&ps->dc, RULES_ERROR, line, col, width, "%s", msg);
}

static int index_lines(struct rules_policy *p, const char *text, size_t len)
{
	size_t n = 1;

	p->text = malloc(len + 1);
	if (!p->text)
		return -1;
	memcpy(p->text, text, len);
	p->text[len] = 0;
	p->textlen = len;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	p->line_off = malloc((n + 1) * sizeof(size_t));
	if (!p->line_off)
		return -1;
	p->line_off[0] = 0;
	n = 1;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			p->line_off[n++] = i + 1;
	p->line_off[n] = len + 1;
	p->nlines = (int)n;
	return 0;
}

static void set_defaults(struct rules_options *o)
{
	memset(o, 0, sizeof(*o));
	o->database = GEOEGRESS_DEFAULT_DB;
	o->field = GEO_FIELD_LOCATED;
	o->log_file = GEOEGRESS_DEFAULT_LOG;
	o->log_rate = 20;
	o->log_rate_period = 60;
	o->log_total = RULES_LOG_TOTAL_FACTOR * 20;
	o->log_total_period = 60;
	o->hooks = RULES_HOOK_FORWARD;
	o->queue_count = 1;
	o->metrics_file = "";
	o->metrics_interval = RULES_METRICS_INTERVAL;
	o->names_group = RULES_NAMES_GROUP;
	o->names_ttl_min = RULES_NAMES_TTL_MIN;
	o->names_ttl_max = RULES_NAMES_TTL_MAX;
	o->names_max = RULES_NAMES_MAX;
}

/* Tests that need what the options do not give: `to host` without name
 * learning, `to asn` without an AS database.  Settles learn_names. */
static void check_dest_tests(struct parser *ps)
{
	struct rules_policy *p = ps->p;
	size_t lists = 0;
	int hosts = 0;

	for (size_t i = 0; i < p->nsets; i++)
		lists += p->sets[i].kind == SET_HOSTS;
	for (size_t i = 0; i < p->nrules; i++)
		lists += p->rules[i].dkind == DST_HOST;
	if (lists > 4096)
		diag(&ps->dc, RULES_ERROR, 0, 0, 0, "%zu hosts sets and 'to host' rules; at most 4096", lists);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct rrule *r = &p->rules[i];

		if (r->dkind == DST_HOST || r->dkind == DST_HOST_UNKNOWN) {
			hosts = 1;
			if (p->opt.names == RULES_NAMES_NO)
				diag(&ps->dc, RULES_ERROR, r->line, r->col, (int)strlen(rules_action_name(r->action)),
				     "this rule tests 'to host', but option names is no (line %d): names are "
				     "learned only with names auto or yes", p->opt_line[OPT_NAMES]);
		}
		if (r->dkind == DST_ASN && !p->opt.asn_database)
			diag(&ps->dc, RULES_ERROR, r->line, r->col, (int)strlen(rules_action_name(r->action)),
			     "this rule tests 'to asn', which needs option asn-database (an AS database, "
			     "GeoLite2-ASN schema)");
	}
	p->opt.learn_names = p->opt.names == RULES_NAMES_YES || (p->opt.names == RULES_NAMES_AUTO && hosts);
}

static void parse_all(struct parser *ps)
{
	while (pcur(ps)->kind != T_EOF && !ps->oom) {
		if (pcur(ps)->kind == T_NL) {
			pnext(ps);
			continue;
		}
		if (parse_stmt(ps) < 0)
			skip_stmt(ps);
	}
	if (!ps->p->def_line && !ps->saw_default && !ps->oom)
		diag(&ps->dc, RULES_ERROR, 0, 0, 0,
		     "no 'default' statement: say what happens to flows no rule matches, "
		     "e.g. 'default allow'");
	if (!ps->oom)
		check_dest_tests(ps);
}

struct rules_policy *rules_parse_buf(const char *text, size_t len, const char *filename,
				     struct rules_errors *errs)
{
	struct parser ps = { .dc = { .file = filename ? filename : "<policy>", .errs = errs } };

	diag_lines(&ps.dc, text, len);
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p || index_lines(ps.p, text, len) < 0)
		goto oom;
	set_defaults(&ps.p->opt);
	ps.t = rules_lex(text, len, &ps.nt, lex_bad, &ps);
	if (!ps.t)
		goto oom;
	parse_all(&ps);
	if (ps.oom)
		goto oom;
	if (ps.dc.nerrors == 0) {
		rules_check_warnings(&ps);
		if (rules_hosts_build(ps.p) < 0 || rules_index_build(ps.p) < 0)
			goto oom;
	}
	free(ps.t);
	diag_sort(errs);
	if (ps.dc.nerrors) {
		rules_free(ps.p);
		return NULL;
	}
	return ps.p;
oom:
	diag(&ps.dc, RULES_ERROR, 0, 0, 0, "out of memory");
	free(ps.t);
	rules_free(ps.p);
	return NULL;
}

struct rules_policy *rules_parse_file(const char *path, struct rules_errors *errs)
{
	struct diagctx dc = { .file = path, .errs = errs };
	struct rules_policy *p = NULL;
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[65536];
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	FILE *m = NULL;

	if (!f) {
		diag(&dc, RULES_ERROR, 0, 0, 0, "cannot open the policy: %s", strerror(errno));
		return NULL;
	}
	m = open_memstream(&buf, &len);
	if (!m)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (ferror(f)) {
		diag(&dc, RULES_ERROR, 0, 0, 0, "cannot read the policy: %s", strerror(errno));
		fclose(m);
		goto out;
	}
	if (fclose(m) == 0)
		p = rules_parse_buf(buf, len, path, errs);
out:
	if (f != stdin)
		fclose(f);
	free(buf);
	return p;
}

void rules_free(struct rules_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsets; i++) {
		free(p->sets[i].name);
		elist_free(&p->sets[i].elems);
		rules_aset_free(&p->sets[i].a);
	}
	free(p->sets);
	for (size_t i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	rules_index_free(&p->index);
	rules_hosts_free(&p->hosts);
	free(p->database);
	free(p->log_file);
	free(p->asn_database);
	free(p->pool);
	free(p->gateway);
	free(p->metrics_file);
	free(p->text);
	free(p->line_off);
	free(p);
}
