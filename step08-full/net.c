/*
 * net.c: chapter 6's network namespace (network_namespaces(7)), wired
 * with rtnetlink(7) messages we build ourselves, the ones ip(8) would
 * send. --network none: only lo, up. bridge (the default, as Docker's):
 * a host bridge (created on first use, like docker0) carries the gateway
 * address, and a veth pair (veth(4)) is the cable, one end on the bridge,
 * the other in the container as eth0. Addresses come from a small
 * allocator under /run/minidock/ipam, serialised with flock(2): the
 * bridge is the host's, so its leases are too, whatever --root says.
 * host: no network namespace at all. Beyond the host, the bridge's NAT
 * (masquerade out, DNAT of published ports in) is an nf_tables table named
 * as the bridge, written in batches of our own (nft.c).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minidock.h"

#define DEFAULT_BRIDGE "minidock0"
#define DEFAULT_SUBNET "10.111.0.0/16"
#define BRIDGE_PREFIX "minidock" /* we only ever create bridges named so */
#define IPAM_DIR "/run/minidock/ipam"
#define IPAM_PATH_MAX 64 /* IPAM_DIR/BRIDGE/ADDRESS, with room to spare */

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define MAX_STALE 32 /* stale DNAT rules removed per batch; the rest next time */

/* This run's network, as set up: the address chosen, its lease (flock'd), added DNAT. */
static struct network net;
static int lease_fd = -1, dnat_added;

/* The global --ip-masq and --ip-forward (main.c), as dockerd's. */
int net_ip_masq = 1, net_ip_forward = 1;

/* ---- network options ---- */

/* The netmask of a prefix length, in host byte order. */
static uint32_t prefix_mask(int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

static int parse_network_mode(const char *mode, struct network *cfg)
{
	if (!strcmp(mode, "bridge")) {
		cfg->mode = NET_BRIDGE;
	} else if (!strcmp(mode, "none")) {
		cfg->mode = NET_NONE;
	} else if (!strcmp(mode, "host")) {
		cfg->mode = NET_HOST;
	} else {
		fprintf(stderr, "%s: unknown network mode '%s' (none, bridge or host)\n", PROG,
			mode);
		return -1;
	}
	return 0;
}

/* A dotted IPv4 address, kept in host byte order so we can count with it. */
static int parse_ipv4(const char *text, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

/* For messages: ip in dotted form, in buf. */
static const char *ip_str(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = {.s_addr = htonl(ip)};

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* "ADDR/LEN", the address on a network boundary: its host bits all zero. */
static int parse_subnet(const char *arg, struct network *cfg)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(arg, '/');
	char *end;
	long prefix;

	if (!slash || slash - arg >= (long)sizeof(addr) || !slash[1]) {
		fprintf(stderr, "%s: subnet '%s' is not ADDR/LEN, like %s\n", PROG, arg,
			DEFAULT_SUBNET);
		return -1;
	}
	memcpy(addr, arg, slash - arg);
	addr[slash - arg] = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (*end || parse_ipv4(addr, &cfg->subnet) < 0) {
		fprintf(stderr, "%s: subnet '%s' is not ADDR/LEN, like %s\n", PROG, arg,
			DEFAULT_SUBNET);
		return -1;
	}
	/* /31 and /32 leave no room for a gateway and a container. */
	if (prefix < 8 || prefix > 30) {
		fprintf(stderr, "%s: subnet '%s': the prefix length must be 8 to 30\n", PROG, arg);
		return -1;
	}
	if (cfg->subnet & ~prefix_mask(prefix)) {
		fprintf(stderr, "%s: subnet '%s' has host bits set (the network address ends in 0s)\n",
			PROG, arg);
		return -1;
	}
	cfg->prefix = prefix;
	return 0;
}

static int parse_ip(const char *arg, struct network *cfg)
{
	if (parse_ipv4(arg, &cfg->ip) < 0 || !cfg->ip) {
		fprintf(stderr, "%s: --ip '%s' is not an IPv4 address\n", PROG, arg);
		return -1;
	}
	return 0;
}

/* Interface names are at most IFNAMSIZ - 1 bytes; we allow a safe alphabet only. */
static int check_bridge_name_quietly(const char *name)
{
	size_t len = strlen(name);

	return !strncmp(name, BRIDGE_PREFIX, strlen(BRIDGE_PREFIX)) && len < IFNAMSIZ &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

static int check_bridge_name(const char *name)
{
	if (!check_bridge_name_quietly(name)) {
		fprintf(stderr,
			"%s: bridge name '%s' must start with '%s' and be at most %d letters, "
			"digits, '-' or '_'\n",
			PROG, name, BRIDGE_PREFIX, IFNAMSIZ - 1);
		return -1;
	}
	return 0;
}

/* The defaults, then what only makes sense together: --ip inside --subnet. */
static int check_network(struct network *cfg)
{
	uint32_t mask, broadcast;

	if (!cfg->bridge)
		cfg->bridge = DEFAULT_BRIDGE;
	if (!cfg->prefix && parse_subnet(DEFAULT_SUBNET, cfg) < 0)
		return -1;
	if (cfg->mode != NET_BRIDGE) {
		if (cfg->ip) {
			fprintf(stderr, "%s: --ip needs --network bridge\n", PROG);
			return -1;
		}
		return 0;
	}
	if (check_bridge_name(cfg->bridge) < 0)
		return -1;
	mask = prefix_mask(cfg->prefix);
	broadcast = cfg->subnet | ~mask;
	/* Not the network address, not the gateway (the first), not the broadcast. */
	if (cfg->ip && ((cfg->ip & mask) != cfg->subnet || cfg->ip <= cfg->subnet + 1 ||
			cfg->ip == broadcast)) {
		char ip[INET_ADDRSTRLEN], sub[INET_ADDRSTRLEN];

		fprintf(stderr, "%s: --ip %s is not a container address in %s/%d\n", PROG,
			ip_str(cfg->ip, ip), ip_str(cfg->subnet, sub), cfg->prefix);
		return -1;
	}
	return 0;
}
struct nl_request {
	union {
		struct nlmsghdr hdr;
		char buf[1024];
	};
	int overflow; /* an attribute did not fit: the request is not sent */
};

/* What a RTM_GETLINK reply tells us about an interface. */
struct link_info {
	int index;
	char kind[16]; /* "bridge", "veth", ... or "" */
};

/* What the address and route dumps look for. */
struct search {
	uint32_t net; /* a subnet (host byte order) */
	int prefix;
	int index;         /* the interface whose address we want, or 0 */
	char found[96];    /* what matched, for the message; "" if nothing */
	uint32_t addr;     /* the matching address, when index was given */
	int addr_prefix;
};

typedef void (*nl_each)(const struct nlmsghdr *h, void *arg);

static unsigned int nl_seq;

/* Start a request of the given type; returns where the family header goes. */
static void *nl_start(struct nl_request *req, unsigned short type, unsigned short flags,
		      size_t family_len)
{
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(family_len);
	req->hdr.nlmsg_type = type;
	req->hdr.nlmsg_flags = NLM_F_REQUEST | flags;
	req->hdr.nlmsg_seq = ++nl_seq;
	return NLMSG_DATA(&req->hdr);
}

/* Append an attribute (type, length, value); a nest is one whose value follows. */
static struct rtattr *nl_add(struct nl_request *req, unsigned short type, const void *data,
			     size_t len)
{
	size_t at = NLMSG_ALIGN(req->hdr.nlmsg_len);
	struct rtattr *rta = (struct rtattr *)(req->buf + at);

	if (at + RTA_SPACE(len) > sizeof(req->buf)) {
		req->overflow = 1;
		return NULL;
	}
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	req->hdr.nlmsg_len = at + RTA_SPACE(len);
	return rta;
}

static void nl_add_string(struct nl_request *req, unsigned short type, const char *s)
{
	nl_add(req, type, s, strlen(s) + 1);
}

static void nl_add_u32(struct nl_request *req, unsigned short type, uint32_t v)
{
	nl_add(req, type, &v, sizeof(v));
}

/* Addresses go on the wire in network byte order. */
static void nl_add_ipv4(struct nl_request *req, unsigned short type, uint32_t ip)
{
	nl_add_u32(req, type, htonl(ip));
}

/* A nest's length covers everything appended since it was opened. */
static void nl_end_nest(struct nl_request *req, struct rtattr *nest)
{
	if (nest)
		nest->rta_len = req->buf + req->hdr.nlmsg_len - (char *)nest;
}

/*
 * NLMSG_ERROR (the answer to a request) and NLMSG_DONE (the end of a dump)
 * both start with an int: 0, or a negative errno.
 */
static int nl_error(const struct nlmsghdr *h)
{
	const int *err = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*err)) || !*err)
		return 0;
	errno = -*err;
	return -1;
}

