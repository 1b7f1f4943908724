#!/usr/bin/env bats
# Docker 20.10 drives minidock-oci (dockerd -> its own containerd -> the runc
# shim -> minidock-oci, registered with --add-runtime): run --rm with output
# and exit codes, environment, working directory and user, runc's "not found"
# read as 127, a terminal over --console-socket, exec, top (the runtime's
# ps), pause and unpause, and stop: SIGTERM reaches PID 1. The test starts
# its own dockerd (data, exec root, socket, pid file beneath $ENG; no bridge,
# no iptables, no forwarding; vfs storage) and stops it by PID; the image is
# `docker import` of the rootfs tarball, offline. The client is Debian's
# /usr/bin/docker, with its configuration beneath $ENG too.
bats_require_minimum_version 1.5.0
load engines

DOCKER=/usr/bin/docker
IMG=minidock-engine-test:1

setup_file() {
	engine_setup_file dockerd "$DOCKER" containerd
	# dockerd writes /etc/docker/key.json and /run/docker/plugins whatever its roots
	# are; the containerd it starts, shim sockets in /run/containerd/s: ours to remove if new
	for d in /run/containerd /run/docker /etc/docker; do
		[ -e "$d" ] || echo "$d" >>"$ENG/made"
	done
	export DOCKER_CONFIG=$ENG/client DOCKER_HOST=unix://$ENG/d.sock
	start_daemon dockerd dockerd --data-root "$ENG/data" --exec-root "$ENG/exec" \
		--host "$DOCKER_HOST" --pidfile "$ENG/dockerd-own.pid" --iptables=false \
		--ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
		--storage-driver vfs --exec-opt native.cgroupdriver=cgroupfs --userland-proxy=false \
		--add-runtime "minidock=$OCI_BIN"
	wait_for_socket "$ENG/d.sock" dockerd
	"$DOCKER" import "$ENG/rootfs.tar" "$IMG" >/dev/null
}

teardown_file() {
	[ -n "${ENG:-}" ] || return 0
	[ ! -S "$ENG/d.sock" ] || "$DOCKER" rm -f $("$DOCKER" ps -aq) >/dev/null 2>&1
	stop_daemon dockerd
	[ ! -s "$ENG/made" ] || rm -rf $(cat "$ENG/made")
	engine_teardown_file
}

RUN_OPTS=(--runtime minidock --network none)

dk() {
	"$DOCKER" "$@"
}

@test "docker run --rm: output, the exit code, -e, -w, -u, and runc's not-found as 127" {
	run_basics dk
}

@test "docker run -t: the terminal comes over --console-socket" {
	command -v script >/dev/null || skip "no script(1) (util-linux)"
	run script -qec "$DOCKER run --rm -t ${RUN_OPTS[*]} $IMG /bin/probe tty" /dev/null
	[ "$status" -eq 0 ]
	[[ $output == *"isatty=1"* ]]
}

@test "docker run -d, exec, top, pause, stop: SIGTERM reaches PID 1, whose exit code comes back" {
	dk run -d --name md "${RUN_OPTS[@]}" --memory 64m "$IMG" \
		sh -c 'trap "exit 7" TERM; while :; do sleep 1 & wait; done' >/dev/null
	pid=$(dk inspect -f '{{.State.Pid}}' md)
	in_own_pid_ns "$pid"
	[ "$(memory_limit "$pid")" -eq 67108864 ]
	run -4 dk exec -e A=b -w /tmp md sh -c 'echo "$A $(pwd)"; exit 4'
	[ "$output" = "b /tmp" ]
	# top: containerd asks the runtime's ps for the PIDs
	run dk top md
	[[ $output == *"$pid"* ]]
	dk pause md >/dev/null
	[ "$(dk inspect -f '{{.State.Status}}' md)" = paused ]
	dk unpause md >/dev/null
	dk stop -t 20 md >/dev/null
	[ "$(dk inspect -f '{{.State.ExitCode}}' md)" -eq 7 ]
	dk rm md >/dev/null
	[ -z "$(ls -A "$ENG/exec/runtime-minidock/moby" 2>/dev/null)" ]
}
