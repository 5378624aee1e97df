#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Decisions through a real gateway, IPv4 and IPv6: block (CN), allow (SG),
# reject (IN: refused at once), a guest's flow logged and allowed, unknown
# destinations get `option unknown`, a MAC-identified phone stays managed
# after an IP change, located vs registered country on 203.0.113.200.
# Asserts on what the clients saw, on the decision log and on stats.
. "$(dirname "$0")/common.sh"
netns_setup decide

write_policy() {	# write_policy FILE FIELD
	cat >"$1" <<EOF
# t_decide policy
option database "$FIX/geoip2.mmdb"
option country-field $2
option unknown reject log
option log-file "$LOG"
option log-rate unlimited
option fail-mode closed

devices managed = { 02:00:5e:00:53:01, 198.18.1.20, 2001:db8:1::20 }
devices guests = { 198.18.1.130, 2001:db8:1::130 }

log from @guests name "guest-log"
block from @managed to country CN name "no-cn"
reject from @managed to country IN name "reject-in"
allow log from @managed to country SG name "sg-ok"
default allow
EOF
}
POL=$T/policy.conf
write_policy "$POL" located
L_CN=$(rule_line "$POL" no-cn) L_IN=$(rule_line "$POL" reject-in)
L_SG=$(rule_line "$POL" sg-ok) L_GUEST=$(rule_line "$POL" guest-log)
L_UNK=$(rule_line "$POL" "option unknown")
PHONE=$P-phone LAPTOP=$P-laptop GUEST=$P-guest
MAC_PHONE=02:00:5e:00:53:01 MAC_LAPTOP=02:00:5e:00:53:02 MAC_GUEST=02:00:5e:00:53:03

netns_start "$POL"

# --- block: CN, phone (managed by MAC only) ---
for v in 4 6; do
	if [ $v = 4 ]; then cn=198.51.100.10 src=198.18.1.10 url=http://198.51.100.10/ proto_icmp=icmp
	else cn=2001:db8:86::10 src=2001:db8:1::10 url="http://[2001:db8:86::10]/" proto_icmp=icmpv6; fi
	rc=$(curl_rc "$PHONE" "$url")
	[ "$rc" = 28 ] && ok "v$v: phone curl to CN times out (blocked)" || not_ok "v$v: phone curl to CN times out (blocked)" "curl exit $rc"
	check_log "v$v: CN tcp block logged with all fields" \
		".dst==\"$cn\" and .proto==\"tcp\"" \
		".action==\"block\" and .audit==false and .rule==$L_CN and .rule_name==\"no-cn\" and .default==false
		 and .src==\"$src\" and .src_mac==\"$MAC_PHONE\" and .device==\"managed\" and .country==\"CN\"
		 and .dport==80 and (.sport|type)==\"number\" and .in==\"lan0\" and .out==\"wan0\" and .count>=1"
	out=$(lab_in "$PHONE" dig +time=1 +tries=1 +short "@$cn" cn.example.test 2>&1)
	case $out in *"timed out"* | *"no servers"*) ok "v$v: phone dig (UDP) to CN gets no answer" ;;
	*) not_ok "v$v: phone dig (UDP) to CN gets no answer" "$out" ;; esac
	check_log "v$v: CN udp/53 block logged" ".dst==\"$cn\" and .proto==\"udp\"" \
		".action==\"block\" and .dport==53 and .country==\"CN\" and .device==\"managed\""
	if lab_in "$PHONE" ping -c1 -W1 "$cn" >/dev/null 2>&1; then
		not_ok "v$v: phone ping to CN blocked"
	else ok "v$v: phone ping to CN blocked"; fi
	check_log "v$v: CN $proto_icmp block logged, no ports" ".dst==\"$cn\" and .proto==\"$proto_icmp\"" \
		".action==\"block\" and .dport==null and .sport==null and .country==\"CN\""
done

