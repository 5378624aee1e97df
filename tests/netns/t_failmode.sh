#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fail modes: `open` — after SIGKILL new flows pass; `closed` — they stop.
# A restart replaces the stale hook: decisions resume and the ruleset is
# exactly the one a first start installs (one queue rule per family, no
# duplicate or stale chain/rule).
. "$(dirname "$0")/common.sh"
netns_setup fail

policy() {	# policy FILE MODE
	cat >"$1" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option fail-mode $2
block to country CN name "no-cn"
default allow
EOF
}
expect_rc() { [ "$3" = "$2" ] && ok "$1" || not_ok "$1" "curl exit $3, want $2"; }
cn() { curl_rc "$P-phone" "$1"; }
CN4=http://198.51.100.10/ CN6="http://[2001:db8:86::10]/" SG4=http://203.0.113.10/ SG6="http://[2001:db8:65::10]/"

for mode in open closed; do
	policy "$T/$mode.conf" "$mode"
	netns_start "$T/$mode.conf"
	ruleset_snap >"$T/first-$mode"
	expect_rc "$mode: CN blocked while running" 28 "$(cn $CN4)"
	expect_rc "$mode: SG allowed while running" 0 "$(cn $SG4)"
	lab_kill_geoegress "$P"
	ruleset_snap >"$T/killed-$mode"
	cmp -s "$T/first-$mode" "$T/killed-$mode" && ok "$mode: after SIGKILL the hook is still there (stale)" ||
		not_ok "$mode: after SIGKILL the hook is still there (stale)" "$(diff "$T/first-$mode" "$T/killed-$mode")"
	if [ $mode = open ]; then
		expect_rc "open, daemon killed: new IPv4 flow to SG passes" 0 "$(cn $SG4)"
		expect_rc "open, daemon killed: new IPv6 flow to SG passes" 0 "$(cn "$SG6")"
		expect_rc "open, daemon killed: new flow to CN passes (nobody decides)" 0 "$(cn $CN4)"
		check "open, daemon killed: ping passes" lab_in "$P-phone" ping -c1 -W2 203.0.113.10
	else
		expect_rc "closed, daemon killed: new IPv4 flow to SG stopped" 28 "$(cn $SG4)"
		expect_rc "closed, daemon killed: new IPv6 flow to SG stopped" 28 "$(cn "$SG6")"
		if lab_in "$P-phone" ping -c1 -W1 203.0.113.10 >/dev/null 2>&1; then
			not_ok "closed, daemon killed: ping stopped"
		else ok "closed, daemon killed: ping stopped"; fi
	fi
	netns_start "$T/$mode.conf"
	ruleset_snap >"$T/restart-$mode"
	cmp -s "$T/first-$mode" "$T/restart-$mode" && ok "$mode: restart installs exactly the first start's ruleset (stale hook replaced)" ||
		not_ok "$mode: restart installs exactly the first start's ruleset" "$(diff "$T/first-$mode" "$T/restart-$mode")"
	read -r q4 q6 qn <<<"$(nfqueue_rules)"
	if { [ "$qn" = 0 ] && [ "$q4" = 1 ] && [ "$q6" = 1 ]; } || { [ "$qn" = 1 ] && [ "$q4" = 0 ] && [ "$q6" = 0 ]; }; then
		ok "$mode: exactly one queue hook after restart (iptables $q4, ip6tables $q6, nft $qn)"
	else not_ok "$mode: exactly one queue hook after restart" "iptables $q4, ip6tables $q6, nft $qn"; fi
	expect_rc "$mode: after restart CN blocked again (v4)" 28 "$(cn $CN4)"
	expect_rc "$mode: after restart CN blocked again (v6)" 28 "$(cn "$CN6")"
	expect_rc "$mode: after restart SG allowed (v4)" 0 "$(cn $SG4)"
	expect_rc "$mode: after restart SG allowed (v6)" 0 "$(cn "$SG6")"
	lab_stop_geoegress "$P"
	[ "$LAB_GE_RC" = 0 ] && ok "$mode: clean exit after restart" || not_ok "$mode: clean exit after restart" "exit $LAB_GE_RC"
done
# The difference between the modes is the bypass flag on the queue rule.
if grep -qE 'queue-bypass|bypass' "$T/first-open" && ! grep -qE 'queue-bypass|bypass' "$T/first-closed"; then
	ok "open hook has queue bypass, closed hook has not"
else not_ok "open hook has queue bypass, closed hook has not" "$(grep -hE 'NFQUEUE|queue' "$T/first-open" "$T/first-closed")"; fi
tap_done
