// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Netlink queue I/O with libmnl and libnetfilter_queue's nlmsg API.
 * A struct nfq_queue is one netlink socket bound to queues first..first+
 * count-1; the daemon opens one per worker thread, bound to that worker's
 * one queue (worker.c), so no socket is shared.  Hot path: one preallocated
 * receive buffer, one send buffer collecting the verdicts of every packet
 * that was waiting, one sendto per batch; no allocation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq/nfq_int.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Headers only, but every header chain that fits the IPv6 minimum MTU
 * (RFC 8200 §5, RFC 7112): conntrack walks chains of any length
 * (nfq/packet.c), and a chain cut by the copy cannot be read as it does. */
#define NFQ_COPY_RANGE	1280
#define NFQ_QMAXLEN	8192		/* kernel queue length, for bursts */
#define NFQ_RCVBUF	(8 << 20)	/* SO_RCVBUFFORCE: 8 MiB */
#define NFQ_MMSG	64		/* datagrams per recvmmsg: one syscall for a burst */
#define NFQ_SLOT_SIZE	8192		/* one packet message; copy range 1280 keeps it < 2 KiB */
#define NFQ_SEND_SIZE	(64 * 1024)
#define NFQ_VERDICT_MAX	128		/* room one verdict message needs, generously */
#define NFQ_DRAIN_MAX	512		/* packets per batch before we look at other fds */

struct nfq_queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t first, count;
	size_t sendlen;
	struct nfq_queue_stats st;
	char *rbuf;		/* NFQ_MMSG slots of NFQ_SLOT_SIZE */
	struct mmsghdr mmsg[NFQ_MMSG];
	struct iovec iov[NFQ_MMSG];
	char *sbuf;		/* NFQ_SEND_SIZE */
};

static int cfg_send(struct nfq_queue *q, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)n, seq, q->portid, NULL, NULL) < 0 ? -1 : 0;
}

static int bind_one(struct nfq_queue *q, uint16_t num, int fail_open)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags, mask;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nlh->nlmsg_seq = num + 1;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (cfg_send(q, nlh) < 0)
		return -1;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nlh->nlmsg_seq = num + 1;
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NFQ_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, NFQ_QMAXLEN);
	mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
	flags = NFQA_CFG_F_GSO | (fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	return cfg_send(q, nlh);
}

static int sock_setup(struct nfq_queue *q)
{
	int fd = mnl_socket_get_fd(q->nl), one = 1, sz = NFQ_RCVBUF;

	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; fall back to the capped SO_RCVBUF. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* Overruns then show as ENOBUFS we count instead of tearing down state. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	return 0;
}

struct nfq_queue *nfq_queue_open(uint16_t first, uint16_t count, int fail_open,
				 char *err, size_t errlen)
{
	struct nfq_queue *q = calloc(1, sizeof(*q));
	uint16_t i = 0;

	if (!q || !(q->rbuf = nfq_alloc_resident(NFQ_MMSG * NFQ_SLOT_SIZE)) || !(q->sbuf = nfq_alloc_resident(NFQ_SEND_SIZE))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int k = 0; k < NFQ_MMSG; k++) {
		q->iov[k].iov_base = q->rbuf + (size_t)k * NFQ_SLOT_SIZE;
		q->iov[k].iov_len = NFQ_SLOT_SIZE;
		q->mmsg[k].msg_hdr.msg_iov = &q->iov[k];
		q->mmsg[k].msg_hdr.msg_iovlen = 1;
	}
	q->first = first;
	q->count = count ? count : 1;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "cannot open the netfilter netlink socket: %s "
			 "(is nfnetlink_queue available, and are we root?)", strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	sock_setup(q);
	for (i = 0; i < q->count; i++) {
		if (bind_one(q, (uint16_t)(first + i), fail_open) < 0) {
			snprintf(err, errlen, "cannot bind netfilter queue %u: %s%s", first + i,
				 strerror(errno), errno == EBUSY ?
				 " (another program, perhaps another geoegress, holds it)" : "");
			goto fail;
		}
	}
	return q;
fail:
	if (q)
		q->count = i;	/* unbind only what we bound */
	nfq_queue_close(q);
	return NULL;
}

