/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state, shared by daemon.c (loop, decisions, reload) and
 * stats.c (the `stats` reply).  Private to nfq/. */
#ifndef GEOEGRESS_NFQ_DAEMON_INT_H
#define GEOEGRESS_NFQ_DAEMON_INT_H

#include <stdio.h>
#include <time.h>

#include "nfq/nfq_int.h"

#define NFQ_CC_SLOTS (26 * 26)
#define NFQ_VC_SLOTS 4096	/* verdict cache entries (blocked-flow retries) */
#define NFQ_IFC_SLOTS 64	/* interface name cache */

struct nfq_counters {
	uint64_t packets;		/* every packet decided, malformed included */
	uint64_t by_action[4];		/* by the policy's action (audit included) */
	uint64_t audit_passed;
	uint64_t by_cc[NFQ_CC_SLOTS];
	uint64_t cc_unknown;
	uint64_t malformed;		/* not even an IP header */
	uint64_t cache_hits;		/* retries answered from the verdict cache */
	uint64_t reloads_ok, reloads_failed;
};

/* A recent block/reject, so retries of the same flow skip lookup+eval. */
struct nfq_vc_entry {
	int64_t expires_ms;		/* monotonic; 0 = empty */
	uint8_t family, proto, has_mac;
	uint8_t mac[6];
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
	struct rules_verdict v;		/* points into the policy: flushed on reload */
};

struct nfq_ifc_entry {
	uint32_t index;
	char name[IF_NAMESIZE];
};

struct nfq_daemon {
	const struct nfq_opts *opts;
	struct rules_policy *policy;
	struct geo_db *db;
	struct nfq_queue *q;
	struct nfq_declog *log;
	enum nfq_hook_kind hook;
	struct nfq_hook_cfg hookcfg;
	int fail_open;
	int ctlfd, sigfd;
	int stop;
	int pid_written;
	char *db_path;
	time_t started;			/* realtime */
	time_t policy_loaded;		/* realtime */
	int64_t last_tick_s;		/* monotonic */
	int64_t last_fail_warn_s;
	int64_t now_ms;			/* monotonic, per batch */
	struct timespec now_rt;		/* realtime, per batch */
	struct nfq_counters c;
	struct nfq_vc_entry vc[NFQ_VC_SLOTS];
	struct nfq_ifc_entry ifc[NFQ_IFC_SLOTS];
};

/* stats.c: writes the `stats` reply (text or JSON) to out. */
void nfq_stats_write(const struct nfq_daemon *d, FILE *out, int json);

#endif
