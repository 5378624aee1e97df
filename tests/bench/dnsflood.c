// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dnsflood — a flood of DNS answers, each with a name of its own, for the
 * names benchmark (b_names.sh).  Only to addresses the lab made.
 *
 *   dnsflood -s ADDR [-p PORT] [-t SECONDS]
 *       server: answers every query on ADDR:PORT (UDP, default 53) for
 *       NAME with "NAME CNAME c.NAME" and "c.NAME A 198.19.X.Y" (TTL 300;
 *       X.Y counts up, so answers cycle through 65536 addresses), for at
 *       most SECONDS (default 120).
 *   dnsflood -c ADDR [-p PORT] -n COUNT [-w WINDOW] [-t SECONDS]
 *       client: COUNT queries for fN.flood.test (N = 0, 1, ...) from one
 *       socket (one conntrack flow: the answers are its replies), at most
 *       WINDOW (default 64) unanswered at a time; prints
 *       "sent S answers A seconds T rate_per_s R".
 * Bounded: the client stops after SECONDS (default 60) and waits at most
 * 1 s for the last answers (a lost answer is not waited for: the window
 * moves on after 50 ms without one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sock_for(const char *addr, int port, int bind_it, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	int fd;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		fprintf(stderr, "dnsflood: '%s' is not an address\n", addr);
		return -1;
	}
	fd = socket(ss->ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || (bind_it && bind(fd, (struct sockaddr *)ss, *len) < 0)) {
		perror("dnsflood: socket");
		return -1;
	}
	return fd;
}

/* The answer to query q (n bytes) into a; its length, or 0 to drop it. */
static size_t answer(const uint8_t *q, size_t n, uint8_t *a, uint32_t k)
{
	size_t qend = 12, len;

	while (qend < n && q[qend])	/* the question's name (uncompressed in a query) */
		qend += 1u + q[qend];
	qend += 5;	/* root, type, class */
	if (n < 12 || qend > n || qend > 400)
		return 0;
	memcpy(a, q, qend);
	a[2] = 0x81, a[3] = 0x80;	/* response, RD, RA, NOERROR */
	a[6] = 0, a[7] = 2;		/* two answers */
	a[8] = a[9] = a[10] = a[11] = 0;
	len = qend;
	/* NAME CNAME c.NAME: owner a pointer to the question, target "c" + pointer */
	memcpy(a + len, "\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c\x00\x04\x01" "c\xc0\x0c", 16);
	len += 16;
	/* c.NAME A 198.19.X.Y: owner a pointer to the CNAME's target */
	a[len++] = 0xc0, a[len++] = (uint8_t)(qend + 12);
	memcpy(a + len, "\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc6\x13", 12);
	len += 12;
	a[len++] = (uint8_t)(k >> 8);
	a[len++] = (uint8_t)k;
	return len;
}

static int server(const char *addr, int port, int secs)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen;
	uint8_t q[512], a[600];
	uint32_t k = 0;
	double end = now_s() + secs;
	int fd = sock_for(addr, port, 1, &ss, &len);

	if (fd < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (now_s() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		size_t al;

		if (poll(&p, 1, 200) <= 0)
			continue;
		plen = sizeof(peer);
		n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&peer, &plen);
		if (n <= 0 || !(al = answer(q, (size_t)n, a, k++)))
			continue;
		(void)sendto(fd, a, al, 0, (struct sockaddr *)&peer, plen);
	}
	return 0;
}

/* A query for fN.flood.test, id N (low 16 bits). */
static size_t query(uint8_t *b, unsigned long i)
{
	char label[24];
	int l = snprintf(label, sizeof(label), "f%lu", i);
	size_t n = 12;

	memset(b, 0, 12);
	b[0] = (uint8_t)(i >> 8), b[1] = (uint8_t)i;
	b[2] = 0x01;	/* RD */
	b[5] = 1;	/* one question */
	b[n++] = (uint8_t)l;
	memcpy(b + n, label, (size_t)l);
	n += (size_t)l;
	memcpy(b + n, "\x05" "flood\x04" "test\x00\x00\x01\x00\x01", 16);
	return n + 16;
}

static int client(const char *addr, int port, unsigned long count, unsigned window, int secs)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t b[600];
	unsigned long sent = 0, got = 0;
	double t0 = now_s(), end = t0 + secs, last = 0;
	int fd = sock_for(addr, port, 0, &ss, &len);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
		return perror("dnsflood: connect"), 1;
	while (got < count && now_s() < end) {
		struct pollfd p = { fd, POLLIN, 0 };

		while (sent < count && sent - got < window) {
			size_t n = query(b, sent);

			if (send(fd, b, n, 0) < 0 && errno != ENOBUFS && errno != ECONNREFUSED)
				break;
			sent++;
		}
		if (poll(&p, 1, 10) > 0)
			while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
				got++, last = now_s();
		if (sent - got >= window && now_s() - last > 0.05 && last > 0)
			got = sent - window / 2;	/* answers lost: move the window on */
		if (sent == count && last > 0 && now_s() - last > 1)
			break;	/* the last answers are not coming */
	}
	last = now_s() - t0;
	printf("sent %lu answers %lu seconds %.3f rate_per_s %.0f\n", sent, got, last,
	       last > 0 ? (double)got / last : 0);
	return 0;
}

int main(int argc, char **argv)
{
	const char *srv = NULL, *cli = NULL;
	unsigned long count = 10000;
	unsigned window = 64;
	int port = 53, secs = -1, c;

	while ((c = getopt(argc, argv, "s:c:p:n:w:t:")) != -1) {
		switch (c) {
		case 's': srv = optarg; break;
		case 'c': cli = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'w': window = (unsigned)atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: dnsflood -s ADDR | -c ADDR -n COUNT [-p PORT] [-w W] [-t SECS]\n");
			return 2;
		}
	}
	if (srv)
		return server(srv, port, secs > 0 ? secs : 120);
	if (cli && window > 0)
		return client(cli, port, count, window, secs > 0 ? secs : 60);
	fprintf(stderr, "usage: dnsflood -s ADDR | -c ADDR -n COUNT [-p PORT] [-w W] [-t SECS]\n");
	return 2;
}
