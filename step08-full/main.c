/*
 * minidock: a small container runtime made of the chapters' mechanisms.
 *
 *   minidock [--root DIR] [-D] COMMAND ...
 *
 * main.c reads the global options and hands the rest to one command:
 * run (run.c), exec (exec.c), stop, kill, rm, prune (lifecycle.c), ps,
 * inspect, port, logs (inspect.c), pause, unpause, stats, top
 * (resources.c), commit (commit.c), import, images, rmi (store.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minidock.h"
#include "oci.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [--root DIR] [--exec-root DIR] [-D] [--ip-masq=BOOL] [--ip-forward=BOOL]\n"
		"       COMMAND [ARG...]\n"
		"A small container runtime.\n"
		"\n"
		"Commands:\n"
		"  run [OPTIONS] IMAGE [CMD [ARG...]]  run a command in a new container (-d: detached)\n"
		"  exec [OPTIONS] CONTAINER CMD...     run a command in a running container\n"
		"  ps [-a] [-q]                        list containers\n"
		"  stop [-t SECS] CONTAINER...         SIGTERM, then SIGKILL after SECS (10)\n"
		"  kill [-s SIGNAL] CONTAINER...       send a signal (SIGKILL)\n"
		"  rm [-f] CONTAINER...                remove containers (-f: running ones too)\n"
		"  logs [-f] CONTAINER                 a detached container's output\n"
		"  inspect [-f FORMAT] CONTAINER...    a container's state, as JSON\n"
		"  port CONTAINER [PORT]               its published ports\n"
		"  pause | unpause CONTAINER...        freeze or thaw every process in it\n"
		"  stats [--no-stream] [CONTAINER...]  CPU, memory and PIDs, from its cgroups\n"
		"  top CONTAINER                       its processes\n"
		"  commit CONTAINER IMAGE              its writable layer becomes a new image\n"
		"  prune                               remove stopped containers and leftovers\n"
		"  import FILE|DIR NAME                make an image from a tarball or a directory\n"
		"  images                              list images\n"
		"  rmi NAME                            remove an image\n"
		"  network ls                          the bridges' NAT tables and their rules\n"
		"  network rm BRIDGE...                remove a bridge, its NAT rules and leases\n"
		"  load [-i FILE|-] [NAME]             an image from docker save or an OCI archive\n"
		"  save [-o FILE] IMAGE                an image as an OCI archive (stdout by default)\n"
		"  spec [--bundle DIR]                 write an OCI bundle's default config.json\n"
		"  oci COMMAND ...                     runc's command line (as minidock-oci)\n"
		"\n"
		"Options:\n"
		"      --root DIR   keep images and state under DIR\n"
		"                   (default /var/lib/minidock and /run/minidock)\n"
		"      --exec-root DIR  keep the state in DIR (default: /run/minidock, or\n"
		"                   DIR/run with --root)\n"
		"  -D, --debug      narrate every kernel operation\n"
		"      --ip-masq=BOOL     masquerade the bridge's traffic to elsewhere (true)\n"
		"      --ip-forward=BOOL  turn on the host's net.ipv4.ip_forward (true)\n"
		"      --help       show this help ('%s run --help' for run's options)\n",
		PROG, PROG);
}

static const struct {
	const char *name;
	int (*fn)(const struct store *s, int argc, char **argv);
} commands[] = {
	{"run", cmd_run},         {"exec", cmd_exec},     {"ps", cmd_ps},
	{"stop", cmd_stop},       {"kill", cmd_kill},     {"rm", cmd_rm},
	{"logs", cmd_logs},       {"inspect", cmd_inspect}, {"port", cmd_port},
	{"pause", cmd_pause},     {"unpause", cmd_unpause}, {"stats", cmd_stats},
	{"top", cmd_top},         {"commit", cmd_commit}, {"prune", cmd_prune},
	{"_monitor", cmd_monitor},
	{"import", cmd_import},   {"images", cmd_images}, {"rmi", cmd_rmi},
	{"network", cmd_network},
	{"oci", cmd_oci},         {"spec", cmd_spec},     {"load", cmd_load},
	{"save", cmd_save},
};

/* --ip-masq=false, as dockerd takes it: true or false. */
static int parse_bool(const char *opt, const char *text, int *out)
{
	if (strcmp(text, "true") && strcmp(text, "false")) {
		fprintf(stderr, "%s: --%s takes true or false, not '%s'\n", PROG, opt, text);
		return -1;
	}
	*out = !strcmp(text, "true");
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_EXEC_ROOT, OPT_HELP, OPT_IP_MASQ, OPT_IP_FORWARD };
	static const struct option options[] = {
		{"root", required_argument, NULL, OPT_ROOT},
		{"exec-root", required_argument, NULL, OPT_EXEC_ROOT},
		{"debug", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, OPT_HELP},
		{"ip-masq", required_argument, NULL, OPT_IP_MASQ},
		{"ip-forward", required_argument, NULL, OPT_IP_FORWARD},
		{0},
	};
	const char *root = NULL, *exec_root = NULL, *cmd;
	struct store store;
	int opt;

	/* Called as minidock-oci, the binary speaks runc's command line (oci.c). */
	if (!strcmp(PROG, "minidock-oci"))
		return oci_main(argc, argv);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:D", options, NULL)) != -1) {
		switch (opt) {
		case OPT_ROOT:
			root = optarg;
			break;
		case OPT_EXEC_ROOT:
			exec_root = optarg;
			break;
		case 'D':
			debug = 1;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_IP_MASQ:
			if (parse_bool("ip-masq", optarg, &net_ip_masq) < 0)
				return EXIT_TOOL;
			break;
		case OPT_IP_FORWARD:
			if (parse_bool("ip-forward", optarg, &net_ip_forward) < 0)
				return EXIT_TOOL;
			break;
		case ':':
			fprintf(stderr, "%s: option '%s' needs a value (try '%s --help')\n", PROG,
				argv[optind - 1], PROG);
			return EXIT_TOOL;
		default:
			fprintf(stderr, "%s: unknown option '%s' (try '%s --help')\n", PROG,
				argv[optind - 1], PROG);
			return EXIT_TOOL;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "%s: missing command (try '%s --help')\n", PROG, PROG);
		return EXIT_TOOL;
	}
	if (store_open(&store, root, exec_root) < 0)
		return EXIT_TOOL;
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(&store, argc, argv);
	fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n", PROG, cmd, PROG);
	return EXIT_TOOL;
}
