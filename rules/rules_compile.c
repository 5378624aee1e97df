// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — compiling lists into sorted merged intervals and bitmaps, and
 * the checks that need them: set containment for shadowed rules. */
#include <stdlib.h>
#include <string.h>

#include "rules/rules_parse.h"

struct abuild {
	struct aset a;
	size_t c4, c6, cmac;
	int oom;
};

/* Appends one interval to v/n with capacity c (doubling). */
#define APPEND(b, v, n, c, LO, HI)                                                \
	do {                                                                      \
		if ((b)->a.n == (b)->c) {                                         \
			size_t nc_ = (b)->c ? (b)->c * 2 : 8;                     \
			void *nv_ = realloc((b)->a.v, nc_ * sizeof(*(b)->a.v));   \
			if (!nv_) {                                               \
				(b)->oom = 1;                                     \
				break;                                            \
			}                                                         \
			(b)->a.v = nv_;                                           \
			(b)->c = nc_;                                             \
		}                                                                 \
		(b)->a.v[(b)->a.n].lo = (LO);                                     \
		(b)->a.v[(b)->a.n].hi = (HI);                                     \
		(b)->a.n++;                                                       \
	} while (0)

static void add_elem(struct abuild *b, const struct rules_policy *p, const struct elem *e)
{
	const struct aset *s;

	switch (e->kind) {
	case EL_V4: {
		uint32_t m = e->plen ? 0xffffffffu << (32 - e->plen) : 0;
		uint32_t lo = (uint32_t)e->addr & m;

		APPEND(b, v4, n4, c4, lo, lo | ~m);
		break;
	}
	case EL_V6: {
		u128 m = e->plen ? ~(u128)0 << (128 - e->plen) : 0;

		APPEND(b, v6, n6, c6, e->addr & m, (e->addr & m) | ~m);
		break;
	}
	case EL_MAC: {
		uint64_t all = (1ull << 48) - 1, m = (all >> (48 - e->plen)) << (48 - e->plen);
		uint64_t lo = (uint64_t)e->addr & m;

		APPEND(b, mac, nmac, cmac, lo, lo | (~m & all));
		break;
	}
	case EL_REF:
		s = &p->sets[e->ref].a;
		for (size_t i = 0; i < s->n4; i++)
			APPEND(b, v4, n4, c4, s->v4[i].lo, s->v4[i].hi);
		for (size_t i = 0; i < s->n6; i++)
			APPEND(b, v6, n6, c6, s->v6[i].lo, s->v6[i].hi);
		for (size_t i = 0; i < s->nmac; i++)
			APPEND(b, mac, nmac, cmac, s->mac[i].lo, s->mac[i].hi);
		break;
	default:
		break;
	}
}

#define CMP_FN(name, type)                                                        \
	static int name(const void *x, const void *y)                             \
	{                                                                         \
		const type *a = x, *b = y;                                        \
		return a->lo < b->lo ? -1 : a->lo > b->lo ? 1 : 0;                \
	}
CMP_FN(cmp4, struct r4)
CMP_FN(cmp6, struct r6)
CMP_FN(cmp48, struct r48)
CMP_FN(cmp16, struct r16)

/* Sorts and merges overlapping or adjacent intervals in place. */
#define MERGE(v, n, cmp)                                                          \
	do {                                                                      \
		size_t o_ = 0;                                                    \
		if (!(n))                                                         \
			break;                                                    \
		qsort((v), (n), sizeof(*(v)), cmp);                               \
		for (size_t i_ = 1; i_ < (n); i_++) {                             \
			if ((v)[i_].lo <= (v)[o_].hi || (v)[i_].lo - 1 == (v)[o_].hi) { \
				if ((v)[i_].hi > (v)[o_].hi)                      \
					(v)[o_].hi = (v)[i_].hi;                  \
			} else {                                                  \
				(v)[++o_] = (v)[i_];                              \
			}                                                         \
		}                                                                 \
		(n) = o_ + 1;                                                     \
	} while (0)

static int build(const struct rules_policy *p, const struct elist *l, struct aset *out)
{
	struct abuild b = { 0 };

	for (size_t i = 0; i < l->n && !b.oom; i++)
		add_elem(&b, p, &l->v[i]);
	if (b.oom) {
		rules_aset_free(&b.a);
		return -1;
	}
	MERGE(b.a.v4, b.a.n4, cmp4);
	MERGE(b.a.v6, b.a.n6, cmp6);
	MERGE(b.a.mac, b.a.nmac, cmp48);
	*out = b.a;
	return 0;
}

