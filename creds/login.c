/* creds/login.c — the [Login NAME] helpers: their config keys, and running them in order with
 * no shell (own session, stdin from a secret or /dev/null, timeout, retries, stdout → stdin). */
#include "creds.h"
#include "envfile.h"
#include "internal.h"
#include "login.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Fixed limits, documented in docs/login-helpers.md. */
enum {
	LOGIN_MAX = 16,              /* [Login NAME] sections */
	LOGIN_NAME_MAX = 64,         /* bytes in NAME */
	CAPTURE_MAX = 64 * 1024,     /* captured stdout of one helper */
	INPUT_TEXT_MAX = 64 * 1024,  /* StandardInputText= of one helper, after expansion */
	LINE_BYTES = 4096,           /* longer output lines are printed in pieces */
	KILL_WAIT_MS = 10000,        /* after SIGKILL, how long to wait before giving up */
	LEFTOVER_WAIT_MS = 2000,     /* reaping a finished helper's killed leftovers */
	RETRY_MAX_MS = 60000,        /* the doubling backoff stops growing here */
};

static const char DEFAULT_PATH[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

enum input_kind { INPUT_NULL, INPUT_TEXT, INPUT_OUTPUT, INPUT_FILE };
enum output_kind { OUTPUT_INHERIT, OUTPUT_CAPTURE, OUTPUT_NULL };

struct words {
	char **word;
	size_t count;
};

struct login {
	char *name;
	char *where;              /* "file:line" of the section's first key */
	struct words exec;        /* ExecStart=, split, not yet expanded */
	char *exec_where;
	struct words environment; /* Environment= assignments, not yet expanded */
	struct words environment_where; /* where each assignment was set */
	long timeout_ms, stop_grace_ms, retries, retry_ms;
	bool optional;
	enum input_kind input;
	char *input_text;         /* StandardInputText= lines, each ended by \n, not expanded */
	char *input_where;
	size_t input_from;        /* StandardInput=output-of:NAME: index of NAME */
	char *input_file;
	enum output_kind output;
	/* Set by the last run: */
	bool succeeded;
	char *captured;
	size_t captured_len;
};

static struct login logins[LOGIN_MAX];
static size_t login_count;

/* ---------------------------------------------------------------- config keys */

static char *copy_or_die(const char *text)
{
	char *copy = strdup(text);
	if (!copy) {
		usher_err("login: out of memory");
		exit(EXIT_USHER_FAILED);
	}
	return copy;
}

static void replace_string(char **slot, const char *text)
{
	free(*slot);
	*slot = copy_or_die(text);
}

/* Where a key was set, as expansion errors print it: "usher.conf:12: [Login acr] ExecStart=". */
static void set_where(char **slot, const char *where, const char *name, const char *key)
{
	size_t size = strlen(where) + strlen(name) + strlen(key) + 16;
	char *text = malloc(size);
	if (!text) {
		usher_err("login: out of memory");
		exit(EXIT_USHER_FAILED);
	}
	snprintf(text, size, "%s: [Login %s] %s", where, name, key);
	free(*slot);
	*slot = text;
}

static void words_clear(struct words *w)
{
	for (size_t i = 0; i < w->count; i++)
		secret_free(w->word[i], strlen(w->word[i]));
	free(w->word);
	w->word = NULL;
	w->count = 0;
}

static void words_push(struct words *w, char *word)
{
	words_append(&w->word, &w->count, word);
}

static struct login *find_login(const char *name)
{
	for (size_t i = 0; i < login_count; i++)
		if (strcmp(logins[i].name, name) == 0)
			return &logins[i];
	return NULL;
}

static struct login *find_or_add_login(const char *name, const char *where)
{
	struct login *l = find_login(name);
	if (l)
		return l;
	if (!section_name_valid(name, LOGIN_NAME_MAX)) {
		usher_err("%s: [Login %s]: a name is 1 to %d of A-Z a-z 0-9 . _ -", where, name,
			  LOGIN_NAME_MAX);
		return NULL;
	}
	if (login_count == LOGIN_MAX) {
		usher_err("%s: [Login %s]: too many login helpers (at most %d)", where, name, LOGIN_MAX);
		return NULL;
	}
	l = &logins[login_count++];
	*l = (struct login){
		.name = copy_or_die(name),
		.where = copy_or_die(where),
		.timeout_ms = 60000,
		.stop_grace_ms = 5000,
		.retry_ms = 1000,
	};
	return l;
}

static int set_duration(long *slot, const char *value, bool zero_ok, const char *where,
			const char *key)
{
	long ms;
	char what[512];
	snprintf(what, sizeof what, "%s: %s", where, key);
	if (duration_option(value, what, &ms) != 0)
		return -1;
	if (!zero_ok && ms == 0) {
		usher_err("%s: must be more than 0", what);
		return -1;
	}
	*slot = ms;
	return 0;
}

static int set_exec_start(struct login *l, const char *value, const char *where)
{
	words_clear(&l->exec);
	if (split_words(value, &l->exec.word, &l->exec.count, where, "ExecStart=") != 0)
		return -1;
	if (l->exec.count > 0 && strchr("-@:+!|", l->exec.word[0][0])) {
		usher_err("%s: ExecStart=: systemd's prefixes (- @ : + !) are not supported; "
			  "use Optional=yes", where);
		words_clear(&l->exec);
		return -1;
	}
	set_where(&l->exec_where, where, l->name, "ExecStart=");
	return 0;
}

static int set_environment(struct login *l, const char *value, const char *where)
{
	if (!*value) { /* an empty assignment resets the list, as in systemd */
		words_clear(&l->environment);
		words_clear(&l->environment_where);
		return 0;
	}
	size_t first = l->environment.count;
	if (split_words(value, &l->environment.word, &l->environment.count, where,
			"Environment=") != 0)
		return -1;
	size_t bad = words_bad_assignment(l->environment.word, first, l->environment.count);
	if (bad) { /* the value may be a secret: name the word, not its text */
		usher_err("%s: Environment=: word %zu is not KEY=VALUE", where, bad);
		return -1;
	}
	for (size_t i = first; i < l->environment.count; i++) {
		char *assignment_where = NULL;
		set_where(&assignment_where, where, l->name, "Environment=");
		words_push(&l->environment_where, assignment_where);
	}
	return 0;
}

static int set_input_text(struct login *l, const char *value, const char *where)
{
	if (!*value) { /* resets, as in systemd */
		secret_free(l->input_text, l->input_text ? strlen(l->input_text) : 0);
		l->input_text = NULL;
		return 0;
	}
	size_t old_len = l->input_text ? strlen(l->input_text) : 0;
	size_t add = strlen(value);
	if (old_len + add + 1 > INPUT_TEXT_MAX) {
		usher_err("%s: StandardInputText=: more than %d bytes", where, INPUT_TEXT_MAX);
		return -1;
	}
	char *text = malloc(old_len + add + 2);
	if (!text) {
		usher_err("login: out of memory");
		exit(EXIT_USHER_FAILED);
	}
	if (old_len)
		memcpy(text, l->input_text, old_len);
	memcpy(text + old_len, value, add);
	text[old_len + add] = '\n'; /* each line ends with a newline, as in systemd */
	text[old_len + add + 1] = '\0';
	secret_free(l->input_text, old_len);
	l->input_text = text;
	if (l->input == INPUT_NULL)
		l->input = INPUT_TEXT;
	set_where(&l->input_where, where, l->name, "StandardInputText=");
	return 0;
}

static int set_input(struct login *l, const char *value, const char *where)
{
	if (strcmp(value, "null") == 0) {
		l->input = INPUT_NULL;
	} else if (strcmp(value, "data") == 0 || strcmp(value, "text") == 0) {
		l->input = INPUT_TEXT;
	} else if (strncmp(value, "file:", 5) == 0 && value[5] == '/') {
		l->input = INPUT_FILE;
		replace_string(&l->input_file, value + 5);
	} else if (strncmp(value, "output-of:", 10) == 0) {
		struct login *from = find_login(value + 10);
		if (!from || from == l) {
			usher_err("%s: StandardInput=: no [Login %s] before this one", where, value + 10);
			return -1;
		}
		l->input = INPUT_OUTPUT;
		l->input_from = (size_t)(from - logins);
		from->output = OUTPUT_CAPTURE;
	} else {
		usher_err("%s: StandardInput=: \"%s\" is not null, data, file:/PATH or output-of:NAME",
			  where, value);
		return -1;
	}
	return 0;
}

static int set_output(struct login *l, const char *value, const char *where)
{
	if (strcmp(value, "inherit") == 0 || strcmp(value, "journal") == 0)
		l->output = OUTPUT_INHERIT;
	else if (strcmp(value, "capture") == 0)
		l->output = OUTPUT_CAPTURE;
	else if (strcmp(value, "null") == 0)
		l->output = OUTPUT_NULL;
	else {
		usher_err("%s: StandardOutput=: \"%s\" is not inherit, capture or null", where, value);
		return -1;
	}
	return 0;
}

int creds_login_set(const char *login_name, const char *key, const char *value,
		    const char *where)
{
	struct login *l = find_or_add_login(login_name, where);
	if (!l)
		return -1;
	if (strcmp(key, "ExecStart") == 0)
		return set_exec_start(l, value, where);
	if (strcmp(key, "Environment") == 0)
		return set_environment(l, value, where);
	if (strcmp(key, "TimeoutSec") == 0 || strcmp(key, "TimeoutStartSec") == 0)
		return set_duration(&l->timeout_ms, value, false, where, "TimeoutSec=");
	if (strcmp(key, "TimeoutStopSec") == 0)
		return set_duration(&l->stop_grace_ms, value, true, where, "TimeoutStopSec=");
	if (strcmp(key, "RetrySec") == 0)
		return set_duration(&l->retry_ms, value, true, where, "RetrySec=");
	if (strcmp(key, "Retries") == 0) {
		if (parse_long(value, 0, 100, &l->retries) != 0) {
			usher_err("%s: Retries=: \"%s\" is not a number from 0 to 100", where, value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "Optional") == 0) {
		if (parse_bool(value, &l->optional) != 0) {
			usher_err("%s: Optional=: \"%s\" is not yes or no", where, value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "StandardInputText") == 0)
		return set_input_text(l, value, where);
	if (strcmp(key, "StandardInput") == 0)
		return set_input(l, value, where);
	if (strcmp(key, "StandardOutput") == 0)
		return set_output(l, value, where);
	usher_err("%s: unknown key %s= in [Login %s]", where, key, login_name);
	return -1;
}

bool login_any(void)
{
	return login_count > 0;
}

/* ---------------------------------------------------------------- messages */

static void format_duration(long ms, char *out, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%lds", ms / 1000);
	else if (ms > 1000 && ms % 100 == 0)
		snprintf(out, size, "%ld.%lds", ms / 1000, ms % 1000 / 100);
	else
		snprintf(out, size, "%ldms", ms);
}

static const char *signal_name(int signo)
{
	static const struct { int signo; const char *name; } names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" }, { SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" },
		{ SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" }, { SIGSEGV, "SIGSEGV" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
		{ SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].signo == signo)
			return names[i].name;
	return "a signal";
}

/* ---------------------------------------------------------------- one run */

/* What the child reports through its close-on-exec pipe when it cannot exec. */
struct exec_failure {
	int step; /* 0 none, 1 setsid, 2 file descriptors, 3 execve */
	int error;
};

/* Everything one attempt needs, prepared (and expanded) by the caller. */
struct launch {
	const char *path;
	char **argv;
	char **envp;
	const char *input;       /* bytes for stdin, or NULL */
	size_t input_len;
	const char *input_file;  /* or a file for stdin */
	int signal_fd;           /* readable when SIGTERM or SIGINT is pending */
};

enum outcome_kind {
	DONE, EXITED, SIGNALLED, TIMED_OUT, EXEC_FAILED, START_FAILED, INPUT_UNREADABLE,
	TOO_MUCH_OUTPUT, NO_EXIT, INTERRUPTED,
};

struct outcome {
	enum outcome_kind kind;
	int code;  /* exit status, signal number, or errno */
	int step;  /* EXEC_FAILED: which step */
};

/* INPUT_UNREADABLE: why, from user_file_open() (static text). */
static const char *input_problem;

/* An output pipe and its partial line. */
struct stream {
	int fd;
	bool capture;
	char line[LINE_BYTES];
	size_t len;
};

static void stream_print(const struct login *l, struct stream *s, size_t upto, bool hide_rest)
{
	char piece[LINE_BYTES + 4];
	size_t len = upto;
	while (len > 0 && s->line[len - 1] == '\r')
		len--;
	memcpy(piece, s->line, len);
	if (hide_rest && upto < s->len) {
		memcpy(piece + len, "***", 3);
		len += 3;
	}
	secret_print_masked(l->name, piece, len);
	explicit_bzero(piece, sizeof piece);
}

/* Prints complete lines; keeps an unfinished one unless final. */
static void stream_flush(const struct login *l, struct stream *s, bool final)
{
	if (s->len == 0)
		return;
	if (!final && s->len < sizeof s->line)
		return;
	size_t cut = secret_safe_cut(s->line, s->len);
	if (final || cut == 0) {
		/* Nothing will complete it: whatever could be the start of a secret is hidden. */
		stream_print(l, s, cut, true);
		explicit_bzero(s->line, s->len);
		s->len = 0;
		return;
	}
	stream_print(l, s, cut, false);
	memmove(s->line, s->line + cut, s->len - cut);
	explicit_bzero(s->line + s->len - cut, cut);
	s->len -= cut;
}

static void stream_take(const struct login *l, struct stream *s, const char *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (bytes[i] == '\n') {
			stream_print(l, s, s->len, false);
			explicit_bzero(s->line, s->len);
			s->len = 0;
			continue;
		}
		s->line[s->len++] = bytes[i];
		if (s->len == sizeof s->line)
			stream_flush(l, s, false);
	}
}

/* Reads what is there now. Returns false at EOF or error (the fd is then closed). */
static bool stream_read(struct login *l, struct stream *s, bool *overflow)
{
	char buffer[4096];
	for (;;) {
		ssize_t got = read(s->fd, buffer, sizeof buffer);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return true;
		if (got <= 0) {
			close(s->fd);
			s->fd = -1;
			explicit_bzero(buffer, sizeof buffer);
			return false;
		}
		if (!s->capture) {
			stream_take(l, s, buffer, (size_t)got);
		} else if (l->captured_len + (size_t)got > CAPTURE_MAX) {
			*overflow = true;
		} else {
			char *grown = realloc(l->captured, l->captured_len + (size_t)got + 1);
			if (!grown) {
				*overflow = true;
			} else {
				l->captured = grown;
				memcpy(l->captured + l->captured_len, buffer, (size_t)got);
				l->captured_len += (size_t)got;
				l->captured[l->captured_len] = '\0';
			}
		}
		explicit_bzero(buffer, sizeof buffer);
	}
}

/* A write to a pipe whose reader is gone must not kill usher with SIGPIPE. usher blocks
 * every signal, but this keeps that true for any caller, and drops the SIGPIPE it caused. */
static ssize_t write_no_sigpipe(int fd, const void *bytes, size_t n)
{
	sigset_t pipe_only, old;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigset_t pending;
	bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &pipe_only, &old) != 0)
		return -1;
	ssize_t wrote = write(fd, bytes, n);
	int saved = errno;
	if (wrote < 0 && errno == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	if (sigprocmask(SIG_SETMASK, &old, NULL) != 0)
		return -1;
	errno = saved;
	return wrote;
}

