// SPDX-License-Identifier: GPL-2.0-or-later
/* STUB: to be implemented. */
#include <stdio.h>
#include "cli/cli.h"
const char cmd_lookup_usage[] = "Usage: geoegress lookup ...\n";
int cmd_lookup(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "geoegress lookup: not implemented yet\n"); return 1; }
