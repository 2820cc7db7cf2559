#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Our own test is no line fault on screen.  A real queue: loopback in the
# sandbox's namespace shaped by tbf (20 Mbit/s, up to 200 ms of queue), the
# real bufferbane-server on 127.0.0.1, and 'b' (an upload bufferbloat
# test) fills that queue, so the ICMP probes to 127.0.0.1 sent meanwhile
# wait hundreds of milliseconds or are lost (the database shows it:
# under_load rows).
# The dashboard must leave those probes out of the row's 60 s figures (its
# p95 stays that of the quiet line, no loss, nothing red or yellow on the
# row, the colour escapes of tmux capture-pane -e say so), draw them dim,
# and name the test in the title with its time left: a scheduled test and
# one asked for with 'b'.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
[ -n "${BB_SANDBOXED:-}" ] || skip "needs root for a private network namespace"
command -v tc >/dev/null || skip "tc missing (iproute2)"

SRV_PID=
trap 'tui_stop; tui_server_stop; rm -rf "$BB_TMP"' EXIT
tc qdisc add dev lo root tbf rate 20mbit burst 32kb latency 200ms ||
	skip "cannot shape loopback (tbf)"
tui_server_start
bb_write_config "$BB_TMP/bb.conf" "servers=$SRV_SERVERS" \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  throughput = { enabled = false; };
	  bufferbloat = { enabled = true; interval_s = 3600; test_duration_s = 16;
	    first_test_s = 5; test_type = "upload"; }; }'

tui_start 140 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	-t 127.0.0.1 --interval 100
tui_wait 'bufferbane +LIVE' 15
row='^127\.0\.0\.1 +icmp +'
tui_wait "$row[0-9]+\\.[0-9]+ +[0-9]+\\.[0-9]+ +[0-9]+\\.[0-9]+" 15
tui_wait '^lo( [0-9.:a-f]+)? +udp_echo +[0-9]+\.[0-9]+' 15
echo "quiet: $(tui_line "$row")"

# p95 of the row (6th field: name kind last p50 p95 ...), loss (8th)
p95() { tui_line "$row" | awk '{ print $5 }'; }
loss() { tui_line "$row" | awk '{ print $7 }'; }
# red_or_yellow: the row's line on stdin (tmux capture-pane -e) holds a
# red or yellow foreground or a red background (ROLE_BAD, ROLE_WARN,
# ROLE_LOSS)
red_or_yellow() {
	grep -E -m1 $'^(\x1b\\[[0-9;]*m)*127\\.0\\.0\\.1 ' |
		grep -qE $'\x1b\\[([0-9;]*;)?(31|33|91|93|41|38;5;(1|3|9|11)|48;5;(1|9))(;[0-9;]*)?m'
}
# the check sees red as tmux writes it, and a quiet row is not red
printf '\e[39m\e[49m127.0.0.1   \e[90micmp\e[39m \e[1m\e[31mlost\e[0m\n' |
	red_or_yellow || fail "red_or_yellow misses red"
# the selection's colours would hide the row's: the focus to the events
tui_keys Tab
tui_wait '▸ Events' 5
tui_screen_e | red_or_yellow && fail "the quiet row is red or yellow"

# watch WHAT: through one test of ours, the row sampled every 0.5 s: its
# p95 stays the quiet line's, no loss, no red or yellow; the title says
# "test: upload N s left" at some point, the N counting down; returns when
# the label has gone (5 s after the last probe sent under load)
watch() {
	local seen=0 first= last= l n
	for _ in $(seq 80); do
		l=$(tui_line 'Targets')
		if [[ $l =~ test:\ upload\ ([0-9]+)\ s\ left ]]; then
			n=${BASH_REMATCH[1]}
			[ -z "$first" ] && first=$n && echo "$1: $l"
			last=$n
			seen=1
		elif [ $seen = 1 ] && ! grep -q 'test: ' <<<"$l"; then
			break
		fi
		v=$(p95)
		awk -v v="$v" 'BEGIN { exit !(v == "-" || v + 0 >= 100) }' &&
			fail "$1: p95 $v ms on the row during our own test: $(tui_line "$row")"
		[ "$(loss)" = "0.0" ] ||
			fail "$1: loss on the row during our own test: $(tui_line "$row")"
		tui_screen_e | red_or_yellow && {
			tui_screen_e | grep -E '127\.0\.0\.1 ' | cat -v
			fail "$1: red or yellow on the row during our own test"
		}
		sleep 0.5
	done
	[ $seen = 1 ] || fail "$1: the title never said 'test: upload N s left'"
	echo "$1: countdown $first -> $last s"
	[ "$last" -lt "$first" ] || fail "$1: the time left did not count down"
	tui_screen | grep -q 'test: ' && fail "$1: the label stayed after the test"
	echo "$1, after: $(tui_line "$row")"
	tui_screen_e | red_or_yellow && fail "$1: red or yellow on the row after our own test"
	return 0
}

# the scheduled test (first_test_s = 5): its length from the configuration
watch scheduled
# and one asked for with 'b': the same, its countdown the app's
tui_keys b
tui_wait 'test: (upload|bloat)[a-z, ]* [0-9]+ s left' 5
watch "'b'"
tui_wait 'Bufferbloat test done' 10

# the queue was real: probes of 127.0.0.1 under load took >= 100 ms or were
# lost, enough of them for the window's plain p95 (or loss) to be red
q="SELECT count(*) FROM measurements WHERE target = '127.0.0.1' AND under_load"
n=$(sql "$BB_TMP/bb.db" "$q")
slow=$(sql "$BB_TMP/bb.db" "$q AND (rtt_ms >= 100 OR status <> 'ok')")
quiet=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE target = '127.0.0.1' AND NOT under_load")
echo "127.0.0.1: $quiet quiet probes, $n under load, $slow of them >= 100 ms or lost"
[ "$slow" -ge 60 ] || fail "the load made only $slow probes slow: the test proves nothing"

tui_keys q
rc=$(tui_exit_code 15)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
echo PASS
