#!/usr/bin/env bats
# Chapter 4 claims: cgroups limit memory, CPU time and processes, on cgroup
# v1, v2 or hybrid machines, and a run leaves no cgroup behind.
bats_require_minimum_version 1.5.0
load helpers

# ---- finding cgroup files, on v1, v2 and hybrid machines ----

# cg_pure_v2: is cgroup2 itself mounted at /sys/fs/cgroup (no v1 at all)?
cg_pure_v2() {
	awk '$5 == "/sys/fs/cgroup" && / - cgroup2 / { f = 1 } END { exit !f }' /proc/self/mountinfo
}

cg_v2_mount() {
	awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo
}

# cg_v1_mount CONTROLLER: where CONTROLLER's v1 hierarchy is mounted, if anywhere.
cg_v1_mount() {
	awk -v c="$1" '/ - cgroup / { n = split($NF, o, ",")
		for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo
}

# cg_is_v2 CONTROLLER: does CONTROLLER live in the v2 hierarchy here?
cg_is_v2() {
	local m
	cg_pure_v2 || [ -z "$(cg_v1_mount "$1")" ] || return 1
	m=$(cg_v2_mount)
	[ -n "$m" ] && grep -qw "$1" "$m/cgroup.controllers"
}

# cg_mount CONTROLLER: the mount point of CONTROLLER's hierarchy.
cg_mount() {
	if cg_is_v2 "$1"; then cg_v2_mount; else cg_v1_mount "$1"; fi
}

# The controllers a container is put in: cpuacct only exists in v1.
cg_controllers() {
	local c
	for c in cpu cpuacct memory pids; do
		[ -n "$(cg_mount "$c")" ] && echo "$c"
	done
	return 0
}

# cg_of PID CONTROLLER: the directory of PID's cgroup for CONTROLLER.
cg_of() {
	local path
	if cg_is_v2 "$2"; then
		path=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	else
		path=$(awk -F: -v c="$2" '{ n = split($2, o, ",")
			for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' "/proc/$1/cgroup")
	fi
	[ -n "$path" ] && echo "$(cg_mount "$2")${path%/}"
}

# cg_base CONTROLLER: where the tool puts containers (see cg_prepare).
cg_base() {
	if [ -n "$CGPARENT" ]; then
		echo "$(cg_mount "$1")$CGPARENT"
	else
		echo "$(cg_of $BASHPID "$1")/minidock"
	fi
}

# cg_value PID CONTROLLER FILE: a file of PID's cgroup.
cg_value() {
	cat "$(cg_of "$1" "$2")/$3"
}

# cg_key PID CONTROLLER FILE KEY: the number after KEY in a flat-keyed file.
cg_key() {
	awk -v k="$4" '$1 == k { print $2 }' "$(cg_of "$1" "$2")/$3"
}

# cg_dirs_of TOOLPID: the container cgroups the tool run TOOLPID created.
cg_dirs_of() {
	local c
	for c in $(cg_controllers); do
		ls -d "$(cg_base "$c")/mdk-$1-"* 2>/dev/null
	done
	return 0
}

assert_no_cgroup_of() {
	local left
	left=$(cg_dirs_of "$1")
	if [ -n "$left" ]; then
		echo "left-over cgroups: $left" >&2
		return 1
	fi
}

# cg_empty DIR: no process left in the cgroup DIR.
cg_empty() {
	[ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ]
}

# On cgroup v2 a cgroup that holds processes cannot give controllers to its
# children (no internal processes), and this shell's cgroup holds at least
# this shell. So on v2 the containers go under a sibling of our cgroup, made
# here, with --cgroup-parent; on v1 and hybrid machines the tool's default
# (a minidock/ child of our own cgroup) is used. Sets CGFLAGS and CGPARENT.
cg_prepare() {
	local parent c
	CGFLAGS=() CGPARENT=
	cg_is_v2 memory || return 0
	parent=$(cg_v2_parent)
	for c in cpu memory pids; do
		grep -qw "$c" "$(cg_v2_mount)${parent%/*}/cgroup.subtree_control" ||
			skip "cgroup v2: ${parent%/*} does not delegate $c; run the tests from a delegated cgroup (systemd-run --scope -p Delegate=yes)"
	done
	CGPARENT=$parent
	mkdir -p "$(cg_v2_mount)$CGPARENT"
	CGFLAGS=(--cgroup-parent "$CGPARENT")
}

# cg_v2_parent: this file's --cgroup-parent on v2, a sibling of our cgroup.
cg_v2_parent() {
	local own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	echo "${own%/*}/mdk-$(basename "$BATS_RUN_TMPDIR")"
}

teardown_file() {
	if cg_is_v2 memory && [ -d "$(cg_v2_mount)$(cg_v2_parent)" ]; then
		rmdir "$(cg_v2_mount)$(cg_v2_parent)"
	fi
}

# refused ARGS...: a run the tool must refuse: exit 125, one line, no cgroup.
refused() {
	start_ctr "$@"
	finish_ctr
	[ "$STATUS" -eq 125 ] || {
		echo "exit status $STATUS, not 125, for $*" >&2
		return 1
	}
	stderr=$(cat "$T/err")
	assert_one_line_error
	assert_no_cgroup_of "$JOB"
}

# ---- the claims ----

@test "cgroups: the container joins a cgroup of its own in every hierarchy, named for the tool" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	fifos ready go
	start_ctr "${CGFLAGS[@]}" --memory 64m sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid c mine theirs n=0
	pid=$(host_pid)
	for c in $(cg_controllers); do
		mine=$(cg_of $BASHPID "$c") theirs=$(cg_of "$pid" "$c")
		[[ "$theirs" == "$(cg_base "$c")/mdk-$JOB-"* ]] || {
			echo "$c: container in $theirs, not under $(cg_base "$c")/mdk-$JOB-" >&2
			false
		}
		[ "$theirs" != "$mine" ]
		grep -qx "$pid" "$theirs/cgroup.procs"
		n=$((n + 1))
	done
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# cpu, memory, pids, and cpuacct where it is a v1 hierarchy
	[ "$n" -ge 3 ]
	assert_no_cgroup_of "$JOB"
}

