#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Decision records to a real rsyslog (issue 14, item 4): rsyslogd (Debian's
# package) runs in the lab's wan namespace with a config of the test's
# own, receiving over UDP (RFC 5426) and TCP (RFC 6587 octet counting, on
# IPv6), parsing each message as RFC 5424 and the record with its own
# modules (mmjsonparse for the JSON payload, mmpstrucdata for the
# structured data), and storing what it parsed.  The test checks the
# stored RFC 5424 fields (version, PRI = daemon.notice/info, TIMESTAMP =
# the record's ts, HOSTNAME = option gateway, APP-NAME, PROCID, MSGID),
# that the records rsyslog parsed are exactly those of the daemon's own
# file, a TCP burst arrives whole, records made while the collector is
# down arrive after it comes back, and `geoegress report` reads what
# rsyslog stored (central collection).  Only lab addresses.
# TEST_TIMEOUT=300
. "$(dirname "$0")/common.sh"
netns_setup syslog

if ! command -v rsyslogd >/dev/null; then
	not_ok "rsyslogd is installed (scripts/setup: rsyslog)"
	tap_done; exit 1
fi
R=$T/rsyslog
mkdir -p "$R/work"
cat >"$R/rsyslog.conf" <<EOF
global(workDirectory="$R/work" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="mmjsonparse")
module(load="mmpstrucdata")
# what rsyslog parsed: the RFC 5424 header, the JSON payload, the SD
template(name="tree" type="list") { property(name="\$!all-json") constant(value="\n") }
template(name="ts" type="string" string="%timereported:::date-rfc3339%")
template(name="msgline" type="string" string="%msg%\n")
ruleset(name="collect") {
	set \$!syslog!pri = \$pri;
	set \$!syslog!version = \$protocol-version;
	set \$!syslog!timestamp = exec_template("ts");
	set \$!syslog!hostname = \$hostname;
	set \$!syslog!app = \$app-name;
	set \$!syslog!procid = \$procid;
	set \$!syslog!msgid = \$msgid;
	set \$!syslog!input = \$inputname;
	set \$!syslog!msg = \$msg;
	action(type="mmpstrucdata")
	action(type="mmjsonparse" cookie="" container="\$!record")
	action(type="omfile" file="$R/parsed.jsonl" template="tree")
	if \$parsesuccess == "OK" then
		action(type="omfile" file="$R/central.jsonl" template="msgline")
}
input(type="imudp" address="198.18.0.2" port="5514" ruleset="collect")
input(type="imtcp" address="2001:db8:fe::2" port="6514" ruleset="collect")
EOF
RPID=
rsyslog_start() {
	ip netns exec "$P-wan" rsyslogd -n -f "$R/rsyslog.conf" -i "$R/rsyslogd.pid" >>"$R/rsyslogd.out" 2>&1 &
	RPID=$!
	echo "$RPID" >"$(lab_dir "$P")/rsyslogd.pid"	# lab_down ends it
	for i in $(seq 1 50); do
		lab_in "$P-wan" ss -Hlnt 'sport = :6514' 2>/dev/null | grep -q . &&
			lab_in "$P-wan" ss -Hlnu 'sport = :5514' 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
rsyslog_stop() {
	kill -TERM "$RPID" 2>/dev/null
	for i in $(seq 1 50); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	rm -f "$(lab_dir "$P")/rsyslogd.pid"
}
if rsyslog_start; then ok "rsyslogd listens in $P-wan: UDP 198.18.0.2:5514, TCP [2001:db8:fe::2]:6514"
else not_ok "rsyslogd did not start" "$(cat "$R/rsyslogd.out")"; tap_done; exit 1; fi

POL=$T/policy.conf
write_policy() {	# write_policy LOG-SYSLOG-VALUE
	cat >"$POL" <<EOF
option database "$FIX/geoip2.mmdb"
option log-file "$LOG"
option log-rate unlimited
option log-syslog $1
option gateway "gw-pune"
devices managed = { 02:00:5e:00:53:01 }
block from @managed to country CN name "no-cn"
allow log to country SG name "sg] \\"log\\" \\\\"
default allow
EOF
}
# received N FILTER: waits (<= 8 s) until rsyslog stored N records matching jq FILTER
received() {
	local i n=0
	for i in $(seq 1 80); do
		n=$(jq -c "select($2)" "$R/parsed.jsonl" 2>/dev/null | wc -l)
		[ "$n" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "$n"
	return 1
}
# file_records FILTER: the daemon's own records, sorted JSON, one a line
file_records() { jq -cS "select($1)" "$LOG" | sort; }

# --- UDP, the record as JSON payload --------------------------------------
write_policy "udp://198.18.0.2:5514"
netns_start "$POL"
GEPID=$LAB_GE_PID
curl_rc "$P-phone" http://198.51.100.10/ >/dev/null	# block, notice
curl_rc "$P-laptop" http://203.0.113.10/ >/dev/null	# allow log, info
lab_in "$P-phone" ping -c1 -W1 198.51.100.10 >/dev/null 2>&1
if n=$(received 3 '.syslog.input == "imudp"'); then ok "rsyslog stored 3 records received over UDP"
else not_ok "rsyslog got $n UDP records" "$(tail -3 "$R/parsed.jsonl" 2>&1; tail -3 "$R/rsyslogd.out")"; fi
u=$(jq -c 'select(.syslog.input == "imudp")' "$R/parsed.jsonl")
bad=$(jq -r --arg pid "$GEPID" 'select(.syslog.version != "1" or .syslog.hostname != "gw-pune" or
	.syslog.app != "geoegress" or .syslog.procid != $pid or .syslog.msgid != "decision") | .syslog' <<<"$u")
[ -z "$bad" ] && ok "RFC 5424 header: version 1, HOSTNAME gw-pune, APP-NAME geoegress, PROCID the daemon's, MSGID decision" ||
	not_ok "RFC 5424 header fields" "$bad"
bad=$(jq -r 'select(.syslog.timestamp != .record.ts) | [.syslog.timestamp, .record.ts] | @tsv' <<<"$u")
[ -z "$bad" ] && ok "TIMESTAMP is the record's ts (RFC 3339, UTC, ms)" || not_ok "timestamps" "$bad"
bad=$(jq -r 'select((.record.action == "block") != (.syslog.pri == "29") or
	(.record.action == "allow" and .syslog.pri != "30")) | [.record.action, .syslog.pri] | @tsv' <<<"$u")
[ -z "$bad" ] && ok "PRI: daemon.notice (29) for a block, daemon.info (30) for an allow" || not_ok "PRI" "$bad"
jq -cS '.record' <<<"$u" | sort >"$T/got.udp"
file_records 'true' >"$T/want.udp"
diff "$T/want.udp" "$T/got.udp" >"$T/diff" && ok "the JSON payloads rsyslog parsed are exactly the records of the file ($(wc -l <"$T/want.udp"))" ||
	not_ok "payloads differ from the file" "$(head -20 "$T/diff")"
jq -e 'select(.record.action == "block") | .record.gateway == "gw-pune" and .record.country == "CN"' <<<"$u" >/dev/null &&
	ok "the record names the gateway" || not_ok "record without gateway" "$u"

# --- reload: TCP over IPv6, the record as structured data -----------------
write_policy '"tcp://[2001:db8:fe::2]:6514" format sd'
out=$(lab_ge "$P" reload 2>&1) && ok "reload to tcp://[2001:db8:fe::2]:6514 format sd" || not_ok "reload" "$out"
mark=$(wc -l <"$LOG")
curl_rc "$P-phone" http://198.51.100.10/ >/dev/null
curl_rc "$P-guest" http://203.0.113.10/ >/dev/null
if n=$(received 2 '.syslog.input == "imtcp"'); then ok "rsyslog stored records received over TCP (octet counting)"
else not_ok "rsyslog got $n TCP records" "$(tail -3 "$R/rsyslogd.out")"; fi
t=$(jq -c 'select(.syslog.input == "imtcp")' "$R/parsed.jsonl")
jq -e -s 'all(.[]; .syslog.msg == "" and .syslog.hostname == "gw-pune" and .syslog.version == "1" and
	(.["rfc5424-sd"]["geoegress@32473"] | type) == "object")' <<<"$t" >/dev/null &&
	ok "SD format: one SD-ELEMENT geoegress@32473 that mmpstrucdata parses, no MSG" ||
	not_ok "SD messages" "$(head -c 600 <<<"$t")"
# Each SD-ELEMENT has the record's fields: every non-null one, as text.
# (mmpstrucdata undoes the \" escape but leaves \\ and \]; RFC 5424
# section 6.3.3 has all three, so the test undoes those two.)
jq -cS '.["rfc5424-sd"]["geoegress@32473"] | map_values(gsub("\\\\(?<c>[\\]\\\\])"; "\(.c)"))' <<<"$t" |
	sort >"$T/got.sd"
tail -n +"$((mark + 1))" "$LOG" | jq -cS 'with_entries(select(.value != null) | .value |= tostring)' | sort >"$T/want.sd"
diff "$T/want.sd" "$T/got.sd" >"$T/diff" && ok "the SD parameters are exactly the records' fields ($(wc -l <"$T/want.sd")), \"]\" escaped" ||
	not_ok "SD parameters differ from the file" "$(head -20 "$T/diff")"

# A burst over TCP: every record arrives whole (framing by octet counting).
mark=$(wc -l <"$LOG")
pids=()
for i in $(seq 1 40); do
	lab_in "$P-phone" curl -s -o /dev/null -m 0.5 "http://198.51.100.10:$((8000 + i))/" >/dev/null 2>&1 &
	pids+=($!)
done
wait "${pids[@]}" 2>/dev/null
burst() {	# distinct ports 8001-8040 among records: burst FILE JQ-PATH-TO-DPORT
	jq -r "$2 // empty" "$1" 2>/dev/null | awk '$1 >= 8001 && $1 <= 8040' | sort -u | wc -l
}
for i in $(seq 1 50); do [ "$(burst "$LOG" .dport)" -ge 40 ] && break; sleep 0.1; done
for i in $(seq 1 80); do
	got=$(burst "$R/parsed.jsonl" 'select(.syslog.input == "imtcp") | .["rfc5424-sd"]["geoegress@32473"].dport')
	[ "$got" -ge 40 ] && break; sleep 0.1
done
want=$(burst "$LOG" .dport)
[ "$want" = 40 ] && [ "$got" = 40 ] && ok "a burst of 40 records over TCP: all arrived whole" ||
	not_ok "TCP burst: $got of $want records arrived" "$(tail -3 "$R/rsyslogd.out")"

# --- the collector goes away and comes back --------------------------------
rsyslog_stop
mark=$(wc -l <"$LOG")
curl_rc "$P-phone" http://198.51.100.10:81/ >/dev/null
curl_rc "$P-phone" http://198.51.100.10:82/ >/dev/null
sleep 1
rsyslog_start || not_ok "rsyslogd restart" "$(tail -3 "$R/rsyslogd.out")"
curl_rc "$P-phone" http://198.51.100.10:83/ >/dev/null
if n=$(received 1 '.record.dport == 83 or .["rfc5424-sd"]["geoegress@32473"].dport == "83"'); then
	ok "after the collector's restart the daemon reconnected"
else not_ok "no record after rsyslog's restart" "$(lab_ge "$P" stats --json | jq .log)"; fi
for i in $(seq 1 50); do
	n=$(jq -c 'select(.["rfc5424-sd"]["geoegress@32473"].dport == "81" or .["rfc5424-sd"]["geoegress@32473"].dport == "82")' "$R/parsed.jsonl" | wc -l)
	[ "$n" -ge 2 ] && break; sleep 0.1
done
[ "$n" -ge 2 ] && ok "records made while the collector was down arrived after it came back" ||
	not_ok "records of the outage: $n of 2 arrived"
lab_ge "$P" stats --json >"$T/s.json"
jq -e '.log.syslog.sent >= 5 and .log.syslog.connected == true and .log.syslog.target == "tcp://[2001:db8:fe::2]:6514"' "$T/s.json" >/dev/null &&
	ok "stats: syslog target, sent, connected" || not_ok "stats syslog" "$(jq -c .log "$T/s.json")"
lab_ge "$P" stats --format prometheus | grep -q '^geoegress_log_syslog_sent_total [1-9]' &&
	ok "metrics: geoegress_log_syslog_sent_total" || not_ok "no syslog metric"

# --- central review: geoegress report reads what rsyslog stored ------------
"$GEOEGRESS" report --format json "$R/central.jsonl" >"$T/central.json" 2>"$T/central.err"
jq -e '.totals.records >= 3 and (.gateways | length) == 1 and .gateways[0].gateway == "gw-pune"' "$T/central.json" >/dev/null &&
	ok "report over rsyslog's file: the records and their gateway" ||
	not_ok "report of the central file" "$(cat "$T/central.err"; head -c 400 "$T/central.json")"
lab_stop_geoegress "$P"
grep -q seccomp "$(lab_dir "$P")/geoegress.log" && not_ok "seccomp complained" || ok "no system call outside the allow-list"
tap_done
