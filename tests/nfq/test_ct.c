// SPDX-License-Identifier: GPL-2.0-or-later
/* The conntrack layer without a kernel (nfq/ct_conn.c): mark → decision,
 * ctnetlink messages (built with libnetfilter_conntrack as the kernel's
 * would look) → struct nfq_conn with DNAT, ICMP, counters and timestamps,
 * the local/output/forward classification and neighbour MACs from
 * hand-built rtnetlink messages, and the mark update and dump requests
 * we send. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/rtnetlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "nfq/nfq_int.h"
#include "tests/tap.h"

static uint8_t *a4(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	inet_pton(AF_INET, s, out);
	return out;
}

static uint8_t *a6(const char *s, uint8_t out[16])
{
	inet_pton(AF_INET6, s, out);
	return out;
}

static void test_decisions(void)
{
	struct rules_verdict v = { 0 };
	int bad = 0;

	is_int(nfq_ct_decision_of(0), NFQ_CT_UNDECIDED, "mark 0: undecided");
	is_int(nfq_ct_decision_of(0x00200000), NFQ_CT_ALLOW, "0x00200000: allow");
	is_int(nfq_ct_decision_of(0x00400000), NFQ_CT_BLOCK, "0x00400000: block");
	is_int(nfq_ct_decision_of(0x00600000), NFQ_CT_REJECT, "0x00600000: reject");
	is_int(nfq_ct_decision_of(0xff3fffff), NFQ_CT_ALLOW,
	       "bits outside 0x00e00000 do not count (0xff3fffff: allow)");
	is_int(nfq_ct_decision_of(0x00800000), NFQ_CT_UNDECIDED, "pending new 0x00800000: undecided");
	is_int(nfq_ct_decision_of(0x00a00000), NFQ_CT_UNDECIDED, "pending est 0x00a00000: undecided");
	is_int(nfq_ct_decision_of(0x00c00000), NFQ_CT_UNDECIDED, "pending noct 0x00c00000: undecided");
	is_int(nfq_ct_decision_of(0x00e00000), NFQ_CT_UNDECIDED, "0x00e00000: undecided");
	for (uint32_t bits = 0; bits < 8; bits++) {	/* nfq.h's two filters for undecided */
		uint32_t m = bits << 21 | 0x1234;
		int f = (m & 0x00e00000) == 0 || (m & 0x00800000) == 0x00800000;

		bad += f != (nfq_ct_decision_of(m) == NFQ_CT_UNDECIDED);
	}
	ok(bad == 0, "undecided == filter (0, 0x00e00000) or (0x00800000, 0x00800000)");
	is_str(nfq_ct_decision_name(NFQ_CT_UNDECIDED), "undecided", "name undecided");
	is_str(nfq_ct_decision_name(NFQ_CT_REJECT), "reject", "name reject");
	is_str(nfq_ct_cover_name(NFQ_CT_OUTPUT), "output", "cover name output");
	is_str(nfq_ct_tcp_state_name(TCP_CONNTRACK_ESTABLISHED), "ESTABLISHED", "tcp state name");
	is_str(nfq_ct_tcp_state_name(200), "?", "unknown tcp state");
	v.action = RULES_BLOCK;
	is_int(nfq_ct_decision_for(&v), NFQ_CT_BLOCK, "verdict block → block");
	v.action = RULES_REJECT;
	is_int(nfq_ct_decision_for(&v), NFQ_CT_REJECT, "verdict reject → reject");
	v.audit = 1;
	is_int(nfq_ct_decision_for(&v), NFQ_CT_ALLOW, "audit reject → allow (not enforced)");
	v.audit = 0;
	v.action = RULES_LOG;
	is_int(nfq_ct_decision_for(&v), NFQ_CT_ALLOW, "verdict log → allow");
}

/* ---- rtnetlink messages ---- */

