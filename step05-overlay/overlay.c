/*
 * step05-overlay: the root filesystem is made of image layers.
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
 * --import turns a directory or a tarball into a layer, refusing any entry
 * that would land outside it.
 *
 * Over a socketpair the parent releases the child once the pid file is
 * written, and the child reports a failed setup or execve(2); a successful
 * execve closes the child's end (close-on-exec): the parent reads EOF.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tar.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "overlay"

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

/* --layer may be given this often; overlayfs itself stops at 500 lowers. */
#define MAX_LAYERS 128

/* mount(2) passes at most one page of options to the filesystem. */
#define MOUNT_DATA_MAX 4096

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
	const char *layers[MAX_LAYERS]; /* --layer: the image's layers, bottom first */
	int n_layers;
	char lowerdir[MOUNT_DATA_MAX]; /* the layers' absolute paths, top first, ':' between */
	const char *state;       /* --state: where run directories go */
	int keep;                /* --keep: leave the writable layer behind after the run */
	char run_dir[PATH_MAX - 16]; /* this run's directory: upper/, work/, merged/ */
	char overlay_data[MOUNT_DATA_MAX]; /* the overlay's mount options */
	const char *import_src;  /* --import: a directory or tarball to make a layer of */
	const char *import_into; /* --into: the new layer's directory */
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
	fprintf(stderr, "%-6s %5d => %s\n", who, getpid(), line);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [OPTIONS] [--] CMD [ARG...]\n"
		"Run CMD in new UTS, PID and mount namespaces, inside a root filesystem\n"
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
		"      --import SRC      make a layer of SRC: a directory, a .tar or a .tar.gz\n"
		"      --into DIR        with --import: the new layer's directory (no CMD)\n"
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

/* ---- cgroups: limits on what the container may use ---- */

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

/*
 * Where the controllers are, on the standard layout (cgroups(7)): all in
 * the cgroup2 at /sys/fs/cgroup (statfs(2) tells by its magic number), or
 * each in a v1 hierarchy at /sys/fs/cgroup/NAME, a link to the mount named
 * for its controllers ("cpu,cpuacct"); a hybrid's unified/ has none.
 */
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

/* The base: --cgroup-parent, which realpath(3) keeps below each hierarchy's
 * root, else a minidock/ child of our own cgroup. Only checks, nothing made. */
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

/*
 * cgroup v2 hands a controller to a cgroup's children only through the
 * parent's cgroup.subtree_control, and only if that parent holds no
 * processes itself ("no internal processes", cgroups(7)). The root
 * cgroup's file is not ours to write: there they must be on already.
 */
static int enable_v2_controllers(const struct hierarchy *h)
{
	if (strcmp(h->base, h->mount) &&
	    write_file(h->base, "cgroup.subtree_control", "+cpu +memory +pids") < 0) {
		fprintf(stderr, "%s: cgroup v2: %s must hold no processes and get the controllers "
				"from its parent (no internal processes); pass a --cgroup-parent "
				"that does\n", PROG, h->base);
		return -1;
	}
	return 0;
}

/* The container's cgroup in every hierarchy, named for its owner, in minidock/
 * (or --cgroup-parent): minidock/ is shared by every run and may exist already. */
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

/* Is the owner named in "mdk-PID-START" gone (dead, or its PID reused)? */
static int owner_is_dead(const char *name)
{
	unsigned long long t;
	int pid, n = 0;

	if (sscanf(name, "mdk-%d-%llu%n", &pid, &t, &n) != 2 || name[n] || pid <= 0)
		return 0;
	return start_time(pid) != t;
}

/* ---- image layers: checking the options ---- */

/*
 * The overlay's options are one string: ':' separates the lower layers and
 * ',' the options, so a path holding either (or the '\' that escapes them)
 * would be misread. Refuse it rather than escape it.
 */
static int check_option_safe(const char *what, const char *path)
{
	if (strpbrk(path, ":,\\")) {
		fprintf(stderr, "%s: %s %s: ':', ',' and '\\' cannot appear in overlay options\n",
			PROG, what, path);
		return -1;
	}
	return 0;
}

/* --layer DIR: an existing directory, stacked on the layers before it. */
static int add_layer(struct config *cfg, const char *dir)
{
	if (cfg->n_layers == MAX_LAYERS) {
		fprintf(stderr, "%s: more than %d layers\n", PROG, MAX_LAYERS);
		return -1;
	}
	cfg->layers[cfg->n_layers++] = dir;
	return 0;
}

/* The real path of DIR, which must be a directory. */
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
	return check_option_safe(what, abs);
}

