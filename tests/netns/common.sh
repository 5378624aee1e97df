# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared set-up for the netns integration tests (sourced, not run by tests/run).
#   netns_setup NAME     unique prefix P=ge-NAME-$$, temp dir T, fixture DB in
#                        $FIX, lab up with servers, cleanup trap on EXIT
#   check_log DESC SELECT TEST   the last log line matching jq SELECT (waits
#                        <= 3 s for it) must satisfy jq TEST
#   no_log DESC SELECT   no log line matches
#   curl_rc NS URL       curl -m 3: prints the exit code (0 ok, 7 refused, 28 timeout)
#   udp_probe NS ADDR PORT    one datagram, 2 s: prints "reply|timeout|ERRNO-NAME MS"
#                        (MS: send to answer/error, measured inside the client)
#   curl_t NS URL        curl -m 3: prints "EXIT SECONDS" (curl's own time_total)
#   ge_json              `geoegress stats --json` of the lab daemon
#   for_backends FUNC    FUNC BACKEND for each hook backend the kernel allows
#                        (LAB_GE_ARGS=--hook-backend BACKEND), or once as
#                        $LAB_GE_ARGS says; a "# SKIP" line for one it cannot run
#   probe NS [-m S] URL...  curl -m 1 (or S) to each URL at once: prints the exit codes
#   ms_now               monotonic-ish milliseconds (for measured waits)
#   tcp_session_start NS ADDR / tcp_session_state / tcp_session_end
#                        a TCP echo session (port 7) that keeps talking
#   in_gw_as FILE CMD... run CMD in gw as a process whose pid goes to FILE
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$TOP/scripts/lab.sh"

FIX=$BUILD/fixtures

netns_cleanup() {
	local rc=$?
	[ -n "${P:-}" ] && lab_down "$P"
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ "${KEEP:-0}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
	fi
	return $rc
}

netns_setup() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root (network namespaces)"
		exit 0
	fi
	P=ge-$1-$$
	T=$(mktemp -d "/tmp/ge-$1.XXXXXX")
	LOG=$T/decisions.jsonl
	trap netns_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ ! -f "$FIX/asn.mmdb" ]; then	# the newest fixture: older sets lack it
		"$TOP/scripts/geodb-fixture" "$FIX" >/dev/null || { not_ok "fixture databases"; tap_done; exit 1; }
	fi
	if [ ! -x "$GEOEGRESS" ]; then
		not_ok "geoegress binary $GEOEGRESS exists (make BUILD=$BUILD)"
		tap_done; exit 1
	fi
	lab_up "$P" || { not_ok "lab_up"; tap_done; exit 1; }
	lab_servers "$P" || { not_ok "lab_servers"; tap_done; exit 1; }
}

# Starts the daemon or ends the test (nothing else can be checked without it).
netns_start() {
	if lab_run_geoegress "$P" "$@"; then
		ok "daemon ready with $(basename "$1")"
	else
		not_ok "daemon ready with $(basename "$1")" "$(tail -20 "$(lab_dir "$P")/geoegress.log" 2>/dev/null)"
		tap_done; exit 1
	fi
}

# rule_line POLICY TEXT: line number of the first line containing TEXT
rule_line() { grep -nF -- "$2" "$1" | head -1 | cut -d: -f1; }

log_last() {	# log_last SELECT -> last matching line (waits <= 3 s)
	local i line=""
	for i in $(seq 1 30); do
		[ -f "$LOG" ] && line=$(jq -c "select($1)" "$LOG" 2>/dev/null | tail -1)
		[ -n "$line" ] && break
		sleep 0.1
	done
	printf '%s' "$line"
}

check_log() {
	local line
	line=$(log_last "$2")
	if [ -z "$line" ]; then
		not_ok "$1" "no log line with $2 in $LOG: $(tail -3 "$LOG" 2>/dev/null)"
	elif printf '%s' "$line" | jq -e "$3" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1" "log line fails $3: $line"
	fi
}

no_log() {
	local n
	sleep 0.3
	n=$(jq -c "select($2)" "$LOG" 2>/dev/null | wc -l)
	if [ "$n" -eq 0 ]; then ok "$1"; else not_ok "$1" "$n lines match $2"; fi
}

curl_rc() {
	local ns=$1 url=$2
	lab_in "$ns" curl -s -o /dev/null -m 3 "$url" >/dev/null 2>&1
	echo $?
}

udp_probe() {
	lab_in "$1" "$LAB_PYTHON" - "$2" "$3" <<'EOF'
import errno, socket, sys, time
a, p = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
t = time.monotonic()
try:
    s.connect((a, p)); s.send(b"probe\n")
    r = "reply" if s.recv(100) == b"probe\n" else "garbled"
except socket.timeout:
    r = "timeout"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno))
print(r, int((time.monotonic() - t) * 1000))
EOF
}

curl_t() {
	local out
	out=$(lab_in "$1" curl -s -o /dev/null -m 3 -w '%{time_total}' "$2" 2>/dev/null)
	echo "$? ${out:-0}"
}

