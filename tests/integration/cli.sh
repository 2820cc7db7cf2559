#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command-line behaviour: --help, --version, keygen, and one clear line with
# exit code 2 for every kind of bad usage or bad configuration.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u

"$BB_BIN" --help | grep -q 'Usage: bufferbane' || fail "--help"
"$BB_BIN" --version | grep -Eq '^bufferbane [0-9]+\.[0-9]+' || fail "--version"
"$BB_SERVER_BIN" --version | grep -Eq '^bufferbane-server [0-9]' || fail "server --version"
"$BB_SERVER_BIN" --help | grep -qi 'usage' || fail "server --help"

# --help lists exactly the commands of tui/main.c's table, and each one
# listed runs (its own --help, exit 0).
table=$(awk '/} commands\[\] = \{/ { t = 1; next } t && /^};/ { exit }
	t && match($0, /^\t\{ "[a-z]+"/) { print substr($0, RSTART + 4, RLENGTH - 5) }' \
	"$BB_TOP/tui/main.c" | sort)
[ "$(echo "$table" | wc -w)" -ge 4 ] || fail "no command table in tui/main.c: '$table'"
listed=$("$BB_BIN" --help | awk '/^Commands:/ { c = 1; next } c && /^$/ { exit }
	c && /^  [a-z]/ { print $1 }' | sort)
[ "$table" = "$listed" ] || fail "--help lists '$(echo $listed)', the table has '$(echo $table)'"
for c in $listed; do
	"$BB_BIN" "$c" --help >"$BB_TMP/o" 2>&1 || fail "$c --help exited $?: $(cat "$BB_TMP/o")"
	grep -qi "usage: bufferbane $c" "$BB_TMP/o" || fail "$c --help: $(cat "$BB_TMP/o")"
done

# The on-screen summary in --help names every view of tui/keys.c's table
# (it once stopped at four when the path view was the fifth).
views=$(awk '/k_view, "/ { n = split($0, f, "\""); print f[n - 1] }' "$BB_TOP/tui/keys.c")
[ "$(echo "$views" | wc -l)" -ge 5 ] || fail "no views found in tui/keys.c: '$views'"
summary=$("$BB_BIN" --help | sed -n '/^Without -d/,/^$/p' | tr -s ' \n' '  ')
echo "$views" | while IFS= read -r v; do
	case "$summary" in *"$v"*) ;; *) fail "--help's on-screen summary does not name the view '$v': $summary" ;; esac
done || exit 1

# Every command takes -c, --db, --help and --version (INTERFACES.md); an
# option a command did not know would be refused before its --help.
bb_write_config "$BB_TMP/any.conf"
for c in $listed; do
	"$BB_BIN" "$c" --version >"$BB_TMP/o" 2>&1 || fail "$c --version exited $?: $(cat "$BB_TMP/o")"
	grep -Eq "^bufferbane [0-9]+\.[0-9]+" "$BB_TMP/o" || fail "$c --version: $(cat "$BB_TMP/o")"
	"$BB_BIN" "$c" -c "$BB_TMP/any.conf" --db "$BB_TMP/any.db" --help >"$BB_TMP/o" 2>&1 ||
		fail "$c -c FILE --db FILE --help exited $?: $(cat "$BB_TMP/o")"
	"$BB_BIN" "$c" --config "$BB_TMP/any.conf" --help >/dev/null 2>&1 || fail "$c --config refused"
done

expect_usage() { # expect_usage PATTERN ARGS...: exit 2, one stderr line matching
	local pat=$1; shift
	"$@" >"$BB_TMP/o" 2>"$BB_TMP/e"
	local rc=$?
	[ $rc -eq 2 ] || fail "$* exited $rc, expected 2 ($(cat "$BB_TMP/e"))"
	[ "$(wc -l <"$BB_TMP/e")" -eq 1 ] || fail "$*: expected one line, got: $(cat "$BB_TMP/e")"
	grep -Eq -e "$pat" "$BB_TMP/e" || fail "$*: '$(cat "$BB_TMP/e")' does not match '$pat'"
}

# --server for one run: HOST[:PORT] replaces the configured server's
# address (its key kept), a configured NAME keeps only that server; with
# no server configured there is no key to use: refused, saying so.
"$BB_BIN" keygen >"$BB_TMP/k" && chmod 600 "$BB_TMP/k"
bb_write_config "$BB_TMP/srv.conf" "servers=( { name = \"a\"; host = \"127.0.0.1\"; port = 9001; shared_secret_file = \"$BB_TMP/k\"; },
	{ name = \"b\"; host = \"127.0.0.1\"; port = 9002; shared_secret_file = \"$BB_TMP/k\"; } )"
plan() { "$BB_BIN" -d -c "$BB_TMP/srv.conf" --no-db --duration 1 "$@" 2>&1 | grep ' probe udp_echo'; }
[ "$(plan | wc -l)" -eq 2 ] || fail "two servers configured, not two echo probes: $(plan)"
plan --server 127.0.0.3:9100 | grep -q '127.0.0.3:9100' || fail "--server HOST:PORT: $(plan --server 127.0.0.3:9100)"
[ "$(plan --server 127.0.0.3:9100 | wc -l)" -eq 1 ] || fail "--server HOST:PORT kept both servers"
plan --server '[::1]' | grep -q '\[::1\]:9876' || fail "--server [::1]: $(plan --server '[::1]')"
plan --server b | grep -q ':9002' || fail "--server b: $(plan --server b)"
[ "$(plan --server b | wc -l)" -eq 1 ] || fail "--server NAME kept both servers"
expect_usage "--server 127.0.0.1:9: no server in the configuration to take the key from" \
	"$BB_BIN" -d -c "$BB_TMP/any.conf" --no-db --server 127.0.0.1:9
expect_usage "--server bad host: neither a configured server's name nor HOST\[:PORT\]" \
	"$BB_BIN" -d -c "$BB_TMP/srv.conf" --no-db --server 'bad host'

# bufferbane bloat with no server, or a --server it cannot use: only the
# error, before any "about 14 s ... ~90 MB" announcement of the test
bb_write_config "$BB_TMP/noserver.conf"
expect_usage "^bufferbane bloat: no server configured \(servers = \.\.\.\)$" \
	"$BB_BIN" bloat -c "$BB_TMP/noserver.conf"
[ -s "$BB_TMP/o" ] && fail "bloat without a server printed: $(cat "$BB_TMP/o")"
expect_usage "^bufferbane bloat: \"bad host\" is neither an address nor a host name" \
	"$BB_BIN" bloat -c "$BB_TMP/srv.conf" --server 'bad host'
[ -s "$BB_TMP/o" ] && fail "bloat --server 'bad host' printed: $(cat "$BB_TMP/o")"

k1=$("$BB_BIN" keygen) && k2=$("$BB_BIN" keygen) || fail "keygen failed"
[[ $k1 =~ ^[0-9a-f]{64}$ ]] || fail "keygen printed '$k1'"
[ "$k1" != "$k2" ] || fail "keygen printed the same key twice"

expect_usage "unknown option '--bogus'" "$BB_BIN" --bogus
expect_usage "unknown command 'frobnicate' \(see" "$BB_BIN" frobnicate
# A near miss (Levenshtein distance <= 2) names the command meant.
expect_usage "unknown command 'stat'; did you mean 'stats'\?" "$BB_BIN" stat
expect_usage "unknown command 'reprot'; did you mean 'report'\?" "$BB_BIN" reprot
expect_usage "unknown command 'kegyen'; did you mean 'keygen'\?" "$BB_BIN" kegyen
expect_usage "unknown command 'bloatware' \(see" "$BB_BIN" bloatware
expect_usage "--interval must be" "$BB_BIN" -d --interval 5
expect_usage "needs a value" "$BB_BIN" -d --db
expect_usage "unknown option" "$BB_SERVER_BIN" --bogus

printf 'general = { test_interval_ms = 5; };\n' >"$BB_TMP/bad.conf"
expect_usage "bad.conf:1: general.test_interval_ms" "$BB_BIN" -d -c "$BB_TMP/bad.conf"
printf 'general = { test_interval_ms = 100 \n' >"$BB_TMP/syntax.conf"
expect_usage "syntax.conf:[0-9]+: syntax error" "$BB_BIN" -d -c "$BB_TMP/syntax.conf"
printf 'generl = { };\n' >"$BB_TMP/typo.conf"
expect_usage "typo.conf:1: generl" "$BB_BIN" -d -c "$BB_TMP/typo.conf"
expect_usage "missing.conf" "$BB_BIN" -d -c "$BB_TMP/missing.conf"

# Not a database: refused with the file named, and the file left untouched.
bb_write_config "$BB_TMP/ok.conf"
head -c 4096 /dev/urandom >"$BB_TMP/garbage.db"
sum=$(md5sum <"$BB_TMP/garbage.db")
"$BB_BIN" -d -c "$BB_TMP/ok.conf" --db "$BB_TMP/garbage.db" -t 127.0.0.1 \
	--duration 1 >/dev/null 2>"$BB_TMP/e"
rc=$?
# (bad input, as in every command: exit 2, bad_db.sh has the whole matrix)
[ $rc -eq 2 ] || fail "garbage database: exit $rc"
grep -q "garbage.db" "$BB_TMP/e" || fail "garbage database: message does not name the file: $(cat "$BB_TMP/e")"
[ "$(md5sum <"$BB_TMP/garbage.db")" = "$sum" ] || fail "garbage database was modified"
exit 0
