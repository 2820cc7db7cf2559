#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/check-layers.sh passes on the tree and catches each kind of breach,
# in core/'s subfolders too: a copy of the four layers gets one bad line at
# a time and the check must fail naming that file.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
check=$BB_TOP/tests/check-layers.sh
(cd "$BB_TOP" && "$check") >"$BB_TMP/out" 2>&1 || fail "the tree: $(cat "$BB_TMP/out")"

cp -r "$BB_TOP"/proto "$BB_TOP"/core "$BB_TOP"/tui "$BB_TOP"/server "$BB_TMP/"
cd "$BB_TMP"
"$check" >out 2>&1 || fail "the copy: $(cat out)"

# breach FILE LINE PATTERN: with LINE appended to FILE the check fails and
# its message matches PATTERN and names FILE; then FILE is restored.
breach() {
	local file=$1 line=$2 pat=$3
	cp "$file" "$file.orig" 2>/dev/null || : >"$file.orig"
	echo "$line" >>"$file"
	"$check" >out 2>&1 && fail "'$line' in $file passed"
	grep -q -- "$pat" out || fail "'$line' in $file: $(cat out)"
	grep -q "^$file:" out || fail "'$line' in $file: file not named: $(cat out)"
	if [ -s "$file.orig" ]; then mv "$file.orig" "$file"; else rm -f "$file" "$file.orig"; fi
}
breach server/serve.c '#include "core/store/store.h"' "server/ reaches into core/"
breach server/serve.h '#include "core/base/config.h"' "server/ reaches into core/"
breach server/worker.c '#include "../core/probe/probe.h"' "server/ reaches into core/"
breach server/main.c '#include "tui/app.h"' "server/ includes tui/"
breach core/analysis/detect.c '#include <ncurses.h>' "core/ includes curses"
breach core/probe/new_kind.c '#include "tui/view.h"' "core/ includes curses, tui/"
breach core/store/store.h '#include "server/serve.h"' "core/ includes curses, tui/ or server/"
breach proto/wire.c '#include "core/base/clock.h"' "proto/ includes our other layers"
breach tui/cmd_keygen.c 'int fd = socket(AF_INET, SOCK_DGRAM, 0);' "tui/ opens or uses sockets"

# What the server may use stays allowed; a layer with no files is an error.
"$check" >out 2>&1 || fail "restored copy: $(cat out)"
mv core core.moved
"$check" >out 2>&1 && fail "no core/ passed"
grep -q "no source files under core/" out || fail "no core/: $(cat out)"
exit 0
