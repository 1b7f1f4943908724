/*
 * narrate.c: -D, the run told as a lesson. Each line names who makes the
 * call (the parent, the container's child, its init, the monitor, with the
 * PID the host knows it by), the call with its real arguments and result,
 * and the man page to read next:
 *
 *   parent   6823 => clone(CLONE_NEWUTS|...|SIGCHLD) = 6824 [clone(2)]
 *   child    6824 => prctl(PR_SET_PDEATHSIG, SIGKILL) = 0: ... [prctl(2)]
 *
 * Lines come in the order the calls happen. Within one process they do by
 * themselves; between the parent and its child, the child's first line
 * waits until the parent has told of the clone (narrate_fork_*). A run of
 * alike lines (the same call on six cgroup hierarchies) is held back and
 * printed as one, the differences in braces and the count at the end:
 *
 *   parent   6823 => rmdir("/sys/fs/cgroup/{cpu,memory,pids}/minidock/mdk-6823-1") = 0 [rmdir(2)] ×3
 *
 * so whoever holds lines prints them before it waits for another process
 * (narrate_flush), and at exit.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minidock.h"

int debug; /* -D: narrate every kernel operation on stderr */

/* Who makes the calls narrated from here on, and its PID as the host sees it. */
static const char *narrator = "parent";
static pid_t narrator_pid;

/* From here on, WHO makes the calls (the same process: what is held was its former self's). */
void narrate_as(const char *who)
{
	narrate_flush();
	narrator = who;
}

/*
 * The lines held back, per thread (the parent's cgroup thread narrates
 * beside it), and the process that held them: a child forked meanwhile
 * has a copy, which is its parent's to print, not its own.
 */
#define HELD_LINES 32
#define HELD_LEN 512
static _Thread_local struct {
	char line[HELD_LINES][HELD_LEN];
	int n;
	pid_t owner;
} held;

/* A token: a "string", a word (names, numbers, paths), or one other character. */
static size_t token_len(const char *s)
{
	size_t n = 1;

	if (*s == '"') {
		while (s[n] && s[n] != '"')
			n++;
		return s[n] ? n + 1 : n;
	}
	if (!isalnum((unsigned char)*s) && !strchr("_./-+*~", *s))
		return 1;
	/* A colon inside a word (a device's 1:3) belongs to it; one after it (= 3: why) does not. */
	while (isalnum((unsigned char)s[n]) || (s[n] && strchr("_./-+*~", s[n])) ||
	       (s[n] == ':' && isalnum((unsigned char)s[n + 1])))
		n++;
	return n;
}

#define MAX_TOKENS 64
struct tokens {
	const char *at[MAX_TOKENS];
	size_t len[MAX_TOKENS];
	int n;
};

static int tokenize(const char *s, struct tokens *t)
{
	t->n = 0;
	while (*s) {
		if (t->n == MAX_TOKENS)
			return -1;
		t->at[t->n] = s;
		t->len[t->n] = token_len(s);
		s += t->len[t->n++];
	}
	return 0;
}

static int same_token(const struct tokens *a, const struct tokens *b, int i)
{
	return a->len[i] == b->len[i] && !memcmp(a->at[i], b->at[i], a->len[i]);
}

static int is_word(const struct tokens *t, int i)
{
	return t->at[i][0] == '"' || t->len[i] > 1 || isalnum((unsigned char)t->at[i][0]);
}

/*
 * The common prefix and suffix of two tokens, the prefix ending after a
 * '/' and the suffix starting at one, so that paths merge as
 * /sys/fs/cgroup/{cpu,pids}/minidock; a string keeps its quotes outside.
 */
static void common_ends(const char *a, size_t alen, const char *b, size_t blen, size_t *pre,
			size_t *suf)
{
	size_t quote = a[0] == '"', p = 0, s = 0;

	while (p < *pre && p < blen && a[p] == b[p])
		p++;
	while (s < *suf && s < blen && a[alen - 1 - s] == b[blen - 1 - s])
		s++;
	while (p > quote && a[p - 1] != '/')
		p--;
	while (s > quote && a[alen - s] != '/')
		s--;
	*pre = p;
	*suf = s;
}

