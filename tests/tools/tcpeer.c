/*
 * tcpeer: both ends of one TCP connection, for the NAT tests and bench.
 * Statically linked, so it runs in any rootfs. Prints key=value lines.
 *
 *   tcpeer listen PORT READY     accept one connection; print and send back
 *                                "peer=ADDR" (the address the listener sees),
 *                                then read until end-of-file: bytes=N
 *   tcpeer connect ADDR PORT [MB]  print the listener's line, send MB MiB
 *                                (0 by default), wait for its end: mbps=N
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static int fail(const char *what)
{
	printf("error=%s: %s\n", what, strerror(errno));
	return 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* READY appears once the socket listens: the test waits on it, not on a sleep. */
static int do_listen(int port, const char *ready)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sa);
	static char buf[CHUNK];
	char line[64];
	long long total = 0;
	int one = 1, fd, conn, r;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		return fail("listen");
	r = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (r < 0)
		return fail("create the ready file");
	close(r);
	conn = accept4(fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
	if (conn < 0)
		return fail("accept");
	snprintf(line, sizeof(line), "peer=%s\n", inet_ntoa(sa.sin_addr));
	if (write(conn, line, strlen(line)) < 0)
		return fail("write");
	fputs(line, stdout);
	while ((n = read(conn, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		return fail("read");
	printf("bytes=%lld\n", total);
	close(conn);
	return 0;
}

static int do_connect(const char *addr, int port, long mb)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	static char buf[CHUNK];
	char line[64];
	double start;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		printf("error=bad address %s\n", addr);
		return 1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("connect");
	/* The listener's line first: it ends with the only newline it sends. */
	while (got < sizeof(line) - 1 && (n = read(fd, line + got, 1)) == 1 && line[got] != '\n')
		got++;
	line[got] = 0;
	printf("%s\n", line);
	start = now();
	for (long i = 0; i < mb * (1024 * 1024 / CHUNK); i++)
		for (size_t off = 0; off < sizeof(buf); off += (size_t)n)
			if ((n = write(fd, buf + off, sizeof(buf) - off)) < 0)
				return fail("write");
	/* Our end-of-file, then theirs: every byte has been read on the other side. */
	if (shutdown(fd, SHUT_WR) < 0)
		return fail("shutdown");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (mb)
		printf("mbps=%.0f\n", mb * 8 * 1.048576 / (now() - start));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "listen"))
		return do_listen(atoi(argv[2]), argv[3]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "connect"))
		return do_connect(argv[2], atoi(argv[3]), argc == 5 ? atol(argv[4]) : 0);
	fprintf(stderr, "usage: tcpeer listen PORT READY | tcpeer connect ADDR PORT [MB]\n");
	return 2;
}