/* In the child: runs between fork and execve, so only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(const struct launch *run, int in_fd, int out_fd, int err_fd, int report_fd,
	   pid_t parent)
{
	struct exec_failure failure = { 1, 0 };
	/* Own session: own process group for the group kill, and no controlling terminal. */
	if (setsid() < 0)
		goto fail;
	/* usher blocks every signal and may ignore some: neither may reach the helper. */
	for (int signo = 1; signo < NSIG; signo++)
		if (signo != SIGKILL && signo != SIGSTOP)
			signal(signo, SIG_DFL); /* fails harmlessly for libc-reserved numbers */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(EXIT_USHER_FAILED); /* usher died already: nobody to report to */
	failure.step = 2;
	/* Move the three sources above 2 first, so dup2 never meets its own target. */
	int source[3] = { in_fd, out_fd, err_fd };
	for (int i = 0; i < 3; i++)
		if ((source[i] = fcntl(source[i], F_DUPFD_CLOEXEC, 3)) < 0)
			goto fail;
	for (int i = 0; i < 3; i++)
		if (dup2(source[i], i) < 0)
			goto fail;
	/* usher opens everything O_CLOEXEC; this covers any fd that slipped through. */
	(void)syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	sigset_t none;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		goto fail;
	failure.step = 3;
	execve(run->path, run->argv, run->envp);
