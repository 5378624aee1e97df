#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# geoegress explain and geoegress check with a database: the shared fixture
# MMDBs (scripts/geodb-fixture) and the lab addresses.  Nothing touches the
# network.
set -u
. "$(dirname "$0")/../lib.sh"
G=$GEOEGRESS
[ -x "$G" ] || { not_ok "geoegress binary $G exists (make BUILD=...)"; tap_done; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$TOP/scripts/geodb-fixture" "$tmp" >/dev/null || { not_ok "fixture databases build"; tap_done; exit 1; }
sed "s|/var/lib/geoegress/country.mmdb|$tmp/geoip2.mmdb|" "$TOP/rules/examples/iaf.conf" >"$tmp/iaf.conf"
sed "s|/var/lib/geoegress/country.mmdb|$tmp/geoip2.mmdb|" "$TOP/rules/examples/india-only.conf" >"$tmp/india.conf"
sed 's/^option mode enforce.*/option mode audit/' "$tmp/iaf.conf" >"$tmp/audit.conf"

# expect NAME FILE LINE-REGEX...: every regex matches a line of FILE
expect() {
	local name=$1 file=$2 re miss=""
	shift 2
	for re in "$@"; do
		grep -Eq -- "$re" "$file" || miss="$miss /$re/"
	done
	if [ -z "$miss" ]; then ok "$name"; else not_ok "$name" "missing$miss in: $(cat "$file")"; fi
}

# explain NAME ARGS... (exit 0 expected); output in $tmp/out
explain() {
	local name=$1
	shift
	if "$G" explain "$@" >"$tmp/out" 2>"$tmp/err"; then ok "$name: exit 0"; else not_ok "$name: exit 0" "$(cat "$tmp/err")"; fi
}

explain "laptop to CN" -c "$tmp/iaf.conf" --from 198.18.1.20 --to 198.51.100.10 --port 443
expect "laptop to CN: blocked by the IAF rule" "$tmp/out" '^country: +CN \(China\), from country \(country-field located\)$' \
	'^device: +managed$' '^rule: +line [0-9]+: block log from @managed to country @forbidden name "IAF advisory 2014"$' \
	'^action: +block$' '^log: +yes$'

explain "phone by MAC to CN" -c "$tmp/iaf.conf" --from 2001:db8:1::99,02:00:5e:00:53:01 --to 2001:db8:86::10 --proto udp --port 53
expect "phone by MAC (new address) to CN over IPv6: blocked" "$tmp/out" '^device: +managed$' '^action: +block$'

explain "laptop to SG/registered CN" -c "$tmp/iaf.conf" --from 198.18.1.20 --to 203.0.113.200 --port 443
expect "located SG: default allow" "$tmp/out" '^country: +SG \(Singapore\)' '^rule: +no rule matched; line [0-9]+: default allow$' \
	'^action: +allow$' '^log: +no$'

sed 's/^option country-field located.*/option country-field registered/' "$tmp/iaf.conf" >"$tmp/reg.conf"
explain "registered field" -c "$tmp/reg.conf" --from 198.18.1.20 --to 203.0.113.200 --port 443
expect "registered CN: blocked" "$tmp/out" '^country: +CN \(China\), from registered_country \(country-field registered\)$' '^action: +block$'

explain "guest to unknown" -c "$tmp/iaf.conf" --from 198.18.1.200 --to 198.19.0.10
expect "guest to an unmapped address: unknown, guest rule logs" "$tmp/out" '^country: +unknown \(not in the database\)' \
	'^device: +guests$' '^action: +log$' '^log: +yes$'

explain "other device to unknown" -c "$tmp/iaf.conf" --from 2001:db8:1::5 --to 2001:db8:ff::10
expect "unknown destination: option unknown decides" "$tmp/out" '^device: +\(in no devices set\)$' \
	'^rule: +no rule matched; line [0-9]+: option unknown allow log' '^action: +allow$' '^log: +yes$'

explain "internal exempt" -c "$tmp/iaf.conf" --from 198.18.1.20 --to 10.1.2.3
expect "internal range: first rule allows" "$tmp/out" '^rule: +line [0-9]+: allow to @internal' '^action: +allow$'

explain "audit mode" -c "$tmp/audit.conf" --from 198.18.1.20 --to 198.51.100.10 --port 443
expect "audit mode: block not enforced" "$tmp/out" '^action: +block$' '^audit: +mode audit: this block is NOT enforced'

explain "india-only to IN" -c "$tmp/india.conf" --from 198.18.1.20 --to 192.0.2.10 --port 443
expect "india-only: IN passes to the default" "$tmp/out" '^action: +allow$' '^rule: +no rule matched'
explain "india-only to SG" -c "$tmp/india.conf" --from 198.18.1.20 --to 203.0.113.10 --port 443
expect "india-only: SG blocked by != { IN }" "$tmp/out" '^rule: +line [0-9]+: block log from @managed to country != \{ IN \}' '^action: +block$'
explain "india-only to unknown" -c "$tmp/india.conf" --from 198.18.1.20 --to 198.19.0.10 --port 443
expect "india-only: unknown blocked by 'to unknown'" "$tmp/out" '^rule: +line [0-9]+: block log from @managed to unknown' '^action: +block$'

explain "--db override, flat schema" -c "$tmp/iaf.conf" --db "$tmp/flat.mmdb" --from 198.18.1.20 --to 198.51.100.10
expect "flat schema: CN from country_code" "$tmp/out" '^country: +CN \(China\), from country_code' '^action: +block$'
explain "IPv6 in an IPv4-only database" -c "$tmp/iaf.conf" --db "$tmp/v4only.mmdb" --from 2001:db8:1::5 --to 2001:db8:86::10
expect "v4-only database: IPv6 destination is unknown" "$tmp/out" '^country: +unknown'

# usage errors: exit 2
for args in "--from 198.18.1.20" "--from 198.18.1.20 --to nope" "--from 198.18.1.20 --to 2001:db8::1" \
	"--from 198.18.1.20,zz:00 --to 192.0.2.10" "--from 198.18.1.20 --to 192.0.2.10 --proto icmp --port 80" \
	"--from 198.18.1.20 --to 192.0.2.10 --port 70000"; do
	"$G" explain -c "$tmp/iaf.conf" $args >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] && ok "explain $args: usage error (2)" || not_ok "explain $args: usage error (2)" "exit $rc"
