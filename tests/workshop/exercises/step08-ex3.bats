#!/usr/bin/env bats
# Chapter 8, exercise 3: --security-opt systempaths=unconfined leaves /proc
# and /sys as the kernel shows them: no masked path, no read-only one.
# Seen from the host in the container's /proc/PID/mountinfo.
load ../checks/common
CHAPTER_DIR=step08-full
: "${MINIDOCK:?set MINIDOCK to the minidock under test}"

eval "chapter_$(declare -f setup_file)"
setup_file() {
	chapter_setup_file
	export STORE="$BATS_FILE_TMPDIR/store"
	"$MINIDOCK" --root "$STORE" import "$ROOTFS_SRC" base >/dev/null
}

# system_mounts ARGS...: the mount points beneath /proc/ and /sys/ (but
# /sys/fs/cgroup's) of a container run with ARGS, from the host; in MOUNTS.
system_mounts() {
	hold_cmd >/dev/null
	echo "\$ minidock run --rm -v $T:/t --pid-file $T/pid $* base sh -c '...' &"
	"$MINIDOCK" --root "$STORE" run --rm -v "$T:/t" --pid-file "$T/pid" "$@" base \
		sh -c 'echo > /t/ready; read x < /t/go' >"$T/out" 2>"$T/err" </dev/null &
	JOB=$!
	wait_ready
	MOUNTS=$(awk '$5 ~ /^\/(proc|sys)\// && $5 !~ /^\/sys\/fs\/cgroup/ { print $5 }' \
		"/proc/$(cat "$T/pid")/mountinfo" | sort -u | tr '\n' ' ')
	echo "  mounts beneath /proc and /sys: $MOUNTS"
	finish_prog
}

@test "step08-ex3-unconfined: with systempaths=unconfined, nothing is mounted over /proc's or /sys's paths" {
	readme "Exercises"
	system_mounts --security-opt systempaths=unconfined
	if [[ $MOUNTS == */proc/keys* ]]; then
		hint "the masked paths are still there: skip Docker's masked and read-only paths when the option is given"
	fi
	expect "mount points beneath /proc/ and /sys/ (from /proc/PID/mountinfo)" "" "$MOUNTS"
	expect "exit status" 0 "$STATUS"
}

@test "step08-ex3-default: without it, /proc/keys is masked and /proc/sys is read-only, as before" {
	readme "Exercises"
	system_mounts
	[[ " $MOUNTS " == *" /proc/keys "* && " $MOUNTS " == *" /proc/sys "* ]] || {
		echo "@@expected: /proc/keys and /proc/sys among the mount points"
		seen "${MOUNTS:-none}"
		return 1
	}
	expect "exit status" 0 "$STATUS"
}
