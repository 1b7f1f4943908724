# Shared by chapter 5's claims and exercises: image layers for --layer,
# and a container held running on them.

# Two random layers over the rootfs, and a state directory of the test's own.
layers() {
	[ -z "${MINIDOCK:-}" ] ||
		skip "--layer is chapter 5's lesson option; minidock builds its root from images"
	D="$BATS_TEST_TMPDIR/l" STATE="$BATS_TEST_TMPDIR/l/state"
	L1="$D/lower" L2="$D/upper-layer"
	mkdir -p "$STATE" "$L1/shared" "$L2/shared"
	V1=$(random_name lower) V2=$(random_name upper)
	echo "$V1" >"$L1/shared/in_both"
	echo "$V1" >"$L1/shared/in_lower"
	echo "$V2" >"$L2/shared/in_both"
	echo "$V2" >"$L2/shared/in_upper"
	LAYERS=(--state "$STATE" --layer "$ROOTFS_SRC" --layer "$L1" --layer "$L2")
	T="$D/x"
	mkdir -p "$T"
}

snapshot() {
	find "$L1" "$L2" -printf '%p %s\n' | sort
	cat "$L1"/shared/* "$L2"/shared/*
}

# hold_in_layers [OPTION...]: a container on the layers that makes a fifo
# /go and waits on it. The layers are lower layers, so the fifo is made
# inside and reached through /proc/PID/root; the container says it is there
# on its stdout, a fifo we read (at most 10 s) instead of polling for /go.
hold_in_layers() {
	echo "\$ $(basename "$STEP_BIN") ${LAYERS[*]} $* --pid-file $T/pid sh -c 'mkfifo /go; echo ready; read x < /go' &"
	mkfifo "$T/said"
	"$STEP_BIN" "${XFLAGS[@]}" "${LAYERS[@]}" "$@" --pid-file "$T/pid" \
		sh -c 'mkfifo /go; echo ready; read x < /go' >"$T/said" 2>"$T/err" </dev/null &
	JOB=$!
	exec {SAID}<"$T/said"
	local line= r=0
	read -r -t 10 -u "$SAID" line || r=$?
	[ "$line" = ready ] && return 0
	echo "@@expected: the container running on the layers (its command says ready)"
	status=0
	if [ "$r" -gt 0 ] && [ "$r" -le 128 ]; then
		# end of file: the program exited, and closed its stdout
		wait "$JOB" || status=$?
		JOB= err=$(cat "$T/err")
		seen "exit status $status$(first_err)"
	else
		seen "no sign of the container in 10 s${line:+ (it said: $line)}"
	fi
	exec {SAID}<&-
	diagnose
	return 1
}

release_layers() {
	timeout 10 sh -c "echo go > /proc/$(cat "$T/pid")/root/go"
	STATUS=0
	wait "$JOB" || STATUS=$?
	JOB=
	exec {SAID}<&-
}
