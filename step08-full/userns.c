/*
 * userns.c: chapter 7's user namespace (user_namespaces(7)), rootful:
 * with --userns remap, root in the container is an ordinary, unprivileged
 * uid on the host. Container ids 0-65535 map to root's /etc/subuid and
 * /etc/subgid range, or to a default range outside every entry there
 * (1000000000, 65536 ids); --uidmap/--gidmap CTR:HOST:LEN (podman's
 * spelling) give the lines by hand.
 *
 * The container's root must own its image: the parent gives the child
 * its overlay made of idmapped lower layers (mount_setattr(2),
 * MOUNT_ATTR_IDMAP, Linux 5.19 for overlay), as chapter 7 does; a layer
 * already owned by the mapped root is used as it is. Volumes can be
 * idmapped too (-v SRC:DST:idmap).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minidock.h"

/*
 * Ids run from 0 to 4294967294: (uid_t)-1 means "no id" to the kernel.
 * Without an /etc/subuid entry, a remap takes 65536 ids from here, moved
 * past any entry of /etc/subuid or /etc/subgid (subuid(5)).
 */
#define ID_LIMIT 4294967295ULL
#define REMAP_COUNT 65536
#define DEFAULT_REMAP_START 1000000000ULL

/* The newer mount API's flags, where the libc headers predate it (glibc < 2.36). */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

/* mount_setattr(2)'s argument, version 0 (its first 32 bytes). */
struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* One decimal id followed by STOP; advances *p past STOP. */
static int parse_id(const char **p, char stop, unsigned long long *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno || *end != stop || *v >= ID_LIMIT)
		return -1;
	*p = end + 1;
	return 0;
}

/* --uidmap CTR:HOST:LEN, one more line of the map. */
static int parse_id_map(const char *opt, const char *arg, struct id_map *map, size_t *n)
{
	unsigned long long ctr, host, len;
	const char *p = arg;

	if (parse_id(&p, ':', &ctr) < 0 || parse_id(&p, ':', &host) < 0 ||
	    parse_id(&p, '\0', &len) < 0) {
		fprintf(stderr, "%s: %s '%s': expected CTR:HOST:LEN, three ids below %llu\n",
			PROG, opt, arg, ID_LIMIT);
		return -1;
	}
	if (len == 0 || ctr + len > ID_LIMIT || host + len > ID_LIMIT) {
		fprintf(stderr, "%s: %s '%s' is out of range: LEN ids from CTR and from HOST "
			"must fit below %llu\n", PROG, opt, arg, ID_LIMIT);
		return -1;
	}
	if (*n == MAX_ID_MAPS) {
		fprintf(stderr, "%s: %s: at most %d lines\n", PROG, opt, MAX_ID_MAPS);
		return -1;
	}
	map[(*n)++] = (struct id_map){.container_id = (unsigned)ctr, .host_id = (unsigned)host,
				      .size = (unsigned)len};
	return 0;
}

static int ranges_overlap(uint32_t a, uint32_t a_len, uint32_t b, uint32_t b_len)
{
	return (uint64_t)a < (uint64_t)b + b_len && (uint64_t)b < (uint64_t)a + a_len;
}

/*
 * The kernel refuses overlapping lines with a bare EINVAL (user_namespaces(7));
 * say which two overlap instead. Id 0 must be mapped: the container starts as root.
 */
static int check_map_lines(const char *opt, const struct id_map *map, size_t n)
{
	int root = 0;

	for (size_t i = 0; i < n; i++) {
		const struct id_map *a = &map[i];

		root |= a->container_id == 0;
		for (size_t j = i + 1; j < n; j++) {
			const struct id_map *b = &map[j];
			const char *where = NULL;

			if (ranges_overlap(a->container_id, a->size, b->container_id, b->size))
				where = "inside the container";
			else if (ranges_overlap(a->host_id, a->size, b->host_id, b->size))
				where = "on the host";
			if (where) {
				fprintf(stderr, "%s: %s %u:%u:%u and %u:%u:%u overlap %s\n", PROG,
					opt, a->container_id, a->host_id, a->size, b->container_id,
					b->host_id, b->size, where);
				return -1;
			}
		}
	}
	if (!root) {
		fprintf(stderr, "%s: %s maps no line to id 0: the container starts as root\n",
			PROG, opt);
		return -1;
	}
	return 0;
}

