// SPDX-License-Identifier: GPL-2.0-or-later
/* STUB: to be implemented. */
#include <stdio.h>
#include "cli/cli.h"
const char cmd_check_usage[] = "Usage: geoegress check ...\n";
int cmd_check(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "geoegress check: not implemented yet\n"); return 1; }
const char cmd_explain_usage[] = "Usage: geoegress explain ...\n";
int cmd_explain(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "geoegress explain: not implemented yet\n"); return 1; }
