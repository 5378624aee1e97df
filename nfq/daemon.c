// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * geoegress run: load policy and database, bind the queue, install the
 * hook, then decide packets until SIGTERM/SIGINT.  Single-threaded event
 * loop over the queue socket, the control socket and a signalfd; policy
 * and database are swapped between batches, so a reload never races a
 * decision.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "nfq/daemon_int.h"
#include "util/log.h"

#define VC_TTL_MS 30000		/* a blocked flow's retries within 30 s hit the cache */
#define FAIL_WARN_S 60		/* log write failures: one warning a minute at most */

static struct nfq_daemon *g_daemon;	/* for the fatal() hook only */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- deciding one packet ---- */

static const char *ifname(struct nfq_daemon *d, uint32_t index)
{
	struct nfq_ifc_entry *e = &d->ifc[index % NFQ_IFC_SLOTS];

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
	uint32_t h = 2166136261u;
	const uint8_t *k[2] = { f->src.b, f->dst.b };

	for (int j = 0; j < 2; j++)
		for (int i = 0; i < 16; i++)
			h = (h ^ k[j][i]) * 16777619u;
	h = (h ^ f->proto) * 16777619u;
	h = (h ^ f->sport) * 16777619u;
	h = (h ^ f->dport) * 16777619u;
	return h;
}

static int vc_same(const struct nfq_vc_entry *e, const struct rules_flow *f)
{
	return e->family == f->family && e->proto == f->proto && e->sport == f->sport &&
	       e->dport == f->dport && e->has_mac == f->has_mac &&
	       (!f->has_mac || !memcmp(e->mac, f->src_mac, 6)) &&
	       !memcmp(e->src, f->src.b, 16) && !memcmp(e->dst, f->dst.b, 16);
}

static struct nfq_vc_entry *vc_find(struct nfq_daemon *d, const struct rules_flow *f)
{
	struct nfq_vc_entry *e = &d->vc[vc_hash(f) % NFQ_VC_SLOTS];

	if (e->expires_ms > d->now_ms && vc_same(e, f))
		return e;
	return NULL;
}

static void vc_store(struct nfq_daemon *d, const struct rules_flow *f, const struct rules_verdict *v)
{
	struct nfq_vc_entry *e = &d->vc[vc_hash(f) % NFQ_VC_SLOTS];

	e->expires_ms = d->now_ms + VC_TTL_MS;
	e->family = f->family;
	e->proto = f->proto;
	e->has_mac = f->has_mac;
	memcpy(e->mac, f->src_mac, 6);
	e->sport = f->sport;
	e->dport = f->dport;
	memcpy(e->src, f->src.b, 16);
	memcpy(e->dst, f->dst.b, 16);
	e->v = *v;
}

static void answer(const struct nfq_pkt *pkt, const struct rules_verdict *v, struct nfq_answer *ans)
{
	uint32_t mark = NFQ_MARK_ALLOW;

	if (!v->audit && v->action == RULES_BLOCK) {
		ans->verdict = NF_DROP;	/* nothing to save: the entry never confirms */
		return;
	}
	if (!v->audit && v->action == RULES_REJECT)
		mark = NFQ_MARK_REJECT;
	ans->verdict = NF_REPEAT;
	ans->mark = (pkt->mark & ~NFQ_MARK_MASK) | mark;
	ans->set_mark = 1;
}

static void count(struct nfq_daemon *d, const struct rules_verdict *v)
{
	unsigned a = (unsigned)(v->country >> 8) - 'A', b = (unsigned)(v->country & 0xff) - 'A';

	if ((unsigned)v->action < 4)
		d->c.by_action[v->action]++;
	if (v->audit)
		d->c.audit_passed++;
	if (v->country != GEO_CC_UNKNOWN && a < 26 && b < 26)
		d->c.by_cc[a * 26 + b]++;
	else
		d->c.cc_unknown++;
}

