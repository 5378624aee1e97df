// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules — names: the compiled table of every host name and wildcard
 * domain the policy lists, and which lists hold each.
 *
 * A list is a rule's `to host` list (ids 0 .. nrulelists-1, in rule order)
 * or a hosts set (the ids after, in set order); a set included with @name
 * lends its names to the including list.  Deciding a flow asks the table
 * once per name the device's answers gave the destination, and once per
 * domain above it for wildcards (vendor.test for a.vendor.test), and ORs
 * the bitmaps found: bit k set means list k holds the name.  No
 * allocation; a few hash probes per name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"
#include "util/hash.h"

#define LISTS_MAX 4096	/* bits a flow's host bitmap has room for (rules_eval.c) */

static uint64_t name_hash(const char *s, size_t len, int wild)
{
	uint64_t h = fnv1a64(FNV1A64_BASIS ^ (uint64_t)wild, s, len);

	h ^= h >> 31;
	return h ? h : 1;	/* 0 marks an empty slot */
}

static struct hname *find(const struct hosttab *t, const char *pool, const char *s, size_t len, int wild,
			  uint64_t h)
{
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct hname *e = &t->v[i];

		if (!e->hash)
			return e;
		if (e->hash == h && e->wild == wild && e->len == len && !memcmp(pool + e->off, s, len))
			return e;
	}
}

static int grow(struct hosttab *t, const char *pool, size_t count)
{
	size_t cap = t->cap ? t->cap : 16;
	struct hosttab n = *t;

	while (count * 2 >= cap)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	n.cap = cap;
	n.v = calloc(cap, sizeof(*n.v));
	if (!n.v)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->v[i].hash)
			*find(&n, pool, pool + t->v[i].off, t->v[i].len, t->v[i].wild, t->v[i].hash) = t->v[i];
	free(t->v);
	*t = n;
	return 0;
}

struct build {
	struct hosttab *t;
	const char *pool;
	size_t count, nbits;	/* entries, bitmaps allocated */
};

static unsigned labels(const char *s, size_t len)
{
	unsigned n = 1;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '.';
	return n;
}

/* Adds name (or wildcard domain) e to list k. */
static int add(struct build *b, const struct elem *e, size_t k)
{
	struct hosttab *t = b->t;
	const char *s = b->pool + e->lo;
	int wild = e->kind == EL_WILD;
	uint64_t h = name_hash(s, e->hi, wild);
	struct hname *x;

	if (grow(t, b->pool, b->count + 1) < 0)
		return -1;
	x = find(t, b->pool, s, e->hi, wild, h);
	if (!x->hash) {
		uint64_t *bits;

		if ((b->nbits + 1) * t->words > SIZE_MAX / sizeof(*bits) / 2)
			return -1;
		bits = realloc(t->bits, (b->nbits + 1) * t->words * sizeof(*bits));
		if (!bits)
			return -1;
		t->bits = bits;
		memset(bits + b->nbits * t->words, 0, t->words * sizeof(*bits));
		*x = (struct hname){ h, e->lo, e->hi, (uint8_t)wild, b->nbits * t->words };
		b->nbits++;
		b->count++;
		if (wild && labels(s, e->hi) > t->maxlabels)
			t->maxlabels = (uint8_t)(labels(s, e->hi) > 255 ? 255 : labels(s, e->hi));
	}
	t->bits[x->bits + k / 64] |= 1ull << (k % 64);
	return 0;
}

/* Adds every name of list l (sets it includes too) to list k. */
static int add_list(struct build *b, const struct rules_policy *p, const struct elist *l, size_t k, int depth)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct elem *e = &l->v[i];

		if ((e->kind == EL_HOST || e->kind == EL_WILD) && add(b, e, k) < 0)
			return -1;
		/* a set includes only earlier sets: depth is bounded by nsets */
		if (e->kind == EL_REF && p->sets[e->ref].kind == SET_HOSTS && depth < 64 &&
		    add_list(b, p, &p->sets[e->ref].elems, k, depth + 1) < 0)
			return -1;
	}
	return 0;
}

