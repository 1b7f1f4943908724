/*
 * store.c: where minidock keeps things, and the image commands.
 *
 *   <lib>/images/NAME            an image: its layers, bottom first, and defaults
 *   <lib>/layers/ID/             one layer: a plain directory tree
 *   <lib>/containers/ID/         a container's writable layer (upper, work)
 *   <run>/containers/ID/         its runtime state: state file, owner; in the
 *                                container's own mount namespace a tmpfs over
 *                                it holds hostname, hosts, resolv.conf, rootfs/
 *   <run>/names/NAME -> ID       --name, reserved with one symlink(2)
 *
 * <lib> is /var/lib/minidock and <run> /run/minidock; --root DIR puts both
 * under DIR (DIR and DIR/run). Image files are text, one "key value" per
 * line, so part 2's commit appends a layer line and nothing else changes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minidock.h"

/* import, images, rmi: 1 for their own errors, as every command but run (Docker's). */
#define EXIT_CMD_ERROR 1

/*
 * --root DIR: images and layers in DIR, state in DIR/run. --exec-root DIR
 * (dockerd's name for it) puts the state elsewhere: on a tmpfs, as
 * /run/minidock is, its small files cost no disk I/O.
 */
int store_open(struct store *s, const char *root, const char *exec_root)
{
	const char *lib = root ? root : "/var/lib/minidock";
	int n1, n2;

	if ((root && root[0] != '/') || (exec_root && exec_root[0] != '/')) {
		fprintf(stderr, "%s: --%s %s: must be an absolute path\n", PROG,
			root && root[0] != '/' ? "root" : "exec-root",
			root && root[0] != '/' ? root : exec_root);
		return -1;
	}
	snprintf(s->root, sizeof(s->root), "%s", root ? root : "");
	snprintf(s->exec_root, sizeof(s->exec_root), "%s", exec_root ? exec_root : "");
	n1 = snprintf(s->lib, sizeof(s->lib), "%s", lib);
	n2 = exec_root ? snprintf(s->run, sizeof(s->run), "%s", exec_root)
	     : root    ? snprintf(s->run, sizeof(s->run), "%s/run", root)
		       : snprintf(s->run, sizeof(s->run), "/run/minidock");
	if (n1 >= (int)sizeof(s->lib) || n2 >= (int)sizeof(s->run)) {
		fprintf(stderr, "%s: --root: path too long\n", PROG);
		return -1;
	}
	return 0;
}

/* Names: letters, digits and "_.-:", starting with a letter or digit, as Docker's. */
/* Only printable ASCII: such a name may be echoed in a one-line error. */
static int printable(const char *s)
{
	for (; *s; s++)
		if (*s < ' ' || *s > '~')
			return 0;
	return 1;
}

int valid_name(const char *name, const char *what)
{
	size_t len = strlen(name);

	if (len == 0 || len > 128 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789", name[0]) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:") !=
		    len) {
		/* echoed only if printable: a newline in it would make the error two lines */
		fprintf(stderr, "%s: invalid %s name '%.128s' (letters, digits, '_.-:'; at most 128)\n",
			PROG, what, printable(name) ? name : "?");
		return -1;
	}
	return 0;
}

