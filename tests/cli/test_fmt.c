// SPDX-License-Identifier: GPL-2.0-or-later
/* The CLI's shared formatting helpers (cli/common.c): fitting values into
 * text columns (addresses cut in the middle, IPv6 included), human sizes
 * and ages; and the protocol names (rules.h) and JSON strings (util/json.h)
 * they print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rules/rules.h"
#include "util/json.h"
#include "tests/tap.h"

static void test_fit(void)
{
	char b[64];

	is_str(cli_fit(b, 8, "managed"), "managed", "fits: unchanged");
	is_str(cli_fit(b, 8, "managedxx"), "managed~", "cut: last column '~'");
	ok(strlen(cli_fit(b, 8, "a-very-long-set-name")) == 8, "cut to exactly the width");
	is_str(cli_fit(b, 1, "ab"), "~", "width 1");
	is_str(cli_fit(b, 0, "ab"), "", "width 0");
	is_str(cli_fit_mid(b, 15, "2001:db8:1::130"), "2001:db8:1::130", "mid: 15 chars fit in 15");
	is_str(cli_fit_mid(b, 15, "2001:db8:ffff:1234:5678:9abc:def0:1"), "2001:db~:def0:1",
	       "mid: prefix and host part kept");
	ok(strlen(cli_fit_mid(b, 17, "2001:db8:ffff:1234:5678:9abc:def0:1")) == 17, "mid: exactly the width");
	is_str(cli_fit_mid(b, 10, "198.51.100.10"), "198.5~0.10", "mid: IPv4");
	is_str(cli_fit_mid(b, 2, "abc"), "a~", "mid: tiny width falls back to an end cut");
}

static void test_human(void)
{
	char b[8];

	is_str(cli_human_bytes(b, 0), "0", "0 bytes");
	is_str(cli_human_bytes(b, 1023), "1023", "1023 bytes");
	is_str(cli_human_bytes(b, 1024), "1.0K", "1 KiB");
	is_str(cli_human_bytes(b, 1536), "1.5K", "1.5 KiB");
	is_str(cli_human_bytes(b, 10 * 1024), "10K", "10 KiB");
	is_str(cli_human_bytes(b, 1023 * 1024 + 1000), "1024K", "just under 1 MiB: 5 columns at most");
	is_str(cli_human_bytes(b, 123456789), "118M", "118 MiB");
	is_str(cli_human_bytes(b, 5ull << 40), "5.0T", "5 TiB");
	ok(strlen(cli_human_bytes(b, UINT64_MAX)) <= 5, "2^64-1 fits 5 columns (%s)", b);
	is_str(cli_human_age(b, 0), "0s", "0 s");
	is_str(cli_human_age(b, 59), "59s", "59 s");
	is_str(cli_human_age(b, 60), "1m", "1 min");
	is_str(cli_human_age(b, 3599), "59m", "59 min");
	is_str(cli_human_age(b, 7200), "2h", "2 h");
	is_str(cli_human_age(b, 86400 * 3 + 5), "3d", "3 days");
	ok(strlen(cli_human_age(b, UINT64_MAX)) <= 5, "huge age fits 5 columns (%s)", b);
}

static void test_names(void)
{
	char num[4];

	is_str(rules_proto_name(6, num), "tcp", "tcp");
	is_str(rules_proto_name(58, num), "icmpv6", "icmpv6");
	is_str(rules_proto_name(132, num), "sctp", "sctp");
	is_str(rules_proto_name(50, num), "50", "esp as a number");
	is_str(rules_proto_name(255, num), "255", "255");
}

static void test_json(void)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	json_write_str(f, "a\"b\\c\n");
	fputc(' ', f);
	json_write_str(f, NULL);
	fclose(f);
	is_str(s, "\"a\\\"b\\\\c\\u000a\" null", "escapes; NULL is null");
	free(s);
}

int main(void)
{
	test_fit();
	test_human();
	test_names();
	test_json();
	return tap_done();
}
