/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules — private structures shared by the lexer, parser, compiler,
 * evaluator and printer.  Nothing here is part of the module's contract.
 *
 * A policy keeps two views of every list: the elements as written
 * (normalised; the printer and the equality test use them) and the
 * compiled form (sorted merged intervals, bitmaps; rules_eval uses it).
 */
#ifndef GEOEGRESS_RULES_INT_H
#define GEOEGRESS_RULES_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

typedef unsigned __int128 u128;

/* ---- tokens ---- */
enum tok_kind {
	T_EOF = 0,
	T_NL,		/* newline or ';' */
	T_WORD,		/* [A-Za-z0-9_.:/+*-]+ : keyword, name, address, number, range, *.domain */
	T_STRING,	/* "..." ; p/len cover the quotes */
	T_REF,		/* @name ; p/len cover the '@' */
	T_LBRACE,
	T_RBRACE,
	T_COMMA,
	T_EQ,
	T_NE,		/* != */
	T_BAD,		/* an error was already reported for it */
};

struct tok {
	enum tok_kind kind;
	int line, col;
	const char *p;
	size_t len;
};

/* ---- elements of lists and sets ---- */
enum elem_kind {
	EL_V4 = 1,	/* addr low 32 bits, host order */
	EL_V6,		/* addr, 128 bits */
	EL_MAC,		/* addr low 48 bits */
	EL_REF,		/* ref = index of a set */
	EL_GROUP,	/* ref = index of a built-in country group */
	EL_CC,		/* cc = country code */
	EL_PROTO,	/* lo = protocol number */
	EL_PORT,	/* lo..hi */
	EL_HOST,	/* a host name: lo = offset in the policy's name pool, hi = length */
	EL_WILD,	/* *.domain: lo, hi as EL_HOST for the domain (without "*.") */
	EL_ASN,		/* lo = AS number */
};

struct elem {
	uint8_t kind;
	uint8_t plen;
	uint16_t cc;
	int ref;
	uint32_t lo, hi;
	u128 addr;
};

struct elist {
	struct elem *v;
	size_t n, cap;
};

/* ---- compiled sets ---- */
struct r4 { uint32_t lo, hi; };
struct r6 { u128 lo, hi; };
struct r48 { uint64_t lo, hi; };
struct r16 { uint16_t lo, hi; };

struct aset {
	struct r4 *v4;
	struct r6 *v6;
	struct r48 *mac;
	size_t n4, n6, nmac;
};

#define CC_WORDS 11	/* 676 bits */

enum set_kind { SET_DEVICES = 0, SET_NETWORKS, SET_COUNTRIES, SET_HOSTS };

struct rset {
	char *name;
	enum set_kind kind;
	int line, col;
	int used;
	struct elist elems;
	struct aset a;		/* devices, networks */
	uint64_t cc[CC_WORDS];	/* countries */
};

enum dst_kind {
	DST_ANY = 0, DST_ADDR, DST_COUNTRY, DST_UNKNOWN,
	DST_HOST,		/* to host [!=] LIST: the names DNS answers gave */
	DST_HOST_UNKNOWN,	/* to host unknown: no answer explained the address */
	DST_ASN,		/* to asn [!=] LIST */
};

struct rrule {
	int line, col;
	enum rules_action action;
	int log;
	char *name;
	/* as written */
	struct elist src;	/* empty = any */
	enum dst_kind dkind;
	int dneg;
	struct elist dst;
	struct elist proto;	/* empty = any */
	struct elist port;	/* empty = any */
	/* compiled */
	struct aset src_a;
	struct aset dst_a;
	uint64_t cc[CC_WORDS];
	uint64_t proto_bm[4];	/* all ones when any */
	struct r16 *ports;
	size_t nports;
	int hostlist;		/* DST_HOST: bit of this rule's list in the name table */
	uint32_t *asns;		/* DST_ASN: sorted */
	size_t nasns;
};

/* Compiled names (rules_hosts.c): every name and wildcard domain of every
 * hosts set and `to host` list, each with the bitmap of the lists (rules'
 * `to host` lists, then hosts sets) it belongs to.  Open addressing. */
struct hname {
	uint64_t hash;		/* 0: empty slot */
	uint32_t off, len;	/* in the policy's name pool */
	uint8_t wild;		/* matches names below the domain */
	size_t bits;		/* offset of its bitmap in hosttab.bits */
};

struct hosttab {
	struct hname *v;
	size_t cap;		/* power of two; 0 = no names */
	uint64_t *bits;
	size_t words;		/* per bitmap: (lists + 63) / 64 */
	size_t nlists;		/* rules with a `to host` list, then hosts sets */
	size_t nrulelists;	/* of them, rules' */
	uint8_t maxlabels;	/* wildcard domains have at most this many labels */
};