int rules_hosts_build(struct rules_policy *p)
{
	struct hosttab *t = &p->hosts;
	struct build b = { .t = t, .pool = p->pool };
	size_t k = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < p->nrules; i++)
		p->rules[i].hostlist = p->rules[i].dkind == DST_HOST ? (int)t->nrulelists++ : -1;
	t->nlists = t->nrulelists;
	for (size_t i = 0; i < p->nsets; i++)
		t->nlists += p->sets[i].kind == SET_HOSTS;
	if (!t->nlists)
		return 0;
	if (t->nlists > LISTS_MAX)
		return errno = E2BIG, -1;
	t->words = (t->nlists + 63) / 64;
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].dkind == DST_HOST && add_list(&b, p, &p->rules[i].dst, k++, 0) < 0)
			goto fail;
	for (size_t i = 0; i < p->nsets; i++)
		if (p->sets[i].kind == SET_HOSTS && add_list(&b, p, &p->sets[i].elems, k++, 0) < 0)
			goto fail;
	return 0;
fail:
	rules_hosts_free(t);
	return -1;
}

void rules_hosts_free(struct hosttab *t)
{
	free(t->v);
	free(t->bits);
	memset(t, 0, sizeof(*t));
}

static void or_bits(const struct rules_policy *p, const char *s, size_t len, int wild, uint64_t *bits)
{
	const struct hosttab *t = &p->hosts;
	const struct hname *x = find(t, p->pool, s, len, wild, name_hash(s, len, wild));

	if (x->hash)
		for (size_t w = 0; w < t->words; w++)
			bits[w] |= t->bits[x->bits + w];
}

void rules_hosts_lists(const struct rules_policy *p, const char *name, uint64_t *bits)
{
	const struct hosttab *t = &p->hosts;
	size_t len = strlen(name);
	unsigned n = 0;

	if (!t->cap)
		return;
	or_bits(p, name, len, 0, bits);
	/* the domains above it, nearest the root first, as deep as the
	 * deepest wildcard: a.b.vendor.test asks test, vendor.test, b.vendor.test */
	for (size_t i = len; i-- > 0 && n < t->maxlabels;) {
		if (name[i] != '.')
			continue;
		n++;
		or_bits(p, name + i + 1, len - i - 1, 1, bits);
	}
}

/* ---- the hosts sets, for explain ---- */

static const struct rset *host_set(const struct rules_policy *p, size_t i, size_t *list)
{
	size_t n = 0;

	for (size_t s = 0; s < p->nsets; s++) {
		if (p->sets[s].kind != SET_HOSTS)
			continue;
		if (n++ == i) {
			*list = p->hosts.nrulelists + i;
			return &p->sets[s];
		}
	}
	return NULL;
}

size_t rules_host_sets(const struct rules_policy *p)
{
	return p->hosts.nlists - p->hosts.nrulelists;
}

const char *rules_host_set_name(const struct rules_policy *p, size_t i)
{
	size_t list;
	const struct rset *s = host_set(p, i, &list);

	return s ? s->name : NULL;
}

int rules_host_set_match(const struct rules_policy *p, size_t i, const char *name)
{
	uint64_t bits[LISTS_MAX / 64] = { 0 };
	size_t list;

	if (!host_set(p, i, &list))
		return 0;
	rules_hosts_lists(p, name, bits);
	return (int)(bits[list / 64] >> (list % 64) & 1);
}

void rules_dest_tests(const struct rules_policy *p, unsigned *host_rules, unsigned *asn_rules)
{
	*host_rules = *asn_rules = 0;
	for (size_t i = 0; i < p->nrules; i++) {
		*host_rules += p->rules[i].dkind == DST_HOST || p->rules[i].dkind == DST_HOST_UNKNOWN;
		*asn_rules += p->rules[i].dkind == DST_ASN;
	}
}
