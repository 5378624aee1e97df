// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * geoegress flows: the connections the gateway forwards right now, read
 * from conntrack (the decision ledger), with their device, country and
 * the decision their mark carries.  Reads only: it never changes a mark.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "geo/geo.h"
#include "nfq/nfq.h"
#include "rules/rules.h"
#include "util/json.h"

const char cmd_flows_usage[] =
	"Usage: geoegress flows [-c FILE] [--db FILE] [--json] [--all]\n"
	"                       [--device NAME|ADDR|MAC] [--country CC]\n"
	"                       [--action allow|block|reject|undecided] [--undecided]\n"
	"                       [--ctl PATH]\n"
	"\n"
	"Lists the connections the gateway forwards right now, from conntrack: the\n"
	"device (its devices set in the policy and its address; the MAC in --json),\n"
	"the destination after DNAT, protocol and port, the destination's country as\n"
	"the policy sees it, the decision the connection's conntrack mark carries,\n"
	"and its age and bytes where conntrack keeps them (sysctls\n"
	"net.netfilter.nf_conntrack_timestamp and nf_conntrack_acct); when the daemon\n"
	"learns names (option names), the host the device's DNS answers gave the\n"
	"destination, under it.  Works without the daemon: it reads conntrack and the\n"
	"policy and changes nothing (names then are not known).\n"
	"\n"
	"Grouped by device; what needs a look comes first: connections passing that\n"
	"the policy forbids (undecided, or marked allow before the policy changed),\n"
	"then other undecided ones, block and reject, allow; then by device set and\n"
	"address, and within a device by bytes (most first).  A '!' after a\n"
	"decision: the current policy decides otherwise.\n"
	"\n"
	"  -c, --config FILE  policy file (default " GEOEGRESS_DEFAULT_CONF ")\n"
	"  -d, --db FILE      database (default: the policy's option database)\n"
	"  -j, --json         one JSON document (for scripts and jq)\n"
	"  -D, --device X     only this device: a devices set name, an address or a MAC\n"
	"  -C, --country CC   only destinations in country CC (\"unknown\": no country)\n"
	"  -a, --action A     only connections whose mark says A: allow, block, reject\n"
	"                     or undecided\n"
	"  -u, --undecided    the same as --action undecided\n"
	"  -A, --all          also connections to this host (input, loopback), which\n"
	"                     the hook never sees, and this host's own outbound ones\n"
	"                     when the policy does not hook output\n"
	"      --ctl PATH     the daemon's control socket, only to tell whether it\n"
	"                     runs (default " NFQ_DEFAULT_CTL ")\n"
	"  -h, --help         this help\n"
	"\n"
	"Reading conntrack needs CAP_NET_ADMIN (root).\n"
	"Exit status: 0 listed, 1 error (policy, database, conntrack), 2 usage.\n";

#define NDEC 4		/* enum nfq_ct_decision values */

struct flows_opts {
	const char *conf, *db, *ctl, *device, *country;
	geo_cc cc;		/* --country, parsed (when country is set) */
	int json, all;
	int action;		/* enum nfq_ct_decision, or -1 for any */
};

/* The --device filter, parsed once. */
struct dev_filter {
	enum { DEV_ANY, DEV_NAME, DEV_ADDR, DEV_MAC } kind;
	struct rules_flow f;	/* address or MAC */
	const char *name;
};

/* What the daemon's name cache says about one device and address
 * (ctl "names": "DEVICE ADDRESS HOST [NAME ...]"). */
#define NAMES_PER 8
struct names {
	char key[100];		/* "mac:02:00:5e:00:53:01 203.0.113.10", "ip:SRC DST" */
	const char *host;	/* the name asked for, or NULL */
	const char *name[NAMES_PER];
	unsigned n;
	char *line;		/* owns the strings */
};

struct row {
	struct nfq_conn c;
	const char *device;	/* devices set (in the policy), or NULL */
	geo_cc cc;
	uint8_t policy;		/* enum nfq_ct_decision the policy gives now */
	const struct names *names;	/* the device's names for the destination, or NULL */
	uint32_t asn;
};

