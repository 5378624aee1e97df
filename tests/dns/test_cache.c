// SPDX-License-Identifier: GPL-2.0-or-later
/* The name cache: per-device isolation, CNAME names, TTL floor and
 * ceiling, the memory bound and eviction, and a writer racing readers
 * (a reader never sees a name that was not learned for its key). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "dns/dns.h"
#include "tests/tap.h"

static struct dns_answer ans;

static void answer(const char *q, const char *final, uint32_t ttl, int n, uint8_t third)
{
	memset(&ans, 0, sizeof(ans));
	snprintf(ans.qname, sizeof(ans.qname), "%s", q);
	snprintf(ans.final, sizeof(ans.final), "%s", final ? final : q);
	ans.naddr = (unsigned)n;
	for (int i = 0; i < n; i++) {
		ans.addr[i].family = AF_INET;
		ans.addr[i].addr[0] = 203;
		ans.addr[i].addr[1] = 0;
		ans.addr[i].addr[2] = third;
		ans.addr[i].addr[3] = (uint8_t)(10 + i);
		ans.addr[i].ttl = ttl;
	}
}

static struct dns_dev dev_mac(uint8_t last)
{
	struct dns_dev d = { .kind = DNS_DEV_MAC, .id = { 2, 0, 0x5e, 0, 0x53, last } };

	return d;
}

static int lookup(struct dns_cache *c, const struct dns_dev *d, uint8_t third, uint8_t last, uint32_t now,
		  struct dns_names *out)
{
	uint8_t a[16] = { 203, 0, third, last };

	return dns_cache_lookup(c, d, AF_INET, a, now, out);
}

static void basics(void)
{
	struct dns_cache_cfg cfg = { 1024, 256, 5, 3600 };
	struct dns_cache *c = dns_cache_new(&cfg);
	struct dns_dev phone = dev_mac(1), laptop = dev_mac(2);
	struct dns_names n;

	ok(c != NULL, "cache allocated");
	answer("app.vendor.test", "sg1.vendorcdn.test", 30, 2, 113);
	is_int(dns_cache_learn(c, &phone, &ans, 100), 2, "two addresses learned");
	is_int(lookup(c, &phone, 113, 10, 101, &n), 0, "lookup");
	is_int(n.n, 2, "both names of the chain");
	is_str(dns_names_host(&n), "app.vendor.test", "host: the name asked for");
	ok(n.asked[0] && !n.asked[1], "the asked name first, the chain's end second");
	is_str(n.name[1], "sg1.vendorcdn.test", "the CNAME chain's end");
	lookup(c, &laptop, 113, 10, 101, &n);
	is_int(n.n, 0, "another device does not see the phone's names");
	lookup(c, &phone, 113, 12, 101, &n);
	is_int(n.n, 0, "an address the answer did not give: nothing");
	lookup(c, &phone, 113, 11, 129, &n);
	is_int(n.n, 2, "known before the TTL ends");
	lookup(c, &phone, 113, 11, 130, &n);
	is_int(n.n, 0, "gone when it ends");
	answer("short.test", NULL, 1, 1, 114);
	dns_cache_learn(c, &phone, &ans, 200);
	lookup(c, &phone, 114, 10, 204, &n);
	is_int(n.n, 1, "TTL 1 s raised to the floor (5 s)");
	lookup(c, &phone, 114, 10, 205, &n);
	is_int(n.n, 0, "... and ends there");
	answer("long.test", NULL, 86400 * 7, 1, 115);
	dns_cache_learn(c, &phone, &ans, 300);
	lookup(c, &phone, 115, 10, 300 + 3599, &n);
	is_int(n.n, 1, "a week's TTL is kept to the ceiling...");
	lookup(c, &phone, 115, 10, 300 + 3600, &n);
	is_int(n.n, 0, "... and not beyond (1 h)");
	/* several names for one address: the most recent DNS_REFS */
	for (int i = 0; i < 6; i++) {
		char q[32];

		snprintf(q, sizeof(q), "n%d.multi.test", i);
		answer(q, NULL, 60, 1, 116);
		dns_cache_learn(c, &phone, &ans, 400 + (uint32_t)i);
	}
	lookup(c, &phone, 116, 10, 410, &n);
	is_int(n.n, DNS_REFS, "an address keeps its DNS_REFS most recent names");
	is_str(n.name[0], "n5.multi.test", "most recent first");
	is_str(dns_names_host(&n), "n5.multi.test", "host: the most recent asked");
	dns_cache_free(c);
}

static int count_cb(void *arg, const struct dns_dev *dev, uint8_t family, const uint8_t *addr,
		    const struct dns_names *names)
{
	(void)dev, (void)family, (void)addr, (void)names;
	++*(int *)arg;
	return 0;
}