fail:
	failure.error = errno;
	ssize_t ignored = write(report_fd, &failure, sizeof failure);
	(void)ignored;
	_exit(EXIT_NOT_FOUND);
}

static int open_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0) {
		fds[0] = fds[1] = -1;
		return -1;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void kill_group(pid_t group, int signo)
{
	/* ESRCH: the group is empty already. */
	if (kill(-group, signo) != 0 && errno != ESRCH)
		usher_warn("login: kill: %s", strerror(errno));
}

static void sleep_ms(long ms)
{
	struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
		;
}

/* After the helper has exited, anything left in its group (az's telemetry uploaders) is
 * killed; if usher is PID 1 or a subreaper those become its children, so reap them here —
 * waiting on that group only, never on other children of usher. Bounded. */
static void kill_leftovers(pid_t group)
{
	if (kill(-group, SIGKILL) != 0)
		return;
	long long until = now_ms() + LEFTOVER_WAIT_MS;
	for (;;) {
		pid_t got = waitpid(-group, NULL, WNOHANG);
		if (got > 0)
			continue;
		if (got < 0 || now_ms() >= until)
			return; /* ECHILD: the rest belong to another reaper */
		sleep_ms(10);
	}
}

static int pending_stop_signal(void)
{
	sigset_t pending;
	if (sigpending(&pending) != 0)
		return 0;
	if (sigismember(&pending, SIGTERM))
		return SIGTERM;
	if (sigismember(&pending, SIGINT))
		return SIGINT;
	return 0;
}

/* Waits for the helper's pid (pidfd), copies its output, feeds its stdin, enforces the
 * timeout: SIGTERM+SIGCONT to the group, SIGKILL after the grace, like timeout -k. */
static struct outcome supervise(struct login *l, const struct launch *run, pid_t pid,
				int pid_fd, struct stream *out, struct stream *err, int in_fd)
{
	enum { RUNNING, STOPPING, KILLED } stage = RUNNING;
	long long deadline = now_ms() + l->timeout_ms;
	size_t input_done = 0;
	bool overflow = false;
	struct outcome result = { DONE, 0, 0 };
	int status = 0;
	for (;;) {
		struct pollfd fds[5];
		int n = 0;
		int slot_pid = -1, slot_sig = -1, slot_out = -1, slot_err = -1, slot_in = -1;
		if (pid_fd >= 0) {
			slot_pid = n;
			fds[n++] = (struct pollfd){ pid_fd, POLLIN, 0 };
		}
		if (run->signal_fd >= 0) {
			slot_sig = n;
			fds[n++] = (struct pollfd){ run->signal_fd, POLLIN, 0 };
		}
		if (out->fd >= 0) {
			slot_out = n;
			fds[n++] = (struct pollfd){ out->fd, POLLIN, 0 };
		}
		if (err->fd >= 0) {
			slot_err = n;
			fds[n++] = (struct pollfd){ err->fd, POLLIN, 0 };
		}
		if (in_fd >= 0) {
			slot_in = n;
			fds[n++] = (struct pollfd){ in_fd, POLLOUT, 0 };
		}
		long long left = deadline - now_ms();
		int wait_ms = left <= 0 ? 0 : left > 1000 ? 1000 : (int)left;
		if (pid_fd < 0 && wait_ms > 50)
			wait_ms = 50; /* no pidfd: look at the pid now and then */
		int ready = poll(fds, (nfds_t)n, wait_ms);
		if (ready < 0 && errno != EINTR) {
			usher_err("login \"%s\": poll: %s", l->name, strerror(errno));
			kill_group(pid, SIGKILL);
			result = (struct outcome){ START_FAILED, errno, 0 };
			stage = KILLED;
			deadline = now_ms() + KILL_WAIT_MS;
			continue;
		}
		int stop_signal = (slot_sig >= 0 && fds[slot_sig].revents) || ready == 0
					  ? pending_stop_signal() : 0;
		if (stop_signal && result.kind != INTERRUPTED) {
			kill_group(pid, SIGKILL);
			result = (struct outcome){ INTERRUPTED, stop_signal, 0 };
			stage = KILLED;
			deadline = now_ms() + KILL_WAIT_MS;
		}
		if (slot_out >= 0 && fds[slot_out].revents)
			stream_read(l, out, &overflow);
		if (slot_err >= 0 && fds[slot_err].revents)
			stream_read(l, err, &overflow);
		if (overflow && result.kind == DONE) {
			kill_group(pid, SIGKILL);
			result = (struct outcome){ TOO_MUCH_OUTPUT, 0, 0 };
			stage = KILLED;
			deadline = now_ms() + KILL_WAIT_MS;
		}
		if (slot_in >= 0 && fds[slot_in].revents) {
			ssize_t wrote = write_no_sigpipe(in_fd, run->input + input_done,
							 run->input_len - input_done);
			if (wrote > 0)
				input_done += (size_t)wrote;
			/* EPIPE: the helper closed its stdin; it decides whether that is an error. */
			if ((wrote < 0 && errno != EAGAIN && errno != EINTR) ||
			    input_done == run->input_len)
				close_fd(&in_fd);
		}
		if (pid_fd < 0 || (slot_pid >= 0 && fds[slot_pid].revents)) {
			pid_t got = waitpid(pid, &status, WNOHANG);
			if (got == pid)
				break;
			if (got < 0) {
				/* Someone else reaped it; nothing more can be learned. */
				result = (struct outcome){ START_FAILED, errno, 0 };
				goto out;
			}
		}
		if (now_ms() < deadline)
			continue;
		if (stage == RUNNING) {
			/* SIGCONT too: a stopped process cannot act on SIGTERM. */
			kill_group(pid, SIGTERM);
			kill_group(pid, SIGCONT);
			result = (struct outcome){ TIMED_OUT, 0, 0 };
			stage = STOPPING;
			deadline = now_ms() + l->stop_grace_ms;
		} else if (stage == STOPPING) {
			kill_group(pid, SIGKILL);
			stage = KILLED;
			deadline = now_ms() + KILL_WAIT_MS;
		} else {
			result = (struct outcome){ NO_EXIT, 0, 0 };
			goto out;
		}
	}
	if (result.kind == DONE) {
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			result = (struct outcome){ EXITED, WEXITSTATUS(status), 0 };
		else if (WIFSIGNALED(status))
			result = (struct outcome){ SIGNALLED, WTERMSIG(status), 0 };
	}
	/* What it wrote before exiting is in the pipes; don't wait for EOF, which a leftover
	 * grandchild holding the pipe could delay forever. */
	if (out->fd >= 0)
		stream_read(l, out, &overflow);
	if (err->fd >= 0)
		stream_read(l, err, &overflow);
	if (overflow && result.kind == DONE)
		result = (struct outcome){ TOO_MUCH_OUTPUT, 0, 0 };
out:
	close_fd(&in_fd);
	kill_leftovers(pid);
	return result;
}

static struct outcome run_once(struct login *l, const struct launch *run)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, report[2] = { -1, -1 };
	int in_child = -1, out_child = -1;
	struct outcome result = { START_FAILED, 0, 0 };
	struct stream *out_stream = NULL, *err_stream = NULL;

	secret_free(l->captured, l->captured_len);
	l->captured = NULL;
	l->captured_len = 0;

	if (run->input) {
		if (open_pipe(in) != 0 || fcntl(in[1], F_SETFL, O_NONBLOCK) != 0)
			goto fail;
		in_child = in[0];
	} else {
		/* A file given by the user is opened as every such file is: a FIFO in its
		 * place must not hang usher before TimeoutSec= even starts. */
		in_child = run->input_file
				   ? user_file_open(run->input_file, SECRET_FILE_MAX, NULL, &input_problem)
				   : open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (in_child < 0) {
			if (run->input_file)
				result.kind = INPUT_UNREADABLE;
			goto fail;
		}
	}
	if (l->output == OUTPUT_NULL) {
		out_child = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (out_child < 0)
			goto fail;
	} else {
		if (open_pipe(out) != 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) != 0)
			goto fail;
		out_child = out[1];
	}
	if (open_pipe(err) != 0 || fcntl(err[0], F_SETFL, O_NONBLOCK) != 0 || open_pipe(report) != 0)
		goto fail;
	out_stream = calloc(1, sizeof *out_stream);
	err_stream = calloc(1, sizeof *err_stream);
	if (!out_stream || !err_stream)
		goto fail;

	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		child_exec(run, in_child, out_child, err[1], report[1], parent);

	close_fd(&in_child);
	close_fd(&out_child);
	close_fd(&err[1]);
	close_fd(&report[1]);
	in[0] = -1;
	out[1] = -1;
	int pid_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	*out_stream = (struct stream){ .fd = out[0], .capture = l->output == OUTPUT_CAPTURE };
	*err_stream = (struct stream){ .fd = err[0] };
	out[0] = err[0] = -1;
	result = supervise(l, run, pid, pid_fd, out_stream, err_stream, in[1]);
	in[1] = -1; /* supervise closed it */
	if (pid_fd >= 0)
		close(pid_fd);
	stream_flush(l, out_stream, true);
	stream_flush(l, err_stream, true);
	close_fd(&out_stream->fd);
	close_fd(&err_stream->fd);

	/* The child writes here only if it never reached the helper's code. */
	struct exec_failure failure;
	if (fcntl(report[0], F_SETFL, O_NONBLOCK) == 0 &&
	    read(report[0], &failure, sizeof failure) == (ssize_t)sizeof failure &&
	    result.kind != INTERRUPTED)
		result = (struct outcome){ EXEC_FAILED, failure.error, failure.step };
	close_fd(&report[0]);
	secret_free(out_stream, sizeof *out_stream);
	secret_free(err_stream, sizeof *err_stream);
	return result;

