#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Policy evaluations per second: rules_eval() on a generated 200-rule
# policy (most flows fall through to late rules) against a trivial
# evaluation loop in the same process.  Fails when one evaluation takes
# 1 µs or more.  RULES_BENCH_N (default 2000000), RULES_BENCH_SEED (1).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BIN=$BUILD/tests/bench/bench_rules

[ -x "$BIN" ] || { echo "b_rules: $BIN missing; run make tests BUILD=..." >&2; exit 1; }
timeout 60 "$BIN" "${RULES_BENCH_N:-2000000}" "${RULES_BENCH_SEED:-1}"
