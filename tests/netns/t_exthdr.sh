#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The protocol the kernel tracks (issue 11, case 4).  geoegress must decide
# on the protocol and ports conntrack tracks for the connection, since the
# decision is saved to that connection.
#  1. The field report: an IPv6 Mobility (135) packet whose MH data looks
#     like UDP to port 123, to a CN server, under a policy that allows udp/123
#     to CN and blocks proto 135: decided and logged as proto 135 (blocked by
#     `block proto 135`), and none of it or the ten MH packets after it
#     reaches wan.
#  2. Every case of badpkt.py (the bad-packet test's chains, plus MH, HIP,
#     Shim6, ESP, 254, routing, AH, atomic fragment, ICMPv6 echo, and a chain
#     longer than the queue's copy), each to its own unmapped destination
#     that the policy allows and logs: where conntrack (`conntrack -L` in gw)
#     tracks a connection, the protocol and destination port geoegress
#     logged are the ones conntrack lists.  A chain longer than the copy
#     cannot be read: geoegress logs proto 0 for the packet and saves no
#     decision from it; the connection is decided at its next packet, or by
#     the conntrack sweep from conntrack's own tuple (here udp/7799, which
#     the policy allows: the allow mark, or none yet).
. "$(dirname "$0")/common.sh"
netns_setup exthdr
PY=/usr/bin/python3	# Debian's python3 has python3-scapy
"$PY" -c 'import scapy' 2>/dev/null || { not_ok "python3-scapy installed"; tap_done; exit 1; }
command -v conntrack >/dev/null || { not_ok "conntrack(8) installed"; tap_done; exit 1; }
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate unlimited
block log to country CN proto 135 name "no-mh"
allow to country CN proto udp port 123 name "ntp"
block log to country CN name "no-cn"
default log
EOF
lab_in "$P-wan" nft -f - <<'EOF' || not_ok "wan counter"
table inet labcount {
	counter cn { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip6 daddr 2001:db8:86::10 meta l4proto != ipv6-icmp counter name cn
	}
}
EOF
netns_start "$POL"
GWMAC=$(lab_in "$P-gw" cat /sys/class/net/lan0/address)
lab_in "$P-phone" ping -c1 -W1 198.18.1.1 >/dev/null 2>&1
lab_in "$P-phone" ping -c1 -W1 2001:db8:1::1 >/dev/null 2>&1

# 1. the field report
lab_in "$P-phone" "$PY" - "$GWMAC" <<'EOF' 2>"$T/mh.err" || not_ok "MH frames sent" "$(tail -3 "$T/mh.err")"
import logging, sys, time
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IPv6, Raw, conf, sendp
conf.verb = 0
eth = Ether(src="02:00:5e:00:53:01", dst=sys.argv[1])
ip6 = IPv6(src="2001:db8:1::10", dst="2001:db8:86::10", nh=135)
lookalike = bytes([17, 1, 0, 0, 0, 0]) + bytes(10) + bytes([0x9c, 0x41, 0, 123, 0, 8, 0, 0])
sendp(eth / ip6 / Raw(lookalike), iface="eth0")
time.sleep(0.3)
for i in range(10):
	sendp(eth / ip6 / Raw(bytes([59, 0, 0, 0, 0, 0, 0, 0])), iface="eth0")
	time.sleep(0.02)
EOF
sleep 0.5
check_log "MH packet decided and logged as proto 135: blocked by 'block proto 135'" \
	'.dst == "2001:db8:86::10" and (.folded | not)' \
	'.proto == "135" and .action == "block" and .rule_name == "no-mh" and .dport == null'
