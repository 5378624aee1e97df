/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfq — the daemon: netlink queue I/O (libmnl + libnetfilter_queue),
 * packet parsing, verdicts, firewall hook install/remove, the decision log
 * writer, signals, the control socket and privilege drop.  It holds no
 * policy semantics: rules_eval() decides, nfq carries the decision out.
 */
#ifndef GEOEGRESS_NFQ_H
#define GEOEGRESS_NFQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules/rules.h"

#define NFQ_DEFAULT_CTL "/run/geoegress/control.sock"

/* Where the queue rule lives (hook.c): nft's `queue` expression, or an
 * iptables-nft NFQUEUE rule; AUTO probes the kernel. */
enum nfq_backend { NFQ_BACKEND_AUTO = 0, NFQ_BACKEND_NFT, NFQ_BACKEND_IPTABLES };

struct nfq_opts {
	const char *conf;	/* policy file (GEOEGRESS_DEFAULT_CONF) */
	const char *ctl_path;	/* control socket (NFQ_DEFAULT_CTL) */
	const char *pidfile;	/* NULL = none */
	int foreground;		/* log to stderr, don't detach */
	int no_hook;		/* admin manages the ruleset */
	enum nfq_backend backend;
	int verbose;
	const char *user;	/* NULL, or drop to this user keeping CAP_NET_ADMIN */
};

/* Runs the daemon until SIGTERM/SIGINT.  Returns the process exit code
 * (0 clean stop, 1 error).  Logs through util/log.h. */
int nfq_run(const struct nfq_opts *opts);

/* Parses one IPv4/IPv6 packet (starting at the IP header) into *flow:
 * addresses, the protocol and ports conntrack tracks (the IPv6 header
 * chain is walked as the kernel's ipv6_skip_exthdr() walks it, see
 * nfq/packet.c: Mobility 135, HIP 139, Shim6 140, ESP 50 are protocols),
 * ICMP type/code and echo identifier.  Never reads past len.  Returns 0
 * when the addresses were read (fields it could not read are marked
 * absent: has_ports = 0; proto = 0 for a chain that runs past the data,
 * 59 after no-next-header; cut = 1 when that is because len, the queue's
 * copy, is shorter than the packet), -1 when not even the IP header could
 * be read.  has_mac, src_mac, iif and oif are left as they were (they
 * come from the queue, not the packet). */
int nfq_parse_packet(const uint8_t *pkt, size_t len, struct rules_flow *flow);

/* Client side of the control socket: sends cmd ("stats", "stats json",
 * "reload", "reopen") and copies the reply text to out.  Returns 0 when
 * the daemon answered "ok", 1 when it answered "error" (the text says
 * why, e.g. the policy's file:line:col errors), or -1 with errno
 * (ECONNREFUSED/ENOENT when no daemon runs). */
int nfq_ctl_request(const char *ctl_path, const char *cmd, FILE *out);

#endif
