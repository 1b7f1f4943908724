#!/usr/bin/env bats
# Workshop claims of chapter 2: the command is PID 1 (PID namespace), --init.
load common
CHAPTER_DIR=step02-pid

# Re-evaluated on every try of wait_until: no zombie in the container's PID namespace.
no_zombies() {
	local ns p
	ns=$(readlink "/proc/$(cat "$T/pid")/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		[ "$(awk '{ print $3 }' "$p/stat" 2>/dev/null)" = Z ] && return 1
	done
	return 0
}

source "${BATS_TEST_DIRNAME}/../../wait.bash"

@test "step02-starts: a command runs and its exit status comes back" {
	readme "The idea"
	local code=$((RANDOM % 100 + 1))
	run_prog sh -c "exit $code"
	expect_status "$code"
}

@test "step02-pid1: CMD is PID 1 inside, and another PID on the host" {
	readme "The idea"
	start_prog sh -c "echo \$\$ > $CT/inner; $(hold_cmd)"
	wait_ready
	local pid nspid
	pid=$(cat "$T/pid")
	nspid=$(awk '/^NSpid:/ { $1 = ""; print substr($0, 2) }' "/proc/$pid/status")
	finish_prog
	echo "  NSpid of the container's process (host PID $pid): $nspid"
	if [ "$(cat "$T/inner")" != 1 ]; then
		hint "CMD sees itself as PID $(cat "$T/inner"): the child is not in a PID namespace of its own (pid_namespaces(7))"
	fi
	expect "CMD's PID inside (echo \$\$)" 1 "$(cat "$T/inner")"
	expect "NSpid in /proc/$pid/status (host PID, then the PID inside)" "$pid 1" "$nspid"
}

@test "step02-init-status: with --init, CMD's random exit status comes back" {
	readme "The idea"
	local code=$((RANDOM % 100 + 1))
	run_prog --init sh -c "exit $code"
	expect_status "$code"
}

@test "step02-init-reaps: with --init, orphaned grandchildren leave no zombie" {
	readme "The idea"
	needs step02-init-status
	local n=$((RANDOM % 6 + 3))
	start_prog --init sh -c "$PROBE orphans $n > $CT/orphans; $(hold_cmd)"
	wait_ready
	if ! wait_until 5 no_zombies; then
		echo "@@expected: no zombie in the container's PID namespace (init reaps the $n orphans)"
		seen "zombies still there 5 s later"
		hint "orphans are re-parented to PID 1: init must wait for any child (-1), not only for CMD, on every SIGCHLD"
		return 1
	fi
	finish_prog
	expect "what probe left" "orphans=$n" "$(cat "$T/orphans")"
	expect "exit status" 0 "$STATUS"
}

@test "step02-init-forwards: with --init, SIGTERM to the tool reaches CMD (143)" {
	readme "The idea"
	needs step02-init-status
	start_prog --init sh -c "$(hold_cmd)"
	wait_ready
	kill -TERM "$JOB"
	if ! wait_job 5; then
		echo "@@expected: the tool exits 143 soon after SIGTERM"
		seen "still running 5 s later"
		hint "init (PID 1) gets the signal from the tool: it must pass it on to CMD with kill(2); blocked signals wait for sigwaitinfo"
		return 1
	fi
	expect "exit status" 143 "$STATUS"
}
