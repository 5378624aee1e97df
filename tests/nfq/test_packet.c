// SPDX-License-Identifier: GPL-2.0-or-later
/* nfq_parse_packet: handcrafted IPv4/IPv6 packets, valid and broken.
 * Every parse works on an exactly sized heap copy, so a sanitizer build
 * (make SANITIZE=1) catches any read past len. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfq/nfq.h"
#include "tests/tap.h"

static int parse(const uint8_t *pkt, size_t len, struct rules_flow *f)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, pkt, len);
	memset(f, 0xaa, sizeof(*f));	/* the parser must set what it reports */
	f->has_mac = 0;
	rc = nfq_parse_packet(copy, len, f);
	free(copy);
	return rc;
}

static size_t ipv4(uint8_t *p, uint8_t proto, const uint8_t *l4, size_t l4len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)((20 + l4len) >> 8);
	p[3] = (uint8_t)(20 + l4len);
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, "198.18.1.10", p + 12);
	inet_pton(AF_INET, "198.51.100.10", p + 16);
	memcpy(p + 20, l4, l4len);
	return 20 + l4len;
}

/* IPv6 header + the given bytes (extension headers and L4) after it. */
static size_t ipv6(uint8_t *p, uint8_t nh, const uint8_t *rest, size_t rlen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(rlen >> 8);
	p[5] = (uint8_t)rlen;
	p[6] = nh;
	p[7] = 64;
	inet_pton(AF_INET6, "2001:db8:1::10", p + 8);
	inet_pton(AF_INET6, "2001:db8:86::10", p + 24);
	if (rlen)
		memcpy(p + 40, rest, rlen);
	return 40 + rlen;
}

static const uint8_t tcp_hdr[20] = { 0xc9, 0x3a, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02 };
static const uint8_t udp_hdr[8] = { 0x13, 0x88, 0x00, 0x35, 0, 8, 0, 0 };

static void test_ipv4_valid(void)
{
	uint8_t p[128], icmp[8] = { 8, 0 };
	struct rules_flow f;
	uint8_t want_src[4], want_dst[4];
	size_t n = ipv4(p, IPPROTO_TCP, tcp_hdr, sizeof(tcp_hdr));

	inet_pton(AF_INET, "198.18.1.10", want_src);
	inet_pton(AF_INET, "198.51.100.10", want_dst);
	is_int(parse(p, n, &f), 0, "ipv4 tcp: parsed");
	is_int(f.family, AF_INET, "ipv4 tcp: family");
	is_int(f.proto, IPPROTO_TCP, "ipv4 tcp: proto");
	ok(f.has_ports && f.sport == 51514 && f.dport == 443, "ipv4 tcp: ports 51514 -> 443");
	ok(!memcmp(f.src.b, want_src, 4) && !memcmp(f.dst.b, want_dst, 4), "ipv4 tcp: addresses");
	ok(f.src.w[1] == 0 && f.dst.w[3] == 0, "ipv4: unused address bytes are zero");
	ok(f.has_mac == 0, "has_mac left alone");

	n = ipv4(p, IPPROTO_UDP, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_UDP && f.has_ports && f.dport == 53, "ipv4 udp: port 53");
	n = ipv4(p, IPPROTO_ICMP, icmp, sizeof(icmp));
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_ICMP && !f.has_ports && f.icmp_type == 8,
	   "ipv4 icmp echo: type 8, no ports");
	n = ipv4(p, 132, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == 132 && f.has_ports && f.sport == 5000, "ipv4 sctp: ports");
	n = ipv4(p, 136, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == 136 && f.has_ports, "ipv4 udp-lite: ports");
	n = ipv4(p, 47, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == 47 && !f.has_ports, "ipv4 gre: address only");
}

static void test_ipv4_truncated(void)
{
	uint8_t p[128];
	struct rules_flow f;
	size_t n = ipv4(p, IPPROTO_TCP, tcp_hdr, sizeof(tcp_hdr));
	int bad = 0;

	for (size_t len = 0; len <= n; len++) {
		int rc = parse(p, len, &f);

		if (len < 20 && rc != -1)
			bad++;
		if (len >= 20 && (rc != 0 || f.proto != IPPROTO_TCP || f.has_ports != (len >= 24)))
			bad++;
	}
	is_int(bad, 0, "ipv4 tcp truncated at every length: -1 below 20, ports from 24");
}

