#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An allowed one-way UDP stream of 10,000 packets (it stays `ct state new`
# the whole time: no reply) puts exactly one packet through the queue; a
# blocked stream's retries are cheap: the daemon answers them from its
# verdict cache (stats cache_hits) without re-deciding or re-logging them
# one by one, and every decision is still accounted in the log's counts.
. "$(dirname "$0")/common.sh"
netns_setup udps
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate unlimited
option fail-mode closed
block to country CN name "no-cn"
default allow
EOF
[ -x "$BUILD/tests/bench/flowgen" ] || { not_ok "flowgen built ($BUILD/tests/bench/flowgen)"; tap_done; exit 1; }
wan_counter_setup || not_ok "wan counters"
netns_start "$POL"
PKT() { ge_json | jq -r ".$1 // 0"; }

n=0
for dst in 203.0.113.10 2001:db8:65::10; do
	n=$((n + 1))
	src=198.18.1.10; case $dst in *:*) src=2001:db8:1::10 ;; esac
	ids0=$(queue_col 8) p0=$(PKT packets) w0=$(wan_udp_count)
	# paced at 20k/s; a 300 ms pause after the first packet lets its verdict land
	out=$(flowgen "$P-phone" -s $src -d $dst -p $((7776 + n)) -S -N 10000 -r 20000 -g 300 -t 20)
	sleep 0.3
	ids1=$(queue_col 8) p1=$(PKT packets) w1=$(wan_udp_count)
	case $out in "sent 10000 "*) ok "stream to $dst: 10000 packets sent" ;; *) not_ok "stream to $dst: 10000 packets sent" "$out" ;; esac
	[ $((w1 - w0)) = 10000 ] && ok "stream to $dst: all 10000 arrived in wan" || not_ok "stream to $dst: all 10000 arrived in wan" "$((w1 - w0)) arrived"
	[ $((ids1 - ids0)) = 1 ] && ok "stream to $dst: exactly 1 packet went through the queue (id_sequence)" ||
		not_ok "stream to $dst: exactly 1 packet went through the queue (id_sequence)" "id_sequence grew by $((ids1 - ids0))"
	[ $((p1 - p0)) = 1 ] && ok "stream to $dst: stats packets grew by exactly 1" || not_ok "stream to $dst: stats packets grew by exactly 1" "grew by $((p1 - p0))"
done

# A blocked stream: 1000 packets of one flow to CN, 5000/s.
ids0=$(queue_col 8) c0=$(PKT cache_hits) w0=$(wan_udp_count)
t0=$(lab_in "$P-gw" awk '{ print $14 + $15 }' "/proc/$(cat "$(lab_dir "$P")/geoegress.pid")/stat")
out=$(flowgen "$P-phone" -d 198.51.100.10 -p 7790 -S -N 1000 -r 5000 -g 50 -t 20)
sleep 0.3
ids1=$(queue_col 8) c1=$(PKT cache_hits) w1=$(wan_udp_count)
t1=$(lab_in "$P-gw" awk '{ print $14 + $15 }' "/proc/$(cat "$(lab_dir "$P")/geoegress.pid")/stat")
qd=$((ids1 - ids0)) ch=$((c1 - c0))
echo "# blocked stream: 1000 sent, $qd queued, $ch cache hits, daemon CPU $((t1 - t0)) ticks"
[ $((w1 - w0)) = 0 ] && ok "blocked stream: nothing arrived in wan" || not_ok "blocked stream: nothing arrived in wan" "$((w1 - w0)) arrived"
if [ "$qd" -le 10 ]; then ok "blocked stream: retries stay in the kernel ($qd queued)"
elif [ "$ch" -ge $((qd - 1)) ]; then ok "blocked stream: $((qd - 1)) retries answered from the verdict cache"
else not_ok "blocked stream: retries are cheap (kernel-side or cached)" "$qd queued, $ch cache hits"; fi
lines=$(jq -c 'select(.dst=="198.51.100.10" and .dport==7790)' "$LOG" | wc -l)
[ "$lines" -le 3 ] && ok "blocked stream: logged in $lines line(s), not one per retry" || not_ok "blocked stream: logged in few lines" "$lines lines"
lab_stop_geoegress "$P"
[ "$LAB_GE_RC" = 0 ] && ok "clean exit" || not_ok "clean exit" "exit $LAB_GE_RC"
sum=$(jq -s '[.[] | select(.dst=="198.51.100.10" and .dport==7790) | .count] | add // 0' "$LOG")
[ "$sum" = "$qd" ] && ok "blocked stream: log counts add up to the $qd queued decisions (folded at exit)" ||
	not_ok "blocked stream: log counts add up to the queued decisions" "sum of count $sum, queued $qd: $(jq -c 'select(.dport==7790)' "$LOG")"
tap_done
