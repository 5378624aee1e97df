// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The queue workers: one thread per queue (`option queue N-M`), each with
 * its own netlink socket, counters, verdict cache and interface-name
 * cache, blocking in recvmmsg and answering each burst with one sendto.
 *
 * Policy and database are one struct nfq_config behind an atomic pointer.
 * A worker picks it up when a batch begins (its `active` flag set first)
 * and drops it when the batch ends; the main thread, after publishing a
 * new config, waits until no worker is still in a batch begun with the old
 * one, then frees it (quiescent-state reclamation: no lock on the hot
 * path, no packet ever waits for a reload).
 *
 * With names learned (names.c), each packet also asks the name cache what
 * its device's DNS answers said about the destination: a lock-free read
 * (a few retries at most while the reader thread rewrites that bucket,
 * dns/dns.h), copied into the worker's own struct nfq_dest.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter.h>

#include "nfq/daemon_int.h"
#include "util/hash.h"
#include "util/log.h"

#define VC_TTL_MS 30000		/* a blocked flow's retries within 30 s hit the cache */
#define IDLE_WAKE_MS 200	/* an idle worker looks at the stop flag this often */

/*
 * The packet path.  A worker thread (worker_main) loops on
 * nfq_queue_process(), which waits for packets and hands over the ones
 * waiting together as one batch:
 *   batch_begin   publish "active", take the current config and clocks;
 *   decide        per packet: packet_flow() fills the flow, a retry of a
 *                 blocked flow is answered from the verdict cache, else
 *                 nfq_dest_lookup() and rules_eval_dest() decide; answer()
 *                 gives the verdict and mark, count() the counters,
 *                 declog_decision() the decision-log record;
 *   (queue.c)     the verdicts go back in one message;
 *   batch_end     flush the decision log, drop the config, "inactive".
 * A reload waits for batches of an older config (nfq_workers_quiesce).
 */

/* Starts a batch: publish "active", then take the current config. */
static void batch_begin(void *arg)
{
	struct nfq_worker *w = arg;
	struct timespec ts;

	__atomic_store_n(&w->active, 1, __ATOMIC_SEQ_CST);
	w->cfg = __atomic_load_n(&w->d->cfg, __ATOMIC_SEQ_CST);
	__atomic_store_n(&w->gen_in_use, w->cfg->gen, __ATOMIC_SEQ_CST);
	if (w->cfg->gen != w->cache_gen) {
		/* cached verdicts point into the old policy; names may have changed */
		memset(w->vc, 0, sizeof(w->vc));
		memset(w->ifc, 0, sizeof(w->ifc));
		w->cache_gen = w->cfg->gen;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_REALTIME, &w->now_rt);
}

static void batch_end(void *arg)
{
	struct nfq_worker *w = arg;

	if (w->logged) {
		pthread_mutex_lock(&w->d->declog_lock);
		nfq_declog_flush(w->d->declog);
		pthread_mutex_unlock(&w->d->declog_lock);
		w->logged = 0;
	}
	w->cfg = NULL;
	__atomic_store_n(&w->active, 0, __ATOMIC_SEQ_CST);
}

/* ---- deciding one packet ---- */

static const char *ifname(struct nfq_worker *w, uint32_t index)
{
	struct nfq_ifc_entry *e = &w->ifc[index % NFQ_IFC_SLOTS];

	if (index == 0)
		return "";
	if (e->index != index) {
		e->index = index;
		if (!if_indextoname(index, e->name))
			snprintf(e->name, sizeof(e->name), "if%u", index);
	}
	return e->name;
}

static uint32_t vc_hash(const struct rules_flow *f)
{
	uint32_t h = fnv1a32(fnv1a32(FNV1A32_BASIS, f->src.b, 16), f->dst.b, 16);

	h = fnv1a32_step(h, f->proto);
	h = fnv1a32_step(h, f->sport);
	h = fnv1a32_step(h, f->dport);
	return fnv1a32_step(h, f->icmp_id);
}

static int vc_same(const struct nfq_vc_entry *e, const struct rules_flow *f)
{
	return e->family == f->family && e->proto == f->proto && e->sport == f->sport &&
	       e->dport == f->dport && e->icmp_id == f->icmp_id && e->has_mac == f->has_mac &&
	       (!f->has_mac || !memcmp(e->mac, f->src_mac, 6)) &&
	       !memcmp(e->src, f->src.b, 16) && !memcmp(e->dst, f->dst.b, 16);
}

