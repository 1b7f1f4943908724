/*
 * lifecycle.c: stop, kill, rm and prune, Docker's way.
 *
 * stop is what `docker stop` does, and what PID 1 owes (chapter 2):
 * SIGTERM, a grace period to exit cleanly, then SIGKILL, which PID 1
 * cannot refuse. We wait for the monitor to finish rather than for PID 1:
 * the monitor exits only once the container's cgroups, lease and state
 * are settled, so when stop returns, rm may follow at once.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "minidock.h"

#define KILL_WAIT_MS 10000 /* after SIGKILL: the most we wait for the monitor to finish */

static int parse_flags(int argc, char **argv, const char *optstring, const char *usage,
		       int (*take)(int opt, void *arg), void *arg)
{
	int opt;

	optind = 0;
	opterr = 0;
	/* One line for any mistake: what was wrong, and the usage. */
	while ((opt = getopt(argc, argv, optstring)) != -1) {
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "%s: %s: bad option '%s' (usage: %s %s)\n", PROG, argv[0],
				argv[optind - 1], PROG, usage);
			return -1;
		}
		if (take(opt, arg) < 0)
			return -1;
	}
	if (optind == argc) {
		fprintf(stderr, "%s: %s: no container given (usage: %s %s)\n", PROG, argv[0], PROG,
			usage);
		return -1;
	}
	return optind;
}

/* ---- waiting for the end ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Re-read the record; is its monitor done with it? */
static int finished(const struct store *s, struct record *r)
{
	char id[65];

	snprintf(id, sizeof(id), "%s", r->id);
	record_free(r);
	if (record_read(s, id, r) < 0)
		return 1;
	return !record_monitor_alive(r);
}

/*
 * Wait, at most timeout_ms, for the monitor to exit. A pidfd (pidfd_open(2),
 * Linux 5.3) becomes readable when it does; the state directory's inotify(7)
 * events (the state file renamed into place, the directory removed by a
 * --rm) wake us on kernels without pidfds. Each wake-up looks again.
 * Returns 0 once the monitor is gone, -1 on timeout.
 */
