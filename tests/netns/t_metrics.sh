#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Metrics (issue 14, item 3): `stats --format prometheus` and the file
# option metrics-file writes for node_exporter's textfile collector, both
# checked by a real parser, promtool (Debian's prometheus package: `promtool
# check metrics` parses the exposition format and lints names, types, units
# and HELP against the Prometheus conventions).  The counters agree with
# `stats --json`; the build info with `--version --json`; the file is 0644
# under umask 027 (node_exporter runs as another user), replaced atomically
# (a reader racing the writer never sees a part), follows a reload (another
# file, none) and goes at a clean stop.  The daemon runs under its seccomp
# filter (the default) all along.
. "$(dirname "$0")/common.sh"
netns_setup metrics

if ! command -v promtool >/dev/null; then
	not_ok "promtool is installed (scripts/setup: prometheus)"
	tap_done; exit 1
fi
umask 027
mkdir -p "$T/prom" "$T/other"
chmod 0755 "$T" "$T/prom" "$T/other"
MF=$T/prom/geoegress.prom
POL=$T/policy.conf
write_policy() {	# write_policy METRICS-FILE-OPTION
	cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate unlimited
option metrics-file $1
option gateway "gw-metrics"
devices managed = { 02:00:5e:00:53:01 }
block log from @managed to country CN name "no-cn"
reject from @managed to country IN name "reject-in"
default allow
EOF
}
write_policy "\"$MF\" every 1s"
netns_start "$POL"

# Traffic: blocks to CN, a reject to IN, allows to SG and to nowhere.
curl_rc "$P-phone" http://198.51.100.10/ >/dev/null
curl_rc "$P-phone" http://192.0.2.10/ >/dev/null
curl_rc "$P-phone" http://203.0.113.10/ >/dev/null
curl_rc "$P-laptop" http://198.51.100.10/ >/dev/null
curl_rc "$P-laptop" http://198.19.0.10/ >/dev/null
lab_in "$P-phone" ping -c1 -W1 2001:db8:86::10 >/dev/null 2>&1

# --- stats --format prometheus, through promtool -------------------------
t_asked=$(date +%s)	# the samples' clock lies between this and the check's
lab_ge "$P" stats --format prometheus >"$T/m.txt" 2>"$T/m.err"
rc=$?
[ $rc -eq 0 ] && [ -s "$T/m.txt" ] && ok "stats --format prometheus answers" ||
	not_ok "stats --format prometheus (rc $rc)" "$(cat "$T/m.err")"
out=$(promtool check metrics <"$T/m.txt" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] && ok "promtool check metrics: parses, no lint problem" ||
	not_ok "promtool check metrics (rc $rc)" "$out"
# promtool really checks: a copy with a counter renamed, one with a broken label.
sed 's/^geoegress_packets_total/geoegress_packets/; s/^# \(HELP\|TYPE\) geoegress_packets_total/# \1 geoegress_packets/' \
	"$T/m.txt" >"$T/bad1.txt"
sed '0,/country="CN"/s/country="CN"/country="CN/' "$T/m.txt" >"$T/bad2.txt"
promtool check metrics <"$T/bad1.txt" >/dev/null 2>&1; r1=$?
promtool check metrics <"$T/bad2.txt" >/dev/null 2>&1; r2=$?
[ $r1 -ne 0 ] && [ $r2 -ne 0 ] && ok "promtool rejects a counter without _total and a broken label" ||
	not_ok "promtool did not notice a broken copy ($r1, $r2)"
ge_json >"$T/s.json"

# A sample's value: metric NAME{LABELS} (exact label text) or NAME alone.
sample() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }' "$T/m.txt"; }
sum_of() { awk -v re="$1" '$1 ~ re { s += $2 } END { print s + 0 }' "$T/m.txt"; }

