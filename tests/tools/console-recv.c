/*
 * console-recv: the engine's end of an OCI --console-socket, for the tests.
 *
 *   console-recv SOCKET [INPUT]
 *
 * Listens on the unix socket SOCKET, prints "ready" once it listens, takes
 * one connection and one pty master from it (SCM_RIGHTS, unix(7)), writes
 * INPUT into the terminal if given, then copies what the terminal shows to
 * stdout until the container closes its side (read(2) gives EIO). The
 * socket file is removed before exiting.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int receive_fd(int conn)
{
	char byte[64];
	struct iovec iov = {.iov_base = byte, .iov_len = sizeof(byte)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int relay(int master, const char *input)
{
	char buf[4096];
	ssize_t n;

	if (input && write(master, input, strlen(input)) < 0)
		return -1;
	while ((n = read(master, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			return -1;
	return n == 0 || errno == EIO ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int sock, conn, master, ret = 1;

	if (argc < 2 || argc > 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: console-recv SOCKET [INPUT]\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(sock, 1) < 0) {
		perror("console-recv: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	master = conn < 0 ? -1 : receive_fd(conn);
	if (master < 0)
		perror("console-recv: receive the pty master");
	else if (relay(master, argc == 3 ? argv[2] : NULL) < 0)
		perror("console-recv: relay");
	else
		ret = 0;
	unlink(argv[1]);
	return ret;
}
