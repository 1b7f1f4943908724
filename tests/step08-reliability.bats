#!/usr/bin/env bats
# Chapter 8 claims, reliability (issue 13): a dying caller, a killed
# monitor or exec, a paused container, racing imports, a full state disk,
# deep tar paths, stale names, hostile flags and a container that tries to
# type into its caller's terminal. Each test failed against minidock
# before its fix. Every fact is checked from the host.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

PTYRUN="$REPO/build/ptyrun"

eval "_common_$(declare -f teardown)"
teardown() {
	local id bad=0
	for id in $(ls "$STORE/run/containers" 2>/dev/null); do
		timeout -s KILL 20 "$MINIDOCK" --root "$STORE" rm -f "$id" >/dev/null 2>&1 3>&-
	done
	timeout -s KILL 20 "$MINIDOCK" --root "$STORE" prune >/dev/null 2>&1 3>&-
	[ -z "${MNT:-}" ] || umount "$MNT"
	MNT=
	_common_teardown || bad=1
	return "$bad"
}

# field PID N: field N of /proc/PID/stat (proc(5)), counted after the command name.
field() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v n="$(($2 - 2))" '{ print $n }'
}

# gone PID: no such process any more, or only a zombie.
gone() {
	local st
	st=$(field "$1" 3)
	[ -z "$st" ] || [ "$st" = Z ]
}

# owner_pid ID / pid1 ID: the monitor's and PID 1's host PIDs, from the container's files.
owner_pid() {
	sed -n 's/^owner=\([0-9]*\)-.*/\1/p' "$STORE/run/containers/$1/owner"
}
pid1() {
	sed -n 's/^pid=\([0-9]*\)-.*/\1/p' "$STORE/run/containers/$1/state"
}

no_cgroups_of() {
	[ -z "$(find /sys/fs/cgroup -maxdepth 7 -type d -name "mdk-$1-*" 2>/dev/null)" ]
}

@test "reliability: a run -d caller killed while the container starts leaves it running, not half-dead (1)" {
	local i p id alive=0 total=0
	for i in $(seq 12); do
		rm -f "$T/p"
		"$MINIDOCK" --root "$STORE" run -d --network none --pid-file "$T/p" base sleep 60 \
			>/dev/null 2>&1 3>&- &
		p=$!
		# the pid file comes just before the go-ahead: the monitor is about to report
		local end=$((SECONDS + 10))
		until [ -s "$T/p" ] || [ "$SECONDS" -ge "$end" ]; do :; done
		kill -TERM "$p" 2>/dev/null || true # it may have finished already
		wait "$p" || true
	done
	for id in $(ls "$STORE/run/containers"); do
		total=$((total + 1))
		if [ "$(md inspect -f '{{.State.Status}}' "$id")" = running ]; then
			alive=$((alive + 1))
			gone "$(owner_pid "$id")" && { echo "monitor of $id gone, yet running" >&2; return 1; }
		fi
	done
	echo "containers: $total, running: $alive" >&2
	[ "$total" -ge 1 ]
	[ "$alive" = "$total" ]
}

@test "reliability: prune after the monitor of a paused container was killed thaws and removes it all (2)" {
	local id mon pid
	run -0 md run -d --network none base sleep 60
	id=$output
	mon=$(owner_pid "$id")
	pid=$(pid1 "$id")
	run -0 md pause "$id"
	kill -KILL "$mon"
	wait_until 10 gone "$mon"
	run -0 --separate-stderr md prune
	wait_until 10 gone "$pid" || { echo "PID 1 $pid left, state $(field "$pid" 3)" >&2; return 1; }
	wait_until 5 no_cgroups_of "$mon" || {
		find /sys/fs/cgroup -maxdepth 7 -type d -name "mdk-$mon-*" >&2
		return 1
	}
	[ ! -e "$STORE/run/containers/$id" ]
}

