#!/usr/bin/env bats
# Chapter 8 claims, the OCI face: minidock-oci takes runc's command line and
# an OCI bundle. Every state transition, the pid file, the console socket,
# exec, kill --all, delete -f, update, each supported config.json field
# checked from the host (/proc/PID/*, the cgroup files, mountinfo), and the
# refusals: a field that would weaken the container, hostile config.json.
# After every test nothing is left: no state, cgroup, mount or process.
bats_require_minimum_version 1.5.0
load helpers
load cgroups

MINIDOCK=${MINIDOCK:-$REPO/step08-full/minidock}
OCI_BIN=$(dirname "$MINIDOCK")/minidock-oci
RECV=$REPO/build/console-recv

eval "_chapter_$(declare -f setup)"
setup() {
	_chapter_setup
	[ -x "$OCI_BIN" ] || skip "no $OCI_BIN (make)"
	OCIROOT=$BATS_FILE_TMPDIR/oci
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$BUNDLE"
	ID=t$BATS_TEST_NUMBER
}

eval "_chapter_$(declare -f teardown)"
teardown() {
	local dirs d
	dirs=$(cat "$OCIROOT"/*/state.json 2>/dev/null | sed -n 's/.*"dir": "\([^"]*\)".*/\1/p')
	for d in "$OCIROOT"/*/; do
		[ -d "$d" ] && oci delete -f "$(basename "$d")" 2>/dev/null
	done
	_chapter_teardown
	for d in $dirs $(cat "$BATS_TEST_TMPDIR/cgroups" 2>/dev/null); do
		[ ! -d "$d" ] || { echo "left-over cgroup $d" >&2; return 1; }
	done
	[ -z "$(ls -A "$OCIROOT" 2>/dev/null)" ] || { echo "left-over state: $(ls "$OCIROOT")" >&2; return 1; }
}

oci() {
	"$OCI_BIN" --root "$OCIROOT" "$@"
}

# config ARGS [PROCESS...] [LINUX...] [TOP...]: config.json in $BUNDLE; the
# extra arguments are ", member" text added to process, linux and the top.
config() {
	cat >"$BUNDLE/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": ${TERMINAL:-false},
    "user": {"uid": 0, "gid": 0},
    "args": $1,
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "cwd": "/",
    "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
                     "permitted": ["CAP_KILL"]},
    "noNewPrivileges": true ${2:-}
  },
  "root": {"path": "${ROOTPATH:-$ROOTFS}", "readonly": false},
  "hostname": "ocitest",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}
    ${MOUNTS:-}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}, {"type": "cgroup"}] ${3:-}
  } ${4:-}
}
EOF
}

# A command that tells the host it runs (fifo ready), then stays.
stay_args() {
	printf '["sh", "-c", "echo up > %s/ready; exec sleep 1000"]' "$CT"
}

# status ID: the status field of `state`.
status_of() {
	oci state "$1" | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p'
}

has_status() {
	[ "$(status_of "$1")" = "$2" ]
}

# cgroup_dir CONTROLLER: the container's cgroup for it, from its state file.
cgroup_dir() {
	sed -n "s/.*\"controller\": \"$1\".*\"dir\": \"\\([^\"]*\\)\".*/\\1/p" "$OCIROOT/$ID/state.json"
}

# Nothing of a refused create: no state directory, no cgroup.
assert_refused_cleanly() {
	[ "$status" -ne 0 ]
	assert_one_line_error
	[ ! -e "$OCIROOT/$ID" ]
}

@test "oci: spec writes a config.json that create takes; it never overwrites one" {
	( cd "$BUNDLE" && "$MINIDOCK" spec )
	grep -q '"terminal": true' "$BUNDLE/config.json"
	run --separate-stderr "$MINIDOCK" spec --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[[ $stderr == *exists* ]]
	# runc spec's defaults run here once terminal is off and the root is ours
	sed -i -e 's/"terminal": true/"terminal": false/' -e "s|\"path\": \"rootfs\"|\"path\": \"$ROOTFS\"|" \
		"$BUNDLE/config.json"
	oci create --bundle "$BUNDLE" "$ID" 2>/dev/null
	[ "$(status_of "$ID")" = created ]
	oci delete "$ID"
}

@test "oci: created -> running -> paused -> running -> stopped -> deleted, with the pid file" {
	fifos ready
	config "$(stay_args)"
	oci create --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	pid=$(cat "$T/pid")
	# the number alone, no newline, as runc writes it: containerd's shim parses the whole file
	[ "$(wc -l <"$T/pid")" -eq 0 ]
	[ "$(status_of "$ID")" = created ]
	oci state "$ID" | grep -q "\"pid\": $pid,"
	# created: the process exists, in its own PID namespace, and has not run the command
	[ -d "/proc/$pid" ]
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	run oci start nosuch
	[ "$status" -ne 0 ]
	! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q sleep
	oci start "$ID"
	# start returns once the program has replaced the waiting process
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q sleep
	wait_fifo ready
	[ "$(status_of "$ID")" = running ]
	run oci start "$ID"
	[ "$status" -ne 0 ]
	oci pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	grep -q FROZEN "$(cgroup_dir freezer)/freezer.state" 2>/dev/null ||
		grep -q 1 "$(cgroup_dir unified)/cgroup.freeze"
	oci resume "$ID"
	[ "$(status_of "$ID")" = running ]
	run oci delete "$ID"
	[ "$status" -ne 0 ]
	oci kill "$ID" KILL
	wait_until 5 has_status "$ID" stopped
	oci state "$ID" | grep -q '"pid": 0,'
	cgroup_dir memory >"$BATS_TEST_TMPDIR/cgroups"
	oci delete "$ID"
	run oci state "$ID"
	[ "$status" -ne 0 ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

@test "oci: state has runc's fields; list shows the container" {
	config "$(stay_args)"
	oci create --bundle "$BUNDLE" "$ID"
	run oci state "$ID"
	for key in ociVersion id pid status bundle rootfs created owner; do
		[[ $output == *"\"$key\":"* ]]
	done
	[[ $output == *"\"bundle\": \"$BUNDLE\""* ]]
	[[ $output == *"\"rootfs\": \"$ROOTFS\""* ]]
	run oci list -q
	[ "$output" = "$ID" ]
	# crun's --cgroup-manager, which podman passes, is accepted; a bad value is not
	"$OCI_BIN" --cgroup-manager disabled --root "$OCIROOT" state "$ID" >/dev/null
	run --separate-stderr "$OCI_BIN" --cgroup-manager nosuch --root "$OCIROOT" state "$ID"
	[ "$status" -ne 0 ]
	assert_one_line_error
	oci delete "$ID"
}

@test "oci: run waits and passes the exit status on; run -d leaves it running" {
	config '["sh", "-c", "exit 7"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 7 ]
	[ ! -e "$OCIROOT/$ID" ]
	fifos ready
	config "$(stay_args)"
	oci run -d --bundle "$BUNDLE" "$ID"
	wait_fifo ready
	[ "$(status_of "$ID")" = running ]
	oci delete -f "$ID"
}

@test "oci: runc's words for a missing or non-executable command (engines map them to 127, 126)" {
	config '["nosuchcommand"]'
	run -127 --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *"executable file not found"* ]]
	[ "$status" -eq 127 ]
	printf 'echo\n' >"$T/plain"
	chmod 644 "$T/plain"
	config "[\"$CT/plain\"]"
	run -126 --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *"ermission denied"* ]]
	[ "$status" -eq 126 ]
}

