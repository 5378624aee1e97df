// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctwalk — times one pass over the conntrack table of the current network
 * namespace, for tests/bench/b_ct.sh:
 *
 *   ctwalk raw                 the dump alone: libmnl reads it and counts
 *                              the entries, nothing parsed (the kernel's
 *                              and netlink's share, the baseline)
 *   ctwalk walk [-m M -M K]    nfq_ct_walk, the callback only counts
 *                              (with -M: kernel-filtered by mark M/K)
 *   ctwalk update -s MARK      nfq_ct_walk + nfq_ct_set_mark(conn, MARK,
 *                              0x00e00000) on every entry + nfq_ct_flush
 *   -r REPS                    passes; the fastest (CPU time) is reported (1)
 *
 * Prints "mode M entries N cpu_s C wall_s W us_per_1k U maxrss_kb R" and,
 * for update, "updates U gone G failed F".  CPU time is the thread's user
 * + system time: the kernel fills dumps and applies updates inside our
 * recvmsg/sendto calls, so it is counted, and other load on the machine
 * skews it less than wall time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "nfq/nfq_int.h"
#include "tests/bench/bench.h"

#define RBUF (32 * 1024)

struct pass {
	uint64_t entries;
	double cpu, wall;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 dump done, 0 more, -1 error. */
static int raw_msgs(const char *buf, size_t len, uint64_t *n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			errno = -e->error;
			return e->error ? -1 : 0;
		}
		if ((nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_NEW)
			(*n)++;
	}
	return 0;
}

static int raw_pass(uint32_t mark, uint32_t mask, struct pass *p)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char *buf = malloc(RBUF), req[NFQ_CT_MSG_MAX];
	struct nlmsghdr *nlh = nfq_ct_put_dump(req, mark, mask, 1);
	int rc = -1;
	ssize_t n;

	if (!nl || !buf || !nlh || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	for (rc = 0; rc == 0;) {
		n = mnl_socket_recvfrom(nl, buf, RBUF);
		if (n < 0 && errno == EINTR)
			continue;
		rc = n < 0 ? -1 : raw_msgs(buf, (size_t)n, &p->entries);
	}
	rc = rc < 0 ? -1 : 0;
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return rc;
}

struct upd {
	struct nfq_ct *ct;
	uint64_t n;
	uint32_t mark;
	int update;
};

static int on_conn(void *arg, const struct nfq_conn *c)
{
	struct upd *u = arg;

	u->n++;
	if (u->update && nfq_ct_set_mark(u->ct, c, u->mark, 0x00e00000) < 0)
		return -1;
	return 0;
}

static int walk_pass(struct nfq_ct *ct, uint32_t mark, uint32_t mask, int update, uint32_t setmark,
		     struct pass *p)
{
	struct upd u = { ct, 0, setmark, update };
	int rc = nfq_ct_walk(ct, mark, mask, on_conn, &u);

	if (rc == 0 && update && nfq_ct_flush(ct) < 0)
		rc = -1;
	p->entries = u.n;
	return rc == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint32_t mark = 0, mask = 0, setmark = 0x00200000;
	struct pass best = { 0, 1e9, 0 };
	const char *mode = argc > 1 ? argv[1] : "";
	int c, reps = 1, raw = !strcmp(mode, "raw"), update = !strcmp(mode, "update");
	struct nfq_ct *ct = NULL;
	struct nfq_ct_stats st = { 0 };
	struct rusage ru;
	char err[256];

	if (!raw && !update && strcmp(mode, "walk")) {
		fprintf(stderr, "usage: ctwalk raw|walk|update [-m MARK -M MASK] [-s SETMARK] [-r REPS]\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt(argc, argv, "m:M:s:r:")) != -1) {
		switch (c) {
		case 'm': mark = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'M': mask = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': setmark = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': reps = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
		default: return 2;
		}
	}
	if (!raw && !(ct = nfq_ct_open(err, sizeof(err)))) {
		fprintf(stderr, "ctwalk: %s\n", err);
		return 1;
	}
	for (int r = 0; r < reps; r++) {
		struct pass p = { 0, 0, 0 };
		double c0 = now(), w0 = wall_now();
		int rc = raw ? raw_pass(mark, mask, &p) : walk_pass(ct, mark, mask, update, setmark, &p);

		p.cpu = now() - c0;
		p.wall = wall_now() - w0;
		if (rc < 0) {
			fprintf(stderr, "ctwalk %s: %s\n", mode, strerror(errno));
			return 1;
		}
		if (p.cpu < best.cpu)
			best = p;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("mode %s entries %" PRIu64 " cpu_s %.4f wall_s %.4f us_per_1k %.1f maxrss_kb %ld", mode,
	       best.entries, best.cpu, best.wall,
	       best.entries ? best.cpu * 1e6 * 1000 / (double)best.entries : 0, ru.ru_maxrss);
	if (ct)
		nfq_ct_stats(ct, &st);
	if (update)
		printf(" updates %" PRIu64 " gone %" PRIu64 " failed %" PRIu64 " lost %" PRIu64, st.updates,
		       st.gone, st.failed, st.lost);
	printf("\n");
	nfq_ct_close(ct);
	return 0;
}
