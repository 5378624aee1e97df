// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The terminal report: span, totals, and aligned tables that fit the
 * width (80 columns by default).  A table that is too wide first narrows
 * its gaps, then drops optional columns (MAC), then narrows its flexible
 * text columns; a cell that still does not fit is printed whole on a line
 * of its own above its row.  Log-derived text never reaches the terminal
 * with control characters (no escape-sequence injection).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report_priv.h"

#define MAXCOL 11

struct col {
	const char *head;
	unsigned right:1;	/* right-aligned (numbers) */
	unsigned flex:1;	/* may be narrowed; long cells go on their own line */
	unsigned drop:1;	/* dropped when the table is too wide */
	unsigned hide_empty:1;	/* dropped when every cell is "" or "0" */
	unsigned below:1;	/* no column: a non-empty cell goes on a line under its row */
	int minw;		/* flex: narrowest width (0: the header's) */
	int w;			/* computed width; -1 = not shown */
};

struct table {
	struct col c[MAXCOL];
	int ncol;
	size_t nrow;
	const char **cell;	/* nrow * ncol */
	char (*num)[24];	/* formatted numbers and times, nrow * ncol */
	int gap, width;
};

static size_t dispwidth(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Writes s with control characters replaced, padded to w columns. */
static void put_cell(FILE *out, const char *s, int w, int right)
{
	int pad = w - (int)dispwidth(s);

	if (right)
		for (; pad > 0; pad--)
			fputc(' ', out);
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	if (!right)
		for (; pad > 0; pad--)
			fputc(' ', out);
}

static int all_empty(const struct table *t, int c)
{
	for (size_t r = 0; r < t->nrow; r++) {
		const char *s = t->cell[r * (size_t)t->ncol + (size_t)c];

		if (*s && strcmp(s, "0") && strcmp(s, "-"))
			return 0;
	}
	return 1;
}

static int total_width(const struct table *t)
{
	int sum = 2, shown = 0;

	for (int c = 0; c < t->ncol; c++)
		if (t->c[c].w >= 0)
			sum += t->c[c].w, shown++;
	return sum + (shown > 0 ? (shown - 1) * t->gap : 0);
}

/* Chooses widths: natural, then narrower gaps, dropped and narrowed columns. */
static void fit(struct table *t)
{
	int over, c;

	for (c = 0; c < t->ncol; c++) {
		struct col *k = &t->c[c];

		k->w = (int)dispwidth(k->head);
		if (k->below || (k->hide_empty && all_empty(t, c))) {
			k->w = -1;
			continue;
		}
		for (size_t r = 0; r < t->nrow; r++) {
			int w = (int)dispwidth(t->cell[r * (size_t)t->ncol + (size_t)c]);

			if (w > k->w)
				k->w = w;
		}
	}
	t->gap = 2;
	if (total_width(t) > t->width)
		t->gap = 1;
	for (c = 0; c < t->ncol && total_width(t) > t->width; c++)
		if (t->c[c].drop)
			t->c[c].w = -1;
	/* Narrow the flexible columns, the last one (HOST) first. */
	for (c = t->ncol - 1; c >= 0 && (over = total_width(t) - t->width) > 0; c--) {
		struct col *k = &t->c[c];
		int min = k->minw > (int)dispwidth(k->head) ? k->minw : (int)dispwidth(k->head);

		if (k->flex && k->w > min)
			k->w -= over < k->w - min ? over : k->w - min;
	}
}

static int too_long(const struct table *t, const char *const *cells, int c)
{
	return t->c[c].w >= 0 && (int)dispwidth(cells[c]) > t->c[c].w;
}

/* A cell too long for its column goes whole on a line of its own: above
 * the row for the first column, below it (at its column) for the others.
 * Cells of `below` columns follow, indented (not for the header). */
static void put_row(FILE *out, const struct table *t, const char *const *cells, int header)
{
	int first = 1, pos = 2, at[MAXCOL];

	if (too_long(t, cells, 0)) {
		fputs("  ", out);
		put_cell(out, cells[0], 0, 0);
		fputc('\n', out);
	}
	fputs("  ", out);
	for (int c = 0; c < t->ncol; c++) {
		const char *s = cells[c];
		int last = 1;

		at[c] = -1;
		if (t->c[c].w < 0)
			continue;
		for (int d = c + 1; d < t->ncol; d++)
			last &= t->c[d].w < 0;
		if (!first)
			fprintf(out, "%*s", t->gap, ""), pos += t->gap;
		first = 0;
		at[c] = pos;
		pos += t->c[c].w;
		if (too_long(t, cells, c))
			s = "";
		put_cell(out, s, last && !t->c[c].right ? 0 : t->c[c].w, t->c[c].right);
	}
	fputc('\n', out);
	for (int c = 1; c < t->ncol; c++) {
		if (!too_long(t, cells, c))
			continue;
		fprintf(out, "%*s", at[c], "");
		put_cell(out, cells[c], 0, 0);
		fputc('\n', out);
	}
	for (int c = 0; c < t->ncol && !header; c++) {
		if (!t->c[c].below || !*cells[c])
			continue;
		fputs("    ", out);
		put_cell(out, cells[c], 0, 0);
		fputc('\n', out);
	}
}

static void put_table(FILE *out, struct table *t)
{
	const char *head[MAXCOL];

	fit(t);
	for (int c = 0; c < t->ncol; c++)
		head[c] = t->c[c].head;
	put_row(out, t, head, 1);
	for (size_t r = 0; r < t->nrow; r++)
		put_row(out, t, t->cell + r * (size_t)t->ncol, 0);
}

enum { SPAN_DAY = 2, SPAN_YEAR = 1, SPAN_LONG = 0 };

/* "07:30:01" when the report is within one day, "11-27 07:30" within one
 * year, else "2026-11-27". */
static const char *short_time(char *buf, int64_t ms, int span)
{
	char full[32];

	report_format_time(ms, full);
	if (span == SPAN_DAY)
		snprintf(buf, 24, "%.8s", full + 11);
	else if (span == SPAN_YEAR)
		snprintf(buf, 24, "%.5s %.5s", full + 5, full + 11);
	else
		snprintf(buf, 24, "%.10s", full);
	return buf;
}

static int span_kind(const struct report_totals *t)
{
	char a[32], b[32];

	report_format_time(t->first_ms, a);
	report_format_time(t->last_ms, b);
	return !strncmp(a, b, 10) ? SPAN_DAY : !strncmp(a, b, 4) ? SPAN_YEAR : SPAN_LONG;
}

static int table_alloc(struct table *t, size_t nrow)
{
	t->nrow = nrow;
	t->cell = calloc(nrow * (size_t)t->ncol + 1, sizeof(*t->cell));
	t->num = calloc(nrow * (size_t)t->ncol + 1, sizeof(*t->num));
	return t->cell && t->num ? 0 : -1;
}

static void table_free(struct table *t)
{
	free(t->cell);
	free(t->num);
}

/* The counting columns shared by every table, from column c on. */
static void stat_cells(struct table *t, size_t r, int c, const struct report_stats *s, int sy)
{
	size_t i = r * (size_t)t->ncol + (size_t)c;
	uint64_t v[4] = { report_flows(s), report_blocked(s), report_allowed(s), s->n[REPORT_AUDIT] };

	for (int k = 0; k < 4; k++, i++) {
		snprintf(t->num[i], sizeof(t->num[i]), "%llu", (unsigned long long)v[k]);
		t->cell[i] = t->num[i];
	}
	t->cell[i] = short_time(t->num[i], s->first, sy);
	i++;
	t->cell[i] = short_time(t->num[i], s->last, sy);
}

static void stat_cols(struct table *t, int c)
{
	t->c[c++] = (struct col){ .head = "FLOWS", .right = 1 };
	t->c[c++] = (struct col){ .head = "BLOCKED", .right = 1 };
	t->c[c++] = (struct col){ .head = "ALLOWED", .right = 1 };
	t->c[c++] = (struct col){ .head = "AUDIT", .right = 1, .hide_empty = 1 };
	t->c[c++] = (struct col){ .head = "FIRST" };
	t->c[c++] = (struct col){ .head = "LAST" };
	t->ncol = c;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* Prints a section: its heading, then table t, which it frees. */
static void put_section(FILE *out, struct table *t, const char *name, size_t total, const char *order)
{
	if (t->nrow < total)
		fprintf(out, "\n%s: top %zu of %zu%s\n", name, t->nrow, total, order);
	else
		fprintf(out, "\n%s: %zu%s\n", name, total, order);
	put_table(out, t);
	table_free(t);
}

#define ADDRS_SHOWN 3	/* a device's addresses listed in the text table */

/* "198.18.1.10, 2001:db8:1::10" or "2001:db8:1::1:0, ... (+4997)". */
static void addr_list(char *buf, size_t len, const struct report_vrow *row)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < row->naddrs && i < ADDRS_SHOWN; i++)
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", i ? ", " : "",
					 row->addrs[i]);
	if (row->naddrs > ADDRS_SHOWN && used < len)
		snprintf(buf + used, len - used, " (+%zu)", row->naddrs - ADDRS_SHOWN);
}

