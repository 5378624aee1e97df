#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, on this machine:
#  - `make deb` builds it (dpkg-buildpackage, in a copy: the source tree
#    stays as it was); lintian at its default level says nothing;
#  - its contents, conffiles, and Depends naming the package of every
#    shared library the binary needs (what apt pulls on a fresh machine);
#  - `apt-get install ./build/deb/geoegress_*.deb` (README; $BUILD here)
#    adds only geoegress and the user
#    geoegress; the policy is root:geoegress 0640; the unit is not enabled;
#    `systemd-analyze verify` of the installed unit is clean and
#    `systemd-analyze security` gives README.md's exposure;
#  - geodb-build (a tiny source) writes /var/lib/geoegress/country.mmdb;
#  - the installed daemon's whole life in a namespace as the user
#    geoegress, with the installed unit's credentials (setpriv) and its
#    seccomp filter, the log rotated by the installed logrotate file
#    (tests/netns/lifecycle.sh);
#  - purge leaves nothing but the system user (Debian keeps those), which
#    this test then removes, as it purges on any failure.
# Skipped when geoegress is already installed (not ours to remove).
set -u
. "$(dirname "$0")/../netns/common.sh"
. "$(dirname "$0")/../netns/lifecycle.sh"

VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
if [ "$(id -u)" -eq 0 ] && dpkg-query -W -f='${Status}' geoegress 2>/dev/null | grep -q 'ok installed'; then
	echo "1..0 # SKIP the package geoegress is installed here already"
	exit 0
fi
netns_setup deb
installed=0 user_before=0
getent passwd geoegress >/dev/null && user_before=1
cleanup() {
	netns_cleanup
	if [ "$installed" = 1 ] && dpkg-query -W geoegress >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq geoegress >/dev/null 2>&1 ||
			dpkg --purge geoegress >/dev/null 2>&1
	fi
	if [ "$installed" = 1 ] && [ "$user_before" = 0 ]; then
		getent passwd geoegress >/dev/null && userdel geoegress 2>/dev/null
		getent group geoegress >/dev/null && groupdel geoegress 2>/dev/null
	fi
	return 0
}
trap cleanup EXIT
cd "$TOP" || exit 1

# --- build ------------------------------------------------------------------
tree_before=$(git status --porcelain 2>/dev/null)
start=$(date +%s)
if out=$(make --no-print-directory -s BUILD="$BUILD" deb 2>&1); then
	ok "make deb ($(($(date +%s) - start)) s)"
else
	not_ok "make deb" "$out"; tap_done; exit 1
fi
deb=$(ls "$BUILD"/deb/geoegress_"$VERSION"_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] && ok "built ${deb##*/}" || { not_ok "no geoegress_${VERSION}_*.deb in $BUILD/deb"; tap_done; exit 1; }
[ "$(git status --porcelain 2>/dev/null)" = "$tree_before" ] && ok "the source tree is as it was" ||
	not_ok "make deb changed the source tree" "$(git status --porcelain)"
[ "$(dpkg-parsechangelog -l debian/changelog -S Version)" = "$VERSION" ] &&
	ok "debian/changelog's version is the Makefile's ($VERSION)" || not_ok "debian/changelog version"

out=$(lintian --allow-root "$BUILD"/deb/geoegress_"$VERSION"_*.changes 2>&1)
[ $? -eq 0 ] && [ -z "$out" ] && ok "lintian (source and binary): no tags" || not_ok "lintian" "$out"

# --- contents ---------------------------------------------------------------
want="/etc/geoegress/policy.conf
/etc/logrotate.d/geoegress
/lib/systemd/system/geoegress.service
/usr/sbin/geoegress
/usr/share/doc/geoegress/changelog.gz
/usr/share/doc/geoegress/copyright
$(for f in rules/examples/*.conf; do echo "/usr/share/doc/geoegress/examples/${f##*/}"; done)
/usr/share/geoegress/geodb-build
/usr/share/man/man5/geoegress.conf.5.gz
/usr/share/man/man8/geoegress.8.gz"
got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print substr($6, 2)}' | LC_ALL=C sort)
[ "$got" = "$(printf '%s\n' "$want" | LC_ALL=C sort)" ] && ok "contents: exactly the $(echo "$want" | wc -l) expected files" ||
	not_ok "package contents" "$(diff <(printf '%s\n' "$want" | LC_ALL=C sort) <(echo "$got"))"
