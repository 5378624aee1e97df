/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfq internals shared between the daemon's files (not a public API:
 * only the nfq/ sources and tests/nfq include it).
 */
#ifndef GEOEGRESS_NFQ_INT_H
#define GEOEGRESS_NFQ_INT_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "geo/geo.h"
#include "nfq/nfq.h"
#include "rules/rules.h"

/*
 * Decision marks.  A verdict sets the packet mark within NFQ_MARK_MASK and
 * answers NF_REPEAT; our chain then saves the mark to the connmark and
 * returns (allow), or rejects (reject).  Block is answered NF_DROP at
 * once.  Bits outside the mask are left alone for the admin's own use.
 */
#define NFQ_MARK_MASK	0x00e00000u
#define NFQ_MARK_ALLOW	0x00200000u
#define NFQ_MARK_BLOCK	0x00400000u
#define NFQ_MARK_REJECT	0x00600000u
/* Set by our first chain on a packet whose connection carries no decision
 * yet; the queue rule matches the bit NFQ_MARK_PENDING.  The value says
 * what the kernel knew of the connection (hook.c has the rules). */
#define NFQ_MARK_PENDING	0x00800000u	/* bit: queue me */
#define NFQ_MARK_PENDING_NEW	0x00800000u	/* ct state new */
#define NFQ_MARK_PENDING_EST	0x00a00000u	/* established/related: it existed undecided */
#define NFQ_MARK_PENDING_NOCT	0x00c00000u	/* invalid/untracked: no connection to mark */

/* Counters are written by one worker and read by `stats` in the main
 * thread: relaxed atomic loads/stores, no locked instructions. */
#define CNT_INC(x) __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)
#define CNT_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* ---- hook.c: the firewall hook ---- */
enum nfq_hook_kind { NFQ_HOOK_NONE = 0, NFQ_HOOK_NFT, NFQ_HOOK_IPTABLES };

struct nfq_hook_cfg {
	unsigned hooks;		/* RULES_HOOK_* */
	uint16_t queue_first;
	uint16_t queue_count;
	int fail_open;		/* queue bypass */
};

/* 1 when nft's `queue` expression works in this kernel, else 0. */
int nfq_hook_probe_nft(void);
/* Removes any hook of ours (nft table and iptables/ip6tables chains), then
 * installs kind.  Returns 0, or -1 with a message in err. */
int nfq_hook_install(enum nfq_hook_kind kind, const struct nfq_hook_cfg *cfg,
		     char *err, size_t errlen);
/* Removes every hook of ours; quiet and idempotent.  Safe in fatal paths. */
void nfq_hook_remove(void);
const char *nfq_hook_kind_name(enum nfq_hook_kind kind);

/* ---- queue.c: netlink queue I/O ---- */
struct nfq_queue;

/* One queued packet as handed to the decision callback. */
struct nfq_pkt {
	uint32_t id;
	uint16_t queue;
	const uint8_t *payload;
	size_t len;
	const uint8_t *hwaddr;	/* 6 bytes or NULL */
	uint32_t indev, outdev;
	uint32_t mark;		/* the packet's mark when queued */
};

/* What the callback answers: NF_ACCEPT / NF_DROP / NF_REPEAT and, when
 * set_mark, the packet's whole new mark (keep the bits outside
 * NFQ_MARK_MASK from nfq_pkt.mark). */
struct nfq_answer {
	uint32_t verdict;
	uint32_t mark;
	int set_mark;
};

typedef void (*nfq_decide_fn)(void *arg, const struct nfq_pkt *pkt, struct nfq_answer *ans);

struct nfq_queue_stats {
	uint64_t enobufs;	/* receive overruns (ENOBUFS) */
	uint64_t send_errors;
	uint64_t batches;
};

/* Binds queues first..first+count-1 on one netlink socket.  Returns NULL
 * and a message in err (e.g. queue in use by another program). */
struct nfq_queue *nfq_queue_open(uint16_t first, uint16_t count, int fail_open,
				 char *err, size_t errlen);
int nfq_queue_fd(const struct nfq_queue *q);
/* Receives every waiting packet (the first recv blocks unless nonblock),
 * decides each with fn, sends the verdicts in one batch.  Returns the
 * number of packets decided, or -1 with errno on a socket error. */
int nfq_queue_process(struct nfq_queue *q, nfq_decide_fn fn, void *arg, int nonblock);
void nfq_queue_stats(const struct nfq_queue *q, struct nfq_queue_stats *st);
void nfq_queue_close(struct nfq_queue *q);	/* unbinds; NULL ok */

/* Kernel counters of /proc/net/netfilter/nfnetlink_queue, summed over
 * queues first..first+count-1.  Returns 0, or -1 when not readable. */
struct nfq_kstats {
	uint64_t queue_total, queue_dropped, user_dropped, id_sequence;
};
int nfq_kstats_read(const char *path, uint16_t first, uint16_t count, struct nfq_kstats *ks);

