/*
 * config.h: what one container is, as plain data.
 *
 * The shape follows the OCI runtime-spec's config.json (process, root,
 * hostname, mounts, linux.*): `minidock run` turns an image and Docker-style
 * flags into a struct config, the way Docker hands runc a bundle, and the
 * core (container.c and the mechanism files) reads nothing else. A later
 * chapter fills the same structure from a config.json.
 */
#ifndef MINIDOCK_CONFIG_H
#define MINIDOCK_CONFIG_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_MOUNTS 64
#define MAX_DEVICES 16
#define MAX_ID_MAPS 64 /* 64 lines of at most 34 bytes: one page, one write */
#define MAX_PATHS 32
#define MAX_LAYERS 32
#define MAX_PORTS 16

/* process.capabilities: one bit per CAP_* number (capabilities(7)). */
struct capabilities {
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

#define MAX_GROUPS 32

/* process: what runs, as whom, with which environment. */
struct process {
	char **args;          /* the command and its arguments */
	char **env;           /* "KEY=value" strings, NULL-terminated */
	const char *cwd;      /* absolute, inside the container */
	uid_t uid;
	gid_t gid;
	char user_name[64], group_name[64]; /* -u NAME[:GROUP]: looked up inside (users.c) */
	gid_t groups[MAX_GROUPS]; /* supplementary groups (OCI additionalGids) */
	size_t n_groups;
	int terminal;         /* a pty from the container's devpts (-t) */
	int stdin_open;       /* keep stdin attached (-i); else /dev/null */
	struct capabilities caps;
	int no_new_privileges;
	int init;             /* minidock: a tiny init as PID 1 (--init) */
	int stdout_fd, stderr_fd; /* CMD's stdout and stderr (run -d: pipes to the monitor); -1: ours */
};

/*
 * root: the container's root filesystem. With layers, it is an overlay of
 * them plus a writable upper layer, mounted at path inside the container's
 * mount namespace (Docker's graph driver does this before runc runs; we do
 * it in the container's own namespace, so the host never sees the mount).
 */
struct root {
	const char *path;     /* absolute; the mount point when layered */
	int readonly;
	const char *layers[MAX_LAYERS]; /* lower layers, top first */
	size_t n_layers;
	const char *upper, *work; /* the writable layer */
	int volatile_upper;   /* it goes at exit (--rm): never sync it */
};

/* mounts[]: done in order, after the root is in place. */
struct mount_spec {
	const char *destination; /* inside the container, resolved in its root */
	const char *source;
	const char *type;        /* NULL for a bind mount */
	unsigned long flags;     /* MS_* (mount(2)) */
	const char *data;        /* filesystem options */
	int readonly;            /* bind: remount read-only, submounts too */
	int idmap;               /* bind: seen through the container's id maps */
	int is_file;             /* bind of a file: the destination is a file */
};

/* linux.devices: the nodes created in /dev and allowed by the device policy. */
struct device_spec {
	const char *path;        /* below /dev */
	char type;               /* 'c' or 'b' */
	unsigned int major, minor;
};

/* linux.uidMappings / gidMappings (user_namespaces(7)). */
struct id_map {
	unsigned int container_id, host_id, size;
};

/* linux.resources: 0 means no limit. */
struct resources {
	long long memory;        /* bytes */
	long long cpu_quota;     /* microseconds per period */
	long long cpu_period;    /* microseconds */
	long long cpu_shares;
	long long pids_limit;
};

/* minidock's networking, which OCI leaves to hooks (Docker's libnetwork). */
enum network_mode { NET_BRIDGE, NET_NONE, NET_HOST };

struct network {
	enum network_mode mode;
	const char *bridge;     /* the host bridge's name */
	uint32_t subnet;        /* its network address (host byte order) */
	int prefix;             /* and prefix length */
	uint32_t ip;            /* the container's address, 0: the allocator picks */
	const char *hosts_file; /* gets "ADDR NAME" once the address is known */
};

/*
 * Namespaces the child is born in instead of new ones (join.c): a running
 * container's, or an OCI bundle's linux.namespaces[].path.
 */
#define MAX_JOINS 6
struct joins {
	int fds[MAX_JOINS];
	int types[MAX_JOINS];   /* CLONE_NEWNET, _NEWIPC, _NEWUTS, _NEWPID, _NEWUSER, _NEWCGROUP */
	size_t n;
};

struct record;
struct oci_runtime;
struct seccomp_profile;

struct config {
	struct process process;
	struct root root;
	const char *hostname;
	struct mount_spec mounts[MAX_MOUNTS];
	size_t n_mounts;
	struct {
		int namespaces;          /* CLONE_NEW* flags (namespaces(7)) */
		struct id_map uid_maps[MAX_ID_MAPS], gid_maps[MAX_ID_MAPS];
		size_t n_uid_maps, n_gid_maps;
		struct resources resources;
		struct device_spec devices[MAX_DEVICES];
		size_t n_devices;
		int seccomp;             /* a filter on (1) or off */
		struct seccomp_profile *seccomp_profile; /* a profile's filter, or NULL: the default */
		const char *masked_paths[MAX_PATHS];
		size_t n_masked;
		const char *readonly_paths[MAX_PATHS];
		size_t n_readonly;
		const char *cgroups_path; /* the parent of the container's cgroup */
		char cgroup_name[PATH_MAX]; /* OCI cgroupsPath: the container's cgroup beneath minidock/, or "" */
		struct joins joins;
	} linux;
	/* minidock's runtime side: the container's identity and files. */
	const char *id;
	const char *state_dir;
	int state_fs;             /* a detached tmpfs the child attaches over state_dir, or -1 */
	int remove;               /* --rm: state_dir goes at exit */
	const char *pid_file;
	int exec_detach;          /* OCI exec -d: CMD is left to our caller's subreaper, unwaited */
	struct network network;
	struct record *record;    /* what the state file says, kept up to date (state.h) */
	struct detached *detached; /* run -d: the monitor's side (monitor.c), or NULL */
	const struct oci_runtime *oci; /* the OCI face's extra steps (oci.h), or NULL */
};

/*
 * run -d: the process that runs the core stays as the container's monitor.
 * It tells the waiting `run -d` how the start went, relays CMD's output
 * into the log and runs the proxies of the published ports.
 */
struct detached {
	const char *store_root;   /* --root and --exec-root, for the monitor's re-exec */
	const char *exec_root;    /* ("" for the defaults) */
	int ready_fd;             /* gets the start's exit code: 0, the container runs */
	int log_fd;               /* the log: records of output (monitor.c) */
	int own_log_fd;           /* the monitor's own messages, once the caller has gone */
	int out_fd, err_fd;       /* the read ends of CMD's stdout and stderr */
	int listen_fds[MAX_PORTS];       /* -p: listening sockets, one per published port */
	unsigned int ctr_ports[MAX_PORTS];
	size_t n_ports;
};

#endif