struct flows {
	const struct flows_opts *o;
	const struct rules_policy *p;
	const struct geo_db *db;
	const struct geo_db *asn_db;	/* option asn-database, or NULL */
	struct names *names;		/* sorted by key */
	size_t nnames;
	struct dev_filter dev;
	int cc_filter;		/* a --country was given */
	geo_cc cc;
	struct row *rows;
	size_t n, cap;
	size_t hidden;		/* connections --all would add */
	int nomem;
};

/* ---- collecting ---- */

static int dev_match(const struct dev_filter *d, const struct row *r)
{
	const struct rules_flow *f = &r->c.flow;

	switch (d->kind) {
	case DEV_NAME:
		return r->device && !strcmp(r->device, d->name);
	case DEV_ADDR:
		return f->family == d->f.family && !memcmp(f->src.b, d->f.src.b, 16);
	case DEV_MAC:
		return f->has_mac && !memcmp(f->src_mac, d->f.src_mac, 6);
	default:
		return 1;
	}
}

/* Does the hook this policy installs see the connection? */
static int shown(struct flows *fl, const struct nfq_conn *c)
{
	unsigned hooks = rules_options(fl->p)->hooks;

	if (c->covered == NFQ_CT_FORWARD ||
	    (c->covered == NFQ_CT_OUTPUT && (hooks & RULES_HOOK_OUTPUT)) || fl->o->all)
		return 1;
	fl->hidden++;
	return 0;
}

static int add_row(struct flows *fl, const struct row *r)
{
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 256;
		struct row *v = reallocarray(fl->rows, cap, sizeof(*v));

		if (!v) {
			fl->nomem = 1;
			return -1;
		}
		fl->rows = v;
		fl->cap = cap;
	}
	fl->rows[fl->n++] = *r;
	return 0;
}

/* ---- the daemon's names (ctl "names") ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct names *)a)->key, ((const struct names *)b)->key);
}

/* One line "DEVICE ADDRESS HOST [NAME ...]" into e (which takes line). */
static int names_line(char *line, struct names *e)
{
	char *save = NULL, *dev = strtok_r(line, " \n", &save), *addr = strtok_r(NULL, " \n", &save);
	char *t;

	memset(e, 0, sizeof(*e));
	if (!dev || !addr || (size_t)snprintf(e->key, sizeof(e->key), "%s %s", dev, addr) >= sizeof(e->key))
		return -1;
	while ((t = strtok_r(NULL, " \n", &save)) && e->n < NAMES_PER) {
		if (!e->host && !e->n && strcmp(t, "-"))
			e->host = t;
		if (strcmp(t, "-"))
			e->name[e->n++] = t;
	}
	e->line = line;
	return 0;
}

/* Asks the daemon for its name cache.  Quietly nothing when it does not
 * answer or does not learn names. */
static void load_names(struct flows *fl)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, cap = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return;
	if (nfq_ctl_request(fl->o->ctl, "names", m) != 0) {
		fclose(m);
		free(text);
		return;
	}
	fclose(m);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *copy;

		if (fl->nnames == cap) {
			struct names *v = reallocarray(fl->names, cap = cap ? cap * 2 : 256, sizeof(*v));

			if (!v)
				break;
			fl->names = v;
		}
		copy = strdup(line);
		if (!copy || names_line(copy, &fl->names[fl->nnames]) < 0)
			free(copy);
		else
			fl->nnames++;
	}
	free(text);
	if (fl->nnames)		/* qsort(NULL, 0, ...) is undefined (C11 7.22.5) */
		qsort(fl->names, fl->nnames, sizeof(*fl->names), cmp_names);
}

/* The names c's device has for its destination: by MAC, then by address
 * (as the daemon looks them up). */
static const struct names *names_of(const struct flows *fl, const struct rules_flow *f)
{
	struct names key;
	char a[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];
	const struct names *e = NULL;

	if (!fl->nnames || !inet_ntop(f->family, f->dst.b, a, sizeof(a)) ||
	    !inet_ntop(f->family, f->src.b, src, sizeof(src)))
		return NULL;
	if (f->has_mac) {
		snprintf(key.key, sizeof(key.key), "mac:%02x:%02x:%02x:%02x:%02x:%02x %s", f->src_mac[0],
			 f->src_mac[1], f->src_mac[2], f->src_mac[3], f->src_mac[4], f->src_mac[5], a);
		e = bsearch(&key, fl->names, fl->nnames, sizeof(key), cmp_names);
	}
	if (!e) {
		snprintf(key.key, sizeof(key.key), "ip:%s %s", src, a);
		e = bsearch(&key, fl->names, fl->nnames, sizeof(key), cmp_names);
	}
	return e;
}

