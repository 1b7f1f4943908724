#!/usr/bin/env bats
# Chapter 7, exercise 1: a host directory bound into containers with
# different --uidmap ranges (--volume HOST:CTR, bound in enter_rootfs). Files
# the container's root makes there belong on the host to its range's first
# id; another range's root cannot read a 0600 one, the same range's can.
load ../checks/common
CHAPTER_DIR=step07-userns

# A random range of 65536 ids, far above any real user's.
random_base() {
	echo $(((RANDOM % 16384 + 16384) * 65536))
}

# in_range BASE ARGS...: run ARGS in a container with ids from BASE, the shared directory at /shared.
in_range() {
	local base=$1
	shift
	run_prog --network none --uidmap "0:$base:65536" --gidmap "0:$base:65536" \
		--volume "$SHARED:/shared" sh -c "$*"
}

shared_dir() {
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" != 0 ] ||
		skip "machine: user namespaces are off (user.max_user_namespaces = 0)"
	SHARED="$BATS_TEST_TMPDIR/shared"
	mkdir -p "$SHARED"
	chmod 1777 "$SHARED"
}

@test "step07-ex1-owner: a 0600 file root makes in the shared directory is owned by the range's first id on the host" {
	readme "Exercises"
	shared_dir
	local a v
	a=$(random_base) v=$(random_name secret)
	in_range "$a" "umask 077; echo $v > /shared/a"
	expect_status 0
	if [ ! -e "$SHARED/a" ]; then
		hint "bind the host directory onto a directory of the rootfs (mount(2) with MS_BIND) before pivot_root, while the host's path is still reachable"
	fi
	expect "owner and mode of the file, from the host (stat)" "$a:$a 600" "$(stat -c '%u:%g %a' "$SHARED/a" 2>&1)"
	expect "its content" "$v" "$(cat "$SHARED/a" 2>&1)"
}

@test "step07-ex1-apart: another range's root cannot read that file; the same range's can" {
	readme "Exercises"
	shared_dir
	local a b v
	a=$(random_base) b=$(random_base) v=$(random_name secret)
	[ "$a" != "$b" ] || b=$((a + 65536))
	in_range "$a" "umask 077; echo $v > /shared/a"
	expect_status 0
	in_range "$b" "cat /shared/a > /dev/null 2>&1 && echo readable || echo denied"
	expect "another range's root reading the 0600 file (cat)" denied "$out"
	in_range "$a" "cat /shared/a"
	expect "the same range's root, another container (cat)" "$v" "$out"
}
