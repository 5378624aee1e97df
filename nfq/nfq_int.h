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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns.h"
#include "geo/geo.h"
#include "nfq/nfq.h"
#include "rules/rules.h"

/* Zeroed memory that is resident from the start: calloc() of a large
 * block maps zero pages the kernel backs only when first written, so
 * buffers sized for the worst burst (a full recvmmsg batch, a conntrack
 * dump read) would grow the resident size the first time a flood fills
 * them.  The daemon's memory is then what it holds from start, and a test
 * of flat memory sees growth only from real allocation.  NULL: no memory.
 * Free with free(). */
static inline void *nfq_alloc_resident(size_t n)
{
	void *p = calloc(1, n);

	if (p)
		memset(p, 0, n);	/* touch every page now */
	return p;
}

/*
 * Decision marks.  A verdict sets the packet mark within NFQ_MARK_MASK and
 * answers NF_REPEAT; our last chain (hook.c's `enforce`) then saves the
 * mark to the connmark and accepts (allow), drops (block) or rejects
 * (reject).  A new flow that is blocked is answered NF_DROP at once, with
 * no mark (nfq_verdict_mark, worker.c).  Bits outside the mask are left
 * alone for the admin's own use.
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

/* ---- hook.c: the firewall hook (table inet geoegress; hook.c explains) ---- */
/* Where the queue rule lives: nft's `queue` in our table, or iptables-nft. */
enum nfq_hook_kind { NFQ_HOOK_NONE = 0, NFQ_HOOK_NFT, NFQ_HOOK_IPTABLES };
/* ENFORCE: pending packets go to the queue.  HELD: no queue; pending
 * packets are dropped and counted (fail-mode closed while no daemon decides). */
enum nfq_hook_form { NFQ_HOOK_ENFORCE = 0, NFQ_HOOK_HELD };

struct nfq_hook_cfg {
	unsigned hooks;		/* RULES_HOOK_* */
	uint16_t queue_first;
	uint16_t queue_count;
	int fail_open;		/* queue bypass; undecided packets accepted (else dropped) */
	int names;		/* copy DNS answers to NFLOG group names_group (names.c) */
	uint16_t names_group;
};

struct nfq_hook;

/* A handle with its own libnftables context; one thread at a time.
 * Returns NULL with a message in err. */
struct nfq_hook *nfq_hook_new(char *err, size_t errlen);
void nfq_hook_free(struct nfq_hook *h);		/* leaves the rules; NULL ok */
/* The last error's text (nft's or iptables' first line). */
const char *nfq_hook_error(const struct nfq_hook *h);
/* 1 when nft's `queue` expression works in this kernel, else 0. */
int nfq_hook_probe_nft(struct nfq_hook *h);
/* Installs (or atomically replaces: one nft transaction) our table in the
 * given form, and for NFQ_HOOK_IPTABLES + ENFORCE the mangle queue rules;
 * removes what the form does not use.  Remembers the result for
 * nfq_hook_verify().  Returns 0, or -1 (nfq_hook_error() says why). */
int nfq_hook_install(struct nfq_hook *h, enum nfq_hook_kind kind, enum nfq_hook_form form,
		     const struct nfq_hook_cfg *cfg);
/* The last install again (a repair): the table and the queue rules, each
 * only when it is not as installed (a replaced table drops what is in the
 * queue).  Returns 0 or -1. */
int nfq_hook_reinstall(struct nfq_hook *h);
/* Compares the ruleset with what the last install made.  Returns 0 when
 * intact, 1 when not (what: which part changed), -1 on error. */
int nfq_hook_verify(struct nfq_hook *h, char *what, size_t len);
/* Removes every rule of ours (table, iptables rules, the mangle chains we
 * created when left empty); quiet and idempotent. */
