// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The copies of DNS answers the hook sends to NFLOG: the nfnetlink_log
 * message (net/netfilter/nfnetlink_log.c, __build_packet_message) and the
 * packet in it, from its IP header to the DNS messages it carries.  No
 * sockets here (names.c reads them): tests and the fuzzer feed these
 * functions bytes.  Nothing is read past the lengths given.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nfq/nfq_int.h"

#define DNS_PORT 53
#define V6_HOPS 8	/* extension headers walked */

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* UDP: one message, the datagram's payload. */
static int udp_msgs(const uint8_t *p, size_t len, struct nfq_dns_pkt *out)
{
	size_t ulen;

	if (len < 8 || be16(p) != DNS_PORT)
		return -1;
	ulen = be16(p + 4);
	if (ulen < 8 || ulen > len)
		return -1;
	out->msg[0].p = p + 8;
	out->msg[0].len = ulen - 8;
	out->nmsg = 1;
	return 0;
}

/* TCP: every whole message after its two-byte length (RFC 1035 §4.2.2)
 * that starts in this segment; one cut off by its end is counted. */
static int tcp_msgs(const uint8_t *p, size_t len, struct nfq_dns_pkt *out)
{
	size_t off;

	if (len < 20 || be16(p) != DNS_PORT)
		return -1;
	off = (size_t)(p[12] >> 4) * 4;
	if (off < 20 || off > len)
		return -1;
	while (off + 2 <= len && out->nmsg < NFQ_DNS_MSGS) {
		size_t m = be16(p + off);

		if (m == 0 || off + 2 + m > len) {
			out->partial++;
			break;
		}
		out->msg[out->nmsg].p = p + off + 2;
		out->msg[out->nmsg].len = m;
		out->nmsg++;
		off += 2 + m;
	}
	return out->nmsg ? 0 : -1;
}

static int l4(int proto, const uint8_t *p, size_t len, struct nfq_dns_pkt *out)
{
	if (proto == IPPROTO_UDP)
		return udp_msgs(p, len, out);
	if (proto == IPPROTO_TCP)
		return tcp_msgs(p, len, out);
	return -1;
}

static int ipv4(const uint8_t *p, size_t len, struct nfq_dns_pkt *out)
{
	size_t ihl, tot;

	if (len < 20)
		return -1;
	ihl = (size_t)(p[0] & 15) * 4;
	tot = be16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return -1;
	if (be16(p + 6) & 0x3fff)	/* MF or an offset: a fragment */
		return -1;
	out->family = AF_INET;
	memcpy(out->dst, p + 16, 4);
	return l4(p[9], p + ihl, tot - ihl, out);
}

static int ipv6(const uint8_t *p, size_t len, struct nfq_dns_pkt *out)
{
	size_t off = 40, end;
	int nh;

	if (len < 40)
		return -1;
	end = 40 + be16(p + 4);
	if (end > len)
		return -1;
	out->family = AF_INET6;
	memcpy(out->dst, p + 24, 16);
	nh = p[6];
	for (int i = 0; i < V6_HOPS && (nh == 0 || nh == 43 || nh == 60); i++) {
		if (off + 8 > end)
			return -1;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (off > end)
		return -1;
	return l4(nh, p + off, end - off, out);	/* a fragment header (44) is not UDP/TCP */
}

int nfq_names_packet(const uint8_t *pkt, size_t len, struct nfq_dns_pkt *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return -1;
	switch (pkt[0] >> 4) {
	case 4:
		return ipv4(pkt, len, out);
	case 6:
		return ipv6(pkt, len, out);
	default:
		return -1;
	}
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= NFULA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

int nfq_names_nflog(const struct nlmsghdr *nlh, const uint8_t **payload, size_t *len)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET) ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return errno = EINVAL, -1;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0 || !tb[NFULA_PAYLOAD])
		return errno = EINVAL, -1;
	*payload = mnl_attr_get_payload(tb[NFULA_PAYLOAD]);
	*len = mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]);
	return 0;
}
