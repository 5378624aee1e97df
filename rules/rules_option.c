// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — `option NAME VALUE` statements. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_parse.h"

static const char *const opt_names[OPT_COUNT] = {
	[OPT_DATABASE] = "database", [OPT_FIELD] = "country-field", [OPT_NAT64] = "nat64",
	[OPT_MODE] = "mode",
	[OPT_UNKNOWN] = "unknown", [OPT_LOGFILE] = "log-file", [OPT_SYSLOG] = "log-syslog",
	[OPT_RATE] = "log-rate", [OPT_GATEWAY] = "gateway", [OPT_METRICS] = "metrics-file",
	[OPT_FAILMODE] = "fail-mode", [OPT_HOOKS] = "hooks",
	[OPT_QUEUE] = "queue", [OPT_RELOAD] = "reload", [OPT_NAMES] = "names",
	[OPT_NAMES_GROUP] = "names-group", [OPT_NAMES_TTL] = "names-ttl", [OPT_NAMES_MAX] = "names-max",
	[OPT_ASN_DB] = "asn-database",
};

const char *rules_option_name(int id)
{
	return id >= 0 && id < OPT_COUNT ? opt_names[id] : NULL;
}

/* One of a fixed list of words; the error lists them and suggests one. */
static int choice(struct parser *ps, const char *opt, const char *const *words, size_t n)
{
	struct tok *t = pcur(ps);
	const char *s;
	char list[128] = "";

	for (size_t i = 0; i < n; i++) {
		if (tok_is(t, words[i])) {
			pnext(ps);
			return (int)i;
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
			 words[i]);
	}
	if (tok_end(t)) {
		perr(ps, t, "option '%s' needs a value: %s", opt, list);
		return -1;
	}
	s = t->kind == T_WORD ? sugg_pick(t->p, t->len, words, n) : NULL;
	if (s)
		perr(ps, t, "option '%s' takes %s, not '%.*s' — did you mean '%s'?", opt, list, TOKFMT(t), s);
	else
		perr(ps, t, "option '%s' takes %s, not '%.*s'", opt, list, TOKFMT(t));
	return -1;
}

static char *path_value(struct parser *ps, const char *opt, int allow_none)
{
	struct tok *t = pcur(ps);
	char *s;

	if (allow_none && tok_is(t, "none")) {
		pnext(ps);
		return strdup("");
	}
	if (t->kind != T_STRING) {
		if (t->kind != T_BAD)
			perr(ps, t, "option '%s' takes a quoted path, as in \"%s\"%s", opt,
			     allow_none ? GEOEGRESS_DEFAULT_LOG : strcmp(opt, "database") ?
			     "/var/lib/geoegress/asn.mmdb" : GEOEGRESS_DEFAULT_DB,
			     allow_none ? ", or none" : "");
		return NULL;
	}
	if (t->len <= 2) {
		perr(ps, t, "option '%s' needs a non-empty path", opt);
		return NULL;
	}
	s = strndup(t->p + 1, t->len - 2);
	if (!s)
		ps->oom = 1;
	else if (strchr(s, '\\')) {
		perr(ps, t, "option '%s': backslashes are not allowed in paths", opt);
		free(s);
		return NULL;
	}
	pnext(ps);
	return s;
}

