/*
 * run.c: `minidock run [OPTIONS] IMAGE [CMD [ARG...]]`.
 *
 * Docker's flags and the image's defaults become one struct config (the
 * OCI runtime-spec's shape, config.h), with Docker's defaults for
 * everything the user did not say; then the core runs it (container.c).
 * Every flag is checked before anything is created, so bad input leaves
 * nothing behind.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "minidock.h"

/* Docker's default PATH for a container. */
#define CONTAINER_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#define MAX_OPTS 32

/* What the command line says, before it becomes a config. */
struct run_opts {
	const char *image, *name, *hostname, *workdir, *user, *pid_file, *cgroup_parent;
	const char *network, *bridge, *subnet, *ip, *userns;
	const char *seccomp_file; /* --security-opt seccomp=FILE */
	const char *share[3];     /* --network, --pid, --ipc container:REF: the REFs */
	const char *uidmaps[MAX_OPTS], *gidmaps[MAX_OPTS];
	size_t n_uidmaps, n_gidmaps;
	struct resources resources;
	char **cmd;
	int rm, interactive, tty, read_only, init, no_new_privs, seccomp, detach;
	const char *publish[MAX_PORTS];
	size_t n_publish;
	const char *dns[MAX_OPTS];
	size_t n_dns;
	const char *env[MAX_ENV], *volumes[MAX_OPTS], *tmpfs[MAX_OPTS];
	const char *cap_add[MAX_OPTS], *cap_drop[MAX_OPTS];
	size_t n_env, n_volumes, n_tmpfs, n_cap_add, n_cap_drop;
};

/* Everything the config points to lives here, for the length of the run. */
struct run_data {
	struct config cfg;
	struct image img;
	struct container ctr;
	struct record rec;
	struct detached det;
	char *env[MAX_ENV + 1];
	size_t n_env;
	char hostname[HOST_NAME_MAX + 1];
	char cwd[PATH_MAX];
	char files[3][PATH_MAX];  /* hostname, hosts, resolv.conf, as the child sees them */
	char hosts[64];           /* the parent's way to hosts: /proc/self/fd/N/hosts */
	char vol_src[MAX_OPTS][PATH_MAX], vol_dst[MAX_OPTS][PATH_MAX];
	char tmpfs_dst[MAX_OPTS][PATH_MAX], tmpfs_data[MAX_OPTS][256];
	char init_layer[PATH_MAX];
	int shares_bridge;        /* --network container: of a container on a bridge */
};

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: %s run [OPTIONS] IMAGE [CMD [ARG...]]\n"
		"Run CMD in a new container made from IMAGE.\n"
		"\n"
		"  -d, --detach              run in the background; print the container's id\n"
		"  -p, --publish [IP:][HOSTPORT:]CTRPORT  forward a host TCP port (with -d)\n"
		"      --rm                  remove the container when it exits\n"
		"      --name NAME           name the container\n"
		"  -i, --interactive         keep stdin attached\n"
		"  -t, --tty                 give the container a terminal\n"
		"  -e, --env KEY[=VALUE]     set an environment variable\n"
		"  -w, --workdir DIR         working directory inside the container\n"
		"  -u, --user UID[:GID]      run as this user\n"
		"  -h, --hostname NAME       the container's hostname\n"
		"      --memory SIZE         memory limit (b, k, m, g), no swap beyond it\n"
		"      --cpus N.N            CPU time, in CPUs\n"
		"      --cpu-shares N        relative CPU weight\n"
		"      --pids-limit N        at most N processes\n"
		"      --cgroup-parent PATH  put the container's cgroup beneath PATH\n"
		"      --network MODE        bridge (the default), none, host or container:NAME|ID\n"
		"      --pid container:NAME  share a running container's PID namespace\n"
		"      --ipc container:NAME  share a running container's IPC namespace\n"
		"      --ip ADDR             the container's address on the bridge\n"
		"      --bridge NAME         the host bridge (default minidock0)\n"
		"      --subnet CIDR         the bridge's subnet (default 10.111.0.0/16)\n"
		"      --dns ADDR            a name server for /etc/resolv.conf (repeatable)\n"
		"  -v, --volume SRC:DST[:OPT] bind-mount a host directory; OPT: ro, rw,\n"
		"                            idmap (seen through --userns's maps), comma-separated\n"
		"      --read-only           make the root filesystem read-only\n"
		"      --tmpfs DIR[:OPTS]    mount a tmpfs\n"
		"      --cap-add CAP         add a capability (or ALL)\n"
		"      --cap-drop CAP        drop a capability (or ALL)\n"
		"      --security-opt OPT    seccomp=unconfined|FILE (an OCI profile),\n"
		"                            no-new-privileges[=true|false]\n"
		"      --userns MODE         remap (root inside is an unprivileged uid) or host\n"
		"      --uidmap CTR:HOST:LEN a line of the uid map (implies --userns remap)\n"
		"      --gidmap CTR:HOST:LEN a line of the gid map\n"
		"      --init                run a tiny init as PID 1\n"
		"      --pid-file FILE       write the container's host PID to FILE\n"
		"      --help                show this help\n",
		PROG);
}

static int add_opt_max(const char **list, size_t *n, size_t max, const char *value,
		       const char *flag)
{
	if (*n >= max) {
		fprintf(stderr, "%s: too many %s options (at most %zu)\n", PROG, flag, max);
		return -1;
	}
	list[(*n)++] = value;
	return 0;
}

static int add_opt(const char **list, size_t *n, const char *value, const char *flag)
{
	return add_opt_max(list, n, MAX_OPTS, value, flag);
}

