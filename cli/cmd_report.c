// SPDX-License-Identifier: GPL-2.0-or-later
/* STUB: to be implemented. */
#include <stdio.h>
#include "cli/cli.h"
const char cmd_report_usage[] = "Usage: geoegress report ...\n";
int cmd_report(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "geoegress report: not implemented yet\n"); return 1; }
