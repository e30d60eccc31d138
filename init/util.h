/* init/util.h — messages, durations and small parsers every module uses.
 * Errors go to stderr as "usher: <what>: <why>"; never pass a secret value to these. */
#ifndef USHER_UTIL_H
#define USHER_UTIL_H

#include <stdbool.h>
#include <stddef.h>

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

/* "30s", "500ms", "2m", "1h", "1.5s", bare number = seconds. -1 on bad input. */
int parse_duration_ms(const char *text, long *ms);
/* yes/no/true/false/on/off/1/0. -1 on bad input. */
int parse_bool(const char *text, bool *value);
/* Decimal integer within [min, max]. -1 on bad input. */
int parse_long(const char *text, long min, long max, long *value);

/* The whole of a regular file of at most max_bytes, NUL-terminated (a NUL inside is an
 * error: every caller reads text), in *length if wanted. Returns malloc'd text, or NULL
 * after printing "usher: <path>: <why>". Not for secrets: see creds/ for those. */
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

/* A copy of text that lives as long as the process (a static pool; no free needed). */
const char *keep_string(const char *text);

/* Monotonic clock in milliseconds. */
long long now_ms(void);

#endif
