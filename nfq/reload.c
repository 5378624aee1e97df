// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading policy and database, and reloading them without stopping
 * decisions: a loader thread parses the policy and opens (compiles) the
 * database — about 0.3 s for the full tor-geoipdb one — while the event
 * loop keeps answering packets with the running ones.  When the thread is
 * done it signals an eventfd; the loop then swaps the pointers between two
 * batches (so no verdict ever sees a half-swapped state), frees the old
 * ones, and answers the `geoegress reload` clients that asked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "nfq/daemon_int.h"
#include "util/log.h"

#define DB_OLD_DAYS 180

static void report_diags(const struct rules_errors *errs, FILE *msg)
{
	for (size_t i = 0; i < errs->count; i++) {
		const struct rules_diag *dg = &errs->diags[i];

		if (dg->severity == RULES_ERROR)
			log_warnx("%s", dg->text);
		else
			log_info("%s", dg->text);
		if (msg && dg->severity == RULES_ERROR)
			fprintf(msg, "%s\n", dg->text);
	}
}

struct rules_policy *nfq_parse_policy(const char *conf, FILE *msg, char *first, size_t firstlen)
{
	struct rules_errors errs = { 0 };
	struct rules_policy *p = rules_parse_file(conf, &errs);

	report_diags(&errs, msg);
	if (!p) {
		log_warnx("%s: policy rejected (%zu error%s)", conf, errs.nerrors,
			  errs.nerrors == 1 ? "" : "s");
		if (first) {
			snprintf(first, firstlen, "%s: policy rejected", conf);
			for (size_t i = 0; i < errs.count; i++) {
				if (errs.diags[i].severity != RULES_ERROR)
					continue;
				/* the message line, without the source line and caret */
				snprintf(first, firstlen, "%.*s", (int)strcspn(errs.diags[i].text, "\n"),
					 errs.diags[i].text);
				break;
			}
		}
	}
	rules_errors_free(&errs);
	return p;
}

struct geo_db *nfq_open_db(const struct rules_policy *p, FILE *msg, char *first, size_t firstlen)
{
	struct geo_err gerr;
	struct geo_info info;
	struct geo_db *db = geo_open(rules_options(p)->database, &gerr);

	if (!db) {
		log_warnx("%s", gerr.msg);
		if (msg)
			fprintf(msg, "%s\n", gerr.msg);
		if (first)
			snprintf(first, firstlen, "%s", gerr.msg);
		return NULL;
	}
	geo_info(db, &info);
	if (info.build_epoch && time(NULL) - info.build_epoch > (time_t)DB_OLD_DAYS * 86400)
		log_warnx("%s: database built %ld days ago; rebuild it (" GEOEGRESS_SHAREDIR "/geodb-build)",
			  info.path, (long)((time(NULL) - info.build_epoch) / 86400));
	return db;
}

int nfq_open_asn_db(const struct rules_policy *p, FILE *msg, char *first, size_t firstlen,
		    struct geo_db **out)
{
	const char *path = rules_options(p)->asn_database;
	struct geo_err gerr;

	*out = NULL;
	if (!path)
		return 0;
	*out = geo_open_asn(path, &gerr);
	if (*out)
		return 0;
	log_warnx("AS database: %s", gerr.msg);
	if (msg)
		fprintf(msg, "AS database: %s\n", gerr.msg);
	if (first)
		snprintf(first, firstlen, "AS database: %s", gerr.msg);
	return -1;
}

int nfq_load_config(const char *conf, struct rules_policy **pp, struct geo_db **dbp, struct geo_db **asnp,
		    FILE *msg)
{
	struct rules_policy *p = nfq_parse_policy(conf, msg, NULL, 0);
	struct geo_db *db;

	if (!p)
		return -1;
	db = nfq_open_db(p, msg, NULL, 0);
	if (!db || nfq_open_asn_db(p, msg, NULL, 0, asnp) < 0) {
		geo_close(db);
		rules_free(p);
		return -1;
	}
	*pp = p;
	*dbp = db;
	return 0;
}

