#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package on a fresh machine: a minimal Debian of this
# machine's release made with debootstrap (minbase, from the mirror this
# machine's apt uses) into a temp dir; `apt-get install ./geoegress_*.deb`
# there pulls every dependency and recommendation; the installed binary
# runs, the user exists, geodb-build (the Recommends) builds the real
# database from tor-geoipdb; `apt-get purge` leaves nothing but the user.
# No service starts in the chroot (policy-rc.d refuses).  About 2 minutes,
# mostly downloads; run once per CI run: skipped in the sanitizer pass (the
# package is built the same way there).  The chroot is removed on exit.
set -u
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (debootstrap, chroot)"
	exit 0
fi
case ${BUILD##*/} in build-san*) echo "1..0 # SKIP sanitizer pass: the same package as the plain pass"; exit 0 ;; esac
VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
tmp=$(mktemp -d /tmp/ge-debfresh-XXXXXX)
R=$tmp/root
cleanup() {
	local m
	# nothing is mounted there by this test; never delete through a mount
	m=$(findmnt -rn -o TARGET 2>/dev/null | grep -F "$R" | sort -r)
	for m in $m; do umount -l "$m" 2>/dev/null; done
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$TOP" || exit 1

mirror=$(apt-cache policy 2>/dev/null |
	awk -v s=" $codename/main " 'index($0, s) && / Packages$/ {print $2; exit}')
if [ -z "$mirror" ] || ! command -v debootstrap >/dev/null; then
	not_ok "no Debian mirror for $codename in apt's sources, or no debootstrap (scripts/setup)" "$mirror"
	tap_done; exit 1
fi

if out=$(make --no-print-directory -s BUILD="$BUILD" deb 2>&1); then
	deb=$(ls "$BUILD"/deb/geoegress_"$VERSION"_*.deb 2>/dev/null | head -1)
	[ -f "$deb" ] && ok "make deb: ${deb##*/}" || { not_ok "no geoegress_${VERSION}_*.deb"; tap_done; exit 1; }
else
	not_ok "make deb" "$out"; tap_done; exit 1
fi

start=$(date +%s)
if debootstrap --variant=minbase "$codename" "$R" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
	ok "debootstrap --variant=minbase $codename ($(($(date +%s) - start)) s)"
else
	not_ok "debootstrap" "$(tail -5 "$tmp/debootstrap.log")"; tap_done; exit 1
fi
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
cp "$deb" "$R/tmp/"
in_root() { DEBIAN_FRONTEND=noninteractive chroot "$R" "$@"; }

start=$(date +%s)
if in_root apt-get update -qq >"$tmp/apt.log" 2>&1 &&
	in_root apt-get install -y -q "/tmp/${deb##*/}" >>"$tmp/apt.log" 2>&1; then
	ok "fresh system: apt-get install ./${deb##*/} ($(grep -o '[0-9]* newly installed' "$tmp/apt.log"), $(($(date +%s) - start)) s)"
else
	not_ok "apt-get install on the fresh system" "$(grep -E '^(E|W):' "$tmp/apt.log" | head; tail -5 "$tmp/apt.log")"
	tap_done; exit 1
fi
miss=
for p in $(dpkg-deb -f "$deb" Depends Recommends | sed 's/^[A-Za-z]*: //; s/([^)]*)//g; s/,/ /g'); do
	in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || miss="$miss $p"
done
[ -z "$miss" ] && ok "every dependency and recommendation is installed" || not_ok "not installed:$miss"
v=$(in_root /usr/sbin/geoegress --version 2>&1)
[ "$v" = "geoegress $VERSION" ] && ok "the installed binary runs: $v" || not_ok "geoegress --version" "$v"
in_root getent passwd geoegress >/dev/null && ok "the user geoegress exists" || not_ok "no user geoegress"
st=$(in_root stat -c '%U:%G %a' /etc/geoegress/policy.conf 2>&1)
[ "$st" = "root:geoegress 640" ] && ok "policy.conf root:geoegress 0640" || not_ok "policy.conf" "$st"
out=$(in_root /usr/share/geoegress/geodb-build 2>&1)
lk=$(in_root /usr/sbin/geoegress lookup --db /var/lib/geoegress/country.mmdb 8.8.8.8 2>&1)
case $lk in *US*) ok "geodb-build builds the database from tor-geoipdb; 8.8.8.8 is US" ;;
*) not_ok "geodb-build on the fresh system" "$out $lk" ;; esac
out=$(in_root /usr/sbin/geoegress check -c /etc/geoegress/policy.conf 2>&1)
case $out in *"policy OK"*) ok "geoegress check: the shipped policy with the built database" ;;
*) not_ok "geoegress check" "$out" ;; esac

if in_root apt-get purge -y -q geoegress >"$tmp/purge.log" 2>&1; then
	ok "apt-get purge geoegress"
else
	not_ok "purge" "$(tail -5 "$tmp/purge.log")"
fi
left=$(in_root sh -c 'ls -d /etc/geoegress /etc/logrotate.d/geoegress /lib/systemd/system/geoegress.service \
	/usr/sbin/geoegress /usr/share/geoegress /usr/share/doc/geoegress /var/lib/geoegress \
	/var/log/geoegress /usr/share/man/man8/geoegress.8.gz 2>/dev/null; dpkg-statoverride --list | grep geoegress' 2>&1)
[ -z "$left" ] && ok "purge leaves nothing of geoegress" || not_ok "left after purge" "$left"
in_root getent passwd geoegress >/dev/null && ok "the system user stays (Debian keeps system users)" ||
	not_ok "purge removed the user"
tap_done
