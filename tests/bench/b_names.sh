#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Names from DNS answers under a flood (issue 13), in the netns lab, one
# run, ratios against baselines measured in the same run:
#  1. new-flow verdict latency: BENCH_CONNECTS sequential TCP connects
#     (tcplat) from the laptop to 192.0.2.10:8080, through geoegress, while
#     the phone receives a flood of DNS answers (dnsflood: BENCH_ANSWERS
#     answers, each a name of its own with a CNAME and an address of
#     198.19.0.0/16, from a server in wan, the replies of one UDP flow so
#     none of them is queued), with name learning (a)
#     off (option names no) and (b) on (names yes, a policy with a rule on
#     names, hosts sets and 'to host unknown'); (c) on without a flood, for
#     reference.  Median and p99 of each, the ratio (b)/(a).
#  2. memory: the daemon's resident size before the first flood, after it
#     and after a second one, against the cache's bound (stats: names.bytes,
#     allocated at start: option names-max entries and a quarter as many
#     names, the least lasting replaced when a bucket is full), and the
#     cache's entries against its maximum.
# Env: BENCH_ANSWERS (200000) BENCH_CONNECTS (2000) BENCH_REPS (2)
#      BENCH_NAMES_MAX (32768: option names-max)
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
. "$TOP/scripts/lab.sh"
GE=${GEOEGRESS:-$BUILD/geoegress}
FLOOD=$BUILD/tests/bench/dnsflood TCPLAT=$BUILD/tests/bench/tcplat
N=${BENCH_ANSWERS:-200000} LATN=${BENCH_CONNECTS:-2000} REPS=${BENCH_REPS:-2}
NAMES_MAX=${BENCH_NAMES_MAX:-32768}
FLOODSRV=198.19.255.53 LATDST=192.0.2.10

[ "$(id -u)" = 0 ] || { echo "b_names: needs root (network namespaces)" >&2; exit 1; }
for b in "$GE" "$FLOOD" "$TCPLAT"; do
	[ -x "$b" ] || { echo "b_names: $b missing (make BUILD=... tests)" >&2; exit 1; }
done
FIX=$BUILD/fixtures
[ -f "$FIX/asn.mmdb" ] || "$TOP/scripts/geodb-fixture" "$FIX" >/dev/null || { echo "b_names: fixtures" >&2; exit 1; }
P=ge-bnames-$$
T=$(mktemp -d /tmp/ge-bnames.XXXXXX)
cleanup() { lab_down "$P"; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up "$P" || exit 1
ip -n "$P-wan" addr add "$FLOODSRV/32" dev lo || exit 1
ip netns exec "$P-wan" "$FLOOD" -s "$FLOODSRV" -t 3600 >"$T/floodsrv.out" 2>&1 &
echo $! >"$(lab_dir "$P")/floodsrv.pid"
ip netns exec "$P-wan" "$TCPLAT" -l 8080 -t 3600 >/dev/null 2>&1 &
echo $! >"$(lab_dir "$P")/tcplat.pid"
for i in $(seq 1 50); do grep -q ready "$T/floodsrv.out" 2>/dev/null && break; sleep 0.1; done

policy() {	# policy NAMES(yes|no) FILE
	{
		echo "option database \"$FIX/geoip2.mmdb\""
		echo "option log-file \"$T/decisions.jsonl\""
		echo "option names $1"
		echo "option names-max $NAMES_MAX"
		echo "devices managed = { 02:00:5e:00:53:01, 02:00:5e:00:53:02 }"
		echo "countries forbidden = { CN, HK, MO }"
		if [ "$1" = yes ]; then
			echo "hosts vendor = { vendor.test, *.vendor.test, *.vendorcdn.test }"
			echo "hosts telemetry = { *.telemetry.test, metrics.example.test }"
			echo "block from @managed to host @vendor name \"vendor\""
			echo "log from @managed to host @telemetry"
			echo "log from @managed to host unknown proto tcp port 853"
		fi
		echo "block log from @managed to country @forbidden"
		echo "default allow"
	} >"$2"
}
policy no "$T/off.conf"
policy yes "$T/on.conf"
"$GE" check -c "$T/on.conf" >"$T/check.out" 2>&1 || { echo "b_names: policy: $(cat "$T/check.out")" >&2; exit 1; }

field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
rss_kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
lat() { lab_in "$P-laptop" "$TCPLAT" -c "$LATDST" -p 8080 -n "$LATN" -t 300; }
# flood_bg COUNT: the phone's flood in the background (FLOOD_PID); flood_wait
flood_bg() {
	ip netns exec "$P-phone" "$FLOOD" -c "$FLOODSRV" -n "$1" -w 64 -t 120 >"$T/flood.out" 2>&1 &
	FLOOD_PID=$!
}
flood_wait() { wait "$FLOOD_PID"; cat "$T/flood.out"; }

# run NAME POLICY FLOOD(0|1): prints tcplat's line; the flood's line and the
# daemon's stats go to $T/NAME.*
run() {
	local name=$1 pol=$2 flood=$3 x t0
	lab_run_geoegress "$P" "$pol" || exit 1
	if [ "$flood" = 1 ]; then flood_bg "$N"; sleep 0.2; fi
	t0=$(date +%s.%N)
	x="$(lat) seconds $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')"
	if [ "$flood" = 1 ]; then flood_wait >"$T/$name.flood"; fi
	lab_ge "$P" stats --json >"$T/$name.stats"
	lab_stop_geoegress "$P"
	echo "#   $name: $x | flood: $(cat "$T/$name.flood" 2>/dev/null)" >&2
	echo "$x"
}

echo "b_names: $LATN connects per round during a flood of $N DNS answers (one name each), $REPS interleaved rounds, names-max $NAMES_MAX"
l_off="" l_on="" l_quiet=""
for r in $(seq 1 "$REPS"); do
	l_off="$l_off$(run "off$r" "$T/off.conf" 1)"$'\n'
	l_on="$l_on$(run "on$r" "$T/on.conf" 1)"$'\n'
	l_quiet="$l_quiet$(run "quiet$r" "$T/on.conf" 0)"$'\n'
done
med() { grep . | while read -r line; do field "$line" "$1"; done | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
echo "new-flow verdict latency (connect through geoegress), median of $REPS rounds:"
for v in off on quiet; do
	eval "d=\$l_$v"
	case $v in
	off) name="flood, names no" ;;
	on) name="flood, names yes" ;;
	quiet) name="no flood, names yes" ;;
	esac
	printf '  %-20s median %8.1f us   p99 %8.1f us\n' "$name" "$(med median_us <<<"$d")" "$(med p99_us <<<"$d")"
