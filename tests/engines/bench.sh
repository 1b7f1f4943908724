#!/usr/bin/env bash
# tests/engines/bench.sh [N]: what minidock-oci costs in runc's place, in N
# interleaved rounds (tests/tools/bench.c; runc first, so the ratio column is
# minidock-oci's to it) of each pair: `docker run --rm IMG true` with
# --runtime runc and --runtime minidock (one dockerd, started privately as
# tests/engines/docker.bats starts it: tests/engines/daemon.bash), the same
# under podman, and a bundle's create+start+wait+delete (`run`) by runc and
# by minidock-oci alone. A pair whose engine is not installed is left out,
# saying so. Everything beneath a temporary directory; the cgroups the
# engines ask for (under a minidock-bench-PID parent) are removed afterwards.
set -eu
cd "$(dirname "$0")/../.."
n=${1:-20}
OCI_BIN=$PWD/step08-full/minidock-oci
command -v runc >/dev/null || { echo "bench: runc is not installed (tests/engines/install.sh)"; exit 0; }
# short: dockerd's socket lives here (unix(7): 108 bytes)
ENG=$(mktemp -d /tmp/minidock-bench.XXXXXX)
parent=minidock-bench-$$
. tests/engines/daemon.bash
podman=(podman --root "$ENG/root" --runroot "$ENG/run" --storage-driver vfs)
pm() { "${podman[@]}" "$@"; }
cleanup() {
	[ ! -d "$ENG/root" ] || pm rm -af >/dev/null 2>&1 || true
	dockerd_stop || true
	remove_cgroups "$parent"
	rm -rf "$ENG"
}
trap cleanup EXIT
tar -C build/rootfs -cf "$ENG/rootfs.tar" .
cc -O2 -o build/bench tests/tools/bench.c

# measure NAME CMD... [:: NAME CMD...]...: one round first, its errors shown
# (and an image's first run, slower, left out), then n rounds; the runtimes'
# warnings during those go to a file.
measure() {
	build/bench -n 1 "$@" >/dev/null
	build/bench -n "$n" "$@" 2>>"$ENG/bench.err"
}

# installed PROGRAM...: all of them, or say which is missing.
installed() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || { echo "bench: no $p (tests/engines/install.sh): its pair left out"; return 1; }
	done
}

echo "== $n interleaved rounds of each pair, milliseconds"
if installed dockerd containerd "$DOCKER"; then
	dockerd_start
	"$DOCKER" import "$ENG/rootfs.tar" minidock-bench:1 >/dev/null
	opts=(run --rm --network none --cgroup-parent "/$parent")
	measure "docker run --rm --runtime runc" "$DOCKER" "${opts[@]}" --runtime runc minidock-bench:1 true \
		:: "docker run --rm --runtime minidock" "$DOCKER" "${opts[@]}" --runtime minidock minidock-bench:1 true
	# not idle beside podman's runs (its wait's status is not the figures')
	dockerd_stop || true
fi

if installed podman; then
	cat >"$ENG/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ENG/events.log"
static_dir = "$ENG/static"
volume_path = "$ENG/volumes"
tmp_dir = "$ENG/tmp"
CONF
	export CONTAINERS_CONF=$ENG/containers.conf
	pm import "$ENG/rootfs.tar" localhost/minidock-bench:1 >/dev/null 2>&1
	opts=(run --rm --network none --cgroup-parent "/$parent" --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
	measure "podman run --rm --runtime runc" "${podman[@]}" --runtime "$(command -v runc)" "${opts[@]}" localhost/minidock-bench:1 true \
		:: "podman run --rm --runtime minidock" "${podman[@]}" --runtime "$OCI_BIN" "${opts[@]}" localhost/minidock-bench:1 true
fi

mkdir -p "$ENG/bundle"
cp -a build/rootfs "$ENG/bundle/rootfs"
(cd "$ENG/bundle" && "$OCI_BIN" spec)
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"args": \["sh"\]/"args": ["true"]/' \
	"$ENG/bundle/config.json"
measure "runc run BUNDLE (true)" runc --root "$ENG/runc" run --bundle "$ENG/bundle" bench \
	:: "minidock-oci run BUNDLE (true)" "$OCI_BIN" --root "$ENG/md" run --bundle "$ENG/bundle" bench