/* --security-opt: Docker's spellings, "=" or the older ":". */
static int parse_security_opt(const char *opt, struct run_opts *o)
{
	if (!strcmp(opt, "seccomp=unconfined") || !strcmp(opt, "seccomp:unconfined")) {
		o->seccomp = 0;
		return 0;
	}
	if (!strncmp(opt, "seccomp=", 8) || !strncmp(opt, "seccomp:", 8)) {
		o->seccomp_file = opt + 8;
		return 0;
	}
	if (!strcmp(opt, "no-new-privileges") || !strcmp(opt, "no-new-privileges=true") ||
	    !strcmp(opt, "no-new-privileges:true")) {
		o->no_new_privs = 1;
		return 0;
	}
	if (!strcmp(opt, "no-new-privileges=false") || !strcmp(opt, "no-new-privileges:false")) {
		o->no_new_privs = 0;
		return 0;
	}
	fprintf(stderr, "%s: unknown security option '%s'\n", PROG, opt);
	return -1;
}

static int parse_run_option(int opt, struct run_opts *o)
{
	switch (opt) {
	case 'i':
		o->interactive = 1;
		return 0;
	case 't':
		o->tty = 1;
		return 0;
	case 'e':
		return add_opt_max(o->env, &o->n_env, MAX_ENV, optarg, "-e");
	case 'w':
		o->workdir = optarg;
		return 0;
	case 'u':
		o->user = optarg;
		return 0;
	case 'h':
		o->hostname = optarg;
		return 0;
	case 'v':
		return add_opt(o->volumes, &o->n_volumes, optarg, "-v");
	case 'd':
		o->detach = 1;
		return 0;
	case 'p':
		if (o->n_publish >= MAX_PORTS) {
			fprintf(stderr, "%s: too many -p options (at most %d)\n", PROG, MAX_PORTS);
			return -1;
		}
		o->publish[o->n_publish++] = optarg;
		return 0;
	default:
		return -1;
	}
}

enum {
	OPT_RM = 256, OPT_NAME, OPT_NETWORK, OPT_READ_ONLY, OPT_TMPFS, OPT_CAP_ADD,
	OPT_CAP_DROP, OPT_SECURITY_OPT, OPT_INIT, OPT_PID_FILE, OPT_HELP, OPT_MEMORY, OPT_CPUS,
	OPT_CPU_SHARES, OPT_PIDS_LIMIT, OPT_CGROUP_PARENT, OPT_BRIDGE, OPT_SUBNET, OPT_IP,
	OPT_USERNS, OPT_UIDMAP, OPT_GIDMAP,
	OPT_DNS, OPT_PID, OPT_IPC,
};

/* The namespaces --network, --pid and --ipc container:REF share (run_opts.share). */
static const struct {
	const char *flag, *ns;
	int type;
} shareable[3] = {
	{"--network", "net", CLONE_NEWNET},
	{"--pid", "pid", CLONE_NEWPID},
	{"--ipc", "ipc", CLONE_NEWIPC},
};

/* container:REF, or NULL after saying what is wrong. */
static const char *container_ref(const char *value, const char *flag)
{
	if (!strncmp(value, "container:", 10) && value[10])
		return value + 10;
	fprintf(stderr, "%s: bad %s '%s': use container:NAME|ID\n", PROG, flag, value);
	return NULL;
}

/* Chapter 7's user namespace (userns.c checks them once all are read). */
static int parse_userns_option(int opt, struct run_opts *o)
{
	switch (opt) {
	case OPT_USERNS:
		o->userns = optarg;
		return 0;
	case OPT_UIDMAP:
		return add_opt(o->uidmaps, &o->n_uidmaps, optarg, "--uidmap");
	case OPT_GIDMAP:
		return add_opt(o->gidmaps, &o->n_gidmaps, optarg, "--gidmap");
	default:
		return parse_run_option(opt, o);
	}
}

/* Chapter 4's limits, checked as they are read (cgroups.c). */
static int parse_resource_option(int opt, struct run_opts *o)
{
	struct resources *r = &o->resources;

	switch (opt) {
	case OPT_MEMORY:
		return parse_size(optarg, &r->memory);
	case OPT_CPUS:
		r->cpu_period = CPU_PERIOD_US;
		return parse_cpus(optarg, &r->cpu_quota);
	case OPT_CPU_SHARES:
		return parse_count("--cpu-shares", optarg, 2, 262144, &r->cpu_shares);
	case OPT_PIDS_LIMIT:
		return parse_count("--pids-limit", optarg, 1, INT_MAX, &r->pids_limit);
	case OPT_CGROUP_PARENT:
		o->cgroup_parent = optarg;
		return check_cgroup_parent(optarg);
	default:
		return parse_userns_option(opt, o);
	}
}

static int parse_long_option(int opt, struct run_opts *o)
{
	switch (opt) {
	case OPT_RM:
		o->rm = 1;
		return 0;
	case OPT_NAME:
		o->name = optarg;
		return 0;
	case OPT_NETWORK:
		/* another container's network: none of our own to make, as with host */
		if (strncmp(optarg, "container:", 10)) {
			o->network = optarg;
			return 0;
		}
		o->network = "host";
		return (o->share[0] = container_ref(optarg, "--network")) ? 0 : -1;
	case OPT_PID:
		return (o->share[1] = container_ref(optarg, "--pid")) ? 0 : -1;
	case OPT_IPC:
		return (o->share[2] = container_ref(optarg, "--ipc")) ? 0 : -1;
	case OPT_BRIDGE:
		o->bridge = optarg;
		return 0;
	case OPT_SUBNET:
		o->subnet = optarg;
		return 0;
	case OPT_IP:
		o->ip = optarg;
		return 0;
	case OPT_DNS:
		return add_opt(o->dns, &o->n_dns, optarg, "--dns");
	case OPT_READ_ONLY:
		o->read_only = 1;
		return 0;
	case OPT_TMPFS:
		return add_opt(o->tmpfs, &o->n_tmpfs, optarg, "--tmpfs");
	case OPT_CAP_ADD:
		return add_opt(o->cap_add, &o->n_cap_add, optarg, "--cap-add");
	case OPT_CAP_DROP:
		return add_opt(o->cap_drop, &o->n_cap_drop, optarg, "--cap-drop");
	case OPT_SECURITY_OPT:
		return parse_security_opt(optarg, o);
	case OPT_INIT:
		o->init = 1;
		return 0;
	case OPT_PID_FILE:
		o->pid_file = optarg;
		return 0;
	default:
		return parse_resource_option(opt, o);
	}
}

