// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conntrack entries as geoegress sees them, without sockets: a ctnetlink
 * message → struct nfq_conn (libnetfilter_conntrack parses it), the mark
 * update and dump request messages (libnetfilter_conntrack builds them,
 * libmnl adds what it cannot express), and the snapshot of this host's
 * addresses and neighbours from rtnetlink messages.  ct.c does the I/O.
 *
 * Kernel sources followed: net/netfilter/nf_conntrack_netlink.c
 * (ctnetlink_fill_info, ctnetlink_new_conntrack, ctnetlink_change_mark,
 * ctnetlink_alloc_filter), net/ipv4/devinet.c and net/ipv6/addrconf.c
 * (RTM_NEWADDR), net/core/neighbour.c (RTM_NEWNEIGH).
 */
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

/* ---- decisions and names ---- */

enum nfq_ct_decision nfq_ct_decision_of(uint32_t mark)
{
	switch (mark & NFQ_MARK_MASK) {
	case NFQ_MARK_ALLOW:
		return NFQ_CT_ALLOW;
	case NFQ_MARK_BLOCK:
		return NFQ_CT_BLOCK;
	case NFQ_MARK_REJECT:
		return NFQ_CT_REJECT;
	default:
		return NFQ_CT_UNDECIDED;	/* 0, or a pending value */
	}
}

enum nfq_ct_decision nfq_ct_decision_for(const struct rules_verdict *v)
{
	if (v->audit)
		return NFQ_CT_ALLOW;
	if (v->action == RULES_BLOCK)
		return NFQ_CT_BLOCK;
	if (v->action == RULES_REJECT)
		return NFQ_CT_REJECT;
	return NFQ_CT_ALLOW;
}

/* A decision is named as the action that made it (rules_action_name). */
_Static_assert(NFQ_CT_BLOCK - NFQ_CT_ALLOW == RULES_BLOCK - RULES_ALLOW &&
	       NFQ_CT_REJECT - NFQ_CT_ALLOW == RULES_REJECT - RULES_ALLOW, "decisions follow the actions");

const char *nfq_ct_decision_name(enum nfq_ct_decision d)
{
	if (d < NFQ_CT_ALLOW || d > NFQ_CT_REJECT)
		return "undecided";
	return rules_action_name((enum rules_action)(RULES_ALLOW + (d - NFQ_CT_ALLOW)));
}

const char *nfq_ct_cover_name(enum nfq_ct_cover c)
{
	static const char *const names[] = { "forward", "output", "local" };

	return (unsigned)c < 3 ? names[c] : "?";
}

const char *nfq_ct_tcp_state_name(uint8_t state)
{
	static const char *const names[] = {
		[TCP_CONNTRACK_NONE] = "NONE",
		[TCP_CONNTRACK_SYN_SENT] = "SYN_SENT",
		[TCP_CONNTRACK_SYN_RECV] = "SYN_RECV",
		[TCP_CONNTRACK_ESTABLISHED] = "ESTABLISHED",
		[TCP_CONNTRACK_FIN_WAIT] = "FIN_WAIT",
		[TCP_CONNTRACK_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_CONNTRACK_LAST_ACK] = "LAST_ACK",
		[TCP_CONNTRACK_TIME_WAIT] = "TIME_WAIT",
		[TCP_CONNTRACK_CLOSE] = "CLOSE",
		[TCP_CONNTRACK_SYN_SENT2] = "SYN_SENT2",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state] ? names[state] : "?";
}

/* ---- this host's addresses and neighbours ---- */

int nfq_ct_hosts_init(struct nfq_ct_hosts *h, uint32_t local_max, uint32_t neigh_max)
{
	memset(h, 0, sizeof(*h));
	h->local = calloc(local_max ? local_max : 1, sizeof(*h->local));
	h->neigh = calloc(neigh_max ? neigh_max : 1, sizeof(*h->neigh));
	if (!h->local || !h->neigh) {
		nfq_ct_hosts_free(h);
		errno = ENOMEM;
		return -1;
	}
	h->local_max = local_max;
	h->neigh_max = neigh_max;
	return 0;
}

void nfq_ct_hosts_free(struct nfq_ct_hosts *h)
{
	if (!h)
		return;
	free(h->local);
	free(h->neigh);
	memset(h, 0, sizeof(*h));
}

void nfq_ct_hosts_clear(struct nfq_ct_hosts *h)
{
	h->nlocal = h->nneigh = h->dropped = 0;
}

static int addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* Appends family+addr (and mac, or the broadcast flag) to a table, or
 * counts it dropped. */