int nfq_queue_fd(const struct nfq_queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

static int flush_verdicts(struct nfq_queue *q)
{
	int rc = 0;

	if (q->sendlen == 0)
		return 0;
	if (mnl_socket_sendto(q->nl, q->sbuf, q->sendlen) < 0) {
		CNT_INC(q->st.send_errors);
		rc = -1;
	}
	q->sendlen = 0;
	CNT_INC(q->st.batches);
	return rc;
}

static void put_verdict(struct nfq_queue *q, uint16_t queue, uint32_t id, const struct nfq_answer *a)
{
	struct nlmsghdr *nlh;

	if (NFQ_SEND_SIZE - q->sendlen < NFQ_VERDICT_MAX)
		flush_verdicts(q);
	nlh = nfq_nlmsg_put(q->sbuf + q->sendlen, NFQNL_MSG_VERDICT, queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, (int)a->verdict);
	if (a->set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, a->mark);
	q->sendlen += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Handles one received datagram (normally one packet message). */
static int handle_msgs(struct nfq_queue *q, char *buf, size_t n, const struct nfq_batch *b, int *begun)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int npkt = 0, left = (int)n;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nlattr *attr[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_packet_hdr *ph;
		struct nfq_answer ans = { NF_ACCEPT, 0, 0 };
		struct nfq_pkt pkt = { 0 };

		if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE)
			continue;
		if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
			continue;
		ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
		pkt.id = ntohl(ph->packet_id);
		pkt.queue = ntohs(((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id);
		if (attr[NFQA_PAYLOAD]) {
			pkt.payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
			pkt.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
		}
		if (attr[NFQA_HWADDR]) {
			struct nfqnl_msg_packet_hw *hw = mnl_attr_get_payload(attr[NFQA_HWADDR]);
			if (ntohs(hw->hw_addrlen) == 6)
				pkt.hwaddr = hw->hw_addr;
		}
		if (attr[NFQA_MARK])
			pkt.mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
		if (attr[NFQA_IFINDEX_INDEV])
			pkt.indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
		if (attr[NFQA_IFINDEX_OUTDEV])
			pkt.outdev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV]));
		if (!*begun) {
			b->begin(b->arg);
			*begun = 1;
		}
		b->decide(b->arg, &pkt, &ans);
		put_verdict(q, pkt.queue, pkt.id, &ans);
		npkt++;
	}
	return npkt;
}

int nfq_queue_process(struct nfq_queue *q, const struct nfq_batch *b, int nonblock)
{
	int fd = mnl_socket_get_fd(q->nl), total = 0, flags = nonblock ? MSG_DONTWAIT : MSG_WAITFORONE;
	int begun = 0, rc = 0;

	while (total < NFQ_DRAIN_MAX) {
		int n = recvmmsg(fd, q->mmsg, NFQ_MMSG, flags, NULL);

		if (n < 0) {
			if (errno == ENOBUFS) {
				CNT_INC(q->st.enobufs);	/* the kernel dropped some; keep going */
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			rc = -1;
			break;
		}
		for (int k = 0; k < n; k++)
			total += handle_msgs(q, q->iov[k].iov_base, q->mmsg[k].msg_len, b, &begun);
		if (n < NFQ_MMSG)
			break;		/* drained */
		flags = MSG_DONTWAIT;
	}
	flush_verdicts(q);
	if (begun) {
		int e = errno;

		b->end(b->arg);
		errno = e;
	}
	return rc < 0 ? -1 : total;
}

void nfq_queue_stats(const struct nfq_queue *q, struct nfq_queue_stats *st)
{
	st->enobufs = CNT_GET(q->st.enobufs);	/* read by another thread than the writer */
	st->send_errors = CNT_GET(q->st.send_errors);
	st->batches = CNT_GET(q->st.batches);
}

void nfq_queue_close(struct nfq_queue *q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	if (!q)
		return;
	if (q->nl) {
		for (uint16_t i = 0; i < q->count; i++) {
			struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->first + i);

			nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
			(void)mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		}
		mnl_socket_close(q->nl);
	}
	free(q->rbuf);
	free(q->sbuf);
	free(q);
}

int nfq_kstats_read(const char *path, uint16_t first, uint16_t count, struct nfq_kstats *ks)
{
	FILE *f = fopen(path ? path : "/proc/net/netfilter/nfnetlink_queue", "re");
	char line[256];

	memset(ks, 0, sizeof(*ks));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned qnum, portid, mode, range;
		uint64_t total, qdrop, udrop, idseq;

		if (sscanf(line, "%u %u %" SCNu64 " %u %u %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &qnum, &portid, &total, &mode, &range, &qdrop, &udrop, &idseq) != 8)
			continue;
		if (qnum < first || qnum >= (unsigned)first + count)
			continue;
		ks->queue_total += total;
		ks->queue_dropped += qdrop;
		ks->user_dropped += udrop;
		ks->id_sequence += idseq;
	}
	fclose(f);
	return 0;
}
