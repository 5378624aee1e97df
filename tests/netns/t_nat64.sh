#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Translated destinations (issue 11, case 1), in the lab.  wan answers on
# IPv6 addresses that embed the lab's IPv4 servers, as a NAT64 or 6to4
# gateway would (only documentation ranges: 198.51.100.10 is CN,
# 203.0.113.10 SG): the operator's NAT64 prefix 2001:db8:64::/96, the
# well-known 64:ff9b::/96, and 6to4 2002:c633:640a::/48.  The database is
# DB-IP style (no IPv4 aliases) and the policy has the shipped example's
# `option unknown allow log`: before, the phone reached the CN server
# through each of them.  Now each is decided by the country of the IPv4
# address it embeds, and the log says which address decided (via,
# geo_addr); `geoegress report` shows it.
. "$(dirname "$0")/common.sh"
netns_setup nat64
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/dbip.mmdb"
option nat64 2001:db8:64::/96
option log-file "$LOG"
option unknown allow log
devices managed = { 02:00:5e:00:53:01 }
countries forbidden = { CN }
block log from @managed to country @forbidden name "no-cn"
default allow
EOF
for a in 2001:db8:64::c633:640a 64:ff9b::c633:640a 64:ff9b::cb00:710a 2002:c633:640a::1; do
	ip -n "$P-wan" addr add "$a/128" dev lo nodad || not_ok "wan address $a"
done
netns_start "$POL"

blocked() {	# blocked ADDR VIA IPV4: curl times out, the log names the address that decided
	local rc
	rc=$(curl_rc "$P-phone" "http://[$1]/")
	[ "$rc" = 28 ] && ok "$1 ($2 of $3, CN): blocked" || not_ok "$1 blocked" "curl exit $rc"
	check_log "$1: logged with the country of $3 and the address that decided" ".dst == \"$1\"" \
		".action == \"block\" and .country == \"CN\" and .via == \"$2\" and .geo_addr == \"$3\" and .rule_name == \"no-cn\""
}
blocked 2001:db8:64::c633:640a nat64 198.51.100.10
blocked 64:ff9b::c633:640a nat64 198.51.100.10
blocked 2002:c633:640a::1 6to4 198.51.100.10
rc=$(curl_rc "$P-phone" "http://[64:ff9b::cb00:710a]/")
[ "$rc" = 0 ] && ok "64:ff9b::cb00:710a (SG): allowed" || not_ok "SG through NAT64 allowed" "curl exit $rc"
no_log "the SG flow is a known country: not logged by option unknown" '.dst == "64:ff9b::cb00:710a"'
rc=$(curl_rc "$P-laptop" "http://[2001:db8:64::c633:640a]/")
[ "$rc" = 0 ] && ok "laptop (not managed) to CN through NAT64: allowed by default" || not_ok "laptop allowed" "curl exit $rc"
no_log "the laptop's flow is known (CN), not 'unknown allow log'" '.src == "2001:db8:1::20"'

"$GEOEGRESS" report "$LOG" >"$T/report.txt" 2>&1
if grep -A1 '^  2001:db8:64::c633:640a ' "$T/report.txt" | grep -Eq 'nat64 198\.51\.100\.10'; then
	ok "report: the destination, with the address that decided (VIA)"
else not_ok "report: the destination with VIA" "$(cat "$T/report.txt")"; fi
"$GEOEGRESS" report --format json "$LOG" >"$T/report.json" 2>&1
if jq -e '[.destinations[] | select(.dst == "2002:c633:640a::1")] | .[0].geo_addr == "198.51.100.10" and .[0].country == "CN"' \
	"$T/report.json" >/dev/null; then ok "report json: geo_addr of the 6to4 destination"
else not_ok "report json: geo_addr" "$(jq -c '.destinations' "$T/report.json")"; fi
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
tap_done
