// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for geo/: every fixture schema, field choice and fallback,
 * address edges, and bad databases (missing, empty, random, text,
 * truncated, corrupted, no country field), reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <maxminddb.h>
#include <netinet/in.h>

#include "geo/geo.h"
#include "tests/tap.h"
#include "tests/geo/geo_test.h"

/* Looks up s, returns the located code as a string ("--" unknown,
 * "ERR" on failure). */
static const char *cc_of(const struct geo_db *db, const char *s, enum geo_field f, enum geo_source *src)
{
	static char out[3];
	unsigned char buf[16];
	struct geo_answer a;
	int fam;

	if (gt_addr(s, &fam, buf) < 0 || geo_lookup(db, fam, buf, &a) < 0)
		return "ERR";
	return geo_cc_str(geo_pick(&a, f, src), out);
}

static struct geo_db *open_fixture(const char *name)
{
	struct geo_err err;
	struct geo_db *db = geo_open(gt_fixture(name), &err);

	if (!ok(db != NULL, "%s opens", name))
		diag("%s", err.msg);
	return db;
}

/* The shared mapping, common to every fixture schema. */
static void check_mapping(const char *name, int v6)
{
	static const char *const want[][2] = {
		{ "192.0.2.10", "IN" }, { "192.0.2.0", "IN" }, { "192.0.2.255", "IN" },
		{ "198.51.100.10", "CN" }, { "203.0.113.10", "SG" }, { "203.0.113.127", "SG" },
		{ "203.0.113.200", "SG" }, { "198.19.0.10", "--" }, { "192.0.1.255", "--" },
		{ "192.0.3.0", "--" }, { "198.18.1.1", "--" }, { "::ffff:192.0.2.1", "IN" },
		{ "::ffff:198.51.100.10", "CN" }, { "0.0.0.0", "--" }, { "255.255.255.255", "--" },
	};
	static const char *const want6[][2] = {
		{ "2001:db8:86::10", "CN" }, { "2001:db8:65::10", "SG" }, { "2001:db8:91::10", "IN" },
		{ "2001:db8:91:ffff:ffff:ffff:ffff:ffff", "IN" }, { "2001:db8:92::", "--" },
		{ "2001:db8:ff::10", "--" }, { "2001:db8:1::10", "--" }, { "::", "--" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "--" }, { "::1", "--" },
	};
	struct geo_db *db = open_fixture(name);

	if (!db)
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		is_str(cc_of(db, want[i][0], GEO_FIELD_LOCATED, NULL), want[i][1], want[i][0]);
	for (size_t i = 0; v6 && i < sizeof(want6) / sizeof(want6[0]); i++)
		is_str(cc_of(db, want6[i][0], GEO_FIELD_LOCATED, NULL), want6[i][1], want6[i][0]);
	geo_close(db);
}

static geo_cc mm_cc(MMDB_lookup_result_s *r, const char *k1, const char *k2)
{
	MMDB_entry_data_s d;

	if (!r->found_entry || MMDB_get_value(&r->entry, &d, k1, k2, NULL) != MMDB_SUCCESS ||
	    !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2 ||
	    d.utf8_string[0] < 'A' || d.utf8_string[0] > 'Z' || d.utf8_string[1] < 'A' || d.utf8_string[1] > 'Z')
		return GEO_CC_UNKNOWN;
	return geo_cc_make(d.utf8_string[0], d.utf8_string[1]);
}

/* A random address near the fixture data: documentation ranges, their
 * 6to4 forms (2002:V4::), 2001:db8:XX::/48, or anywhere. */
