// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cross-check on the real database ($BUILD/country.mmdb, built with
 * scripts/geodb-build when absent):
 *  1. geo_lookup agrees with libmaxminddb's own MMDB_lookup_sockaddr +
 *     MMDB_get_value for country and registered_country, on seeded random
 *     IPv4 and IPv6 addresses (IPv6 mostly from 2000::/3);
 *  2. the database agrees with the tor-geoipdb source text it was built
 *     from ("??" = unknown, UK = GB), by binary search in the parsed ranges.
 * GEO_XCHECK_N (default 100000) addresses per family; seed GEO_XCHECK_SEED.
 */
#include <endian.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "geo/geo.h"
#include "tests/tap.h"
#include "tests/geo/geo_test.h"

typedef unsigned __int128 u128;

struct src_range {
	u128 from, to;
	geo_cc cc;
};

struct src {
	struct src_range *v;
	size_t n, cap;
};

static uint64_t seed;

static u128 rand128(void)
{
	return (u128)gt_rand(&seed) << 64 | gt_rand(&seed);
}

static void to_bytes6(u128 a, unsigned char b[16])
{
	uint64_t hi = htobe64((uint64_t)(a >> 64)), lo = htobe64((uint64_t)a);

	memcpy(b, &hi, 8);
	memcpy(b + 8, &lo, 8);
}

static geo_cc mmdb_cc(MMDB_lookup_result_s *r, const char *field)
{
	MMDB_entry_data_s d;

	if (!r->found_entry || MMDB_get_value(&r->entry, &d, field, "iso_code", NULL) != MMDB_SUCCESS ||
	    !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return GEO_CC_UNKNOWN;
	return geo_cc_make(d.utf8_string[0], d.utf8_string[1]);
}

/* One address both ways; returns 1 when they agree.  *hit: data found. */
static int agree(const struct geo_db *db, const MMDB_s *mm, int fam, const unsigned char *b, int *hit)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	MMDB_lookup_result_s r;
	struct geo_answer a;
	int err;

	if (fam == AF_INET)
		memcpy(&s4.sin_addr, b, 4);
	else
		memcpy(&s6.sin6_addr, b, 16);
	r = MMDB_lookup_sockaddr(mm, fam == AF_INET ? (struct sockaddr *)&s4 : (struct sockaddr *)&s6, &err);
	if (err != MMDB_SUCCESS || geo_lookup(db, fam, b, &a) < 0)
		return 0;
	*hit = r.found_entry;
	return a.found == r.found_entry && a.located == mmdb_cc(&r, "country") &&
	       a.registered == mmdb_cc(&r, "registered_country");
}

static void show_addr(int fam, const unsigned char *b)
{
	char s[INET6_ADDRSTRLEN];

	diag("disagree on %s", inet_ntop(fam, b, s, sizeof(s)));
}

static u128 pick(const struct src *s, int v6);

static void against_libmaxminddb(const struct geo_db *db, const MMDB_s *mm, const struct src *s6, long n)
{
	long bad4 = 0, bad6 = 0, hit4 = 0, hit6 = 0;
	unsigned char b[16];
	int hit = 0;

	for (long i = 0; i < n; i++) {
		uint32_t a = htobe32((uint32_t)gt_rand(&seed));

		memcpy(b, &a, 4);
		if (!agree(db, mm, AF_INET, b, &hit) && bad4++ < 5)
			show_addr(AF_INET, b);
		hit4 += hit;
	}
	ok(bad4 == 0, "IPv4: %ld random addresses, geo_lookup == libmaxminddb (%ld in the database, %ld differ)",
	   n, hit4, bad4);
	for (long i = 0; i < n; i++) {
		u128 a = rand128();
		unsigned k = (unsigned)(gt_rand(&seed) % 100);

		if (k < 60)		/* in allocated space: a source range */
			a = pick(s6, 1);
		else if (k < 90)	/* anywhere in 2000::/3, global unicast */
			a = (a >> 3) | (u128)1 << 125;
		else if (k < 94)	/* ::ffff:0:0/96, IPv4-mapped */
			a = (u128)0xffff << 32 | (uint32_t)a;
		else if (k < 97)	/* 2002::/16, 6to4 */
			a = (a >> 16) | (u128)0x2002 << 112;
		to_bytes6(a, b);
		if (!agree(db, mm, AF_INET6, b, &hit) && bad6++ < 5)
			show_addr(AF_INET6, b);
		hit6 += hit;
	}
	ok(bad6 == 0, "IPv6: %ld random addresses, geo_lookup == libmaxminddb (%ld in the database, %ld differ)",
	   n, hit6, bad6);
	ok(hit4 > n / 2 && hit6 > n / 2, "the random addresses hit data often enough to mean something");
}

