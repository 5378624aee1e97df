/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state, shared by the files of the running daemon: daemon.c
 * (start, main loop, signals, control socket), worker.c (queue threads and
 * the decisions), reload.c (policy and database loading and swap),
 * guard.c (fail mode, held state, ruleset watch and repairs), sweep.c
 * (conntrack sweeps), names.c, stats.c and metrics.c (the counters'
 * outputs).  Each function below is filed under its .c.  Private to nfq/. */
#ifndef GEOEGRESS_NFQ_DAEMON_INT_H
#define GEOEGRESS_NFQ_DAEMON_INT_H

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "nfq/nfq_int.h"

#define NFQ_VC_SLOTS 4096	/* verdict cache entries (blocked-flow retries) */
#define NFQ_IFC_SLOTS 64	/* interface name cache */

struct nfq_counters {
	uint64_t packets;		/* every packet decided, malformed included */
	uint64_t by_action[RULES_NACTION];		/* by the policy's action (audit included) */
	uint64_t by_action_cc[RULES_NACTION][GEO_CC_SLOTS + 1];	/* both: action, then the country
							 * (the last slot: unknown) */
	uint64_t audit_passed;
	uint64_t by_cc[GEO_CC_SLOTS];
	uint64_t cc_unknown;
	uint64_t malformed;		/* not even an IP header */
	uint64_t cache_hits;		/* retries answered from the verdict cache */
	uint64_t named, unnamed;	/* new flows whose destination a DNS answer of the
					 * device explained, or not (names learned only;
					 * flows to port 53 are not counted) */
	uint64_t names_busy;		/* name lookups that gave up (the cache kept changing) */
	uint64_t names_waited;		/* misses that waited for answers being learned */
};

/* A recent block/reject, so retries of the same flow skip lookup+eval. */
struct nfq_vc_entry {
	int64_t expires_ms;		/* monotonic; 0 = empty */
	uint8_t family, proto, has_mac;
	uint8_t mac[6];
	uint16_t sport, dport;
	uint16_t icmp_id;		/* echo identifier: two pings are two flows */
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
	struct geo_db *nasn;		/* option asn-database, or NULL */
	char *msg;
	size_t msglen;
	/* clients waiting for this run's answer, and for the next run's */
	int cur[NFQ_RELOAD_WAITERS], ncur;
	int next[NFQ_RELOAD_WAITERS], nnext;
};

/* Policy and databases in force, swapped as one (worker.c explains how). */
struct nfq_config {
	struct rules_policy *policy;
	struct geo_db *db;
	struct geo_db *asn_db;		/* option asn-database, or NULL */
	uint64_t gen;			/* 1, 2, ... one per successful load */
	time_t loaded;			/* realtime */
};

struct nfq_daemon;
struct nfq_sweep;

/* What the conntrack sweeps did (sweep.c); all counts since start. */
struct nfq_sweep_stats {
	int enabled;			/* conntrack could be opened */
	uint64_t runs;
	int last_all;			/* the last sweep re-decided everything (reload) */
	uint64_t last_seen;		/* covered connections it looked at */
	uint64_t last_undecided;	/* ... of which carried no decision */
	int64_t last_ms;		/* its duration */
	int64_t last_at;		/* realtime seconds */
	uint64_t undecided_found;	/* connections found without a decision */
	uint64_t changed;		/* marks written (decided, or decided anew) */
	uint64_t decided[4];		/* by enum nfq_ct_decision */
};

/* What the daemon knows about a flow's destination (worker.c). */
struct nfq_dest {
	struct geo_answer geo;
	struct geo_asn asn;
	struct dns_names names;		/* the device's answers' names for it */
	struct rules_dest rd;		/* for rules_eval_dest: points into the above */
	int busy;			/* the name cache did not answer */
};

/* One queue, one thread. */
struct nfq_worker {
	struct nfq_daemon *d;
	pthread_t thread;
	int started;
	uint16_t queue;
	struct nfq_queue *q;
	int active;			/* atomic: inside a batch */
	uint64_t gen_in_use;		/* atomic: config generation of that batch */
	int failed;			/* atomic: the queue socket failed */
	struct nfq_config *cfg;		/* this batch's config, NULL between batches */
	uint64_t cache_gen;		/* the caches below belong to this generation */
	int logged;			/* this batch wrote to the decision log */
	int64_t now_ms;			/* monotonic, per batch */
	struct timespec now_rt;		/* realtime, per batch */
	struct nfq_counters c;
	struct nfq_dest dest;		/* the packet being decided */
	struct nfq_vc_entry vc[NFQ_VC_SLOTS];
	struct nfq_ifc_entry ifc[NFQ_IFC_SLOTS];
};

