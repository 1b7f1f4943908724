/*
 * join.c: namespaces a container is born in instead of new ones, as a
 * Kubernetes pod's members share its first container's: `run --network
 * container:NAME` (and --pid, --ipc), or an OCI bundle's
 * linux.namespaces[].path. Each is an open file of /proc/PID/ns/ or a
 * bind mount of one; setns(2) moves us into it before the clone, so the
 * child starts there. A cgroup namespace is the child's to join, once it
 * is in its cgroups (container.c); a user namespace is joined by a
 * process of its own (container.c), which then makes the container's
 * other namespaces inside it.
 */
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minidock.h"

#define JOINABLE (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWUSER | \
		  CLONE_NEWCGROUP)

/* Is FD our own user namespace? setns(2) refuses that one (EINVAL); joining it changes nothing. */
static int is_own_userns(int fd)
{
	struct stat theirs, ours;

	return fstat(fd, &theirs) == 0 && stat("/proc/self/ns/user", &ours) == 0 &&
	       theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

/*
 * One of each type but mount: the core builds the root in a mount
 * namespace of its own, and pivot_root(2) in a shared one would move the
 * root of every process there. The file's type is checked with
 * NS_GET_NSTYPE (ioctl_ns(2)), so a path to some other file or namespace
 * is refused before anything is made. Our own user namespace is not kept.
 */
int joins_open(struct joins *j, const char *path, int type)
{
	int fd, actual;

	if (!(type & JOINABLE)) {
		fprintf(stderr, "%s: join %s: a mount namespace cannot be joined: minidock "
			"builds the root in a new one (pivot_root(2) would move the other's)\n",
			PROG, path);
		return -1;
	}
	if (joins_fd(j, type) >= 0 || j->n >= MAX_JOINS) {
		fprintf(stderr, "%s: join %s: one namespace of each type can be joined\n", PROG,
			path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	actual = ioctl(fd, NS_GET_NSTYPE);
	if (actual != type) {
		fprintf(stderr, "%s: join %s: not a namespace of that type\n", PROG, path);
		close(fd);
		return -1;
	}
	if (type == CLONE_NEWUSER && is_own_userns(fd)) {
		close(fd);
		return 0;
	}
	j->fds[j->n] = fd;
	j->types[j->n++] = type;
	return 0;
}

int joins_type(const struct joins *j)
{
	int types = 0;

	for (size_t i = 0; i < j->n; i++)
		types |= j->types[i];
	return types;
}

/* The open namespace of TYPE to join, or -1. */
int joins_fd(const struct joins *j, int type)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->types[i] == type)
			return j->fds[i];
	return -1;
}

static int enter(int fd, int type)
{
	if (setns(fd, type) < 0) {
		fprintf(stderr, "%s: setns into a %s namespace: %m\n", PROG,
			type == CLONE_NEWUSER ? "user" : "container's");
		return -1;
	}
	narrate("setns(%d, %#x) = 0 [setns(2)]", fd, type);
	return 0;
}

/* Network, IPC, UTS and PID, with the host's privileges: a namespace the host owns needs them. */
static int enter_shared(const struct joins *j)
{
	for (size_t i = 0; i < j->n; i++)
		if (!(j->types[i] & (CLONE_NEWUSER | CLONE_NEWCGROUP)) &&
		    enter(j->fds[i], j->types[i]) < 0)
			return -1;
	return 0;
}

/*
 * In the parent, before the clone. A PID namespace applies to our
 * children only, and while it differs from our own the kernel refuses us
 * threads (clone(2), EINVAL for CLONE_THREAD): OWN_PID_NS keeps ours, to
 * return to right after the clone (joins_return).
 */
int joins_enter(const struct joins *j, int *own_pid_ns)
{
	*own_pid_ns = -1;
	if ((joins_type(j) & CLONE_NEWPID) &&
	    (*own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: open /proc/self/ns/pid: %m\n", PROG);
		return -1;
	}
	return enter_shared(j);
}

/*
 * In the process that joins a user namespace for the container
 * (container.c): the others first, while it still has the host's
 * privileges, then the user namespace, which gives it every capability
 * there and none outside (user_namespaces(7)).
 */
int joins_enter_userns(const struct joins *j)
{
	return enter_shared(j) < 0 ? -1 : enter(joins_fd(j, CLONE_NEWUSER), CLONE_NEWUSER);
}

/* In the child, once in its cgroups: the cgroup namespace given. */
int joins_enter_cgroup(const struct joins *j)
{
	return enter(joins_fd(j, CLONE_NEWCGROUP), CLONE_NEWCGROUP);
}

int joins_return(int own_pid_ns)
{
	int ret = 0;

	if (own_pid_ns < 0)
		return 0;
	if (setns(own_pid_ns, CLONE_NEWPID) < 0) {
		fprintf(stderr, "%s: setns back into our own PID namespace: %m\n", PROG);
		ret = -1;
	}
	close(own_pid_ns);
	return ret;
}

void joins_close(struct joins *j)
{
	for (size_t i = 0; i < j->n; i++)
		close(j->fds[i]);
	j->n = 0;
}
