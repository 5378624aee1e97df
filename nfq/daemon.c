// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * geoegress run: load policy and database, bind the queue, install the
 * hook, then decide packets until SIGTERM/SIGINT.  The queue workers
 * (worker.c) decide packets; this main thread runs the control socket, the
 * signals (signalfd), reloads (reload.c) and the once-a-second log chores.
 */
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

#include "nfq/daemon_int.h"
#include "util/log.h"

#define FAIL_WARN_S 60		/* log write failures: one warning a minute at most */

static struct nfq_daemon *g_daemon;	/* for the fatal() hook only */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct nfq_config *nfq_config_new(struct nfq_daemon *d, struct rules_policy *p, struct geo_db *db)
{
	struct nfq_config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->policy = p;
	c->db = db;
	c->gen = ++d->next_gen;
	c->loaded = time(NULL);
	return c;
}

void nfq_config_free(struct nfq_config *c)
{
	if (!c)
		return;
	rules_free(c->policy);
	geo_close(c->db);
	geo_close(c->asn_db);
	free(c);
}

/* ---- control socket and signals ---- */

/* Reopens the decision log (logrotate: SIGUSR1, or `reopen` on the
 * control socket) under the lock the workers write it with.  Returns 0,
 * or -1 with errno set. */
static int reopen_declog(struct nfq_daemon *d)
{
	int rc, e;

	pthread_mutex_lock(&d->declog_lock);
	rc = nfq_declog_reopen(d->declog);
	e = errno;
	pthread_mutex_unlock(&d->declog_lock);
	errno = e;
	return rc;
}

/* "explain SRC MAC|- DST PROTO PORT|-1": rules_explain() with the policy and
 * database in force (the main thread swaps them: stable here). */
static void ctl_explain(struct nfq_daemon *d, const char *args, FILE *out)
{
	char src[64], mac[32], dst[64];
	unsigned proto;
	int port;
	struct rules_flow f;
	struct nfq_dest x;
	const struct nfq_config *cfg = d->cfg;

	memset(&f, 0, sizeof(f));
	if (sscanf(args, "%63s %31s %63s %u %d", src, mac, dst, &proto, &port) != 5 || proto > 255 ||
	    port > 65535 || rules_flow_set_addr(&f, 's', src) < 0 || rules_flow_set_addr(&f, 'd', dst) < 0 ||
	    (strcmp(mac, "-") && rules_flow_set_mac(&f, mac) < 0)) {
		fputs("error\nexplain: expected SRC MAC|- DST PROTO PORT|-1\n", out);
		return;
	}
	f.proto = (uint8_t)proto;
	if (port >= 0) {
		f.has_ports = 1;
		f.dport = (uint16_t)port;
	}
	nfq_dest_lookup(d, cfg, &f, nfq_names_now(), &x);
	fputs("ok\n", out);
	fprintf(out, "running:  the daemon's policy (generation %llu, %s) and database\n",
		(unsigned long long)cfg->gen, d->opts->conf);
	rules_explain(cfg->policy, &f, &x.geo, &x.rd, x.asn.org, out);
}

static void ctl_dispatch(struct nfq_daemon *d, const char *cmd, FILE *out)
{
	if (!strncmp(cmd, "explain ", 8)) {
		ctl_explain(d, cmd + 8, out);
		return;
	}
	if (!strcmp(cmd, "stats prometheus")) {
		fputs("ok\n", out);
		nfq_stats_write_prom(d, out);
	} else if (!strcmp(cmd, "stats") || !strcmp(cmd, "stats json")) {
		fputs("ok\n", out);
		nfq_stats_write(d, out, cmd[5] != '\0');
	} else if (!strcmp(cmd, "names")) {	/* for `geoegress flows` (names.c) */
		fputs("ok\n", out);
		if (d->names)
			nfq_names_dump(d->names, out);
	} else if (!strcmp(cmd, "reopen")) {
		int rc = reopen_declog(d);

		fprintf(out, rc == 0 ? "ok\nlog reopened\n" : "error\ncannot reopen the log: %s\n",
			strerror(errno));
	} else {
		fprintf(out, "error\nunknown command '%s' (stats, stats json, reload, reopen, explain, names)\n", cmd);
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
			if (reopen_declog(d) < 0)
				log_warn("cannot reopen the decision log");
			else
				log_info("decision log reopened");
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: stopping", (int)si.ssi_signo);
			d->stopping = 1;
			break;
		}
	}
}

/* Records the remote syslog target dropped: one warning a minute at most. */
static void syslog_warnings(struct nfq_daemon *d, int64_t s)
{
	uint64_t n = 0;
	int err = 0;

	if (s - d->syslog_warn_s < FAIL_WARN_S && d->syslog_warn_s)
		return;
	pthread_mutex_lock(&d->declog_lock);
	n = nfq_declog_take_syslog_drops(d->declog, &err);
	pthread_mutex_unlock(&d->declog_lock);
	if (!n)
		return;
	errno = err;
	log_warn("log-syslog: %llu record%s not sent to the collector",
		 (unsigned long long)n, n == 1 ? "" : "s");
	d->syslog_warn_s = s;
}

