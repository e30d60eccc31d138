/* creds/login.h — what the login half shares beyond creds/internal.h: the [Login NAME] table
 * (login-keys.c fills it, login.c runs from it) and the masking helpers (secret.c). */
#ifndef USHER_CREDS_LOGIN_H
#define USHER_CREDS_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

/* Fixed limits, documented in docs/login-helpers.md. */
enum {
	LOGIN_MAX = 16,              /* [Login NAME] sections */
	LOGIN_NAME_MAX = 64,         /* bytes in NAME */
	INPUT_TEXT_MAX = 64 * 1024,  /* StandardInputText= of one helper, after expansion */
	KILL_WAIT_MS = 10000,        /* after SIGKILL, how long to wait before giving up */
	RETRY_MAX_MS = 60000,        /* the doubling backoff stops growing here */
};

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
	char *label, *prefix;     /* "login \"acr\"", "usher: acr: " */
	/* Set by the current run: */
	bool succeeded;
	char *captured;
	size_t captured_len;
	int attempts;
	long delay_ms;            /* before the next retry */
	long long started_ms;
	char *path, **argv, **envp, *input_bytes;
	size_t input_len;
};

/* The [Login NAME] sections, in the order they first appeared (login-keys.c). */
extern struct login logins[LOGIN_MAX];
extern size_t login_count;
/* strdup, or exit 125 (only ever before the loop, or while the helpers are prepared). */
char *login_strdup(const char *text);

/* Values shorter than this are not secrets for masking or env filtering: masking "1" or
 * "on" would garble every line and hide nothing an attacker could not guess. */
enum { SECRET_MIN_LEN = 4 };

/* True if value is exactly a registered secret (the helper env leaves such entries out). */
bool secret_is_registered(const char *value, size_t len);

/* Where a partial line of len bytes may be printed without splitting a secret: the largest
 * cut such that text[0..cut) can be masked and printed now and text[cut..len) carried over
 * to be completed by later output. 0 means nothing may be printed yet. */
size_t secret_safe_cut(const char *text, size_t len);

/* Wipe and free len bytes of a heap buffer (NULL is fine). */
void secret_free(void *buffer, size_t len);

#endif
