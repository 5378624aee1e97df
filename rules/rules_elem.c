// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — one list element: an address, CIDR, MAC (prefix), country code,
 * protocol, port (range) or @set reference, checked for its context. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "rules/rules_parse.h"

const struct cc_group rules_groups[] = {
	{ "eu", "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE" },
	{ "eea", "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
		 "IS LI NO" },
};
const size_t rules_ngroups = sizeof(rules_groups) / sizeof(rules_groups[0]);

static const char *const kind_names[] = { "devices", "networks", "countries", "hosts" };

/* Codes people write that are not ISO 3166-1 alpha-2. */
static const struct { const char *from, *to; } cc_aliases[] = {
	{ "UK", "GB" }, { "EL", "GR" }, { "GBR", "GB" }, { "USA", "US" }, { "CHN", "CN" },
	{ "IND", "IN" }, { "HKG", "HK" }, { "MAC", "MO" }, { "RUS", "RU" }, { "PRK", "KP" },
	{ "KOR", "KR" }, { "IRN", "IR" }, { "DEU", "DE" }, { "FRA", "FR" }, { "JPN", "JP" },
	{ "SGP", "SG" }, { "TWN", "TW" }, { "PAK", "PK" }, { "BGD", "BD" }, { "LKA", "LK" },
};

void perr(struct parser *ps, const struct tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(&ps->dc, RULES_ERROR, t->line, t->col, (int)t->len, fmt, ap);
	va_end(ap);
}

int tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->kind == T_WORD && t->len == n && !memcmp(t->p, word, n);
}

