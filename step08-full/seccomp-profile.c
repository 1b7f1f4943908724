/*
 * seccomp-profile.c: a seccomp profile in the OCI runtime spec's form
 * (config.json's linux.seccomp, or `run --security-opt seccomp=FILE`)
 * compiled to the classic BPF program seccomp(2) installs. Engines send
 * one on every run: Docker its default profile, podman the one in
 * containers-common.
 *
 * The program is one straight line, first match wins:
 *   another architecture, or an x32 number  -> kill (the prologue security.c shares)
 *   exit_group, exit                        -> allowed, whatever the profile says
 *   for each rule, for each of its names:   syscall number and arguments match
 *                                           -> the rule's action
 *   anything else                           -> defaultAction
 * The profile's flags go to seccomp(2) with it. SCMP_ACT_NOTIFY hands a
 * call to a seccomp agent on the host: the filter then comes with a
 * listener fd, which the child passes to us and we send on to the agent
 * on listenerPath with the container's state (seccomp_unotify(2)).
 * Only the native architecture's numbers are known to us (libc's SYS_*
 * names, syscall-names.h), so a call through another architecture's
 * table is killed, never let through: a profile that lists SCMP_ARCH_X86
 * loses 32-bit programs, not its protection.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "container.h"
#include "json.h"
#include "minidock.h"
#include "oci.h"

/* The kernel's limit on one filter's length (BPF_MAXINSNS). */
#define MAX_INSNS 4096
/* A jump target not known yet: the rule's "does not match" (patched later). */
#define MISMATCH (-1)
#define MAX_PATCHES 64

static const struct {
	const char *name;
	long nr;
} syscall_names[] = {
/* one {"name", SYS_name} per system call this libc knows */
#include "syscall-names.h"
};

struct program {
	struct sock_filter insns[MAX_INSNS];
	size_t n;
	size_t patches[MAX_PATCHES]; /* jumps to the current rule's mismatch */
	int patch_jt[MAX_PATCHES];   /* which branch of each: jt (1) or jf (0) */
	size_t n_patches;
	const char *too_long;        /* why the program does not fit, if it does not */
	const char *what;            /* the profile, as errors name it */
	int notify;                  /* some action is SCMP_ACT_NOTIFY */
};

/* What the child installs and the parent needs for the agent: one malloc'd block. */
struct seccomp_profile {
	struct sock_fprog prog;
	unsigned int flags;          /* for seccomp(2): the profile's, and NEW_LISTENER */
	char listener_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *metadata;        /* listenerMetadata, or NULL */
	struct sock_filter insns[];
};

static int profile_error(const struct program *p, const char *field, const char *why)
{
	fprintf(stderr, "%s: %s: %s: %s\n", PROG, p->what, field, why);
	return -1;
}

static long syscall_number(const char *name)
{
	for (size_t i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (!strcmp(syscall_names[i].name, name))
			return syscall_names[i].nr;
	return -1;
}

/* Emitting never fails midway: a program that does not fit says so at the end. */
static void emit(struct program *p, struct sock_filter insn)
{
	if (p->n < MAX_INSNS)
		p->insns[p->n++] = insn;
	else
		p->too_long = "longer than the kernel's 4096 BPF instructions";
}

static void load(struct program *p, uint32_t offset)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset));
}

static void and(struct program *p, uint32_t mask)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask));
}

/* A conditional jump; each branch a forward skip, or MISMATCH. */
static void jump(struct program *p, uint16_t op, uint32_t k, int jt, int jf)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | op | BPF_K, k, jt < 0 ? 0 : jt,
					     jf < 0 ? 0 : jf));
	for (int branch = 0; branch < 2; branch++) {
		if ((branch ? jt : jf) != MISMATCH)
			continue;
		if (p->n_patches >= MAX_PATCHES) {
			p->too_long = "a rule with too many argument conditions";
			return;
		}
		p->patches[p->n_patches] = p->n - 1;
		p->patch_jt[p->n_patches++] = branch;
	}
}

