/*
 * import.c: a tarball (docker export, an Alpine minirootfs .tar.gz) or a
 * directory becomes one layer directory of the store.
 *
 * An image comes from someone else, so its tar is hostile until proven
 * otherwise: names that climb out (".." or absolute), hard links to
 * outside, device nodes are refused, and nothing is ever written through
 * a symlink the archive itself made. Every entry's parent directory is
 * opened with openat2(2) RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS from the
 * layer's directory, and the entry is created relative to it with *at()
 * calls that do not follow a final symlink. Symlinks are stored as they
 * are (Alpine's absolute ones included): they mean something only inside
 * the container, where its root is "/".
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "minidock.h"

/* One tar header block (POSIX ustar, with GNU and pax extensions read too). */
struct tar_header {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8];
	char typeflag, linkname[100], magic[6], version[2], uname[32], gname[32];
	char devmajor[8], devminor[8], prefix[155], pad[12];
};

/* An entry being extracted: its name, link target and metadata. */
struct entry {
	char name[PATH_MAX], link[PATH_MAX];
	char type;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	long long size;
};

/* Numeric fields: octal text, or GNU's base-256 when the top bit is set. */
static long long tar_number(const char *field, size_t len)
{
	long long v = 0;

	if ((unsigned char)field[0] & 0x80) {
		for (size_t i = 1; i < len; i++) {
			if (v > (LLONG_MAX >> 8))
				return -1; /* more than any file: refused by the callers */
			v = (v << 8) | (unsigned char)field[i];
		}
		return v;
	}
	for (size_t i = 0; i < len && field[i]; i++)
		if (field[i] >= '0' && field[i] <= '7')
			v = v * 8 + (field[i] - '0');
	return v;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 1; /* 1: the archive ended early */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The header's checksum: the sum of its bytes, with the checksum field as spaces. */
static int header_valid(const struct tar_header *h)
{
	const unsigned char *b = (const unsigned char *)h;
	long long sum = 0;

	for (size_t i = 0; i < sizeof(*h); i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	return sum == tar_number(h->chksum, sizeof(h->chksum));
}

/*
 * A name is safe if it stays beneath the layer: not absolute, no ".."
 * component. A leading "./" (docker export, Alpine) is dropped.
 */
static int clean_name(char *name, const char *what)
{
	char *p = name;
	size_t len;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	memmove(name, p, strlen(p) + 1);
	len = strlen(name);
	while (len > 0 && name[len - 1] == '/')
		name[--len] = 0;
	if (name[0] == '/') {
		fprintf(stderr, "%s: import: refusing %s with an absolute name: %s\n", PROG, what,
			name);
		return -1;
	}
	for (p = name; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2])) {
			fprintf(stderr, "%s: import: refusing %s that climbs out: %s\n", PROG, what,
				name);
			return -1;
		}
	}
	return 0;
}

/*
 * Archives may omit directory entries: make DIR's components one by one,
 * each opened beneath the last (openat2(2), never through a symlink).
 * A loop, not a recursion: a name may have two thousand levels.
 */
static int make_parents(int layer, char *dir, const struct open_how *how)
{
	int fd = fcntl(layer, F_DUPFD_CLOEXEC, 0), next;

	for (char *c = dir, *slash; fd >= 0 && c; c = slash ? slash + 1 : NULL) {
		slash = strchr(c, '/');
		if (slash)
			*slash = 0;
		if (!c[0] || !strcmp(c, "."))
			continue;
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = (int)syscall(SYS_openat2, fd, c, how, sizeof(*how));
		close(fd);
		fd = next;
	}
	return fd;
}

/* The parent of NAME beneath the layer, never through a symlink (openat2(2)). */
static int open_parent(int layer, const char *name, const char **base)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	char dir[PATH_MAX];
	const char *slash = strrchr(name, '/');
	int fd;

	*base = slash ? slash + 1 : name;
	if (!slash)
		return fcntl(layer, F_DUPFD_CLOEXEC, 0);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	fd = (int)syscall(SYS_openat2, layer, dir, &how, sizeof(how));
	if (fd < 0 && errno == ENOENT)
		fd = make_parents(layer, dir, &how);
	return fd;
}

