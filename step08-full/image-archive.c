/*
 * image-archive.c: `minidock load [-i FILE|-] [NAME]`, images from the
 * ecosystem: what `docker save` writes (manifest.json, a config, one tar
 * per layer) and OCI image layouts (oci-layout, index.json, blobs/sha256/),
 * every image the archive holds.
 *
 * The archive is hostile until proven otherwise. It is unpacked by
 * import.c's careful extractor into a staging directory of the store; every
 * file named by a manifest is opened beneath it without following a
 * symlink (openat2(2) RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS); every blob's
 * SHA-256 (sha256.c) must be the digest its manifest names, before any of
 * it becomes a layer. Then each layer, bottom first, is extracted by
 * import.c (gzip or plain), and its whiteouts become overlayfs's: ".wh.NAME"
 * a character device 0:0 named NAME, ".wh..wh..opq" the directory's
 * trusted.overlay.opaque xattr (overlayfs's documentation). The image
 * config's Env, Entrypoint + Cmd, WorkingDir and User become the image's
 * defaults. A layer file several images name is checked and extracted
 * once, and their image files share its layer. Every image is planned and
 * every blob checked before the first layer is made; any failure removes
 * everything the load made, of every image.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "json.h"
#include "minidock.h"
#include "sha256.h"

#define MAX_ARCHIVE_LAYERS 32  /* of one image */
#define MAX_ARCHIVE_IMAGES 64  /* names in one archive */
#define MAX_ARCHIVE_BLOBS 256  /* distinct layer files in one archive */

/* What one manifest says, checked: files beneath the staging directory and their digests. */
struct manifest {
	char config[PATH_MAX];             /* relative to the staging directory */
	char config_digest[65];            /* "" when the file's name is not its digest */
	char layers[MAX_ARCHIVE_LAYERS][PATH_MAX];
	char layer_digests[MAX_ARCHIVE_LAYERS][65]; /* of the file, or "" (docker: diff_ids) */
	size_t n_layers;
};

/* A layer file of the archive, however many images name it: checked and extracted once. */
struct blob {
	char *path;        /* relative to the staging directory */
	char hex[65];      /* the SHA-256 its manifest or its image's config says */
	char layer_id[65]; /* its layer in the store, once made */
	int lock;          /* that layer's flock(2) (store.c), held until its images are published */
};

/* One image of the archive, under one name. */
struct plan {
	char name[256];
	char config_digest[65];
	size_t blobs[MAX_ARCHIVE_LAYERS]; /* indices into the archive's blobs, bottom first */
	size_t n_layers;
	char *defaults;                   /* its image file's cmd, env, workdir and user lines */
	int published;                    /* its image file is in the store */
};

/* The whole load: what the archive holds, and what was made of it (undone on failure). */
struct archive {
	char staging[PATH_MAX];
	struct plan images[MAX_ARCHIVE_IMAGES];
	size_t n_images;
	struct blob blobs[MAX_ARCHIVE_BLOBS];
	size_t n_blobs;
};

static int load_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int load_error(const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* Names from the file may hold control characters: the error stays one line. */
	for (char *c = what; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	fprintf(stderr, "%s: load: %s\n", PROG, what);
	return -1;
}

/* ---- files beneath the staging directory ---- */

/* A regular file beneath DIR, reached without a symlink or "..": 0, or a one-line error. */
static int check_member(const char *dir, const char *name)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					  RESOLVE_NO_MAGICLINKS};
	struct stat st;
	int root, fd;

	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return load_error("open %s: %s", dir, strerror(errno));
	fd = (int)syscall(SYS_openat2, root, name, &how, sizeof(how));
	close(root);
	if (fd < 0)
		return load_error("%s: %s (a missing file, a symlink, or outside the archive)",
				  name, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return load_error("%s: not a regular file", name);
	}
	close(fd);
	return 0;
}

static struct json *read_member_json(const char *dir, const char *name)
{
	char path[PATH_MAX * 2], err[256];
	struct json *j;

	if (check_member(dir, name) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	j = json_parse_file(path, err, sizeof(err));
	if (!j)
		load_error("%s: %s", name, err);
	return j;
}

/* "sha256:HEX": the 64 hex digits, or -1 (another algorithm, or not hex). */
static int parse_digest(const char *digest, char hex[65])
{
	if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest + 7) != 64 ||
	    strspn(digest + 7, "0123456789abcdef") != 64)
		return load_error("bad digest %s (want sha256:<64 hex digits>)",
				  digest ? digest : "(none)");
	memcpy(hex, digest + 7, 65);
	return 0;
}

/* The member's SHA-256 must be HEX: the blob is the one the manifest names. */
static int verify(const char *dir, const char *name, const char *hex)
{
	char path[PATH_MAX * 2], got[65];

	if (check_member(dir, name) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sha256_file(path, got) < 0)
		return load_error("read %s: %s", name, strerror(errno));
	if (strcmp(got, hex))
		return load_error("%s: sha256 is %s, the manifest says %s: refusing a tampered "
				  "or damaged archive", name, got, hex);
	return 0;
}

/* ---- docker save: manifest.json ---- */

static const char *string_of(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->str : NULL;
}

/* A path in the archive named for its digest (blobs/sha256/HEX, HEX.json): HEX, else "". */
static void digest_from_name(const char *name, char hex[65])
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;

	hex[0] = 0;
	if (strspn(base, "0123456789abcdef") == 64 && (!base[64] || !strcmp(base + 64, ".json")))
		snprintf(hex, 65, "%.64s", base);
}

