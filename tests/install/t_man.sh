#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages: render without warnings at 80 columns, fit in 80 columns,
# document every subcommand and every option the binary's own usage texts
# list, every policy option of doc/policy.md, and the example policies in
# geoegress.conf(5) are accepted by `geoegress check`.
set -u
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/ge-man-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1

for page in doc/geoegress.8 doc/geoegress.conf.5; do
	n=${page##*/}
	MANWIDTH=80 man --warnings -l "$page" >"$tmp/$n.txt" 2>"$tmp/$n.err"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$tmp/$n.err" ] && [ -s "$tmp/$n.txt" ]; then
		ok "$n: MANWIDTH=80 man --warnings -l renders with no warnings"
	else
		not_ok "$n: man --warnings (rc $rc)" "$(cat "$tmp/$n.err")"
	fi
	long=$(python3 -c 'import sys
for i, l in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if len(l.rstrip("\n")) > 80: print(i, len(l.rstrip("\n")), l.rstrip())' "$tmp/$n.txt")
	[ -z "$long" ] && ok "$n: every rendered line fits 80 columns" || not_ok "$n: lines over 80 columns" "$long"
	head -1 "$page" | grep -q 'SPDX-License-Identifier' && ok "$n: SPDX line" || not_ok "$n: no SPDX line"
done
man8=$tmp/geoegress.8.txt man5=$tmp/geoegress.conf.5.txt

# Every subcommand of the binary has its section in geoegress(8).
subs=$("$GEOEGRESS" --help 2>&1 | awk '/^Commands:/ {c=1; next} c && /^  [a-z]/ {print $1}')
if [ -z "$subs" ]; then
	not_ok "could not list subcommands from $GEOEGRESS --help"
else
	miss=
	for s in $subs; do grep -q "^   geoegress $s\$" "$man8" || miss="$miss $s"; done
	[ -z "$miss" ] && ok "geoegress(8) has a section for each subcommand:" $subs ||
		not_ok "subcommands without a section in geoegress(8):$miss"
	# Every long option in each subcommand's usage appears in geoegress(8).
	miss=
	for s in $subs; do
		for o in $("$GEOEGRESS" help "$s" 2>/dev/null | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			[ "$o" = --help ] && continue
			grep -qF -- "$o" "$man8" || miss="$miss $s:$o"
		done
	done
	[ -z "$miss" ] && ok "geoegress(8) documents every option the usage texts list" ||
		not_ok "options missing from geoegress(8):$miss"
fi
for w in SIGHUP SIGUSR1 SIGTERM 'EXIT STATUS' 'FAIL MODES' 'FIREWALL RULES' FILES EXAMPLES \
	0x00e00000 --queue-bypass 'table inet geoegress' 'NOTIFY_SOCKET'; do
	grep -qF -- "$w" "$man8" || miss8="${miss8:-} [$w]"
done
[ -z "${miss8:-}" ] && ok "geoegress(8) covers signals, exit status, fail modes, hook rules, files" ||
	not_ok "geoegress(8) lacks:$miss8"

# Every policy option of the spec is in geoegress.conf(5).
opts=$(sed -n 's/^| `\([a-z0-9-]*\)` |.*/\1/p' doc/policy.md)
miss=
for o in $opts; do grep -q "option $o" "$man5" || miss="$miss $o"; done
if [ -n "$opts" ] && [ -z "$miss" ]; then
	ok "geoegress.conf(5) documents every option of doc/policy.md ($(echo $opts | wc -w))"
else
	not_ok "policy options missing from geoegress.conf(5):$miss"
fi
# The fields are those of doc/log-format.md's table (but for one marked "(future)").
fields=$(grep '^| `' doc/log-format.md | grep -v '(future)' | cut -d'|' -f2 | grep -o '`[a-z_]*`' | tr -d '`')
[ "$(echo $fields | wc -w)" -ge 20 ] || not_ok "could not read the fields of doc/log-format.md" "$fields"
for f in $fields; do
	grep -qE "^       ($f|.*[ ,]$f)(,|\$| )" "$man5" || mf="${mf:-} $f"
done
[ -z "${mf:-}" ] && ok "geoegress.conf(5) describes every decision-log field of doc/log-format.md ($(echo $fields | wc -w))" ||
	not_ok "log fields missing:$mf"

# The complete example policies in geoegress.conf(5) are valid policies.
ex() {	# ex START-REGEX END-REGEX: the example after the prose paragraph at START
	awk -v s="$1" -v e="$2" '$0 ~ s {st=1; next} $0 ~ e {st=0} st == 1 && /^$/ {st=2; next}
		st == 2' "$man5" | sed 's/^       //'
}
# (nroff justifies: the spaces between words vary with the line's place)
ex '^       The  *IAF-style' '^       Data  *residency' >"$tmp/ex1.conf"
ex '^       Data  *residency' '^       Reject  *instead' >"$tmp/ex2.conf"
ex '^       A  *vendor,  *wherever' '^FILES' >"$tmp/ex3.conf"
for c in "$tmp/ex1.conf" "$tmp/ex2.conf" "$tmp/ex3.conf"; do
	grep -q '^default ' "$c" || { not_ok "example not found in the page: ${c##*/}" "$(cat "$c")"; continue; }
	out=$("$GEOEGRESS" check --no-db -c "$c" 2>&1)
	case $out in *"policy OK"*) ok "example ${c##*/} of geoegress.conf(5) passes geoegress check" ;;
	*) not_ok "example ${c##*/} rejected by geoegress check" "$out"$'\n'"$(cat "$c")" ;; esac
done

tap_done
