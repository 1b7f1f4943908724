/*
 * resources.c: a running container seen through its cgroups, from outside,
 * as docker pause, stats and top see it:
 *
 *   pause / unpause CONTAINER...     the freezer stops or resumes every task at once
 *   stats [--no-stream] [CONTAINER...]  CPU %, memory without page cache, network, PIDs
 *   top CONTAINER                    its processes with host PIDs, as ps -ef shows them
 *
 * Why the cgroup and not the container's own tools: top or free inside a
 * container read /proc/stat and /proc/meminfo, which no namespace
 * virtualizes, so they report the whole host. The cgroup is where the
 * kernel counts what this container's processes use (cgroups(7)).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "minidock.h"

#define FREEZE_WAIT_MS 5000 /* the most a freeze or thaw may take */
#define STAT_BUF 16384      /* memory.stat, cpu.stat, /proc/PID/net/dev fit */
#define MAX_COLS 8

/* ---- small readers ---- */

/* Milliseconds left until DEADLINE (CLOCK_MONOTONIC), or 0. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

static void deadline_in_ms(struct timespec *deadline, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

/* The value N of a "KEY N" line in TEXT (cpu.stat, memory.stat, cgroup.events), or -1. */
static long long flat_key(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p) {
		if (!strncmp(p, key, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* DIR/FILE of a cgroup into buf; -1 (quietly) if it is not there. */
static int read_cgroup_file(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX + 64];

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -1;
	return read_small_file(path, buf, len);
}

/* A cgroup file holding one number ("max" reads as LLONG_MAX: no limit), or -1. */
static long long read_cgroup_number(const char *dir, const char *file)
{
	char buf[64];

	if (read_cgroup_file(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	if (!strncmp(buf, "max", 3))
		return LLONG_MAX;
	return strtoll(buf, NULL, 10);
}

/* One write(2), as every cgroup setting is made; the kernel refuses a bad value there. */
static int write_cgroup_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	n = write(fd, value, strlen(value));
	if (n < 0) {
		fprintf(stderr, "%s: write %s to %s: %m\n", PROG, value, path);
		close(fd);
		return -1;
	}
	narrate("write(\"%s\", \"%s\") = %zd [cgroups(7)]", path, value, n);
	if (close(fd) < 0) {
		fprintf(stderr, "%s: write %s to %s: %m\n", PROG, value, path);
		return -1;
	}
	return 0;
}

/* Any cgroup of the container on the v2 hierarchy: cpu.stat and cgroup.freeze are in each. */
static const struct cgroup_place *v2_place(const struct record *r)
{
	const struct cgroup_place *c = record_cgroup(r, "unified");

	for (size_t i = 0; !c && i < r->n_cgroups; i++)
		if (r->cgroups[i].v2)
			c = &r->cgroups[i];
	return c;
}

/* ---- the freezer ---- */

/*
 * cgroup v1 (admin-guide/cgroup-v1/freezer-subsystem.rst): FROZEN written
 * to freezer.state starts the freeze; reading it says FREEZING until every
 * task has stopped, then FROZEN. v1 sends no notification when it gets
 * there, so we read it again every millisecond, for at most
 * FREEZE_WAIT_MS. A task that cannot stop (uninterruptible sleep on a hung
 * NFS server) keeps it FREEZING: we then thaw it back rather than leave a
 * container half frozen, and fail. THAWED takes effect at once.
 */
static int freeze_v1(const char *dir, int frozen)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	struct timespec deadline, ms = {0, 1000000};
	char buf[32];

	if (write_cgroup_file(dir, "freezer.state", want) < 0)
		return -1;
	deadline_in_ms(&deadline, FREEZE_WAIT_MS);
	for (;;) {
		if (read_cgroup_file(dir, "freezer.state", buf, sizeof(buf)) < 0) {
			fprintf(stderr, "%s: read %s/freezer.state: %m\n", PROG, dir);
			return -1;
		}
		if (!strncmp(buf, want, strlen(want))) {
			narrate("read(\"%s/freezer.state\") = %s [freezer-subsystem.rst]", dir,
				want);
			return 0;
		}
		if (!ms_left(&deadline))
			break;
		if (nanosleep(&ms, NULL) < 0 && errno != EINTR) {
			fprintf(stderr, "%s: nanosleep: %m\n", PROG);
			return -1;
		}
	}
	if (frozen)
		write_cgroup_file(dir, "freezer.state", "THAWED");
	fprintf(stderr, "%s: %s %s: still %.*s after %d ms\n", PROG, frozen ? "freeze" : "thaw",
		dir, (int)strcspn(buf, "\n"), buf, FREEZE_WAIT_MS);
	return -1;
}

/*
 * cgroup v2 (admin-guide/cgroup-v2.rst, cgroup.freeze): "1" asks for the
 * freeze, and cgroup.events shows "frozen 1" once every task has stopped.
 * The kernel wakes a poll(2) on cgroup.events with POLLPRI whenever that
 * file changes, so here we wait for the event itself (bounded) instead of
 * reading again and again. The events file is read before each poll: a
 * read is what tells the kernel which change we have seen.
 */
static int freeze_v2(const char *dir, int frozen)
{
	char path[PATH_MAX + 32], buf[256];
	struct timespec deadline;
	struct pollfd pfd = {.events = POLLPRI};
	ssize_t n;

	if (write_cgroup_file(dir, "cgroup.freeze", frozen ? "1" : "0") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd.fd < 0) {
		fprintf(stderr, "%s: open %s: %m\n", PROG, path);
		return -1;
	}
	deadline_in_ms(&deadline, FREEZE_WAIT_MS);
	while ((n = pread(pfd.fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		buf[n] = 0;
		if (flat_key(buf, "frozen") == frozen) {
			narrate("poll(\"%s\", POLLPRI): frozen %d [cgroup-v2.rst]", path, frozen);
			close(pfd.fd);
			return 0;
		}
		if (!ms_left(&deadline)) {
			errno = ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, ms_left(&deadline)) < 0 && errno != EINTR)
			break;
	}
	fprintf(stderr, "%s: %s %s: %m\n", PROG, frozen ? "freeze" : "thaw", dir);
	close(pfd.fd);
	if (frozen)
		write_cgroup_file(dir, "cgroup.freeze", "0");
	return -1;
}

/*
 * Freeze (1) or thaw (0) every process of the container, and return once
 * the kernel says it is done: a frozen task runs no instruction and
 * acts on no signal until thawed (on v1 not even SIGKILL), and the
 * container cannot tell it happened. Used by pause, unpause and commit.
 */
int container_freeze(const struct record *r, int frozen)
{
	const struct cgroup_place *c = record_cgroup(r, "freezer");

	if (!c)
		c = v2_place(r);
	if (!c) {
		fprintf(stderr, "%s: container %.12s has no freezer cgroup\n", PROG, r->id);
		return -1;
	}
	return c->v2 ? freeze_v2(c->dir, frozen) : freeze_v1(c->dir, frozen);
}

/* pause or unpause one container, with Docker's refusals. */
static int pause_one(const struct store *s, const char *ref, int frozen)
{
	const char *status;
	struct record r;
	int ret = -1;

	if (record_open(s, ref, &r) < 0)
		return -1;
	status = record_status(&r);
	if (strcmp(status, "running") && strcmp(status, "paused"))
		fprintf(stderr, "%s: container %s is not running\n", PROG, ref);
	else if (frozen && !strcmp(status, "paused"))
		fprintf(stderr, "%s: container %s is already paused\n", PROG, ref);
	else if (!frozen && strcmp(status, "paused"))
		fprintf(stderr, "%s: container %s is not paused\n", PROG, ref);
	else
		ret = container_freeze(&r, frozen);
	fault_point(frozen ? "pause-after-freeze" : "unpause-after-thaw");
	record_free(&r);
	return ret;
}

/* Each container in turn, as Docker: one failure does not stop the rest, but sets 1. */
static int pause_all(const struct store *s, int argc, char **argv, int frozen)
{
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s %s CONTAINER [CONTAINER...]\n", PROG, argv[0]);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (pause_one(s, argv[i], frozen) < 0) {
			ret = 1;
			continue;
		}
		printf("%s\n", argv[i]);
		fflush(stdout);
	}
	return ret;
}

int cmd_pause(const struct store *s, int argc, char **argv)
{
	return pause_all(s, argc, argv, 1);
}

int cmd_unpause(const struct store *s, int argc, char **argv)
{
	return pause_all(s, argc, argv, 0);
}

/* ---- tables, as Docker's tabwriter lays them out ---- */

struct table {
	size_t cols, rows;
	char **cells; /* row by row */
};

static int table_add(struct table *t, const char *const *row)
{
	char **cells = realloc(t->cells, (t->rows + 1) * t->cols * sizeof(*cells));

	if (!cells) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return -1;
	}
	t->cells = cells;
	for (size_t c = 0; c < t->cols; c++) {
		cells[t->rows * t->cols + c] = strdup(row[c]);
		if (!cells[t->rows * t->cols + c]) {
			fprintf(stderr, "%s: out of memory\n", PROG);
			while (c--)
				free(cells[t->rows * t->cols + c]);
			return -1;
		}
	}
	t->rows++;
	return 0;
}

