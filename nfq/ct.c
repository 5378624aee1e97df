// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conntrack I/O: dumps and mark updates over ctnetlink, address and
 * neighbour snapshots over rtnetlink, all with libmnl sockets.  The
 * messages themselves are built and parsed in ct_conn.c.
 *
 * Two ctnetlink sockets, because a netlink socket with a dump in progress
 * cannot take other requests: `dump` streams the table, `upd` carries the
 * mark updates a walk callback queues.  Updates go without NLM_F_ACK, so
 * the kernel answers failures only; it handles a batch synchronously
 * inside sendto() (nfnetlink_rcv → netlink_rcv_skb, one message after
 * another, a failed one does not stop the rest), so once sendto returns,
 * every failure of the batch is waiting in our receive buffer, which is
 * sized to hold a whole batch's worth.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/rtnetlink.h>

#include "nfq/nfq_int.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define CT_RBUF		(32 * 1024)	/* the kernel fills dump reads up to 32 KiB */
#define CT_BATCH	(32 * 1024)	/* mark updates per sendto: ~300 */
#define CT_UPD_RCVBUF	(2 << 20)	/* room for every failure of one batch */

struct nfq_ct {
	struct mnl_socket *dump, *upd, *rt;
	uint32_t seq;
	char *rbuf;			/* CT_RBUF: dump and rtnetlink replies */
	char *bbuf;			/* 2 * CT_BATCH: the update batch */
	struct mnl_nlmsg_batch *batch;
	unsigned queued;		/* updates in the batch */
	int first_err;			/* first failure since the last flush */
	struct nfq_ct_scratch parse, build;
	struct nfq_ct_hosts hosts;
	struct nfq_ct_stats st;
};

static struct mnl_socket *sock_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

/* Failures are reported without the request copied back (NETLINK_CAP_ACK),
 * into a receive buffer that holds a whole batch of them. */
static int upd_setup(struct mnl_socket *nl)
{
	int one = 1, size = CT_UPD_RCVBUF, fd = mnl_socket_get_fd(nl);

	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		return -1;
	return 0;
}

struct nfq_ct *nfq_ct_open(char *err, size_t errlen)
{
	struct nfq_ct *ct = calloc(1, sizeof(*ct));
	const char *what = "out of memory";
	int e;

	if (!ct)
		goto fail;
	ct->rbuf = nfq_alloc_resident(CT_RBUF);
	ct->bbuf = nfq_alloc_resident(2 * CT_BATCH);
	if (!ct->rbuf || !ct->bbuf || nfq_ct_scratch_init(&ct->parse) < 0 ||
	    nfq_ct_scratch_init(&ct->build) < 0 ||
	    nfq_ct_hosts_init(&ct->hosts, NFQ_CT_LOCAL_MAX, NFQ_CT_NEIGH_MAX) < 0)
		goto fail;
	ct->batch = mnl_nlmsg_batch_start(ct->bbuf, CT_BATCH);
	if (!ct->batch)
		goto fail;
	what = "ctnetlink socket";
	ct->dump = sock_open(NETLINK_NETFILTER);
	ct->upd = sock_open(NETLINK_NETFILTER);
	if (!ct->dump || !ct->upd || upd_setup(ct->upd) < 0)
		goto fail;
	what = "rtnetlink socket";
	ct->rt = sock_open(NETLINK_ROUTE);
	if (!ct->rt)
		goto fail;
	return ct;
fail:
	e = errno ? errno : ENOMEM;
	if (err && errlen)
		snprintf(err, errlen, "conntrack: %s: %s", what, strerror(e));
	nfq_ct_close(ct);
	errno = e;
	return NULL;
}

void nfq_ct_close(struct nfq_ct *ct)
{
	if (!ct)
		return;
	if (ct->dump)
		mnl_socket_close(ct->dump);
	if (ct->upd)
		mnl_socket_close(ct->upd);
	if (ct->rt)
		mnl_socket_close(ct->rt);
	if (ct->batch)
		mnl_nlmsg_batch_stop(ct->batch);
	nfq_ct_scratch_free(&ct->parse);
	nfq_ct_scratch_free(&ct->build);
	nfq_ct_hosts_free(&ct->hosts);
	free(ct->rbuf);
	free(ct->bbuf);
	free(ct);
}