static struct nlmsghdr *addr_msg(char *buf, uint8_t fam, uint8_t plen, const char *local,
				 const char *address)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint8_t b[16];
	int len = fam == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_NEWADDR;
	ifa->ifa_family = fam;
	ifa->ifa_prefixlen = plen;
	if (local)
		mnl_attr_put(nlh, IFA_LOCAL, (size_t)len, fam == AF_INET ? a4(local, b) : a6(local, b));
	if (address)
		mnl_attr_put(nlh, IFA_ADDRESS, (size_t)len, fam == AF_INET ? a4(address, b) : a6(address, b));
	return nlh;
}

static struct nlmsghdr *neigh_msg(char *buf, uint8_t fam, uint16_t state, const char *dst,
				  const uint8_t *mac)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	uint8_t b[16];

	nlh->nlmsg_type = RTM_NEWNEIGH;
	nd->ndm_family = fam;
	nd->ndm_state = state;
	mnl_attr_put(nlh, NDA_DST, fam == AF_INET ? 4 : 16, fam == AF_INET ? a4(dst, b) : a6(dst, b));
	if (mac)
		mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return nlh;
}

static const uint8_t mac1[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
static const uint8_t mac2[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x02 };

/* The lab's gateway: lan0 198.18.1.1/24 + 2001:db8:1::1/64, wan0
 * 198.18.0.1/24, a point-to-point 203.0.113.1 peer 203.0.113.2, lo;
 * neighbours phone (v4 and v6) and laptop, one INCOMPLETE. */
static void gw_hosts(struct nfq_ct_hosts *h)
{
	char buf[512];

	nfq_ct_hosts_add(h, addr_msg(buf, AF_INET, 24, "198.18.1.1", "198.18.1.1"));
	nfq_ct_hosts_add(h, addr_msg(buf, AF_INET, 24, "198.18.0.1", "198.18.0.1"));
	nfq_ct_hosts_add(h, addr_msg(buf, AF_INET, 32, "203.0.113.1", "203.0.113.2"));
	nfq_ct_hosts_add(h, addr_msg(buf, AF_INET, 8, "127.0.0.1", "127.0.0.1"));
	nfq_ct_hosts_add(h, addr_msg(buf, AF_INET6, 64, NULL, "2001:db8:1::1"));
	nfq_ct_hosts_add(h, neigh_msg(buf, AF_INET, NUD_REACHABLE, "198.18.1.10", mac1));
	nfq_ct_hosts_add(h, neigh_msg(buf, AF_INET6, NUD_STALE, "2001:db8:1::10", mac1));
	nfq_ct_hosts_add(h, neigh_msg(buf, AF_INET, NUD_PERMANENT, "198.18.1.20", mac2));
	nfq_ct_hosts_add(h, neigh_msg(buf, AF_INET, NUD_INCOMPLETE, "198.18.1.99", mac2));
	nfq_ct_hosts_add(h, neigh_msg(buf, AF_INET, NUD_REACHABLE, "198.18.1.98", NULL));
	nfq_ct_hosts_sort(h);
}

static void test_hosts(void)
{
	struct nfq_ct_hosts h, small;
	uint8_t b[16];
	char buf[512];
	const uint8_t *m;

	ok(nfq_ct_hosts_init(&h, NFQ_CT_LOCAL_MAX, NFQ_CT_NEIGH_MAX) == 0, "hosts init");
	gw_hosts(&h);
	ok(nfq_ct_is_local(&h, AF_INET, a4("198.18.1.1", b)), "lan0 address is local");
	ok(nfq_ct_is_local(&h, AF_INET, a4("198.18.0.1", b)), "wan0 address is local");
	ok(nfq_ct_is_group(&h, AF_INET, a4("198.18.1.255", b)) && !nfq_ct_is_local(&h, AF_INET, a4("198.18.1.255", b)),
	   "subnet broadcast is a group address, not ours (no IFA_BROADCAST needed)");
	ok(!nfq_ct_is_group(&h, AF_INET, a4("198.18.1.1", b)), "our address is no group address");
	ok(nfq_ct_is_local(&h, AF_INET, a4("203.0.113.1", b)), "p2p: IFA_LOCAL is ours");
	ok(!nfq_ct_is_local(&h, AF_INET, a4("203.0.113.2", b)), "p2p: IFA_ADDRESS is the peer, not ours");
	ok(nfq_ct_is_local(&h, AF_INET6, a6("2001:db8:1::1", b)), "IPv6 address (IFA_ADDRESS) is local");
	ok(!nfq_ct_is_local(&h, AF_INET6, a6("2001:db8:1::10", b)), "a LAN device is not local");
	ok(!nfq_ct_is_local(&h, AF_INET, a4("198.51.100.10", b)), "a server is not local");
	ok(nfq_ct_is_local(NULL, AF_INET, a4("127.0.0.5", b)), "127/8 is local without a table");
	ok(nfq_ct_is_group(NULL, AF_INET, a4("224.0.0.251", b)), "IPv4 multicast: group");
	ok(nfq_ct_is_group(NULL, AF_INET, a4("255.255.255.255", b)), "limited broadcast: group");
	ok(nfq_ct_is_group(NULL, AF_INET6, a6("ff02::fb", b)), "IPv6 multicast: group");
	ok(!nfq_ct_is_group(NULL, AF_INET, a4("198.51.100.10", b)), "a server: no group");
	ok(nfq_ct_is_local(NULL, AF_INET6, a6("::1", b)), "::1 is local");
	m = nfq_ct_neigh_mac(&h, AF_INET, a4("198.18.1.10", b));
	ok(m && !memcmp(m, mac1, 6), "phone's IPv4 neighbour MAC");
	m = nfq_ct_neigh_mac(&h, AF_INET6, a6("2001:db8:1::10", b));
	ok(m && !memcmp(m, mac1, 6), "phone's IPv6 neighbour (STALE still has its MAC)");
	ok(nfq_ct_neigh_mac(&h, AF_INET, a4("198.18.1.99", b)) == NULL, "INCOMPLETE neighbour: no MAC");
	ok(nfq_ct_neigh_mac(&h, AF_INET, a4("198.18.1.98", b)) == NULL, "neighbour without lladdr: no MAC");
	ok(nfq_ct_neigh_mac(&h, AF_INET6, a6("198.18.1.10", b)) == NULL, "family is part of the key");
	is_int(h.dropped, 0, "nothing dropped");

	ok(nfq_ct_hosts_init(&small, 2, 1) == 0, "small tables");
	gw_hosts(&small);
	is_int(small.nlocal, 2, "local table holds its bound");
	is_int(small.nneigh, 1, "neighbour table holds its bound");
	ok(small.dropped > 0, "the rest is counted dropped (%u)", small.dropped);
	nfq_ct_hosts_free(&small);

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = RTM_NEWADDR;	/* no ifaddrmsg */
	ok(nfq_ct_hosts_add(&h, nlh) < 0 && errno == EINVAL, "truncated RTM_NEWADDR: EINVAL");
	nlh->nlmsg_type = RTM_NEWROUTE;
	ok(nfq_ct_hosts_add(&h, nlh) == 0, "other messages are ignored");
	nfq_ct_hosts_free(&h);
	nfq_ct_hosts_free(NULL);
	ok(1, "hosts_free(NULL)");
}

/* ---- conntrack messages ---- */

struct tuple {
	uint8_t fam, proto;
	const char *src, *dst, *rsrc, *rdst;
	uint16_t sport, dport, rsport, rdport;
};

static void set_addr(struct nf_conntrack *o, int fam, enum nf_conntrack_attr a4a,
		     enum nf_conntrack_attr a6a, const char *s)
{
	uint8_t b[16];

	if (fam == AF_INET)
		nfct_set_attr(o, a4a, a4(s, b));
	else
		nfct_set_attr(o, a6a, a6(s, b));
}

/* A message as a dump sends it (IPCTNL_MSG_CT_NEW), built by the library. */
static struct nlmsghdr *ct_msg(char *buf, const struct tuple *t, uint32_t mark, uint32_t id)
{
	struct nf_conntrack *o = nfct_new();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = t->fam;
	nfct_set_attr_u8(o, ATTR_ORIG_L3PROTO, t->fam);
	nfct_set_attr_u8(o, ATTR_REPL_L3PROTO, t->fam);
	set_addr(o, t->fam, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, t->src);
	set_addr(o, t->fam, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, t->dst);
	set_addr(o, t->fam, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, t->rsrc);
	set_addr(o, t->fam, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST, t->rdst);
	nfct_set_attr_u8(o, ATTR_ORIG_L4PROTO, t->proto);
	nfct_set_attr_u8(o, ATTR_REPL_L4PROTO, t->proto);
	if (t->proto == IPPROTO_ICMPV6 || t->proto == IPPROTO_ICMP) {
		nfct_set_attr_u8(o, ATTR_ICMP_TYPE, (uint8_t)t->dport);
		nfct_set_attr_u8(o, ATTR_ICMP_CODE, 0);
		nfct_set_attr_u16(o, ATTR_ICMP_ID, htons(t->sport));
	} else {
		nfct_set_attr_u16(o, ATTR_ORIG_PORT_SRC, htons(t->sport));
		nfct_set_attr_u16(o, ATTR_ORIG_PORT_DST, htons(t->dport));
		nfct_set_attr_u16(o, ATTR_REPL_PORT_SRC, htons(t->rsport));
		nfct_set_attr_u16(o, ATTR_REPL_PORT_DST, htons(t->rdport));
	}
	if (t->proto == IPPROTO_TCP)
		nfct_set_attr_u8(o, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	nfct_set_attr_u32(o, ATTR_MARK, mark);
	nfct_set_attr_u32(o, ATTR_TIMEOUT, 431999);
	nfct_nlmsg_build(nlh, o);
	nfct_destroy(o);
	mnl_attr_put_u32(nlh, CTA_ID, htonl(id));	/* the library cannot set these */
	return nlh;
}

static void put_counters(struct nlmsghdr *nlh, int type, uint64_t pk, uint64_t by)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, (uint16_t)type);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(pk));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(by));
	mnl_attr_nest_end(nlh, n);
}

