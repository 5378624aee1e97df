#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# explain and the daemon never disagree (issue 11, case 5): one function
# (rules_eval) decides the action and whether it is logged, for both.  For
# every flow this test sends through the gateway (3 devices x the lab's 9
# servers x tcp/80, udp/53, udp/123 and ping, IPv4 and IPv6), the daemon's
# own decision (its -v line: action and rule line) and its decision log
# (a record exactly when the decision is logged) must equal what
# `geoegress explain` prints offline and what `explain --running` gets from
# the running daemon.  Then a refused reload: the files on disk change, the
# daemon keeps its policy, and only `explain --running` still matches it.
. "$(dirname "$0")/common.sh"
netns_setup explain
POL=$T/policy.conf
cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate unlimited
option unknown allow log
devices managed = { 02:00:5e:00:53:01, 198.18.1.10, 2001:db8:1::10 }
devices laptops = { 198.18.1.20, 2001:db8:1::20 }
countries forbidden = { CN }
block from @managed to country @forbidden name "no-cn"
reject from @laptops to country CN proto tcp port 80 name "laptop web to CN"
log from @laptops to country IN name "laptops to IN"
allow from @managed to country IN proto udp port 123 name "ntp to IN"
block to country IN proto udp port 53 name "no dns to IN"
log from any to 203.0.113.200 name "watch .200"
default allow
EOF
netns_start "$POL" -v
DLOG=$(lab_dir "$P")/geoegress.log
SERVERS="$LAB_SERVERS4 $LAB_SERVERS6"

# Every device sends each flow once (short timeouts: the first packet is
# what the daemon decides).
pids=()
for dev in phone laptop guest; do
	lab_in "$P-$dev" python3 - $SERVERS <<'PY' >/dev/null 2>&1 &
import socket, subprocess, sys
for a in sys.argv[1:]:
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    for kind, port in (("tcp", 80), ("udp", 53), ("udp", 123)):
        s = socket.socket(fam, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
        s.settimeout(0.4)
        try:
            if kind == "tcp": s.connect((a, port))
            else: s.sendto(b"x", (a, port))
        except OSError: pass
        s.close()
    subprocess.run(["ping", "-c1", "-W1", a], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
PY
	pids+=($!)
done
wait "${pids[@]}"	# not a bare wait: the daemon is a child of this shell too
sleep 0.5

mac_of() { case $1 in 198.18.1.10 | 2001:db8:1::10) echo 02:00:5e:00:53:01 ;; 198.18.1.20 | 2001:db8:1::20) echo 02:00:5e:00:53:02 ;; *) echo 02:00:5e:00:53:03 ;; esac; }
# explain_fields OUTPUT: "ACTION LINE LOG"
explain_fields() { awk '/^action:/ { a = $2 } /^rule:/ { for (i = 1; i <= NF; i++) if ($i == "line") l = $(i + 1) + 0 } /^log:/ { g = $2 } END { print a, l, g }' <<<"$1"; }
n=0 bad_off="" bad_run="" bad_log=""
# the daemon's -v lines: "SRC -> DST proto P port N country CC: ACTION (line L)"
grep -E '^[0-9a-f.:]+ -> [0-9a-f.:]+ proto [0-9]+ port [0-9]+ country' "$DLOG" | grep -v 'cached retry' |
	sed -E 's/^([^ ]+) -> ([^ ]+) proto ([0-9]+) port ([0-9]+) country [^:]+: ([a-z]+).*\(line ([0-9]+)\).*/\1 \2 \3 \4 \5 \6/' |
	sort -u >"$T/daemon"
while read -r src dst proto port action line; do
	case $src in 198.18.1.* | 2001:db8:1::*) ;; *) continue ;; esac
	n=$((n + 1))
	args=(--from "$src,$(mac_of "$src")" --to "$dst" --proto "$proto")
	case $proto in 6 | 17) args+=(--port "$port") ;; esac
	off=$(explain_fields "$("$GEOEGRESS" explain -c "$POL" "${args[@]}" 2>&1)")
	run=$(explain_fields "$(lab_ge "$P" explain "${args[@]}" --running 2>&1)")
	[ "${off% *}" = "$action $line" ] || bad_off="$bad_off; $src>$dst/$proto/$port daemon $action $line, explain $off"
	[ "$run" = "$off" ] || bad_run="$bad_run; $src>$dst/$proto/$port explain $off, --running $run"
	rec=$(jq -c --arg s "$src" --arg d "$dst" --argjson p "$port" \
		'select(.src == $s and .dst == $d and (.dport // 0) == $p)' "$LOG" | head -1)
	case ${off##* }:${rec:+yes} in
	yes:yes | no:) ;;
	*) bad_log="$bad_log; $src>$dst/$proto/$port explain log ${off##* }, record: ${rec:-none}" ;;
	esac
done <"$T/daemon"
[ "$n" -ge 60 ] && ok "the daemon decided $n distinct flows of the lab devices" || not_ok "enough flows decided" "$n"
[ -z "$bad_off" ] && ok "explain (offline) gives the daemon's action and rule for all $n flows" ||
	not_ok "explain (offline) agrees with the daemon" "${bad_off#; }"
[ -z "$bad_run" ] && ok "explain --running prints the same as explain for all $n flows" ||
	not_ok "explain --running agrees" "${bad_run#; }"
[ -z "$bad_log" ] && ok "a decision-log record exists exactly when explain says log: yes ($n flows)" ||
	not_ok "log records match explain's log:" "${bad_log#; }"
grep -q '"action":"block".*"dst":"198.51.100.10"' "$LOG" && out=$("$GEOEGRESS" explain -c "$POL" \
	--from 198.18.1.10,02:00:5e:00:53:01 --to 198.51.100.10 --proto tcp --port 80) &&
	grep -q '^log:      yes' <<<"$out" && ok "a plain block rule: explain says log: yes, as the daemon logs it" ||
	not_ok "plain block: log: yes" "$out"

# A refused reload: the file on disk says something else now.
cp "$POL" "$T/policy.good"
sed -i 's/^block from @managed to country @forbidden name "no-cn"$/allow from @managed to country @forbidden/' "$POL"
echo "bogus here" >>"$POL"
lab_ge "$P" reload >/dev/null 2>&1 && not_ok "a broken policy is refused" || ok "a broken policy is refused"
sed -i '$d' "$POL"	# the disk's policy is valid again, but not loaded
run=$(lab_ge "$P" explain --from 198.18.1.10,02:00:5e:00:53:01 --to 198.51.100.10 --proto tcp --port 80 --running 2>&1)
off=$("$GEOEGRESS" explain -c "$POL" --from 198.18.1.10,02:00:5e:00:53:01 --to 198.51.100.10 --proto tcp --port 80 2>&1)
grep -q '^action:   block' <<<"$run" && grep -q 'no-cn' <<<"$run" &&
	ok "after the refused reload, explain --running answers with the policy in force (block, no-cn)" ||
	not_ok "explain --running after a refused reload" "$run"
grep -q '^action:   allow' <<<"$off" && ok "... while explain of the file on disk says allow" || not_ok "explain of the disk file" "$off"
[ "$(curl_rc "$P-phone" http://198.51.100.10/)" != 0 ] && ok "and the daemon still blocks it" || not_ok "the daemon still blocks CN"
out=$(lab_ge "$P" explain --from 198.18.1.10 --to 198.51.100.10 --running --ctl "$T/nope.sock" 2>&1)
[ $? = 1 ] && grep -q 'cannot reach the daemon' <<<"$out" && ok "explain --running without a daemon: exit 1, says so" ||
	not_ok "explain --running without a daemon" "$out"
tap_done
