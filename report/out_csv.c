// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --format csv (RFC 4180).  `--table NAME` prints one plain table
 * (gateways, devices, countries, destinations, timeline, hosts, domains or
 * asns).  Without it every table is printed, separated by an empty line,
 * each row starting with a `table` column naming its table.  Text cells that a spreadsheet would
 * take for a formula (=, +, -, @) get a leading apostrophe; control
 * characters become '?' (use --format json for the exact bytes).
 */
#include <string.h>

#include "report/report_priv.h"

static void cstr(FILE *out, const char *s)
{
	int quote;

	if (!s)
		return;
	quote = strpbrk(s, ",\"") != NULL;
	if (quote)
		fputc('"', out);
	if (strchr("=+-@\t\r", *s) && *s)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		/* Control characters (terminal escapes, line breaks) never pass. */
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	}
	if (quote)
		fputc('"', out);
}

static void ctime_ms(FILE *out, int64_t ms)
{
	char b[32];

	fputs(report_format_time(ms, b), out);
}

static const char stat_head[] = "flows,blocked,allowed,allow,block,reject,log,audit,first_seen,last_seen";

static void cstats(FILE *out, const struct report_stats *s)
{
	fprintf(out, ",%llu,%llu,%llu", (unsigned long long)report_flows(s),
		(unsigned long long)report_blocked(s), (unsigned long long)report_allowed(s));
	for (int c = 0; c < REPORT_NCAT; c++)
		fprintf(out, ",%llu", (unsigned long long)s->n[c]);
	fputc(',', out);
	ctime_ms(out, s->first);
	fputc(',', out);
	ctime_ms(out, s->last);
	fputs("\r\n", out);
}

static void ctable(FILE *out, const char *tag, const char *head, struct report_vrow **rows, size_t n,
		   int nkeys, int with_name)
{
	if (tag)
		fprintf(out, "table,");
	fprintf(out, "%s,%s\r\n", head, stat_head);
	for (size_t r = 0; r < n; r++) {
		if (tag)
			fprintf(out, "%s,", tag);
		for (int k = 0; k < nkeys; k++) {
			if (k)
				fputc(',', out);
			cstr(out, rows[r]->f[k]);
		}
		if (with_name)
			fputc(',', out), cstr(out, report_country_name(rows[r]->f[0]));
		cstats(out, &rows[r]->st);
	}
}

/* Gateways: name, devices seen behind it. */
static void cgateways(FILE *out, const struct report_view *v, const char *tag)
{
	if (tag)
		fprintf(out, "table,");
	fprintf(out, "gateway,devices,%s\r\n", stat_head);
	for (size_t r = 0; r < v->ngw; r++) {
		if (tag)
			fprintf(out, "%s,", tag);
		cstr(out, v->gw[r]->f[GW_NAME]);
		fprintf(out, ",%llu", (unsigned long long)v->gw[r]->ndevices);
		cstats(out, &v->gw[r]->st);
	}
}

/* Devices: id (the MAC, or the address), gateway, set, MAC, addresses
 * (space-separated). */
static void cdevices(FILE *out, const struct report_view *v, const char *tag)
{
	if (tag)
		fprintf(out, "table,");
	fprintf(out, "id,gateway,device,src_mac,addresses,%s\r\n", stat_head);
	for (size_t r = 0; r < v->ndev; r++) {
		const struct report_vrow *row = v->dev[r];

		if (tag)
			fprintf(out, "%s,", tag);
		cstr(out, row->f[DEV_MAC] ? row->f[DEV_MAC] : row->f[DEV_SRC]);
		fputc(',', out);
		cstr(out, row->f[DEV_GW]);
		fputc(',', out);
		cstr(out, row->f[DEV_SET]);
		fputc(',', out);
		cstr(out, row->f[DEV_MAC]);
		fputc(',', out);
		for (size_t i = 0; i < row->naddrs; i++) {
			if (i)
				fputc(' ', out);
			cstr(out, row->addrs[i]);
		}
		cstats(out, &row->st);
	}
}

static void ctimeline(FILE *out, const struct report_view *v, const char *tag)
{
	fprintf(out, "%sstart,blocked,audit\r\n", tag ? "table," : "");
	for (size_t i = 0; i < v->tl.n; i++) {
		if (tag)
			fprintf(out, "%s,", tag);
		ctime_ms(out, v->tl.start_ms + (int64_t)i * v->tl.bucket_ms);
		fprintf(out, ",%llu,%llu\r\n", (unsigned long long)v->tl.blocked[i],
			(unsigned long long)v->tl.audit[i]);
	}
}

int report_write_csv(const struct report_view *v, FILE *out)
{
	enum report_table t = v->o->table;
	int all = t == REPORT_TABLE_ALL;

	if (all || t == REPORT_TABLE_GATEWAYS)
		cgateways(out, v, all ? "gateways" : NULL);
	if (all)
		fputs("\r\n", out);
	if (all || t == REPORT_TABLE_DEVICES)
		cdevices(out, v, all ? "devices" : NULL);
	if (all)
		fputs("\r\n", out);
	if (all || t == REPORT_TABLE_COUNTRIES)
		ctable(out, all ? "countries" : NULL, "country,name", v->cty, v->ncty, 1, 1);
	if (all)
		fputs("\r\n", out);
	if (all || t == REPORT_TABLE_DESTINATIONS)
		ctable(out, all ? "destinations" : NULL, "dst,dport,proto,country,host,via,geo_addr", v->dst,
		       v->ndst, 7, 0);
	if (all)
		fputs("\r\n", out);
	if (all || t == REPORT_TABLE_TIMELINE) {
		char tag[32];

		snprintf(tag, sizeof(tag), "timeline-%s", report_bucket_name(v->tl.bucket_ms, 1));
		ctimeline(out, v, all ? tag : NULL);
	}
	/* the names tables only when the log has names (or when asked for) */
	if ((all && v->t->hosts) || t == REPORT_TABLE_HOSTS) {
		fputs(all ? "\r\n" : "", out);
		ctable(out, all ? "hosts" : NULL, "host,domain", v->host, v->nhost, 2, 0);
	}
	if ((all && v->t->hosts) || t == REPORT_TABLE_DOMAINS) {
		fputs(all ? "\r\n" : "", out);
		ctable(out, all ? "domains" : NULL, "domain", v->dom, v->ndom, 1, 0);
	}
	if ((all && v->t->asns) || t == REPORT_TABLE_ASNS) {
		fputs(all ? "\r\n" : "", out);
		ctable(out, all ? "asns" : NULL, "asn,as_org", v->asn, v->nasn, 2, 0);
	}
	return ferror(out) ? -1 : 0;
}
