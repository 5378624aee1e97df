#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Names from the devices' own DNS answers (issue 13), in the lab: a real
# resolver on the gateway (dnsmasq in gw, the phone's and the guest's) and
# one the gateway forwards to (wan's dnsmasq, the laptop's); real clients
# resolving by name (dig, curl through getaddrinfo), IPv4 and IPv6; a
# vendor hosted in SG behind a CNAME (app.vendor.test -> sg1.vendorcdn.test,
# TTL 30) and a short-lived name (short.vendor.test, TTL 2).
#  - `block from @managed to host @vendor` stops the vendor's service in an
#    allowed country, over IPv4 and IPv6, through either resolver, while
#    the same address stays reachable for a device that never resolved it;
#  - the CNAME chain's end is known too (a rule on *.vendorcdn.test);
#  - TTL expiry is honoured (names-ttl 1-3600: the 2 s TTL stands);
#  - `host` in the log, the report (hosts, registered domains, ASes), and
#    `flows`; stats says how many new flows no answer explained; the hook
#    copies answers (forward_names, output_names) and only while it runs.
. "$(dirname "$0")/common.sh"
netns_setup names
G=$P-gw
POL=$T/policy.conf
cat >"$POL" <<EOP
option database "$FIX/geoip2.mmdb"
option asn-database "$FIX/asn.mmdb"
option log-file "$LOG"
option log-rate unlimited
option names-ttl 1-3600
hosts vendor = { vendor.test, *.vendor.test }
hosts cdn = { *.vendorcdn.test }
devices managed = { 02:00:5e:00:53:01, 02:00:5e:00:53:02 }
devices guests = { 02:00:5e:00:53:03 }
block from @managed to host @vendor name "vendor service"
log from @guests to host @cdn name "guest to the vendor's CDN"
log from @managed to host unknown proto tcp port 80 name "no DNS answer"
default allow
EOP
lab_gw_resolver "$P" || { not_ok "resolver on the gateway"; tap_done; exit 1; }
lab_resolver "$P-phone" 198.18.1.1		# the gateway's own dnsmasq
lab_resolver "$P-guest" 198.18.1.1
lab_resolver "$P-laptop" 192.0.2.10		# wan's, through the gateway
lab_in "$G" sysctl -qw net.netfilter.nf_conntrack_timestamp=1 >/dev/null
for d in phone laptop guest; do lab_in "$P-$d" ping -6 -c1 -W1 -q 2001:db8:1::1 >/dev/null 2>&1; done
netns_start "$POL"
c2() { lab_in "$1" curl -s -o /dev/null -m 2 "${@:2}" >/dev/null 2>&1; echo $?; }
blocked() {	# blocked DESC EXIT-CODE
	if [ "$2" = 28 ]; then ok "$1: blocked (curl timed out)"; else not_ok "$1: blocked" "curl exit $2"; fi
}
reached() {
	if [ "$2" = 0 ]; then ok "$1: reached (HTTP)"; else not_ok "$1: reached" "curl exit $2"; fi
}

nft=$(lab_in "$G" nft list table inet geoegress)
if grep -q 'chain forward_names' <<<"$nft" && grep -q 'chain output_names' <<<"$nft" &&
	[ "$(grep -c 'ct direction reply meta l4proto { tcp, udp } th sport 53 log group 53' <<<"$nft")" = 2 ]; then
	ok "the hook copies DNS answers (forward and output) to NFLOG group 53"
else
	not_ok "the hook's names chains" "$nft"
fi

# A device that never resolved the vendor's name reaches its address.
reached "laptop, no name, 203.0.113.10" "$(c2 "$P-laptop" http://203.0.113.10/)"
reached "laptop, no name, [2001:db8:65::10]" "$(c2 "$P-laptop" -g 'http://[2001:db8:65::10]/')"
check_log "its flow: no host, the 'to host unknown' rule" 'select(.src == "198.18.1.20" and .dst == "203.0.113.10")' \
	'.rule_name == "no DNS answer" and (has("host") | not) and .asn == 64500 and .as_org == "Example Vendor Cloud"'