/* "docker.io/library/busybox:latest" -> "busybox:latest": our names have no '/'. */
static void image_name_from(const char *ref, char *out, size_t len)
{
	const char *slash = strrchr(ref, '/');

	snprintf(out, len, "%s", slash ? slash + 1 : ref);
}


/* ---- the image config ---- */

/* A value for the image file's "key value" lines: no newline may split one. */
static int add_line(char *text, size_t len, size_t *used, const char *key, const char *value)
{
	if (strchr(value, '\n'))
		return load_error("image config: %s value with a newline", key);
	*used += (size_t)snprintf(text + *used, *used < len ? len - *used : 0, "%s %s\n", key,
				  value);
	if (*used >= len)
		return load_error("image config too large");
	return 0;
}

static int add_strings(char *text, size_t len, size_t *used, const char *key,
		       const struct json *list)
{
	for (const struct json *e = list && list->type == JSON_ARRAY ? list->child : NULL; e;
	     e = e->next)
		if (!string_of(e) || add_line(text, len, used, key, e->str) < 0)
			return -1;
	return 0;
}

/*
 * The config's defaults as the image file's lines, as `import` writes
 * them: Entrypoint and Cmd become one command (what `docker run IMAGE`
 * runs); User is kept (a "user" line) for run to apply, by name or number.
 */
static char *defaults_text(const struct json *config)
{
	static char text[65536];
	const struct json *c = json_get(config, "config");
	const char *workdir = string_of(json_get(c, "WorkingDir"));
	const char *user = string_of(json_get(c, "User"));
	size_t used = 0;
	char *copy;

	text[0] = 0;
	if (add_strings(text, sizeof(text), &used, "cmd", json_get(c, "Entrypoint")) < 0 ||
	    add_strings(text, sizeof(text), &used, "cmd", json_get(c, "Cmd")) < 0 ||
	    add_strings(text, sizeof(text), &used, "env", json_get(c, "Env")) < 0 ||
	    (workdir && workdir[0] && add_line(text, sizeof(text), &used, "workdir", workdir) < 0) ||
	    (user && user[0] && add_line(text, sizeof(text), &used, "user", user) < 0))
		return NULL;
	copy = strdup(text);
	if (!copy)
		load_error("%s", strerror(errno));
	return copy;
}

/* The config, checked against its digest (or hashed for one: an unnamed image is named by it). */
static struct json *read_config(const char *dir, struct manifest *m)
{
	char path[PATH_MAX * 2];
	struct json *config;

	if (m->config_digest[0]) {
		if (verify(dir, m->config, m->config_digest) < 0)
			return NULL;
	} else {
		if (check_member(dir, m->config) < 0)
			return NULL;
		snprintf(path, sizeof(path), "%s/%s", dir, m->config);
		if (sha256_file(path, m->config_digest) < 0) {
			load_error("read %s: %s", m->config, strerror(errno));
			return NULL;
		}
	}
	config = read_member_json(dir, m->config);
	if (config && config->type != JSON_OBJECT) {
		load_error("%s: not an image config", m->config);
		json_free(config);
		return NULL;
	}
	return config;
}

/*
 * The archive's blob for PATH with digest HEX that image P does not hold
 * yet, or a new one: overlayfs refuses one directory twice among a
 * mount's lower layers (ELOOP, "conflicting lowerdir path"), so a layer
 * repeated within one image gets a layer of its own.
 */
static int find_blob(struct archive *a, const struct plan *p, const char *path, const char *hex,
		     size_t *index)
{
	struct blob *b;

	for (size_t i = 0; i < a->n_blobs; i++) {
		int held = 0;
		if (strcmp(a->blobs[i].path, path) || strcmp(a->blobs[i].hex, hex))
			continue;
		for (size_t j = 0; j < p->n_layers; j++)
			held |= p->blobs[j] == i;
		if (!held) {
			*index = i;
			return 0;
		}
	}
	if (a->n_blobs >= MAX_ARCHIVE_BLOBS)
		return load_error("more than %d layer files", MAX_ARCHIVE_BLOBS);
	b = &a->blobs[a->n_blobs];
	b->path = strdup(path);
	if (!b->path)
		return load_error("%s", strerror(errno));
	memcpy(b->hex, hex, 65);
	b->layer_id[0] = 0;
	b->lock = -1;
	*index = a->n_blobs++;
	return 0;
}

/*
 * Each layer's digest: the one in its name (OCI blobs), else the config's
 * diff_ids (docker save's uncompressed layer.tar files). Nothing is read yet.
 */
static int add_layers(struct archive *a, struct plan *p, const struct manifest *m,
		      const struct json *config)
{
	const struct json *ids = json_get(json_get(config, "rootfs"), "diff_ids");
	const struct json *id = ids && ids->type == JSON_ARRAY ? ids->child : NULL;
	char hex[65];

	for (size_t i = 0; i < m->n_layers; i++, id = id ? id->next : NULL) {
		if (m->layer_digests[i][0])
			memcpy(hex, m->layer_digests[i], 65);
		else if (!id || parse_digest(string_of(id), hex) < 0)
			return load_error("%s: no digest to check it against (rootfs.diff_ids)",
					  m->layers[i]);
		if (find_blob(a, p, m->layers[i], hex, &p->blobs[i]) < 0)
			return -1;
		p->n_layers = i + 1;
	}
	return 0;
}

