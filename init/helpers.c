/* init/helpers.c — runs the login helpers' attempts as oneshot PROC_HELPER procs in the loop:
 * timeout and group kill by the engine, output masked and captured by the relay, leftovers killed. */
#include "helpers.h"
#include "creds.h"
#include "proc.h"
#include "relay.h"
#include "supervise.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	LEFTOVER_WAIT_MS = 2000, /* a finished helper's killed leftovers: reaped within this */
	FLUSH_WAIT_MS = 5000,    /* its output written out to a slow reader of stderr: this long */
	LEFTOVER_LOOK_MS = 10,
};

enum stage {
	IDLE,
	RUNNING,  /* the attempt's process runs */
	DRAINING, /* reaped; what was left in its group is dying, its output is written out */
	BACKOFF,  /* waiting for the next attempt */
};

static struct {
	enum stage stage;
	unsigned index;
	void (*done)(int rc);
	struct proc proc;
	struct relay_opts relay[2]; /* the attempt's: its prefix, masking, cap, capture */
	struct login_attempt attempt;
	struct login_result result;
	int stop_signal;          /* SIGTERM/SIGINT came meanwhile */
	bool too_much;            /* the capture overflowed: killed */
	long long deadline_ms;    /* BACKOFF: the next attempt; DRAINING: the next look */
	long long drain_until_ms, flush_until_ms;
} h;
/* Outside h: the bare start reads only this, and it sits with the start's state
 * (build/start-layout.ld), so h's pages are never touched without helpers. */
static bool helpers_active;

static void advance(void);

static void finish(int rc)
{
	helpers_active = false;
	h.stage = IDLE;
	creds_login_finish();
	h.done(rc);
}

/* The attempt is over: its output flushed (before the line about it), then creds decides.
 * True to go on with advance(). */
static bool ended(void)
{
	size_t len = 0;
	const char *captured = h.attempt.output == LOGIN_STDOUT_CAPTURE
				       ? relay_captured(h.proc.relay_stream[0], &len) : NULL;
	h.result.captured = captured;
	h.result.captured_len = len;
	proc_relay_close(&h.proc); /* what it wrote (and the drop count) before its result */
	h.stage = IDLE;
	long retry_ms = 0;
	int step = creds_login_ended(h.index, &h.result, &retry_ms);
	if (captured) /* creds has its copy; the relay's may be a token */
		explicit_bzero((char *)captured, len);
	if (step == LOGIN_NEXT) {
		h.index++;
		return true;
	}
	if (step == LOGIN_RETRY) {
		h.stage = BACKOFF;
		h.deadline_ms = now_ms() + retry_ms;
		return false;
	}
	finish(step);
	return false;
}

static void helper_exited(struct proc *p)
{
	struct login_result *r = &h.result;
	int status = p->status;
	if (h.stop_signal)
		*r = (struct login_result){ .end = LOGIN_INTERRUPTED, .code = h.stop_signal };
	else if (p->abandoned)
		r->end = LOGIN_NO_EXIT;
	else if (h.too_much)
		r->end = LOGIN_TOO_MUCH_OUTPUT;
	else if (p->exec_error)
		*r = (struct login_result){ .end = LOGIN_EXEC_FAILED, .code = p->exec_error,
					    .exec_step = p->exec_step == 3 };
	else if (p->timed_out)
		r->end = LOGIN_TIMED_OUT;
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		*r = (struct login_result){ .end = LOGIN_EXITED, .code = WEXITSTATUS(status) };
	else if (WIFSIGNALED(status))
		*r = (struct login_result){ .end = LOGIN_SIGNALLED, .code = WTERMSIG(status) };
	if (r->end == LOGIN_DONE && h.attempt.output == LOGIN_STDOUT_CAPTURE &&
	    relay_overflowed(p->relay_stream[0]))
		r->end = LOGIN_TOO_MUCH_OUTPUT;
	/* The engine killed what it left in its group (reap_group); as PID 1 or a subreaper
	 * usher reaps those, and the next helper starts once they are gone. */
	h.stage = DRAINING;
	h.deadline_ms = now_ms();
	h.drain_until_ms = h.deadline_ms + LEFTOVER_WAIT_MS;
	h.flush_until_ms = h.deadline_ms + FLUSH_WAIT_MS;
}

/* The attempt's relay options (the engine opens the streams at the start). */
static void relay_for(const struct login_attempt *a)
{
	for (int k = 0; k < 2; k++) {
		bool capture = k == 0 && a->output == LOGIN_STDOUT_CAPTURE;
		h.relay[k] = (struct relay_opts){
			.to_fd = STDERR_FILENO, .prefix = a->prefix, .filter = creds_mask,
			.safe_cut = creds_mask_cut, .forward_cap = LOGIN_FORWARD_MAX,
			.capture = capture, .capture_max = capture ? LOGIN_CAPTURE_MAX : 0,
			.name = a->label,
		};
		h.proc.relay[k] = &h.relay[k];
	}
	if (a->output == LOGIN_STDOUT_NULL)
		h.proc.relay[0] = NULL; /* out_fd: /dev/null */
}

