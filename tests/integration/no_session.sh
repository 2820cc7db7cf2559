#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A configuration mistake is not the line's fault.  The real
# bufferbane-server on loopback with one key, the client with another: no
# session ever comes up.  The echoes "sent" meanwhile were once stored as
# timeouts, so the client raised packet_loss (critical) and the verdict
# said "Routing trouble to vps" -- evidence for an ISP, and false.
# Asserts, for -d with the wrong key for 8 s: the echoes are stored with
# status 'no_session'; no event at all (the ICMP target is clean); the -d
# series line says "no session with vps", the verdict says it and what to
# do (the key, the server's UDP port); `stats` says it; the TUI's header
# says it and starts saying what to do (tmux).  With no server running at
# all, the port's refusal names that cause alone.  And a missing secret file is a
# configuration error: exit 2 with file:line.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
SRV_PID=
trap 'tui_stop; tui_server_stop; rm -rf "$BB_TMP"' EXIT

# 1. missing secret file: exit 2, file:line on stderr
bb_write_config "$BB_TMP/missing.conf" \
	"servers=( { name = \"vps\"; host = \"127.0.0.1\"; port = 9; shared_secret_file = \"$BB_TMP/nokey\"; } )"
line=$(grep -n 'shared_secret_file' "$BB_TMP/missing.conf" | cut -d: -f1)
rc=0
"$BB_BIN" -d -c "$BB_TMP/missing.conf" --db "$BB_TMP/m.db" -t 127.0.0.1 \
	--duration 2 >"$BB_TMP/m.out" 2>&1 || rc=$?
cat "$BB_TMP/m.out"
[ "$rc" -eq 2 ] || fail "missing secret file: exit $rc, want 2"
grep -q "missing.conf:$line: servers\[0\].shared_secret_file: .*nokey" "$BB_TMP/m.out" ||
	fail "missing secret file: no file:line in the message"

# 2. wrong key against a real server
tui_server_start
"$BB_BIN" keygen >"$BB_TMP/wrong" && chmod 600 "$BB_TMP/wrong"
bb_write_config "$BB_TMP/bb.conf" \
	"servers=( { name = \"vps\"; host = \"127.0.0.1\"; port = $SRV_PORT; shared_secret_file = \"$BB_TMP/wrong\"; } )" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	'output={ status_interval_s = 2; }'
db=$BB_TMP/bb.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 --duration 8 \
	>"$BB_TMP/out" 2>&1 || { cat "$BB_TMP/out"; fail "-d failed"; }
ns=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='no_session'")
to=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status<>'no_session'")
ev=$(sql "$db" "SELECT kind || ' ' || coalesce(target, '') FROM events")
echo "udp_echo: $ns no_session, $to other; events: ${ev:-none}"
[ "$ns" -ge 20 ] || fail "only $ns echoes stored as no_session"
[ "$to" -eq 0 ] || fail "$to echoes stored as something else"
[ -z "$ev" ] || fail "events raised on a clean line: $ev"
grep 'status' "$BB_TMP/out" | tail -3
grep -q 'status udp_echo .*vps .*no session with vps (wrong key, server down or port blocked?)' "$BB_TMP/out" ||
	fail "-d series line does not say no session"
grep -Eq "status verdict: No session with vps( for [0-9]+ s)?\. Check that bufferbane-server runs there with the same key and that its UDP port $SRV_PORT is open\." "$BB_TMP/out" ||
	fail "-d verdict does not say no session and what to do"
grep -Eq 'verdict: .*(Routing|loss)' "$BB_TMP/out" && fail "-d blames the line"
"$BB_BIN" stats --db "$db" --last 1h >"$BB_TMP/stats" 2>&1 || { cat "$BB_TMP/stats"; fail "stats failed"; }
grep -i 'verdict' "$BB_TMP/stats"
grep -q 'no session with vps (wrong key, server down or port blocked?)' "$BB_TMP/stats" ||
	fail "stats does not say no session"
# and the server's operator reads the likely cause in its log
grep -q 'failed knock from 127\.0\.0\.1.*: authentication failed (a wrong key?)' "$BB_TMP/srv.log" ||
	{ cat "$BB_TMP/srv.log"; fail "the server's log does not suggest a wrong key"; }

# 3. no server running at all: the host answers "port unreachable", which
# a wrong key (silence, as above) never does, so the client says which
free=$(/usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bb_write_config "$BB_TMP/down.conf" \
	"servers=( { name = \"vps\"; host = \"127.0.0.1\"; port = $free; shared_secret_file = \"$BB_TMP/wrong\"; } )" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	'output={ status_interval_s = 2; }'
"$BB_BIN" -d -c "$BB_TMP/down.conf" --db "$BB_TMP/down.db" -t 127.0.0.1 \
	--duration 5 >"$BB_TMP/down.out" 2>&1 || { cat "$BB_TMP/down.out"; fail "-d (no server) failed"; }
grep 'status' "$BB_TMP/down.out" | tail -2
grep -q "status udp_echo .*vps .*no session with vps (port $free refused: no server running)" "$BB_TMP/down.out" ||
	fail "no server running: the -d series line does not say the port refused"
grep -Eq "status verdict: No session with vps for [0-9]+ s \(port $free refused: no server running\)\. Start bufferbane-server there \(systemctl start bufferbane-server\) or check that it listens on UDP port $free\." "$BB_TMP/down.out" ||
	fail "no server running: the verdict does not say the port refused"
ns=$(sql "$BB_TMP/down.db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='no_session'")
ev=$(sql "$BB_TMP/down.db" "SELECT kind FROM events")
[ "$ns" -ge 5 ] || fail "no server running: only $ns echoes stored as no_session"
[ -z "$ev" ] || fail "no server running: events raised on a clean line: $ev"
"$BB_BIN" stats --db "$BB_TMP/down.db" --last 1h >"$BB_TMP/down.stats" 2>&1 ||
	{ cat "$BB_TMP/down.stats"; fail "stats (no server) failed"; }
grep -q "no session with vps (port $free refused: no server running)" "$BB_TMP/down.stats" ||
	{ cat "$BB_TMP/down.stats"; fail "no server running: stats does not say the port refused"; }
grep -q 'refused' "$BB_TMP/out" "$BB_TMP/stats" && fail "the wrong key read as a refused port"

# 4. the TUI's header
tui_start 100 30 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/tui.db" \
	-t 127.0.0.1 --interval 200
tui_wait 'bufferbane +LIVE' 15
tui_wait 'No session with vps for [0-9]+ s\. Check that bufferbane-server' 20
echo "header: $(tui_line 'No session with vps')"
tui_screen | grep -Eq 'Routing trouble|Packet loss' && fail "the TUI blames the line"
tui_keys q
exit 0
