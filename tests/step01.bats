#!/usr/bin/env bats
# Chapter 1 claims: a UTS namespace of its own, and the CLI every chapter keeps.
bats_require_minimum_version 1.5.0
load helpers

@test "uts: the container has the hostname it asked for" {
	run -0 ctr -h box hostname
	[ "$output" = box ]
}

@test "uts: the host's hostname is unchanged during and after the run" {
	local before
	before=$(hostname)
	fifos ready go
	start_ctr -h inside-box sh -c "hostname > $CT/name; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	[ "$(hostname)" = "$before" ]
	[ "$(cat "$T/name")" = inside-box ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(hostname)" = "$before" ]
}

@test "uts: the container's UTS namespace is not the host's" {
	fifos ready go
	start_ctr -h box sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local mine theirs
	mine=$(readlink /proc/self/ns/uts)
	theirs=$(readlink "/proc/$(host_pid)/ns/uts")
	release go
	finish_ctr
	[ -n "$theirs" ]
	[ "$mine" != "$theirs" ]
}

@test "uts: the pid file names the host PID of the process running CMD" {
	fifos ready go
	start_ctr sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid
	pid=$(host_pid)
	[ -d "/proc/$pid" ]
	# the container's process is our child (the tool's), and runs in the new namespace
	[ "$(awk '{ print $4 }' "/proc/$pid/stat")" = "$JOB" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ ! -d "/proc/$pid" ]
}

@test "uts: exit statuses 0 and 3 reach the caller" {
	run -0 ctr true
	run -3 ctr sh -c 'exit 3'
}

@test "uts: SIGKILL to the container's host PID gives 137" {
	fifos ready
	start_ctr sh -c "echo > $CT/ready; exec sleep 1000"
	wait_fifo ready
	kill -KILL "$(host_pid)"
	finish_ctr
	[ "$STATUS" -eq 137 ]
}

@test "uts: argv reaches CMD intact, options after CMD included" {
	run -0 ctr sh -c 'echo "$0|$1|$2"' a 'b c' ''
	[ "$output" = "a|b c|" ]
	run -0 ctr echo -h not-ours -D
	[ "$output" = "-h not-ours -D" ]
}

@test "uts: -D names the namespace flag, the hostname call and their man pages" {
	# any correct implementation passes: clone(2) or unshare(2), any wording
	run -0 --separate-stderr ctr -D -h box true
	[[ "$stderr" == *CLONE_NEWUTS* ]]
	[[ "$stderr" == *"clone(2)"* || "$stderr" == *"clone3(2)"* || "$stderr" == *"unshare(2)"* ]]
	[[ "$stderr" == *sethostname*box*"sethostname(2)"* ]]
}

@test "uts: -D narration, exactly as this repository's uts prints it" {
	full_runtime && skip "minidock narrates in its own words (step08-run.bats)"
	run -0 --separate-stderr ctr -D -h box true
	echo "$stderr"
	[[ "$stderr" =~ parent\ +([0-9]+)\ =\>\ clone\(CLONE_NEWUTS[A-Z_|]*\|SIGCHLD\)\ =\ ([0-9]+)\ \[clone\(2\)\] ]]
	local parent=${BASH_REMATCH[1]} child=${BASH_REMATCH[2]} me="child +[0-9]+ =>"
	# who makes each call (with its PID), in the order the calls happen
	narrated_in_order \
		"^parent +$parent => socketpair\(AF_UNIX, SOCK_SEQPACKET\|SOCK_CLOEXEC\) = \[[0-9]+, [0-9]+\] \[socketpair\(2\)\]$" \
		"^parent +$parent => clone\(" \
		"^$me read\([0-9]+\) = 1: the parent released us \[read\(2\)\]$" \
		"^$me prctl\(PR_SET_PDEATHSIG, SIGKILL\) = 0 \[prctl\(2\)\]$" \
		"^$me sethostname\(\"box\"\) = 0 \[sethostname\(2\)\]$" \
		"^$me execvp\(\"true\", \.\.\.\) \[execve\(2\)\]$" \
		"^parent +$parent => waitpid\($child\) = $child, status 0x0000: exited with 0 \[waitpid\(2\)\]$"
}

@test "uts: --help prints usage and exits 0" {
	run -0 "$STEP_BIN" --help
	[[ "$output" == *"usage:"* ]]
	[[ "$output" == *"--hostname"* ]]
}

@test "uts: bad input gets a one-line error and exit 125" {
	run -125 --separate-stderr ctr --no-such-option true
	assert_one_line_error
	[[ "$stderr" == *"unknown option '--no-such-option'"* ]]
	run -125 --separate-stderr ctr
	assert_one_line_error
	[[ "$stderr" == *"missing command"* ]]
	run -125 --separate-stderr ctr -h "$(printf 'x%.0s' $(seq 65))" true
	assert_one_line_error
	[[ "$stderr" == *"longer than 64 bytes"* ]]
	run -125 --separate-stderr ctr --pid-file
	assert_one_line_error
}

@test "uts: a missing command exits 127, a non-executable one 126" {
	run -127 --separate-stderr ctr no-such-command-here
	assert_one_line_error
	[[ "$stderr" == *"no-such-command-here"*"not found"* ]]
	run -126 --separate-stderr ctr /etc/passwd
	assert_one_line_error
	[[ "$stderr" == *"/etc/passwd"*"Permission denied"* ]]
}
