#!/usr/bin/env bash
# tests/engines/bench.sh [N]: what minidock-oci costs under podman against
# runc (same podman, same image, N runs of `podman run --rm IMG true` each),
# and a bundle's create+start+wait+delete (`run`) by minidock-oci and by runc
# alone. Everything beneath a temporary directory; the cgroups podman makes
# (under a minidock-bench-PID parent) are removed afterwards.
set -eu
cd "$(dirname "$0")/../.."
n=${1:-20}
oci=$PWD/step08-full/minidock-oci
for p in podman runc; do
	command -v "$p" >/dev/null || { echo "bench: $p is not installed (tests/engines/install.sh)"; exit 0; }
done
eng=$(mktemp -d /tmp/minidock-bench.XXXXXX)
parent=/minidock-bench-$$
cleanup() {
	podman --root "$eng/root" --runroot "$eng/run" --storage-driver vfs rm -af >/dev/null 2>&1 || true
	find /sys/fs/cgroup -depth -type d -path "*$parent*" -exec rmdir {} + 2>/dev/null || true
	rm -rf "$eng"
}
trap cleanup EXIT
cat >"$eng/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$eng/events.log"
static_dir = "$eng/static"
volume_path = "$eng/volumes"
tmp_dir = "$eng/tmp"
CONF
export CONTAINERS_CONF=$eng/containers.conf
pm() { podman --root "$eng/root" --runroot "$eng/run" --storage-driver vfs "$@"; }
tar -C build/rootfs -cf "$eng/rootfs.tar" .
pm import "$eng/rootfs.tar" localhost/minidock-bench:1 >/dev/null 2>&1
opts=(--network none --cgroup-parent "$parent" --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

# per_run SECONDS: milliseconds per run, from the total for $n runs
per_run() { awk -v t="$1" -v n="$n" 'BEGIN { printf "%.1f ms", t * 1000 / n }'; }

# timed LABEL COMMAND...: COMMAND n times (after one warm-up), the mean
timed() {
	local label=$1 start end
	shift
	# the warm-up shows any error; the timed runs keep quiet (minidock's warnings)
	"$@" >/dev/null
	start=$(date +%s.%N)
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
	end=$(date +%s.%N)
	printf '%-52s %s\n' "$label" "$(per_run "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")"
}

echo "== $n runs each, mean per run"
timed "podman run --rm --runtime minidock-oci IMG true" pm --runtime "$oci" run --rm "${opts[@]}" localhost/minidock-bench:1 true
timed "podman run --rm --runtime runc IMG true" pm --runtime "$(command -v runc)" run --rm "${opts[@]}" localhost/minidock-bench:1 true

mkdir -p "$eng/bundle"
cp -a build/rootfs "$eng/bundle/rootfs"
( cd "$eng/bundle" && "$oci" spec )
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"args": \["sh"\]/"args": ["true"]/' \
	"$eng/bundle/config.json"
timed "minidock-oci run (create+start+wait+delete) true" "$oci" --root "$eng/md" run --bundle "$eng/bundle" bench
timed "runc run (create+start+wait+delete) true" runc --root "$eng/runc" run --bundle "$eng/bundle" bench