done
awk -v a="$(med median_us <<<"$l_off")" -v b="$(med median_us <<<"$l_on")" \
	-v c="$(med p99_us <<<"$l_off")" -v d="$(med p99_us <<<"$l_on")" 'BEGIN {
	printf "  ratio names yes/no under the flood: median %.2fx, p99 %.2fx\n", (a > 0 ? b / a : 0), (c > 0 ? d / c : 0) }'
s=$(cat "$T/on1.stats")
echo "  flood (names yes, round 1): $(cat "$T/on1.flood"); the daemon: $(jq -c '.names | {answers, lost, malformed, entries, entries_max, names, names_max, evicted, names_evicted, flows_explained, flows_unexplained, busy, waited}' <<<"$s")"

# --- 2. memory: two floods in one run ---
lab_run_geoegress "$P" "$T/on.conf" || exit 1
pid=$(cat "$(lab_dir "$P")/geoegress.pid")
r0=$(rss_kb "$pid" VmRSS)
flood_bg "$N"; flood_wait >"$T/mem1.flood"
r1=$(rss_kb "$pid" VmRSS)
flood_bg "$N"; flood_wait >"$T/mem2.flood"
r2=$(rss_kb "$pid" VmRSS) hwm=$(rss_kb "$pid" VmHWM)
s=$(lab_ge "$P" stats --json)
lab_stop_geoegress "$P"
bytes=$(jq .names.bytes <<<"$s") entries=$(jq .names.entries <<<"$s") emax=$(jq .names.entries_max <<<"$s")
echo "memory, two floods of $N answers ($(field "$(cat "$T/mem1.flood")" answers) and $(field "$(cat "$T/mem2.flood")" answers) answered; $(jq .names.answers <<<"$s") learned):"
echo "  name cache bound: $((bytes / 1024)) KiB (allocated at start: $emax entries, $(jq .names.names_max <<<"$s") names)"
echo "  resident: ${r0} KiB before, ${r1} KiB after the first flood (+$((r1 - r0))), ${r2} KiB after the second (+$((r2 - r1))); peak ${hwm} KiB"
echo "  cache: $entries of $emax entries, $(jq .names.names <<<"$s") of $(jq .names.names_max <<<"$s") names; evicted $(jq .names.evicted <<<"$s") entries, $(jq .names.names_evicted <<<"$s") names"
awk -v g=$((r2 - r0)) -v b="$bytes" 'BEGIN { printf "  growth / bound: %.2f (the cache is paged in as it fills; nothing is allocated per answer)\n", (b > 0 ? g * 1024 / b : 0) }'
bad=""
[ "$entries" -le "$emax" ] || bad="$bad entries>max"
[ $((r2 - r0)) -le $((bytes / 1024 + 2048)) ] || bad="$bad rss-growth>bound"
[ $((r2 - r1)) -le 1024 ] || bad="$bad second-flood-grew"
for x in "$(med median_us <<<"$l_off")" "$(med median_us <<<"$l_on")" "$(jq .names.answers <<<"$s")"; do
	awk -v x="${x:-0}" 'BEGIN { exit !(x > 0) }' || bad="$bad empty-measurement"
done
[ -z "$bad" ] || { echo "b_names: FAILED:$bad" >&2; exit 1; }
exit 0
