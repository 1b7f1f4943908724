#!/usr/bin/env bats
# Claims that left chapters 5-7 (issue 11) and live on in minidock, so that
# none is dropped: chapter 5's tar importer became `minidock import` (every
# hostile-tarball case of chapter 5 is here), chapter 6's address allocator
# and overlap checks, chapter 7's idmapped layers and map checks. (Chapter
# 7's rootless runs are gone: minidock runs as root only.)
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# Chapter 6's tests of --bridge, --subnet and --ip: a bridge and a /24 of
# this file's own, so parallel runs and other tools never collide.
BR="minidockb$((BATS_ROOT_PID % 100000))"
X=$((BATS_ROOT_PID % 200 + 25))
SUBNET="10.216.$X.0/24"
GATEWAY="10.216.$X.1"
NET=(--bridge "$BR" --subnet "$SUBNET")
IPAM=/run/minidock/ipam

teardown_file() {
	sh "$REPO/tests/tools/clean-net.sh" "$BR" "${BR}x" >/dev/null 2>&1 || true
}

ports() {
	ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}
no_ports() {
	[ -z "$(ports)" ]
}

layer_count() {
	ls "$STORE/layers" 2>/dev/null | wc -l
}

# Everything about a tree but times: names, types, modes, owners, links.
describe() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %l %n %s\n' | sort)
}

# A tree with what real images hold: absolute and relative symlinks, a hard
# link, a set-user-ID file with an owner, a fifo, a name longer than 100 bytes.
make_tree() {
	local long
	mkdir -p "$1/etc" "$1/bin" "$1/usr/lib"
	echo hello > "$1/etc/hello"
	ln "$1/etc/hello" "$1/etc/hello-again"
	ln -s /bin/probe "$1/bin/sh-abs"
	ln -s ../etc/hello "$1/bin/rel"
	chown 1234:99 "$1/etc/hello"
	chmod 4751 "$1/etc/hello"
	mkfifo "$1/usr/lib/fifo"
	long=$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))/$(printf 'f%.0s' $(seq 70))
	mkdir -p "$1/$(dirname "$long")"
	echo long > "$1/$long"
}

# imported NAME: the layer directory of image NAME (one layer).
imported() {
	echo "$STORE/layers/$(cat "$STORE/images/$1"* 2>/dev/null | grep -o '[0-9a-f]\{64\}' | head -n 1)"
}

# refused FILE REASON: import fails with 125 and one line naming REASON,
# and leaves no layer and no image behind.
refused() {
	local before
	before=$(layer_count)
	run -125 --separate-stderr md import "$1" hostile
	assert_one_line_error
	[[ "$stderr" == *"$2"* ]] || {
		echo "expected '$2' in: $stderr" >&2
		return 1
	}
	[ "$(layer_count)" = "$before" ]
	[ -z "$(ls "$STORE/images" | grep hostile)" ]
}

@test "import (from chapter 5): gzip'd and plain GNU, ustar, pax tarballs keep owners, set-user-ID, fifos, links" {
	make_tree "$T/src"
	local want t id
	want=$(describe "$T/src")
	tar -cf "$T/gnu.tar" -C "$T/src" .
	tar --format=ustar -cf "$T/ustar.tar" -C "$T/src" .
	tar --format=pax -cf "$T/pax.tar" -C "$T/src" .
	tar -czf "$T/gz.tar.gz" -C "$T/src" .
	for t in gnu.tar ustar.tar pax.tar gz.tar.gz; do
		run -0 md import "$T/$t" "img-${t%%.*}"
		id=$output
		[ "$(describe "$STORE/layers/$id")" = "$want" ] || {
			diff <(echo "$want") <(describe "$STORE/layers/$id") >&2
			return 1
		}
	done
	[ "$(readlink "$STORE/layers/$id/bin/sh-abs")" = /bin/probe ]
	# an archive that names files but not the directories above them
	tar -cf "$T/bare.tar" -C "$T/src" usr/lib/fifo etc/hello
	run -0 md import "$T/bare.tar" img-bare
	[ -p "$STORE/layers/$output/usr/lib/fifo" ]
	[ "$(cat "$STORE/layers/$output/etc/hello")" = hello ]
}

@test "import (from chapter 5): a later entry replaces a symlink instead of writing through it" {
	mkdir -p "$T/a" "$T/b" "$T/outside"
	echo precious > "$T/outside/file"
	ln -s "$T/outside/file" "$T/a/link"
	echo pwned > "$T/b/link"
	tar -cf "$T/replace.tar" -C "$T/a" link
	tar -rf "$T/replace.tar" -C "$T/b" link
	run -0 md import "$T/replace.tar" replaced
	[ "$(cat "$T/outside/file")" = precious ]
	[ ! -L "$STORE/layers/$output/link" ]
	[ "$(cat "$STORE/layers/$output/link")" = pwned ]
}

