/*
 * oci-config.c: an OCI bundle's config.json (the runtime-spec) becomes the
 * core's struct config, and `spec` writes a default one.
 *
 * Every field is checked before anything is created, with one error line
 * naming the field. What minidock does not do falls in two kinds: fields
 * whose absence cannot weaken the container (an AppArmor profile, sysctls,
 * annotations...) are skipped with a warning; fields that would leave it
 * less isolated than asked if skipped (hooks, limits we cannot apply) are
 * an error, and so is a mount namespace joined by path (join.c). Paths
 * inside the bundle (root.path, a relative bind source) must stay inside
 * it once symlinks are resolved.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minidock.h"
#include "oci.h"

/* ---- typed access, one error line naming the field ---- */

static void field_error(const char *field, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void field_error(const char *field, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* Names from the file may hold control characters: the error stays one line. */
	for (char *c = what; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	fprintf(stderr, "%s: config.json: %s: %s\n", PROG, field, what);
}

int oci_warnings = 1;
int oci_systemd_cgroup;

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (!oci_warnings)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: warning: %s\n", PROG, what);
}

static void warn_ignored(const char *field, const char *why)
{
	warn("config.json: %s is not supported, ignored (%s)", field, why);
}

/* The member KEY of OBJ if it has TYPE; absent is NULL; another type is an error. */
static int member(const struct json *obj, const char *key, enum json_type type,
		  const char *field, const struct json **out)
{
	const struct json *j = json_get(obj, key);

	*out = NULL;
	if (!j || j->type == JSON_NULL)
		return 0;
	if (j->type != type) {
		field_error(field, "want %s, got %s", json_type_name(type), json_type_name(j->type));
		return -1;
	}
	*out = j;
	return 0;
}

static int get_string(const struct json *obj, const char *key, const char *field,
		      const char **out)
{
	const struct json *j;

	if (member(obj, key, JSON_STRING, field, &j) < 0)
		return -1;
	*out = j ? j->str : NULL;
	return 0;
}

static int get_bool(const struct json *obj, const char *key, const char *field, int *out)
{
	const struct json *j;

	if (member(obj, key, JSON_BOOL, field, &j) < 0)
		return -1;
	if (j)
		*out = j->boolean;
	return 0;
}

/* An integer in [min, max]; absent leaves *out. */
static int get_int(const struct json *obj, const char *key, const char *field, long long min,
		   long long max, long long *out)
{
	const struct json *j;

	if (member(obj, key, JSON_NUMBER, field, &j) < 0)
		return -1;
	if (!j)
		return 0;
	if (!j->integer || j->ival < min || j->ival > max) {
		field_error(field, "want a whole number from %lld to %lld", min, max);
		return -1;
	}
	*out = j->ival;
	return 0;
}

/* An array whose elements are all strings. */
static int get_strings(const struct json *obj, const char *key, const char *field,
		       const struct json **out)
{
	if (member(obj, key, JSON_ARRAY, field, out) < 0)
		return -1;
	for (const struct json *e = *out ? (*out)->child : NULL; e; e = e->next) {
		if (e->type != JSON_STRING) {
			field_error(field, "want an array of strings, found %s",
				    json_type_name(e->type));
			return -1;
		}
	}
	return 0;
}

/* Members we know to be harmless when skipped: a warning each. */
/*
 * Does a member ask for anything? Engines send zero values for what they
 * do not use (Docker: "blockIO": {"weight": 0}, "disableOOMKiller": false,
 * "cpus": ""): null, false, 0, "", and arrays and objects of only those ask
 * for nothing (the reader bounds the nesting, so the recursion too).
 */
static int is_set(const struct json *j)
{
	if (!j)
		return 0;
	switch (j->type) {
	case JSON_NULL:
		return 0;
	case JSON_BOOL:
		return j->boolean;
	case JSON_NUMBER:
		return j->num != 0;
	case JSON_STRING:
		return j->str[0] != 0;
	default:
		for (const struct json *c = j->child; c; c = c->next)
			if (is_set(c))
				return 1;
		return 0;
	}
}

/*
 * Set members of obj named in keys that minidock does not apply: a
 * warning each (WARN), or the first is an error (REFUSE: skipping it
 * would weaken the container).
 */
enum unsupported { WARN, REFUSE };
static int check_unsupported(const struct json *obj, const char *prefix, const char *const *keys,
			     enum unsupported what, const char *why)
{
	char field[128];

	for (const char *const *k = keys; *k; k++) {
		if (!is_set(json_get(obj, *k)))
			continue;
		snprintf(field, sizeof(field), "%s%s", prefix, *k);
		if (what == WARN) {
			warn_ignored(field, why);
			continue;
		}
		field_error(field, "not supported, and ignoring it would weaken the container (%s)",
			    why);
		return -1;
	}
	return 0;
}

/* ---- paths in the bundle ---- */

/*
 * PATH relative to the bundle, resolved with its symlinks (realpath(3)):
 * it must still be inside the bundle. An absolute PATH is taken as the
 * engine gave it (Docker's root is its own graph driver's directory).
 */
static int bundle_path(const struct oci_bundle *b, const char *path, const char *field,
		       char out[PATH_MAX])
{
	char joined[PATH_MAX * 2];
	size_t n = strlen(b->dir);

	if (path[0] == '/')
		snprintf(joined, sizeof(joined), "%s", path);
	else
		snprintf(joined, sizeof(joined), "%s/%s", b->dir, path);
	if (!realpath(joined, out)) {
		field_error(field, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (path[0] != '/' && (strncmp(out, b->dir, n) || (out[n] && out[n] != '/'))) {
		field_error(field, "%s leads out of the bundle (to %s)", path, out);
		return -1;
	}
	return 0;
}

/* ---- process ---- */

static int copy_strings(const struct json *array, char **out, size_t max, const char *field)
{
	size_t n = 0;

	for (const struct json *e = array ? array->child : NULL; e; e = e->next) {
		if (n >= max) {
			field_error(field, "more than %zu entries", max);
			return -1;
		}
		out[n++] = e->str;
	}
	out[n] = NULL;
	return 0;
}

static int read_capability_set(const struct json *caps, const char *key, uint64_t *set)
{
	const struct json *names;
	char field[64];
	int cap;

	snprintf(field, sizeof(field), "process.capabilities.%s", key);
	*set = 0;
	if (get_strings(caps, key, field, &names) < 0)
		return -1;
	for (const struct json *e = names ? names->child : NULL; e; e = e->next) {
		cap = parse_capability(e->str);
		/* A name this table lacks (a newer kernel's): not granting it is the safe side. */
		if (cap < 0 || cap == 64) {
			warn("config.json: %s: unknown capability %s, not granted", field, e->str);
			continue;
		}
		*set |= 1ULL << cap;
	}
	return 0;
}

static int read_capabilities(const struct json *process, struct capabilities *c)
{
	const struct json *caps;

	if (member(process, "capabilities", JSON_OBJECT, "process.capabilities", &caps) < 0)
		return -1;
	if (read_capability_set(caps, "bounding", &c->bounding) < 0 ||
	    read_capability_set(caps, "effective", &c->effective) < 0 ||
	    read_capability_set(caps, "permitted", &c->permitted) < 0 ||
	    read_capability_set(caps, "inheritable", &c->inheritable) < 0 ||
	    read_capability_set(caps, "ambient", &c->ambient) < 0)
		return -1;
	if (c->ambient)
		warn_ignored("process.capabilities.ambient",
			     "the core clears the ambient set: fewer capabilities, not more");
	return 0;
}

static int rlimit_number(const char *name)
{
	static const struct {
		const char *name;
		int resource;
	} names[] = {
		{"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},
		{"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_DATA", RLIMIT_DATA},
		{"RLIMIT_FSIZE", RLIMIT_FSIZE},   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
		{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
		{"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
		{"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_RSS", RLIMIT_RSS},
		{"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
		{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			return names[i].resource;
	return -1;
}

static int read_rlimits(const struct json *process, struct oci_runtime *rt)
{
	const struct json *list;
	const char *type;
	long long soft = 0, hard = 0;

	if (member(process, "rlimits", JSON_ARRAY, "process.rlimits", &list) < 0)
		return -1;
	for (const struct json *e = list ? list->child : NULL; e; e = e->next) {
		if (e->type != JSON_OBJECT) {
			field_error("process.rlimits", "want objects, found %s",
				    json_type_name(e->type));
			return -1;
		}
		if (get_string(e, "type", "process.rlimits[].type", &type) < 0 ||
		    get_int(e, "soft", "process.rlimits[].soft", 0, LLONG_MAX, &soft) < 0 ||
		    get_int(e, "hard", "process.rlimits[].hard", 0, LLONG_MAX, &hard) < 0)
			return -1;
		if (!type || rlimit_number(type) < 0 || soft > hard || rt->n_rlimits >= MAX_RLIMITS) {
			field_error("process.rlimits", "bad entry %s (want a known RLIMIT_* "
				    "with soft <= hard)", type ? type : "without a type");
			return -1;
		}
		rt->rlimits[rt->n_rlimits++] = (struct oci_rlimit){
			rlimit_number(type), {(rlim_t)soft, (rlim_t)hard}};
	}
	return 0;
}

static int read_user(const struct json *process, struct oci_bundle *b)
{
	const struct json *user, *gids;
	long long uid = 0, gid = 0, mask = -1;

	if (member(process, "user", JSON_OBJECT, "process.user", &user) < 0 ||
	    get_int(user, "uid", "process.user.uid", 0, UINT32_MAX - 1, &uid) < 0 ||
	    get_int(user, "gid", "process.user.gid", 0, UINT32_MAX - 1, &gid) < 0 ||
	    get_int(user, "umask", "process.user.umask", 0, 0777, &mask) < 0 ||
	    member(user, "additionalGids", JSON_ARRAY, "process.user.additionalGids", &gids) < 0)
		return -1;
	for (const struct json *g = gids ? gids->child : NULL; g; g = g->next) {
		struct process *p = &b->cfg.process;

		if (g->type != JSON_NUMBER || !g->integer || g->ival < 0 ||
		    g->ival > UINT32_MAX - 1 || p->n_groups >= MAX_GROUPS) {
			field_error("process.user.additionalGids", "want at most %d gids", MAX_GROUPS);
			return -1;
		}
		p->groups[p->n_groups++] = (gid_t)g->ival;
	}
	b->cfg.process.uid = (uid_t)uid;
	b->cfg.process.gid = (gid_t)gid;
	b->rt.has_umask = mask >= 0;
	b->rt.umask = (mode_t)(mask >= 0 ? mask : 0);
	return 0;
}

static int read_process(const struct json *process, struct oci_bundle *b)
{
	static const char *const harmless[] = {"apparmorProfile", "selinuxLabel", "consoleSize",
					       "ioPriority", "scheduler", NULL};
	struct process *p = &b->cfg.process;
	const struct json *args, *env;
	const char *cwd = NULL;
	long long oom = 0;

	if (!process || process->type != JSON_OBJECT) {
		field_error("process", "missing, or not an object");
		return -1;
	}
	if (get_strings(process, "args", "process.args", &args) < 0 ||
	    get_strings(process, "env", "process.env", &env) < 0 ||
	    get_string(process, "cwd", "process.cwd", &cwd) < 0 ||
	    get_bool(process, "terminal", "process.terminal", &p->terminal) < 0 ||
	    get_bool(process, "noNewPrivileges", "process.noNewPrivileges",
		     &p->no_new_privileges) < 0 ||
	    get_int(process, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &oom) < 0)
		return -1;
	if (!args || !args->child) {
		field_error("process.args", "missing or empty: nothing to run");
		return -1;
	}
	if (!cwd || cwd[0] != '/' || strlen(cwd) >= PATH_MAX) {
		field_error("process.cwd", "want an absolute path");
		return -1;
	}
	snprintf(b->cwd, sizeof(b->cwd), "%s", cwd);
	b->rt.has_oom_score_adj = json_get(process, "oomScoreAdj") != NULL;
	b->rt.oom_score_adj = (int)oom;
	if (copy_strings(args, b->args, MAX_ARGS, "process.args") < 0 ||
	    copy_strings(env, b->env, MAX_ENV, "process.env") < 0 || read_user(process, b) < 0 ||
	    read_capabilities(process, &p->caps) < 0 || read_rlimits(process, &b->rt) < 0)
		return -1;
	check_unsupported(process, "process.", harmless, WARN, "no such mechanism in minidock");
	p->args = b->args;
	p->env = b->env;
	p->cwd = b->cwd;
	p->stdin_open = 1; /* the engine's stdin, as given */
	p->stdout_fd = p->stderr_fd = -1;
	return 0;
}

/* ---- root, hostname, mounts ---- */

static int read_root(const struct json *root, struct oci_bundle *b)
{
	const struct json *r;
	const char *path = NULL;

	if (member(root, "root", JSON_OBJECT, "root", &r) < 0 ||
	    get_string(r, "path", "root.path", &path) < 0 ||
	    get_bool(r, "readonly", "root.readonly", &b->cfg.root.readonly) < 0)
		return -1;
	if (!path || !path[0]) {
		field_error("root.path", "missing");
		return -1;
	}
	if (bundle_path(b, path, "root.path", b->rootfs) < 0)
		return -1;
	if (!strcmp(b->rootfs, "/")) {
		field_error("root.path", "the host's / cannot be a container's root");
		return -1;
	}
	b->cfg.root.path = b->rootfs;
	return 0;
}

/* mount(8)'s option words: flags to set or clear; the rest is the filesystem's data. */
static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{"ro", MS_RDONLY, 0},          {"rw", 0, MS_RDONLY},
	{"nosuid", MS_NOSUID, 0},      {"suid", 0, MS_NOSUID},
	{"nodev", MS_NODEV, 0},        {"dev", 0, MS_NODEV},
	{"noexec", MS_NOEXEC, 0},      {"exec", 0, MS_NOEXEC},
	{"relatime", MS_RELATIME, 0},  {"norelatime", 0, MS_RELATIME},
	{"strictatime", MS_STRICTATIME, 0}, {"noatime", MS_NOATIME, 0},
	{"nodiratime", MS_NODIRATIME, 0}, {"sync", MS_SYNCHRONOUS, 0},
	{"bind", MS_BIND, 0},          {"rbind", MS_BIND | MS_REC, 0},
	/* propagation: the core makes every mount private, the strictest */
	{"private", 0, 0},  {"rprivate", 0, 0}, {"slave", 0, 0},  {"rslave", 0, 0},
	{"shared", 0, 0},   {"rshared", 0, 0},  {"unbindable", 0, 0}, {"runbindable", 0, 0},
};

static int mount_options(const struct json *opts, unsigned long *flags, char *data, size_t len)
{
	size_t used = 0, i;

	*flags = 0;
	data[0] = 0;
	for (const struct json *o = opts ? opts->child : NULL; o; o = o->next) {
		for (i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++)
			if (!strcmp(o->str, mount_flags[i].name))
				break;
		if (i < sizeof(mount_flags) / sizeof(mount_flags[0])) {
			*flags = (*flags | mount_flags[i].set) & ~mount_flags[i].clear;
			continue;
		}
		used += (size_t)snprintf(data + used, used < len ? len - used : 0, "%s%s",
					 used ? "," : "", o->str);
	}
	return used < len ? 0 : -1;
}

static int add_mount(struct oci_bundle *b, const struct json *m, size_t i)
{
	static const char *const types[] = {"proc", "sysfs", "tmpfs", "devpts", "mqueue", NULL};
	struct config *cfg = &b->cfg;
	const struct json *opts;
	const char *dst = NULL, *src = NULL, *type = NULL;
	struct mount_spec *out;
	unsigned long flags;
	struct stat st;
	int known = 0;

	if (get_string(m, "destination", "mounts[].destination", &dst) < 0 ||
	    get_string(m, "source", "mounts[].source", &src) < 0 ||
	    get_string(m, "type", "mounts[].type", &type) < 0 ||
	    get_strings(m, "options", "mounts[].options", &opts) < 0)
		return -1;
	if (!dst || dst[0] != '/' || !strcmp(dst, "/") || strlen(dst) >= PATH_MAX) {
		field_error("mounts[].destination", "want an absolute path other than /, got %s",
			    dst ? dst : "none");
		return -1;
	}
	if (mount_options(opts, &flags, b->data[i], sizeof(b->data[i])) < 0) {
		field_error("mounts[].options", "too long for %s", dst);
		return -1;
	}
	if (type && !strcmp(type, "cgroup")) {
		warn_ignored("mounts[] of type cgroup", "the container sees no cgroup tree");
		return 0;
	}
	for (const char *const *t = types; type && *t; t++)
		known |= !strcmp(type, *t);
	if (!known && !(flags & MS_BIND) && !(type && !strcmp(type, "bind"))) {
		field_error("mounts[].type", "%s on %s: minidock mounts bind, proc, sysfs, tmpfs, "
			    "devpts and mqueue", type ? type : "none", dst);
		return -1;
	}
	if (cfg->n_mounts >= MAX_MOUNTS) {
		field_error("mounts", "more than %d", MAX_MOUNTS);
		return -1;
	}
	out = &cfg->mounts[cfg->n_mounts];
	*out = (struct mount_spec){.destination = dst, .flags = flags & ~(MS_BIND | MS_REC),
				   .data = b->data[i][0] ? b->data[i] : NULL};
	if (known) {
		out->type = type;
		out->source = src ? src : type;
	} else {
		/* A bind: the core binds recursively and remounts read-only with "ro". */
		if (!src || bundle_path(b, src, "mounts[].source", b->sources[i]) < 0) {
			if (!src)
				field_error("mounts[].source", "a bind of %s needs a source", dst);
			return -1;
		}
		/* ro, nosuid, nodev, noexec: the core remounts the bind with them (rootfs.c) */
		out->source = b->sources[i];
		out->readonly = !!(flags & MS_RDONLY);
		out->flags = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
		out->data = NULL;
		out->is_file = stat(b->sources[i], &st) == 0 && !S_ISDIR(st.st_mode);
	}
	cfg->n_mounts++;
	return 0;
}

static int read_mounts(const struct json *root, struct oci_bundle *b)
{
	const struct json *mounts;
	size_t i = 0;

	if (member(root, "mounts", JSON_ARRAY, "mounts", &mounts) < 0)
		return -1;
	if (json_count(mounts) > MAX_MOUNTS) {
		field_error("mounts", "more than %d", MAX_MOUNTS);
		return -1;
	}
	for (const struct json *m = mounts ? mounts->child : NULL; m; m = m->next, i++) {
		if (m->type != JSON_OBJECT) {
			field_error("mounts", "want objects, found %s", json_type_name(m->type));
			return -1;
		}
		if (add_mount(b, m, i) < 0)
			return -1;
	}
	return 0;
}

/* ---- linux ---- */

static int namespace_flag(const char *type)
{
	static const struct {
		const char *name;
		int flag;
	} names[] = {
		{"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
		{"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
		{"cgroup", CLONE_NEWCGROUP},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(type, names[i].name))
			return names[i].flag;
	return -1;
}

/*
 * Each type new, or joined by path (join.c): a pod's namespace, or
 * `--network container:`'s. *USER_PATH: a user namespace was given by path.
 */
static int read_namespaces(const struct json *linux, struct config *cfg, int *user_path)
{
	const struct json *list;
	const char *type, *path;

	if (member(linux, "namespaces", JSON_ARRAY, "linux.namespaces", &list) < 0)
		return -1;
	for (const struct json *e = list ? list->child : NULL; e; e = e->next) {
		if (e->type != JSON_OBJECT) {
			field_error("linux.namespaces", "want objects, found %s",
				    json_type_name(e->type));
			return -1;
		}
		if (get_string(e, "type", "linux.namespaces[].type", &type) < 0 ||
		    get_string(e, "path", "linux.namespaces[].path", &path) < 0)
			return -1;
		if (!type || namespace_flag(type) < 0) {
			field_error("linux.namespaces[].type", "unknown namespace %s",
				    type ? type : "(none)");
			return -1;
		}
		if (path) {
			if (joins_open(&cfg->linux.joins, path, namespace_flag(type)) < 0)
				return -1;
			*user_path |= namespace_flag(type) == CLONE_NEWUSER;
			continue;
		}
		cfg->linux.namespaces |= namespace_flag(type);
	}
	if (cfg->linux.namespaces & joins_type(&cfg->linux.joins)) {
		field_error("linux.namespaces", "a type both new and joined by path");
		return -1;
	}
	if (!(cfg->linux.namespaces & CLONE_NEWNS)) {
		field_error("linux.namespaces", "a mount namespace is required: minidock builds "
			    "the root inside one");
		return -1;
	}
	cfg->network.mode = cfg->linux.namespaces & CLONE_NEWNET ? NET_NONE : NET_HOST;
	return 0;
}

static int read_id_maps(const struct json *linux, const char *key, struct id_map *maps,
			size_t *n)
{
	const struct json *list;
	long long c = -1, h = -1, s = 0;
	char field[64];

	snprintf(field, sizeof(field), "linux.%s", key);
	if (member(linux, key, JSON_ARRAY, field, &list) < 0)
		return -1;
	for (const struct json *e = list ? list->child : NULL; e; e = e->next) {
		if (e->type != JSON_OBJECT || *n >= MAX_ID_MAPS ||
		    get_int(e, "containerID", field, 0, UINT32_MAX - 1, &c) < 0 ||
		    get_int(e, "hostID", field, 0, UINT32_MAX - 1, &h) < 0 ||
		    get_int(e, "size", field, 1, UINT32_MAX, &s) < 0 || c < 0 || h < 0 || !s) {
			field_error(field, "want at most %d objects with containerID, hostID, size",
				    MAX_ID_MAPS);
			return -1;
		}
		maps[(*n)++] = (struct id_map){(unsigned)c, (unsigned)h, (unsigned)s};
		c = h = -1;
		s = 0;
	}
	return 0;
}

static int read_paths(const struct json *linux, const char *key, const char **out, size_t *n)
{
	const struct json *list;
	char field[64];

	snprintf(field, sizeof(field), "linux.%s", key);
	if (get_strings(linux, key, field, &list) < 0)
		return -1;
	for (const struct json *e = list ? list->child : NULL; e; e = e->next) {
		if (*n >= MAX_PATHS || e->str[0] != '/') {
			field_error(field, "want at most %d absolute paths", MAX_PATHS);
			return -1;
		}
		out[(*n)++] = e->str;
	}
	return 0;
}

static int read_devices(const struct json *linux, struct oci_bundle *b)
{
	const struct json *list;
	const char *path, *type;
	long long major = -1, minor = -1;
	struct config *cfg = &b->cfg;

	if (member(linux, "devices", JSON_ARRAY, "linux.devices", &list) < 0)
		return -1;
	for (const struct json *e = list ? list->child : NULL; e; e = e->next) {
		if (e->type != JSON_OBJECT || get_string(e, "path", "linux.devices[].path", &path) < 0 ||
		    get_string(e, "type", "linux.devices[].type", &type) < 0 ||
		    get_int(e, "major", "linux.devices[].major", 0, 4095, &major) < 0 ||
		    get_int(e, "minor", "linux.devices[].minor", 0, 1048575, &minor) < 0)
			return -1;
		if (!path || strncmp(path, "/dev/", 5) || strstr(path, "..") || strlen(path) >= 64 ||
		    !type || (strcmp(type, "c") && strcmp(type, "b")) || major < 0 || minor < 0 ||
		    cfg->linux.n_devices >= MAX_DEVICES) {
			field_error("linux.devices", "want at most %d entries with a path below /dev/, "
				    "type c or b, major and minor", MAX_DEVICES);
			return -1;
		}
		snprintf(b->devices[cfg->linux.n_devices], 64, "%s", path + 5);
		cfg->linux.devices[cfg->linux.n_devices] = (struct device_spec){
			b->devices[cfg->linux.n_devices], type[0], (unsigned)major, (unsigned)minor};
		cfg->linux.n_devices++;
		major = minor = -1;
	}
	return 0;
}

/* runc's default devices, which every container gets. */
static void add_default_devices(struct config *cfg)
{
	static const struct device_spec defaults[] = {
		{"null", 'c', 1, 3},    {"zero", 'c', 1, 5},    {"full", 'c', 1, 7},
		{"random", 'c', 1, 8},  {"urandom", 'c', 1, 9}, {"tty", 'c', 5, 0},
	};

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		int have = 0;
		for (size_t k = 0; k < cfg->linux.n_devices; k++)
			have |= !strcmp(cfg->linux.devices[k].path, defaults[i].path);
		if (!have && cfg->linux.n_devices < MAX_DEVICES)
			cfg->linux.devices[cfg->linux.n_devices++] = defaults[i];
	}
}

/* Does the core's fixed device policy (cgroups.c, devices.c) let this device be opened? */
static int device_granted(const struct config *cfg, char type, long long major, long long minor)
{
	if (type == 'c' && ((major == 5 && minor == 2) || major == 136))
		return 1; /* /dev/ptmx and the ptys */
	for (size_t i = 0; i < cfg->linux.n_devices; i++) {
		const struct device_spec *d = &cfg->linux.devices[i];
		if (d->type == type && d->major == major && d->minor == minor)
			return 1;
	}
	return 0;
}

/*
 * linux.resources.devices, against the core's policy: deny everything,
 * allow mknod, open only linux.devices and the ptys. An allow beyond it
 * stays denied (a warning: stricter than asked); a deny it cannot express
 * would leave a device open that the engine wanted closed: an error. A
 * deny of a device the policy never opens is harmless even with "m"
 * (Docker's for /dev/fuse, c 10:229 rwm): a node made can still not be opened.
 */
static int check_device_rule(const struct json *rule, int first, const struct config *cfg)
{
	const char *type = "a", *access = "rwm";
	long long major = -1, minor = -1;
	int allow = -1, wildcard;

	if (rule->type != JSON_OBJECT ||
	    get_bool(rule, "allow", "linux.resources.devices[].allow", &allow) < 0 ||
	    get_string(rule, "type", "linux.resources.devices[].type", &type) < 0 ||
	    get_string(rule, "access", "linux.resources.devices[].access", &access) < 0 ||
	    get_int(rule, "major", "linux.resources.devices[].major", -1, 4095, &major) < 0 ||
	    get_int(rule, "minor", "linux.resources.devices[].minor", -1, 1048575, &minor) < 0)
		return -1;
	type = type ? type : "a";
	access = access ? access : "rwm";
	if (allow < 0 || strlen(type) != 1 || !strchr("acb", type[0]) ||
	    strspn(access, "rwm") != strlen(access)) {
		field_error("linux.resources.devices", "want objects with allow, type a|c|b, "
			    "access of r, w, m");
		return -1;
	}
	wildcard = type[0] == 'a' || major < 0 || minor < 0;
	if (!allow && first && type[0] == 'a' && major < 0 && minor < 0)
		return 0; /* the core's own first rule */
	if (!allow && (wildcard || device_granted(cfg, type[0], major, minor))) {
		field_error("linux.resources.devices", "a deny of %s %lld:%lld %s is finer than "
			    "minidock's fixed policy", type, major, minor, access);
		return -1;
	}
	if (allow && strpbrk(access, "rw") && (wildcard || !device_granted(cfg, type[0], major, minor)))
		warn("config.json: linux.resources.devices: %s %lld:%lld %s stays denied (minidock "
		     "opens linux.devices only)", type, major, minor, access);
	return 0;
}

static int read_device_rules(const struct json *linux, const struct config *cfg)
{
	const struct json *res = json_get(linux, "resources"), *rules;

	if (member(res, "devices", JSON_ARRAY, "linux.resources.devices", &rules) < 0)
		return -1;
	for (const struct json *r = rules ? rules->child : NULL; r; r = r->next)
		if (check_device_rule(r, r == rules->child, cfg) < 0)
			return -1;
	return 0;
}

static int read_cpu(const struct json *res, struct resources *r)
{
	static const char *const refused[] = {"cpus", "mems", "realtimeRuntime",
					      "realtimePeriod", "idle", NULL};
	const struct json *cpu;

	if (member(res, "cpu", JSON_OBJECT, "linux.resources.cpu", &cpu) < 0 ||
	    check_unsupported(cpu, "linux.resources.cpu.", refused, REFUSE,
			      "a limit minidock cannot apply"))
		return -1;
	if (get_int(cpu, "quota", "linux.resources.cpu.quota", -1, LLONG_MAX, &r->cpu_quota) < 0 ||
	    get_int(cpu, "period", "linux.resources.cpu.period", 0, 1000000, &r->cpu_period) < 0 ||
	    get_int(cpu, "shares", "linux.resources.cpu.shares", 0, 262144, &r->cpu_shares) < 0)
		return -1;
	if (r->cpu_quota < 0)
		r->cpu_quota = 0;
	if (r->cpu_quota && !r->cpu_period)
		r->cpu_period = CPU_PERIOD_US;
	if (r->cpu_shares == 1)
		r->cpu_shares = 2;
	return 0;
}

static int read_resources_object(const struct json *res, struct resources *r)
{
	static const char *const refused[] = {"blockIO", "hugepageLimits", "rdma", "unified",
					      "network", NULL};
	static const char *const mem_refused[] = {"kernel", "kernelTCP", "disableOOMKiller",
						  NULL};
	const struct json *mem, *pids;

	if (check_unsupported(res, "linux.resources.", refused, REFUSE,
			      "a limit minidock cannot apply") ||
	    member(res, "memory", JSON_OBJECT, "linux.resources.memory", &mem) < 0 ||
	    check_unsupported(mem, "linux.resources.memory.", mem_refused, REFUSE,
			      "a limit minidock cannot apply") ||
	    member(res, "pids", JSON_OBJECT, "linux.resources.pids", &pids) < 0 ||
	    get_int(mem, "limit", "linux.resources.memory.limit", -1, LLONG_MAX, &r->memory) < 0 ||
	    get_int(pids, "limit", "linux.resources.pids.limit", -1, INT32_MAX, &r->pids_limit) < 0 ||
	    read_cpu(res, r) < 0)
		return -1;
	/* -1 and 0: unlimited, as runc reads them. The swap limit: the core allows none. */
	if (r->memory < 0)
		r->memory = 0;
	if (r->pids_limit < 0)
		r->pids_limit = 0;
	return 0;
}

static int read_resources(const struct json *linux, struct config *cfg)
{
	const struct json *res;

	return member(linux, "resources", JSON_OBJECT, "linux.resources", &res) < 0
		       ? -1
		       : read_resources_object(res, &cfg->linux.resources);
}

/*
 * linux.cgroupsPath names the container's cgroup. Engines write it from a
 * hierarchy's root ("/docker/ID"); minidock keeps every cgroup beneath
 * minidock/ in the caller's own cgroup, so the path is followed from
 * there. No component may be empty, "." or "..": the path cannot climb out.
 */
static int add_cgroup_level(struct config *cfg, const char *name, size_t n)
{
	char *out = cfg->linux.cgroup_name;
	size_t len = strlen(out);

	if ((n == 1 && name[0] == '.') || (n == 2 && !strncmp(name, "..", 2))) {
		field_error("linux.cgroupsPath", "\".\" and \"..\" may not name a cgroup");
		return -1;
	}
	if (snprintf(out + len, sizeof(cfg->linux.cgroup_name) - len, "%s%.*s", len ? "/" : "",
		     (int)n, name) >= (int)(sizeof(cfg->linux.cgroup_name) - len)) {
		field_error("linux.cgroupsPath", "too long");
		return -1;
	}
	return 0;
}

static int plain_cgroup_name(const char *path, struct config *cfg)
{
	size_t n;

	for (const char *s = path + strspn(path, "/"); *s; s += n + strspn(s + n, "/")) {
		n = strcspn(s, "/");
		if (add_cgroup_level(cfg, s, n) < 0)
			return -1;
	}
	if (!cfg->linux.cgroup_name[0]) {
		field_error("linux.cgroupsPath", "\"%s\" names no cgroup", path);
		return -1;
	}
	return 0;
}

static int ends_with_slice(const char *s)
{
	size_t n = strlen(s);

	return n > strlen(".slice") && !strcmp(s + n - strlen(".slice"), ".slice");
}

/* "a-b.slice" lives inside a.slice: each dash names a parent slice (systemd.slice(5)). */
static int add_slices(struct config *cfg, const char *slice)
{
	char parent[NAME_MAX + 1];
	size_t end = strlen(slice) - strlen(".slice");

	for (size_t i = 1; i <= end; i++) {
		if (i < end && slice[i] != '-')
			continue;
		snprintf(parent, sizeof(parent), "%.*s.slice", (int)i, slice);
		if (add_cgroup_level(cfg, parent, strlen(parent)) < 0)
			return -1;
	}
	return 0;
}

/*
 * With --systemd-cgroup, "SLICE:PREFIX:NAME" is the place systemd would
 * make: the slice (its parents first; "-.slice" is the root), then the
 * container's scope unit, PREFIX-NAME.scope.
 */
static int systemd_cgroup_name(const char *spec, struct config *cfg)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char slice[NAME_MAX + 1] = "", unit[2 * NAME_MAX + 16];
	int ok = c2 && !strchr(c2 + 1, ':') && !strchr(spec, '/') && c2[1] &&
		 c1 - spec <= NAME_MAX && c2 - c1 <= NAME_MAX && strlen(c2 + 1) <= NAME_MAX;

	if (ok)
		snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - spec), spec);
	if (!ok || (slice[0] && !ends_with_slice(slice))) {
		field_error("linux.cgroupsPath", "with --systemd-cgroup, want SLICE:PREFIX:NAME "
			    "(SLICE ending in .slice, no '/'), got \"%s\"", spec);
		return -1;
	}
	if (slice[0] && strcmp(slice, "-.slice") && add_slices(cfg, slice) < 0)
		return -1;
	if (ends_with_slice(c2 + 1))
		snprintf(unit, sizeof(unit), "%s", c2 + 1);
	else
		snprintf(unit, sizeof(unit), "%.*s%s%s.scope", (int)(c2 - c1 - 1), c1 + 1,
			 c2 > c1 + 1 ? "-" : "", c2 + 1);
	return add_cgroup_level(cfg, unit, strlen(unit));
}

static int read_linux(const struct json *root, struct oci_bundle *b)
{
	static const char *const harmless[] = {"sysctl", "mountLabel", "intelRdt", "personality",
					       "timeOffsets", "rootfsPropagation", NULL};
	struct config *cfg = &b->cfg;
	const struct json *linux, *seccomp;
	const char *cgroups_path = NULL;
	int user_path = 0;

	if (member(root, "linux", JSON_OBJECT, "linux", &linux) < 0)
		return -1;
	if (!linux) {
		field_error("linux", "missing: minidock runs Linux containers only");
		return -1;
	}
	if (read_namespaces(linux, cfg, &user_path) < 0 ||
	    read_id_maps(linux, "uidMappings", cfg->linux.uid_maps, &cfg->linux.n_uid_maps) < 0 ||
	    read_id_maps(linux, "gidMappings", cfg->linux.gid_maps, &cfg->linux.n_gid_maps) < 0 ||
	    read_paths(linux, "maskedPaths", cfg->linux.masked_paths, &cfg->linux.n_masked) < 0 ||
	    read_paths(linux, "readonlyPaths", cfg->linux.readonly_paths,
		       &cfg->linux.n_readonly) < 0 ||
	    read_devices(linux, b) < 0 || read_resources(linux, cfg) < 0 ||
	    member(linux, "seccomp", JSON_OBJECT, "linux.seccomp", &seccomp) < 0 ||
	    get_string(linux, "cgroupsPath", "linux.cgroupsPath", &cgroups_path) < 0)
		return -1;
	/*
	 * A user namespace by path has its maps; ours (the host's, for one)
	 * are checked here, another's by the process that joins it (container.c).
	 */
	if (user_path && joins_fd(&cfg->linux.joins, CLONE_NEWUSER) < 0 &&
	    userns_maps_match(cfg) < 0)
		return -1;
	if (!user_path && (!!(cfg->linux.namespaces & CLONE_NEWUSER) != !!cfg->linux.n_uid_maps ||
			   !cfg->linux.n_uid_maps != !cfg->linux.n_gid_maps)) {
		field_error("linux.uidMappings", "a user namespace needs both uid and gid "
			    "mappings, and mappings need a user namespace");
		return -1;
	}
	cfg->linux.seccomp = seccomp != NULL;
	if (seccomp &&
	    !(cfg->linux.seccomp_profile = seccomp_compile(seccomp, "config.json: linux.seccomp")))
		return -1;
	if (cgroups_path && (oci_systemd_cgroup ? systemd_cgroup_name(cgroups_path, cfg)
						: plain_cgroup_name(cgroups_path, cfg)) < 0)
		return -1;
	check_unsupported(linux, "linux.", harmless, WARN, "no such mechanism in minidock");
	add_default_devices(cfg);
	return read_device_rules(linux, cfg);
}

/*
 * CAP_MKNOD is harmless only where a device policy stops the nodes' use
 * (as run.c decides for minidock's own containers).
 */
static void drop_mknod_without_policy(struct capabilities *c)
{
	const uint64_t mknod = 1ULL << 27; /* CAP_MKNOD, capabilities(7) */

	if (cgroups_device_policy())
		return;
	c->bounding &= ~mknod;
	c->effective &= ~mknod;
	c->permitted &= ~mknod;
	c->inheritable &= ~mknod;
}

int oci_bundle_load(const char *dir, struct oci_bundle *b)
{
	char path[PATH_MAX + 16], err[256];
	const struct json *version;
	const char *hostname = NULL;

	memset(b, 0, sizeof(*b));
	b->rt.fifo_fd = b->rt.console_fd = b->rt.tty_master = -1;
	b->cfg.state_fs = -1;
	if (!realpath(dir, b->dir)) {
		fprintf(stderr, "%s: bundle %s: %m\n", PROG, dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	b->json = json_parse_file(path, err, sizeof(err));
	if (!b->json) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, err);
		return -1;
	}
	if (b->json->type != JSON_OBJECT) {
		fprintf(stderr, "%s: %s: want an object, got %s\n", PROG, path,
			json_type_name(b->json->type));
		return -1;
	}
	if (member(b->json, "ociVersion", JSON_STRING, "ociVersion", &version) < 0 ||
	    get_string(b->json, "hostname", "hostname", &hostname) < 0 ||
	    read_process(json_get(b->json, "process"), b) < 0 || read_root(b->json, b) < 0 ||
	    read_mounts(b->json, b) < 0 || read_linux(b->json, b) < 0 ||
	    oci_check_hooks(json_get(b->json, "hooks")) < 0)
		return -1;
	b->rt.hooks = json_get(b->json, "hooks");
	if (hostname && (strlen(hostname) > HOST_NAME_MAX ||
			 !(b->cfg.linux.namespaces & CLONE_NEWUTS))) {
		field_error("hostname", "needs a uts namespace and at most %d bytes",
			    HOST_NAME_MAX);
		return -1;
	}
	b->cfg.hostname = hostname && hostname[0] ? hostname : NULL;
	drop_mknod_without_policy(&b->cfg.process.caps);
	b->cfg.oci = &b->rt;
	return 0;
}

/* A file of one JSON object, checked as config.json is. */
static struct json *read_object_file(const char *path)
{
	char err[256];
	struct json *j = json_parse_file(path, err, sizeof(err));

	if (!j) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, err);
		return NULL;
	}
	if (j->type != JSON_OBJECT) {
		fprintf(stderr, "%s: %s: want an object, got %s\n", PROG, path,
			json_type_name(j->type));
		json_free(j);
		return NULL;
	}
	return j;
}

/* exec --process FILE: the process object replaces the bundle's; the tree stays with b. */
int oci_read_process_file(const char *path, struct oci_bundle *b)
{
	struct json *j = read_object_file(path);
	struct process *p = &b->cfg.process;
	uint64_t bounding = p->caps.bounding;

	if (!j)
		return -1;
	json_free(b->process_json);
	b->process_json = j;
	memset(p, 0, sizeof(*p));
	b->rt.n_rlimits = 0;
	if (read_process(j, b) < 0)
		return -1;
	/* Never more than the container itself may hold. */
	p->caps.bounding &= bounding;
	p->caps.effective &= bounding;
	p->caps.permitted &= bounding;
	p->caps.inheritable &= bounding;
	drop_mknod_without_policy(&p->caps);
	return 0;
}

/* update --resources FILE: a linux.resources object. */
int oci_read_resources_file(const char *path, struct resources *r)
{
	struct json *j = read_object_file(path);
	int ret;

	if (!j)
		return -1;
	memset(r, 0, sizeof(*r));
	ret = read_resources_object(j, r);
	json_free(j);
	return ret;
}

void oci_bundle_free(struct oci_bundle *b)
{
	joins_close(&b->cfg.linux.joins);
	json_free(b->json);
	json_free(b->process_json);
	b->json = b->process_json = NULL;
	free(b->cfg.linux.seccomp_profile);
	b->cfg.linux.seccomp_profile = NULL;
}

/* ---- spec ---- */

/* runc spec's defaults, in minidock's words: sh on a terminal, a read-only root. */
static const char default_spec[] =
	"{\n"
	"  \"ociVersion\": \"1.0.2\",\n"
	"  \"process\": {\n"
	"    \"terminal\": true,\n"
	"    \"user\": {\"uid\": 0, \"gid\": 0},\n"
	"    \"args\": [\"sh\"],\n"
	"    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", "
	"\"TERM=xterm\"],\n"
	"    \"cwd\": \"/\",\n"
	"    \"capabilities\": {\n"
	"      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
	"      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
	"      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
	"      \"ambient\": []\n"
	"    },\n"
	"    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
	"    \"noNewPrivileges\": true\n"
	"  },\n"
	"  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
	"  \"hostname\": \"minidock\",\n"
	"  \"mounts\": [\n"
	"    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	"    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
	"     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
	"\"mode=0620\", \"gid=5\"]},\n"
	"    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
	"    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
	"    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}\n"
	"  ],\n"
	"  \"linux\": {\n"
	"    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
	"    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},\n"
	"                   {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
	"    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\",\n"
	"                    \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\",\n"
	"                    \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],\n"
	"    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\",\n"
	"                      \"/proc/sysrq-trigger\"]\n"
	"  }\n"
	"}\n";

/* `spec`: config.json in DIR, never over an existing one (O_EXCL). */
int oci_write_spec(const char *dir)
{
	char path[PATH_MAX];
	size_t len = sizeof(default_spec) - 1;
	int fd;

	if (join_path(path, sizeof(path), dir, "config.json") < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: create %s: %m%s\n", PROG, path,
			errno == EEXIST ? " (remove it first)" : "");
		return -1;
	}
	if (write(fd, default_spec, len) != (ssize_t)len || close(fd) < 0) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* "KILL", "SIGKILL", "9": the number; -1 if none (kill's SIGNAL argument). */
int oci_signal_number(const char *name)
{
	char *end;
	long n;

	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	n = strtol(name, &end, 10);
	if (end != name && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && !strcasecmp(name, abbrev))
			return sig;
	}
	return -1;
}