static int on_conn(void *arg, const struct nfq_conn *c)
{
	struct flows *fl = arg;
	struct geo_answer a;
	struct geo_asn as = { 0 };
	struct rules_verdict v;
	struct rules_dest d = { 0 };
	struct row r;

	if (fl->o->action >= 0 && c->decision != fl->o->action)
		return 0;
	if (!shown(fl, c))
		return 0;
	if (geo_lookup(fl->db, c->flow.family, c->flow.dst.b, &a) < 0)
		memset(&a, 0, sizeof(a));	/* IPv6 in an IPv4-only database: unknown */
	if (fl->asn_db)
		geo_lookup_asn(fl->asn_db, &rules_options(fl->p)->nat64, c->flow.family, c->flow.dst.b, &as);
	r.names = names_of(fl, &c->flow);
	if (r.names) {
		d.names = r.names->name;
		d.nnames = r.names->n;
	}
	d.asn = as.asn;
	rules_eval_dest(fl->p, &c->flow, &a, &d, &v);
	r.c = *c;
	r.asn = as.asn;
	r.device = v.device;
	r.cc = v.country;
	r.policy = (uint8_t)nfq_ct_decision_for(&v);
	if (!dev_match(&fl->dev, &r) || (fl->cc_filter && r.cc != fl->cc))
		return 0;
	return add_row(fl, &r);
}

/* ---- order ----
 * Rows are grouped by device (set, source address, MAC); a device's rows
 * by urgency (rank), then bytes; devices by their most urgent row, then
 * set name (no set last), then address. */

struct group {
	size_t first, n;
};

/* Urgency: 0 passing though the policy forbids it now (undecided, or
 * marked allow before the policy changed), 1 other undecided ones,
 * 2 block and reject, 3 allow. */
static int rank(const struct row *r)
{
	int forbidden = r->policy == NFQ_CT_BLOCK || r->policy == NFQ_CT_REJECT;

	switch (r->c.decision) {
	case NFQ_CT_UNDECIDED:
		return forbidden ? 0 : 1;
	case NFQ_CT_ALLOW:
		return forbidden ? 0 : 3;
	default:
		return 2;
	}
}

static uint64_t total_bytes(const struct row *r)
{
	return r->c.bytes[0] + r->c.bytes[1];
}

/* The device key: set name (no set last), source address, MAC. */
static int cmp_device(const struct row *a, const struct row *b)
{
	const struct rules_flow *fa = &a->c.flow, *fb = &b->c.flow;
	int d;

	if (!a->device != !b->device)
		return a->device ? -1 : 1;
	if (a->device && (d = strcmp(a->device, b->device)))
		return d;
	if (fa->family != fb->family)
		return fa->family - fb->family;
	if ((d = memcmp(fa->src.b, fb->src.b, 16)))
		return d;
	if (fa->has_mac != fb->has_mac)
		return fb->has_mac - fa->has_mac;
	return memcmp(fa->src_mac, fb->src_mac, 6);
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	uint64_t ba = total_bytes(a), bb = total_bytes(b);
	int d = cmp_device(a, b);

	if (d)
		return d;
	if ((d = rank(a) - rank(b)))
		return d;
	if (ba != bb)
		return ba > bb ? -1 : 1;
	if (a->c.flow.family != b->c.flow.family)
		return a->c.flow.family - b->c.flow.family;
	if ((d = memcmp(a->c.flow.dst.b, b->c.flow.dst.b, 16)))
		return d;
	if (a->c.flow.dport != b->c.flow.dport)
		return a->c.flow.dport - b->c.flow.dport;
	return a->c.id < b->c.id ? -1 : a->c.id > b->c.id;
}