/* The first line of PATH (subuid(5): NAME-or-ID:START:COUNT) for this user. */
static int find_subid_range(const char *path, const char *name, unsigned int id,
			    uint32_t *start)
{
	unsigned long long first, count;
	char line[512], owner[256], num[16];
	int found = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return 0; /* no file: no entry */
	snprintf(num, sizeof(num), "%u", id);
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%255[^:]:%llu:%llu", owner, &first, &count) == 3 &&
			(!strcmp(owner, name) || !strcmp(owner, num));
	fclose(f);
	if (!found)
		return 0;
	if (count < REMAP_COUNT || first + REMAP_COUNT > ID_LIMIT) {
		fprintf(stderr, "%s: %s: the entry of %s holds %llu ids from %llu; container "
			"ids 0-%d need %d\n", PROG, path, name, count, first, REMAP_COUNT - 1,
			REMAP_COUNT);
		return -1;
	}
	*start = (uint32_t)first;
	return 1;
}

/* The end of the first line of PATH that overlaps [start, start+count), or 0. */
static unsigned long long subid_overlap(const char *path, unsigned long long start,
					unsigned long long count)
{
	unsigned long long first, n, end = 0;
	char line[512];
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!end && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*[^:]:%llu:%llu", &first, &n) == 2 && first < start + count &&
		    start < first + n)
			end = first + n;
	fclose(f);
	return end;
}

/* A range no /etc/subuid or /etc/subgid entry hands to anyone else. */
static int free_remap_range(uint32_t *start)
{
	unsigned long long s = DEFAULT_REMAP_START, end;

	while ((end = subid_overlap("/etc/subuid", s, REMAP_COUNT)) ||
	       (end = subid_overlap("/etc/subgid", s, REMAP_COUNT)))
		s = end;
	if (s + REMAP_COUNT > ID_LIMIT) {
		fprintf(stderr, "%s: no free range of %d ids outside /etc/subuid and /etc/subgid\n",
			PROG, REMAP_COUNT);
		return -1;
	}
	*start = (uint32_t)s;
	return 0;
}

/* Container ids 0-65535: root's subordinate range (as podman does), else the free default. */
static int default_map(const char *path, struct id_map *map, size_t *n)
{
	char name[256] = "";
	uint32_t start;
	int found;

	if (*n)
		return 0;
	passwd_name(getuid(), name, sizeof(name));
	found = find_subid_range(path, name, getuid(), &start);
	if (found < 0 || (!found && free_remap_range(&start) < 0))
		return -1;
	map[0] = (struct id_map){.container_id = 0, .host_id = start, .size = REMAP_COUNT};
	*n = 1;
	return 0;
}

/*
 * --userns remap|host, --uidmap, --gidmap (run.c), checked before anything
 * exists. Docker has only --userns=host on run and sets remapping for the
 * whole daemon; minidock takes it per run, as chapter 7 does.
 */