/*
 * Each column as wide as its widest cell plus 3 spaces, and at least
 * MIN_WIDTH; the last column unpadded: the layout of Go's text/tabwriter,
 * which docker stats (10) and docker top (20) print with.
 */
static void table_print(const struct table *t, size_t min_width)
{
	size_t width[MAX_COLS] = {0};

	for (size_t i = 0; i < t->rows * t->cols; i++) {
		size_t w = strlen(t->cells[i]) + 3;

		if (w > width[i % t->cols])
			width[i % t->cols] = w;
	}
	for (size_t i = 0; i < t->rows * t->cols; i++) {
		size_t c = i % t->cols, w = width[c] > min_width ? width[c] : min_width;

		if (c + 1 < t->cols)
			printf("%-*s", (int)w, t->cells[i]);
		else
			printf("%s\n", t->cells[i]);
	}
	fflush(stdout);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->rows = 0;
}

/* ---- stats ---- */

/* One container's figures; -1 where its cgroups do not say. */
struct usage {
	struct record r;
	int alive;
	long long cpu[2]; /* ns of CPU time used, at the two readings */
	long long mem, limit, pids, rx, tx;
};

/*
 * Sizes as Docker writes them (its go-units library): four significant
 * digits ("%.4g"), memory in powers of 1024 (KiB, MiB), network in powers
 * of 1000 (kB, MB).
 */