/* option log-syslog's remote target; warns when its socket cannot be had. */
static void open_syslog_target(struct nfq_daemon *d, const struct rules_options *o)
{
	char t[80];
	int e;

	if (nfq_declog_outputs(d->declog, o->gateway, &o->syslog) == 0)
		return;
	e = errno;
	rules_syslog_target(&o->syslog, t, sizeof(t));
	errno = e;
	log_warn("log-syslog %s: no socket yet (records are dropped and counted until a later "
		 "attempt, 1 to 30 s apart, works)%s", t, e == EAFNOSUPPORT || e == EPERM ?
		 "; under systemd the unit must allow AF_INET/AF_INET6 and the collector's address "
		 "(RestrictAddressFamilies=, IPAddressAllow=; README)" : "");
}

int nfq_open_log(struct nfq_daemon *d, const struct rules_options *o)
{
	int rc = 0;

	nfq_declog_cap(d->declog, o->log_total, o->log_total_period);
	if (nfq_declog_configure(d->declog, o->log_file, o->log_syslog, o->log_rate,
				 o->log_rate_period) < 0) {
		log_warn("decision log %s: cannot open (decisions are still enforced; "
			 "records are counted as failed)", o->log_file);
		rc = -1;
	}
	/* After: the pending folded records went where the old options said. */
	open_syslog_target(d, o);
	return rc;
}

/* Warns about settings that only a restart applies. */
static void check_restart_needed(const struct nfq_daemon *d, const struct rules_options *o, FILE *msg)
{
	const struct rules_options *cur = rules_options(d->cfg->policy);

	if (o->queue_first != cur->queue_first || o->queue_count != cur->queue_count ||
	    o->hooks != cur->hooks || o->fail_mode != cur->fail_mode) {
		log_warnx("reload: queue, hooks and fail-mode changes take effect at the next "
			  "restart; the running ones stay");
		if (msg)
			fprintf(msg, "note: queue, hooks and fail-mode changes need a restart\n");
	}
	if (o->learn_names != (d->names != NULL) ||
	    (d->names && (o->names_group != cur->names_group || o->names_max != cur->names_max))) {
		log_warnx("reload: names are %s learned until the next restart (option names, "
			  "names-group and names-max take effect then)%s", d->names ? "still" : "not",
			  o->learn_names && !d->names ? "; 'to host' tests match nothing until then" : "");
		if (msg)
			fprintf(msg, "note: option names, names-group and names-max changes need a restart\n");
	}
}

static void *loader(void *arg)
{
	struct nfq_reload *r = arg;
	FILE *msg = open_memstream(&r->msg, &r->msglen);
	uint64_t one = 1;

	r->rc = nfq_load_config(r->conf, &r->np, &r->ndb, &r->nasn, msg);
	if (msg)
		fclose(msg);
	if (write(r->evfd, &one, sizeof(one)) < 0)
		log_warn("reload: eventfd");
	return NULL;
}

int nfq_reload_init(struct nfq_reload *r, const char *conf)
{
	memset(r, 0, sizeof(*r));
	r->conf = conf;
	r->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return r->evfd < 0 ? -1 : 0;
}

static void start_thread(struct nfq_daemon *d)
{
	struct nfq_reload *r = &d->reload;
	int err;

	nfq_sd_notify("RELOADING=1");
	log_info("reloading %s", d->opts->conf);
	/* The clients that asked so far get this run's answer. */
	memcpy(r->cur, r->next, sizeof(r->next));
	r->ncur = r->nnext;
	r->nnext = 0;
	r->again = 0;
	r->np = NULL;
	r->ndb = NULL;
	r->nasn = NULL;
	r->msg = NULL;
	r->msglen = 0;
	err = pthread_create(&r->thread, NULL, loader, r);
	if (err) {
		errno = err;
		log_warn("reload: cannot start the loader thread; loading inline");
		loader(r);
	}
	r->running = 1;
	r->joinable = err == 0;
}

void nfq_reload_request(struct nfq_daemon *d, int client_fd)
{
	struct nfq_reload *r = &d->reload;

	if (client_fd >= 0) {
		if (r->nnext >= NFQ_RELOAD_WAITERS) {
			(void)!write(client_fd, "error\nreload: too many waiting clients\n", 39);
			close(client_fd);
		} else {
			r->next[r->nnext++] = client_fd;
		}
	}
	if (r->running)
		r->again = 1;	/* run once more when this one is done */
	else
		start_thread(d);
}