@test "reliability: import takes a tar entry 2000 directories deep (GNU and pax), and rmi removes it (3)" {
	local deep fmt
	deep=$(printf 'a/%.0s' $(seq 2000))
	mkdir -p "$T/deep/$deep"
	echo bottom > "$T/deep/${deep}f"
	for fmt in gnu pax; do
		tar --format=$fmt -cf "$T/deep-$fmt.tar" -C "$T/deep" a
		run -0 --separate-stderr md import "$T/deep-$fmt.tar" "deep-$fmt"
		[ "$(find "$STORE/layers/$output" -name f -type f | wc -l)" = 1 ]
		run -0 md rmi "deep-$fmt"
	done
	rm -rf "$T/deep"
}

@test "reliability: racing imports of one name leave one layer; a killed import's layer goes at prune (4)" {
	local s="$BATS_TEST_TMPDIR/store4" i ok=0
	tar -cf "$T/img.tar" -C "$ROOTFS" --exclude ./tmp .
	for i in 1 2 3 4 5; do
		"$MINIDOCK" --root "$s" import "$T/img.tar" same >"$T/imp$i" 2>&1 &
	done
	for i in 1 2 3 4 5; do
		wait -n || true
	done
	for i in 1 2 3 4 5; do
		[[ "$(cat "$T/imp$i")" =~ ^[0-9a-f]{64}$ ]] && ok=$((ok + 1))
	done
	[ "$ok" = 1 ]
	[ "$(ls "$s/layers" | wc -l)" = 1 ]
	# killed while it extracts (after its first entry: a kill timed from
	# here could land after the image was published): its layer stays until prune
	MINIDOCK_FAULT=import-mid run -137 "$MINIDOCK" --root "$s" import "$ROOTFS" killed
	[ "$(ls "$s/layers" | wc -l)" = 2 ]
	run -0 "$MINIDOCK" --root "$s" prune
	[ "$(ls "$s/layers" | wc -l)" = 1 ]
	run -0 "$MINIDOCK" --root "$s" images
	[[ "$output" == *same* ]]
	rm -rf "$s"
}

@test "reliability: an exec killed as it starts leaves nothing running in the container (5)" {
	local id pid i p left
	run -0 md run -d --network none base sleep 60
	id=$output
	pid=$(pid1 "$id")
	for i in $(seq 40); do
		"$MINIDOCK" --root "$STORE" exec "$id" sleep 1001 >/dev/null 2>&1 3>&- &
		p=$!
		sleep "0.00$((i % 8))"
		kill -KILL "$p"
		wait "$p" || true
	done
	only_pid1() { [ "$(pids_in_ns "$pid" | wc -l)" = 1 ]; }
	wait_until 5 only_pid1 || {
		left=$(pids_in_ns "$pid" | grep -vx "$pid")
		echo "left in the container: $(for p in $left; do cat /proc/$p/cmdline | tr '\0' ' '; echo; done)" >&2
		return 1
	}
}

@test "reliability: a name whose container is gone is taken again; prune removes it (6)" {
	local ghost
	ghost=$(printf 'ab%.0s' $(seq 32))
	mkdir -p "$STORE/run/names"
	ln -s "$ghost" "$STORE/run/names/ghost6"
	run -1 --separate-stderr md rm ghost6
	[[ "$stderr" == *"no such container"* ]]
	run -0 --separate-stderr mrun --network none --name ghost6 base true
	[ ! -e "$STORE/run/names/ghost6" ]
	ln -s "$ghost" "$STORE/run/names/ghost6b"
	run -0 md prune
	[ ! -L "$STORE/run/names/ghost6b" ]
}

