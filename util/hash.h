/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FNV-1a (Fowler/Noll/Vo), the one hash of the small in-memory tables:
 * the worker's verdict cache, the decision log's per-device rate limiter,
 * the policy's host names, the DNS cache, the report's Public Suffix List.
 * Header only and pure, so every module may include it (util/ is the
 * bottom layer).  Not for tables an attacker fills without a seed.
 */
#ifndef GEOEGRESS_UTIL_HASH_H
#define GEOEGRESS_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A32_BASIS 2166136261u
#define FNV1A32_PRIME 16777619u
#define FNV1A64_BASIS 0xcbf29ce484222325ULL
#define FNV1A64_PRIME 0x100000001b3ULL

/* One step: h with the value v (a byte, or a wider field at once). */
static inline uint32_t fnv1a32_step(uint32_t h, uint32_t v)
{
	return (h ^ v) * FNV1A32_PRIME;
}

/* h continued over the n bytes at p; start from FNV1A32_BASIS. */
static inline uint32_t fnv1a32(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = fnv1a32_step(h, b[i]);
	return h;
}

/* The same in 64 bits; start from FNV1A64_BASIS (or a seed). */
static inline uint64_t fnv1a64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV1A64_PRIME;
	return h;
}

#endif
