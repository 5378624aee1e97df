// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loggen — writes a synthetic decision log (doc/log-format.md) for the
 * report benchmark: a seeded, realistic mix of 400 devices (IPv4 and
 * IPv6), ~5000 destinations in 40 countries and unknown space, allow /
 * block / reject / log / audit, folded records, hostnames, and unknown
 * fields from a "newer version", over 7 days.  Same seed, same bytes.
 *   loggen LINES [SEED] > decisions.jsonl
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)((rng_state >> 11) % n);
}

static const char *const cc[] = {
	"CN", "SG", "IN", "US", "DE", "GB", "FR", "JP", "KR", "NL", "IE", "SE", "BR", "CA", "AU",
	"RU", "HK", "TW", "VN", "ID", "MY", "TH", "PK", "BD", "AE", "SA", "IL", "TR", "ZA", "NG",
	"EG", "MX", "AR", "CL", "CO", "PL", "CZ", "CH", "AT", "FI",
};
#define NCC (sizeof(cc) / sizeof(cc[0]))

static const char *const hosts[] = {
	"api.example.com", "cdn.example.net", "push.example.org", "telemetry.example.cn",
	"update.example.sg", "maps.example.in", "ads.example.com", "sync.example.net",
};

static void ts(char *buf, size_t len, uint64_t ms)
{
	uint64_t sec = ms / 1000;

	snprintf(buf, len, "2026-11-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(20 + sec / 86400),
		 (unsigned)(sec / 3600 % 24), (unsigned)(sec / 60 % 60), (unsigned)(sec % 60),
		 (unsigned)(ms % 1000));
}

static void line(uint64_t i, uint64_t n)
{
	static const char *const act[] = { "allow", "block", "reject", "log" };
	uint32_t dev = rnd(400), dsti = rnd(5000), r = rnd(100), c = dsti % (NCC + 2);
	int v6 = dev % 4 == 0, a = r < 60 ? 0 : r < 85 ? 1 : r < 90 ? 2 : r < 95 ? 3 : 1;
	int audit = r >= 95, folded = rnd(50) == 0;
	char t[40], src[48], dst[48], country[8], extra[96] = "";

	ts(t, sizeof(t), i * (7ULL * 86400000) / (n ? n : 1));
	if (v6)
		snprintf(src, sizeof(src), "2001:db8:1::%x", dev + 16);
	else
		snprintf(src, sizeof(src), "198.18.%u.%u", 1 + dev / 250, 2 + dev % 250);
	if (dsti % 3 == 0)
		snprintf(dst, sizeof(dst), "2001:db8:%x::%x", 0x100 + c, dsti);
	else
		snprintf(dst, sizeof(dst), "198.19.%u.%u", dsti / 250, 1 + dsti % 250);
	snprintf(country, sizeof(country), c < NCC ? "\"%s\"" : "null", c < NCC ? cc[c] : "");
	if (dsti % 7 == 0)
		snprintf(extra, sizeof(extra), ",\"host\":\"%s\"", hosts[dsti % 8]);
	if (rnd(20) == 0)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 ",\"v2\":{\"tags\":[\"a\",\"b\"],\"score\":0.5}");
	printf("{\"ts\":\"%s\",\"action\":\"%s\",\"audit\":%s,\"rule\":%u,\"rule_name\":%s,"
	       "\"default\":%s,\"src\":\"%s\",\"src_mac\":\"02:00:5e:00:%02x:%02x\",\"device\":\"%s\","
	       "\"dst\":\"%s\",\"country\":%s,\"proto\":\"%s\",\"sport\":%u,\"dport\":%u,"
	       "\"in\":\"lan0\",\"out\":\"wan0\",\"count\":%u%s%s}\n",
	       t, act[a], audit ? "true" : "false", 10 + (unsigned)a * 2,
	       a ? "\"IAF advisory 2014\"" : "null", a ? "false" : "true", src, dev >> 8, dev & 0xff,
	       dev % 3 ? "managed" : "guests", dst, country, dsti % 5 ? "tcp" : "udp",
	       32768 + rnd(28000), dsti % 5 ? (dsti % 2 ? 443 : 80) : 53,
	       folded ? 2 + rnd(40) : 1, folded ? ",\"folded\":true" : "", extra);
}

int main(int argc, char **argv)
{
	static char obuf[1 << 20];
	uint64_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: loggen LINES [SEED]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 10);
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) * 2654435761ULL + 1 : 88172645463325252ULL;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	for (uint64_t i = 0; i < n; i++)
		line(i, n);
	return fflush(stdout) ? 1 : 0;
}
