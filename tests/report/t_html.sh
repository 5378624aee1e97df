#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The HTML report: self-contained (no script, no fetch), log text escaped,
# and rendered by headless Chromium: no console errors, the DOM has the
# chart bars the data calls for and the tables, the screenshot shows them
# (red block bars, green allow bars), dark mode and printing work.
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
IN=tests/report/in
tmp=$(mktemp -d /tmp/ge-html-XXXXXX)
KEEP=${KEEP_HTML:-}	# KEEP_HTML=dir: copy the screenshots there
cleanup() {
	local pid
	# Chromium helpers of our own profile dir only, by pid.
	for pid in $(pgrep -f -- "--user-data-dir=$tmp/" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

chromium_run() {	# chromium_run NAME ARGS... ; stderr in $tmp/NAME.log
	local name=$1; shift
	mkdir -p "$tmp/profile-$name"
	timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-quic --disable-extensions --user-data-dir="$tmp/profile-$name/" \
		--enable-logging=stderr --v=0 "$@" 2>"$tmp/$name.log"
}

if ! command -v chromium >/dev/null; then
	not_ok "chromium is installed (scripts/setup)"
	tap_done; exit
fi

"$GEOEGRESS" report --format html -o "$tmp/report.html" "$IN/basic.jsonl"
check "report --format html -o writes the file" test -s "$tmp/report.html"
"$GEOEGRESS" report --format json "$IN/basic.jsonl" >"$tmp/report.json"

# Self-contained: no script, no external resource, a CSP that forbids both.
if grep -qi '<script\|<link\|<img\|<iframe\|@import\|url(\|src=\|href=' "$tmp/report.html"; then
	not_ok "html has no script and no external reference" "$(grep -io '<script\|<link\|<img\|src=[^ ]*\|href=[^ ]*\|url([^)]*' "$tmp/report.html" | head)"
else
	ok "html has no script and no external reference"
fi
check_grep "html carries a CSP forbidding scripts and fetches" "Content-Security-Policy\" content=\"default-src 'none'" "$tmp/report.html"
check_grep "html has dark-mode CSS" "prefers-color-scheme:dark" "$tmp/report.html"
check_grep "html has print CSS" "@media print" "$tmp/report.html"

# Injection: every crafted string comes out as text, never as markup.
"$GEOEGRESS" report --format html "$IN/inject.jsonl" >"$tmp/inject.html"
if grep -qi '<script\|<img\|<iframe\|<svg onload\|<style>body\|<!--\|</td></tr></table><' "$tmp/inject.html"; then
	not_ok "crafted log cannot inject markup" "$(grep -io '<script[^>]*>\|<img[^>]*>\|<iframe[^>]*>\|<svg onload[^>]*>' "$tmp/inject.html" | head)"
else
	ok "crafted log cannot inject markup"
fi
check_grep "injected text is shown escaped" '&lt;script&gt;alert\(1\)&lt;/script&gt;' "$tmp/inject.html"

# Render: DOM, console, screenshot.
url="file://$tmp/report.html"
chromium_run dom --dump-dom "$url" >"$tmp/dom.html"
check "chromium loads the page (dump-dom)" grep -q '</html>' "$tmp/dom.html"
if grep -E 'Uncaught|CONSOLE|Refused to|ERR_' "$tmp/dom.log" >"$tmp/console"; then
	not_ok "no console errors while loading" "$(head -5 "$tmp/console")"
else
	ok "no console errors while loading"
fi
want_bars=$(jq '[.countries[] | .allow, .block, .reject, .log, .audit | select(. > 0)] | length' "$tmp/report.json")
got_bars=$(grep -o '<rect class="bar [a-z]*"' "$tmp/dom.html" | wc -l)
if [ "$got_bars" -eq "$want_bars" ] && [ "$want_bars" -gt 0 ]; then
	ok "country chart has one bar per non-zero country x action ($got_bars)"
else
	not_ok "country chart bars: got $got_bars, want $want_bars"
fi
want_tl=$(jq '[.timeline.points[] | .blocked, .audit | select(. > 0)] | length' "$tmp/report.json")
got_tl=$(grep -o '<rect class="tl [a-z ]*"' "$tmp/dom.html" | wc -l)
if [ "$got_tl" -eq "$want_tl" ] && [ "$want_tl" -gt 0 ]; then
	ok "timeline has one bar per non-zero hour and kind ($got_tl)"
else
	not_ok "timeline bars: got $got_tl, want $want_tl"
fi
for t in devices countries destinations; do
	want=$(jq ".$t | length" "$tmp/report.json")
	got=$(awk -v id="$t" '$0 ~ "<table id=\""id"\"" { on = 1 } on && /<\/table>/ { on = 0 }
		on && /<tr><td/ { n++ } END { print n + 0 }' "$tmp/dom.html")
	if [ "$got" -eq "$want" ]; then ok "table $t has $got rows"; else not_ok "table $t: $got rows, want $want"; fi
done

# Names (issue 13): hosts, registered domains and ASes, as rendered.
"$GEOEGRESS" report --format html -o "$tmp/names.html" "$IN/names.jsonl"
"$GEOEGRESS" report --format json "$IN/names.jsonl" >"$tmp/names.json"
chromium_run names --dump-dom "file://$tmp/names.html" >"$tmp/names-dom.html"
for t in hosts domains asns; do
	want=$(jq ".$t | length" "$tmp/names.json")
	got=$(awk -v id="$t" '$0 ~ "<table id=\""id"\"" { on = 1 } on && /<\/table>/ { on = 0 }
		on && /<tr><td/ { n++ } END { print n + 0 }' "$tmp/names-dom.html")
	if [ "$got" -eq "$want" ] && [ "$want" -gt 0 ]; then ok "names: table $t has $got rows"; else not_ok "names: table $t: $got rows, want $want"; fi
done
check_grep "names: the registered domain of a multi-label public suffix" '<td class="wrap">example.co.uk</td>' "$tmp/names-dom.html"
if grep -q '<table id="hosts"' "$tmp/dom.html" && ! grep -q '<table id="asns"' "$tmp/dom.html"; then
	ok "a log with hosts and no ASes: a hosts table, no AS table"
else
	not_ok "names tables only when the log has names"
fi

chromium_run shot --screenshot="$tmp/report.png" --window-size=1200,1600 "$url" >/dev/null
if [ -s "$tmp/report.png" ] && stats=$(python3 tests/report/pngstat.py "$tmp/report.png" cf222e 1a7f37 ffffff); then
	read -r w h colours red green white <<<"$stats"
	ok "screenshot written (${w}x$h, $(stat -c %s "$tmp/report.png") bytes)"
	if [ "$w" -eq 1200 ] && [ "$colours" -gt 50 ] && [ "$red" -gt 2000 ] && [ "$green" -gt 1000 ] &&
	   [ "$white" -gt $((w * h / 2)) ]; then
		ok "screenshot is non-trivial: $colours colours, red bars $red px, green bars $green px, white page"
	else
		not_ok "screenshot content" "$stats"
	fi
else
	not_ok "screenshot written"
fi

# Dark mode: the same page with a dark background.
chromium_run dark --force-dark-mode --blink-settings=preferredColorScheme=0 \
	--screenshot="$tmp/dark.png" --window-size=1200,1600 "$url" >/dev/null
if [ -s "$tmp/dark.png" ] && stats=$(python3 tests/report/pngstat.py "$tmp/dark.png" 0d1117 f85149); then
	read -r w h colours bg red <<<"$stats"
	if [ "$bg" -gt $((w * h / 2)) ] && [ "$red" -gt 1000 ]; then
		ok "dark mode: dark background ($bg px), bright red bars ($red px)"
	else
		not_ok "dark mode rendering" "$stats"
	fi
else
	not_ok "dark screenshot written"
fi

# The timeline's bucket comes from the span (issue 11, case 6): a log of a
# few minutes (tests/report/in/attempts.jsonl, 3.5 min) gets one bar per
# minute, not one full-height bar for the hour; no bar reaches the top
# unless its minute has the most blocks.
"$GEOEGRESS" report --format html "$IN/attempts.jsonl" >"$tmp/short.html"
"$GEOEGRESS" report --format json "$IN/attempts.jsonl" >"$tmp/short.json"
bars=$(grep -o '<rect class="tl blocked block"[^>]*height="[0-9.]*"' "$tmp/short.html" | grep -o 'height="[0-9.]*"' | tr -dc '0-9.\n')
nbars=$(printf '%s\n' "$bars" | grep -c .)
full=$(printf '%s\n' "$bars" | awk '$1 >= 199.9' | wc -l)
if grep -q 'Blocked flows per minute (UTC)' "$tmp/short.html" && [ "$nbars" -eq 3 ] && [ "$full" -eq 1 ] &&
   jq -e '.timeline.bucket == "minute" and (.timeline.points | length) == 4' "$tmp/short.json" >/dev/null; then
	ok "a 3.5-minute log: per-minute timeline, 3 non-empty bars of 4, one full height"
else
	not_ok "short log timeline" "bars: $(echo $bars); $(grep -o '<h2>Blocked flows per [^<]*' "$tmp/short.html")"
fi

chromium_run pdf --print-to-pdf="$tmp/report.pdf" --no-pdf-header-footer "$url" >/dev/null
if [ -s "$tmp/report.pdf" ] && head -c 5 "$tmp/report.pdf" | grep -q '%PDF'; then
	ok "prints to PDF ($(stat -c %s "$tmp/report.pdf") bytes)"
else
	not_ok "print to PDF"
fi
if [ -n "$KEEP" ]; then
	mkdir -p "$KEEP" && cp "$tmp"/*.png "$tmp"/*.pdf "$tmp/report.html" "$KEEP"/ 2>/dev/null
fi
tap_done
