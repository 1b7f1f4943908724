#!/usr/bin/env bats
# Chapter 8 claims, images: import of a directory or a tarball (docker
# export, Alpine minirootfs .tar.gz; ustar, GNU and pax headers) makes a
# layer; hostile archives are refused and leave nothing; images, rmi.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# tree DIR: what a layer must preserve, one line per entry.
tree() {
	(cd "$1" && find . -mindepth 1 -printf '%P %y %m %u:%g %s %l\n' | grep -v ' d .* [0-9]* $' | sort
	 find . -mindepth 1 -type d -printf '%P %m %u:%g\n' | sort)
}

layer_count() {
	ls "$STORE/layers" | wc -l
}

@test "image: a docker-export tar and an Alpine-style tar.gz become images that run" {
	tar -cf "$T/export.tar" -C "$ROOTFS" --exclude ./tmp .
	tar -czf "$T/mini.tar.gz" -C "$ROOTFS" --exclude ./tmp .
	run -0 md import "$T/export.tar" exported
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run -0 md import "$T/mini.tar.gz" mini
	run -0 md images
	[[ "$output" == *"exported "* ]]
	[[ "$output" == *"mini "* ]]
	run -0 mrun exported cat /etc/minidock-release
	[ "$output" = "minidock rootfs" ]
	run -0 mrun mini cat /etc/minidock-release
	[ "$output" = "minidock rootfs" ]
	md rmi exported && md rmi mini
}

@test "image: a directory and ustar, GNU and pax tarballs give the same layer, long names and symlinks kept" {
	local src="$T/src" long id
	long=$(printf 'n%.0s' $(seq 90))/$(printf 'm%.0s' $(seq 90))
	mkdir -p "$src/$long" "$src/etc"
	echo deep > "$src/$long/file"
	echo conf > "$src/etc/conf"
	chmod 4755 "$src/etc/conf"
	chown 12:34 "$src/etc/conf"
	ln -s /etc/conf "$src/abs-link"
	ln -s ../etc/conf "$src/$long/rel-link"
	mkfifo "$src/fifo"
	ln "$src/etc/conf" "$src/hard"
	local want
	want=$(tree "$src")
	run -0 md import "$src" from-dir
	[ "$(tree "$STORE/layers/$output")" = "$want" ]
	for fmt in ustar gnu pax; do
		tar --format=$fmt -cf "$T/$fmt.tar" -C "$src" . 2>/dev/null || {
			[ $fmt = ustar ] && continue # names over 100+155 bytes do not fit ustar
			return 1
		}
		run -0 md import "$T/$fmt.tar" "from-$fmt"
		id=$output
		[ "$(tree "$STORE/layers/$id")" = "$want" ] || {
			diff <(echo "$want") <(tree "$STORE/layers/$id") >&2
			return 1
		}
	done
	# the hard link stayed a hard link in the tarballs
	[ "$(stat -c %h "$STORE/layers/$id/hard")" = 2 ]
}

@test "image: each hostile tarball is refused, one line and 1, and extracts nothing" {
	local d="$T/h" before
	mkdir -p "$d/plain" "$d/dev" "$d/link" "$d/through/l"
	echo x > "$d/plain/f"
	ln "$d/plain/f" "$d/plain/g"
	tar -cf "$T/dotdot.tar" --transform 's,^,../../,' -C "$d/plain" f 2>/dev/null
	tar -cPf "$T/absolute.tar" "$d/plain/f"
	tar -cPf "$T/hardlink-out.tar" --transform 's,^f$,../../etc/passwd,RSh' -C "$d/plain" f g
	tar -cPf "$T/hardlink-abs.tar" --transform 's,^f$,/etc/passwd,RSh' -C "$d/plain" f g
	mknod "$d/dev/sda" b 8 0
	tar -cf "$T/device.tar" -C "$d/dev" sda
	# a symlink to outside, then a file "through" it
	ln -s "$T/outside" "$d/link/l"
	echo evil > "$d/through/l/evil"
	tar -cf "$T/through-symlink.tar" -C "$d/link" l
	tar -rf "$T/through-symlink.tar" -C "$d/through" l/evil
	head -c 300 /dev/urandom > "$T/garbage.tar"
	tar -czf "$T/truncated.tar.gz" -C "$ROOTFS" --exclude ./tmp .
	truncate -s 20000 "$T/truncated.tar.gz"
	before=$(layer_count)
	for f in dotdot absolute hardlink-out hardlink-abs device through-symlink garbage truncated; do
		local file="$T/$f.tar"
		[ -e "$file" ] || file="$T/$f.tar.gz"
		run -1 --separate-stderr md import "$file" "hostile-$f"
		assert_one_line_error
		[ "$(layer_count)" = "$before" ] || { echo "$f left a layer" >&2; return 1; }
		[ ! -e "$STORE/images/hostile-$f" ]
	done
	[ ! -e "$T/outside" ]
	[ ! -e "$d/etc" ]
}

@test "image: rmi removes the image and its layer; the image is then unknown" {
	mkdir -p "$T/small"
	echo x > "$T/small/f"
	run -0 md import "$T/small" doomed
	local id=$output
	[ -d "$STORE/layers/$id" ]
	run -0 md rmi doomed
	[ ! -e "$STORE/layers/$id" ]
	run -125 --separate-stderr mrun doomed true
	assert_one_line_error
	[[ "$stderr" == *"no such image: doomed"* ]]
	run -0 md images
	[[ "$output" != *doomed* ]]
}

@test "image: rmi refuses an image a container still uses, running or exited; after rm it goes" {
	run -0 md import "$ROOTFS_SRC" used
	local layer=$output
	run -0 md run --name user1 --network none used true
	run -1 --separate-stderr md rmi used
	assert_one_line_error
	[[ "$stderr" == *"in use by container"* ]]
	# nothing was removed: the image still runs
	[ -d "$STORE/layers/$layer" ]
	run -0 mrun --network none used true
	run -0 md rm user1
	run -0 md rmi used
	[ ! -e "$STORE/layers/$layer" ]
}

@test "image: bad use of import and rmi gets a one-line error and exit 1 (125 is run's alone)" {
	run -1 --separate-stderr md import "$ROOTFS"
	assert_one_line_error
	run -1 --separate-stderr md import "$ROOTFS" base
	assert_one_line_error
	[[ "$stderr" == *"already exists"* ]]
	run -1 --separate-stderr md import "$ROOTFS" 'bad/name'
	assert_one_line_error
	run -1 --separate-stderr md import "$T/no-such-file" x
	assert_one_line_error
	run -1 --separate-stderr md rmi no-such-image
	assert_one_line_error
	run -1 --separate-stderr md import /dev/null x
	assert_one_line_error
}
