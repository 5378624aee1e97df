// SPDX-License-Identifier: GPL-2.0-or-later
/* The `geoegress stats` reply: the daemon's counters, the kernel queue's
 * counters, log, policy and database state — as aligned text or JSON. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfq/daemon_int.h"
#include "util/buildinfo.h"
#include "util/json.h"

/* Everything the reply shows, gathered once. */
struct snap {
	const struct nfq_daemon *d;
	struct nfq_counters c;		/* summed over the workers */
	struct nfq_kstats ks;
	struct nfq_queue_stats qs;
	struct nfq_declog_stats ls;
	struct geo_info gi;
	struct nfq_sweep_stats sw;
	struct nfq_names_stats ns;
	struct dns_cache_stats cs;
	struct geo_info ai;		/* the AS database, when there is one */
	char swept_at[32];
	const struct rules_options *o;
	char summary[256];
	char loaded_at[32], built_at[32], repaired_at[32];
	unsigned long rules;
	long uptime, age_s, age_days;
	size_t heap_in_use;		/* bytes malloc() has handed out (mallinfo2 uordblks + hblkhd) */
};

static void rfc3339(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void sum_workers(const struct nfq_daemon *d, struct nfq_counters *c, struct nfq_queue_stats *qs)
{
	for (int i = 0; i < d->nworkers; i++) {
		const struct nfq_counters *w = &d->w[i]->c;
		struct nfq_queue_stats q;

		c->packets += CNT_GET(w->packets);
		for (int a = 0; a < RULES_NACTION; a++)
			c->by_action[a] += CNT_GET(w->by_action[a]);
		c->audit_passed += CNT_GET(w->audit_passed);
		for (int a = 0; a < RULES_NACTION; a++)
			for (int k = 0; k <= GEO_CC_SLOTS; k++)
				c->by_action_cc[a][k] += CNT_GET(w->by_action_cc[a][k]);
		for (int k = 0; k < GEO_CC_SLOTS; k++)
			c->by_cc[k] += CNT_GET(w->by_cc[k]);
		c->cc_unknown += CNT_GET(w->cc_unknown);
		c->malformed += CNT_GET(w->malformed);
		c->cache_hits += CNT_GET(w->cache_hits);
		c->named += CNT_GET(w->named);
		c->unnamed += CNT_GET(w->unnamed);
		c->names_busy += CNT_GET(w->names_busy);
		c->names_waited += CNT_GET(w->names_waited);
		nfq_queue_stats(d->w[i]->q, &q);
		qs->enobufs += q.enobufs;
		qs->send_errors += q.send_errors;
		qs->batches += q.batches;
	}
}

static void snap_take(struct snap *s, const struct nfq_daemon *d)
{
	time_t now = time(NULL);
	const struct nfq_config *cfg = d->cfg;	/* the main thread swaps it: stable here */
	const struct rules_options *o = rules_options(cfg->policy);

	memset(s, 0, sizeof(*s));
	s->d = d;
	s->o = o;
	sum_workers(d, &s->c, &s->qs);
	nfq_kstats_read(NULL, o->queue_first, o->queue_count, &s->ks);
	pthread_mutex_lock((pthread_mutex_t *)&d->declog_lock);
	nfq_declog_stats(d->declog, &s->ls);
	pthread_mutex_unlock((pthread_mutex_t *)&d->declog_lock);
	geo_info(cfg->db, &s->gi);
	rules_summary(cfg->policy, s->summary, sizeof(s->summary));
	s->rules = strtoul(s->summary, NULL, 10);	/* "12 rules, ..." */
	rfc3339(s->loaded_at, sizeof(s->loaded_at), cfg->loaded);
	rfc3339(s->built_at, sizeof(s->built_at), s->gi.build_epoch);
	rfc3339(s->repaired_at, sizeof(s->repaired_at), d->last_repair);
	nfq_sweep_stats(d->sweep, &s->sw);
	nfq_names_stats(d->names, &s->ns);
	if (d->names)
		dns_cache_stats(nfq_names_cache(d->names), nfq_names_now(), &s->cs);
	if (cfg->asn_db)
		geo_info(cfg->asn_db, &s->ai);
	rfc3339(s->swept_at, sizeof(s->swept_at), (time_t)s->sw.last_at);
	s->uptime = (long)(now - d->started);
	{
		/* Bytes allocated and not freed, in every arena: unlike the
		 * resident size, neither first-touched pages nor heap
		 * fragmentation move it, so growth here is memory held. */
		struct mallinfo2 mi = mallinfo2();

		s->heap_in_use = mi.uordblks + mi.hblkhd;
	}
	s->age_s = (long)(now - cfg->loaded);
	s->age_days = s->gi.build_epoch ? (long)((now - s->gi.build_epoch) / 86400) : -1;
}

static unsigned long long u(uint64_t v)
{
	return (unsigned long long)v;
}

static void countries_json(FILE *out, const struct nfq_counters *c)
{
	char cc[3];

	fputc('{', out);
	for (int i = 0; i < GEO_CC_SLOTS; i++)
		if (c->by_cc[i])
			fprintf(out, "\"%s\":%llu,", geo_cc_str(geo_cc_of_index(i), cc), u(c->by_cc[i]));
	fprintf(out, "\"unknown\":%llu}", u(c->cc_unknown));
}

static const char *hook_state(const struct nfq_daemon *d)
{
	if (d->hook == NFQ_HOOK_NONE)
		return "none";
	return d->hook_broken ? "being restored" : "intact";
}

static void hook_json(FILE *out, const struct snap *s)
{
	const struct nfq_daemon *d = s->d;

	fprintf(out, ",\"hook_state\":{\"state\":\"%s\",\"watched\":%s,\"repairs\":%llu,"
		"\"last_repair\":", hook_state(d), d->watch ? "true" : "false", u(d->repairs));
	json_write_str(out, d->last_repair ? s->repaired_at : NULL);
	fputs(",\"last_change\":", out);
	json_write_str(out, d->last_change[0] ? d->last_change : NULL);
	fprintf(out, "},\"undecided\":{\"packets\":%llu,\"before_start\":%llu,\"action\":\"%s\"}",
		u(d->undecided - d->undecided_at_start), u(d->undecided_at_start),
		d->fail_open ? "passed" : "dropped");
	if (!s->sw.enabled) {
		fputs(",\"conntrack\":null", out);
		return;
	}
	fprintf(out, ",\"conntrack\":{\"sweeps\":%llu,\"last_sweep\":{\"at\":\"%s\",\"kind\":\"%s\","
		"\"seen\":%llu,\"undecided\":%llu,\"ms\":%lld},\"undecided_found\":%llu,"
		"\"decided\":%llu,\"allow\":%llu,\"block\":%llu,\"reject\":%llu}",
		u(s->sw.runs), s->swept_at, s->sw.last_all ? "all" : "undecided", u(s->sw.last_seen),
		u(s->sw.last_undecided), (long long)s->sw.last_ms, u(s->sw.undecided_found),
		u(s->sw.changed), u(s->sw.decided[NFQ_CT_ALLOW]), u(s->sw.decided[NFQ_CT_BLOCK]),
		u(s->sw.decided[NFQ_CT_REJECT]));
}

/* The share of new flows no DNS answer explained, in percent (-1: none yet). */
static double unexplained_pct(const struct nfq_counters *c)
{
	uint64_t n = c->named + c->unnamed;

	return n ? 100.0 * (double)c->unnamed / (double)n : -1;
}

static void names_json(FILE *out, const struct snap *s)
{
	const struct nfq_names_stats *n = &s->ns;
	double pct = unexplained_pct(&s->c);

	if (!n->on) {
		fputs(",\"names\":{\"learned\":false}", out);
		return;
	}
	fprintf(out, ",\"names\":{\"learned\":true,\"group\":%u,\"packets\":%llu,\"answers\":%llu,"
		"\"not_answers\":%llu,\"malformed\":%llu,\"lost\":%llu,\"by_mac\":%llu,\"by_addr\":%llu,"
		"\"entries\":%u,\"entries_max\":%u,\"names\":%u,\"names_max\":%u,\"bytes\":%zu,"
		"\"evicted\":%llu,\"names_evicted\":%llu,\"flows_explained\":%llu,"
		"\"flows_unexplained\":%llu,\"unexplained_pct\":", n->group, u(n->packets), u(n->answers),
		u(n->not_answers), u(n->malformed), u(n->lost), u(n->by_mac), u(n->by_addr), s->cs.entries,
		s->cs.entries_max, s->cs.names, s->cs.names_max, s->cs.bytes, u(s->cs.evicted),
		u(s->cs.names_evicted), u(s->c.named), u(s->c.unnamed));
	if (pct < 0)
		fputs("null", out);
	else
		fprintf(out, "%.1f", pct);
	fprintf(out, ",\"busy\":%llu,\"waited\":%llu}", u(s->c.names_busy), u(s->c.names_waited));
}

static void asn_json(FILE *out, const struct snap *s)
{
	fputs(",\"asn_database\":", out);
	if (!s->ai.path) {
		fputs("null", out);
		return;
	}
	fputs("{\"path\":", out);
	json_write_str(out, s->ai.path);
	fputs(",\"type\":", out);
	json_write_str(out, s->ai.database_type);
	fprintf(out, ",\"build_epoch\":%lld}", (long long)s->ai.build_epoch);
}

/* The gateway records name and option log-syslog (in the log object). */
static void outputs_json(FILE *out, const struct snap *s)
{
	const struct rules_syslog *t = &s->o->syslog;
	const struct nfq_syslog_stats *sl = &s->ls.syslog;
	char target[80];

	fputs(",\"gateway\":", out);
	json_write_str(out, s->ls.gateway);
	fputs(",\"syslog\":", out);
	if (t->kind == RULES_SYSLOG_NONE) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"target\":\"%s\"", rules_syslog_target(t, target, sizeof(target)));
	if (s->ls.syslog_remote)
		fprintf(out, ",\"format\":\"%s\",\"sent\":%llu,\"dropped\":%llu,\"connected\":%s,"
			"\"queued_bytes\":%zu", t->format == RULES_SYSLOG_SD ? "sd" : "json", u(sl->sent),
			u(sl->dropped), sl->connected ? "true" : "false", sl->queued);
	fputc('}', out);
}

