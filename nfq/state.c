// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state file (default /var/lib/geoegress/state): what the daemon must
 * know when the policy it would read is the broken part.  Written at each
 * successful start and reload (the fail mode of the policy in force), and
 * when the gateway is held closed or lifted.  Plain "key value" lines:
 *
 *   fail-mode closed
 *   policy /etc/geoegress/policy.conf
 *   hooks forward,output
 *   good-at 1764512345
 *   held yes
 *   held-since 1764512399
 *   reason /etc/geoegress/policy.conf:3:9: error: unknown action 'alow'
 *   lifted no
 *   failures 2
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfq/nfq_int.h"

static void state_path(char *buf, size_t len, const char *dir, const char *suffix)
{
	snprintf(buf, len, "%s/state%s", dir && *dir ? dir : NFQ_DEFAULT_STATE_DIR, suffix);
}

static void parse_line(struct nfq_state *st, char *line)
{
	char *val = strchr(line, ' ');

	line[strcspn(line, "\n")] = '\0';
	if (!val)
		return;
	*val++ = '\0';
	if (!strcmp(line, "fail-mode"))
		st->fail_closed = !strcmp(val, "closed");
	else if (!strcmp(line, "policy"))
		snprintf(st->policy, sizeof(st->policy), "%s", val);
	else if (!strcmp(line, "hooks"))
		st->hooks = (strstr(val, "forward") ? RULES_HOOK_FORWARD : 0) |
			    (strstr(val, "output") ? RULES_HOOK_OUTPUT : 0);
	else if (!strcmp(line, "good-at"))
		st->good_at = (time_t)strtoll(val, NULL, 10);
	else if (!strcmp(line, "held"))
		st->held = !strcmp(val, "yes");
	else if (!strcmp(line, "held-since"))
		st->held_since = (time_t)strtoll(val, NULL, 10);
	else if (!strcmp(line, "reason"))
		snprintf(st->reason, sizeof(st->reason), "%s", val);
	else if (!strcmp(line, "lifted"))
		st->lifted = !strcmp(val, "yes");
	else if (!strcmp(line, "failures"))
		st->failures = (unsigned)strtoul(val, NULL, 10);
}

int nfq_state_read(const char *dir, struct nfq_state *st)
{
	char path[4096], line[1024];
	FILE *f;

	memset(st, 0, sizeof(*st));
	state_path(path, sizeof(path), dir, "");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		parse_line(st, line);
	fclose(f);
	st->valid = st->good_at != 0 || st->held || st->failures;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int nfq_state_write(const char *dir, const struct nfq_state *st)
{
	char path[4096], tmp[4096], text[2048];
	int n, fd, e;

	/* one line each: no newline may sneak into a value */
	n = snprintf(text, sizeof(text),
		     "# geoegress state (geoegress(8), FAIL MODES); written by the daemon\n"
		     "fail-mode %s\npolicy %.*s\nhooks %s%s%s\ngood-at %lld\nheld %s\nheld-since %lld\n"
		     "reason %.*s\nlifted %s\nfailures %u\n",
		     st->fail_closed ? "closed" : "open", (int)strcspn(st->policy, "\n"), st->policy,
		     st->hooks & RULES_HOOK_FORWARD ? "forward" : "",
		     (st->hooks & RULES_HOOK_FORWARD) && (st->hooks & RULES_HOOK_OUTPUT) ? "," : "",
		     st->hooks & RULES_HOOK_OUTPUT ? "output" : "", (long long)st->good_at, st->held ? "yes" : "no", (long long)st->held_since,
		     (int)strcspn(st->reason, "\n"), st->reason, st->lifted ? "yes" : "no", st->failures);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		errno = EOVERFLOW;
		return -1;
	}
	state_path(path, sizeof(path), dir, "");
	state_path(tmp, sizeof(tmp), dir, ".tmp");
	/* a hand-run daemon on a fresh machine: systemd's StateDirectory= is not there */
	if (mkdir(dir && *dir ? dir : NFQ_DEFAULT_STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write_all(fd, text, (size_t)n) < 0 || fsync(fd) < 0) {
			e = errno;
			close(fd);
			unlink(tmp);
			errno = e;
			return -1;
		}
		close(fd);
		return rename(tmp, path);
	}
	/* A directory we may not create files in (a dropped user owning only
	 * the file): rewrite in place. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write_all(fd, text, (size_t)n) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

void nfq_state_path(const char *dir, char *buf, size_t len)
{
	state_path(buf, len, dir, "");
}
