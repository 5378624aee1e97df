// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — the canonical printer, policy equality, and small accessors.
 * Canonical form: options that were given (fixed order), sets, rules,
 * default; lower-case keywords, canonical addresses and CIDRs, upper-case
 * country codes, lower-case MACs, one-element lists without braces in
 * rules.  print → parse → print is a fixed point. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules_int.h"

const char *const rules_action_words[RULES_NACTION] = { "allow", "block", "reject", "log" };

const char *rules_action_name(enum rules_action a)
{
	return (unsigned)a < RULES_NACTION ? rules_action_words[a] : "?";
}

const struct rules_options *rules_options(const struct rules_policy *p)
{
	return &p->opt;
}

static void print_mac(const struct elem *e, FILE *out)
{
	uint64_t m = (uint64_t)e->addr;
	int n = e->plen == 24 ? 3 : 6;

	for (int i = 0; i < n; i++)
		fprintf(out, "%s%02x", i ? ":" : "", (unsigned)(m >> (40 - 8 * i)) & 0xff);
	if (e->plen != 24 && e->plen != 48)
		fprintf(out, "/%u", e->plen);
}

void rules_print_elem(const struct rules_policy *p, const struct elem *e, FILE *out)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t b[16];

	switch (e->kind) {
	case EL_V4:
		for (int i = 0; i < 4; i++)
			b[i] = (uint8_t)(e->addr >> (24 - 8 * i));
		fprintf(out, "%s", inet_ntop(AF_INET, b, buf, sizeof(buf)));
		if (e->plen != 32)
			fprintf(out, "/%u", e->plen);
		break;
	case EL_V6:
		for (int i = 0; i < 16; i++)
			b[i] = (uint8_t)(e->addr >> (120 - 8 * i));
		fprintf(out, "%s", inet_ntop(AF_INET6, b, buf, sizeof(buf)));
		if (e->plen != 128)
			fprintf(out, "/%u", e->plen);
		break;
	case EL_MAC:
		print_mac(e, out);
		break;
	case EL_REF:
		fprintf(out, "@%s", p ? p->sets[e->ref].name : "?");
		break;
	case EL_GROUP:
		fprintf(out, "@%s", rules_groups[e->ref].name);
		break;
	case EL_CC:
		fputs(geo_cc_str(e->cc, buf), out);
		break;
	case EL_PROTO:
		fputs(rules_proto_name(e->lo, buf), out);
		break;
	case EL_PORT:
		fprintf(out, e->lo == e->hi ? "%u" : "%u-%u", e->lo, e->hi);
		break;
	case EL_HOST:
	case EL_WILD:
		fprintf(out, "%s%s", e->kind == EL_WILD ? "*." : "", p ? pool_str(p, e) : "?");
		break;
	case EL_ASN:
		fprintf(out, "%u", e->lo);
		break;
	}
}

static void print_list(const struct rules_policy *p, const struct elist *l, int braces, FILE *out)
{
	braces = braces || l->n != 1;
	fputs(braces ? "{ " : "", out);
	for (size_t i = 0; i < l->n; i++) {
		fputs(i ? ", " : "", out);
		rules_print_elem(p, &l->v[i], out);
	}
	fputs(braces ? " }" : "", out);
}

static void print_string(const char *s, FILE *out);

char *rules_syslog_target(const struct rules_syslog *sl, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sl->kind != RULES_SYSLOG_UDP && sl->kind != RULES_SYSLOG_TCP) {
		snprintf(buf, len, "%s", sl->kind == RULES_SYSLOG_LOCAL ? "local" : "no");
		return buf;
	}
	inet_ntop(sl->family, sl->addr, a, sizeof(a));
	snprintf(buf, len, sl->family == AF_INET6 ? "%s://[%s]:%u" : "%s://%s:%u",
		 sl->kind == RULES_SYSLOG_UDP ? "udp" : "tcp", a, sl->port);
	return buf;
}

