#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Daemon benchmarks in the netns lab, one run, ratios against baselines
# measured in the same run:
#  1. new flows decided per second (BENCH_FLOWS new UDP flows, one packet
#     each, from a lan device as fast as a raw socket sends them):
#     (a) geoegress, a 50-rule policy on the real database ($BUILD/country.mmdb)
#     (b) nfq_plain (one recv, one verdict per packet) behind the same
#         iptables hook geoegress installed (copied from iptables-save)
#     (c) the in-kernel ceiling: an nft interval set of the same 50
#         countries' IPv4 ranges (from tor-geoipdb) and `ip daddr @set drop`
#     Queue consumers: decided = queue ids - user_dropped over the window
#     from the first to the last queue activity (nfq_plain -w in gw).
#     Kernel: packets through the forward hook / sender time (the forward
#     path runs in the sender's context, so that is the kernel's rate).
#  2. connect latency (BENCH_CONNECTS sequential TCP connects, median and
#     p99): no queue hook vs geoegress (and vs nfq_plain, for reference).
# The destinations are lab addresses (203.0.113.10), which the real
# database does not place: lookups end in an empty node, no rule matches,
# `option unknown allow` decides; every rule is still evaluated.
# Env: BENCH_FLOWS (200000) BENCH_CONNECTS (2000) BENCH_REPS (2)
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
. "$TOP/scripts/lab.sh"
GE=${GEOEGRESS:-$BUILD/geoegress}
FG=$BUILD/tests/bench/flowgen PLAIN=$BUILD/tests/bench/nfq_plain TCPLAT=$BUILD/tests/bench/tcplat
N=${BENCH_FLOWS:-200000} LATN=${BENCH_CONNECTS:-2000} REPS=${BENCH_REPS:-2}
COUNTRIES="CN HK MO RU KP IR SY CU VE BY BD PK VN TH MY ID PH TW KR JP IN AE SA TR UA
KZ IL EG NG ZA AR BR CL CO MX PE NZ AU CA PL CZ RO BG HU GR PT RS LT LV EE"
DST=203.0.113.10

[ "$(id -u)" = 0 ] || { echo "b_nfq: needs root (network namespaces)" >&2; exit 1; }
for b in "$GE" "$FG" "$PLAIN" "$TCPLAT"; do
	[ -x "$b" ] || { echo "b_nfq: $b missing (make BUILD=... tests)" >&2; exit 1; }
done
DB=${BENCH_DB:-$BUILD/country.mmdb}
if [ ! -f "$DB" ]; then
	echo "b_nfq: building the real database $DB (scripts/geodb-build)"
	"$TOP/scripts/geodb-build" "$DB" >/dev/null || { echo "b_nfq: geodb-build failed" >&2; exit 1; }
