# Shared by chapter 6's claims and exercises: the chapter's bridge, which
# the checker removes at the end only if it made it.
eval "chapter_$(declare -f setup_file)"

# The chapter's one bridge and subnet. The bridge stays by design; the
# checker removes it only if it made it (as tests/run.sh does).
BR=minidock0 PREFIX=10.111. GATEWAY=10.111.0.1

setup_file() {
	chapter_setup_file
	export HAD_BRIDGE=0
	ip link show "$BR" >/dev/null 2>&1 && HAD_BRIDGE=1
	return 0
}

teardown_file() {
	if [ "$HAD_BRIDGE" = 0 ] && ip link show "$BR" >/dev/null 2>&1; then
		sh "$REPO/tests/tools/clean-net.sh" "$BR" >/dev/null 2>&1 || true
	fi
}

# on_bridge IFINDEX: is the host interface IFINDEX a port of the bridge?
on_bridge() {
	ip -o link show master "$BR" 2>/dev/null | grep -q "^$1: "
}