/* The image a manifest describes, still unnamed: its index, or -1. */
static int add_image(struct archive *a, const char *dir, struct manifest *m)
{
	struct plan *p = &a->images[a->n_images];
	struct json *config;
	int ret = -1;

	if (a->n_images >= MAX_ARCHIVE_IMAGES)
		return load_error("more than %d images", MAX_ARCHIVE_IMAGES);
	config = read_config(dir, m);
	if (!config)
		return -1;
	memset(p, 0, sizeof(*p));
	memcpy(p->config_digest, m->config_digest, 65);
	p->defaults = defaults_text(config);
	if (p->defaults && add_layers(a, p, m, config) == 0)
		ret = (int)a->n_images++;
	else
		free(p->defaults);
	json_free(config);
	return ret;
}

/* Image I gets the name REF; an image named already is copied under the new one (a tag). */
static int name_image(struct archive *a, int i, const char *ref)
{
	struct plan *p = &a->images[i], *copy;

	if (p->name[0]) {
		if (a->n_images >= MAX_ARCHIVE_IMAGES)
			return load_error("more than %d images", MAX_ARCHIVE_IMAGES);
		copy = &a->images[a->n_images];
		*copy = *p;
		copy->defaults = strdup(p->defaults);
		if (!copy->defaults)
			return load_error("%s", strerror(errno));
		a->n_images++;
		p = copy;
	}
	image_name_from(ref, p->name, sizeof(p->name));
	return 0;
}

/* ---- docker save: manifest.json, one entry per image ---- */

static void manifest_clear(struct manifest *m)
{
	m->config[0] = m->config_digest[0] = 0;
	m->n_layers = 0;
}

static int read_docker_entry(const struct json *entry, struct manifest *m)
{
	const char *config = string_of(json_get(entry, "Config"));
	const struct json *layers = json_get(entry, "Layers");

	if (!config || !layers || layers->type != JSON_ARRAY || !layers->child)
		return load_error("manifest.json: want [{\"Config\": ..., \"Layers\": [...]}, ...]");
	manifest_clear(m);
	snprintf(m->config, sizeof(m->config), "%s", config);
	digest_from_name(config, m->config_digest);
	for (const struct json *l = layers->child; l; l = l->next) {
		if (!string_of(l) || m->n_layers >= MAX_ARCHIVE_LAYERS)
			return load_error("manifest.json: Layers: want at most %d file names",
					  MAX_ARCHIVE_LAYERS);
		snprintf(m->layers[m->n_layers], PATH_MAX, "%s", l->str);
		digest_from_name(l->str, m->layer_digests[m->n_layers]);
		m->n_layers++;
	}
	return 0;
}

/* Every entry, under each of its RepoTags (an entry without one is named later). */
static int plan_docker(const char *dir, struct archive *a)
{
	static struct manifest m;
	struct json *list = read_member_json(dir, "manifest.json");
	int ret = -1, i;

	if (!list)
		return -1;
	if (list->type != JSON_ARRAY || !list->child) {
		load_error("manifest.json: want [{\"Config\": ..., \"Layers\": [...]}, ...]");
		goto out;
	}
	for (const struct json *e = list->child; e; e = e->next) {
		const struct json *tags = json_get(e, "RepoTags");
		if (read_docker_entry(e, &m) < 0 || (i = add_image(a, dir, &m)) < 0)
			goto out;
		for (const struct json *t = tags && tags->type == JSON_ARRAY ? tags->child : NULL; t;
		     t = t->next)
			if (!string_of(t) || name_image(a, i, t->str) < 0)
				goto out;
	}
	ret = 0;
out:
	json_free(list);
	return ret;
}

/* ---- OCI image layout: index.json -> manifests -> config and layers ---- */

static int blob_path(const char *digest, char *out, size_t len, char hex[65])
{
	if (parse_digest(digest, hex) < 0)
		return -1;
	snprintf(out, len, "blobs/sha256/%s", hex);
	return 0;
}

/* A verified blob's JSON. */
static struct json *read_blob_json(const char *dir, const char *digest)
{
	char path[PATH_MAX], hex[65];

	if (blob_path(digest, path, sizeof(path), hex) < 0 || verify(dir, path, hex) < 0)
		return NULL;
	return read_member_json(dir, path);
}

static const char *manifest_media(const struct json *desc)
{
	const char *t = string_of(json_get(desc, "mediaType"));

	return t ? t : "";
}

/* A descriptor for this machine: one with our architecture, or without one. */
static int for_this_machine(const struct json *desc)
{
#if defined(__x86_64__)
	const char *arch = "amd64";
#else
	const char *arch = "arm64";
#endif
	const char *a = string_of(json_get(json_get(desc, "platform"), "architecture"));

	return !a || !strcmp(a, arch);
}

/* A multi-platform index's manifest for this machine: the first that fits. */
static const struct json *pick_manifest(const struct json *index)
{
	const struct json *list = json_get(index, "manifests");

	for (const struct json *d = list ? list->child : NULL; d; d = d->next)
		if (for_this_machine(d))
			return d;
	return NULL;
}

