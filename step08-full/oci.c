/*
 * oci.c: minidock in runc's place. Called as minidock-oci (a link to
 * minidock: the name chooses the face, as busybox's applets) or as
 * `minidock oci`, it speaks runc's command line, which engines (containerd's
 * shim, Docker through it, podman through conmon) drive:
 *
 *   create --bundle DIR ID   the container exists, its process waits at exec
 *   start ID                 ... until now: it execs the bundle's process
 *   state ID                 the runtime-spec's state, as JSON
 *   kill ID [SIGNAL], delete [-f] ID, run, list, ps, pause, resume, exec,
 *   update, features, spec
 *
 * The container is made by the same core as `minidock run` (container.c),
 * with three hooks: before the go-ahead the parent sets rlimits and the OOM
 * score; the child, locked down and ready to exec, tells the parent it is
 * created and blocks opening exec.fifo for writing; the parent then hands
 * the pty to the console socket, writes the state and exits. `start` opens
 * the fifo for reading, which lets the child's open return, and it execs.
 * The state lives in <root>/<ID>/ (default /run/minidock-oci): state.json,
 * and exec.fifo while the container is created.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "minidock.h"
#include "oci.h"

#define DEFAULT_ROOT "/run/minidock-oci"
#define START_WAIT_MS 10000 /* the most `start` waits for the child's byte */
#define DELETE_WAIT_MS 10000

static const char *state_root = DEFAULT_ROOT;

/* What state.json keeps: the runtime-spec's state and where the cgroups are. */
struct oci_state {
	char id[256];
	char bundle[PATH_MAX], rootfs[PATH_MAX];
	char created[64];
	pid_t pid;
	unsigned long long pid_start;
	struct cgroup_place cgroups[MAX_CGROUPS];
	size_t n_cgroups;
};

/* ---- the state directory ---- */

/* runc's rule for ids: letters, digits, "_+-.", no path separators. */
static int check_id(const char *id)
{
	size_t len = strlen(id);

	if (!len || len > 200 || id[0] == '.' ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != len) {
		fprintf(stderr, "%s: invalid container id '%s' (letters, digits, '_+-.')\n", PROG, id);
		return -1;
	}
	return 0;
}

static int state_path(char *out, size_t len, const char *id, const char *file)
{
	if (snprintf(out, len, "%s/%s%s%s", state_root, id, file ? "/" : "", file ? file : "") >=
	    (int)len) {
		fprintf(stderr, "%s: --root: path too long\n", PROG);
		return -1;
	}
	return 0;
}

static void write_cgroups(FILE *f, const struct oci_state *st)
{
	fputs(",\n  \"cgroups\": [", f);
	for (size_t i = 0; i < st->n_cgroups; i++) {
		fprintf(f, "%s\n    {\"controller\": ", i ? "," : "");
		json_write_string(f, st->cgroups[i].controller);
		fprintf(f, ", \"v2\": %s, \"parentsOurs\": %d, \"dir\": ",
			st->cgroups[i].v2 ? "true" : "false", st->cgroups[i].parents_ours);
		json_write_string(f, st->cgroups[i].dir);
		fputc('}', f);
	}
	fputs("\n  ]", f);
}

/* state.json: written whole into a temporary file, then renamed over (rename(2)). */
static int save_state(const struct oci_state *st)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int ok;

	if (state_path(path, sizeof(path), st->id, "state.json") < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "%s: create %s: %m\n", PROG, tmp);
		return -1;
	}
	fputs("{\n  \"id\": ", f);
	json_write_string(f, st->id);
	fprintf(f, ",\n  \"pid\": %d,\n  \"pidStart\": %llu,\n  \"bundle\": ", st->pid,
		st->pid_start);
	json_write_string(f, st->bundle);
	fputs(",\n  \"rootfs\": ", f);
	json_write_string(f, st->rootfs);
	fputs(",\n  \"created\": ", f);
	json_write_string(f, st->created);
	write_cgroups(f, st);
	fputs("\n}\n", f);
	ok = !ferror(f);
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int copy_member(const struct json *j, const char *key, char *out, size_t len)
{
	const struct json *m = json_get(j, key);

	if (!m || m->type != JSON_STRING || snprintf(out, len, "%s", m->str) >= (int)len)
		return -1;
	return 0;
}

static int load_cgroups(const struct json *list, struct oci_state *st)
{
	for (const struct json *c = list ? list->child : NULL; c; c = c->next) {
		struct cgroup_place *p = &st->cgroups[st->n_cgroups];
		const struct json *v2 = json_get(c, "v2"), *ours = json_get(c, "parentsOurs");

		if (st->n_cgroups >= MAX_CGROUPS ||
		    copy_member(c, "controller", p->controller, sizeof(p->controller)) < 0 ||
		    copy_member(c, "dir", p->dir, sizeof(p->dir)) < 0 || !v2 || !ours ||
		    !ours->integer || ours->ival < 0 || ours->ival > PATH_MAX)
			return -1;
		p->v2 = v2->boolean;
		p->parents_ours = (int)ours->ival;
		st->n_cgroups++;
	}
	return 0;
}

/* The container ID's state.json; "container does not exist" as runc says it. */
static int load_state(const char *id, struct oci_state *st)
{
	char path[PATH_MAX], err[256];
	const struct json *pid, *start;
	struct json *j;
	int ret = -1;

	memset(st, 0, sizeof(*st));
	if (check_id(id) < 0 || state_path(path, sizeof(path), id, "state.json") < 0)
		return -1;
	if (access(path, F_OK) < 0) {
		fprintf(stderr, "%s: container does not exist: %s\n", PROG, id);
		return -1;
	}
	j = json_parse_file(path, err, sizeof(err));
	if (!j) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, err);
		return -1;
	}
	pid = json_get(j, "pid");
	start = json_get(j, "pidStart");
	if (copy_member(j, "id", st->id, sizeof(st->id)) == 0 &&
	    copy_member(j, "bundle", st->bundle, sizeof(st->bundle)) == 0 &&
	    copy_member(j, "rootfs", st->rootfs, sizeof(st->rootfs)) == 0 &&
	    copy_member(j, "created", st->created, sizeof(st->created)) == 0 && pid &&
	    pid->integer && start && start->integer &&
	    load_cgroups(json_get(j, "cgroups"), st) == 0) {
		st->pid = (pid_t)pid->ival;
		st->pid_start = (unsigned long long)start->ival;
		ret = 0;
	} else {
		fprintf(stderr, "%s: %s: not minidock's state\n", PROG, path);
	}
	json_free(j);
	return ret;
}

