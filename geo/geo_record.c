// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decoding MMDB data records into struct geo_answer, once per distinct
 * record (cached by data-section offset), and deduplicating the answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

static size_t map_slot(const struct geo_map *m, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17) & (m->cap - 1);
}

static uint64_t map_key(uint64_t key)
{
	return key ? key : ~(uint64_t)0;
}

int geo_map_get(const struct geo_map *m, uint64_t key, uint32_t *val)
{
	size_t i;

	if (!m->cap)
		return 0;
	key = map_key(key);
	for (i = map_slot(m, key); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}

static int map_grow(struct geo_map *m)
{
	struct geo_map bigger = { .cap = m->cap ? m->cap * 2 : 256 };
	size_t i, j;

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		geo_map_free(&bigger);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		for (j = map_slot(&bigger, m->keys[i]); bigger.keys[j]; j = (j + 1) & (bigger.cap - 1))
			;
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
	}
	bigger.n = m->n;
	geo_map_free(m);
	*m = bigger;
	return 0;
}

/* Inserts a key that is not yet present. */
int geo_map_put(struct geo_map *m, uint64_t key, uint32_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && map_grow(m) < 0)
		return -1;
	key = map_key(key);
	for (i = map_slot(m, key); m->keys[i]; i = (i + 1) & (m->cap - 1))
		;
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

