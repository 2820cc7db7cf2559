# SPDX-License-Identifier: MIT
# Helpers for tests/integration/attack_*.sh (bash; source after common.sh
# and bb_sandbox): the bbattack tool (tests/bench/bbattack.c) and the real
# bufferbane-server on 127.0.0.1 with a fresh key.
#
# ATTACK_REV (default 2) is the protocol revision the tools speak: 2 reads
# the cookie from KNOCK_ACK and sends it in every later request; a
# revision-1 server takes that cookie for padding, so 2 works against both.

ATTACK_REV=${ATTACK_REV:-2}
ATTACK_BUILD=${BB_BUILD:-build}
case $ATTACK_BUILD in /*) ;; *) ATTACK_BUILD=$BB_TOP/$ATTACK_BUILD ;; esac
ATTACK_BIN=$ATTACK_BUILD/bench/bbattack

# attack_tool: build bbattack when missing (make test-run builds it).
attack_tool() {
	[ "$(id -u)" -eq 0 ] || skip "raw sockets (forged sources) need root"
	[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"
	if [ ! -x "$ATTACK_BIN" ]; then
		make -C "$BB_TOP" --no-print-directory -s \
			"${ATTACK_BIN#$BB_TOP/}" >&2 || fail "cannot build $ATTACK_BIN"
	fi
}

# atk CMD [ARGS...]: run bbattack against the server with the key.
atk() {
	local cmd=$1; shift
	"$ATTACK_BIN" "$cmd" --server "127.0.0.1:$SRV_PORT" --key "$BB_TMP/key" \
		--rev "$ATTACK_REV" "$@"
}

# field LINE NAME: the value of NAME=value in a key=value line.
field() {
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}

# attack_server_start [GENERAL] [RATE_LIMITING] [PORT]: the server with the
# shipped limits (or the sections given), info log in $BB_TMP/srv.log; sets
# SRV_PID and SRV_PORT.  Reuses $BB_TMP/key when it exists.
attack_server_start() {
	local general=${1:-'{ workers = 1; max_concurrent_clients = 100; }'}
	local rl=${2:-'{ max_packets_per_second = 2000; burst_size = 500; max_bandwidth_mbps = 100; }'}
	: >"$BB_TMP/srv.log"
	bb_server_start -b "127.0.0.1:${3:-0}" "general=$general" \
		"rate_limiting=$rl"
}

attack_server_stop() {
	bb_server_stop
}