/* The state as a struct record: what the core's exec and freezer read. */
static void state_record(const struct oci_state *st, struct record *r)
{
	memset(r, 0, offsetof(struct record, cwd));
	snprintf(r->id, sizeof(r->id), "%.64s", st->id);
	snprintf(r->name, sizeof(r->name), "%s", st->id);
	snprintf(r->status, sizeof(r->status), "running");
	r->pid = r->monitor = st->pid;
	r->pid_start = r->monitor_start = st->pid_start;
	r->n_cgroups = st->n_cgroups;
	memcpy(r->cgroups, st->cgroups, sizeof(st->cgroups));
	r->cwd[0] = r->log_path[0] = 0;
}

static int fifo_exists(const char *id)
{
	char path[PATH_MAX];

	return state_path(path, sizeof(path), id, "exec.fifo") == 0 && access(path, F_OK) == 0;
}

/* runc's statuses: created until start removes the fifo, then running or paused, stopped. */
static const char *status_of(const struct oci_state *st)
{
	struct record r;

	if (!process_is(st->pid, st->pid_start))
		return "stopped";
	if (fifo_exists(st->id))
		return "created";
	state_record(st, &r);
	return record_paused(&r) ? "paused" : "running";
}

/* The whole state directory: nothing of the container is left after it. */
static void remove_state_dir(const char *id)
{
	char path[PATH_MAX];

	if (state_path(path, sizeof(path), id, NULL) == 0)
		remove_tree(path);
}

/* The runtime-spec's state of the container, as JSON (state, and the hooks' stdin). */
static char *state_text(const struct oci_state *st, const char *status)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "{\n  \"ociVersion\": \"%s\",\n  \"id\": ", OCI_VERSION);
	json_write_string(f, st->id);
	fprintf(f, ",\n  \"pid\": %d,\n  \"status\": \"%s\",\n  \"bundle\": ",
		strcmp(status, "stopped") ? st->pid : 0, status);
	json_write_string(f, st->bundle);
	fprintf(f, ",\n  \"rootfs\": ");
	json_write_string(f, st->rootfs);
	fprintf(f, ",\n  \"created\": ");
	json_write_string(f, st->created);
	fprintf(f, ",\n  \"owner\": \"\"\n}\n");
	return fclose(f) == 0 ? text : NULL;
}

/* start's and delete's hooks, from the bundle's config.json: failures are warnings. */
static void run_late_hooks(const struct oci_state *st, const char *kind, const char *status)
{
	char path[PATH_MAX + 16], err[256], *state;
	struct json *j;

	snprintf(path, sizeof(path), "%s/config.json", st->bundle);
	j = json_parse_file(path, err, sizeof(err));
	if (!j || !json_count(json_get(json_get(j, "hooks"), kind))) {
		json_free(j);
		return;
	}
	state = state_text(st, status);
	if (!state || oci_run_hooks(json_get(j, "hooks"), kind, state) < 0)
		fprintf(stderr, "%s: warning: the %s hooks failed\n", PROG, kind);
	free(state);
	json_free(j);
}

/* ---- the core's hooks (container.c) ---- */

static struct oci_state created_state; /* filled by create before the core runs */
static int exec_running;                /* exec: created_state is the running container's */

char *oci_creating_state(pid_t child)
{
	created_state.pid = child;
	return state_text(&created_state, "creating");
}

/* What a seccomp agent is told (seccomp-profile.c): the child being created, or exec's container. */
char *oci_agent_state(pid_t child)
{
	return exec_running ? state_text(&created_state, "running") : oci_creating_state(child);
}

/* prestart and createRuntime: the namespaces exist, the child waits for us. */
static int run_create_hooks(const struct oci_runtime *rt, pid_t child)
{
	char *state;
	int ret;

	if (!json_count(json_get(rt->hooks, "prestart")) &&
	    !json_count(json_get(rt->hooks, "createRuntime")))
		return 0;
	state = oci_creating_state(child);
	ret = state && oci_run_hooks(rt->hooks, "prestart", state) == 0 &&
			      oci_run_hooks(rt->hooks, "createRuntime", state) == 0
		      ? 0
		      : -1;
	free(state);
	return ret;
}

