#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Malformed IPv4/IPv6 frames (scapy, raw AF_PACKET from a lab device)
# towards the CN servers: bad IHL, lying total/payload lengths, truncated
# TCP/UDP/ICMP/SCTP headers, lone first/non-first fragments and a fragment
# pair, 8 and 30 destination-options headers, AH, no-next-header, unknown
# protocols.  The gw kernel drops some before netfilter; every one that
# reaches the queue must be decided by policy on what could be read (here:
# by address, CN → block: nothing arrives in wan), the daemon keeps
# running, counts each decision, and still decides normal flows.
. "$(dirname "$0")/common.sh"
netns_setup badpkt
PY=/usr/bin/python3	# Debian's python3 has python3-scapy
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate unlimited
option unknown allow
option fail-mode closed
block to country CN name "no-cn"
default allow
EOF
"$PY" -c 'import scapy' 2>/dev/null || { not_ok "python3-scapy installed"; tap_done; exit 1; }
lab_in "$P-wan" nft -f - <<'EOF' || not_ok "wan counter"
table inet labcount {
	counter cn { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip daddr 198.51.100.10 counter name cn
		ip6 daddr 2001:db8:86::10 meta l4proto != ipv6-icmp counter name cn
	}
}
EOF
netns_start "$POL"
PID=$(cat "$(lab_dir "$P")/geoegress.pid")
GWMAC=$(lab_in "$P-gw" cat /sys/class/net/lan0/address)
# the phone must know nothing stale; resolve gw for v6 too (ND) first
lab_in "$P-phone" ping -c1 -W1 198.18.1.1 >/dev/null 2>&1
p0=$(ge_json | jq -r .packets)
lab_in "$P-phone" "$PY" "$(dirname "$0")/badpkt.py" "$GWMAC" "$PID" "$P-wan" >"$T/cases.jsonl" 2>"$T/badpkt.err"
[ -s "$T/cases.jsonl" ] || not_ok "badpkt.py ran" "$(tail -5 "$T/badpkt.err")"
ncases=$(wc -l <"$T/cases.jsonl")
[ "$ncases" -ge 25 ] && ok "injected $ncases malformed/edge cases" || not_ok "injected all cases" "$ncases: $(tail -3 "$T/badpkt.err")"
echo "# case: queued by the gw kernel into our queue / arrived in wan"
jq -r '"#   \(.case): queued \(.queued), arrived \(.arrived)"' "$T/cases.jsonl"

if kill -0 "$PID" 2>/dev/null && lab_ge "$P" stats >/dev/null 2>&1; then ok "daemon alive after the bad packets"
else not_ok "daemon alive after the bad packets" "$(tail -5 "$(lab_dir "$P")/geoegress.log")"; fi
for c in v4-ok-udp v6-ok-udp; do
	jq -s -e "map(select(.case==\"$c\")) | length == 1 and .[0].queued == 1 and .[0].arrived == 0" "$T/cases.jsonl" >/dev/null &&
		ok "control $c: queued once and blocked" || not_ok "control $c: queued once and blocked" "$(grep "\"$c\"" "$T/cases.jsonl")"
done
for c in v4-ihl15-nop-options v6-8-destopt-headers-udp v6-30-destopt-headers-udp v4-unknown-proto-253 v6-unknown-proto-253 v4-fragment-pair; do
	jq -s -e "map(select(.case==\"$c\")) | length == 1 and .[0].queued >= 1" "$T/cases.jsonl" >/dev/null &&
		ok "$c reached the queue" || not_ok "$c reached the queue" "$(grep "\"$c\"" "$T/cases.jsonl")"
done
bad=$(jq -c 'select(.queued >= 1 and .arrived != 0)' "$T/cases.jsonl")
[ -z "$bad" ] && ok "every case that reached the queue was decided by address (CN: nothing arrived)" ||
	not_ok "every queued case decided by address (CN blocked)" "$bad"
# Nothing may reach a blocked country undecided: a packet the gw forwards
# without queueing (conntrack INVALID is not `ct state new`) bypasses the policy.
passed=$(jq -r 'select(.queued == 0 and .arrived > 0) | .case' "$T/cases.jsonl" | tr '\n' ' ')
[ -z "$passed" ] && ok "no malformed packet reached CN undecided" ||
	not_ok "no malformed packet reached CN undecided" "forwarded without a decision (ct state invalid?): $passed"
queued=$(jq -s '[.[].queued] | add' "$T/cases.jsonl")
p1=$(ge_json | jq -r .packets)
[ $((p1 - p0)) = "$queued" ] && ok "stats counted every queued packet as a decision ($queued)" ||
	not_ok "stats counted every queued packet" "packets grew by $((p1 - p0)), queue ids by $queued"
[ "$(queue_col 3)" = 0 ] && ok "nothing left waiting in the queue" || not_ok "nothing left waiting in the queue" "queue_total $(queue_col 3)"
rc=$(curl_rc "$P-phone" http://203.0.113.10/)
[ "$rc" = 0 ] && ok "normal flow still allowed (SG)" || not_ok "normal flow still allowed (SG)" "curl exit $rc"
rc=$(curl_rc "$P-phone" "http://[2001:db8:86::10]/")
[ "$rc" = 28 ] && ok "normal flow still blocked (CN v6)" || not_ok "normal flow still blocked (CN v6)" "curl exit $rc"
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
tap_done
