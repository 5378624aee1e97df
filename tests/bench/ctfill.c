// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctfill — creates conntrack entries fast in the current network
 * namespace: batched ctnetlink IPCTNL_MSG_CT_NEW requests (NLM_F_CREATE |
 * NLM_F_EXCL, no NLM_F_ACK: the kernel answers failures only), built with
 * libnetfilter_conntrack.  No packet is sent.
 *
 *   ctfill [-N COUNT] [-m MARK] [-t TIMEOUT_S] [-6 PERCENT] [-o OFFSET]
 *     -N COUNT    entries to create (1000)
 *     -m MARK     their ct mark (0)
 *     -t SECONDS  their timeout (600)
 *     -6 PERCENT  share of IPv6 entries (25)
 *     -o OFFSET   start numbering at OFFSET, so a second run adds new
 *                 tuples instead of colliding with the first (0)
 * Entry i: UDP from a LAN address (198.18.1.2-251, 2001:db8:1::2-fb, the
 * source port counting up per address) to a host in one of the lab's
 * fixture ranges in turn: 198.51.100.0/24 (CN), 203.0.113.0/24 (SG),
 * 192.0.2.0/24 (IN), 198.19.0.0/24 (unmapped); 2001:db8:86::/64,
 * 2001:db8:65::/64, 2001:db8:91::/64, 2001:db8:ff::/64.
 * Prints "created N v4 A v6 B failed F seconds S rate R" and the first
 * error; exits 1 when any entry failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#define SENDBUF (64 * 1024)
#define MSGMAX 512		/* one NEW request, generously */
#define NSRC 250		/* source addresses per family */

struct fill {
	struct mnl_socket *nl;
	struct nf_conntrack *o;
	uint32_t mark, timeout;
	unsigned long failed, n4, n6;
	int first_err;
};

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Addresses of entry k of a family: source host, source port, and the
 * destination range (k % 4) and host in it. */
static void tuple_v4(unsigned long k, uint8_t src[4], uint8_t dst[4], uint16_t *sport)
{
	static const uint8_t nets[4][3] = { { 198, 51, 100 }, { 203, 0, 113 }, { 192, 0, 2 }, { 198, 19, 0 } };
	const uint8_t *n = nets[k % 4];

	src[0] = 198, src[1] = 18, src[2] = 1, src[3] = (uint8_t)(2 + k % NSRC);
	dst[0] = n[0], dst[1] = n[1], dst[2] = n[2], dst[3] = (uint8_t)(1 + (k / 4) % 254);
	*sport = (uint16_t)(1024 + (k / NSRC) % 64000);
}

static void tuple_v6(unsigned long k, uint8_t src[16], uint8_t dst[16], uint16_t *sport)
{
	static const uint8_t nets[4] = { 0x86, 0x65, 0x91, 0xff };

	memset(src, 0, 16);
	memset(dst, 0, 16);
	src[0] = 0x20, src[1] = 0x01, src[2] = 0x0d, src[3] = 0xb8, src[5] = 1;
	src[15] = (uint8_t)(2 + k % NSRC);
	memcpy(dst, src, 4);
	dst[5] = nets[k % 4];
	dst[14] = (uint8_t)((k / 4) >> 8);
	dst[15] = (uint8_t)(1 + (k / 4) % 255);
	*sport = (uint16_t)(1024 + (k / NSRC) % 64000);
}

