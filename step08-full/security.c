/*
 * security.c: what the container's processes may still do, once they are
 * isolated. Four locks, applied by the child in this order just before
 * exec (container.c): the capability sets (capabilities(7)), no_new_privs
 * (prctl(2)), the file descriptors it inherits, and a seccomp filter
 * (seccomp(2)) written by hand in classic BPF. The defaults are Docker's,
 * plus no_new_privs as runc's default spec sets it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "minidock.h"

/* The names capabilities(7) gives, indexed by number, for --cap-add/--cap-drop. */
static const char *const cap_names[] = {
	"CHOWN",          "DAC_OVERRIDE",    "DAC_READ_SEARCH", "FOWNER",
	"FSETID",         "KILL",            "SETGID",          "SETUID",
	"SETPCAP",        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN",      "NET_RAW",         "IPC_LOCK",        "IPC_OWNER",
	"SYS_MODULE",     "SYS_RAWIO",       "SYS_CHROOT",      "SYS_PTRACE",
	"SYS_PACCT",      "SYS_ADMIN",       "SYS_BOOT",        "SYS_NICE",
	"SYS_RESOURCE",   "SYS_TIME",        "SYS_TTY_CONFIG",  "MKNOD",
	"LEASE",          "AUDIT_WRITE",     "AUDIT_CONTROL",   "SETFCAP",
	"MAC_OVERRIDE",   "MAC_ADMIN",       "SYSLOG",          "WAKE_ALARM",
	"BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",         "BPF",
	"CHECKPOINT_RESTORE",
};
#define N_CAP_NAMES (int)(sizeof(cap_names) / sizeof(cap_names[0]))

/* "NET_ADMIN", "cap_net_admin": the number; -1 if unknown, 64 for ALL. */
int parse_capability(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	if (!strcasecmp(name, "ALL"))
		return 64;
	for (int i = 0; i < N_CAP_NAMES; i++)
		if (!strcasecmp(name, cap_names[i]))
			return i;
	return -1;
}

/*
 * Docker's 14: enough for a package manager and a typical service running
 * as root (chown files, bind port 80, switch users), not enough to load
 * modules, mount, trace other processes or change the clock.
 */
uint64_t default_capabilities(void)
{
	static const int caps[] = {
		CAP_CHOWN,  CAP_DAC_OVERRIDE,     CAP_FSETID,     CAP_FOWNER,
		CAP_MKNOD,  CAP_NET_RAW,          CAP_SETGID,     CAP_SETUID,
		CAP_SETFCAP, CAP_SETPCAP,         CAP_NET_BIND_SERVICE,
		CAP_SYS_CHROOT, CAP_KILL,         CAP_AUDIT_WRITE,
	};
	uint64_t set = 0;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		set |= 1ULL << caps[i];
	return set;
}

/* The highest capability this kernel knows; newer ones than our table included. */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = -1;

	if (!f || fscanf(f, "%d", &last) != 1 || last < 0 || last > 63) {
		fprintf(stderr, "%s: read /proc/sys/kernel/cap_last_cap: %m\n", PROG);
		last = -1;
	}
	if (f)
		fclose(f);
	return last;
}

/*
 * The bounding set limits what any later execve(2) can gain, even from a
 * setuid-root or file-capability binary; dropping needs CAP_SETPCAP, so
 * this runs while we are still fully privileged, before changing user.
 * Ambient capabilities would survive an exec as non-root: clear them.
 */
int drop_capabilities(const struct capabilities *caps)
{
	int last = last_cap(), dropped = 0;

	if (last < 0)
		return -1;
	/* WORKSHOP step08-capbset: drop each capability not in caps->bounding */
	for (int cap = 0; cap <= last; cap++) {
		if (caps->bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			fprintf(stderr, "%s: prctl PR_CAPBSET_DROP %d: %m\n", PROG, cap);
			return -1;
		}
		dropped++;
	}
	/* END WORKSHOP */
	narrate("prctl(PR_CAPBSET_DROP, CAP) = 0: each CAP not in the bounding set %#llx "
		"[capabilities(7)] ×%d", (unsigned long long)caps->bounding, dropped);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		fprintf(stderr, "%s: prctl PR_CAP_AMBIENT_CLEAR_ALL: %m\n", PROG);
		return -1;
	}
	narrate("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL) = 0 [prctl(2)]");
	return 0;
}

/*
 * capset(2) sets effective, permitted and inheritable at once (64 bits as
 * two 32-bit halves, _LINUX_CAPABILITY_VERSION_3). After setuid(2) to a
 * non-root user the kernel has already emptied permitted, so only what is
 * still held can be kept.
 */
