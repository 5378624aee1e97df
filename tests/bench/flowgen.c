// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flowgen — sends UDP packets from a raw socket, each one a NEW flow
 * (distinct source port, then source address), as fast as possible with
 * sendmmsg, or one flow paced at a rate.  Every run is bounded in count
 * and time.  Run it inside a device namespace of the lab.
 *
 *   flowgen -d DST [-D NDST] [-s SRC] [-a NSRC] [-p DPORT] [-P FIRST_SPORT]
 *           [-N COUNT] [-t MAX_SECONDS] [-r RATE_PPS] [-S] [-g FIRST_GAP_MS] [-l PAYLOAD]
 *     -D NDST    packet i goes to destination network K = i % NDST: DST with
 *                K added to its /24 (IPv4, third octet) or /48 (IPv6, third
 *                group); the networks must stay inside DST's /16 or /40 (1)
 *     -s SRC     first source address (default 198.18.1.10, or 2001:db8:1::10)
 *     -a NSRC    source addresses SRC, SRC+1, ... used when ports run out (1)
 *     -P PORT    first source port (1024); ports PORT..65535 per address
 *     -S         same flow: every packet has the same 5-tuple (a stream)
 *     -r RATE    pace at RATE packets/s (default: as fast as possible)
 *     -g MS      pause after the first packet (lets its verdict land)
 * Prints "sent N failed F seconds S rate_pps R".  Addresses must be the
 * lab's (IPv4 or IPv6, same family for -s and -d).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKTMAX 128

struct gen {
	int family;
	struct in6_addr src6, dst6;
	struct in_addr src4, dst4;
	uint16_t dport, first_sport;
	unsigned nsrc, ndst;
	int same_flow;
	size_t payload;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	return sum;
}

/* Packet number i: its source address offset and source port. */
static void flow_of(const struct gen *g, unsigned long i, unsigned *addr_off, uint16_t *sport)
{
	unsigned nports = 65536u - g->first_sport;

	if (g->same_flow)
		i = 0;
	*addr_off = (unsigned)(i / nports) % g->nsrc;
	*sport = (uint16_t)(g->first_sport + i % nports);
}

/* Packet number i: its destination network offset (see -D). */
static unsigned dst_of(const struct gen *g, unsigned long i)
{
	return g->same_flow ? 0 : (unsigned)(i % g->ndst);
}

static size_t build4(const struct gen *g, unsigned long i, uint8_t *pkt)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *uh = (struct udphdr *)(pkt + sizeof(*ip));
	size_t len = sizeof(*ip) + sizeof(*uh) + g->payload;
	unsigned off;
	uint16_t sport;

	flow_of(g, i, &off, &sport);
	memset(pkt, 0, len);
	ip->version = 4, ip->ihl = 5, ip->ttl = 64, ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)len);	/* the kernel fills id and checksum */
	ip->saddr = htonl(ntohl(g->src4.s_addr) + off);
	ip->daddr = htonl(ntohl(g->dst4.s_addr) + (dst_of(g, i) << 8));
	uh->source = htons(sport), uh->dest = htons(g->dport);
	uh->len = htons((uint16_t)(sizeof(*uh) + g->payload));
	uh->check = 0;				/* no checksum: allowed in IPv4 */
	return len;
}

static size_t build6(const struct gen *g, unsigned long i, uint8_t *pkt)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;
	struct udphdr *uh = (struct udphdr *)(pkt + sizeof(*ip6));
	size_t ulen = sizeof(*uh) + g->payload;
	uint32_t sum = 0, x;
	unsigned off;
	uint16_t sport;

	flow_of(g, i, &off, &sport);
	memset(pkt, 0, sizeof(*ip6) + ulen);
	ip6->ip6_flow = htonl(6u << 28);
	ip6->ip6_plen = htons((uint16_t)ulen);
	ip6->ip6_nxt = IPPROTO_UDP, ip6->ip6_hlim = 64;
	ip6->ip6_src = g->src6;
	memcpy(&x, &ip6->ip6_src.s6_addr[12], 4);
	x = htonl(ntohl(x) + off);
	memcpy(&ip6->ip6_src.s6_addr[12], &x, 4);
	ip6->ip6_dst = g->dst6;
	ip6->ip6_dst.s6_addr[5] = (uint8_t)(ip6->ip6_dst.s6_addr[5] + dst_of(g, i));
	uh->source = htons(sport), uh->dest = htons(g->dport);
	uh->len = htons((uint16_t)ulen);
	sum = csum_add(sum, &ip6->ip6_src, 32);
	sum += (uint32_t)ulen + IPPROTO_UDP;
	sum = csum_add(sum, uh, ulen);
	uh->check = htons(csum_fold(sum));
	if (!uh->check)
		uh->check = 0xffff;
	return sizeof(*ip6) + ulen;
}