static int cmp_groups(const void *pa, const void *pb, void *rows)
{
	const struct row *a = (const struct row *)rows + ((const struct group *)pa)->first;
	const struct row *b = (const struct row *)rows + ((const struct group *)pb)->first;
	int d = rank(a) - rank(b);

	return d ? d : cmp_device(a, b);
}

/* Sorts the rows and returns the devices in display order (NULL: no
 * memory; *ng = 0 with no rows). */
static struct group *order(struct flows *fl, size_t *ng)
{
	struct group *g;
	size_t n = 0;

	if (fl->n)		/* rows is NULL with no rows: qsort(NULL, 0) is undefined */
		qsort(fl->rows, fl->n, sizeof(*fl->rows), cmp_rows);
	g = calloc(fl->n ? fl->n : 1, sizeof(*g));
	if (!g)
		return NULL;
	for (size_t i = 0; i < fl->n; i++) {
		if (i == 0 || cmp_device(&fl->rows[i - 1], &fl->rows[i]))
			g[n++].first = i;
		g[n - 1].n++;
	}
	if (n)
		qsort_r(g, n, sizeof(*g), cmp_groups, fl->rows);
	*ng = n;
	return g;
}

/* ---- output ---- */

static int stale(const struct row *r)
{
	return r->c.decision != NFQ_CT_UNDECIDED && r->c.decision != r->policy;
}

static uint64_t age_s(const struct row *r, uint64_t now_ns)
{
	return now_ns > r->c.start_ns ? (now_ns - r->c.start_ns) / 1000000000u : 0;
}

static const char *addr_str(const struct rules_flow *f, const uint8_t *a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(f->family, a, buf, INET6_ADDRSTRLEN) ? buf : "?";
}

static const char *mac_str(const struct rules_flow *f, char buf[18])
{
	const uint8_t *m = f->src_mac;

	if (!f->has_mac)
		return NULL;
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* "tcp/443", "icmp/8" (the type), "gre" */
static const char *proto_port(const struct rules_flow *f, char buf[24])
{
	char num[4];
	const char *name = rules_proto_name(f->proto, num);

	if (f->has_ports)
		snprintf(buf, 24, "%s/%u", name, f->dport);
	else if (f->proto == 1 || f->proto == 58)
		snprintf(buf, 24, "%s/%u", name, f->icmp_type);
	else
		snprintf(buf, 24, "%s", name);
	return buf;
}

#define TEXT_FMT "  %-10s %-39s %-10s %-2s %5s %5s\n"	/* 78 columns */

/* "managed: 198.18.1.10 02:00:5e:00:53:01" (79 columns at most) */
static void text_device(const struct row *r)
{
	const struct rules_flow *f = &r->c.flow;
	char set[21], a[INET6_ADDRSTRLEN], mac[18];
	const char *m = mac_str(f, mac);

	printf("%s: %s %s\n", cli_fit(set, 20, r->device ? r->device :
				      r->c.covered == NFQ_CT_OUTPUT ? "(this host)" : "(no set)"),
	       addr_str(f, f->src.b, a), m ? m : "(MAC unknown)");
}

static void text_row(const struct row *r, uint64_t now_ns)
{
	const struct rules_flow *f = &r->c.flow;
	char dec[16], pp[24], ppf[11], cc[3], age[8], by[8], a[INET6_ADDRSTRLEN], h[67];

	snprintf(dec, sizeof(dec), "%s%s", nfq_ct_decision_name(r->c.decision), stale(r) ? "!" : "");
	printf(TEXT_FMT, dec, addr_str(f, f->dst.b, a), cli_fit(ppf, 10, proto_port(f, pp)),
	       geo_cc_str(r->cc, cc), r->c.start_ns ? cli_human_age(age, age_s(r, now_ns)) : "-",
	       r->c.has_counters ? cli_human_bytes(by, total_bytes(r)) : "-");
	if (r->names && r->names->host)	/* the name the device asked for, under the address */
		printf("             %s\n", cli_fit(h, 66, r->names->host));
}

struct counts {
	size_t by[NDEC];	/* by the mark's decision */
	size_t undecided_by[NDEC];	/* undecided ones, by what the policy decides now */
	size_t stale;
};

static void count_rows(const struct flows *fl, struct counts *k)
{
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < fl->n; i++) {
		const struct row *r = &fl->rows[i];

		k->by[r->c.decision % NDEC]++;
		if (r->c.decision == NFQ_CT_UNDECIDED)
			k->undecided_by[r->policy % NDEC]++;
		k->stale += (size_t)stale(r);
	}
}

