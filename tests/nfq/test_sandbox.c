// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's seccomp allow-list (nfq/sandbox.c), each case in a child
 * that loads it: what the daemon does still works (threads, files,
 * netlink and unix sockets, fork + exec of a program, as for
 * iptables-nft); a call outside the list kills with SIGSYS after naming
 * the call on stderr; namespaces and other socket families are refused;
 * clone3 answers ENOSYS (the C library falls back to clone). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfq/nfq_int.h"
#include "tests/tap.h"

static void *thread_main(void *arg)
{
	return arg;
}

/* What the daemon's threads and hook runs do; exit 0 when all work. */
static int allowed_calls(void)
{
	pthread_t t;
	void *ret = NULL;
	int fd, st;
	pid_t pid;
	char buf[16];

	if (pthread_create(&t, NULL, thread_main, (void *)1) || pthread_join(t, &ret) || ret != (void *)1)
		return 10;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0)) < 0)
		return 11;
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 12;
	close(fd);
	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return 13;
	close(fd);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 14;
	return 0;
}

enum what { ALLOWED, UNSHARE, PACKET, CLONE3, CLONE_NS };

static int child(enum what w)
{
	char err[256];

	if (nfq_seccomp_apply(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	switch (w) {
	case ALLOWED:
		return allowed_calls();
	case UNSHARE:
		unshare(CLONE_NEWNET);
		return 3;
	case PACKET:
		socket(AF_PACKET, SOCK_RAW, 0);
		return 3;
	case CLONE3:
		return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 3;
	case CLONE_NS:
		syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
		return 3;
	}
	return 4;
}

/* Runs child(w) in a process; its stderr into msg.  Returns the wait status. */
static int run(enum what w, char *msg, size_t len)
{
	int p[2], st = -1;
	ssize_t n, used = 0;
	pid_t pid;

	msg[0] = '\0';
	if (pipe(p) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		_exit(child(w));
	}
	close(p[1]);
	while ((n = read(p[0], msg + used, len - 1 - (size_t)used)) > 0)
		used += n;
	msg[used] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return st;
}

int main(void)
{
	char msg[1024];
	int st;

	st = run(ALLOWED, msg, sizeof(msg));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "under the filter: threads, netlink and unix sockets, files, fork + exec work");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		diag("status %#x, stderr: %s", st, msg);

	st = run(UNSHARE, msg, sizeof(msg));
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "unshare: killed by SIGSYS");
	ok(strstr(msg, "seccomp: system call unshare (") && strstr(msg, "--seccomp off"),
	   "the message names the call and the way out");
	diag("%s", strtok(msg, "\n") ? msg : "(no message)");

	st = run(PACKET, msg, sizeof(msg));
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && strstr(msg, "system call socket ("),
	   "socket(AF_PACKET): killed by SIGSYS, named");

	st = run(CLONE_NS, msg, sizeof(msg));
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && strstr(msg, "system call clone ("),
	   "clone(CLONE_NEWNET): killed by SIGSYS, named");

	st = run(CLONE3, msg, sizeof(msg));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clone3 answers ENOSYS");
	return tap_done();
}
