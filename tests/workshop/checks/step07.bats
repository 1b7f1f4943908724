#!/usr/bin/env bats
# Workshop claims of chapter 7: root inside, an unprivileged uid outside
# (user namespace), with a random mapping.
load common
CHAPTER_DIR=step07-userns

# A random range of 65536 ids, far above any real user's.
map() {
	BASE=$(((RANDOM % 16384 + 16384) * 65536))
	MAP=(--network none --uidmap "0:$BASE:65536" --gidmap "0:$BASE:65536")
}

need_userns() {
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" != 0 ] ||
		skip "machine: user namespaces are off (user.max_user_namespaces = 0)"
}

@test "step07-starts: with --network none, a command runs and its exit status comes back" {
	readme "The idea"
	local code=$((RANDOM % 100 + 1))
	run_prog --network none sh -c "cat /etc/minidock-release; exit $code"
	expect "the rootfs's /etc/minidock-release, read inside" "minidock rootfs" "$out"
	expect_status "$code"
}

@test "step07-root-inside: with a random --uidmap, root inside is the mapped uid on the host" {
	readme "The idea"
	need_userns
	map
	start_prog "${MAP[@]}" sh -c "id -u > $CT/id; id -g >> $CT/id; $(hold_cmd)"
	wait_ready
	local pid uids gids ns
	pid=$(cat "$T/pid")
	uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
	ns=$(readlink "/proc/$pid/ns/user")
	finish_prog
	if [ "$ns" = "$(readlink /proc/self/ns/user)" ]; then
		hint "the container is in the host's user namespace: which clone flag gives it one of its own?"
	elif [ "$uids" = "0 0 0 0" ]; then
		hint "the container runs as the host's root: the maps were not written, or setuid/setgid(0) came before them"
	fi
	expect "the container's uids on the host (/proc/PID/status)" "$BASE $BASE $BASE $BASE" "$uids"
	expect "the container's gids on the host" "$BASE $BASE $BASE $BASE" "$gids"
	expect "id -u and id -g inside" "0 0" "$(echo $(cat "$T/id"))"
}

@test "step07-maps: /proc/self/uid_map and gid_map inside hold the random mapping" {
	readme "The idea"
	need_userns
	needs step07-root-inside
	map
	run_prog "${MAP[@]}" sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	if [ "$status" = 0 ] && [[ $out == *4294967295* ]]; then
		hint "these are the host's identity maps: write \"0 $BASE 65536\" to /proc/PID/uid_map and gid_map (after \"deny\" to setgroups) from the parent"
	fi
	expect "uid_map, then gid_map" "0 $BASE 65536 0 $BASE 65536" "$(echo $out)"
}

@test "step07-files: a file the container's root creates is owned by the mapped ids on the host" {
	readme "The idea"
	need_userns
	needs step07-root-inside
	map
	start_prog "${MAP[@]}" sh -c "touch /dev/shm/made; $(hold_cmd)"
	wait_ready
	local owner
	owner=$(stat -c %u:%g "/proc/$(cat "$T/pid")/root/dev/shm/made" 2>&1)
	finish_prog
	expect "owner of /dev/shm/made, seen from the host" "$BASE:$BASE" "$owner"
}