static void write_json(FILE *out, const struct snap *s)
{
	const struct nfq_counters *c = &s->c;

	fputs("{\"build\":", out);
	buildinfo_json(out);
	fprintf(out, ",\"uptime_s\":%ld,\"heap_in_use\":%zu", s->uptime, s->heap_in_use);
	fprintf(out, ",\"packets\":%llu,\"by_action\":{\"allow\":%llu,\"block\":%llu,"
		"\"reject\":%llu,\"log\":%llu},\"audit_passed\":%llu,\"malformed\":%llu,"
		"\"cache_hits\":%llu,\"by_country\":", u(c->packets),
		u(c->by_action[RULES_ALLOW]), u(c->by_action[RULES_BLOCK]), u(c->by_action[RULES_REJECT]),
		u(c->by_action[RULES_LOG]), u(c->audit_passed), u(c->malformed), u(c->cache_hits));
	countries_json(out, c);
	fprintf(out, ",\"queue\":{\"queue_total\":%llu,\"queue_dropped\":%llu,\"user_dropped\":%llu,"
		"\"id_sequence\":%llu},\"recv_enobufs\":%llu,\"log\":{\"written\":%llu,"
		"\"folded\":%llu,\"failed\":%llu,\"file\":", u(s->ks.queue_total), u(s->ks.queue_dropped),
		u(s->ks.user_dropped), u(s->ks.id_sequence), u(s->qs.enobufs), u(s->ls.written),
		u(s->ls.folded), u(s->ls.failed));
	json_write_str(out, s->o->log_file && *s->o->log_file ? s->o->log_file : NULL);
	outputs_json(out, s);
	fputs("},\"policy\":{\"path\":", out);
	json_write_str(out, s->d->opts->conf);
	fprintf(out, ",\"loaded_at\":\"%s\",\"age_s\":%ld,\"rules\":%lu,\"summary\":", s->loaded_at,
		s->age_s, s->rules);
	json_write_str(out, s->summary);
	fputs(",\"mode\":", out);
	json_write_str(out, s->o->mode == RULES_MODE_AUDIT ? "audit" : "enforce");
	fputs("},\"database\":{\"path\":", out);
	json_write_str(out, s->gi.path);
	fputs(",\"type\":", out);
	json_write_str(out, s->gi.database_type);
	fprintf(out, ",\"build_epoch\":%lld,\"age_days\":%ld},\"reloads\":{\"ok\":%llu,\"failed\":%llu},"
		"\"hook\":", (long long)s->gi.build_epoch, s->age_days, u(s->d->reloads_ok),
		u(s->d->reloads_failed));
	json_write_str(out, nfq_hook_kind_name(s->d->hook));
	hook_json(out, s);
	names_json(out, s);
	asn_json(out, s);
	fprintf(out, ",\"fail_mode\":\"%s\"}\n", s->d->fail_open ? "open" : "closed");
}