static void log_decision(struct nfq_daemon *d, const struct nfq_pkt *pkt, const struct rules_flow *f,
			 const struct rules_verdict *v, int repeat)
{
	struct nfq_logrec r;

	if (!(v->log || v->audit || v->action != RULES_ALLOW))
		return;
	r.ts = d->now_rt;
	r.flow = *f;
	r.action = v->action;
	r.audit = v->audit;
	r.is_default = v->is_default;
	r.line = v->line;
	r.rule_name = v->name;
	r.device = v->device;
	r.country = v->country;
	snprintf(r.in, sizeof(r.in), "%s", ifname(d, pkt->indev));
	snprintf(r.out, sizeof(r.out), "%s", ifname(d, pkt->outdev));
	if (repeat)
		nfq_declog_fold(d->log, &r, d->now_ms / 1000);
	else
		nfq_declog_add(d->log, &r, d->now_ms / 1000);
}

/* -v: one line per decision (stderr or syslog); off the hot path otherwise. */
static void debug_decision(const struct rules_flow *f, const struct rules_verdict *v, int cached)
{
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?", cc[3];
	int fam = f->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(fam, f->src.b, src, sizeof(src));
	inet_ntop(fam, f->dst.b, dst, sizeof(dst));
	log_debug("%s -> %s proto %u port %u country %s: %s%s (line %d)%s", src, dst, f->proto,
		  f->has_ports ? f->dport : 0, geo_cc_str(v->country, cc), rules_action_name(v->action),
		  v->audit ? " (audit: passed)" : "", v->line, cached ? " [cached retry]" : "");
}

static void decide(void *arg, const struct nfq_pkt *pkt, struct nfq_answer *ans)
{
	struct nfq_daemon *d = arg;
	struct rules_flow flow;
	struct rules_verdict v;
	struct geo_answer geo;
	struct nfq_vc_entry *hit;

	d->c.packets++;
	memset(&flow, 0, sizeof(flow));
	if (nfq_parse_packet(pkt->payload, pkt->len, &flow) < 0) {
		/* Not even an IP header: nothing to decide on; follow the fail mode. */
		d->c.malformed++;
		ans->verdict = d->fail_open ? NF_ACCEPT : NF_DROP;
		return;
	}
	flow.iif = pkt->indev;
	flow.oif = pkt->outdev;
	if (pkt->hwaddr) {
		flow.has_mac = 1;
		memcpy(flow.src_mac, pkt->hwaddr, 6);
	}
	hit = vc_find(d, &flow);
	if (hit) {
		d->c.cache_hits++;
		v = hit->v;
	} else {
		if (geo_lookup(d->db, flow.family, flow.dst.b, &geo) < 0)
			memset(&geo, 0, sizeof(geo));
		rules_eval(d->policy, &flow, &geo, &v);
		if (!v.audit && (v.action == RULES_BLOCK || v.action == RULES_REJECT))
			vc_store(d, &flow, &v);
	}
	answer(pkt, &v, ans);
	count(d, &v);
	log_decision(d, pkt, &flow, &v, hit != NULL);
	if (d->opts->verbose)
		debug_decision(&flow, &v, hit != NULL);
}

/* ---- control socket and signals ---- */

static void ctl_dispatch(struct nfq_daemon *d, const char *cmd, FILE *out)
{
	if (!strcmp(cmd, "stats") || !strcmp(cmd, "stats json")) {
		fputs("ok\n", out);
		nfq_stats_write(d, out, cmd[5] != '\0');
	} else if (!strcmp(cmd, "reopen")) {
		int rc = nfq_declog_reopen(d->log);

		fprintf(out, rc == 0 ? "ok\nlog reopened\n" : "error\ncannot reopen the log: %s\n",
			strerror(errno));
	} else {
		fprintf(out, "error\nunknown command '%s' (stats, stats json, reload, reopen)\n", cmd);
	}
}

static int ctl_read_line(int fd, char *line, size_t len)
{
	size_t used = 0;

	while (used + 1 < len) {
		ssize_t n = read(fd, line + used, len - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(line, '\n', used))
			break;
	}
	line[used] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return used ? 0 : -1;
}

