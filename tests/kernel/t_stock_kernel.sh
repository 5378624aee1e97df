#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The netns scenarios again, under Debian's stock kernel in a VM
# (scripts/kernel-vm): there nft has the `queue` expression and
# NETLINK_GLUE_CT, so `--hook-backend nft` exercises geoegress's
# `table inet geoegress` path, which a kernel without CONFIG_NFT_QUEUE
# cannot.  Runs `tests/run` for the chosen tests inside the VM and re-emits
# every inner TAP line as "[6.1.0-NN stock kernel, nft] t_name: ...".
#
#   KERNEL_VM=0              skip (the reason is printed)
#   KERNEL_VM_TESTS="..."    which tests/netns tests (names without .sh), or "all"
#   KERNEL_VM_BACKEND=nft    the --hook-backend for every daemon (nft|iptables|auto)
#   KERNEL_VM_TIMEOUT=1700   seconds for the whole VM run (qemu is killed then)
#
# A VM that cannot start (no qemu, no kernel package, boot failure) is a
# skip with its reason, never a pass; a test failing inside the VM is a
# failure.  Inner logs: $BUILD/test-logs/kernel-BACKEND/.  Runs once per
# `.ci/run`: the SANITIZE=1 pass skips it.
# TEST_TIMEOUT=1800
set -u
. "$(dirname "$0")/../lib.sh"

# The netns tests make check runs in the VM, chosen for the paths the nft
# backend changes: the queue rule and its verdicts (decide, udpstream,
# flood), reload and fail modes (reload, failmode, exit), issue 9's hook
# tests (hookwatch 4 min, failclosed 2, owntraffic 1) and the names rule,
# which copies DNS answers to NFLOG from our table (names, 1 min): about
# 13 min on 2 cores.  t_badpkt, t_audit, t_logfail, t_existing (4.5 min)
# and the rest run under the stock kernel in make check-kernel, which runs
# every netns test on both backends.
KERNEL_VM_TESTS=${KERNEL_VM_TESTS:-"t_decide t_udpstream t_reload t_failmode t_exit t_flood t_hookwatch t_failclosed t_owntraffic t_names"}
BACKEND=${KERNEL_VM_BACKEND:-nft}

skip() { echo "1..0 # SKIP $*"; exit 0; }
[ "${KERNEL_VM:-1}" = 0 ] && skip "KERNEL_VM=0: the stock-kernel VM tests are switched off"
[ "${SANITIZE:-0}" = 1 ] && skip "sanitizer build: the stock-kernel VM tests run once, in the plain make check"
[ -n "${KERNEL_VM_GUEST:-}" ] && skip "already inside the stock-kernel VM"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces in the VM)"
case $BACKEND in nft | iptables | auto) ;; *) not_ok "KERNEL_VM_BACKEND=$BACKEND is nft, iptables or auto"; tap_done; exit 1 ;; esac

# What the guest runs comes from the host's build dir (read-only there).
for b in "$GEOEGRESS" "$BUILD/tests/bench/flowgen"; do
	[ -x "$b" ] || { not_ok "$b is built (make tests)"; tap_done; exit 1; }
done

if [ "$KERNEL_VM_TESTS" = all ]; then
	tests=$(for f in "$TOP"/tests/netns/t_*.sh; do basename "$f" .sh; done | tr '\n' ' ')
else
	tests=$KERNEL_VM_TESTS
fi
patterns=()
for t in $tests; do
	[ -f "$TOP/tests/netns/$t.sh" ] || { not_ok "tests/netns/$t.sh exists"; tap_done; exit 1; }
	patterns+=("tests/netns/$t.sh")
done
[ ${#patterns[@]} -gt 0 ] || { not_ok "KERNEL_VM_TESTS names at least one test"; tap_done; exit 1; }

# Inputs the guest cannot build usefully (its writes vanish): build them here.
if [ ! -f "$BUILD/fixtures/geoip2.mmdb" ]; then
	"$TOP/scripts/geodb-fixture" "$BUILD/fixtures" >/dev/null || { not_ok "fixture databases"; tap_done; exit 1; }
fi
case " $tests " in
*" t_bench_smoke "*)
	db=$BUILD/country-bench.mmdb
	if [ ! -f "$db" ] || [ "$TOP/scripts/geodb-build" -nt "$db" ]; then
		"$TOP/scripts/geodb-build" --bench-overlay "$db" >/dev/null || { not_ok "build $db"; tap_done; exit 1; }
	fi
	;;
esac

logs=$BUILD/test-logs/kernel-$BACKEND
rm -rf "$logs"
mkdir -p "$logs"
if ! kdir=$("$TOP/scripts/kernel-vm" prepare 2>"$logs/prepare.err"); then
	skip "no stock-kernel VM: $(grep -v '^kernel-vm: prepar' "$logs/prepare.err" | tail -1 | sed 's/^kernel-vm: //')"
fi
rel=$(cat "$kdir/release")
tag="[${rel%-amd64} stock kernel, $BACKEND]"

# The inner tests/run prints one line per test as it finishes: shown as
# comments, live (make check-kernel streams them).
start=$(date +%s)
"$TOP/scripts/kernel-vm" run --timeout "${KERNEL_VM_TIMEOUT:-1700}" --rw "$logs" -- \
	env LAB_GE_ARGS="--hook-backend $BACKEND" TEST_LOGS="$logs" TEST_TIMEOUT=900 \
	tests/run "${patterns[@]}" 2>"$logs/vm.err" | tee "$logs/run.out" | sed -u "s/^/# vm: /"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))
if [ "$rc" = 77 ] && ! grep -q . "$logs/run.out"; then
	skip "the stock-kernel VM did not start: $(grep '^kernel-vm: ' "$logs/vm.err" | head -3 | sed 's/^kernel-vm: //' | tr '\n' ' ')"
fi
echo "# $tag ${#patterns[@]} tests in ${secs}s (exit $rc)"

# Re-emit the inner TAP, test by test, with the kernel and backend in front.
inner_failed=0
for t in $tests; do
	log=$logs/tests_netns_$t.sh.log
	if [ ! -f "$log" ]; then
		not_ok "$tag $t ran in the VM" "no log $log; $(tail -5 "$logs/vm.err")"
		inner_failed=1
		continue
	fi
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$tag $t: $(sed -E 's/^ok ([0-9]+ )?(- )?//' <<<"$line")" ;;
		"not ok "*)
			not_ok "$tag $t: $(sed -E 's/^not ok ([0-9]+ )?(- )?//' <<<"$line")"
			inner_failed=1
			;;
		"#"*) echo "$line" ;;
		esac
	done <"$log"
done
if [ "$rc" != 0 ] && [ $inner_failed = 0 ]; then
	not_ok "$tag the VM run ends with status 0" "exit $rc: $(tail -5 "$logs/vm.err")"
fi
tap_done
