/*
 * util.c: small helpers every mechanism uses: mount flags spelled out for
 * -D, directories, locks and files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minidock.h"

/*
 * MINIDOCK_FAULT=NAME: the process that reaches the point NAME kills
 * itself with SIGKILL, as an OOM killer or a user's kill -9 would, so
 * the tests can prove that what is left tells the truth and that prune
 * removes it (tests/step08-faults.bats; the points are listed in the
 * README). Unset, it costs one getenv(3) per point.
 */
void fault_point(const char *name)
{
	const char *want = getenv("MINIDOCK_FAULT");

	if (!want || strcmp(want, name))
		return;
	narrate("MINIDOCK_FAULT=%s: kill(%d, SIGKILL)", name, getpid());
	raise(SIGKILL);
}

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

/*
 * Unlink everything in directory FD but subdirectories; the first of
 * those found goes in *sub (to be emptied first). A directory on another
 * filesystem than DEV (a mount left inside) is an error, never a way
 * into someone else's files.
 */
static int empty_files(int fd, dev_t dev, char **sub)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0), ret = 0;
	DIR *d = copy >= 0 ? fdopendir(copy) : NULL;
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (copy >= 0)
			close(copy);
		return -1;
	}
	while (!*sub && ret == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			ret = errno == ENOENT ? 0 : -1;
		else if (S_ISDIR(st.st_mode) && st.st_dev != dev)
			ret = (errno = EXDEV, -1);
		else if (S_ISDIR(st.st_mode))
			ret = (*sub = strdup(e->d_name)) ? 0 : -1;
		else if (unlinkat(fd, e->d_name, 0) < 0 && errno != ENOENT)
			ret = -1;
	}
	closedir(d);
	return ret;
}

/*
 * rm -rf without following symlinks or crossing into other filesystems.
 * A loop with one directory open at a time, going down by name and back
 * up by "..": a tree deeper than PATH_MAX (an image may hold one) needs
 * neither long paths nor an fd per level.
 */
int remove_tree(const char *path)
{
	struct stat top;
	char **names = NULL, **more, *sub;
	size_t depth = 0;
	int fd, up, ret = 0;

	if (lstat(path, &top) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(top.st_mode))
		return unlink(path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (fd >= 0 && ret == 0) {
		sub = NULL;
		if (empty_files(fd, top.st_dev, &sub) < 0) {
			ret = -1;
		} else if (sub && (more = realloc(names, (depth + 1) * sizeof(*names)))) {
			names = more;
			names[depth++] = sub;
			up = fd;
			fd = openat(up, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			close(up);
			continue;
		} else if (sub) {
			free(sub);
			ret = -1;
		} else if (depth > 0) {
			up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			close(fd);
			fd = up;
			depth--;
			if (fd >= 0 && unlinkat(fd, names[depth], AT_REMOVEDIR) < 0)
				ret = -1;
			free(names[depth]);
			continue;
		}
		break;
	}
	if (fd >= 0)
		close(fd);
	else
		ret = -1;
	while (depth > 0)
		free(names[--depth]);
	free(names);
	if (ret == 0 && rmdir(path) < 0)
		ret = -1;
	if (ret < 0)
		fprintf(stderr, "%s: remove %s: %m\n", PROG, path);
	return ret;
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

/* One message of LEN bytes at DATA carrying the descriptor FD (SCM_RIGHTS, unix(7)). */
ssize_t send_with_fd(int sock, void *data, size_t len, int fd, int flags)
{
	struct iovec iov = {.iov_base = data, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, flags);
}

/* A pipe (O_CLOEXEC), then fork(2): both ends in both. On failure, said, and nothing left open. */
pid_t fork_with_pipe(int p[2])
{
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %m\n", PROG);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %m\n", PROG);
		close(p[0]);
		close(p[1]);
	}
	return pid;
}

/*
 * --pid-file: the PID, whole or not at all (write_file_atomic). The OCI
 * face writes it without a newline, as runc does: containerd's shim
 * parses the file's whole text as a number.
 */
int write_pid_file(const char *path, pid_t pid, int newline)
{
	char text[32];

	if (!path)
		return 0;
	snprintf(text, sizeof(text), "%d%s", pid, newline ? "\n" : "");
	return write_file_atomic(path, text);
}
