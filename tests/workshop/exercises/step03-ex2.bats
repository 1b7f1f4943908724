#!/usr/bin/env bats
# Chapter 3, exercise 2: the classic pivot_root, with a directory for the old
# root that is unmounted and removed afterwards. Any put_old other than "."
# passes, as long as the old root is gone and nothing is left behind.
load ../checks/common
CHAPTER_DIR=step03-mnt

@test "step03-ex2-classic: -D narrates pivot_root with a directory for the old root" {
	readme "Exercises"
	run_prog -D true
	local line
	line=$(printf '%s\n' "$err" | grep -m 1 'pivot_root(' || true)
	expect_status 0
	if [ -z "$line" ] || [[ $line == *'pivot_root(".", ".")'* ]]; then
		echo "@@expected: a -D line pivot_root(\".\", \"OLD\") with a directory OLD for the old root"
		seen "${line:-no pivot_root line}"
		hint "mkdir the directory inside the new root, pivot_root(\".\", it), umount2 it with MNT_DETACH, rmdir it"
		return 1
	fi
}

@test "step03-ex2-clean: the old root is gone inside, and no directory is left in the rootfs" {
	readme "Exercises"
	local marker before
	marker="$BATS_TEST_TMPDIR/$(random_name marker)"
	echo host >"$marker"
	before=$(ls -A "$ROOTFS" | grep -v '^tmp$' | tr '\n' ' ')
	run_prog "$PROBE" escape "$marker"
	rmdir "$ROOTFS/.escape" 2>/dev/null || true
	expect "host marker reached by the escape" missing "$(printf '%s\n' "$out" | sed -n 's/^marker=//p')"
	expect "the rootfs's top directory after the run" "$before" "$(ls -A "$ROOTFS" | grep -v '^tmp$' | tr '\n' ' ')"
}