static void near_data(uint64_t *seed, int v6, struct sockaddr_in6 *sa, socklen_t *len)
{
	static const uint32_t nets[] = { 0xc0000200, 0xc6336400, 0xcb007100, 0xc6130000 };
	static const uint16_t n6[] = { 0x86, 0x65, 0x91, 0xff, 0x87, 0x1 };
	uint64_t r = gt_rand(seed);
	uint32_t v4 = (r & 1) ? (uint32_t)(r >> 32) : nets[(r >> 1) % 4] | (uint32_t)((r >> 8) & 0x1ff);
	unsigned char *b = sa->sin6_addr.s6_addr;

	memset(sa, 0, sizeof(*sa));
	if (!v6) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(v4);
		*len = sizeof(*s4);
		return;
	}
	sa->sin6_family = AF_INET6;
	*len = sizeof(*sa);
	for (int i = 0; i < 16; i++)
		b[i] = (unsigned char)gt_rand(seed);
	if ((r >> 12) % 3 == 0) {	/* 2002:V4::/48 */
		b[0] = 0x20, b[1] = 0x02;
		v4 = htonl(v4);
		memcpy(b + 2, &v4, 4);
	} else if ((r >> 12) % 3 == 1) {	/* 2001:db8:XX::/48 */
		b[0] = 0x20, b[1] = 0x01, b[2] = 0x0d, b[3] = 0xb8, b[4] = 0;
		b[5] = (unsigned char)n6[(r >> 16) % 6];
	}
}

/* geo_lookup == libmaxminddb on the fixture, for addresses near its data
 * (including 6to4, aliased in geoip2/flat but not in dbip): a translated
 * address (6to4, NAT64, Teredo, ::ffff:) answers as libmaxminddb does for
 * its IPv4 address. */
static void check_vs_libmaxminddb(const char *name, int v6)
{
	struct geo_db *db = open_fixture(name);
	long bad = 0, hits = 0, n = 20000;
	uint64_t seed = 99;
	MMDB_s mm;

	if (!db || MMDB_open(gt_fixture(name), MMDB_MODE_MMAP, &mm) != MMDB_SUCCESS) {
		ok(0, "%s: open for the libmaxminddb comparison", name);
		geo_close(db);
		return;
	}
	for (long i = 0; i < n; i++) {
		struct sockaddr_in6 sa;
		struct geo_answer a;
		MMDB_lookup_result_s r;
		socklen_t len;
		int err, fam;

		near_data(&seed, v6 && (i & 1), &sa, &len);
		fam = sa.sin6_family;
		geo_lookup(db, fam, fam == AF_INET ? (void *)&((struct sockaddr_in *)&sa)->sin_addr
						   : (void *)&sa.sin6_addr, &a);
		if (a.via != GEO_VIA_NONE) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;

			memset(&sa, 0, sizeof(sa));
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, a.v4, 4);
		}
		r = MMDB_lookup_sockaddr(&mm, (struct sockaddr *)&sa, &err);
		hits += a.found;
		if (err != MMDB_SUCCESS || a.found != r.found_entry ||
		    a.located != (a.flat ? mm_cc(&r, "country_code", NULL) : mm_cc(&r, "country", "iso_code")) ||
		    a.registered != mm_cc(&r, "registered_country", "iso_code") ||
		    a.represented != mm_cc(&r, "represented_country", "iso_code"))
			bad++;
	}
	ok(bad == 0 && hits > n / 8, "%s: %ld addresses near the data agree with libmaxminddb (%ld found, %ld differ)",
	   name, n, hits, bad);
	MMDB_close(&mm);
	geo_close(db);
}

