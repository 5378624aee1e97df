// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Aggregation: open-addressing hash tables (grown by doubling) keyed by
 * device, device address, country, destination, hour and minute, with key
 * bytes in an arena, so memory grows with the number of distinct keys,
 * never with the log.
 *
 * What is counted is what people mean: attempts.  A record's count minus
 * its retries (repeated packets of an attempt already decided, e.g. a
 * retransmitted SYN) are the flows it stands for; retries are only totalled.
 * A device is what the policy knows a source by: its MAC when the record
 * has one (its addresses are listed), else its address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "geo/geo.h"
#include "report/report_priv.h"

#define ARENA_CHUNK (256 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

/* A key being built, and its hash. */
struct keybuf {
	char *p;
	size_t cap, len;
	uint64_t hash;
};

struct report {
	struct report_filter f;
	char *f_device, *f_country, *f_gateway;
	struct report_tab dev, cty, dst, hours;
	struct report_tab gw, gwdev;	/* gateways; devices per gateway (in st.n[0]) */
	struct report_tab addrs;	/* (gateway, MAC, set, address) of MAC-identified devices */
	struct report_tab minutes;	/* blocked per minute, for short spans */
	int minutes_full;		/* too many minutes: the timeline uses hours */
	struct report_tab hosts, domains, asns;	/* by host name, registered domain, AS */
	const struct report_psl *psl;
	struct arena_chunk *arena;
	struct keybuf kb[11];		/* keys being built, one per table */
	struct report_totals t;
	struct report_bad bad[REPORT_BAD_KEEP];
	size_t nbad;
};