struct nfq_daemon {
	const struct nfq_opts *opts;
	struct nfq_config *cfg;		/* atomic pointer; written by the main thread only */
	uint64_t next_gen;
	struct nfq_declog *declog;
	pthread_mutex_t declog_lock;	/* the decision log is shared by the workers */
	struct nfq_hook *hookh;		/* NULL with --no-hook */
	enum nfq_hook_kind hook;	/* NONE until installed (and with --no-hook) */
	enum nfq_hook_form form;
	struct nfq_hook_cfg hookcfg;
	int fail_open;
	struct nfq_state state;		/* as last written to the state file */
	/* hook integrity (guard.c: the watch and repairs) */
	struct nfq_watch *watch;
	uint64_t repairs;
	time_t last_repair;		/* realtime; 0 never */
	char last_change[320];		/* what changed, by whom */
	int hook_broken;		/* not intact and not yet restored: retried each second */
	int64_t repair_window_s;	/* rate limit against a tool fighting us */
	int64_t last_repair_mono;
	unsigned repair_window_n;
	uint64_t undecided;		/* packets that reached `enforce` undecided (total) */
	uint64_t undecided_at_start;	/* of them, counted before this daemon decided */
	uint64_t undecided_warned;
	int64_t undecided_warn_s;
	int ctlfd, sigfd;
	int stop;			/* atomic: tells the workers to stop */
	int stopping;			/* SIGTERM/SIGINT seen: the main loop ends */
	int pid_written;
	time_t started;			/* realtime */
	int64_t last_tick_s;		/* monotonic */
	int64_t last_fail_warn_s;
	int64_t syslog_warn_s;		/* the last warning about records not sent */
	struct {			/* metrics.c: option metrics-file */
		char *path;		/* the file this daemon writes, NULL none */
		int64_t next_s;		/* monotonic: when to write next */
		int64_t warned_s;	/* last failure warning */
		uint64_t written, failed;
	} metrics;
	uint64_t reloads_ok, reloads_failed;
	struct nfq_worker **w;
	int nworkers;
	struct nfq_reload reload;
	struct nfq_sweep *sweep;	/* NULL when conntrack cannot be read */
	struct nfq_names *names;	/* the NFLOG reader and name cache; NULL when
					 * names are not learned */
};

/* worker.c */
/* Binds one queue per worker; returns -1 with a message in err. */
int nfq_workers_open(struct nfq_daemon *d, uint16_t first, uint16_t count, char *err, size_t errlen);
int nfq_workers_start(struct nfq_daemon *d);
/* Sets the stop flag and joins the threads (an idle one within 200 ms). */
void nfq_workers_stop(struct nfq_daemon *d);
void nfq_workers_close(struct nfq_daemon *d);	/* unbinds the queues */
int nfq_workers_failed(const struct nfq_daemon *d);
/* Returns when no worker is in a batch that began before config gen. */
void nfq_workers_quiesce(struct nfq_daemon *d, uint64_t gen);

/* Fills x with what the daemon knows about f's destination under cfg:
 * country, AS, the names f's device's DNS answers gave it (now_s: the
 * names' clock, nfq_names_now()).  No allocation, no lock. */
void nfq_dest_lookup(const struct nfq_daemon *d, const struct nfq_config *cfg, const struct rules_flow *f,
		     uint32_t now_s, struct nfq_dest *x);
/* nfq_dest_lookup() and the policy's verdict on it: the decision of the
 * workers and of the sweep alike. */
void nfq_decide(const struct nfq_daemon *d, const struct nfq_config *cfg, const struct rules_flow *f,
		uint32_t now_s, struct nfq_dest *x, struct rules_verdict *v);
/* Copies the host, AS and organisation of x into a log record. */
void nfq_declog_dest(struct nfq_declog_rec *r, const struct nfq_dest *x);

/* Marks a verdict gives (hook.c's rules act on them): NFQ_MARK_ALLOW/BLOCK/REJECT, or 0 for a
 * new flow that is simply dropped.  existing: the connection was
 * established before its decision. */
uint32_t nfq_verdict_mark(const struct rules_verdict *v, uint8_t proto, int existing);

/* sweep.c: decides connections that carry no decision, and all of them
 * again after a reload (its own thread and conntrack handle). */
#define NFQ_SWEEP_UNDECIDED 1u
#define NFQ_SWEEP_ALL 2u
/* NULL (after a warning) when conntrack cannot be opened. */
struct nfq_sweep *nfq_sweep_new(struct nfq_daemon *d);
/* Decides the undecided connections now, in the calling thread (at start,
 * before the hook goes in).  0, or -1 (logged). */