@test "import (from chapter 5): each hostile tarball is refused and extracts nothing" {
	local h="$T/h"
	mkdir -p "$h/src" "$h/d1" "$h/d2/link" "$h/dev" "$h/outside"
	echo evil > "$h/evil"
	echo fine > "$h/src/fine"
	ln "$h/src/fine" "$h/src/fine-link"
	# benign entries come first, so a refusal must undo them
	tar -cf "$h/dotdot.tar" -C "$h/src" fine
	tar -rPf "$h/dotdot.tar" --transform 's,^,../,' -C "$h" evil
	tar -cPf "$h/absolute.tar" -C "$h/src" fine "$h/evil"
	# -P keeps the hard link's target as the transform made it
	tar -cPf "$h/hardlink.tar" -C "$h/src" --transform 's,^fine$,../../etc/passwd,Rh' \
		fine fine-link
	ln -s "$h/outside" "$h/d1/link"
	echo pwned > "$h/d2/link/evil"
	tar -cf "$h/symlink.tar" -C "$h/d1" link
	tar -rf "$h/symlink.tar" -C "$h/d2" link/evil
	mknod "$h/dev/null" c 1 3
	tar -cf "$h/device.tar" -C "$h" src dev
	gzip -c "$h/dotdot.tar" > "$h/dotdot.tar.gz"
	# the fixtures really hold what they should
	tar -tvf "$h/dotdot.tar" 2>/dev/null | grep -q ' \.\./evil$'
	tar -tvf "$h/hardlink.tar" | grep -q 'fine-link link to'

	refused "$h/dotdot.tar" 'climbs out'
	refused "$h/dotdot.tar.gz" 'climbs out'
	refused "$h/absolute.tar" 'absolute name'
	refused "$h/hardlink.tar" 'climbs out'
	refused "$h/symlink.tar" 'symlink'
	[ -z "$(ls -A "$h/outside")" ]
	refused "$h/device.tar" 'device node'
	# a directory holding a device node is refused the same way
	refused "$h/dev" 'device node'
	# and so is what is not a tar archive at all
	head -c 2048 /dev/zero | tr '\0' x > "$h/junk.tar"
	refused "$h/junk.tar" 'not a tar archive'
}

@test "import (from chapter 5): a gzip file that fails its checksum extracts nothing" {
	mkdir -p "$T/small"
	echo "from lower" > "$T/small/in_lower"
	tar -czf "$T/ok.tar.gz" -C "$T/small" .
	# zero the CRC-32 in the 8-byte trailer: gzip notices only at the very end
	local size before
	size=$(stat -c %s "$T/ok.tar.gz")
	cp "$T/ok.tar.gz" "$T/bad.tar.gz"
	printf '\000\000\000\000' | dd of="$T/bad.tar.gz" bs=1 seek=$((size - 8)) conv=notrunc 2>/dev/null
	run -0 md import "$T/ok.tar.gz" good
	[ "$(cat "$STORE/layers/$output/in_lower")" = "from lower" ]
	before=$(layer_count)
	run -125 --separate-stderr md import "$T/bad.tar.gz" bad
	[[ "$(printf '%s\n' "$stderr" | tail -n 1)" == *"gzip -dc"*"failed"* ]]
	[ "$(layer_count)" = "$before" ]
	[ -z "$(ls "$STORE/images" | grep '^bad')" ]
}

