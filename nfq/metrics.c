// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * option metrics-file: the `stats --format prometheus` counters written
 * for node_exporter's textfile collector (its --collector.textfile.directory,
 * /var/lib/prometheus/node-exporter on Debian), every `every` seconds by
 * the main thread.  Atomically: a reader sees the old file or the new one,
 * never a part (a temporary file in the same directory, renamed over it);
 * the temporary name does not end in .prom, so the collector skips it.
 * Mode 0644 whatever the umask: node_exporter runs as another user.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfq/daemon_int.h"
#include "util/log.h"

#define WARN_S 60	/* a failing write: one warning a minute at most */

int nfq_metrics_write_file(const struct nfq_daemon *d, const char *path)
{
	char tmp[4096];
	FILE *f = NULL;
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return errno = ENAMETOOLONG, -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w")))
		goto fail;
	nfq_stats_write_prom(d, f);
	if (fflush(f) != 0 || ferror(f))
		goto fail;
	fd = -1;
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

/* The policy names another file (or none): the old one goes. */
static void follow_option(struct nfq_daemon *d, const char *want)
{
	if (d->metrics.path && !strcmp(d->metrics.path, want))
		return;
	if (d->metrics.path) {
		unlink(d->metrics.path);
		free(d->metrics.path);
		d->metrics.path = NULL;
	}
	if (*want && !(d->metrics.path = strdup(want)))
		log_warnx("metrics file %s: out of memory", want);
	d->metrics.next_s = 0;	/* at once */
}

void nfq_metrics_tick(struct nfq_daemon *d, int64_t now_s)
{
	const struct rules_options *o = rules_options(d->cfg->policy);

	follow_option(d, o->metrics_file);
	if (!d->metrics.path || now_s < d->metrics.next_s)
		return;
	d->metrics.next_s = now_s + o->metrics_interval;
	if (nfq_metrics_write_file(d, d->metrics.path) == 0) {
		d->metrics.written++;
		return;
	}
	d->metrics.failed++;
	if (d->metrics.warned_s && now_s - d->metrics.warned_s < WARN_S)
		return;
	d->metrics.warned_s = now_s;
	log_warn("metrics file %s: cannot write (its directory must be writable by the daemon's "
		 "user%s)", d->metrics.path, geteuid() ? "; under systemd also in ReadWritePaths=" : "");
}

void nfq_metrics_stop(struct nfq_daemon *d)
{
	if (d->metrics.path)
		unlink(d->metrics.path);
	free(d->metrics.path);
	d->metrics.path = NULL;
}
