#!/usr/bin/env bats
# Chapter 7 claims: a user namespace. Root inside is an ordinary uid on the
# host (--userns remap); the image's files are nobody's to it unless owned
# by the mapped range. (Idmapped layers and the map checks are minidock's:
# step08-userns.bats and step08-from-chapters-b.bats.)
bats_require_minimum_version 1.5.0
load helpers

# The container's root is an unprivileged uid on the host: the exchange
# directory and its fifos must be open to it, as to anyone.
eval "shared_$(declare -f setup)"
setup() {
	shared_setup
	chmod 777 "$T"
}
fifos() {
	for f in "$@"; do mkfifo -m 666 "$T/$f"; done
}

need_userns() {
	has_opt --userns || skip "no --userns option"
}

# The host range the container's ids 0-65535 get without --uidmap: root's
# /etc/subuid entry, else the chapter's documented default.
default_start() {
	local e
	e=$(awk -F: '$1 == "root" || $1 == "0" { print $2; exit }' "/etc/sub$1" 2>/dev/null)
	echo "${e:-1000000000}"
}

# status_ids PID Uid|Gid: the four ids of /proc/PID/status, one line.
status_ids() {
	awk -v k="$2:" '$1 == k { print $2, $3, $4, $5 }' "/proc/$1/status"
}

# map_of FILE: a uid_map or gid_map with its padding squeezed.
map_of() {
	tr -s ' ' < "$1" | sed 's/^ //'
}

# A chowned copy of the rootfs for the mapped range (Docker's userns-remap way).
shifted_rootfs() {
	local start
	start=$(default_start uid)
	SHIFTED=$BATS_FILE_TMPDIR/shifted
	if [ ! -d "$SHIFTED" ]; then
		cp -a "$ROOTFS_SRC" "$SHIFTED"
		chown -R -h "$start:$(default_start gid)" "$SHIFTED"
	fi
}

# refused ARGS...: exit 125 with a one-line error in $stderr.
refused() {
	run -125 --separate-stderr ctr "$@"
	assert_one_line_error
}

@test "userns: root inside, the mapped uid and gid on the host, full capabilities only inside" {
	need_userns
	full_runtime && skip "minidock keeps Docker's 14 capabilities, also in a user namespace"
	fifos ready go
	start_ctr --userns remap sh -c "id -u > $CT/id; id -g >> $CT/id; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid uid gid caps
	pid=$(host_pid)
	uid=$(default_start uid) gid=$(default_start gid)
	[ "$(status_ids "$pid" Uid)" = "$uid $uid $uid $uid" ]
	[ "$(status_ids "$pid" Gid)" = "$gid $gid $gid $gid" ]
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
	caps=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/status")
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/id")" = "$(printf '0\n0')" ]
	# every capability the kernel has (even those the host's caller lacks),
	# but in a namespace that owns nothing of the host's
	[ "$caps" = "$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))" ]
}

