// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keeping "running" equal to "enforcing": the fail mode and the held
 * state, the ruleset watch and hook repairs, the count of packets that
 * passed undecided.  Main thread only.
 *
 * Fail mode when the policy cannot be read: closed while the state file
 * says the gateway is held (only a good start or `unlock` opens it), else
 * the state file's (the last policy that loaded), else `run --fail-mode`,
 * else open.  With fail-mode
 * closed the hook is held (hook.c: no queue; undecided packets dropped)
 * from the first thing the daemon does until it decides, when it cannot
 * start, and after it stops; `geoegress unlock` lifts it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "nfq/daemon_int.h"
#include "util/log.h"

#define REPAIR_WINDOW_S 60	/* more than REPAIR_BURST repairs in a window: */
#define REPAIR_BURST 10
#define REPAIR_SLOW_S 5		/* ... repair once every 5 s, and say why */
#define UNDECIDED_WARN_S 60
#define BACKOFF_MAX_S 60

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void state_save(struct nfq_daemon *d)
{
	char path[4096];

	if (nfq_state_write(d->opts->state_dir, &d->state) < 0) {
		nfq_state_path(d->opts->state_dir, path, sizeof(path));
		log_warn("state file %s (the fail mode of the last good policy is kept there)", path);
	}
}

static void hook_cfg(struct nfq_daemon *d, const struct rules_options *o)
{
	if (o) {
		d->hookcfg.hooks = o->hooks;
		d->hookcfg.queue_first = o->queue_first;
		d->hookcfg.queue_count = o->queue_count;
	} else {
		d->hookcfg.hooks = d->state.hooks ? d->state.hooks : RULES_HOOK_FORWARD;
		d->hookcfg.queue_first = 0;
		d->hookcfg.queue_count = 1;
	}
	d->hookcfg.fail_open = d->fail_open;
	/* the copies of DNS answers only when a reader is bound (names.c) */
	d->hookcfg.names = o && o->learn_names && d->names;
	d->hookcfg.names_group = o ? o->names_group : 0;
}

static void choose_backend(struct nfq_daemon *d)
{
	if (d->opts->backend == NFQ_BACKEND_NFT)
		d->hook = NFQ_HOOK_NFT;
	else if (d->opts->backend == NFQ_BACKEND_IPTABLES)
		d->hook = NFQ_HOOK_IPTABLES;
	else
		d->hook = nfq_hook_probe_nft(d->hookh) ? NFQ_HOOK_NFT : NFQ_HOOK_IPTABLES;
	if (d->hook == NFQ_HOOK_IPTABLES && nfq_hook_legacy_iptables(d->hookh))
		log_warnx("iptables is iptables-legacy: the queue rule goes there, where the ruleset "
			  "watch cannot see it; the last chain still counts (and in fail-mode closed "
			  "drops) what passes undecided");
}

static int hold(struct nfq_daemon *d)
{
	if (nfq_hook_install(d->hookh, d->hook, NFQ_HOOK_HELD, &d->hookcfg) < 0) {
		log_warnx("cannot hold the gateway closed: %s", nfq_hook_error(d->hookh));
		return -1;
	}
	d->form = NFQ_HOOK_HELD;
	return 0;
}

int nfq_guard_init(struct nfq_daemon *d, const struct rules_policy *p)
{
	char err[512];

	nfq_state_read(d->opts->state_dir, &d->state);
	if (p)
		d->fail_open = rules_options(p)->fail_mode == RULES_FAIL_OPEN;
	else if (d->state.held && !d->state.lifted)
		d->fail_open = 0;	/* e.g. held since a start whose database failed */
	else if (d->state.valid && d->state.good_at)
		d->fail_open = !d->state.fail_closed;
	else
		d->fail_open = !d->opts->fail_closed;
	hook_cfg(d, p ? rules_options(p) : NULL);
	if (d->opts->no_hook)
		return 0;
	d->hookh = nfq_hook_new(err, sizeof(err));
	if (!d->hookh) {
		log_warnx("%s", err);
		return -1;
	}
	choose_backend(d);
	if (d->fail_open || d->state.lifted)
		return 0;
	/* Closed from the first second: nothing new passes until we decide. */
	if (hold(d) == 0)
		log_info("fail-mode closed: holding new connections until the policy is in force");
	return 0;
}

/* Seconds to wait before a failed start exits, so that systemd's
 * restarts back off (1, 2, 4 ... 60 s); only under systemd. */
