// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dns — the name cache: (device, address) → the names the device's DNS
 * answers gave that address.
 *
 * Two fixed tables, allocated once.  Entries hold a device, an address and
 * up to DNS_REFS references to names (each with its own expiry, most
 * recent first); names are stored once each, in a second table, and an
 * entry refers to one by slot and generation, so a name slot can be
 * reused (its generation bumped) without touching the entries that
 * referred to it: they simply no longer find it.
 *
 * Both tables are set-associative: a key's hash picks a bucket of
 * WAYS slots; a new key takes a free or expired slot of its bucket, else
 * the one that expires soonest (the eviction rule).  Bucket choice is
 * seeded at random, so crafted names cannot aim at one bucket.
 *
 * Concurrency: one writer, many readers, no lock.  Each bucket has a
 * sequence counter (a seqlock): the writer makes it odd, changes the
 * bucket, makes it even again; a reader reads it, copies the slot it
 * wants, and checks the counter did not move (else retries, at most
 * TRIES times, then gives up: the flow is decided as if nothing were
 * known, and the caller counts it).  Readers copy only plain data and
 * check every index before using it, so a torn copy is never acted on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "util/hash.h"

#define WAYS 8
#define TRIES 4

struct ref {
	uint32_t slot;		/* name slot + 1; 0 = none */
	uint32_t gen;		/* the slot's generation when referred to */
	uint32_t expires;	/* seconds */
	uint8_t asked;
};

struct ent {
	uint32_t expires;	/* the latest of its refs; 0 = free */
	uint32_t stamp;		/* when written (the writer's counter): ties go to the oldest */
	uint8_t devkind, family;
	uint8_t dev[16], addr[16];
	struct ref ref[DNS_REFS];
};

struct ebucket {
	uint32_t seq;
	uint32_t tag[WAYS];	/* hash bits of the key in each way (0 = free) */
	struct ent e[WAYS];
};

struct name {
	uint32_t gen;		/* bumped when the slot is given to another name */
	uint32_t expires;	/* the latest expiry of a reference to it (writer only) */
	uint32_t stamp;		/* when written (writer only) */
	uint64_t hash;
	uint16_t len;		/* 0 = free */
	char s[DNS_NAME_MAX + 1];
};

struct nbucket {
	uint32_t seq;
	struct name n[WAYS];
};

struct dns_cache {
	struct ebucket *eb;
	struct nbucket *nb;
	uint32_t nebuckets, nnbuckets;	/* powers of two */
	uint32_t ttl_min, ttl_max;
	uint64_t seed;
	uint32_t clock;			/* the writer's counter, for stamps */
	struct dns_cache_stats st;	/* writer's counters */
	size_t bytes;
};

/* ---- small helpers ---- */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
	return mix(fnv1a64(seed ^ (n * 0x9e3779b97f4a7c15ULL), p, n));
}

static uint32_t pow2(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* The writer's side of a bucket's counter. */
static void write_begin(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
}

/* The reader's side: 1 when the copy made since read_begin is consistent. */
static uint32_t read_begin(const uint32_t *seq)
{
	return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}

static int read_ok(const uint32_t *seq, uint32_t begin)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return !(begin & 1) && __atomic_load_n(seq, __ATOMIC_RELAXED) == begin;
}

/* ---- allocation ---- */

static void sizes(const struct dns_cache_cfg *cfg, uint32_t *ne, uint32_t *nn)
{
	*ne = pow2((cfg->entries + WAYS - 1) / WAYS);
	*nn = pow2((cfg->names + WAYS - 1) / WAYS);
}

size_t dns_cache_bytes(const struct dns_cache_cfg *cfg)
{
	uint32_t ne, nn;

	sizes(cfg, &ne, &nn);
	return sizeof(struct dns_cache) + (size_t)ne * sizeof(struct ebucket) +
	       (size_t)nn * sizeof(struct nbucket);
}

struct dns_cache *dns_cache_new(const struct dns_cache_cfg *cfg)
{
	struct dns_cache *c;

	if (!cfg->entries || !cfg->names)
		return errno = EINVAL, NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	sizes(cfg, &c->nebuckets, &c->nnbuckets);
	c->eb = calloc(c->nebuckets, sizeof(*c->eb));
	c->nb = calloc(c->nnbuckets, sizeof(*c->nb));
	if (!c->eb || !c->nb) {
		dns_cache_free(c);
		return errno = ENOMEM, NULL;
	}
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) != sizeof(c->seed))
		c->seed = (uint64_t)(uintptr_t)c ^ 0x5bd1e9955bd1e995ULL;
	c->bytes = dns_cache_bytes(cfg);
	dns_cache_set_ttl(c, cfg->ttl_min, cfg->ttl_max);
	return c;
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	free(c->eb);
	free(c->nb);
	free(c);
}

