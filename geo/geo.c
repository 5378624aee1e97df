// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * geo: opening a country database, and lookups in its compiled tables.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "geo/geo_int.h"

/* The installed script; in a source tree it is scripts/geodb-build. */
#define REBUILD_HINT "rebuild it with " GEOEGRESS_SHAREDIR "/geodb-build (or download a fresh copy)"

int geo_fail(struct geo_build *b, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (b->err->msg[0])	/* keep the first, most specific error */
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(b->err->msg, sizeof(b->err->msg), "%s: %s; %s", b->db->path, msg, REBUILD_HINT);
	return -1;
}

static int open_error(struct geo_build *b, int st, int saved_errno)
{
	const char *path = b->db->path;
	char *m = b->err->msg;
	size_t sz = sizeof(b->err->msg);

	switch (st) {
	case MMDB_FILE_OPEN_ERROR:
		snprintf(m, sz, "%s: cannot open: %s; check the path (--db, option database) "
			 "or build the database with " GEOEGRESS_SHAREDIR "/geodb-build", path, strerror(saved_errno));
		return -1;
	case MMDB_IO_ERROR:
		snprintf(m, sz, "%s: cannot read: %s; check that it is a readable regular file",
			 path, strerror(saved_errno));
		return -1;
	case MMDB_INVALID_METADATA_ERROR:
		return geo_fail(b, "not a MaxMind DB file (no valid metadata section; empty, truncated or another format)");
	case MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
		return geo_fail(b, "unsupported MaxMind DB format version (need 2.x)");
	case MMDB_OUT_OF_MEMORY_ERROR:
		snprintf(m, sz, "%s: out of memory opening the database", path);
		return -1;
	default:
		return geo_fail(b, "cannot be read as a MaxMind DB (%s)", MMDB_strerror(st));
	}
}