/*
 * Send the request and read the replies to it: an acknowledgement, a
 * single answer, or a dump (NLM_F_MULTI parts until NLMSG_DONE). Each
 * answer goes to each(). Returns -1 with errno set by the kernel.
 */
static int nl_exchange(int fd, struct nl_request *req, nl_each each, void *arg)
{
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct nlmsghdr *h;
	ssize_t n;

	if (req->overflow) {
		errno = EMSGSIZE;
		return -1;
	}
	if (sendto(fd, req->buf, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -1;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req->hdr.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
				return nl_error(h);
			if (each)
				each(h, arg);
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return 0;
		}
	}
}

/* nl_exchange, narrated as one line, or one error line naming what failed. */
static int nl_talk(int fd, struct nl_request *req, const char *what, nl_each each, void *arg)
{
	if (nl_exchange(fd, req, each, arg) < 0) {
		fprintf(stderr, "%s: rtnetlink %s: %m\n", PROG, what);
		return -1;
	}
	narrate("sendto(%s) = 0 [rtnetlink(7)]", what);
	return 0;
}

static int open_rtnetlink(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0) {
		fprintf(stderr, "%s: socket NETLINK_ROUTE: %m\n", PROG);
		return -1;
	}
	narrate("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = %d [netlink(7)]", fd);
	return fd;
}

/* A locally administered MAC (02:...) that spells the IPv4 address: 02:6d:a:b:c:d. */
static void mac_for(uint32_t ip, unsigned char mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x6d;
	for (int i = 0; i < 4; i++)
		mac[2 + i] = ip >> (24 - 8 * i);
}

static const char *mac_str(const unsigned char mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

/* The host end of a container's veth is named for its address: mdk0a6f0002. */
static void veth_name(uint32_t ip, char name[IFNAMSIZ])
{
	snprintf(name, IFNAMSIZ, "mdk%08x", ip);
}

static void parse_link(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct link_info *link = arg;
	const struct rtattr *rta, *sub;
	int len = IFLA_PAYLOAD(h), sublen;

	link->index = ifi->ifi_index;
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type != IFLA_LINKINFO)
			continue;
		sublen = RTA_PAYLOAD(rta);
		for (sub = RTA_DATA(rta); RTA_OK(sub, sublen); sub = RTA_NEXT(sub, sublen))
			if (sub->rta_type == IFLA_INFO_KIND)
				snprintf(link->kind, sizeof(link->kind), "%.*s",
					 (int)RTA_PAYLOAD(sub), (const char *)RTA_DATA(sub));
	}
}

/* RTM_GETLINK by name (ip link show NAME): 1 if it exists, 0 if not, -1 on error. */
static int find_link(int fd, const char *name, struct link_info *link)
{
	struct nl_request req;
	struct ifinfomsg *ifi = nl_start(&req, RTM_GETLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	nl_add_string(&req, IFLA_IFNAME, name);
	memset(link, 0, sizeof(*link));
	if (nl_exchange(fd, &req, parse_link, link) < 0) {
		if (errno == ENODEV) {
			narrate("sendto(RTM_GETLINK name=%s) = ENODEV [rtnetlink(7)]", name);
			return 0;
		}
		fprintf(stderr, "%s: rtnetlink RTM_GETLINK %s: %m\n", PROG, name);
		return -1;
	}
	narrate("sendto(RTM_GETLINK name=%s) = index %d [rtnetlink(7)]", name, link->index);
	return 1;
}

/* RTM_NEWLINK on an existing interface, by name: ip link set NAME up. */
static int set_link_up(int fd, const char *name)
{
	struct nl_request req;
	struct ifinfomsg *ifi = nl_start(&req, RTM_NEWLINK, NLM_F_ACK, sizeof(*ifi));
	char what[64];

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	nl_add_string(&req, IFLA_IFNAME, name);
	snprintf(what, sizeof(what), "RTM_NEWLINK name=%s up", name);
	return nl_talk(fd, &req, what, NULL, NULL);
}

/* RTM_DELLINK: ip link del NAME. Only for a bridge we could not finish. */
static int delete_link(int fd, int index, const char *name)
{
	struct nl_request req;
	struct ifinfomsg *ifi = nl_start(&req, RTM_DELLINK, NLM_F_ACK, sizeof(*ifi));
	char what[64];

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	snprintf(what, sizeof(what), "RTM_DELLINK name=%s", name);
	return nl_talk(fd, &req, what, NULL, NULL);
}

/* RTM_NEWADDR: ip addr add IP/PREFIX broadcast + dev NAME. */
static int add_address(int fd, int index, const char *name, uint32_t ip, int prefix)
{
	struct nl_request req;
	struct ifaddrmsg *ifa =
		nl_start(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*ifa));
	char what[96], a[INET_ADDRSTRLEN];

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = index;
	nl_add_ipv4(&req, IFA_LOCAL, ip);
	nl_add_ipv4(&req, IFA_ADDRESS, ip);
	nl_add_ipv4(&req, IFA_BROADCAST, ip | ~prefix_mask(prefix));
	snprintf(what, sizeof(what), "RTM_NEWADDR %s/%d dev %s", ip_str(ip, a), prefix, name);
	return nl_talk(fd, &req, what, NULL, NULL);
}

