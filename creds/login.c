/* creds/login.c — the login helpers' runs: each attempt's argv, env and stdin, retries,
 * captures and messages. init/helpers.c runs the attempts on the process engine. */
#include "creds.h"
#include "envfile.h"
#include "internal.h"
#include "login.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char DEFAULT_PATH[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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

/* StandardInput=file: could not be opened: why, from user_file_open() (static text). */
static const char *input_problem;

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
		return login_strdup(program);
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

/* The env the helpers of this run expand against (creds_prepare's, or the reload's). */
static char **run_env;

void login_begin(char **env)
{
	run_env = env;
	for (size_t i = 0; i < login_count; i++) {
		logins[i].succeeded = false;
		logins[i].attempts = 0;
	}
}

unsigned creds_login_count(void)
{
	return (unsigned)login_count;
}

static void describe(const struct login *l, const struct login_result *r, char *out, size_t size)
{
	char duration[32];
	switch (r->end) {
	case LOGIN_EXITED:
		snprintf(out, size, "exited with status %d", r->code);
		break;
	case LOGIN_SIGNALLED:
		snprintf(out, size, "killed by signal %d (%s)", r->code, signal_name(r->code));
		break;
	case LOGIN_TIMED_OUT:
		format_duration(l->timeout_ms, duration, sizeof duration);
		snprintf(out, size, "timed out after %s", duration);
		break;
	case LOGIN_EXEC_FAILED:
		snprintf(out, size, "%s %s: %s", r->exec_step ? "cannot execute" : "cannot start",
			 l->path, strerror(r->code));
		break;
	case LOGIN_START_FAILED:
		snprintf(out, size, "cannot start: %s", strerror(r->code));
		break;
	case LOGIN_INPUT_UNREADABLE:
		snprintf(out, size, "StandardInput=file:%s: %s", l->input_file, input_problem);
		break;
	case LOGIN_TOO_MUCH_OUTPUT:
		snprintf(out, size, "wrote more than %d KiB to a captured stdout",
			 LOGIN_CAPTURE_MAX / 1024);
		break;
	case LOGIN_NO_EXIT:
		snprintf(out, size, "did not exit %d s after SIGKILL; left behind", KILL_WAIT_MS / 1000);
		break;
	case LOGIN_INTERRUPTED:
		snprintf(out, size, "interrupted by %s", signal_name(r->code));
		break;
	case LOGIN_DONE:
		snprintf(out, size, "done");
		break;
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

static void free_run(struct login *l)
{
	secret_free(l->input_bytes, l->input_len);
	free(l->path);
	free_vector(l->argv);
	free_vector(l->envp);
	l->input_bytes = l->path = NULL;
	l->argv = l->envp = NULL;
	l->input_len = 0;
}

/* The helper failed for good: 0-like LOGIN_NEXT if optional, else 125; one line either way. */
static int give_up(struct login *l, const char *reason)
{
	free_run(l);
	if (l->optional) {
		usher_warn("login \"%s\": %s; optional, continuing", l->name,
			   reason[0] ? reason : "not run");
		return LOGIN_NEXT;
	}
	if (reason[0])
		usher_err("login \"%s\": %s", l->name, reason);
	return EXIT_USHER_FAILED;
}

/* First attempt: expansion errors are printed where they happen, with file, line and helper. */
static int prepare_run(struct login *l)
{
	char reason[512] = "";
	bool input_failed = false;
	if (l->exec.count == 0) {
		usher_err("%s: [Login %s] has no ExecStart=", l->where, l->name);
		return EXIT_USHER_FAILED; /* a config mistake, optional or not */
	}
	if (l->input == INPUT_OUTPUT && !logins[l->input_from].succeeded) {
		snprintf(reason, sizeof reason, "not run: its input, the output of \"%s\", is missing",
			 logins[l->input_from].name);
		return give_up(l, reason);
	}
	l->argv = expand_argv(l, run_env);
	l->envp = l->argv ? helper_env(l, run_env) : NULL;
	l->path = l->envp ? find_program(l, l->argv[0], l->envp, reason, sizeof reason) : NULL;
	l->input_bytes = l->path ? prepare_input(l, run_env, &l->input_len, &input_failed) : NULL;
	if (!l->path || input_failed)
		return give_up(l, reason);
	l->delay_ms = l->retry_ms;
	return LOGIN_RUN;
}

int creds_login_attempt(unsigned i, struct login_attempt *a)
{
	struct login *l = &logins[i];
	if (l->attempts == 0) {
		int step = prepare_run(l);
		if (step != LOGIN_RUN)
			return step;
	}
	l->attempts++;
	usher_info("login \"%s\": running %s (attempt %d of %ld)", l->name, l->path, l->attempts,
		   l->retries + 1);
	l->started_ms = now_ms();
	*a = (struct login_attempt){
		.label = l->label, .prefix = l->prefix, .path = l->path, .argv = l->argv,
		.envp = l->envp, .input = LOGIN_STDIN_NULL, .input_fd = -1,
		.output = l->output == OUTPUT_CAPTURE ? LOGIN_STDOUT_CAPTURE
			  : l->output == OUTPUT_NULL ? LOGIN_STDOUT_NULL : LOGIN_STDOUT_RELAY,
		.timeout_ms = l->timeout_ms, .stop_timeout_ms = l->stop_grace_ms,
		.kill_wait_ms = KILL_WAIT_MS,
	};
	if (l->input == INPUT_TEXT || l->input == INPUT_OUTPUT) {
		a->input = LOGIN_STDIN_TEXT;
		a->input_text = l->input_bytes;
		a->input_len = l->input_len;
	} else if (l->input == INPUT_FILE) {
		/* A FIFO in its place must not hang usher before TimeoutSec= even starts. */
		a->input = LOGIN_STDIN_FD;
		a->input_fd = user_file_open(l->input_file, SECRET_FILE_MAX, NULL, &input_problem);
	}
	return LOGIN_RUN;
}

static void keep_capture(struct login *l, const struct login_result *r)
{
	secret_free(l->captured, l->captured_len);
	l->captured = NULL;
	l->captured_len = 0;
	if (l->output != OUTPUT_CAPTURE || !r->captured)
		return;
	l->captured = malloc(r->captured_len + 1);
	if (!l->captured) {
		usher_err("login \"%s\": out of memory", l->name);
		exit(EXIT_USHER_FAILED); /* fail closed: a token we lost could not be masked */
	}
	memcpy(l->captured, r->captured, r->captured_len);
	l->captured[r->captured_len] = '\0';
	l->captured_len = r->captured_len;
	/* Even a failed helper's: it may be part of a token. */
	secret_register(l->captured);
}

int creds_login_ended(unsigned i, const struct login_result *r, long *retry_ms)
{
	struct login *l = &logins[i];
	char reason[512];
	keep_capture(l, r);
	if (r->end == LOGIN_DONE) {
		char took[32];
		format_duration((long)(now_ms() - l->started_ms), took, sizeof took);
		usher_info("login \"%s\": done in %s", l->name, took);
		l->succeeded = true;
		free_run(l);
		return LOGIN_NEXT;
	}
	describe(l, r, reason, sizeof reason);
	if (r->end == LOGIN_INTERRUPTED) {
		usher_err("login \"%s\": %s; not starting", l->name, reason);
		free_run(l);
		return 128 + r->code;
	}
	/* A helper that cannot be executed, or is stuck in the kernel, is not retried. */
	bool useless = r->end == LOGIN_EXEC_FAILED || r->end == LOGIN_NO_EXIT;
	if (useless || l->attempts > l->retries) {
		if (l->attempts > 1) {
			size_t used = strlen(reason);
			snprintf(reason + used, sizeof reason - used, " (%d attempts)", l->attempts);
		}
		return give_up(l, reason);
	}
	char wait[32];
	format_duration(l->delay_ms, wait, sizeof wait);
	usher_warn("login \"%s\": %s; retrying in %s (attempt %d of %ld)", l->name, reason, wait,
		   l->attempts + 1, l->retries + 1);
	*retry_ms = l->delay_ms;
	l->delay_ms = l->delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : l->delay_ms * 2;
	return LOGIN_RETRY;
}

int creds_login_interrupted(unsigned i, int sig)
{
	usher_err("login \"%s\": interrupted by %s; not starting", logins[i].name, signal_name(sig));
	free_run(&logins[i]);
	return 128 + sig;
}

void creds_login_finish(void)
{
	/* The captured output of a helper is not needed past this run (it stays masked). */
	for (size_t i = 0; i < login_count; i++) {
		free_run(&logins[i]);
		secret_free(logins[i].captured, logins[i].captured_len);
		logins[i].captured = NULL;
		logins[i].captured_len = 0;
	}
}
