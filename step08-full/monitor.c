/*
 * monitor.c: run -d's monitor, the part containerd-shim or conmon plays
 * for Docker and podman. `run -d` forks; the fork runs the core and
 * stays as the container's parent after the command has returned:
 *
 *   - it tells the waiting `run -d` how the start went (ready_fd);
 *   - it appends CMD's stdout and stderr to the log, as records
 *     "S NS LEN\n" + LEN bytes (S: 1 stdout, 2 stderr; NS: the time);
 *   - it is the userland proxy of the published ports (-p): it accepts
 *     on the host and relays each connection to the container's address,
 *     as docker-proxy does;
 *   - it reaps the container and records how it ended (container.c).
 *
 * All of that is one poll(2) loop in one process: SIGCHLD arrives as a
 * readable signalfd(2), so nothing sleeps or polls on a timer. The
 * container dies with its monitor: its PID 1 has PR_SET_PDEATHSIG.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "minidock.h"

#define LOG_CHUNK 16384
#define MAX_CONNS 64
#define RELAY_BUF 16384

/* One direction of a proxied connection: bytes read from `from`, not yet written to `to`. */
struct flow {
	int from, to;
	char buf[RELAY_BUF];
	size_t len, off;
	int eof;
};

/* A client on the host and our connection to the container: a flow each way. */
struct conn {
	struct flow up, down;
};

static struct conn *conns[MAX_CONNS];

/* ---- the start ---- */

/*
 * Tell `run -d` the outcome. Once the container runs, our stdio leaves
 * the caller's terminal (a `$(minidock run -d ...)` waits until every
 * holder of its pipe has closed it): our own messages go to own_log_fd.
 */
void monitor_ready(const struct config *cfg, int code)
{
	struct detached *d = cfg->detached;
	int null;

	/* send(2) MSG_NOSIGNAL: a caller killed meanwhile must not kill us with SIGPIPE. */
	if (send(d->ready_fd, &code, sizeof(code), MSG_NOSIGNAL) != sizeof(code) && errno != EPIPE)
		fprintf(stderr, "%s: tell run -d the start's outcome: %m\n", PROG);
	close(d->ready_fd);
	d->ready_fd = -1;
	if (code)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(d->own_log_fd, STDOUT_FILENO) < 0 ||
	    dup2(d->own_log_fd, STDERR_FILENO) < 0)
		fprintf(stderr, "%s: leave the caller's terminal: %m\n", PROG);
	if (null >= 0)
		close(null);
}

/* ---- the log ---- */

/*
 * One read of a pipe, one record: header and data in one writev(2) to a
 * file opened O_APPEND, so records never interleave. Returns 1 after a
 * record, 0 at end-of-file, -1 when the pipe is empty for now.
 */
static int log_output(int log_fd, int stream, int fd)
{
	char data[LOG_CHUNK], head[64];
	struct iovec iov[2] = {{head, 0}, {data, 0}};
	ssize_t n = read(fd, data, sizeof(data));

	if (n <= 0)
		return n == 0 || (errno != EAGAIN && errno != EINTR) ? 0 : -1;
	iov[0].iov_len = (size_t)snprintf(head, sizeof(head), "%d %lld %zd\n", stream, now_ns(), n);
	iov[1].iov_len = (size_t)n;
	if (writev(log_fd, iov, 2) < 0)
		fprintf(stderr, "%s: write the log: %m\n", PROG);
	return 1;
}

/* What CMD wrote just before it ended is still in the pipes. */
static void drain_output(const struct detached *d)
{
	while (d->out_fd >= 0 && log_output(d->log_fd, 1, d->out_fd) == 1)
		;
	while (d->err_fd >= 0 && log_output(d->log_fd, 2, d->err_fd) == 1)
		;
}

/* A pipe at end-of-file: nothing more will come from it. */
static void close_output(int *fd)
{
	close(*fd);
	*fd = -1;
}

/* ---- the proxy ---- */

static void close_conn(int i)
{
	close(conns[i]->up.from);
	close(conns[i]->up.to);
	free(conns[i]);
	conns[i] = NULL;
}

/*
 * A client came: connect to the container's address and port, without
 * waiting (O_NONBLOCK first, connect(2)'s EINPROGRESS): a container too
 * frozen or busy to answer must not stall this loop, which also reaps the
 * container. Until the connection is made, reads and writes on it say
 * EAGAIN and poll(2) waits for it as for any other; a refusal comes as an
 * error on the first of them, which closes the connection (relay below).
 */
