// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — evaluation of one flow: first match wins.  No allocation, no
 * locks: the policy is read-only after parsing.  Names (`to host`) and AS
 * tests (`to asn`) are checked rule by rule on the candidates the index
 * leaves; the flow's host bitmap is computed once, when a host test first
 * needs it. */
#include <netinet/in.h>
#include <string.h>

#include "rules/rules_int.h"

/* The flow, unpacked once per evaluation. */
struct fctx {
	int fam;		/* 4, 6 or 0 */
	uint32_t s4, d4;
	u128 s6, d6;
	uint64_t mac;
	int has_mac;
	geo_cc cc;		/* the destination country by option field */
	int known;		/* the database placed the destination */
	int ci_pick, ci_loc, ci_reg;	/* bit indexes, -1 when none */
	int either;
	unsigned proto;
	int has_ports;
	uint16_t dport;
	const struct rules_dest *dest;	/* never NULL */
	int hdone;			/* hbits computed */
	uint64_t hbits[64];		/* the host lists the destination's names are in */
};

/* Last interval whose lo <= x, then x <= hi?  v is sorted and merged. */
#define FIND(v, n, x)                                                             \
	do {                                                                      \
		size_t lo_ = 0, hi_ = (n);                                        \
		while (lo_ < hi_) {                                               \
			size_t mid_ = (lo_ + hi_) / 2;                            \
			if ((v)[mid_].lo <= (x))                                  \
				lo_ = mid_ + 1;                                   \
			else                                                      \
				hi_ = mid_;                                       \
		}                                                                 \
		return lo_ > 0 && (x) <= (v)[lo_ - 1].hi;                         \
	} while (0)

static int in4(const struct aset *a, uint32_t x) { FIND(a->v4, a->n4, x); }
static int in6(const struct aset *a, u128 x) { FIND(a->v6, a->n6, x); }
static int in48(const struct aset *a, uint64_t x) { FIND(a->mac, a->nmac, x); }
static int in16(const struct r16 *v, size_t n, uint16_t x) { FIND(v, n, x); }

static int dst_in(const struct aset *a, const struct fctx *c)
{
	return c->fam == 4 ? in4(a, c->d4) : c->fam == 6 ? in6(a, c->d6) : 0;
}

static int src_in(const struct aset *a, const struct fctx *c)
{
	if (c->fam == 4 ? in4(a, c->s4) : c->fam == 6 ? in6(a, c->s6) : 0)
		return 1;
	return c->has_mac && a->nmac && in48(a, c->mac);
}

static int bit(const uint64_t *bm, int i)
{
	return i >= 0 && (bm[i / 64] >> (i % 64) & 1);
}

static int cc_match(const struct rrule *r, const struct fctx *c)
{
	int m;

	if (!c->known)
		return 0;	/* a country test never matches an unknown destination */
	if (c->either)
		m = bit(r->cc, c->ci_loc) || bit(r->cc, c->ci_reg);
	else
		m = bit(r->cc, c->ci_pick);
	return m != r->dneg;
}

static int asn_in(const struct rrule *r, uint32_t asn)
{
	size_t lo = 0, hi = r->nasns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->asns[mid] < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nasns && r->asns[lo] == asn;
}

/* The tests on what DNS answers and the AS database say.  A name test
 * never matches when no name is known, an AS test when the AS is not. */
static int dest_ok(const struct rules_policy *p, const struct rrule *r, struct fctx *c)
{
	const struct rules_dest *d = c->dest;
	int m;

	switch (r->dkind) {
	case DST_HOST_UNKNOWN:
		return d->nnames == 0;
	case DST_HOST:
		if (!d->nnames)
			return 0;
		if (!c->hdone) {
			memset(c->hbits, 0, p->hosts.words * sizeof(c->hbits[0]));
			for (unsigned i = 0; i < d->nnames; i++)
				rules_hosts_lists(p, d->names[i], c->hbits);
			c->hdone = 1;
		}
		m = (int)(c->hbits[r->hostlist / 64] >> (r->hostlist % 64) & 1);
		return m != r->dneg;
	case DST_ASN:
		return d->asn && asn_in(r, d->asn) != r->dneg;
	default:
		return 1;
	}
}

