/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report — reading the decision log (doc/log-format.md, JSON Lines) and
 * summarising it for `geoegress report`.
 *
 * Three layers, usable on their own:
 *   report_parse_line()  one line → one struct report_record, no allocation
 *                        (strings are unescaped in place, inside the line);
 *   report_reader        a streaming line reader for plain or gzip files and
 *                        stdin, one fixed buffer, no allocation per line;
 *   struct report        aggregation (devices, countries, destinations,
 *                        timeline, totals) with memory bounded by the number
 *                        of distinct keys, and the text/json/csv/html writers.
 *
 * Nothing here prints to the terminal or exits: functions return 0 / -1 and
 * errno, or fill a caller's message buffer.  The writers write to the FILE
 * the caller passes.
 */
#ifndef GEOEGRESS_LOG_REPORT_H
#define GEOEGRESS_LOG_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Every record falls in exactly one category.  AUDIT: the policy said
 * block/reject in `mode audit`, so the flow was NOT stopped. */
enum report_cat {
	REPORT_ALLOW = 0,
	REPORT_BLOCK,
	REPORT_REJECT,
	REPORT_LOG,
	REPORT_AUDIT,
	REPORT_NCAT
};

/* "allow", "block", "reject", "log", "audit". */
const char *report_cat_name(enum report_cat c);

/* A string inside the parsed line; p == NULL when absent or JSON null. */
struct report_str {
	const char *p;
	uint32_t len;
};

/* One decision-log line.  Unknown fields are ignored. */
struct report_record {
	int64_t ts_ms;			/* ms since the epoch, UTC */
	enum report_cat cat;
	uint8_t action;			/* the policy's action: REPORT_ALLOW..REPORT_LOG */
	uint8_t audit, folded, is_default;
	uint8_t over_cap;		/* a folded record of the total cap (any devices) */
	int32_t rule;			/* policy line, -1 if absent */
	int32_t sport, dport;		/* -1 when null or absent */
	uint64_t count;			/* decisions this line stands for (>= 1) */
	uint64_t retries;		/* of them, retries of an attempt already decided */
	struct report_str src, dst, src_mac, device, country, proto, host, rule_name;
	struct report_str via, geo_addr;	/* a translated destination: how, and the
						 * IPv4 address whose country decided */
	int64_t asn;			/* autonomous system, -1 when absent */
	struct report_str as_org;	/* its organisation */
	struct report_str gateway;		/* the gateway that decided (logs of many
						 * merged); absent in older logs */
};

/* Parses one line (without its newline).  The line is modified: string
 * values are unescaped in place and rec's strings point into it.  Returns
 * 0, or -1 with a short reason in why ("unterminated string", "field
 * 'count': expected a number") for a line that is not a valid record. */
int report_parse_line(char *line, size_t len, struct report_record *rec, char *why, size_t whylen);

/* RFC 3339 ("2026-11-27T07:30:01.123Z", "2026-11-27T09:30:01+02:00",
 * "2026-11-27 07:30:01", or a date alone) → ms since the epoch.
 * Returns 0, or -1 if s[0..len) is not such a time. */
int report_parse_rfc3339(const char *s, size_t len, int64_t *ms);

/* A --since/--until argument: RFC 3339, or a relative age before now_ms:
 * "30s", "30m", "24h", "7d", "2w".  Returns 0, or -1. */
int report_parse_time(const char *s, int64_t now_ms, int64_t *ms);

/* Writes "2026-11-27T07:30:01.123Z" (24 chars + NUL) into buf. Returns buf. */
char *report_format_time(int64_t ms, char buf[32]);

/* ---- streaming reader ---- */

struct report_reader;

enum {
	REPORT_READ_ERR = -1,	/* read error, errno set */
	REPORT_READ_EOF = 0,
	REPORT_READ_LINE = 1,	/* *line, *len: one line without its newline */
	REPORT_READ_LONG = 2,	/* a line longer than REPORT_MAX_LINE was skipped */
};
#define REPORT_MAX_LINE (1024 * 1024)

/* Opens path ("-" = stdin) for reading; gzip is detected from the data.
 * Returns NULL with errno set on failure. */
struct report_reader *report_reader_open(const char *path);

/* The next line.  The line lives in the reader's buffer until the next
 * call and may be modified by the caller.  *eol is 0 for a last line that
 * had no newline (a truncated write). */
int report_reader_next(struct report_reader *r, char **line, size_t *len, int *eol);

/* 1-based number of the line last returned. */
uint64_t report_reader_lineno(const struct report_reader *r);

