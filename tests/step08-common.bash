# Shared by tests/step08-*.bats: minidock itself (not the chapter adapter),
# with an image store of its own per test file, beneath BATS_FILE_TMPDIR.
#
# Load after helpers: setup_file, setup and teardown extend the chapter ones;
# setup and teardown run the leak checker (leaks.bash) around every test.

MINIDOCK=${MINIDOCK:-$REPO/step08-full/minidock}
load leaks

eval "_chapter_$(declare -f setup_file)"
eval "_chapter_$(declare -f setup)"
eval "_chapter_$(declare -f teardown)"

setup_file() {
	_chapter_setup_file
	export STORE="$BATS_FILE_TMPDIR/store"
	"$MINIDOCK" --root "$STORE" import "$ROOTFS" base >/dev/null
}

setup() {
	_chapter_setup
	[ -x "$MINIDOCK" ] || skip "no minidock at $MINIDOCK (make step08-full/minidock)"
	leak_snapshot
}

teardown() {
	local bad=0
	_chapter_teardown || bad=1
	assert_nothing_left || bad=1
	leak_check || bad=1
	return "$bad"
}

# md ARGS...: minidock on this file's store.
md() {
	"$MINIDOCK" --root "$STORE" "$@"
}

# mrun ARGS...: a --rm run that reaches the test's exchange directory $T as /t.
mrun() {
	"$MINIDOCK" --root "$STORE" run --rm -v "$T:/t" "$@"
}

# start_md ARGS...: mrun in the background, pid file $T/pid, output $T/out, $T/err.
start_md() {
	"$MINIDOCK" --root "$STORE" run --rm -v "$T:/t" --pid-file "$T/pid" "$@" \
		>"$T/out" 2>"$T/err" &
	JOB=$!
	MD_JOBS+=("$JOB")
}
MD_JOBS=()

# Nothing of a --rm run may stay: no state, no writable layer, no name, and
# no cgroup named for a minidock started by start_md (mdk-PID-START).
assert_nothing_left() {
	local left j
	for j in "${MD_JOBS[@]}"; do
		left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "mdk-$j-*" 2>/dev/null)
		[ -z "$left" ] || { echo "left-over cgroups: $left" >&2; return 1; }
	done
	left=$(ls -A "$STORE/run/containers" "$STORE/containers" "$STORE/run/names" 2>/dev/null |
		grep -v -e '^/' -e '^$' -e ':$')
	if [ -n "$left" ]; then
		echo "left-over state in $STORE: $left" >&2
		# so that the next tests are judged on their own
		rm -rf "$STORE/run/containers"/* "$STORE/containers"/* "$STORE/run/names"/*
		return 1
	fi
}

# host_status_field PID FIELD: a field of /proc/PID/status, read on the host.
host_status_field() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# oci_run USER ARGS [LINUX]: minidock-oci runs a small bundle on $ROOTFS (read-only,
# /proc, PID, mount and network namespaces); USER and ARGS are process.user and
# process.args as JSON, LINUX more members of "linux" (", ..."). Bats' run, stderr apart.
oci_run() {
	local oci=$(dirname "$MINIDOCK")/minidock-oci bundle=$BATS_TEST_TMPDIR/bundle
	[ -x "$oci" ] || skip "no $oci (make)"
	mkdir -p "$bundle"
	cat >"$bundle/config.json" <<-EOF_CONFIG
	{"ociVersion": "1.0.2",
	 "process": {"user": $1, "cwd": "/", "noNewPrivileges": true, "args": $2,
	             "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
	 "root": {"path": "$ROOTFS", "readonly": true},
	 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
	 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "network"}] ${3:-}}}
	EOF_CONFIG
	run --separate-stderr "$oci" --root "$BATS_TEST_TMPDIR/oci" run --bundle "$bundle" "o$BATS_TEST_NUMBER"
}
