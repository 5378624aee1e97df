# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The geoegress network-namespace lab (sourced library, bash).
#
#   . scripts/lab.sh
#   lab_up PREFIX                 build the lab (removes leftovers of PREFIX first)
#   lab_servers PREFIX            start HTTP :80, TCP+UDP echo :7, DNS :53 in PREFIX-wan
#   lab_run_geoegress PREFIX POLICY [ARGS...]
#                                 start `$LAB_GE_WRAP geoegress run -f -c POLICY --ctl CTL
#                                 --state-dir DIR $LAB_GE_ARGS ARGS` in
#                                 PREFIX-gw in the background; wait (<= LAB_READY_TIMEOUT s,
#                                 default 10) until `geoegress stats` answers.  Sets
#                                 LAB_GE_PID; output goes to $(lab_dir PREFIX)/geoegress.log.
#                                 Returns 1 (and prints the log tail) if it never got ready.
#   lab_stop_geoegress PREFIX [SIGNAL]
#                                 send SIGNAL (default TERM) and wait <= 10 s for exit;
#                                 sets LAB_GE_RC (exit status, 128+n for a signal; valid when
#                                 called from the shell that started it); returns 1
#                                 (after SIGKILL) when it did not stop in time.
#   lab_kill_geoegress PREFIX     SIGKILL and reap (a crash, for fail-mode tests)
#   lab_ge PREFIX SUBCOMMAND [ARGS...]
#                                 run `geoegress stats|reload ...` with the lab's --ctl
#   lab_unlock PREFIX             `geoegress unlock` in PREFIX-gw with the lab's --ctl and
#                                 --state-dir (lifts a held-closed gateway)
#   lab_in NS CMD...              run CMD inside namespace NS (e.g. "$P-phone")
#   lab_gw_resolver PREFIX        start a resolver on the gateway (dnsmasq in PREFIX-gw on
#                                 198.18.1.1 and 2001:db8:1::1, forwarding to wan's at
#                                 203.0.113.10); queries logged to $(lab_dir)/gw-dnsmasq.log
#   lab_resolver NS ADDR          the resolver NS's programs use (curl, getent, dig without
#                                 @): /etc/netns/NS/resolv.conf, which `ip netns exec`
#                                 mounts; lab_down removes it
#   lab_down PREFIX               kill every process the lab started and every process
#                                 left in its namespaces, delete the namespaces and state
#   lab_dir PREFIX                print the lab's state directory (pidfiles, logs, ctl)
#
# Topology (only documentation/benchmark ranges, all inside the namespaces):
#   PREFIX-phone  eth0 02:00:5e:00:53:01 198.18.1.10/24  2001:db8:1::10/64
#   PREFIX-laptop eth0 02:00:5e:00:53:02 198.18.1.20/24  2001:db8:1::20/64
#   PREFIX-guest  eth0 02:00:5e:00:53:03 198.18.1.130/24 2001:db8:1::130/64
#        each a veth into PREFIX-gw, enslaved to bridge lan0 (198.18.1.1/24, 2001:db8:1::1/64)
#   PREFIX-gw  wan0 198.18.0.1/24 2001:db8:fe::1/64  <->  PREFIX-wan eth0 198.18.0.2/24
#        2001:db8:fe::2/64; forwarding on in gw; default routes: devices via gw, gw via wan;
#        wan routes 198.18.1.0/24 and 2001:db8:1::/64 back via gw.
#   PREFIX-wan servers on lo: 198.51.100.10 (CN) 203.0.113.10 (SG) 203.0.113.200 (SG/reg CN)
#        192.0.2.10 (IN) 198.19.0.10 (unmapped) 2001:db8:86::10 (CN) 2001:db8:65::10 (SG)
#        2001:db8:91::10 (IN) 2001:db8:ff::10 (unmapped).
#   DNS (dnsmasq, every server address): cn.example.test -> 198.51.100.10 / 2001:db8:86::10,
#        sg.example.test, example.test -> 203.0.113.10 / 2001:db8:65::10,
#        in.example.test -> 192.0.2.10 / 2001:db8:91::10; queries logged to $(lab_dir)/dnsmasq.log.
#        A vendor hosted in SG, with CNAMEs and short TTLs: sg1.vendorcdn.test A 203.0.113.10,
#        AAAA 2001:db8:65::10 (TTL 30); app.vendor.test CNAME sg1.vendorcdn.test (30);
#        short.vendor.test A 203.0.113.200, TTL 2; cn1.vendorcdn.test 198.51.100.10 /
#        2001:db8:86::10 (30), api.vendor.test CNAME cn1.vendorcdn.test (30)
#
# Every wait is bounded.  Needs root, iproute2, python3 ($LAB_PYTHON), dnsmasq.