# --- allow: SG ---
for v in 4 6; do
	if [ $v = 4 ]; then sg=203.0.113.10 url=http://203.0.113.10/; else sg=2001:db8:65::10 url="http://[2001:db8:65::10]/"; fi
	out=$(lab_in "$PHONE" curl -s -m 3 "$url" 2>&1)
	case $out in "geoegress lab $P") ok "v$v: phone curl to SG succeeds" ;;
	*) not_ok "v$v: phone curl to SG succeeds" "$out" ;; esac
	check_log "v$v: SG allow logged by 'allow log' rule" ".dst==\"$sg\" and .proto==\"tcp\"" \
		".action==\"allow\" and .rule==$L_SG and .rule_name==\"sg-ok\" and .country==\"SG\" and .device==\"managed\""
	out=$(lab_in "$PHONE" dig +time=1 +tries=1 +short "@$sg" sg.example.test 2>&1)
	[ "$out" = 203.0.113.10 ] && ok "v$v: phone dig to SG answered" || not_ok "v$v: phone dig to SG answered" "$out"
	check "v$v: phone ping to SG answered" lab_in "$PHONE" ping -c1 -W2 "$sg"
	out=$(udp_probe "$PHONE" "$sg" 7)
	[ "${out% *}" = reply ] && ok "v$v: phone UDP echo to SG" || not_ok "v$v: phone UDP echo to SG" "$out"
done

# --- reject: IN, laptop (managed by address) ---
for v in 4 6; do
	if [ $v = 4 ]; then in=192.0.2.10 src=198.18.1.20 url=http://192.0.2.10/
	else in=2001:db8:91::10 src=2001:db8:1::20 url="http://[2001:db8:91::10]/"; fi
	read -r RC SECS <<<"$(curl_t "$LAPTOP" "$url")"
	if [ "$RC" = 7 ] && awk -v s="$SECS" 'BEGIN { exit !(s < 1) }'; then ok "v$v: laptop curl to IN refused at once (${SECS} s)"
	else not_ok "v$v: laptop curl to IN refused at once" "curl exit $RC after $SECS s"; fi
	check_log "v$v: IN reject logged" ".dst==\"$in\" and .proto==\"tcp\"" \
		".action==\"reject\" and .rule==$L_IN and .rule_name==\"reject-in\" and .src==\"$src\"
		 and .src_mac==\"$MAC_LAPTOP\" and .device==\"managed\" and .country==\"IN\" and .dport==80"
	read -r out MS <<<"$(udp_probe "$LAPTOP" "$in" 7)"
	case $out in EHOSTUNREACH | EACCES)	# ICMP admin-prohibited (v4 code 13, v6 code 1)
		[ "$MS" -lt 1000 ] && ok "v$v: laptop UDP to IN gets ICMP unreachable at once ($out, $MS ms)" ||
			not_ok "v$v: laptop UDP to IN gets ICMP unreachable at once" "$out after $MS ms" ;;
	*) not_ok "v$v: laptop UDP to IN gets ICMP unreachable" "got $out" ;; esac
	check_log "v$v: IN udp reject logged" ".dst==\"$in\" and .proto==\"udp\"" ".action==\"reject\" and .dport==7"
	out=$(lab_in "$LAPTOP" ping -c1 -W2 "$in" 2>&1)
	case $out in *[Ff]iltered* | *[Pp]rohibited*) ok "v$v: laptop ping to IN gets admin-prohibited" ;;
	*) not_ok "v$v: laptop ping to IN gets admin-prohibited" "$out" ;; esac
done

# --- guest: logged and allowed, even to CN ---
for v in 4 6; do
	if [ $v = 4 ]; then cn=198.51.100.10 src=198.18.1.130 url=http://198.51.100.10/
	else cn=2001:db8:86::10 src=2001:db8:1::130 url="http://[2001:db8:86::10]/"; fi
	rc=$(curl_rc "$GUEST" "$url")
	[ "$rc" = 0 ] && ok "v$v: guest curl to CN allowed" || not_ok "v$v: guest curl to CN allowed" "curl exit $rc"
	check_log "v$v: guest flow logged with action log" ".src==\"$src\" and .dst==\"$cn\"" \
		".action==\"log\" and .rule==$L_GUEST and .rule_name==\"guest-log\" and .device==\"guests\"
		 and .src_mac==\"$MAC_GUEST\" and .country==\"CN\""
