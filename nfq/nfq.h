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
};

/* Runs the daemon until SIGTERM/SIGINT.  Returns the process exit code
 * (0 clean stop, 1 error).  Logs through util/log.h. */
int nfq_run(const struct nfq_opts *opts);

/* Parses one IPv4/IPv6 packet (starting at the IP header) into *flow:
 * addresses, protocol (after IPv6 extension headers), ports or ICMP
 * type/code.  Never reads past len.  Returns 0 when the addresses were
 * read (fields it could not read are marked absent: has_ports = 0,
 * proto = 0 for an unterminated extension-header chain), -1 when not even
 * the IP header could be read.  has_mac, src_mac, iif and oif are left
 * as they were (they come from the queue, not the packet). */
int nfq_parse_packet(const uint8_t *pkt, size_t len, struct rules_flow *flow);

/* Client side of the control socket: sends cmd ("stats", "stats json",
 * "reload", "reopen") and copies the reply text to out.  Returns 0 when
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

#endif