static void put_start(struct nlmsghdr *nlh, uint64_t ns)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);

	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(ns));
	mnl_attr_nest_end(nlh, n);
}

static int addr_is(const uint8_t *got, int fam, const char *want)
{
	uint8_t b[16];

	return !memcmp(got, fam == AF_INET ? a4(want, b) : a6(want, b), 16);
}

static void test_parse(void)
{
	struct nfq_ct_scratch s;
	struct nfq_ct_hosts h;
	struct nfq_conn c;
	char buf[2048];
	struct nlmsghdr *nlh;
	/* phone → 198.51.100.10:443, DNATed by the gateway to 10.0.0.5:8443 */
	const struct tuple dnat = { AF_INET, IPPROTO_TCP, "198.18.1.10", "198.51.100.10",
				    "10.0.0.5", "198.18.1.10", 40001, 443, 8443, 40001 };
	const struct tuple echo6 = { AF_INET6, IPPROTO_ICMPV6, "2001:db8:1::10", "2001:db8:86::10",
				     "2001:db8:86::10", "2001:db8:1::10", 7, 128, 0, 0 };
	const struct tuple out = { AF_INET, IPPROTO_UDP, "198.18.0.1", "203.0.113.10",
				   "203.0.113.10", "198.18.0.1", 5353, 53, 53, 5353 };
	const struct tuple in = { AF_INET, IPPROTO_UDP, "198.18.1.20", "198.18.1.1",
				  "198.18.1.1", "198.18.1.20", 40000, 53, 53, 40000 };
	const struct tuple mdns = { AF_INET, IPPROTO_UDP, "198.18.1.10", "224.0.0.251",
				    "224.0.0.251", "198.18.1.10", 5353, 5353, 5353, 5353 };
	const struct tuple bcast = { AF_INET, IPPROTO_UDP, "198.18.1.10", "198.18.1.255",
				     "198.18.1.255", "198.18.1.10", 137, 137, 137, 137 };
	const struct tuple gw_mcast = { AF_INET6, IPPROTO_UDP, "2001:db8:1::1", "ff02::fb",
					"ff02::fb", "2001:db8:1::1", 5353, 5353, 5353, 5353 };
	const struct tuple masq = { AF_INET, IPPROTO_UDP, "198.18.1.20", "192.0.2.10",
				    "192.0.2.10", "198.18.0.1", 40000, 53, 53, 61000 };

	ok(nfq_ct_scratch_init(&s) == 0, "scratch init");
	nfq_ct_hosts_init(&h, NFQ_CT_LOCAL_MAX, NFQ_CT_NEIGH_MAX);
	gw_hosts(&h);

	nlh = ct_msg(buf, &dnat, 0x00200001, 12345);
	put_counters(nlh, CTA_COUNTERS_ORIG, 10, 1500);
	put_counters(nlh, CTA_COUNTERS_REPLY, 8, 9000);
	put_start(nlh, 1795764601123456789ull);
	ok(nfq_ct_parse(&s, nlh, &h, &c) == 0, "DNAT tcp: parsed");
	ok(c.flow.family == AF_INET && c.flow.proto == IPPROTO_TCP, "family, proto");
	ok(addr_is(c.flow.src.b, AF_INET, "198.18.1.10"), "src = original source");
	ok(addr_is(c.flow.dst.b, AF_INET, "10.0.0.5"), "dst = reply source (after DNAT)");
	ok(addr_is(c.orig_dst.b, AF_INET, "198.51.100.10"), "orig_dst = original destination");
	ok(c.flow.src.w[1] == 0 && c.flow.dst.w[3] == 0, "IPv4: the rest of the address is zero");
	ok(c.flow.has_ports && c.flow.sport == 40001 && c.flow.dport == 8443 && c.orig_dport == 443,
	   "ports: sport 40001, dport 8443 (after DNAT), orig_dport 443");
	ok(c.dnat, "dnat flagged");
	is_int(c.id, 12345, "id");
	is_int(c.mark, 0x00200001, "mark");
	is_int(c.decision, NFQ_CT_ALLOW, "decision allow");
	is_int(c.timeout, 431999, "timeout");
	ok(c.has_tcp_state && c.tcp_state == TCP_CONNTRACK_ESTABLISHED, "tcp state ESTABLISHED");
	ok(c.has_counters && c.packets[0] == 10 && c.bytes[0] == 1500 && c.packets[1] == 8 &&
	   c.bytes[1] == 9000, "counters per direction");
	ok(c.start_ns == 1795764601123456789ull, "start timestamp");
	is_int(c.covered, NFQ_CT_FORWARD, "forwarded: neither end is the gateway");
	ok(c.flow.has_mac && !memcmp(c.flow.src_mac, mac1, 6), "src MAC from the neighbour table");

	ok(nfq_ct_parse(&s, ct_msg(buf, &echo6, 0x00a00000, 7), &h, &c) == 0, "ICMPv6 echo: parsed");
	ok(c.flow.family == AF_INET6 && c.flow.proto == IPPROTO_ICMPV6 && !c.flow.has_ports,
	   "IPv6, icmpv6, no ports");
	ok(c.flow.icmp_type == 128 && c.flow.icmp_code == 0 && c.icmp_id == 7, "type 128 code 0 id 7");
	ok(addr_is(c.flow.dst.b, AF_INET6, "2001:db8:86::10") && !c.dnat, "dst, no DNAT");
	is_int(c.decision, NFQ_CT_UNDECIDED, "pending mark: undecided");
	ok(!c.has_counters && c.start_ns == 0 && !c.has_tcp_state,
	   "no accounting, no timestamp, no tcp state: all absent");
	ok(c.flow.has_mac && !memcmp(c.flow.src_mac, mac1, 6), "IPv6 neighbour MAC");

	ok(nfq_ct_parse(&s, ct_msg(buf, &out, 0, 1), &h, &c) == 0 && c.covered == NFQ_CT_OUTPUT &&
	   !c.flow.has_mac, "from the gateway's own address: OUTPUT, no MAC");
	ok(nfq_ct_parse(&s, ct_msg(buf, &in, 0, 1), &h, &c) == 0 && c.covered == NFQ_CT_LOCAL,
	   "to the gateway: LOCAL");
	ok(nfq_ct_parse(&s, ct_msg(buf, &masq, 0, 1), &h, &c) == 0 && c.covered == NFQ_CT_FORWARD &&
	   !c.dnat && addr_is(c.flow.dst.b, AF_INET, "192.0.2.10") && c.flow.dport == 53,
	   "masqueraded (reply to the gateway): still FORWARD, no DNAT");
	ok(nfq_ct_parse(&s, ct_msg(buf, &mdns, 0, 1), &h, &c) == 0 && c.covered == NFQ_CT_LOCAL,
	   "a device's mDNS (224.0.0.251): LOCAL, received");
	ok(nfq_ct_parse(&s, ct_msg(buf, &bcast, 0, 1), &h, &c) == 0 && c.covered == NFQ_CT_LOCAL,
	   "a device to the LAN's broadcast: LOCAL");
	ok(nfq_ct_parse(&s, ct_msg(buf, &gw_mcast, 0, 1), &h, &c) == 0 && c.covered == NFQ_CT_OUTPUT,
	   "the gateway's own multicast: OUTPUT (the output hook sees it)");
	ok(nfq_ct_parse(&s, ct_msg(buf, &dnat, 0, 1), NULL, &c) == 0 && c.covered == NFQ_CT_FORWARD &&
	   !c.flow.has_mac, "no host tables: FORWARD, no MAC");

	/* helper info and labels make the library allocate: parsed and freed
	 * (LSan in make SANITIZE=1 check would see a leak) */
	nlh = ct_msg(buf, &dnat, 0, 2);
	{
		struct nlattr *n = mnl_attr_nest_start(nlh, CTA_HELP);
		uint32_t labels[4] = { 1, 0, 0, 0 };

		mnl_attr_put_strz(nlh, CTA_HELP_NAME, "ftp");
		mnl_attr_put(nlh, CTA_HELP_INFO, 8, "12345678");
		mnl_attr_nest_end(nlh, n);
		mnl_attr_put(nlh, CTA_LABELS, sizeof(labels), labels);
	}
	ok(nfq_ct_parse(&s, nlh, &h, &c) == 0 && c.id == 2, "entry with helper info and labels");
	ok(nfq_ct_parse(&s, ct_msg(buf, &echo6, 0, 3), &h, &c) == 0 && c.id == 3 && !c.has_counters,
	   "the next entry starts clean");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	((struct nfgenmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg)))->nfgen_family = AF_INET;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(1));
	ok(nfq_ct_parse(&s, nlh, &h, &c) < 0 && errno == EINVAL, "no tuple: EINVAL");
	ok(nfq_ct_parse(&s, ct_msg(buf, &out, 0, 4), &h, &c) == 0 && c.id == 4, "and parsing goes on");
	nfq_ct_hosts_free(&h);
	nfq_ct_scratch_free(&s);
	nfq_ct_scratch_free(NULL);
}

