#!/usr/bin/env bats
# Chapter 8 claims, images from the ecosystem: `minidock load` reads what
# `docker save` writes and OCI image layouts, verifies every blob's SHA-256
# with our own sha256.c, applies whiteouts and opaque directories, and makes
# the image config's Env, Entrypoint + Cmd, WorkingDir and User the image's
# defaults. The archives are built here by the test (tar, gzip, sha256sum);
# a tampered or hostile one is refused and leaves nothing.
bats_require_minimum_version 1.5.0
load helpers
load step08-common

# sha DATA-FILE: its SHA-256, by coreutils (the reference for ours).
sha() {
	sha256sum <"$1" | cut -d' ' -f1
}

# The layers every test archive has: the rootfs, then files, then whiteouts.
make_layers() {
	local c=$BATS_TEST_TMPDIR/content
	mkdir -p "$c/2/a" "$c/2/d/sub" "$c/2/work" "$c/3/a" "$c/3/d"
	tar -C "$ROOTFS" -cf "$BATS_TEST_TMPDIR/l1.tar" .
	echo keep >"$c/2/a/keep"
	echo gone >"$c/2/a/gone"
	echo old >"$c/2/d/old"
	echo deep >"$c/2/d/sub/deep"
	tar -C "$c/2" -cf "$BATS_TEST_TMPDIR/l2.tar" .
	: >"$c/3/a/.wh.gone"
	: >"$c/3/d/.wh..wh..opq"
	echo new >"$c/3/d/new"
	tar -C "$c/3" -cf "$BATS_TEST_TMPDIR/l3.tar" .
}

# The image config: what runs shows each default and each layer's effect.
SCRIPT='echo FOO=$FOO; pwd; id -u; test -e /a/gone || echo gone-hidden; test -e /d/old || echo old-hidden; ls /d; cat /a/keep'
image_config() {
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin:/usr/bin","FOO=bar"],'
	printf '"Entrypoint":["sh","-c"],"Cmd":["%s"],"WorkingDir":"/work","User":"1234:1234"},' "$SCRIPT"
	printf '"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s","sha256:%s"]}}' \
		"$(sha "$BATS_TEST_TMPDIR/l1.tar")" "$(sha "$BATS_TEST_TMPDIR/l2.tar")" \
		"$(sha "$BATS_TEST_TMPDIR/l3.tar")"
}

# docker_archive FILE: docker save's layout: manifest.json, HEX.json, ID/layer.tar.
docker_archive() {
	local d=$BATS_TEST_TMPDIR/docker c
	mkdir -p "$d/one" "$d/two" "$d/three"
	make_layers
	cp "$BATS_TEST_TMPDIR/l1.tar" "$d/one/layer.tar"
	cp "$BATS_TEST_TMPDIR/l2.tar" "$d/two/layer.tar"
	cp "$BATS_TEST_TMPDIR/l3.tar" "$d/three/layer.tar"
	image_config >"$d/config"
	c=$(sha "$d/config")
	mv "$d/config" "$d/$c.json"
	entry1=$(printf '{"Config":"%s.json","RepoTags":["docker.io/library/loadme:v1"],"Layers":["one/layer.tar","two/layer.tar","three/layer.tar"]}' "$c")
	echo "[$entry1]" >"$d/manifest.json"
	tar -C "$d" -cf "$1" manifest.json "$c.json" one two three
}

# A second image's own layer: a passwd naming its user, and a file /two.
layer_four() {
	local c=$BATS_TEST_TMPDIR/content/4
	mkdir -p "$c/etc"
	printf 'root:x:0:0:root:/root:/bin/sh\nloaduser:x:4321:4322::/:/bin/sh\n' >"$c/etc/passwd"
	printf 'root:x:0:\nloadgroup:x:4322:\n' >"$c/etc/group"
	echo two >"$c/two"
	tar -C "$c" -cf "$BATS_TEST_TMPDIR/l4.tar" .
}

