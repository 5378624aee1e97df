#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command in README.md's ```sh blocks is accounted for: either this
# test runs it for real (paths moved into a temp dir, the daemon in a
# namespace of its own), or the table below names the test that exercises
# it, or it is listed as not runnable here with the reason.  A new README
# command that is in none of these fails the test.
set -u
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/ge-readme-XXXXXX)
ns=ge-readme-$$
gepid=
cleanup() {
	[ -n "$gepid" ] && { kill -TERM "$gepid" 2>/dev/null; sleep 0.5; kill -KILL "$gepid" 2>/dev/null; }
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$TOP" || exit 1

# The commands: ```sh blocks, continuation lines joined, comments and sudo dropped.
awk '/^```sh$/ {on=1; next} /^```/ {on=0} on' README.md |
	sed -e 's/[[:space:]]\{2,\}#.*$//' -e 's/^sudo //' |
	awk '{ if (sub(/\\$/, "")) { buf = buf $0; next } print buf $0; buf = "" }' |
	sed -e 's/[[:space:]]\+/ /g' -e 's/ $//' | grep -v '^$' >"$tmp/commands"
n=$(wc -l <"$tmp/commands")
[ "$n" -ge 30 ] && ok "README has $n commands in sh blocks" || not_ok "only $n README commands found"

# Covered elsewhere: PATTERN (ERE on the command) -> test file that runs it.
covered_by() {
	case $1 in
	"make demo") echo tests/demo/t_demo.sh ;;
	"make check" | "make SANITIZE=1 check") echo .ci/run ;;
	make | "make install") echo tests/install/t_install.sh ;;
	"scripts/kernel-vm prepare") echo tests/kernel/t_stock_kernel.sh ;;
	"make deb" | "apt-get install ./build/deb/geoegress_*.deb" | /usr/share/geoegress/geodb-build)
		echo tests/deb/t_deb.sh ;;
	*) return 1 ;;
	esac
}
# Not runnable here (no systemd as PID 1, no network, interactive).
not_here() {
	case $1 in
	"systemctl enable --now geoegress") echo "no systemd here; unit verified + run sandboxed in t_systemd.sh" ;;
	"systemctl reload geoegress") echo "no systemd here; its ExecReload (geoegress reload) runs in t_systemd.sh and below" ;;
	"journalctl -u geoegress") echo "no journal here" ;;
	"sudoedit /etc/geoegress/policy.conf") echo "interactive editor" ;;
	"apt-get install tor-geoipdb") echo "scripts/setup installs it for make check/demo" ;;
	geoipupdate) echo "needs network and a MaxMind licence key" ;;
	"make unit") echo "make check (.ci/run) runs the same unit tests" ;;
	"apt-get install prometheus-node-exporter") echo "installs and starts a service; the metrics file is checked with promtool in tests/netns/t_metrics.sh" ;;
	"dpkg-statoverride "*) echo "changes this machine's directory; t_metrics.sh and lifecycle.sh write the metrics file as another user" ;;
	"make fuzz" | "make bench") echo "long (600 s per harness / full benchmarks); make check runs fuzz-smoke and t_bench_smoke" ;;
	"BUILD=build tests/run "*) echo "tests/run is what make check runs" ;;
	"geoegress unlock") echo "lifts a held gateway; exercised in tests/netns/t_failclosed.sh and t_systemd.sh" ;;
	"make check-kernel") echo "two whole netns suites in the stock-kernel VM (~25 min); make check runs part of it (tests/kernel/t_stock_kernel.sh)" ;;
	"scripts/kernel-vm run "* | "LAB_GE_ARGS="*" scripts/kernel-vm run "*)
		echo "boots the stock-kernel VM; tests/kernel/t_stock_kernel.sh (make check) runs tests/run in it the same way" ;;
	*) return 1 ;;
	esac
}

