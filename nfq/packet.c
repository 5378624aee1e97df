// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Packet parsing: the first packet of a flow (IP header onwards, as copied
 * by the queue, i.e. possibly truncated to the copy range) into a
 * struct rules_flow.  Every read is bounds-checked against len; what
 * cannot be read is marked absent and the policy decides on the rest.
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
#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

#define NFQ_MAX_EXTHDR 16	/* IPv6 extension headers followed at most */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reads ports or ICMP type/code from the L4 header at l4 (avail bytes). */
static void parse_l4(struct rules_flow *flow, const uint8_t *l4, size_t avail)
{
	switch (flow->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (avail >= 4) {
			flow->sport = rd16(l4);
			flow->dport = rd16(l4 + 2);
			flow->has_ports = 1;
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (avail >= 2) {
			flow->icmp_type = l4[0];
			flow->icmp_code = l4[1];
		}
		break;
	default:
		break;
	}
}

static int parse_ipv4(const uint8_t *pkt, size_t len, struct rules_flow *flow)
{
	size_t ihl, tot, end;
	uint16_t frag;

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
	if (frag != 0 || ihl > end)
		return 0;	/* non-first fragment, or options truncated */
	parse_l4(flow, pkt + ihl, end - ihl);
	return 0;
}

/* Walks the IPv6 extension-header chain from off; sets flow->proto to the
 * upper-layer protocol (0 if the chain is truncated or too long) and
 * returns the offset of its header, or 0 when there is nothing to read. */
static size_t ipv6_walk(const uint8_t *pkt, size_t end, uint8_t nh, struct rules_flow *flow)
{
	size_t off = 40, hlen;

	for (int i = 0; i < NFQ_MAX_EXTHDR; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
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
			if (off + 8 > end)
				goto unterminated;
			if ((rd16(pkt + off + 2) & 0xfff8) != 0) {
				flow->proto = pkt[off];	/* non-first fragment: no L4 header */
				return 0;
			}
			hlen = 8;
			break;
		default:
			flow->proto = nh;	/* upper layer (or ESP / no next header) */
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

	if (len < 40)
		return -1;
	flow->family = AF_INET6;
	memcpy(flow->src.b, pkt + 8, 16);
	memcpy(flow->dst.b, pkt + 24, 16);
	plen = rd16(pkt + 4);
	end = (plen == 0 || 40 + plen > len) ? len : 40 + plen;	/* 0: jumbogram */
	off = ipv6_walk(pkt, end, pkt[6], flow);
	if (off && off <= end)
		parse_l4(flow, pkt + off, end - off);
	return 0;
}

int nfq_parse_packet(const uint8_t *pkt, size_t len, struct rules_flow *flow)
{
	flow->family = 0;
	flow->proto = 0;
	flow->has_ports = 0;
	flow->sport = flow->dport = 0;
	flow->icmp_type = flow->icmp_code = 0;
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
