/*
 * step06-net: the command gets a network stack of its own.
 *
 * clone(2) with CLONE_NEWUTS starts the child in a new UTS namespace
 * (uts_namespaces(7)): its sethostname(2) changes nothing the host sees.
 * CLONE_NEWPID makes it PID 1 of a new PID namespace (pid_namespaces(7)),
 * with an init's duties: reaping orphans, and the kernel's signal rules
 * for PID 1. --init runs a tiny init as PID 1 that does both for CMD.
 * CLONE_NEWNS gives it a copy of the mount table (mount_namespaces(7)),
 * which it makes private, then fills a root filesystem with /proc, /dev
 * and /sys and moves into it with pivot_root(2). Its environment is
 * Docker's default, not the host's.
 * Control groups (cgroups(7)) limit its memory, CPU time and processes, on
 * cgroup v2, v1 or hybrid laid out the standard way under /sys/fs/cgroup.
 *
 * With --layer, that root filesystem is an overlay (the kernel's
 * Documentation/filesystems/overlayfs.rst): read-only image layers stacked
 * under a writable layer of the run's own, kept in its state directory
 * (/run/minidock/<id>/) and removed when the container exits. The child
 * mounts it in its own mount namespace, so the host never sees it.
 *
 * CLONE_NEWNET gives it a network namespace (network_namespaces(7)) with
 * only a loopback, down; --network none brings it up. --network bridge
 * (the default) wires it like docker0: a host bridge holds the gateway
 * address, a veth pair (veth(4)) is the cable, eth0 inside. All of it is
 * rtnetlink(7) messages we build. An address's lease is a file, flock(2)ed.
 *
 * Over a socketpair the parent releases the child once the pid file is
 * written, and the child reports a failed setup or execve(2); a successful
 * execve closes the child's end (close-on-exec): the parent reads EOF.
 *
 * Read in this order: prepare_network (ensure_bridge, take_lease),
 * create_veth, configure_network, nl_talk, then main and child_main.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "net"

/* make passes the absolute path of build/rootfs. */
#ifndef DEFAULT_ROOTFS
#define DEFAULT_ROOTFS "/var/lib/minidock/rootfs"
#endif

