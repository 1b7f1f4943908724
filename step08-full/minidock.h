/*
 * minidock.h: what the files of minidock share: the program name, the exit
 * codes, the -D narration (narrate.c) and a few file helpers (util.c), and each
 * mechanism's entry points, one section per file.
 */
#ifndef MINIDOCK_H
#define MINIDOCK_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "state.h"

/* Messages start with the name we were run as (errno.h's GNU extension), as GNU tools do. */
#define PROG program_invocation_short_name

/* Exit codes, as docker run uses them. */
enum {
	EXIT_TOOL = 125,     /* our own error */
	EXIT_CANNOT_EXEC = 126,
	EXIT_NOT_FOUND = 127,
};

/* Docker's CFS period: --cpus 0.2 = 20000 us of it. */
#define CPU_PERIOD_US 100000

/* util.c */
extern int debug;
void narrate(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void narrate_flush(void);
void narrate_as(const char *who);
int narrate_fork_prepare(void);
void narrate_fork_done(pid_t child);
void narrate_forked(const char *who);
void fault_point(const char *name);
const char *mount_flag_names(unsigned long flags, char *buf, size_t len);
int make_dir(const char *path, mode_t mode);
ssize_t send_with_fd(int sock, void *data, size_t len, int fd, int flags);
pid_t fork_with_pipe(int p[2]);
int make_dirs(const char *path, mode_t mode);
int passwd_name(unsigned int uid, char *out, size_t len);
int lock_path(const char *path, int flags);
int write_file(const char *path, const char *text);
int write_file_atomic(const char *path, const char *text);
int write_pid_file(const char *path, pid_t pid, int newline);
int remove_tree(const char *path);
int join_path(char *out, size_t len, const char *a, const char *b);
int read_small_file(const char *path, char *buf, size_t len);
unsigned long long process_start_time(pid_t pid);
int process_is(pid_t pid, unsigned long long start);

/* store.c: where images, layers and containers live. */
struct store {
	char lib[4096];      /* images, layers, writable layers */
	char run[4096];      /* runtime state */
	char root[4096];     /* --root as given, "" for the default */
	char exec_root[4096]; /* --exec-root as given, "" for the default */
};
struct image {
	char name[256];
	char layers[32][4096]; /* top first, absolute */
	size_t n_layers;
	char *cmd[64];
	size_t n_cmd;
	char *env[64];
	size_t n_env;
	char workdir[4096];
	char user[64];         /* UID[:GID] from a loaded image's config, or "" */
};
struct container {
	char id[65];
	char name[256];
	char state_dir[4096];  /* <run>/containers/<id> */
	char layer_dir[4096];  /* <lib>/containers/<id>: upper and work */
	char upper[4096], work[4096], rootfs[4096];
	int named;
};
int store_open(struct store *s, const char *root, const char *exec_root);
int valid_name(const char *name, const char *what);
int new_id(char id[65]);
int image_load(const struct store *s, const char *name, struct image *img);
void image_free(struct image *img);
int container_create(const struct store *s, const char *name, int rm, struct container *c);
void prune_stale_names(const struct store *s);
int layer_lock(const char *layer, int wait);
int prune_layers(const struct store *s);
void container_destroy(const struct store *s, struct container *c);
int container_set_owner(const struct container *c, int rm);
int container_reopen(const struct store *s, const char *id, const char *name, struct container *c);
int cmd_import(const struct store *s, int argc, char **argv);
int cmd_images(const struct store *s, int argc, char **argv);
int cmd_rmi(const struct store *s, int argc, char **argv);

/* import.c: a tarball or a directory becomes a layer directory. */
int import_tar(const char *file, const char *layer);
int import_dir(const char *dir, const char *layer);

/* run.c */
int cmd_run(const struct store *s, int argc, char **argv);

/* ports.c: -p */
int ports_parse(const char *spec, struct port_map *p);
int ports_bind(struct port_map *p);

/* lifecycle.c: stop, kill, rm, prune; exec.c: exec */
int cmd_stop(const struct store *s, int argc, char **argv);
int cmd_kill(const struct store *s, int argc, char **argv);
int cmd_rm(const struct store *s, int argc, char **argv);
int cmd_prune(const struct store *s, int argc, char **argv);
int cmd_exec(const struct store *s, int argc, char **argv);
int run_exec(const struct config *cfg, const struct record *r);

/* inspect.c: ps, inspect, port, logs */
int cmd_ps(const struct store *s, int argc, char **argv);
int cmd_inspect(const struct store *s, int argc, char **argv);
int cmd_port(const struct store *s, int argc, char **argv);
int cmd_logs(const struct store *s, int argc, char **argv);

/* resources.c: pause, unpause, stats, top; commit.c: commit */
int cmd_pause(const struct store *s, int argc, char **argv);
int cmd_unpause(const struct store *s, int argc, char **argv);
int cmd_stats(const struct store *s, int argc, char **argv);
int cmd_top(const struct store *s, int argc, char **argv);
int cmd_commit(const struct store *s, int argc, char **argv);
int container_freeze(const struct record *r, int frozen);
int container_finish(const struct store *s, struct record *r, int code, int rm);

/* container.c: the core that executes a struct config; exec.c shares its last steps. */
int container_run(const struct config *cfg);
int set_stdio(const struct config *cfg, int sync_fd);
int lock_down(const struct config *cfg, int sync_fd);
int read_reports(const struct config *cfg, pid_t child, int sync_fd, pid_t *exec_pid);
void relay_terminal(const struct config *cfg);

/* rootfs.c, in the child; root_mnt: the parent's overlay, or -1 */
int make_state_fs(void);
int attach_rootfs(const struct config *cfg, int root_mnt, const int *trees);
int fill_rootfs(const struct config *cfg);
int enter_rootfs(const struct config *cfg);

/* overlay.c */
int overlay_create(const struct root *root, const char *const *layers);
int overlay_attach(int mnt, const char *path);
int overlay_init_layer(struct root *root, char path[4096]);

/* security.c */
int parse_capability(const char *name);
uint64_t default_capabilities(void);
int drop_capabilities(const struct capabilities *caps);
int apply_capabilities(const struct capabilities *caps);
int set_no_new_privs(void);
/* users.c: -u USER[:GROUP], names looked up in the container's root */
int parse_user_spec(const char *spec, struct process *p);
void user_spec_of(const struct process *p, char *out, size_t len);
int resolve_user(const struct process *p, uid_t *uid, gid_t *gid, gid_t *groups, size_t *n);

/* join.c */
int joins_open(struct joins *j, const char *path, int type);
int joins_type(const struct joins *j);
int joins_fd(const struct joins *j, int type);
int joins_enter(const struct joins *j, int *own_pid_ns);
int joins_enter_userns(const struct joins *j);
int joins_enter_cgroup(const struct joins *j);
int joins_return(int own_pid_ns);
void joins_close(struct joins *j);

struct sock_filter;
struct sock_fprog;
int install_seccomp(const struct sock_fprog *profile); /* NULL: the default filter */
size_t seccomp_prologue(struct sock_filter *f);
/* seccomp-profile.c: an OCI seccomp profile as a filter (one malloc'd block), or NULL. */
struct json;
struct seccomp_profile *seccomp_compile(const struct json *profile, const char *what);
int seccomp_notifies(const struct seccomp_profile *sp); /* SCMP_ACT_NOTIFY: an agent answers */
int seccomp_install_profile(const struct seccomp_profile *sp, int sync_fd);
int seccomp_send_listener(const struct config *cfg, pid_t child, int listener);
int close_host_fds(void);
int close_other_fds(void);
int make_undumpable(void);

/* cgroups.c */
int parse_size(const char *s, long long *out);
int parse_cpus(const char *s, long long *quota);
int parse_count(const char *opt, const char *s, long long min, long long max, long long *out);
int check_cgroup_parent(const char *path);
int cgroups_device_policy(void);
int cgroups_plan(const struct config *cfg);
int cgroups_before_clone(void);
int cgroups_create(const struct config *cfg);
pid_t cgroups_clone(int (*fn)(void *), void *arg, int flags);
int cgroups_join(void);
void cgroups_report(const struct config *cfg);
void cgroups_remove(void);
void cgroups_return(void);
int cgroups_oom_killed(void);
size_t cgroups_places(struct cgroup_place *out, size_t max);
int cgroups_remove_place(const struct cgroup_place *p);
int cgroups_place_oom(const struct cgroup_place *p);
void cgroups_prune(void);

/* devices.c: the device policy on cgroup v2, a BPF program. */
int devices_bpf_usable(void);
int devices_bpf_attach(const struct config *cfg, int cgroup_fd, const char *dir);

/* net.c */
int net_parse(const char *mode, const char *bridge, const char *subnet, const char *ip,
	      struct network *out);
int net_setup(const struct config *cfg, pid_t child);
void net_release(void);
int net_lease_fd(void);
int net_keep_lease(int fd);
void net_describe(char ip[16], char bridge[16]);
void net_forget(const char *bridge, const char *ip_text, pid_t pid);
void net_prune(void);
int cmd_network(const struct store *s, int argc, char **argv);
int net_check_dns(const char *const *dns, size_t n);
void net_resolv_conf(int bridged, const char *const *dns, size_t n_dns, char *out, size_t len);
extern int net_ip_masq, net_ip_forward;

/* nft.c: nf_tables batches (list before nft_begin: they share a buffer) */
struct nft_rule_info {
	char table[32], chain[32];
	unsigned long long handle;
	char comment[128];
};
typedef void (*nft_rule_fn)(const struct nft_rule_info *r, void *arg);
int nft_available(void);
int nft_list_rules(const char *table, nft_rule_fn fn, void *arg);
int nft_list_tables(nft_rule_fn fn, void *arg);
void nft_begin(void);
void nft_add_nat_table(const char *table);
void nft_add_masquerade(const char *table, uint32_t subnet, int prefix, const char *bridge);
void nft_add_dnat(const char *table, const char *bridge, uint32_t host_ip, unsigned int host_port,
		  uint32_t ip, unsigned int port, const char *comment);
void nft_del_rule(const char *table, const char *chain, uint64_t handle);
void nft_del_table(const char *table);
int nft_commit(void);

/* userns.c */
int userns_parse(const char *mode, const char *const *uidmaps, size_t n_uid,
		 const char *const *gidmaps, size_t n_gid, struct config *cfg);
unsigned int userns_host_id(const struct id_map *map, size_t n, unsigned int id);
int userns_root_tree(const struct config *cfg, pid_t child, int *mnt);
int userns_write_maps(const struct config *cfg, pid_t child);
int userns_become_root(const struct config *cfg);
int userns_any(const struct config *cfg);
int userns_maps_match(const struct config *cfg);
int userns_send_trees(const struct config *cfg, pid_t child, int sync_fd, int root_mnt);
int userns_receive_trees(const struct config *cfg, int sync_fd, int *root_mnt, int *trees);

/* monitor.c: run -d's monitor */
void monitor_ready(const struct config *cfg, int code);
int monitor_run(const struct config *cfg, pid_t child, const char *ip);
void monitor_exec(const struct config *cfg, pid_t child);
int cmd_monitor(const struct store *s, int argc, char **argv);

/* tty.c */
int tty_size_fd(void);
int tty_child_setup(int sync_fd);
int tty_relay(int master, int stdin_open);
void tty_restore(void);

/* init.c */
int run_init(const struct config *cfg, int sync_fd);
int exec_command(const struct config *cfg, int sync_fd);
int report_failure(int sync_fd, int exec_failed);

#endif
