// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compiling an MMDB search tree into sorted interval tables: one
 * depth-first walk over every node, which also validates the whole tree.
 */
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

/* One pending record of the walk. */
struct ref {
	uint64_t record;
	MMDB_entry_s entry;
	geo_u128 prefix;
	uint8_t type;
	uint8_t depth;
};

#define STACK_MAX (2 * 128 + 4)

static int t4_push(struct geo_build *b, uint32_t start, uint32_t val)
{
	struct geo_table4 *t = &b->db->t4;

	if (t->n && t->r[t->n - 1].val == val)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct geo_range4 *r = reallocarray(t->r, cap, sizeof(*r));

		if (!r)
			return geo_fail(b, "out of memory compiling the IPv4 table");
		t->r = r;
		t->cap = cap;
	}
	t->r[t->n++] = (struct geo_range4){ start, val };
	return 0;
}

static int t6_push(struct geo_build *b, geo_u128 start, uint32_t val)
{
	struct geo_table6 *t = &b->db->t6;

	if (t->n && t->val[t->n - 1] == val && !(val & GEO_ALIAS))
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		geo_u128 *s = reallocarray(t->start, cap, sizeof(*s));

		if (s)
			t->start = s;
		uint32_t *v = s ? reallocarray(t->val, cap, sizeof(*v)) : NULL;

		if (!v)
			return geo_fail(b, "out of memory compiling the IPv6 table");
		t->val = v;
		t->cap = cap;
	}
	t->start[t->n] = start;
	t->val[t->n++] = val;
	return 0;
}

static int emit(struct geo_build *b, int v6, geo_u128 prefix, uint32_t val)
{
	return v6 ? t6_push(b, prefix, val) : t4_push(b, (uint32_t)prefix, val);
}

/* The value of a data or empty record; errors for anything else. */
static int leaf_value(struct geo_build *b, struct ref *r, uint32_t *val)
{
	if (r->type == MMDB_RECORD_TYPE_EMPTY) {
		*val = 0;
		return 0;
	}
	if (r->type != MMDB_RECORD_TYPE_DATA ||
	    r->record - b->mmdb.metadata.node_count < 16)	/* the data section separator */
		return geo_fail(b, "corrupted search tree: a record points outside the data section");
	return geo_value_for(b, &r->entry, val);
}

static int read_node(struct geo_build *b, uint64_t node, MMDB_search_node_s *n)
{
	int st;

	if (++b->visits > b->mmdb.metadata.node_count)
		return geo_fail(b, "corrupted search tree: nodes are shared or form a loop");
	st = MMDB_read_node(&b->mmdb, (uint32_t)node, n);
	if (st != MMDB_SUCCESS)
		return geo_fail(b, "corrupted search tree at node %llu (%s)",
				(unsigned long long)node, MMDB_strerror(st));
	return 0;
}

/* Pushes the two children of node r (right first, so left pops first). */
static int push_children(struct geo_build *b, struct ref *stack, size_t *sp,
			 const struct ref *r, int bits)
{
	MMDB_search_node_s n;
	geo_u128 bit;

	if (r->depth >= bits)
		return geo_fail(b, "corrupted search tree: deeper than %d bits", bits);
	if (*sp + 2 > STACK_MAX || read_node(b, r->record, &n) < 0)
		return *sp + 2 > STACK_MAX ? geo_fail(b, "corrupted search tree: too deep") : -1;
	bit = (geo_u128)1 << (bits - 1 - r->depth);
	stack[(*sp)++] = (struct ref){ n.right_record, n.right_record_entry, r->prefix | bit,
				       n.right_record_type, (uint8_t)(r->depth + 1) };
	stack[(*sp)++] = (struct ref){ n.left_record, n.left_record_entry, r->prefix,
				       n.left_record_type, (uint8_t)(r->depth + 1) };
	return 0;
}

