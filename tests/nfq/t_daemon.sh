#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's own smoke test in the netns lab (scripts/lab.sh): allow,
# block, reject through the gateway; one queued packet per one-way UDP
# stream; decision log fields; reload good/bad; clean exit; stale hook
# replaced after SIGKILL; fail-mode closed; log write failure.
set -u
. "$(dirname "$0")/../lib.sh"
. "$TOP/scripts/lab.sh"

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
P=ge-daemon-$$
D=$(lab_dir "$P")
GE=
NPID=
cleanup() {
	[ -n "$GE" ] && kill -KILL "$GE" 2>/dev/null
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null
	lab_down "$P"
}
trap cleanup EXIT

gw() { ip netns exec "$P-gw" "$@"; }
ge_ctl() { "$GEOEGRESS" "$1" --ctl "$D/ctl" "${@:2}"; }

ge_start() {	# ge_start POLICY [ARGS]: start the daemon in gw, wait <= 10 s for stats
	# A simple command, not a function: $! is then the daemon itself.
	ip netns exec "$P-gw" "$GEOEGRESS" run -f -c "$1" --ctl "$D/ctl" --pidfile "$D/ge.pid" \
		--state-dir "$D" ${LAB_GE_ARGS:-} "${@:2}" \
		>>"$D/ge.log" 2>&1 &
	GE=$!
	for _ in $(seq 1 100); do
		ge_ctl stats >/dev/null 2>&1 && return 0
		kill -0 "$GE" 2>/dev/null || break
		sleep 0.1
	done
	echo "# geoegress did not get ready: $(tail -5 "$D/ge.log")"
	return 1
}
ge_stop() {	# ge_stop SIGNAL: sets GE_RC
	kill "-$1" "$GE" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$GE" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$GE" 2>/dev/null
	wait "$GE" 2>/dev/null
	GE_RC=$?
	GE=
}
idseq() { gw awk '$1 == 0 { print $8 }' /proc/net/netfilter/nfnetlink_queue; }
hooks_left() {	# prints what of ours is still installed
	gw iptables -t mangle -S 2>/dev/null | grep -i geoegress
	gw ip6tables -t mangle -S 2>/dev/null | grep -i geoegress
	gw nft list tables 2>/dev/null | grep -w geoegress
}
# queue_rules: the queue rules of ours (nft's in our table, or iptables-nft's
# in mangle, one per family and hook), one line each
queue_rules() {
	gw nft list table inet geoegress 2>/dev/null | grep -E '[[:space:]]queue (num|flags)'
	gw iptables -t mangle -S 2>/dev/null | grep -- '--comment geoegress'
	gw ip6tables -t mangle -S 2>/dev/null | grep -- '--comment geoegress'
}
log_has() { jq -se "map(select($1)) | length > 0" "$D/decisions.jsonl" >/dev/null; }
curl_ok() { lab_in "$P-phone" curl -sS -m "${2:-3}" -o /dev/null "http://$1/" 2>/dev/null; }

lab_up "$P" >/dev/null || { not_ok "lab up"; tap_done; exit 1; }
lab_servers "$P" >/dev/null || { not_ok "lab servers"; tap_done; exit 1; }
"$TOP/scripts/geodb-fixture" "$D/db" >/dev/null 2>&1
policy() {	# policy FILE LOGFILE EXTRA-LINES...
	local f=$1 log=$2; shift 2
	{
		echo "option database \"$D/db/geoip2.mmdb\""
		echo "option log-file \"$log\""
		printf '%s\n' "$@"
	} >"$f"
}
policy "$D/p1.conf" "$D/decisions.jsonl" "block to country CN" "reject to country IN" "default allow"

ge_start "$D/p1.conf" && ok "daemon starts and answers stats" || not_ok "daemon starts" "$(cat "$D/ge.log")"
check_grep "logs a ready line" 'ready' "$D/ge.log"
gw nft list table inet geoegress >/dev/null 2>&1 && [ -n "$(queue_rules)" ] &&
	ok "hook installed (table inet geoegress and its queue rule)" || not_ok "hook installed" "$(gw nft list ruleset)"
[ "$(stat -c %a "$D/ctl")" = 600 ] && ok "control socket is 0600" || not_ok "control socket mode" "$(stat -c %a "$D/ctl")"

