/* init/proc.h — the process engine: one struct proc per process usher runs (the main command,
 * a service, a login helper, an exec: check); starting, signalling, stopping and reaping it. */
#ifndef USHER_PROC_H
#define USHER_PROC_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sandbox_plan;
struct relay_opts;

enum proc_kind { PROC_MAIN, PROC_SERVICE, PROC_HELPER, PROC_CHECK };
enum proc_input { INPUT_NULL, INPUT_INHERIT, INPUT_TEXT, INPUT_FILE, INPUT_FD };
enum proc_state {
	PROC_IDLE,     /* not started, or reaped */
	PROC_RUNNING,
	PROC_STOPPING, /* kill_signal sent; SIGKILL at deadline_ms */
	PROC_KILLED,   /* SIGKILL sent; given up at deadline_ms if kill_wait_ms */
};

struct proc {
	const char *name;           /* for messages: "nginx"; the main command's is its path */
	enum proc_kind kind;
	const char *path;           /* resolved program */
	char **argv, **envp;
	const struct sandbox_plan *plan; /* sandbox_apply(plan) in the child when active; NULL: none */
	enum proc_input input;
	const char *input_text;     /* INPUT_TEXT: fed over a non-blocking pipe from the loop */
	size_t input_len, input_done;
	const char *input_file;     /* INPUT_FILE */
	int stdin_fd;               /* INPUT_FD: opened by the caller (who closes it after the start) */
	int input_fd;               /* the parent's end of the stdin pipe while feeding, else -1 */
	int out_fd, err_fd;         /* dup2'd to 1 and 2 in the child; -1: inherited */
	/* The one way a process's output is relayed (init/relay.h: prefix, masking, cap,
	 * capture): [0] its stdout, [1] its stderr into a relay stream instead of out_fd/err_fd.
	 * NULL: not relayed. Set before proc_register(), which reserves the streams. */
	const struct relay_opts *relay[2];
	unsigned relay_stream[2];   /* by proc_register(): the stream ids (relay_captured()) */
	const char *cwd;            /* WorkingDirectory=, or NULL */
	bool take_terminal;         /* the main command on a tty: its group gets the foreground */
	bool keep_session;          /* the main command when usher has no controlling terminal:
				       its own group in usher's session (no setsid, see become()) */
	bool signal_group;          /* stop signals go to the process group, not only the pid */
	bool reap_group;            /* at its reap, SIGKILL what is left of its group (it leads
				       its own session: services, helpers) */
	const sigset_t *child_mask; /* the main command's mask; others get an empty one */
	long run_timeout_ms;        /* helpers and checks: stopped after this long; 0: never */
	long stop_timeout_ms;       /* kill_signal to SIGKILL */
	long kill_wait_ms;          /* after SIGKILL, give up waiting after this long; 0: never */
	int kill_signal;            /* SIGTERM unless KillSignal= */
	void (*exited)(struct proc *p); /* called once it is reaped (or given up on) */
	void *owner;
	/* Set by the engine: */
	enum proc_state state;
	pid_t pid;
	long long started_ms, deadline_ms;
	int status;                 /* wait status of the last run */
	bool timed_out;             /* run_timeout_ms passed */
	bool abandoned;             /* survived SIGKILL for kill_wait_ms: status means nothing */
	int exec_error;             /* errno if it never reached execve's success, else 0 */
	int exec_step;              /* 1 session, 2 fds, 3 execve, 4 cwd */
};

/* Looks argv[0] up in the PATH of envp (like execvp) into buffer (PATH_MAX bytes); sets
 * p->path. 0, or 126/127 after printing "usher: <name>: <why>". */
int proc_resolve(struct proc *p, char *buffer);

/* Starts p: own process group (services, helpers, and the main command when usher's session
 * has a terminal not on stdin: own session), stdin/stdout/stderr, WorkingDirectory=, sandbox, execve. vfork for the
 * unsandboxed main command; else fork, with a failed exec reported over a close-on-exec
 * pipe (p->exec_error, p->exec_step). 0 once it runs (or its exec failed: it is reaped
 * as usual), -1 if it could not be started (errno-style message printed). */
int proc_start(struct proc *p);

/* Known to the reaper and the timers; before the loop (a fixed table). Reserves p's relay
 * streams (the relay is set up with the first). 0, or -1 after printing. The engine opens
 * them at each start (closing the last run's first: what its reader did not take by then is
 * dropped and counted), reads what is left when p is reaped, and adds them to the loop. */
int proc_register(struct proc *p);
/* Before proc_register(): p's stdout and stderr relayed with the prefix "LABEL | " (LABEL:
 * label's last path component), for LogPrefix=. 0, or -1 after printing. */
int proc_log_prefix(struct proc *p, const char *label);
/* Closes p's relay streams now (e.g. a helper's, for its drop count), if it has any. */
void proc_relay_close(struct proc *p);
/* At exit: what the relay holds is written for at most a second, the rest counted. */
void proc_relay_finish(void);
/* kill() to p's group (or pid), ESRCH ignored. */
void proc_signal(const struct proc *p, int sig);
/* kill_signal + SIGCONT, SIGKILL after stop_timeout_ms. Nothing if not running. */
void proc_stop(struct proc *p);
/* True while processes of p's last group are left (zombies not yet reaped included). */
bool proc_group_left(const struct proc *p);
/* The reaper's: true if pid was one of the registered procs (p->exited has run). */
bool proc_reaped(pid_t pid, int status);
/* The earliest deadline of a registered proc, 0 if none. */
long long proc_next_deadline(void);
/* Acts on passed deadlines: run timeouts, stop timeouts (SIGKILL), give-ups. */
void proc_tick(long long now);
/* The parent's end of p's stdin pipe (POLLOUT) or -1; and feeding it when writable. */
void proc_feed_input(struct proc *p);

#endif
