/*
 * rootfs.c: the container's filesystem, built by the child inside its own
 * mount namespace (mount_namespaces(7)), so every mount here disappears
 * with the namespace and the host never sees one.
 *
 * In order: make every mount private; mount the root (an overlay of the
 * image's layers, or a bind of a plain directory); do config.mounts in
 * order (/proc, /dev, /sys, the /etc files, volumes, tmpfs), each
 * destination resolved *inside* the root; create the device nodes; mask
 * and write-protect the dangerous parts of /proc and /sys; pivot_root(2)
 * into it; make the root read-only if asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "minidock.h"

#ifndef FSOPEN_CLOEXEC /* the mount API's flags, where glibc predates it (< 2.36) */
#define FSOPEN_CLOEXEC 0x00000001
#define FSMOUNT_CLOEXEC 0x00000001
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif

/* mount(2), narrated. */
static int mount_fs(const char *src, const char *target, const char *type,
		    unsigned long flags, const char *data)
{
	char names[160];

	if (mount(src, target, type, flags, data) < 0) {
		fprintf(stderr, "%s: mount %s on %s: %m\n", PROG, type ? type : src, target);
		return -1;
	}
	narrate("mount(\"%s\", \"%s\", %s, %s, \"%s\") = 0 [mount(2)]", src ? src : "none",
		target, type ? type : "NULL", mount_flag_names(flags, names, sizeof(names)),
		data ? data : "");
	return 0;
}

/*
 * mount(2) onto what an O_PATH fd names, through /proc/self/fd/N: the fd
 * was resolved inside the root, so the kernel cannot be sent elsewhere by
 * a symlink swapped in meanwhile. Narrated with the openat2(2) that made
 * the fd, since the two calls are one lesson.
 */
static int mount_at(const char *src, int fd, const char *name, const char *type,
		    unsigned long flags, const char *data)
{
	char where[64], names[160];

	snprintf(where, sizeof(where), "/proc/self/fd/%d", fd);
	if (mount(src, where, type, flags, data) < 0) {
		fprintf(stderr, "%s: mount %s on /%s: %m\n", PROG, type ? type : src, name);
		return -1;
	}
	narrate("openat2(root, \"%s\", RESOLVE_IN_ROOT) = %d, mount(\"%s\", \"%s\", %s%s%s, %s, "
		"%s%s%s) = 0 [openat2(2), mount(2)]", name[0] ? name : ".", fd,
		src ? src : "none", where, type ? "\"" : "", type ? type : "NULL", type ? "\"" : "",
		mount_flag_names(flags, names, sizeof(names)), data ? "\"" : "", data ? data : "NULL",
		data ? "\"" : "");
	return 0;
}

/*
 * Our copy of the mount table still shares propagation with the host's
 * wherever the host marked a mount shared (systemd marks / so): anything
 * we mount would appear on the host too. Make every mount private first.
 */
