#!/usr/bin/env bats
# Chapter 2 claims: the command is PID 1 of a new PID namespace, and PID 1's duties.
bats_require_minimum_version 1.5.0
load helpers

# Re-evaluated on every try of wait_until.
no_zombies() {
	[ -z "$(zombies_in_ns "$(host_pid)")" ]
}

has_zombie() {
	[ -s "$T/pid" ] && [ -n "$(zombies_in_ns "$(host_pid)")" ]
}

@test "pid: CMD is PID 1 inside" {
	run -0 ctr sh -c 'echo $$'
	[ "$output" = 1 ]
}

@test "pid: the host sees the container's PID 1 under another PID" {
	fifos ready go
	start_ctr sh -c "echo \$\$ > $CT/inner; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid nspid theirs
	pid=$(host_pid)
	nspid=$(awk '/^NSpid:/ { print $2, $3 }' "/proc/$pid/status")
	theirs=$(readlink "/proc/$pid/ns/pid")
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/inner")" = 1 ]
	# NSpid: the PID in each namespace, outermost first
	[ "$nspid" = "$pid 1" ]
	[ "$pid" -ne 1 ]
	[ "$theirs" != "$(readlink /proc/self/ns/pid)" ]
}

@test "pid: without --init, SIGTERM from the host to a handler-less PID 1 is dropped" {
	fifos ready go
	start_ctr sh -c "echo > $CT/ready; read x < $CT/go; echo survived"
	wait_fifo ready
	kill -TERM "$(host_pid)"
	# the kernel discards it at once: the process is still there, not stopping
	[ -d "/proc/$(host_pid)" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/out")" = survived ]
}

@test "pid: SIGKILL from the host still kills PID 1 (137)" {
	fifos ready
	start_ctr sh -c "echo > $CT/ready; exec sleep 1000"
	wait_fifo ready
	kill -KILL "$(host_pid)"
	finish_ctr
	[ "$STATUS" -eq 137 ]
}

@test "pid: with --init, SIGTERM to init reaches CMD (143)" {
	has_opt --init || skip "no --init"
	fifos ready go
	start_ctr --init sh -c "echo \$\$ > $CT/inner; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	# CMD is PID 2 under our init
	[ "$(cat "$T/inner")" = 2 ]
	kill -TERM "$(host_pid)"
	finish_ctr
	[ "$STATUS" -eq 143 ]
}

@test "pid: with --init, orphaned grandchildren leave no zombies" {
	has_opt --init || skip "no --init"
	fifos ready go
	start_ctr --init sh -c "$PROBE orphans 5 > $CT/orphans; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	[ "$(cat "$T/orphans")" = "orphans=5" ]
	# init reaps them as they come: wait (bounded) until none is left
	wait_until 5 no_zombies
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "pid: negative control: a PID 1 that never reaps leaves a zombie" {
	fifos go
	start_ctr "$PROBE" noreap "$CT/go"
	wait_until 5 has_zombie
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[[ "$(cat "$T/out")" == zombie=* ]]
}

@test "pid: SIGTERM sent to the tool reaches the container (sig-proxy)" {
	fifos ready
	start_ctr "$PROBE" wait-signal "$CT/ready"
	wait_fifo ready
	kill -TERM "$JOB"
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/out")" = "signal=15" ]
}

@test "pid: SIGUSR1 and SIGWINCH to the tool are forwarded too" {
	for sig in USR1 WINCH; do
		fifos "ready$sig"
		start_ctr "$PROBE" wait-signal "$CT/ready$sig"
		wait_fifo "ready$sig"
		kill "-$sig" "$JOB"
		finish_ctr
		[ "$STATUS" -eq 0 ]
		[ "$(cat "$T/out")" = "signal=$(kill -l "$sig")" ]
	done
}

@test "pid: a killed tool leaves no container behind" {
	fifos ready
	start_ctr sh -c "echo > $CT/ready; exec sleep 1000"
	wait_fifo ready
	local pid
	pid=$(host_pid)
	kill -KILL "$JOB"
	wait "$JOB" || true
	JOB=
	# PR_SET_PDEATHSIG: the container dies with its parent
	wait_until 5 test ! -d "/proc/$pid"
}

@test "pid: -D names CLONE_NEWPID and its man page" {
	# any correct implementation passes: clone(2), clone3(2) or unshare(2)
	run -0 --separate-stderr ctr -D true
	[[ "$stderr" == *CLONE_NEWPID* ]]
	[[ "$stderr" == *"clone(2)"* || "$stderr" == *"clone3(2)"* || "$stderr" == *"unshare(2)"* ]]
}

@test "pid: --init -D narration, exactly as this repository's pid prints it" {
	has_opt --init || skip "no --init"
	full_runtime && skip "minidock narrates in its own words (step08-run.bats)"
	run -3 --separate-stderr ctr -D --init sh -c 'exit 3'
	echo "$stderr"
	[[ "$stderr" =~ parent\ +([0-9]+)\ =\>\ clone\([A-Z_|]*CLONE_NEWPID[A-Z_|]*\)\ =\ ([0-9]+)\ \[clone\(2\)\] ]]
	local parent=${BASH_REMATCH[1]} child=${BASH_REMATCH[2]}
	# the child is PID 1 inside; init forks CMD as PID 2 and reaps it
	narrated_in_order \
		"^child +1 => read\([0-9]+\) = 1: the parent released us \[read\(2\)\]$" \
		"^cmd +2 => fork\(\) = 0: CMD is PID 2, init stays PID 1 \[fork\(2\)\]$" \
		"^cmd +2 => execvp\(\"sh\", \.\.\.\) \[execve\(2\)\]$" \
		"^init +1 => waitpid\(-1, WNOHANG\) = 2, status 0x0300: CMD \[waitpid\(2\)\]$" \
		"^parent +$parent => waitpid\($child\) = $child, status 0x0300: exited with 3 \[waitpid\(2\)\]$"
}

@test "pid: --init passes on CMD's exit status and exec errors" {
	has_opt --init || skip "no --init"
	run -7 ctr --init sh -c 'exit 7'
	run -127 --separate-stderr ctr --init no-such-command-here
	assert_one_line_error
}