/* RTM_NEWROUTE: ip route add default via GATEWAY dev NAME. */
static int add_default_route(int fd, int index, const char *name, uint32_t gateway)
{
	struct nl_request req;
	struct rtmsg *rt =
		nl_start(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*rt));
	char what[96], a[INET_ADDRSTRLEN];

	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	rt->rtm_dst_len = 0; /* 0.0.0.0/0: every destination */
	nl_add_ipv4(&req, RTA_GATEWAY, gateway);
	nl_add_u32(&req, RTA_OIF, index);
	snprintf(what, sizeof(what), "RTM_NEWROUTE default via %s dev %s", ip_str(gateway, a),
		 name);
	return nl_talk(fd, &req, what, NULL, NULL);
}

/* Do two networks share any address? Compare them under the shorter prefix. */
static int overlaps(uint32_t a, int a_prefix, uint32_t b, int b_prefix)
{
	int p = a_prefix < b_prefix ? a_prefix : b_prefix;

	return ((a ^ b) & prefix_mask(p)) == 0;
}

/* One address of a RTM_GETADDR dump: is it on s->index, or in s->net? */
static void each_address(const struct nlmsghdr *h, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta;
	struct search *s = arg;
	int len = IFA_PAYLOAD(h);
	uint32_t addr = 0;
	char a[INET_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";

	if (ifa->ifa_family != AF_INET || s->found[0])
		return;
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFA_LOCAL ||
		    (rta->rta_type == IFA_ADDRESS && !addr))
			addr = ntohl(*(const uint32_t *)RTA_DATA(rta));
	if (s->index ? (int)ifa->ifa_index != s->index
		     : !overlaps(addr, ifa->ifa_prefixlen, s->net, s->prefix))
		return;
	s->addr = addr;
	s->addr_prefix = ifa->ifa_prefixlen;
	if_indextoname(ifa->ifa_index, dev);
	snprintf(s->found, sizeof(s->found), "address %s/%d on %s", ip_str(addr, a),
		 ifa->ifa_prefixlen, dev);
}

/* One route of a RTM_GETROUTE dump, any table: does it cover part of s->net? */
static void each_route(const struct nlmsghdr *h, void *arg)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *rta;
	struct search *s = arg;
	int len = RTM_PAYLOAD(h);
	uint32_t dst = 0, table = rt->rtm_table;
	char a[INET_ADDRSTRLEN];

	/* The default route covers everything; it is not another network. */
	if (rt->rtm_family != AF_INET || !rt->rtm_dst_len || s->found[0])
		return;
	for (rta = RTM_RTA(rt); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == RTA_DST)
			dst = ntohl(*(const uint32_t *)RTA_DATA(rta));
		if (rta->rta_type == RTA_TABLE)
			table = *(const uint32_t *)RTA_DATA(rta);
	}
	if (overlaps(dst, rt->rtm_dst_len, s->net, s->prefix))
		snprintf(s->found, sizeof(s->found), "route %s/%d in table %u", ip_str(dst, a),
			 rt->rtm_dst_len, table);
}

/* A RTM_GETADDR or RTM_GETROUTE dump of IPv4 (ip -4 addr / ip -4 route show table all). */
static int dump(int fd, unsigned short type, nl_each each, struct search *s)
{
	struct nl_request req;
	/* ifaddrmsg and rtmsg both start with the family byte. */
	struct rtgenmsg *g = nl_start(&req, type, NLM_F_DUMP,
				      type == RTM_GETADDR ? sizeof(struct ifaddrmsg)
							  : sizeof(struct rtmsg));

	g->rtgen_family = AF_INET;
	return nl_talk(fd, &req, type == RTM_GETADDR ? "RTM_GETADDR dump" : "RTM_GETROUTE dump",
		       each, s);
}

/*
 * Another tool's network may live here already (podman's 10.88.0.0/16,
 * Docker's 172.17.0.0/16, a VPN): a bridge on top of it would steal its
 * traffic. Refuse a subnet that shares any address with an address or a
 * route the host has.
 */
static int refuse_overlap(int fd, const struct network *cfg)
{
	struct search s = {.net = cfg->subnet, .prefix = cfg->prefix};
	char sub[INET_ADDRSTRLEN];

	if (dump(fd, RTM_GETADDR, each_address, &s) < 0 ||
	    (!s.found[0] && dump(fd, RTM_GETROUTE, each_route, &s) < 0))
		return -1;
	if (s.found[0]) {
		fprintf(stderr,
			"%s: subnet %s/%d overlaps %s already on the host (pick another --subnet)\n",
			PROG, ip_str(cfg->subnet, sub), cfg->prefix, s.found);
		return -1;
	}
	return 0;
}

/* An existing bridge is ours to use only if it carries our gateway address. */
static int check_bridge(int fd, const struct network *cfg, const struct link_info *link)
{
	struct search s = {.index = link->index};
	char gw[INET_ADDRSTRLEN];

	if (strcmp(link->kind, "bridge")) {
		fprintf(stderr, "%s: %s exists and is not a bridge\n", PROG, cfg->bridge);
		return -1;
	}
	if (dump(fd, RTM_GETADDR, each_address, &s) < 0)
		return -1;
	if (s.addr != cfg->subnet + 1 || s.addr_prefix != cfg->prefix) {
		fprintf(stderr,
			"%s: bridge %s has %s, not %s/%d (use another --bridge, or 'make clean-net')\n",
			PROG, cfg->bridge, s.found[0] ? s.found : "no IPv4 address",
			ip_str(cfg->subnet + 1, gw), cfg->prefix);
		return -1;
	}
	return 0;
}

/*
 * RTM_NEWLINK kind bridge: ip link add NAME address MAC up type bridge.
 * Set at creation, the MAC stays: otherwise a bridge takes the lowest MAC
 * of its ports, and the gateway's MAC would change as containers come
 * and go, leaving stale neighbour entries in every container.
 */
