#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The manual pages render without a warning (groff -ww, man -l) and keep up
# with the programs: every option that `bufferbane --help` shows is in
# bufferbane(1)'s OPTIONS, every command it lists has a subsection
# .SS "bufferbane CMD" holding every option of `bufferbane CMD --help`, and
# every option of `bufferbane-server --help` is in bufferbane-server(8).
# The lists come from the programs, so a new command or option fails here
# until it is documented.  (The config keys: tests/unit/test_manpage.c.)
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
command -v groff >/dev/null || skip "groff missing (groff-base)"
command -v man >/dev/null || skip "man missing (man-db)"
M=$BB_TOP/etc/man
pages=("$M/bufferbane.1" "$M/bufferbane.conf.5" "$M/bufferbane-server.8")

# warnings PAGE: what groff -ww and man -l say about PAGE on stderr.
warnings() {
	groff -ww -man -Tutf8 -z "$1" 2>&1 >/dev/null
	MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null
}
# The check sees warnings: a page with an unknown macro and a bad escape.
{ cat "${pages[0]}"; printf '.XYZ\nbad \\fQescape\n'; } >"$BB_TMP/bad.1"
[ -n "$(warnings "$BB_TMP/bad.1")" ] || fail "groff/man show no warning for a broken page"
for p in "${pages[@]}"; do
	[ -f "$p" ] || fail "$p missing"
	w=$(warnings "$p")
	[ -z "$w" ] || fail "$(basename "$p"): $w"
	MANWIDTH=80 man -l "$p" 2>/dev/null | grep -q NAME || fail "$(basename "$p") renders nothing"
done

# The pages carry the programs' version.
v=$("$BB_BIN" --version | awk '{print $2}')
[ -n "$v" ] || fail "bufferbane --version printed no version"
for p in "${pages[@]}"; do
	grep -q "^\.TH .*\"bufferbane $v\"" "$p" ||
		fail "$(basename "$p"): .TH does not name bufferbane $v"
done

# plain FILE: the roff source with \- \& and font escapes taken out, so an
# option reads as it is typed.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\f[BIRP]//g' -e 's/\\f\[[A-Z]*\]//g' "$1"
}
# options: the options named in a help text on stdin, one per line.
options() {
	grep -oE '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[][ ,|(]//' | sort -u
}
# between FILE START END: the lines from the first matching START up to
# (not including) the next line matching END.
between() {
	awk -v s="$2" -v e="$3" 'f && $0 ~ e {exit} $0 ~ s {f=1} f' "$1"
}
# check_opts WHAT TEXT_FILE OPTION...: each option is in TEXT_FILE as a
# whole word.
missing=()
check_opts() {
	local what=$1 text=$2 o; shift 2
	for o in "$@"; do
		grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$)" "$text" ||
			missing+=("$what: $o")
	done
}

plain "$M/bufferbane.1" >"$BB_TMP/b1"
"$BB_BIN" --help >"$BB_TMP/help" || fail "bufferbane --help failed"
sed '/^Commands:/,$d' "$BB_TMP/help" >"$BB_TMP/help.top"
between "$BB_TMP/b1" '^\.SH OPTIONS' '^\.SH ' >"$BB_TMP/opts"
[ -s "$BB_TMP/opts" ] || fail "bufferbane.1 has no OPTIONS section"
mapfile -t top < <(options <"$BB_TMP/help.top")
[ ${#top[@]} -ge 10 ] || fail "only ${#top[@]} options found in bufferbane --help: ${top[*]}"
check_opts "bufferbane.1 OPTIONS" "$BB_TMP/opts" "${top[@]}"

# the commands: the indented words at the start of the Commands block
mapfile -t cmds < <(sed -n '/^Commands:/,/^$/p' "$BB_TMP/help" |
	sed -n 's/^  \([a-z][a-z-]*\)\b.*/\1/p')
[ ${#cmds[@]} -ge 5 ] || fail "only ${#cmds[@]} commands found in bufferbane --help: ${cmds[*]}"
for c in "${cmds[@]}"; do
	between "$BB_TMP/b1" "^\\.SS \"bufferbane $c\"" '^\.S[SH] ' >"$BB_TMP/cmd.$c"
	if [ ! -s "$BB_TMP/cmd.$c" ]; then
		missing+=("bufferbane.1: no subsection .SS \"bufferbane $c\"")
		continue
	fi
	"$BB_BIN" "$c" --help >"$BB_TMP/help.$c" 2>&1 ||
		fail "bufferbane $c --help exited $?: $(cat "$BB_TMP/help.$c")"
	# its line in the top-level table counts too
	sed -n "/^  $c\\b/p" "$BB_TMP/help" >>"$BB_TMP/help.$c"
	mapfile -t o < <(options <"$BB_TMP/help.$c" | grep -vxE -- '-h|--help')
	[ ${#o[@]} -eq 0 ] || check_opts "bufferbane.1 \"bufferbane $c\"" "$BB_TMP/cmd.$c" "${o[@]}"
done

plain "$M/bufferbane-server.8" >"$BB_TMP/s8"
between "$BB_TMP/s8" '^\.SH OPTIONS' '^\.SH ' >"$BB_TMP/sopts"
"$BB_SERVER_BIN" --help >"$BB_TMP/shelp" || fail "bufferbane-server --help failed"
mapfile -t so < <(options <"$BB_TMP/shelp")
[ ${#so[@]} -ge 5 ] || fail "only ${#so[@]} options in bufferbane-server --help: ${so[*]}"
check_opts "bufferbane-server.8 OPTIONS" "$BB_TMP/sopts" "${so[@]}"

if [ ${#missing[@]} -gt 0 ]; then
	printf 'undocumented: %s\n' "${missing[@]}" >&2
	fail "${#missing[@]} options or commands are not in the manual"
fi
echo "ok: ${#top[@]} monitor options, ${#cmds[@]} commands (${cmds[*]}), ${#so[@]} server options"