# The phone resolves through the gateway's own resolver.
out=$(lab_in "$P-phone" dig +time=2 +tries=1 app.vendor.test A)
grep -q 'app.vendor.test.*CNAME.*sg1.vendorcdn.test' <<<"$out" && grep -q 'sg1.vendorcdn.test.*A.*203.0.113.10' <<<"$out" &&
	ok "dig: app.vendor.test CNAME sg1.vendorcdn.test A 203.0.113.10 (from 198.18.1.1)" ||
	not_ok "dig through the gateway's resolver" "$out"
blocked "phone to http://app.vendor.test/ (IPv4)" "$(c2 "$P-phone" -4 http://app.vendor.test/)"
blocked "phone to http://app.vendor.test/ (IPv6)" "$(c2 "$P-phone" -6 http://app.vendor.test/)"
check_log "log: the phone's IPv4 flow, host app.vendor.test" 'select(.src == "198.18.1.10" and .dst == "203.0.113.10")' \
	'.action == "block" and .rule_name == "vendor service" and .host == "app.vendor.test" and .country == "SG" and .asn == 64500'
check_log "log: the phone's IPv6 flow, host app.vendor.test" 'select(.src == "2001:db8:1::10" and .dst == "2001:db8:65::10")' \
	'.action == "block" and .host == "app.vendor.test" and .src_mac == "02:00:5e:00:53:01"'

# Names do not leak: the laptop still reaches the address by itself.
reached "laptop, still no name, 203.0.113.10 (after the phone resolved it)" "$(c2 "$P-laptop" http://203.0.113.10/)"
# The laptop resolves through a resolver the gateway forwards to.
blocked "laptop to http://app.vendor.test/ (wan's resolver, forwarded)" "$(c2 "$P-laptop" http://app.vendor.test/)"
check_log "log: the laptop's flow, host app.vendor.test" 'select(.src_mac == "02:00:5e:00:53:02" and .action == "block")' \
	'.host == "app.vendor.test" and .rule_name == "vendor service"'

# The CNAME chain's end counts too: the guest's rule is on *.vendorcdn.test.
reached "guest to http://app.vendor.test/ (not managed: allowed)" "$(c2 "$P-guest" -4 http://app.vendor.test/)"
check_log "log: the guest matched the chain's end, host is the name asked" 'select(.src == "198.18.1.130")' \
	'.action == "log" and .rule_name == "guest to the vendor'"'"'s CDN" and .host == "app.vendor.test"'

# TTL expiry: short.vendor.test lives 2 s.
out=$(lab_in "$P-phone" dig +short +time=2 +tries=1 short.vendor.test A)
[ "$out" = 203.0.113.200 ] && ok "dig: short.vendor.test A 203.0.113.200 (TTL 2)" || not_ok "dig short.vendor.test" "$out"
blocked "phone to 203.0.113.200 within the TTL" "$(c2 "$P-phone" http://203.0.113.200/)"
sleep 3.5
reached "phone to 203.0.113.200 after the TTL: the name expired" "$(c2 "$P-phone" http://203.0.113.200/)"
check_log "log: that flow has no name any more" 'select(.src == "198.18.1.10" and .dst == "203.0.113.200" and .action != "block")' \
	'.rule_name == "no DNS answer" and (has("host") | not)'

# flows: the host under each destination a device resolved.
lab_in "$G" "$GEOEGRESS" flows -c "$POL" --ctl "$(lab_dir "$P")/ctl" >"$T/flows.txt" 2>&1
if awk '/^guests: 198.18.1.130/ { g = 1; next } /^[a-z(]/ { g = 0 } g && /203\.0\.113\.10 / { a = 1; next }
	a && /^ +app\.vendor\.test$/ { found = 1 } { a = 0 } END { exit !found }' "$T/flows.txt"; then
	ok "flows: the guest's connection to 203.0.113.10 shows app.vendor.test"
else
	not_ok "flows shows the host" "$(cat "$T/flows.txt")"
