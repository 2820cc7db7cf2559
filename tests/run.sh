#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The test runner: every unit-test binary given as an argument, then every
# tests/integration/*.sh and tests/lab/*.sh script.  Prints PASS/FAIL/SKIP with
# timings, shows a failing test's log and keeps it; passing logs are deleted.
# Scripts exit 0 (pass), 77 (skip, with a reason on their last line) or other
# (fail).  ONLY=regex restricts the run.  The last line is "N passed, N failed".
# Scripts marked "# bb-test: background" start first and run beside the rest.
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
	local t0=${RUN_T0:-${EPOCHREALTIME/./}}
	"$@" >"$log" 2>&1
	local rc=$?
	# A script without set -e runs on past a misspelt or not yet defined
	# function, and a check it skipped that way must not pass unseen.
	if [ $rc -eq 0 ] && grep -q ': command not found$' "$log"; then
		echo "run.sh: the script ran a command that does not exist" >>"$log"
		rc=1
	fi
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

# A script marked "# bb-test: background" spends most of its time waiting
# (the field test waits 5 minutes for the first scheduled test by design;
# passive_bloat watches five runs of a 1/s monitor; dns_issue waits out a
# stopped DNS server) and sends little: it starts first, runs beside the others in namespaces of its own, and its
# result is collected at the end.
background=()
for t in tests/integration/*.sh tests/lab/*.sh; do
	if [ -f "$t" ] && grep -q '^# bb-test: background' "$t" &&
		{ [ -z "${ONLY:-}" ] || [[ ${t#tests/} =~ $ONLY ]]; }; then
		background+=("$t")
	fi
done
declare -A bg_pid bg_t0
for t in "${background[@]}"; do
	bg_t0[$t]=${EPOCHREALTIME/./}
	bash "$t" >"$logdir/$(basename "$t").bg" 2>&1 &
	bg_pid[$t]=$!
	printf 'START %-44s (in the background)\n' "${t#tests/}"
done
is_background() {
	local b
	for b in "${background[@]}"; do [ "$b" = "$1" ] && return 0; done
	return 1
}

for bin in "$@"; do
	run_one "unit/$(basename "$bin")" "$bin"
done
for t in tests/integration/*.sh tests/lab/*.sh; do
	[ -f "$t" ] || continue
	is_background "$t" && continue
	run_one "${t#tests/}" bash "$t"
done
# collect the background scripts: their exit status, output and run time
bg_wait() { wait "$1"; local rc=$?; cat "$2"; rm -f "$2"; return $rc; }
for t in "${background[@]}"; do
	RUN_T0=${bg_t0[$t]} run_one "${t#tests/}" bg_wait "${bg_pid[$t]}" \
		"$logdir/$(basename "$t").bg"
done

[ $failed -eq 0 ] && rmdir "$logdir" 2>/dev/null
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped" |
	tee "${BB_BUILD:-build}/test-summary.txt"
[ $failed -eq 0 ]