static int create_bridge(int fd, const struct network *cfg)
{
	struct nl_request req;
	struct ifinfomsg *ifi =
		nl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*ifi));
	unsigned char mac[6];
	struct rtattr *info;
	char what[128], m[18];

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mac_for(cfg->subnet + 1, mac);
	nl_add_string(&req, IFLA_IFNAME, cfg->bridge);
	nl_add(&req, IFLA_ADDRESS, mac, sizeof(mac));
	info = nl_add(&req, IFLA_LINKINFO, NULL, 0);
	nl_add_string(&req, IFLA_INFO_KIND, "bridge");
	nl_end_nest(&req, info);
	snprintf(what, sizeof(what), "RTM_NEWLINK kind=bridge name=%s address=%s up", cfg->bridge,
		 mac_str(mac, m));
	return nl_talk(fd, &req, what, NULL, NULL);
}

/* The bridge, created on first use with the gateway address; its index. */
static int ensure_bridge(int fd, const struct network *cfg)
{
	struct link_info link;
	int found = find_link(fd, cfg->bridge, &link);

	if (found < 0)
		return -1;
	if (found)
		return check_bridge(fd, cfg, &link) < 0 ? -1 : link.index;
	if (refuse_overlap(fd, cfg) < 0 || create_bridge(fd, cfg) < 0 ||
	    find_link(fd, cfg->bridge, &link) <= 0)
		return -1;
	if (add_address(fd, link.index, cfg->bridge, cfg->subnet + 1, cfg->prefix) < 0) {
		/* Nothing half-made: a bridge without its gateway is of no use. */
		delete_link(fd, link.index, cfg->bridge);
		return -1;
	}
	return link.index;
}

/* IPAM_DIR/BRIDGE/LEAF: a lease (LEAF is the address) or the cursor ("last"). */
static void ipam_path(const char *bridge, const char *leaf, char path[IPAM_PATH_MAX])
{
	snprintf(path, IPAM_PATH_MAX, "%s/%.*s/%s", IPAM_DIR, IFNAMSIZ - 1, bridge, leaf);
}

static void lease_path(const char *bridge, uint32_t ip, char path[IPAM_PATH_MAX])
{
	char a[INET_ADDRSTRLEN];

	ipam_path(bridge, ip_str(ip, a), path);
}

/*
 * One lock for every bridge: concurrent starts take turns to create a
 * bridge, pick an address and plug in their veth. flock(2) is released
 * by the kernel if we die, so a killed run never leaves it held.
 */
static int lock_ipam(void)
{
	/* make_dirs: a machine without /run (a bare initramfs) gets it made */
	if (make_dirs(IPAM_DIR, 0700) < 0)
		return -1;
	return lock_path(IPAM_DIR "/lock", O_RDWR | O_CREAT);
}

/*
 * A lease is held by the run that took it, with flock(2), for as long as
 * that run lives: the kernel drops the lock when it dies, however it dies.
 * A lease whose lock we can take has no owner left, and goes. Its owner
 * unlinks it before letting go of the lock, so a file we lock after that
 * is one already unlinked (st_nlink 0); and a new lease is only made under
 * the IPAM lock, which our caller holds, so none can take its place
 * meanwhile. Returns 1 while an owner holds it, 0 when there is none now,
 * -1 on error.
 */
static int lease_held(const char *path)
{
	struct stat st = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC), held = -1;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		held = errno == EWOULDBLOCK ? 1 : -1;
	else if (fstat(fd, &st) == 0 && (st.st_nlink == 0 || unlink(path) == 0 || errno == ENOENT))
		held = 0;
	if (held < 0)
		fprintf(stderr, "%s: stale lease %s: %m\n", PROG, path);
	else if (held == 0 && st.st_nlink)
		narrate("unlink(\"%s\") = 0: a stale lease, flock(2) free [unlink(2)]", path);
	close(fd);
	return held;
}

/*
 * An address is taken while its lease is held, and while a veth bears its
 * name: the kernel removes a dead container's veth some time after it
 * exits, and until then the address is not free.
 */
static int address_taken(int fd, const char *bridge, uint32_t ip)
{
	char name[IFNAMSIZ], path[IPAM_PATH_MAX];
	struct link_info link;
	int found;

	veth_name(ip, name);
	found = find_link(fd, name, &link);
	if (found)
		return found;
	lease_path(bridge, ip, path);
	return lease_held(path);
}

/*
 * A run killed with SIGKILL has no exit path and leaves its lease file,
 * unlocked; its veth goes with its namespace all the same. Every
 * allocation sweeps the bridge's leases, and so does prune.
 */
static int sweep_stale_leases(int fd, const char *bridge)
{
	char dir[IPAM_PATH_MAX];
	struct dirent *d;
	uint32_t ip;
	int ok = 1;
	DIR *dp;

	ipam_path(bridge, "", dir);
	dp = opendir(dir);
	if (!dp) {
		fprintf(stderr, "%s: opendir %s: %m\n", PROG, dir);
		return -1;
	}
	while (ok && (d = readdir(dp)))
		if (parse_ipv4(d->d_name, &ip) == 0)
			ok = address_taken(fd, bridge, ip) >= 0;
	closedir(dp);
	return ok ? 0 : -1;
}

/* The address handed out last on this bridge, or 0. */
static uint32_t read_cursor(const char *bridge)
{
	char path[IPAM_PATH_MAX], text[INET_ADDRSTRLEN + 1] = "";
	uint32_t ip = 0;
	FILE *f;

	ipam_path(bridge, "last", path);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(text, sizeof(text), f))
		text[strcspn(text, "\n")] = 0;
	fclose(f);
	return parse_ipv4(text, &ip) < 0 ? 0 : ip;
}

/*
 * The lease file, made under the IPAM lock and flock(2)ed until we exit
 * (release_lease), or die: its descriptor is close-on-exec, and the child
 * was cloned before it existed. A run killed before the lock leaves an
 * unlocked file, which the next sweep takes for the stale one it is.
 */
static int hold_lease(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || write(fd, text, len) != (ssize_t)len) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The cursor is rewritten in place, under the IPAM lock that its only
 * readers hold too: no new inode per run, no freed block (a /run on a
 * disk pays for both).
 */
