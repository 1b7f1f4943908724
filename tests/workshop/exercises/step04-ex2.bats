#!/usr/bin/env bats
# Chapter 4, exercise 2: Docker's --cpus N.N next to --cpu-quota: N.N CPUs
# are a quota of N.N x 100000 us per 100000 us period. Read back from the
# host, in the container's cpu cgroup.
load ../checks/common
load ../checks/cgroup
CHAPTER_DIR=step04-cgroups

# cpu_quota DIR: "QUOTA PERIOD" of the cpu cgroup DIR, v1 or v2.
cpu_quota() {
	if [ -f "$1/cpu.max" ]; then
		cat "$1/cpu.max"
	else
		echo "$(cat "$1/cpu.cfs_quota_us") $(cat "$1/cpu.cfs_period_us")"
	fi 2>/dev/null
}

@test "step04-ex2-cpus: with a random --cpus N.NN, the container's cpu cgroup allows N.NN x 100000 us per 100000" {
	readme "Exercises"
	cg_flags
	local whole=$((RANDOM % 3)) frac=$((RANDOM % 90 + 10)) got
	CG=cpu hold_limited --cpus "$whole.$frac"
	got=$(cpu_quota "$CG_DIR")
	finish_prog
	if [ "$CG_DIR" = "$(cg_of $BASHPID cpu)" ]; then
		hint "the container is in our own cpu cgroup: --cpus must ask for the cpu controller as --cpu-quota does"
	fi
	expect "quota and period in $CG_DIR (cpu.max, or cpu.cfs_quota_us and cpu.cfs_period_us)" \
		"$((whole * 100000 + frac * 1000)) 100000" "$got"
	expect "exit status" 0 "$STATUS"
}

@test "step04-ex2-below-1ms: --cpus 0.005 (a 500 us quota, below the kernel's 1 ms) is refused; CMD never runs" {
	readme "Exercises"
	cg_flags
	run_prog "${CGFLAGS[@]}" --cpus 0.005 sh -c "echo ran > $CT/ran"
	if [ -e "$T/ran" ]; then
		hint "the command ran with a quota the kernel refuses: the write of the quota fails (EINVAL), and that failure must stop the run"
	fi
	expect "CMD ran" no "$([ -e "$T/ran" ] && echo yes || echo no)"
	expect_status 125
}
