# SPDX-License-Identifier: MIT
# Shared helpers for tests/integration and tests/lab scripts (bash).
#
# bb_sandbox: re-run the calling script inside a fresh network namespace that
# has only loopback, so nothing a test starts can reach any real address,
# whatever a configuration says.  Needs root (CI runs as root); without it the
# script runs as is, and its configurations name loopback addresses only.

BB_TOP=${BB_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BB_BIN=${BB_BIN:-$BB_TOP/bufferbane}
BB_SERVER_BIN=${BB_SERVER_BIN:-$BB_TOP/bufferbane-server}
case $BB_BIN in /*) ;; *) BB_BIN=$BB_TOP/$BB_BIN ;; esac
case $BB_SERVER_BIN in /*) ;; *) BB_SERVER_BIN=$BB_TOP/$BB_SERVER_BIN ;; esac

bb_sandbox() {
	if [ -z "${BB_SANDBOXED:-}" ] && [ "$(id -u)" -eq 0 ] &&
		command -v unshare >/dev/null; then
		export BB_SANDBOXED=1
		exec unshare --net -- bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
	fi
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIPPED: $*"
	exit 77
}

# bb_tmpdir: a temporary folder removed when the script exits.
bb_tmpdir() {
	BB_TMP=$(mktemp -d /tmp/bb-test.XXXXXX)
	trap 'rm -rf "$BB_TMP"' EXIT
}

# bb_gen DB BBGEN-ARGS...: a generated recording at DB (build/bench/bbgen,
# stdout left to the caller); fails with bbgen's stderr when it does.
bb_gen() {
	local gen=$BB_TOP/${BB_BUILD:-build}/bench/bbgen db=$1
	shift
	[ -x "$gen" ] || fail "$gen is missing (make ${BB_BUILD:-build}/bench/bbgen)"
	"$gen" -o "$db" "$@" 2>"$BB_TMP/bbgen.err" ||
		{ cat "$BB_TMP/bbgen.err"; fail "bbgen failed"; }
}

# sql DB QUERY: one value from the database.
sql() {
	sqlite3 -batch -noheader "$1" "$2"
}

# bb_write_config FILE [SECTION='{ ... }']...: a configuration with no public
# target at all (no gateway, no ICMP list, DNS and server tests off); each
# SECTION=VALUE argument replaces that section whole (libconfig cannot merge
# two definitions of one section).  Every test starts from this and adds
# loopback or lab targets only.
bb_write_config() {
	local file=$1; shift
	bb_write_sections "$file" \
		'general={ test_interval_ms = 100; probe_timeout_ms = 500; }' \
		'targets={ isp_gateway = "none"; public_dns = []; custom = []; }' \
		'tests={ dns = { enabled = false; dns_servers = []; }; bufferbloat = { enabled = false; }; throughput = { enabled = false; }; }' \
		'monitoring={ auto_detect_gateway = false; }' "$@"
}

# bb_write_sections FILE SECTION=VALUE...: "SECTION = VALUE;" lines, a later
# SECTION replacing an earlier one whole.
bb_write_sections() {
	local file=$1 arg; shift
	declare -A sec=()
	for arg in "$@"; do
		sec[${arg%%=*}]=${arg#*=}
	done
	: >"$file"
	for arg in "${!sec[@]}"; do
		printf '%s = %s;\n' "$arg" "${sec[$arg]}" >>"$file"
	done
}

# bb_server_start [-n NS] [-b ADDR:PORT] [SECTION=VALUE]...: the real
# bufferbane-server with a 0600 key in $BB_TMP/key (made once, kept), its
# configuration in $BB_TMP/srv.conf (workers = 1 and that key; each
# SECTION=VALUE replaces a section whole, as in bb_write_config), its log
# appended to $BB_TMP/srv.log; -n runs it in lab namespace NS (tests/lib/
# lab.sh), -b binds it elsewhere than 127.0.0.1:0.  Returns once it listens;
# sets SRV_PID (the server itself), SRV_HOST, SRV_PORT and SRV_SERVERS, the
# client's servers section naming it ${SRV_NAME:-lo}.  bb_server_stop ends it.
# Rate limits roomy enough for a throughput test on loopback (BB_SRV_FAST)
# or through the lab modem (BB_SRV_LAB); the shipped ones are lower.
BB_SRV_FAST='rate_limiting={ max_packets_per_second = 20000; burst_size = 2000;
  max_bandwidth_mbps = 200; }'
BB_SRV_LAB='rate_limiting={ max_packets_per_second = 50000; burst_size = 5000;
  max_bandwidth_mbps = 100; }'

bb_server_start() {
	local ns= bind=127.0.0.1:0 i log=$BB_TMP/srv.log
	while [ $# -gt 0 ]; do
		case $1 in
		-n) ns=$2; shift 2 ;;
		-b) bind=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"
	if [ ! -s "$BB_TMP/key" ]; then
		"$BB_BIN" keygen >"$BB_TMP/key" || fail "keygen failed"
		chmod 600 "$BB_TMP/key"
	fi
	bb_write_sections "$BB_TMP/srv.conf" 'general={ workers = 1; }' \
		"security={ shared_secret_file = \"$BB_TMP/key\"; }" "$@"
	local from
	from=$(wc -l 2>/dev/null <"$log" || echo 0) # (no log yet: 0)
	# (not lab_exec: $! must be the server itself; ip netns exec execs it)
	if [ -n "$ns" ]; then
		ip netns exec "$LAB-$ns" "$BB_SERVER_BIN" -c "$BB_TMP/srv.conf" \
			--bind "$bind" 2>>"$log" &
	else
		"$BB_SERVER_BIN" -c "$BB_TMP/srv.conf" --bind "$bind" 2>>"$log" &
	fi
	SRV_PID=$!
	SRV_HOST=${bind%:*} SRV_HOST=${SRV_HOST#[} SRV_HOST=${SRV_HOST%]}
	SRV_PORT=
	for ((i = 0; i < 200; i++)); do
		SRV_PORT=$(tail -n +$((from + 1)) "$log" |
			sed -n 's/.*listening on .*:\([0-9]*\),.*/\1/p' | tail -1)
		[ -n "$SRV_PORT" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$SRV_PORT" ] || { cat "$log"; fail "server did not start"; }
	SRV_SERVERS="( { name = \"${SRV_NAME:-lo}\"; host = \"$SRV_HOST\"; port = $SRV_PORT; shared_secret_file = \"$BB_TMP/key\"; } )"
}

bb_server_stop() {
	[ -n "${SRV_PID:-}" ] || return 0
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}
