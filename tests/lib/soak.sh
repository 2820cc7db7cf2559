#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak: bufferbane -d for SECONDS at 10 ms probing, five loopback targets and
# a real bufferbane-server (echo stream, its tests as configured), in a
# loopback-only namespace.  Every 5 s it reads the client's RSS and open
# file descriptors from /proc.  Passes when the run exits 0 with no sanitizer
# report, RSS after the warm-up (the first quarter, at least 30 s) stays
# within 10 % of its value at the end of the warm-up, and the fd count does
# not grow: the fewest fds over the last three readings is no more than over
# the first three after the warm-up.  (Comparing minima lets a throughput
# test's socket or the traffic probe's brief read of /proc/net/dev be open at
# one reading, as they may be; a leak stays open at every later one.)  Each
# reading is itself the fewest of three looks 0.1 s apart.  Prints the
# figures the README quotes.
#   usage: tests/lib/soak.sh SECONDS     (make soak: 1800 under ASan+LSan)
. "$(dirname "$0")/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
secs=${1:?usage: soak.sh SECONDS}
[ -x "$BB_SERVER_BIN" ] || fail "no server binary at $BB_SERVER_BIN"

SRV_PID= BB_PID=
cleanup() {
	[ -n "$BB_PID" ] && kill "$BB_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	rm -rf "$BB_TMP"
}
trap cleanup EXIT

SRV_NAME=soak bb_server_start -b 127.0.0.1:9876 \
	'rate_limiting={ max_packets_per_second = 50000; burst_size = 5000;
  max_bandwidth_mbps = 50; }'

bb_write_config "$BB_TMP/bb.conf" \
	'targets={ isp_gateway = "none"; public_dns = [ "127.0.0.1", "127.0.0.2", "::1" ]; custom = [ "lo3=127.0.0.3", "lo4=127.0.0.4" ]; }' \
	"servers=$SRV_SERVERS" \
	'tests={ dns = { enabled = false; dns_servers = []; }; throughput = { enabled = true; small_interval_s = 60; medium_interval_s = 600; large_interval_s = 1800; }; bufferbloat = { enabled = true; interval_s = 600; test_duration_s = 5; test_type = "both"; }; }'
# Under AddressSanitizer (make check-asan) freed memory waits in a
# quarantine, 256 MB by default, that fills for as long as we free and reads
# as RSS growth: capped here at 8 MB (a use after a recent free is still
# caught) and allowed on top of the 10 % (other builds ignore both).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
slack_kb=0
nm -D "$BB_BIN" 2>/dev/null | grep -q __asan_init && slack_kb=$((8 * 1024))
# Under ThreadSanitizer (make check-tsan) its own bookkeeping of every
# synchronising access grows the RSS by design (119 MB to 198 MB in 90 s,
# when the same run holds 47 MB in the plain build): the RSS bound is not
# checked there; the plain build and check-asan check it.
rss_checked=true
nm -D "$BB_BIN" 2>/dev/null | grep -q __tsan_init && rss_checked=false
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" --interval 10 \
	--duration "$secs" --status-interval 60 >"$BB_TMP/out" 2>&1 &
BB_PID=$!

warm=$((secs / 4 > 30 ? secs / 4 : 30))
: >"$BB_TMP/trace"
start=$SECONDS
while kill -0 "$BB_PID" 2>/dev/null; do
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$BB_PID/status" 2>/dev/null)
	fds=
	for _ in 1 2 3; do
		n=$(ls "/proc/$BB_PID/fd" 2>/dev/null | wc -l)
		[ -z "$fds" ] || [ "$n" -lt "$fds" ] && fds=$n
		sleep 0.1
	done
	[ -n "$rss" ] && echo "$((SECONDS - start)) $rss $fds" >>"$BB_TMP/trace"
	sleep 4.7
done
wait "$BB_PID"
rc=$?
BB_PID=
tail -5 "$BB_TMP/out"
grep -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$BB_TMP/out" &&
	fail "sanitizer report (above)"
[ $rc -eq 0 ] || fail "bufferbane -d exited $rc"

read -r rss_warm fds_warm < <(awk -v w="$warm" '$1 >= w { print $2, $3; exit }' "$BB_TMP/trace")
[ -n "${rss_warm:-}" ] || fail "no RSS reading after the ${warm} s warm-up"
read -r rss_max fds_max < <(awk -v w="$warm" '$1 >= w { if ($2 > r) r = $2; if ($3 > f) f = $3 } END { print r, f }' "$BB_TMP/trace")
read -r rss_end fds_end < <(tail -1 "$BB_TMP/trace" | cut -d' ' -f2,3)
fds_first=$(awk -v w="$warm" '$1 >= w && n < 3 { if (n == 0 || $3 < m) m = $3; n++ } END { print m }' "$BB_TMP/trace")
fds_last=$(tail -3 "$BB_TMP/trace" | awk '{ if (NR == 1 || $3 < m) m = $3 } END { print m }')
rows=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements")
echo "soak ${secs} s: RSS ${rss_warm} kB after ${warm} s warm-up, max ${rss_max} kB, last ${rss_end} kB;" \
	"fds ${fds_warm} -> max ${fds_max} (fewest ${fds_first} after the warm-up, ${fds_last} at the end); ${rows} samples stored"
$rss_checked || echo "RSS not checked under ThreadSanitizer (its own bookkeeping grows it)"
! $rss_checked ||
	awk -v a="$rss_max" -v b="$rss_warm" -v q="$slack_kb" 'BEGIN { exit !(a <= b * 1.10 + q) }' ||
	fail "RSS grew from ${rss_warm} kB to ${rss_max} kB (> 10 % + ${slack_kb} kB of ASan quarantine) after the warm-up"
[ "$fds_last" -le "$fds_first" ] ||
	fail "file descriptors grew from $fds_first after the warm-up to $fds_last at the end (fewest of three readings each)"
# 5 targets at 10 ms plus the echo stream: far more than this, unless
# samples were dropped or probing stalled
min_rows=$((secs * 400))
[ "$rows" -ge "$min_rows" ] || fail "only $rows samples stored in $secs s (expected >= $min_rows)"
