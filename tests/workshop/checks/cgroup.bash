# Shared by chapter 4's claims and exercises: finding a container's cgroups
# from the host, on v1, hybrid or v2.

# cg_mount CONTROLLER: where its hierarchy is mounted (v1), else the v2 one.
cg_mount() {
	local v1
	v1=$(awk -v c="$1" '/ - cgroup / { n = split($NF, o, ",")
		for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo)
	if [ -n "$v1" ]; then echo "$v1"; else awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo; fi
}

cg_is_v2() {
	[ "$(cg_mount "$1")" = "$(awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo)" ]
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
	echo "$(cg_mount "$2")${path%/}"
}

# On v2 a cgroup holding processes cannot delegate controllers: run the
# container under a sibling of our own cgroup (--cgroup-parent).
cg_flags() {
	CGFLAGS=()
	cg_is_v2 pids || return 0
	local own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	CGPARENT="${own%/*}/mdk-workshop-$$"
	mkdir -p "$(cg_mount pids)$CGPARENT"
	CGFLAGS=(--cgroup-parent "$CGPARENT")
}

teardown_file() {
	[ -n "${CGPARENT:-}" ] && rmdir "$(cg_mount pids)$CGPARENT" 2>/dev/null
	return 0
}

# hold_limited ARGS...: start a container with ARGS that waits; CG_DIR (the
# controller given by CG) is where the host finds it.
hold_limited() {
	start_prog "${CGFLAGS[@]}" "$@" sh -c "$(hold_cmd)"
	wait_ready
	CG_DIR=$(cg_of "$(cat "$T/pid")" "$CG")
	echo "  the container's $CG cgroup: $CG_DIR; ours: $(cg_of $BASHPID "$CG")"
}