static int vc_valid(const struct nfq_worker *w, const struct nfq_vc_entry *e,
		    const struct rules_flow *f)
{
	return e->expires_ms > w->now_ms && vc_same(e, f);
}

/* e: f's slot (found by the lookup, so the flow is hashed once). */
static void vc_store(struct nfq_worker *w, struct nfq_vc_entry *e, const struct rules_flow *f,
		     const struct rules_verdict *v)
{
	e->expires_ms = w->now_ms + VC_TTL_MS;
	e->family = f->family;
	e->proto = f->proto;
	e->has_mac = f->has_mac;
	memcpy(e->mac, f->src_mac, 6);
	e->sport = f->sport;
	e->dport = f->dport;
	e->icmp_id = f->icmp_id;
	memcpy(e->src, f->src.b, 16);
	memcpy(e->dst, f->dst.b, 16);
	e->v = *v;
}

/*
 * The decision a verdict puts in the marks (hook.c explains the chains).
 * A connection that existed undecided and is forbidden is marked so both
 * directions stop at their next packet; TCP peers get a reset then,
 * whether the rule said block or reject.  A new flow that is blocked gets
 * 0: it is simply dropped (its connection never confirms).
 */
uint32_t nfq_verdict_mark(const struct rules_verdict *v, uint8_t proto, int existing)
{
	if (v->audit || (v->action != RULES_BLOCK && v->action != RULES_REJECT))
		return NFQ_MARK_ALLOW;
	if (v->action == RULES_REJECT || (existing && proto == IPPROTO_TCP))
		return NFQ_MARK_REJECT;
	return existing ? NFQ_MARK_BLOCK : 0;
}

/* NF_REPEAT with the decision in the packet mark, which our last chain
 * saves to the connection and acts on; NF_DROP for a new blocked flow. */
static void answer(const struct nfq_pkt *pkt, const struct rules_flow *f,
		   const struct rules_verdict *v, int fail_open, struct nfq_answer *ans)
{
	int existing = (pkt->mark & NFQ_MARK_MASK) == NFQ_MARK_PENDING_EST;
	uint32_t mark = nfq_verdict_mark(v, f->proto, existing);

	if (!mark) {
		ans->verdict = NF_DROP;
		return;
	}
	if (mark == NFQ_MARK_ALLOW && f->cut) {
		/* The copy ended inside the header chain: conntrack may track
		 * other ports or another protocol than we read.  Nothing may be
		 * saved for the connection: the packet stays undecided, and
		 * follows the fail mode (open: our last chain counts and passes
		 * it; its connection's next packet is decided again). */
		ans->verdict = fail_open ? NF_ACCEPT : NF_DROP;
		return;
	}
	ans->verdict = NF_REPEAT;
	ans->mark = (pkt->mark & ~NFQ_MARK_MASK) | mark;
	ans->set_mark = 1;
}

static void count(struct nfq_worker *w, const struct rules_verdict *v)
{
	int i = geo_cc_index(v->country);	/* -1: unknown, or not two letters */

	if ((unsigned)v->action < RULES_NACTION)
		CNT_INC(w->c.by_action[v->action]);
	if (v->audit)
		CNT_INC(w->c.audit_passed);
	if (i >= 0)
		CNT_INC(w->c.by_cc[i]);
	else
		CNT_INC(w->c.cc_unknown);
	if ((unsigned)v->action < RULES_NACTION)	/* geoegress_decisions_total{action,country} */
		CNT_INC(w->c.by_action_cc[v->action][i >= 0 ? i : GEO_CC_SLOTS]);
}

/* The destination's names and AS (what a log record carries beyond the
 * verdict). */
static void dest_names(const struct nfq_daemon *d, const struct nfq_config *cfg, const struct rules_flow *f,
		       uint32_t now_s, struct nfq_dest *x)
{
	const struct geo_xlat *xl = &rules_options(cfg->policy)->nat64;

	x->asn.asn = 0;
	x->asn.org = NULL;
	if (cfg->asn_db)
		geo_lookup_asn(cfg->asn_db, xl, f->family, f->dst.b, &x->asn);
	x->names.n = 0;
	x->busy = d->names && nfq_names_lookup(d->names, f, now_s, &x->names) < 0;
	x->rd.names = x->names.name;
	x->rd.nnames = x->names.n;
	x->rd.asn = x->asn.asn;
}

void nfq_dest_lookup(const struct nfq_daemon *d, const struct nfq_config *cfg, const struct rules_flow *f,
		     uint32_t now_s, struct nfq_dest *x)
{
	if (geo_lookup_xlat(cfg->db, &rules_options(cfg->policy)->nat64, f->family, f->dst.b, &x->geo) < 0)
		memset(&x->geo, 0, sizeof(x->geo));
	dest_names(d, cfg, f, now_s, x);
}