static void countries_text(FILE *out, const struct nfq_counters *c)
{
	char cc[3];
	int n = 0;

	for (int i = 0; i < GEO_CC_SLOTS; i++)
		if (c->by_cc[i])
			fprintf(out, "%s%s %llu", n++ ? ", " : "", geo_cc_str(geo_cc_of_index(i), cc),
				u(c->by_cc[i]));
	fprintf(out, "%sunknown %llu\n", n ? ", " : "", u(c->cc_unknown));
}

static void names_text(FILE *out, const struct snap *s)
{
	const struct nfq_names_stats *n = &s->ns;
	double pct = unexplained_pct(&s->c);

	if (s->ai.path)
		fprintf(out, "AS database     %s, %s\n", s->ai.path, s->ai.database_type ? s->ai.database_type : "?");
	if (!n->on) {
		fputs("names           not learned from DNS answers (option names)\n", out);
		return;
	}
	fprintf(out, "names           from DNS answers (NFLOG group %u): %llu answers learned, %llu with "
		"nothing to learn, %llu unreadable, %llu overruns (copies lost)\n"
		"                cache %u of %u entries, %u of %u names (%zu KiB); evicted %llu entries, "
		"%llu names\n", n->group, u(n->answers), u(n->not_answers), u(n->malformed), u(n->lost),
		s->cs.entries, s->cs.entries_max, s->cs.names, s->cs.names_max, s->cs.bytes / 1024,
		u(s->cs.evicted), u(s->cs.names_evicted));
	fprintf(out, "                new flows (not to port 53): %llu explained by a DNS answer, %llu not",
		u(s->c.named), u(s->c.unnamed));
	if (pct >= 0)
		fprintf(out, " (%.1f%% unexplained: connections by address, encrypted DNS, ...)", pct);
	fputc('\n', out);
}