/* In the parent, before the go-ahead: what only a process outside may set on the child. */
int oci_parent_before_release(const struct config *cfg, pid_t child)
{
	const struct oci_runtime *rt = cfg->oci;
	char path[64], value[16];

	for (size_t i = 0; i < rt->n_rlimits; i++) {
		if (prlimit(child, rt->rlimits[i].resource, &rt->rlimits[i].limit, NULL) < 0) {
			fprintf(stderr, "%s: prlimit %d on the container: %m\n", PROG,
				rt->rlimits[i].resource);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", child);
	snprintf(value, sizeof(value), "%d", rt->oom_score_adj);
	if (rt->has_oom_score_adj && write_file(path, value) < 0)
		return -1;
	return run_create_hooks(rt, child);
}

/* PATH's directories, searched as execvp(3) will search them: is there an executable? */
static int find_executable(const struct config *cfg)
{
	const char *name = cfg->process.args[0], *path = "/usr/local/sbin:/usr/local/bin:"
							 "/usr/sbin:/usr/bin:/sbin:/bin";
	char file[PATH_MAX];
	int denied = 0;

	if (strchr(name, '/'))
		return access(name, X_OK);
	for (char **e = cfg->process.env; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	for (const char *p = path; *p || p == path; p += *p == ':') {
		size_t n = strcspn(p, ":");
		struct stat st;

		snprintf(file, sizeof(file), "%.*s%s%s", (int)n, p, n ? "/" : "", name);
		p += n;
		if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (access(file, X_OK) == 0)
			return 0;
		denied = 1;
		if (!*p)
			break;
	}
	errno = denied ? EACCES : ENOENT;
	return -1;
}

/*
 * Engines match these words, runc's (Go's lowercase errno texts): 127 from
 * "executable file not found" and "no such file or directory", 126 from
 * "permission denied".
 */
static int explain_missing(const struct config *cfg, int sync_fd)
{
	const char *name = cfg->process.args[0];
	int err = errno;

	if (err == ENOENT && !strchr(name, '/'))
		fprintf(stderr, "%s: exec: \"%s\": executable file not found in $PATH\n", PROG, name);
	else if (err == ENOENT)
		fprintf(stderr, "%s: exec: \"%s\": stat %s: no such file or directory\n", PROG, name,
			name);
	else if (err == EACCES)
		fprintf(stderr, "%s: exec: \"%s\": permission denied\n", PROG, name);
	else
		fprintf(stderr, "%s: exec: \"%s\": %s\n", PROG, name, strerror(err));
	errno = err;
	report_failure(sync_fd, 1);
	return -1;
}

static int keep_preserved_fds(int n)
{
	for (int fd = 3; fd < 3 + n; fd++) {
		if (fcntl(fd, F_SETFD, 0) < 0) {
			fprintf(stderr, "%s: --preserve-fds: fd %d: %m\n", PROG, fd);
			return -1;
		}
	}
	return 0;
}

/*
 * In the child, locked down and in its root: check the command can run,
 * tell the parent we are created, and block in open(2) of the fifo (the
 * parent's O_PATH fd, reopened through /proc: fifo(7)) until `start`
 * opens its read end. The parent leaves: dying with it no longer applies.
 */
int oci_child_wait_for_start(const struct config *cfg, int sync_fd)
{
	const struct oci_runtime *rt = cfg->oci;
	struct report r = {.kind = REPORT_CREATED};
	char path[64];
	int fd;

	if (rt->has_umask)
		umask(rt->umask);
	if (find_executable(cfg) < 0)
		return explain_missing(cfg, sync_fd);
	if (keep_preserved_fds(rt->preserve_fds) < 0 || prctl(PR_SET_PDEATHSIG, 0) < 0) {
		report_failure(sync_fd, 0);
		return -1;
	}
	if (write(sync_fd, &r, sizeof(r)) != sizeof(r))
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rt->fifo_fd);
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "%s: wait for start on exec.fifo: %m\n", PROG);
		return -1;
	}
	/* fd stays open, close-on-exec: `start` sees the FIFO close when we exec. */
	close(rt->fifo_fd);
	return 0;
}

/* The pty master to the engine's socket, as one SCM_RIGHTS message (unix(7)). */
static int send_console(int sock, int master)
{
	char name[] = "/dev/ptmx";

	if (send_with_fd(sock, name, sizeof(name), master, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "%s: send the console to --console-socket: %m\n", PROG);
		return -1;
	}
	return 0;
}

/* exec -t: the exec'd process's terminal, to --console-socket. */
void oci_send_console(const struct config *cfg, int tty_master)
{
	if (cfg->oci->console_fd >= 0)
		send_console(cfg->oci->console_fd, tty_master);
}

/* In the parent, once the child waits: the console, the state file; then we leave. */
int oci_parent_created(const struct config *cfg, pid_t child, int tty_master)
{
	const struct oci_runtime *rt = cfg->oci;
	struct oci_state *st = &created_state;

	if (rt->console_fd >= 0 && (tty_master < 0 || send_console(rt->console_fd, tty_master) < 0))
		return EXIT_TOOL;
	st->pid = child;
	st->pid_start = process_start_time(child);
	st->n_cgroups = cgroups_places(st->cgroups, MAX_CGROUPS);
	return save_state(st) < 0 ? EXIT_TOOL : 0;
}

/* ---- create, start, run ---- */

struct create_opts {
	const char *bundle, *pid_file, *console_socket, *id;
	int preserve_fds, detach, keep;
};

static int connect_console(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "%s: --console-socket %s: path too long\n", PROG, path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "%s: connect --console-socket %s: %m\n", PROG, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void format_time(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char date[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%09ldZ", date, ts.tv_nsec);
}

/* The state directory, the fifo and its O_PATH fd; nothing else is made before the core. */
static int make_state_dir(const struct create_opts *o, struct oci_bundle *b)
{
	char dir[PATH_MAX], fifo[PATH_MAX];

	if (make_dirs(state_root, 0700) < 0 || state_path(dir, sizeof(dir), o->id, NULL) < 0 ||
	    state_path(fifo, sizeof(fifo), o->id, "exec.fifo") < 0)
		return -1;
	if (mkdir(dir, 0700) < 0) {
		fprintf(stderr, errno == EEXIST ? "%s: container with id exists: %s\n"
						: "%s: mkdir %s: %m\n",
			PROG, errno == EEXIST ? o->id : dir);
		return -2;
	}
	/* 0622: the container's user, whoever it is, may open it for writing, through the fd. */
	if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0) {
		fprintf(stderr, "%s: mkfifo %s: %m\n", PROG, fifo);
		return -1;
	}
	b->rt.fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
	if (b->rt.fifo_fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, fifo);
		return -1;
	}
	return 0;
}

static struct oci_bundle bundle; /* large: not on the stack */

