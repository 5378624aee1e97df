// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The held state seen from outside the daemon: `geoegress unlock` lifts
 * it, `stats` and `check` report it when no daemon answers.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nfq/nfq_int.h"

static void rfc3339(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int nfq_unlock(const char *ctl_path, const char *state_dir, FILE *out, char *err, size_t errlen)
{
	struct nfq_state st;
	struct nfq_hook *h;
	int held = 0, present, ipt;

	if (nfq_ctl_alive(ctl_path)) {
		snprintf(err, errlen, "a daemon answers on %s: it decides, nothing is held.  To stop "
			 "enforcing: `systemctl stop geoegress` (in fail-mode closed that holds the "
			 "gateway closed), then `geoegress unlock`", ctl_path);
		return 1;
	}
	h = nfq_hook_new(err, errlen);
	if (!h)
		return -1;
	present = nfq_hook_present(h, &held);
	ipt = nfq_hook_ipt_present(h);
	if (present || ipt)
		nfq_hook_remove(h);
	nfq_hook_free(h);
	nfq_state_read(state_dir, &st);
	if (st.held || present || ipt) {
		st.held = 0;
		st.held_since = 0;
		st.lifted = 1;	/* until the next good start: a failing one does not hold again */
		if (nfq_state_write(state_dir, &st) < 0)
			fprintf(out, "warning: cannot write the state file; a failing start may hold "
				"the gateway closed again\n");
	}
	if (!present && !ipt) {
		fprintf(out, "nothing to lift: no geoegress rules in the ruleset\n");
		return 0;
	}
	fprintf(out, "lifted: removed %s%s; new connections pass without policy until "
		"geoegress starts with a good policy and database\n",
		present ? (held ? "the held table inet geoegress" : "table inet geoegress (no daemon "
			   "was deciding)") : "", ipt ? (present ? " and the iptables queue rules" :
							  "the iptables queue rules") : "");
	return 0;
}

int nfq_held_status(const char *state_dir, int held_only, FILE *out)
{
	struct nfq_state st;
	struct nfq_hook *h;
	char err[256], since[32] = "?";
	int held = 0, present;

	h = nfq_hook_new(err, sizeof(err));
	if (!h)
		return -1;
	present = nfq_hook_present(h, &held);
	nfq_hook_free(h);
	nfq_state_read(state_dir, &st);
	if (!present)
		return 0;
	if (st.held_since)
		rfc3339(since, sizeof(since), st.held_since);
	if (held) {
		fprintf(out, "gateway HELD CLOSED since %s (fail-mode closed, no daemon deciding): "
			"new connections are dropped, decided ones go on\n", since);
		if (st.reason[0])
			fprintf(out, "  reason: %s\n", st.reason);
		fprintf(out, "  start geoegress with a good policy and database, or lift it with "
			"`geoegress unlock`\n");
		return 1;
	}
	if (held_only)
		return 2;
	fprintf(out, "geoegress's hook is in the ruleset but no daemon decides: %s\n",
		st.fail_closed ? "new connections wait in the queue and are dropped" :
		"new connections pass undecided (fail-mode open); `geoegress unlock` removes it");
	return 2;
}
