/*
 * probe: the tests' eyes inside a container. Statically linked, so it runs
 * in any rootfs. Prints facts as key=value lines, one per line.
 *
 *   probe info                 identity, namespaces, maps, cgroups, caps, ...
 *   probe escape MARKER        the classic chroot escape; is MARKER reachable?
 *   probe wait-signal READY    create READY, wait for a signal, print it
 *   probe orphans N            leave N orphaned grandchildren that exit
 *   probe noreap FIFO          as PID 1: make a zombie, never reap it, block on FIFO
 *   probe fork-until-fail MAX  fork until fork fails (or MAX), report the error
 *   probe burn MS              burn MS of this process's CPU time
 *   probe alloc MB             allocate and touch MB MiB
 *   probe hold MB READY        allocate and touch MB MiB, create READY, keep them until killed
 *   probe ping ADDR            one ICMP echo (raw socket)
 *   probe listen PORT [READY]  accept one TCP connection, greet it
 *   probe connect ADDR PORT    connect over TCP, print the greeting
 *   probe fds                  list this process's open file descriptors
 *   probe syscalls             which newer system calls the kernel has
 *   probe seccomp              keyctl, clone3, mount, unshare(CLONE_NEWUSER), fork, thread
 *   probe personality VALUE    personality(2) with VALUE (0xffffffff only asks); ok or ERRNO
 *   probe tty                  the terminal on stdin: name, size, session
 *   probe mknod PATH MAJ MIN   create a block device node, then try to open it
 *   probe exe PID              can /proc/PID/exe be read and opened?
 *   probe module               try to load a module; print the errno it gets
 *   probe xattr PATH NAME      the extended attribute NAME of PATH (not followed)
 *   probe pty                  a new pty from /dev/ptmx; open its other end
 *   probe devprogs CGROUPDIR   how many BPF device programs that cgroup holds
 *   probe create PATH...       create each file; print PATH=ok or PATH=ERRNO (EROFS, ...)
 *   probe mkdir PATH           mkdir(2) PATH: ok or ERRNO; then whether PATH is a directory
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what)
{
	printf("error=%s: %s\n", what, strerror(errno));
	return 1;
}

/* Print the lines of FILE joined by ';' as key=value. */
static void print_file_joined(const char *key, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int first = 1;

	printf("%s=", key);
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			printf("%s%s", first ? "" : ";", line);
			first = 0;
		}
		fclose(f);
	}
	putchar('\n');
}

/* Print the fields of /proc/self/status whose names are given. */
static void print_status_fields(const char *const *names)
{
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (const char *const *n = names; *n; n++) {
			size_t len = strlen(*n);
			if (!strncmp(line, *n, len) && line[len] == ':') {
				char *v = line + len + 1;
				v += strspn(v, " \t");
				v[strcspn(v, "\n")] = 0;
				printf("%s=%s\n", *n, v);
			}
		}
	}
	fclose(f);
}

static void print_namespaces(void)
{
	static const char *const kinds[] = {"uts", "pid", "mnt", "net", "ipc", "user", "cgroup"};
	char path[64];
	struct stat st;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i]);
		if (stat(path, &st) == 0)
			printf("ns.%s=%lu\n", kinds[i], (unsigned long)st.st_ino);
	}
}

/* The mountinfo line for "/": its root, filesystem type and source. */
static void print_root_mount(void)
{
	char line[4096], root[PATH_MAX], point[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) == 2 &&
		    !strcmp(point, "/") && sep) {
			sep[strcspn(sep, "\n")] = 0;
			printf("root_mount=%s%s\n", root, sep);
		}
	}
	fclose(f);
}

static void print_interfaces(void)
{
	struct ifaddrs *ifa, *i;
	char addr[INET6_ADDRSTRLEN];

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_PACKET)
			printf("if=%s\n", i->ifa_name);
		if (i->ifa_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr,
				  sizeof(addr));
			printf("addr.%s=%s\n", i->ifa_name, addr);
		}
	}
	freeifaddrs(ifa);
}

