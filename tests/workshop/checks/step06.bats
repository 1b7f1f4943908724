#!/usr/bin/env bats
# Workshop claims of chapter 6: a network namespace, a veth pair and a bridge.
load common
CHAPTER_DIR=step06-net

# A bridge and a random /24 of the checker's own, removed at the end.
if [ -f "$BATS_FILE_TMPDIR/net.env" ]; then
	. "$BATS_FILE_TMPDIR/net.env"
else
	BR="minidockws$((BATS_ROOT_PID % 10000))"
	X=$((RANDOM % 200 + 20))
	while ip -4 -o addr show | grep -q " 10\.214\.$X\."; do X=$(((X + 1) % 250 + 1)); done
	printf 'BR=%s\nX=%s\n' "$BR" "$X" >"$BATS_FILE_TMPDIR/net.env"
fi
NET=(--bridge "$BR" --subnet "10.214.$X.0/24")
GATEWAY="10.214.$X.1"

teardown_file() {
	sh "$REPO/tests/tools/clean-net.sh" "$BR" >/dev/null 2>&1 || true
}

ports() {
	ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

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

@test "step06-veth: on a bridge, eth0 has an address of the subnet; the host sees the veth on the bridge" {
	readme "The idea"
	needs step06-none
	start_prog "${NET[@]}" sh -c "$PROBE info > $CT/info; $(hold_cmd)"
	wait_ready
	local on_bridge addr
	on_bridge=$(ports | wc -l)
	addr=$(sed -n 's/^addr\.eth0=//p' "$T/info")
	finish_prog
	sed 's/^/  probe| /' "$T/info" | grep -e if= -e addr
	if [ -z "$addr" ]; then
		hint "no eth0 with an address inside: create the veth pair, move one end into the child's namespace (by PID), name it eth0, give it an address and bring it up"
	fi
	expect "veths on $BR while it runs" 1 "$on_bridge"
	[[ $addr == 10.214.$X.* ]] || {
		echo "@@expected: eth0's address in 10.214.$X.0/24"
		seen "${addr:-none}"
		return 1
	}
	expect "exit status" 0 "$STATUS"
}

@test "step06-reach: the container reaches its gateway, and the host reaches the container" {
	readme "The idea"
	needs step06-veth
	start_prog "${NET[@]}" sh -c "$PROBE info > $CT/info; $PROBE ping $GATEWAY > $CT/ping; $(hold_cmd)"
	wait_ready
	local addr from_host
	addr=$(sed -n 's/^addr\.eth0=//p' "$T/info")
	from_host=$("$ROOTFS_SRC/bin/probe" ping "$addr" 2>&1)
	finish_prog
	echo "  inside: $(cat "$T/ping"); from the host: $from_host"
	if ! grep -qx 'ping=ok' "$T/ping"; then
		hint "no answer from the gateway: is the veth's host end up and on the bridge, and the route inside via $GATEWAY?"
	fi
	expect "the container's ping of $GATEWAY" ping=ok "$(cat "$T/ping")"
	expect "the host's ping of $addr" ping=ok "$from_host"
}

@test "step06-cleanup: after the run, no veth is left on the bridge" {
	readme "The idea"
	needs step06-veth
	run_prog "${NET[@]}" true
	local end=$((SECONDS + 10))
	while [ -n "$(ports)" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.05; done
	expect "veths left on $BR" "" "$(ports | tr '\n' ' ')"
	expect_status 0
}
