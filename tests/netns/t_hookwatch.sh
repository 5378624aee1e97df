#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The hook holds (issue 9): a daemon rejecting CN for managed devices, then
# in gw another tool changes the ruleset: `nft flush ruleset`; Debian's
# nftables.service reload (`nft -f` of its stock /etc/nftables.conf);
# `iptables-restore` of a ruleset saved before the start (filter and
# mangle: it flushes mangle, where the iptables backend's queue rule is),
# with the admin's rules in place and at boot (daemon first); deleting our
# table; deleting our queue rule (iptables) or queue chain (nft); a rule put
# before ours.  After each: a fresh connection to CN is refused again and
# one to SG passes within 1 s of the change (REPAIR_MAX_MS; a prober in the
# phone opens fresh connections every ~20 ms; the change is the first CN
# connection that passed, or the tool's commit as `nft monitor` in gw
# reports it), the
# daemon's log names the change and the process ("nft[pid]"), stats counts
# the repair, an SG session established before the change keeps talking,
# and after SIGTERM the ruleset is exactly what the other tool leaves (its
# action applied to the same ruleset without geoegress).  An accept-all
# chain of another table at a lower priority lets nothing through and needs
# no repair; a harmless rule added to our table is repaired without letting
# a fresh CN connection through meanwhile.  Fail-mode open (the hook gone
# means traffic passes) for all;
# closed once: the same, and after SIGTERM + unlock what the tool left.
# Every backend the kernel allows, or the one $LAB_GE_ARGS names.
. "$(dirname "$0")/common.sh"
netns_setup hookwatch
GELOG=$(lab_dir "$P")/geoegress.log
REPAIR_MAX_MS=${REPAIR_MAX_MS:-1000}
CN4=http://198.51.100.10/ CN6="http://[2001:db8:86::10]/" SG4=http://203.0.113.10/ SG6="http://[2001:db8:65::10]/"
gw() { lab_in "$P-gw" "$@"; }
# shellcheck disable=SC2154  # p: the trap's own loop variable
trap 'for p in "${PROBER_PID:-}" "${MONITOR_PID:-}" "${SESSION_PID:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; netns_cleanup' EXIT

policy() {	# policy FILE MODE
	cat >"$1" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option fail-mode $2
devices managed = { 02:00:5e:00:53:01, 198.18.1.20, 2001:db8:1::20 }
# TCP is rejected: a refused connection proves that the daemon decided it,
# at once, where a timeout would only say that something dropped it.
reject from @managed to country CN proto tcp name "no-cn-tcp"
block from @managed to country CN name "no-cn"
default allow
EOF
}
policy "$T/open.conf" open
policy "$T/closed.conf" closed

# The admin's ruleset, saved before geoegress ever ran: a filter rule and the
# common MSS clamp in mangle (so iptables-restore flushes mangle).
gw iptables -A FORWARD -s 198.18.9.9/32 -j ACCEPT
gw ip6tables -A FORWARD -s 2001:db8:9::9/128 -j ACCEPT
gw iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
gw ip6tables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
gw iptables-save >"$T/rules.v4"
gw ip6tables-save >"$T/rules.v6"
grep -q TCPMSS "$T/rules.v4" && grep -q 198.18.9.9 "$T/rules.v4" || { not_ok "admin ruleset saved"; tap_done; exit 1; }

# Debian 12's /etc/nftables.conf, as nftables.service loads it.
cat >"$T/nftables.conf" <<'EOF'
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
EOF
cat >"$T/other.nft" <<'EOF'
table inet other {
	chain f {
		type filter hook forward priority -300; policy accept;
		accept
	}
}
EOF

base_admin() {	# the admin's ruleset and nothing else
	gw nft flush ruleset && gw iptables-restore <"$T/rules.v4" && gw ip6tables-restore <"$T/rules.v6"
}
base_empty() { gw nft flush ruleset; }	# a fresh boot

