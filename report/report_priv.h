/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of report/: the aggregation tables and the sorted view the
 * writers print.  Not a public interface. */
#ifndef GEOEGRESS_LOG_REPORT_PRIV_H
#define GEOEGRESS_LOG_REPORT_PRIV_H

#include "report/report.h"

#define REPORT_BAD_KEEP 5	/* skipped lines kept with their reason */
#define REPORT_MAX_FIELDS 7
#define REPORT_KEY_INLINE 48	/* key bytes kept in the table slot itself */
#define REPORT_TIMELINE_MAX 2000	/* buckets; older ones are left out of the timeline */
#define REPORT_TIMELINE_BARS 48		/* the bucket is the shortest giving at most this many */
/* Minutes are kept for the sub-hour buckets, which only spans under
 * 48 x 15 min = 12 h get: a log with more distinct blocked minutes than
 * that needs none of them, so the minute table stops (and is freed) here. */
#define REPORT_MINUTES_MAX 1024

struct report_stats {
	uint64_t n[REPORT_NCAT];	/* flows per category */
	int64_t first, last;		/* ms */
};

/* One distinct key, as a hash-table slot (kept small: it is what the
 * per-line lookups touch).  The key is the fields, each as a tag byte
 * (1 = null, 2 = present), the bytes and a NUL. */
struct report_row {
	uint64_t hash;
	uint32_t keylen;		/* 0: empty slot */
	struct report_stats st;
	union {				/* short keys in the slot: no second cache miss */
		char in[REPORT_KEY_INLINE];
		char *out;		/* keylen > REPORT_KEY_INLINE: in the arena */
	} k;
};

static inline const char *report_row_key(const struct report_row *r)
{
	return r->keylen > REPORT_KEY_INLINE ? r->k.out : r->k.in;
}

/* A row as the writers see it: the key split into fields (NULL = null).
 * Devices also list their addresses (sorted; for a device known by its
 * address, that address). */
struct report_vrow {
	const char *f[REPORT_MAX_FIELDS];
	struct report_stats st;
	const char *key;
	uint32_t keylen;
	const char **addrs;
	size_t naddrs;
	uint64_t ndevices;		/* gateways: the devices seen behind it */
};

struct report_tab {
	struct report_row *rows;
	size_t cap, count;		/* cap is a power of two */
	int nfields;
};

struct report_bad {
	char *file;
	uint64_t line;
	char *why;
};

/* Field order of each table's key.  A device is its MAC (DEV_SRC null), or
 * its address (DEV_MAC null), behind its gateway (DEV_GW; null in logs
 * without one): two offices may both have a 192.168.1.10. */
enum { DEV_GW, DEV_MAC, DEV_SET, DEV_SRC };
enum { GW_NAME };
enum { CTY_CC };
enum { DST_ADDR, DST_PORT, DST_PROTO, DST_CC, DST_HOST, DST_VIA, DST_GEO };
enum { HOST_NAME, HOST_DOMAIN };	/* hosts: the name and its registered domain */
enum { DOM_NAME };
enum { ASN_NUM, ASN_ORG };

struct report_timeline {
	int64_t bucket_ms;		/* 1, 5, 15 min, 1, 6 h, 1 d: chosen from the span */
	int64_t start_ms;		/* start of the first bucket */
	size_t n;
	uint64_t *blocked, *audit;	/* per bucket */
};

/* What the writers print: sorted, cut to --top. */
struct report_view {
	const struct report_totals *t;
	const struct report_filter *f;
	const struct report_output *o;
	struct report_vrow **dev, **cty, **dst, **host, **dom, **asn, **gw;
	size_t ndev, ncty, ndst, nhost, ndom, nasn, ngw;	/* shown */
	struct report_timeline tl;
	const struct report_bad *bad;
	size_t nbad;
};

static inline uint64_t report_blocked(const struct report_stats *s)
{
	return s->n[REPORT_BLOCK] + s->n[REPORT_REJECT];
}
static inline uint64_t report_allowed(const struct report_stats *s)
{
	return s->n[REPORT_ALLOW] + s->n[REPORT_LOG];
}
static inline uint64_t report_flows(const struct report_stats *s)
{
	return report_blocked(s) + report_allowed(s) + s->n[REPORT_AUDIT];
}

int report_write_text(const struct report_view *v, FILE *out);
int report_write_json(const struct report_view *v, FILE *out);
int report_write_csv(const struct report_view *v, FILE *out);
int report_write_html(const struct report_view *v, FILE *out);

/* The country's English name, or NULL ("CN" → "China"). */
const char *report_country_name(const char *cc);

/* A timeline bucket's name: "5 minutes", "hour", ... (long) or "5min",
 * "hour", ... (short: JSON bucket, CSV table tag). */
const char *report_bucket_name(int64_t bucket_ms, int shortname);

#endif
