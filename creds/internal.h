/* creds/internal.h — the contract between the loading half of creds/ (env files, dirs,
 * VAR_FILE, expansion, options; creds.c) and the login half (helpers, masking, watching). */
#ifndef USHER_CREDS_INTERNAL_H
#define USHER_CREDS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* --- secret.c (login half): every value loaded from a file, for masking. --- */
/* Remember a secret value (copied). Empty values are ignored. */
void secret_register(const char *value);
/* Write one line of helper output to stderr as "usher: <prefix>: <line>", with every
 * registered secret value (and captured pipe output) replaced by "***". */
void secret_print_masked(const char *prefix, const char *line, size_t len);
/* Forget and wipe every registered value. */
void secret_wipe_all(void);

/* --- login.c (login half): the [Login NAME] helpers. --- */
/* True when any helper is configured. */
bool login_any(void);
/* The next run of the helpers (creds_login_*) expands against env, the workload's
 * environment to be, the base of each helper's own (plus its Environment=). */
void login_begin(char **env);

/* --- watch.c (login half): inotify on the directories holding watched files. --- */
/* Watch the file at path (by name, through its directory: survives rename and the
 * Kubernetes ..data swap). 0, or -1 after printing. */
int watch_add(const char *path);
int watch_fd(void);        /* -1 when nothing is watched */
bool watch_changed(void);  /* drain; true if a watched name changed; never blocks */

/* --- service-env.c: wipe every service environment and argv handed out. --- */
void service_env_wipe(void);

/* --- expand.c (loading half) --- */
/* Expand ${VAR} ${VAR:-default} ${VAR:?message} $VAR $$ in text against env.
 * Returns a malloc'd string, or NULL after printing "usher: <where>: ..." naming the
 * variable. */
char *expand_string(const char *text, char **env, const char *where);
/* Value of name in env (NULL-terminated KEY=VALUE), or NULL. */
const char *env_lookup(char **env, const char *name);

#endif
