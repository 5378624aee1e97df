// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --format html: one self-contained page (inline CSS and SVG, no script,
 * no external fetch; a Content-Security-Policy forbids both) with the span
 * and totals, a stacked bar chart of flows per country by action, a
 * timeline of blocked flows, and the tables.  Light and dark through
 * prefers-color-scheme; print CSS.  Every log-derived string goes through
 * esc(), so a crafted log cannot inject markup.
 */
#include <string.h>

#include "report/report_priv.h"

#ifndef GEOEGRESS_VERSION
#define GEOEGRESS_VERSION "?"
#endif

/* Stacking order of the country bars, and their legend names. */
static const enum report_cat order[REPORT_NCAT] = {
	REPORT_BLOCK, REPORT_REJECT, REPORT_AUDIT, REPORT_LOG, REPORT_ALLOW
};

static void esc(FILE *out, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fputc(' ', out);
			else
				fputc(*s, out);
		}
	}
}

static const char css[] =
	":root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--grid:#d1d9e0;"
	"--card:#f6f8fa;--allow:#1a7f37;--log:#0969da;--audit:#bf8700;--block:#cf222e;--reject:#8250df}\n"
	"@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;"
	"--grid:#3d444d;--card:#151b23;--allow:#3fb950;--log:#4493f8;--audit:#d29922;--block:#f85149;"
	"--reject:#ab7df8}}\n"
	"body{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,sans-serif;margin:0 auto;"
	"max-width:1100px;padding:16px 24px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
	".muted{color:var(--muted)}\n"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}\n"
	".card{background:var(--card);border:1px solid var(--grid);border-radius:6px;padding:8px 14px;min-width:90px}\n"
	".card b{display:block;font-size:20px}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
	"th,td{border-bottom:1px solid var(--grid);padding:3px 8px;text-align:left;white-space:nowrap}\n"
	"td.n,th.n{text-align:right}td.hot{color:var(--block);font-weight:600}\n"
	"td.wrap{white-space:normal;word-break:break-all}\n"
	"svg{display:block;max-width:100%;height:auto}svg text{fill:var(--fg);font:12px system-ui,sans-serif}\n"
	"svg .axis{stroke:var(--grid)}svg text.lbl{fill:var(--muted)}\n"
	".allow{fill:var(--allow)}.log{fill:var(--log)}.audit{fill:var(--audit)}"
	".block{fill:var(--block)}.reject{fill:var(--reject)}\n"
	"ul.skipped{font-family:ui-monospace,monospace;font-size:12px}\n"
	"@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--grid:#bbb;--card:#fff}"
	"body{max-width:none;padding:0}section{break-inside:avoid}h2{break-after:avoid}"
	"tr{break-inside:avoid}}\n";

static void head(FILE *out, const struct report_view *v)
{
	char a[32], b[32];
	const struct report_totals *t = v->t;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>", out);
	esc(out, v->o->title ? v->o->title : "geoegress report");
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
	esc(out, v->o->title ? v->o->title : "geoegress report");
	fputs("</h1>\n<p class=\"muted\" id=\"span\">", out);
	if (t->records)
		fprintf(out, "%s &ndash; %s (UTC)", report_format_time(t->first_ms, a),
			report_format_time(t->last_ms, b));
	else
		fputs("no records", out);
	if (v->f->since_ms != INT64_MIN)
		fprintf(out, "; since %s", report_format_time(v->f->since_ms, a));
	if (v->f->until_ms != INT64_MAX)
		fprintf(out, "; until %s", report_format_time(v->f->until_ms, a));
	if (v->f->device)
		fputs("; device ", out), esc(out, v->f->device);
	if (v->f->country)
		fputs("; country ", out), esc(out, v->f->country);
	if (v->f->gateway)
		fputs("; gateway ", out), esc(out, v->f->gateway);
	fputs("</p>\n</header>\n", out);
}

static void card(FILE *out, const char *cls, uint64_t n, const char *label)
{
	fprintf(out, "<div class=\"card %s\"><b>%llu</b>%s</div>\n", cls, (unsigned long long)n, label);
}

