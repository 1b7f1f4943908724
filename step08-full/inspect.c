/*
 * inspect.c: the commands that only look at containers - ps, inspect,
 * port and logs - printed in Docker's shapes, so what a learner knows from
 * Docker reads the same here. They read a container's record (state.h)
 * and never change it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "minidock.h"
#include "state.h"

#define NS_PER_SEC 1000000000LL
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, in UTF-8: where Docker cuts a long command */

/* ---- shared: options, what a record means now, times, ports ---- */

/*
 * getopt_long(3) over a command's own options, the two errors worded once.
 * Returns the option, -1 after the last one, or '?' once the error is told.
 */
static int next_option(int argc, char **argv, const char *shorts, const struct option *longs)
{
	int opt = getopt_long(argc, argv, shorts, longs, NULL);

	if (opt == ':')
		fprintf(stderr, "%s: %s: option '%s' needs a value (try '%s %s --help')\n", PROG,
			argv[0], argv[optind - 1], PROG, argv[0]);
	else if (opt == '?' && optopt)
		fprintf(stderr, "%s: %s: unknown option '-%c' (try '%s %s --help')\n", PROG,
			argv[0], optopt, PROG, argv[0]);
	else if (opt == '?')
		fprintf(stderr, "%s: %s: unknown option '%s' (try '%s %s --help')\n", PROG, argv[0],
			argv[optind - 1], PROG, argv[0]);
	return opt == ':' ? '?' : opt;
}

/* A container's state directory is named by its 64-hex id; nothing else there is one. */
static int is_container_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* What a record means now, the way Docker's State tells it. */
struct view {
	const char *status;  /* record_status(): created, running, paused, exited */
	int running, paused; /* Docker counts a paused container as running */
	int exit_code;       /* 0 until it exits; -1: unknown, its monitor died */
};

static struct view view_of(const struct record *r)
{
	struct view v = {.status = record_status(r)};

	v.paused = !strcmp(v.status, "paused");
	v.running = v.paused || !strcmp(v.status, "running");
	if (v.running)
		v.exit_code = 0;
	else if (!strcmp(r->status, "running"))
		v.exit_code = -1; /* still said running, but nothing is left to see how it ended */
	else
		v.exit_code = r->exit_code;
	return v;
}

/*
 * How long, in Docker's words (go-units' HumanDuration): "5 seconds",
 * "About a minute", "3 hours" (rounded), "2 weeks".
 */
static void human_duration(char *buf, size_t len, long long ns)
{
	long long s = ns / NS_PER_SEC, m = s / 60;
	long long h = (ns + 1800 * NS_PER_SEC) / (3600 * NS_PER_SEC); /* rounded */

	if (s < 1)
		snprintf(buf, len, "Less than a second");
	else if (s == 1)
		snprintf(buf, len, "1 second");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds", s);
	else if (m == 1)
		snprintf(buf, len, "About a minute");
	else if (m < 60)
		snprintf(buf, len, "%lld minutes", m);
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", h / 24 / 30);
	else
		snprintf(buf, len, "%lld years", s / 3600 / 24 / 365);
}

/*
 * A time as Docker's JSON has it: Go's RFC3339Nano in UTC, the fraction's
 * trailing zeros dropped; never (0) is Go's zero time.
 */
static void rfc3339(char *buf, size_t len, long long ns)
{
	time_t secs = (time_t)(ns / NS_PER_SEC);
	char frac[16];
	struct tm tm;
	size_t n, end;

	if (ns <= 0 || !gmtime_r(&secs, &tm) ||
	    !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, len, "0001-01-01T00:00:00Z");
		return;
	}
	snprintf(frac, sizeof(frac), ".%09lld", ns % NS_PER_SEC);
	end = strlen(frac);
	while (frac[end - 1] == '0')
		frac[--end] = 0;
	if (end == 1) /* a whole second: no dot either */
		frac[0] = 0;
	snprintf(buf + n, len - n, "%sZ", frac);
}

/* ps and port: by container port, then host port, as Docker sorts them. */
static int by_ctr_port(const void *a, const void *b)
{
	const struct port_map *x = *(const struct port_map *const *)a;
	const struct port_map *y = *(const struct port_map *const *)b;

	if (x->ctr_port != y->ctr_port)
		return x->ctr_port < y->ctr_port ? -1 : 1;
	return x->host_port < y->host_port ? -1 : x->host_port > y->host_port;
}

/* inspect: by the key ("80/tcp"), the order Go's encoder gives a map's keys. */
static int by_port_key(const void *a, const void *b)
{
	const struct port_map *x = *(const struct port_map *const *)a;
	const struct port_map *y = *(const struct port_map *const *)b;
	char kx[16], ky[16];
	int cmp;

	snprintf(kx, sizeof(kx), "%u/tcp", x->ctr_port);
	snprintf(ky, sizeof(ky), "%u/tcp", y->ctr_port);
	cmp = strcmp(kx, ky);
	return cmp ? cmp : by_ctr_port(a, b);
}

/*
 * The published ports, in ORDER, while the container runs: the proxy that
 * serves them lives in its monitor and ends with it (Docker empties them
 * too). One whose host port the kernel has not chosen yet (0) is left out.
 */
static size_t live_ports(const struct record *r, const struct view *v,
			 int (*order)(const void *, const void *), const struct port_map **out)
{
	size_t n = 0;

	for (size_t i = 0; v->running && i < r->n_ports; i++)
		if (r->ports[i].host_port)
			out[n++] = &r->ports[i];
	qsort(out, n, sizeof(*out), order);
	return n;
}

