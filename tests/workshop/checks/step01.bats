#!/usr/bin/env bats
# Workshop claims of chapter 1: a hostname of its own (UTS namespace).
load common
CHAPTER_DIR=step01-uts

@test "step01-starts: a command runs in a container and its exit status comes back" {
	readme "Exit status"
	local code=$((RANDOM % 100 + 1))
	run_prog sh -c "exit $code"
	expect_status "$code"
}

@test "step01-hostname: the container has the random hostname it asked for" {
	readme "The idea"
	local name before after
	name=$(random_name box)
	before=$(cat /proc/sys/kernel/hostname)
	run_prog -h "$name" uname -n
	after=$(cat /proc/sys/kernel/hostname)
	if [ "$after" != "$before" ]; then
		# Put the host's name back before anything else reads it.
		echo "$before" >/proc/sys/kernel/hostname
		hint "the HOST's hostname became '$after' (now put back): the child shares the host's UTS namespace; which clone flag gives it its own?"
	elif [ "$status" = 0 ] && [ "$out" = "$before" ]; then
		hint "the container kept the host's hostname: was sethostname called, with the name's length?"
	fi
	expect "hostname inside (uname -n)" "$name" "$out"
}

@test "step01-own-uts: from the host, the container's UTS namespace is not the host's" {
	readme "The idea"
	local name mine theirs during
	name=$(random_name ns)
	mine=$(readlink /proc/self/ns/uts)
	start_prog -h "$name" sh -c "$(hold_cmd)"
	wait_ready
	theirs=$(readlink "/proc/$(cat "$T/pid")/ns/uts")
	during=$(cat /proc/sys/kernel/hostname)
	finish_prog
	echo "  host's UTS namespace $mine, the container's $theirs; host's name during the run: $during"
	if [ "$theirs" = "$mine" ]; then
		echo "@@expected: the container's process (pid file) in a UTS namespace other than the host's $mine"
		seen "the same namespace, $theirs"
		hint "clone's flags decide which namespaces the child gets new (uts_namespaces(7))"
		return 1
	fi
	expect "exit status" 0 "$STATUS"
	[ "$during" != "$name" ]
}
