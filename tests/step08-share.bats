#!/usr/bin/env bats
# Chapter 8 claims, sharing a running container's namespaces, as a
# Kubernetes pod's members share its first container's: `run --network
# container:NAME` (the seeds' fourth network mode), --pid and --ipc
# container:NAME. Checked from the host: the namespace links of both
# containers' processes name the same namespace; then what that means inside.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# start_first ARGS...: a detached container "first" whose command is ARGS;
# FIRST_PID is its PID 1 on the host.
start_first() {
	run -0 md run -d --name first -v "$T:/t" "$@"
	FIRST_PID=$(md inspect -f '{{.State.Pid}}' first)
	[ -n "$FIRST_PID" ] && [ "$FIRST_PID" -gt 0 ]
}

eval "_step08_$(declare -f teardown)"
teardown() {
	md rm -f first >/dev/null 2>&1
	_step08_teardown
}

# same_ns TYPE PID1 PID2: do the two processes share the TYPE namespace?
same_ns() {
	[ "$(readlink "/proc/$2/ns/$1")" = "$(readlink "/proc/$3/ns/$1")" ]
}

@test "share: --network container:NAME joins its network namespace: one lo, one set of ports" {
	fifos listening ready go
	start_first base probe listen 8080 /t/listening
	wait_fifo listening
	start_md --network container:first base sh -c 'echo > /t/ready; read x < /t/go; probe connect 127.0.0.1 8080'
	wait_fifo ready
	same_ns net "$FIRST_PID" "$(host_pid)"
	! same_ns net $$ "$(host_pid)"
	# the other namespaces stay its own
	! same_ns pid "$FIRST_PID" "$(host_pid)"
	! same_ns mnt "$FIRST_PID" "$(host_pid)"
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# the first container's server, on its loopback, answered the second
	[ "$(cat "$T/out")" = "received=hello from probe" ]
}

@test "share: --pid container:NAME: the second sees the first's processes, and is seen" {
	fifos ready go go2
	start_first base sh -c 'read x < /t/go'
	start_md --pid container:first base sh -c 'tr "\0" " " < /proc/1/cmdline; echo; echo > /t/ready; read x < /t/go2'
	wait_fifo ready
	same_ns pid "$FIRST_PID" "$(host_pid)"
	! same_ns net "$FIRST_PID" "$(host_pid)"
	release go2
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# PID 1 in the shared namespace is the first container's command
	[ "$(cat "$T/out")" = "sh -c read x < /t/go " ]
	release go
}

@test "share: --ipc and --network together; the second's exit leaves the first running" {
	fifos ready go
	start_first base sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	run -0 mrun --ipc container:first --network container:first base \
		sh -c 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/net'
	[ "$output" = "$(readlink "/proc/$FIRST_PID/ns/ipc"; readlink "/proc/$FIRST_PID/ns/net")" ]
	[ "$(md inspect -f '{{.State.Status}}' first)" = running ]
	release go
}

@test "share: a container that is not running, or no container, is refused before anything is made" {
	run -0 md run --name first base true
	run -125 --separate-stderr md run --rm --network container:first base true
	assert_one_line_error
	[[ "$stderr" == *"not running"* ]]
	run -125 --separate-stderr md run --rm --pid container:nosuch base true
	assert_one_line_error
	for bad in "--network container:" "--pid host" "--ipc shareable"; do
		run -125 --separate-stderr md run --rm $bad base true
		assert_one_line_error
	done
	# only the exited first container is there
	run -0 md ps -a -q
	[ "$(printf '%s\n' "$output" | grep -c .)" -eq 1 ]
}