static void check_fields(void)
{
	struct geo_db *db = open_fixture("geoip2.mmdb");
	enum geo_source src;
	unsigned char buf[16];
	struct geo_answer a;
	int fam;

	if (!db)
		return;
	is_str(cc_of(db, "203.0.113.200", GEO_FIELD_LOCATED, &src), "SG", "located 203.0.113.200 = SG");
	is_int(src, GEO_SRC_COUNTRY, "located answered by country");
	is_str(cc_of(db, "203.0.113.200", GEO_FIELD_REGISTERED, &src), "CN", "registered 203.0.113.200 = CN");
	is_int(src, GEO_SRC_REGISTERED, "registered answered by registered_country");
	is_str(cc_of(db, "203.0.113.200", GEO_FIELD_EITHER, &src), "SG", "either picks like located");
	gt_addr("203.0.113.200", &fam, buf);
	geo_lookup(db, fam, buf, &a);
	ok(a.found && a.located == geo_cc_make('S', 'G') && a.registered == geo_cc_make('C', 'N'),
	   "raw answer has both located SG and registered CN");
	gt_addr("2001:db8:65::10", &fam, buf);
	geo_lookup(db, fam, buf, &a);
	ok(a.represented == geo_cc_make('U', 'S'), "represented_country US on 2001:db8:65::/48");
	is_str(cc_of(db, "2001:db8:65::10", GEO_FIELD_LOCATED, NULL), "SG", "represented does not replace country");
	is_str(cc_of(db, "2002:c000:0201::1", GEO_FIELD_LOCATED, NULL), "IN", "6to4 2002:192.0.2.1:: follows the IPv4 alias");
	/* Teredo: the client's address (inverted last 32 bits: 198.51.100.10, CN),
	 * not the server's (203.0.113.200, located SG) the database's alias gives */
	is_str(cc_of(db, "2001:0:cb00:71c8::39cc:9bf5", GEO_FIELD_LOCATED, NULL), "CN",
	       "Teredo: the client's country, not the server's (the alias)");
	is_str(cc_of(db, "198.19.0.10", GEO_FIELD_REGISTERED, &src), "--", "unmapped is unknown (registered)");
	is_int(src, GEO_SRC_NONE, "unmapped answered by none");
	gt_addr("198.19.0.10", &fam, buf);
	geo_lookup(db, fam, buf, &a);
	ok(!a.found && !a.located && !a.registered && !a.represented, "unmapped: found=0, all unknown");
	ok(geo_lookup(db, AF_UNIX, buf, &a) == -1 && errno == EAFNOSUPPORT && !a.found,
	   "AF_UNIX → -1 EAFNOSUPPORT");
	geo_close(db);
}

static void check_flat_and_weird(void)
{
	struct geo_db *db = open_fixture("flat.mmdb");
	enum geo_source src;

	if (db) {
		is_str(cc_of(db, "203.0.113.200", GEO_FIELD_REGISTERED, &src), "SG",
		       "flat: registered falls back to country_code");
		is_int(src, GEO_SRC_FLAT, "flat: source country_code");
		is_str(geo_source_name(src), "country_code", "flat source name");
		geo_close(db);
	}
	db = open_fixture("weird.mmdb");
	if (!db)
		return;
	is_str(cc_of(db, "198.51.100.1", GEO_FIELD_LOCATED, NULL), "--", "lower-case 'cn' is unknown");
	is_str(cc_of(db, "198.51.100.130", GEO_FIELD_EITHER, NULL), "--", "'C1' and 'CHN' are unknown");
	is_str(cc_of(db, "198.51.100.200", GEO_FIELD_LOCATED, &src), "JP", "located falls back to registered");
	is_int(src, GEO_SRC_REGISTERED, "fallback source registered_country");
	is_str(cc_of(db, "203.0.113.1", GEO_FIELD_LOCATED, &src), "--", "represented only → unknown");
	is_str(cc_of(db, "192.0.2.1", GEO_FIELD_LOCATED, NULL), "IN", "weird: normal record still IN");
	geo_close(db);
}

static void check_v4only(void)
{
	struct geo_db *db = open_fixture("v4only.mmdb");
	unsigned char buf[16];
	struct geo_answer a;
	int fam;

	if (!db)
		return;
	gt_addr("2001:db8:86::10", &fam, buf);
	errno = 0;
	ok(geo_lookup(db, fam, buf, &a) == -1 && errno == EAFNOSUPPORT && !a.found,
	   "IPv6 on an IPv4-only database → -1 EAFNOSUPPORT");
	gt_addr("::", &fam, buf);
	ok(geo_lookup(db, fam, buf, &a) == -1, ":: on an IPv4-only database → -1");
	is_str(cc_of(db, "::ffff:203.0.113.200", GEO_FIELD_REGISTERED, NULL), "CN",
	       "::ffff:203.0.113.200 on IPv4-only → registered CN");
	geo_close(db);
}