void geo_map_free(struct geo_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static uint64_t pack_answer(const struct geo_answer *a)
{
	return (uint64_t)a->located | (uint64_t)a->registered << 16 |
		(uint64_t)a->represented << 32 | (uint64_t)a->found << 48 |
		(uint64_t)a->flat << 49;
}

static int add_value(struct geo_build *b, const struct geo_answer *a, uint32_t *val)
{
	struct geo_db *db = b->db;
	uint64_t key = pack_answer(a);

	if (geo_map_get(&b->by_answer, key, val))
		return 0;
	if (db->nvals == db->capvals) {
		uint32_t cap = db->capvals ? db->capvals * 2 : 64;
		struct geo_answer *v = reallocarray(db->vals, cap, sizeof(*v));

		if (!v || cap >= GEO_ALIAS)
			return geo_fail(b, "too many distinct answers or out of memory");
		db->vals = v;
		db->capvals = cap;
	}
	db->vals[db->nvals] = *a;
	*val = db->nvals++;
	if (geo_map_put(&b->by_answer, key, *val) < 0)
		return geo_fail(b, "out of memory");
	return 0;
}

/* An AS database's value: the number and the organisation (kept once per
 * record; control characters become '?'). */
static int add_asn_value(struct geo_build *b, uint32_t asn, const char *org, size_t orglen, uint32_t *val)
{
	struct geo_db *db = b->db;
	uint32_t off = 0;

	if (db->nasv == db->capasv) {
		uint32_t cap = db->capasv ? db->capasv * 2 : 64;
		struct geo_asv *v = reallocarray(db->asv, cap, sizeof(*v));

		if (!v || cap >= GEO_ALIAS)
			return geo_fail(b, "too many distinct answers or out of memory");
		db->asv = v;
		db->capasv = cap;
	}
	if (org && orglen) {
		if (db->orgslen + orglen + 1 > db->orgscap) {
			size_t cap = (db->orgslen + orglen + 1) * 2;
			char *o = realloc(db->orgs, cap);

			if (!o)
				return geo_fail(b, "out of memory");
			db->orgs = o;
			db->orgscap = cap;
		}
		for (size_t i = 0; i < orglen; i++)
			db->orgs[db->orgslen + i] = (unsigned char)org[i] < 0x20 || org[i] == 0x7f ? '?' : org[i];
		db->orgs[db->orgslen + orglen] = '\0';
		off = (uint32_t)db->orgslen + 1;
		db->orgslen += orglen + 1;
	}
	db->asv[db->nasv] = (struct geo_asv){ asn, off };
	*val = db->nasv++;
	return 0;
}

int geo_values_init(struct geo_build *b)
{
	struct geo_answer none = { 0 };
	uint32_t v;

	/* vals[0] in both kinds: a country lookup in an AS database finds nothing */
	if (add_value(b, &none, &v) < 0)
		return -1;
	return b->db->is_asn ? add_asn_value(b, 0, NULL, 0, &v) : 0;
}

static int is_path_miss(int st)
{
	return st == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
	       st == MMDB_INVALID_LOOKUP_PATH_ERROR;
}

/* Reads one ISO code at path; *present says whether the field exists.
 * Codes that are not two A-Z letters read as unknown. */
static int read_cc(struct geo_build *b, MMDB_entry_s *e, const char *const *path,
		   geo_cc *cc, int *present)
{
	MMDB_entry_data_s d;
	int st = MMDB_aget_value(e, &d, path);

	*cc = GEO_CC_UNKNOWN;
	if (is_path_miss(st))
		return 0;
	if (st != MMDB_SUCCESS)
		return geo_fail(b, "corrupted data section at offset %u (%s)", e->offset, MMDB_strerror(st));
	if (!d.has_data)
		return 0;
	*present = 1;
	if (d.type == MMDB_DATA_TYPE_UTF8_STRING && d.data_size == 2 &&
	    d.utf8_string[0] >= 'A' && d.utf8_string[0] <= 'Z' &&
	    d.utf8_string[1] >= 'A' && d.utf8_string[1] <= 'Z')
		*cc = geo_cc_make(d.utf8_string[0], d.utf8_string[1]);
	return 0;
}

/* Decodes the whole record once, so corruption anywhere in it is found. */
static int validate_record(struct geo_build *b, MMDB_entry_s *e)
{
	MMDB_entry_data_list_s *list = NULL;
	int st = MMDB_get_entry_data_list(e, &list);

	MMDB_free_entry_data_list(list);
	if (st != MMDB_SUCCESS)
		return geo_fail(b, "corrupted data section at offset %u (%s)", e->offset, MMDB_strerror(st));
	return 0;
}

static int decode(struct geo_build *b, MMDB_entry_s *e, struct geo_answer *a)
{
	static const char *const p_country[] = { "country", "iso_code", NULL };
	static const char *const p_reg[] = { "registered_country", "iso_code", NULL };
	static const char *const p_rep[] = { "represented_country", "iso_code", NULL };
	static const char *const p_flat[] = { "country_code", NULL };
	int geoip2 = 0, flat = 0;
	geo_cc flatcc;

	memset(a, 0, sizeof(*a));
	a->found = 1;
	if (validate_record(b, e) < 0 ||
	    read_cc(b, e, p_country, &a->located, &geoip2) < 0 ||
	    read_cc(b, e, p_reg, &a->registered, &geoip2) < 0 ||
	    read_cc(b, e, p_rep, &a->represented, &geoip2) < 0 ||
	    read_cc(b, e, p_flat, &flatcc, &flat) < 0)
		return -1;
	if (flat && a->located == GEO_CC_UNKNOWN && a->registered == GEO_CC_UNKNOWN) {
		a->located = flatcc;
		a->flat = 1;
	}
	b->has_geoip2 |= geoip2;
	b->has_flat |= flat;
	return 0;
}

#define ORG_MAX 200	/* bytes of an organisation's name kept */

/* autonomous_system_number and autonomous_system_organization. */
static int decode_asn(struct geo_build *b, MMDB_entry_s *e, uint32_t *val)
{
	static const char *const p_num[] = { "autonomous_system_number", NULL };
	static const char *const p_org[] = { "autonomous_system_organization", NULL };
	MMDB_entry_data_s d;
	uint32_t asn = 0;
	const char *org = NULL;
	size_t orglen = 0;
	int st;

	if (validate_record(b, e) < 0)
		return -1;
	st = MMDB_aget_value(e, &d, p_num);
	if (st != MMDB_SUCCESS && !is_path_miss(st))
		return geo_fail(b, "corrupted data section at offset %u (%s)", e->offset, MMDB_strerror(st));
	if (st == MMDB_SUCCESS && d.has_data) {
		if (d.type == MMDB_DATA_TYPE_UINT32)
			asn = d.uint32;
		else if (d.type == MMDB_DATA_TYPE_UINT16)
			asn = d.uint16;
		else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
			asn = (uint32_t)d.uint64;
		else if (d.type == MMDB_DATA_TYPE_INT32 && d.int32 > 0)
			asn = (uint32_t)d.int32;
		b->has_asn |= asn != 0;
	}
	st = MMDB_aget_value(e, &d, p_org);
	if (st != MMDB_SUCCESS && !is_path_miss(st))
		return geo_fail(b, "corrupted data section at offset %u (%s)", e->offset, MMDB_strerror(st));
	if (st == MMDB_SUCCESS && d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
		org = d.utf8_string;
		orglen = d.data_size < ORG_MAX ? d.data_size : ORG_MAX;
	}
	return add_asn_value(b, asn, org, asn ? orglen : 0, val);
}

int geo_value_for(struct geo_build *b, MMDB_entry_s *entry, uint32_t *val)
{
	struct geo_answer a;

	if (entry->offset >= b->mmdb.data_section_size)
		return geo_fail(b, "corrupted search tree: record points outside the data section");
	if (geo_map_get(&b->by_offset, entry->offset, val))
		return 0;
	if (b->db->is_asn ? decode_asn(b, entry, val) < 0 : (decode(b, entry, &a) < 0 || add_value(b, &a, val) < 0))
		return -1;
	if (geo_map_put(&b->by_offset, entry->offset, *val) < 0)
		return geo_fail(b, "out of memory");
	return 0;
}
