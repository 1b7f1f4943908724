/*
 * cgroups.c: chapter 4's control groups (cgroups(7)): memory, CPU time,
 * processes and devices, on cgroup v1, v2 or a hybrid of both, found at
 * run time. Every container gets a cgroup of its own in every hierarchy
 * (as Docker does), named mdk-<our pid>-<our start time> beneath a
 * minidock/ child of our own cgroup (or --cgroup-parent), so a later run
 * can tell a dead owner's leftovers from live ones; an OCI engine's
 * cgroupsPath names it instead, still beneath minidock/. The child joins its
 * cgroups before it enters its root (v1: "0" into tasks; v2: clone3 with
 * CLONE_INTO_CGROUP creates it inside); the parent removes them after it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "minidock.h"

/* freezer: v1's pause (v2 has cgroup.freeze in every cgroup instead). */
enum { CG_CPU, CG_CPUACCT, CG_MEMORY, CG_PIDS, CG_DEVICES, CG_FREEZER, N_CONTROLLERS };
static const char *const controller_names[N_CONTROLLERS] = {"cpu",  "cpuacct", "memory",
							     "pids", "devices", "freezer"};

#define CGROUP_WAIT_MS 5000  /* the most we wait for a cgroup to empty */

/* One mounted hierarchy, and where the container goes in it. */
struct hierarchy {
	int v2;               /* 1: the unified cgroup2 hierarchy */
	unsigned controllers; /* bit i: controller_names[i] lives here */
	char mount[PATH_MAX]; /* its mount point */
	char root[PATH_MAX];  /* the cgroup mounted there (mountinfo's root) */
	char base[PATH_MAX];  /* where our containers go */
	char dir[PATH_MAX];   /* this container's cgroup */
	int own_base;         /* base is the default minidock/: ours to tidy */
	int made_dir;         /* we created dir */
};

/* The parent fills this in; the child gets a copy (clone without CLONE_VM). */
static struct {
	struct hierarchy h[N_CONTROLLERS];
	int n;            /* hierarchies in use; 0: no cgroup option given */
	int of[N_CONTROLLERS]; /* index in h of each controller, -1: not here */
	char sub[PATH_MAX]; /* dir beneath base: mdk-<our pid>-<our start time>, or cgroupsPath's */
	int v2_fd;        /* the v2 container cgroup, for CLONE_INTO_CGROUP */
	int in_cgroup;    /* clone3 put the child in it already */
	char own_v2[PATH_MAX];    /* v2: our cgroup before we left it for self_leaf */
	char self_leaf[PATH_MAX]; /* v2: own_v2/minidock-self-<pid>-<start>, "" if we stayed */
} cg; /* zero, in .bss: an initialiser would put all 100 KiB of it in .data */

static int has_controller(const char *list, const char *name)
{
	char copy[1024], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", list);
	for (char *w = strtok_r(copy, ", \n", &save); w; w = strtok_r(NULL, ", \n", &save))
		if (!strcmp(w, name))
			return 1;
	return 0;
}

/* A size as Docker takes it: a number with an optional b, k, m or g. */
int parse_size(const char *s, long long *out)
{
	static const char units[] = "bkmg";
	const char *u;
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	u = *end ? strchr(units, tolower((unsigned char)*end)) : units;
	if (end == s || errno || n <= 0 || !u || (*end && end[1])) {
		fprintf(stderr,
			"%s: --memory '%s': want a size above 0, like 32m (suffixes b, k, m, g)\n",
			PROG, s);
		return -1;
	}
	for (int shift = (int)(u - units) * 10; shift > 0; shift -= 10) {
		if (n > LLONG_MAX >> 10) {
			fprintf(stderr, "%s: --memory '%s': too large\n", PROG, s);
			return -1;
		}
		n <<= 10;
	}
	*out = n;
	return 0;
}

/* --cpus N.N: the CFS quota in microseconds per CPU_PERIOD_US. */
int parse_cpus(const char *s, long long *quota)
{
	char *end;
	double cpus;

	errno = 0;
	cpus = strtod(s, &end);
	/*
	 * The kernel takes no quota under 1 ms (sched-bwc docs). Decimal only:
	 * strtod(3) would read "0x10" as 16 and "1e1" as 10.
	 */
	if (end == s || *end || errno || s[strspn(s, "0123456789.")] ||
	    !(cpus >= 0.01 && cpus <= 1e6)) {
		fprintf(stderr, "%s: --cpus '%s': want a number of CPUs from 0.01, like 0.5\n",
			PROG, s);
		return -1;
	}
	*quota = (long long)(cpus * CPU_PERIOD_US + 0.5);
	return 0;
}

/* A whole number from min to max, for --pids-limit and --cpu-shares. */
int parse_count(const char *opt, const char *s, long long min, long long max,
		       long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (end == s || *end || errno || *out < min || *out > max) {
		fprintf(stderr, "%s: %s '%s': want a whole number from %lld to %lld\n", PROG, opt,
			s, min, max);
		return -1;
	}
	return 0;
}

/* --cgroup-parent is a path below each hierarchy's root: ".." would climb out. */
int check_cgroup_parent(const char *path)
{
	size_t len = strlen(path);

	if (!len || strstr(path, "/../") || !strncmp(path, "../", 3) ||
	    (len >= 2 && !strcmp(path + len - 2, "..")) || len > PATH_MAX / 2) {
		fprintf(stderr, "%s: --cgroup-parent '%s': want a path below the cgroup root, "
				"without '..'\n", PROG, path);
		return -1;
	}
	return 0;
}

