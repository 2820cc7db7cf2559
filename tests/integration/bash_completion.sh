#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# etc/bash-completion/bufferbane completes, against the real program: the
# commands (all of those --help lists), every option of each command, the
# words of --format per command, event kinds and severities, database and
# config files, interfaces; and bufferbane-server's options.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
comp=$BB_TOP/etc/bash-completion/bufferbane
[ -f "$comp" ] || fail "$comp missing"

# complete WORD...: what TAB offers after the words (the last one is the
# word being completed), sorted, on one line.  Runs in a clean bash.
complete_words() {
	bash --norc --noprofile -c '
		source "$1" || exit 1; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		case $1 in *-server) _bufferbane_server ;; *) _bufferbane ;; esac
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$comp" "$@"
}
# expect WANT WORD...: the offer is exactly WANT (sorted, space-separated).
expect() {
	local want=$1 got; shift
	got=$(complete_words "$@")
	got=${got% }
	[ "$got" = "$want" ] || fail "complete '$*': got '$got', want '$want'"
}
# offers WORD... : WANT...: the offer includes each of WANT.
offers() {
	local args=() w got
	while [ "$1" != : ]; do args+=("$1"); shift; done
	shift
	got=" $(complete_words "${args[@]}") "
	for w in "$@"; do
		[[ $got == *" $w "* ]] || fail "complete '${args[*]}': no '$w' in '$got'"
	done
}

B=$BB_BIN
# the commands: exactly those --help lists
cmds=$("$B" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' | sort | tr '\n' ' ')
expect "${cmds% }" "$B" ""
expect "events export" "$B" e
expect "stats" "$B" st
# the monitor's own options, not the commands'
offers "$B" -- : --config --db --daemon --replay --target --interface \
	--interval --duration --no-db --status-interval --help --version
got=$(complete_words "$B" --)
[[ " $got " != *" --before "* ]] || fail "the monitor offers cleanup's --before: $got"
expect "--status-interval" "$B" --st

# each command offers every option its --help names
for c in $cmds; do
	want=$("$B" "$c" --help | grep -oE '(^|[][ ,|(])--[A-Za-z][A-Za-z0-9-]*' |
		sed 's/^[][ ,|(]//' | sort -u)
	[ -n "$want" ] || continue
	# shellcheck disable=SC2086
	offers "$B" "$c" -- : $want
done
offers "$B" cleanup -- : --before --keep-aggregations --yes --db --config

# values
expect "json text" "$B" stats --format ""
expect "html md" "$B" report --format ""
expect "csv json" "$B" export --format ""
expect "critical info warning" "$B" events --severity ""
expect "packet_loss" "$B" events --kind pac
# every kind the program knows (its own list, on a bad --kind), no other
kinds=$("$B" events --kind '?' 2>&1 | sed -n 's/.*; the kinds: //p' | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')
[ -n "$kinds" ] || fail "bufferbane events --kind '?' lists no kinds"
expect "${kinds% }" "$B" events --kind ""
expect "lo" "$B" -i l
mkdir "$BB_TMP/d" "$BB_TMP/d/sub"
touch "$BB_TMP/d/a.db" "$BB_TMP/d/b.txt" "$BB_TMP/d/c.conf"
expect "$BB_TMP/d/a.db $BB_TMP/d/sub" "$B" stats --db "$BB_TMP/d/"
expect "$BB_TMP/d/a.db $BB_TMP/d/sub" "$B" --replay "$BB_TMP/d/"
expect "$BB_TMP/d/c.conf $BB_TMP/d/sub" "$B" -c "$BB_TMP/d/"
expect "$BB_TMP/d/a.db $BB_TMP/d/b.txt $BB_TMP/d/c.conf $BB_TMP/d/sub" "$B" report -o "$BB_TMP/d/"
# a value named in capitals gets no option list
expect "" "$B" stats --start ""

# the server
offers "$BB_SERVER_BIN" -- : --config --bind --foreground --help --version
expect "$BB_TMP/d/c.conf $BB_TMP/d/sub" "$BB_SERVER_BIN" -c "$BB_TMP/d/"
# chart kinds, when this tree has the command
if [[ " $cmds " == *" chart "* ]]; then
	kinds=$("$B" chart --help | sed -n '/^  KIND/,/^  -/p' | grep -oE '\b[a-z]+(_[a-z]+)+\b' | sort | tr '\n' ' ')
	[ -n "$kinds" ] || fail "no kinds in bufferbane chart --help"
	expect "${kinds% }" "$B" chart ""
	expect "daily_heatmap" "$B" chart dai
	offers "$B" charts -- : --output-dir --segments --style
fi
# words a help text lists as "CMD a|b|c" or "--opt a|b|c" complete by
# themselves (a command this tree does not have yet, e.g. chart kinds)
mkdir "$BB_TMP/fake"
cat >"$BB_TMP/fake/bufferbane" <<'EOF2'
#!/bin/sh
case "$1 $2" in
"chart --help") echo "usage: bufferbane chart rtt|loss|jitter [--style light|dark] [-o FILE]" ;;
*) printf 'Options:\n  -c, --config FILE\n\nCommands:\n  chart KIND [-o FILE]  a chart\n' ;;
esac
EOF2
chmod +x "$BB_TMP/fake/bufferbane"
expect "chart" "$BB_TMP/fake/bufferbane" c
expect "jitter loss rtt" "$BB_TMP/fake/bufferbane" chart ""
expect "dark light" "$BB_TMP/fake/bufferbane" chart rtt --style ""
offers "$BB_TMP/fake/bufferbane" chart - : --style -o

# a program that is not there completes nothing, quietly
expect "" /nonexistent/bufferbane ""
echo "ok: commands $cmds"