/* N/second, N/minute or N/hour at the current token. */
static int rate_value(struct parser *ps, const char *what, uint32_t *n_out, uint32_t *period)
{
	static const char *const units[] = { "second", "minute", "hour" };
	static const uint32_t secs[] = { 1, 60, 3600 };
	struct tok *t = pcur(ps);
	const char *slash = t->kind == T_WORD ? memchr(t->p, '/', t->len) : NULL;
	unsigned long n;

	if (!slash || parse_uint(t->p, (size_t)(slash - t->p), 1000000, &n) < 0 || n == 0) {
		if (tok_end(t))
			perr(ps, t, "%s needs a value: N/second, N/minute, N/hour%s", what,
			     strcmp(what, "option 'log-rate'") ? "" : " or unlimited");
		else
			perr(ps, t, "%s takes N/second, N/minute, N/hour (N from 1 to 1000000)%s, not '%.*s'",
			     what, strcmp(what, "option 'log-rate'") ? "" : " or unlimited", TOKFMT(t));
		return -1;
	}
	for (size_t i = 0; i < 3; i++) {
		size_t ul = strlen(units[i]);

		if ((size_t)(t->p + t->len - slash - 1) == ul && !memcmp(slash + 1, units[i], ul)) {
			*n_out = (uint32_t)n;
			*period = secs[i];
			pnext(ps);
			return 0;
		}
	}
	perr(ps, t, "%s: unknown unit in '%.*s'; use second, minute or hour", what, TOKFMT(t));
	return -1;
}

/* option log-rate N/UNIT [total M/UNIT] | unlimited: per device, and for
 * all devices together (default RULES_LOG_TOTAL_FACTOR times the first). */
static int opt_rate(struct parser *ps, struct rules_options *o)
{
	if (tok_is(pcur(ps), "unlimited")) {
		o->log_rate = o->log_rate_period = 0;
		o->log_total = o->log_total_period = 0;
		pnext(ps);
		return 0;
	}
	if (rate_value(ps, "option 'log-rate'", &o->log_rate, &o->log_rate_period) < 0)
		return -1;
	o->log_total = RULES_LOG_TOTAL_FACTOR * o->log_rate;
	o->log_total_period = o->log_rate_period;
	if (!tok_is(pcur(ps), "total"))
		return 0;
	pnext(ps);
	o->log_total_given = 1;
	return rate_value(ps, "the total of option 'log-rate'", &o->log_total, &o->log_total_period);
}

/* ---- where records and counters go: log-syslog, gateway, metrics-file ---- */

/* The text of a word or a string token (without its quotes) into buf;
 * -1 when it does not fit. */
static int tok_text(const struct tok *t, char *buf, size_t len)
{
	size_t n = t->kind == T_STRING ? t->len - 2 : t->len;

	if (n >= len)
		return -1;
	memcpy(buf, t->kind == T_STRING ? t->p + 1 : t->p, n);
	buf[n] = '\0';
	return 0;
}

/* ADDR[:PORT] or [ADDR6][:PORT] of a syslog target, in place.  Returns
 * NULL, or the reason it is not one. */
static const char *target_addr(char *s, struct rules_syslog *sl)
{
	char *port = NULL, *close;
	unsigned long n;

	sl->family = AF_INET;
	if (*s == '[') {
		close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':'))
			return "an IPv6 address goes in brackets, as in \"udp://[2001:db8::514]:514\"";
		*close = '\0';
		port = close[1] ? close + 2 : NULL;
		s++;
		sl->family = AF_INET6;
	} else if ((port = strchr(s, ':')) != NULL) {
		if (strchr(port + 1, ':'))
			return "write an IPv6 address in brackets and quote the target, as in "
			       "\"udp://[2001:db8::514]:514\"";
		*port++ = '\0';
	}
	if (inet_pton(sl->family, s, sl->addr) != 1)
		return "give the collector's IP address (a name would need DNS at every start "
		       "and reload)";
	sl->port = RULES_SYSLOG_PORT;
	if (port) {
		if (parse_uint(port, strlen(port), 65535, &n) < 0 || n == 0)
			return "the port is a number from 1 to 65535";
		sl->port = (uint16_t)n;
	}
	return NULL;
}

