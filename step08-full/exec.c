/*
 * exec.c: `minidock exec [-i] [-t] [-e K=V] [-w DIR] [-u UID[:GID]] CONTAINER CMD...`
 *
 * A second process in a running container, made the way nsenter(1) and
 * runc exec make it: join the container's cgroups, then each of its
 * namespaces with setns(2), user namespace first (it owns the others).
 * A PID namespace is entered only by the children of whoever calls setns
 * (pid_namespaces(7)), so a first child joins and forks the second, which
 * lives in the container's PID namespace. That one locks itself down as
 * the container's PID 1 was (capabilities, no_new_privs, seccomp, from
 * the config file) and execs CMD; it is non-dumpable until the exec, so
 * nothing in the container can reach into it through /proc meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "minidock.h"

#define EXIT_EXEC_ERROR 1 /* docker exec's status for its own errors */

/* The namespaces, in the order they are joined. */
static const struct {
	const char *name;
	int flag;
} namespaces[] = {
	{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
	{"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
	{"mnt", CLONE_NEWNS},
};
#define N_NAMESPACES (sizeof(namespaces) / sizeof(namespaces[0]))

struct exec_opts {
	const char *env[64], *workdir, *user;
	size_t n_env;
	int interactive, tty;
};

static void exec_usage(FILE *out)
{
	fprintf(out,
		"usage: %s exec [OPTIONS] CONTAINER CMD [ARG...]\n"
		"Run CMD in a running container.\n"
		"\n"
		"  -i, --interactive      keep stdin attached\n"
		"  -t, --tty              give CMD a terminal\n"
		"  -e, --env KEY=VALUE    set an environment variable\n"
		"  -w, --workdir DIR      working directory inside the container\n"
		"  -u, --user UID[:GID]   run as this user\n",
		PROG);
}

static int parse_exec_args(int argc, char **argv, struct exec_opts *o)
{
	static const struct option options[] = {
		{"interactive", no_argument, NULL, 'i'}, {"tty", no_argument, NULL, 't'},
		{"env", required_argument, NULL, 'e'},   {"workdir", required_argument, NULL, 'w'},
		{"user", required_argument, NULL, 'u'},  {"help", no_argument, NULL, 'h'},
		{0},
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:ite:w:u:", options, NULL)) != -1) {
		if (opt == 'h') {
			exec_usage(stdout);
			exit(0);
		}
		if (opt == 'i' || opt == 't')
			*(opt == 'i' ? &o->interactive : &o->tty) = 1;
		else if (opt == 'w')
			o->workdir = optarg;
		else if (opt == 'u')
			o->user = optarg;
		else if (opt == 'e' && o->n_env < 64)
			o->env[o->n_env++] = optarg;
		else {
			fprintf(stderr, "%s: exec: bad option '%s' (try '%s exec --help')\n", PROG,
				argv[optind - 1], PROG);
			return -1;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "%s: exec: missing %s (try '%s exec --help')\n", PROG,
			argc == optind ? "container" : "command", PROG);
		return -1;
	}
	return optind;
}

/* -u UID[:GID], numbers, as run takes it; the container's user otherwise. */
/* KEY=VALUE replaces the container's KEY, or joins the list. */
static int set_exec_env(struct record *r, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy;

	if (!klen || !kv[klen]) {
		fprintf(stderr, "%s: exec: bad -e '%s': use KEY=VALUE\n", PROG, kv);
		return -1;
	}
	for (size_t i = 0; i < r->n_env; i++) {
		if (!strncmp(r->env[i], kv, klen + 1)) {
			copy = strdup(kv);
			if (!copy)
				return -1;
			free(r->env[i]);
			r->env[i] = copy;
			return 0;
		}
	}
	return record_add_string(r->env, &r->n_env, MAX_ENV, kv);
}

/* The container's process, as its config file says, with exec's flags on top. */
static int build_exec_config(struct record *r, const struct exec_opts *o, char **cmd,
			     struct config *cfg)
{
	struct process *p = &cfg->process;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < o->n_env; i++)
		if (set_exec_env(r, o->env[i]) < 0)
			return -1;
	if (o->workdir && o->workdir[0] != '/') {
		fprintf(stderr, "%s: exec: bad --workdir '%s': must be an absolute path\n", PROG,
			o->workdir);
		return -1;
	}
	p->args = cmd;
	p->env = r->env;
	p->cwd = o->workdir ? o->workdir : r->cwd[0] ? r->cwd : "/";
	p->terminal = o->tty;
	p->stdin_open = o->interactive;
	p->caps = (struct capabilities){.bounding = r->caps, .effective = r->caps,
					.permitted = r->caps};
	p->no_new_privileges = r->no_new_privs;
	p->stdout_fd = p->stderr_fd = -1;
	cfg->linux.seccomp = r->seccomp;
	cfg->state_fs = -1;
	/* the container's user, unless -u says otherwise */
	return parse_user_spec(r->user, p) < 0 ? -1 : parse_user_spec(o->user, p);
}

/*
 * Open the container's namespaces before joining any: once in its mount
 * namespace, /proc is the container's and its PID is not there. Only
 * those that differ from ours are joined (--network host shares ours).
 */
static int open_namespaces(pid_t pid, int fds[N_NAMESPACES])
{
	char path[64];
	struct stat theirs, ours;

	for (size_t i = 0; i < N_NAMESPACES; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, namespaces[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 || fstat(fds[i], &theirs) < 0) {
			fprintf(stderr, "%s: open %s: %m\n", PROG, path);
			return -1;
		}
		snprintf(path, sizeof(path), "/proc/self/ns/%s", namespaces[i].name);
		if (stat(path, &ours) == 0 && ours.st_ino == theirs.st_ino &&
		    ours.st_dev == theirs.st_dev) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	return 0;
}

/* "0" into each cgroup's procs (v2) or tasks (v1) file moves the writer (cgroups(7)). */
static int join_cgroups(const struct record *r)
{
	char path[PATH_MAX + 32];
	int fd;

	for (size_t i = 0; i < r->n_cgroups; i++) {
		const struct cgroup_place *c = &r->cgroups[i];

		snprintf(path, sizeof(path), "%s/%s", c->dir, c->v2 ? "cgroup.procs" : "tasks");
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			fprintf(stderr, "%s: join cgroup %s: %m\n", PROG, c->dir);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		narrate("write(\"%s\", \"0\") = 1 [cgroups(7)]", path);
	}
	return 0;
}

static int join_namespaces(const int fds[N_NAMESPACES])
{
	for (size_t i = 0; i < N_NAMESPACES; i++) {
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], namespaces[i].flag) < 0) {
			fprintf(stderr, "%s: setns %s namespace: %m\n", PROG, namespaces[i].name);
			return -1;
		}
		narrate("setns(%s) = 0 [setns(2)]", namespaces[i].name);
		close(fds[i]);
	}
	return 0;
}