int nfq_sweep_now(struct nfq_sweep *sw);
int nfq_sweep_start(struct nfq_sweep *sw);	/* the thread; NULL ok */
void nfq_sweep_request(struct nfq_sweep *sw, unsigned kind);	/* NULL ok */
/* 1 while a sweep holds a config older than generation gen. */
int nfq_sweep_busy_with_older(const struct nfq_sweep *sw, uint64_t gen);
void nfq_sweep_stats(const struct nfq_sweep *sw, struct nfq_sweep_stats *st);
void nfq_sweep_free(struct nfq_sweep *sw);	/* stops the thread; NULL ok */

/* daemon.c: a new config (policy and db are taken over). */
struct nfq_config *nfq_config_new(struct nfq_daemon *d, struct rules_policy *p, struct geo_db *db);
void nfq_config_free(struct nfq_config *c);	/* NULL ok */

/* reload.c */
/* Parses the policy; logs the diagnostics.  Returns it, or NULL with the
 * errors copied to msg (may be NULL) and the first one's text in first
 * (may be NULL; firstlen bytes). */
struct rules_policy *nfq_parse_policy(const char *conf, FILE *msg, char *first, size_t firstlen);
/* Opens the policy's database; warns when it is old.  Returns it, or NULL
 * with the message logged, copied to msg (may be NULL) and to first. */
struct geo_db *nfq_open_db(const struct rules_policy *p, FILE *msg, char *first, size_t firstlen);
/* Opens the policy's AS database (option asn-database) into *out (NULL
 * when the policy names none).  Returns 0, or -1 with the message logged,
 * copied to msg and first (may be NULL). */
int nfq_open_asn_db(const struct rules_policy *p, FILE *msg, char *first, size_t firstlen,
		    struct geo_db **out);
/* All three.  Returns 0, or -1 after logging (errors also to msg, may be NULL). */
int nfq_load_config(const char *conf, struct rules_policy **pp, struct geo_db **dbp, struct geo_db **asnp,
		    FILE *msg);
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

/* names.c: the NFLOG reader and cache for options o (names learned), or
 * NULL with a message in err. */
struct nfq_names *nfq_names_for(const struct rules_options *o, char *err, size_t errlen);

/* guard.c: fail mode, held state, the ruleset watch and repairs (main thread) */
/* Reads the state file, settles the fail mode (policy p, may be NULL when
 * it did not parse), chooses the backend, holds the gateway closed when
 * the fail mode is closed.  Returns -1 when the hook cannot be handled. */
int nfq_guard_init(struct nfq_daemon *d, const struct rules_policy *p);
/* A start failed: holds closed or removes the hook, records reason in the
 * state file, waits the systemd backoff.  Returns -1. */
int nfq_guard_failed(struct nfq_daemon *d, const char *reason);
/* Installs the enforcing hook for o.  Returns 0 or -1 (logged). */
int nfq_guard_enforce(struct nfq_daemon *d, const struct rules_options *o);
/* The daemon is ready: watch the ruleset, record the good load. */
void nfq_guard_started(struct nfq_daemon *d, const char *conf, const struct rules_options *o);
void nfq_guard_reloaded(struct nfq_daemon *d, const char *conf);
/* Stopping: holds closed (fail-mode closed) or removes the hook. */
void nfq_guard_stop(struct nfq_daemon *d, const char *why);
int nfq_guard_fd(const struct nfq_daemon *d);	/* the watch's fd, or -1 */
void nfq_guard_watch(struct nfq_daemon *d);	/* the watch fd is readable */
void nfq_guard_tick(struct nfq_daemon *d, int64_t now_s);	/* once a second */

/* stats.c: writes the `stats` reply (text or JSON) to out. */
void nfq_stats_write(const struct nfq_daemon *d, FILE *out, int json);
/* The same counters in the Prometheus text exposition format (version 0.0.4). */
void nfq_stats_write_prom(const struct nfq_daemon *d, FILE *out);

/* metrics.c: option metrics-file, for node_exporter's textfile collector */
/* Writes the metrics file when it is due (every option metrics-file ...
 * every N; at once after a start or a change of file).  Main thread, once
 * a second; a failure is warned about once a minute at most. */
void nfq_metrics_tick(struct nfq_daemon *d, int64_t now_s);
/* Removes the file this daemon wrote (a clean stop: stale counters would
 * look like a live daemon's). */
void nfq_metrics_stop(struct nfq_daemon *d);
/* Writes the metrics to path atomically: a temporary file in the same
 * directory (mode 0644, for node_exporter's user), renamed over path.
 * Returns 0, or -1 with errno. */
int nfq_metrics_write_file(const struct nfq_daemon *d, const char *path);

#endif