/* One row per device: its MAC where the log has one (its addresses listed
 * on the line below), else its address. */
static int devices(FILE *out, const struct report_view *v, int width, int sy)
{
	struct table t = { .width = width };
	char (*addrs)[160] = calloc(v->ndev + 1, sizeof(*addrs));

	t.c[0] = (struct col){ .head = "DEVICE", .flex = 1, .minw = 15 };
	t.c[1] = (struct col){ .head = "SET", .flex = 1, .hide_empty = 1, .minw = 8 };
	t.c[2] = (struct col){ .head = "ADDRESSES", .below = 1 };
	/* shown when several gateways' logs are merged */
	t.c[3] = (struct col){ .head = "GATEWAY", .flex = 1, .hide_empty = 1, .minw = 8 };
	stat_cols(&t, 4);
	if (!addrs || table_alloc(&t, v->ndev) < 0) {
		free(addrs);
		table_free(&t);
		return -1;
	}
	for (size_t r = 0; r < v->ndev; r++) {
		const struct report_vrow *row = v->dev[r];

		if (row->f[DEV_MAC])
			addr_list(addrs[r], sizeof(addrs[r]), row);
		t.cell[r * (size_t)t.ncol + 0] = or_dash(row->f[DEV_MAC] ? row->f[DEV_MAC] : row->f[DEV_SRC]);
		t.cell[r * (size_t)t.ncol + 1] = or_dash(row->f[DEV_SET]);
		t.cell[r * (size_t)t.ncol + 2] = addrs[r];
		t.cell[r * (size_t)t.ncol + 3] = v->t->gateways > 1 ? or_dash(row->f[DEV_GW]) : "";
		stat_cells(&t, r, 4, &row->st, sy);
	}
	put_section(out, &t, "Devices", v->t->devices, ", blocked first");
	free(addrs);
	return 0;
}