static int cmd_info(void)
{
	static const char *const fields[] = {"NSpid", "CapInh", "CapPrm", "CapEff",
					     "CapBnd", "CapAmb", "Seccomp", NULL};
	char host[HOST_NAME_MAX + 1] = "";

	gethostname(host, sizeof(host));
	printf("pid=%d\nppid=%d\nuid=%d\ngid=%d\nhostname=%s\n", getpid(), getppid(), getuid(),
	       getgid(), host);
	printf("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	print_namespaces();
	print_file_joined("uid_map", "/proc/self/uid_map");
	print_file_joined("gid_map", "/proc/self/gid_map");
	print_file_joined("cgroup", "/proc/self/cgroup");
	print_status_fields(fields);
	print_root_mount();
	print_interfaces();
	return 0;
}

/*
 * The chroot escape: chroot into a subdirectory while the working directory
 * stays outside it, climb with "..", and chroot to wherever we ended up.
 */
static int cmd_escape(const char *marker)
{
	char cwd[PATH_MAX];

	if (mkdir("/.escape", 0755) < 0 && errno != EEXIST)
		return die("mkdir /.escape");
	printf("mkdir=ok\n");
	if (chdir("/") < 0 || chroot("/.escape") < 0)
		return die("chroot /.escape");
	printf("chroot=ok\n");
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			return die("chdir ..");
	printf("chdir=ok\n");
	if (chroot(".") < 0)
		return die("chroot .");
	printf("chroot2=ok\n");
	printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	printf("marker=%s\n", access(marker, F_OK) == 0 ? "found" : "missing");
	printf("release=%s\n", access("/etc/minidock-release", F_OK) == 0 ? "found" : "missing");
	return 0;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	return close(fd);
}

static int cmd_wait_signal(const char *ready)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t none;

	sigemptyset(&none);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	if (touch(ready) < 0)
		return die("create ready file");
	while (!got_signal)
		sigsuspend(&none);
	printf("signal=%d\n", (int)got_signal);
	return 0;
}

/* Each child forks a grandchild and exits; the grandchild is orphaned. */
static int cmd_orphans(int n)
{
	int p[2];
	char c;

	if (pipe(p) < 0)
		return die("pipe");
	for (int i = 0; i < n; i++) {
		pid_t child = fork();
		if (child < 0)
			return die("fork");
		if (child == 0) {
			int q[2];
			if (pipe(q) < 0)
				_exit(1);
			if (fork() == 0) {
				/* the grandchild: end-of-file on q once its parent is gone */
				close(p[0]);
				close(q[1]);
				while (read(q[0], &c, 1) > 0)
					;
				_exit(0);
			}
			_exit(0);
		}
		waitpid(child, NULL, 0);
	}
	close(p[1]);
	/* end-of-file once every grandchild has exited */
	while (read(p[0], &c, 1) > 0)
		;
	printf("orphans=%d\n", n);
	return 0;
}

static int cmd_noreap(const char *fifo)
{
	char buf[16];
	pid_t child = fork();
	int fd;

	if (child < 0)
		return die("fork");
	if (child == 0)
		_exit(0);
	printf("zombie=%d\n", child);
	fflush(stdout);
	fd = open(fifo, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return die("open fifo");
	if (read(fd, buf, sizeof(buf)) < 0)
		return die("read fifo");
	return 0;
}

static int cmd_fork_until_fail(int max)
{
	int p[2], forks = 0, err = 0;
	char c;

	if (pipe(p) < 0)
		return die("pipe");
	while (forks < max) {
		pid_t child = fork();
		if (child < 0) {
			err = errno;
			break;
		}
		if (child == 0) {
			close(p[1]);
			while (read(p[0], &c, 1) > 0)
				;
			_exit(0);
		}
		forks++;
	}
	close(p[1]);
	while (wait(NULL) > 0)
		;
	printf("forks=%d\n", forks);
	printf("error=%s\n", err ? strerror(err) : "none");
	return 0;
}

static long long now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int cmd_burn(long long ms)
{
	long long wall = now_ms(CLOCK_MONOTONIC);

	while (now_ms(CLOCK_PROCESS_CPUTIME_ID) < ms)
		;
	printf("cpu_ms=%lld\nwall_ms=%lld\n", now_ms(CLOCK_PROCESS_CPUTIME_ID),
	       now_ms(CLOCK_MONOTONIC) - wall);
	return 0;
}

static int cmd_alloc(long mb)
{
	size_t len = (size_t)mb << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return die("mmap");
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	printf("allocated_mb=%ld\n", mb);
	return 0;
}

/* A container whose memory stays charged while the host reads its cgroup. */
static int cmd_hold(long mb, const char *ready)
{
	if (cmd_alloc(mb) != 0)
		return 1;
	if (touch(ready) < 0)
		return die("create ready file");
	for (;;)
		pause();
}

static int parse_ipv4(const char *s, struct sockaddr_in *sa, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (inet_pton(AF_INET, s, &sa->sin_addr) != 1) {
		printf("error=bad address %s\n", s);
		return -1;
	}
	return 0;
}

static unsigned short icmp_checksum(const void *data, size_t len)
{
	const unsigned short *w = data;
	unsigned long sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const unsigned char *)w;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return ~sum;
}

