/* sandbox/seccomp-json.c — the strict JSON layer under the seccomp profile reader: jsmn's tokens
 * checked whole (shape, depth, repeated keys), typed values, errors with line and JSON path. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "seccomp-json.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "usher: <origin>: line N: <path>: <why>" — path is the JSON location, e.g. syscalls[3].op */
int json_fail(const struct json *js, int token, const char *path, const char *fmt, ...)
{
	int line = 1;
	for (int i = 0; i < js->tokens[token].start; i++)
		line += js->text[i] == '\n';
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	usher_err("%s: line %d: %s: %s", js->origin, line, path, why);
	return -1;
}

/* Index of the token after token i and everything inside it. */
int json_skip(const struct json *js, int i)
{
	int pending = 1;
	while (pending > 0) {
		pending += js->tokens[i].size - 1;
		i++;
	}
	return i;
}

bool json_is_key(const struct json *js, int i, const char *key)
{
	const jsmntok_t *t = &js->tokens[i];
	size_t len = (size_t)(t->end - t->start);
	return t->type == JSMN_STRING && strlen(key) == len && memcmp(js->text + t->start, key, len) == 0;
}

bool json_is_null(const struct json *js, int i)
{
	const jsmntok_t *t = &js->tokens[i];
	return t->type == JSMN_PRIMITIVE && js->text[t->start] == 'n';
}

int json_expect(const struct json *js, int i, jsmntype_t type, const char *path)
{
	static const char *const type_names[] = { "?", "an object", "an array", "a string", "a number" };
	if (js->tokens[i].type == type)
		return 0;
	return json_fail(js, i, path, "expected %s", type_names[type]);
}