/* udp://ADDR[:PORT] or tcp://ADDR[:PORT] at t. */
static int syslog_target(struct parser *ps, const struct tok *t, struct rules_syslog *sl)
{
	static const char *const words[] = { "yes", "no" };
	char buf[96];
	const char *why, *s;

	if ((t->kind == T_WORD || t->kind == T_STRING) && tok_text(t, buf, sizeof(buf)) == 0 &&
	    (!strncmp(buf, "udp://", 6) || !strncmp(buf, "tcp://", 6))) {
		sl->kind = buf[0] == 'u' ? RULES_SYSLOG_UDP : RULES_SYSLOG_TCP;
		if (!(why = target_addr(buf + 6, sl)))
			return 0;
		perr(ps, t, "option 'log-syslog': '%.*s': %s", TOKFMT(t), why);
		return -1;
	}
	s = t->kind == T_WORD ? sugg_pick(t->p, t->len, words, 2) : NULL;
	if (tok_end(t))
		perr(ps, t, "option 'log-syslog' needs a value: yes, no, udp://ADDRESS[:PORT] or "
			    "tcp://ADDRESS[:PORT]");
	else if (t->kind != T_BAD)
		perr(ps, t, "option 'log-syslog' takes yes, no, udp://ADDRESS[:PORT] or "
			    "tcp://ADDRESS[:PORT], not '%.*s'%s%s%s", TOKFMT(t), s ? " — did you mean '" : "",
		     s ? s : "", s ? "'?" : "");
	return -1;
}

/* option log-syslog no | yes | TARGET [format json|sd] */
static int opt_syslog(struct parser *ps, struct rules_options *o)
{
	static const char *const formats[] = { "json", "sd" };
	struct tok *t = pcur(ps);
	int f;

	memset(&o->syslog, 0, sizeof(o->syslog));
	o->log_syslog = 0;
	if (tok_is(t, "yes") || tok_is(t, "no")) {
		o->log_syslog = tok_is(t, "yes");
		o->syslog.kind = o->log_syslog ? RULES_SYSLOG_LOCAL : RULES_SYSLOG_NONE;
		pnext(ps);
		if (tok_is(pcur(ps), "format")) {
			perr(ps, pcur(ps), "'format' goes with a udp:// or tcp:// target; yes sends the "
					   "record through syslog(3) as it is");
			return -1;
		}
		return 0;
	}
	if (syslog_target(ps, t, &o->syslog) < 0)
		return -1;
	pnext(ps);
	if (!tok_is(pcur(ps), "format"))
		return 0;
	pnext(ps);
	if ((f = choice(ps, "log-syslog ... format", formats, 2)) < 0)
		return -1;
	o->syslog.format = (enum rules_syslog_format)f;
	o->syslog.format_given = 1;
	return 0;
}

