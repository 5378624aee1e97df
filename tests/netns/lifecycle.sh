# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The daemon's whole life as a service user, as the shipped unit runs it
# (sourced by tests/netns/t_service_user.sh for the build's binary and by
# tests/deb/t_deb.sh for the installed package's; not run by tests/run).
#
#   life_wrap USER     the unit's User=, AmbientCapabilities=CAP_NET_ADMIN,
#                      CapabilityBoundingSet=CAP_NET_ADMIN, NoNewPrivileges=yes
#                      as a setpriv command line (no systemd as PID 1 here)
#   life_cycle USER    after netns_setup (P, T, LOG): start (READY), credentials
#                      and the seccomp filter in every thread, hook, decide
#                      (with the metrics file and a remote syslog target),
#                      reload as USER (ExecReload), log rotation (LIFE_ROTATE:
#                      a command that rotates $LOG and signals $LIFE_PID, default
#                      mv + SIGUSR1), hook repair after `nft flush ruleset`,
#                      stop (SIGTERM: held closed, then unlock leaves nothing).
#                      Uses $GEOEGRESS.

life_wrap() {
	local g
	g=$(id -gn "$1") || return 1
	echo "setpriv --reuid=$1 --regid=$g --clear-groups --inh-caps=-all,+net_admin" \
		"--ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin --no-new-privs"
}

_life_ruleset() {
	lab_in "$P-gw" sh -c 'nft list ruleset 2>/dev/null; iptables-save 2>/dev/null; ip6tables-save 2>/dev/null'
}

_life_wait() {	# _life_wait SECONDS COMMAND...: until COMMAND succeeds
	local i n=$(($1 * 10)); shift
	for i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}

_life_start() {	# the directories the unit's *Directory= settings give USER; the policy
	local u=$1 d
	d=$(lab_dir "$P")
	chmod 0755 "$T"
	LOG=$T/log/decisions.jsonl
	mkdir -p "$T/log" "$T/prom"
	chown "$u:" "$T/log" "$d" "$T/prom"
	cp "$FIX/geoip2.mmdb" "$T/geo.mmdb"
	chmod 0644 "$T/geo.mmdb"
	cat >"$T/policy.conf" <<EOF
option database "$T/geo.mmdb"
option log-file "$LOG"
option fail-mode closed
option metrics-file "$T/prom/geoegress.prom" every 1s
option log-syslog udp://198.18.0.2:5514
countries forbidden = { CN }
reject log to country @forbidden name "forbidden"
default allow log
EOF
	chmod 0644 "$T/policy.conf"
	LAB_GE_WRAP=$(life_wrap "$u") netns_start "$T/policy.conf"
	LIFE_PID=$LAB_GE_PID
}

