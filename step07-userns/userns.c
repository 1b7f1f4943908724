/*
 * step07-userns: root in the container is not root on the host.
 *
 * clone(2) with CLONE_NEWUTS starts the child in a new UTS namespace
 * (uts_namespaces(7)): it gets a private copy of the hostname, so its
 * sethostname(2) changes nothing the host can see. CLONE_NEWPID puts it in
 * a new PID namespace (pid_namespaces(7)) as its PID 1, with the duties of
 * an init: reaping orphans, and living with the kernel's signal rules for
 * PID 1. --init runs a tiny init as PID 1 that does both for the command.
 * CLONE_NEWNS gives it a copy of the mount table (mount_namespaces(7)),
 * which it makes private, then fills a root filesystem with /proc, /dev
 * and /sys and moves into it with pivot_root(2).
 *
 * The parent and the child talk over a socketpair: the child waits until
 * the parent has done its part (writing the pid file), and reports back
 * if its setup or execve(2) fails. The child's end is close-on-exec, so a
 * successful execve closes it and the parent reads end-of-file.
 *
 * --userns remap adds CLONE_NEWUSER (user_namespaces(7)): the child gets a
 * user namespace of its own, created before the other namespaces of the same
 * clone(2) so that it owns them and may act in them. The parent writes its
 * uid_map and gid_map while the child waits: container ids 0-65535 become an
 * unprivileged host range, and the rootfs is mounted idmapped
 * (mount_setattr(2)) so that the container's root owns its image. Run by an
 * ordinary user (rootless), the tool maps the caller to root inside; what
 * needs host privilege is refused with its reason.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdint.h>

#define PROG "userns"

/* make passes the absolute path of build/rootfs. */
#ifndef DEFAULT_ROOTFS
#define DEFAULT_ROOTFS "/var/lib/minidock/rootfs"
#endif

/* Exit codes, as docker run uses them. */
enum {
	EXIT_TOOL = 125,     /* our own error */
	EXIT_CANNOT_EXEC = 126,
	EXIT_NOT_FOUND = 127,
};

/* Docker's default PATH for a container. */
#define CONTAINER_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* One line of a uid_map or gid_map: COUNT ids from INSIDE are OUTSIDE.. on the host. */
struct id_map {
	uint32_t inside, outside, count;
};

/* 64 lines of at most 34 bytes stay below the one page the kernel takes in one write. */
#define MAX_ID_MAPS 64

struct id_maps {
	struct id_map map[MAX_ID_MAPS];
	int n;
};

/*
 * Ids run from 0 to 4294967294: (uid_t)-1 means "no id" to the kernel.
 * Without an /etc/subuid entry, a rootful remap takes 65536 ids from here,
 * moved past any entry of /etc/subuid or /etc/subgid (subuid(5)).
 */
#define ID_LIMIT 4294967295ULL
#define REMAP_COUNT 65536
#define DEFAULT_REMAP_START 1000000000ULL

/*
 * The newer mount API (open_tree(2), move_mount(2), mount_setattr(2)):
 * called through syscall(2), since glibc before 2.36 has no wrappers. The
 * numbers are the same on every architecture (the unified numbering).
 */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

/* mount_setattr(2)'s argument, version 0 (its first 32 bytes). */
struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct config {
	char **argv;          /* the command and its arguments */
	const char *hostname; /* -h: the container's hostname, or NULL to keep it */
	const char *pid_file; /* --pid-file: where the child's host PID goes */
	int init;             /* --init: a tiny init runs as PID 1 and forks CMD */
	char rootfs[PATH_MAX]; /* -r: the container's root, an absolute path */
	int use_chroot;       /* --chroot: the lesson's weak version of pivot_root */
	int skip_rprivate;    /* --skip-rprivate: the lesson's bug, left in on purpose */
	int userns;           /* --userns remap: a user namespace of its own (0: host) */
	int userns_given;     /* --userns was on the command line */
	int rootless;         /* started by an ordinary user: the caller becomes root */
	int idmap_rootfs;     /* mount the rootfs idmapped (the parent makes the mount) */
	struct id_maps uids;  /* --uidmap, or the default range */
	struct id_maps gids;  /* --gidmap, or the default range */
};

/* What the child needs: the configuration and its end of the socketpair. */
struct child {
	const struct config *cfg;
	int sync_fd;   /* the child's end */
	int parent_fd; /* the parent's end, which the child closes */
};

/* What the child sends back when something fails before the command runs. */
struct report {
	int exec_failed; /* 1: execve failed, 0: an earlier setup step failed */
	int err;         /* the errno */
};

static int debug; /* -D: narrate every kernel operation on stderr */

/* The signals a foreground run passes on to the container (Docker's sig-proxy). */
static const int forwarded_signals[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,
					SIGUSR1, SIGUSR2, SIGWINCH};
#define N_FORWARDED (sizeof(forwarded_signals) / sizeof(forwarded_signals[0]))

/* The container's PID, for the signal handler that forwards signals. */
static volatile sig_atomic_t container_pid;

static char child_stack[1024 * 1024];