ge_json() { lab_ge "$P" stats --json 2>/dev/null; }

# ruleset_snap: gw's nft ruleset, iptables-save and ip6tables-save without
# counters, comments or blank lines, sorted (the order nft lists chains in
# depends on their creation order; a duplicate rule still shows as a line).
ruleset_snap() {
	{
		echo "## nft"
		lab_in "$P-gw" nft list ruleset 2>&1 | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/; s/^([[:space:]]*)packets [0-9]+ bytes [0-9]+/\1packets bytes/'
		echo "## iptables"
		lab_in "$P-gw" iptables-save 2>&1 | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
		echo "## ip6tables"
		lab_in "$P-gw" ip6tables-save 2>&1 | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
	} | grep -v '^[[:space:]]*$' | LC_ALL=C sort
}

# ct_undecided NS ERE: how many of NS's conntrack entries whose line matches
# ERE carry no decision (mark bits 0x00e00000: 1 allow, 2 block, 3 reject;
# nfq/nfq_int.h NFQ_MARK_*); "error" when conntrack cannot be listed.
ct_undecided() {
	local l
	l=$(lab_in "$1" conntrack -L 2>/dev/null) || { echo error; return; }
	printf '%s\n' "$l" | CT_RE=$2 awk '$0 ~ ENVIRON["CT_RE"] {
		m = 0; if (match($0, /mark=[0-9]+/)) m = substr($0, RSTART + 5, RLENGTH - 5) + 0
		d = int(m / 2097152) % 8; if (d < 1 || d > 3) n++ } END { print n + 0 }'
}

# admin_rules: a ruleset an admin already has in gw, which geoegress must
# leave exactly as it found it.
admin_rules() {
	lab_in "$P-gw" iptables -A INPUT -s 198.18.9.9/32 -j ACCEPT &&
	lab_in "$P-gw" ip6tables -A INPUT -s 2001:db8:9::9/128 -j ACCEPT &&
	lab_in "$P-gw" iptables -A FORWARD -s 198.18.9.9/32 -j ACCEPT &&
	lab_in "$P-gw" ip6tables -A FORWARD -s 2001:db8:9::9/128 -j ACCEPT &&
	lab_in "$P-gw" nft add table inet admin &&
	lab_in "$P-gw" nft add chain inet admin keep
}

# nfqueue_rules: number of rules sending packets to a queue (iptables,
# ip6tables, and native nft "queue" statements in our own table)
nfqueue_rules() {
	local a b c
	a=$(lab_in "$P-gw" iptables-save 2>/dev/null | grep -c -- '-j NFQUEUE')
	b=$(lab_in "$P-gw" ip6tables-save 2>/dev/null | grep -c -- '-j NFQUEUE')
	# native nft queue rules: in our own table (iptables-nft's rules list as
	# "queue num" too, in its ip/ip6 tables)
	c=$(lab_in "$P-gw" nft list ruleset 2>/dev/null | awk '/^table/ { t = $2 " " $3 }
		/[[:space:]]queue (num|to|flags)/ && t == "inet geoegress" { n++ } END { print n + 0 }')
	echo "$a $b $c"
}

# queue_col N: column N of queue 0's line in gw's /proc/net/netfilter/nfnetlink_queue
# (3 queue_total, 6 queue_dropped, 7 user_dropped, 8 id_sequence); 0 if absent
queue_col() {
	lab_in "$P-gw" awk -v c="$1" '$1 == 0 { v = $c } END { print v + 0 }' /proc/net/netfilter/nfnetlink_queue
}

# wan_counter_setup: counts packets arriving in wan for udp dport 7777..7799
# and TCP/ICMP to the servers (nft counters in wan, a namespace of ours).
wan_counter_setup() {
	lab_in "$P-wan" nft -f - <<'EOF'
table inet labcount {
	counter udp7777 { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		udp dport 7777-7799 counter name udp7777
	}
}
EOF
}
wan_udp_count() {
	lab_in "$P-wan" nft list counter inet labcount udp7777 | awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
flowgen() {	# flowgen NS ARGS... (prints flowgen's line)
	local ns=$1; shift
	lab_in "$ns" "$BUILD/tests/bench/flowgen" "$@"
}

# ---- hook backends ----

# nft_queue_ok: gw's kernel has nft's `queue` expression (tried in a scratch
# table of our own, deleted again).
nft_queue_ok() {
	local t=geprobe$$ rc
	lab_in "$P-gw" nft -f - >/dev/null 2>&1 <<EOF
table inet $t {
	chain c {
		meta l4proto 253 queue num 65535 bypass
	}
}
EOF
	rc=$?
	lab_in "$P-gw" nft "add table inet $t; delete table inet $t" >/dev/null 2>&1
	return $rc
}

# backend_of_args ARGS: the backend `run ARGS` uses (auto: nft when the
# kernel has its queue expression).
backend_of_args() {
	local b=auto
	case " $* " in
	*" --hook-backend nft "* | *" --hook-backend=nft "*) b=nft ;;
	*" --hook-backend iptables "* | *" --hook-backend=iptables "*) b=iptables ;;
	esac
	if [ $b = auto ]; then
		if nft_queue_ok; then b=nft; else b=iptables; fi
	fi
	echo "$b"
}

