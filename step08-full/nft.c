/*
 * nft.c: the bridge's NAT as nf_tables rules, sent as the netlink
 * messages nft(8) itself sends (NETLINK_NETFILTER, netlink(7)): no
 * iptables or nft binary runs. Changes go in a batch, BATCH_BEGIN ...
 * BATCH_END, which the kernel applies all at once or not at all; -D
 * shows each message as the nft command a learner would type.
 *
 * A rule is a list of expressions working on registers: load a field of
 * the packet (payload, meta, fib) into a register, compare it (cmp),
 * then act (masq, nat). `ip saddr 10.111.0.0/16` is payload + bitwise
 * (the netmask) + cmp. Every number in these messages is big-endian,
 * except the values compared, which are in the packet's own order.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "minidock.h"

#define BATCH_MAX 65536
#define BATCH_MSGS 96
#define LINE_MAX_NFT 320
/* nft(8) keeps a rule's comment in its user data as type 0 (libnftnl's NFTNL_UDATA_RULE_COMMENT). */
#define UDATA_COMMENT 0

/* The batch being built: its bytes, and each message as nft would write it. */
static struct {
	char buf[BATCH_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
	struct nlmsghdr *msg;   /* the message being built */
	unsigned int first_seq; /* the first message's sequence number */
	int n;                  /* messages between BATCH_BEGIN and BATCH_END */
	int overflow;
	char lines[BATCH_MSGS][LINE_MAX_NFT];
} batch;

static unsigned int nft_seq;

/* ---- building messages ---- */

static void *reserve(size_t len)
{
	size_t at = NLMSG_ALIGN(batch.len);
	void *p = batch.buf + at;

	if (batch.overflow || at + NLMSG_ALIGN(len) > sizeof(batch.buf)) {
		batch.overflow = 1;
		return NULL;
	}
	memset(p, 0, NLMSG_ALIGN(len));
	batch.len = at + NLMSG_ALIGN(len);
	return p;
}

/* A message of nfnetlink: the netlink header, then struct nfgenmsg (the family). */
static void msg_start(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *h = reserve(NLMSG_LENGTH(sizeof(struct nfgenmsg)));
	struct nfgenmsg *g;

	batch.msg = h;
	if (!h)
		return;
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++nft_seq;
	g = NLMSG_DATA(h);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
}

/* The message's length covers everything appended since it started. */
static void msg_end(void)
{
	if (batch.msg && !batch.overflow)
		batch.msg->nlmsg_len = batch.buf + batch.len - (char *)batch.msg;
}

static struct nlattr *put(uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = reserve(NLA_HDRLEN + len);

	if (!a)
		return NULL;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	return a;
}

static void put_str(uint16_t type, const char *s)
{
	put(type, s, strlen(s) + 1);
}

static void put_be32(uint16_t type, uint32_t v)
{
	v = htonl(v);
	put(type, &v, sizeof(v));
}

static struct nlattr *nest_start(uint16_t type)
{
	return put(type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct nlattr *a)
{
	if (a && !batch.overflow)
		a->nla_len = batch.buf + batch.len - (char *)a;
}

/* A message of the nf_tables subsystem, acknowledged, as the line nft would show. */
static void nft_msg(uint16_t type, uint16_t flags, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void nft_msg(uint16_t type, uint16_t flags, const char *fmt, ...)
{
	va_list ap;

	if (batch.n >= BATCH_MSGS) {
		batch.overflow = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(batch.lines[batch.n], LINE_MAX_NFT, fmt, ap);
	va_end(ap);
	msg_start(NFNL_SUBSYS_NFTABLES << 8 | type, flags | NLM_F_ACK, NFPROTO_IPV4, 0);
	if (!batch.n)
		batch.first_seq = nft_seq;
	batch.n++;
}

/* ---- expressions: one NFTA_LIST_ELEM each, its name and its data ---- */

struct expr {
	struct nlattr *elem, *data;
};

static struct expr expr_start(const char *name)
{
	struct expr e;

	e.elem = nest_start(NFTA_LIST_ELEM);
	put_str(NFTA_EXPR_NAME, name);
	e.data = nest_start(NFTA_EXPR_DATA);
	return e;
}

static void expr_end(struct expr e)
{
	nest_end(e.data);
	nest_end(e.elem);
}

/* A value inside a nest (NFTA_DATA_VALUE): what cmp compares, what immediate loads. */
static void put_value(uint16_t type, const void *data, size_t len)
{
	struct nlattr *n = nest_start(type);

	put(NFTA_DATA_VALUE, data, len);
	nest_end(n);
}

/* payload: LEN bytes at OFFSET of a header into register 1. */
static void load_payload(enum nft_payload_bases base, uint32_t offset, uint32_t len)
{
	struct expr e = expr_start("payload");

	put_be32(NFTA_PAYLOAD_DREG, NFT_REG_1);
	put_be32(NFTA_PAYLOAD_BASE, base);
	put_be32(NFTA_PAYLOAD_OFFSET, offset);
	put_be32(NFTA_PAYLOAD_LEN, len);
	expr_end(e);
}

/* meta: a fact about the packet (its interfaces, its protocol) into register 1. */
static void load_meta(enum nft_meta_keys key)
{
	struct expr e = expr_start("meta");

	put_be32(NFTA_META_KEY, key);
	put_be32(NFTA_META_DREG, NFT_REG_1);
	expr_end(e);
}

/* bitwise: register 1 &= MASK (a netmask), so cmp sees the network part only. */
static void mask_register(const void *mask, size_t len)
{
	struct expr e = expr_start("bitwise");
	char zero[16] = {0};

	put_be32(NFTA_BITWISE_SREG, NFT_REG_1);
	put_be32(NFTA_BITWISE_DREG, NFT_REG_1);
	put_be32(NFTA_BITWISE_LEN, len);
	put_value(NFTA_BITWISE_MASK, mask, len);
	put_value(NFTA_BITWISE_XOR, zero, len);
	expr_end(e);
}

/* cmp: register 1 against a value; the rule stops here unless it holds. */
static void compare(enum nft_cmp_ops op, const void *data, size_t len)
{
	struct expr e = expr_start("cmp");

	put_be32(NFTA_CMP_SREG, NFT_REG_1);
	put_be32(NFTA_CMP_OP, op);
	put_value(NFTA_CMP_DATA, data, len);
	expr_end(e);
}

/* An interface name is compared as IFNAMSIZ bytes, zero-padded. */
static void compare_ifname(enum nft_meta_keys key, enum nft_cmp_ops op, const char *name)
{
	char padded[IFNAMSIZ] = {0};

	snprintf(padded, sizeof(padded), "%s", name);
	load_meta(key);
	compare(op, padded, sizeof(padded));
}

/* ip saddr/daddr (at 12/16 in the IPv4 header) [!=] NET/PREFIX. */
static void match_ip(uint32_t offset, enum nft_cmp_ops op, uint32_t net, int prefix)
{
	uint32_t mask = htonl(prefix ? ~0u << (32 - prefix) : 0), value = htonl(net);

	load_payload(NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
	if (prefix < 32)
		mask_register(&mask, sizeof(mask));
	compare(op, &value, sizeof(value));
}

/* fib daddr type local: the routing table says the destination is one of ours. */
static void match_local_destination(void)
{
	struct expr e = expr_start("fib");
	uint32_t local = RTN_LOCAL; /* a register value, in the host's order */

	put_be32(NFTA_FIB_DREG, NFT_REG_1);
	put_be32(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	put_be32(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
	expr_end(e);
	compare(NFT_CMP_EQ, &local, sizeof(local));
}

/* tcp dport PORT: the protocol, then the port at offset 2 of the TCP header. */
static void match_tcp_dport(unsigned int port)
{
	uint8_t tcp = IPPROTO_TCP;
	uint16_t value = htons((uint16_t)port);

	load_meta(NFT_META_L4PROTO);
	compare(NFT_CMP_EQ, &tcp, sizeof(tcp));
	load_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	compare(NFT_CMP_EQ, &value, sizeof(value));
}

/* immediate: a constant into a register, for nat to read. */
static void load_constant(enum nft_registers reg, const void *data, size_t len)
{
	struct expr e = expr_start("immediate");

	put_be32(NFTA_IMMEDIATE_DREG, reg);
	put_value(NFTA_IMMEDIATE_DATA, data, len);
	expr_end(e);
}

/* dnat to IP:PORT: the address from register 1, the port from register 2. */
static void dnat_to(uint32_t ip, unsigned int port)
{
	uint32_t addr = htonl(ip);
	uint16_t p = htons((uint16_t)port);
	struct expr e;

	load_constant(NFT_REG_1, &addr, sizeof(addr));
	load_constant(NFT_REG_2, &p, sizeof(p));
	e = expr_start("nat");
	put_be32(NFTA_NAT_TYPE, NFT_NAT_DNAT);
	put_be32(NFTA_NAT_FAMILY, NFPROTO_IPV4);
	put_be32(NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
	put_be32(NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
	expr_end(e);
}

/* A rule's comment, as nft keeps it: type, length, the text with its NUL. */
static void put_comment(const char *comment)
{
	unsigned char udata[2 + 128];
	size_t len = strlen(comment) + 1;

	if (len > sizeof(udata) - 2)
		len = sizeof(udata) - 2;
	udata[0] = UDATA_COMMENT;
	udata[1] = (unsigned char)len;
	memcpy(udata + 2, comment, len);
	udata[1 + len] = 0;
	put(NFTA_RULE_USERDATA, udata, 2 + len);
}

/* ---- the changes a batch can hold ---- */

void nft_begin(void)
{
	batch.len = 0;
	batch.n = 0;
	batch.overflow = 0;
	msg_start(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end();
}

/* A base chain: packets enter it at HOOK, in the order of PRIORITY (nat: type nat). */
static void add_nat_chain(const char *table, const char *name, int hook, int priority)
{
	struct nlattr *h;

	nft_msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE,
		"add chain ip %s %s { type nat hook %s priority %d; }", table, name, name, priority);
	put_str(NFTA_CHAIN_TABLE, table);
	put_str(NFTA_CHAIN_NAME, name);
	h = nest_start(NFTA_CHAIN_HOOK);
	put_be32(NFTA_HOOK_HOOKNUM, hook);
	put_be32(NFTA_HOOK_PRIORITY, (uint32_t)priority);
	nest_end(h);
	put_str(NFTA_CHAIN_TYPE, "nat");
	msg_end();
}

/*
 * The table and its three NAT chains. Without NLM_F_EXCL an "add" of
 * what exists already is no error (nft's `add` is the same), so this may
 * open any batch that adds rules. Priorities: nft's srcnat (100) and
 * dstnat (-100).
 */
void nft_add_nat_table(const char *table)
{
	nft_msg(NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table ip %s", table);
	put_str(NFTA_TABLE_NAME, table);
	msg_end();
	add_nat_chain(table, "postrouting", NF_INET_POST_ROUTING, 100);
	add_nat_chain(table, "prerouting", NF_INET_PRE_ROUTING, -100);
	add_nat_chain(table, "output", NF_INET_LOCAL_OUT, -100);
}

static struct nlattr *rule_start(const char *table, const char *chain)
{
	put_str(NFTA_RULE_TABLE, table);
	put_str(NFTA_RULE_CHAIN, chain);
	return nest_start(NFTA_RULE_EXPRESSIONS);
}

/* ip saddr SUBNET oifname != BRIDGE masquerade: leaving the bridge's subnet for elsewhere. */
void nft_add_masquerade(const char *table, uint32_t subnet, int prefix, const char *bridge)
{
	struct in_addr a = {.s_addr = htonl(subnet)};
	char net[INET_ADDRSTRLEN];
	struct nlattr *exprs;
	struct expr e;

	inet_ntop(AF_INET, &a, net, sizeof(net));
	nft_msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
		"add rule ip %s postrouting ip saddr %s/%d oifname != \"%s\" masquerade", table,
		net, prefix, bridge);
	exprs = rule_start(table, "postrouting");
	match_ip(12, NFT_CMP_EQ, subnet, prefix);
	compare_ifname(NFT_META_OIFNAME, NFT_CMP_NEQ, bridge);
	e = expr_start("masq");
	expr_end(e);
	nest_end(exprs);
	msg_end();
}

/*
 * A published port, two rules with one comment: prerouting for what
 * comes from outside (not from the bridge: a container reaching the host
 * goes to the proxy, as with docker-proxy), output for the host's own
 * connections to its non-loopback addresses. HOST_IP 0: every local
 * address (fib daddr type local), else that address only.
 */
void nft_add_dnat(const char *table, const char *bridge, uint32_t host_ip, unsigned int host_port,
		  uint32_t ip, unsigned int port, const char *comment)
{
	struct in_addr h = {.s_addr = htonl(host_ip)}, c = {.s_addr = htonl(ip)};
	char match[64], to[INET_ADDRSTRLEN], hs[INET_ADDRSTRLEN];
	static const char *const chains[] = {"prerouting", "output"};
	struct nlattr *exprs;

	inet_ntop(AF_INET, &c, to, sizeof(to));
	inet_ntop(AF_INET, &h, hs, sizeof(hs));
	if (host_ip)
		snprintf(match, sizeof(match), "ip daddr %s", hs);
	else
		snprintf(match, sizeof(match), "fib daddr type local");
	for (int i = 0; i < 2; i++) {
		nft_msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			"add rule ip %s %s %s%s%s%s tcp dport %u dnat to %s:%u comment \"%s\"",
			table, chains[i], i ? "" : "iifname != \"", i ? "" : bridge,
			i ? "ip daddr != 127.0.0.0/8 " : "\" ", match, host_port, to, port, comment);
		exprs = rule_start(table, chains[i]);
		if (i)
			match_ip(16, NFT_CMP_NEQ, 0x7f000000, 8);
		else
			compare_ifname(NFT_META_IIFNAME, NFT_CMP_NEQ, bridge);
		if (host_ip)
			match_ip(16, NFT_CMP_EQ, host_ip, 32);
		else
			match_local_destination();
		match_tcp_dport(host_port);
		dnat_to(ip, port);
		nest_end(exprs);
		put_comment(comment);
		msg_end();
	}
}

void nft_del_rule(const char *table, const char *chain, uint64_t handle)
{
	uint64_t be = htobe64(handle);

	nft_msg(NFT_MSG_DELRULE, 0, "delete rule ip %s %s handle %llu", table, chain,
		(unsigned long long)handle);
	put_str(NFTA_RULE_TABLE, table);
	put_str(NFTA_RULE_CHAIN, chain);
	put(NFTA_RULE_HANDLE, &be, sizeof(be));
	msg_end();
}

/* The table goes with every chain and rule in it. */
void nft_del_table(const char *table)
{
	nft_msg(NFT_MSG_DELTABLE, 0, "delete table ip %s", table);
	put_str(NFTA_TABLE_NAME, table);
	msg_end();
}

/* ---- talking to the kernel ---- */

/*
 * One socket for the whole process, never closed by us: closing a
 * NETLINK_NETFILTER socket right after a batch waits for nf_tables to
 * free the batch's transaction, behind an RCU grace period (8.7 ms
 * measured). Left open, it goes at exit or exec, by when that is over.
 */
static int nfnl_fd = -1;

static int nfnetlink(void)
{
	if (nfnl_fd >= 0)
		return nfnl_fd;
	nfnl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (nfnl_fd < 0)
		fprintf(stderr, "%s: socket NETLINK_NETFILTER: %m\n", PROG);
	else
		narrate("socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER) = %d [netlink(7)]", nfnl_fd);
	return nfnl_fd;
}

/*
 * Does this kernel speak nf_tables? One without it (or without its module
 * loaded) refuses the socket with EPROTONOSUPPORT: a bridge still works
 * there, without NAT, as dockerd's --iptables=false; make doctor says so.
 */
int nft_available(void)
{
	if (nfnl_fd >= 0)
		return 1;
	nfnl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (nfnl_fd >= 0 || errno != EPROTONOSUPPORT)
		return 1;
	narrate("socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER) = -1 EPROTONOSUPPORT: "
		"no nf_tables in this kernel, so no NAT [netlink(7)]");
	return 0;
}

/* The answer to message SEQ: 0, or -1 with errno and the message named. */
static int check_ack(const struct nlmsghdr *h, int *acked)
{
	const struct nlmsgerr *err = NLMSG_DATA(h);
	unsigned int i = h->nlmsg_seq - batch.first_seq;

	if (h->nlmsg_type != NLMSG_ERROR || i >= (unsigned int)batch.n)
		return 0;
	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && err->error) {
		errno = -err->error;
		fprintf(stderr, "%s: nft: %s: %m\n", PROG, batch.lines[i]);
		return -1;
	}
	(*acked)++;
	return 0;
}

/*
 * BATCH_END, one sendto(2), then one acknowledgement per message; the
 * first error names its message. An empty batch sends nothing.
 */
int nft_commit(void)
{
	static char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct nlmsghdr *h;
	int fd, acked = 0, ok = 1;
	ssize_t n;

	if (!batch.n)
		return 0;
	msg_start(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end();
	if (batch.overflow) {
		fprintf(stderr, "%s: nft: a batch of more than %d changes\n", PROG, batch.n);
		return -1;
	}
	fd = nfnetlink();
	if (fd < 0)
		return -1;
	for (int i = 0; i < batch.n; i++)
		narrate("nft: %s", batch.lines[i]);
	if (sendto(fd, batch.buf, batch.len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		fprintf(stderr, "%s: sendto NETLINK_NETFILTER: %m\n", PROG);
		ok = 0;
	}
	while (ok && acked < batch.n) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: recv NETLINK_NETFILTER: %m\n", PROG);
			ok = 0;
		}
		for (h = (struct nlmsghdr *)buf; ok && NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
			ok = check_ack(h, &acked) == 0;
	}
	if (ok)
		narrate("sendto(NETLINK_NETFILTER, batch of %d) = 0, all applied [nf_tables]",
			batch.n);
	batch.n = 0;
	return ok ? 0 : -1;
}

/* ---- reading what is there: dumps ---- */

static const struct nlattr *attr_next(const struct nlattr *a, int *len)
{
	*len -= NLA_ALIGN(a->nla_len);
	return (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
}

static int attr_ok(const struct nlattr *a, int len)
{
	return len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len;
}

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* The comment nft left in a rule's user data (type, length, value records). */
static void read_comment(const struct nlattr *a, char *out, size_t size)
{
	const unsigned char *p = attr_data(a);
	size_t len = a->nla_len - NLA_HDRLEN;

	while (len >= 2 && (size_t)p[1] + 2 <= len) {
		if (p[0] == UDATA_COMMENT) {
			snprintf(out, size, "%.*s", p[1], (const char *)p + 2);
			return;
		}
		len -= 2 + p[1];
		p += 2 + p[1];
	}
}

static void parse_rule(const struct nlmsghdr *h, struct nft_rule_info *r)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(h) +
						NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
	uint64_t handle;

	memset(r, 0, sizeof(*r));
	for (; attr_ok(a, len); a = attr_next(a, &len)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NFTA_RULE_CHAIN:
			snprintf(r->chain, sizeof(r->chain), "%s", (const char *)attr_data(a));
			break;
		case NFTA_RULE_HANDLE:
			memcpy(&handle, attr_data(a), sizeof(handle));
			r->handle = be64toh(handle);
			break;
		case NFTA_RULE_USERDATA:
			read_comment(a, r->comment, sizeof(r->comment));
			break;
		}
	}
}

static void parse_table(const struct nlmsghdr *h, struct nft_rule_info *r)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(h) +
						NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));

	memset(r, 0, sizeof(*r));
	for (; attr_ok(a, len); a = attr_next(a, &len))
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_TABLE_NAME)
			snprintf(r->table, sizeof(r->table), "%s", (const char *)attr_data(a));
}

/* Send a dump request (already built in the batch buffer) and hand each answer to fn. */
static int dump(int fd, uint16_t type, nft_rule_fn fn, void *arg)
{
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	unsigned int seq = batch.msg->nlmsg_seq;
	struct nft_rule_info info;
	struct nlmsghdr *h;
	ssize_t n;

	if (sendto(fd, batch.buf, batch.len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -1;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(h);

				errno = -err->error;
				return err->error ? -1 : 0;
			}
			if (type == NFT_MSG_GETRULE)
				parse_rule(h, &info);
			else
				parse_table(h, &info);
			fn(&info, arg);
		}
	}
}

/*
 * nft list: the rules of TABLE (none if it does not exist), or every ip
 * table. The request is built where batches are: list before nft_begin.
 */
static int list(uint16_t type, const char *table, nft_rule_fn fn, void *arg)
{
	int fd = nfnetlink(), ok;

	if (fd < 0)
		return -1;
	batch.len = 0;
	batch.n = 0;
	msg_start(NFNL_SUBSYS_NFTABLES << 8 | type, NLM_F_DUMP, NFPROTO_IPV4, 0);
	if (table)
		put_str(NFTA_RULE_TABLE, table);
	msg_end();
	ok = dump(fd, type, fn, arg) == 0;
	if (!ok)
		fprintf(stderr, "%s: nft: list %s %s: %m\n", PROG,
			type == NFT_MSG_GETRULE ? "rules of table ip" : "tables", table ? table : "");
	else
		narrate("sendto(NETLINK_NETFILTER, %s%s) = 0 [nf_tables]",
			table ? "list table ip " : "list tables ip", table ? table : "");
	return ok ? 0 : -1;
}

int nft_list_rules(const char *table, nft_rule_fn fn, void *arg)
{
	return list(NFT_MSG_GETRULE, table, fn, arg);
}

int nft_list_tables(nft_rule_fn fn, void *arg)
{
	return list(NFT_MSG_GETTABLE, NULL, fn, arg);
}
