#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A full disk under the database: the monitor keeps probing, says which file
# and why, counts every sample it could not store, and exits 1 — the rows in
# the database are exactly the ones it reports as stored (nothing silently
# lost, nothing double-counted).  A private mount namespace holds a 200 KiB
# tmpfs, so no real disk fills up.
. "$(dirname "$0")/../lib/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (tmpfs in a private mount namespace)"
if [ -z "${BB_MOUNTNS:-}" ]; then
	export BB_MOUNTNS=1
	exec unshare --mount -- bash "$0" "$@"
fi
bb_sandbox "$@"
bb_tmpdir
set -u
mkdir "$BB_TMP/small"
mount -t tmpfs -o size=200k tmpfs "$BB_TMP/small" || fail "cannot mount a tmpfs"
bb_write_config "$BB_TMP/bb.conf"
db=$BB_TMP/small/bb.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 -t ::1 --interval 10 \
	--duration 5 --status-interval 2 >"$BB_TMP/out" 2>"$BB_TMP/err"
rc=$?
cat "$BB_TMP/out" "$BB_TMP/err" | grep -v ' icmp '
[ $rc -eq 1 ] || fail "exit $rc, expected 1 (samples were lost to a full disk)"
grep -q "$db.*database or disk is full" "$BB_TMP/err" || fail "no message naming the file and the reason"
grep -q 'WARNING samples dropped' "$BB_TMP/out" || fail "no warning in the status lines"
line=$(grep ' stop ' "$BB_TMP/out")
read -r total stored dropped < <(echo "$line" | sed -n 's/.* stop \([0-9]*\) samples, \([0-9]*\) stored, \([0-9]*\) dropped.*/\1 \2 \3/p')
[ -n "$total" ] || fail "no stop line"
rows=$(sql "$db" "SELECT count(*) FROM measurements")
[ "$rows" -eq "$stored" ] || fail "$rows rows in the database, $stored reported stored"
[ "$total" -ge 400 ] || fail "only $total samples: the monitor did not keep probing"
[ $((stored + dropped)) -eq "$total" ] || fail "stored $stored + dropped $dropped != $total"
[ "$dropped" -gt 0 ] || fail "nothing dropped: the disk did not fill up"
echo "total $total, stored $stored (= rows), dropped $dropped"
umount "$BB_TMP/small"
exit 0
