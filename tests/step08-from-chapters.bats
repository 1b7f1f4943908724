#!/usr/bin/env bats
# Claims that left the chapters for minidock (chapter 8), where the code
# behind them now lives. The chapters' tests reach minidock through
# tests/tools/minidock-as-step (STEP_BIN), as tests/run.sh sets it up; each
# test names the chapter it came from and minidock's function that keeps it.
bats_require_minimum_version 1.5.0
load helpers
load cgroups

# ---- from chapter 4 (step04-cgroups): cgroups.c in step08-full ----

# cgroups.c remove_stale_cgroups, owner_is_dead
@test "from chapter 4: after the tool is SIGKILLed, the next run removes its empty cgroup, and nothing else" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	fifos ready
	start_ctr "${CGFLAGS[@]}" --memory 64m --pids-limit 50 sh -c "echo > $CT/ready; exec sleep 1000"
	wait_fifo ready
	local dead=$JOB stale c d
	stale=$(cg_dirs_of "$dead")
	[ -n "$stale" ]
	kill -KILL "$dead"
	wait "$dead" || true
	JOB=
	# the container dies with the tool (PR_SET_PDEATHSIG); its cgroups stay
	for d in $stale; do
		wait_until 10 cg_empty "$d"
		[ -d "$d" ]
	done

	# decoys the next run must not touch: a live owner's, a name not ours
	local alive="mdk-$$-$(awk '{ print $22 }' /proc/$$/stat)" bases decoys
	# on v2 all controllers share one hierarchy, so one base
	bases=$(for c in $(cg_controllers); do cg_base "$c"; done | sort -u)
	for d in $bases; do
		mkdir -p "$d/$alive" "$d/not-mdk-1-2"
		decoys="$decoys $d/$alive $d/not-mdk-1-2"
	done
	start_ctr "${CGFLAGS[@]}" --memory 64m true
	finish_ctr
	local kept=0
	for d in $decoys; do
		if [ -d "$d" ]; then
			kept=$((kept + 1))
			rmdir "$d"
		fi
	done
	[ -n "$CGPARENT" ] || for d in $bases; do rmdir "$d" 2>/dev/null || true; done
	[ "$STATUS" -eq 0 ]
	assert_no_cgroup_of "$dead"
	assert_no_cgroup_of "$JOB"
	echo "kept $kept of$decoys"
	[ "$kept" -eq "$(echo $decoys | wc -w)" ]
}

# cgroups.c cgroups_report
@test "from chapter 4: past --memory 32m the OOM kill is reported with the limit" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	start_ctr "${CGFLAGS[@]}" --memory 32m probe alloc 64
	finish_ctr
	[ "$STATUS" -eq 137 ]
	grep -qx "$(basename "$STEP_BIN"): killed by the kernel OOM killer: memory limit 32M reached" "$T/err"
	assert_no_cgroup_of "$JOB"
}

# cgroups.c cgroups_report
@test "from chapter 4: -D reports what pids.events recorded" {
	has_opt --pids-limit || skip "no cgroup options"
	cg_prepare
	run -0 --separate-stderr ctr "${CGFLAGS[@]}" -D --pids-limit 10 probe fork-until-fail 100
	[ "$(value forks)" = 9 ]
	[[ "$stderr" == *'pids.events"): max 1'* ]]
}

# cgroups.c cgroups_clone: clone3(2) with CLONE_INTO_CGROUP
@test "from chapter 4: on v2, the container starts inside its cgroup (clone3 CLONE_INTO_CGROUP)" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	cg_is_v2 memory || skip "CLONE_INTO_CGROUP is cgroup v2's; memory is on v1 here"
	run -0 --separate-stderr ctr "${CGFLAGS[@]}" -D --memory 32m true
	[[ "$stderr" == *"clone3("*"CLONE_INTO_CGROUP"* ]]
}