/* Characters, not bytes, as Docker's table counts them: UTF-8 continuation bytes do not count. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* ---- ps ---- */

static void ps_usage(FILE *out)
{
	fprintf(out,
		"usage: %s ps [-a] [-q] [--no-trunc]\n"
		"List the running containers (-a: every one), newest first.\n"
		"\n"
		"  -a, --all        show stopped and created containers too\n"
		"  -q, --quiet      only their IDs\n"
		"      --no-trunc   full IDs and commands\n"
		"      --help       show this help\n",
		PROG);
}

enum { PS_ID, PS_IMAGE, PS_COMMAND, PS_CREATED, PS_STATUS, PS_PORTS, PS_NAMES, PS_COLUMNS };

/* One line of the table, and when its container was created (the order). */
struct ps_row {
	long long created;
	char *cell[PS_COLUMNS];
};

static char *text_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *text_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* The command as Docker's API joins it: by spaces, an argument holding a space in single quotes. */
static char *join_command(const struct record *r)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < r->n_args; i++)
		len += strlen(r->args[i]) + 3;
	s = p = malloc(len);
	if (!s)
		return NULL;
	*p = 0;
	for (size_t i = 0; i < r->n_args; i++) {
		const char *quote = strchr(r->args[i], ' ') ? "'" : "";

		p += sprintf(p, "%s%s%s%s", i ? " " : "", quote, r->args[i], quote);
	}
	return s;
}

/* A byte as Go's strconv.Quote writes it: quote and backslash escaped, controls spelled out. */
static void go_quote_byte(FILE *f, unsigned char c)
{
	static const char names[] = "abtnvfr"; /* \a (7) to \r (13) */

	if (c == '"' || c == '\\')
		fprintf(f, "\\%c", c);
	else if (c >= '\a' && c <= '\r')
		fprintf(f, "\\%c", names[c - '\a']);
	else if (c < 0x20 || c == 0x7f)
		fprintf(f, "\\x%02x", c);
	else
		fputc(c, f);
}

/*
 * COMMAND as Docker shows it: the joined command, cut to 20 characters
 * (the last one "…") unless --no-trunc, then quoted.
 */
static char *command_cell(const struct record *r, int no_trunc)
{
	char *joined = join_command(r), *cell = NULL;
	size_t len, chars = 0, max;
	FILE *f;

	if (!joined)
		return NULL;
	max = no_trunc || text_width(joined) <= 20 ? SIZE_MAX : 20;
	f = open_memstream(&cell, &len);
	if (f) {
		fputc('"', f);
		for (const char *p = joined; *p; p++) {
			if (((unsigned char)*p & 0xc0) != 0x80 && ++chars == max) {
				fputs(ELLIPSIS, f);
				break;
			}
			go_quote_byte(f, (unsigned char)*p);
		}
		fputc('"', f);
		if (fclose(f) != 0) {
			free(cell);
			cell = NULL;
		}
	}
	free(joined);
	return cell;
}

/* STATUS: "Up 5 seconds", "Up 5 seconds (Paused)", "Exited (0) 3 minutes ago", "Created". */
static void status_text(char *buf, size_t len, const struct record *r, const struct view *v,
			long long now)
{
	char ago[32];

	if (v->running) {
		human_duration(ago, sizeof(ago), now - (r->started ? r->started : r->created));
		snprintf(buf, len, "Up %s%s", ago, v->paused ? " (Paused)" : "");
	} else if (!strcmp(v->status, "exited")) {
		/*
		 * Docker has no word for an unknown code; "unknown" says what -1 means
		 * here. A dead monitor recorded no end: the start is the nearest time known.
		 */
		long long end = r->finished ? r->finished : r->started ? r->started : r->created;

		human_duration(ago, sizeof(ago), now - end);
		if (v->exit_code < 0)
			snprintf(buf, len, "Exited (unknown) %s ago", ago);
		else
			snprintf(buf, len, "Exited (%d) %s ago", v->exit_code, ago);
	} else {
		snprintf(buf, len, "%s", !strcmp(v->status, "created") ? "Created" : v->status);
	}
}

/* PORTS: "127.0.0.1:34567->80/tcp, ..." */
static void ports_text(char *buf, size_t len, const struct record *r, const struct view *v)
{
	const struct port_map *p[MAX_PORTS];
	size_t n = live_ports(r, v, by_ctr_port, p), used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s:%u->%u/tcp", i ? ", " : "",
				 p[i]->host_ip, p[i]->host_port, p[i]->ctr_port);
}

static int ps_row_fill(struct ps_row *row, const struct record *r, const struct view *v,
		       int no_trunc, long long now)
{
	char status[96], ago[32], ports[MAX_PORTS * 48];

	human_duration(ago, sizeof(ago), now - r->created);
	status_text(status, sizeof(status), r, v, now);
	ports_text(ports, sizeof(ports), r, v);
	row->created = r->created;
	row->cell[PS_ID] = text_printf("%.*s", no_trunc ? 64 : 12, r->id);
	row->cell[PS_IMAGE] = text_printf("%s", r->image);
	row->cell[PS_COMMAND] = command_cell(r, no_trunc);
	row->cell[PS_CREATED] = text_printf("%s ago", ago);
	row->cell[PS_STATUS] = text_printf("%s", status);
	row->cell[PS_PORTS] = text_printf("%s", ports);
	row->cell[PS_NAMES] = text_printf("%s", r->name);
	for (int i = 0; i < PS_COLUMNS; i++) {
		if (!row->cell[i]) {
			fprintf(stderr, "%s: ps: out of memory\n", PROG);
			return -1;
		}
	}
	return 0;
}

