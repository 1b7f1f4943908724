#!/usr/bin/env bats
# Chapter 5, exercise 3: --commit DIR turns the run's writable layer into a
# new layer DIR (docker commit). Checked by running on top of it: the new
# layer's files and deletions are there, and the layers it was made on are
# unchanged.
load ../checks/common
load ../checks/layers
CHAPTER_DIR=step05-overlay

# commit_run: a run on the two layers (made first) that writes a random file, deletes a
# lower one and empties a directory, committed to $C.
commit_run() {
	RFLAGS=("${XFLAGS[@]}")
	C="$D/committed" V3=$(random_name new)
	run_prog "${LAYERS[@]}" --commit "$C" \
		sh -c "echo $V3 > /shared/new; rm /shared/in_lower; mkdir /fresh"
}

@test "step05-ex3-commit: a run on the committed layer sees what the committing run wrote and deleted" {
	readme "Exercises"
	layers
	commit_run
	expect_status 0
	if [ ! -d "$C" ]; then
		echo "@@expected: the new layer $C after the run"
		seen "no such directory; left in the state directory: $(ls -A "$STATE" | tr '\n' ' ')"
		hint "after the child is reaped and before the run directory goes, move (rename(2)) its upper/ to DIR"
		return 1
	fi
	run_prog "${LAYERS[@]}" --layer "$C" \
		sh -c 'cat /shared/new; test -e /shared/in_lower && echo in_lower-there || echo in_lower-gone; test -d /fresh && echo fresh-there'
	expect "on the committed layer: new file, deleted file, new directory" \
		"$V3 in_lower-gone fresh-there" "$(echo $out)"
}

@test "step05-ex3-intact: committing leaves the layers below as they were, and the state directory empty" {
	readme "Exercises"
	local before
	layers
	before=$(snapshot)
	commit_run
	expect_status 0
	expect "what is left in $STATE" "" "$(ls -A "$STATE")"
	expect "the layers below, after the commit" "$before" "$(snapshot)"
	[ -d "$C" ] || {
		echo "@@expected: the new layer $C"
		seen "no such directory"
		return 1
	}
}