static void host_put(struct nfq_ct_hosts *h, int neigh, uint8_t family, const struct nlattr *a,
		     const struct nlattr *mac, int bcast)
{
	struct nfq_ct_host *t = neigh ? h->neigh : h->local;
	uint32_t *n = neigh ? &h->nneigh : &h->nlocal;
	uint32_t max = neigh ? h->neigh_max : h->local_max;
	struct nfq_ct_host *e;

	if (!a || mnl_attr_get_payload_len(a) != (uint16_t)addr_len(family))
		return;
	if (*n >= max) {
		h->dropped++;
		return;
	}
	e = &t[(*n)++];
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->addr, mnl_attr_get_payload(a), (size_t)addr_len(family));
	if (mac)
		memcpy(e->mac, mnl_attr_get_payload(mac), 6);
	e->bcast = (uint8_t)bcast;
}

struct attr_tb {
	const struct nlattr **tb;
	int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct attr_tb *t = data;
	int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

/* The subnet's broadcast address, also without IFA_BROADCAST: the kernel
 * routes it as broadcast (fib_add_ifaddr), so it is input, not forward. */
static void add_subnet_broadcast(struct nfq_ct_hosts *h, const struct nlattr *local, uint8_t plen)
{
	uint32_t a, host = 0xffffffffu >> plen;
	struct {
		struct nlattr hdr;
		uint32_t addr;
	} attr = { { sizeof(attr), IFA_BROADCAST }, 0 };

	if (mnl_attr_get_payload_len(local) != 4)
		return;
	memcpy(&a, mnl_attr_get_payload(local), 4);
	attr.addr = htonl(ntohl(a) | host);
	host_put(h, 0, AF_INET, &attr.hdr, NULL, 1);
}

static int add_addr(struct nfq_ct_hosts *h, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct attr_tb t = { tb, IFA_MAX };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	if (mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, &t) < 0)
		return -1;
	if (!addr_len(ifa->ifa_family))
		return 0;
	/* IFA_ADDRESS is the peer on a point-to-point link; IFA_LOCAL ours. */
	host_put(h, 0, ifa->ifa_family, tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS], NULL, 0);
	if (tb[IFA_BROADCAST])
		host_put(h, 0, ifa->ifa_family, tb[IFA_BROADCAST], NULL, 1);
	if (ifa->ifa_family == AF_INET && ifa->ifa_prefixlen < 31 && tb[IFA_LOCAL])
		add_subnet_broadcast(h, tb[IFA_LOCAL], ifa->ifa_prefixlen);
	return 0;
}

static int add_neigh(struct nfq_ct_hosts *h, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	struct attr_tb t = { tb, NDA_MAX };
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const uint16_t valid = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;

	if (mnl_attr_parse(nlh, sizeof(*nd), attr_cb, &t) < 0)
		return -1;
	if (!addr_len(nd->ndm_family) || !(nd->ndm_state & valid) ||
	    !tb[NDA_LLADDR] || mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6)
		return 0;
	host_put(h, 1, nd->ndm_family, tb[NDA_DST], tb[NDA_LLADDR], 0);
	return 0;
}

int nfq_ct_hosts_add(struct nfq_ct_hosts *h, const struct nlmsghdr *nlh)
{
	size_t need = nlh->nlmsg_type == RTM_NEWADDR ? sizeof(struct ifaddrmsg) :
		      nlh->nlmsg_type == RTM_NEWNEIGH ? sizeof(struct ndmsg) : 0;
	int rc;

	if (!need)
		return 0;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + need) {
		errno = EINVAL;
		return -1;
	}
	rc = nlh->nlmsg_type == RTM_NEWADDR ? add_addr(h, nlh) : add_neigh(h, nlh);
	if (rc < 0)
		errno = EINVAL;
	return rc;
}

static int host_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 1 + 16);	/* family, then address */
}

void nfq_ct_hosts_sort(struct nfq_ct_hosts *h)
{
	if (h->nlocal)		/* qsort(NULL, 0, ...) is undefined */
		qsort(h->local, h->nlocal, sizeof(*h->local), host_cmp);
	if (h->nneigh)
		qsort(h->neigh, h->nneigh, sizeof(*h->neigh), host_cmp);
}

static const struct nfq_ct_host *host_find(const struct nfq_ct_host *t, uint32_t n, uint8_t family,
					   const uint8_t *addr)
{
	struct nfq_ct_host key = { .family = family };

	memcpy(key.addr, addr, (size_t)addr_len(family));
	return bsearch(&key, t, n, sizeof(*t), host_cmp);
}