/* Closes; NULL ok.  Returns 0 or -1 with errno (close/gzip error). */
int report_reader_close(struct report_reader *r);

/* ---- aggregation and output ---- */

struct report;

struct report_filter {
	int64_t since_ms;	/* INT64_MIN: no lower bound; inclusive */
	int64_t until_ms;	/* INT64_MAX: no upper bound; exclusive */
	const char *device;	/* device set name, src address or MAC; NULL = any */
	const char *country;	/* ISO code, or "unknown"/"--" for null; NULL = any */
	unsigned cats;		/* bit (1 << enum report_cat); 0 = any */
	const char *gateway;	/* the record's gateway (case-insensitive); NULL = any */
};

/* Fills f with "no filter". */
void report_filter_init(struct report_filter *f);

/* A new empty report.  The filter is copied.  NULL + ENOMEM. */
struct report *report_new(const struct report_filter *f);
void report_free(struct report *r);	/* NULL ok */

/* Adds one record.  Returns 1 when it was counted, 0 when the filter left
 * it out, -1 with ENOMEM. */
int report_add(struct report *r, const struct report_record *rec);

/* Records a skipped line: counted, and the first few kept for the summary. */
int report_add_bad(struct report *r, const char *file, uint64_t line, const char *why);

/* Reads a whole file ("-" = stdin, plain or gzip) into r; bad lines are
 * counted, never fatal.  Returns 0, or -1 on an open/read error with a
 * message naming the file in err. */
int report_read(struct report *r, const char *path, char *err, size_t errlen);

enum report_format { REPORT_TEXT = 0, REPORT_JSON, REPORT_CSV, REPORT_HTML };
enum report_table {
	REPORT_TABLE_ALL = 0,
	REPORT_TABLE_DEVICES,
	REPORT_TABLE_COUNTRIES,
	REPORT_TABLE_DESTINATIONS,
	REPORT_TABLE_TIMELINE,
	REPORT_TABLE_HOSTS,
	REPORT_TABLE_DOMAINS,
	REPORT_TABLE_ASNS,
	REPORT_TABLE_GATEWAYS,
};

struct report_output {
	enum report_format format;
	enum report_table table;	/* csv only */
	unsigned top;			/* rows per table; 0 = all */
	int width;			/* text: terminal columns, default 80 */
	const char *title;		/* html <title>/heading; NULL = default */
};

/* Writes the report.  Returns 0, or -1 with errno (a write error). */
int report_write(struct report *r, FILE *out, const struct report_output *o);

/* Totals, for callers and tests. */
struct report_totals {
	uint64_t records;		/* lines counted (after filters) */
	uint64_t flows;			/* attempts: sum of count - retries */
	uint64_t retries;		/* sum of retries: repeated packets, not flows */
	uint64_t folded;		/* records with "folded": true (log-rate) */
	uint64_t over_cap;		/* of them, records of the total cap */
	uint64_t filtered;		/* records the filter left out */
	uint64_t skipped;		/* bad lines */
	uint64_t by_cat[REPORT_NCAT];	/* flows per category */
	int64_t first_ms, last_ms;	/* time span; first > last when empty */
	size_t devices, countries, destinations;	/* distinct keys */
	size_t hosts, domains, asns;	/* distinct names, registered domains, ASes */
	uint64_t named;			/* flows whose record carries a host */
	int psl;			/* registered domains came from the Public Suffix List
					 * (else: the last two labels) */
	size_t gateways;		/* distinct gateways (records without one: one more) */
};
void report_totals(const struct report *r, struct report_totals *t);

/* ---- registered domains: the Public Suffix List (report/psl.c) ---- */
struct report_psl;

#define REPORT_PSL_DEFAULT "/usr/share/publicsuffix/public_suffix_list.dat"

/* Reads the list (Debian's publicsuffix package).  NULL with errno. */
struct report_psl *report_psl_open(const char *path);
void report_psl_free(struct report_psl *p);	/* NULL ok */
/* The registered domain of name (lower case, len bytes): its public
 * suffix and one label more, as a pointer into name (*outlen bytes); NULL
 * when name is a public suffix itself.  p NULL: the rule "*" only (the
 * last two labels). */
const char *report_psl_domain(const struct report_psl *p, const char *name, size_t len, size_t *outlen);
/* Groups hosts by registered domain with p (the caller's, kept until
 * report_free; NULL: the last two labels).  Call before report_add. */
void report_set_psl(struct report *r, const struct report_psl *p);

#endif