fail:
	result.code = errno;
	if (in_child != in[0])
		close_fd(&in_child);
	if (out_child != out[1])
		close_fd(&out_child);
	int *fds[] = { &in[0], &in[1], &out[0], &out[1], &err[0], &err[1], &report[0], &report[1] };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		close_fd(fds[i]);
	free(out_stream);
	free(err_stream);
	return result;
}

/* ---------------------------------------------------------------- preparing a run */

static void free_vector(char **vector)
{
	if (!vector)
		return;
	for (char **p = vector; *p; p++)
		secret_free(*p, strlen(*p));
	free(vector);
}

static size_t vector_len(char **vector)
{
	size_t n = 0;
	while (vector && vector[n])
		n++;
	return n;
}

/* The helper's environment: the workload's, minus every loaded secret (a helper gets a
 * secret only where its config names it, so none shows in /proc/PID/environ by accident),
 * plus its Environment= assignments, expanded, which override same-named entries. */
static char **helper_env(const struct login *l, char **env)
{
	size_t base = vector_len(env), extra = l->environment.count;
	char **expanded = calloc(extra + 1, sizeof *expanded);
	char **result = calloc(base + extra + 1, sizeof *result);
	if (!expanded || !result) {
		free(expanded);
		free(result);
		usher_err("login \"%s\": out of memory", l->name);
		return NULL;
	}
	for (size_t i = 0; i < extra; i++) {
		expanded[i] = expand_string(l->environment.word[i], env,
					    l->environment_where.word[i]);
		if (!expanded[i]) {
			free_vector(expanded);
			free(result);
			return NULL;
		}
	}
	size_t n = 0;
	for (size_t i = 0; i < base; i++) {
		const char *equals = strchr(env[i], '=');
		if (!equals)
			continue;
		size_t key_len = (size_t)(equals - env[i]) + 1;
		bool overridden = false;
		for (size_t j = 0; j < extra && !overridden; j++)
			overridden = strncmp(expanded[j], env[i], key_len) == 0;
		if (overridden || secret_is_registered(equals + 1, strlen(equals + 1)))
			continue;
		result[n] = strdup(env[i]);
		if (!result[n++])
			goto oom;
	}
	for (size_t j = 0; j < extra; j++) {
		result[n++] = expanded[j];
		expanded[j] = NULL;
	}
	free(expanded);
	return result;
oom:
	usher_err("login \"%s\": out of memory", l->name);
	free_vector(expanded);
	free_vector(result);
	return NULL;
}

