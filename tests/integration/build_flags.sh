#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Makefile's command lines (make -n, nothing is built): a sanitizer build
# compiles at -O1 whatever CFLAGS says, and CPPFLAGS/LDFLAGS from the command
# line or the environment reach every compile and link.
. "$(dirname "$0")/../lib/common.sh"
set -u
cd "$BB_TOP"
command -v make >/dev/null || skip "no make"

# mk ARGS...: make's command lines without running them, one per line
# (continuations joined).  Run from a make (make check-asan), the outer
# make's variables (BUILD, SANITIZE: in MAKEFLAGS and, as the command
# line set them, in the environment too) and a CFLAGS in the
# environment would leak in: they are dropped, CPPFLAGS/LDFLAGS are kept.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u BUILD -u SANITIZE \
		make -n -B V=1 "$@" |
		sed -e ':a' -e '/\\$/N; s/\\\n//; ta'
}
# last_opt LINE: the last -O option on a command line.
last_opt() { tr ' ' '\n' <<<"$1" | grep -E '^-O[0-9sgz]?$' | tail -1; }

line=$(mk BUILD=build/asan SANITIZE=address,undefined \
	build/asan/core/base/clock.o | grep -- '-c core/base/clock.c')
[ -n "$line" ] || fail "no compile line for clock.c"
[ "$(last_opt "$line")" = -O1 ] || fail "sanitizer build: last -O is $(last_opt "$line"): $line"
line=$(mk BUILD=build/asan SANITIZE=address,undefined CFLAGS='-O3 -g' \
	build/asan/core/base/clock.o | grep -- '-c core/base/clock.c')
[ "$(last_opt "$line")" = -O1 ] || fail "sanitizer build with CFLAGS=-O3: $line"
line=$(mk build/core/base/clock.o | grep -- '-c core/base/clock.c')
[ "$(last_opt "$line")" = -O2 ] || fail "plain build: last -O is $(last_opt "$line"): $line"

check_flags() { # check_flags HOW: every compile has -DBB_FLAG_TEST, every link -z now
	local out=$1 how=$2 n
	n=$(grep -cE '^(cc|gcc|clang)\b.* -c ' <<<"$out")
	[ "$n" -gt 5 ] || fail "$how: only $n compile lines"
	[ "$(grep -E '^(cc|gcc|clang)\b.* -c ' <<<"$out" | grep -vc -- '-DBB_FLAG_TEST')" -eq 0 ] ||
		fail "$how: a compile without CPPFLAGS: $(grep -E ' -c ' <<<"$out" | grep -v -- -DBB_FLAG_TEST | head -1)"
	grep -E -- '-o (\./)?bufferbane$' <<<"$out" | grep -q -- '-Wl,-z,now' ||
		fail "$how: the link has no LDFLAGS: $(grep -E -- '-o (\./)?bufferbane$' <<<"$out")"
}
out=$(mk CPPFLAGS=-DBB_FLAG_TEST LDFLAGS=-Wl,-z,now bufferbane)
check_flags "$out" "command line"
out=$(CPPFLAGS=-DBB_FLAG_TEST LDFLAGS=-Wl,-z,now mk bufferbane)
check_flags "$out" "environment"
out=$(mk CPPFLAGS=-DBB_FLAG_TEST LDFLAGS=-Wl,-z,now build/tests/test_ring)
grep -E -- '-o build/tests/test_ring$' <<<"$out" | grep -- -DBB_FLAG_TEST | grep -q -- '-Wl,-z,now' ||
	fail "unit test line: $(grep -- '-o build/tests/test_ring' <<<"$out")"
exit 0
