/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's one logger, OpenBSD style (ntpd log.c): stderr in the
 * foreground, syslog otherwise.  Only main() and the daemon loop use it;
 * library modules return errors instead of printing.
 */
#ifndef GEOEGRESS_UTIL_LOG_H
#define GEOEGRESS_UTIL_LOG_H

#include <stdarg.h>

/* foreground: log to stderr; otherwise syslog(LOG_DAEMON).  verbose > 0
 * enables log_debug. */
void log_init(int foreground, int verbose);
void log_setverbose(int verbose);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A hook run by fatal()/fatalx() before exit, e.g. to remove firewall hooks. */
void log_set_fatal_hook(void (*hook)(void));

#endif