/* PATH from the helper's own environment, as execvpe would, but looked up here so a
 * missing helper is reported by name before anything starts. */
static char *find_program(const struct login *l, const char *program, char **envp,
			  char *reason, size_t reason_size)
{
	if (strchr(program, '/'))
		return copy_or_die(program);
	const char *path = env_lookup(envp, "PATH");
	if (!path || !*path)
		path = DEFAULT_PATH;
	size_t program_len = strlen(program);
	bool denied = false;
	for (const char *dir = path; dir;) {
		const char *colon = strchr(dir, ':');
		size_t dir_len = colon ? (size_t)(colon - dir) : strlen(dir);
		char *candidate = malloc(dir_len + program_len + 3);
		if (!candidate) {
			usher_err("login \"%s\": out of memory", l->name);
			return NULL;
		}
		snprintf(candidate, dir_len + program_len + 3, "%.*s/%s", (int)dir_len,
			 dir_len ? dir : ".", program);
		struct stat st;
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(candidate, X_OK) == 0)
				return candidate;
			denied = true;
		}
		free(candidate);
		dir = colon ? colon + 1 : NULL;
	}
	snprintf(reason, reason_size, "%s: %s in PATH (%s)", program,
		 denied ? "not executable" : "not found", path);
	return NULL;
}

