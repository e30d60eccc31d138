/* creds/expand.c — ${VAR} ${VAR:-default} ${VAR:?message} $VAR and $$ in argv, expanded by
 * usher against the workload's environment; an unset variable without a default is an error. */
#include "internal.h"

#include "env.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The result being built; it may hold secret values, so growing it wipes the old copy. */
struct text {
	char *buf;
	size_t len, cap;
};

static int append(struct text *out, const char *from, size_t n)
{
	if (out->len + n + 1 > out->cap) {
		size_t cap = out->cap ? out->cap : 64;
		while (out->len + n + 1 > cap)
			cap *= 2;
		char *bigger = malloc(cap);
		if (!bigger) {
			usher_err("out of memory");
			return -1;
		}
		if (out->buf) {
			memcpy(bigger, out->buf, out->len);
			wipe_free(out->buf, out->cap);
		}
		out->buf = bigger;
		out->cap = cap;
	}
	memcpy(out->buf + out->len, from, n);
	out->len += n;
	out->buf[out->len] = '\0';
	return 0;
}

struct expansion {
	const char *p;      /* next byte of the text */
	char **env;
	const char *where;  /* "argv[2]" for messages */
};

static bool name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c, bool braced)
{
	/* Inside braces, every key an env file may define (with . and /) can be named. */
	return name_start(c) || (c >= '0' && c <= '9') || (braced && (c == '.' || c == '/'));
}

static int expand_until(struct expansion *x, char end, bool evaluate, struct text *out);

/* Copy the name at x->p into name (size bytes); 0, or -1 if empty or too long. */
static int take_name(struct expansion *x, bool braced, char *name, size_t size)
{
	size_t n = 0;
	if (!name_start(*x->p))
		return -1;
	while (name_char(*x->p, braced)) {
		if (n + 1 >= size)
			return -1;
		name[n++] = *x->p++;
	}
	name[n] = '\0';
	return 0;
}

/* ${NAME}, ${NAME:-default}, ${NAME:?message}; x->p is just after "${". */
static int expand_braced(struct expansion *x, bool evaluate, struct text *out)
{
	char name[256];
	if (take_name(x, true, name, sizeof name) != 0) {
		usher_err("%s: bad substitution: ${ must be followed by a variable name", x->where);
		return -1;
	}
	const char *value = env_lookup(x->env, name);
	if (*x->p == '}') {
		x->p++;
		if (!evaluate)
			return 0;
		if (!value) {
			usher_err("%s: %s is not set", x->where, name);
			return -1;
		}
		return append(out, value, strlen(value));
	}
	if (x->p[0] == ':' && x->p[1] == '-') {
		x->p += 2;
		bool use_default = !value || !*value;
		if (evaluate && !use_default && append(out, value, strlen(value)) != 0)
			return -1;
		return expand_until(x, '}', evaluate && use_default, out);
	}
	if (x->p[0] == ':' && x->p[1] == '?') {
		/* The message is printed as written: expanding it could print a secret. */
		const char *message = x->p + 2, *close = strchr(message, '}');
		if (!close) {
			usher_err("%s: missing } after ${%s", x->where, name);
			return -1;
		}
		x->p = close + 1;
		if (!evaluate || (value && *value))
			return evaluate ? append(out, value, strlen(value)) : 0;
		if (close == message)
			usher_err("%s: %s is not set or empty", x->where, name);
		else
			usher_err("%s: %s: %.*s", x->where, name, (int)(close - message), message);
		return -1;
	}
	if (!*x->p)
		usher_err("%s: missing } after ${%s", x->where, name);
	else
		usher_err("%s: unsupported form after ${%s (use ${%s}, ${%s:-default} or "
			  "${%s:?message})", x->where, name, name, name, name);
	return -1;
}

/* Expand until the byte `end` ('\0' for the whole text, '}' for a default), consuming it.
 * Without evaluate, only the syntax is followed (an unused default is not looked at). */
static int expand_until(struct expansion *x, char end, bool evaluate, struct text *out)
{
	for (;;) {
		const char *plain = x->p;
		while (*x->p && *x->p != '$' && *x->p != end)
			x->p++;
		if (evaluate && append(out, plain, (size_t)(x->p - plain)) != 0)
			return -1;
		if (*x->p == end) {
			if (end)
				x->p++;
			return 0;
		}
		if (!*x->p) {
			usher_err("%s: missing } in ${...:-default}", x->where);
			return -1;
		}
		x->p++; /* the '$' */
		if (*x->p == '$') {
			x->p++;
			if (evaluate && append(out, "$", 1) != 0)
				return -1;
		} else if (*x->p == '{') {
			x->p++;
			if (expand_braced(x, evaluate, out) != 0)
				return -1;
		} else {
			char name[256];
			if (take_name(x, false, name, sizeof name) != 0) {
				usher_err("%s: a lone $ (write $$ for a literal $)", x->where);
				return -1;
			}
			const char *value = env_lookup(x->env, name);
			if (evaluate && !value) {
				usher_err("%s: %s is not set", x->where, name);
				return -1;
			}
			if (evaluate && append(out, value, strlen(value)) != 0)
				return -1;
		}
	}
}

char *expand_string(const char *text, char **env, const char *where)
{
	struct expansion x = { .p = text, .env = env, .where = where };
	struct text out = { 0 };
	if (append(&out, "", 0) != 0 || expand_until(&x, '\0', true, &out) != 0) {
		wipe_free(out.buf, out.cap);
		return NULL;
	}
	return out.buf;
}
