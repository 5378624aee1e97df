// SPDX-License-Identifier: GPL-2.0-or-later
/* The streaming line reader: one fixed buffer per file, lines handed out
 * in place (no allocation per line), gzip or plain detected by zlib. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "report/report.h"

struct report_reader {
	gzFile gz;
	char *buf;
	size_t start, fill;	/* unread data is buf[start, fill) */
	uint64_t lineno;
	int eof;
	int err;		/* errno of a read error, or 0 */
};

struct report_reader *report_reader_open(const char *path)
{
	struct report_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int fd = -1, saved;

	if (!r)
		return NULL;
	r->buf = malloc(REPORT_MAX_LINE);
	if (!r->buf)
		goto fail;
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	r->gz = gzdopen(fd, "rb");
	if (!r->gz) {
		errno = ENOMEM;
		goto fail;
	}
	gzbuffer(r->gz, 256 * 1024);
	return r;
fail:
	saved = errno;
	if (fd >= 0 && !r->gz)
		close(fd);
	free(r->buf);
	free(r);
	errno = saved;
	return NULL;
}

/* Reads more into buf[fill, cap). Returns bytes read, 0 at end, -1. */
static int fill_more(struct report_reader *r)
{
	int n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->fill - r->start);
		r->fill -= r->start;
		r->start = 0;
	}
	n = gzread(r->gz, r->buf + r->fill, (unsigned)(REPORT_MAX_LINE - r->fill));
	if (n < 0) {
		int zerr;

		gzerror(r->gz, &zerr);
		r->err = zerr == Z_ERRNO && errno ? errno : EIO;
		return -1;
	}
	if (n == 0)
		r->eof = 1;
	r->fill += (size_t)n;
	return n;
}

/* The buffer is full with no newline: drop data up to the next newline. */
static int skip_long(struct report_reader *r)
{
	char *nl;

	r->lineno++;
	for (;;) {
		r->start = r->fill = 0;
		if (fill_more(r) < 0)
			return REPORT_READ_ERR;
		if (r->eof)
			return REPORT_READ_LONG;
		nl = memchr(r->buf, '\n', r->fill);
		if (nl) {
			r->start = (size_t)(nl - r->buf) + 1;
			return REPORT_READ_LONG;
		}
	}
}

int report_reader_next(struct report_reader *r, char **line, size_t *len, int *eol)
{
	char *nl;

	if (r->err)
		return errno = r->err, REPORT_READ_ERR;
	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->fill - r->start);
		if (nl) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			*eol = 1;
			r->start = (size_t)(nl - r->buf) + 1;
			r->lineno++;
			return REPORT_READ_LINE;
		}
		if (r->eof) {
			if (r->start == r->fill)
				return REPORT_READ_EOF;
			*line = r->buf + r->start;
			*len = r->fill - r->start;
			*eol = 0;
			r->start = r->fill;
			r->lineno++;
			return REPORT_READ_LINE;
		}
		if (r->start == 0 && r->fill == REPORT_MAX_LINE)
			return skip_long(r);
		if (fill_more(r) < 0)
			return errno = r->err, REPORT_READ_ERR;
	}
}

uint64_t report_reader_lineno(const struct report_reader *r)
{
	return r->lineno;
}

int report_reader_close(struct report_reader *r)
{
	int rc = 0;

	if (!r)
		return 0;
	if (r->gz && gzclose(r->gz) != Z_OK) {
		errno = EIO;
		rc = -1;
	}
	free(r->buf);
	free(r);
	return rc;
}

/* Reads every line of one opened file into rep. */
static int read_lines(struct report *rep, struct report_reader *rd, const char *name)
{
	struct report_record rec;
	char why[160], *line;
	size_t len;
	int eol, rc;

	while ((rc = report_reader_next(rd, &line, &len, &eol)) != REPORT_READ_EOF) {
		if (rc == REPORT_READ_ERR)
			return -1;
		if (rc == REPORT_READ_LONG) {
			report_add_bad(rep, name, report_reader_lineno(rd), "line longer than 1 MiB");
			continue;
		}
		if (report_parse_line(line, len, &rec, why, sizeof(why)) == 0) {
			if (report_add(rep, &rec) < 0)
				return -1;
			continue;
		}
		if (!strcmp(why, "empty line") && eol)
			continue;	/* blank lines are harmless */
		if (!eol)
			strncat(why, " (last line, no newline: cut off?)", sizeof(why) - strlen(why) - 1);
		if (report_add_bad(rep, name, report_reader_lineno(rd), why) < 0)
			return -1;
	}
	return 0;
}

int report_read(struct report *rep, const char *path, char *err, size_t errlen)
{
	struct report_reader *rd = report_reader_open(path);
	const char *name = strcmp(path, "-") ? path : "(stdin)";
	char why[160];
	int rc;

	if (!rd) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	rc = read_lines(rep, rd, name);
	if (rc < 0 && errno == ENOMEM) {
		snprintf(err, errlen, "%s: out of memory", name);
	} else if (rc < 0) {
		/* A damaged .gz (or an I/O error) ends this file, not the report. */
		int zerr;
		const char *msg = gzerror(rd->gz, &zerr);

		snprintf(why, sizeof(why), "read error, rest of file ignored: %s",
			 zerr == Z_ERRNO ? strerror(rd->err) : msg);
		rc = report_add_bad(rep, name, report_reader_lineno(rd) + 1, why);
	}
	report_reader_close(rd);
	return rc;
}
