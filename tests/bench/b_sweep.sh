#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's conntrack sweep on a full table, in the netns lab, one run,
# ratios against baselines measured in the same run:
#   fill     ctfill puts BENCH_CT undecided UDP entries of LAN devices into
#            gw's conntrack (25% IPv6, to the CN/SG/IN/unmapped fixture ranges)
#   sweep    the daemon decides them all (a reload starts a sweep of every
#            connection; stats .conntrack.last_sweep: ms, seen); then the
#            policy is toggled so that half of them change decision, and
#            each reload's sweep rewrites those marks.  Figure: sweep time
#            per 1,000 connections, against the bare dump (ctwalk raw: the
#            kernel and netlink's share) in the same namespace.
#   latency  new-flow verdicts while sweeps run back to back (reloads
#            toggling the policy) against no sweep: BENCH_CONNECTS
#            sequential TCP connects from the phone through the queue
#            (tcplat), median and p99, in interleaved rounds.
#   memory   the daemon's VmRSS before the fill and its VmHWM after the
#            sweeps (bounded: the sweep streams the table).
# Env: BENCH_CT (100000) BENCH_CONNECTS (10000) BENCH_REPS (2)
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
. "$TOP/scripts/lab.sh"
FILL=$BUILD/tests/bench/ctfill WALK=$BUILD/tests/bench/ctwalk TCPLAT=$BUILD/tests/bench/tcplat
N=${BENCH_CT:-100000} LATN=${BENCH_CONNECTS:-10000} REPS=${BENCH_REPS:-2}
FIX=$BUILD/fixtures

[ "$(id -u)" = 0 ] || { echo "b_sweep: needs root (network namespaces)" >&2; exit 1; }
for b in "$BUILD/geoegress" "$FILL" "$WALK" "$TCPLAT"; do
	[ -x "$b" ] || { echo "b_sweep: $b missing (make BUILD=... tests)" >&2; exit 1; }
