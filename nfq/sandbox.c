// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's seccomp allow-list (STYLE rule 8; `geoegress run --seccomp`,
 * on by default).  Loaded once start-up is done — queues bound, hook
 * installed, control socket listening, log open, privileges dropped — and
 * before the first thread starts, so every thread and every child (the
 * iptables-nft runs that restore or remove the hook) inherits it.
 *
 * What the running daemon does, and so all it may do:
 *   memory, threads, signals, time   the C library and pthreads
 *   files                            reload (policy, database: open, mmap),
 *                                    the decision log (append, reopen),
 *                                    the state file (write, fsync, rename),
 *                                    the metrics file (write, fchmod, rename)
 *   sockets                          netlink (queue, nftables, ctnetlink,
 *                                    rtnetlink), the control and syslog
 *                                    sockets; socket() only for AF_UNIX and
 *                                    AF_NETLINK, and AF_INET/AF_INET6 for a
 *                                    remote syslog collector (log-syslog
 *                                    udp:// or tcp://, opened again at a
 *                                    reload or reconnection) and
 *                                    iptables-legacy's raw socket (the
 *                                    unit admits these when an admin adds
 *                                    them)
 *   fork + exec + wait               iptables-nft / iptables-restore, on
 *                                    kernels without nft's queue, and what
 *                                    its dynamic loader needs
 * Everything else — mount, ptrace, bpf, keyctl, module loading, setuid,
 * chown, namespaces (clone with CLONE_NEW*, unshare, setns) — is refused.
 * clone3 answers ENOSYS (its flags sit in memory seccomp cannot read; the
 * C library falls back to clone, whose flags it can); ioctl is allowed for
 * the interface-name and terminal queries only.  Any other call outside
 * the list (or socket/ioctl/clone with other arguments) raises SIGSYS: the handler names the call on stderr
 * (the journal under systemd) and the daemon dies of SIGSYS, as after a
 * crash (fail-mode open: traffic passes; closed: it stops).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "nfq/nfq_int.h"

static const char *const allowed[] = {
	/* memory */
	"brk", "mmap", "mmap2", "munmap", "mprotect", "madvise", "mremap",
	/* threads, futexes, scheduling (the sweep thread lowers its priority) */
	"futex", "futex_time64", "set_robust_list", "get_robust_list", "rseq",
	"set_tid_address", "gettid", "getpid", "getppid", "sched_yield",
	"sched_getaffinity", "membarrier", "setpriority", "getpriority", "exit", "exit_group",
	/* signals (signalfd reads are reads; abort uses tgkill) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn", "sigaltstack",
	"tgkill", "restart_syscall",
	/* time (the vDSO first; these when it cannot answer) */
	"clock_gettime", "clock_gettime64", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep", "clock_nanosleep_time64",
	/* file descriptors and files */
	"read", "readv", "write", "writev", "pread64", "pwrite64", "lseek", "_llseek",
	"close", "dup", "dup2", "dup3", "fcntl", "fcntl64", "pipe", "pipe2",
	"open", "openat", "stat", "lstat", "fstat", "fstat64", "newfstatat", "fstatat64",
	"statx", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
	"getdents64", "ftruncate", "ftruncate64", "fsync", "fdatasync",
	"fchmod",	/* the metrics file is 0644 whatever the umask (metrics.c) */
	"rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat",
	"umask", "getcwd", "uname",
	"sysinfo",	/* qsort() asks for the memory size once, maybe in a reload */
	/* waiting for events */
	"poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6",
	"pselect6_time64", "eventfd", "eventfd2", "inotify_init1", "inotify_add_watch",
	/* sockets (socket() itself below, by family) */
	"bind", "connect", "accept4", "listen", "getsockname", "getpeername",
	"getsockopt", "setsockopt", "sendto", "sendmsg", "sendmmsg", "recvfrom",
	"recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown",
	/* running iptables-nft: fork (clone, below), exec, wait; the loader */
	"execve", "wait4", "waitid", "arch_prctl", "set_thread_area", "prlimit64",
	"getrlimit", "ugetrlimit", "getrandom", "getuid", "geteuid", "getgid", "getegid",
	"getuid32", "geteuid32", "getgid32", "getegid32", "getgroups",
#ifdef GEOEGRESS_SANITIZER
	/* the sanitizer runtime: LeakSanitizer stops the threads with ptrace
	 * at exit; reports read /proc/self/maps */
	"ptrace", "prctl", "getdents", "sched_getparam", "getrusage",
	"process_vm_readv", "kill",
#endif
};

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
		  CLONE_NEWNET | CLONE_NEWCGROUP)