static void human_size(double size, int binary, char *out, size_t len)
{
	static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	static const char *const dec[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double base = binary ? 1024 : 1000;
	size_t i = 0;

	while (size >= base && i < 6) {
		size /= base;
		i++;
	}
	snprintf(out, len, "%.4g%s", size, binary ? bin[i] : dec[i]);
}

/*
 * The host's CPU time so far, in ns: the "cpu" line of /proc/stat
 * (proc(5)) counts USER_HZ ticks of every CPU. We add its first seven
 * fields (user nice system idle iowait irq softirq) as Docker does:
 * guest and guest_nice are already inside user and nice, so adding them
 * would count those ticks twice, and Docker leaves steal out too.
 */
static long long host_cpu_ns(void)
{
	char buf[STAT_BUF];
	unsigned long long f[7], ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);

	if (read_small_file("/proc/stat", buf, sizeof(buf)) < 0 || hz <= 0 ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4],
		   &f[5], &f[6]) != 7) {
		fprintf(stderr, "%s: read /proc/stat: %m\n", PROG);
		return -1;
	}
	for (int i = 0; i < 7; i++)
		ticks += f[i];
	return (long long)(ticks * (1000000000ULL / (unsigned long long)hz));
}

/*
 * The CPU time the container's processes have used, in ns: the kernel
 * adds it up per cgroup as the scheduler runs them. v1: cpuacct.usage,
 * in ns; v2: usage_usec in cpu.stat, in us.
 */
static long long container_cpu_ns(const struct record *r)
{
	const struct cgroup_place *c = record_cgroup(r, "cpuacct");
	char buf[STAT_BUF];
	long long us;

	if (c && !c->v2)
		return read_cgroup_number(c->dir, "cpuacct.usage");
	c = v2_place(r);
	if (!c || read_cgroup_file(c->dir, "cpu.stat", buf, sizeof(buf)) < 0)
		return -1;
	us = flat_key(buf, "usage_usec");
	return us < 0 ? -1 : us * 1000;
}

/* The host's RAM (MemTotal in /proc/meminfo, in kB), Docker's limit for an unlimited container. */
static long long host_memory(void)
{
	char buf[STAT_BUF], *p;

	if (read_small_file("/proc/meminfo", buf, sizeof(buf)) < 0 ||
	    !(p = strstr(buf, "MemTotal:")))
		return -1;
	return strtoll(p + strlen("MemTotal:"), NULL, 10) * 1024;
}