@test "oci: kill --all signals every process; delete -f removes a running container" {
	fifos ready
	config "[\"sh\", \"-c\", \"sleep 1000 & sleep 1000 & echo up > $CT/ready; wait\"]"
	oci run -d --bundle "$BUNDLE" "$ID"
	wait_fifo ready
	run oci ps --format json "$ID"
	pids=$(echo "$output" | tr -d '[]' | tr ',' ' ')
	[ "$(echo $pids | wc -w)" -eq 3 ]
	cgroup_dir pids >"$BATS_TEST_TMPDIR/cgroups"
	oci kill --all "$ID" KILL
	wait_until 5 has_status "$ID" stopped
	for p in $pids; do
		[ ! -d "/proc/$p" ] || [ "$(awk '{print $3}' /proc/$p/stat)" = Z ]
	done
	oci delete "$ID"
	# delete -f of one that runs
	ID=${ID}b
	oci run -d --bundle "$BUNDLE" "$ID"
	wait_fifo ready
	pid=$(oci state "$ID" | sed -n 's/.*"pid": \([0-9]*\),/\1/p')
	cgroup_dir memory >>"$BATS_TEST_TMPDIR/cgroups"
	oci delete -f "$ID"
	[ ! -e "$OCIROOT/$ID" ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

@test "oci: exec with --process F.json and with CMD joins the container" {
	fifos ready
	config "$(stay_args)"
	oci run -d --bundle "$BUNDLE" "$ID"
	wait_fifo ready
	cat >"$T/process.json" <<EOF
{"args": ["/bin/probe", "info"], "cwd": "/tmp", "env": ["PATH=/bin", "FOO=bar"],
 "user": {"uid": 1000, "gid": 1001}, "capabilities": {"bounding": ["CAP_KILL", "CAP_SYS_ADMIN"],
 "effective": ["CAP_KILL", "CAP_SYS_ADMIN"], "permitted": ["CAP_KILL", "CAP_SYS_ADMIN"]}}
EOF
	run oci exec --process "$T/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$(value uid)" = 1000 ]
	[ "$(value gid)" = 1001 ]
	pid=$(oci state "$ID" | sed -n 's/.*"pid": \([0-9]*\),/\1/p')
	[ "$(value ns.pid)" = "$(readlink /proc/$pid/ns/pid | tr -dc 0-9)" ]
	# never more than the container's bounding set: CAP_SYS_ADMIN is not granted
	[ "$(value CapBnd)" = 0000000000000020 ]
	run oci exec -e FOO=x --cwd /tmp "$ID" sh -c 'echo "$FOO $(pwd)"'
	[ "$output" = "x /tmp" ]
	oci delete -f "$ID"
}

@test "oci: exec -d --pid-file (as shims and conmon call it) leaves the command running, its PID in the file" {
	fifos ready execd
	config "$(stay_args)"
	oci run -d --bundle "$BUNDLE" "$ID"
	wait_fifo ready
	# on one CPU (taskset(1)), as in the one-CPU test-v2 VM where exec's first
	# child could exit before the command switched user: it must not care
	taskset -c 0 "$OCI_BIN" --root "$OCIROOT" exec -d --pid-file "$T/exec.pid" "$ID" \
		sh -c "echo up > $CT/execd; exec sleep 1000"
	wait_fifo execd
	pid=$(cat "$T/exec.pid")
	# the file names the command itself, in the container's PID namespace, running
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q '^sleep 1000'
	ctr=$(oci state "$ID" | sed -n 's/.*"pid": \([0-9]*\),/\1/p')
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$ctr/ns/pid)" ]
	# nothing of ours waits for it: the caller's subreaper (or init) is its parent now
	ppid=$(awk '{print $4}' "/proc/$pid/stat")
	[ "$(readlink "/proc/$ppid/exe")" != "$(readlink -f "$MINIDOCK")" ]
	# without -d the file is written too, and exec waits for the command's status
	run oci exec --pid-file "$T/exec2.pid" "$ID" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	[ "$(cat "$T/exec2.pid")" -gt 0 ]
	oci delete -f "$ID"
}