int userns_parse(const char *mode, const char *const *uidmaps, size_t n_uid,
		 const char *const *gidmaps, size_t n_gid, struct config *cfg)
{
	int remap = n_uid || n_gid;

	if (mode && strcmp(mode, "remap") && strcmp(mode, "host")) {
		fprintf(stderr, "%s: --userns '%s': expected remap or host\n", PROG, mode);
		return -1;
	}
	if (mode && !strcmp(mode, "host") && remap) {
		fprintf(stderr, "%s: --uidmap and --gidmap need a user namespace, not --userns "
			"host\n", PROG);
		return -1;
	}
	if (mode && !strcmp(mode, "remap"))
		remap = 1;
	if (!remap)
		return 0;
	for (size_t i = 0; i < n_uid; i++)
		if (parse_id_map("--uidmap", uidmaps[i], cfg->linux.uid_maps,
				 &cfg->linux.n_uid_maps) < 0)
			return -1;
	for (size_t i = 0; i < n_gid; i++)
		if (parse_id_map("--gidmap", gidmaps[i], cfg->linux.gid_maps,
				 &cfg->linux.n_gid_maps) < 0)
			return -1;
	if (default_map("/etc/subuid", cfg->linux.uid_maps, &cfg->linux.n_uid_maps) < 0 ||
	    default_map("/etc/subgid", cfg->linux.gid_maps, &cfg->linux.n_gid_maps) < 0 ||
	    check_map_lines("--uidmap", cfg->linux.uid_maps, cfg->linux.n_uid_maps) < 0 ||
	    check_map_lines("--gidmap", cfg->linux.gid_maps, cfg->linux.n_gid_maps) < 0)
		return -1;
	cfg->linux.namespaces |= CLONE_NEWUSER;
	return 0;
}

/* The host id a container id maps to; ids the map lacks stay as they are. */
unsigned int userns_host_id(const struct id_map *map, size_t n, unsigned int id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= map[i].container_id && id - map[i].container_id < map[i].size)
			return map[i].host_id + (id - map[i].container_id);
	return id;
}

/* The kernel takes each map in a single write(2), all lines at once. */
static int write_map(pid_t pid, const char *name, const struct id_map *map, size_t n)
{
	char path[64], text[MAX_ID_MAPS * 36];
	size_t len = 0;
	int fd;

	for (size_t i = 0; i < n && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%u %u %u\n",
					map[i].container_id, map[i].host_id, map[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	narrate("write(\"%s\", \"%u %u %u%s\") = %zu [user_namespaces(7)]", path,
		map[0].container_id, map[0].host_id, map[0].size, n > 1 ? "\\n..." : "", len);
	return 0;
}

/* In the parent, while the child waits: the child's namespace gets its ids. */
int userns_write_maps(const struct config *cfg, pid_t child)
{
	if (!(cfg->linux.namespaces & CLONE_NEWUSER))
		return 0;
	if (write_map(child, "uid_map", cfg->linux.uid_maps, cfg->linux.n_uid_maps) < 0 ||
	    write_map(child, "gid_map", cfg->linux.gid_maps, cfg->linux.n_gid_maps) < 0)
		return -1;
	return 0;
}

/* Does the container run in a user namespace: a new one, or one joined by path (join.c)? */
int userns_any(const struct config *cfg)
{
	return (cfg->linux.namespaces & CLONE_NEWUSER) ||
	       joins_fd(&cfg->linux.joins, CLONE_NEWUSER) >= 0;
}

/* Is MAP, line for line in any order, what FILE (a uid_map or gid_map) holds? */
static int map_is(const char *file, const struct id_map *map, size_t n)
{
	unsigned int c, h, len;
	size_t lines = 0, found = 0;
	FILE *f = fopen(file, "re");

	if (!f) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, file);
		return -1;
	}
	while (fscanf(f, "%u %u %u", &c, &h, &len) == 3) {
		lines++;
		for (size_t i = 0; i < n; i++)
			found += map[i].container_id == c && map[i].host_id == h &&
				 map[i].size == len;
	}
	fclose(f);
	return lines == n && found == n;
}

/*
 * OCI uidMappings and gidMappings with a user namespace given by path:
 * nothing is written (the namespace has its maps already), and they must
 * be the namespace's own, read in a process of it (/proc/self/uid_map
 * there shows its parent's ids, user_namespaces(7)): a container must not
 * run with other ids than its config.json says. Absent, any maps will do.
 */
