#!/usr/bin/env bats
# The repository's own tools, as a new user meets them: make clean,
# make clean-net, make doctor and the rootfs builder. Each test works in a
# copy of the repository or in namespaces of its own, so the machine's
# bridges, leases and build products are never touched.

bats_require_minimum_version 1.5.0
REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	T=$(mktemp -d -t minidock-tools.XXXXXX)
}

teardown() {
	rm -rf "$T"
}

@test "tools: make clean removes everything .gitignore names as built, minidock too" {
	command -v git >/dev/null && git -C "$REPO" rev-parse 2>/dev/null ||
		skip "not a git checkout: the tracked files are unknown"
	git -C "$REPO" ls-files -z | (cd "$REPO" && tar --null -T - -cf -) | tar -xf - -C "$T"
	# every plain path .gitignore names stands for a build product: make one
	built=()
	while read -r p; do
		# (a workshop participant's workspace is their work, not a build product)
		case $p in '' | '#'* | *'*'* | /workshop/) continue ;; esac
		p=${p#/}
		p=${p%/}
		mkdir -p "$T/$(dirname "$p")"
		touch "$T/$p"
		built+=("$p")
	done < "$REPO/.gitignore"
	[[ " ${built[*]} " == *" step08-full/minidock "* ]]
	run -0 make -s -C "$T" clean
	for p in "${built[@]}"; do
		[ ! -e "$T/$p" ] || { echo "make clean left $p"; return 1; }
	done
}

# clean_net_in_private_ns SCRIPT: SCRIPT in a network and mount namespace of
# its own, with a private /run: bridges and leases made there are the test's.
clean_net_in_private_ns() {
	unshare -n -m sh -c "mount -t tmpfs mdk-test /run && mkdir -p /run/minidock/ipam && $1"
}

@test "tools: make clean-net removes minidock0 and its leases only; other bridges of ours go when named" {
	run -0 clean_net_in_private_ns "
		for br in minidock0 minidock-lab; do
			ip link add \$br type bridge && mkdir /run/minidock/ipam/\$br &&
				touch /run/minidock/ipam/\$br/10.1.0.2 || exit 9
		done
		sh '$REPO/tests/tools/clean-net.sh' >/dev/null || exit 8
		for br in minidock0 minidock-lab; do
			ip link show \$br >/dev/null 2>&1 && echo \$br=link
			[ -d /run/minidock/ipam/\$br ] && echo \$br=leases
		done
		sh '$REPO/tests/tools/clean-net.sh' minidock-lab >/dev/null || exit 7
		ip link show minidock-lab >/dev/null 2>&1 && echo named=link
		[ -d /run/minidock/ipam/minidock-lab ] && echo named=leases
		exit 0"
	[ "$output" = "$(printf 'minidock-lab=link\nminidock-lab=leases')" ]
}

@test "tools: make doctor tells our own minidock0 on 10.111.0.0/16 from a real conflict" {
	[ -x "$REPO/build/probe" ] || skip "no build/probe (make probe)"
	run -0 --separate-stderr unshare -n sh -c "
		ip link add minidock0 type bridge && ip addr add 10.111.0.1/16 dev minidock0 &&
			ip link set minidock0 up || exit 9
		sh '$REPO/tests/tools/doctor.sh' '$REPO/build/probe' | grep 'subnet 10.111'
		ip link add mdkt-other type bridge && ip addr add 10.111.7.1/24 dev mdkt-other &&
			ip link set mdkt-other up || exit 9
		sh '$REPO/tests/tools/doctor.sh' '$REPO/build/probe' | grep 'subnet 10.111'"
	printf "%s\n" "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == ok* ]]
	[[ "${lines[1]}" == warn* ]]
	[[ "${lines[1]}" == *mdkt-other* ]]
	[[ "${lines[1]}" != *minidock0* ]]
}

# rootfs_names: the tools mkrootfs.sh promises, or names as missing.
rootfs_names() {
	sed -n '/^tools="/,/"$/p; /^extras="/p' "$REPO/tests/tools/mkrootfs.sh" |
		sed 's/^[a-z]*="//; s/"$//' | tr ' ' '\n' | grep .
}

@test "tools: a busybox rootfs links every applet busybox has (ping and ip among them)" {
	bb=${BUSYBOX:-$(command -v busybox || true)}
	[ -n "$bb" ] && ! readelf -l "$bb" | grep -q 'program interpreter' ||
		skip "no static busybox here (CI installs busybox-static)"
	[ -x "$REPO/build/probe" ] || skip "no build/probe (make probe)"
	run -0 env ROOTFS_FROM=busybox BUSYBOX="$bb" sh "$REPO/tests/tools/mkrootfs.sh" "$T/rootfs" "$REPO/build/probe"
	for a in $("$bb" --list); do
		[ -e "$T/rootfs/bin/$a" ] || { echo "no applet $a"; return 1; }
	done
	[ -e "$T/rootfs/bin/ping" ] && [ -e "$T/rootfs/bin/ip" ]
	[ "$(cat "$T/rootfs/etc/minidock-rootfs-from")" = busybox ]
}

@test "tools: a rootfs from the host has each listed tool or names it missing, and make doctor says so" {
	[ -x "$REPO/build/probe" ] || skip "no build/probe (make probe)"
	run -0 env ROOTFS_FROM=host sh "$REPO/tests/tools/mkrootfs.sh" "$T/rootfs" "$REPO/build/probe"
	missing=" $(cat "$T/rootfs/etc/minidock-rootfs-missing") "
	for t in $(rootfs_names); do
		[ -e "$T/rootfs/bin/$t" ] || [[ "$missing" == *" $t "* ]] ||
			{ echo "$t neither copied nor named missing"; return 1; }
	done
	run -0 env ROOTFS="$T/rootfs" sh "$REPO/tests/tools/doctor.sh" "$REPO/build/probe"
	line=$(printf '%s\n' "$output" | grep '^[a-z]* *rootfs ')
	if [ "$missing" = "  " ]; then
		[[ "$line" == ok* ]]
	else
		[[ "$line" == warn* ]]
		for t in $missing; do [[ "$line" == *"$t"* ]]; done
	fi
}

@test "tools: ROOTFS_FROM takes auto, host or busybox and refuses anything else" {
	[ -x "$REPO/build/probe" ] || skip "no build/probe (make probe)"
	run -2 env ROOTFS_FROM=alpine sh "$REPO/tests/tools/mkrootfs.sh" "$T/rootfs" "$REPO/build/probe"
	[[ "$output" == *ROOTFS_FROM* ]]
	[ ! -e "$T/rootfs" ] && [ ! -e "$T/rootfs.new" ]
}
