#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A decision log that cannot be written never stops filtering: the log is
# /dev/full, a path in a missing directory, or a file on a tiny tmpfs that
# fills up; in each case CN stays blocked, SG allowed, and stats counts
# the lost records in log.failed.
. "$(dirname "$0")/common.sh"
netns_setup logfail
SMALL=$T/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=8k,mode=0700 ge-logfail "$SMALL" || not_ok "tmpfs for the full-disk case"
trap 'umount "$SMALL" 2>/dev/null; netns_cleanup' EXIT

policy() {	# policy FILE LOGPATH
	cat >"$1" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$2"
option log-rate unlimited
option fail-mode closed
devices managed = { 198.18.1.0/24 }
block from @managed to country CN name "no-cn"
allow log from @managed to country SG name "sg-logged"
default allow
EOF
}
for case in devfull missingdir tmpfs; do
	case $case in
	devfull) path=/dev/full ;;
	missingdir) path=$T/no/such/dir/decisions.jsonl ;;
	tmpfs) path=$SMALL/decisions.jsonl ;;
	esac
	policy "$T/$case.conf" "$path"
	if ! lab_run_geoegress "$P" "$T/$case.conf"; then
		not_ok "$case: daemon runs although the log cannot be written" "$(tail -5 "$(lab_dir "$P")/geoegress.log")"
		continue
	fi
	ok "$case: daemon runs although the log cannot be written"
	# enough logged decisions to fill 8 KiB several times over
	for i in $(seq 1 40); do lab_in "$P-phone" curl -s -o /dev/null -m 2 http://203.0.113.10/; done
	rc=$(curl_rc "$P-phone" http://198.51.100.10/)
	[ "$rc" = 28 ] && ok "$case: CN still blocked" || not_ok "$case: CN still blocked" "curl exit $rc"
	rc=$(curl_rc "$P-phone" http://203.0.113.10/)
	[ "$rc" = 0 ] && ok "$case: SG still allowed" || not_ok "$case: SG still allowed" "curl exit $rc"
	j=$(ge_json)
	if printf '%s' "$j" | jq -e '.log.failed >= 1 and .by_action.allow >= 41 and .by_action.block >= 1' >/dev/null 2>&1; then
		ok "$case: stats counts the lost records (log.failed $(printf '%s' "$j" | jq .log.failed))"
	else not_ok "$case: stats counts the lost records" "$(printf '%s' "$j" | jq -c '{log, by_action}' 2>&1)"; fi
	if [ $case = tmpfs ]; then
		n=$(jq -c . "$path" 2>/dev/null | wc -l)
		[ "$n" -ge 1 ] && ok "tmpfs: records were written until the disk filled ($n)" || not_ok "tmpfs: records written until full" "$n"
		tail -c 1 "$path" | od -c | grep -q '\\n' && ok "tmpfs: the log ends with a complete line" ||
			not_ok "tmpfs: the log ends with a complete line" "$(tail -c 80 "$path")"
	fi
	lab_stop_geoegress "$P"
	[ "$LAB_GE_RC" = 0 ] && ok "$case: clean exit" || not_ok "$case: clean exit" "exit $LAB_GE_RC"
done
tap_done