no_log "no MH packet was read as udp/123" '.dst == "2001:db8:86::10" and .proto == "udp"'
arrived=$(lab_in "$P-wan" nft list counter inet labcount cn | awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
[ "$arrived" = 0 ] && ok "none of the 11 MH packets reached the CN server" || not_ok "no MH packet reached CN" "$arrived arrived"

# 2. each chain: geoegress's reading against conntrack's
lab_in "$P-phone" "$PY" "$(dirname "$0")/badpkt.py" --spread "$GWMAC" "$P-gw" 198.19.1.0 2001:db8:ff::1:0 \
	>"$T/cases.jsonl" 2>"$T/badpkt.err"
n=$(wc -l <"$T/cases.jsonl")
[ "$n" -ge 40 ] && ok "sent $n cases, each to its own destination" || not_ok "sent every case" "$n: $(tail -3 "$T/badpkt.err")"
sleep 0.3
proto_num() {	# log proto name -> number
	case $1 in tcp) echo 6 ;; udp) echo 17 ;; icmp) echo 1 ;; icmpv6) echo 58 ;; sctp) echo 132 ;; *) echo "$1" ;; esac
}
compared=0 mism="" untracked="" tracked=" "
while IFS=$'\t' read -r name dst ct; do
	rec=$(jq -c "select(.dst == \"$dst\" and (.folded | not))" "$LOG" | head -1)
	if [ -z "$ct" ]; then
		untracked="$untracked $name${rec:+(logged $(jq -r '.proto + "/" + (.dport // "-" | tostring)' <<<"$rec"))}"
		continue
	fi
	tracked="$tracked$name "
	ctp=$(awk '{ print $2 }' <<<"$ct")
	ctd=$(grep -o 'dport=[0-9]*' <<<"$ct" | head -1 | cut -d= -f2)
	if [ -z "$rec" ]; then
		mism="$mism; $name: conntrack tracks $ctp/${ctd:--} but geoegress logged nothing"
		continue
	fi
	gp=$(proto_num "$(jq -r .proto <<<"$rec")")
	gd=$(jq -r '.dport // empty' <<<"$rec")
	if [ "$name" = v6-170-destopt-headers-udp ]; then
		mark=$(grep -o 'mark=[0-9]*' <<<"$ct" | cut -d= -f2)
		{ [ "${mark:-0}" = 0 ] || [ "$mark" = 2097152 ]; } && [ "$gp" = 0 ] &&
			ok "chain longer than the copy: geoegress logs proto 0, the connection ($ctp/$ctd) gets no mark from it (${mark:-0}: none, or the sweep's allow from conntrack's tuple)" ||
			not_ok "chain longer than the copy: proto 0 and no mark" "geoegress $gp/$gd, conntrack: $ct"
		continue
	fi
	compared=$((compared + 1))
	if [ "$gp" = "$ctp" ] && [ "$gd" = "$ctd" ]; then
		echo "# $name: geoegress $gp/${gd:--} = conntrack $ctp/${ctd:--}"
	else
		mism="$mism; $name: geoegress $gp/${gd:--}, conntrack $ctp/${ctd:--}"
	fi
done < <(jq -r '[.case, .dst, (.ct | join(" | "))] | @tsv' "$T/cases.jsonl")
echo "# not tracked by conntrack (dropped by the kernel, or invalid):$untracked"
[ -z "$mism" ] && [ "$compared" -ge 20 ] && ok "geoegress read what conntrack tracks, in all $compared tracked cases" ||
	not_ok "geoegress read what conntrack tracks ($compared compared)" "${mism#; }"
for c in v6-mh-udp123-lookalike v6-dstopt-mh v6-hbh-hip-139 v6-dstopt-shim6-140 v6-hbh-esp-50 v6-dstopt-254 \
	v6-unknown-proto-253 v6-30-destopt-headers-udp v6-8-destopt-headers-udp v6-hbh-dst-ah-udp v6-ah-then-udp \
	v6-routing-segleft0-udp v6-dstopt-tcp-syn v6-icmpv6-echo v4-proto-135 v4-fragment-pair v6-170-destopt-headers-udp; do
	case $tracked in *" $c "*) ok "$c: conntrack tracks it (compared)" ;; *) not_ok "$c: conntrack tracks it" "not in conntrack -L" ;; esac
done
for c in v6-mh-udp123-lookalike v6-dstopt-mh v4-proto-135; do
	check_log "$c logged as proto 135" ".dst == \"$(jq -r "select(.case == \"$c\") | .dst" "$T/cases.jsonl")\"" '.proto == "135" and .dport == null'
done
if lab_ge "$P" stats >/dev/null 2>&1; then ok "daemon alive"; else not_ok "daemon alive" "$(tail -5 "$(lab_dir "$P")/geoegress.log")"; fi
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
tap_done