/*
 * PR_SET_PDEATHSIG (prctl(2)) acts only on a parent that dies after it is
 * set: one that died before has already left us to another parent, which
 * getppid(2) shows. EXPECTED: the parent's PID as we see it (0 when it is
 * outside our PID namespace).
 */
static int die_with_parent(pid_t expected)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %m\n", PROG);
		return -1;
	}
	if (getppid() != expected)
		_exit(EXIT_TOOL);
	return 0;
}

/*
 * ALIVE: a pipe's read end whose write end only our parent holds. Its
 * hang-up says the parent died before our PR_SET_PDEATHSIG, even where a
 * subreaper outside our PID namespace took us in (getppid(2) reads 0 then too).
 */
static int parent_gone(int alive)
{
	struct pollfd p = {.fd = alive, .events = POLLIN};

	return poll(&p, 1, 0) < 0 || (p.revents & POLLHUP);
}

/*
 * The second child, in the container's PID namespace: lock down, then CMD.
 * OCI exec -d leaves it to our caller (an engine's shim or conmon, a
 * subreaper that reaps it): it must outlive its parent, so it does not die with it.
 */
static int exec_in_container(const struct config *cfg, int sync_fd, int alive)
{
	if (!cfg->exec_detach && die_with_parent(0) < 0)
		return report_failure(sync_fd, 0);
	if (!cfg->exec_detach && parent_gone(alive))
		_exit(EXIT_TOOL);
	if (chdir(cfg->process.cwd) < 0) {
		fprintf(stderr, "%s: exec: chdir %s: %m\n", PROG, cfg->process.cwd);
		return report_failure(sync_fd, 0);
	}
	if (set_stdio(cfg, sync_fd) < 0 || lock_down(cfg, sync_fd) < 0)
		return report_failure(sync_fd, 0);
	return exec_command(cfg, sync_fd);
}