@test "net (from chapter 6): addresses go round-robin, so a just-freed one is not reused at once" {
	local a b
	run -0 mrun "${NET[@]}" base probe info
	a=$(value addr.eth0)
	run -0 mrun "${NET[@]}" base probe info
	b=$(value addr.eth0)
	[ -n "$a" ] && [ "$a" != "$b" ]
	[ "${b##*.}" -eq $((${a##*.} + 1)) ]
	wait_until 10 no_ports
}

@test "net (from chapter 6): --ip picks the address; one in use or outside the subnet is refused" {
	local ip="10.216.$X.200"
	fifos ready go
	chmod 666 "$T/ready" "$T/go"
	start_md "${NET[@]}" --ip "$ip" base sh -c 'probe info > /t/info; echo > /t/ready; read x < /t/go'
	wait_fifo ready
	output=$(cat "$T/info")
	[ "$(value addr.eth0)" = "$ip" ]
	run -125 --separate-stderr mrun "${NET[@]}" --ip "$ip" base true
	assert_one_line_error
	[[ "$stderr" == *"$ip"*"in use"* ]]
	release go
	finish_ctr
	[ "$STATUS" -eq 0 ]
	run -125 --separate-stderr mrun "${NET[@]}" --ip 10.214.0.5 base true
	assert_one_line_error
	[[ "$stderr" == *"10.214.0.5"* ]]
	run -125 --separate-stderr mrun "${NET[@]}" --ip "$GATEWAY" base true
	assert_one_line_error
	run -125 --separate-stderr mrun --network none --ip "$ip" base true
	assert_one_line_error
	wait_until 10 no_ports
}

@test "net (from chapter 6): invalid or overlapping bridge and subnet get a clear error (125)" {
	local other="${BR}x"
	run -0 mrun "${NET[@]}" base true # the bridge exists from here on
	run -125 --separate-stderr mrun --network bogus base true
	assert_one_line_error
	run -125 --separate-stderr mrun --bridge "$other" --subnet "10.216.$X.0" base true
	assert_one_line_error
	[[ "$stderr" == *"is not ADDR/LEN"* ]]
	run -125 --separate-stderr mrun --bridge "$other" --subnet 10.216.300.0/24 base true
	assert_one_line_error
	run -125 --separate-stderr mrun --bridge "$other" --subnet "10.216.$X.0/31" base true
	assert_one_line_error
	[[ "$stderr" == *"prefix length"* ]]
	run -125 --separate-stderr mrun --bridge "$other" --subnet "10.216.$X.7/24" base true
	assert_one_line_error
	[[ "$stderr" == *"host bits"* ]]
	run -125 --separate-stderr mrun --bridge eth0 base true
	assert_one_line_error
	[[ "$stderr" == *"must start with 'minidock'"* ]]
	run -125 --separate-stderr mrun --bridge minidock-far-too-long base true
	assert_one_line_error
	# our bridge exists with another subnet
	run -125 --separate-stderr mrun --bridge "$BR" --subnet "10.216.$(((X + 1) % 256)).0/24" base true
	assert_one_line_error
	[[ "$stderr" == *"bridge $BR has address $GATEWAY/24"* ]]
	# a new bridge whose subnet overlaps an address or route the host has
	run -125 --separate-stderr mrun --bridge "$other" --subnet 10.216.0.0/16 base true
	assert_one_line_error
	[[ "$stderr" == *"overlaps address 10.216."*"/24 on minidock"* ]]
	run -125 --separate-stderr mrun --bridge "$other" --subnet 127.0.0.0/16 base true
	assert_one_line_error
	[[ "$stderr" == *"overlaps"*"127.0.0."* ]]
	# nothing half-made: no bridge, no lease
	! ip link show dev "$other" >/dev/null 2>&1
	[ -z "$(ls "$IPAM/$other" 2>/dev/null)" ]
}

@test "net (from chapter 6): make clean-net's script removes our bridge and leases, and only ours" {
	run -0 mrun "${NET[@]}" base true
	ip link show dev "$BR" >/dev/null
	wait_until 10 no_ports
	run -0 sh "$REPO/tests/tools/clean-net.sh" "$BR"
	! ip link show dev "$BR" >/dev/null 2>&1
	[ ! -e "$IPAM/$BR" ]
	run -1 sh "$REPO/tests/tools/clean-net.sh" lo
	[[ "$output" == *"lo is not ours"* ]]
	ip link show dev lo >/dev/null
}

# --userns remap mounts the layers idmapped: the store's filesystem must
# take idmapped mounts (ext4 and xfs since Linux 5.12, tmpfs only since 6.3).
need_idmapped_store() {
	run --separate-stderr md run --rm --network none --userns remap base true
	[[ "$stderr" != *"may not support idmapped mounts"* ]] ||
		skip "the store's filesystem takes no idmapped mounts on this kernel ($(uname -r))"
}

@test "userns (from chapter 7): the image is the container root's, and what it writes lands in its upper layer under the mapped ids" {
	need_idmapped_store
	run -0 md run --name mdkb-remap --network none --userns remap base \
		sh -c 'stat -c %u / /etc/passwd; echo new > /made; echo x >> /etc/passwd'
	[ "$output" = "$(printf '0\n0')" ]
	local id upper
	id=$(ls "$STORE/containers" | head -n 1)
	upper="$STORE/containers/$id/upper"
	[ "$(stat -c %u "$upper/made" "$upper/etc/passwd")" = "$(printf '1000000000\n1000000000')" ]
	[ "$(tail -n 1 "$upper/etc/passwd")" = x ]
	run -0 md rm mdkb-remap
}

@test "userns (from chapter 7): overlapping, out-of-range and malformed maps, and maps without id 0, get a clear error" {
	run -125 --separate-stderr mrun --uidmap 0:100000:1000 --uidmap 1000:100500:10 base true
	assert_one_line_error
	[[ "$stderr" == *"overlap on the host"* ]]
	run -125 --separate-stderr mrun --uidmap 0:4294967000:1000 base true
	assert_one_line_error
	[[ "$stderr" == *"out of range"* ]]
	run -125 --separate-stderr mrun --gidmap 0:100000:0 base true
	assert_one_line_error
	run -125 --separate-stderr mrun --uidmap 0:100000 base true
	assert_one_line_error
	[[ "$stderr" == *"CTR:HOST:LEN"* ]]
	run -125 --separate-stderr mrun --uidmap 1:100000:10 base true
	assert_one_line_error
	[[ "$stderr" == *"id 0"* ]]
}
