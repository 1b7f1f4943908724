/*
 * init.c: the last steps in the child: execve(2) of CMD, and --init, a
 * tiny PID 1 that forks CMD, passes signals on and reaps every zombie.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "minidock.h"

/* Tell the parent what failed, then give up. */
int report_failure(int sync_fd, int exec_failed)
{
	struct report r = {.kind = exec_failed ? REPORT_EXEC_FAILED : REPORT_SETUP_FAILED,
			   .err = errno};

	narrate_flush();
	if (write(sync_fd, &r, sizeof(r)) != sizeof(r))
		fprintf(stderr, "%s: report to parent: %m\n", PROG);
	return EXIT_TOOL;
}

static void explain_exec_error(const char *cmd)
{
	if (errno == ENOENT || errno == ENOTDIR)
		fprintf(stderr, "%s: exec %s: %m (command or its interpreter not found)\n",
			PROG, cmd);
	else
		fprintf(stderr, "%s: exec %s: %m (cannot execute)\n", PROG, cmd);
}

/*
 * run -d: CMD's stdout and stderr are the monitor's pipes. They replace
 * ours only now, so that until here our messages reach the caller; a
 * close-on-exec copy of our stderr stays for explaining a failed exec.
 * Returns that copy, or -1.
 */
static int switch_output(const struct process *p)
{
	int saved;

	if (p->stdout_fd < 0)
		return -1;
	saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (dup2(p->stdout_fd, STDOUT_FILENO) < 0 || dup2(p->stderr_fd, STDERR_FILENO) < 0)
		fprintf(stderr, "%s: output to the monitor: %m\n", PROG);
	return saved;
}

/*
 * execvp(3) searches the PATH of our own environment, so the container's
 * environment becomes ours first; the sync socket is close-on-exec, so the
 * parent reads end-of-file when execve(2) succeeds.
 */
int exec_command(const struct config *cfg, int sync_fd)
{
	extern char **environ;
	int saved;

	environ = cfg->process.env;
	narrate("execvp(\"%s\", ...) [execve(2)]", cfg->process.args[0]);
	narrate_flush();
	saved = switch_output(&cfg->process);
	execvp(cfg->process.args[0], cfg->process.args);
	if (saved >= 0)
		dup2(saved, STDERR_FILENO);
	explain_exec_error(cfg->process.args[0]);
	return report_failure(sync_fd, 1);
}

/* Collect every exited child; returns CMD's exit code once CMD is among them. */
static int reap_children(pid_t cmd)
{
	int status, code = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		narrate("waitpid(-1, &status, WNOHANG) = %d: %s %d [waitpid(2)]", pid,
			WIFSIGNALED(status) ? "killed by signal" : "exited with",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
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
 * queued even though PID 1's default action would drop them. This process
 * is a copy of minidock that never execs: it was made non-dumpable before
 * it entered the container, so /proc/1/exe does not lead to our binary.
 */
int run_init(const struct config *cfg, int sync_fd)
{
	sigset_t set, old;
	pid_t cmd;
	int sig, code;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (int i = 0; i < N_FORWARDED; i++)
		sigaddset(&set, forwarded_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
		fprintf(stderr, "%s: sigprocmask: %m\n", PROG);
		return report_failure(sync_fd, 0);
	}
	narrate_as("init");
	if (narrate_fork_prepare() < 0)
		return report_failure(sync_fd, 0);
	cmd = fork();
	if (cmd < 0) {
		fprintf(stderr, "%s: fork: %m\n", PROG);
		narrate_fork_done(cmd);
		return report_failure(sync_fd, 0);
	}
	if (cmd == 0) {
		narrate_forked("cmd");
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(exec_command(cfg, sync_fd));
	}
	narrate("fork() = %d: init is PID %d, CMD is PID %d [fork(2)]", cmd, getpid(), cmd);
	narrate_fork_done(cmd);
	/* Only CMD's copy of the channel should tell the parent about exec. */
	close(sync_fd);
	/* run -d: init leaves the caller's terminal too, for the log's pipes. */
	if (cfg->process.stdout_fd >= 0 && (dup2(cfg->process.stdout_fd, STDOUT_FILENO) < 0 ||
					   dup2(cfg->process.stderr_fd, STDERR_FILENO) < 0))
		return EXIT_TOOL;
	if (close_other_fds() < 0)
		return EXIT_TOOL;
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGCHLD) {
			narrate("kill(%d, %d) [kill(2)]", cmd, sig);
			kill(cmd, sig);
			continue;
		}
		code = reap_children(cmd);
		if (code >= 0) {
			narrate_flush();
			return code;
		}
	}
}