/* A flow to a resolver (port 53) is not one a DNS answer could explain:
 * it stays out of the explained/unexplained counts. */
static int to_resolver(const struct rules_flow *f)
{
	return f->has_ports && f->dport == 53 && (f->proto == IPPROTO_UDP || f->proto == IPPROTO_TCP);
}

void nfq_decide(const struct nfq_daemon *d, const struct nfq_config *cfg, const struct rules_flow *f,
		uint32_t now_s, struct nfq_dest *x, struct rules_verdict *v)
{
	nfq_dest_lookup(d, cfg, f, now_s, x);
	rules_eval_dest(cfg->policy, f, &x->geo, &x->rd, v);
}

void nfq_declog_dest(struct nfq_declog_rec *r, const struct nfq_dest *x)
{
	const char *host = dns_names_host(&x->names);

	snprintf(r->host, sizeof(r->host), "%s", host ? host : "");
	r->asn = x->asn.asn;
	r->as_org = x->asn.org;
}

/* retry: a retry of an attempt already decided, answered from the verdict
 * cache (logged as a retries record, not as a new decision). */
static void declog_decision(struct nfq_worker *w, const struct nfq_pkt *pkt, const struct rules_flow *f,
			    const struct rules_verdict *v, int retry)
{
	struct nfq_declog_rec r;

	if (!v->log)	/* rules_eval says what is recorded */
		return;
	nfq_declog_fill(&r, &w->now_rt, f, v);
	nfq_declog_dest(&r, &w->dest);
	r.existing = (pkt->mark & NFQ_MARK_MASK) == NFQ_MARK_PENDING_EST;
	snprintf(r.in, sizeof(r.in), "%s", ifname(w, pkt->indev));
	snprintf(r.out, sizeof(r.out), "%s", ifname(w, pkt->outdev));
	pthread_mutex_lock(&w->d->declog_lock);
	if (retry)
		nfq_declog_retry(w->d->declog, &r, w->now_ms / 1000);
	else
		nfq_declog_add(w->d->declog, &r, w->now_ms / 1000);
	w->logged = 1;
	pthread_mutex_unlock(&w->d->declog_lock);
}

/* -v: one line per decision (stderr or syslog); off the hot path otherwise. */
static void debug_decision(const struct rules_flow *f, const struct rules_verdict *v, int retry)
{
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?", cc[3];
	int fam = f->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(fam, f->src.b, src, sizeof(src));
	inet_ntop(fam, f->dst.b, dst, sizeof(dst));
	log_debug("%s -> %s proto %u port %u country %s: %s%s (line %d)%s", src, dst, f->proto,
		  f->has_ports ? f->dport : 0, geo_cc_str(v->country, cc), rules_action_name(v->action),
		  v->audit ? " (audit: passed)" : "", v->line, retry ? " [cached retry]" : "");
}

/* The flow of a queued packet: its headers (packet.c), the interfaces
 * and the source MAC the queue gave.  0, or -1 for no IP header at all. */
static int packet_flow(const struct nfq_pkt *pkt, struct rules_flow *f)
{
	memset(f, 0, sizeof(*f));
	if (nfq_parse_packet(pkt->payload, pkt->len, f) < 0)
		return -1;
	f->iif = pkt->indev;
	f->oif = pkt->outdev;
	if (pkt->hwaddr) {
		f->has_mac = 1;
		memcpy(f->src_mac, pkt->hwaddr, 6);
	}
	return 0;
}

