#!/usr/bin/env bats
# Workshop claims of chapter 4: limits (cgroups), read back from the host.
load common
load cgroup
CHAPTER_DIR=step04-cgroups

@test "step04-starts: a command runs inside the rootfs and its exit status comes back" {
	readme "The mechanism in plain words"
	local code=$((RANDOM % 100 + 1))
	run_prog sh -c "cat /etc/minidock-release; exit $code"
	expect "the rootfs's /etc/minidock-release, read inside" "minidock rootfs" "$out"
	expect_status "$code"
}

@test "step04-pids: with a random --pids-limit, the container's own pids cgroup holds it" {
	readme "The mechanism in plain words"
	cg_flags
	local n=$((RANDOM % 20 + 8)) max
	CG=pids hold_limited --pids-limit "$n"
	max=$(cat "$CG_DIR/pids.max" 2>/dev/null || echo "no pids.max")
	finish_prog
	if [ "$CG_DIR" = "$(cg_of $BASHPID pids)" ]; then
		echo "@@expected: the container in a pids cgroup of its own, pids.max $n"
		seen "the container in ours, $CG_DIR"
		hint "create the cgroup directory (mkdir), write the limit into it, and move the child in (its PID into cgroup.procs) before it runs CMD"
		return 1
	fi
	expect "pids.max of the container's cgroup ($CG_DIR)" "$n" "$max"
	expect "exit status" 0 "$STATUS"
}

@test "step04-memory: with a random --memory, the container's memory cgroup holds it" {
	readme "The mechanism in plain words"
	cg_flags
	local m=$((RANDOM % 48 + 16)) file=memory.limit_in_bytes limit
	cg_is_v2 memory && file=memory.max
	CG=memory hold_limited --memory "${m}m"
	limit=$(cat "$CG_DIR/$file" 2>/dev/null || echo "no $file")
	finish_prog
	if [ "$CG_DIR" = "$(cg_of $BASHPID memory)" ]; then
		hint "the container is still in our memory cgroup: did it join its own one (cgroup.procs)?"
	fi
	expect "$file of the container's cgroup ($CG_DIR)" "$((m * 1048576))" "$limit"
	expect "exit status" 0 "$STATUS"
}

@test "step04-enforced: with --pids-limit N, PID 1 forks N-1 children and the next fork gets EAGAIN" {
	readme "The mechanism in plain words"
	needs step04-pids
	cg_flags
	local n=$((RANDOM % 10 + 5))
	run_prog "${CGFLAGS[@]}" --pids-limit "$n" "$PROBE" fork-until-fail 100
	expect "forks before the refusal (probe fork-until-fail)" "$((n - 1))" "$(printf '%s\n' "$out" | sed -n 's/^forks=//p')"
	expect "the refusal" "Resource temporarily unavailable" "$(printf '%s\n' "$out" | sed -n 's/^error=//p')"
}

@test "step04-cleanup: after the run, the container's cgroup is gone" {
	readme "The mechanism in plain words"
	needs step04-pids
	cg_flags
	CG=pids hold_limited --pids-limit 50
	finish_prog
	if [ -d "$CG_DIR" ] && [ "$CG_DIR" != "$(cg_of $BASHPID pids)" ]; then
		echo "@@expected: no $CG_DIR after the run"
		seen "it is still there"
		hint "once the child is reaped the cgroup is empty: the parent removes it with rmdir(2) (in every hierarchy it made one)"
		rmdir "$CG_DIR"
		return 1
	fi
	expect "exit status" 0 "$STATUS"
}
