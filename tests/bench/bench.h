/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the bench programs: seeded PRNG, CPU clock. */
#ifndef GEOEGRESS_TESTS_BENCH_H
#define GEOEGRESS_TESTS_BENCH_H

#include <stdint.h>
#include <time.h>

/* splitmix64: small, seeded, reproducible. */
static inline uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Thread CPU time in seconds: other load on the machine skews it less. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
