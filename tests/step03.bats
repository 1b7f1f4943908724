#!/usr/bin/env bats
# Chapter 3 claims: a mount namespace of its own, a private /dev, and pivot_root.
bats_require_minimum_version 1.5.0
load helpers

@test "mnt: ps inside lists only the container's processes" {
	run -0 ctr sh -c 'ps -e -o pid= -o comm=; true'
	# sh (PID 1) and ps itself, nothing of the host's (the "; true" keeps
	# a shell that would exec its last command from becoming ps)
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	[[ "$(printf '%s\n' "$output" | head -n 1)" =~ ^\ *1\ sh$ ]]
}

@test "mnt: the rootfs marker is visible, a host file is not" {
	run -0 ctr cat /etc/minidock-release
	[ "$output" = "minidock rootfs" ]
	[ -e "$HOST_MARKER" ]
	run ctr cat "$HOST_MARKER"
	[ "$status" -ne 0 ]
	[[ "$output" != *"host only"* ]]
}

@test "mnt: /dev holds exactly the harmless nodes, links and mounts" {
	run -0 ctr ls -A /dev
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = \
		"fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ]
	run -0 ctr sh -c 'stat -c "%n %t:%T" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty'
	[ "$output" = "$(printf '%s\n' '/dev/null 1:3' '/dev/zero 1:5' '/dev/full 1:7' \
		'/dev/random 1:8' '/dev/urandom 1:9' '/dev/tty 5:0')" ]
	run -0 ctr readlink /dev/ptmx
	[ "$output" = pts/ptmx ]
	run -0 ctr sh -c 'echo hi > /dev/null && head -c 4 /dev/zero | wc -c'
	[ "$output" = 4 ]
}

@test "mnt: /proc is the container's, /sys is read-only" {
	run -0 ctr readlink /proc/self
	[ "$output" -lt 10 ]
	run ctr sh -c 'echo 1 > /sys/kernel/uevent_helper'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run -0 ctr grep " /sys " /proc/self/mountinfo
	[[ "$output" == *" /sys ro,"* ]]
}

@test "mnt: while it runs, the host's mount table holds nothing of the container's" {
	fifos ready go
	start_ctr sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local inside during
	inside=$(cat "/proc/$(host_pid)/mountinfo")
	# the host's view, compared only where it concerns our paths
	during=$(awk -v a="$BATS_FILE_TMPDIR" 'index($0, a)' /proc/self/mountinfo)
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# the container has its proc, devpts and tmpfs mounts...
	[[ "$inside" == *" /proc "*" - proc "* ]]
	[[ "$inside" == *" /dev/pts "*" - devpts "* ]]
	[[ "$inside" == *" /dev "*" - tmpfs "* ]]
	# ...and the host sees none of them, nor the rootfs bind
	[ -z "$during" ]
}

# On a host whose mounts are shared (systemd's default), what the container
# mounts would propagate back. Make a shared mount of our own to show it.
shared_rootfs() {
	SHARED="$BATS_TEST_TMPDIR/shared"
	mkdir -p "$SHARED"
	mount -t tmpfs minidock-test "$SHARED"
	mount --make-shared "$SHARED"
	cp -a "$ROOTFS_SRC" "$SHARED/rootfs"
}

@test "mnt: on a shared host mount, nothing propagates back (rprivate)" {
	shared_rootfs
	"$STEP_BIN" -r "$SHARED/rootfs" --pid-file "$T/pid" true
	local leaked
	leaked=$(awk -v r="$SHARED/rootfs" 'index($5, r) == 1' /proc/self/mountinfo)
	umount -R "$SHARED"
	[ -z "$leaked" ]
}

@test "mnt: negative control: without the rprivate step, the mounts reach the host" {
	has_opt --skip-rprivate || skip "no --skip-rprivate lesson option"
	shared_rootfs
	run "$STEP_BIN" -r "$SHARED/rootfs" --skip-rprivate true
	local leaked
	leaked=$(awk -v r="$SHARED/rootfs" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo)
	umount -R "$SHARED"
	# pivot_root refuses a shared parent, and the bind, proc, /dev... stayed on the host
	[ "$status" -eq 125 ]
	[[ "$leaked" == *"$SHARED/rootfs/proc"* ]]
}

@test "mnt: the chroot escape reaches the host against a chroot-only run" {
	has_opt --chroot || skip "no --chroot lesson option"
	run -0 ctr --chroot "$PROBE" escape "$HOST_MARKER"
	[ "$(value chroot2)" = ok ]
	[ "$(value marker)" = found ]
}