/* Walks the subtree at root (bits 32: the IPv4 table, 128: IPv6). */
static int walk(struct geo_build *b, uint64_t root, int bits)
{
	struct ref stack[STACK_MAX];
	size_t sp = 0;
	int v6 = bits == 128;
	uint32_t val;

	stack[sp++] = (struct ref){ .record = root, .type = MMDB_RECORD_TYPE_SEARCH_NODE };
	while (sp) {
		struct ref r = stack[--sp];

		if (r.type != MMDB_RECORD_TYPE_SEARCH_NODE) {
			if (leaf_value(b, &r, &val) < 0 || emit(b, v6, r.prefix, val) < 0)
				return -1;
		} else if (v6 && b->v4_root >= 0 && r.record == (uint64_t)b->v4_root) {
			if (r.depth > 96)
				return geo_fail(b, "corrupted search tree: IPv4 subtree below /96");
			if (t6_push(b, r.prefix, GEO_ALIAS | r.depth) < 0)
				return -1;
		} else if (push_children(b, stack, &sp, &r, bits) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Finds the IPv4 subtree (the node at ::/96 in an IPv6 tree). */
static int find_v4_root(struct geo_build *b)
{
	MMDB_search_node_s n;
	uint64_t node = 0;
	int depth;

	b->v4_root = 0;
	if (b->mmdb.metadata.ip_version == 4)
		return 0;
	for (depth = 0; depth < 96; depth++) {
		int st = MMDB_read_node(&b->mmdb, (uint32_t)node, &n);

		if (st != MMDB_SUCCESS)
			return geo_fail(b, "corrupted search tree at node %llu (%s)",
					(unsigned long long)node, MMDB_strerror(st));
		if (n.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE) {
			struct ref r = { n.left_record, n.left_record_entry, 0, n.left_record_type, 0 };

			b->v4_root = -1;
			return leaf_value(b, &r, &b->v4_leaf);
		}
		node = n.left_record;
	}
	b->v4_root = (int64_t)node;
	return 0;
}

static int build_idx4(struct geo_table4 *t)
{
	size_t i = 0;
	uint32_t h;

	t->idx = malloc(GEO_IDX_SIZE * sizeof(*t->idx));
	if (!t->idx)
		return -1;
	for (h = 0; h < 65536; h++) {
		while (i + 1 < t->n && t->r[i + 1].start <= h << 16)
			i++;
		t->idx[h] = (uint32_t)i;
	}
	t->idx[65536] = t->n ? (uint32_t)(t->n - 1) : 0;
	return 0;
}

static int build_idx6(struct geo_table6 *t)
{
	size_t i = 0;
	uint32_t h;

	t->idx = malloc(GEO_IDX_SIZE * sizeof(*t->idx));
	if (!t->idx)
		return -1;
	for (h = 0; h < 65536; h++) {
		while (i + 1 < t->n && t->start[i + 1] <= (geo_u128)h << 112)
			i++;
		t->idx[h] = (uint32_t)i;
	}
	t->idx[65536] = t->n ? (uint32_t)(t->n - 1) : 0;
	return 0;
}

static void count_countries(struct geo_db *db)
{
	uint8_t seen[GEO_CC_SLOTS] = { 0 };
	uint32_t i;

	for (i = 0; i < db->nvals; i++) {
		geo_cc c[3] = { db->vals[i].located, db->vals[i].registered, db->vals[i].represented };

		for (int k = 0; k < 3; k++) {
			if (c[k] != GEO_CC_UNKNOWN && !seen[geo_cc_index(c[k])]++)
				db->countries++;
		}
	}
}

int geo_compile(struct geo_build *b)
{
	struct geo_db *db = b->db;

	if (geo_values_init(b) < 0 || find_v4_root(b) < 0)
		return -1;
	if (b->v4_root >= 0 ? walk(b, (uint64_t)b->v4_root, 32) < 0 : t4_push(b, 0, b->v4_leaf) < 0)
		return -1;
	if (db->ip_version == 6 && walk(b, 0, 128) < 0)
		return -1;
	if (db->is_asn && !b->has_asn)
		return geo_fail(b, "no record has an autonomous_system_number: not an AS database "
			       "(GeoLite2-ASN schema)");
	if (!db->is_asn && !b->has_geoip2 && !b->has_flat)
		return geo_fail(b, "no record has a country field (country, registered_country, "
			       "represented_country or country_code): not a country database");
	db->schema = db->is_asn ? GEO_SCHEMA_ASN : b->has_geoip2 ? GEO_SCHEMA_GEOIP2 : GEO_SCHEMA_FLAT;
	if (build_idx4(&db->t4) < 0 || (db->ip_version == 6 && build_idx6(&db->t6) < 0))
		return geo_fail(b, "out of memory building the lookup index");
	if (!db->is_asn)
		count_countries(db);
	return 0;
}
