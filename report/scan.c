// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small purpose-built JSON object scanner for decision-log lines.  It
 * reads one flat object, extracts the fields of doc/log-format.md, skips
 * unknown ones (nested values included) and rejects anything that is not
 * JSON.  Strings are unescaped in place, so a line costs no allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report/report.h"

#define MAX_DEPTH 32

struct scan {
	char *p, *end;
	char *why;
	size_t whylen;
};

static int fail(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->why && s->whylen) {
		va_start(ap, fmt);
		vsnprintf(s->why, s->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static inline void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | (cp >> 6));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | (cp >> 12));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | (cp >> 18));
		*w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/* \uXXXX at s->p (just after the 'u'), with surrogate pairs; a lone
 * surrogate becomes U+FFFD.  The output never outgrows the input. */
static int unescape_u(struct scan *s, char **w)
{
	unsigned cp, lo;

	if (s->end - s->p < 4)
		return fail(s, "unterminated string");
	if (hex4(s->p, &cp) < 0)
		return fail(s, "bad \\u escape in string");
	s->p += 4;
	if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
	    s->p[1] == 'u' && hex4(s->p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		s->p += 6;
	} else if (cp >= 0xd800 && cp < 0xe000) {
		cp = 0xfffd;
	}
	if (cp == 0)
		return fail(s, "NUL (\\u0000) in string");
	*w = put_utf8(*w, cp);
	return 0;
}

static int unescape(struct scan *s, char **w)
{
	char c;

	if (s->p >= s->end)
		return fail(s, "unterminated string");
	c = *s->p++;
	switch (c) {
	case '"': case '\\': case '/': *(*w)++ = c; return 0;
	case 'b': *(*w)++ = '\b'; return 0;
	case 'f': *(*w)++ = '\f'; return 0;
	case 'n': *(*w)++ = '\n'; return 0;
	case 'r': *(*w)++ = '\r'; return 0;
	case 't': *(*w)++ = '\t'; return 0;
	case 'u': return unescape_u(s, w);
	default: return fail(s, "bad escape '\\%c' in string", c >= 0x20 && c < 0x7f ? c : '?');
	}
}

/* A byte mask flagging '"', '\\' and control characters among 8 bytes
 * (the first flagged byte is exact; later ones may be false positives). */
static inline uint64_t special8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');

	return (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v)) & high;
}

/* s->p is just past the opening quote.  Unescapes in place and leaves
 * s->p after the closing quote.  The result is NUL-free, not terminated. */
static int scan_string(struct scan *s, struct report_str *out)
{
	char *start = s->p, *w;
	uint64_t v, m;

	/* Fast path: no escapes; 8 bytes at a time to the first special byte. */
	while (s->end - s->p >= 8) {
		memcpy(&v, s->p, 8);
		m = special8(v);
		if (m) {
			s->p += __builtin_ctzll(m) / 8;
			break;
		}
		s->p += 8;
	}
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;

		if (c == '"') {
			out->p = start;
			out->len = (uint32_t)(s->p - start);
			s->p++;
			return 0;
		}
		if (c == '\\')
			break;
		if (c < 0x20)
			return fail(s, "control character in string");
		s->p++;
	}
	w = s->p;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;

		if (c == '"') {
			out->p = start;
			out->len = (uint32_t)(w - start);
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(s, "control character in string");
		s->p++;
		if (c == '\\') {
			if (unescape(s, &w) < 0)
				return -1;
		} else {
			*w++ = (char)c;
		}
	}
	return fail(s, "unterminated string");
}

/* A JSON number; *is_int says whether it was a plain integer, *v its
 * value then (saturating at INT64_MAX). */
static int scan_number(struct scan *s, int *is_int, int64_t *v)
{
	char *p = s->p;
	int neg = 0;
	uint64_t acc = 0;

	*is_int = 1;
	if (p < s->end && *p == '-')
		neg = 1, p++;
	if (p >= s->end || *p < '0' || *p > '9')
		return fail(s, "bad number");
	if (*p == '0' && p + 1 < s->end && p[1] >= '0' && p[1] <= '9')
		return fail(s, "bad number (leading zero)");
	for (; p < s->end && *p >= '0' && *p <= '9'; p++)
		acc = acc > (uint64_t)INT64_MAX / 10 ? (uint64_t)INT64_MAX : acc * 10 + (uint64_t)(*p - '0');
	if (p < s->end && *p == '.') {
		*is_int = 0;
		if (++p >= s->end || *p < '0' || *p > '9')
			return fail(s, "bad number");
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		*is_int = 0;
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || *p < '0' || *p > '9')
			return fail(s, "bad number");
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (acc > (uint64_t)INT64_MAX)
		acc = (uint64_t)INT64_MAX;
	*v = neg ? -(int64_t)acc : (int64_t)acc;
	s->p = p;
	return 0;
}

