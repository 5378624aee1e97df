/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building DNS messages by hand for the tests (wire format, RFC 1035
 * §4.1): a header, one question, answer records; names written label by
 * label or as a compression pointer.  Test code only. */
#ifndef GEOEGRESS_TESTS_DNSMSG_H
#define GEOEGRESS_TESTS_DNSMSG_H

#include <stdint.h>
#include <string.h>

struct msg {
	uint8_t b[4096];
	size_t n;
};

static inline void m_u8(struct msg *m, unsigned v)
{
	if (m->n < sizeof(m->b))
		m->b[m->n++] = (uint8_t)v;
}

static inline void m_u16(struct msg *m, unsigned v)
{
	m_u8(m, v >> 8);
	m_u8(m, v);
}

static inline void m_u32(struct msg *m, uint32_t v)
{
	m_u16(m, v >> 16);
	m_u16(m, v & 0xffff);
}

/* "a.b.c" as labels and the root; returns where it starts. */
static inline size_t m_name(struct msg *m, const char *s)
{
	size_t at = m->n;

	while (*s) {
		size_t l = strcspn(s, ".");

		m_u8(m, (unsigned)l);
		for (size_t i = 0; i < l; i++)
			m_u8(m, (uint8_t)s[i]);
		s += l + (s[l] == '.');
	}
	m_u8(m, 0);
	return at;
}

static inline void m_ptr(struct msg *m, size_t to)
{
	m_u16(m, 0xc000 | (unsigned)to);
}

/* Header of a response: flags (0x8180: QR, RD, RA, NOERROR), counts. */
static inline void m_header(struct msg *m, unsigned flags, unsigned qd, unsigned an)
{
	m->n = 0;
	m_u16(m, 0x1234);
	m_u16(m, flags);
	m_u16(m, qd);
	m_u16(m, an);
	m_u16(m, 0);
	m_u16(m, 0);
}

/* The question; returns the offset of its name (12). */
static inline size_t m_question(struct msg *m, const char *name, unsigned type)
{
	size_t at = m_name(m, name);

	m_u16(m, type);
	m_u16(m, 1);
	return at;
}

/* A record's type, class IN, ttl and rdlength after its owner name. */
static inline void m_rr(struct msg *m, unsigned type, uint32_t ttl, unsigned rdlen)
{
	m_u16(m, type);
	m_u16(m, 1);
	m_u32(m, ttl);
	m_u16(m, rdlen);
}

static inline void m_a(struct msg *m, uint32_t ttl, const uint8_t a[4])
{
	m_rr(m, 1, ttl, 4);
	for (int i = 0; i < 4; i++)
		m_u8(m, a[i]);
}

static inline void m_aaaa(struct msg *m, uint32_t ttl, const uint8_t a[16])
{
	m_rr(m, 28, ttl, 16);
	for (int i = 0; i < 16; i++)
		m_u8(m, a[i]);
}

/* A CNAME record whose target is written in full. */
static inline void m_cname(struct msg *m, uint32_t ttl, const char *target)
{
	size_t len = strlen(target) + 2;

	m_rr(m, 5, ttl, (unsigned)len);
	m_name(m, target);
}

#endif
