#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shipped configuration (etc/bufferbane.conf, every default) with a
# real bufferbane-server on 127.0.0.1, inside a private network namespace
# with loopback and a dead-end default route only (the shipped public
# targets cannot leave it):
#  1. as shipped: no scheduled test in the first 5 minutes, so a 20 s run
#     records echo samples and no upload, download or bufferbloat sample
#     (the unit test test_schedule checks the 300 s the probe gets);
#  2. the default schedule started early (first_test_s = 2, nothing else
#     changed): the bufferbloat test and the three throughput tests run,
#     the ICMP probes sent meanwhile are flagged under our own load, and
#     every probe after the last test is counted again (not flagged); each
#     flagged probe carries the phase of the load it met.
#     Before, upload then download left the load span open for good.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
[ -n "${BB_SANDBOXED:-}" ] || skip "needs root: the shipped targets are public addresses"
[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

# the shipped resolvers need a route to open their sockets: a default
# route via a lab address on a veth pair whose both ends are in this
# namespace (no one answers ARP for 198.18.0.1: all of it is dropped here)
ip link add bbv0 type veth peer name bbv1 || skip "no veth support"
ip addr add 198.18.0.2/24 dev bbv0
ip link set bbv0 up
ip link set bbv1 up
ip route add default via 198.18.0.1 dev bbv0

trap 'bb_server_stop; rm -rf "$BB_TMP"' EXIT
bb_server_start -b 127.0.0.1:9876 'rate_limiting={ max_packets_per_second = 50000;
  burst_size = 5000; max_bandwidth_mbps = 1000; }'

# the shipped file, plus the server and an ICMP target on loopback
sed -e "s|^servers = ( );|servers = ( { name = \"lo\"; host = \"127.0.0.1\"; shared_secret_file = \"$BB_TMP/key\"; } );|" \
	-e 's|^  custom = \[ \];|  custom = [ "127.0.0.1" ];|' \
	"$BB_TOP/etc/bufferbane.conf" >"$BB_TMP/shipped.conf"
grep -q 'name = "lo"' "$BB_TMP/shipped.conf" && grep -q '"127.0.0.1" ]' "$BB_TMP/shipped.conf" ||
	fail "could not add the server and target to the shipped file"
q() { sql "$1" "$2"; }

# 1. as shipped
"$BB_BIN" -d -c "$BB_TMP/shipped.conf" --db "$BB_TMP/a.db" --duration 20 \
	>"$BB_TMP/out" 2>&1 || { cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
echo_ok=$(q "$BB_TMP/a.db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='ok'")
tests=$(q "$BB_TMP/a.db" "SELECT count(*) FROM measurements WHERE test_type IN ('upload','download','bufferbloat')")
echo "as shipped, 20 s: $echo_ok echo replies, $tests test results"
[ "$echo_ok" -ge 15 ] || fail "the server session never came up ($echo_ok echo replies)"
[ "$tests" = 0 ] || fail "$tests scheduled test results in the first 20 s"

# 2. the default schedule from 2 s on
sed -i 's|^    first_test_s = 300;|    first_test_s = 2;|' "$BB_TMP/shipped.conf"
[ "$(grep -c 'first_test_s = 2;' "$BB_TMP/shipped.conf")" = 2 ] || fail "first_test_s not found twice"
t0=$(date +%s%3N)
"$BB_BIN" -d -c "$BB_TMP/shipped.conf" --db "$BB_TMP/b.db" --duration 45 \
	>"$BB_TMP/out" 2>&1 || { cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
t1=$(date +%s%3N)
q "$BB_TMP/b.db" "SELECT test_type, status, error_detail FROM measurements WHERE test_type IN ('upload','download','bufferbloat') ORDER BY timestamp"
n_ok=$(q "$BB_TMP/b.db" "SELECT count(DISTINCT test_type) FROM measurements WHERE test_type IN ('upload','download','bufferbloat') AND status='ok'")
[ "$n_ok" = 3 ] || fail "not every test kind ran ($n_ok of 3)"
# the ICMP samples to 127.0.0.1 with their under-load flag
icmp() {
	q "$BB_TMP/b.db" "SELECT $1 FROM measurements
		WHERE test_type='icmp' AND target LIKE '%127.0.0.1%' $2"
}
flagged=$(icmp 'count(*)' 'AND under_load')
last_flag=$(icmp 'max(timestamp)' 'AND under_load')
after=$(icmp 'count(*)' "AND timestamp > ${last_flag:-0}")
tail_n=$(icmp 'count(*)' "AND timestamp > $((t1 - 12000))")
tail_flagged=$(icmp 'count(*)' "AND timestamp > $((t1 - 12000)) AND under_load")
echo "icmp: $flagged flagged under load, the last $(( (${last_flag:-$t0} - t0) / 1000 )) s in;" \
	"$after counted after it; last 12 s: $tail_flagged of $tail_n flagged"
[ "$flagged" -ge 5 ] || fail "no ICMP probe flagged during the tests"
[ "$tail_n" -ge 8 ] || fail "only $tail_n ICMP samples in the last 12 s"
[ "$tail_flagged" = 0 ] || fail "$tail_flagged ICMP probes flagged long after the tests ended"
# each flagged probe says which load it met (the echo probe tells the
# worker its phase: upload up, download down, bloat idle/up/down/both)
phases=$(icmp "group_concat(DISTINCT coalesce(load_phase, 'none'))" 'AND under_load')
unflagged_phase=$(icmp 'count(*)' 'AND NOT under_load AND load_phase IS NOT NULL')
echo "icmp under load met phases: $phases"
case ",$phases," in *,none,*) fail "ICMP probes flagged under load without a phase ($phases)" ;; esac
case ",$phases," in *,up,*) ;; *) fail "no ICMP probe met the upload phase ($phases)" ;; esac
case ",$phases," in *,down,*) ;; *) fail "no ICMP probe met the download phase ($phases)" ;; esac
[ "$unflagged_phase" = 0 ] || fail "$unflagged_phase unflagged ICMP probes carry a load phase"
echo PASS