/* CMD's PID as we (in the host's PID namespace) see it, for a pid file. */
static int report_exec_pid(int sync_fd, pid_t pid)
{
	struct report r = {.kind = REPORT_EXEC_PID, .pid = pid};

	if (write(sync_fd, &r, sizeof(r)) != sizeof(r)) {
		fprintf(stderr, "%s: report to parent: %m\n", PROG);
		return -1;
	}
	return 0;
}

/* The first child: into the cgroups and namespaces, then fork the one that runs CMD. */
static int enter_container(const struct config *cfg, const struct record *r,
			   const int fds[N_NAMESPACES], int sync_fd, pid_t caller)
{
	pid_t child;
	int status, alive[2];

	if (die_with_parent(caller) < 0 || make_undumpable() < 0 ||
	    join_cgroups(r) < 0 || join_namespaces(fds) < 0)
		return report_failure(sync_fd, 0);
	fault_point("exec-child-joined");
	if (pipe2(alive, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %m\n", PROG);
		return report_failure(sync_fd, 0);
	}
	child = narrate_fork_prepare() < 0 ? -1 : fork();
	if (child < 0) {
		fprintf(stderr, "%s: fork: %m\n", PROG);
		narrate_fork_done(child);
		return report_failure(sync_fd, 0);
	}
	if (child == 0) {
		close(alive[1]);
		narrate_forked("cmd");
		_exit(exec_in_container(cfg, sync_fd, alive[0]));
	}
	close(alive[0]);
	narrate("fork() = %d: CMD's process, in the container's PID namespace [fork(2)]", child);
	narrate_fork_done(child);
	if (report_exec_pid(sync_fd, child) < 0)
		return EXIT_TOOL;
	if (cfg->exec_detach)
		return 0;
	close(sync_fd);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_TOOL;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* OCI exec --pid-file: CMD's PID, once it runs. */
static int write_exec_pid_file(const char *path, pid_t pid)
{
	if (path && pid <= 0) {
		fprintf(stderr, "%s: exec: the PID of the command never came\n", PROG);
		return -1;
	}
	return write_pid_file(path, pid, 0);
}

/* Our side: the child's reports (a failed exec, a pty), the terminal, its status (oci.c too). */
int run_exec(const struct config *cfg, const struct record *r)
{
	int fds[N_NAMESPACES], sv[2], failed, status = EXIT_EXEC_ERROR;
	pid_t child, caller, cmd_pid = -1;

	for (size_t i = 0; i < N_NAMESPACES; i++)
		fds[i] = -1;
	/* Still PID 1 after the opens: the namespaces are its, not a reused PID's. */
	if (open_namespaces(r->pid, fds) < 0)
		goto close_fds;
	if (!record_alive(r)) {
		fprintf(stderr, "%s: container %s stopped meanwhile\n", PROG, r->name);
		goto close_fds;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "%s: socketpair: %m\n", PROG);
		goto close_fds;
	}
	caller = getpid();
	narrate_flush();
	child = fork();
	if (child < 0) {
		fprintf(stderr, "%s: fork: %m\n", PROG);
	} else if (child == 0) {
		narrate_forked("child");
		close(sv[0]);
		_exit(enter_container(cfg, r, fds, sv[1], caller));
	} else {
		close(sv[1]);
		fault_point("exec-after-fork");
		failed = read_reports(cfg, child, sv[0], &cmd_pid);
		if (!failed && write_exec_pid_file(cfg->pid_file, cmd_pid) < 0)
			failed = EXIT_TOOL;
		if (!failed)
			relay_terminal(cfg);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		tty_restore();
		status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		/* Our own failure is exec's 1; CMD's 126 and 127 pass as run's do. */
		if (failed)
			status = failed == EXIT_TOOL ? EXIT_EXEC_ERROR : failed;
	}
	close(sv[0]);
close_fds:
	for (size_t i = 0; i < N_NAMESPACES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return status;
}

int cmd_exec(const struct store *s, int argc, char **argv)
{
	struct exec_opts o = {0};
	struct config cfg;
	struct record r;
	int first = parse_exec_args(argc, argv, &o), status = EXIT_EXEC_ERROR;

	if (first < 0 || record_open(s, argv[first], &r) < 0)
		return EXIT_EXEC_ERROR;
	if (!record_alive(&r))
		fprintf(stderr, "%s: container %s is not running\n", PROG, argv[first]);
	else if (record_paused(&r))
		fprintf(stderr, "%s: container %s is paused: unpause it first\n", PROG, argv[first]);
	else if (build_exec_config(&r, &o, &argv[first + 1], &cfg) == 0)
		status = run_exec(&cfg, &r);
	record_free(&r);
	return status;
}
