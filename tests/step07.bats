#!/usr/bin/env bats
# Chapter 7 claims: a user namespace. Root inside is an ordinary uid on the
# host (rootful --userns remap), and an ordinary user can start a container
# and be root in it (rootless).
bats_require_minimum_version 1.5.0
load helpers

# The shared setup (a private rootfs copy), plus, for the rootless tests, an
# unprivileged user of our own with the binary and a rootfs it owns.
eval "shared_$(declare -f setup_file)"
setup_file() {
	shared_setup_file
	export RL_USER= RL_DIR= RL_SKIP=
	if ! has_opt --userns; then
		RL_SKIP="no --userns option"
	elif [ "$(id -u)" -ne 0 ]; then
		RL_SKIP="the tests create their rootless user, which needs root"
	elif ! command -v useradd >/dev/null || ! command -v runuser >/dev/null; then
		RL_SKIP="no useradd or runuser on this machine"
	else
		RL_SKIP=$(userns_blocked)
	fi
	[ -z "$RL_SKIP" ] || return 0
	RL_USER=mdkt$$
	useradd -M -N -s /bin/false "$RL_USER"
	RL_DIR=$(mktemp -d /tmp/mdk-rootless.XXXXXX)
	cp "$STEP_BIN" "$RL_DIR/bin"
	cp -a "$ROOTFS_SRC" "$RL_DIR/rootfs"
	mkdir "$RL_DIR/state"
	chown -R -h "$RL_USER:" "$RL_DIR"
}

# A test that delegates cgroups to the rootless user lists them in DELEG.
eval "shared_$(declare -f teardown)"
teardown() {
	local d
	for d in ${DELEG:-}; do rmdir "$d" 2>/dev/null; done
	DELEG=
	shared_teardown
}

teardown_file() {
	[ -n "$RL_DIR" ] && rm -rf "$RL_DIR"
	[ -n "$RL_USER" ] && userdel "$RL_USER"
	return 0
}

# Why an unprivileged user namespace cannot be made here, or nothing (the
# switches make doctor reports).
userns_blocked() {
	local f=/proc/sys/kernel/unprivileged_userns_clone
	[ -r "$f" ] && [ "$(cat "$f")" = 0 ] && echo "$f is 0 (Debian's switch)" && return
	[ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ] &&
		echo "user.max_user_namespaces is 0" && return
	f=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
	[ -r "$f" ] && [ "$(cat "$f")" = 1 ] && echo "$f is 1 (Ubuntu's AppArmor switch)"
	return 0
}

need_userns() {
	has_opt --userns || skip "no --userns option"
}

