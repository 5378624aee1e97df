/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns — reading DNS answers (RFC 1035) and remembering, per device, which
 * names resolved to which addresses.
 *
 * dns_parse() reads one DNS message from bytes anyone can send: every read
 * is bounds-checked, compression pointers must point strictly backwards
 * (RFC 1035 §4.1.4 speaks of a "prior occurrence"), so a pointer loop is
 * caught, and it writes only into the caller's struct.
 *
 * The name cache (struct dns_cache) keeps (device, address) → names, with
 * an expiry from the answer's TTL clamped to a floor and a ceiling.  All of
 * its memory is allocated by dns_cache_new(), never later (dns_cache_bytes()
 * says how much); when a bucket is full the entry (or name) closest to its
 * expiry is replaced.  One thread learns (dns_cache_learn); any number of
 * threads look up concurrently (dns_cache_lookup, dns_cache_walk) without a
 * lock: each bucket has a sequence counter the writer makes odd while it
 * changes the bucket, and a reader copies what it needs and retries (a few
 * times at most) when the counter moved.  A lookup never waits for the
 * writer and never allocates.
 */
#ifndef GEOEGRESS_DNS_H
#define GEOEGRESS_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 253	/* a name in text form, without the final dot */
#define DNS_ADDRS_MAX 32	/* addresses taken from one answer */
#define DNS_CHAIN_MAX 16	/* CNAME records followed */
#define DNS_REFS 4		/* names kept per (device, address) */

/* One address an answer gave, with its TTL (the smallest along the CNAME
 * chain that led to it). */
struct dns_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
	uint32_t ttl;		/* seconds, as the answer said */
};

/* What one DNS response says.  Names are lower case, without the final
 * dot, made of [a-z0-9_-] labels. */
struct dns_answer {
	char qname[DNS_NAME_MAX + 1];	/* the name asked for */
	char final[DNS_NAME_MAX + 1];	/* where its CNAME chain ends (qname without one) */
	uint16_t qtype;
	uint16_t rcode;
	uint8_t tc;			/* the truncated bit was set */
	unsigned naddr;
	struct dns_addr addr[DNS_ADDRS_MAX];
	unsigned skipped;		/* records not used: other types, classes, owners,
					 * bad names, beyond DNS_ADDRS_MAX */
	/* scratch: the CNAME records while following the chain */
	unsigned ncname;
	struct {
		char owner[DNS_NAME_MAX + 1], target[DNS_NAME_MAX + 1];
		uint32_t ttl;
	} cname[DNS_CHAIN_MAX];
};

/* Parses one DNS message (no TCP length prefix).  Returns 0 for a
 * response (QR set, opcode QUERY, one question of class IN, RCODE 0) with
 * at least one A or AAAA record for the name asked or its CNAME chain;
 * -1 otherwise, with errno EINVAL (malformed: truncated, bad name or
 * pointer, counts beyond the data) or ENOMSG (well formed, nothing to
 * learn: a query, an error, no address).  out is filled as far as read. */
int dns_parse(const uint8_t *msg, size_t len, struct dns_answer *out);

/* Reads the name at off of msg into text (DNS_NAME_MAX + 1 bytes) in the
 * form above; *next (may be NULL) gets the offset after the name where it
 * appears (after the first pointer).  Returns the text length, or -1 with
 * errno EINVAL (out of bounds, a pointer that does not point backwards,
 * too long, a reserved label type) or EILSEQ (a byte not allowed in a
 * label, or the root name). */
int dns_read_name(const uint8_t *msg, size_t len, size_t off, char *text, size_t *next);

/* ---- the name cache ---- */

struct dns_cache;

/* A device: its MAC where the gateway knows one, else its address. */
enum dns_dev_kind { DNS_DEV_NONE = 0, DNS_DEV_MAC, DNS_DEV_V4, DNS_DEV_V6 };
struct dns_dev {
	uint8_t kind;		/* enum dns_dev_kind */
	uint8_t id[16];		/* the MAC (6 bytes) or the address; the rest zero */
};

struct dns_cache_cfg {
	uint32_t entries;	/* (device, address) pairs, rounded up to a power of two */
	uint32_t names;		/* distinct names, rounded up to a power of two */
	uint32_t ttl_min;	/* floor and ceiling of a TTL, seconds */
	uint32_t ttl_max;
};

/* Bytes dns_cache_new(cfg) allocates, all of it. */
size_t dns_cache_bytes(const struct dns_cache_cfg *cfg);

/* Allocates the whole cache.  Returns NULL with errno (ENOMEM, EINVAL for
 * 0 entries or names). */
struct dns_cache *dns_cache_new(const struct dns_cache_cfg *cfg);
void dns_cache_free(struct dns_cache *c);	/* NULL ok */

/* Changes the TTL floor and ceiling for what is learned from now on
 * (the writer's thread, or before it starts). */
void dns_cache_set_ttl(struct dns_cache *c, uint32_t ttl_min, uint32_t ttl_max);

/* Remembers that dev received answer a at now_s (a monotonic second
 * counter): each address of it resolved from a->qname (the name asked)
 * and a->final.  One writer thread at a time.  Returns the number of
 * addresses stored. */
unsigned dns_cache_learn(struct dns_cache *c, const struct dns_dev *dev, const struct dns_answer *a,
			 uint32_t now_s);

/* The names a device's answers gave an address, most recent first; n = 0
 * when none is known (or has not expired at now_s). */
struct dns_names {
	unsigned n;
	const char *name[DNS_REFS];	/* into buf */
	uint8_t asked[DNS_REFS];	/* 1: a name the device asked for; 0: the end
					 * of a CNAME chain */
	uint32_t expires[DNS_REFS];	/* now_s-based second counter */
	char buf[DNS_REFS * (DNS_NAME_MAX + 1)];
};

/* The name the device asked for most recently, or NULL. */
const char *dns_names_host(const struct dns_names *n);

/* Looks up what dev's answers said about family/addr.  Any thread, while
 * the writer runs; no lock, no allocation.  Returns 0 (out->n may be 0),
 * or -1 with errno EAGAIN when the bucket kept changing under the reader
 * (out->n is 0 then). */
int dns_cache_lookup(const struct dns_cache *c, const struct dns_dev *dev, uint8_t family,
		     const uint8_t *addr, uint32_t now_s, struct dns_names *out);

/* Calls fn for every (device, address) with names not expired at now_s
 * (same reading protocol as dns_cache_lookup).  fn returns 0 to go on. */
typedef int (*dns_cache_fn)(void *arg, const struct dns_dev *dev, uint8_t family, const uint8_t *addr,
			    const struct dns_names *names);
void dns_cache_walk(const struct dns_cache *c, uint32_t now_s, dns_cache_fn fn, void *arg);

struct dns_cache_stats {
	uint64_t answers;		/* answers learned */
	uint64_t addrs;			/* addresses stored */
	uint64_t evicted;		/* entries replaced before they expired (bucket full) */
	uint64_t names_evicted;		/* names replaced before they expired */
	uint32_t entries, entries_max;	/* entries holding a name not expired */
	uint32_t names, names_max;	/* names not expired */
	size_t bytes;			/* allocated */
};
/* Counts (walks the tables: not for the packet path). */
void dns_cache_stats(const struct dns_cache *c, uint32_t now_s, struct dns_cache_stats *st);

#endif