curl_ok 203.0.113.10 && ok "tcp to SG allowed" || not_ok "tcp to SG allowed"
curl_ok 198.51.100.10 2 && not_ok "tcp to CN blocked" || ok "tcp to CN blocked"
t0=$(date +%s%N)
curl_ok 192.0.2.10 5; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 7 ] && [ $ms -lt 1000 ] && ok "tcp to IN rejected at once (${ms} ms)" || not_ok "tcp to IN rejected" "rc=$rc ms=$ms"
lab_in "$P-phone" ping -c1 -W2 -q 2001:db8:65::10 >/dev/null && ok "ping6 to SG allowed" || not_ok "ping6 to SG"
lab_in "$P-phone" ping -c1 -W1 -q 2001:db8:86::10 >/dev/null && not_ok "ping6 to CN blocked" || ok "ping6 to CN blocked"
lab_in "$P-phone" curl -sS -m 3 -o /dev/null "http://[2001:db8:65::10]/" && ok "tcp6 to SG allowed" || not_ok "tcp6 to SG"

# One-way UDP: the first packet is decided, then 9,999 more follow it.
# (Packets sent before the first verdict is back, tens of microseconds,
# are queued too: the kernel has no conntrack entry for them yet.)
before=$(idseq)
lab_in "$P-phone" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"x", ("203.0.113.10", 9999)); time.sleep(0.2)
for i in range(9999): s.sendto(b"x", ("203.0.113.10", 9999))
'
sleep 0.2
n=$(( $(idseq) - before ))
[ "$n" = 1 ] && ok "one-way UDP stream of 10000 packets: 1 queued" || not_ok "one-way UDP: 1 queued" "queued $n"

log_has '.action == "block" and .country == "CN" and .proto == "tcp" and .dport == 80 and
	.src == "198.18.1.10" and .src_mac == "02:00:5e:00:53:01" and .in == "lan0" and .out == "wan0" and
	.rule == 3 and .count == 1 and .audit == false and .default == false and .dst == "198.51.100.10"' &&
	ok "block is in the log with its fields" || not_ok "block logged" "$(cat "$D/decisions.jsonl")"
log_has '.action == "block" and .dst == "2001:db8:86::10" and .proto == "icmpv6" and .sport == null' && ok "ipv6 block logged" || not_ok "ipv6 block logged"
log_has '.action == "reject" and .dst == "192.0.2.10" and .rule == 4' && ok "reject logged" || not_ok "reject logged"
grep -q '"action":"allow"' "$D/decisions.jsonl" && not_ok "plain allows are not logged" || ok "plain allows are not logged"
js=$(ge_ctl stats --json)
[ "$(jq '.by_action.block >= 2 and .by_action.reject >= 1 and .by_country.SG >= 3 and .queue.id_sequence >= 6' <<<"$js")" = true ] &&
	ok "stats --json counts decisions" || not_ok "stats --json" "$js"

# Reload: a broken policy is refused, the running one stays.
cp "$D/p1.conf" "$D/p1.good"
echo "bogus statement here" >>"$D/p1.conf"
out=$(ge_ctl reload 2>&1); rc=$?
[ $rc = 1 ] && [ -n "$out" ] && ok "reload of a broken policy fails with a message" || not_ok "bad reload" "rc=$rc $out"
curl_ok 198.51.100.10 2 && not_ok "old policy still blocks CN" || ok "old policy still blocks CN"
policy "$D/p1.conf" "$D/decisions.jsonl" "reject to country IN" "default allow"
out=$(ge_ctl reload 2>&1) && ok "reload of a good policy" || not_ok "good reload" "$out"
curl_ok 198.51.100.10 && ok "new policy allows CN" || not_ok "new policy allows CN"
[ "$(ge_ctl stats --json | jq -c .reloads)" = '{"ok":1,"failed":1}' ] && ok "reload counters" ||
	not_ok "reload counters" "$(ge_ctl stats --json | jq -c .reloads)"
kill -HUP "$GE"; sleep 0.5
[ "$(ge_ctl stats --json | jq .reloads.ok)" = 2 ] && ok "SIGHUP reloads" || not_ok "SIGHUP reloads"

