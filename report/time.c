// SPDX-License-Identifier: GPL-2.0-or-later
/* Times for the report: RFC 3339 parsing (per log line, so no libc
 * timegm/strptime), relative ages for --since/--until, and formatting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* n digits at s → *v; -1 if any is not a digit. */
static int digits(const char *s, int n, unsigned *v)
{
	unsigned acc = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		acc = acc * 10 + (unsigned)(s[i] - '0');
	}
	*v = acc;
	return 0;
}

static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* "HH:MM:SS[.frac]" then "Z" / "±HH:MM" / nothing (UTC). */
static int parse_clock(const char *s, size_t len, int64_t *ms)
{
	unsigned hh, mi, ss, oh, om, frac = 0, scale = 100;
	size_t i = 8;
	int64_t off = 0;

	if (len < 8 || s[2] != ':' || s[5] != ':' || digits(s, 2, &hh) || digits(s + 3, 2, &mi) ||
	    digits(s + 6, 2, &ss) || hh > 23 || mi > 59 || ss > 60)
		return -1;
	if (i < len && s[i] == '.') {
		if (++i >= len || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
			frac += (unsigned)(s[i] - '0') * scale;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		if (len - i < 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
		    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (int64_t)(oh * 60 + om) * 60000;
		if (s[i] == '+')
			off = -off;
		i += 6;
	}
	if (i != len)
		return -1;
	*ms = (int64_t)((hh * 60 + mi) * 60 + (ss > 59 ? 59 : ss)) * 1000 + frac + off;
	return 0;
}

int report_parse_rfc3339(const char *s, size_t len, int64_t *ms)
{
	unsigned y, mo, d;
	int64_t t = 0;

	if (len < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	if (len > 10) {
		if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
			return -1;
		if (parse_clock(s + 11, len - 11, &t) < 0)
			return -1;
	}
	*ms = days_from_civil(y, mo, d) * 86400000 + t;
	return 0;
}

int report_parse_time(const char *s, int64_t now_ms, int64_t *ms)
{
	char *end;
	long long n;
	int64_t unit;

	if (!s || !*s)
		return -1;
	if (report_parse_rfc3339(s, strlen(s), ms) == 0)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	n = strtoll(s, &end, 10);
	if (end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's': unit = 1000; break;
	case 'm': unit = 60000; break;
	case 'h': unit = 3600000; break;
	case 'd': unit = 86400000; break;
	case 'w': unit = 7 * 86400000LL; break;
	default: return -1;
	}
	if (n < 0 || n > 100LL * 366 * 86400000 / unit)
		return -1;
	*ms = now_ms - n * unit;
	return 0;
}

static char *put_num(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + width;
}

char *report_format_time(int64_t ms, char buf[32])
{
	int64_t days;
	unsigned rem, mo, d;
	char *p = buf;
	int y;

	/* Years 0000-9999 only: out-of-range values are clamped, not wrapped. */
	if (ms < -62167219200000LL)
		ms = -62167219200000LL;
	if (ms > 253402300799999LL)
		ms = 253402300799999LL;
	days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	rem = (unsigned)(ms - days * 86400000);
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	p = put_num(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_num(p, mo, 2);
	*p++ = '-';
	p = put_num(p, d, 2);
	*p++ = 'T';
	p = put_num(p, rem / 3600000, 2);
	*p++ = ':';
	p = put_num(p, rem / 60000 % 60, 2);
	*p++ = ':';
	p = put_num(p, rem / 1000 % 60, 2);
	*p++ = '.';
	p = put_num(p, rem % 1000, 3);
	*p++ = 'Z';
	*p = 0;
	return buf;
}