/* Every jump to MISMATCH lands here; a jump goes at most 255 instructions. */
static void land_mismatches(struct program *p)
{
	for (size_t i = 0; i < p->n_patches; i++) {
		size_t hop = p->n - p->patches[i] - 1;

		if (hop > 255)
			p->too_long = "a rule too long to jump over";
		else if (p->patch_jt[i])
			p->insns[p->patches[i]].jt = (unsigned char)hop;
		else
			p->insns[p->patches[i]].jf = (unsigned char)hop;
	}
	p->n_patches = 0;
}

/* BPF loads 32 bits at a time: where each half of a 64-bit argument lies. */
static uint32_t arg_offset(long long index, int high)
{
	uint32_t at = (uint32_t)(offsetof(struct seccomp_data, args) + (size_t)index * 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return high ? at + 4 : at;
#else
	return high ? at : at + 4;
#endif
}

static int get_u64(const struct json *obj, const char *key, uint64_t *out)
{
	const struct json *v = json_get(obj, key);

	*out = 0;
	if (!v)
		return 0;
	if (v->type != JSON_NUMBER || !v->integer || v->num < 0 || v->num > 9.2e18)
		return -1;
	*out = (uint64_t)v->ival;
	return 0;
}

/*
 * One argument condition; falling through means it holds. A 64-bit
 * comparison is made of its halves: the high words first; the low words
 * decide only when the high ones are equal.
 */
static int compare_arg(struct program *p, const char *op, long long index, uint64_t v,
		       uint64_t v2)
{
	uint32_t hi = arg_offset(index, 1), lo = arg_offset(index, 0);
	uint32_t vhi = (uint32_t)(v >> 32), vlo = (uint32_t)v;

	load(p, hi);
	if (!strcmp(op, "SCMP_CMP_EQ")) {
		jump(p, BPF_JEQ, vhi, 0, MISMATCH);
		load(p, lo);
		jump(p, BPF_JEQ, vlo, 0, MISMATCH);
	} else if (!strcmp(op, "SCMP_CMP_NE")) {
		jump(p, BPF_JEQ, vhi, 0, 2);
		load(p, lo);
		jump(p, BPF_JEQ, vlo, MISMATCH, 0);
	} else if (!strcmp(op, "SCMP_CMP_MASKED_EQ")) {
		/* value is the mask, valueTwo what the masked argument must equal */
		and(p, vhi);
		jump(p, BPF_JEQ, (uint32_t)(v2 >> 32), 0, MISMATCH);
		load(p, lo);
		and(p, vlo);
		jump(p, BPF_JEQ, (uint32_t)v2, 0, MISMATCH);
	} else if (!strcmp(op, "SCMP_CMP_GT") || !strcmp(op, "SCMP_CMP_GE")) {
		jump(p, BPF_JGT, vhi, 3, 0);
		jump(p, BPF_JEQ, vhi, 0, MISMATCH);
		load(p, lo);
		jump(p, strcmp(op, "SCMP_CMP_GT") ? BPF_JGE : BPF_JGT, vlo, 0, MISMATCH);
	} else if (!strcmp(op, "SCMP_CMP_LT") || !strcmp(op, "SCMP_CMP_LE")) {
		jump(p, BPF_JGT, vhi, MISMATCH, 0);
		jump(p, BPF_JEQ, vhi, 0, 2);
		load(p, lo);
		jump(p, strcmp(op, "SCMP_CMP_LT") ? BPF_JGT : BPF_JGE, vlo, MISMATCH, 0);
	} else {
		return profile_error(p, "syscalls[].args[].op", "unknown comparison");
	}
	return 0;
}

static int compare_args(struct program *p, const struct json *args)
{
	for (const struct json *a = args ? args->child : NULL; a; a = a->next) {
		const struct json *index = json_get(a, "index"), *op = json_get(a, "op");
		uint64_t v, v2;

		if (a->type != JSON_OBJECT || !index || index->type != JSON_NUMBER ||
		    !index->integer || index->ival < 0 || index->ival > 5 || !op ||
		    op->type != JSON_STRING || get_u64(a, "value", &v) < 0 ||
		    get_u64(a, "valueTwo", &v2) < 0)
			return profile_error(p, "syscalls[].args", "want objects with index (0-5), "
					     "value, valueTwo (unsigned integers) and op");
		if (compare_arg(p, op->str, index->ival, v, v2) < 0)
			return -1;
	}
	return 0;
}

/* SCMP_ACT_* to the value the filter returns; errno_ret for ERRNO and TRACE. */
static int action_value(struct program *p, const char *field, const struct json *name,
			uint32_t errno_ret, uint32_t *out)
{
	static const struct {
		const char *name;
		uint32_t ret;
	} actions[] = {
		{"SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW},
		{"SCMP_ACT_LOG", SECCOMP_RET_LOG},
		{"SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO},
		{"SCMP_ACT_TRACE", SECCOMP_RET_TRACE},
		{"SCMP_ACT_TRAP", SECCOMP_RET_TRAP},
		{"SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD},
		{"SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD},
		{"SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS},
		{"SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF},
	};

	if (!name || name->type != JSON_STRING)
		return profile_error(p, field, "missing, or not a string");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(actions[i].name, name->str))
			continue;
		*out = actions[i].ret;
		if (*out == SECCOMP_RET_ERRNO || *out == SECCOMP_RET_TRACE)
			*out |= errno_ret & SECCOMP_RET_DATA;
		p->notify |= *out == SECCOMP_RET_USER_NOTIF;
		return 0;
	}
	fprintf(stderr, "%s: %s: %s: %s is not supported\n", PROG, p->what, field, name->str);
	return -1;
}

static int get_errno_ret(struct program *p, const struct json *obj, const char *key,
			 uint32_t *out)
{
	uint64_t v;

	if (!json_get(obj, key))
		return 0;
	if (get_u64(obj, key, &v) < 0 || v > SECCOMP_RET_DATA)
		return profile_error(p, key, "want an errno number");
	*out = (uint32_t)v;
	return 0;
}

/* One name of a rule: its number, then its arguments, then the action. */
static int compile_call(struct program *p, long nr, const struct json *args, uint32_t ret)
{
	jump(p, BPF_JEQ, (uint32_t)nr, 0, MISMATCH);
	if (compare_args(p, args) < 0)
		return -1;
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret));
	land_mismatches(p);
	/* the argument checks replaced the number the next rule compares */
	if (args && args->child)
		load(p, offsetof(struct seccomp_data, nr));
	return 0;
}

static int compile_rule(struct program *p, const struct json *rule)
{
	const struct json *names = json_get(rule, "names"), *args = json_get(rule, "args");
	uint32_t errno_ret = EPERM, ret;

	if (rule->type != JSON_OBJECT || !names || names->type != JSON_ARRAY ||
	    (args && args->type != JSON_ARRAY && args->type != JSON_NULL))
		return profile_error(p, "syscalls", "want objects with names (an array), "
				     "action and optional args");
	if (json_get(rule, "includes") || json_get(rule, "excludes"))
		return profile_error(p, "syscalls[]", "Docker's includes/excludes are not "
				     "supported: give the profile as the runtime spec has it");
	if (get_errno_ret(p, rule, "errnoRet", &errno_ret) < 0 ||
	    action_value(p, "syscalls[].action", json_get(rule, "action"), errno_ret, &ret) < 0)
		return -1;
	for (const struct json *n = names->child; n; n = n->next) {
		long nr = n->type == JSON_STRING ? syscall_number(n->str) : -1;

		/* A name this architecture lacks has no number to allow or refuse. */
		if (n->type == JSON_STRING && nr < 0)
			continue;
		if (nr < 0)
			return profile_error(p, "syscalls[].names", "want strings");
		/*
		 * The child hands the listener over with sendmsg(2), under the
		 * filter already: notified, that call would wait for an agent
		 * that can only get the listener from it.
		 */
		if (nr == SYS_sendmsg && ret == SECCOMP_RET_USER_NOTIF)
			return profile_error(p, "syscalls[]", "SCMP_ACT_NOTIFY for sendmsg would "
					     "hold up the hand-over of the listener itself");
		if (compile_call(p, nr, args && args->type == JSON_ARRAY ? args : NULL, ret) < 0)
			return -1;
	}
	return 0;
}

/*
 * The flags a profile may ask for, and the two we add for a listener:
 * TSYNC would refuse a listener (a thread's filter could not be
 * synchronised) unless failing threads give ESRCH instead (seccomp(2)).
 */
static const struct {
	const char *name;
	unsigned int flag;
	int ours;
} filter_flags[] = {
	{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, 0},
	{"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, 0},
	{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, 0},
	{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 0},
	{"SECCOMP_FILTER_FLAG_NEW_LISTENER", SECCOMP_FILTER_FLAG_NEW_LISTENER, 1},
	{"SECCOMP_FILTER_FLAG_TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC_ESRCH, 1},
};
#define N_FILTER_FLAGS (sizeof(filter_flags) / sizeof(filter_flags[0]))

static int parse_flags(struct program *p, const struct json *flags, unsigned int *out)
{
	size_t i;

	*out = 0;
	if (flags && flags->type != JSON_ARRAY && flags->type != JSON_NULL)
		return profile_error(p, "flags", "want an array of strings");
	for (const struct json *f = flags ? flags->child : NULL; f; f = f->next) {
		for (i = 0; i < N_FILTER_FLAGS; i++)
			if (f->type == JSON_STRING && !filter_flags[i].ours &&
			    !strcmp(f->str, filter_flags[i].name))
				break;
		if (i == N_FILTER_FLAGS) {
			fprintf(stderr, "%s: %s: flags: %s is not a flag a profile may give "
				"seccomp(2)\n", PROG, p->what, f->type == JSON_STRING ? f->str : "?");
			return -1;
		}
		*out |= filter_flags[i].flag;
	}
	return 0;
}

/*
 * seccomp(2) checks its flags before it reads the program: with no
 * program, EFAULT means the kernel knows them, EINVAL that it does not.
 * Nothing is installed. A refusal of another kind is left to the install.
 */
static int kernel_knows(unsigned int flags)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) == 0 || errno != EINVAL;
}

/* The flags seccomp(2) gets, each checked against this kernel now, before anything is made. */
static int final_flags(struct program *p, unsigned int *flags)
{
	if ((*flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !p->notify)
		return profile_error(p, "flags", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV "
				     "needs an SCMP_ACT_NOTIFY rule");
	if (p->notify)
		*flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	if (p->notify && (*flags & SECCOMP_FILTER_FLAG_TSYNC))
		*flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	for (size_t i = 0; i < N_FILTER_FLAGS; i++) {
		unsigned int f = filter_flags[i].flag;

		/* the kernel takes WAIT_KILLABLE_RECV only with a listener */
		if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
			f |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if ((*flags & filter_flags[i].flag) && !kernel_knows(f)) {
			fprintf(stderr, "%s: %s: flags: this kernel does not support %s "
				"(seccomp(2))\n", PROG, p->what, filter_flags[i].name);
			return -1;
		}
	}
	return 0;
}

/*
 * The agent's socket (listenerPath) and what it is told (listenerMetadata):
 * needed by SCMP_ACT_NOTIFY, and ignored without it, as the runtime spec
 * says; metadata without a socket to send it to is a mistake.
 */
static int check_listener(struct program *p, const struct json *profile, const char **path,
			  const char **metadata)
{
	const struct json *l = json_get(profile, "listenerPath"),
			  *m = json_get(profile, "listenerMetadata");

	*path = l && l->type == JSON_STRING && *l->str ? l->str : NULL;
	*metadata = m && m->type == JSON_STRING ? m->str : NULL;
	if ((l && l->type != JSON_STRING && l->type != JSON_NULL) ||
	    (m && m->type != JSON_STRING && m->type != JSON_NULL))
		return profile_error(p, "listenerPath", "want strings (listenerMetadata too)");
	if (*metadata && !*path)
		return profile_error(p, "listenerMetadata", "given without listenerPath");
	if (p->notify && !*path)
		return profile_error(p, "listenerPath", "SCMP_ACT_NOTIFY needs the seccomp "
				     "agent's unix socket");
	if (*path && strlen(*path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return profile_error(p, "listenerPath", "longer than a unix socket's path");
	if (!p->notify)
		*path = *metadata = NULL;
	return 0;
}

/* The program and what goes with it, as one block. */
static struct seccomp_profile *profile_block(const struct program *p, unsigned int flags,
					     const char *path, const char *metadata)
{
	size_t meta_len = metadata ? strlen(metadata) + 1 : 0;
	struct seccomp_profile *sp =
		calloc(1, sizeof(*sp) + p->n * sizeof(struct sock_filter) + meta_len);

	if (!sp) {
		fprintf(stderr, "%s: compile %s: %m\n", PROG, p->what);
		return NULL;
	}
	sp->prog.len = (unsigned short)p->n;
	sp->prog.filter = sp->insns;
	memcpy(sp->insns, p->insns, p->n * sizeof(struct sock_filter));
	sp->flags = flags;
	if (path)
		snprintf(sp->listener_path, sizeof(sp->listener_path), "%s", path);
	if (metadata)
		sp->metadata = memcpy((char *)(sp->insns + p->n), metadata, meta_len);
	return sp;
}

struct seccomp_profile *seccomp_compile(const struct json *profile, const char *what)
{
	struct program *p = calloc(1, sizeof(*p));
	const struct json *rules = json_get(profile, "syscalls");
	struct seccomp_profile *sp = NULL;
	uint32_t default_errno = EPERM, default_ret;
	const char *path, *metadata;
	unsigned int flags;

	if (!p) {
		fprintf(stderr, "%s: compile %s: %m\n", PROG, what);
		return NULL;
	}
	p->what = what;
	if (profile->type != JSON_OBJECT || (rules && rules->type != JSON_ARRAY)) {
		profile_error(p, "syscalls", "want an object with an array of rules");
		goto out;
	}
	if (parse_flags(p, json_get(profile, "flags"), &flags) < 0 ||
	    get_errno_ret(p, profile, "defaultErrnoRet", &default_errno) < 0 ||
	    action_value(p, "defaultAction", json_get(profile, "defaultAction"), default_errno,
			 &default_ret) < 0)
		goto out;
	/* every call a rule does not name, the hand-over's sendmsg(2) among them */
	if (default_ret == SECCOMP_RET_USER_NOTIF) {
		profile_error(p, "defaultAction", "SCMP_ACT_NOTIFY would hold up the hand-over "
			      "of the listener itself (sendmsg): name the calls to notify");
		goto out;
	}
	p->n = seccomp_prologue(p->insns);
	/*
	 * A process can always end: a profile that refuses exit_group(2) would
	 * leave glibc's _exit(2) spinning on the refusal, forever.
	 */
	jump(p, BPF_JEQ, SYS_exit_group, 0, 1);
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	jump(p, BPF_JEQ, SYS_exit, 0, 1);
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	for (const struct json *r = rules ? rules->child : NULL; r; r = r->next)
		if (compile_rule(p, r) < 0)
			goto out;
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, default_ret));
	if (p->too_long) {
		profile_error(p, "syscalls", p->too_long);
		goto out;
	}
	if (check_listener(p, profile, &path, &metadata) < 0 || final_flags(p, &flags) < 0 ||
	    !(sp = profile_block(p, flags, path, metadata)))
		goto out;
	narrate("seccomp profile %s: %zu BPF instructions", what, p->n);
out:
	free(p);
	return sp;
}

/* ---- in the child: the filter goes on, its listener to the parent ---- */

int seccomp_notifies(const struct seccomp_profile *sp)
{
	return sp && (sp->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

/*
 * The listener goes to the parent at once, in the first call made under
 * the filter (the profile may not notify it): from then on a notified
 * call waits for the agent, who gets the listener from the parent. If
 * even this fails the parent is gone, and anything more we did could
 * wait forever: we only end (exit_group always passes, seccomp_compile).
 */
static void hand_over_listener(int listener, int sync_fd)
{
	struct report r = {.kind = REPORT_SECCOMP};

	if (send_with_fd(sync_fd, &r, sizeof(r), listener, 0) < 0)
		_exit(EXIT_TOOL);
	/* close-on-exec already (seccomp_unotify(2)); --init never execs */
	close(listener);
}

/*
 * Flags need seccomp(2) itself; prctl(2)'s PR_SET_SECCOMP takes none.
 * The filter stays for every descendant, across execve(2).
 */
int seccomp_install_profile(const struct seccomp_profile *sp, int sync_fd)
{
	long fd;

	if (!sp->flags)
		return install_seccomp(&sp->prog);
	narrate("seccomp(SECCOMP_SET_MODE_FILTER, %#x, %u instructions)%s [seccomp(2)]", sp->flags,
		sp->prog.len, seccomp_notifies(sp) ? ": its listener goes to the agent on "
		"listenerPath, through our parent" : "");
	narrate_flush();
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sp->flags, &sp->prog);
	if (fd < 0) {
		fprintf(stderr, "%s: seccomp SECCOMP_SET_MODE_FILTER flags %#x: %m\n", PROG,
			sp->flags);
		return -1;
	}
	if (seccomp_notifies(sp))
		hand_over_listener((int)fd, sync_fd);
	return 0;
}

/* ---- in the parent: the listener goes on to the agent ---- */

/* The runtime spec's container process state: the listener's name, whose it is, and why. */
static char *process_state(const struct config *cfg, const struct seccomp_profile *sp,
			   pid_t child)
{
	char *text = NULL, *state = cfg->oci ? oci_agent_state(child) : NULL;
	size_t len = 0;
	FILE *f = (!cfg->oci || state) ? open_memstream(&text, &len) : NULL;

	if (!f) {
		free(state);
		return NULL;
	}
	fprintf(f, "{\"ociVersion\": \"%s\", \"fds\": [\"seccompFd\"], \"pid\": %d", OCI_VERSION,
		(int)child);
	if (sp->metadata) {
		fputs(", \"metadata\": ", f);
		json_write_string(f, sp->metadata);
	}
	fputs(", \"state\": ", f);
	if (state) {
		fputs(state, f);
	} else {
		/* minidock run: the container's id, and its directory as the bundle */
		fprintf(f, "{\"ociVersion\": \"%s\", \"id\": ", OCI_VERSION);
		json_write_string(f, cfg->id ? cfg->id : "");
		fprintf(f, ", \"status\": \"creating\", \"pid\": %d, \"bundle\": ", (int)child);
		json_write_string(f, cfg->state_dir ? cfg->state_dir : "");
		fputs("}", f);
	}
	fputs("}\n", f);
	free(state);
	return fclose(f) == 0 ? text : NULL;
}

/* The state, the listener with its first bytes (SCM_RIGHTS, unix(7)); then the connection ends. */
static int send_state(int sock, const char *text, int listener)
{
	size_t len = strlen(text), done;
	ssize_t n = send_with_fd(sock, (void *)text, len, listener, MSG_NOSIGNAL);

	for (done = n > 0 ? (size_t)n : 0; n > 0 && done < len; done += (size_t)n)
		n = send(sock, text + done, len - done, MSG_NOSIGNAL);
	return n < 0 ? -1 : 0;
}

int seccomp_send_listener(const struct config *cfg, pid_t child, int listener)
{
	const struct seccomp_profile *sp = cfg->linux.seccomp_profile;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char *text = process_state(cfg, sp, child);
	int sock = -1, ret = -1;
	const char *step = "connect";

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sp->listener_path);
	if (!text) {
		step = "state";
		goto out;
	}
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto out;
	step = "send";
	if (send_state(sock, text, listener) < 0)
		goto out;
	ret = 0;
	narrate("connect(%s), sendmsg(state, SCM_RIGHTS listener) = 0: the agent answers the "
		"calls the profile notifies [seccomp_unotify(2)]", sp->listener_path);
out:
	if (ret < 0)
		fprintf(stderr, "%s: seccomp agent on %s: %s: %m\n", PROG, sp->listener_path, step);
	if (sock >= 0)
		close(sock);
	free(text);
	return ret;
}
