#!/usr/bin/env bats
# Chapter 8 on a cgroup-v2-only machine (most laptops; `make test-v2` boots
# one): limits without --cgroup-parent, from a delegated cgroup that holds
# minidock alone, as `systemd-run --scope -p Delegate=yes minidock run ...`
# makes one. minidock moves itself (no other process) into a leaf beside its
# minidock/, so that the cgroup it started in may hand the controllers on
# (v2's "no internal processes" rule), and puts everything back afterwards.
bats_require_minimum_version 1.5.0
load helpers
load step08-common
load cgroups

eval "_common_$(declare -f setup)"
eval "_common_$(declare -f teardown)"

# D: a delegated cgroup of each test's own, a child of our parent, which hands it
# the controllers (as systemd does for Delegate=yes); S: processes a test put in it.
setup() {
	local parent c
	cg_pure_v2 || skip "cgroup v2 only: this machine has cgroup v1 hierarchies (make test-v2 runs this in a v2 VM)"
	parent=/sys/fs/cgroup$(dirname "$(sed -n 's/^0:://p' /proc/self/cgroup)")
	for c in memory pids; do
		grep -qw "$c" "$parent/cgroup.subtree_control" ||
			skip "cgroup v2: $parent does not hand $c to its children: no delegated cgroup can be made here"
	done
	D=${parent%/}/mdk-deleg-$BATS_ROOT_PID
	mkdir "$D"
	S=()
	_common_setup
}

teardown() {
	local bad=0 s
	[ -n "${D:-}" ] || return 0 # skipped in setup
	for s in "${S[@]}"; do
		kill -KILL "$s" && { wait "$s" 2>/dev/null || true; }
	done
	_common_teardown || bad=1
	rmdir "$D" || bad=1
	return "$bad"
}

# start_alone ARGS...: minidock ARGS in the background (JOB, $T/out, $T/err), from a
# shell of ours that moves itself into $D and then becomes minidock (exec): $D holds
# minidock and nothing else.
start_alone() {
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$D" \
		"$MINIDOCK" --root "$STORE" "$@" >"$T/out" 2>"$T/err" &
	JOB=$!
	MD_JOBS+=("$JOB")
}

# $D after minidock: no cgroup beneath it (no minidock/, no leaf), no process of ours
# in it, its subtree_control as it was (empty).
assert_d_as_before() {
	local left
	left=$(find "$D" -mindepth 1 -type d)
	[ -z "$left" ] || { echo "left in $D: $left" >&2; return 1; }
	[ "$(cat "$D/cgroup.procs")" = "$(printf '%s\n' "${S[@]}")" ] ||
		{ echo "in $D: $(cat "$D/cgroup.procs")" >&2; return 1; }
	[ -z "$(cat "$D/cgroup.subtree_control")" ] ||
		{ echo "$D/cgroup.subtree_control: $(cat "$D/cgroup.subtree_control")" >&2; return 1; }
}

@test "cgroup v2: alone in a delegated cgroup, minidock moves itself into a leaf; --memory 32m bites; all put back" {
	local leaf ctr status=0
	mkfifo "$T/ready" "$T/go"
	start_alone run --rm -v "$T:/t" --memory 32m --pids-limit 50 base \
		sh -c 'probe alloc 16 && echo > /t/ready && read x < /t/go && probe alloc 64'
	timeout 60 cat "$T/ready" >/dev/null || { cat "$T/err"; false; }
	# from the host: minidock is alone in its leaf, $D holds no process and hands the
	# controllers on, and the container's cgroup beneath $D/minidock has the limits
	leaf=$(ls -d "$D/minidock-self-$JOB-"*)
	[ "$(cat "$leaf/cgroup.procs")" = "$JOB" ]
	[ -z "$(cat "$D/cgroup.procs")" ]
	grep -qw memory "$D/cgroup.subtree_control"
	ctr=$(ls -d "$D/minidock/mdk-$JOB-"*)
	[ "$(cat "$ctr/memory.max")" = 33554432 ]
	[ "$(cat "$ctr/pids.max")" = 50 ]
	echo > "$T/go"
	wait "$JOB" || status=$?
	cat "$T/err"
	# 16 MiB fitted, 64 did not: the kernel's OOM killer (SIGKILL: 128 + 9)
	grep -qx allocated_mb=16 "$T/out"
	[ "$status" -eq 137 ]
	grep -q "OOM killer: memory limit 32M" "$T/err"
	assert_d_as_before
}

@test "cgroup v2: run -d alone in a delegated cgroup: the monitor keeps the leaf, rm puts all back" {
	local id
	start_alone run -d --network none --memory 32m base sleep 1000
	wait "$JOB"
	id=$(cat "$T/out")
	[ "$(cat "$(ls -d "$D/minidock/mdk-"*)/memory.max")" = 33554432 ]
	[ -z "$(cat "$D/cgroup.procs")" ]
	# rm returns once the monitor has exited, and the monitor puts $D back before that
	run -0 md rm -f "$id"
	assert_d_as_before
}

@test "cgroup v2: another process shares minidock's cgroup: one clear line, exit 125, nothing made" {
	local status=0
	sleep 1000 &
	S+=("$!")
	echo "$!" > "$D/cgroup.procs"
	start_alone run --rm --memory 32m base true
	wait "$JOB" || status=$?
	[ "$status" -eq 125 ]
	stderr=$(cat "$T/err")
	echo "$stderr"
	assert_one_line_error
	[[ "$stderr" == *"$D holds other processes"*"no internal processes"*"systemd-run --scope -p Delegate=yes"* ]]
	assert_d_as_before
}

@test "cgroup v2: minidock SIGKILLed in its leaf: prune removes its cgroups and the leaf" {
	local left
	mkfifo "$T/ready"
	start_alone run --rm -v "$T:/t" --memory 32m base sh -c 'echo > /t/ready; exec sleep 1000'
	timeout 60 cat "$T/ready" >/dev/null || { cat "$T/err"; false; }
	kill -KILL "$JOB"
	wait "$JOB" || true
	ls -d "$D/minidock-self-$JOB-"* "$D/minidock/mdk-$JOB-"*
	run -0 md prune
	left=$(find "$D" -mindepth 1 -type d)
	[ -z "$left" ] || { echo "left in $D: $left" >&2; false; }
	# what a killed minidock cannot put back: the controllers stay enabled in $D
	grep -qw memory "$D/cgroup.subtree_control"
}
