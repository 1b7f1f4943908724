#!/usr/bin/env bash
# tests/tools/churn.sh: `make test-churn`. With limits and bridge
# networking on a bridge and /24 of its own:
#   - SEQ (500) --rm runs one after another, each reporting its address;
#   - PAR (50) --rm runs, CONC (10) at a time;
#   - DET (100) detached containers started, listed, stopped and removed.
# All must succeed, the addresses of containers alive together must be
# distinct, and the leak checker (tests/leaks.bash) must find nothing.
set -u
cd "$(dirname "$0")/../.."
REPO=$PWD
SEQ=${SEQ:-500} PAR=${PAR:-50} CONC=${CONC:-10} DET=${DET:-100}
MINIDOCK=${MINIDOCK:-$REPO/step08-full/minidock}
ROOTFS_SRC=$REPO/build/rootfs
BR=minidockc$(($$ % 100000))
NET=(--bridge "$BR" --subnet "10.217.$(($$ % 200 + 20)).0/24")
LIMITS=(--memory 64m --cpus 0.5 --pids-limit 64)

BATS_FILE_TMPDIR=$(mktemp -d /tmp/minidock-churn.XXXXXX)
BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR/t
STORE=$BATS_FILE_TMPDIR/store
mkdir -p "$BATS_TEST_TMPDIR"
cleanup() {
	sh "$REPO/tests/tools/clean-net.sh" "$BR" >/dev/null 2>&1
	rm -rf "$BATS_FILE_TMPDIR"
}
trap cleanup EXIT
# shellcheck source=tests/leaks.bash
. "$REPO/tests/leaks.bash"
md() { "$MINIDOCK" --root "$STORE" "$@"; }
md import "$ROOTFS_SRC" base >/dev/null || exit 1
leak_snapshot
bad=0
fail() { echo "churn: $*"; bad=1; }

start=$(date +%s%N)
for i in $(seq "$SEQ"); do
	md run --rm "${NET[@]}" "${LIMITS[@]}" base true >/dev/null 2>"$BATS_FILE_TMPDIR/err" ||
		{ fail "sequential run $i: $(cat "$BATS_FILE_TMPDIR/err")"; break; }
done
echo "churn: $SEQ sequential runs in $((($(date +%s%N) - start) / 1000000)) ms"

start=$(date +%s%N)
for round in $(seq $((PAR / CONC))); do
	for j in $(seq "$CONC"); do
		md run --rm "${NET[@]}" "${LIMITS[@]}" -v "$BATS_FILE_TMPDIR:/x" base \
			sh -c "probe info | sed -n 's/^addr.eth0=//p' > /x/par.$j; sleep 0.3" \
			>/dev/null 2>"$BATS_FILE_TMPDIR/perr.$j" &
	done
	for j in $(seq "$CONC"); do wait -n || fail "concurrent run (round $round): $(cat "$BATS_FILE_TMPDIR"/perr.*)"; done
	n=$(cat "$BATS_FILE_TMPDIR"/par.* 2>/dev/null | sort -u | grep -c .)
	[ "$n" = "$CONC" ] || [ "$(cat "$BATS_FILE_TMPDIR"/par.* 2>/dev/null | grep -c .)" = 0 ] ||
		fail "round $round: $n distinct addresses for $CONC containers alive together"
	rm -f "$BATS_FILE_TMPDIR"/par.*
done
echo "churn: $PAR concurrent runs, $CONC at a time, in $((($(date +%s%N) - start) / 1000000)) ms"

start=$(date +%s%N)
ids=()
for i in $(seq "$DET"); do
	id=$(md run -d "${NET[@]}" "${LIMITS[@]}" base sleep 600 2>"$BATS_FILE_TMPDIR/err") ||
		{ fail "detached $i: $(cat "$BATS_FILE_TMPDIR/err")"; break; }
	ids+=("$id")
done
echo "churn: $DET detached starts in $((($(date +%s%N) - start) / 1000000)) ms"
[ "$(md ps -q | wc -l)" = "${#ids[@]}" ] || fail "ps lists $(md ps -q | wc -l) of ${#ids[@]}"
addrs=$(for id in "${ids[@]}"; do md inspect -f '{{.NetworkSettings.IPAddress}}' "$id"; done)
[ "$(sort -u <<<"$addrs" | grep -c .)" = "${#ids[@]}" ] || fail "detached addresses not unique"
start=$(date +%s%N)
md stop -t 1 "${ids[@]}" >/dev/null || fail "stop"
md rm "${ids[@]}" >/dev/null || fail "rm"
echo "churn: $DET stopped and removed in $((($(date +%s%N) - start) / 1000000)) ms"
[ -z "$(md ps -aq)" ] || fail "containers left: $(md ps -aq | wc -l)"
leak_check || bad=1
md rmi base >/dev/null
[ "$bad" = 0 ] && echo "churn: $SEQ + $PAR + $DET containers, all succeeded, nothing leaked"
exit "$bad"