static void answer_clients(struct nfq_reload *r, const char *status, const char *text)
{
	for (int i = 0; i < r->ncur; i++) {
		int fd = r->cur[i];

		(void)!write(fd, status, strlen(status));
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
	r->ncur = 0;
}

/* Swaps the loaded policy and database in.  Main thread, between batches. */
static int swap_in(struct nfq_daemon *d, FILE *msg)
{
	struct nfq_reload *r = &d->reload;
	struct nfq_config *old = d->cfg, *nc = nfq_config_new(d, r->np, r->ndb);
	char summary[256];

	if (!nc) {
		fprintf(msg, "out of memory\n");
		return -1;
	}
	nc->asn_db = r->nasn;
	r->np = NULL;
	r->ndb = NULL;
	r->nasn = NULL;
	check_restart_needed(d, rules_options(nc->policy), msg);
	if (d->names)	/* the TTL floor and ceiling apply to what is learned from now on */
		nfq_names_set_ttl(d->names, rules_options(nc->policy)->names_ttl_min,
				  rules_options(nc->policy)->names_ttl_max);
	/* Pending folded records are written (with the old policy's names)
	 * and the log reopened (logrotate) under the new options. */
	pthread_mutex_lock(&d->declog_lock);
	nfq_open_log(d, rules_options(nc->policy));
	pthread_mutex_unlock(&d->declog_lock);
	__atomic_store_n(&d->cfg, nc, __ATOMIC_SEQ_CST);
	nfq_workers_quiesce(d, nc->gen);
	/* Batches begun with the old policy may have folded records citing it. */
	pthread_mutex_lock(&d->declog_lock);
	nfq_declog_tick(d->declog, 0, 1);
	nfq_declog_flush(d->declog);
	pthread_mutex_unlock(&d->declog_lock);
	nfq_config_free(old);
	/* Established connections are decided again under the new policy and
	 * database (or, with `option reload new-only`, only undecided ones). */
	nfq_sweep_request(d->sweep, rules_options(nc->policy)->reload_new_only ?
			  NFQ_SWEEP_UNDECIDED : NFQ_SWEEP_ALL);
	d->reloads_ok++;
	nfq_guard_reloaded(d, d->opts->conf);
	rules_summary(nc->policy, summary, sizeof(summary));
	log_info("reloaded: %s", summary);
	fprintf(msg, "reloaded: %s\n", summary);
	return 0;
}

void nfq_reload_finish(struct nfq_daemon *d)
{
	struct nfq_reload *r = &d->reload;
	char *text = NULL;
	size_t len = 0;
	FILE *msg;
	uint64_t v;

	if (read(r->evfd, &v, sizeof(v)) < 0 || !r->running)
		return;
	if (r->joinable)
		pthread_join(r->thread, NULL);
	r->running = 0;
	msg = open_memstream(&text, &len);
	if (msg && r->msg)
		fputs(r->msg, msg);
	if (r->rc == 0 && msg && swap_in(d, msg) == 0) {
		r->rc = 0;
	} else {
		r->rc = -1;
		d->reloads_failed++;
		log_warnx("reload failed; the running policy and database stay in force");
	}
	if (msg)
		fclose(msg);
	answer_clients(r, r->rc == 0 && text ? "ok\n" : "error\n", text ? text : "out of memory\n");
	free(text);
	free(r->msg);
	r->msg = NULL;
	rules_free(r->np);	/* only left when the swap did not happen */
	geo_close(r->ndb);
	geo_close(r->nasn);
	r->np = NULL;
	r->ndb = NULL;
	r->nasn = NULL;
	nfq_sd_notify("READY=1");
	if (r->again)
		start_thread(d);
}

void nfq_reload_cleanup(struct nfq_daemon *d)
{
	struct nfq_reload *r = &d->reload;

	if (r->running && r->joinable)
		pthread_join(r->thread, NULL);
	if (r->running) {
		uint64_t v;

		(void)!read(r->evfd, &v, sizeof(v));
		r->running = 0;
		answer_clients(r, "error\n", "the daemon is stopping\n");
	}
	memcpy(r->cur, r->next, sizeof(r->next));
	r->ncur = r->nnext;
	r->nnext = 0;
	answer_clients(r, "error\n", "the daemon is stopping\n");
	free(r->msg);
	rules_free(r->np);
	geo_close(r->ndb);
	geo_close(r->nasn);
	if (r->evfd >= 0)
		close(r->evfd);
	r->evfd = -1;
}
