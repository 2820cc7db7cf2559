#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/format-check.sh (make format-check): a file formatted per .clang-format
# passes, a real difference fails with its diff and the file named, and -i
# (make format) fixes it.  Run in a copy, on one file at a time.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
check=$BB_TOP/tests/format-check.sh
command -v clang-format-14 >/dev/null ||
	[[ $(clang-format --version 2>/dev/null) =~ version\ 14\. ]] ||
	skip "no clang-format 14 (make format-check installs clang-format-14)"
cp "$BB_TOP/.clang-format" "$BB_TMP/"
cp "$BB_TOP/tui/main.c" "$BB_TMP/good.c"
cd "$BB_TMP"
"$check" good.c >out 2>&1 || fail "formatted file: $(cat out)"
grep -q "format-check: 1 file(s) formatted" out || fail "formatted file: $(cat out)"

# Spaces for a tab and a brace on the wrong line: caught, diff shown.
sed 's/^\tif (argc > 1/    if (argc > 1/; s/^int main(int argc, char \*\*argv)$/int main(int argc, char **argv) {/' \
	good.c | awk 'p && /^{$/ { p = 0; next } { print } /^int main.*{$/ { p = 1 }' >bad.c
cmp -s good.c bad.c && fail "the test did not change bad.c"
"$check" good.c bad.c >out 2>&1 && fail "bad.c passed"
grep -q "1 of 2 file(s) differ.*: bad.c$" out || fail "bad.c: $(cat out)"
grep -q '^-    if (argc > 1' out || fail "bad.c: no diff shown: $(cat out)"
"$check" -i bad.c || fail "-i failed"
cmp good.c bad.c || fail "-i did not give back the formatted file"
"$check" bad.c >out 2>&1 || fail "after -i: $(cat out)"
exit 0