static void check_info(void)
{
	static const struct { const char *f, *type; int ipv; enum geo_schema s; } w[] = {
		{ "geoip2.mmdb", "GeoIP2-Country", 6, GEO_SCHEMA_GEOIP2 },
		{ "dbip.mmdb", "DBIP-Country-Lite", 6, GEO_SCHEMA_GEOIP2 },
		{ "flat.mmdb", "ip-location-db-country", 6, GEO_SCHEMA_FLAT },
		{ "v4only.mmdb", "GeoIP2-Country", 4, GEO_SCHEMA_GEOIP2 },
	};
	struct geo_info in;

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct geo_db *db = open_fixture(w[i].f);

		if (!db)
			continue;
		geo_info(db, &in);
		is_str(in.database_type, w[i].type, "database_type");
		ok(in.ip_version == w[i].ipv && in.schema == w[i].s && in.build_epoch == 1767225600 &&
		   in.node_count > 0 && in.ranges_v4 > 0 && (in.ranges_v6 > 0) == (w[i].ipv == 6) &&
		   strstr(in.description, "fixture") && strstr(in.path, w[i].f),
		   "%s: info ip_version %d schema %s ranges %llu/%llu", w[i].f, in.ip_version,
		   geo_schema_name(in.schema), (unsigned long long)in.ranges_v4, (unsigned long long)in.ranges_v6);
		is_int(in.countries, w[i].s == GEO_SCHEMA_FLAT || w[i].ipv == 4 ? 3 : 4, "distinct countries");
		geo_close(db);
	}
}

/* Bad databases are written to one memfd (no disk I/O for thousands of
 * variants) and opened as /proc/self/fd/N. */
static int memfd = -1;
static char mempath[64];

static const char *mem_file(const void *p, size_t n)
{
	if (memfd < 0) {
		memfd = memfd_create("geo-test", 0);
		snprintf(mempath, sizeof(mempath), "/proc/self/fd/%d", memfd);
	}
	if (memfd < 0 || ftruncate(memfd, 0) < 0 || pwrite(memfd, p, n, 0) != (ssize_t)n) {
		printf("Bail out! memfd: %s\n", strerror(errno));
		exit(1);
	}
	return mempath;
}

static unsigned char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = malloc(1 << 20);

	*n = f && p ? fread(p, 1, 1 << 20, f) : 0;
	if (f)
		fclose(f);
	return p;
}

/* Opens bytes written to a file; expects failure with a message naming
 * the file and containing want (NULL: any message). */
static void expect_bad(const char *what, const void *p, size_t n, const char *want)
{
	const char *path = mem_file(p, n);
	struct geo_err err;
	struct geo_db *db;

	db = geo_open(path, &err);
	ok(!db && strstr(err.msg, path) && (!want || strstr(err.msg, want)), "%s rejected", what);
	if (db || (want && !strstr(err.msg, want)))
		diag("message: %s", db ? "(opened)" : err.msg);
	geo_close(db);
}

static void check_bad_files(void)
{
	char text[] = "# not a database\n192.0.2.0/24 IN\n";
	unsigned char rnd[4096];
	uint64_t seed = 42;
	struct geo_err err;
	size_t n;
	unsigned char *p;

	ok(!geo_open("/nonexistent/geo.mmdb", &err) && strstr(err.msg, "/nonexistent/geo.mmdb") &&
	   strstr(err.msg, "No such file"), "missing file: %s", err.msg);
	ok(!geo_open(gt_build(), &err) && strstr(err.msg, "directory"), "directory: %s", err.msg);
	expect_bad("empty file", "", 0, "empty file");
	expect_bad("text file", text, strlen(text), "not a MaxMind DB");
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)gt_rand(&seed);
	expect_bad("4 KiB of random bytes", rnd, sizeof(rnd), "not a MaxMind DB");
	p = read_file(gt_fixture("nocountry.mmdb"), &n);
	expect_bad("nocountry.mmdb", p, n, "no record has a country field");
	free(p);
	p = read_file(gt_fixture("geoip2.mmdb"), &n);
	p[1] = p[2] = 0;	/* node 0's left record → node 0: a loop */
	p[0] = 0;
	expect_bad("search tree loop", p, n, "corrupted search tree");
	free(p);
}

