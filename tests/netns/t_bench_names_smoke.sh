#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke run of tests/bench/b_names.sh with tiny counts (a small cache, so
# the flood fills it and evicts), so `make check` exercises the names
# benchmark end to end: the flood server and client, the three latency
# set-ups and their ratio, and the memory check (b_names fails when the
# cache holds more entries than its bound, the daemon grew beyond the
# cache's size, or a second flood made it grow).  Numbers are not judged.
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
out=$(BENCH_ANSWERS=5000 BENCH_CONNECTS=200 BENCH_REPS=1 BENCH_NAMES_MAX=1024 bash "$TOP/tests/bench/b_names.sh" 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ "$rc" = 0 ] && ok "b_names.sh (tiny) exits 0" || not_ok "b_names.sh (tiny) exits 0" "exit $rc"
for what in "flood, names no" "flood, names yes" "no flood, names yes"; do
	m=$(printf '%s\n' "$out" | grep -E "^  $what +median" | awk '{ for (i = 1; i < NF; i++) if ($i == "median") print $(i + 1) }')
	awk -v m="${m:-0}" 'BEGIN { exit !(m > 0) }' && ok "latency measured: $what: median $m us" || not_ok "latency measured: $what" "got '$m'"
done
printf '%s\n' "$out" | grep -qE '^  ratio names yes/no under the flood: median [0-9.]+x, p99 [0-9.]+x$' &&
	ok "printed: the ratio names yes/no" || not_ok "printed: the ratio names yes/no"
line=$(printf '%s\n' "$out" | grep -E '^  cache: [0-9]+ of [0-9]+ entries')
read -r used max <<<"$(sed -E 's/^  cache: ([0-9]+) of ([0-9]+) entries.*/\1 \2/' <<<"$line")"
if [ "${used:-0}" -gt 0 ] && [ "$used" -le "$max" ] && grep -qE 'evicted [1-9][0-9]* entries' <<<"$line"; then
	ok "the flood filled the cache to its bound and evicted ($line)"
else
	not_ok "cache bound and eviction" "$line"
fi
printf '%s\n' "$out" | grep -qE '^  growth / bound: [0-9.]+' && ok "printed: memory growth against the bound" ||
	not_ok "printed: memory growth against the bound"
tap_done
