// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decision records to a remote syslog collector (option log-syslog
 * udp://... or tcp://...): RFC 5424 messages,
 *
 *   <29>1 2026-11-27T07:30:01.123Z pune-1 geoegress 4242 decision - {"ts":...}
 *   <29>1 2026-11-27T07:30:01.123Z pune-1 geoegress 4242 decision [geoegress@32473 ts="..." ...]
 *
 * the record as the JSON payload (MSG, without a BOM: MSG-ANY, so a
 * collector can hand it to a JSON parser as it is) or as the parameters of
 * one SD-ELEMENT.  The SD-ELEMENT is made from the JSON line itself, so it
 * carries whatever fields the record has: keys become PARAM-NAMEs, values
 * their text (JSON's \" and \\ are SD's escapes too; ']' gets one; a null
 * leaves its parameter out).  32473 is the private enterprise number RFC
 * 5612 reserves for documentation; geoegress has none of its own.
 *
 * UDP (RFC 5426): one datagram per message, sent at once.  TCP (RFC 6587
 * octet counting: "LEN SP MSG"): messages are queued and written whenever
 * the decision log is flushed; a broken connection is made again by the
 * once-a-second tick, 1, 2, 4 ... 30 s apart.  Nothing here blocks: a
 * message that does not fit (the collector is slow or away) is dropped and
 * counted, never waited for, so the queue workers never wait for the
 * network.  Every call comes with the decision log's lock held.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nfq/nfq_int.h"

#define SL_QUEUE	(256 * 1024)	/* TCP: bytes waiting for the collector */
#define SL_BACKOFF_MAX	30		/* s between reconnection attempts, at most */
#define SL_SDID		"geoegress@32473"

enum { SL_DOWN = 0, SL_CONNECTING, SL_UP };

struct nfq_syslog {
	struct rules_syslog t;
	char host[256];			/* HOSTNAME: the gateway's name */
	long pid;
	int fd;
	int state;			/* SL_*: TCP; UDP is UP while it has a socket */
	int64_t retry_s;		/* TCP: next connection attempt (monotonic s) */
	int backoff;
	size_t sent;			/* TCP: bytes of q already sent (part of its first message) */
	struct nfq_syslog_stats st;
	uint64_t drops_pending;
	size_t qlen;
	char q[SL_QUEUE];
};

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void sl_close(struct nfq_syslog *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->state = SL_DOWN;
}

