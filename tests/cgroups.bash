# Cgroup helpers for chapter 4's claims (tests/step04.bats) and for those that
# moved from chapter 4 to minidock (tests/step08-from-chapters.bats).

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

# cpu_limit: the option asking for 20% of a CPU, in whichever form the tool takes.
cpu_limit() {
	if has_opt --cpus; then echo "--cpus 0.2"; else echo "--cpu-quota 20000"; fi
}
