/*
 * state.c: a container's config and state files (state.h), finding a
 * container by id, unique id prefix or name, and telling whether it still
 * runs. A PID alone proves nothing - the kernel reuses them - so a live
 * process is a PID whose start time (field 22 of /proc/PID/stat, proc(5))
 * is still the one recorded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minidock.h"
#include "state.h"

long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void record_free(struct record *r)
{
	for (size_t i = 0; i < r->n_args; i++)
		free(r->args[i]);
	for (size_t i = 0; i < r->n_env; i++)
		free(r->env[i]);
	r->n_args = r->n_env = 0;
	r->args[0] = r->env[0] = NULL;
}

int record_add_string(char **list, size_t *n, size_t max, const char *value)
{
	if (*n >= max) {
		fprintf(stderr, "%s: more than %zu arguments or environment variables: minidock "
				"takes at most %zu\n", PROG, max, max);
		return -1;
	}
	list[*n] = strdup(value);
	if (!list[*n]) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return -1;
	}
	list[++*n] = NULL;
	return 0;
}

/* ---- writing: "key=value" lines, a newline or backslash in a value escaped ---- */

static void put(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s=", key);
	for (const char *p = value; *p; p++) {
		if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\\')
			fputs("\\\\", f);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

static void put_num(FILE *f, const char *key, long long value)
{
	fprintf(f, "%s=%lld\n", key, value);
}

/* FILE in DIR, whole: the text is made in memory (open_memstream(3)), then written atomically. */
static int write_record_file(const char *dir, const char *file, const struct record *r,
			     void (*fill)(FILE *, const struct record *))
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	FILE *f;
	int ret;

	if (join_path(path, sizeof(path), dir, file) < 0)
		return -1;
	f = open_memstream(&text, &len);
	if (!f) {
		fprintf(stderr, "%s: open_memstream: %m\n", PROG);
		return -1;
	}
	fill(f, r);
	ret = fclose(f) == 0 ? write_file_atomic(path, text) : -1;
	free(text);
	return ret;
}

static void fill_config(FILE *f, const struct record *r)
{
	char port[64];

	put(f, "id", r->id);
	put(f, "name", r->name);
	put(f, "image", r->image);
	put_num(f, "created", r->created);
	for (size_t i = 0; i < r->n_args; i++)
		put(f, "arg", r->args[i]);
	for (size_t i = 0; i < r->n_env; i++)
		put(f, "env", r->env[i]);
	put(f, "cwd", r->cwd);
	put(f, "user", r->user);
	fprintf(f, "caps=%#" PRIx64 "\n", r->caps);
	put_num(f, "seccomp", r->seccomp);
	put_num(f, "no_new_privs", r->no_new_privs);
	put_num(f, "tty", r->tty);
	put_num(f, "detached", r->detached);
	put_num(f, "userns", r->userns);
	put_num(f, "memory", r->memory);
	put_num(f, "pids_limit", r->pids_limit);
	put_num(f, "cpu_quota", r->cpu_quota);
	for (size_t i = 0; i < r->n_ports; i++) {
		snprintf(port, sizeof(port), "%s:%u:%u", r->ports[i].host_ip, r->ports[i].host_port,
			 r->ports[i].ctr_port);
		put(f, "port", port);
	}
	put(f, "log", r->log_path);
}

static void fill_state(FILE *f, const struct record *r)
{
	char cg[PATH_MAX + 32];

	put(f, "status", r->status);
	fprintf(f, "pid=%d-%llu\n", r->pid, r->pid_start);
	put_num(f, "started", r->started);
	put_num(f, "finished", r->finished);
	put_num(f, "exit_code", r->exit_code);
	put_num(f, "oom_killed", r->oom_killed);
	put(f, "ip", r->ip);
	put(f, "bridge", r->bridge);
	for (size_t i = 0; i < r->n_cgroups; i++) {
		snprintf(cg, sizeof(cg), "%s %d %d %s", r->cgroups[i].controller, r->cgroups[i].v2,
			 r->cgroups[i].parents_ours, r->cgroups[i].dir);
		put(f, "cgroup", cg);
	}
}

int config_write(const char *state_dir, const struct record *r)
{
	return write_record_file(state_dir, "config", r, fill_config);
}

int state_write(const char *state_dir, const struct record *r)
{
	return write_record_file(state_dir, "state", r, fill_state);
}

/* ---- reading ---- */

static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*out++ = *s == 'n' ? '\n' : *s;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
}

static int parse_port(const char *v, struct record *r)
{
	struct port_map *p;

	if (r->n_ports >= MAX_PORTS)
		return -1;
	p = &r->ports[r->n_ports];
	if (sscanf(v, "%15[0-9.]:%u:%u", p->host_ip, &p->host_port, &p->ctr_port) != 3)
		return -1;
	r->n_ports++;
	return 0;
}