/* The decoded string (JSON escapes resolved; \u only for ASCII), malloc'd; NULL after printing. */
char *json_string(const struct json *js, int i, const char *path)
{
	if (json_expect(js, i, JSMN_STRING, path) < 0)
		return NULL;
	const char *src = js->text + js->tokens[i].start;
	size_t len = (size_t)(js->tokens[i].end - js->tokens[i].start);
	char *out = malloc(len + 1);
	if (!out) {
		json_fail(js, i, path, "out of memory");
		return NULL;
	}
	size_t n = 0;
	for (size_t k = 0; k < len; k++) {
		char c = src[k];
		if (c == '\\') {
			c = src[++k];
			static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
			const char *e = strchr(escapes, c);
			if (c == 'u') {
				unsigned code = 0;
				bool four_hex = k + 4 < len;
				for (size_t h = 1; four_hex && h <= 4; h++) {
					char digit = src[k + h];
					int value = digit >= '0' && digit <= '9'   ? digit - '0'
						    : digit >= 'a' && digit <= 'f' ? digit - 'a' + 10
						    : digit >= 'A' && digit <= 'F' ? digit - 'A' + 10
										   : -1;
					four_hex = value >= 0;
					code = code << 4 | (unsigned)(value & 0xf);
				}
				if (!four_hex || code == 0 || code > 0x7f) {
					free(out);
					json_fail(js, i, path, "only ASCII \\u escapes are supported");
					return NULL;
				}
				c = (char)code;
				k += 4;
			} else if (e && (e - escapes) % 2 == 0) {
				c = e[1];
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

/* A non-negative integer as Go's json decodes into uint64: digits only. */
int json_u64(const struct json *js, int i, const char *path, uint64_t *value)
{
	const jsmntok_t *t = &js->tokens[i];
	const char *src = js->text + t->start;
	size_t len = (size_t)(t->end - t->start);
	if (t->type != JSMN_PRIMITIVE || len == 0 || len > 20 || strspn(src, "0123456789") < len)
		return json_fail(js, i, path, "expected a non-negative integer");
	char digits[21];
	memcpy(digits, src, len);
	digits[len] = '\0';
	errno = 0;
	unsigned long long parsed = strtoull(digits, NULL, 10);
	if (errno == ERANGE)
		return json_fail(js, i, path, "%s is out of range", digits);
	*value = parsed;
	return 0;
}

/* Appends the strings of the array at token i to *list. Returns the next token or -1. */
int json_strings(const struct json *js, int i, const char *path, char ***list, size_t *count)
{
	if (json_is_null(js, i))
		return i + 1;
	if (json_expect(js, i, JSMN_ARRAY, path) < 0)
		return -1;
	int n = js->tokens[i].size;
	char **grown = realloc(*list, (*count + (size_t)n + 1) * sizeof *grown);
	if (!grown)
		return json_fail(js, i, path, "out of memory");
	*list = grown;
	i++;
	for (int k = 0; k < n; k++) {
		char *s = json_string(js, i, path);
		if (!s)
			return -1;
		(*list)[(*count)++] = s;
		i++;
	}
	return i;
}

void json_free_strings(char **list, size_t count)
{
	for (size_t k = 0; k < count; k++)
		free(list[k]);
	free(list);
}

/* jsmn does not check that every object member is a string key with one value ({"a", "b": 1}
 * passes); the profile walker relies on it, so check it first. Profiles nest 5 deep at most. */
static int check_shape(const struct json *js, int i, int count, int depth)
{
	enum { MAX_DEPTH = 16 };
	if (i >= count)
		return json_fail(js, count - 1, "structure", "the JSON ends inside a value");
	if (depth > MAX_DEPTH)
		return json_fail(js, i, "structure", "nested deeper than %d", MAX_DEPTH);
	const jsmntok_t *t = &js->tokens[i];
	int next = i + 1;
	if (t->type == JSMN_OBJECT) {
		for (int k = 0; k < t->size && next >= 0; k++) {
			if (next >= count || js->tokens[next].type != JSMN_STRING || js->tokens[next].size != 1)
				return json_fail(js, next < count ? next : i, "structure", "expected \"key\": value");
			next = check_shape(js, next + 1, count, depth + 1);
		}
	} else if (t->type == JSMN_ARRAY) {
		for (int k = 0; k < t->size && next >= 0; k++)
			next = check_shape(js, next, count, depth + 1);
	} else if (t->size != 0) {
		return json_fail(js, i, "structure", "a value where a key was expected");
	}
	return next;
}

static bool same_text(const struct json *js, int a, int b)
{
	const jsmntok_t *x = &js->tokens[a], *y = &js->tokens[b];
	return x->end - x->start == y->end - y->start &&
	       memcmp(js->text + x->start, js->text + y->start, (size_t)(x->end - x->start)) == 0;
}

/* Go's decoder keeps the last of repeated keys; a second "syscalls" or "action" is far more
 * likely a mistake that would silently drop rules, so it is refused. A profile's objects have
 * a handful of keys: more than MAX_KEYS is refused too. */
static int refuse_repeated_keys(const struct json *js, int count)
{
	enum { MAX_KEYS = 32 };
	for (int i = 0; i < count; i++) {
		if (js->tokens[i].type != JSMN_OBJECT)
			continue;
		int keys[MAX_KEYS], n = js->tokens[i].size;
		if (n > MAX_KEYS)
			return json_fail(js, i, "object", "%d keys; a profile's objects have a few", n);
		for (int k = 0, key = i + 1; k < n; k++, key = json_skip(js, key + 1))
			keys[k] = key;
		for (int a = 0; a < n; a++)
			for (int b = a + 1; b < n; b++)
				if (same_text(js, keys[a], keys[b]))
					return json_fail(js, keys[b], "repeated key", "\"%.*s\" appears twice in one object",
					            js->tokens[keys[b]].end - js->tokens[keys[b]].start,
					            js->text + js->tokens[keys[b]].start);
	}
	return 0;
}

/* One well-formed value and nothing after it, no repeated keys: then profile_at may walk it. */
static int check_document(const struct json *js, int count)
{
	int end = check_shape(js, 0, count, 0);
	if (end < 0)
		return -1;
	if (end != count)
		return json_fail(js, end, "end", "text after the profile's closing brace");
	return refuse_repeated_keys(js, count);
}

/* jsmn's position at an error → a line number for the message. */
static int line_of(const char *text, unsigned pos)
{
	int line = 1;
	for (unsigned k = 0; k < pos && text[k]; k++)
		line += text[k] == '\n';
	return line;
}

static int jsmn_failure(int rc, const jsmn_parser *parser, const char *text, const char *origin)
{
	if (rc == JSMN_ERROR_PART)
		usher_err("%s: not valid JSON: it ends too early", origin);
	else if (rc == JSMN_ERROR_NOMEM)
		usher_err("%s: out of memory", origin);
	else
		usher_err("%s: line %d: not valid JSON", origin, line_of(text, parser->pos));
	return -1;
}

int json_open(struct json *js, const char *text, size_t len, const char *origin)
{
	*js = (struct json){ .text = text, .origin = origin };
	/* First count the tokens, then parse into exactly that many. */
	jsmn_parser parser;
	jsmn_init(&parser);
	int count = jsmn_parse(&parser, text, len, NULL, 0);
	if (count < 0)
		return jsmn_failure(count, &parser, text, origin);
	if (count == 0) {
		usher_err("%s: empty file, not a seccomp profile", origin);
		return -1;
	}
	jsmntok_t *tokens = calloc((size_t)count, sizeof *tokens);
	if (!tokens) {
		usher_err("%s: out of memory", origin);
		return -1;
	}
	jsmn_init(&parser);
	int parsed = jsmn_parse(&parser, text, len, tokens, (unsigned)count);
	js->tokens = tokens;
	int rc;
	if (parsed < 0)
		rc = jsmn_failure(parsed, &parser, text, origin);
	else if (parsed != count)
		rc = jsmn_failure(JSMN_ERROR_INVAL, &parser, text, origin);
	else
		rc = check_document(js, count);
	if (rc < 0)
		free(tokens);
	return rc;
}