/* The entry's data; -2 when the archive ends first (reported here). */
static int copy_data(int from, int to, long long size, const char *name)
{
	char buf[65536];

	while (size > 0) {
		size_t chunk = size < (long long)sizeof(buf) ? (size_t)size : sizeof(buf);
		int r = read_full(from, buf, chunk);

		if (r > 0) {
			fprintf(stderr, "%s: import: the archive is truncated, inside %s\n", PROG,
				name);
			return -2;
		}
		if (r < 0)
			return -1;
		if (write(to, buf, chunk) != (ssize_t)chunk)
			return -1;
		size -= (long long)chunk;
	}
	return 0;
}

/* A later entry replaces an earlier one of the same name, as tar does; a directory stays. */
static int make_room(int dir, const char *base, char type)
{
	struct stat st;

	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode))
		return type == '5' ? 0 : unlinkat(dir, base, AT_REMOVEDIR);
	return unlinkat(dir, base, 0);
}

/*
 * A file the store's filesystem cannot hold is refused before a byte of
 * it is written: a small gzip can claim terabytes. fstatvfs(2) of the
 * directory it goes in; a tenth of what is free stays free. -1: refused.
 */
static int too_big(int dir, const struct entry *e)
{
	struct statvfs fs;
	long long avail;

	if (fstatvfs(dir, &fs) < 0)
		return 0;
	avail = (long long)fs.f_bavail * (long long)fs.f_frsize;
	if (e->size <= avail - avail / 10)
		return 0;
	fprintf(stderr, "%s: import: %s: %lld bytes would fill the store (%lld free)\n", PROG,
		e->name, e->size, avail);
	return -1;
}

static int create_entry(int layer, int dir, const char *base, const struct entry *e, int in)
{
	const char *lbase;
	int fd, ldir, ret;

	switch (e->type) {
	case '5':
		return mkdirat(dir, base, 0700) < 0 && errno != EEXIST ? -1 : 0;
	case '2':
		return symlinkat(e->link, dir, base);
	case '6':
		return mkfifoat(dir, base, 0600);
	case '1':
		ldir = open_parent(layer, e->link, &lbase);
		if (ldir < 0)
			return -1;
		ret = linkat(ldir, lbase, dir, base, 0);
		close(ldir);
		return ret;
	default:
		if (too_big(dir, e) < 0)
			return -2;
		fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		ret = copy_data(in, fd, e->size, e->name);
		if (close(fd) < 0)
			ret = -1;
		return ret;
	}
}

/*
 * Owner and mode as the archive says (we are root); a symlink keeps 0777.
 * A hard link shares its target's inode, whose owner and mode are set
 * already: chown(2) again would clear its set-user-ID bit.
 */
