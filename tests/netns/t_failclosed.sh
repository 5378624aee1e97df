#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fail-closed from the first second (issue 9).  With fail-mode closed, while
# no daemon can decide — a truncated database, a missing one, a policy typo
# (`default alow`), queue 0 already bound by another program — `run` exits
# 1 and LAN→CN and LAN→SG are both stopped (no systemd restarts it here);
# `stats` (no daemon) and `check` say the gateway is held and why; once the
# input is fixed a start brings it back to normal (SG passes, CN refused).
# The fail mode of a broken policy comes from the state file of the last
# good start, else `run --fail-mode closed`, else open (nothing installed).
# Across a restart no new flow passes and an established session keeps
# talking.  `geoegress unlock` lifts the hold (the ruleset is as before),
# refuses while a daemon runs, and a failing start after it does not hold
# again until a good start.  Fail-mode open is unchanged: the same broken
# inputs install nothing and traffic passes.
# Every backend the kernel allows, or the one $LAB_GE_ARGS names.
. "$(dirname "$0")/common.sh"
netns_setup failclosed
unset INVOCATION_ID	# not under systemd: a failed start exits at once
D=$(lab_dir "$P")
GELOG=$D/geoegress.log
CN4=http://198.51.100.10/ SG4=http://203.0.113.10/ SG6="http://[2001:db8:65::10]/"
POL=$T/policy.conf
GOOD_DB=$FIX/geoip2.mmdb
head -c 300 "$GOOD_DB" >"$T/bad.mmdb"
NFQ_PLAIN=$BUILD/tests/bench/nfq_plain
NPID=
gw() { lab_in "$P-gw" "$@"; }
# The queue holder is ours: stopped on any exit (lab_down would too).
stop_plain() {
	[ -n "$NPID" ] || return 0
	kill "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
	NPID=
}
GAP_PIDS=()
trap 'stop_plain; kill "${GAP_PIDS[@]}" 2>/dev/null; netns_cleanup' EXIT

policy() {	# policy MODE DATABASE [DEFAULT-ACTION]: writes $POL
	cat >"$POL" <<EOF
option database "$2"
option log-file "$LOG"
option fail-mode $1
devices managed = { 02:00:5e:00:53:01, 198.18.1.20, 2001:db8:1::20 }
reject from @managed to country CN proto tcp name "no-cn-tcp"
block from @managed to country CN name "no-cn"
default ${3:-allow}
EOF
}

# What the phone sees: curl exits to CN, SG (v4), SG (v6).  Normal: CN
# refused, SG passes; held: all time out; nothing installed: all pass.
NORMAL="7 0 0" HELD="28 28 28" OPEN="0 0 0"
expect_traffic() {	# expect_traffic DESC WANT
	local got m=3
	[ "$2" = "$HELD" ] && m=1	# expected timeouts: short
	got=$(probe "$P-phone" -m $m "$CN4" "$SG4" "$SG6")
	[ "$got" = "$2" ] && ok "$1" || not_ok "$1" "curl exits CN SG SG6: $got, want $2"
}

# start_fails DESC [RUN-ARGS]: the start exits 1 without getting ready
start_fails() {
	local d=$1; shift
	if lab_run_geoegress "$P" "$POL" "$@" 2>/dev/null; then
		not_ok "$d: run exits 1" "it got ready"
		lab_stop_geoegress "$P"
	elif [ "${LAB_GE_RC:-}" = 1 ]; then ok "$d: run exits 1"
	else not_ok "$d: run exits 1" "exit ${LAB_GE_RC:-?}: $(tail -3 "$GELOG")"; fi
}

# held_says DESC REASON-ERE: stats (no daemon) and check, as root in gw,
# say that the gateway is held closed and why
held_says() {
	local out
	out=$(gw "$GEOEGRESS" stats --ctl "$D/ctl" --state-dir "$D" 2>&1)
	if [ $? = 1 ] && grep -q 'HELD CLOSED' <<<"$out" && grep -qE -- "reason: .*$2" <<<"$out"; then
		ok "$1: stats (no daemon) says held closed and why"
	else not_ok "$1: stats (no daemon) says held closed and why" "$out"; fi
	out=$(gw "$GEOEGRESS" check -c "$POL" --state-dir "$D" 2>&1)
	if grep -q 'HELD CLOSED' <<<"$out" && grep -qE -- "reason: .*$2" <<<"$out"; then
		ok "$1: check says held closed and why"
	else not_ok "$1: check says held closed and why" "$out"; fi
}

