// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_geo DB [N] [SEED]: geo_lookup against a plain libmaxminddb loop
 * (MMDB_lookup_sockaddr + MMDB_get_value "country" "iso_code") over the
 * same N pre-generated addresses (80% IPv4, 20% IPv6: mostly 2000::/3,
 * some ::ffff:a.b.c.d), in one process.  Checks that every answer is
 * identical, prints lookups/s for both and the ratio.  Exit 1 on any
 * difference, 2 on usage.  Times are thread CPU time, best of ROUNDS
 * alternating passes, so other load on the machine skews them less.
 */
#include <endian.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "geo/geo.h"
#include "tests/bench/bench.h"

struct addr {
	int family;
	unsigned char b[16];
	struct sockaddr_in6 sa;	/* sockaddr_in or sockaddr_in6 */
};

static void make_addr(struct addr *a, uint64_t *s)
{
	unsigned k = (unsigned)(rnd(s) % 100);
	uint64_t hi = rnd(s), lo = rnd(s);

	memset(a, 0, sizeof(*a));
	if (k < 80) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
		uint32_t v = (uint32_t)hi;

		a->family = AF_INET;
		memcpy(a->b, &v, 4);
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, &v, 4);
		return;
	}
	if (k < 97) {	/* 2000::/3 */
		hi = (hi >> 3) | 1ull << 61;
	} else {	/* ::ffff:a.b.c.d */
		hi = 0;
		lo = 0xffff00000000ull | (uint32_t)lo;
	}
	hi = htobe64(hi);
	lo = htobe64(lo);
	a->family = AF_INET6;
	memcpy(a->b, &hi, 8);
	memcpy(a->b + 8, &lo, 8);
	a->sa.sin6_family = AF_INET6;
	memcpy(&a->sa.sin6_addr, a->b, 16);
}

static geo_cc mmdb_one(const MMDB_s *mm, const struct addr *a)
{
	MMDB_lookup_result_s r;
	MMDB_entry_data_s d;
	int err;

	r = MMDB_lookup_sockaddr(mm, (const struct sockaddr *)&a->sa, &err);
	if (err != MMDB_SUCCESS || !r.found_entry ||
	    MMDB_get_value(&r.entry, &d, "country", "iso_code", NULL) != MMDB_SUCCESS ||
	    !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return GEO_CC_UNKNOWN;
	return geo_cc_make(d.utf8_string[0], d.utf8_string[1]);
}

#define ROUNDS 5

/* One timed pass each; answers into out[]. */
static double time_geo(const struct geo_db *db, const struct addr *v, size_t n, geo_cc *out)
{
	double t0 = now();
	struct geo_answer ans;

	for (size_t i = 0; i < n; i++) {
		geo_lookup(db, v[i].family, v[i].b, &ans);
		out[i] = ans.located;
	}
	return now() - t0;
}

static double time_mmdb(const MMDB_s *mm, const struct addr *v, size_t n, geo_cc *out)
{
	double t0 = now();

	for (size_t i = 0; i < n; i++)
		out[i] = mmdb_one(mm, &v[i]);
	return now() - t0;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

int main(int argc, char **argv)
{
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000000, diff = 0, known = 0;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	struct addr *v = calloc(n ? n : 1, sizeof(*v));
	geo_cc *g = calloc(n ? n : 1, sizeof(*g)), *m = calloc(n ? n : 1, sizeof(*m));
	struct geo_err err;
	struct geo_db *db;
	double t_open, t_geo, t_mm;
	MMDB_s mm;

	if (argc < 2 || argc > 4 || !n || !v || !g || !m) {
		fprintf(stderr, "Usage: bench_geo DB [N] [SEED]\n");
		return 2;
	}
	for (size_t i = 0; i < n; i++)
		make_addr(&v[i], &seed);
	t_open = now();
	db = geo_open(argv[1], &err);
	t_open = now() - t_open;
	if (!db || MMDB_open(argv[1], MMDB_MODE_MMAP, &mm) != MMDB_SUCCESS) {
		fprintf(stderr, "bench_geo: %s\n", db ? "MMDB_open failed" : err.msg);
		return 1;
	}
	t_geo = t_mm = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		t_geo = min_d(t_geo, time_geo(db, v, n, g));
		t_mm = min_d(t_mm, time_mmdb(&mm, v, n, m));
	}
	for (size_t i = 0; i < n; i++) {
		diff += g[i] != m[i];
		known += g[i] != GEO_CC_UNKNOWN;
	}
	printf("geo: %zu addresses (seed %llu), %zu with a country, geo_open %.0f ms CPU, best of %d\n", n,
	       (unsigned long long)(argc > 3 ? strtoull(argv[3], NULL, 0) : 1), known, t_open * 1e3, ROUNDS);
	printf("geo: geoegress geo_lookup       %12.0f lookups/s\n", (double)n / t_geo);
	printf("geo: libmaxminddb lookup+get    %12.0f lookups/s\n", (double)n / t_mm);
	printf("geo: ratio geoegress/libmaxminddb %.1fx, answers identical: %s (%zu differ)\n",
	       t_mm / t_geo, diff ? "NO" : "yes", diff);
	MMDB_close(&mm);
	geo_close(db);
	free(v);
	free(g);
	free(m);
	return diff ? 1 : 0;
}