/* create: returns 0 with the container created; its PID in *child. */
static int do_create(const struct create_opts *o, pid_t *child)
{
	struct oci_bundle *b = &bundle;
	struct oci_state *st = &created_state;
	int made, status = EXIT_TOOL;

	if (check_id(o->id) < 0 || oci_bundle_load(o->bundle ? o->bundle : ".", b) < 0)
		goto out;
	if (b->cfg.process.terminal != !!o->console_socket) {
		fprintf(stderr, "%s: %s\n", PROG, b->cfg.process.terminal
			? "cannot allocate tty if runc will detach without setting console socket"
			: "--console-socket given but process.terminal is false");
		goto out;
	}
	made = make_state_dir(o, b);
	if (made == -2)
		goto out;
	if (made < 0 || (o->console_socket && (b->rt.console_fd = connect_console(o->console_socket)) < 0))
		goto remove;
	b->rt.preserve_fds = o->preserve_fds;
	b->cfg.id = o->id;
	b->cfg.pid_file = o->pid_file;
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", o->id);
	memcpy(st->bundle, b->dir, sizeof(st->bundle));
	memcpy(st->rootfs, b->rootfs, sizeof(st->rootfs));
	format_time(st->created, sizeof(st->created));
	status = container_run(&b->cfg);
	if (status == 0) {
		*child = st->pid;
		goto out;
	}
remove:
	remove_state_dir(o->id);
out:
	if (b->rt.fifo_fd >= 0)
		close(b->rt.fifo_fd);
	if (b->rt.console_fd >= 0)
		close(b->rt.console_fd);
	oci_bundle_free(b);
	return status;
}

/* The child's end of the FIFO is close-on-exec: end-of-file means it has exec'd (or died). */
static int wait_for_exec(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char byte;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, START_WAIT_MS) != 1)
			return -1;
		n = read(fd, &byte, 1);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
}

/*
 * start: open the fifo's read end (non-blocking, so a dead child cannot
 * hang us), then wait a bounded time for the child's byte (it has
 * opened its end) and for the end-of-file that its exec brings. The fifo
 * goes: the status is running, and the bundle's program runs.
 */
static int do_start(const char *id)
{
	struct oci_state st;
	char fifo[PATH_MAX], byte;
	struct pollfd pfd = {.events = POLLIN};
	const char *status;
	int ret = -1;

	if (load_state(id, &st) < 0)
		return EXIT_TOOL;
	status = status_of(&st);
	if (strcmp(status, "created")) {
		fprintf(stderr, "%s: cannot start a container in status %s\n", PROG, status);
		return EXIT_TOOL;
	}
	if (state_path(fifo, sizeof(fifo), id, "exec.fifo") < 0)
		return EXIT_TOOL;
	pfd.fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pfd.fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, fifo);
		return EXIT_TOOL;
	}
	if (poll(&pfd, 1, START_WAIT_MS) == 1 && read(pfd.fd, &byte, 1) == 1 &&
	    wait_for_exec(pfd.fd) == 0)
		ret = 0;
	else
		fprintf(stderr, "%s: start %s: the container did not answer\n", PROG, id);
	close(pfd.fd);
	if (ret == 0 && unlink(fifo) < 0)
		fprintf(stderr, "%s: unlink %s: %m\n", PROG, fifo);
	if (ret == 0)
		run_late_hooks(&st, "poststart", "running");
	return ret == 0 ? 0 : EXIT_TOOL;
}

/* ---- kill, delete ---- */

/* Every process in the container's cgroup (--all, ps): cgroup.procs of the first place. */
static size_t cgroup_pids(const struct oci_state *st, pid_t *out, size_t max)
{
	char path[PATH_MAX + 32], buf[65536], *save = NULL;
	size_t n = 0;

	if (!st->n_cgroups)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", st->cgroups[0].dir);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return 0;
	for (char *w = strtok_r(buf, "\n", &save); w && n < max; w = strtok_r(NULL, "\n", &save))
		if (atoi(w) > 0)
			out[n++] = atoi(w);
	return n;
}

static int signal_container(const struct oci_state *st, int sig, int all)
{
	pid_t pids[4096];
	size_t n;

	if (!all) {
		if (kill(st->pid, sig) < 0) {
			fprintf(stderr, "%s: kill %d: %m\n", PROG, st->pid);
			return -1;
		}
		return 0;
	}
	n = cgroup_pids(st, pids, sizeof(pids) / sizeof(pids[0]));
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH) {
			fprintf(stderr, "%s: kill %d: %m\n", PROG, pids[i]);
			return -1;
		}
	return 0;
}

/* Its PID 1 is not our child: a pidfd (pidfd_open(2)) becomes readable when it exits. */
static int wait_for_exit(const struct oci_state *st)
{
	struct pollfd pfd = {.events = POLLIN};

	pfd.fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (pfd.fd < 0)
		return errno == ESRCH ? 0 : -1;
	/* Still the same process, now that we hold it? */
	if (!process_is(st->pid, st->pid_start) || poll(&pfd, 1, DELETE_WAIT_MS) == 1) {
		close(pfd.fd);
		return 0;
	}
	close(pfd.fd);
	fprintf(stderr, "%s: container %s did not exit\n", PROG, st->id);
	return -1;
}

static int do_delete(const char *id, int force)
{
	struct oci_state st;
	const char *status;
	int ret = 0;

	if (load_state(id, &st) < 0)
		return EXIT_TOOL;
	status = status_of(&st);
	if (strcmp(status, "stopped") && strcmp(status, "created") && !force) {
		fprintf(stderr, "%s: cannot delete container %s that is not stopped: %s\n", PROG, id,
			status);
		return EXIT_TOOL;
	}
	if (strcmp(status, "stopped")) {
		struct record r;
		state_record(&st, &r);
		/* A frozen process cannot die: thaw first. */
		if (!strcmp(status, "paused"))
			container_freeze(&r, 0);
		if (signal_container(&st, SIGKILL, 0) < 0 || wait_for_exit(&st) < 0)
			return EXIT_TOOL;
	}
	for (size_t i = 0; i < st.n_cgroups; i++)
		if (cgroups_remove_place(&st.cgroups[i]) < 0)
			ret = EXIT_TOOL;
	remove_state_dir(id);
	run_late_hooks(&st, "poststop", "stopped");
	return ret;
}