/* 32 random bytes as 64 hex digits, Docker's id format (getrandom(2)). */
int new_id(char id[65])
{
	unsigned char bytes[32];

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
		fprintf(stderr, "%s: getrandom: %m\n", PROG);
		return -1;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(id + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static int image_path(const struct store *s, const char *name, char *out, size_t len)
{
	if (snprintf(out, len, "%s/images/%s", s->lib, name) >= (int)len) {
		fprintf(stderr, "%s: path too long\n", PROG);
		return -1;
	}
	return 0;
}

/* One "key value" line of an image file. */
static int image_line(const struct store *s, struct image *img, const char *key,
		      const char *value)
{
	if (!strcmp(key, "layer")) {
		if (img->n_layers >= sizeof(img->layers) / sizeof(img->layers[0])) {
			fprintf(stderr, "%s: image %s: too many layers\n", PROG, img->name);
			return -1;
		}
		/* The file lists them bottom first; overlay wants the top first. */
		memmove(img->layers[1], img->layers[0], img->n_layers * sizeof(img->layers[0]));
		img->n_layers++;
		return snprintf(img->layers[0], sizeof(img->layers[0]), "%s/layers/%s", s->lib,
				value) >= (int)sizeof(img->layers[0])
			       ? -1
			       : 0;
	}
	if (!strcmp(key, "cmd"))
		return record_add_string(img->cmd, &img->n_cmd, 63, value);
	if (!strcmp(key, "env"))
		return record_add_string(img->env, &img->n_env, 63, value);
	if (!strcmp(key, "workdir"))
		snprintf(img->workdir, sizeof(img->workdir), "%s", value);
	if (!strcmp(key, "user"))
		snprintf(img->user, sizeof(img->user), "%s", value);
	return 0;
}

int image_load(const struct store *s, const char *name, struct image *img)
{
	char path[PATH_MAX], line[PATH_MAX + 16];
	FILE *f;
	int ret = 0;

	/* Not memset: 130 KiB of layer paths, touched only as far as they are used. */
	img->n_layers = img->n_cmd = img->n_env = 0;
	img->cmd[0] = img->env[0] = NULL;
	img->name[0] = img->workdir[0] = img->user[0] = 0;
	if (valid_name(name, "image") < 0 || image_path(s, name, path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			fprintf(stderr, "%s: no such image: %s (see '%s images', '%s import')\n",
				PROG, name, PROG, PROG);
		else
			fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	snprintf(img->name, sizeof(img->name), "%s", name);
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		char *value = strchr(line, ' ');

		line[strcspn(line, "\n")] = 0;
		if (!value)
			continue;
		*value++ = 0;
		ret = image_line(s, img, line, value);
	}
	fclose(f);
	if (ret == 0 && img->n_layers == 0) {
		fprintf(stderr, "%s: image %s has no layers\n", PROG, name);
		ret = -1;
	}
	if (ret < 0)
		image_free(img);
	return ret;
}

void image_free(struct image *img)
{
	for (size_t i = 0; i < img->n_cmd; i++)
		free(img->cmd[i]);
	for (size_t i = 0; i < img->n_env; i++)
		free(img->env[i]);
	img->n_cmd = img->n_env = 0;
}

/* ---- containers ---- */

/*
 * A name whose container is gone (its state directory is not there): a
 * minidock killed at the wrong moment by an older version, or a hand
 * that removed the state. Under the names directory's lock, so that two
 * runs never both take it. 1: LINK was stale and is gone.
 */
static int reclaim_stale_name(const struct store *s, const char *names, const char *link)
{
	char id[65], dir[PATH_MAX];
	ssize_t n;
	int lock = lock_path(names, O_RDONLY | O_DIRECTORY), stale = 0;

	if (lock < 0)
		return -1;
	n = readlink(link, id, 64);
	if (n >= 0) {
		id[n] = 0;
		stale = snprintf(dir, sizeof(dir), "%s/containers/%s", s->run, id) <
				(int)sizeof(dir) && access(dir, F_OK) < 0 && errno == ENOENT &&
			unlink(link) == 0;
	}
	close(lock);
	errno = EEXIST;
	return stale;
}

/* prune: every name whose container is gone. */
void prune_stale_names(const struct store *s)
{
	char names[PATH_MAX], link[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (join_path(names, sizeof(names), s->run, "names") < 0 || !(d = opendir(names)))
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && join_path(link, sizeof(link), names, e->d_name) == 0 &&
		    reclaim_stale_name(s, names, link) == 1)
			narrate("unlink(\"%s\") = 0: its container is gone [unlink(2)]", link);
	closedir(d);
}

/*
 * --name is reserved by creating <run>/names/NAME as a symlink to the id:
 * symlink(2) fails with EEXIST if it exists, so two runs can never take
 * the same name, without a lock. Returns -2 for a name in use.
 */
static int reserve_name(const struct store *s, struct container *c, int quiet)
{
	char dir[PATH_MAX], link[PATH_MAX];

	if (valid_name(c->name, "container") < 0 ||
	    join_path(dir, sizeof(dir), s->run, "names") < 0 || make_dirs(dir, 0700) < 0 ||
	    join_path(link, sizeof(link), dir, c->name) < 0)
		return -1;
	if (symlink(c->id, link) < 0 &&
	    (errno != EEXIST || reclaim_stale_name(s, dir, link) != 1 || symlink(c->id, link) < 0)) {
		if (errno == EEXIST && quiet)
			return -2;
		if (errno == EEXIST)
			fprintf(stderr, "%s: the container name '%s' is already in use\n", PROG,
				c->name);
		else
			fprintf(stderr, "%s: symlink %s: %m\n", PROG, link);
		return -1;
	}
	c->named = 1;
	return 0;
}

/*
 * Without --name, Docker makes one up: an adjective and a noun. A name
 * already taken is drawn again; the id's first digits end the search.
 */
static int invent_name(const struct store *s, struct container *c)
{
	static const char *const adjectives[] = {
		"brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen",
		"lucid", "merry", "nifty", "proud", "quiet", "sharp", "tender", "vivid",
	};
	static const char *const nouns[] = {
		"babbage", "curie", "dijkstra", "euler", "hopper", "kepler", "lovelace", "noether",
		"pascal", "ritchie", "shannon", "thompson", "torvalds", "turing", "wozniak", "yonath",
	};
	unsigned char r[2];
	int ret = -2;

	for (int tries = 0; ret == -2 && tries < 8; tries++) {
		if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
			fprintf(stderr, "%s: getrandom: %m\n", PROG);
			return -1;
		}
		snprintf(c->name, sizeof(c->name), "%s_%s", adjectives[r[0] % 16], nouns[r[1] % 16]);
		ret = reserve_name(s, c, 1);
	}
	if (ret == -2) {
		snprintf(c->name + strlen(c->name), sizeof(c->name) - strlen(c->name), "_%.8s", c->id);
		ret = reserve_name(s, c, 0);
	}
	return ret;
}

static int make_container_paths(const struct store *s, struct container *c)
{
	if (snprintf(c->state_dir, sizeof(c->state_dir), "%s/containers/%s", s->run, c->id) >=
		    (int)sizeof(c->state_dir) ||
	    snprintf(c->layer_dir, sizeof(c->layer_dir), "%s/containers/%s", s->lib, c->id) >=
		    (int)sizeof(c->layer_dir) ||
	    join_path(c->upper, sizeof(c->upper), c->layer_dir, "upper") < 0 ||
	    join_path(c->work, sizeof(c->work), c->layer_dir, "work") < 0 ||
	    join_path(c->rootfs, sizeof(c->rootfs), c->state_dir, "rootfs") < 0)
		return -1;
	return 0;
}

static int make_container_dirs(const struct store *s, struct container *c)
{
	if (make_container_paths(s, c) < 0)
		return -1;
	if (make_dirs(c->state_dir, 0700) < 0 ||
	    make_dirs(c->layer_dir, 0700) < 0 || make_dir(c->upper, 0755) < 0 ||
	    make_dir(c->work, 0700) < 0)
		return -1;
	return 0;
}

/*
 * Who made the container (pid and start time, so a reused pid is told
 * apart) and whether it goes at exit (--rm): what the sweep below reads.
 */
int container_set_owner(const struct container *c, int rm)
{
	char path[PATH_MAX], text[512];

	if (join_path(path, sizeof(path), c->state_dir, "owner") < 0)
		return -1;
	snprintf(text, sizeof(text), "owner=%d-%llu\nrm=%d\nname=%s\n", getpid(),
		 process_start_time(getpid()), rm, c->name);
	return write_file_atomic(path, text);
}

/*
 * An empty container: each string's first byte. Clearing all 24 KiB
 * would dirty every page of it, and run -d's monitor, a fork of us,
 * pays for each page it has touched (its PSS).
 */
static void container_clear(struct container *c)
{
	c->id[0] = c->name[0] = c->state_dir[0] = c->layer_dir[0] = 0;
	c->upper[0] = c->work[0] = c->rootfs[0] = 0;
	c->named = 0;
}

/*
 * An existing container, for removing it: its paths, and whether NAME
 * still points to it (a name is released only by its own container).
 */
int container_reopen(const struct store *s, const char *id, const char *name, struct container *c)
{
	char link[PATH_MAX], target[65];
	ssize_t len;

	container_clear(c);
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (make_container_paths(s, c) < 0)
		return -1;
	if (name[0] && snprintf(link, sizeof(link), "%s/names/%s", s->run, name) < (int)sizeof(link)) {
		len = readlink(link, target, sizeof(target) - 1);
		c->named = len == 64 && !memcmp(target, id, 64);
	}
	return 0;
}

/* The container ID of a --rm run whose minidock is dead (SIGKILL leaves it): gone. */
static void sweep_container(const struct store *s, const char *id)
{
	char path[PATH_MAX], text[512], name[256] = "";
	unsigned long long start;
	struct container c;
	int pid, rm;

	if (snprintf(path, sizeof(path), "%s/containers/%s/owner", s->run, id) >= (int)sizeof(path) ||
	    read_small_file(path, text, sizeof(text)) < 0 ||
	    sscanf(text, "owner=%d-%llu\nrm=%d\nname=%255[^\n]", &pid, &start, &rm, name) < 3 ||
	    !rm || process_start_time(pid) == start || container_reopen(s, id, name, &c) < 0)
		return;
	narrate("removing container %s: a --rm run whose owner %d is dead", id, pid);
	container_destroy(s, &c);
}

/* A killed minidock could not clean up: the next run does, for its --rm containers. */
static void sweep_stale_containers(const struct store *s)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (join_path(dir, sizeof(dir), s->run, "containers") < 0 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if (strlen(e->d_name) == 64)
			sweep_container(s, e->d_name);
	closedir(d);
}

/* A new container: an id, its directories and its name; all or nothing. */
int container_create(const struct store *s, const char *name, int rm, struct container *c)
{
	container_clear(c);
	sweep_stale_containers(s);
	if (name)
		snprintf(c->name, sizeof(c->name), "%s", name);
	/* The state directory before the name, so that a name always leads to one. */
	if (new_id(c->id) < 0)
		return -1;
	if (make_container_dirs(s, c) < 0 ||
	    (name ? reserve_name(s, c, 0) : invent_name(s, c)) < 0 ||
	    container_set_owner(c, rm) < 0) {
		container_destroy(s, c);
		return -1;
	}
	narrate("container %s: state in %s, writable layer in %s", c->id, c->state_dir,
		c->layer_dir);
	return 0;
}

/* --rm, or a failed start: the writable layer, the state and the name go. */
/*
 * DIR holds NAMES (files, or directories if they end in '/') and nothing
 * else after most runs: remove those directly, and walk the tree only
 * when something more is there (what the container wrote). Saves the
 * walk's stat of every entry on the exit path of nearly every --rm.
 */
static void remove_known(const char *dir, const char *const *names)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), ok = fd >= 0;

	for (const char *const *n = names; ok && *n; n++) {
		char name[64];
		size_t len = strlen(*n);
		int is_dir = (*n)[len - 1] == '/';

		snprintf(name, sizeof(name), "%.*s", (int)(len - is_dir), *n);
		ok = unlinkat(fd, name, is_dir ? AT_REMOVEDIR : 0) == 0 || errno == ENOENT;
	}
	if (fd >= 0)
		close(fd);
	if (!ok || rmdir(dir) < 0)
		remove_tree(dir);
}