/* 33554432 -> "32M": how the OOM report names the limit. */
static void format_size(long long n, char *buf, size_t len)
{
	static const char units[] = "KMG";
	int i = -1;

	while (i < 2 && n % 1024 == 0) {
		n /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%lldB", n);
	else
		snprintf(buf, len, "%lld%c", n, units[i]);
}

/* v2's cpu.weight (1..10000) from v1 shares (2..262144), as runc and crun map it. */
static long long shares_to_weight(long long shares)
{
	return 1 + (shares - 2) * 9999 / 262142;
}

/* The controllers an option needs: a missing one is an error, not a shrug. */
static unsigned required_controllers(const struct config *cfg)
{
	const struct resources *r = &cfg->linux.resources;

	return (r->memory ? 1u << CG_MEMORY : 0) | (r->pids_limit ? 1u << CG_PIDS : 0) |
	       (r->cpu_quota || r->cpu_shares ? 1u << CG_CPU : 0);
}

/* One write(2) into a cgroup file: how every cgroup setting is made. */
static int cg_write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	if (n < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	narrate("write(\"%s\", \"%s\") = %zd [cgroups(7)]", path, value, n);
	return close(fd);
}

static int set_file(const struct hierarchy *h, const char *file, const char *value)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", h->dir, file);
	if (cg_write_file(path, value) < 0) {
		fprintf(stderr, "%s: write '%s' to %s: %m\n", PROG, value, path);
		return -1;
	}
	return 0;
}

/* The value of "KEY N" in a flat-keyed cgroup file (memory.events, ...), or -1. */
static long long read_key(const struct hierarchy *h, const char *file, const char *key)
{
	char path[PATH_MAX + 64], buf[4096], *line, *save = NULL;
	size_t len = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", h->dir, file);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, len) && line[len] == ' ')
			return atoll(line + len + 1);
	return -1;
}

/*
 * Where the hierarchies are: statfs(2) on /sys/fs/cgroup tells a pure v2
 * machine (CGROUP2_SUPER_MAGIC) from v1 or hybrid ones; then each cgroup
 * mount in /proc/self/mountinfo names its controllers in its options
 * (cgroups(7)). A controller goes to cgroup2 only when no v1 hierarchy has
 * it and the v2 root lists it in cgroup.controllers.
 */
static int find_hierarchies(void)
{
	static int found; /* run.c asks first (the device policy), then the run */
	char line[4096], mnt[PATH_MAX], root[PATH_MAX], type[64], opts[1024];
	char v2mount[PATH_MAX] = "", v2root[PATH_MAX] = "", path[PATH_MAX + 32], list[1024];
	struct statfs sfs;
	int pure_v2;
	FILE *f;

	if (found)
		return 0;
	found = 1;
	cg.v2_fd = -1;
	if (statfs("/sys/fs/cgroup", &sfs) < 0) {
		fprintf(stderr, "%s: statfs /sys/fs/cgroup: %m\n", PROG);
		return -1;
	}
	pure_v2 = sfs.f_type == CGROUP2_SUPER_MAGIC;
	narrate("statfs(\"/sys/fs/cgroup\") = 0, f_type %#lx: %s [statfs(2)]",
		(unsigned long)sfs.f_type, pure_v2 ? "cgroup v2 only" : "cgroup v1 or hybrid");
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		fprintf(stderr, "%s: open /proc/self/mountinfo: %m\n", PROG);
		return -1;
	}
	for (int i = 0; i < N_CONTROLLERS; i++)
		cg.of[i] = -1;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep, " - %63s %*s %1023s", type, opts) != 2)
			continue;
		if (!strcmp(type, "cgroup2") && (!pure_v2 || !strcmp(mnt, "/sys/fs/cgroup"))) {
			snprintf(v2mount, sizeof(v2mount), "%s", mnt);
			snprintf(v2root, sizeof(v2root), "%s", root);
		}
		if (pure_v2 || strcmp(type, "cgroup"))
			continue;
		for (int i = 0; i < N_CONTROLLERS; i++) {
			if (cg.of[i] >= 0 || !has_controller(opts, controller_names[i]))
				continue;
			struct hierarchy *h = &cg.h[cg.n];
			/* cpu and cpuacct often share one mount: one hierarchy, then */
			for (int j = 0; j < cg.n; j++)
				if (!strcmp(cg.h[j].mount, mnt))
					h = &cg.h[j];
			if (h == &cg.h[cg.n]) {
				snprintf(h->mount, sizeof(h->mount), "%s", mnt);
				snprintf(h->root, sizeof(h->root), "%s", root);
				cg.n++;
			}
			h->controllers |= 1u << i;
			cg.of[i] = (int)(h - cg.h);
		}
	}
	fclose(f);
	if (!v2mount[0])
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", v2mount);
	if (read_small_file(path, list, sizeof(list)) < 0)
		return 0;
	for (int i = 0; i < N_CONTROLLERS; i++) {
		if (cg.of[i] >= 0 || !has_controller(list, controller_names[i]))
			continue;
		struct hierarchy *h = &cg.h[cg.n];
		for (int j = 0; j < cg.n; j++)
			if (cg.h[j].v2)
				h = &cg.h[j];
		if (h == &cg.h[cg.n]) {
			h->v2 = 1;
			snprintf(h->mount, sizeof(h->mount), "%s", v2mount);
			snprintf(h->root, sizeof(h->root), "%s", v2root);
			cg.n++;
		}
		h->controllers |= 1u << i;
		cg.of[i] = (int)(h - cg.h);
	}
	return 0;
}

/* Our own cgroup in h, from the text of /proc/self/cgroup: "ID:CONTROLLERS:PATH" lines. */
static int own_cgroup(const struct hierarchy *h, const char *text, char *out, size_t len)
{
	char line[PATH_MAX + 256], *path, *ctrls;
	int found = 0;

	for (size_t n; !found && *text; text += n + (text[n] == '\n')) {
		n = strcspn(text, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, text);
		ctrls = strchr(line, ':');
		path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = 0;
		*ctrls++ = 0; /* "ID:CONTROLLERS:PATH": cut after the ID too */
		for (int i = 0; !found && i < N_CONTROLLERS; i++)
			found = h->v2 ? !strcmp(line, "0") && !*ctrls
				      : (h->controllers & 1u << i) &&
						has_controller(ctrls, controller_names[i]);
		/* A mount of a sub-cgroup (in a container) shows it as its "/". */
		if (found && strcmp(h->root, "/") && !strncmp(path, h->root, strlen(h->root)))
			path += strlen(h->root);
		if (found)
			snprintf(out, len, "%s%s", h->mount, !strcmp(path, "/") ? "" : path);
	}
	if (!found) {
		fprintf(stderr, "%s: our cgroup in %s is not in /proc/self/cgroup\n", PROG,
			h->mount);
		return -1;
	}
	return 0;
}