static int wait_for_monitor(const struct store *s, struct record *r, long long timeout_ms)
{
	char dir[PATH_MAX];
	struct pollfd pfd[2] = {{.fd = -1, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
	long long deadline = now_ms() + timeout_ms, left;
	int done;

	if (snprintf(dir, sizeof(dir), "%s/containers/%s", s->run, r->id) >= (int)sizeof(dir))
		return -1;
	pfd[0].fd = (int)syscall(SYS_pidfd_open, r->monitor, 0);
	pfd[1].fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (pfd[1].fd >= 0 && inotify_add_watch(pfd[1].fd, dir, IN_MOVED_TO | IN_DELETE_SELF) < 0) {
		close(pfd[1].fd);
		pfd[1].fd = -1;
	}
	while (!(done = finished(s, r)) && (left = deadline - now_ms()) > 0) {
		char events[4096];

		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (pfd[1].fd >= 0 && read(pfd[1].fd, events, sizeof(events)) < 0 && errno != EAGAIN)
			break;
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return done ? 0 : -1;
}

/*
 * The container's PID 1, by the PID and start time recorded: never a
 * reused PID. A pidfd (pidfd_open(2), Linux 5.3) pins the process: once
 * it is open, a start time that still matches means the signal reaches
 * that very process (pidfd_send_signal(2)). Older kernels get kill(2)
 * right after the check.
 */
static int signal_container(const struct record *r, int sig)
{
	int pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0), ret;

	if (!record_alive(r)) {
		fprintf(stderr, "%s: container %s is not running\n", PROG, r->name);
		if (pidfd >= 0)
			close(pidfd);
		return -1;
	}
	if (pidfd >= 0)
		ret = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	else
		ret = kill(r->pid, sig);
	if (pidfd >= 0)
		close(pidfd);
	if (ret < 0) {
		fprintf(stderr, "%s: signal %d to PID %d (container %s): %m\n", PROG, sig, r->pid,
			r->name);
		return -1;
	}
	narrate("%s(%d, %d) = 0: PID 1 of container %s [%s(2)]",
		pidfd >= 0 ? "pidfd_send_signal" : "kill", r->pid, sig, r->name,
		pidfd >= 0 ? "pidfd_send_signal" : "kill");
	return 0;
}

/*
 * SIGKILL, then the wait. A frozen task dies only once thawed on cgroup
 * v1, so a paused container is unpaused after the signal (as Docker does).
 */
static int kill_and_wait(const struct store *s, struct record *r)
{
	if (signal_container(r, SIGKILL) < 0)
		return -1;
	if (record_paused(r))
		container_freeze(r, 0);
	if (wait_for_monitor(s, r, KILL_WAIT_MS) < 0) {
		fprintf(stderr, "%s: container %s: its monitor %d did not finish\n", PROG, r->name,
			r->monitor);
		return -1;
	}
	return 0;
}

/* ---- stop ---- */

static int take_timeout(int opt, void *arg)
{
	char *end;
	long secs;

	if (opt != 't')
		return -1;
	secs = strtol(optarg, &end, 10);
	if (*end || end == optarg || secs < 0 || secs > INT_MAX / 1000) {
		fprintf(stderr, "%s: stop: bad -t '%s': seconds, 0 or more\n", PROG, optarg);
		return -1;
	}
	*(long *)arg = secs;
	return 0;
}

/* The grace period's end: SIGKILL for a container still running then. 0 once it is over. */
static int finish_stop(const struct store *s, struct record *r, long long deadline)
{
	long long left = deadline - now_ms();

	if (wait_for_monitor(s, r, left > 0 ? left : 0) == 0)
		return 0;
	narrate("container %s: still running at the end of its grace period: SIGKILL", r->name);
	return kill_and_wait(s, r);
}

/*
 * stop [-t SECS] CONTAINER...: SIGTERM, SIGKILL after SECS (default 10).
 * Every container gets its SIGTERM first and they share one grace period,
 * as Docker stops them side by side. Docker's stop of a stopped container
 * succeeds.
 */
int cmd_stop(const struct store *s, int argc, char **argv)
{
	long secs = 10;
	int first = parse_flags(argc, argv, "+t:", "stop [-t SECONDS] CONTAINER...",
				take_timeout, &secs), ret = 0;
	struct record *r;
	int *state; /* 0: stopped already, 1: signalled, -1: failed */
	long long deadline;

	if (first < 0)
		return 1;
	r = calloc((size_t)(argc - first), sizeof(*r));
	state = calloc((size_t)(argc - first), sizeof(*state));
	if (!r || !state) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		free(r);
		free(state);
		return 1;
	}
	for (int i = 0; i < argc - first; i++) {
		if (record_open(s, argv[first + i], &r[i]) < 0)
			state[i] = -1;
		else if (record_alive(&r[i]))
			state[i] = signal_container(&r[i], SIGTERM) == 0 ? 1 : -1;
	}
	fault_point("stop-after-signal");
	deadline = now_ms() + secs * 1000;
	for (int i = 0; i < argc - first; i++) {
		if (state[i] == 1 && finish_stop(s, &r[i], deadline) < 0)
			state[i] = -1;
		if (state[i] >= 0)
			printf("%s\n", argv[first + i]);
		else
			ret = 1;
		record_free(&r[i]);
	}
	free(r);
	free(state);
	return ret;
}

/* ---- kill ---- */

/* "TERM", "SIGTERM" or "15", in any case ("sigterm"), as Docker takes them. */
static int parse_signal(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} signals[] = {
		{"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ABRT", SIGABRT},
		{"KILL", SIGKILL}, {"USR1", SIGUSR1},   {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},
		{"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD}, {"CONT", SIGCONT},
		{"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
		{"WINCH", SIGWINCH}, {"PWR", SIGPWR},   {"SYS", SIGSYS},
	};
	char *end;
	long n = strtol(name, &end, 10);

	if (!*end && end != name)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcasecmp(name, signals[i].name))
			return signals[i].sig;
	return -1;
}

static int take_signal(int opt, void *arg)
{
	int sig;

	if (opt != 's')
		return -1;
	sig = parse_signal(optarg);
	if (sig < 0) {
		fprintf(stderr, "%s: kill: unknown signal '%s'\n", PROG, optarg);
		return -1;
	}
	*(int *)arg = sig;
	return 0;
}

/* kill [-s SIGNAL] CONTAINER...: SIGKILL unless told otherwise, as Docker. */
int cmd_kill(const struct store *s, int argc, char **argv)
{
	int sig = SIGKILL, ret = 0;
	int first = parse_flags(argc, argv, "+s:", "kill [-s SIGNAL] CONTAINER...", take_signal,
				&sig);
	struct record r;

	if (first < 0)
		return 1;
	for (int i = first; i < argc; i++) {
		if (record_open(s, argv[i], &r) < 0) {
			ret = 1;
			continue;
		}
		if (signal_container(&r, sig) < 0)
			ret = 1;
		else
			printf("%s\n", argv[i]);
		record_free(&r);
	}
	return ret;
}

/* ---- rm and prune ---- */

/*
 * What a container holds once its PID 1 is gone: its cgroups (emptied
 * first) and its address lease, both named in its state file. A frozen
 * task dies of SIGKILL only once thawed: a container paused when its
 * monitor was killed is thawed first (its PID 1 then meets the SIGKILL of
 * its parent-death signal, and the rest die with their PID namespace).
 */
static int release_resources(const struct record *r)
{
	int ret = 0;

	if (record_paused(r) && container_freeze(r, 0) < 0)
		ret = -1;
	for (size_t i = 0; i < r->n_cgroups; i++)
		if (cgroups_remove_place(&r->cgroups[i]) < 0)
			ret = -1;
	if (r->ip[0])
		net_forget(r->bridge, r->ip, r->pid);
	return ret;
}

/* Its record goes only once its resources have: otherwise rm or prune may try again. */
static int remove_container(const struct store *s, const struct record *r)
{
	struct container c;

	if (release_resources(r) < 0) {
		fprintf(stderr, "%s: container %.12s: its cgroups could not be removed; kept\n",
			PROG, r->id);
		return -1;
	}
	fault_point("rm-mid");
	if (container_reopen(s, r->id, r->name, &c) < 0)
		return -1;
	container_destroy(s, &c);
	return 0;
}

/*
 * The monitor's last act, once the container has ended with CODE: the
 * OOM verdict, the resources, then how it ended - or, with --rm, all of
 * it. The state file goes last, so whoever waits for it may rely on it.
 */
int container_finish(const struct store *s, struct record *r, int code, int rm)
{
	const struct cgroup_place *memory = record_cgroup(r, "memory");
	char dir[PATH_MAX];

	r->oom_killed = memory && cgroups_place_oom(memory);
	if (rm)
		return remove_container(s, r) < 0 ? EXIT_TOOL : code;
	release_resources(r);
	snprintf(r->status, sizeof(r->status), "exited");
	r->finished = now_ns();
	r->exit_code = code;
	if (snprintf(dir, sizeof(dir), "%s/containers/%s", s->run, r->id) >= (int)sizeof(dir) ||
	    state_write(dir, r) < 0)
		return EXIT_TOOL;
	return code;
}

static int take_force(int opt, void *arg)
{
	if (opt != 'f')
		return -1;
	*(int *)arg = 1;
	return 0;
}

/*
 * Before removing: a running container is killed (rm -f); one whose PID 1
 * has just ended may still have its monitor finishing (cgroups, lease,
 * state): that is waited for. A --rm container's monitor removes it all:
 * r->id is then empty.
 */
static int end_container(const struct store *s, struct record *r)
{
	char dir[PATH_MAX];

	if (record_alive(r)) {
		if (kill_and_wait(s, r) < 0)
			return -1;
	} else if (record_monitor_alive(r) && wait_for_monitor(s, r, KILL_WAIT_MS) < 0) {
		fprintf(stderr, "%s: container %s: its monitor %d did not finish\n", PROG, r->name,
			r->monitor);
		return -1;
	}
	if (snprintf(dir, sizeof(dir), "%s/containers/%s", s->run, r->id) < (int)sizeof(dir) &&
	    access(dir, F_OK) < 0)
		r->id[0] = 0;
	return 0;
}

/* Under the container's lock, so two removals never overlap. */
static int rm_one(const struct store *s, const char *ref, int force)
{
	char id[65];
	struct record r;
	int lock, ret = -1;

	if (resolve_container(s, ref, id) < 0 || (lock = lock_container(s, id)) < 0)
		return -1;
	if (record_read(s, id, &r) < 0)
		goto unlock;
	if (record_alive(&r) && !force)
		fprintf(stderr, "%s: cannot remove running container %s: stop it first, or use "
				"rm -f\n", PROG, ref);
	else if (record_monitor_alive(&r) && !record_alive(&r) && !strcmp(r.status, "created"))
		fprintf(stderr, "%s: container %s is being created\n", PROG, ref);
	else if (end_container(s, &r) == 0 && (!r.id[0] || remove_container(s, &r) == 0))
		ret = 0;
	record_free(&r);
unlock:
	close(lock);
	if (ret == 0)
		printf("%s\n", ref);
	return ret;
}

/* rm [-f] CONTAINER...: -f stops a running one with SIGKILL first. */
int cmd_rm(const struct store *s, int argc, char **argv)
{
	int force = 0, ret = 0;
	int first = parse_flags(argc, argv, "+f", "rm [-f] CONTAINER...", take_force, &force);

	if (first < 0)
		return 1;
	for (int i = first; i < argc; i++)
		if (rm_one(s, argv[i], force) < 0)
			ret = 1;
	return ret;
}

/*
 * One container for prune: removed if it is not running and nobody is
 * making it. 1: removed, 0: left alone, -1: it should have gone and did not.
 */
static int prune_one(const struct store *s, const char *id)
{
	struct record r;
	int lock = lock_container(s, id), removed = 0;

	if (lock < 0)
		return 0;
	if (record_read(s, id, &r) == 0) {
		if (!record_alive(&r) && !record_monitor_alive(&r))
			removed = remove_container(s, &r) == 0 ? 1 : -1;
		record_free(&r);
	}
	close(lock);
	return removed;
}

/*
 * prune: what stopped or crashed runs left behind, and only ours: the
 * containers not running, cgroups beneath minidock/ whose owner is dead,
 * leases whose veth is gone.
 */
int cmd_prune(const struct store *s, int argc, char **argv)
{
	char dir[PATH_MAX];
	struct dirent *e;
	int ret = 0, pruned;
	DIR *d;

	(void)argv;
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "-f"))) {
		fprintf(stderr, "%s: prune takes no arguments but -f (usage: %s prune [-f])\n", PROG,
			PROG);
		return 1;
	}
	printf("Deleted Containers:\n");
	if (join_path(dir, sizeof(dir), s->run, "containers") == 0 && (d = opendir(dir))) {
		while ((e = readdir(d))) {
			pruned = strlen(e->d_name) == 64 ? prune_one(s, e->d_name) : 0;
			if (pruned > 0)
				printf("%s\n", e->d_name);
			else if (pruned < 0)
				ret = 1;
		}
		closedir(d);
	}
	fault_point("prune-mid");
	prune_stale_names(s);
	prune_layers(s);
	cgroups_prune();
	net_prune();
	return ret;
}