/* ---- declog.c: the decision log (doc/log-format.md) ---- */
struct nfq_declog;

/* One decision to log.  Strings may be NULL. */
struct nfq_logrec {
	struct timespec ts;		/* CLOCK_REALTIME */
	struct rules_flow flow;
	enum rules_action action;
	uint8_t audit, is_default;
	int line;
	const char *rule_name;
	const char *device;
	geo_cc country;
	geo_cc db_code;			/* rules_verdict.db_code: written when set */
	uint8_t via;			/* rules_verdict.via, via_v4: written when set */
	uint8_t via_v4[4];
	char in[IF_NAMESIZE], out[IF_NAMESIZE];
};

struct nfq_declog_stats {
	uint64_t written;	/* records written (folded records included) */
	uint64_t folded;	/* decisions log-rate or its cap did not write one by one,
				 * carried by folded records */
	uint64_t retries;	/* retries, carried by retries records */
	uint64_t failed;	/* records lost to write errors */
};

/* What a record that stands for several decisions says (flags of
 * nfq_logrec_format): */
#define NFQ_FOLD_RATE	0x1	/* "folded": decisions log-rate did not write one by one */
#define NFQ_FOLD_CAP	0x2	/* "over_cap": ... because the total cap was used up */

/* Formats one record (no newline) into buf: count decisions, of which
 * retries were retries ("retries", written when > 0), flags NFQ_FOLD_*.
 * Returns the length, or 0 when it did not fit. */
size_t nfq_logrec_format(char *buf, size_t len, const struct nfq_logrec *r,
			 uint32_t count, uint32_t retries, unsigned flags);

struct nfq_declog *nfq_declog_new(void);
/* Sets file ("" or NULL = none), syslog, and rate (records per device per
 * period seconds; 0 = unlimited, no cap either); (re)opens the file.  Pending folded
 * records are written first.  Returns 0, or -1 with errno when the file
 * cannot be opened (the log then counts failures; filtering goes on). */
int nfq_declog_configure(struct nfq_declog *d, const char *path, int use_syslog,
			 uint32_t rate, uint32_t period);
/* Caps the records of all devices together: at most total per period
 * seconds (0 = no cap; the policy's option log-rate ... total).  What the
 * cap stops is folded into one "over_cap" record per action, written when
 * the period ends (doc/log-format.md). */
void nfq_declog_cap(struct nfq_declog *d, uint32_t total, uint32_t period);
/* Logs one decision, rate limited per device (the source MAC when the
 * record has one, else the source address) and by the cap.  now_s: a
 * monotonic second counter. */
void nfq_declog_add(struct nfq_declog *d, const struct nfq_logrec *r, time_t now_s);
/* Counts a retry: a repeat of an attempt already decided (a retransmitted
 * SYN, the next echo request of the same ping), answered from the verdict
 * cache.  Not written one by one: when the device's period ends, one
 * record with "retries" and "count" N (not "folded") carries the last. */
void nfq_declog_retry(struct nfq_declog *d, const struct nfq_logrec *r, time_t now_s);
/* Writes folded records whose period has ended (all when force). */
void nfq_declog_tick(struct nfq_declog *d, time_t now_s, int force);
/* Writes buffered records.  Call once per batch. */
void nfq_declog_flush(struct nfq_declog *d);
/* Reopens the file (logrotate).  Returns 0 or -1 with errno. */
int nfq_declog_reopen(struct nfq_declog *d);
void nfq_declog_stats(const struct nfq_declog *d, struct nfq_declog_stats *st);
/* Failures since the last call and the last errno; for rate-limited warnings. */
uint64_t nfq_declog_take_failures(struct nfq_declog *d, int *err);
void nfq_declog_free(struct nfq_declog *d);	/* flushes; NULL ok */

/* ---- ctl.c: control socket ---- */
/* Creates the listening socket (directory 0700, socket 0600).  Returns the
 * fd, or -1 with a message in err (another daemon listening: EADDRINUSE).
 * *made_dir (may be NULL) is set when the socket's directory was created. */
int nfq_ctl_listen(const char *path, int *made_dir, char *err, size_t errlen);
/* 1 when something answers on path. */
int nfq_ctl_alive(const char *path);

/* ---- privdrop.c ---- */
/* Becomes user keeping only CAP_NET_ADMIN (also ambient, for iptables/nft
 * at exit), sets no_new_privs; hands log_file and ctl_dir (may be NULL)
 * to the user first.  Returns 0, or -1 with a message in err. */
int nfq_drop_privileges(const char *user, const char *log_file, const char *ctl_dir,
			char *err, size_t errlen);

/* ---- ctl.c: sd_notify ---- */
/* Sends a sd_notify datagram to $NOTIFY_SOCKET; nothing when unset. */
void nfq_sd_notify(const char *state);

#endif
