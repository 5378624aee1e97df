#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Geo lookups per second: geoegress's compiled tables vs a plain
# libmaxminddb MMDB_lookup_sockaddr + MMDB_get_value loop over the same
# pre-generated addresses, same process, identical answers required.
# Target: ratio >= GEO_BENCH_MIN_RATIO (default 5).
#   GEO_BENCH_N (default 2000000), GEO_BENCH_SEED (default 1).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
DB=$BUILD/country.mmdb
BIN=$BUILD/tests/bench/bench_geo
MIN=${GEO_BENCH_MIN_RATIO:-5}

[ -x "$BIN" ] || { echo "b_geo: $BIN missing; run make tests BUILD=..." >&2; exit 1; }
if [ ! -r "$DB" ]; then
	"$TOP/scripts/geodb-build" "$DB" || exit 1
fi
out=$("$BIN" "$DB" "${GEO_BENCH_N:-2000000}" "${GEO_BENCH_SEED:-1}") || { echo "$out"; echo "b_geo: answers differ or the benchmark failed" >&2; exit 1; }
echo "$out"
ratio=$(echo "$out" | sed -n 's/.*ratio geoegress\/libmaxminddb \([0-9.]*\)x.*/\1/p')
if awk -v r="$ratio" -v m="$MIN" 'BEGIN { exit !(r >= m) }'; then
	echo "geo: target ${MIN}x met (${ratio}x)"
else
	echo "geo: target ${MIN}x NOT met (${ratio}x)" >&2
	exit 1
fi