/* A socket connected (UDP) or connecting (TCP) to the target.  0 or -1. */
static int sl_open(struct nfq_syslog *s)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int tcp = s->t.kind == RULES_SYSLOG_TCP;

	memset(&ss, 0, sizeof(ss));
	if (s->t.family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(s->t.port);
		memcpy(&a->sin6_addr, s->t.addr, 16);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(s->t.port);
		memcpy(&a->sin_addr, s->t.addr, 4);
		sl = sizeof(*a);
	}
	s->fd = socket(s->t.family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	if (connect(s->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		goto fail;
	s->state = tcp ? SL_CONNECTING : SL_UP;
	s->st.connects += tcp;
	return 0;
fail:
	s->st.last_errno = errno;
	sl_close(s);
	return -1;
}

/* The length of the TCP frame ("LEN SP MSG") at q[off]. */
static size_t frame_len(const struct nfq_syslog *s, size_t off)
{
	size_t n = 0, i = off;

	while (i < s->qlen && s->q[i] >= '0' && s->q[i] <= '9')
		n = n * 10 + (size_t)(s->q[i++] - '0');
	return i - off + 1 + n;
}

static void dropped(struct nfq_syslog *s, int err)
{
	s->st.dropped++;
	s->drops_pending++;
	s->st.last_errno = err;
}

/* No socket, or the connection broke: a message it carried part of is
 * lost; whole ones wait for the next connection, which the tick makes
 * 1, 2, 4 ... SL_BACKOFF_MAX s later. */
static void sl_failed(struct nfq_syslog *s, int err)
{
	size_t f;

	sl_close(s);
	if (s->sent) {
		f = frame_len(s, 0);
		memmove(s->q, s->q + f, s->qlen - f);
		s->qlen -= f;
		s->sent = 0;
		dropped(s, err);
	}
	s->st.last_errno = err;
	s->backoff = s->backoff ? (s->backoff * 2 > SL_BACKOFF_MAX ? SL_BACKOFF_MAX : s->backoff * 2) : 1;
	s->retry_s = now_s() + s->backoff;
}

/* HOSTNAME is 1 to 255 PRINTUSASCII: anything else becomes '_'. */
static void host_field(char out[256], const char *hostname)
{
	size_t n = 0;

	for (const char *p = hostname && *hostname ? hostname : "-"; *p && n + 1 < 256; p++)
		out[n++] = *p > ' ' && *p < 0x7f ? *p : '_';
	out[n] = '\0';
}

struct nfq_syslog *nfq_syslog_new(const struct rules_syslog *t, const char *hostname, int *err)
{
	struct nfq_syslog *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->t = *t;
	s->fd = -1;
	s->pid = (long)getpid();
	host_field(s->host, hostname);
	*err = 0;
	if (sl_open(s) < 0) {
		*err = s->st.last_errno;
		sl_failed(s, *err);	/* the tick tries again */
	}
	return s;
}

int nfq_syslog_same(const struct nfq_syslog *s, const struct rules_syslog *t, const char *hostname)
{
	char host[256];

	host_field(host, hostname);
	return s && s->t.kind == t->kind && s->t.format == t->format && s->t.family == t->family &&
	       !memcmp(s->t.addr, t->addr, 16) && s->t.port == t->port && !strcmp(s->host, host);
}

void nfq_syslog_free(struct nfq_syslog *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* ---- the message ---- */

struct obuf {
	char *p;
	size_t len, used;
	int over;
};

static void put(struct obuf *b, const char *s, size_t n)
{
	if (b->over || b->used + n > b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->used, s, n);
	b->used += n;
}

/* The SD-ELEMENT of a flat JSON object as geoegress writes it (keys
 * without escapes; values strings, numbers, true, false or null). */
static void put_sd(struct obuf *b, const char *j, size_t len)
{
	const char *end = j + len, *k, *v;

	put(b, "[" SL_SDID, sizeof(SL_SDID));
	for (j = memchr(j, '"', len); j && j < end; j = memchr(j, '"', (size_t)(end - j))) {
		k = ++j;
		j = memchr(j, '"', (size_t)(end - j));
		if (!j || j + 2 > end || j[1] != ':')
			break;
		v = j + 2;
		if (*v == 'n') {	/* null: no parameter */
			j = v + 4;
			continue;
		}
		put(b, " ", 1);
		put(b, k, (size_t)(j - k));
		put(b, "=\"", 2);
		if (*v == '"') {	/* a string: up to its closing quote */
			for (j = v + 1; j < end && *j != '"'; j++) {
				if (*j == '\\' && j + 1 < end)
					put(b, j++, 1);
				else if (*j == ']')
					put(b, "\\", 1);
				put(b, j, 1);
			}
			j++;
		} else {		/* a number or a boolean */
			for (j = v; j < end && *j != ',' && *j != '}'; j++)
				;
			put(b, v, (size_t)(j - v));
		}
		put(b, "\"", 1);
		if (j < end && *j == ',')
			j++;
	}
	put(b, "]", 1);
}

size_t nfq_syslog_format(char *buf, size_t len, const struct rules_syslog *t, const char *host,
			 long pid, int severity, const struct timespec *ts, const char *json, size_t jlen)
{
	struct obuf b = { buf, len, 0, 0 };
	char head[384];
	struct tm tm;
	int n;

	gmtime_r(&ts->tv_sec, &tm);
	/* facility daemon (3) */
	n = snprintf(head, sizeof(head), "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s geoegress %ld decision ",
		     3 * 8 + severity, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts->tv_nsec / 1000000, host, pid);
	if (n < 0 || (size_t)n >= sizeof(head))
		return 0;
	put(&b, head, (size_t)n);
	if (t->format == RULES_SYSLOG_SD) {
		put_sd(&b, json, jlen);
	} else {
		put(&b, "- ", 2);
		put(&b, json, jlen);
	}
	return b.over ? 0 : b.used;
}

/* ---- sending ---- */

/* Drops the frames sent whole; s->sent keeps what went of the next one. */
static void pop_sent(struct nfq_syslog *s)
{
	size_t off = 0, f;

	while (off < s->qlen && off + (f = frame_len(s, off)) <= s->sent) {
		off += f;
		s->st.sent++;
	}
	memmove(s->q, s->q + off, s->qlen - off);
	s->qlen -= off;
	s->sent -= off;
}

/* The collector closed the connection (it never sends anything, so
 * readable means closed).  Asked before writing: data written after the
 * peer's FIN is accepted by the kernel and lost with the RST it gets. */
static int peer_closed(const struct nfq_syslog *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };

	return s->state == SL_UP && poll(&p, 1, 0) == 1 &&
	       (p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR));
}

void nfq_syslog_flush(struct nfq_syslog *s)
{
	if (!s || s->t.kind != RULES_SYSLOG_TCP || s->fd < 0 || s->sent >= s->qlen)
		return;
	if (peer_closed(s)) {
		sl_failed(s, ECONNRESET);
		return;
	}
	while (s->sent < s->qlen) {
		ssize_t n = send(s->fd, s->q + s->sent, s->qlen - s->sent, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;	/* still connecting, or the collector is slow: later */
		if (n <= 0) {
			pop_sent(s);
			sl_failed(s, n < 0 ? errno : EPIPE);
			return;
		}
		s->state = SL_UP;
		s->backoff = 0;
		s->sent += (size_t)n;
	}
	pop_sent(s);
}

/* One datagram; a refusal reported for an earlier one (ICMP port
 * unreachable) is cleared and this one tried again. */
static void udp_send(struct nfq_syslog *s, const char *msg, size_t n)
{
	for (int tries = 0; tries < 2; tries++) {
		if (send(s->fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)n) {
			s->st.sent++;
			return;
		}
		if (errno != ECONNREFUSED && errno != EINTR)
			break;
	}
	dropped(s, errno);
}

int nfq_syslog_send(struct nfq_syslog *s, int severity, const struct timespec *ts, const char *json,
		    size_t jlen)
{
	char msg[8192], len[24];
	size_t n = nfq_syslog_format(msg, sizeof(msg), &s->t, s->host, s->pid, severity, ts, json, jlen);
	int l;

	if (n == 0)
		return dropped(s, EMSGSIZE), -1;
	if (s->t.kind == RULES_SYSLOG_UDP) {
		if (s->fd < 0)
			return dropped(s, s->st.last_errno), -1;
		udp_send(s, msg, n);
		return 0;
	}
	l = snprintf(len, sizeof(len), "%zu ", n);
	if (s->qlen + (size_t)l + n > sizeof(s->q))
		return dropped(s, s->fd < 0 ? s->st.last_errno : ENOBUFS), -1;
	memcpy(s->q + s->qlen, len, (size_t)l);
	memcpy(s->q + s->qlen + l, msg, n);
	s->qlen += (size_t)l + n;
	return 0;
}

void nfq_syslog_tick(struct nfq_syslog *s)
{
	struct pollfd p;
	int err = 0;
	socklen_t el = sizeof(err);

	if (!s)
		return;
	if (s->fd < 0 && now_s() >= s->retry_s && sl_open(s) < 0)
		sl_failed(s, s->st.last_errno);
	if (s->t.kind == RULES_SYSLOG_TCP && s->fd >= 0 && peer_closed(s))
		sl_failed(s, ECONNRESET);	/* reconnect before there is something to lose */
	if (s->state == SL_CONNECTING) {
		p = (struct pollfd){ .fd = s->fd, .events = POLLOUT };
		if (poll(&p, 1, 0) == 1) {
			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
				err = errno;
			if (err)
				sl_failed(s, err);
			else
				s->state = SL_UP, s->backoff = 0;
		}
	}
	nfq_syslog_flush(s);
}

void nfq_syslog_stats(const struct nfq_syslog *s, struct nfq_syslog_stats *st)
{
	*st = s->st;
	st->connected = s->state == SL_UP;
	st->queued = s->qlen;
}

uint64_t nfq_syslog_take_drops(struct nfq_syslog *s, int *err)
{
	uint64_t n = s->drops_pending;

	s->drops_pending = 0;
	*err = s->st.last_errno;
	return n;
}