/*
 * Alike: the same call (its name), the same punctuation everywhere, and
 * at most two words or strings that differ, each by a short part (the
 * hierarchy in a cgroup path, a device's name), so the merged line reads.
 */
#define MAX_DIFFER 2
#define MAX_MIDDLE 64
static int alike(const char *a, const char *b)
{
	struct tokens ta, tb;
	int differ = 0;

	if (tokenize(a, &ta) < 0 || tokenize(b, &tb) < 0 || ta.n != tb.n)
		return 0;
	/* A call's name must match; a line that is not a call may differ from its start. */
	if (ta.n > 1 && ta.at[1][0] == '(' && !same_token(&ta, &tb, 0))
		return 0;
	for (int i = 0; i < ta.n; i++) {
		size_t pre = ta.len[i], suf = ta.len[i];

		if (same_token(&ta, &tb, i))
			continue;
		if (!is_word(&ta, i) || !is_word(&tb, i) || ++differ > MAX_DIFFER)
			return 0;
		common_ends(ta.at[i], ta.len[i], tb.at[i], tb.len[i], &pre, &suf);
		if (ta.len[i] > pre + suf + MAX_MIDDLE || tb.len[i] > pre + suf + MAX_MIDDLE)
			return 0;
	}
	return 1;
}

/* One position where the held lines differ, as prefix{a,b,c}suffix. */
static void merge_position(struct tokens *t, int n, int i, FILE *out)
{
	const char *first = t[0].at[i];
	size_t len = t[0].len[i], pre = len, suf = len;

	for (int k = 1; k < n; k++)
		common_ends(first, len, t[k].at[i], t[k].len[i], &pre, &suf);
	fprintf(out, "%.*s{", (int)pre, first);
	for (int k = 0; k < n; k++) {
		size_t l = t[k].len[i];
		/* Prefix and suffix may overlap in a short token: never a negative middle. */
		size_t mid = l > pre + suf ? l - pre - suf : 0;

		fprintf(out, "%s%.*s", k ? "," : "", (int)mid, t[k].at[i] + pre);
	}
	fprintf(out, "}%.*s", (int)suf, first + len - suf);
}

/* Held lines FIRST, FIRST+STEP, ... (COUNT of them) as one line, what differs in braces. */
static void print_merged(FILE *out, int first, int step, int count)
{
	static _Thread_local struct tokens t[HELD_LINES];

	fprintf(out, "%-8s %5d => ", narrator, narrator_pid ? narrator_pid : getpid());
	for (int k = 0; k < count; k++)
		tokenize(held.line[first + k * step], &t[k]);
	for (int i = 0; i < t[0].n; i++) {
		int same = 1;

		for (int k = 1; k < count && same; k++)
			same = same_token(&t[0], &t[k], i);
		if (same)
			fprintf(out, "%.*s", (int)t[0].len[i], t[0].at[i]);
		else
			merge_position(t, count, i, out);
	}
	if (count > 1)
		fprintf(out, " ×%d", count);
	fputc('\n', out);
}

/*
 * Print the first M held lines as a run: alike lines as one, or, when the
 * first two differ, alternating pairs (a bind, then its read-only remount)
 * as two. Returns how many of the last ones were left unprinted: a pair
 * seen once is no run, and its second line may begin one.
 */
static int print_run(FILE *out, int m)
{
	int pairs = m / 2;

	if (m < 2 || alike(held.line[0], held.line[1])) {
		print_merged(out, 0, 1, m);
		return 0;
	}
	if (pairs < 2) {
		print_merged(out, 0, 1, 1);
		return m - 1;
	}
	print_merged(out, 0, 2, pairs);
	print_merged(out, 1, 2, pairs);
	return m - 2 * pairs;
}

/* Does the last of the N held lines carry on the run? */
static int continues_run(int n)
{
	int period = alike(held.line[0], held.line[1]) ? 1 : 2;

	return n <= 2 || alike(held.line[(n - 1) % period], held.line[n - 1]);
}

