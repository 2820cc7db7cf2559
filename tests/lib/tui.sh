# SPDX-License-Identifier: MIT
# tmux helpers for the TUI tests (tests/integration/tui_*.sh) and
# tests/screenshots.sh: a private tmux server (-L) per run, started in a
# UTF-8 locale, polled with timeouts instead of fixed sleeps.  Every wait is
# for a condition, with a deadline generous enough for a loaded 2-core
# machine (they return as soon as the condition holds, so a long deadline
# costs nothing when all is well); a test never sleeps a fixed time and
# then assumes that something happened.

TUI_DEADLINE=${TUI_DEADLINE:-20} # seconds, the default for every wait

TUI_SOCK=bbtui$$
TUI_T=tui

tux() {
	tmux -L "$TUI_SOCK" "$@"
}

# tui_start W H COMMAND...: run COMMAND in a detached W x H session; its
# exit status lands in $BB_TMP/rc.
tui_start() {
	local w=$1 h=$2; shift 2
	command -v tmux >/dev/null || skip "tmux is not installed"
	printf '%q ' "$@" >"$BB_TMP/cmd"
	tux -f /dev/null new-session -d -s "$TUI_T" -x "$w" -y "$h" \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color bash -c '$(cat "$BB_TMP/cmd") 2>$BB_TMP/stderr; echo \$? >$BB_TMP/rc; echo EXIT=\$(cat $BB_TMP/rc); sleep 600'"
	tux set-option -g window-size manual >/dev/null 2>&1
}

tui_stop() {
	tux kill-server 2>/dev/null
}

# tui_screen: the pane as text; tui_screen_e: with colour escapes.
tui_screen() {
	tux capture-pane -p -t "$TUI_T"
}

tui_screen_e() {
	tux capture-pane -p -e -t "$TUI_T"
}

# tui_wait REGEX [SECONDS]: until the screen matches (grep -E).
tui_wait() {
	local re=$1 t=${2:-$TUI_DEADLINE} i
	for ((i = 0; i < t * 10; i++)); do
		tui_screen | grep -Eq -- "$re" && return 0
		sleep 0.1
	done
	echo "--- screen (waiting for /$re/) ---"
	tui_screen
	fail "timed out after ${t}s waiting for /$re/"
}

# tui_wait_gone REGEX [SECONDS]: until the screen no longer matches.
tui_wait_gone() {
	local re=$1 t=${2:-$TUI_DEADLINE} i
	for ((i = 0; i < t * 10; i++)); do
		tui_screen | grep -Eq -- "$re" || return 0
		sleep 0.1
	done
	tui_screen
	fail "timed out after ${t}s: /$re/ still on screen"
}

# tui_keys KEY...: tmux send-keys.
tui_keys() {
	tux send-keys -t "$TUI_T" "$@"
}

# tui_line REGEX: the first screen line matching.
tui_line() {
	tui_screen | grep -E -m1 -- "$1"
}

# tui_until SECONDS WHAT COMMAND...: until COMMAND succeeds; else print the
# screen and fail with "timed out after SECONDS s waiting for WHAT".
tui_until() {
	local t=$1 what=$2 i
	shift 2
	for ((i = 0; i < t * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	echo "--- screen (waiting for $what) ---"
	tui_screen
	fail "timed out after ${t}s waiting for $what"
}

# tui_changed FUNC OLD: FUNC prints something, and not OLD (for tui_until).
tui_changed() {
	local v
	v=$("$1") && [ -n "$v" ] && [ "$v" != "$2" ]
}

# tui_exit_code [SECONDS]: wait for the program to end, print its status.
tui_exit_code() {
	local t=${1:-$TUI_DEADLINE} i
	for ((i = 0; i < t * 10; i++)); do
		[ -s "$BB_TMP/rc" ] && { cat "$BB_TMP/rc"; return 0; }
		sleep 0.1
	done
	echo timeout
}

# tui_drop_icmp ADDR: make probes to ADDR fail inside the sandbox (nft).
tui_drop_icmp() {
	[ -n "${BB_SANDBOXED:-}" ] || return 1
	command -v nft >/dev/null || return 1
	nft add table inet bbtui &&
		nft add chain inet bbtui out '{ type filter hook output priority 0; }' &&
		nft add rule inet bbtui out ip daddr "$1" drop
}

# tui_server_start: the real bufferbane-server on 127.0.0.1 (any port) with
# a 0600 key in $BB_TMP (bb_server_start); sets SRV_PID, SRV_PORT and SRV_SERVERS (the
# client's servers section, one server "lo").  Stop it with tui_server_stop.
tui_server_start() {
	: >"$BB_TMP/srv.log"
	bb_server_start 'general={ workers = 1; max_concurrent_clients = 16; }' \
		"$BB_SRV_FAST"
}

# The tests section for a server-backed TUI run: throughput every 10 s and a
# bufferbloat test every 10 s with 2 s load phases (both start in seconds).
TUI_SERVER_TESTS='{ dns = { enabled = false; dns_servers = []; };
  bufferbloat = { enabled = true; interval_s = 10; test_duration_s = 2;
    first_test_s = 5; };
  throughput = { enabled = true; first_test_s = 3;
    small_test_kb = 2000; small_interval_s = 10;
    medium_test_kb = 2000; medium_interval_s = 3600;
    large_test_kb = 2000; large_interval_s = 7200; }; }'

tui_server_stop() {
	bb_server_stop
}