void dns_cache_set_ttl(struct dns_cache *c, uint32_t ttl_min, uint32_t ttl_max)
{
	c->ttl_min = ttl_min;
	c->ttl_max = ttl_max > ttl_min ? ttl_max : ttl_min;
}

/* ---- the writer ---- */

/* Which of two slots to give up first: the one expiring sooner, on a tie
 * the one written longer ago (stamps compared as a wrapping counter). */
static int older(uint32_t exp_a, uint32_t stamp_a, uint32_t exp_b, uint32_t stamp_b)
{
	return exp_a != exp_b ? exp_a < exp_b : (int32_t)(stamp_a - stamp_b) < 0;
}

static uint64_t name_hash(const struct dns_cache *c, const char *s, size_t len)
{
	return hash_bytes(c->seed, s, len);
}

/* The slot (+ 1) and generation of name s, stored if new, its expiry
 * raised to at least expires.  The slot to take: free, expired, else the
 * one expiring soonest. */
static void name_intern(struct dns_cache *c, const char *s, uint32_t expires, uint32_t now,
			uint32_t *slot, uint32_t *gen)
{
	size_t len = strlen(s);
	uint64_t h = name_hash(c, s, len);
	uint32_t b = (uint32_t)h & (c->nnbuckets - 1);
	struct nbucket *nb = &c->nb[b];
	int victim = -1;

	for (int w = 0; w < WAYS; w++) {
		struct name *n = &nb->n[w];

		if (n->len == len && n->hash == h && !memcmp(n->s, s, len)) {
			if (n->expires < expires)
				n->expires = expires;	/* read by the writer only */
			n->stamp = ++c->clock;
			*slot = b * WAYS + (uint32_t)w + 1;
			*gen = n->gen;
			return;
		}
		if (!n->len) {
			if (victim < 0 || nb->n[victim].len)
				victim = w;
		} else if (victim < 0 || (nb->n[victim].len && older(n->expires, n->stamp,
								       nb->n[victim].expires,
								       nb->n[victim].stamp))) {
			victim = w;
		}
	}
	if (nb->n[victim].len && nb->n[victim].expires > now)
		c->st.names_evicted++;
	write_begin(&nb->seq);
	{
		struct name *n = &nb->n[victim];

		n->gen++;
		n->stamp = ++c->clock;
		n->hash = h;
		n->expires = expires;
		memcpy(n->s, s, len + 1);
		n->len = (uint16_t)len;
	}
	write_end(&nb->seq);
	*slot = b * WAYS + (uint32_t)victim + 1;
	*gen = nb->n[victim].gen;
}

static uint64_t ent_hash(const struct dns_cache *c, const struct dns_dev *dev, uint8_t family,
			 const uint8_t *addr)
{
	uint8_t k[2 + 16 + 16] = { dev->kind, family };

	memcpy(k + 2, dev->id, 16);
	memcpy(k + 18, addr, addr_len(family));
	return hash_bytes(c->seed ^ 0xa5a5a5a5a5a5a5a5ULL, k, sizeof(k));
}

static uint32_t tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;	/* never 0: 0 marks a free way */
}

static int ent_same(const struct ent *e, const struct dns_dev *dev, uint8_t family, const uint8_t *addr)
{
	return e->devkind == dev->kind && e->family == family && !memcmp(e->dev, dev->id, 16) &&
	       !memcmp(e->addr, addr, addr_len(family));
}

/* Adds a reference in front (most recent first); an existing one to the
 * same name moves there.  The last one (or an expired one) drops out. */
static void ent_add_ref(struct ent *e, const struct ref *r, uint32_t now)
{
	int at = DNS_REFS - 1;

	for (int i = 0; i < DNS_REFS; i++) {
		if (e->ref[i].slot == r->slot && e->ref[i].gen == r->gen) {
			at = i;
			break;
		}
		if (e->ref[i].slot == 0 || e->ref[i].expires <= now)
			at = i < at ? i : at;
	}
	memmove(&e->ref[1], &e->ref[0], (size_t)at * sizeof(e->ref[0]));
	e->ref[0] = *r;
	e->expires = 0;
	for (int i = 0; i < DNS_REFS; i++)
		if (e->ref[i].slot && e->ref[i].expires > e->expires)
			e->expires = e->ref[i].expires;
}