# The second image: the first's bottom layer and layer four; its User by name.
SCRIPT2='echo FOO=$FOO; pwd; id -u; id -g; cat /two; test -e /a/keep || echo keep-absent'
second_config() {
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin:/usr/bin","FOO=baz"],'
	printf '"Cmd":["sh","-c","%s"],"WorkingDir":"/etc","User":"loaduser"},' "$SCRIPT2"
	printf '"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
		"$(sha "$BATS_TEST_TMPDIR/l1.tar")" "$(sha "$BATS_TEST_TMPDIR/l4.tar")"
}

# docker_two FILE: docker_archive's image, a second sharing its bottom layer
# file, and an untagged third repeating that layer above layer four.
docker_two() {
	local d=$BATS_TEST_TMPDIR/docker c2 c3
	docker_archive "$BATS_TEST_TMPDIR/first.tar"
	layer_four
	mkdir -p "$d/four"
	cp "$BATS_TEST_TMPDIR/l4.tar" "$d/four/layer.tar"
	second_config >"$d/config"
	c2=$(sha "$d/config")
	mv "$d/config" "$d/$c2.json"
	printf '{"config":{"Cmd":["echo","untagged"]},"rootfs":{"diff_ids":["sha256:%s","sha256:%s","sha256:%s"]}}' \
		"$(sha "$BATS_TEST_TMPDIR/l1.tar")" "$(sha "$BATS_TEST_TMPDIR/l4.tar")" \
		"$(sha "$BATS_TEST_TMPDIR/l1.tar")" >"$d/config"
	c3=$(sha "$d/config")
	mv "$d/config" "$d/$c3.json"
	untagged=${c3:0:12}
	printf '[%s,{"Config":"%s.json","RepoTags":["docker.io/library/second:v2"],"Layers":["one/layer.tar","four/layer.tar"]},{"Config":"%s.json","RepoTags":null,"Layers":["one/layer.tar","four/layer.tar","one/layer.tar"]}]' \
		"$entry1" "$c2" "$c3" >"$d/manifest.json"
	tar -C "$d" -cf "$1" .
}

# blob FILE: into the OCI layout's blobs/sha256/, printing its descriptor's digest.
blob() {
	local h
	h=$(sha "$1")
	mv "$1" "$BATS_TEST_TMPDIR/oci/blobs/sha256/$h"
	echo "sha256:$h"
}

# oci_archive FILE: an OCI image layout, gzip'd layers, named by an annotation.
oci_archive() {
	local o=$BATS_TEST_TMPDIR/oci l1 l2 l3 cfg man
	mkdir -p "$o/blobs/sha256"
	make_layers
	gzip -c "$BATS_TEST_TMPDIR/l1.tar" >"$BATS_TEST_TMPDIR/l1.gz"
	gzip -c "$BATS_TEST_TMPDIR/l2.tar" >"$BATS_TEST_TMPDIR/l2.gz"
	gzip -c "$BATS_TEST_TMPDIR/l3.tar" >"$BATS_TEST_TMPDIR/l3.gz"
	image_config >"$BATS_TEST_TMPDIR/cfg"
	l1=$(blob "$BATS_TEST_TMPDIR/l1.gz")
	l2=$(blob "$BATS_TEST_TMPDIR/l2.gz")
	l3=$(blob "$BATS_TEST_TMPDIR/l3.gz")
	cfg=$(blob "$BATS_TEST_TMPDIR/cfg")
	local gz=application/vnd.oci.image.layer.v1.tar+gzip
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":1},"layers":[{"mediaType":"%s","digest":"%s","size":1},{"mediaType":"%s","digest":"%s","size":1},{"mediaType":"%s","digest":"%s","size":1}]}' \
		"$cfg" $gz "$l1" $gz "$l2" $gz "$l3" >"$BATS_TEST_TMPDIR/man"
	man=$(blob "$BATS_TEST_TMPDIR/man")
	oci_l1=$l1
	oci_entry1=$(printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1,"annotations":{"org.opencontainers.image.ref.name":"ocime:v2"}}' "$man")
	echo "{\"schemaVersion\":2,\"manifests\":[$oci_entry1]}" >"$o/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$o/oci-layout"
	tar -C "$o" -cf "$1" oci-layout index.json blobs
}