/* Writes the request for one entry at buf. */
static struct nlmsghdr *put_entry(struct fill *f, char *buf, int v6, unsigned long k, uint32_t seq)
{
	static const uint16_t dports[4] = { 443, 53, 123, 9 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	uint8_t src[16], dst[16];
	uint16_t sport, dport = htons(dports[(k / 4) % 4]);

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = v6 ? AF_INET6 : AF_INET;
	nfg->version = NFNETLINK_V0;
	if (v6)
		tuple_v6(k, src, dst, &sport);
	else
		tuple_v4(k, src, dst, &sport);
	sport = htons(sport);
	nfct_set_attr_u8(f->o, ATTR_L3PROTO, nfg->nfgen_family);
	nfct_set_attr_u8(f->o, ATTR_REPL_L3PROTO, nfg->nfgen_family);
	nfct_set_attr(f->o, v6 ? ATTR_ORIG_IPV6_SRC : ATTR_ORIG_IPV4_SRC, src);
	nfct_set_attr(f->o, v6 ? ATTR_ORIG_IPV6_DST : ATTR_ORIG_IPV4_DST, dst);
	nfct_set_attr(f->o, v6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC, dst);
	nfct_set_attr(f->o, v6 ? ATTR_REPL_IPV6_DST : ATTR_REPL_IPV4_DST, src);
	nfct_set_attr_u8(f->o, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u8(f->o, ATTR_REPL_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(f->o, ATTR_ORIG_PORT_SRC, sport);
	nfct_set_attr_u16(f->o, ATTR_ORIG_PORT_DST, dport);
	nfct_set_attr_u16(f->o, ATTR_REPL_PORT_SRC, dport);
	nfct_set_attr_u16(f->o, ATTR_REPL_PORT_DST, sport);
	nfct_set_attr_u32(f->o, ATTR_TIMEOUT, f->timeout);
	nfct_set_attr_u32(f->o, ATTR_MARK, f->mark);
	nfct_nlmsg_build(nlh, f->o);
	return nlh;
}

/* Counts the failures the kernel answered (all of them were queued to us
 * inside the sendto that carried the batch). */
static void collect(struct fill *f)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv(mnl_socket_get_fd(f->nl), buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
	       (n < 0 && errno == EINTR)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		for (; n > 0 && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || !e->error)
				continue;
			f->failed++;
			if (!f->first_err)
				f->first_err = -e->error;
		}
	}
	if (n < 0 && errno == ENOBUFS) {	/* answers lost: count the batch as unknown */
		f->failed++;
		if (!f->first_err)
			f->first_err = ENOBUFS;
	}
}

static int run(struct fill *f, unsigned long count, unsigned v6pct, unsigned long off)
{
	char *buf = malloc(SENDBUF);
	unsigned long i4 = off, i6 = off, seq = 0;
	size_t used = 0;

	if (!buf)
		return -1;
	for (unsigned long i = 0; i < count; i++) {
		int v6 = (i % 100) < v6pct;
		struct nlmsghdr *nlh;

		nlh = put_entry(f, buf + used, v6, v6 ? i6++ : i4++, (uint32_t)++seq);
		used += NLMSG_ALIGN(nlh->nlmsg_len);
		if (used + MSGMAX > SENDBUF || i + 1 == count) {
			if (mnl_socket_sendto(f->nl, buf, used) < 0) {
				free(buf);
				return -1;
			}
			used = 0;
			collect(f);
		}
	}
	free(buf);
	f->n4 = i4 - off;
	f->n6 = i6 - off;
	return 0;
}

int main(int argc, char **argv)
{
	struct fill f = { .timeout = 600 };
	unsigned long count = 1000, off = 0;
	unsigned v6pct = 25;
	int c, size = 8 << 20;
	double t0, t;

	while ((c = getopt(argc, argv, "N:m:t:6:o:")) != -1) {
		switch (c) {
		case 'N': count = strtoul(optarg, NULL, 0); break;
		case 'm': f.mark = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': f.timeout = (uint32_t)strtoul(optarg, NULL, 0); break;
		case '6': v6pct = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'o': off = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: ctfill [-N COUNT] [-m MARK] [-t TIMEOUT_S] [-6 PERCENT] [-o OFFSET]\n");
			return 2;
		}
	}
	if (v6pct > 100 || count > NSRC * 64000ul * 4) {
		fprintf(stderr, "ctfill: -6 is 0-100; -N at most %lu\n", NSRC * 64000ul * 4);
		return 2;
	}
	f.o = nfct_new();
	f.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!f.o || !f.nl || mnl_socket_bind(f.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctfill: ctnetlink socket");
		return 1;
	}
	/* room for a whole batch of failures (e.g. the table is full) */
	if (setsockopt(mnl_socket_get_fd(f.nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(f.nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	t0 = wall();
	if (run(&f, count, v6pct, off) < 0) {
		perror("ctfill: send");
		return 1;
	}
	t = wall() - t0;
	printf("created %lu v4 %lu v6 %lu failed %lu seconds %.3f rate %.0f\n", count - f.failed,
	       f.n4, f.n6, f.failed, t, t > 0 ? count / t : 0);
	if (f.failed)
		printf("first error: %s\n", strerror(f.first_err));
	mnl_socket_close(f.nl);
	nfct_destroy(f.o);
	return f.failed ? 1 : 0;
}