/*
 * R's row, if it is to be listed: a running one, or any with -a. A record
 * without its config (no creation time yet) is a container being created.
 */
static int ps_add(const struct record *r, int all, int no_trunc, long long now,
		  struct ps_row **rows, size_t *n)
{
	struct ps_row *grown;
	struct view v;

	if (!r->created)
		return 0;
	v = view_of(r);
	if (!all && !v.running)
		return 0;
	grown = realloc(*rows, (*n + 1) * sizeof(**rows));
	if (!grown) {
		fprintf(stderr, "%s: ps: out of memory\n", PROG);
		return -1;
	}
	*rows = grown;
	memset(&grown[*n], 0, sizeof(grown[*n]));
	return ps_row_fill(&grown[(*n)++], r, &v, no_trunc, now);
}

/* Every container under <run>/containers; one whose record cannot be read is passed over. */
static int ps_collect(const struct store *s, int all, int no_trunc, struct ps_row **rows,
		      size_t *n)
{
	long long now = now_ns();
	char dir[PATH_MAX];
	struct dirent *e;
	struct record r;
	int ret = 0;
	DIR *d;

	if (join_path(dir, sizeof(dir), s->run, "containers") < 0)
		return -1;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: open %s: %m\n", PROG, dir);
		return -1;
	}
	while (ret == 0 && (e = readdir(d))) {
		if (!is_container_id(e->d_name) || record_read(s, e->d_name, &r) < 0)
			continue;
		ret = ps_add(&r, all, no_trunc, now, rows, n);
		record_free(&r);
	}
	closedir(d);
	return ret;
}

/* Newest first, as Docker lists; the id settles a tie. */
static int newest_first(const void *a, const void *b)
{
	const struct ps_row *x = a, *y = b;

	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->cell[PS_ID], y->cell[PS_ID]);
}

/* A line of Docker's table: every cell but the last padded to its column's width. */
static void ps_print_line(char *const *cells, const size_t *width)
{
	for (int i = 0; i < PS_COLUMNS - 1; i++)
		printf("%s%*s", cells[i], (int)(width[i] - text_width(cells[i])), "");
	printf("%s\n", cells[PS_COLUMNS - 1]);
}

/* Docker's table is Go's text/tabwriter: the widest cell plus 3 spaces, at least 10. */
static void ps_print_table(const struct ps_row *rows, size_t n)
{
	static char *const header[PS_COLUMNS] = {"CONTAINER ID", "IMAGE",  "COMMAND", "CREATED",
						 "STATUS",       "PORTS", "NAMES"};
	size_t width[PS_COLUMNS];

	for (int i = 0; i < PS_COLUMNS; i++) {
		width[i] = text_width(header[i]);
		for (size_t j = 0; j < n; j++)
			if (text_width(rows[j].cell[i]) > width[i])
				width[i] = text_width(rows[j].cell[i]);
		width[i] = width[i] + 3 < 10 ? 10 : width[i] + 3;
	}
	ps_print_line(header, width);
	for (size_t j = 0; j < n; j++)
		ps_print_line(rows[j].cell, width);
}

static void ps_free(struct ps_row *rows, size_t n)
{
	for (size_t j = 0; j < n; j++)
		for (int i = 0; i < PS_COLUMNS; i++)
			free(rows[j].cell[i]);
	free(rows);
}

