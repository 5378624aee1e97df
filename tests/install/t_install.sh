#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make install / uninstall into a DESTDIR: the exact file list, modes, the
# admin's policy.conf kept on a second install, SBINDIR substituted into the
# unit, the installed binary and example policy usable.
set -u
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/ge-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1

mk() {	# mk TARGET DESTDIR [VAR=VALUE...] — quiet make from the top
	local t=$1 d=$2; shift 2
	make --no-print-directory -s BUILD="$BUILD" DESTDIR="$d" "$@" "$t"
}

d=$tmp/root
if out=$(mk install "$d" PREFIX=/usr 2>&1); then
	ok "make install DESTDIR PREFIX=/usr"
else
	not_ok "make install DESTDIR PREFIX=/usr" "$out"
fi

# The exact list of installed files.
{
	echo /etc/geoegress/policy.conf
	echo /etc/logrotate.d/geoegress
	echo /lib/systemd/system/geoegress.service
	echo /usr/sbin/geoegress
	echo /usr/share/geoegress/geodb-build
	for f in rules/examples/*.conf; do echo "/usr/share/geoegress/${f##*/}"; done
	echo /usr/share/man/man5/geoegress.conf.5
	echo /usr/share/man/man8/geoegress.8
} | LC_ALL=C sort >"$tmp/want"
(cd "$d" && find . -type f -o -type l | sed 's|^\.||') | LC_ALL=C sort >"$tmp/got"
if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
	ok "installed file list is exactly the expected $(wc -l <"$tmp/want") files"
else
	not_ok "installed file list" "$(cat "$tmp/diff")"
fi
grep -q '/usr/share/geoegress/iaf.conf' "$tmp/want" &&
	ok "example iaf.conf is among them" || not_ok "rules/examples/iaf.conf missing from the tree"

modes=$(stat -c '%a %n' "$d/usr/sbin/geoegress" "$d/usr/share/geoegress/geodb-build" \
	"$d/etc/geoegress/policy.conf" "$d/lib/systemd/system/geoegress.service" \
	"$d/etc/logrotate.d/geoegress" 2>&1 | sed "s|$d||")
want_modes="755 /usr/sbin/geoegress
755 /usr/share/geoegress/geodb-build
640 /etc/geoegress/policy.conf
644 /lib/systemd/system/geoegress.service
644 /etc/logrotate.d/geoegress"
[ "$modes" = "$want_modes" ] && ok "file modes" || not_ok "file modes" "$modes"

cmp -s rules/examples/iaf.conf "$d/etc/geoegress/policy.conf" &&
	ok "policy.conf is rules/examples/iaf.conf" || not_ok "policy.conf is not iaf.conf"
grep -qx 'ExecStart=/usr/sbin/geoegress run -c /etc/geoegress/policy.conf' \
	"$d/lib/systemd/system/geoegress.service" &&
	ok "unit ExecStart uses SBINDIR /usr/sbin" ||
	not_ok "unit ExecStart" "$(grep ^Exec "$d/lib/systemd/system/geoegress.service")"

v=$("$d/usr/sbin/geoegress" --version 2>&1)
case $v in "geoegress "[0-9]*) ok "installed binary runs: $v" ;; *) not_ok "installed binary --version" "$v" ;; esac
out=$("$d/usr/sbin/geoegress" check --no-db -c "$d/etc/geoegress/policy.conf" 2>&1)
case $out in *"policy OK"*) ok "geoegress check --no-db accepts the installed policy.conf" ;;
*) not_ok "geoegress check --no-db on installed policy.conf" "$out" ;; esac

# `man geoegress` / `man geoegress.conf` find the installed pages, which render cleanly.
for pg in "8 geoegress" "5 geoegress.conf"; do
	set -- $pg
	f=$(MANPATH=$d/usr/share/man man -w "$1" "$2" 2>&1)
	err=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
	if [ "$f" = "$d/usr/share/man/man$1/$2.$1" ] && [ -z "$err" ]; then
		ok "man $1 $2 finds the installed page; it renders without warnings"
	else
		not_ok "man $1 $2 (MANPATH=DESTDIR)" "$f $err"
	fi
done

# Second install: the admin's edited policy stays.
echo "# edited by the admin" >>"$d/etc/geoegress/policy.conf"
cp "$d/etc/geoegress/policy.conf" "$tmp/edited"
out=$(mk install "$d" PREFIX=/usr 2>&1)
if cmp -s "$tmp/edited" "$d/etc/geoegress/policy.conf"; then
	ok "second install keeps the edited policy.conf"
else
	not_ok "second install overwrote policy.conf" "$out"
fi
case $out in *"keeping existing"*) ok "second install says it keeps policy.conf" ;;
*) not_ok "second install says nothing about policy.conf" "$out" ;; esac

# Uninstall removes everything but the admin's policy.
mk uninstall "$d" PREFIX=/usr >/dev/null 2>&1
left=$(cd "$d" && find . -type f | sed 's|^\.||')
[ "$left" = /etc/geoegress/policy.conf ] && ok "uninstall leaves only /etc/geoegress/policy.conf" ||
	not_ok "uninstall leftovers" "$left"

# PREFIX=/usr/local: the unit must point at /usr/local/sbin.
d2=$tmp/local
mk install "$d2" PREFIX=/usr/local >/dev/null 2>&1
if [ -x "$d2/usr/local/sbin/geoegress" ] &&
	grep -qx 'ExecStart=/usr/local/sbin/geoegress run -c /etc/geoegress/policy.conf' \
		"$d2/lib/systemd/system/geoegress.service" &&
	! grep -q '/usr/sbin/' "$d2/lib/systemd/system/geoegress.service"; then
	ok "PREFIX=/usr/local: binary in /usr/local/sbin, unit points there"
else
	not_ok "PREFIX=/usr/local install" "$(grep ^Exec "$d2/lib/systemd/system/geoegress.service" 2>&1)"
fi

tap_done