static int parse_line(char *line, int v6, struct src_range *r)
{
	char *from = strtok(line, ","), *to = strtok(NULL, ","), *cc = strtok(NULL, ",\r\n");
	unsigned char b[16];

	if (!from || !to || !cc || strlen(cc) != 2)
		return -1;
	if (!v6) {
		r->from = strtoul(from, NULL, 10);
		r->to = strtoul(to, NULL, 10);
	} else {
		if (inet_pton(AF_INET6, from, b) != 1)
			return -1;
		r->from = (u128)be64toh(*(uint64_t *)b) << 64 | be64toh(*(uint64_t *)(b + 8));
		if (inet_pton(AF_INET6, to, b) != 1)
			return -1;
		r->to = (u128)be64toh(*(uint64_t *)b) << 64 | be64toh(*(uint64_t *)(b + 8));
	}
	if (!strcmp(cc, "??"))
		r->cc = GEO_CC_UNKNOWN;
	else
		r->cc = !strcmp(cc, "UK") ? geo_cc_make('G', 'B') : geo_cc_make(cc[0], cc[1]);
	return 0;
}

/* Reads a tor-geoipdb file; returns -1 when it is unreadable, unparsable
 * or not sorted and disjoint. */
static int load_src(const char *path, int v6, struct src *s)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int rc = f ? 0 : -1;

	while (f && rc == 0 && fgets(line, sizeof(line), f)) {
		struct src_range r;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (parse_line(line, v6, &r) < 0 || r.from > r.to ||
		    (s->n && r.from <= s->v[s->n - 1].to)) {
			diag("%s: bad or unsorted line: %s", path, line);
			rc = -1;
			break;
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 4096;
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
		}
		s->v[s->n++] = r;
	}
	if (f)
		fclose(f);
	return rc == 0 && s->n ? 0 : -1;
}

static geo_cc src_find(const struct src *s, u128 a)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {	/* first range with to >= a */
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].to < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->v[lo].from <= a ? s->v[lo].cc : GEO_CC_UNKNOWN;
}

/* An address inside a random source range. */
static u128 pick(const struct src *s, int v6)
{
	const struct src_range *r;
	u128 span;

	r = &s->v[gt_rand(&seed) % s->n];
	(void)v6;
	span = r->to - r->from + 1;
	return r->from + (span ? rand128() % span : rand128());
}

/* The database aliases these to the IPv4 table (geodb-build):
 * ::/96, ::ffff:0:0/96 (low 32 bits), 2001::/32 (bits 32-63), 2002::/16
 * (bits 16-47).  Returns 1 and the IPv4 address for them. */
static int aliased(u128 a, uint32_t *v4)
{
	if ((a >> 32) == 0 || (a >> 32) == 0xffff)
		*v4 = (uint32_t)a;
	else if ((a >> 96) == 0x20010000)
		*v4 = (uint32_t)(a >> 64);
	else if ((a >> 112) == 0x2002)
		*v4 = (uint32_t)(a >> 80);
	else
		return 0;
	return 1;
}

/* Half uniformly random, half in a source range; a few aliased IPv6. */
static u128 draw(const struct src *s, int v6)
{
	unsigned k = (unsigned)(gt_rand(&seed) % 100);

	if (v6 && k < 5)
		return (rand128() >> 16) | (u128)0x2002 << 112;
	if (v6 && k < 10)
		return (u128)0xffff << 32 | (uint32_t)gt_rand(&seed);
	if (k < 55)
		return pick(s, v6);
	return v6 ? (rand128() >> 3) | (u128)1 << 125 : (uint32_t)gt_rand(&seed);
}

