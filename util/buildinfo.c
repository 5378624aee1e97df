// SPDX-License-Identifier: GPL-2.0-or-later
/* Version and library versions: see buildinfo.h. */
#include <string.h>

#include <maxminddb.h>
#include <seccomp.h>
#include <zlib.h>

#include "util/buildinfo.h"

#ifndef GEOEGRESS_VERSION
#define GEOEGRESS_VERSION "?"
#endif
/* "libnetfilter_queue=1.0.5 libmnl=1.0.4 ...": the Makefile's pkg-config. */
#ifndef GEOEGRESS_PKG_VERSIONS
#define GEOEGRESS_PKG_VERSIONS ""
#endif

static const char *const names[BUILDINFO_LIBS] = {
	"libnetfilter_queue", "libmnl", "libnftables", "libnetfilter_conntrack",
	"libmaxminddb", "libseccomp", "zlib",
};

const char *buildinfo_version(void)
{
	return GEOEGRESS_VERSION;
}

/* name's version in GEOEGRESS_PKG_VERSIONS into buf ("" when absent). */
static void pkg_version(const char *name, char *buf, size_t len)
{
	static const char all[] = GEOEGRESS_PKG_VERSIONS;
	const char *p = all;
	size_t n = strlen(name), v;

	buf[0] = '\0';
	while ((p = strstr(p, name)) != NULL) {
		if ((p == all || p[-1] == ' ') && p[n] == '=') {
			p += n + 1;
			v = strcspn(p, " ");
			if (v < len) {
				memcpy(buf, p, v);
				buf[v] = '\0';
			}
			return;
		}
		p += n;
	}
}

size_t buildinfo_libs(struct buildinfo_lib *libs)
{
	const struct scmp_version *sv = seccomp_version();

	for (size_t i = 0; i < BUILDINFO_LIBS; i++) {
		libs[i].name = names[i];
		libs[i].from = "build";
		pkg_version(names[i], libs[i].version, sizeof(libs[i].version));
	}
	/* These three can say what was loaded. */
	snprintf(libs[4].version, sizeof(libs[4].version), "%s", MMDB_lib_version());
	if (sv)
		snprintf(libs[5].version, sizeof(libs[5].version), "%u.%u.%u", sv->major, sv->minor,
			 sv->micro);
	snprintf(libs[6].version, sizeof(libs[6].version), "%s", zlibVersion());
	libs[4].from = libs[6].from = "runtime";
	if (sv)
		libs[5].from = "runtime";
	return BUILDINFO_LIBS;
}

void buildinfo_json(FILE *out)
{
	struct buildinfo_lib libs[BUILDINFO_LIBS];
	size_t n = buildinfo_libs(libs);

	fprintf(out, "{\"version\":\"%s\",\"libraries\":{", buildinfo_version());
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s\"%s\":{\"version\":", i ? "," : "", libs[i].name);
		fprintf(out, *libs[i].version ? "\"%s\"" : "null", libs[i].version);
		fprintf(out, ",\"from\":\"%s\"}", libs[i].from);
	}
	fputs("}}", out);
}

void buildinfo_text(FILE *out)
{
	struct buildinfo_lib libs[BUILDINFO_LIBS];
	size_t n = buildinfo_libs(libs);

	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s %s", i ? ", " : "", libs[i].name, *libs[i].version ? libs[i].version : "?");
}
