// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nfq_plain — the baseline for the daemon benchmarks: a minimal
 * allow-everything queue consumer, as the libnetfilter_queue example
 * (nf-queue.c): libmnl + the nlmsg API, one recv, one verdict (one sendto)
 * per packet.  No batching, no parsing beyond the packet id and mark.  Its
 * verdict is geoegress's "allow" (NF_REPEAT with the allow mark,
 * nfq/hook.c), so it can stand in for the daemon behind the same hook.
 *
 *   nfq_plain [-q QUEUE] [-t SECONDS] [-b RCVBUF_BYTES]
 *       Binds QUEUE (default 0), accepts every packet, stops on SIGTERM/
 *       SIGINT or after SECONDS (default 60), then prints one line:
 *       "packets N first_to_last_s S rate_pps R enobufs E".
 *   nfq_plain -w [-q QUEUE] [-t SECONDS] [-i IDLE_MS]
 *       Watch mode, for any consumer: polls /proc/net/netfilter/
 *       nfnetlink_queue every millisecond; from the first change of
 *       id_sequence until the queue has been empty and id_sequence still
 *       for IDLE_MS (default 500), then prints "ids N queue_dropped D
 *       user_dropped U decided N-U window_s S rate_pps R".
 * Run it inside the gateway namespace (the proc file is per namespace).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_cfg(struct mnl_socket *nl, uint16_t queue, int cmd, int copy)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);

	if (cmd >= 0)
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, cmd);
	if (copy)
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 128);
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

#define ALLOW_MASK 0x00e00000u	/* nfq/nfq_int.h: NFQ_MARK_MASK, NFQ_MARK_ALLOW */
#define ALLOW_MARK 0x00200000u

struct pkt {
	uint32_t id, mark;
};

static int send_verdict(struct mnl_socket *nl, uint16_t queue, const struct pkt *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue);

	nfq_nlmsg_verdict_put(nlh, p->id, NF_REPEAT);
	nfq_nlmsg_verdict_put_mark(nlh, (p->mark & ~ALLOW_MASK) | ALLOW_MARK);
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct pkt *p = data;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_ERROR;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->mark = attr[NFQA_MARK] ? ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
	return MNL_CB_OK;
}

static int consume(uint16_t queue, double max_s, int rcvbuf)
{
	static char buf[0xffff + 4096];
	struct mnl_socket *nl;
	unsigned long n = 0, enobufs = 0;
	double first = 0, last = 0, start = now_s();
	unsigned int portid;
	struct pkt p;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };	/* re-check the time bound */
	int one = 1;
	ssize_t r;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfq_plain: netlink");
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	if (send_cfg(nl, queue, NFQNL_CFG_CMD_BIND, 0) < 0 || send_cfg(nl, queue, -1, 1) < 0) {
		perror("nfq_plain: bind queue");
		mnl_socket_close(nl);
		return 1;
	}
	fprintf(stderr, "nfq_plain: ready on queue %u\n", queue);
	while (!stop && now_s() - start < max_s) {
		r = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (r < 0) {
			if (errno == ENOBUFS) {
				enobufs++;
				continue;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("nfq_plain: recv");
			break;
		}
		if (mnl_cb_run(buf, r, 0, portid, on_packet, &p) < 0)
			continue;
		send_verdict(nl, queue, &p);
		last = now_s();
		if (n++ == 0)
			first = last;
	}
	send_cfg(nl, queue, NFQNL_CFG_CMD_UNBIND, 0);
	mnl_socket_close(nl);
	printf("packets %lu first_to_last_s %.6f rate_pps %.0f enobufs %lu\n", n, last - first,
	       last > first ? (n - 1) / (last - first) : 0.0, enobufs);
	return 0;
}

/* Reads our queue's line: queue portid total copy_mode copy_range
 * queue_dropped user_dropped id_sequence 1 */
static int read_queue(uint16_t queue, unsigned long long v[4])
{
	unsigned long long q, pid, total, mode, range, qd, ud, ids;
	char line[256];
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %llu %llu %llu %llu %llu %llu %llu", &q, &pid, &total, &mode,
			   &range, &qd, &ud, &ids) == 8 && q == queue) {
			v[0] = total, v[1] = qd, v[2] = ud, v[3] = ids;
			found = 0;
		}
	fclose(f);
	return found;
}

static int watch(uint16_t queue, double max_s, int idle_ms)
{
	unsigned long long base[4] = { 0 }, v[4] = { 0 }, prev_ids = 0;
	double start = now_s(), first = 0, last = 0, t;
	int have_base = read_queue(queue, base) == 0;

	prev_ids = base[3];
	while (!stop && (t = now_s()) - start < max_s) {
		if (read_queue(queue, v) == 0) {
			if (!have_base) {	/* queue appeared after we started: from zero */
				have_base = 1;
				memset(base, 0, sizeof(base));
			}
			if (v[3] != prev_ids || v[0] > 0) {
				if (first == 0)
					first = t;
				last = t;
				prev_ids = v[3];
			}
		}
		if (first > 0 && (t - last) * 1000 > idle_ms)
			break;
		usleep(1000);
	}
	unsigned long long ids = v[3] - base[3], ud = v[2] - base[2];
	printf("ids %llu queue_dropped %llu user_dropped %llu decided %llu window_s %.6f rate_pps %.0f\n",
	       ids, v[1] - base[1], ud, ids - ud, last - first,
	       last > first ? (ids - ud) / (last - first) : 0.0);
	return first > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int c, watch_mode = 0, idle_ms = 500, rcvbuf = 0;
	uint16_t queue = 0;
	double max_s = 60;

	while ((c = getopt(argc, argv, "wq:t:i:b:")) != -1) {
		switch (c) {
		case 'w': watch_mode = 1; break;
		case 'q': queue = (uint16_t)atoi(optarg); break;
		case 't': max_s = atof(optarg); break;
		case 'i': idle_ms = atoi(optarg); break;
		case 'b': rcvbuf = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: nfq_plain [-w] [-q QUEUE] [-t SECONDS] [-i IDLE_MS] [-b RCVBUF]\n");
			return 2;
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: recv returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	return watch_mode ? watch(queue, max_s, idle_ms) : consume(queue, max_s, rcvbuf);
}