void nfq_hook_remove(struct nfq_hook *h);
/* 1 when our table exists (*held: in the held form, may be NULL). */
int nfq_hook_present(struct nfq_hook *h, int *held);
/* 1 when an iptables rule of ours exists in mangle. */
int nfq_hook_ipt_present(struct nfq_hook *h);
/* Packets that reached the last chain without a decision, since this
 * handle was made (counts of tables it replaced included).  0 or -1. */
int nfq_hook_undecided(struct nfq_hook *h, uint64_t *count);
/* 1 when iptables is iptables-legacy (its rules are not nftables'). */
int nfq_hook_legacy_iptables(const struct nfq_hook *h);
const char *nfq_hook_kind_name(enum nfq_hook_kind kind);

/* ---- watch.c: nftables ruleset changes (NFNLGRP_NFTABLES) ---- */
struct nfq_watch;

/* Subscribes to ruleset events.  Returns NULL with a message in err. */
struct nfq_watch *nfq_watch_open(char *err, size_t errlen);
int nfq_watch_fd(const struct nfq_watch *w);	/* poll for POLLIN */
/* Reads what is waiting.  Returns 1 when a transaction that touched a
 * table of ours ended (who: "process[pid]" that made it) or events were
 * lost, 0 when nothing of ours changed, -1 on a socket error. */
int nfq_watch_read(struct nfq_watch *w, char *who, size_t wholen);
/* 1 when family/table is inet geoegress or ip/ip6 mangle. */
int nfq_watch_is_ours(uint8_t family, const char *table);
void nfq_watch_close(struct nfq_watch *w);	/* NULL ok */

/* ---- state.c: the state file (fail mode of the last good load, held state) ---- */
#define NFQ_DEFAULT_STATE_DIR "/var/lib/geoegress"

struct nfq_state {
	int valid;		/* the file existed with content */
	int fail_closed;	/* fail mode of the last policy that loaded */
	char policy[1024];	/* its path */
	unsigned hooks;		/* its RULES_HOOK_* (0: unknown) */
	time_t good_at;		/* last successful start or reload; 0 never */
	int held;		/* the gateway is held closed: no daemon decides */
	time_t held_since;
	char reason[512];	/* why it is held (or why the last start failed) */
	int lifted;		/* `geoegress unlock`: don't hold until the next good start */
	unsigned failures;	/* consecutive failed starts (systemd backoff) */
};

/* dir NULL = NFQ_DEFAULT_STATE_DIR.  read: 0, or -1 with errno (ENOENT: no
 * state yet; *st is zeroed either way).  write: atomic (rename) where the
 * directory allows, else in place; 0 or -1 with errno. */
int nfq_state_read(const char *dir, struct nfq_state *st);
int nfq_state_write(const char *dir, const struct nfq_state *st);
void nfq_state_path(const char *dir, char *buf, size_t len);

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

/* What nfq_queue_process() calls for the packets that were waiting
 * together (one batch): begin once before the first packet (after the
 * wait, so a worker blocked in recv holds nothing), decide once per
 * packet, end once after the batch's verdicts were sent, also when the
 * socket failed (and only when begin ran). */
struct nfq_batch {
	void (*begin)(void *arg);
	nfq_decide_fn decide;
	void (*end)(void *arg);
	void *arg;
};

struct nfq_queue_stats {
	uint64_t enobufs;	/* receive overruns (ENOBUFS) */
	uint64_t send_errors;
	uint64_t batches;
};

/* Binds queues first..first+count-1 on one netlink socket of its own (the
 * daemon opens one per worker, count 1: worker.c).  Returns NULL and a
 * message in err (e.g. queue in use by another program). */
struct nfq_queue *nfq_queue_open(uint16_t first, uint16_t count, int fail_open,
				 char *err, size_t errlen);
int nfq_queue_fd(const struct nfq_queue *q);
/* Receives every waiting packet (the first recv blocks unless nonblock),
 * decides each with b->decide, sends the verdicts in one message, between
 * b->begin and b->end.  Returns the number of packets decided, or -1 with
 * errno on a socket error. */