/*
 * The base: --cgroup-parent (relative to each hierarchy's root) when
 * given, else a minidock/ child of our own cgroup. Only checks, so a
 * refusal leaves nothing behind.
 */
static int choose_bases(const struct config *cfg)
{
	char own[PATH_MAX], text[16384];
	struct stat st;

	if (!cfg->linux.cgroups_path && read_small_file("/proc/self/cgroup", text, sizeof(text)) < 0) {
		fprintf(stderr, "%s: read /proc/self/cgroup: %m\n", PROG);
		return -1;
	}

	for (int i = 0; i < cg.n; i++) {
		struct hierarchy *h = &cg.h[i];
		if (cfg->linux.cgroups_path) {
			const char *p = cfg->linux.cgroups_path;
			size_t len;
			snprintf(h->base, sizeof(h->base), "%s/%s", h->mount, p + strspn(p, "/"));
			/* "/" and "x/" name the root and x: no trailing slash, so the
			 * root is recognised as the root */
			len = strlen(h->base);
			while (len > strlen(h->mount) && h->base[len - 1] == '/')
				h->base[--len] = 0;
			if (stat(h->base, &st) < 0 || !S_ISDIR(st.st_mode)) {
				fprintf(stderr, "%s: --cgroup-parent %s: no such cgroup (%s)\n",
					PROG, p, h->base);
				return -1;
			}
			continue;
		}
		/* run -d's monitor: where its caller was before it left for its leaf */
		if (h->v2 && cg.own_v2[0])
			snprintf(own, sizeof(own), "%s", cg.own_v2);
		else if (own_cgroup(h, text, own, sizeof(own)) < 0)
			return -1;
		if (snprintf(h->base, sizeof(h->base), "%s/minidock", own) >=
		    (int)sizeof(h->base)) {
			fprintf(stderr, "%s: cgroup path too long: %s\n", PROG, own);
			return -1;
		}
	}
	return 0;
}

static int check_controllers(const struct config *cfg)
{
	unsigned need = required_controllers(cfg);

	for (int i = 0; i < N_CONTROLLERS; i++) {
		if ((need & 1u << i) && cg.of[i] < 0) {
			fprintf(stderr,
				"%s: the %s controller is not available on this machine (neither "
				"a cgroup v1 mount nor in cgroup v2's cgroup.controllers)\n",
				PROG, controller_names[i]);
			return -1;
		}
	}
	for (int i = 0; i < N_CONTROLLERS; i++)
		if (cg.of[i] >= 0)
			narrate("%s controller: cgroup v%d, mounted at %s [cgroups(7)]",
				controller_names[i], cg.h[cg.of[i]].v2 ? 2 : 1,
				cg.h[cg.of[i]].mount);
	return 0;
}

#define SELF_PREFIX "minidock-self-" /* the leaf we move ourselves into (v2) */

/* Is the owner named in "PREFIX<pid>-<start>" gone (dead, or its PID reused)? */
static int owner_is_dead(const char *name, const char *prefix)
{
	unsigned long long t;
	size_t len = strlen(prefix);
	int pid, n = 0;

	if (strncmp(name, prefix, len) || sscanf(name + len, "%d-%llu%n", &pid, &t, &n) != 2 ||
	    name[len + n] || pid <= 0)
		return 0;
	return !process_is(pid, (unsigned long long)t);
}

/*
 * A tool killed by SIGKILL could not remove its cgroups: the next run
 * does, those in dir named PREFIX<pid>-<start> whose owner is dead and
 * that are empty (rmdir(2) refuses a cgroup that still has processes or
 * children: EBUSY).
 */
static void remove_stale_in(const char *dir, const char *prefix)
{
	char path[PATH_MAX * 2];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_type != DT_DIR || !owner_is_dead(d->d_name, prefix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (rmdir(path) == 0)
			narrate("rmdir(\"%s\") = 0: its owner is dead [rmdir(2)]", path);
	}
	closedir(dp);
}

static void remove_stale_cgroups(const struct hierarchy *h)
{
	remove_stale_in(h->base, "mdk-");
}

static int make_cgroup_dir(const char *path)
{
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST)
			return 0;
		fprintf(stderr, "%s: mkdir %s: %m\n", PROG, path);
		return -1;
	}
	narrate("mkdir(\"%s\") = 0 [mkdir(2)]", path);
	return 0;
}

/* "+cpu +memory" (sign '+') or "-cpu -memory": mask's controllers, for cgroup.subtree_control. */
static void controller_ops(unsigned mask, char sign, char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < N_CONTROLLERS; i++)
		if (mask & 1u << i)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%c%s", buf[0] ? " " : "",
				 sign, controller_names[i]);
}

/*
 * cgroup v2 hands a controller to a cgroup's children only through the
 * parent's cgroup.subtree_control, and only if the parent holds no
 * processes itself ("no internal processes", cgroups(7)). We never write
 * the root cgroup's files: there it must already be enabled.
 */