/* -D narration: one line per kernel operation, naming its man page. */
static void narrate(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	fputs("=> ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [OPTIONS] [--] CMD [ARG...]\n"
		"Run CMD in new UTS, PID, mount (and user) namespaces, inside a root filesystem.\n"
		"\n"
		"  -h, --hostname NAME   the container's hostname\n"
		"      --pid-file FILE   write the container's host PID to FILE\n"
		"      --init            run a tiny init as PID 1 that reaps and forwards signals\n"
		"  -r, --rootfs DIR      the container's root filesystem (default %s)\n"
		"      --chroot          lesson only: chroot(2) instead of pivot_root(2)\n"
		"      --skip-rprivate   lesson only: leave mount propagation as the host has it\n"
		"      --userns MODE     remap: a user namespace (the default when not root);\n"
		"                        host: none (the default for root, as Docker)\n"
		"      --uidmap C:H:N    N container uids from C are host uids from H; repeatable\n"
		"      --gidmap C:H:N    the same for group ids\n"
		"  -D, --debug           narrate every kernel operation\n"
		"      --help            show this help\n",
		PROG, DEFAULT_ROOTFS);
}

/* The rootfs must be a directory with something in it; keep its absolute path. */
static int check_rootfs(const char *dir, char abs[PATH_MAX])
{
	struct dirent *d;
	int empty = 1;
	DIR *dp;

	if (!realpath(dir, abs)) {
		fprintf(stderr, "%s: rootfs %s: %m\n", PROG, dir);
		return -1;
	}
	dp = opendir(abs);
	if (!dp) {
		fprintf(stderr, "%s: rootfs %s: %m\n", PROG, abs);
		return -1;
	}
	while (empty && (d = readdir(dp)))
		empty = !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ? 1 : 0;
	closedir(dp);
	if (empty) {
		fprintf(stderr, "%s: rootfs %s is empty (try 'make rootfs')\n", PROG, abs);
		return -1;
	}
	return 0;
}

/* ---- user namespace: choosing the maps (before clone) ---- */

static int parse_userns_mode(const char *mode, struct config *cfg)
{
	if (strcmp(mode, "remap") && strcmp(mode, "host")) {
		fprintf(stderr, "%s: --userns '%s': expected remap or host\n", PROG, mode);
		return -1;
	}
	cfg->userns = !strcmp(mode, "remap");
	cfg->userns_given = 1;
	return 0;
}

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

