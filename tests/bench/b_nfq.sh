#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Daemon benchmarks in the netns lab, one run, ratios against baselines
# measured in the same run:
#  1. new flows decided per second (BENCH_FLOWS new UDP flows, one packet
#     each, from a lan device as fast as a raw socket sends them), the same
#     traffic for all three:
#     (a) geoegress, a 50-rule policy (country block rules, device sets by
#         address and MAC, port rules, a log rule, `option unknown allow
#         log`, default allow) on $BUILD/country-bench.mmdb: the real
#         tor-geoipdb database plus the benchmark overlay (scripts/geodb-build
#         --bench-overlay: each /24 of 198.19.0.0/16 placed in a real country;
#         198.19.0.0/24 left unknown)
#     (b) nfq_plain (one recv, one verdict per packet) behind the same
#         hook geoegress installed (copied: its nft table and, on kernels
#         without nft `queue`, its iptables mangle rules)
#     (c) the in-kernel ceiling: an nft interval set of the blocked
#         countries' IPv4 ranges (tor-geoipdb + their overlay /24s) and
#         `ct state new ip daddr @set drop`, no queue
#     Flow i goes to 198.19.(i % 256).10 (flowgen -D 256): every /24, so
#     every flow is a real lookup and the policy blocks or logs a share of
#     them.  Decided flows are counted where they are decided, blocked ones
#     included: queue consumers = queue ids - user_dropped over the window
#     from the first to the last queue activity (nfq_plain -w in gw), and
#     geoegress's own stats; kernel = the nft rule counters (drop + pass) /
#     sender time (the forward path runs in the sender's context).  The
#     blocked/logged counts are checked against the database (mmdblookup of
#     each /24) and the policy's country lists: when every flow was decided,
#     geoegress's and the kernel's blocked counts must equal the expected one.
#     A short IPv6 run (2001:db8:ffII::10, the overlay's /48s) is checked the
#     same way (not timed).
#  2. connect latency (BENCH_CONNECTS sequential TCP connects, median and
#     p99) to an overlay address the policy allows after evaluating every
#     rule: no queue hook vs geoegress (and vs nfq_plain, for reference).
# wan answers for 198.19.0.0/16 and 2001:db8:ff00::/40 (local routes) and
# counts/drops the generated UDP flows (port 9) in prerouting.
# Env: BENCH_FLOWS (200000) BENCH_CONNECTS (2000) BENCH_REPS (2) BENCH_DB
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
. "$TOP/scripts/lab.sh"
GE=${GEOEGRESS:-$BUILD/geoegress}
FG=$BUILD/tests/bench/flowgen PLAIN=$BUILD/tests/bench/nfq_plain TCPLAT=$BUILD/tests/bench/tcplat
N=${BENCH_FLOWS:-200000} LATN=${BENCH_CONNECTS:-2000} REPS=${BENCH_REPS:-2}
# The policy's country lists (expected decisions are computed from these)
SANCTIONED="CU IR KP SY RU BY"		# block log
ADVISORY="CN HK MO"			# block log (tcp 443/8000-8080: reject)
SINGLE="VE BD TH MY ID PH MM LA KH NP LK AF IQ LY SD SO YE ER ZW ET ML NE TD CF SS"	# block
WATCH="TR UA KZ AE SA EG NG ZA PK VN"	# log (allowed)
BLOCKED="$SANCTIONED $ADVISORY $SINGLE"
DST=198.19.0.10 DST6=2001:db8:ff00::10 NDST=256

[ "$(id -u)" = 0 ] || { echo "b_nfq: needs root (network namespaces)" >&2; exit 1; }
for b in "$GE" "$FG" "$PLAIN" "$TCPLAT"; do
	[ -x "$b" ] || { echo "b_nfq: $b missing (make BUILD=... tests)" >&2; exit 1; }
done
command -v mmdblookup >/dev/null || { echo "b_nfq: mmdblookup missing (mmdb-bin, scripts/setup)" >&2; exit 1; }
DB=${BENCH_DB:-$BUILD/country-bench.mmdb}
if [ ! -f "$DB" ] || [ "$TOP/scripts/geodb-build" -nt "$DB" ]; then
	echo "b_nfq: building $DB (scripts/geodb-build --bench-overlay)"
	"$TOP/scripts/geodb-build" --bench-overlay "$DB" >/dev/null || { echo "b_nfq: geodb-build failed" >&2; exit 1; }