int apply_capabilities(const struct capabilities *caps)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {{0}};
	uint64_t eff = caps->effective, prm = caps->permitted, inh = caps->inheritable, held;

	if (syscall(SYS_capget, &hdr, data) < 0) {
		fprintf(stderr, "%s: capget: %m\n", PROG);
		return -1;
	}
	/* "ALL" means all we hold: capset refuses to raise what we do not have. */
	held = data[0].permitted | (uint64_t)data[1].permitted << 32;
	eff &= held;
	prm &= held;
	inh &= held;
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(eff >> (32 * i));
		data[i].permitted = (uint32_t)(prm >> (32 * i));
		data[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0) {
		fprintf(stderr, "%s: capset: %m\n", PROG);
		return -1;
	}
	narrate("capset(eff=%#llx, prm=%#llx, inh=%#llx) = 0 [capset(2)]",
		(unsigned long long)eff, (unsigned long long)prm, (unsigned long long)inh);
	return 0;
}

/*
 * no_new_privs: execve(2) can never grant more than we have, so a setuid
 * binary or file capabilities inside the image gain nothing. Inherited by
 * every descendant and irreversible (prctl(2), PR_SET_NO_NEW_PRIVS).
 */
int set_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_NO_NEW_PRIVS: %m\n", PROG);
		return -1;
	}
	narrate("prctl(PR_SET_NO_NEW_PRIVS, 1) = 0 [prctl(2)]");
	return 0;
}

/*
 * Non-dumpable: /proc/PID/exe, /proc/PID/mem and ptrace of this process
 * need CAP_SYS_PTRACE, which nothing in the container has. Without it, a
 * process inside could open our binary through /proc/PID/exe and overwrite
 * it on the host (CVE-2019-5736). execve(2) makes CMD dumpable again, but
 * CMD's exe is then its own program, not minidock.
 */
int make_undumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_DUMPABLE: %m\n", PROG);
		return -1;
	}
	narrate("prctl(PR_SET_DUMPABLE, 0) = 0: nothing inside may open our /proc/PID/exe "
		"[prctl(2)]");
	return 0;
}

/* Where close_range(2) is missing (before 5.11): mark, or close, each open fd by hand. */
static int each_fd(int close_them)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self, fd;

	if (!d) {
		fprintf(stderr, "%s: opendir /proc/self/fd: %m\n", PROG);
		return -1;
	}
	self = dirfd(d);
	while ((e = readdir(d))) {
		fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd < 3 || fd == self)
			continue;
		if (close_them ? close(fd) < 0 : fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			fprintf(stderr, "%s: %s %d: %m\n", PROG, close_them ? "close" : "fcntl FD_CLOEXEC",
				fd);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/*
 * Only 0, 1 and 2 may reach the container: any other inherited fd (a
 * directory, a socket of the host's) is a way out. CLOSE_RANGE_CLOEXEC
 * marks rather than closes, so our channel to the parent stays open
 * until the execve(2) that closes it.
 */
int close_host_fds(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
		narrate("close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) = 0: no host fd reaches CMD "
			"[close_range(2)]");
		return 0;
	}
	if (errno != ENOSYS && errno != EINVAL) {
		fprintf(stderr, "%s: close_range: %m\n", PROG);
		return -1;
	}
	narrate("close_range: %m; marking each fd close-on-exec instead [fcntl(2)]");
	return each_fd(0);
}

/*
 * --init never execs, so close-on-exec never closes anything for it, and
 * whatever it inherited (a test runner's pipe, the log, a published
 * port's socket) would stay open as long as the container: it closes
 * every fd above 2 itself.
 */
int close_other_fds(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, 0) == 0) {
		narrate("close_range(3, ~0U, 0) = 0 [close_range(2)]");
		return 0;
	}
	if (errno != ENOSYS && errno != EINVAL) {
		fprintf(stderr, "%s: close_range: %m\n", PROG);
		return -1;
	}
	return each_fd(1);
}

/* ---- seccomp ---- */

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "minidock's seccomp filter knows x86_64 and aarch64 only"
#endif

/*
 * What Docker's default profile refuses to a container without
 * CAP_SYS_ADMIN: kernel keyrings, modules, kexec, the clock, swap,
 * accounting, quotas, BPF and perf (kernel attack surface), io_uring and
 * userfaultfd (exploit helpers), open_by_handle_at (the "shocker" escape
 * past the mount namespace), and everything that makes namespaces or
 * mounts: a container must not rebuild its own walls.
 */
