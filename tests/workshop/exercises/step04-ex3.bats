#!/usr/bin/env bats
# Chapter 4, exercise 3: --cpu-shares N: v1's cpu.shares, and on v2 a
# cpu.weight of 1 + (N - 2) x 9999 / 262142. Read back from the host.
load ../checks/common
load ../checks/cgroup
CHAPTER_DIR=step04-cgroups

# weight_file DIR: the file of the weight (v2) or shares (v1); want_for N FILE: its value.
weight_file() {
	if [ -f "$1/cpu.weight" ]; then echo cpu.weight; else echo cpu.shares; fi
}

want_for() {
	if [ "$2" = cpu.weight ]; then echo $((1 + ($1 - 2) * 9999 / 262142)); else echo "$1"; fi
}

# shares_run N: start a container with --cpu-shares N; GOT is its file's value.
shares_run() {
	CG=cpu hold_limited --cpu-shares "$1"
	FILE=$(weight_file "$CG_DIR")
	GOT=$(cat "$CG_DIR/$FILE" 2>/dev/null)
	finish_prog
	if [ "$CG_DIR" = "$(cg_of $BASHPID cpu)" ]; then
		hint "the container is in our own cpu cgroup: --cpu-shares needs the cpu controller, as --cpu-quota does"
	fi
}

@test "step04-ex3-shares: with a random --cpu-shares, the container's cpu cgroup holds its weight" {
	readme "Exercises"
	cg_flags
	local n=$((RANDOM * 8 + 2))
	shares_run "$n"
	expect "$FILE of $CG_DIR for --cpu-shares $n" "$(want_for "$n" "$FILE")" "$GOT"
	expect "exit status" 0 "$STATUS"
}

@test "step04-ex3-range: --cpu-shares 2 and 262144, the ends of v1's range, give the ends of the file's" {
	readme "Exercises"
	cg_flags
	local n
	for n in 2 262144; do
		shares_run "$n"
		expect "$FILE of $CG_DIR for --cpu-shares $n" "$(want_for "$n" "$FILE")" "$GOT"
		rm -f "$T/ready" "$T/go"
	done
}
