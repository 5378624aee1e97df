// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness for the packet parser (nfq_parse_packet) and the
 * decision-log formatting of what it parsed.  Invariants: never reads past
 * the input (ASan), ports only for port protocols, formatting never fails
 * for a record that fits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfq/nfq_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);	/* exact size: ASan sees overreads */
	struct nfq_logrec r;
	char line[4096];

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&r, 0, sizeof(r));
	if (nfq_parse_packet(copy, size, &r.flow) == 0) {
		uint8_t p = r.flow.proto;

		if (r.flow.has_ports && p != 6 && p != 17 && p != 132 && p != 136)
			abort();
		if (r.flow.family != 2 && r.flow.family != 10)
			abort();
		if (nfq_logrec_format(line, sizeof(line), &r, 1, 0) == 0)
			abort();
	}
	free(copy);
	return 0;
}
