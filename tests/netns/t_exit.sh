#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Exit cleanliness: after SIGTERM and after SIGINT the gateway's ruleset
# (nft list ruleset, iptables-save, ip6tables-save) is exactly what it was
# before the daemon started (an admin's own rules included); --no-hook
# installs nothing; a failed start of the iptables backend leaves nothing.
. "$(dirname "$0")/common.sh"
netns_setup exit
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
block to country CN name "no-cn"
default allow
EOF
# A gateway with no ruleset at all: afterwards there is still none.
ruleset_snap >"$T/empty"
netns_start "$POL"
lab_stop_geoegress "$P"
ruleset_snap >"$T/empty-after"
cmp -s "$T/empty" "$T/empty-after" && ok "empty ruleset before, empty ruleset after SIGTERM" ||
	not_ok "empty ruleset before, empty ruleset after SIGTERM" "$(diff "$T/empty" "$T/empty-after")"

admin_rules || not_ok "admin rules set up"
ruleset_snap >"$T/before"

for sig in TERM INT; do
	netns_start "$POL"
	ruleset_snap >"$T/running-$sig"
	if ! cmp -s "$T/before" "$T/running-$sig"; then ok "SIG$sig run: a hook is installed while running"
	else not_ok "SIG$sig run: a hook is installed while running" "ruleset unchanged"; fi
	read -r q4 q6 qn <<<"$(nfqueue_rules)"
	[ $((q4 + qn)) -ge 1 ] && [ $((q6 + qn)) -ge 1 ] && ok "SIG$sig run: IPv4 and IPv6 queue rules present ($q4 $q6 $qn)" ||
		not_ok "SIG$sig run: IPv4 and IPv6 queue rules present" "iptables $q4 ip6tables $q6 nft $qn"
	rc=$(curl_rc "$P-phone" http://198.51.100.10/)
	[ "$rc" = 28 ] && ok "SIG$sig run: hook works (CN blocked)" || not_ok "SIG$sig run: hook works (CN blocked)" "curl exit $rc"
	lab_stop_geoegress "$P" "$sig"
	[ "$LAB_GE_RC" = 0 ] && ok "SIG$sig: exit status 0" || not_ok "SIG$sig: exit status 0" "exit $LAB_GE_RC"
	ruleset_snap >"$T/after-$sig"
	if cmp -s "$T/before" "$T/after-$sig"; then ok "SIG$sig: ruleset exactly as before (admin rules kept, nothing of ours left)"
	else not_ok "SIG$sig: ruleset exactly as before" "$(diff "$T/before" "$T/after-$sig")"; fi
	if ruleset_snap | grep -qi geoegress; then not_ok "SIG$sig: no 'geoegress' name left in any listing" "$(ruleset_snap | grep -i geoegress)"
	else ok "SIG$sig: no 'geoegress' name left in any listing"; fi
	rc=$(curl_rc "$P-phone" http://198.51.100.10/)
	[ "$rc" = 0 ] && ok "SIG$sig: after exit traffic flows unfiltered" || not_ok "SIG$sig: after exit traffic flows unfiltered" "curl exit $rc"
done

# Readiness and service manager protocol: "ready" in the log, sd_notify
# READY=1, RELOADING=1/READY=1 around a reload, STOPPING=1; ctl socket 0600.
socat -u UNIX-RECV:"$T/notify.sock" OPEN:"$T/notify.out",creat,append &
SOCAT=$!
for i in $(seq 1 20); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
export NOTIFY_SOCKET=$T/notify.sock
: >"$(lab_dir "$P")/geoegress.log"
netns_start "$POL"
unset NOTIFY_SOCKET
check_grep "the daemon logs a line containing 'ready'" 'ready' "$(lab_dir "$P")/geoegress.log"
mode=$(stat -c %a "$(lab_dir "$P")/ctl" 2>&1)
[ "$mode" = 600 ] && ok "control socket mode 0600" || not_ok "control socket mode 0600" "mode $mode"
lab_ge "$P" reload >/dev/null 2>&1
lab_stop_geoegress "$P"
sleep 0.2
kill "$SOCAT" 2>/dev/null; wait "$SOCAT" 2>/dev/null
notes=$(tr -s '\n' ' ' <"$T/notify.out" 2>/dev/null)
case $notes in *READY=1*RELOADING=1*READY=1*STOPPING=1*) ok "sd_notify: READY=1, RELOADING=1, READY=1, STOPPING=1 in order" ;;
*) not_ok "sd_notify: READY=1, RELOADING=1, READY=1, STOPPING=1 in order" "got: $notes" ;; esac

# The iptables backend adds its IPv4 and IPv6 queue rules with two
# iptables-restore processes at once.  When one of them fails (a failing
# one first on PATH), the start fails naming it and its message, and what
# the other one added meanwhile is taken away again: both ways round.
for fam in ip6 ip; do
	mkdir -p "$T/failbin-$fam"
	cat >"$T/failbin-$fam/${fam}tables-restore" <<'EOF2'
#!/bin/sh
cat >/dev/null
echo "${0##*/} v1.8.9 (nf_tables): line 2: RULE_INSERT failed (Operation not supported): rule in chain FORWARD" >&2
exit 4
EOF2
	chmod +x "$T/failbin-$fam/${fam}tables-restore"
	tag="iptables backend, ${fam}tables-restore fails"
	other=$([ $fam = ip6 ] && echo IPv4 || echo IPv6)
	ruleset_snap >"$T/before-fail"
	if LAB_GE_WRAP="env PATH=$T/failbin-$fam:$PATH" lab_run_geoegress "$P" "$POL" --hook-backend iptables 2>/dev/null; then
		not_ok "$tag: the start fails"
		lab_stop_geoegress "$P"
	else
		[ "$LAB_GE_RC" = 1 ] && ok "$tag: exit 1" || not_ok "$tag: exit 1" "exit $LAB_GE_RC"
		check_grep "$tag: the error names it, its status and its message" \
			"${fam}tables-restore failed \\(exit 4\\) adding the queue rule to $fam mangle: .*RULE_INSERT failed" \
			"$(lab_dir "$P")/geoegress.log"
	fi
	ruleset_snap >"$T/after-fail"
	cmp -s "$T/before-fail" "$T/after-fail" && ok "$tag: the $other rule added meanwhile is gone, ruleset as before" ||
		not_ok "$tag: ruleset as before" "$(diff "$T/before-fail" "$T/after-fail")"
done

ruleset_snap >"$T/before-nohook"
netns_start "$POL" --no-hook
ruleset_snap >"$T/nohook"
if cmp -s "$T/before-nohook" "$T/nohook"; then ok "--no-hook: ruleset untouched while running"
else not_ok "--no-hook: ruleset untouched while running" "$(diff "$T/before-nohook" "$T/nohook")"; fi
rc=$(curl_rc "$P-phone" http://198.51.100.10/)
[ "$rc" = 0 ] && ok "--no-hook: nothing is queued (CN passes without an admin rule)" || not_ok "--no-hook: nothing is queued" "curl exit $rc"
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "--no-hook: clean exit" || not_ok "--no-hook: clean exit" "exit $LAB_GE_RC"
ruleset_snap >"$T/after-nohook"
cmp -s "$T/before-nohook" "$T/after-nohook" && ok "--no-hook: ruleset untouched after exit" ||
	not_ok "--no-hook: ruleset untouched after exit" "$(diff "$T/before-nohook" "$T/after-nohook")"
tap_done
