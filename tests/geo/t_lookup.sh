#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `geoegress lookup` on the fixture databases: text and --json output,
# --field, stdin, bad addresses, --help, usage errors, database errors.
set -u
. "$(dirname "$0")/../lib.sh"
FIX=$BUILD/fixtures
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ge-lookup-$$.XXXX")
trap 'rm -rf "$tmp"' EXIT
[ -r "$FIX/codes.mmdb" ] || "$TOP/scripts/geodb-fixture" "$FIX" || { not_ok "geodb-fixture $FIX"; tap_done; exit; }
L() { "$GEOEGRESS" lookup "$@"; }

# expect NAME WANT_RC CMD... — runs CMD, checks its exit status; output in $tmp/out, $tmp/err
expect() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else
		not_ok "$name" "exit $rc, want $want; stdout: $(head -5 "$tmp/out"); stderr: $(head -5 "$tmp/err")"; fi
}
same() {	# same NAME FILE EXPECTED-TEXT
	if [ "$(cat "$2")" = "$3" ]; then ok "$1"; else not_ok "$1" "got:
$(cat "$2")
want:
$3"; fi
}

expect "text lookup on geoip2" 0 L --db "$FIX/geoip2.mmdb" 198.51.100.10 203.0.113.200 198.19.0.10 2001:db8:86::10 ::ffff:192.0.2.1
same "text output, aligned" "$tmp/out" "198.51.100.10     CN  China      country
203.0.113.200     SG  Singapore  country
198.19.0.10       --  unknown    none
2001:db8:86::10   CN  China      country
::ffff:192.0.2.1  IN  India      country"
# options after the addresses count as options, as in the other subcommands
expect "options after the addresses" 0 L 198.51.100.10 --db "$FIX/geoip2.mmdb" --json
jq -e '.country == "CN"' "$tmp/out" >/dev/null 2>&1 && ok "--db and --json after the address apply" ||
	not_ok "--db and --json after the address apply" "$(head -3 "$tmp/out") $(head -3 "$tmp/err")"
expect "an unknown option after the address is a usage error" 2 L 198.51.100.10 --bogus


expect "--field registered" 0 L --db "$FIX/geoip2.mmdb" --field registered 203.0.113.200 203.0.113.10
same "registered country of 203.0.113.200 is CN" "$tmp/out" "203.0.113.200  CN  China      registered_country
203.0.113.10   SG  Singapore  registered_country"

expect "--field either" 0 L --db "$FIX/geoip2.mmdb" -f either 203.0.113.200
check_grep "either answers like located" '^203\.0\.113\.200  SG  Singapore  country$' "$tmp/out"

expect "flat schema" 0 L --db "$FIX/flat.mmdb" --field registered 203.0.113.200
check_grep "flat: country_code answers" '^203\.0\.113\.200  SG  Singapore  country_code$' "$tmp/out"

expect "--json" 0 L --db "$FIX/dbip.mmdb" --json 203.0.113.200 2001:db8:65::10 2001:db8:ff::10
if jq -e -s 'length == 3
	and .[0] == {"address":"203.0.113.200","country":"SG","code":"SG","name":"Singapore","source":"country","registered":"CN","located":"SG","represented":null,"via":null,"ipv4":null}
	and .[1].represented == "US" and .[1].country == "SG"
	and .[2] == {"address":"2001:db8:ff::10","country":null,"code":null,"name":null,"source":"none","registered":null,"located":null,"represented":null,"via":null,"ipv4":null}' \
	"$tmp/out" >/dev/null; then ok "--json objects, one per line, nulls for unknown"
else not_ok "--json objects" "$(cat "$tmp/out")"; fi

# Codes that are not countries (issue 11, case 2): shown as the database
# gives them, and unknown.
expect "codes that are not countries" 0 L --db "$FIX/codes.mmdb" 198.19.0.10 203.0.113.1 2001:db8:65::10 203.0.113.230 198.19.1.1 198.51.100.10
same "ZZ, EU, SU shown with what they are; EU+DE answers DE" "$tmp/out" "198.19.0.10      ZZ  unknown: not a country but the code for unknown or unassigned      country
203.0.113.1      EU  unknown: not a country but a region code for Europe                country
2001:db8:65::10  EU  unknown: not a country but a region code for Europe                country
203.0.113.230    SU  unknown: not a country but the withdrawn code of the Soviet Union  country
198.19.1.1       DE  Germany (EU, in the field tried first, is not a country)           registered_country
198.51.100.10    CN  China                                                              country"
expect "--json with codes" 0 L --db "$FIX/codes.mmdb" --json 198.19.0.10 198.19.1.1
if jq -e -s '.[0] == {"address":"198.19.0.10","country":null,"code":"ZZ","name":null,"source":"country","registered":"ZZ","located":"ZZ","represented":null,"via":null,"ipv4":null}
	and .[1].country == "DE" and .[1].code == "EU" and .[1].source == "registered_country"' "$tmp/out" >/dev/null; then
	ok "--json: country null, code ZZ; EU+DE: country DE, code EU"
else not_ok "--json with codes" "$(cat "$tmp/out")"; fi

