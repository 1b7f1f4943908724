/*
 * step01-uts: run a command with a hostname of its own.
 *
 * clone(2) with CLONE_NEWUTS starts the child in a new UTS namespace
 * (uts_namespaces(7)): its sethostname(2) changes nothing the host sees.
 *
 * Over a socketpair the parent releases the child once the pid file is
 * written, and the child reports a failed setup or execve(2); a successful
 * execve closes the child's end (close-on-exec): the parent reads EOF.
 *
 * Read in this order: main, start_child, child_main, wait_for_parent,
 * set_hostname, wait_for_child.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "uts"

/* Exit codes, as docker run uses them: 125 is our own error. */
enum { EXIT_TOOL = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

struct config {
	char **argv;          /* the command and its arguments */
	const char *hostname; /* -h: the container's hostname, or NULL to keep it */
	const char *pid_file; /* --pid-file: where the child's host PID goes */
};

/* What the child needs: the configuration and both ends of the socketpair. */
struct child {
	const struct config *cfg;
	int sync_fd, parent_fd; /* its own end; the parent's, which it closes */
};

static int debug;                  /* -D: narrate every kernel operation on stderr */
static const char *who = "parent"; /* -D: which of our processes makes the call */

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
	fprintf(stderr, "%s %d => %s\n", who, getpid(), line);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [OPTIONS] [--] CMD [ARG...]\n"
		"Run CMD in a new UTS namespace.\n"
		"\n"
		"  -h, --hostname NAME   the container's hostname\n"
		"      --pid-file FILE   write the container's host PID to FILE\n"
		"  -D, --debug           narrate every kernel operation\n"
		"      --help            show this help\n",
		PROG);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_PID_FILE = 256, OPT_HELP };
	static const struct option options[] = {
		{"hostname", required_argument, NULL, 'h'},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"debug", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int opt;

	/* '+': stop at the first non-option, so CMD's own options reach CMD. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:h:D", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			cfg->hostname = optarg;
			break;
		case OPT_PID_FILE:
			cfg->pid_file = optarg;
			break;
		case 'D':
			debug = 1;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "%s: %s '%s' (try '%s --help')\n", PROG,
				opt == ':' ? "missing value for option" : "unknown option",
				argv[optind - 1], PROG);
			return -1;
		}
	}
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
	return 0;
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
	/* WORKSHOP step01-sethostname: give the container the hostname it asked for */
	if (sethostname(name, strlen(name)) < 0) {
		fprintf(stderr, "%s: sethostname %s: %m\n", PROG, name);
		return -1;
	}
	narrate("sethostname(\"%s\") = 0 [sethostname(2)]", name);
	/* END WORKSHOP */
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

static int child_main(void *arg)
{
	const struct child *c = arg;
	const struct config *cfg = c->cfg;
	int sync_fd = c->sync_fd;

	who = "child";
	if (wait_for_parent(sync_fd, c->parent_fd) < 0)
		return EXIT_TOOL;
	if (set_hostname(cfg->hostname) < 0)
		return fail(sync_fd, 0);
	return exec_command(cfg, sync_fd);
}

/* ---- in the parent ---- */

static pid_t start_child(const struct config *cfg, const int sv[2])
{
	/* WORKSHOP step01-clone: start child_main in a new UTS namespace with clone(2) */
	struct child c = {.cfg = cfg, .sync_fd = sv[1], .parent_fd = sv[0]};
	int flags = CLONE_NEWUTS | SIGCHLD;
	pid_t pid;

	/* Without CLONE_VM the child gets a copy of our memory, c included. */
	pid = clone(child_main, child_stack + sizeof(child_stack), flags, &c);
	if (pid < 0) {
		fprintf(stderr, "%s: clone: %m\n", PROG);
		return -1;
	}
	narrate("clone(CLONE_NEWUTS|SIGCHLD) = %d [clone(2)]", pid);
	return pid;
	/* END WORKSHOP */
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

int main(int argc, char **argv)
{
	struct config cfg = {0};
	int sv[2], failed, status = EXIT_TOOL;
	pid_t child;

	if (parse_args(argc, argv, &cfg) < 0)
		return EXIT_TOOL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "%s: socketpair: %m\n", PROG);
		return EXIT_TOOL;
	}
	narrate("socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC) = [%d, %d] [socketpair(2)]",
		sv[0], sv[1]);
	child = start_child(&cfg, sv);
	close(sv[1]);
	if (child < 0)
		goto close_sync;
	if (write_pid_file(cfg.pid_file, child) < 0 || release_child(sv[0]) < 0)
		goto kill_child;
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
	return status;
}
