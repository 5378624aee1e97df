#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# geoegress flows, in the lab's gateway:
#  (a) golden: known conntrack entries (conntrack -I: lab devices to CN,
#      SG, IN and unmapped servers, IPv4 and IPv6, every mark value, a
#      DNAT, one to the gateway, one from it) → exactly the text in
#      tests/netns/golden/flows*.txt, ages normalised;
#  (b) real connections with NO daemon running (a TCP session to the echo
#      server, a UDP exchange), tracked because gw has a `ct state` rule:
#      `flows --undecided` lists them with the phone's MAC and set; --json
#      fields; `conntrack -U --mark` changes the decision shown; filters;
#  (c) with the daemon running the "no daemon" note goes away; exit codes
#      (not root: 1 and the CAP_NET_ADMIN message; usage: 2).
#   UPDATE=1 tests/netns/t_flows.sh   regenerates the golden files
. "$(dirname "$0")/common.sh"
netns_setup flows
G=$P-gw
GOLD=$TOP/tests/netns/golden
POL=$T/policy.conf
NOCTL=$T/no-daemon.sock
sed -e "s|^option database .*|option database \"$FIX/geoip2.mmdb\"|" \
	-e "s|^option log-file .*|option log-file \"$LOG\"|" "$TOP/rules/examples/iaf.conf" >"$POL"
F() { lab_in "$G" "$GEOEGRESS" flows -c "$POL" --ctl "$NOCTL" "$@"; }
# ages vary: the AGE column (68-72) of connection lines becomes "~"
norm() { sed -E '/^  [a-z]/ s/^(.{67}).{5}/\1    ~/'; }
fits80() {	# fits80 DESC FILE
	local long
	long=$(awk 'length > 80 { print NR ": " length }' "$2")
	[ -z "$long" ] && ok "$1: every line fits 80 columns" || not_ok "$1: lines over 80 columns" "$long"
}
golden() {	# golden NAME FILE
	if [ "${UPDATE:-0}" = 1 ]; then
		mkdir -p "$GOLD" && cp "$2" "$GOLD/$1" && ok "golden $1 updated"
	elif diff -u "$GOLD/$1" "$2" >"$T/diff"; then
		ok "golden $1"
	else
		not_ok "golden $1" "$(cat "$T/diff")"
	fi
}

lab_in "$G" sysctl -qw net.netfilter.nf_conntrack_timestamp=1 net.netfilter.nf_conntrack_acct=1 \
	net.netfilter.nf_conntrack_udp_timeout=120 >/dev/null
# the gateway learns each device's IPv6 neighbour entry (IPv4: lab_up's pings)
for d in phone laptop guest; do lab_in "$P-$d" ping -6 -c1 -W1 -q 2001:db8:1::1 >/dev/null 2>&1; done

# ---- (a) golden ----
ins() { lab_in "$G" conntrack -I -t 600 "$@" >/dev/null 2>&1 || not_ok "conntrack -I $*"; }
ins -p tcp -s 198.18.1.10 -d 198.51.100.10 --sport 41001 --dport 443 --state ESTABLISHED
ins -p udp -s 198.18.1.10 -d 203.0.113.10 --sport 41002 --dport 53 --mark 0x00200000
ins -p tcp -s 198.18.1.20 -d 198.51.100.10 --sport 41003 --dport 80 --state ESTABLISHED --mark 0x00400000
ins -p tcp -s 198.18.1.20 -d 192.0.2.10 --sport 41004 --dport 80 --state ESTABLISHED --mark 0x00600000
ins -p tcp -s 198.18.1.130 -d 198.51.100.10 --sport 41005 --dport 80 --state ESTABLISHED --mark 0x00200000
ins -p udp -s 198.18.1.130 -d 198.19.0.10 --sport 41006 --dport 9 --mark 0x00a00000
ins -p tcp -s 198.18.1.10 -d 203.0.113.200 --sport 41007 --dport 443 --reply-src 192.0.2.10 \
	--reply-dst 198.18.1.10 --reply-port-src 8443 --reply-port-dst 41007 --state ESTABLISHED --mark 0x00400001
