#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The build's daemon lives its whole life as a dedicated system user, as
# the shipped unit runs it (User=, only CAP_NET_ADMIN ambient and bounding,
# no_new_privs; emulated with setpriv, no systemd as PID 1 here) under its
# own seccomp filter: start, hook, decide, reload, log rotation, hook
# repair, stop (tests/netns/lifecycle.sh).  The user is made for the test
# and removed after it.
set -u
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/lifecycle.sh"

netns_setup svcuser
U=ge-svc-$$
cleanup() {
	netns_cleanup
	getent passwd "$U" >/dev/null && userdel "$U" 2>/dev/null
	getent group "$U" >/dev/null && groupdel "$U" 2>/dev/null
	return 0
}
trap cleanup EXIT
useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U" ||
	{ not_ok "useradd $U"; tap_done; exit 1; }

life_cycle "$U"
tap_done