static int enable_v2_controllers(const struct hierarchy *h, const char *dir, unsigned need)
{
	char path[PATH_MAX + 32], have[1024], on[1024], procs[16], ops[64];
	int is_root = !strcmp(dir, h->mount);
	unsigned add = 0;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_small_file(path, have, sizeof(have)) < 0) {
		fprintf(stderr, "%s: read %s: %m\n", PROG, path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (read_small_file(path, on, sizeof(on)) < 0) {
		fprintf(stderr, "%s: read %s: %m\n", PROG, path);
		return -1;
	}
	for (int i = 0; i < N_CONTROLLERS; i++) {
		if (!(h->controllers & 1u << i) || has_controller(on, controller_names[i]))
			continue;
		if (has_controller(have, controller_names[i]) && !is_root) {
			add |= 1u << i;
		} else if (need & 1u << i) {
			fprintf(stderr,
				"%s: cgroup v2: %s cannot give the %s controller to its "
				"children: its parent does not delegate it; start minidock in "
				"a delegated cgroup (systemd-run --scope -p Delegate=yes "
				"minidock run ...) or pass --cgroup-parent\n",
				PROG, dir, controller_names[i]);
			return -1;
		}
	}
	if (!add)
		return 0;
	controller_ops(add, '+', ops, sizeof(ops));
	/* Check first: a cgroup with processes would take cpu and pids (threaded
	 * controllers) and then refuse memory, half changed. */
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_small_file(path, procs, sizeof(procs)) < 0) {
		fprintf(stderr, "%s: read %s: %m\n", PROG, path);
		return -1;
	}
	if (procs[0]) {
		fprintf(stderr, "%s: cgroup v2: %s holds processes, so it cannot enable "
				"controllers for children (no internal processes); pass a "
				"--cgroup-parent that holds none\n",
			PROG, dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (cg_write_file(path, ops) < 0) {
		fprintf(stderr, "%s: write '%s' to %s: %m\n", PROG, ops, path);
		return -1;
	}
	return 0;
}

/* Does the cgroup dir hold our process and no other? -1: cannot tell. */
static int holds_only_us(const char *dir)
{
	char path[PATH_MAX + 32], procs[64], us[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_small_file(path, procs, sizeof(procs)) < 0) {
		fprintf(stderr, "%s: read %s: %m\n", PROG, path);
		return -1;
	}
	snprintf(us, sizeof(us), "%d\n", getpid());
	return !strcmp(procs, us);
}

/*
 * The needed controllers dir's cgroup.subtree_control lacks; *can: those of
 * h's it could enable (its cgroup.controllers has them); *enabled: whether it
 * enables any already. -1 when a file cannot be read.
 */
static int missing_in(const struct hierarchy *h, const char *dir, unsigned need, unsigned *can,
		      int *enabled)
{
	char path[PATH_MAX + 32], on[1024], have[1024];
	unsigned missing = 0;

	*can = 0;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (read_small_file(path, on, sizeof(on)) < 0) {
		fprintf(stderr, "%s: read %s: %m\n", PROG, path);
		return -1;
	}
	*enabled = on[strspn(on, " \n")] != 0;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_small_file(path, have, sizeof(have)) < 0) {
		fprintf(stderr, "%s: read %s: %m\n", PROG, path);
		return -1;
	}
	for (int i = 0; i < N_CONTROLLERS; i++) {
		if (!(h->controllers & 1u << i) || has_controller(on, controller_names[i]))
			continue;
		if (need & 1u << i)
			missing |= 1u << i;
		if (has_controller(have, controller_names[i]))
			*can |= 1u << i;
	}
	return (int)missing;
}

/* From leaf back into own (cgroup.procs: "0" moves the writer), and the leaf goes. */
static int move_back(const char *own, const char *leaf)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", own);
	if (cg_write_file(path, "0") < 0) {
		fprintf(stderr, "%s: move back into %s: %m\n", PROG, own);
		return -1;
	}
	/* EBUSY: run -d's caller is still in it; a later run removes it */
	if (rmdir(leaf) == 0)
		narrate("rmdir(\"%s\") = 0 [rmdir(2)]", leaf);
	else if (errno != EBUSY)
		fprintf(stderr, "%s: rmdir %s: %m\n", PROG, leaf);
	return 0;
}

/*
 * v2, where a laptop's shell runs: minidock/ gets a controller only if
 * our own cgroup enables it in cgroup.subtree_control, which the kernel
 * refuses while our own cgroup holds processes ("no internal processes",
 * cgroups(7)), and it holds us. When it holds nobody else (systemd-run
 * --scope -p Delegate=yes minidock ...), we move ourselves - never another
 * process - into the leaf minidock-self-<pid>-<start> beside minidock/
 * (inside, it would keep minidock/ from ever being removed), then enable
 * them. return_from() undoes both once no container needs them.
 */
static int leave_own_cgroup(const struct hierarchy *h, unsigned need, unsigned long long start)
{
	char own[PATH_MAX], path[PATH_MAX + 32], ops[64];
	unsigned can;
	int missing, enabled, alone;

	snprintf(own, sizeof(own), "%.*s", (int)(strrchr(h->base, '/') - h->base), h->base);
	if (!strcmp(own, h->mount))
		return 0; /* the root is exempt from the rule */
	if ((missing = missing_in(h, own, need, &can, &enabled)) <= 0)
		return missing;
	for (int i = 0; i < N_CONTROLLERS; i++) {
		if ((missing & ~can) & 1u << i) {
			fprintf(stderr, "%s: cgroup v2: %s is not given the %s controller by its "
					"parent; start minidock in a delegated cgroup (systemd-run "
					"--scope -p Delegate=yes minidock run ...) or pass "
					"--cgroup-parent\n", PROG, own, controller_names[i]);
			return -1;
		}
	}
	if ((alone = holds_only_us(own)) <= 0) {
		if (alone == 0)
			fprintf(stderr, "%s: cgroup v2: %s holds other processes besides minidock, "
					"so it cannot hand controllers to minidock/ (no internal "
					"processes); start minidock alone in a delegated cgroup "
					"(systemd-run --scope -p Delegate=yes minidock run ...) or "
					"pass --cgroup-parent\n", PROG, own);
		return -1;
	}
	/* we put its subtree_control back to empty afterwards: it must be so now */
	if (enabled) {
		fprintf(stderr, "%s: cgroup v2: %s holds minidock but hands some controllers to "
				"its children already; pass --cgroup-parent\n", PROG, own);
		return -1;
	}
	remove_stale_in(own, SELF_PREFIX);
	if (snprintf(cg.self_leaf, sizeof(cg.self_leaf), "%s/" SELF_PREFIX "%d-%llu", own,
		     getpid(), start) >= (int)sizeof(cg.self_leaf)) {
		fprintf(stderr, "%s: cgroup path too long: %s\n", PROG, own);
		cg.self_leaf[0] = 0;
		return -1;
	}
	if (mkdir(cg.self_leaf, 0755) < 0) {
		fprintf(stderr, "%s: mkdir %s: %m\n", PROG, cg.self_leaf);
		cg.self_leaf[0] = 0;
		return -1;
	}
	narrate("mkdir(\"%s\") = 0 [mkdir(2)]", cg.self_leaf);
	snprintf(cg.own_v2, sizeof(cg.own_v2), "%s", own);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg.self_leaf);
	if (cg_write_file(path, "0") < 0) {
		fprintf(stderr, "%s: move ourselves into %s: %m\n", PROG, cg.self_leaf);
		if (rmdir(cg.self_leaf) < 0)
			fprintf(stderr, "%s: rmdir %s: %m\n", PROG, cg.self_leaf);
		cg.self_leaf[0] = 0;
		return -1;
	}
	controller_ops(can, '+', ops, sizeof(ops));
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", own);
	if (cg_write_file(path, ops) < 0) {
		fprintf(stderr, "%s: write '%s' to %s: %m\n", PROG, ops, path);
		if (move_back(own, cg.self_leaf) == 0)
			cg.self_leaf[0] = 0;
		return -1;
	}
	return 0;
}

