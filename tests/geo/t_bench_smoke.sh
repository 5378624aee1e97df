#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke run of the geo benchmark helper (small N): geo_lookup and plain
# libmaxminddb must give identical answers on the fixtures and the real
# database.  Speed is measured by `make bench` (tests/bench/b_geo.sh).
set -u
. "$(dirname "$0")/../lib.sh"
BIN=$BUILD/tests/bench/bench_geo
FIX=$BUILD/fixtures
[ -r "$FIX/weird.mmdb" ] || "$TOP/scripts/geodb-fixture" "$FIX"
[ -r "$BUILD/country.mmdb" ] || "$TOP/scripts/geodb-build" "$BUILD/country.mmdb"
if [ ! -x "$BIN" ]; then not_ok "$BIN is built" "run make tests"; tap_done; exit; fi
for db in "$FIX/geoip2.mmdb" "$FIX/dbip.mmdb" "$FIX/flat.mmdb" "$BUILD/country.mmdb"; do
	case $db in */flat.mmdb) continue ;; esac	# the plain loop reads country.iso_code only
	if out=$("$BIN" "$db" 50000 3 2>&1) && echo "$out" | grep -q 'answers identical: yes'; then
		ok "bench_geo $(basename "$db"): identical answers ($(echo "$out" | sed -n 's/.*ratio \(.*x\),.*/\1/p'))"
	else
		not_ok "bench_geo $(basename "$db"): identical answers" "$out"
	fi
done
tap_done