conff=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles 2>/dev/null | sort)
[ "$conff" = "/etc/geoegress/policy.conf
/etc/logrotate.d/geoegress" ] && ok "conffiles: policy.conf and the logrotate file" || not_ok "conffiles" "$conff"
dep=$(dpkg-deb -f "$deb" Depends)
miss=
mkdir -p "$T/x" && dpkg-deb -x "$deb" "$T/x"
for so in $(objdump -p "$T/x/usr/sbin/geoegress" | awk '/NEEDED/ {print $2}'); do
	p=$(dpkg -S "*/$so" 2>/dev/null | head -1 | cut -d: -f1)
	case ", $dep" in *", $p "* | *", $p,"* | *", $p") ;; *) miss="$miss $so(${p:-?})" ;; esac
done
case $dep in *adduser*iptables*) ;; *) miss="$miss adduser/iptables" ;; esac
[ -z "$miss" ] && ok "Depends names every library's package, adduser and iptables: $dep" ||
	not_ok "Depends lacks:$miss" "$dep"
rec=$(dpkg-deb -f "$deb" Recommends)
case $rec in *libmaxmind-db-writer-perl*tor-geoipdb*) ok "Recommends: $rec (geodb-build)" ;;
*) not_ok "Recommends" "$rec" ;; esac

# --- install ------------------------------------------------------------------
before=$(dpkg-query -W -f='${Package}\n' | sort)
installed=1
if out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$(realpath "$deb")" 2>&1); then
	ok "apt-get install ./${deb##*/}"
else
	not_ok "apt-get install" "$(tail -10 <<<"$out")"; tap_done; exit 1
fi
added=$(comm -13 <(echo "$before") <(dpkg-query -W -f='${Package}\n' | sort) | tr '\n' ' ')
[ "$added" = "geoegress " ] && ok "it added only geoegress (its dependencies were here)" ||
	not_ok "packages added: $added"