static int read_oci_layers(const struct json *manifest, struct manifest *m)
{
	const struct json *layers = json_get(manifest, "layers");
	char hex[65];

	if (!layers || layers->type != JSON_ARRAY || !layers->child)
		return load_error("manifest: no layers");
	for (const struct json *l = layers->child; l; l = l->next) {
		const char *media = manifest_media(l);
		if (m->n_layers >= MAX_ARCHIVE_LAYERS)
			return load_error("more than %d layers", MAX_ARCHIVE_LAYERS);
		if (strstr(media, "zstd"))
			return load_error("%s: zstd layers are not supported (gzip or plain)", media);
		if (blob_path(string_of(json_get(l, "digest")), m->layers[m->n_layers], PATH_MAX,
			      hex) < 0)
			return -1;
		memcpy(m->layer_digests[m->n_layers++], hex, 65);
	}
	return 0;
}

/* An image's name: containerd's annotation (the whole reference), else the OCI ref name. */
static const char *ref_name(const struct json *desc)
{
	const struct json *annotations = json_get(desc, "annotations");
	const char *ref = string_of(json_get(annotations, "io.containerd.image.name"));

	return ref ? ref : string_of(json_get(annotations, "org.opencontainers.image.ref.name"));
}

/* One of index.json's manifests; one that is an index itself (multi-platform): one level down. */
static int add_oci_image(struct archive *a, const char *dir, const struct json *top)
{
	static struct manifest m;
	struct json *inner = NULL, *manifest = NULL;
	const struct json *desc = top;
	const char *ref;
	int ret = -1, i;

	if (strstr(manifest_media(top), "index")) {
		inner = read_blob_json(dir, string_of(json_get(top, "digest")));
		if (!inner)
			return -1;
		desc = pick_manifest(inner);
	}
	if (!desc) {
		load_error("%s: no manifest for this machine", string_of(json_get(top, "digest")));
		goto out;
	}
	manifest_clear(&m);
	manifest = read_blob_json(dir, string_of(json_get(desc, "digest")));
	if (!manifest ||
	    blob_path(string_of(json_get(json_get(manifest, "config"), "digest")), m.config,
		      sizeof(m.config), m.config_digest) < 0 ||
	    read_oci_layers(manifest, &m) < 0 || (i = add_image(a, dir, &m)) < 0)
		goto out;
	ref = ref_name(desc) ? ref_name(desc) : ref_name(top);
	ret = ref ? name_image(a, i, ref) : 0;
out:
	json_free(manifest);
	json_free(inner);
	return ret;
}

/* Every manifest of index.json for this machine (another machine's are left out). */
static int plan_oci(const char *dir, struct archive *a)
{
	struct json *index = read_member_json(dir, "index.json");
	const struct json *list;
	int ret = -1;

	if (!index)
		return -1;
	list = json_get(index, "manifests");
	for (const struct json *d = list && list->type == JSON_ARRAY ? list->child : NULL; d;
	     d = d->next)
		if (for_this_machine(d) && add_oci_image(a, dir, d) < 0)
			goto out;
	ret = a->n_images ? 0 : load_error("index.json: no manifest for this machine");
out:
	json_free(index);
	return ret;
}

/* ---- whiteouts ---- */

static int whiteout_failed;

/*
 * nftw(3) with FTW_CHDIR: we are in the entry's directory. ".wh.NAME"
 * becomes overlayfs's whiteout for NAME, ".wh..wh..opq" marks this
 * directory opaque: the lower layers' entries in it are hidden.
 */
