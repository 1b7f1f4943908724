#!/usr/bin/env bats
# Chapter 5 claims: the root is an overlay of image layers plus a writable
# layer of the run's own. (Importing tarballs is minidock's: its claims are
# in step08-image.bats and step08-from-chapters-b.bats.)
bats_require_minimum_version 1.5.0
load helpers

# --layer replaces -r, so these tests call the program directly. Each test
# gets its own state directory and layers, all beneath
# BATS_FILE_TMPDIR (which the shared teardown checks for left-over mounts).
layers_setup() {
	has_opt --layer || skip "$(basename "$STEP_BIN") has no --layer (chapter 5+)"
	D="$BATS_FILE_TMPDIR/t$BATS_TEST_NUMBER"
	STATE="$D/state" L1="$D/lower" L2="$D/upper-layer"
	mkdir -p "$STATE" "$L1/shared" "$L2/shared"
	echo "from lower" > "$L1/shared/in_both"
	echo "from lower" > "$L1/shared/in_lower"
	echo "from upper" > "$L2/shared/in_both"
	echo "from upper" > "$L2/shared/in_upper"
	LAYERS=(--layer "$ROOTFS" --layer "$L1" --layer "$L2")
	JOB2=
	# pid files and output go here, not in $ROOTFS/tmp: $ROOTFS is a lower layer
	T="$D/x"
	mkdir -p "$T"
}

# Names, sizes and contents of the two small layers.
layers_snapshot() {
	find "$L1" "$L2" -printf '%p %s\n' | sort
	cat "$L1"/shared/* "$L2"/shared/*
}

octr() {
	"$STEP_BIN" --state "$STATE" "$@"
}

# start_octr PIDFILE ARGS...: in the background, output in PIDFILE.out/.err.
start_octr() {
	local pf=$1
	shift
	"$STEP_BIN" --state "$STATE" --pid-file "$pf" "$@" >"$pf.out" 2>"$pf.err" &
}

# The container's script ends with "mkfifo /go; read x < /go": it is ready
# once the fifo exists in its root, which the host reaches as /proc/PID/root.
waiting() {
	[ -s "$1" ] && [ -p "/proc/$(cat "$1")/root/go" ]
}
wait_ready() {
	wait_until 10 waiting "$1" || {
		echo "container behind $1 never got ready: $(cat "$1.err" 2>/dev/null)" >&2
		return 1
	}
}
let_go() {
	timeout 10 sh -c "echo go > /proc/$(cat "$1")/root/go"
}

# The host's mount table, only where it mentions PATH (its super options
# name overlay layers, so a whole-line match catches lowerdir= too).
host_mounts_mentioning() {
	awk -v p="$1" 'index($0, p)' /proc/self/mountinfo
}

teardown() {
	stop_job
	if [ -n "${JOB2:-}" ]; then
		[ -s "$T/pid2" ] && kill -KILL "$(cat "$T/pid2")" 2>/dev/null
		kill -KILL "$JOB2" 2>/dev/null
		wait "$JOB2" 2>/dev/null
	fi
	assert_no_mounts_of_ours
	# runs under the default state directory are ours only by tool PID
	[ -z "${OWN_RUN_DIRS:-}" ] || rm -rf $OWN_RUN_DIRS
	[ -z "${D:-}" ] || rm -rf "$D"
}

@test "overlay: a file in both layers comes from the upper one; directories merge" {
	layers_setup
	run -0 octr "${LAYERS[@]}" cat /shared/in_both
	[ "$output" = "from upper" ]
	run -0 octr "${LAYERS[@]}" ls /shared
	[ "$(echo $output)" = "in_both in_lower in_upper" ]
	# the base layer is there too, and the order of --layer matters
	run -0 octr "${LAYERS[@]}" cat /etc/minidock-release
	[ "$output" = "minidock rootfs" ]
	run -0 octr --layer "$ROOTFS" --layer "$L2" --layer "$L1" cat /shared/in_both
	[ "$output" = "from lower" ]
}

@test "overlay: while it runs, its root is an overlay of our layers; the host has no such mount" {
	layers_setup
	start_octr "$T/pid" "${LAYERS[@]}" sh -c '/bin/probe info > /info; mkfifo /go; read x < /go'
	JOB=$!
	wait_ready "$T/pid"
	local info run_dir host
	info=$(grep '^root_mount=' "/proc/$(host_pid)/root/info")
	run_dir=$(echo "$STATE"/mdk-"$JOB"-*)
	host=$(host_mounts_mentioning "$D")
	let_go "$T/pid"
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[[ "$info" == "root_mount=/ - overlay overlay "* ]]
	# lowerdir lists the layers top first
	[[ "$info" == *"lowerdir=$L2:$L1:$ROOTFS,"* ]]
	[[ "$info" == *"upperdir=$run_dir/upper,workdir=$run_dir/work"* ]]
	[ -z "$host" ]
}

@test "overlay: writes land in the writable layer, never in a lower layer" {
	layers_setup
	local before
	before=$(layers_snapshot)
	start_octr "$T/pid" "${LAYERS[@]}" sh -c \
		'echo new > /new; echo more >> /shared/in_lower; mkfifo /go; read x < /go'
	JOB=$!
	wait_ready "$T/pid"
	local upper
	upper=$(echo "$STATE"/mdk-"$JOB"-*/upper)
	# the new file and the copied-up one are in the run's upper directory
	[ "$(cat "$upper/new")" = new ]
	[ "$(cat "$upper/shared/in_lower")" = "$(printf 'from lower\nmore')" ]
	let_go "$T/pid"
	finish_ctr
	[ "$STATUS" -eq 0 ]
	# ...and no lower layer changed
	[ "$(layers_snapshot)" = "$before" ]
	[ ! -e "$ROOTFS/new" ]
}

