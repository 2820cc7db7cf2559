#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A bad database gets one rule across the commands, -d and --replay:
# exit 2 and the same words for bad input (a text file, a directory, an
# SQLite file of another program), exit 1 for a damaged (truncated) or
# locked one; -d adds the --no-db advice only where it cannot write.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
GEN=$BB_TOP/${BB_BUILD:-build}/bench/bbgen
[ -x "$GEN" ] || fail "$GEN is missing"
command -v script >/dev/null || skip "script(1) (util-linux) not installed"
cd "$BB_TMP" || fail "cd"
"$GEN" -o ok.db --days 1 --seed 1 --interval-ms 10000 >/dev/null 2>&1 || fail "bbgen"
printf 'hello\n' >text.db
head -c 20000 ok.db >trunc.db
sqlite3 foreign.db "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
mkdir dir.db
bb_write_config bb.conf
check() { # check FILE RC WORDS [ADVICE]
	local f=$1 want=$2 words=$3 rc out
	for c in "stats" "report" "events" "export --format csv" "cleanup --before 2024-01-01 --yes" "-d -c bb.conf -t 127.0.0.1 --duration 1" "--replay"; do
		if [ "$c" = --replay ]; then
			script -qec "$(printf '%q ' "$BB_BIN" --replay "$f")" /dev/null </dev/null >out 2>&1
			rc=$?
		else
			# shellcheck disable=SC2086
			"$BB_BIN" $c --db "$f" >/dev/null 2>out </dev/null
			rc=$?
		fi
		out=$(tr -d '\r' <out | grep -v '^$' | tail -1)
		echo "$f: $c: rc $rc: $out"
		[ "$rc" -eq "$want" ] || fail "$f: $c exited $rc, expected $want"
		grep -q -- "$words" <<<"$out" || fail "$f: $c does not say '$words'"
		grep -q -- '--no-db' <<<"$out" && fail "$f: $c gives the --no-db advice"
	done
}
check text.db 2 "text.db: not an SQLite database"
check foreign.db 2 "foreign.db: not a Bufferbane database"
check dir.db 2 "dir.db: not a regular file"
check trunc.db 1 "trunc.db: database is truncated or corrupt"
# cannot write: the advice, and exit 1 (a runtime failure)
chmod 0444 ok.db
if [ "$(id -u)" -ne 0 ]; then
	"$BB_BIN" -d -c bb.conf -t 127.0.0.1 --duration 1 --db ok.db >/dev/null 2>out
	[ $? -eq 1 ] && grep -q -- '--no-db' out || fail "unwritable: no advice"
fi
echo PASS