static int parse_run_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option options[] = {
		{"rm", no_argument, NULL, OPT_RM},
		{"detach", no_argument, NULL, 'd'},
		{"publish", required_argument, NULL, 'p'},
		{"name", required_argument, NULL, OPT_NAME},
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"env", required_argument, NULL, 'e'},
		{"workdir", required_argument, NULL, 'w'},
		{"user", required_argument, NULL, 'u'},
		{"hostname", required_argument, NULL, 'h'},
		{"network", required_argument, NULL, OPT_NETWORK},
		{"pid", required_argument, NULL, OPT_PID},
		{"ipc", required_argument, NULL, OPT_IPC},
		{"net", required_argument, NULL, OPT_NETWORK},
		{"bridge", required_argument, NULL, OPT_BRIDGE},
		{"subnet", required_argument, NULL, OPT_SUBNET},
		{"ip", required_argument, NULL, OPT_IP},
		{"dns", required_argument, NULL, OPT_DNS},
		{"userns", required_argument, NULL, OPT_USERNS},
		{"uidmap", required_argument, NULL, OPT_UIDMAP},
		{"gidmap", required_argument, NULL, OPT_GIDMAP},
		{"volume", required_argument, NULL, 'v'},
		{"read-only", no_argument, NULL, OPT_READ_ONLY},
		{"tmpfs", required_argument, NULL, OPT_TMPFS},
		{"cap-add", required_argument, NULL, OPT_CAP_ADD},
		{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
		{"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
		{"init", no_argument, NULL, OPT_INIT},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
		{"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
		{"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int opt;

	o->no_new_privs = o->seccomp = 1;
	/* '+': stop at IMAGE, so CMD's own options reach CMD. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:dite:w:u:h:v:p:", options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			run_usage(stdout);
			exit(0);
		}
		if (opt == ':') {
			fprintf(stderr, "%s: option '%s' needs a value (try '%s run --help')\n",
				PROG, argv[optind - 1], PROG);
			return -1;
		}
		if (opt == '?') {
			fprintf(stderr, "%s: unknown option '%s' (try '%s run --help')\n", PROG,
				argv[optind - 1], PROG);
			return -1;
		}
		if (parse_long_option(opt, o) < 0)
			return -1;
	}
	if (optind == argc) {
		fprintf(stderr, "%s: missing image (try '%s run --help')\n", PROG, PROG);
		return -1;
	}
	o->image = argv[optind];
	o->cmd = &argv[optind + 1];
	return 0;
}

/* ---- checks that need no store ---- */

/*
 * Docker's arithmetic: start from the default 14; "ALL" in --cap-drop
 * starts from none, "ALL" in --cap-add from every one; then each named
 * capability is added or dropped.
 */
static int compute_caps(const struct run_opts *o, uint64_t *set)
{
	int cap;

	*set = default_capabilities();
	for (size_t i = 0; i < o->n_cap_drop; i++)
		if (parse_capability(o->cap_drop[i]) == 64)
			*set = 0;
	for (size_t i = 0; i < o->n_cap_add; i++)
		if (parse_capability(o->cap_add[i]) == 64)
			*set = ~0ULL;
	for (size_t i = 0; i < o->n_cap_add + o->n_cap_drop; i++) {
		int add = i < o->n_cap_add;
		const char *name = add ? o->cap_add[i] : o->cap_drop[i - o->n_cap_add];

		cap = parse_capability(name);
		if (cap < 0) {
			fprintf(stderr, "%s: unknown capability '%s'\n", PROG, name);
			return -1;
		}
		if (cap == 64)
			continue;
		*set = add ? *set | (1ULL << cap) : *set & ~(1ULL << cap);
	}
	return 0;
}

/* The options after the second colon: ro, rw, and podman's idmap, comma-separated. */
static int parse_volume_options(const char *opts, int *ro, int *idmap)
{
	char copy[64], *tok, *save;

	*ro = *idmap = 0;
	if (!opts)
		return 0;
	if (snprintf(copy, sizeof(copy), "%s", opts) >= (int)sizeof(copy) || !copy[0])
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "ro"))
			*ro = 1;
		else if (!strcmp(tok, "idmap"))
			*idmap = 1;
		else if (strcmp(tok, "rw"))
			return -1;
	}
	return 0;
}

/*
 * /, /dev, /proc and /sys are minidock's own mounts: a volume or tmpfs
 * there would replace them, and /dev's device nodes and symlinks would be
 * made in a host directory bound there. DST as the kernel resolves it:
 * "//dev/." is /dev.
 */
static int reserved_destination(const char *dst)
{
	static const char *const reserved[] = {"", "/dev", "/proc", "/sys"};
	char norm[PATH_MAX];
	size_t n = 0;

	for (const char *p = dst; *p && n < sizeof(norm) - 2;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len;
			continue;
		}
		norm[n++] = '/';
		for (size_t i = 0; i < len && n < sizeof(norm) - 1; i++)
			norm[n++] = p[i];
		p += len;
	}
	norm[n] = 0;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(norm, reserved[i]))
			return 1;
	return 0;
}

