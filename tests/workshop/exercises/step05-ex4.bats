#!/usr/bin/env bats
# Chapter 5, exercise 4: a run directory whose owner was killed (kill -KILL)
# is swept at the next start; one whose owner is alive, or kept by --keep,
# stays. Observed in a state directory of the test's own.
load ../checks/common
load ../checks/layers
CHAPTER_DIR=step05-overlay

@test "step05-ex4-sweep: the run directory of a tool killed with SIGKILL is gone after the next run" {
	readme "Exercises"
	layers
	hold_in_layers
	local left
	kill -KILL "$JOB"
	wait "$JOB" 2>/dev/null || true
	JOB=
	exec {SAID}<&-
	left=$(ls -A "$STATE")
	echo "  left by the killed tool: $left"
	[ -n "$left" ] || {
		echo "@@expected: the killed tool's run directory in $STATE"
		seen "nothing: the test could not make a stale directory"
		return 1
	}
	RFLAGS=("${XFLAGS[@]}")
	run_prog "${LAYERS[@]}" true
	expect_status 0
	if [ -n "$(ls -A "$STATE")" ]; then
		hint "at start, look at each mdk-PID-START in the state directory: when /proc/PID/stat shows no process with that start time, its owner is gone: remove it"
	fi
	expect "what is left in $STATE after the next run" "" "$(ls -A "$STATE" | tr '\n' ' ')"
}

@test "step05-ex4-spares: the sweep leaves a running container's directory and a --keep one" {
	readme "Exercises"
	layers
	local v mine kept
	v=$(random_name kept)
	RFLAGS=("${XFLAGS[@]}")
	run_prog "${LAYERS[@]}" --keep sh -c "echo $v > /kept"
	expect_status 0
	hold_in_layers
	mine=$(ls -d "$STATE/mdk-$JOB-"* 2>/dev/null)
	run_prog "${LAYERS[@]}" true
	local alive=no
	[ -n "$mine" ] && [ -d "$mine/upper" ] && alive=yes
	release_layers
	kept=$(cat "$STATE"/*/upper/kept 2>/dev/null)
	rm -rf "$STATE"/mdk-*
	expect "the next run's exit status" 0 "$status"
	expect "the running container's directory (mdk-$JOB-*) still there" yes "$alive"
	if [ -z "$kept" ]; then
		hint "--keep's directory was removed: its owner is gone too, so --keep must leave a mark the sweep can see"
	fi
	expect "the file the --keep run wrote, still in its upper/" "$v" "$kept"
	expect "the running container's exit status" 0 "$STATUS"
}
