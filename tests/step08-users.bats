#!/usr/bin/env bats
# Chapter 8 claims, `-u USER[:GROUP]` with names (users.c): names are looked
# up in the image's own /etc/passwd and /etc/group, never the host's; a
# named user gets the groups that list it as a member, as with Docker;
# exec runs as the container's user unless -u says otherwise. The ids are
# read from the host, in /proc/PID/status.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# An image whose passwd gives "daemon" (uid 1 on most hosts) another uid.
eval "_step08_$(declare -f setup_file)"
setup_file() {
	_step08_setup_file
	local root=$BATS_FILE_TMPDIR/users-root
	cp -a "$ROOTFS" "$root"
	cat >>"$root/etc/passwd" <<-EOF
	daemon:x:4321:2345:not the host's:/:/bin/sh
	alice:x:1234:2345::/:/bin/sh
	EOF
	cat >>"$root/etc/group" <<-EOF
	staff:x:2345:
	team:x:3456:alice,daemon
	other:x:4567:bob
	EOF
	"$MINIDOCK" --root "$STORE" import "$root" users >/dev/null
	rm -rf "$root"
}

# ids ARGS...: the Uid, Gid and Groups lines of a container run with ARGS, from the host.
ids() {
	fifos ready go
	start_md "$@" sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local pid f
	pid=$(host_pid)
	for f in Uid Gid Groups; do
		echo "$f=$(awk -v f="$f:" '$1 == f { $1 = ""; print substr($0, 2) }' "/proc/$pid/status")"
	done
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "users: -u NAME is the image's user, with its primary group and member groups" {
	output=$(ids -u daemon users)
	echo "$output"
	[ "$(value Uid | awk '{ print $1, $2, $3, $4 }')" = "4321 4321 4321 4321" ]
	[ "$(value Gid | awk '{ print $1, $2, $3, $4 }')" = "2345 2345 2345 2345" ]
	[ "$(value Groups | xargs)" = 3456 ]
}

@test "users: -u NAME:GROUP and -u UID:GID; a group by name comes from the image's group file" {
	output=$(ids -u alice:other users)
	[ "$(value Uid | awk '{ print $1 }')" = 1234 ]
	[ "$(value Gid | awk '{ print $1 }')" = 4567 ]
	[ "$(value Groups | xargs)" = 3456 ]
	rm -f "$T"/ready "$T"/go
	output=$(ids -u 777:888 users)
	[ "$(value Uid | awk '{ print $1 }')" = 777 ]
	[ "$(value Gid | awk '{ print $1 }')" = 888 ]
	# numbers are taken as they are: no groups from the image's files
	[ -z "$(value Groups | xargs)" ]
}

@test "users: exec runs as the container's named user; exec -u 0 as root" {
	fifos ready go
	start_md --name usr -u daemon users sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	run -0 md exec usr sh -c 'id -u; id -g'
	[ "$output" = "$(printf '4321\n2345')" ]
	run -0 md exec -u 0 usr id -u
	[ "$output" = 0 ]
	run -0 md inspect -f '{{.Config.User}}' usr
	[ "$output" = daemon ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "users: a name the image lacks, or a malformed one, is one clear error and leaves nothing" {
	local bad
	for bad in nosuchuser "daemon:nosuchgroup" "bad name" "a:b:c" ":5" "-1"; do
		run -125 --separate-stderr md run --rm -u "$bad" users true
		echo "$bad -> $stderr"
		assert_one_line_error
		run -0 md ps -a -q
		[ -z "$output" ]
	done
}

@test "users: an OCI bundle's additionalGids are the process's supplementary groups" {
	oci_run '{"uid": 1000, "gid": 1001, "additionalGids": [5, 77]}' \
		'["sh", "-c", "grep -E '"'"'^(Uid|Gid|Groups):'"'"' /proc/self/status"]'
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(printf '%s\n' "$output" | awk '$1 == "Uid:" { print $2 }')" = 1000 ]
	[ "$(printf '%s\n' "$output" | awk '$1 == "Gid:" { print $2 }')" = 1001 ]
	[ "$(printf '%s\n' "$output" | awk '$1 == "Groups:" { $1 = ""; print substr($0, 2) }' | xargs)" = "5 77" ]
	# no warning that they were dropped
	[ -z "$stderr" ]
}
