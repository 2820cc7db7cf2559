#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The test runner: every unit-test binary given as an argument, then every
# tests/integration/*.sh and tests/lab/*.sh script.  Prints PASS/FAIL/SKIP with
# timings, shows a failing test's log and keeps it; passing logs are deleted.
# Scripts exit 0 (pass), 77 (skip, with a reason on their last line) or other
# (fail).  ONLY=regex restricts the run.  The last line is "N passed, N failed".
set -u
export BB_BIN=${BB_BIN:-./bufferbane} BB_SERVER_BIN=${BB_SERVER_BIN:-./bufferbane-server}
export BB_TOP=$(pwd)
logdir=$(mktemp -d /tmp/bufferbane-tests.XXXXXX)
passed=0 failed=0 skipped=0
failures=()

run_one() {
	local name=$1; shift
	if [ -n "${ONLY:-}" ] && ! [[ $name =~ $ONLY ]]; then return; fi
	local log=$logdir/$(echo "$name" | tr '/' '_').log
	local t0=${EPOCHREALTIME/./}
	"$@" >"$log" 2>&1
	local rc=$?
	local us=$(( ${EPOCHREALTIME/./} - t0 ))
	local dt=$(printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)))
	if [ $rc -eq 0 ]; then
		printf 'PASS  %-44s %7ss\n' "$name" "$dt"
		passed=$((passed + 1))
		rm -f "$log"
	elif [ $rc -eq 77 ]; then
		printf 'SKIP  %-44s %7ss  *** SKIPPED: %s\n' "$name" "$dt" "$(tail -1 "$log")"
		skipped=$((skipped + 1))
		rm -f "$log"
	else
		printf 'FAIL  %-44s %7ss  (exit %d, log %s)\n' "$name" "$dt" $rc "$log"
		sed 's/^/    | /' "$log" | tail -60
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

for bin in "$@"; do
	run_one "unit/$(basename "$bin")" "$bin"
done
for t in tests/integration/*.sh tests/lab/*.sh; do
	[ -f "$t" ] || continue
	run_one "${t#tests/}" bash "$t"
done

[ $failed -eq 0 ] && rmdir "$logdir" 2>/dev/null
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