done

# check with the database
"$G" check -c "$tmp/iaf.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && ok "check with database: exit 0" || not_ok "check with database: exit 0" "$(cat "$tmp/err")"
expect "check: policy and database summaries" "$tmp/out" \
	"^policy OK: $tmp/iaf.conf: 3 rules, 4 sets, default allow, mode enforce$" \
	"^database OK: $tmp/geoip2.mmdb: GeoIP2-Country, built 2026-01-01 \([0-9]+ days? old\), IPv6, [0-9]+ ranges, schema GeoIP2"
days=$(sed -n 's/.*(\([0-9]*\) days\{0,1\} old).*/\1/p' "$tmp/out")
if [ "${days:-0}" -gt 90 ]; then
	check_grep "check: warns about an old database" "is $days days old" "$tmp/err"
else
	ok "check: database younger than 90 days, no warning needed"
fi
sed "s|$tmp/geoip2.mmdb|$tmp/nocountry.mmdb|" "$tmp/iaf.conf" >"$tmp/bad.conf"
"$G" check -c "$tmp/bad.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && ok "check with a bad database: exit 1" || not_ok "check with a bad database: exit 1" "exit $rc"
check_grep "check: the database error names the file" "database: .*nocountry.mmdb" "$tmp/err"
"$G" check -c "$tmp/missing.conf" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && ok "check of a missing file: exit 1" || not_ok "check of a missing file: exit 1" "exit $rc"
check_grep "check of a missing file: says why" "missing.conf: error: cannot open the policy: No such file or directory" "$tmp/err"
# Codes that are not countries (issue 11, case 2): the tor-geoipdb codes
# are unknown destinations; check counts them and says what they get.
sed "s|$tmp/geoip2.mmdb|$tmp/codes.mmdb|" "$tmp/iaf.conf" >"$tmp/codes.conf"
sed 's/^option unknown .*/option unknown block log/' "$tmp/codes.conf" >"$tmp/codes-block.conf"
explain "ZZ destination" -c "$tmp/codes-block.conf" --from 198.18.1.20 --to 198.19.0.10
expect "ZZ is unknown: option unknown block decides and logs" "$tmp/out" \
	'^country: +unknown — its country field says ZZ, not a country but the code for unknown or unassigned' \
	'^rule: +no rule matched; line [0-9]+: option unknown block log' '^action: +block$' '^log: +yes$'
explain "EU destination over IPv6" -c "$tmp/codes-block.conf" --from 2001:db8:1::5 --to 2001:db8:65::10
expect "EU is unknown too" "$tmp/out" "^country: +unknown — its country field says EU" '^action: +block$'
explain "located EU, registered DE" -c "$tmp/codes-block.conf" --from 198.18.1.20 --to 198.19.1.10
expect "EU + DE: DE decides" "$tmp/out" '^country: +DE \(Germany\), from registered_country' \
	'its country field says EU, not a country: the next field decided' '^action: +allow$'
"$G" check -c "$tmp/codes-block.conf" >"$tmp/out" 2>"$tmp/err"
expect "check counts the ranges with codes that are not countries, and what they get" "$tmp/out" \
	'^codes that are not countries: 9 ranges \(EU 2, ZZ 2, AB 1, AP 1, OS 1, SU 1, UN 1\) count as unknown destinations$' \
	'^  under this policy: no country test matches them; if no rule matches: option unknown block log \(line [0-9]+\)$'
"$G" check -c "$tmp/india.conf" >"$tmp/out" 2>"$tmp/err"
if grep -q "not countries" "$tmp/out"; then not_ok "geoip2 fixture: no such codes, no line" "$(cat "$tmp/out")"
else ok "geoip2 fixture: no such codes, no line"; fi
sed "s|$tmp/geoip2.mmdb|$tmp/codes.mmdb|" "$tmp/india.conf" >"$tmp/india-codes.conf"
"$G" check -c "$tmp/india-codes.conf" >"$tmp/out" 2>"$tmp/err"
expect "check names the 'to unknown' rules that match them" "$tmp/out" \
	"^  under this policy: no country test matches them; 'to unknown' does \(1 rule, first on line [0-9]+\); if no rule matches: default allow \(line [0-9]+\)$"

