#!/bin/sh
# Installs the container engines that tests/engines/*.bats drive minidock-oci
# through (Debian's podman, containerd and docker.io), without starting any of
# their services: a policy-rc.d that answers 101 ("action forbidden", see
# /usr/share/doc/init-system-helpers/README.policy-rc.d) stops invoke-rc.d
# during the install. Ours is removed afterwards; one the host had stays.
set -eu

want=""
for pkg in podman containerd docker.io runc; do
	dpkg -s "$pkg" >/dev/null 2>&1 || want="$want $pkg"
done
[ -n "$want" ] || exit 0

policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	ours=1
fi
cleanup() { [ -z "$ours" ] || rm -f "$policy"; }
trap cleanup EXIT

apt-get update -qq
# shellcheck disable=SC2086 # $want is a list of package names
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $want