/* -v SRC:DST[:ro|rw][,idmap]: both absolute; SRC on the host, DST inside. */
static int parse_volume(const char *spec, char *src, char *dst, int *ro, int *idmap)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	size_t dlen = c1 ? (c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1)) : 0;

	if (!c1 || c1 == spec || !dlen || parse_volume_options(c2 ? c2 + 1 : NULL, ro, idmap) < 0) {
		fprintf(stderr, "%s: bad volume '%s': use HOSTDIR:CTRDIR[:ro][,idmap]\n", PROG,
			spec);
		return -1;
	}
	if (spec[0] != '/' || c1[1] != '/') {
		fprintf(stderr, "%s: bad volume '%s': both paths must be absolute%s\n", PROG, spec,
			spec[0] != '/' ? " (named volumes are not supported)" : "");
		return -1;
	}
	if ((size_t)(c1 - spec) >= PATH_MAX || dlen >= PATH_MAX) {
		fprintf(stderr, "%s: bad volume '%s': path too long\n", PROG, spec);
		return -1;
	}
	snprintf(src, PATH_MAX, "%.*s", (int)(c1 - spec), spec);
	snprintf(dst, PATH_MAX, "%.*s", (int)dlen, c1 + 1);
	if (reserved_destination(dst)) {
		fprintf(stderr, "%s: bad volume '%s': cannot mount over %s (minidock's own)\n",
			PROG, spec, dst);
		return -1;
	}
	return 0;
}

/* --tmpfs DIR[:OPTS]: the flags among OPTS become MS_*, the rest is tmpfs data. */
static int parse_tmpfs(const char *spec, struct mount_spec *m, char *dst, char *data)
{
	static const struct {
		const char *name;
		unsigned long set, clear;
	} flags[] = {
		{"ro", MS_RDONLY, 0},     {"rw", 0, MS_RDONLY},     {"noexec", MS_NOEXEC, 0},
		{"exec", 0, MS_NOEXEC},   {"nosuid", MS_NOSUID, 0}, {"suid", 0, MS_NOSUID},
		{"nodev", MS_NODEV, 0},   {"dev", 0, MS_NODEV},
	};
	const char *colon = strchr(spec, ':');
	char opts[256], *tok, *save;
	size_t used = 0;

	if (spec[0] != '/' || (colon && colon == spec + 1) ||
	    snprintf(dst, PATH_MAX, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec),
		     spec) >= PATH_MAX) {
		fprintf(stderr, "%s: bad --tmpfs '%s': use /DIR[:OPTIONS]\n", PROG, spec);
		return -1;
	}
	if (reserved_destination(dst)) {
		fprintf(stderr, "%s: bad --tmpfs '%s': cannot mount over %s (minidock's own)\n",
			PROG, spec, dst);
		return -1;
	}
	/* Docker's defaults: noexec, nosuid, nodev, 64 MiB. */
	m->flags = MS_NOEXEC | MS_NOSUID | MS_NODEV;
	if (snprintf(opts, sizeof(opts), "%s", colon ? colon + 1 : "") >= (int)sizeof(opts)) {
		fprintf(stderr, "%s: bad --tmpfs: options longer than %zu bytes\n", PROG,
			sizeof(opts) - 1);
		return -1;
	}
	data[0] = 0;
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (!strcmp(tok, flags[i].name))
				break;
		if (i < sizeof(flags) / sizeof(flags[0])) {
			m->flags = (m->flags | flags[i].set) & ~flags[i].clear;
			continue;
		}
		used += (size_t)snprintf(data + used, used < 256 ? 256 - used : 0, "%s%s",
					 used ? "," : "", tok);
	}
	if (!strstr(data, "size="))
		used += (size_t)snprintf(data + used, used < 256 ? 256 - used : 0, "%ssize=65536k",
					 used ? "," : "");
	if (used >= 256) {
		fprintf(stderr, "%s: bad --tmpfs '%s': options too long\n", PROG, spec);
		return -1;
	}
	return 0;
}

/* ---- the config ---- */

static int add_mount(struct config *cfg, const char *dst, const char *src, const char *type,
		     unsigned long flags, const char *data)
{
	struct mount_spec *m;

	if (cfg->n_mounts >= MAX_MOUNTS) {
		fprintf(stderr, "%s: too many mounts\n", PROG);
		return -1;
	}
	m = &cfg->mounts[cfg->n_mounts++];
	*m = (struct mount_spec){.destination = dst, .source = src, .type = type,
				 .flags = flags, .data = data};
	return 0;
}

/*
 * sysfs shows a network namespace's devices: only a user namespace that
 * owns one may mount it. With a user namespace and the host's network,
 * the host's /sys is bound in, read-only, as chapter 7 does.
 */
static int add_sys(struct config *cfg)
{
	int ns = cfg->linux.namespaces;

	if (!(ns & CLONE_NEWUSER) || (ns & CLONE_NEWNET))
		return add_mount(cfg, "/sys", "sysfs", "sysfs",
				 MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	if (add_mount(cfg, "/sys", "/sys", NULL, 0, NULL) < 0)
		return -1;
	cfg->mounts[cfg->n_mounts - 1].readonly = 1;
	return 0;
}

/*
 * What every container gets, as runc's default spec has it, less
 * /dev/mqueue: chapter 3's /dev stays exactly as it was (POSIX message
 * queues are still private, by the IPC namespace; only unlisted).
 */
static int add_system_mounts(struct config *cfg)
{
	const unsigned long nse = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	return add_mount(cfg, "/proc", "proc", "proc", nse, NULL) ||
	       add_mount(cfg, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			 "mode=755,size=65536k") ||
	       add_mount(cfg, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
			 "newinstance,ptmxmode=0666,mode=0620") ||
	       add_mount(cfg, "/dev/shm", "shm", "tmpfs", nse, "mode=1777,size=65536k") ||
	       add_sys(cfg)
		       ? -1
		       : 0;
}

/* Docker's masked and read-only paths; rootfs.c skips those the kernel lacks. */
static void add_protected_paths(struct config *cfg)
{
	static const char *const masked[] = {
		"/proc/asound",      "/proc/acpi",        "/proc/interrupts",
		"/proc/kcore",       "/proc/keys",        "/proc/latency_stats",
		"/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi",        "/sys/firmware",     "/sys/devices/virtual/powercap",
	};
	static const char *const readonly[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};

	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++)
		cfg->linux.masked_paths[cfg->linux.n_masked++] = masked[i];
	for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++)
		cfg->linux.readonly_paths[cfg->linux.n_readonly++] = readonly[i];
}