int nfq_queue_process(struct nfq_queue *q, const struct nfq_batch *b, int nonblock);
void nfq_queue_stats(const struct nfq_queue *q, struct nfq_queue_stats *st);
void nfq_queue_close(struct nfq_queue *q);	/* unbinds; NULL ok */

/* Kernel counters of /proc/net/netfilter/nfnetlink_queue, summed over
 * queues first..first+count-1.  Returns 0, or -1 when not readable. */
struct nfq_kstats {
	uint64_t queue_total, queue_dropped, user_dropped, id_sequence;
};
int nfq_kstats_read(const char *path, uint16_t first, uint16_t count, struct nfq_kstats *ks);

/* ---- declog.c: the decision log (doc/log-format.md) ---- */
/* What a remote syslog target did (syslog5424.c). */
struct nfq_syslog_stats {
	uint64_t sent;		/* messages handed whole to the socket */
	uint64_t dropped;	/* messages lost: queue full, no socket, send errors */
	uint64_t connects;	/* TCP connections begun */
	int last_errno;		/* of the last failure */
	int connected;		/* TCP: the connection is up; UDP: a socket is open */
	size_t queued;		/* TCP: bytes waiting */
};

struct nfq_declog;

/* One decision to log.  A record owns its strings (fixed buffers, no
 * allocation per packet): the rate limiter keeps the last folded record
 * of a device across batches, and a reload frees the old policy, whose
 * rule and set names a record would otherwise point into, whenever it
 * likes (tests/nfq/test_declog.c: a record outlives its policy).  The one
 * exception is as_org, borrowed from the AS database: the reload writes
 * out the records of a config (nfq_declog_tick, flush) before it frees
 * that config's databases (reload.c). */
#define NFQ_HOST_MAX 253		/* a DNS name, text form */

struct nfq_declog_rec {
	struct timespec ts;		/* CLOCK_REALTIME */
	struct rules_flow flow;
	enum rules_action action;
	uint8_t audit, is_default;
	uint8_t existing;		/* the connection existed before its decision */
	int line;
	uint8_t has_rule_name, has_device;	/* 0: absent (null in the log) */
	char rule_name[RULES_RULE_NAME_MAX + 1];	/* nfq_declog_names() sets */
	char device[RULES_SET_NAME_MAX + 1];	/* both: the device set's name */
	geo_cc country;
	geo_cc db_code;			/* rules_verdict.db_code: written when set */
	uint8_t via;			/* rules_verdict.via, via_v4: written when set */
	uint8_t via_v4[4];
	char in[IF_NAMESIZE], out[IF_NAMESIZE];
	char host[NFQ_HOST_MAX + 1];	/* the name the device asked for, or "" */
	uint32_t asn;			/* 0: unknown */
	const char *as_org;		/* belongs to the AS database (kept until the
					 * records of its config are written) */
};

struct nfq_declog_stats {
	uint64_t written;	/* records written (folded records included) */
	uint64_t folded;	/* decisions log-rate or its cap did not write one by one,
				 * carried by folded records */
	uint64_t retries;	/* retries, carried by retries records */
	uint64_t failed;	/* records lost to write errors */
	const char *gateway;	/* the name records carry (valid until the next outputs call) */
	int syslog_remote;	/* log-syslog sends to a udp:// or tcp:// target */
	struct nfq_syslog_stats syslog;	/* ... and how that goes */
};

/* What a record that stands for several decisions says (flags of
 * nfq_declog_format): */
#define NFQ_FOLD_RATE	0x1	/* "folded": decisions log-rate did not write one by one */
#define NFQ_FOLD_CAP	0x2	/* "over_cap": ... because the total cap was used up */

/* Formats one record (no newline) into buf: count decisions, of which
 * retries were retries ("retries", written when > 0), flags NFQ_FOLD_*.
 * Returns the length, or 0 when it did not fit. */
size_t nfq_declog_format(char *buf, size_t len, const struct nfq_declog_rec *r,
			 uint32_t count, uint32_t retries, unsigned flags);

