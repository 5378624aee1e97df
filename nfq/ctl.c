// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket: a unix stream socket, mode 0600 in a 0700
 * directory.  Protocol: one command line in ("stats", "stats json",
 * "reload", "reopen", "explain SRC MAC|- DST PROTO PORT|-1"); the reply's first line is "ok" or "error", the rest
 * is the text; then the daemon closes.  Also sd_notify, which is the same
 * kind of plumbing.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nfq/nfq_int.h"

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (fill_addr(&sa, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int nfq_ctl_alive(const char *path)
{
	int fd = ctl_connect(path);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* mkdir -p of path's directory; the last component made 0700. */
static int make_dir(const char *path, int *made)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0700) == 0) {
		if (made)
			*made = 1;
	} else if (errno != EEXIST) {
		return -1;
	}
	return 0;
}

int nfq_ctl_listen(const char *path, int *made_dir, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd = -1;

	if (made_dir)
		*made_dir = 0;
	if (fill_addr(&sa, path) < 0 || make_dir(path, made_dir) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (nfq_ctl_alive(path)) {
		snprintf(err, errlen, "control socket %s: another geoegress is running "
			 "(stop it, or use --ctl PATH)", path);
		errno = EADDRINUSE;
		return -1;
	}
	unlink(path);	/* stale socket of a crashed run */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	old = umask(0177);	/* socket created 0600: root-only */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Reads the reply; the status line is consumed, the rest copied to out.
 * Returns 0 for "ok", 1 for "error", -1 on I/O errors. */
static int read_reply(int fd, FILE *out)
{
	char buf[4096], status[8] = "";
	size_t slen = 0;
	int in_status = 1;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			if (!in_status) {
				fputc(buf[i], out);
			} else if (buf[i] == '\n') {
				in_status = 0;
			} else if (slen + 1 < sizeof(status)) {
				status[slen++] = buf[i];
				status[slen] = '\0';
			}
		}
	}
	if (n < 0)
		return -1;
	if (!strcmp(status, "ok"))
		return 0;
	if (!strcmp(status, "error"))
		return 1;
	errno = EPROTO;
	return -1;
}

int nfq_ctl_request(const char *ctl_path, const char *cmd, FILE *out)
{
	char line[256];
	int fd, rc = -1, n;

	n = snprintf(line, sizeof(line), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		errno = EINVAL;
		return -1;
	}
	fd = ctl_connect(ctl_path);
	if (fd < 0)
		return -1;
	if (write(fd, line, (size_t)n) != n)
		goto out;
	shutdown(fd, SHUT_WR);
	rc = read_reply(fd, out);
out:
	if (rc < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return rc;
}

void nfq_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	int fd;

	if (!path || !*path || (path[0] != '/' && path[0] != '@'))
		return;
	if (fill_addr(&sa, path) < 0)
		return;
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	close(fd);
}