static void handle_ctl(struct nfq_daemon *d)
{
	struct timeval tv = { 0, 250000 };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char line[256], *reply = NULL;
	size_t rlen = 0;
	FILE *out;
	int fd = accept4(d->ctlfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* A stuck client must not stall the queue: short timeouts. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid()) || ctl_read_line(fd, line, sizeof(line)) < 0)
		goto out;
	if (!strcmp(line, "reload")) {
		nfq_reload_request(d, fd);	/* answered when the loader is done */
		return;
	}
	out = open_memstream(&reply, &rlen);
	if (!out)
		goto out;
	ctl_dispatch(d, line, out);
	fclose(out);
	for (size_t off = 0; off < rlen;) {
		ssize_t n = send(fd, reply + off, rlen - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
out:
	free(reply);
	close(fd);
}

static void handle_signal(struct nfq_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			nfq_reload_request(d, -1);
			break;
		case SIGUSR1:
			if (nfq_declog_reopen(d->log) < 0)
				log_warn("cannot reopen the decision log");
			else
				log_info("decision log reopened");
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: stopping", (int)si.ssi_signo);
			d->stop = 1;
			break;
		}
	}
}

/* Once a second: folded log records whose period ended; write-failure
 * warnings (one a minute at most). */
static void housekeeping(struct nfq_daemon *d)
{
	int64_t s = d->now_ms / 1000;
	uint64_t lost;
	int err;

	if (s == d->last_tick_s)
		return;
	d->last_tick_s = s;
	nfq_declog_tick(d->log, s, 0);
	nfq_declog_flush(d->log);
	if (s - d->last_fail_warn_s < FAIL_WARN_S && d->last_fail_warn_s)
		return;
	lost = nfq_declog_take_failures(d->log, &err);
	if (lost) {
		errno = err;
		log_warn("decision log: %llu record%s lost (filtering goes on)",
			 (unsigned long long)lost, lost == 1 ? "" : "s");
		d->last_fail_warn_s = s;
	}
}

static int event_loop(struct nfq_daemon *d)
{
	struct pollfd pfd[4] = {
		{ .fd = nfq_queue_fd(d->q), .events = POLLIN },
		{ .fd = d->ctlfd, .events = POLLIN },
		{ .fd = d->sigfd, .events = POLLIN },
		{ .fd = d->reload.evfd, .events = POLLIN },
	};

	while (!d->stop) {
		int n = poll(pfd, 4, 1000);

		if (n < 0 && errno != EINTR) {
			log_warn("poll");
			return -1;
		}
		d->now_ms = mono_ms();
		clock_gettime(CLOCK_REALTIME, &d->now_rt);
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLERR))) {
			if (nfq_queue_process(d->q, decide, d, 1) < 0) {
				log_warn("netfilter queue socket");
				return -1;
			}
			nfq_declog_flush(d->log);
		}
		if (n > 0 && (pfd[2].revents & POLLIN))
			handle_signal(d);
		if (n > 0 && (pfd[1].revents & POLLIN))
			handle_ctl(d);
		if (n > 0 && (pfd[3].revents & POLLIN))
			nfq_reload_finish(d);
		housekeeping(d);
	}
	return 0;
}

/* ---- start and stop ---- */

static void fatal_cleanup(void)
{
	if (g_daemon && g_daemon->hook != NFQ_HOOK_NONE)
		nfq_hook_remove();
	if (g_daemon && g_daemon->ctlfd >= 0)
		unlink(g_daemon->opts->ctl_path);
	if (g_daemon && g_daemon->pid_written)
		unlink(g_daemon->opts->pidfile);
}

static int setup_signals(struct nfq_daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sigfd < 0 ? -1 : 0;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

static int install_hook(struct nfq_daemon *d)
{
	const struct rules_options *o = rules_options(d->policy);
	char err[1536];

	d->hookcfg.hooks = o->hooks;
	d->hookcfg.queue_first = o->queue_first;
	d->hookcfg.queue_count = o->queue_count;
	d->hookcfg.fail_open = d->fail_open;
	if (d->opts->no_hook) {
		d->hook = NFQ_HOOK_NONE;
		return 0;
	}
	d->hook = nfq_hook_probe_nft() ? NFQ_HOOK_NFT : NFQ_HOOK_IPTABLES;
	if (nfq_hook_install(d->hook, &d->hookcfg, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		d->hook = NFQ_HOOK_NONE;
		return -1;
	}
	return 0;
}

static int drop_privileges(struct nfq_daemon *d, int made_dir)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], err[512];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", d->opts->ctl_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	if (nfq_drop_privileges(d->opts->user, rules_options(d->policy)->log_file,
				made_dir && slash ? dir : NULL, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("running as %s with CAP_NET_ADMIN only", d->opts->user);
	return 0;
}