/* A record of verdict v for flow f at ts; interfaces empty, not existing. */
void nfq_declog_fill(struct nfq_declog_rec *r, const struct timespec *ts, const struct rules_flow *f,
		     const struct rules_verdict *v);
/* Copies the rule's name and the device set's name into r (NULL: absent;
 * longer names than the policy allows are cut). */
void nfq_declog_names(struct nfq_declog_rec *r, const char *rule_name, const char *device);

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
void nfq_declog_add(struct nfq_declog *d, const struct nfq_declog_rec *r, time_t now_s);
/* Counts a retry: a repeat of an attempt already decided (a retransmitted
 * SYN, the next echo request of the same ping), answered from the verdict
 * cache.  Not written one by one: when the device's period ends, one
 * record with "retries" and "count" N (not "folded") carries the last. */
void nfq_declog_retry(struct nfq_declog *d, const struct nfq_declog_rec *r, time_t now_s);
/* Writes folded records whose period has ended (all when force). */
void nfq_declog_tick(struct nfq_declog *d, time_t now_s, int force);
/* Writes buffered records.  Call once per batch. */
void nfq_declog_flush(struct nfq_declog *d);
/* Reopens the file (logrotate).  Returns 0 or -1 with errno. */
int nfq_declog_reopen(struct nfq_declog *d);
void nfq_declog_stats(const struct nfq_declog *d, struct nfq_declog_stats *st);
/* What records carry and where they go besides the file: gateway (NULL:
 * the host name, read now) and the remote syslog target t (kind UDP or TCP;
 * anything else: none).  An unchanged target keeps its socket.  Returns 0,
 * or -1 with errno when the socket cannot be opened (the records are
 * dropped and counted until a later attempt, once a second at most, works). */
int nfq_declog_outputs(struct nfq_declog *d, const char *gateway, const struct rules_syslog *t);
/* Records the syslog target dropped since the last call, and the last errno. */
uint64_t nfq_declog_take_syslog_drops(struct nfq_declog *d, int *err);
/* Failures since the last call and the last errno; for rate-limited warnings. */
uint64_t nfq_declog_take_failures(struct nfq_declog *d, int *err);
void nfq_declog_free(struct nfq_declog *d);	/* flushes; NULL ok */

/* ---- names.c, names_pkt.c: names from the DNS answers devices receive ----
 * The hook copies answers (ct direction reply, sport 53) to an NFLOG group
 * (hook.c); a reader thread parses them (dns/) and fills the name cache,
 * which the queue workers read without a lock (dns.h explains how). */
struct nfq_names;
struct nlmsghdr;

/* One copied packet's DNS messages: where the answer went (the device)
 * and the messages it carries (UDP: one; TCP: every whole one in the
 * segment, after its two-byte length). */
#define NFQ_DNS_MSGS 8
struct nfq_dns_pkt {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t dst[16];		/* the answer's destination address */
	unsigned nmsg;
	struct {
		const uint8_t *p;
		size_t len;
	} msg[NFQ_DNS_MSGS];
	unsigned partial;		/* TCP: messages cut off by the segment's end */
};

/* Reads an IPv4/IPv6 packet from source port 53 (UDP or TCP), without
 * reading past len.  Returns 0 with at least one message, or -1 (not such
 * a packet, a fragment, no whole message). */
int nfq_names_packet(const uint8_t *pkt, size_t len, struct nfq_dns_pkt *out);

/* Reads one nfnetlink_log message (NFULNL_MSG_PACKET): its payload (the
 * packet from its IP header).  Returns 0, or -1 for another message. */
int nfq_names_nflog(const struct nlmsghdr *nlh, const uint8_t **payload, size_t *len);

