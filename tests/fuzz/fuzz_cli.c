/*
 * fuzz_cli: libFuzzer target for the command-line parsers (make fuzz):
 * run's flags, their checks (sizes, CPUs, ports, volumes, tmpfs, maps,
 * capabilities, hostnames, networks), and the image and container name
 * rule. The input's NUL-separated words are run's arguments. run.c is
 * included, not linked: its parsers are static, as they should be.
 */
#include "../../step08-full/run.c"

#include <stdint.h>

#define MAX_WORDS 64

/* --help prints and exits (as `minidock run --help` should): not a finding. */
static int asks_for_help(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (strlen(argv[i]) >= 4 && !strncmp("--help", argv[i], strlen(argv[i])))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run_data d;
	static char buf[65536];
	char *argv[MAX_WORDS + 2] = {"run"};
	struct run_opts o;
	int argc = 1;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (char *p = buf; p < buf + size && argc < MAX_WORDS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (asks_for_help(argv, argc))
		return 0;
	memset(&o, 0, sizeof(o));
	memset(&d.cfg, 0, sizeof(d.cfg));
	memset(&d.rec, 0, sizeof(d.rec));
	if (parse_run_args(argc, argv, &o) == 0)
		check_options(&o, &d);
	valid_name(argv[argc - 1], "image");
	return 0;
}
