#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd unit and the logrotate file, as installed by `make install`:
#  - `systemd-analyze verify` of the installed unit (ExecStart paths pointed
#    at the DESTDIR binary, MANPATH at the DESTDIR man pages) prints nothing;
#    `systemd-analyze security` gives the exposure README.md states; the
#    unit's SystemCallFilter= admits the daemon's own seccomp allow-list;
#  - the sandbox settings the brief asks for are present;
#  - the daemon works inside the unit's capability bounding set with
#    no_new_privs (setpriv), / read-only but for its run/log directory
#    (ProtectSystem=strict emulated with a mount namespace), in a network
#    namespace of its own: READY=1 on
#    $NOTIFY_SOCKET (Type=notify), ExecReload (`geoegress reload`) gives
#    RELOADING=1 then READY=1, hook installed, SIGTERM gives STOPPING=1,
#    exit 0 and (fail-mode closed) the gateway held closed, which
#    `geoegress unlock` lifts, leaving nothing behind;
#  - ExecStart on a fresh install (no database): exit 1 with a message that
#    names geodb-build, nothing installed (fail-mode open);
#  - logrotate rotates a decision log with the shipped file (paths moved to
#    a temp dir) and `logrotate -d` accepts it.
set -u
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/ge-systemd-XXXXXX)
ns=ge-sd-$$
gepid= lpid=
cleanup() {
	[ -n "$gepid" ] && kill -KILL "$gepid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$TOP" || exit 1

d=$tmp/root
make --no-print-directory -s BUILD="$BUILD" DESTDIR="$d" PREFIX=/usr install >"$tmp/make.out" 2>&1 ||
	not_ok "make install" "$(tail -5 "$tmp/make.out")"
unit=$d/lib/systemd/system/geoegress.service

# --- systemd-analyze verify ---------------------------------------------
mkdir -p "$tmp/verify"
sed "s|/usr/sbin/geoegress|$d/usr/sbin/geoegress|g" "$unit" >"$tmp/verify/geoegress.service"
out=$(MANPATH=$d/usr/share/man systemd-analyze verify "$tmp/verify/geoegress.service" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	ok "systemd-analyze verify: installed unit is clean (incl. man: links)"
else
	not_ok "systemd-analyze verify (rc $rc)" "$out"
fi
# It must really check: a broken copy is refused.
sed 's/^Type=notify/Type=bogus/' "$tmp/verify/geoegress.service" >"$tmp/verify/broken.service"
out=$(MANPATH=$d/usr/share/man systemd-analyze verify "$tmp/verify/broken.service" 2>&1)
case $out in *bogus*) ok "systemd-analyze verify flags a broken copy" ;;
*) not_ok "systemd-analyze verify did not flag Type=bogus" "$out" ;; esac