int cmd_ps(const struct store *s, int argc, char **argv)
{
	enum { OPT_NO_TRUNC = 256, OPT_HELP };
	static const struct option options[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int all = 0, quiet = 0, no_trunc = 0, opt, ret;
	struct ps_row *rows = NULL;
	size_t n = 0;

	optind = 0; /* getopt(3) starts afresh on this command's own argv */
	opterr = 0;
	while ((opt = next_option(argc, argv, ":aq", options)) != -1) {
		if (opt == OPT_HELP) {
			ps_usage(stdout);
			return 0;
		}
		if (opt == '?')
			return EXIT_FAILURE;
		all |= opt == 'a';
		quiet |= opt == 'q';
		no_trunc |= opt == OPT_NO_TRUNC;
	}
	if (optind != argc) {
		fprintf(stderr, "%s: ps: takes no arguments (try '%s ps --help')\n", PROG, PROG);
		return EXIT_FAILURE;
	}
	ret = ps_collect(s, all, no_trunc, &rows, &n) < 0 ? EXIT_FAILURE : 0;
	if (ret == 0) {
		/* qsort(3) of no rows: its NULL is undefined behaviour (UBSan says so) */
		if (n > 0)
			qsort(rows, n, sizeof(*rows), newest_first);
		for (size_t j = 0; quiet && j < n; j++)
			printf("%s\n", rows[j].cell[PS_ID]);
		if (!quiet)
			ps_print_table(rows, n);
	}
	ps_free(rows, n);
	return ret;
}

/* ---- inspect: a container as a tree, printed as JSON or looked into by -f ---- */

static void inspect_usage(FILE *out)
{
	fprintf(out,
		"usage: %s inspect [-f FORMAT] CONTAINER...\n"
		"Show containers' configuration and state, as a JSON array.\n"
		"\n"
		"  -f, --format FORMAT  print FORMAT for each instead, a Go template's simplest\n"
		"                       form: text, {{.Field.Field}} and {{json .Field}}\n"
		"                       (e.g. '{{.State.Pid}}', '{{.NetworkSettings.IPAddress}}')\n"
		"      --help           show this help\n",
		PROG);
}

/*
 * Docker's JSON comes from Go structs and maps, which -f prints
 * differently ({a b} against map[k:v]): the tree keeps both kinds.
 */
enum kind { NODE_STRING, NODE_NUMBER, NODE_BOOL, NODE_NULL, NODE_ARRAY, NODE_STRUCT, NODE_MAP };

struct node {
	const char *key;       /* its name in its parent object; NULL in an array */
	enum kind kind;
	const char *text;      /* NODE_STRING */
	long long number;      /* NODE_NUMBER, NODE_BOOL */
	int child, last, next; /* first and last child, next sibling: indices, 0 = none */
};

/* Room for every field, MAX_ARGS twice (Args, Config.Cmd), MAX_ENV and 4 nodes a port. */
#define MAX_NODES (2 * MAX_ARGS + MAX_ENV + 4 * MAX_PORTS + 64)

/* Node 0 is the root. Strings are the record's own, or written into pool. */
struct tree {
	struct node nodes[MAX_NODES];
	int n;
	char pool[4096];
	size_t used;
	int full; /* something did not fit: not to be printed */
};

/* An empty tree; returns its root. */
static int tree_init(struct tree *t)
{
	t->nodes[0] = (struct node){.kind = NODE_STRUCT};
	t->n = 1;
	t->used = 0;
	t->full = 0;
	return 0;
}

/* A new last child of PARENT. When full, the root stands in: nothing reads its value fields. */
static int tree_add(struct tree *t, int parent, const char *key, enum kind kind)
{
	struct node *p = &t->nodes[parent];

	if (t->full || t->n == MAX_NODES) {
		t->full = 1;
		return 0;
	}
	t->nodes[t->n] = (struct node){.key = key, .kind = kind};
	if (p->last)
		t->nodes[p->last].next = t->n;
	else
		p->child = t->n;
	p->last = t->n;
	return t->n++;
}

static const char *tree_printf(struct tree *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *tree_printf(struct tree *t, const char *fmt, ...)
{
	char *s = t->pool + t->used;
	size_t room = sizeof(t->pool) - t->used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		t->full = 1;
		return "";
	}
	t->used += (size_t)n + 1;
	return s;
}

static void add_string(struct tree *t, int parent, const char *key, const char *text)
{
	t->nodes[tree_add(t, parent, key, NODE_STRING)].text = text;
}

static void add_number(struct tree *t, int parent, const char *key, long long number)
{
	t->nodes[tree_add(t, parent, key, NODE_NUMBER)].number = number;
}

static void add_bool(struct tree *t, int parent, const char *key, int value)
{
	t->nodes[tree_add(t, parent, key, NODE_BOOL)].number = !!value;
}

static void add_strings(struct tree *t, int parent, const char *key, char *const *list, size_t n)
{
	int array = tree_add(t, parent, key, NODE_ARRAY);

	for (size_t i = 0; i < n; i++)
		add_string(t, array, NULL, list[i]);
}

static const char *tree_time(struct tree *t, long long ns)
{
	char buf[64];

	rfc3339(buf, sizeof(buf), ns);
	return tree_printf(t, "%s", buf);
}

static void build_state(struct tree *t, int state, const struct record *r, const struct view *v)
{
	add_string(t, state, "Status", v->status);
	add_bool(t, state, "Running", v->running);
	add_bool(t, state, "Paused", v->paused);
	add_bool(t, state, "Restarting", 0);
	add_bool(t, state, "OOMKilled", r->oom_killed);
	add_bool(t, state, "Dead", 0);
	add_number(t, state, "Pid", v->running ? r->pid : 0);
	add_number(t, state, "ExitCode", v->exit_code);
	add_string(t, state, "Error", "");
	add_string(t, state, "StartedAt", tree_time(t, r->started));
	add_string(t, state, "FinishedAt", tree_time(t, r->finished));
}

/* --cpus is kept as CFS quota per CPU_PERIOD_US; Docker's NanoCpus is CPUs x 1e9. No limit: null */
static void build_host_config(struct tree *t, int host, const struct record *r)
{
	add_bool(t, host, "AutoRemove", r->rm);
	add_number(t, host, "Memory", r->memory);
	add_number(t, host, "NanoCpus", r->cpu_quota * NS_PER_SEC / CPU_PERIOD_US);
	if (r->pids_limit > 0)
		add_number(t, host, "PidsLimit", r->pids_limit);
	else
		tree_add(t, host, "PidsLimit", NODE_NULL);
}

/* NAME's value in the container's environment, or NULL. */
static const char *env_value(const struct record *r, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < r->n_env; i++)
		if (!strncmp(r->env[i], name, len) && r->env[i][len] == '=')
			return r->env[i] + len + 1;
	return NULL;
}

/* Hostname: run puts it in HOSTNAME, the record's only copy of it; left out without one. */
static void build_config(struct tree *t, int config, const struct record *r)
{
	const char *hostname = env_value(r, "HOSTNAME");

	if (hostname)
		add_string(t, config, "Hostname", hostname);
	add_string(t, config, "User", r->user);
	add_bool(t, config, "Tty", r->tty);
	add_strings(t, config, "Env", r->env, r->n_env);
	add_strings(t, config, "Cmd", r->args, r->n_args);
	add_string(t, config, "Image", r->image);
	add_string(t, config, "WorkingDir", r->cwd);
}

