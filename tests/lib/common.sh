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

# Interim, until the measurements view shows them: the typed figures of a
# sample (core/base/sample.h) that used to be words in error_detail, as
# core/store/store.c keeps them in samples.ext; a table to select FROM,
# with the view's timestamp, test_type, target, server_name, status,
# rtt_ms and error_detail beside them.  Phases and directions by name.
BB_TYPED="(SELECT s.ts AS timestamp, e.test_type AS test_type,
	e.target AS target, e.server_name AS server_name,
	CASE WHEN s.code & 16384 THEN 'no_session'
	 ELSE CASE s.code & 255 WHEN 0 THEN 'ok' WHEN 1 THEN 'timeout'
	 WHEN 2 THEN 'error' END END AS status,
	round(s.main_us / 1000.0, 3) AS rtt_ms, s.detail AS error_detail,
	json_extract(s.ext, '\$.u') IS NOT NULL AS has_owd,
	CASE json_extract(s.ext, '\$.ld') WHEN 1 THEN 'up' WHEN 2 THEN 'down'
	 END AS loss_dir,
	CASE json_extract(s.ext, '\$.lp') WHEN 1 THEN 'idle' WHEN 2 THEN 'up'
	 WHEN 3 THEN 'down' WHEN 4 THEN 'both' END AS load_phase,
	json_extract(s.ext, '\$.sq') AS sync_pct,
	json_extract(s.ext, '\$.sn') AS sync_n,
	json_extract(s.ext, '\$.bx') / 1000.0 AS bloat_inc_ms,
	json_extract(s.ext, '\$.bu') / 1000.0 AS bloat_up_inc_ms,
	json_extract(s.ext, '\$.bd') / 1000.0 AS bloat_down_inc_ms,
	json_extract(s.ext, '\$.br') AS bloat_rpm
	FROM samples s JOIN series e ON e.id = s.series)"

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