/*
 * Memory, as Docker counts it. The memory cgroup charges a container both
 * its anonymous memory (heap, stack: its RSS) and the page cache of the
 * files it read or wrote; usage_in_bytes (v1) or memory.current (v2) is
 * the sum. The kernel gives page cache back under pressure (reclaim runs
 * before the OOM killer), so that sum overstates what the container needs,
 * and a container that only copied a big file looks full. memory.stat
 * splits it (rss, cache); Docker subtracts the inactive file pages, the
 * first to be reclaimed (total_inactive_file in v1's memory.stat,
 * inactive_file in v2's). The limit is memory.limit_in_bytes
 * or memory.max; none ("max", or v1's huge default) shows the host's RAM.
 */
static void container_memory(const struct record *r, struct usage *u)
{
	const struct cgroup_place *c = record_cgroup(r, "memory");
	char buf[STAT_BUF];
	long long inactive = -1, host = host_memory();

	if (!c)
		return;
	u->mem = read_cgroup_number(c->dir, c->v2 ? "memory.current" : "memory.usage_in_bytes");
	u->limit = read_cgroup_number(c->dir, c->v2 ? "memory.max" : "memory.limit_in_bytes");
	if (read_cgroup_file(c->dir, "memory.stat", buf, sizeof(buf)) == 0)
		inactive = flat_key(buf, c->v2 ? "inactive_file" : "total_inactive_file");
	if (u->mem >= 0 && inactive >= 0 && inactive < u->mem)
		u->mem -= inactive;
	if (u->limit >= 0 && host > 0 && u->limit > host)
		u->limit = host;
}

/*
 * Network bytes: /proc/PID/net/dev lists the interfaces of PID's network
 * namespace (proc(5)), so the host reads the container's counters there.
 * Loopback is left out, as Docker does; a container sharing our network
 * namespace (--network host) has no counters of its own.
 */
static void container_network(const struct record *r, struct usage *u)
{
	char path[64], buf[STAT_BUF], name[64], *p;
	struct stat ours, theirs;
	unsigned long long rx, tx;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", r->pid);
	if (stat(path, &theirs) < 0 || stat("/proc/self/ns/net", &ours) < 0 ||
	    theirs.st_ino == ours.st_ino)
		return;
	snprintf(path, sizeof(path), "/proc/%d/net/dev", r->pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return;
	u->rx = u->tx = 0;
	/* Two header lines, then "  NAME: rx_bytes (7 more rx fields) tx_bytes ..." */
	p = strchr(buf, '\n');
	for (p = p ? strchr(p + 1, '\n') : NULL; p && p[1]; p = strchr(p + 1, '\n')) {
		if (sscanf(p + 1, " %63[^:]: %llu %*u %*u %*u %*u %*u %*u %*u %llu", name, &rx,
			   &tx) == 3 && strcmp(name, "lo")) {
			u->rx += (long long)rx;
			u->tx += (long long)tx;
		}
	}
}

/* The first reading of a container, or the second (i = 1). */
static void read_usage(struct usage *u, int i)
{
	const struct cgroup_place *pids = record_cgroup(&u->r, "pids");

	u->cpu[i] = u->alive ? container_cpu_ns(&u->r) : -1;
	if (i == 0 || !u->alive)
		return;
	container_memory(&u->r, u);
	container_network(&u->r, u);
	if (pids)
		u->pids = read_cgroup_number(pids->dir, "pids.current");
}

/* Reading I (0 or 1) of the host's CPU time and of every container. */
static void read_all(struct usage *list, size_t n, long long host[2], int i)
{
	host[i] = host_cpu_ns();
	for (size_t k = 0; k < n; k++)
		read_usage(&list[k], i);
}

static int add_usage(struct usage **list, size_t *n, const struct store *s, const char *id)
{
	struct usage *bigger = realloc(*list, (*n + 1) * sizeof(**list)), *u;

	if (!bigger) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return -1;
	}
	*list = bigger;
	u = &bigger[*n];
	memset(u, 0, sizeof(*u));
	if (record_read(s, id, &u->r) < 0)
		return -1;
	u->alive = record_alive(&u->r);
	u->cpu[0] = u->cpu[1] = u->mem = u->limit = u->pids = u->rx = u->tx = -1;
	++*n;
	return 0;
}