@test "oci: without a /dev mount the nodes go into the rootfs itself, and the next run finds them" {
	config '["sh", "-c", "echo x > /dev/null && test -c /dev/zero"]'
	# only /proc: the lines of the /dev and /dev/pts mounts go
	sed -i -e '/"destination": "\/proc"/s/},$/}/' -e '/"destination": "\/dev/,/}/d' \
		"$BUNDLE/config.json"
	! grep -q '"/dev' "$BUNDLE/config.json"
	for i in 1 2; do
		oci run --bundle "$BUNDLE" "$ID$i"
	done
	[ -c "$ROOTFS/dev/null" ]
	# a file where the node should be is not taken for it
	mkdir -p "$BATS_TEST_TMPDIR/root" && cp -a "$ROOTFS/." "$BATS_TEST_TMPDIR/root"
	rm "$BATS_TEST_TMPDIR/root/dev/null" && touch "$BATS_TEST_TMPDIR/root/dev/null"
	sed -i "s|\"path\": \"$ROOTFS\"|\"path\": \"$BATS_TEST_TMPDIR/root\"|" "$BUNDLE/config.json"
	run --separate-stderr oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[ ! -e "$OCIROOT/$ID" ]
	rm -f "$ROOTFS"/dev/{null,zero,full,random,urandom,tty,fd,ptmx,stdin,stdout,stderr}
}

