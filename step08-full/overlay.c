/*
 * overlay.c: chapter 5's image layers, stacked by overlayfs
 * (filesystems/overlayfs.rst): the image's layers, read-only, under one
 * writable layer of the container's own. The union shows the top layer's
 * file where two layers have one, copies a file up on its first write and
 * records a deletion as a whiteout (a 0/0 character device) in the
 * writable layer.
 *
 * It is built with the newer mount API - fsopen(2), fsconfig(2),
 * fsmount(2) - as a detached mount: an fd, attached nowhere, so a killed
 * run leaves no mount behind - and attached as the container's root with
 * move_mount(2). The child builds it right after clone(2), while the
 * parent makes the network (two cores, two halves of the work). With a
 * user namespace the parent builds it before clone, and the child
 * inherits the fd: the overlay must be made with the host root's
 * credentials (its trusted.* xattrs), not the container root's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "minidock.h"

/* The mount API's flags, where the libc headers predate it (glibc < 2.36). */
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#define FSMOUNT_CLOEXEC 0x00000001
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

static int set_option(int fs, const char *key, const char *value)
{
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0) < 0) {
		fprintf(stderr, "%s: overlay option %s=%s: %m\n", PROG, key, value);
		return -1;
	}
	narrate("fsconfig(%d, FSCONFIG_SET_STRING, \"%s\", \"%s\") = 0 [fsconfig(2)]", fs, key,
		value);
	return 0;
}

/* "a:b:c" of the layers, each less its first `skip` bytes, if it fits in 256 bytes. */
static int join_layers(char lower[256], const char *const *layers, size_t n_layers, size_t skip)
{
	size_t used = 0;

	for (size_t i = 0; i < n_layers && used < 256; i++)
		used += (size_t)snprintf(lower + used, 256 - used, "%s%s", i ? ":" : "",
					 layers[i] + skip);
	return used < 256;
}

/* The directory every layer is directly in (a store's layers/), or "". */
static void common_parent(const char *const *layers, size_t n_layers, char dir[PATH_MAX])
{
	const char *slash = strrchr(layers[0], '/');
	size_t len = slash ? (size_t)(slash - layers[0]) : 0;

	dir[0] = 0;
	if (!len || len >= PATH_MAX)
		return;
	for (size_t i = 0; i < n_layers; i++)
		if (strncmp(layers[i], layers[0], len + 1) || strchr(layers[i] + len + 1, '/'))
			return;
	snprintf(dir, PATH_MAX, "%.*s", (int)len, layers[0]);
}

/*
 * The layers, top first. fsconfig(2) takes strings of at most 256 bytes:
 * layers that fit go in one "lowerdir", separated by ':', which every
 * kernel takes. Too long as absolute paths, the layers of one store are
 * named from inside their directory (overlayfs resolves a relative path
 * from our working directory, as mount(8) does; Docker's overlay2 makes
 * short symlinks for the same limit): *old_cwd then holds where we were.
 * Longer lists need "lowerdir+" (Linux 6.8), one layer per call; kernels
 * before 6.5 accept it at fsconfig time and refuse it only at
 * FSCONFIG_CMD_CREATE, so it comes last.
 */
static int set_lower_layers(int fs, const char *const *layers, size_t n_layers, int *old_cwd)
{
	char lower[256], dir[PATH_MAX];

	if (join_layers(lower, layers, n_layers, 0))
		return set_option(fs, "lowerdir", lower);
	common_parent(layers, n_layers, dir);
	if (dir[0] && join_layers(lower, layers, n_layers, strlen(dir) + 1)) {
		*old_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*old_cwd < 0 || chdir(dir) < 0) {
			fprintf(stderr, "%s: chdir %s: %m\n", PROG, dir);
			return -1;
		}
		narrate("chdir(\"%s\"): the layers by name, so one lowerdir holds them [chdir(2)]",
			dir);
		return set_option(fs, "lowerdir", lower);
	}
	for (size_t i = 0; i < n_layers; i++) {
		if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+", layers[i], 0) < 0) {
			fprintf(stderr, "%s: overlay layer %s: %m%s\n", PROG, layers[i],
				errno == EINVAL ? " (the layers' paths need Linux 6.8's lowerdir+: "
						  "use a shorter --root)"
						: "");
			return -1;
		}
		narrate("fsconfig(%d, FSCONFIG_SET_STRING, \"lowerdir+\", \"%s\") = 0 [fsconfig(2)]",
			fs, layers[i]);
	}
	return 0;
}

/*
 * A writable layer deleted at exit need not survive a crash: "volatile"
 * (Linux 5.10, filesystems/overlayfs.rst) skips every sync of it. Without
 * it, unmounting the overlay - when the container's last process exits -
 * runs syncfs(2) on the whole filesystem under upperdir, and the exit
 * waits for every dirty page of every program on that disk. Podman mounts
 * --rm containers so too. An older kernel says EINVAL: we sync, then.
 */
static int set_volatile(int fs, const struct root *root)
{
	if (!root->volatile_upper)
		return 0;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) {
		if (errno != EINVAL) {
			fprintf(stderr, "%s: overlay option volatile: %m\n", PROG);
			return -1;
		}
		narrate("fsconfig(%d, FSCONFIG_SET_FLAG, \"volatile\") = EINVAL: this kernel "
			"syncs the writable layer at exit [fsconfig(2)]", fs);
		return 0;
	}
	narrate("fsconfig(%d, FSCONFIG_SET_FLAG, \"volatile\", NULL) = 0 [fsconfig(2)]", fs);
	return 0;
}

