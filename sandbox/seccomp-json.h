/* sandbox/seccomp-json.h — seccomp-json.c's strict JSON layer for seccomp-profile.c: a document
 * checked whole, then walked token by token; every reader prints its own error and returns -1. */
#ifndef USHER_SECCOMP_JSON_H
#define USHER_SECCOMP_JSON_H

#ifndef JSMN_H
#define JSMN_HEADER /* the types only; seccomp-json.c holds the parser */
#include <jsmn.h>
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct json {
	const char *text;
	const jsmntok_t *tokens;
	const char *origin;
};

/* Tokenizes text and checks it: one value and nothing after it, every object member a
 * "key": value, at most 16 deep, no repeated keys. 0, or -1 after printing (tokens freed). */
int json_open(struct json *js, const char *text, size_t len, const char *origin);
static inline void json_close(struct json *js)
{
	free((jsmntok_t *)js->tokens);
}

/* "usher: <origin>: line N: <path>: <why>" (path: the JSON location, e.g. syscalls[3].op); -1 */
__attribute__((format(printf, 4, 5)))
int json_fail(const struct json *js, int token, const char *path, const char *fmt, ...);
/* Index of the token after token i and everything inside it. */
int json_skip(const struct json *js, int i);
bool json_is_key(const struct json *js, int i, const char *key);
bool json_is_null(const struct json *js, int i);
/* 0 if token i has that type, else -1 after "expected an object" etc. */
int json_expect(const struct json *js, int i, jsmntype_t type, const char *path);
/* The decoded string (JSON escapes resolved; \u only for ASCII), malloc'd; NULL after printing. */
char *json_string(const struct json *js, int i, const char *path);
/* A non-negative integer as Go's json decodes into uint64: digits only. */
int json_u64(const struct json *js, int i, const char *path, uint64_t *value);
/* Appends the strings of the array (or null) at token i to *list. The next token, or -1. */
int json_strings(const struct json *js, int i, const char *path, char ***list, size_t *count);
void json_free_strings(char **list, size_t count);

#endif