static void probe_all(const struct geo_db *db)
{
	static const char *const probes[] = { "192.0.2.1", "198.51.100.10", "203.0.113.200", "0.0.0.0",
		"255.255.255.255", "::", "2001:db8:86::1", "2001:db8:65::1", "::ffff:192.0.2.1",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2002:c000:0201::1" };
	unsigned char buf[16];
	struct geo_answer a;
	int fam;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		gt_addr(probes[i], &fam, buf);
		geo_lookup(db, fam, buf, &a);
	}
}

/* Every truncation, then random corruptions of tree and data: each must
 * open cleanly or fail with a message naming the file; never crash. */
static void check_truncation_and_corruption(const char *name, int rounds)
{
	const char *path = mempath;
	size_t n, bad_msg = 0, opened = 0, rejected = 0;
	unsigned char *orig = read_file(gt_fixture(name), &n), *p = malloc(n);
	uint64_t seed = 20261127;
	struct geo_err err;

	for (size_t len = 0; len < n; len++) {
		struct geo_db *db;

		mem_file(orig, len);
		db = geo_open(path, &err);
		rejected += !db;
		bad_msg += !db && !strstr(err.msg, path);
		geo_close(db);
	}
	ok(rejected == n && bad_msg == 0, "%s: all %zu truncations rejected with a message", name, n);
	bad_msg = 0;
	for (int r = 0; r < rounds; r++) {
		struct geo_db *db;
		int flips = 1 + (int)(gt_rand(&seed) % 4);

		memcpy(p, orig, n);
		for (int k = 0; k < flips; k++)	/* the tree and data, not the metadata tail */
			p[gt_rand(&seed) % (n - 200)] ^= (unsigned char)(1 + gt_rand(&seed) % 255);
		mem_file(p, n);
		db = geo_open(path, &err);
		if (db)
			probe_all(db), opened++;
		else
			bad_msg += !strstr(err.msg, path) || !strstr(err.msg, "geodb-build");
		geo_close(db);
	}
	ok(bad_msg == 0, "%s: %d corruptions: %zu opened, %zu rejected, all with a message",
	   name, rounds, opened, (size_t)rounds - opened);
	free(orig);
	free(p);
}

static void check_reload(void)
{
	struct geo_db *db = open_fixture("geoip2.mmdb"), *old = db;
	struct geo_err err;
	struct geo_info in;

	if (!db)
		return;
	ok(geo_reload(&db, "/nonexistent/new.mmdb", &err) == -1 && db == old && strstr(err.msg, "new.mmdb"),
	   "reload of a missing file fails and keeps the old database");
	ok(geo_reload(&db, gt_fixture("nocountry.mmdb"), &err) == -1 && db == old,
	   "reload of a database without countries fails and keeps the old one");
	is_str(cc_of(db, "203.0.113.200", GEO_FIELD_REGISTERED, NULL), "CN", "old database still answers");
	ok(geo_reload(&db, gt_fixture("flat.mmdb"), &err) == 0 && db != NULL, "reload of flat.mmdb succeeds");
	geo_info(db, &in);
	ok(in.schema == GEO_SCHEMA_FLAT, "new database is in force (schema flat)");
	geo_close(db);
	geo_close(NULL);
	ok(1, "geo_close(NULL) is harmless");
}

/* Codes that are not countries (geo.h): kept as the database gave them,
 * absent for geo_pick(), counted by geo_count_noncountry(). */