static void totals(FILE *out, const struct report_view *v)
{
	const struct report_totals *t = v->t;

	fputs("<section id=\"totals\">\n<div class=\"cards\">\n", out);
	card(out, "flows", t->flows, "flows");
	card(out, "records", t->records, "log records");
	card(out, "c-block", t->by_cat[REPORT_BLOCK] + t->by_cat[REPORT_REJECT], "blocked (block + reject)");
	card(out, "c-allow", t->by_cat[REPORT_ALLOW] + t->by_cat[REPORT_LOG], "allowed (allow + log)");
	if (t->by_cat[REPORT_AUDIT])
		card(out, "c-audit", t->by_cat[REPORT_AUDIT], "audit: would block, passed");
	if (t->gateways > 1)
		card(out, "gateways", t->gateways, "gateways");
	card(out, "devices", t->devices, "devices");
	card(out, "countries", t->countries, "countries");
	if (t->skipped)
		card(out, "skipped", t->skipped, "lines skipped");
	fputs("</div>\n<p class=\"muted\">", out);
	for (int c = 0; c < REPORT_NCAT; c++)
		fprintf(out, "%s%s %llu", c ? ", " : "By action: ", report_cat_name(c),
			(unsigned long long)t->by_cat[c]);
	if (t->folded)
		fprintf(out, "; %llu records folded by log-rate", (unsigned long long)t->folded);
	if (t->retries)
		fprintf(out, "; %llu retries (repeated packets of flows already counted, not flows)",
			(unsigned long long)t->retries);
	if (t->filtered)
		fprintf(out, "; %llu records left out by filters", (unsigned long long)t->filtered);
	fputs(".</p>\n</section>\n", out);
}

static void legend(FILE *out, int x, int y)
{
	for (int i = 0; i < REPORT_NCAT; i++, x += 90) {
		fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"12\" height=\"12\"/>"
			"<text x=\"%d\" y=\"%d\">%s</text>\n", report_cat_name(order[i]), x, y, x + 16,
			y + 11, report_cat_name(order[i]));
	}
}

static void country_label(FILE *out, const char *cc)
{
	const char *name = report_country_name(cc);

	if (!cc) {
		fputs("-- unknown", out);
		return;
	}
	esc(out, cc);
	if (name)
		fputc(' ', out), esc(out, name);
}

/* Horizontal stacked bars, one per country, one rect per non-zero action. */
static void country_chart(FILE *out, const struct report_view *v)
{
	const int W = 900, X0 = 190, PW = 620, RH = 26, Y0 = 34;
	uint64_t max = 1;
	int h = Y0 + (int)v->ncty * RH + 10;

	for (size_t i = 0; i < v->ncty; i++)
		if (report_flows(&v->cty[i]->st) > max)
			max = report_flows(&v->cty[i]->st);
	fprintf(out, "<section>\n<h2>Flows per country, by action</h2>\n"
		"<svg id=\"country-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"flows per country\">\n", W, h, W, h);
	legend(out, X0, 8);
	for (size_t i = 0; i < v->ncty; i++) {
		const struct report_vrow *row = v->cty[i];
		int y = Y0 + (int)i * RH;
		double x = X0;

		fprintf(out, "<g class=\"country\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\">", X0 - 8, y + 15);
		country_label(out, row->f[CTY_CC]);
		fputs("</text>\n", out);
		for (int k = 0; k < REPORT_NCAT; k++) {
			uint64_t n = row->st.n[order[k]];
			double w = (double)n * PW / (double)max;

			if (!n)
				continue;
			fprintf(out, "<rect class=\"bar %s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\">"
				"<title>", report_cat_name(order[k]), x, y + 2, w < 1 ? 1 : w, RH - 8);
			country_label(out, row->f[CTY_CC]);
			fprintf(out, ": %s %llu</title></rect>\n", report_cat_name(order[k]), (unsigned long long)n);
			x += w < 1 ? 1 : w;
		}
		fprintf(out, "<text class=\"lbl\" x=\"%.1f\" y=\"%d\">%llu</text></g>\n", x + 6, y + 15,
			(unsigned long long)report_flows(&row->st));
	}
	fputs("</svg>\n</section>\n", out);
}

static void tl_bar(FILE *out, const char *cls, double x, double y, double w, double h,
		   int64_t start, uint64_t n)
{
	char b[32];

	fprintf(out, "<rect class=\"tl %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
		"<title>%.16s: %llu %s</title></rect>\n", cls, x, y, w, h,
		report_format_time(start, b), (unsigned long long)n, cls);
}

