#!/usr/bin/env bats
# Chapter 3, exercise 1: /dev/console as Docker makes it, a bind mount of
# the container's terminal (not a mknod). Run on a terminal made by script(1).
load ../checks/common
CHAPTER_DIR=step03-mnt

@test "step03-ex1-console: on a terminal, /dev/console inside is that terminal" {
	readme "Exercises"
	command -v script >/dev/null || skip "no script(1) (util-linux) to make a terminal"
	local cmd
	cmd="stat -Lc %t:%T \$(tty); $STEP_BIN -r $ROOTFS sh -c 'stat -c %t:%T /dev/console 2>/dev/null || echo none'"
	echo "\$ script -qec '$cmd' /dev/null"
	out=$(timeout 20 script -qec "$cmd" /dev/null </dev/null | tr -d '\r')
	echo "$out" | sed 's/^/  stdout| /'
	local host inside
	host=$(printf '%s\n' "$out" | sed -n 1p) inside=$(printf '%s\n' "$out" | sed -n 2p)
	if [ "$inside" = none ]; then
		hint "there is no /dev/console: bind-mount the terminal of stdin (ttyname(3)) onto an empty file dev/console, while the host's /dev is still reachable"
	fi
	expect "major:minor of /dev/console inside (the host's terminal is $host)" "$host" "$inside"
}

@test "step03-ex1-no-terminal: without a terminal, nothing changes" {
	readme "Exercises"
	run_prog sh -c 'cat /etc/minidock-release; test -e /dev/console || echo none'
	expect "output" "minidock rootfs none" "$(echo $out)"
}