/* ---- requests ---- */

struct tb {
	const struct nlattr *a[CTA_MAX + 1];
};

static int tb_cb(const struct nlattr *a, void *data)
{
	struct tb *t = data;

	if (mnl_attr_get_type(a) <= CTA_MAX)
		t->a[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void attrs(const struct nlmsghdr *nlh, struct tb *t)
{
	memset(t, 0, sizeof(*t));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), tb_cb, t);
}

static void test_requests(void)
{
	const struct tuple dnat = { AF_INET, IPPROTO_TCP, "198.18.1.10", "198.51.100.10",
				    "10.0.0.5", "198.18.1.10", 40001, 443, 8443, 40001 };
	struct nfq_ct_scratch s;
	struct nfq_conn c, back;
	char in[2048], buf[NFQ_CT_MSG_MAX];
	struct nlmsghdr *nlh;
	struct tb t;

	nfq_ct_scratch_init(&s);
	nfq_ct_parse(&s, ct_msg(in, &dnat, 0x00800001, 9), NULL, &c);
	c.zone = 3;
	nlh = nfq_ct_put_set_mark(buf, &s, &c, 0x00400000 | 0xff, 0x00e00000, 77);
	ok(nlh != NULL, "set_mark: built");
	ok(nlh->nlmsg_len <= NFQ_CT_MSG_MAX, "fits NFQ_CT_MSG_MAX (%u bytes)", nlh->nlmsg_len);
	ok((nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_NEW && (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_CTNETLINK,
	   "IPCTNL_MSG_CT_NEW");
	ok(!(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK)) && nlh->nlmsg_seq == 77,
	   "an update (no CREATE/EXCL), failures-only answers (no ACK), seq");
	attrs(nlh, &t);
	ok(t.a[CTA_MARK] && ntohl(mnl_attr_get_u32(t.a[CTA_MARK])) == 0x00400000,
	   "CTA_MARK = mark & mask");
	ok(t.a[CTA_MARK_MASK] && ntohl(mnl_attr_get_u32(t.a[CTA_MARK_MASK])) == 0x00e00000,
	   "CTA_MARK_MASK = mask");
	ok(t.a[CTA_ZONE] && ntohs(mnl_attr_get_u16(t.a[CTA_ZONE])) == 3, "CTA_ZONE");
	ok(t.a[CTA_TUPLE_ORIG] && !t.a[CTA_TUPLE_REPLY], "found by the original tuple");
	ok(nfq_ct_parse(&s, nlh, NULL, &back) == 0, "the update parses back");
	ok(addr_is(back.flow.src.b, AF_INET, "198.18.1.10") && addr_is(back.orig_dst.b, AF_INET, "198.51.100.10") &&
	   back.flow.sport == 40001 && back.orig_dport == 443 && back.flow.proto == IPPROTO_TCP,
	   "original tuple: 198.18.1.10:40001 → 198.51.100.10:443 tcp (before DNAT)");

	c.flow.proto = 50;	/* ESP: tracked generically, no ports */
	c.zone = 0;
	nlh = nfq_ct_put_set_mark(buf, &s, &c, 0x00600000, 0x00e00000, 78);
	attrs(nlh, &t);
	ok(nlh && t.a[CTA_TUPLE_ORIG] && t.a[CTA_MARK] && t.a[CTA_MARK_MASK] && !t.a[CTA_ZONE],
	   "generic protocol (ESP): tuple written with libmnl");
	ok(nfq_ct_parse(&s, nlh, NULL, &back) == 0 && back.flow.proto == 50 &&
	   addr_is(back.orig_dst.b, AF_INET, "198.51.100.10") && !back.flow.has_ports,
	   "ESP tuple parses back");
	c.flow.family = AF_UNIX;
	ok(nfq_ct_put_set_mark(buf, &s, &c, 0, 1, 79) == NULL && errno == EAFNOSUPPORT,
	   "not IPv4/IPv6: EAFNOSUPPORT");

	nlh = nfq_ct_put_dump(buf, 0x00600000 | 0x1, 0x00e00000, 80);
	attrs(nlh, &t);
	ok(nlh && (nlh->nlmsg_flags & NLM_F_DUMP) && (nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_GET,
	   "dump request");
	ok(((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family == AF_UNSPEC,
	   "both families (AF_UNSPEC)");
	ok(t.a[CTA_MARK] && ntohl(mnl_attr_get_u32(t.a[CTA_MARK])) == 0x00600000 && t.a[CTA_MARK_MASK] &&
	   ntohl(mnl_attr_get_u32(t.a[CTA_MARK_MASK])) == 0x00e00000,
	   "kernel filter: CTA_MARK = mark & mask, CTA_MARK_MASK");
	nlh = nfq_ct_put_dump(buf, 5, 0, 81);
	attrs(nlh, &t);
	ok(nlh && !t.a[CTA_MARK] && !t.a[CTA_MARK_MASK], "mask 0: no filter");
	nfq_ct_scratch_free(&s);
}

int main(void)
{
	test_decisions();
	test_hosts();
	test_parse();
	test_requests();
	return tap_done();
}
