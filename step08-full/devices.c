/*
 * devices.c: the device policy on cgroup v2, a BPF program (bpf(2)).
 *
 * cgroup v2 has no devices controller. Instead, a program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to a cgroup runs each time one of
 * its processes opens a device node or makes one with mknod(2); when it
 * returns 0, the kernel refuses with EPERM. We write that program by hand,
 * as raw struct bpf_insn from <linux/bpf.h>, with the rules cgroups.c
 * writes to v1's devices.allow: mknod of any node, reading and writing
 * only the harmless devices, /dev/ptmx and the ptys. Then we load it
 * (BPF_PROG_LOAD: the kernel's verifier checks it) and attach it to the
 * container's cgroup (BPF_PROG_ATTACH), before the child is inside.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "minidock.h"

/* The registers the program keeps the access in (R1 holds the context). */
enum { R0, R1, R2_TYPE, R3_ACCESS, R4_MAJOR, R5_MINOR };

#define ANY (-1L)           /* a rule's major or minor: every number */
#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
/* The prologue, up to four checks and a two-instruction allow per rule, the end. */
#define MAX_RULES (MAX_DEVICES + 3)
#define MAX_INSNS (6 + MAX_RULES * 6 + 2)

/* One devices.allow line: TYPE MAJOR:MINOR ACCESS (type 0: c and b). */
struct rule {
	int type;           /* BPF_DEVCG_DEV_CHAR, _BLOCK, or 0 for both */
	long major, minor;  /* or ANY */
	int access;         /* BPF_DEVCG_ACC_* bits it allows */
};

struct program {
	struct bpf_insn insn[MAX_INSNS];
	size_t n;
};

