/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * geo — "which country is this destination in?" from a MaxMind-format
 * database (MMDB), read with libmaxminddb.
 *
 * geo_open() reads the whole database once and compiles it into lookup
 * tables, so geo_lookup() neither allocates nor calls into libmaxminddb:
 * it is safe to call per packet.  A struct geo_db is read-only after
 * geo_open() and may be shared between threads; replacing one (reload) is
 * the caller's pointer swap (see geo_reload()).
 *
 * Schemas are detected from the data: GeoIP2/GeoLite2/DB-IP
 * (country.iso_code, registered_country.iso_code,
 * represented_country.iso_code) and the flat country_code of
 * ip-location-db/IPinfo.
 */
#ifndef GEOEGRESS_GEO_H
#define GEOEGRESS_GEO_H

#include <stdint.h>
#include <time.h>

struct geo_db;

/* A two-letter code packed in 16 bits: ('C' << 8) | 'N'.  Always upper
 * case ASCII letters; GEO_CC_UNKNOWN (0) when the database does not know.
 * Not every code is a country: see geo_cc_is_country(). */
typedef uint16_t geo_cc;
#define GEO_CC_UNKNOWN ((geo_cc)0)

static inline geo_cc geo_cc_make(char a, char b)
{
	return (geo_cc)(((uint8_t)a << 8) | (uint8_t)b);
}

/* Tables kept per code (counters, names) have GEO_CC_SLOTS entries, one
 * per pair of letters A-Z: geo_cc_index(cc) is (a - 'A') * 26 + (b - 'A'),
 * or -1 when cc is not two upper-case letters (GEO_CC_UNKNOWN included);
 * geo_cc_of_index() is its inverse (0 <= i < GEO_CC_SLOTS). */
#define GEO_CC_SLOTS (26 * 26)
static inline int geo_cc_index(geo_cc cc)
{
	unsigned a = (unsigned)(cc >> 8) - 'A', b = (unsigned)(cc & 0xff) - 'A';

	return a < 26 && b < 26 ? (int)(a * 26 + b) : -1;
}

static inline geo_cc geo_cc_of_index(unsigned i)
{
	return geo_cc_make((char)('A' + i / 26), (char)('A' + i % 26));
}

/* Writes the two letters and a NUL into buf[3]; "--" for unknown.
 * Returns buf. */
char *geo_cc_str(geo_cc cc, char buf[3]);

/* Which country counts. */
enum geo_field {
	GEO_FIELD_LOCATED = 0,	/* country, falling back to registered_country */
	GEO_FIELD_REGISTERED,	/* registered_country, falling back to country */
	GEO_FIELD_EITHER,	/* both are considered (policy matches either) */
};

/* Which field of the record gave an answer. */
enum geo_source {
	GEO_SRC_NONE = 0,	/* not in the database, or no country field */
	GEO_SRC_COUNTRY,	/* country.iso_code */
	GEO_SRC_REGISTERED,	/* registered_country.iso_code */
	GEO_SRC_REPRESENTED,	/* represented_country.iso_code */
	GEO_SRC_FLAT,		/* country_code (flat schema) */
};

enum geo_schema {
	GEO_SCHEMA_GEOIP2 = 1,	/* country / registered_country / represented_country */
	GEO_SCHEMA_FLAT,	/* country_code */
	GEO_SCHEMA_ASN,		/* autonomous_system_number / _organization (geo_open_asn) */
};

/* Translated destinations.  Some IPv6 destinations carry the IPv4 address
 * the traffic goes to; their country is that address's:
 *   NAT64   an RFC 6052 §2.2 address: the well-known prefix 64:ff9b::/96
 *           (always: §3.1 reserves it for this) or an operator's prefix of
 *           length 32, 40, 48, 56, 64 or 96 (struct geo_xlat); bits 64-71
 *           (the "u" octet) are skipped, the suffix is ignored;
 *   6TO4    2002:AABB:CCDD::/48 (RFC 3056 §2): AABB:CCDD, also in
 *           databases that do not alias 2002::/16 to IPv4 (DB-IP style);
 *   TEREDO  2001:0::/32 (RFC 4380 §4): the client's public address, the
 *           last 32 bits inverted — where the traffic ends up (a database
 *           alias would give the Teredo server's, bits 32-63);
 *   MAPPED  ::ffff:0:0/96 (RFC 4291 §2.5.5.2), as before.
 * The translation takes precedence over the database's own data for the
 * IPv6 address. */
enum geo_via {
	GEO_VIA_NONE = 0,	/* the address itself */
	GEO_VIA_MAPPED,
	GEO_VIA_NAT64,
	GEO_VIA_6TO4,
	GEO_VIA_TEREDO,
};

#define GEO_XLAT_MAX 8

/* The operator's NAT64 prefixes, besides 64:ff9b::/96.  Plain data: the
 * policy fills one (rules_options.nat64) and passes it to each lookup. */
