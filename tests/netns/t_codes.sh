#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Codes that are not countries (issue 11, case 2), in the lab: a database
# like tor-geoipdb places 198.19.0.0/24 in ZZ and 203.0.113.0/25 and
# 2001:db8:65::/48 in the region EU (scripts/geodb-fixture, codes.mmdb).
# Under `option unknown block log` a flow to each is blocked and logged as
# an unknown destination, with the database's code kept (db_code); under
# the shipped example's `option unknown allow log` the ZZ flow passes and
# is logged; a real country still decides as before.
. "$(dirname "$0")/common.sh"
netns_setup codes
POL=$T/policy.conf
write_policy() {	# write_policy UNKNOWN-OPTION
	cat >"$POL" <<EOF
option database "$FIX/codes.mmdb"
option log-file "$LOG"
option log-rate unlimited
option unknown $1
block log to country CN name "no-cn"
default allow
EOF
}
write_policy "block log"
netns_start "$POL"
UL=$(rule_line "$POL" "option unknown")

rc=$(curl_rc "$P-phone" http://198.19.0.10/)
[ "$rc" = 28 ] && ok "ZZ destination: option unknown block stops it" || not_ok "ZZ destination blocked" "curl exit $rc"
check_log "ZZ: logged as unknown (country null), code ZZ kept, decided by option unknown" '.dst == "198.19.0.10"' \
	".action == \"block\" and .country == null and .db_code == \"ZZ\" and .default == true and .rule == $UL"
rc=$(curl_rc "$P-phone" http://203.0.113.10/)
[ "$rc" = 28 ] && ok "EU (region) destination: blocked as unknown" || not_ok "EU destination blocked" "curl exit $rc"
check_log "EU: country null, db_code EU" '.dst == "203.0.113.10"' '.action == "block" and .country == null and .db_code == "EU"'
rc=$(curl_rc "$P-phone" "http://[2001:db8:65::10]/")
[ "$rc" = 28 ] && ok "EU over IPv6: blocked as unknown" || not_ok "EU over IPv6 blocked" "curl exit $rc"
check_log "EU over IPv6: db_code EU" '.dst == "2001:db8:65::10"' '.country == null and .db_code == "EU"'
rc=$(curl_rc "$P-phone" http://192.0.2.10/)
[ "$rc" = 0 ] && ok "IN (a country): default allow" || not_ok "IN allowed" "curl exit $rc"
no_log "IN: allowed without log, not written" '.dst == "192.0.2.10"'
rc=$(curl_rc "$P-phone" http://198.51.100.10/)
[ "$rc" = 28 ] && ok "CN: blocked by its rule" || not_ok "CN blocked" "curl exit $rc"
check_log "CN: country CN, no db_code" '.dst == "198.51.100.10"' '.country == "CN" and (has("db_code") | not)'
if ge_json | jq -e '(.by_country | has("ZZ") or has("EU") | not) and .by_country.unknown >= 3' >/dev/null; then
	ok "stats count ZZ and EU as unknown"
else
	not_ok "stats count ZZ and EU as unknown" "$(ge_json | jq -c .by_country)"
fi

# The shipped example's option: the allowed ZZ flow is logged.
write_policy "allow log"
if lab_ge "$P" reload >"$T/reload.out" 2>&1; then ok "reload to option unknown allow log"
else not_ok "reload" "$(cat "$T/reload.out")"; fi
rc=$(curl_rc "$P-phone" http://198.19.0.10/)
[ "$rc" = 0 ] && ok "ZZ under unknown allow log: passes" || not_ok "ZZ passes" "curl exit $rc"
check_log "ZZ under unknown allow log: the allowed flow is logged" '.dst == "198.19.0.10" and .action == "allow"' \
	'.country == null and .db_code == "ZZ" and .default == true'
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
tap_done
