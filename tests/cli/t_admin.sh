#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Small things admins trip on (issue 14, item 5): `check --db FILE` as
# explain and lookup take it, and the build info of `--version --json`
# (the libraries' versions: the loaded ones where the library can say,
# else pkg-config's of the -dev packages it was built against).
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1
tmp=$(mktemp -d /tmp/ge-admin-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
FIX=$BUILD/fixtures
[ -f "$FIX/flat.mmdb" ] || scripts/geodb-fixture "$FIX" >/dev/null

# --- check --db ----------------------------------------------------------
cat >"$tmp/p.conf" <<EOT
option database "$tmp/missing.mmdb"
block to country { CN }
default allow
EOT
"$GEOEGRESS" check -c "$tmp/p.conf" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "missing.mmdb" "$tmp/err" && ok "check: the policy's database missing: exit 1, named" ||
	not_ok "check without --db (rc $rc)" "$(cat "$tmp/err")"
"$GEOEGRESS" check -c "$tmp/p.conf" --db "$FIX/flat.mmdb" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && grep -q "^database OK: $FIX/flat.mmdb: .*schema flat" "$tmp/out" &&
	ok "check --db FILE checks that database instead of option database" ||
	not_ok "check --db (rc $rc)" "$(cat "$tmp/out" "$tmp/err")"
"$GEOEGRESS" check -c "$tmp/p.conf" -d "$FIX/geoip2.mmdb" >"$tmp/out" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "GeoIP2" "$tmp/out" && ok "check -d FILE" || not_ok "check -d (rc $rc)" "$(cat "$tmp/out")"
"$GEOEGRESS" check -c "$tmp/p.conf" --db "$tmp/nope.mmdb" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "nope.mmdb" "$tmp/err" && ok "check --db with a missing file: exit 1, named" ||
	not_ok "check --db missing (rc $rc)" "$(cat "$tmp/err")"
"$GEOEGRESS" check -c "$tmp/p.conf" --db "$FIX/flat.mmdb" --no-db >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "usage error\|--db goes without" "$tmp/err" && ok "check --db with --no-db: usage error" ||
	not_ok "check --db --no-db (rc $rc)" "$(cat "$tmp/err")"
"$GEOEGRESS" help check | grep -q -- "--db FILE" && ok "check's usage lists --db" || not_ok "check usage lacks --db"

# --- --version ------------------------------------------------------------
v=$("$GEOEGRESS" --version)
[ "$v" = "geoegress $(sed -n 's/^VERSION *:= *//p' Makefile)" ] && ok "--version: $v" || not_ok "--version" "$v"
"$GEOEGRESS" --version --json >"$tmp/v.json"
if jq -e '.version and (.libraries | keys | length) == 7' "$tmp/v.json" >/dev/null; then
	ok "--version --json: valid JSON, version and 7 libraries"
else
	not_ok "--version --json" "$(cat "$tmp/v.json")"
fi
bad=
for lib in libnetfilter_queue libmnl libnftables libnetfilter_conntrack; do
	want=$(pkg-config --modversion "$lib")
	got=$(jq -r ".libraries.$lib | \"\(.version) \(.from)\"" "$tmp/v.json")
	[ "$got" = "$want build" ] || bad="$bad $lib: '$got' (pkg-config $want)"
done
[ -z "$bad" ] && ok "libraries without a version call: pkg-config's version, from build" || not_ok "build versions" "$bad"
want=$(pkg-config --modversion libmaxminddb) got=$(jq -r '.libraries.libmaxminddb | "\(.version) \(.from)"' "$tmp/v.json")
[ "$got" = "$want runtime" ] && ok "libmaxminddb: the loaded library's version ($got)" || not_ok "libmaxminddb" "$got vs $want"
want=$(pkg-config --modversion libseccomp) got=$(jq -r '.libraries.libseccomp | "\(.version) \(.from)"' "$tmp/v.json")
[ "$got" = "$want runtime" ] && ok "libseccomp: the loaded library's version ($got)" || not_ok "libseccomp" "$got vs $want"
"$GEOEGRESS" --version -v >"$tmp/vv"
[ "$(head -1 "$tmp/vv")" = "$v" ] && grep -q "^libnetfilter_queue [0-9].*, zlib [0-9]" "$tmp/vv" &&
	ok "--version -v: the version, then the libraries" || not_ok "--version -v" "$(cat "$tmp/vv")"
"$GEOEGRESS" --version --yaml >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "--version with an unknown option: exit 2" || not_ok "--version --yaml: rc $rc"
tap_done