struct nfq_names_stats {
	int on;				/* names are learned */
	uint16_t group;
	uint64_t packets;		/* copies received */
	uint64_t answers;		/* DNS answers learned */
	uint64_t not_answers;		/* messages with nothing to learn (errors, queries, other types) */
	uint64_t malformed;		/* packets or messages that could not be read */
	uint64_t lost;			/* overruns: the kernel dropped copies (our socket's
					 * buffer was full; one count, maybe many copies) */
	uint64_t by_mac, by_addr;	/* answers kept under the device's MAC, its address */
};

/* Binds NFLOG group `group` (copies of whole packets, each delivered at
 * once) and allocates the cache (cfg; every byte of it now).  Returns
 * NULL with a message in err (EBUSY: another program reads the group). */
struct nfq_names *nfq_names_open(uint16_t group, const struct dns_cache_cfg *cfg, char *err, size_t errlen);
int nfq_names_start(struct nfq_names *n);	/* the reader thread; 0 or -1 */
void nfq_names_free(struct nfq_names *n);	/* stops the thread; NULL ok */
/* New TTL floor and ceiling (a reload); the reader applies them. */
void nfq_names_set_ttl(struct nfq_names *n, uint32_t ttl_min, uint32_t ttl_max);
void nfq_names_stats(const struct nfq_names *n, struct nfq_names_stats *st);
const struct dns_cache *nfq_names_cache(const struct nfq_names *n);
/* The names f's device's answers gave f's destination (the device: its
 * MAC when the flow has one, then its address).  Any thread; no lock.
 * Returns 0, or -1 (EAGAIN) when the cache was too busy to answer. */
int nfq_names_lookup(const struct nfq_names *n, const struct rules_flow *f, uint32_t now_s,
		     struct dns_names *out);
/* A worker found no name for a new flow: when copies of answers wait to
 * be learned (and no flood of them is on), learns them in the calling
 * thread (taking the writer's lock from the reader thread, which holds it
 * for one copy at a time).  Returns 1 when it did (ask the cache again),
 * else 0. */
int nfq_names_catch_up(struct nfq_names *n);
/* Writes the cache for `geoegress flows` (ctl "names"): one line per
 * device and address, "DEVICE ADDRESS HOST [NAME ...]", DEVICE being
 * mac:02:00:5e:00:53:01 or ip:198.18.1.10, HOST the name asked for. */
void nfq_names_dump(const struct nfq_names *n, FILE *out);
/* The monotonic second counter the cache's expiries use. */
uint32_t nfq_names_now(void);

/* ---- ctl.c: control socket ---- */
/* Creates the listening socket (directory 0700, socket 0600).  Returns the
 * fd, or -1 with a message in err (another daemon listening: EADDRINUSE).
 * *made_dir (may be NULL) is set when the socket's directory was created. */
int nfq_ctl_listen(const char *path, int *made_dir, char *err, size_t errlen);

/* ---- syslog5424.c: decision records to a remote syslog collector ---- */
struct nfq_syslog;


/* A sender to target t (UDP or TCP; rules.h) whose messages name the
 * gateway hostname (HOSTNAME; PRINTUSASCII, anything else becomes '_').
 * The socket is opened (TCP: connected in the background) now; when that
 * fails, *err is its errno and nfq_syslog_tick() tries again.  NULL only
 * without memory. */
struct nfq_syslog *nfq_syslog_new(const struct rules_syslog *t, const char *hostname, int *err);
/* 1 when s sends to t as hostname already (a reload keeps the connection). */
int nfq_syslog_same(const struct nfq_syslog *s, const struct rules_syslog *t, const char *hostname);
void nfq_syslog_free(struct nfq_syslog *s);	/* NULL ok */
/* Sends one decision record (json: its JSON line, no newline) at severity
 * (LOG_NOTICE, LOG_INFO) and time ts: UDP at once, TCP queued for
 * nfq_syslog_flush().  Never blocks.  0, or -1 when it was dropped. */
int nfq_syslog_send(struct nfq_syslog *s, int severity, const struct timespec *ts, const char *json,
		    size_t jlen);