/* run: create, start, and (without -d) wait for it, then delete it (unless --keep). */
static int do_run(const struct create_opts *o)
{
	pid_t child = 0;
	int status, ws;

	status = do_create(o, &child);
	if (status)
		return status;
	if (do_start(o->id)) {
		do_delete(o->id, 1);
		return EXIT_TOOL;
	}
	if (o->detach)
		return 0;
	while (waitpid(child, &ws, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "%s: waitpid: %m\n", PROG);
			return EXIT_TOOL;
		}
	status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	if (!o->keep && do_delete(o->id, 1))
		return EXIT_TOOL;
	return status;
}

/* ---- state, list, ps ---- */

static int print_state(const struct oci_state *st)
{
	char *text = state_text(st, status_of(st));

	if (!text)
		return EXIT_TOOL;
	fputs(text, stdout);
	free(text);
	return 0;
}

static int do_list(int quiet, int json)
{
	DIR *d = opendir(state_root);
	struct dirent *e;
	struct oci_state st;
	int first = 1;

	if (!quiet && !json)
		printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	if (json)
		printf("[");
	while (d && (e = readdir(d))) {
		char path[PATH_MAX];

		/* One being created has no state.json yet: not listed, and no error */
		if (e->d_name[0] == '.' || state_path(path, sizeof(path), e->d_name, "state.json") < 0 ||
		    access(path, F_OK) < 0 || load_state(e->d_name, &st) < 0)
			continue;
		if (quiet)
			printf("%s\n", st.id);
		else if (json) {
			printf("%s{\"id\":", first ? "" : ",");
			json_write_string(stdout, st.id);
			printf(",\"pid\":%d,\"status\":\"%s\",\"bundle\":", st.pid, status_of(&st));
			json_write_string(stdout, st.bundle);
			printf(",\"created\":\"%s\",\"owner\":\"root\"}", st.created);
		} else
			printf("%-20s %-8d %-10s %-40s %-30s %s\n", st.id,
			       strcmp(status_of(&st), "stopped") ? st.pid : 0, status_of(&st),
			       st.bundle, st.created, "root");
		first = 0;
	}
	if (json)
		printf("]\n");
	if (d)
		closedir(d);
	return 0;
}

static int do_ps(const char *id, int json)
{
	struct oci_state st;
	pid_t pids[4096];
	size_t n;

	if (load_state(id, &st) < 0)
		return EXIT_TOOL;
	n = cgroup_pids(&st, pids, sizeof(pids) / sizeof(pids[0]));
	printf(json ? "[" : "PID\n");
	for (size_t i = 0; i < n; i++)
		printf(json ? "%s%d" : "%s%d\n", json && i ? "," : "", pids[i]);
	if (json)
		printf("]\n");
	return 0;
}

/* ---- pause, resume, update, exec ---- */

static int do_freeze(const char *id, int frozen)
{
	struct oci_state st;
	struct record r;
	const char *status;

	if (load_state(id, &st) < 0)
		return EXIT_TOOL;
	status = status_of(&st);
	if (strcmp(status, frozen ? "running" : "paused")) {
		fprintf(stderr, "%s: container %s is %s, not %s\n", PROG, id, status,
			frozen ? "running" : "paused");
		return EXIT_TOOL;
	}
	state_record(&st, &r);
	return container_freeze(&r, frozen) < 0 ? EXIT_TOOL : 0;
}

static int write_limit(const struct oci_state *st, const char *controller, const char *file,
		       const char *value)
{
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < st->n_cgroups; i++) {
		if (strcmp(st->cgroups[i].controller, controller))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->cgroups[i].dir, file);
		return write_file(path, value);
	}
	fprintf(stderr, "%s: update: the container has no %s cgroup (it was created without "
		"that limit)\n", PROG, controller);
	return -1;
}

/* The cgroup files for one resources object, as the core's cgroups.c names them. */
static int apply_resources(const struct oci_state *st, const struct resources *r)
{
	int v2 = st->n_cgroups && st->cgroups[0].v2;
	char v[64];

	if (r->memory) {
		snprintf(v, sizeof(v), "%lld", r->memory);
		if (write_limit(st, "memory", v2 ? "memory.max" : "memory.limit_in_bytes", v) < 0)
			return -1;
	}
	if (r->pids_limit) {
		snprintf(v, sizeof(v), "%lld", r->pids_limit);
		if (write_limit(st, "pids", "pids.max", v) < 0)
			return -1;
	}
	if (r->cpu_quota && v2) {
		snprintf(v, sizeof(v), "%lld %lld", r->cpu_quota, r->cpu_period);
		return write_limit(st, "cpu", "cpu.max", v);
	}
	if (r->cpu_quota) {
		snprintf(v, sizeof(v), "%lld", r->cpu_period);
		if (write_limit(st, "cpu", "cpu.cfs_period_us", v) < 0)
			return -1;
		snprintf(v, sizeof(v), "%lld", r->cpu_quota);
		return write_limit(st, "cpu", "cpu.cfs_quota_us", v);
	}
	return 0;
}

/* update --resources FILE: a linux.resources object, read with config.json's rules. */
static int do_update(const char *id, const char *file)
{
	struct oci_state st;
	struct resources r;
	int ret;

	if (!file) {
		fprintf(stderr, "%s: update: --resources FILE is required\n", PROG);
		return EXIT_TOOL;
	}
	if (load_state(id, &st) < 0 || oci_read_resources_file(file, &r) < 0)
		return EXIT_TOOL;
	if (!strcmp(status_of(&st), "stopped")) {
		fprintf(stderr, "%s: container %s is stopped\n", PROG, id);
		return EXIT_TOOL;
	}
	ret = apply_resources(&st, &r);
	return ret < 0 ? EXIT_TOOL : 0;
}

struct exec_opts {
	const char *process, *pid_file, *console_socket, *cwd, *user;
	const char *env[64];
	size_t n_env;
	int detach, tty;
};

