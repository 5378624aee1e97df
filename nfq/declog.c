// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The decision log writer (doc/log-format.md): JSON Lines appended to a
 * file, optionally to syslog, with a per-device rate limit that folds the
 * excess into counted records.  Fixed-size tables allocated once; records
 * are collected in a buffer and written once per batch.  A write error
 * never stops the caller: it is counted, and the daemon warns about it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "nfq/nfq_int.h"
#include "util/hash.h"

#define DL_BUF_SIZE	(64 * 1024)
#define DL_REC_MAX	4096		/* one formatted record at most */
#define DL_SLOTS	4096		/* devices tracked by the rate limiter */
#define DL_PROBE	8

#define DL_CATS		5		/* over-cap records: allow, block, reject, log; audit */

/* Decisions not written one by one, how many of them were retries, and the
 * last of them, whose fields the summarising record carries. */
struct dl_fold {
	uint32_t n;
	uint32_t retries;
	struct nfq_declog_rec last;
};

enum { DL_KEY_NONE = 0, DL_KEY_MAC, DL_KEY_V4, DL_KEY_V6 };

struct dl_dev {
	uint8_t kind;		/* DL_KEY_*: what identifies the device; NONE = free slot */
	uint8_t key[16];	/* the MAC (6 bytes) or the address */
	time_t start;		/* period start (monotonic s) */
	uint32_t n;		/* records written this period */
	struct dl_fold fold;	/* decisions folded this period by log-rate */
	struct dl_fold retry;	/* retries this period: repeats of attempts already decided */
};

struct nfq_declog {
	char *path;
	int fd;
	int open_errno;
	int use_syslog;
	struct nfq_syslog *syslog;	/* option log-syslog udp:// or tcp://, or NULL */
	char gateway[256];		/* the name records carry (option gateway, or the host's) */
	uint32_t rate, period;
	uint32_t cap, cap_period;	/* records of all devices per cap_period; 0 = no cap */
	time_t cap_start;
	uint32_t cap_used;
	struct dl_fold over[DL_CATS];	/* folded over the cap this cap period */
	struct nfq_declog_stats st;
	uint64_t fail_pending;
	int last_errno;
	size_t buflen;
	uint32_t bufrecs;
	char buf[DL_BUF_SIZE];
	struct dl_dev dev[DL_SLOTS];
};

struct sbuf {
	char *p;
	size_t len, used;
	int overflow;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->overflow || b->used + n >= b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->used, s, n);
	b->used += n;
	b->p[b->used] = '\0';
}

/* Formats straight into the buffer (no bounce copy). */
static void __attribute__((format(printf, 2, 3))) sb_fmt(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || b->used + (size_t)n >= b->len)
		b->overflow = 1;
	else
		b->used += (size_t)n;
}

/* A JSON string, or null for NULL. */
static void sb_json_str(struct sbuf *b, const char *s)
{
	if (!s) {
		sb_add(b, "null", 4);
		return;
	}
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_add(b, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			sb_fmt(b, "\\u%04x", c);
		} else {
			sb_add(b, (const char *)&c, 1);
		}
	}
	sb_add(b, "\"", 1);
}

static void sb_ts(struct sbuf *b, const struct timespec *ts)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	sb_fmt(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
	       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000);
}

static void sb_addr(struct sbuf *b, const struct rules_flow *f, int dst)
{
	char a[INET6_ADDRSTRLEN];
	int fam = f->family == AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(fam, dst ? f->dst.b : f->src.b, a, sizeof(a)))
		strcpy(a, "?");
	sb_json_str(b, a);
}