static char **expand_argv(const struct login *l, char **env)
{
	char **argv = calloc(l->exec.count + 1, sizeof *argv);
	if (!argv) {
		usher_err("login \"%s\": out of memory", l->name);
		return NULL;
	}
	for (size_t i = 0; i < l->exec.count; i++) {
		argv[i] = expand_string(l->exec.word[i], env, l->exec_where);
		if (!argv[i]) {
			free_vector(argv);
			return NULL;
		}
	}
	return argv;
}

/* ---------------------------------------------------------------- the sequence */

static void describe(const struct login *l, const struct outcome *o, const char *path,
		     char *out, size_t size)
{
	char duration[32];
	switch (o->kind) {
	case EXITED:
		snprintf(out, size, "exited with status %d", o->code);
		break;
	case SIGNALLED:
		snprintf(out, size, "killed by signal %d (%s)", o->code, signal_name(o->code));
		break;
	case TIMED_OUT:
		format_duration(l->timeout_ms, duration, sizeof duration);
		snprintf(out, size, "timed out after %s", duration);
		break;
	case EXEC_FAILED:
		snprintf(out, size, "%s %s: %s",
			 o->step == 3 ? "cannot execute" : "cannot start", path, strerror(o->code));
		break;
	case START_FAILED:
		snprintf(out, size, "cannot start: %s", strerror(o->code));
		break;
	case INPUT_UNREADABLE:
		snprintf(out, size, "StandardInput=file:%s: %s", l->input_file, input_problem);
		break;
	case TOO_MUCH_OUTPUT:
		snprintf(out, size, "wrote more than %d KiB to a captured stdout", CAPTURE_MAX / 1024);
		break;
	case NO_EXIT:
		snprintf(out, size, "did not exit %d s after SIGKILL; left behind",
			 KILL_WAIT_MS / 1000);
		break;
	case INTERRUPTED:
		snprintf(out, size, "interrupted by %s", signal_name(o->code));
		break;
	case DONE:
		snprintf(out, size, "done");
		break;
	}
}