static void *arena_alloc(struct report *r, size_t n)
{
	struct arena_chunk *c = r->arena;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = r->arena;
		c->used = 0;
		c->cap = cap;
		r->arena = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static int tab_init(struct report_tab *t, int nfields, size_t cap)
{
	t->rows = calloc(cap, sizeof(*t->rows));
	t->cap = cap;
	t->count = 0;
	t->nfields = nfields;
	return t->rows ? 0 : -1;
}

/* 64-bit hash, 8 bytes at a time (multiply-xorshift mixing). */
static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ (w * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ (w * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
	h ^= h >> 32;
	return h;
}

static int tab_grow(struct report_tab *t)
{
	struct report_row *old = t->rows;
	size_t oldcap = t->cap, mask = t->cap * 2 - 1;

	t->rows = calloc(t->cap * 2, sizeof(*t->rows));
	if (!t->rows) {
		t->rows = old;
		return -1;
	}
	t->cap *= 2;
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;

		if (!old[i].keylen)
			continue;
		for (j = old[i].hash & mask; t->rows[j].keylen; j = (j + 1) & mask)
			;
		t->rows[j] = old[i];
	}
	free(old);
	return 0;
}

/* The row for key k, created empty when new. */
static struct report_row *tab_get(struct report *r, struct report_tab *t, const struct keybuf *k)
{
	size_t mask = t->cap - 1, i;
	struct report_row *row;
	char *key;

	for (i = k->hash & mask; t->rows[i].keylen; i = (i + 1) & mask)
		if (t->rows[i].hash == k->hash && t->rows[i].keylen == k->len &&
		    !memcmp(report_row_key(&t->rows[i]), k->p, k->len))
			return &t->rows[i];
	if ((t->count + 1) * 4 > t->cap * 3) {
		if (tab_grow(t) < 0)
			return NULL;
		return tab_get(r, t, k);
	}
	row = &t->rows[i];
	if (k->len > REPORT_KEY_INLINE) {
		key = arena_alloc(r, k->len);
		if (!key)
			return NULL;
		row->k.out = key;
	} else {
		key = row->k.in;
	}
	memcpy(key, k->p, k->len);
	row->hash = k->hash;
	row->keylen = (uint32_t)k->len;
	row->st.first = INT64_MAX;
	row->st.last = INT64_MIN;
	t->count++;
	return row;
}

/* Builds the key of n fields into k, hashes it and prefetches its slot
 * (the four tables' lookups then overlap their cache misses). */
static int build_key(struct keybuf *k, const struct report_tab *t, const struct report_str *fs, int n)
{
	size_t need = 0, len = 0;

	for (int i = 0; i < n; i++)
		need += fs[i].len + 2;
	if (need > k->cap) {
		char *p = realloc(k->p, need * 2);

		if (!p)
			return errno = ENOMEM, -1;
		k->p = p;
		k->cap = need * 2;
	}
	for (int i = 0; i < n; i++) {
		k->p[len++] = fs[i].p ? 2 : 1;
		if (fs[i].p) {
			memcpy(k->p + len, fs[i].p, fs[i].len);
			len += fs[i].len;
		}
		k->p[len++] = 0;
	}
	k->len = len;
	k->hash = hash_bytes(k->p, len);
	__builtin_prefetch(&t->rows[k->hash & (t->cap - 1)]);
	return 0;
}

/* Stretches the span [*first, *last] to cover ts. */
static void widen(int64_t *first, int64_t *last, int64_t ts)
{
	if (ts < *first)
		*first = ts;
	if (ts > *last)
		*last = ts;
}

/* Adds n attempts of rec's category to the row of key k. */
static int bump(struct report *r, struct report_tab *t, const struct keybuf *k,
		const struct report_record *rec, uint64_t n)
{
	struct report_row *row = tab_get(r, t, k);

	if (!row)
		return errno = ENOMEM, -1;
	row->st.n[rec->cat] += n;
	widen(&row->st.first, &row->st.last, rec->ts_ms);
	return 0;
}

void report_filter_init(struct report_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->since_ms = INT64_MIN;
	f->until_ms = INT64_MAX;
}

struct report *report_new(const struct report_filter *f)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (f)
		r->f = *f;
	else
		report_filter_init(&r->f);
	r->f_device = f && f->device ? strdup(f->device) : NULL;
	r->f_country = f && f->country ? strdup(f->country) : NULL;
	r->f_gateway = f && f->gateway ? strdup(f->gateway) : NULL;
	r->f.device = r->f_device;
	r->f.country = r->f_country;
	r->f.gateway = r->f_gateway;
	if ((f && f->device && !r->f_device) || (f && f->country && !r->f_country) ||
	    (f && f->gateway && !r->f_gateway) || tab_init(&r->gw, 1, 16) || tab_init(&r->gwdev, 1, 16) ||
	    tab_init(&r->dev, 4, 256) || tab_init(&r->cty, 1, 64) ||
	    tab_init(&r->dst, 7, 1024) || tab_init(&r->hours, 1, 64) ||
	    tab_init(&r->addrs, 4, 256) || tab_init(&r->minutes, 1, 64) || tab_init(&r->hosts, 2, 256) ||
	    tab_init(&r->domains, 1, 64) || tab_init(&r->asns, 2, 64)) {
		report_free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->t.first_ms = INT64_MAX;
	r->t.last_ms = INT64_MIN;
	return r;
}

void report_free(struct report *r)
{
	struct arena_chunk *c, *next;

	if (!r)
		return;
	for (c = r->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	for (size_t i = 0; i < r->nbad; i++) {
		free(r->bad[i].file);
		free(r->bad[i].why);
	}
	free(r->dev.rows);
	free(r->cty.rows);
	free(r->dst.rows);
	free(r->hours.rows);
	free(r->addrs.rows);
	free(r->minutes.rows);
	free(r->hosts.rows);
	free(r->domains.rows);
	free(r->asns.rows);
	free(r->gw.rows);
	free(r->gwdev.rows);
	for (int i = 0; i < 11; i++)
		free(r->kb[i].p);
	free(r->f_device);
	free(r->f_country);
	free(r->f_gateway);
	free(r);
}

static int str_eq(const struct report_str *s, const char *z, int icase)
{
	size_t n = strlen(z);

	return s->p && s->len == n && !(icase ? strncasecmp(s->p, z, n) : memcmp(s->p, z, n));
}

static int matches(const struct report *r, const struct report_record *rec)
{
	const struct report_filter *f = &r->f;

	if (rec->ts_ms < f->since_ms || rec->ts_ms >= f->until_ms)
		return 0;
	if (f->cats && !(f->cats & (1u << rec->cat)))
		return 0;
	if (f->country) {
		int unknown = !strcasecmp(f->country, "unknown") || !strcmp(f->country, "--");

		if (unknown ? rec->country.p != NULL : !str_eq(&rec->country, f->country, 1))
			return 0;
	}
	if (f->device && !str_eq(&rec->device, f->device, 0) && !str_eq(&rec->src, f->device, 1) &&
	    !str_eq(&rec->src_mac, f->device, 1))
		return 0;
	if (f->gateway && !str_eq(&rec->gateway, f->gateway, 1))
		return 0;
	return 1;
}

/* Decimal digits of v into buf (no terminator); returns the length.
 * snprintf is too slow for two numbers per record. */
static uint32_t utoa(char *buf, uint64_t v)
{
	char tmp[24];
	uint32_t n = 0, len;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (len = n; n > 0; n--)
		*buf++ = tmp[n - 1];
	return len;
}

/* The number of unit-long periods (hours, minutes) before ts, as a key. */
static struct report_str period_key(char *buf, int64_t ts, int64_t unit)
{
	int64_t h = ts >= 0 ? ts / unit : -((-ts + unit - 1) / unit);
	uint32_t n = 0;

	if (h < 0)
		buf[n++] = '-', h = -h;
	return (struct report_str){ buf, n + utoa(buf + n, (uint64_t)h) };
}

/* Blocked attempts per hour and per minute (the timeline). */
static int timeline_add(struct report *r, const struct report_record *rec, uint64_t n)
{
	char hour[24], minute[24];
	struct report_str hr = period_key(hour, rec->ts_ms, 3600000), mn = period_key(minute, rec->ts_ms, 60000);

	if (build_key(&r->kb[3], &r->hours, &hr, 1) || bump(r, &r->hours, &r->kb[3], rec, n))
		return -1;
	if (!r->minutes_full && r->minutes.count >= REPORT_MINUTES_MAX) {
		r->minutes_full = 1;	/* a long log: minutes are not needed */
		free(r->minutes.rows);
		memset(&r->minutes, 0, sizeof(r->minutes));
	}
	if (r->minutes_full)
		return 0;
	return build_key(&r->kb[5], &r->minutes, &mn, 1) || bump(r, &r->minutes, &r->kb[5], rec, n) ? -1 : 0;
}

/* The device's row (a new one counted for its gateway), and for a
 * MAC-identified one its address. */
static int device_add(struct report *r, const struct report_record *rec, uint64_t n)
{
	static const struct report_str none = { NULL, 0 };
	struct report_str dev[4] = { rec->gateway, rec->src_mac, rec->device, rec->src_mac.p ? none : rec->src };
	struct report_str addr[4] = { rec->gateway, rec->src_mac, rec->device, rec->src };
	size_t known = r->dev.count;
	struct report_row *gw;

	if (build_key(&r->kb[0], &r->dev, dev, 4) || bump(r, &r->dev, &r->kb[0], rec, n))
		return -1;
	if (r->dev.count > known) {
		if (build_key(&r->kb[10], &r->gwdev, &rec->gateway, 1) || !(gw = tab_get(r, &r->gwdev, &r->kb[10])))
			return errno = ENOMEM, -1;
		gw->st.n[0]++;
	}
	if (!rec->src_mac.p || !rec->src.p)
		return 0;
	return build_key(&r->kb[4], &r->addrs, addr, 4) || bump(r, &r->addrs, &r->kb[4], rec, n) ? -1 : 0;
}

void report_set_psl(struct report *r, const struct report_psl *p)
{
	r->psl = p;
}

/* The host, its registered domain, and the AS (when the record has them). */
static int names_add(struct report *r, const struct report_record *rec, uint64_t n)
{
	char num[24];
	struct report_str dom = { NULL, 0 }, as[2] = { { num, 0 }, rec->as_org };
	size_t dl = 0;

	if (rec->host.p && rec->host.len) {
		dom.p = report_psl_domain(r->psl, rec->host.p, rec->host.len, &dl);
		dom.len = (uint32_t)dl;
		if (!dom.p)	/* a public suffix itself: its own domain */
			dom = rec->host;
		{
			struct report_str h[2] = { rec->host, dom };

			if (build_key(&r->kb[6], &r->hosts, h, 2) || bump(r, &r->hosts, &r->kb[6], rec, n) ||
			    build_key(&r->kb[7], &r->domains, &dom, 1) || bump(r, &r->domains, &r->kb[7], rec, n))
				return -1;
		}
		r->t.named += n;
	}
	if (rec->asn < 0)
		return 0;
	as[0].len = utoa(num, (uint64_t)rec->asn);
	return build_key(&r->kb[8], &r->asns, as, 2) || bump(r, &r->asns, &r->kb[8], rec, n) ? -1 : 0;
}

int report_add(struct report *r, const struct report_record *rec)
{
	char port[8];
	struct report_str dst[7] = { rec->dst, { NULL, 0 }, rec->proto, rec->country, rec->host,
				     rec->via, rec->geo_addr };
	uint64_t n = rec->count - rec->retries;	/* attempts */

	if (!matches(r, rec)) {
		r->t.filtered++;
		return 0;
	}
	r->t.records++;
	r->t.flows += n;
	r->t.retries += rec->retries;
	r->t.folded += rec->folded;
	r->t.over_cap += rec->folded && rec->over_cap;
	r->t.by_cat[rec->cat] += n;
	widen(&r->t.first_ms, &r->t.last_ms, rec->ts_ms);
	if (n == 0)	/* only retries: no flow to show in the tables */
		return 1;
	if (rec->dport >= 0)
		dst[1] = (struct report_str){ port, utoa(port, (uint64_t)rec->dport) };
	if (build_key(&r->kb[1], &r->cty, &rec->country, 1) || build_key(&r->kb[2], &r->dst, dst, 7))
		return -1;
	if ((rec->cat == REPORT_BLOCK || rec->cat == REPORT_REJECT || rec->cat == REPORT_AUDIT) &&
	    timeline_add(r, rec, n) < 0)
		return -1;
	if (device_add(r, rec, n) < 0 || bump(r, &r->cty, &r->kb[1], rec, n) ||
	    bump(r, &r->dst, &r->kb[2], rec, n) || names_add(r, rec, n) < 0 ||
	    build_key(&r->kb[9], &r->gw, &rec->gateway, 1) || bump(r, &r->gw, &r->kb[9], rec, n))
		return -1;
	return 1;
}

int report_add_bad(struct report *r, const char *file, uint64_t line, const char *why)
{
	struct report_bad *b;

	r->t.skipped++;
	if (r->nbad >= REPORT_BAD_KEEP)
		return 0;
	b = &r->bad[r->nbad];
	b->file = strdup(file);
	b->why = strdup(why);
	b->line = line;
	if (!b->file || !b->why) {
		free(b->file);
		free(b->why);
		return errno = ENOMEM, -1;
	}
	r->nbad++;
	return 0;
}

void report_totals(const struct report *r, struct report_totals *t)
{
	*t = r->t;
	t->devices = r->dev.count;
	t->countries = r->cty.count;
	t->destinations = r->dst.count;
	t->hosts = r->hosts.count;
	t->domains = r->domains.count;
	t->asns = r->asns.count;
	t->psl = r->psl != NULL;
	t->gateways = r->gw.count;
}

const char *report_country_name(const char *cc)
{
	if (!cc || strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
		return NULL;
	return geo_country_name(geo_cc_make(cc[0], cc[1]));
}

/* ---- the sorted view and the writers ---- */

static int cmp_key(const struct report_vrow *a, const struct report_vrow *b)
{
	uint32_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int c = memcmp(a->key, b->key, n);

	return c ? c : (a->keylen > b->keylen) - (a->keylen < b->keylen);
}

#define CMP_DESC(x, y) do { if ((x) != (y)) return (x) < (y) ? 1 : -1; } while (0)

/* Devices and destinations that hit block rules (enforced, or in audit
 * mode) come first, most blocked first. */
static int cmp_blocked_first(const void *pa, const void *pb)
{
	const struct report_vrow *a = *(struct report_vrow *const *)pa, *b = *(struct report_vrow *const *)pb;

	CMP_DESC(report_blocked(&a->st) + a->st.n[REPORT_AUDIT] > 0,
		 report_blocked(&b->st) + b->st.n[REPORT_AUDIT] > 0);
	CMP_DESC(report_blocked(&a->st), report_blocked(&b->st));
	CMP_DESC(a->st.n[REPORT_AUDIT], b->st.n[REPORT_AUDIT]);
	CMP_DESC(report_flows(&a->st), report_flows(&b->st));
	return cmp_key(a, b);
}

static int cmp_flows(const void *pa, const void *pb)
{
	const struct report_vrow *a = *(struct report_vrow *const *)pa, *b = *(struct report_vrow *const *)pb;

	CMP_DESC(report_flows(&a->st), report_flows(&b->st));
	CMP_DESC(report_blocked(&a->st), report_blocked(&b->st));
	return cmp_key(a, b);
}

/* The key of a row split into its n fields. */
static void split_key(const char *key, int n, const char **f)
{
	for (int i = 0; i < n; i++) {
		f[i] = *key == 1 ? NULL : key + 1;
		key += strlen(key) + 1;
	}
}

/* Sorted rows of t, at most top (0 = all); *n gets the count.  One
 * allocation: the pointer array followed by the rows. */
static struct report_vrow **sorted(const struct report_tab *t, int (*cmp)(const void *, const void *),
				   unsigned top, size_t *n)
{
	struct report_vrow **v = malloc((t->count + 1) * (sizeof(*v) + sizeof(**v)));
	struct report_vrow *rows = (struct report_vrow *)(v + t->count + 1);
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < t->cap; i++) {
		const struct report_row *row = &t->rows[i];

		if (!row->keylen)
			continue;
		memset(&rows[k], 0, sizeof(rows[k]));
		split_key(report_row_key(row), t->nfields, rows[k].f);
		rows[k].st = row->st;
		rows[k].key = report_row_key(row);
		rows[k].keylen = row->keylen;
		v[k] = &rows[k];
		k++;
	}
	qsort(v, k, sizeof(*v), cmp);
	*n = top && top < k ? top : k;
	return v;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static const struct bucket {
	int64_t ms;
	const char *name, *shortname;
} buckets[] = {
	{ 60000, "minute", "minute" }, { 300000, "5 minutes", "5min" }, { 900000, "15 minutes", "15min" },
	{ 3600000, "hour", "hour" }, { 21600000, "6 hours", "6h" }, { 86400000, "day", "day" },
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

const char *report_bucket_name(int64_t bucket_ms, int shortname)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		if (buckets[i].ms == bucket_ms)
			return shortname ? buckets[i].shortname : buckets[i].name;
	return "?";
}

/* The bucket from the span: the shortest that gives at most
 * REPORT_TIMELINE_BARS bars (a few minutes: minutes, not one bar for the
 * hour), days for anything longer; minutes only while they were kept. */
static int64_t pick_bucket(const struct report *r)
{
	int64_t span = r->t.last_ms - r->t.first_ms;

	for (size_t i = 0; i + 1 < NBUCKETS; i++) {
		if (buckets[i].ms < 3600000 && r->minutes_full)
			continue;
		if (span / buckets[i].ms < REPORT_TIMELINE_BARS)
			return buckets[i].ms;
	}
	return buckets[NBUCKETS - 1].ms;
}

/* Dense buckets over the report's span, from the minute or hour table. */
static int build_timeline(const struct report *r, struct report_timeline *tl)
{
	int64_t first = r->t.first_ms, last = r->t.last_ms, b0, b1, unit;
	const struct report_tab *src;

	memset(tl, 0, sizeof(*tl));
	tl->bucket_ms = 3600000LL;
	if (r->t.records == 0)
		return 0;
	tl->bucket_ms = pick_bucket(r);
	unit = tl->bucket_ms < 3600000 ? 60000 : 3600000;
	src = unit == 60000 ? &r->minutes : &r->hours;
	b0 = floor_div(first, tl->bucket_ms);
	b1 = floor_div(last, tl->bucket_ms);
	if (b1 - b0 >= REPORT_TIMELINE_MAX)	/* years of days, or a bad clock: the newest */
		b0 = b1 - (REPORT_TIMELINE_MAX - 1);
	tl->start_ms = b0 * tl->bucket_ms;
	tl->n = (size_t)(b1 - b0 + 1);
	tl->blocked = calloc(tl->n, sizeof(uint64_t));
	tl->audit = calloc(tl->n, sizeof(uint64_t));
	if (!tl->blocked || !tl->audit)
		return -1;
	for (size_t i = 0; i < src->cap; i++) {
		const struct report_row *row = &src->rows[i];
		int64_t b;

		if (!row->keylen)
			continue;
		b = floor_div(strtoll(report_row_key(row) + 1, NULL, 10) * unit, tl->bucket_ms) - b0;
		if (b < 0 || b >= (int64_t)tl->n)
			continue;
		tl->blocked[b] += report_blocked(&row->st);
		tl->audit[b] += row->st.n[REPORT_AUDIT];
	}
	return 0;
}

/* Where the first three fields of a key end (a device: gateway, MAC, set). */
static size_t prefix3(const char *key)
{
	size_t n = 0;

	for (int i = 0; i < 3; i++)
		n += strlen(key + n) + 1;
	return n;
}

/* Orders keys by their first three fields. */
static int cmp_prefix3(const char *a, const char *b)
{
	size_t la = prefix3(a), lb = prefix3(b);
	int c = memcmp(a, b, la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

/* Address keys: by device, then by address. */
static int cmp_addr_key(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	int c = cmp_prefix3(a, b);

	return c ? c : strcmp(a + prefix3(a) + 1, b + prefix3(b) + 1);
}

/* Fills each shown device's address list: a MAC-identified device's from
 * the address table, else its own address.  *keys (freed by the caller)
 * holds the sorted address keys the lists point into. */
static int device_addresses(const struct report *r, struct report_vrow **dev, size_t ndev, const char ***keys)
{
	size_t n = 0, lo, hi;
	const char **k = malloc((r->addrs.count + 1) * sizeof(*k) + (ndev + 1) * sizeof(*k));
	const char **own = k ? k + r->addrs.count + 1 : NULL;

	*keys = k;
	if (!k)
		return -1;
	for (size_t i = 0; i < r->addrs.cap; i++)
		if (r->addrs.rows[i].keylen)
			k[n++] = report_row_key(&r->addrs.rows[i]);
	qsort(k, n, sizeof(*k), cmp_addr_key);
	for (size_t i = 0; i < ndev; i++) {
		struct report_vrow *v = dev[i];

		if (!v->f[DEV_MAC]) {
			own[i] = v->f[DEV_SRC];
			v->addrs = &own[i];
			v->naddrs = v->f[DEV_SRC] != NULL;
			continue;
		}
		for (lo = 0, hi = n; lo < hi;) {	/* the first key of this device */
			size_t mid = (lo + hi) / 2;

			if (cmp_prefix3(k[mid], v->key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (hi = lo; hi < n && !cmp_prefix3(k[hi], v->key); hi++)
			;
		v->addrs = &k[lo];
		v->naddrs = hi - lo;
	}
	for (size_t i = 0; i < n; i++)	/* the address, past the prefix and its tag */
		k[i] += prefix3(k[i]) + 1;
	return 0;
}

/* Each shown gateway's number of devices (the gwdev table, same keys). */
static void gateway_devices(const struct report *r, struct report_vrow **gw, size_t ngw)
{
	const struct report_tab *t = &r->gwdev;

	for (size_t i = 0; i < ngw; i++) {
		uint64_t h = hash_bytes(gw[i]->key, gw[i]->keylen);

		for (size_t j = h & (t->cap - 1); t->rows[j].keylen; j = (j + 1) & (t->cap - 1)) {
			if (t->rows[j].hash == h && t->rows[j].keylen == gw[i]->keylen &&
			    !memcmp(report_row_key(&t->rows[j]), gw[i]->key, gw[i]->keylen)) {
				gw[i]->ndevices = t->rows[j].st.n[0];
				break;
			}
		}
	}
}

int report_write(struct report *r, FILE *out, const struct report_output *o)
{
	struct report_totals t;
	struct report_view v = { .t = &t, .f = &r->f, .o = o, .bad = r->bad, .nbad = r->nbad };
	const char **addr_keys = NULL;
	int rc = -1;

	report_totals(r, &t);
	v.dev = sorted(&r->dev, cmp_blocked_first, o->top, &v.ndev);
	v.cty = sorted(&r->cty, cmp_flows, o->top, &v.ncty);
	v.dst = sorted(&r->dst, cmp_blocked_first, o->top, &v.ndst);
	v.host = sorted(&r->hosts, cmp_blocked_first, o->top, &v.nhost);
	v.dom = sorted(&r->domains, cmp_blocked_first, o->top, &v.ndom);
	v.asn = sorted(&r->asns, cmp_blocked_first, o->top, &v.nasn);
	v.gw = sorted(&r->gw, cmp_blocked_first, o->top, &v.ngw);
	if (!v.dev || !v.cty || !v.dst || !v.host || !v.dom || !v.asn || !v.gw || build_timeline(r, &v.tl) < 0 ||
	    device_addresses(r, v.dev, v.ndev, &addr_keys) < 0) {
		errno = ENOMEM;
		goto out;
	}
	gateway_devices(r, v.gw, v.ngw);
	switch (o->format) {
	case REPORT_JSON: rc = report_write_json(&v, out); break;
	case REPORT_CSV: rc = report_write_csv(&v, out); break;
	case REPORT_HTML: rc = report_write_html(&v, out); break;
	default: rc = report_write_text(&v, out); break;
	}
	if (fflush(out) != 0 || ferror(out))
		rc = -1;
out:
	free(addr_keys);
	free(v.dev);
	free(v.cty);
	free(v.dst);
	free(v.host);
	free(v.dom);
	free(v.asn);
	free(v.gw);
	free(v.tl.blocked);
	free(v.tl.audit);
	return rc;
}