@test "oci: update --resources changes the cgroup limits, read from the host" {
	fifos ready
	config "$(stay_args)" "" ', "resources": {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	oci run -d --bundle "$BUNDLE" "$ID"
	wait_fifo ready
	mem=$(cgroup_dir memory)
	limit=$(cat "$mem/memory.limit_in_bytes" 2>/dev/null || cat "$mem/memory.max")
	[ "$limit" -eq 67108864 ]
	[ "$(cat "$(cgroup_dir pids)/pids.max")" -eq 50 ]
	echo '{"memory": {"limit": 33554432}, "pids": {"limit": 20}}' >"$T/res.json"
	oci update --resources "$T/res.json" "$ID"
	limit=$(cat "$mem/memory.limit_in_bytes" 2>/dev/null || cat "$mem/memory.max")
	[ "$limit" -eq 33554432 ]
	[ "$(cat "$(cgroup_dir pids)/pids.max")" -eq 20 ]
	oci delete -f "$ID"
}

# run_stay NAME [GLOBAL...]: a created-and-started container NAME that stays, on $BUNDLE's config.
run_stay() {
	local name=$1
	shift
	oci "$@" run -d --bundle "$BUNDLE" --pid-file "$T/$name.pid" "$name"
	wait_fifo ready
}

@test "oci: linux.cgroupsPath, both forms, names the cgroup beneath minidock/; its levels go with it" {
	[ -n "$(cg_mount pids)" ] || skip "no pids controller here"
	own=$(cg_of $$ pids)
	top=mdk-t$BATS_TEST_NUMBER-$$
	for name in a b; do
		fifos ready
		config "$(stay_args)" "" ", \"cgroupsPath\": \"/$top/$name\", \"resources\": {\"pids\": {\"limit\": 30}}"
		run_stay "$ID$name"
		rm "$T/ready"
		[ "$(cg_of "$(cat "$T/$ID$name.pid")" pids)" = "$own/minidock/$top/$name" ]
	done
	dir=$own/minidock/$top
	[ "$(cat "$dir/a/pids.max")" -eq 30 ]
	oci delete -f "${ID}a"
	[ ! -d "$dir/a" ] && [ -d "$dir/b" ]
	oci delete -f "${ID}b"
	[ ! -d "$dir" ]
	# systemd's form: each slice inside its parents, then PREFIX-NAME.scope
	top=mdkt${BATS_TEST_NUMBER}p$$
	fifos ready
	config "$(stay_args)" "" ", \"cgroupsPath\": \"$top-x.slice:mdkt:$ID\""
	run_stay "$ID" --systemd-cgroup
	[ "$(cg_of "$(cat "$T/$ID.pid")" pids)" = "$own/minidock/$top.slice/$top-x.slice/mdkt-$ID.scope" ]
	oci delete -f "$ID"
	[ ! -d "$own/minidock/$top.slice" ]
	for bad in '/../x' '/a/./b' '/' ; do
		config '["true"]' "" ", \"cgroupsPath\": \"$bad\""
		run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
		assert_refused_cleanly
		[[ $stderr == *cgroupsPath* ]]
	done
	config '["true"]' "" ', "cgroupsPath": "/a/b"'
	run --separate-stderr oci --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *cgroupsPath* ]]
}

@test "oci: terminal true sends the pty master to --console-socket" {
	[ -x "$RECV" ] || skip "no $RECV (make)"
	TERMINAL=true config '["/bin/probe", "tty"]'
	exec {recv}< <("$RECV" "$BATS_TEST_TMPDIR/console.sock")
	read -r -t 10 line <&"$recv"
	[ "$line" = ready ]
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $stderr == *"console socket"* ]]
	oci create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/console.sock" "$ID"
	oci start "$ID"
	out=$(timeout 10 cat <&"$recv")
	exec {recv}<&-
	[[ $out == *"isatty=1"* ]]
	[[ $out == *"ttyname=/dev/pts/0"* ]]
	wait_until 5 has_status "$ID" stopped
	oci delete "$ID"
}