# The other tools' actions; each runs as the process in $T/tool.pid.
TOOL_PID=$T/tool.pid
act_flush() { in_gw_as "$TOOL_PID" nft flush ruleset; }
act_nftables_reload() { in_gw_as "$TOOL_PID" nft -f "$T/nftables.conf"; }
act_restore() { in_gw_as "$TOOL_PID" iptables-restore <"$T/rules.v4"; }
act_delete_table() { in_gw_as "$TOOL_PID" nft delete table inet geoegress; }
act_delete_queue() {
	local spec
	if [ "$BACKEND" = nft ]; then
		# flush first: older kernels refuse to delete a chain with rules
		in_gw_as "$TOOL_PID" nft "flush chain inet geoegress forward_queue; delete chain inet geoegress forward_queue"
		return
	fi
	spec=$(gw iptables -t mangle -S FORWARD | grep -- '--comment geoegress' | sed 's/^-A FORWARD //')
	[ -n "$spec" ] || return 1
	# shellcheck disable=SC2086  # the rule's words, as iptables -S prints them
	in_gw_as "$TOOL_PID" iptables -t mangle -D FORWARD $spec
}
act_insert_before() {
	if [ "$BACKEND" = nft ]; then
		in_gw_as "$TOOL_PID" nft insert rule inet geoegress forward_queue accept
	else
		in_gw_as "$TOOL_PID" iptables -t mangle -I FORWARD 1 -j ACCEPT
	fi
}
act_other_table() { in_gw_as "$TOOL_PID" nft -f "$T/other.nft"; }
# A change to our table that breaks nothing: its repair must not open a
# gap of its own.
act_harmless() { in_gw_as "$TOOL_PID" nft add rule inet geoegress refuse counter; }

repairs() { ge_json | jq -r '.hook_state.repairs // -1'; }

