/*
 * commit.c: `minidock commit CONTAINER IMAGE`, docker commit: what the
 * container changed becomes the top layer of a new image.
 *
 * Its writable layer (<lib>/containers/<id>/upper) already is that layer,
 * in overlayfs's notation (filesystems/overlayfs.rst):
 *
 *   a new or changed file       the whole file (copied up on first write)
 *   a deleted file              a whiteout: a character device 0:0 of its name
 *   a directory made anew       an opaque directory: xattr trusted.overlay.opaque "y"
 *
 * An overlay honors both marks in its lower layers too, so a faithful copy
 * of that tree, stacked on the image's layers, shows the container's files
 * as they were: a file deleted in the container stays deleted in the image.
 * We copy rather than move, so the container keeps its layer; a running
 * one is paused meanwhile (as Docker does), so the copy is of one moment.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "minidock.h"

/* An id the container's user namespace does not map: it saw the overflow id there. */
#define OVERFLOW_ID 65534

/* A file with more than one name: where its first name went, to link the others to it. */
struct hard_link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct copy {
	int layer;               /* the new layer's directory */
	int made;                /* we made it: a failure removes it */
	char path[PATH_MAX];     /* the entry being copied, relative to the layer */
	struct hard_link *links;
	size_t n_links;
	struct id_map uids[MAX_ID_MAPS], gids[MAX_ID_MAPS]; /* --userns: host ids back to its own */
	size_t n_uids, n_gids;
};

static int fail(const struct copy *c, const char *what)
{
	fprintf(stderr, "%s: commit: %s /%s: %m\n", PROG, what, c->path);
	return -1;
}

/* ---- ids: a --userns container's files belong to host ids; the image keeps its own ---- */

/* /proc/PID/uid_map or gid_map: "CTR HOST LEN" lines (user_namespaces(7)). */
static int read_id_map(pid_t pid, const char *file, struct id_map *map, size_t *n)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: commit: open %s: %m\n", PROG, path);
		return -1;
	}
	while (*n < MAX_ID_MAPS && fscanf(f, "%u %u %u", &map[*n].container_id, &map[*n].host_id,
					  &map[*n].size) == 3)
		++*n;
	fclose(f);
	return 0;
}

static unsigned int id_inside(const struct id_map *map, size_t n, unsigned int host)
{
	if (!n)
		return host;
	for (size_t i = 0; i < n; i++)
		if (host >= map[i].host_id && host - map[i].host_id < map[i].size)
			return map[i].container_id + (host - map[i].host_id);
	return OVERFLOW_ID;
}

/*
 * In a user namespace the container's root is an ordinary host uid, and
 * so are the owners in its writable layer. The image must hold the ids
 * the container saw, or a later container would find its files owned by
 * strangers: the running container's maps turn them back. A stopped
 * container's namespace is gone, and its maps with it.
 */
static int load_id_maps(const struct record *r, struct copy *c)
{
	if (!r->userns)
		return 0;
	if (!record_alive(r)) {
		fprintf(stderr, "%s: commit: container %s ran in a user namespace that is gone: "
			"its files' owners cannot be mapped back (commit it while it runs)\n",
			PROG, r->name[0] ? r->name : r->id);
		return -1;
	}
	return read_id_map(r->pid, "uid_map", c->uids, &c->n_uids) < 0 ||
			       read_id_map(r->pid, "gid_map", c->gids, &c->n_gids) < 0
		       ? -1
		       : 0;
}

/* ---- copying one tree, every kind of entry and its metadata ---- */

/*
 * Which extended attributes travel. overlayfs keeps notes of its own in
 * trusted.overlay.* (user.overlay.* on a "userxattr" mount): of those only
 * opaque = "y" is part of what the layer means. origin, impure, nlink and
 * the like tie this upper directory to the lower layers of one mount and
 * would mislead a later one; opaque "x" (a directory holding xattr
 * whiteouts, Linux 6.7) goes with them. redirect and metacopy mean part of
 * the data is still in a lower layer: such a layer is not whole on its
 * own (-1). Anything else (security.capability, ACLs, user.*) is the
 * file's own. 1: keep, 0: leave out.
 */
