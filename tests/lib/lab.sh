# SPDX-License-Identifier: MIT
# The network lab (DETECTION.md "The network lab"): namespaces joined by veth
# pairs, addresses from 198.18.0.0/15, names unique per run, always removed.
#
#   lab_init            checks root and tools; sets LAB (a unique prefix)
#   lab_ns NAME         creates namespace $LAB-NAME with loopback up
#   lab_link A B ADDR_A ADDR_B   veth between namespaces A and B (/24 each)
#   lab_exec NAME CMD…  runs CMD inside namespace $LAB-NAME
#   lab_modem           the modem topology below (client, modem, server)
#   lab_forward_filter TABLE CHAIN   an nft forward-hook chain in the modem
#   lab_shape MBIT LATENCY   tbf on both of the modem's queues
#   lab_cleanup         deletes every namespace of this run (trap on EXIT)

lab_init() {
	[ "$(id -u)" -eq 0 ] || skip "lab tests need root (network namespaces)"
	command -v ip >/dev/null || fail "ip (iproute2) missing: make deps"
	LAB=bb$$x$RANDOM
	LAB_NS=()
	trap 'lab_cleanup' EXIT
}

lab_ns() {
	ip netns add "$LAB-$1" || fail "cannot create namespace $LAB-$1"
	LAB_NS+=("$LAB-$1")
	ip -n "$LAB-$1" link set lo up
}

lab_link() {
	local a=$1 b=$2 addr_a=$3 addr_b=$4
	local ia=v${#LAB_NS[@]}a$RANDOM ib=v${#LAB_NS[@]}b$RANDOM
	ip link add "$ia" netns "$LAB-$a" type veth peer name "$ib" netns "$LAB-$b" ||
		fail "cannot create veth $a<->$b"
	ip -n "$LAB-$a" addr add "$addr_a" dev "$ia"
	ip -n "$LAB-$b" addr add "$addr_b" dev "$ib"
	ip -n "$LAB-$a" link set "$ia" up
	ip -n "$LAB-$b" link set "$ib" up
	LAB_IF_A=$ia LAB_IF_B=$ib
}

# lab_modem: three namespaces, the client behind a forwarding modem:
#
#   client 198.18.0.2 ──veth── 198.18.0.1 modem 198.18.1.1 ──veth── server
#                                                              198.18.1.2
#
# Sets LAB_IF_DOWN (the modem's side facing the client: the download
# queue), LAB_IF_UP (its side facing the server: the upload queue),
# LAB_IF_CLIENT and LAB_IF_SERVER (the far ends).
lab_modem() {
	lab_ns client
	lab_ns modem
	lab_ns server
	lab_link client modem 198.18.0.2/24 198.18.0.1/24
	LAB_IF_CLIENT=$LAB_IF_A LAB_IF_DOWN=$LAB_IF_B
	lab_link modem server 198.18.1.1/24 198.18.1.2/24
	LAB_IF_UP=$LAB_IF_A LAB_IF_SERVER=$LAB_IF_B
	lab_exec client ip route add default via 198.18.0.1
	lab_exec server ip route add default via 198.18.1.1
	lab_exec modem sysctl -qw net.ipv4.ip_forward=1
}

# lab_forward_filter TABLE CHAIN: an accept-by-default chain on the modem's
# forward hook, for tests to add drop rules to.
lab_forward_filter() {
	command -v nft >/dev/null || skip "nft (nftables) missing"
	lab_exec modem nft add table inet "$1" || fail "nft table"
	lab_exec modem nft add chain inet "$1" "$2" \
		'{ type filter hook forward priority 0; policy accept; }' ||
		fail "nft chain"
}

# lab_shape RATE_MBIT LATENCY [BURST_BYTES]: the same tbf (burst 5000 unless
# given) on the modem's upload and download queues.
lab_shape() {
	local dev
	for dev in "$LAB_IF_UP" "$LAB_IF_DOWN"; do
		lab_exec modem tc qdisc replace dev "$dev" root tbf \
			rate "$1"mbit burst "${3:-5000}" latency "$2"
	done
}

lab_exec() {
	local ns=$1; shift
	ip netns exec "$LAB-$ns" "$@"
}

lab_cleanup() {
	local n
	for n in "${LAB_NS[@]}"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${BB_TMP:-}" ] && rm -rf "$BB_TMP"
}