/*
 * Once own/minidock/ is gone (EBUSY: a container still needs the
 * controllers, so they stay), own's subtree_control is emptied again, as
 * leave_own_cgroup found it, and we move back from leaf into own.
 */
static int return_from(const char *own, const char *leaf)
{
	char path[PATH_MAX + 32], on[1024], ops[2048] = "", *save = NULL;

	snprintf(path, sizeof(path), "%s/minidock", own);
	if (rmdir(path) == 0)
		narrate("rmdir(\"%s\") = 0 [rmdir(2)]", path);
	else if (errno != ENOENT)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", own);
	if (read_small_file(path, on, sizeof(on)) < 0) {
		fprintf(stderr, "%s: read %s: %m\n", PROG, path);
		return -1;
	}
	for (char *w = strtok_r(on, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		snprintf(ops + strlen(ops), sizeof(ops) - strlen(ops), "%s-%s", ops[0] ? " " : "", w);
	if (ops[0] && cg_write_file(path, ops) < 0) {
		fprintf(stderr, "%s: write '%s' to %s: %m\n", PROG, ops, path);
		return -1;
	}
	return move_back(own, leaf);
}

/* The run that moved itself (cgroups_remove, and run -d's caller): back, if it may. */
void cgroups_return(void)
{
	if (cg.self_leaf[0] && return_from(cg.own_v2, cg.self_leaf) == 0)
		cg.self_leaf[0] = 0;
}

/*
 * run -d's monitor, a new program since the start (monitor.c), knows its
 * cgroups from the state file only: if it is in a leaf minidock-self-*
 * beside the place's minidock/, that leaf is its caller's, and it returns.
 * Anyone else (rm, an OCI delete) removes the leaves of dead runs there.
 */
static void return_after_place(const struct cgroup_place *p)
{
	char own[PATH_MAX], leaf[PATH_MAX], text[16384], *slash;

	snprintf(own, sizeof(own), "%s", p->dir);
	for (int n = 0; n <= p->parents_ours && (slash = strrchr(own, '/')); n++)
		*slash = 0;
	if (find_hierarchies() < 0 || read_small_file("/proc/self/cgroup", text, sizeof(text)) < 0)
		return;
	for (int i = 0; i < cg.n; i++) {
		if (!cg.h[i].v2 || own_cgroup(&cg.h[i], text, leaf, sizeof(leaf)) < 0)
			continue;
		slash = strrchr(leaf, '/');
		if (slash && !strncmp(slash + 1, SELF_PREFIX, strlen(SELF_PREFIX)) &&
		    (size_t)(slash - leaf) == strlen(own) && !strncmp(leaf, own, strlen(own)))
			return_from(own, leaf);
		else
			remove_stale_in(own, SELF_PREFIX);
	}
}

/* The limits, in the files each version names them (cgroups(7)). */
static int set_limits(const struct config *cfg)
{
	char v[64];
	int m = cg.of[CG_MEMORY], c = cg.of[CG_CPU], p = cg.of[CG_PIDS];

	if (cfg->linux.resources.memory) {
		const struct hierarchy *h = &cg.h[m];
		const char *swap = h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
		char path[PATH_MAX + 32];
		snprintf(v, sizeof(v), "%lld", cfg->linux.resources.memory);
		if (set_file(h, h->v2 ? "memory.max" : "memory.limit_in_bytes", v) < 0)
			return -1;
		/* No swap either. v1's memsw counts memory+swap and must stay >= the
		 * limit, so it goes second when raising from "unlimited". */
		snprintf(path, sizeof(path), "%s/%s", h->dir, swap);
		if (access(path, F_OK) < 0)
			narrate("no %s: no swap accounting in this kernel", swap);
		else if (set_file(h, swap, h->v2 ? "0" : v) < 0)
			return -1;
	}
	if (cfg->linux.resources.cpu_quota) {
		const struct hierarchy *h = &cg.h[c];
		if (h->v2) {
			snprintf(v, sizeof(v), "%lld %lld", cfg->linux.resources.cpu_quota,
				 cfg->linux.resources.cpu_period);
			if (set_file(h, "cpu.max", v) < 0)
				return -1;
		} else {
			snprintf(v, sizeof(v), "%lld", cfg->linux.resources.cpu_period);
			if (set_file(h, "cpu.cfs_period_us", v) < 0)
				return -1;
			snprintf(v, sizeof(v), "%lld", cfg->linux.resources.cpu_quota);
			if (set_file(h, "cpu.cfs_quota_us", v) < 0)
				return -1;
		}
	}
	if (cfg->linux.resources.cpu_shares) {
		const struct hierarchy *h = &cg.h[c];
		snprintf(v, sizeof(v), "%lld",
			 h->v2 ? shares_to_weight(cfg->linux.resources.cpu_shares) : cfg->linux.resources.cpu_shares);
		if (set_file(h, h->v2 ? "cpu.weight" : "cpu.shares", v) < 0)
			return -1;
	}
	if (cfg->linux.resources.pids_limit) {
		snprintf(v, sizeof(v), "%lld", cfg->linux.resources.pids_limit);
		if (set_file(&cg.h[p], "pids.max", v) < 0)
			return -1;
	}
	return 0;
}

/*
 * The device policy (v1 devices controller, devices.deny and .allow):
 * deny everything, then allow mknod of any node - CAP_MKNOD stays useful
 * for images that carry device files - and reading and writing only the
 * harmless ones. So a node for the host's disk can be made, never opened.
 */
static int set_devices(const struct config *cfg)
{
	char rule[64];
	int d = cg.of[CG_DEVICES];

	if (d < 0 || cg.h[d].v2) {
		/* v2 has no devices controller: a BPF program on the cgroup (devices.c) */
		for (int i = 0; i < cg.n; i++)
			if (cg.h[i].v2 && devices_bpf_usable())
				return devices_bpf_attach(cfg, cg.v2_fd, cg.h[i].dir);
		return 0;
	}
	if (set_file(&cg.h[d], "devices.deny", "a") < 0 ||
	    set_file(&cg.h[d], "devices.allow", "c *:* m") < 0 ||
	    set_file(&cg.h[d], "devices.allow", "b *:* m") < 0 ||
	    set_file(&cg.h[d], "devices.allow", "c 5:2 rwm") < 0 ||
	    set_file(&cg.h[d], "devices.allow", "c 136:* rwm") < 0)
		return -1;
	for (size_t i = 0; i < cfg->linux.n_devices; i++) {
		const struct device_spec *dev = &cfg->linux.devices[i];

		snprintf(rule, sizeof(rule), "%c %u:%u rwm", dev->type, dev->major, dev->minor);
		if (set_file(&cg.h[d], "devices.allow", rule) < 0)
			return -1;
	}
	return 0;
}

/*
 * base/sub, level by level: cgroupsPath's "docker/ID" needs docker/ first,
 * which another container may have made already. -1 with errno set and
 * path naming the mkdir that failed.
 */
static int make_levels(const struct hierarchy *h, char *path, size_t len)
{
	size_t n;

	snprintf(path, len, "%s", h->base);
	for (const char *s = cg.sub;; s += n + 1) {
		n = strcspn(s, "/");
		snprintf(path + strlen(path), len - strlen(path), "/%.*s", (int)n, s);
		if (mkdir(path, 0755) == 0)
			narrate("mkdir(\"%s\") = 0 [mkdir(2)]", path);
		else if (!s[n] || errno != EEXIST)
			return -1;
		if (!s[n])
			return 0;
	}
}

/* v2: every level above the container's cgroup hands the controllers on. */
static int enable_v2_levels(const struct hierarchy *h, unsigned need)
{
	char path[PATH_MAX];
	size_t n;

	snprintf(path, sizeof(path), "%s", h->base);
	for (const char *s = cg.sub;; s += n + 1) {
		if (enable_v2_controllers(h, path, need) < 0)
			return -1;
		n = strcspn(s, "/");
		if (!s[n])
			return 0;
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%.*s", (int)n, s);
	}
}

/*
 * Another run may remove an empty minidock/ (or docker/) between our mkdir
 * of it and of our child in it (ENOENT): then we make it again, a bounded
 * number of times. A v2 parent may take controllers after its children
 * exist, as long as it holds no processes.
 */
static int make_container_dir(struct hierarchy *h, unsigned need)
{
	char path[PATH_MAX];

	for (int tries = 0; tries < 3 && !h->made_dir; tries++) {
		if (h->own_base && make_cgroup_dir(h->base) < 0)
			return -1;
		if (tries == 0)
			remove_stale_cgroups(h);
		if (make_levels(h, path, sizeof(path)) == 0)
			h->made_dir = 1;
		else if (errno != ENOENT || !h->own_base)
			break;
	}
	if (!h->made_dir) {
		fprintf(stderr, "%s: mkdir %s: %m\n", PROG, path);
		return -1;
	}
	return h->v2 ? enable_v2_levels(h, need) : 0;
}

/* How many of dir's parents are ours to remove once empty: minidock/, cgroupsPath's "docker/". */
static int parents_ours(const struct hierarchy *h)
{
	int n = h->own_base;

	for (const char *s = cg.sub; (s = strchr(s, '/')); s++)
		n++;
	return n;
}

/*
 * Where the container's cgroups go, named for their owner: decided
 * before clone, so the child's copy of this knows the paths; checks only.
 */
int cgroups_plan(const struct config *cfg)
{
	unsigned long long start;

	if (find_hierarchies() < 0 || check_controllers(cfg) < 0 || choose_bases(cfg) < 0)
		return -1;
	/* Without our start time the name would not tell a live owner from a dead one. */
	start = process_start_time(getpid());
	if (!start) {
		fprintf(stderr, "%s: read our start time from /proc/self/stat: %m\n", PROG);
		return -1;
	}
	if (cfg->linux.cgroup_name[0])
		snprintf(cg.sub, sizeof(cg.sub), "%s", cfg->linux.cgroup_name);
	else
		snprintf(cg.sub, sizeof(cg.sub), "mdk-%d-%llu", getpid(), start);
	for (int i = 0; i < cg.n; i++) {
		struct hierarchy *h = &cg.h[i];
		h->own_base = !cfg->linux.cgroups_path;
		if (snprintf(h->dir, sizeof(h->dir), "%s/%s", h->base, cg.sub) >=
		    (int)sizeof(h->dir)) {
			fprintf(stderr, "%s: cgroup path too long: %s\n", PROG, h->base);
			return -1;
		}
		if (h->v2 && h->own_base && leave_own_cgroup(h, required_controllers(cfg), start) < 0)
			return -1;
	}
	return 0;
}

/*
 * Must they exist before clone? Only on v2, where clone3 starts the child
 * inside its cgroup. On v1 the child joins by itself after the go-ahead,
 * so the parent makes them while the child builds its root.
 */
int cgroups_before_clone(void)
{
	for (int i = 0; i < cg.n; i++)
		if (cg.h[i].v2)
			return 1;
	return 0;
}

/* The container's own cgroup in every hierarchy, with its limits. */
int cgroups_create(const struct config *cfg)
{
	unsigned need = required_controllers(cfg);

	for (int i = 0; i < cg.n; i++) {
		struct hierarchy *h = &cg.h[i];
		if (make_container_dir(h, need) < 0)
			return -1;
		if (h->v2) {
			cg.v2_fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cg.v2_fd < 0) {
				fprintf(stderr, "%s: open %s: %m\n", PROG, h->dir);
				return -1;
			}
		}
	}
	return set_limits(cfg) < 0 ? -1 : set_devices(cfg);
}

/*
 * v2: clone3(2) with CLONE_INTO_CGROUP creates the child inside its
 * cgroup, so not one instruction runs outside. Returns the child's PID,
 * -1 on error, or 0 when this kernel lacks it (ENOSYS before 5.3, E2BIG
 * before 5.7): then clone(2) runs and the child joins by itself.
 */
pid_t cgroups_clone(int (*fn)(void *), void *arg, int flags)
{
	struct clone_args args = {
		.flags = ((unsigned long long)flags & ~CSIGNAL) | CLONE_INTO_CGROUP,
		.exit_signal = flags & CSIGNAL,
		.cgroup = (unsigned long long)cg.v2_fd,
	};
	long pid;

	if (cg.v2_fd < 0)
		return 0;
	cg.in_cgroup = 1; /* set before, so the child's copy knows it too */
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(fn(arg)); /* the child, on a copy of our stack, as after fork(2) */
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
		narrate("clone3(CLONE_INTO_CGROUP) = -1 (%m): the child joins by itself");
		cg.in_cgroup = 0;
		return 0;
	}
	if (pid < 0) {
		fprintf(stderr, "%s: clone3 into the container's cgroup: %m\n", PROG);
		return -1;
	}
	narrate("clone3({flags=%#llx: namespaces|CLONE_INTO_CGROUP, exit_signal=%d, "
		"cgroup=%d}) = %ld [clone(2)]",
		(unsigned long long)args.flags, flags & CSIGNAL, cg.v2_fd, pid);
	return (pid_t)pid;
}

