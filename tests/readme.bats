#!/usr/bin/env bats
# Every command a README shows runs as written and prints what the README
# shows: tests/tools/readme.sh runs the README's ```console blocks in one
# bash session from the repository root (the contract is at its top).
# One test per README; README=step02-pid/README.md bats tests/readme.bats
# runs just that one.
#
# The READMEs need the chapters built and the rootfs made (make all rootfs).

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# check FILE: run FILE's console blocks (unless README picks another file).
check() {
	if [ -n "${README:-}" ] && [ "${README#./}" != "$1" ]; then
		skip "README=$README picks another file"
	fi
	[ -x "$REPO/build/rootfs/bin/probe" ] || skip "no rootfs (run 'make all rootfs')"
	bash "$REPO/tests/tools/readme.sh" "$1"
}

@test "README.md: its console blocks run as shown" { check README.md; }
@test "step01-uts/README.md: its console blocks run as shown" { check step01-uts/README.md; }
@test "step02-pid/README.md: its console blocks run as shown" { check step02-pid/README.md; }
@test "step03-mnt/README.md: its console blocks run as shown" { check step03-mnt/README.md; }
@test "step04-cgroups/README.md: its console blocks run as shown" { check step04-cgroups/README.md; }
@test "step05-overlay/README.md: its console blocks run as shown" { check step05-overlay/README.md; }
@test "step06-net/README.md: its console blocks run as shown" { check step06-net/README.md; }
@test "step07-userns/README.md: its console blocks run as shown" { check step07-userns/README.md; }
@test "step08-full/README.md: its console blocks run as shown" { check step08-full/README.md; }
@test "tests/vm/README.md: its console blocks run as shown" { check tests/vm/README.md; }

# A README added later must get its test above.
@test "every README has a test here" {
	[ -z "${README:-}" ] || skip "README=$README picks one file"
	local f missing=
	cd "$REPO"
	for f in $(git ls-files '*README.md' 2>/dev/null || find . -name README.md -not -path './build/*'); do
		f=${f#./}
		grep -q "check $f;" "$BATS_TEST_FILENAME" || missing="$missing $f"
	done
	[ -z "$missing" ] || { echo "no test in tests/readme.bats for:$missing"; return 1; }
}
