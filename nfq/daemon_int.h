/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state, shared by daemon.c (loop, decisions, reload) and
 * stats.c (the `stats` reply).  Private to nfq/. */
#ifndef GEOEGRESS_NFQ_DAEMON_INT_H
#define GEOEGRESS_NFQ_DAEMON_INT_H

#include <pthread.h>
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

#define NFQ_RELOAD_WAITERS 16

/* A reload in progress (reload.c). */
struct nfq_reload {
	const char *conf;
	int evfd;			/* the loader thread signals completion */
	int running, joinable, again;
	pthread_t thread;
	/* loader thread's results, read by the main thread after evfd */
	int rc;
	struct rules_policy *np;
	struct geo_db *ndb;
	char *msg;
	size_t msglen;
	/* clients waiting for this run's answer, and for the next run's */
	int cur[NFQ_RELOAD_WAITERS], ncur;
	int next[NFQ_RELOAD_WAITERS], nnext;
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
	struct nfq_reload reload;
	struct nfq_vc_entry vc[NFQ_VC_SLOTS];
	struct nfq_ifc_entry ifc[NFQ_IFC_SLOTS];
};

/* reload.c */
/* Parses the policy and opens its database.  On failure logs the full
 * diagnostics, copies the errors to msg (may be NULL) and returns -1. */
int nfq_load_config(const char *conf, struct rules_policy **pp, struct geo_db **dbp, FILE *msg);
/* Configures the decision log from o; logs a warning when it cannot open. */
int nfq_open_log(struct nfq_daemon *d, const struct rules_options *o);
int nfq_reload_init(struct nfq_reload *r, const char *conf);
/* Starts a reload (or queues one more after the running one).  client_fd
 * (or -1) gets the "ok"/"error" reply and is closed when it is done. */
void nfq_reload_request(struct nfq_daemon *d, int client_fd);
/* The loader thread signalled: swap in or report, answer the clients. */
void nfq_reload_finish(struct nfq_daemon *d);
/* At exit: waits for a running loader, answers waiting clients. */
void nfq_reload_cleanup(struct nfq_daemon *d);

/* stats.c: writes the `stats` reply (text or JSON) to out. */
void nfq_stats_write(const struct nfq_daemon *d, FILE *out, int json);

#endif