static void decide(void *arg, const struct nfq_pkt *pkt, struct nfq_answer *ans)
{
	struct nfq_worker *w = arg;
	struct rules_flow flow;
	struct rules_verdict v;
	struct nfq_vc_entry *slot;
	int retry;

	CNT_INC(w->c.packets);
	if (packet_flow(pkt, &flow) < 0) {
		/* Not even an IP header: nothing to decide on; follow the fail mode. */
		CNT_INC(w->c.malformed);
		ans->verdict = w->d->fail_open ? NF_ACCEPT : NF_DROP;
		return;
	}
	slot = &w->vc[vc_hash(&flow) % NFQ_VC_SLOTS];
	retry = vc_valid(w, slot, &flow);
	if (retry) {
		/* the names, not the country, for a retry: its log record carries the host */
		dest_names(w->d, w->cfg, &flow, (uint32_t)(w->now_ms / 1000), &w->dest);
		CNT_INC(w->c.cache_hits);
		v = slot->v;
	} else {
		nfq_dest_lookup(w->d, w->cfg, &flow, (uint32_t)(w->now_ms / 1000), &w->dest);
		if (w->d->names && !w->dest.names.n && nfq_names_catch_up(w->d->names)) {
			/* the answer that names it may have been on its way (names.c) */
			CNT_INC(w->c.names_waited);
			dest_names(w->d, w->cfg, &flow, (uint32_t)(w->now_ms / 1000), &w->dest);
		}
		rules_eval_dest(w->cfg->policy, &flow, &w->dest.geo, &w->dest.rd, &v);
		if (!v.audit && (v.action == RULES_BLOCK || v.action == RULES_REJECT))
			vc_store(w, slot, &flow, &v);
		if (w->d->names && !to_resolver(&flow))
			CNT_INC(*(w->dest.names.n ? &w->c.named : &w->c.unnamed));
	}
	if (w->dest.busy)
		CNT_INC(w->c.names_busy);
	answer(pkt, &flow, &v, w->d->fail_open, ans);
	count(w, &v);
	declog_decision(w, pkt, &flow, &v, retry);
	if (w->d->opts->verbose)
		debug_decision(&flow, &v, retry);
}

static void *worker_main(void *arg)
{
	struct nfq_worker *w = arg;
	const struct nfq_batch batch = { .begin = batch_begin, .decide = decide, .end = batch_end, .arg = w };

	while (!__atomic_load_n(&w->d->stop, __ATOMIC_RELAXED)) {
		int n = nfq_queue_process(w->q, &batch, 0);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			log_warn("netfilter queue %u", w->queue);
			__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

int nfq_workers_start(struct nfq_daemon *d)
{
	for (int i = 0; i < d->nworkers; i++) {
		struct nfq_worker *w = d->w[i];
		int err = pthread_create(&w->thread, NULL, worker_main, w);

		if (err) {
			errno = err;
			log_warn("cannot start the worker of queue %u", w->queue);
			return -1;
		}
		w->started = 1;
	}
	return 0;
}

void nfq_workers_stop(struct nfq_daemon *d)
{
	__atomic_store_n(&d->stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < d->nworkers; i++) {
		if (d->w[i] && d->w[i]->started)
			pthread_join(d->w[i]->thread, NULL);
		if (d->w[i])
			d->w[i]->started = 0;
	}
}

int nfq_workers_failed(const struct nfq_daemon *d)
{
	for (int i = 0; i < d->nworkers; i++)
		if (__atomic_load_n(&d->w[i]->failed, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

int nfq_workers_open(struct nfq_daemon *d, uint16_t first, uint16_t count, char *err, size_t errlen)
{
	struct timeval tv = { 0, IDLE_WAKE_MS * 1000 };

	d->w = calloc(count, sizeof(*d->w));
	if (!d->w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint16_t i = 0; i < count; i++) {
		struct nfq_worker *w = nfq_alloc_resident(sizeof(*w));

		if (!w) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		d->w[d->nworkers++] = w;
		w->d = d;
		w->queue = (uint16_t)(first + i);
		w->q = nfq_queue_open(w->queue, 1, d->fail_open, err, errlen);
		if (!w->q)
			return -1;
		setsockopt(nfq_queue_fd(w->q), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return 0;
}

void nfq_workers_close(struct nfq_daemon *d)
{
	for (int i = 0; i < d->nworkers; i++) {
		nfq_queue_close(d->w[i]->q);
		free(d->w[i]);
	}
	free(d->w);
	d->w = NULL;
	d->nworkers = 0;
}

void nfq_workers_quiesce(struct nfq_daemon *d, uint64_t gen)
{
	struct timespec ms1 = { 0, 1000000 };

	/* The sweep gives up an older config within a few hundred entries. */
	while (nfq_sweep_busy_with_older(d->sweep, gen))
		nanosleep(&ms1, NULL);
	for (int i = 0; i < d->nworkers; i++) {
		struct nfq_worker *w = d->w[i];
		struct timespec ms = { 0, 1000000 };

		/* A batch is at most a few hundred packets: this waits microseconds. */
		while (__atomic_load_n(&w->active, __ATOMIC_SEQ_CST) &&
		       __atomic_load_n(&w->gen_in_use, __ATOMIC_SEQ_CST) < gen &&
		       !__atomic_load_n(&w->failed, __ATOMIC_RELAXED))
			nanosleep(&ms, NULL);
	}
}