static int make_mounts_private(void)
{
	return mount_fs(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/*
 * The root: the image's overlay, which the parent built (overlay.c), or a
 * plain directory. pivot_root(2) needs the new root to be a mount point:
 * a directory is bound onto itself.
 */
static int mount_root(const struct root *root, int root_mnt)
{
	if (root_mnt >= 0)
		return overlay_attach(root_mnt, root->path);
	return mount_fs(root->path, root->path, NULL, MS_BIND | MS_REC, NULL);
}

/*
 * Resolve PATH as if ROOT were "/": openat2(2) with RESOLVE_IN_ROOT keeps
 * every "..", absolute symlink and "/" inside it, so an image with
 * /data -> /etc on the host cannot redirect a volume onto the host.
 */
static int open_in_root(int root, const char *path, int flags)
{
	struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd, tries = 0;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	/*
	 * A ".." walked while any rename or mount happens anywhere on the
	 * machine (our parent renames its lease file meanwhile) makes the
	 * kernel answer EAGAIN rather than risk an escape: openat2(2) says to
	 * retry. A bounded number of times, at once.
	 */
	do
		fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN && ++tries < 64);
	return fd;
}

/*
 * mkdir -p of PATH inside ROOT. A component that is a dangling symlink is
 * followed the way the container would follow it - inside ROOT - and its
 * target is made, as Docker does; DEPTH bounds symlink loops.
 */
static int make_dir_in_root(int root, const char *path, int depth)
{
	char buf[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
	int fd, parent, end;
	ssize_t n;

	if (depth > 40 || snprintf(buf, sizeof(buf), "%s/", path) >= (int)sizeof(buf)) {
		errno = depth > 40 ? ELOOP : ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		end = 0;
		fd = open_in_root(root, buf, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
		} else if (errno != ENOENT) {
			return -1;
		} else {
			char *slash = strrchr(buf, '/');

			*slash = 0;
			parent = open_in_root(root, buf, O_PATH | O_DIRECTORY);
			*slash = '/';
			if (parent < 0)
				return -1;
			if (mkdirat(parent, slash + 1, 0755) < 0) {
				n = errno == EEXIST ? readlinkat(parent, slash + 1, target,
								 sizeof(target) - 1)
						    : -1;
				close(parent);
				if (n < 0)
					return -1;
				target[n] = 0;
				*slash = 0;
				end = snprintf(next, sizeof(next), "%s/%s", target[0] == '/' ? "" : buf,
					       target) >= (int)sizeof(next);
				*slash = '/';
				if (end || make_dir_in_root(root, next, depth + 1) < 0)
					return -1;
			} else {
				close(parent);
			}
		}
		*p = '/';
	}
	return 0;
}

/*
 * An O_PATH fd for the mount point PATH inside ROOT, created (a directory,
 * or an empty file for a file bind) when missing, as Docker creates them.
 */
static int mount_point_in_root(int root, const char *path, int is_file)
{
	char parent[PATH_MAX], *slash;
	int fd, dir;

	fd = open_in_root(root, path, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (!is_file)
		return make_dir_in_root(root, path, 0) < 0 ? -1 : open_in_root(root, path, O_PATH);
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	*slash = 0;
	if (make_dir_in_root(root, parent, 0) < 0)
		return -1;
	dir = open_in_root(root, parent, O_PATH | O_DIRECTORY);
	if (dir < 0)
		return -1;
	fd = openat(dir, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(dir);
	if (fd < 0 && errno != EEXIST)
		return -1;
	if (fd >= 0)
		close(fd);
	return open_in_root(root, path, O_PATH);
}

/* The path through which mount(2) reaches what an O_PATH fd names. */
static const char *fd_path(int fd, char buf[64])
{
	snprintf(buf, 64, "/proc/self/fd/%d", fd);
	return buf;
}

/* The flags a bind remount must repeat, or the kernel refuses to drop them. */
static unsigned long kept_flags(const char *path)
{
	struct statvfs sv;
	unsigned long flags = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		flags |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		flags |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		flags |= MS_NOEXEC;
	/* In a user namespace the atime flags are locked too (mount_namespaces(7)). */
	if (sv.f_flag & ST_NOATIME)
		flags |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		flags |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		flags |= MS_RELATIME;
	return flags;
}

/*
 * A bind mount takes its flags from the first mount(2) only partly:
 * MS_RDONLY needs a second call. MS_REMOUNT covers the top mount only;
 * mount_setattr(2) with AT_RECURSIVE makes it and every submount
 * read-only at once (Linux 5.12), so the remount is the fallback.
 */
static int remount_readonly(int fd, const char *name, int recursive)
{
	char where[64];

#ifdef MOUNT_ATTR_RDONLY
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

	if (recursive && syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
				 sizeof(attr)) == 0) {
		narrate("openat2(root, \"%s\", RESOLVE_IN_ROOT) = %d, mount_setattr(%d, \"\", "
			"AT_EMPTY_PATH|AT_RECURSIVE, {MOUNT_ATTR_RDONLY}) = 0: with its submounts "
			"[mount_setattr(2)]", name, fd, fd);
		return 0;
	}
	if (recursive && errno != ENOSYS) {
		fprintf(stderr, "%s: mount_setattr /%s MOUNT_ATTR_RDONLY: %m\n", PROG, name);
		return -1;
	}
#endif
	if (recursive)
		narrate("no mount_setattr(2): submounts of /%s stay writable", name);
	snprintf(where, sizeof(where), "/proc/self/fd/%d", fd);
	return mount_at(NULL, fd, name, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(where),
			NULL);
}

/* A bind's nosuid, nodev, noexec (an OCI bundle's options): like ro, they need a second call. */
static unsigned long bind_locks(const struct mount_spec *m)
{
	return m->type ? 0 : m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/* mount_setattr(2) on the bind and its submounts; a remount of the top one without it. */
static int remount_bind_locked(int fd, const struct mount_spec *m)
{
	unsigned long flags = bind_locks(m) | (m->readonly ? MS_RDONLY : 0);
	char where[64];
#ifdef MOUNT_ATTR_RDONLY
	struct mount_attr attr = {
		.attr_set = (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
			    (flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
			    (flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
			    (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0)};

	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) == 0) {
		narrate("mount_setattr(\"%s\", AT_RECURSIVE, %#llx) = 0 [mount_setattr(2)]",
			m->destination + 1, (unsigned long long)attr.attr_set);
		return 0;
	}
#endif
	snprintf(where, sizeof(where), "/proc/self/fd/%d", fd);
	return mount_at(NULL, fd, m->destination + 1, NULL,
			MS_BIND | MS_REMOUNT | flags | kept_flags(where), NULL);
}

/*
 * The sources of bind mounts, opened (O_PATH) while we still have the
 * host's ids: with a user namespace, the container's root may not reach
 * them (the store's directories are closed to it), yet it must make the
 * mount points, which are its files. mount(2) then takes the source as
 * /proc/self/fd/N, which needs no search permission on the path. An
 * idmapped volume arrives from the parent as a detached mount instead.
 */
static int bind_sources[MAX_MOUNTS];

/* The container's root, opened with the host's ids: the way into it from then on. */
static int root_fd = -1;

static int open_bind_sources(const struct config *cfg, const int *trees)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		bind_sources[i] = trees[i];
		if (cfg->mounts[i].type || cfg->mounts[i].idmap)
			continue;
		bind_sources[i] = open(cfg->mounts[i].source, O_PATH | O_CLOEXEC);
		if (bind_sources[i] < 0) {
			fprintf(stderr, "%s: open %s: %m\n", PROG, cfg->mounts[i].source);
			return -1;
		}
		narrate("open(\"%s\", O_PATH) = %d: a bind's source, with the host's ids [open(2)]",
			cfg->mounts[i].source, bind_sources[i]);
	}
	return 0;
}

/* An idmapped volume, a detached mount from the parent, goes onto the mount point. */
static int move_tree(int tree, int fd, const char *name)
{
	if (syscall(SYS_move_mount, tree, "", fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		fprintf(stderr, "%s: move_mount the idmapped volume to /%s: %m\n", PROG, name);
		return -1;
	}
	narrate("move_mount(%d, \"\", %d (\"%s\"), \"\", MOVE_MOUNT_F_EMPTY_PATH|"
		"MOVE_MOUNT_T_EMPTY_PATH) = 0 [move_mount(2)]", tree, fd, name);
	return 0;
}

static int do_mount(int root, const struct mount_spec *m, int source)
{
	char src[64];
	int fd, ret = -1;

	fd = mount_point_in_root(root, m->destination, m->is_file);
	if (fd < 0) {
		fprintf(stderr, "%s: mount point %s in the container: %m\n", PROG, m->destination);
		return -1;
	}
	/* For a bind, MS_REC brings the source's submounts along (mount(2)). */
	if (m->idmap && move_tree(source, fd, m->destination + 1) < 0)
		goto out;
	if (!m->idmap && mount_at(source >= 0 ? fd_path(source, src) : m->source, fd, m->destination + 1,
		     m->type, m->flags | (m->type ? 0 : MS_BIND | MS_REC), m->data) < 0)
		goto out;
	close(fd);
	if (!m->readonly && !bind_locks(m))
		return 0;
	/* The fd names the directory under the new mount: reopen to reach the mount. */
	fd = open_in_root(root, m->destination, O_PATH);
	if (fd < 0) {
		fprintf(stderr, "%s: reopen %s: %m\n", PROG, m->destination);
		return -1;
	}
	ret = bind_locks(m) ? remount_bind_locked(fd, m) : remount_readonly(fd, m->destination + 1, !m->type);
out:
	close(fd);
	return ret;
}

/*
 * In a user namespace mknod(2) of a device needs CAP_MKNOD on the host,
 * and filesystems mounted from it ignore device nodes anyway (SB_I_NODEV):
 * bind the host's node onto an empty file instead, as chapter 7 does.
 */
static int bind_host_device(int dev, const struct device_spec *d)
{
	char host[64], where[64];
	int fd = openat(dev, d->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666), ret = 0;

	if (fd < 0) {
		fprintf(stderr, "%s: create /dev/%s: %m\n", PROG, d->path);
		return -1;
	}
	close(fd);
	fd = openat(dev, d->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(host, sizeof(host), "/dev/%s", d->path);
	if (mount(host, fd_path(fd, where), NULL, MS_BIND, NULL) < 0) {
		fprintf(stderr, "%s: bind %s: %m\n", PROG, host);
		ret = -1;
	} else {
		narrate("openat(%d (/dev), \"%s\", O_PATH) = %d, mount(\"%s\", \"%s\", NULL, MS_BIND, "
			"NULL) = 0: the host's node [openat(2), mount(2)]", dev, d->path, fd, host, where);
	}
	close(fd);
	return ret;
}

/* Is /dev/PATH already this very node? */
static int is_same_node(int dev, const struct device_spec *d, mode_t type)
{
	struct stat st;

	return fstatat(dev, d->path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (st.st_mode & S_IFMT) == type && st.st_rdev == makedev(d->major, d->minor);
}

static int make_device(int dev, const struct device_spec *d, int userns)
{
	mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;

	if (userns)
		return bind_host_device(dev, d);
	/* mknod(2) applies the umask; fchmodat sets the mode we mean. Without a
	 * /dev mount the nodes go into the bundle's rootfs itself, so the next
	 * run finds them there: the same node is fine, anything else is not. */
	if ((mknodat(dev, d->path, type | 0666, makedev(d->major, d->minor)) < 0 &&
	     (errno != EEXIST || !is_same_node(dev, d, type))) ||
	    fchmodat(dev, d->path, 0666, 0) < 0) {
		fprintf(stderr, "%s: mknod /dev/%s: %m\n", PROG, d->path);
		return -1;
	}
	narrate("mknodat(%d (/dev), \"%s\", %s|0666, %u:%u) = 0 [mknod(2)]", dev, d->path,
		d->type == 'b' ? "S_IFBLK" : "S_IFCHR", d->major, d->minor);
	return 0;
}

/* linux.devices, and the links every /dev has (pts/ptmx, fd, stdin, ...). */
static int make_devices(int root, const struct config *cfg)
{
	static const char *const links[][2] = {
		{"pts/ptmx", "ptmx"},           {"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"},   {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	};
	int dev = open_in_root(root, "/dev", O_PATH | O_DIRECTORY), ret = -1;

	if (dev < 0) {
		fprintf(stderr, "%s: open /dev in the container: %m\n", PROG);
		return -1;
	}
	for (size_t i = 0; i < cfg->linux.n_devices; i++)
		if (make_device(dev, &cfg->linux.devices[i], userns_any(cfg)) < 0)
			goto out;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST) {
			fprintf(stderr, "%s: symlink /dev/%s: %m\n", PROG, links[i][1]);
			goto out;
		}
	}
	ret = 0;
out:
	close(dev);
	return ret;
}

/*
 * Masked paths leak the host's kernel (kcore: its memory; keys; timer_list
 * and sched_debug: every task's details): hide a file under the container's
 * /dev/null and a directory under an empty read-only tmpfs. Only those
 * that exist: the kernel decides which ones there are.
 */
static int mask_path(int root, const char *path, const char *null_path)
{
	struct stat st;
	int fd = open_in_root(root, path, O_PATH | O_NOFOLLOW), ret;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		ret = mount_at("tmpfs", fd, path + 1, "tmpfs", MS_RDONLY, "size=0k,mode=755");
	else
		ret = mount_at(null_path, fd, path + 1, NULL, MS_BIND, NULL);
	close(fd);
	return ret;
}

/* Read-only paths: the host's sysctls and interrupt routing, visible but not writable. */
static int protect_path(int root, const char *path)
{
	char where[64];
	int fd = open_in_root(root, path, O_PATH | O_NOFOLLOW), ret;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ret = mount_at(fd_path(fd, where), fd, path + 1, NULL, MS_BIND | MS_REC, NULL);
	close(fd);
	if (ret < 0)
		return -1;
	/* Reopen: the fd names what lies under the new mount. */
	fd = open_in_root(root, path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ret = remount_readonly(fd, path + 1, 1);
	close(fd);
	return ret;
}

static int mask_and_protect(int root, const struct config *cfg)
{
	char null_path[64];
	int null = open_in_root(root, "/dev/null", O_PATH), ret = -1;

	if (null < 0) {
		fprintf(stderr, "%s: open /dev/null in the container: %m\n", PROG);
		return -1;
	}
	fd_path(null, null_path);
	for (size_t i = 0; i < cfg->linux.n_masked; i++) {
		if (mask_path(root, cfg->linux.masked_paths[i], null_path) < 0) {
			fprintf(stderr, "%s: mask %s: %m\n", PROG, cfg->linux.masked_paths[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < cfg->linux.n_readonly; i++) {
		if (protect_path(root, cfg->linux.readonly_paths[i]) < 0) {
			fprintf(stderr, "%s: make %s read-only: %m\n", PROG,
				cfg->linux.readonly_paths[i]);
			goto out;
		}
	}
	ret = 0;
out:
	close(null);
	return ret;
}

/* -w: Docker creates a missing working directory. */
static int make_workdir(int root, const char *cwd)
{
	int fd = mount_point_in_root(root, cwd, 0);

	if (fd < 0) {
		fprintf(stderr, "%s: working directory %s: %m\n", PROG, cwd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * pivot_root(".", ".") stacks the old root on top of the new one (see
 * pivot_root(2), NOTES); unmounting "." then detaches the whole host tree
 * from our namespace, so no path leads back to it.
 */
static int enter_root(void)
{
	if (fchdir(root_fd) < 0) {
		fprintf(stderr, "%s: fchdir to the root: %m\n", PROG);
		return -1;
	}
	close(root_fd);
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		fprintf(stderr, "%s: pivot_root: %m\n", PROG);
		return -1;
	}
	narrate("pivot_root(\".\", \".\") = 0 [pivot_root(2)]");
	if (umount2(".", MNT_DETACH) < 0) {
		fprintf(stderr, "%s: umount2 old root: %m\n", PROG);
		return -1;
	}
	narrate("umount2(\".\", MNT_DETACH) = 0 [umount2(2)]");
	if (chdir("/") < 0) {
		fprintf(stderr, "%s: chdir /: %m\n", PROG);
		return -1;
	}
	return 0;
}

static int make_root_readonly(void)
{
	int fd = open("/", O_PATH | O_CLOEXEC), ret;

	if (fd < 0) {
		fprintf(stderr, "%s: open /: %m\n", PROG);
		return -1;
	}
	ret = remount_readonly(fd, "", 0);
	close(fd);
	return ret;
}

/*
 * The files a container gets but its image has not - /etc/hostname,
 * /etc/hosts, /etc/resolv.conf - and the mount point of its root live in
 * a small tmpfs of its own, made detached (fsopen(2), fsmount(2)) by the
 * parent, which writes them through /proc/self/fd/N. The child attaches
 * it over its state directory, in its own mount namespace only: the host
 * sees an empty directory, its disk gets none of these files, and the
 * exit deletes none (the tmpfs goes with the container's mounts of it).
 */
int make_state_fs(void)
{
	int fs, mnt = -1;

	fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0) {
		fprintf(stderr, "%s: fsopen tmpfs: %m\n", PROG);
		return -1;
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "1m", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		fprintf(stderr, "%s: create the state tmpfs: %m\n", PROG);
	else if ((mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
				     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		fprintf(stderr, "%s: fsmount the state tmpfs: %m\n", PROG);
	else
		narrate("fsopen(\"tmpfs\", FSOPEN_CLOEXEC) = %d, fsconfig(size=1m, mode=0755, "
			"CREATE), fsmount(%d, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV|"
			"MOUNT_ATTR_NOEXEC) = %d: the container's /etc files, detached [fsmount(2)]",
			fs, fs, mnt);
	close(fs);
	return mnt;
}

/* In the child: the state tmpfs goes over the state directory, privately. */
static int attach_state_fs(const struct config *cfg)
{
	if (cfg->state_fs < 0)
		return 0;
	if (syscall(SYS_move_mount, cfg->state_fs, "", AT_FDCWD, cfg->state_dir,
		    MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		fprintf(stderr, "%s: move_mount the state tmpfs to %s: %m\n", PROG, cfg->state_dir);
		return -1;
	}
	narrate("move_mount(%d, \"\", AT_FDCWD, \"%s\", MOVE_MOUNT_F_EMPTY_PATH) = 0 "
		"[move_mount(2)]", cfg->state_fs, cfg->state_dir);
	return 0;
}

/* First, with the host's ids: the root, and the bind sources. */
int attach_rootfs(const struct config *cfg, int root_mnt, const int *trees)
{
	if (make_mounts_private() < 0 || attach_state_fs(cfg) < 0 ||
	    mount_root(&cfg->root, root_mnt) < 0 || open_bind_sources(cfg, trees) < 0)
		return -1;
	root_fd = open(cfg->root.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, cfg->root.path);
		return -1;
	}
	return 0;
}

/* Then, as the container's root: everything inside it. */
int fill_rootfs(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (do_mount(root_fd, &cfg->mounts[i], bind_sources[i]) < 0)
			return -1;
	if (make_devices(root_fd, cfg) < 0 || mask_and_protect(root_fd, cfg) < 0 ||
	    make_workdir(root_fd, cfg->process.cwd) < 0)
		return -1;
	return 0;
}

/* Last, once the cgroups are joined: into it, for good. */
int enter_rootfs(const struct config *cfg)
{
	if (enter_root() < 0)
		return -1;
	/* --read-only: the root itself; volumes, tmpfs, /dev and /proc keep their own. */
	if (cfg->root.readonly && make_root_readonly() < 0)
		return -1;
	if (chdir(cfg->process.cwd) < 0) {
		fprintf(stderr, "%s: chdir %s: %m\n", PROG, cfg->process.cwd);
		return -1;
	}
	return 0;
}
