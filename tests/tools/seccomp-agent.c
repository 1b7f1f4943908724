/*
 * seccomp-agent: the host's end of a seccomp profile's listenerPath, for
 * tests/step08-seccomp.bats.
 *
 *   seccomp-agent SOCKET errno:N|value:V
 *
 * Listens on the unix socket SOCKET and prints "ready"; takes one
 * connection, and from it the container process state (JSON) with the
 * filter's listener fd (SCM_RIGHTS, unix(7)). Prints the state's fds,
 * pid, metadata, and state's id and status as KEY=VALUE (the JSON text of
 * each value). Then answers every notified call until the container's
 * processes are gone (seccomp_unotify(2)): with errno N, or with success
 * and the return value V without the kernel doing anything. Prints one
 * line per call: "call=NAME pid=PID" (PID as the host sees it). The socket
 * file is removed before exiting.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_STATE 65536

/* Past a string starting at its opening quote. */
static const char *skip_string(const char *s)
{
	for (s++; *s && *s != '"'; s++)
		if (*s == '\\' && s[1])
			s++;
	return *s ? s + 1 : s;
}

/* Past one JSON value starting at s: a string, an object or array, or a scalar. */
static const char *skip_value(const char *s)
{
	int depth = 0;

	if (*s == '"')
		return skip_string(s);
	if (*s != '{' && *s != '[')
		return s + strcspn(s, ",}] \n\t\r");
	do {
		if (*s == '"') {
			s = skip_string(s);
			continue;
		}
		depth += (*s == '{' || *s == '[') - (*s == '}' || *s == ']');
		s++;
	} while (*s && depth > 0);
	return s;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

/* The text of member KEY of the object at obj, copied to out; 0 if found. */
static int member(const char *obj, const char *key, char *out, size_t len)
{
	const char *s = skip_space(obj), *end;
	size_t klen = strlen(key);
	int match;

	if (*s != '{')
		return -1;
	for (s = skip_space(s + 1); *s == '"'; s = skip_space(end + 1)) {
		match = !strncmp(s + 1, key, klen) && s[1 + klen] == '"';
		s = skip_space(skip_value(s));
		if (*s != ':')
			return -1;
		s = skip_space(s + 1);
		end = skip_value(s);
		if (match) {
			snprintf(out, len, "%.*s", (int)(end - s), s);
			return 0;
		}
		end = skip_space(end);
		if (*end != ',')
			return -1;
	}
	return -1;
}

/* The whole state (the runtime closes the connection after it), and the fd of the first message. */
static int receive_state(int conn, char *text, size_t len)
{
	struct iovec iov = {.iov_base = text, .iov_len = len - 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	size_t got;
	ssize_t n;
	int fd = -1;

	n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	for (got = (size_t)n; got < len - 1; got += (size_t)n)
		if ((n = read(conn, text + got, len - 1 - got)) <= 0)
			break;
	text[got] = 0;
	return n < 0 ? -1 : fd;
}

static void print_state(const char *text)
{
	static const char *const keys[] = {"fds", "pid", "metadata"};
	char value[MAX_STATE], state[MAX_STATE];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (member(text, keys[i], value, sizeof(value)) == 0)
			printf("%s=%s\n", keys[i], value);
	if (member(text, "state", state, sizeof(state)) < 0)
		return;
	if (member(state, "id", value, sizeof(value)) == 0)
		printf("state.id=%s\n", value);
	if (member(state, "status", value, sizeof(value)) == 0)
		printf("state.status=%s\n", value);
}

static const char *call_name(int nr)
{
#ifdef SYS_mkdir
	if (nr == SYS_mkdir)
		return "mkdir";
#endif
	if (nr == SYS_mkdirat)
		return "mkdirat";
	return "other";
}

/* One notification, answered as told; 0 once no process uses the filter any more. */
static int answer_one(int listener, int is_errno, long long v)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct pollfd p = {.fd = listener, .events = POLLIN};

	if (poll(&p, 1, -1) < 0)
		return errno == EINTR ? 1 : -1;
	if (!(p.revents & POLLIN))
		return 0;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == ENOENT || errno == EINTR ? 1 : -1;
	printf("call=%s pid=%u\n", call_name(req.data.nr), req.pid);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = is_errno ? (int)-v : 0;
	resp.val = is_errno ? 0 : v;
	/* ENOENT: the caller died meanwhile */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -1;
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	static char text[MAX_STATE];
	int sock, conn, listener, is_errno, r, ret = 1;
	long long v;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path) ||
	    (strncmp(argv[2], "errno:", 6) && strncmp(argv[2], "value:", 6))) {
		fprintf(stderr, "usage: seccomp-agent SOCKET errno:N|value:V\n");
		return 2;
	}
	is_errno = !strncmp(argv[2], "errno:", 6);
	v = atoll(argv[2] + 6);
	setvbuf(stdout, NULL, _IOLBF, 0);
	strcpy(addr.sun_path, argv[1]);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(sock, 1) < 0) {
		perror("seccomp-agent: listen");
		return 1;
	}
	printf("ready\n");
	conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	listener = conn < 0 ? -1 : receive_state(conn, text, sizeof(text));
	if (listener < 0) {
		perror("seccomp-agent: receive the state and the listener");
	} else {
		print_state(text);
		while ((r = answer_one(listener, is_errno, v)) > 0)
			;
		if (r < 0)
			perror("seccomp-agent: answer");
		else
			ret = 0;
	}
	unlink(argv[1]);
	return ret;
}