static int keep_xattr(const struct copy *c, const char *name, const char *value, ssize_t len)
{
	const char *rest;

	if (!strncmp(name, "trusted.overlay.", 16))
		rest = name + 16;
	else if (!strncmp(name, "user.overlay.", 13))
		rest = name + 13;
	else
		return 1;
	if (!strcmp(rest, "redirect") || !strcmp(rest, "metacopy")) {
		fprintf(stderr, "%s: commit: /%s: overlayfs %s: its data is in a lower layer, so "
			"the writable layer cannot be copied alone\n", PROG, c->path, rest);
		return -1;
	}
	return !strcmp(rest, "opaque") && len == 1 && value[0] == 'y';
}

/*
 * Extended attributes are reached by name: /proc/self/fd/DIRFD/NAME is
 * NAME in that directory, and the l*xattr calls do not follow NAME if it
 * is a symlink (xattr(7)).
 */
static int copy_xattrs(const struct copy *c, int sdir, const char *sname, int ddir,
		       const char *dname)
{
	static char names[XATTR_LIST_MAX], value[XATTR_SIZE_MAX];
	char from[320], to[320], what[320];
	ssize_t n, len;
	int keep;

	snprintf(from, sizeof(from), "/proc/self/fd/%d/%s", sdir, sname);
	snprintf(to, sizeof(to), "/proc/self/fd/%d/%s", ddir, dname);
	n = llistxattr(from, names, sizeof(names));
	if (n < 0)
		return errno == ENOTSUP ? 0 : fail(c, "list the xattrs of");
	for (char *name = names; name < names + n; name += strlen(name) + 1) {
		snprintf(what, sizeof(what), "xattr %.255s of", name);
		len = lgetxattr(from, name, value, sizeof(value));
		if (len < 0)
			return fail(c, what);
		keep = keep_xattr(c, name, value, len);
		if (keep < 0)
			return -1;
		if (keep && lsetxattr(to, name, value, (size_t)len, 0) < 0)
			return fail(c, what);
	}
	return 0;
}

/*
 * Owner first, then mode (chown(2) clears the set-user-ID and set-group-ID
 * bits), then extended attributes (chown also drops security.capability),
 * then the times, last, since every step before changes them. A symlink
 * has no mode of its own.
 */