/*
 * Build lowerdir: overlayfs lists the lower layers top first, --layer
 * gives them bottom first (as docker image history does, oldest first).
 */
static int check_layers(struct config *cfg, int rootfs_given)
{
	char abs[PATH_MAX];
	size_t len = 0;

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
	for (int i = cfg->n_layers - 1; i >= 0; i--) {
		if (check_dir("layer", cfg->layers[i], abs) < 0)
			return -1;
		len += snprintf(cfg->lowerdir + len, sizeof(cfg->lowerdir) - len, "%s%s",
				len ? ":" : "", abs);
		if (len >= sizeof(cfg->lowerdir)) {
			fprintf(stderr, "%s: too many layers for one page of mount options\n",
				PROG);
			return -1;
		}
	}
	return 0;
}

/* --import SRC --into DIR: both, and no command. */
static int check_import(const struct config *cfg, int n_args)
{
	if (!cfg->import_src || !cfg->import_into) {
		fprintf(stderr, "%s: --import SRC and --into DIR go together\n", PROG);
		return -1;
	}
	if (n_args) {
		fprintf(stderr, "%s: --import runs no command\n", PROG);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_PID_FILE = 256, OPT_INIT, OPT_CHROOT, OPT_SKIP_RPRIVATE, OPT_HELP,
	       OPT_MEMORY, OPT_CPU_QUOTA, OPT_PIDS_LIMIT, OPT_CGROUP_PARENT };
	enum { OPT_LAYER = 512, OPT_STATE, OPT_KEEP, OPT_IMPORT, OPT_INTO };
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
		{"import", required_argument, NULL, OPT_IMPORT},
		{"into", required_argument, NULL, OPT_INTO},
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
		case OPT_IMPORT:
			cfg->import_src = optarg;
			break;
		case OPT_INTO:
			cfg->import_into = optarg;
			break;
		default:
			fprintf(stderr, "%s: %s '%s' (try '%s --help')\n", PROG,
				opt == ':' ? "missing value for option" : "unknown option",
				argv[optind - 1], PROG);
			return -1;
		}
	}
	if (cfg->import_src || cfg->import_into)
		return check_import(cfg, argc - optind);
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
	if (poll(&p, 1, 0) != 0) {
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

static int child_main(void *arg)
{
	const struct child *c = arg;
	const struct config *cfg = c->cfg;
	int sync_fd = c->sync_fd;

	who = "child";
	if (wait_for_parent(sync_fd, c->parent_fd) < 0)
		return EXIT_TOOL;
	if (join_cgroups() < 0 || set_hostname(cfg->hostname) < 0 || enter_rootfs(cfg) < 0 ||
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

	if (create_cgroups(cfg) < 0)
		return -1;
	/* Without CLONE_VM the child gets a copy of our memory, c included. */
	pid = clone(child_main, child_stack + sizeof(child_stack), flags, &c);
	if (pid < 0) {
		fprintf(stderr, "%s: clone: %m\n", PROG);
		return -1;
	}
	narrate("clone(CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS|SIGCHLD) = %d [clone(2)]", pid);
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
	/* ENOENT: another run cleaning the same stale directory got there first */
	if (remove(path) < 0 && errno != ENOENT) {
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
 * Is NAME, in the state directory BASE, the run directory of a tool that
 * died without removing it (SIGKILL)? Its name must be exactly
 * mdk-<pid>-<start time>, its owner dead (owner_is_dead, as for cgroups),
 * and it must hold nothing but upper/, work/ and merged/: a --keep run
 * adds a "keep" file, and anything else is not ours to delete.
 */
static int is_stale_run_dir(int base, const char *name)
{
	unsigned long long start;
	char expect[64];
	struct dirent *d;
	int pid, fd, ours = 1;
	DIR *dp;

	if (sscanf(name, "mdk-%d-%llu", &pid, &start) != 2)
		return 0;
	snprintf(expect, sizeof(expect), "mdk-%d-%llu", pid, start);
	if (strcmp(name, expect) || !owner_is_dead(name))
		return 0;
	fd = openat(base, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dp = fd < 0 ? NULL : fdopendir(fd);
	if (!dp) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (ours && (d = readdir(dp)))
		ours = !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
		       !strcmp(d->d_name, "upper") || !strcmp(d->d_name, "work") ||
		       !strcmp(d->d_name, "merged");
	closedir(dp);
	return ours;
}

/*
 * A tool killed by SIGKILL takes its container with it (PR_SET_PDEATHSIG),
 * and the overlay goes with the container's mount namespace, but the run
 * directory stays: the next run removes it. One readdir(3) of BASE.
 */
static void remove_stale_run_dirs(const char *base)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dp = opendir(base);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (!is_stale_run_dir(dirfd(dp), d->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", base, d->d_name) < (int)sizeof(path))
			remove_tree(path);
	}
	closedir(dp);
}

/* --keep: a mark that the directory is to stay, even if this run is killed. */
static int mark_kept(const char *run_dir)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keep", run_dir);
	f = fopen(path, "wex");
	if (!f || fputs("--keep: remove this directory yourself\n", f) < 0 || fclose(f)) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
		return -1;
	}
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
	remove_stale_run_dirs(base);
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
	if (cfg->keep && mark_kept(cfg->run_dir) < 0)
		return -1;
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

/* ---- image import: a directory or a tarball becomes a layer ---- */

/*
 * One entry of the tree being imported, from a tarball or a directory.
 * Its type is tar's own letter (tar.h): REGTYPE, LNKTYPE, SYMTYPE, DIRTYPE
 * or FIFOTYPE; device nodes never get this far.
 */
struct entry {
	char type;
	char path[PATH_MAX]; /* cleaned: relative to the layer, no "." or ".." */
	char link[PATH_MAX]; /* SYMTYPE: the target as stored; LNKTYPE: a cleaned path */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	time_t mtime;
	long long size; /* REGTYPE: this many bytes of content follow on data_fd */
	int data_fd;
};

static int have_openat2 = 1; /* cleared when the kernel says ENOSYS */

/*
 * Make NAME relative to the layer: drop empty and "." parts. A name that
 * could land outside the layer (absolute, or with a ".." part) gets the
 * reason it is refused; the layer's root itself cleans to "".
 */
static const char *clean_path(const char *name, char out[PATH_MAX])
{
	size_t len = 0, n;

	if (name[0] == '/')
		return "an absolute path";
	out[0] = 0;
	while (*name) {
		n = strcspn(name, "/");
		if (n == 2 && !strncmp(name, "..", 2))
			return "\"..\" leads out of the layer";
		if (n && !(n == 1 && name[0] == '.')) {
			if (len + n + 2 > PATH_MAX)
				return "name too long";
			if (len)
				out[len++] = '/';
			memcpy(out + len, name, n);
			len += n;
			out[len] = 0;
		}
		name += n;
		name += strspn(name, "/");
	}
	return NULL;
}

/*
 * The portable way: one name at a time, each opened relative to the one
 * before with O_NOFOLLOW (open(2)), so a symlink stops the walk. Missing
 * directories are created on the way, as tar does.
 */
static int walk_beneath(int root, const char *dir)
{
	char part[NAME_MAX + 1];
	int fd = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), next;
	size_t n;

	while (fd >= 0 && *dir) {
		n = strcspn(dir, "/");
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(part, dir, n);
		part[n] = 0;
		dir += n + (dir[n] == '/');
		if (mkdirat(fd, part, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

/*
 * Open directory DIR beneath ROOT without following any symlink: an
 * archive could otherwise plant "lib -> /etc" and then write "lib/passwd".
 * openat2(2) with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS has the kernel check
 * every step in one call; without it (Linux < 5.6), or when a directory on
 * the way is missing, walk_beneath does the same by hand.
 */
static int open_beneath(int root, const char *dir)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = -1;

	if (have_openat2) {
		fd = syscall(SYS_openat2, root, dir[0] ? dir : ".", &how, sizeof(how));
		if (fd < 0 && errno == ENOSYS)
			have_openat2 = 0;
	}
	if (fd < 0 && (errno == ENOSYS || errno == ENOENT))
		fd = walk_beneath(root, dir);
	return fd;
}

/* The directory that will hold E's path, and the last name in that path. */
static int open_parent(int root, const char *path, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	*name = slash ? slash + 1 : path;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0, path);
	fd = open_beneath(root, dir);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		fprintf(stderr, "%s: import: refusing \"%s\": \"%s\" is %s\n", PROG, path, dir,
			"a symlink or not a directory");
	else if (fd < 0)
		fprintf(stderr, "%s: import: open \"%s\" in the new layer: %m\n", PROG, dir);
	return fd;
}

/* Owner, then mode (chown(2) clears set-user-ID bits), then times. */
static int set_attributes(int fd, const struct entry *e)
{
	struct timespec times[2] = {{.tv_sec = e->mtime}, {.tv_sec = e->mtime}};

	if (fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode & 07777) < 0 ||
	    futimens(fd, times) < 0) {
		fprintf(stderr, "%s: import: set owner, mode, time of \"%s\": %m\n", PROG,
			e->path[0] ? e->path : ".");
		return -1;
	}
	return 0;
}

/* Copy exactly SIZE bytes from IN to OUT. */
static int copy_data(int in, int out, long long size, const char *path)
{
	char buf[65536];
	ssize_t n;

	while (size > 0) {
		n = read(in, buf, size < (long long)sizeof(buf) ? (size_t)size : sizeof(buf));
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			fprintf(stderr, "%s: import: read the content of \"%s\": %s\n", PROG, path,
				n == 0 ? "unexpected end of data" : strerror(errno));
			return -1;
		}
		if (write(out, buf, n) != n) {
			fprintf(stderr, "%s: import: write \"%s\": %m\n", PROG, path);
			return -1;
		}
		size -= n;
	}
	return 0;
}

/*
 * Create NAME in PARENT as E says, never following a symlink at NAME:
 * O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat(2), mkfifoat(3), symlinkat(2) and
 * linkat(2) without AT_SYMLINK_FOLLOW all act on the name itself.
 * A later entry replaces an earlier one of the same name, as in tar.
 * Returns an fd to set attributes on, -2 when there is none, -1 on error.
 */
static int create_at(int root, int parent, const char *name, const struct entry *e)
{
	const char *tname;
	int fd = -2, tparent;

	switch (e->type) {
	case DIRTYPE:
		if (mkdirat(parent, name, 0700) < 0 && errno != EEXIST)
			return -1;
		return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	case REGTYPE:
		fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0 && copy_data(e->data_fd, fd, e->size, e->path) < 0) {
			close(fd);
			errno = 0; /* copy_data said what failed */
			return -1;
		}
		return fd;
	case FIFOTYPE:
		if (mkfifoat(parent, name, 0600) < 0)
			return -1;
		return openat(parent, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	case SYMTYPE:
		if (symlinkat(e->link, parent, name) < 0 ||
		    fchownat(parent, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;
		return -2;
	default: /* LNKTYPE: its target is an earlier entry, beneath the layer too */
		tparent = open_parent(root, e->link, &tname);
		if (tparent < 0) {
			errno = 0;
			return -1;
		}
		if (linkat(tparent, tname, parent, name, 0) < 0)
			fd = -1;
		close(tparent);
		return fd;
	}
}

/* The call that creates each type, and its man page, for the narration. */
static const char *create_call(char type, const char **manpage)
{
	switch (type) {
	case DIRTYPE:
		*manpage = "mkdirat(2)";
		return "mkdirat";
	case REGTYPE:
		*manpage = "open(2)";
		return "openat(O_CREAT|O_EXCL|O_NOFOLLOW)";
	case FIFOTYPE:
		*manpage = "mkfifoat(3)";
		return "mkfifoat";
	case SYMTYPE:
		*manpage = "symlinkat(2)";
		return "symlinkat";
	default:
		*manpage = "linkat(2)";
		return "linkat";
	}
}

/* Put entry E into the layer whose root directory is ROOT. */
static int extract_entry(int root, const struct entry *e)
{
	const char *name, *call, *manpage;
	int parent, fd;

	call = create_call(e->type, &manpage);
	if (!e->path[0]) /* the layer's root: only its attributes */
		return e->type == DIRTYPE ? set_attributes(root, e) : 0;
	parent = open_parent(root, e->path, &name);
	if (parent < 0)
		return -1;
	fd = create_at(root, parent, name, e);
	if (fd == -1 && errno == EEXIST && e->type != DIRTYPE) {
		if (unlinkat(parent, name, 0) == 0)
			fd = create_at(root, parent, name, e);
	}
	close(parent);
	if (fd == -1) {
		if (errno)
			fprintf(stderr, "%s: import: %s \"%s\": %m\n", PROG, call, e->path);
		return -1;
	}
	narrate("%s(\"%s\") = 0 [%s]", call, e->path, manpage);
	if (fd < 0)
		return 0;
	if (set_attributes(fd, e) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Refuse what a layer must not hold, saying why. */
static int refuse(const char *path, const char *why)
{
	fprintf(stderr, "%s: import: refusing \"%s\": %s\n", PROG, path, why);
	return -1;
}

/* Fill E's names from an entry's NAME and LINK, refusing escapes. */
static int set_entry_names(struct entry *e, const char *name, const char *link)
{
	const char *why = clean_path(name, e->path);

	if (why)
		return refuse(name, why);
	if (e->type == LNKTYPE) {
		why = clean_path(link, e->link);
		if (why) {
			fprintf(stderr, "%s: import: refusing hard link \"%s\" -> \"%s\": %s\n",
				PROG, name, link, why);
			return -1;
		}
		if (!e->link[0])
			return refuse(name, "a hard link to the layer's root");
	} else if (e->type == SYMTYPE) {
		/* stored as is, absolute ones too: it is resolved in the container */
		snprintf(e->link, sizeof(e->link), "%s", link);
	}
	if (!e->path[0] && e->type != DIRTYPE)
		return refuse(name, "the layer's root must be a directory");
	return 0;
}

/* -- the tar format (POSIX ustar, pax extended headers, GNU long names) -- */

#define TAR_BLOCK 512
#define PAX_MAX (64 * 1024)

/* Extension entries: each describes the entry that follows it. */
enum { GNU_LONGNAME = 'L', GNU_LONGLINK = 'K', PAX_NEXT = 'x', PAX_GLOBAL = 'g' };

/* What extension entries said about the next entry. */
struct tar_ext {
	char path[PATH_MAX];
	char link[PATH_MAX];
	long long size; /* -1: not given */
};

/* Read N bytes, fewer only at end of file. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

/* Read and drop N bytes: the input may be a pipe, which cannot seek. */
static int skip_data(int fd, long long n)
{
	char buf[TAR_BLOCK * 16];
	ssize_t r;

	while (n > 0) {
		r = read_full(fd, buf, n < (long long)sizeof(buf) ? (size_t)n : sizeof(buf));
		if (r <= 0) {
			fprintf(stderr, "%s: import: truncated archive\n", PROG);
			return -1;
		}
		n -= r;
	}
	return 0;
}

/* Content is padded with zeros to whole blocks. */
static long long tar_padding(long long size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}

/*
 * A numeric field: octal digits, ended by a space or NUL; or, when the
 * first byte is 0x80, a big-endian binary number in the remaining bytes
 * (GNU's base-256, for values octal cannot hold). 0xff would be negative.
 */
static int tar_number(const unsigned char *field, size_t len, long long *value)
{
	size_t i = 0;

	*value = 0;
	if (field[0] & 0x80) {
		if (field[0] != 0x80)
			return -1;
		for (i = 1; i < len; i++) {
			if (*value > LLONG_MAX / 256)
				return -1;
			*value = *value * 256 + field[i];
		}
		return 0;
	}
	while (i < len && field[i] == ' ')
		i++;
	for (; i < len && field[i] >= '0' && field[i] <= '7'; i++)
		*value = *value * 8 + (field[i] - '0');
	return i < len && field[i] != ' ' && field[i] != 0 ? -1 : 0;
}

/* The checksum counts the header's bytes with its own field as spaces. */
static int tar_checksum_ok(const unsigned char *h)
{
	long long stored, sum = 0;

	for (int i = 0; i < TAR_BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	return tar_number(h + 148, 8, &stored) == 0 && stored == sum;
}

/* A fixed-size text field, which need not end with a NUL. */
static void tar_string(char *out, const unsigned char *field, size_t len)
{
	size_t n = strnlen((const char *)field, len);

	memcpy(out, field, n);
	out[n] = 0;
}

/* The content of an extension entry: SIZE bytes and padding, as a string. */
static int tar_read_text(int in, long long size, char *buf, size_t bufsize)
{
	if (size < 0 || size >= (long long)bufsize) {
		fprintf(stderr, "%s: import: extension entry too long (%lld bytes)\n", PROG, size);
		return -1;
	}
	if (read_full(in, buf, size) != size || skip_data(in, tar_padding(size)) < 0) {
		fprintf(stderr, "%s: import: truncated archive\n", PROG);
		return -1;
	}
	buf[size] = 0;
	return 0;
}

/* Copy a pax value, which is counted and so could hold a NUL. */
static int pax_value(char *out, const char *value, size_t len)
{
	if (len >= PATH_MAX || memchr(value, 0, len)) {
		fprintf(stderr, "%s: import: bad pax path value\n", PROG);
		return -1;
	}
	memcpy(out, value, len);
	out[len] = 0;
	return 0;
}

/*
 * pax records are "LENGTH KEY=VALUE\n", LENGTH counting the whole record.
 * We use path, linkpath and size; the rest (times, owners' names) can go.
 */
static int parse_pax(const char *buf, size_t len, struct tar_ext *ext)
{
	const char *p = buf, *end = buf + len, *key, *eq;
	char *after;
	long rec;

	while (p < end) {
		rec = strtol(p, &after, 10);
		if (after == p || *after != ' ' || rec <= after - p || rec > end - p ||
		    p[rec - 1] != '\n' || !(eq = memchr(after, '=', p + rec - after))) {
			fprintf(stderr, "%s: import: bad pax extended header\n", PROG);
			return -1;
		}
		key = after + 1;
		if (eq - key == 4 && !strncmp(key, "path", 4) &&
		    pax_value(ext->path, eq + 1, p + rec - 1 - (eq + 1)) < 0)
			return -1;
		if (eq - key == 8 && !strncmp(key, "linkpath", 8) &&
		    pax_value(ext->link, eq + 1, p + rec - 1 - (eq + 1)) < 0)
			return -1;
		if (eq - key == 4 && !strncmp(key, "size", 4)) {
			errno = 0;
			ext->size = strtoll(eq + 1, &after, 10);
			if (after == eq + 1 || *after != '\n' || errno || ext->size < 0) {
				fprintf(stderr, "%s: import: bad pax size\n", PROG);
				return -1;
			}
		}
		p += rec;
	}
	return 0;
}

/* The entry a ustar header describes, names and size from EXT if given. */
static int tar_entry(const unsigned char *h, const struct tar_ext *ext, struct entry *e)
{
	char name[PATH_MAX], link[PATH_MAX], prefix[156];
	long long mode, uid, gid, mtime;
	char type = h[156];

	tar_string(name, h, 100);
	tar_string(link, h + 157, 100);
	/* POSIX ustar (magic "ustar\0", version "00") splits long names in two. */
	if (!memcmp(h + 257, TMAGIC, TMAGLEN) && !memcmp(h + 263, TVERSION, TVERSLEN) &&
	    h[345]) {
		tar_string(prefix, h + 345, 155);
		snprintf(name, sizeof(name), "%s/%.100s", prefix, (const char *)h);
	}
	if (ext->path[0])
		strcpy(name, ext->path);
	if (ext->link[0])
		strcpy(link, ext->link);
	if (tar_number(h + 100, 8, &mode) < 0 || tar_number(h + 108, 8, &uid) < 0 ||
	    tar_number(h + 116, 8, &gid) < 0 || tar_number(h + 136, 12, &mtime) < 0)
		return refuse(name, "a bad number in its header");
	*e = (struct entry){.mode = mode, .uid = uid, .gid = gid, .mtime = mtime};
	switch (type) {
	case REGTYPE:
	case AREGTYPE:
	case CONTTYPE:
		e->type = REGTYPE;
		break;
	case LNKTYPE:
	case SYMTYPE:
	case DIRTYPE:
	case FIFOTYPE:
		e->type = type;
		break;
	case CHRTYPE:
		return refuse(name, "a device node (character device)");
	case BLKTYPE:
		return refuse(name, "a device node (block device)");
	default:
		fprintf(stderr, "%s: import: refusing \"%s\": unsupported entry type '%c'\n", PROG,
			name, type);
		return -1;
	}
	return set_entry_names(e, name, link);
}

/* Read a header block: 1 for an entry, 0 at the end-of-archive marker. */
static int tar_header(int in, unsigned char h[TAR_BLOCK], long long *size)
{
	static const unsigned char zeros[TAR_BLOCK];
	ssize_t n = read_full(in, h, TAR_BLOCK);

	if (n < 0) {
		fprintf(stderr, "%s: import: read: %m\n", PROG);
		return -1;
	}
	if (n < TAR_BLOCK) {
		fprintf(stderr, "%s: import: truncated archive (no end-of-archive marker)\n", PROG);
		return -1;
	}
	if (!memcmp(h, zeros, TAR_BLOCK))
		return 0;
	if (!tar_checksum_ok(h) || tar_number(h + 124, 12, size) < 0) {
		fprintf(stderr, "%s: import: not a tar archive (bad header)\n", PROG);
		return -1;
	}
	return 1;
}

/* Every entry of the tar stream IN into the layer ROOT. */
static int import_tar(int in, int root)
{
	static char pax[PAX_MAX];
	unsigned char h[TAR_BLOCK];
	struct tar_ext ext = {.size = -1};
	struct entry e;
	long long size, used;
	int r;

	while ((r = tar_header(in, h, &size)) > 0) {
		if (h[156] == GNU_LONGNAME || h[156] == GNU_LONGLINK) {
			if (tar_read_text(in, size, h[156] == GNU_LONGNAME ? ext.path : ext.link,
					  PATH_MAX) < 0)
				return -1;
			continue;
		}
		if (h[156] == PAX_NEXT || h[156] == PAX_GLOBAL) {
			if (tar_read_text(in, size, pax, sizeof(pax)) < 0 ||
			    (h[156] == PAX_NEXT && parse_pax(pax, size, &ext) < 0))
				return -1;
			continue;
		}
		if (ext.size >= 0)
			size = ext.size;
		if (tar_entry(h, &ext, &e) < 0)
			return -1;
		e.size = size;
		e.data_fd = in;
		if (extract_entry(root, &e) < 0)
			return -1;
		used = e.type == REGTYPE ? size : 0;
		if (skip_data(in, size - used + tar_padding(size)) < 0)
			return -1;
		ext = (struct tar_ext){.size = -1};
	}
	return r;
}

/* -- a directory -- */

/* The entry for NAME in the directory SRC, by lstat: links are not followed. */
static int dir_entry(int src, const char *name, const char *rel, struct entry *e)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", name);
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		fprintf(stderr, "%s: import: stat %s: %m\n", PROG, path);
		return -1;
	}
	*e = (struct entry){.mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid,
			    .mtime = st.st_mtime, .size = st.st_size, .data_fd = -1};
	snprintf(e->path, sizeof(e->path), "%s", path);
	if (S_ISDIR(st.st_mode))
		e->type = DIRTYPE;
	else if (S_ISREG(st.st_mode))
		e->type = REGTYPE;
	else if (S_ISFIFO(st.st_mode))
		e->type = FIFOTYPE;
	else if (S_ISLNK(st.st_mode))
		e->type = SYMTYPE;
	else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return refuse(path, "a device node");
	else
		return refuse(path, "a socket");
	if (e->type == SYMTYPE) {
		n = readlinkat(src, name, e->link, sizeof(e->link) - 1);
		if (n < 0) {
			fprintf(stderr, "%s: import: readlink %s: %m\n", PROG, path);
			return -1;
		}
		e->link[n] = 0;
	}
	return 0;
}

static int import_dir(int src, const char *rel, int root);

/* One name of a directory being imported; directories recurse. */
static int import_dir_entry(int src, const char *name, const char *rel, int root)
{
	struct entry e;
	int fd = -1, r;

	if (dir_entry(src, name, rel, &e) < 0)
		return -1;
	if (e.type == REGTYPE || e.type == DIRTYPE) {
		fd = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: import: open %s: %m\n", PROG, e.path);
			return -1;
		}
	}
	e.data_fd = fd;
	r = extract_entry(root, &e);
	if (r == 0 && e.type == DIRTYPE)
		r = import_dir(fd, e.path, root);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Everything beneath the open directory SRC, which is REL in the layer. */
static int import_dir(int src, const char *rel, int root)
{
	struct dirent *d;
	int fd = dup(src), r = 0;
	DIR *dp;

	dp = fd < 0 ? NULL : fdopendir(fd);
	if (!dp) {
		fprintf(stderr, "%s: import: open directory %s: %m\n", PROG, rel[0] ? rel : ".");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (r == 0 && (d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			r = import_dir_entry(src, d->d_name, rel, root);
	closedir(dp);
	return r;
}

/* -- putting it together -- */

/*
 * Inflating is a job for the host's own gzip -dc (see the chapter for why
 * we do not write inflate ourselves); we read the tar stream from a pipe.
 */
static pid_t start_gunzip(int src, int *out)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: import: pipe: %m\n", PROG);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: import: fork: %m\n", PROG);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(src, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
			_exit(EXIT_TOOL);
		execlp("gzip", "gzip", "-dc", (char *)NULL);
		fprintf(stderr, "%s: import: exec gzip: %m\n", PROG);
		_exit(EXIT_NOT_FOUND);
	}
	close(p[1]);
	narrate("fork() = %d, execvp(\"gzip\", [\"gzip\", \"-dc\"]) [fork(2), execve(2)]", pid);
	*out = p[0];
	return pid;
}

/*
 * A gzip that failed (bad data, bad checksum at the end) fails the import.
 * Tar pads its archives past the end marker: read that too, or gzip would
 * die of SIGPIPE before checking its checksum.
 */
static int finish_gunzip(pid_t pid, int fd, int ok)
{
	char buf[TAR_BLOCK * 16];
	ssize_t n;
	int status;

	while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "%s: import: read from gzip: %m\n", PROG);
			ok = 0;
		}
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "%s: import: waitpid gzip: %m\n", PROG);
			return -1;
		}
	}
	if (ok && WIFSIGNALED(status)) {
		fprintf(stderr, "%s: import: gzip -dc killed by signal %d\n", PROG,
			WTERMSIG(status));
		return -1;
	}
	if (ok && WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: import: gzip -dc failed (exit %d)\n", PROG,
			WEXITSTATUS(status));
		return -1;
	}
	return ok ? 0 : -1;
}

/* A directory, a tar file, or a gzip-compressed tar file (magic 1f 8b). */
static int import_source(const char *src, int root)
{
	unsigned char magic[2] = {0, 0};
	struct stat st;
	int fd, in, r;
	pid_t gz;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: import: %s: %m\n", PROG, src);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct entry e = {.type = DIRTYPE, .mode = st.st_mode, .uid = st.st_uid,
				  .gid = st.st_gid, .mtime = st.st_mtime};
		r = import_dir(fd, "", root) < 0 ? -1 : set_attributes(root, &e);
	} else if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: import: %s is neither a directory nor a file\n", PROG, src);
		r = -1;
	} else if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		gz = start_gunzip(fd, &in);
		r = gz < 0 ? -1 : finish_gunzip(gz, in, import_tar(in, root) == 0);
	} else {
		r = import_tar(fd, root);
	}
	close(fd);
	return r;
}