static void outputs_text(FILE *out, const struct snap *s)
{
	const struct rules_syslog *t = &s->o->syslog;
	const struct nfq_syslog_stats *sl = &s->ls.syslog;
	char target[80];

	fprintf(out, "gateway         %s (the name records carry)\n", s->ls.gateway);
	if (!s->ls.syslog_remote)
		return;
	fprintf(out, "syslog          %s format %s: sent %llu, dropped %llu, %s", rules_syslog_target(t,
		target, sizeof(target)), t->format == RULES_SYSLOG_SD ? "sd" : "json", u(sl->sent),
		u(sl->dropped), sl->connected ? "connected" : "not connected");
	if (sl->queued)
		fprintf(out, ", %zu bytes waiting", sl->queued);
	fputc('\n', out);
}

static void write_text(FILE *out, const struct snap *s)
{
	const struct nfq_counters *c = &s->c;

	fprintf(out, "uptime          %ld s; heap in use %zu KiB\n", s->uptime, s->heap_in_use / 1024);
	fprintf(out, "build           geoegress %s; ", buildinfo_version());
	buildinfo_text(out);
	fputc('\n', out);
	fprintf(out, "packets         %llu  (allow %llu, block %llu, reject %llu, log %llu; "
		"audit passed %llu; malformed %llu; cached retries %llu)\n", u(c->packets),
		u(c->by_action[RULES_ALLOW]), u(c->by_action[RULES_BLOCK]), u(c->by_action[RULES_REJECT]),
		u(c->by_action[RULES_LOG]), u(c->audit_passed), u(c->malformed), u(c->cache_hits));
	fprintf(out, "countries       ");
	countries_text(out, c);
	fprintf(out, "queue           total %llu, dropped %llu, user dropped %llu, id sequence %llu, "
		"recv ENOBUFS %llu\n", u(s->ks.queue_total), u(s->ks.queue_dropped),
		u(s->ks.user_dropped), u(s->ks.id_sequence), u(s->qs.enobufs));
	fprintf(out, "log             written %llu, folded %llu, failed %llu (%s)\n", u(s->ls.written),
		u(s->ls.folded), u(s->ls.failed),
		s->o->log_file && *s->o->log_file ? s->o->log_file : "no file");
	outputs_text(out, s);
	fprintf(out, "policy          %s, loaded %s (%ld s ago), %s\n", s->d->opts->conf,
		s->loaded_at, s->age_s, s->summary);
	fprintf(out, "database        %s, %s, built %s (%ld days ago)\n", s->gi.path,
		s->gi.database_type ? s->gi.database_type : "?", s->built_at, s->age_days);
	fprintf(out, "reloads         ok %llu, failed %llu\n", u(s->d->reloads_ok),
		u(s->d->reloads_failed));
	fprintf(out, "hook            %s, fail-mode %s\n", nfq_hook_kind_name(s->d->hook),
		s->d->fail_open ? "open" : "closed");
	fprintf(out, "                %s%s; repairs %llu", hook_state(s->d),
		s->d->watch || s->d->hook == NFQ_HOOK_NONE ? "" : " (not watched)", u(s->d->repairs));
	if (s->d->last_repair)
		fprintf(out, ", last %s: %s", s->repaired_at, s->d->last_change);
	fputc('\n', out);
	fprintf(out, "undecided       %llu packets %s without a decision (and %llu before this "
		"daemon started)\n", u(s->d->undecided - s->d->undecided_at_start),
		s->d->fail_open ? "passed" : "dropped", u(s->d->undecided_at_start));
	names_text(out, s);
	if (!s->sw.enabled) {
		fputs("connections     conntrack cannot be read: no sweeps\n", out);
		return;
	}
	fprintf(out, "connections     sweeps %llu, last %s (%s: %llu seen, %llu undecided, %lld ms)\n"
		"                found undecided %llu; marks written %llu (allow %llu, block %llu, "
		"reject %llu)\n", u(s->sw.runs), s->swept_at, s->sw.last_all ? "all" : "undecided",
		u(s->sw.last_seen), u(s->sw.last_undecided), (long long)s->sw.last_ms,
		u(s->sw.undecided_found), u(s->sw.changed), u(s->sw.decided[NFQ_CT_ALLOW]),
		u(s->sw.decided[NFQ_CT_BLOCK]), u(s->sw.decided[NFQ_CT_REJECT]));
}

