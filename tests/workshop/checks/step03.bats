#!/usr/bin/env bats
# Workshop claims of chapter 3: a filesystem of its own (mount namespace, pivot_root).
load common
CHAPTER_DIR=step03-mnt

@test "step03-starts: a command runs inside the rootfs and its exit status comes back" {
	readme "The idea"
	local code=$((RANDOM % 100 + 1))
	run_prog sh -c "cat /etc/minidock-release; exit $code"
	expect "the rootfs's /etc/minidock-release, read inside" "minidock rootfs" "$out"
	expect_status "$code"
}

@test "step03-root: the rootfs's files are at /, a host file is not" {
	readme "The idea"
	local name content host
	name=$(random_name file) content=$(random_name content)
	echo "$content" >"$ROOTFS/$name"
	host="$BATS_TEST_TMPDIR/$(random_name host)"
	echo host-only >"$host"
	run_prog sh -c "cat /$name; cat $host 2>/dev/null || echo no-host-file"
	rm -f "$ROOTFS/$name"
	if [ "$(printf '%s\n' "$out" | tail -n 1)" = host-only ]; then
		hint "the host's files are still reachable: is the container's root the rootfs?"
	fi
	expect "output of cat /$name, then of cat $host" "$content no-host-file" "$(echo $out)"
}

@test "step03-proc: /proc inside shows the container's processes only" {
	readme "The idea"
	run_prog sh -c 'readlink /proc/self; ls /proc'
	local self count
	self=$(printf '%s\n' "$out" | sed -n 1p)
	count=$(printf '%s\n' "$out" | grep -c '^[0-9][0-9]*$' || true)
	if [ "$status" = 0 ] && [ -z "$self" ]; then
		hint "nothing answers /proc/self: is a proc filesystem mounted on /proc inside the rootfs?"
	elif [ "${count:-0}" -gt 5 ] 2>/dev/null; then
		hint "/proc lists $count processes, the host's: proc shows the PID namespace of whoever mounted it; mount it in the child, after clone, inside the rootfs"
	fi
	if [ "$status" != 0 ] || [ "$count" -lt 1 ] || [ "$count" -gt 3 ]; then
		echo "@@expected: 1 to 3 processes in /proc (the shell, ls), exit status 0"
		seen "$count processes; exit status $status$(first_err)"
		diagnose
		return 1
	fi
	expect "/proc/self inside" "a small number" "$( [ "$self" -lt 10 ] 2>/dev/null && echo "a small number" || echo "$self")"
}

@test "step03-private: on a shared host mount, nothing the container mounts reaches the host" {
	readme "The idea"
	local shared leaked
	shared="$BATS_TEST_TMPDIR/shared"
	mkdir -p "$shared"
	mount -t tmpfs minidock-workshop "$shared"
	mount --make-shared "$shared"
	cp -a "$ROOTFS_SRC" "$shared/rootfs"
	echo "\$ $(basename "$STEP_BIN") -r $shared/rootfs true   # on a shared mount"
	status=0
	err=$(timeout 20 "$STEP_BIN" "${XFLAGS[@]}" -r "$shared/rootfs" true 2>&1 >/dev/null) || status=$?
	leaked=$(awk -v r="$shared/rootfs" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo)
	umount -R "$shared"
	echo "  exit status $status; on the host afterwards: ${leaked:-nothing}"
	if [ -n "$leaked" ]; then
		echo "@@expected: no mount under $shared/rootfs on the host"
		seen "$(echo $leaked)"
		hint "mounts propagate to the host's peer group: make every mount private (recursively) before the first mount"
		return 1
	fi
	expect_status 0
}

@test "step03-escape: the chroot escape ends inside the container" {
	readme "The idea"
	needs step03-root
	local marker
	marker="$BATS_TEST_TMPDIR/$(random_name marker)"
	echo host >"$marker"
	run_prog "$PROBE" escape "$marker"
	local found
	found=$(printf '%s\n' "$out" | sed -n 's/^marker=//p')
	if [ "$found" = found ]; then
		hint "a chroot'ed root can climb out: the old root must be gone from the namespace (pivot_root, then detach it)"
	fi
	expect "host marker reached by the escape (probe escape)" missing "$found"
}