static int connect_container(const char *ip, unsigned int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 ||
	    (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)) {
		fprintf(stderr, "%s: proxy: connect %s:%u: %m\n", PROG, ip, port);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void accept_client(int listen_fd, const char *ip, unsigned int port)
{
	int client = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), target, i;
	struct conn *c;

	if (client < 0)
		return;
	for (i = 0; i < MAX_CONNS && conns[i]; i++)
		;
	c = i < MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
	target = c ? connect_container(ip, port) : -1;
	if (target < 0) {
		free(c);
		close(client);
		return;
	}
	c->up = (struct flow){.from = client, .to = target};
	c->down = (struct flow){.from = target, .to = client};
	conns[i] = c;
}

/*
 * Move what one side can give to the other. End-of-file passes on as
 * shutdown(SHUT_WR), so a client that half-closes still gets its answer.
 * Returns -1 when the connection is broken.
 */
static int relay(struct flow *f, short readable, short writable)
{
	ssize_t n;

	if (!f->len && !f->eof && readable) {
		n = read(f->from, f->buf, sizeof(f->buf));
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n == 0) {
			f->eof = 1;
			shutdown(f->to, SHUT_WR);
		}
		f->len = n > 0 ? (size_t)n : 0;
		f->off = 0;
	}
	if (f->len && writable) {
		n = write(f->to, f->buf + f->off, f->len - f->off);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		f->off += n > 0 ? (size_t)n : 0;
		if (f->off == f->len)
			f->len = 0;
	}
	return 0;
}

/* The events a flow waits for, on its own two ends. */
static short wants(const struct flow *f, int fd)
{
	return (short)((fd == f->from && !f->len && !f->eof ? POLLIN : 0) |
		       (fd == f->to && f->len ? POLLOUT : 0));
}

static void serve_conn(int i, short client_ev, short target_ev)
{
	struct conn *c = conns[i];
	const short in = POLLIN | POLLHUP | POLLERR, out = POLLOUT | POLLERR | POLLHUP;

	if (relay(&c->up, client_ev & in, target_ev & out) < 0 ||
	    relay(&c->down, target_ev & in, client_ev & out) < 0 ||
	    (c->up.eof && c->down.eof && !c->up.len && !c->down.len))
		close_conn(i);
}

/* ---- the loop ---- */

/* What each pollfd is, so the answers can be dispatched. */
enum watch { W_CHILD, W_OUT, W_ERR, W_LISTEN, W_CLIENT };

struct watches {
	struct pollfd pfd[3 + MAX_PORTS + 2 * MAX_CONNS];
	enum watch what[3 + MAX_PORTS + 2 * MAX_CONNS];
	int index[3 + MAX_PORTS + 2 * MAX_CONNS]; /* the port or connection */
	nfds_t n;
};

static void watch(struct watches *w, int fd, short events, enum watch what, int index)
{
	w->pfd[w->n] = (struct pollfd){.fd = fd, .events = events};
	w->what[w->n] = what;
	w->index[w->n++] = index;
}

static void build_watches(struct watches *w, int sig_fd, const struct detached *d)
{
	w->n = 0;
	watch(w, sig_fd, POLLIN, W_CHILD, 0);
	if (d->out_fd >= 0)
		watch(w, d->out_fd, POLLIN, W_OUT, 0);
	if (d->err_fd >= 0)
		watch(w, d->err_fd, POLLIN, W_ERR, 0);
	for (size_t i = 0; i < d->n_ports; i++)
		watch(w, d->listen_fds[i], POLLIN, W_LISTEN, (int)i);
	for (int i = 0; i < MAX_CONNS; i++) {
		if (!conns[i])
			continue;
		/* A client's pollfd is followed by its target's. */
		watch(w, conns[i]->up.from,
		      wants(&conns[i]->up, conns[i]->up.from) |
			      wants(&conns[i]->down, conns[i]->up.from),
		      W_CLIENT, i);
		watch(w, conns[i]->up.to,
		      wants(&conns[i]->up, conns[i]->up.to) | wants(&conns[i]->down, conns[i]->up.to),
		      W_CLIENT, i);
	}
}

