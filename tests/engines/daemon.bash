# Shared by tests/engines/*.bats (through engines.bash) and tests/engines/bench.sh:
# an engine's daemon started by us in the background, every file of it beneath
# $ENG (a private directory, with a short path: unix(7) allows 108 bytes for
# a socket's), stopped by its PID. Plain bash: no bats needed.

DOCKER=${DOCKER:-/usr/bin/docker}

# start_daemon NAME ARGS...: the daemon in the background, its output in
# $ENG/NAME.log, its PID in $ENG/NAME.pid (fd 3 closed: bats waits for it).
start_daemon() {
	local name=$1
	shift
	"$@" >"$ENG/$name.log" 2>&1 3>&- &
	echo $! >"$ENG/$name.pid"
}

# wait_for_socket PATH NAME: until the daemon listens (at most 30 s).
wait_for_socket() {
	local end=$((SECONDS + 30))
	until [ -S "$1" ]; do
		kill -0 "$(cat "$ENG/$2.pid")" 2>/dev/null || { cat "$ENG/$2.log" >&2; return 1; }
		[ "$SECONDS" -lt "$end" ] || { echo "$2 did not listen on $1" >&2; return 1; }
		sleep 0.1
	done
}

# stop_daemon NAME: TERM to the PID we started, KILL after 30 s; reaped by us.
stop_daemon() {
	local pid timer
	[ -s "$ENG/$1.pid" ] || return 0
	pid=$(cat "$ENG/$1.pid")
	kill -TERM "$pid" 2>/dev/null || return 0
	(sleep 30 && kill -KILL "$pid") 3>&- &
	timer=$!
	wait "$pid" 2>/dev/null
	kill -KILL "$timer" 2>/dev/null
	wait "$timer" 2>/dev/null
	rm -f "$ENG/$1.pid"
}

# dockerd_start: Docker's daemon with its data, exec root, socket and pid
# file beneath $ENG; no bridge, no iptables, no forwarding, vfs storage,
# cgroupfs; $OCI_BIN registered as the runtime "minidock" (runc stays the
# default). DOCKER_HOST and DOCKER_CONFIG point the client at it.
dockerd_start() {
	local d
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
}

# dockerd_stop: its containers removed, the daemon stopped, the directories
# outside $ENG that it made (and that were not there before) gone, and the
# client no longer pointed at it (podman reads DOCKER_CONFIG too).
dockerd_stop() {
	local dk=("$DOCKER" --config "$ENG/client" --host "unix://$ENG/d.sock")
	[ ! -S "$ENG/d.sock" ] || "${dk[@]}" rm -f $("${dk[@]}" ps -aq) >/dev/null 2>&1
	stop_daemon dockerd
	[ ! -s "$ENG/made" ] || rm -rf $(cat "$ENG/made")
	unset DOCKER_CONFIG DOCKER_HOST
}

# remove_cgroups NAME: every cgroup directory named NAME, or beneath one, in
# every hierarchy, deepest first (what an engine's runc made under a
# --cgroup-parent of ours; runc removes the container's own, not its parent).
remove_cgroups() {
	find /sys/fs/cgroup -depth -type d \( -name "$1" -o -path "*/$1/*" \) \
		-exec rmdir {} + 2>/dev/null || true
}