int nfq_ct_is_local(const struct nfq_ct_hosts *h, uint8_t family, const uint8_t *addr)
{
	static const uint8_t loop6[16] = { [15] = 1 };
	const struct nfq_ct_host *e;

	if (family == AF_INET && addr[0] == 127)
		return 1;
	if (family == AF_INET6 && !memcmp(addr, loop6, 16))
		return 1;
	if (!addr_len(family) || !h)
		return 0;
	e = host_find(h->local, h->nlocal, family, addr);
	return e && !e->bcast;
}

int nfq_ct_is_group(const struct nfq_ct_hosts *h, uint8_t family, const uint8_t *addr)
{
	const struct nfq_ct_host *e;

	if (family == AF_INET && ((addr[0] & 0xf0) == 224 || !memcmp(addr, "\xff\xff\xff\xff", 4)))
		return 1;	/* multicast, limited broadcast */
	if (family == AF_INET6 && addr[0] == 0xff)
		return 1;
	if (family != AF_INET || !h)
		return 0;
	e = host_find(h->local, h->nlocal, family, addr);
	return e && e->bcast;
}

const uint8_t *nfq_ct_neigh_mac(const struct nfq_ct_hosts *h, uint8_t family, const uint8_t *addr)
{
	const struct nfq_ct_host *e;

	if (!h || !addr_len(family))
		return NULL;
	e = host_find(h->neigh, h->nneigh, family, addr);
	return e ? e->mac : NULL;
}

/* ---- parsing a conntrack message ---- */

