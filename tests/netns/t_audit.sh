#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode audit: nothing is blocked or rejected; would-be blocks/rejects are
# logged with "audit":true and the policy's action; stats count them.
. "$(dirname "$0")/common.sh"
netns_setup audit
POL=$T/audit.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option mode audit
option unknown reject
option log-file "$LOG"
option log-rate unlimited
option fail-mode closed
devices managed = { 02:00:5e:00:53:01, 02:00:5e:00:53:02 }
block from @managed to country CN name "audit-cn"
reject from @managed to country IN name "audit-in"
default allow
EOF
L_CN=$(rule_line "$POL" audit-cn) L_IN=$(rule_line "$POL" audit-in)
netns_start "$POL"

for v in 4 6; do
	if [ $v = 4 ]; then cn=198.51.100.10 in=192.0.2.10 unk=198.19.0.10; else cn=2001:db8:86::10 in=2001:db8:91::10 unk=2001:db8:ff::10; fi
	url() { case $1 in *:*) echo "http://[$1]/" ;; *) echo "http://$1/" ;; esac; }
	rc=$(curl_rc "$P-phone" "$(url $cn)")
	[ "$rc" = 0 ] && ok "v$v: audit: phone curl to CN passes" || not_ok "v$v: audit: phone curl to CN passes" "curl exit $rc"
	check_log "v$v: audit: CN would-be block logged with audit:true" ".dst==\"$cn\" and .proto==\"tcp\"" \
		".action==\"block\" and .audit==true and .rule==$L_CN and .rule_name==\"audit-cn\" and .country==\"CN\""
	out=$(lab_in "$P-phone" dig +time=1 +tries=1 +short "@$cn" cn.example.test 2>&1)
	[ "$out" = 198.51.100.10 ] && ok "v$v: audit: dig to CN answered" || not_ok "v$v: audit: dig to CN answered" "$out"
	check "v$v: audit: ping to CN answered" lab_in "$P-phone" ping -c1 -W2 "$cn"
	rc=$(curl_rc "$P-laptop" "$(url $in)")
	[ "$rc" = 0 ] && ok "v$v: audit: laptop curl to IN (reject rule) passes" || not_ok "v$v: audit: laptop curl to IN (reject rule) passes" "curl exit $rc"
	check_log "v$v: audit: IN would-be reject logged with audit:true" ".dst==\"$in\" and .proto==\"tcp\"" \
		".action==\"reject\" and .audit==true and .rule==$L_IN"
	rc=$(curl_rc "$P-laptop" "$(url $unk)")
	[ "$rc" = 0 ] && ok "v$v: audit: unknown destination (unknown reject) passes" || not_ok "v$v: audit: unknown destination passes" "curl exit $rc"
	check_log "v$v: audit: unknown would-be reject logged" ".dst==\"$unk\" and .proto==\"tcp\"" \
		".action==\"reject\" and .audit==true and .country==null"
	rc=$(curl_rc "$P-guest" "$(url $cn)")
	[ "$rc" = 0 ] && ok "v$v: audit: guest curl to CN passes" || not_ok "v$v: audit: guest curl to CN passes" "curl exit $rc"
done
rc=$(curl_rc "$P-phone" http://203.0.113.10/)
[ "$rc" = 0 ] && ok "audit: phone curl to SG passes" || not_ok "audit: phone curl to SG passes" "curl exit $rc"
no_log "audit: allowed flows (SG, guest) are not logged" '.dst=="203.0.113.10" or .src=="198.18.1.130" or .src=="2001:db8:1::130"'
no_log "audit: no line claims enforcement (audit:false with block/reject)" '(.action=="block" or .action=="reject") and .audit==false'
json=$(ge_json)
if printf '%s' "$json" | jq -e '.audit_passed >= 10 and .by_action.block >= 4 and .by_action.reject >= 4' >/dev/null 2>&1; then
	ok "stats: audit_passed counts the would-be blocks"
else not_ok "stats: audit_passed counts the would-be blocks" "$json"; fi
lab_stop_geoegress "$P"
tap_done
