#!/usr/bin/env bats
# podman 4.3 drives minidock-oci (through conmon, as it drives runc): run
# --rm with output and exit codes, environment, working directory and user,
# runc's "not found" read as 127, a terminal over --console-socket, exec
# into a running container (exec -d --pid-file), state and ps, and stop: SIGTERM
# reaches PID 1. Storage, run state and the runtime's --root are beneath
# $ENG (the runtime is a wrapper there that adds --root); --cgroups=disabled
# keeps conmon out of a libpod_parent cgroup at the root of every hierarchy (the container still gets minidock's own,
# beneath the caller's cgroup); --network none; the image is `podman import`
# of the rootfs tarball, offline. This machine's root lacks CAP_SYS_RESOURCE,
# so podman's default rlimits (nofile 1048576) are lowered explicitly.
bats_require_minimum_version 1.5.0
load engines

IMG=localhost/minidock-engine-test:1

setup_file() {
	engine_setup_file podman conmon
	cat >"$ENG/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ENG/events.log"
runtime_supports_nocgroup = ["minidock-oci"]
static_dir = "$ENG/static"
volume_path = "$ENG/volumes"
tmp_dir = "$ENG/tmp"
[engine.runtimes]
minidock-oci = ["$ENG/minidock-oci"]
CONF
	# podman passes --runtime-flag to the commands it runs itself but not to
	# conmon's exit command (container cleanup): the state's --root goes in a wrapper
	printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$OCI_BIN" "$ENG/oci" >"$ENG/minidock-oci"
	chmod +x "$ENG/minidock-oci"
	export CONTAINERS_CONF=$ENG/containers.conf
	pm import "$ENG/rootfs.tar" "$IMG" >/dev/null
}

teardown_file() {
	[ -z "${ENG:-}" ] || pm rm -af >/dev/null 2>&1
	engine_teardown_file
}

# pm ARGS...: podman on $ENG, with minidock-oci as its runtime.
pm() {
	podman --root "$ENG/root" --runroot "$ENG/run" --storage-driver vfs \
		--runtime minidock-oci "$@"
}

RUN_OPTS=(--cgroups=disabled --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

@test "podman run --rm: output, the exit code, -e, -w, -u, and runc's not-found as 127" {
	run_basics pm
}

@test "podman run -t: the terminal comes over --console-socket" {
	command -v script >/dev/null || skip "no script(1) (util-linux)"
	run script -qec "podman --root $ENG/root --runroot $ENG/run --storage-driver vfs \
		--runtime minidock-oci run --rm -t ${RUN_OPTS[*]} $IMG \
		/bin/probe tty" /dev/null
	[ "$status" -eq 0 ]
	[[ $output == *"isatty=1"* ]]
	[[ $output == *"session_leader=1"* ]]
	# run -t --rm leaves the removal to conmon's exit command, after run returns
	wait_until 30 no_containers
}

no_containers() {
	[ -z "$(pm ps -aq)" ] && [ -z "$(ls -A "$ENG/oci" 2>/dev/null)" ]
}

@test "podman run -d, exec, state, ps, stop: SIGTERM reaches PID 1, whose exit code comes back" {
	pm run -d --name md "${RUN_OPTS[@]}" "$IMG" \
		sh -c 'trap "exit 7" TERM; while :; do sleep 1 & wait; done' >/dev/null
	pid=$(pm inspect -f '{{.State.Pid}}' md)
	in_own_pid_ns "$pid"
	# exec: conmon calls exec -d --pid-file and waits for that PID itself
	run -4 pm exec -e A=b -w /tmp md sh -c 'echo "$A $(pwd)"; exit 4'
	[ "$output" = "b /tmp" ]
	run pm exec md cat /proc/1/cmdline
	[[ $output == sh* ]]
	# state and ps: podman reads the runtime's state; minidock-oci ps lists PID 1 and the exec'd
	[ "$(pm inspect -f '{{.State.Status}}' md)" = running ]
	id=$(pm inspect -f '{{.Id}}' md)
	run "$OCI_BIN" --root "$ENG/oci" ps --format json "$id"
	[[ $output == *"$pid"* ]]
	pm stop -t 20 md >/dev/null
	[ "$(pm inspect -f '{{.State.ExitCode}}' md)" -eq 7 ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	pm rm md >/dev/null
	[ -z "$(ls -A "$ENG/oci" 2>/dev/null)" ]
}

@test "podman's own seccomp profile is compiled and bites: personality only with the values it allows" {
	# containers-common's profile allows personality(2) for 0, 8, 0x20000,
	# 0x20008 and 0xffffffff only, and answers anything it does not allow
	# with its defaultErrnoRet (ENOSYS); READ_IMPLIES_EXEC is 0x400000.
	run -0 --separate-stderr pm run --rm "${RUN_OPTS[@]}" "$IMG" \
		sh -c 'probe personality 0xffffffff; probe personality 0x400000; grep Seccomp: /proc/self/status'
	echo "$output"
	[ "$(printf '%s\n' "$output" | sed -n 1p)" = personality=ok ]
	[ "$(printf '%s\n' "$output" | sed -n 2p)" = personality=ENOSYS ]
	[ "$(printf '%s\n' "$output" | sed -n 3p | awk '{ print $2 }')" = 2 ]
	# the negative control: unconfined
	run -0 pm run --rm "${RUN_OPTS[@]}" --security-opt seccomp=unconfined "$IMG" \
		probe personality 0x400000
	[ "$output" = personality=ok ]
}