void nfq_ct_stats(const struct nfq_ct *ct, struct nfq_ct_stats *st)
{
	*st = ct->st;
}

/* ---- dumps ---- */

typedef int (*msg_fn)(void *arg, const struct nlmsghdr *nlh);

/* One read's messages: 1 dump done, 0 more to read, 2 fn stopped (its
 * value in *stop), -1 error with errno. */
static int dump_msgs(struct nfq_ct *ct, struct mnl_socket *nl, size_t len, uint32_t seq,
		     msg_fn fn, void *arg, int *stop)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)ct->rbuf;
	uint32_t portid = mnl_socket_get_portid(nl);
	int left = (int)len, rc;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (!mnl_nlmsg_portid_ok(nlh, portid) || !mnl_nlmsg_seq_ok(nlh, seq))
			continue;	/* not ours: a late answer to an abandoned dump */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			ct->st.dump_intr++;
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
			const int *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(int) || *e == 0)
				return nlh->nlmsg_type == NLMSG_DONE ? 1 : 0;
			errno = *e < 0 ? -*e : *e;
			return -1;
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		rc = fn(arg, nlh);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			*stop = rc;
			return 2;
		}
	}
	return 0;
}

/* Replaces a socket whose dump was abandoned (a new dump request on it
 * would fail with EBUSY until the old one is read to the end). */
static int sock_renew(struct mnl_socket **nl, int bus)
{
	struct mnl_socket *n = sock_open(bus);

	if (!n)
		return -1;
	mnl_socket_close(*nl);
	*nl = n;
	return 0;
}

/* Sends req on *nl and reads the dump to its end, calling fn for each
 * message.  Returns 0, fn's stop value (> 0), or -1 with errno. */
static int dump_run(struct nfq_ct *ct, struct mnl_socket **nl, int bus, struct nlmsghdr *req,
		    msg_fn fn, void *arg)
{
	int rc = 0, stop = 0, e;
	ssize_t n;

	if (mnl_socket_sendto(*nl, req, req->nlmsg_len) < 0)
		return -1;
	while (rc == 0) {
		n = mnl_socket_recvfrom(*nl, ct->rbuf, CT_RBUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		rc = dump_msgs(ct, *nl, (size_t)n, req->nlmsg_seq, fn, arg, &stop);
	}
	if (rc == 1)
		return 0;
	e = errno;
	sock_renew(nl, bus);	/* if this fails, the next dump reports EBUSY */
	errno = e;
	return rc == 2 ? stop : -1;
}

static int host_msg(void *arg, const struct nlmsghdr *nlh)
{
	struct nfq_ct_hosts *h = arg;

	nfq_ct_hosts_add(h, nlh);	/* a malformed message is one host less */
	return 0;
}

static int rt_dump(struct nfq_ct *ct, uint16_t type)
{
	char buf[NFQ_CT_MSG_MAX];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	size_t hdr = type == RTM_GETADDR ? sizeof(struct ifaddrmsg) : sizeof(struct ndmsg);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++ct->seq;
	mnl_nlmsg_put_extra_header(nlh, hdr);	/* zeroed: AF_UNSPEC, every family */
	return dump_run(ct, &ct->rt, NETLINK_ROUTE, nlh, host_msg, &ct->hosts);
}

static int hosts_snapshot(struct nfq_ct *ct)
{
	nfq_ct_hosts_clear(&ct->hosts);
	if (rt_dump(ct, RTM_GETADDR) < 0 || rt_dump(ct, RTM_GETNEIGH) < 0)
		return -1;
	nfq_ct_hosts_sort(&ct->hosts);
	ct->st.local_addrs = ct->hosts.nlocal;
	ct->st.neighbours = ct->hosts.nneigh;
	ct->st.hosts_dropped = ct->hosts.dropped;
	return 0;
}

const struct nfq_ct_hosts *nfq_ct_hosts_refresh(struct nfq_ct *ct)
{
	return hosts_snapshot(ct) < 0 ? NULL : &ct->hosts;
}

struct walk {
	struct nfq_ct *ct;
	uint32_t mark, mask;
	nfq_ct_fn fn;
	void *arg;
	int stop;		/* fn's value when it stopped the walk */
};

static int ct_msg(void *arg, const struct nlmsghdr *nlh)
{
	struct walk *w = arg;
	struct nfq_conn c;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK ||
	    (nlh->nlmsg_type & 0xff) != IPCTNL_MSG_CT_NEW)
		return 0;
	if (nfq_ct_parse(&w->ct->parse, nlh, &w->ct->hosts, &c) < 0) {
		if (errno == ENOMEM)
			return -1;
		w->ct->st.skipped++;
		return 0;
	}
	if (w->mask && (c.mark & w->mask) != (w->mark & w->mask))
		return 0;	/* the kernel filters; this guards an older one that did not */
	w->ct->st.entries++;
	w->stop = w->fn(w->arg, &c);
	return w->stop ? 1 : 0;
}

