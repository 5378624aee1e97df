/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON strings for the outputs written with stdio: `stats --json`, the
 * CLI's --json.  (The decision log writes its records into a buffer with
 * its own escaping, nfq/declog.c; the report's JSON also repairs invalid
 * UTF-8, report/out_json.c.) */
#ifndef GEOEGRESS_UTIL_JSON_H
#define GEOEGRESS_UTIL_JSON_H

#include <stdio.h>

/* Writes s as a JSON string ('"' and '\\' escaped, control characters as
 * \u00XX), or null for NULL. */
void json_write_str(FILE *out, const char *s);

#endif
