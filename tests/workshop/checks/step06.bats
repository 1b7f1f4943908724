#!/usr/bin/env bats
# Workshop claims of chapter 6: a network namespace, a veth pair and a bridge.
load common
load net
CHAPTER_DIR=step06-net

@test "step06-starts: with --network none, a command runs and its exit status comes back" {
	readme "The idea"
	local code=$((RANDOM % 100 + 1))
	run_prog --network none sh -c "cat /etc/minidock-release; exit $code"
	expect "the rootfs's /etc/minidock-release, read inside" "minidock rootfs" "$out"
	expect_status "$code"
}

@test "step06-none: with --network none, only lo, and it is up" {
	readme "The idea"
	run_prog --network none sh -c 'ls /sys/class/net; cat /sys/class/net/lo/flags'
	local ifs flags
	ifs=$(printf '%s\n' "$out" | grep -v '^0x' | tr '\n' ' ')
	flags=$(printf '%s\n' "$out" | grep '^0x' || echo 0)
	if [ "$ifs" != "lo " ] && [ "$status" = 0 ]; then
		hint "the container sees the host's interfaces: is the child in a network namespace of its own (CLONE_NEWNET)?"
	fi
	expect "interfaces inside" "lo " "$ifs"
	if [ $((flags & 1)) != 1 ]; then
		echo "@@expected: lo up (IFF_UP in /sys/class/net/lo/flags)"
		seen "flags $flags"
		hint "a new network namespace's lo starts down: set IFF_UP on it (an RTM_NEWLINK message, or SIOCSIFFLAGS)"
		return 1
	fi
}

@test "step06-veth: on the bridge, eth0 has an address of the subnet; its host end is a port of the bridge" {
	readme "The idea"
	needs step06-none
	start_prog sh -c "$PROBE info > $CT/info; cat /sys/class/net/eth0/iflink > $CT/peer; $(hold_cmd)"
	wait_ready
	local peer addr ported=no
	peer=$(cat "$T/peer" 2>/dev/null)
	[ -n "$peer" ] && on_bridge "$peer" && ported=yes
	addr=$(sed -n 's/^addr\.eth0=//p' "$T/info")
	finish_prog
	grep -e '^if=' -e '^addr' "$T/info" | sed 's/^/  probe| /'
	if [ -z "$addr" ]; then
		hint "no eth0 with an address inside: create the veth pair with its peer in the child's namespace (by PID), named eth0; give it an address and bring it up"
	fi
	[[ $addr == $PREFIX* ]] || {
		echo "@@expected: eth0's address in ${PREFIX}0.0/16"
		seen "${addr:-none}"
		return 1
	}
	expect "the host end of eth0 (ifindex ${peer:-?}) is a port of $BR" yes "$ported"
	expect "exit status" 0 "$STATUS"
}

@test "step06-reach: the container reaches its gateway, and the host reaches the container" {
	readme "The idea"
	needs step06-veth
	start_prog sh -c "$PROBE info > $CT/info; $PROBE ping $GATEWAY > $CT/ping; $(hold_cmd)"
	wait_ready
	local addr from_host
	addr=$(sed -n 's/^addr\.eth0=//p' "$T/info")
	from_host=$("$ROOTFS_SRC/bin/probe" ping "$addr" 2>&1)
	finish_prog
	echo "  inside: $(cat "$T/ping"); from the host: $from_host"
	if ! grep -qx 'ping=ok' "$T/ping"; then
		hint "no answer from the gateway: is the veth's host end up and on the bridge, and the default route inside via $GATEWAY?"
	fi
	expect "the container's ping of $GATEWAY" ping=ok "$(cat "$T/ping")"
	expect "the host's ping of $addr" ping=ok "$from_host"
}

@test "step06-cleanup: after the run, its veth is gone from the host" {
	readme "The idea"
	needs step06-veth
	run_prog sh -c 'cat /sys/class/net/eth0/iflink'
	local end=$((SECONDS + 10))
	while [ -n "$out" ] && ip -o link show | grep -q "^$out: " && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.05
	done
	if ip -o link show | grep -q "^$out: "; then
		echo "@@expected: no host interface $out (the container's veth) 10 s after the run"
		seen "$(ip -o link show | grep "^$out: " | cut -d' ' -f2)"
		hint "a veth pair goes when its namespace goes: is a process still holding the container's network namespace?"
		return 1
	fi
	expect_status 0
}