/* --uidmap CTR:HOST:LEN (podman's spelling), one more line of the map. */
static int parse_id_map(const char *opt, const char *arg, struct id_maps *m)
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
	if (m->n == MAX_ID_MAPS) {
		fprintf(stderr, "%s: %s: at most %d lines\n", PROG, opt, MAX_ID_MAPS);
		return -1;
	}
	m->map[m->n++] = (struct id_map){.inside = ctr, .outside = host, .count = len};
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
static int check_map_lines(const char *opt, const struct id_maps *m)
{
	int root = 0;

	for (int i = 0; i < m->n; i++) {
		const struct id_map *a = &m->map[i];

		root |= a->inside == 0;
		for (int j = i + 1; j < m->n; j++) {
			const struct id_map *b = &m->map[j];
			const char *where = NULL;

			if (ranges_overlap(a->inside, a->count, b->inside, b->count))
				where = "inside the container";
			else if (ranges_overlap(a->outside, a->count, b->outside, b->count))
				where = "on the host";
			if (where) {
				fprintf(stderr, "%s: %s %u:%u:%u and %u:%u:%u overlap %s\n", PROG,
					opt, a->inside, a->outside, a->count, b->inside,
					b->outside, b->count, where);
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

/*
 * Rootless: the kernel lets an unprivileged writer map exactly one id, its
 * own (user_namespaces(7)). More needs CAP_SETUID on the host, which the
 * setuid-root helpers newuidmap(1)/newgidmap(1) have; this tool uses none.
 */
static int check_rootless_map(const char *opt, const struct id_maps *m, unsigned int own)
{
	if (m->n == 1 && m->map[0].outside == own && m->map[0].count == 1)
		return 0;
	fprintf(stderr, "%s: %s: without root only your own id %u can be mapped (LEN 1): more "
		"needs CAP_SETUID on the host, as the setuid helper newuidmap(1) has\n",
		PROG, opt, own);
	return -1;
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
	*start = first;
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
	*start = s;
	return 0;
}

static void set_single_map(struct id_maps *m, uint32_t outside, uint32_t count)
{
	m->map[0] = (struct id_map){.inside = 0, .outside = outside, .count = count};
	m->n = 1;
}

/*
 * Rootful: container ids 0-65535 become the user's /etc/subuid and
 * /etc/subgid range (as podman does), else the free default range.
 * Rootless: the caller becomes root, and no other id exists inside.
 */
static int default_maps(struct config *cfg)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *name = pw ? pw->pw_name : "";
	uint32_t start;
	int found;

	if (cfg->rootless) {
		if (!cfg->uids.n)
			set_single_map(&cfg->uids, geteuid(), 1);
		if (!cfg->gids.n)
			set_single_map(&cfg->gids, getegid(), 1);
		return 0;
	}
	if (!cfg->uids.n) {
		found = find_subid_range("/etc/subuid", name, getuid(), &start);
		if (found < 0 || (!found && free_remap_range(&start) < 0))
			return -1;
		set_single_map(&cfg->uids, start, REMAP_COUNT);
	}
	if (!cfg->gids.n) {
		found = find_subid_range("/etc/subgid", name, getuid(), &start);
		if (found < 0 || (!found && free_remap_range(&start) < 0))
			return -1;
		set_single_map(&cfg->gids, start, REMAP_COUNT);
	}
	return 0;
}

/*
 * What an ordinary user cannot have is refused here, with the reason,
 * before anything is created. (Cgroup limits without a delegated cgroup and
 * the bridge network join this list when those chapters merge in.)
 */
static int refuse_without_privilege(const struct config *cfg)
{
	if (!cfg->rootless)
		return 0;
	if (!cfg->userns) {
		fprintf(stderr, "%s: --userns host needs root: new UTS, PID and mount namespaces "
			"need CAP_SYS_ADMIN, which an ordinary user has only in a user namespace "
			"of its own\n", PROG);
		return -1;
	}
	return 0;
}

/*
 * The container's root must own its image. A rootfs already owned by the
 * mapped root (a chowned copy, as Docker's userns-remap keeps) is used as
 * it is; otherwise the parent mounts it idmapped for the child. Rootless
 * needs neither: the caller's own files are root's inside.
 */
static int choose_rootfs_view(struct config *cfg)
{
	struct stat st;
	uint32_t root = 0;

	for (int i = 0; i < cfg->uids.n; i++)
		if (cfg->uids.map[i].inside == 0)
			root = cfg->uids.map[i].outside;
	if (stat(cfg->rootfs, &st) < 0) {
		fprintf(stderr, "%s: rootfs %s: %m\n", PROG, cfg->rootfs);
		return -1;
	}
	cfg->idmap_rootfs = !cfg->rootless && st.st_uid != root;
	return 0;
}

/* Decide about the user namespace: which mode, which maps, which rootfs view. */
static int plan_user_namespace(struct config *cfg)
{
	cfg->rootless = geteuid() != 0;
	if (!cfg->userns_given)
		cfg->userns = cfg->rootless || cfg->uids.n || cfg->gids.n;
	if (refuse_without_privilege(cfg) < 0)
		return -1;
	if (!cfg->userns) {
		if (!cfg->uids.n && !cfg->gids.n)
			return 0;
		fprintf(stderr, "%s: --uidmap and --gidmap need a user namespace, not --userns "
			"host\n", PROG);
		return -1;
	}
	if (default_maps(cfg) < 0 || check_map_lines("--uidmap", &cfg->uids) < 0 ||
	    check_map_lines("--gidmap", &cfg->gids) < 0)
		return -1;
	if (cfg->rootless && (check_rootless_map("--uidmap", &cfg->uids, geteuid()) < 0 ||
			      check_rootless_map("--gidmap", &cfg->gids, getegid()) < 0))
		return -1;
	return choose_rootfs_view(cfg);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_PID_FILE = 256, OPT_INIT, OPT_CHROOT, OPT_SKIP_RPRIVATE, OPT_HELP };
	enum { OPT_USERNS = 300, OPT_UIDMAP, OPT_GIDMAP };
	static const struct option options[] = {
		{"hostname", required_argument, NULL, 'h'},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"init", no_argument, NULL, OPT_INIT},
		{"rootfs", required_argument, NULL, 'r'},
		{"chroot", no_argument, NULL, OPT_CHROOT},
		{"skip-rprivate", no_argument, NULL, OPT_SKIP_RPRIVATE},
		{"debug", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, OPT_HELP},
		{"userns", required_argument, NULL, OPT_USERNS},
		{"uidmap", required_argument, NULL, OPT_UIDMAP},
		{"gidmap", required_argument, NULL, OPT_GIDMAP},
		{0},
	};
	const char *rootfs = DEFAULT_ROOTFS;
	int opt;

	/* '+': stop at the first non-option, so CMD's own options reach CMD. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:h:r:D", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			cfg->hostname = optarg;
			break;
		case OPT_PID_FILE:
			cfg->pid_file = optarg;
			break;
		case OPT_INIT:
			cfg->init = 1;
			break;
		case 'r':
			rootfs = optarg;
			break;
		case OPT_CHROOT:
			cfg->use_chroot = 1;
			break;
		case OPT_SKIP_RPRIVATE:
			cfg->skip_rprivate = 1;
			break;
		case 'D':
			debug = 1;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_USERNS:
			if (parse_userns_mode(optarg, cfg) < 0)
				return -1;
			break;
		case OPT_UIDMAP:
			if (parse_id_map("--uidmap", optarg, &cfg->uids) < 0)
				return -1;
			break;
		case OPT_GIDMAP:
			if (parse_id_map("--gidmap", optarg, &cfg->gids) < 0)
				return -1;
			break;
		case ':':
			fprintf(stderr, "%s: option '%s' needs a value (try '%s --help')\n",
				PROG, argv[optind - 1], PROG);
			return -1;
		default:
			fprintf(stderr, "%s: unknown option '%s' (try '%s --help')\n", PROG,
				argv[optind - 1], PROG);
			return -1;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "%s: missing command (try '%s --help')\n", PROG, PROG);
		return -1;
	}
	if (cfg->hostname && strlen(cfg->hostname) > HOST_NAME_MAX) {
		fprintf(stderr, "%s: hostname '%s' is longer than %d bytes\n", PROG,
			cfg->hostname, HOST_NAME_MAX);
		return -1;
	}
	cfg->argv = &argv[optind];
	return check_rootfs(rootfs, cfg->rootfs);
}

/* ---- in the child ---- */

/* Tell the parent what failed, then give up. */
static int fail(int sync_fd, int exec_failed)
{
	struct report r = {.exec_failed = exec_failed, .err = errno};

	if (write(sync_fd, &r, sizeof(r)) != sizeof(r))
		fprintf(stderr, "%s: report to parent: %m\n", PROG);
	return EXIT_TOOL;
}

/*
 * Die with the parent: PR_SET_PDEATHSIG (prctl(2)) kills us if the parent
 * dies from now on; reading the go-ahead catches a parent that died before
 * (its end closes, so read returns 0 - once we have closed our copy of it).
 */
static int wait_for_parent(int sync_fd, int parent_fd)
{
	char go;

	close(parent_fd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %m\n", PROG);
		return -1;
	}
	if (read(sync_fd, &go, 1) != 1) {
		fprintf(stderr, "%s: parent went away before releasing the container\n", PROG);
		return -1;
	}
	return 0;
}

static int set_hostname(const char *name)
{
	if (!name)
		return 0;
	if (sethostname(name, strlen(name)) < 0) {
		fprintf(stderr, "%s: sethostname %s: %m\n", PROG, name);
		return -1;
	}
	narrate("sethostname(\"%s\") = 0 [sethostname(2)]", name);
	return 0;
}

/* mount(2), narrated; flag_names spells out flags for the narration. */
static int mount_fs(const char *src, const char *target, const char *type,
		    unsigned long flags, const char *flag_names, const char *data)
{
	if (mount(src, target, type, flags, data) < 0) {
		fprintf(stderr, "%s: mount %s on %s: %m\n", PROG, type ? type : src, target);
		return -1;
	}
	narrate("mount(\"%s\", \"%s\", %s, %s, \"%s\") = 0 [mount(2)]", src ? src : "none",
		target, type ? type : "NULL", flag_names, data ? data : "");
	return 0;
}

/*
 * Our copy of the mount table still shares propagation with the host's
 * wherever the host marked a mount shared (systemd marks / so): anything
 * we mount would appear on the host too. Make every mount private first.
 */
static int make_mounts_private(const struct config *cfg)
{
	if (cfg->skip_rprivate) {
		narrate("skipping mount(\"/\", MS_REC|MS_PRIVATE): our mounts may reach the host");
		return 0;
	}
	return mount_fs(NULL, "/", NULL, MS_REC | MS_PRIVATE, "MS_REC|MS_PRIVATE", NULL);
}

/*
 * pivot_root(2) needs the new root to be a mount point: bind the rootfs
 * onto itself, then work inside it so the paths below are relative.
 */
static int bind_rootfs(const char *rootfs)
{
	if (mount_fs(rootfs, rootfs, NULL, MS_BIND | MS_REC, "MS_BIND|MS_REC", NULL) < 0)
		return -1;
	if (chdir(rootfs) < 0) {
		fprintf(stderr, "%s: chdir %s: %m\n", PROG, rootfs);
		return -1;
	}
	return 0;
}

/* mknod(2) ignores the umask only if we chmod afterwards. */
static int make_device(const char *path, unsigned int major, unsigned int minor)
{
	if (mknod(path, S_IFCHR | 0666, makedev(major, minor)) < 0 || chmod(path, 0666) < 0) {
		fprintf(stderr, "%s: mknod %s: %m\n", PROG, path);
		return -1;
	}
	narrate("mknod(\"%s\", S_IFCHR|0666, %u:%u) = 0 [mknod(2)]", path, major, minor);
	return 0;
}

static int make_link(const char *target, const char *path)
{
	if (symlink(target, path) < 0) {
		fprintf(stderr, "%s: symlink %s -> %s: %m\n", PROG, path, target);
		return -1;
	}
	return 0;
}

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: mkdir %s: %m\n", PROG, path);
		return -1;
	}
	return 0;
}

