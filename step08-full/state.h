/*
 * state.h: what minidock remembers about a container between commands,
 * in two small text files of its state directory (state.c):
 *
 *   config  fixed when it is created: image, command, environment, user,
 *           capabilities, published ports (run.c writes it once)
 *   state   what changes as it runs: status, PIDs, times, exit code,
 *           address, cgroups (its monitor rewrites it, container.c)
 *
 * Both are "key=value" lines, replaced whole (temp file + rename(2)), so a
 * reader sees the old file or the new one, never half of one.
 */
#ifndef MINIDOCK_STATE_H
#define MINIDOCK_STATE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/*
 * A command's arguments and environment: far more than any real command
 * needs; past them a run is refused with one line naming the limit. The
 * kernel's own limit (ARG_MAX, execve(2)) is on their total size.
 */
#define MAX_ARGS 1024
#define MAX_ENV 1024
#define MAX_CGROUPS 8

/* -p: a host address and port the monitor listens on, and where it forwards. */
struct port_map {
	char host_ip[16];     /* dotted IPv4; "0.0.0.0" for every address */
	unsigned int host_port; /* 0 until bound: the kernel picks one */
	unsigned int ctr_port;
};

/* One of the container's cgroups: a controller (or "unified"), its version, its directory. */
struct cgroup_place {
	char controller[16];
	int v2;
	int parents_ours;     /* how many of its parents go once empty: minidock/ (no --cgroup-parent), cgroupsPath's levels */
	char dir[PATH_MAX];
};

struct record {
	/* config */
	char id[65], name[256], image[256];
	long long created;         /* ns since the epoch */
	char *args[MAX_ARGS + 1];  /* NULL-terminated */
	size_t n_args;
	char *env[MAX_ENV + 1];
	size_t n_env;
	char user[130];            /* USER[:GROUP] as -u gave it, names unresolved (users.c) */
	uint64_t caps;             /* bounding = effective = permitted */
	int seccomp, no_new_privs, tty, detached, userns;
	long long memory, pids_limit, cpu_quota;
	struct port_map ports[MAX_PORTS];
	size_t n_ports;
	/* state */
	char status[16];           /* created, running, exited */
	pid_t pid;                 /* the container's PID 1, as the host sees it */
	unsigned long long pid_start;
	long long started, finished;
	int exit_code;             /* -1: unknown (its monitor died) */
	int oom_killed;
	char ip[16];
	char bridge[16];
	size_t n_cgroups;
	/* owner: the process responsible for it (run, or run -d's monitor) */
	pid_t monitor;
	unsigned long long monitor_start;
	int rm;
	/*
	 * The long ones last: record_read clears what comes before them and
	 * only their first bytes, since run -d's monitor pays for every page
	 * it touches (its PSS).
	 */
	char cwd[PATH_MAX];
	char log_path[PATH_MAX];   /* run -d: the monitor's log of the output */
	struct cgroup_place cgroups[MAX_CGROUPS];
};

struct store;

long long now_ns(void);
void record_free(struct record *r);
int record_add_string(char **list, size_t *n, size_t max, const char *value);
int config_write(const char *state_dir, const struct record *r);
int state_write(const char *state_dir, const struct record *r);
int record_read(const struct store *s, const char *id, struct record *r);
int resolve_container(const struct store *s, const char *ref, char id[65]);
int record_open(const struct store *s, const char *ref, struct record *r);
int record_alive(const struct record *r);
int record_monitor_alive(const struct record *r);
int record_paused(const struct record *r);
const char *record_status(const struct record *r);
const struct cgroup_place *record_cgroup(const struct record *r, const char *controller);
int lock_container(const struct store *s, const char *id);

#endif
