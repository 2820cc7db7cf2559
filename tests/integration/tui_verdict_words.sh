#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The TUI's header at 80 columns never ends in the middle of a word.  Two
# companion servers the client has the wrong key for (the real
# bufferbane-server on loopback) make a verdict of three sentences, ~150
# columns: the header shows whole words of it and an ellipsis, never a
# word cut short (it once was, and "N events open" overwrote its end).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
SRV_PID=
trap 'tui_stop; tui_server_stop; rm -rf "$BB_TMP"' EXIT
tui_server_start
"$BB_BIN" keygen >"$BB_TMP/wrong" && chmod 600 "$BB_TMP/wrong"
bb_write_config "$BB_TMP/bb.conf" \
	"servers=( { name = \"vps\"; host = \"127.0.0.1\"; port = $SRV_PORT; shared_secret_file = \"$BB_TMP/wrong\"; }, { name = \"backup\"; host = \"127.0.0.1\"; port = $SRV_PORT; shared_secret_file = \"$BB_TMP/wrong\"; } )"
tui_start 80 24 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	-t 127.0.0.1 --interval 200
tui_wait 'bufferbane +LIVE' 15
tui_wait 'No session with (vps|backup)' 20
sleep 3 # both servers' state in the verdict, seconds counting
# the advice names the port; both servers share it, so it is said once
adv="Check that bufferbane-server runs there with the same key and that its UDP port N is open."
full="No session with vps for N s. $adv No session with backup for N s."
alt="No session with backup for N s. $adv No session with vps for N s."
for i in 1 2 3 4 5; do
	line=$(tui_screen | sed -n 2p)
	echo "header: [$line]"
	v=$(echo "$line" | sed 's/^ *[●*] *//; s/ *$//')
	case $v in
	*…) ;;
	*) fail "a 150-column verdict at 80 columns does not end with an ellipsis" ;;
	esac
	shown=$(echo "${v%…}" | sed 's/[0-9][0-9]*/N/g')
	ok=
	for want in "$full" "$alt"; do
		# a prefix of the verdict, ending where a word ends
		if [ "${want#"$shown"}" != "$want" ]; then
			next=${want:${#shown}:1}
			case $next in " " | "," | "." | "") ok=1 ;; esac
		fi
	done
	[ -n "$ok" ] || fail "header cut mid-word: [$v]"
	sleep 0.7
done
tui_keys q
exit 0
