#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `geoegress report` speed: a generated 2,000,000-line decision log
# (tests/bench/loggen, seeded) read by `report --format json` against
# `wc -l` on the same file in the same run; lines/s (wall and CPU), the
# ratio, and peak memory on the whole file vs a 10% prefix (memory must
# follow distinct keys, not file size).  Target: >= 1M lines/s.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$TOP"
BUILD=${BUILD:-build}
GEOEGRESS=${GEOEGRESS:-$BUILD/geoegress}
GEN=$BUILD/tests/bench/loggen
N=${REPORT_BENCH_LINES:-2000000}
SEED=${REPORT_BENCH_SEED:-1}
LOG=$BUILD/bench-report-$N-$SEED.jsonl
tmp=$(mktemp -d /tmp/ge-bench-report-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for f in "$GEN" "$GEOEGRESS"; do
	[ -x "$f" ] || { echo "b_report: $f missing; run make BUILD=$BUILD tests"; exit 1; }
done
if [ ! -s "$LOG" ] || [ "$(wc -l <"$LOG")" -ne "$N" ]; then
	"$GEN" "$N" "$SEED" >"$LOG.tmp" && mv "$LOG.tmp" "$LOG" || exit 1
fi
head -n $((N / 10)) "$LOG" >"$tmp/prefix.jsonl"
cat "$LOG" "$tmp/prefix.jsonl" >/dev/null	# page cache warm for both runs

now_ns() { date +%s%N; }
best=""
best_of3() {	# best_of3 CMD... → $best (ns, fastest of 3 runs)
	local i t0 t1 d
	best=""
	for i in 1 2 3; do
		t0=$(now_ns)
		"$@" >/dev/null 2>&1 || { echo "b_report: $* failed"; exit 1; }
		t1=$(now_ns)
		d=$((t1 - t0))
		if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
	done
}

# peak_kb CMD... → "PEAK_KB USER_S SYS_S" ( /usr/bin/time, else VmHWM polling )
peak_kb() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M %U %S' -o "$tmp/time" "$@" >/dev/null 2>&1
		tail -1 "$tmp/time"
	else
		"$@" >/dev/null 2>&1 &
		local pid=$! hwm=0 v
		while kill -0 "$pid" 2>/dev/null; do
			v=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
			[ -n "$v" ] && hwm=$v
			sleep 0.05
		done
		wait "$pid"
		echo "$hwm - -"
	fi
}

"$GEOEGRESS" report --format json "$LOG" >"$tmp/out.json" || exit 1
records=$(jq .totals.records "$tmp/out.json")
if [ "$records" != "$N" ]; then
	echo "b_report: report counted $records records, want $N"; exit 1
fi
best_of3 wc -l "$LOG"
wc_ns=$best
best_of3 "$GEOEGRESS" report --format json "$LOG"
rep_ns=$best
read -r peak user sys <<<"$(peak_kb "$GEOEGRESS" report --format json "$LOG")"
read -r peak10 _ _ <<<"$(peak_kb "$GEOEGRESS" report --format json "$tmp/prefix.jsonl")"

awk -v n="$N" -v bytes="$(stat -c %s "$LOG")" -v wc="$wc_ns" -v rep="$rep_ns" -v peak="$peak" \
    -v peak10="$peak10" -v user="$user" -v sys="$sys" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
	wcs = wc / 1e9; reps = rep / 1e9
	printf "report: %d lines, %.0f MB log, load average %s, best of 3 runs\n", n, bytes / 1e6, load
	printf "  wc -l                 %7.3f s  %6.2f M lines/s  (baseline)\n", wcs, n / wcs / 1e6
	printf "  report --format json  %7.3f s  %6.2f M lines/s  (%.1f MB/s)\n", reps, n / reps / 1e6, bytes / reps / 1e6
	if (user != "-")
		printf "  report CPU time       %7.3f s  %6.2f M lines/s  (user %.2f + sys %.2f)\n", \
		       user + sys, n / (user + sys + 1e-9) / 1e6, user, sys
	printf "  ratio report / wc -l: %.1fx the time of wc -l\n", rep / wc
	printf "  peak memory: %.1f MB for %d lines, %.1f MB for %d lines (ratio %.2f; file ratio 10)\n", \
	       peak / 1024, n, peak10 / 1024, n / 10, peak / peak10
	printf "  target >= 1M lines/s (wall): %s\n", (n / reps >= 1e6 ? "met" : "MISSED (see load average)")
}'
