/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What this binary is: geoegress's version and the versions of the
 * libraries it uses, for `geoegress --version --json`, `stats` and the
 * metrics (geoegress_build_info).  libmaxminddb, libseccomp and zlib say
 * their own version at run time; the others have no such call, so theirs
 * is the version of the -dev package the binary was built against
 * (pkg-config at build time).
 */
#ifndef GEOEGRESS_UTIL_BUILDINFO_H
#define GEOEGRESS_UTIL_BUILDINFO_H

#include <stddef.h>
#include <stdio.h>

#define BUILDINFO_LIBS 7

struct buildinfo_lib {
	const char *name;	/* "libnetfilter_queue", ..., "zlib" (pkg-config names) */
	char version[32];	/* "1.0.5"; "" when unknown */
	const char *from;	/* "runtime" (the loaded library) or "build" (pkg-config) */
};

/* geoegress's own version ("0.1.0"). */
const char *buildinfo_version(void);
/* Fills libs[0..BUILDINFO_LIBS) in a fixed order; returns BUILDINFO_LIBS. */
size_t buildinfo_libs(struct buildinfo_lib *libs);
/* {"version":"0.1.0","libraries":{"libmnl":{"version":"1.0.4","from":"build"},...}} */
void buildinfo_json(FILE *out);
/* "libnetfilter_queue 1.0.5, libmnl 1.0.4, ..." (no newline). */
void buildinfo_text(FILE *out);

#endif