static void test_ipv4_broken(void)
{
	uint8_t p[128];
	struct rules_flow f;
	size_t n = ipv4(p, IPPROTO_TCP, tcp_hdr, sizeof(tcp_hdr));

	p[0] = 0x44;	/* IHL 16 bytes */
	ok(parse(p, n, &f) == 0 && f.family == AF_INET && !f.has_ports, "bad IHL < 5: addresses, no ports");
	p[0] = 0x4f;	/* IHL 60 bytes, longer than the packet */
	ok(parse(p, n, &f) == 0 && !f.has_ports, "IHL past the end: no ports");
	p[0] = 0x45;
	p[2] = 0;
	p[3] = 10;	/* total length < header */
	ok(parse(p, n, &f) == 0 && !f.has_ports, "total length < IHL: no ports");
	p[3] = 22;	/* total length cuts the ports */
	ok(parse(p, n, &f) == 0 && !f.has_ports, "total length cuts the L4 header: no ports");
	p[2] = 0xff;	/* total length > capture (copy range): ports still read */
	ok(parse(p, n, &f) == 0 && f.has_ports && f.dport == 443, "total length > capture: ports read");
	p[2] = 0;
	p[3] = (uint8_t)n;
	p[6] = 0x00;
	p[7] = 0x10;	/* fragment offset 16 */
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_TCP && !f.has_ports, "non-first fragment: no ports");
	p[6] = 0x20;
	p[7] = 0;	/* MF, offset 0: the first fragment */
	ok(parse(p, n, &f) == 0 && f.has_ports, "first fragment: ports");
	p[0] = 0x55;
	is_int(parse(p, n, &f), -1, "IP version 5: -1");
	is_int(parse(p, 0, &f), -1, "empty: -1");
	is_int(nfq_parse_packet(NULL, 0, &f), -1, "NULL: -1");
}

static void test_ipv6(void)
{
	uint8_t p[512], rest[400], want[16];
	struct rules_flow f;
	size_t n, r = 0;

	inet_pton(AF_INET6, "2001:db8:86::10", want);
	n = ipv6(p, IPPROTO_TCP, tcp_hdr, sizeof(tcp_hdr));
	ok(parse(p, n, &f) == 0 && f.family == AF_INET6 && f.proto == IPPROTO_TCP && f.has_ports &&
	   f.dport == 443 && !memcmp(f.dst.b, want, 16), "ipv6 tcp");

	/* hop-by-hop (8) -> dstopts (16) -> routing (8) -> fragment (8, first) -> AH (12) -> udp */
	memset(rest, 0, sizeof(rest));
	rest[r] = IPPROTO_DSTOPTS; rest[r + 1] = 0; r += 8;
	rest[r] = IPPROTO_ROUTING; rest[r + 1] = 1; r += 16;
	rest[r] = IPPROTO_FRAGMENT; rest[r + 1] = 0; r += 8;
	rest[r] = IPPROTO_AH; rest[r + 2] = 0; rest[r + 3] = 1; r += 8;	/* offset 0, M=1 */
	rest[r] = IPPROTO_UDP; rest[r + 1] = 1; r += 12;			/* AH: (1+2)*4 */
	memcpy(rest + r, udp_hdr, 8);
	r += 8;
	n = ipv6(p, IPPROTO_HOPOPTS, rest, r);
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_UDP && f.has_ports && f.dport == 53,
	   "ipv6 extension chain (hbh, dst, rt, frag, ah) to udp");

	int bad = 0;
	for (size_t len = 0; len <= n; len++) {
		int rc = parse(p, len, &f);

		/* AH (the last extension header) starts at 80 and needs 2 bytes;
		 * the UDP ports end at 96. */
		if (len < 40 ? rc != -1 : rc != 0)
			bad++;
		else if (len >= 40 && (f.proto != (len >= 82 ? IPPROTO_UDP : 0) ||
				       f.has_ports != (len >= 96)))
			bad++;
	}
	is_int(bad, 0, "ipv6 chain truncated at every length: proto 0 / no ports, never past len");

	rest[32 + 2] = 0x01;	/* fragment offset 256: not the first */
	n = ipv6(p, IPPROTO_HOPOPTS, rest, r);
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_AH && !f.has_ports,
	   "ipv6 non-first fragment: next header, no ports");

	memset(rest, 0, sizeof(rest));
	for (int i = 0; i < 40; i++)
		rest[i * 8] = IPPROTO_DSTOPTS;	/* endless destination options */
	n = ipv6(p, IPPROTO_DSTOPTS, rest, 320);
	ok(parse(p, n, &f) == 0 && f.proto == 0 && !f.has_ports && !f.cut,
	   "a chain that runs past the packet's end: proto 0 (conntrack: untracked), not a copy cut");

	n = ipv6(p, IPPROTO_TCP, tcp_hdr, sizeof(tcp_hdr));
	p[4] = p[5] = 0;	/* payload length 0 (jumbogram): use the capture */
	ok(parse(p, n, &f) == 0 && f.has_ports, "payload length 0: ports from the capture");
	p[5] = 2;		/* payload length cuts the ports */
	ok(parse(p, n, &f) == 0 && !f.has_ports, "payload length < L4 header: no ports");

	uint8_t icmp6[8] = { 128, 0 };
	n = ipv6(p, IPPROTO_ICMPV6, icmp6, sizeof(icmp6));
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_ICMPV6 && f.icmp_type == 128, "icmpv6 echo request");
	n = ipv6(p, 59, NULL, 0);
	ok(parse(p, n, &f) == 0 && f.proto == 59 && !f.has_ports, "no next header (59)");
}