static void text_summary(const struct flows *fl, const struct counts *k, int daemon)
{
	printf("%zu connection%s: %zu undecided, %zu block, %zu reject, %zu allow\n", fl->n,
	       fl->n == 1 ? "" : "s", k->by[NFQ_CT_UNDECIDED], k->by[NFQ_CT_BLOCK],
	       k->by[NFQ_CT_REJECT], k->by[NFQ_CT_ALLOW]);
	if (k->by[NFQ_CT_UNDECIDED])
		printf("the policy decides the undecided ones now: %zu block, %zu reject, %zu allow\n",
		       k->undecided_by[NFQ_CT_BLOCK], k->undecided_by[NFQ_CT_REJECT],
		       k->undecided_by[NFQ_CT_ALLOW]);
	if (k->stale)
		printf("%zu marked otherwise than the policy decides now (!)\n", k->stale);
	if (fl->hidden && !fl->o->all)
		printf("%zu connection%s to or from this host not shown (--all)\n", fl->hidden,
		       fl->hidden == 1 ? "" : "s");
	if (!daemon)
		printf("no daemon running: decisions are what conntrack carries; undecided\n"
		       "connections stay undecided until geoegress runs\n");
}

static void print_text(const struct flows *fl, const struct group *g, size_t ng, int daemon)
{
	uint64_t now_ns = (uint64_t)time(NULL) * 1000000000u;
	struct counts k;

	count_rows(fl, &k);
	printf("DEVICE: ADDRESS MAC\n" TEXT_FMT, "DECISION", "DESTINATION", "PROTO/PORT", "CC",
	       "AGE", "BYTES");
	for (size_t i = 0; i < ng; i++) {
		text_device(&fl->rows[g[i].first]);
		for (size_t j = 0; j < g[i].n; j++)
			text_row(&fl->rows[g[i].first + j], now_ns);
	}
	text_summary(fl, &k, daemon);
}

static void json_num_or_null(const char *key, int has, uint64_t v)
{
	printf(",\"%s\":", key);
	if (has)
		printf("%" PRIu64, v);
	else
		fputs("null", stdout);
}

static void json_key_str(const char *key, const char *s)
{
	printf(",\"%s\":", key);
	json_write_str(stdout, s);
}

static void json_row(const struct row *r, uint64_t now_ns)
{
	const struct rules_flow *f = &r->c.flow;
	int icmp = f->proto == 1 || f->proto == 58;
	char a[INET6_ADDRSTRLEN], mac[18], num[4], cc[3];

	printf("{\"id\":%" PRIu32, r->c.id);
	json_key_str("decision", nfq_ct_decision_name(r->c.decision));
	printf(",\"mark\":%" PRIu32, r->c.mark);
	json_key_str("policy", nfq_ct_decision_name(r->policy));
	printf(",\"stale\":%s", stale(r) ? "true" : "false");
	json_key_str("covered", nfq_ct_cover_name(r->c.covered));
	json_key_str("device", r->device);
	json_key_str("src", addr_str(f, f->src.b, a));
	json_key_str("src_mac", mac_str(f, mac));
	json_num_or_null("sport", f->has_ports, f->sport);
	json_key_str("dst", addr_str(f, f->dst.b, a));
	json_num_or_null("dport", f->has_ports, f->dport);
	json_key_str("orig_dst", addr_str(f, r->c.orig_dst.b, a));
	json_num_or_null("orig_dport", f->has_ports, r->c.orig_dport);
	json_key_str("proto", rules_proto_name(f->proto, num));
	json_num_or_null("icmp_type", icmp, f->icmp_type);
	json_num_or_null("icmp_code", icmp, f->icmp_code);
	json_key_str("host", r->names ? r->names->host : NULL);
	fputs(",\"names\":[", stdout);
	for (unsigned i = 0; r->names && i < r->names->n; i++) {
		fputs(i ? "," : "", stdout);
		json_write_str(stdout, r->names->name[i]);
	}
	putchar(']');
	json_key_str("country", r->cc == GEO_CC_UNKNOWN ? NULL : geo_cc_str(r->cc, cc));
	json_num_or_null("asn", r->asn != 0, r->asn);
	json_key_str("tcp_state", r->c.has_tcp_state ? nfq_ct_tcp_state_name(r->c.tcp_state) : NULL);
	json_num_or_null("age_s", r->c.start_ns != 0, age_s(r, now_ns));
	printf(",\"timeout_s\":%" PRIu32 ",\"zone\":%u", r->c.timeout, r->c.zone);
	json_num_or_null("bytes_orig", r->c.has_counters, r->c.bytes[0]);
	json_num_or_null("bytes_reply", r->c.has_counters, r->c.bytes[1]);
	json_num_or_null("packets_orig", r->c.has_counters, r->c.packets[0]);
	json_num_or_null("packets_reply", r->c.has_counters, r->c.packets[1]);
	putchar('}');
}