j() { jq -r "$1" "$T/s.json"; }
bad=
for a in allow block reject log; do
	[ "$(sum_of "^geoegress_decisions_total\\{action=\"$a\",")" = "$(j ".by_action.$a")" ] || bad="$bad $a"
done
[ -z "$bad" ] && ok "decisions_total summed over countries = stats by_action (allow, block, reject, log)" ||
	not_ok "decisions_total vs by_action:$bad" "$(grep decisions_total "$T/m.txt"; j .by_action)"
bad=
for cc in CN IN SG; do
	[ "$(sum_of "^geoegress_decisions_total\\{action=\"[a-z]+\",country=\"$cc\"\\}")" = "$(j ".by_country.$cc")" ] ||
		bad="$bad $cc"
done
[ "$(sum_of '^geoegress_decisions_total\{action="[a-z]+",country="unknown"\}')" = "$(j .by_country.unknown)" ] ||
	bad="$bad unknown"
[ -z "$bad" ] && ok "decisions_total summed over actions = stats by_country (CN, IN, SG, unknown)" ||
	not_ok "decisions_total vs by_country:$bad"
v=$(sample 'geoegress_decisions_total{action="block",country="CN"}')
[ "$v" != none ] && [ "$v" -ge 3 ] && ok "geoegress_decisions_total{action=\"block\",country=\"CN\"} $v" ||
	not_ok "block/CN sample: $v"
bad=
for pair in packets_total:.packets queue_dropped_total:.queue.queue_dropped \
	queue_user_dropped_total:.queue.user_dropped log_records_total:.log.written \
	log_folded_total:.log.folded log_failed_total:.log.failed \
	undecided_packets_total:.undecided.packets hook_repairs_total:.hook_state.repairs \
	conntrack_sweeps_total:.conntrack.sweeps policy_rules:.policy.rules \
	database_build_timestamp_seconds:.database.build_epoch; do
	m=geoegress_${pair%%:*}
	[ "$(sample "$m")" = "$(j "${pair#*:}")" ] || bad="$bad $m=$(sample "$m")/$(j "${pair#*:}")"
done
[ -z "$bad" ] && ok "queue, log, undecided, hook, conntrack, policy and database samples = stats --json" ||
	not_ok "samples differ from stats --json:$bad"
[ "$(sample geoegress_hook_intact)" = 1 ] && [ "$(sample geoegress_hook_watched)" = 1 ] &&
	[ "$(sample geoegress_fail_open)" = 1 ] &&
	grep -qE '^geoegress_hook_info\{backend="(nft|iptables)"\} 1$' "$T/m.txt" &&
	ok "hook: intact, watched, backend as a label; fail-mode open" ||
	not_ok "hook state samples" "$(grep -E 'hook|fail_open' "$T/m.txt" | grep -v '^#')"
age=$(sample geoegress_policy_age_seconds) dbage=$(sample geoegress_database_age_seconds)
now=$(date +%s) built=$(j .database.build_epoch)
# built + age is the daemon's clock when it answered: between the ask and
# now (a second either way for rounding); under the stock-kernel VM the
# checks in between take seconds
[ "$age" -ge 0 ] && [ "$age" -lt 60 ] && [ $((built + dbage)) -ge $((t_asked - 1)) ] && [ $((built + dbage)) -le $((now + 1)) ] &&
	ok "policy age ${age}s, database age ${dbage}s (the time asked - build time)" ||
	not_ok "ages: policy $age, database $dbage (asked at $t_asked, now $now, built $built)"
"$GEOEGRESS" --version --json >"$T/v.json"
want=$(jq -r '"version=\"\(.version)\"," + ([.libraries | to_entries[] | "\(.key)=\"\(.value.version)\""] | join(","))' "$T/v.json")
grep -qxF "geoegress_build_info{$want} 1" "$T/m.txt" && ok "geoegress_build_info: version and libraries, as --version --json" ||
	not_ok "build info" "want {$want}; got $(grep '^geoegress_build_info' "$T/m.txt")"
grep -qx 'geoegress_gateway_info{gateway="gw-metrics"} 1' "$T/m.txt" && ok "geoegress_gateway_info names the gateway" ||
	not_ok "gateway info" "$(grep gateway_info "$T/m.txt")"
# Every counter ends in _total, every family has HELP and TYPE (promtool's
# lint says so too; this keeps the names of the README table honest).
bad=$(awk '/^# TYPE/ && $4 == "counter" && $3 !~ /_total$/ { print $3 }' "$T/m.txt")
[ -z "$bad" ] && ok "counters end in _total" || not_ok "counters without _total" "$bad"
miss=
for m in $(awk '/^# TYPE/ { print $3 }' "$T/m.txt"); do grep -qF "\`$m\`" "$TOP/README.md" || miss="$miss $m"; done
[ -z "$miss" ] && ok "README lists every metric family" || not_ok "metrics missing from README:$miss"

# --- the metrics file -----------------------------------------------------
for i in $(seq 1 30); do [ -s "$MF" ] && break; sleep 0.1; done
[ "$(stat -c '%a %U' "$MF" 2>/dev/null)" = "644 root" ] && ok "metrics file written, mode 0644 under umask 027" ||
	not_ok "metrics file" "$(ls -l "$T/prom" 2>&1)"
out=$(promtool check metrics <"$MF" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] && ok "promtool check metrics accepts the file" || not_ok "promtool on the file (rc $rc)" "$out"
before=$(awk '$1 == "geoegress_packets_total" { print $2 }' "$MF")
curl_rc "$P-phone" http://198.51.100.10/ >/dev/null
for i in $(seq 1 40); do
	after=$(awk '$1 == "geoegress_packets_total" { print $2 }' "$MF")
	[ "${after:-0}" -gt "${before:-0}" ] && break
	sleep 0.1
done
[ "${after:-0}" -gt "${before:-0}" ] && ok "the file follows the counters (packets $before -> $after, every 1s)" ||
	not_ok "metrics file not updated: $before -> $after"
# A reader racing the writer (rewrites every second) sees whole files only:
# each read ends with the last family, and promtool accepts the last reads.
partial=0 reads=0
end=$((SECONDS + 3))
while [ $SECONDS -lt $end ] && [ $reads -lt 3000 ]; do
	c=$(cat "$MF" 2>/dev/null)
	reads=$((reads + 1))
	case $c in *$'\n'"geoegress_database_age_seconds "[0-9-]*) ;; *) partial=$((partial + 1)) ;; esac
done
[ $partial -eq 0 ] && [ $reads -gt 10 ] && ok "$reads reads across rewrites: none saw a partial file" ||
	not_ok "partial metrics file seen $partial times in $reads reads"
left=$(find "$T/prom" -name '*.tmp' -mmin +0.05 2>/dev/null)
[ -z "$left" ] && ok "no temporary file left behind" || not_ok "temporary files left" "$left"

# --- a reload: another file (the old one goes), then none -----------------
write_policy "\"$T/other/gw.prom\" every 1s"
lab_ge "$P" reload >/dev/null 2>&1
for i in $(seq 1 30); do [ -s "$T/other/gw.prom" ] && [ ! -e "$MF" ] && break; sleep 0.1; done
[ -s "$T/other/gw.prom" ] && [ ! -e "$MF" ] && ok "reload to another metrics file: written there, the old one removed" ||
	not_ok "metrics file after reload" "$(ls -l "$T/prom" "$T/other")"
write_policy none
lab_ge "$P" reload >/dev/null 2>&1
for i in $(seq 1 30); do [ ! -e "$T/other/gw.prom" ] && break; sleep 0.1; done
[ ! -e "$T/other/gw.prom" ] && ok "reload to metrics-file none: the file is removed" ||
	not_ok "metrics file after metrics-file none" "$(ls -l "$T/other")"

# --- a directory the daemon cannot write: a warning, nothing else --------
write_policy "\"$T/missing/geoegress.prom\" every 1s"
lab_ge "$P" reload >/dev/null 2>&1
glog=$(lab_dir "$P")/geoegress.log
for i in $(seq 1 30); do grep -q "metrics file $T/missing/geoegress.prom: cannot write" "$glog" && break; sleep 0.1; done
check_grep "unwritable metrics directory: one warning that names the file" \
	"metrics file $T/missing/geoegress.prom: cannot write" "$glog"
[ "$(grep -c 'metrics file .*cannot write' "$glog")" -eq 1 ] && lab_ge "$P" stats >/dev/null &&
	ok "... once (a minute at most), and the daemon goes on" || not_ok "metrics warnings" "$(grep metrics "$glog")"

# --- a clean stop removes the file -----------------------------------------
write_policy "\"$MF\" every 1s"
lab_ge "$P" reload >/dev/null 2>&1
for i in $(seq 1 30); do [ -s "$MF" ] && break; sleep 0.1; done
lab_stop_geoegress "$P"
[ -s "$MF" ] && not_ok "metrics file left after a clean stop" || ok "a clean stop removes the metrics file"
grep -q seccomp "$glog" && not_ok "seccomp complained" "$(grep seccomp "$glog")" ||
	ok "no system call outside the allow-list"
tap_done