/* A chain of n headers (each 8 bytes, next header nh[i]) and then l4. */
static size_t chain6(uint8_t *p, const uint8_t *nh, int n, uint8_t first, const uint8_t *l4, size_t l4len)
{
	uint8_t rest[1024];
	size_t r = 0;

	memset(rest, 0, sizeof(rest));
	for (int i = 0; i < n; i++, r += 8)
		rest[r] = nh[i];
	memcpy(rest + r, l4, l4len);
	return ipv6(p, first, rest, r + l4len);
}

/* The protocol conntrack tracks (ipv6_skip_exthdr / ipv6_ext_hdr): only
 * 0, 43, 44, 51, 60 are skipped; 135 (Mobility), 139 (HIP), 140 (Shim6),
 * 50 (ESP), 253, 254 are final; 59 ends without a protocol. */
static void test_ipv6_final(void)
{
	uint8_t p[2048], nh[64];
	/* an MH header whose "payload proto" says UDP and whose data looks like
	 * UDP to port 123 (the field report of issue 11, case 4) */
	uint8_t mh[24] = { IPPROTO_UDP, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			   0x9c, 0x41, 0x00, 0x7b, 0, 8, 0, 0 };
	static const uint8_t finals[] = { 135, 139, 140, 50, 253, 254, 47 };
	struct rules_flow f;
	size_t n;

	n = ipv6(p, 135, mh, sizeof(mh));
	ok(parse(p, n, &f) == 0 && f.proto == 135 && !f.has_ports && !f.cut,
	   "Mobility (135) is the protocol, not an extension header: proto 135, no ports");
	nh[0] = 135;
	n = chain6(p, nh, 1, IPPROTO_DSTOPTS, mh, sizeof(mh));
	ok(parse(p, n, &f) == 0 && f.proto == 135 && !f.has_ports, "destination options, then MH: proto 135");
	for (size_t i = 0; i < sizeof(finals); i++) {
		nh[0] = IPPROTO_DSTOPTS;
		nh[1] = finals[i];
		n = chain6(p, nh, 2, IPPROTO_HOPOPTS, udp_hdr, sizeof(udp_hdr));
		ok(parse(p, n, &f) == 0 && f.proto == finals[i] && !f.has_ports,
		   "hop-by-hop, dstopts, then %u: proto %u, no ports", finals[i], finals[i]);
	}
	nh[0] = 59;
	n = chain6(p, nh, 1, IPPROTO_HOPOPTS, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == 59 && !f.has_ports && !f.cut,
	   "hop-by-hop, then no-next-header (59): proto 59, no ports");
	for (int i = 0; i < 29; i++)
		nh[i] = IPPROTO_DSTOPTS;
	nh[29] = IPPROTO_UDP;
	n = chain6(p, nh, 30, IPPROTO_DSTOPTS, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_UDP && f.has_ports && f.dport == 53 && !f.cut,
	   "30 destination-options headers, then udp: no length limit, as the kernel");
	for (int i = 0; i < 63; i++)
		nh[i] = IPPROTO_DSTOPTS;
	nh[63] = IPPROTO_UDP;
	n = chain6(p, nh, 64, IPPROTO_DSTOPTS, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_UDP && f.has_ports, "64 headers, then udp");
	ok(parse(p, 200, &f) == 0 && f.proto == 0 && !f.has_ports && f.cut,
	   "the same chain, copy cut at 200 bytes: proto 0, marked cut");
	n = ipv6(p, IPPROTO_UDP, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, 42, &f) == 0 && f.proto == IPPROTO_UDP && !f.has_ports && f.cut,
	   "udp ports beyond the copy: no ports, marked cut");
	p[4] = 0;
	p[5] = 2;	/* payload length 2: the packet itself is that short */
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_UDP && !f.has_ports && !f.cut,
	   "udp header cut by the payload length: no ports, not a copy cut");
	n = ipv6(p, 33, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, n, &f) == 0 && f.proto == 33 && f.has_ports && f.dport == 53, "dccp: ports, as conntrack");
	nh[0] = IPPROTO_FRAGMENT;
	nh[1] = IPPROTO_UDP;	/* an atomic fragment header (offset 0, M 0) */
	n = chain6(p, nh, 2, IPPROTO_HOPOPTS, udp_hdr, sizeof(udp_hdr));
	ok(parse(p, 51, &f) == 0 && f.proto == 0 && f.cut == 1, "fragment header cut before its offset: proto 0");
	ok(parse(p, n, &f) == 0 && f.proto == IPPROTO_UDP && f.has_ports, "atomic fragment: udp ports");
}

