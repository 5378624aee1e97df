// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcplat — connect latency of new TCP connections.
 *
 *   tcplat -l PORT [-t SECONDS]
 *       server: listens on [::]:PORT (v4 too), accepts and closes, for at
 *       most SECONDS (default 60).
 *   tcplat -c ADDR -p PORT [-n COUNT] [-t SECONDS]
 *       client: COUNT (default 2000) sequential connect()s, each a new
 *       flow (new ephemeral port, closed with RST so nothing lingers);
 *       times connect() (SYN out .. SYN-ACK in) and prints
 *       "n N failed F median_us M p99_us P mean_us A".
 * Bounded: every connect has a 2 s timeout; the run stops after SECONDS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int server(int port, double max_s)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), zero = 0, one = 1, c;
	double end = now_us() + max_s * 1e6;

	if (fd < 0)
		return perror("tcplat: socket"), 1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0)
		return perror("tcplat: bind/listen"), 1;
	fprintf(stderr, "tcplat: listening on %d\n", port);
	while (now_us() < end) {
		c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	close(fd);
	return 0;
}

/* One timed connect; returns microseconds or -1. */
static double one_connect(const struct sockaddr_storage *to, socklen_t tolen)
{
	struct timeval tv = { .tv_sec = 2, .tv_usec = 0 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(to->ss_family, SOCK_STREAM, 0);
	double t0, dt = -1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	t0 = now_us();
	if (connect(fd, (const struct sockaddr *)to, tolen) == 0)
		dt = now_us() - t0;
	close(fd);	/* RST: no TIME_WAIT on either side */
	return dt;
}

static int client(const char *addr, int port, int n, double max_s)
{
	struct sockaddr_storage to = { 0 };
	socklen_t tolen;
	double *lat = calloc((size_t)n, sizeof(double)), end = now_us() + max_s * 1e6, sum = 0;
	int got = 0, failed = 0;

	if (!lat)
		return 1;
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&to;
		s6->sin6_family = AF_INET6, s6->sin6_port = htons((uint16_t)port), tolen = sizeof(*s6);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return free(lat), 2;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&to;
		s4->sin_family = AF_INET, s4->sin_port = htons((uint16_t)port), tolen = sizeof(*s4);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return free(lat), 2;
	}
	for (int i = 0; i < n && now_us() < end; i++) {
		double d = one_connect(&to, tolen);
		if (d < 0)
			failed++;
		else
			lat[got++] = d, sum += d;
	}
	qsort(lat, (size_t)got, sizeof(double), cmp_double);
	printf("n %d failed %d median_us %.1f p99_us %.1f mean_us %.1f\n", got, failed,
	       got ? lat[got / 2] : 0.0, got ? lat[(int)(got * 0.99) < got ? (int)(got * 0.99) : got - 1] : 0.0,
	       got ? sum / got : 0.0);
	free(lat);
	return got > 0 && failed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	int c, port = 8080, listen_port = 0, n = 2000;
	double max_s = 60;

	while ((c = getopt(argc, argv, "l:c:p:n:t:")) != -1) {
		switch (c) {
		case 'l': listen_port = atoi(optarg); break;
		case 'c': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 't': max_s = atof(optarg); break;
		default: goto usage;
		}
	}
	if (listen_port > 0)
		return server(listen_port, max_s);
	if (addr && n > 0)
		return client(addr, port, n, max_s);
usage:
	fprintf(stderr, "usage: tcplat -l PORT [-t SECONDS] | tcplat -c ADDR -p PORT [-n COUNT] [-t SECONDS]\n");
	return 2;
}
