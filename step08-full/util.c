/*
 * util.c: small helpers every mechanism uses: mount flags spelled out for
 * -D, directories, locks and files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minidock.h"

/* Spell MS_* flags out for the narration: "MS_BIND|MS_REC". */
const char *mount_flag_names(unsigned long flags, char *buf, size_t len)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} names[] = {
		{MS_RDONLY, "MS_RDONLY"},   {MS_NOSUID, "MS_NOSUID"},
		{MS_NODEV, "MS_NODEV"},     {MS_NOEXEC, "MS_NOEXEC"},
		{MS_REMOUNT, "MS_REMOUNT"}, {MS_BIND, "MS_BIND"},
		{MS_REC, "MS_REC"},         {MS_PRIVATE, "MS_PRIVATE"},
		{MS_STRICTATIME, "MS_STRICTATIME"}, {MS_RELATIME, "MS_RELATIME"},
	};
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].flag))
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
				 used ? "|" : "", names[i].name);
	}
	if (!buf[0])
		snprintf(buf, len, "0");
	return buf;
}

int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: mkdir %s: %m\n", PROG, path);
		return -1;
	}
	return 0;
}

/* mkdir -p, for paths on the host side (the store). */
int make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		fprintf(stderr, "%s: path too long: %s\n", PROG, path);
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (make_dir(buf, mode) < 0)
			return -1;
		*p = '/';
	}
	return make_dir(buf, mode);
}

/*
 * open(2) PATH with FLAGS and take flock(2)'s exclusive lock on it, waiting
 * for a holder to let go. The kernel drops the lock when the fd closes or
 * its holder dies, so a killed process never leaves one held. The fd, or -1.
 */
int lock_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	if (flock(fd, LOCK_EX) < 0) {
		fprintf(stderr, "%s: flock %s: %m\n", PROG, path);
		close(fd);
		return -1;
	}
	narrate("flock(\"%s\", LOCK_EX) = 0 [flock(2)]", path);
	return fd;
}

int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Write then rename(2), so a reader never sees a half-written file. */
int write_file_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "%s: path too long: %s\n", PROG, path);
		return -1;
	}
	if (write_file(tmp, text) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		fprintf(stderr, "%s: rename %s to %s: %m\n", PROG, tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT) {
		fprintf(stderr, "%s: remove %s: %m\n", PROG, path);
		return -1;
	}
	return 0;
}

/*
 * rm -rf without following symlinks or crossing into other filesystems
 * (nftw(3) with FTW_PHYS and FTW_MOUNT): a mount left inside is an error,
 * never a path into someone else's files.
 */
int remove_tree(const char *path)
{
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int join_path(char *out, size_t len, const char *a, const char *b)
{
	if (snprintf(out, len, "%s/%s", a, b) >= (int)len) {
		fprintf(stderr, "%s: path too long: %s/%s\n", PROG, a, b);
		return -1;
	}
	return 0;
}

/* A small file's text, NUL-terminated; -1 if it cannot be read. */
int read_small_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* Field 22 of /proc/PID/stat: when PID started, which tells a reused PID apart. */
unsigned long long process_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%*d %*d %llu", &t) != 1)
		return 0;
	return t;
}


/*
 * Is PID still the process that started at START, and not yet dead? A
 * zombie keeps its PID and start time until its parent reaps it, which
 * for a monitor whose caller has gone is whenever init gets round to it.
 */
int process_is(pid_t pid, unsigned long long start)
{
	char path[64], buf[1024], *p, state;
	unsigned long long t = 0;

	if (pid <= 0 || !start)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%*d %*d %llu", &state, &t) != 2)
		return 0;
	return t == start && state != 'Z' && state != 'X';
}

/*
 * The name /etc/passwd gives UID ("name:password:uid:..."); 1 if found.
 * Read by hand rather than with getpwuid(3), whose NSS modules a
 * statically linked minidock (the VM tests build one) cannot load: a user
 * known only to a directory service has no name here, as ps(1) then
 * shows it, by number.
 */
int passwd_name(unsigned int uid, char *out, size_t len)
{
	char line[1024], *pass, *id, *end;
	FILE *f = fopen("/etc/passwd", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		pass = strchr(line, ':');
		id = pass ? strchr(pass + 1, ':') : NULL;
		if (!id || strtoul(id + 1, &end, 10) != uid || *end != ':')
			continue;
		found = snprintf(out, len, "%.*s", (int)(pass - line), line) < (int)len;
	}
	fclose(f);
	return found;
}