@test "cgroups: the limit files hold the values asked for" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	fifos ready go
	start_ctr "${CGFLAGS[@]}" --memory 32m --cpus 0.2 --pids-limit 10 --cpu-shares 512 \
		sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid mem swap pids cpu shares
	pid=$(host_pid)
	pids=$(cg_value "$pid" pids pids.max)
	if cg_is_v2 memory; then
		mem=$(cg_value "$pid" memory memory.max)
		swap=$(cg_value "$pid" memory memory.swap.max)
	else
		mem=$(cg_value "$pid" memory memory.limit_in_bytes)
		swap=$(cg_value "$pid" memory memory.memsw.limit_in_bytes)
	fi
	if cg_is_v2 cpu; then
		cpu=$(cg_value "$pid" cpu cpu.max)
		shares=$(cg_value "$pid" cpu cpu.weight)
	else
		cpu="$(cg_value "$pid" cpu cpu.cfs_quota_us) $(cg_value "$pid" cpu cpu.cfs_period_us)"
		shares=$(cg_value "$pid" cpu cpu.shares)
	fi
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$mem" = 33554432 ]
	[ "$pids" = 10 ]
	[ "$cpu" = "20000 100000" ]
	if cg_is_v2 memory; then
		[ "$swap" = 0 ]
		# runc's and crun's mapping of 512 shares to a v2 weight
		[ "$shares" = 20 ]
	else
		[ "$swap" = 33554432 ]
		[ "$shares" = 512 ]
	fi
}

@test "cgroups: past --memory 32m the OOM killer stops the probe (137, reported); under it, it completes" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	start_ctr "${CGFLAGS[@]}" --memory 32m probe alloc 64
	finish_ctr
	[ "$STATUS" -eq 137 ]
	grep -qx "$(basename "$STEP_BIN"): killed by the kernel OOM killer: memory limit 32M reached" "$T/err"
	! grep -q allocated_mb "$T/out"
	assert_no_cgroup_of "$JOB"

	start_ctr "${CGFLAGS[@]}" --memory 32m probe alloc 16
	finish_ctr
	[ "$STATUS" -eq 0 ]
	grep -qx allocated_mb=16 "$T/out"
	! grep -q "OOM" "$T/err"
	assert_no_cgroup_of "$JOB"
}

@test "cgroups: with --pids-limit 10, PID 1 forks 9 children and the 10th fork gets EAGAIN" {
	has_opt --pids-limit || skip "no cgroup options"
	cg_prepare
	fifos ready go
	start_ctr "${CGFLAGS[@]}" -D --pids-limit 10 \
		sh -c "probe fork-until-fail 100 > $CT/forks; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local refused
	# the host sees the refusal in the container's pids.events
	refused=$(cg_key "$(host_pid)" pids pids.events max)
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# sh is PID 1 here: it and the probe take 2 of the 10, the probe forks 8
	grep -qx forks=8 "$T/forks"
	grep -qx "error=Resource temporarily unavailable" "$T/forks"
	[ "$refused" -ge 1 ]

	# the probe itself as PID 1: exactly 9 forks succeed
	run -0 --separate-stderr ctr "${CGFLAGS[@]}" -D --pids-limit 10 probe fork-until-fail 100
	[ "$(value forks)" = 9 ]
	[ "$(value error)" = "Resource temporarily unavailable" ]
	# and -D reports what pids.events recorded
	[[ "$stderr" == *'pids.events"): max 1'* ]]
}

