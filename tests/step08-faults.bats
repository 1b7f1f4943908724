#!/usr/bin/env bats
# Chapter 8 claims, fault injection (issue 13): minidock killed with
# SIGKILL at each of its named fault points (MINIDOCK_FAULT=NAME, see the
# README), and a run -d caller killed with SIGTERM. Afterwards `ps -a`
# tells the truth (a container said to run has its PID 1; one said not to
# has none), and prune, then rm -f of what still runs, leave nothing: the
# leak checker (leaks.bash) runs after every test.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

eval "_common_$(declare -f teardown)"
teardown() {
	local bad=0 id
	_common_teardown || bad=1
	# what a failed test left, so that the next ones are judged on their own
	for id in $(ls "$STORE/run/containers" 2>/dev/null); do
		timeout -s KILL 20 "$MINIDOCK" --root "$STORE" rm -f "$id" >/dev/null 2>&1 3>&-
	done
	timeout -s KILL 20 "$MINIDOCK" --root "$STORE" prune >/dev/null 2>&1 3>&-
	return "$bad"
}

# fault NAME ARGS...: minidock ARGS, killed at the point NAME. Its status goes in STATUS.
fault() {
	local name=$1
	shift
	STATUS=0
	MINIDOCK_FAULT=$name timeout -s KILL 30 "$MINIDOCK" --root "$STORE" "$@" \
		>"$T/fault.out" 2>"$T/fault.err" 3>&- || STATUS=$?
}

pid_gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $1 }')
	[ -z "$st" ] || [ "$st" = Z ]
}

# ps -a tells the truth: running means its PID 1 is there; anything else, that it is not
# (the parent-death signal reaches PID 1 a moment after its monitor dies: a bounded wait).
assert_ps_truth() {
	local id status pid
	for id in $(md ps -aq); do
		status=$(md inspect -f '{{.State.Status}}' "$id")
		pid=$(md inspect -f '{{.State.Pid}}' "$id")
		case $status in
		running | paused)
			[ "$pid" -gt 0 ] && ! pid_gone "$pid" || {
				echo "$id: ps says $status, its PID 1 $pid is gone" >&2
				return 1
			} ;;
		*)
			[ "$pid" -le 0 ] || wait_until 10 pid_gone "$pid" || {
				echo "$id: ps says $status, its PID 1 $pid is alive" >&2
				return 1
			} ;;
		esac
	done
}

# clean_up: prune (the dead), then rm -f (the living), then prune again; each must succeed.
clean_up() {
	run -0 md prune
	local id
	for id in $(md ps -q); do
		run -0 md rm -f "$id"
	done
	run -0 md prune
	[ -z "$(md ps -aq)" ]
}

RUN_POINTS=(run-after-create run-after-clone run-mid-network run-mid-mount run-before-state
	run-after-state run-after-ready)

# net_for POINT: the default bridge where the network matters (its veth and lease must go),
# none elsewhere: a veth's removal is the kernel's, seconds later on a busy machine.
net_for() {
	case $1 in
	run-mid-network | run-after-ready) echo bridge ;;
	*) echo none ;;
	esac
}

@test "faults: run in the foreground killed at each point: ps -a is true, prune leaves nothing" {
	local p
	for p in "${RUN_POINTS[@]}"; do
		fault "$p" run --network "$(net_for "$p")" base true
		[ "$p" = run-mid-mount ] || [ "$STATUS" = 137 ] || {
			echo "$p: exit $STATUS, not killed: $(cat "$T/fault.err")" >&2
			return 1
		}
		assert_ps_truth
		clean_up
	done
}

@test "faults: run -d's caller or monitor killed at each point: ps -a is true, prune and rm -f leave nothing" {
	local p
	for p in "${RUN_POINTS[@]}"; do
		fault "$p" run -d --network "$(net_for "$p")" base sleep 60
		assert_ps_truth
		clean_up
	done
}

@test "faults: a run -d caller killed with SIGTERM as the container starts: ps -a is true, nothing leaks" {
	local i p
	for i in $(seq 10); do
		"$MINIDOCK" --root "$STORE" run -d --network none base sleep 60 >/dev/null 2>&1 3>&- &
		p=$!
		sleep "0.00$i"
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" || true
	done
	assert_ps_truth
	clean_up
}

@test "faults: exec killed after its fork and in the container: ps -a is true, nothing stays in it" {
	local id pid p
	run -0 md run -d --network none base sleep 60
	id=$output
	pid=$(md inspect -f '{{.State.Pid}}' "$id")
	for p in exec-after-fork exec-child-joined; do
		fault "$p" exec "$id" sleep 1001
		only_pid1() { [ "$(pids_in_ns "$pid" | wc -l)" = 1 ]; }
		wait_until 10 only_pid1 || { echo "$p left $(pids_in_ns "$pid")" >&2; return 1; }
	done
	assert_ps_truth
	clean_up
}

@test "faults: import and commit killed midway: no image, prune removes their layers" {
	local before
	before=$(ls "$STORE/layers" | wc -l)
	fault import-mid import "$ROOTFS" halfimage
	[ "$STATUS" = 137 ]
	tar -cf "$T/img.tar" -C "$ROOTFS" --exclude ./tmp .
	fault import-mid import "$T/img.tar" halftar
	[ "$STATUS" = 137 ]
	run -0 md run --network none --name c5 base sh -c 'echo x > /new'
	fault commit-mid commit c5 halfcommit
	[ "$STATUS" = 137 ]
	[ ! -e "$STORE/images/halfimage" ] && [ ! -e "$STORE/images/halftar" ]
	[ ! -e "$STORE/images/halfcommit" ]
	[ "$(ls "$STORE/layers" | wc -l)" -gt "$before" ]
	run -0 md rm c5
	assert_ps_truth
	clean_up
	[ "$(ls "$STORE/layers" | wc -l)" = "$before" ]
}

@test "faults: pause, stop, rm and prune killed midway: ps -a is true, the next prune finishes" {
	local id
	run -0 md run -d --network none base sleep 60
	id=$output
	fault pause-after-freeze pause "$id"
	[ "$(md inspect -f '{{.State.Status}}' "$id")" = paused ]
	fault unpause-after-thaw unpause "$id"
	[ "$(md inspect -f '{{.State.Status}}' "$id")" = running ]
	fault stop-after-signal stop -t 1 "$id"
	assert_ps_truth
	run -0 md run -d --network none base sleep 60
	id=$output
	run -0 md kill "$id"
	exited() { [ "$(md inspect -f '{{.State.Status}}' "$1")" = exited ]; }
	wait_until 10 exited "$id"
	fault rm-mid rm "$id"
	assert_ps_truth
	run -0 md run -d --network none base sleep 60
	run -0 md kill "$output"
	fault prune-mid prune
	assert_ps_truth
	clean_up
}