int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!len || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int elist_push(struct parser *ps, struct elist *l, const struct elem *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct elem *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv) {
			ps->oom = 1;
			return -1;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

void elist_free(struct elist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return len > 0;
}

/* hex pairs separated by ':', three (OUI) or six groups */
static int mac_syntax(const char *a, uint64_t *mac, int *groups)
{
	uint64_t v = 0;
	int g = 0;

	for (;;) {
		if (!isxdigit((unsigned char)a[0]) || !isxdigit((unsigned char)a[1]))
			return 0;
		v = (v << 8) | strtoul((char[3]){ a[0], a[1], 0 }, NULL, 16);
		g++;
		a += 2;
		if (!*a)
			break;
		if (*a++ != ':')
			return 0;
	}
	if (g != 3 && g != 6)
		return 0;
	*mac = v;
	*groups = g;
	return 1;
}

static void masked_str(const struct elem *e, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	if (!f) {
		buf[0] = 0;
		return;
	}
	rules_print_elem(NULL, e, f);
	fclose(f);
}

static int host_bits(struct parser *ps, const struct tok *t, struct elem *e, u128 mask)
{
	char buf[96];

	if (!(e->addr & ~mask))
		return 0;
	e->addr &= mask;
	masked_str(e, buf, sizeof(buf));
	perr(ps, t, "'%.*s' has bits set after the /%u prefix — did you mean '%s'?", TOKFMT(t),
	     e->plen, buf);
	return -1;
}

static int elem_mac(struct parser *ps, enum ctx ctx, const struct tok *t, uint64_t mac, int groups,
		    int has_plen, unsigned long plen, struct elem *out)
{
	if (ctx == CTX_NETWORKS) {
		perr(ps, t, "a networks set holds IP addresses and CIDRs; put MAC '%.*s' in a devices set",
		     TOKFMT(t));
		return -1;
	}
	if (ctx == CTX_DST) {
		perr(ps, t, "MAC '%.*s' cannot be a destination; MACs match only the source ('from')",
		     TOKFMT(t));
		return -1;
	}
	if (groups == 3 && has_plen) {
		perr(ps, t, "write a MAC prefix as three octets (00:1a:11) or as six octets with a length "
			    "(00:1a:11:00:00:00/24), not '%.*s'", TOKFMT(t));
		return -1;
	}
	if (groups == 3) {
		mac <<= 24;
		plen = 24;
	} else if (!has_plen) {
		plen = 48;
	}
	if (plen < 1 || plen > 48) {
		perr(ps, t, "MAC prefix length /%lu is out of range (1–48)", plen);
		return -1;
	}
	out->kind = EL_MAC;
	out->plen = (uint8_t)plen;
	out->addr = mac;
	return host_bits(ps, t, out, ((((u128)1 << 48) - 1) >> (48 - plen)) << (48 - plen));
}

static int elem_ip(struct parser *ps, enum ctx ctx, const struct tok *t, const char *a, int has_plen,
		   unsigned long plen, struct elem *out)
{
	unsigned char b[16];
	const char *what = ctx == CTX_NETWORKS || ctx == CTX_DST ? "an address, CIDR or @set"
								: "an address, CIDR, MAC or @set";

	if (strchr(a, ':')) {
		if (inet_pton(AF_INET6, a, b) != 1) {
			perr(ps, t, "'%.*s' is neither an IPv6 address nor a MAC address (a MAC is six "
				    "octets like 02:00:5e:00:53:01, a vendor prefix three like 00:1a:11)",
			     TOKFMT(t));
			return -1;
		}
		if (!has_plen)
			plen = 128;
		if (plen > 128) {
			perr(ps, t, "prefix length /%lu is too long for IPv6 (at most 128)", plen);
			return -1;
		}
		out->kind = EL_V6;
		out->addr = 0;
		for (int i = 0; i < 16; i++)
			out->addr = (out->addr << 8) | b[i];
		out->plen = (uint8_t)plen;
		return host_bits(ps, t, out, plen ? ~(u128)0 << (128 - plen) : 0);
	}
	if (inet_pton(AF_INET, a, b) != 1) {
		if (a[strspn(a, "0123456789.")] == 0 && strchr(a, '.'))
			perr(ps, t, "'%.*s' is not a valid IPv4 address", TOKFMT(t));
		else
			perr(ps, t, "expected %s, got '%.*s'", what, TOKFMT(t));
		return -1;
	}
	if (!has_plen)
		plen = 32;
	if (plen > 32) {
		perr(ps, t, "prefix length /%lu is too long for IPv4 (at most 32)", plen);
		return -1;
	}
	out->kind = EL_V4;
	out->addr = ((u128)b[0] << 24) | ((u128)b[1] << 16) | ((u128)b[2] << 8) | b[3];
	out->plen = (uint8_t)plen;
	return host_bits(ps, t, out, plen ? (u128)(0xffffffffu << (32 - plen) & 0xffffffffu) : 0);
}

static int elem_addr(struct parser *ps, enum ctx ctx, const struct tok *t, struct elem *out)
{
	const char *slash = memchr(t->p, '/', t->len);
	size_t alen = slash ? (size_t)(slash - t->p) : t->len;
	unsigned long plen = 0;
	uint64_t mac;
	int groups;
	char a[64];

	if (slash && parse_uint(slash + 1, t->len - alen - 1, 100000, &plen) < 0) {
		perr(ps, t, "bad prefix length in '%.*s': write ADDRESS/LENGTH, as in 192.0.2.0/24",
		     TOKFMT(t));
		return -1;
	}
	if (alen >= sizeof(a)) {
		perr(ps, t, "'%.*s…' is too long to be an address", TOKFMT(t));
		return -1;
	}
	memcpy(a, t->p, alen);
	a[alen] = 0;
	if (mac_syntax(a, &mac, &groups))
		return elem_mac(ps, ctx, t, mac, groups, slash != NULL, plen, out);
	return elem_ip(ps, ctx, t, a, slash != NULL, plen, out);
}

static const char *cc_suggest(const char *w, size_t len)
{
	char up[40];
	static char found[3];
	int n1 = 0;

	if (len >= sizeof(up))
		return NULL;
	for (size_t i = 0; i < len; i++)
		up[i] = (char)toupper((unsigned char)w[i]);
	up[len] = 0;
	for (size_t i = 0; i < sizeof(cc_aliases) / sizeof(cc_aliases[0]); i++)
		if (!strcmp(up, cc_aliases[i].from))
			return cc_aliases[i].to;
	for (unsigned i = 0; i < GEO_CC_SLOTS; i++) {
		geo_cc c = geo_cc_of_index(i);
		const char *name = geo_country_name(c);
		char code[3];

		if (!name)
			continue;
		if (!strcasecmp(name, up))
			return geo_cc_str(c, found);
		if (len == 2 && rules_edit_distance(up, 2, geo_cc_str(c, code), 2) == 1 && ++n1 == 1)
			geo_cc_str(c, found);
	}
	/* a one-letter slip is only suggested when exactly one code fits */
	return len == 2 && n1 == 1 ? found : NULL;
}

/* A code databases use that is not a country (geo.h): it cannot be
 * named, because destinations coded so are unknown to the policy. */
static void not_a_country(struct parser *ps, const struct tok *t, geo_cc cc)
{
	char b[3];

	perr(ps, t, "'%s' is not an ISO 3166-1 country but %s: destinations a database codes %s "
		    "count as unknown; match them with 'to unknown' or option unknown%s", geo_cc_str(cc, b),
	     geo_code_name(cc), b, cc == geo_cc_make('E', 'U') ? " (the EU member states are @eu)" : "");
}

static int elem_cc(struct parser *ps, const struct tok *t, struct elem *out)
{
	const char *s;

	if (t->len == 2 && isalpha((unsigned char)t->p[0]) && isalpha((unsigned char)t->p[1])) {
		geo_cc cc = geo_cc_make((char)toupper((unsigned char)t->p[0]),
					(char)toupper((unsigned char)t->p[1]));

		if (geo_cc_is_country(cc)) {
			out->kind = EL_CC;
			out->cc = cc;
			return 0;
		}
		if (geo_code_name(cc) && !cc_suggest(t->p, t->len)) {
			not_a_country(ps, t, cc);
			return -1;
		}
	}
	s = cc_suggest(t->p, t->len);
	if (s)
		perr(ps, t, "unknown country '%.*s' — did you mean '%s'?", TOKFMT(t), s);
	else
		perr(ps, t, "unknown country '%.*s': use an ISO 3166-1 alpha-2 code such as CN or IN, "
			    "or a countries @set", TOKFMT(t));
	return -1;
}

static const struct { const char *name; uint8_t num; } protos[] = {
	{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 }, { "sctp", 132 },
};

const char *rules_proto_name(unsigned proto, char num[4])
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	if (!num)
		return NULL;
	snprintf(num, 4, "%u", proto & 0xff);
	return num;
}