static int convert_whiteout(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base, *target = base + 4;

	(void)st;
	if (type != FTW_F || strncmp(base, ".wh.", 4))
		return 0;
	if (unlink(base) < 0) {
		whiteout_failed = load_error("unlink %s: %s", path, strerror(errno));
		return 1;
	}
	if (!strcmp(base, ".wh..wh..opq")) {
		if (setxattr(".", "trusted.overlay.opaque", "y", 1, 0) < 0) {
			whiteout_failed = load_error("mark %s opaque: %s", path, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (!*target || !strcmp(target, ".") || !strcmp(target, "..") ||
	    mknod(target, S_IFCHR | 0600, makedev(0, 0)) < 0) {
		whiteout_failed = load_error("whiteout %s: %s", path,
					     *target ? strerror(errno) : "no name");
		return 1;
	}
	return 0;
}

static int convert_whiteouts(const char *layer)
{
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), ret;

	if (cwd < 0)
		return load_error("open .: %s", strerror(errno));
	whiteout_failed = 0;
	ret = nftw(layer, convert_whiteout, 16, FTW_PHYS | FTW_MOUNT | FTW_CHDIR);
	if (fchdir(cwd) < 0)
		ret = -1;
	close(cwd);
	return ret != 0 || whiteout_failed ? -1 : 0;
}


/* ---- names ---- */

static int name_is_free(const struct store *s, const char *name)
{
	char path[PATH_MAX];

	if (valid_name(name, "image") < 0 ||
	    snprintf(path, sizeof(path), "%s/images/%s", s->lib, name) >= (int)sizeof(path))
		return -1;
	if (access(path, F_OK) == 0)
		return load_error("image %s already exists (remove it with '%s rmi %s')", name,
				  PROG, name);
	return 0;
}

/*
 * Every image's name: NAME for an archive of one image; an image without
 * one gets what Docker shows as an untagged image's ID, its config
 * digest's first 12 hex digits. Each new to the store, and once in the archive.
 */
static int name_images(const struct store *s, struct archive *a, const char *name)
{
	if (name && a->n_images != 1)
		return load_error("NAME renames an archive's only image; this one holds %zu",
				  a->n_images);
	for (size_t i = 0; i < a->n_images; i++) {
		struct plan *p = &a->images[i];
		if (name)
			snprintf(p->name, sizeof(p->name), "%s", name);
		if (!p->name[0])
			snprintf(p->name, sizeof(p->name), "%.12s", p->config_digest);
		if (name_is_free(s, p->name) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(a->images[j].name, p->name))
				return load_error("the archive names image %s twice", p->name);
	}
	return 0;
}

/* ---- the store ---- */

/* Every layer file, each once, before any layer is made. */
static int verify_blobs(const struct archive *a)
{
	for (size_t i = 0; i < a->n_blobs; i++)
		if (verify(a->staging, a->blobs[i].path, a->blobs[i].hex) < 0)
			return -1;
	return 0;
}

/*
 * Each layer file once, as a layer of the store, flock(2)ed as import's
 * are: prune leaves a layer alone while its maker holds the lock.
 */
static int extract_layers(const struct store *s, struct archive *a)
{
	char layers[PATH_MAX], layer[PATH_MAX], src[PATH_MAX * 2], id[65];

	if (join_path(layers, sizeof(layers), s->lib, "layers") < 0 || make_dirs(layers, 0700) < 0)
		return -1;
	for (size_t i = 0; i < a->n_blobs; i++) {
		struct blob *b = &a->blobs[i];
		if (new_id(id) < 0 || join_path(layer, sizeof(layer), layers, id) < 0 ||
		    make_dir(layer, 0755) < 0)
			return -1;
		memcpy(b->layer_id, id, sizeof(id));
		snprintf(src, sizeof(src), "%s/%s", a->staging, b->path);
		if ((b->lock = layer_lock(layer, 1)) < 0 || import_tar(src, layer) < 0 ||
		    convert_whiteouts(layer) < 0)
			return -1;
	}
	return 0;
}

/*
 * Image I's file, as `import` writes it: its name, its layers bottom
 * first, its defaults. Written aside, then link(2)ed to its name, which
 * fails with EEXIST where rename(2) would replace an image made meanwhile.
 */
static int publish(const struct store *s, struct archive *a, size_t i)
{
	static char text[65536 + 512 + MAX_ARCHIVE_LAYERS * 72];
	struct plan *p = &a->images[i];
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	size_t used = 0;
	int ret = 0;

	if (add_line(text, sizeof(text), &used, "name", p->name) < 0)
		return -1;
	for (size_t j = 0; j < p->n_layers; j++)
		if (add_line(text, sizeof(text), &used, "layer", a->blobs[p->blobs[j]].layer_id) < 0)
			return -1;
	if (snprintf(text + used, sizeof(text) - used, "%s", p->defaults) >=
		    (int)(sizeof(text) - used) ||
	    join_path(dir, sizeof(dir), s->lib, "images") < 0 || make_dirs(dir, 0700) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s-%zu.tmp", dir, strrchr(a->staging, '/') + 1, i) >=
		    (int)sizeof(tmp) ||
	    join_path(path, sizeof(path), dir, p->name) < 0)
		return load_error("%s: path too long", p->name);
	if (write_file(tmp, text) < 0) {
		unlink(tmp);
		return -1;
	}
	if (link(tmp, path) < 0)
		ret = errno == EEXIST ? load_error("image %s already exists (remove it with '%s rmi "
						   "%s')", p->name, PROG, p->name)
				      : load_error("link %s to %s: %s", tmp, path, strerror(errno));
	else
		p->published = 1;
	unlink(tmp);
	return ret;
}

/* A failed load: the image files it published, then the layers it made. */
static void undo(const struct store *s, const struct archive *a)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < a->n_images; i++)
		if (a->images[i].published &&
		    snprintf(path, sizeof(path), "%s/images/%s", s->lib, a->images[i].name) <
			    (int)sizeof(path))
			unlink(path);
	for (size_t i = 0; i < a->n_blobs; i++)
		if (a->blobs[i].layer_id[0] &&
		    snprintf(path, sizeof(path), "%s/layers/%s", s->lib, a->blobs[i].layer_id) <
			    (int)sizeof(path))
			remove_tree(path);
}

static void release(struct archive *a)
{
	for (size_t i = 0; i < a->n_blobs; i++) {
		if (a->blobs[i].lock >= 0)
			close(a->blobs[i].lock);
		free(a->blobs[i].path);
	}
	for (size_t i = 0; i < a->n_images; i++)
		free(a->images[i].defaults);
}

/* The archive, unpacked beneath the store (never /tmp: layers can be large). */
static int unpack(const struct store *s, const char *file, char staging[PATH_MAX])
{
	char id[65];

	if (new_id(id) < 0 || make_dirs(s->lib, 0700) < 0 ||
	    snprintf(staging, PATH_MAX, "%s/load-%.12s", s->lib, id) >= PATH_MAX)
		return -1;
	if (make_dir(staging, 0700) < 0) {
		staging[0] = 0;
		return -1;
	}
	return import_tar(strcmp(file, "-") ? file : "/dev/stdin", staging);
}