ins -p icmpv6 -s 2001:db8:1::10 -d 2001:db8:86::10 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 7 --mark 0x00400000
ins -p tcp -s 2001:db8:1::20 -d 2001:db8:65::10 --sport 41008 --dport 443 --state ESTABLISHED
ins -p udp -s 2001:db8:1::130 -d 2001:db8:91::10 --sport 41009 --dport 53 --mark 0x00800000
ins -p tcp -s 2001:db8:1::10 -d 2001:db8:ff::10 --sport 41010 --dport 80 --state ESTABLISHED --mark 0x00200000
ins -p udp -s 198.18.1.10 -d 198.18.1.1 --sport 41011 --dport 53
ins -p udp -s 198.18.0.1 -d 203.0.113.10 --sport 41012 --dport 123
F >"$T/flows.raw" 2>"$T/flows.err"
rc=$?
[ $rc = 0 ] && ok "flows exits 0 without a daemon" || not_ok "flows exits 0" "rc $rc: $(cat "$T/flows.err")"
norm <"$T/flows.raw" >"$T/flows.txt"
golden flows.txt "$T/flows.txt"
F --all | norm >"$T/flows-all.txt"
golden flows-all.txt "$T/flows-all.txt"
fits80 "flows" "$T/flows.raw"
check_grep "summary counts per decision" '^11 connections: 4 undecided, 3 block, 1 reject, 3 allow$' "$T/flows.txt"
check_grep "says plainly that no daemon runs" '^no daemon running: ' "$T/flows.txt"
F --json >"$T/g.json"
if jq -e '.counts.total == 11 and .counts.not_shown == 2 and .daemon_running == false and
	([.connections[] | select(.orig_dst == "203.0.113.200")][0] |
	 .dst == "192.0.2.10" and .dport == 8443 and .orig_dport == 443 and .country == "IN" and
	 .decision == "block" and .mark == 4194305 and .policy == "allow" and .stale)' "$T/g.json" >/dev/null; then
	ok "json: counts; the DNAT entry: post-DNAT destination and country, original kept, stale"
else
	not_ok "json golden entries" "$(jq -c '.counts, .connections[]' "$T/g.json" 2>&1 | head -20)"
fi
lab_in "$G" conntrack -F >/dev/null 2>&1

# ---- (b) real connections, no daemon ----
lab_in "$G" nft -f - <<'EOF' || not_ok "nft ct rule in gw"
table inet t {
	chain c { type filter hook forward priority 0; policy accept; ct state new counter; }
}
EOF
lab_in "$P-phone" python3 - 198.51.100.10 >"$T/tcp.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=5)
s.sendall(b"x" * 1000)
n = 0
while n < 1000:
    n += len(s.recv(4096))
print("connected", flush=True)
time.sleep(60)
EOF
TCP_PID=$!
for i in $(seq 1 50); do grep -q connected "$T/tcp.out" && break; sleep 0.1; done
check_grep "tcp client connected to 198.51.100.10:7 (CN) through gw" connected "$T/tcp.out"
lab_in "$P-phone" ping -c1 -W1 -q 198.18.1.1 >/dev/null 2>&1 || not_ok "phone pings gw"	# LOCAL
r=$(udp_probe "$P-phone" 203.0.113.10 7)
case $r in reply*) ok "udp exchange with 203.0.113.10:7 (SG)" ;; *) not_ok "udp exchange" "$r" ;; esac
F --undecided >"$T/u.txt"
fits80 "flows --undecided" "$T/u.txt"
check_grep "--undecided: the phone's device line: set and MAC" '^managed: 198\.18\.1\.10 02:00:5e:00:53:01$' "$T/u.txt"
check_grep "--undecided: the tcp session to CN" '^  undecided +198\.51\.100\.10 +tcp/7 +CN ' "$T/u.txt"
check_grep "--undecided: the udp flow to SG" '^  undecided +203\.0\.113\.10 +udp/7 +SG ' "$T/u.txt"
check_grep "--undecided: 2 connections, both undecided" '^2 connections: 2 undecided, 0 block, 0 reject, 0 allow$' "$T/u.txt"
check_grep "--undecided: what the policy would do now" '^the policy decides the undecided ones now: 1 block, 0 reject, 1 allow$' "$T/u.txt"
F --json >"$T/r.json"
if jq -e '.daemon_running == false and (.note | startswith("no daemon running")) and
	([.connections[] | select(.proto == "tcp")][0] |
	 .device == "managed" and .src == "198.18.1.10" and .src_mac == "02:00:5e:00:53:01" and
	 .dst == "198.51.100.10" and .dport == 7 and .country == "CN" and .decision == "undecided" and
	 .policy == "block" and .tcp_state == "ESTABLISHED" and .covered == "forward" and
	 .bytes_orig > 1000 and .bytes_reply > 1000 and .packets_orig > 1 and .age_s >= 0 and .timeout_s > 0) and
	([.connections[] | select(.proto == "udp")][0] |
	 .dst == "203.0.113.10" and .country == "SG" and .policy == "allow" and .sport > 0)' "$T/r.json" >/dev/null; then
	ok "json: device, MAC, country, decision, policy, state, counters of both connections"