int rules_proto_number(const char *name, uint8_t *out)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcmp(name, protos[i].name)) {
			*out = protos[i].num;
			return 0;
		}
	}
	return -1;
}

static int elem_proto(struct parser *ps, const struct tok *t, struct elem *out)
{
	unsigned long v;
	const char *s = NULL;

	out->kind = EL_PROTO;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (tok_is(t, protos[i].name)) {
			out->lo = protos[i].num;
			return 0;
		}
	}
	if (t->kind == T_WORD && parse_uint(t->p, t->len, 255, &v) == 0) {
		out->lo = (uint32_t)v;
		return 0;
	}
	if (t->kind == T_WORD && all_digits(t->p, t->len)) {
		perr(ps, t, "protocol number %.*s is out of range (0–255)", TOKFMT(t));
		return -1;
	}
	if (t->kind == T_WORD) {
		struct sugg sg;

		sugg_init(&sg, t->p, t->len);
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			sugg_offer(&sg, protos[i].name);
		s = sg.best;
	}
	if (s)
		perr(ps, t, "unknown protocol '%.*s' — did you mean '%s'?", TOKFMT(t), s);
	else
		perr(ps, t, "unknown protocol '%.*s': use tcp, udp, icmp, icmpv6, sctp or a number 0–255",
		     TOKFMT(t));
	return -1;
}