@test "oci: each supported config.json field takes effect, checked from the host" {
	fifos ready
	mkdir -p "$BUNDLE/data"
	echo shared >"$BUNDLE/data/f"
	MOUNTS=', {"destination": "/mnt/data", "type": "bind", "source": "data", "options": ["rbind", "ro"]},
	  {"destination": "/mnt/rw", "type": "bind", "source": "data", "options": ["rbind", "nosuid", "noexec"]},
	  {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m"]}' \
	config "$(stay_args)" \
		', "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}], "oomScoreAdj": 345,
		   "env": ["PATH=/bin", "OCI_MARK=yes"], "cwd": "/tmp", "user": {"uid": 0, "gid": 0, "umask": 63}' \
		', "resources": {"memory": {"limit": 50331648, "disableOOMKiller": false}, "pids": {"limit": 40},
		   "cpu": {"quota": 20000, "period": 100000, "cpus": ""}, "blockIO": {"weight": 0}},
		   "maskedPaths": ["/proc/keys"], "readonlyPaths": ["/proc/sys"]'
	oci run -d --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	wait_fifo ready
	pid=$(cat "$T/pid")
	s=/proc/$pid/status
	[ "$(awk '/^CapEff/ {print $2}' $s)" = 0000000000000020 ]
	[ "$(awk '/^CapBnd/ {print $2}' $s)" = 0000000000000021 ]
	[ "$(awk '/^NoNewPrivs/ {print $2}' $s)" = 1 ]
	[ "$(awk '/^Umask/ {print $2}' $s)" = 0077 ]
	[ "$(cat /proc/$pid/oom_score_adj)" = 345 ]
	grep -q '^Max open files *321 *654' /proc/$pid/limits
	tr '\0' '\n' </proc/$pid/environ | grep -qx OCI_MARK=yes
	[ "$(nsenter -t "$pid" -u hostname)" = ocitest ]
	for ns in net ipc uts mnt pid cgroup; do
		[ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ]
	done
	[ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]
	mi=/proc/$pid/mountinfo
	awk '$5 == "/mnt/data" {print $6}' $mi | grep -q '^ro'
	awk '$5 == "/mnt/rw" {print $6}' $mi | grep -q '^rw,nosuid,.*noexec'
	awk '$5 == "/scratch" {print $6}' $mi | grep -q 'nosuid,nodev,noexec'
	awk '$5 == "/proc/keys"' $mi | grep -q .
	awk '$5 == "/proc/sys" {print $6}' $mi | grep -q '^ro'
	[ "$(cat /proc/$pid/root/mnt/data/f)" = shared ]
	mem=$(cgroup_dir memory)
	[ "$(cat "$mem/memory.limit_in_bytes" 2>/dev/null || cat "$mem/memory.max")" -eq 50331648 ]
	[ "$(cat "$(cgroup_dir pids)/pids.max")" -eq 40 ]
	cpu=$(cgroup_dir cpu)
	[ "$(cat "$cpu/cpu.cfs_quota_us" 2>/dev/null || cut -d' ' -f1 "$cpu/cpu.max")" -eq 20000 ]
	oci delete -f "$ID"
}

@test "oci: a field that would weaken the container is refused, and leaves nothing" {
	config '["true"]' "" "" ', "hooks": {"createContainer": [{"path": "/bin/true"}]}'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *hooks.createContainer* ]]
	config '["true"]' "" ', "resources": {"blockIO": {"weight": 10}}'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *blockIO* ]]
	config '["true"]' "" ', "resources": {"devices": [{"allow": false, "access": "rwm"},
		{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rw"}]}'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *devices* ]]
	config '["true"]' "" ', "seccomp": null, "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	# the host's mount namespace: the container's root would be built there
	config '["true"]'
	sed -i "s|{\"type\": \"mount\"}|{\"type\": \"mount\", \"path\": \"/proc/$$/ns/mnt\"}|" "$BUNDLE/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *"mount namespace"* ]]
}

