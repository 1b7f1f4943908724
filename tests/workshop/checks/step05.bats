#!/usr/bin/env bats
# Workshop claims of chapter 5: a root made of image layers (overlayfs).
load common
load layers
CHAPTER_DIR=step05-overlay

@test "step05-starts: a command runs inside the rootfs and its exit status comes back" {
	readme "The idea"
	local code=$((RANDOM % 100 + 1))
	run_prog sh -c "cat /etc/minidock-release; exit $code"
	expect "the rootfs's /etc/minidock-release, read inside" "minidock rootfs" "$out"
	expect_status "$code"
}

@test "step05-layers: a file in both layers comes from the upper one; directories merge" {
	readme "The idea"
	layers
	RFLAGS=("${XFLAGS[@]}")
	run_prog "${LAYERS[@]}" sh -c 'cat /shared/in_both /shared/in_lower /shared/in_upper'
	if [ "$status" = 0 ] && [ "$(printf "%s\n" "$out" | head -n 1)" = "$V1" ]; then
		hint "the lower layer won: overlayfs's lowerdir lists the TOP layer first (the reverse of --layer's order)"
	fi
	expect "cat in_both in_lower in_upper" "$V2 $V1 $V2" "$(echo $out)"
}

@test "step05-writes: writes and deletions inside leave every layer as it was" {
	readme "The idea"
	layers
	RFLAGS=("${XFLAGS[@]}")
	local before
	before=$(snapshot)
	run_prog "${LAYERS[@]}" sh -c 'echo new > /shared/new; rm /shared/in_lower; echo changed > /shared/in_both; cat /shared/new /shared/in_both; ls /shared'
	if [ "$(snapshot)" != "$before" ]; then
		echo "@@expected: the layers unchanged after the run"
		seen "$(diff <(echo "$before") <(snapshot) | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
		hint "writes go to the upper directory of the overlay (upperdir, with its workdir), never to a lower layer"
		return 1
	fi
	expect "output inside" "new changed in_both in_upper new" "$(echo $out)"
}

@test "step05-mount: while it runs, its root is an overlay; the host has no mount of it" {
	readme "The idea"
	needs step05-layers
	layers
	hold_in_layers
	local root host
	root=$(awk '$5 == "/" { print $9 }' "/proc/$(cat "$T/pid")/mountinfo" | tail -n 1)
	host=$(awk -v d="$D" 'index($0, d)' /proc/self/mountinfo)
	release_layers
	expect "type of the container's / (from /proc/PID/mountinfo)" overlay "$root"
	expect "host mounts mentioning $D" "" "$host"
	expect "exit status" 0 "$STATUS"
}

@test "step05-cleanup: after the run, nothing is left in the state directory" {
	readme "The idea"
	needs step05-layers
	layers
	RFLAGS=("${XFLAGS[@]}")
	run_prog "${LAYERS[@]}" true
	local left
	left=$(ls -A "$STATE")
	if [ -n "$left" ]; then
		hint "the run's directory (upper and work) must be unmounted from and removed once the child is reaped"
	fi
	expect "what is left in $STATE" "" "$left"
	expect_status 0
}
