// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dns — reading one DNS message (RFC 1035 §4.1): the header, the question,
 * and the A, AAAA and CNAME records of the answer section.  The bytes come
 * from the network: every read is checked against the length, names are
 * at most 255 octets on the wire, and a compression pointer must point
 * below every offset the name has been read from so far, so pointer loops
 * (and forward pointers) end in an error instead of a hang.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"

#define HDR_LEN 12
#define WIRE_NAME_MAX 255	/* RFC 1035 §2.3.4 */
#define HOPS_MAX 64		/* pointers followed in one name (a backstop) */
#define RR_MAX 256		/* answer records looked at */

enum { T_A = 1, T_CNAME = 5, T_AAAA = 28, C_IN = 1 };

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Appends one label in text form; -1 (EILSEQ) for a byte names do not use. */
static int put_label(const uint8_t *l, unsigned n, char *text, size_t *tl)
{
	if (*tl)
		text[(*tl)++] = '.';
	for (unsigned i = 0; i < n; i++) {
		uint8_t c = l[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return errno = EILSEQ, -1;
		text[(*tl)++] = (char)c;
	}
	return 0;
}

int dns_read_name(const uint8_t *m, size_t len, size_t off, char *text, size_t *next)
{
	size_t pos = off, low = off, tl = 0, wire = 0;
	int jumped = 0, hops = 0, bad = 0;

	text[0] = '\0';
	if (next)
		*next = len;	/* set below before any success or EILSEQ */
	for (;;) {
		unsigned c;

		if (pos >= len)
			return errno = EINVAL, -1;
		c = m[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len)
				return errno = EINVAL, -1;
			to = (size_t)(c & 0x3f) << 8 | m[pos + 1];
			if (to >= low || ++hops > HOPS_MAX)
				return errno = EINVAL, -1;	/* forward or looping */
			if (!jumped && next)
				*next = pos + 2;
			jumped = 1;
			low = pos = to;
			continue;
		}
		if (c & 0xc0)
			return errno = EINVAL, -1;	/* 01 and 10: extended or reserved label types */
		wire += c + 1;
		if (wire > WIRE_NAME_MAX)
			return errno = EINVAL, -1;
		if (c == 0)
			break;
		if (pos + 1 + c > len)
			return errno = EINVAL, -1;
		/* a bad byte is remembered, not returned: the name's end is still needed */
		if (!bad && put_label(m + pos + 1, c, text, &tl) < 0)
			bad = 1;
		pos += 1 + c;
	}
	if (!jumped && next)
		*next = pos + 1;
	text[bad ? 0 : tl] = '\0';
	if (bad || tl == 0)
		return errno = EILSEQ, -1;
	return (int)tl;
}

/* One resource record's fixed part, after its owner name. */
struct rr {
	char owner[DNS_NAME_MAX + 1];
	int owner_ok;
	unsigned type, cls;
	uint32_t ttl;
	size_t rdata, rdlen;
};

/* Reads the record at *off; *off moves past it.  0, or -1 (EINVAL). */
static int read_rr(const uint8_t *m, size_t len, size_t *off, struct rr *r)
{
	size_t p;

	/* a name with bytes we do not take (EILSEQ) still has a known end */
	r->owner_ok = dns_read_name(m, len, *off, r->owner, &p) >= 0;
	if (!r->owner_ok && errno != EILSEQ)
		return -1;
	if (p + 10 > len)
		return errno = EINVAL, -1;
	r->type = be16(m + p);
	r->cls = be16(m + p + 2);
	r->ttl = be32(m + p + 4);
	if (r->ttl & 0x80000000u)	/* RFC 2181 §8: treat as zero */
		r->ttl = 0;
	r->rdlen = be16(m + p + 8);
	r->rdata = p + 10;
	if (r->rdata + r->rdlen > len)
		return errno = EINVAL, -1;
	*off = r->rdata + r->rdlen;
	return 0;
}

/* The question: one name of class IN. */
static int read_question(const uint8_t *m, size_t len, struct dns_answer *out, size_t *off)
{
	size_t p;

	if (dns_read_name(m, len, HDR_LEN, out->qname, &p) < 0)
		return errno == EILSEQ ? (errno = ENOMSG, -1) : -1;
	if (p + 4 > len)
		return errno = EINVAL, -1;
	out->qtype = (uint16_t)be16(m + p);
	if (be16(m + p + 2) != C_IN)
		return errno = ENOMSG, -1;
	*off = p + 4;
	return 0;
}

