// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — a flow from text: the address and MAC parsers that explain, the
 * control socket's explain request and the tests use to build a struct
 * rules_flow (rules.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules_int.h"

int rules_flow_set_addr(struct rules_flow *flow, char which, const char *text)
{
	uint8_t *dst = which == 's' ? flow->src.b : flow->dst.b;
	uint8_t b[16];

	if (inet_pton(AF_INET, text, b) == 1) {
		memset(dst, 0, 16);
		memcpy(dst, b, 4);
		flow->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, b) == 1) {
		memcpy(dst, b, 16);
		flow->family = AF_INET6;
		return 0;
	}
	return -1;
}

int rules_flow_set_mac(struct rules_flow *flow, const char *text)
{
	unsigned v[6];
	char end;

	if (strlen(text) != 17 || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
					 &v[4], &v[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		flow->src_mac[i] = (uint8_t)v[i];
	flow->has_mac = 1;
	return 0;
}
