#!/usr/bin/env bats
# Chapter 2, exercise 4 (the code half): when CMD exits while it still has
# children, --init gives them SIGTERM and waits for them, instead of leaving
# the kernel to SIGKILL them when PID 1 exits.
load ../checks/common
CHAPTER_DIR=step02-pid

@test "step02-ex4-term: with --init, CMD's leftover child gets SIGTERM when CMD exits" {
	readme "Exercises"
	mkfifo "$T/ready" "$T/go"
	start_prog --init sh -c "$PROBE wait-signal $CT/ready > $CT/child & read x < $CT/go"
	wait_ready
	finish_prog
	if [ ! -s "$T/child" ]; then
		hint "the leftover child was SIGKILLed with the namespace when init exited: once CMD is reaped, signal everyone left (kill(2) with -1 as PID 1) and reap them before returning"
	fi
	expect "what the leftover child received (probe wait-signal)" "signal=15" "$(cat "$T/child")"
	expect "exit status (CMD's)" 0 "$STATUS"
}