/* One row per gateway, when the logs of several are merged. */
static int gateways(FILE *out, const struct report_view *v, int width, int sy)
{
	struct table t = { .width = width };

	if (v->t->gateways < 2)
		return 0;
	t.c[0] = (struct col){ .head = "GATEWAY", .flex = 1, .minw = 12 };
	t.c[1] = (struct col){ .head = "DEVICES", .right = 1 };
	stat_cols(&t, 2);
	if (table_alloc(&t, v->ngw) < 0)
		return -1;
	for (size_t r = 0; r < v->ngw; r++) {
		size_t i = r * (size_t)t.ncol;

		t.cell[i] = v->gw[r]->f[GW_NAME] ? v->gw[r]->f[GW_NAME] : "- (not named)";
		snprintf(t.num[i + 1], sizeof(t.num[0]), "%llu", (unsigned long long)v->gw[r]->ndevices);
		t.cell[i + 1] = t.num[i + 1];
		stat_cells(&t, r, 2, &v->gw[r]->st, sy);
	}
	put_section(out, &t, "Gateways", v->t->gateways, ", blocked first");
	return 0;
}

static int countries(FILE *out, const struct report_view *v, int width, int sy)
{
	struct table t = { .width = width };
	char (*names)[64] = calloc(v->ncty + 1, sizeof(*names));

	t.c[0] = (struct col){ .head = "COUNTRY", .flex = 1, .minw = 16 };
	stat_cols(&t, 1);
	if (!names || table_alloc(&t, v->ncty) < 0) {
		free(names);
		table_free(&t);
		return -1;
	}
	for (size_t r = 0; r < v->ncty; r++) {
		const char *cc = v->cty[r]->f[CTY_CC], *name = report_country_name(cc);

		snprintf(names[r], sizeof(names[r]), "%s%s%s", cc ? cc : "--", cc && !name ? "" : " ",
			 cc ? (name ? name : "") : "unknown");
		t.cell[r * (size_t)t.ncol] = names[r];
		stat_cells(&t, r, 1, &v->cty[r]->st, sy);
	}
	put_section(out, &t, "Countries", v->t->countries, "");
	free(names);
	return 0;
}