static int set_metadata(int dir, const char *base, const struct entry *e)
{
	if (e->type == '1')
		return 0;
	if (fchownat(dir, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (e->type == '2')
		return 0;
	return fchmodat(dir, base, e->mode & 07777, 0);
}

static int extract_entry(int layer, struct entry *e, int in)
{
	const char *base;
	int dir, ret;

	if (clean_name(e->name, "entry") < 0)
		return -1;
	if (!e->name[0])
		return 0; /* "./": the layer itself */
	if (e->type == '3' || e->type == '4') {
		fprintf(stderr, "%s: import: refusing device node %s\n", PROG, e->name);
		return -1;
	}
	if (!strchr("012567", e->type)) {
		fprintf(stderr, "%s: import: %s: unsupported entry type '%c'\n", PROG, e->name,
			e->type);
		return -1;
	}
	if (e->type == '1' && clean_name(e->link, "hard link") < 0)
		return -1;
	dir = open_parent(layer, e->name, &base);
	if (dir < 0) {
		fprintf(stderr, "%s: import: %s: %m (a parent is missing or a symlink)\n", PROG,
			e->name);
		return -1;
	}
	ret = make_room(dir, base, e->type);
	if (ret == 0)
		ret = create_entry(layer, dir, base, e, in);
	if (ret == 0)
		ret = set_metadata(dir, base, e);
	if (ret == -1)
		fprintf(stderr, "%s: import: extract %s: %m\n", PROG, e->name);
	close(dir);
	return ret;
}

/* Skip to the next 512-byte boundary after SIZE bytes of data. */
static int skip_padding(int in, long long size)
{
	char pad[512];
	size_t n = (size_t)((512 - size % 512) % 512);

	return n ? read_full(in, pad, n) : 0;
}

/* The data of a GNU 'L'/'K' header: the next entry's long name or link target. */
static int read_text(int in, long long size, char *out, size_t len)
{
	static char buf[65537];

	if (size <= 0 || size > 65536 || read_full(in, buf, (size_t)size) != 0 ||
	    skip_padding(in, size) != 0) {
		fprintf(stderr, "%s: import: bad long-name header\n", PROG);
		return -1;
	}
	buf[size] = 0;
	if (strlen(buf) >= len) {
		fprintf(stderr, "%s: import: name longer than PATH_MAX\n", PROG);
		return -1;
	}
	snprintf(out, len, "%s", buf);
	return 0;
}

/* pax records: "LEN key=value\n"; path and linkpath matter here. */
static int read_pax(int in, long long size, struct entry *next)
{
	static char buf[65537];
	char *p, *end;

	if (size <= 0 || size > 65536 || read_full(in, buf, (size_t)size) != 0 ||
	    skip_padding(in, size) != 0) {
		fprintf(stderr, "%s: import: bad pax header\n", PROG);
		return -1;
	}
	buf[size] = 0;
	for (p = buf; p < buf + size; p = end) {
		long len = strtol(p, &end, 10);
		char *kv = end + 1, *nl = p + len - 1;

		if (len <= 0 || p + len > buf + size || *end != ' ' || *nl != '\n') {
			fprintf(stderr, "%s: import: bad pax record (its length or layout)\n",
				PROG);
			return -1;
		}
		*nl = 0;
		if (!strncmp(kv, "path=", 5))
			snprintf(next->name, sizeof(next->name), "%s", kv + 5);
		else if (!strncmp(kv, "linkpath=", 9))
			snprintf(next->link, sizeof(next->link), "%s", kv + 9);
		end = p + len;
	}
	return 0;
}

static void fill_entry(const struct tar_header *h, struct entry *e)
{
	if (!e->name[0]) {
		if (h->prefix[0] && !strncmp(h->magic, "ustar", 5))
			snprintf(e->name, sizeof(e->name), "%.155s/%.100s", h->prefix, h->name);
		else
			snprintf(e->name, sizeof(e->name), "%.100s", h->name);
	}
	if (!e->link[0])
		snprintf(e->link, sizeof(e->link), "%.100s", h->linkname);
	e->type = h->typeflag ? h->typeflag : '0';
	e->mode = (mode_t)tar_number(h->mode, sizeof(h->mode));
	e->uid = (uid_t)tar_number(h->uid, sizeof(h->uid));
	e->gid = (gid_t)tar_number(h->gid, sizeof(h->gid));
	e->size = tar_number(h->size, sizeof(h->size));
}

static int extract_tar(int in, int layer)
{
	static struct entry e;
	struct tar_header h;
	int r;

	memset(&e, 0, sizeof(e));
	for (;;) {
		if ((r = read_full(in, &h, sizeof(h))) != 0) {
			fprintf(stderr, "%s: import: archive ends without its end marker\n", PROG);
			return -1;
		}
		if (!h.name[0])
			return 0; /* a zero block: the end */
		if (!header_valid(&h)) {
			fprintf(stderr, "%s: import: not a tar archive (bad header checksum)\n",
				PROG);
			return -1;
		}
		long long size = tar_number(h.size, sizeof(h.size));

		if (size < 0) {
			fprintf(stderr, "%s: import: %.100s: bad size field\n", PROG, h.name);
			return -1;
		}

		if (h.typeflag == 'L' || h.typeflag == 'K') {
			if (read_text(in, size, h.typeflag == 'L' ? e.name : e.link, PATH_MAX) < 0)
				return -1;
			continue;
		}
		if (h.typeflag == 'x' || h.typeflag == 'g') {
			struct entry ignored;

			if (read_pax(in, size, h.typeflag == 'x' ? &e : &ignored) < 0)
				return -1;
			continue;
		}
		fill_entry(&h, &e);
		if (extract_entry(layer, &e, in) < 0)
			return -1;
		fault_point("import-mid");
		/* Data follows regular files only; a hard link or directory has none to skip. */
		if ((e.type == '0' || e.type == '7') && skip_padding(in, e.size) != 0)
			return -1;
		if (e.type != '0' && e.type != '7' && size > 0) {
			fprintf(stderr, "%s: import: %s: unexpected data\n", PROG, e.name);
			return -1;
		}
		memset(&e, 0, sizeof(e));
	}
}

/*
 * gzip: the host's `gzip -dc` does the inflating (import is not the
 * container start path, and a hand-written inflate would be the biggest
 * file of the chapter for no lesson); we read its output from a pipe.
 */
static pid_t start_gunzip(const char *file, int *out)
{
	int p[2];
	pid_t pid;

	pid = fork_with_pipe(p);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Its complaints would be a second line: our own message says it. */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(p[1], STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		execlp("gzip", "gzip", "-dc", "--", file, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	narrate("fork() + execlp(\"gzip\", \"-dc\", \"%s\") = %d [execve(2)]", file, pid);
	return pid;
}

static int is_gzip(int fd)
{
	unsigned char magic[2];
	int gz = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;

	return gz;
}

int import_tar(const char *file, const char *layer_dir)
{
	int in = open(file, O_RDONLY | O_CLOEXEC), layer, ret, status;
	pid_t gz = 0;

	if (in < 0) {
		fprintf(stderr, "%s: import: open %s: %m\n", PROG, file);
		return -1;
	}
	layer = open(layer_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (layer < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, layer_dir);
		close(in);
		return -1;
	}
	if (is_gzip(in)) {
		close(in);
		gz = start_gunzip(file, &in);
		if (gz < 0) {
			close(layer);
			return -1;
		}
	}
	ret = extract_tar(in, layer);
	close(in);
	close(layer);
	/* Extraction stops at the first error: gzip may then die of SIGPIPE. */
	if (gz > 0 && waitpid(gz, &status, 0) < 0)
		status = -1;
	if (gz > 0 && ret == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "%s: import: gzip -dc %s failed (corrupt or truncated)\n", PROG,
			file);
		ret = -1;
	}
	return ret;
}

/* ---- a directory ---- */

/* Where nftw(3) passes each entry, the layer it copies into. */
static const char *copy_src, *copy_dst;

static int copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out, ret = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			ret = -1;
			break;
		}
	if (n < 0 || close(out) < 0)
		ret = -1;
	close(in);
	return ret;
}

static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char to[PATH_MAX], target[PATH_MAX];
	const char *rel = path + strlen(copy_src);
	ssize_t n;
	int ret;

	(void)type;
	(void)ftw;
	if (snprintf(to, sizeof(to), "%s%s", copy_dst, rel) >= (int)sizeof(to))
		return -1;
	if (S_ISDIR(st->st_mode)) {
		ret = *rel ? mkdir(to, 0700) : 0;
	} else if (S_ISREG(st->st_mode)) {
		ret = copy_file(path, to, st->st_mode);
	} else if (S_ISLNK(st->st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return -1;
		target[n] = 0;
		ret = symlink(target, to);
	} else if (S_ISFIFO(st->st_mode)) {
		ret = mkfifo(to, 0600);
	} else {
		fprintf(stderr, "%s: import: refusing %s (a device node or socket)\n", PROG, path);
		return -1;
	}
	if (ret == 0)
		ret = lchown(to, st->st_uid, st->st_gid);
	if (ret == 0 && !S_ISLNK(st->st_mode))
		ret = chmod(to, st->st_mode & 07777);
	if (ret < 0)
		fprintf(stderr, "%s: import: copy %s: %m\n", PROG, path);
	fault_point("import-mid");
	return ret;
}

/*
 * A copy, as docker import of a directory would make: the image must not
 * change when the directory does. nftw(3) with FTW_PHYS never follows a
 * symlink, FTW_MOUNT stays on one filesystem. Hard links become copies.
 */
int import_dir(const char *dir, const char *layer_dir)
{
	char src[PATH_MAX];

	if (!realpath(dir, src)) {
		fprintf(stderr, "%s: import: %s: %m\n", PROG, dir);
		return -1;
	}
	copy_src = src;
	copy_dst = layer_dir;
	return nftw(src, copy_entry, 32, FTW_PHYS | FTW_MOUNT) == 0 ? 0 : -1;
}