LAB_TOP=${LAB_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LAB_STATE=${LAB_STATE:-/tmp}
LAB_READY_TIMEOUT=${LAB_READY_TIMEOUT:-10}
# The interpreter itself, not a version manager's shim (pyenv's costs 4 s
# a start in the stock-kernel VM): resolved once.
LAB_PYTHON=${LAB_PYTHON:-$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)}
LAB_DEVICES="phone laptop guest"
LAB_SERVERS4="198.51.100.10 203.0.113.10 203.0.113.200 192.0.2.10 198.19.0.10"
LAB_SERVERS6="2001:db8:86::10 2001:db8:65::10 2001:db8:91::10 2001:db8:ff::10"

lab_dir() { echo "$LAB_STATE/geoegress-lab-$1"; }

lab_in() {
	local ns=$1; shift
	ip netns exec "$ns" "$@"
}

_lab_geoegress() {
	local b=${GEOEGRESS:-}
	if [ -z "$b" ]; then
		b=${BUILD:-build}
		case $b in /*) ;; *) b=$LAB_TOP/$b ;; esac
		b=$b/geoegress
	fi
	echo "$b"
}

# _lab_dev NAME -> "MAC IPv4 IPv6"
_lab_dev() {
	case $1 in
	phone) echo "02:00:5e:00:53:01 198.18.1.10 2001:db8:1::10" ;;
	laptop) echo "02:00:5e:00:53:02 198.18.1.20 2001:db8:1::20" ;;
	guest) echo "02:00:5e:00:53:03 198.18.1.130 2001:db8:1::130" ;;
	*) return 1 ;;
	esac
}

_lab_ns_init() {	# fresh namespace: lo up, no DAD, quiet sysctls
	local ns=$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	lab_in "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
}

_lab_kill_pidfiles() {
	local d=$1 f pid i
	for f in "$d"/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		case $pid in '' | *[!0-9]*) rm -f "$f"; continue ;; esac
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

lab_down() {
	local p=$1 d ns pids i
	d=$(lab_dir "$p")
	[ -d "$d" ] && _lab_kill_pidfiles "$d"
	for ns in "$p-gw" "$p-wan" "$p-phone" "$p-laptop" "$p-guest" "$p-bench"; do
		rm -rf "/etc/netns/$ns"		# lab_resolver's
		[ -e "/run/netns/$ns" ] || continue
		# Only processes inside our own namespaces: they are ours.
		for i in 1 2 3; do
			pids=$(ip netns pids "$ns" 2>/dev/null) || pids=""
			[ -z "$pids" ] && break
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			sleep 0.3
		done
		pids=$(ip netns pids "$ns" 2>/dev/null) || pids=""
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	# /etc/netns itself when a lab_resolver of ours made it (and it is empty)
	[ -f "$d/etc-netns-made" ] && rmdir /etc/netns 2>/dev/null
	rm -rf "$d"
	return 0
}

_lab_device() {	# _lab_device PREFIX NAME: namespace, veth into gw's bridge, addresses
	local p=$1 n=$2 ns mac a4 a6 port
	ns=$p-$n
	read -r mac a4 a6 <<<"$(_lab_dev "$n")"
	port=v$n
	_lab_ns_init "$ns" || return 1
	ip -n "$ns" link add eth0 type veth peer name "$port" netns "$p-gw" || return 1
	ip -n "$ns" link set eth0 address "$mac" up
	ip -n "$ns" addr add "$a4/24" dev eth0
	ip -n "$ns" addr add "$a6/64" dev eth0 nodad
	ip -n "$ns" route add default via 198.18.1.1
	ip -n "$ns" -6 route add default via 2001:db8:1::1
	ip -n "$p-gw" link set "$port" master lan0 up
}

lab_up() {
	local p=$1 gw wan n a
	[ -n "$p" ] || { echo "lab_up: PREFIX missing" >&2; return 1; }
	lab_down "$p"
	mkdir -p "$(lab_dir "$p")" || return 1
	gw=$p-gw wan=$p-wan
	_lab_ns_init "$gw" || return 1
	_lab_ns_init "$wan" || return 1
	lab_in "$gw" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	# The LAN bridge without br_netfilter, as on a stock Debian gateway (the
	# module is not loaded there; on hosts where it is, e.g. with docker,
	# the devices' own multicast chatter would cross the forward hook).
	lab_in "$gw" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 >/dev/null 2>&1 || true
	ip -n "$gw" link add lan0 type bridge
	ip -n "$gw" link set lan0 up
	ip -n "$gw" addr add 198.18.1.1/24 dev lan0
	ip -n "$gw" addr add 2001:db8:1::1/64 dev lan0 nodad
	ip -n "$gw" link add wan0 type veth peer name eth0 netns "$wan" || return 1
	ip -n "$gw" link set wan0 up
	ip -n "$gw" addr add 198.18.0.1/24 dev wan0
	ip -n "$gw" addr add 2001:db8:fe::1/64 dev wan0 nodad
	ip -n "$gw" route add default via 198.18.0.2
	ip -n "$gw" -6 route add default via 2001:db8:fe::2
	ip -n "$wan" link set eth0 up
	ip -n "$wan" addr add 198.18.0.2/24 dev eth0
	ip -n "$wan" addr add 2001:db8:fe::2/64 dev eth0 nodad
	ip -n "$wan" route add 198.18.1.0/24 via 198.18.0.1
	ip -n "$wan" -6 route add 2001:db8:1::/64 via 2001:db8:fe::1
	for a in $LAB_SERVERS4; do ip -n "$wan" addr add "$a/32" dev lo; done
	for a in $LAB_SERVERS6; do ip -n "$wan" addr add "$a/128" dev lo nodad; done
	for n in $LAB_DEVICES; do _lab_device "$p" "$n" || return 1; done
	_lab_wait_links "$p"
}

_lab_wait_links() {	# bridge ports forward after STP-less setup; ping gw (bounded)
	local p=$1 n i
	for n in $LAB_DEVICES; do
		for i in $(seq 1 30); do
			lab_in "$p-$n" ping -c1 -W1 -q 198.18.1.1 >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	for i in $(seq 1 30); do
		lab_in "$p-gw" ping -c1 -W1 -q 198.18.0.2 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "lab_up: gw cannot reach wan" >&2
	return 1
}

# The servers: one python process for TCP echo, UDP echo (one socket per
# address, so replies come from the address that was asked) and HTTP.
_lab_srv_py() {
	cat <<'EOF'
import os, select, socket, sys, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
addrs = sys.argv[1].split()
root = sys.argv[2]
class H(SimpleHTTPRequestHandler):
    def __init__(s, *a, **k): super().__init__(*a, directory=root, **k)
    def log_message(s, *a): pass
class S6(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    request_queue_size = 256
    daemon_threads = True
    def server_bind(s):
        s.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
def tcp_echo(c):
    try:
        c.settimeout(120)
        while True:
            d = c.recv(4096)
            if not d: break
            c.sendall(d)
    except OSError: pass
    finally: c.close()
def tcp_accept(l):
    while True:
        c, _ = l.accept()
        threading.Thread(target=tcp_echo, args=(c,), daemon=True).start()
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("::", 7)); l.listen(128)
threading.Thread(target=tcp_accept, args=(l,), daemon=True).start()
us = []
for a in addrs:
    f = socket.AF_INET6 if ":" in a else socket.AF_INET
    u = socket.socket(f, socket.SOCK_DGRAM); u.bind((a, 7)); us.append(u)
def udp_loop():
    while True:
        r, _, _ = select.select(us, [], [])
        for u in r:
            d, peer = u.recvfrom(65535)
            u.sendto(d, peer)
threading.Thread(target=udp_loop, daemon=True).start()
httpd = S6(("::", 80), H)
print("ready", flush=True)
httpd.serve_forever()
EOF
}

lab_servers() {
	local p=$1 d wan a la="" i
	d=$(lab_dir "$p") wan=$p-wan
	mkdir -p "$d/www"
	echo "geoegress lab $p" >"$d/www/index.html"
	_lab_srv_py >"$d/srv.py"
	# ip netns exec directly (not lab_in): $! must be the server's own pid
	ip netns exec "$wan" "$LAB_PYTHON" "$d/srv.py" "$LAB_SERVERS4 $LAB_SERVERS6" "$d/www" >"$d/srv.log" 2>&1 &
	echo $! >"$d/srv.pid"
	for a in $LAB_SERVERS4 $LAB_SERVERS6; do la="$la --listen-address=$a"; done
	# shellcheck disable=SC2086
	ip netns exec "$wan" dnsmasq -k --no-resolv --no-hosts --bind-interfaces --except-interface=eth0 \
		$la --port=53 --user=root --group=root --pid-file="$d/dnsmasq.fork.pid" \
		--log-queries --log-facility="$d/dnsmasq.log" \
		--address=/cn.example.test/198.51.100.10 --address=/cn.example.test/2001:db8:86::10 \
		--address=/sg.example.test/203.0.113.10 --address=/sg.example.test/2001:db8:65::10 \
		--address=/example.test/203.0.113.10 --address=/example.test/2001:db8:65::10 \
		--address=/in.example.test/192.0.2.10 --address=/in.example.test/2001:db8:91::10 \
		--host-record=sg1.vendorcdn.test,203.0.113.10,2001:db8:65::10,30 \
		--cname=app.vendor.test,sg1.vendorcdn.test,30 \
		--host-record=short.vendor.test,203.0.113.200,2 \
		--host-record=cn1.vendorcdn.test,198.51.100.10,2001:db8:86::10,30 \
		--cname=api.vendor.test,cn1.vendorcdn.test,30 \
		>"$d/dnsmasq.out" 2>&1 &
	echo $! >"$d/dnsmasq.pid"
	for i in $(seq 1 50); do
		if grep -q ready "$d/srv.log" 2>/dev/null &&
			lab_in "$wan" dig +time=1 +tries=1 +short @203.0.113.10 sg.example.test 2>/dev/null |
			grep -q 203.0.113.10; then
			return 0
		fi
		sleep 0.1
	done
	echo "lab_servers: servers did not come up: $(tail -3 "$d/srv.log" "$d/dnsmasq.out" 2>/dev/null)" >&2
	return 1
}

lab_gw_resolver() {
	local p=$1 d i
	d=$(lab_dir "$p")
	ip netns exec "$p-gw" dnsmasq -k --no-resolv --no-hosts --bind-interfaces \
		--listen-address=198.18.1.1 --listen-address=2001:db8:1::1 --port=53 \
		--server=203.0.113.10 --user=root --group=root --pid-file="$d/gw-dnsmasq.fork.pid" \
		--log-queries --log-facility="$d/gw-dnsmasq.log" >"$d/gw-dnsmasq.out" 2>&1 &
	echo $! >"$d/gw-dnsmasq.pid"
	for i in $(seq 1 50); do
		lab_in "$p-gw" dig +time=1 +tries=1 +short @198.18.1.1 sg.example.test 2>/dev/null |
			grep -q 203.0.113.10 && return 0
		sleep 0.1
	done
	echo "lab_gw_resolver: no answer from the gateway's resolver: $(tail -3 "$d/gw-dnsmasq.out")" >&2
	return 1
}

lab_resolver() {
	local d
	d=$(lab_dir "${1%-*}")
	[ -d /etc/netns ] || { mkdir /etc/netns && touch "$d/etc-netns-made"; }
	mkdir -p "/etc/netns/$1" && printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$2" >"/etc/netns/$1/resolv.conf"
}

lab_ge() {
	local p=$1 sub=$2; shift 2
	"$(_lab_geoegress)" "$sub" --ctl "$(lab_dir "$p")/ctl" "$@"
}

lab_unlock() {
	local d
	d=$(lab_dir "$1")
	ip netns exec "$1-gw" "$(_lab_geoegress)" unlock --ctl "$d/ctl" --state-dir "$d"
}

lab_run_geoegress() {
	local p=$1 policy=$2 d i; shift 2
	d=$(lab_dir "$p")
	mkdir -p "$d"
	rm -f "$d/ctl"
	# shellcheck disable=SC2086  # LAB_GE_ARGS: extra run options for a whole suite (e.g. --hook-backend iptables);
	# LAB_GE_WRAP: a command that execs the daemon (e.g. setpriv, as a service manager would)
	ip netns exec "$p-gw" ${LAB_GE_WRAP:-} "$(_lab_geoegress)" run -f -c "$policy" --ctl "$d/ctl" --state-dir "$d" ${LAB_GE_ARGS:-} "$@" \
		>>"$d/geoegress.log" 2>&1 &
	LAB_GE_PID=$!
	echo "$LAB_GE_PID" >"$d/geoegress.pid"
	for i in $(seq 1 $((LAB_READY_TIMEOUT * 10))); do
		if ! kill -0 "$LAB_GE_PID" 2>/dev/null; then
			LAB_GE_RC=0; wait "$LAB_GE_PID" 2>/dev/null || LAB_GE_RC=$?
			echo "lab_run_geoegress: geoegress exited ($LAB_GE_RC): $(tail -5 "$d/geoegress.log")" >&2
			rm -f "$d/geoegress.pid"
			return 1
		fi
		lab_ge "$p" stats >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "lab_run_geoegress: not ready after ${LAB_READY_TIMEOUT}s: $(tail -5 "$d/geoegress.log")" >&2
	return 1
}

lab_stop_geoegress() {
	local p=$1 sig=${2:-TERM} d pid i
	d=$(lab_dir "$p")
	pid=$(cat "$d/geoegress.pid" 2>/dev/null) || return 0
	LAB_GE_RC=
	kill "-$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		LAB_GE_RC=0; wait "$pid" 2>/dev/null || LAB_GE_RC=$?
		rm -f "$d/geoegress.pid"
		return 1
	fi
	LAB_GE_RC=0; wait "$pid" 2>/dev/null || LAB_GE_RC=$?
	rm -f "$d/geoegress.pid"
	return 0
}

lab_kill_geoegress() { lab_stop_geoegress "$1" KILL; }