@test "overlay: --keep shows a deleted file's whiteout and a replaced directory's opaque mark" {
	layers_setup
	run -0 --separate-stderr octr --keep "${LAYERS[@]}" sh -c \
		'rm /shared/in_lower && rm -r /etc && mkdir /etc && echo x > /etc/fresh'
	local upper
	upper=$(echo "$STATE"/mdk-*/upper)
	[[ "$stderr" == *"kept the writable layer: $upper"* ]]
	# a whiteout: a character device 0/0 where the lower file was
	[ "$(stat -c '%F %t:%T' "$upper/shared/in_lower")" = "character special file 0:0" ]
	[ -f "$L1/shared/in_lower" ]
	# an opaque directory: the lower /etc no longer shows through
	run -0 "$ROOTFS/bin/probe" xattr "$upper/etc" trusted.overlay.opaque
	[ "$output" = "xattr=y" ]
	[ "$(ls "$upper/etc")" = fresh ]
	[ -f "$ROOTFS/etc/minidock-release" ]
	rm -rf "$STATE"/mdk-*
}

@test "overlay: two containers on one image don't see each other's writes" {
	layers_setup
	local script='echo mine > /only-$0; mkfifo /go; read x < /go; ls / | grep only-'
	start_octr "$T/pid" "${LAYERS[@]}" sh -c "$script" A
	JOB=$!
	start_octr "$T/pid2" "${LAYERS[@]}" sh -c "$script" B
	JOB2=$!
	wait_ready "$T/pid"
	wait_ready "$T/pid2"
	[ -e "/proc/$(cat "$T/pid")/root/only-A" ]
	[ ! -e "/proc/$(cat "$T/pid")/root/only-B" ]
	[ ! -e "/proc/$(cat "$T/pid2")/root/only-A" ]
	# A looks while B is still running, then B looks
	let_go "$T/pid"
	finish_ctr
	[ "$STATUS" -eq 0 ]
	let_go "$T/pid2"
	wait "$JOB2"
	JOB2=
	[ "$(cat "$T/pid.out")" = only-A ]
	[ "$(cat "$T/pid2.out")" = only-B ]
	[ ! -e "$L2/only-A" ] && [ ! -e "$L2/only-B" ]
}