void container_destroy(const struct store *s, struct container *c)
{
	/* A volatile overlay leaves work/work/incompat/volatile/dirty (filesystems/overlayfs.rst). */
	static const char *const layer[] = {"upper/", "work/work/incompat/volatile/dirty",
					    "work/work/incompat/volatile/",
					    "work/work/incompat/", "work/work/", "work/",
					    "container.log", "monitor.log", NULL};
	/* hostname, hosts, resolv.conf and rootfs/ were in a tmpfs of the container's (rootfs.c). */
	static const char *const state[] = {"state", "config", "owner", NULL};
	char link[PATH_MAX];

	/* The name first: a name must never outlive the state directory it leads to. */
	if (c->named && snprintf(link, sizeof(link), "%s/names/%s", s->run, c->name) <
				(int)sizeof(link))
		unlink(link);
	c->named = 0;
	if (c->layer_dir[0])
		remove_known(c->layer_dir, layer);
	if (c->state_dir[0])
		remove_known(c->state_dir, state);
}

/* ---- import, images, rmi ---- */

/*
 * The image file, whole: a temporary file of this layer's, then link(2)
 * to the name, which fails with EEXIST where rename(2) would replace an
 * image another import made meanwhile (one of two racing imports wins).
 */
static int write_image_file(const struct store *s, const char *name, const char *layer_id)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[256];
	int ret = 0;

	if (image_path(s, name, path, sizeof(path)) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/images/.%s.tmp", s->lib, layer_id) >= (int)sizeof(tmp))
		return -1;
	snprintf(text, sizeof(text), "name %s\nlayer %s\n", name, layer_id);
	if (write_file(tmp, text) < 0) {
		unlink(tmp);
		return -1;
	}
	if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			fprintf(stderr, "%s: image %s already exists (remove it with '%s rmi %s')\n",
				PROG, name, PROG, name);
		else
			fprintf(stderr, "%s: link %s to %s: %m\n", PROG, tmp, path);
		ret = -1;
	}
	unlink(tmp);
	return ret;
}

