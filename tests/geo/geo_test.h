/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the geo tests: fixture paths, address parsing, PRNG. */
#ifndef GEOEGRESS_TESTS_GEO_TEST_H
#define GEOEGRESS_TESTS_GEO_TEST_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *gt_build(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

/* $BUILD/fixtures/NAME, building the fixtures with scripts/geodb-fixture
 * when they are missing.  Exits the test when that fails. */
static inline const char *gt_fixture(const char *name)
{
	static char path[4096];
	char dir[2048], cmd[4200];

	snprintf(dir, sizeof(dir), "%s/fixtures", gt_build());
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, R_OK) != 0) {
		snprintf(cmd, sizeof(cmd), "scripts/geodb-fixture '%s' >&2", dir);
		if (system(cmd) != 0) {
			printf("Bail out! scripts/geodb-fixture %s failed\n", dir);
			exit(1);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Parses an address: *family and buf[16]; returns 0 or -1. */
static inline int gt_addr(const char *s, int *family, unsigned char buf[16])
{
	memset(buf, 0, 16);
	if (inet_pton(AF_INET, s, buf) == 1) {
		*family = AF_INET;
		return 0;
	}
	*family = AF_INET6;
	return inet_pton(AF_INET6, s, buf) == 1 ? 0 : -1;
}

/* splitmix64: small, seeded, reproducible. */
static inline uint64_t gt_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
