// SPDX-License-Identifier: GPL-2.0-or-later
/* dns_parse and dns_read_name on hand-built messages: answers, CNAME
 * chains, compression, and what a hostile sender can write (pointer loops,
 * forward pointers, overlong names, every truncation of a good message). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "tests/dns/dnsmsg.h"
#include "tests/tap.h"

static const uint8_t SG[4] = { 203, 0, 113, 10 }, CN[4] = { 198, 51, 100, 10 };
static const uint8_t SG6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x65, [15] = 0x10 };

static struct dns_answer ans;

static int parse(const struct msg *m)
{
	return dns_parse(m->b, m->n, &ans);
}

static void simple(void)
{
	struct msg m;
	size_t q;

	m_header(&m, 0x8180, 1, 2);
	q = m_question(&m, "App.Vendor.TEST", 1);
	m_ptr(&m, q);
	m_a(&m, 30, SG);
	m_ptr(&m, q);
	m_aaaa(&m, 40, SG6);
	is_int(parse(&m), 0, "A + AAAA answer parses");
	is_str(ans.qname, "app.vendor.test", "qname in lower case");
	is_str(ans.final, "app.vendor.test", "no CNAME: final is the qname");
	is_int(ans.naddr, 2, "two addresses");
	ok(ans.addr[0].family == AF_INET && !memcmp(ans.addr[0].addr, SG, 4) && ans.addr[0].ttl == 30,
	   "A record: address and TTL");
	ok(ans.addr[1].family == AF_INET6 && !memcmp(ans.addr[1].addr, SG6, 16) && ans.addr[1].ttl == 40,
	   "AAAA record: address and TTL");
}

static void chain(void)
{
	struct msg m;
	size_t q, t;

	/* www.vendor.test CNAME edge.cdn.test (20 s); edge.cdn.test CNAME
	 * sg1.cdn.test (600 s); sg1.cdn.test A (300 s); in a scrambled order */
	m_header(&m, 0x8180, 1, 4);
	q = m_question(&m, "www.vendor.test", 1);
	t = m.n;
	m_name(&m, "sg1.cdn.test");
	m_a(&m, 300, SG);
	m_ptr(&m, q);
	m_cname(&m, 20, "edge.cdn.test");
	m_name(&m, "edge.cdn.test");
	m_rr(&m, 5, 600, 2);
	m_ptr(&m, t);
	m_name(&m, "other.test");
	m_a(&m, 300, CN);
	is_int(parse(&m), 0, "CNAME chain parses");
	is_str(ans.final, "sg1.cdn.test", "final: the chain's end");
	is_int(ans.naddr, 1, "only the chain's address (not other.test's)");
	is_int(ans.addr[0].ttl, 20, "TTL: the smallest along the chain");
	is_int(ans.skipped, 1, "the stray record is counted skipped");

	/* a CNAME loop: a -> b -> a, and an address of b */
	m_header(&m, 0x8180, 1, 3);
	q = m_question(&m, "a.loop.test", 1);
	m_ptr(&m, q);
	m_cname(&m, 60, "b.loop.test");
	m_name(&m, "b.loop.test");
	m_cname(&m, 60, "a.loop.test");
	m_name(&m, "b.loop.test");
	m_a(&m, 60, SG);
	is_int(parse(&m), 0, "a CNAME loop ends where it closes");
	is_str(ans.final, "b.loop.test", "the loop's last new name");
}

static void not_answers(void)
{
	struct msg m;
	size_t q;

	m_header(&m, 0x0100, 1, 0);
	m_question(&m, "x.test", 1);
	errno = 0;
	ok(parse(&m) < 0 && errno == ENOMSG, "a query is not learned (ENOMSG)");
	m_header(&m, 0x8183, 1, 0);
	m_question(&m, "x.test", 1);
	ok(parse(&m) < 0 && errno == ENOMSG, "NXDOMAIN: nothing (ENOMSG)");
	m_header(&m, 0x8180, 1, 1);
	q = m_question(&m, "x.test", 16);
	m_ptr(&m, q);
	m_rr(&m, 16, 60, 2);
	m_u16(&m, 0x0161);
	ok(parse(&m) < 0 && errno == ENOMSG, "a TXT answer: nothing (ENOMSG)");
	m_header(&m, 0x8180, 1, 1);
	q = m_question(&m, "bad!name.test", 1);
	m_ptr(&m, q);
	m_a(&m, 60, SG);
	ok(parse(&m) < 0 && errno == ENOMSG, "a name with '!' is not taken");
	m_header(&m, 0x8180, 2, 0);
	ok(parse(&m) < 0 && errno == ENOMSG, "two questions: not a plain answer");
}

