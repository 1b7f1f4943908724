#!/usr/bin/env bats
# Chapter 6, exercise 3: --network container:PID joins another container's
# network namespace (setns(2)), as docker run --network container: does:
# no address of its own, no veth of its own.
load ../checks/common
load ../checks/net
CHAPTER_DIR=step06-net

@test "step06-ex3-join: with --network container:PID, the second container is in the first's network namespace" {
	readme "Exercises"
	start_prog sh -c "$PROBE info > $CT/info; $(hold_cmd)"
	wait_ready
	local first theirs addr
	first=$(cat "$T/pid")
	theirs=$(readlink "/proc/$first/ns/net" | tr -dc 0-9)
	addr=$(sed -n 's/^addr\.eth0=//p' "$T/info")
	RFLAGS=("${RFLAGS[@]}" --network "container:$first")
	run_prog "$PROBE" info
	finish_prog
	expect_status 0
	if [ "$(printf '%s\n' "$out" | sed -n 's/^ns\.net=//p')" = "$(readlink /proc/self/ns/net | tr -dc 0-9)" ]; then
		hint "the second container is in the host's network namespace: open /proc/PID/ns/net and setns(2) into it, in the child"
	fi
	expect "the second container's network namespace (probe info: ns.net), the first's from the host" \
		"$theirs" "$(printf '%s\n' "$out" | sed -n 's/^ns\.net=//p')"
	expect "the second container's eth0 address, the first's" "$addr" \
		"$(printf '%s\n' "$out" | sed -n 's/^addr\.eth0=//p')"
}

@test "step06-ex3-same-eth0: joining makes no veth of its own: its eth0 is the first's, the same host end" {
	readme "Exercises"
	start_prog sh -c "cat /sys/class/net/eth0/iflink > $CT/peer; $(hold_cmd)"
	wait_ready
	RFLAGS=("${RFLAGS[@]}" --network "container:$(cat "$T/pid")")
	run_prog cat /sys/class/net/eth0/iflink
	finish_prog
	expect_status 0
	expect "the host end of eth0 (its iflink), the first container's" "$(cat "$T/peer")" "$out"
	on_bridge "$out" || {
		echo "@@expected: that host end (ifindex $out) a port of $BR"
		seen "it is not"
		return 1
	}
}
