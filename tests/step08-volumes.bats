#!/usr/bin/env bats
# Chapter 8 claims, volumes: -v HOSTDIR:CTRDIR[:ro] binds a host directory;
# ro is really read-only, submounts included; the destination is resolved
# inside the container's root, so a symlink in the image cannot send it out.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

eval "_common_$(declare -f teardown)"
teardown() {
	umount "$T/vol/sub" 2>/dev/null || true
	_common_teardown
}

@test "volumes: writes to a rw volume reach the host, and the host's files are seen inside" {
	mkdir -p "$T/vol"
	echo from-host > "$T/vol/in"
	run -0 mrun -v "$T/vol:/data" base sh -c 'cat /data/in; echo from-container > /data/out'
	[ "$output" = from-host ]
	[ "$(cat "$T/vol/out")" = from-container ]
}

@test "volumes: a missing host directory is created, as Docker does" {
	[ ! -e "$T/new/dir" ]
	run -0 mrun -v "$T/new/dir:/data" base sh -c 'echo x > /data/f'
	[ -d "$T/new/dir" ]
	[ "$(cat "$T/new/dir/f")" = x ]
}

@test "volumes: a host file can be bound onto a file" {
	echo "hello motd" > "$T/motd"
	run -0 mrun -v "$T/motd:/etc/motd:ro" base cat /etc/motd
	[ "$output" = "hello motd" ]
}

@test "volumes: :ro is read-only, and so is a mount beneath it on the host" {
	mkdir -p "$T/vol/sub"
	mount -t tmpfs mdk-test "$T/vol/sub"
	echo below > "$T/vol/sub/f"
	run mrun -v "$T/vol:/data:ro" base sh -c 'cat /data/sub/f; probe create /data/x /data/sub/y'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = below ]
	[ "${lines[1]}" = /data/x=EROFS ]
	[ "${lines[2]}" = /data/sub/y=EROFS ]
	[ ! -e "$T/vol/x" ] && [ ! -e "$T/vol/sub/y" ]
	# negative control: rw lets both through
	run -0 mrun -v "$T/vol:/data" base probe create /data/x /data/sub/y
	[ -e "$T/vol/x" ] && [ -e "$T/vol/sub/y" ]
	umount "$T/vol/sub"
}

@test "volumes: a symlink in the image cannot send a volume or its mkdir to the host" {
	# an untrusted image: /data-link points at a host path, absolutely and by climbing
	local evil="$BATS_FILE_TMPDIR/evil-rootfs"
	cp -a "$ROOTFS" "$evil"
	ln -s "$T/target" "$evil/data-link"
	ln -s "../../../../../../../../..$T/target2" "$evil/climb-link"
	run -0 md import "$evil" "evil$BATS_TEST_NUMBER"
	mkdir -p "$T/src"
	echo vol > "$T/src/f"
	run -0 mrun -v "$T/src:/data-link/sub" -v "$T/src:/climb-link/sub" "evil$BATS_TEST_NUMBER" \
		sh -c 'cat /data-link/sub/f /climb-link/sub/f'
	[ "$output" = "$(printf 'vol\nvol')" ]
	# nothing was created on the host through the links
	[ ! -e "$T/target" ]
	[ ! -e "$T/target2" ]
	rm -rf "$evil"
	run -0 md rmi "evil$BATS_TEST_NUMBER"
}

@test "volumes: a destination through \"..\" resolves while the host renames files meanwhile" {
	# openat2(2) answers EAGAIN when a ".." is walked during any rename on
	# the machine; minidock must retry, not fail the run
	local evil="$BATS_FILE_TMPDIR/climb-rootfs" renamer i
	cp -a "$ROOTFS" "$evil"
	ln -s "../../../../../../../../..$T/target" "$evil/climb-link"
	run -0 md import "$evil" "climb$BATS_TEST_NUMBER"
	rm -rf "$evil"
	mkdir -p "$T/src"
	echo vol > "$T/src/f"
	touch "$T/a"
	(while :; do mv "$T/a" "$T/b" && mv "$T/b" "$T/a"; done) 2>/dev/null &
	renamer=$!
	for i in $(seq 30); do
		run mrun --network none -v "$T/src:/climb-link/sub" "climb$BATS_TEST_NUMBER" \
			cat /climb-link/sub/f
		[ "$status" -eq 0 ] && [ "$output" = vol ] || break
	done
	kill -KILL "$renamer"
	wait "$renamer" || true
	[ "$status" -eq 0 ] || { echo "run $i: $output" >&2; false; }
	[ ! -e "$T/target" ]
	run -0 md rmi "climb$BATS_TEST_NUMBER"
}

@test "volumes: -D narrates the destination resolved inside the root, and the recursive read-only" {
	mkdir -p "$T/vol"
	run -0 --separate-stderr md -D run --rm -v "$T/vol:/data:ro" base true
	# (alike lines may share one line: "etc/{hosts,...,data}")
	[[ "$stderr" == *"open(\"$T/vol\", O_PATH) = "*"[open(2)]"* ]]
	[[ "$stderr" == *'openat2(root, "'*'data'*'", RESOLVE_IN_ROOT) = '*', mount("/proc/self/fd/'*'", "/proc/self/fd/'*'MS_BIND|MS_REC'* ]]
	[[ "$stderr" == *'openat2(root, "'*'data'*'mount_setattr('*'AT_RECURSIVE'*'MOUNT_ATTR_RDONLY'* ]]
}