/* The way for the key in bucket b: its own (fresh again when it had
 * expired), else a free one, else the one expiring soonest (counted as
 * evicted when it had not expired). */
static int ent_way(struct dns_cache *c, struct ebucket *b, uint32_t tag, const struct dns_dev *dev,
		   uint8_t family, const uint8_t *addr, uint32_t now, int *fresh)
{
	int victim = -1;

	for (int w = 0; w < WAYS; w++) {
		const struct ent *e = &b->e[w];

		if (b->tag[w] == tag && ent_same(e, dev, family, addr)) {
			*fresh = e->expires <= now;
			return w;
		}
		if (!b->tag[w]) {
			if (victim < 0 || b->tag[victim])
				victim = w;
		} else if (victim < 0 || (b->tag[victim] && older(e->expires, e->stamp, b->e[victim].expires,
								  b->e[victim].stamp))) {
			victim = w;
		}
	}
	*fresh = 1;
	if (b->tag[victim] && b->e[victim].expires > now)
		c->st.evicted++;
	return victim;
}

static void learn_addr(struct dns_cache *c, const struct dns_dev *dev, const struct dns_addr *a,
		       const struct ref *refs, int nrefs, uint32_t now)
{
	uint64_t h = ent_hash(c, dev, a->family, a->addr);
	struct ebucket *b = &c->eb[(uint32_t)h & (c->nebuckets - 1)];
	uint32_t tag = tag_of(h), ttl = a->ttl;
	int fresh, w = ent_way(c, b, tag, dev, a->family, a->addr, now, &fresh);
	struct ent *e = &b->e[w];

	if (ttl < c->ttl_min)
		ttl = c->ttl_min;
	if (ttl > c->ttl_max)
		ttl = c->ttl_max;
	write_begin(&b->seq);
	if (fresh) {
		memset(e, 0, sizeof(*e));
		e->devkind = dev->kind;
		e->family = a->family;
		memcpy(e->dev, dev->id, 16);
		memcpy(e->addr, a->addr, addr_len(a->family));
		b->tag[w] = tag;
	}
	e->stamp = ++c->clock;
	for (int i = nrefs - 1; i >= 0; i--) {	/* the asked name ends up first */
		struct ref r = refs[i];

		r.expires = now + ttl;
		ent_add_ref(e, &r, now);
	}
	write_end(&b->seq);
	c->st.addrs++;
}

unsigned dns_cache_learn(struct dns_cache *c, const struct dns_dev *dev, const struct dns_answer *a,
			 uint32_t now_s)
{
	struct ref refs[2] = { { .asked = 1 }, { .asked = 0 } };
	uint32_t longest = 0;
	int nrefs = strcmp(a->qname, a->final) ? 2 : 1;

	if (!a->naddr || !a->qname[0])
		return 0;
	for (unsigned i = 0; i < a->naddr; i++)
		if (a->addr[i].ttl > longest)
			longest = a->addr[i].ttl;
	longest = longest < c->ttl_min ? c->ttl_min : longest > c->ttl_max ? c->ttl_max : longest;
	name_intern(c, a->qname, now_s + longest, now_s, &refs[0].slot, &refs[0].gen);
	if (nrefs == 2)
		name_intern(c, a->final, now_s + longest, now_s, &refs[1].slot, &refs[1].gen);
	for (unsigned i = 0; i < a->naddr; i++)
		learn_addr(c, dev, &a->addr[i], refs, nrefs, now_s);
	c->st.answers++;
	return a->naddr;
}

/* ---- readers ---- */

/* Copies name slot (+ 1) if it still holds generation gen.  Returns its
 * length, 0 when gone, -1 when the bucket kept changing. */
static int name_copy(const struct dns_cache *c, uint32_t slot, uint32_t gen, char *out)
{
	const struct nbucket *nb;
	const struct name *n;

	if (slot == 0 || slot - 1 >= c->nnbuckets * WAYS)
		return 0;
	nb = &c->nb[(slot - 1) / WAYS];
	n = &nb->n[(slot - 1) % WAYS];
	for (int t = 0; t < TRIES; t++) {
		uint32_t s = read_begin(&nb->seq);
		uint32_t g = n->gen;
		size_t len = n->len;

		if (len > DNS_NAME_MAX)
			len = DNS_NAME_MAX;
		memcpy(out, n->s, len);
		out[len] = '\0';
		if (read_ok(&nb->seq, s))
			return g == gen && len ? (int)len : 0;
	}
	return -1;
}