static int elem_port(struct parser *ps, const struct tok *t, struct elem *out)
{
	const char *dash = t->kind == T_WORD ? memchr(t->p, '-', t->len) : NULL;
	size_t l1 = dash ? (size_t)(dash - t->p) : t->len;
	unsigned long lo, hi;

	if (t->kind != T_WORD || parse_uint(t->p, l1, 9999999, &lo) < 0 ||
	    (dash && parse_uint(dash + 1, t->len - l1 - 1, 9999999, &hi) < 0)) {
		perr(ps, t, "expected a port or port range like 443 or 8000-8080, got '%.*s'", TOKFMT(t));
		return -1;
	}
	if (!dash)
		hi = lo;
	if (lo > 65535 || hi > 65535) {
		perr(ps, t, "port %lu is out of range (0–65535)", lo > 65535 ? lo : hi);
		return -1;
	}
	if (lo > hi) {
		perr(ps, t, "port range '%.*s' is backwards: write the lower port first (%lu-%lu)",
		     TOKFMT(t), hi, lo);
		return -1;
	}
	out->kind = EL_PORT;
	out->lo = (uint32_t)lo;
	out->hi = (uint32_t)hi;
	return 0;
}

#define HOST_MAX 253	/* a DNS name in text form, without the final dot */

/* Appends s (len bytes and a NUL) to the policy's name pool; *off gets
 * where it starts. */
static int pool_add(struct parser *ps, const char *s, size_t len, uint32_t *off)
{
	struct rules_policy *p = ps->p;

	if (p->poollen + len + 1 > p->poolcap) {
		size_t cap = (p->poollen + len + 1) * 2;
		char *np = realloc(p->pool, cap < 256 ? 256 : cap);

		if (!np) {
			ps->oom = 1;
			return -1;
		}
		p->pool = np;
		p->poolcap = cap < 256 ? 256 : cap;
	}
	memcpy(p->pool + p->poollen, s, len);
	p->pool[p->poollen + len] = '\0';
	*off = (uint32_t)p->poollen;
	p->poollen += len + 1;
	return 0;
}

/* Checks the labels of name (lower case already); 0 or -1 (reported). */
static int host_labels(struct parser *ps, const struct tok *t, const char *name, size_t len)
{
	size_t lab = 0;

	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? name[i] : '.';

		if (c == '.') {
			if (lab == 0) {
				perr(ps, t, "'%.*s' has an empty label (two dots, or a dot first)", TOKFMT(t));
				return -1;
			}
			if (lab > 63) {
				perr(ps, t, "a label of '%.*s' is longer than 63 characters", TOKFMT(t));
				return -1;
			}
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
			lab++;
		} else {
			perr(ps, t, "'%.*s' is not a host name: use letters, digits, '-' and '_' between dots",
			     TOKFMT(t));
			return -1;
		}
	}
	return 0;
}

/* A host name (vendor.test) or a wildcard domain (*.vendor.test), stored
 * lower case without a final dot. */
static int elem_host(struct parser *ps, const struct tok *t, struct elem *out)
{
	const char *s = t->p;
	size_t len = t->len;
	char name[HOST_MAX + 2];
	unsigned char b[16];
	uint32_t off;
	int wild = len >= 2 && s[0] == '*' && s[1] == '.';

	if (wild)
		s += 2, len -= 2;
	if (memchr(s, '*', len) || (t->len == 1 && s[0] == '*')) {
		perr(ps, t, "a wildcard is '*.' followed by a domain, as in *.vendor.test; '%.*s' is not one",
		     TOKFMT(t));
		return -1;
	}
	if (len && s[len - 1] == '.')
		len--;	/* the absolute form: vendor.test. */
	if (len > HOST_MAX) {
		perr(ps, t, "host name '%.*s…' is longer than %d characters", TOKFMT(t), HOST_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)s[i]);
	name[len] = '\0';
	if (!wild && (strchr(name, ':') || inet_pton(AF_INET, name, b) == 1)) {
		perr(ps, t, "'%.*s' is an address; a hosts set holds names (addresses go in a networks "
			    "set, 'to @set')", TOKFMT(t));
		return -1;
	}
	if (host_labels(ps, t, name, len) < 0)
		return -1;
	if (!wild && !strchr(name, '.')) {
		perr(ps, t, "host name '%.*s' has no domain: write it whole, as in %s.test, or '*.%s' for "
			    "every name under it", TOKFMT(t), name, name);
		return -1;
	}
	if (pool_add(ps, name, len, &off) < 0)
		return -1;
	out->kind = wild ? EL_WILD : EL_HOST;
	out->lo = off;
	out->hi = (uint32_t)len;
	return 0;
}