static int load(const struct store *s, const char *file, const char *name)
{
	static struct archive a;
	char path[PATH_MAX + 16];
	int ret = -1;

	memset(&a, 0, sizeof(a));
	if (name && name_is_free(s, name) < 0)
		return -1;
	if (unpack(s, file, a.staging) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/manifest.json", a.staging);
	if ((access(path, F_OK) == 0 ? plan_docker(a.staging, &a) : plan_oci(a.staging, &a)) < 0 ||
	    name_images(s, &a, name) < 0 || verify_blobs(&a) < 0 || extract_layers(s, &a) < 0)
		goto out;
	for (size_t i = 0; i < a.n_images; i++)
		if (publish(s, &a, i) < 0)
			goto out;
	for (size_t i = 0; i < a.n_images; i++)
		printf("Loaded image: %s\n", a.images[i].name);
	ret = 0;
out:
	if (ret < 0)
		undo(s, &a);
	release(&a);
	if (a.staging[0])
		remove_tree(a.staging);
	return ret;
}

int cmd_load(const struct store *s, int argc, char **argv)
{
	static const struct option options[] = {
		{"input", required_argument, NULL, 'i'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},        {0},
	};
	const char *file = "-";
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:i:qh", options, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: %s load [-i FILE|-] [NAME]\n"
			       "Load every image of a docker save or OCI archive (stdin by default);\n"
			       "NAME renames an archive's only image.\n",
			       PROG);
			return 0;
		}
		if (opt == 'i')
			file = optarg;
		else if (opt != 'q') {
			fprintf(stderr, "%s: load: bad option '%s'\n", PROG, argv[optind - 1]);
			return EXIT_TOOL;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: %s load [-i FILE|-] [NAME]\n", PROG);
		return EXIT_TOOL;
	}
	return load(s, file, argc > optind ? argv[optind] : NULL) < 0 ? EXIT_TOOL : 0;
}

/* ---- save: an OCI image layout, as one tar ---- */

/* Where a tar goes, hashed as it is written (the layer's digest is its diff_id). */
struct tar_out {
	int fd;
	struct sha256 hash;
};

static int out_write(struct tar_out *o, const void *buf, size_t len)
{
	const char *p = buf;

	sha256_update(&o->hash, buf, len);
	while (len) {
		ssize_t n = write(o->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return load_error("write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int out_pad(struct tar_out *o, long long size)
{
	static const char zeros[512];
	size_t n = (size_t)((512 - size % 512) % 512);

	return n ? out_write(o, zeros, n) : 0;
}

/* One pax record, "LEN key=value\n", where LEN counts itself. */
static size_t pax_record(char *out, size_t len, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, total = body + 1;

	while (total != body + (size_t)snprintf(NULL, 0, "%zu", total))
		total = body + (size_t)snprintf(NULL, 0, "%zu", total);
	return (size_t)snprintf(out, len, "%zu %s=%s\n", total, key, value);
}

struct tar_entry {
	const char *name, *link;
	char type;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	long long size, mtime;
};

static int write_header(struct tar_out *o, const struct tar_entry *e);

/* Names and link targets longer than ustar's 100 bytes go first, in a pax header. */
static int write_pax(struct tar_out *o, const struct tar_entry *e)
{
	static char records[2 * PATH_MAX + 64];
	size_t n = 0;
	struct tar_entry pax = {.name = "PaxHeader", .link = "", .type = 'x', .mode = 0644};

	if (strlen(e->name) >= 100)
		n += pax_record(records + n, sizeof(records) - n, "path", e->name);
	if (strlen(e->link) >= 100)
		n += pax_record(records + n, sizeof(records) - n, "linkpath", e->link);
	if (!n)
		return 0;
	pax.size = (long long)n;
	return write_header(o, &pax) < 0 || out_write(o, records, n) < 0 ? -1 : out_pad(o, pax.size);
}

static int write_header(struct tar_out *o, const struct tar_entry *e)
{
	unsigned char h[512] = {0};
	unsigned sum = 0;

	if (e->type != 'x' && write_pax(o, e) < 0)
		return -1;
	snprintf((char *)h, 100, "%s", e->name);
	snprintf((char *)h + 100, 8, "%07o", (unsigned)(e->mode & 07777));
	snprintf((char *)h + 108, 8, "%07o", (unsigned)e->uid & 07777777);
	snprintf((char *)h + 116, 8, "%07o", (unsigned)e->gid & 07777777);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)e->size);
	snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)e->mtime & 077777777777ULL);
	h[156] = (unsigned char)e->type;
	snprintf((char *)h + 157, 100, "%s", e->link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	/* The checksum counts its own field as eight spaces (POSIX, pax(1)). */
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	return out_write(o, h, sizeof(h));
}

static int write_file_data(struct tar_out *o, const char *path, long long size)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	long long left = size;
	ssize_t n;

	if (fd < 0)
		return load_error("open %s: %s", path, strerror(errno));
	while (left > 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (n > left)
			n = (ssize_t)left;
		if (out_write(o, buf, (size_t)n) < 0) {
			close(fd);
			return -1;
		}
		left -= n;
	}
	close(fd);
	if (left)
		return load_error("%s changed while being saved", path);
	return out_pad(o, size);
}

static struct tar_out *layer_out;
static size_t layer_prefix;
static int layer_failed;

/* The parent directory of an entry's name ("" at the top), for a whiteout's name. */
static void whiteout_name(const char *rel, char *out, size_t len)
{
	const char *slash = strrchr(rel, '/');

	if (slash)
		snprintf(out, len, "%.*s/.wh.%s", (int)(slash - rel), rel, slash + 1);
	else
		snprintf(out, len, ".wh.%s", rel);
}

