#!/usr/bin/env bats
# Chapter 2, exercise 3: --init forwards a signal to CMD's whole process
# group, so CMD's background children get the SIGTERM too.
load ../checks/common
CHAPTER_DIR=step02-pid

@test "step02-ex3-group: with --init, SIGTERM to the tool reaches CMD's background child" {
	readme "Exercises"
	mkfifo "$T/ready"
	# CMD ignores SIGTERM itself; its child (probe) catches it and says so.
	start_prog --init sh -c "trap '' TERM; $PROBE wait-signal $CT/ready > $CT/child & wait"
	wait_ready
	kill -TERM "$JOB"
	local end=$((SECONDS + 5))
	while [ ! -s "$T/child" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.05; done
	if [ ! -s "$T/child" ]; then
		hint "only CMD got the signal: CMD must lead a process group of its own (setpgid(2)), and init must signal the group (kill(2) with -PID)"
	fi
	expect "what CMD's background child received within 5 s (probe wait-signal)" "signal=15" "$(cat "$T/child")"
}

@test "step02-ex3-status: with --init, CMD's exit status still comes back" {
	readme "Exercises"
	local code=$((RANDOM % 100 + 1))
	run_prog --init sh -c "exit $code"
	expect_status "$code"
}