/* The containers named, or (none named) every running or paused one. */
static int collect(const struct store *s, char **refs, int n_refs, struct usage **list,
		   size_t *n)
{
	char dir[PATH_MAX], id[65];
	struct dirent *e;
	DIR *d;

	for (int i = 0; i < n_refs; i++)
		if (resolve_container(s, refs[i], id) < 0 || add_usage(list, n, s, id) < 0)
			return -1;
	if (n_refs)
		return 0;
	if (join_path(dir, sizeof(dir), s->run, "containers") < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		if (strlen(e->d_name) != 64 || add_usage(list, n, s, e->d_name) < 0)
			continue;
		if (!(*list)[*n - 1].alive)
			record_free(&(*list)[--*n].r);
	}
	closedir(d);
	return 0;
}

/*
 * The two readings are a sampling interval apart: a second by the
 * monotonic clock. Not a wait for an event: CPU % is a rate, and a rate
 * needs two counts a known time apart.
 */
static int sample_interval(void)
{
	struct timespec t;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += 1;
	while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL)) == EINTR)
		;
	if (err) {
		errno = err;
		fprintf(stderr, "%s: clock_nanosleep: %m\n", PROG);
		return -1;
	}
	return 0;
}

/*
 * CPU %, as Docker computes it: the container's share of all the CPU
 * time the host had between the readings, scaled so one busy CPU is 100%:
 * (container delta / host delta) * online CPUs * 100.
 */
static void cpu_cell(const struct usage *u, const long long host[2], char *out, size_t len)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double dc = (double)(u->cpu[1] - u->cpu[0]), dh = (double)(host[1] - host[0]);

	if (u->cpu[0] < 0 || u->cpu[1] < 0 || host[0] < 0 || host[1] < 0 || cpus <= 0)
		snprintf(out, len, "--");
	else
		snprintf(out, len, "%.2f%%", dh > 0 && dc > 0 ? dc / dh * (double)cpus * 100 : 0.0);
}

static int add_stats_row(struct table *t, const struct usage *u, const long long host[2])
{
	char cpu[32] = "--", mem[80] = "-- / --", pct[32] = "--", net[80] = "--", pids[32] = "--";
	char id[13], a[32], b[32];
	const char *row[] = {id, u->r.name[0] ? u->r.name : "--", cpu, mem, pct, net, pids};

	snprintf(id, sizeof(id), "%.12s", u->r.id);
	cpu_cell(u, host, cpu, sizeof(cpu));
	if (u->mem >= 0 && u->limit > 0) {
		human_size((double)u->mem, 1, a, sizeof(a));
		human_size((double)u->limit, 1, b, sizeof(b));
		snprintf(mem, sizeof(mem), "%s / %s", a, b);
		snprintf(pct, sizeof(pct), "%.2f%%", (double)u->mem / (double)u->limit * 100);
	}
	if (u->rx >= 0) {
		human_size((double)u->rx, 0, a, sizeof(a));
		human_size((double)u->tx, 0, b, sizeof(b));
		snprintf(net, sizeof(net), "%s / %s", a, b);
	}
	if (u->pids >= 0)
		snprintf(pids, sizeof(pids), "%lld", u->pids);
	return table_add(t, row);
}

/* One table: read every container, wait the interval, read again, print. */
static int stats_round(const struct store *s, char **refs, int n_refs, int clear)
{
	static const char *const header[] = {"CONTAINER ID", "NAME",  "CPU %",  "MEM USAGE / LIMIT",
					     "MEM %", "NET I/O", "PIDS"};
	struct table t = {.cols = 7};
	struct usage *list = NULL;
	long long host[2];
	size_t n = 0;
	int ret = collect(s, refs, n_refs, &list, &n);

	if (ret == 0) {
		read_all(list, n, host, 0);
		ret = sample_interval();
	}
	if (ret == 0) {
		read_all(list, n, host, 1);
		ret = table_add(&t, header);
	}
	for (size_t k = 0; ret == 0 && k < n; k++)
		ret = add_stats_row(&t, &list[k], host);
	if (ret == 0) {
		if (clear)
			fputs("\033[2J\033[H", stdout);
		table_print(&t, 10);
	}
	table_free(&t);
	for (size_t k = 0; k < n; k++)
		record_free(&list[k].r);
	free(list);
	return ret;
}

