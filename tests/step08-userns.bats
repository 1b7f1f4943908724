#!/usr/bin/env bats
# Chapter 8 claims, --userns remap through minidock run: root inside is an
# unprivileged uid on the host, still with only Docker's 14 capabilities;
# the image is the container root's (idmapped layers); idmapped volumes.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# The host range of container id 0: root's /etc/subuid entry, else the default.
default_start() {
	local e
	e=$(awk -F: '$1 == "root" || $1 == "0" { print $2; exit }' "/etc/sub$1" 2>/dev/null)
	echo "${e:-1000000000}"
}

# --userns remap mounts the layers idmapped: the store's filesystem must
# take idmapped mounts (ext4 and xfs since Linux 5.12, tmpfs only since 6.3).
need_idmapped_store() {
	run --separate-stderr md run --rm --network none --userns remap base true
	[[ "$stderr" != *"may not support idmapped mounts"* ]] ||
		skip "the store's filesystem takes no idmapped mounts on this kernel ($(uname -r))"
}

@test "userns: the host sees the mapped uid; inside it is root with Docker's 14 capabilities" {
	need_idmapped_store
	fifos ready go
	chmod 777 "$T"
	chmod 666 "$T/ready" "$T/go"
	start_md --userns remap base sh -c 'id -u > /t/id; echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local pid uid
	pid=$(host_pid)
	uid=$(default_start uid)
	[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")" = "$uid" ]
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
	[ "$(host_status_field "$pid" CapEff)" = 00000000a80425fb ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/id")" = 0 ]
}

@test "userns: the image is the container root's, through idmapped layers; the layer is untouched" {
	need_idmapped_store
	run -0 --separate-stderr md -D run --rm --userns remap base sh -c 'stat -c %u /etc/passwd; touch /etc/made && stat -c %u /etc/made'
	[ "$output" = "$(printf '0\n0')" ]
	[[ "$stderr" == *"MOUNT_ATTR_IDMAP"* ]]
	[[ "$stderr" == *'"lowerdir'*'/proc/self/fd/'* ]]
	# no copy of the image was made, and its files are still the host root's
	[ -z "$(ls "$STORE/layers" | grep -v -e '^[0-9a-f]*$' -e '\.init$')" ]
	local layer
	layer=$(ls -d "$STORE"/layers/* | grep -v '\.init$' | head -n 1)
	[ "$(stat -c %u "$layer/etc/passwd")" = 0 ]
	[ ! -e "$layer/etc/made" ]
}

@test "userns: a host volume is the host root's unless idmapped" {
	need_idmapped_store
	mkdir -p "$T/vol"
	echo secret > "$T/vol/f"
	chmod 600 "$T/vol/f"
	run mrun --userns remap -v "$T/vol:/data" base cat /data/f
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run -0 mrun --userns remap -v "$T/vol:/data:idmap" base sh -c 'cat /data/f; echo new > /data/new'
	[ "$output" = secret ]
	# written through the idmapped mount: stored under the host's own ids
	[ "$(stat -c %u "$T/vol/new")" = 0 ]
	run -125 --separate-stderr mrun -v "$T/vol:/data:idmap" base true
	assert_one_line_error
	[[ "$stderr" == *"idmap needs --userns remap"* ]]
}

@test "userns: no device nodes can be made; the harmless ones are the host's, bound in" {
	need_idmapped_store
	run mrun --userns remap base sh -c 'mknod /tmp/blk b 7 0'
	[ "$status" -ne 0 ]
	run -0 mrun --userns remap base sh -c 'stat -c "%n %t:%T" /dev/null /dev/zero /dev/urandom; echo x > /dev/null'
	[ "$output" = "$(printf '/dev/null 1:3\n/dev/zero 1:5\n/dev/urandom 1:9')" ]
}

@test "userns: bad maps get a one-line error and 125" {
	run -125 --separate-stderr mrun --uidmap 0:100000:1000 --uidmap 500:300000:10 base true
	assert_one_line_error
	[[ "$stderr" == *"overlap inside the container"* ]]
	run -125 --separate-stderr mrun --userns maybe base true
	assert_one_line_error
	run -125 --separate-stderr mrun --userns host --uidmap 0:100000:10 base true
	assert_one_line_error
}