/* An AS number: 64500 or AS64500. */
static int elem_asn(struct parser *ps, const struct tok *t, struct elem *out)
{
	const char *s = t->p;
	size_t len = t->len;
	unsigned long v;

	if (t->kind == T_WORD && len > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
		s += 2, len -= 2;
	if (t->kind != T_WORD || parse_uint(s, len, 4294967295ul, &v) < 0) {
		perr(ps, t, "expected an AS number like 64500 (or AS64500), got '%.*s'", TOKFMT(t));
		return -1;
	}
	if (v == 0) {
		perr(ps, t, "AS 0 is reserved (RFC 7607) and names no network");
		return -1;
	}
	out->kind = EL_ASN;
	out->lo = (uint32_t)v;
	return 0;
}

/* Line of a later `KIND NAME` definition, or 0. */
static int defined_later(const struct parser *ps, const char *name, size_t len)
{
	for (size_t i = ps->i + 1; i + 1 < ps->nt; i++) {
		const struct tok *k = &ps->t[i], *n = &ps->t[i + 1];

		if ((tok_is(k, "devices") || tok_is(k, "networks") || tok_is(k, "countries") ||
		     tok_is(k, "hosts")) &&
		    (i == 0 || ps->t[i - 1].kind == T_NL) && n->kind == T_WORD && n->len == len &&
		    !memcmp(n->p, name, len))
			return k->line;
	}
	return 0;
}

static int undefined_ref(struct parser *ps, enum ctx ctx, const struct tok *t)
{
	const char *name = t->p + 1;
	size_t len = t->len - 1;
	struct sugg sg;
	int later = defined_later(ps, name, len);

	if (later) {
		perr(ps, t, "set '%.*s' is used before its definition on line %d; define sets before "
			    "the rules that use them", (int)len, name, later);
		return -1;
	}
	sugg_init(&sg, name, len);
	for (size_t i = 0; i < ps->p->nsets; i++)
		sugg_offer(&sg, ps->p->sets[i].name);
	if (ctx == CTX_CC || ctx == CTX_COUNTRIES)
		for (size_t i = 0; i < rules_ngroups; i++)
			sugg_offer(&sg, rules_groups[i].name);
	if (sg.best)
		perr(ps, t, "set '%.*s' is not defined — did you mean '%s'?", (int)len, name, sg.best);
	else
		perr(ps, t, "set '%.*s' is not defined", (int)len, name);
	return -1;
}

static int kind_ok(enum ctx ctx, enum set_kind k)
{
	switch (ctx) {
	case CTX_DEVICES:
	case CTX_SRC:
		return k == SET_DEVICES || k == SET_NETWORKS;
	case CTX_NETWORKS:
	case CTX_DST:
		return k == SET_NETWORKS;
	case CTX_COUNTRIES:
	case CTX_CC:
		return k == SET_COUNTRIES;
	case CTX_HOSTS:
	case CTX_HOST:
		return k == SET_HOSTS;
	default:
		return 0;
	}
}

static void wrong_kind(struct parser *ps, enum ctx ctx, const struct tok *t, const struct rset *s)
{
	static const char *const why[] = {
		[CTX_DEVICES] = "a devices set can include only devices and networks sets",
		[CTX_NETWORKS] = "a networks set can include only networks sets",
		[CTX_COUNTRIES] = "a countries set can include only countries sets and @eu, @eea",
		[CTX_SRC] = "a source ('from') needs a devices or networks set",
		[CTX_DST] = "a destination ('to') needs a networks set",
		[CTX_CC] = "'country' needs a countries set",
		[CTX_HOSTS] = "a hosts set can include only hosts sets",
		[CTX_HOST] = "'to host' needs a hosts set",
	};

	if (ctx == CTX_DST && s->kind == SET_HOSTS)
		perr(ps, t, "set '%s' is a hosts set; write 'to host @%s' to match the names the "
			    "device's DNS answers gave the destination", s->name, s->name);
	else if (ctx == CTX_DST && s->kind == SET_COUNTRIES)
		perr(ps, t, "set '%s' is a countries set; write 'to country @%s' to match destination "
			    "countries", s->name, s->name);
	else
		perr(ps, t, "set '%s' is a %s set; %s", s->name, kind_names[s->kind], why[ctx]);
}

static int elem_ref(struct parser *ps, enum ctx ctx, const struct tok *t, struct elem *out)
{
	const char *name = t->p + 1;
	size_t len = t->len - 1;

	if (ctx == CTX_PROTO || ctx == CTX_PORT || ctx == CTX_ASN) {
		perr(ps, t, "sets cannot be used in '%s'; list the values",
		     ctx == CTX_PROTO ? "proto" : ctx == CTX_PORT ? "port" : "asn");
		return -1;
	}
	if (ctx == CTX_CC || ctx == CTX_COUNTRIES) {
		for (size_t i = 0; i < rules_ngroups; i++) {
			if (strlen(rules_groups[i].name) == len && !memcmp(rules_groups[i].name, name, len)) {
				out->kind = EL_GROUP;
				out->ref = (int)i;
				return 0;
			}
		}
	}
	for (size_t i = 0; i < ps->p->nsets; i++) {
		struct rset *s = &ps->p->sets[i];

		if (strlen(s->name) != len || memcmp(s->name, name, len))
			continue;
		if (!kind_ok(ctx, s->kind)) {
			wrong_kind(ps, ctx, t, s);
			return -1;
		}
		s->used = 1;
		out->kind = EL_REF;
		out->ref = (int)i;
		return 0;
	}
	return undefined_ref(ps, ctx, t);
}

int parse_elem(struct parser *ps, enum ctx ctx, const struct tok *t, struct elem *out)
{
	memset(out, 0, sizeof(*out));
	if (t->kind == T_BAD)
		return -1;	/* reported by the lexer */
	if (t->kind == T_REF)
		return elem_ref(ps, ctx, t, out);
	if (t->kind != T_WORD) {
		static const char *const what[] = {
			[CTX_DEVICES] = "an address, CIDR, MAC or @set",
			[CTX_NETWORKS] = "an address, CIDR or @set",
			[CTX_COUNTRIES] = "a country code or @set",
			[CTX_SRC] = "an address, CIDR, MAC or @set",
			[CTX_DST] = "an address, CIDR or @set",
			[CTX_CC] = "a country code or @set",
			[CTX_PROTO] = "a protocol",
			[CTX_PORT] = "a port",
			[CTX_HOSTS] = "a host name, *.domain or @set",
			[CTX_HOST] = "a host name, *.domain or @set",
			[CTX_ASN] = "an AS number",
		};

		if (t->kind == T_NL || t->kind == T_EOF)
			perr(ps, t, "expected %s before the end of the line", what[ctx]);
		else
			perr(ps, t, "expected %s, got '%.*s'", what[ctx], TOKFMT(t));
		return -1;
	}
	switch (ctx) {
	case CTX_COUNTRIES:
	case CTX_CC:
		return elem_cc(ps, t, out);
	case CTX_PROTO:
		return elem_proto(ps, t, out);
	case CTX_PORT:
		return elem_port(ps, t, out);
	case CTX_HOSTS:
	case CTX_HOST:
		return elem_host(ps, t, out);
	case CTX_ASN:
		return elem_asn(ps, t, out);
	default:
		return elem_addr(ps, ctx, t, out);
	}
}