static void test_icmp_id(void)
{
	uint8_t p[128], echo[8] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 }, echo6[8] = { 128, 0, 0, 0, 0xab, 0xcd, 0, 1 };
	uint8_t unreach[8] = { 3, 1, 0, 0, 0x12, 0x34, 0, 0 };
	struct rules_flow f;
	size_t n;

	n = ipv4(p, IPPROTO_ICMP, echo, sizeof(echo));
	ok(parse(p, n, &f) == 0 && f.icmp_type == 8 && f.icmp_id == 0x1234, "icmp echo request: identifier 0x1234");
	echo[0] = 0;
	n = ipv4(p, IPPROTO_ICMP, echo, sizeof(echo));
	ok(parse(p, n, &f) == 0 && f.icmp_id == 0x1234, "icmp echo reply: identifier");
	n = ipv4(p, IPPROTO_ICMP, unreach, sizeof(unreach));
	ok(parse(p, n, &f) == 0 && f.icmp_type == 3 && f.icmp_id == 0, "icmp unreachable: no identifier");
	n = ipv4(p, IPPROTO_ICMP, echo, 6);
	ok(parse(p, n, &f) == 0 && f.icmp_id == 0, "icmp echo shorter than 8 bytes: no identifier");
	n = ipv6(p, IPPROTO_ICMPV6, echo6, sizeof(echo6));
	ok(parse(p, n, &f) == 0 && f.icmp_type == 128 && f.icmp_id == 0xabcd, "icmpv6 echo request: identifier");
}

int main(void)
{
	test_ipv4_valid();
	test_ipv4_truncated();
	test_ipv4_broken();
	test_ipv6();
	test_ipv6_final();
	test_icmp_id();
	return tap_done();
}