static void print_json(const struct flows *fl, const struct group *g, size_t ng, int daemon,
		       const char *db)
{
	uint64_t now_ns = (uint64_t)time(NULL) * 1000000000u;
	struct counts k;

	count_rows(fl, &k);
	printf("{\"daemon_running\":%s", daemon ? "true" : "false");
	json_key_str("note", daemon ? NULL : "no daemon running: decisions are what conntrack "
				 "carries; undecided connections stay undecided until geoegress runs");
	fputs(",\"policy\":{\"path\":", stdout);	/* as in stats --json */
	json_write_str(stdout, fl->o->conf);
	fputs("},\"database\":{\"path\":", stdout);
	json_write_str(stdout, db);
	putchar('}');
	printf(",\"counts\":{\"total\":%zu,\"undecided\":%zu,\"block\":%zu,\"reject\":%zu,"
	       "\"allow\":%zu,\"stale\":%zu,\"not_shown\":%zu}", fl->n, k.by[NFQ_CT_UNDECIDED],
	       k.by[NFQ_CT_BLOCK], k.by[NFQ_CT_REJECT], k.by[NFQ_CT_ALLOW], k.stale,
	       fl->o->all ? (size_t)0 : fl->hidden);
	fputs(",\"connections\":[", stdout);
	for (size_t i = 0, nth = 0; i < ng; i++) {
		for (size_t j = 0; j < g[i].n; j++, nth++) {
			fputs(nth ? ",\n" : "\n", stdout);
			json_row(&fl->rows[g[i].first + j], now_ns);
		}
	}
	fputs("]}\n", stdout);
}

/* ---- options ---- */

/* Returns 0, -1 for an unknown name, -2 when another was already given. */
static int parse_action(const char *s, int *out)
{
	for (int d = 0; d < NDEC; d++) {
		if (!strcmp(s, nfq_ct_decision_name((enum nfq_ct_decision)d))) {
			if (*out >= 0 && *out != d)
				return -2;
			*out = d;
			return 0;
		}
	}
	return -1;
}

/* --device: a MAC, an address, else a set name. */
static void parse_device(const char *s, struct dev_filter *d)
{
	memset(d, 0, sizeof(*d));
	if (!s)
		d->kind = DEV_ANY;
	else if (rules_flow_set_mac(&d->f, s) == 0)
		d->kind = DEV_MAC;
	else if (rules_flow_set_addr(&d->f, 's', s) == 0)
		d->kind = DEV_ADDR;
	else
		d->kind = DEV_NAME;
	d->name = s;
}

enum { O_CTL = 256 };

