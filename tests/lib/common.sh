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
	declare -A sec=(
		[general]='{ test_interval_ms = 100; probe_timeout_ms = 500; }'
		[targets]='{ isp_gateway = "none"; public_dns = []; custom = []; }'
		[tests]='{ dns = { enabled = false; dns_servers = []; }; bufferbloat = { enabled = false; }; throughput = { enabled = false; }; }'
		[monitoring]='{ auto_detect_gateway = false; }'
	)
	local arg
	for arg in "$@"; do
		sec[${arg%%=*}]=${arg#*=}
	done
	: >"$file"
	for arg in "${!sec[@]}"; do
		printf '%s = %s;\n' "$arg" "${sec[$arg]}" >>"$file"
	done
}