/* option gateway NAME: letters, digits, '.', '-', '_' (a host name fits). */
static int opt_gateway(struct parser *ps)
{
	struct tok *t = pcur(ps);
	char buf[RULES_GATEWAY_MAX + 1];
	size_t n;

	if ((t->kind != T_WORD && t->kind != T_STRING) || tok_text(t, buf, sizeof(buf)) < 0 ||
	    !*buf || (n = strspn(buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789.-_")) != strlen(buf)) {
		if (tok_end(t))
			perr(ps, t, "option 'gateway' needs the name decision records give this gateway, "
				    "as in \"pune-1\"");
		else if (t->kind != T_BAD)
			perr(ps, t, "option 'gateway' takes a name of 1 to %d letters, digits, '.', '-' "
				    "and '_', not '%.*s'", RULES_GATEWAY_MAX, TOKFMT(t));
		return -1;
	}
	free(ps->p->gateway);
	ps->p->gateway = strdup(buf);
	ps->p->opt.gateway = ps->p->gateway;
	if (!ps->p->gateway)
		ps->oom = 1;
	pnext(ps);
	return ps->p->gateway ? 0 : -1;
}

/* `every N(s|m)` after the metrics file: 1 s to 1 h. */
static int metrics_every(struct parser *ps, struct rules_options *o)
{
	struct tok *t = pnext(ps);
	unsigned long n;
	char unit = t->kind == T_WORD && t->len > 1 ? t->p[t->len - 1] : 0;

	if ((unit != 's' && unit != 'm') || parse_uint(t->p, t->len - 1, 3600, &n) < 0 || n == 0 ||
	    (unit == 'm' && n > 60)) {
		if (t->kind != T_BAD)
			perr(ps, t, "'every' takes an interval from 1s to 60m, as in 15s or 1m");
		return -1;
	}
	o->metrics_interval = (uint32_t)(unit == 'm' ? n * 60 : n);
	o->metrics_every_given = 1;
	pnext(ps);
	return 0;
}

/* option metrics-file PATH|none [every N(s|m)] */
static int opt_metrics(struct parser *ps, struct rules_options *o)
{
	struct tok *t = pcur(ps);
	size_t n;

	if (t->kind != T_STRING && !tok_is(t, "none")) {
		if (t->kind != T_BAD)
			perr(ps, t, "option 'metrics-file' takes a quoted path, as in "
				    "\"/var/lib/prometheus/node-exporter/geoegress.prom\", or none");
		return -1;
	}
	free(ps->p->metrics_file);
	ps->p->metrics_file = path_value(ps, "metrics-file", 1);
	if (!ps->p->metrics_file)
		return -1;
	o->metrics_file = ps->p->metrics_file;
	n = strlen(o->metrics_file);
	if (n && (n < 6 || strcmp(o->metrics_file + n - 5, ".prom")))
		diag(&ps->dc, RULES_WARNING, t->line, t->col, (int)t->len, "option 'metrics-file': "
		     "node_exporter's textfile collector reads only files whose names end in .prom");
	return tok_is(pcur(ps), "every") ? metrics_every(ps, o) : 0;
}

static int opt_hooks(struct parser *ps, struct rules_options *o)
{
	static const char *const hooks[] = { "forward", "output" };
	int h;

	o->hooks = 0;
	for (;;) {
		h = choice(ps, "hooks", hooks, 2);
		if (h < 0)
			return -1;
		o->hooks |= h == 0 ? RULES_HOOK_FORWARD : RULES_HOOK_OUTPUT;
		if (pcur(ps)->kind != T_COMMA)
			return 0;
		pnext(ps);
	}
}

static int opt_queue(struct parser *ps, struct rules_options *o)
{
	struct tok *t = pcur(ps);
	const char *dash = t->kind == T_WORD ? memchr(t->p, '-', t->len) : NULL;
	size_t l1 = dash ? (size_t)(dash - t->p) : t->len;
	unsigned long lo, hi;

	if (t->kind != T_WORD || parse_uint(t->p, l1, 65535, &lo) < 0 ||
	    (dash && parse_uint(dash + 1, t->len - l1 - 1, 65535, &hi) < 0)) {
		if (tok_end(t))
			perr(ps, t, "option 'queue' needs a value: a queue number or a range like 0-1");
		else
			perr(ps, t, "option 'queue' takes a queue number (0–65535) or a range like 0-1, "
				    "not '%.*s'", TOKFMT(t));
		return -1;
	}
	if (!dash)
		hi = lo;
	if (hi < lo) {
		perr(ps, t, "queue range '%.*s' is backwards: write the lower number first", TOKFMT(t));
		return -1;
	}
	o->queue_first = (uint16_t)lo;
	o->queue_count = (uint16_t)(hi - lo + 1);
	pnext(ps);
	return 0;
}

/* One NAT64 prefix: an IPv6 network of an RFC 6052 §2.2 length. */
static int nat64_prefix(struct parser *ps, struct rules_options *o)
{
	struct tok *t = pcur(ps);
	struct elem e;
	int n = o->nat64.n;

	if (tok_end(t) || t->kind != T_WORD) {
		if (t->kind != T_BAD)
			perr(ps, t, "option 'nat64' takes the NAT64 prefixes of this network, "
				    "as in 2001:db8:64::/96 (64:ff9b::/96 is always translated)");
		return -1;
	}
	if (parse_elem(ps, CTX_NETWORKS, t, &e) < 0)
		return -1;
	if (e.kind != EL_V6 || (e.plen % 8) || e.plen < 32 || e.plen > 96 || e.plen == 72 ||
	    e.plen == 80 || e.plen == 88) {
		perr(ps, t, "a NAT64 prefix is an IPv6 network of length 32, 40, 48, 56, 64 or 96 "
			    "(RFC 6052), not '%.*s'", TOKFMT(t));
		return -1;
	}
	if (n == GEO_XLAT_MAX) {
		perr(ps, t, "option 'nat64' takes at most %d prefixes", GEO_XLAT_MAX);
		return -1;
	}
	for (int i = 0; i < 16; i++)
		o->nat64.nat64[n].addr[i] = (uint8_t)(e.addr >> (8 * (15 - i)));
	o->nat64.nat64[n].len = e.plen;
	o->nat64.n++;
	pnext(ps);
	return 0;
}

static int opt_nat64(struct parser *ps, struct rules_options *o)
{
	o->nat64.n = 0;
	for (;;) {
		if (nat64_prefix(ps, o) < 0)
			return -1;
		if (pcur(ps)->kind != T_COMMA)
			return 0;
		pnext(ps);
	}
}

static int opt_unknown(struct parser *ps, struct rules_options *o)
{
	int a = choice(ps, "unknown", rules_action_words, RULES_NACTION);

	if (a < 0)
		return -1;
	o->unknown = (enum rules_action)a;
	o->has_unknown = 1;
	o->unknown_log = 0;
	if (tok_is(pcur(ps), "log")) {
		o->unknown_log = 1;
		pnext(ps);
	}
	return 0;
}

/* A number min..max at the current token. */
static int number_value(struct parser *ps, const char *opt, unsigned long min, unsigned long max,
			unsigned long *v)
{
	struct tok *t = pcur(ps);

	if (t->kind != T_WORD || parse_uint(t->p, t->len, max, v) < 0 || *v < min) {
		if (tok_end(t))
			perr(ps, t, "option '%s' needs a number (%lu–%lu)", opt, min, max);
		else
			perr(ps, t, "option '%s' takes a number from %lu to %lu, not '%.*s'", opt, min, max,
			     TOKFMT(t));
		return -1;
	}
	pnext(ps);
	return 0;
}

/* option names-ttl MIN-MAX: the floor and ceiling of a learned name's TTL. */
static int opt_names_ttl(struct parser *ps, struct rules_options *o)
{
	struct tok *t = pcur(ps);
	const char *dash = t->kind == T_WORD ? memchr(t->p, '-', t->len) : NULL;
	unsigned long lo, hi;

	if (!dash || parse_uint(t->p, (size_t)(dash - t->p), 604800, &lo) < 0 ||
	    parse_uint(dash + 1, t->len - (size_t)(dash - t->p) - 1, 604800, &hi) < 0 || lo < 1) {
		if (tok_end(t))
			perr(ps, t, "option 'names-ttl' needs the TTL floor and ceiling in seconds, as in "
				    "60-86400");
		else
			perr(ps, t, "option 'names-ttl' takes FLOOR-CEILING in seconds (1–604800), as in "
				    "60-86400, not '%.*s'", TOKFMT(t));
		return -1;
	}
	if (hi < lo) {
		perr(ps, t, "names-ttl '%.*s' is backwards: write the floor first", TOKFMT(t));
		return -1;
	}
	o->names_ttl_min = (uint32_t)lo;
	o->names_ttl_max = (uint32_t)hi;
	pnext(ps);
	return 0;
}

static int opt_names_value(struct parser *ps, int id)
{
	static const char *const modes[] = { "auto", "yes", "no" };
	struct rules_options *o = &ps->p->opt;
	unsigned long v;
	int m;

	switch (id) {
	case OPT_NAMES:
		return (m = choice(ps, "names", modes, 3)) < 0 ? -1 : (o->names = (enum rules_names)m, 0);
	case OPT_NAMES_GROUP:
		return number_value(ps, "names-group", 0, 65535, &v) < 0 ? -1 :
			(o->names_group = (uint16_t)v, 0);
	case OPT_NAMES_TTL:
		return opt_names_ttl(ps, o);
	case OPT_NAMES_MAX:
		return number_value(ps, "names-max", 1024, 1048576, &v) < 0 ? -1 :
			(o->names_max = (uint32_t)v, 0);
	case OPT_ASN_DB:
		free(ps->p->asn_database);
		ps->p->asn_database = path_value(ps, "asn-database", 0);
		o->asn_database = ps->p->asn_database;
		return o->asn_database ? 0 : -1;
	default:		/* an option opt_value() forgot */
		perr(ps, pcur(ps), "internal error: option '%s' has no parser", opt_names[id]);
		return -1;
	}
}

static int opt_value(struct parser *ps, int id)
{
	static const char *const fields[] = { "located", "registered", "either" };
	static const char *const modes[] = { "enforce", "audit" };
	static const char *const fails[] = { "open", "closed" };
	static const char *const reloads[] = { "redecide", "new-only" };
	struct rules_options *o = &ps->p->opt;
	int v;

	switch (id) {
	case OPT_DATABASE:
		free(ps->p->database);
		ps->p->database = path_value(ps, "database", 0);
		o->database = ps->p->database;
		return o->database ? 0 : -1;
	case OPT_LOGFILE:
		free(ps->p->log_file);
		ps->p->log_file = path_value(ps, "log-file", 1);
		o->log_file = ps->p->log_file;
		return o->log_file ? 0 : -1;
	case OPT_FIELD:
		return (v = choice(ps, "country-field", fields, 3)) < 0 ? -1 : (o->field = (enum geo_field)v, 0);
	case OPT_MODE:
		return (v = choice(ps, "mode", modes, 2)) < 0 ? -1 : (o->mode = (enum rules_mode)v, 0);
	case OPT_SYSLOG:
		return opt_syslog(ps, o);
	case OPT_GATEWAY:
		return opt_gateway(ps);
	case OPT_METRICS:
		return opt_metrics(ps, o);
	case OPT_FAILMODE:
		return (v = choice(ps, "fail-mode", fails, 2)) < 0 ? -1 :
			(o->fail_mode = (enum rules_failmode)v, 0);
	case OPT_UNKNOWN:
		return opt_unknown(ps, o);
	case OPT_RATE:
		return opt_rate(ps, o);
	case OPT_HOOKS:
		return opt_hooks(ps, o);
	case OPT_RELOAD:
		return (v = choice(ps, "reload", reloads, 2)) < 0 ? -1 : (o->reload_new_only = v == 1, 0);
	case OPT_NAT64:
		return opt_nat64(ps, o);
	case OPT_QUEUE:
		return opt_queue(ps, o);
	default:		/* names, names-group, names-ttl, names-max, asn-database */
		return opt_names_value(ps, id);
	}
}

int rules_parse_option(struct parser *ps)
{
	struct tok *n = pnext(ps), *t;
	const char *s;
	int id;

	for (id = 0; id < OPT_COUNT; id++)
		if (tok_is(n, opt_names[id]))
			break;
	if (id == OPT_COUNT) {
		s = n->kind == T_WORD ? sugg_pick(n->p, n->len, opt_names, OPT_COUNT) : NULL;
		if (tok_end(n))
			perr(ps, n, "expected an option name after 'option'");
		else if (s)
			perr(ps, n, "unknown option '%.*s' — did you mean '%s'?", TOKFMT(n), s);
		else
			perr(ps, n, "unknown option '%.*s'", TOKFMT(n));
		return -1;
	}
	if (ps->p->given & (1u << id)) {
		perr(ps, n, "option '%s' is already set on line %d", opt_names[id], ps->p->opt_line[id]);
		return -1;
	}
	pnext(ps);
	if (opt_value(ps, id) < 0)
		return -1;
	ps->p->given |= 1u << id;
	ps->p->opt_line[id] = n->line;
	t = pcur(ps);
	if (!tok_end(t)) {
		if (t->kind != T_BAD)
			perr(ps, t, "unexpected '%.*s' after the value of option '%s'", TOKFMT(t), opt_names[id]);
		return -1;
	}
	return 0;
}