static void against_source(const struct geo_db *db, const struct src *s, const struct src *s4,
			   int v6, long n)
{
	long bad = 0, known = 0, via4 = 0;
	unsigned char b[16];
	struct geo_answer a;

	for (long i = 0; i < n; i++) {
		u128 x = draw(s, v6);
		uint32_t x4 = htobe32((uint32_t)x), v4;
		geo_cc want;

		if (v6 && aliased(x, &v4))
			want = src_find(s4, v4), via4++;
		else
			want = src_find(s, x);
		if (v6)
			to_bytes6(x, b);
		else
			memcpy(b, &x4, 4);
		if (geo_lookup(db, v6 ? AF_INET6 : AF_INET, b, &a) < 0 || a.located != want ||
		    a.registered != want) {
			if (bad++ < 5)
				show_addr(v6 ? AF_INET6 : AF_INET, b);
		}
		known += want != GEO_CC_UNKNOWN;
	}
	ok(bad == 0 && known > n / 3, "%s: %ld seeded addresses agree with the tor-geoipdb source "
	   "(%ld with a country, %ld aliased to IPv4, %ld differ)", v6 ? "IPv6" : "IPv4", n, known, via4, bad);
}

/* Random byte corruptions of the real database (tree and data): each
 * variant opens or fails with a message; never a crash. */
static void corruptions(const char *path, int rounds)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 16 << 20, opened = 0, bad_msg = 0;
	unsigned char *orig = malloc(cap), *p = malloc(cap);
	int fd = memfd_create("xcheck", 0);
	char mpath[64];

	if (f)
		n = fread(orig, 1, cap, f), fclose(f);
	snprintf(mpath, sizeof(mpath), "/proc/self/fd/%d", fd);
	for (int r = 0; r < rounds && n > 4096 && fd >= 0; r++) {
		struct geo_err err;
		struct geo_db *db;

		memcpy(p, orig, n);
		for (int k = 0; k < 8; k++)
			p[gt_rand(&seed) % (n - 4096)] ^= (unsigned char)(1 + gt_rand(&seed) % 255);
		if (ftruncate(fd, 0) < 0 || pwrite(fd, p, n, 0) != (ssize_t)n)
			break;
		db = geo_open(mpath, &err);
		opened += db != NULL;
		bad_msg += !db && !strstr(err.msg, "geodb-build");
		if (!db && r < 3)
			diag("%s", err.msg);
		geo_close(db);
	}
	ok(n > 4096 && fd >= 0 && bad_msg == 0, "%d corrupted copies of the real database: %zu opened, "
	   "the rest rejected with a message", rounds, opened);
	if (fd >= 0)
		close(fd);
	free(orig);
	free(p);
}

static const char *real_db(void)
{
	static char path[4096];
	char cmd[4200];

	snprintf(path, sizeof(path), "%s/country.mmdb", gt_build());
	if (access(path, R_OK) != 0) {
		snprintf(cmd, sizeof(cmd), "scripts/geodb-build '%s' >&2", path);
		if (system(cmd) != 0) {
			printf("Bail out! scripts/geodb-build %s failed\n", path);
			exit(1);
		}
	}
	return path;
}

int main(void)
{
	const char *env_n = getenv("GEO_XCHECK_N"), *env_s = getenv("GEO_XCHECK_SEED");
	long n = env_n ? atol(env_n) : 100000;
	const char *path = real_db();
	struct src s4 = { 0 }, s6 = { 0 };
	struct geo_err err;
	struct geo_db *db;
	MMDB_s mm;
	int rc;

	seed = env_s ? strtoull(env_s, NULL, 0) : 0x67656f;
	diag("database %s, seed %#llx, %ld addresses per family", path, (unsigned long long)seed, n);
	db = geo_open(path, &err);
	if (!ok(db != NULL, "geo_open %s", path) ||
	    !ok(MMDB_open(path, MMDB_MODE_MMAP, &mm) == MMDB_SUCCESS, "MMDB_open")) {
		diag("%s", db ? "" : err.msg);
		return tap_done();
	}
	rc = load_src(getenv("GEOIP_V4") ? getenv("GEOIP_V4") : "/usr/share/tor/geoip", 0, &s4);
	if (rc == 0)
		rc = load_src(getenv("GEOIP_V6") ? getenv("GEOIP_V6") : "/usr/share/tor/geoip6", 1, &s6);
	if (ok(rc == 0, "tor-geoipdb source parsed: %zu IPv4 and %zu IPv6 ranges, sorted and disjoint",
	       s4.n, s6.n)) {
		against_libmaxminddb(db, &mm, &s6, n);
		against_source(db, &s4, &s4, 0, n);
		against_source(db, &s6, &s4, 1, n);
	}
	corruptions(path, 12);
	free(s4.v);
	free(s6.v);
	MMDB_close(&mm);
	geo_close(db);
	return tap_done();
}