static int copy_metadata(const struct copy *c, int sdir, const char *sname, int ddir,
			 const char *dname, const struct stat *st)
{
	const struct timespec times[2] = {st->st_atim, st->st_mtim};
	uid_t uid = id_inside(c->uids, c->n_uids, st->st_uid);
	gid_t gid = id_inside(c->gids, c->n_gids, st->st_gid);

	if (fchownat(ddir, dname, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, "chown");
	if (!S_ISLNK(st->st_mode) && fchmodat(ddir, dname, st->st_mode & 07777, 0) < 0)
		return fail(c, "chmod");
	if (copy_xattrs(c, sdir, sname, ddir, dname) < 0)
		return -1;
	if (utimensat(ddir, dname, times, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, "set the times of");
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * copy_file_range(2) copies inside the kernel, and some filesystems share
 * the blocks instead (a reflink on XFS or btrfs). Where it cannot (EXDEV,
 * EINVAL, EOPNOTSUPP, ENOSYS), read(2) and write(2) go on from the same
 * file offsets.
 */
static int copy_data(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static int copy_file(const struct copy *c, int sdir, const char *sname, int ddir,
		     const char *dname)
{
	int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, ret = -1;

	if (in >= 0)
		out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     0600);
	if (out >= 0)
		ret = copy_data(in, out);
	if (ret < 0)
		fail(c, "copy");
	if (out >= 0 && close(out) < 0 && ret == 0)
		ret = fail(c, "write");
	if (in >= 0)
		close(in);
	return ret;
}

/*
 * Anything but a directory. A whiteout is a character device 0:0, so
 * mknod(2) makes it again; FIFOs too. Any other device node is refused,
 * as import refuses one: an image is a thing to share, and a node of a
 * host disk in it would open that disk wherever a policy allows it.
 */
static int make_node(const struct copy *c, int sdir, const char *sname, int ddir,
		     const char *dname, const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n;

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return copy_file(c, sdir, sname, ddir, dname);
	case S_IFLNK:
		n = readlinkat(sdir, sname, target, sizeof(target) - 1);
		if (n < 0)
			return fail(c, "readlink");
		target[n] = 0;
		return symlinkat(target, ddir, dname) < 0 ? fail(c, "symlink") : 0;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (!S_ISFIFO(st->st_mode) && (S_ISBLK(st->st_mode) || st->st_rdev != makedev(0, 0))) {
			fprintf(stderr, "%s: commit: refusing device node /%s (as import does)\n",
				PROG, c->path);
			return -1;
		}
		if (mknodat(ddir, dname, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
			return fail(c, "mknod");
		return 0;
	}
	errno = EINVAL;
	return fail(c, "copy (unknown file type)");
}

/* A second name of a file already copied: link it (1), or 0 if it is the first. */
static int link_again(struct copy *c, const struct stat *st, int ddir, const char *dname)
{
	for (size_t i = 0; i < c->n_links; i++) {
		if (c->links[i].dev != st->st_dev || c->links[i].ino != st->st_ino)
			continue;
		if (linkat(c->layer, c->links[i].path, ddir, dname, 0) < 0)
			return fail(c, "link");
		return 1;
	}
	return 0;
}

static int remember_link(struct copy *c, const struct stat *st)
{
	struct hard_link *more = realloc(c->links, (c->n_links + 1) * sizeof(*more));

	if (!more || !(more[c->n_links].path = strdup(c->path))) {
		if (more)
			c->links = more;
		fprintf(stderr, "%s: out of memory\n", PROG);
		return -1;
	}
	c->links = more;
	c->links[c->n_links].dev = st->st_dev;
	c->links[c->n_links].ino = st->st_ino;
	c->n_links++;
	return 0;
}

static int copy_entry(struct copy *c, int sdir, const char *sname, int ddir, const char *dname);

/* The entries of directory SNAME in SDIR into DNAME in DDIR, which exists. */
static int fill_dir(struct copy *c, int sdir, const char *sname, int ddir, const char *dname)
{
	int from = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int to = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	size_t len = strlen(c->path);
	int ret = 0, fd = -1;
	struct dirent *e;
	DIR *d = NULL;

	if (from < 0 || to < 0 || (fd = dup(from)) < 0 || !(d = fdopendir(fd)))
		ret = fail(c, "open");
	errno = 0;
	while (ret == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(c->path + len, sizeof(c->path) - len, "%s%s", len ? "/" : "",
			     e->d_name) >= (int)(sizeof(c->path) - len)) {
			errno = ENAMETOOLONG;
			ret = fail(c, "copy");
		} else {
			ret = copy_entry(c, from, e->d_name, to, e->d_name);
		}
		c->path[len] = 0;
		errno = 0;
	}
	if (ret == 0 && errno)
		ret = fail(c, "read the directory");
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	return ret;
}

/* One entry, with its metadata; a directory's times are set after its entries are in. */
static int copy_entry(struct copy *c, int sdir, const char *sname, int ddir, const char *dname)
{
	struct stat st;
	int ret;

	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, "stat");
	if (S_ISSOCK(st.st_mode)) {
		narrate("commit: /%s: a socket, left out (docker commit leaves them out)", c->path);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(ddir, dname, 0700) < 0)
			return fail(c, "mkdir");
		ret = fill_dir(c, sdir, sname, ddir, dname);
	} else {
		/* A second name shares the first one's inode, metadata and all. */
		ret = st.st_nlink > 1 ? link_again(c, &st, ddir, dname) : 0;
		if (ret != 0)
			return ret < 0 ? -1 : 0;
		ret = make_node(c, sdir, sname, ddir, dname, &st);
		if (ret == 0 && st.st_nlink > 1)
			ret = remember_link(c, &st);
	}
	return ret < 0 ? -1 : copy_metadata(c, sdir, sname, ddir, dname, &st);
}

/* ---- the new layer and the new image ---- */

/* The whole of a small text file, NUL-terminated, in memory to free. */
static char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text = NULL;
	ssize_t n = -1;

	if (fd >= 0 && fstat(fd, &st) == 0 && (text = malloc((size_t)st.st_size + 1)))
		n = read(fd, text, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		fprintf(stderr, "%s: commit: read %s: %m\n", PROG, path);
		free(text);
		return NULL;
	}
	text[n] = 0;
	return text;
}