# oci_two FILE: oci_archive's image and a second, sharing its bottom layer
# blob, behind a multi-platform index (another machine's manifest first,
# absent from the archive); a third top-level entry for another machine.
oci_two() {
	local o=$BATS_TEST_TMPDIR/oci cfg man inner arch absent
	local m=application/vnd.oci.image.manifest.v1+json i=application/vnd.oci.image.index.v1+json
	oci_archive "$BATS_TEST_TMPDIR/first.tar"
	layer_four
	gzip -c "$BATS_TEST_TMPDIR/l4.tar" >"$BATS_TEST_TMPDIR/l4.gz"
	oci_l4=$(blob "$BATS_TEST_TMPDIR/l4.gz")
	second_config >"$BATS_TEST_TMPDIR/cfg"
	cfg=$(blob "$BATS_TEST_TMPDIR/cfg")
	printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":1},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":1}]}' \
		$m "$cfg" "$oci_l1" "$oci_l4" >"$BATS_TEST_TMPDIR/man"
	man=$(blob "$BATS_TEST_TMPDIR/man")
	case $(uname -m) in
	aarch64) arch=arm64 ;;
	*) arch=amd64 ;;
	esac
	absent=sha256:$(printf '%064d' 0)
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":1,"platform":{"architecture":"s390x","os":"linux"}},{"mediaType":"%s","digest":"%s","size":1,"platform":{"architecture":"%s","os":"linux"}}]}' \
		$i $m "$absent" $m "$man" $arch >"$BATS_TEST_TMPDIR/inner"
	inner=$(blob "$BATS_TEST_TMPDIR/inner")
	printf '{"schemaVersion":2,"manifests":[%s,{"mediaType":"%s","digest":"%s","size":1,"annotations":{"io.containerd.image.name":"docker.io/library/ocitwo:latest","org.opencontainers.image.ref.name":"latest"}},{"mediaType":"%s","digest":"%s","size":1,"platform":{"architecture":"s390x","os":"linux"}}]}' \
		"$oci_entry1" $i "$inner" $m "$absent" >"$o/index.json"
	tar -C "$o" -cf "$1" oci-layout index.json blobs
}

# The run of a loaded image shows its defaults and its layers.
assert_image_runs() {
	run md run --rm --network none "$1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = FOO=bar ]
	[ "${lines[1]}" = /work ]
	[ "${lines[2]}" = 1234 ]
	[ "${lines[3]}" = gone-hidden ]
	[ "${lines[4]}" = old-hidden ]
	[ "${lines[5]}" = new ]
	[ "${lines[6]}" = keep ]
}

# The second image's run: its own defaults, its user by name from its own passwd.
assert_second_runs() {
	run md run --rm --network none "$1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = FOO=baz ]
	[ "${lines[1]}" = /etc ]
	[ "${lines[2]}" = 4321 ]
	[ "${lines[3]}" = 4322 ]
	[ "${lines[4]}" = two ]
	[ "${lines[5]}" = keep-absent ]
}

# Nothing of a refused load: the same layers as before, no image, no staging.
layers_now() {
	ls "$STORE/layers" 2>/dev/null | sort
}

images_now() {
	ls -A "$STORE/images" 2>/dev/null | sort
}

# layer_lines IMAGE: the layers its image file names, bottom first.
layer_lines() {
	awk '$1 == "layer" { print $2 }' "$STORE/images/$1"
}

@test "load: sha256.c agrees with FIPS 180-4's examples" {
	[ -x "$REPO/build/sha256-test" ] || skip "no build/sha256-test (make)"
	run "$REPO/build/sha256-test"
	[ "$status" -eq 0 ]
	[[ $output != *FAIL* ]]
}