static int destinations(FILE *out, const struct report_view *v, int width, int sy)
{
	struct table t = { .width = width };

	t.c[0] = (struct col){ .head = "ADDRESS", .flex = 1, .minw = 15 };
	t.c[1] = (struct col){ .head = "PORT", .flex = 1, .minw = 8 };
	t.c[2] = (struct col){ .head = "CC", .flex = 1 };
	t.c[3] = (struct col){ .head = "HOST", .flex = 1, .hide_empty = 1 };
	/* a translated destination: the IPv4 address whose country decided */
	t.c[4] = (struct col){ .head = "VIA", .flex = 1, .hide_empty = 1 };
	stat_cols(&t, 5);
	if (table_alloc(&t, v->ndst) < 0)
		return -1;
	for (size_t r = 0; r < v->ndst; r++) {
		const struct report_vrow *row = v->dst[r];
		size_t i = r * (size_t)t.ncol;
		const char *proto = or_dash(row->f[DST_PROTO]);

		t.cell[i] = or_dash(row->f[DST_ADDR]);
		if (row->f[DST_PORT])
			snprintf(t.num[i + 1], sizeof(t.num[0]), "%s/%.12s", row->f[DST_PORT], proto);
		else
			snprintf(t.num[i + 1], sizeof(t.num[0]), "%.20s", proto);
		t.cell[i + 1] = t.num[i + 1];
		t.cell[i + 2] = row->f[DST_CC] ? row->f[DST_CC] : "--";
		t.cell[i + 3] = row->f[DST_HOST] ? row->f[DST_HOST] : "";
		if (row->f[DST_GEO])
			snprintf(t.num[i + 4], sizeof(t.num[0]), "%.6s %.15s", or_dash(row->f[DST_VIA]),
				 row->f[DST_GEO]);
		t.cell[i + 4] = row->f[DST_GEO] ? t.num[i + 4] : "";
		stat_cells(&t, r, 5, &row->st, sy);
	}
	put_section(out, &t, "Destinations", v->t->destinations, ", blocked first");
	return 0;
}

/* Hosts (the names devices asked for, with their registered domain),
 * domains, and autonomous systems: only when the log has them. */
