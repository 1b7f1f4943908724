#!/usr/bin/env bats
# containerd 1.6 drives minidock-oci through its runc shim
# (io.containerd.runc.v2 with `ctr run --runc-binary`): run --rm with output
# and exit codes, environment and working directory, a memory limit read
# on the host in the cgroup containerd names (its cgroupsPath, followed
# beneath minidock/), a terminal over --console-socket, exec into a running
# container (the shim calls exec -d --pid-file and reaps the command
# itself), ps, and kill: the signal reaches PID 1. The test starts its own
# containerd (root, state, sockets beneath $ENG; the CRI plugin off) and
# stops it by PID; the image is `minidock save` of the rootfs, imported
# offline with `ctr image import`. The shim's sockets live in
# /run/containerd/s whatever --state says: that directory goes too, when
# this file made it.
bats_require_minimum_version 1.5.0
load engines

setup_file() {
	engine_setup_file containerd ctr containerd-shim-runc-v2
	[ -e /run/containerd ] || touch "$ENG/made-run-containerd"
	cat >"$ENG/config.toml" <<CONF
version = 2
root = "$ENG/root"
state = "$ENG/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ENG/c.sock"
[ttrpc]
  address = "$ENG/c.sock.ttrpc"
CONF
	start_daemon containerd containerd --config "$ENG/config.toml"
	wait_for_socket "$ENG/c.sock" containerd
	"$MINIDOCK" --root "$ENG/store" import "$ROOTFS_SRC" base >/dev/null
	"$MINIDOCK" --root "$ENG/store" save -o "$ENG/image.tar" base
	c image import "$ENG/image.tar" >/dev/null
	IMG=$(c image ls -q | head -n 1)
	export IMG
}

teardown_file() {
	[ -n "${ENG:-}" ] || return 0
	stop_daemon containerd
	if [ -e "$ENG/made-run-containerd" ]; then
		rm -rf /run/containerd
	fi
	engine_teardown_file
}

# c ARGS...: ctr on our containerd, in a namespace of its own.
c() {
	ctr --address "$ENG/c.sock" -n minidock-test "$@"
}

RUN_OPTS=()
run_opts() {
	RUN_OPTS=(--runc-binary "$OCI_BIN" --runc-root "$ENG/runc" --fifo-dir "$ENG/fifo")
}

@test "ctr run --rm: output, the exit code, --env, --cwd, a memory limit from the host, in the cgroup containerd names" {
	run_opts
	run -3 --separate-stderr c run --rm "${RUN_OPTS[@]}" "$IMG" c1 sh -c 'echo out; echo err >&2; exit 3'
	[ "$output" = out ]
	[ "$stderr" = err ]
	run c run --rm "${RUN_OPTS[@]}" --env FOO=bar --cwd /tmp "$IMG" c1 \
		sh -c 'echo "$FOO $(pwd) $(id -u)"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar /tmp 0" ]
	c run -d "${RUN_OPTS[@]}" --memory-limit 33554432 "$IMG" c2 sleep 1000 >/dev/null
	pid=$(c task ls | awk '$1 == "c2" { print $2 }')
	[ "$(memory_limit "$pid")" -eq 33554432 ]
	# containerd's cgroupsPath /NAMESPACE/ID, followed beneath minidock/ in our own cgroup
	grep -q ":/\(.*/\)\{0,1\}minidock/minidock-test/c2$" "/proc/$pid/cgroup"
	c task kill -s KILL c2
	c task rm -f c2 >/dev/null 2>&1 || true
	c container rm c2
	[ -z "$(c container ls -q)" ]
}

@test "ctr run -t: the terminal comes over --console-socket" {
	command -v script >/dev/null || skip "no script(1) (util-linux)"
	run_opts
	run script -qec "ctr --address $ENG/c.sock -n minidock-test run --rm -t ${RUN_OPTS[*]} $IMG c3 \
		/bin/probe tty" /dev/null
	[ "$status" -eq 0 ]
	[[ $output == *"isatty=1"* ]]
}

@test "ctr run, task exec, ps, kill: the signal reaches PID 1, whose exit code comes back" {
	run_opts
	c run "${RUN_OPTS[@]}" "$IMG" c4 \
		sh -c 'trap "exit 7" TERM; while :; do sleep 1 & wait; done' >"$T/out" 2>&1 3>&- &
	job=$!
	end=$((SECONDS + 30))
	until c task ls | grep -q '^c4 .*RUNNING'; do
		[ "$SECONDS" -lt "$end" ] || { cat "$T/out" >&2; return 1; }
		kill -0 "$job" || { cat "$T/out" >&2; return 1; }
		sleep 0.05
	done
	pid=$(c task ls | awk '$1 == "c4" { print $2 }')
	in_own_pid_ns "$pid"
	run -4 c task exec --exec-id e1 --fifo-dir "$ENG/fifo" --cwd /tmp c4 sh -c 'echo "in $(pwd)"; exit 4'
	[ "$output" = "in /tmp" ]
	run c task ps c4
	[[ $output == *"$pid"* ]]
	c task kill c4
	rc=0
	wait "$job" || rc=$?
	[ "$rc" -eq 7 ]
	c container rm c4
	[ -z "$(ls -A "$ENG/runc/minidock-test" 2>/dev/null)" ]
}
