#!/usr/bin/env bats
# Chapter 6, exercise 5: --ip ADDR leases exactly that address of the
# bridge's subnet (docker run --ip), and refuses one that is taken.
load ../checks/common
load ../checks/net
CHAPTER_DIR=step06-net

# A random address in the upper half of the subnet, away from the first free ones.
random_ip() {
	echo "10.111.$((RANDOM % 120 + 128)).$((RANDOM % 250 + 2))"
}

@test "step06-ex5-ip: with a random --ip, eth0 has that address and its host end is the veth named for it, on the bridge" {
	readme "Exercises"
	local ip veth peer ported=no
	ip=$(random_ip)
	veth=$(printf 'mdk%02x%02x%02x%02x' ${ip//./ })
	start_prog --ip "$ip" sh -c "$PROBE info > $CT/info; cat /sys/class/net/eth0/iflink > $CT/peer; $(hold_cmd)"
	wait_ready
	peer=$(ip -o link show "$veth" 2>/dev/null | cut -d: -f1)
	[ -n "$peer" ] && on_bridge "$peer" && ported=yes
	finish_prog
	expect "exit status" 0 "$STATUS"
	expect "eth0's address inside (probe info)" "$ip" "$(sed -n 's/^addr\.eth0=//p' "$T/info")"
	expect "the ifindex of the host's $veth, eth0's other end" "$(cat "$T/peer")" "$peer"
	expect "$veth a port of $BR" yes "$ported"
}

@test "step06-ex5-taken: a second --ip of an address in use is refused (exit 125); its CMD never runs, the first is unharmed" {
	readme "Exercises"
	local ip
	ip=$(random_ip)
	start_prog --ip "$ip" sh -c "$(hold_cmd)"
	wait_ready
	run_prog --ip "$ip" sh -c "echo ran > $CT/ran"
	local ran=no
	[ -e "$T/ran" ] && ran=yes
	finish_prog
	expect "the second CMD ran" no "$ran"
	expect_status 125
	expect "the first container's exit status" 0 "$STATUS"
}