static int names_tables(FILE *out, const struct report_view *v, int width, int sy)
{
	struct table t = { .width = width }, d = { .width = width }, a = { .width = width };

	if (v->t->hosts) {
		t.c[0] = (struct col){ .head = "HOST", .flex = 1, .minw = 16 };
		t.c[1] = (struct col){ .head = "DOMAIN", .flex = 1, .minw = 12 };
		stat_cols(&t, 2);
		if (table_alloc(&t, v->nhost) < 0)
			return table_free(&t), -1;
		for (size_t r = 0; r < v->nhost; r++) {
			t.cell[r * (size_t)t.ncol] = or_dash(v->host[r]->f[HOST_NAME]);
			t.cell[r * (size_t)t.ncol + 1] = or_dash(v->host[r]->f[HOST_DOMAIN]);
			stat_cells(&t, r, 2, &v->host[r]->st, sy);
		}
		put_section(out, &t, "Hosts (names the devices asked for)", v->t->hosts, ", blocked first");
		d.c[0] = (struct col){ .head = "DOMAIN", .flex = 1, .minw = 16 };
		stat_cols(&d, 1);
		if (table_alloc(&d, v->ndom) < 0)
			return table_free(&d), -1;
		for (size_t r = 0; r < v->ndom; r++) {
			d.cell[r * (size_t)d.ncol] = or_dash(v->dom[r]->f[DOM_NAME]);
			stat_cells(&d, r, 1, &v->dom[r]->st, sy);
		}
		put_section(out, &d, v->t->psl ? "Registered domains" :
			    "Registered domains (no Public Suffix List: the last two labels)", v->t->domains,
			    ", blocked first");
	}
	if (!v->t->asns)
		return 0;
	a.c[0] = (struct col){ .head = "AS", .right = 1 };
	a.c[1] = (struct col){ .head = "ORGANISATION", .flex = 1, .minw = 12 };
	stat_cols(&a, 2);
	if (table_alloc(&a, v->nasn) < 0)
		return table_free(&a), -1;
	for (size_t r = 0; r < v->nasn; r++) {
		a.cell[r * (size_t)a.ncol] = or_dash(v->asn[r]->f[ASN_NUM]);
		a.cell[r * (size_t)a.ncol + 1] = or_dash(v->asn[r]->f[ASN_ORG]);
		stat_cells(&a, r, 2, &v->asn[r]->st, sy);
	}
	put_section(out, &a, "Autonomous systems", v->t->asns, ", blocked first");
	return 0;
}

static void put_duration(FILE *out, int64_t ms)
{
	int64_t s = ms / 1000, d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		fprintf(out, "%lldd %lldh", (long long)d, (long long)h);
	else if (h)
		fprintf(out, "%lldh %lldm", (long long)h, (long long)m);
	else if (m)
		fprintf(out, "%lldm %llds", (long long)m, (long long)(s % 60));
	else
		fprintf(out, "%llds", (long long)(s % 60));
}

static void put_filters(FILE *out, const struct report_filter *f)
{
	char a[32];

	if (f->since_ms == INT64_MIN && f->until_ms == INT64_MAX && !f->device && !f->country && !f->cats &&
	    !f->gateway)
		return;
	fputs("Filters:", out);
	if (f->since_ms != INT64_MIN)
		fprintf(out, " since %s", report_format_time(f->since_ms, a));
	if (f->until_ms != INT64_MAX)
		fprintf(out, " until %s", report_format_time(f->until_ms, a));
	if (f->device)
		fputs(" device ", out), put_cell(out, f->device, 0, 0);
	if (f->country)
		fputs(" country ", out), put_cell(out, f->country, 0, 0);
	if (f->gateway)
		fputs(" gateway ", out), put_cell(out, f->gateway, 0, 0);
	for (int c = 0, n = 0; c < REPORT_NCAT; c++)
		if (f->cats & (1u << c))
			fprintf(out, "%s%s", n++ ? "," : " action ", report_cat_name(c));
	fputc('\n', out);
}

