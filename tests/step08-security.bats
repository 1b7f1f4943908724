#!/usr/bin/env bats
# Chapter 8 claims, minidock's security defaults: Docker's 14 capabilities,
# no_new_privs, the seccomp filter, masked and read-only paths, no host fd,
# no way back to the runtime's binary, IPC and cgroup namespaces.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# Docker's 14: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
DOCKER_CAPS=00000000a80425fb

# host_fields ARGS...: start a container with ARGS, print its status fields from the host.
host_fields() {
	fifos ready go
	start_md "$@" base sh -c 'echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local pid f
	pid=$(host_pid)
	for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do
		echo "$f=$(host_status_field "$pid" "$f")"
	done
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
}

@test "security: the capability sets, read on the host, are Docker's 14; inheritable and ambient empty" {
	output=$(host_fields)
	[ "$(value CapBnd)" = "$DOCKER_CAPS" ]
	[ "$(value CapPrm)" = "$DOCKER_CAPS" ]
	[ "$(value CapEff)" = "$DOCKER_CAPS" ]
	[ "$(value CapInh)" = 0000000000000000 ]
	[ "$(value CapAmb)" = 0000000000000000 ]
}

@test "security: --cap-drop and --cap-add change all three sets; ALL drops everything" {
	output=$(host_fields --cap-drop CHOWN --cap-add NET_ADMIN --cap-add cap_sys_time)
	# a80425fb - CHOWN (bit 0) + NET_ADMIN (bit 12) + SYS_TIME (bit 25)
	[ "$(value CapBnd)" = 00000000aa0435fa ]
	[ "$(value CapEff)" = 00000000aa0435fa ]
	[ "$(value CapPrm)" = 00000000aa0435fa ]
	run -0 mrun --cap-drop ALL base grep -E '^Cap(Bnd|Eff|Prm)' /proc/self/status
	[ "$(printf '%s\n' "$output" | awk '{ print $2 }' | sort -u)" = 0000000000000000 ]
	run -0 mrun --cap-drop ALL --cap-add KILL base grep CapEff /proc/self/status
	[[ "$output" == *"0000000000000020" ]]
	# a capability really goes: without CHOWN, chown fails
	run -1 mrun --cap-drop CHOWN base chown 1:1 /etc/passwd
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "security: a non-root --user has no effective capabilities, and the bounding set stays" {
	output=$(host_fields -u 1000)
	[ "$(value CapEff)" = 0000000000000000 ]
	[ "$(value CapPrm)" = 0000000000000000 ]
	[ "$(value CapBnd)" = "$DOCKER_CAPS" ]
}

@test "security: no_new_privs is on by default and off with no-new-privileges=false" {
	output=$(host_fields)
	[ "$(value NoNewPrivs)" = 1 ]
	output=$(host_fields --security-opt no-new-privileges=false)
	[ "$(value NoNewPrivs)" = 0 ]
	# the filter is installed either way
	[ "$(value Seccomp)" = 2 ]
	output=$(host_fields --security-opt no-new-privileges)
	[ "$(value NoNewPrivs)" = 1 ]
}

@test "security: seccomp: keyctl, unshare(CLONE_NEWUSER) and mount get EPERM, clone3 ENOSYS" {
	output=$(host_fields)
	[ "$(value Seccomp)" = 2 ]
	# SYS_ADMIN added, so only the filter stands in mount's way
	run -0 mrun --cap-add SYS_ADMIN base probe seccomp
	[ "$(value keyctl)" = EPERM ]
	[ "$(value unshare_user)" = EPERM ]
	[ "$(value mount)" = EPERM ]
	[ "$(value clone3)" = ENOSYS ]
	# while ordinary work goes on: fork, threads (glibc falls back from clone3 to clone)
	[ "$(value fork)" = ok ]
	[ "$(value thread)" = ok ]
	run -0 mrun base sh -c 'echo a | cat | wc -l'
	[ "$output" = 1 ]
}

@test "security: seccomp=unconfined turns the filter off (the negative control)" {
	output=$(host_fields --security-opt seccomp=unconfined)
	[ "$(value Seccomp)" = 0 ]
	run -0 mrun --cap-add SYS_ADMIN --security-opt seccomp=unconfined base probe seccomp
	[ "$(value keyctl)" = ok ]
	[ "$(value unshare_user)" = ok ]
	[ "$(value mount)" = ok ]
	# the kernel itself rejects clone3 with a zero size
	[ "$(value clone3)" = EINVAL ]
}

@test "security: each masked path that exists and is non-empty on the host reads empty inside" {
	local p checked=0 mi
	mi=$(mrun base cat /proc/self/mountinfo)
	for p in /proc/asound /proc/acpi /proc/interrupts /proc/kcore /proc/keys \
		/proc/latency_stats /proc/timer_list /proc/timer_stats /proc/sched_debug \
		/proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
		if [ -d "$p" ] && [ -n "$(ls -A "$p")" ]; then
			run -0 mrun base ls -A "$p"
			[ -z "$output" ] || { echo "$p lists: $output" >&2; return 1; }
		elif [ -f "$p" ] && [ "$(head -c 64 "$p" 2>/dev/null | wc -c)" -gt 0 ]; then
			run -0 mrun base sh -c "cat $p | wc -c"
			[ "$output" = 0 ] || { echo "$p has $output bytes inside" >&2; return 1; }
		else
			continue
		fi
		[[ "$mi" == *" $p "* ]] || { echo "$p is not a mount inside" >&2; return 1; }
		checked=$((checked + 1))
	done
	[ "$checked" -gt 0 ] || skip "none of the masked paths exists here"
}

@test "security: /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs are read-only" {
	run -0 mrun base cat /proc/self/mountinfo
	local p
	for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
		[ -e "$p" ] || continue
		printf '%s\n' "$output" | grep -q " $p ro," || { echo "$p is not read-only" >&2; return 1; }
	done
	# domainname is per UTS namespace: harmless to try
	run mrun base sh -c 'echo x > /proc/sys/kernel/domainname'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "security: only fds 0, 1 and 2 reach the container, whatever we had open" {
	exec 7</etc/passwd 8>"$T/somefile"
	run -0 mrun base probe fds
	exec 7<&- 8>&-
	[ "$output" = "fds=0 1 2 " ]
	run -0 mrun -i base probe fds
	[ "$output" = "fds=0 1 2 " ]
	run -0 mrun --init base probe fds
	[ "$output" = "fds=0 1 2 " ]
}

@test "security: with --init, PID 1 is a copy of minidock that no process inside can reach" {
	fifos ready go
	start_md --init base sh -c 'probe exe 1 > /t/exe; echo > /t/ready; read x < /t/go'
	wait_fifo ready
	# on the host it really is our binary ...
	[ "$(readlink "/proc/$(host_pid)/exe")" = "$(readlink -f "$MINIDOCK")" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# ... but from inside, neither the link nor the file opens
	grep -qx "exe_link=EACCES" "$T/exe"
	grep -qx "exe_open=EACCES" "$T/exe"
	# negative control: a process's own exe, which is not minidock, is reachable
	run -0 mrun base probe exe self
	[ "$(value exe_link)" = /bin/probe ]
}

@test "security: its own IPC and cgroup namespaces; the cgroup namespace shows / as its root" {
	fifos ready go
	start_md base sh -c 'cat /proc/self/cgroup > /t/cg; echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local pid
	pid=$(host_pid)
	[ "$(readlink "/proc/$pid/ns/ipc")" != "$(readlink /proc/self/ns/ipc)" ]
	[ "$(readlink "/proc/$pid/ns/cgroup")" != "$(readlink /proc/self/ns/cgroup)" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# every hierarchy's path is / inside
	[ -z "$(awk -F: '$3 != "/"' "$T/cg")" ]
}

# v2_device_programs PID|self: how many BPF device programs the cgroup v2 of
# PID holds itself, asked from the host with BPF_PROG_QUERY (bpf(2)); or the
# errno that query got, or "no-cgroup2".
v2_device_programs() {
	local mnt path
	mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	path=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	if [ -z "$mnt" ]; then
		echo no-cgroup2
		return
	fi
	"$ROOTFS/bin/probe" devprogs "$mnt$path" | sed -n 's/^device_programs=//p;s/^error=//p'
}

@test "security: a block device node can be made (CAP_MKNOD) but not opened: the device policy" {
	# negative control: the host itself may open the first loop device
	mknod "$T/host-loop" b 7 0
	head -c 0 "$T/host-loop" 2>/dev/null || skip "the host cannot open a loop device node either"
	rm "$T/host-loop"
	fifos ready go
	start_md base sh -c 'probe mknod /dev/loop-test 7 0 > /t/res; probe mknod /t/node 7 0 >> /t/res; echo > /t/ready; read x < /t/go'
	wait_fifo ready
	local devcg progs=
	devcg=$(awk -F: '$2 == "devices" { print $3 }' "/proc/$(host_pid)/cgroup")
	if [ -n "$devcg" ]; then
		# v1: the container's devices cgroup allows the harmless ones only
		grep -qx "b \*:\* m" "/sys/fs/cgroup/devices$devcg/devices.list"
		! grep -q "^a " "/sys/fs/cgroup/devices$devcg/devices.list"
	else
		# v2: is a BPF device program attached to the container's cgroup?
		progs=$(v2_device_programs "$(host_pid)")
	fi
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	if [ -n "$devcg" ] || [ "$progs" = 1 ]; then
		[ "$(grep -c "mknod=ok" "$T/res")" = 2 ]
		[ "$(grep -c "open=EPERM" "$T/res")" = 2 ]
	else
		# no device policy possible (device programs: $progs): CAP_MKNOD was dropped instead
		grep -qx "mknod=EPERM" "$T/res"
	fi
	# the allowed ones still work
	run -0 mrun base sh -c 'head -c 3 /dev/urandom | wc -c; echo x > /dev/null; echo ok > /dev/tty 2>/dev/null || true'
	[ "${lines[0]}" = 3 ]
}

@test "security: cgroup v2: a BPF device program on the container's cgroup; CAP_MKNOD kept, a block node made but not opened" {
	local progs
	[ -z "$(awk -F: '$2 ~ /(^|,)devices(,|$)/' /proc/self/cgroup)" ] ||
		skip "the devices controller is on cgroup v1 here (the test above reads its devices.list)"
	[ -n "$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)" ] ||
		skip "no cgroup v2 hierarchy with controllers at /sys/fs/cgroup"
	progs=$(v2_device_programs self)
	case $progs in
	[0-9]*) ;;
	*) skip "bpf(2) cannot query device programs here ($progs)" ;;
	esac
	fifos ready go
	"$MINIDOCK" --root "$STORE" -D run --rm -v "$T:/t" --pid-file "$T/pid" base sh -c '
		mknod /tmp/b b 7 0; echo mknod=$?
		head -c 0 /tmp/b 2>/t/open-err; echo open=$?
		echo zero=$(head -c 4 /dev/zero | wc -c)
		echo x > /dev/null && echo null=ok
		probe pty
		echo > /t/ready; read x < /t/go' >"$T/res" 2>"$T/err" &
	JOB=$!
	MD_JOBS+=("$JOB")
	wait_fifo ready
	# from the host: one program on the container's own cgroup, and MKNOD
	# still in the container's capability sets
	[ "$(v2_device_programs "$(host_pid)")" = 1 ]
	[ "$(host_status_field "$(host_pid)" CapEff)" = "$DOCKER_CAPS" ]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	grep -qx mknod=0 "$T/res"
	grep -qx open=1 "$T/res"
	grep -q "Operation not permitted" "$T/open-err"
	grep -qx zero=4 "$T/res"
	grep -qx null=ok "$T/res"
	grep -qx ptmx=ok "$T/res"
	grep -qx pts=ok "$T/res"
	grep -q "=> bpf(BPF_PROG_LOAD, {prog_type=BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt=[0-9]*}) = [0-9]*: the device program \[bpf(2)\]" "$T/err"
	grep -q "=> bpf(BPF_PROG_ATTACH, {target_fd=[0-9]* (/sys/fs/cgroup/.*), .*attach_type=BPF_CGROUP_DEVICE" "$T/err"
	! grep -q "CAP_MKNOD dropped" "$T/err"
}