# wait_repairs N: polls stats every 0.1 s (<= 3 s) until repairs > N
wait_repairs() {
	for _ in $(seq 1 30); do
		[ "$(repairs)" -gt "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The clock for "blocked again within 1 s": one process in the phone that
# keeps opening fresh connections, CN then SG, and notes when each began
# and ended (ms, realtime) and how: "pass", "refused", "timeout".  Process
# start-up is slow in a VM; connect() is not.
PROBER_PID=
prober_start() {
	rm -f "$T/prober.stop" "$T/prober.out"
	ip netns exec "$P-phone" "$LAB_PYTHON" - "$T/prober.stop" "$T/prober.out" <<'EOF' &
import os, socket, sys, time
stop, out = sys.argv[1], sys.argv[2]
end = time.time() + 60
with open(out, "w", buffering=1) as f:
    while time.time() < end and not os.path.exists(stop):
        for name, addr in (("cn", "198.51.100.10"), ("sg", "203.0.113.10")):
            s = socket.socket()
            s.settimeout(0.3)
            t = time.time()
            try:
                s.connect((addr, 80))
                r = "pass"
            except ConnectionRefusedError:
                r = "refused"
            except socket.timeout:
                r = "timeout"
            except OSError:
                r = "error"
            finally:
                s.close()
            f.write("%d %d %s %s\n" % (t * 1000, time.time() * 1000, name, r))
        time.sleep(0.02)
EOF
	PROBER_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/prober.out" ] && return 0
		sleep 0.1
	done
	return 1
}
prober_stop() {
	touch "$T/prober.stop"
	for _ in $(seq 1 30); do kill -0 "$PROBER_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$PROBER_PID" 2>/dev/null
	wait "$PROBER_PID" 2>/dev/null
	PROBER_PID=
}
# prober_ms T0 TREF: among connections begun at T0 or later, ms from TREF
# until CN was refused for good (no later CN connection passed; one that
# timed out, its SYN dropped, did not pass either) and then an SG
# connection passed (0 when that was before TREF); -1 if never.
prober_ms() {
	awk -v t0="$1" -v tref="$2" '$1 >= t0 {
		if ($3 == "cn") {
			if ($4 == "refused") { if (!cn) cn = $2 } else if ($4 == "pass") { cn = 0; sg = 0 }
		} else if (cn && $4 == "pass" && !sg) sg = $2
	} END { print (cn && sg) ? (sg > tref ? sg - tref : 0) : -1 }' "$T/prober.out"
}

# The moment of the change: `nft monitor` in gw, each line stamped when it
# is read; the tool's commit is "# new generation N by process PID".
MONITOR_PID=
monitor_start() {
	rm -f "$T/monitor.stop" "$T/monitor.out"
	ip netns exec "$P-gw" "$LAB_PYTHON" - "$T/monitor.stop" "$T/monitor.out" <<'EOF' &
import os, select, subprocess, sys, time
stop, out = sys.argv[1], sys.argv[2]
p = subprocess.Popen(["nft", "monitor"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
end, buf = time.time() + 60, b""
with open(out, "w", buffering=1) as f:
    while time.time() < end and not os.path.exists(stop):
        if not select.select([p.stdout], [], [], 0.1)[0]:
            continue
        d = os.read(p.stdout.fileno(), 65536)
        if not d:
            break
        t, buf = time.time() * 1000, buf + d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            f.write("%d %s\n" % (t, line.decode(errors="replace")))
p.kill()
p.wait()
EOF
	MONITOR_PID=$!
	# Listening once it reports a change made here.
	for _ in $(seq 1 20); do
		gw nft "add table inet hwsync; delete table inet hwsync" 2>/dev/null
		grep -q hwsync "$T/monitor.out" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
monitor_stop() {
	touch "$T/monitor.stop"
	for _ in $(seq 1 30); do kill -0 "$MONITOR_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$MONITOR_PID" 2>/dev/null
	wait "$MONITOR_PID" 2>/dev/null
	MONITOR_PID=
}
# commit_ms PID: when the monitor saw PID's first transaction (empty if not)
commit_ms() { awk -v p="$1" '$3 == "new" && $4 == "generation" && $8 == p { print $1; exit }' "$T/monitor.out"; }
# prober_wait T: waits (<= 3 s) for a CN connection refused and an SG one
# passed, both begun at T or later
prober_wait() {
	for _ in $(seq 1 30); do
		awk -v t="$1" '$1 >= t && $3 == "cn" && $4 == "refused" { c = 1 } $1 >= t && $3 == "sg" && $4 == "pass" { s = 1 }
			END { exit !(c && s) }' "$T/prober.out" && return 0
		sleep 0.1
	done
	return 1
}
# prober_seen T0: what the prober saw from T0 on (for a failure's details)
prober_seen() { awk -v t0="$1" '$1 >= t0 { printf "%s+%d:%s/%s ", $3, $1 - t0, $4, $2 - $1 }' "$T/prober.out" | cut -c1-1500; }

# scenario MODE NAME BASE ACTION COMM WHAT: WHAT is the change the daemon must
# report (an ERE), "" when nothing of ours changes (no repair expected).
scenario() {
	local mode=$1 name=$2 base=$3 act=$4 comm=$5 what=$6
	local tag="[$BACKEND] $mode, $name" n0 l0 c0 t0 tc tp tref dt got pid line st
	# What the tool leaves: its action on the same ruleset, without geoegress
	# (deleting something of ours then deletes nothing).
	$base || { not_ok "$tag: base ruleset"; return; }
	$act >/dev/null 2>&1
	ruleset_snap >"$T/left"
	$base
	netns_start "$T/$mode.conf"
	n0=$(repairs)
	l0=$(wc -l <"$GELOG")
	tcp_session_start "$P-phone" 203.0.113.10
	c0=$(tcp_session_count)
	prober_start || not_ok "$tag: the prober starts in the phone"
	monitor_start || not_ok "$tag: nft monitor runs in gw"
	rm -f "$TOOL_PID"
	# From the tool's start: the change happens somewhere in its run.
	t0=$(ms_now)
	if ! $act >"$T/act.out" 2>&1; then
		not_ok "$tag: the other tool's action" "$(cat "$T/act.out")"
	fi
	SC_T0=$t0
	pid=$(cat "$TOOL_PID" 2>/dev/null)
	if [ -n "$what" ]; then
		wait_repairs "$n0" || not_ok "$tag: stats counts a repair" "repairs $(repairs), was $n0; $(tail -3 "$GELOG")"
	fi
	# The prober's clock, once it has seen a round after the repair was
	# counted; then fresh connections, v4 and v6 (none of them should time
	# out: -m 3 only matters when something is wrong, or a VM is slow).
	prober_wait "$(ms_now)"
	prober_stop
	monitor_stop
	tc=$(commit_ms "$pid")
	got=$(probe "$P-phone" -m 3 "$CN4" "$SG4" "$CN6" "$SG6")
	[ "$got" = "7 0 7 0" ] && ok "$tag: fresh connections: CN refused, SG passes (v4, v6)" ||
		not_ok "$tag: fresh connections: CN refused, SG passes (v4, v6)" \
			"curl exits CN4 SG4 CN6 SG6: $got (want 7 0 7 0); $(tail -3 "$GELOG")"
	# The change: the first CN connection that passed, or the commit as the
	# monitor read it (late by its own reading, in a VM by 100s of ms),
	# whichever came first; the tool's start when neither is known.
	tp=$(awk -v t0="$t0" '$1 >= t0 && $3 == "cn" && $4 == "pass" { print $1; exit }' "$T/prober.out")
	tref=${tc:-${tp:-$t0}}
	[ -n "$tp" ] && [ "$tp" -lt "$tref" ] && tref=$tp
	[ -n "$tc" ] || not_ok "$tag: nft monitor saw the tool's commit (${comm}[$pid])" "$(tail -5 "$T/monitor.out")"
	dt=$(prober_ms "$t0" "$tref")
	if [ "$dt" -ge 0 ] && [ "$dt" -le "$REPAIR_MAX_MS" ]; then
		ok "$tag: CN refused again and SG passing ${dt} ms after the change (at +$((tref - t0)) ms of the tool's run; a CN connection passed: $([ -n "$tp" ] && echo "yes, at +$((tp - t0))" || echo no); commit seen at +$((${tc:-$t0} - t0)))"
	else
		not_ok "$tag: CN refused again and SG passing within $REPAIR_MAX_MS ms of the change" \
			"took $dt ms from +$((tref - t0)) ms; seen (what+ms:result/ms): $(prober_seen "$t0")"
	fi
	[ -n "$what" ] && echo "$dt" >>"$T/repair-ms"
	# The CN connections that got through while the hook was gone carry
	# no decision; the repair has them decided at once (the sweep), not at
	# the next periodic sweep 10 s on: conntrack keeps none undecided (it
	# keeps the closed ones, marked; a blocked open one is deleted: cut,
	# so none may be left to count).  The repair was counted some 0.5 s
	# ago (the checks above): 1.5 s more at most.
	if [ -n "$what" ] && [ -n "$tp" ]; then
		for _ in $(seq 1 15); do
			[ "$(ct_undecided "$P-gw" 'dst=(198\.51\.100\.10|2001:db8:86::10) ')" = 0 ] && break
			sleep 0.1
		done
		got=$(ct_undecided "$P-gw" 'dst=(198\.51\.100\.10|2001:db8:86::10) ')
		[ "$got" = 0 ] && ok "$tag: the CN connections that passed while the hook was gone are decided right after the repair" ||
			not_ok "$tag: the CN connections that passed while the hook was gone are decided right after the repair" \
				"$got undecided: $(gw conntrack -L 2>/dev/null | grep -E 'dst=(198\.51\.100\.10|2001:db8:86::10) ' | head -5)"
	fi
	if [ -n "$what" ]; then
		line=$(tail -n +"$((l0 + 1))" "$GELOG" | grep -E "^hook: " | head -1)
		if printf '%s' "$line" | grep -qE -- "^hook: $what, by ${comm}\[$pid\]; restored$"; then
			ok "$tag: the daemon warns: $line"
		else
			not_ok "$tag: the daemon warns naming the change and ${comm}[$pid]" "got: '$line'; want /$what, by ${comm}[$pid]; restored/"
		fi
		st=$(ge_json | jq -c '.hook_state | [.repairs, .state, .last_change]')
		case $st in
		"[$((n0 + 1)),\"intact\",\""*"by ${comm}[$pid]\"]") ok "$tag: stats: one repair, intact, last change by ${comm}[$pid]" ;;
		*) not_ok "$tag: stats: one repair, intact, last change by ${comm}[$pid]" "got $st, repairs were $n0" ;;
		esac
	else
		# Nothing of ours changed: no repair, no warning.
		sleep 0.3
		st=$(repairs)
		line=$(tail -n +"$((l0 + 1))" "$GELOG" | grep -E "^hook: " | head -1)
		[ "$st" = "$n0" ] && [ -z "$line" ] && ok "$tag: nothing of ours changed: no repair, no warning" ||
			not_ok "$tag: nothing of ours changed: no repair, no warning" "repairs $st (was $n0); $line"
	fi
	c0=$(tcp_session_count)
	if tcp_session_wait_more "$((c0 + 3))"; then
		st=$(tcp_session_end)
		case $st in ok*) ok "$tag: an SG session established before the change keeps talking ($st echoes)" ;;
		*) not_ok "$tag: an SG session established before the change keeps talking" "$st" ;; esac
	else
		not_ok "$tag: an SG session established before the change keeps talking" "$(tcp_session_end)"
	fi
	lab_stop_geoegress "$P"
	[ "$LAB_GE_RC" = 0 ] || not_ok "$tag: exit status 0 after SIGTERM" "exit $LAB_GE_RC: $(tail -3 "$GELOG")"
	if [ "$mode" = closed ]; then
		# Held closed after SIGTERM: what the tool left plus our held
		# table; `geoegress unlock` removes ours.
		got=$(probe "$P-phone" "$SG4")
		[ "$got" = 28 ] && ok "$tag: held closed after SIGTERM (new SG flow stopped)" ||
			not_ok "$tag: held closed after SIGTERM (new SG flow stopped)" "curl exit $got"
		lab_unlock "$P" >"$T/unlock.out" 2>&1 || not_ok "$tag: geoegress unlock" "$(cat "$T/unlock.out")"
	fi
	ruleset_snap >"$T/after"
	if cmp -s "$T/left" "$T/after"; then
		ok "$tag: after SIGTERM$([ "$mode" = closed ] && echo ' and unlock') the ruleset is exactly what the tool left"
	else
		not_ok "$tag: after SIGTERM the ruleset is exactly what the tool left" "$(diff "$T/left" "$T/after")"
	fi
}