static void bound(void)
{
	struct dns_cache_cfg cfg = { 512, 64, 60, 3600 };
	struct dns_cache *c = dns_cache_new(&cfg);
	struct dns_cache_stats st;
	struct dns_dev phone = dev_mac(1);
	struct dns_names n;
	int walked = 0, hits = 0;

	for (int i = 0; i < 5000; i++) {
		char q[32];

		snprintf(q, sizeof(q), "f%d.flood.test", i);
		answer(q, NULL, 300, 4, (uint8_t)(i % 200));
		ans.addr[0].addr[3] = (uint8_t)(i / 200);
		dns_cache_learn(c, &phone, &ans, 1000);
	}
	dns_cache_stats(c, 1000, &st);
	ok(st.entries <= st.entries_max && st.entries_max == 512, "entries stay within the bound (%u of %u)",
	   st.entries, st.entries_max);
	ok(st.names <= st.names_max && st.names_max == 64, "names stay within the bound (%u of %u)", st.names,
	   st.names_max);
	ok(st.evicted > 0 && st.names_evicted > 0, "full buckets evicted (%llu entries, %llu names)",
	   (unsigned long long)st.evicted, (unsigned long long)st.names_evicted);
	is_int(st.bytes, dns_cache_bytes(&cfg), "bytes: what dns_cache_bytes says, all of it up front");
	dns_cache_walk(c, 1000, count_cb, &walked);
	ok(walked > 0 && walked <= 512, "walk sees the live entries with a name (%d)", walked);
	/* the newest answers are there */
	for (int i = 4990; i < 5000; i++) {
		lookup(c, &phone, (uint8_t)(i % 200), (uint8_t)(i / 200), 1001, &n);
		hits += n.n > 0;
	}
	ok(hits >= 8, "the latest answers are found (%d of 10)", hits);
	dns_cache_free(c);
}

/* ---- a writer racing readers ---- */

#define KEYS 600
struct race {
	struct dns_cache *c;
	int stop;
	long lookups, found, wrong;
};

static void key_answer(int k, struct dns_answer *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->qname, sizeof(a->qname), "k%d.race.test", k);
	snprintf(a->final, sizeof(a->final), "k%d.edge.test", k);
	a->naddr = 1;
	a->addr[0].family = AF_INET;
	a->addr[0].addr[0] = 198;
	a->addr[0].addr[1] = 18;
	a->addr[0].addr[2] = (uint8_t)(k >> 8);
	a->addr[0].addr[3] = (uint8_t)k;
	a->addr[0].ttl = 60;
}

static void *reader(void *arg)
{
	struct race *r = arg;
	struct dns_dev dev = dev_mac(9);
	struct dns_names n;
	unsigned seed = 7;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		int k = (int)(rand_r(&seed) % KEYS);
		uint8_t a[16] = { 198, 18, (uint8_t)(k >> 8), (uint8_t)k };
		char want1[64], want2[64];

		snprintf(want1, sizeof(want1), "k%d.race.test", k);
		snprintf(want2, sizeof(want2), "k%d.edge.test", k);
		dns_cache_lookup(r->c, &dev, AF_INET, a, 10, &n);
		r->lookups++;
		r->found += n.n > 0;
		for (unsigned i = 0; i < n.n; i++)
			if (strcmp(n.name[i], want1) && strcmp(n.name[i], want2))
				r->wrong++;
	}
	return NULL;
}

static void race(void)
{
	/* small tables: the writer keeps evicting and reusing slots */
	struct dns_cache_cfg cfg = { 256, 64, 60, 3600 };
	struct race r = { .c = dns_cache_new(&cfg) }, r2;
	struct dns_dev dev = dev_mac(9);
	struct dns_answer a;
	pthread_t t[2];
	struct timespec t0, now;
	long learned = 0;

	r2 = r;
	pthread_create(&t[0], NULL, reader, &r);
	pthread_create(&t[1], NULL, reader, &r2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 1000; i++, learned++) {
			key_answer((int)(learned * 7919 % KEYS), &a);
			dns_cache_learn(r.c, &dev, &a, 5);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < 700);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&r2.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	diag("writer learned %ld answers; readers looked up %ld times, found %ld", learned,
	     r.lookups + r2.lookups, r.found + r2.found);
	ok(r.lookups + r2.lookups > 1000 && r.found + r2.found > 0, "readers ran and found names");
	is_int(r.wrong + r2.wrong, 0, "no reader ever saw another key's name");
	dns_cache_free(r.c);
}

int main(void)
{
	basics();
	bound();
	race();
	return tap_done();
}