/* -u UID[:GID], numbers, as runc takes it. */
static int parse_user(const char *spec, struct process *p)
{
	unsigned int uid, gid;
	char extra;
	int n;

	if (!spec)
		return 0;
	n = sscanf(spec, "%u:%u%c", &uid, &gid, &extra);
	if (n < 1 || n > 2 || strspn(spec, "0123456789:") != strlen(spec)) {
		fprintf(stderr, "%s: exec: bad --user '%s': use UID[:GID]\n", PROG, spec);
		return -1;
	}
	p->uid = uid;
	p->gid = n == 2 ? gid : 0;
	return 0;
}

/* KEY=VALUE replaces KEY in the process's environment, or joins it. */
static int set_env(char **env, const char *kv)
{
	size_t klen = strcspn(kv, "="), n = 0;

	if (!kv[klen]) {
		fprintf(stderr, "%s: exec: bad --env '%s': use KEY=VALUE\n", PROG, kv);
		return -1;
	}
	for (; env[n]; n++) {
		if (!strncmp(env[n], kv, klen + 1)) {
			env[n] = (char *)kv;
			return 0;
		}
	}
	if (n >= MAX_ENV) {
		fprintf(stderr, "%s: exec: too many environment variables\n", PROG);
		return -1;
	}
	env[n] = (char *)kv;
	env[n + 1] = NULL;
	return 0;
}

/*
 * The process: --process F.json whole, or the container's own process
 * (its config.json) with CMD and the flags on top, as runc builds it.
 */
static int exec_process(const struct exec_opts *o, const struct oci_state *st, char **cmd,
			struct oci_bundle *b)
{
	struct process *p = &b->cfg.process;

	oci_warnings = 0;
	if (oci_bundle_load(st->bundle, b) < 0)
		return -1;
	oci_warnings = 1;
	if (o->process && oci_read_process_file(o->process, b) < 0)
		return -1;
	if (!o->process && !cmd[0]) {
		fprintf(stderr, "%s: exec: want --process FILE or a command\n", PROG);
		return -1;
	}
	if (!o->process) {
		p->args = cmd;
		p->terminal = o->tty;
	}
	for (size_t i = 0; i < o->n_env; i++)
		if (set_env(b->env, o->env[i]) < 0)
			return -1;
	if (o->cwd && o->cwd[0] != '/') {
		fprintf(stderr, "%s: exec: --cwd must be an absolute path\n", PROG);
		return -1;
	}
	if (o->cwd)
		p->cwd = o->cwd;
	if (p->terminal != !!o->console_socket) {
		fprintf(stderr, "%s: exec: %s\n", PROG, p->terminal
			? "a terminal needs --console-socket"
			: "--console-socket given without a terminal (-t)");
		return -1;
	}
	if (o->console_socket && (b->rt.console_fd = connect_console(o->console_socket)) < 0)
		return -1;
	return parse_user(o->user, p);
}

static int do_exec(const struct exec_opts *o, const char *id, char **cmd)
{
	static struct oci_bundle b;
	struct oci_state st;
	struct record r;
	int status = EXIT_TOOL;

	if (load_state(id, &st) < 0)
		return EXIT_TOOL;
	if (strcmp(status_of(&st), "running")) {
		fprintf(stderr, "%s: cannot exec in a container that is %s\n", PROG, status_of(&st));
		return EXIT_TOOL;
	}
	if (exec_process(o, &st, cmd, &b) < 0)
		goto out;
	state_record(&st, &r);
	created_state = st;
	exec_running = 1;
	/* -d, as runc: we leave once it runs; our caller's subreaper (a shim, conmon) reaps it */
	b.cfg.exec_detach = o->detach;
	b.cfg.pid_file = o->pid_file;
	status = run_exec(&b.cfg, &r);
out:
	if (b.rt.console_fd >= 0)
		close(b.rt.console_fd);
	oci_bundle_free(&b);
	return status;
}

/* ---- features, --log ---- */

static int do_features(void)
{
	printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"%s\",\n"
	       "  \"hooks\": [],\n"
	       "  \"mountOptions\": [\"ro\", \"rw\", \"nosuid\", \"suid\", \"nodev\", \"dev\", "
	       "\"noexec\", \"exec\", \"relatime\", \"strictatime\", \"noatime\", \"bind\", "
	       "\"rbind\", \"rprivate\"],\n"
	       "  \"linux\": {\n"
	       "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", "
	       "\"user\", \"uts\"],\n"
	       "    \"capabilities\": [],\n"
	       "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false},\n"
	       "    \"seccomp\": {\"enabled\": true, \"actions\": [], \"operators\": [], "
	       "\"archs\": []},\n"
	       "    \"apparmor\": {\"enabled\": false},\n"
	       "    \"selinux\": {\"enabled\": false}\n"
	       "  }\n}\n", OCI_VERSION);
	return 0;
}

/*
 * --log FILE: our messages go there instead of to stderr, as engines want
 * (they read it when a command fails). --log-format json makes each line a
 * record {"level","msg","time"}. Only the stdio stream changes: the
 * container's fd 2 stays the engine's, and our messages reach the file
 * through a cookie stream (fopencookie(3)).
 */
struct log_sink {
	int fd, json;
};

static ssize_t log_write(void *cookie, const char *buf, size_t len)
{
	const struct log_sink *s = cookie;
	char line[8192], msg[4096], when[64];
	size_t n = len;
	FILE *f;

	if (!s->json)
		return write(s->fd, buf, len) < 0 ? -1 : (ssize_t)len;
	while (n && buf[n - 1] == '\n')
		n--;
	snprintf(msg, sizeof(msg), "%.*s", (int)n, buf);
	format_time(when, sizeof(when));
	f = fmemopen(line, sizeof(line), "w");
	if (!f)
		return -1;
	fputs("{\"level\":\"error\",\"msg\":", f);
	json_write_string(f, msg);
	fprintf(f, ",\"time\":\"%s\"}\n", when);
	fclose(f);
	return write(s->fd, line, strlen(line)) < 0 ? -1 : (ssize_t)len;
}