/* Ports: {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "34567"}, ...]}, keys in Go's order. */
static void build_ports(struct tree *t, int net, const struct record *r, const struct view *v)
{
	const struct port_map *p[MAX_PORTS];
	size_t n = live_ports(r, v, by_port_key, p);
	int ports = tree_add(t, net, "Ports", NODE_MAP), list = 0;

	for (size_t i = 0; i < n; i++) {
		int binding;

		if (!i || p[i]->ctr_port != p[i - 1]->ctr_port)
			list = tree_add(t, ports, tree_printf(t, "%u/tcp", p[i]->ctr_port),
					NODE_ARRAY);
		binding = tree_add(t, list, NULL, NODE_STRUCT);
		add_string(t, binding, "HostIp", p[i]->host_ip);
		add_string(t, binding, "HostPort", tree_printf(t, "%u", p[i]->host_port));
	}
}

/* The address returns to the pool when the container stops: shown while it runs, as Docker's */
static void build_network(struct tree *t, int net, const struct record *r, const struct view *v)
{
	add_string(t, net, "Bridge", r->bridge);
	build_ports(t, net, r, v);
	add_string(t, net, "IPAddress", v->running ? r->ip : "");
}

/* The fields of Docker's inspect that minidock has, in Docker's order. */
static void build_tree(struct tree *t, const struct record *r)
{
	struct view v = view_of(r);
	int root = tree_init(t);

	add_string(t, root, "Id", r->id);
	add_string(t, root, "Created", tree_time(t, r->created));
	add_string(t, root, "Path", r->n_args ? r->args[0] : "");
	add_strings(t, root, "Args", r->args + (r->n_args > 0), r->n_args ? r->n_args - 1 : 0);
	build_state(t, tree_add(t, root, "State", NODE_STRUCT), r, &v);
	add_string(t, root, "Image", r->image);
	add_string(t, root, "LogPath", r->log_path);
	add_string(t, root, "Name", tree_printf(t, "/%s", r->name));
	build_host_config(t, tree_add(t, root, "HostConfig", NODE_STRUCT), r);
	build_config(t, tree_add(t, root, "Config", NODE_STRUCT), r);
	build_network(t, tree_add(t, root, "NetworkSettings", NODE_STRUCT), r, &v);
}

/* ---- the tree as JSON ---- */

/* The length of the valid UTF-8 sequence at p (RFC 3629: no overlong form, no surrogate), or 0 */
static int utf8_length(const unsigned char *p)
{
	static const unsigned int least[] = {0, 0, 0x80, 0x800, 0x10000}; /* by length */
	unsigned int cp;
	int n;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4;
	else
		return 0;
	cp = p[0] & (0x7fu >> n); /* the lead byte's bits of the code point */
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	return cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : n;
}

/*
 * A JSON string (RFC 8259) as Go's encoder writes it: quote, backslash and
 * control characters escaped, a byte that is not UTF-8 replaced by U+FFFD.
 */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int n = utf8_length(p);

		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			fprintf(f, "\\%c", *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't');
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else if (!n)
			fputs("\\ufffd", f);
		else if (fwrite(p, 1, (size_t)n, f) == (size_t)n)
			p += n - 1;
	}
	fputc('"', f);
}

/* Indented, a newline and DEPTH levels of INDENT spaces; compact (INDENT 0), nothing. */
static void json_newline(FILE *f, int indent, int depth)
{
	if (indent)
		fprintf(f, "\n%*s", indent * depth, "");
}

static void json_value(FILE *f, const struct tree *t, int i, int indent, int depth);

/* An array or object, laid out as Go's json.MarshalIndent does ([] and {} when empty). */
static void json_container(FILE *f, const struct tree *t, int i, int indent, int depth)
{
	const struct node *n = &t->nodes[i];
	int array = n->kind == NODE_ARRAY;

	fputc(array ? '[' : '{', f);
	for (int c = n->child; c; c = t->nodes[c].next) {
		if (c != n->child)
			fputc(',', f);
		json_newline(f, indent, depth + 1);
		if (!array) {
			json_string(f, t->nodes[c].key);
			fputs(indent ? ": " : ":", f);
		}
		json_value(f, t, c, indent, depth + 1);
	}
	if (n->child)
		json_newline(f, indent, depth);
	fputc(array ? ']' : '}', f);
}

static void json_value(FILE *f, const struct tree *t, int i, int indent, int depth)
{
	const struct node *n = &t->nodes[i];

	switch (n->kind) {
	case NODE_STRING:
		json_string(f, n->text);
		break;
	case NODE_NUMBER:
		fprintf(f, "%lld", n->number);
		break;
	case NODE_BOOL:
		fputs(n->number ? "true" : "false", f);
		break;
	case NODE_NULL:
		fputs("null", f);
		break;
	case NODE_ARRAY:
	case NODE_STRUCT:
	case NODE_MAP:
		json_container(f, t, i, indent, depth);
		break;
	}
}

/* ---- the tree through -f: Go template's simplest actions ---- */

/*
 * A value as a Go template prints it (fmt's %v): strings bare, booleans
 * true/false, a nil pointer <nil>, [a b] for a slice, {a b} for a struct,
 * map[k:v] for a map.
 */
static void go_value(FILE *f, const struct tree *t, int i)
{
	const struct node *n = &t->nodes[i];

	switch (n->kind) {
	case NODE_STRING:
		fputs(n->text, f);
		return;
	case NODE_NUMBER:
		fprintf(f, "%lld", n->number);
		return;
	case NODE_BOOL:
		fputs(n->number ? "true" : "false", f);
		return;
	case NODE_NULL:
		fputs("<nil>", f);
		return;
	case NODE_ARRAY:
	case NODE_STRUCT:
	case NODE_MAP:
		fputs(n->kind == NODE_MAP ? "map[" : n->kind == NODE_ARRAY ? "[" : "{", f);
		break;
	}
	for (int c = n->child; c; c = t->nodes[c].next) {
		if (c != n->child)
			fputc(' ', f);
		if (n->kind == NODE_MAP)
			fprintf(f, "%s:", t->nodes[c].key);
		go_value(f, t, c);
	}
	fputc(n->kind == NODE_STRUCT ? '}' : ']', f);
}