/* The harmless devices (runc's defaults); ptmx comes from the devpts instance. */
static void add_devices(struct config *cfg)
{
	static const struct device_spec devices[] = {
		{"null", 'c', 1, 3},    {"zero", 'c', 1, 5},    {"full", 'c', 1, 7},
		{"random", 'c', 1, 8},  {"urandom", 'c', 1, 9}, {"tty", 'c', 5, 0},
	};

	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		cfg->linux.devices[cfg->linux.n_devices++] = devices[i];
}

/* KEY=VALUE into the environment, replacing an earlier KEY. */
static int set_env(struct run_data *d, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy;

	for (size_t i = 0; i < d->n_env; i++) {
		if (!strncmp(d->env[i], kv, klen) && d->env[i][klen] == '=') {
			copy = strdup(kv);
			if (!copy)
				return -1;
			free(d->env[i]);
			d->env[i] = copy;
			return 0;
		}
	}
	if (d->n_env + 1 >= sizeof(d->env) / sizeof(d->env[0])) {
		fprintf(stderr, "%s: more than %d environment variables: minidock takes at most %d\n",
			PROG, MAX_ENV, MAX_ENV);
		return -1;
	}
	d->env[d->n_env] = strdup(kv);
	if (!d->env[d->n_env])
		return -1;
	d->env[++d->n_env] = NULL;
	return 0;
}

/*
 * A clean environment, as docker run gives: Docker's PATH, HOSTNAME, HOME,
 * TERM with -t; then the image's; then -e. "-e KEY" alone copies KEY from
 * our own environment, if we have it.
 */