/* Waits between attempts; returns the stop signal if one arrives meanwhile, else 0. */
static int backoff(long ms, int signal_fd)
{
	long long until = now_ms() + ms;
	for (;;) {
		int stop_signal = pending_stop_signal();
		if (stop_signal)
			return stop_signal;
		long long left = until - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd fd = { signal_fd, POLLIN, 0 };
		int wait_ms = left > 1000 ? 1000 : (int)left;
		if (poll(&fd, signal_fd >= 0 ? 1 : 0, wait_ms) < 0 && errno != EINTR)
			sleep_ms(wait_ms);
	}
}

/* The stdin bytes for one helper, expanded; NULL with *failed set on error. */
static char *prepare_input(const struct login *l, char **env, size_t *len, bool *failed)
{
	*len = 0;
	*failed = false;
	if (l->input == INPUT_TEXT) {
		char *text = expand_string(l->input_text ? l->input_text : "", env, l->input_where);
		if (!text) {
			*failed = true;
			return NULL;
		}
		*len = strlen(text);
		if (*len > INPUT_TEXT_MAX) {
			usher_err("login \"%s\": StandardInputText= is more than %d bytes once expanded",
				  l->name, INPUT_TEXT_MAX);
			secret_free(text, *len);
			*failed = true;
			return NULL;
		}
		/* Whatever goes over stdin is a secret, wherever its value came from. */
		secret_register(text);
		return text;
	}
	if (l->input == INPUT_OUTPUT) {
		const struct login *from = &logins[l->input_from];
		char *copy = malloc(from->captured_len + 1);
		if (!copy) {
			usher_err("login \"%s\": out of memory", l->name);
			*failed = true;
			return NULL;
		}
		if (from->captured_len)
			memcpy(copy, from->captured, from->captured_len);
		copy[from->captured_len] = '\0';
		*len = from->captured_len;
		return copy;
	}
	return NULL;
}