/* Vertical bars of blocked (and audit) flows per hour or day. */
static void timeline_chart(FILE *out, const struct report_view *v)
{
	const struct report_timeline *tl = &v->tl;
	const int W = 900, X0 = 60, PW = 820, PH = 200, Y0 = 34, H = Y0 + PH + 30;
	double bw = tl->n ? (double)PW / (double)tl->n : PW, gap = bw > 4 ? 1 : 0;
	size_t step = tl->n / 12 + 1;
	uint64_t max = 1;
	/* labels: HH:MM within a day, MM-DD HH:MM across days, MM-DD for days */
	int clock = tl->bucket_ms < 86400000, oneday = tl->n * (size_t)tl->bucket_ms <= 86400000;
	char b[32];

	for (size_t i = 0; i < tl->n; i++)
		if (tl->blocked[i] + tl->audit[i] > max)
			max = tl->blocked[i] + tl->audit[i];
	fprintf(out, "<section>\n<h2>Blocked flows per %s (UTC)</h2>\n"
		"<svg id=\"timeline-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"blocked flows over time\">\n",
		report_bucket_name(tl->bucket_ms, 0), W, H, W, H);
	fprintf(out, "<rect class=\"block\" x=\"%d\" y=\"8\" width=\"12\" height=\"12\"/>"
		"<text x=\"%d\" y=\"19\">blocked (block + reject)</text>\n", X0, X0 + 16);
	fprintf(out, "<rect class=\"audit\" x=\"%d\" y=\"8\" width=\"12\" height=\"12\"/>"
		"<text x=\"%d\" y=\"19\">audit (would block)</text>\n", X0 + 220, X0 + 236);
	for (int k = 0; k <= 2; k++) {
		int y = Y0 + PH - PH * k / 2;

		fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
			"<text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu</text>\n",
			X0, y, X0 + PW, y, X0 - 6, y + 4, (unsigned long long)(max * (uint64_t)k / 2));
	}
	for (size_t i = 0; i < tl->n; i++) {
		int64_t start = tl->start_ms + (int64_t)i * tl->bucket_ms;
		double x = X0 + (double)i * bw, hb = (double)tl->blocked[i] * PH / (double)max;
		double ha = (double)tl->audit[i] * PH / (double)max;

		if (tl->blocked[i])
			tl_bar(out, "blocked block", x, Y0 + PH - hb, bw - gap, hb, start, tl->blocked[i]);
		if (tl->audit[i])
			tl_bar(out, "audit", x, Y0 + PH - hb - ha, bw - gap, ha, start, tl->audit[i]);
		if (i % step == 0) {
			report_format_time(start, b);
			b[10] = ' ';
			fprintf(out, "<text class=\"lbl\" x=\"%.1f\" y=\"%d\">%.*s</text>\n", x, Y0 + PH + 18,
				clock && !oneday ? 11 : 5, b + (clock && oneday ? 11 : 5));
		}
	}
	fputs("</svg>\n</section>\n", out);
}

static void td_num(FILE *out, uint64_t n, int hot)
{
	fprintf(out, "<td class=\"n%s\">%llu</td>", hot && n ? " hot" : "", (unsigned long long)n);
}

static void td_str(FILE *out, const char *s, int wrap)
{
	fputs(wrap ? "<td class=\"wrap\">" : "<td>", out);
	if (s)
		esc(out, s);
	else
		fputs("&ndash;", out);
	fputs("</td>", out);
}

static void td_stats(FILE *out, const struct report_stats *s)
{
	char a[32];

	td_num(out, report_flows(s), 0);
	td_num(out, report_blocked(s), 1);
	td_num(out, report_allowed(s), 0);
	td_num(out, s->n[REPORT_AUDIT], 0);
	report_format_time(s->first, a);
	fprintf(out, "<td>%.10s %.8s</td>", a, a + 11);
	report_format_time(s->last, a);
	fprintf(out, "<td>%.10s %.8s</td></tr>\n", a, a + 11);
}

static void thead(FILE *out, const char *id, const char *title, size_t shown, size_t total, const char *cols)
{
	fprintf(out, "<section>\n<h2>%s <span class=\"muted\">(%s%zu of %zu)</span></h2>\n"
		"<table id=\"%s\">\n<thead><tr>%s<th class=\"n\">flows</th><th class=\"n\">blocked</th>"
		"<th class=\"n\">allowed</th><th class=\"n\">audit</th><th>first seen</th><th>last seen</th>"
		"</tr></thead>\n<tbody>\n", title, shown < total ? "top " : "", shown, total, id, cols);
}

/* Gateways, when the logs of several are merged. */
static void gateway_table(FILE *out, const struct report_view *v)
{
	if (v->t->gateways < 2)
		return;
	thead(out, "gateways", "Gateways, blocked first", v->ngw, v->t->gateways,
	      "<th>gateway</th><th class=\"n\">devices</th>");
	for (size_t i = 0; i < v->ngw; i++) {
		fputs("<tr>", out);
		td_str(out, v->gw[i]->f[GW_NAME], 1);
		td_num(out, v->gw[i]->ndevices, 0);
		td_stats(out, &v->gw[i]->st);
	}
	fputs("</tbody>\n</table>\n</section>\n", out);
}