pw=$(getent passwd geoegress)
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
if [ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$home" = /nonexistent ] && [ "$shell" = /usr/sbin/nologin ] &&
	[ "$(getent group geoegress | cut -d: -f3)" = "$gid" ]; then
	ok "system user geoegress (uid $uid, group geoegress, no home, nologin)"
else
	not_ok "user geoegress" "$pw"
fi
[ "$(stat -c '%U:%G %a' /etc/geoegress/policy.conf)" = "root:geoegress 640" ] &&
	dpkg-statoverride --list /etc/geoegress/policy.conf >/dev/null &&
	ok "policy.conf is root:geoegress 0640 (dpkg-statoverride)" ||
	not_ok "policy.conf" "$(ls -l /etc/geoegress/policy.conf)"
ls /etc/systemd/system/*.wants/geoegress.service >/dev/null 2>&1 &&
	not_ok "the unit was enabled on installation" || ok "the unit is not enabled on installation"
unit=/lib/systemd/system/geoegress.service
out=$(systemd-analyze verify "$unit" 2>&1)
[ $? -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify: the installed unit is clean" ||
	not_ok "systemd-analyze verify $unit" "$out"
score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
said=$(grep -o 'exposure [0-9.]*, was [0-9.]* as root' README.md | awk '{print $2}' | tr -d ,)
[ -n "$score" ] && [ "$score" = "$said" ] && ok "systemd-analyze security: exposure $score, as README.md says" ||
	not_ok "exposure '$score', README says '$said'"
miss=
for l in User=geoegress AmbientCapabilities=CAP_NET_ADMIN CapabilityBoundingSet=CAP_NET_ADMIN \
	NoNewPrivileges=yes 'ExecStart=/usr/sbin/geoegress run -c /etc/geoegress/policy.conf'; do
	grep -qxF "$l" "$unit" || miss="$miss [$l]"
done
grep '^ExecStart=' "$unit" | grep -q -- '--seccomp off' && miss="$miss [seccomp off]"
[ -z "$miss" ] && ok "installed unit: User=geoegress, only CAP_NET_ADMIN, no_new_privs, the daemon's seccomp on" ||
	not_ok "installed unit lacks:$miss"
[ "$(man -w geoegress 2>&1)" = /usr/share/man/man8/geoegress.8.gz ] && ok "man geoegress finds the page" ||
	not_ok "man -w geoegress" "$(man -w geoegress 2>&1)"
out=$(/usr/sbin/geoegress check --no-db -c /usr/share/doc/geoegress/examples/iaf.conf 2>&1)
case $out in *"policy OK"*) ok "the shipped example policy passes geoegress check" ;;
*) not_ok "check of the example" "$out" ;; esac

# geodb-build from a tiny tor-geoipdb-format source, into the package's place.
printf '# Generated: Thu, 25 Jun 2026 04:33:59 GMT\n3325256704,3325256959,CN\n3405803776,3405804031,SG\n' >"$T/geoip"
printf '# Generated: Thu, 25 Jun 2026 04:33:59 GMT\n2001:db8:65::,2001:db8:65:ffff:ffff:ffff:ffff:ffff,SG\n' >"$T/geoip6"
out=$(GEOIP_V4=$T/geoip GEOIP_V6=$T/geoip6 /usr/share/geoegress/geodb-build 2>&1)
lk=$(/usr/sbin/geoegress lookup --db /var/lib/geoegress/country.mmdb 203.0.113.10 2>&1)
case $lk in *SG*) ok "geodb-build writes /var/lib/geoegress/country.mmdb; lookup 203.0.113.10: SG" ;;
*) not_ok "geodb-build + lookup" "$out $lk" ;; esac

# --- the installed daemon's life, as geoegress ---------------------------------
GEOEGRESS=/usr/sbin/geoegress
lr=$T/logrotate.conf
sed -e "s|/var/log/geoegress|$T/log|" -e 's|systemctl kill .*|kill -USR1 $(cat '"$T"'/daemon.pid)|' \
	/etc/logrotate.d/geoegress >"$lr"
# shellcheck disable=SC2016
LIFE_ROTATE='echo "$LIFE_PID" >"$T/daemon.pid"; logrotate -f -s "$T/logrotate.state" "$lr" >"$T/logrotate.out" 2>&1 ||
	not_ok "logrotate with the installed file" "$(cat "$T/logrotate.out")"'
life_cycle geoegress
ls "$T/log/decisions.jsonl.1" >/dev/null 2>&1 && ok "the installed logrotate file rotated the log (as geoegress)" ||
	not_ok "no rotated log" "$(ls -l "$T/log")"

# --- purge ---------------------------------------------------------------------
mkdir -p /var/log/geoegress && touch /var/log/geoegress/decisions.jsonl.1.gz
if out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y -q geoegress 2>&1); then
	ok "apt-get purge geoegress"
else
	not_ok "apt-get purge" "$(tail -10 <<<"$out")"
fi
left=$(ls -d /etc/geoegress /etc/logrotate.d/geoegress /lib/systemd/system/geoegress.service \
	/usr/sbin/geoegress /usr/share/geoegress /usr/share/doc/geoegress /usr/share/man/man8/geoegress.8.gz \
	/usr/share/man/man5/geoegress.conf.5.gz /var/lib/geoegress /var/log/geoegress /run/geoegress \
	/etc/systemd/system/*/geoegress.service /var/lib/systemd/deb-systemd-helper-*/*geoegress* 2>/dev/null
	dpkg-statoverride --list | grep geoegress
	dpkg-query -W -f='${Status}\n' geoegress 2>/dev/null | grep -v '^unknown ok not-installed$')
[ -z "$left" ] && ok "purge leaves no file, directory, statoverride or dpkg record" || not_ok "left after purge" "$left"
if [ "$user_before" = 0 ]; then
	getent passwd geoegress >/dev/null && ok "the system user geoegress stays (Debian keeps system users); removed by this test" ||
		not_ok "the user geoegress was removed by purge"
fi
tap_done
