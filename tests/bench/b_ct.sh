#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The conntrack layer (nfq/ct.c) on a full table, in a network namespace of
# its own, one run, ratios against a baseline measured in the same run:
#   fill      ctfill creates BENCH_CT UDP entries (batched ctnetlink NEW),
#             25% IPv6, from 250+250 LAN neighbours with MACs
#   baseline  the dump alone: ctwalk raw reads it with libmnl and counts,
#             nothing parsed (what the kernel and netlink cost)
#   walk      nfq_ct_walk: + the rtnetlink snapshot, parsing each entry into
#             struct nfq_conn, classification, MAC lookup
#   update    walk + nfq_ct_set_mark on every entry (+ nfq_ct_flush); then a
#             kernel-filtered walk must find every entry carrying the new mark
#   filtered  a walk with the kernel mark filter when 1% match
#   reference conntrack -L >/dev/null (conntrack-tools)
# Figures: CPU time per 1,000 connections (user + system of the process:
# the kernel fills dumps and applies updates inside our syscalls), best of
# BENCH_REPS; peak RSS of the walk at 5% of the table and at all of it
# (bounded memory: the two are about equal).
# conntrack's limit is the init namespace's net.netfilter.nf_conntrack_max
# (read-only in a child namespace on kernels where it is not per netns);
# entries beyond it cannot be made, so BENCH_CT is lowered to fit with a
# note.  Nothing is changed outside the namespace.
# Env: BENCH_CT (100000) BENCH_REPS (3)
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
FILL=$BUILD/tests/bench/ctfill WALK=$BUILD/tests/bench/ctwalk
N=${BENCH_CT:-100000} REPS=${BENCH_REPS:-3}

[ "$(id -u)" = 0 ] || { echo "b_ct: needs root (network namespace, conntrack)" >&2; exit 1; }
for b in "$FILL" "$WALK"; do
	[ -x "$b" ] || { echo "b_ct: $b missing (make BUILD=... tests)" >&2; exit 1; }