fi
P=ge-bench-$$
T=$(mktemp -d /tmp/ge-bench.XXXXXX)
cleanup() { lab_down "$P"; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
G=$P-gw

lab_up "$P" || exit 1
# wan answers for the whole benchmark destination space
ip -n "$P-wan" route add local 198.19.0.0/16 dev lo || exit 1
ip -n "$P-wan" -6 route add local 2001:db8:ff00::/40 dev lo || exit 1
# wan: count and silently drop the generated flows (no ICMP back)
lab_in "$P-wan" nft -f - <<'EOF' || exit 1
table inet labcount {
	counter gen { }
	chain pre { type filter hook prerouting priority -300; policy accept; udp dport 9 counter name gen drop; }
}
EOF
wan_gen() { lab_in "$P-wan" nft list counter inet labcount gen | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }

# --- where the database places each destination network I (0..255) ---
cc_of() { mmdblookup --file "$DB" --ip "$1" country iso_code 2>/dev/null | grep -o '"[A-Z][A-Z]"' | tr -d '"'; }
for i in $(seq 0 255); do
	c4=$(cc_of "198.19.$i.10") c6=$(cc_of "$(printf '2001:db8:ff%02x::10' "$i")")
	echo "$i ${c4:--}" >>"$T/overlay"
	echo "$i ${c6:--}" >>"$T/overlay6"
done
[ "$(awk '$2 != "-"' "$T/overlay" | wc -l)" -gt 200 ] && [ "$(awk '$2 != "-"' "$T/overlay6" | wc -l)" -gt 200 ] ||
	{ echo "b_nfq: $DB has no benchmark overlay (scripts/geodb-build --bench-overlay)" >&2; exit 1; }
# expect NFLOWS [MAP]: "blocked logged unknown" for flows i = 0..NFLOWS-1 to
# network i % 256.  Logged: the daemon's contract (briefs/daemon.md) logs
# every block/reject decision, plus log rules and `option unknown allow log`.
expect() {
	awk -v n="$1" -v b="$BLOCKED" -v l="$BLOCKED $WATCH" '
		BEGIN { nb = split(b, x, / +/); for (i = 1; i <= nb; i++) B[x[i]] = 1
			nl = split(l, x, / +/); for (i = 1; i <= nl; i++) L[x[i]] = 1 }
		{ c = int(n / 256) + ($1 < n % 256 ? 1 : 0)
		  if ($2 == "-") { u += c; lg += c } else { if ($2 in B) bl += c; if ($2 in L) lg += c } }
		END { print bl + 0, lg + 0, u + 0 }' "${2:-$T/overlay}"
}

# --- the 50-rule policy (the generated flows: udp/9 from the phone's
# addresses and MAC, a managed device; their decision depends on the
# destination's country only, so expect() above knows it) ---
POL=$T/bench.conf
{
	echo "option database \"$DB\""
	echo "option log-file \"$T/decisions.jsonl\""
	echo "option unknown allow log"
	echo "option fail-mode closed"
	echo "devices managed = { 198.18.1.0/25, 2001:db8:1::/64, 02:00:5e:00:53:01 }"
	echo "devices guests = { 198.18.1.128/25, 02:00:5e:00:53:03 }"
	echo "devices admins = { 02:00:5e:00:53:02 }"
	echo "networks internal = { 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 }"
	echo "networks transit = { 198.18.0.0/24, 2001:db8:fe::/64 }"
	echo "countries sanctioned = { $(echo $SANCTIONED | sed 's/ /, /g') }"
	echo "countries advisory = { $(echo $ADVISORY | sed 's/ /, /g') }"
	echo "countries watch = { $(echo $WATCH | sed 's/ /, /g') }"
	echo "countries allies = { US, CA, GB, DE, FR, NL, JP, AU }"
	cat <<'EOF'
allow to @internal name "lab servers"
allow from @admins name "admins unrestricted"
block to @transit proto tcp port 22 name "no ssh to the transit net"
reject from @guests proto tcp port 25 name "guests: no smtp"
block proto udp port { 137-139, 445 } name "no netbios/smb out"
block log from @managed to country @sanctioned name "sanctions"
reject log from @managed to country @advisory proto tcp port { 443, 8000-8080 } name "advisory: web refused"
block log from @managed to country @advisory name "advisory"
block from @guests to country @advisory name "guests: advisory"
log from @managed to country @watch name "watch list"
EOF
	for c in $SINGLE; do echo "block from @managed to country $c name \"no $c\""; done
	cat <<'EOF'
reject from @guests to country @sanctioned name "guests: sanctions"
block from @guests to != @internal proto udp port 53 name "guests: lab dns only"
allow from @managed to country @allies proto tcp port { 80, 443 } name "web to allies"
reject from @managed proto tcp port { 23, 2323 } name "no telnet"
block from @managed proto udp port 1900 name "no ssdp out"
block from @managed proto udp port { 5353, 5355 } name "no mdns/llmnr out"
log from @managed proto tcp port 3389 name "rdp out"
reject from @managed to country != @allies proto tcp port 25 name "smtp only to allies"
block from @guests to country @watch name "guests: watch list"
block to unknown proto tcp port 445 name "no smb to unplaced"
allow from @managed to country @eu proto udp port 443 name "quic to the eu"
block from @managed proto sctp name "no sctp"
reject proto tcp port 111 name "no rpcbind out"
block from @managed proto udp port 69 name "no tftp out"
log from @guests name "guest traffic"
default allow
EOF
} >"$POL"
nrules=$(grep -cE '^(allow|block|reject|log) ' "$POL")
[ "$nrules" = 50 ] || { echo "b_nfq: the policy has $nrules rules, not 50" >&2; exit 1; }
"$GE" check -c "$POL" >"$T/check.out" 2>&1 || { echo "b_nfq: policy check failed: $(cat "$T/check.out")" >&2; exit 1; }

nsrc=$(((N + 64511) / 64512))
gen() { lab_in "$P-phone" "$FG" -d "$DST" -D "$NDST" -p 9 -a "$nsrc" -N "$N" -t 30; }
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
reset_ct() { lab_in "$G" conntrack -F >/dev/null 2>&1; sleep 0.2; }
# the daemon's hook, copied for nfq_plain (nft table + iptables-nft mangle rules)
hook_save() {
	lab_in "$G" nft list table inet geoegress >"$T/hook.nft" || return 1
	lab_in "$G" iptables-save -t mangle 2>/dev/null | grep -E '^(\*|:|-A|COMMIT)' >"$T/hook4"
	lab_in "$G" ip6tables-save -t mangle 2>/dev/null | grep -E '^(\*|:|-A|COMMIT)' >"$T/hook6"
}
hook_restore() {
	lab_in "$G" nft -f "$T/hook.nft" || return 1
	if grep -q -- '-A ' "$T/hook4"; then lab_in "$G" iptables-restore --noflush <"$T/hook4" || return 1; fi
	if grep -q -- '-A ' "$T/hook6"; then lab_in "$G" ip6tables-restore --noflush <"$T/hook6" || return 1; fi
}
hook_clear() {
	lab_in "$G" nft delete table inet geoegress 2>/dev/null
	lab_in "$G" iptables -t mangle -F 2>/dev/null; lab_in "$G" ip6tables -t mangle -F 2>/dev/null
	return 0
}
# stop the daemon; with fail-mode closed it leaves the gateway held closed
ge_stop() { lab_stop_geoegress "$P"; lab_unlock "$P" >/dev/null; hook_clear; }

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

# pct PART WHOLE
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }'; }
logged_count() { jq -s 'map(.count // 1) | add // 0' "$T/decisions.jsonl" 2>/dev/null || echo 0; }
BAD=""
# ge_check NAME NFLOWS STATS_JSON [MAP]: prints the decisions; when every flow was
# decided, blocked and logged must be what the database and policy say
ge_check() {
	local pk bl rj lg al cnt eb el eu
	read -r pk bl rj lg al <<<"$(jq -r '[.packets, .by_action.block, .by_action.reject, .by_action.log, .by_action.allow] | @tsv' <<<"$3")"
	cnt=$(logged_count)
	read -r eb el eu <<<"$(expect "$2" "${4:-$T/overlay}")"
	echo "  $1: decided $pk of $2; blocked $bl ($(pct "$bl" "$pk")), rejected $rj, log-action $lg, allowed $al;" \
		"logged $cnt ($(pct "$cnt" "$pk"), in $(grep -c . "$T/decisions.jsonl" 2>/dev/null) records);" \
		"$(jq '.by_country | length - 1' <<<"$3") countries; expected blocked $eb logged $el (unknown $eu)"
	if [ "$pk" = "$2" ] && { [ "$bl" != "$eb" ] || [ "$cnt" != "$el" ]; }; then
		BAD="$BAD $1"
	fi
}