void nfq_stats_write(const struct nfq_daemon *d, FILE *out, int json)
{
	struct snap s;

	snap_take(&s, d);
	if (json)
		write_json(out, &s);
	else
		write_text(out, &s);
}

/* ---- the Prometheus text exposition format (`stats --format prometheus`,
 * option metrics-file): names and labels per the Prometheus conventions,
 * geoegress_ first, counters ending in _total, times in seconds, states as
 * 0/1 gauges, what is text (versions, the backend) as labels of an _info
 * gauge of value 1. ---- */

static void prom_family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one sample without labels: a counter ("..._total"), else a
 * gauge.  Integers: counts, flags, seconds. */
struct prom_one {
	const char *name, *help;
	int64_t v;
};

static void prom_list(FILE *out, const struct prom_one *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(m[i].name);
		int counter = len > 6 && !strcmp(m[i].name + len - 6, "_total");

		prom_family(out, m[i].name, counter ? "counter" : "gauge", m[i].help);
		fprintf(out, "%s %lld\n", m[i].name, (long long)m[i].v);
	}
}

#define PROM_LIST(out, ...) do { \
	const struct prom_one m_[] = { __VA_ARGS__ }; \
	prom_list(out, m_, sizeof(m_) / sizeof(m_[0])); \
} while (0)

