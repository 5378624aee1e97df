// SPDX-License-Identifier: GPL-2.0-or-later
/* The conntrack layer against the kernel, in a network namespace of the
 * test's own (unshare: it goes away with the process): entries made with
 * libnetfilter_conntrack's nfct_query, then nfq_ct_walk (all, kernel mark
 * filter, stopped early and walked again), nfq_ct_set_mark from inside
 * the callback across several batches (only the masked bits change),
 * and updates of connections deleted meanwhile counted as gone, not as
 * failures.  Skips without root. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "nfq/nfq.h"
#include "tests/tap.h"

#define NENT 1000	/* more than one batch of updates (~300) */
#define NGONE 100

static struct nfct_handle *h;

/* Entry i: UDP 198.18.1.X:P → 198.51.100.Y:53 (even i) or the IPv6
 * equivalent (odd i), mark 0x1. */
static int make_entry(unsigned i, enum nf_conntrack_query q, const struct nfq_conn *c)
{
	struct nf_conntrack *o = nfct_new();
	uint8_t s[16] = { 0 }, d[16] = { 0 };
	int v6 = i & 1, rc;

	if (c) {	/* delete exactly this one */
		v6 = c->flow.family == AF_INET6;
		memcpy(s, c->flow.src.b, 16);
		memcpy(d, c->orig_dst.b, 16);
	} else if (v6) {
		inet_pton(AF_INET6, "2001:db8:1::10", s);
		inet_pton(AF_INET6, "2001:db8:86::10", d);
	} else {
		inet_pton(AF_INET, "198.18.1.10", s);
		inet_pton(AF_INET, "198.51.100.10", d);
	}
	nfct_set_attr_u8(o, ATTR_L3PROTO, v6 ? AF_INET6 : AF_INET);
	nfct_set_attr_u8(o, ATTR_REPL_L3PROTO, v6 ? AF_INET6 : AF_INET);
	nfct_set_attr(o, v6 ? ATTR_IPV6_SRC : ATTR_IPV4_SRC, s);
	nfct_set_attr(o, v6 ? ATTR_IPV6_DST : ATTR_IPV4_DST, d);
	nfct_set_attr(o, v6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC, d);
	nfct_set_attr(o, v6 ? ATTR_REPL_IPV6_DST : ATTR_REPL_IPV4_DST, s);
	nfct_set_attr_u8(o, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u8(o, ATTR_REPL_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(o, ATTR_PORT_SRC, htons(c ? c->flow.sport : (uint16_t)(10000 + i)));
	nfct_set_attr_u16(o, ATTR_PORT_DST, htons(53));
	nfct_set_attr_u16(o, ATTR_REPL_PORT_SRC, htons(53));
	nfct_set_attr_u16(o, ATTR_REPL_PORT_DST, htons(c ? c->flow.sport : (uint16_t)(10000 + i)));
	nfct_set_attr_u32(o, ATTR_TIMEOUT, 600);
	nfct_set_attr_u32(o, ATTR_MARK, 0x1);
	rc = nfct_query(h, q, o);
	nfct_destroy(o);
	return rc;
}

struct seen {
	struct nfq_ct *ct;
	unsigned n, undecided, forward, mark_ok;
	int update_every;	/* 0: none; k: set allow on every k-th */
	int stop_at;
	uint32_t setmark, setmask;
	struct nfq_conn keep[NGONE];
	unsigned nkeep;
};

static int on_conn(void *arg, const struct nfq_conn *c)
{
	struct seen *s = arg;

	s->n++;
	s->undecided += c->decision == NFQ_CT_UNDECIDED;
	s->forward += c->covered == NFQ_CT_FORWARD;
	s->mark_ok += c->mark == s->setmark;
	if (s->nkeep < NGONE)
		s->keep[s->nkeep++] = *c;
	if (s->update_every && s->n % (unsigned)s->update_every == 0 &&
	    nfq_ct_set_mark(s->ct, c, s->setmark, s->setmask) < 0)
		return -1;
	return s->stop_at && (int)s->n == s->stop_at ? 7 : 0;
}

static unsigned walk(struct nfq_ct *ct, uint32_t mark, uint32_t mask, uint32_t want_mark)
{
	struct seen s = { .ct = ct, .setmark = want_mark };

	if (nfq_ct_walk(ct, mark, mask, on_conn, &s) != 0)
		return (unsigned)-1;
	return want_mark == 0 ? s.n : s.mark_ok;
}

int main(void)
{
	struct seen *s = calloc(1, sizeof(*s));
	struct nfq_ct_stats st;
	struct nfq_ct *ct;
	char err[256];
	unsigned made = 0;
	int rc;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP needs root for a network namespace of its own (%s)\n", strerror(errno));
		return 0;
	}
	h = nfct_open(CONNTRACK, 0);
	ct = nfq_ct_open(err, sizeof(err));
	if (!h || !ct || !s) {
		ok(0, "open: %s", ct ? strerror(errno) : err);
		return tap_done();
	}
	for (unsigned i = 0; i < NENT; i++)
		made += make_entry(i, NFCT_Q_CREATE, NULL) == 0;
	is_int(made, NENT, "1000 entries made (IPv4 and IPv6)");

	s->ct = ct;
	rc = nfq_ct_walk(ct, 0, 0, on_conn, s);
	ok(rc == 0 && s->n == NENT, "walk: all %u delivered (rc %d)", s->n, rc);
	ok(s->undecided == NENT && s->forward == NENT, "mark 0x1: undecided; no local address: forward");
	is_int(walk(ct, 0x1, 0x1, 0), NENT, "kernel filter 0x1/0x1: all");
	is_int(walk(ct, 0x2, 0x2, 0), 0, "kernel filter 0x2/0x2: none");

	memset(s, 0, sizeof(*s));
	*s = (struct seen){ .ct = ct, .stop_at = 10 };
	rc = nfq_ct_walk(ct, 0, 0, on_conn, s);
	ok(rc == 7 && s->n == 10, "the callback stops the walk: its value (7) after 10 entries");
	is_int(walk(ct, 0, 0, 0), NENT, "the next walk sees everything again");

	memset(s, 0, sizeof(*s));
	*s = (struct seen){ .ct = ct, .update_every = 1, .setmark = 0x00200000, .setmask = 0x00e00000 };
	rc = nfq_ct_walk(ct, 0, 0, on_conn, s);
	ok(rc == 0 && nfq_ct_flush(ct) == 0, "set_mark on every entry from inside the walk, flush: ok");
	nfq_ct_stats(ct, &st);
	ok(st.updates == NENT && st.failed == 0 && st.gone == 0 && st.lost == 0,
	   "stats: %llu updates (several batches), none failed", (unsigned long long)st.updates);
	is_int(walk(ct, 0x00200000, 0x00e00000, 0x00200001), NENT,
	       "every mark is now 0x00200001: allow set, the bit outside the mask kept");

	memset(s, 0, sizeof(*s));
	*s = (struct seen){ .ct = ct, .update_every = 2, .setmark = 0xffffffff, .setmask = 0x00e00000 };
	ok(nfq_ct_walk(ct, 0, 0, on_conn, s) == 0 && nfq_ct_flush(ct) == 0, "set 0xffffffff/0x00e00000 on half");
	is_int(walk(ct, 0x00e00000, 0x00e00000, 0x00e00001), NENT / 2,
	       "only the masked bits changed (0x00e00001)");

	/* updates of connections that ended meanwhile: gone, not failed */
	for (unsigned i = 0; i < s->nkeep; i++)
		make_entry(0, NFCT_Q_DESTROY, &s->keep[i]);
	is_int(walk(ct, 0, 0, 0), NENT - NGONE, "100 deleted");
	nfq_ct_stats(ct, &st);
	for (unsigned i = 0; i < s->nkeep; i++)
		nfq_ct_set_mark(ct, &s->keep[i], 0x00400000, 0x00e00000);
	rc = nfq_ct_flush(ct);
	{
		struct nfq_ct_stats st2;

		nfq_ct_stats(ct, &st2);
		ok(rc == 0, "flush after updating deleted connections: 0 (gone is no error)");
		is_int(st2.gone - st.gone, NGONE, "100 counted gone");
		is_int(st2.failed - st.failed, 0, "none failed");
	}
	nfq_ct_close(ct);
	nfq_ct_close(NULL);
	nfct_close(h);
	free(s);
	return tap_done();
}