/* Hold LINE; what it ends is printed to OUT, and what may begin a new run is held again. */
static void hold(FILE *out, const char *line)
{
	static _Thread_local char queue[HELD_LINES + 1][HELD_LEN];
	int queued = 1;

	memcpy(queue[0], line, HELD_LEN);
	for (int next = 0; next < queued; next++) {
		int n = held.n, left;

		if (n < HELD_LINES) {
			memcpy(held.line[held.n++], queue[next], HELD_LEN);
			if (continues_run(held.n))
				continue;
		}
		left = print_run(out, n);
		/* Again, in order: the held lines not printed, this one, those after it. */
		memmove(queue[left], queue[next], (size_t)(queued - next) * HELD_LEN);
		memcpy(queue[0], held.line[n - left], (size_t)left * HELD_LEN);
		queued = left + queued - next;
		held.n = 0;
		next = -1;
	}
}

static void write_out(const char *buf, size_t len)
{
	if (len && write(STDERR_FILENO, buf, len) < 0)
		return;
}

/* Print all that is held, with one write(2): lines of two processes never mix. */
void narrate_flush(void)
{
	char buf[16384];
	FILE *out;

	if (!held.n || held.owner != getpid()) {
		held.n = 0;
		return;
	}
	out = fmemopen(buf, sizeof(buf), "w");
	if (!out)
		return;
	while (held.n) {
		int n = held.n, left = print_run(out, n);

		memmove(held.line[0], held.line[n - left], (size_t)left * HELD_LEN);
		held.n = left;
	}
	fflush(out);
	write_out(buf, (size_t)ftell(out));
	fclose(out);
}

/* -D narration: one line per kernel operation, naming its man page. */
void narrate(const char *fmt, ...)
{
	static int flush_at_exit;
	char line[HELD_LEN], buf[16384];
	va_list ap;
	FILE *out;

	if (!debug)
		return;
	if (!flush_at_exit && atexit(narrate_flush) == 0)
		flush_at_exit = 1;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (held.n && held.owner != getpid())
		held.n = 0; /* a copy of our parent's: the parent prints them */
	held.owner = getpid();
	out = fmemopen(buf, sizeof(buf), "w");
	if (!out)
		return;
	hold(out, line);
	fflush(out);
	write_out(buf, (size_t)ftell(out));
	fclose(out);
}

/*
 * Around a fork or clone: the child's first line must come after the
 * parent's line about the fork. With -D only, the child waits on a pipe
 * for the parent to have printed it, and learns from it its PID as the
 * host sees it (inside a new PID namespace, getpid(2) says 1).
 */
static int fork_pipe[2] = {-1, -1};

int narrate_fork_prepare(void)
{
	if (!debug)
		return 0;
	narrate_flush();
	if (pipe2(fork_pipe, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %m\n", PROG);
		return -1;
	}
	return 0;
}

static void close_fork_pipe(void)
{
	for (int i = 0; i < 2; i++) {
		if (fork_pipe[i] >= 0)
			close(fork_pipe[i]);
		fork_pipe[i] = -1;
	}
}

/* In the parent, once the fork is narrated (or failed: child < 0). */
void narrate_fork_done(pid_t child)
{
	if (fork_pipe[1] < 0)
		return;
	narrate_flush();
	if (child > 0 && write(fork_pipe[1], &child, sizeof(child)) != sizeof(child))
		fprintf(stderr, "%s: write to the child: %m\n", PROG);
	close_fork_pipe();
}

/* In the child, first thing: who it is, once the parent has told of the fork. */
void narrate_forked(const char *who)
{
	pid_t pid = 0;

	held.n = 0;
	narrator = who;
	narrator_pid = 0;
	if (fork_pipe[0] < 0)
		return;
	close(fork_pipe[1]);
	fork_pipe[1] = -1;
	if (read(fork_pipe[0], &pid, sizeof(pid)) == sizeof(pid))
		narrator_pid = pid;
	close_fork_pipe();
}