/* ,key="value" with the format's escapes (\\, \", \n). */
static void prom_label(FILE *out, const char *key, const char *v, int first)
{
	fprintf(out, "%s%s=\"", first ? "" : ",", key);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
	fputc('"', out);
}

static void prom_build(FILE *out, const struct snap *s)
{
	struct buildinfo_lib libs[BUILDINFO_LIBS];
	size_t n = buildinfo_libs(libs);

	prom_family(out, "geoegress_build_info", "gauge", "geoegress's version and its libraries' "
		    "(libmaxminddb, libseccomp, zlib: loaded; the others: built against), as labels");
	fputs("geoegress_build_info{", out);
	prom_label(out, "version", buildinfo_version(), 1);
	for (size_t i = 0; i < n; i++)
		prom_label(out, libs[i].name, libs[i].version, 0);
	fputs("} 1\n", out);
	prom_family(out, "geoegress_gateway_info", "gauge", "The name this gateway's decision "
		    "records carry (option gateway, or the host name)");
	fputs("geoegress_gateway_info{", out);
	prom_label(out, "gateway", s->ls.gateway, 1);
	fputs("} 1\n", out);
	PROM_LIST(out, { "geoegress_start_time_seconds", "When the daemon started, seconds since the "
			 "epoch", (int64_t)s->d->started },
		  { "geoegress_heap_in_use_bytes", "Bytes malloc handed out and not freed, every arena "
			 "(flat under load, unlike the resident size)", (int64_t)s->heap_in_use });
}

static void prom_decisions(FILE *out, const struct nfq_counters *c)
{
	char cc[3];

	PROM_LIST(out, { "geoegress_packets_total", "Packets the queue handed to the daemon (the first "
			 "of each new flow, retries, malformed ones)", (int64_t)c->packets });
	prom_family(out, "geoegress_decisions_total", "counter", "Packets decided, by the policy's "
		    "action and the destination's country (ISO code, or unknown)");
	for (int a = 0; a < RULES_NACTION; a++) {
		for (int k = 0; k <= GEO_CC_SLOTS; k++) {
			if (!c->by_action_cc[a][k])
				continue;
			if (k < GEO_CC_SLOTS)
				fprintf(out, "geoegress_decisions_total{action=\"%s\",country=\"%s\"} %llu\n",
					rules_action_name(a), geo_cc_str(geo_cc_of_index(k), cc),
					u(c->by_action_cc[a][k]));
			else
				fprintf(out, "geoegress_decisions_total{action=\"%s\",country=\"unknown\"} %llu\n",
					rules_action_name(a), u(c->by_action_cc[a][k]));
		}
	}
	PROM_LIST(out,
		{ "geoegress_audit_passed_total", "Block and reject decisions of mode audit: counted in "
		  "geoegress_decisions_total, not enforced", (int64_t)c->audit_passed },
		{ "geoegress_cached_retries_total", "Retries of blocked flows answered from the verdict "
		  "cache", (int64_t)c->cache_hits },
		{ "geoegress_malformed_packets_total", "Queued packets without a readable IP header (they "
		  "follow the fail mode)", (int64_t)c->malformed });
}