static void tables(FILE *out, const struct report_view *v)
{
	int several = v->t->gateways > 1;

	gateway_table(out, v);
	thead(out, "devices", "Devices, blocked first", v->ndev, v->t->devices, several ?
	      "<th>device</th><th>gateway</th><th>device set</th><th>addresses</th>" :
	      "<th>device</th><th>device set</th><th>addresses</th>");
	for (size_t i = 0; i < v->ndev; i++) {
		const struct report_vrow *d = v->dev[i];

		fputs("<tr>", out);
		td_str(out, d->f[DEV_MAC] ? d->f[DEV_MAC] : d->f[DEV_SRC], 1);
		if (several)
			td_str(out, d->f[DEV_GW], 0);
		td_str(out, d->f[DEV_SET], 0);
		fputs("<td class=\"wrap\">", out);
		for (size_t k = 0; k < d->naddrs; k++)
			fputs(k ? ", " : "", out), esc(out, d->addrs[k]);
		fputs("</td>", out);
		td_stats(out, &d->st);
	}
	fputs("</tbody>\n</table>\n</section>\n", out);
	thead(out, "countries", "Countries", v->ncty, v->t->countries, "<th>country</th>");
	for (size_t i = 0; i < v->ncty; i++) {
		fputs("<tr><td>", out);
		country_label(out, v->cty[i]->f[CTY_CC]);
		fputs("</td>", out);
		td_stats(out, &v->cty[i]->st);
	}
	fputs("</tbody>\n</table>\n</section>\n", out);
	thead(out, "destinations", "Destinations, blocked first", v->ndst, v->t->destinations,
	      "<th>address</th><th>port</th><th>proto</th><th>country</th><th>host</th>"
	      "<th>via</th><th>decided by</th>");
	for (size_t i = 0; i < v->ndst; i++) {
		fputs("<tr>", out);
		for (int k = 0; k < 7; k++)
			td_str(out, v->dst[i]->f[k], k == 0 || k == 4);
		td_stats(out, &v->dst[i]->st);
	}
	fputs("</tbody>\n</table>\n</section>\n", out);
}

/* Hosts, registered domains and ASes: only when the log has them. */
static void names_tables(FILE *out, const struct report_view *v)
{
	if (v->t->hosts) {
		thead(out, "hosts", "Hosts (names the devices asked for), blocked first", v->nhost,
		      v->t->hosts, "<th>host</th><th>registered domain</th>");
		for (size_t i = 0; i < v->nhost; i++) {
			fputs("<tr>", out);
			td_str(out, v->host[i]->f[HOST_NAME], 1);
			td_str(out, v->host[i]->f[HOST_DOMAIN], 1);
			td_stats(out, &v->host[i]->st);
		}
		fputs("</tbody>\n</table>\n</section>\n", out);
		thead(out, "domains", v->t->psl ? "Registered domains, blocked first" :
		      "Registered domains (the last two labels: no Public Suffix List), blocked first",
		      v->ndom, v->t->domains, "<th>registered domain</th>");
		for (size_t i = 0; i < v->ndom; i++) {
			fputs("<tr>", out);
			td_str(out, v->dom[i]->f[DOM_NAME], 1);
			td_stats(out, &v->dom[i]->st);
		}
		fputs("</tbody>\n</table>\n</section>\n", out);
	}
	if (!v->t->asns)
		return;
	thead(out, "asns", "Autonomous systems, blocked first", v->nasn, v->t->asns,
	      "<th>AS</th><th>organisation</th>");
	for (size_t i = 0; i < v->nasn; i++) {
		fputs("<tr>", out);
		td_str(out, v->asn[i]->f[ASN_NUM], 0);
		td_str(out, v->asn[i]->f[ASN_ORG], 1);
		td_stats(out, &v->asn[i]->st);
	}
	fputs("</tbody>\n</table>\n</section>\n", out);
}

static void skipped(FILE *out, const struct report_view *v)
{
	if (!v->t->skipped)
		return;
	fprintf(out, "<section>\n<h2>%llu line%s skipped</h2>\n<ul class=\"skipped\">\n",
		(unsigned long long)v->t->skipped, v->t->skipped == 1 ? "" : "s");
	for (size_t i = 0; i < v->nbad; i++) {
		fputs("<li>", out);
		esc(out, v->bad[i].file);
		fprintf(out, ":%llu: ", (unsigned long long)v->bad[i].line);
		esc(out, v->bad[i].why);
		fputs("</li>\n", out);
	}
	if (v->t->skipped > v->nbad)
		fprintf(out, "<li>&hellip; and %llu more</li>\n", (unsigned long long)(v->t->skipped - v->nbad));
	fputs("</ul>\n</section>\n", out);
}

int report_write_html(const struct report_view *v, FILE *out)
{
	head(out, v);
	totals(out, v);
	if (v->t->records) {
		country_chart(out, v);
		timeline_chart(out, v);
		tables(out, v);
		names_tables(out, v);
	}
	skipped(out, v);
	fputs("<footer><p class=\"muted\">geoegress " GEOEGRESS_VERSION
	      " &middot; times in UTC &middot; blocked = block + reject, allowed = allow + log</p></footer>\n"
	      "</body>\n</html>\n", out);
	return ferror(out) ? -1 : 0;
}