static void hostile(void)
{
	struct msg m;
	char text[DNS_NAME_MAX + 1];
	size_t next;

	/* a pointer to itself, in the question */
	m_header(&m, 0x8180, 1, 1);
	m_ptr(&m, 12);
	ok(parse(&m) < 0 && errno == EINVAL, "a pointer to itself: EINVAL");
	/* two pointers pointing at each other */
	m_header(&m, 0x8180, 1, 1);
	m_u8(&m, 1);
	m_u8(&m, 'a');
	m_ptr(&m, 16);	/* forward, to the next pointer */
	m_ptr(&m, 12);
	ok(dns_read_name(m.b, m.n, 12, text, &next) < 0 && errno == EINVAL,
	   "a forward pointer (a loop's first half): EINVAL");
	ok(dns_read_name(m.b, m.n, 16, text, &next) < 0 && errno == EINVAL,
	   "a pointer back into a name that points forward: EINVAL (loop caught)");
	/* a name longer than 255 octets */
	m_header(&m, 0x8180, 1, 0);
	for (int i = 0; i < 5; i++) {
		m_u8(&m, 60);
		for (int k = 0; k < 60; k++)
			m_u8(&m, 'a');
	}
	m_u8(&m, 0);
	ok(dns_read_name(m.b, m.n, 12, text, &next) < 0 && errno == EINVAL, "a 306-octet name: EINVAL");
	/* label type 01 (extended) */
	m_header(&m, 0x8180, 1, 0);
	m_u8(&m, 0x41);
	ok(dns_read_name(m.b, m.n, 12, text, &next) < 0 && errno == EINVAL, "label type 01: EINVAL");
	/* the counts promise more than the data holds */
	m_header(&m, 0x8180, 1, 3);
	m_question(&m, "x.test", 1);
	m_ptr(&m, 12);
	m_a(&m, 1, SG);
	ok(parse(&m) < 0 && errno == EINVAL, "ancount beyond the data: EINVAL");
	/* rdlength beyond the data */
	m_header(&m, 0x8180, 1, 1);
	m_question(&m, "x.test", 1);
	m_ptr(&m, 12);
	m_rr(&m, 1, 60, 400);
	ok(parse(&m) < 0 && errno == EINVAL, "rdlength beyond the data: EINVAL");
}

/* Every prefix of a good message is read without crossing its end. */
static void truncations(void)
{
	struct msg m;
	size_t q;
	int bad = 0;

	m_header(&m, 0x8180, 1, 2);
	q = m_question(&m, "www.vendor.test", 1);
	m_ptr(&m, q);
	m_cname(&m, 20, "edge.cdn.test");
	m_name(&m, "edge.cdn.test");
	m_a(&m, 300, SG);
	for (size_t n = 0; n < m.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);	/* exact size: ASan sees any overread */

		memcpy(copy, m.b, n);
		if (dns_parse(copy, n, &ans) == 0)
			bad++;
		free(copy);
	}
	is_int(bad, 0, "no truncation of a good message parses as an answer");
	is_int(dns_parse(m.b, m.n, &ans), 0, "the whole message does");
}

static void limits(void)
{
	struct msg m;
	size_t q;

	m_header(&m, 0x8180, 1, 40);
	q = m_question(&m, "many.test", 1);
	for (int i = 0; i < 40; i++) {
		uint8_t a[4] = { 198, 18, 2, (uint8_t)i };

		m_ptr(&m, q);
		m_a(&m, 60, a);
	}
	is_int(parse(&m), 0, "40 addresses parse");
	is_int(ans.naddr, DNS_ADDRS_MAX, "at most DNS_ADDRS_MAX kept");
	is_int(ans.skipped, 40 - DNS_ADDRS_MAX, "the rest counted skipped");
	m_header(&m, 0x8180, 1, 1);
	q = m_question(&m, "neg.test", 1);
	m_ptr(&m, q);
	m_a(&m, 0x80000001u, SG);
	is_int(parse(&m), 0, "TTL with the top bit set parses");
	is_int(ans.addr[0].ttl, 0, "... and counts as 0 (RFC 2181 §8)");
}

int main(void)
{
	simple();
	chain();
	not_answers();
	hostile();
	truncations();
	limits();
	return tap_done();
}