fi
P=ge-bench-$$
T=$(mktemp -d /tmp/ge-bench.XXXXXX)
cleanup() { lab_down "$P"; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
G=$P-gw

lab_up "$P" || exit 1
# wan: count and silently drop the generated flows (no ICMP back)
lab_in "$P-wan" nft -f - <<'EOF' || exit 1
table inet labcount {
	counter gen { }
	chain pre { type filter hook prerouting priority -300; policy accept; udp dport 9 counter name gen drop; }
}
EOF
wan_gen() { lab_in "$P-wan" nft list counter inet labcount gen | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }

# --- the 50-rule policy ---
POL=$T/bench.conf
{
	echo "option database \"$DB\""
	echo "option log-file \"$T/decisions.jsonl\""
	echo "option unknown allow"
	echo "option fail-mode closed"
	echo "devices managed = { 198.18.1.0/24, 2001:db8:1::/64 }"
	i=0
	for c in $COUNTRIES; do
		i=$((i + 1))
		echo "block from @managed to country $c name \"rule $i: no $c\""
	done
	echo "default allow"
} >"$POL"
nrules=$(grep -c '^block' "$POL")

nsrc=$(((N + 64511) / 64512))
gen() { lab_in "$P-phone" "$FG" -d "$DST" -p 9 -a "$nsrc" -N "$N" -t 30; }
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
reset_ct() { lab_in "$G" conntrack -F >/dev/null 2>&1; sleep 0.2; }

# measure_queue NAME: watcher + generator; prints the decided rate
measure_queue() {
	local w out g
	reset_ct
	ip netns exec "$G" "$PLAIN" -w -q 0 -t 40 -i 500 >"$T/watch.out" 2>&1 &
	w=$!
	sleep 0.3
	g=$(gen)
	wait "$w"
	out=$(cat "$T/watch.out")
	echo "#   $1: $g | $out" >&2
	# "rate:drops" — no drops means the consumer kept up with the sender:
	# its rate is then a lower bound (sender-bound), not its ceiling
	echo "$(field "$out" rate_pps):$(($(field "$out" queue_dropped) + $(field "$out" user_dropped)))"
}

echo "b_nfq: $N new flows per run, $REPS interleaved runs each (best), $nrules-rule policy, $(basename "$DB")"
{
	echo 'table ip kbench {'
	echo ' set geo { type ipv4_addr; flags interval; auto-merge; elements = {'
	grep -v '^#' /usr/share/tor/geoip | awk -F, -v L="$COUNTRIES" '
		function ip(n) { return int(n / 16777216) "." int(n / 65536) % 256 "." int(n / 256) % 256 "." n % 256 }
		BEGIN { n = split(L, a, /[ \n]+/); for (i = 1; i <= n; i++) w[a[i]] = 1 }
		($3 in w) { print ip($1) "-" ip($2) }' | paste -sd,
	echo ' } }'
	echo ' chain fw { type filter hook forward priority 0; policy accept; ct state new ip daddr @geo counter drop; ct state new counter; }'
	echo '}'
} >"$T/kset.nft"
nranges=$(($(grep -o ',' "$T/kset.nft" | wc -l) + 1))

ge_rates="" pl_rates="" k_rates=""
for r in $(seq 1 "$REPS"); do
	# (a) geoegress, its own hook
	lab_run_geoegress "$P" "$POL" || exit 1
	[ "$r" = 1 ] && lab_in "$G" iptables-save >"$T/hook4"
	ge_rates="$ge_rates $(measure_queue "geoegress run $r")"
	ge_stats=$(lab_ge "$P" stats --json)
	lab_stop_geoegress "$P"
	# (b) nfq_plain behind the same hook
	lab_in "$G" iptables-restore <"$T/hook4" || { echo "b_nfq: cannot restore the hook" >&2; exit 1; }
	ip netns exec "$G" "$PLAIN" -q 0 -t 300 >"$T/plain.out" 2>"$T/plain.err" &
	PLAIN_PID=$!
	sleep 0.3
	pl_rates="$pl_rates $(measure_queue "nfq_plain run $r")"
	kill "$PLAIN_PID"; wait "$PLAIN_PID" 2>/dev/null
	lab_in "$G" iptables -F; lab_in "$G" iptables -X
	# (c) kernel ceiling: nft interval set, no queue
	lab_in "$G" nft -f "$T/kset.nft" || { echo "b_nfq: cannot load the nft set" >&2; exit 1; }
	reset_ct
	w0=$(wan_gen)
	g=$(gen)
	w1=$(wan_gen)
	echo "#   kernel run $r: $g | arrived in wan $((w1 - w0))" >&2
	k_rates="$k_rates $(awk -v n=$((w1 - w0)) -v s="$(field "$g" seconds)" 'BEGIN { printf "%.0f\n", (s > 0 ? n / s : 0) }')"
	lab_in "$G" nft delete table ip kbench
	reset_ct
done
best() { tr ' ' '\n' | grep . | sort -t: -k1,1n | tail -1; }
bound() { [ "${1#*:}" = 0 ] && echo "no drops: sender-bound, a lower bound" || echo "saturated: ${1#*:} dropped"; }
ge_b=$(best <<<"$ge_rates") pl_b=$(best <<<"$pl_rates") k=$(best <<<"$k_rates")
ge=${ge_b%%:*} pl=${pl_b%%:*}
echo "new flows decided per second (best of $REPS):"
printf '  geoegress (%d rules, real db)  %10.0f /s   (%s)\n' "$nrules" "$ge" "$(bound "$ge_b")"
printf '  nfq_plain (1 recv, 1 verdict)  %10.0f /s   (%s)\n' "$pl" "$(bound "$pl_b")"
printf '  kernel nft set (%d ranges)  %10.0f /s\n' "$nranges" "$k"
awk -v g="$ge" -v p="$pl" -v k="$k" 'BEGIN {
	printf "  ratio geoegress/plain  %.2fx   (target >= 1.0x)\n", (p > 0 ? g / p : 0)
	printf "  ratio geoegress/kernel %.2fx\n", (k > 0 ? g / k : 0) }'