static int write_cursor(const char *bridge, uint32_t ip)
{
	char path[IPAM_PATH_MAX], text[INET_ADDRSTRLEN + 1], a[INET_ADDRSTRLEN];
	int fd, len, ok;

	ipam_path(bridge, "last", path);
	len = snprintf(text, sizeof(text), "%s\n", ip_str(ip, a));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ok = fd >= 0 && pwrite(fd, text, (size_t)len, 0) == len && ftruncate(fd, len) == 0;
	if (!ok)
		fprintf(stderr, "%s: write %s: %m\n", PROG, path);
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * Round-robin, not lowest-free: start after the address handed out last,
 * so an address just freed is the last to be reused, long after the
 * kernel has torn down the namespace that had it.
 */
static int pick_free_address(int fd, struct network *cfg)
{
	uint32_t first = cfg->subnet + 2, last = (cfg->subnet | ~prefix_mask(cfg->prefix)) - 1;
	uint32_t ip = read_cursor(cfg->bridge), count = last - first + 1;
	char sub[INET_ADDRSTRLEN];
	int taken;

	for (uint32_t i = 0; i < count; i++) {
		ip = ip >= first && ip < last ? ip + 1 : first;
		taken = address_taken(fd, cfg->bridge, ip);
		if (taken < 0)
			return -1;
		if (!taken) {
			cfg->ip = ip;
			return 0;
		}
	}
	fprintf(stderr, "%s: no free address left in %s/%d\n", PROG, ip_str(cfg->subnet, sub),
		cfg->prefix);
	return -1;
}

/* --ip or the next free address; the lease file records who holds it. */
static int take_lease(int fd, struct network *cfg, pid_t child, const char *id)
{
	char path[IPAM_PATH_MAX], text[128], name[IFNAMSIZ], a[INET_ADDRSTRLEN];
	int taken;

	ipam_path(cfg->bridge, "", path);
	if (make_dir(path, 0755) < 0 || sweep_stale_leases(fd, cfg->bridge) < 0)
		return -1;
	if (cfg->ip) {
		taken = address_taken(fd, cfg->bridge, cfg->ip);
		if (taken) {
			if (taken > 0)
				fprintf(stderr, "%s: address %s is in use on bridge %s\n", PROG,
					ip_str(cfg->ip, a), cfg->bridge);
			return -1;
		}
	} else if (pick_free_address(fd, cfg) < 0) {
		return -1;
	}
	veth_name(cfg->ip, name);
	lease_path(cfg->bridge, cfg->ip, path);
	snprintf(text, sizeof(text), "pid=%d\nveth=%s\nid=%.64s\n", child, name, id);
	lease_fd = hold_lease(path, text);
	if (lease_fd < 0)
		return -1;
	narrate("open(\"%s\", O_CREAT|O_EXCL), flock(LOCK_EX) = %d: %s leased to PID %d, "
		"for as long as we live [flock(2)]", path, lease_fd, ip_str(cfg->ip, a), child);
	return write_cursor(cfg->bridge, cfg->ip);
}

/*
 * RTM_NEWLINK kind veth: ip link add mdkXXXXXXXX master BRIDGE up type veth
 * peer name eth0 address MAC netns PID. One message makes both ends: the
 * host end plugged into the bridge, the peer created straight inside the
 * child's namespace (IFLA_NET_NS_PID), already named eth0, with a MAC
 * that spells its address.
 */
static int create_veth(int fd, const struct network *cfg, int bridge_index, pid_t child)
{
	struct nl_request req;
	struct ifinfomsg *ifi =
		nl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*ifi));
	/* Not up yet: the peer cannot open before its other half exists (ENOTCONN). */
	struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
	struct rtattr *info, *data, *peer;
	char name[IFNAMSIZ], what[192], m[18];
	unsigned char mac[6];

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	veth_name(cfg->ip, name);
	mac_for(cfg->ip, mac);
	nl_add_string(&req, IFLA_IFNAME, name);
	nl_add_u32(&req, IFLA_MASTER, bridge_index);
	info = nl_add(&req, IFLA_LINKINFO, NULL, 0);
	nl_add_string(&req, IFLA_INFO_KIND, "veth");
	data = nl_add(&req, IFLA_INFO_DATA, NULL, 0);
	peer = nl_add(&req, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	nl_add_string(&req, IFLA_IFNAME, "eth0");
	nl_add(&req, IFLA_ADDRESS, mac, sizeof(mac));
	nl_add_u32(&req, IFLA_NET_NS_PID, child);
	nl_end_nest(&req, peer);
	nl_end_nest(&req, data);
	nl_end_nest(&req, info);
	snprintf(what, sizeof(what),
		 "RTM_NEWLINK kind=veth name=%s master=%s up, peer name=eth0 address=%s "
		 "netns_pid=%d",
		 name, cfg->bridge, mac_str(mac, m), child);
	return nl_talk(fd, &req, what, NULL, NULL);
}

/*
 * A netlink socket talks to the namespace it was created in. To reach
 * the container's, we step into it with setns(2), open the socket, and
 * step back; the socket stays bound to the container's namespace.
 */
static int open_rtnetlink_in(pid_t child)
{
	char path[64];
	int mine, theirs, fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", child);
	mine = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	theirs = open(path, O_RDONLY | O_CLOEXEC);
	if (mine < 0 || theirs < 0) {
		fprintf(stderr, "%s: open network namespace: %m\n", PROG);
	} else if (setns(theirs, CLONE_NEWNET) < 0) {
		fprintf(stderr, "%s: setns %s: %m\n", PROG, path);
	} else {
		narrate("setns(\"%s\", CLONE_NEWNET) = 0 [setns(2)]", path);
		fd = open_rtnetlink();
		if (setns(mine, CLONE_NEWNET) < 0) {
			fprintf(stderr, "%s: setns back to our network namespace: %m\n", PROG);
			if (fd >= 0)
				close(fd);
			fd = -1;
		} else {
			narrate("setns(\"/proc/self/ns/net\" as opened before, CLONE_NEWNET) = 0 "
				"[setns(2)]");
		}
	}
	if (mine >= 0)
		close(mine);
	if (theirs >= 0)
		close(theirs);
	return fd;
}

/* Inside: lo up; with a bridge, eth0's address, eth0 up, the default route. */
static int configure_inside(const struct network *cfg, pid_t child)
{
	struct link_info eth0;
	int fd = open_rtnetlink_in(child), ok;

	if (fd < 0)
		return -1;
	ok = set_link_up(fd, "lo") == 0;
	if (ok && cfg->mode == NET_BRIDGE)
		ok = find_link(fd, "eth0", &eth0) > 0 &&
		     add_address(fd, eth0.index, "eth0", cfg->ip, cfg->prefix) == 0 &&
		     set_link_up(fd, "eth0") == 0 &&
		     add_default_route(fd, eth0.index, "eth0", cfg->subnet + 1) == 0;
	close(fd);
	return ok ? 0 : -1;
}