/* no, yes, or the target: "udp://198.51.100.7:514" format sd */
static void print_syslog(const struct rules_syslog *sl, FILE *out)
{
	char t[80];

	if (sl->kind != RULES_SYSLOG_UDP && sl->kind != RULES_SYSLOG_TCP) {
		fputs(sl->kind == RULES_SYSLOG_LOCAL ? "yes" : "no", out);
		return;
	}
	fprintf(out, "\"%s\"", rules_syslog_target(sl, t, sizeof(t)));
	if (sl->format_given)
		fputs(sl->format == RULES_SYSLOG_SD ? " format sd" : " format json", out);
}

static void print_options(const struct rules_policy *p, FILE *out)
{
	static const char *const fields[] = { "located", "registered", "either" };
	const struct rules_options *o = &p->opt;

	for (int id = 0; id < OPT_COUNT; id++) {
		if (!(p->given & (1u << id)))
			continue;
		fprintf(out, "option %s ", rules_option_name(id));
		switch (id) {
		case OPT_DATABASE:
			fprintf(out, "\"%s\"", o->database);
			break;
		case OPT_FIELD:
			fputs(fields[o->field], out);
			break;
		case OPT_NAT64:
			for (unsigned i = 0; i < o->nat64.n; i++) {
				char a[INET6_ADDRSTRLEN];

				inet_ntop(AF_INET6, o->nat64.nat64[i].addr, a, sizeof(a));
				fprintf(out, "%s%s/%u", i ? ", " : "", a, o->nat64.nat64[i].len);
			}
			break;
		case OPT_MODE:
			fputs(o->mode == RULES_MODE_AUDIT ? "audit" : "enforce", out);
			break;
		case OPT_UNKNOWN:
			fprintf(out, "%s%s", rules_action_name(o->unknown), o->unknown_log ? " log" : "");
			break;
		case OPT_LOGFILE:
			fprintf(out, *o->log_file ? "\"%s\"" : "none", o->log_file);
			break;
		case OPT_SYSLOG:
			print_syslog(&o->syslog, out);
			break;
		case OPT_GATEWAY:
			print_string(o->gateway, out);
			break;
		case OPT_METRICS:
			fprintf(out, *o->metrics_file ? "\"%s\"" : "none", o->metrics_file);
			if (o->metrics_every_given)
				fprintf(out, o->metrics_interval % 60 ? " every %us" : " every %um",
					o->metrics_interval % 60 ? o->metrics_interval : o->metrics_interval / 60);
			break;
		case OPT_RATE:
			if (!o->log_rate)
				fputs("unlimited", out);
			else
				fprintf(out, "%u/%s", o->log_rate, o->log_rate_period == 1 ? "second" :
					o->log_rate_period == 60 ? "minute" : "hour");
			if (o->log_rate && o->log_total_given)
				fprintf(out, " total %u/%s", o->log_total, o->log_total_period == 1 ? "second" :
					o->log_total_period == 60 ? "minute" : "hour");
			break;
		case OPT_FAILMODE:
			fputs(o->fail_mode == RULES_FAIL_CLOSED ? "closed" : "open", out);
			break;
		case OPT_RELOAD:
			fputs(o->reload_new_only ? "new-only" : "redecide", out);
			break;
		case OPT_HOOKS:
			fprintf(out, "%s%s%s", o->hooks & RULES_HOOK_FORWARD ? "forward" : "",
				o->hooks == (RULES_HOOK_FORWARD | RULES_HOOK_OUTPUT) ? ", " : "",
				o->hooks & RULES_HOOK_OUTPUT ? "output" : "");
			break;
		case OPT_NAMES:
			fputs(o->names == RULES_NAMES_YES ? "yes" : o->names == RULES_NAMES_NO ? "no" : "auto",
			      out);
			break;
		case OPT_NAMES_GROUP:
			fprintf(out, "%u", o->names_group);
			break;
		case OPT_NAMES_TTL:
			fprintf(out, "%u-%u", o->names_ttl_min, o->names_ttl_max);
			break;
		case OPT_NAMES_MAX:
			fprintf(out, "%u", o->names_max);
			break;
		case OPT_ASN_DB:
			fprintf(out, "\"%s\"", o->asn_database);
			break;
		case OPT_QUEUE:
			fprintf(out, o->queue_count > 1 ? "%u-%u" : "%u", o->queue_first,
				o->queue_first + o->queue_count - 1);
			break;
		default:	/* an option this switch forgot: the print does not
				 * parse back, which the golden and fuzz tests catch */
			fputs("?", out);
		}
		fputc('\n', out);
	}
}

