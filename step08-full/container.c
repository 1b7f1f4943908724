/*
 * container.c: the core. It executes one struct config and nothing else:
 * clone(2) a child into new namespaces, let it build its root filesystem
 * and lock itself down while the parent does the host's side of the work,
 * then wait, passing signals on, and report how the container ended.
 *
 * The parent and the child talk over a socketpair: the child builds its
 * root, then waits until the parent has done its part (cgroups, id maps,
 * network, pid file); it sends its pty master when it has one, and
 * reports if a setup step or execve(2) fails. The child's end is
 * close-on-exec, so a successful execve closes it and the parent reads
 * end-of-file.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "minidock.h"
#include "oci.h"

const int forwarded_signals[N_FORWARDED] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,
					    SIGUSR1, SIGUSR2, SIGWINCH};

/* For the signal handler: the container's PID; with -t its pty master and our terminal. */
static volatile sig_atomic_t container_pid;
static volatile sig_atomic_t tty_master = -1, tty_size = -1;

/* What the child needs: the configuration and its end of the socketpair. */
struct child {
	const struct config *cfg;
	int sync_fd;   /* the child's end */
	int parent_fd; /* the parent's end, which the child closes */
	int flags;     /* its namespaces, for clone(2) */
	int pid_out;   /* with a user namespace to join: where its PID goes (start_in_userns) */
};

/* ---- in the child ---- */

/*
 * Die with the parent: PR_SET_PDEATHSIG (prctl(2)) kills us if the parent
 * dies from now on; reading the go-ahead catches a parent that died before
 * (its end closes, so read returns 0 - once we have closed our copy of it).
 * A change of ids clears the setting, and set_user() sets it again: a
 * parent that died in between is seen by getppid(2). Ours is outside our
 * PID namespace, so it reads 0 while our parent lives; an orphan (exec's
 * process) has the container's PID 1 instead.
 */
static int die_with_parent(const char *why)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %m\n", PROG);
		return -1;
	}
	narrate("prctl(PR_SET_PDEATHSIG, SIGKILL) = 0: %s [prctl(2)]", why);
	if (getppid() != 0)
		_exit(EXIT_TOOL);
	return 0;
}

/*
 * The go-ahead means the parent has made our cgroups (and maps, and
 * network): we join them at once, while we still have the host's ids and
 * the host's /sys/fs/cgroup in view.
 */
static int join_cgroups_when_released(int sync_fd)
{
	char go;

	narrate_flush();
	if (read(sync_fd, &go, 1) != 1) {
		fprintf(stderr, "%s: parent went away before releasing the container\n", PROG);
		return -1;
	}
	return cgroups_join();
}

/*
 * A step failed before the go-ahead, while the parent may still be at its
 * half (a veth into our network namespace, our id maps): report it, then
 * wait for the go-ahead all the same, so the parent never meets a dead
 * child and the one error printed is ours.
 */
static int fail_before_release(int sync_fd)
{
	char go;

	report_failure(sync_fd, 0);
	while (read(sync_fd, &go, 1) < 0 && errno == EINTR)
		;
	return EXIT_TOOL;
}

/*
 * The cgroup namespace comes after the cgroups are joined: its root is the
 * cgroup we are in when we unshare, so the container sees its own cgroup
 * as "/" and none of the host's tree (cgroup_namespaces(7)). One given by
 * path (OCI) is joined at the same point: its root is then another
 * container's cgroup, ours is seen relative to it.
 */
static int enter_cgroup_namespace(const struct config *cfg)
{
	if (joins_fd(&cfg->linux.joins, CLONE_NEWCGROUP) >= 0)
		return joins_enter_cgroup(&cfg->linux.joins);
	if (!(cfg->linux.namespaces & CLONE_NEWCGROUP))
		return 0;
	if (unshare(CLONE_NEWCGROUP) < 0) {
		fprintf(stderr, "%s: unshare CLONE_NEWCGROUP: %m\n", PROG);
		return -1;
	}
	narrate("unshare(CLONE_NEWCGROUP) = 0: its cgroups become the container's / "
		"[cgroup_namespaces(7)]");
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

/*
 * Without -i, Docker gives the container an empty stdin: its /dev/null.
 * Without -t, a session of its own all the same (setsid(2)): in the
 * caller's session, /dev/tty would open the caller's terminal, and
 * TIOCSTI (ioctl_tty(2)) would type into the caller's shell.
 */
int set_stdio(const struct config *cfg, int sync_fd)
{
	int null;

	if (cfg->process.terminal)
		return tty_child_setup(sync_fd);
	if (setsid() < 0) {
		fprintf(stderr, "%s: setsid: %m\n", PROG);
		return -1;
	}
	if (cfg->process.stdin_open)
		return 0;
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0) {
		fprintf(stderr, "%s: stdin from /dev/null: %m\n", PROG);
		return -1;
	}
	close(null);
	return 0;
}

