/* init/control.h — the status socket of `usher status` and `usher health [NAME...]`: a server
 * that runs in PID 1's loop (fixed client slots, per-client deadline) and the client side. */
#ifndef USHER_CONTROL_H
#define USHER_CONTROL_H

#include <poll.h>
#include <stdbool.h>

#define CONTROL_DEFAULT_PATH "/run/usher/control.sock"

enum {
	CONTROL_SLOTS = 4,            /* clients served at once; more wait in the listen backlog */
	CONTROL_REQUEST_MAX = 256,    /* a longer request is refused */
	CONTROL_REPLY_MAX = 16384,    /* the status table; rows past it are cut */
	CONTROL_CLIENT_MS = 1000,     /* a client has this long to ask and read its answer */
};

/* One service as `usher status` shows it. Strings live until the next call. */
struct control_row {
	const char *name;
	const char *state;   /* starting, ready, unhealthy, restarting, failed, stopped, done */
	int pid;             /* 0: not running */
	unsigned restarts;
	int last_exit;       /* -1: none yet; 128+N when signal N ended it */
	const char *health;  /* the last health check's result line (check_detail), NULL: none */
	bool health_ok;      /* that result passed */
	long long health_ms; /* now_ms() when it came */
};

/* The service runtime's renderer: fills row for service index, false past the last one.
 * Called from the loop: must neither block nor allocate. */
typedef bool control_row_fn(unsigned index, struct control_row *row);

/* Before the loop: creates path's directory (mode 0700) if missing, the socket (0600), and
 * listens. NULL path: CONTROL_DEFAULT_PATH. 0, or -1 after a warning (usher runs on without
 * the socket, e.g. on a read-only /run). */
int control_init(const char *path, control_row_fn *rows);
/* Adds the control fds to poll for (at most 1 + CONTROL_SLOTS) to fds[0..room); returns how many. */
int control_poll_fill(struct pollfd *fds, int room);
/* After poll(): serves what fds[0..n) (as filled above) report, and drops clients past their
 * deadline. Never blocks. */
void control_poll_handle(const struct pollfd *fds, int n, long long now_ms);
/* The earliest client deadline (now_ms() clock), or -1 when no client is connected. */
long long control_next_deadline(void);
/* At exit: closes everything and removes the socket. */
void control_close(void);

/* The subcommands (init/subcommand.c). */
int control_status_main(int argc, char **argv);
int control_health_main(int argc, char **argv);

#endif