static int parse_opts(int argc, char **argv, struct flows_opts *o)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' }, { "device", required_argument, NULL, 'D' },
		{ "country", required_argument, NULL, 'C' }, { "action", required_argument, NULL, 'a' },
		{ "undecided", no_argument, NULL, 'u' }, { "all", no_argument, NULL, 'A' },
		{ "ctl", required_argument, NULL, O_CTL }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:jD:C:a:uAh", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conf = optarg; break;
		case 'd': o->db = optarg; break;
		case 'j': o->json = 1; break;
		case 'D': o->device = optarg; break;
		case 'C':
			if (cli_country_arg(optarg, &o->cc) < 0)
				return cli_usage_error("flows", CLI_COUNTRY_ERR, optarg);
			o->country = optarg;
			break;
		case 'A': o->all = 1; break;
		case O_CTL: o->ctl = optarg; break;
		case 'h': fputs(cmd_flows_usage, stdout); return 0;
		case 'a':
		case 'u':
			rc = parse_action(c == 'u' ? "undecided" : optarg, &o->action);
			if (rc == -1)
				return cli_usage_error("flows", "--action: '%s' is not allow, block, reject or "
						       "undecided", optarg);
			if (rc == -2)
				return cli_usage_error("flows", "--action and --undecided ask for different "
						       "decisions; give one");
			break;
		default:
			return cli_option_error("flows", c, argv, lopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("flows", "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* ---- running ---- */

static int walk_conntrack(struct flows *fl)
{
	char err[256];
	struct nfq_ct *ct = nfq_ct_open(err, sizeof(err));
	int rc = -1;

	if (!ct) {
		fprintf(stderr, "geoegress flows: %s\n", err);
		return -1;
	}
	if (nfq_ct_walk(ct, 0, 0, on_conn, fl) < 0 && !fl->nomem) {
		if (errno == EPERM)
			fprintf(stderr, "geoegress flows: reading conntrack needs CAP_NET_ADMIN (run as root)\n");
		else
			fprintf(stderr, "geoegress flows: reading conntrack: %s\n", strerror(errno));
		goto out;
	}
	if (fl->nomem) {
		fprintf(stderr, "geoegress flows: out of memory after %zu connections\n", fl->n);
		goto out;
	}
	rc = 0;
out:
	nfq_ct_close(ct);
	return rc;
}

/* 0 when /proc says this process lacks CAP_NET_ADMIN (bit 12 of CapEff),
 * so the error a person acts on comes before any about the policy file
 * (often unreadable to them too); 1 otherwise, the kernel decides. */
static int may_read_conntrack(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff;
	int yes = 1;

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			yes = (eff >> 12) & 1;
	fclose(f);
	return yes;
}

static int flows_run(const struct flows_opts *o)
{
	struct rules_policy *p = NULL;
	struct flows fl = { .o = o };
	struct geo_db *db = NULL, *asn = NULL;
	struct group *g = NULL;
	const char *dbpath;
	size_t ng = 0;
	int rc = 1, daemon;

	if (!may_read_conntrack()) {
		fprintf(stderr, "geoegress flows: reading conntrack needs CAP_NET_ADMIN (run as root)\n");
		goto out;
	}
	p = cli_load_policy(o->conf);
	if (!p)
		goto out;
	dbpath = o->db ? o->db : rules_options(p)->database;
	db = cli_open_db("flows", dbpath);
	if (!db)
		goto out;
	if (cli_open_asn_db("flows", p, &asn) < 0)
		goto out;
	fl.p = p;
	fl.db = db;
	fl.asn_db = asn;
	load_names(&fl);
	parse_device(o->device, &fl.dev);
	fl.cc_filter = o->country != NULL;
	fl.cc = o->cc;
	if (walk_conntrack(&fl) < 0)
		goto out;
	g = order(&fl, &ng);
	if (!g) {
		fprintf(stderr, "geoegress flows: out of memory\n");
		goto out;
	}
	daemon = nfq_ctl_alive(o->ctl);
	if (o->json)
		print_json(&fl, g, ng, daemon, dbpath);
	else
		print_text(&fl, g, ng, daemon);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "geoegress flows: cannot write output: %s\n", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(g);
	free(fl.rows);
	for (size_t i = 0; i < fl.nnames; i++)
		free(fl.names[i].line);
	free(fl.names);
	geo_close(asn);
	geo_close(db);
	rules_free(p);
	return rc;
}

int cmd_flows(int argc, char **argv)
{
	struct flows_opts o = { .conf = GEOEGRESS_DEFAULT_CONF, .ctl = NFQ_DEFAULT_CTL, .action = -1 };
	int rc = parse_opts(argc, argv, &o);

	if (rc >= 0)
		return rc;
	return flows_run(&o);
}
