// SPDX-License-Identifier: GPL-2.0-or-later
/* The state file (nfq/state.c) and the watch's table filter (nfq/watch.c):
 * what the daemon must remember when the policy is the broken part. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "nfq/nfq_int.h"
#include "tests/tap.h"

static void roundtrip(const char *dir)
{
	struct nfq_state a, b;

	memset(&a, 0, sizeof(a));
	a.fail_closed = 1;
	snprintf(a.policy, sizeof(a.policy), "/etc/geoegress/policy.conf");
	a.hooks = RULES_HOOK_FORWARD | RULES_HOOK_OUTPUT;
	a.good_at = 1764512345;
	a.held = 1;
	a.held_since = 1764512399;
	snprintf(a.reason, sizeof(a.reason), "policy.conf:3:9: error: unknown action 'alow'\nsecond line");
	a.failures = 3;
	ok(nfq_state_write(dir, &a) == 0, "write the state file");
	ok(nfq_state_read(dir, &b) == 0 && b.valid, "read it back");
	is_int(b.fail_closed, 1, "fail mode closed kept");
	is_str(b.policy, "/etc/geoegress/policy.conf", "policy path kept");
	is_int(b.hooks, RULES_HOOK_FORWARD | RULES_HOOK_OUTPUT, "hooks kept");
	is_int(b.good_at, 1764512345, "last good load kept");
	ok(b.held && b.held_since == 1764512399, "held and since kept");
	is_str(b.reason, "policy.conf:3:9: error: unknown action 'alow'", "reason kept, one line only");
	ok(!b.lifted, "not lifted");
	is_int(b.failures, 3, "consecutive failures kept");
	a.held = 0;
	a.lifted = 1;
	a.fail_closed = 0;
	a.hooks = RULES_HOOK_FORWARD;
	ok(nfq_state_write(dir, &a) == 0 && nfq_state_read(dir, &b) == 0, "rewrite");
	ok(!b.held && b.lifted && !b.fail_closed && b.hooks == RULES_HOOK_FORWARD, "lifted, open, forward");
}

static void missing(const char *dir)
{
	struct nfq_state st;
	char sub[512];

	snprintf(sub, sizeof(sub), "%s/none", dir);
	errno = 0;
	ok(nfq_state_read(sub, &st) < 0 && errno == ENOENT && !st.valid, "no state yet: ENOENT, not valid");
	memset(&st, 0, sizeof(st));
	st.fail_closed = 1;
	st.good_at = 1;
	ok(nfq_state_write(sub, &st) == 0, "a missing state directory is created");
	ok(nfq_state_read(sub, &st) == 0 && st.fail_closed, "and read back");
}

static void garbage(const char *dir)
{
	char path[512];
	struct nfq_state st;
	FILE *f;

	nfq_state_path(dir, path, sizeof(path));
	f = fopen(path, "w");
	if (f) {
		fputs("fail-mode\nnonsense here\nfail-mode closed\nheld maybe\n\n", f);
		fclose(f);
	}
	ok(nfq_state_read(dir, &st) == 0, "a damaged file is read");
	ok(st.fail_closed && !st.held, "known keys taken, bad values are no");
}

static void watch_filter(void)
{
	ok(nfq_watch_is_ours(NFPROTO_INET, "geoegress"), "inet geoegress is ours");
	ok(!nfq_watch_is_ours(NFPROTO_IPV4, "geoegress"), "ip geoegress is not");
	ok(nfq_watch_is_ours(NFPROTO_IPV4, "mangle") && nfq_watch_is_ours(NFPROTO_IPV6, "mangle"),
	   "ip/ip6 mangle (the iptables queue rule) are watched");
	ok(!nfq_watch_is_ours(NFPROTO_IPV4, "filter") && !nfq_watch_is_ours(NFPROTO_INET, "filter"),
	   "filter tables are not");
	ok(!nfq_watch_is_ours(NFPROTO_INET, NULL), "no table name: not ours");
}

int main(void)
{
	char dir[] = "/tmp/ge-test-state.XXXXXX";
	char cmd[600];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	roundtrip(dir);
	missing(dir);
	garbage(dir);
	watch_filter();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
