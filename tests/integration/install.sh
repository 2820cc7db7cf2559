#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make install into a DESTDIR lays out exactly the package tree below; the
# installed programs run; the units carry PREFIX's paths and pass
# `systemd-analyze verify` (installed a second time under a real prefix so
# that the programs and man pages they name exist); make uninstall leaves
# nothing but an edited configuration, which a re-install keeps (the new
# example goes next to it as .dist); make install-setcap gives the client
# CAP_NET_RAW.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
BUILD=${BB_BUILD:-build}
mk() { make -s -C "$BB_TOP" --no-print-directory BUILD="$BUILD" "$@"; }
# files DIR: every file and link under DIR, sorted
files() { (cd "$1" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\./||' | sort); }

D=$BB_TMP/dest
mk install DESTDIR="$D" >"$BB_TMP/out" 2>&1 || fail "make install: $(cat "$BB_TMP/out")"
cat >"$BB_TMP/want" <<'EOF'
etc/bufferbane/bufferbane-server.conf
etc/bufferbane/bufferbane.conf
usr/local/bin/bufferbane
usr/local/lib/systemd/system/bufferbane-server.service
usr/local/lib/systemd/system/bufferbane.service
usr/local/sbin/bufferbane-server
usr/local/share/bash-completion/completions/bufferbane
usr/local/share/bash-completion/completions/bufferbane-server
usr/local/share/doc/bufferbane/README.md
usr/local/share/doc/bufferbane/grafana-dashboard.json
usr/local/share/man/man1/bufferbane.1
usr/local/share/man/man5/bufferbane.conf.5
usr/local/share/man/man8/bufferbane-server.8
EOF
files "$D" >"$BB_TMP/got"
diff -u "$BB_TMP/want" "$BB_TMP/got" >&2 || fail "the installed tree differs (- expected, + installed)"
echo "installed tree:"; sed 's/^/  /' "$BB_TMP/got"

v=$("$D/usr/local/bin/bufferbane" --version) || fail "installed bufferbane --version failed"
[ "$v" = "$("$BB_BIN" --version)" ] || fail "installed bufferbane says '$v'"
"$D/usr/local/sbin/bufferbane-server" --version | grep -q '^bufferbane-server ' ||
	fail "installed bufferbane-server --version failed"
[ "$(stat -c %a "$D/usr/local/bin/bufferbane")" = 755 ] || fail "bufferbane is not mode 755"
cmp -s "$BB_TOP/etc/bufferbane.conf" "$D/etc/bufferbane/bufferbane.conf" ||
	fail "the configuration is not the example"
[ "$(readlink "$D/usr/local/share/bash-completion/completions/bufferbane-server")" = bufferbane ] ||
	fail "the server's completion is not a link to bufferbane's"

# the units: PREFIX's paths, no placeholder left
U=$D/usr/local/lib/systemd/system
grep -qx 'ExecStart=/usr/local/bin/bufferbane -d -c /etc/bufferbane/bufferbane.conf --db %S/bufferbane/bufferbane.db' \
	"$U/bufferbane.service" || fail "bufferbane.service: $(grep ExecStart= "$U/bufferbane.service")"
grep -qx 'ExecStart=/usr/local/sbin/bufferbane-server -f -c /etc/bufferbane/bufferbane-server.conf' \
	"$U/bufferbane-server.service" || fail "bufferbane-server.service: $(grep ExecStart= "$U/bufferbane-server.service")"
! grep -n '@[A-Z]*DIR@' "$U"/*.service >&2 || fail "a placeholder is left in a unit"
grep -qx 'AmbientCapabilities=CAP_NET_RAW' "$U/bufferbane.service" &&
	grep -qx 'CapabilityBoundingSet=CAP_NET_RAW' "$U/bufferbane.service" ||
	fail "bufferbane.service: CAP_NET_RAW is not its one capability"

# PREFIX=/usr: the units go where systemd's pkg-config file says
D2=$BB_TMP/dest-usr
mk install DESTDIR="$D2" PREFIX=/usr >"$BB_TMP/out" 2>&1 || fail "make install PREFIX=/usr: $(cat "$BB_TMP/out")"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
[ -f "$D2$unitdir/bufferbane.service" ] || fail "PREFIX=/usr: no unit in $unitdir: $(files "$D2")"
grep -q '^ExecStart=/usr/bin/bufferbane ' "$D2$unitdir/bufferbane.service" || fail "PREFIX=/usr: ExecStart"
[ -x "$D2/usr/sbin/bufferbane-server" ] || fail "PREFIX=/usr: no /usr/sbin/bufferbane-server"

# systemd-analyze verify: with --root it would look for sysinit.target,
# /bin/kill and man under the DESTDIR; instead the same templates are
# installed with a real prefix (no DESTDIR), where what they name exists.
if command -v systemd-analyze >/dev/null; then
	R=$BB_TMP/root
	mk install PREFIX="$R" sysconfdir="$R/etc" >"$BB_TMP/out" 2>&1 ||
		fail "make install PREFIX=$R: $(cat "$BB_TMP/out")"
	MANPATH=$R/share/man systemd-analyze verify "$R/lib/systemd/system/bufferbane.service" \
		"$R/lib/systemd/system/bufferbane-server.service" >"$BB_TMP/verify" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$BB_TMP/verify")"
	# it warns about unknown or bad settings but still exits 0: any line
	# about our units is a failure (the host's own units may warn)
	! grep -i bufferbane "$BB_TMP/verify" >&2 || fail "systemd-analyze verify warned"
	echo "systemd-analyze verify: clean"
else
	echo "NOTE: systemd-analyze missing; units not verified"
fi

# install-setcap (file capabilities need a file system with xattrs)
if command -v setcap >/dev/null && command -v getcap >/dev/null; then
	mk install-setcap DESTDIR="$D" >"$BB_TMP/out" 2>&1 || fail "make install-setcap: $(cat "$BB_TMP/out")"
	getcap "$D/usr/local/bin/bufferbane" | grep -q 'cap_net_raw[=+]ep' ||
		fail "install-setcap: $(getcap "$D/usr/local/bin/bufferbane")"
fi

# uninstall: nothing left but directories
mk uninstall DESTDIR="$D" >"$BB_TMP/out" 2>&1 || fail "make uninstall: $(cat "$BB_TMP/out")"
[ -z "$(files "$D")" ] || fail "left after uninstall: $(files "$D")"
[ ! -e "$D/etc/bufferbane" ] || fail "uninstall left the empty $D/etc/bufferbane"

# an edited configuration: kept by a re-install (example as .dist) and by
# uninstall; an unedited one follows the example
mk install DESTDIR="$D" >/dev/null 2>&1 || fail "second make install"
echo '# edited' >>"$D/etc/bufferbane/bufferbane.conf"
cp "$D/etc/bufferbane/bufferbane.conf" "$BB_TMP/edited"
mk install DESTDIR="$D" >"$BB_TMP/out" 2>&1 || fail "re-install: $(cat "$BB_TMP/out")"
cmp -s "$BB_TMP/edited" "$D/etc/bufferbane/bufferbane.conf" || fail "re-install overwrote the edited configuration"
cmp -s "$BB_TOP/etc/bufferbane.conf" "$D/etc/bufferbane/bufferbane.conf.dist" ||
	fail "re-install did not put the example in bufferbane.conf.dist"
grep -q "kept .*bufferbane.conf (edited)" "$BB_TMP/out" || fail "re-install did not say it kept the file: $(cat "$BB_TMP/out")"
[ ! -e "$D/etc/bufferbane/bufferbane-server.conf.dist" ] || fail "an unedited configuration got a .dist"
mk uninstall DESTDIR="$D" >"$BB_TMP/out" 2>&1 || fail "make uninstall: $(cat "$BB_TMP/out")"
[ "$(files "$D")" = etc/bufferbane/bufferbane.conf ] ||
	fail "after uninstall with an edited configuration: $(files "$D")"
cmp -s "$BB_TMP/edited" "$D/etc/bufferbane/bufferbane.conf" || fail "uninstall changed the edited configuration"
echo "ok"