void nfq_syslog_flush(struct nfq_syslog *s);	/* TCP: writes what the socket takes; NULL ok */
/* Once a second: reconnects (1, 2, 4 ... 30 s apart), notices a finished
 * TCP connect, flushes.  NULL ok. */
void nfq_syslog_tick(struct nfq_syslog *s);
void nfq_syslog_stats(const struct nfq_syslog *s, struct nfq_syslog_stats *st);
/* Messages dropped since the last call, and the last errno. */
uint64_t nfq_syslog_take_drops(struct nfq_syslog *s, int *err);
/* The RFC 5424 message for one record (no framing, no newline) into buf:
 * facility daemon, APP-NAME geoegress, PROCID pid, MSGID decision; the
 * record as MSG (t->format JSON) or as SD-ELEMENT geoegress@32473 (SD).
 * Returns its length, or 0 when it does not fit. */
size_t nfq_syslog_format(char *buf, size_t len, const struct rules_syslog *t, const char *host,
			 long pid, int severity, const struct timespec *ts, const char *json, size_t jlen);

/* ---- privdrop.c ---- */
/* Becomes user keeping only CAP_NET_ADMIN (also ambient, for iptables/nft
 * at exit), sets no_new_privs; hands log_file, state_file and ctl_dir (may
 * be NULL) to the user first.  Returns 0, or -1 with a message in err. */
int nfq_drop_privileges(const char *user, const char *log_file, const char *state_file,
			const char *ctl_dir, char *err, size_t errlen);

/* ---- sandbox.c ---- */
/* Loads the daemon's seccomp allow-list into every thread of the process
 * (and sets no_new_privs); children inherit it.  A call outside the list
 * makes the process write the call's name to stderr and die of SIGSYS.
 * Returns 0, or -1 with a message in err. */
int nfq_seccomp_apply(char *err, size_t errlen);

/* ---- ctl.c: sd_notify ---- */
/* Sends a sd_notify datagram to $NOTIFY_SOCKET; nothing when unset. */
void nfq_sd_notify(const char *state);

/* ---- ct_conn.c: conntrack and rtnetlink messages, no sockets (ct.c does
 * the I/O; tests feed these functions hand-built messages) ---- */
struct nf_conntrack;
struct nlmsghdr;

#define NFQ_CT_LOCAL_MAX 1024	/* local addresses kept per snapshot */
#define NFQ_CT_NEIGH_MAX 4096	/* neighbours kept per snapshot (the kernel's
				 * default gc_thresh3 is 1024 per family) */
#define NFQ_CT_MSG_MAX 256	/* room one mark update or dump request needs */

/* A local address or a neighbour; tables are sorted by family + addr. */
struct nfq_ct_host {
	uint8_t family;
	uint8_t addr[16];	/* IPv4 in the first 4 bytes, the rest zero */
	uint8_t mac[6];		/* neighbours only */
	uint8_t bcast;		/* local table: a broadcast address, not ours */
};

/* This host's addresses and neighbours, one snapshot; arrays allocated
 * once (nfq_ct_hosts_init) and never grown: what does not fit is counted
 * in dropped. */
struct nfq_ct_hosts {
	struct nfq_ct_host *local, *neigh;
	uint32_t nlocal, nneigh;
	uint32_t local_max, neigh_max;
	uint32_t dropped;
};

/* Returns 0, or -1 with ENOMEM.  nfq_ct_hosts_free frees the arrays (the
 * struct is the caller's); NULL ok. */
int nfq_ct_hosts_init(struct nfq_ct_hosts *h, uint32_t local_max, uint32_t neigh_max);
void nfq_ct_hosts_free(struct nfq_ct_hosts *h);
void nfq_ct_hosts_clear(struct nfq_ct_hosts *h);
/* Adds what one rtnetlink message says: RTM_NEWADDR → its local address
 * (IFA_LOCAL, else IFA_ADDRESS) and IPv4 broadcast address; RTM_NEWNEIGH →
 * a neighbour with a 6-byte link-layer address (not INCOMPLETE/FAILED/
 * NOARP).  Anything else is ignored.  Returns 0, or -1 with EINVAL for a
 * malformed message. */