/* An action between "{{" and "}}": a field path, printed bare or (json) as JSON. */
struct action {
	int json;
	const char *path; /* ".A.B", not NUL-terminated */
	size_t len;
};

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* "." alone, or ".Name" again and again: a chain of fields. */
static int valid_path(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 1 && s[0] == '.')
		return 1;
	while (i < len) {
		size_t n = 0;

		if (s[i] != '.')
			return 0;
		while (i + 1 + n < len && is_name_char(s[i + 1 + n]))
			n++;
		if (!n)
			return 0;
		i += 1 + n;
	}
	return len > 0;
}

/* S (*LEN bytes) without its leading white space. */
static const char *skip_spaces(const char *s, size_t *len)
{
	for (; *len && isspace((unsigned char)*s); (*len)--)
		s++;
	return s;
}

/* The action between "{{" and "}}" (LEN bytes at S), white space around its words allowed. */
static int parse_action(const char *s, size_t len, struct action *a)
{
	s = skip_spaces(s, &len);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	a->json = len > 4 && !strncmp(s, "json", 4) && isspace((unsigned char)s[4]);
	if (a->json) {
		len -= 4;
		s = skip_spaces(s + 4, &len);
	}
	a->path = s;
	a->len = len;
	return valid_path(s, len) ? 0 : -1;
}

/* The node at PATH (".A.B", LEN bytes) from the root, or -1 if there is none. */
static int tree_find(const struct tree *t, const char *path, size_t len)
{
	const char *p = path + 1, *end = path + len;
	int i = 0;

	while (p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
		int c = 0;

		if (t->nodes[i].kind == NODE_STRUCT || t->nodes[i].kind == NODE_MAP)
			for (c = t->nodes[i].child; c; c = t->nodes[c].next)
				if (strlen(t->nodes[c].key) == n && !strncmp(t->nodes[c].key, p, n))
					break;
		if (!c)
			return -1;
		i = c;
		p += n + 1;
	}
	return i;
}

static int print_action(FILE *out, const struct tree *t, const struct action *a)
{
	int i = tree_find(t, a->path, a->len);

	if (i < 0) {
		fprintf(stderr, "%s: inspect: template: no such field: %.*s\n", PROG, (int)a->len,
			a->path);
		return -1;
	}
	if (a->json)
		json_value(out, t, i, 0, 0);
	else
		go_value(out, t, i);
	return 0;
}

/*
 * FORMAT over the tree T into OUT: the text as it is, each action
 * replaced by its value. With no tree, only the syntax is checked, before
 * anything is printed.
 */
static int template_apply(FILE *out, const char *format, const struct tree *t)
{
	const char *p = format, *open, *close;
	struct action a;

	while ((open = strstr(p, "{{"))) {
		close = strstr(open + 2, "}}");
		if (!close) {
			fprintf(stderr, "%s: inspect: template: unclosed action\n", PROG);
			return -1;
		}
		if (parse_action(open + 2, (size_t)(close - open - 2), &a) < 0) {
			fprintf(stderr,
				"%s: inspect: template: unsupported action '%.*s' (only {{.Field}} "
				"and {{json .Field}})\n",
				PROG, (int)(close + 2 - open), open);
			return -1;
		}
		if (t) {
			fwrite(p, 1, (size_t)(open - p), out);
			if (print_action(out, t, &a) < 0)
				return -1;
		}
		p = close + 2;
	}
	if (t)
		fputs(p, out);
	return 0;
}

/* FORMAT's line for one container, printed only once the whole of it has worked. */
static int template_line(const char *format, const struct tree *t)
{
	char *line = NULL;
	size_t len;
	FILE *f = open_memstream(&line, &len);
	int ret;

	if (!f) {
		fprintf(stderr, "%s: inspect: open_memstream: %m\n", PROG);
		return -1;
	}
	ret = template_apply(f, format, t);
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: inspect: out of memory\n", PROG);
		ret = -1;
	}
	if (ret == 0)
		printf("%s\n", line);
	free(line);
	return ret;
}

/* One container: an element of the JSON array (the SHOWN-th), or FORMAT's line. */
static int inspect_one(const struct record *r, const char *format, int *shown)
{
	struct tree t;

	build_tree(&t, r);
	if (t.full) {
		fprintf(stderr, "%s: inspect %s: more fields than the tree holds\n", PROG, r->id);
		return -1;
	}
	if (format)
		return template_line(format, &t);
	fputs(*shown ? ",\n    " : "\n    ", stdout);
	json_value(stdout, &t, 0, 4, 1);
	(*shown)++;
	return 0;
}

/*
 * As Docker: the array holds the containers found, each unknown one is an
 * error (exit 1); a failing FORMAT stops at the first container.
 */