fi
lab_in "$G" "$GEOEGRESS" flows --json -c "$POL" --ctl "$(lab_dir "$P")/ctl" >"$T/flows.json" 2>&1
if jq -e '[.connections[] | select(.src == "198.18.1.130" and .dst == "203.0.113.10" and .host == "app.vendor.test"
	and (.names | index("sg1.vendorcdn.test")) and .asn == 64500)] | length > 0' "$T/flows.json" >/dev/null; then
	ok "flows --json: host, names (the chain's end too) and asn"
else
	not_ok "flows --json host" "$(head -c 1500 "$T/flows.json")"
fi
if jq -e '[.connections[] | select(.src == "198.18.1.10" and .dst == "203.0.113.200")] |
	(length > 0 and all(.host == null))' "$T/flows.json" >/dev/null; then
	ok "flows --json: the phone's connection after its name expired has no host"
else
	not_ok "flows --json: no host once the name expired" "$(jq -c '[.connections[] | select(.src == "198.18.1.10")]' "$T/flows.json")"
fi

# stats
s=$(ge_json)
if jq -e '.names.learned and .names.group == 53 and .names.answers >= 6 and .names.by_mac >= 6 and
	.names.flows_explained >= 4 and .names.flows_unexplained >= 3 and (.names.unexplained_pct > 0) and
	.names.entries <= .names.entries_max and .asn_database.type == "GeoLite2-ASN"' <<<"$s" >/dev/null; then
	ok "stats --json: names learned, flows explained and not, the unexplained share ($(jq -c '.names | {answers, flows_explained, flows_unexplained, unexplained_pct}' <<<"$s"))"
else
	not_ok "stats --json names" "$(jq -c '.names, .asn_database' <<<"$s")"
fi
lab_ge "$P" stats --format prometheus >"$T/m.txt" 2>&1
m() { awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt"; }
if promtool check metrics <"$T/m.txt" >/dev/null 2>&1 && [ "$(m geoegress_names_learning)" = 1 ] &&
	[ "$(m geoegress_flows_explained_total)" -ge "$(jq .names.flows_explained <<<"$s")" ] &&
	[ "$(m geoegress_flows_unexplained_total)" -ge "$(jq .names.flows_unexplained <<<"$s")" ] &&
	[ "$(m geoegress_asn_database_build_timestamp_seconds)" = "$(jq .asn_database.build_epoch <<<"$s")" ]; then
	ok "stats --format prometheus: names learned, flows explained and not, the AS database"
else
	not_ok "prometheus names metrics" "$(grep -E 'names|flows_|asn' "$T/m.txt")"
fi
lab_ge "$P" stats >"$T/stats.txt" 2>&1
check_grep "stats: the share of new flows no answer explained" '^ +new flows \(not to port 53\): [0-9]+ explained by a DNS answer, [0-9]+ not \([0-9.]+% unexplained' "$T/stats.txt"

# report: hosts, registered domains, ASes
"$GEOEGRESS" report "$LOG" >"$T/report.txt" 2>&1
check_grep "report: a Hosts table with app.vendor.test in vendor.test" '^  app\.vendor\.test +vendor\.test ' "$T/report.txt"
check_grep "report: registered domains" '^Registered domains: ' "$T/report.txt"
"$GEOEGRESS" report --format json "$LOG" >"$T/report.json" 2>&1
if jq -e '(.hosts[] | select(.host == "app.vendor.test") | .blocked >= 3 and .domain == "vendor.test") and
	(.asns[] | select(.asn == 64500) | .as_org == "Example Vendor Cloud")' "$T/report.json" >/dev/null; then
	ok "report --format json: hosts (blocked, domain) and asns"
else
	not_ok "report json names" "$(jq -c '.hosts, .asns' "$T/report.json")"
fi

# Stopping removes the copies with the table.
lab_stop_geoegress "$P"
if lab_in "$G" nft list table inet geoegress >/dev/null 2>&1; then
	not_ok "after stop: no table (and no copies)"
else
	ok "after stop: the table and its names chains are gone"
fi
tap_done