static int parse_cgroup(const char *v, struct record *r)
{
	struct cgroup_place *c;

	if (r->n_cgroups >= MAX_CGROUPS)
		return -1;
	c = &r->cgroups[r->n_cgroups];
	if (sscanf(v, "%15s %d %d %4095[^\n]", c->controller, &c->v2, &c->parents_ours, c->dir) != 4)
		return -1;
	r->n_cgroups++;
	return 0;
}

static int copy_value(char *dst, size_t len, const char *v)
{
	return snprintf(dst, len, "%s", v) >= (int)len ? -1 : 0;
}

/* One line of config, state or owner. Unknown keys are skipped: newer files stay readable. */
static int parse_line(const char *k, const char *v, struct record *r)
{
	if (!strcmp(k, "id"))
		return copy_value(r->id, sizeof(r->id), v);
	if (!strcmp(k, "name"))
		return copy_value(r->name, sizeof(r->name), v);
	if (!strcmp(k, "image"))
		return copy_value(r->image, sizeof(r->image), v);
	if (!strcmp(k, "arg"))
		return record_add_string(r->args, &r->n_args, MAX_ARGS, v);
	if (!strcmp(k, "env"))
		return record_add_string(r->env, &r->n_env, MAX_ENV, v);
	if (!strcmp(k, "cwd"))
		return copy_value(r->cwd, sizeof(r->cwd), v);
	if (!strcmp(k, "user"))
		return copy_value(r->user, sizeof(r->user), v);
	if (!strcmp(k, "caps"))
		return sscanf(v, "%" SCNx64, &r->caps) == 1 ? 0 : -1;
	if (!strcmp(k, "port"))
		return parse_port(v, r);
	if (!strcmp(k, "log"))
		return copy_value(r->log_path, sizeof(r->log_path), v);
	if (!strcmp(k, "status"))
		return copy_value(r->status, sizeof(r->status), v);
	if (!strcmp(k, "pid"))
		return sscanf(v, "%d-%llu", &r->pid, &r->pid_start) == 2 ? 0 : -1;
	if (!strcmp(k, "owner"))
		return sscanf(v, "%d-%llu", &r->monitor, &r->monitor_start) == 2 ? 0 : -1;
	if (!strcmp(k, "ip"))
		return copy_value(r->ip, sizeof(r->ip), v);
	if (!strcmp(k, "bridge"))
		return copy_value(r->bridge, sizeof(r->bridge), v);
	if (!strcmp(k, "cgroup"))
		return parse_cgroup(v, r);
	return 0;
}

/* The numeric keys, in one table: where each goes. */
static void parse_number(const char *k, const char *v, struct record *r)
{
	const struct {
		const char *key;
		long long *ll;
		int *i;
	} nums[] = {
		{"created", &r->created, NULL},     {"started", &r->started, NULL},
		{"finished", &r->finished, NULL},   {"memory", &r->memory, NULL},
		{"pids_limit", &r->pids_limit, NULL}, {"cpu_quota", &r->cpu_quota, NULL},
		{"seccomp", NULL, &r->seccomp},     {"no_new_privs", NULL, &r->no_new_privs},
		{"tty", NULL, &r->tty},             {"detached", NULL, &r->detached},
		{"userns", NULL, &r->userns},       {"exit_code", NULL, &r->exit_code},
		{"oom_killed", NULL, &r->oom_killed}, {"rm", NULL, &r->rm},
	};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcmp(k, nums[i].key))
			continue;
		if (nums[i].ll)
			*nums[i].ll = atoll(v);
		else
			*nums[i].i = atoi(v);
	}
}

/* Read DIR/FILE into r; a missing file is no error (a container being created). */
static int read_record_file(const char *dir, const char *file, struct record *r)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	if (join_path(path, sizeof(path), dir, file) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	/* getline(3): a line as long as it is (an -e value may be most of ARG_MAX). */
	while (ret == 0 && getline(&line, &cap, f) > 0) {
		char *v = strchr(line, '=');

		line[strcspn(line, "\n")] = 0;
		if (!v)
			continue;
		*v++ = 0;
		unescape(v);
		ret = parse_line(line, v, r);
		parse_number(line, v, r);
	}
	free(line);
	fclose(f);
	if (ret < 0)
		fprintf(stderr, "%s: %s: a line could not be read\n", PROG, path);
	return ret;
}

int record_read(const struct store *s, const char *id, struct record *r)
{
	char dir[PATH_MAX];

	memset(r, 0, offsetof(struct record, cwd));
	r->cwd[0] = r->log_path[0] = 0;
	if (snprintf(dir, sizeof(dir), "%s/containers/%s", s->run, id) >= (int)sizeof(dir))
		return -1;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->status, sizeof(r->status), "created");
	if (read_record_file(dir, "owner", r) < 0 || read_record_file(dir, "config", r) < 0 ||
	    read_record_file(dir, "state", r) < 0) {
		record_free(r);
		return -1;
	}
	return 0;
}

