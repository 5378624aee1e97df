#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The report counts what people mean (issue 11, case 6), end to end: the
# phone makes one blocked TCP connect (curl: a SYN and its retransmissions),
# two single pings and one three-packet ping to a CN server, and one blocked
# connect over IPv6.  The daemon's log and `geoegress report` must give:
# one flow for the connect, its retransmissions counted as retries (not
# flows, not "folded": the rate was never reached); three flows for the
# three pings (two pings within 30 s are two attempts: the echo identifier
# is in the retry key), the 3-packet ping's repeats as retries; and one
# device row for the phone, by its MAC, listing both its addresses.
. "$(dirname "$0")/common.sh"
netns_setup attempts
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate 20/minute
block to country CN name "no-cn"
default allow
EOF
netns_start "$POL"
lab_in "$P-phone" curl -s -o /dev/null --connect-timeout 4 http://198.51.100.10/ >/dev/null 2>&1
lab_in "$P-phone" ping -n -c1 -W1 198.51.100.10 >/dev/null 2>&1
lab_in "$P-phone" ping -n -c1 -W1 198.51.100.10 >/dev/null 2>&1
lab_in "$P-phone" ping -n -c3 -i 0.3 -W1 198.51.100.10 >/dev/null 2>&1
lab_in "$P-phone" curl -s -o /dev/null --connect-timeout 2 "http://[2001:db8:86::10]/" >/dev/null 2>&1
J() { ge_json | jq -r "$1"; }
hits=$(J .cache_hits)
lab_stop_geoegress "$P"	# writes the retries records
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
echo "# log:"; sed 's/^/#   /' "$LOG"
no_log "no record is folded: the rate was never reached" '.folded == true'
"$GEOEGRESS" report --format json "$LOG" >"$T/r.json" 2>"$T/r.err" || not_ok "report runs" "$(cat "$T/r.err")"
tcp=$(jq '[.destinations[] | select(.dst == "198.51.100.10" and .proto == "tcp")] | map(.flows) | add' "$T/r.json")
icmp=$(jq '[.destinations[] | select(.dst == "198.51.100.10" and .proto == "icmp")] | map(.flows) | add' "$T/r.json")
retries=$(jq .totals.retries "$T/r.json")
[ "$tcp" = 1 ] && ok "the blocked connect is one flow" || not_ok "the blocked connect is one flow" "$tcp flows"
[ "$icmp" = 3 ] && ok "three pings are three flows (two within 30 s: different echo identifiers)" ||
	not_ok "three pings are three flows" "$icmp flows"
# the connect's SYN retransmissions (>= 1 in 4 s) and the 3-packet ping's 2 repeats
[ "$retries" -ge 3 ] && [ "$retries" = "$hits" ] && ok "retries counted apart: $retries (= the daemon's cache hits)" ||
	not_ok "retries counted apart" "report $retries, cache hits $hits"
if jq -e '.totals.folded_records == 0 and .totals.flows == 5' "$T/r.json" >/dev/null; then
	ok "totals: 5 flows, no folded record"
else not_ok "totals" "$(jq -c .totals "$T/r.json")"; fi
if jq -e '[.devices[] | select(.id == "02:00:5e:00:53:01")] | length == 1 and
	.[0].addresses == ["198.18.1.10", "2001:db8:1::10"] and .[0].flows == 5' "$T/r.json" >/dev/null; then
	ok "one device row for the phone, by MAC, with both its addresses"
else not_ok "the phone's device row" "$(jq -c .devices "$T/r.json")"; fi
"$GEOEGRESS" report "$LOG" >"$T/r.txt" 2>&1
check_grep "text report: retries said so" '^Retries: [0-9]+ \(repeated packets of flows already counted' "$T/r.txt"
if grep -q 'folded by log-rate' "$T/r.txt"; then not_ok "no 'folded by log-rate' label" "$(head -3 "$T/r.txt")"
else ok "no 'folded by log-rate' label"; fi
tap_done