/*
 * In the child, before exec and before any user or cgroup namespace:
 * writing "0" moves the writer itself. A single-threaded process joining
 * through the v1 tasks file is cheap; see the chapter for why the parent
 * does not write our PID instead.
 */
int cgroups_join(void)
{
	char path[PATH_MAX + 32];

	for (int i = 0; i < cg.n; i++) {
		const struct hierarchy *h = &cg.h[i];
		if (h->v2 && cg.in_cgroup)
			continue;
		snprintf(path, sizeof(path), "%s/%s", h->dir, h->v2 ? "cgroup.procs" : "tasks");
		if (cg_write_file(path, "0") < 0) {
			fprintf(stderr, "%s: join cgroup %s: %m\n", PROG, h->dir);
			return -1;
		}
	}
	return 0;
}

/* What the cgroup saw: an OOM kill (always reported), the pids limit (-D). */
void cgroups_report(const struct config *cfg)
{
	char size[32];
	long long kills = -1, refused;

	if (cg.of[CG_MEMORY] >= 0 && cfg->linux.resources.memory) {
		const struct hierarchy *h = &cg.h[cg.of[CG_MEMORY]];
		kills = read_key(h, h->v2 ? "memory.events" : "memory.oom_control", "oom_kill");
		narrate("read(\"%s/%s\"): oom_kill %lld [cgroups(7)]", h->dir,
			h->v2 ? "memory.events" : "memory.oom_control", kills);
	}
	if (kills > 0) {
		format_size(cfg->linux.resources.memory, size, sizeof(size));
		fprintf(stderr, "%s: killed by the kernel OOM killer: memory limit %s reached\n",
			PROG, size);
	}
	if (cg.of[CG_PIDS] >= 0 && cfg->linux.resources.pids_limit) {
		refused = read_key(&cg.h[cg.of[CG_PIDS]], "pids.events", "max");
		narrate("read(\"%s/pids.events\"): max %lld: fork refused %lld time(s) at "
			"pids.max %lld [cgroups(7)]", cg.h[cg.of[CG_PIDS]].dir, refused, refused,
			cfg->linux.resources.pids_limit);
	}
	if (cg.of[CG_CPU] >= 0 && cfg->linux.resources.cpu_quota)
		narrate("read(\"%s/cpu.stat\"): nr_throttled %lld [cgroups(7)]",
			cg.h[cg.of[CG_CPU]].dir,
			read_key(&cg.h[cg.of[CG_CPU]], "cpu.stat", "nr_throttled"));
}