/*
 * -u: no supplementary groups, then the group, then the user (the order
 * matters: after setuid(2) we could no longer change the group). A change
 * of credentials clears PR_SET_PDEATHSIG, so it is set again - except for
 * OCI exec -d's command, which outlives its parent by design (its parent
 * may already be gone, and getppid(2) would then read the container's 1).
 */
static int set_user(const struct config *cfg)
{
	const struct process *p = &cfg->process;
	gid_t gid, groups[MAX_GROUPS];
	uid_t uid;
	size_t n;

	if (resolve_user(p, &uid, &gid, groups, &n) < 0)
		return -1;
	if (setgroups(n, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "%s: switch to user %u:%u: %m\n", PROG, uid, gid);
		return -1;
	}
	narrate("setgroups(%zu, ...) = 0, setgid(%u) = 0, setuid(%u) = 0 [credentials(7)]", n, gid,
		uid);
	return cfg->exec_detach ? 0 : die_with_parent("again: the new credentials cleared it");
}

static int install_filter(const struct config *cfg, int sync_fd)
{
	if (cfg->linux.seccomp_profile)
		return seccomp_install_profile(cfg->linux.seccomp_profile, sync_fd);
	return install_seccomp(NULL);
}

/*
 * The locks, in the order they must go on: the bounding set while we
 * still hold CAP_SETPCAP; the user; the final capability sets; no_new_privs;
 * the fds; and seccomp last, so it filters CMD and not our own setup. A
 * filter needs no_new_privs or CAP_SYS_ADMIN: without no_new_privs (Docker's
 * default) it goes on first, while we are still fully privileged, as runc
 * does - but never one that notifies: its agent would answer our own
 * setuid(2) and capset(2), and could leave the container root.
 */
int lock_down(const struct config *cfg, int sync_fd)
{
	const struct process *p = &cfg->process;
	int early_seccomp = cfg->linux.seccomp && !p->no_new_privileges;

	if (early_seccomp && seccomp_notifies(cfg->linux.seccomp_profile)) {
		fprintf(stderr, "%s: seccomp: SCMP_ACT_NOTIFY needs no_new_privileges, so that "
			"the filter goes on after every other lock\n", PROG);
		return -1;
	}
	if (early_seccomp && install_filter(cfg, sync_fd) < 0)
		return -1;
	if (drop_capabilities(&p->caps) < 0 || set_user(cfg) < 0 ||
	    apply_capabilities(&p->caps) < 0 ||
	    (p->no_new_privileges && set_no_new_privs() < 0) || close_host_fds() < 0)
		return -1;
	if (cfg->linux.seccomp && !early_seccomp && install_filter(cfg, sync_fd) < 0)
		return -1;
	return 0;
}

static int child_main(void *arg)
{
	const struct child *c = arg;
	const struct config *cfg = c->cfg;
	int sync_fd = c->sync_fd, trees[MAX_MOUNTS], root_mnt = -1;
	int userns = userns_any(cfg);

	narrate_forked("child");
	close(c->parent_fd);
	if (make_undumpable() < 0 || die_with_parent("the container dies with its parent") < 0)
		return EXIT_TOOL;
	/*
	 * Without a user namespace we build the whole root while the parent
	 * makes the cgroups and the network, and wait only before entering
	 * it. With one we have no ids until the parent has written our maps,
	 * and it sends the overlay after the go-ahead (userns.c): we wait first.
	 */
	if ((userns && join_cgroups_when_released(sync_fd) < 0) ||
	    userns_receive_trees(cfg, sync_fd, &root_mnt, trees) < 0)
		return report_failure(sync_fd, 0);
	if ((!userns && cfg->root.n_layers &&
	     (root_mnt = overlay_create(&cfg->root, cfg->root.layers)) < 0) ||
	    set_hostname(cfg->hostname) < 0 || attach_rootfs(cfg, root_mnt, trees) < 0 ||
	    (fault_point("run-mid-mount"), 0) || userns_become_root(cfg) < 0 || fill_rootfs(cfg) < 0)
		return userns ? report_failure(sync_fd, 0) : fail_before_release(sync_fd);
	if ((!userns && join_cgroups_when_released(sync_fd) < 0) ||
	    enter_cgroup_namespace(cfg) < 0 || enter_rootfs(cfg) < 0 ||
	    set_stdio(cfg, sync_fd) < 0 || lock_down(cfg, sync_fd) < 0)
		return report_failure(sync_fd, 0);
	/* OCI create: wait here, ready to exec, until `start` (oci.c) */
	if (cfg->oci && oci_child_wait_for_start(cfg, sync_fd) < 0)
		return EXIT_TOOL;
	if (cfg->process.init)
		return run_init(cfg, sync_fd);
	return exec_command(cfg, sync_fd);
}