static void check_noncountry(void)
{
	static const char *const want[][3] = {	/* address, geo_pick, geo_pick_code */
		{ "203.0.113.1", "--", "EU" }, { "203.0.113.130", "--", "AP" }, { "203.0.113.200", "--", "UN" },
		{ "203.0.113.230", "--", "SU" }, { "203.0.113.241", "--", "AB" }, { "203.0.113.250", "--", "OS" },
		{ "198.19.0.10", "--", "ZZ" }, { "2001:db8:65::10", "--", "EU" }, { "2001:db8:ff::10", "--", "ZZ" },
		{ "198.51.100.10", "CN", "CN" }, { "198.19.1.1", "DE", "EU" }, { "198.18.1.1", "--", "--" },
	};
	static uint64_t counts[GEO_CC_SLOTS];
	struct geo_db *db = open_fixture("codes.mmdb");
	char b[3];

	ok(geo_cc_is_country(geo_cc_make('C', 'N')) && geo_cc_is_country(geo_cc_make('G', 'B')) &&
	   geo_cc_is_country(geo_cc_make('A', 'Q')), "CN, GB, AQ are countries");
	ok(!geo_cc_is_country(geo_cc_make('E', 'U')) && !geo_cc_is_country(geo_cc_make('Z', 'Z')) &&
	   !geo_cc_is_country(geo_cc_make('U', 'K')) && !geo_cc_is_country(geo_cc_make('X', 'K')) &&
	   !geo_cc_is_country(GEO_CC_UNKNOWN), "EU, ZZ, UK, XK and unknown are not");
	ok(geo_code_name(geo_cc_make('E', 'U')) && !geo_code_name(geo_cc_make('C', 'N')) &&
	   !geo_country_name(geo_cc_make('A', 'P')), "names: EU has a code name, CN none; AP no country name");
	if (!db)
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		unsigned char buf[16];
		struct geo_answer a;
		int fam;

		gt_addr(want[i][0], &fam, buf);
		geo_lookup(db, fam, buf, &a);
		is_str(geo_cc_str(geo_pick(&a, GEO_FIELD_LOCATED, NULL), b), want[i][1], want[i][0]);
		is_str(geo_cc_str(geo_pick_code(&a, GEO_FIELD_LOCATED, NULL), b), want[i][2], want[i][0]);
	}
	memset(counts, 0, sizeof(counts));
	is_int(geo_count_noncountry(db, GEO_FIELD_LOCATED, counts), 9, "9 ranges carry no country, only a code");
	ok(counts[geo_cc_index(geo_cc_make('E', 'U'))] == 2 && counts[geo_cc_index(geo_cc_make('Z', 'Z'))] == 2 &&
	   counts[geo_cc_index(geo_cc_make('A', 'P'))] == 1, "EU 2 (v4 + v6), ZZ 2, AP 1");
	geo_close(db);
}

/* Translated destinations (issue 11, case 1): the country of the
 * embedded IPv4 address.  The RFC 6052 §2.4 examples (192.0.2.33, IN in
 * the fixtures) for every prefix length, the well-known prefix, 6to4 and
 * Teredo, on databases with and without IPv4 aliases and IPv4-only. */
