// SPDX-License-Identifier: GPL-2.0-or-later
/* --format json: one document with totals, tables, timeline and skipped
 * lines, for scripts and SIEMs. */
#include <string.h>

#include "report/report_priv.h"

/* A JSON string; control characters escaped, invalid UTF-8 → U+FFFD. */
static void jstr(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*p) {
		unsigned char c = *p;
		int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		int valid = n > 0 && !(n == 2 && c < 0xc2);

		for (int i = 1; valid && i < n; i++)
			valid = (p[i] & 0xc0) == 0x80;
		if (!valid) {
			fputs("\\ufffd", out);
			p++;
		} else if (c == '"' || c == '\\') {
			fputc('\\', out), fputc(c, out), p++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c), p++;
		} else {
			fwrite(p, 1, (size_t)n, out);
			p += n;
		}
	}
	fputc('"', out);
}

static void jtime(FILE *out, int64_t ms)
{
	char b[32];

	if (ms == INT64_MIN || ms == INT64_MAX)
		fputs("null", out);
	else
		fprintf(out, "\"%s\"", report_format_time(ms, b));
}

static void jstats(FILE *out, const struct report_stats *s)
{
	fprintf(out, ",\"flows\":%llu,\"blocked\":%llu,\"allowed\":%llu",
		(unsigned long long)report_flows(s), (unsigned long long)report_blocked(s),
		(unsigned long long)report_allowed(s));
	for (int c = 0; c < REPORT_NCAT; c++)
		fprintf(out, ",\"%s\":%llu", report_cat_name(c), (unsigned long long)s->n[c]);
	fputs(",\"first_seen\":", out);
	jtime(out, s->first);
	fputs(",\"last_seen\":", out);
	jtime(out, s->last);
	fputc('}', out);
}

static void jtotals(FILE *out, const struct report_view *v)
{
	const struct report_totals *t = v->t;

	fputs("{\n\"span\":{\"first\":", out);
	jtime(out, t->records ? t->first_ms : INT64_MIN);
	fputs(",\"last\":", out);
	jtime(out, t->records ? t->last_ms : INT64_MIN);
	fputs(",\"since\":", out);
	jtime(out, v->f->since_ms);
	fputs(",\"until\":", out);
	jtime(out, v->f->until_ms);
	fputs("},\n\"filter\":{\"device\":", out);
	jstr(out, v->f->device);
	fputs(",\"country\":", out);
	jstr(out, v->f->country);
	fputs(",\"gateway\":", out);
	jstr(out, v->f->gateway);
	fputs(",\"actions\":[", out);
	for (int c = 0, n = 0; c < REPORT_NCAT; c++)
		if (v->f->cats & (1u << c))
			fprintf(out, "%s\"%s\"", n++ ? "," : "", report_cat_name(c));
	fprintf(out, "]},\n\"totals\":{\"records\":%llu,\"flows\":%llu,\"retries\":%llu,"
		"\"folded_records\":%llu,\"over_cap_records\":%llu,\"filtered_records\":%llu,"
		"\"skipped_lines\":%llu",
		(unsigned long long)t->records, (unsigned long long)t->flows, (unsigned long long)t->retries,
		(unsigned long long)t->folded, (unsigned long long)t->over_cap,
		(unsigned long long)t->filtered, (unsigned long long)t->skipped);
	for (int c = 0; c < REPORT_NCAT; c++)
		fprintf(out, ",\"%s\":%llu", report_cat_name(c), (unsigned long long)t->by_cat[c]);
	fprintf(out, ",\"devices\":%zu,\"countries\":%zu,\"destinations\":%zu,\"gateways\":%zu,\"hosts\":%zu,"
		"\"domains\":%zu,\"asns\":%zu,\"named_flows\":%llu,\"public_suffix_list\":%s},\n",
		t->devices, t->countries, t->destinations, t->gateways, t->hosts, t->domains, t->asns,
		(unsigned long long)t->named, t->psl ? "true" : "false");
}

static void jrows(FILE *out, const char *name, struct report_vrow **rows, size_t n,
		  const char *const *keys, int nkeys)
{
	fprintf(out, "\"%s\":[", name);
	for (size_t r = 0; r < n; r++) {
		fputs(r ? ",\n {" : "\n {", out);
		for (int k = 0; k < nkeys; k++) {
			fprintf(out, "%s\"%s\":", k ? "," : "", keys[k]);
			if ((!strcmp(keys[k], "dport") || !strcmp(keys[k], "asn")) && rows[r]->f[k])
				fputs(rows[r]->f[k], out);	/* digits we wrote */
			else
				jstr(out, rows[r]->f[k]);
		}
		if (!strcmp(name, "countries"))
			fputs(",\"name\":", out), jstr(out, report_country_name(rows[r]->f[0]));
		jstats(out, &rows[r]->st);
	}
	fputs(n ? "\n],\n" : "],\n", out);
}

