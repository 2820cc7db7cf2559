#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each libFuzzer target for SECONDS over its seed corpus
# (tests/fuzz/corpus/<name>/); any crash or sanitizer report fails the run.
set -u
secs=$1; shift
fail=0
for bin in "$@"; do
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	echo "fuzz: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix="$work/" \
		"$work" >"$work.log" 2>&1; then
		tail -40 "$work.log"
		echo "fuzz: $name FAILED (artifacts in $work)"
		fail=1
	else
		grep -E '^#[0-9]+.*DONE' "$work.log" | tail -1
		rm -rf "$work" "$work.log"
	fi
done
exit $fail