static int rule_match(const struct rules_policy *p, const struct rrule *r, struct fctx *c)
{
	if (!(r->proto_bm[c->proto / 64] >> (c->proto % 64) & 1))
		return 0;
	if (r->nports && (!c->has_ports || !in16(r->ports, r->nports, c->dport)))
		return 0;
	switch (r->dkind) {
	case DST_UNKNOWN:
		if (c->known)
			return 0;
		break;
	case DST_COUNTRY:
		if (!cc_match(r, c))
			return 0;
		break;
	case DST_ADDR:
		if (dst_in(&r->dst_a, c) == r->dneg)
			return 0;
		break;
	case DST_HOST:
	case DST_HOST_UNKNOWN:
	case DST_ASN:
		if (!dest_ok(p, r, c))
			return 0;
		break;
	default:
		break;
	}
	return !r->src.n || src_in(&r->src_a, c);
}

static u128 load128(const uint8_t *b)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | b[i];
	return v;
}

static uint32_t load32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A field holding a code that is not a country matches no country list
 * (geo.h, "Codes that are not countries"). */
static int country_index(geo_cc cc)
{
	return geo_cc_is_country(cc) ? geo_cc_index(cc) : -1;
}

static void unpack(const struct rules_policy *p, const struct rules_flow *f,
		   const struct geo_answer *g, const struct rules_dest *dest, struct fctx *c)
{
	static const struct rules_dest nothing;
	geo_cc cc = geo_pick(g, p->opt.field, NULL);

	c->dest = dest ? dest : &nothing;
	c->hdone = 0;
	c->cc = cc;
	c->fam = f->family == AF_INET ? 4 : f->family == AF_INET6 ? 6 : 0;
	if (c->fam == 4) {
		c->s4 = load32(f->src.b);
		c->d4 = load32(f->dst.b);
	} else if (c->fam == 6) {
		c->s6 = load128(f->src.b);
		c->d6 = load128(f->dst.b);
	}
	c->has_mac = f->has_mac;
	c->mac = 0;
	for (int i = 0; i < 6; i++)
		c->mac = (c->mac << 8) | f->src_mac[i];
	c->known = cc != 0;
	c->ci_pick = geo_cc_index(cc);
	c->ci_loc = country_index(g->located);
	c->ci_reg = country_index(g->registered);
	c->either = p->opt.field == GEO_FIELD_EITHER;
	c->proto = f->proto;
	c->has_ports = f->has_ports;
	c->dport = f->dport;
}

/* The first devices set (policy order) holding the source address or MAC. */
static const char *device_of(const struct rules_policy *p, const struct fctx *c, int use_index)
{
	const struct rules_index *x = &p->index;

	if (use_index && x->dwords && c->fam) {
		const struct rules_dim *da = &x->dim[c->fam == 4 ? 6 : 7], *dm = &x->dim[8];
		const uint64_t *ra = da->bits + rules_dim_find(da, c->fam == 4 ? c->s4 : c->s6) * x->dwords;
		const uint64_t *rm = c->has_mac ? dm->bits + rules_dim_find(dm, c->mac) * x->dwords : NULL;

		for (size_t i = 0; i < x->dwords; i++) {
			uint64_t m = ra[i] | (rm ? rm[i] : 0);

			if (m)
				return p->sets[i * 64 + (size_t)__builtin_ctzll(m)].name;
		}
		return NULL;
	}
	for (size_t i = 0; i < p->nsets; i++)
		if (p->sets[i].kind == SET_DEVICES && src_in(&p->sets[i].a, c))
			return p->sets[i].name;
	return NULL;
}

static int cc_ok(const struct rrule *r, const struct fctx *c)
{
	if (r->dkind == DST_COUNTRY)
		return cc_match(r, c);
	return r->dkind != DST_UNKNOWN || !c->known;
}

static const uint64_t *row(const struct rules_index *x, int d, u128 key)
{
	return x->dim[d].bits + rules_dim_find(&x->dim[d], key) * x->words;
}

