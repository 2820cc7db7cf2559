#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tree's C files against .clang-format, with clang-format 14 (Debian 12's;
# other versions format some constructs differently, so they would report
# differences that are not there).  Usage: format-check.sh [-i] [FILE...]
# (default: every .c and .h file git knows).  Without -i: prints a unified
# diff per file that differs and fails if any does.  With -i: formats the
# files in place.  CLANG_FORMAT=path overrides the choice of binary.
set -u
fix=0
[ "${1:-}" = -i ] && { fix=1; shift; }

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
	for c in clang-format-14 clang-format; do
		command -v "$c" >/dev/null || continue
		[[ $("$c" --version) =~ version\ 14\. ]] && { cf=$c; break; }
	done
fi
if [ -z "$cf" ]; then
	found=$(clang-format --version 2>/dev/null || echo none)
	echo "format-check: SKIPPED: needs clang-format 14 (Debian 12: apt-get install clang-format-14); found: $found" >&2
	exit 0
fi

if [ $# -gt 0 ]; then
	files=("$@")
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find . -name '*.[ch]' -not -path './build/*' | sed 's|^\./||' | sort)
fi

if [ $fix -eq 1 ]; then
	exec "$cf" -i --style=file "${files[@]}"
fi
# One clang-format process over every file finds the candidates (one per
# file would take half a minute); each is then confirmed by comparing the
# formatted bytes with the file, so only a real difference counts.
if ! dry=$("$cf" --style=file --dry-run "${files[@]}" 2>&1); then
	echo "$dry" | grep -v 'warning:' | head -20 >&2
	echo "format-check: $cf failed (above), nothing checked" >&2
	exit 2
fi
mapfile -t cand < <(echo "$dry" |
	sed -n 's/^\(.*\):[0-9]*:[0-9]*: warning: .*clang-format-violations.*/\1/p' | sort -u)
bad=()
for f in "${cand[@]}"; do
	if ! "$cf" --style=file "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" -; then
		bad+=("$f")
	fi
done
if [ ${#bad[@]} -gt 0 ]; then
	echo "format-check: ${#bad[@]} of ${#files[@]} file(s) differ from $cf's formatting: ${bad[*]}" >&2
	echo "format-check: 'make format' rewrites them" >&2
	exit 1
fi
echo "format-check: ${#files[@]} file(s) formatted as $cf formats them"