/* Names of the native architecture's system calls, for the SIGSYS
 * message: resolved when the filter is loaded (the handler may not
 * allocate). */
#define NAMES_MAX 1024
static char names_buf[12288];
static unsigned short names_off[NAMES_MAX];	/* 0 = unknown; offsets start at 1 */

static void names_fill(void)
{
	size_t used = 1;

	for (int nr = 0; nr < NAMES_MAX; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		size_t len = n ? strlen(n) + 1 : 0;

		if (n && used + len <= sizeof(names_buf)) {
			memcpy(names_buf + used, n, len);
			names_off[nr] = (unsigned short)used;
			used += len;
		}
		free(n);
	}
}

static size_t put(char *buf, size_t used, size_t size, const char *s)
{
	while (*s && used + 1 < size)
		buf[used++] = *s++;
	return used;
}

static size_t put_num(char *buf, size_t used, size_t size, long v)
{
	char tmp[24];
	int n = 0;

	if (v < 0) {
		used = put(buf, used, size, "-");
		v = -v;
	}
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(tmp));
	while (n && used + 1 < size)
		buf[used++] = tmp[--n];
	return used;
}

/* Async-signal-safe: builds the message by hand, write(2)s it, dies. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[320];
	size_t n = 0;
	int nr = si->si_syscall;
	const char *name = nr >= 0 && nr < NAMES_MAX && names_off[nr] ? names_buf + names_off[nr] :
		"unknown";

	(void)uc;
	n = put(msg, n, sizeof(msg), "geoegress: seccomp: system call ");
	n = put(msg, n, sizeof(msg), name);
	n = put(msg, n, sizeof(msg), " (");
	n = put_num(msg, n, sizeof(msg), nr);
	n = put(msg, n, sizeof(msg), ") is not in the daemon's allow-list (nfq/sandbox.c): "
		"stopping; please report it; `geoegress run --seccomp off` runs without the filter\n");
	(void)!write(STDERR_FILENO, msg, n);
	signal(sig, SIG_DFL);	/* pending when the handler returns: SIGSYS kills */
	raise(sig);
}

static int add_rules(scmp_filter_ctx ctx)
{
	static const int families[] = { AF_UNIX, AF_NETLINK, AF_INET, AF_INET6 };
	static const unsigned long ioctls[] = { SIOCGIFNAME, SIOCGIFINDEX, TCGETS, TIOCGWINSZ, FIONREAD };
	int rc;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr < 0)
			continue;	/* not a call of this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			return rc;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
					   SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]))) < 0)
			return rc;
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					   SCMP_A1(SCMP_CMP_EQ, ioctls[i]))) < 0)
			return rc;
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				   SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0))) < 0)
		return rc;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

int nfq_seccomp_apply(char *err, size_t errlen)
{
	struct sigaction sa;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = -ENOMEM;

	if (!ctx)
		goto out;
	names_fill();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		rc = -errno;
		goto out;
	}
	/* Every thread (none should exist yet), and no_new_privs. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 || (rc = add_rules(ctx)) < 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	if (rc < 0)
		snprintf(err, errlen, "seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc < 0 ? -1 : 0;
}