/* ---- user namespace: mounts a container's root may make ---- */

/*
 * mknod(2) of a device needs CAP_MKNOD in the initial user namespace, and
 * filesystems mounted from a user namespace ignore device nodes anyway
 * (SB_I_NODEV): bind the host's node onto an empty file instead.
 */
static int bind_device(const char *path)
{
	char host[64];
	int fd;

	snprintf(host, sizeof(host), "/%s", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		fprintf(stderr, "%s: create %s: %m\n", PROG, path);
		return -1;
	}
	close(fd);
	return mount_fs(host, path, NULL, MS_BIND, "MS_BIND", NULL);
}

/*
 * Only a user namespace that owns the network namespace may mount sysfs
 * (it shows that namespace's devices); ours has none of its own, so bind
 * the host's /sys and make every mount in it read-only (mount_setattr(2),
 * AT_RECURSIVE). Before Linux 5.12 only the top mount can be made read-only,
 * repeating the flags the host set on it: they are locked.
 */
static int bind_host_sys(void)
{
	struct mount_attr_v0 attr = {.attr_set = MOUNT_ATTR_RDONLY};

	if (mount_fs("/sys", "sys", NULL, MS_BIND | MS_REC, "MS_BIND|MS_REC", NULL) < 0)
		return -1;
	if (syscall(SYS_mount_setattr, AT_FDCWD, "sys", AT_RECURSIVE, &attr, sizeof(attr)) == 0) {
		narrate("mount_setattr(AT_FDCWD, \"sys\", AT_RECURSIVE, MOUNT_ATTR_RDONLY) = 0 "
			"[mount_setattr(2)]");
		return 0;
	}
	if (errno != ENOSYS) {
		fprintf(stderr, "%s: mount_setattr sys read-only: %m\n", PROG);
		return -1;
	}
	return mount_fs(NULL, "sys", NULL,
			MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			"MS_BIND|MS_REMOUNT|MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC", NULL);
}