# Translated destinations (issue 11, case 1): explain looks up the
# embedded IPv4 address, with the policy's nat64 prefixes.
sed 's|^option unknown .*|option unknown allow log\noption nat64 2001:db8:64::/96|' "$tmp/iaf.conf" >"$tmp/nat64.conf"
explain "phone to CN through the well-known NAT64 prefix" -c "$tmp/nat64.conf" --from 2001:db8:1::10,02:00:5e:00:53:01 --to 64:ff9b::c633:640a
expect "NAT64 64:ff9b::: country of 198.51.100.10, blocked" "$tmp/out" '^country: +CN \(China\)' \
	'^ +of 198\.51\.100\.10, the IPv4 address the destination embeds \(nat64\)$' '^action: +block$'
explain "phone to CN through the operator's prefix" -c "$tmp/nat64.conf" --from 2001:db8:1::10,02:00:5e:00:53:01 --to 2001:db8:64::c633:640a
expect "option nat64 2001:db8:64::/96: blocked, not 'unknown allow log'" "$tmp/out" '^country: +CN' '^action: +block$'
explain "6to4 on a DB-IP database" -c "$tmp/nat64.conf" --db "$tmp/dbip.mmdb" --from 2001:db8:1::10,02:00:5e:00:53:01 --to 2002:c633:640a::1
expect "6to4 without database aliases: CN, blocked" "$tmp/out" '^country: +CN' '\(6to4\)$' '^action: +block$'

# Names and AS numbers (issue 13): what a rule on names would do.
cat >"$tmp/vendor.conf" <<EOF
option database "$tmp/geoip2.mmdb"
option asn-database "$tmp/asn.mmdb"
hosts vendor = { vendor.test, *.vendor.test }
hosts cdn = { *.vendorcdn.test }
devices managed = { 198.18.1.0/25 }
block from @managed to host @vendor name "vendor service"
log from @managed to host unknown proto tcp port 853 name "DoT, no name"
reject from @managed to asn 64501 name "vendor telecom"
default allow
EOF
explain "--host a vendor name" -c "$tmp/vendor.conf" --from 198.18.1.10 --to 203.0.113.10 --host App.Vendor.Test.
expect "a name in @vendor: blocked in SG; its sets and AS shown" "$tmp/out" \
	'^country: +SG \(Singapore\)' '^names: +app\.vendor\.test: in @vendor$' '^as: +AS64500 \(Example Vendor Cloud\)$' \
	'^rule: +line 6: block from @managed to host @vendor name "vendor service"$' '^action: +block$'
explain "--host two names, one in a set" -c "$tmp/vendor.conf" --from 198.18.1.10 --to 203.0.113.10 --host x.other.test --host sg1.vendorcdn.test --host api.vendor.test
expect "several names: any in the set matches" "$tmp/out" '^names: +x\.other\.test: in no hosts set$' \
	'sg1\.vendorcdn\.test: in @cdn$' '^action: +block$'
explain "no --host" -c "$tmp/vendor.conf" --from 198.18.1.10 --to 203.0.113.10
expect "no name: 'to host' does not match; the default" "$tmp/out" '^names: +none known' '^rule: +no rule matched' '^action: +allow$'
explain "no --host, DoT" -c "$tmp/vendor.conf" --from 198.18.1.10 --to 203.0.113.10 --port 853
expect "no name: 'to host unknown' matches" "$tmp/out" '^action: +log$' 'DoT, no name'
explain "AS from the AS database" -c "$tmp/vendor.conf" --from 198.18.1.10 --to 198.51.100.10
expect "to asn 64501: rejected" "$tmp/out" '^as: +AS64501 \(Example Telecom\)$' '^action: +reject$'
explain "--asn overrides" -c "$tmp/vendor.conf" --from 198.18.1.10 --to 203.0.113.10 --asn AS64501
expect "--asn AS64501: rejected" "$tmp/out" '^as: +AS64501$' '^action: +reject$'
"$G" explain -c "$tmp/vendor.conf" --from 198.18.1.10 --to 203.0.113.10 --host 'bad name' >/dev/null 2>&1
[ $? -eq 2 ] && ok "--host with a space: usage error" || not_ok "--host with a space: usage error"
sed "s|$tmp/asn.mmdb|$tmp/geoip2.mmdb|" "$tmp/vendor.conf" >"$tmp/vendor-bad.conf"
"$G" check -c "$tmp/vendor-bad.conf" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'not an AS database' "$tmp/out"; then
	ok "check: a country database as asn-database is an error"
else
	not_ok "check: a country database as asn-database is an error" "exit $rc: $(cat "$tmp/out")"
fi

"$G" check --bogus >/dev/null 2>&1
[ $? -eq 2 ] && ok "check --bogus: usage error" || not_ok "check --bogus: usage error"
tap_done
