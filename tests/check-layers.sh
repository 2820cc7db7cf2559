#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The layering rules of STYLE.md, kept true by grep:
#   proto/ includes nothing of ours; core/ never includes curses or tui/;
#   tui/ opens no sockets; server/ uses proto/ and core/'s small utilities only.
set -u
fail=0
bad() { echo "check-layers: $*" >&2; fail=1; }

hits=$(grep -nE '#include *"(core|tui|server)/' proto/*.[ch] 2>/dev/null)
[ -n "$hits" ] && bad "proto/ includes our other layers:"$'\n'"$hits"
hits=$(grep -nE '#include *[<"](n?curses|ncursesw/|tui/)' core/*.[ch] core/*/*.[ch] 2>/dev/null)
[ -n "$hits" ] && bad "core/ includes curses or tui/:"$'\n'"$hits"
hits=$(grep -nE '\b(socket|connect|bind|sendto|recvfrom|recvmsg|sendmsg) *\(' tui/*.[ch] tui/*/*.[ch] 2>/dev/null)
[ -n "$hits" ] && bad "tui/ opens or uses sockets:"$'\n'"$hits"
hits=$(grep -nE '#include *"tui/' server/*.[ch] 2>/dev/null)
[ -n "$hits" ] && bad "server/ includes tui/:"$'\n'"$hits"
[ $fail -eq 0 ] && echo "check-layers: ok"
exit $fail
