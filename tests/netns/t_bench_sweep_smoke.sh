#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke run of tests/bench/b_sweep.sh with a small table (5,000 entries),
# so `make check` exercises the sweep benchmark end to end: the fill, the
# daemon's sweeps of every connection (each one seen), sweep time per 1,000
# against the bare dump, verdict latency with and without sweeps, memory.
# Numbers are not judged here; that each was measured and printed with its
# ratio is.
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
out=$(BENCH_CT=5000 BENCH_CONNECTS=300 BENCH_REPS=1 bash "$TOP/tests/bench/b_sweep.sh" 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ "$rc" = 0 ] && ok "b_sweep.sh (5000 entries) exits 0" || not_ok "b_sweep.sh (5000 entries) exits 0" "exit $rc"
printf '%s\n' "$out" | grep -qE '^first sweep: 5000 connections decided in [0-9]+ ms' &&
	ok "the first sweep decided all 5000 connections" || not_ok "the first sweep decided all 5000"
line=$(printf '%s\n' "$out" | grep -F '  sweep (decide + mark)')
us=$(awk '{ print $5 }' <<<"$line")
awk -v x="${us:-0}" 'BEGIN { exit !(x > 0) }' && grep -qE '[0-9.]+x the bare dump' <<<"$line" &&
	ok "sweep time per 1,000 with its ratio ($us us)" || not_ok "sweep time per 1,000" "line '$line'"
for w in "no sweep" "during sweeps"; do
	line=$(printf '%s\n' "$out" | grep -F "  $w")
	m=$(awk '{ for (i = 1; i < NF; i++) if ($i == "median") print $(i + 1) }' <<<"$line")
	awk -v x="${m:-0}" 'BEGIN { exit !(x > 0) }' && ok "verdict latency measured: $w ($m us)" ||
		not_ok "verdict latency measured: $w" "line '$line'"
done
printf '%s\n' "$out" | grep -qE '^memory: daemon VmRSS before the fill [0-9]+ kB, peak after .* [0-9]+ kB \([0-9.]+x\)' &&
	ok "memory before and after printed" || not_ok "memory printed"
[ -z "$(ip netns list | grep -F ge-bsweep-)" ] && ok "no ge-bsweep namespace left" || not_ok "ge-bsweep namespace left behind"
tap_done