int nfq_ct_walk(struct nfq_ct *ct, uint32_t mark, uint32_t mask, nfq_ct_fn fn, void *arg)
{
	struct walk w = { ct, mark, mask, fn, arg, 0 };
	char buf[NFQ_CT_MSG_MAX];
	struct nlmsghdr *req;
	int rc;

	if (hosts_snapshot(ct) < 0)
		return -1;
	req = nfq_ct_put_dump(buf, mark, mask, ++ct->seq);
	if (!req)
		return -1;
	rc = dump_run(ct, &ct->dump, NETLINK_NETFILTER, req, ct_msg, &w);
	if (rc < 0)
		return -1;
	ct->st.walks++;
	return rc ? w.stop : 0;	/* fn's own value, not ct_msg's 1 */
}

/* ---- mark updates ---- */

/* n updates failed with e (ENOENT: the connection is gone, no failure). */
static void upd_error(struct nfq_ct *ct, int e, unsigned n)
{
	if (e == ENOENT) {
		ct->st.gone += n;
		return;
	}
	ct->st.failed += n;
	ct->st.last_error = e;
	if (!ct->first_err)
		ct->first_err = e;
}

/* Reads the failures the kernel queued for us (never blocks). */
static void upd_collect(struct nfq_ct *ct)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left;

		n = recv(mnl_socket_get_fd(ct->upd), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			ct->st.lost++;	/* some failures were dropped: how many is unknown */
			upd_error(ct, ENOBUFS, 0);
			continue;
		}
		if (n <= 0)
			return;
		for (left = (int)n; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(*err) && err->error)
				upd_error(ct, -err->error, 1);
		}
	}
}

/* Sends the batch (without a message that overflowed it, which
 * mnl_nlmsg_batch_reset then moves to the front of the next one). */
static int upd_send(struct nfq_ct *ct)
{
	size_t len = mnl_nlmsg_batch_size(ct->batch);
	unsigned n = ct->queued;
	int rc = 0, e;

	ct->queued = 0;
	if (len > 0 && mnl_socket_sendto(ct->upd, mnl_nlmsg_batch_head(ct->batch), len) < 0) {
		e = errno;
		upd_error(ct, e, n);
		errno = e;
		rc = -1;
	} else if (len > 0) {
		ct->st.updates += n;
		upd_collect(ct);
	}
	mnl_nlmsg_batch_reset(ct->batch);
	return rc;
}

int nfq_ct_set_mark(struct nfq_ct *ct, const struct nfq_conn *conn, uint32_t mark, uint32_t mask)
{
	struct nlmsghdr *nlh;
	int rc = 0;

	nlh = nfq_ct_put_set_mark(mnl_nlmsg_batch_current(ct->batch), &ct->build, conn, mark,
				  mask, ++ct->seq);
	if (!nlh)
		return -1;
	if (!mnl_nlmsg_batch_next(ct->batch))
		rc = upd_send(ct);	/* full: this message is carried over */
	ct->queued++;
	return rc;
}

int nfq_ct_flush(struct nfq_ct *ct)
{
	int e;

	upd_send(ct);
	upd_collect(ct);
	e = ct->first_err;
	ct->first_err = 0;
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}