static void check_translated(void)
{
	static const char *const rfc6052[][2] = {	/* prefix, address of 192.0.2.33 */
		{ "2001:db8::/32", "2001:db8:c000:221::" },
		{ "2001:db8:100::/40", "2001:db8:1c0:2:21::" },
		{ "2001:db8:122::/48", "2001:db8:122:c000:2:2100::" },
		{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::" },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0" },
		{ "2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33" },
	};
	static const char *const dbs[] = { "geoip2.mmdb", "dbip.mmdb", "flat.mmdb", "v4only.mmdb" };
	static const char *const fixed[][4] = {	/* address, country, via, IPv4 */
		{ "64:ff9b::c633:640a", "CN", "nat64", "198.51.100.10" },
		{ "64:ff9b::198.51.100.10", "CN", "nat64", "198.51.100.10" },
		{ "64:ff9b::cb00:710a", "SG", "nat64", "203.0.113.10" },
		{ "2002:c633:640a::1", "CN", "6to4", "198.51.100.10" },
		{ "2002:c000:221:1::1", "IN", "6to4", "192.0.2.33" },
		/* Teredo: server 192.0.2.10, client ~(39cc:9bf5) = 198.51.100.10 */
		{ "2001:0:c000:20a:8000:ffff:39cc:9bf5", "CN", "teredo", "198.51.100.10" },
		{ "::ffff:198.51.100.10", "CN", "ipv4-mapped", "198.51.100.10" },
	};
	struct geo_xlat xl = { 0 };
	char v4[16], b[3];
	int bad = 0;

	for (size_t i = 0; i < sizeof(rfc6052) / sizeof(rfc6052[0]); i++) {
		char pfx[64];

		snprintf(pfx, sizeof(pfx), "%.*s", (int)strcspn(rfc6052[i][0], "/"), rfc6052[i][0]);
		inet_pton(AF_INET6, pfx, xl.nat64[i].addr);
		xl.nat64[i].len = (uint8_t)atoi(strchr(rfc6052[i][0], '/') + 1);
	}
	for (size_t d = 0; d < sizeof(dbs) / sizeof(dbs[0]); d++) {
		struct geo_db *db = open_fixture(dbs[d]);

		for (size_t i = 0; db && i < sizeof(rfc6052) / sizeof(rfc6052[0]); i++) {
			struct geo_xlat one = { .n = 1 };	/* each example is its own network */
			uint8_t a6[16];
			struct geo_answer a;

			one.nat64[0] = xl.nat64[i];
			inet_pton(AF_INET6, rfc6052[i][1], a6);
			memset(&a, 0xee, sizeof(a));
			if (geo_lookup_xlat(db, &one, AF_INET6, a6, &a) < 0 || a.via != GEO_VIA_NAT64 ||
			    strcmp(inet_ntop(AF_INET, a.v4, v4, sizeof(v4)), "192.0.2.33") ||
			    strcmp(geo_cc_str(geo_pick(&a, GEO_FIELD_LOCATED, NULL), b), "IN")) {
				diag("%s: %s in %s: via %d %s %s", dbs[d], rfc6052[i][1], rfc6052[i][0], a.via, v4, b);
				bad++;
			}
		}
		for (size_t i = 0; db && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
			uint8_t a6[16];
			struct geo_answer a;

			inet_pton(AF_INET6, fixed[i][0], a6);
			if (geo_lookup(db, AF_INET6, a6, &a) < 0 || strcmp(geo_via_name(a.via), fixed[i][2]) ||
			    strcmp(inet_ntop(AF_INET, a.v4, v4, sizeof(v4)), fixed[i][3]) ||
			    strcmp(geo_cc_str(geo_pick(&a, GEO_FIELD_LOCATED, NULL), b), fixed[i][1])) {
				diag("%s: %s: via %s %s %s", dbs[d], fixed[i][0], geo_via_name(a.via), v4, b);
				bad++;
			}
		}
		geo_close(db);
	}
	is_int(bad, 0, "RFC 6052 prefixes /32../96, 64:ff9b::/96, 6to4, Teredo, ::ffff: answer as their "
	       "IPv4 address, in GeoIP2, DB-IP (no aliases), flat and IPv4-only databases");

	struct geo_db *db = open_fixture("dbip.mmdb");
	uint8_t a6[16];
	struct geo_answer a;

	inet_pton(AF_INET6, "2001:db8:122:344::192.0.2.33", a6);
	ok(db && geo_lookup(db, AF_INET6, a6, &a) == 0 && a.via == GEO_VIA_NONE && !a.found,
	   "an operator's prefix is not translated unless given");
	xl.nat64[0] = xl.nat64[5];	/* 2001:db8:122:344::/96 */
	xl.n = 1;
	inet_pton(AF_INET6, "2001:db8:86::10", a6);
	ok(db && geo_lookup_xlat(db, &xl, AF_INET6, a6, &a) == 0 && a.via == GEO_VIA_NONE &&
	   geo_pick(&a, GEO_FIELD_LOCATED, NULL) == geo_cc_make('C', 'N'), "other IPv6 addresses: themselves");
	inet_pton(AF_INET6, "64:ff9b:1::c633:640a", a6);
	ok(db && geo_lookup(db, AF_INET6, a6, &a) == 0 && a.via == GEO_VIA_NONE,
	   "64:ff9b:1::/48 (RFC 8215 local use) needs option nat64");
	geo_close(db);
}