/* Pass 1: the CNAME records (owner → target). */
static int collect_cnames(const uint8_t *m, size_t len, size_t off, unsigned n, struct dns_answer *out)
{
	struct rr r;

	for (unsigned i = 0; i < n; i++) {
		if (read_rr(m, len, &off, &r) < 0)
			return -1;
		if (r.type != T_CNAME || r.cls != C_IN || !r.owner_ok)
			continue;
		if (out->ncname >= DNS_CHAIN_MAX ||
		    dns_read_name(m, len, r.rdata, out->cname[out->ncname].target, NULL) < 0) {
			out->skipped++;
			continue;
		}
		memcpy(out->cname[out->ncname].owner, r.owner, sizeof(r.owner));
		out->cname[out->ncname].ttl = r.ttl;
		out->ncname++;
	}
	return 0;
}

/* Follows the chain from qname; fills final.  Returns the chain's length
 * (names in it: qname and every target), its names' TTL bounds in ttl[]. */
static unsigned follow_chain(struct dns_answer *out, const char *chain[DNS_CHAIN_MAX + 1],
			     uint32_t ttl[DNS_CHAIN_MAX + 1])
{
	unsigned n = 1;

	chain[0] = out->qname;
	ttl[0] = UINT32_MAX;
	while (n <= DNS_CHAIN_MAX) {
		unsigned k;

		for (k = 0; k < out->ncname; k++)
			if (!strcmp(out->cname[k].owner, chain[n - 1]))
				break;
		if (k == out->ncname)
			break;
		for (unsigned j = 0; j < n; j++)
			if (!strcmp(chain[j], out->cname[k].target))
				goto done;	/* a CNAME loop: stop where it closes */
		chain[n] = out->cname[k].target;
		ttl[n] = ttl[n - 1] < out->cname[k].ttl ? ttl[n - 1] : out->cname[k].ttl;
		n++;
	}
done:
	memcpy(out->final, chain[n - 1], strlen(chain[n - 1]) + 1);
	return n;
}

static void add_addr(struct dns_answer *out, const uint8_t *m, const struct rr *r, uint32_t ttl_cap)
{
	struct dns_addr *a;

	if (out->naddr >= DNS_ADDRS_MAX) {
		out->skipped++;
		return;
	}
	a = &out->addr[out->naddr++];
	memset(a, 0, sizeof(*a));
	a->family = r->type == T_A ? AF_INET : AF_INET6;
	memcpy(a->addr, m + r->rdata, r->rdlen);
	a->ttl = r->ttl < ttl_cap ? r->ttl : ttl_cap;
}

/* Pass 2: A and AAAA records whose owner is in the chain. */
static int collect_addrs(const uint8_t *m, size_t len, size_t off, unsigned n, struct dns_answer *out,
			 const char *const *chain, const uint32_t *ttl, unsigned nchain)
{
	struct rr r;

	for (unsigned i = 0; i < n; i++) {
		unsigned k;

		if (read_rr(m, len, &off, &r) < 0)
			return -1;
		if (r.type == T_CNAME && r.cls == C_IN)
			continue;
		if (r.cls != C_IN || !r.owner_ok || !((r.type == T_A && r.rdlen == 4) ||
						      (r.type == T_AAAA && r.rdlen == 16))) {
			out->skipped++;
			continue;
		}
		for (k = 0; k < nchain && strcmp(chain[k], r.owner); k++)
			;
		if (k == nchain)
			out->skipped++;	/* an address of a name nobody asked for */
		else
			add_addr(out, m, &r, ttl[k]);
	}
	return 0;
}

int dns_parse(const uint8_t *m, size_t len, struct dns_answer *out)
{
	const char *chain[DNS_CHAIN_MAX + 1];
	uint32_t ttl[DNS_CHAIN_MAX + 1];
	unsigned flags, qd, an, nchain;
	size_t off;

	out->qname[0] = out->final[0] = '\0';
	out->naddr = out->ncname = out->skipped = 0;
	out->qtype = out->rcode = 0;
	out->tc = 0;
	if (len < HDR_LEN)
		return errno = EINVAL, -1;
	flags = be16(m + 2);
	qd = be16(m + 4);
	an = be16(m + 6);
	out->rcode = (uint16_t)(flags & 0xf);
	out->tc = (flags >> 9) & 1;
	/* a response (QR), a standard query (opcode 0), one question */
	if (!(flags & 0x8000) || (flags >> 11 & 0xf) != 0 || qd != 1)
		return errno = ENOMSG, -1;
	if (read_question(m, len, out, &off) < 0)
		return -1;
	if (out->rcode != 0 || an == 0)
		return errno = ENOMSG, -1;
	if (an > RR_MAX)
		an = RR_MAX;
	if (collect_cnames(m, len, off, an, out) < 0)
		return -1;
	nchain = follow_chain(out, chain, ttl);
	if (collect_addrs(m, len, off, an, out, chain, ttl, nchain) < 0)
		return -1;
	return out->naddr ? 0 : (errno = ENOMSG, -1);
}