/*
 * A layer being made (import, commit) is flock(2)ed by its maker until its
 * image is published: prune leaves it alone, and takes a layer whose maker
 * died (the kernel drops the lock with it). Returns the fd, or -1.
 */
int layer_lock(const char *layer, int wait)
{
	int fd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (wait)
			fprintf(stderr, "%s: flock %s: %m\n", PROG, layer);
		close(fd);
		return -1;
	}
	if (fd < 0 && wait)
		fprintf(stderr, "%s: open %s: %m\n", PROG, layer);
	return fd;
}

static int import_into(const char *src, const char *layer, int *lock)
{
	struct stat st;

	if (stat(src, &st) < 0) {
		fprintf(stderr, "%s: import: %s: %m\n", PROG, src);
		return -1;
	}
	if (make_dir(layer, 0755) < 0 || (*lock = layer_lock(layer, 1)) < 0)
		return -1;
	return S_ISDIR(st.st_mode) ? import_dir(src, layer) : import_tar(src, layer);
}

/* import FILE|DIR NAME: extract into a new layer, then publish the image file. */
int cmd_import(const struct store *s, int argc, char **argv)
{
	char dir[PATH_MAX], layer[PATH_MAX], path[PATH_MAX], id[65];
	int lock = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s import FILE|DIR NAME\n", PROG);
		return EXIT_CMD_ERROR;
	}
	if (valid_name(argv[2], "image") < 0 || image_path(s, argv[2], path, sizeof(path)) < 0)
		return EXIT_CMD_ERROR;
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "%s: image %s already exists (remove it with '%s rmi %s')\n", PROG,
			argv[2], PROG, argv[2]);
		return EXIT_CMD_ERROR;
	}
	if (new_id(id) < 0 || join_path(dir, sizeof(dir), s->lib, "layers") < 0 ||
	    make_dirs(dir, 0700) < 0 || join_path(layer, sizeof(layer), dir, id) < 0 ||
	    join_path(path, sizeof(path), s->lib, "images") < 0 || make_dirs(path, 0700) < 0)
		return EXIT_CMD_ERROR;
	if (import_into(argv[1], layer, &lock) < 0 || write_image_file(s, argv[2], id) < 0) {
		remove_tree(layer);
		if (lock >= 0)
			close(lock);
		return EXIT_CMD_ERROR;
	}
	close(lock);
	printf("%s\n", id);
	return 0;
}