# systemd-analyze security: the exposure score the README states.
score=$(systemd-analyze security --offline=yes "$tmp/verify/geoegress.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
said=$(grep -o 'exposure [0-9.]*, was [0-9.]* as root' README.md | awk '{print $2}' | tr -d ,)
if [ -n "$score" ] && [ "$score" = "$said" ]; then
	ok "systemd-analyze security: exposure $score, as README.md says"
else
	not_ok "systemd-analyze security exposure '$score', README says '$said'"
fi

want="Type=notify
ExecStart=/usr/sbin/geoegress run -c /etc/geoegress/policy.conf
ExecReload=/usr/sbin/geoegress reload
Restart=always
StartLimitIntervalSec=0
RuntimeDirectory=geoegress
StateDirectory=geoegress
LogsDirectory=geoegress
ReadWritePaths=/var/log/geoegress
User=geoegress
AmbientCapabilities=CAP_NET_ADMIN
CapabilityBoundingSet=CAP_NET_ADMIN
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
RestrictAddressFamilies=AF_UNIX AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service seccomp"
missing=$(printf '%s\n' "$want" | while IFS= read -r l; do grep -qxF "$l" "$unit" || echo "$l"; done)
[ -z "$missing" ] && ok "unit has readiness, reload, restart and sandbox settings" ||
	not_ok "unit lacks settings" "$missing"

# The unit's SystemCallFilter= (the outer fence) lets through every call of
# the daemon's own allow-list (nfq/sandbox.c), which it loads itself.
sc_expand() {	# system calls of NAMEs, @groups expanded (nesting bounded)
	local n depth=${SC_DEPTH:-0}
	for n in "$@"; do
		case $n in
		@*) [ "$depth" -lt 5 ] && SC_DEPTH=$((depth + 1)) sc_expand $(systemd-analyze syscall-filter "$n" 2>/dev/null |
			sed -n 's/^    \([-@a-z0-9_]*\)$/\1/p') ;;
		*) echo "$n" ;;
		esac
	done
}
sc_unit() {	# what a unit file's SystemCallFilter= lines allow, in order
	local line set=""
	while IFS= read -r line; do
		case $line in
		~*) set=$(comm -23 <(printf '%s\n' "$set" | sort -u) <(sc_expand ${line#\~} | sort -u)) ;;
		*) set=$(printf '%s\n' "$set"; sc_expand $line) ;;
		esac
	done < <(sed -n 's/^SystemCallFilter=//p' "$1")
	printf '%s\n' "$set" | grep -v '^$' | sort -u
}
sc_daemon() {	# nfq/sandbox.c's allow-list (not the sanitizer part), and seccomp to load it
	awk '/allowed\[\] = \{/ {on = 1; next} /^#ifdef GEOEGRESS_SANITIZER/ || /^};/ {on = 0} on' nfq/sandbox.c |
		sed 's|/\*.*\*/||' | grep -o '"[a-z0-9_]*"' | tr -d '"'
	printf '%s\n' socket ioctl clone seccomp
}
n=$(sc_daemon | wc -l)
miss=$(comm -23 <(sc_daemon | sort -u) <(sc_unit "$unit"))
[ "$n" -gt 100 ] && [ -z "$miss" ] && ok "the unit's SystemCallFilter= admits all $n calls of the daemon's allow-list" ||
	not_ok "calls of nfq/sandbox.c the unit refuses ($n listed)" "$miss"
sed 's/^SystemCallFilter=@system-service seccomp$/SystemCallFilter=@system-service/' "$unit" >"$tmp/noseccomp.service"
miss=$(comm -23 <(sc_daemon | sort -u) <(sc_unit "$tmp/noseccomp.service"))
[ "$miss" = seccomp ] && ok "... and the check notices a missing call (seccomp)" ||
	not_ok "the filter check did not notice seccomp missing" "$miss"

# ExecStart on a fresh install (no database yet): the start fails with a
# message that says what to do; with the example's fail-mode open nothing is
# left in the ruleset.  (No ExecStartPre=check: in fail-mode closed the daemon
# must run to hold the gateway closed.)
! grep -q '^ExecStartPre=' "$unit" && ok "no ExecStartPre (the daemon itself handles a bad policy)" ||
	not_ok "unit has an ExecStartPre" "$(grep '^ExecStartPre=' "$unit")"
start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|/usr/sbin/geoegress|$d/usr/sbin/geoegress|; s|/etc/geoegress|$d/etc/geoegress|")
sed -i "s|^option database .*|option database \"$tmp/missing.mmdb\"|" "$d/etc/geoegress/policy.conf"
ip netns add "$ns-fresh"
out=$(ip netns exec "$ns-fresh" $start -f --ctl "$tmp/fresh.sock" --state-dir "$tmp/fresh-state" 2>&1); rc=$?
left=$(ip netns exec "$ns-fresh" nft list ruleset 2>&1)
ip netns del "$ns-fresh"
case $rc:$out in 1:*missing.mmdb*geodb-build*) ok "ExecStart fails (exit 1) on a missing database and names geodb-build" ;;
*) not_ok "ExecStart with a missing database: exit $rc" "$out" ;; esac
[ -z "$left" ] && ok "fail-mode open: a failed start leaves no rules" || not_ok "rules left after a failed start" "$left"