static int set_layers(int fs, const struct root *root, const char *const *layers, int *old_cwd)
{
	return set_option(fs, "source", "overlay") < 0 ||
			       set_lower_layers(fs, layers, root->n_layers, old_cwd) < 0 ||
			       set_option(fs, "upperdir", root->upper) < 0 ||
			       set_option(fs, "workdir", root->work) < 0 || set_volatile(fs, root) < 0
		       ? -1
		       : 0;
}

/*
 * The overlay of root's layers, detached; an fd, or -1. LAYERS names them
 * (root->layers, or the /proc/self/fd paths of idmapped copies: userns.c).
 */
int overlay_create(const struct root *root, const char *const *layers)
{
	int fs, mnt = -1, old_cwd = -1;

	fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0) {
		fprintf(stderr, "%s: fsopen overlay: %m (is overlayfs in this kernel?)\n", PROG);
		return -1;
	}
	narrate("fsopen(\"overlay\", FSOPEN_CLOEXEC) = %d [fsopen(2)]", fs);
	if (set_layers(fs, root, layers, &old_cwd) < 0)
		goto out;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		fprintf(stderr, "%s: create the overlay: %m\n", PROG);
		goto out;
	}
	/* The layers are resolved by now, whatever the kernel's version. */
	if (old_cwd >= 0 && fchdir(old_cwd) < 0) {
		fprintf(stderr, "%s: fchdir back: %m\n", PROG);
		goto out;
	}
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		fprintf(stderr, "%s: fsmount overlay: %m\n", PROG);
	else
		narrate("fsmount(%d, FSMOUNT_CLOEXEC, 0) = %d: a detached overlay [fsmount(2)]",
			fs, mnt);
out:
	if (old_cwd >= 0)
		close(old_cwd);
	close(fs);
	return mnt;
}

/* In the child: the detached overlay becomes the mount at PATH. */
int overlay_attach(int mnt, const char *path)
{
	if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		fprintf(stderr, "%s: move_mount the overlay to %s: %m\n", PROG, path);
		return -1;
	}
	narrate("move_mount(%d, \"\", AT_FDCWD, \"%s\", MOVE_MOUNT_F_EMPTY_PATH) = 0 "
		"[move_mount(2)]", mnt, path);
	close(mnt);
	return 0;
}

/* ---- the init layer ---- */

/* How the image has NAME: the top layer that has it wins, as in the overlay. */
static int image_lstat(const struct root *root, const char *name, struct stat *st)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < root->n_layers; i++)
		if (join_path(path, sizeof(path), root->layers[i], name) == 0 && lstat(path, st) == 0)
			return 0;
	return -1;
}

/* A directory of the init layer, as the image has it, unless the image has no directory there. */
static int init_dir(const struct root *root, const char *dir, const char *name)
{
	struct stat st = {.st_mode = S_IFDIR | 0755};
	char path[PATH_MAX];

	if (image_lstat(root, name, &st) == 0 && !S_ISDIR(st.st_mode))
		return 0;
	if (join_path(path, sizeof(path), dir, name) < 0)
		return -1;
	if (mkdir(path, st.st_mode & 07777) < 0 || chown(path, st.st_uid, st.st_gid) < 0 ||
	    chmod(path, st.st_mode & 07777) < 0) {
		fprintf(stderr, "%s: init layer: %s: %m\n", PROG, path);
		return -1;
	}
	return 0;
}

static int init_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (join_path(path, sizeof(path), dir, name) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: init layer: %s: %m\n", PROG, path);
		return -1;
	}
	return close(fd);
}

static int fill_init_layer(const struct root *root, const char *dir)
{
	static const char *const dirs[] = {"dev", "proc", "sys", "etc"};
	static const char *const files[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf"};
	char etc[PATH_MAX];
	struct stat st;

	if (mkdir(dir, 0755) < 0) {
		fprintf(stderr, "%s: init layer: mkdir %s: %m\n", PROG, dir);
		return -1;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (init_dir(root, dir, dirs[i]) < 0)
			return -1;
	/* An image whose /etc is not a directory gets no files there. */
	if (join_path(etc, sizeof(etc), dir, "etc") < 0 || stat(etc, &st) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (init_file(dir, files[i]) < 0)
			return -1;
	return 0;
}

/*
 * Docker's init layer: the mount points every container needs (/etc/hosts
 * and friends, /proc, /sys, /dev), made once per image as a layer of their
 * own between the image and the writable layer. Without it every start
 * would copy /etc up into its writable layer to create them, and every
 * --rm would delete them again. Made under a temporary name and renamed,
 * so concurrent first runs never see half of it. PATH receives its name.
 */
int overlay_init_layer(struct root *root, char path[PATH_MAX])
{
	char tmp[PATH_MAX];

	if (root->n_layers + 1 > MAX_LAYERS ||
	    snprintf(path, PATH_MAX, "%s.init", root->layers[0]) >= PATH_MAX ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, getpid()) >= (int)sizeof(tmp))
		return -1;
	if (access(path, F_OK) < 0) {
		narrate("making the image's init layer %s", path);
		if (fill_init_layer(root, tmp) < 0 ||
		    (rename(tmp, path) < 0 && errno != EEXIST && errno != ENOTEMPTY)) {
			remove_tree(tmp);
			return -1;
		}
		remove_tree(tmp);
	}
	memmove(&root->layers[1], &root->layers[0], root->n_layers * sizeof(root->layers[0]));
	root->layers[0] = path;
	root->n_layers++;
	return 0;
}
