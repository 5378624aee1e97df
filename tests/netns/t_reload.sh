#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reload: SIGHUP with a new policy changes the next new flow's decision,
# and an established TCP session to the newly forbidden country is reset
# (decided again, option reload redecide); a broken policy and a
# corrupted database are refused by `geoegress reload` (exit 1, error text,
# logged) and the old policy keeps deciding; SIGUSR1 reopens the log.
. "$(dirname "$0")/common.sh"
netns_setup reload
POL=$T/policy.conf
DLOG=$(lab_dir "$P")/geoegress.log

policy() {	# policy DB BLOCKED_CC
	cat >"$POL.new" <<EOF
option database "$1"
option log-file "$LOG"
option log-rate unlimited
option unknown allow
devices managed = { 02:00:5e:00:53:01 }
block from @managed to country $2 name "block-$2"
default allow
EOF
	mv "$POL.new" "$POL"
}
reloads_ok() { ge_json | jq -r '.reloads.ok // empty' 2>/dev/null; }
wait_reload() {	# wait_reload N: until reloads.ok >= N (<= 5 s)
	local i
	for i in $(seq 1 50); do [ "$(reloads_ok)" -ge "$1" ] 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
cn_rc() { curl_rc "$P-phone" http://198.51.100.10/; }
sg_rc() { curl_rc "$P-phone" http://203.0.113.10/; }
expect_rc() {	# expect_rc DESC WANT GOT
	[ "$3" = "$2" ] && ok "$1" || not_ok "$1" "curl exit $3, want $2"
}

policy "$FIX/geoip2.mmdb" CN
netns_start "$POL"
expect_rc "policy A: CN blocked" 28 "$(cn_rc)"
expect_rc "policy A: SG allowed" 0 "$(sg_rc)"

# A long-lived TCP session to SG (echo on port 7), one line before the reload.
lab_in "$P-phone" python3 - "$T/go" >"$T/session.out" 2>&1 <<'EOF' &
import os, socket, sys, time
s = socket.create_connection(("203.0.113.10", 7), timeout=3)
s.sendall(b"before\n"); print("1:" + s.recv(100).decode().strip(), flush=True)
t = time.time()
while not os.path.exists(sys.argv[1]) and time.time() - t < 30: time.sleep(0.05)
s.settimeout(3)
s.sendall(b"after\n"); print("2:" + s.recv(100).decode().strip(), flush=True)
EOF
SESSION=$!
for i in $(seq 1 30); do grep -q '^1:' "$T/session.out" && break; sleep 0.1; done
check_grep "session: first line echoed before the reload" '^1:before$' "$T/session.out"

# Swap: now SG is forbidden, CN allowed.
policy "$FIX/geoip2.mmdb" SG
kill -HUP "$(cat "$(lab_dir "$P")/geoegress.pid")"
if wait_reload 1; then ok "SIGHUP reload counted in stats (reloads.ok)"; else not_ok "SIGHUP reload counted in stats" "$(ge_json)"; fi
expect_rc "after SIGHUP: CN allowed (next new flow)" 0 "$(cn_rc)"
expect_rc "after SIGHUP: SG blocked (next new flow)" 28 "$(sg_rc)"
check_log "after SIGHUP: SG block logged by the new rule" '.dst=="203.0.113.10" and .action=="block"' \
	".rule_name==\"block-SG\" and .country==\"SG\""
touch "$T/go"
wait "$SESSION" 2>/dev/null
# The reload decides established connections again (option reload
# redecide, the default; t_existing.sh has the new-only case): the session
# to the now forbidden SG gets a reset at its next line.
if grep -q 'ConnectionResetError' "$T/session.out" && ! grep -q '^2:' "$T/session.out"; then
	ok "established session to SG reset after the reload that forbids SG"
else not_ok "established session to SG reset after the reload" "$(cat "$T/session.out")"; fi

# A broken policy: reload refused with the parser's file:line:col, old one decides.
cp "$POL" "$T/good.conf"
printf 'option database "%s"\nblock from @nosuchset to country XX\ndefault allow\n' "$FIX/geoip2.mmdb" >"$POL"
out=$(lab_ge "$P" reload 2>&1); rc=$?
[ "$rc" = 1 ] && ok "reload of a broken policy exits 1" || not_ok "reload of a broken policy exits 1" "exit $rc: $out"
case $out in *"policy.conf:2:"*) ok "reload prints the policy error with file:line" ;;
*) not_ok "reload prints the policy error with file:line" "$out" ;; esac
check_grep "the rejected reload is logged by the daemon" 'policy\.conf:2:' "$DLOG"
expect_rc "broken policy: old policy still allows CN" 0 "$(cn_rc)"
expect_rc "broken policy: old policy still blocks SG" 28 "$(sg_rc)"
f=$(ge_json | jq -r '.reloads.failed' 2>/dev/null)
[ "${f:-0}" -ge 1 ] 2>/dev/null && ok "stats counts the failed reload" || not_ok "stats counts the failed reload" "reloads.failed=$f"

# A database copy works; a truncated copy is refused.
cp "$FIX/geoip2.mmdb" "$T/copy.mmdb"
policy "$T/copy.mmdb" SG
out=$(lab_ge "$P" reload 2>&1); rc=$?
[ "$rc" = 0 ] && ok "reload with a good database copy exits 0" || not_ok "reload with a good database copy exits 0" "exit $rc: $out"
head -c 300 "$FIX/geoip2.mmdb" >"$T/broken.mmdb"
policy "$T/broken.mmdb" CN
out=$(lab_ge "$P" reload 2>&1); rc=$?
[ "$rc" = 1 ] && ok "reload with a truncated database exits 1" || not_ok "reload with a truncated database exits 1" "exit $rc: $out"
case $out in *broken.mmdb*) ok "reload names the bad database" ;; *) not_ok "reload names the bad database" "$out" ;; esac
check_grep "the rejected database is logged by the daemon" 'broken\.mmdb' "$DLOG"
expect_rc "corrupt database: old policy still allows CN" 0 "$(cn_rc)"
expect_rc "corrupt database: old policy still blocks SG" 28 "$(sg_rc)"
if lab_ge "$P" stats >/dev/null 2>&1; then ok "daemon alive after refused reloads"; else not_ok "daemon alive after refused reloads"; fi

# SIGUSR1 reopens the decision log (logrotate: mv, then signal).
mv "$LOG" "$LOG.1"
kill -USR1 "$(cat "$(lab_dir "$P")/geoegress.pid")"
sleep 0.5
expect_rc "after SIGUSR1: SG still blocked" 28 "$(sg_rc)"
for i in $(seq 1 30); do [ -s "$LOG" ] && break; sleep 0.1; done
if [ -s "$LOG" ] && jq -e 'select(.dst=="203.0.113.10")' "$LOG" >/dev/null 2>&1; then
	ok "after SIGUSR1 the new decision goes to a new $(basename "$LOG")"
else not_ok "after SIGUSR1 the new decision goes to a new log file" "$(ls -l "$T")"; fi
n_old=$(wc -l <"$LOG.1")
sleep 0.3
[ "$(wc -l <"$LOG.1")" = "$n_old" ] && [ "$n_old" -ge 2 ] && ok "rotated file kept its lines and gets no more" ||
	not_ok "rotated file kept its lines and gets no more" "$n_old lines"
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
tap_done