@test "load: a docker save archive of three layers, with a whiteout and an opaque directory" {
	docker_archive "$T/docker.tar"
	run md load -i "$T/docker.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: loadme:v1" ]
	assert_image_runs loadme:v1
	md rmi loadme:v1
}

@test "load: an OCI image layout with gzip'd layers, from stdin" {
	oci_archive "$T/oci.tar"
	run md load <"$T/oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: ocime:v2" ]
	assert_image_runs ocime:v2
	md rmi ocime:v2
}

@test "load: every image of a docker save archive, a shared layer once, a User by name" {
	before=$(layers_now)
	docker_two "$BATS_TEST_TMPDIR/two.tar"
	run md load -i "$BATS_TEST_TMPDIR/two.tar"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Loaded image: loadme:v1" ]
	[ "${lines[1]}" = "Loaded image: second:v2" ]
	[ "${lines[2]}" = "Loaded image: $untagged" ]
	[ "${#lines[@]}" -eq 3 ]
	# one, two, three, four, and the third image's second copy of one
	[ "$(comm -13 <(echo "$before") <(layers_now) | wc -l)" -eq 5 ]
	[ "$(layer_lines loadme:v1 | head -n 1)" = "$(layer_lines second:v2 | head -n 1)" ]
	assert_image_runs loadme:v1
	assert_second_runs second:v2
	run md run --rm --network none "$untagged"
	[ "$status" -eq 0 ]
	[ "$output" = untagged ]
	# the shared layer stays while an image names it
	md rmi loadme:v1
	assert_second_runs second:v2
	md rmi second:v2
	md rmi "$untagged"
	[ "$(layers_now)" = "$before" ]
}