# unheld_says DESC: stats (no daemon) reports no held gateway
unheld_says() {
	local out
	out=$(gw "$GEOEGRESS" stats --ctl "$D/ctl" --state-dir "$D" 2>&1)
	grep -q 'HELD' <<<"$out" && not_ok "$1: stats does not say held" "$out" || ok "$1: stats does not say held"
}

# same_ruleset DESC: gw's ruleset is the one before any daemon ran
same_ruleset() {
	ruleset_snap >"$T/now"
	cmp -s "$T/clean" "$T/now" && ok "$1" || not_ok "$1" "$(diff "$T/clean" "$T/now")"
}

# A clean slate: no daemon, nothing of ours in the ruleset, no state file.
slate() {
	lab_stop_geoegress "$P"
	lab_unlock "$P" >/dev/null 2>&1
	rm -f "$D/state"
}

# good_start DESC [RUN-ARGS]: starts with $POL and expects normal traffic
good_start() {
	local d=$1; shift
	if lab_run_geoegress "$P" "$POL" "$@" 2>/dev/null; then
		expect_traffic "$d: started again, back to normal (CN refused, SG passes)" "$NORMAL"
	else not_ok "$d: a good start" "exit ${LAB_GE_RC:-?}: $(tail -3 "$GELOG")"; fi
}

