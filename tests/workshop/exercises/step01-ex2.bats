#!/usr/bin/env bats
# Chapter 1, exercise 2: nsenter-uts.c, a program that joins a container's
# UTS namespace with setns(2) and runs a command there (nsenter -u's core).
# Write it as nsenter-uts.c in your workspace: nsenter-uts PID CMD [ARG...].
load ../checks/common
CHAPTER_DIR=step01-uts

@test "step01-ex2-setns: nsenter-uts PID uname -n prints the container's random hostname" {
	readme "Exercises"
	local src="$CHECK_WS/nsenter-uts.c" tool="$BATS_TEST_TMPDIR/nsenter-uts" name before
	if [ ! -f "$src" ]; then
		echo "@@expected: your program in $src (usage: nsenter-uts PID CMD [ARG...])"
		seen "no such file"
		hint "make workshop STEP=01 makes the workspace; write nsenter-uts.c next to uts.c"
		return 1
	fi
	if ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$tool" "$src" 2>"$BATS_TEST_TMPDIR/cc"; then
		echo "@@expected: $src builds with -Wall -Wextra -Werror"
		seen "$(grep -m 1 error "$BATS_TEST_TMPDIR/cc")"
		return 1
	fi
	name=$(random_name ex) before=$(cat /proc/sys/kernel/hostname)
	start_prog -h "$name" sh -c "$(hold_cmd)"
	wait_ready
	echo "\$ nsenter-uts $(cat "$T/pid") uname -n"
	status=0
	out=$(timeout 10 "$tool" "$(cat "$T/pid")" uname -n 2>"$BATS_TEST_TMPDIR/err") || status=$?
	err=$(cat "$BATS_TEST_TMPDIR/err")
	echo "  stdout| $out"
	finish_prog
	if [ "$out" = "$before" ]; then
		hint "uname -n ran in the host's namespace: open /proc/PID/ns/uts and hand the descriptor to setns(2) before exec"
	fi
	expect "nsenter-uts PID uname -n" "$name" "$out"
	expect "the host's hostname afterwards" "$before" "$(cat /proc/sys/kernel/hostname)"
}