int nfq_ct_scratch_init(struct nfq_ct_scratch *s)
{
	s->obj = nfct_new();
	s->blank = nfct_new();
	if (!s->obj || !s->blank) {
		nfq_ct_scratch_free(s);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void nfq_ct_scratch_free(struct nfq_ct_scratch *s)
{
	if (!s)
		return;
	if (s->obj)
		nfct_destroy(s->obj);
	if (s->blank)
		nfct_destroy(s->blank);
	s->obj = s->blank = NULL;
}

/* Empties the reused object.  The library allocates only for helper info,
 * security contexts and labels; an object holding one is replaced (the
 * override copy would drop the pointers without freeing them). */
static void scratch_reset(struct nfq_ct_scratch *s, int parse_failed)
{
	struct nf_conntrack *o = s->obj;

	if (parse_failed || nfct_attr_is_set(o, ATTR_HELPER_INFO) > 0 ||
	    nfct_attr_is_set(o, ATTR_SECCTX) > 0 || nfct_attr_is_set(o, ATTR_CONNLABELS) > 0) {
		nfct_destroy(o);
		s->obj = nfct_new();	/* NULL: the next use retries, or fails ENOMEM */
		return;
	}
	nfct_copy(o, s->blank, NFCT_CP_OVERRIDE);
}

static int scratch_ready(struct nfq_ct_scratch *s)
{
	if (!s->obj)
		s->obj = nfct_new();
	if (!s->obj) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static int is_set(const struct nf_conntrack *o, enum nf_conntrack_attr a)
{
	return nfct_attr_is_set(o, a) > 0;
}

/* Copies an address attribute (4 or 16 bytes) if set; returns 1 if set. */
static int get_addr(const struct nf_conntrack *o, enum nf_conntrack_attr a, int len, uint8_t *out)
{
	const void *p = is_set(o, a) ? nfct_get_attr(o, a) : NULL;

	if (p)
		memcpy(out, p, (size_t)len);
	return p != NULL;
}

static int proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_SCTP;
}

/* Tuples → flow: src/sport original, dst/dport post-DNAT (reply source). */
static int fill_tuples(const struct nf_conntrack *o, struct nfq_conn *c)
{
	uint8_t fam = nfct_get_attr_u8(o, ATTR_ORIG_L3PROTO);
	int v6 = fam == AF_INET6, len = v6 ? 16 : 4;
	struct rules_flow *f = &c->flow;

	if ((fam != AF_INET && fam != AF_INET6) || !is_set(o, ATTR_ORIG_L4PROTO) ||
	    !get_addr(o, v6 ? ATTR_ORIG_IPV6_SRC : ATTR_ORIG_IPV4_SRC, len, f->src.b) ||
	    !get_addr(o, v6 ? ATTR_ORIG_IPV6_DST : ATTR_ORIG_IPV4_DST, len, c->orig_dst.b)) {
		errno = EINVAL;
		return -1;
	}
	f->family = fam;
	f->proto = nfct_get_attr_u8(o, ATTR_ORIG_L4PROTO);
	if (!get_addr(o, v6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC, len, f->dst.b))
		memcpy(f->dst.b, c->orig_dst.b, 16);
	if (is_set(o, ATTR_ORIG_PORT_SRC) && is_set(o, ATTR_ORIG_PORT_DST)) {
		/* also DCCP ports and GRE keys, which a mark update needs */
		f->sport = ntohs(nfct_get_attr_u16(o, ATTR_ORIG_PORT_SRC));
		c->orig_dport = ntohs(nfct_get_attr_u16(o, ATTR_ORIG_PORT_DST));
		f->dport = is_set(o, ATTR_REPL_PORT_SRC) ?
			   ntohs(nfct_get_attr_u16(o, ATTR_REPL_PORT_SRC)) : c->orig_dport;
		f->has_ports = proto_has_ports(f->proto);
	}
	if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) {
		f->icmp_type = nfct_get_attr_u8(o, ATTR_ICMP_TYPE);
		f->icmp_code = nfct_get_attr_u8(o, ATTR_ICMP_CODE);
		c->icmp_id = ntohs(nfct_get_attr_u16(o, ATTR_ICMP_ID));
	}
	c->dnat = memcmp(c->orig_dst.b, f->dst.b, 16) != 0 || c->orig_dport != f->dport;
	return 0;
}

static void fill_meta(const struct nf_conntrack *o, struct nfq_conn *c)
{
	c->id = nfct_get_attr_u32(o, ATTR_ID);
	c->zone = nfct_get_attr_u16(o, ATTR_ZONE);
	c->mark = nfct_get_attr_u32(o, ATTR_MARK);
	c->decision = (uint8_t)nfq_ct_decision_of(c->mark);
	c->status = nfct_get_attr_u32(o, ATTR_STATUS);
	c->timeout = nfct_get_attr_u32(o, ATTR_TIMEOUT);
	c->has_tcp_state = is_set(o, ATTR_TCP_STATE);
	c->tcp_state = nfct_get_attr_u8(o, ATTR_TCP_STATE);
	c->start_ns = nfct_get_attr_u64(o, ATTR_TIMESTAMP_START);
	c->has_counters = is_set(o, ATTR_ORIG_COUNTER_BYTES);
	if (c->has_counters) {
		c->packets[0] = nfct_get_attr_u64(o, ATTR_ORIG_COUNTER_PACKETS);
		c->bytes[0] = nfct_get_attr_u64(o, ATTR_ORIG_COUNTER_BYTES);
		c->packets[1] = nfct_get_attr_u64(o, ATTR_REPL_COUNTER_PACKETS);
		c->bytes[1] = nfct_get_attr_u64(o, ATTR_REPL_COUNTER_BYTES);
	}
}

/* Which hook sees it, and the source's MAC. */
static void fill_host(const struct nfq_ct_hosts *h, struct nfq_conn *c)
{
	struct rules_flow *f = &c->flow;
	const uint8_t *mac;

	if (nfq_ct_is_local(h, f->family, f->dst.b))
		c->covered = NFQ_CT_LOCAL;
	else if (nfq_ct_is_local(h, f->family, f->src.b))
		c->covered = NFQ_CT_OUTPUT;	/* its multicast and broadcast too */
	else if (nfq_ct_is_group(h, f->family, f->dst.b))
		c->covered = NFQ_CT_LOCAL;	/* received, not forwarded (mDNS, SSDP, IGMP) */
	else
		c->covered = NFQ_CT_FORWARD;
	mac = nfq_ct_neigh_mac(h, f->family, f->src.b);
	if (mac) {
		memcpy(f->src_mac, mac, 6);
		f->has_mac = 1;
	}
}

int nfq_ct_parse(struct nfq_ct_scratch *s, const struct nlmsghdr *nlh,
		 const struct nfq_ct_hosts *h, struct nfq_conn *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (scratch_ready(s) < 0)
		return -1;
	if (nfct_nlmsg_parse(nlh, s->obj) < 0) {
		rc = errno == ENOMEM ? ENOMEM : EINVAL;
		scratch_reset(s, 1);
		errno = rc;
		return -1;
	}
	rc = fill_tuples(s->obj, c);
	if (rc == 0) {
		fill_meta(s->obj, c);
		fill_host(h, c);
	}
	scratch_reset(s, 0);
	return rc;
}

/* ---- building requests ---- */

struct nlmsghdr *nfq_nfnl_header(void *buf, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id,
				 uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

static struct nlmsghdr *put_hdr(void *buf, uint8_t type, uint16_t flags, uint8_t family, uint32_t seq)
{
	return nfq_nfnl_header(buf, (NFNL_SUBSYS_CTNETLINK << 8) | type, flags, family, 0, seq);
}

/* Protocols libnetfilter_conntrack writes tuples for (build_mnl.c). */
static int lib_tuple_proto(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: case IPPROTO_UDP: case IPPROTO_UDPLITE: case IPPROTO_SCTP:
	case IPPROTO_DCCP: case IPPROTO_GRE: case IPPROTO_ICMP: case IPPROTO_ICMPV6:
		return 1;
	default:
		return 0;
	}
}

/* The original tuple of a protocol conntrack tracks generically (no
 * ports: nf_conntrack_proto_generic.c), which the library cannot write. */
static void put_generic_tuple(struct nlmsghdr *nlh, const struct nfq_conn *c)
{
	const struct rules_flow *f = &c->flow;
	struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	struct nlattr *proto;

	if (f->family == AF_INET) {
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, f->src.w[0]);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, c->orig_dst.w[0]);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, f->src.b);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, c->orig_dst.b);
	}
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, f->proto);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	if (c->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(c->zone));
}