@test "cgroups: --cpus 0.2 throttles 200 ms of CPU time to at least 0.7 s; no limit, no throttling" {
	has_opt --cpus || skip "no cgroup options"
	cg_prepare
	fifos ready go
	start_ctr "${CGFLAGS[@]}" --cpus 0.2 \
		sh -c "probe burn 200 > $CT/burn; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local throttled quota
	throttled=$(cg_key "$(host_pid)" cpu cpu.stat nr_throttled)
	if cg_is_v2 cpu; then
		quota=$(cg_value "$(host_pid)" cpu cpu.max)
	else
		quota="$(cg_value "$(host_pid)" cpu cpu.cfs_quota_us) $(cg_value "$(host_pid)" cpu cpu.cfs_period_us)"
	fi
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$quota" = "20000 100000" ]
	local cpu_ms wall_ms
	cpu_ms=$(sed -n 's/^cpu_ms=//p' "$T/burn")
	wall_ms=$(sed -n 's/^wall_ms=//p' "$T/burn")
	echo "cpu_ms=$cpu_ms wall_ms=$wall_ms nr_throttled=$throttled"
	[ "$cpu_ms" -ge 200 ]
	[ "$wall_ms" -ge 700 ]
	[ "$throttled" -gt 0 ]

	# the negative control: a cgroup without a CPU limit is never throttled
	start_ctr "${CGFLAGS[@]}" --memory 64m \
		sh -c "probe burn 200 > $CT/burn; echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	throttled=$(cg_key "$(host_pid)" cpu cpu.stat nr_throttled)
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$throttled" -eq 0 ]
}

@test "cgroups: a normal exit and a killed container leave no cgroup" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	start_ctr "${CGFLAGS[@]}" --memory 64m --pids-limit 50 true
	finish_ctr
	[ "$STATUS" -eq 0 ]
	assert_no_cgroup_of "$JOB"

	# a process that escaped PID 1's death cannot exist (the PID namespace
	# dies with it), so kill PID 1 from the host while a child runs
	fifos ready
	start_ctr "${CGFLAGS[@]}" --pids-limit 50 sh -c "sleep 1000 & echo > $CT/ready; wait"
	wait_fifo ready
	[ -n "$(cg_dirs_of "$JOB")" ]
	kill -KILL "$(host_pid)"
	finish_ctr
	[ "$STATUS" -eq 137 ]
	assert_no_cgroup_of "$JOB"
}

@test "cgroups: after the tool is SIGKILLed, the next run removes its empty cgroup, and nothing else" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	fifos ready
	start_ctr "${CGFLAGS[@]}" --memory 64m --pids-limit 50 sh -c "echo > $CT/ready; exec sleep 1000"
	wait_fifo ready
	local dead=$JOB stale c d
	stale=$(cg_dirs_of "$dead")
	[ -n "$stale" ]
	kill -KILL "$dead"
	wait "$dead" || true
	JOB=
	# the container dies with the tool (PR_SET_PDEATHSIG); its cgroups stay
	for d in $stale; do
		wait_until 10 cg_empty "$d"
		[ -d "$d" ]
	done

	# decoys the next run must not touch: a live owner's, a name not ours
	local alive="mdk-$$-$(awk '{ print $22 }' /proc/$$/stat)" bases decoys
	# on v2 all controllers share one hierarchy, so one base
	bases=$(for c in $(cg_controllers); do cg_base "$c"; done | sort -u)
	for d in $bases; do
		mkdir -p "$d/$alive" "$d/not-mdk-1-2"
		decoys="$decoys $d/$alive $d/not-mdk-1-2"
	done
	start_ctr "${CGFLAGS[@]}" --memory 64m true
	finish_ctr
	local kept=0
	for d in $decoys; do
		if [ -d "$d" ]; then
			kept=$((kept + 1))
			rmdir "$d"
		fi
	done
	[ -n "$CGPARENT" ] || for d in $bases; do rmdir "$d" 2>/dev/null || true; done
	[ "$STATUS" -eq 0 ]
	assert_no_cgroup_of "$dead"
	assert_no_cgroup_of "$JOB"
	echo "kept $kept of$decoys"
	[ "$kept" -eq "$(echo $decoys | wc -w)" ]
}

