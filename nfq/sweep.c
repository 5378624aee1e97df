// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The conntrack sweep: connections are the ledger of decisions (their
 * mark, hook.c), and the sweep keeps the ledger complete.
 *
 *  - undecided: connections of the traffic the hook covers that carry no
 *    decision — they existed before the daemon started, or passed while
 *    none decided (fail-open bypass, overload, a gap in the hook) — are
 *    decided under the running policy.  At start (before the hook goes in,
 *    so each is decided once), every SWEEP_PERIOD_S, and as soon as the
 *    last chain counted packets that passed undecided.  The kernel filters
 *    the dump by mark, so a sweep that finds nothing costs little.
 *  - all: after a reload or database swap, every covered connection is
 *    decided again under the new policy; only those whose decision
 *    changes are touched (`option reload new-only`: undecided ones only).
 *
 * Forbidden ones get the block or reject mark, so both directions stop at
 * their next packet (TCP: reset), and are logged once with "existing":
 * true; allowed ones get the allow mark.  The sweep runs in its own thread
 * with its own conntrack handle; queue workers never wait for it.  It
 * holds the policy like a worker does (worker.c) and gives it up within
 * SWEEP_CHECK entries when a newer one is published, so a reload never
 * waits on a sweep either.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nfq/daemon_int.h"
#include "util/log.h"

#define SWEEP_PERIOD_S 10
#define SWEEP_CHECK 256		/* entries between looks at the config generation */
#define SWEEP_NICE 10		/* below the queue workers */
#define SWEEP_WARN_S 60

struct nfq_sweep {
	struct nfq_daemon *d;
	struct nfq_ct *ct;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned want;			/* NFQ_SWEEP_* requested */
	int stop;
	int active;			/* atomic: holds a config (worker.c's protocol) */
	uint64_t gen_in_use;		/* atomic */
	int64_t warn_s;
	struct nfq_sweep_stats st;	/* written by the sweeping thread, read by stats */
};

/* One walk. */
struct pass {
	struct nfq_sweep *sw;
	const struct nfq_config *cfg;
	unsigned hooks;
	int all;
	unsigned n;
	int aborted;
	struct timespec now_rt;
	int64_t now_s;
	uint64_t seen, undecided, changed, decided[4], logged;
	struct nfq_dest dest;		/* the connection being decided (worker.c) */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The gateway's own traffic that the output hook never queues (hook.c's
 * OUT_EXEMPT): multicast, broadcast, link-local, DHCP, ND. */
static int own_exempt(const struct rules_flow *f)
{
	const uint8_t *a = f->dst.b;

	if (f->family == AF_INET) {
		if ((a[0] & 0xf0) == 0xe0 || (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255))
			return 1;
	} else if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) {
		return 1;
	}
	if (f->proto == IPPROTO_UDP && f->has_ports &&
	    ((f->sport == 68 && f->dport == 67) || (f->sport == 546 && f->dport == 547)))
		return 1;
	return f->proto == IPPROTO_ICMPV6 && f->icmp_type >= 133 && f->icmp_type <= 136;
}

static int covered(unsigned hooks, const struct nfq_conn *c)
{
	if (c->covered == NFQ_CT_FORWARD)
		return !!(hooks & RULES_HOOK_FORWARD);
	if (c->covered == NFQ_CT_OUTPUT)
		return (hooks & RULES_HOOK_OUTPUT) && !own_exempt(&c->flow);
	return 0;
}

static enum nfq_ct_decision decision_of_mark(uint32_t mark)
{
	return mark == NFQ_MARK_REJECT ? NFQ_CT_REJECT : mark == NFQ_MARK_BLOCK ? NFQ_CT_BLOCK :
	       NFQ_CT_ALLOW;
}

static void declog_existing(struct pass *x, const struct nfq_conn *c, const struct rules_verdict *v)
{
	struct nfq_daemon *d = x->sw->d;
	struct nfq_declog_rec r;

	nfq_declog_fill(&r, &x->now_rt, &c->flow, v);
	nfq_declog_dest(&r, &x->dest);
	r.existing = 1;
	pthread_mutex_lock(&d->declog_lock);
	nfq_declog_add(d->declog, &r, x->now_s);
	nfq_declog_flush(d->declog);
	pthread_mutex_unlock(&d->declog_lock);
	x->logged++;
}

/* Gives up a walk when a newer policy was published (a reload). */
static int outdated(struct pass *x)
{
	const struct nfq_config *now = __atomic_load_n(&x->sw->d->cfg, __ATOMIC_SEQ_CST);

	return now != x->cfg;
}

