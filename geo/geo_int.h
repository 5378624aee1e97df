/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * geo internals shared by the geo/ sources: the compiled database.
 *
 * A database compiles into one table of distinct answers (vals[0] is "not
 * in the database") and two sorted interval tables.  Entry i of a table
 * covers [start[i], start[i+1]) and carries val[i]: an index into vals, or
 * for IPv6, GEO_ALIAS | d meaning "look up the 32 bits at bit offset d in
 * the IPv4 table" (::ffff:0:0/96, 2002::/16 and the like).  idx[h] is the
 * entry holding the first address whose top 16 bits are h, so a lookup is
 * a binary search between idx[h] and idx[h + 1].
 */
#ifndef GEOEGRESS_GEO_INT_H
#define GEOEGRESS_GEO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <maxminddb.h>

#include "geo/geo.h"

typedef unsigned __int128 geo_u128;

#define GEO_ALIAS 0x80000000u
#define GEO_IDX_SIZE 65537

/* IPv4 start and value side by side: one cache line for the search. */
struct geo_range4 {
	uint32_t start;
	uint32_t val;
};

struct geo_table4 {
	struct geo_range4 *r;
	size_t n, cap;
	uint32_t *idx;		/* GEO_IDX_SIZE entries */
};

struct geo_table6 {
	geo_u128 *start;
	uint32_t *val;
	size_t n, cap;
	uint32_t *idx;		/* GEO_IDX_SIZE entries */
};

struct geo_db {
	char *path;
	char *database_type;
	char *description;
	time_t build_epoch;
	int ip_version;
	uint32_t node_count;
	uint32_t record_size;
	uint32_t countries;
	enum geo_schema schema;
	struct geo_answer *vals;
	uint32_t nvals, capvals;
	/* an AS database (geo_open_asn): the values are asv[], not vals[] */
	int is_asn;
	struct geo_asv {
		uint32_t asn;
		uint32_t org;		/* offset in orgs + 1; 0 = none */
	} *asv;
	uint32_t nasv, capasv;
	char *orgs;
	size_t orgslen, orgscap;
	struct geo_table4 t4;
	struct geo_table6 t6;
};

/* Open-addressing map uint64 → uint32, used while compiling. */
struct geo_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t n, cap;		/* cap is a power of two; key 0 is stored as ~0 */
};

/* Compile-time state. */
struct geo_build {
	MMDB_s mmdb;
	struct geo_db *db;
	struct geo_err *err;
	struct geo_map by_offset;	/* data offset → value index */
	struct geo_map by_answer;	/* packed answer → value index */
	uint64_t visits;		/* search nodes read, bounded by node_count */
	int has_geoip2, has_flat;
	int has_asn;
	int64_t v4_root;		/* IPv4 subtree node, or -1 */
	uint32_t v4_leaf;		/* IPv4 value when there is no subtree */
};

/* Fills err with "path: message; hint" and returns -1. */
int geo_fail(struct geo_build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* geo/geo_record.c */
int geo_map_get(const struct geo_map *m, uint64_t key, uint32_t *val);
int geo_map_put(struct geo_map *m, uint64_t key, uint32_t val);
void geo_map_free(struct geo_map *m);
/* Value index for the data record at data-section offset off; 0 = error. */
int geo_value_for(struct geo_build *b, MMDB_entry_s *entry, uint32_t *val);
/* Adds the empty answer as vals[0]. */
int geo_values_init(struct geo_build *b);

/* geo/geo_tree.c */
int geo_compile(struct geo_build *b);

#endif