/* ---- beyond the host: the bridge's NAT, in an nf_tables table named as the bridge ---- */

/*
 * net.ipv4.ip_forward = 1 lets the host route between its interfaces,
 * here from the bridge to the others: host-wide, for every interface, as
 * dockerd does; like dockerd, we never turn it back off (proc_sys_net(5)).
 */
static int enable_ip_forward(void)
{
	char value[8] = "";

	if (!net_ip_forward || (read_small_file(IP_FORWARD, value, sizeof(value)) == 0 &&
				value[0] == '1'))
		return 0;
	if (write_file(IP_FORWARD, "1\n") < 0)
		return -1;
	narrate("write(\"%s\", \"1\") = 2: the host routes between all its interfaces from "
		"now on, as with Docker [proc_sys_net(5)]",
		IP_FORWARD);
	return 0;
}

/* What a look at the bridge's table found: our masquerade rule, stale DNAT rules. */
struct nat_scan {
	const char *bridge;
	unsigned long long masq; /* its handle, 0: none */
	struct nft_rule_info stale[MAX_STALE];
	size_t n_stale;
};

/*
 * A DNAT rule's comment is "ID IP": the container's id and address. It
 * is stale once that address's lease no longer names that id (the
 * container has ended, and its lease has gone: see address_taken).
 */
static int rule_is_stale(const char *bridge, const char *comment)
{
	char id[65], ip_text[INET_ADDRSTRLEN], path[IPAM_PATH_MAX], text[128], want[72];
	uint32_t ip;

	if (sscanf(comment, "%64s %15s", id, ip_text) != 2 || parse_ipv4(ip_text, &ip) < 0)
		return 0;
	lease_path(bridge, ip, path);
	snprintf(want, sizeof(want), "id=%s\n", id);
	return read_small_file(path, text, sizeof(text)) < 0 || !strstr(text, want);
}

static void scan_rule(const struct nft_rule_info *r, void *arg)
{
	struct nat_scan *s = arg;

	if (!strcmp(r->chain, "postrouting"))
		s->masq = r->handle;
	else if (s->n_stale < MAX_STALE && rule_is_stale(s->bridge, r->comment))
		s->stale[s->n_stale++] = *r;
}

static void delete_stale_rules(const struct nat_scan *scan)
{
	for (size_t i = 0; i < scan->n_stale; i++)
		nft_del_rule(scan->bridge, scan->stale[i].chain, scan->stale[i].handle);
}

/* Connections to the host's loopback never reach prerouting or a DNAT rule: the proxy's. */
static int needs_dnat(const struct port_map *p)
{
	return strncmp(p->host_ip, "127.", 4) != 0;
}

/*
 * Under the IPAM lock, once this run's address is leased: one batch that
 * makes the table if needed, adds or removes the masquerade rule as
 * --ip-masq says, removes stale DNAT rules and adds this container's.
 * A bridge that already has all it needs costs one dump and no batch.
 */
static int sync_nat(const struct network *cfg, const char *id, const struct record *rec)
{
	struct nat_scan scan = {.bridge = cfg->bridge};
	char comment[96], a[INET_ADDRSTRLEN];
	size_t n_dnat = 0;
	uint32_t host_ip;

	if (!nft_available())
		return 0;
	if (enable_ip_forward() < 0 || nft_list_rules(cfg->bridge, scan_rule, &scan) < 0)
		return -1;
	for (size_t i = 0; rec && i < rec->n_ports; i++)
		n_dnat += needs_dnat(&rec->ports[i]);
	nft_begin();
	if ((net_ip_masq && !scan.masq) || n_dnat)
		nft_add_nat_table(cfg->bridge);
	if (net_ip_masq && !scan.masq)
		nft_add_masquerade(cfg->bridge, cfg->subnet, cfg->prefix, cfg->bridge);
	if (!net_ip_masq && scan.masq)
		nft_del_rule(cfg->bridge, "postrouting", scan.masq);
	delete_stale_rules(&scan);
	snprintf(comment, sizeof(comment), "%.64s %s", id, ip_str(cfg->ip, a));
	for (size_t i = 0; rec && i < rec->n_ports; i++) {
		if (!needs_dnat(&rec->ports[i]) || parse_ipv4(rec->ports[i].host_ip, &host_ip) < 0)
			continue;
		nft_add_dnat(cfg->bridge, cfg->bridge, host_ip, rec->ports[i].host_port, cfg->ip,
			     rec->ports[i].ctr_port, comment);
	}
	if (nft_commit() < 0)
		return -1;
	dnat_added = n_dnat > 0;
	return 0;
}

/* Stale DNAT rules out of BRIDGE's table, under the IPAM lock (held by the caller). */
static void sweep_nat(const char *bridge)
{
	struct nat_scan scan = {.bridge = bridge};

	if (!nft_available() || nft_list_rules(bridge, scan_rule, &scan) < 0)
		return;
	nft_begin();
	delete_stale_rules(&scan);
	nft_commit();
}