static bool retry_is_useless(const struct outcome *o)
{
	return o->kind == EXEC_FAILED || o->kind == INTERRUPTED || o->kind == NO_EXIT;
}

/* Runs one helper with its retries. Returns 0 (done, or optional and failed), or an exit
 * code after printing one line. */
static int run_login(struct login *l, char **env, int signal_fd)
{
	char reason[512];
	struct outcome last = { START_FAILED, 0, 0 };
	int attempts = 0;
	size_t input_len = 0;
	bool input_failed = false;
	char *input = NULL, *path = NULL, **argv = NULL, **envp = NULL;

	if (l->exec.count == 0) {
		usher_err("%s: [Login %s] has no ExecStart=", l->where, l->name);
		return EXIT_USHER_FAILED; /* a config mistake, optional or not */
	}
	if (l->input == INPUT_OUTPUT && !logins[l->input_from].succeeded) {
		snprintf(reason, sizeof reason, "not run: its input, the output of \"%s\", is missing",
			 logins[l->input_from].name);
		goto failed;
	}
	/* Expansion errors are printed where they happen, with file, line and helper. */
	reason[0] = '\0';
	argv = expand_argv(l, env);
	envp = argv ? helper_env(l, env) : NULL;
	path = envp ? find_program(l, argv[0], envp, reason, sizeof reason) : NULL;
	input = path ? prepare_input(l, env, &input_len, &input_failed) : NULL;
	if (!path || input_failed)
		goto failed;
	struct launch run = {
		.path = path, .argv = argv, .envp = envp,
		.input = input, .input_len = input_len,
		.input_file = l->input == INPUT_FILE ? l->input_file : NULL,
		.signal_fd = signal_fd,
	};
	long delay = l->retry_ms;
	for (;;) {
		attempts++;
		usher_info("login \"%s\": running %s (attempt %d of %ld)", l->name, path, attempts,
			   l->retries + 1);
		long long started = now_ms();
		last = run_once(l, &run);
		if (last.kind == DONE) {
			char took[32];
			format_duration((long)(now_ms() - started), took, sizeof took);
			usher_info("login \"%s\": done in %s", l->name, took);
			l->succeeded = true;
			goto done;
		}
		describe(l, &last, path, reason, sizeof reason);
		if (last.kind == INTERRUPTED)
			goto interrupted;
		if (retry_is_useless(&last) || attempts > l->retries)
			break;
		char wait[32];
		format_duration(delay, wait, sizeof wait);
		usher_warn("login \"%s\": %s; retrying in %s (attempt %d of %ld)", l->name, reason,
			   wait, attempts + 1, l->retries + 1);
		int stop_signal = backoff(delay, signal_fd);
		if (stop_signal) {
			last = (struct outcome){ INTERRUPTED, stop_signal, 0 };
			describe(l, &last, path, reason, sizeof reason);
			goto interrupted;
		}
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
	if (attempts > 1) {
		size_t used = strlen(reason);
		snprintf(reason + used, sizeof reason - used, " (%d attempts)", attempts);
	}
failed:
	if (l->optional) {
		usher_warn("login \"%s\": %s; optional, continuing", l->name,
			   reason[0] ? reason : "not run");
		goto done;
	}
	if (reason[0])
		usher_err("login \"%s\": %s", l->name, reason);
	secret_free(input, input_len);
	free(path);
	free_vector(argv);
	free_vector(envp);
	return EXIT_USHER_FAILED;
interrupted:
	usher_err("login \"%s\": %s; not starting", l->name, reason);
	secret_free(input, input_len);
	free(path);
	free_vector(argv);
	free_vector(envp);
	return 128 + last.code;
done:
	secret_free(input, input_len);
	free(path);
	free_vector(argv);
	free_vector(envp);
	return 0;
}

/* The captured output of a helper that feeds no one is not needed past this run. */
static void wipe_captures(void)
{
	for (size_t i = 0; i < login_count; i++) {
		secret_free(logins[i].captured, logins[i].captured_len);
		logins[i].captured = NULL;
		logins[i].captured_len = 0;
	}
}

int login_run_all(char **env)
{
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	/* Never read: it only wakes poll while the signal stays pending for init's loop. */
	int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0)
		usher_warn("login: signalfd: %s (SIGTERM noticed within 1s instead)", strerror(errno));
	for (size_t i = 0; i < login_count; i++)
		logins[i].succeeded = false;
	int rc = 0;
	for (size_t i = 0; i < login_count && rc == 0; i++) {
		int stop_signal = pending_stop_signal();
		if (stop_signal) {
			usher_err("login \"%s\": interrupted by %s; not starting", logins[i].name,
				  signal_name(stop_signal));
			rc = 128 + stop_signal;
			break;
		}
		rc = run_login(&logins[i], env, signal_fd);
		if (logins[i].captured) /* even a failed helper's: it may be part of a token */
			secret_register(logins[i].captured);
	}
	wipe_captures();
	if (signal_fd >= 0)
		close(signal_fd);
	return rc;
}