/*
 * One entry of a layer directory, as a tar entry: overlayfs's whiteout (a
 * character device 0:0) back to ".wh.NAME", an opaque directory's xattr
 * to ".wh..wh..opq" inside it; hard links are saved as copies.
 */
static int save_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	static char rel[PATH_MAX + 16], name[PATH_MAX + 32], link[PATH_MAX];
	struct tar_entry e = {.name = name, .link = "", .mode = st->st_mode, .uid = st->st_uid,
			      .gid = st->st_gid, .mtime = st->st_mtim.tv_sec};
	char opaque[2];
	ssize_t n;

	(void)ftw;
	if (!path[layer_prefix])
		return 0; /* the layer itself */
	snprintf(rel, sizeof(rel), "%s", path + layer_prefix + 1);
	snprintf(name, sizeof(name), "%s", rel);
	if (type == FTW_D) {
		snprintf(name, sizeof(name), "%s/", rel);
		e.type = '5';
		if (write_header(layer_out, &e) < 0)
			goto fail;
		n = lgetxattr(path, "trusted.overlay.opaque", opaque, sizeof(opaque));
		if (n == 1 && opaque[0] == 'y') {
			struct tar_entry w = {.name = name, .link = "", .type = '0', .mode = 0644,
					      .mtime = e.mtime};
			snprintf(name, sizeof(name), "%s/.wh..wh..opq", rel);
			if (write_header(layer_out, &w) < 0)
				goto fail;
		}
		return 0;
	}
	if (type == FTW_SL) {
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			goto fail;
		link[n] = 0;
		e.link = link;
		e.type = '2';
		e.mode = 0777;
		return write_header(layer_out, &e) < 0 ? (layer_failed = 1) : 0;
	}
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
		whiteout_name(rel, name, sizeof(name));
		e.type = '0';
		e.mode = 0644;
		return write_header(layer_out, &e) < 0 ? (layer_failed = 1) : 0;
	}
	if (S_ISFIFO(st->st_mode)) {
		e.type = '6';
		return write_header(layer_out, &e) < 0 ? (layer_failed = 1) : 0;
	}
	if (!S_ISREG(st->st_mode)) {
		fprintf(stderr, "%s: save: warning: %s: not a file, directory or symlink, left out\n",
			PROG, rel);
		return 0;
	}
	e.type = '0';
	e.size = st->st_size;
	if (write_header(layer_out, &e) < 0 || write_file_data(layer_out, path, e.size) < 0)
		goto fail;
	return 0;
fail:
	layer_failed = 1;
	return 1;
}

/* Two zero blocks end a tar (pax(1)). */
static int end_tar(struct tar_out *o)
{
	static const char zeros[1024];

	return out_write(o, zeros, sizeof(zeros));
}

/* LAYER as a tar in FILE; its sha256 in hex. */
static int save_layer(const char *layer, const char *file, char hex[65])
{
	struct tar_out o;

	o.fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (o.fd < 0)
		return load_error("create %s: %s", file, strerror(errno));
	sha256_init(&o.hash);
	layer_out = &o;
	layer_prefix = strlen(layer);
	layer_failed = 0;
	if (nftw(layer, save_entry, 16, FTW_PHYS | FTW_MOUNT) != 0 || layer_failed ||
	    end_tar(&o) < 0) {
		close(o.fd);
		return load_error("save layer %s: %s", layer, layer_failed ? "failed" : strerror(errno));
	}
	sha256_hex(&o.hash, hex);
	return close(o.fd) < 0 ? load_error("close %s: %s", file, strerror(errno)) : 0;
}

/* A JSON document into the staging directory as a blob named by its digest. */
static int save_blob_text(const char *dir, const char *text, char hex[65])
{
	struct sha256 c;
	char path[PATH_MAX + 80];

	sha256_init(&c);
	sha256_update(&c, text, strlen(text));
	sha256_hex(&c, hex);
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	return write_file(path, text);
}

static void json_strings(FILE *f, const char *key, char *const *list, size_t n)
{
	fprintf(f, "\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "," : "", f);
		json_write_string(f, list[i]);
	}
	fputs("]", f);
}

/* The image config: the image's defaults, and the layers' digests bottom first. */
static char *config_text(const struct image *img, char diff_ids[][65], size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{", f);
	json_strings(f, "Env", img->env, img->n_env);
	fputs(",", f);
	json_strings(f, "Cmd", img->cmd, img->n_cmd);
	fputs(",\"WorkingDir\":", f);
	json_write_string(f, img->workdir);
	fputs(",\"User\":", f);
	json_write_string(f, img->user);
	fputs("},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"sha256:%s\"", i ? "," : "", diff_ids[i]);
	fputs("]}}", f);
	return fclose(f) == 0 ? text : NULL;
}

static char *manifest_text(const char *config_hex, long long config_size, char layers[][65],
			   const long long *sizes, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		   "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		   "\"digest\":\"sha256:%s\",\"size\":%lld},\"layers\":[", config_hex, config_size);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
			   "\"digest\":\"sha256:%s\",\"size\":%lld}", i ? "," : "", layers[i], sizes[i]);
	fputs("]}", f);
	return fclose(f) == 0 ? text : NULL;
}

