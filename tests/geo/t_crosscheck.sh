#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `geoegress lookup --json` against MaxMind's own `mmdblookup` binary on the
# real database ($BUILD/country.mmdb, built with scripts/geodb-build when
# absent), for seeded random addresses (IPv4, IPv6 in allocated space from
# the tor-geoipdb source, IPv4-mapped and 6to4).  The 100k+100k address
# library-level cross-check is tests/geo/test_crosscheck.c.
#   GEO_XCHECK_BIN_N (default 320) addresses, GEO_XCHECK_SEED (default 7).
set -u
. "$(dirname "$0")/../lib.sh"
N=${GEO_XCHECK_BIN_N:-320}
SEED=${GEO_XCHECK_SEED:-7}
DB=$BUILD/country.mmdb
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ge-xcheck-$$.XXXX")
trap 'rm -rf "$tmp"' EXIT

if [ ! -r "$DB" ]; then
	check "scripts/geodb-build $DB" "$TOP/scripts/geodb-build" "$DB"
fi
command -v mmdblookup >/dev/null || { not_ok "mmdblookup is installed (mmdb-bin)"; tap_done; exit; }

python3 - "$N" "$SEED" >"$tmp/addrs" <<'PY'
import ipaddress, random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(seed)
v6 = [l.split(',')[:2] for l in open('/usr/share/tor/geoip6') if l[0] != '#' and ',' in l]
for i in range(n):
    k = i % 8
    if k < 4:
        print(ipaddress.IPv4Address(r.getrandbits(32)))
    elif k < 6:
        lo, hi = (int(ipaddress.IPv6Address(x)) for x in r.choice(v6))
        print(ipaddress.IPv6Address(r.randint(lo, hi)))
    elif k == 6:
        print(ipaddress.IPv6Address((1 << 125) | r.getrandbits(125)))
    else:
        print('::ffff:%s' % ipaddress.IPv4Address(r.getrandbits(32)) if i % 16 < 8 else
              ipaddress.IPv6Address((0x2002 << 112) | r.getrandbits(112)))
PY
count=$(wc -l <"$tmp/addrs")
[ "$count" -ge 300 ] && ok "$count seeded addresses (seed $SEED)" || not_ok "at least 300 addresses" "got $count"

if "$GEOEGRESS" lookup --json --db "$DB" - <"$tmp/addrs" >"$tmp/ours" 2>"$tmp/err"; then
	ok "geoegress lookup --json answered all $count"
else
	not_ok "geoegress lookup --json answered all $count" "$(head -5 "$tmp/err")"
fi
jq -r '[.address, (.located // "null"), (.registered // "null")] | @tsv' "$tmp/ours" >"$tmp/ours.tsv"

mm() {	# mm ADDR → "ADDR<tab>country<tab>registered_country" from mmdblookup's dump
	mmdblookup -f "$DB" -i "$1" 2>/dev/null | awk -v a="$1" '
		/^    "[a-z_]+":/ { top = $1; gsub(/[":]/, "", top) }
		/"iso_code":/ { want = 1; next }
		want { want = 0; if (match($0, /"[A-Z][A-Z]"/)) cc[top] = substr($0, RSTART + 1, 2) }
		END { c = ("country" in cc) ? cc["country"] : "null"
		      r = ("registered_country" in cc) ? cc["registered_country"] : "null"
		      printf "%s\t%s\t%s\n", a, c, r }'
}
while read -r a; do mm "$a"; done <"$tmp/addrs" >"$tmp/theirs.tsv"
hits=$(awk -F'\t' '$2 != "null"' "$tmp/theirs.tsv" | wc -l)
if diff "$tmp/theirs.tsv" "$tmp/ours.tsv" >"$tmp/diff"; then
	ok "geoegress lookup == mmdblookup for all $count addresses ($hits with a country)"
else
	not_ok "geoegress lookup == mmdblookup" "$(head -20 "$tmp/diff")"
fi
[ "$hits" -gt $((count / 2)) ] && ok "most addresses hit data ($hits/$count)" || not_ok "most addresses hit data" "$hits/$count"
tap_done