/* Once a second: folded log records whose period ended; write-failure
 * warnings (one a minute at most). */
static void housekeeping(struct nfq_daemon *d, int64_t now_ms)
{
	int64_t s = now_ms / 1000;
	uint64_t lost;
	int err;

	if (s == d->last_tick_s)
		return;
	d->last_tick_s = s;
	nfq_guard_tick(d, s);
	pthread_mutex_lock(&d->declog_lock);
	nfq_declog_tick(d->declog, s, 0);
	nfq_declog_flush(d->declog);
	lost = (s - d->last_fail_warn_s >= FAIL_WARN_S || !d->last_fail_warn_s) ?
		nfq_declog_take_failures(d->declog, &err) : 0;
	pthread_mutex_unlock(&d->declog_lock);
	if (lost) {
		errno = err;
		log_warn("decision log: %llu record%s lost (filtering goes on)",
			 (unsigned long long)lost, lost == 1 ? "" : "s");
		d->last_fail_warn_s = s;
	}
	syslog_warnings(d, s);
	nfq_metrics_tick(d, s);
}

static int event_loop(struct nfq_daemon *d)
{
	struct pollfd pfd[4] = {
		{ .fd = d->ctlfd, .events = POLLIN },
		{ .fd = d->sigfd, .events = POLLIN },
		{ .fd = d->reload.evfd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};

	while (!d->stopping) {
		int n;

		pfd[3].fd = nfq_guard_fd(d);	/* -1 (ignored by poll) without a watch */
		n = poll(pfd, 4, 1000);
		if (n < 0 && errno != EINTR) {
			log_warn("poll");
			return -1;
		}
		if (n > 0 && (pfd[3].revents & (POLLIN | POLLERR)))
			nfq_guard_watch(d);
		if (n > 0 && (pfd[1].revents & POLLIN))
			handle_signal(d);
		if (n > 0 && (pfd[0].revents & POLLIN))
			handle_ctl(d);
		if (n > 0 && (pfd[2].revents & POLLIN))
			nfq_reload_finish(d);
		housekeeping(d, mono_ms());
		if (nfq_workers_failed(d))
			return -1;
	}
	return 0;
}

/* ---- start and stop ---- */

static void fatal_cleanup(void)
{
	if (g_daemon)
		nfq_guard_stop(g_daemon, "the daemon died (fatal error)");
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

static int drop_privileges(struct nfq_daemon *d, int made_dir)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], err[512], state[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", d->opts->ctl_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	/* The state file must exist to be handed over (written in place later). */
	(void)nfq_state_write(d->opts->state_dir, &d->state);
	nfq_state_path(d->opts->state_dir, state, sizeof(state));
	if (nfq_drop_privileges(d->opts->user, rules_options(d->cfg->policy)->log_file, state,
				made_dir && slash ? dir : NULL, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("running as %s with CAP_NET_ADMIN only", d->opts->user);
	return 0;
}

static void announce_ready(struct nfq_daemon *d, const struct rules_options *o)
{
	char summary[256], queues[32];

	rules_summary(d->cfg->policy, summary, sizeof(summary));
	if (o->queue_count > 1)
		snprintf(queues, sizeof(queues), "%u-%u", o->queue_first,
			 o->queue_first + o->queue_count - 1);
	else
		snprintf(queues, sizeof(queues), "%u", o->queue_first);
	log_info("ready: queue %s, hook %s, fail-mode %s, %s", queues, nfq_hook_kind_name(d->hook),
		 d->fail_open ? "open" : "closed", summary);
}

/* Policy and database; the first error's text in reason.  0 or -1. */
static int load_first(struct nfq_daemon *d, struct rules_policy *policy, char *reason, size_t len)
{
	struct geo_db *db = nfq_open_db(policy, NULL, reason, len), *asn = NULL;

	if (!db || nfq_open_asn_db(policy, NULL, reason, len, &asn) < 0) {
		geo_close(db);
		rules_free(policy);
		return -1;
	}
	d->cfg = nfq_config_new(d, policy, db);
	if (!d->cfg) {
		rules_free(policy);
		geo_close(db);
		geo_close(asn);
		snprintf(reason, len, "out of memory");
		return -1;
	}
	d->cfg->asn_db = asn;
	return 0;
}

/* The NFLOG reader.  A policy that tests names cannot do without it; one
 * that only logs them (names yes) runs without, and says so. */
static int names_start(struct nfq_daemon *d, const struct rules_options *o)
{
	unsigned host_rules, asn_rules;
	char err[512];

	d->names = nfq_names_for(o, err, sizeof(err));
	if (d->names)
		return 0;
	rules_dest_tests(d->cfg->policy, &host_rules, &asn_rules);
	log_warnx("%s%s", err, host_rules ? "" : "; going on without names");
	return host_rules ? -1 : 0;
}

/* Everything up to "ready".  Returns 0, or -1 after logging why (and,
 * in fail-mode closed, holding the gateway closed). */
static int daemon_start(struct nfq_daemon *d)
{
	const struct rules_options *o;
	struct rules_policy *policy;
	char err[512];
	int made_dir = 0;

	if (nfq_ctl_alive(d->opts->ctl_path)) {
		log_warnx("control socket %s answers: another geoegress is running "
			  "(stop it, or use --ctl PATH)", d->opts->ctl_path);
		return -1;
	}
	if (setup_signals(d) < 0)
		return log_warn("signals"), -1;
	policy = nfq_parse_policy(d->opts->conf, NULL, err, sizeof(err));
	if (nfq_guard_init(d, policy) < 0) {
		rules_free(policy);
		return -1;
	}
	if (!policy || load_first(d, policy, err, sizeof(err)) < 0)
		return nfq_guard_failed(d, err);
	o = rules_options(d->cfg->policy);
	if (!(d->declog = nfq_declog_new()))
		return nfq_guard_failed(d, "out of memory");
	nfq_open_log(d, o);
	if (nfq_reload_init(&d->reload, d->opts->conf) < 0)
		return log_warn("eventfd"), nfq_guard_failed(d, "eventfd failed");
	/* Queues first: in fail-mode closed a hook without a reader stops traffic. */
	if (nfq_workers_open(d, o->queue_first, o->queue_count, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return nfq_guard_failed(d, err);
	}
	/* Names from DNS answers (names.c): bound before the hook copies them. */
	if (o->learn_names && names_start(d, o) < 0)
		return nfq_guard_failed(d, "cannot learn names from DNS answers");
	/* Connections that exist undecided are decided before the hook goes
	 * in, so each is decided (and logged) once. */
	d->sweep = nfq_sweep_new(d);
	nfq_sweep_now(d->sweep);
	if (nfq_guard_enforce(d, o) < 0)
		return nfq_guard_failed(d, "cannot install the hook");
	d->ctlfd = nfq_ctl_listen(d->opts->ctl_path, &made_dir, err, sizeof(err));
	if (d->ctlfd < 0)
		return log_warnx("%s", err), nfq_guard_failed(d, err);
	if (d->opts->pidfile) {
		if (write_pidfile(d->opts->pidfile) < 0)
			log_warn("pidfile %s", d->opts->pidfile);
		d->pid_written = 1;
	}
	if (d->opts->user && drop_privileges(d, made_dir) < 0)
		return nfq_guard_failed(d, "cannot drop privileges");
	/* Before any thread: each one inherits the filter. */
	if (!d->opts->no_seccomp) {
		if (nfq_seccomp_apply(err, sizeof(err)) < 0)
			return log_warnx("%s", err), nfq_guard_failed(d, err);
		log_debug("seccomp allow-list loaded");
	}
	/* After the drop: threads take the credentials they are created with. */
	if (nfq_workers_start(d) < 0 || nfq_sweep_start(d->sweep) < 0 ||
	    (d->names && nfq_names_start(d->names) < 0))
		return nfq_guard_failed(d, "cannot start the queue workers");
	/* What passed between the sweep above and the hook. */
	nfq_sweep_request(d->sweep, NFQ_SWEEP_UNDECIDED);
	nfq_guard_started(d, d->opts->conf, o);
	announce_ready(d, o);
	nfq_sd_notify("READY=1");
	return 0;
}

static void daemon_stop(struct nfq_daemon *d, int rc)
{
	nfq_sd_notify("STOPPING=1");
	nfq_metrics_stop(d);
	nfq_reload_cleanup(d);
	/* Hook first: in fail-mode closed it is held (no queue) before the
	 * queue goes; in open it is removed. */
	nfq_guard_stop(d, rc == 0 ? "the daemon was stopped" : "the daemon stopped on an error");
	nfq_sweep_free(d->sweep);
	d->sweep = NULL;
	nfq_workers_stop(d);
	nfq_workers_close(d);
	nfq_names_free(d->names);	/* after the workers: they read its cache */
	d->names = NULL;
	nfq_declog_free(d->declog);	/* writes pending folded records */
	if (d->ctlfd >= 0) {
		close(d->ctlfd);
		unlink(d->opts->ctl_path);
	}
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->pid_written)
		unlink(d->opts->pidfile);
	nfq_watch_close(d->watch);
	nfq_hook_free(d->hookh);
	nfq_config_free(d->cfg);
	pthread_mutex_destroy(&d->declog_lock);
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
	pthread_mutex_init(&d->declog_lock, NULL);
	g_daemon = d;
	log_set_fatal_hook(fatal_cleanup);
	if (daemon_start(d) == 0 && event_loop(d) == 0)
		rc = 0;
	daemon_stop(d, rc);
	log_info("stopped");
	free(d);
	return rc;
}