# for_backends FUNC: FUNC BACKEND with every daemon on that backend.  With
# $LAB_GE_ARGS set (a harness chose), once with it as given; otherwise once
# per backend the kernel can run, and a "# SKIP" note (not a pass) for the
# other.
for_backends() {
	local fn=$1 b saved
	if [ -n "${LAB_GE_ARGS:-}" ]; then
		"$fn" "$(backend_of_args "$LAB_GE_ARGS")"
		return
	fi
	saved=${LAB_GE_ARGS-}
	for b in nft iptables; do
		if [ $b = nft ] && ! nft_queue_ok; then
			echo "# SKIP nft backend: this kernel has no nft queue expression (CONFIG_NFT_QUEUE); its scenarios run under a stock kernel (tests/kernel)"
			continue
		fi
		LAB_GE_ARGS="--hook-backend $b"
		"$fn" "$b"
	done
	LAB_GE_ARGS=$saved
}

# ---- probes ----

# probe NS [-m S] URL... [-m S URL...]: one curl per URL, all at once;
# prints their exit codes in order (0 answered, 7 refused/reset, 28 timed
# out).  -m: the timeout for the URLs after it (default 1 s; give those
# expected to answer more, for a slow VM: it costs nothing when they do).
probe() {
	local ns=$1 u m=1 n=0 i pids=() out=()
	shift
	for u in "$@"; do
		if [ "$u" = -m ]; then m=next; continue; fi
		if [ "$m" = next ]; then m=$u; continue; fi
		{ lab_in "$ns" curl -s -o /dev/null -m "$m" "$u" >/dev/null 2>&1; echo $? >"$T/probe.$n"; } &
		pids+=($!)
		n=$((n + 1))
	done
	wait "${pids[@]}" 2>/dev/null
	for i in $(seq 0 $((n - 1))); do out+=("$(cat "$T/probe.$i" 2>/dev/null)"); rm -f "$T/probe.$i"; done
	echo "${out[*]}"
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# in_gw_as PIDFILE CMD...: runs CMD in gw as the process whose pid is
# written to PIDFILE first (sh execs it), so a log line naming "cmd[pid]"
# can be checked.  stdin is passed on.
in_gw_as() {
	local f=$1; shift
	lab_in "$P-gw" sh -c 'echo $$ >"$0"; exec "$@"' "$f" "$@"
}

# ---- a long-lived TCP session ----

# tcp_session_start NS ADDR: connects to ADDR port 7 (the lab's echo) from
# NS and sends a numbered line every 0.1 s, each echo awaited <= 2 s, until
# $T/session.stop exists (<= 120 s).  $T/session.state: "ok N" after N
# echoes, "fail N why" when one failed.  SESSION_PID.
tcp_session_start() {
	rm -f "$T/session.stop" "$T/session.state"
	ip netns exec "$1" "$LAB_PYTHON" - "$2" "$T/session.stop" "$T/session.state" <<'EOF' &
import os, socket, sys, time
addr, stop, state = sys.argv[1], sys.argv[2], sys.argv[3]
def put(s):
    with open(state + ".tmp", "w") as f:
        f.write(s + "\n")
    os.replace(state + ".tmp", state)
n = 0
try:
    s = socket.create_connection((addr, 7), timeout=2)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        msg = b"%d\n" % n
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = s.recv(100)
            if not d:
                raise OSError("closed by the peer")
            got += d
        if got != msg:
            raise OSError("garbled echo")
        n += 1
        put("ok %d" % n)
        if os.path.exists(stop):
            break
        time.sleep(0.1)
except OSError as e:
    put("fail %d %s" % (n, e))
    sys.exit(1)
EOF
	SESSION_PID=$!
	local i
	for i in $(seq 1 30); do
		[ -f "$T/session.state" ] && break
		sleep 0.1
	done
}
tcp_session_state() { cat "$T/session.state" 2>/dev/null || echo "none 0"; }
# tcp_session_count: echoes so far (0 on failure)
tcp_session_count() { local s n; read -r s n _ <<<"$(tcp_session_state)"; [ "$s" = ok ] && echo "$n" || echo 0; }
# tcp_session_wait_more N: waits (<= 3 s) until more than N echoes came back
tcp_session_wait_more() {
	local i
	for i in $(seq 1 30); do
		[ "$(tcp_session_count)" -gt "$1" ] && return 0
		case $(tcp_session_state) in fail*) return 1 ;; esac
		sleep 0.1
	done
	return 1
}
# tcp_session_end: stops it (<= 3 s), prints its last state
tcp_session_end() {
	local i
	touch "$T/session.stop"
	for i in $(seq 1 30); do kill -0 "$SESSION_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$SESSION_PID" 2>/dev/null
	wait "$SESSION_PID" 2>/dev/null
	SESSION_PID=
	tcp_session_state
}