ge_stop TERM
[ "$GE_RC" = 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM exit status" "rc=$GE_RC $(tail -3 "$D/ge.log")"
left=$(hooks_left); [ -z "$left" ] && ok "SIGTERM: no hook left" || not_ok "hook left after SIGTERM" "$left"
[ ! -e "$D/ctl" ] && [ ! -e "$D/ge.pid" ] && ok "control socket and pidfile removed" || not_ok "ctl/pidfile removed"

# Stale hook after SIGKILL, replaced at the next start; fail-mode closed.
policy "$D/p2.conf" "$D/decisions.jsonl" "option fail-mode closed" "block to country CN" "default allow"
ge_start "$D/p2.conf" || not_ok "start with fail-mode closed"
queue_rules | grep -q 'bypass' && not_ok "closed: no queue bypass" "$(queue_rules)" || ok "closed: no queue bypass"
ge_stop KILL
[ -n "$(hooks_left)" ] && ok "SIGKILL leaves the hook" || not_ok "SIGKILL leaves the hook"
curl_ok 203.0.113.10 2 && not_ok "closed: no daemon, no traffic" || ok "closed: no daemon, no traffic"
ge_start "$D/p2.conf" && ok "restart after SIGKILL" || not_ok "restart after SIGKILL"
n=$(queue_rules | wc -l)
{ [ "$n" = 1 ] || [ "$n" = 2 ]; } && [ "$(gw nft list tables | grep -c geoegress)" = 1 ] &&
	ok "stale hook replaced, not duplicated" || not_ok "stale hook replaced" "$(queue_rules)"
curl_ok 203.0.113.10 && ok "decisions resume after restart" || not_ok "decisions resume"
ge_stop TERM
left=$(hooks_left)
[ "$GE_RC" = 0 ] && [ "$left" = "table inet geoegress" ] && ok "closed: clean exit after restart leaves the gateway held" ||
	not_ok "closed: clean exit after restart holds" "rc $GE_RC: $left"
out=$(gw "$GEOEGRESS" unlock --ctl "$D/ctl" --state-dir "$D" 2>&1)
[ -z "$(hooks_left)" ] && ok "unlock lifts it" || not_ok "unlock lifts it" "$out $(hooks_left)"

# sd_notify: READY=1, RELOADING=1/READY=1 around a reload, STOPPING=1.
timeout 60 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n"); f.flush()
' "$D/notify.sock" "$D/notify.log" &
NPID=$!
for _ in $(seq 1 50); do [ -S "$D/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$D/notify.sock ge_start "$D/p1.conf" || not_ok "start with NOTIFY_SOCKET"
ge_ctl reload >/dev/null 2>&1
ge_stop TERM
sleep 0.2
kill "$NPID" 2>/dev/null; wait "$NPID" 2>/dev/null
[ "$(tr '\n' ' ' <"$D/notify.log" 2>/dev/null)" = "READY=1 RELOADING=1 READY=1 STOPPING=1 " ] &&
	ok "sd_notify: READY, RELOADING, READY, STOPPING" || not_ok "sd_notify sequence" "$(cat "$D/notify.log" 2>&1)"

# The output hook and a queue range.
policy "$D/p4.conf" "$D/decisions.jsonl" "option hooks forward, output" "option queue 3-4" \
	"block to country CN" "default allow"
ge_start "$D/p4.conf" || not_ok "start with hooks output, queue 3-4"
gw nft list table inet geoegress | grep -q 'chain output_enforce' && queue_rules | grep -qE 'queue-balance 3:4|queue num 3-4' &&
	ok "output hook and queue range 3-4 installed" || not_ok "output hook, queue range" "$(gw nft list ruleset)"
[ "$(gw awk '$1 == 3 || $1 == 4' /proc/net/netfilter/nfnetlink_queue | wc -l)" = 2 ] &&
	[ "$(ls /proc/"$GE"/task | wc -l)" -ge 3 ] && ok "queues 3 and 4 bound, one worker thread each" ||
	not_ok "queues 3 and 4 bound by workers" "$(gw cat /proc/net/netfilter/nfnetlink_queue; ls /proc/"$GE"/task)"
gw curl -sS -m 2 -o /dev/null http://198.51.100.10/ 2>/dev/null && not_ok "gw's own flow to CN blocked" ||
	ok "gw's own flow to CN blocked (output hook)"
curl_ok 203.0.113.10 && ok "forwarded flow to SG allowed (queue range)" || not_ok "forwarded flow, queue range"
[ "$(ge_ctl stats --json | jq '.queue.id_sequence >= 2 and .by_action.block >= 1')" = true ] &&
	ok "stats sum the queue range" || not_ok "stats sum the queue range" "$(ge_ctl stats --json | jq -c .queue)"
ge_stop TERM
[ -z "$(hooks_left)" ] && ok "output hook removed" || not_ok "output hook removed" "$(hooks_left)"

# A reload loads in a thread: new flows keep being decided meanwhile.
# (Needs the real database, $BUILD/country.mmdb: its compile takes long
# enough to see.)  New UDP flows every 10 ms; the slowest answer must stay
# far below the reload's own duration.
if [ -f "$BUILD/country.mmdb" ]; then
	{ echo "option database \"$BUILD/country.mmdb\""; echo "option log-file none";
	  echo "option unknown allow"; echo "block to country CN"; echo "default allow"; } >"$D/p5.conf"
	ge_start "$D/p5.conf" || not_ok "start with the real database"
	lab_in "$P-phone" python3 -c '
import socket, time
worst = 0
for i in range(150):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    t = time.monotonic(); s.sendto(b"x", ("203.0.113.10", 7)); s.recv(16)
    worst = max(worst, time.monotonic() - t); s.close(); time.sleep(0.01)
print(int(worst * 1000))
' >"$D/worst.txt" 2>&1 &
	UPID=$!
	sleep 0.3
	t0=$(date +%s%N)
	ge_ctl reload >/dev/null 2>&1 || not_ok "reload with the real database"
	rms=$(( ($(date +%s%N) - t0) / 1000000 ))
	wait "$UPID"
	worst=$(cat "$D/worst.txt")
	case $worst in *[!0-9]* | '') not_ok "flows during a reload" "$worst" ;;
	*) [ "$worst" -lt $((rms / 2)) ] && ok "flows decided during a ${rms} ms reload (slowest ${worst} ms)" ||
		not_ok "flows decided during a reload" "reload ${rms} ms, slowest flow ${worst} ms" ;;
	esac
	ge_stop TERM