echo "b_nfq: $N new flows per run to $NDST /24s of 198.19.0.0/16 ($(awk '$2 != "-" { print $2 }' "$T/overlay" | sort -u | wc -l) countries), $REPS interleaved runs each (best), $nrules-rule policy, $(basename "$DB")"
{
	echo 'table ip kbench {'
	echo ' set geo { type ipv4_addr; flags interval; auto-merge; elements = {'
	{
		grep -v '^#' /usr/share/tor/geoip | awk -F, -v L="$BLOCKED" '
			function ip(n) { return int(n / 16777216) "." int(n / 65536) % 256 "." int(n / 256) % 256 "." n % 256 }
			BEGIN { n = split(L, a, / +/); for (i = 1; i <= n; i++) w[a[i]] = 1 }
			($3 in w) { print ip($1) "-" ip($2) }'
		awk -v L="$BLOCKED" 'BEGIN { n = split(L, a, / +/); for (i = 1; i <= n; i++) w[a[i]] = 1 }
			($2 in w) { print "198.19." $1 ".0/24" }' "$T/overlay"
	} | paste -sd,
	echo ' } }'
	echo ' counter blocked { }'
	echo ' counter passed { }'
	echo ' chain fw { type filter hook forward priority 0; policy accept; ct state new ip daddr @geo counter name blocked drop; ct state new counter name passed; }'
	echo '}'
} >"$T/kset.nft"
nranges=$(($(grep -o ',' "$T/kset.nft" | wc -l) + 1))
kcount() { lab_in "$G" nft list counter ip kbench "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }

ge_rates="" pl_rates="" k_rates="" checks=""
for r in $(seq 1 "$REPS"); do
	# (a) geoegress, its own hook
	rm -f "$T/decisions.jsonl"
	lab_run_geoegress "$P" "$POL" || exit 1
	if [ "$r" = 1 ]; then hook_save || { echo "b_nfq: cannot copy the hook" >&2; exit 1; }; fi
	w0=$(wan_gen)
	ge_rates="$ge_rates $(measure_queue "geoegress run $r")"
	w1=$(wan_gen)
	ge_stats=$(lab_ge "$P" stats --json)
	ge_stop
	checks="$checks$(ge_check "geoegress run $r (IPv4, arrived in wan $((w1 - w0)))" "$N" "$ge_stats")"$'\n'
	# (b) nfq_plain behind the same hook
	hook_restore || { echo "b_nfq: cannot restore the hook" >&2; exit 1; }
	ip netns exec "$G" "$PLAIN" -q 0 -t 300 >"$T/plain.out" 2>"$T/plain.err" &
	PLAIN_PID=$!
	sleep 0.3
	pl_rates="$pl_rates $(measure_queue "nfq_plain run $r")"
	kill "$PLAIN_PID"; wait "$PLAIN_PID" 2>/dev/null
	hook_clear
	# (c) kernel ceiling: nft interval set, no queue; decided = rule counters
	lab_in "$G" nft -f "$T/kset.nft" || { echo "b_nfq: cannot load the nft set" >&2; exit 1; }
	reset_ct
	g=$(gen)
	kb=$(kcount blocked) kp=$(kcount passed)
	echo "#   kernel run $r: $g | blocked $kb passed $kp" >&2
	k_rates="$k_rates $(awk -v n=$((kb + kp)) -v s="$(field "$g" seconds)" 'BEGIN { printf "%.0f\n", (s > 0 ? n / s : 0) }')"
	read -r eb _ <<<"$(expect "$N")"
	checks="$checks  kernel run $r: decided $((kb + kp)) of $N; blocked $kb ($(pct "$kb" $((kb + kp)))); expected blocked $eb"$'\n'
	[ $((kb + kp)) = "$N" ] && [ "$kb" != "$eb" ] && BAD="$BAD kernel-run-$r"
	lab_in "$G" nft delete table ip kbench
	reset_ct
done
# IPv6: the overlay's /48s, geoegress only, not timed
N6=$((N < 25600 ? N : 25600))
rm -f "$T/decisions.jsonl"
lab_run_geoegress "$P" "$POL" || exit 1
reset_ct
g=$(lab_in "$P-phone" "$FG" -d "$DST6" -D "$NDST" -p 9 -N "$N6" -t 30)
sleep 0.5
ge6_stats=$(lab_ge "$P" stats --json)
ge_stop
echo "#   geoegress IPv6: $g" >&2
checks="$checks$(ge_check "geoegress IPv6 (2001:db8:ffII::10)" "$N6" "$ge6_stats" "$T/overlay6")"$'\n'

best() { tr ' ' '\n' | grep . | sort -t: -k1,1n | tail -1; }
bound() { [ "${1#*:}" = 0 ] && echo "no drops: sender-bound, a lower bound" || echo "saturated: ${1#*:} dropped"; }
ge_b=$(best <<<"$ge_rates") pl_b=$(best <<<"$pl_rates") k=$(best <<<"$k_rates")
ge=${ge_b%%:*} pl=${pl_b%%:*}
echo "new flows decided per second (best of $REPS):"
printf '  geoegress (%d rules, real db + overlay)  %10.0f /s   (%s)\n' "$nrules" "$ge" "$(bound "$ge_b")"
printf '  nfq_plain (1 recv, 1 verdict)  %10.0f /s   (%s)\n' "$pl" "$(bound "$pl_b")"
printf '  kernel nft set (%d ranges)  %10.0f /s\n' "$nranges" "$k"
awk -v g="$ge" -v p="$pl" -v k="$k" 'BEGIN {
	printf "  ratio geoegress/plain  %.2fx   (target >= 1.0x)\n", (p > 0 ? g / p : 0)
	printf "  ratio geoegress/kernel %.2fx\n", (k > 0 ? g / k : 0) }'