# --- the daemon inside the unit's capability set ------------------------
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_//g')
bset=-all$(for c in $caps; do printf ',+%s' "$c"; done)
fix=$BUILD/fixtures
[ -f "$fix/geoip2.mmdb" ] || scripts/geodb-fixture "$fix" >/dev/null 2>&1
cat >"$tmp/policy.conf" <<EOF
option database "$fix/geoip2.mmdb"
option log-file "$tmp/rw/log/decisions.jsonl"
option fail-mode closed
countries forbidden = { CN }
block log to country @forbidden name "test"
default allow
EOF
# A minimal service manager end of $NOTIFY_SOCKET: one line per datagram.
cat >"$tmp/notify.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(1)
end = time.time() + 60
with open(sys.argv[2], "a") as f:
    while time.time() < end:
        try: d = s.recv(4096)
        except socket.timeout: continue
        f.write(d.decode(errors="replace").replace("\n", " ") + "\n"); f.flush()
EOF
python3 "$tmp/notify.py" "$tmp/notify" "$tmp/notify.log" &
lpid=$!
for i in $(seq 1 30); do [ -S "$tmp/notify" ] && break; sleep 0.1; done

wait_for() {	# wait_for PATTERN FILE SECONDS
	local i
	for i in $(seq 1 $(($3 * 10))); do grep -q -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
ruleset() { ip netns exec "$ns" sh -c 'nft list ruleset 2>/dev/null; iptables-save 2>/dev/null; ip6tables-save 2>/dev/null'; }

ip netns add "$ns"
ip -n "$ns" link set lo up
# ProtectSystem=strict, emulated: a private mount namespace where / is
# read-only and only the runtime/log directory ($tmp/rw: RuntimeDirectory,
# LogsDirectory) and the notify socket's directory are writable.
mkdir -p "$tmp/rw/log"
NOTIFY_SOCKET=$tmp/notify W=$tmp/rw unshare -m sh -c 'mount --make-rprivate / &&
	mount --bind "$W" "$W" && mount -o remount,bind,ro / && exec "$@"' sh \
	ip netns exec "$ns" setpriv --bounding-set="$bset" --inh-caps=-all \
	--no-new-privs "$GEOEGRESS" run -c "$tmp/policy.conf" --ctl "$tmp/rw/run/control.sock" \
	--state-dir "$tmp/rw/state" \
	>"$tmp/daemon.log" 2>&1 &
gepid=$!
if wait_for '^READY=1' "$tmp/notify.log" 10; then
	ok "daemon in bounding set '$bset' + no_new_privs sends READY=1 to \$NOTIFY_SOCKET"
else
	not_ok "no READY=1 from the sandboxed daemon" "$(tail -5 "$tmp/daemon.log"; cat "$tmp/notify.log" 2>/dev/null)"
fi
bnd=$(awk '/^CapBnd/ {print $2}' /proc/"$gepid"/status 2>/dev/null)
[ "$bnd" = 0000000000001000 ] && ok "daemon's CapBnd is exactly NET_ADMIN" ||
	not_ok "daemon CapBnd" "${bnd:-no process}"
ruleset >"$tmp/rs1"
grep -qiE 'geoegress' "$tmp/rs1" && ok "hook installed with bounded capabilities" ||
	not_ok "no geoegress hook in the namespace" "$(cat "$tmp/rs1")"
rootopt=$(awk '$5 == "/" {print $6}' /proc/"$gepid"/mountinfo 2>/dev/null)
case $rootopt in ro,* | ro) ok "daemon sees / read-only (ProtectSystem=strict emulated)" ;;
*) not_ok "daemon's / is not read-only" "${rootopt:-no process}" ;; esac
ctl=(--ctl "$tmp/rw/run/control.sock")
out=$("$GEOEGRESS" stats "${ctl[@]}" 2>&1) && ok "geoegress stats answers" || not_ok "stats" "$out"
mode=$(stat -c %a "$tmp/rw/run" 2>/dev/null)
[ "$mode" = 700 ] && ok "control directory created 0700" || not_ok "control directory mode" "$mode"

# ExecReload: geoegress reload, with RELOADING=1 / READY=1 around it.
: >"$tmp/notify.log"
out=$("$GEOEGRESS" reload "${ctl[@]}" 2>&1) && ok "ExecReload command succeeds" || not_ok "reload" "$out"
if wait_for '^READY=1' "$tmp/notify.log" 5 && [ "$(head -1 "$tmp/notify.log")" = RELOADING=1 ]; then
	ok "reload notifies RELOADING=1 then READY=1"
else
	not_ok "reload notifications" "$(cat "$tmp/notify.log")"