@test "reliability: a full state directory fails the run once, one line, and leaves nothing (7)" {
	local fill refused=0 ids
	MNT="$BATS_TEST_TMPDIR/exec-root"
	mkdir -p "$MNT"
	# 4 KiB pages of 16, some taken by the directories: fill until the config, the state or neither fits
	for fill in 15 14 13 12; do
		mount -t tmpfs -o size=64k minidock-rel7 "$MNT"
		mkdir -p "$MNT/containers" "$MNT/names"
		dd if=/dev/zero of="$MNT/fill" bs=4k count="$fill" 2>/dev/null || true
		# not --rm: a container that ran stays, one that did not start must not
		run --separate-stderr "$MINIDOCK" --root "$STORE" --exec-root "$MNT" run \
			--network none --name full7 base true
		if [ "$status" != 0 ]; then
			[ "$status" = 125 ]
			assert_one_line_error
			refused=$((refused + 1))
		else
			"$MINIDOCK" --root "$STORE" --exec-root "$MNT" rm full7
		fi
		ids=$(ls -A "$MNT/containers" "$MNT/names" "$STORE/containers" | grep -v -e ':$' -e '^$' || true)
		[ -z "$ids" ] || { echo "left with $fill pages full: $ids" >&2; return 1; }
		umount "$MNT"
	done
	MNT=
	[ "$refused" -ge 1 ]
}

@test "reliability: /dev, /proc, /sys and / are refused as volume or tmpfs targets; the host dir stays empty (8)" {
	local spec
	mkdir -p "$T/hostdev"
	for spec in "$T/hostdev:/dev" "$T/hostdev://dev/" "$T/hostdev:/dev/." "$T/hostdev:/proc" \
		"$T/hostdev:/sys" "$T/hostdev:/"; do
		run -125 --separate-stderr mrun --network none -v "$spec" base true
		assert_one_line_error
	done
	for spec in / /dev //proc /sys/; do
		run -125 --separate-stderr mrun --network none --tmpfs "$spec" base true
		assert_one_line_error
	done
	[ -z "$(ls -A "$T/hostdev")" ]
	# a directory below them is fine, as in Docker
	run -0 mrun --network none -v "$T/hostdev:/dev/host" base true
}

@test "reliability: a hostname must be an RFC 1123 one: no newline, space or slash reaches /etc/hosts (9)" {
	local h
	for h in $'evil\n6.6.6.6 localhost' 'a/b c' '-lead' 'trail-' 'a..b' "$(printf 'x%.0s' $(seq 64))"; do
		run -125 --separate-stderr mrun --network none -h "$h" base true
		assert_one_line_error
	done
	run -0 mrun --network none -h web-1.example base cat /etc/hostname
	[ "$output" = web-1.example ]
}

@test "reliability: 65 arguments and a 20000-byte -e value pass whole; 2000 arguments are refused in one line (10)" {
	local v
	run -0 mrun --network none base sh -c 'echo $#' sh $(seq 65)
	[ "$output" = 65 ]
	v=$(head -c 20000 /dev/zero | tr '\0' x)
	V=$v run -0 mrun --network none -e V base sh -c 'echo ${#V}'
	[ "$output" = 20000 ]
	run -125 --separate-stderr mrun --network none base true $(seq 2000)
	assert_one_line_error
	[[ "$stderr" == *"at most"* ]]
}

# inject_in ARGS...: minidock ARGS with the caller's terminal a pty of ours; the container
# runs ptyrun --inject. Nothing it did may wait in that terminal's input queue.
assert_nothing_typed() {
	run -0 "$PTYRUN" "$@"
	echo "$output" >&2
	[[ "$output" == *"queued=0"* ]]
}

@test "reliability: no container process can type into its caller's terminal (TIOCSTI): run, --init, -d, exec (11)" {
	[ -x "$PTYRUN" ] || skip "no $PTYRUN (make build/ptyrun)"
	[ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)" = 1 ] ||
		skip "dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI to everyone"
	local vol=(-v "$REPO/build:/b:ro" -v "$T:/t") id
	assert_nothing_typed "$MINIDOCK" --root "$STORE" run --rm --network none "${vol[@]}" base /b/ptyrun --inject
	assert_nothing_typed "$MINIDOCK" --root "$STORE" run --rm --init --network none "${vol[@]}" base /b/ptyrun --inject
	assert_nothing_typed "$MINIDOCK" --root "$STORE" run --rm -i --network none "${vol[@]}" base /b/ptyrun --inject
	# -d: the caller waits in the terminal until the container is done
	assert_nothing_typed sh -c "'$MINIDOCK' --root '$STORE' run -d --network none -v '$REPO/build:/b:ro' \
		-v '$T:/t' base sh -c '/b/ptyrun --inject > /t/inj; touch /t/done' >/dev/null &&
		i=0; while [ ! -e '$T/done' ] && [ \$i -lt 500 ]; do sleep 0.02; i=\$((i + 1)); done"
	[ -e "$T/done" ]
	run -0 md run -d --network none "${vol[@]}" base sleep 60
	id=$output
	assert_nothing_typed "$MINIDOCK" --root "$STORE" exec "$id" /b/ptyrun --inject
}