/*
 * stats [--no-stream] [CONTAINER...]: Docker's columns but BLOCK I/O
 * (minidock gives containers no blkio cgroup). Without --no-stream a new
 * table replaces the last one every second until interrupted.
 */
int cmd_stats(const struct store *s, int argc, char **argv)
{
	int stream = 1, first = 1;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "--no-stream")) {
			fprintf(stderr,
				"%s: stats: unknown option '%s' (usage: %s stats [--no-stream] "
				"[CONTAINER...])\n",
				PROG, argv[first], PROG);
			return 1;
		}
		stream = 0;
	}
	if (!stream)
		return stats_round(s, argv + first, argc - first, 0) < 0 ? 1 : 0;
	for (;;)
		if (stats_round(s, argv + first, argc - first, 1) < 0)
			return 1;
}

/* ---- top ---- */

/* What ps -ef shows of one process, from /proc/PID/stat (proc(5)). */
struct proc_info {
	char comm[64], state;
	int ppid, tty;
	unsigned long long utime, stime, start; /* in clock ticks; start: since boot */
};

static int read_proc_stat(int pid, struct proc_info *p)
{
	char path[64], buf[1024], *open_paren, *close_paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0 || !(open_paren = strchr(buf, '(')) ||
	    !(close_paren = strrchr(buf, ')')))
		return -1;
	/* The name sits in parentheses and may hold spaces or ')' itself: take it whole. */
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close_paren - open_paren - 1),
		 open_paren + 1);
	return sscanf(close_paren + 2,
		      "%c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
		      "%llu",
		      &p->state, &p->ppid, &p->tty, &p->utime, &p->stime, &p->start) == 6
		       ? 0
		       : -1;
}

/* UID: the effective user (the second field of "Uid:" in /proc/PID/status), by name if known. */
static void proc_user(int pid, char *out, size_t len)
{
	char path[64], buf[4096], *p;
	unsigned int uid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\nUid:")) ||
	    sscanf(p + 5, "%*u %u", &uid) != 1) {
		snprintf(out, len, "?");
		return;
	}
	if (!passwd_name(uid, out, len))
		snprintf(out, len, "%u", uid);
}

/* CMD: the arguments, NULs made spaces; a process without any shows [comm]. */
static void proc_command(int pid, const struct proc_info *p, char *out, size_t len)
{
	char path[64];
	int fd;
	ssize_t n = -1;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, len - 1);
		close(fd);
	}
	while (n > 0 && out[n - 1] == 0)
		n--;
	if (n <= 0) {
		snprintf(out, len, "[%s]%s", p->comm, p->state == 'Z' ? " <defunct>" : "");
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (!out[i])
			out[i] = ' ';
	out[n] = 0;
}

/* TTY: tty_nr's major and minor (proc(5)): pts/N, ttyN, or ? for none. */
static void tty_name(int tty, char *out, size_t len)
{
	unsigned major = ((unsigned)tty >> 8) & 0xfff;
	unsigned minor = ((unsigned)tty & 0xff) | (((unsigned)tty >> 12) & 0xfff00);

	if (major >= 136 && major <= 143)
		snprintf(out, len, "pts/%u", (major - 136) * 256 + minor);
	else if (major == 4 && minor < 64)
		snprintf(out, len, "tty%u", minor);
	else
		snprintf(out, len, "?");
}

/* STIME as ps writes it: the time of day if it started in the last day, else the date or year. */
static void start_time(time_t started, time_t now, char *out, size_t len)
{
	struct tm then, today;

	localtime_r(&started, &then);
	localtime_r(&now, &today);
	if (now - started < 24 * 3600)
		strftime(out, len, "%H:%M", &then);
	else if (then.tm_year == today.tm_year)
		strftime(out, len, "%b%d", &then);
	else
		strftime(out, len, "%Y", &then);
}

/*
 * Seconds since boot (/proc/uptime), and so when the machine booted: a
 * process's start time in /proc/PID/stat counts clock ticks from there.
 */
