// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_rules [N] [SEED]: rules_eval() on a generated 200-rule policy
 * (devices by address, CIDR, MAC and OUI; country sets and lists,
 * negations, networks, protocols, ports and ranges) over pre-generated
 * flows, most of which fall through to late rules or the default, against
 * a trivial evaluation loop (reads the flow, returns a constant verdict)
 * and against the plain rule-by-rule first-match scan (what the index
 * replaces), in the same process.  Prints evaluations/s, ns per evaluation and the
 * ratio.  Times are thread CPU time, best of ROUNDS alternating passes.
 * Exit 1 when an evaluation takes 1 µs or more, 2 on usage.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/rules.h"
#include "rules/rules_int.h"
#include "tests/bench/bench.h"

#define NRULES 200
#define NDEV 12
#define NFLOWS 4096
#define ROUNDS 5

static const char *const codes[] = {
	"CN", "HK", "MO", "RU", "KP", "IR", "SG", "IN", "US", "GB", "DE", "FR", "JP", "KR", "TW",
	"VN", "TH", "MY", "ID", "PH", "AU", "NZ", "BR", "AR", "MX", "CA", "ZA", "NG", "EG", "KE",
	"SA", "AE", "IL", "TR", "UA", "PL", "NL", "BE", "SE", "NO",
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

static void gen_sets(FILE *f)
{
	for (int d = 0; d < NDEV; d++)
		fprintf(f, "devices dev%d = { 198.18.1.%d/28, 2001:db8:1:%x::/64, 02:00:5e:00:%02x:01, "
			   "02:00:5e:00:%02x:02, 00:1a:%02x }\n", d, (d % 16) * 16, d, d, d, 0x20 + d);
	for (int c = 0; c < 6; c++)
		fprintf(f, "countries cc%d = { %s, %s, %s }\n", c, codes[c * 3 % NCODES],
			codes[(c * 3 + 1) % NCODES], codes[(c * 3 + 2) % NCODES]);
	fprintf(f, "networks internal = { 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7 }\n");
	fprintf(f, "networks cdn = { 203.0.113.0/26, 2001:db8:65::/48 }\n");
}

/* One rule of a few shapes; the countries chosen make most flows miss. */
static void gen_rule(FILE *f, int i, uint64_t *s)
{
	int dev = (int)(rnd(s) % NDEV), k = i % 5;
	static const char *const acts[] = { "allow", "block log", "reject", "log" };

	fprintf(f, "%s from @dev%d ", acts[rnd(s) % 4], dev);
	if (k == 0)
		fprintf(f, "to country @cc%d proto tcp port { 443, 8000-8080 }\n", (int)(rnd(s) % 6));
	else if (k == 1)
		fprintf(f, "to country { %s, %s } proto udp port 53\n", codes[rnd(s) % NCODES],
			codes[rnd(s) % NCODES]);
	else if (k == 2)
		fprintf(f, "to @cdn proto { tcp, udp } port %d\n", 1000 + i);
	else if (k == 3)
		fprintf(f, "to country { %s } port 9%03d-9%03d\n", codes[rnd(s) % NCODES], i, i + 5);
	else
		fprintf(f, "to { 198.51.100.%d/30, 2001:db8:86::%x/126 } proto tcp\n", (i * 4) % 256, i * 4);
}

static char *gen_policy(size_t *len, uint64_t *s)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		exit(2);
	fprintf(f, "option unknown allow log\n");
	gen_sets(f);
	fprintf(f, "allow to @internal\n");
	for (int i = 1; i < NRULES - 1; i++)
		gen_rule(f, i, s);
	fprintf(f, "block log to country != { IN, SG, US, GB, DE } port 1-1023\n");
	fprintf(f, "default allow\n");
	fclose(f);
	return buf;
}

struct sample {
	struct rules_flow f;
	struct geo_answer g;
};

