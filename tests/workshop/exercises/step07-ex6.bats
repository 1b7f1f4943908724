#!/usr/bin/env bats
# Chapter 7, exercise 6: --user UID[:GID] runs CMD with those container ids
# (docker run --user): the map makes them host ids BASE+UID; without a user
# namespace they are the host's ids themselves.
load ../checks/common
CHAPTER_DIR=step07-userns

# ids_of PID: "UIDS / GIDS" (real, effective, saved, fs) from /proc/PID/status.
ids_of() {
	echo "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$1/status") /" \
		"$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$1/status")"
}

# user_run ARGS...: a container started with ARGS and a random --user U:G
# that waits; IDS are its ids on the host, INSIDE what id -u and id -g said.
user_run() {
	U=$((RANDOM % 60000 + 1)) G=$((RANDOM % 60000 + 1))
	start_prog --network none "$@" --user "$U:$G" sh -c "id -u > $CT/id; id -g >> $CT/id; $(hold_cmd)"
	wait_ready
	IDS=$(ids_of "$(cat "$T/pid")")
	finish_prog
	INSIDE=$(echo $(cat "$T/id"))
}

@test "step07-ex6-mapped: with a random --uidmap and --user U:G, CMD is BASE+U, BASE+G on the host and U G inside" {
	readme "Exercises"
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" != 0 ] ||
		skip "machine: user namespaces are off (user.max_user_namespaces = 0)"
	local base=$(((RANDOM % 16384 + 16384) * 65536))
	user_run --uidmap "0:$base:65536" --gidmap "0:$base:65536"
	local u=$((base + U)) g=$((base + G))
	if [ "$IDS" = "$base $base $base $base / $base $base $base $base" ]; then
		hint "CMD still runs as the namespace's root: after the mounts, take the ids with setresgid(2) then setresuid(2) (groups first: afterwards you may no longer)"
	fi
	expect "CMD's ids on the host (/proc/PID/status)" "$u $u $u $u / $g $g $g $g" "$IDS"
	expect "id -u and id -g inside" "$U $G" "$INSIDE"
	expect "exit status" 0 "$STATUS"
}

@test "step07-ex6-host: without a user namespace, --user U:G runs CMD as the host's U and G" {
	readme "Exercises"
	user_run
	expect "CMD's ids on the host (/proc/PID/status)" "$U $U $U $U / $G $G $G $G" "$IDS"
	expect "id -u and id -g inside" "$U $G" "$INSIDE"
	expect "exit status" 0 "$STATUS"
}
