// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Packet parsing: the first packet of a flow (IP header onwards, as copied
 * by the queue, i.e. possibly truncated to the copy range) into a
 * struct rules_flow.  Every read is bounds-checked against len; what
 * cannot be read is marked absent and the policy decides on the rest.
 *
 * The protocol and ports are read the way the kernel's conntrack reads
 * them, so a decision saved to a connection is about the connection
 * conntrack tracks:
 *   IPv4: net/netfilter/nf_conntrack_core.c ipv4_get_l4proto() — the
 *     protocol field, L4 data at IHL * 4, nothing for a non-first fragment;
 *   IPv6: ipv6_get_l4proto() there, which walks the chain with
 *     net/ipv6/exthdrs_core.c ipv6_skip_exthdr(): only the next-header
 *     values of include/net/ipv6.h ipv6_ext_hdr() are skipped —
 *     hop-by-hop (0), routing (43), fragment (44), AH (51), destination
 *     options (60) — and no-next-header (59) ends it without a protocol.
 *     Every other value is the protocol: ESP (50), Mobility (135), HIP
 *     (139), Shim6 (140), 253, 254 included, though IANA lists some of
 *     them as extension headers.  There is no limit on the chain's length;
 *   ports: nf_ct_get_tuple_ports() for TCP, UDP, UDP-Lite, SCTP and DCCP;
 *     ICMP/ICMPv6 tuples need the whole 8-byte header (type, code, id).
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "nfq/nfq.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#ifndef IPPROTO_DCCP
#define IPPROTO_DCCP 33
#endif

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reads ports or ICMP type/code/identifier from the L4 header at l4
 * (avail bytes); *short_read says a field was missing. */
static void parse_l4(struct rules_flow *flow, const uint8_t *l4, size_t avail, int *short_read)
{
	switch (flow->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		if (avail >= 4) {
			flow->sport = rd16(l4);
			flow->dport = rd16(l4 + 2);
			flow->has_ports = 1;
		}
		*short_read = avail < 4;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (avail >= 2) {
			flow->icmp_type = l4[0];
			flow->icmp_code = l4[1];
		}
		/* echo request/reply: the identifier is part of the conntrack tuple */
		if (avail >= 8 && (flow->proto == IPPROTO_ICMP ? l4[0] == 8 || l4[0] == 0 :
				   l4[0] == 128 || l4[0] == 129))
			flow->icmp_id = rd16(l4 + 4);
		*short_read = avail < 8;
		break;
	default:
		*short_read = 0;
		break;
	}
}

static int parse_ipv4(const uint8_t *pkt, size_t len, struct rules_flow *flow)
{
	size_t ihl, tot, end;
	uint16_t frag;
	int short_read;

	if (len < 20)
		return -1;
	flow->family = AF_INET;
	memcpy(flow->src.b, pkt + 12, 4);
	memcpy(flow->dst.b, pkt + 16, 4);
	flow->proto = pkt[9];
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = rd16(pkt + 2);
	if (ihl < 20 || tot < ihl)
		return 0;	/* bad IHL or total length: no L4 header to trust */
	end = tot < len ? tot : len;	/* the copy may be shorter than tot */
	frag = rd16(pkt + 6) & 0x1fff;
	if (frag != 0)
		return 0;	/* non-first fragment: no L4 header */
	if (ihl > end) {
		flow->cut = tot > len;	/* options beyond the copy */
		return 0;
	}
	parse_l4(flow, pkt + ihl, end - ihl, &short_read);
	flow->cut = short_read && tot > len;
	return 0;
}

/* Walks the IPv6 header chain as ipv6_skip_exthdr() does (see the top of
 * the file).  Sets flow->proto to the protocol conntrack tracks and
 * returns the offset of its header; returns 0 when there is no L4 header
 * to read: no-next-header (proto 59), a non-first fragment (proto = the
 * fragment's next header), or a chain that runs past end (proto 0). */
static size_t ipv6_walk(const uint8_t *pkt, size_t end, uint8_t nh, struct rules_flow *flow)
{
	size_t off = 40, hlen;

	/* Every header is at least 8 bytes long, so this ends within end / 8 turns. */
	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 2 > end)
				goto unterminated;
			hlen = ((size_t)pkt[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (off + 2 > end)
				goto unterminated;
			hlen = ((size_t)pkt[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (off + 4 > end)
				goto unterminated;
			if ((rd16(pkt + off + 2) & 0xfff8) != 0) {
				flow->proto = pkt[off];	/* non-first fragment: no L4 header */
				return 0;
			}
			hlen = 8;
			break;
		case IPPROTO_NONE:
			flow->proto = IPPROTO_NONE;
			return 0;
		default:
			flow->proto = nh;
			return off;
		}
		nh = pkt[off];
		off += hlen;
	}
unterminated:
	flow->proto = 0;
	return 0;
}

static int parse_ipv6(const uint8_t *pkt, size_t len, struct rules_flow *flow)
{
	size_t plen, end, off;
	int copy_short, short_read = 0;

	if (len < 40)
		return -1;
	flow->family = AF_INET6;
	memcpy(flow->src.b, pkt + 8, 16);
	memcpy(flow->dst.b, pkt + 24, 16);
	plen = rd16(pkt + 4);
	/* The kernel drops a packet shorter than its payload length before
	 * netfilter (ip6_rcv_core), so a shorter one here is the queue's copy. */
	copy_short = plen == 0 || 40 + plen > len;	/* 0: jumbogram, length unknown */
	end = copy_short ? len : 40 + plen;
	off = ipv6_walk(pkt, end, pkt[6], flow);
	if (off && off <= end)
		parse_l4(flow, pkt + off, end - off, &short_read);
	else if (off)	/* the last header's length runs past the end */
		parse_l4(flow, pkt, 0, &short_read);
	else
		short_read = flow->proto == 0;
	flow->cut = short_read && copy_short;
	return 0;
}

int nfq_parse_packet(const uint8_t *pkt, size_t len, struct rules_flow *flow)
{
	flow->family = 0;
	flow->proto = 0;
	flow->has_ports = 0;
	flow->sport = flow->dport = 0;
	flow->icmp_type = flow->icmp_code = 0;
	flow->icmp_id = 0;
	flow->cut = 0;
	memset(&flow->src, 0, sizeof(flow->src));
	memset(&flow->dst, 0, sizeof(flow->dst));
	if (!pkt || len < 1)
		return -1;
	switch (pkt[0] >> 4) {
	case 4:
		return parse_ipv4(pkt, len, flow);
	case 6:
		return parse_ipv6(pkt, len, flow);
	default:
		return -1;
	}
}