echo "decisions (checked against the database when every flow was decided):"
printf '%s' "$checks"
echo "  geoegress stats (last IPv4 run): $(jq -c '{packets, by_action, cache_hits, queue, recv_enobufs, log}' <<<"$ge_stats" 2>/dev/null)"

# --- 2. connect latency: REPS interleaved rounds of the three set-ups ---
# to the first overlay network the policy allows only by its default
LATDST=198.19.$(awk -v l="$BLOCKED $WATCH" 'BEGIN { n = split(l, x, / +/); for (i = 1; i <= n; i++) S[x[i]] = 1 }
	$2 != "-" && !($2 in S) { print $1; exit }' "$T/overlay").10
ip netns exec "$P-wan" "$TCPLAT" -l 8080 -t 600 2>/dev/null &
lat() { lab_in "$P-phone" "$TCPLAT" -c "$LATDST" -p 8080 -n "$LATN" -t 120; }
l_none="" l_plain="" l_ge=""
for r in $(seq 1 "$REPS"); do
	reset_ct
	x=$(lat); l_none="$l_none$x"$'\n'
	ip netns exec "$G" "$PLAIN" -q 0 -t 300 >/dev/null 2>&1 &
	PLAIN_PID=$!
	hook_restore
	sleep 0.3
	x=$(lat); l_plain="$l_plain$x"$'\n'
	kill "$PLAIN_PID"; wait "$PLAIN_PID" 2>/dev/null
	hook_clear
	lab_run_geoegress "$P" "$POL" || exit 1
	x=$(lat); l_ge="$l_ge$x"$'\n'
	ge_stop
done
# med KEY: the median over the rounds of tcplat's KEY (median_us, p99_us, n)
med() { grep . | while read -r line; do field "$line" "$1"; done | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
echo "connect latency, $LATN sequential TCP connects to $LATDST ($(awk -v i="${LATDST#198.19.}" '$1 == int(i) { print $2 }' "$T/overlay"), allowed by default), median of $REPS interleaved rounds:"
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
[ -z "$BAD" ] || { echo "b_nfq: blocked/logged counts differ from the database's for:$BAD" >&2; exit 1; }
exit 0
