# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for tests: TAP output, counted by tests/run.
# Source it from a test:  . "$(dirname "$0")/../lib.sh"

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
GEOEGRESS=${GEOEGRESS:-$BUILD/geoegress}
_tap_n=0
_tap_failed=0

ok() {		# ok "description" — records a pass
	_tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"
}
not_ok() {	# not_ok "description" ["details"]
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}
check() {	# check "description" command... — pass when the command succeeds
	local d=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d" "$out"; fi
}
check_grep() {	# check_grep "description" PATTERN FILE
	if grep -Eq -- "$2" "$3"; then ok "$1"; else not_ok "$1" "no line matching /$2/ in $3: $(tail -5 "$3")"; fi
}
tap_done() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}