/* Did the kernel's OOM killer kill in the container's cgroup? */
int cgroups_oom_killed(void)
{
	const struct hierarchy *h;

	if (cg.of[CG_MEMORY] < 0)
		return 0;
	h = &cg.h[cg.of[CG_MEMORY]];
	return read_key(h, h->v2 ? "memory.events" : "memory.oom_control", "oom_kill") > 0;
}

/*
 * Where the container's cgroups are, for its state file: one entry per
 * controller, and "unified" for the v2 cgroup itself (cgroup.freeze).
 */
size_t cgroups_places(struct cgroup_place *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < N_CONTROLLERS + 1 && n < max; i++) {
		/* i == N_CONTROLLERS: the v2 cgroup, whatever it controls */
		int k = i < N_CONTROLLERS ? cg.of[i] : -1;
		for (int j = 0; i == N_CONTROLLERS && j < cg.n; j++)
			if (cg.h[j].v2)
				k = j;
		if (k < 0 || !cg.h[k].made_dir)
			continue;
		snprintf(out[n].controller, sizeof(out[n].controller), "%s",
			 i < N_CONTROLLERS ? controller_names[i] : "unified");
		out[n].v2 = cg.h[k].v2;
		out[n].parents_ours = parents_ours(&cg.h[k]);
		snprintf(out[n].dir, sizeof(out[n].dir), "%s", cg.h[k].dir);
		n++;
	}
	return n;
}

/* Is h's container cgroup empty? */
static int cgroup_is_empty(const struct hierarchy *h)
{
	char path[PATH_MAX + 32], buf[64];

	snprintf(path, sizeof(path), "%s/cgroup.procs", h->dir);
	return read_small_file(path, buf, sizeof(buf)) < 0 || !buf[0];
}

/*
 * Kill every process still listed in cgroup.procs, by PID: all were ours.
 * A full buffer may end in the first digits of a PID (another process's
 * PID, then): only whole lines count; the callers read the file again.
 */
