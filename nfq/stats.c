// SPDX-License-Identifier: GPL-2.0-or-later
/* The `geoegress stats` reply: the daemon's counters, the kernel queue's
 * counters, log, policy and database state — as aligned text or JSON. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfq/daemon_int.h"

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
		for (int a = 0; a < 4; a++)
			c->by_action[a] += CNT_GET(w->by_action[a]);
		c->audit_passed += CNT_GET(w->audit_passed);
		for (int k = 0; k < NFQ_CC_SLOTS; k++)
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
	pthread_mutex_lock((pthread_mutex_t *)&d->log_lock);
	nfq_declog_stats(d->log, &s->ls);
	pthread_mutex_unlock((pthread_mutex_t *)&d->log_lock);
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
	s->age_s = (long)(now - cfg->loaded);
	s->age_days = s->gi.build_epoch ? (long)((now - s->gi.build_epoch) / 86400) : -1;
}

static void json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static unsigned long long u(uint64_t v)
{
	return (unsigned long long)v;
}

static void countries_json(FILE *out, const struct nfq_counters *c)
{
	fputc('{', out);
	for (int i = 0; i < NFQ_CC_SLOTS; i++)
		if (c->by_cc[i])
			fprintf(out, "\"%c%c\":%llu,", 'A' + i / 26, 'A' + i % 26, u(c->by_cc[i]));
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
	json_str(out, d->last_repair ? s->repaired_at : NULL);
	fputs(",\"last_change\":", out);
	json_str(out, d->last_change[0] ? d->last_change : NULL);
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
	json_str(out, s->ai.path);
	fputs(",\"type\":", out);
	json_str(out, s->ai.database_type);
	fprintf(out, ",\"build_epoch\":%lld}", (long long)s->ai.build_epoch);
}

static void write_json(FILE *out, const struct snap *s)
{
	const struct nfq_counters *c = &s->c;

	fprintf(out, "{\"uptime_s\":%ld,\"packets\":%llu,\"by_action\":{\"allow\":%llu,\"block\":%llu,"
		"\"reject\":%llu,\"log\":%llu},\"audit_passed\":%llu,\"malformed\":%llu,"
		"\"cache_hits\":%llu,\"by_country\":", s->uptime, u(c->packets),
		u(c->by_action[RULES_ALLOW]), u(c->by_action[RULES_BLOCK]), u(c->by_action[RULES_REJECT]),
		u(c->by_action[RULES_LOG]), u(c->audit_passed), u(c->malformed), u(c->cache_hits));
	countries_json(out, c);
	fprintf(out, ",\"queue\":{\"queue_total\":%llu,\"queue_dropped\":%llu,\"user_dropped\":%llu,"
		"\"id_sequence\":%llu},\"recv_enobufs\":%llu,\"log\":{\"written\":%llu,"
		"\"folded\":%llu,\"failed\":%llu,\"file\":", u(s->ks.queue_total), u(s->ks.queue_dropped),
		u(s->ks.user_dropped), u(s->ks.id_sequence), u(s->qs.enobufs), u(s->ls.written),
		u(s->ls.folded), u(s->ls.failed));
	json_str(out, s->o->log_file && *s->o->log_file ? s->o->log_file : NULL);
	fputs("},\"policy\":{\"path\":", out);
	json_str(out, s->d->opts->conf);
	fprintf(out, ",\"loaded_at\":\"%s\",\"age_s\":%ld,\"rules\":%lu,\"summary\":", s->loaded_at,
		s->age_s, s->rules);
	json_str(out, s->summary);
	fputs(",\"mode\":", out);
	json_str(out, s->o->mode == RULES_MODE_AUDIT ? "audit" : "enforce");
	fputs("},\"database\":{\"path\":", out);
	json_str(out, s->gi.path);
	fputs(",\"type\":", out);
	json_str(out, s->gi.database_type);
	fprintf(out, ",\"build_epoch\":%lld,\"age_days\":%ld},\"reloads\":{\"ok\":%llu,\"failed\":%llu},"
		"\"hook\":", (long long)s->gi.build_epoch, s->age_days, u(s->d->reloads_ok),
		u(s->d->reloads_failed));
	json_str(out, nfq_hook_kind_name(s->d->hook));
	hook_json(out, s);
	names_json(out, s);
	asn_json(out, s);
	fprintf(out, ",\"fail_mode\":\"%s\"}\n", s->d->fail_open ? "open" : "closed");
}

static void countries_text(FILE *out, const struct nfq_counters *c)
{
	int n = 0;

	for (int i = 0; i < NFQ_CC_SLOTS; i++)
		if (c->by_cc[i])
			fprintf(out, "%s%c%c %llu", n++ ? ", " : "", 'A' + i / 26, 'A' + i % 26,
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

static void write_text(FILE *out, const struct snap *s)
{
	const struct nfq_counters *c = &s->c;

	fprintf(out, "uptime          %ld s\n", s->uptime);
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