static const int eperm_syscalls[] = {
	SYS_keyctl,          SYS_add_key,        SYS_request_key,
	SYS_kexec_load,      SYS_kexec_file_load, SYS_userfaultfd,
	SYS_io_uring_setup,  SYS_io_uring_enter, SYS_io_uring_register,
	SYS_open_by_handle_at, SYS_init_module,  SYS_finit_module,
	SYS_delete_module,   SYS_reboot,         SYS_swapon,
	SYS_swapoff,         SYS_acct,           SYS_bpf,
	SYS_perf_event_open, SYS_quotactl,       SYS_quotactl_fd,
	SYS_settimeofday,    SYS_clock_settime,  SYS_clock_adjtime,
	SYS_adjtimex,        SYS_lookup_dcookie, SYS_fanotify_init,
	SYS_mount,           SYS_umount2,        SYS_pivot_root,
	SYS_unshare,         SYS_setns,          SYS_fsopen,
	SYS_fsconfig,        SYS_fsmount,        SYS_fspick,
	SYS_move_mount,      SYS_open_tree,      SYS_mount_setattr,
	SYS_vhangup,         SYS_syslog,
#ifdef __x86_64__
	SYS_iopl,            SYS_ioperm,         SYS_uselib,
	SYS_ustat,           SYS_sysfs,          SYS__sysctl,
	SYS_create_module,   SYS_get_kernel_syms, SYS_query_module,
	SYS_nfsservctl,
#endif
};
#define N_EPERM (sizeof(eperm_syscalls) / sizeof(eperm_syscalls[0]))

/* The flags that make new namespaces; CLONE_NEWTIME shares clone's CSIGNAL bits. */
#define CLONE_NEW_FLAGS                                                           \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
	 CLONE_NEWNET | CLONE_NEWCGROUP)

/* The low 32 bits of clone's first argument, where all CLONE_NEW* flags live. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CLONE_FLAGS_OFFSET offsetof(struct seccomp_data, args[0])
#else
#define CLONE_FLAGS_OFFSET (offsetof(struct seccomp_data, args[0]) + 4)
#endif

/* Jump offsets are relative to the next instruction: from at to target. */
static unsigned char hop(size_t at, size_t target)
{
	return (unsigned char)(target - at - 1);
}

/*
 * The program, in the order the kernel runs it (seccomp_data is the input):
 *   wrong architecture, or an x32 number  -> kill the process
 *   one of eperm_syscalls                 -> EPERM
 *   clone3                                -> ENOSYS: its flags are in memory, where
 *                                            BPF cannot look, and glibc falls back to
 *                                            clone(2) on ENOSYS only (EPERM would break
 *                                            pthread_create)
 *   clone with any CLONE_NEW* flag        -> EPERM
 *   anything else                         -> allowed
 */
/*
 * Every filter's first six instructions (a profile's too, seccomp-profile.c):
 * numbers mean something only in the architecture they were made for, so
 * another one is killed; the syscall number is left in the accumulator.
 */
size_t seccomp_prologue(struct sock_filter *f)
{
	size_t n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	/* x32 system calls are x86_64 numbers with bit 30 set: a second table. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	return n;
}

static size_t build_filter(struct sock_filter *f)
{
	const size_t eperm_checks = 6 + (size_t)N_EPERM;
	const size_t clone_check = eperm_checks + 2;
	const size_t ret_eperm = clone_check + 2, ret_enosys = ret_eperm + 1,
		     ret_allow = ret_enosys + 1;
	size_t n = seccomp_prologue(f);

	for (size_t i = 0; i < N_EPERM; i++, n++)
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						    (unsigned)eperm_syscalls[i],
						    hop(n, ret_eperm), 0);
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3,
					    hop(n, ret_enosys), 0);
	n++;
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone,
					    hop(n, clone_check), hop(n, ret_allow));
	n++;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, CLONE_FLAGS_OFFSET);
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_FLAGS,
					    hop(n, ret_eperm), hop(n, ret_allow));
	n++;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

/*
 * Installing a filter needs no_new_privs or CAP_SYS_ADMIN (seccomp(2)),
 * and it stays for every descendant, across execve(2).
 */
int install_seccomp(const struct sock_fprog *profile)
{
	/* WORKSHOP step08-seccomp: install the filter build_filter() writes */
	struct sock_filter filter[N_EPERM + 16];
	struct sock_fprog prog = {.filter = filter};

	prog.len = (unsigned short)build_filter(filter);
	if (profile)
		prog = *profile;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
		fprintf(stderr, "%s: prctl PR_SET_SECCOMP: %m\n", PROG);
		return -1;
	}
	narrate("prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, %u instructions) = 0 [seccomp(2)]",
		prog.len);
	return 0;
	/* END WORKSHOP */
}
