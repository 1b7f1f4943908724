#!/usr/bin/env bats
# Docker 20.10 drives minidock-oci (dockerd -> its own containerd -> the runc
# shim -> minidock-oci, registered with --add-runtime): run --rm with output
# and exit codes, environment, working directory and user, runc's "not found"
# read as 127, a terminal over --console-socket, exec, top (the runtime's
# ps), pause and unpause, and stop: SIGTERM reaches PID 1; and `docker save`
# of an image with Env, WorkingDir, User and Cmd, loaded and run by minidock,
# prints what `docker run` prints. The test starts its own dockerd (data, exec root, socket, pid file beneath $ENG; no bridge,
# no iptables, no forwarding; vfs storage) and stops it by PID; the image is
# `docker import` of the rootfs tarball, offline. The client is Debian's
# /usr/bin/docker, with its configuration beneath $ENG too.
bats_require_minimum_version 1.5.0
load engines

IMG=minidock-engine-test:1

setup_file() {
	engine_setup_file dockerd "$DOCKER" containerd
	dockerd_start
	"$DOCKER" import "$ENG/rootfs.tar" "$IMG" >/dev/null
}

teardown_file() {
	[ -n "${ENG:-}" ] || return 0
	dockerd_stop
	remove_cgroups "${ENG##*/}"
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

# docker save -> minidock load: the image config's Env, WorkingDir, User and
# Cmd (given by docker import --change) apply alike under Docker (with runc,
# its default runtime) and under minidock, which loads what docker save wrote
# into a store of its own beneath $ENG.
@test "docker save, minidock load and run: the same output as docker run, the image's defaults included" {
	local img=minidock-engine-save:1 script='echo "$FOO $PATH"; pwd; id -u; id -g'
	# runc's cgroups beneath a parent named after $ENG (teardown_file removes it)
	local ref=(--network none --cgroup-parent "/${ENG##*/}")
	STORE=$ENG/md
	md() { "$MINIDOCK" --root "$STORE" "$@"; }
	dk import --change 'ENV FOO=bar' --change 'WORKDIR /tmp' --change 'USER 1000:1001' \
		--change "CMD [\"sh\", \"-c\", \"echo \$FOO; pwd; id -u\"]" "$ENG/rootfs.tar" "$img" >/dev/null
	dk save -o "$ENG/saved.tar" "$img"
	run md load -i "$ENG/saved.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: $img" ]
	# the image's own command, then one given on the command line
	run dk run --rm "${ref[@]}" "$img"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'bar\n/tmp\n1000')" ]
	run md run --rm --network none "$img"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'bar\n/tmp\n1000')" ]
	want=$(dk run --rm "${ref[@]}" "$img" sh -c "$script")
	run md run --rm --network none "$img" sh -c "$script"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	want=$(dk run --rm "${ref[@]}" "$img" /bin/probe info | grep -E '^(uid|gid)=')
	[ "$want" = "$(printf 'uid=1000\ngid=1001')" ]
	run md run --rm --network none "$img" /bin/probe info
	[ "$(grep -E '^(uid|gid)=' <<<"$output")" = "$want" ]
	md rmi "$img" >/dev/null
	dk rmi "$img" >/dev/null
}