static int build_env(struct run_data *d, const struct run_opts *o, uid_t uid)
{
	char kv[HOST_NAME_MAX + 16];

	snprintf(kv, sizeof(kv), "HOSTNAME=%s", d->hostname);
	if (set_env(d, "PATH=" CONTAINER_PATH) < 0 || set_env(d, kv) < 0 ||
	    set_env(d, uid == 0 ? "HOME=/root" : "HOME=/") < 0 ||
	    (o->tty && set_env(d, "TERM=xterm") < 0))
		return -1;
	for (size_t i = 0; i < d->img.n_env; i++)
		if (set_env(d, d->img.env[i]) < 0)
			return -1;
	for (size_t i = 0; i < o->n_env; i++) {
		const char *e = o->env[i], *host;
		char *copy = NULL;
		int ret;

		if (!e[0] || e[0] == '=') {
			fprintf(stderr, "%s: bad -e '%s': use KEY=VALUE\n", PROG, e);
			return -1;
		}
		if (!strchr(e, '=')) {
			host = getenv(e);
			if (!host)
				continue;
			if (asprintf(&copy, "%s=%s", e, host) < 0) {
				fprintf(stderr, "%s: out of memory\n", PROG);
				return -1;
			}
			e = copy;
		}
		ret = set_env(d, e);
		free(copy);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/*
 * RFC 1123: dot-separated labels of letters, digits and '-', each 1-63
 * bytes, never starting or ending with '-'. Anything else (a newline, a
 * space, a slash) would end up in /etc/hosts as more than a name.
 */
static int valid_hostname(const char *name)
{
	size_t label = 0;

	for (const char *p = name;; p++) {
		if (*p == '.' || !*p) {
			if (label == 0 || label > 63 || p[-1] == '-')
				return 0;
			if (!*p)
				return 1;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || (*p == '-' && label > 0)))
			return 0;
		label++;
	}
}

static int check_hostname(const struct run_opts *o)
{
	if (o->hostname && strlen(o->hostname) > HOST_NAME_MAX) {
		fprintf(stderr, "%s: hostname '%s' is longer than %d bytes\n", PROG, o->hostname,
			HOST_NAME_MAX);
		return -1;
	}
	if (o->hostname && !o->hostname[0]) {
		fprintf(stderr, "%s: empty hostname\n", PROG);
		return -1;
	}
	if (o->hostname && !valid_hostname(o->hostname)) {
		/* not echoed: it may hold a newline, and the error is one line */
		fprintf(stderr, "%s: bad --hostname: letters, digits, '-' and '.' only, each "
				"label 1-63 bytes (RFC 1123)\n", PROG);
		return -1;
	}
	return 0;
}

/* -d and -p: checked with the rest, bound only once everything else is known good. */
static int check_detach(const struct run_opts *o, struct run_data *d)
{
	/* -dit keeps a shell alive on its terminal; -i alone would need attach to mean anything. */
	if (o->detach && o->interactive && !o->tty) {
		fprintf(stderr, "%s: -d with -i needs -t: minidock has no attach\n", PROG);
		return -1;
	}
	if (o->n_publish && (!o->detach || d->cfg.network.mode != NET_BRIDGE)) {
		fprintf(stderr, "%s: -p needs -d and the bridge network: run -d's monitor is the "
				"proxy, and it forwards to the container's bridge address\n",
			PROG);
		return -1;
	}
	for (size_t i = 0; i < o->n_publish; i++)
		if (ports_parse(o->publish[i], &d->rec.ports[i]) < 0)
			return -1;
	d->rec.n_ports = o->n_publish;
	return 0;
}

/* Checks of the flags alone, before the store is touched. */
static int check_options(const struct run_opts *o, struct run_data *d)
{
	struct config *cfg = &d->cfg;
	uint64_t caps;
	int ro, idmap;

	if (check_hostname(o) < 0 ||
	    net_parse(o->network, o->bridge, o->subnet, o->ip, &cfg->network) < 0 ||
	    net_check_dns(o->dns, o->n_dns) < 0 ||
	    userns_parse(o->userns, o->uidmaps, o->n_uidmaps, o->gidmaps, o->n_gidmaps, cfg) < 0 ||
	    parse_user_spec(o->user, &cfg->process) < 0 ||
	    compute_caps(o, &caps) < 0 || check_detach(o, d) < 0)
		return -1;
	cfg->process.caps = (struct capabilities){
		.bounding = caps, .effective = caps, .permitted = caps};
	if (o->workdir && o->workdir[0] != '/') {
		fprintf(stderr, "%s: bad --workdir '%s': must be an absolute path\n", PROG,
			o->workdir);
		return -1;
	}
	for (size_t i = 0; i < o->n_volumes; i++) {
		if (parse_volume(o->volumes[i], d->vol_src[i], d->vol_dst[i], &ro, &idmap) < 0)
			return -1;
		if (idmap && !(cfg->linux.namespaces & CLONE_NEWUSER)) {
			fprintf(stderr, "%s: volume '%s': idmap needs --userns remap\n", PROG,
				o->volumes[i]);
			return -1;
		}
	}
	for (size_t i = 0; i < o->n_tmpfs; i++) {
		struct mount_spec m;

		if (parse_tmpfs(o->tmpfs[i], &m, d->tmpfs_dst[i], d->tmpfs_data[i]) < 0)
			return -1;
	}
	return 0;
}

/*
 * /etc/hostname, /etc/hosts, /etc/resolv.conf: the container's own, in
 * the state tmpfs (rootfs.c), with the root's mount point. We write them
 * through the tmpfs's fd; the child sees them in its state directory.
 */
static int write_etc_files(struct run_data *d, const struct run_opts *o)
{
	static const char *const names[] = {"hostname", "hosts", "resolv.conf"};
	static const char *const etc_paths[] = {"/etc/hostname", "/etc/hosts",
						"/etc/resolv.conf"};
	char text[1024], resolv[4096], fs_path[3][64], root[64];

	d->cfg.state_fs = make_state_fs();
	if (d->cfg.state_fs < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (join_path(d->files[i], PATH_MAX, d->ctr.state_dir, names[i]) < 0)
			return -1;
		snprintf(fs_path[i], sizeof(fs_path[i]), "/proc/self/fd/%d/%s", d->cfg.state_fs,
			 names[i]);
	}
	snprintf(root, sizeof(root), "/proc/self/fd/%d/rootfs", d->cfg.state_fs);
	snprintf(d->hosts, sizeof(d->hosts), "%s", fs_path[1]);
	if (make_dir(root, 0755) < 0)
		return -1;
	net_resolv_conf(d->cfg.network.mode == NET_BRIDGE || d->shares_bridge, o->dns, o->n_dns,
			resolv, sizeof(resolv));
	snprintf(text, sizeof(text), "%s\n", d->hostname);
	if (write_file(fs_path[0], text) < 0)
		return -1;
	/* With a bridge, net.c adds the container's address once it has one. */
	snprintf(text, sizeof(text),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (d->cfg.network.mode != NET_BRIDGE)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "127.0.1.1\t%s\n",
			 d->hostname);
	d->cfg.network.hosts_file = d->hosts;
	if (write_file(fs_path[1], text) < 0 || write_file(fs_path[2], resolv) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (add_mount(&d->cfg, etc_paths[i], d->files[i], NULL, 0, NULL) < 0)
			return -1;
		d->cfg.mounts[d->cfg.n_mounts - 1].is_file = 1;
	}
	return 0;
}

/* -v: a missing host directory is created, as Docker does. */
static int add_volumes(struct run_data *d, const struct run_opts *o)
{
	struct stat st;
	int ro, idmap;

	for (size_t i = 0; i < o->n_volumes; i++) {
		parse_volume(o->volumes[i], d->vol_src[i], d->vol_dst[i], &ro, &idmap);
		if (stat(d->vol_src[i], &st) < 0 && make_dirs(d->vol_src[i], 0755) < 0)
			return -1;
		if (stat(d->vol_src[i], &st) < 0 ||
		    add_mount(&d->cfg, d->vol_dst[i], d->vol_src[i], NULL, 0, NULL) < 0)
			return -1;
		d->cfg.mounts[d->cfg.n_mounts - 1].readonly = ro;
		d->cfg.mounts[d->cfg.n_mounts - 1].idmap = idmap;
		d->cfg.mounts[d->cfg.n_mounts - 1].is_file = !S_ISDIR(st.st_mode);
	}
	for (size_t i = 0; i < o->n_tmpfs; i++) {
		struct mount_spec m = {0};

		parse_tmpfs(o->tmpfs[i], &m, d->tmpfs_dst[i], d->tmpfs_data[i]);
		if (add_mount(&d->cfg, d->tmpfs_dst[i], "tmpfs", "tmpfs", m.flags,
			      d->tmpfs_data[i]) < 0)
			return -1;
	}
	return 0;
}

/* The command: CMD, else the image's default; neither is an error. */
static int choose_command(struct run_data *d, const struct run_opts *o)
{
	if (o->cmd[0]) {
		d->cfg.process.args = o->cmd;
		return 0;
	}
	if (d->img.n_cmd) {
		d->cfg.process.args = d->img.cmd;
		return 0;
	}
	fprintf(stderr, "%s: missing command: image %s has no default command\n", PROG,
		d->img.name);
	return -1;
}

/*
 * --network/--pid/--ipc container:REF: a running container's namespace,
 * opened from its PID 1's /proc/PID/ns/ (join.c joins it before the
 * clone). Its PID is checked again once the file is open: a container
 * that ended meanwhile may have left its PID to another process.
 */
static int open_shared(const struct store *s, const struct run_opts *o, struct run_data *d)
{
	struct record r = {0};
	char path[64];
	int ok = 1;

	for (size_t i = 0; i < 3 && ok; i++) {
		if (!o->share[i])
			continue;
		if (record_open(s, o->share[i], &r) < 0)
			return -1;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", r.pid, shareable[i].ns);
		ok = record_alive(&r) &&
		     joins_open(&d->cfg.linux.joins, path, shareable[i].type) == 0 &&
		     record_alive(&r);
		if (!ok)
			fprintf(stderr, "%s: %s container:%s: it is not running\n", PROG,
				shareable[i].flag, o->share[i]);
		if (i == 0)
			d->shares_bridge = r.bridge[0] != 0;
		record_free(&r);
	}
	return ok ? 0 : -1;
}

/* --security-opt seccomp=FILE: compiled before anything is made, so a bad one leaves nothing. */
static int load_seccomp_profile(const struct run_opts *o, struct config *cfg)
{
	char err[256];
	struct json *profile;

	if (!o->seccomp_file || !o->seccomp)
		return 0;
	profile = json_parse_file(o->seccomp_file, err, sizeof(err));
	if (!profile) {
		fprintf(stderr, "%s: seccomp profile %s: %s\n", PROG, o->seccomp_file, err);
		return -1;
	}
	cfg->linux.seccomp_profile = seccomp_compile(profile, o->seccomp_file);
	json_free(profile);
	return cfg->linux.seccomp_profile ? 0 : -1;
}

static int build_config(struct run_data *d, const struct run_opts *o)
{
	struct config *cfg = &d->cfg;

	cfg->state_fs = -1;
	cfg->process.stdout_fd = cfg->process.stderr_fd = -1;
	snprintf(d->hostname, sizeof(d->hostname), "%s", o->hostname ? o->hostname : "");
	if (!o->hostname)
		snprintf(d->hostname, sizeof(d->hostname), "%.12s", d->ctr.id);
	snprintf(d->cwd, sizeof(d->cwd), "%s",
		 o->workdir ? o->workdir : d->img.workdir[0] ? d->img.workdir : "/");
	cfg->hostname = d->hostname;
	cfg->id = d->ctr.id;
	cfg->state_dir = d->ctr.state_dir;
	cfg->remove = o->rm;
	cfg->pid_file = o->pid_file;
	cfg->process.cwd = d->cwd;
	cfg->process.env = d->env;
	cfg->process.terminal = o->tty;
	cfg->process.stdin_open = o->interactive;
	cfg->process.no_new_privileges = o->no_new_privs;
	cfg->process.init = o->init;
	cfg->root.path = d->ctr.rootfs;
	cfg->root.readonly = o->read_only;
	for (size_t i = 0; i < d->img.n_layers; i++)
		cfg->root.layers[i] = d->img.layers[i];
	cfg->root.n_layers = d->img.n_layers;
	cfg->root.upper = d->ctr.upper;
	cfg->root.work = d->ctr.work;
	cfg->root.volatile_upper = o->rm;
	cfg->linux.namespaces |= CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
				CLONE_NEWCGROUP | (cfg->network.mode == NET_HOST ? 0 : CLONE_NEWNET);
	cfg->linux.namespaces &= ~joins_type(&cfg->linux.joins);
	cfg->linux.seccomp = o->seccomp;
	cfg->linux.resources = o->resources;
	cfg->linux.cgroups_path = o->cgroup_parent;
	/* CAP_MKNOD is harmless only where a device policy stops the nodes' use. */
	if (!cgroups_device_policy()) {
		cfg->process.caps.bounding &= ~(1ULL << CAP_MKNOD);
		cfg->process.caps.effective &= ~(1ULL << CAP_MKNOD);
		cfg->process.caps.permitted &= ~(1ULL << CAP_MKNOD);
		narrate("no devices cgroup controller here: CAP_MKNOD dropped [capabilities(7)]");
	}
	add_protected_paths(cfg);
	add_devices(cfg);
	if (overlay_init_layer(&cfg->root, d->init_layer) < 0 || build_env(d, o, cfg->process.uid) < 0 ||
	    add_system_mounts(cfg) < 0 ||
	    write_etc_files(d, o) < 0 || add_volumes(d, o) < 0)
		return -1;
	return 0;
}

/* What ps, inspect and exec will read back: the config file (state.h). */
static int record_config(struct run_data *d, const struct run_opts *o)
{
	struct record *r = &d->rec;
	const struct config *cfg = &d->cfg;

	snprintf(r->id, sizeof(r->id), "%s", d->ctr.id);
	snprintf(r->name, sizeof(r->name), "%s", d->ctr.name);
	snprintf(r->image, sizeof(r->image), "%s", d->img.name);
	snprintf(r->cwd, sizeof(r->cwd), "%s", d->cwd);
	snprintf(r->status, sizeof(r->status), "created");
	r->created = now_ns();
	for (char **a = cfg->process.args; *a; a++)
		if (record_add_string(r->args, &r->n_args, MAX_ARGS, *a) < 0)
			return -1;
	for (char **e = cfg->process.env; *e; e++)
		if (record_add_string(r->env, &r->n_env, MAX_ENV, *e) < 0)
			return -1;
	user_spec_of(&cfg->process, r->user, sizeof(r->user));
	r->caps = cfg->process.caps.bounding;
	r->seccomp = cfg->linux.seccomp;
	r->no_new_privs = cfg->process.no_new_privileges;
	r->tty = o->tty;
	r->detached = o->detach;
	r->userns = !!(cfg->linux.namespaces & CLONE_NEWUSER);
	r->memory = o->resources.memory;
	r->pids_limit = o->resources.pids_limit;
	r->cpu_quota = o->resources.cpu_quota;
	/* run -d: where the monitor's log will be, for logs from the start */
	if (o->detach && join_path(r->log_path, sizeof(r->log_path), d->ctr.layer_dir,
				   "container.log") < 0)
		return -1;
	d->cfg.record = r;
	return config_write(d->ctr.state_dir, r);
}

static void free_env(struct run_data *d)
{
	for (size_t i = 0; i < d->n_env; i++)
		free(d->env[i]);
	d->n_env = 0;
}

/* ---- run -d ---- */

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
	return fd;
}

