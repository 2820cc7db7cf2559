#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A TERM without a terminfo entry (xterm-kitty on a host without kitty's
# entry; here a made-up name) or no TERM at all: the TUI draws as the first
# of xterm-256color, xterm, vt100 that has an entry and says so in one line,
# on screen and on stderr after exit, instead of failing with "cannot
# start: Inappropriate ioctl for device".
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT
command -v infocmp >/dev/null && infocmp bb-no-such-term >/dev/null 2>&1 &&
	skip "bb-no-such-term has a terminfo entry here"
bb_write_config "$BB_TMP/bb.conf"
note='TERM=bb-no-such-term has no terminfo entry here; drawing as (xterm-256color|xterm|vt100)'

tui_start 100 30 env TERM=bb-no-such-term "$BB_BIN" -c "$BB_TMP/bb.conf" \
	--no-db -t 127.0.0.1 --interval 100
tui_wait 'bufferbane +LIVE'
tui_wait "$note"
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
echo "on screen: $(tui_line 'no terminfo entry')"
tui_keys q
rc=$(tui_exit_code)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
grep -Eq "^bufferbane: $note" "$BB_TMP/stderr" || { cat "$BB_TMP/stderr"; fail "the note is not on stderr after exit"; }
[ "$(grep -c 'no terminfo entry' "$BB_TMP/stderr")" = 1 ] || fail "the note printed more than once"
grep -q 'Inappropriate ioctl' "$BB_TMP/stderr" && fail "the old error"
tui_stop

# no TERM at all
tui_start 100 30 env -u TERM "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1
tui_wait 'bufferbane +LIVE'
tui_wait 'TERM=\(unset\) has no terminfo entry here; drawing as'
tui_keys q
rc=$(tui_exit_code)
[ "$rc" = 0 ] || { cat "$BB_TMP/stderr"; fail "TERM unset: exit status $rc"; }
exit 0