/* AS databases: the GeoLite2-ASN schema and ip-location-db's IPv4 file. */
static void check_asn(void)
{
	static const struct { const char *addr; uint32_t asn; const char *org; } want[] = {
		{ "203.0.113.10", 64500, "Example Vendor Cloud" }, { "203.0.113.200", 64510, "Example Hosting" },
		{ "198.51.100.7", 64501, "Example Telecom" }, { "192.0.2.1", 64502, "Example Net" },
		{ "198.19.0.10", 0, NULL }, { "2001:db8:65::10", 64500, "Example Vendor Cloud" },
		{ "2001:db8:ff::10", 0, NULL }, { "64:ff9b::198.51.100.7", 64501, "Example Telecom" },
	};
	const char *files[] = { "asn.mmdb", "asn-ipv4.mmdb" };
	struct geo_err err;
	struct geo_info gi;

	for (int f = 0; f < 2; f++) {
		struct geo_db *db = geo_open_asn(gt_fixture(files[f]), &err);
		int bad = 0;

		if (!ok(db != NULL, "%s opens as an AS database", files[f])) {
			diag("%s", err.msg);
			continue;
		}
		geo_info(db, &gi);
		is_int(gi.schema, GEO_SCHEMA_ASN, "its schema is ASN");
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			unsigned char buf[16];
			struct geo_asn a;
			int fam, rc;

			if (gt_addr(want[i].addr, &fam, buf) < 0)
				continue;
			rc = geo_lookup_asn(db, NULL, fam, buf, &a);
			if (f == 1 && fam == AF_INET6 && strncmp(want[i].addr, "64:", 3)) {
				bad += rc != -1 || a.asn != 0;	/* IPv6 in an IPv4 file: unknown */
				continue;
			}
			if (rc != 0 || a.asn != want[i].asn || (want[i].org ? !a.org || strcmp(a.org, want[i].org) :
							      a.org != NULL)) {
				bad++;
				diag("%s %s: asn %u org %s", files[f], want[i].addr, a.asn, a.org ? a.org : "-");
			}
		}
		is_int(bad, 0, "AS numbers and organisations as the fixture has them (NAT64 translated)");
		geo_close(db);
	}
	ok(!geo_open_asn(gt_fixture("geoip2.mmdb"), &err) && strstr(err.msg, "not an AS database"),
	   "a country database is not an AS database: %s", err.msg);
	ok(!geo_open(gt_fixture("asn.mmdb"), &err) && strstr(err.msg, "not a country database"),
	   "an AS database is not a country database");
	ok(!geo_open_asn(gt_fixture("nocountry.mmdb"), &err) && strstr(err.msg, "not an AS database"),
	   "asn/as_org keys are not the GeoLite2-ASN schema");
}

int main(void)
{
	check_asn();
	check_mapping("geoip2.mmdb", 1);
	check_mapping("dbip.mmdb", 1);
	check_mapping("flat.mmdb", 1);
	check_mapping("v4only.mmdb", 0);
	check_vs_libmaxminddb("geoip2.mmdb", 1);
	check_vs_libmaxminddb("dbip.mmdb", 1);
	check_vs_libmaxminddb("flat.mmdb", 1);
	check_vs_libmaxminddb("v4only.mmdb", 0);
	check_vs_libmaxminddb("weird.mmdb", 1);
	check_fields();
	check_flat_and_weird();
	check_v4only();
	check_info();
	check_bad_files();
	check_truncation_and_corruption("geoip2.mmdb", 3000);
	check_truncation_and_corruption("flat.mmdb", 2000);
	check_truncation_and_corruption("v4only.mmdb", 2000);
	check_reload();
	check_noncountry();
	check_translated();
	return tap_done();
}