static int sweep_one(void *arg, const struct nfq_conn *c)
{
	struct pass *x = arg;
	struct rules_verdict v;
	enum nfq_ct_decision now;
	uint32_t mark;

	if ((++x->n % SWEEP_CHECK) == 0 && outdated(x)) {
		x->aborted = 1;
		return 1;
	}
	if (!covered(x->hooks, c))
		return 0;
	x->seen++;
	if (c->decision == NFQ_CT_UNDECIDED)
		x->undecided++;
	else if (!x->all)
		return 0;
	nfq_decide(x->sw->d, x->cfg, &c->flow, nfq_names_now(), &x->dest, &v);
	mark = nfq_verdict_mark(&v, c->flow.proto, 1);
	now = decision_of_mark(mark);
	if (now == c->decision)
		return 0;	/* unchanged: not touched */
	if (nfq_ct_set_mark(x->sw->ct, c, mark, NFQ_MARK_MASK) < 0)
		return 0;	/* counted by the ct layer */
	x->changed++;
	x->decided[now]++;
	if (v.log)
		declog_existing(x, c, &v);
	return 0;
}

/* Holds the current config like a worker's batch does. */
static const struct nfq_config *hold_config(struct nfq_sweep *sw)
{
	const struct nfq_config *cfg;

	__atomic_store_n(&sw->active, 1, __ATOMIC_SEQ_CST);
	cfg = __atomic_load_n(&sw->d->cfg, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sw->gen_in_use, cfg->gen, __ATOMIC_SEQ_CST);
	return cfg;
}

static void release_config(struct nfq_sweep *sw)
{
	__atomic_store_n(&sw->active, 0, __ATOMIC_SEQ_CST);
}

static void publish(struct nfq_sweep *sw, const struct pass *x, unsigned kind, int64_t ms)
{
	struct nfq_sweep_stats *st = &sw->st;

	__atomic_store_n(&st->runs, st->runs + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&st->last_all, kind == NFQ_SWEEP_ALL, __ATOMIC_RELAXED);
	__atomic_store_n(&st->last_seen, x->seen, __ATOMIC_RELAXED);
	__atomic_store_n(&st->last_undecided, x->undecided, __ATOMIC_RELAXED);
	__atomic_store_n(&st->last_ms, ms, __ATOMIC_RELAXED);
	__atomic_store_n(&st->last_at, (int64_t)x->now_rt.tv_sec, __ATOMIC_RELAXED);
	__atomic_store_n(&st->undecided_found, st->undecided_found + x->undecided, __ATOMIC_RELAXED);
	__atomic_store_n(&st->changed, st->changed + x->changed, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		__atomic_store_n(&st->decided[i], st->decided[i] + x->decided[i], __ATOMIC_RELAXED);
}

/* One sweep of kind.  Returns 0, 1 when a newer policy cut it short, -1
 * when conntrack could not be read (logged). */
static int sweep_run(struct nfq_sweep *sw, unsigned kind, int quiet)
{
	struct pass x = { .sw = sw, .all = kind == NFQ_SWEEP_ALL };
	int64_t t0 = mono_ms();
	int rc = 0;

	x.cfg = hold_config(sw);
	x.hooks = sw->d->hookcfg.hooks ? sw->d->hookcfg.hooks : rules_options(x.cfg->policy)->hooks;
	clock_gettime(CLOCK_REALTIME, &x.now_rt);
	x.now_s = t0 / 1000;
	if (x.all)
		rc = nfq_ct_walk(sw->ct, 0, 0, sweep_one, &x);
	else if ((rc = nfq_ct_walk(sw->ct, 0, NFQ_MARK_MASK, sweep_one, &x)) == 0)
		rc = nfq_ct_walk(sw->ct, NFQ_MARK_PENDING, NFQ_MARK_PENDING, sweep_one, &x);
	nfq_ct_flush(sw->ct);
	release_config(sw);
	if (rc < 0) {
		log_warn("conntrack sweep");
		return -1;
	}
	publish(sw, &x, kind, mono_ms() - t0);
	if (x.changed && (x.all || !quiet))
		log_info("conntrack sweep (%s): %llu connection%s decided %s: %llu allowed, %llu blocked, "
			 "%llu rejected (%llu seen, %lld ms)", x.all ? "after reload" : "undecided",
			 (unsigned long long)x.changed, x.changed == 1 ? "" : "s",
			 x.all ? "anew" : "that had no decision", (unsigned long long)x.decided[NFQ_CT_ALLOW],
			 (unsigned long long)x.decided[NFQ_CT_BLOCK], (unsigned long long)x.decided[NFQ_CT_REJECT],
			 (unsigned long long)x.seen, (long long)(mono_ms() - t0));
	if (!x.all && x.undecided && quiet && x.now_s - sw->warn_s >= SWEEP_WARN_S) {
		log_warnx("%llu connection%s had passed without a decision (no daemon deciding, queue "
			  "bypassed or full); decided now", (unsigned long long)x.undecided,
			  x.undecided == 1 ? "" : "s");
		sw->warn_s = x.now_s;
	}
	return x.aborted;
}

static void *sweep_main(void *arg)
{
	struct nfq_sweep *sw = arg;
	struct timespec until;
	unsigned kind;

	/* Below the queue workers: new flows first. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SWEEP_NICE);
	pthread_mutex_lock(&sw->lock);
	while (!sw->stop) {
		if (!sw->want) {
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += SWEEP_PERIOD_S;
			pthread_cond_timedwait(&sw->cond, &sw->lock, &until);
			if (sw->stop)
				break;
		}
		kind = sw->want & NFQ_SWEEP_ALL ? NFQ_SWEEP_ALL : NFQ_SWEEP_UNDECIDED;
		sw->want = 0;
		pthread_mutex_unlock(&sw->lock);
		if (sweep_run(sw, kind, 1) == 1) {
			pthread_mutex_lock(&sw->lock);
			sw->want |= kind;	/* cut short by a reload: again, with the new policy */
			pthread_mutex_unlock(&sw->lock);
		}
		pthread_mutex_lock(&sw->lock);
	}
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

