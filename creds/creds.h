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
 * on top of base_env (the process environment), then run the login helpers.
 * Returns 0, or an exit code (EXIT_USHER_FAILED, or 128+N if start-up was interrupted
 * by signal N) after printing one line that says why. */
int creds_prepare(char **base_env);

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
/* Re-read every source and re-run the helpers. 0: new env in place; -1: error printed,
 * the old env is kept. */
int creds_reload(void);

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