struct geo_xlat {
	uint8_t n;			/* prefixes in use, at most GEO_XLAT_MAX */
	struct {
		uint8_t addr[16];	/* network order, bits past len zero */
		uint8_t len;		/* 32, 40, 48, 56, 64 or 96 */
	} nat64[GEO_XLAT_MAX];
};

/* What a lookup found.  located/registered/represented are the raw fields
 * (GEO_CC_UNKNOWN where the record lacks them); for the flat schema the
 * one code is in located and registered is GEO_CC_UNKNOWN.  via says
 * whether the answer is that of an IPv4 address embedded in the IPv6
 * destination (v4, network order) instead of the destination itself. */
struct geo_answer {
	geo_cc located;
	geo_cc registered;
	geo_cc represented;
	uint8_t found;		/* the address is in the database at all */
	uint8_t flat;		/* located came from a flat country_code field */
	uint8_t via;		/* enum geo_via */
	uint8_t v4[4];		/* the embedded IPv4 address when via != GEO_VIA_NONE */
	uint8_t pad_[2];	/* 16 bytes: one aligned copy per lookup */
} __attribute__((aligned(16)));

/* Codes that are not countries.  A country is an officially assigned
 * ISO 3166-1 alpha-2 code (the 249 of Debian's iso-codes, geo/countries.c).
 * Databases also carry codes that are not: regions (EU, AP), "unknown"
 * (ZZ), reserved (UN, UK), withdrawn (SU, AN, CS), user-assigned or
 * unofficial ones (XK, AB, OS).  geo keeps such a code as the database
 * gave it (struct geo_answer, geo_pick_code), and geo_pick() treats a
 * field holding one as absent — so a destination without a country
 * field that is a country is unknown to the policy (doc/policy.md). */

/* 1 when cc is an ISO 3166-1 country (geo_country_name(cc) != NULL);
 * inline, as it is asked per flow. */
extern const uint64_t geo_country_bits[11];
static inline int geo_cc_is_country(geo_cc cc)
{
	int i = geo_cc_index(cc);

	return i >= 0 && (geo_country_bits[i / 64] >> (i % 64) & 1);
}

/* The first field in field's order that holds a code (countries_only: a
 * country).  Inline and plain branches: it runs per flow. */
static inline geo_cc geo_pick_(const struct geo_answer *a, enum geo_field field, enum geo_source *src,
			       int countries_only)
{
	geo_cc first = a->located, second = a->registered, cc = GEO_CC_UNKNOWN;
	enum geo_source s1 = a->flat ? GEO_SRC_FLAT : GEO_SRC_COUNTRY, s2 = GEO_SRC_REGISTERED;
	enum geo_source s = GEO_SRC_NONE;

	if (field == GEO_FIELD_REGISTERED) {
		first = a->registered, second = a->located;
		s1 = GEO_SRC_REGISTERED, s2 = a->flat ? GEO_SRC_FLAT : GEO_SRC_COUNTRY;
	}
	if (first != GEO_CC_UNKNOWN && (!countries_only || geo_cc_is_country(first)))
		cc = first, s = s1;
	else if (second != GEO_CC_UNKNOWN && (!countries_only || geo_cc_is_country(second)))
		cc = second, s = s2;
	if (src)
		*src = s;
	return cc;
}

/* The country chosen by field with the documented fallback:
 * located    → country, else registered_country, else unknown;
 * registered → registered_country, else country, else unknown;
 * either     → like located (rules match either field separately).
 * A field whose code is not a country counts as absent.
 * *src (may be NULL) says which field answered. */
static inline geo_cc geo_pick(const struct geo_answer *a, enum geo_field field, enum geo_source *src)
{
	return geo_pick_(a, field, src, 1);
}

/* The code the database gives by field, countries or not: the first
 * field present in geo_pick()'s order.  *src (may be NULL) as there.  It
 * differs from geo_pick() only when a code is not a country. */
static inline geo_cc geo_pick_code(const struct geo_answer *a, enum geo_field field, enum geo_source *src)
{
	return geo_pick_(a, field, src, 0);
}

/* Counts the compiled ranges (IPv4 and IPv6 tables) that carry a code
 * but no country for field (geo_pick() unknown, geo_pick_code() not):
 * counts[geo_cc_index(code)] += 1 per range, by that code.
 * Returns the number of such ranges.  Walks every range: for `check`,
 * not the packet path. */
uint64_t geo_count_noncountry(const struct geo_db *db, enum geo_field field, uint64_t counts[GEO_CC_SLOTS]);

/* Error record filled by geo_open()/geo_reload(): a full sentence that names
 * the file and the problem, e.g. "/x.mmdb: not a MaxMind DB file (no
 * metadata section); rebuild it with scripts/geodb-build". */
struct geo_err {
	char msg[512];
};

