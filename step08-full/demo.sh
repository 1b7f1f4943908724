#!/bin/sh
# demo.sh: a short narrated tour of minidock (make demo). Each fact is shown
# from inside the container and, where it is about isolation, from the host.
# Uses its own store (build/demo) and image "base" made from build/rootfs.
set -eu
cd "$(dirname "$0")/.."
md="step08-full/minidock --root $PWD/build/demo"
tmp=$(mktemp -d -t minidock-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# start CMD...: a container in the background, its host PID in $pid once it is ready.
start() {
	# world-writable: with --userns remap the container's root is not the host's
	chmod 777 "$tmp"
	mkfifo -m 666 "$tmp/ready" "$tmp/go"
	$md run --rm -v "$tmp:/t" --pid-file "$tmp/pid" "$@" base sh -c \
		'echo > /t/ready; read x < /t/go' &
	job=$!
	cat "$tmp/ready" >/dev/null
	pid=$(cat "$tmp/pid")
}
stop() {
	echo go > "$tmp/go"
	wait "$job"
	rm -f "$tmp/ready" "$tmp/go" "$tmp/pid"
}

if ! $md images | grep -q '^base '; then
	say "import build/rootfs as the image 'base'"
	run $md import build/rootfs base
fi

say "its own hostname and PID 1; the host keeps its own"
run $md run --rm -h demo base sh -c 'hostname; echo "my PID: $$"'
echo "host: $(hostname)"

say "its own filesystem: an overlay of the image, and a writable layer thrown away by --rm"
run $md run --rm base sh -c 'cat /etc/minidock-release; echo changed > /etc/minidock-release; cat /etc/minidock-release'
run $md run --rm base cat /etc/minidock-release

say "limits that bite: 64 MiB asked for 32 MiB of memory"
run $md run --rm --memory 32m base probe alloc 64 || echo "exit status: $?"

say "its own network: lo and eth0 on the minidock0 bridge"
run $md run --rm base sh -c 'probe info | grep -E "^(if|addr)"'

say "capabilities: Docker's 14, seen from the host"
start
grep -E '^(CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status"
stop

say "seccomp: keyctl, mount, unshare refused; clone3 says ENOSYS so threads fall back"
run $md run --rm base probe seccomp

say "mapped root: uid 0 inside, an unprivileged uid on the host"
start --userns remap
run $md run --rm --userns remap base id -u
echo "host: $(awk '$1 == "Uid:" { print "uid", $2 }' "/proc/$pid/status")"
stop

say "and nothing is left behind"
run ls "$PWD/build/demo/run/containers" "$PWD/build/demo/containers"