/* On the host, under the lock: the bridge, an address, its NAT, the veth pair. */
static int plug_into_bridge(struct network *cfg, const struct config *run, pid_t child)
{
	const char *id = run->id ? run->id : "";
	int fd, lock, bridge, ok;

	fd = open_rtnetlink();
	if (fd < 0)
		return -1;
	lock = lock_ipam();
	ok = lock >= 0 && (bridge = ensure_bridge(fd, cfg)) >= 0 &&
	     take_lease(fd, cfg, child, id) == 0 && sync_nat(cfg, id, run->record) == 0 &&
	     create_veth(fd, cfg, bridge, child) == 0;
	if (lock >= 0)
		close(lock);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Everything the container's network needs, done while the child waits
 * on the socketpair. If the child dies from here on, its namespace takes
 * the veth with it: we never delete one ourselves (deleting is slow).
 */
static int setup_network(struct network *cfg, const struct config *run, pid_t child)
{
	if (cfg->mode == NET_BRIDGE && plug_into_bridge(cfg, run, child) < 0)
		return -1;
	return configure_inside(cfg, child);
}

/*
 * Our lease, at the container's end: the file goes, then its lock
 * (lease_held tells why in that order); the address itself stays taken
 * until the kernel has removed the veth named for it (see address_taken).
 */
static int drop_own_lease(const char *path)
{
	int ret = unlink(path);

	if (ret < 0)
		fprintf(stderr, "%s: unlink %s: %m\n", PROG, path);
	else
		narrate("unlink(\"%s\") = 0, then close(%d) lets go of its lock [unlink(2)]", path,
			lease_fd);
	close(lease_fd);
	lease_fd = -1;
	return ret;
}

/* At exit, as a run or a monitor that could not exec itself afresh (monitor_exec). */
static void release_lease(const struct network *cfg)
{
	char path[IPAM_PATH_MAX];
	int lock;

	if (lease_fd < 0)
		return;
	lease_path(cfg->bridge, cfg->ip, path);
	drop_own_lease(path);
	/* Without its lease, this run's DNAT rules are stale: they go now. */
	if (dnat_added && (lock = lock_ipam()) >= 0) {
		sweep_nat(cfg->bridge);
		close(lock);
	}
}

/*
 * --network, --bridge, --subnet, --ip (run.c): checked before anything
 * exists. Docker sets a bridge's subnet with `docker network create`;
 * minidock has no network objects, so a run names them itself.
 */
int net_parse(const char *mode, const char *bridge, const char *subnet, const char *ip,
	      struct network *out)
{
	memset(out, 0, sizeof(*out));
	out->bridge = bridge;
	if ((mode && parse_network_mode(mode, out) < 0) ||
	    (subnet && parse_subnet(subnet, out) < 0) || (ip && parse_ip(ip, out) < 0))
		return -1;
	return check_network(out);
}

/* "ADDR\tNAME" in the container's /etc/hosts, once its address is known. */
static int add_host_entry(const struct config *cfg)
{
	char line[INET_ADDRSTRLEN + HOST_NAME_MAX + 4], a[INET_ADDRSTRLEN];
	int fd;

	if (!cfg->network.hosts_file)
		return 0;
	snprintf(line, sizeof(line), "%s\t%s\n", ip_str(net.ip, a), cfg->hostname);
	fd = open(cfg->network.hosts_file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "%s: write %s: %m\n", PROG, cfg->network.hosts_file);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

/* ---- /etc/resolv.conf, as Docker writes it ---- */

#define RESOLV_HOST "/etc/resolv.conf"
/* systemd-resolved's stub listens on the host's loopback; its upstream servers are here. */
#define RESOLV_STUB "127.0.0.53"
#define RESOLV_UPSTREAM "/run/systemd/resolve/resolv.conf"
/* With no usable name server left, Docker's fallback: Google's public ones. */
#define RESOLV_FALLBACK "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"

/* --dns ADDR: an IPv4 or IPv6 address, checked before anything exists. */
int net_check_dns(const char *const *dns, size_t n)
{
	unsigned char buf[sizeof(struct in6_addr)];

	for (size_t i = 0; i < n; i++)
		if (inet_pton(AF_INET, dns[i], buf) != 1 && inet_pton(AF_INET6, dns[i], buf) != 1) {
			fprintf(stderr, "%s: --dns '%s' is not an IP address\n", PROG, dns[i]);
			return -1;
		}
	return 0;
}

/*
 * A name server a bridged container can reach: not the host's loopback
 * (127.0.0.0/8 or ::1: inside, that is the container's own lo), and not
 * IPv6, which the bridge does not carry. Docker filters the same way.
 */
static int reachable_server(const char *addr)
{
	struct in_addr a;

	return inet_pton(AF_INET, addr, &a) == 1 && (ntohl(a.s_addr) >> 24) != 127;
}

/* Append a line if it fits; the file is small, a longer one is cut at a line. */
static void append_line(char *out, size_t len, const char *line)
{
	size_t used = strlen(out);

	if (used + strlen(line) + 2 <= len)
		snprintf(out + used, len - used, "%s\n", line);
}

/* The host's file, or systemd-resolved's upstream list when the host's names its stub. */
static void read_host_resolv(int bridged, char *text, size_t len)
{
	char upstream[4096];

	text[0] = 0;
	if (read_small_file(RESOLV_HOST, text, len) < 0)
		text[0] = 0;
	if (bridged && strstr(text, "nameserver " RESOLV_STUB) &&
	    read_small_file(RESOLV_UPSTREAM, upstream, sizeof(upstream)) == 0) {
		narrate("open(\"%s\"): the host's resolver is systemd-resolved's stub, "
			"its upstream servers are here [open(2)]",
			RESOLV_UPSTREAM);
		snprintf(text, len, "%s", upstream);
	}
}

/*
 * The container's /etc/resolv.conf: the host's, and on the bridge without
 * the name servers it cannot reach (the fallback if none is left); --dns
 * replaces the name servers, keeping search and options.
 */
void net_resolv_conf(int bridged, const char *const *dns, size_t n_dns, char *out, size_t len)
{
	char host[4096], addr[64], *line, *save = NULL;
	int servers = 0;

	out[0] = 0;
	read_host_resolv(bridged, host, sizeof(host));
	for (line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "nameserver %63s", addr) == 1) {
			if (n_dns || (bridged && !reachable_server(addr)))
				continue;
			servers++;
		}
		append_line(out, len, line);
	}
	for (size_t i = 0; i < n_dns; i++) {
		snprintf(addr, sizeof(addr), "nameserver %s", dns[i]);
		append_line(out, len, addr);
		servers++;
	}
	if (bridged && !servers && strlen(out) + sizeof(RESOLV_FALLBACK) <= len)
		strcat(out, RESOLV_FALLBACK);
}

/*
 * In the parent, while the child waits on the socketpair. If the child
 * dies from here on, its namespace takes the veth with it: we never
 * delete one ourselves (deleting is slow).
 */
int net_setup(const struct config *cfg, pid_t child)
{
	net = cfg->network;
	if (net.mode == NET_HOST)
		return 0;
	if (setup_network(&net, cfg, child) < 0)
		return -1;
	return net.mode == NET_BRIDGE ? add_host_entry(cfg) : 0;
}

/* At exit the lease file goes; the address stays taken until the veth is gone. */
void net_release(void)
{
	release_lease(&net);
}

/* The fd whose flock(2) holds this run's lease (-1: none), for the exec'd monitor. */
int net_lease_fd(void)
{
	return lease_fd;
}

/* The exec'd monitor's: the lease it holds, close-on-exec again; net_forget removes it. */
int net_keep_lease(int fd)
{
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "%s: fcntl lease fd %d: %m\n", PROG, fd);
		return -1;
	}
	lease_fd = fd;
	return 0;
}

/* The address this run leased and its bridge, for the state file ("" with none). */
void net_describe(char ip[16], char bridge[16])
{
	ip[0] = bridge[0] = 0;
	if (lease_fd < 0)
		return;
	ip_str(net.ip, ip);
	snprintf(bridge, 16, "%s", net.bridge);
}