static int open_log(const char *path, const char *format)
{
	static struct log_sink sink;
	cookie_io_functions_t io = {.write = log_write};
	FILE *f;

	if (format && strcmp(format, "text") && strcmp(format, "json")) {
		fprintf(stderr, "%s: --log-format %s: want text or json\n", PROG, format);
		return -1;
	}
	sink.json = format && !strcmp(format, "json");
	if (!path)
		return 0;
	sink.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	f = sink.fd < 0 ? NULL : fopencookie(&sink, "w", io);
	if (!f) {
		fprintf(stderr, "%s: open --log %s: %m\n", PROG, path);
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	stderr = f;
	return 0;
}

/* ---- the command line ---- */

static void oci_usage(FILE *out)
{
	fprintf(out,
		"usage: %s [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND ...\n"
		"minidock in runc's place: an OCI runtime for a bundle (a root and config.json).\n"
		"\n"
		"  spec [--bundle DIR]                  write a default config.json\n"
		"  create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] ID\n"
		"  start ID                             let the created container run its process\n"
		"  run [-d] [--keep] [create's options] ID  create and start (and wait, delete)\n"
		"  state ID                             its state, as JSON\n"
		"  kill [--all] ID [SIGNAL]             signal it (SIGTERM)\n"
		"  delete [-f] ID                       remove it (-f: a running one too)\n"
		"  list [-q] [--format table|json]      every container\n"
		"  ps [--format table|json] ID          its processes\n"
		"  pause ID, resume ID                  freeze or thaw it\n"
		"  exec [--process F.json] [-d] [-e K=V] [--cwd DIR] [-u UID[:GID]] ID [CMD...]\n"
		"  update --resources F.json ID         change its memory, cpu and pids limits\n"
		"  features                             what this runtime supports, as JSON\n"
		"\n"
		"  --root DIR      state directory (default " DEFAULT_ROOT ")\n"
		"  --systemd-cgroup, --cgroup-manager cgroupfs|systemd|disabled\n"
		"                  accepted; cgroups are always made with cgroupfs\n",
		PROG);
}

enum {
	O_BUNDLE = 256, O_PID_FILE, O_CONSOLE, O_PRESERVE, O_NO_PIVOT, O_NO_KEYRING, O_KEEP,
	O_ALL, O_FORMAT, O_PROCESS, O_CWD, O_RESOURCES, O_FORCE, O_DETACH, O_TTY, O_ENV, O_USER,
	O_QUIET, O_OTHER,
};

/* Every command's options in one table: runc's spellings. */
static const struct option command_options[] = {
	{"bundle", required_argument, NULL, 'b'},
	{"pid-file", required_argument, NULL, O_PID_FILE},
	{"console-socket", required_argument, NULL, O_CONSOLE},
	{"preserve-fds", required_argument, NULL, O_PRESERVE},
	{"no-pivot", no_argument, NULL, O_NO_PIVOT},
	{"no-new-keyring", no_argument, NULL, O_NO_KEYRING},
	{"keep", no_argument, NULL, O_KEEP},
	{"all", no_argument, NULL, 'a'},
	{"format", required_argument, NULL, 'f'},
	{"process", required_argument, NULL, 'p'},
	{"cwd", required_argument, NULL, O_CWD},
	{"resources", required_argument, NULL, 'r'},
	{"force", no_argument, NULL, O_FORCE},
	{"detach", no_argument, NULL, 'd'},
	{"tty", no_argument, NULL, 't'},
	{"env", required_argument, NULL, 'e'},
	{"user", required_argument, NULL, 'u'},
	{"quiet", no_argument, NULL, 'q'},
	{"no-subreaper", no_argument, NULL, O_OTHER},
	{"help", no_argument, NULL, 'h'},
	{0},
};

struct command_line {
	struct create_opts c;
	struct exec_opts x;
	const char *format, *resources;
	int all, force, quiet;
};

static int parse_count_arg(const char *s, int *out)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (end == s || *end || n < 0 || n > 1000) {
		fprintf(stderr, "%s: --preserve-fds %s: want a number\n", PROG, s);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int take_option(int opt, struct command_line *l, const char *cmd)
{
	switch (opt) {
	case 'b': l->c.bundle = optarg; return 0;
	case O_PID_FILE: l->c.pid_file = l->x.pid_file = optarg; return 0;
	case O_CONSOLE: l->c.console_socket = l->x.console_socket = optarg; return 0;
	case O_PRESERVE: return parse_count_arg(optarg, &l->c.preserve_fds);
	case O_KEEP: l->c.keep = 1; return 0;
	case 'a': l->all = 1; return 0;
	case 'f':
		/* delete -f is --force; elsewhere -f is --format */
		if (!strcmp(cmd, "delete"))
			l->force = 1;
		else
			l->format = optarg;
		return 0;
	case O_FORCE: l->force = 1; return 0;
	case 'p': l->x.process = optarg; return 0;
	case O_CWD: l->x.cwd = optarg; return 0;
	case 'r': l->resources = optarg; return 0;
	case 'd': l->c.detach = l->x.detach = 1; return 0;
	case 't': l->x.tty = 1; return 0;
	case 'e':
		if (l->x.n_env >= 64)
			return -1;
		l->x.env[l->x.n_env++] = optarg;
		return 0;
	case 'u': l->x.user = optarg; return 0;
	case 'q': l->quiet = 1; return 0;
	case O_NO_PIVOT: case O_NO_KEYRING: case O_OTHER: return 0;
	default: return -1;
	}
}

static int parse_command(int argc, char **argv, struct command_line *l)
{
	/* delete's -f takes no value: a short-option string per command */
	const char *shorts = !strcmp(argv[0], "delete") ? "+:fh" : "+:b:adf:p:r:te:u:qh";
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, command_options, NULL)) != -1) {
		if (opt == 'h') {
			oci_usage(stdout);
			exit(0);
		}
		if (opt == ':' || opt == '?' || take_option(opt, l, argv[0]) < 0) {
			fprintf(stderr, "%s: %s: bad option '%s' (try '%s --help')\n", PROG, argv[0],
				argv[optind - 1], PROG);
			return -1;
		}
	}
	return optind;
}