static void print_string(const char *s, FILE *out)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void print_rule(const struct rules_policy *p, const struct rrule *r, FILE *out)
{
	fputs(rules_action_name(r->action), out);
	if (r->log)
		fputs(" log", out);
	if (r->src.n) {
		fputs(" from ", out);
		print_list(p, &r->src, 0, out);
	}
	if (r->dkind == DST_UNKNOWN) {
		fputs(" to unknown", out);
	} else if (r->dkind == DST_HOST_UNKNOWN) {
		fputs(" to host unknown", out);
	} else if (r->dkind != DST_ANY) {
		fprintf(out, " to %s%s", r->dkind == DST_COUNTRY ? "country " : r->dkind == DST_HOST ? "host " :
			r->dkind == DST_ASN ? "asn " : "", r->dneg ? "!= " : "");
		/* "!= { IN }" reads better than "!= IN"; "!= @set" is fine */
		print_list(p, &r->dst, r->dneg && r->dst.n == 1 && r->dst.v[0].kind != EL_REF &&
				       r->dst.v[0].kind != EL_GROUP, out);
	}
	if (r->proto.n) {
		fputs(" proto ", out);
		print_list(p, &r->proto, 0, out);
	}
	if (r->port.n) {
		fputs(" port ", out);
		print_list(p, &r->port, 0, out);
	}
	if (r->name) {
		fputs(" name ", out);
		print_string(r->name, out);
	}
	fputc('\n', out);
}

int rules_print(const struct rules_policy *p, FILE *out)
{
	static const char *const kinds[] = { "devices", "networks", "countries", "hosts" };

	print_options(p, out);
	if (p->given && p->nsets)
		fputc('\n', out);
	for (size_t i = 0; i < p->nsets; i++) {
		fprintf(out, "%s %s = ", kinds[p->sets[i].kind], p->sets[i].name);
		print_list(p, &p->sets[i].elems, 1, out);
		fputc('\n', out);
	}
	if (p->given || p->nsets)
		fputc('\n', out);
	for (size_t i = 0; i < p->nrules; i++)
		print_rule(p, &p->rules[i], out);
	fprintf(out, "default %s%s\n", rules_action_name(p->def), p->def_log ? " log" : "");
	return ferror(out) ? -1 : 0;
}

/* ---- equality (for tests: parse(print(p)) must equal p) ---- */

/* Names compare by their text: the pools of two policies differ. */
static int elem_eq(const struct rules_policy *pa, const struct elem *a, const struct rules_policy *pb,
		   const struct elem *b)
{
	if (a->kind == EL_HOST || a->kind == EL_WILD)
		return a->kind == b->kind && !strcmp(pool_str(pa, a), pool_str(pb, b));
	return a->kind == b->kind && a->plen == b->plen && a->cc == b->cc && a->ref == b->ref &&
	       a->lo == b->lo && a->hi == b->hi && a->addr == b->addr;
}

static int list_eq(const struct rules_policy *pa, const struct elist *a, const struct rules_policy *pb,
		   const struct elist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!elem_eq(pa, &a->v[i], pb, &b->v[i]))
			return 0;
	return 1;
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* log-syslog's target, gateway, metrics-file */
static int outputs_eq(const struct rules_options *x, const struct rules_options *y)
{
	const struct rules_syslog *s = &x->syslog, *t = &y->syslog;

	return s->kind == t->kind && s->format == t->format && s->format_given == t->format_given &&
	       s->family == t->family && !memcmp(s->addr, t->addr, 16) && s->port == t->port &&
	       str_eq(x->gateway, y->gateway) && str_eq(x->metrics_file, y->metrics_file) &&
	       x->metrics_interval == y->metrics_interval &&
	       x->metrics_every_given == y->metrics_every_given;
}