@test "load: every image of an OCI archive, by ref name, a multi-platform one for this machine" {
	before=$(layers_now)
	oci_two "$BATS_TEST_TMPDIR/two.tar"
	run md load <"$BATS_TEST_TMPDIR/two.tar"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Loaded image: ocime:v2" ]
	[ "${lines[1]}" = "Loaded image: ocitwo:latest" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(comm -13 <(echo "$before") <(layers_now) | wc -l)" -eq 4 ]
	assert_image_runs ocime:v2
	assert_second_runs ocitwo:latest
	md rmi ocime:v2
	md rmi ocitwo:latest
	[ "$(layers_now)" = "$before" ]
}

@test "load: a bad second image (a tampered layer, a missing blob) leaves neither image" {
	before=$(layers_now)
	images=$(images_now)
	docker_two "$BATS_TEST_TMPDIR/two.tar"
	d=$BATS_TEST_TMPDIR/docker
	printf 'KEEP' | dd of="$d/four/layer.tar" bs=1 seek=600 conv=notrunc 2>/dev/null
	tar -C "$d" -cf "$BATS_TEST_TMPDIR/bad.tar" .
	run --separate-stderr md load -i "$BATS_TEST_TMPDIR/bad.tar"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[[ $stderr == *four/layer.tar*sha256* ]]
	[ "$(images_now)" = "$images" ]
	[ "$(layers_now)" = "$before" ]
	[ -z "$(ls -d "$STORE"/load-* 2>/dev/null)" ]
	# an OCI archive whose second image's own layer is missing
	oci_two "$BATS_TEST_TMPDIR/oci.tar"
	rm "$BATS_TEST_TMPDIR/oci/blobs/sha256/${oci_l4#sha256:}"
	tar -C "$BATS_TEST_TMPDIR/oci" -cf "$BATS_TEST_TMPDIR/bad-oci.tar" oci-layout index.json blobs
	run --separate-stderr md load -i "$BATS_TEST_TMPDIR/bad-oci.tar"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[[ $stderr == *${oci_l4#sha256:}* ]]
	[ "$(images_now)" = "$images" ]
	[ "$(layers_now)" = "$before" ]
	# NAME renames only an archive's only image
	run --separate-stderr md load -i "$BATS_TEST_TMPDIR/two.tar" renamed
	[ "$status" -ne 0 ]
	assert_one_line_error
	[ "$(images_now)" = "$images" ]
	[ "$(layers_now)" = "$before" ]
	[ -z "$(ls -d "$STORE"/load-* 2>/dev/null)" ]
}

@test "load: a tampered blob is refused and leaves nothing" {
	before=$(layers_now)
	docker_archive "$T/docker.tar"
	# one byte of the second layer, inside the archive
	d=$BATS_TEST_TMPDIR/docker
	printf 'KEEP' | dd of="$d/two/layer.tar" bs=1 seek=600 conv=notrunc 2>/dev/null
	tar -C "$d" -cf "$T/bad.tar" manifest.json $(cd "$d" && ls *.json | grep -v manifest) one two three
	run --separate-stderr md load -i "$T/bad.tar"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[[ $stderr == *sha256* ]]
	[ ! -e "$STORE/images/loadme:v1" ]
	[ "$(layers_now)" = "$before" ]
	[ -z "$(ls -d "$STORE"/load-* 2>/dev/null)" ]
	# and in an OCI layout: a blob whose bytes are not its name's digest
	oci_archive "$T/oci.tar"
	b=$(ls "$BATS_TEST_TMPDIR/oci/blobs/sha256" | head -n 1)
	echo x >>"$BATS_TEST_TMPDIR/oci/blobs/sha256/$b"
	tar -C "$BATS_TEST_TMPDIR/oci" -cf "$T/bad-oci.tar" oci-layout index.json blobs
	run --separate-stderr md load -i "$T/bad-oci.tar"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[ "$(layers_now)" = "$before" ]
}

@test "load: hostile archives (a path out, a symlinked blob, bad JSON) are refused and leave nothing" {
	before=$(layers_now)
	d=$BATS_TEST_TMPDIR/h
	mkdir -p "$d"
	printf '[{"Config":"../../../../etc/passwd","Layers":["x/layer.tar"]}]' >"$d/manifest.json"
	tar -C "$d" -cf "$T/out.tar" manifest.json
	run --separate-stderr md load -i "$T/out.tar"
	[ "$status" -ne 0 ]
	assert_one_line_error
	ln -s /etc/passwd "$d/c.json"
	printf '[{"Config":"c.json","Layers":["c.json"]}]' >"$d/manifest.json"
	tar -C "$d" -cf "$T/link.tar" manifest.json c.json
	run --separate-stderr md load -i "$T/link.tar"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[[ $stderr == *c.json* ]]
	printf '[{"Config": ' >"$d/manifest.json"
	tar -C "$d" -cf "$T/json.tar" manifest.json
	run --separate-stderr md load -i "$T/json.tar"
	[ "$status" -ne 0 ]
	assert_one_line_error
	[ "$(layers_now)" = "$before" ]
	[ -z "$(ls -d "$STORE"/load-* 2>/dev/null)" ]
}

@test "save: an OCI archive whose blobs are their digests, and that loads back the same" {
	docker_archive "$T/docker.tar"
	md load -i "$T/docker.tar"
	md save loadme:v1 >"$T/saved.tar"
	x=$BATS_TEST_TMPDIR/saved
	mkdir -p "$x"
	tar -C "$x" -xf "$T/saved.tar"
	[ -f "$x/oci-layout" ]
	grep -q '"org.opencontainers.image.ref.name":"loadme:v1"' "$x/index.json"
	n=0
	for b in "$x"/blobs/sha256/*; do
		[ "$(sha "$b")" = "$(basename "$b")" ]
		n=$((n + 1))
	done
	[ "$n" -eq 5 ] # three layers, the config, the manifest
	md load -i "$T/saved.tar" again
	assert_image_runs again
	md rmi again
	md rmi loadme:v1
}