@test "oci: hostile config.json (bad JSON, huge, wrong types, escaping paths): one clear error, nothing left" {
	printf '{"ociVersion": "1.0.2", "process": {"args": ["sh"' >"$BUNDLE/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *"line 1, column"* ]]
	head -c 5000000 /dev/zero | tr '\0' ' ' >"$BUNDLE/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	printf '%0.s[' $(seq 1 200) >"$BUNDLE/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *deeper* ]]
	config '"sh"'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *process.args* ]]
	config '["sh"]'
	sed -i 's|{"type": "cgroup"}|{"type": "cgroup"}, {"type": "p\\nid"}|' "$BUNDLE/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *"unknown namespace p?id"* ]]
	config '["sh"]' ', "oomScoreAdj": "high"'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *oomScoreAdj* ]]
	ROOTPATH=../../.. config '["sh"]'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *"out of the bundle"* ]]
	ln -s / "$BUNDLE/rootlink"
	ROOTPATH=rootlink config '["sh"]'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	MOUNTS=', {"destination": "/x", "type": "bind", "source": "../../../../../../../../etc", "options": ["rbind"]}' \
		config '["sh"]'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	assert_refused_cleanly
	[[ $stderr == *"out of the bundle"* ]]
	run --separate-stderr oci create --bundle "$BUNDLE" "../evil"
	[ "$status" -ne 0 ]
	assert_one_line_error
}

@test "oci: --log FILE --log-format json: the error is a JSON record in FILE, not on stderr" {
	printf '{' >"$BUNDLE/config.json"
	run --separate-stderr "$OCI_BIN" --root "$OCIROOT" --log "$T/log" --log-format json \
		create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ -z "$stderr" ]
	grep -q '^{"level":"error","msg":"minidock-oci: .*config.json: line 1, column 2: .*","time":"' "$T/log"
	[ ! -e "$OCIROOT/$ID" ]
}

@test "oci: exec -t sends the new terminal to --console-socket; --preserve-fds passes fds on" {
	[ -x "$RECV" ] || skip "no $RECV (make)"
	fifos ready
	config "$(stay_args)"
	oci run -d --bundle "$BUNDLE" "$ID"
	wait_fifo ready
	exec {recv}< <("$RECV" "$BATS_TEST_TMPDIR/console.sock")
	read -r -t 10 line <&"$recv"
	[ "$line" = ready ]
	oci exec -t --console-socket "$BATS_TEST_TMPDIR/console.sock" "$ID" /bin/probe tty
	out=$(timeout 10 cat <&"$recv")
	exec {recv}<&-
	[[ $out == *"isatty=1"* ]]
	oci delete -f "$ID"
	# fds 3 and 4 reach the process with --preserve-fds 2, and not without
	config '["sh", "-c", "echo via-fd4 >&4"]'
	oci run --preserve-fds 2 --bundle "$BUNDLE" "$ID" 4>"$T/fd4"
	[ "$(cat "$T/fd4")" = via-fd4 ]
	run oci run --bundle "$BUNDLE" "$ID" 4>"$T/fd4-again"
	[ "$status" -ne 0 ]
	[ ! -s "$T/fd4-again" ]
}

@test "oci: linux.namespaces[].path joins another container's network, ipc, uts and pid namespaces" {
	fifos ready
	config "$(stay_args)"
	oci run -d --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	wait_fifo ready
	a=$(cat "$T/pid")
	cp -r "$BUNDLE" "$BUNDLE-b"
	sed -i -e "s|{\"type\": \"network\"}|{\"type\": \"network\", \"path\": \"/proc/$a/ns/net\"}|" \
		-e "s|{\"type\": \"ipc\"}|{\"type\": \"ipc\", \"path\": \"/proc/$a/ns/ipc\"}|" \
		-e "s|{\"type\": \"uts\"}|{\"type\": \"uts\", \"path\": \"/proc/$a/ns/uts\"}|" \
		-e "s|{\"type\": \"pid\"}|{\"type\": \"pid\", \"path\": \"/proc/$a/ns/pid\"}|" \
		-e '/"hostname"/d' -e 's|/ready|/ready-b|' "$BUNDLE-b/config.json"
	mkfifo "$T/ready-b"
	oci run -d --bundle "$BUNDLE-b" --pid-file "$T/pid-b" "$ID-b"
	wait_fifo ready-b
	b=$(cat "$T/pid-b")
	for ns in net ipc uts pid; do
		[ "$(readlink /proc/$b/ns/$ns)" = "$(readlink /proc/$a/ns/$ns)" ]
	done
	[ "$(readlink /proc/$b/ns/mnt)" != "$(readlink /proc/$a/ns/mnt)" ]
	# in A's PID namespace, B is not PID 1
	[ "$(awk '/^NSpid/ {print $3}' /proc/$b/status)" != 1 ]
	oci delete -f "$ID-b"
	# a path that is not a namespace of that type: refused, nothing made
	sed -i "s|/proc/$a/ns/net|/proc/$a/ns/ipc|" "$BUNDLE-b/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE-b" "$ID-c"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[ ! -e "$OCIROOT/$ID-c" ]
	oci delete -f "$ID"
}

