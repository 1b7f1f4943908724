/*
 * oci-hooks.c: config.json's hooks, programs the engine asks the runtime
 * to run on the host at points of the lifecycle (Docker's libnetwork and
 * podman's network setup used them). Each gets the container's state as
 * JSON on its stdin (the runtime-spec's "state" of the container):
 *
 *   prestart, createRuntime  in create, once the namespaces exist and
 *                            before the container's process may go on;
 *                            a failure fails create
 *   poststart                in start, once the program runs; a failure
 *                            is a warning
 *   poststop                 in delete, once everything is gone; a warning
 *
 * createContainer and startContainer run inside the container's
 * namespaces, which minidock does not do: refused (oci-config.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "minidock.h"
#include "oci.h"

#define MAX_HOOK_ARGS 64

static int check_hook(const struct json *h, const char *kind)
{
	const struct json *path = json_get(h, "path"), *args = json_get(h, "args"),
			  *env = json_get(h, "env"), *timeout = json_get(h, "timeout");

	if (h->type != JSON_OBJECT || !path || path->type != JSON_STRING || path->str[0] != '/') {
		fprintf(stderr, "%s: config.json: hooks.%s: want objects with an absolute path\n",
			PROG, kind);
		return -1;
	}
	for (const struct json *list = args; list; list = list == args ? env : NULL) {
		if (list->type != JSON_ARRAY || json_count(list) > MAX_HOOK_ARGS) {
			fprintf(stderr, "%s: config.json: hooks.%s: args and env: want at most %d "
				"strings\n", PROG, kind, MAX_HOOK_ARGS);
			return -1;
		}
		for (const struct json *e = list->child; e; e = e->next)
			if (e->type != JSON_STRING) {
				fprintf(stderr, "%s: config.json: hooks.%s: args and env: want "
					"strings\n", PROG, kind);
				return -1;
			}
	}
	if (timeout && (timeout->type != JSON_NUMBER || !timeout->integer || timeout->ival <= 0 ||
			timeout->ival > 3600)) {
		fprintf(stderr, "%s: config.json: hooks.%s: timeout: want seconds, 1 to 3600\n",
			PROG, kind);
		return -1;
	}
	return 0;
}

int oci_check_hooks(const struct json *hooks)
{
	static const char *const kinds[] = {"prestart", "createRuntime", "poststart", "poststop"};
	static const char *const inside[] = {"createContainer", "startContainer"};

	if (!hooks || hooks->type == JSON_NULL)
		return 0;
	if (hooks->type != JSON_OBJECT) {
		fprintf(stderr, "%s: config.json: hooks: want an object\n", PROG);
		return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		if (json_count(json_get(hooks, inside[i]))) {
			fprintf(stderr, "%s: config.json: hooks.%s: not supported (hooks inside the "
				"container's namespaces)\n", PROG, inside[i]);
			return -1;
		}
	}
	for (size_t i = 0; i < 4; i++) {
		const struct json *list = json_get(hooks, kinds[i]);
		if (list && list->type != JSON_ARRAY) {
			fprintf(stderr, "%s: config.json: hooks.%s: want an array\n", PROG, kinds[i]);
			return -1;
		}
		for (const struct json *h = list ? list->child : NULL; h; h = h->next)
			if (check_hook(h, kinds[i]) < 0)
				return -1;
	}
	return 0;
}

static void fill_argv(const struct json *list, char **out, const char *first)
{
	size_t n = 0;

	for (const struct json *e = list ? list->child : NULL; e; e = e->next)
		out[n++] = e->str;
	if (!n && first)
		out[n++] = (char *)first;
	out[n] = NULL;
}

/* The hook's child: the state on stdin, its own argv and environment (execve(2)). */
static void exec_hook(const struct json *h, int in)
{
	char *argv[MAX_HOOK_ARGS + 2], *envp[MAX_HOOK_ARGS + 1];
	const char *path = json_get(h, "path")->str;

	fill_argv(json_get(h, "args"), argv, path);
	fill_argv(json_get(h, "env"), envp, NULL);
	if (dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	execve(path, argv, envp);
	fprintf(stderr, "%s: hook %s: %m\n", PROG, path);
	_exit(127);
}

/* Wait for the hook, at most its timeout (a pidfd, pidfd_open(2)); 0 if it exited 0. */
static int wait_hook(pid_t pid, const struct json *h)
{
	const struct json *timeout = json_get(h, "timeout");
	struct pollfd pfd = {.events = POLLIN};
	int status;

	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd.fd >= 0 && poll(&pfd, 1, timeout ? (int)timeout->ival * 1000 : -1) == 0) {
		kill(pid, SIGKILL);
		fprintf(stderr, "%s: hook %s: timed out after %llds\n", PROG,
			json_get(h, "path")->str, timeout->ival);
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int run_hook(const struct json *h, const char *state)
{
	int p[2], ret;
	pid_t pid;

	pid = fork_with_pipe(p);
	if (pid < 0)
		return -1;
	if (pid == 0)
		exec_hook(h, p[0]);
	close(p[0]);
	narrate("fork() + execve(\"%s\") = %d: a hook [execve(2)]", json_get(h, "path")->str, pid);
	/* A hook that does not read its stdin must not stop us: SIGPIPE off, EPIPE ignored. */
	signal(SIGPIPE, SIG_IGN);
	if (write(p[1], state, strlen(state)) < 0 && errno != EPIPE)
		fprintf(stderr, "%s: hook stdin: %m\n", PROG);
	close(p[1]);
	ret = wait_hook(pid, h);
	if (ret < 0)
		fprintf(stderr, "%s: hook %s failed\n", PROG, json_get(h, "path")->str);
	return ret;
}

/* Every hook of KIND, in order; the first failure stops them. */
int oci_run_hooks(const struct json *hooks, const char *kind, const char *state)
{
	const struct json *list = json_get(hooks, kind);

	for (const struct json *h = list ? list->child : NULL; h; h = h->next)
		if (run_hook(h, state) < 0)
			return -1;
	return 0;
}