static void prom_queue_log(FILE *out, const struct snap *s)
{
	const struct nfq_syslog_stats *sl = &s->ls.syslog;

	PROM_LIST(out,
		{ "geoegress_queue_waiting", "Packets waiting in the kernel's queues now "
		  "(nfnetlink_queue)", (int64_t)s->ks.queue_total },
		{ "geoegress_queue_dropped_total", "Packets the kernel dropped: the queue was full",
		  (int64_t)s->ks.queue_dropped },
		{ "geoegress_queue_user_dropped_total", "Packets the kernel dropped: the daemon's socket "
		  "buffer was full", (int64_t)s->ks.user_dropped },
		{ "geoegress_queue_recv_enobufs_total", "Receive buffer overruns (ENOBUFS) the daemon saw",
		  (int64_t)s->qs.enobufs },
		{ "geoegress_queue_send_errors_total", "Verdicts that could not be sent",
		  (int64_t)s->qs.send_errors },
		{ "geoegress_log_records_total", "Decision-log records written (folded ones included)",
		  (int64_t)s->ls.written },
		{ "geoegress_log_folded_total", "Decisions option log-rate folded into counted records",
		  (int64_t)s->ls.folded },
		{ "geoegress_log_retries_total", "Retries summed into retries records",
		  (int64_t)s->ls.retries },
		{ "geoegress_log_failed_total", "Decision-log records lost to write errors",
		  (int64_t)s->ls.failed });
	if (s->ls.syslog_remote)
		PROM_LIST(out,
			{ "geoegress_log_syslog_sent_total", "Records sent to the remote syslog collector "
			  "(option log-syslog)", (int64_t)sl->sent },
			{ "geoegress_log_syslog_dropped_total", "Records not sent to the remote syslog "
			  "collector", (int64_t)sl->dropped },
			{ "geoegress_log_syslog_connected", "1 while the collector's socket is up (TCP: "
			  "connected)", sl->connected });
}

static void prom_hook(FILE *out, const struct nfq_daemon *d)
{
	PROM_LIST(out,
		{ "geoegress_undecided_packets_total", "Packets that reached the last chain without a "
		  "decision since the daemon started (passed with fail-mode open, dropped with closed)",
		  (int64_t)(d->undecided - d->undecided_at_start) },
		{ "geoegress_fail_open", "1: fail-mode open, 0: closed", d->fail_open });
	prom_family(out, "geoegress_hook_info", "gauge", "Where the queue rule lives");
	fprintf(out, "geoegress_hook_info{backend=\"%s\"} 1\n", d->hook == NFQ_HOOK_NFT ? "nft" :
		d->hook == NFQ_HOOK_IPTABLES ? "iptables" : "none");
	PROM_LIST(out,
		{ "geoegress_hook_intact", "1 while the hook is installed as geoegress made it",
		  d->hook != NFQ_HOOK_NONE && !d->hook_broken },
		{ "geoegress_hook_watched", "1 while ruleset changes are watched", d->watch != NULL },
		{ "geoegress_hook_repairs_total", "Times another tool changed the hook and the daemon "
		  "restored it", (int64_t)d->repairs },
		{ "geoegress_hook_last_repair_timestamp_seconds", "When the hook was last restored (0: "
		  "never)", (int64_t)d->last_repair });
}

static void prom_sweeps(FILE *out, const struct nfq_sweep_stats *sw)
{
	PROM_LIST(out, { "geoegress_conntrack_readable", "1 when conntrack can be read (sweeps run)",
			 sw->enabled });
	if (!sw->enabled)
		return;
	PROM_LIST(out,
		{ "geoegress_conntrack_sweeps_total", "Conntrack sweeps", (int64_t)sw->runs },
		{ "geoegress_conntrack_undecided_found_total", "Connections sweeps found without a "
		  "decision", (int64_t)sw->undecided_found });
	prom_family(out, "geoegress_conntrack_marks_written_total", "counter", "Connection marks "
		    "sweeps wrote, by decision");
	for (int i = 0; i < 3; i++)
		fprintf(out, "geoegress_conntrack_marks_written_total{decision=\"%s\"} %llu\n",
			nfq_ct_decision_name(NFQ_CT_ALLOW + i), u(sw->decided[NFQ_CT_ALLOW + i]));
	PROM_LIST(out, { "geoegress_conntrack_last_sweep_timestamp_seconds", "When the last sweep ran",
			 sw->last_at });
	prom_family(out, "geoegress_conntrack_last_sweep_duration_seconds", "gauge", "How long the "
		    "last sweep took");
	fprintf(out, "geoegress_conntrack_last_sweep_duration_seconds %.3f\n", (double)sw->last_ms / 1000);
	PROM_LIST(out, { "geoegress_conntrack_last_sweep_connections", "Connections the last sweep "
			 "looked at", (int64_t)sw->last_seen });
}