else
	not_ok "json fields" "$(cat "$T/r.json")"
fi
lab_in "$G" conntrack -U -p tcp -s 198.18.1.10 -d 198.51.100.10 --dport 7 --mark 0x00400000 >/dev/null 2>&1 ||
	not_ok "conntrack -U --mark"
F >"$T/m.txt"
check_grep "after conntrack -U --mark 0x00400000: the tcp session shows block" '^  block +198\.51\.100\.10 +tcp/7 +CN ' "$T/m.txt"
check_grep "... and the summary counts it" '^2 connections: 1 undecided, 1 block, 0 reject, 0 allow$' "$T/m.txt"
# (the phone's ping to gw, maybe IPv6 multicast listener reports: a count)
check_grep "... and says what --all would add" '^[0-9]+ connections? to or from this host not shown \(--all\)$' "$T/m.txt"
count() { grep -c '^  [a-z]' "$T/f.txt"; }
filt() {	# filt DESC N ARGS...: flows ARGS lists N connections
	local d=$1 n=$2; shift 2
	F "$@" >"$T/f.txt"
	[ "$(count)" = "$n" ] && ok "filter $d: $n" || not_ok "filter $d: $n" "$(cat "$T/f.txt")"
}
filt "--undecided" 1 --undecided
filt "--action block" 1 --action block
filt "--action allow" 0 --action allow
filt "--country cn" 1 --country cn
filt "--country SG" 1 -C SG
filt "--country unknown" 0 --country unknown
filt "--device MAC" 2 --device 02:00:5e:00:53:01
filt "--device address" 2 --device 198.18.1.10
filt "--device set" 2 --device managed
filt "--device other set" 0 --device guests
filt "--device other address" 0 --device 198.18.1.20
F --all --device managed >"$T/f.txt"
if grep -qE '^  undecided +198\.18\.1\.1 +icmp/8 ' "$T/f.txt" && ! grep -qE ' 198\.18\.1\.1 ' "$T/m.txt"; then
	ok "--all adds the phone's ping to the gateway (LOCAL), hidden without it"
else
	not_ok "--all adds the phone's ping to the gateway" "$(cat "$T/f.txt")"
fi

# ---- (c) daemon, exit codes ----
netns_start "$POL"
lab_in "$G" "$GEOEGRESS" flows -c "$POL" --ctl "$(lab_dir "$P")/ctl" >"$T/d.txt" 2>&1
if ! grep -q "no daemon" "$T/d.txt" && grep -q '^2 connections' "$T/d.txt"; then
	ok "with the daemon running: no 'no daemon' note"
else
	not_ok "with the daemon running" "$(cat "$T/d.txt")"
fi
lab_in "$G" "$GEOEGRESS" flows -c "$POL" --ctl "$(lab_dir "$P")/ctl" --json | jq -e '.daemon_running and .note == null' >/dev/null &&
	ok "json: daemon_running true" || not_ok "json: daemon_running true"
lab_stop_geoegress "$P"
chmod 755 "$T" && chmod 644 "$POL"
out=$(lab_in "$G" setpriv --reuid=65534 --regid=65534 --clear-groups "$GEOEGRESS" flows -c "$POL" --ctl "$NOCTL" 2>&1)
rc=$?
[ $rc = 1 ] && [ "$out" = "geoegress flows: reading conntrack needs CAP_NET_ADMIN (run as root)" ] &&
	ok "not root: exit 1, says CAP_NET_ADMIN" || not_ok "not root: exit 1, CAP_NET_ADMIN" "rc $rc: $out"
F --country CHN >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "bad --country: exit 2" || not_ok "bad --country: exit 2" "rc $rc"
F --action maybe >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "bad --action: exit 2" || not_ok "bad --action: exit 2" "rc $rc"
F --undecided --action allow >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "--undecided with --action allow: exit 2" || not_ok "contradicting filters: exit 2" "rc $rc"
out=$(lab_in "$G" "$GEOEGRESS" flows -c "$T/missing.conf" 2>&1); rc=$?
[ $rc = 1 ] && case $out in *missing.conf*) true ;; *) false ;; esac &&
	ok "missing policy: exit 1, names the file" || not_ok "missing policy" "rc $rc: $out"
kill "$TCP_PID" 2>/dev/null
wait "$TCP_PID" 2>/dev/null
lab_in "$G" nft delete table inet t
tap_done