int cmd_images(const struct store *s, int argc, char **argv)
{
	char dir[PATH_MAX];
	struct dirent *e;
	struct image img;
	DIR *d;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s images\n", PROG);
		return EXIT_CMD_ERROR;
	}
	printf("%-24s %-7s %s\n", "NAME", "LAYERS", "COMMAND");
	if (join_path(dir, sizeof(dir), s->lib, "images") < 0)
		return EXIT_CMD_ERROR;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : EXIT_CMD_ERROR;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp") ||
		    image_load(s, e->d_name, &img) < 0)
			continue;
		printf("%-24s %-7zu %s\n", img.name, img.n_layers, img.n_cmd ? img.cmd[0] : "");
		image_free(&img);
	}
	closedir(d);
	return 0;
}

/* Is LAYER (an absolute path) part of any image left in the store? */
static int layer_in_use(const struct store *s, const char *layer)
{
	char dir[PATH_MAX];
	struct dirent *e;
	struct image img;
	int used = 0;
	DIR *d;

	if (join_path(dir, sizeof(dir), s->lib, "images") < 0 || !(d = opendir(dir)))
		return 1;
	while (!used && (e = readdir(d))) {
		if (e->d_name[0] == '.' || image_load(s, e->d_name, &img) < 0)
			continue;
		for (size_t i = 0; i < img.n_layers; i++)
			used |= !strcmp(img.layers[i], layer);
		image_free(&img);
	}
	closedir(d);
	return used;
}