/* Gateways: the name records carry (null: records without one) and how
 * many devices were seen behind it. */
static void jgateways(FILE *out, const struct report_view *v)
{
	fputs("\"gateways\":[", out);
	for (size_t r = 0; r < v->ngw; r++) {
		fputs(r ? ",\n {\"gateway\":" : "\n {\"gateway\":", out);
		jstr(out, v->gw[r]->f[GW_NAME]);
		fprintf(out, ",\"devices\":%llu", (unsigned long long)v->gw[r]->ndevices);
		jstats(out, &v->gw[r]->st);
	}
	fputs(v->ngw ? "\n],\n" : "],\n", out);
}

/* Devices: id (the MAC, or the address of a device without one), the
 * gateway, the set, the MAC, and every address seen. */
static void jdevices(FILE *out, const struct report_view *v)
{
	fputs("\"devices\":[", out);
	for (size_t r = 0; r < v->ndev; r++) {
		const struct report_vrow *row = v->dev[r];

		fputs(r ? ",\n {\"id\":" : "\n {\"id\":", out);
		jstr(out, row->f[DEV_MAC] ? row->f[DEV_MAC] : row->f[DEV_SRC]);
		fputs(",\"gateway\":", out);
		jstr(out, row->f[DEV_GW]);
		fputs(",\"device\":", out);
		jstr(out, row->f[DEV_SET]);
		fputs(",\"src_mac\":", out);
		jstr(out, row->f[DEV_MAC]);
		fputs(",\"addresses\":[", out);
		for (size_t i = 0; i < row->naddrs; i++) {
			if (i)
				fputc(',', out);
			jstr(out, row->addrs[i]);
		}
		fputc(']', out);
		jstats(out, &row->st);
	}
	fputs(v->ndev ? "\n],\n" : "],\n", out);
}

int report_write_json(const struct report_view *v, FILE *out)
{
	static const char *const cty[] = { "country" };
	static const char *const dst[] = { "dst", "dport", "proto", "country", "host", "via", "geo_addr" };
	static const char *const hostk[] = { "host", "domain" }, *const domk[] = { "domain" };
	static const char *const asnk[] = { "asn", "as_org" };

	jtotals(out, v);
	jgateways(out, v);
	jdevices(out, v);
	jrows(out, "countries", v->cty, v->ncty, cty, 1);
	jrows(out, "destinations", v->dst, v->ndst, dst, 7);
	jrows(out, "hosts", v->host, v->nhost, hostk, 2);
	jrows(out, "domains", v->dom, v->ndom, domk, 1);
	jrows(out, "asns", v->asn, v->nasn, asnk, 2);
	fprintf(out, "\"timeline\":{\"bucket\":\"%s\",\"bucket_seconds\":%lld,\"points\":[",
		report_bucket_name(v->tl.bucket_ms, 1), (long long)(v->tl.bucket_ms / 1000));
	for (size_t i = 0; i < v->tl.n; i++) {
		fputs(i ? ",\n {\"start\":" : "\n {\"start\":", out);
		jtime(out, v->tl.start_ms + (int64_t)i * v->tl.bucket_ms);
		fprintf(out, ",\"blocked\":%llu,\"audit\":%llu}", (unsigned long long)v->tl.blocked[i],
			(unsigned long long)v->tl.audit[i]);
	}
	fprintf(out, "%s]},\n\"skipped\":{\"lines\":%llu,\"first\":[", v->tl.n ? "\n" : "",
		(unsigned long long)v->t->skipped);
	for (size_t i = 0; i < v->nbad; i++) {
		fputs(i ? ",\n {\"file\":" : "\n {\"file\":", out);
		jstr(out, v->bad[i].file);
		fprintf(out, ",\"line\":%llu,\"reason\":", (unsigned long long)v->bad[i].line);
		jstr(out, v->bad[i].why);
		fputc('}', out);
	}
	fputs(v->nbad ? "\n]}\n}\n" : "]}\n}\n", out);
	return ferror(out) ? -1 : 0;
}
