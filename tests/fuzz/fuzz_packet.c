// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness for the packet parser (nfq_parse_packet) and the
 * decision-log formatting of what it parsed.  Invariants: never reads past
 * the input (ASan), formatting never fails for a record that fits, and the
 * protocol and ports agree with a small reference walker written from the
 * kernel's own rules (below), so the parser reads what conntrack tracks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfq/nfq_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What conntrack takes from a packet, on the bytes we were given:
 *   net/netfilter/nf_conntrack_core.c ipv4_get_l4proto(), ipv6_get_l4proto(),
 *   nf_ct_get_tuple_ports(); net/ipv6/exthdrs_core.c ipv6_skip_exthdr();
 *   include/net/ipv6.h ipv6_ext_hdr(), ipv6_optlen(), ipv6_authlen().
 * proto: the protocol, or 0 when the chain could not be walked; for
 * no-next-header 59, for a non-first fragment its next header (the
 * parser's convention for "nothing conntrack could track"). */
struct ref {
	int proto;
	int ports;
	uint16_t sport, dport;
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 33;
}

static void ref_ports(struct ref *r, const uint8_t *p, size_t off, size_t end)
{
	if (has_ports(r->proto) && off + 4 <= end) {
		r->ports = 1;
		r->sport = (uint16_t)be16(p + off);
		r->dport = (uint16_t)be16(p + off + 2);
	}
}

static void ref_v4(const uint8_t *p, size_t len, struct ref *r)
{
	size_t ihl = (size_t)(p[0] & 15) * 4, tot = be16(p + 2), end = tot < len ? tot : len;

	r->proto = p[9];
	if (ihl < 20 || tot < ihl)	/* ip_rcv_core drops it: nothing to track */
		return;
	if (be16(p + 6) & 0x1fff)	/* IP_OFFSET: a non-first fragment */
		return;
	if (ihl <= end)
		ref_ports(r, p, ihl, end);
}

static int ext_hdr(int nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 59 || nh == 60;
}

static void ref_v6(const uint8_t *p, size_t len, struct ref *r)
{
	size_t plen = be16(p + 4), end = plen == 0 || 40 + plen > len ? len : 40 + plen;
	size_t start = 40;
	int nh = p[6];

	while (ext_hdr(nh)) {
		size_t hdrlen;

		if (nh == 59) {
			r->proto = 59;
			return;
		}
		if (start + 2 > end) {
			r->proto = 0;
			return;
		}
		if (nh == 44) {
			if (start + 4 > end) {
				r->proto = 0;
				return;
			}
			if (be16(p + start + 2) & ~7u) {
				r->proto = p[start];
				return;
			}
			hdrlen = 8;
		} else if (nh == 51) {
			hdrlen = ((size_t)p[start + 1] + 2) << 2;
		} else {
			hdrlen = ((size_t)p[start + 1] + 1) << 3;
		}
		nh = p[start];
		start += hdrlen;
	}
	r->proto = nh;
	if (start <= end)
		ref_ports(r, p, start, end);
}

static void check_reference(const uint8_t *p, size_t len, const struct rules_flow *f)
{
	struct ref r = { 0 };

	if (f->family == 2)
		ref_v4(p, len, &r);
	else
		ref_v6(p, len, &r);
	if (f->proto != r.proto || f->has_ports != r.ports)
		abort();
	if (r.ports && (f->sport != r.sport || f->dport != r.dport))
		abort();
	if (f->cut && f->has_ports)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);	/* exact size: ASan sees overreads */
	struct nfq_declog_rec r;
	char line[4096];

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&r, 0, sizeof(r));
	if (nfq_parse_packet(copy, size, &r.flow) == 0) {
		if (r.flow.family != 2 && r.flow.family != 10)
			abort();
		check_reference(copy, size, &r.flow);
		if (nfq_declog_format(line, sizeof(line), &r, 1, 0, 0) == 0)
			abort();
	}
	free(copy);
	return 0;
}