else
	echo "# skipped the reload-latency check: no $BUILD/country.mmdb (scripts/geodb-build)"
fi

# --user: privileges dropped to nobody, CAP_NET_ADMIN kept; still decides,
# reloads, and removes its hook at exit.
if id nobody >/dev/null 2>&1; then
	ge_start "$D/p1.conf" --user nobody || not_ok "start with --user nobody"
	read -r uid cap <<<"$(awk '/^Uid:/ { u = $2 } /^CapEff:/ { c = $2 } END { print u, c }' /proc/"$GE"/status)"
	[ "$uid" = "$(id -u nobody)" ] && [ "$cap" = 0000000000001000 ] &&
		ok "--user nobody: uid $uid, only CAP_NET_ADMIN" || not_ok "--user nobody: uid/caps" "uid $uid caps $cap"
	curl_ok 192.0.2.10 2 && not_ok "--user: IN still rejected" || ok "--user: IN still rejected"
	curl_ok 203.0.113.10 && ok "--user: SG allowed" || not_ok "--user: SG allowed"
	ge_ctl reload >/dev/null 2>&1 && ok "--user: reload works" || not_ok "--user: reload" "$(ge_ctl reload 2>&1)"
	ge_stop TERM
	[ "$GE_RC" = 0 ] && [ -z "$(hooks_left)" ] && ok "--user: clean exit removes the hook" ||
		not_ok "--user: clean exit" "rc $GE_RC $(hooks_left)"
	rm -f "$D/ctl" "$D/ge.pid"	# a non-root daemon cannot unlink in root's directory
fi

# A log that cannot be written never stops filtering.
policy "$D/p3.conf" /dev/full "block to country CN" "default allow"
ge_start "$D/p3.conf" || not_ok "start with log on /dev/full"
curl_ok 198.51.100.10 2 && not_ok "/dev/full: CN still blocked" || ok "/dev/full: CN still blocked"
curl_ok 203.0.113.10 && ok "/dev/full: SG still allowed" || not_ok "/dev/full: SG allowed"
sleep 1.2
f=$(ge_ctl stats --json | jq .log.failed)
[ "${f:-0}" -ge 1 ] && ok "/dev/full: failures counted ($f)" || not_ok "/dev/full: failures counted" "$f"
check_grep "/dev/full: warned" 'decision log: .* lost' "$D/ge.log"
ge_stop TERM
tap_done
