// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Names from the DNS answers devices receive: the NFLOG reader.
 *
 * The hook (hook.c) copies every DNS answer that goes to a device — the
 * reply direction of a connection to port 53, forwarded from an outside
 * resolver or sent by a resolver on the gateway — to an NFLOG group; the
 * answer itself goes on at once: nothing waits for us.  This thread reads
 * the copies over nfnetlink_log with a libmnl socket (no library beyond
 * the ones the daemon already links: the protocol is four attributes), and
 * learns what each says into the name cache (dns/), under the device the
 * answer went to: its MAC when the gateway's neighbour table has the
 * address (so a phone asking over IPv4 and connecting over IPv6 is one
 * device, as for log-rate and the policy's MAC sets), else its address.
 *
 * The queue workers read the cache concurrently, without a lock
 * (dns/dns.h).  It has one writer at a time: whoever holds wlock, which is
 * this thread, but for the catch-up below.
 *
 * Ordering.  The copy is queued to our socket when the answer passes the
 * hook, before the device has it; the device's connection comes one round
 * trip later.  So the answer is normally learned first — but this thread
 * may not run in time (a busy CPU).  When a worker finds no name for a
 * new flow while copies wait in our socket or are being learned
 * (nfq_names_catch_up: one MSG_PEEK on such a miss, nothing on a hit), it
 * learns them itself, holding the writer's lock this thread holds while it
 * learns one read's worth, and asks the cache again.  Not under a flood of
 * answers (more than FLOOD_PER_TICK in a FLOOD_TICK_MS, or a backlog of
 * FLOOD_BACKLOG reads in a row): then a flow that races its answer is
 * decided without the name, and nobody waits or makes a system call.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nfq/daemon_int.h"
#include "util/log.h"

#define RCVBUF (4 << 20)		/* room for a burst of answers */
#define BUF_SIZE (128 * 1024)		/* one read: a message holds one packet (<= 64 KiB) */
#define IDLE_WAKE_MS 200		/* looks at the stop flag this often */
#define NEIGH_RETRY_MS 1000		/* a neighbour table re-read on a miss, at most this often */
#define NEIGH_PERIOD_MS 30000		/* ... and anyway this often */
#define FLOOD_BACKLOG 64		/* reads without waiting in a row: a flood */
#define FLOOD_TICK_MS 100		/* ... or more than FLOOD_PER_TICK copies in one tick */
#define FLOOD_PER_TICK 200
#define CATCH_UP_MAX 64			/* copies a worker learns for the reader, at most */
#define READER_NICE 10			/* below the queue workers: a flood of answers does not
					 * slow their verdicts; catch-up covers the order */

struct nfq_names {
	struct mnl_socket *nl;
	struct dns_cache *cache;
	struct nfq_ct *ct;		/* its rtnetlink snapshot: the neighbour table */
	const struct nfq_ct_hosts *hosts;
	int64_t hosts_ms;
	uint16_t group;
	pthread_t thread;
	int started;
	int stop;			/* atomic */
	uint32_t ttl_min, ttl_max;	/* atomic: set by a reload */
	uint32_t ttl_applied[2];
	pthread_mutex_t wlock;		/* the writer's: reading copies, learning, the neighbours */
	uint32_t busy;			/* atomic: odd while a copy is read and learned */
	int flooded;			/* atomic: a flood of answers is on */
	int64_t tick_ms;		/* the current flood tick, and its copies */
	unsigned tick_n;
	int64_t neigh_want;		/* a device's MAC was not known: re-read the table */
	char *buf;
	struct dns_answer ans;
	struct nfq_names_stats st;	/* written by the thread, read by stats */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t nfq_names_now(void)
{
	return (uint32_t)(mono_ms() / 1000);
}

/* One NFULNL_MSG_CONFIG request with attribute type/data; waits for its ack. */
static int config(struct mnl_socket *nl, uint16_t group, uint16_t type, const void *data, size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL) + type;
	struct nlmsghdr *nlh = nfq_nfnl_header(buf, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, NLM_F_ACK,
					       AF_UNSPEC, group, seq);
	ssize_t n;

	mnl_attr_put(nlh, type, len, data);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	/* copies of packets may come first (a table of a previous run): read on to the ack */
	for (int reads = 0; reads < 64; reads++) {
		int rc;

		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL);
		if (rc <= 0)
			return rc < 0 ? -1 : 0;
	}
	return errno = ETIMEDOUT, -1;
}

/* Binds the group: whole packets, each sent to us at once (a queue
 * threshold of 1: the default batches up to a second). */