/*
 * DIR may be missing or an empty directory, which rename(2) replaces; and
 * not inside a directory SRC, which would then copy itself forever.
 */
static int check_into(const char *src, const char *into)
{
	char src_abs[PATH_MAX], parent[PATH_MAX], parent_abs[PATH_MAX];
	const char *slash = strrchr(into, '/');
	struct stat st;
	size_t len;
	DIR *dp;
	int entries = 0;

	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - into) + 1 : 1,
		 slash ? into : ".");
	if (stat(src, &st) == 0 && S_ISDIR(st.st_mode) && realpath(src, src_abs) &&
	    realpath(parent, parent_abs)) {
		len = strlen(src_abs);
		if (!strncmp(parent_abs, src_abs, len) &&
		    (parent_abs[len] == '/' || !parent_abs[len] || len == 1)) {
			fprintf(stderr, "%s: import: %s is inside %s\n", PROG, into, src);
			return -1;
		}
	}
	if (stat(into, &st) < 0)
		return errno == ENOENT ? 0 : refuse(into, strerror(errno));
	dp = S_ISDIR(st.st_mode) ? opendir(into) : NULL;
	while (dp && readdir(dp))
		entries++;
	if (dp)
		closedir(dp);
	if (!dp || entries > 2) {
		fprintf(stderr, "%s: import: %s exists and is not an empty directory\n", PROG,
			into);
		return -1;
	}
	return 0;
}