static const char *next_line(const char *p)
{
	p += strcspn(p, "\n");
	return *p ? p + 1 : p;
}

/*
 * The new image's file: the source image's lines (store.c's "key value"
 * format), its name changed and one "layer ID" more after its layers,
 * which are listed bottom first, so the new one is the top. A run stacks
 * an init layer on them too, and takes MAX_LAYERS in all.
 */
static char *new_image_text(const struct store *s, const struct record *r, const char *name,
			    const char *id)
{
	char path[PATH_MAX], *old, *text = NULL;
	const char *last = NULL, *next;
	size_t layers = 0, len;
	FILE *out;

	if (!r->image[0]) {
		fprintf(stderr, "%s: commit: container %s has no image recorded\n", PROG, r->id);
		return NULL;
	}
	if (snprintf(path, sizeof(path), "%s/images/%s", s->lib, r->image) >= (int)sizeof(path) ||
	    !(old = read_text(path)))
		return NULL;
	for (const char *p = old; *p; p = next_line(p)) {
		if (!strncmp(p, "layer ", 6)) {
			last = p;
			layers++;
		}
	}
	if (!last || layers + 2 > MAX_LAYERS) {
		fprintf(stderr,
			"%s: commit: image %s has %zu layers; commit builds on at most %d\n", PROG,
			r->image, layers, MAX_LAYERS - 2);
		free(old);
		return NULL;
	}
	out = open_memstream(&text, &len);
	if (!out) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		free(old);
		return NULL;
	}
	fprintf(out, "name %s\n", name);
	for (const char *p = old; *p; p = next) {
		next = next_line(p);
		if (strncmp(p, "name ", 5))
			fprintf(out, "%.*s%s", (int)(next - p), p, next[-1] == '\n' ? "" : "\n");
		if (p == last)
			fprintf(out, "layer %s\n", id);
	}
	free(old);
	if (fclose(out) != 0) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		free(text);
		return NULL;
	}
	return text;
}

/*
 * Publish the image file whole: a temporary file, then link(2) to the
 * name. Unlike rename(2), link fails with EEXIST instead of replacing an
 * image someone made under that name meanwhile.
 */
static int publish_image(const struct store *s, const char *name, const char *text,
			 const char *id)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int ret = 0;

	if (snprintf(path, sizeof(path), "%s/images/%s", s->lib, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/images/.%s.tmp", s->lib, id) >= (int)sizeof(tmp))
		return -1;
	if (write_file(tmp, text) < 0) {
		unlink(tmp);
		return -1;
	}
	if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			fprintf(stderr, "%s: image %s already exists\n", PROG, name);
		else
			fprintf(stderr, "%s: link %s to %s: %m\n", PROG, tmp, path);
		ret = -1;
	}
	unlink(tmp);
	return ret;
}

