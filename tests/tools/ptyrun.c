/*
 * ptyrun: the terminal side of the TIOCSTI test (tests/step08-reliability.bats).
 *
 *   ptyrun CMD [ARG...]   run CMD in a session of its own whose controlling
 *                         terminal is a new pseudo-terminal (pty(7)), as a
 *                         user's shell would run it; copy what it prints to
 *                         our stdout; once it has exited, print
 *                         "exit=N queued=N": its status, and how many bytes
 *                         wait in the terminal's input queue (FIONREAD on
 *                         the slave, ioctl_tty(2)) - what a shell reading
 *                         the terminal next would run.
 *   ptyrun --inject       (inside a container) try to push "id\n" into a
 *                         terminal with TIOCSTI: through /dev/tty and
 *                         through fds 0-2; print one "NAME=ok|errno" each.
 *
 * Static, so that it runs inside any rootfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char keys[] = "id\n";

/* Each byte of keys as if typed on FD's terminal. */
static const char *inject(int fd)
{
	static char err[64];

	for (size_t i = 0; i < sizeof(keys) - 1; i++) {
		if (ioctl(fd, TIOCSTI, &keys[i]) < 0) {
			snprintf(err, sizeof(err), "%s", strerrorname_np(errno));
			return err;
		}
	}
	return "ok";
}

static int inject_all(void)
{
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	printf("devtty=%s\n", tty < 0 ? strerrorname_np(errno) : inject(tty));
	for (int fd = 0; fd < 3; fd++)
		printf("fd%d=%s\n", fd, isatty(fd) ? inject(fd) : "notatty");
	return 0;
}

/* The child: a new session with the slave as its controlling terminal, then CMD. */
static void start(int slave, char **argv)
{
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
	    dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
		perror("ptyrun: setsid/TIOCSCTTY/dup2");
		_exit(127);
	}
	execvp(argv[0], argv);
	perror("ptyrun: exec");
	_exit(127);
}

/* What the child prints, to our stdout; returns 0 when nothing is left for now. */
static int copy_output(int master, int timeout_ms)
{
	struct pollfd p = {.fd = master, .events = POLLIN};
	char buf[4096];
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0 || !(p.revents & POLLIN))
		return 0;
	n = read(master, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	return fwrite(buf, 1, (size_t)n, stdout) == (size_t)n;
}

int main(int argc, char **argv)
{
	struct termios raw;
	int master, slave, status, queued = -1;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "--inject"))
		return inject_all();
	if (argc < 2) {
		fprintf(stderr, "usage: ptyrun CMD [ARG...] | ptyrun --inject\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		perror("ptyrun: open a pty");
		return 2;
	}
	/* Raw: every byte pushed counts in FIONREAD at once, line or not. */
	if (tcgetattr(slave, &raw) < 0)
		return perror("ptyrun: tcgetattr"), 2;
	cfmakeraw(&raw);
	if (tcsetattr(slave, TCSANOW, &raw) < 0)
		return perror("ptyrun: tcsetattr"), 2;
	pid = fork();
	if (pid < 0)
		return perror("ptyrun: fork"), 2;
	if (pid == 0)
		start(slave, argv + 1);
	while (waitpid(pid, &status, WNOHANG) == 0)
		copy_output(master, 50);
	while (copy_output(master, 0))
		;
	if (ioctl(slave, FIONREAD, &queued) < 0)
		return perror("ptyrun: FIONREAD"), 2;
	fflush(stdout);
	printf("exit=%d queued=%d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), queued);
	return 0;
}