static int cmd_ping(const char *addr)
{
	struct sockaddr_in to;
	struct icmphdr req = {.type = ICMP_ECHO, .un.echo.id = htons(0x6d64), .un.echo.sequence = htons(1)};
	unsigned char buf[1500];
	struct pollfd pfd;
	long long start = now_ms(CLOCK_MONOTONIC);
	int fd;

	if (parse_ipv4(addr, &to, 0) < 0)
		return 1;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return die("socket raw icmp");
	req.checksum = icmp_checksum(&req, sizeof(req));
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return die("sendto");
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	while (now_ms(CLOCK_MONOTONIC) - start < 3000) {
		if (poll(&pfd, 1, 3000) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct iphdr *ip = (struct iphdr *)buf;
		struct icmphdr *rep = (struct icmphdr *)(buf + ip->ihl * 4);
		if (n >= (ssize_t)(ip->ihl * 4 + sizeof(*rep)) && rep->type == ICMP_ECHOREPLY &&
		    rep->un.echo.id == req.un.echo.id) {
			printf("ping=ok\n");
			return 0;
		}
	}
	printf("ping=timeout\n");
	return 1;
}

static int cmd_listen(int port, const char *ready)
{
	struct sockaddr_in sa;
	int one = 1, fd, conn;
	const char hello[] = "hello from probe\n";

	parse_ipv4("0.0.0.0", &sa, port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		return die("bind/listen");
	if (ready && touch(ready) < 0)
		return die("create ready file");
	conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return die("accept");
	if (write(conn, hello, sizeof(hello) - 1) < 0)
		return die("write");
	printf("accepted=1\n");
	close(conn);
	return 0;
}

static int cmd_connect(const char *addr, int port)
{
	struct sockaddr_in sa;
	char buf[256];
	ssize_t n;
	int fd;

	if (parse_ipv4(addr, &sa, port) < 0)
		return 1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return die("connect");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return die("read");
	buf[n] = 0;
	printf("received=%s", buf);
	return 0;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	if (!d)
		return die("opendir /proc/self/fd");
	self = dirfd(d);
	printf("fds=");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != self)
			printf("%s ", e->d_name);
	putchar('\n');
	closedir(d);
	return 0;
}

/* Call each with arguments it must reject: ENOSYS means the kernel lacks it. */
static int cmd_syscalls(void)
{
	static const struct {
		const char *name;
		long nr;
	} calls[] = {
		{"clone3", SYS_clone3},       {"close_range", SYS_close_range},
		{"mount_setattr", SYS_mount_setattr}, {"pidfd_open", SYS_pidfd_open},
		{"openat2", SYS_openat2},
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		long r = syscall(calls[i].nr, -1L, 0L, 0L, 0L, 0L);
		printf("%s=%s\n", calls[i].name, r < 0 && errno == ENOSYS ? "no" : "yes");
	}
	return 0;
}

/* An overlay's opaque directories carry trusted.overlay.opaque; no getfattr on a fresh host. */
static int cmd_xattr(const char *path, const char *name)
{
	char value[256];
	ssize_t n = lgetxattr(path, name, value, sizeof(value) - 1);

	if (n < 0)
		return die("lgetxattr");
	value[n] = 0;
	printf("xattr=%s\n", value);
	return 0;
}

/*
 * finit_module(2) on fd -1: the kernel checks CAP_SYS_MODULE (in the initial
 * user namespace) first, so EPERM means "not allowed", EBADF "allowed, but no
 * module given", ENOSYS "a kernel without module support". Nothing is loaded.
 */
static int cmd_module(void)
{
	long r = syscall(SYS_finit_module, -1, "", 0);

	printf("finit_module=%s\n", r == 0 ? "0" : strerror(errno));
	printf("finit_module_errno=%d\n", r == 0 ? 0 : errno);
	return 0;
}

/* The outcome of a call, by the name the tests look for: ok, EPERM, ENOSYS, ... */
static const char *errno_word(long r)
{
	if (r >= 0)
		return "ok";
	switch (errno) {
	case EPERM:
		return "EPERM";
	case ENOSYS:
		return "ENOSYS";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	case EROFS:
		return "EROFS";
	case EEXIST:
		return "EEXIST";
	case ENOENT:
		return "ENOENT";
	default:
		return strerror(errno);
	}
}

static void *thread_main(void *arg)
{
	return arg;
}

/*
 * What a seccomp filter lets through. Each call is harmless if allowed:
 * keyctl asks for the session keyring's id, clone3 gets a size the kernel
 * rejects (EINVAL), mount goes over this container's /dev/shm, and
 * unshare(CLONE_NEWUSER) runs in a child that exits at once.
 */
static int cmd_seccomp(void)
{
	pthread_t t;
	int status, err;
	pid_t child;

	printf("keyctl=%s\n", errno_word(syscall(SYS_keyctl, 0L, -3L, 0L)));
	printf("clone3=%s\n", errno_word(syscall(SYS_clone3, NULL, 0L)));
	printf("mount=%s\n", errno_word(syscall(SYS_mount, "none", "/dev/shm", "tmpfs", 0L, NULL)));
	child = fork();
	if (child == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
	if (child < 0 || waitpid(child, &status, 0) < 0)
		return die("fork");
	printf("fork=ok\n");
	errno = WEXITSTATUS(status);
	printf("unshare_user=%s\n", errno_word(errno ? -1 : 0));
	err = pthread_create(&t, NULL, thread_main, NULL);
	if (err == 0)
		err = pthread_join(t, NULL);
	printf("thread=%s\n", err ? strerror(err) : "ok");
	return 0;
}

/* personality(2) with a value a seccomp rule may compare; 0xffffffff only asks. */
static int cmd_personality(const char *value)
{
	unsigned long v = strtoul(value, NULL, 0);

	printf("personality=%s\n", errno_word(syscall(SYS_personality, v)));
	return 0;
}

/* The terminal on stdin, as the container sees it. */
static int cmd_tty(void)
{
	struct winsize ws;
	const char *name = ttyname(STDIN_FILENO);

	printf("isatty=%d\nttyname=%s\n", isatty(STDIN_FILENO), name ? name : "none");
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		printf("rows=%u\ncols=%u\n", ws.ws_row, ws.ws_col);
	printf("session_leader=%d\n", getsid(0) == getpid());
	return 0;
}

/* Create a block device node, then try to open it (a device policy says no). */
static int cmd_mknod(const char *path, const char *major, const char *minor)
{
	int fd;

	printf("mknod=%s\n", errno_word(mknod(path, S_IFBLK | 0600,
					      makedev(atoi(major), atoi(minor)))));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	printf("open=%s\n", errno_word(fd));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Can this process reach the program another one runs, through /proc/PID/exe? */
static int cmd_exe(const char *pid)
{
	char path[64], target[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	n = readlink(path, target, sizeof(target) - 1);
	printf("exe_link=%s\n", n < 0 ? errno_word(-1) : (target[n] = 0, target));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	printf("exe_open=%s\n", errno_word(fd));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* A new pty from /dev/ptmx (c 5:2), then its other end (c 136:N) by name. */
static int cmd_pty(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), pts = -1;
	const char *name;

	printf("ptmx=%s\n", errno_word(master));
	if (master < 0)
		return 0;
	name = grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : NULL;
	if (name)
		pts = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	printf("pts=%s\n", errno_word(name ? pts : -1));
	if (pts >= 0)
		close(pts);
	close(master);
	return 0;
}

/* BPF_PROG_QUERY (bpf(2)): the device programs attached to CGROUPDIR itself. */
static int cmd_devprogs(const char *dir)
{
	union bpf_attr attr;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return die("open cgroup");
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (unsigned int)fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	r = syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
	if (r < 0)
		printf("device_programs=%s\n", errno_word(r));
	else
		printf("device_programs=%u\n", attr.query.prog_cnt);
	close(fd);
	return 0;
}

/* Create each file, as touch would, and name the outcome by its errno. */
static int cmd_create(int n, char **paths)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		int fd = open(paths[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		printf("%s=%s\n", paths[i], errno_word(fd));
		if (fd >= 0)
			close(fd);
		failed |= fd < 0;
	}
	return failed;
}

/* mkdir(2), and what is there after it: a seccomp agent may answer for the kernel. */
static int cmd_mkdir(const char *path)
{
	struct stat st;

	printf("mkdir=%s\n", errno_word(mkdir(path, 0755)));
	printf("is_dir=%s\n", stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "info";
	const char *a1 = argc > 2 ? argv[2] : NULL, *a2 = argc > 3 ? argv[3] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "info"))
		return cmd_info();
	if (!strcmp(cmd, "escape") && a1)
		return cmd_escape(a1);
	if (!strcmp(cmd, "wait-signal") && a1)
		return cmd_wait_signal(a1);
	if (!strcmp(cmd, "orphans") && a1)
		return cmd_orphans(atoi(a1));
	if (!strcmp(cmd, "noreap") && a1)
		return cmd_noreap(a1);
	if (!strcmp(cmd, "fork-until-fail"))
		return cmd_fork_until_fail(a1 ? atoi(a1) : 100000);
	if (!strcmp(cmd, "burn") && a1)
		return cmd_burn(atoll(a1));
	if (!strcmp(cmd, "alloc") && a1)
		return cmd_alloc(atol(a1));
	if (!strcmp(cmd, "hold") && a1 && a2)
		return cmd_hold(atol(a1), a2);
	if (!strcmp(cmd, "ping") && a1)
		return cmd_ping(a1);
	if (!strcmp(cmd, "listen") && a1)
		return cmd_listen(atoi(a1), a2);
	if (!strcmp(cmd, "connect") && a1 && a2)
		return cmd_connect(a1, atoi(a2));
	if (!strcmp(cmd, "fds"))
		return cmd_fds();
	if (!strcmp(cmd, "syscalls"))
		return cmd_syscalls();
	if (!strcmp(cmd, "xattr") && a1 && a2)
		return cmd_xattr(a1, a2);
	if (!strcmp(cmd, "module"))
		return cmd_module();
	if (!strcmp(cmd, "seccomp"))
		return cmd_seccomp();
	if (!strcmp(cmd, "personality") && a1)
		return cmd_personality(a1);
	if (!strcmp(cmd, "tty"))
		return cmd_tty();
	if (!strcmp(cmd, "mknod") && a1 && a2 && argc > 4)
		return cmd_mknod(a1, a2, argv[4]);
	if (!strcmp(cmd, "exe") && a1)
		return cmd_exe(a1);
	if (!strcmp(cmd, "pty"))
		return cmd_pty();
	if (!strcmp(cmd, "devprogs") && a1)
		return cmd_devprogs(a1);
	if (!strcmp(cmd, "mkdir") && a1)
		return cmd_mkdir(a1);
	if (!strcmp(cmd, "create") && a1)
		return cmd_create(argc - 2, argv + 2);
	fprintf(stderr, "probe: unknown command or missing argument: %s\n", cmd);
	return 2;
}
