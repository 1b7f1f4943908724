/*
 * container.h: what the parent and the child of one run share: the
 * messages on their socketpair and the signals a foreground run forwards.
 */
#ifndef MINIDOCK_CONTAINER_H
#define MINIDOCK_CONTAINER_H

/*
 * What the child sends when something fails before CMD runs, its pty, its
 * seccomp listener, or (OCI) that it waits for start; exec's first child
 * sends CMD's PID.
 */
enum report_kind {
	REPORT_SETUP_FAILED = 1, REPORT_EXEC_FAILED, REPORT_PTY, REPORT_CREATED, REPORT_EXEC_PID,
	REPORT_SECCOMP
};

struct report {
	int kind;
	int err; /* the errno */
	int pid; /* REPORT_EXEC_PID: CMD's process, as the host sees it */
};

/* The signals a foreground run passes on to the container (container.c). */
#define N_FORWARDED 7
extern const int forwarded_signals[N_FORWARDED];

#endif