/* The evaluation index (rules_index.c): per field, per elementary
 * interval, the bitmap of rules whose test on that field passes. */
#define CC_BITS 676
struct rules_dim {
	u128 *b;		/* interval starts, sorted, b[0] == 0 */
	size_t n;
	uint64_t *bits;		/* n rows of `words` words */
};

struct rules_index {
	size_t words;		/* (nrules + 63) / 64; 0 = no index */
	uint64_t *proto;	/* 256 rows */
	uint64_t *noport;	/* 1 row: rules without a port test */
	uint64_t *cc;		/* CC_BITS + 2 rows: codes, unknown, malformed */
	struct rules_dim dim[9];	/* src4, src6, mac, dst4, dst6, port; then
					 * src4, src6, mac over devices sets */
	size_t dwords;		/* (nsets + 63) / 64 */
	uint64_t *xcheck;	/* 1 row: rules whose destination test (host, asn)
				 * is checked rule by rule */
};

/* Option bits for "given" */
enum opt_id {
	OPT_DATABASE = 0, OPT_FIELD, OPT_NAT64, OPT_MODE, OPT_UNKNOWN, OPT_LOGFILE, OPT_SYSLOG,
	OPT_RATE, OPT_GATEWAY, OPT_METRICS,
	OPT_FAILMODE, OPT_HOOKS, OPT_QUEUE, OPT_RELOAD,
	OPT_NAMES, OPT_NAMES_GROUP, OPT_NAMES_TTL, OPT_NAMES_MAX, OPT_ASN_DB, OPT_COUNT
};

struct rules_policy {
	struct rules_options opt;
	unsigned given;		/* 1 << enum opt_id */
	int opt_line[OPT_COUNT];
	char *database, *log_file, *asn_database;
	char *gateway, *metrics_file;	/* option gateway, metrics-file */
	char *pool;		/* host names of EL_HOST/EL_WILD elements */
	size_t poollen, poolcap;
	struct hosttab hosts;
	struct rset *sets;
	size_t nsets, capsets;
	struct rrule *rules;
	size_t nrules, caprules;
	enum rules_action def;
	int def_log;
	int def_line;		/* 0 = no default seen */
	struct rules_index index;
	char *text;		/* copy of the source, for rules_source_line */
	size_t textlen;
	size_t *line_off;	/* start offset of each line */
	int nlines;
};

/* ---- the functions shared inside rules/, by the file that defines them ---- */

/* The policy pool's text of a name element. */
static inline const char *pool_str(const struct rules_policy *p, const struct elem *e)
{
	return p->pool + e->lo;
}

/* rules_elem.c: the built-in country groups (eu, ...) */
struct cc_group {
	const char *name;
	const char *codes;	/* "AT BE ..." */
};
extern const struct cc_group rules_groups[];
extern const size_t rules_ngroups;

/* rules_lex.c */
struct tok *rules_lex(const char *text, size_t len, size_t *ntok,
		      void (*bad)(void *ctx, int line, int col, int width, const char *msg),
		      void *ctx);

/* rules_compile.c */
int rules_compile_set(struct rules_policy *p, struct rset *s);
int rules_compile_rule(struct rules_policy *p, struct rrule *r);
int rules_aset_contains(const struct aset *big, const struct aset *small);
int rules_rule_shadows(const struct rules_policy *p, const struct rrule *a, const struct rrule *b);
void rules_aset_free(struct aset *a);

/* rules_index.c */
int rules_index_build(struct rules_policy *p);
void rules_index_free(struct rules_index *x);
size_t rules_dim_find(const struct rules_dim *d, u128 x);

/* rules_eval.c: index of the first rule matching, or -1; use_index 0
 * forces the plain rule-by-rule scan (tests compare the two). */
long rules_first_match(const struct rules_policy *p, const struct rules_flow *f,
		       const struct geo_answer *g, const struct rules_dest *dest, int use_index);

const char *rules_device(const struct rules_policy *p, const struct rules_flow *f, int use_index);

/* rules_option.c */
const char *rules_option_name(int id);

/* rules_hosts.c */
int rules_hosts_build(struct rules_policy *p);
void rules_hosts_free(struct hosttab *t);
/* ORs into bits (t->words words, zeroed by the caller) the lists name is in. */
void rules_hosts_lists(const struct rules_policy *p, const char *name, uint64_t *bits);

/* rules_print.c */
void rules_print_elem(const struct rules_policy *p, const struct elem *e, FILE *out);
/* The action keywords, indexed by enum rules_action (rules_action_name). */
extern const char *const rules_action_words[RULES_NACTION];

/* rules_diag.c: the edit distance of the "did you mean" suggestions
 * (also rules_elem.c's country names). */
int rules_edit_distance(const char *a, size_t alen, const char *b, size_t blen);

#endif