/*
 * The parent's idmapped copy of the rootfs goes where the plain bind would:
 * move_mount(2) attaches the detached tree at the rootfs path, which makes
 * that path the mount point pivot_root(2) needs.
 */
static int attach_idmapped_rootfs(const char *rootfs, int tree)
{
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		fprintf(stderr, "%s: move_mount idmapped rootfs to %s: %m\n", PROG, rootfs);
		return -1;
	}
	narrate("move_mount(%d, \"\", AT_FDCWD, \"%s\", MOVE_MOUNT_F_EMPTY_PATH) = 0 "
		"[move_mount(2)]", tree, rootfs);
	close(tree);
	if (chdir(rootfs) < 0) {
		fprintf(stderr, "%s: chdir %s: %m\n", PROG, rootfs);
		return -1;
	}
	return 0;
}

/*
 * A fresh /dev on a tmpfs holding only the harmless devices, a private
 * devpts instance for terminals (newinstance: not the host's ptys) and
 * a tmpfs for POSIX shared memory; never the host's /dev.
 */
static int mount_dev(const struct config *cfg)
{
	static const struct {
		const char *name;
		unsigned int major, minor;
	} devices[] = {
		{"dev/null", 1, 3},    {"dev/zero", 1, 5},    {"dev/full", 1, 7},
		{"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0},
	};
	static const char *const links[][2] = {
		{"pts/ptmx", "dev/ptmx"},           {"/proc/self/fd", "dev/fd"},
		{"/proc/self/fd/0", "dev/stdin"},   {"/proc/self/fd/1", "dev/stdout"},
		{"/proc/self/fd/2", "dev/stderr"},
	};

	if (make_dir("dev", 0755) < 0 ||
	    mount_fs("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
		     "MS_NOSUID|MS_STRICTATIME", "mode=755,size=65536k") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if ((cfg->userns ? bind_device(devices[i].name)
				 : make_device(devices[i].name, devices[i].major,
					       devices[i].minor)) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (make_link(links[i][0], links[i][1]) < 0)
			return -1;
	if (make_dir("dev/pts", 0755) < 0 ||
	    mount_fs("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "MS_NOSUID|MS_NOEXEC", "newinstance,ptmxmode=0666,mode=0620") < 0)
		return -1;
	if (make_dir("dev/shm", 01777) < 0 ||
	    mount_fs("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "MS_NOSUID|MS_NODEV|MS_NOEXEC", "mode=1777,size=65536k") < 0)
		return -1;
	return 0;
}

/*
 * /proc for our PID namespace (so ps sees only our processes), and /sys
 * read-only: the host's devices are described there, not ours to change.
 */
static int mount_proc_and_sys(const struct config *cfg)
{
	if (make_dir("proc", 0555) < 0 ||
	    mount_fs("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "MS_NOSUID|MS_NODEV|MS_NOEXEC", NULL) < 0)
		return -1;
	if (cfg->userns)
		return make_dir("sys", 0555) < 0 ? -1 : bind_host_sys();
	if (make_dir("sys", 0555) < 0 ||
	    mount_fs("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC", NULL) < 0)
		return -1;
	return 0;
}

/*
 * The lesson's weak version: chroot(2) changes only this process's idea
 * of "/". The host's tree is still mounted here, and a root process can
 * climb back out (see the chapter's chroot escape).
 */
static int enter_with_chroot(void)
{
	if (chroot(".") < 0 || chdir("/") < 0) {
		fprintf(stderr, "%s: chroot .: %m\n", PROG);
		return -1;
	}
	narrate("chroot(\".\") = 0 [chroot(2)]");
	return 0;
}

/*
 * pivot_root(".", ".") stacks the old root on top of the new one (see
 * pivot_root(2), NOTES); unmounting "." then detaches the whole host tree
 * from our namespace, so no path leads back to it.
 */
static int enter_with_pivot_root(void)
{
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

/* ---- user namespace: in the child ---- */

/*
 * Changing our ids cleared PR_SET_PDEATHSIG (prctl(2)): set it again, then
 * make sure the parent did not die in between (its end of the socketpair
 * hangs up when it does).
 */
static int die_with_parent_again(int sync_fd)
{
	struct pollfd p = {.fd = sync_fd, .events = POLLIN};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %m\n", PROG);
		return -1;
	}
	if (poll(&p, 1, 0) < 0) {
		fprintf(stderr, "%s: poll: %m\n", PROG);
		return -1;
	}
	if (p.revents & POLLHUP) {
		fprintf(stderr, "%s: parent went away while the container started\n", PROG);
		return -1;
	}
	return 0;
}

/*
 * The maps are written (the parent did it before the go-ahead): become
 * uid and gid 0 of the namespace, which are the mapped host ids. Until now
 * we still carried the parent's host ids, so anything that must be done
 * with them (reaching the rootfs, joining cgroups) happens before this.
 * Rootful, first drop the supplementary groups inherited from the host's
 * root; rootless, the kernel forbids setgroups(2) (the parent wrote
 * "deny"), so they stay.
 */
static int become_container_root(const struct config *cfg, int sync_fd)
{
	if (!cfg->userns)
		return 0;
	if (!cfg->rootless) {
		if (setgroups(0, NULL) < 0) {
			fprintf(stderr, "%s: setgroups: %m\n", PROG);
			return -1;
		}
		narrate("setgroups(0, NULL) = 0 [setgroups(2)]");
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		fprintf(stderr, "%s: become root of the user namespace: %m\n", PROG);
		return -1;
	}
	narrate("setresgid(0, 0, 0) = 0 [setresgid(2)]");
	narrate("setresuid(0, 0, 0) = 0 [setresuid(2)]");
	return die_with_parent_again(sync_fd);
}

/* The idmapped rootfs arrives as a file descriptor over the socketpair (unix(7)). */
static int receive_rootfs_tree(int sync_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC) != 1) {
		fprintf(stderr, "%s: receive the idmapped rootfs from the parent: %m\n", PROG);
		return -1;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "%s: the parent sent no idmapped rootfs\n", PROG);
		return -1;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	narrate("recvmsg(SCM_RIGHTS) = mount fd %d [unix(7)]", fd);
	return fd;
}

/*
 * With a user namespace, the rootfs is reached with the host's ids (the
 * directories above it may be closed to the mapped uid) and filled with
 * the container's (files it creates need ids the namespace maps).
 */
static int enter_rootfs(const struct config *cfg, int tree, int sync_fd)
{
	if (make_mounts_private(cfg) < 0 ||
	    (tree >= 0 ? attach_idmapped_rootfs(cfg->rootfs, tree)
		       : bind_rootfs(cfg->rootfs)) < 0 ||
	    become_container_root(cfg, sync_fd) < 0 || mount_proc_and_sys(cfg) < 0 ||
	    mount_dev(cfg) < 0)
		return -1;
	return cfg->use_chroot ? enter_with_chroot() : enter_with_pivot_root();
}

/* A clean environment, as docker run gives: not the host's. */
static int set_environment(void)
{
	char host[HOST_NAME_MAX + 1];
	const char *term = getenv("TERM");
	int tty = isatty(STDIN_FILENO);

	if (gethostname(host, sizeof(host)) < 0) {
		fprintf(stderr, "%s: gethostname: %m\n", PROG);
		return -1;
	}
	if (clearenv() != 0 || setenv("PATH", CONTAINER_PATH, 1) < 0 ||
	    setenv("HOME", "/root", 1) < 0 || setenv("HOSTNAME", host, 1) < 0 ||
	    (tty && setenv("TERM", term ? term : "xterm", 1) < 0)) {
		fprintf(stderr, "%s: set environment: %m\n", PROG);
		return -1;
	}
	return 0;
}

static void explain_exec_error(const char *cmd)
{
	if (errno == ENOENT || errno == ENOTDIR)
		fprintf(stderr, "%s: exec %s: %m (command or its interpreter not found)\n",
			PROG, cmd);
	else
		fprintf(stderr, "%s: exec %s: %m (cannot execute)\n", PROG, cmd);
}

static int exec_command(const struct config *cfg, int sync_fd)
{
	narrate("execvp(\"%s\", ...) [execve(2)]", cfg->argv[0]);
	execvp(cfg->argv[0], cfg->argv);
	explain_exec_error(cfg->argv[0]);
	return fail(sync_fd, 1);
}

/* Collect every exited child; returns CMD's exit code once CMD is among them. */
static int reap_children(pid_t cmd)
{
	int status, code = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		narrate("waitpid(-1) = %d [waitpid(2)]", pid);
		if (pid == cmd)
			code = WIFSIGNALED(status) ? 128 + WTERMSIG(status)
						   : WEXITSTATUS(status);
	}
	return code;
}

/*
 * --init, as PID 1: fork CMD, pass on the forwarded signals, reap every
 * zombie (orphans are re-parented to PID 1), and exit with CMD's status.
 * The signals are blocked and taken with sigwaitinfo(2): blocked, they are
 * queued even though PID 1's default action would drop them.
 */
static int run_init(const struct config *cfg, int sync_fd)
{
	sigset_t set, old;
	pid_t cmd;
	int sig, code;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaddset(&set, forwarded_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
		fprintf(stderr, "%s: sigprocmask: %m\n", PROG);
		return fail(sync_fd, 0);
	}
	cmd = fork();
	if (cmd < 0) {
		fprintf(stderr, "%s: fork: %m\n", PROG);
		return fail(sync_fd, 0);
	}
	if (cmd == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(exec_command(cfg, sync_fd));
	}
	narrate("fork() = %d: init is PID %d, CMD is PID %d [fork(2)]", cmd, getpid(), cmd);
	/* Only CMD's copy of the channel should tell the parent about exec. */
	close(sync_fd);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGCHLD) {
			narrate("kill(%d, %d) [kill(2)]", cmd, sig);
			kill(cmd, sig);
			continue;
		}
		code = reap_children(cmd);
		if (code >= 0)
			return code;
	}
}

static int child_main(void *arg)
{
	const struct child *c = arg;
	const struct config *cfg = c->cfg;
	int sync_fd = c->sync_fd;
	int tree = -1; /* the idmapped rootfs, when the parent sends one */

	if (wait_for_parent(sync_fd, c->parent_fd) < 0)
		return EXIT_TOOL;
	if (cfg->idmap_rootfs && (tree = receive_rootfs_tree(sync_fd)) < 0)
		return fail(sync_fd, 0);
	if (set_hostname(cfg->hostname) < 0 || enter_rootfs(cfg, tree, sync_fd) < 0 ||
	    set_environment() < 0)
		return fail(sync_fd, 0);
	if (cfg->init)
		return run_init(cfg, sync_fd);
	return exec_command(cfg, sync_fd);
}

/* ---- in the parent ---- */

static pid_t start_child(const struct config *cfg, const int sv[2])
{
	struct child c = {.cfg = cfg, .sync_fd = sv[1], .parent_fd = sv[0]};
	int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
	pid_t pid;

	/*
	 * With CLONE_NEWUSER the kernel creates the user namespace first, so it
	 * owns the others made by the same call (user_namespaces(7)).
	 */
	if (cfg->userns)
		flags |= CLONE_NEWUSER;
	/* Without CLONE_VM the child gets a copy of our memory, c included. */
	pid = clone(child_main, child_stack + sizeof(child_stack), flags, &c);
	if (pid < 0) {
		fprintf(stderr, "%s: clone: %m%s\n", PROG,
			cfg->userns ? " (are user namespaces allowed? see 'make doctor')" : "");
		return -1;
	}
	narrate("clone(%sCLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS|SIGCHLD) = %d [clone(2)]",
		cfg->userns ? "CLONE_NEWUSER|" : "", pid);
	return pid;
}

static int write_pid_file(const char *path, pid_t pid)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (!path)
		return 0;
	/* Write then rename(2), so a reader never sees a half-written file. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "%s: pid file name too long\n", PROG);
		return -1;
	}
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, tmp);
		return -1;
	}
	fprintf(f, "%d\n", pid);
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, tmp);
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

static void forward_signal(int sig)
{
	int saved = errno;

	if (container_pid > 0)
		kill(container_pid, sig);
	errno = saved;
}

/*
 * Docker's sig-proxy: what we receive, the container's PID 1 receives.
 * Without --init that is CMD itself, and the kernel drops any signal that
 * PID 1 has no handler for, SIGKILL and SIGSTOP excepted.
 */
static int forward_signals(pid_t pid)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};

	container_pid = pid;
	for (size_t i = 0; i < N_FORWARDED; i++) {
		if (sigaction(forwarded_signals[i], &sa, NULL) < 0) {
			fprintf(stderr, "%s: sigaction: %m\n", PROG);
			return -1;
		}
	}
	return 0;
}

static int release_child(int sync_fd)
{
	if (write(sync_fd, "g", 1) != 1) {
		fprintf(stderr, "%s: release child: %m\n", PROG);
		return -1;
	}
	return 0;
}

/*
 * After the go-ahead the child either execs (end-of-file here) or reports
 * a failure. Returns the exit code for a failure, 0 when the command runs.
 */
static int read_report(int sync_fd)
{
	struct report r;
	ssize_t n;

	do
		n = read(sync_fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(r))
		return 0;
	if (!r.exec_failed)
		return EXIT_TOOL;
	return r.err == ENOENT || r.err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

/* The command's own exit status, or 128+N if signal N killed it. */
static int wait_for_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "%s: waitpid: %m\n", PROG);
			return EXIT_TOOL;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* ---- user namespace: in the parent ---- */

/* A map as the kernel reads it: "INSIDE OUTSIDE COUNT" lines. */
static void format_map(const struct id_maps *m, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < m->n && len < size; i++)
		len += snprintf(buf + len, size - len, "%u %u %u\n", m->map[i].inside,
				m->map[i].outside, m->map[i].count);
}

/* The narration shows the text on one line, newlines as \n. */
static void narrate_write(const char *path, const char *text)
{
	char shown[MAX_ID_MAPS * 40];
	size_t j = 0;

	for (size_t i = 0; text[i] && j + 3 < sizeof(shown); i++) {
		if (text[i] == '\n') {
			shown[j++] = '\\';
			shown[j++] = 'n';
		} else {
			shown[j++] = text[i];
		}
	}
	shown[j] = '\0';
	narrate("write(\"%s\", \"%s\") = %zu [user_namespaces(7)]", path, shown, strlen(text));
}

/* The kernel takes each of these files in a single write(2). */
static int write_proc_file(pid_t pid, const char *name, const char *text)
{
	ssize_t len = strlen(text);
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	if (write(fd, text, len) != len) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
		close(fd);
		return -1;
	}
	close(fd);
	narrate_write(path, text);
	return 0;
}

