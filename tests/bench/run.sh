#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench: every benchmark binary given, then every tests/bench/*.sh
# script (the lab benchmarks against ping, irtt, fping and iperf3; they need
# root).  Results go to stdout and to build/bench-results.txt.  Benchmarks
# report figures; they never fail the build on a figure.
set -u
out=build/bench-results.txt
mkdir -p build
: >"$out"
for bin in "$@"; do
	echo "== $(basename "$bin")" | tee -a "$out"
	"$bin" 2>&1 | tee -a "$out"
done
for s in tests/bench/*.sh; do
	[ -f "$s" ] && [ "$s" != tests/bench/run.sh ] || continue
	[ -n "${ONLY:-}" ] && ! [[ $s =~ $ONLY ]] && continue
	echo "== $(basename "$s")" | tee -a "$out"
	bash "$s" 2>&1 | tee -a "$out"
done
echo "results: $out"
