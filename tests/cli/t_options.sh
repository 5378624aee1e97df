#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every subcommand reads its options the same way (cli_option_error,
# cli_usage_error, cli_help): an unrecognized option, one missing its
# argument, one given an argument it takes not, and an ambiguous
# abbreviation each get one line saying which and what, then the synopsis
# and where the help is (not the whole help: the error stays in sight),
# exit 2; --help anywhere among the options prints the usage on stdout,
# exit 0.  And the arguments that were taken unchecked: --country of
# report and flows, a second --asn of explain.
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1
tmp=$(mktemp -d /tmp/ge-options-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# run SUB ARGS...: exit status in $rc, stdout in $tmp/out, stderr in $tmp/err
run() { "$GEOEGRESS" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# usage_err DESC WANT SUB CMD...: runs geoegress CMD...; exit 2, the first line of stderr is
# "geoegress SUB: WANT", the synopsis follows (at most 5 lines) and the
# last line points at SUB --help; nothing on stdout
usage_err() {
	local desc=$1 want=$2 sub=$3 first n last
	shift 3
	run "$@"
	first=$(head -1 "$tmp/err"); n=$(wc -l <"$tmp/err"); last=$(tail -1 "$tmp/err")
	if [ $rc -eq 2 ] && [ "$first" = "geoegress $sub: $want" ] && [ "$n" -le 7 ] &&
		sed -n 2p "$tmp/err" | grep -q "^Usage: geoegress $sub " &&
		[ "$last" = "Try 'geoegress $sub --help' for more." ] && [ ! -s "$tmp/out" ]; then
		ok "$desc"
	else
		not_ok "$desc" "rc $rc, $n lines; want first line 'geoegress $sub: $want'; got: $(cat "$tmp/err" "$tmp/out" | head -12)"
	fi
}

# Each subcommand: unrecognized long and short options, a missing argument.
declare -A argopt=( [run]=--ctl [check]=--db [explain]=--db [lookup]=--db [report]=--since
	[stats]=--ctl [reload]=--ctl [unlock]=--state-dir [flows]=--device )
for sub in run check explain lookup report stats reload unlock flows; do
	usage_err "$sub --bogus: unrecognized, named" "unrecognized option '--bogus'" "$sub" "$sub" --bogus
	usage_err "$sub -Z: unrecognized, named" "unrecognized option '-Z'" "$sub" "$sub" -Z
	usage_err "$sub ${argopt[$sub]} at the end: needs an argument" \
		"option '${argopt[$sub]}' needs an argument" "$sub" "$sub" "${argopt[$sub]}"
done
usage_err "check -vZ: the unknown letter of a cluster is named" "unrecognized option '-Z'" check check -vZ
usage_err "check -c at the end: needs an argument" "option '-c' needs an argument" check check -c
usage_err "lookup ADDR --db: needs an argument (options after addresses)" "option '--db' needs an argument" \
	lookup lookup 192.0.2.1 --db
usage_err "flows --json=1: takes no argument" "option '--json' takes no argument" flows flows --json=1
usage_err "flows --d: ambiguous, the candidates listed" "option '--d' is ambiguous: --db, --device" flows flows --d x
usage_err "stats --bogus=1: unrecognized, named without its value" "unrecognized option '--bogus'" stats stats --bogus=1
usage_err "check --config=/x -Zv: the unknown letter is named, not the word before" "unrecognized option '-Z'" \
	check check --config=/x -Zv
usage_err "lookup --nat64=x -Zj ADDR: the same in a permuting subcommand" "unrecognized option '-Z'" \
	lookup lookup --nat64=x -Zj 192.0.2.1
usage_err "check --verb=1: an abbreviation given an argument is named in full" \
	"option '--verbose' takes no argument" check check --verb=1
usage_err "check --d: an abbreviation missing its argument is named in full" "option '--db' needs an argument" check check --d
usage_err "check --=x: no name at all" "unrecognized option '--=x'" check check --=x

# --help after other options: the usage on stdout, exit 0, nothing on stderr.
for a in "run -f --help" "check -v --help" "explain -c x --help" "lookup 192.0.2.1 --help" "report -r --help" \
	"stats --json --help" "reload --ctl /nonexistent --help" "unlock --ctl /nonexistent --help" "flows -j --help"; do
	sub=${a%% *}
	# shellcheck disable=SC2086  # the words of $a
	run $a
	[ $rc -eq 0 ] && head -1 "$tmp/out" | grep -q "^Usage: geoegress $sub " && [ ! -s "$tmp/err" ] &&
		ok "$a: the usage on stdout, exit 0" || not_ok "$a: the usage on stdout, exit 0" "rc $rc: $(head -3 "$tmp/out" "$tmp/err")"
done

# Arguments checked at the option, not taken as they come.
for sub in report flows; do
	usage_err "$sub --country CHN: not a two-letter code" \
		"--country: 'CHN' is not a two-letter code (ISO 3166-1 alpha-2, as in the log: CN, SG) or unknown" \
		"$sub" "$sub" --country CHN
done
printf '{"ts":"2026-11-27T07:00:00Z","action":"block","src":"198.18.1.10","dst":"198.51.100.10","country":"CN","proto":"tcp","dport":443}\n' >"$tmp/log.jsonl"
run report --country cn --format json "$tmp/log.jsonl"
[ $rc -eq 0 ] && [ "$(jq -c '[.totals.flows, .totals.block]' "$tmp/out" 2>/dev/null)" = "[1,1]" ] &&
	ok "report --country cn: lower case is the same code" || not_ok "report --country cn" "rc $rc: $(head -c 400 "$tmp/out") $(cat "$tmp/err")"
run report --country unknown --format json "$tmp/log.jsonl"
[ $rc -eq 0 ] && [ "$(jq -c '[.totals.flows, .totals.filtered_records]' "$tmp/out" 2>/dev/null)" = "[0,1]" ] && ok "report --country unknown: accepted (the CN record filtered out)" || not_ok "report --country unknown" "rc $rc: $(cat "$tmp/err")"
usage_err "explain --asn twice: a destination has one AS" \
	"--asn given twice ('AS1', then '2'): give the destination's one AS" explain \
	explain --from 198.18.1.1 --to 192.0.2.1 --asn AS1 --asn 2
# A bad value stops the reading where it stands, before a later --help.
for sub in report flows; do
	run "$sub" --country CHN --help
	[ $rc -eq 2 ] && ok "$sub --country CHN --help: the bad value is the answer (exit 2)" ||
		not_ok "$sub --country CHN --help: exit 2" "rc $rc"
done
tap_done
