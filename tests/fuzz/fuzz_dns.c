// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness for the DNS message parser (dns_parse, dns_read_name),
 * the copied packets around DNS messages (nfq_names_packet) and the name
 * cache fed with what it parsed.  Invariants: never reads
 * past the input (ASan) nor loops (every name read ends: -timeout), names
 * come out lower case from [a-z0-9._-], addresses at most DNS_ADDRS_MAX,
 * and the cache gives back, for each address learned, only the names of
 * the answer that gave it (the cache is fresh for every input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "nfq/nfq_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n = strlen(s);

	if (n > DNS_NAME_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-' || s[i] == '_'))
			abort();
}

static void cache_round(const struct dns_answer *a)
{
	static const struct dns_cache_cfg cfg = { 64, 16, 1, 3600 };
	struct dns_cache *c = dns_cache_new(&cfg);
	struct dns_dev dev = { .kind = DNS_DEV_V4, .id = { 198, 18, 1, 10 } };
	struct dns_names n;

	if (!c)
		return;
	dns_cache_learn(c, &dev, a, 10);
	for (unsigned i = 0; i < a->naddr; i++) {
		if (dns_cache_lookup(c, &dev, a->addr[i].family, a->addr[i].addr, 10, &n) < 0)
			abort();	/* no writer runs: never busy */
		for (unsigned k = 0; k < n.n; k++)
			if (strcmp(n.name[k], a->qname) && strcmp(n.name[k], a->final))
				abort();
	}
	dns_cache_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer a;
	char text[DNS_NAME_MAX + 1];
	size_t next;

	if (dns_parse(data, size, &a) == 0) {
		if (a.naddr == 0 || a.naddr > DNS_ADDRS_MAX)
			abort();
		check_name(a.qname);
		check_name(a.final);
		cache_round(&a);
	}
	/* the input as a copied packet (names_pkt.c), its messages parsed */
	{
		struct nfq_dns_pkt pk;

		if (nfq_names_packet(data, size, &pk) == 0)
			for (unsigned i = 0; i < pk.nmsg; i++) {
				if (pk.msg[i].p < data || pk.msg[i].p + pk.msg[i].len > data + size)
					abort();
				dns_parse(pk.msg[i].p, pk.msg[i].len, &a);
			}
	}
	/* every offset as the start of a name */
	for (size_t off = 0; off < size && off < 512; off++) {
		if (dns_read_name(data, size, off, text, &next) >= 0) {
			check_name(text);
			if (next > size)
				abort();
		}
	}
	return 0;
}