static void gen_flow(struct sample *x, uint64_t *s)
{
	uint64_t r = rnd(s);

	memset(x, 0, sizeof(*x));
	x->f.family = r % 5 ? AF_INET : AF_INET6;
	if (x->f.family == AF_INET) {
		uint8_t src[4] = { 198, 18, 1, (uint8_t)rnd(s) }, dst[4] = { 198, 51, 100, (uint8_t)rnd(s) };

		if (rnd(s) % 2)
			dst[0] = 192, dst[1] = 0, dst[2] = 2;
		memcpy(x->f.src.b, src, 4);
		memcpy(x->f.dst.b, dst, 4);
	} else {
		uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, (uint8_t)(rnd(s) % 16) };
		uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x86 };

		src[15] = (uint8_t)rnd(s);
		dst[15] = (uint8_t)rnd(s);
		memcpy(x->f.src.b, src, 16);
		memcpy(x->f.dst.b, dst, 16);
	}
	x->f.has_mac = 1;
	x->f.src_mac[0] = 0x02;
	x->f.src_mac[3] = (uint8_t)rnd(s);
	x->f.src_mac[4] = (uint8_t)(rnd(s) % 32);
	x->f.src_mac[5] = (uint8_t)rnd(s);
	x->f.proto = rnd(s) % 4 ? 6 : 17;
	x->f.has_ports = 1;
	x->f.dport = (uint16_t)(rnd(s) % 3 ? 443 : rnd(s) % 65536);
	if (rnd(s) % 10)
		x->g.located = (geo_cc)((codes[rnd(s) % NCODES][0] << 8) | codes[rnd(s) % NCODES][1]);
	x->g.registered = x->g.located;
	x->g.found = x->g.located != 0;
}

/* The baseline: reads what an evaluation reads first and answers a
 * constant; noinline so the loop structure matches rules_eval's. */
__attribute__((noinline)) static void trivial_eval(const struct rules_flow *f, const struct geo_answer *g,
						   struct rules_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->line = f->proto + f->dport;
	v->country = g->located;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1, s = seed;
	struct rules_errors e = { 0 };
	static struct sample fl[NFLOWS];
	struct rules_verdict v;
	double best_r = 1e9, best_b = 1e9, best_l = 1e9, t;
	long fell = 0, sink = 0, lines = 0;
	size_t len;
	char *text, sum[160];
	struct rules_policy *p;

	if (n < NFLOWS || argc > 3) {
		fprintf(stderr, "usage: bench_rules [N >= %d] [SEED]\n", NFLOWS);
		return 2;
	}
	text = gen_policy(&len, &s);
	p = rules_parse_buf(text, len, "bench.conf", &e);
	if (!p) {
		fprintf(stderr, "%s\n", e.count ? e.diags[0].text : "bench policy does not parse");
		return 1;
	}
	for (int i = 0; i < NFLOWS; i++)
		gen_flow(&fl[i], &s);
	for (int i = 0; i < NFLOWS; i++) {
		rules_eval(p, &fl[i].f, &fl[i].g, &v);
		fell += v.is_default || v.line >= NRULES - 40;
		lines += v.line;
	}
	for (int r = 0; r < ROUNDS; r++) {
		t = now();
		for (long i = 0; i < n; i++) {
			rules_eval(p, &fl[i & (NFLOWS - 1)].f, &fl[i & (NFLOWS - 1)].g, &v);
			sink += v.action;
		}
		t = now() - t;
		best_r = t < best_r ? t : best_r;
		t = now();
		for (long i = 0; i < n; i++) {
			trivial_eval(&fl[i & (NFLOWS - 1)].f, &fl[i & (NFLOWS - 1)].g, &v);
			sink += v.action;
		}
		t = now() - t;
		best_b = t < best_b ? t : best_b;
		t = now();
		for (long i = 0; i < n / 8; i++)	/* slower: an eighth of the flows */
			sink += rules_first_match(p, &fl[i & (NFLOWS - 1)].f, &fl[i & (NFLOWS - 1)].g, NULL, 0);
		t = (now() - t) * 8;
		best_l = t < best_l ? t : best_l;
	}
	rules_summary(p, sum, sizeof(sum));
	printf("rules: policy %s (%zu bytes); %ld evaluations, %.0f%% of flows reach the last 40 rules "
	       "or the default (mean deciding line %ld)\n", sum, len, n, 100.0 * (double)fell / NFLOWS,
	       lines / NFLOWS);
	printf("rules: rules_eval   %.2f M evaluations/s, %.1f ns per evaluation\n", n / best_r / 1e6,
	       best_r / (double)n * 1e9);
	printf("rules: trivial loop %.2f M evaluations/s, %.1f ns per evaluation (baseline)\n",
	       n / best_b / 1e6, best_b / (double)n * 1e9);
	printf("rules: linear scan  %.2f M evaluations/s, %.1f ns per evaluation (rule by rule, no index)\n",
	       n / best_l / 1e6, best_l / (double)n * 1e9);
	printf("rules: ratio rules_eval/trivial loop %.1fx the time; linear scan/rules_eval %.1fx (index speed-up)%s\n",
	       best_r / best_b, best_l / best_r, sink == 42 ? " " : "");
	rules_free(p);
	rules_errors_free(&e);
	free(text);
	if (best_r / (double)n * 1e9 >= 1000.0) {
		fprintf(stderr, "rules: an evaluation takes 1 µs or more\n");
		return 1;
	}
	return 0;
}