/*
 * The exec'd monitor at the container's end, or rm of a container whose
 * monitor died: its lease, if the file still names the container's PID 1
 * (a later run may hold the address by now), and if no one else holds its
 * lock: the monitor unlinks the one it holds, then lets go of its lock.
 */
void net_forget(const char *bridge, const char *ip_text, pid_t pid)
{
	char path[IPAM_PATH_MAX], text[128], want[32];
	uint32_t ip;
	int lock;

	if (!bridge[0] || parse_ipv4(ip_text, &ip) < 0 || check_bridge_name(bridge) < 0)
		return;
	lease_path(bridge, ip, path);
	snprintf(want, sizeof(want), "pid=%d\n", pid);
	lock = lock_ipam();
	if (lock < 0)
		return;
	if (read_small_file(path, text, sizeof(text)) == 0 && !strncmp(text, want, strlen(want)) &&
	    (lease_fd >= 0 ? drop_own_lease(path) : lease_held(path)) == 0 &&
	    strstr(text, "\nid="))
		sweep_nat(bridge);
	close(lock);
}

/* The names of our tables (named as our bridges), gathered from a dump. */
struct table_names {
	char names[16][IFNAMSIZ];
	size_t n;
};

static void collect_table(const struct nft_rule_info *r, void *arg)
{
	struct table_names *t = arg;

	if (t->n < 16 && check_bridge_name_quietly(r->table))
		snprintf(t->names[t->n++], IFNAMSIZ, "%.15s", r->table);
}

/* The leases of every bridge of ours (IPAM_DIR/BRIDGE, BRIDGE named with our prefix). */
static void sweep_all_leases(int fd)
{
	struct dirent *d;
	DIR *dp = opendir(IPAM_DIR);

	if (!dp)
		return;
	while ((d = readdir(dp)))
		if ((d->d_type == DT_DIR || d->d_type == DT_UNKNOWN) &&
		    check_bridge_name_quietly(d->d_name))
			sweep_stale_leases(fd, d->d_name);
	closedir(dp);
}

/*
 * prune: the leases no run holds (address_taken) on every bridge of ours,
 * then every table of ours: stale DNAT rules out, and the whole table if
 * its bridge is gone (removed by hand, with `ip link del`).
 */
void net_prune(void)
{
	struct table_names tables = {.n = 0};
	struct link_info link;
	int fd, lock;

	fd = open_rtnetlink();
	if (fd < 0)
		return;
	lock = lock_ipam();
	if (lock >= 0) {
		sweep_all_leases(fd);
		if (nft_available() && nft_list_tables(collect_table, &tables) == 0)
			for (size_t i = 0; i < tables.n; i++) {
				if (find_link(fd, tables.names[i], &link) == 0) {
					nft_begin();
					nft_del_table(tables.names[i]);
					nft_commit();
				} else {
					sweep_nat(tables.names[i]);
				}
			}
		close(lock);
	}
	close(fd);
}

/* A bridge's ports, as sysfs lists them: the veths of containers still plugged in. */
static int count_ports(const char *bridge)
{
	char dir[64];
	struct dirent *d;
	int n = 0;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/sys/class/net/%s/brif", bridge);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp)))
		n += d->d_name[0] != '.';
	closedir(dp);
	return n;
}

/* Does our table for BRIDGE exist? */
static void find_table(const struct nft_rule_info *r, void *arg)
{
	struct table_names *t = arg;

	if (!strcmp(r->table, t->names[0]))
		t->n = 1;
}

/*
 * network rm BRIDGE: the bridge and everything of ours that lives as long
 * as it does: its nf_tables table (NAT and DNAT), then the bridge, then
 * its leases. A bridge with containers plugged in stays.
 */
static int remove_network(int fd, const char *bridge)
{
	struct table_names table = {.n = 0};
	struct link_info link;
	char dir[IPAM_PATH_MAX];
	int found, ports;

	if (check_bridge_name(bridge) < 0 || (found = find_link(fd, bridge, &link)) < 0)
		return -1;
	ports = found ? count_ports(bridge) : 0;
	if (ports) {
		fprintf(stderr, "%s: network rm %s: %d container(s) still plugged in: stop them first\n",
			PROG, bridge, ports);
		return -1;
	}
	snprintf(table.names[0], IFNAMSIZ, "%s", bridge);
	if (nft_available() && nft_list_tables(find_table, &table) < 0)
		return -1;
	nft_begin();
	if (table.n)
		nft_del_table(bridge);
	if (nft_commit() < 0 || (found && delete_link(fd, link.index, bridge) < 0))
		return -1;
	ipam_path(bridge, "", dir);
	if (remove_tree(dir) < 0) {
		fprintf(stderr, "%s: remove %s: %m\n", PROG, dir);
		return -1;
	}
	return 0;
}

static void count_rule(const struct nft_rule_info *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

/* network ls: our tables, their rules, and whether their bridge is still there. */
static int list_networks(int fd)
{
	struct table_names tables = {.n = 0};
	struct link_info link;
	int rules, found;

	if (nft_available() && nft_list_tables(collect_table, &tables) < 0)
		return EXIT_TOOL;
	printf("%-16s %-6s %s\n", "TABLE", "RULES", "BRIDGE");
	for (size_t i = 0; i < tables.n; i++) {
		rules = 0;
		if (nft_list_rules(tables.names[i], count_rule, &rules) < 0 ||
		    (found = find_link(fd, tables.names[i], &link)) < 0)
			return EXIT_TOOL;
		printf("ip %-13s %-6d %s\n", tables.names[i], rules, found ? "present" : "gone");
	}
	return 0;
}

/* network ls | rm BRIDGE...: as `docker network`, for the bridges minidock made. */
int cmd_network(const struct store *s, int argc, char **argv)
{
	int fd, lock, ret = 0;

	(void)s;
	if (argc == 2 && !strcmp(argv[1], "ls")) {
		fd = open_rtnetlink();
		ret = fd < 0 ? EXIT_TOOL : list_networks(fd);
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (argc < 3 || strcmp(argv[1], "rm")) {
		fprintf(stderr, "usage: %s network ls | network rm BRIDGE...\n", PROG);
		return EXIT_TOOL;
	}
	fd = open_rtnetlink();
	if (fd < 0)
		return EXIT_TOOL;
	lock = lock_ipam();
	for (int i = 2; lock >= 0 && i < argc; i++) {
		if (remove_network(fd, argv[i]) < 0)
			ret = 1;
		else
			printf("%s\n", argv[i]);
	}
	if (lock >= 0)
		close(lock);
	close(fd);
	return lock < 0 ? EXIT_TOOL : ret;
}
