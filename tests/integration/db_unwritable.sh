#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A --db the monitor cannot write: -d and the TUI refuse to start with one
# line naming the path and the system's reason (errno words), suggesting
# --no-db, and a non-zero exit (no crash, no summary, no screen).  As root
# (permissions do not stop root) the cases are: a path under a regular file
# (ENOTDIR), a directory (EISDIR), a path under /proc (no file can be made
# there) and, in a private mount namespace, a database in a read-only bind
# mount (EROFS).  --no-db then runs.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT
bb_write_config "$BB_TMP/bb.conf"
: >"$BB_TMP/afile"

# refused DB WORDS [RUNNER...]: -d with --db DB exits non-zero with one line
# naming DB, WORDS and --no-db.
refused() {
	local db=$1 words=$2 rc
	shift 2
	"$@" "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 \
		--duration 2 >"$BB_TMP/out" 2>"$BB_TMP/err"
	rc=$?
	echo "--db $db: exit $rc: $(cat "$BB_TMP/err")"
	[ $rc -ne 0 ] || fail "--db $db: exit 0"
	[ $rc -lt 128 ] || fail "--db $db: killed by a signal ($rc)"
	[ "$(wc -l <"$BB_TMP/err")" = 1 ] || { cat "$BB_TMP/err"; fail "--db $db: not one line"; }
	grep -qF "bufferbane: $db: " "$BB_TMP/err" || fail "--db $db: the path is not named"
	grep -q "$words" "$BB_TMP/err" || fail "--db $db: no '$words'"
	grep -q -- '--no-db' "$BB_TMP/err" || fail "--db $db: no --no-db suggestion"
	grep -q 'summary' "$BB_TMP/out" && fail "--db $db: the monitor ran"
	return 0
}

refused "$BB_TMP/afile/bb.db" 'Not a directory'
# a folder is not a database file: bad input (exit 2, as in the commands),
# no --no-db advice
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP" -t 127.0.0.1 --duration 2 \
	>"$BB_TMP/out" 2>"$BB_TMP/err"
rc=$?
cat "$BB_TMP/err"
[ $rc -eq 2 ] && grep -qxF "bufferbane: $BB_TMP: not a regular file" "$BB_TMP/err" ||
	fail "--db FOLDER: exit $rc, not 'not a regular file'"
refused /proc/bb-unwritable.db 'cannot open it for writing: '

# a database in a read-only mount: made first, then the folder remounted
mkdir "$BB_TMP/ro"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/ro/bb.db" -t 127.0.0.1 \
	--duration 1 >/dev/null 2>&1 || fail "could not make the database"
if [ -n "${BB_SANDBOXED:-}" ] && unshare --mount true 2>/dev/null; then
	refused "$BB_TMP/ro/bb.db" 'Read-only file system' unshare --mount -- \
		sh -c 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"' "$BB_TMP/ro"
else
	echo "no mount namespace: read-only case skipped"
fi

# the TUI: the same line after the terminal is given back, non-zero exit
tui_start 100 30 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/afile/bb.db" -t 127.0.0.1
rc=$(tui_exit_code)
[ "$rc" != timeout ] || { tui_screen; fail "the TUI did not exit"; }
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || { tui_screen; fail "TUI: exit $rc"; }
grep -qF "bufferbane: $BB_TMP/afile/bb.db: cannot open it for writing: Not a directory" "$BB_TMP/stderr" ||
	{ cat "$BB_TMP/stderr"; fail "TUI: no reason with the path"; }
grep -q -- '--no-db' "$BB_TMP/stderr" || fail "TUI: no --no-db suggestion"
echo "TUI: exit $rc: $(cat "$BB_TMP/stderr")"
tui_stop

# and --no-db runs
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1 --duration 1 >"$BB_TMP/out" 2>&1 ||
	{ cat "$BB_TMP/out"; fail "--no-db exited $?"; }
grep -q ' summary icmp' "$BB_TMP/out" || fail "--no-db: no summary"
exit 0