done

# --- unknown destination: option unknown reject log ---
for v in 4 6; do
	if [ $v = 4 ]; then unk=198.19.0.10 url=http://198.19.0.10/; else unk=2001:db8:ff::10 url="http://[2001:db8:ff::10]/"; fi
	read -r RC SECS <<<"$(curl_t "$LAPTOP" "$url")"
	if [ "$RC" = 7 ] && awk -v s="$SECS" 'BEGIN { exit !(s < 1) }'; then ok "v$v: unknown destination gets option unknown (reject, $SECS s)"
	else not_ok "v$v: unknown destination gets option unknown (reject)" "curl exit $RC after $SECS s"; fi
	check_log "v$v: unknown logged with country null, default" ".dst==\"$unk\" and .proto==\"tcp\"" \
		".action==\"reject\" and .country==null and .default==true and .rule==$L_UNK"
done

# --- the phone changes its IPv4 address: still managed by MAC ---
lab_in "$PHONE" ip -4 addr flush dev eth0
lab_in "$PHONE" ip addr add 198.18.1.77/24 dev eth0
lab_in "$PHONE" ip route replace default via 198.18.1.1
rc=$(curl_rc "$PHONE" http://198.51.100.10/)
[ "$rc" = 28 ] && ok "phone with new IP 198.18.1.77: CN still blocked" || not_ok "phone with new IP 198.18.1.77: CN still blocked" "curl exit $rc"
check_log "new-IP block logged by MAC as managed" ".src==\"198.18.1.77\" and .dst==\"198.51.100.10\"" \
	".action==\"block\" and .src_mac==\"$MAC_PHONE\" and .device==\"managed\" and .rule==$L_CN"
rc=$(curl_rc "$PHONE" http://203.0.113.10/)
[ "$rc" = 0 ] && ok "phone with new IP: SG still allowed" || not_ok "phone with new IP: SG still allowed" "curl exit $rc"

# --- stats ---
json=$(ge_json)
if printf '%s' "$json" | jq -e '.packets >= 20 and .by_action.block >= 7 and .by_action.reject >= 8
	and .by_action.allow >= 5 and .by_action.log >= 2 and .by_country.CN >= 8 and .by_country.unknown >= 2
	and .audit_passed == 0 and .queue.queue_dropped == 0' >/dev/null 2>&1; then
	ok "stats --json counts the decisions"
else not_ok "stats --json counts the decisions" "$json"; fi

# --- located vs registered: 203.0.113.200 is located SG, registered CN ---
rc=$(curl_rc "$LAPTOP" http://203.0.113.200/)
[ "$rc" = 0 ] && ok "country-field located: 203.0.113.200 (SG) allowed" || not_ok "country-field located: 203.0.113.200 (SG) allowed" "curl exit $rc"
check_log "located decision logged as SG" ".dst==\"203.0.113.200\"" ".action==\"allow\" and .country==\"SG\""
lab_stop_geoegress "$P"
POL2=$T/policy-registered.conf
write_policy "$POL2" registered
netns_start "$POL2"
rc=$(curl_rc "$LAPTOP" http://203.0.113.200/)
[ "$rc" = 28 ] && ok "country-field registered: 203.0.113.200 (CN) blocked" || not_ok "country-field registered: 203.0.113.200 (CN) blocked" "curl exit $rc"
check_log "registered decision logged as CN" ".dst==\"203.0.113.200\" and .action==\"block\"" ".country==\"CN\" and .rule==$L_CN"
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "daemon exits 0 on SIGTERM" || not_ok "daemon exits 0 on SIGTERM" "exit $LAB_GE_RC"
tap_done
