/*
 * bench: start-to-exit latency of commands, measured interleaved.
 *
 *   bench [-n ROUNDS] [-i IDLE_MS] NAME CMD [ARG...] [:: NAME CMD [ARG...]]...
 *
 * Each round runs every command once, in order (A B C A B C ...), so a
 * machine that gets slower or faster affects all of them alike. With -i,
 * each run waits IDLE_MS first, to measure the cost "after idle" (caches
 * and RCU grace periods cold). Prints, per command: median, 10th and 90th
 * percentile in ms, peak RSS of the command (its largest child, from
 * wait4(2)), and the median of the per-round ratios to the first command.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CMDS 32
#define MAX_ROUNDS 10000

struct cmd {
	const char *name;
	char **argv;
	double ms[MAX_ROUNDS];
	double ratio[MAX_ROUNDS];
	long max_rss_kb;
	int failures;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(double *v, int n, double p)
{
	qsort(v, n, sizeof(*v), compare);
	return v[(int)(p * (n - 1) + 0.5)];
}

static int run_once(struct cmd *c, int round)
{
	struct rusage ru;
	int status;
	pid_t pid;
	double start;
	posix_spawn_file_actions_t quiet;

	/* What the commands print (run -d's ids) would bury the table: stdout goes to /dev/null. */
	if (posix_spawn_file_actions_init(&quiet) != 0 ||
	    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0) != 0) {
		fprintf(stderr, "bench: posix_spawn_file_actions: %m\n");
		return -1;
	}
	start = now_ms();
	if (posix_spawnp(&pid, c->argv[0], &quiet, NULL, c->argv, environ) != 0) {
		fprintf(stderr, "bench: spawn %s: %m\n", c->argv[0]);
		posix_spawn_file_actions_destroy(&quiet);
		return -1;
	}
	posix_spawn_file_actions_destroy(&quiet);
	if (wait4(pid, &status, 0, &ru) < 0) {
		fprintf(stderr, "bench: wait4: %m\n");
		return -1;
	}
	c->ms[round] = now_ms() - start;
	if (ru.ru_maxrss > c->max_rss_kb)
		c->max_rss_kb = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		c->failures++;
	return 0;
}

int main(int argc, char **argv)
{
	static struct cmd cmds[MAX_CMDS];
	int rounds = 50, idle_ms = 0, n = 0, opt;

	while ((opt = getopt(argc, argv, "+n:i:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'i')
			idle_ms = atoi(optarg);
		else
			return 2;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS)
		return 2;
	for (int i = optind; i < argc && n < MAX_CMDS;) {
		cmds[n].name = argv[i++];
		cmds[n].argv = &argv[i];
		while (i < argc && strcmp(argv[i], "::"))
			i++;
		if (i < argc)
			argv[i++] = NULL;
		if (cmds[n].argv[0])
			n++;
	}
	if (n == 0) {
		fprintf(stderr, "usage: bench [-n ROUNDS] [-i IDLE_MS] NAME CMD... [:: NAME CMD...]\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < n; i++) {
			if (idle_ms) {
				struct timespec ts = {idle_ms / 1000, (idle_ms % 1000) * 1000000L};
				nanosleep(&ts, NULL);
			}
			if (run_once(&cmds[i], r) < 0)
				return 1;
		}
		for (int i = 0; i < n; i++)
			cmds[i].ratio[r] = cmds[i].ms[r] / cmds[0].ms[r];
	}
	printf("%-34s %9s %9s %9s %9s %9s %s\n", "command", "median", "p10", "p90", "ratio",
	       "rss_kb", "failed");
	for (int i = 0; i < n; i++) {
		struct cmd *c = &cmds[i];
		double med = percentile(c->ms, rounds, 0.5);
		double p10 = percentile(c->ms, rounds, 0.1);
		double p90 = percentile(c->ms, rounds, 0.9);
		double ratio = percentile(c->ratio, rounds, 0.5);
		printf("%-34s %9.2f %9.2f %9.2f %9.2f %9ld %d\n", c->name, med, p10, p90, ratio,
		       c->max_rss_kb, c->failures);
	}
	return 0;
}