static void kill_listed(const struct hierarchy *h)
{
	char path[PATH_MAX + 32], buf[4096], *save = NULL, *last;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", h->dir);
	if (read_small_file(path, buf, sizeof(buf)) < 0 || !(last = strrchr(buf, '\n')))
		return;
	last[1] = 0;
	for (char *w = strtok_r(buf, "\n", &save); w; w = strtok_r(NULL, "\n", &save)) {
		pid = atoi(w);
		if (pid <= 0)
			continue;
		/* ESRCH: it exited meanwhile, which is all we wanted */
		if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
			fprintf(stderr, "%s: kill %d, left in %s: %m\n", PROG, pid, h->dir);
		else
			narrate("kill(%d, SIGKILL) = 0: left in %s [kill(2)]", pid, h->dir);
	}
}

/*
 * v2 says when a cgroup empties: "populated 0" in cgroup.events, which
 * wakes poll(2) with POLLPRI on each change (cgroups(7)).
 */
static int wait_v2_empty(const struct hierarchy *h)
{
	char path[PATH_MAX + 32], buf[256];
	struct pollfd pfd = {.events = POLLPRI};
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.events", h->dir);
	pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd.fd < 0)
		return -1;
	for (;;) {
		n = pread(pfd.fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			break;
		buf[n] = 0;
		if (strstr(buf, "populated 0"))
			break;
		if (poll(&pfd, 1, CGROUP_WAIT_MS) <= 0) {
			n = -1;
			break;
		}
	}
	close(pfd.fd);
	return n < 0 ? -1 : 0;
}

/* v1 has no such event: retry, briefly and with a bound, off the normal path. */
static int wait_v1_empty(const struct hierarchy *h)
{
	const struct timespec ms = {0, 1000000};

	for (int i = 0; i < CGROUP_WAIT_MS; i++) {
		if (cgroup_is_empty(h))
			return 0;
		kill_listed(h);
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* After the container: nothing of it may stay running, then its cgroup goes. */
static void empty_cgroup(const struct hierarchy *h)
{
	char path[PATH_MAX + 32];
	struct stat st;

	if (cgroup_is_empty(h))
		return;
	snprintf(path, sizeof(path), "%s/cgroup.kill", h->dir);
	/* cgroup.kill (v2, Linux 5.14) kills the whole cgroup in one write. */
	if (!h->v2 || stat(path, &st) < 0 || cg_write_file(path, "1") < 0)
		kill_listed(h);
	if ((h->v2 ? wait_v2_empty(h) : wait_v1_empty(h)) < 0)
		fprintf(stderr, "%s: cgroup %s did not empty\n", PROG, h->dir);
}

/* dir is gone: so go its n nearest parents, while empty (EBUSY: other containers use them). */
static void remove_parents(char *dir, int n)
{
	for (char *slash; n > 0 && (slash = strrchr(dir, '/')); n--) {
		*slash = 0;
		if (rmdir(dir) < 0)
			return;
		narrate("rmdir(\"%s\") = 0 [rmdir(2)]", dir);
	}
}

void cgroups_remove(void)
{
	char dir[PATH_MAX];

	for (int i = 0; i < cg.n; i++) {
		struct hierarchy *h = &cg.h[i];
		if (h->made_dir) {
			empty_cgroup(h);
			if (rmdir(h->dir) < 0)
				fprintf(stderr, "%s: rmdir %s: %m\n", PROG, h->dir);
			else
				narrate("rmdir(\"%s\") = 0 [rmdir(2)]", h->dir);
		}
		snprintf(dir, sizeof(dir), "%s", h->dir);
		remove_parents(dir, parents_ours(h));
	}
	if (cg.v2_fd >= 0)
		close(cg.v2_fd);
	cgroups_return();
}

/*
 * rm or prune of a container whose monitor died, from its state file:
 * whatever is left in its cgroup is killed, then the cgroup goes.
 * Several controllers may share one directory: one already gone is fine.
 */
int cgroups_remove_place(const struct cgroup_place *p)
{
	struct hierarchy h = {.v2 = p->v2};

	snprintf(h.dir, sizeof(h.dir), "%s", p->dir);
	if (access(h.dir, F_OK) == 0) {
		empty_cgroup(&h);
		if (rmdir(h.dir) < 0 && errno != ENOENT) {
			fprintf(stderr, "%s: rmdir %s: %m\n", PROG, h.dir);
			return -1;
		}
		narrate("rmdir(\"%s\") = 0 [rmdir(2)]", h.dir);
	}
	remove_parents(h.dir, p->parents_ours);
	if (p->v2)
		return_after_place(p);
	return 0;
}

/* Did the OOM killer kill in the container's memory cgroup (its state file's)? */
int cgroups_place_oom(const struct cgroup_place *p)
{
	struct hierarchy h = {.v2 = p->v2};

	snprintf(h.dir, sizeof(h.dir), "%s", p->dir);
	return read_key(&h, h.v2 ? "memory.events" : "memory.oom_control", "oom_kill") > 0;
}

/*
 * prune: every cgroup beneath our minidock/ whose owner is dead, and
 * minidock/ if empty; on v2 also the leaves of dead runs beside it.
 */
void cgroups_prune(void)
{
	const struct config none = {0};
	char own[PATH_MAX];

	if (find_hierarchies() < 0 || choose_bases(&none) < 0)
		return;
	for (int i = 0; i < cg.n; i++) {
		remove_stale_cgroups(&cg.h[i]);
		if (rmdir(cg.h[i].base) == 0)
			narrate("rmdir(\"%s\") = 0 [rmdir(2)]", cg.h[i].base);
		if (!cg.h[i].v2)
			continue;
		snprintf(own, sizeof(own), "%.*s",
			 (int)(strrchr(cg.h[i].base, '/') - cg.h[i].base), cg.h[i].base);
		remove_stale_in(own, SELF_PREFIX);
	}
}

/*
 * Can set_devices() enforce a device policy here: a v1 devices hierarchy,
 * or a v2 cgroup of the container's that takes a BPF device program?
 */
int cgroups_device_policy(void)
{
	if (find_hierarchies() < 0)
		return 0;
	if (cg.of[CG_DEVICES] >= 0 && !cg.h[cg.of[CG_DEVICES]].v2)
		return 1;
	for (int i = 0; i < cg.n; i++)
		if (cg.h[i].v2)
			return devices_bpf_usable();
	return 0;
}