# joined_bundle DIR A_PID: $BUNDLE's config.json into DIR, with A's user
# namespace by path and root's powers inside it (sysadmin, dac override).
joined_bundle() {
	mkdir -p "$1"
	sed -e "s|{\"type\": \"user\"}|{\"type\": \"user\", \"path\": \"/proc/$2/ns/user\"}|" \
		-e 's|"CAP_KILL"|"CAP_KILL", "CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH"|g' \
		"$BUNDLE/config.json" >"$1/config.json"
}

@test "oci: a user namespace given by path is joined: root there is the same unprivileged host uid, owning the new namespaces" {
	fifos ready ready-b
	maps='"uidMappings": [{"containerID": 0, "hostID": 300000, "size": 65536}],
	      "gidMappings": [{"containerID": 0, "hostID": 300000, "size": 65536}]'
	echo secret >"$BATS_TEST_TMPDIR/secret"
	chmod 600 "$BATS_TEST_TMPDIR/secret"
	# the mount point is made by the host: the container's root may not write there
	touch "$ROOTFS/secret"
	MOUNTS=", {\"destination\": \"/secret\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/secret\", \"options\": [\"bind\"]}" \
		config "$(stay_args)" "" ", $maps"
	sed -i 's|{"type": "cgroup"}|{"type": "cgroup"}, {"type": "user"}|' "$BUNDLE/config.json"
	oci run -d --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	wait_fifo ready
	a=$(cat "$T/pid")
	# B: A's user namespace by path (its maps repeated), every other namespace new
	joined_bundle "$BUNDLE-b" "$a"
	sed -i 's|/ready|/ready-b|' "$BUNDLE-b/config.json"
	oci run -d --bundle "$BUNDLE-b" --pid-file "$T/pid-b" "$ID-b"
	wait_fifo ready-b
	b=$(cat "$T/pid-b")
	[ "$(readlink /proc/$b/ns/user)" = "$(readlink /proc/$a/ns/user)" ]
	[ "$(readlink /proc/$b/ns/user)" != "$(readlink /proc/self/ns/user)" ]
	[ "$(cat /proc/$b/uid_map)" = "$(cat /proc/$a/uid_map)" ]
	[ "$(awk '/^Uid/ {print $2, $3}' /proc/$b/status)" = "300000 300000" ]
	[ "$(awk '/^Gid/ {print $2, $3}' /proc/$b/status)" = "300000 300000" ]
	owner=$(stat -L -c %i /proc/$a/ns/user)
	for ns in mnt pid net ipc uts cgroup; do
		[ "$(readlink /proc/$b/ns/$ns)" != "$(readlink /proc/$a/ns/$ns)" ]
		# made inside A's user namespace: it owns them (lsns's ONS column)
		[ "$(lsns -n -o ONS -t $ns -p $b | tr -d ' ')" = "$owner" ]
	done
	oci delete -f "$ID-b"
	# C: no maps; root with every capability there cannot read the host's 0600 file
	joined_bundle "$BUNDLE-c" "$a"
	sed -i -e 's|"args": \[.*\],|"args": ["cat", "/secret"],|' -e 's|\] *, "uidMappings".*|]|' \
		-e '/"gidMappings"/d' "$BUNDLE-c/config.json"
	run --separate-stderr oci run --bundle "$BUNDLE-c" "$ID-c"
	[ "$status" -ne 0 ]
	[[ $output != *secret* ]]
	# ... which it reads once the host's uid 300000 may
	chmod 644 "$BATS_TEST_TMPDIR/secret"
	run --separate-stderr oci run --bundle "$BUNDLE-c" "$ID-c"
	[ "$status" -eq 0 ]
	[ "$output" = secret ]
	# maps other than the namespace's: refused, nothing made
	sed -i 's|"hostID": 300000|"hostID": 300001|' "$BUNDLE-b/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE-b" "$ID-d"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[[ $stderr == *uidMappings* ]]
	[ ! -e "$OCIROOT/$ID-d" ]
	oci delete -f "$ID"
}

