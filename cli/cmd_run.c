// SPDX-License-Identifier: GPL-2.0-or-later
/* STUB: to be implemented. */
#include <stdio.h>
#include "cli/cli.h"
const char cmd_run_usage[] = "Usage: geoegress run ...\n";
int cmd_run(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "geoegress run: not implemented yet\n"); return 1; }
const char cmd_stats_usage[] = "Usage: geoegress stats ...\n";
int cmd_stats(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "geoegress stats: not implemented yet\n"); return 1; }
const char cmd_reload_usage[] = "Usage: geoegress reload ...\n";
int cmd_reload(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "geoegress reload: not implemented yet\n"); return 1; }
