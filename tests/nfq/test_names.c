// SPDX-License-Identifier: GPL-2.0-or-later
/* The copies of DNS answers (nfq/names_pkt.c): the packet from its IP
 * header to its DNS messages — IPv4 and IPv6 (extension headers), UDP and
 * TCP (several messages in a segment, one cut off), what is not an answer
 * packet (a fragment, another port), every truncation; and the
 * nfnetlink_log message around it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nfq/nfq_int.h"
#include "tests/tap.h"

static const uint8_t DNS[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'x', 4, 't', 'e', 's', 't',
			       0, 0, 1, 0, 1 };

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
	return 2;
}

/* IPv4 header + L4 (UDP or TCP) + payload into b; its length. */
static size_t v4(uint8_t *b, int proto, unsigned sport, const uint8_t *pl, size_t n, unsigned frag)
{
	size_t l4 = proto == IPPROTO_UDP ? 8 : 20, tot = 20 + l4 + n;

	memset(b, 0, tot);
	b[0] = 0x45;
	put16(b + 2, (unsigned)tot);
	put16(b + 6, frag);
	b[8] = 64, b[9] = (uint8_t)proto;
	memcpy(b + 12, "\xc6\x12\x00\x02", 4);	/* 198.18.0.2 */
	memcpy(b + 16, "\xc6\x12\x01\x0a", 4);	/* 198.18.1.10 */
	put16(b + 20, sport);
	put16(b + 22, 40000);
	if (proto == IPPROTO_UDP)
		put16(b + 24, (unsigned)(8 + n));
	else
		b[32] = 5 << 4;
	memcpy(b + 20 + l4, pl, n);
	return tot;
}

static void ipv4_udp_tcp(void)
{
	uint8_t b[2048], seg[256];
	struct nfq_dns_pkt pk;
	size_t n = v4(b, IPPROTO_UDP, 53, DNS, sizeof(DNS), 0), k;
	int bad = 0;

	is_int(nfq_names_packet(b, n, &pk), 0, "IPv4/UDP from port 53");
	ok(pk.family == AF_INET && !memcmp(pk.dst, "\xc6\x12\x01\x0a", 4), "the device: the destination");
	ok(pk.nmsg == 1 && pk.msg[0].len == sizeof(DNS) && !memcmp(pk.msg[0].p, DNS, sizeof(DNS)), "one message");
	n = v4(b, IPPROTO_UDP, 5353, DNS, sizeof(DNS), 0);
	is_int(nfq_names_packet(b, n, &pk), -1, "another source port: not an answer");
	n = v4(b, IPPROTO_UDP, 53, DNS, sizeof(DNS), 0x2000);
	is_int(nfq_names_packet(b, n, &pk), -1, "a fragment (MF): not read");
	/* TCP: two whole messages and the start of a third */
	k = put16(seg, sizeof(DNS));
	memcpy(seg + k, DNS, sizeof(DNS)), k += sizeof(DNS);
	k += put16(seg + k, sizeof(DNS));
	memcpy(seg + k, DNS, sizeof(DNS)), k += sizeof(DNS);
	k += put16(seg + k, 100);
	memcpy(seg + k, DNS, 10), k += 10;
	n = v4(b, IPPROTO_TCP, 53, seg, k, 0);
	is_int(nfq_names_packet(b, n, &pk), 0, "IPv4/TCP from port 53");
	ok(pk.nmsg == 2 && pk.partial == 1, "two whole messages, one cut off (%u, %u)", pk.nmsg, pk.partial);
	for (size_t len = 0; len < n; len++) {
		uint8_t *c = malloc(len ? len : 1);	/* exact size: ASan sees an overread */

		memcpy(c, b, len);
		if (nfq_names_packet(c, len, &pk) == 0 && (pk.msg[0].p + pk.msg[0].len > c + len))
			bad++;
		free(c);
	}
	is_int(bad, 0, "every truncation: nothing read past it");
}

static void ipv6_ext(void)
{
	uint8_t b[512];
	struct nfq_dns_pkt pk;
	size_t n = 40 + 8 + 8 + sizeof(DNS);

	memset(b, 0, sizeof(b));
	b[0] = 0x60;
	put16(b + 4, (unsigned)(n - 40));
	b[6] = 0;	/* hop-by-hop, then UDP */
	b[7] = 64;
	memcpy(b + 24, "\x20\x01\x0d\xb8\x00\x01", 6);
	b[39] = 0x10;	/* 2001:db8:1::10 */
	b[40] = IPPROTO_UDP;
	b[41] = 0;
	put16(b + 48, 53);
	put16(b + 52, (unsigned)(8 + sizeof(DNS)));
	memcpy(b + 56, DNS, sizeof(DNS));
	is_int(nfq_names_packet(b, n, &pk), 0, "IPv6, hop-by-hop, UDP from port 53");
	ok(pk.family == AF_INET6 && pk.dst[15] == 0x10 && pk.nmsg == 1, "the device and the message");
	b[6] = 44;	/* a fragment header instead */
	b[40] = IPPROTO_UDP;
	is_int(nfq_names_packet(b, n, &pk), -1, "a fragment header: not read");
}

static void nflog(void)
{
	char buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	const uint8_t *p;
	size_t len;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_OUTDEV, htonl(3));
	mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(DNS), DNS);
	ok(nfq_names_nflog(nlh, &p, &len) == 0 && len == sizeof(DNS) && !memcmp(p, DNS, len),
	   "an NFULNL_MSG_PACKET: its payload");
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	is_int(nfq_names_nflog(nlh, &p, &len), -1, "another message type: -1");
}

int main(void)
{
	ipv4_udp_tcp();
	ipv6_ext();
	nflog();
	return tap_done();
}