done
[ -f "$FIX/geoip2.mmdb" ] || "$TOP/scripts/geodb-fixture" "$FIX" >/dev/null || exit 1
P=ge-bsweep-$$
T=$(mktemp -d /tmp/ge-bsweep.XXXXXX)
cleanup() { lab_down "$P"; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
G=$P-gw
lab_up "$P" >/dev/null || exit 1
# conntrack in use (a stateful gateway); the lab servers are not needed
lab_in "$G" nft add table inet admin &&
lab_in "$G" nft add chain inet admin f '{ type filter hook forward priority 10; policy accept; }' &&
lab_in "$G" nft add rule inet admin f ct state established counter || exit 1

policy() {	# policy EXTRA: CN blocked; EXTRA also blocks IN and unplaced destinations
	{
		echo "option database \"$FIX/geoip2.mmdb\""
		echo "option log-file none"
		echo "devices managed = { 198.18.1.0/24, 2001:db8:1::/64 }"
		echo "block from @managed to country CN"
		[ "$1" = 1 ] && { echo "block from @managed to country IN"; echo "block from @managed to unknown"; }
		echo "default allow"
	} >"$T/policy.conf"
}
J() { lab_ge "$P" stats --json | jq -r "$1"; }
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
# sweep_after: reload and wait (bounded) until the sweep it starts is done;
# prints "ms seen"
sweep_after() {
	local before i
	before=$(J .conntrack.sweeps)
	lab_ge "$P" reload >/dev/null || return 1
	for i in $(seq 1 600); do
		[ "$(J .conntrack.sweeps)" -gt "$before" ] && [ "$(J .conntrack.last_sweep.kind)" = all ] && break
		sleep 0.05
	done
	J '"\(.conntrack.last_sweep.ms) \(.conntrack.last_sweep.seen)"'
}
pid_rss() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

policy 0
lab_run_geoegress "$P" "$T/policy.conf" >/dev/null || { echo "b_sweep: daemon did not start" >&2; exit 1; }
GE=$(cat "$(lab_dir "$P")/geoegress.pid")
rss0=$(pid_rss "$GE" VmRSS)
fill=$(lab_in "$G" "$FILL" -N "$N" -t 3600 -6 25)
echo "fill: ctfill $fill"
[ "$(field "$fill" created)" = "$N" ] || { echo "b_sweep: could not create $N entries" >&2; exit 1; }
raw=$(lab_in "$G" "$WALK" raw -r 3)
raw_us=$(field "$raw" us_per_1k)
read -r ms seen <<<"$(sweep_after)"
echo "first sweep: $seen connections decided in $ms ms"
ms_all="" 
for i in $(seq 1 $((REPS * 2))); do
	policy $((i % 2))
	read -r ms seen <<<"$(sweep_after)"
	ms_all="$ms_all $ms"
done
swept=$(J .conntrack.decided)
best=$(tr ' ' '\n' <<<"$ms_all" | grep . | sort -n | head -1)
per1k=$(awk -v m="$best" -v n="$seen" 'BEGIN { printf "%.0f", (n > 0 ? m * 1000000 / n : 0) }')
echo "sweep of $seen connections, half of them changing decision: best $best ms of$ms_all"
echo "  sweep (decide + mark)   $(printf '%7d' "$per1k") us per 1,000 connections (wall)   $(awk -v a="$per1k" -v b="$raw_us" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') the bare dump"
echo "  bare dump (ctwalk raw)  $(printf '%7.0f' "$raw_us") us per 1,000 connections (cpu)    baseline"
echo "  marks written by the sweeps: $swept"

# --- new-flow verdicts during sweeps -------------------------------------
ip netns exec "$P-wan" "$TCPLAT" -l 8080 -t 600 >/dev/null 2>&1 &
sleep 0.3
lat() { lab_in "$P-phone" "$TCPLAT" -c 203.0.113.10 -p 8080 -n "$LATN" -t 120; }
l_no="" l_sw="" nsw=0
# sweeper: reloads toggling the policy back to back until told to stop
sweeper() {
	local k=0
	while [ ! -e "$T/stop" ] && [ $k -lt 500 ]; do
		policy $((k % 2))
		sweep_after >/dev/null
		k=$((k + 1))
	done
	echo "$k" >"$T/nsweeps"
}
for r in $(seq 1 "$REPS"); do
	x=$(lat); l_no="$l_no$x"$'\n'
	rm -f "$T/stop" "$T/nsweeps"
	sweeper &
	sp=$!
	sleep 0.2
	x=$(lat); l_sw="$l_sw$x"$'\n'
	touch "$T/stop"
	wait "$sp"
	nsw=$((nsw + $(cat "$T/nsweeps")))
done
med() { grep . | while read -r line; do field "$line" "$1"; done | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
a=$(med median_us <<<"$l_no") b=$(med median_us <<<"$l_sw") c=$(med p99_us <<<"$l_no") d=$(med p99_us <<<"$l_sw")
echo "new-flow verdict latency, $LATN TCP connects per round through the queue, median of $REPS rounds ($nsw sweeps of $seen during them):"
printf '  no sweep        median %8.1f us   p99 %8.1f us   baseline\n' "$a" "$c"
printf '  during sweeps   median %8.1f us   p99 %8.1f us   %s median, %s p99\n' "$b" "$d" \
	"$(awk -v x="$b" -v y="$a" 'BEGIN { printf "%.2fx", (y > 0 ? x / y : 0) }')" \
	"$(awk -v x="$d" -v y="$c" 'BEGIN { printf "%.2fx", (y > 0 ? x / y : 0) }')"
hwm=$(pid_rss "$GE" VmHWM)
echo "memory: daemon VmRSS before the fill $rss0 kB, peak after $((REPS * 2 + 1 + nsw)) sweeps of $seen $hwm kB ($(awk -v x="$hwm" -v y="$rss0" 'BEGIN { printf "%.2fx", (y > 0 ? x / y : 0) }'))"
lab_stop_geoegress "$P"
for x in "$per1k" "$raw_us" "$a" "$b"; do
	awk -v v="${x:-0}" 'BEGIN { exit !(v > 0) }' || { echo "b_sweep: a measurement is empty" >&2; exit 1; }
done
[ "$seen" -ge "$N" ] || { echo "b_sweep: the sweep saw $seen of $N connections" >&2; exit 1; }
exit 0