/*
 * Give the child's user namespace its ids. An unprivileged writer must
 * first give up setgroups(2) for the namespace (user_namespaces(7)):
 * otherwise a user could drop a group that denies it access.
 */
static int write_id_maps(const struct config *cfg, pid_t child)
{
	char text[MAX_ID_MAPS * 36];

	format_map(&cfg->uids, text, sizeof(text));
	if (write_proc_file(child, "uid_map", text) < 0)
		return -1;
	if (cfg->rootless && write_proc_file(child, "setgroups", "deny") < 0)
		return -1;
	format_map(&cfg->gids, text, sizeof(text));
	return write_proc_file(child, "gid_map", text);
}

/*
 * An idmapped copy of the rootfs mount (mount_setattr(2), MOUNT_ATTR_IDMAP):
 * seen through it, the image's uid 0 is the container's root, and what the
 * container writes is stored under the image's own ids. Creating one needs
 * CAP_SYS_ADMIN where the filesystem was mounted, so the parent makes it,
 * detached (open_tree(2)), with the child's user namespace as the mapping.
 */
static int open_idmapped_rootfs(const struct config *cfg, pid_t child)
{
	struct mount_attr_v0 attr = {.attr_set = MOUNT_ATTR_IDMAP};
	char path[64];
	int userns, tree;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", child);
	userns = open(path, O_RDONLY | O_CLOEXEC);
	if (userns < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	tree = syscall(SYS_open_tree, AT_FDCWD, cfg->rootfs,
		       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0) {
		fprintf(stderr, "%s: open_tree %s: %m\n", PROG, cfg->rootfs);
		close(userns);
		return -1;
	}
	narrate("open_tree(\"%s\", OPEN_TREE_CLONE|AT_RECURSIVE) = %d [open_tree(2)]",
		cfg->rootfs, tree);
	attr.userns_fd = userns;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0) {
		fprintf(stderr, "%s: idmapped mount of %s: %m (needs Linux 5.12 and a filesystem "
			"that supports it; or use a copy owned by %u:%u)\n", PROG, cfg->rootfs,
			cfg->uids.map[0].outside, cfg->gids.map[0].outside);
		close(tree);
		close(userns);
		return -1;
	}
	narrate("mount_setattr(%d, \"\", AT_EMPTY_PATH|AT_RECURSIVE, MOUNT_ATTR_IDMAP, userns "
		"of %d) = 0 [mount_setattr(2)]", tree, child);
	close(userns);
	return tree;
}