/*
 * What the monitor needs before the fork: the log, the pipes CMD will
 * write into, and a socketpair on which it tells us how the start went
 * (send(2) with MSG_NOSIGNAL: a caller gone by then is no reason to die).
 */
static int prepare_detached(const struct store *s, struct run_data *d, int ready[2])
{
	struct detached *det = &d->det;
	char path[PATH_MAX];
	int out[2], err[2];

	det->log_fd = open_log(d->rec.log_path);
	if (join_path(path, sizeof(path), d->ctr.layer_dir, "monitor.log") < 0)
		return -1;
	det->own_log_fd = open_log(path);
	if (det->log_fd < 0 || det->own_log_fd < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ready) < 0) {
		fprintf(stderr, "%s: socketpair: %m\n", PROG);
		return -1;
	}
	det->ready_fd = ready[1];
	det->store_root = s->root;
	det->exec_root = s->exec_root;
	d->cfg.detached = det;
	/* With -t the pty's master is the output, once the child has sent it (container.c). */
	det->out_fd = det->err_fd = -1;
	if (d->cfg.process.terminal)
		return 0;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %m\n", PROG);
		return -1;
	}
	det->out_fd = out[0];
	det->err_fd = err[0];
	d->cfg.process.stdout_fd = out[1];
	d->cfg.process.stderr_fd = err[1];
	return 0;
}