/* nfq_declog_format() naming the gateway (NULL: no "gateway" field). */
static size_t format_rec(char *buf, size_t len, const struct nfq_declog_rec *r, const char *gateway,
			 uint32_t count, uint32_t retries, unsigned flags)
{
	struct sbuf b = { buf, len, 0, len == 0 };
	const struct rules_flow *f = &r->flow;
	char cc[3], num[4];

	sb_add(&b, "{\"ts\":", 6);
	sb_ts(&b, &r->ts);
	if (gateway) {		/* which gateway decided: logs of many are merged */
		sb_add(&b, ",\"gateway\":", 11);
		sb_json_str(&b, gateway);
	}
	sb_fmt(&b, ",\"action\":\"%s\",\"audit\":%s,\"rule\":%d,\"rule_name\":",
	       rules_action_name(r->action), r->audit ? "true" : "false", r->line);
	sb_json_str(&b, r->has_rule_name ? r->rule_name : NULL);
	sb_fmt(&b, ",\"default\":%s%s,\"src\":", r->is_default ? "true" : "false",
	       r->existing ? ",\"existing\":true" : "");
	sb_addr(&b, f, 0);
	if (f->has_mac)
		sb_fmt(&b, ",\"src_mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", f->src_mac[0],
		       f->src_mac[1], f->src_mac[2], f->src_mac[3], f->src_mac[4], f->src_mac[5]);
	else
		sb_add(&b, ",\"src_mac\":null", 15);
	sb_add(&b, ",\"device\":", 10);
	sb_json_str(&b, r->has_device ? r->device : NULL);
	sb_add(&b, ",\"dst\":", 7);
	sb_addr(&b, f, 1);
	if (r->host[0]) {	/* the name the device asked for (its DNS answers) */
		sb_add(&b, ",\"host\":", 8);
		sb_json_str(&b, r->host);
	}
	sb_add(&b, ",\"country\":", 11);
	sb_json_str(&b, r->country == GEO_CC_UNKNOWN ? NULL : geo_cc_str(r->country, cc));
	if (r->db_code != GEO_CC_UNKNOWN)
		sb_fmt(&b, ",\"db_code\":\"%s\"", geo_cc_str(r->db_code, cc));
	if (r->via != GEO_VIA_NONE)	/* which address's country decided */
		sb_fmt(&b, ",\"via\":\"%s\",\"geo_addr\":\"%u.%u.%u.%u\"", geo_via_name(r->via),
		       r->via_v4[0], r->via_v4[1], r->via_v4[2], r->via_v4[3]);
	if (r->asn) {
		sb_fmt(&b, ",\"asn\":%u", r->asn);
		if (r->as_org) {
			sb_add(&b, ",\"as_org\":", 10);
			sb_json_str(&b, r->as_org);
		}
	}
	sb_fmt(&b, ",\"proto\":\"%s\"", rules_proto_name(f->proto, num));
	if (f->has_ports)
		sb_fmt(&b, ",\"sport\":%u,\"dport\":%u", f->sport, f->dport);
	else
		sb_add(&b, ",\"sport\":null,\"dport\":null", 26);
	sb_add(&b, ",\"in\":", 6);
	sb_json_str(&b, r->in[0] ? r->in : NULL);
	sb_add(&b, ",\"out\":", 7);
	sb_json_str(&b, r->out[0] ? r->out : NULL);
	sb_fmt(&b, ",\"count\":%u", count);
	if (retries)
		sb_fmt(&b, ",\"retries\":%u", retries);
	sb_fmt(&b, "%s%s}", flags ? ",\"folded\":true" : "", flags & NFQ_FOLD_CAP ? ",\"over_cap\":true" : "");
	return b.overflow ? 0 : b.used;
}

size_t nfq_declog_format(char *buf, size_t len, const struct nfq_declog_rec *r,
			 uint32_t count, uint32_t retries, unsigned flags)
{
	return format_rec(buf, len, r, NULL, count, retries, flags);
}

