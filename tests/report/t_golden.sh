#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden tests for `geoegress report`: fixed logs in tests/report/in/ →
# exact text, JSON and CSV in tests/report/golden/.  No case depends on
# the clock (absolute --since/--until, or --now for relative ones).
#   UPDATE=1 tests/report/t_golden.sh   regenerates the golden files
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
IN=tests/report/in
GOLD=tests/report/golden
ROT=$IN/rot/decisions.jsonl
tmp=$(mktemp -d /tmp/ge-golden-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# name | arguments (word-split; no spaces inside arguments)
cases="
basic.txt|$IN/basic.jsonl
basic.json|--format json $IN/basic.jsonl
basic.csv|--format csv $IN/basic.jsonl
basic-top3.txt|--top 3 $IN/basic.jsonl
basic-narrow.txt|--width 60 $IN/basic.jsonl
window.txt|--since 2026-11-27T08:00:00Z --until 2026-11-27T09:00:00Z $IN/basic.jsonl
relative.json|--now 2026-11-27T09:00:00Z --since 1h --format json $IN/basic.jsonl
device-set.txt|--device managed $IN/basic.jsonl
device-mac.csv|--device 02:00:5E:00:53:02 --format csv --table devices $IN/basic.jsonl
country-unknown.json|--country unknown --format json $IN/basic.jsonl
action-blocked.txt|--action blocked $IN/basic.jsonl
action-audit.csv|--action audit --format csv --table destinations $IN/basic.jsonl
rotated.txt|-r $ROT
rotated.json|--format json -r $ROT
rotated-timeline.csv|--format csv --table timeline -r $ROT
gz-only.txt|$IN/rot/decisions.jsonl.2.gz
inject.txt|$IN/inject.jsonl
inject.csv|--format csv $IN/inject.jsonl
empty.txt|/dev/null
nat64.txt|$IN/nat64.jsonl
attempts.txt|$IN/attempts.jsonl
attempts.json|--format json $IN/attempts.jsonl
attempts.csv|--format csv $IN/attempts.jsonl
names.txt|$IN/names.jsonl
names.json|--format json $IN/names.jsonl
names.csv|--format csv $IN/names.jsonl
names-hosts.csv|--format csv --table hosts $IN/names.jsonl
names-asns.csv|--format csv --table asns $IN/names.jsonl
names-nopsl.txt|--psl none --width 100 $IN/names.jsonl
nat64.json|--format json $IN/nat64.jsonl
gateways.txt|$IN/gateways.jsonl
gateways.json|--format json $IN/gateways.jsonl
gateways.csv|--format csv $IN/gateways.jsonl
gateways-table.csv|--format csv --table gateways $IN/gateways.jsonl
gateway-filter.txt|--gateway DELHI-2 $IN/gateways.jsonl
gateway-filter.json|--gateway mumbai-hq --action blocked --format json $IN/gateways.jsonl
"

run_case() {	# name args... → $tmp/name
	local name=$1; shift
	# shellcheck disable=SC2068
	"$GEOEGRESS" report $@ >"$tmp/$name" 2>"$tmp/$name.err"
}

while IFS='|' read -r name args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	run_case "$name" $args
	rc=$?
	if [ "${UPDATE:-0}" = 1 ] && [ $rc -eq 0 ]; then
		cp "$tmp/$name" "$GOLD/$name"
	fi
	if [ $rc -ne 0 ]; then
		not_ok "$name: geoegress report $args exited $rc" "$(cat "$tmp/$name.err")"
	elif [ ! -f "$GOLD/$name" ]; then
		not_ok "$name: no golden file $GOLD/$name (run with UPDATE=1)"
	elif diff -u "$GOLD/$name" "$tmp/$name" >"$tmp/diff"; then
		ok "$name matches golden"
	else
		not_ok "$name differs from golden" "$(head -40 "$tmp/diff")"
	fi
done <<<"$cases"

# stdin gives the same report as the file, named (stdin) in the notes.
"$GEOEGRESS" report - <"$IN/basic.jsonl" >"$tmp/stdin.txt" 2>&1
sed "s|$IN/basic.jsonl|(stdin)|" "$GOLD/basic.txt" >"$tmp/stdin.want"
if diff -u "$tmp/stdin.want" "$tmp/stdin.txt" >"$tmp/diff"; then ok "stdin (-) reads the same log"
else not_ok "stdin (-) differs" "$(head -20 "$tmp/diff")"; fi

# The same log gzipped through stdin.
gzip -c "$IN/basic.jsonl" | "$GEOEGRESS" report --format json - >"$tmp/gz.json" 2>&1
if jq -e '.totals.flows == 68 and .totals.skipped_lines == 4' "$tmp/gz.json" >/dev/null; then
	ok "gzip on stdin is detected"
else
	not_ok "gzip on stdin" "$(head -5 "$tmp/gz.json")"
fi

# JSON outputs are valid JSON, and flows add up: sum(countries) == totals.
for j in "$GOLD"/*.json; do
	if jq -e '([.countries[].flows] | add // 0) == .totals.flows and
		  ([.devices[].flows] | add // 0) == .totals.flows and
		  ([.gateways[].flows] | add // 0) == .totals.flows and
		  ([.gateways[].devices] | add // 0) == .totals.devices' "$j" >/dev/null 2>&1; then
		ok "$(basename "$j"): valid JSON, country, device and gateway flows sum to the total"
	else
		not_ok "$(basename "$j"): invalid JSON or sums differ"
	fi
done

# Merged logs of several gateways: a device is one per gateway (the same
# address at two offices is two devices), records without a gateway (an
# older log) are one more; the filter is case-insensitive; a single
# gateway's text report has no gateway table or column.
g=$GOLD/gateways.json
if jq -e '[.gateways[].gateway] == ["delhi-2", "mumbai-hq", "pune-1", null] and
	  ([.devices[] | select(.id == "198.18.1.10") | .gateway] | sort) == ["delhi-2"] and
	  ([.devices[] | select(.id == "02:00:5e:00:53:01") | .gateway] | sort) == [null, "mumbai-hq", "pune-1"]' "$g" >/dev/null; then
	ok "gateways.json: per-gateway rows, devices kept apart by gateway"
else
	not_ok "gateways.json: gateways and devices" "$(jq -c '[.gateways[].gateway], [.devices[] | [.id, .gateway]]' "$g")"
fi
grep -q '^Filters: gateway DELHI-2$' "$GOLD/gateway-filter.txt" && ! grep -q '^Gateways' "$GOLD/gateway-filter.txt" &&
	grep -q '^Flows:   8 in 4 records' "$GOLD/gateway-filter.txt" &&
	ok "--gateway: one gateway's records (case-insensitive), no gateway table" ||
	not_ok "--gateway filter" "$(head -5 "$GOLD/gateway-filter.txt")"
! grep -q 'GATEWAY\|^Gateways' "$GOLD/basic.txt" && grep -q '^Gateways: 4' "$GOLD/gateways.txt" &&
	ok "text: the gateway table and column only with several gateways" || not_ok "text gateway table"
"$GEOEGRESS" report --format html "$IN/gateways.jsonl" >"$tmp/gw.html"
"$GEOEGRESS" report --format html "$IN/basic.jsonl" >"$tmp/basic.html"
n=$(sed -n '/<table id="gateways">/,/<\/table>/p' "$tmp/gw.html" | grep -c '^<tr>')
[ "$n" = 4 ] && grep -q '<th>device</th><th>gateway</th>' "$tmp/gw.html" &&
	! grep -q 'id="gateways"\|<th>gateway</th>' "$tmp/basic.html" &&
	ok "html: a gateways table (4 rows) and a gateway column with several gateways only" ||
	not_ok "html gateways table ($n rows)"

# Text fits 80 columns (the skipped-line notes at the end excepted).
if awk 'FNR == 1 { skip = 0 } / skipped:$/ { skip = 1 }
	 !skip && length($0) > 80 { bad = 1; print FILENAME": "$0 } END { exit bad }' \
	"$GOLD"/basic.txt "$GOLD"/rotated.txt "$GOLD"/window.txt "$GOLD"/gateway-filter.txt >"$tmp/wide"; then
	ok "text reports fit 80 columns"
else
	not_ok "text wider than 80 columns" "$(cat "$tmp/wide")"
fi

# No control character from a crafted log reaches the terminal or CSV.
if LC_ALL=C grep -q $'\x1b' "$GOLD/inject.txt" "$GOLD/inject.csv"; then
	not_ok "escape sequence passed through"
else
	ok "no terminal escape from the log in text or csv"
fi

# Usage errors exit 2 with a message.
for bad in "--format xml" "--since yesterday" "--top -1" "--action nuke" "--table devices" \
	   "--since 2026-11-28 --until 2026-11-27"; do
	# shellcheck disable=SC2086
	"$GEOEGRESS" report $bad "$IN/basic.jsonl" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q "usage error\|geoegress report:" "$tmp/err"; then ok "usage error: $bad"
	else not_ok "usage error: $bad (rc $rc)" "$(cat "$tmp/err")"; fi
done

# A missing file is reported, the others still are, exit 1.
"$GEOEGRESS" report "$IN/nonexistent.jsonl" "$IN/basic.jsonl" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "nonexistent.jsonl: No such file" "$tmp/err" && grep -q "^Flows: *68 " "$tmp/out"; then
	ok "missing file: message, report of the rest, exit 1"
else
	not_ok "missing file handling (rc $rc)" "$(cat "$tmp/err" "$tmp/out" | head)"
fi
"$GEOEGRESS" report "$IN" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "Is a directory" "$tmp/err"; then ok "a directory as FILE: error, exit 1"
else not_ok "directory as FILE (rc $rc)" "$(cat "$tmp/err")"; fi

# Default input: the policy's log-file, with its rotated files.
cat >"$tmp/policy.conf" <<POLICY
option log-file "$TOP/$ROT"
countries forbidden = { CN }
block from any to country @forbidden
default allow
POLICY
"$GEOEGRESS" report -c "$tmp/policy.conf" >"$tmp/policy.txt" 2>"$tmp/policy.err"
sed "s|$ROT|$TOP/$ROT|" "$GOLD/rotated.txt" >"$tmp/policy.want"
if diff -u "$tmp/policy.want" "$tmp/policy.txt" >"$tmp/diff"; then
	ok "-c POLICY reads option log-file and its rotated files"
else
	not_ok "-c POLICY default log" "$(cat "$tmp/policy.err"; head -20 "$tmp/diff")"
fi
printf 'option log-file none\ndefault allow\n' >"$tmp/nolog.conf"
"$GEOEGRESS" report -c "$tmp/nolog.conf" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "logs nowhere" "$tmp/err"; then ok "policy with log-file none: clear error"
else not_ok "policy with log-file none (rc $rc)" "$(cat "$tmp/err")"; fi
printf 'option bogus 1\n' >"$tmp/bad.conf"
"$GEOEGRESS" report -c "$tmp/bad.conf" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "bad.conf:1" "$tmp/err"; then ok "broken policy: its diagnostics, exit 1"
else not_ok "broken policy (rc $rc)" "$(cat "$tmp/err")"; fi
tap_done