@test "overlay: after the run, no state directory and no mount refer to it" {
	layers_setup
	# the default place, /run/minidock/mdk-<tool pid>-<start time>
	"$STEP_BIN" --pid-file "$T/pid" "${LAYERS[@]}" sh -c 'mkfifo /go; read x < /go' \
		>"$T/out" 2>"$T/err" &
	JOB=$!
	OWN_RUN_DIRS="/run/minidock/mdk-$JOB-*"
	wait_ready "$T/pid"
	local run_dir
	run_dir=$(echo /run/minidock/mdk-"$JOB"-*)
	[ -d "$run_dir/upper" ] && [ -d "$run_dir/work" ]
	let_go "$T/pid"
	finish_ctr
	[ "$STATUS" -eq 0 ]
	[ ! -e "$run_dir" ]
	[ -z "$(host_mounts_mentioning "$run_dir")" ]
	[ -z "$(host_mounts_mentioning "$D")" ]
}

@test "overlay: failed and killed runs leave no state directory either" {
	layers_setup
	run -127 octr "${LAYERS[@]}" no-such-command
	[ -z "$(ls -A "$STATE")" ]
	run -126 octr "${LAYERS[@]}" /etc/passwd
	[ -z "$(ls -A "$STATE")" ]
	start_octr "$T/pid" "${LAYERS[@]}" sh -c 'mkfifo /go; read x < /go'
	JOB=$!
	wait_ready "$T/pid"
	kill -KILL "$(host_pid)"
	finish_ctr
	[ "$STATUS" -eq 137 ]
	[ -z "$(ls -A "$STATE")" ]
	[ -z "$(host_mounts_mentioning "$D")" ]
}

@test "overlay: -D narrates the run directory and the overlay mount" {
	layers_setup
	run -0 --separate-stderr octr -D "${LAYERS[@]}" true
	[[ "$stderr" == *"=> mkdir(\"$STATE/mdk-"*"\", 0700) = 0 [mkdir(2)]"* ]]
	[[ "$stderr" == *"=> mount(\"overlay\", \"$STATE/mdk-"*"/merged\", \"overlay\", 0, \"lowerdir=$L2:$L1:$ROOTFS,upperdir="*") = 0 [mount(2)]"* ]]
	[[ "$stderr" == *"=> pivot_root("* ]]
}

@test "overlay: make image's two layers: the app layer adds a file and deletes one" {
	layers_setup
	sh "$REPO/tests/tools/mkimage.sh" "$ROOTFS" "$D/image" >/dev/null
	run -0 octr --layer "$D/image/base" --layer "$D/image/app" sh -c \
		'cat /etc/motd; test -e /etc/minidock-release || echo deleted'
	[ "$output" = "$(printf 'hello from the app layer\ndeleted')" ]
	[ -f "$D/image/base/etc/minidock-release" ]
}

@test "overlay: bad input gets a one-line error and 125, and creates nothing" {
	layers_setup
	run -125 --separate-stderr octr --layer "$D/no-such-layer" true
	assert_one_line_error
	[[ "$stderr" == *"layer $D/no-such-layer: No such file or directory"* ]]
	run -125 --separate-stderr octr --layer "$L1/shared/in_both" true
	assert_one_line_error
	[[ "$stderr" == *"Not a directory"* ]]
	run -125 --separate-stderr "$STEP_BIN" --state "$D/no-such-state" "${LAYERS[@]}" true
	assert_one_line_error
	[[ "$stderr" == *"state directory $D/no-such-state: No such file or directory"* ]]
	run -125 --separate-stderr "$STEP_BIN" --state "$L1/shared/in_both" "${LAYERS[@]}" true
	assert_one_line_error
	[[ "$stderr" == *"state directory"*"Not a directory"* ]]
	run -125 --separate-stderr octr -r "$ROOTFS" "${LAYERS[@]}" true
	assert_one_line_error
	run -125 --separate-stderr octr --keep true
	assert_one_line_error
	mkdir "$D/a:b"
	run -125 --separate-stderr octr --layer "$D/a:b" true
	assert_one_line_error
	# refused after the run directory was made: --keep keeps nothing of it
	if has_opt --cgroup-parent; then
		run -125 --separate-stderr octr --keep --cgroup-parent mdk-no-such-parent \
			"${LAYERS[@]}" true
		assert_one_line_error
		[[ "$stderr" == *"no such cgroup"* ]]
	fi
	[ -z "$(ls -A "$STATE")" ]
	[ ! -e "$D/a:b/merged" ]
}