/* A layer, and the init layer made on top of it (LAYER.init). */
static int remove_layer(const char *layer)
{
	char pattern[PATH_MAX];
	glob_t g;
	int ret = remove_tree(layer);

	if (snprintf(pattern, sizeof(pattern), "%s.*", layer) >= (int)sizeof(pattern))
		return -1;
	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
		return ret;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (remove_tree(g.gl_pathv[i]) < 0)
			ret = -1;
	globfree(&g);
	return ret;
}

/*
 * A container made from the image, running or not, still needs its
 * layers (a running one has them under its overlay): its 12-digit id in
 * `id`, 1; or 0.
 */
static int image_in_use(const struct store *s, const char *name, char id[13])
{
	char dir[PATH_MAX];
	struct dirent *e;
	struct record r;
	int used = 0;
	DIR *d;

	if (join_path(dir, sizeof(dir), s->run, "containers") < 0 || !(d = opendir(dir)))
		return 0;
	while (!used && (e = readdir(d))) {
		if (strlen(e->d_name) != 64 || record_read(s, e->d_name, &r) < 0)
			continue;
		used = !strcmp(r.image, name);
		if (used)
			snprintf(id, 13, "%.12s", r.id);
		record_free(&r);
	}
	closedir(d);
	return used;
}

/* rmi NAME: the image file, then every layer no other image uses. */
int cmd_rmi(const struct store *s, int argc, char **argv)
{
	char path[PATH_MAX], id[13];
	struct image img;
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s rmi NAME\n", PROG);
		return EXIT_CMD_ERROR;
	}
	if (image_load(s, argv[1], &img) < 0 || image_path(s, argv[1], path, sizeof(path)) < 0)
		return EXIT_CMD_ERROR;
	if (image_in_use(s, argv[1], id)) {
		fprintf(stderr, "%s: image %s is in use by container %s (remove it first: '%s rm')\n",
			PROG, argv[1], id, PROG);
		image_free(&img);
		return EXIT_CMD_ERROR;
	}
	if (unlink(path) < 0) {
		fprintf(stderr, "%s: remove %s: %m\n", PROG, path);
		image_free(&img);
		return EXIT_CMD_ERROR;
	}
	for (size_t i = 0; i < img.n_layers; i++)
		if (!layer_in_use(s, img.layers[i]) && remove_layer(img.layers[i]) < 0)
			ret = EXIT_CMD_ERROR;
	image_free(&img);
	printf("Deleted: %s\n", argv[1]);
	return ret;
}

/*
 * prune: layers no image names (a killed import's or commit's, the
 * losers of racing imports of one name, the leftovers of rmi), each taken
 * only once its maker's lock is free and it is still unnamed; and init
 * layers half-made by a run that died (ID.init.tmp-PID).
 */
static void prune_layer(const struct store *s, const char *dir, const char *name)
{
	char path[PATH_MAX], base[PATH_MAX];
	const char *tmp = strstr(name, ".init.tmp-");
	int lock;

	if (join_path(path, sizeof(path), dir, name) < 0)
		return;
	if (tmp) {
		if (kill(atoi(tmp + 10), 0) < 0 && errno == ESRCH && remove_tree(path) == 0)
			narrate("removed %s: its run is dead", path);
		return;
	}
	snprintf(base, sizeof(base), "%.*s", (int)strcspn(path + strlen(dir) + 1, ".") +
		 (int)strlen(dir) + 1, path);
	if (layer_in_use(s, base))
		return;
	if (strchr(name, '.')) {
		/* an init layer: it goes with its layer; alone, now */
		if (access(base, F_OK) < 0 && errno == ENOENT && remove_tree(path) == 0)
			narrate("removed %s: its layer is gone", path);
		return;
	}
	lock = layer_lock(path, 0);
	if (lock < 0)
		return;
	if (!layer_in_use(s, path) && remove_layer(path) == 0)
		printf("%s\n", name);
	close(lock);
}

int prune_layers(const struct store *s)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (join_path(dir, sizeof(dir), s->lib, "layers") < 0 || !(d = opendir(dir)))
		return 0;
	printf("Deleted Layers:\n");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			prune_layer(s, dir, e->d_name);
	closedir(d);
	return 0;
}