/* upper/ of the container into <lib>/layers/ID: a new directory, then the copy. */
static int copy_layer(struct copy *c, const struct store *s, const struct record *r,
		      const char *id, int *lock)
{
	char dir[PATH_MAX];
	int from, layers, ret = -1;
	struct stat st;

	if (snprintf(dir, sizeof(dir), "%s/containers/%s", s->lib, r->id) >= (int)sizeof(dir) ||
	    (from = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: commit: container %s has no writable layer (%s): %m\n", PROG,
			r->id, dir);
		return -1;
	}
	layers = join_path(dir, sizeof(dir), s->lib, "layers") < 0 || make_dirs(dir, 0700) < 0
			 ? -1
			 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layers < 0) {
		fprintf(stderr, "%s: commit: open %s: %m\n", PROG, dir);
		close(from);
		return -1;
	}
	if (fstatat(from, "upper", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: commit: container %s has no writable layer: %m\n", PROG,
			r->id);
	} else if (mkdirat(layers, id, 0700) < 0) {
		fprintf(stderr, "%s: commit: mkdir %s/%s: %m\n", PROG, dir, id);
	} else {
		c->made = 1;
		c->layer = openat(layers, id, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* held until the image is published: prune leaves a layer being made alone */
		if (c->layer >= 0)
			*lock = openat(layers, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*lock >= 0 && flock(*lock, LOCK_EX) < 0) {
			close(*lock);
			*lock = -1;
		}
		if (c->layer < 0 || *lock < 0)
			fprintf(stderr, "%s: commit: open %s/%s: %m\n", PROG, dir, id);
		else if ((fault_point("commit-mid"), 1) && fill_dir(c, from, "upper", layers, id) == 0)
			ret = copy_metadata(c, from, "upper", layers, id, &st);
	}
	if (c->layer >= 0)
		close(c->layer);
	close(layers);
	close(from);
	return ret;
}

/*
 * The copy itself: a running container paused for it (as docker commit
 * --pause does by default), thawed right after; one the user paused stays
 * paused. The lock keeps rm from removing the layer while we read it.
 */
static int make_layer(const struct store *s, const struct record *r, const char *id,
		      char layer[PATH_MAX], int *lock)
{
	struct copy *c = calloc(1, sizeof(*c));
	int running = !strcmp(record_status(r), "running"), ret = -1;

	if (!c) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return -1;
	}
	c->layer = -1;
	if (snprintf(layer, PATH_MAX, "%s/layers/%s", s->lib, id) >= PATH_MAX) {
		fprintf(stderr, "%s: path too long: %s/layers\n", PROG, s->lib);
		free(c);
		return -1;
	}
	if (load_id_maps(r, c) == 0 && (!running || container_freeze(r, 1) == 0)) {
		ret = copy_layer(c, s, r, id, lock);
		/* Left frozen, the container would hang: a failed thaw fails the commit. */
		if (running && container_freeze(r, 0) < 0)
			ret = -1;
	}
	if (ret < 0 && c->made)
		remove_tree(layer);
	for (size_t i = 0; i < c->n_links; i++)
		free(c->links[i].path);
	free(c->links);
	free(c);
	return ret;
}

/* commit CONTAINER IMAGE: prints the new layer's id, as import does. */
int cmd_commit(const struct store *s, int argc, char **argv)
{
	char path[PATH_MAX], layer[PATH_MAX], id[65], *text = NULL;
	struct record r;
	int lock = -1, layer_lock = -1, ret = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s commit CONTAINER IMAGE\n", PROG);
		return 1;
	}
	if (valid_name(argv[2], "image") < 0 ||
	    snprintf(path, sizeof(path), "%s/images/%s", s->lib, argv[2]) >= (int)sizeof(path))
		return 1;
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "%s: image %s already exists\n", PROG, argv[2]);
		return 1;
	}
	if (record_open(s, argv[1], &r) < 0)
		return 1;
	if (new_id(id) == 0 && (text = new_image_text(s, &r, argv[2], id)) &&
	    (lock = lock_container(s, r.id)) >= 0 && make_layer(s, &r, id, layer, &layer_lock) == 0) {
		if (publish_image(s, argv[2], text, id) == 0) {
			printf("%s\n", id);
			ret = 0;
		} else {
			remove_tree(layer);
		}
	}
	if (layer_lock >= 0)
		close(layer_lock);
	if (lock >= 0)
		close(lock);
	free(text);
	record_free(&r);
	return ret;
}
