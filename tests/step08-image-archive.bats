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
	printf '[{"Config":"%s.json","RepoTags":["docker.io/library/loadme:v1"],"Layers":["one/layer.tar","two/layer.tar","three/layer.tar"]}]' \
		"$c" >"$d/manifest.json"
	tar -C "$d" -cf "$1" manifest.json "$c.json" one two three
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
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1,"annotations":{"org.opencontainers.image.ref.name":"ocime:v2"}}]}' \
		"$man" >"$o/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$o/oci-layout"
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

# Nothing of a refused load: the same layers as before, no image, no staging.
layers_now() {
	ls "$STORE/layers" 2>/dev/null | sort
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