int nfq_ct_hosts_add(struct nfq_ct_hosts *h, const struct nlmsghdr *nlh);
/* Sorts both tables; call after the last add, before any lookup. */
void nfq_ct_hosts_sort(struct nfq_ct_hosts *h);
/* 1 when addr is this host's: a local address, IPv4 127/8, ::1.  h may
 * be NULL (then only the fixed ranges). */
int nfq_ct_is_local(const struct nfq_ct_hosts *h, uint8_t family, const uint8_t *addr);
/* 1 when addr is a group address: multicast (224/4, ff00::/8), the limited
 * broadcast or a broadcast address of one of our subnets — received by
 * this host, not forwarded.  h may be NULL. */
int nfq_ct_is_group(const struct nfq_ct_hosts *h, uint8_t family, const uint8_t *addr);
/* The neighbour's MAC (6 bytes, in h), or NULL. */
const uint8_t *nfq_ct_neigh_mac(const struct nfq_ct_hosts *h, uint8_t family, const uint8_t *addr);
/* (ct.c, it does I/O) Takes a new snapshot of this host's addresses and
 * neighbours (as nfq_ct_walk does) and returns it (valid until the next one), or NULL
 * with errno. */
const struct nfq_ct_hosts *nfq_ct_hosts_refresh(struct nfq_ct *ct);

/* libnetfilter_conntrack objects reused for every message: no allocation
 * per entry (the library allocates only for helper info, security
 * contexts and labels; such an object is replaced after use). */
struct nfq_ct_scratch {
	struct nf_conntrack *obj, *blank;
};
int nfq_ct_scratch_init(struct nfq_ct_scratch *s);	/* 0, or -1 ENOMEM */
void nfq_ct_scratch_free(struct nfq_ct_scratch *s);	/* NULL ok */

/* Parses one ctnetlink conntrack message (IPCTNL_MSG_CT_NEW, as a dump
 * sends them) into *c: tuples → flow (see struct nfq_conn), covered from
 * h's local addresses, src_mac from h's neighbours (h may be NULL: all
 * FORWARD, no MACs).  Returns 0, or -1 with errno EINVAL (no original
 * tuple, not IPv4/IPv6) or ENOMEM. */
int nfq_ct_parse(struct nfq_ct_scratch *s, const struct nlmsghdr *nlh,
		 const struct nfq_ct_hosts *h, struct nfq_conn *c);

/* Writes into buf (NFQ_CT_MSG_MAX bytes) a request to change the bits in
 * mask of c's mark to mark's (IPCTNL_MSG_CT_NEW without NLM_F_CREATE: an
 * update, found by c's original tuple and zone; CTA_MARK = mark & mask
 * plus CTA_MARK_MASK, which libnetfilter_conntrack does not offer for
 * updates).  No NLM_F_ACK: the kernel answers failures only.  Returns the
 * message, or NULL with EAFNOSUPPORT. */
struct nlmsghdr *nfq_ct_put_set_mark(void *buf, struct nfq_ct_scratch *s, const struct nfq_conn *c,
				     uint32_t mark, uint32_t mask, uint32_t seq);
/* Starts an nfnetlink request in buf: type (subsystem << 8 | message),
 * NLM_F_REQUEST | flags, the nfgenmsg (family, version 0, res_id).
 * Returns the header; add attributes with mnl_attr_put. */
struct nlmsghdr *nfq_nfnl_header(void *buf, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id,
				 uint32_t seq);
/* Writes into buf (NFQ_CT_MSG_MAX bytes) a dump request for IPv4 and
 * IPv6, filtered by the kernel to (ct mark & mask) == (mark & mask) when
 * mask != 0.  Returns the message, or NULL with ENOMEM. */
struct nlmsghdr *nfq_ct_put_dump(void *buf, uint32_t mark, uint32_t mask, uint32_t seq);

#endif