/* ---- in the parent ---- */

/* "CLONE_NEWUTS|CLONE_NEWPID|...", for the narration. */
static const char *clone_flag_names(int flags, char *buf, size_t len)
{
	static const struct {
		int flag;
		const char *name;
	} names[] = {
		{CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWUTS, "CLONE_NEWUTS"},
		{CLONE_NEWPID, "CLONE_NEWPID"},   {CLONE_NEWNS, "CLONE_NEWNS"},
		{CLONE_NEWIPC, "CLONE_NEWIPC"},   {CLONE_NEWNET, "CLONE_NEWNET"},
	};
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s|",
						 names[i].name);
	snprintf(buf + used, used < len ? len - used : 0, "SIGCHLD");
	return buf;
}

/* FN in a child with FLAGS, in the container's cgroup where clone3 can (cgroups_clone). */
static pid_t clone_child(int (*fn)(void *), void *arg, int flags)
{
	char names[160];
	pid_t pid = cgroups_clone(fn, arg, flags | SIGCHLD);

	if (pid == 0) {
		/*
		 * clone(2)'s raw form with no stack: the child runs on a copy of
		 * ours, as after fork(2), ARG included. glibc's wrapper wants a stack
		 * of its own, and a static one has no guard page (an overflow would
		 * silently overwrite our globals) and is not the stack the
		 * sanitizers know (ASan warns at every noreturn call made on it).
		 */
		pid = (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL,
				     NULL);
		if (pid == 0)
			_exit(fn(arg));
		if (pid < 0)
			fprintf(stderr, "%s: clone: %m\n", PROG);
		else
			narrate("clone(%s) = %d [clone(2)]",
				clone_flag_names(flags, names, sizeof(names)), pid);
	}
	return pid;
}

/*
 * In the joining process (start_in_userns): the user namespace, then the
 * container, made inside it, with CLONE_PARENT (clone(2)) so that it is
 * our parent's child. setns(2) into a PID namespace moves only the
 * children, so the PID clone returns here is our parent's view of it too.
 */
static int join_userns_then_clone(void *arg)
{
	struct child *c = arg;
	char names[160];
	pid_t pid;

	if (joins_enter_userns(&c->cfg->linux.joins) < 0 || userns_maps_match(c->cfg) < 0)
		return EXIT_TOOL;
	pid = (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_PARENT | c->flags | SIGCHLD), NULL,
			     NULL, NULL, NULL);
	if (pid == 0) {
		close(c->pid_out);
		_exit(child_main(c));
	}
	if (pid < 0) {
		fprintf(stderr, "%s: clone in the joined user namespace: %m\n", PROG);
		return EXIT_TOOL;
	}
	narrate("clone(CLONE_PARENT|%s) = %d: the container, in the joined user namespace "
		"[clone(2)]", clone_flag_names(c->flags, names, sizeof(names)), pid);
	narrate_flush();
	return write(c->pid_out, &pid, sizeof(pid)) == sizeof(pid) ? 0 : EXIT_TOOL;
}

/*
 * A user namespace given by path (OCI linux.namespaces): the container's
 * new namespaces must be made inside it, to be its own (the owner of a
 * PID namespace decides who may mount its /proc, of a UTS namespace who
 * may set its hostname), so the setns(2) comes before their clone. Not
 * here: we keep the host's privileges for the cgroups and the network. A
 * short-lived process joins and clones the container (join_userns_then_clone);
 * we wait for it and read the container's PID from a pipe.
 */
