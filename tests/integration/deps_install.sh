#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/deps.sh (what `make test` runs first on a fresh machine): silent when
# every package is installed; otherwise one line naming exactly the missing
# packages, printed before apt-get runs.  apt-get is a stub that records its
# calls: the real one would reach the network, which tests never do (and the
# loopback-only sandbox would make it fail if the stub were bypassed).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
command -v dpkg-query >/dev/null || skip "not a Debian system (no dpkg-query)"
deps=$BB_TOP/tests/deps.sh
mkdir "$BB_TMP/bin"
cat >"$BB_TMP/bin/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get $*" >>"$BB_APT_LOG"
[ "$1" = install ] && [ -n "${BB_APT_FAIL:-}" ] && { echo "E: stub failure"; exit 100; }
exit 0
STUB
chmod +x "$BB_TMP/bin/apt-get"
export BB_APT_LOG=$BB_TMP/apt.log
stub_path=$BB_TMP/bin:$PATH
: >"$BB_APT_LOG"

# All installed (packages every Debian has): no output at all, no apt-get.
PATH=$stub_path "$deps" bash coreutils dpkg >"$BB_TMP/out" 2>&1 || fail "installed: exit $?"
[ ! -s "$BB_TMP/out" ] || fail "installed: printed '$(cat "$BB_TMP/out")'"
[ ! -s "$BB_APT_LOG" ] || fail "installed: ran $(cat "$BB_APT_LOG")"

# Two missing among installed ones: one line naming just those two, and it
# comes before apt-get runs (the stub's calls land in the same file after it).
miss1=bb-no-such-package-$$ miss2=bb-nor-this-one-$$
PATH=$stub_path BB_APT_LOG=$BB_TMP/out "$deps" bash "$miss1" coreutils "$miss2" \
	>>"$BB_TMP/out" 2>&1 || fail "missing: exit $?: $(cat "$BB_TMP/out")"
line1=$(head -1 "$BB_TMP/out")
[ "$line1" = "deps: installing 2 missing Debian package(s) with apt-get: $miss1 $miss2" ] ||
	fail "missing: first line '$line1'"
[ "$(sed -n 2p "$BB_TMP/out")" = "apt-get update -qq" ] || fail "missing: $(cat "$BB_TMP/out")"
[ "$(sed -n 3p "$BB_TMP/out")" = "apt-get install -y -qq --no-install-recommends $miss1 $miss2" ] ||
	fail "missing: $(cat "$BB_TMP/out")"
[ "$(wc -l <"$BB_TMP/out")" -eq 3 ] || fail "missing: more output: $(cat "$BB_TMP/out")"

# apt-get fails: exit 1, its output and a line naming what failed.
PATH=$stub_path BB_APT_FAIL=1 "$deps" "$miss1" >"$BB_TMP/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "apt failure: exit $rc"
grep -q "E: stub failure" "$BB_TMP/out" || fail "apt failure: log not shown: $(cat "$BB_TMP/out")"
grep -q "deps: apt-get install $miss1 failed" "$BB_TMP/out" || fail "apt failure: $(cat "$BB_TMP/out")"

# Not root: nothing run, the command to run printed, exit 1.
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	: >"$BB_APT_LOG"
	PATH=$stub_path setpriv --reuid=65534 --regid=65534 --clear-groups \
		bash "$deps" "$miss1" >"$BB_TMP/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "not root: exit $rc: $(cat "$BB_TMP/out")"
	grep -q "apt-get update && apt-get install -y $miss1" "$BB_TMP/out" ||
		fail "not root: $(cat "$BB_TMP/out")"
	[ ! -s "$BB_APT_LOG" ] || fail "not root: ran $(cat "$BB_APT_LOG")"
fi
exit 0