/* AND of one row per field; the lowest set bit is the first match. */
static long match_index(const struct rules_policy *p, struct fctx *c)
{
	const struct rules_index *x = &p->index;
	size_t w = x->words;
	const uint64_t *pr = x->proto + (size_t)c->proto * w;
	const uint64_t *po = c->has_ports ? row(x, 5, c->dport) : x->noport;
	const uint64_t *sa = c->fam == 4 ? row(x, 0, c->s4) : row(x, 1, c->s6);
	const uint64_t *sm = c->has_mac ? row(x, 2, c->mac) : NULL;
	const uint64_t *da = c->fam == 4 ? row(x, 3, c->d4) : row(x, 4, c->d6);
	const uint64_t *cc = NULL;

	if (!c->either)
		cc = x->cc + (size_t)(!c->known ? CC_BITS : c->ci_pick >= 0 ? c->ci_pick : CC_BITS + 1) * w;
	for (size_t i = 0; i < w; i++) {
		uint64_t m = pr[i] & po[i] & da[i] & (sa[i] | (sm ? sm[i] : 0));

		if (cc)
			m &= cc[i];
		for (; m; m &= m - 1) {
			size_t r = i * 64 + (size_t)__builtin_ctzll(m);

			if ((cc || cc_ok(&p->rules[r], c)) &&
			    (!(x->xcheck[i] >> (r % 64) & 1) || dest_ok(p, &p->rules[r], c)))
				return (long)r;
		}
	}
	return -1;
}

static long first_match(const struct rules_policy *p, struct fctx *c, int use_index)
{
	if (use_index && p->index.words && c->fam)
		return match_index(p, c);
	for (size_t i = 0; i < p->nrules; i++)
		if (rule_match(p, &p->rules[i], c))
			return (long)i;
	return -1;
}

const char *rules_device(const struct rules_policy *p, const struct rules_flow *f, int use_index)
{
	static const struct geo_answer none;
	struct fctx c;

	unpack(p, f, &none, NULL, &c);
	return device_of(p, &c, use_index);
}

long rules_first_match(const struct rules_policy *p, const struct rules_flow *f,
		       const struct geo_answer *g, const struct rules_dest *dest, int use_index)
{
	static const struct geo_answer none;
	struct fctx c;

	unpack(p, f, g ? g : &none, dest, &c);
	return first_match(p, &c, use_index);
}

void rules_eval(const struct rules_policy *p, const struct rules_flow *flow,
		const struct geo_answer *geo, struct rules_verdict *out)
{
	rules_eval_dest(p, flow, geo, NULL, out);
}

void rules_eval_dest(const struct rules_policy *p, const struct rules_flow *flow,
		     const struct geo_answer *geo, const struct rules_dest *dest,
		     struct rules_verdict *out)
{
	static const struct geo_answer none;
	struct fctx c;
	long i;

	unpack(p, flow, geo ? geo : &none, dest, &c);
	memset(out, 0, sizeof(*out));
	out->device = device_of(p, &c, 1);
	out->country = c.cc;
	out->db_code = geo_pick_code(geo ? geo : &none, p->opt.field, NULL);
	if (out->db_code == c.cc)	/* the country itself, or unknown */
		out->db_code = GEO_CC_UNKNOWN;
	if (geo && geo->via != GEO_VIA_NONE) {
		out->via = geo->via;
		memcpy(out->via_v4, geo->v4, 4);
	}
	i = first_match(p, &c, 1);
	if (i >= 0) {
		const struct rrule *r = &p->rules[i];

		out->action = r->action;
		out->log = r->log || r->action == RULES_LOG;
		out->line = r->line;
		out->name = r->name;
	} else if (!c.known && p->opt.has_unknown) {
		out->action = p->opt.unknown;
		out->log = p->opt.unknown_log || p->opt.unknown == RULES_LOG;
		out->line = p->opt_line[OPT_UNKNOWN];
		out->is_default = 1;
	} else {
		out->action = p->def;
		out->log = p->def_log || p->def == RULES_LOG;
		out->line = p->def_line;
		out->is_default = 1;
	}
	/* Every block and reject is recorded (doc/policy.md), enforced or
	 * (audit) not: the daemon logs exactly the verdicts with log set. */
	if (out->action == RULES_BLOCK || out->action == RULES_REJECT) {
		out->log = 1;
		out->audit = p->opt.mode == RULES_MODE_AUDIT;
	}
}

void rules_unknown_info(const struct rules_policy *p, struct rules_unknown_info *out)
{
	memset(out, 0, sizeof(*out));
	out->from_option = p->opt.has_unknown;
	out->action = p->opt.has_unknown ? p->opt.unknown : p->def;
	out->log = p->opt.has_unknown ? p->opt.unknown_log : p->def_log;
	out->line = p->opt.has_unknown ? p->opt_line[OPT_UNKNOWN] : p->def_line;
	for (size_t i = 0; i < p->nrules; i++) {
		if (p->rules[i].dkind != DST_UNKNOWN)
			continue;
		if (!out->nrules++)
			out->first_rule = p->rules[i].line;
	}
}
