#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Log flooding through many source addresses (issue 11, case 3): the phone
# (one MAC) sends 5,000 new flows to a blocked CN server, each from another
# IPv6 address of its /64.  Under `option log-rate 20/minute` it is one
# device: 20 records, then one folded record that says how many decisions
# it stands for; the counts add up to the blocks the daemon decided.
# (The total cap over many MAC-less sources: tests/nfq/test_declog.c.)
. "$(dirname "$0")/common.sh"
netns_setup lograte
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate 20/minute
option fail-mode closed
block to country CN name "no-cn"
default allow
EOF
[ -x "$BUILD/tests/bench/flowgen" ] || { not_ok "flowgen built"; tap_done; exit 1; }
netns_start "$POL"
J() { ge_json | jq -r "$1"; }
b0=$(J .by_action.block)
# one port per address: 5000 flows from 2001:db8:1::1:0 .. +4999
out=$(flowgen "$P-phone" -s 2001:db8:1::1:0 -a 5000 -P 65535 -d 2001:db8:86::10 -p 7790 -N 5000 -r 5000 -t 10)
echo "# flowgen: $out"
for i in $(seq 1 50); do [ "$(queue_col 3)" = 0 ] && break; sleep 0.1; done
sleep 0.5
blocked=$(( $(J .by_action.block) - b0 ))
srcs=$(jq -r 'select(.src_mac == "02:00:5e:00:53:01") | .src' "$LOG" | sort -u | wc -l)
lines=$(jq -c 'select(.src_mac == "02:00:5e:00:53:01")' "$LOG" | wc -l)
echo "# decided $blocked blocks; log: $lines lines from the phone's MAC, $srcs source addresses"
[ "$blocked" -ge 1000 ] && ok "the daemon decided the flood ($blocked blocks)" || not_ok "the daemon decided the flood" "$blocked"
[ "$lines" = 20 ] && ok "one MAC, many source addresses: 20 records within the minute" ||
	not_ok "one MAC: 20 records within the minute" "$lines lines"
lab_stop_geoegress "$P"	# writes the pending folded record
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
folded=$(jq -c 'select(.src_mac == "02:00:5e:00:53:01" and .folded == true)' "$LOG")
sum=$(jq -s '[.[] | select(.src_mac == "02:00:5e:00:53:01") | .count] | add' "$LOG")
[ "$(printf '%s\n' "$folded" | grep -c .)" = 1 ] && [ "$(jq -r .count <<<"$folded")" = $((blocked - 20)) ] &&
	ok "one folded record stands for the other $((blocked - 20)) decisions" ||
	not_ok "one folded record with the rest" "$folded"
[ "$sum" = "$blocked" ] && ok "the counts add up to the decisions ($sum)" || not_ok "counts add up" "sum $sum, decided $blocked"
[ "$(wc -l <"$LOG")" -le 21 ] && ok "the log has at most 21 lines" || not_ok "at most 21 lines" "$(wc -l <"$LOG")"
tap_done