static int bind_group(struct mnl_socket *nl, uint16_t group)
{
	struct nfulnl_msg_config_cmd cmd = { NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { htonl(0xffff), NFULNL_COPY_PACKET, 0 };
	uint32_t qthresh = htonl(1), timeout = htonl(0);

	if (config(nl, group, NFULA_CFG_CMD, &cmd, sizeof(cmd)) < 0)
		return -1;
	if (config(nl, group, NFULA_CFG_MODE, &mode, sizeof(mode)) < 0 ||
	    config(nl, group, NFULA_CFG_QTHRESH, &qthresh, sizeof(qthresh)) < 0 ||
	    config(nl, group, NFULA_CFG_TIMEOUT, &timeout, sizeof(timeout)) < 0)
		return -1;
	return 0;
}

struct nfq_names *nfq_names_open(uint16_t group, const struct dns_cache_cfg *cfg, char *err, size_t errlen)
{
	struct nfq_names *n = calloc(1, sizeof(*n));
	struct timeval tv = { 0, IDLE_WAKE_MS * 1000 };
	int size = RCVBUF, fd;
	const char *what = "out of memory";

	if (!n || !(n->buf = malloc(BUF_SIZE)) || !(n->cache = dns_cache_new(cfg)))
		goto fail;
	pthread_mutex_init(&n->wlock, NULL);
	what = "neighbour table (rtnetlink)";
	if (!(n->ct = nfq_ct_open(NULL, 0)))
		goto fail;
	what = "NFLOG socket";
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	fd = mnl_socket_get_fd(n->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	what = "binding the NFLOG group";
	if (bind_group(n->nl, group) < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n->group = group;
	n->st.on = 1;
	n->st.group = group;
	nfq_names_set_ttl(n, cfg->ttl_min, cfg->ttl_max);
	return n;
fail:
	snprintf(err, errlen, "names from DNS answers: %s (group %u): %s%s", what, group, strerror(errno),
		 errno == EBUSY ? " (another program reads this NFLOG group: choose another with "
				  "option names-group)" : "");
	nfq_names_free(n);
	return NULL;
}

struct nfq_names *nfq_names_for(const struct rules_options *o, char *err, size_t errlen)
{
	/* a name per four entries: an answer usually gives several addresses */
	struct dns_cache_cfg cfg = { o->names_max, o->names_max / 4, o->names_ttl_min, o->names_ttl_max };

	return nfq_names_open(o->names_group, &cfg, err, errlen);
}

void nfq_names_set_ttl(struct nfq_names *n, uint32_t ttl_min, uint32_t ttl_max)
{
	__atomic_store_n(&n->ttl_min, ttl_min, __ATOMIC_RELAXED);
	__atomic_store_n(&n->ttl_max, ttl_max, __ATOMIC_RELAXED);
}

/* ---- the reader thread ---- */

#define BUMP(x) __atomic_store_n(&(x), (x) + 1, __ATOMIC_RELAXED)

/* The device an answer went to: its MAC where the neighbour table has
 * the address, else the address itself.  The table is read again between
 * reads (reader()), not here: an answer is learned at once. */
static void device_of(struct nfq_names *n, const struct nfq_dns_pkt *pk, struct dns_dev *dev)
{
	const uint8_t *mac = n->hosts ? nfq_ct_neigh_mac(n->hosts, pk->family, pk->dst) : NULL;

	memset(dev, 0, sizeof(*dev));
	if (mac) {
		dev->kind = DNS_DEV_MAC;
		memcpy(dev->id, mac, 6);
		BUMP(n->st.by_mac);
	} else {
		dev->kind = pk->family == AF_INET ? DNS_DEV_V4 : DNS_DEV_V6;
		memcpy(dev->id, pk->dst, pk->family == AF_INET ? 4 : 16);
		BUMP(n->st.by_addr);
		n->neigh_want = 1;
	}
}

/* The neighbour table, read when a MAC was missing (at most once a
 * second) and every NEIGH_PERIOD_MS. */
static void neigh_refresh(struct nfq_names *n)
{
	int64_t now = mono_ms();

	if ((n->neigh_want && now - n->hosts_ms >= NEIGH_RETRY_MS) || now - n->hosts_ms >= NEIGH_PERIOD_MS) {
		n->hosts = nfq_ct_hosts_refresh(n->ct);
		n->hosts_ms = now;
		n->neigh_want = 0;
	}
}

static void learn(struct nfq_names *n, const uint8_t *pkt, size_t len)
{
	struct nfq_dns_pkt pk;
	struct dns_dev dev;
	int have_dev = 0;
	uint32_t lo = __atomic_load_n(&n->ttl_min, __ATOMIC_RELAXED);
	uint32_t hi = __atomic_load_n(&n->ttl_max, __ATOMIC_RELAXED);

	if (lo != n->ttl_applied[0] || hi != n->ttl_applied[1]) {
		dns_cache_set_ttl(n->cache, lo, hi);	/* this thread is the writer */
		n->ttl_applied[0] = lo;
		n->ttl_applied[1] = hi;
	}
	BUMP(n->st.packets);
	if (nfq_names_packet(pkt, len, &pk) < 0) {
		if (!pk.partial)	/* a TCP segment without a whole message is normal */
			BUMP(n->st.malformed);
		return;
	}
	for (unsigned i = 0; i < pk.nmsg; i++) {
		if (dns_parse(pk.msg[i].p, pk.msg[i].len, &n->ans) < 0) {
			if (errno == ENOMSG)
				BUMP(n->st.not_answers);
			else
				BUMP(n->st.malformed);
			continue;
		}
		if (!have_dev++)
			device_of(n, &pk, &dev);
		dns_cache_learn(n->cache, &dev, &n->ans, nfq_names_now());
		BUMP(n->st.answers);
		log_debug("names: %s%s%s: %u address%s (%s)", n->ans.qname, strcmp(n->ans.qname, n->ans.final) ?
			  " -> " : "", strcmp(n->ans.qname, n->ans.final) ? n->ans.final : "", n->ans.naddr,
			  n->ans.naddr == 1 ? "" : "es", dev.kind == DNS_DEV_MAC ? "by MAC" : "by address");
	}
}

static int on_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct nfq_names *n = arg;
	const uint8_t *p;
	size_t len;

	if (nfq_names_nflog(nlh, &p, &len) == 0)
		learn(n, p, len);
	return MNL_CB_OK;
}

/* Waits for a copy to read (up to IDLE_WAKE_MS) without taking it off
 * the socket, so it stays visible to nfq_names_wait() until the reader
 * has announced it learns (busy odd).  1 when one waits, 0 when not,
 * -1 on an error. */
static int wait_readable(struct nfq_names *n)
{
	char c;

	if (recv(mnl_socket_get_fd(n->nl), &c, 1, MSG_PEEK) >= 0)
		return 1;
	if (errno == ENOBUFS) {
		BUMP(n->st.lost);	/* the kernel dropped copies: counted, go on */
		return 0;
	}
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

/* Reads one copy if there is one and learns it; the caller holds wlock.
 * Returns the bytes read, 0 when none waited, -1 on a socket error. */
static ssize_t read_one(struct nfq_names *n)
{
	ssize_t r;

	__atomic_add_fetch(&n->busy, 1, __ATOMIC_SEQ_CST);	/* odd: reading, learning */
	r = recv(mnl_socket_get_fd(n->nl), n->buf, BUF_SIZE, MSG_DONTWAIT);
	if (r > 0)
		mnl_cb_run(n->buf, (size_t)r, 0, 0, on_msg, n);
	__atomic_add_fetch(&n->busy, 1, __ATOMIC_SEQ_CST);
	if (r >= 0)
		return r;
	if (errno == ENOBUFS) {
		BUMP(n->st.lost);
		return 0;
	}
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

/* A flood: FLOOD_BACKLOG reads in a row without waiting, or more than
 * FLOOD_PER_TICK copies in a tick (until a tick with fewer). */
static void flood_watch(struct nfq_names *n, unsigned backlog)
{
	int64_t now = mono_ms();

	if (now - n->tick_ms >= FLOOD_TICK_MS) {
		__atomic_store_n(&n->flooded, n->tick_n > FLOOD_PER_TICK, __ATOMIC_RELAXED);
		n->tick_ms = now;
		n->tick_n = 0;
	}
	if (++n->tick_n > FLOOD_PER_TICK || backlog >= FLOOD_BACKLOG)
		__atomic_store_n(&n->flooded, 1, __ATOMIC_RELAXED);
}

static void *reader(void *arg)
{
	struct nfq_names *n = arg;
	unsigned backlog = 0;
	ssize_t r;
	int rc;

	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), READER_NICE);
	pthread_mutex_lock(&n->wlock);
	neigh_refresh(n);
	pthread_mutex_unlock(&n->wlock);
	while (!__atomic_load_n(&n->stop, __ATOMIC_RELAXED)) {
		if (!backlog && (rc = wait_readable(n)) <= 0) {
			if (rc < 0)
				break;
			__atomic_store_n(&n->flooded, 0, __ATOMIC_RELAXED);	/* idle a while */
			continue;
		}
		pthread_mutex_lock(&n->wlock);
		r = read_one(n);
		if (r == 0) {	/* nothing more waiting (a worker may have read it): idle */
			backlog = 0;
			neigh_refresh(n);
		}
		pthread_mutex_unlock(&n->wlock);
		if (r < 0)
			break;
		if (r > 0)
			flood_watch(n, ++backlog);
	}
	return NULL;
}

int nfq_names_start(struct nfq_names *n)
{
	int err = pthread_create(&n->thread, NULL, reader, n);

	if (err) {
		errno = err;
		return -1;
	}
	n->started = 1;
	return 0;
}

void nfq_names_free(struct nfq_names *n)
{
	if (!n)
		return;
	if (n->started) {
		__atomic_store_n(&n->stop, 1, __ATOMIC_RELAXED);
		pthread_join(n->thread, NULL);
	}
	if (n->nl)
		mnl_socket_close(n->nl);	/* the kernel unbinds the group */
	if (n->buf)	/* made with it */
		pthread_mutex_destroy(&n->wlock);
	nfq_ct_close(n->ct);
	dns_cache_free(n->cache);
	free(n->buf);
	free(n);
}

void nfq_names_stats(const struct nfq_names *n, struct nfq_names_stats *st)
{
	if (!n) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = n->st;
}

const struct dns_cache *nfq_names_cache(const struct nfq_names *n)
{
	return n->cache;
}

/* ---- readers: the workers, the sweep, ctl ---- */

/* 1 when copies wait in our socket or are being learned. */
static int pending(const struct nfq_names *n)
{
	uint32_t b = __atomic_load_n(&n->busy, __ATOMIC_SEQ_CST);
	char c;

	if (b & 1)
		return 1;
	return recv(mnl_socket_get_fd(n->nl), &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 ||
	       __atomic_load_n(&n->busy, __ATOMIC_SEQ_CST) != b;
}

int nfq_names_catch_up(struct nfq_names *n)
{
	if (__atomic_load_n(&n->flooded, __ATOMIC_RELAXED) || !pending(n))
		return 0;
	/* the holder learns one copy, or reads the neighbour table: short */
	pthread_mutex_lock(&n->wlock);
	for (int i = 0; i < CATCH_UP_MAX && read_one(n) > 0; i++)
		;
	pthread_mutex_unlock(&n->wlock);
	return 1;
}

int nfq_names_lookup(const struct nfq_names *n, const struct rules_flow *f, uint32_t now_s,
		     struct dns_names *out)
{
	struct dns_dev dev = { 0 };
	int busy = 0;

	out->n = 0;
	if (f->has_mac) {
		dev.kind = DNS_DEV_MAC;
		memcpy(dev.id, f->src_mac, 6);
		busy = dns_cache_lookup(n->cache, &dev, f->family, f->dst.b, now_s, out) < 0;
		if (out->n)
			return 0;
	}
	memset(&dev, 0, sizeof(dev));
	dev.kind = f->family == AF_INET ? DNS_DEV_V4 : DNS_DEV_V6;
	memcpy(dev.id, f->src.b, f->family == AF_INET ? 4 : 16);
	busy |= dns_cache_lookup(n->cache, &dev, f->family, f->dst.b, now_s, out) < 0;
	return busy && !out->n ? (errno = EAGAIN, -1) : 0;
}

static int dump_one(void *arg, const struct dns_dev *dev, uint8_t family, const uint8_t *addr,
		    const struct dns_names *names)
{
	FILE *out = arg;
	char a[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *host = dns_names_host(names);

	if (dev->kind == DNS_DEV_MAC)
		fprintf(out, "mac:%02x:%02x:%02x:%02x:%02x:%02x", dev->id[0], dev->id[1], dev->id[2],
			dev->id[3], dev->id[4], dev->id[5]);
	else
		fprintf(out, "ip:%s", inet_ntop(dev->kind == DNS_DEV_V4 ? AF_INET : AF_INET6, dev->id, d,
						sizeof(d)) ? d : "?");
	fprintf(out, " %s %s", inet_ntop(family, addr, a, sizeof(a)) ? a : "?", host ? host : "-");
	for (unsigned i = 0; i < names->n; i++)
		if (names->name[i] != host)
			fprintf(out, " %s", names->name[i]);
	fputc('\n', out);
	return ferror(out) ? 1 : 0;
}

void nfq_names_dump(const struct nfq_names *n, FILE *out)
{
	dns_cache_walk(n->cache, nfq_names_now(), dump_one, out);
}