_life_creds() {	# /proc/PID/status as the unit's settings make it
	local u=$1 pid=$LIFE_PID uid st t bad=""
	uid=$(id -u "$u")
	st=$(cat "/proc/$pid/status" 2>/dev/null)
	[ "$(printf '%s\n' "$st" | awk '/^Uid:/ {print $2 $3 $4 $5}')" = "$uid$uid$uid$uid" ] ||
		bad="$bad uid"
	for c in CapPrm CapEff CapBnd CapAmb; do
		printf '%s\n' "$st" | grep -qx "$c:	0000000000001000" || bad="$bad $c"
	done
	printf '%s\n' "$st" | grep -qx 'NoNewPrivs:	1' || bad="$bad no_new_privs"
	[ -z "$bad" ] && ok "runs as $u (uid $uid), only CAP_NET_ADMIN (permitted, effective, ambient, bounding), no_new_privs" ||
		not_ok "daemon credentials:$bad" "$(printf '%s\n' "$st" | grep -E '^(Uid|Cap|NoNew)')"
	bad=""
	for t in /proc/"$pid"/task/*/status; do
		grep -qx 'Seccomp:	2' "$t" || bad="$bad ${t%/status}"
	done
	[ -z "$bad" ] && ok "seccomp filter in every thread ($(ls /proc/"$pid"/task | wc -l) threads)" ||
		not_ok "threads without the seccomp filter:$bad"
}

_life_decide() {
	local cn sg
	grep -q geoegress <(_life_ruleset) && ok "hook installed by $1" || not_ok "no hook" "$(_life_ruleset)"
	cn=$(curl_rc "$P-phone" http://198.51.100.10/)
	sg=$(curl_rc "$P-phone" http://203.0.113.10/)
	[ "$cn:$sg" = 7:0 ] && ok "decides: CN rejected, SG allowed" || not_ok "decisions: CN curl $cn, SG curl $sg"
	check_log "CN logged as rejected" '.dst == "198.51.100.10"' '.action == "reject" and .country == "CN"'
	_life_outputs "$1"
}

# The metrics file (fchmod, rename) and a UDP syslog target (an AF_INET
# socket; nothing listens, so ICMP refusals come back) as USER, filtered.
_life_outputs() {
	local u=$1 mf=$T/prom/geoegress.prom out
	_life_wait 5 test -s "$mf"
	[ "$(stat -c '%U %a' "$mf" 2>/dev/null)" = "$u 644" ] &&
		ok "metrics file written by $u, mode 0644" || not_ok "metrics file" "$(ls -l "$T/prom" 2>&1)"
	if command -v promtool >/dev/null; then
		out=$(promtool check metrics <"$mf" 2>&1) && ok "promtool accepts the metrics file" ||
			not_ok "promtool check metrics" "$out"
	fi
	lab_ge "$P" stats --json 2>/dev/null | jq -e '.log.syslog.target == "udp://198.18.0.2:5514" and
		.log.syslog.sent + .log.syslog.dropped >= 1' >/dev/null &&
		ok "records went to the UDP syslog target" ||
		not_ok "syslog target" "$(lab_ge "$P" stats --json 2>&1 | jq -c .log)"
}

_life_reload() {
	local u=$1 out sg
	sed -i 's/{ CN }/{ CN, SG }/' "$T/policy.conf"
	# ExecReload runs as the unit's user too.
	if out=$($(life_wrap "$u") "$GEOEGRESS" reload --ctl "$(lab_dir "$P")/ctl" 2>&1); then
		ok "reload as $u: $out"
	else
		not_ok "reload as $u" "$out"
	fi
	sg=$(curl_rc "$P-phone" http://203.0.113.10/)
	[ "$sg" = 7 ] && ok "after the reload SG is rejected" || not_ok "SG after reload: curl $sg"
}

_life_rotate() {
	local u=$1 glog in
	glog=$(lab_dir "$P")/geoegress.log
	if [ -n "${LIFE_ROTATE:-}" ]; then
		eval "$LIFE_ROTATE"
	else
		mv "$LOG" "$LOG.1" && kill -USR1 "$LIFE_PID"
	fi
	_life_wait 5 grep -q 'decision log reopened' "$glog" && ok "log rotated; the daemon reopened its log" ||
		not_ok "no 'decision log reopened'" "$(tail -5 "$glog")"
	in=$(curl_rc "$P-phone" http://192.0.2.10/)
	[ "$in" = 0 ] && [ -s "$LOG.1" ] && ok "IN allowed after the rotation" || not_ok "IN after rotation: curl $in"
	check_log "the new log has the new record" '.dst == "192.0.2.10"' '.action == "allow"'
	[ "$(stat -c %U "$LOG" 2>/dev/null)" = "$u" ] && ok "the new log belongs to $u" ||
		not_ok "new log owner" "$(ls -l "$LOG" 2>&1)"
}

_life_repair() {
	local cn
	lab_in "$P-gw" nft flush ruleset
	if _life_wait 5 sh -c "'$GEOEGRESS' stats --ctl '$(lab_dir "$P")/ctl' | grep -q 'repairs 1'" &&
		grep -q geoegress <(_life_ruleset); then
		ok "nft flush ruleset: the daemon restored its hook"
	else
		not_ok "hook repair" "$(lab_ge "$P" stats 2>&1 | grep -i hook; _life_ruleset)"
	fi
	cn=$(curl_rc "$P-phone" http://198.51.100.10/)
	[ "$cn" = 7 ] && ok "after the repair CN is still rejected" || not_ok "CN after repair: curl $cn"
}

_life_stop() {
	local u=$1 d glog rs
	d=$(lab_dir "$P")
	glog=$d/geoegress.log
	[ "$(stat -c %U "$d/state" 2>/dev/null)" = "$u" ] && grep -q '^good-at [1-9]' "$d/state" &&
		ok "state file written by $u" || not_ok "state file" "$(ls -l "$d/state" 2>&1)"
	if lab_stop_geoegress "$P" && [ "$LAB_GE_RC" = 0 ]; then
		ok "SIGTERM: exit 0"
	else
		not_ok "SIGTERM: exit ${LAB_GE_RC:-?}" "$(tail -5 "$glog")"
	fi
	[ -e "$T/prom/geoegress.prom" ] && not_ok "metrics file left after the stop" ||
		ok "the stop removed the metrics file"
	rs=$(_life_ruleset)
	grep -q 'table inet geoegress' <<<"$rs" && ! grep -qE 'queue|NFQUEUE' <<<"$rs" &&
		ok "fail-mode closed: held closed after the stop" || not_ok "held after stop" "$rs"
	lab_unlock "$P" >/dev/null 2>&1
	rs=$(_life_ruleset)
	grep -q geoegress <<<"$rs" && not_ok "hook left after unlock" "$rs" || ok "unlock leaves no rule of ours"
	grep -q 'seccomp' "$glog" && not_ok "seccomp complained" "$(grep seccomp "$glog")" ||
		ok "no system call outside the allow-list in the whole run"
}

life_cycle() {
	local u=$1
	_life_start "$u"
	_life_creds "$u"
	_life_decide "$u"
	_life_reload "$u"
	_life_rotate "$u"
	_life_repair
	_life_stop "$u"
}