# --- the sandbox for commands run here ----------------------------------
fix=$BUILD/fixtures
[ -f "$fix/geoip2.mmdb" ] || scripts/geodb-fixture "$fix" >/dev/null 2>&1
real=$BUILD/country.mmdb
[ -s "$real" ] || scripts/geodb-build "$real" >/dev/null 2>&1
mkdir -p "$tmp/log" "$tmp/run" "$tmp/inst"
cp tests/report/in/basic.jsonl "$tmp/log/decisions.jsonl" 2>/dev/null ||
	echo '{"ts":"2026-11-27T07:30:01.123Z","action":"block","audit":false,"rule":42,"rule_name":"x","default":false,"src":"198.18.1.10","src_mac":"02:00:5e:00:53:01","device":"managed","dst":"198.51.100.10","country":"CN","proto":"tcp","sport":1,"dport":80,"in":"lan0","out":"wan0","count":1}' \
		>"$tmp/log/decisions.jsonl"
sed -e "s|^option database .*|option database \"$fix/geoip2.mmdb\"|" \
	-e "s|^option log-file .*|option log-file \"$tmp/log/decisions.jsonl\"|" \
	rules/examples/iaf.conf >"$tmp/policy.conf"
make --no-print-directory -s BUILD="$BUILD" DESTDIR="$tmp/inst" install >/dev/null 2>&1

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$GEOEGRESS" run -f -c "$tmp/policy.conf" --ctl "$tmp/run/control.sock" --state-dir "$tmp/state" \
	>"$tmp/daemon.log" 2>&1 &
gepid=$!
for i in $(seq 1 100); do "$GEOEGRESS" stats --ctl "$tmp/run/control.sock" >/dev/null 2>&1 && break; sleep 0.1; done

# Rewrite a README command into one that runs in the sandbox.
sandbox() {
	local c=$1
	c=${c//\/usr\/local\/share\/geoegress\/geodb-build/$tmp/inst/usr/local/share/geoegress/geodb-build}
	case $c in *geodb-build) c="$c $tmp/country.mmdb" ;; esac
	c=${c//\/var\/lib\/geoegress\/country.mmdb/$tmp/country.mmdb}
	c=${c//\/var\/log\/geoegress\/decisions.jsonl/$tmp/log/decisions.jsonl}
	c=${c//\/etc\/geoegress\/policy.conf/$tmp/policy.conf}
	c=${c//build\/country.mmdb/$real}
	c=${c//rules\/examples/$TOP/rules/examples}
	case $c in
	"geoegress check"* | "geoegress report"*)
		case " $c " in *" -c "*) ;; *) c="$c -c $tmp/policy.conf" ;; esac ;;
	esac
	case $c in
	"geoegress stats"* | "geoegress reload"*) c=${c/geoegress stats/geoegress stats --ctl $tmp/run/control.sock}
		c=${c/geoegress reload/geoegress reload --ctl $tmp/run/control.sock} ;;
	"cat /proc/net/netfilter/"* | "iptables-save"* | "nft "*) c="ip netns exec $ns bash -c '$c'" ;;
	"geoegress stats"*) ;;
	"geoegress flows"*)	# the namespace's conntrack, not the host's
		c=${c/geoegress flows/geoegress flows -c $tmp/policy.conf --ctl $tmp/run/control.sock}
		c="ip netns exec $ns bash -c '$c'" ;;
	esac
	c=${c//geoegress /$GEOEGRESS }
	echo "$c"
}