int userns_maps_match(const struct config *cfg)
{
	int uid, gid;

	if (!cfg->linux.n_uid_maps && !cfg->linux.n_gid_maps)
		return 0;
	uid = map_is("/proc/self/uid_map", cfg->linux.uid_maps, cfg->linux.n_uid_maps);
	gid = uid < 0 ? -1
		      : map_is("/proc/self/gid_map", cfg->linux.gid_maps, cfg->linux.n_gid_maps);
	if (uid < 0 || gid < 0)
		return -1;
	if (!uid || !gid) {
		fprintf(stderr, "%s: config.json: linux.%s: not the maps of the user namespace "
			"joined by path\n", PROG, uid ? "gidMappings" : "uidMappings");
		return -1;
	}
	return 0;
}

/*
 * In the child, once the root is attached: become uid and gid 0 of the
 * namespace, which are the mapped host ids. Until now we carried the
 * host's root ids, which joining the cgroups and reaching the store
 * needed; from now on every file we create inside is the container
 * root's. A change of ids clears PR_SET_PDEATHSIG (prctl(2)): set again.
 */
int userns_become_root(const struct config *cfg)
{
	if (!userns_any(cfg))
		return 0;
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		fprintf(stderr, "%s: become root of the user namespace: %m\n", PROG);
		return -1;
	}
	narrate("setgroups(0, NULL), setresgid(0, 0, 0), setresuid(0, 0, 0) = 0 "
		"[user_namespaces(7)]");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %m\n", PROG);
		return -1;
	}
	return 0;
}

/* ---- idmapped layers and volumes ---- */

/*
 * An idmapped copy of SRC's mount (mount_setattr(2), MOUNT_ATTR_IDMAP):
 * through it, the host's ids 0-65535 are the container's, so its root
 * owns what the host's root owns there, and what it writes is stored
 * under the host's own ids. Making one needs CAP_SYS_ADMIN where SRC is
 * mounted: the parent does it, detached (open_tree(2)), with the child's
 * user namespace as the mapping.
 */
static int open_idmapped(const char *src, int userns)
{
	struct mount_attr_v0 attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src,
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

	if (tree < 0) {
		fprintf(stderr, "%s: open_tree %s: %m\n", PROG, src);
		return -1;
	}
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0) {
		fprintf(stderr, "%s: idmapped mount of %s: %m (its filesystem may not support "
			"idmapped mounts)\n", PROG, src);
		close(tree);
		return -1;
	}
	narrate("open_tree(\"%s\", OPEN_TREE_CLONE|AT_RECURSIVE) = %d, mount_setattr(%d, "
		"MOUNT_ATTR_IDMAP) = 0 [mount_setattr(2)]", src, tree, tree);
	return tree;
}

/* Does the child get its root from us (a user namespace and an image)? */
static int root_from_parent(const struct config *cfg)
{
	return (cfg->linux.namespaces & CLONE_NEWUSER) && cfg->root.n_layers;
}

static int open_child_userns(pid_t child)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
	return fd;
}

/*
 * In the parent, once the maps are written: the container's root, an
 * overlay of the image's layers each seen idmapped (unless the mapped root
 * owns it already), as chapter 7 builds it. The overlay itself cannot be
 * idmapped (EINVAL), its layers can (Linux 5.19); overlayfs then works in
 * the upper layer with our credentials, so its workdir and trusted.*
 * xattrs need nothing of the container's. The layers' copies are named
 * to fsconfig by /proc/self/fd/N. *MNT: the detached overlay, or -1 when
 * the child makes its root itself (no user namespace).
 */