static void put_head(FILE *out, const struct report_view *v)
{
	const struct report_totals *t = v->t;
	char a[32], b[32];

	if (t->records) {
		fprintf(out, "Span:    %s .. %s (", report_format_time(t->first_ms, a),
			report_format_time(t->last_ms, b));
		put_duration(out, t->last_ms - t->first_ms);
		fputs(")\n", out);
	}
	put_filters(out, v->f);
	fprintf(out, "Flows:   %llu in %llu records", (unsigned long long)t->flows,
		(unsigned long long)t->records);
	if (t->folded && t->over_cap)
		fprintf(out, " (%llu folded by log-rate, %llu of them over its total cap)",
			(unsigned long long)t->folded, (unsigned long long)t->over_cap);
	else if (t->folded)
		fprintf(out, " (%llu folded by log-rate)", (unsigned long long)t->folded);
	if (t->filtered)
		fprintf(out, "; %llu records left out by filters", (unsigned long long)t->filtered);
	fputc('\n', out);
	if (t->retries)
		fprintf(out, "Retries: %llu (repeated packets of flows already counted, e.g. TCP "
			"retransmissions; not flows)\n", (unsigned long long)t->retries);
	fprintf(out, "Actions: allow %llu, block %llu, reject %llu, log %llu",
		(unsigned long long)t->by_cat[REPORT_ALLOW], (unsigned long long)t->by_cat[REPORT_BLOCK],
		(unsigned long long)t->by_cat[REPORT_REJECT], (unsigned long long)t->by_cat[REPORT_LOG]);
	if (t->by_cat[REPORT_AUDIT])
		fprintf(out, ", audit %llu (would block; passed)", (unsigned long long)t->by_cat[REPORT_AUDIT]);
	fputc('\n', out);
	if (t->hosts)
		fprintf(out, "Hosts:   %llu of %llu flows went to resolved names (%zu host%s in %zu domain%s)\n",
			(unsigned long long)t->named, (unsigned long long)t->flows, t->hosts, t->hosts == 1 ? "" : "s",
			t->domains, t->domains == 1 ? "" : "s");
}

static void put_skipped(FILE *out, const struct report_view *v)
{
	if (!v->t->skipped)
		return;
	fprintf(out, "\n%llu line%s skipped:\n", (unsigned long long)v->t->skipped,
		v->t->skipped == 1 ? "" : "s");
	for (size_t i = 0; i < v->nbad; i++) {
		fputs("  ", out);
		put_cell(out, v->bad[i].file, 0, 0);
		fprintf(out, ":%llu: ", (unsigned long long)v->bad[i].line);
		put_cell(out, v->bad[i].why, 0, 0);
		fputc('\n', out);
	}
	if (v->t->skipped > v->nbad)
		fprintf(out, "  ... and %llu more\n", (unsigned long long)(v->t->skipped - v->nbad));
}

int report_write_text(const struct report_view *v, FILE *out)
{
	int width = v->o->width > 40 ? v->o->width : 80;
	int sy = span_kind(v->t);

	put_head(out, v);
	if (!v->t->records) {
		fputs("No records.\n", out);
	} else {
		fputs("BLOCKED = block + reject; ALLOWED = allow + log; times are UTC", out);
		if (sy == SPAN_DAY)
			fprintf(out, " on %.10s", report_format_time(v->t->first_ms, (char[32]){ 0 }));
		fputc('\n', out);
		if (gateways(out, v, width, sy) < 0 || devices(out, v, width, sy) < 0 ||
		    countries(out, v, width, sy) < 0 || destinations(out, v, width, sy) < 0 ||
		    names_tables(out, v, width, sy) < 0)
			return errno = ENOMEM, -1;
	}
	put_skipped(out, v);
	return ferror(out) ? -1 : 0;
}