int cmd_inspect(const struct store *s, int argc, char **argv)
{
	enum { OPT_HELP = 256 };
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	const char *format = NULL;
	int opt, ret = 0, shown = 0, failed = 0;
	struct record r;

	optind = 0;
	opterr = 0;
	while ((opt = next_option(argc, argv, ":f:", options)) != -1) {
		if (opt == OPT_HELP) {
			inspect_usage(stdout);
			return 0;
		}
		if (opt == '?')
			return EXIT_FAILURE;
		format = optarg;
	}
	if (optind == argc) {
		fprintf(stderr, "%s: inspect: needs a container (try '%s inspect --help')\n", PROG,
			PROG);
		return EXIT_FAILURE;
	}
	if (format && template_apply(NULL, format, NULL) < 0)
		return EXIT_FAILURE;
	if (!format)
		putchar('[');
	for (int i = optind; i < argc && !failed; i++) {
		if (record_open(s, argv[i], &r) < 0) {
			ret = EXIT_FAILURE;
			continue;
		}
		failed = inspect_one(&r, format, &shown) < 0;
		record_free(&r);
	}
	if (!format)
		fputs(shown ? "\n]\n" : "]\n", stdout);
	return failed ? EXIT_FAILURE : ret;
}

/* ---- port ---- */

static void port_usage(FILE *out)
{
	fprintf(out,
		"usage: %s port CONTAINER [PORT[/tcp]]\n"
		"List the container's published ports, or where its PORT is published.\n"
		"\n"
		"      --help   show this help\n",
		PROG);
}

/* PORT[/PROTO]: only tcp is ever published, but udp and sctp name ports too (none found). */
static int parse_port_spec(const char *spec, unsigned int *port, const char **proto)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(spec, &end, 10);
	*proto = *end == '/' ? end + 1 : "tcp";
	if (!isdigit((unsigned char)spec[0]) || errno || n < 1 || n > 65535 ||
	    (*end && *end != '/') ||
	    (strcmp(*proto, "tcp") && strcmp(*proto, "udp") && strcmp(*proto, "sctp"))) {
		fprintf(stderr, "%s: port: bad port '%s': use PORT[/tcp] (1-65535)\n", PROG, spec);
		return -1;
	}
	*port = (unsigned int)n;
	return 0;
}

/* Where PORT/PROTO is published: "127.0.0.1:34567", a line for each; exit 1 if nowhere. */
static int port_show_one(const char *ref, const struct port_map **p, size_t n, unsigned int port,
			 const char *proto)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(proto, "tcp") || p[i]->ctr_port != port)
			continue;
		printf("%s:%u\n", p[i]->host_ip, p[i]->host_port);
		found = 1;
	}
	if (!found) {
		fprintf(stderr, "%s: no public port '%u/%s' published for %s\n", PROG, port, proto,
			ref);
		return EXIT_FAILURE;
	}
	return 0;
}

int cmd_port(const struct store *s, int argc, char **argv)
{
	enum { OPT_HELP = 256 };
	static const struct option options[] = {
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	const struct port_map *p[MAX_PORTS];
	const char *proto = "tcp";
	unsigned int port = 0;
	struct record r;
	struct view v;
	int opt, ret = 0;
	size_t n;

	optind = 0;
	opterr = 0;
	opt = next_option(argc, argv, ":", options); /* --help is its only option */
	if (opt == OPT_HELP)
		port_usage(stdout);
	if (opt != -1)
		return opt == OPT_HELP ? 0 : EXIT_FAILURE;
	if (argc - optind < 1 || argc - optind > 2) {
		fprintf(stderr, "%s: port: needs CONTAINER [PORT[/tcp]] (try '%s port --help')\n",
			PROG, PROG);
		return EXIT_FAILURE;
	}
	if ((argc - optind == 2 && parse_port_spec(argv[optind + 1], &port, &proto) < 0) ||
	    record_open(s, argv[optind], &r) < 0)
		return EXIT_FAILURE;
	v = view_of(&r);
	n = live_ports(&r, &v, by_ctr_port, p);
	if (port)
		ret = port_show_one(argv[optind], p, n, port, proto);
	for (size_t i = 0; !port && i < n; i++)
		printf("%u/tcp -> %s:%u\n", p[i]->ctr_port, p[i]->host_ip, p[i]->host_port);
	record_free(&r);
	return ret;
}

/* ---- logs ---- */

static void logs_usage(FILE *out)
{
	fprintf(out,
		"usage: %s logs [-f] CONTAINER\n"
		"Print the output of a container started with 'run -d', each stream to its own.\n"
		"\n"
		"  -f, --follow   go on printing its output until it stops\n"
		"      --help     show this help\n",
		PROG);
}

/*
 * Where we are in the log, a sequence of records "S NS LEN\n" and LEN
 * bytes (S: 1 stdout, 2 stderr). A header is gathered whole; a payload is
 * passed on as it comes, so a record half-written when we reach the end
 * is simply continued at the next read.
 */
struct log_reader {
	const char *path;
	char header[64];
	size_t have;             /* bytes of the header so far */
	int fd;                  /* where the payload goes; 0 while in a header */
	unsigned long long left; /* payload bytes still to come */
};

/* write(2) all of it: a pipe may take it in parts. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: logs: write %s: %m\n", PROG,
				fd == STDOUT_FILENO ? "stdout" : "stderr");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int log_damaged(const struct log_reader *lr)
{
	fprintf(stderr, "%s: logs: %s: a record's header is damaged\n", PROG, lr->path);
	return -1;
}

/* A header just completed: where its payload goes, and how long it is. */
static int log_header(struct log_reader *lr)
{
	unsigned long long len;
	int stream, end = 0;
	long long ns;

	lr->header[lr->have] = 0;
	if (sscanf(lr->header, "%d %lld %llu%n", &stream, &ns, &len, &end) != 3 ||
	    (size_t)end != lr->have - 1 || (stream != 1 && stream != 2))
		return log_damaged(lr);
	lr->have = 0;
	lr->left = len;
	lr->fd = !len ? 0 : stream == 1 ? STDOUT_FILENO : STDERR_FILENO;
	return 0;
}

/* LEN more bytes of the log, from where the last ones left off. */
static int log_feed(struct log_reader *lr, const char *buf, size_t len)
{
	while (len) {
		size_t n;

		if (!lr->fd) {
			if (lr->have == sizeof(lr->header) - 1)
				return log_damaged(lr);
			lr->header[lr->have++] = *buf++;
			len--;
			if (buf[-1] == '\n' && log_header(lr) < 0)
				return -1;
			continue;
		}
		n = len < lr->left ? len : (size_t)lr->left;
		if (write_all(lr->fd, buf, n) < 0)
			return -1;
		buf += n;
		len -= n;
		lr->left -= n;
		if (!lr->left)
			lr->fd = 0;
	}
	return 0;
}

/* Everything the log holds past where we are, up to its end for now. */
static int log_drain(int fd, struct log_reader *lr)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (log_feed(lr, buf, (size_t)n) < 0)
			return -1;
	if (n < 0) {
		fprintf(stderr, "%s: logs: read %s: %m\n", PROG, lr->path);
		return -1;
	}
	return 0;
}