/* Opens, validates and compiles path.  Returns NULL and fills err (may be
 * NULL) on any failure (missing file, not an MMDB, truncated or corrupted
 * tree or data, no country field in any record).  Never crashes on bad
 * input.  The whole search tree is walked and every distinct record decoded
 * once; the file is closed again before returning, so the handle does not
 * depend on it (replacing the file on disk is safe).  ISO codes that are
 * not two A-Z letters read as unknown. */
struct geo_db *geo_open(const char *path, struct geo_err *err);

/* Frees db; accepts NULL. */
void geo_close(struct geo_db *db);

/* Opens and validates path; on success closes *dbp and stores the new
 * handle in *dbp and returns 0.  On failure returns -1, fills err and
 * leaves *dbp untouched (the running database stays in force).  Callers
 * with concurrent readers swap the pointer themselves from geo_open(). */
int geo_reload(struct geo_db **dbp, const char *path, struct geo_err *err);

/* Looks up one address in a country database (not one from
 * geo_open_asn()).  family is AF_INET (addr points at 4 bytes,
 * network order) or AF_INET6 (16 bytes).  An IPv6 address that embeds an
 * IPv4 address (see enum geo_via; xl: the operator's NAT64 prefixes, may
 * be NULL) answers as the IPv4 address would, with out->via and out->v4
 * saying so — in IPv4-only databases too.  Fills *out (all unknown when
 * not found) and returns 0; returns -1 with errno EAFNOSUPPORT for another
 * family, or for another IPv6 address in an IPv4-only database (then *out
 * is all unknown).  No allocation; a few compares per translation prefix. */
int geo_lookup_xlat(const struct geo_db *db, const struct geo_xlat *xl, int family, const void *addr,
		    struct geo_answer *out);

/* geo_lookup_xlat() without operator prefixes (the well-known ones only). */
int geo_lookup(const struct geo_db *db, int family, const void *addr, struct geo_answer *out);

/* The IPv4 address embedded in addr (16 bytes), as geo_lookup_xlat()
 * finds it: returns the enum geo_via and fills v4 (4 bytes, network
 * order), or returns GEO_VIA_NONE. */
int geo_embedded_v4(const struct geo_xlat *xl, const uint8_t *addr, uint8_t *v4);

/* "nat64", "6to4", "teredo", "ipv4-mapped", "" for GEO_VIA_NONE. */
const char *geo_via_name(enum geo_via via);

struct geo_info {
	const char *path;
	const char *database_type;	/* metadata database_type */
	const char *description;	/* English description or "" */
	time_t build_epoch;		/* metadata build_epoch */
	int ip_version;			/* 4 or 6 */
	uint32_t node_count;		/* search tree nodes */
	uint32_t record_size;		/* bits */
	uint64_t ranges_v4;		/* compiled IPv4 ranges */
	uint64_t ranges_v6;		/* compiled IPv6 ranges */
	uint32_t countries;		/* distinct codes seen, countries or not */
	enum geo_schema schema;
};

/* Fills *info; the strings belong to db. */
void geo_info(const struct geo_db *db, struct geo_info *info);

/* ---- autonomous systems: a second, optional database ----
 * The GeoLite2-ASN schema (autonomous_system_number, a uint32, and
 * autonomous_system_organization, a string), which ip-location-db's ASN
 * files use too.  Compiled like a country database; lookups translate
 * NAT64/6to4/Teredo destinations the same way. */

/* What an AS lookup found. */
struct geo_asn {
	uint32_t asn;		/* 0: not in the database */
	const char *org;	/* the organisation, or NULL; belongs to the db */
};

/* Opens, validates and compiles an AS database.  Returns NULL and fills
 * err as geo_open() does (a database with no autonomous_system_number in
 * any record is "not an AS database"). */
struct geo_db *geo_open_asn(const char *path, struct geo_err *err);

/* Looks up one address in an AS database (from geo_open_asn; another
 * handle answers nothing).  Returns 0 (out->asn 0 when not found), or -1
 * with EAFNOSUPPORT as geo_lookup_xlat() does.  No allocation. */
int geo_lookup_asn(const struct geo_db *db, const struct geo_xlat *xl, int family, const void *addr,
		   struct geo_asn *out);

/* "GeoIP2 (country/registered_country)", "flat (country_code)" or
 * "ASN (autonomous_system_number)". */
const char *geo_schema_name(enum geo_schema s);
const char *geo_source_name(enum geo_source s);	/* "country", "registered_country", … , "none" */
const char *geo_field_name(enum geo_field f);	/* "located", "registered", "either" */

/* English short name of an ISO 3166-1 country ("China"), or NULL for any
 * other code. */
const char *geo_country_name(geo_cc cc);

/* What a code that is not a country stands for, as a phrase ("a region
 * code for Europe"), or NULL (a country, or a code nobody uses). */
const char *geo_code_name(geo_cc cc);

#endif