/* SIGCHLD came: is it the container? Its wait status, or -1 while it lives. */
static int reap(int sig_fd, pid_t child)
{
	struct signalfd_siginfo si;
	int status;

	if (read(sig_fd, &si, sizeof(si)) < 0 && errno != EAGAIN)
		return -1;
	if (waitpid(child, &status, WNOHANG) != child)
		return -1;
	narrate("waitpid(%d) = %d [waitpid(2)]", child, child);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* One round of answers; the container's exit code once it has ended, else -1. */
static int dispatch(struct watches *w, int sig_fd, pid_t child, struct detached *d,
		    const char *ip)
{
	int code = -1;

	for (nfds_t i = 0; i < w->n; i++) {
		short ev = w->pfd[i].revents;

		/* A connection is served at its client's entry, for events on either end. */
		if (w->what[i] == W_CLIENT && conns[w->index[i]] &&
		    w->pfd[i].fd == conns[w->index[i]]->up.from &&
		    (ev || w->pfd[i + 1].revents))
			serve_conn(w->index[i], ev, w->pfd[i + 1].revents);
		if (!ev)
			continue;
		if (w->what[i] == W_CHILD)
			code = reap(sig_fd, child);
		else if (w->what[i] == W_OUT && log_output(d->log_fd, 1, d->out_fd) == 0)
			close_output(&d->out_fd);
		else if (w->what[i] == W_ERR && log_output(d->log_fd, 2, d->err_fd) == 0)
			close_output(&d->err_fd);
		else if (w->what[i] == W_LISTEN)
			accept_client(d->listen_fds[w->index[i]], ip, d->ctr_ports[w->index[i]]);
	}
	return code;
}

/*
 * SIGCHLD, blocked, is read from a signalfd(2). One that came before it
 * was blocked is lost, so a child that is already gone is looked for once.
 */
static int open_child_signal(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: signalfd SIGCHLD: %m\n", PROG);
		return -1;
	}
	return fd;
}

static int open_conns(void)
{
	int n = 0;

	for (int i = 0; i < MAX_CONNS; i++)
		n += conns[i] != NULL;
	return n;
}

/*
 * The container has ended: what it sent just before still reaches its
 * clients, for at most a second; its side of each connection is closed
 * by now, so they end by themselves. No new client is accepted.
 */
static void finish_conns(struct watches *w, int sig_fd, pid_t child, struct detached *d,
			 const char *ip)
{
	d->n_ports = 0;
	for (int rounds = 0; open_conns() && rounds < 1000; rounds++) {
		build_watches(w, sig_fd, d);
		if (poll(w->pfd, w->n, 1000) <= 0)
			break;
		dispatch(w, sig_fd, child, d, ip);
	}
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i])
			close_conn(i);
}

