#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke run of tests/bench/b_nfq.sh with tiny counts, so `make check`
# exercises the benchmark (lab, flowgen, nfq_plain, the nft set ceiling,
# tcplat, the overlay database) end to end.  Numbers are not judged here;
# that each one was measured (non-zero) and printed with its ratio is, and
# that the traffic met real countries: flows blocked and logged.
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
out=$(BENCH_FLOWS=5000 BENCH_REPS=1 BENCH_CONNECTS=100 bash "$TOP/tests/bench/b_nfq.sh" 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ "$rc" = 0 ] && ok "b_nfq.sh (tiny) exits 0" || not_ok "b_nfq.sh (tiny) exits 0" "exit $rc"
for what in "geoegress (50 rules" "nfq_plain (1 recv" "kernel nft set ("; do
	v=$(printf '%s\n' "$out" | grep -F "$what" | sed -E 's/.*[^0-9]([0-9]+) \/s.*/\1/')
	[ "${v:-0}" -gt 0 ] 2>/dev/null && ok "measured: $what ... $v /s" || not_ok "measured: $what" "got '$v'"
done
for what in "ratio geoegress/plain" "ratio geoegress/kernel" "geoegress added: median"; do
	printf '%s\n' "$out" | grep -qF "$what" && ok "printed: $what" || not_ok "printed: $what"
done
# the flows hit real countries (the overlay): some blocked and logged, in
# geoegress (IPv4 and IPv6) and in the kernel set alike (b_nfq itself fails
# when a count differs from the database's when every flow was decided)
for what in "geoegress run 1 (IPv4" "geoegress IPv6" "kernel run 1"; do
	line=$(printf '%s\n' "$out" | grep -v '^#' | grep -F "  $what" | head -1)
	b=$(sed -E 's/.*; blocked ([0-9]+) .*/\1/' <<<"$line")
	[ "${b:-0}" -gt 0 ] 2>/dev/null && ok "blocked flows: $what: $b" || not_ok "blocked flows: $what" "line '$line'"
	case $what in kernel*) continue ;; esac
	l=$(sed -E 's/.*; logged ([0-9]+) .*/\1/' <<<"$line")
	[ "${l:-0}" -gt 0 ] 2>/dev/null && ok "logged flows: $what: $l" || not_ok "logged flows: $what" "line '$line'"
done
for what in "no hook" "nfq_plain" "geoegress"; do
	m=$(printf '%s\n' "$out" | grep -E "^  $what +median" | awk '{ for (i = 1; i < NF; i++) if ($i == "median") print $(i + 1) }')
	awk -v m="${m:-0}" 'BEGIN { exit !(m > 0) }' && ok "latency measured: $what median $m us" || not_ok "latency measured: $what" "got '$m'"
done
tap_done