int userns_root_tree(const struct config *cfg, pid_t child, int *mnt)
{
	unsigned int root = userns_host_id(cfg->linux.uid_maps, cfg->linux.n_uid_maps, 0);
	unsigned int gid = userns_host_id(cfg->linux.gid_maps, cfg->linux.n_gid_maps, 0);
	char names[MAX_LAYERS][32];
	const char *layers[MAX_LAYERS];
	int trees[MAX_LAYERS], userns;
	size_t n = 0;
	struct stat st;

	*mnt = -1;
	if (!root_from_parent(cfg))
		return 0;
	/* The writable layer's top is the container's "/": its root owns it. */
	if (chown(cfg->root.upper, root, gid) < 0) {
		fprintf(stderr, "%s: chown %s: %m\n", PROG, cfg->root.upper);
		return -1;
	}
	userns = open_child_userns(child);
	if (userns < 0)
		return -1;
	for (; n < cfg->root.n_layers; n++) {
		layers[n] = cfg->root.layers[n];
		trees[n] = -1;
		if (stat(layers[n], &st) < 0 || st.st_uid == root)
			continue;
		trees[n] = open_idmapped(layers[n], userns);
		if (trees[n] < 0)
			break;
		snprintf(names[n], sizeof(names[n]), "/proc/self/fd/%d", trees[n]);
		layers[n] = names[n];
	}
	close(userns);
	if (n == cfg->root.n_layers)
		*mnt = overlay_create(&cfg->root, layers);
	/* The overlay holds its own references to its layers' mounts. */
	while (n > 0)
		if (trees[--n] >= 0)
			close(trees[n]);
	return *mnt >= 0 ? 0 : -1;
}

static int send_fds(int sock, const int *fds, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_MOUNTS)];
		struct cmsghdr align;
	} u;
	char byte = 't';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1 && errno != EPIPE) {
		fprintf(stderr, "%s: send the idmapped volumes to the child: %m\n", PROG);
		return -1;
	}
	return 0;
}

/*
 * In the parent, after the go-ahead: one message with the root (ROOT_MNT,
 * from userns_root_tree) and every idmapped volume, made now.
 */
int userns_send_trees(const struct config *cfg, pid_t child, int sync_fd, int root_mnt)
{
	int fds[MAX_MOUNTS + 1], userns = -1, ret = -1;
	size_t n = 0, volumes = 0;

	for (size_t i = 0; i < cfg->n_mounts; i++)
		volumes += cfg->mounts[i].idmap;
	if (root_from_parent(cfg))
		fds[n++] = root_mnt;
	if (!n && !volumes)
		return 0;
	if (volumes && (userns = open_child_userns(child)) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		if (!cfg->mounts[i].idmap)
			continue;
		fds[n] = open_idmapped(cfg->mounts[i].source, userns);
		if (fds[n] < 0)
			goto out;
		n++;
	}
	ret = send_fds(sync_fd, fds, n);
	narrate("sendmsg(SCM_RIGHTS: %zu mount fds) = 1 [unix(7)]", n);
out:
	/* The root's fd is the caller's to close. */
	while (n > (root_from_parent(cfg) ? 1u : 0u))
		close(fds[--n]);
	if (userns >= 0)
		close(userns);
	return ret;
}

/*
 * In the child, after the go-ahead: the root (into *ROOT_MNT) and the
 * idmapped volumes (TREES, by mount). Without a user namespace the parent
 * sends none, and every TREES entry is -1.
 */
int userns_receive_trees(const struct config *cfg, int sync_fd, int *root_mnt, int *trees)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (MAX_MOUNTS + 1))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	size_t n = root_from_parent(cfg), got, k = 0;

	for (size_t i = 0; i < cfg->n_mounts; i++) {
		trees[i] = -1;
		n += cfg->mounts[i].idmap;
	}
	if (!n)
		return 0;
	c = recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC) == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	got = c && c->cmsg_type == SCM_RIGHTS ? (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;
	if (got != n) {
		fprintf(stderr, "%s: the parent sent no mounts for the container\n", PROG);
		return -1;
	}
	if (root_from_parent(cfg))
		memcpy(root_mnt, CMSG_DATA(c) + sizeof(int) * k++, sizeof(int));
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].idmap)
			memcpy(&trees[i], CMSG_DATA(c) + sizeof(int) * k++, sizeof(int));
	return 0;
}