static pid_t start_in_userns(struct child *c)
{
	int pids[2], status;
	pid_t joiner, pid = -1;

	if (pipe2(pids, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %m\n", PROG);
		return -1;
	}
	c->pid_out = pids[1];
	joiner = clone_child(join_userns_then_clone, c, 0);
	close(pids[1]);
	while (joiner > 0 && waitpid(joiner, &status, 0) < 0 && errno == EINTR)
		;
	if (joiner > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    read(pids[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	close(pids[0]);
	return pid;
}

static pid_t start_child(const struct config *cfg, const int sv[2])
{
	/* The cgroup namespace waits until the child is in its cgroups. */
	struct child c = {.cfg = cfg, .sync_fd = sv[1], .parent_fd = sv[0],
			  .flags = cfg->linux.namespaces & ~CLONE_NEWCGROUP, .pid_out = -1};
	pid_t pid;

	if (cgroups_plan(cfg) < 0 || (cgroups_before_clone() && cgroups_create(cfg) < 0) ||
	    narrate_fork_prepare() < 0)
		return -1;
	if (joins_fd(&cfg->linux.joins, CLONE_NEWUSER) >= 0)
		pid = start_in_userns(&c);
	else
		pid = clone_child(child_main, &c, c.flags);
	narrate_fork_done(pid);
	return pid < 0 ? -1 : pid;
}

/* With -t, SIGWINCH means our window changed: the pty gets the new size. */
static void pass_window_size(void)
{
	struct winsize ws;

	if (tty_master >= 0 && ioctl(tty_size, TIOCGWINSZ, &ws) == 0)
		ioctl(tty_master, TIOCSWINSZ, &ws);
}

static void forward_signal(int sig)
{
	int saved = errno;

	if (sig == SIGWINCH && tty_size >= 0)
		pass_window_size();
	else if (container_pid > 0)
		kill(container_pid, sig);
	errno = saved;
}

/*
 * Docker's sig-proxy: what we receive, the container's PID 1 receives.
 * Without --init that is CMD itself, and the kernel drops any signal that
 * PID 1 has no handler for, SIGKILL and SIGSTOP excepted. With -t, SIGWINCH
 * resizes the container's pty instead: the kernel then signals whoever is
 * in the foreground there.
 */
static int forward_signals(pid_t pid, int terminal)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};

	container_pid = pid;
	tty_size = terminal ? tty_size_fd() : -1;
	for (int i = 0; i < N_FORWARDED; i++) {
		if (sigaction(forwarded_signals[i], &sa, NULL) < 0) {
			fprintf(stderr, "%s: sigaction: %m\n", PROG);
			return -1;
		}
	}
	return 0;
}

/* MSG_NOSIGNAL: a child that already failed has closed its end; its report waits for us. */
static int release_child(int sync_fd)
{
	narrate_flush();
	if (send(sync_fd, "g", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE) {
		fprintf(stderr, "%s: release child: %m\n", PROG);
		return -1;
	}
	return 0;
}

/* One message from the child; a pty master arrives as SCM_RIGHTS (unix(7)). */
static ssize_t read_message(int sync_fd, struct report *r, int *fd)
{
	struct iovec iov = {.iov_base = r, .iov_len = sizeof(*r)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/*
 * A seccomp listener goes on to the agent before the child may go on
 * (seccomp-profile.c); if it cannot, CMD must never run unwatched.
 */
static int pass_listener(const struct config *cfg, pid_t child, int listener)
{
	int ret = seccomp_send_listener(cfg, child, listener);

	close(listener);
	if (ret < 0)
		kill(child, SIGKILL);
	return ret;
}

/*
 * After the go-ahead the child either execs (end-of-file here) or reports
 * a failure; with -t its pty master comes first, with a notifying seccomp
 * profile its listener, and exec's first child sends CMD's PID (into
 * *EXEC_PID). Returns the exit code for a failure, 0 when the command runs.
 */
int read_reports(const struct config *cfg, pid_t child, int sync_fd, pid_t *exec_pid)
{
	struct report r;
	int fd = -1;

	narrate_flush();
	while (read_message(sync_fd, &r, &fd) == sizeof(r)) {
		if (r.kind == REPORT_PTY) {
			/* A SIGWINCH may have come before the master: pass the size now. */
			tty_master = fd;
			pass_window_size();
			continue;
		}
		/* exec: the listener is CMD's, whose PID came first */
		if (r.kind == REPORT_SECCOMP) {
			if (pass_listener(cfg, exec_pid && *exec_pid > 0 ? *exec_pid : child, fd) < 0)
				return EXIT_TOOL;
			continue;
		}
		if (r.kind == REPORT_EXEC_PID) {
			if (exec_pid)
				*exec_pid = r.pid;
			continue;
		}
		if (r.kind == REPORT_CREATED)
			return 0;
		if (r.kind == REPORT_SETUP_FAILED)
			return EXIT_TOOL;
		return r.err == ENOENT || r.err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
	}
	return 0;
}

/* The command's own exit status, or 128+N if signal N killed it. */
static int wait_for_child(pid_t pid)
{
	int status;

	narrate_flush();
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "%s: waitpid: %m\n", PROG);
			return EXIT_TOOL;
		}
	}
	if (WIFSIGNALED(status))
		narrate("waitpid(%d, &status, 0) = %d: killed by signal %d (%s) [waitpid(2)]", pid,
			pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		narrate("waitpid(%d, &status, 0) = %d: exited with %d [waitpid(2)]", pid, pid,
			WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * The state file (state.h), as ps, inspect and stop read it: running,
 * with the PIDs, address and cgroups; then how it ended, written last,
 * once everything of the run is gone, so whoever waits for it may rely
 * on that.
 */
static int record_running(const struct config *cfg, pid_t child)
{
	struct record *r = cfg->record;

	if (!r)
		return 0;
	snprintf(r->status, sizeof(r->status), "running");
	r->pid = child;
	r->pid_start = process_start_time(child);
	r->started = now_ns();
	r->exit_code = -1;
	net_describe(r->ip, r->bridge);
	r->n_cgroups = cgroups_places(r->cgroups, MAX_CGROUPS);
	if (state_write(cfg->state_dir, r) == 0)
		return 0;
	/* Unrecorded, it never started: run.c removes it all (a full disk, say). */
	r->started = 0;
	return -1;
}

static void record_exited(const struct config *cfg, int code)
{
	struct record *r = cfg->record;

	if (!r || cfg->remove || !r->started)
		return;
	snprintf(r->status, sizeof(r->status), "exited");
	r->finished = now_ns();
	r->exit_code = code;
	state_write(cfg->state_dir, r);
}

/* With -t: the terminal's bytes both ways until the container closes it (exec.c too). */
void relay_terminal(const struct config *cfg)
{
	/* OCI exec -t: the engine's console socket gets the terminal instead (oci.c) */
	if (tty_master >= 0 && cfg->oci)
		oci_send_console(cfg, tty_master);
	else if (tty_master >= 0)
		tty_relay(tty_master, cfg->process.stdin_open);
}

/* How the child ends: in the foreground we wait; run -d's monitor also serves it. */
static int wait_for_end(const struct config *cfg, pid_t child, int failed)
{
	int status;

	if (cfg->detached) {
		/* -dt: the monitor logs what the terminal shows, and holds it open; it is the monitor's now */
		if (tty_master >= 0) {
			cfg->detached->out_fd = tty_master;
			tty_master = -1;
		}
		monitor_ready(cfg, failed);
		fault_point("run-after-ready");
		if (!failed) {
			/* What is held would not survive the execve(2). */
			narrate_flush();
			monitor_exec(cfg, child);
			return monitor_run(cfg, child, cfg->record ? cfg->record->ip : "");
		}
	} else if (!failed) {
		fault_point("run-after-ready");
		relay_terminal(cfg);
	}
	status = wait_for_child(child);
	tty_restore();
	return status;
}

/*
 * v1's cgroups (a dozen mkdirs, their limits and device rules) and the
 * network (a veth alone takes ~1 ms) do not depend on each other: a
 * thread (pthread_create(3)) makes the cgroups while we wire the network,
 * on the second core. On v2 they exist already (cgroups_before_clone).
 */
struct cgroup_job {
	const struct config *cfg;
	pthread_t thread;
	int started, result;
};

static void *make_cgroups(void *arg)
{
	struct cgroup_job *job = arg;

	job->result = cgroups_create(job->cfg);
	narrate_flush();
	return NULL;
}

static int start_cgroups(struct cgroup_job *job)
{
	int err;

	if (cgroups_before_clone())
		return 0;
	err = pthread_create(&job->thread, NULL, make_cgroups, job);
	if (err) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(err));
		return -1;
	}
	job->started = 1;
	return 0;
}

/* On every path, before anything is undone: the cgroups are then all made, or not. */
static int finish_cgroups(struct cgroup_job *job)
{
	int err;

	if (!job->started)
		return 0;
	job->started = 0;
	err = pthread_join(job->thread, NULL);
	if (err) {
		fprintf(stderr, "%s: pthread_join: %s\n", PROG, strerror(err));
		return -1;
	}
	return job->result;
}

/*
 * The parent's side, once the child exists; the child builds its root
 * meanwhile, then waits for the go-ahead. Only what the child needs comes
 * before it: the state record is written while the child enters its root.
 */
static int supervise(const struct config *cfg, pid_t child, int sync_fd)
{
	struct cgroup_job cgroups = {.cfg = cfg};
	int failed, status, root_mnt = -1, ok;

	fault_point("run-after-clone");
	ok = start_cgroups(&cgroups) == 0 && userns_write_maps(cfg, child) == 0 &&
	     userns_root_tree(cfg, child, &root_mnt) == 0 && net_setup(cfg, child) == 0 &&
	     (fault_point("run-mid-network"), 1) && write_pid_file(cfg->pid_file, child, !cfg->oci) == 0;
	ok = finish_cgroups(&cgroups) == 0 && ok &&
	     forward_signals(child, cfg->process.terminal) == 0 &&
	     (!cfg->oci || oci_parent_before_release(cfg, child) == 0) &&
	     release_child(sync_fd) == 0 &&
	     userns_send_trees(cfg, child, sync_fd, root_mnt) == 0 &&
	     (fault_point("run-before-state"), 1) && record_running(cfg, child) == 0;
	fault_point("run-after-state");
	/* The child has the overlay now, or will never need it. */
	if (root_mnt >= 0)
		close(root_mnt);
	if (!ok)
		return -1;
	failed = read_reports(cfg, child, sync_fd, NULL);
	/* Our own setup failed in the child (a user it lacks, say): CMD never ran, nothing to keep. */
	if (failed == EXIT_TOOL && cfg->record)
		cfg->record->started = 0;
	/* OCI create: the container waits for `start`; it outlives us, created */
	if (cfg->oci && !failed)
		return oci_parent_created(cfg, child, tty_master);
	status = wait_for_end(cfg, child, failed);
	cgroups_report(cfg);
	if (cfg->record)
		cfg->record->oom_killed = cgroups_oom_killed();
	return failed ? failed : status;
}

int container_run(const struct config *cfg)
{
	int sv[2], status = EXIT_TOOL, own_pid_ns = -1;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "%s: socketpair: %m\n", PROG);
		return EXIT_TOOL;
	}
	/* a user namespace to join: the process that joins it joins all (start_in_userns) */
	child = joins_fd(&cfg->linux.joins, CLONE_NEWUSER) < 0 &&
			joins_enter(&cfg->linux.joins, &own_pid_ns) < 0
		? -1
		: start_child(cfg, sv);
	/* a PID namespace joined for the child is not ours to keep (join.c) */
	if (joins_return(own_pid_ns) < 0 && child > 0) {
		kill(child, SIGKILL);
		wait_for_child(child);
		child = -1;
	}
	close(sv[1]);
	/* Only the child writes into CMD's output pipes: their end-of-file is its end. */
	if (cfg->process.stdout_fd >= 0)
		close(cfg->process.stdout_fd);
	if (cfg->process.stderr_fd >= 0)
		close(cfg->process.stderr_fd);
	if (child < 0)
		goto close_sync;
	status = supervise(cfg, child, sv[0]);
	if (status >= 0)
		goto close_sync;
	status = EXIT_TOOL;
	kill(child, SIGKILL);
	wait_for_child(child);
close_sync:
	if (tty_master >= 0)
		close(tty_master);
	close(sv[0]);
	net_release();
	/* A created OCI container keeps its cgroups until `delete` */
	if (!cfg->oci || status != 0)
		cgroups_remove();
	record_exited(cfg, status);
	return status;
}