static int options_eq(const struct rules_policy *a, const struct rules_policy *b)
{
	const struct rules_options *x = &a->opt, *y = &b->opt;

	return a->given == b->given && str_eq(x->database, y->database) && x->field == y->field &&
	       !memcmp(&x->nat64, &y->nat64, sizeof(x->nat64)) &&
	       x->mode == y->mode && x->has_unknown == y->has_unknown && x->unknown == y->unknown &&
	       x->unknown_log == y->unknown_log && str_eq(x->log_file, y->log_file) &&
	       x->log_syslog == y->log_syslog && outputs_eq(x, y) && x->log_rate == y->log_rate &&
	       x->log_rate_period == y->log_rate_period && x->log_total == y->log_total &&
	       x->log_total_period == y->log_total_period && x->log_total_given == y->log_total_given &&
	       x->fail_mode == y->fail_mode &&
	       x->hooks == y->hooks && x->queue_first == y->queue_first &&
	       x->queue_count == y->queue_count && x->reload_new_only == y->reload_new_only &&
	       x->names == y->names && x->learn_names == y->learn_names && x->names_group == y->names_group &&
	       x->names_ttl_min == y->names_ttl_min && x->names_ttl_max == y->names_ttl_max &&
	       x->names_max == y->names_max && str_eq(x->asn_database, y->asn_database);
}

static int rule_eq(const struct rules_policy *pa, const struct rrule *a, const struct rules_policy *pb,
		   const struct rrule *b)
{
	return a->action == b->action && a->log == b->log && str_eq(a->name, b->name) &&
	       list_eq(pa, &a->src, pb, &b->src) && a->dkind == b->dkind && a->dneg == b->dneg &&
	       list_eq(pa, &a->dst, pb, &b->dst) && list_eq(pa, &a->proto, pb, &b->proto) &&
	       list_eq(pa, &a->port, pb, &b->port);
}

int rules_equal(const struct rules_policy *a, const struct rules_policy *b)
{
	if (!options_eq(a, b) || a->nsets != b->nsets || a->nrules != b->nrules ||
	    a->def != b->def || a->def_log != b->def_log)
		return 0;
	for (size_t i = 0; i < a->nsets; i++)
		if (strcmp(a->sets[i].name, b->sets[i].name) || a->sets[i].kind != b->sets[i].kind ||
		    !list_eq(a, &a->sets[i].elems, b, &b->sets[i].elems))
			return 0;
	for (size_t i = 0; i < a->nrules; i++)
		if (!rule_eq(a, &a->rules[i], b, &b->rules[i]))
			return 0;
	return 1;
}

/* ---- accessors ---- */

void rules_summary(const struct rules_policy *p, char *buf, size_t len)
{
	snprintf(buf, len, "%zu rule%s, %zu set%s, default %s, mode %s", p->nrules,
		 p->nrules == 1 ? "" : "s", p->nsets, p->nsets == 1 ? "" : "s",
		 rules_action_name(p->def), p->opt.mode == RULES_MODE_AUDIT ? "audit" : "enforce");
}

const char *rules_source_line(const struct rules_policy *p, int line, size_t *len)
{
	size_t a, b;

	if (!p || line < 1 || line > p->nlines)
		return NULL;
	a = p->line_off[line - 1];
	b = p->line_off[line] - 1;	/* the '\n' (or one past the end) */
	if (b > p->textlen)
		b = p->textlen;
	if (b > a && p->text[b - 1] == '\r')
		b--;
	if (len)
		*len = b - a;
	return p->text + a;
}