static int need_id(int argc, char **argv, int first)
{
	if (first >= argc) {
		fprintf(stderr, "%s: %s: missing container id\n", PROG, argv[0]);
		return -1;
	}
	return 0;
}

static int do_kill(const char *id, const char *signame, int all)
{
	struct oci_state st;
	int sig = oci_signal_number(signame ? signame : "SIGTERM");

	if (sig < 0) {
		fprintf(stderr, "%s: kill: unknown signal %s\n", PROG, signame);
		return EXIT_TOOL;
	}
	if (load_state(id, &st) < 0)
		return EXIT_TOOL;
	if (!strcmp(status_of(&st), "stopped")) {
		fprintf(stderr, "%s: container not running\n", PROG);
		return EXIT_TOOL;
	}
	return signal_container(&st, sig, all) < 0 ? EXIT_TOOL : 0;
}

static int run_command(int argc, char **argv)
{
	struct command_line l = {.c.preserve_fds = 0};
	const char *cmd = argv[0], *id;
	struct oci_state st;
	pid_t child;
	int first = parse_command(argc, argv, &l);

	if (first < 0)
		return EXIT_TOOL;
	if (!strcmp(cmd, "spec"))
		return oci_write_spec(l.c.bundle ? l.c.bundle : ".") < 0 ? EXIT_TOOL : 0;
	if (!strcmp(cmd, "list"))
		return do_list(l.quiet, l.format && !strcmp(l.format, "json"));
	if (!strcmp(cmd, "features"))
		return do_features();
	if (need_id(argc, argv, first) < 0)
		return EXIT_TOOL;
	id = argv[first];
	l.c.id = id;
	if (!strcmp(cmd, "create"))
		return do_create(&l.c, &child);
	if (!strcmp(cmd, "run"))
		return do_run(&l.c);
	if (!strcmp(cmd, "start"))
		return do_start(id);
	if (!strcmp(cmd, "state")) {
		if (load_state(id, &st) < 0)
			return EXIT_TOOL;
		return print_state(&st);
	}
	if (!strcmp(cmd, "kill"))
		return do_kill(id, first + 1 < argc ? argv[first + 1] : NULL, l.all);
	if (!strcmp(cmd, "delete"))
		return do_delete(id, l.force);
	if (!strcmp(cmd, "ps"))
		return do_ps(id, l.format && !strcmp(l.format, "json"));
	if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume"))
		return do_freeze(id, !strcmp(cmd, "pause"));
	if (!strcmp(cmd, "update"))
		return do_update(id, l.resources);
	if (!strcmp(cmd, "exec"))
		return do_exec(&l.x, id, &argv[first + 1]);
	fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n", PROG, cmd, PROG);
	return EXIT_TOOL;
}

/*
 * crun's --cgroup-manager, which podman passes (disabled with
 * --cgroups=disabled): minidock always makes its cgroups with cgroupfs
 * beneath its own minidock/, and never leaves a container without them.
 */
static int check_cgroup_manager(const char *name)
{
	if (strcmp(name, "cgroupfs") && strcmp(name, "systemd") && strcmp(name, "disabled")) {
		fprintf(stderr, "%s: --cgroup-manager %s: want cgroupfs, systemd or disabled\n",
			PROG, name);
		return -1;
	}
	return 0;
}

int oci_main(int argc, char **argv)
{
	enum { G_ROOT = 256, G_LOG, G_LOG_FORMAT, G_DEBUG, G_SYSTEMD, G_VERSION, G_HELP, G_IGNORED,
	       G_CGROUP_MANAGER };
	static const struct option options[] = {
		{"root", required_argument, NULL, G_ROOT},
		{"log", required_argument, NULL, G_LOG},
		{"log-format", required_argument, NULL, G_LOG_FORMAT},
		{"debug", no_argument, NULL, G_DEBUG},
		{"systemd-cgroup", no_argument, NULL, G_SYSTEMD},
		{"cgroup-manager", required_argument, NULL, G_CGROUP_MANAGER},
		{"version", no_argument, NULL, G_VERSION},
		{"help", no_argument, NULL, G_HELP},
		{"rootless", required_argument, NULL, G_IGNORED},
		{"criu", required_argument, NULL, G_IGNORED},
		{0},
	};
	const char *log = NULL, *log_format = NULL;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:vh", options, NULL)) != -1) {
		switch (opt) {
		case G_ROOT:
			state_root = optarg;
			break;
		case G_LOG:
			log = optarg;
			break;
		case G_LOG_FORMAT:
			log_format = optarg;
			break;
		case G_DEBUG:
			debug = 1;
			break;
		case G_SYSTEMD:
			oci_systemd_cgroup = 1;
			break;
		case G_IGNORED:
			break;
		case G_CGROUP_MANAGER:
			if (check_cgroup_manager(optarg) < 0)
				return EXIT_TOOL;
			oci_systemd_cgroup = !strcmp(optarg, "systemd");
			break;
		case 'v':
		case G_VERSION:
			printf("minidock-oci version 0.1\nspec: %s\n", OCI_VERSION);
			return 0;
		case 'h':
		case G_HELP:
			oci_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "%s: bad option '%s' (try '%s --help')\n", PROG,
				argv[optind - 1], PROG);
			return EXIT_TOOL;
		}
	}
	if (open_log(log, log_format) < 0)
		return EXIT_TOOL;
	if (state_root[0] != '/') {
		fprintf(stderr, "%s: --root %s: must be an absolute path\n", PROG, state_root);
		return EXIT_TOOL;
	}
	if (optind == argc) {
		fprintf(stderr, "%s: missing command (try '%s --help')\n", PROG, PROG);
		return EXIT_TOOL;
	}
	return run_command(argc - optind, argv + optind);
}

/* `minidock oci COMMAND ...`: the same face, for people. */
int cmd_oci(const struct store *s, int argc, char **argv)
{
	(void)s;
	return oci_main(argc, argv);
}

/* `minidock spec [--bundle DIR]`, as `runc spec`. */
int cmd_spec(const struct store *s, int argc, char **argv)
{
	(void)s;
	return run_command(argc, argv);
}