static int scan_literal(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return fail(s, "unexpected character '%c'",
			    s->p < s->end && *s->p >= 0x20 && *s->p < 0x7f ? *s->p : '?');
	s->p += n;
	return 0;
}

static int skip_value(struct scan *s, int depth);

/* Object or array body after '{' / '['. */
static int skip_container(struct scan *s, char close, int depth)
{
	struct report_str tmp;

	if (depth > MAX_DEPTH)
		return fail(s, "nesting deeper than %d", MAX_DEPTH);
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"')
				return fail(s, s->p >= s->end ? "unterminated object" : "expected a key");
			s->p++;
			if (scan_string(s, &tmp) < 0)
				return -1;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return fail(s, "expected ':' after a key");
			s->p++;
		}
		if (skip_value(s, depth + 1) < 0)
			return -1;
		skip_ws(s);
		if (s->p >= s->end)
			return fail(s, close == '}' ? "unterminated object" : "unterminated array");
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return fail(s, "expected ',' or '%c'", close);
		s->p++;
	}
}

static int skip_value(struct scan *s, int depth)
{
	struct report_str tmp;
	int is_int;
	int64_t v;

	skip_ws(s);
	if (s->p >= s->end)
		return fail(s, "missing value");
	switch (*s->p) {
	case '"': s->p++; return scan_string(s, &tmp);
	case '{': s->p++; return skip_container(s, '}', depth);
	case '[': s->p++; return skip_container(s, ']', depth);
	case 't': return scan_literal(s, "true", 4);
	case 'f': return scan_literal(s, "false", 5);
	case 'n': return scan_literal(s, "null", 4);
	default: return scan_number(s, &is_int, &v);
	}
}

enum field {
	F_UNKNOWN = 0, F_TS, F_GATEWAY, F_ACTION, F_AUDIT, F_RULE, F_RULE_NAME, F_DEFAULT, F_SRC, F_DST,
	F_SRC_MAC, F_DEVICE, F_COUNTRY, F_PROTO, F_SPORT, F_DPORT, F_COUNT, F_FOLDED, F_HOST,
	F_VIA, F_GEO_ADDR, F_RETRIES, F_OVER_CAP, F_ASN, F_AS_ORG,
};

#define KEY(s) (sizeof(s) - 1), s
/* In enum order: field_of() indexes it with f - 1. */
static const struct {
	size_t len;
	const char *name;
	enum field f;
} fields[] = {
	{ KEY("ts"), F_TS }, { KEY("gateway"), F_GATEWAY },
	{ KEY("action"), F_ACTION }, { KEY("audit"), F_AUDIT },
	{ KEY("rule"), F_RULE }, { KEY("rule_name"), F_RULE_NAME }, { KEY("default"), F_DEFAULT },
	{ KEY("src"), F_SRC }, { KEY("dst"), F_DST }, { KEY("src_mac"), F_SRC_MAC },
	{ KEY("device"), F_DEVICE }, { KEY("country"), F_COUNTRY }, { KEY("proto"), F_PROTO },
	{ KEY("sport"), F_SPORT }, { KEY("dport"), F_DPORT }, { KEY("count"), F_COUNT },
	{ KEY("folded"), F_FOLDED }, { KEY("host"), F_HOST }, { KEY("via"), F_VIA },
	{ KEY("geo_addr"), F_GEO_ADDR }, { KEY("retries"), F_RETRIES }, { KEY("over_cap"), F_OVER_CAP },
	{ KEY("asn"), F_ASN }, { KEY("as_org"), F_AS_ORG },
};

/* Called for every key of every line: dispatch on length and first byte,
 * then one comparison. */
static enum field field_of(const struct report_str *k)
{
	enum field f;

