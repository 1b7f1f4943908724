#!/usr/bin/env bats
# Chapter 1, exercise 1: clone(2) replaced by fork(2) and unshare(CLONE_NEWUTS).
# Any correct implementation passes: the namespace is checked from the host,
# the narration only for an unshare of CLONE_NEWUTS.
load ../checks/common
CHAPTER_DIR=step01-uts

@test "step01-ex1-unshare: -D narrates unshare(2) of CLONE_NEWUTS, and the hostname is set" {
	readme "Exercises"
	local name
	name=$(random_name ex)
	run_prog -D -h "$name" uname -n
	expect "hostname inside (uname -n)" "$name" "$out"
	if ! printf '%s\n' "$err" | grep -q 'unshare.*CLONE_NEWUTS'; then
		echo "@@expected: a -D line naming unshare(2) and CLONE_NEWUTS"
		seen "$(printf '%s\n' "$err" | grep -m 1 -e clone -e fork || echo 'no clone, fork or unshare line')"
		hint "fork(2) a plain child, and let the child call unshare(CLONE_NEWUTS) before child_main's work; narrate it"
		return 1
	fi
}

@test "step01-ex1-isolated: from the host, the container's UTS namespace is its own; the host's name is untouched" {
	readme "Exercises"
	local name mine theirs before
	name=$(random_name ex) before=$(cat /proc/sys/kernel/hostname)
	mine=$(readlink /proc/self/ns/uts)
	start_prog -h "$name" sh -c "$(hold_cmd)"
	wait_ready
	theirs=$(readlink "/proc/$(cat "$T/pid")/ns/uts")
	finish_prog
	if [ "$(cat /proc/sys/kernel/hostname)" != "$before" ]; then
		echo "$before" >/proc/sys/kernel/hostname
		hint "the host's hostname changed (now put back): unshare must run in the child, before sethostname"
	fi
	[ "$theirs" != "$mine" ] || {
		echo "@@expected: the pid file's process in a UTS namespace other than the host's"
		seen "the host's own, $mine"
		return 1
	}
	expect "exit status" 0 "$STATUS"
}