static void emit(struct program *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		 int32_t imm)
{
	p->insn[p->n++] = (struct bpf_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/*
 * The prologue splits the context (struct bpf_cgroup_dev_ctx) into four
 * registers, so each rule only compares: access_type holds the device's
 * type in its low 16 bits and the access (mknod, read, write) above them.
 */
static void emit_prologue(struct program *p)
{
	emit(p, BPF_LDX | BPF_MEM | BPF_W, R2_TYPE, R1,
	     offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R3_ACCESS, R2_TYPE, 0, 0);
	emit(p, BPF_ALU64 | BPF_RSH | BPF_K, R3_ACCESS, 0, 0, 16);
	emit(p, BPF_ALU64 | BPF_AND | BPF_K, R2_TYPE, 0, 0, 0xffff);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, R4_MAJOR, R1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, R5_MINOR, R1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
}

/*
 * One rule: each check that fails jumps past the rest of the rule to the
 * next one; a rule whose checks all pass returns 1 (allow). The jump
 * offsets count instructions, so they are filled in once the rule's
 * length is known.
 */
static void emit_rule(struct program *p, const struct rule *r)
{
	size_t jumps[3], n_jumps = 0;

	if (r->type) {
		jumps[n_jumps++] = p->n;
		emit(p, BPF_JMP | BPF_JNE | BPF_K, R2_TYPE, 0, 0, r->type);
	}
	if (r->access != ACC_ALL) {
		/* any access bit the rule does not allow: not this rule */
		jumps[n_jumps++] = p->n;
		emit(p, BPF_JMP | BPF_JSET | BPF_K, R3_ACCESS, 0, 0, ACC_ALL & ~r->access);
	}
	if (r->major != ANY) {
		jumps[n_jumps++] = p->n;
		emit(p, BPF_JMP | BPF_JNE | BPF_K, R4_MAJOR, 0, 0, (int32_t)r->major);
	}
	if (r->minor != ANY) {
		jumps[n_jumps++] = p->n;
		emit(p, BPF_JMP | BPF_JNE | BPF_K, R5_MINOR, 0, 0, (int32_t)r->minor);
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < n_jumps; i++)
		p->insn[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

/*
 * The whole policy, in the order of cgroups.c's devices.allow lines:
 * mknod of anything (so images may carry device files; CAP_MKNOD stays),
 * then full access to ptmx (c 5:2), the ptys (c 136:*) and the devices
 * of cfg (none: the probe); whatever no rule allowed is refused (0).
 */
static void build_program(struct program *p, const struct config *cfg)
{
	const struct rule fixed[] = {
		{0, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
		{BPF_DEVCG_DEV_CHAR, 5, 2, ACC_ALL},
		{BPF_DEVCG_DEV_CHAR, 136, ANY, ACC_ALL},
	};

	p->n = 0;
	emit_prologue(p);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		emit_rule(p, &fixed[i]);
	for (size_t i = 0; cfg && i < cfg->linux.n_devices; i++) {
		const struct device_spec *d = &cfg->linux.devices[i];
		const struct rule r = {d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
				       d->major, d->minor, ACC_ALL};
		emit_rule(p, &r);
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* glibc has no wrapper for bpf(2): the raw system call. */
static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/*
 * BPF_PROG_LOAD: the verifier checks the program (every path ends, only
 * the context is read) and we get a file descriptor for it. Without a log
 * first, which is cheaper; when it refuses, once more with the verifier's
 * log, which says why (bpf(2)). what names the program in messages;
 * quiet: a probe, whose failure is only narrated.
 */
static int load_program(const struct program *p, const char *what, int quiet)
{
	static char log[16384];
	union bpf_attr attr;
	int fd, saved;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t)"GPL"; /* no helper is called: only informative */
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) {
		narrate("bpf(BPF_PROG_LOAD, {prog_type=BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt=%zu}) "
			"= %d: %s [bpf(2)]", p->n, fd, what);
		return fd;
	}
	saved = errno;
	log[0] = 0;
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	if (sys_bpf(BPF_PROG_LOAD, &attr) >= 0)
		log[0] = 0; /* (it cannot pass now: the same program) */
	errno = saved;
	narrate("bpf(BPF_PROG_LOAD, {prog_type=BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt=%zu}) "
		"= -1 (%m): %s [bpf(2)]", p->n, what);
	errno = saved;
	if (!quiet)
		fprintf(stderr, "%s: bpf(BPF_PROG_LOAD) of %s: %m\n", PROG, what);
	if (log[0])
		fprintf(stderr, "%s: the BPF verifier's log:\n%s", PROG, log);
	errno = saved;
	return -1;
}

/*
 * Can a device program be loaded here? Not without CAP_SYS_ADMIN, nor
 * under a seccomp filter that refuses bpf(2) (Docker's, when minidock
 * itself runs in a container), nor on a kernel built without
 * CONFIG_CGROUP_BPF. Asked once, with the policy's fixed rules.
 */
int devices_bpf_usable(void)
{
	static int usable = -1;
	struct program p;
	int fd;

	if (usable >= 0)
		return usable;
	build_program(&p, NULL);
	fd = load_program(&p, "can a device program be loaded here?", 1);
	usable = fd >= 0;
	if (fd >= 0)
		close(fd);
	return usable;
}

/*
 * Attach the policy to the container's cgroup (cgroup_fd, at dir), before
 * the child is inside. BPF_F_ALLOW_MULTI, as runc does: a program that an
 * ancestor attached (systemd's) keeps running too, and programs attached
 * below can only refuse more, never allow what ours refuses. The cgroup
 * holds the program from now on: our descriptor can go, and rmdir(2) of
 * the cgroup frees it.
 */
int devices_bpf_attach(const struct config *cfg, int cgroup_fd, const char *dir)
{
	struct program p;
	union bpf_attr attr;
	int prog;

	build_program(&p, cfg);
	prog = load_program(&p, "the device program", 0);
	if (prog < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
		fprintf(stderr, "%s: bpf(BPF_PROG_ATTACH) of the device program to %s: %m\n",
			PROG, dir);
		close(prog);
		return -1;
	}
	narrate("bpf(BPF_PROG_ATTACH, {target_fd=%d (%s), attach_bpf_fd=%d, "
		"attach_type=BPF_CGROUP_DEVICE, attach_flags=BPF_F_ALLOW_MULTI}) = 0 [bpf(2)]",
		cgroup_fd, dir, prog);
	close(prog);
	return 0;
}
