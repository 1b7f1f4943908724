#!/bin/sh
# make doctor: what this machine can and cannot do for minidock, in plain words.
# doctor.sh PROBE   (the static probe reports which newer system calls exist)
probe=${1:-build/probe}
say() { printf '%-4s %-22s %s\n' "$1" "$2" "$3"; }

# version_ge A B: is dotted version A at least B?
version_ge() {
	[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

echo "minidock doctor: Linux >= 5.10, glibc >= 2.31, gcc or clang, run as root"
[ "$(id -u)" = 0 ] && say ok user "root" ||
	say warn user "not root: only chapter 7's rootless mode works"

k=$(uname -r | sed 's/[^0-9.].*//')
version_ge "$k" 5.10 && say ok kernel "$(uname -r)" || say no kernel "$(uname -r) is older than 5.10"
g=$(ldd --version 2>/dev/null | head -n 1 | grep -o '[0-9.]*$')
version_ge "${g:-0}" 2.31 && say ok glibc "$g" || say no glibc "${g:-unknown} is older than 2.31"
cc=$(command -v gcc || command -v clang || true)
[ -n "$cc" ] && say ok compiler "$cc" || say no compiler "install gcc or clang"
command -v bats >/dev/null && say ok bats "$(bats --version)" || say no bats "apt-get install bats (for make test)"

for ns in uts pid mnt net ipc user cgroup; do
	[ -e /proc/self/ns/$ns ] && say ok "namespace $ns" "available" ||
		say no "namespace $ns" "this kernel has no $ns namespaces"
done

if [ -x "$probe" ]; then
	"$probe" syscalls | while IFS== read -r name yes; do
		[ "$yes" = yes ] && say ok "syscall $name" "available" ||
			say warn "syscall $name" "missing: minidock falls back to an older call"
	done
fi

case $(stat -fc %T /sys/fs/cgroup 2>/dev/null) in
cgroup2fs) mode=v2 ;;
tmpfs) [ -d /sys/fs/cgroup/unified ] && mode=hybrid || mode=v1 ;;
*) mode=none ;;
esac
say ok "cgroup mode" "$mode"
nonstandard=
for c in cpu cpuacct memory pids devices freezer; do
	where=$(awk -v c="$c" '$9 == "cgroup" && ("," $NF ",") ~ ("," c ",") { print $5 }' /proc/self/mountinfo | head -n 1)
	[ -z "$where" ] && [ -f /sys/fs/cgroup/cgroup.controllers ] &&
		grep -qw "$c" /sys/fs/cgroup/cgroup.controllers && where="/sys/fs/cgroup (v2)"
	[ -n "$where" ] && say ok "controller $c" "$where" ||
		say warn "controller $c" "not mounted: the options that need it are refused"
	case $where in
	/sys/fs/cgroup/* | "/sys/fs/cgroup (v2)" | "") ;;
	*) nonstandard="$nonstandard $c" ;;
	esac
done
# Chapters 4-7 assume the standard layout; minidock reads mountinfo and finds any.
[ -z "$nonstandard" ] && say ok "cgroup layout" "standard (under /sys/fs/cgroup)" ||
	say warn "cgroup layout" "not standard for:$nonstandard: chapters 4-7 expect /sys/fs/cgroup, use minidock"
grep -qw overlay /proc/filesystems && say ok overlayfs "available" ||
	say no overlayfs "not in /proc/filesystems (modprobe overlay)"

# veth and bridge: try them in a throwaway network namespace.
if unshare -n sh -c 'ip link add mdkdoc0 type veth peer name mdkdoc1 &&
		ip link add mdkdocbr type bridge' 2>/dev/null; then
	say ok "veth and bridge" "available"
else
	say no "veth and bridge" "cannot create them: chapter 6's bridge network will fail"
fi
# br_netfilter sends bridged frames through the host's FORWARD hook, where a
# DROP policy (common on Docker hosts) blocks container-to-container traffic.
nf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo absent)
policy=unknown
if command -v iptables >/dev/null; then
	iptables -S FORWARD 2>/dev/null | grep -q -- '-P FORWARD DROP' && policy=DROP || policy=ACCEPT
elif command -v nft >/dev/null; then
	nft list ruleset 2>/dev/null | grep -q 'hook forward.*policy drop' && policy=DROP || policy=ACCEPT
elif [ ! -s /proc/net/ip_tables_names ]; then
	policy="none (no iptables tables loaded)"
fi
case "$nf:$policy" in
absent:*) say ok br_netfilter "not loaded: bridged traffic is not filtered" ;;
1:DROP) say warn br_netfilter "loaded and FORWARD policy DROP: container-to-container traffic is blocked (iptables -I FORWARD -i minidock0 -o minidock0 -j ACCEPT)" ;;
*) say ok br_netfilter "bridge-nf-call-iptables=$nf, FORWARD policy $policy" ;;
esac
# nf_tables: minidock's NAT (masquerade out of the bridge, DNAT of -p ports)
# is a table of nf_tables rules it sends itself over netlink.
config=$( (zcat /proc/config.gz || cat "/boot/config-$(uname -r)") 2>/dev/null | grep '^CONFIG_NF_TABLES=')
md=$(dirname "$0")/../../step08-full/minidock
if [ -x "$md" ] && "$md" network ls >/dev/null 2>&1; then
	say ok nf_tables "available (${config:-its netlink answers}): minidock's bridge NAT works"
elif [ -n "$config" ] || [ -d /sys/module/nf_tables ]; then
	say ok nf_tables "${config:-module loaded} (build minidock to try its netlink)"
else
	say warn nf_tables "not found (CONFIG_NF_TABLES, modprobe nf_tables): bridged runs need --ip-masq=false and no -p"
fi
[ "$policy" = DROP ] && say warn "FORWARD policy" "DROP: the host drops what it routes for containers (out through NAT, in through DNAT) (iptables -I FORWARD -i minidock0 -j ACCEPT; iptables -I FORWARD -o minidock0 -j ACCEPT)"
say ok "minidock will add" "nf_tables table ip minidock0 (masquerade 10.111.0.0/16 out, DNAT of -p ports); removed with the bridge (make clean-net)"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] && fwd="1 already" ||
	fwd="0: a bridged run sets it to 1, host-wide, as dockerd does (--ip-forward=false: never)"
say ok ip_forward "$fwd"
# 10.111.0.0/16 on our own minidock0 is the default bridge at work; on any
# other link it is a real conflict.
others=$(ip -4 -o route show table all 2>/dev/null |
	awk '$1 ~ /^10\.111\./ { for (i = 2; i < NF; i++) if ($i == "dev") print $(i + 1) }' |
	grep -vx minidock0 | sort -u | tr '\n' ' ')
if [ -n "$others" ]; then
	say warn "subnet 10.111.0.0/16" "already routed here via ${others% }: pass --subnet to chapter 6 and minidock"
elif ip link show minidock0 >/dev/null 2>&1; then
	say ok "subnet 10.111.0.0/16" "on our own bridge minidock0 (make clean-net removes it)"
else
	say ok "subnet 10.111.0.0/16" "free"
fi

uns=$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)
max=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)
aa=$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo 0)
if [ "$uns" = 1 ] && [ "$max" -gt 0 ] && [ "$aa" = 0 ]; then
	say ok "user namespaces" "unprivileged users may create them (max $max)"
else
	say warn "user namespaces" "restricted: unprivileged_userns_clone=$uns max_user_namespaces=$max apparmor_restrict_unprivileged_userns=$aa (rootless runs fail)"
fi

# What the chapters' rootfs is made of, and what a learner will miss in it.
rootfs=${ROOTFS:-build/rootfs}
if [ -f "$rootfs/etc/minidock-rootfs-from" ]; then
	lacks=$(cat "$rootfs/etc/minidock-rootfs-missing" 2>/dev/null)
	if [ -z "$lacks" ]; then
		say ok rootfs "from $(cat "$rootfs/etc/minidock-rootfs-from"), every tool mkrootfs.sh lists"
	else
		say warn rootfs "from $(cat "$rootfs/etc/minidock-rootfs-from"), lacks: $lacks (apt-get install busybox-static, then make rootfs; /bin/probe ping works without them)"
	fi
else
	say warn rootfs "not built yet: make rootfs"
fi

if [ -e /.dockerenv ] || [ -e /run/.containerenv ]; then
	say warn "inside a container" "yes: nesting needs a privileged outer container"
else
	say ok "inside a container" "no"
fi