/* Everything up to "ready".  Returns 0, or -1 after logging why. */
static int daemon_start(struct nfq_daemon *d)
{
	const struct rules_options *o;
	char err[512], summary[256];
	int made_dir = 0;

	if (nfq_ctl_alive(d->opts->ctl_path)) {
		log_warnx("control socket %s answers: another geoegress is running "
			  "(stop it, or use --ctl PATH)", d->opts->ctl_path);
		return -1;
	}
	if (nfq_load_config(d->opts->conf, &d->policy, &d->db, NULL) < 0)
		return -1;
	d->policy_loaded = time(NULL);
	o = rules_options(d->policy);
	d->fail_open = o->fail_mode == RULES_FAIL_OPEN;
	if (!(d->log = nfq_declog_new()))
		return log_warnx("out of memory"), -1;
	nfq_open_log(d, o);
	if (setup_signals(d) < 0)
		return log_warn("signals"), -1;
	if (nfq_reload_init(&d->reload, d->opts->conf) < 0)
		return log_warn("eventfd"), -1;
	d->q = nfq_queue_open(o->queue_first, o->queue_count, d->fail_open, err, sizeof(err));
	if (!d->q)
		return log_warnx("%s", err), -1;
	if (install_hook(d) < 0)
		return -1;
	d->ctlfd = nfq_ctl_listen(d->opts->ctl_path, &made_dir, err, sizeof(err));
	if (d->ctlfd < 0)
		return log_warnx("%s", err), -1;
	if (d->opts->pidfile) {
		if (write_pidfile(d->opts->pidfile) < 0)
			log_warn("pidfile %s", d->opts->pidfile);
		d->pid_written = 1;
	}
	if (d->opts->user && drop_privileges(d, made_dir) < 0)
		return -1;
	rules_summary(d->policy, summary, sizeof(summary));
	if (o->queue_count > 1)
		snprintf(err, sizeof(err), "%u-%u", o->queue_first, o->queue_first + o->queue_count - 1);
	else
		snprintf(err, sizeof(err), "%u", o->queue_first);
	log_info("ready: queue %s, hook %s, fail-mode %s, %s", err, nfq_hook_kind_name(d->hook),
		 d->fail_open ? "open" : "closed", summary);
	nfq_sd_notify("READY=1");
	return 0;
}

static void daemon_stop(struct nfq_daemon *d)
{
	nfq_sd_notify("STOPPING=1");
	nfq_reload_cleanup(d);
	/* Hook first: with fail-mode closed a hook without a reader stops traffic. */
	if (d->hook != NFQ_HOOK_NONE)
		nfq_hook_remove();
	d->hook = NFQ_HOOK_NONE;
	nfq_queue_close(d->q);
	nfq_declog_free(d->log);	/* writes pending folded records */
	if (d->ctlfd >= 0) {
		close(d->ctlfd);
		unlink(d->opts->ctl_path);
	}
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->pid_written)
		unlink(d->opts->pidfile);
	rules_free(d->policy);
	geo_close(d->db);
	g_daemon = NULL;
}

int nfq_run(const struct nfq_opts *opts)
{
	struct nfq_daemon *d = calloc(1, sizeof(*d));
	int rc = 1;

	log_init(opts->foreground, opts->verbose);
	if (!d) {
		log_warnx("out of memory");
		return 1;
	}
	d->opts = opts;
	d->ctlfd = d->sigfd = d->reload.evfd = -1;
	d->started = time(NULL);
	d->now_ms = mono_ms();
	g_daemon = d;
	log_set_fatal_hook(fatal_cleanup);
	if (daemon_start(d) == 0 && event_loop(d) == 0)
		rc = 0;
	daemon_stop(d);
	log_info("stopped");
	free(d);
	return rc;
}
