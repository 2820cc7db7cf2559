# SPDX-License-Identifier: MIT
# The network lab (DETECTION.md "The network lab"): namespaces joined by veth
# pairs, addresses from 198.18.0.0/15, names unique per run, always removed.
#
#   lab_init            checks root and tools; sets LAB (a unique prefix)
#   lab_ns NAME         creates namespace $LAB-NAME with loopback up
#   lab_link A B ADDR_A ADDR_B   veth between namespaces A and B (/24 each)
#   lab_exec NAME CMD…  runs CMD inside namespace $LAB-NAME
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