/* The inotify(7) events read: *ended once the writer has closed the log (or the watch went). */
static int log_events(int in, int *ended)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(in, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0) {
		fprintf(stderr, "%s: logs: read inotify: %m\n", PROG);
		return -1;
	}
	for (char *p = buf; p < buf + n;) {
		const struct inotify_event *e = (const struct inotify_event *)p;

		if (e->mask & (IN_CLOSE_WRITE | IN_IGNORED))
			*ended = 1;
		p += sizeof(*e) + e->len;
	}
	return 0;
}

/* Sleep until the log grows or ends: *ended when it is closed or the monitor (WRITER) exits. */
static int log_wait(int in, int writer, int *ended)
{
	struct pollfd fds[2] = {{.fd = in, .events = POLLIN}, {.fd = writer, .events = POLLIN}};

	if (poll(fds, 2, -1) < 0) {
		if (errno == EINTR)
			return 0;
		fprintf(stderr, "%s: logs: poll: %m\n", PROG);
		return -1;
	}
	if (fds[1].revents)
		*ended = 1;
	return fds[0].revents ? log_events(in, ended) : 0;
}

/*
 * -f: inotify(7) wakes us at each write (IN_MODIFY) and when the monitor's
 * descriptor closes as it exits (IN_CLOSE_WRITE); its pidfd (pidfd_open(2))
 * when it has exited, should that come between the close and our look. The
 * watch and the pidfd exist before we look whether the monitor lives and
 * read to the end, so a write or an exit after either still wakes us; a
 * monitor already gone wrote all it will before that last read. Its
 * liveness, not record_alive(): the container's PID 1 is gone before the
 * monitor has written the last of its output. A kernel without pidfds
 * (Linux < 5.3) leaves the close to end it.
 */
static int log_follow(int fd, const struct record *r, struct log_reader *lr)
{
	int in = inotify_init1(IN_CLOEXEC), writer = -1, ended = 0, ret = 0;

	if (in < 0) {
		fprintf(stderr, "%s: logs: inotify_init1: %m\n", PROG);
		return -1;
	}
	if (inotify_add_watch(in, r->log_path, IN_MODIFY | IN_CLOSE_WRITE) < 0) {
		fprintf(stderr, "%s: logs: watch %s: %m\n", PROG, r->log_path);
		close(in);
		return -1;
	}
	if (r->monitor > 0)
		writer = (int)syscall(SYS_pidfd_open, r->monitor, 0);
	for (;;) {
		int writing = !ended && record_monitor_alive(r);

		ret = log_drain(fd, lr);
		if (ret < 0 || !writing)
			break;
		ret = log_wait(in, writer, &ended);
		if (ret < 0)
			break;
	}
	if (writer >= 0)
		close(writer);
	close(in);
	return ret;
}

static int show_log(const struct record *r, int follow)
{
	struct log_reader lr = {.path = r->log_path};
	int fd = open(r->log_path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		fprintf(stderr, "%s: logs: open %s: %m\n", PROG, r->log_path);
		return -1;
	}
	ret = follow ? log_follow(fd, r, &lr) : log_drain(fd, &lr);
	close(fd);
	return ret;
}

int cmd_logs(const struct store *s, int argc, char **argv)
{
	enum { OPT_HELP = 256 };
	static const struct option options[] = {
		{"follow", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int follow = 0, opt, ret = 0;
	struct record r;

	optind = 0;
	opterr = 0;
	while ((opt = next_option(argc, argv, ":f", options)) != -1) {
		if (opt == OPT_HELP) {
			logs_usage(stdout);
			return 0;
		}
		if (opt == '?')
			return EXIT_FAILURE;
		follow = 1;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: logs: needs one container (try '%s logs --help')\n", PROG,
			PROG);
		return EXIT_FAILURE;
	}
	if (record_open(s, argv[optind], &r) < 0)
		return EXIT_FAILURE;
	if (!r.log_path[0]) {
		fprintf(stderr, "%s: logs: container %s has no log (it was not started with -d)\n",
			PROG, argv[optind]);
		ret = EXIT_FAILURE;
	} else if (show_log(&r, follow) < 0) {
		ret = EXIT_FAILURE;
	}
	record_free(&r);
	return ret;
}
