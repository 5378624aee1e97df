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
	const char *state_dir;	/* NULL = /var/lib/geoegress (the state file) */
	int fail_closed;	/* --fail-mode closed: when neither the policy nor the
				 * state file can say */
	int no_seccomp;		/* --seccomp off: no system-call allow-list */
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
 * "reload", "reopen", "explain SRC MAC|- DST PROTO PORT|-1") and copies
 * the reply text to out.  Returns 0 when
 * the daemon answered "ok", 1 when it answered "error" (the text says
 * why, e.g. the policy's file:line:col errors), or -1 with errno
 * (ECONNREFUSED/ENOENT when no daemon runs). */
int nfq_ctl_request(const char *ctl_path, const char *cmd, FILE *out);

/* Writes the ruleset geoegress installs for options o (nft syntax; for
 * the iptables backend also iptables-restore input), for `check
 * --print-hook` and admins who run --no-hook.  0, or -1 (no memory). */
int nfq_hook_print(const struct rules_options *o, enum nfq_backend backend, FILE *out);

/* `geoegress unlock`: when no daemon answers on ctl_path, removes every
 * rule of ours (a held-closed gateway, or a crashed daemon's hook) and
 * records in the state file (state_dir NULL = /var/lib/geoegress) that a
 * failing start must not hold the gateway again until a good one.  Says
 * what it did on out.  Returns 0, 1 when a daemon answers (nothing done,
 * err says why), -1 with a message in err. */
int nfq_unlock(const char *ctl_path, const char *state_dir, FILE *out, char *err, size_t errlen);

/* For `stats` when no daemon answers, and `check`: describes on out a
 * hook of ours left in the ruleset (held_only: only a held-closed one; a
 * running daemon's hook looks like a stale one).  Returns 0 when there is
 * none, 1 when the gateway is held closed, 2 when an enforcing hook is
 * there, -1 when the ruleset cannot be read. */
int nfq_held_status(const char *state_dir, int held_only, FILE *out);

/* 1 when something accepts a connection on the control socket path (a
 * daemon runs), else 0.  Sends nothing. */
int nfq_ctl_alive(const char *path);

/*
 * ---- Conntrack: the decision ledger (ct.c, ct_conn.c) ----
 *
 * Every connection carries its decision in the conntrack mark, within
 * the mask NFQ_MARK_MASK (NFQ_MARK_ALLOW, _BLOCK, _REJECT: nfq_int.h has
 * the numbers; any other value there, 0 or a "pending" value, is
 * undecided; nfq_ct_decision_of() reads it).  This layer reads conntrack through ctnetlink
 * (libnetfilter_conntrack builds and parses the messages, libmnl carries
 * them; kernel: net/netfilter/nf_conntrack_netlink.c) and rewrites marks;
 * it learns this host's addresses and neighbours over rtnetlink
 * (net/ipv4/devinet.c, net/ipv6/addrconf.c, net/core/neighbour.c).
 *
 * Threading: a struct nfq_ct is used by one thread at a time (the sweep
 * runs in its own thread with its own handle; queue workers never touch
 * it).  Handles are independent of each other and of the queue sockets.
 */

/* The decision a connection carries in its mark. */
enum nfq_ct_decision {
	NFQ_CT_UNDECIDED = 0,	/* no decision bits, or a pending value */
	NFQ_CT_ALLOW,
	NFQ_CT_BLOCK,
	NFQ_CT_REJECT,
};

/* Which of our hooks sees the connection's first packet. */
enum nfq_ct_cover {
	NFQ_CT_FORWARD = 0,	/* neither end is this host: the forward hook */
	NFQ_CT_OUTPUT,		/* from this host to elsewhere (its multicast and
				 * broadcast too): the output hook */
	NFQ_CT_LOCAL,		/* to this host: its addresses, loopback, and
				 * multicast/broadcast it receives (input):
				 * never queued by geoegress */
};

/*
 * One conntrack entry.  flow is the connection as the forward hook sees
 * its first original-direction packet: src and sport from the original
 * tuple, dst and dport from the reply tuple's source (the destination
 * after DNAT); proto; ICMP type/code; has_mac/src_mac from this host's
 * neighbour table (ARP/NDP) when it knows src; iif/oif 0.  has_ports is
 * set for TCP, UDP, UDP-Lite and SCTP (as nfq_parse_packet does); sport,
 * dport and orig_dport also hold DCCP ports and GRE keys, which a mark
 * update needs.  Addresses in network order, ports in host order.
 */
struct nfq_conn {
	struct rules_flow flow;
	union {
		uint8_t b[16];
		uint32_t w[4];
	} orig_dst;		/* original tuple's destination (before DNAT) */
	uint16_t orig_dport;	/* original tuple's destination port, host order */
	uint16_t icmp_id;	/* ICMP/ICMPv6 echo identifier, host order */
	uint32_t id;		/* CTA_ID: the kernel's id of the entry */
	uint16_t zone;		/* CTA_ZONE; 0 = the default zone */
	uint8_t covered;	/* enum nfq_ct_cover */
	uint8_t decision;	/* enum nfq_ct_decision of mark */
	uint32_t mark;		/* the whole ct mark */
	uint32_t status;	/* IPS_* bits (linux/netfilter/nf_conntrack_common.h) */
	uint32_t timeout;	/* seconds until the entry expires */
	uint8_t has_tcp_state;	/* TCP: tcp_state is valid */
	uint8_t tcp_state;	/* TCP_CONNTRACK_* (nfq_ct_tcp_state_name) */
	uint8_t has_counters;	/* net.netfilter.nf_conntrack_acct was on */
	uint8_t dnat;		/* the destination was rewritten (orig_dst/orig_dport differ) */
	uint64_t start_ns;	/* CTA_TIMESTAMP_START: CLOCK_REALTIME ns; 0 when
				 * net.netfilter.nf_conntrack_timestamp was off */
	uint64_t packets[2];	/* [0] original direction (from src), [1] reply */
	uint64_t bytes[2];	/* likewise, layer-3 bytes */
};

struct nfq_ct;

/* Counters since nfq_ct_open(). */
struct nfq_ct_stats {
	uint64_t walks;		/* nfq_ct_walk() calls that reached the end or were stopped */
	uint64_t entries;	/* entries handed to callbacks */
	uint64_t skipped;	/* entries that could not be parsed (not handed out) */
	uint64_t dump_intr;	/* dump parts flagged NLM_F_DUMP_INTR (entries may
				 * repeat or be missed; the kernel's own caveat) */
	uint64_t updates;	/* mark updates sent to the kernel */
	uint64_t gone;		/* ... whose connection no longer existed (ENOENT) */
	uint64_t failed;	/* ... that failed otherwise */
	uint64_t lost;		/* error replies lost to a full receive buffer (ENOBUFS) */
	uint32_t local_addrs;	/* local addresses in the last snapshot */
	uint32_t neighbours;	/* neighbours with a MAC in the last snapshot */
	uint32_t hosts_dropped;	/* addresses/neighbours beyond the tables' bounds, last snapshot */
	int last_error;		/* errno of the last failed update, 0 if none */
};

/* Opens the handle: two ctnetlink sockets (dumps; mark updates, which a
 * socket with a dump in progress cannot take) and an rtnetlink socket,
 * and every buffer it will use (about 220 KiB, whatever the table size).
 * Needs no privilege; reading conntrack does (CAP_NET_ADMIN in the
 * network namespace: nfq_ct_walk() fails with EPERM without it).
 * Returns NULL with errno set and a message in err (may be NULL). */
struct nfq_ct *nfq_ct_open(char *err, size_t errlen);

/* Closes the sockets and frees the handle; updates still queued are
 * dropped (call nfq_ct_flush() first).  NULL ok. */
void nfq_ct_close(struct nfq_ct *ct);

/* Called once per entry.  conn is valid during the call only.  Return 0
 * to go on, anything else to stop the walk (nfq_ct_walk returns it; use
 * a positive value to tell it from nfq_ct_walk's own -1). */
typedef int (*nfq_ct_fn)(void *arg, const struct nfq_conn *conn);

/*
 * Streams every conntrack entry of the handle's network namespace, IPv4
 * and IPv6, to fn.  With mask != 0 only entries whose (ct mark & mask) ==
 * (mark & mask) are delivered; the kernel filters (CTA_MARK and
 * CTA_MARK_MASK on the dump request) so the others never cross netlink.
 * Undecided is not one mark/mask pair: walk (0, NFQ_MARK_MASK) and
 * (NFQ_MARK_PENDING, NFQ_MARK_PENDING) for no decision and the pending
 * values.
 * First snapshots this host's addresses and neighbours (rtnetlink
 * RTM_GETADDR, RTM_GETNEIGH dumps) into bounded tables (1024 addresses,
 * 4096 neighbours; the rest counted in stats.hosts_dropped), for covered
 * and src_mac.  No allocation per entry; memory is bounded whatever the
 * table size (the kernel sends at most 32 KiB of entries per read).  fn
 * may call nfq_ct_set_mark() on the same handle (a mark change does not
 * move an entry in the kernel's table).  The dump is not a snapshot:
 * entries created or destroyed meanwhile may or may not appear, and one
 * may rarely come twice (the kernel resumes a dump by its position in the
 * hash table); setting the same mark twice is harmless.
 * Returns 0 when every entry was delivered, fn's non-zero value when it
 * stopped the walk, or -1 with errno: EPERM (no CAP_NET_ADMIN), ENOMEM,
 * or a socket error.
 */
int nfq_ct_walk(struct nfq_ct *ct, uint32_t mark, uint32_t mask, nfq_ct_fn fn, void *arg);

/*
 * Changes the bits in mask of conn's ct mark to those of mark; the other
 * bits stay (CTA_MARK_MASK: the kernel computes (old & ~mask) ^ (mark &
 * mask), ctnetlink_change_mark()).  The connection is found by its
 * original tuple and zone (conn as nfq_ct_walk delivered it).  Updates
 * are queued and sent in batches of up to 32 KiB (a few hundred) when
 * the batch is full; call nfq_ct_flush() to send the rest.  Callable from
 * inside a walk callback.  Returns 0, or -1 with errno: EAFNOSUPPORT (not
 * IPv4/IPv6), or a send error (the batch is dropped and counted failed).
 */
int nfq_ct_set_mark(struct nfq_ct *ct, const struct nfq_conn *conn, uint32_t mark, uint32_t mask);

/* Sends the queued updates and collects the kernel's answers.  A
 * connection that ended meanwhile (ENOENT) is counted in stats.gone, not
 * an error.  Returns 0 when every update since the last flush was applied
 * (or found gone), or -1 with errno of the first failure (counted in
 * stats.failed; ENOBUFS: answers were lost, stats.lost). */
int nfq_ct_flush(struct nfq_ct *ct);

void nfq_ct_stats(const struct nfq_ct *ct, struct nfq_ct_stats *st);

/* The decision a ct mark carries (only the bits of nfq_int.h's NFQ_MARK_MASK count). */
enum nfq_ct_decision nfq_ct_decision_of(uint32_t mark);
/* The decision the daemon enforces for a verdict: block and reject unless
 * in audit mode, allow otherwise (log is allow). */
enum nfq_ct_decision nfq_ct_decision_for(const struct rules_verdict *v);
/* "allow", "block", "reject", "undecided". */
const char *nfq_ct_decision_name(enum nfq_ct_decision d);
/* "forward", "output", "local". */
const char *nfq_ct_cover_name(enum nfq_ct_cover c);
/* "ESTABLISHED", "SYN_SENT", ... (conntrack's names); "?" if unknown. */
const char *nfq_ct_tcp_state_name(uint8_t state);

#endif