@test "cgroups: bad limits get a one-line error, exit 125 and no cgroup" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	refused "${CGFLAGS[@]}" --memory abc true
	[[ "$stderr" == *"--memory 'abc'"* ]]
	refused "${CGFLAGS[@]}" --memory 0 true
	[[ "$stderr" == *"--memory '0'"* ]]
	refused "${CGFLAGS[@]}" --cpus -1 true
	[[ "$stderr" == *"--cpus '-1'"* ]]
	refused "${CGFLAGS[@]}" --pids-limit x true
	[[ "$stderr" == *"--pids-limit 'x'"* ]]
	refused --cgroup-parent /mdk-no-such-parent-$$ --memory 32m true
	[[ "$stderr" == *"mdk-no-such-parent-$$"*"no such cgroup"* ]]
	refused --cgroup-parent ../../x --memory 32m true
	[[ "$stderr" == *"'..'"* ]]
}

@test "cgroups: a machine without the controller gets a clear error and exit 125" {
	has_opt --pids-limit || skip "no cgroup options"
	# a mount namespace without the cgroup mounts: no controllers at all
	run --separate-stderr unshare -m sh -c '
		for m in $(cut -d " " -f 5 /proc/self/mountinfo | grep ^/sys/fs/cgroup | sort -r); do
			umount "$m" || exit 1
		done
		exec "$@"' sh \
		"$STEP_BIN" "${RFLAGS[@]}" --pids-limit 10 true
	echo "$stderr"
	[ "$status" -eq 125 ]
	assert_one_line_error
	[[ "$stderr" == *"pids controller is not available"* ]]
}

@test "cgroups: on v2, a parent that holds processes is refused with the reason" {
	has_opt --cgroup-parent || skip "no cgroup options"
	cg_prepare
	cg_is_v2 memory || skip "the no-internal-processes rule is cgroup v2's; memory is on v1 here"
	local busy="$CGPARENT-busy" sleeper
	mkdir "$(cg_v2_mount)$busy"
	sleep 1000 &
	sleeper=$!
	echo "$sleeper" > "$(cg_v2_mount)$busy/cgroup.procs"
	refused --cgroup-parent "$busy" --memory 32m true || { kill "$sleeper"; false; }
	kill "$sleeper"
	wait "$sleeper" || true
	rmdir "$(cg_v2_mount)$busy"
	echo "$stderr"
	[[ "$stderr" == *"no internal processes"* ]]
}

@test "cgroups: on v2, without --cgroup-parent, a cgroup holding us is refused with the reason" {
	has_opt --memory || skip "no cgroup options"
	cg_is_v2 memory || skip "the no-internal-processes rule is cgroup v2's; memory is on v1 here"
	local own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ "$own" != / ] || skip "we run in the root cgroup, which the rule exempts"
	run -125 --separate-stderr ctr --memory 32m true
	assert_one_line_error
	# the explanation, not a failure to find our own cgroup
	[[ "$stderr" == *"no internal processes"* ]]
}

@test "cgroups: -D narrates the cgroup operations" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	run -0 --separate-stderr ctr "${CGFLAGS[@]}" -D --memory 32m true
	[[ "$stderr" == *'=> statfs("/sys/fs/cgroup")'*'[statfs(2)]'* ]]
	[[ "$stderr" == *'=> mkdir("'*'/mdk-'*'") = 0 [mkdir(2)]'* ]]
	[[ "$stderr" =~ \=\>\ write\(\".*/memory\.(limit_in_bytes|max)\",\ \"33554432\"\) ]]
	# joining: the child writes 0 into v1 tasks files; on v2 clone3 starts
	# it in its cgroup (or, on kernels without that, it joins by itself)
	if cg_is_v2 memory; then
		[[ "$stderr" == *"clone3("*"CLONE_INTO_CGROUP"* ]]
	else
		[[ "$stderr" =~ \=\>\ write\(\".*/mdk-[0-9]+-[0-9]+/tasks\",\ \"0\"\) ]]
	fi
	[[ "$stderr" == *'=> rmdir("'*'/mdk-'*'") = 0 [rmdir(2)]'* ]]
}

@test "cgroups: without cgroup options no cgroup is made" {
	full_runtime && skip "minidock always makes a cgroup: device policy and cgroup namespace"
	has_opt --memory || skip "no cgroup options"
	run -0 --separate-stderr ctr -D true
	[[ "$stderr" != *"cgroups(7)"* ]]
	# the container stays in the cgroups of the shell that started it
	run -0 ctr cat /proc/self/cgroup
	[ "$output" = "$(cat /proc/$BASHPID/cgroup)" ]
}
