/*
 * ports.c: -p/--publish [IP:][HOSTPORT:]CTRPORT[/tcp], Docker's syntax.
 * The socket is bound here, before the container exists, so a port in
 * use is refused with nothing made. Connections from elsewhere never reach
 * it: the kernel's DNAT rules (net.c) send them to the container first.
 * What is left (the host's loopback, the bridge) run -d's monitor accepts
 * and relays to the container (monitor.c), as docker-proxy does. With no
 * HOSTPORT, bind(2) to port 0 lets the kernel pick a free one, which
 * getsockname(2) reads back for ps, port and the DNAT rules.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "minidock.h"

/* A port number in 1..65535; an empty text is 0 when `empty_ok` (the kernel picks). */
static int parse_port_number(const char *text, size_t len, int empty_ok, unsigned int *port)
{
	char buf[8];
	char *end;
	unsigned long n;

	if (len == 0 && empty_ok) {
		*port = 0;
		return 0;
	}
	if (len == 0 || len >= sizeof(buf) || strspn(text, "0123456789") < len)
		return -1;
	memcpy(buf, text, len);
	buf[len] = 0;
	n = strtoul(buf, &end, 10);
	if (n < 1 || n > 65535)
		return -1;
	*port = (unsigned int)n;
	return 0;
}

/* The part before the host port: a dotted IPv4 address, or nothing (every address). */
static int parse_host_ip(const char *text, size_t len, char ip[16])
{
	struct in_addr a;
	char buf[16];

	if (len == 0) {
		snprintf(ip, 16, "0.0.0.0");
		return 0;
	}
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = 0;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	snprintf(ip, 16, "%s", buf);
	return 0;
}

/* CTRPORT, HOSTPORT:CTRPORT, IP:HOSTPORT:CTRPORT or IP::CTRPORT; "/tcp" may follow. */
int ports_parse(const char *spec, struct port_map *p)
{
	const char *proto = strchr(spec, '/'), *c2, *c1;
	size_t len = proto ? (size_t)(proto - spec) : strlen(spec);
	int ok;

	memset(p, 0, sizeof(*p));
	if (proto && strcmp(proto, "/tcp")) {
		fprintf(stderr, "%s: -p %s: only tcp ports can be published\n", PROG, spec);
		return -1;
	}
	c2 = memrchr(spec, ':', len);
	c1 = c2 ? memrchr(spec, ':', (size_t)(c2 - spec)) : NULL;
	ok = parse_port_number(c2 ? c2 + 1 : spec, c2 ? len - (size_t)(c2 + 1 - spec) : len, 0,
			       &p->ctr_port) == 0;
	if (ok && c1)
		ok = parse_host_ip(spec, (size_t)(c1 - spec), p->host_ip) == 0 &&
		     parse_port_number(c1 + 1, (size_t)(c2 - c1 - 1), 1, &p->host_port) == 0;
	else if (ok && c2)
		ok = parse_host_ip("", 0, p->host_ip) == 0 &&
		     parse_port_number(spec, (size_t)(c2 - spec), 1, &p->host_port) == 0;
	else if (ok)
		parse_host_ip("", 0, p->host_ip);
	if (!ok) {
		fprintf(stderr, "%s: bad -p '%s': use [IP:][HOSTPORT:]CTRPORT, ports 1-65535\n", PROG,
			spec);
		return -1;
	}
	return 0;
}

/* Listen on the host side of p; the port the kernel chose goes back into p. */
int ports_bind(struct port_map *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->host_port)};
	socklen_t len = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, p->host_ip, &sa.sin_addr);
	/* SO_REUSEADDR: a port a stopped container had is free again at once (socket(7)). */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		fprintf(stderr, "%s: publish %s:%u: %m\n", PROG, p->host_ip, p->host_port);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	p->host_port = ntohs(sa.sin_port);
	narrate("bind(%s:%u), listen() = 0: the proxy of container port %u [bind(2)]",
		p->host_ip, p->host_port, p->ctr_port);
	return fd;
}