@test "mnt: the same escape ends inside the container after pivot_root" {
	run -0 ctr "$PROBE" escape "$HOST_MARKER"
	# every call succeeded, and yet we are still in the container
	[ "$(value chroot)" = ok ]
	[ "$(value chdir)" = ok ]
	[ "$(value chroot2)" = ok ]
	[ "$(value marker)" = missing ]
	[ "$(value release)" = found ]
}

@test "mnt: the container's root is the rootfs, and the old root is gone" {
	full_runtime && skip "minidock's root is an overlay of the imported image (step08-run.bats)"
	fifos ready go
	start_ctr sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local theirs
	# the same directory: the host's view of the container's / is our rootfs copy
	theirs=$(stat -Lc %d:%i "/proc/$(host_pid)/root/")
	release go
	finish_ctr
	[ "$theirs" = "$(stat -c %d:%i "$ROOTFS")" ]
	run -0 ctr sh -c 'grep -c "" /proc/self/mountinfo'
	# only /, /proc, /sys, /dev, /dev/pts, /dev/shm: nothing of the host's
	[ "$output" -le 6 ]
}

@test "mnt: -D names CLONE_NEWNS, the private remount, pivot_root and their man pages" {
	# any correct implementation passes: clone(2) or unshare(2), pivot_root(".", ".")
	# or pivot_root with a put-old directory, any wording
	run -0 --separate-stderr ctr -D true
	[[ "$stderr" == *CLONE_NEWNS* ]]
	[[ "$stderr" == *MS_PRIVATE*"mount(2)"* || "$stderr" == *MOUNT_ATTR_PROPAGATION*"mount_setattr(2)"* ]]
	[[ "$stderr" == *pivot_root*"pivot_root(2)"* ]]
}

@test "mnt: -D narration, exactly as this repository's mnt prints it" {
	full_runtime && skip "minidock narrates in its own words (step08-run.bats)"
	run -0 --separate-stderr ctr -D true
	echo "$stderr"
	local me="child +1 =>"
	narrated_in_order \
		"^parent +[0-9]+ => clone\(CLONE_NEWUTS\|CLONE_NEWPID\|CLONE_NEWNS[A-Z_|]*\|SIGCHLD\) = [0-9]+ \[clone\(2\)\]$" \
		"^$me mount\(NULL, \"/\", NULL, MS_REC\|MS_PRIVATE, NULL\) = 0 \[mount\(2\)\]$" \
		"^$me mount\(\"$ROOTFS\", \"$ROOTFS\", NULL, MS_BIND\|MS_REC, NULL\) = 0 \[mount\(2\)\]$" \
		"^$me chdir\(\"$ROOTFS\"\) = 0 \[chdir\(2\)\]$" \
		"^$me mount\(\"proc\", \"proc\", \"proc\", MS_NOSUID\|MS_NODEV\|MS_NOEXEC, NULL\) = 0 \[mount\(2\)\]$" \
		"^$me mknod\(\"dev/\{null,zero,full,random,urandom,tty\}\", S_IFCHR\|0666, \.\.\.\) = 0, x6 \[mknod\(2\)\]$" \
		"^$me pivot_root\(\"\.\", \"\.\"\) = 0 \[pivot_root\(2\)\]$" \
		"^$me umount2\(\"\.\", MNT_DETACH\) = 0 \[umount2\(2\)\]$" \
		"^$me execvp\(\"true\", \.\.\.\) \[execve\(2\)\]$"
}

@test "mnt: a missing or empty rootfs gets a one-line error and 125" {
	run -125 --separate-stderr "$STEP_BIN" -r "$BATS_TEST_TMPDIR/nowhere" true
	assert_one_line_error
	[[ "$stderr" == *"nowhere"*"No such file or directory"* ]]
	mkdir "$BATS_TEST_TMPDIR/empty"
	run -125 --separate-stderr "$STEP_BIN" -r "$BATS_TEST_TMPDIR/empty" true
	assert_one_line_error
	[[ "$stderr" == *"is empty"* ]]
}

@test "mnt: a failed run leaves no mount and no process behind" {
	run -127 ctr no-such-command-here
	run -126 ctr /etc/passwd
	assert_no_mounts_of_ours
	# no process of ours is running in the rootfs copy
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" != "$ROOTFS" ]
	done
}

@test "mnt: the environment is clean: Docker's PATH, HOME and HOSTNAME, not the host's" {
	MINIDOCK_SECRET=leak run -0 ctr -h envbox env
	[ "$(printf '%s\n' "$output" | cut -d= -f1 | sort | tr '\n' ' ')" = "HOME HOSTNAME PATH " ]
	[[ "$output" == *"HOSTNAME=envbox"* ]]
	[[ "$output" == *"HOME=/root"* ]]
	[[ "$output" == *"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"* ]]
}