while IFS= read -r cmd; do
	if t=$(covered_by "$cmd"); then
		if [ -e "$t" ] && grep -qwF -- "${cmd##* }" "$t"; then ok "README: '$cmd' — exercised by $t"
		else not_ok "README: '$cmd' — $t missing or does not run it"; fi
		continue
	fi
	if why=$(not_here "$cmd"); then
		ok "README: '$cmd' — # SKIP not run here: $why"
		continue
	fi
	case $cmd in
	geoegress* | /usr/local/share/geoegress/geodb-build* | "cat /proc/net/netfilter/"* | iptables-save* | "nft "*) ;;
	*) not_ok "README command not covered by any test: '$cmd'"; continue ;;
	esac
	run=$(sandbox "$cmd")
	out=$(cd "$tmp" && GEOEGRESS_DB=$real timeout 60 bash -c "$run" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -n "$out" ]; then
		ok "README: '$cmd' runs (exit 0, $(printf '%s\n' "$out" | wc -l) lines)"
	elif [ $rc -eq 0 ] && [ -s "$tmp/report.html" ] && [ "${cmd#*-o report.html}" != "$cmd" ]; then
		ok "README: '$cmd' runs (wrote report.html, $(wc -c <"$tmp/report.html") bytes)"
	else
		not_ok "README: '$cmd' (ran: $run) exit $rc" "$(printf '%s\n' "$out" | tail -8)"
	fi
done <"$tmp/commands"

# The rsyslog configurations README shows (plain ``` blocks that load
# modules) are valid for Debian's rsyslogd (-N1: check only).
if command -v rsyslogd >/dev/null; then
	awk '/^ *```/ { if (on) { on = 0; n++ } else on = /^ *```$/ ? 1 : 2; next }
		on == 1 { print > (dir "/rsyslog." n) }' \
		dir="$tmp" README.md
	k=0
	for f in "$tmp"/rsyslog.*; do
		grep -q 'module(load=' "$f" || continue
		k=$((k + 1))
		sed -i -e 's/^ *//' -e "s|/var/log/geoegress|$tmp/log|g; s|/srv/geoegress|$tmp/srv|g" "$f"
		printf 'global(workDirectory="%s")\n' "$tmp" | cat - "$f" >"$f.conf"
		out=$(rsyslogd -N1 -f "$f.conf" 2>&1) && ok "README rsyslog configuration $k: rsyslogd -N1 accepts it" ||
			not_ok "README rsyslog configuration $k" "$out"$'\n'"$(cat "$f.conf")"
	done
	[ "$k" -ge 2 ] || not_ok "README: the rsyslog configurations (gateway, collector) not found ($k)"
fi

# A few answers the README shows must be what the commands say.
out=$(GEOEGRESS_DB=$real "$GEOEGRESS" lookup 8.8.8.8 114.114.114.114)
case $out in *"8.8.8.8"*US*"114.114.114.114"*CN*) ok "README lookups: 8.8.8.8 US, 114.114.114.114 CN" ;;
*) not_ok "README lookups" "$out" ;; esac
out=$("$GEOEGRESS" explain -c rules/examples/iaf.conf --db "$real" --from 198.18.1.20 \
	--to 114.114.114.114 --proto udp --port 53 2>&1)
case $out in *"action:"*block*) ok "README explain example: the laptop to 114.114.114.114 is blocked" ;;
*) not_ok "README explain example" "$out" ;; esac
# The rules the README shows are what the daemon installs for the example.
hook_readme=$(awk '/^table inet geoegress \{$/ { on = 1 } on { print } on && /^\}$/ { exit }' README.md)
hook_c=$("$GEOEGRESS" check --print-hook -c rules/examples/iaf.conf 2>/dev/null)
[ -n "$hook_c" ] && [ "$hook_readme" = "$hook_c" ] && ok "README's table is what check --print-hook prints for iaf.conf" ||
	not_ok "README rules differ from check --print-hook" "$(diff <(echo "$hook_readme") <(echo "$hook_c"))"
ipt_readme=$(grep -E '^-I FORWARD 1 -m mark' README.md)
ipt_c=$("$GEOEGRESS" check --print-hook=iptables -c rules/examples/iaf.conf 2>/dev/null | grep '^-I FORWARD')
[ -n "$ipt_c" ] && [ "$ipt_readme" = "$ipt_c" ] && ok "README's iptables queue rule is the daemon's" ||
	not_ok "README iptables rule differs" "README: $ipt_readme; daemon: $ipt_c"

tap_done