done
command -v conntrack >/dev/null || { echo "b_ct: conntrack (conntrack-tools) missing" >&2; exit 1; }
NS=ge-bct-$$
TIMES=$(mktemp /tmp/ge-bct.XXXXXX)
cleanup() {
	local pids
	pids=$(ip netns pids "$NS" 2>/dev/null)
	# shellcheck disable=SC2086  # only processes inside our own namespace
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -f "$TIMES"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" || exit 1
X() { ip netns exec "$NS" "$@"; }
X ip link set lo up

# a LAN: 198.18.1.1/24 and 2001:db8:1::1/64 on a veth, 250 + 250 neighbours
X ip link add lan0 type veth peer name lan1 || exit 1
X ip link set lan0 up && X ip link set lan1 up
X ip addr add 198.18.1.1/24 dev lan0 && X ip addr add 2001:db8:1::1/64 dev lan0 nodad
for i in $(seq 2 251); do
	printf 'neigh replace 198.18.1.%d lladdr 02:00:5e:01:00:%02x dev lan0 nud permanent\n' "$i" "$i"
	printf 'neigh replace 2001:db8:1::%x lladdr 02:00:5e:01:00:%02x dev lan0 nud permanent\n' "$i" "$i"
done | X ip -batch - || exit 1

max=$(X sysctl -n net.netfilter.nf_conntrack_max)
need=$((N + N / 100 + 100))
if [ "$max" -lt "$need" ]; then
	X sysctl -qw net.netfilter.nf_conntrack_max="$need" 2>/dev/null
	max=$(X sysctl -n net.netfilter.nf_conntrack_max)
	if [ "$max" -lt "$need" ]; then
		N=$(((max - 100) * 100 / 101))
		echo "b_ct: nf_conntrack_max is $max here and cannot be raised in this namespace: $N entries"
	fi
fi
SMALL=$((N / 20))
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
fail() { echo "b_ct: $*" >&2; exit 1; }

# --- fill: 5% first (memory at a small table), then the rest ---
f1=$(X "$FILL" -N "$SMALL") || fail "ctfill: $f1"
w=$(X "$WALK" walk) || fail "ctwalk walk: $w"
[ "$(field "$w" entries)" = "$SMALL" ] || fail "walk of $SMALL entries saw $(field "$w" entries)"
rss_small=$(field "$w" maxrss_kb)
f2=$(X "$FILL" -N $((N - SMALL)) -o "$SMALL") || fail "ctfill: $f2"
fill_s=$(awk -v a="$(field "$f1" seconds)" -v b="$(field "$f2" seconds)" 'BEGIN { print a + b }')
[ "$(X conntrack -C)" = "$N" ] || fail "the table has $(X conntrack -C) entries, not $N"
echo "b_ct: $N conntrack entries (25% IPv6) in namespace $NS, 250+250 neighbours; best of $REPS"
awk -v n="$N" -v s="$fill_s" 'BEGIN { printf "fill: ctfill created %d entries in %.3f s (%.0f/s, batched NEW)\n", n, s, (s > 0 ? n / s : 0) }'

raw=$(X "$WALK" raw -r "$REPS") || fail "ctwalk raw: $raw"
walk=$(X "$WALK" walk -r "$REPS") || fail "ctwalk walk: $walk"
upd=$(X "$WALK" update -s 0x00200000 -r "$REPS") || fail "ctwalk update: $upd"
chk=$(X "$WALK" walk -m 0x00200000 -M 0x00e00000) || fail "ctwalk walk (filter): $chk"
# conntrack -L: user + system CPU of the tool, run K times per pass so a
# pass lists >= 100,000 entries (time(1) counts in 10 ms steps)
K=$(((100000 + N - 1) / N))
best_ct=
for r in $(seq 1 "$REPS"); do
	/usr/bin/time -o "$TIMES" -f '%U %S' ip netns exec "$NS" \
		bash -c "for i in \$(seq $K); do conntrack -L; done >/dev/null 2>&1"
	t=$(awk -v k="$K" '{ print ($1 + $2) / k }' "$TIMES")
	best_ct=$(awk -v a="${best_ct:-1e9}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
done
f3=$(X "$FILL" -N $((N / 100)) -m 0x00400000 -o "$N") || fail "ctfill (1%): $f3"
filt=$(X "$WALK" walk -m 0x00400000 -M 0x00e00000 -r "$REPS") || fail "ctwalk filtered: $filt"
for v in "$raw" "$walk" "$upd"; do
	[ "$(field "$v" entries)" = "$N" ] || fail "a pass saw $(field "$v" entries) of $N entries: $v"
done
[ "$(field "$upd" updates)" = $((N * REPS)) ] && [ "$(field "$upd" failed)" = 0 ] &&
	[ "$(field "$upd" gone)" = 0 ] && [ "$(field "$upd" lost)" = 0 ] || fail "updates: $upd"
[ "$(field "$chk" entries)" = "$N" ] || fail "after the update $(field "$chk" entries) of $N carry the new mark"
[ "$(field "$filt" entries)" = $((N / 100)) ] || fail "filtered walk saw $(field "$filt" entries), not $((N / 100))"
echo "updated: all $N entries carry the new mark (a kernel-filtered walk finds $(field "$chk" entries))"

per1k() { field "$1" us_per_1k; }
b=$(per1k "$raw") wk=$(per1k "$walk") up=$(per1k "$upd")
ck=$(awk -v s="$best_ct" -v n="$N" 'BEGIN { printf "%.1f", s * 1e6 * 1000 / n }')
fk=$(awk -v s="$(field "$filt" cpu_s)" -v n="$N" 'BEGIN { printf "%.1f", s * 1e6 * 1000 / n }')
echo "CPU per 1,000 connections (table of $N):"
awk -v b="$b" -v w="$wk" -v u="$up" -v c="$ck" -v f="$fk" 'BEGIN {
	printf "  dump alone (libmnl, no parsing)   %8.1f us   1.00 (baseline)\n", b
	printf "  nfq_ct_walk                       %8.1f us   %.2fx the dump\n", w, (b > 0 ? w / b : 0)
	printf "  nfq_ct_walk + set_mark each       %8.1f us   %.2fx the walk, %.2fx the dump\n", u, (w > 0 ? u / w : 0), (b > 0 ? u / b : 0)
	printf "  walk, kernel mark filter, 1%% hit  %8.1f us   %.2fx the walk (per 1,000 in the table)\n", f, (w > 0 ? f / w : 0)
	printf "  conntrack -L >/dev/null           %8.1f us   %.2fx the walk (reference)\n", c, (w > 0 ? c / w : 0)
}'
rss_big=$(field "$walk" maxrss_kb)
awk -v s="$rss_small" -v g="$rss_big" -v u="$(field "$upd" maxrss_kb)" -v r="$(field "$raw" maxrss_kb)" \
	-v ns="$SMALL" -v n="$N" 'BEGIN {
	printf "peak RSS: walk %.1f MiB at %d entries, %.1f MiB at %d (ratio %.2f); walk+update %.1f MiB; dump alone %.1f MiB\n",
		s / 1024, ns, g / 1024, n, (s > 0 ? g / s : 0), u / 1024, r / 1024 }'
for x in "$b" "$wk" "$up" "$ck"; do
	awk -v x="$x" 'BEGIN { exit !(x > 0) }' || fail "a measurement is empty"
done
exit 0