plain_start() {	# binds queue 0 in gw with the reference consumer
	ip netns exec "$P-gw" "$NFQ_PLAIN" -q 0 -t 60 >"$T/plain.out" 2>&1 &
	NPID=$!
	for _ in $(seq 1 50); do
		gw awk '$1 == 0 { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Cannot decide at start, the policy says closed (no state file needed).
closed_case() {	# closed_case BACKEND NAME REASON-ERE BREAK-FN FIX-FN
	local tag="[$1] closed, $2"
	slate
	$4
	start_fails "$tag"
	expect_traffic "$tag: LAN→CN and LAN→SG both stopped while it cannot decide" "$HELD"
	held_says "$tag" "$3"
	$5
	good_start "$tag"
	lab_stop_geoegress "$P"
}
break_baddb() { policy closed "$T/bad.mmdb"; }
break_nodb() { policy closed "$T/missing.mmdb"; }
break_queue() { policy closed "$GOOD_DB"; plain_start || not_ok "nfq_plain bound queue 0" "$(cat "$T/plain.out")"; }
fix_db() { policy closed "$GOOD_DB"; }
fix_queue() { stop_plain; }

# The same inputs with fail-mode open: nothing installed, traffic passes.
open_case() {	# open_case BACKEND NAME BREAK-FN FIX-FN
	local tag="[$1] open, $2"
	slate
	$3
	start_fails "$tag"
	same_ruleset "$tag: nothing installed"
	expect_traffic "$tag: traffic passes without policy, as before" "$OPEN"
	unheld_says "$tag"
	$4
}
obreak_baddb() { policy open "$T/bad.mmdb"; }
obreak_nodb() { policy open "$T/missing.mmdb"; }
obreak_queue() { policy open "$GOOD_DB"; plain_start || not_ok "nfq_plain bound queue 0" "$(cat "$T/plain.out")"; }

run_backend() {
	local b=$1 tag n got out
	closed_case "$b" "truncated database" "bad\.mmdb" break_baddb fix_db
	closed_case "$b" "missing database" "missing\.mmdb" break_nodb fix_db
	closed_case "$b" "queue 0 bound by another process" "queue" break_queue fix_queue

	# A broken policy: the fail mode comes from the state file of the last
	# good start.  Its held table removed while no daemon ran (another
	# tool's flush), the failing start holds the gateway again by itself.
	tag="[$b] closed, policy typo, fail mode from the state file"
	slate
	policy closed "$GOOD_DB"
	good_start "$tag (first, good)"
	lab_stop_geoegress "$P"
	gw nft delete table inet geoegress
	policy closed "$GOOD_DB" alow
	start_fails "$tag"
	expect_traffic "$tag: LAN→CN and LAN→SG both stopped" "$HELD"
	held_says "$tag" "alow"
	policy closed "$GOOD_DB"
	good_start "$tag"

	# Held by a start that never loaded (no good start yet: the state
	# file has no fail mode of a loaded policy), then the admin's edit
	# brings a typo: the gateway stays held.
	tag="[$b] closed, held (missing database, never started), then a policy typo"
	slate
	policy closed "$T/missing.mmdb"
	start_fails "$tag (first)"
	policy closed "$T/missing.mmdb" alow
	start_fails "$tag"
	expect_traffic "$tag: still held, LAN→CN and LAN→SG both stopped" "$HELD"
	held_says "$tag" "alow"
	policy closed "$GOOD_DB"
	good_start "$tag"

	# Across a restart: no new flow passes in the gap, an established
	# session keeps talking while held and after.
	tag="[$b] closed, restart"
	tcp_session_start "$P-phone" 203.0.113.10
	n=$(tcp_session_count)
	: >"$T/gap"
	# Fresh connections to CN, v4 and v6, all through the restart: held
	# they time out, decided they are refused; none may pass.
	local u
	for u in "$CN4" "http://[2001:db8:86::10]/"; do
		( for _ in $(seq 1 60); do
			[ -f "$T/gap.stop" ] && break
			lab_in "$P-phone" curl -s -o /dev/null -m 0.3 "$u" >/dev/null 2>&1
			echo $? >>"$T/gap"
		done ) &
		GAP_PIDS+=($!)
	done
	lab_stop_geoegress "$P"
	expect_traffic "$tag: after SIGTERM new flows are stopped (held)" "$HELD"
	tcp_session_wait_more "$((n + 3))" && ok "$tag: the established SG session keeps talking while held" ||
		not_ok "$tag: the established SG session keeps talking while held" "$(tcp_session_state)"
	n=$(tcp_session_count)
	good_start "$tag"
	touch "$T/gap.stop"
	wait "${GAP_PIDS[@]}"
	GAP_PIDS=()
	rm -f "$T/gap.stop"
	got=$(sort "$T/gap" | uniq -c | tr -s ' \n' ' ')
	grep -qx 0 "$T/gap" && not_ok "$tag: no new flow to CN passes across the restart" "curl exits: $got" ||
		ok "$tag: no new flow to CN passes across the restart ($(wc -l <"$T/gap") tries:$got)"
	tcp_session_wait_more "$((n + 3))" && ok "$tag: the session keeps talking after the restart ($(tcp_session_end))" ||
		not_ok "$tag: the session keeps talking after the restart" "$(tcp_session_end)"

	# unlock: refused while a daemon decides; lifts the hold; a failing
	# start after it does not hold, until a good start.
	tag="[$b] unlock"
	out=$(lab_unlock "$P" 2>&1) && not_ok "$tag: refuses while a daemon runs" "$out" ||
		ok "$tag: refuses while a daemon runs"
	expect_traffic "$tag: refused: the daemon still decides" "$NORMAL"
	lab_stop_geoegress "$P"
	expect_traffic "$tag: stopped: held" "$HELD"
	out=$(lab_unlock "$P" 2>&1) && ok "$tag: lifts the held gateway: $out" || not_ok "$tag: lifts the held gateway" "$out"
	expect_traffic "$tag: after unlock traffic passes without policy" "$OPEN"
	same_ruleset "$tag: after unlock the ruleset is as before any start"
	policy closed "$GOOD_DB" alow
	start_fails "$tag, then a policy typo"
	expect_traffic "$tag, then a policy typo: not held again (traffic passes)" "$OPEN"
	same_ruleset "$tag, then a policy typo: nothing installed"
	policy closed "$GOOD_DB"
	good_start "$tag, then a good start"
	lab_stop_geoegress "$P"
	policy closed "$GOOD_DB" alow
	start_fails "$tag, good start, stop, typo"
	expect_traffic "$tag, good start, stop, typo: held again (the good start ended the lift)" "$HELD"

	# No state file: a broken policy starts nothing, unless --fail-mode closed.
	tag="[$b] no state file, policy typo"
	slate
	policy closed "$GOOD_DB" alow
	start_fails "$tag"
	same_ruleset "$tag: nothing installed (fail mode unknown: open)"
	expect_traffic "$tag: traffic passes" "$OPEN"
	start_fails "$tag, run --fail-mode closed" --fail-mode closed
	expect_traffic "$tag, run --fail-mode closed: LAN→CN and LAN→SG both stopped" "$HELD"
	held_says "$tag, run --fail-mode closed" "alow"
	policy closed "$GOOD_DB"
	good_start "$tag, run --fail-mode closed"

	# Fail-mode open: unchanged.
	open_case "$b" "truncated database" obreak_baddb :
	open_case "$b" "missing database" obreak_nodb :
	open_case "$b" "queue 0 bound by another process" obreak_queue stop_plain
	tag="[$b] open, policy typo after a good open start"
	slate
	policy open "$GOOD_DB"
	good_start "$tag (first, good)"
	lab_stop_geoegress "$P"
	policy open "$GOOD_DB" alow
	start_fails "$tag"
	same_ruleset "$tag: nothing installed"
	expect_traffic "$tag: traffic passes" "$OPEN"
	slate
	same_ruleset "[$b] at the end the ruleset is as before any start"
}

ruleset_snap >"$T/clean"
for_backends run_backend
tap_done
