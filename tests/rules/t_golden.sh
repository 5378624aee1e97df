#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden tests of the policy language (OpenBSD pfctl regress style):
#   valid/X.conf    → valid/X.out   canonical print (geoegress check --no-db -v)
#                   → valid/X.err   warnings, when there are any
#   invalid/X.conf  → invalid/X.err the exact stderr of geoegress check --no-db
# plus the round trip: print → parse → print is identical, and the shipped
# examples check clean.  UPDATE=1 rewrites the expected files (review the
# diff by hand before committing).
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP/tests/rules" || exit 1
G=$GEOEGRESS
[ -x "$G" ] || { not_ok "geoegress binary $G exists (make BUILD=...)"; tap_done; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# compare NAME EXPECTED-FILE GOT-FILE
compare() {
	if [ "${UPDATE:-0}" = 1 ]; then
		if [ -s "$3" ] || [ -e "$2" ]; then cp "$3" "$2"; fi
		ok "$1 (updated)"
	elif [ ! -e "$2" ] && [ ! -s "$3" ]; then
		ok "$1"
	elif [ ! -e "$2" ]; then
		not_ok "$1" "no expected file $2; got: $(head -5 "$3")"
	elif diff -u "$2" "$3" >"$tmp/diff"; then
		ok "$1"
	else
		not_ok "$1" "$(head -40 "$tmp/diff")"
	fi
}

for conf in valid/*.conf; do
	base=${conf%.conf}
	"$G" check --no-db -v -c "$conf" >"$tmp/out" 2>/dev/null
	rc=$?
	[ $rc -eq 0 ] && ok "$base: check exits 0" || not_ok "$base: check exits 0" "exit $rc"
	compare "$base: canonical print" "$base.out" "$tmp/out"
	"$G" check --no-db -c "$conf" 2>"$tmp/err" >/dev/null
	compare "$base: warnings" "$base.err" "$tmp/err"
	"$G" check --no-db -v -c - <"$tmp/out" >"$tmp/out2" 2>"$tmp/err2"
	if cmp -s "$tmp/out" "$tmp/out2"; then
		ok "$base: print → parse → print is a fixed point"
	else
		not_ok "$base: print → parse → print is a fixed point" "$(diff -u "$tmp/out" "$tmp/out2" | head -20; cat "$tmp/err2")"
	fi
done

n=0
for conf in invalid/*.conf; do
	base=${conf%.conf}
	n=$((n + 1))
	"$G" check --no-db -c "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] && ok "$base: check exits 1" || not_ok "$base: check exits 1" "exit $rc"
	[ -s "$tmp/out" ] && not_ok "$base: nothing on stdout" "$(head -3 "$tmp/out")" || ok "$base: nothing on stdout"
	compare "$base: diagnostics" "$base.err" "$tmp/err"
done
[ $n -ge 30 ] && ok "at least 30 invalid cases ($n)" || not_ok "at least 30 invalid cases" "only $n"

# The shipped examples: clean (no warnings) and summarised.
for conf in "$TOP"/rules/examples/*.conf; do
	name=examples/$(basename "$conf")
	if "$G" check --no-db -c "$conf" >"$tmp/out" 2>"$tmp/err" && [ ! -s "$tmp/err" ] &&
		grep -q '^policy OK: .*: [0-9]* rules, [0-9]* sets, default allow, mode enforce$' "$tmp/out"; then
		ok "$name checks clean"
	else
		not_ok "$name checks clean" "$(cat "$tmp/out" "$tmp/err")"
	fi
done

# Errors are counted in a last line; stdin works as a file.
printf 'default allow\nblock to country UK\nblock to country XX\n' | "$G" check --no-db -c - >/dev/null 2>"$tmp/err"
check_grep "stdin policy: count line" '^-: 2 errors, 0 warnings$' "$tmp/err"
tap_done
