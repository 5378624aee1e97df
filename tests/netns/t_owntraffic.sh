#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The gateway's own traffic (issue 9): with `option hooks forward, output`
# and `option unknown block`, the gateway's own services on 127.0.0.1, ::1
# and its LAN addresses answer (loopback is never queued, and nothing about
# them is logged); its own flows to CN are blocked and to SG allowed;
# forwarded flows are decided as before.  `check --resolv-conf FILE` warns
# about resolvers the policy would block (CN, unknown) and not about an
# allowed or a loopback one; it names where NTP (udp/123) would be stopped,
# and says nothing of either when the policy stops neither or has no output
# hook.  Every backend the kernel allows, or the one $LAB_GE_ARGS names.
. "$(dirname "$0")/common.sh"
netns_setup owntraffic
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate unlimited
option hooks forward, output
option unknown block
block to country CN name "no-cn"
default allow
EOF
SRV_PID=
stop_srv() {
	[ -n "$SRV_PID" ] || return 0
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}
trap 'stop_srv; netns_cleanup' EXIT
gw() { lab_in "$P-gw" "$@"; }

# The gateway's own web service, on every loopback and LAN address of gw.
cat >"$T/srv.py" <<'EOF'
import socket, socketserver, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(s):
        s.send_response(200)
        s.send_header("Content-Length", "3")
        s.end_headers()
        s.wfile.write(b"gw\n")
    def log_message(s, *a): pass
class S4(ThreadingHTTPServer):
    daemon_threads = True
    def server_bind(s):	# without getfqdn(): no DNS here
        socketserver.TCPServer.server_bind(s)
        s.server_name, s.server_port = "gw", s.server_address[1]
class S6(S4):
    address_family = socket.AF_INET6
for a in sys.argv[2:]:
    srv = (S6 if ":" in a else S4)((a, int(sys.argv[1])), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait(300)
EOF
OWN="127.0.0.1 ::1 198.18.1.1 2001:db8:1::1"
url() { case $1 in *:*) echo "http://[$1]:$2/" ;; *) echo "http://$1:$2/" ;; esac; }