/* -p: bound before the container exists, so a port in use leaves nothing behind. */
static int bind_ports(struct run_data *d)
{
	for (size_t i = 0; i < d->rec.n_ports; i++) {
		d->det.listen_fds[i] = ports_bind(&d->rec.ports[i]);
		if (d->det.listen_fds[i] < 0)
			return -1;
		d->det.ctr_ports[i] = d->rec.ports[i].ctr_port;
		d->det.n_ports = i + 1;
	}
	return 0;
}

/*
 * The caller's side: wait for the monitor's word. 0: the container runs,
 * print its id. Anything else, or silence (the monitor died): it has
 * cleaned up by the time it exits, which we wait for.
 */
static int wait_until_started(struct run_data *d, pid_t monitor, int ready_fd)
{
	int code = EXIT_TOOL, status;
	ssize_t n;

	do
		n = recv(ready_fd, &code, sizeof(code), MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	close(ready_fd);
	if (n == (ssize_t)sizeof(code) && code == 0) {
		printf("%s\n", d->ctr.id);
		return 0;
	}
	while (waitpid(monitor, &status, 0) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof(code) && code ? code : EXIT_TOOL;
}

/*
 * fork(2): the child becomes the monitor, in a session of its own
 * (setsid(2): no terminal, so no Ctrl-C of the caller's reaches it), and
 * the owner of the container from now on. Returns the monitor's PID in
 * the caller, 0 in the monitor.
 */
static pid_t fork_monitor(struct run_data *d, int ready[2], int rm)
{
	pid_t pid = narrate_fork_prepare() < 0 ? -1 : fork();

	if (pid < 0) {
		fprintf(stderr, "%s: fork: %m\n", PROG);
		narrate_fork_done(pid);
		return -1;
	}
	if (pid > 0) {
		narrate("fork() = %d: the monitor of container %.12s [fork(2)]", pid, d->ctr.id);
		narrate_fork_done(pid);
		close(ready[1]);
		return pid;
	}
	narrate_forked("monitor");
	close(ready[0]);
	if (setsid() < 0 || container_set_owner(&d->ctr, rm) < 0) {
		fprintf(stderr, "%s: setsid: %m\n", PROG);
		monitor_ready(&d->cfg, EXIT_TOOL);
		return -2;
	}
	return 0;
}

int cmd_run(const struct store *s, int argc, char **argv)
{
	static struct run_data d;
	struct run_opts o = {0};
	int status = EXIT_TOOL, ready[2] = {-1, -1};
	pid_t monitor = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: run needs root (chapter 7's userns runs without it)\n", PROG);
		return EXIT_TOOL;
	}
	if (parse_run_args(argc, argv, &o) < 0 || check_options(&o, &d) < 0 ||
	    load_seccomp_profile(&o, &d.cfg) < 0)
		return EXIT_TOOL;
	if (open_shared(s, &o, &d) < 0 || image_load(s, o.image, &d.img) < 0)
		goto free_profile;
	/* A loaded image's User (image-archive.c) when -u does not say. */
	if (!o.user && d.img.user[0] &&
	    parse_user_spec(d.img.user, &d.cfg.process) < 0)
		goto free_image;
	if (choose_command(&d, &o) < 0 || bind_ports(&d) < 0)
		goto free_image;
	if (container_create(s, o.name, o.rm, &d.ctr) < 0)
		goto free_image;
	fault_point("run-after-create");
	/* Without --rm the exited container stays, as Docker keeps it. */
	if (build_config(&d, &o) < 0 || record_config(&d, &o) < 0 ||
	    (o.detach && (prepare_detached(s, &d, ready) < 0 || cgroups_plan(&d.cfg) < 0 ||
			  (monitor = fork_monitor(&d, ready, o.rm)) < 0)))
		o.rm = 1;
	else if (monitor > 0)
		status = wait_until_started(&d, monitor, ready[0]);
	else
		status = container_run(&d.cfg);
	/* run -d planned before its fork, so a move into a leaf (cgroups.c) took the
	 * monitor along: back, unless the container still needs it */
	if (o.detach)
		cgroups_return();
	/* One that never started is half-made: it goes, --rm or not. */
	if (!d.rec.started)
		o.rm = 1;
	/* The caller of run -d leaves the container to its monitor. */
	if (o.rm && monitor <= 0)
		container_destroy(s, &d.ctr);
	if (d.cfg.state_fs >= 0)
		close(d.cfg.state_fs);
	record_free(&d.rec);
	free_env(&d);
free_image:
	image_free(&d.img);
free_profile:
	free(d.cfg.linux.seccomp_profile);
	joins_close(&d.cfg.linux.joins);
	return status;
}
