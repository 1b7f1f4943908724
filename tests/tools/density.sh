#!/usr/bin/env bash
# tests/tools/density.sh [N]: part of `make bench`. N (100) detached
# containers (sleep, --network none) in a store of their own: the time to
# start them all, one `ps`'s time with all of them up, each monitor's
# proportional set size (PSS, smaps_rollup in proc(5): shared pages
# divided among their users), and the memory each container costs in all
# (its monitor's PSS and its PID 1's). A benchmark: it prints figures and
# judges nothing.
set -eu
cd "$(dirname "$0")/../.."
n=${1:-100}
work=$(mktemp -d -t minidock-density.XXXXXX)
md="step08-full/minidock --root $work/md"
ids=()
cleanup() {
	[ "${#ids[@]}" = 0 ] || $md rm -f "${ids[@]}" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
$md import build/rootfs base >/dev/null

ms() { echo $(($(date +%s%N) / 1000000)); }
pss_kib() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

t0=$(ms)
for i in $(seq "$n"); do
	ids+=("$($md run -d --network none base sleep 100000)")
done
t1=$(ms)
$md ps >/dev/null
t2=$(ms)
mon=0 pid1=0
for id in "${ids[@]}"; do
	m=$(sed -n 's/^owner=\([0-9]*\)-.*/\1/p' "$work/md/run/containers/$id/owner")
	p=$($md inspect -f '{{.State.Pid}}' "$id")
	mon=$((mon + $(pss_kib "$m")))
	pid1=$((pid1 + $(pss_kib "$p")))
done
echo "== density: $n detached containers (sleep, --network none)"
echo "start of all $n: $((t1 - t0)) ms ($(((t1 - t0) / n)) ms each)"
echo "ps with $n up: $((t2 - t1)) ms"
echo "monitor PSS: $((mon / n)) KiB each; PID 1's: $((pid1 / n)) KiB each"
echo "memory per container in all (monitor + PID 1): $(((mon + pid1) / n)) KiB"
t3=$(ms)
$md rm -f "${ids[@]}" >/dev/null
ids=()
echo "rm -f of all $n: $(($(ms) - t3)) ms"