echo "  geoegress stats: $(jq -c '{packets, by_action, queue, recv_enobufs}' <<<"$ge_stats" 2>/dev/null)"

# --- 2. connect latency: REPS interleaved rounds of the three set-ups ---
ip netns exec "$P-wan" "$TCPLAT" -l 8080 -t 600 2>/dev/null &
lat() { lab_in "$P-phone" "$TCPLAT" -c "$DST" -p 8080 -n "$LATN" -t 120; }
l_none="" l_plain="" l_ge=""
for r in $(seq 1 "$REPS"); do
	reset_ct
	x=$(lat); l_none="$l_none$x"$'\n'
	ip netns exec "$G" "$PLAIN" -q 0 -t 300 >/dev/null 2>&1 &
	PLAIN_PID=$!
	lab_in "$G" iptables-restore <"$T/hook4"
	sleep 0.3
	x=$(lat); l_plain="$l_plain$x"$'\n'
	kill "$PLAIN_PID"; wait "$PLAIN_PID" 2>/dev/null
	lab_in "$G" iptables -F; lab_in "$G" iptables -X
	lab_run_geoegress "$P" "$POL" || exit 1
	x=$(lat); l_ge="$l_ge$x"$'\n'
	lab_stop_geoegress "$P"
done
# med KEY: the median over the rounds of tcplat's KEY (median_us, p99_us, n)
med() { grep . | while read -r line; do field "$line" "$1"; done | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
echo "connect latency, $LATN sequential TCP connects to $DST, median of $REPS interleaved rounds:"
for v in none plain ge; do
	eval "d=\$l_$v"
	case $v in none) name="no hook" ;; plain) name=nfq_plain ;; ge) name=geoegress ;; esac
	printf '  %-10s median %8.1f us   p99 %8.1f us   (per round: %s)\n' "$name" "$(med median_us <<<"$d")" \
		"$(med p99_us <<<"$d")" "$(grep . <<<"$d" | awk '{ printf "%s%s/%s", (NR > 1 ? ", " : ""), $6, $8 }')"
done
awk -v a="$(med median_us <<<"$l_none")" -v b="$(med median_us <<<"$l_ge")" \
	-v c="$(med p99_us <<<"$l_none")" -v d="$(med p99_us <<<"$l_ge")" -v e="$(med median_us <<<"$l_plain")" 'BEGIN {
	printf "  geoegress added: median %+.1f us (%.2fx), p99 %+.1f us (%.2fx); nfq_plain added median %+.1f us\n",
		b - a, (a > 0 ? b / a : 0), d - c, (c > 0 ? d / c : 0), e - a }'
l_none=$(grep . <<<"$l_none" | head -1) l_ge=$(grep . <<<"$l_ge" | head -1)
# a run that measured nothing is a failure
for x in "$ge" "$pl" "$k" "$(field "$l_none" n)" "$(field "$l_ge" n)"; do
	[ "${x:-0}" -gt 0 ] 2>/dev/null || { echo "b_nfq: a measurement is empty" >&2; exit 1; }
done
exit 0
