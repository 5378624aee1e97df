#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo`, non-interactively: its key lines (CN blocked, SG allowed,
# IPv6, ping, dig, guest logged, the phone known by MAC after a new address,
# report totals that agree with the flows shown, lookups on the real
# database), no colour codes off a tty, bounded in time, and nothing left
# behind: namespaces, processes, host firewall rules.  Then a second run
# with the same prefix, interrupted with SIGINT mid-way, cleans up too.
set -u
. "$(dirname "$0")/../lib.sh"

P=ge-tdemo-$$
tmp=$(mktemp -d /tmp/ge-tdemo-XXXXXX)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	# Only if the demo failed to clean up after itself (a test failure).
	if [ -f "$TOP/scripts/lab.sh" ]; then
		(. "$TOP/scripts/lab.sh" && lab_down "$P") >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$TOP" || exit 1

host_rules() { { nft list ruleset; iptables-save; ip6tables-save; } 2>/dev/null | grep -v '^#'; }
leftovers() {	# namespaces and processes of prefix $P, and the demo's temp dir
	ip netns list 2>/dev/null | grep -- "$P-"
	pgrep -af -- "geoegress-lab-$P" 2>/dev/null
	[ -e "/tmp/geoegress-lab-$P" ] && echo "/tmp/geoegress-lab-$P still exists"
	[ -n "${1:-}" ] && [ -e "$1" ] && echo "$1 still exists"
}
host_rules >"$tmp/rules.before"

# --- 1. make demo ---------------------------------------------------------
start=$(date +%s)
DEMO_PREFIX=$P timeout -k 10 150 make --no-print-directory -s BUILD="$BUILD" demo >"$tmp/out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
[ $rc -eq 0 ] && ok "make demo exits 0 (${secs}s)" || not_ok "make demo exit status $rc" "$(tail -30 "$tmp/out")"
# Budget: under a minute once the real database exists (it is built once).
grep -q 'building the real country database' "$tmp/out" && budget=90 || budget=60
case $BUILD in *-san) budget=$((budget * 2)) ;; esac	# ASan/UBSan binaries are slower
[ "$secs" -lt "$budget" ] && ok "demo took ${secs}s (< ${budget}s)" || not_ok "demo took ${secs}s (>= ${budget}s)"

expect() {	# expect DESCRIPTION REGEX — a line of the demo's output
	if grep -Eq -- "$2" "$tmp/out"; then ok "$1"; else not_ok "$1" "no line /$2/; output:
$(grep -E '→|^==|demo:' "$tmp/out")"; fi
}
A='[[:space:]]+'
expect "phone curl to CN server blocked by the IAF rule, client timed out" \
	"^phone${A}→ 198\.51\.100\.10:80${A}\(CN China\)${A}curl:${A}BLOCKED \(rule [0-9]+ '[^']+'\)${A}client: timed out$"
expect "phone curl to SG server allowed, client got HTTP 200" \
	"^phone${A}→ 203\.0\.113\.10:80${A}\(SG Singapore\)${A}curl:${A}ALLOWED.*client: HTTP 200$"
expect "phone ping to CN blocked, no reply" \
	"^phone${A}→ 198\.51\.100\.10${A}\(CN China\)${A}ping:${A}BLOCKED .*client: no reply$"
expect "phone UDP (nc) to SG allowed, echo came back" \
	"^phone${A}→ 203\.0\.113\.10:7${A}\(SG Singapore\)${A}nc:${A}ALLOWED.*client: UDP echo came back$"
expect "phone IPv6 curl to CN blocked" \
	"^phone${A}→ \[2001:db8:86::10\]:80${A}\(CN China\)${A}curl:${A}BLOCKED .*client: timed out$"
expect "phone IPv6 curl to SG allowed" \
	"^phone${A}→ \[2001:db8:65::10\]:80${A}\(SG Singapore\)${A}curl:${A}ALLOWED.*client: HTTP 200$"
expect "laptop dig to the IN DNS server answered" \
	"^laptop${A}→ 192\.0\.2\.10:53${A}\(IN India\)${A}dig:${A}ALLOWED.*client: answer in\.example\.test = 192\.0\.2\.10$"
expect "laptop (managed by address) curl to CN blocked" \
	"^laptop${A}→ 198\.51\.100\.10:80${A}\(CN China\)${A}curl:${A}BLOCKED"
expect "guest curl to CN logged and allowed" \
	"^guest${A}→ 198\.51\.100\.10:80${A}\(CN China\)${A}curl:${A}LOGGED, allowed \(rule [0-9]+.*client: HTTP 200$"