/* Copies the entry for the key out of bucket b.  1 found, 0 not, -1 busy. */
static int ent_copy(const struct ebucket *b, uint32_t tag, const struct dns_dev *dev, uint8_t family,
		    const uint8_t *addr, struct ent *out)
{
	for (int t = 0; t < TRIES; t++) {
		uint32_t s = read_begin(&b->seq);
		int found = 0;

		for (int w = 0; w < WAYS && !found; w++) {
			if (__atomic_load_n(&b->tag[w], __ATOMIC_RELAXED) != tag)
				continue;
			memcpy(out, &b->e[w], sizeof(*out));
			found = ent_same(out, dev, family, addr);
		}
		if (read_ok(&b->seq, s))
			return found;
	}
	return -1;
}

/* The names of a copied entry, not expired at now. */
static int names_of(const struct dns_cache *c, const struct ent *e, uint32_t now, struct dns_names *out)
{
	size_t used = 0;
	int busy = 0;

	out->n = 0;
	for (int i = 0; i < DNS_REFS; i++) {
		const struct ref *r = &e->ref[i];
		int len;

		if (!r->slot || r->expires <= now)
			continue;
		len = name_copy(c, r->slot, r->gen, out->buf + used);
		if (len < 0)
			busy = 1;
		if (len <= 0)
			continue;
		out->name[out->n] = out->buf + used;
		out->asked[out->n] = r->asked;
		out->expires[out->n] = r->expires;
		out->n++;
		used += (size_t)len + 1;
	}
	return busy && !out->n ? -1 : 0;
}

int dns_cache_lookup(const struct dns_cache *c, const struct dns_dev *dev, uint8_t family,
		     const uint8_t *addr, uint32_t now_s, struct dns_names *out)
{
	uint64_t h = ent_hash(c, dev, family, addr);
	const struct ebucket *b = &c->eb[(uint32_t)h & (c->nebuckets - 1)];
	struct ent e;
	int rc;

	out->n = 0;
	rc = ent_copy(b, tag_of(h), dev, family, addr, &e);
	if (rc < 0)
		return errno = EAGAIN, -1;
	if (rc == 0 || e.expires <= now_s)
		return 0;
	if (names_of(c, &e, now_s, out) < 0)
		return errno = EAGAIN, -1;
	return 0;
}

const char *dns_names_host(const struct dns_names *n)
{
	for (unsigned i = 0; i < n->n; i++)
		if (n->asked[i])
			return n->name[i];
	return n->n ? n->name[0] : NULL;
}

void dns_cache_walk(const struct dns_cache *c, uint32_t now_s, dns_cache_fn fn, void *arg)
{
	struct dns_names names;

	for (uint32_t i = 0; i < c->nebuckets; i++) {
		const struct ebucket *b = &c->eb[i];

		for (int w = 0; w < WAYS; w++) {
			uint32_t tag = __atomic_load_n(&b->tag[w], __ATOMIC_RELAXED), s;
			struct dns_dev dev;
			struct ent e;
			int ok = 0;

			if (!tag)
				continue;
			for (int t = 0; t < TRIES && !ok; t++) {
				s = read_begin(&b->seq);
				memcpy(&e, &b->e[w], sizeof(e));
				ok = read_ok(&b->seq, s);
			}
			if (!ok || e.expires <= now_s || (e.family != AF_INET && e.family != AF_INET6))
				continue;
			if (names_of(c, &e, now_s, &names) < 0 || !names.n)
				continue;
			dev.kind = e.devkind;
			memcpy(dev.id, e.dev, 16);
			if (fn(arg, &dev, e.family, e.addr, &names))
				return;
		}
	}
}

void dns_cache_stats(const struct dns_cache *c, uint32_t now_s, struct dns_cache_stats *st)
{
	*st = c->st;	/* the writer's counters: a torn read is a count off by one */
	st->entries = st->names = 0;
	st->entries_max = c->nebuckets * WAYS;
	st->names_max = c->nnbuckets * WAYS;
	st->bytes = c->bytes;
	for (uint32_t i = 0; i < c->nebuckets; i++)
		for (int w = 0; w < WAYS; w++)
			st->entries += c->eb[i].tag[w] && c->eb[i].e[w].expires > now_s;
	for (uint32_t i = 0; i < c->nnbuckets; i++)
		for (int w = 0; w < WAYS; w++)
			st->names += c->nb[i].n[w].len && c->nb[i].n[w].expires > now_s;
}