@test "userns: /proc/self/uid_map and gid_map hold the mapping, default and --uidmap" {
	need_userns
	run -0 ctr --userns remap sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	[ "$(printf '%s\n' "$output" | tr -s ' ' | sed 's/^ //')" = \
		"$(printf '0 %s 65536\n0 %s 65536' "$(default_start uid)" "$(default_start gid)")" ]
	fifos ready go
	start_ctr --uidmap 0:2000000000:1000 --uidmap 1000:2100000000:10 \
		--gidmap 0:2000000000:1000 sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid map
	pid=$(host_pid)
	map=$(map_of "/proc/$pid/uid_map")
	[ "$(status_ids "$pid" Uid)" = "2000000000 2000000000 2000000000 2000000000" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$map" = "$(printf '0 2000000000 1000\n1000 2100000000 10')" ]
}

@test "userns: a file created inside is owned on the host by the mapped uid" {
	need_userns
	local uid
	uid=$(default_start uid)
	# in the container's own tmpfs, seen from the host through /proc/PID/root
	fifos ready go
	start_ctr --userns remap sh -c "touch /dev/shm/made; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local owner
	owner=$(stat -c %u:%g "/proc/$(host_pid)/root/dev/shm/made")
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$owner" = "$uid:$(default_start gid)" ]
	# in a rootfs copy chowned to the range: on the host's disk
	shifted_rootfs
	run -0 "$STEP_BIN" -r "$SHIFTED" --userns remap sh -c 'touch /tmp/made; stat -c %u /tmp/made'
	[ "$output" = 0 ]
	[ "$(stat -c %u "$SHIFTED/tmp/made")" = "$uid" ]
}

@test "userns: the image's files are nobody's to the container's root; chowned to the range, its own" {
	need_userns
	full_runtime && skip "minidock idmaps the layers instead (step08-userns.bats)"
	run --separate-stderr ctr --userns remap sh -c 'id -u; stat -c %u /etc/passwd; touch /etc/made'
	[ "$status" -ne 0 ]
	# the host's uid 0 is not in the map: the kernel shows it as the overflow uid
	[ "$output" = "$(printf '0\n%s' "$(cat /proc/sys/kernel/overflowuid)")" ]
	[[ "$stderr" == *"Permission denied"* ]]
	[ ! -e "$ROOTFS/etc/made" ]
	# Docker's userns-remap way: a copy whose owners are the mapped range
	shifted_rootfs
	run -0 "$STEP_BIN" -r "$SHIFTED" --userns remap sh -c 'stat -c %u /etc/passwd; touch /etc/made && stat -c %u /etc/made'
	[ "$output" = "$(printf '0\n0')" ]
	[ "$(stat -c %u "$SHIFTED/etc/made")" = "$(default_start uid)" ]
	rm "$SHIFTED/etc/made"
}

@test "userns: --layer with a user namespace is refused (overlayfs would show the layers as nobody's)" {
	need_userns
	has_opt --layer || skip "$(basename "$STEP_BIN") has no --layer (chapter 5+)"
	full_runtime && skip "minidock idmaps the layers (step08-userns.bats, step08-from-chapters-b.bats)"
	run -125 --separate-stderr "$STEP_BIN" --userns remap --layer "$ROOTFS" true
	assert_one_line_error
	[[ "$stderr" == *"--layer and --userns remap"* ]]
}

@test "userns: the container joins its cgroups before its ids change (remap with --pids-limit)" {
	need_userns
	has_opt --pids-limit || skip "$(basename "$STEP_BIN") has no --pids-limit (chapter 4+)"
	fifos ready go
	start_ctr --userns remap --pids-limit 7 sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid groups uid
	pid=$(host_pid)
	groups=$(cat "/proc/$pid/cgroup")
	uid=$(status_ids "$pid" Uid)
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# seen from the host: in the container's own cgroup, with the mapped uid
	[[ "$groups" == *"/mdk-"* ]]
	[ "$uid" = "$(default_start uid) $(default_start uid) $(default_start uid) $(default_start uid)" ]
}

@test "userns: a 0600 file of the host's root is unreadable to the container's root (EACCES)" {
	need_userns
	shifted_rootfs
	echo secret > "$SHIFTED/secret"
	chown 0:0 "$SHIFTED/secret"
	chmod 0600 "$SHIFTED/secret"
	run --separate-stderr "$STEP_BIN" -r "$SHIFTED" --userns remap sh -c 'id -u; cat /secret'
	[ "$status" -ne 0 ]
	[ "$output" = 0 ]
	[[ "$stderr" == *"Permission denied"* ]]
	# negative control: without a user namespace, root reads it
	run -0 "$STEP_BIN" -r "$SHIFTED" --userns host cat /secret
	[ "$output" = secret ]
}

@test "userns: the container's root cannot create a block device node" {
	need_userns
	run ctr --userns remap sh -c 'mknod /tmp/blk b 8 0'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[ ! -e "$ROOTFS/tmp/blk" ]
}

@test "userns: the container's root cannot write /proc/sys/vm or /proc/sys/kernel/panic" {
	need_userns
	full_runtime && skip "minidock mounts /proc/sys read-only for every container (step08-security.bats)"
	local f v
	for f in vm/swappiness kernel/panic; do
		v=$(cat "/proc/sys/$f")
		# the same value back: harmless if it ever got through
		run ctr --userns remap sh -c "echo $v > /proc/sys/$f"
		[ "$status" -ne 0 ]
		[[ "$output" == *"Permission denied"* ]]
		[ "$(cat "/proc/sys/$f")" = "$v" ]
		# negative control: the host's root may
		run -0 ctr --userns host sh -c "echo $v > /proc/sys/$f"
	done
}

@test "userns: the container's root cannot load a kernel module" {
	need_userns
	run -0 "$ROOTFS/bin/probe" module
	[ "$(value finit_module_errno)" != 38 ] ||
		skip "this kernel has no module support (finit_module is ENOSYS even for the host's root)"
	# the host's root passes the capability check (EBADF: no module given)...
	[ "$(value finit_module_errno)" = 9 ]
	# ...the container's root does not (EPERM: no CAP_SYS_MODULE on the host)
	run -0 ctr --userns remap probe module
	[ "$(value finit_module_errno)" = 1 ]
}

@test "userns: out-of-range, malformed and overlapping maps get a one-line error (125)" {
	need_userns
	refused --uidmap 0:4294967000:1000 true
	[[ "$stderr" == *"range"* ]]
	refused --gidmap 0:100000:0 true
	refused --uidmap 0:100000 true
	[[ "$stderr" == *"CTR:HOST:LEN"* ]]
	refused --uidmap 0:-1:10 true
	refused --userns maybe true
	refused --userns host --uidmap 0:100000:10 true
	# the kernel refuses overlapping lines (EINVAL), and a map without id 0
	# leaves the child no root to become
	refused --uidmap 0:100000:1000 --uidmap 500:300000:10 true
	refused --uidmap 1:100000:10 true
}

@test "userns: -D narrates CLONE_NEWUSER, the maps and the change of ids" {
	need_userns
	run -0 --separate-stderr ctr -D --userns remap true
	[[ "$stderr" == *"clone(CLONE_NEWUSER|"* ]]
	# the two maps, on a line each or collapsed on one
	[[ "$stderr" == *'uid_map'*'"0 '*"[user_namespaces(7)]"* ]]
	[[ "$stderr" == *'gid_map'*'"0 '* ]]
	[[ "$stderr" == *"setresuid(0, 0, 0) = 0"* ]]
	# the host's device nodes, bound in (minidock: step08-userns.bats)
	full_runtime || [[ "$stderr" == *'mount("/dev/{null,'*'MS_BIND'* ]]
}

# ---- rootless: the tool run by an ordinary user (nobody, 65534) ----

RL_UID=65534

# as_user CMD...: run CMD as uid and gid 65534, with no supplementary groups.
as_user() {
	setpriv --reuid="$RL_UID" --regid="$RL_UID" --clear-groups -- "$@"
}

# The tool as an ordinary user runs it: a copy of it, and this file's rootfs
# copy, on a path the user may walk (bats makes its directories 0700), else
# skip if this kernel keeps user namespaces from unprivileged users.
need_rootless() {
	need_userns
	full_runtime && skip "minidock runs as root only: rootless runs are chapter 7's"
	local f=/proc/sys/kernel/unprivileged_userns_clone d=$BATS_FILE_TMPDIR
	[ ! -e "$f" ] || [ "$(cat "$f")" = 1 ] || skip "$f is 0: no user namespaces for unprivileged users"
	[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user.max_user_namespaces is 0"
	as_user unshare -U true 2>/dev/null || skip "uid $RL_UID may not create a user namespace here (an LSM?)"
	while [ "${d#"$BATS_RUN_TMPDIR"}" != "$d" ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	TOOL=$BATS_FILE_TMPDIR/tool
	[ -x "$TOOL" ] || cp "$STEP_BIN" "$TOOL"
	as_user test -x "$ROOTFS/bin/sh" -a -r "$ROOTFS/etc/passwd" || {
		echo "uid $RL_UID can neither run $ROOTFS/bin/sh nor read its /etc/passwd: make rootfs" >&2
		return 1
	}
}

@test "userns: rootless: an ordinary user's run is root inside, that user on the host" {
	need_rootless
	local pid userns map before
	before=$(hostname)
	fifos ready go
	as_user "$TOOL" -r "$ROOTFS" --network none --pid-file "$T/pid" -h rootless-box sh -c \
		"id -u > $CT/id; hostname >> $CT/id; touch $CT/made; echo > $CT/ready; read x < $CT/go" \
		>"$T/out" 2>"$T/err" &
	JOB=$!
	wait_fifo ready
	pid=$(host_pid)
	userns=$(readlink "/proc/$pid/ns/user")
	# seen from the host: the user's own uid and gid, each mapped to 0 alone
	[ "$(status_ids "$pid" Uid)" = "$RL_UID $RL_UID $RL_UID $RL_UID" ]
	[ "$(status_ids "$pid" Gid)" = "$RL_UID $RL_UID $RL_UID $RL_UID" ]
	map=$(map_of "/proc/$pid/uid_map"; map_of "/proc/$pid/gid_map"; cat "/proc/$pid/setgroups")
	[ "$userns" != "$(readlink /proc/self/ns/user)" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$map" = "$(printf '0 %s 1\n0 %s 1\ndeny' "$RL_UID" "$RL_UID")" ]
	[ "$(cat "$T/id")" = "$(printf '0\nrootless-box')" ]
	# the file it made in the rootfs is the user's on the host's disk
	[ "$(stat -c %u:%g "$T/made")" = "$RL_UID:$RL_UID" ]
	[ "$(hostname)" = "$before" ]
	# nothing of it is left: no process in its user namespace
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/user" 2>/dev/null)" != "$userns" ]
	done
}

@test "userns: rootless: setgroups is denied before gid_map is written (-D)" {
	need_rootless
	run -0 --separate-stderr as_user "$TOOL" -r "$ROOTFS" --network none -D true
	narrated_in_order 'clone\(CLONE_NEWUSER\|' \
		"write\\(\"/proc/[0-9]+/uid_map\", \"0 $RL_UID 1\"\\)" \
		'write\("/proc/[0-9]+/setgroups", "deny"\)' \
		"write\\(\"/proc/[0-9]+/gid_map\", \"0 $RL_UID 1\"\\)" \
		'setresuid\(0, 0, 0\) = 0'
}

@test "userns: rootless: what needs the host's root gets a one-line error (125)" {
	need_rootless
	local a
	for a in "" "--network bridge" "--network none --memory 32m" \
		"--network none --pids-limit 10" "--network none --userns host"; do
		# shellcheck disable=SC2086
		run -125 --separate-stderr as_user "$TOOL" -r "$ROOTFS" $a true
		assert_one_line_error
		[[ "$stderr" == *"needs root"* ]]
	done
	# a map of ids not the user's own: the kernel refuses the write (EPERM)
	run -125 --separate-stderr as_user "$TOOL" -r "$ROOTFS" --network none --uidmap 0:0:1 true
	assert_one_line_error
	[[ "$stderr" == *"uid_map"* ]]
}
