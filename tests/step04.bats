#!/usr/bin/env bats
# Chapter 4 claims: cgroups limit memory, CPU time and processes, on cgroup
# v1, v2 or hybrid machines, and a run leaves no cgroup behind.
bats_require_minimum_version 1.5.0
load helpers

load cgroups

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
	local shares=()
	# --cpu-shares is minidock's (chapter 4 leaves it out): checked where it exists
	has_opt --cpu-shares && shares=(--cpu-shares 512)
	# shellcheck disable=SC2046
	start_ctr "${CGFLAGS[@]}" --memory 32m $(cpu_limit) --pids-limit 10 "${shares[@]}" \
		sh -c "echo > $CT/ready; read x < $CT/go"
	wait_fifo ready
	local pid mem swap pids cpu weight
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
		weight=$(cg_value "$pid" cpu cpu.weight)
	else
		cpu="$(cg_value "$pid" cpu cpu.cfs_quota_us) $(cg_value "$pid" cpu cpu.cfs_period_us)"
		weight=$(cg_value "$pid" cpu cpu.shares)
	fi
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ "$mem" = 33554432 ]
	[ "$pids" = 10 ]
	[ "$cpu" = "20000 100000" ]
	if cg_is_v2 memory; then
		[ "$swap" = 0 ]
	else
		[ "$swap" = 33554432 ]
	fi
	[ ${#shares[@]} -gt 0 ] || return 0
	# runc's and crun's mapping of 512 shares to a v2 weight
	if cg_is_v2 cpu; then [ "$weight" = 20 ]; else [ "$weight" = 512 ]; fi
}

@test "cgroups: past --memory 32m the OOM killer stops the probe (137); under it, it completes" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	start_ctr "${CGFLAGS[@]}" --memory 32m probe alloc 64
	finish_ctr
	[ "$STATUS" -eq 137 ]
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
}

@test "cgroups: 20% of a CPU throttles 200 ms of CPU time to at least 0.7 s; no limit, no throttling" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	fifos ready go
	# shellcheck disable=SC2046
	start_ctr "${CGFLAGS[@]}" $(cpu_limit) \
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

@test "cgroups: bad limits get a one-line error, exit 125 and no cgroup" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	refused "${CGFLAGS[@]}" --memory abc true
	[[ "$stderr" == *"--memory 'abc'"* ]]
	refused "${CGFLAGS[@]}" --memory 0 true
	[[ "$stderr" == *"--memory '0'"* ]]
	local cpu
	cpu=$(cpu_limit)
	refused "${CGFLAGS[@]}" "${cpu% *}" -1 true
	[[ "$stderr" == *"${cpu% *} '-1'"* ]]
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
	refused --cgroup-parent "$busy" --memory 32m true || { kill -KILL "$sleeper"; false; }
	kill -KILL "$sleeper"
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

@test "cgroups: -D narrates the cgroup operations, as this repository's chapters print them" {
	has_opt --memory || skip "no cgroup options"
	cg_prepare
	run -0 --separate-stderr ctr "${CGFLAGS[@]}" -D --memory 32m true
	[[ "$stderr" == *'=> statfs("/sys/fs/cgroup")'*'[statfs(2)]'* ]]
	[[ "$stderr" == *'=> mkdir("'*'/mdk-'*'") = 0 [mkdir(2)]'* ]]
	# (minidock collapses alike writes: ".../{memory.limit_in_bytes,...}")
	[[ "$stderr" =~ \=\>\ write\(\".*memory\.(limit_in_bytes|max)[^\"]*\",\ \"33554432\"\) ]]
	[[ "$stderr" == *'=> rmdir("'*'/mdk-'*'") = 0 [rmdir(2)]'* ]]
	# joining: the child writes 0 into v1 tasks files, v2's cgroup.procs
	# (minidock starts it in its cgroup with clone3: step08-from-chapters.bats)
	full_runtime ||
		[[ "$stderr" =~ child\ +1\ \=\>\ write\(\".*/mdk-[0-9]+-[0-9]+/(tasks|cgroup\.procs)\",\ \"0\"\) ]]
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