/* The packet's destination as its sendmmsg address (routing follows it). */
static socklen_t dest_of(int family, const uint8_t *pkt, struct sockaddr_storage *to)
{
	memset(to, 0, sizeof(*to));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)to;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = ((const struct iphdr *)pkt)->daddr;
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)to;
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = ((const struct ip6_hdr *)pkt)->ip6_dst;
	return sizeof(*s6);
}

static int parse_args(int argc, char **argv, struct gen *g, unsigned long *count,
		      double *max_s, double *rate, double *gap_ms)
{
	const char *src = NULL, *dst = NULL;
	int c;

	while ((c = getopt(argc, argv, "s:d:D:a:p:P:N:t:r:Sg:l:")) != -1) {
		switch (c) {
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'D': g->ndst = (unsigned)atoi(optarg); break;
		case 'a': g->nsrc = (unsigned)atoi(optarg); break;
		case 'p': g->dport = (uint16_t)atoi(optarg); break;
		case 'P': g->first_sport = (uint16_t)atoi(optarg); break;
		case 'N': *count = strtoul(optarg, NULL, 10); break;
		case 't': *max_s = atof(optarg); break;
		case 'r': *rate = atof(optarg); break;
		case 'S': g->same_flow = 1; break;
		case 'g': *gap_ms = atof(optarg); break;
		case 'l': g->payload = (size_t)atoi(optarg); break;
		default: return -1;
		}
	}
	if (!dst || g->nsrc == 0 || g->first_sport == 0 || g->payload > PKTMAX - 48)
		return -1;
	g->family = strchr(dst, ':') ? AF_INET6 : AF_INET;
	if (!src)
		src = g->family == AF_INET6 ? "2001:db8:1::10" : "198.18.1.10";
	if (g->ndst == 0 || g->ndst > 256)
		return -1;
	if (g->family == AF_INET6) {
		if (inet_pton(AF_INET6, src, &g->src6) != 1 || inet_pton(AF_INET6, dst, &g->dst6) != 1)
			return -1;
		return g->dst6.s6_addr[5] + g->ndst <= 256 ? 0 : -1;	/* stay in DST's /40 */
	}
	if (inet_pton(AF_INET, src, &g->src4) != 1 || inet_pton(AF_INET, dst, &g->dst4) != 1)
		return -1;
	return ((ntohl(g->dst4.s_addr) >> 8) & 0xff) + g->ndst <= 256 ? 0 : -1;	/* stay in DST's /16 */
}

static void pace(double start, unsigned long i, double rate, double gap_s)
{
	double due = start + (i ? gap_s : 0) + (i ? (i - 1) / rate : 0), d = due - now_s();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	static uint8_t pkts[BATCH][PKTMAX];
	struct gen g = { .dport = 9, .first_sport = 1024, .nsrc = 1, .ndst = 1, .payload = 16 };
	unsigned long count = 1000, sent = 0, failed = 0;
	double max_s = 10, rate = 0, gap_ms = 0, start, end;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage to[BATCH];
	int fd, n;

	if (parse_args(argc, argv, &g, &count, &max_s, &rate, &gap_ms) < 0) {
		fprintf(stderr, "usage: flowgen -d DST [-D NDST] [-s SRC] [-a NSRC] [-p DPORT] [-P FIRST_SPORT] "
				"[-N COUNT] [-t MAX_SECONDS] [-r RATE_PPS] [-S] [-g GAP_MS] [-l PAYLOAD]\n");
		return 2;
	}
	fd = socket(g.family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("flowgen: raw socket");
		return 1;
	}
	start = now_s();
	while (sent + failed < count && now_s() - start < max_s) {
		unsigned long base = sent + failed;
		n = (rate > 0 || (gap_ms > 0 && base == 0)) ? 1 : BATCH;
		if ((unsigned long)n > count - base)
			n = (int)(count - base);
		if (rate > 0 || gap_ms > 0)
			pace(start, base, rate > 0 ? rate : 1e12, gap_ms / 1000);
		for (int k = 0; k < n; k++) {
			size_t len = g.family == AF_INET ? build4(&g, base + k, pkts[k]) : build6(&g, base + k, pkts[k]);
			iov[k] = (struct iovec){ pkts[k], len };
			socklen_t tolen = dest_of(g.family, pkts[k], &to[k]);
			msgs[k].msg_hdr = (struct msghdr){ .msg_name = &to[k], .msg_namelen = tolen,
							   .msg_iov = &iov[k], .msg_iovlen = 1 };
		}
		int r = sendmmsg(fd, msgs, (unsigned)n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EPERM) {
				perror("flowgen: sendmmsg");
				break;
			}
			failed++;	/* the first of the batch failed; retry the rest */
			continue;
		}
		sent += (unsigned long)r;
	}
	end = now_s();
	close(fd);
	printf("sent %lu failed %lu seconds %.6f rate_pps %.0f\n", sent, failed, end - start,
	       end > start ? sent / (end - start) : 0.0);
	return sent == count ? 0 : 1;
}