@test "reliability: smaller ones: pax errors named, --cpus decimal only, signal names in any case, commit refuses device nodes (12)" {
	local id before
	# a pax record whose length points past its header's data
	local long
	long=$(printf 'p%.0s' $(seq 120))
	mkdir -p "$T/pax"
	echo x > "$T/pax/$long"
	tar --format=pax -cf "$T/bad-pax.tar" -C "$T/pax" "$long"
	[ "$(head -c 157 "$T/bad-pax.tar" | tail -c 1)" = x ] # its first header is a pax one
	printf 9 | dd of="$T/bad-pax.tar" bs=1 seek=512 conv=notrunc 2>/dev/null
	run -1 --separate-stderr md import "$T/bad-pax.tar" badpax
	assert_one_line_error
	[[ "$stderr" == *pax* ]]
	for c in 0x10 1e1 inf; do
		run -125 --separate-stderr mrun --network none --cpus "$c" base true
		assert_one_line_error
	done
	run -0 md run -d --network none base sleep 60
	id=$output
	run -0 md kill -s sigusr1 "$id"
	run -0 md kill -s usr1 "$id"
	run -0 md rm -f "$id"
	# a block device made inside, then commit: refused, no layer, no image
	run -0 md run --network none --name blk12 base mknod /blk b 7 0
	before=$(ls "$STORE/layers" | wc -l)
	run -1 --separate-stderr md commit blk12 blkimg
	assert_one_line_error
	[ "$(ls "$STORE/layers" | wc -l)" = "$before" ]
	[ ! -e "$STORE/images/blkimg" ]
	run -0 md rm blk12
}

@test "reliability: stop -t 1 takes about 1 s even while clients queue for a stopped backend (12, the proxy)" {
	local id hp fds=() i t0
	run -0 md run -d -v "$T:/t" -p 127.0.0.1::8080 base probe listen 8080 /t/listening
	id=$output
	wait_until 10 test -e "$T/listening"
	run -0 md port "$id" 8080
	hp=${output##*:}
	# the server stopped: its backlog of 8 fills, and later connections wait on the kernel
	run -0 md kill -s STOP "$id"
	for i in $(seq 20); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$hp"
		fds+=("$fd")
	done
	t0=$(date +%s%N)
	run -0 md stop -t 1 "$id"
	local ms=$((($(date +%s%N) - t0) / 1000000))
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	echo "stop took $ms ms" >&2
	[ "$ms" -lt 2500 ]
	run -0 md rm "$id"
}

@test "reliability: a tar entry larger than the store's free space is refused before a byte is written (12, the gzip bomb)" {
	mkdir -p "$T/big"
	echo x > "$T/big/f"
	tar -b1 --format=gnu -cf "$T/big.tar" -C "$T/big" f
	# its size field says 1 PiB (GNU base-256), its checksum made right again
	printf '\x80\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00' |
		dd of="$T/big.tar" bs=1 seek=124 conv=notrunc 2>/dev/null
	printf '        ' | dd of="$T/big.tar" bs=1 seek=148 conv=notrunc 2>/dev/null
	local sum
	sum=$(od -An -tu1 -v -N512 "$T/big.tar" | tr -s ' ' '\n' | awk '{ s += $1 } END { print s }')
	printf '%06o\0 ' "$sum" | dd of="$T/big.tar" bs=1 seek=148 conv=notrunc 2>/dev/null
	run -1 --separate-stderr md import "$T/big.tar" big
	assert_one_line_error
	[[ "$stderr" == *"would fill the store"* ]]
	[ ! -e "$STORE/images/big" ]
}