need_rootless() {
	full_runtime && skip "minidock runs as root only; rootless is chapter 7's"
	[ -z "$RL_SKIP" ] || skip "rootless: $RL_SKIP"
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

# rl ARGS...: the program, run by the rootless user on its own rootfs.
rl() {
	runuser -u "$RL_USER" -- "$RL_DIR/bin" -r "$RL_DIR/rootfs" "$@"
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

# ---- rootful: --userns remap ----

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

@test "userns: through the idmapped rootfs the image's root files are the container root's" {
	need_userns
	full_runtime && skip "minidock writes to the writable layer, not the image (step08-userns.bats)"
	run -0 --separate-stderr ctr -D --userns remap sh -c 'touch /etc/made && stat -c %u /etc/made /etc/passwd'
	[ "$output" = "$(printf '0\n0')" ]
	[[ "$stderr" == *"MOUNT_ATTR_IDMAP"* ]]
	# stored under the image's own ids: uid 0 on the disk
	[ "$(stat -c %u "$ROOTFS/etc/made")" = 0 ]
	rm "$ROOTFS/etc/made"
}

@test "userns: with --layer, the image is the container root's and writes land in the upper layer under the mapped ids" {
	need_userns
	has_opt --layer || skip "$(basename "$STEP_BIN") has no --layer (chapter 5+)"
	local uid gid state net=()
	uid=$(default_start uid) gid=$(default_start gid)
	state="$BATS_FILE_TMPDIR/state$BATS_TEST_NUMBER"
	mkdir "$state"
	! has_opt --network || net=(--network none)
	run -0 --separate-stderr "$STEP_BIN" -D "${net[@]}" --userns remap --layer "$ROOTFS" \
		--state "$state" --keep sh -c 'stat -c %u / /etc/passwd; echo new > /made; echo x >> /etc/passwd'
	# inside: the image's root files are the container's root's
	[ "$output" = "$(printf '0\n0')" ]
	[[ "$stderr" == *"MOUNT_ATTR_IDMAP"*"fsmount("* ]]
	# on the host: the new file and the copied-up one belong to the mapped ids,
	# the lower layer is untouched and still root's
	local upper
	upper=$(echo "$state"/mdk-*/upper)
	[ "$(stat -c %u:%g "$upper" "$upper/made" "$upper/etc/passwd")" = \
		"$(printf '%s\n%s\n%s' "$uid:$gid" "$uid:$gid" "$uid:$gid")" ]
	[ "$(tail -n 1 "$upper/etc/passwd")" = x ]
	[ "$(tail -n 1 "$ROOTFS/etc/passwd")" != x ]
	[ "$(stat -c %u "$ROOTFS/etc/passwd")" = 0 ]
	rm -rf "$state"
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

@test "userns: overlapping, out-of-range and malformed maps get a clear error" {
	need_userns
	refused --uidmap 0:100000:1000 --uidmap 500:300000:10 true
	[[ "$stderr" == *"overlap inside the container"* ]]
	refused --uidmap 0:100000:1000 --uidmap 1000:100500:10 true
	[[ "$stderr" == *"overlap on the host"* ]]
	refused --uidmap 0:4294967000:1000 true
	[[ "$stderr" == *"out of range"* ]]
	refused --gidmap 0:100000:0 true
	[[ "$stderr" == *"out of range"* ]]
	refused --uidmap 0:100000 true
	[[ "$stderr" == *"CTR:HOST:LEN"* ]]
	refused --uidmap 1:100000:10 true
	[[ "$stderr" == *"id 0"* ]]
	refused --userns maybe true
	refused --userns host --uidmap 0:100000:10 true
}

@test "userns: -D narrates CLONE_NEWUSER, the maps and the change of ids" {
	need_userns
	run -0 --separate-stderr ctr -D --userns remap true
	[[ "$stderr" == *"clone(CLONE_NEWUSER|"* ]]
	[[ "$stderr" == *'/uid_map", "0 '*"[user_namespaces(7)]"* ]]
	[[ "$stderr" == *'/gid_map", "0 '* ]]
	[[ "$stderr" == *"setresuid(0, 0, 0) = 0"* ]]
	[[ "$stderr" == *'mount("/dev/null", "dev/null", NULL, MS_BIND'* ]]
}

# ---- rootless: an ordinary user ----

@test "rootless: an ordinary user starts a container and is root in it" {
	need_rootless
	local uid pid
	uid=$(id -u "$RL_USER")
	# c: the exchange directory as the container sees it, d: as the host does
	local c=/tmp/rl$BATS_TEST_NUMBER
	local d=$RL_DIR/rootfs$c
	runuser -u "$RL_USER" -- mkdir "$d"
	runuser -u "$RL_USER" -- mkfifo "$d/ready" "$d/go"
	runuser -u "$RL_USER" -- "$RL_DIR/bin" -r "$RL_DIR/rootfs" --pid-file "$RL_DIR/pid" \
		-h rl sh -c "id -u > $c/id; hostname >> $c/id; echo \$\$ >> $c/id;
			cat /proc/self/uid_map > $c/map; touch $c/made;
			echo > $c/ready; read x < $c/go" &
	JOB=$!
	timeout 10 cat "$d/ready" >/dev/null
	pid=$(cat "$RL_DIR/pid")
	[ "$(status_ids "$pid" Uid)" = "$uid $uid $uid $uid" ]
	echo go > "$d/go"
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$d/id")" = "$(printf '0\nrl\n1')" ]
	[ "$(map_of "$d/map")" = "0 $uid 1" ]
	[ "$(stat -c %u "$d/made")" = "$uid" ]
}

@test "rootless: pivot_root, /proc, and the host's device nodes bound in" {
	need_rootless
	run -0 rl sh -c 'ps -e -o pid= | wc -l; stat -c "%n %t:%T" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; probe info'
	[ "$(printf '%s\n' "$output" | head -n 1)" -eq 3 ]
	[[ "$output" == *"/dev/null 1:3"*"/dev/tty 5:0"* ]]
	[[ "$output" == *"root_mount=$RL_DIR/rootfs "* ]]
	run -0 rl sh -c 'echo hi > /dev/null && head -c 4 /dev/urandom | wc -c'
	[ "$output" = 4 ]
	# sysfs is a fresh one, read-only; device nodes still cannot be made
	run rl sh -c 'touch /sys/kernel/x'
	[[ "$output" == *"Read-only file system"* ]]
	run rl sh -c 'mknod /tmp/blk b 8 0'
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "rootless: what needs host privilege is refused with its reason" {
	need_rootless
	run -125 --separate-stderr rl --userns host true
	assert_one_line_error
	[[ "$stderr" == *"needs root"* ]]
	run -125 --separate-stderr rl --uidmap 0:0:1 true
	assert_one_line_error
	[[ "$stderr" == *"only your own id"* ]]
	local opt
	if has_opt --memory; then
		for opt in "--memory 32m" "--cpu-quota 50000" "--pids-limit 10"; do
			# shellcheck disable=SC2086
			run -125 --separate-stderr rl $opt true
			assert_one_line_error
			[[ "$stderr" == *"${opt% *} needs a cgroup delegated to you: "*" belongs to "* ]]
		done
	fi
	if has_opt --network; then
		run -125 --separate-stderr rl --network bridge true
		assert_one_line_error
		[[ "$stderr" == *"--network bridge needs root"*"CAP_NET_ADMIN"* ]]
		# --ip asks for the bridge as well
		run -125 --separate-stderr rl --ip 10.111.0.9 true
		[[ "$stderr" == *"--network bridge needs root"* ]]
	fi
	if has_opt --layer; then
		run -125 --separate-stderr runuser -u "$RL_USER" -- "$RL_DIR/bin" --layer "$RL_DIR/rootfs" true
		assert_one_line_error
		[[ "$stderr" == *"--state"* ]]
	fi
	# nothing was left behind: no run directory, no container process
	[ -z "$(ls -A "$RL_DIR/state")" ]
	[ -z "$(pgrep -u "$RL_USER")" ]
}

@test "rootless: with cgroups delegated to the user (--cgroup-parent), the limits apply" {
	need_rootless
	has_opt --pids-limit || skip "$(basename "$STEP_BIN") has no --pids-limit (chapter 4+)"
	# cgroup v1 moves a process for anyone who may write the tasks file; v2
	# also wants the cgroup it leaves writable, which a real delegation
	# (systemd-run --user -p Delegate=yes) sets up and this test cannot
	local c name=mdk-deleg$$ out
	for c in cpu cpuacct memory pids; do
		[ -d "/sys/fs/cgroup/$c" ] && grep -q " /sys/fs/cgroup/$c .* - cgroup " /proc/self/mountinfo ||
			skip "no cgroup v1 $c hierarchy here (delegation on v2 needs systemd)"
	done
	for c in cpu cpuacct memory pids; do
		mkdir "/sys/fs/cgroup/$c/$name"
		DELEG="$DELEG /sys/fs/cgroup/$c/$name"
		chown -R "$RL_USER" "/sys/fs/cgroup/$c/$name"
	done
	run -0 rl --cgroup-parent "$name" --pids-limit 5 sh -c 'cat /proc/self/cgroup'
	out=$output
	[[ "$out" == *"pids:/$name/mdk-"* ]]
	# the limit holds: a sixth process cannot be made
	run rl --cgroup-parent "$name" --pids-limit 5 sh -c 'for i in 1 2 3 4 5 6; do sleep 1 & done; wait'
	[ "$status" -ne 0 ]
	[[ "$output" == *"fork"* ]]
	# and the container cgroups are gone again
	[ -z "$(find "/sys/fs/cgroup/pids/$name" -mindepth 1 -type d)" ]
}

@test "rootless: --network none (the default without root) is a network namespace with only lo, up" {
	need_rootless
	has_opt --network || skip "$(basename "$STEP_BIN") has no --network (chapter 6+)"
	local host_ns
	host_ns=$(readlink /proc/self/ns/net)
	run -0 rl --network none sh -c 'ls /sys/class/net; cat /sys/class/net/lo/flags; readlink /proc/self/ns/net'
	# IFF_UP|IFF_LOOPBACK: lo is up, and it is the only interface
	[ "$(printf '%s\n' "$output" | head -n 2)" = "$(printf 'lo\n0x9')" ]
	[ "$(printf '%s\n' "$output" | tail -n 1)" != "$host_ns" ]
	# without --network, an ordinary user gets the same, and -D says why
	run -0 --separate-stderr rl -D sh -c 'ls /sys/class/net'
	[ "$output" = lo ]
	[[ "$stderr" == *"rootless: --network none, the default without root"* ]]
}

@test "rootless: --layer with a state directory of its own, writes in the upper layer owned by the user" {
	need_rootless
	has_opt --layer || skip "$(basename "$STEP_BIN") has no --layer (chapter 5+)"
	local uid upper
	uid=$(id -u "$RL_USER")
	run -0 --separate-stderr runuser -u "$RL_USER" -- "$RL_DIR/bin" -D --layer "$RL_DIR/rootfs" \
		--state "$RL_DIR/state" --keep sh -c 'id -u; stat -c %u /etc/passwd; echo new > /made; rm /etc/hostname 2>/dev/null; echo x >> /etc/passwd'
	[ "$output" = "$(printf '0\n0')" ]
	[[ "$stderr" == *'overlay, 0, "lowerdir='*',userxattr")'* ]]
	upper=$(echo "$RL_DIR"/state/mdk-*/upper)
	[ "$(stat -c %u "$upper/made" "$upper/etc/passwd")" = "$(printf '%s\n%s' "$uid" "$uid")" ]
	[ "$(tail -n 1 "$upper/etc/passwd")" = x ]
	[ "$(tail -n 1 "$RL_DIR/rootfs/etc/passwd")" != x ]
	rm -rf "$RL_DIR"/state/mdk-*
}