/* ---- finding one ---- */

static int is_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* By name: <run>/names/NAME is a symlink to the id. */
static int resolve_name(const struct store *s, const char *ref, char id[65])
{
	char link[PATH_MAX];
	ssize_t n;

	if (strchr(ref, '/') || snprintf(link, sizeof(link), "%s/names/%s", s->run, ref) >=
					    (int)sizeof(link))
		return -1;
	n = readlink(link, id, 64);
	if (n != 64)
		return -1;
	id[64] = 0;
	/* A name whose container is gone names nothing (prune removes it). */
	return is_id(id) && snprintf(link, sizeof(link), "%s/containers/%s", s->run, id) <
				    (int)sizeof(link) && access(link, F_OK) == 0 ? 0 : -1;
}

/* A unique prefix of an id, as Docker takes it. */
static int resolve_prefix(const struct store *s, const char *ref, char id[65])
{
	char dir[PATH_MAX];
	struct dirent *e;
	size_t len = strlen(ref);
	int found = 0;
	DIR *d;

	if (!len || strspn(ref, "0123456789abcdef") != len ||
	    join_path(dir, sizeof(dir), s->run, "containers") < 0 || !(d = opendir(dir)))
		return -1;
	while ((e = readdir(d))) {
		if (!is_id(e->d_name) || strncmp(e->d_name, ref, len))
			continue;
		found++;
		snprintf(id, 65, "%s", e->d_name);
	}
	closedir(d);
	if (found > 1)
		fprintf(stderr, "%s: container id prefix '%s' is not unique\n", PROG, ref);
	return found == 1 ? 0 : found ? -2 : -1;
}

/* REF (a name, an id or a unique prefix of one) to the container's id; 1 on failure. */
int resolve_container(const struct store *s, const char *ref, char id[65])
{
	char dir[PATH_MAX];
	int ret;

	if (resolve_name(s, ref, id) == 0)
		return 0;
	if (is_id(ref) && snprintf(dir, sizeof(dir), "%s/containers/%s", s->run, ref) <
				  (int)sizeof(dir) && access(dir, F_OK) == 0) {
		snprintf(id, 65, "%s", ref);
		return 0;
	}
	ret = resolve_prefix(s, ref, id);
	if (ret == 0)
		return 0;
	if (ret == -1)
		fprintf(stderr, "%s: no such container: %s\n", PROG, ref);
	return -1;
}

int record_open(const struct store *s, const char *ref, struct record *r)
{
	char id[65];

	if (resolve_container(s, ref, id) < 0)
		return -1;
	return record_read(s, id, r);
}

/* ---- what state it is in ---- */

int record_monitor_alive(const struct record *r)
{
	return process_is(r->monitor, r->monitor_start);
}

/* Running: said so, and both its monitor and its PID 1 are still the processes recorded. */
int record_alive(const struct record *r)
{
	return !strcmp(r->status, "running") && process_is(r->monitor, r->monitor_start) &&
	       process_is(r->pid, r->pid_start);
}

/* The freezer (cgroup v1) or cgroup.freeze (v2) of the container's cgroup. */
const struct cgroup_place *record_cgroup(const struct record *r, const char *controller)
{
	for (size_t i = 0; i < r->n_cgroups; i++)
		if (!strcmp(r->cgroups[i].controller, controller))
			return &r->cgroups[i];
	return NULL;
}

int record_paused(const struct record *r)
{
	const struct cgroup_place *c = record_cgroup(r, "freezer");
	char path[PATH_MAX + 32], buf[64];

	if (!c)
		c = record_cgroup(r, "unified");
	if (!c)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c->dir, c->v2 ? "cgroup.freeze" : "freezer.state");
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return 0;
	return c->v2 ? buf[0] == '1' : !strncmp(buf, "FROZEN", 6) || !strncmp(buf, "FREEZING", 8);
}

/*
 * The status a user sees. A container whose monitor died is exited, its
 * exit code unknown: nothing was left to see how it ended.
 */
const char *record_status(const struct record *r)
{
	if (!strcmp(r->status, "running")) {
		if (!record_alive(r))
			return "exited";
		return record_paused(r) ? "paused" : "running";
	}
	return r->status;
}

/*
 * Commands that remove or copy a container (rm, prune, commit) take
 * turns: flock(2) on its state directory. The monitor takes no lock (rm -f
 * holds it while waiting for the monitor); rm waits for a monitor still
 * finishing instead. The kernel drops
 * the lock when the fd closes or its holder dies. Returns the fd, or -1.
 */
int lock_container(const struct store *s, const char *id)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/containers/%s", s->run, id) >= (int)sizeof(dir))
		return -1;
	return lock_path(dir, O_RDONLY | O_DIRECTORY);
}