/* Exit codes, as docker run uses them: 125 is our own error. */
enum { EXIT_TOOL = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

/* Docker's default PATH for a container. */
#define CONTAINER_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Where each run's writable layer goes, unless --state says otherwise. */
#define DEFAULT_STATE "/run/minidock"

/* mount(2) passes at most one page of options to the filesystem. */
#define MOUNT_DATA_MAX 4096

/* --network bridge: Docker's docker0 and 172.17.0.0/16, under our own names. */
#define BRIDGE "minidock0"
#define SUBNET 0x0a6f0000u /* 10.111.0.0/16, in host byte order */
#define GATEWAY (SUBNET + 1)
#define IPAM_DIR DEFAULT_STATE "/ipam/" BRIDGE

struct config {
	char **argv;          /* the command and its arguments */
	const char *hostname; /* -h: the container's hostname, or NULL to keep it */
	const char *pid_file; /* --pid-file: where the child's host PID goes */
	int init;             /* --init: a tiny init runs as PID 1 and forks CMD */
	char rootfs[PATH_MAX]; /* -r: the container's root, an absolute path */
	int use_chroot;       /* --chroot: the lesson's weak version of pivot_root */
	int skip_rprivate;    /* --skip-rprivate: the lesson's bug, left in on purpose */
	long long memory;     /* --memory: bytes, 0 for no limit */
	long long cpu_quota;  /* --cpu-quota: CPU microseconds per 100 ms, 0 for none */
	long long pids_limit; /* --pids-limit: most processes at once, 0 for none */
	const char *cgroup_parent; /* --cgroup-parent: where container cgroups go */
	int n_layers;         /* --layer: how many */
	char lowerdir[MOUNT_DATA_MAX]; /* the layers' absolute paths, top first, ':' between */
	const char *state;       /* --state: where run directories go */
	int keep;                /* --keep: leave the writable layer behind after the run */
	char run_dir[PATH_MAX - 16]; /* this run's directory: upper/, work/, merged/ */
	char overlay_data[MOUNT_DATA_MAX]; /* the overlay's mount options */
	int network_none;     /* --network none: only lo; bridge (the default): eth0 too */
	uint32_t ip;          /* the container's address once leased, else 0 */
};

/* What the child needs: the configuration and both ends of the socketpair. */
struct child {
	const struct config *cfg;
	int sync_fd, parent_fd; /* its own end; the parent's, which it closes */
};

static int debug;                  /* -D: narrate every kernel operation on stderr */
static const char *who = "parent"; /* -D: which of our processes makes the call */

/* The signals a foreground run passes on to the container (Docker's sig-proxy). */
static const int forwarded_signals[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,
					SIGUSR1, SIGUSR2, SIGWINCH};
#define N_FORWARDED (sizeof(forwarded_signals) / sizeof(forwarded_signals[0]))

/* The container's PID, for the signal handler that forwards signals. */
static volatile sig_atomic_t container_pid;

static char child_stack[1024 * 1024];

/* -D: one line per kernel operation: who made it, the call, its man page. */
static void narrate(const char *fmt, ...)
{
	char line[8192]; /* long enough for any line we narrate */
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write(2) per line, so lines of parent, child and CMD never mix. */
	fprintf(stderr, "%s %d => %s\n", who, getpid(), line);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [OPTIONS] [--] CMD [ARG...]\n"
		"Run CMD in new UTS, PID, mount and network namespaces, inside a root filesystem\n"
		"made of image layers with --layer.\n"
		"\n"
		"  -h, --hostname NAME   the container's hostname\n"
		"      --pid-file FILE   write the container's host PID to FILE\n"
		"      --init            run a tiny init as PID 1 that reaps and forwards signals\n"
		"  -r, --rootfs DIR      the container's root filesystem (default %s)\n"
		"      --chroot          lesson only: chroot(2) instead of pivot_root(2)\n"
		"      --skip-rprivate   lesson only: leave mount propagation as the host has it\n"
		"      --memory SIZE     memory limit, no swap (k, m, g suffixes)\n"
		"      --cpu-quota US    CPU time limit: microseconds per 100000 (Docker's period)\n"
		"      --pids-limit N    at most N processes at once\n"
		"      --cgroup-parent PATH  create the container's cgroups under PATH\n"
		"      --layer DIR       an image layer (repeat, bottom first): the root is\n"
		"                        their overlay plus a writable layer; replaces -r\n"
		"      --state DIR       where the run's writable layer goes (default %s)\n"
		"      --keep            keep the writable layer after the run, to look at\n"
		"      --network MODE    none (only lo) or bridge (the default); alias --net\n"
		"  -D, --debug           narrate every kernel operation\n"
		"      --help            show this help\n",
		PROG, DEFAULT_ROOTFS, DEFAULT_STATE);
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


/* cpuacct sets no limit, but where it is a hierarchy of its own, we join it too. */
enum { CG_CPU, CG_CPUACCT, CG_MEMORY, CG_PIDS, N_CONTROLLERS };
static const char *const controller_names[N_CONTROLLERS] = {"cpu", "cpuacct", "memory", "pids"};

#define CGROUP_ROOT "/sys/fs/cgroup" /* the standard layout: see the chapter's README */

/* One mounted hierarchy, and where the container goes in it. */
struct hierarchy {
	int v2;               /* 1: the unified cgroup2 hierarchy */
	char mount[PATH_MAX]; /* its mount point */
	char base[PATH_MAX];  /* where our containers go */
	char dir[PATH_MAX];   /* this container's cgroup */
	int own_base;         /* base is the default minidock/: ours to tidy */
	int made_dir;         /* we created dir */
};

/* The parent fills this in; the child gets a copy (clone without CLONE_VM). */
static struct {
	struct hierarchy h[N_CONTROLLERS];
	int n;                 /* hierarchies in use; 0: no cgroup option given */
	int of[N_CONTROLLERS]; /* index in h of each controller, -1: not here */
	char name[64];         /* mdk-<our pid>-<our start time> */
} cg;

/* A number above 0, as Docker takes it; with units, --memory's k, m or g may end it. */
static int parse_count(const char *opt, const char *s, const char *units, long long *out)
{
	size_t len = strlen(s);
	const char *u = units && len ? strchr(units, tolower((unsigned char)s[len - 1])) : NULL;
	int shift = u ? (int)(u - units + 1) * 10 : 0;
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (end == s || end != s + len - (u != NULL) || errno || *out < 1 ||
	    *out > LLONG_MAX >> shift) {
		fprintf(stderr, "%s: %s '%s': want a whole number above 0%s\n", PROG, opt, s,
			units ? ", like 32m (suffixes k, m, g)" : "");
		return -1;
	}
	*out <<= shift;
	return 0;
}

/* A small file's text, in one read(2); "" if it cannot be read. */
static char *read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

/* One write(2) into a cgroup file: how every cgroup setting is made. */
static int write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) < 0) {
		fprintf(stderr, "%s: write '%s' to %s: %m\n", PROG, value, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	narrate("write(\"%s\", \"%s\") [cgroups(7)]", path, value);
	return close(fd);
}

/* When PID started (field 22 of /proc/PID/stat, proc_pid_stat(5), after the
 * command's ')'): with the PID, it names a process for good. 0 if gone. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(p = strrchr(read_file(path, buf, sizeof(buf)), ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

/* Where the controllers are, on the standard layout (cgroups(7)): all in
 * the cgroup2 at /sys/fs/cgroup (statfs(2) tells by its magic number), or
 * each in a v1 hierarchy at /sys/fs/cgroup/NAME, a link to the mount named
 * for its controllers ("cpu,cpuacct"); a hybrid's unified/ has none. */
static int find_hierarchies(const struct config *cfg)
{
	unsigned need = (cfg->memory ? 1u << CG_MEMORY : 0) | (cfg->pids_limit ? 1u << CG_PIDS : 0) |
			(cfg->cpu_quota ? 1u << CG_CPU : 0);
	char path[PATH_MAX], mount[PATH_MAX];
	struct statfs sfs;
	int v2;

	if (statfs(CGROUP_ROOT, &sfs) < 0) {
		fprintf(stderr, "%s: statfs %s: %m\n", PROG, CGROUP_ROOT);
		return -1;
	}
	v2 = sfs.f_type == CGROUP2_SUPER_MAGIC;
	narrate("statfs(\"%s\") = 0: f_type %#lx, cgroup %s [statfs(2)]", CGROUP_ROOT,
		(unsigned long)sfs.f_type, v2 ? "v2" : "v1 (or hybrid)");
	for (int i = 0; i < N_CONTROLLERS; i++) {
		snprintf(path, sizeof(path), "%s/%s", CGROUP_ROOT, controller_names[i]);
		if (!v2 && !realpath(path, mount)) {
			cg.of[i] = -1;
			if (!(need & 1u << i))
				continue;
			fprintf(stderr, "%s: the %s controller is not available on this machine "
					"(no %s)\n", PROG, controller_names[i], path);
			return -1;
		}
		/* one hierarchy may hold several controllers: all of v2, cpu,cpuacct */
		for (cg.of[i] = 0; cg.of[i] < cg.n; cg.of[i]++)
			if (!strcmp(cg.h[cg.of[i]].mount, v2 ? CGROUP_ROOT : mount))
				break;
		if (cg.of[i] == cg.n) {
			snprintf(cg.h[cg.n].mount, PATH_MAX, "%s", v2 ? CGROUP_ROOT : mount);
			cg.h[cg.n++].v2 = v2;
		}
	}
	return 0;
}

/* Our cgroup in h, from /proc/self/cgroup: "0::PATH" (v2), "ID:CONTROLLERS:PATH". */
static int own_cgroup(const struct hierarchy *h, char *out, size_t len)
{
	char line[PATH_MAX + 256], ctrls[256], path[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = h->v2 ? sscanf(line, "0::%4095s", path) == 1
			      : sscanf(line, "%*d:%255[^:]:%4095s", ctrls, path) == 2 &&
					!strcmp(ctrls, strrchr(h->mount, '/') + 1);
	if (f)
		fclose(f);
	if (!found)
		fprintf(stderr, "%s: our cgroup in %s is not in /proc/self/cgroup\n", PROG,
			h->mount);
	snprintf(out, len, "%s%s", h->mount, strcmp(path, "/") ? path : "");
	return found ? 0 : -1;
}

/* The base: --cgroup-parent (realpath(3) keeps it in the hierarchy), else our minidock/. */
static int choose_bases(const struct config *cfg)
{
	char path[PATH_MAX * 2];

	for (int i = 0; i < cg.n; i++) {
		struct hierarchy *h = &cg.h[i];
		size_t len = strlen(h->mount);
		h->own_base = !cfg->cgroup_parent;
		if (h->own_base) {
			if (own_cgroup(h, path, sizeof(path)) < 0)
				return -1;
			snprintf(h->base, sizeof(h->base), "%.*s/minidock", PATH_MAX - 16, path);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", h->mount, cfg->cgroup_parent);
		if (!realpath(path, h->base) || strncmp(h->base, h->mount, len) ||
		    (h->base[len] && h->base[len] != '/')) {
			fprintf(stderr, "%s: --cgroup-parent '%s': no such cgroup below %s (nor "
					"may '..' leave it)\n", PROG, cfg->cgroup_parent, h->mount);
			return -1;
		}
	}
	return 0;
}

/* v2 hands controllers to children through cgroup.subtree_control, only where the
 * cgroup holds no processes ("no internal processes", cgroups(7)); not the root's. */
static int enable_v2_controllers(const struct hierarchy *h)
{
	char path[PATH_MAX + 64];
	int fd;

	if (!strcmp(h->base, h->mount))
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", h->base);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "+cpu +memory +pids", 18) < 0) {
		fprintf(stderr, "%s: cgroup v2: write %s: %m (no internal processes: %s must hold "
				"none and get the controllers from its parent; pass a --cgroup-parent "
				"that does)\n", PROG, path, h->base);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	narrate("write(\"%s\", \"+cpu +memory +pids\") [cgroups(7)]", path);
	return close(fd);
}

/* The container's cgroup in every hierarchy, in the base (shared, may exist already). */
static int make_container_cgroups(void)
{
	snprintf(cg.name, sizeof(cg.name), "mdk-%d-%llu", getpid(), start_time(getpid()));
	for (int i = 0; i < cg.n; i++) {
		struct hierarchy *h = &cg.h[i];
		if (h->own_base && mkdir(h->base, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "%s: mkdir %s: %m\n", PROG, h->base);
			return -1;
		}
		snprintf(h->dir, sizeof(h->dir), "%s/%s", h->base, cg.name);
		if (mkdir(h->dir, 0755) < 0) {
			fprintf(stderr, "%s: mkdir %s: %m\n", PROG, h->dir);
			return -1;
		}
		narrate("mkdir(\"%s\") = 0 [mkdir(2)]", h->dir);
		h->made_dir = 1;
		if (h->v2 && enable_v2_controllers(h) < 0)
			return -1;
	}
	return 0;
}

/* The limits, in the files each version names them (cgroups(7)). */
static int set_limits(const struct config *cfg)
{
	const struct hierarchy *m = &cg.h[cg.of[CG_MEMORY]], *c = &cg.h[cg.of[CG_CPU]];
	char mem[32], quota[32], pids[32];

	snprintf(mem, sizeof(mem), "%lld", cfg->memory);
	snprintf(quota, sizeof(quota), "%lld", cfg->cpu_quota);
	snprintf(pids, sizeof(pids), "%lld", cfg->pids_limit);
	/* and no swap: v2's swap.max counts swap alone, v1's memsw memory+swap */
	if (cfg->memory &&
	    (write_file(m->dir, m->v2 ? "memory.max" : "memory.limit_in_bytes", mem) < 0 ||
	     write_file(m->dir, m->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
			m->v2 ? "0" : mem) < 0))
		return -1;
	/* v2 takes "QUOTA PERIOD" in one file, v1 in two */
	if (cfg->cpu_quota && c->v2 && write_file(c->dir, "cpu.max", strcat(quota, " 100000")) < 0)
		return -1;
	if (cfg->cpu_quota && !c->v2 &&
	    (write_file(c->dir, "cpu.cfs_period_us", "100000") < 0 ||
	     write_file(c->dir, "cpu.cfs_quota_us", quota) < 0))
		return -1;
	if (cfg->pids_limit && write_file(cg.h[cg.of[CG_PIDS]].dir, "pids.max", pids) < 0)
		return -1;
	return 0;
}

static int create_cgroups(const struct config *cfg)
{
	if (!(cfg->memory || cfg->cpu_quota || cfg->pids_limit || cfg->cgroup_parent))
		return 0;
	if (find_hierarchies(cfg) < 0 || choose_bases(cfg) < 0 || make_container_cgroups() < 0)
		return -1;
	return set_limits(cfg);
}

/* In the child, before exec: "0" in cgroup.procs (v2) or tasks (v1) moves the
 * writer itself, so CMD starts inside its limits. */
static int join_cgroups(void)
{
	for (int i = 0; i < cg.n; i++)
		if (write_file(cg.h[i].dir, cg.h[i].v2 ? "cgroup.procs" : "tasks", "0") < 0)
			return -1;
	return 0;
}

/* After the container: its cgroups go, and the shared minidock/ once empty. */
static void remove_cgroups(void)
{
	for (int i = 0; i < cg.n; i++) {
		struct hierarchy *h = &cg.h[i];
		if (h->made_dir && rmdir(h->dir) < 0)
			fprintf(stderr, "%s: rmdir %s: %m\n", PROG, h->dir);
		else if (h->made_dir)
			narrate("rmdir(\"%s\") = 0 [rmdir(2)]", h->dir);
		if (h->own_base && rmdir(h->base) == 0) /* else EBUSY: others use it */
			narrate("rmdir(\"%s\") = 0 [rmdir(2)]", h->base);
	}
}

/* ---- image layers: checking the options ---- */

/*
 * The real path of DIR, which must be a directory. The overlay's options
 * are one string: ':' separates the lower layers and ',' the options, so
 * a path holding either (or the '\' that escapes them) is refused.
 */
static int check_dir(const char *what, const char *dir, char abs[PATH_MAX])
{
	struct stat st;

	if (!realpath(dir, abs) || stat(abs, &st) < 0) {
		fprintf(stderr, "%s: %s %s: %m\n", PROG, what, dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: %s %s: Not a directory\n", PROG, what, dir);
		return -1;
	}
	if (strpbrk(abs, ":,\\")) {
		fprintf(stderr, "%s: %s %s: ':', ',' and '\\' cannot appear in overlay options\n",
			PROG, what, abs);
		return -1;
	}
	return 0;
}

/*
 * --layer DIR, bottom layer first (as docker image history lists them,
 * oldest first); overlayfs wants lowerdir top first, ':' between: each
 * layer goes in front of those before it.
 */
static int add_layer(struct config *cfg, const char *dir)
{
	size_t len = strlen(cfg->lowerdir), n;
	char abs[PATH_MAX];

	if (check_dir("layer", dir, abs) < 0)
		return -1;
	n = strlen(abs);
	if (len + n + 1 >= sizeof(cfg->lowerdir)) {
		fprintf(stderr, "%s: too many layers for one page of mount options\n", PROG);
		return -1;
	}
	memmove(cfg->lowerdir + n + !!len, cfg->lowerdir, len + 1);
	memcpy(cfg->lowerdir, abs, n);
	if (len)
		cfg->lowerdir[n] = ':';
	cfg->n_layers++;
	return 0;
}

static int check_layers(struct config *cfg, int rootfs_given)
{
	char abs[PATH_MAX];

	if (!cfg->n_layers) {
		fprintf(stderr, "%s: --keep and --state need --layer\n", PROG);
		return -1;
	}
	if (rootfs_given) {
		fprintf(stderr, "%s: --rootfs and --layer exclude each other: %s\n", PROG,
			"the layers make the root");
		return -1;
	}
	if (cfg->state && check_dir("state directory", cfg->state, abs) < 0)
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_PID_FILE = 256, OPT_INIT, OPT_CHROOT, OPT_SKIP_RPRIVATE, OPT_HELP,
	       OPT_MEMORY, OPT_CPU_QUOTA, OPT_PIDS_LIMIT, OPT_CGROUP_PARENT };
	enum { OPT_LAYER = 512, OPT_STATE, OPT_KEEP, OPT_NETWORK };
	static const struct option options[] = {
		{"hostname", required_argument, NULL, 'h'},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"init", no_argument, NULL, OPT_INIT},
		{"rootfs", required_argument, NULL, 'r'},
		{"chroot", no_argument, NULL, OPT_CHROOT},
		{"skip-rprivate", no_argument, NULL, OPT_SKIP_RPRIVATE},
		{"debug", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, OPT_HELP},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
		{"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
		{"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
		{"layer", required_argument, NULL, OPT_LAYER},
		{"state", required_argument, NULL, OPT_STATE},
		{"keep", no_argument, NULL, OPT_KEEP},
		{"network", required_argument, NULL, OPT_NETWORK},
		{"net", required_argument, NULL, OPT_NETWORK},
		{0},
	};
	const char *rootfs = DEFAULT_ROOTFS;
	int opt, rootfs_given = 0;

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
			rootfs_given = 1;
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
		case OPT_MEMORY:
			if (parse_count("--memory", optarg, "kmg", &cfg->memory) < 0)
				return -1;
			break;
		case OPT_CPU_QUOTA:
			if (parse_count("--cpu-quota", optarg, NULL, &cfg->cpu_quota) < 0)
				return -1;
			break;
		case OPT_PIDS_LIMIT:
			if (parse_count("--pids-limit", optarg, NULL, &cfg->pids_limit) < 0)
				return -1;
			break;
		case OPT_CGROUP_PARENT:
			cfg->cgroup_parent = optarg;
			break;
		case OPT_LAYER:
			if (add_layer(cfg, optarg) < 0)
				return -1;
			break;
		case OPT_STATE:
			cfg->state = optarg;
			break;
		case OPT_KEEP:
			cfg->keep = 1;
			break;
		case OPT_NETWORK:
			cfg->network_none = !strcmp(optarg, "none");
			if (!cfg->network_none && strcmp(optarg, "bridge")) {
				fprintf(stderr, "%s: unknown network mode '%s'\n", PROG, optarg);
				return -1;
			}
			break;
		default:
			fprintf(stderr, "%s: %s '%s' (try '%s --help')\n", PROG,
				opt == ':' ? "missing value for option" : "unknown option",
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
	if (cfg->n_layers || cfg->keep || cfg->state)
		return check_layers(cfg, rootfs_given);
	return check_rootfs(rootfs, cfg->rootfs);
}

/* ---- in the child ---- */

/* Send the parent our exit code: 127 when execve(2) found no command or ELF
 * interpreter (ENOENT), 126 when it cannot run it, 125 for an earlier step. */
static int fail(int sync_fd, int exec_failed)
{
	int code = !exec_failed				 ? EXIT_TOOL
		   : errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND
							 : EXIT_CANNOT_EXEC;

	if (write(sync_fd, &code, sizeof(code)) != sizeof(code))
		fprintf(stderr, "%s: report to parent: %m\n", PROG);
	return code;
}

/*
 * Wait for the go-ahead: read returns 0 instead if the parent died first
 * (once we have closed our copy of its end). From then on PR_SET_PDEATHSIG
 * (prctl(2)) kills us if it dies; poll(2) sees its end hang up if it died
 * in between.
 */
static int wait_for_parent(int sync_fd, int parent_fd)
{
	struct pollfd p = {.fd = sync_fd, .events = POLLIN};
	char go;

	close(parent_fd);
	if (read(sync_fd, &go, 1) != 1) {
		fprintf(stderr, "%s: parent went away before releasing the container\n", PROG);
		return -1;
	}
	narrate("read(%d) = 1: the parent released us [read(2)]", sync_fd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %m\n", PROG);
		return -1;
	}
	narrate("prctl(PR_SET_PDEATHSIG, SIGKILL) = 0 [prctl(2)]");
	if (poll(&p, 1, 0) < 0 || (p.revents & POLLHUP)) {
		fprintf(stderr, "%s: parent went away while the container started\n", PROG);
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

/* The MS_* flags by name, for the narration. */
static const char *mount_flag_names(unsigned long flags, char *buf, size_t len)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} names[] = {
		{MS_BIND, "MS_BIND"},     {MS_REC, "MS_REC"},       {MS_PRIVATE, "MS_PRIVATE"},
		{MS_RDONLY, "MS_RDONLY"}, {MS_NOSUID, "MS_NOSUID"}, {MS_NODEV, "MS_NODEV"},
		{MS_NOEXEC, "MS_NOEXEC"}, {MS_STRICTATIME, "MS_STRICTATIME"},
	};

	snprintf(buf, len, "0");
	for (size_t i = 0, n = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag)
			n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i].name);
	return buf;
}

/* mount(2), narrated with its real arguments. */
static int mount_fs(const char *src, const char *target, const char *type,
		    unsigned long flags, const char *data)
{
	char names[128];

	if (mount(src, target, type, flags, data) < 0) {
		fprintf(stderr, "%s: mount %s on %s: %m\n", PROG, type ? type : src, target);
		return -1;
	}
	narrate("mount(%s%s%s, \"%s\", %s%s%s, %s, %s%s%s) = 0 [mount(2)]", src ? "\"" : "",
		src ? src : "NULL", src ? "\"" : "", target, type ? "\"" : "", type ? type : "NULL",
		type ? "\"" : "", mount_flag_names(flags, names, sizeof(names)), data ? "\"" : "",
		data ? data : "NULL", data ? "\"" : "");
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
	return mount_fs(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/*
 * pivot_root(2) needs the new root to be a mount point: bind the rootfs
 * onto itself, then work inside it so the paths below are relative.
 */
static int bind_rootfs(const char *rootfs)
{
	if (mount_fs(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	if (chdir(rootfs) < 0) {
		fprintf(stderr, "%s: chdir %s: %m\n", PROG, rootfs);
		return -1;
	}
	narrate("chdir(\"%s\") = 0 [chdir(2)]", rootfs);
	return 0;
}

/* mknod(2) ignores the umask only if we chmod afterwards. */
static int make_device(const char *path, unsigned int major, unsigned int minor)
{
	if (mknod(path, S_IFCHR | 0666, makedev(major, minor)) < 0 || chmod(path, 0666) < 0) {
		fprintf(stderr, "%s: mknod %s: %m\n", PROG, path);
		return -1;
	}
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

/*
 * A fresh /dev on a tmpfs holding only the harmless devices, a private
 * devpts instance for terminals (newinstance: not the host's ptys) and
 * a tmpfs for POSIX shared memory; never the host's /dev.
 */
static int mount_dev(void)
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
		     "mode=755,size=65536k") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (make_device(devices[i].name, devices[i].major, devices[i].minor) < 0)
			return -1;
	narrate("mknod(\"dev/{null,zero,full,random,urandom,tty}\", S_IFCHR|0666, ...) = 0, "
		"x%zu [mknod(2)]", sizeof(devices) / sizeof(devices[0]));
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (make_link(links[i][0], links[i][1]) < 0)
			return -1;
	if (make_dir("dev/pts", 0755) < 0 ||
	    mount_fs("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620") < 0)
		return -1;
	if (make_dir("dev/shm", 01777) < 0 ||
	    mount_fs("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=1777,size=65536k") < 0)
		return -1;
	return 0;
}

/*
 * /proc for our PID namespace (so ps sees only our processes), and /sys
 * read-only: the host's devices are described there, not ours to change.
 */
static int mount_proc_and_sys(void)
{
	if (make_dir("proc", 0555) < 0 ||
	    mount_fs("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	if (make_dir("sys", 0555) < 0 ||
	    mount_fs("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL) < 0)
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

/*
 * --layer: the root is an overlay of the image's layers. Reads find a
 * name in the topmost layer that has it; writes go to the run's upper
 * directory, copying a lower file up first; a deletion leaves a whiteout
 * there. It is mounted here, after our mounts went private, so it exists
 * only in our mount namespace and vanishes with it: nothing to clean up
 * on the host's side (overlayfs docs, mount_namespaces(7)).
 */
static int mount_layers(const struct config *cfg)
{
	if (!cfg->n_layers)
		return 0;
	return mount_fs("overlay", cfg->rootfs, "overlay", 0, cfg->overlay_data);
}

static int enter_rootfs(const struct config *cfg)
{
	if (make_mounts_private(cfg) < 0 || mount_layers(cfg) < 0 ||
	    bind_rootfs(cfg->rootfs) < 0 ||
	    mount_proc_and_sys() < 0 || mount_dev() < 0)
		return -1;
	return cfg->use_chroot ? enter_with_chroot() : enter_with_pivot_root();
}

/* A clean environment, as docker run gives: not the host's. */
static int set_environment(void)
{
	char host[HOST_NAME_MAX + 1];
	const char *term = getenv("TERM");

	if (gethostname(host, sizeof(host)) < 0 || clearenv() != 0 ||
	    setenv("PATH", CONTAINER_PATH, 1) < 0 || setenv("HOME", "/root", 1) < 0 ||
	    setenv("HOSTNAME", host, 1) < 0 ||
	    (isatty(STDIN_FILENO) && setenv("TERM", term ? term : "xterm", 1) < 0)) {
		fprintf(stderr, "%s: set environment: %m\n", PROG);
		return -1;
	}
	return 0;
}

static int exec_command(const struct config *cfg, int sync_fd)
{
	narrate("execvp(\"%s\", ...) [execve(2)]", cfg->argv[0]);
	execvp(cfg->argv[0], cfg->argv);
	fprintf(stderr, "%s: exec %s: %m (%s)\n", PROG, cfg->argv[0],
		errno == ENOENT || errno == ENOTDIR ? "command or its interpreter not found"
						    : "cannot execute");
	return fail(sync_fd, 1);
}

/* Collect every exited child; returns CMD's exit code once CMD is among them. */
static int reap_children(pid_t cmd)
{
	int status, code = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		narrate("waitpid(-1, WNOHANG) = %d, status 0x%04x: %s [waitpid(2)]", pid, status,
			pid == cmd ? "CMD" : "an orphan");
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

	who = "init";
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
		who = "cmd";
		narrate("fork() = 0: CMD is PID %d, init stays PID %d [fork(2)]", getpid(),
			getppid());
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(exec_command(cfg, sync_fd));
	}
	/* Only CMD's copy of the channel should tell the parent about exec. */
	close(sync_fd);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGCHLD) {
			narrate("kill(%d, %d): pass on %s [kill(2)]", cmd, sig, strsignal(sig));
			kill(cmd, sig);
			continue;
		}
		code = reap_children(cmd);
		if (code >= 0)
			return code;
	}
}

static int configure_network(const struct config *cfg); /* with the network, below */

static int child_main(void *arg)
{
	const struct child *c = arg;
	const struct config *cfg = c->cfg;
	int sync_fd = c->sync_fd;

	who = "child";
	if (wait_for_parent(sync_fd, c->parent_fd) < 0)
		return EXIT_TOOL;
	if (configure_network(cfg) < 0 || join_cgroups() < 0 ||
	    set_hostname(cfg->hostname) < 0 || enter_rootfs(cfg) < 0 || set_environment() < 0)
		return fail(sync_fd, 0);
	if (cfg->init)
		return run_init(cfg, sync_fd);
	return exec_command(cfg, sync_fd);
}

/* ---- in the parent ---- */

static pid_t start_child(const struct config *cfg, const int sv[2])
{
	struct child c = {.cfg = cfg, .sync_fd = sv[1], .parent_fd = sv[0]};
	int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | SIGCHLD;
	pid_t pid;

	if (create_cgroups(cfg) < 0)
		return -1;
	/* Without CLONE_VM the child gets a copy of our memory, c included. */
	pid = clone(child_main, child_stack + sizeof(child_stack), flags, &c);
	if (pid < 0) {
		fprintf(stderr, "%s: clone: %m\n", PROG);
		return -1;
	}
	narrate("clone(CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWNET|SIGCHLD) = %d [clone(2)]",
		pid);
	return pid;
}

/* Written before the child is released, so a reader never waits for it. */
static int write_pid_file(const char *path, pid_t pid)
{
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "we");
	if (!f || fprintf(f, "%d\n", pid) < 0 || fclose(f) != 0) {
		fprintf(stderr, "%s: write pid file %s: %m\n", PROG, path);
		if (f)
			unlink(path);
		return -1;
	}
	narrate("write(\"%s\", \"%d\\n\"): the pid file [write(2)]", path, pid);
	return 0;
}

/* ---- image layers: the run's writable layer, in the parent ---- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) < 0) {
		fprintf(stderr, "%s: remove %s: %m\n", PROG, path);
		return 1; /* stops nftw, which returns it */
	}
	return 0;
}

/*
 * rm -rf, children first (nftw(3) FTW_DEPTH), never following a symlink
 * (FTW_PHYS) nor crossing into another filesystem (FTW_MOUNT): should a
 * layer ever be mounted beneath DIR, it is not ours to delete.
 */
static int remove_tree(const char *dir)
{
	int r = nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);

	if (r < 0 && errno == ENOENT)
		return 0; /* already gone */
	if (r < 0)
		fprintf(stderr, "%s: remove %s: %m\n", PROG, dir);
	if (r != 0)
		return -1;
	narrate("unlinkat/rmdir everything beneath \"%s\" = 0 [nftw(3), unlinkat(2)]", dir);
	return 0;
}

/*
 * The run's directory, named mdk-<our pid>-<our start time>: unique, and
 * it names its owner, since PIDs are reused but not with the same start
 * time. It holds upper/ (the writable layer), work/ (overlayfs' scratch
 * space, which must be on the same filesystem) and merged/ (the mount point).
 */
static int make_run_dir(struct config *cfg)
{
	static const char *const parts[] = {"upper", "work", "merged"};
	const char *state = cfg->state ? cfg->state : DEFAULT_STATE;
	char base[PATH_MAX], path[PATH_MAX];
	unsigned long long start;
	int n;

	if (!cfg->n_layers)
		return 0;
	if (!cfg->state && make_dir(DEFAULT_STATE, 0700) < 0)
		return -1;
	if (!realpath(state, base)) {
		fprintf(stderr, "%s: state directory %s: %m\n", PROG, state);
		return -1;
	}
	start = start_time(getpid());
	if (!start) {
		fprintf(stderr, "%s: read our start time from /proc/self/stat: %m\n", PROG);
		return -1;
	}
	n = snprintf(path, sizeof(path), "%s/mdk-%d-%llu", base, getpid(), start);
	if (n >= (int)sizeof(cfg->run_dir)) {
		fprintf(stderr, "%s: state directory %s: name too long\n", PROG, base);
		return -1;
	}
	if (mkdir(path, 0700) < 0) {
		fprintf(stderr, "%s: mkdir %s: %m\n", PROG, path);
		return -1;
	}
	narrate("mkdir(\"%s\", 0700) = 0 [mkdir(2)]", path);
	strcpy(cfg->run_dir, path);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(path, sizeof(path), "%s/%.6s", cfg->run_dir, parts[i]);
		/* upper/ is the merged root's own directory: 0755, whatever our umask. */
		if (make_dir(path, 0755) < 0)
			return -1;
		if (chmod(path, 0755) < 0) {
			fprintf(stderr, "%s: chmod %s: %m\n", PROG, path);
			return -1;
		}
		narrate("mkdir(\"%s\", 0755) = 0 [mkdir(2)]", path);
	}
	snprintf(cfg->rootfs, sizeof(cfg->rootfs), "%s/merged", cfg->run_dir);
	n = snprintf(cfg->overlay_data, sizeof(cfg->overlay_data),
		     "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", cfg->lowerdir,
		     cfg->run_dir, cfg->run_dir);
	if (n >= (int)sizeof(cfg->overlay_data)) {
		fprintf(stderr, "%s: too many layers for one page of mount options\n", PROG);
		return -1;
	}
	return 0;
}

/*
 * The overlay went with the container's mount namespace; its files go now.
 * --keep keeps them only if the container ran: a refusal leaves nothing.
 */
static void remove_run_dir(const struct config *cfg, int ran)
{
	if (!cfg->run_dir[0])
		return;
	if (cfg->keep && ran) {
		fprintf(stderr, "%s: kept the writable layer: %s/upper\n", PROG, cfg->run_dir);
		return;
	}
	remove_tree(cfg->run_dir);
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

/* The command's own exit status, or 128+N if signal N killed it. */
static int wait_for_child(pid_t pid)
{
	int status, sig;

	if (waitpid(pid, &status, 0) < 0) {
		fprintf(stderr, "%s: waitpid: %m\n", PROG);
		return EXIT_TOOL;
	}
	sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	narrate("waitpid(%d) = %d, status 0x%04x: %s %d [waitpid(2)]", pid, pid, status,
		sig ? "killed by signal" : "exited with", sig ? sig : WEXITSTATUS(status));
	return sig ? 128 + sig : WEXITSTATUS(status);
}

/* ---- the network: rtnetlink(7) messages we build ourselves, as ip(8) does ---- */

/* One request: netlink header, family header (ifinfomsg, ...), attributes. */
struct nl_request {
	union {
		struct nlmsghdr hdr;
		char buf[512];
	};
};

static void *nl_start(struct nl_request *req, unsigned short type, unsigned short flags,
		      size_t family_len)
{
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(family_len);
	req->hdr.nlmsg_type = type;
	req->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&req->hdr);
}

/* Append an attribute: type, length, value. A nest's value is the ones after it. */
static struct rtattr *nl_add(struct nl_request *req, unsigned short type, const void *data,
			     size_t len)
{
	struct rtattr *rta = (struct rtattr *)(req->buf + NLMSG_ALIGN(req->hdr.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len) /* a nest has no value: memcpy(3) wants a non-NULL source */
		memcpy(RTA_DATA(rta), data, len);
	req->hdr.nlmsg_len = NLMSG_ALIGN(req->hdr.nlmsg_len) + RTA_SPACE(len);
	return rta;
}

static void nl_add_u32(struct nl_request *req, unsigned short type, uint32_t v)
{
	nl_add(req, type, &v, sizeof(v));
}

static void nl_end_nest(struct nl_request *req, struct rtattr *nest)
{
	nest->rta_len = req->buf + req->hdr.nlmsg_len - (char *)nest;
}

/* Send; the kernel acknowledges (NLM_F_ACK) with NLMSG_ERROR: 0 or -errno. */
static int nl_talk(int fd, struct nl_request *req, const char *what)
{
	struct {
		struct nlmsghdr hdr;
		struct nlmsgerr err;
	} ack = {0};
	ssize_t n = send(fd, req->buf, req->hdr.nlmsg_len, 0);

	while (n >= 0 && (n = recv(fd, &ack, sizeof(ack), MSG_TRUNC)) >= 0 &&
	       ack.hdr.nlmsg_type != NLMSG_ERROR)
		;
	if (n < 0 || ack.err.error) {
		errno = n < 0 ? errno : -ack.err.error;
		fprintf(stderr, "%s: rtnetlink %s: %m\n", PROG, what);
		return -1;
	}
	narrate("send(%s) = 0 [rtnetlink(7)]", what);
	return 0;
}

/* A socket to the routing side of the network namespace we are in. */
static int open_rtnetlink(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		fprintf(stderr, "%s: socket NETLINK_ROUTE: %m\n", PROG);
	else
		narrate("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = %d [netlink(7)]", fd);
	return fd;
}

/* RTM_NEWLINK NAME up: ip link set NAME up; with NLM_F_CREATE, ip link add. */
static void new_link(struct nl_request *req, const char *name, unsigned short flags)
{
	struct ifinfomsg *ifi = nl_start(req, RTM_NEWLINK, flags, sizeof(*ifi));

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	nl_add(req, IFLA_IFNAME, name, strlen(name) + 1);
}

/* A locally administered MAC (02:...) that spells the IPv4 address: 02:6d:a:b:c:d. */
static void add_mac(struct nl_request *req, uint32_t ip, char text[18])
{
	unsigned char mac[6] = {0x02, 0x6d, ip >> 24, ip >> 16, ip >> 8, ip};

	nl_add(req, IFLA_ADDRESS, mac, sizeof(mac));
	snprintf(text, 18, "02:6d:%02x:%02x:%02x:%02x", mac[2], mac[3], mac[4], mac[5]);
}

/* For messages: an address, kept in host byte order to count with, dotted. */
static const char *ip_str(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = {.s_addr = htonl(ip)};

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* RTM_NEWADDR: ip addr add IP/16 dev NAME. */
static int add_address(int fd, const char *name, uint32_t ip)
{
	struct nl_request req;
	struct ifaddrmsg *ifa = nl_start(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	char what[96], a[INET_ADDRSTRLEN];

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 16;
	ifa->ifa_index = if_nametoindex(name);
	nl_add_u32(&req, IFA_LOCAL, htonl(ip)); /* on the wire: network byte order */
	snprintf(what, sizeof(what), "RTM_NEWADDR %s/16 dev %s", ip_str(ip, a), name);
	return nl_talk(fd, &req, what);
}

/*
 * The shared bridge, made on first use with the gateway address. Its MAC
 * is set so that it stays: else a bridge takes the lowest of its ports'.
 */
static int ensure_bridge(int fd)
{
	struct nl_request req;
	struct rtattr *info;
	char what[128], m[18];

	if (if_nametoindex(BRIDGE))
		return 0;
	new_link(&req, BRIDGE, NLM_F_CREATE | NLM_F_EXCL);
	add_mac(&req, GATEWAY, m);
	info = nl_add(&req, IFLA_LINKINFO, NULL, 0); /* what to create */
	nl_add(&req, IFLA_INFO_KIND, "bridge", sizeof("bridge"));
	nl_end_nest(&req, info);
	snprintf(what, sizeof(what), "RTM_NEWLINK kind=bridge name=%s address=%s up", BRIDGE, m);
	if (nl_talk(fd, &req, what) < 0)
		return errno == EEXIST ? 0 : -1; /* EEXIST: a run beside us made it */
	if (add_address(fd, BRIDGE, GATEWAY) < 0) {
		nl_start(&req, RTM_DELLINK, 0, sizeof(struct ifinfomsg)); /* nothing half-made */
		nl_add(&req, IFLA_IFNAME, BRIDGE, sizeof(BRIDGE));
		nl_talk(fd, &req, "RTM_DELLINK");
		return -1;
	}
	return 0;
}

/* The lease of our address, IPAM_DIR/ADDRESS, and its veth's name. */
static void lease_names(uint32_t ip, char path[PATH_MAX], char veth[IFNAMSIZ])
{
	char a[INET_ADDRSTRLEN];

	snprintf(path, PATH_MAX, "%s/%s", IPAM_DIR, ip_str(ip, a));
	snprintf(veth, IFNAMSIZ, "mdk%08x", ip);
}

/*
 * The lowest free address after the gateway. Its lease is a file made with
 * O_CREAT|O_EXCL and locked with flock(2) while we live: the kernel drops a
 * dead process's locks, so a lease we can lock is a dead run's and ours, if
 * still linked (we unlink ours before our lock goes). An address whose veth
 * is still there is not free: the kernel removes it a moment after exit.
 */
static int take_lease(struct config *cfg)
{
	char path[PATH_MAX], veth[IFNAMSIZ];
	struct stat st;
	int fd, made;

	for (uint32_t ip = GATEWAY + 1; ip < (SUBNET | 0xffff); ip++) {
		lease_names(ip, path, veth);
		if (if_nametoindex(veth))
			continue;
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		made = fd >= 0;
		if (!made && errno == EEXIST) /* someone's lease (O_CREAT: if it went meanwhile) */
			fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "%s: open %s: %m\n", PROG, path);
			return -1;
		}
		if (!flock(fd, LOCK_EX | LOCK_NB) && !fstat(fd, &st) && st.st_nlink) {
			narrate("open(\"%s\"%s) = %d, flock(%d, LOCK_EX|LOCK_NB) = 0: %s [flock(2)]", path,
				made ? ", O_CREAT|O_EXCL" : "", fd, fd, made ? "ours" : "its owner is gone");
			cfg->ip = ip; /* from here on, release_lease removes it */
			return 0; /* fd stays open: the lock lasts as long as we do */
		}
		close(fd);
	}
	fprintf(stderr, "%s: no free address left on %s\n", PROG, BRIDGE);
	return -1;
}

/* The parent, before clone: the bridge and a lease. */
static int prepare_network(struct config *cfg)
{
	int fd, ok;

	fd = open_rtnetlink();
	ok = fd >= 0 && ensure_bridge(fd) == 0 && make_dir(DEFAULT_STATE, 0700) == 0 &&
	     make_dir(DEFAULT_STATE "/ipam", 0755) == 0 && make_dir(IPAM_DIR, 0755) == 0 &&
	     take_lease(cfg) == 0;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * The parent, after clone: ip link add mdkXXXXXXXX master BRIDGE up type
 * veth peer name eth0 address MAC netns PID. One message makes both ends:
 * ours on the bridge, the peer straight in the child's network namespace.
 */
static int create_veth(const struct config *cfg, pid_t child)
{
	/* WORKSHOP step06-veth: one RTM_NEWLINK: a veth on the bridge, its peer eth0 in the child */
	/* the peer is not up yet: it cannot open before its other half exists */
	struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
	char path[PATH_MAX], name[IFNAMSIZ], what[192], m[18];
	struct rtattr *info, *data, *peer;
	struct nl_request req;
	int fd, ok;

	lease_names(cfg->ip, path, name);
	new_link(&req, name, NLM_F_CREATE | NLM_F_EXCL);
	nl_add_u32(&req, IFLA_MASTER, if_nametoindex(BRIDGE));
	info = nl_add(&req, IFLA_LINKINFO, NULL, 0);
	nl_add(&req, IFLA_INFO_KIND, "veth", sizeof("veth"));
	data = nl_add(&req, IFLA_INFO_DATA, NULL, 0);
	peer = nl_add(&req, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	nl_add(&req, IFLA_IFNAME, "eth0", sizeof("eth0"));
	add_mac(&req, cfg->ip, m);
	nl_add_u32(&req, IFLA_NET_NS_PID, child);
	nl_end_nest(&req, peer);
	nl_end_nest(&req, data);
	nl_end_nest(&req, info);
	snprintf(what, sizeof(what), "RTM_NEWLINK kind=veth name=%s master=%s up, peer name=eth0 "
		 "address=%s netns_pid=%d", name, BRIDGE, m, child);
	fd = open_rtnetlink();
	ok = fd >= 0 && nl_talk(fd, &req, what) == 0;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
	/* END WORKSHOP */
}

/*
 * The child, in its network namespace: lo up; on a bridge, eth0's address,
 * eth0 up, and the route: ip route add default via GATEWAY dev eth0.
 */
static int configure_network(const struct config *cfg)
{
	int fd = open_rtnetlink(), ok;
	struct nl_request req;
	struct rtmsg *rt;

	new_link(&req, "lo", 0);
	ok = fd >= 0 && nl_talk(fd, &req, "RTM_NEWLINK name=lo up") == 0;
	if (ok && !cfg->network_none) {
		/* WORKSHOP step06-eth0: eth0's address, eth0 up, the default route via the gateway */
		new_link(&req, "eth0", 0);
		ok = add_address(fd, "eth0", cfg->ip) == 0 &&
		     nl_talk(fd, &req, "RTM_NEWLINK name=eth0 up") == 0;
		rt = nl_start(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rt));
		rt->rtm_family = AF_INET; /* and rtm_dst_len 0: 0.0.0.0/0, everywhere */
		rt->rtm_table = RT_TABLE_MAIN;
		rt->rtm_type = RTN_UNICAST;
		nl_add_u32(&req, RTA_GATEWAY, htonl(GATEWAY));
		nl_add_u32(&req, RTA_OIF, if_nametoindex("eth0"));
		ok = ok && nl_talk(fd, &req, "RTM_NEWROUTE default via 10.111.0.1 dev eth0") == 0;
		/* END WORKSHOP */
	}
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* At exit the lease goes, before its lock; the veth goes with the container's namespace. */
static void release_lease(const struct config *cfg)
{
	char path[PATH_MAX], veth[IFNAMSIZ];

	lease_names(cfg->ip, path, veth);
	if (cfg->ip && unlink(path) < 0)
		fprintf(stderr, "%s: unlink %s: %m\n", PROG, path);
	else if (cfg->ip)
		narrate("unlink(\"%s\") = 0 [unlink(2)]", path);
}

int main(int argc, char **argv)
{
	struct config cfg = {0};
	int sv[2], failed, status = EXIT_TOOL, ran = 0;
	pid_t child;

	if (parse_args(argc, argv, &cfg) < 0)
		return EXIT_TOOL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "%s: socketpair: %m\n", PROG);
		return EXIT_TOOL;
	}
	narrate("socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC) = [%d, %d] [socketpair(2)]",
		sv[0], sv[1]);
	if (make_run_dir(&cfg) < 0 || (!cfg.network_none && prepare_network(&cfg) < 0)) {
		close(sv[1]);
		goto close_sync;
	}
	child = start_child(&cfg, sv);
	close(sv[1]);
	if (child < 0)
		goto close_sync;
	if (!cfg.network_none && create_veth(&cfg, child) < 0)
		goto kill_child;
	if (write_pid_file(cfg.pid_file, child) < 0 || forward_signals(child) < 0 ||
	    release_child(sv[0]) < 0)
		goto kill_child;
	ran = 1;
	/* The child execs (end-of-file here) or sends the exit code of its failure. */
	if (read(sv[0], &failed, sizeof(failed)) != sizeof(failed))
		failed = 0;
	status = wait_for_child(child);
	status = failed ? failed : status;
	goto close_sync;

kill_child:
	kill(child, SIGKILL);
	wait_for_child(child);
close_sync:
	release_lease(&cfg);
	close(sv[0]);
	remove_cgroups();
	remove_run_dir(&cfg, ran);
	return status;
}