# Translated destinations (issue 11, case 1): the country of the embedded
# IPv4 address; 198.51.100.0/24 is CN in the fixtures.
expect "NAT64 well-known prefix, 6to4 on DB-IP (no aliases), Teredo" 0 L --db "$FIX/dbip.mmdb" \
	64:ff9b::c633:640a 2002:c633:640a::1 2001:0:c000:20a::39cc:9bf5 2001:db8:64::c633:640a
same "each answers as 198.51.100.10; an operator prefix needs --nat64" "$tmp/out" "64:ff9b::c633:640a          CN  China    country, nat64 198.51.100.10
2002:c633:640a::1           CN  China    country, 6to4 198.51.100.10
2001:0:c000:20a::39cc:9bf5  CN  China    country, teredo 198.51.100.10
2001:db8:64::c633:640a      --  unknown  none"
expect "--nat64 2001:db8:64::/96" 0 L --db "$FIX/geoip2.mmdb" --nat64 2001:db8:64::/96 --json 2001:db8:64::c633:640a
if jq -e '.country == "CN" and .via == "nat64" and .ipv4 == "198.51.100.10"' "$tmp/out" >/dev/null; then
	ok "--nat64: the operator's prefix is translated (json via, ipv4)"
else not_ok "--nat64 json" "$(cat "$tmp/out")"; fi
expect "NAT64 on an IPv4-only database" 0 L --db "$FIX/v4only.mmdb" 64:ff9b::cb00:710a
check_grep "answered from the IPv4 table" '^64:ff9b::cb00:710a  SG  Singapore  country, nat64 203\.0\.113\.10$' "$tmp/out"
expect "--nat64 with a bad length" 2 L --db "$FIX/geoip2.mmdb" --nat64 2001:db8:64::/80 192.0.2.1
check_grep "says which lengths RFC 6052 allows" "length 32, 40, 48, 56, 64 or 96" "$tmp/err"

printf '# a comment\n\n  192.0.2.10  \n198.51.100.1\n#203.0.113.1\n2001:db8:91::1\n' >"$tmp/in"
expect "stdin with -" 0 L --db "$FIX/geoip2.mmdb" - <"$tmp/in"
same "stdin: blank and # lines skipped, addresses trimmed" "$tmp/out" "192.0.2.10      IN  India  country
198.51.100.1    CN  China  country
2001:db8:91::1  IN  India  country"

expect "a bad address among good ones" 1 L --db "$FIX/geoip2.mmdb" 192.0.2.1 not-an-ip 198.51.100.300 198.51.100.7
check_grep "the bad address is named on stderr" "not-an-ip' is not an IPv4 or IPv6 address" "$tmp/err"
check_grep "the second bad address too" "198\.51\.100\.300" "$tmp/err"
[ "$(wc -l <"$tmp/out")" -eq 2 ] && grep -q '^198\.51\.100\.7 .*CN' "$tmp/out" && grep -q '^192\.0\.2\.1 .*IN' "$tmp/out" \
	&& ok "the good addresses are still answered" || not_ok "the good addresses are still answered" "$(cat "$tmp/out")"

expect "IPv6 on an IPv4-only database" 1 L --db "$FIX/v4only.mmdb" 2001:db8:86::1 ::ffff:198.51.100.1
check_grep "says the database is IPv4-only" "2001:db8:86::1: IPv6 address, but the database is IPv4-only" "$tmp/err"
check_grep "::ffff: still answered on IPv4-only" "^::ffff:198\.51\.100\.1  CN" "$tmp/out"

GEOEGRESS_DB=$FIX/flat.mmdb expect "GEOEGRESS_DB chooses the database" 0 L 198.51.100.1
check_grep "answered from GEOEGRESS_DB (country_code)" "CN  China  country_code" "$tmp/out"

expect "missing database" 1 L --db "$tmp/nope.mmdb" 192.0.2.1
check_grep "names the missing file" "nope\.mmdb: cannot open: No such file or directory" "$tmp/err"
expect "database without a country field" 1 L --db "$FIX/nocountry.mmdb" 192.0.2.1
check_grep "explains the missing country field" "nocountry\.mmdb: no record has a country field" "$tmp/err"
echo "192.0.2.0/24 IN" >"$tmp/text.mmdb"
expect "a text file as database" 1 L --db "$tmp/text.mmdb" 192.0.2.1
check_grep "says it is not a MaxMind DB" "text\.mmdb: not a MaxMind DB file" "$tmp/err"

expect "--help" 0 L --help
check_grep "--help prints the usage" "^Usage: geoegress lookup \[--db FILE\]" "$tmp/out"
expect "help lookup" 0 "$GEOEGRESS" help lookup
check_grep "help lookup prints the usage" "^Usage: geoegress lookup" "$tmp/out"
expect "no address is a usage error" 2 L --db "$FIX/geoip2.mmdb"
check_grep "usage error text" "usage error|no address given" "$tmp/err"
expect "unknown --field is a usage error" 2 L --db "$FIX/geoip2.mmdb" --field country 192.0.2.1
check_grep "names the bad field" "unknown field 'country'" "$tmp/err"
expect "unknown option is a usage error" 2 L --bogus 192.0.2.1
tap_done