expect "unknown-region server shown as unknown with a decision" \
	"^phone${A}→ 198\.19\.0\.10:80${A}\(unknown\)${A}curl:${A}[A-Z]+"
# After the address change the phone (same MAC) is still blocked.
after=$(sed -n '/the phone now has 198.18.1.77/,$p' "$tmp/out" | grep -E '^phone')
case $after in *"198.51.100.10:80"*BLOCKED*"timed out"*) ok "phone with a new address still blocked (MAC)" ;;
*) not_ok "phone after the address change" "$after" ;; esac

# The report's totals agree with the flows the demo showed.
nblock=$(grep -cE '^(phone|laptop|guest) .*: BLOCKED' "$tmp/out")
nlog=$(grep -cE '^(phone|laptop|guest) .*: LOGGED' "$tmp/out")
acts=$(grep -E '^Actions:' "$tmp/out" | head -1)
rb=$(sed -nE 's/.*block ([0-9]+).*/\1/p' <<<"$acts") rl=$(sed -nE 's/.* log ([0-9]+).*/\1/p' <<<"$acts")
if [ -n "$rb" ] && [ "$rb" -ge "$nblock" ] && [ "$nblock" -ge 5 ] && [ "$rl" = "$nlog" ]; then
	ok "report totals: '$acts' (demo showed $nblock blocked, $nlog logged flows)"
else
	not_ok "report totals vs flows shown ($nblock blocked, $nlog logged)" "${acts:-no Actions: line}"
fi
expect "geoegress stats shown" '^packets '
expect "lookup 8.8.8.8 on the real database" "^8\.8\.8\.8${A}US${A}United States"
expect "lookup 114.114.114.114 on the real database" "^114\.114\.114\.114${A}CN${A}China"
expect "lookup 2001:4860:4860::8888 on the real database" "^2001:4860:4860::8888${A}US"
expect "demo reports its cleanup" '^demo: cleaned up'
grep -q $'\e' "$tmp/out" && not_ok "colour escape codes in non-tty output" || ok "no colour codes off a tty"

demotmp=$(sed -nE 's|^demo: cleaned up .*, (/tmp/geoegress-demo-[A-Za-z0-9]+)\)$|\1|p' "$tmp/out")
left=$(leftovers "$demotmp")
[ -z "$left" ] && ok "nothing left: namespaces, processes, temp dirs" || not_ok "leftovers after the demo" "$left"
host_rules >"$tmp/rules.after"
diff -u "$tmp/rules.before" "$tmp/rules.after" >"$tmp/rules.diff" &&
	ok "host firewall rules unchanged" || not_ok "host firewall rules changed" "$(cat "$tmp/rules.diff")"

# --- 2. re-run, interrupted by SIGINT (Ctrl-C) mid-way ---------------------
# A background job of a script starts with SIGINT ignored; reset it first.
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' env DEMO_PREFIX="$P" BUILD="$BUILD" scripts/demo >"$tmp/out2" 2>&1 &
dpid=$!
for i in $(seq 1 600); do grep -q '^== Flows' "$tmp/out2" && break; kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
if grep -q '^== Flows' "$tmp/out2"; then
	ok "second run with the same prefix got to the flows"
	sleep 1
	kill -INT "$dpid"
	for i in $(seq 1 150); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$dpid" 2>/dev/null; then
		not_ok "demo still running 15 s after SIGINT"
	else
		wait "$dpid"; rc=$?
		dpid=
		[ $rc -eq 130 ] && ok "SIGINT: demo exits 130" || not_ok "SIGINT: exit status $rc" "$(tail -5 "$tmp/out2")"
	fi
	grep -q '^demo: cleaned up' "$tmp/out2" && ok "SIGINT: demo cleaned up" || not_ok "SIGINT: no cleanup line" "$(tail -5 "$tmp/out2")"
	demotmp=$(sed -nE 's|^demo: cleaned up .*, (/tmp/geoegress-demo-[A-Za-z0-9]+)\)$|\1|p' "$tmp/out2")
	left=$(leftovers "$demotmp")
	[ -z "$left" ] && ok "SIGINT: nothing left" || not_ok "SIGINT: leftovers" "$left"
else
	not_ok "second run did not reach the flows" "$(tail -20 "$tmp/out2")"
fi
host_rules >"$tmp/rules.after2"
cmp -s "$tmp/rules.before" "$tmp/rules.after2" && ok "host firewall rules unchanged after SIGINT" ||
	not_ok "host rules changed after SIGINT" "$(diff "$tmp/rules.before" "$tmp/rules.after2")"

tap_done