# pids_or_v2_cgroup <CGROUP-FILE: the pids hierarchy's line of /proc/PID/cgroup, else v2's.
pids_or_v2_cgroup() {
	awk -F: '$2 ~ /(^|,)pids(,|$)/ {p = $3} $1 == 0 {u = $3} END {print p != "" ? p : u}'
}

@test "oci: a cgroup namespace given by path is joined from the container's own cgroup; a path of another type is refused" {
	fifos ready ready-b
	config "$(stay_args)"
	oci run -d --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	wait_fifo ready
	a=$(cat "$T/pid")
	mkdir -p "$BUNDLE-b"
	sed -e "s|{\"type\": \"cgroup\"}|{\"type\": \"cgroup\", \"path\": \"/proc/$a/ns/cgroup\"}|" \
		-e 's|/ready|/ready-b|' "$BUNDLE/config.json" >"$BUNDLE-b/config.json"
	oci run -d --bundle "$BUNDLE-b" --pid-file "$T/pid-b" "$ID-b"
	wait_fifo ready-b
	b=$(cat "$T/pid-b")
	[ "$(readlink /proc/$b/ns/cgroup)" = "$(readlink /proc/$a/ns/cgroup)" ]
	[ "$(readlink /proc/$b/ns/cgroup)" != "$(readlink /proc/self/ns/cgroup)" ]
	# B is in its own cgroup, A's sibling: seen from A's cgroup namespace, "/../" and its name
	ours=$(pids_or_v2_cgroup </proc/$b/cgroup)
	[ "$ours" != "$(pids_or_v2_cgroup </proc/$a/cgroup)" ]
	[ "$(nsenter -t "$a" -C cat /proc/$b/cgroup | pids_or_v2_cgroup)" = "/../${ours##*/}" ]
	oci delete -f "$ID-b"
	# paths that are not a namespace of the stated type: refused, nothing made
	for wrong in "cgroup|/proc/$a/ns/net" "cgroup|$BUNDLE/config.json" "user|/proc/$a/ns/cgroup"; do
		refused_join "s|{\"type\": \"cgroup\"}|{\"type\": \"${wrong%%|*}\", \"path\": \"${wrong#*|}\"}|" \
			"not a namespace of that type"
	done
	# and one type both new and joined
	refused_join "s|{\"type\": \"cgroup\"}|&, {\"type\": \"cgroup\", \"path\": \"/proc/$a/ns/cgroup\"}|" \
		"both new and joined"
	oci delete -f "$ID"
}

# refused_join SED WORDS: $BUNDLE's config changed by SED is refused by create,
# in one line holding WORDS, and nothing of it is made.
refused_join() {
	sed -e "$1" "$BUNDLE/config.json" >"$BUNDLE-b/config.json"
	run --separate-stderr oci create --bundle "$BUNDLE-b" "$ID-c"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[[ $stderr == *"$2"* ]]
	[ ! -e "$OCIROOT/$ID-c" ]
}

@test "oci: hooks run on the host with the state on stdin; a failing prestart fails create" {
	fifos ready
	hook() {
		printf '{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s"]}' "$T" "$1"
	}
	config "$(stay_args)" "" "" ", \"hooks\": {\"prestart\": [$(hook prestart)],
		\"createRuntime\": [$(hook create-runtime)], \"poststart\": [$(hook poststart)],
		\"poststop\": [$(hook poststop)]}"
	oci create --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	pid=$(cat "$T/pid")
	# the number alone, no newline, as runc writes it: containerd's shim parses the whole file
	[ "$(wc -l <"$T/pid")" -eq 0 ]
	grep -q '"status": "creating"' "$T/prestart"
	grep -q "\"pid\": $pid," "$T/prestart"
	grep -q "\"id\": \"$ID\"" "$T/create-runtime"
	[ ! -e "$T/poststart" ]
	oci start "$ID"
	wait_fifo ready
	grep -q '"status": "running"' "$T/poststart"
	oci delete -f "$ID"
	grep -q '"status": "stopped"' "$T/poststop"
	config '["true"]' "" "" ', "hooks": {"prestart": [{"path": "/bin/false"}]}'
	run --separate-stderr oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ ! -e "$OCIROOT/$ID" ]
	[[ $stderr == *hook* ]]
}
