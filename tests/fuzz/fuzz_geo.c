// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: geo_open on arbitrary bytes (written to a memfd and
 * opened as /proc/self/fd/N), then lookups on whatever opened.  Seeds are
 * the fixture databases (tests/fuzz/seeds/fuzz_geo/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "geo/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t counts[GEO_CC_SLOTS];

static void probe(const struct geo_db *db, const uint8_t *data, size_t size)
{
	static const uint8_t v4[][4] = { { 192, 0, 2, 1 }, { 0, 0, 0, 0 }, { 255, 255, 255, 255 }, { 203, 0, 113, 200 } };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x86 };
	struct geo_answer a;
	struct geo_info in;

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		geo_lookup(db, AF_INET, v4[i], &a);
	geo_lookup(db, AF_INET6, v6, &a);
	memset(v6, 0xff, sizeof(v6));
	geo_lookup(db, AF_INET6, v6, &a);
	memcpy(v6, data, size < 16 ? size : 16);	/* an address from the input */
	geo_lookup(db, AF_INET6, v6, &a);
	{
		/* the input as a NAT64 prefix of each RFC 6052 length: the
		 * answer is that of the embedded IPv4 address */
		static const uint8_t lens[] = { 32, 40, 48, 56, 64, 96 };
		struct geo_xlat xl = { .n = 1 };
		struct geo_answer b;

		memcpy(xl.nat64[0].addr, v6, 16);
		for (size_t i = 0; i < sizeof(lens); i++) {
			xl.nat64[0].len = lens[i];
			if (geo_lookup_xlat(db, &xl, AF_INET6, v6, &a) != 0 || a.via == GEO_VIA_NONE)
				abort();
			geo_lookup(db, AF_INET, a.v4, &b);
			if (a.located != b.located || a.registered != b.registered || a.found != b.found)
				abort();
		}
	}
	geo_count_noncountry(db, GEO_FIELD_LOCATED, counts);
	geo_info(db, &in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct geo_err err;
	struct geo_db *db;

	if (fd < 0) {
		fd = memfd_create("fuzz-geo", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	db = geo_open_asn(path, &err);	/* the same bytes as an AS database */
	if (db) {
		static const uint8_t a4[4] = { 203, 0, 113, 10 };
		struct geo_asn as;

		geo_lookup_asn(db, NULL, AF_INET, a4, &as);
		geo_lookup_asn(db, NULL, AF_INET6, data, &as);	/* size >= 16 when it opened */
		if (as.org && strlen(as.org) > 200)
			abort();
		geo_close(db);
	} else if (!err.msg[0]) {
		abort();
	}
	db = geo_open(path, &err);
	if (!db) {
		if (!err.msg[0] || !strstr(err.msg, path))
			abort();	/* every failure must explain itself */
		return 0;
	}
	probe(db, data, size);
	geo_close(db);
	return 0;
}