/*
 * Hand the mount to the child over the socketpair (SCM_RIGHTS, unix(7)).
 * If the child is already gone (EPIPE), it has reported why itself.
 */
static int send_rootfs_tree(int sync_fd, int tree)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 't';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &tree, sizeof(tree));
	if (sendmsg(sync_fd, &msg, MSG_NOSIGNAL) != 1) {
		if (errno == EPIPE)
			return 0;
		fprintf(stderr, "%s: send the idmapped rootfs to the child: %m\n", PROG);
		return -1;
	}
	narrate("sendmsg(SCM_RIGHTS: mount fd %d) = 1 [unix(7)]", tree);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg = {0};
	int sv[2], failed, status = EXIT_TOOL;
	pid_t child;
	int tree = -1; /* the idmapped rootfs, for the child */

	if (parse_args(argc, argv, &cfg) < 0)
		return EXIT_TOOL;
	if (plan_user_namespace(&cfg) < 0)
		return EXIT_TOOL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "%s: socketpair: %m\n", PROG);
		return EXIT_TOOL;
	}
	child = start_child(&cfg, sv);
	close(sv[1]);
	if (child < 0)
		goto close_sync;
	if (cfg.userns && write_id_maps(&cfg, child) < 0)
		goto kill_child;
	if (cfg.idmap_rootfs && (tree = open_idmapped_rootfs(&cfg, child)) < 0)
		goto kill_child;
	if (write_pid_file(cfg.pid_file, child) < 0 || forward_signals(child) < 0 ||
	    release_child(sv[0]) < 0)
		goto kill_child;
	if (tree >= 0 && send_rootfs_tree(sv[0], tree) < 0)
		goto kill_child;
	failed = read_report(sv[0]);
	status = wait_for_child(child);
	if (failed)
		status = failed;
	goto close_sync;

kill_child:
	kill(child, SIGKILL);
	wait_for_child(child);
close_sync:
	if (tree >= 0)
		close(tree);
	close(sv[0]);
	return status;
}
