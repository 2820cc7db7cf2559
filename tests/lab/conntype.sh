#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Connection type per interface, stored with every sample: in a lab
# namespace a veth (wired, also the default route's interface for samples
# without -i), a link named wg0 and a tun device (vpn), a link named wwan0
# (cellular) and lo (loopback); then general.connection_types
# overrides one and general.connection_type sets the rest.  A WiFi radio
# needs mac80211_hwsim, which this kernel may not offer: skipped loudly.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
bb_tmpdir
trap 'lab_cleanup; rm -rf "$BB_TMP"' EXIT
set -u
lab_ns client
lab_ns peer
lab_link client peer 198.18.0.2/24 198.18.0.1/24
veth=$LAB_IF_A
ip -n "$LAB-client" route add default via 198.18.0.1
# (this kernel may lack the dummy and wireguard drivers: veth pairs named
# wg0 and wwan0 stand in, detected by name; a tun device named ovpn0 is
# detected by what sysfs says of it, not its name)
for i in wg0 wwan0; do
	ip link add "$i" netns "$LAB-client" type veth peer name "p$i$RANDOM" netns "$LAB-peer" ||
		fail "cannot create $i"
	ip -n "$LAB-client" link set "$i" up
done
ip -n "$LAB-client" tuntap add ovpn0 mode tun || fail "cannot create a tun device"
ip -n "$LAB-client" link set ovpn0 up

# run NAME [SECTION=VALUE]...: 2 s of -d probing 198.18.0.1 through each
# interface and through the default route
run() {
	local name=$1; shift
	bb_write_config "$BB_TMP/$name.conf" \
		"general={ test_interval_ms = 200; probe_timeout_ms = 150; database_path = \"$BB_TMP/$name.db\"; $* }" \
		'targets={ isp_gateway = "none"; public_dns = [ "198.18.0.1" ]; }'
	lab_exec client "$BB_BIN" -d -c "$BB_TMP/$name.conf" --duration 2 >"$BB_TMP/$name.out" 2>&1 ||
		{ cat "$BB_TMP/$name.out"; fail "$name: bufferbane -d exited $?"; }
	lab_exec client "$BB_BIN" -d -c "$BB_TMP/$name.conf" --duration 2 \
		-i "$veth" -i wg0 -i wwan0 -i ovpn0 -i lo >>"$BB_TMP/$name.out" 2>&1 ||
		{ cat "$BB_TMP/$name.out"; fail "$name: bufferbane -d -i exited $?"; }
}
# type DB IFACE: the connection types stored for IFACE's samples
types() { sql "$1" "SELECT group_concat(DISTINCT connection_type) FROM measurements WHERE interface = '$2'"; }
expect() {
	local got
	got=$(types "$BB_TMP/$1.db" "$2")
	[ "$got" = "$3" ] || fail "$1: interface '$2' stored as '$got', expected '$3'"
	echo "$1: '${2:-(default route)}' -> $got"
}
run auto
expect auto "" wired
expect auto "$veth" wired
expect auto wg0 vpn
expect auto ovpn0 vpn
expect auto wwan0 cellular
expect auto lo loopback
[ "$(sql "$BB_TMP/auto.db" "SELECT count(*) FROM measurements WHERE connection_type = 'auto'")" -eq 0 ] ||
	fail "the word auto stored"
run set 'connection_type = "custom"; connection_types = [ "wg0=wifi", "'"$veth"'=cellular" ];'
expect set "" cellular
expect set "$veth" cellular
expect set wg0 wifi
expect set ovpn0 custom
expect set lo custom

if ! { command -v modprobe >/dev/null && modprobe mac80211_hwsim radios=1 2>/dev/null; }; then
	echo "SKIPPED PART: no mac80211_hwsim here (modprobe missing or the module unavailable): WiFi detection untested"
	exit 0
fi
wlan=$(basename "$(ls -d /sys/class/net/*/phy80211 2>/dev/null | head -1 | xargs dirname)")
phy=$(cat "/sys/class/net/$wlan/phy80211/name")
iw phy "$phy" set netns name "$LAB-client" || { modprobe -r mac80211_hwsim; fail "cannot move $phy"; }
ip -n "$LAB-client" link set "$wlan" up
lab_exec client "$BB_BIN" -d -c "$BB_TMP/auto.conf" --duration 1 -i "$wlan" >/dev/null 2>&1
got=$(types "$BB_TMP/auto.db" "$wlan")
modprobe -r mac80211_hwsim
[ "$got" = wifi ] || fail "$wlan stored as '$got', expected wifi"
echo "auto: $wlan -> wifi"
exit 0
