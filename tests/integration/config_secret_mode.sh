#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An inline shared_secret in a configuration file group or others can read
# is refused by both programs, as a key file is: exit 2 and one line that
# names the file and line of the secret and says to chmod 600 it or use
# shared_secret_file.  At mode 0600 the same files run: the server answers
# and the client's echo samples from it are ok (127.0.0.1 only).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"

SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	rm -rf "$BB_TMP"
}
trap cleanup EXIT

# expect_refused FILE LINE PROGRAM ARGS...: exit 2, one stderr line with
# FILE:LINE, the mode and what to do; the secret is not in it.
expect_refused() {
	local file=$1 line=$2 mode; shift 2
	mode=$(stat -c %04a "$file")
	timeout 10 "$@" >"$BB_TMP/o" 2>"$BB_TMP/e"
	local rc=$?
	[ $rc -eq 2 ] || fail "$* (mode $mode) exited $rc, expected 2: $(cat "$BB_TMP/e")"
	[ "$(wc -l <"$BB_TMP/e")" -eq 1 ] || fail "$*: expected one line, got: $(cat "$BB_TMP/e")"
	grep -qF "$file:$line: " "$BB_TMP/e" || fail "no $file:$line in: $(cat "$BB_TMP/e")"
	grep -qF "(mode $mode); run: chmod 600 $file, or put the key in a file of its own and give shared_secret_file" "$BB_TMP/e" ||
		fail "no mode/advice in: $(cat "$BB_TMP/e")"
	grep -qF "$key" "$BB_TMP/e" && fail "the secret is in the message"
	echo "refused at $mode: $(cat "$BB_TMP/e")"
}

key=$("$BB_BIN" keygen)
srvconf=$BB_TMP/srv.conf
cat >"$srvconf" <<CONF
general = { workers = 1; };
security = {
  shared_secret = "$key";
};
logging = { level = "info"; };
CONF
for m in 644 640 604; do
	chmod $m "$srvconf"
	expect_refused "$srvconf" 3 "$BB_SERVER_BIN" -c "$srvconf" --bind 127.0.0.1:0
done

chmod 600 "$srvconf"
"$BB_SERVER_BIN" -c "$srvconf" --bind 127.0.0.1:0 2>"$BB_TMP/srv.log" &
SRV_PID=$!
PORT=
for _ in $(seq 100); do
	PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$BB_TMP/srv.log")
	[ -n "$PORT" ] && break
	kill -0 "$SRV_PID" 2>/dev/null || break
	sleep 0.05
done
[ -n "$PORT" ] || { cat "$BB_TMP/srv.log"; fail "server did not start at mode 0600"; }
echo "server runs at 0600 on 127.0.0.1:$PORT"

conf=$BB_TMP/bb.conf
bb_write_config "$conf" "servers=( { name = \"lo\"; host = \"127.0.0.1\"; port = $PORT;
  shared_secret = \"$key\"; } )"
line=$(grep -n 'shared_secret' "$conf" | cut -d: -f1)
[ -n "$line" ] || fail "no shared_secret line in $conf"
for m in 644 640 604; do
	chmod $m "$conf"
	expect_refused "$conf" "$line" "$BB_BIN" -d -c "$conf" --db "$BB_TMP/x.db" --duration 2
done
[ -e "$BB_TMP/x.db" ] && fail "a refused client created its database"

chmod 600 "$conf"
db=$BB_TMP/bb.db
timeout 20 "$BB_BIN" -d -c "$conf" --db "$db" --interval 100 --duration 3 \
	>"$BB_TMP/out" 2>&1 || { cat "$BB_TMP/out"; fail "bufferbane -d at mode 0600 exited $?"; }
ok=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND target='lo' AND status='ok'")
echo "client runs at 0600: $ok ok echo samples in 3 s"
[ "$ok" -ge 10 ] || fail "only $ok ok echo samples from the server in 3 s"
echo "PASS"
