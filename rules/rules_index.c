// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules — the evaluation index (bit-vector classification, Lakshman and
 * Stiliadis 1998).  For each field of a flow (protocol, destination port,
 * source address, source MAC, destination address, country) the policy
 * precomputes, per elementary interval of that field, the bitmap of rules
 * whose test on that field passes.  Evaluating a flow is then one binary
 * search per field and an AND of a few words: the lowest set bit is the
 * first rule that matches.  Only `country-field either` keeps a per-rule
 * country check (it looks at two fields at once).
 */
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

struct rng {
	u128 lo, hi;
};

enum dim_mode { DIM_OOM = -1, DIM_ALL, DIM_RANGES, DIM_NEG };

/* Which ranges item (rule or set) tests on dimension `which`; *v is malloc'd. */
typedef enum dim_mode (*dim_get)(const struct rules_policy *p, size_t item, int which, struct rng **v,
				 size_t *n);

static int cmp_u128(const void *a, const void *b)
{
	const u128 *x = a, *y = b;

	return *x < *y ? -1 : *x > *y ? 1 : 0;
}

size_t rules_dim_find(const struct rules_dim *d, u128 x)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (d->b[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;	/* b[0] == 0, so lo >= 1 */
}

static void set_range(uint64_t *bits, size_t words, size_t from, size_t to, size_t rule, int on)
{
	for (size_t i = from; i <= to; i++) {
		if (on)
			bits[i * words + rule / 64] |= 1ull << (rule % 64);
		else
			bits[i * words + rule / 64] &= ~(1ull << (rule % 64));
	}
}

/* Boundaries: 0 and every lo and hi+1 (below max) of every rule, unique. */
static int collect(const struct rules_policy *p, size_t nitems, dim_get get, int which, u128 max,
		   struct rules_dim *d)
{
	size_t cap = 16, n = 1;
	u128 *b = malloc(cap * sizeof(*b));

	if (!b)
		return -1;
	b[0] = 0;
	for (size_t r = 0; r < nitems; r++) {
		struct rng *v = NULL;
		size_t nv = 0;

		if (get(p, r, which, &v, &nv) == DIM_OOM) {
			free(b);
			return -1;
		}
		if (n + 2 * nv > cap) {
			u128 *nb;

			cap = (n + 2 * nv) * 2;
			nb = realloc(b, cap * sizeof(*b));
			if (!nb) {
				free(v);
				free(b);
				return -1;
			}
			b = nb;
		}
		for (size_t i = 0; i < nv; i++) {
			b[n++] = v[i].lo;
			if (v[i].hi < max)
				b[n++] = v[i].hi + 1;
		}
		free(v);
	}
	qsort(b, n, sizeof(*b), cmp_u128);
	d->n = 0;
	for (size_t i = 0; i < n; i++)
		if (d->n == 0 || b[i] != b[d->n - 1])
			b[d->n++] = b[i];
	d->b = b;
	return 0;
}

static int build_dim(const struct rules_policy *p, size_t nitems, size_t words, dim_get get, int which,
		     u128 max, struct rules_dim *d)
{
	if (collect(p, nitems, get, which, max, d) < 0)
		return -1;
	d->bits = calloc(d->n * words, sizeof(uint64_t));
	if (!d->bits)
		return -1;
	for (size_t r = 0; r < nitems; r++) {
		struct rng *v = NULL;
		size_t nv = 0;
		enum dim_mode m = get(p, r, which, &v, &nv);

		if (m == DIM_OOM)
			return -1;
		if (m != DIM_RANGES)
			set_range(d->bits, words, 0, d->n - 1, r, 1);
		for (size_t i = 0; i < nv; i++)
			set_range(d->bits, words, rules_dim_find(d, v[i].lo), rules_dim_find(d, v[i].hi), r,
				  m == DIM_RANGES);
		free(v);
	}
	return 0;
}

#define COPY_RANGES(arr, cnt)                                                     \
	do {                                                                      \
		*v = malloc(((cnt) ? (cnt) : 1) * sizeof(**v));                   \
		if (!*v)                                                          \
			return DIM_OOM;                                           \
		for (size_t i_ = 0; i_ < (cnt); i_++) {                           \
			(*v)[i_].lo = (arr)[i_].lo;                               \
			(*v)[i_].hi = (arr)[i_].hi;                               \
		}                                                                 \
		*n = (cnt);                                                       \
	} while (0)

enum { D_SRC4, D_SRC6, D_MAC, D_DST4, D_DST6, D_PORT };

static enum dim_mode get_ranges(const struct rules_policy *p, size_t item, int which, struct rng **v,
				size_t *n)
{
	const struct rrule *r = &p->rules[item];

	*v = NULL;
	*n = 0;
	switch (which) {
	case D_SRC4: case D_SRC6: case D_MAC:
		if (!r->src.n)
			return DIM_ALL;
		if (which == D_SRC4)
			COPY_RANGES(r->src_a.v4, r->src_a.n4);
		else if (which == D_SRC6)
			COPY_RANGES(r->src_a.v6, r->src_a.n6);
		else
			COPY_RANGES(r->src_a.mac, r->src_a.nmac);
		return DIM_RANGES;
	case D_DST4: case D_DST6:
		if (r->dkind != DST_ADDR)
			return DIM_ALL;
		if (which == D_DST4)
			COPY_RANGES(r->dst_a.v4, r->dst_a.n4);
		else
			COPY_RANGES(r->dst_a.v6, r->dst_a.n6);
		return r->dneg ? DIM_NEG : DIM_RANGES;
	default:
		if (!r->nports)
			return DIM_ALL;
		COPY_RANGES(r->ports, r->nports);
		return DIM_RANGES;
	}
}

/* Device naming: sets as items; only devices sets have ranges. */
static enum dim_mode get_device(const struct rules_policy *p, size_t item, int which, struct rng **v,
				size_t *n)
{
	const struct rset *st = &p->sets[item];

	*v = NULL;
	*n = 0;
	if (st->kind != SET_DEVICES)
		return DIM_RANGES;
	if (which == D_SRC4)
		COPY_RANGES(st->a.v4, st->a.n4);
	else if (which == D_SRC6)
		COPY_RANGES(st->a.v6, st->a.n6);
	else
		COPY_RANGES(st->a.mac, st->a.nmac);
	return DIM_RANGES;
}

static int build_small(const struct rules_policy *p, struct rules_index *x)
{
	size_t w = x->words;

	x->proto = calloc(256 * w, sizeof(uint64_t));
	x->noport = calloc(w, sizeof(uint64_t));
	x->cc = calloc((CC_BITS + 2) * w, sizeof(uint64_t));
	x->xcheck = calloc(w, sizeof(uint64_t));
	if (!x->proto || !x->noport || !x->cc || !x->xcheck)
		return -1;
	for (size_t r = 0; r < p->nrules; r++) {
		const struct rrule *ru = &p->rules[r];
		uint64_t bit = 1ull << (r % 64);

		for (unsigned pr = 0; pr < 256; pr++)
			if (ru->proto_bm[pr / 64] >> (pr % 64) & 1)
				x->proto[pr * w + r / 64] |= bit;
		if (!ru->nports)
			x->noport[r / 64] |= bit;
		if (ru->dkind == DST_HOST || ru->dkind == DST_HOST_UNKNOWN || ru->dkind == DST_ASN)
			x->xcheck[r / 64] |= bit;	/* names and AS: checked rule by rule */
		/* rows: the 676 codes, then unknown (never matched by a country
		 * test), then a known but malformed code (in no list) */
		for (int c = 0; c < CC_BITS + 2; c++) {
			int m;

			if (ru->dkind == DST_COUNTRY)
				m = c < CC_BITS ? (int)(ru->cc[c / 64] >> (c % 64) & 1) != ru->dneg :
				    c == CC_BITS ? 0 : ru->dneg;
			else if (ru->dkind == DST_UNKNOWN)
				m = c == CC_BITS;
			else
				m = 1;
			if (m)
				x->cc[c * w + r / 64] |= bit;
		}
	}
	return 0;
}

void rules_index_free(struct rules_index *x)
{
	free(x->proto);
	free(x->noport);
	free(x->cc);
	free(x->xcheck);
	for (int i = 0; i < 9; i++) {
		free(x->dim[i].b);
		free(x->dim[i].bits);
	}
	memset(x, 0, sizeof(*x));
}

int rules_index_build(struct rules_policy *p)
{
	static const u128 max[6] = {
		[D_SRC4] = 0xffffffffu, [D_SRC6] = ~(u128)0, [D_MAC] = (1ull << 48) - 1,
		[D_DST4] = 0xffffffffu, [D_DST6] = ~(u128)0, [D_PORT] = 0xffff,
	};
	struct rules_index *x = &p->index;

	x->words = (p->nrules + 63) / 64;
	x->dwords = (p->nsets + 63) / 64;
	for (int i = 0; i < 3 && x->dwords; i++)
		if (build_dim(p, p->nsets, x->dwords, get_device, i, max[i], &x->dim[6 + i]) < 0)
			goto fail;
	if (!x->words)
		return 0;
	if (build_small(p, x) < 0)
		goto fail;
	for (int i = 0; i < 6; i++)
		if (build_dim(p, p->nrules, x->words, get_ranges, i, max[i], &x->dim[i]) < 0)
			goto fail;
	return 0;
fail:
	rules_index_free(x);
	return -1;
}