/*
 * --import SRC --into DIR: extract into a new temporary directory beside
 * DIR and rename(2) it into place only once every entry went in, so a
 * refused or broken source leaves nothing behind and a layer is never
 * half there.
 */
static int import_layer(const struct config *cfg)
{
	char into[PATH_MAX], tmp[PATH_MAX];
	size_t len;
	int root, r;

	len = snprintf(into, sizeof(into), "%s", cfg->import_into);
	while (len > 1 && into[len - 1] == '/')
		into[--len] = 0;
	if (check_into(cfg->import_src, into) < 0)
		return -1;
	if (snprintf(tmp, sizeof(tmp), "%s.mdk-import-XXXXXX", into) >= (int)sizeof(tmp) ||
	    !mkdtemp(tmp)) {
		fprintf(stderr, "%s: import: make a directory beside %s: %m\n", PROG, into);
		return -1;
	}
	narrate("mkdtemp(\"%s\") = 0 [mkdtemp(3)]", tmp);
	root = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fchmod(root, 0755) < 0) {
		fprintf(stderr, "%s: import: open %s: %m\n", PROG, tmp);
		r = -1;
	} else {
		narrate("openat2(layer, ..., RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) for each entry's "
			"directory [openat2(2)]");
		r = import_source(cfg->import_src, root);
	}
	if (root >= 0)
		close(root);
	if (r == 0 && rename(tmp, into) < 0) {
		fprintf(stderr, "%s: import: rename %s to %s: %m\n", PROG, tmp, into);
		r = -1;
	}
	if (r < 0) {
		remove_tree(tmp);
		return -1;
	}
	narrate("rename(\"%s\", \"%s\") = 0 [rename(2)]", tmp, into);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg = {0};
	int sv[2], failed, status = EXIT_TOOL, ran = 0;
	pid_t child;

	if (parse_args(argc, argv, &cfg) < 0)
		return EXIT_TOOL;
	if (cfg.import_src)
		return import_layer(&cfg) < 0 ? EXIT_TOOL : 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "%s: socketpair: %m\n", PROG);
		return EXIT_TOOL;
	}
	narrate("socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC) = [%d, %d] [socketpair(2)]",
		sv[0], sv[1]);
	if (make_run_dir(&cfg) < 0) {
		close(sv[1]);
		goto close_sync;
	}
	child = start_child(&cfg, sv);
	close(sv[1]);
	if (child < 0)
		goto close_sync;
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
	close(sv[0]);
	remove_cgroups();
	remove_run_dir(&cfg, ran);
	return status;
}
