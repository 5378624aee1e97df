#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/geodb-build on a small tor-geoipdb-format source (GEOIP_V4 and
# GEOIP_V6): mapping, "??" unmapped, UK → GB, 6to4 clipped (aliased to
# IPv4), metadata (type, build_epoch = "# Generated:" date, description),
# reproducible output, no temporary left, bad input, usage, non-root.
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ge-dbbuild-$$.XXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
GB=$TOP/scripts/geodb-build

cat >"$tmp/geoip" <<'SRC'
# test source
# Generated: Mon, 02 Mar 2026 10:20:30 GMT
3221225984,3221226239,IN
3325256704,3325256831,??
3325256832,3325256959,UK
3405803776,3405804031,SG
SRC
cat >"$tmp/geoip6" <<'SRC'
# Generated: Mon, 02 Mar 2026 10:20:30 GMT
2001::,2001:0:ffff:ffff:ffff:ffff:ffff:ffff,??
2001:db8:86::,2001:db8:86:ffff:ffff:ffff:ffff:ffff,CN
2001:db8:87::,2001:db8:87:ffff:ffff:ffff:ffff:ffff,??
2002::,2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff,JP
SRC
export GEOIP_V4=$tmp/geoip GEOIP_V6=$tmp/geoip6

if out=$("$GB" "$tmp/a/c.mmdb" 2>&1); then ok "builds from a small source"; else not_ok "builds from a small source" "$out"; fi
echo "$out" | grep -q '3 IPv4 + 2 IPv6 ranges.*3 unmapped (??) skipped.*1 IPv6 clipped' \
	&& ok "one-line summary with counts" || not_ok "one-line summary with counts" "$out"
"$GB" "$tmp/b.mmdb" >/dev/null 2>&1
cmp -s "$tmp/a/c.mmdb" "$tmp/b.mmdb" && ok "output is byte-for-byte reproducible" || not_ok "output is byte-for-byte reproducible"
left=$(find "$tmp/a" -name '*tmp*')
if [ -z "$left" ]; then ok "no temporary file left"; else not_ok "no temporary file left" "$left"; fi

"$GEOEGRESS" lookup --json --db "$tmp/a/c.mmdb" 192.0.2.9 198.51.100.9 198.51.100.129 203.0.113.9 \
	2001:db8:86::1 2001:db8:87::1 2002:c000:0201::1 2002:cb00:7100::1 ::ffff:203.0.113.1 >"$tmp/out" 2>&1
got=$(jq -r '"\(.address)=\(.located // "--")/\(.registered // "--")"' "$tmp/out" 2>&1 | tr '\n' ' ')
want="192.0.2.9=IN/IN 198.51.100.9=--/-- 198.51.100.129=GB/GB 203.0.113.9=SG/SG 2001:db8:86::1=CN/CN 2001:db8:87::1=--/-- 2002:c000:0201::1=IN/IN 2002:cb00:7100::1=SG/SG ::ffff:203.0.113.1=SG/SG "
[ "$got" = "$want" ] && ok "mapping: ?? unmapped, UK→GB, 6to4 follows IPv4" || not_ok "mapping" "got  $got
want $want"
jq -e -s '.[0].name == "India"' "$tmp/out" >/dev/null && ok "names.en from iso-codes" || not_ok "names.en from iso-codes" "$(head -1 "$tmp/out")"

meta=$(mmdblookup -f "$tmp/a/c.mmdb" -i 192.0.2.9 -v 2>&1)
echo "$meta" | grep -q 'Type: *geoegress-Country' && ok "database_type geoegress-Country" || not_ok "database_type" "$meta"
echo "$meta" | grep -q 'Build epoch: *1772446830 ' && ok "build_epoch is the source's Generated date" || not_ok "build_epoch" "$meta"
echo "$meta" | grep -q 'tor-geoipdb.*Mon, 02 Mar 2026 10:20:30 GMT' && ok "description names the source and its date" || not_ok "description" "$meta"
echo "$meta" | grep -q 'IP version: *IPv6' && ok "IPv6 tree" || not_ok "IPv6 tree" "$meta"

echo "1,2,C" >>"$tmp/geoip"
out=$("$GB" "$tmp/bad.mmdb" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "geoip:7: expected FROM,TO,CC" && [ ! -e "$tmp/bad.mmdb" ] \
	&& ok "a bad source line: exit 1, file:line named, no output" || not_ok "bad source line" "rc=$rc $out"
out=$(GEOIP_V4=$tmp/missing "$GB" "$tmp/bad.mmdb" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "cannot read $tmp/missing" && ok "a missing source: exit 1, named" || not_ok "missing source" "rc=$rc $out"
out=$("$GB" a b 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q '^Usage: geodb-build' && ok "usage error: exit 2" || not_ok "usage error" "rc=$rc $out"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	sed -i '$d' "$tmp/geoip"
	mkdir "$tmp/nb" && chown nobody "$tmp/nb"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env GEOIP_V4="$GEOIP_V4" GEOIP_V6="$GEOIP_V6" \
		"$GB" "$tmp/nb/c.mmdb" 2>&1)
	cmp -s "$tmp/nb/c.mmdb" "$tmp/b.mmdb" && ok "works as non-root (nobody), same output" || not_ok "non-root" "$out"
fi
tap_done
