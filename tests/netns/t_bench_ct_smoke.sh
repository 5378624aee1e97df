#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke run of tests/bench/b_ct.sh with a small table (5,000 entries), so
# `make check` exercises the conntrack benchmark end to end: ctfill, the
# dump baseline, nfq_ct_walk, walk + set_mark on every entry (all of them
# found again by a kernel-filtered walk), the filtered walk, conntrack -L,
# peak memory.  Numbers are not judged here; that each was measured
# (non-zero) and printed with its ratio is.
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
out=$(BENCH_CT=5000 BENCH_REPS=1 bash "$TOP/tests/bench/b_ct.sh" 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ "$rc" = 0 ] && ok "b_ct.sh (5000 entries) exits 0" || not_ok "b_ct.sh (5000 entries) exits 0" "exit $rc"
v=$(printf '%s\n' "$out" | sed -n 's/^fill: ctfill created \([0-9]*\) entries.*/\1/p')
[ "$v" = 5000 ] && ok "ctfill created 5000 entries" || not_ok "ctfill created 5000 entries" "got '$v'"
printf '%s\n' "$out" | grep -q '^updated: all 5000 entries carry the new mark' &&
	ok "walk + set_mark updated every entry" || not_ok "walk + set_mark updated every entry"
for what in "dump alone" "nfq_ct_walk  " "nfq_ct_walk + set_mark each" "walk, kernel mark filter" "conntrack -L"; do
	line=$(printf '%s\n' "$out" | grep -F "  $what" | head -1)
	us=$(awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "us") print $i }' <<<"$line")
	if awk -v x="${us:-0}" 'BEGIN { exit !(x > 0) }' && grep -qE '[0-9.]+x the|baseline' <<<"$line"; then
		ok "measured with its ratio: $what ($us us per 1,000)"
	else
		not_ok "measured with its ratio: $what" "line '$line'"
	fi
done
printf '%s\n' "$out" | grep -qE '^peak RSS: walk [0-9.]+ MiB at 250 entries, [0-9.]+ MiB at 5000 \(ratio [0-9.]+\)' &&
	ok "peak memory printed at two table sizes" || not_ok "peak memory printed at two table sizes"
[ -z "$(ip netns list | grep -F ge-bct-)" ] && ok "no ge-bct namespace left" || not_ok "ge-bct namespace left behind"
tap_done
