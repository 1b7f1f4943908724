/*
 * tty.c: -t, a terminal for the container (pty(7)).
 *
 * The child opens the pseudo-terminal pair in the container's own devpts
 * (not the host's: nothing of the host's terminals is visible inside),
 * makes the slave its controlling terminal and its stdin/out/err, and
 * passes the master to the parent over the socketpair (SCM_RIGHTS,
 * unix(7)). The parent puts its own terminal in raw mode, so every key
 * (Ctrl-C included) goes to the container's line discipline, copies bytes
 * both ways, and passes window size changes on (SIGWINCH).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "container.h"
#include "minidock.h"

static struct termios saved_termios;
static int termios_saved;

static int send_fd(int sock, int fd)
{
	struct report r = {.kind = REPORT_PTY};

	if (send_with_fd(sock, &r, sizeof(r), fd, 0) < 0) {
		fprintf(stderr, "%s: send pty to parent: %m\n", PROG);
		return -1;
	}
	return 0;
}

/* Where our window size can be read: stdin, or stdout when stdin is not a terminal. */
int tty_size_fd(void)
{
	if (isatty(STDIN_FILENO))
		return STDIN_FILENO;
	return isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;
}

/*
 * In the child, after pivot_root: /dev/ptmx is the container's devpts.
 * TIOCGPTPEER opens the slave from the master without a path lookup.
 */
int tty_child_setup(int sync_fd)
{
	struct winsize ws;
	int master, slave;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0) {
		fprintf(stderr, "%s: open /dev/ptmx: %m\n", PROG);
		return -1;
	}
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0) {
		fprintf(stderr, "%s: ioctl TIOCGPTPEER: %m\n", PROG);
		return -1;
	}
	narrate("open(\"/dev/ptmx\") = %d, ioctl(TIOCGPTPEER) = %d [pty(7)]", master, slave);
	/* The size the user's terminal has now; SIGWINCH in the parent does the rest. */
	if (tty_size_fd() >= 0 && ioctl(tty_size_fd(), TIOCGWINSZ, &ws) == 0)
		ioctl(slave, TIOCSWINSZ, &ws);
	/* A new session, with the slave as its controlling terminal (credentials(7)). */
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
		fprintf(stderr, "%s: make the pty our controlling terminal: %m\n", PROG);
		return -1;
	}
	for (int fd = 0; fd < 3; fd++) {
		if (dup2(slave, fd) < 0) {
			fprintf(stderr, "%s: dup2 pty: %m\n", PROG);
			return -1;
		}
	}
	close(slave);
	if (send_fd(sync_fd, master) < 0)
		return -1;
	close(master);
	return 0;
}

/* Raw mode: no echo, no line editing, no signals from keys: the container's pty does those. */
static int make_raw(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0) {
		fprintf(stderr, "%s: tcgetattr: %m\n", PROG);
		return -1;
	}
	termios_saved = 1;
	raw = saved_termios;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
		fprintf(stderr, "%s: tcsetattr: %m\n", PROG);
		return -1;
	}
	narrate("tcsetattr(0, raw) = 0 [termios(3)]");
	return 0;
}

void tty_restore(void)
{
	if (termios_saved && tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios) < 0)
		fprintf(stderr, "%s: restore terminal: %m\n", PROG);
	termios_saved = 0;
}

static int write_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, (size_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= w;
	}
	return 0;
}

/*
 * Copy keys to the master and the container's output to our stdout until
 * the last holder of the slave is gone (read returns EIO). When our stdin
 * ends, send the terminal's end-of-file character, as a user typing ^D.
 */
int tty_relay(int master, int stdin_open)
{
	struct pollfd fds[2] = {{.fd = master, .events = POLLIN},
				{.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
	char buf[4096];
	ssize_t n;

	if (make_raw() < 0)
		return -1;
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %m\n", PROG);
			return -1;
		}
		if (fds[0].revents) {
			n = read(master, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return 0; /* EIO: the container side is closed */
			if (write_all(STDOUT_FILENO, buf, n) < 0)
				return 0;
		}
		if (fds[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				struct termios t;
				char eof = tcgetattr(master, &t) == 0 ? (char)t.c_cc[VEOF] : 4;

				fds[1].fd = -1;
				n = 1;
				buf[0] = eof;
			}
			if (write_all(master, buf, n) < 0)
				return 0;
		}
	}
}