/* Clearer errors than MMDB_open's for the common mistakes. */
static int check_file(struct geo_build *b)
{
	struct stat st;

	if (stat(b->db->path, &st) < 0)
		return open_error(b, MMDB_FILE_OPEN_ERROR, errno);
	if (S_ISDIR(st.st_mode)) {
		snprintf(b->err->msg, sizeof(b->err->msg), "%s: is a directory, not a database file; "
			 "give the path of the .mmdb file", b->db->path);
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return geo_fail(b, "empty file (0 bytes), not a MaxMind DB");
	return 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static const char *english_description(const MMDB_metadata_s *md)
{
	for (size_t i = 0; i < md->description.count; i++) {
		const MMDB_description_s *d = md->description.descriptions[i];

		if (d && d->language && d->description && !strcmp(d->language, "en"))
			return d->description;
	}
	return "";
}

static int check_metadata(struct geo_build *b)
{
	const MMDB_metadata_s *md = &b->mmdb.metadata;
	struct geo_db *db = b->db;

	if (md->ip_version != 4 && md->ip_version != 6)
		return geo_fail(b, "metadata ip_version is %u, not 4 or 6", md->ip_version);
	if (md->record_size != 24 && md->record_size != 28 && md->record_size != 32)
		return geo_fail(b, "metadata record_size is %u, not 24, 28 or 32", md->record_size);
	if (md->node_count == 0)
		return geo_fail(b, "metadata node_count is 0 (empty search tree)");
	db->ip_version = md->ip_version;
	db->node_count = md->node_count;
	db->record_size = md->record_size;
	db->build_epoch = (time_t)md->build_epoch;
	db->database_type = dup_or_empty(md->database_type);
	db->description = dup_or_empty(english_description(md));
	if (!db->database_type || !db->description) {
		snprintf(b->err->msg, sizeof(b->err->msg), "%s: out of memory", db->path);
		return -1;
	}
	return 0;
}

static struct geo_db *open_db(const char *path, struct geo_err *err, int asn)
{
	struct geo_err scratch;
	struct geo_build b = { .err = err ? err : &scratch };
	int st, opened = 0, rc = -1;

	err = b.err;
	err->msg[0] = '\0';
	b.db = calloc(1, sizeof(*b.db));
	if (!b.db || !(b.db->path = strdup(path))) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", path);
		goto out;
	}
	b.db->is_asn = asn;
	if (check_file(&b) < 0)
		goto out;
	errno = 0;
	st = MMDB_open(path, MMDB_MODE_MMAP, &b.mmdb);
	if (st != MMDB_SUCCESS) {
		open_error(&b, st, errno);
		goto out;
	}
	opened = 1;
	if (check_metadata(&b) < 0 || geo_compile(&b) < 0)
		goto out;
	rc = 0;
out:
	if (opened)
		MMDB_close(&b.mmdb);
	geo_map_free(&b.by_offset);
	geo_map_free(&b.by_answer);
	if (rc < 0) {
		geo_close(b.db);
		return NULL;
	}
	return b.db;
}

struct geo_db *geo_open(const char *path, struct geo_err *err)
{
	return open_db(path, err, 0);
}

struct geo_db *geo_open_asn(const char *path, struct geo_err *err)
{
	return open_db(path, err, 1);
}

void geo_close(struct geo_db *db)
{
	if (!db)
		return;
	free(db->asv);
	free(db->orgs);
	free(db->t4.r);
	free(db->t4.idx);
	free(db->t6.idx);
	free(db->t6.start);
	free(db->t6.val);
	free(db->vals);
	free(db->path);
	free(db->database_type);
	free(db->description);
	free(db);
}

int geo_reload(struct geo_db **dbp, const char *path, struct geo_err *err)
{
	struct geo_db *db = geo_open(path, err);

	if (!db)
		return -1;
	geo_close(*dbp);
	*dbp = db;
	return 0;
}

static uint32_t find4(const struct geo_table4 *t, uint32_t a)
{
	uint32_t lo = t->idx[a >> 16], hi = t->idx[(a >> 16) + 1];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (t->r[mid].start <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return t->r[lo].val;
}

static uint32_t find6(const struct geo_table6 *t, geo_u128 a)
{
	uint32_t lo = t->idx[(uint32_t)(a >> 112)], hi = t->idx[(uint32_t)(a >> 112) + 1];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (t->start[mid] <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return t->val[lo];
}

/* RFC 6052 §2.2: where the 32 IPv4 bits sit for each prefix length; bits
 * 64-71 (byte 8) are the "u" octet and never carry them. */
static void nat64_extract(const uint8_t *a, unsigned len, uint8_t *v4)
{
	unsigned at = len / 8;

	for (int i = 0; i < 4; i++, at++)
		v4[i] = a[at == 8 ? ++at : at];
}

static int prefix_match(const uint8_t *a, const uint8_t *pfx, unsigned len)
{
	return !memcmp(a, pfx, len / 8);	/* RFC 6052 lengths are whole bytes */
}

int geo_embedded_v4(const struct geo_xlat *xl, const uint8_t *a, uint8_t *v4)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t wkp[12] = { 0, 0x64, 0xff, 0x9b };	/* 64:ff9b::/96 */
	int via = GEO_VIA_NONE;

	for (unsigned i = 0; xl && i < xl->n && i < GEO_XLAT_MAX; i++) {
		if (prefix_match(a, xl->nat64[i].addr, xl->nat64[i].len)) {
			nat64_extract(a, xl->nat64[i].len, v4);
			return GEO_VIA_NAT64;
		}
	}
	switch ((unsigned)a[0] << 8 | a[1]) {	/* the well-known forms, by their first 16 bits */
	case 0x0000:
		via = memcmp(a, mapped, 12) ? GEO_VIA_NONE : GEO_VIA_MAPPED;
		break;
	case 0x0064:
		via = memcmp(a, wkp, 12) ? GEO_VIA_NONE : GEO_VIA_NAT64;
		break;
	case 0x2002:
		memcpy(v4, a + 2, 4);
		return GEO_VIA_6TO4;
	case 0x2001:
		if (a[2] || a[3])
			return GEO_VIA_NONE;
		for (int i = 0; i < 4; i++)
			v4[i] = (uint8_t)~a[12 + i];
		return GEO_VIA_TEREDO;
	default:
		return GEO_VIA_NONE;
	}
	if (via != GEO_VIA_NONE)
		memcpy(v4, a + 12, 4);
	return via;
}

/* The value index of an IPv6 address, or of the IPv4 address it embeds
 * (*via, v4).  -1 (EAFNOSUPPORT) for other IPv6 addresses in an IPv4-only
 * database. */
static inline int64_t val6(const struct geo_db *db, const struct geo_xlat *xl, const uint8_t *p, int *via,
			   uint8_t v4[4])
{
	uint64_t hi, lo;
	uint32_t v;
	geo_u128 a;

	*via = geo_embedded_v4(xl, p, v4);
	if (*via != GEO_VIA_NONE) {
		memcpy(&v, v4, 4);
		return find4(&db->t4, be32toh(v));
	}
	if (db->ip_version != 6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(&hi, p, 8);
	memcpy(&lo, p + 8, 8);
	a = (geo_u128)be64toh(hi) << 64 | be64toh(lo);
	v = find6(&db->t6, a);
	if (v & GEO_ALIAS)
		v = find4(&db->t4, (uint32_t)(a >> (96 - (v & 0xff))));
	return v;
}

static int lookup6(const struct geo_db *db, const struct geo_xlat *xl, const uint8_t *p,
		   struct geo_answer *out)
{
	uint8_t v4[4];
	int via;
	int64_t v = val6(db, xl, p, &via, v4);

	if (v < 0) {
		*out = db->vals[0];
		return -1;
	}
	*out = db->vals[v];
	if (via != GEO_VIA_NONE) {
		out->via = (uint8_t)via;
		memcpy(out->v4, v4, 4);
	}
	return 0;
}

int geo_lookup_xlat(const struct geo_db *db, const struct geo_xlat *xl, int family, const void *addr,
		    struct geo_answer *out)
{
	uint32_t a;

	if (family == AF_INET) {
		memcpy(&a, addr, 4);
		*out = db->vals[find4(&db->t4, be32toh(a))];
		return 0;
	}
	if (family == AF_INET6)
		return lookup6(db, xl, addr, out);
	*out = db->vals[0];
	errno = EAFNOSUPPORT;
	return -1;
}

int geo_lookup(const struct geo_db *db, int family, const void *addr, struct geo_answer *out)
{
	return geo_lookup_xlat(db, NULL, family, addr, out);
}

int geo_lookup_asn(const struct geo_db *db, const struct geo_xlat *xl, int family, const void *addr,
		   struct geo_asn *out)
{
	const struct geo_asv *v;
	uint8_t v4[4];
	uint32_t a;
	int via;
	int64_t i;

	out->asn = 0;
	out->org = NULL;
	if (!db->is_asn)
		return 0;
	if (family == AF_INET) {
		memcpy(&a, addr, 4);
		i = find4(&db->t4, be32toh(a));
	} else if (family == AF_INET6) {
		i = val6(db, xl, addr, &via, v4);
	} else {
		errno = EAFNOSUPPORT;
		i = -1;
	}
	if (i < 0 || (uint64_t)i >= db->nasv)
		return i < 0 ? -1 : 0;
	v = &db->asv[i];
	out->asn = v->asn;
	out->org = v->org ? db->orgs + v->org - 1 : NULL;
	return 0;
}

const char *geo_via_name(enum geo_via via)
{
	switch (via) {
	case GEO_VIA_MAPPED: return "ipv4-mapped";
	case GEO_VIA_NAT64: return "nat64";
	case GEO_VIA_6TO4: return "6to4";
	case GEO_VIA_TEREDO: return "teredo";
	case GEO_VIA_NONE: break;
	}
	return "";
}

static void count_one(const struct geo_answer *a, enum geo_field field, uint64_t *counts, uint64_t *n)
{
	geo_cc code = geo_pick_code(a, field, NULL);

	if (code == GEO_CC_UNKNOWN || geo_pick(a, field, NULL) != GEO_CC_UNKNOWN)
		return;
	counts[geo_cc_index(code)]++;
	(*n)++;
}

uint64_t geo_count_noncountry(const struct geo_db *db, enum geo_field field, uint64_t counts[GEO_CC_SLOTS])
{
	uint64_t n = 0;

	if (db->is_asn)
		return 0;
	for (size_t i = 0; i < db->t4.n; i++)
		count_one(&db->vals[db->t4.r[i].val], field, counts, &n);
	for (size_t i = 0; i < db->t6.n; i++)
		if (!(db->t6.val[i] & GEO_ALIAS))	/* aliases count in the IPv4 table */
			count_one(&db->vals[db->t6.val[i]], field, counts, &n);
	return n;
}

void geo_info(const struct geo_db *db, struct geo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->path = db->path;
	info->database_type = db->database_type;
	info->description = db->description;
	info->build_epoch = db->build_epoch;
	info->ip_version = db->ip_version;
	info->node_count = db->node_count;
	info->record_size = db->record_size;
	info->ranges_v4 = db->t4.n;
	info->ranges_v6 = db->t6.n;
	info->countries = db->countries;
	info->schema = db->schema;
}

char *geo_cc_str(geo_cc cc, char buf[3])
{
	if (cc == GEO_CC_UNKNOWN) {
		buf[0] = buf[1] = '-';
	} else {
		buf[0] = (char)(cc >> 8);
		buf[1] = (char)(cc & 0xff);
	}
	buf[2] = '\0';
	return buf;
}

const char *geo_schema_name(enum geo_schema s)
{
	switch (s) {
	case GEO_SCHEMA_GEOIP2: return "GeoIP2 (country/registered_country)";
	case GEO_SCHEMA_FLAT: return "flat (country_code)";
	case GEO_SCHEMA_ASN: return "ASN (autonomous_system_number)";
	}
	return "unknown";
}

const char *geo_source_name(enum geo_source s)
{
	switch (s) {
	case GEO_SRC_COUNTRY: return "country";
	case GEO_SRC_REGISTERED: return "registered_country";
	case GEO_SRC_REPRESENTED: return "represented_country";
	case GEO_SRC_FLAT: return "country_code";
	case GEO_SRC_NONE: break;
	}
	return "none";
}

const char *geo_field_name(enum geo_field f)
{
	switch (f) {
	case GEO_FIELD_LOCATED: return "located";
	case GEO_FIELD_REGISTERED: return "registered";
	case GEO_FIELD_EITHER: return "either";
	}
	return "unknown";
}