static void copy_name(char *dst, size_t size, const char *s)
{
	size_t n = s ? strnlen(s, size - 1) : 0;

	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

void nfq_declog_names(struct nfq_declog_rec *r, const char *rule_name, const char *device)
{
	r->has_rule_name = rule_name != NULL;
	copy_name(r->rule_name, sizeof(r->rule_name), rule_name);
	r->has_device = device != NULL;
	copy_name(r->device, sizeof(r->device), device);
}

void nfq_declog_fill(struct nfq_declog_rec *r, const struct timespec *ts, const struct rules_flow *f,
		     const struct rules_verdict *v)
{
	memset(r, 0, sizeof(*r));
	r->ts = *ts;
	r->flow = *f;
	r->action = v->action;
	r->audit = v->audit;
	r->is_default = v->is_default;
	r->line = v->line;
	nfq_declog_names(r, v->name, v->device);
	r->country = v->country;
	r->db_code = v->db_code;
	r->via = v->via;
	memcpy(r->via_v4, v->via_v4, 4);
}

struct nfq_declog *nfq_declog_new(void)
{
	struct nfq_declog *d = nfq_alloc_resident(sizeof(*d));

	if (d)
		d->fd = -1;
	return d;
}

/* A write that stopped inside a record (disk full) leaves half a line;
 * cut it off so the file stays valid JSON Lines.  done: bytes of the
 * buffer that reached the file. */
static void trim_partial(struct nfq_declog *d, size_t done)
{
	size_t partial = 0;
	off_t end;

	while (partial < done && d->buf[done - 1 - partial] != '\n')
		partial++;
	if (partial == 0)
		return;
	end = lseek(d->fd, 0, SEEK_END);
	if (end >= (off_t)partial)
		(void)!ftruncate(d->fd, end - (off_t)partial);
}

void nfq_declog_flush(struct nfq_declog *d)
{
	size_t off = 0;

	nfq_syslog_flush(d->syslog);
	if (d->buflen == 0)
		return;
	while (off < d->buflen) {
		ssize_t n = write(d->fd, d->buf + off, d->buflen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			uint64_t lost = 0;

			d->last_errno = n < 0 ? errno : EIO;
			for (size_t i = off; i < d->buflen; i++)
				lost += d->buf[i] == '\n';
			d->st.failed += lost;
			d->st.written -= lost;
			d->fail_pending += lost;
			trim_partial(d, off);
			break;
		}
		off += (size_t)n;
	}
	d->buflen = 0;
	d->bufrecs = 0;
}

/* Appends one formatted record to the buffer (and syslog). */
static void emit(struct nfq_declog *d, const struct nfq_declog_rec *r, uint32_t count, uint32_t retries,
		 unsigned flags)
{
	char line[DL_REC_MAX];
	size_t n;

	if (d->fd < 0 && !d->use_syslog && !d->syslog) {
		if (d->path) {	/* configured but not open: every record is lost */
			d->st.failed++;
			d->fail_pending++;
			d->last_errno = d->open_errno;
		}
		return;
	}
	n = format_rec(line, sizeof(line) - 1, r, d->gateway[0] ? d->gateway : NULL, count, retries, flags);
	if (n == 0) {
		d->st.failed++;
		d->fail_pending++;
		d->last_errno = EMSGSIZE;
		return;
	}
	if (d->use_syslog)
		syslog(LOG_INFO, "%s", line);
	if (d->syslog)	/* what stopped a flow (or would have, in audit mode) is a notice */
		nfq_syslog_send(d->syslog, r->audit || r->action == RULES_BLOCK ||
				r->action == RULES_REJECT ? LOG_NOTICE : LOG_INFO, &r->ts, line, n);
	if (d->fd < 0) {
		d->st.written++;
		return;
	}
	line[n++] = '\n';
	if (d->buflen + n > DL_BUF_SIZE)
		nfq_declog_flush(d);
	memcpy(d->buf + d->buflen, line, n);
	d->buflen += n;
	d->bufrecs++;
	d->st.written++;
}

/* ---- the rate limit: per device, and a cap for all devices together ----
 * A device is what the policy knows a source by: its MAC where the gateway
 * sees one (a phone stays one device across the addresses of its /64),
 * else its address.  Each gets `rate` records per `period`; the rest are
 * folded into one record per device and period.  On top of that, every
 * record written (folded ones included) takes one of `cap` per
 * `cap_period`; once they are used up, what would have been written is
 * folded into one over-cap record per action, written when that period
 * ends, so no mix of sources writes more than cap + DL_CATS records. */

static void dev_key(const struct rules_flow *f, uint8_t *kind, uint8_t key[16])
{
	memset(key, 0, 16);
	if (f->has_mac) {
		*kind = DL_KEY_MAC;
		memcpy(key, f->src_mac, 6);
	} else {
		*kind = f->family == AF_INET6 ? DL_KEY_V6 : DL_KEY_V4;
		memcpy(key, f->src.b, f->family == AF_INET6 ? 16 : 4);
	}
}

static uint32_t key_hash(uint8_t kind, const uint8_t key[16])
{
	return fnv1a32(fnv1a32_step(FNV1A32_BASIS, kind), key, 16);
}

static void over_settle(struct nfq_declog *d);

/* One record of the cap's budget; starts a new cap period when due. */
static int cap_take(struct nfq_declog *d, time_t now)
{
	if (!d->cap)
		return 1;
	if (now - d->cap_start >= (time_t)d->cap_period) {
		over_settle(d);
		d->cap_start = now;
		d->cap_used = 0;
	}
	if (d->cap_used >= d->cap)
		return 0;
	d->cap_used++;
	return 1;
}

static void fold_into(struct dl_fold *f, const struct nfq_declog_rec *r, uint32_t n, uint32_t retries)
{
	f->n += n;
	f->retries += retries;
	f->last = *r;
}

/* Writes the record summarising f (flags NFQ_FOLD_*), or folds it over
 * the cap; empties f. */
static void write_or_fold(struct nfq_declog *d, struct dl_fold *f, unsigned flags, time_t now)
{
	const struct nfq_declog_rec *r = &f->last;

	if (!f->n)
		return;
	if (cap_take(d, now))
		emit(d, r, f->n, f->retries, flags);
	else
		fold_into(&d->over[r->audit ? DL_CATS - 1 : (unsigned)r->action % (DL_CATS - 1)], r, f->n,
			  f->retries);
	f->n = f->retries = 0;
}

/* The device's folded record (log-rate) and its retries record. */
static void dev_settle(struct nfq_declog *d, struct dl_dev *e, time_t now)
{
	write_or_fold(d, &e->fold, NFQ_FOLD_RATE, now);
	write_or_fold(d, &e->retry, 0, now);
}

/* The rate-limiter slot of f's device, new or reused (oldest evicted). */
static struct dl_dev *dev_slot(struct nfq_declog *d, const struct rules_flow *f, time_t now)
{
	struct dl_dev *e, *victim = NULL;
	uint8_t kind, key[16];
	uint32_t h;

	dev_key(f, &kind, key);
	h = key_hash(kind, key);
	for (int i = 0; i < DL_PROBE; i++) {
		e = &d->dev[(h + (uint32_t)i) % DL_SLOTS];
		if (e->kind == kind && !memcmp(e->key, key, 16))
			return e;
		if (!e->kind) {
			victim = e;
			break;
		}
		if (!victim || e->start < victim->start)
			victim = e;
	}
	dev_settle(d, victim, now);
	memset(victim, 0, sizeof(*victim));
	victim->kind = kind;
	memcpy(victim->key, key, 16);
	victim->start = now;
	return victim;
}

static struct dl_dev *dev_current(struct nfq_declog *d, const struct nfq_declog_rec *r, time_t now)
{
	struct dl_dev *e = dev_slot(d, &r->flow, now);

	if (now - e->start >= (time_t)d->period) {
		dev_settle(d, e, now);
		e->start = now;
		e->n = 0;
	}
	return e;
}

void nfq_declog_add(struct nfq_declog *d, const struct nfq_declog_rec *r, time_t now_s)
{
	struct dl_dev *e;

	if (d->rate == 0) {
		emit(d, r, 1, 0, 0);
		return;
	}
	e = dev_current(d, r, now_s);
	if (e->n < d->rate && cap_take(d, now_s)) {
		e->n++;
		emit(d, r, 1, 0, 0);
		return;
	}
	fold_into(&e->fold, r, 1, 0);
	d->st.folded++;
}

void nfq_declog_retry(struct nfq_declog *d, const struct nfq_declog_rec *r, time_t now_s)
{
	struct dl_dev *e = dev_current(d, r, now_s);

	fold_into(&e->retry, r, 1, 1);
	d->st.retries++;
}

/* Writes the over-cap records (they take no budget: at most DL_CATS). */
static void over_settle(struct nfq_declog *d)
{
	for (int i = 0; i < DL_CATS; i++) {
		if (!d->over[i].n)
			continue;
		emit(d, &d->over[i].last, d->over[i].n, d->over[i].retries, NFQ_FOLD_RATE | NFQ_FOLD_CAP);
		d->over[i].n = d->over[i].retries = 0;
	}
}

void nfq_declog_tick(struct nfq_declog *d, time_t now_s, int force)
{
	nfq_syslog_tick(d->syslog);
	if (force || (d->cap && now_s - d->cap_start >= (time_t)d->cap_period)) {
		over_settle(d);
		d->cap_start = now_s;
		d->cap_used = 0;
	}
	for (size_t i = 0; i < DL_SLOTS; i++) {
		struct dl_dev *e = &d->dev[i];

		if (!e->kind || (!force && now_s - e->start < (time_t)d->period))
			continue;
		dev_settle(d, e, now_s);
		e->kind = 0;	/* idle devices free their slot */
	}
	if (force)
		over_settle(d);	/* what the settling folded over the cap */
}

void nfq_declog_cap(struct nfq_declog *d, uint32_t total, uint32_t period)
{
	d->cap = total;
	d->cap_period = period ? period : 60;
}

static int open_file(struct nfq_declog *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->open_errno = 0;
	if (!d->path)
		return 0;
	d->fd = open(d->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (d->fd < 0) {
		d->open_errno = errno;
		return -1;
	}
	return 0;
}

int nfq_declog_configure(struct nfq_declog *d, const char *path, int use_syslog,
			 uint32_t rate, uint32_t period)
{
	char *copy = NULL;

	nfq_declog_tick(d, 0, 1);
	nfq_declog_flush(d);
	if (path && *path && !(copy = strdup(path)))
		return -1;
	free(d->path);
	d->path = copy;
	d->use_syslog = use_syslog;
	d->rate = rate;
	d->period = period ? period : 60;
	return open_file(d);
}

int nfq_declog_reopen(struct nfq_declog *d)
{
	nfq_declog_flush(d);
	return open_file(d);
}

void nfq_declog_stats(const struct nfq_declog *d, struct nfq_declog_stats *st)
{
	*st = d->st;
	st->gateway = d->gateway;
	st->syslog_remote = d->syslog != NULL;
	if (d->syslog)
		nfq_syslog_stats(d->syslog, &st->syslog);
	else
		memset(&st->syslog, 0, sizeof(st->syslog));
}

int nfq_declog_outputs(struct nfq_declog *d, const char *gateway, const struct rules_syslog *t)
{
	char host[256];
	int err = 0;

	if (!gateway) {	/* the host name: each of many gateways names itself */
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		gateway = host;
	}
	snprintf(d->gateway, sizeof(d->gateway), "%s", gateway);
	if (t->kind != RULES_SYSLOG_UDP && t->kind != RULES_SYSLOG_TCP) {
		nfq_syslog_flush(d->syslog);	/* what the socket takes of what waits */
		nfq_syslog_free(d->syslog);
		d->syslog = NULL;
		return 0;
	}
	if (nfq_syslog_same(d->syslog, t, d->gateway))
		return 0;	/* a reload keeps the connection */
	nfq_syslog_flush(d->syslog);
	nfq_syslog_free(d->syslog);
	d->syslog = nfq_syslog_new(t, d->gateway, &err);
	if (!d->syslog)
		err = ENOMEM;
	errno = err;
	return err ? -1 : 0;
}

uint64_t nfq_declog_take_syslog_drops(struct nfq_declog *d, int *err)
{
	return d->syslog ? nfq_syslog_take_drops(d->syslog, err) : 0;
}

uint64_t nfq_declog_take_failures(struct nfq_declog *d, int *err)
{
	uint64_t n = d->fail_pending;

	d->fail_pending = 0;
	if (err)
		*err = d->last_errno;
	return n;
}

void nfq_declog_free(struct nfq_declog *d)
{
	if (!d)
		return;
	nfq_declog_tick(d, 0, 1);
	nfq_declog_flush(d);
	if (d->fd >= 0)
		close(d->fd);
	nfq_syslog_free(d->syslog);
	free(d->path);
	free(d);
}