/* The outer tar: oci-layout, index.json and every blob of the staging directory. */
static int write_outer(int fd, const char *staging, const char *index, char hexes[][65],
		       size_t n)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct tar_out o = {.fd = fd};
	char name[128], path[PATH_MAX + 80];
	struct tar_entry e = {.link = "", .type = '5', .mode = 0755, .mtime = 0};
	struct stat st;

	sha256_init(&o.hash);
	e.name = "oci-layout";
	e.type = '0';
	e.mode = 0644;
	e.size = (long long)strlen(layout);
	if (write_header(&o, &e) < 0 || out_write(&o, layout, strlen(layout)) < 0 ||
	    out_pad(&o, e.size) < 0)
		return -1;
	e.name = "index.json";
	e.size = (long long)strlen(index);
	if (write_header(&o, &e) < 0 || out_write(&o, index, strlen(index)) < 0 ||
	    out_pad(&o, e.size) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "blobs/sha256/%.64s", hexes[i]);
		snprintf(path, sizeof(path), "%s/%.64s", staging, hexes[i]);
		if (stat(path, &st) < 0)
			return load_error("stat %s: %s", path, strerror(errno));
		e.name = name;
		e.size = st.st_size;
		if (write_header(&o, &e) < 0 || write_file_data(&o, path, e.size) < 0)
			return -1;
	}
	return end_tar(&o);
}

static long long file_size(const char *dir, const char *hex)
{
	char path[PATH_MAX + 80];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%.64s", dir, hex);
	return stat(path, &st) < 0 ? -1 : st.st_size;
}

/* The blobs in the staging directory: layers bottom first, then config and manifest. */
static int save_blobs(const struct image *img, const char *staging, char hexes[][65],
		      size_t *n, char **index)
{
	long long sizes[MAX_ARCHIVE_LAYERS];
	char path[PATH_MAX + 80], tmp[PATH_MAX + 80], *config, *manifest;
	size_t layers = img->n_layers;
	int ret;

	for (size_t i = 0; i < layers; i++) {
		snprintf(tmp, sizeof(tmp), "%s/layer.tmp", staging);
		if (save_layer(img->layers[layers - 1 - i], tmp, hexes[i]) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/%.64s", staging, hexes[i]);
		/* Two identical layers are one blob. */
		if (rename(tmp, path) < 0)
			return load_error("rename %s: %s", tmp, strerror(errno));
		sizes[i] = file_size(staging, hexes[i]);
	}
	config = config_text(img, hexes, layers);
	ret = config ? save_blob_text(staging, config, hexes[layers]) : -1;
	manifest = ret == 0 ? manifest_text(hexes[layers], (long long)strlen(config), hexes, sizes,
					   layers)
			    : NULL;
	ret = manifest ? save_blob_text(staging, manifest, hexes[layers + 1]) : -1;
	if (ret == 0 && asprintf(index, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
				 "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
				 "\"sha256:%s\",\"size\":%zu,\"annotations\":{"
				 "\"org.opencontainers.image.ref.name\":\"%s\"}}]}",
				 hexes[layers + 1], strlen(manifest), img->name) < 0)
		ret = -1;
	*n = layers + 2;
	free(config);
	free(manifest);
	return ret;
}

static int save(const struct store *s, const char *name, const char *file)
{
	static struct image img;
	static char hexes[MAX_ARCHIVE_LAYERS + 2][65];
	char staging[PATH_MAX], id[65], *index = NULL;
	size_t n = 0;
	int fd = -1, ret = -1;

	if (image_load(s, name, &img) < 0)
		return -1;
	if (img.n_layers > MAX_ARCHIVE_LAYERS || new_id(id) < 0 ||
	    snprintf(staging, sizeof(staging), "%s/save-%.12s", s->lib, id) >= (int)sizeof(staging) ||
	    make_dir(staging, 0700) < 0) {
		image_free(&img);
		return -1;
	}
	if (save_blobs(&img, staging, hexes, &n, &index) < 0)
		goto out;
	fd = strcmp(file, "-") ? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
			       : STDOUT_FILENO;
	if (fd < 0) {
		load_error("create %s: %s", file, strerror(errno));
		goto out;
	}
	ret = write_outer(fd, staging, index, hexes, n);
	if (fd != STDOUT_FILENO && close(fd) < 0)
		ret = load_error("close %s: %s", file, strerror(errno));
	if (ret < 0 && fd != STDOUT_FILENO)
		unlink(file);
out:
	free(index);
	remove_tree(staging);
	image_free(&img);
	return ret;
}

int cmd_save(const struct store *s, int argc, char **argv)
{
	const char *file = "-";
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt(argc, argv, "+:o:h")) != -1) {
		if (opt == 'o') {
			file = optarg;
			continue;
		}
		fprintf(stderr, "usage: %s save [-o FILE] IMAGE\n"
				"Write IMAGE as an OCI image layout in one tar (stdout by default).\n",
			PROG);
		return opt == 'h' ? 0 : EXIT_TOOL;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: %s save [-o FILE] IMAGE\n", PROG);
		return EXIT_TOOL;
	}
	if (!strcmp(file, "-") && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s: save: refusing to write a tar to a terminal (use -o FILE)\n",
			PROG);
		return EXIT_TOOL;
	}
	return save(s, argv[optind], file) < 0 ? EXIT_TOOL : 0;
}