# The undecided count never goes back (stats, and the Prometheus counter
# geoegress_undecided_packets_total): a CN connection that passed undecided
# (an accept put before our queue rule while the daemon was stopped, so it
# could not repair at once) stays counted after another tool deletes our
# table, and its counter with it.
undecided_kept() {
	local tag="[$BACKEND] open" pid n0 u1=0 u2 got
	base_admin
	netns_start "$T/open.conf"
	pid=$(cat "$(lab_dir "$P")/geoegress.pid")
	n0=$(repairs)
	kill -STOP "$pid"
	act_insert_before >/dev/null 2>&1
	got=$(probe "$P-phone" -m 2 "$CN4")
	kill -CONT "$pid"
	wait_repairs "$n0" || not_ok "$tag: the accept before the queue rule is repaired"
	for _ in $(seq 1 30); do	# the counter is read once a second
		u1=$(ge_json | jq '.undecided.packets')
		[ "$u1" -gt 0 ] 2>/dev/null && break
		sleep 0.1
	done
	[ "$got" = 0 ] && [ "$u1" -gt 0 ] 2>/dev/null && ok "$tag: a CN connection past an accept before the queue rule is counted undecided ($u1 packets)" ||
		not_ok "$tag: a CN connection past an accept before the queue rule is counted undecided" "curl exit $got, undecided $u1"
	n0=$(repairs)
	kill -STOP "$pid"
	act_flush >/dev/null 2>&1
	kill -CONT "$pid"
	wait_repairs "$n0" || not_ok "$tag: nft flush ruleset is repaired"
	sleep 1.5	# a tick reads the new table's counter
	u2=$(ge_json | jq '.undecided.packets')
	[ "$u2" -ge "$u1" ] 2>/dev/null && [ "$u1" -gt 0 ] 2>/dev/null &&
		ok "$tag: after nft flush ruleset took our table and its counter, the undecided count stays ($u1 -> $u2)" ||
		not_ok "$tag: after nft flush ruleset the undecided count stays" "$u1 -> $u2"
	lab_stop_geoegress "$P"
}