/* True once the attempt's process runs (a failed exec is reaped like any end). */
static bool start_attempt(void)
{
	const struct login_attempt *a = &h.attempt;
	struct proc *p = &h.proc;
	h.result = (struct login_result){ .end = LOGIN_DONE };
	h.too_much = false;
	if (a->input == LOGIN_STDIN_FD && a->input_fd < 0) {
		h.result.end = LOGIN_INPUT_UNREADABLE;
		return false;
	}
	relay_for(a);
	p->name = a->label;
	p->path = a->path;
	p->argv = a->argv;
	p->envp = a->envp;
	p->input = a->input == LOGIN_STDIN_TEXT ? INPUT_TEXT
		   : a->input == LOGIN_STDIN_FD ? INPUT_FD : INPUT_NULL;
	p->input_text = a->input_text;
	p->input_len = a->input_len;
	p->stdin_fd = a->input_fd;
	p->out_fd = a->output == LOGIN_STDOUT_NULL
			    ? open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY) : -1;
	p->run_timeout_ms = a->timeout_ms;
	p->stop_timeout_ms = a->stop_timeout_ms;
	p->kill_wait_ms = a->kill_wait_ms;
	int problem = 0;
	if (a->output == LOGIN_STDOUT_NULL && p->out_fd < 0)
		problem = errno;
	else if (proc_start(p) != 0)
		problem = errno ? errno : EIO;
	if (a->input_fd >= 0)
		close(a->input_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
	if (problem) {
		h.result = (struct login_result){ .end = LOGIN_START_FAILED, .code = problem };
		return false;
	}
	h.stage = RUNNING;
	return true;
}

static void advance(void)
{
	while (helpers_active && h.stage == IDLE) {
		if (h.stop_signal) {
			finish(creds_login_interrupted(h.index < creds_login_count() ? h.index : 0,
						       h.stop_signal));
			return;
		}
		if (h.index == creds_login_count()) {
			finish(0);
			return;
		}
		int step = creds_login_attempt(h.index, &h.attempt);
		if (step == LOGIN_NEXT) {
			h.index++;
			continue;
		}
		if (step != LOGIN_RUN) {
			finish(step);
			return;
		}
		if (!start_attempt())
			ended();
	}
}

static void kill_now(void)
{
	struct proc *p = &h.proc;
	if (p->state == PROC_IDLE)
		return;
	proc_signal(p, SIGKILL);
	p->state = PROC_KILLED;
	p->deadline_ms = now_ms() + p->kill_wait_ms;
}

void helpers_interrupt(int sig)
{
	if (!helpers_active || h.stop_signal)
		return;
	h.stop_signal = sig;
	if (h.stage == RUNNING)
		kill_now();
	else if (h.stage == BACKOFF)
		finish(creds_login_interrupted(h.index, sig));
	/* DRAINING: ended() reports it when the leftovers are gone. */
}

/* ---------------------------------------------------------------- the loop's module */

static unsigned fill(struct pollfd *fds, unsigned room)
{
	/* The capture is full: the helper is killed at once (a bounded buffer, a clear line). */
	if (h.stage == RUNNING && !h.too_much && h.attempt.output == LOGIN_STDOUT_CAPTURE &&
	    relay_overflowed(h.proc.relay_stream[0])) {
		h.too_much = true;
		kill_now();
	}
	if (h.proc.input_fd < 0 || room == 0)
		return 0;
	fds[0] = (struct pollfd){ .fd = h.proc.input_fd, .events = POLLOUT };
	return 1;
}

static void handle(const struct pollfd *fds, unsigned count)
{
	if (count && fds[0].revents && fds[0].fd == h.proc.input_fd)
		proc_feed_input(&h.proc);
}

static long long deadline(void)
{
	return helpers_active && (h.stage == BACKOFF || h.stage == DRAINING) ? h.deadline_ms : 0;
}

static void tick(long long now)
{
	if (!helpers_active || now < h.deadline_ms)
		return;
	if (h.stage == DRAINING) {
		/* Its output goes out before the line about its end, and before the next helper's. */
		bool output_left = (h.proc.relay[0] && !relay_idle(h.proc.relay_stream[0])) ||
				   !relay_idle(h.proc.relay_stream[1]);
		if ((proc_group_left(&h.proc) && now < h.drain_until_ms) ||
		    (output_left && now < h.flush_until_ms)) {
			h.deadline_ms = now + LEFTOVER_LOOK_MS;
			return;
		}
		if (h.stop_signal && h.result.end != LOGIN_INTERRUPTED)
			h.result = (struct login_result){ .end = LOGIN_INTERRUPTED,
							  .code = h.stop_signal };
		if (!ended())
			return;
	} else if (h.stage == BACKOFF) {
		h.stage = IDLE;
	} else {
		return;
	}
	advance();
}

static const struct loop_module module = { fill, handle, deadline, tick };

int helpers_prepare(void)
{
	/* One proc for every attempt of every helper: they run one at a time. */
	h.proc = (struct proc){
		.name = "login helper", .kind = PROC_HELPER, .out_fd = -1, .err_fd = -1,
		.signal_group = true, .reap_group = true, .kill_signal = SIGTERM,
		.exited = helper_exited,
		.relay = { &h.relay[0], &h.relay[1] },
	};
	if (proc_register(&h.proc) != 0)
		return EXIT_USHER_FAILED;
	loop_add(&module);
	return 0;
}

bool helpers_run(void (*done)(int rc))
{
	if (creds_login_count() == 0)
		return false;
	h.done = done;
	h.index = 0;
	h.stop_signal = 0;
	h.stage = IDLE;
	helpers_active = true;
	advance();
	return true;
}

bool helpers_running(void)
{
	return helpers_active;
}