/* Until the container ends: its exit code, or 128+N if signal N killed it. */
int monitor_run(const struct config *cfg, pid_t child, const char *ip)
{
	struct detached *d = cfg->detached;
	static struct watches w;
	int sig_fd = open_child_signal(), code = -1, status;

	if (sig_fd < 0) {
		kill(child, SIGKILL);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		return EXIT_TOOL;
	}
	if ((d->out_fd >= 0 && fcntl(d->out_fd, F_SETFL, O_NONBLOCK) < 0) ||
	    (d->err_fd >= 0 && fcntl(d->err_fd, F_SETFL, O_NONBLOCK) < 0))
		fprintf(stderr, "%s: fcntl O_NONBLOCK: %m\n", PROG);
	code = reap(sig_fd, child);
	while (code < 0) {
		build_watches(&w, sig_fd, d);
		if (poll(w.pfd, w.n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %m\n", PROG);
			kill(child, SIGKILL);
		}
		code = dispatch(&w, sig_fd, child, d, ip);
	}
	drain_output(d);
	finish_conns(&w, sig_fd, child, d, ip);
	close(sig_fd);
	return code;
}

/* ---- the monitor's own program ---- */

/* An fd the new program must keep: not close-on-exec, and its number as text. */
static int pass_fd(int fd, char *text, size_t len)
{
	if (fd >= 0 && fcntl(fd, F_SETFD, 0) < 0)
		return -1;
	snprintf(text, len, "%d", fd);
	return 0;
}

/*
 * Once the container runs, the monitor execs minidock afresh, as
 * "_monitor": a fork of `run` has touched every page the start needed
 * (paths, the image, the config), and each of them counts in its memory
 * (PSS) for as long as the container lives. The new program keeps the
 * PID, the child and the fds named on its command line (no others), and reads
 * everything else back from the state file. If execve(2) fails, the
 * monitor carries on as it is (container.c).
 */
void monitor_exec(const struct config *cfg, pid_t child)
{
	const struct detached *d = cfg->detached;
	char nums[7 + MAX_PORTS][32], *argv[17 + MAX_PORTS];
	int argc = 0, ok;

	argv[argc++] = "minidock";
	if (d->store_root[0]) {
		argv[argc++] = "--root";
		argv[argc++] = (char *)d->store_root;
	}
	if (d->exec_root[0]) {
		argv[argc++] = "--exec-root";
		argv[argc++] = (char *)d->exec_root;
	}
	if (debug)
		argv[argc++] = "-D";
	argv[argc++] = "_monitor";
	argv[argc++] = (char *)cfg->id;
	/* Nothing else of ours or the caller's (a test runner's pipe) goes with it. */
	if (close_host_fds() < 0)
		return;
	snprintf(nums[0], sizeof(nums[0]), "%d", child);
	snprintf(nums[1], sizeof(nums[1]), "%d", cfg->remove);
	/* the address lease's fd too: its flock(2) must live as long as the container (net.c) */
	ok = pass_fd(d->log_fd, nums[2], sizeof(nums[2])) == 0 &&
	     pass_fd(d->out_fd, nums[3], sizeof(nums[3])) == 0 &&
	     pass_fd(d->err_fd, nums[4], sizeof(nums[4])) == 0 &&
	     pass_fd(net_lease_fd(), nums[5], sizeof(nums[5])) == 0;
	for (int i = 0; i < 6; i++)
		argv[argc++] = nums[i];
	for (size_t i = 0; ok && i < d->n_ports; i++) {
		ok = pass_fd(d->listen_fds[i], nums[6 + i], sizeof(nums[6 + i])) == 0;
		snprintf(nums[6 + i] + strlen(nums[6 + i]), sizeof(nums[6 + i]) - strlen(nums[6 + i]),
			 ":%u", d->ctr_ports[i]);
		argv[argc++] = nums[6 + i];
	}
	argv[argc] = NULL;
	if (ok)
		execv("/proc/self/exe", argv);
	fprintf(stderr, "%s: exec the monitor: %m; it stays as it is\n", PROG);
}

static int parse_int(const char *text, int *out)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (*end || end == text || n < -1 || n > 0x7fffffff)
		return -1;
	*out = (int)n;
	return 0;
}

/* The fds and ports monitor_exec put on the command line. */
static int parse_monitor_args(int argc, char **argv, struct detached *d, pid_t *child, int *rm,
			      int *lease)
{
	int ok = argc >= 8 && argc - 8 <= MAX_PORTS && parse_int(argv[2], child) == 0 &&
		 parse_int(argv[3], rm) == 0 && parse_int(argv[4], &d->log_fd) == 0 &&
		 parse_int(argv[5], &d->out_fd) == 0 && parse_int(argv[6], &d->err_fd) == 0 &&
		 parse_int(argv[7], lease) == 0;

	for (int i = 8; ok && i < argc; i++) {
		char *colon = strchr(argv[i], ':');
		int port = 0;

		ok = colon != NULL;
		if (ok) {
			*colon = 0;
			ok = parse_int(argv[i], &d->listen_fds[d->n_ports]) == 0 &&
			     parse_int(colon + 1, &port) == 0;
			d->ctr_ports[d->n_ports++] = (unsigned int)port;
		}
	}
	if (!ok)
		fprintf(stderr, "%s: _monitor: started by minidock itself, not by hand\n", PROG);
	return ok ? 0 : -1;
}

/* _monitor ID CHILD RM LOGFD OUTFD ERRFD LEASEFD [LISTENFD:CTRPORT...]: see monitor_exec. */
int cmd_monitor(const struct store *s, int argc, char **argv)
{
	struct detached d = {.ready_fd = -1};
	struct config cfg = {.detached = &d};
	struct record r;
	pid_t child;
	int rm, code, lease;

	narrate_as("monitor");
	if (parse_monitor_args(argc, argv, &d, &child, &rm, &lease) < 0 ||
	    record_read(s, argv[1], &r) < 0 || net_keep_lease(lease) < 0)
		return EXIT_TOOL;
	/* exec of /proc/self/exe names us "exe": ps and pgrep should see minidock (prctl(2)) */
	if (prctl(PR_SET_NAME, "minidock") < 0)
		fprintf(stderr, "%s: prctl PR_SET_NAME: %m\n", PROG);
	code = monitor_run(&cfg, child, r.ip);
	code = container_finish(s, &r, code, rm);
	record_free(&r);
	return code;
}
