/* init/util.h — messages, durations and small parsers every module uses.
 * Errors go to stderr as "usher: <what>: <why>"; never pass a secret value to these. */
#ifndef USHER_UTIL_H
#define USHER_UTIL_H

#include <stdbool.h>
#include <stddef.h>

struct stat;

/* Exit codes of usher's own failures, as env(1), timeout(1) and docker run use them. */
enum {
	EXIT_USHER_FAILED = 125,  /* bad usage, config, credentials or sandbox set-up */
	EXIT_NOT_EXECUTABLE = 126,
	EXIT_NOT_FOUND = 127,
};

/* 0 quiet (errors only), 1 warnings (default), 2 info (-v), 3 debug (-vv), 4 trace (-vvv) */
extern int usher_verbosity;

void usher_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void usher_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void usher_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void usher_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The longest duration usher takes: 24 days (576h). Every duration then fits an int of
 * milliseconds (poll, sigtimedwait) and any deadline now_ms() + duration. */
#define DURATION_MAX_MS (24L * 24 * 3600 * 1000)
/* "30s", "500ms", "2m", "1h", "1.5s", bare number = seconds, at most DURATION_MAX_MS.
 * -1 on bad input (never overflows). */
int parse_duration_ms(const char *text, long *ms);
/* parse_duration_ms, or -1 after "usher: <where>: '<text>' is not a duration (...)": the one
 * wording every duration option uses. */
int duration_option(const char *text, const char *where, long *ms);
/* yes/no/true/false/on/off/1/0. -1 on bad input. */
int parse_bool(const char *text, bool *value);
/* Decimal integer within [min, max]. -1 on bad input. */
int parse_long(const char *text, long min, long max, long *value);

/* Files named by the user (options, config keys) are opened one way: regular files only,
 * opened O_NONBLOCK so that a FIFO cannot hang PID 1, at most max_bytes. */
/* NULL if the open fd is a regular file of at most max_bytes (its stat in *st), else why
 * not: "not a regular file", "larger than N KiB" or strerror. */
const char *user_file_check(int fd, size_t max_bytes, struct stat *st);
/* Opens path read-only, close-on-exec, blocking mode restored, and checks it: an fd (its
 * size in *size if wanted), or -1 with *why set (print it as "<path>: <why>"). */
int user_file_open(const char *path, size_t max_bytes, size_t *size, const char **why);
/* The whole of such a file, NUL-terminated (a NUL inside is an error: every caller reads
 * text), in *length if wanted. Returns malloc'd text, or NULL after printing
 * "usher: <path>: <why>". Not for secrets: creds/ reads those (same checks, wiped). */
char *read_small_file(const char *path, size_t max_bytes, size_t *length);

/* systemd-style words (ExecStart=, exec: checks): whitespace separates, '…' and "…" group,
 * C escapes inside and out (\$ gives $$, a literal $ for ${VAR} expansion). Appends each word,
 * malloc'd, to the NULL-terminated *words (*count of them). 0, or -1 after printing
 * "usher: WHERE: KEY: <why>"; exits 125 when out of memory (only ever before the loop). */
int split_words(const char *text, char ***words, size_t *count, const char *where, const char *key);
void words_append(char ***words, size_t *count, char *word);
/* Environment= words: the first of words[from..count) that is not KEY=VALUE with KEY
 * [A-Za-z_][A-Za-z0-9_]*, counted from 1; 0 when all are. */
size_t words_bad_assignment(char **words, size_t from, size_t count);
/* NAME of [Login NAME] and [Service NAME]: 1 to max bytes of A-Z a-z 0-9 . _ - */
bool section_name_valid(const char *name, size_t max);

/* HOME follows a user switch (User=, --user) unless the environment's HOME (value, or NULL)
 * was set on purpose: different from usher's own. One rule for the main command and services. */
bool home_set_on_purpose(const char *value);

/* A copy of text that lives as long as the process (never freed; exits 125 if out of
 * memory). */
const char *keep_string(const char *text);

/* FNV-1a of len bytes, for hash tables (creds/ keys and secrets by value). */
size_t hash_bytes(const char *bytes, size_t len);

/* Monotonic clock in milliseconds. */
long long now_ms(void);

#endif
