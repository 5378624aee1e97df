// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ruleset watch: the kernel announces every nftables transaction on
 * the netlink group NFNLGRP_NFTABLES (net/netfilter/nf_tables_api.c:
 * nf_tables_table_notify, ..._chain_notify, ..._rule_notify, and at commit
 * nf_tables_gen_notify with the process that made it).  iptables-nft,
 * iptables-restore, firewalld, container engines all go through it.  We
 * note whether a transaction touched our table (or, for the iptables
 * queue rule, an ip/ip6 mangle table) and report it when its NEWGEN
 * message ends it, with the process name and pid.  No polling.
 *
 * iptables-legacy does not use nftables: its changes are not seen here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nfq/nfq_int.h"

#define WATCH_RCVBUF (4 << 20)

struct nfq_watch {
	struct mnl_socket *nl;
	int pending;			/* this transaction touched something of ours */
	char buf[65536];		/* one datagram of events */
};

struct nfq_watch *nfq_watch_open(char *err, size_t errlen)
{
	struct nfq_watch *w = calloc(1, sizeof(*w));
	int group = NFNLGRP_NFTABLES, sz = WATCH_RCVBUF;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->nl || mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		snprintf(err, errlen, "cannot watch the nftables ruleset (netlink group "
			 "NFNLGRP_NFTABLES): %s", strerror(errno));
		nfq_watch_close(w);
		return NULL;
	}
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return w;
}

int nfq_watch_fd(const struct nfq_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

void nfq_watch_close(struct nfq_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}

/* 1 when a message names a table of ours: inet geoegress, or ip/ip6
 * mangle (the iptables queue rule).  Attribute 1 is the table name in
 * every nf_tables message that has one (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE,
 * NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_OBJ_TABLE, ...). */
int nfq_watch_is_ours(uint8_t family, const char *table)
{
	if (!table)
		return 0;
	if (family == NFPROTO_INET && !strcmp(table, "geoegress"))
		return 1;
	return (family == NFPROTO_IPV4 || family == NFPROTO_IPV6) && !strcmp(table, "mangle");
}

static void gen_who(const struct nlmsghdr *nlh, char *who, size_t len)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t pid = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID && mnl_attr_get_payload_len(a) == 4)
			pid = ntohl(mnl_attr_get_u32(a));
		else if (mnl_attr_get_type(a) == NFTA_GEN_PROC_NAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(a);
	}
	if (name)
		snprintf(who, len, "%s[%u]", name, pid);
	else
		snprintf(who, len, "pid %u", pid);
}

static const char *msg_table(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == 1 && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	}
	return NULL;
}

/* One datagram of events.  Returns 1 when a transaction of ours ended. */
static int handle_events(struct nfq_watch *w, size_t n, char *who, size_t wholen)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)w->buf;
	int left = (int)n, ended = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nfgenmsg *g;

		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
		    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
			continue;
		g = mnl_nlmsg_get_payload(nlh);
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN) {
			if (w->pending) {
				gen_who(nlh, who, wholen);
				ended = 1;
			}
			w->pending = 0;
		} else if (nfq_watch_is_ours(g->nfgen_family, msg_table(nlh))) {
			w->pending = 1;
		}
	}
	return ended;
}

int nfq_watch_read(struct nfq_watch *w, char *who, size_t wholen)
{
	int fd = mnl_socket_get_fd(w->nl), changed = 0;

	for (int i = 0; i < 4096; i++) {	/* bounded: a huge burst is finished next time */
		ssize_t n = recv(fd, w->buf, sizeof(w->buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* events were lost: whatever they said, look */
			snprintf(who, wholen, "unknown (events lost)");
			changed = 1;
			w->pending = 0;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		changed |= handle_events(w, (size_t)n, who, wholen);
	}
	return changed;
}