static void prom_policy(FILE *out, const struct snap *s)
{
	time_t now = time(NULL);

	PROM_LIST(out,
		{ "geoegress_policy_loaded_timestamp_seconds", "When the policy in force was loaded",
		  (int64_t)s->d->cfg->loaded },
		{ "geoegress_policy_age_seconds", "Seconds since the policy in force was loaded", s->age_s },
		{ "geoegress_policy_rules", "Rules of the policy in force", (int64_t)s->rules },
		{ "geoegress_policy_audit_mode", "1: mode audit (nothing is blocked)",
		  s->o->mode == RULES_MODE_AUDIT });
	prom_family(out, "geoegress_reloads_total", "counter", "Reloads, by result");
	fprintf(out, "geoegress_reloads_total{result=\"ok\"} %llu\ngeoegress_reloads_total"
		"{result=\"failed\"} %llu\n", u(s->d->reloads_ok), u(s->d->reloads_failed));
	PROM_LIST(out,
		{ "geoegress_database_build_timestamp_seconds", "When the country database was built (its "
		  "metadata)", (int64_t)s->gi.build_epoch },
		{ "geoegress_database_age_seconds", "Seconds since the country database was built",
		  s->gi.build_epoch ? (int64_t)(now - s->gi.build_epoch) : -1 });
}

/* Names from DNS answers (option names) and the AS database: what the
 * names and asn_database objects of `stats --json` hold. */
static void prom_names(FILE *out, const struct snap *s)
{
	const struct nfq_names_stats *n = &s->ns;

	PROM_LIST(out, { "geoegress_names_learning", "1 when names are learned from DNS answers (option "
			 "names)", n->on });
	if (n->on)
		PROM_LIST(out,
			{ "geoegress_names_answers_total", "DNS answers names were learned from",
			  (int64_t)n->answers },
			{ "geoegress_names_malformed_total", "Copies of DNS answers that could not be read",
			  (int64_t)n->malformed },
			{ "geoegress_names_lost_total", "Overruns: the kernel dropped copies of DNS answers",
			  (int64_t)n->lost },
			{ "geoegress_names_cache_entries", "Name cache entries holding a name not expired",
			  s->cs.entries },
			{ "geoegress_names_cache_evicted_total", "Name cache entries replaced before they "
			  "expired", (int64_t)s->cs.evicted },
			{ "geoegress_flows_explained_total", "New flows (not to port 53) a DNS answer of "
			  "the device explained", (int64_t)s->c.named },
			{ "geoegress_flows_unexplained_total", "New flows (not to port 53) no DNS answer "
			  "explained (connections by address, encrypted DNS, ...)", (int64_t)s->c.unnamed });
	if (s->ai.path)
		PROM_LIST(out, { "geoegress_asn_database_build_timestamp_seconds", "When the AS database "
				 "was built (its metadata)", (int64_t)s->ai.build_epoch });
}

void nfq_stats_write_prom(const struct nfq_daemon *d, FILE *out)
{
	struct snap s;

	snap_take(&s, d);
	prom_build(out, &s);
	prom_decisions(out, &s.c);
	prom_queue_log(out, &s);
	prom_hook(out, d);
	prom_sweeps(out, &s.sw);
	prom_policy(out, &s);
	prom_names(out, &s);
}
