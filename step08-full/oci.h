/*
 * oci.h: minidock as an OCI runtime (runc's command line, oci.c) reading
 * an OCI bundle's config.json (oci-config.c) into the core's struct config.
 */
#ifndef MINIDOCK_OCI_H
#define MINIDOCK_OCI_H

#include <limits.h>
#include <sys/resource.h>

#include "config.h"
#include "json.h"
#include "state.h"

#define MAX_RLIMITS 16
#define OCI_VERSION "1.0.2" /* the runtime spec we follow */

/* process.rlimits: set on the container's process by the parent, prlimit(2). */
struct oci_rlimit {
	int resource;
	struct rlimit limit;
};

/* What the core does for the OCI face, beyond what struct config says (container.c's hooks). */
struct oci_runtime {
	int fifo_fd;          /* O_PATH fd of exec.fifo: the child waits on it for `start` */
	int console_fd;       /* terminal: the pty master goes to this socket, or -1 */
	struct oci_rlimit rlimits[MAX_RLIMITS];
	size_t n_rlimits;
	int has_oom_score_adj;
	int oom_score_adj;
	int has_umask;
	mode_t umask;
	int preserve_fds;     /* fds 3..3+N-1 stay open in the container */
	int tty_master;       /* the parent's copy, once the child has sent it */
	const struct json *hooks; /* config.json's hooks, checked (oci-hooks.c), or NULL */
};

/* One bundle's config.json, read and checked, as the core's struct config. */
struct oci_bundle {
	struct config cfg;
	struct oci_runtime rt;
	struct json *json;
	struct json *process_json; /* exec --process FILE's tree */
	char dir[PATH_MAX];       /* the bundle, absolute */
	char rootfs[PATH_MAX];    /* root.path, absolute, resolved */
	char *args[MAX_ARGS + 1];
	char *env[MAX_ENV + 1];
	char cwd[PATH_MAX];
	char sources[MAX_MOUNTS][PATH_MAX];
	char data[MAX_MOUNTS][512];
	char devices[MAX_DEVICES][64];
};

/* oci-config.c; oci_warnings 0: no warnings (exec reads the bundle again) */
extern int oci_warnings;
extern int oci_systemd_cgroup; /* --systemd-cgroup: cgroupsPath is SLICE:PREFIX:NAME */
int oci_bundle_load(const char *dir, struct oci_bundle *b);
void oci_bundle_free(struct oci_bundle *b);
int oci_write_spec(const char *dir);
int oci_read_process_file(const char *path, struct oci_bundle *b);
int oci_read_resources_file(const char *path, struct resources *r);
int oci_signal_number(const char *name);

/* oci-hooks.c */
int oci_check_hooks(const struct json *hooks);
int oci_run_hooks(const struct json *hooks, const char *kind, const char *state);

/* oci.c: the face, and the core's hooks (container.c) */
int oci_main(int argc, char **argv);
int oci_parent_before_release(const struct config *cfg, pid_t child);
int oci_child_wait_for_start(const struct config *cfg, int sync_fd);
int oci_parent_created(const struct config *cfg, pid_t child, int tty_master);
void oci_send_console(const struct config *cfg, int tty_master);
char *oci_creating_state(pid_t child); /* the state JSON while the child is set up */
char *oci_agent_state(pid_t child);

/* main.c's commands: `minidock oci ...` and `minidock spec` */
struct store;
int cmd_oci(const struct store *s, int argc, char **argv);
int cmd_spec(const struct store *s, int argc, char **argv);

/* image-archive.c: images from docker save and OCI archives */
int cmd_load(const struct store *s, int argc, char **argv);
int cmd_save(const struct store *s, int argc, char **argv);

#endif