run_backend() {
	local tag="[$1]" a urls=() got
	: >"$LOG"
	netns_start "$POL"
	# shellcheck disable=SC2086
	ip netns exec "$P-gw" "$LAB_PYTHON" "$T/srv.py" 8080 $OWN >"$T/srv.out" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 1 50); do grep -q ready "$T/srv.out" && break; sleep 0.1; done
	grep -q ready "$T/srv.out" || not_ok "$tag the gateway's own web service starts" "$(cat "$T/srv.out")"
	for a in $OWN; do urls+=("$(url "$a" 8080)"); done
	got=$(probe "$P-gw" -m 3 "${urls[@]}")
	[ "$got" = "0 0 0 0" ] && ok "$tag unknown block: the gateway's own services on $OWN answer" ||
		not_ok "$tag unknown block: the gateway's own services on $OWN answer" "curl exits $got"
	for a in $OWN; do
		no_log "$tag nothing logged about the gateway's own $a" ".dst==\"$a\""
	done
	got=$(probe "$P-gw" http://198.51.100.10/ "http://[2001:db8:86::10]/" -m 3 http://203.0.113.10/ \
		"http://[2001:db8:65::10]/" -m 1 http://198.19.0.10/)
	[ "$got" = "28 28 0 0 28" ] && ok "$tag the gateway's own flows: CN blocked (v4, v6), SG allowed (v4, v6), unknown blocked" ||
		not_ok "$tag the gateway's own flows: CN blocked, SG allowed, unknown blocked" \
			"curl exits CN4 CN6 SG4 SG6 unknown: $got, want 28 28 0 0 28"
	check_log "$tag the gateway's own CN flow is logged as a block on the output hook" \
		'.dst=="198.51.100.10" and .src=="198.18.0.1"' \
		'.action=="block" and .country=="CN" and .in==null and .out=="wan0"'
	got=$(gw dig +time=1 +tries=1 +short @203.0.113.10 sg.example.test 2>&1)
	[ "$got" = 203.0.113.10 ] && ok "$tag the gateway's own DNS query to SG is answered" ||
		not_ok "$tag the gateway's own DNS query to SG is answered" "$got"
	got=$(probe "$P-phone" http://198.51.100.10/ -m 3 http://203.0.113.10/)
	[ "$got" = "28 0" ] && ok "$tag forwarded: the phone's CN flow blocked, SG allowed" ||
		not_ok "$tag forwarded: the phone's CN flow blocked, SG allowed" "curl exits $got"
	stop_srv
	lab_stop_geoegress "$P"
	[ "$LAB_GE_RC" = 0 ] && ok "$tag clean exit" || not_ok "$tag clean exit" "exit $LAB_GE_RC"
}
for_backends run_backend

# check --resolv-conf: the gateway's resolvers and NTP (run in gw, where
# `check` as root looks at the ruleset for a held gateway).
cat >"$T/resolv.conf" <<'EOF'
# a gateway's resolv.conf
nameserver 198.51.100.10
nameserver 203.0.113.10
nameserver 127.0.0.53
nameserver ::1
nameserver 198.19.0.10
nameserver 2001:db8:86::10
options edns0
EOF
out=$(gw "$GEOEGRESS" check -c "$POL" --resolv-conf "$T/resolv.conf" --state-dir "$T" 2>&1)
rc=$?
[ $rc = 0 ] && ok "check: policy OK (exit 0) with warnings" || not_ok "check: policy OK (exit 0) with warnings" "exit $rc: $out"
for a in 198.51.100.10 2001:db8:86::10 198.19.0.10; do
	grep -qE "warning: .*resolver $a .*would be blocked" <<<"$out" && ok "check warns: resolver $a would be blocked" ||
		not_ok "check warns: resolver $a would be blocked" "$out"
done
for a in 203.0.113.10 127.0.0.53 ::1; do
	grep -qF "resolver $a " <<<"$out" && not_ok "check: no warning about resolver $a (allowed or loopback)" "$out" ||
		ok "check: no warning about resolver $a (allowed or loopback)"
done
grep -qE 'warning: .*NTP \(udp/123\) would be stopped to .*\bCN\b' <<<"$out" &&
	grep -qE 'NTP .*unknown destinations' <<<"$out" &&
	ok "check warns: NTP (udp/123) would be stopped to unknown destinations and CN" ||
	not_ok "check warns: NTP (udp/123) would be stopped to unknown destinations and CN" "$out"

# A policy that stops neither DNS nor NTP for the gateway: no warnings.
sed -e 's/^option unknown block/option unknown allow/' -e 's/^block to country CN name/block to country CN proto tcp name/' \
	"$POL" >"$T/tcp-only.conf"
out=$(gw "$GEOEGRESS" check -c "$T/tcp-only.conf" --resolv-conf "$T/resolv.conf" --state-dir "$T" 2>&1)
grep -qE 'resolver|NTP' <<<"$out" && not_ok "check: a policy stopping only TCP to CN warns about neither resolvers nor NTP" "$out" ||
	ok "check: a policy stopping only TCP to CN warns about neither resolvers nor NTP"
# Without the output hook the gateway's own traffic is not decided.
grep -v '^option hooks' "$POL" >"$T/forward-only.conf"
out=$(gw "$GEOEGRESS" check -c "$T/forward-only.conf" --resolv-conf "$T/resolv.conf" --state-dir "$T" 2>&1)
grep -qE 'resolver|NTP' <<<"$out" && not_ok "check: without the output hook, no resolver or NTP warning" "$out" ||
	ok "check: without the output hook, no resolver or NTP warning"

# The hook as installed: loopback exempt before anything is marked.
out=$("$GEOEGRESS" check -c "$POL" --print-hook 2>/dev/null)
if awk '/chain output_classify/ { c = 1 } c && /oif "lo" return/ { lo = NR } c && /jump classify/ { j = NR; exit }
	END { exit !(lo && j && lo < j) }' <<<"$out"; then
	ok "check --print-hook: output_classify returns for oif lo before it jumps to classify"
else not_ok "check --print-hook: output_classify returns for oif lo before it jumps to classify" "$out"; fi
tap_done