/* Sets c's original tuple (and zone) on the library object. */
static void set_tuple(struct nf_conntrack *o, const struct nfq_conn *c)
{
	const struct rules_flow *f = &c->flow;

	nfct_set_attr_u8(o, ATTR_ORIG_L3PROTO, f->family);
	if (f->family == AF_INET) {
		nfct_set_attr_u32(o, ATTR_ORIG_IPV4_SRC, f->src.w[0]);
		nfct_set_attr_u32(o, ATTR_ORIG_IPV4_DST, c->orig_dst.w[0]);
	} else {
		nfct_set_attr(o, ATTR_ORIG_IPV6_SRC, f->src.b);
		nfct_set_attr(o, ATTR_ORIG_IPV6_DST, c->orig_dst.b);
	}
	nfct_set_attr_u8(o, ATTR_ORIG_L4PROTO, f->proto);
	if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) {
		nfct_set_attr_u8(o, ATTR_ICMP_TYPE, f->icmp_type);
		nfct_set_attr_u8(o, ATTR_ICMP_CODE, f->icmp_code);
		nfct_set_attr_u16(o, ATTR_ICMP_ID, htons(c->icmp_id));
	} else {
		nfct_set_attr_u16(o, ATTR_ORIG_PORT_SRC, htons(f->sport));
		nfct_set_attr_u16(o, ATTR_ORIG_PORT_DST, htons(c->orig_dport));
	}
	if (c->zone)
		nfct_set_attr_u16(o, ATTR_ZONE, c->zone);
}

struct nlmsghdr *nfq_ct_put_set_mark(void *buf, struct nfq_ct_scratch *s, const struct nfq_conn *c,
				     uint32_t mark, uint32_t mask, uint32_t seq)
{
	struct nlmsghdr *nlh;
	int rc = 0;

	if (!addr_len(c->flow.family)) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	if (scratch_ready(s) < 0)
		return NULL;
	nlh = put_hdr(buf, IPCTNL_MSG_CT_NEW, 0, c->flow.family, seq);
	if (lib_tuple_proto(c->flow.proto)) {
		set_tuple(s->obj, c);
		nfct_set_attr_u32(s->obj, ATTR_MARK, mark & mask);
		rc = nfct_nlmsg_build(nlh, s->obj);
		scratch_reset(s, 0);
	} else {
		put_generic_tuple(nlh, c);
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark & mask));
	}
	if (rc < 0) {
		errno = EINVAL;
		return NULL;
	}
	/* kernel: newmark = (old & ~mask) ^ mark; the library has no mask */
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	return nlh;
}

struct nlmsghdr *nfq_ct_put_dump(void *buf, uint32_t mark, uint32_t mask, uint32_t seq)
{
	struct nlmsghdr *nlh = put_hdr(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, seq);
	struct nfct_filter_dump_mark fm = { .val = mark & mask, .mask = mask };
	struct nfct_filter_dump *fd;

	if (!mask)
		return nlh;
	fd = nfct_filter_dump_create();
	if (!fd) {
		errno = ENOMEM;
		return NULL;
	}
	nfct_filter_dump_set_attr(fd, NFCT_FILTER_DUMP_MARK, &fm);
	nfct_nlmsg_build_filter(nlh, fd);
	nfct_filter_dump_destroy(fd);
	return nlh;
}
