/* creds/creds.h — what init/ asks of the credentials phase: the workload's environment,
 * argv expansion, login helpers, and reloading when secrets rotate. */
#ifndef USHER_CREDS_H
#define USHER_CREDS_H

#include <stdbool.h>
#include <stddef.h>

/* Config file: keys of a [Login NAME] section. Returns 0, or -1 after printing. */
int creds_login_set(const char *login_name, const char *key, const char *value,
		    const char *where);

/* "[-][nomad:|docker:]PATH" as --env-file takes it (a service's EnvironmentFile=): 0, or -1
 * after printing "usher: <where>: why". The file is not read. */
int creds_check_env_file(const char *value, const char *where);

/* Before the workload starts: wait for files, load env files, secret dirs and VAR_FILE
 * on top of base_env (the process environment). The login helpers run after it, in init's
 * loop (init/helpers.c, creds_login_*). Returns 0, or EXIT_USHER_FAILED after printing. */
int creds_prepare(char **base_env);

/* Login helpers ([Login NAME]). creds prepares each attempt and decides what its end means
 * (messages, retries, captures); init/helpers.c runs it on the process engine. The helpers
 * of the last creds_prepare() or creds_reload() run in order, one attempt at a time. */
enum login_stdin { LOGIN_STDIN_NULL, LOGIN_STDIN_TEXT, LOGIN_STDIN_FD };
enum login_stdout { LOGIN_STDOUT_RELAY, LOGIN_STDOUT_CAPTURE, LOGIN_STDOUT_NULL };
enum {
	LOGIN_CAPTURE_MAX = 64 * 1024, /* captured stdout of one helper (more is a failure) */
	LOGIN_FORWARD_MAX = 256 * 1024, /* output relayed per stream and attempt; rest dropped */
};
struct login_attempt {
	const char *label;        /* "login \"acr\"" for messages */
	const char *prefix;       /* "usher: acr: " before each line of its output */
	const char *path;
	char **argv, **envp;
	enum login_stdin input;
	const char *input_text;   /* LOGIN_STDIN_TEXT */
	size_t input_len;
	int input_fd;             /* LOGIN_STDIN_FD: StandardInput=file:, opened (the caller closes) */
	enum login_stdout output;
	long timeout_ms, stop_timeout_ms, kill_wait_ms;
};
enum login_end {
	LOGIN_DONE, LOGIN_EXITED, LOGIN_SIGNALLED, LOGIN_TIMED_OUT, LOGIN_EXEC_FAILED,
	LOGIN_START_FAILED, LOGIN_INPUT_UNREADABLE, LOGIN_TOO_MUCH_OUTPUT, LOGIN_NO_EXIT,
	LOGIN_INTERRUPTED,
};
struct login_result {
	enum login_end end;
	int code;                 /* exit status, signal number, or errno */
	bool exec_step;           /* LOGIN_EXEC_FAILED: true if execve itself failed */
	const char *captured;     /* LOGIN_STDOUT_CAPTURE: what it wrote (copied by creds) */
	size_t captured_len;
};
/* Steps (negative; a positive value is usher's exit code, the phase failed, printed). */
enum { LOGIN_RUN = -1, LOGIN_NEXT = -2, LOGIN_RETRY = -3 };
unsigned creds_login_count(void);
/* Helper i's next attempt: LOGIN_RUN with *a filled (valid until creds_login_ended), LOGIN_NEXT
 * (not run: optional, warning printed), or an exit code. */
int creds_login_attempt(unsigned i, struct login_attempt *a);
/* After an attempt of helper i: LOGIN_NEXT (done, or optional and failed), LOGIN_RETRY in
 * *retry_ms, or an exit code (128+N for LOGIN_INTERRUPTED by signal N). One line printed. */
int creds_login_ended(unsigned i, const struct login_result *r, long *retry_ms);
/* A stop signal while helper i waits for a retry: the line, and 128+sig. */
int creds_login_interrupted(unsigned i, int sig);
/* The helpers are over: captures registered as secrets, then wiped; attempts freed. */
void creds_login_finish(void);

/* The workload's environment, NULL-terminated "KEY=VALUE". Valid until creds_reload. */
char **creds_env(void);

/* ${VAR} ${VAR:-default} ${VAR:?message} $VAR $$ expanded against creds_env().
 * Returns a new NULL-terminated argv, or NULL after printing an error naming the variable. */
char **creds_expand_argv(char *const argv[]);

/* A service's environment: base, HOME=home (User='s, or NULL; as for the main command, unless
 * base's HOME was set on purpose), then assignments ("KEY=VALUE",
 * ${VAR} expanded against base), then the env files ("[-][FORMAT:]PATH", as --env-file), then
 * extra ("KEY=VALUE" or NULL). A vector that lives as long as usher, or NULL after printing. */
char **creds_service_env(char **base, const char *home, char *const *assignments,
			 const char *const *files, const char *extra, const char *where);
/* Each word ${VAR}-expanded against env (as [Login] ExecStart=). NULL after printing. */
char **creds_expand_words(char *const *words, char **env, const char *where);

/* Rotation. The signal that means "reload" (0: none, the signal is forwarded). */
int creds_reload_signal(void);
/* An fd to poll for watched-file changes (inotify), or -1. */
int creds_watch_fd(void);
/* Drains creds_watch_fd(); true if a watched file changed. Must not block. */
bool creds_watch_changed(void);
/* Re-read every source into a new env, kept aside while the helpers run against it.
 * 0, or -1 after printing (the old env is kept). Then creds_reload_finish(true): the new env
 * takes over; false: it is wiped and the old one kept. */
int creds_reload(void);
void creds_reload_finish(bool keep);

/* Masking for the output relay, as init/relay.h's relay_filter_fn and relay_cut_fn (ctx is
 * unused: NULL). Neither allocates. creds_mask rewrites line in place, every registered secret
 * (overlapping ones as one) replaced by "***"; returns the new length, never longer.
 * creds_mask_cut: how much of a partial line may be masked and printed now without cutting a
 * secret in two (0: nothing yet; the rest waits for more text). */
size_t creds_mask(void *ctx, char *line, size_t len);
size_t creds_mask_cut(void *ctx, const char *text, size_t len);

/* Wipe every buffer that holds a secret (before usher exits). */
void creds_wipe(void);

#endif
