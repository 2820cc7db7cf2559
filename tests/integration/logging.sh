#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane -d's log: logging.level filters lines (debug shows every
# sample, info the status lines, warning only warnings -- a reload that
# needs a restart --, error only errors -- a refused reload); under systemd
# (JOURNAL_STREAM naming stdout's device:inode) lines carry no time stamp of
# their own, and with another JOURNAL_STREAM they do; logging.syslog and
# --syslog send the lines to syslog (ident bufferbane, facility daemon),
# read here from a /dev/log of our own in a private mount namespace.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} '

# run LEVEL: 3 s of -d at LEVEL; at 1 s database_path changes and SIGHUP
# (a warning), at 2 s a key is misspelt and SIGHUP (an error)
run() {
	local c=$BB_TMP/$1.conf
	bb_write_config "$c" "logging={ level = \"$1\"; }" \
		"general={ test_interval_ms = 100; database_path = \"$BB_TMP/$1.db\"; }" \
		'targets={ isp_gateway = "none"; public_dns = [ "127.0.0.1" ]; }'
	"$BB_BIN" -d -c "$c" --duration 3 --status-interval 1 >"$BB_TMP/$1.out" 2>"$BB_TMP/$1.err" &
	local pid=$!
	sleep 1
	sed -i "s|$1.db|$1-other.db|" "$c"
	kill -HUP $pid
	sleep 1
	echo 'output = { status_intervall_s = 5; };' >>"$c"
	kill -HUP $pid
	wait $pid || fail "$1: exit $?: $(cat "$BB_TMP/$1.err")"
}
for lv in debug info warning error; do run $lv; done
has() { grep -Eq "$2" "$BB_TMP/$1.out"; }
has debug "$stamp"'sample icmp +127.0.0.1 +ok [0-9.]+$' || fail "debug: no sample lines"
has debug ' status icmp' || fail "debug: no status lines"
has info ' status icmp .*127.0.0.1' || fail "info: no status line"
has info ' start bufferbane' || fail "info: no start line"
has info ' sample ' && fail "info: sample lines are debug"
has warning 'needs a restart .*general.database_path' || fail "warning: no restart-needed line"
has warning ' (status|start|stop|probe|sample) ' && fail "warning: info lines shown"
has error 'reload refused, .*output.status_intervall_s: unknown key; did you mean .output.status_interval_s.' ||
	fail "error: no refused-reload line"
has error 'needs a restart' && fail "error: a warning line shown"
[ "$(wc -l <"$BB_TMP/error.out")" -eq 1 ] || fail "error: more than the one error line: $(cat "$BB_TMP/error.out")"
for lv in debug info warning error; do echo "$lv: $(wc -l <"$BB_TMP/$lv.out") lines"; done

# JOURNAL_STREAM: no own stamps when stdout is the journal's stream
bb_write_config "$BB_TMP/j.conf"
: >"$BB_TMP/j.out"
js=$(stat -c '%d:%i' "$BB_TMP/j.out")
JOURNAL_STREAM=$js "$BB_BIN" -d -c "$BB_TMP/j.conf" --no-db -t 127.0.0.1 --duration 1 >>"$BB_TMP/j.out" 2>&1 ||
	fail "JOURNAL_STREAM run failed"
head -1 "$BB_TMP/j.out" | grep -q '^start bufferbane' || fail "journal: stamped: $(head -1 "$BB_TMP/j.out")"
grep -Eq "$stamp" "$BB_TMP/j.out" && fail "journal: a stamped line"
JOURNAL_STREAM=${js%:*}:1 "$BB_BIN" -d -c "$BB_TMP/j.conf" --no-db -t 127.0.0.1 --duration 1 >"$BB_TMP/k.out" 2>&1
head -1 "$BB_TMP/k.out" | grep -Eq "${stamp}start bufferbane" || fail "another stream: not stamped"

# syslog: a private mount namespace whose /dev is a tmpfs with null,
# zero, urandom and a datagram socket /dev/log a listener prints
command -v python3 >/dev/null || skip "no python3 for the syslog listener"
cat >"$BB_TMP/listen.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(0.5)
end = time.time() + float(sys.argv[2])
with open(sys.argv[1], "w") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode(errors="replace") + "\n")
            out.flush()
        except socket.timeout:
            pass
PY
bb_write_config "$BB_TMP/s.conf" 'logging={ syslog = true; }'
T=$BB_TMP B=$BB_BIN unshare -m --propagation private -- bash -c '
	set -e
	mkdir "$T/olddev" && mount --rbind /dev "$T/olddev"
	mount -t tmpfs tmpfs /dev
	for n in null zero urandom random; do touch /dev/$n; mount --bind "$T/olddev/$n" /dev/$n; done
	python3 "$T/listen.py" "$T/syslog" 4 &
	for _ in $(seq 50); do [ -e "$T/syslog.ready" ] && break; sleep 0.1; done
	"$B" -d -c "$T/s.conf" --no-db -t 127.0.0.1 --duration 1 >"$T/s.out" 2>&1
	"$B" -d -c "$T/j.conf" --syslog --no-db -t 127.0.0.2 --duration 1 >"$T/s2.out" 2>&1
	wait
' 2>"$BB_TMP/ns.err" || fail "syslog namespace: $(cat "$BB_TMP/ns.err")"
# <30> = facility daemon (3) * 8 + info (6)
grep -Eq '^<30>.*bufferbane\[[0-9]+\]: start bufferbane' "$BB_TMP/syslog" ||
	fail "no start line at daemon.info in syslog: $(head -3 "$BB_TMP/syslog")"
grep -Eq '^<30>.*bufferbane\[[0-9]+\]: summary icmp +127.0.0.2' "$BB_TMP/syslog" || fail "--syslog: no summary in syslog"
[ -s "$BB_TMP/s.out" ] && fail "syslog run wrote to stdout: $(head -2 "$BB_TMP/s.out")"
echo "syslog: $(wc -l <"$BB_TMP/syslog") messages, e.g. $(head -1 "$BB_TMP/syslog")"
exit 0