void rules_aset_free(struct aset *a)
{
	free(a->v4);
	free(a->v6);
	free(a->mac);
	memset(a, 0, sizeof(*a));
}

static void cc_set(uint64_t *bm, uint16_t cc)
{
	int i = geo_cc_index(cc);

	if (i >= 0)
		bm[i / 64] |= 1ull << (i % 64);
}

static void build_cc(const struct rules_policy *p, const struct elist *l, uint64_t *bm)
{
	memset(bm, 0, CC_WORDS * sizeof(*bm));
	for (size_t i = 0; i < l->n; i++) {
		const struct elem *e = &l->v[i];

		if (e->kind == EL_CC) {
			cc_set(bm, e->cc);
		} else if (e->kind == EL_GROUP) {
			for (const char *c = rules_groups[e->ref].codes; c[0] && c[1]; c += c[2] ? 3 : 2)
				cc_set(bm, geo_cc_make(c[0], c[1]));
		} else if (e->kind == EL_REF) {
			for (size_t w = 0; w < CC_WORDS; w++)
				bm[w] |= p->sets[e->ref].cc[w];
		}
	}
}

int rules_compile_set(struct rules_policy *p, struct rset *s)
{
	if (s->kind == SET_COUNTRIES) {
		build_cc(p, &s->elems, s->cc);
		return 0;
	}
	return build(p, &s->elems, &s->a);
}