static int boot_clock(double *uptime, time_t *boot)
{
	char buf[128];

	if (read_small_file("/proc/uptime", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%lf", uptime) != 1) {
		fprintf(stderr, "%s: read /proc/uptime: %m\n", PROG);
		return -1;
	}
	*boot = time(NULL) - (time_t)*uptime;
	return 0;
}

/*
 * One line of ps -ef. C is the CPU use over the process's life in
 * percent (capped at 99, as ps does); TIME its total CPU time.
 */
static int add_process_row(struct table *t, int pid, double uptime, time_t boot)
{
	char user[64], pids[16], ppid[16], c[8], stime[16], tty[16], cpu[32], cmd[4096];
	const char *row[] = {user, pids, ppid, c, stime, tty, cpu, cmd};
	long hz = sysconf(_SC_CLK_TCK);
	struct proc_info p;
	unsigned long long secs;
	double age, pcpu;

	if (hz <= 0 || read_proc_stat(pid, &p) < 0)
		return 0; /* gone since cgroup.procs was read */
	proc_user(pid, user, sizeof(user));
	proc_command(pid, &p, cmd, sizeof(cmd));
	snprintf(pids, sizeof(pids), "%d", pid);
	snprintf(ppid, sizeof(ppid), "%d", p.ppid);
	age = uptime - (double)p.start / (double)hz;
	secs = (p.utime + p.stime) / (unsigned long long)hz;
	pcpu = age > 0 ? (double)(p.utime + p.stime) / (double)hz * 100 / age : 0;
	snprintf(c, sizeof(c), "%d", pcpu > 99 ? 99 : (int)pcpu);
	start_time(boot + (time_t)(p.start / (unsigned long long)hz), time(NULL), stime,
		   sizeof(stime));
	tty_name(p.tty, tty, sizeof(tty));
	if (secs >= 86400)
		snprintf(cpu, sizeof(cpu), "%llu-%02llu:%02llu:%02llu", secs / 86400,
			 secs / 3600 % 24, secs / 60 % 60, secs % 60);
	else
		snprintf(cpu, sizeof(cpu), "%02llu:%02llu:%02llu", secs / 3600, secs / 60 % 60,
			 secs % 60);
	return table_add(t, row);
}

static int by_number(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * The container's processes: cgroup.procs of any of its cgroups lists
 * them all (a process belongs to one cgroup per hierarchy), as host PIDs,
 * since we read it from the host's side. Sorted, as ps lists them.
 */
static int read_procs(const struct record *r, int **pids, size_t *n)
{
	char path[PATH_MAX + 32];
	FILE *f = NULL;
	int pid, *bigger;

	for (size_t i = 0; !f && i < r->n_cgroups; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", r->cgroups[i].dir);
		f = fopen(path, "re");
	}
	if (!f) {
		fprintf(stderr, "%s: top: container %.12s: no readable cgroup.procs\n", PROG,
			r->id);
		return -1;
	}
	while (fscanf(f, "%d", &pid) == 1) {
		bigger = realloc(*pids, (*n + 1) * sizeof(**pids));
		if (!bigger) {
			fprintf(stderr, "%s: out of memory\n", PROG);
			fclose(f);
			return -1;
		}
		*pids = bigger;
		(*pids)[(*n)++] = pid;
	}
	fclose(f);
	qsort(*pids, *n, sizeof(**pids), by_number);
	return 0;
}

/* top CONTAINER: docker top's default, ps -ef's columns, read from /proc directly. */
int cmd_top(const struct store *s, int argc, char **argv)
{
	static const char *const header[] = {"UID", "PID", "PPID", "C",
					     "STIME", "TTY", "TIME", "CMD"};
	struct table t = {.cols = 8};
	struct record r;
	int *pids = NULL, ret = -1;
	size_t n = 0;
	double uptime;
	time_t boot;

	if (argc != 2) {
		fprintf(stderr, "usage: %s top CONTAINER\n", PROG);
		return 1;
	}
	if (record_open(s, argv[1], &r) < 0)
		return 1;
	if (!record_alive(&r))
		fprintf(stderr, "%s: container %s is not running\n", PROG, argv[1]);
	else if (read_procs(&r, &pids, &n) == 0 && boot_clock(&uptime, &boot) == 0)
		ret = table_add(&t, header);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = add_process_row(&t, pids[i], uptime, boot);
	if (ret == 0)
		table_print(&t, 20);
	table_free(&t);
	free(pids);
	record_free(&r);
	return ret < 0 ? 1 : 0;
}
