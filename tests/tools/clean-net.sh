#!/bin/sh
# clean-net.sh [BRIDGE...]: remove host bridges of ours and their address
# leases (make clean-net). Without arguments: chapter 6's and minidock's
# default bridge, minidock0, and its leases only; a bridge made with
# --bridge NAME goes only when named. With each bridge goes the nf_tables
# table minidock keeps for it (its NAT rules, named as the bridge).
#
# The bridge is shared by all containers and outlives them (like docker0);
# this is the documented way to remove it. A bridge that still has
# containers plugged in is left alone: stop them first.
set -eu
ipam=/run/minidock/ipam
# With each bridge goes the nf_tables table minidock keeps for it (its NAT
# rules, named as the bridge); minidock removes it (nft may not be installed).
md=$(dirname "$0")/../../step08-full/minidock
tables() {
	[ -x "$md" ] && "$md" network ls 2>/dev/null | awk 'NR > 1 { print $2 }'
}

[ $# -gt 0 ] || set -- minidock0

status=0
for br in "$@"; do
	case $br in
	minidock*) ;;
	*)
		echo "clean-net: $br is not ours (our bridges are named minidock*)" >&2
		status=1
		continue
		;;
	esac
	if ip link show dev "$br" type bridge >/dev/null 2>&1; then
		# veths of containers that just exited go a moment later (the kernel
		# removes them asynchronously): give them up to 5 s
		tries=50
		while ports=$(ip -o link show master "$br" | wc -l) && [ "$ports" -gt 0 ] && [ "$tries" -gt 0 ]; do
			sleep 0.1
			tries=$((tries - 1))
		done
		if [ "$ports" -gt 0 ]; then
			echo "clean-net: $br still has $ports container(s) plugged in; stop them first" >&2
			status=1
			continue
		fi
		ip link del dev "$br"
		echo "clean-net: removed bridge $br"
	fi
	if [ -d "$ipam/$br" ]; then
		rm -rf "${ipam:?}/$br"
		echo "clean-net: removed leases $ipam/$br"
	fi
	if tables | grep -qx "$br"; then
		"$md" network rm "$br" >/dev/null
		echo "clean-net: removed nf_tables table ip $br"
	fi
done
exit $status