fi

# SIGTERM (systemctl stop): STOPPING=1, clean exit, nothing left.
kill -TERM "$gepid"
rc=
for i in $(seq 1 100); do kill -0 "$gepid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$gepid" 2>/dev/null; then
	not_ok "daemon did not stop within 10 s of SIGTERM"
else
	wait "$gepid"; rc=$?
	gepid=
	[ "$rc" = 0 ] && ok "SIGTERM: exit status 0" || not_ok "SIGTERM exit status $rc" "$(tail -5 "$tmp/daemon.log")"
fi
grep -q '^STOPPING=1' "$tmp/notify.log" && ok "STOPPING=1 sent" || not_ok "no STOPPING=1" "$(cat "$tmp/notify.log")"
ruleset >"$tmp/rs2"
grep -q 'table inet geoegress' "$tmp/rs2" && ! grep -qE 'queue|NFQUEUE' "$tmp/rs2" &&
	ok "fail-mode closed: after SIGTERM the gateway is held closed (table, no queue)" ||
	not_ok "held closed after SIGTERM" "$(cat "$tmp/rs2")"
grep -q '^held yes' "$tmp/rw/state/state" && ok "state file says held" ||
	not_ok "state file after SIGTERM" "$(cat "$tmp/rw/state/state" 2>&1)"
out=$(ip netns exec "$ns" "$GEOEGRESS" unlock --ctl "$tmp/rw/run/control.sock" --state-dir "$tmp/rw/state" 2>&1) &&
	ok "geoegress unlock lifts it" || not_ok "unlock" "$out"
ruleset >"$tmp/rs3"
grep -qiE 'geoegress' "$tmp/rs3" && not_ok "hook left after unlock" "$(cat "$tmp/rs3")" ||
	ok "no hook left after unlock"

# --- logrotate ------------------------------------------------------------
lr=$tmp/lr
mkdir -p "$lr/log"
sed -e "s|/var/log/geoegress|$lr/log|" \
	-e "s|systemctl kill .*|echo postrotate >>$lr/post.out|" \
	-e "s|^\([[:space:]]*\)su geoegress geoegress|\1su root root|" \
	-e "s|create 0640 geoegress geoegress|create 0640 root root|" \
	"$d/etc/logrotate.d/geoegress" >"$lr/geoegress.conf"
out=$(logrotate -d -s "$lr/state" "$lr/geoegress.conf" 2>&1)
if [ $? -eq 0 ] && ! printf '%s' "$out" | grep -qi 'error'; then
	ok "logrotate -d accepts the shipped file"
else
	not_ok "logrotate -d" "$out"
fi
echo '{"ts":"2026-11-27T07:30:01.123Z","action":"block","count":1}' >"$lr/log/decisions.jsonl"
logrotate -f -s "$lr/state" "$lr/geoegress.conf" >"$lr/out" 2>&1
if [ -s "$lr/log/decisions.jsonl.1" ] && [ -f "$lr/log/decisions.jsonl" ] &&
	[ ! -s "$lr/log/decisions.jsonl" ] && [ "$(cat "$lr/post.out" 2>/dev/null)" = postrotate ]; then
	ok "logrotate moves the log, creates a new one, runs postrotate once"
else
	not_ok "logrotate rotation" "$(ls -l "$lr/log"; cat "$lr/out")"
fi
# Second rotation: delaycompress compresses the older one.
echo '{"ts":"2026-11-27T07:31:01.123Z","action":"block","count":1}' >>"$lr/log/decisions.jsonl"
logrotate -f -s "$lr/state" "$lr/geoegress.conf" >>"$lr/out" 2>&1
[ -s "$lr/log/decisions.jsonl.2.gz" ] && [ -s "$lr/log/decisions.jsonl.1" ] &&
	ok "delaycompress: .2.gz compressed, .1 plain" || not_ok "compression" "$(ls -l "$lr/log")"
# The unit's postrotate command line is what systemd documents.
grep -q 'systemctl kill --kill-whom=main --signal=SIGUSR1 geoegress.service' "$d/etc/logrotate.d/geoegress" &&
	ok "postrotate sends SIGUSR1 to the main process" || not_ok "postrotate command"

tap_done
