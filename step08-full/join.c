/*
 * join.c: namespaces a container is born in instead of new ones, as a
 * Kubernetes pod's members share its first container's: `run --network
 * container:NAME` (and --pid, --ipc), or an OCI bundle's
 * linux.namespaces[].path. Each is an open file of /proc/PID/ns/ or a
 * bind mount of one; setns(2) moves us into it before the clone, so the
 * child starts there.
 */
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "minidock.h"

/*
 * Network, IPC, UTS and PID only: the core builds the root in a mount
 * namespace of its own, and user and cgroup namespaces are its to make.
 * The file's type is checked with NS_GET_NSTYPE (ioctl_ns(2)), so a path
 * to some other file or namespace is refused before anything is made.
 */
int joins_open(struct joins *j, const char *path, int type)
{
	int fd, actual;

	if (!(type & (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)) ||
	    j->n >= MAX_JOINS) {
		fprintf(stderr, "%s: join %s: only network, ipc, uts and pid namespaces, "
			"one of each, can be joined\n", PROG, path);
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

/*
 * Before the clone. A PID namespace applies to our children only, and
 * while it differs from our own the kernel refuses us threads (clone(2),
 * EINVAL for CLONE_THREAD): OWN_PID_NS keeps ours, to return to right
 * after the clone (joins_return).
 */
int joins_enter(const struct joins *j, int *own_pid_ns)
{
	*own_pid_ns = -1;
	if ((joins_type(j) & CLONE_NEWPID) &&
	    (*own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: open /proc/self/ns/pid: %m\n", PROG);
		return -1;
	}
	for (size_t i = 0; i < j->n; i++) {
		if (setns(j->fds[i], j->types[i]) < 0) {
			fprintf(stderr, "%s: setns into a container's namespace: %m\n", PROG);
			return -1;
		}
		narrate("setns(%d, %#x) = 0 [setns(2)]", j->fds[i], j->types[i]);
	}
	return 0;
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