struct nfq_sweep *nfq_sweep_new(struct nfq_daemon *d)
{
	struct nfq_sweep *sw = calloc(1, sizeof(*sw));
	pthread_condattr_t ca;
	char err[256];

	if (!sw)
		return NULL;
	sw->d = d;
	sw->ct = nfq_ct_open(err, sizeof(err));
	if (!sw->ct) {
		log_warnx("%s: connections that existed before the daemon are decided only at their "
			  "next packet, and a reload does not decide established ones again", err);
		free(sw);
		return NULL;
	}
	pthread_mutex_init(&sw->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sw->cond, &ca);
	pthread_condattr_destroy(&ca);
	return sw;
}

int nfq_sweep_now(struct nfq_sweep *sw)
{
	return sw ? sweep_run(sw, NFQ_SWEEP_UNDECIDED, 0) : 0;
}

int nfq_sweep_start(struct nfq_sweep *sw)
{
	int err;

	if (!sw)
		return 0;
	err = pthread_create(&sw->thread, NULL, sweep_main, sw);
	if (err) {
		errno = err;
		log_warn("cannot start the conntrack sweep thread");
		return -1;
	}
	sw->started = 1;
	return 0;
}

void nfq_sweep_request(struct nfq_sweep *sw, unsigned kind)
{
	if (!sw)
		return;
	pthread_mutex_lock(&sw->lock);
	sw->want |= kind;
	pthread_cond_signal(&sw->cond);
	pthread_mutex_unlock(&sw->lock);
}

int nfq_sweep_busy_with_older(const struct nfq_sweep *sw, uint64_t gen)
{
	return sw && __atomic_load_n(&sw->active, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&sw->gen_in_use, __ATOMIC_SEQ_CST) < gen;
}

void nfq_sweep_stats(const struct nfq_sweep *sw, struct nfq_sweep_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!sw)
		return;
	st->runs = __atomic_load_n(&sw->st.runs, __ATOMIC_RELAXED);
	st->last_all = __atomic_load_n(&sw->st.last_all, __ATOMIC_RELAXED);
	st->last_seen = __atomic_load_n(&sw->st.last_seen, __ATOMIC_RELAXED);
	st->last_undecided = __atomic_load_n(&sw->st.last_undecided, __ATOMIC_RELAXED);
	st->last_ms = __atomic_load_n(&sw->st.last_ms, __ATOMIC_RELAXED);
	st->last_at = __atomic_load_n(&sw->st.last_at, __ATOMIC_RELAXED);
	st->undecided_found = __atomic_load_n(&sw->st.undecided_found, __ATOMIC_RELAXED);
	st->changed = __atomic_load_n(&sw->st.changed, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		st->decided[i] = __atomic_load_n(&sw->st.decided[i], __ATOMIC_RELAXED);
	st->enabled = 1;
}

void nfq_sweep_free(struct nfq_sweep *sw)
{
	if (!sw)
		return;
	if (sw->started) {
		pthread_mutex_lock(&sw->lock);
		sw->stop = 1;
		pthread_cond_signal(&sw->cond);
		pthread_mutex_unlock(&sw->lock);
		pthread_join(sw->thread, NULL);
	}
	nfq_ct_close(sw->ct);
	pthread_cond_destroy(&sw->cond);
	pthread_mutex_destroy(&sw->lock);
	free(sw);
}