static unsigned backoff_s(const struct nfq_daemon *d)
{
	unsigned n = d->state.failures;

	if (!getenv("INVOCATION_ID") || n <= 1)
		return 0;
	return n - 1 >= 6 ? BACKOFF_MAX_S : 1u << (n - 1);
}

/* Waits s seconds, less when SIGTERM/SIGINT comes or the policy's
 * directory changes (the admin fixed it: start again at once). */
static void backoff_wait(struct nfq_daemon *d, unsigned s)
{
	char dir[4096];
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	struct pollfd pfd[2] = { { .fd = d->sigfd, .events = POLLIN }, { .fd = in, .events = POLLIN } };

	snprintf(dir, sizeof(dir), "%s", d->opts->conf);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (in >= 0)
		inotify_add_watch(in, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
	log_info("next start in %u s (or as soon as %s changes)", s, d->opts->conf);
	(void)poll(pfd, in >= 0 ? 2 : 1, (int)s * 1000);
	if (in >= 0)
		close(in);
}

int nfq_guard_failed(struct nfq_daemon *d, const char *reason)
{
	time_t now = time(NULL);
	unsigned wait;

	d->state.failures++;
	snprintf(d->state.reason, sizeof(d->state.reason), "%s", reason);
	if (d->hookh && !d->fail_open && !d->state.lifted) {
		if (d->form != NFQ_HOOK_HELD || d->hook == NFQ_HOOK_NONE)
			hold(d);
		if (!d->state.held)
			d->state.held_since = now;
		d->state.held = 1;
		d->state.fail_closed = 1;	/* the fail mode in force, even before a good start */
		log_warnx("fail-mode closed: the gateway is HELD CLOSED: new connections are dropped "
			  "until geoegress starts with a good policy and database (%s); "
			  "`geoegress unlock` lifts it", reason);
	} else if (d->hookh) {
		nfq_hook_remove(d->hookh);	/* nothing stale: no daemon, no hook */
		d->state.held = 0;
	}
	d->hook = NFQ_HOOK_NONE;	/* not ours to remove at exit */
	state_save(d);
	wait = backoff_s(d);
	if (wait)
		backoff_wait(d, wait);
	return -1;
}

int nfq_guard_enforce(struct nfq_daemon *d, const struct rules_options *o)
{
	uint64_t before = 0;
	int held;

	hook_cfg(d, o);
	if (d->opts->no_hook) {
		d->hook = NFQ_HOOK_NONE;
		return 0;
	}
	if (nfq_hook_present(d->hookh, &held) && nfq_hook_undecided(d->hookh, &before) == 0 && before)
		log_warnx("%llu packet%s reached the last chain of the hook left in place undecided "
			  "while no daemon decided (passed where it was fail-mode open, dropped where "
			  "closed); their connections are decided now", (unsigned long long)before,
			  before == 1 ? "" : "s");
	if (nfq_hook_install(d->hookh, d->hook, NFQ_HOOK_ENFORCE, &d->hookcfg) < 0) {
		log_warnx("%s", nfq_hook_error(d->hookh));
		return -1;
	}
	d->form = NFQ_HOOK_ENFORCE;
	nfq_hook_undecided(d->hookh, &d->undecided);
	d->undecided_at_start = d->undecided_warned = d->undecided;
	return 0;
}

void nfq_guard_started(struct nfq_daemon *d, const char *conf, const struct rules_options *o)
{
	char err[512];

	if (d->hookh && d->hook != NFQ_HOOK_NONE) {
		d->watch = nfq_watch_open(err, sizeof(err));
		if (!d->watch)
			log_warnx("%s: changes to the hook will not be noticed", err);
	}
	d->state.fail_closed = !d->fail_open;
	snprintf(d->state.policy, sizeof(d->state.policy), "%s", conf);
	d->state.hooks = o->hooks;
	d->state.good_at = time(NULL);
	d->state.held = d->state.lifted = 0;
	d->state.held_since = 0;
	d->state.failures = 0;
	d->state.reason[0] = '\0';
	state_save(d);
}

void nfq_guard_reloaded(struct nfq_daemon *d, const char *conf)
{
	snprintf(d->state.policy, sizeof(d->state.policy), "%s", conf);
	d->state.good_at = time(NULL);
	state_save(d);
}

void nfq_guard_stop(struct nfq_daemon *d, const char *why)
{
	if (!d->hookh || d->hook == NFQ_HOOK_NONE)
		return;
	if (!d->fail_open && !d->state.lifted) {
		if (hold(d) == 0) {
			log_info("fail-mode closed: the gateway stays held closed while no daemon "
				 "decides (`geoegress unlock` lifts it)");
			d->state.held = 1;
			d->state.held_since = time(NULL);
			snprintf(d->state.reason, sizeof(d->state.reason), "%s", why);
			state_save(d);
			d->hook = NFQ_HOOK_NONE;
			return;
		}
	}
	nfq_hook_remove(d->hookh);
	d->hook = NFQ_HOOK_NONE;
}

/* Looks at the hook; restores it when it is not what we installed. */
static void check_hook(struct nfq_daemon *d, const char *who)
{
	char what[256];
	int64_t now = mono_s();
	int rc;

	if (!d->hookh || d->hook == NFQ_HOOK_NONE)
		return;
	rc = nfq_hook_verify(d->hookh, what, sizeof(what));
	if (rc <= 0) {
		if (rc < 0)
			log_warnx("cannot read the ruleset: %s", nfq_hook_error(d->hookh));
		d->hook_broken = rc < 0;
		return;
	}
	if (!d->hook_broken || who)
		snprintf(d->last_change, sizeof(d->last_change), "%s, by %s", what,
			 who ? who : "an earlier change");
	if (now - d->repair_window_s >= REPAIR_WINDOW_S) {
		d->repair_window_s = now;
		d->repair_window_n = 0;
	}
	if (d->repair_window_n >= REPAIR_BURST && now - d->last_repair_mono < REPAIR_SLOW_S) {
		if (!d->hook_broken)
			log_warnx("hook: %s; another tool keeps changing it (%u repairs within %d s): "
				  "restoring it every %d s from now on", d->last_change,
				  d->repair_window_n, REPAIR_WINDOW_S, REPAIR_SLOW_S);
		d->hook_broken = 1;	/* the tick comes back */
		return;
	}
	if (nfq_hook_reinstall(d->hookh) < 0) {
		if (!d->hook_broken)
			log_warnx("hook: %s; cannot restore it: %s (retrying every second)",
				  d->last_change, nfq_hook_error(d->hookh));
		d->hook_broken = 1;
		return;
	}
	d->repair_window_n++;
	d->last_repair_mono = now;
	d->repairs++;
	d->last_repair = time(NULL);
	d->hook_broken = 0;
	log_warnx("hook: %s; restored", d->last_change);
	/* What passed while the hook was gone passed uncounted (our table's
	 * counter may have gone with it): decide those connections now, not
	 * at the next periodic sweep. */
	nfq_sweep_request(d->sweep, NFQ_SWEEP_UNDECIDED);
}

void nfq_guard_watch(struct nfq_daemon *d)
{
	char who[128] = "";
	int rc = nfq_watch_read(d->watch, who, sizeof(who));

	if (rc < 0) {
		log_warn("ruleset watch failed; changes to the hook are checked once a second");
		nfq_watch_close(d->watch);
		d->watch = NULL;
		d->hook_broken = 1;
		return;
	}
	if (rc > 0)
		check_hook(d, who);
}

int nfq_guard_fd(const struct nfq_daemon *d)
{
	return d->watch ? nfq_watch_fd(d->watch) : -1;
}

void nfq_guard_tick(struct nfq_daemon *d, int64_t now_s)
{
	uint64_t n;

	if (d->hook_broken || (!d->watch && d->hook != NFQ_HOOK_NONE))
		check_hook(d, NULL);
	if (!d->hookh || d->hook == NFQ_HOOK_NONE || nfq_hook_undecided(d->hookh, &n) < 0)
		return;
	if (n > d->undecided)
		nfq_sweep_request(d->sweep, NFQ_SWEEP_UNDECIDED);	/* decide them now */
	d->undecided = n;
	if (n > d->undecided_warned && now_s - d->undecided_warn_s >= UNDECIDED_WARN_S) {
		log_warnx("%llu packet%s reached the last chain undecided and %s (queue full or "
			  "bypassed, or a rule skipped the queue rule); their connections are "
			  "decided at their next packet",
			  (unsigned long long)(n - d->undecided_warned), n - d->undecided_warned == 1 ?
			  "" : "s", d->fail_open ? "passed (fail-mode open)" : "were dropped");
		d->undecided_warned = n;
		d->undecided_warn_s = now_s;
	}
}
