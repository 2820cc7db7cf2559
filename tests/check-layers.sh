#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The layering rules of STYLE.md, kept true by grep (run from the top of the
# tree):
#   proto/ includes nothing of ours;
#   core/ never includes curses, tui/ or server/;
#   tui/ opens no sockets;
#   server/ uses proto/ and, of core/, only core/base/clock.h, sock.h and
#   cfgtable.h; never tui/.
# Every folder is scanned at any depth (core/ is core/base, core/probe, ...).
set -u
shopt -s globstar nullglob
fail=0
bad() { echo "check-layers: $*" >&2; fail=1; }

# The layers' .c and .h files at any depth.  An empty layer is an error, so
# a moved folder cannot make the check pass by scanning nothing.
declare -A src
for layer in proto core tui server; do
	f=("$layer"/**/*.[ch])
	[ ${#f[@]} -gt 0 ] || bad "no source files under $layer/"
	src[$layer]=${f[*]}
done
# scan LAYER REGEX: the matching lines (file:line:text), if any.
scan() {
	[ -n "${src[$1]}" ] && grep -nE "$2" ${src[$1]} /dev/null
}
inc='#include *["<](\.\./)*'

hits=$(scan proto "$inc(core|tui|server)/")
[ -n "$hits" ] && bad "proto/ includes our other layers:"$'\n'"$hits"
hits=$(scan core "$inc(n?curses|ncursesw/|tui/|server/)")
[ -n "$hits" ] && bad "core/ includes curses, tui/ or server/:"$'\n'"$hits"
hits=$(scan tui '\b(socket|connect|bind|sendto|recvfrom|recvmsg|sendmsg|sendmmsg|recvmmsg) *\(')
[ -n "$hits" ] && bad "tui/ opens or uses sockets:"$'\n'"$hits"
hits=$(scan server "$inc(tui|n?curses|ncursesw)/?")
[ -n "$hits" ] && bad "server/ includes tui/ or curses:"$'\n'"$hits"
# The server shares the client's foundations (clocks, sockets, the
# table-driven config loader) and nothing of its engine.
hits=$(scan server "${inc}core/" | grep -vE "${inc}core/base/(clock|sock|cfgtable)\.h\"")
[ -n "$hits" ] && bad "server/ reaches into core/ beyond core/base/clock.h, sock.h and cfgtable.h:"$'\n'"$hits"
[ $fail -eq 0 ] && echo "check-layers: ok"
exit $fail