	switch (k->len) {
	case 2: f = F_TS; break;
	case 3: f = k->p[0] == 's' ? F_SRC : k->p[0] == 'd' ? F_DST : k->p[0] == 'a' ? F_ASN : F_VIA; break;
	case 4: f = k->p[0] == 'r' ? F_RULE : F_HOST; break;
	case 5:
		switch (k->p[0]) {
		case 'a': f = F_AUDIT; break;
		case 'p': f = F_PROTO; break;
		case 's': f = F_SPORT; break;
		case 'd': f = F_DPORT; break;
		default: f = F_COUNT; break;
		}
		break;
	case 6:
		f = k->p[0] == 'a' ? (k->p[1] == 's' ? F_AS_ORG : F_ACTION) : k->p[0] == 'd' ? F_DEVICE : F_FOLDED;
		break;
	case 7:
		switch (k->p[0]) {
		case 'd': f = F_DEFAULT; break;
		case 's': f = F_SRC_MAC; break;
		case 'r': f = F_RETRIES; break;
		case 'g': f = F_GATEWAY; break;
		default: f = F_COUNTRY; break;
		}
		break;
	case 8: f = k->p[0] == 'g' ? F_GEO_ADDR : F_OVER_CAP; break;
	case 9: f = F_RULE_NAME; break;
	default: return F_UNKNOWN;
	}
	for (uint32_t i = 1; i < k->len; i++)	/* short: inline, not a libc call */
		if (fields[f - 1].name[i] != k->p[i])
			return F_UNKNOWN;
	return fields[f - 1].name[0] == k->p[0] ? f : F_UNKNOWN;
}

static const char *field_name(enum field f)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].f == f)
			return fields[i].name;
	return "?";
}

static const char *type_seen(char c)
{
	switch (c) {
	case '"': return "a string";
	case '{': return "an object";
	case '[': return "an array";
	case 't': case 'f': return "a boolean";
	case 'n': return "null";
	default: return "a number";
	}
}

static int wrong_type(struct scan *s, enum field f, const char *want)
{
	return fail(s, "field '%s': expected %s, got %s", field_name(f), want, type_seen(*s->p));
}

/* A string (or null unless nonull); proto also takes a number. */
static int get_str(struct scan *s, enum field f, struct report_str *out, int nonull)
{
	char *start = s->p;
	int is_int;
	int64_t v;

	if (*s->p == '"') {
		s->p++;
		return scan_string(s, out);
	}
	if (*s->p == 'n' && !nonull) {
		out->p = NULL;
		out->len = 0;
		return scan_literal(s, "null", 4);
	}
	if (f == F_PROTO && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
		if (scan_number(s, &is_int, &v) < 0)
			return -1;
		out->p = start;
		out->len = (uint32_t)(s->p - start);
		return 0;
	}
	return wrong_type(s, f, nonull ? "a string" : "a string or null");
}

static int get_bool(struct scan *s, enum field f, uint8_t *out)
{
	if (*s->p == 't')
		return *out = 1, scan_literal(s, "true", 4);
	if (*s->p == 'f')
		return *out = 0, scan_literal(s, "false", 5);
	if (*s->p == 'n')
		return *out = 0, scan_literal(s, "null", 4);
	return wrong_type(s, f, "true or false");
}

/* An integer in [lo, hi], or null (→ -1) unless f is count or retries. */
static int get_int(struct scan *s, enum field f, int64_t lo, int64_t hi, int64_t *out)
{
	int is_int, nonull = f == F_COUNT || f == F_RETRIES;

	if (*s->p == 'n' && !nonull)
		return *out = -1, scan_literal(s, "null", 4);
	if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
		return wrong_type(s, f, nonull ? "a number" : "a number or null");
	if (scan_number(s, &is_int, out) < 0)
		return -1;
	if (!is_int)
		return fail(s, "field '%s': expected an integer", field_name(f));
	if (*out < lo || *out > hi)
		return fail(s, "field '%s': %lld is out of range", field_name(f), (long long)*out);
	return 0;
}

/* The categories of records; the first four are the actions of the log
 * format (doc/log-format.md), which set_action reads. */
const char *report_cat_name(enum report_cat c)
{
	static const char *const names[REPORT_NCAT] = { "allow", "block", "reject", "log", "audit" };

	return (unsigned)c < REPORT_NCAT ? names[c] : "?";
}

static int set_action(struct scan *s, const struct report_str *a, struct report_record *rec)
{
	for (uint8_t i = REPORT_ALLOW; i <= REPORT_LOG; i++) {
		const char *name = report_cat_name((enum report_cat)i);

		if (strlen(name) == a->len && !memcmp(name, a->p, a->len))
			return rec->action = i, 0;
	}
	return fail(s, "unknown action '%.*s'", a->len > 20 ? 20 : (int)a->len, a->p);
}