static int build_ports(struct rrule *r)
{
	if (!r->port.n)
		return 0;
	r->ports = malloc(r->port.n * sizeof(*r->ports));
	if (!r->ports)
		return -1;
	for (size_t i = 0; i < r->port.n; i++) {
		r->ports[i].lo = (uint16_t)r->port.v[i].lo;
		r->ports[i].hi = (uint16_t)r->port.v[i].hi;
	}
	r->nports = r->port.n;
	MERGE(r->ports, r->nports, cmp16);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* to asn: the numbers, sorted and unique. */
static int build_asns(struct rrule *r)
{
	size_t n = 0;

	if (r->dkind != DST_ASN || !r->dst.n)
		return 0;
	r->asns = malloc(r->dst.n * sizeof(*r->asns));
	if (!r->asns)
		return -1;
	for (size_t i = 0; i < r->dst.n; i++)
		r->asns[i] = r->dst.v[i].lo;
	qsort(r->asns, r->dst.n, sizeof(*r->asns), cmp_u32);
	for (size_t i = 0; i < r->dst.n; i++)
		if (!n || r->asns[n - 1] != r->asns[i])
			r->asns[n++] = r->asns[i];
	r->nasns = n;
	return 0;
}

int rules_compile_rule(struct rules_policy *p, struct rrule *r)
{
	memset(r->proto_bm, 0, sizeof(r->proto_bm));
	if (r->proto.n) {
		for (size_t i = 0; i < r->proto.n; i++)
			r->proto_bm[r->proto.v[i].lo / 64] |= 1ull << (r->proto.v[i].lo % 64);
	} else if (r->port.n) {
		r->proto_bm[0] = 1ull << 6 | 1ull << 17;	/* tcp, udp */
		r->proto_bm[2] = 1ull << (132 - 128);		/* sctp */
	} else {
		memset(r->proto_bm, 0xff, sizeof(r->proto_bm));
	}
	if (r->dkind == DST_COUNTRY)
		build_cc(p, &r->dst, r->cc);
	if (build(p, &r->src, &r->src_a) < 0 || build(p, &r->dst, &r->dst_a) < 0 || build_asns(r) < 0)
		return -1;
	return build_ports(r);
}

/* Every interval of small lies inside one interval of big (big merged). */
#define CONTAINS(big, nb, small, ns)                                              \
	do {                                                                      \
		size_t j_ = 0;                                                    \
		for (size_t i_ = 0; i_ < (ns); i_++) {                            \
			while (j_ < (nb) && (big)[j_].hi < (small)[i_].lo)        \
				j_++;                                             \
			if (j_ == (nb) || (big)[j_].lo > (small)[i_].lo ||        \
			    (big)[j_].hi < (small)[i_].hi)                        \
				return 0;                                         \
		}                                                                 \
	} while (0)

int rules_aset_contains(const struct aset *big, const struct aset *small)
{
	CONTAINS(big->v4, big->n4, small->v4, small->n4);
	CONTAINS(big->v6, big->n6, small->v6, small->n6);
	CONTAINS(big->mac, big->nmac, small->mac, small->nmac);
	return 1;
}

static int ports_contain(const struct rrule *a, const struct rrule *b)
{
	if (!a->nports)
		return 1;
	if (!b->nports)
		return 0;
	CONTAINS(a->ports, a->nports, b->ports, b->nports);
	return 1;
}

static int bits_subset(const uint64_t *small, const uint64_t *big, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (small[i] & ~big[i])
			return 0;
	return 1;
}

/* Every element of small, as written, is in big (host lists). */
static int elems_in(const struct rules_policy *p, const struct elist *big, const struct elist *small)
{
	for (size_t i = 0; i < small->n; i++) {
		const struct elem *s = &small->v[i];
		size_t j;

		for (j = 0; j < big->n; j++) {
			const struct elem *b = &big->v[j];

			if (b->kind == s->kind && (s->kind == EL_REF ? b->ref == s->ref :
			    b->hi == s->hi && !strcmp(pool_str(p, b), pool_str(p, s))))
				break;
		}
		if (j == big->n)
			return 0;
	}
	return 1;
}

static int u32_subset(const uint32_t *small, size_t ns, const uint32_t *big, size_t nb)
{
	for (size_t i = 0, j = 0; i < ns; i++) {
		while (j < nb && big[j] < small[i])
			j++;
		if (j == nb || big[j] != small[i])
			return 0;
	}
	return 1;
}

static int dst_contains(const struct rules_policy *p, const struct rrule *a, const struct rrule *b)
{
	if (a->dkind == DST_ANY)
		return 1;
	if (a->dkind != b->dkind)
		return 0;
	if (a->dkind == DST_UNKNOWN || a->dkind == DST_HOST_UNKNOWN)
		return 1;
	if (a->dneg != b->dneg)
		return 0;
	if (a->dkind == DST_HOST)
		return a->dneg ? elems_in(p, &b->dst, &a->dst) : elems_in(p, &a->dst, &b->dst);
	if (a->dkind == DST_ASN)
		return a->dneg ? u32_subset(a->asns, a->nasns, b->asns, b->nasns) :
				 u32_subset(b->asns, b->nasns, a->asns, a->nasns);
	if (a->dkind == DST_COUNTRY)
		return a->dneg ? bits_subset(a->cc, b->cc, CC_WORDS) : bits_subset(b->cc, a->cc, CC_WORDS);
	return a->dneg ? rules_aset_contains(&b->dst_a, &a->dst_a) :
			 rules_aset_contains(&a->dst_a, &b->dst_a);
}

/* Conservative: 1 only when rule a matches every flow rule b matches. */
int rules_rule_shadows(const struct rules_policy *p, const struct rrule *a, const struct rrule *b)
{
	if (!bits_subset(b->proto_bm, a->proto_bm, 4) || !ports_contain(a, b))
		return 0;
	if (a->src.n && (!b->src.n || !rules_aset_contains(&a->src_a, &b->src_a)))
		return 0;
	return dst_contains(p, a, b);
}

void rules_check_warnings(struct parser *ps)
{
	const struct rules_policy *p = ps->p;

	for (size_t i = 0; i < p->nsets; i++)
		if (!p->sets[i].used)
			diag(&ps->dc, RULES_WARNING, p->sets[i].line, p->sets[i].col,
			     (int)strlen(p->sets[i].name), "set '%s' is never used", p->sets[i].name);
	if (p->nrules > 5000)
		return;
	for (size_t j = 1; j < p->nrules; j++) {
		for (size_t i = 0; i < j; i++) {
			if (rules_rule_shadows(p, &p->rules[i], &p->rules[j])) {
				const struct rrule *r = &p->rules[j];

				diag(&ps->dc, RULES_WARNING, r->line, r->col,
				     (int)strlen(rules_action_name(r->action)),
				     "this rule never matches: the rule on line %d already matches every "
				     "flow it would", p->rules[i].line);
				break;
			}
		}
	}
}
