#!/usr/bin/env bats
# Chapter 2, exercise 3: --init forwards a signal to CMD's whole process
# group, so CMD's background children get SIGTERM too, not a SIGKILL later.
load ../checks/common
CHAPTER_DIR=step02-pid

@test "step02-ex3-group: with --init, SIGTERM to the tool reaches CMD's background child" {
	readme "Exercises"
	mkfifo "$T/ready"
	start_prog --init sh -c "$PROBE wait-signal $CT/ready > $CT/child & wait"
	wait_ready
	kill -TERM "$JOB"
	finish_prog
	if [ ! -s "$T/child" ]; then
		hint "the child never saw a signal: it died with the namespace. CMD must lead a process group of its own (setpgid(2)), and init must signal the group (kill(2) with -PID)"
	fi
	expect "what CMD's background child received (probe wait-signal)" "signal=15" "$(cat "$T/child")"
}

@test "step02-ex3-status: with --init, CMD's exit status still comes back" {
	readme "Exercises"
	local code=$((RANDOM % 100 + 1))
	run_prog --init sh -c "exit $code"
	expect_status "$code"
}