static int get_field(struct scan *s, enum field f, struct report_record *rec, unsigned *seen)
{
	struct report_str str;
	int64_t v;

	switch (f) {
	case F_TS:
		if (get_str(s, f, &str, 1) < 0)
			return -1;
		if (report_parse_rfc3339(str.p, str.len, &rec->ts_ms) < 0)
			return fail(s, "field 'ts': not an RFC 3339 time");
		*seen |= 1;
		return 0;
	case F_ACTION:
		if (get_str(s, f, &str, 1) < 0 || set_action(s, &str, rec) < 0)
			return -1;
		*seen |= 2;
		return 0;
	case F_AUDIT: return get_bool(s, f, &rec->audit);
	case F_DEFAULT: return get_bool(s, f, &rec->is_default);
	case F_FOLDED: return get_bool(s, f, &rec->folded);
	case F_OVER_CAP: return get_bool(s, f, &rec->over_cap);
	case F_RETRIES:
		if (get_int(s, f, 0, INT64_MAX, &v) < 0)
			return -1;
		return rec->retries = (uint64_t)v, 0;
	case F_RULE:
		if (get_int(s, f, 0, INT32_MAX, &v) < 0)
			return -1;
		return rec->rule = (int32_t)v, 0;
	case F_SPORT:
	case F_DPORT:
		if (get_int(s, f, 0, 65535, &v) < 0)
			return -1;
		*(f == F_SPORT ? &rec->sport : &rec->dport) = (int32_t)v;
		return 0;
	case F_COUNT:
		if (get_int(s, f, 1, INT64_MAX, &v) < 0)
			return -1;
		return rec->count = (uint64_t)v, 0;
	case F_RULE_NAME: return get_str(s, f, &rec->rule_name, 0);
	case F_SRC: return get_str(s, f, &rec->src, 0);
	case F_DST: return get_str(s, f, &rec->dst, 0);
	case F_SRC_MAC: return get_str(s, f, &rec->src_mac, 0);
	case F_DEVICE: return get_str(s, f, &rec->device, 0);
	case F_COUNTRY: return get_str(s, f, &rec->country, 0);
	case F_PROTO: return get_str(s, f, &rec->proto, 0);
	case F_HOST: return get_str(s, f, &rec->host, 0);
	case F_VIA: return get_str(s, f, &rec->via, 0);
	case F_GEO_ADDR: return get_str(s, f, &rec->geo_addr, 0);
	case F_AS_ORG: return get_str(s, f, &rec->as_org, 0);
	case F_ASN:
		if (get_int(s, f, 0, UINT32_MAX, &v) < 0)
			return -1;
		return rec->asn = v, 0;
	case F_GATEWAY: return get_str(s, f, &rec->gateway, 0);
	default: return skip_value(s, 1);
	}
}

static void record_init(struct report_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->rule = rec->sport = rec->dport = -1;
	rec->asn = -1;
	rec->count = 1;
}

/* The members of the top-level object, after its '{'. */
static int scan_members(struct scan *s, struct report_record *rec, unsigned *seen)
{
	struct report_str key;

	skip_ws(s);
	if (s->p < s->end && *s->p == '}')
		return s->p++, 0;
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end)
			return fail(s, "unterminated object");
		if (*s->p != '"')
			return fail(s, "expected a key");
		s->p++;
		if (scan_string(s, &key) < 0)
			return -1;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return fail(s, s->p >= s->end ? "unterminated object" : "expected ':' after a key");
		s->p++;
		skip_ws(s);
		if (s->p >= s->end)
			return fail(s, "unterminated object");
		if (get_field(s, field_of(&key), rec, seen) < 0)
			return -1;
		skip_ws(s);
		if (s->p >= s->end)
			return fail(s, "unterminated object");
		if (*s->p == '}')
			return s->p++, 0;
		if (*s->p != ',')
			return fail(s, "expected ',' or '}'");
		s->p++;
	}
}

int report_parse_line(char *line, size_t len, struct report_record *rec, char *why, size_t whylen)
{
	struct scan s = { line, line + len, why, whylen };
	unsigned seen = 0;

	record_init(rec);
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return fail(&s, s.p >= s.end ? "empty line" : "not a JSON object");
	s.p++;
	if (scan_members(&s, rec, &seen) < 0)
		return -1;
	skip_ws(&s);
	if (s.p != s.end)
		return fail(&s, "garbage after the object");
	if (!(seen & 1))
		return fail(&s, "missing field 'ts'");
	if (!(seen & 2))
		return fail(&s, "missing field 'action'");
	if (rec->retries > rec->count)
		return fail(&s, "field 'retries': more than 'count'");
	if (rec->audit && (rec->action == REPORT_BLOCK || rec->action == REPORT_REJECT))
		rec->cat = REPORT_AUDIT;
	else
		rec->cat = (enum report_cat)rec->action;
	return 0;
}