run_backend() {
	BACKEND=$1
	local m=open
	scenario $m "nft flush ruleset" base_admin act_flush nft "table inet geoegress was deleted"
	scenario $m "nftables.service reload (stock nftables.conf)" base_admin act_nftables_reload nft \
		"table inet geoegress was deleted"
	if [ "$BACKEND" = iptables ]; then
		scenario $m "iptables-restore of the rules saved before start" base_admin act_restore \
			iptables-restor "the queue rule in ip mangle FORWARD was deleted"
		scenario $m "iptables-restore at boot, daemon started first" base_empty act_restore \
			iptables-restor "the queue rule in ip mangle FORWARD was deleted"
	else
		# Our queue chain is in our table: mangle is not ours to watch.
		scenario $m "iptables-restore of the rules saved before start" base_admin act_restore "" ""
		scenario $m "iptables-restore at boot, daemon started first" base_empty act_restore "" ""
	fi
	scenario $m "nft delete table inet geoegress" base_admin act_delete_table nft "table inet geoegress was deleted"
	if [ "$BACKEND" = iptables ]; then
		scenario $m "iptables -D of our queue rule" base_admin act_delete_queue iptables \
			"the queue rule in ip mangle FORWARD was deleted"
		scenario $m "iptables -t mangle -I FORWARD 1 -j ACCEPT" base_admin act_insert_before iptables \
			"a rule was put before the queue rule in ip mangle FORWARD"
	else
		scenario $m "nft delete chain inet geoegress forward_queue (our queue rule)" base_admin act_delete_queue nft \
			"table inet geoegress was changed"
		scenario $m "an accept inserted before our queue rule" base_admin act_insert_before nft \
			"table inet geoegress was changed"
	fi
	scenario $m "accept-all table of another tool at priority -300" base_admin act_other_table "" ""
	scenario $m "a counter rule added to our table" base_admin act_harmless nft "table inet geoegress was changed"
	# Nothing was open before the repair, so nothing may pass while it
	# runs (a dropped SYN, a timeout, is allowed: packets queued by a chain
	# being replaced are dropped by the kernel).
	got=$(awk -v t0="$SC_T0" '$1 >= t0 && $3 == "cn" && $4 == "pass"' "$T/prober.out" | wc -l)
	[ "$got" = 0 ] && ok "[$BACKEND] $m, a counter rule added to our table: no fresh CN connection passes during the repair" ||
		not_ok "[$BACKEND] $m, a counter rule added to our table: no fresh CN connection passes during the repair" \
			"$got passed; seen: $(prober_seen "$SC_T0")"
	scenario closed "nft flush ruleset" base_admin act_flush nft "table inet geoegress was deleted"
	undecided_kept
}

for_backends run_backend
if [ -s "$T/repair-ms" ]; then
	echo "# from the change to CN refused + SG passing, ms: median $(sort -n "$T/repair-ms" |
		awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'), max $(sort -n "$T/repair-ms" | tail -1), n $(wc -l <"$T/repair-ms")"
fi
tap_done
