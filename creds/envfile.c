/* creds/envfile.c — parsing env files in their two formats, nomad (go-envparse v0.1.0) and
 * docker (--env-file); secret-file.c reads them. */
#include "envfile.h"

#include "internal.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- parsing helpers */

static int fail(struct envfile_error *error, const char *why)
{
	snprintf(error->why, sizeof error->why, "%s", why);
	return -1;
}

/* Length of the white space starting at s that Go's unicode.IsSpace accepts, else 0:
 * ASCII \t \n \v \f \r and space, U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000 — what bytes.TrimSpace trims. */
static size_t space_at(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0))
		return 2;
	if (n >= 3) {
		if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
			return 3;
		if (s[0] == 0xE2 && s[1] == 0x80 &&
		    (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF) && s[2] >= 0x80)
			return 3;
		if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
			return 3;
		if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
			return 3;
	}
	return 0;
}

/* Length of the white space that ends at s + n, else 0 (Go's utf8.DecodeLastRune). */
static size_t space_before(const unsigned char *s, size_t n)
{
	if (n >= 1 && s[n - 1] < 0x80)
		return space_at(s + n - 1, 1);
	if (n >= 2 && s[n - 2] == 0xC2)
		return space_at(s + n - 2, 2);
	if (n >= 3)
		return space_at(s + n - 3, 3) == 3 ? 3 : 0;
	return 0;
}

static void trim_left(const char **text, size_t *len)
{
	size_t skip;
	while ((skip = space_at((const unsigned char *)*text, *len)) > 0) {
		*text += skip;
		*len -= skip;
	}
}

static void trim_space(const char **text, size_t *len)
{
	trim_left(text, len);
	size_t drop;
	while ((drop = space_before((const unsigned char *)*text, *len)) > 0)
		*len -= drop;
}

/* ---------------------------------------------------------------- nomad */

static bool nomad_key_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool nomad_key_char(unsigned char c)
{
	return nomad_key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s (n bytes available) → *code (go-envparse h2r). */
static int hex4(const char *s, size_t n, uint32_t *code, struct envfile_error *error)
{
	if (n < 4)
		return fail(error, "incomplete hex sequence");
	*code = 0;
	for (int i = 0; i < 4; i++) {
		int digit = hex_digit((unsigned char)s[i]);
		if (digit < 0)
			return fail(error, "invalid hex character in \\u escape");
		*code = *code * 16 + (uint32_t)digit;
	}
	return 0;
}

static size_t utf8_encode(uint32_t code, char *out)
{
	if (code < 0x80) {
		out[0] = (char)code;
		return 1;
	}
	if (code < 0x800) {
		out[0] = (char)(0xC0 | (code >> 6));
		out[1] = (char)(0x80 | (code & 0x3F));
		return 2;
	}
	if (code < 0x10000) {
		out[0] = (char)(0xE0 | (code >> 12));
		out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
		out[2] = (char)(0x80 | (code & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (code >> 18));
	out[1] = (char)(0x80 | ((code >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((code >> 6) & 0x3F));
	out[3] = (char)(0x80 | (code & 0x3F));
	return 4;
}

/* The \uXXXX escape whose 'u' is at value[*i]: decode (with a UTF-16 surrogate pair if
 * needed) into out, advance *i to its last byte. Returns bytes written, or -1. */
static int unicode_escape(const char *value, size_t len, size_t *i, char *out,
			  struct envfile_error *error)
{
	uint32_t code;
	if (hex4(value + *i + 1, len - (*i + 1), &code, error) != 0)
		return -1;
	*i += 4;
	if (code >= 0xD800 && code < 0xE000) {
		/* go-envparse: `if len(value) < i+6` — needs \uXXXX right after. */
		if (len < *i + 6 || value[*i + 1] != '\\' || value[*i + 2] != 'u')
			return fail(error, "incomplete Unicode surrogate pair");
		uint32_t low;
		if (hex4(value + *i + 3, len - (*i + 3), &low, error) != 0)
			return -1;
		*i += 6;
		bool pair = code < 0xDC00 && low >= 0xDC00 && low < 0xE000;
		code = pair ? 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD;
	}
	if (code == 0) /* Go would accept it; execve() cannot carry a NUL */
		return fail(error, "\\u0000 cannot be in an environment variable");
	return (int)utf8_encode(code, out);
}

enum nomad_mode { NORMAL, DOUBLE_QUOTE, SINGLE_QUOTE, ESCAPE };

/* go-envparse v0.1.0 parseLine's value loop, byte for byte (out holds len bytes). Its
 * quirk is kept: a byte >= 0x80 marks the position *before* itself as the last
 * significant one, so a trailing comment after a multibyte character cuts that
 * character's last byte, exactly as Nomad does. */
static int nomad_value(const char *value, size_t len, char *out, size_t *out_len,
		       struct envfile_error *error)
{
	enum nomad_mode mode = NORMAL;
	size_t n = 0, last_significant = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c < 32) {
			snprintf(error->why, sizeof error->why,
				 "control character 0x%02x in the value", c);
			return -1;
		}
		if (c > 127) {
			if (mode == ESCAPE)
				return fail(error, "multibyte characters disallowed in escape sequences");
			last_significant = n;
			out[n++] = (char)c;
			continue;
		}
		switch (mode) {
		case NORMAL:
			if (c == '"') {
				mode = DOUBLE_QUOTE;
			} else if (c == '\'') {
				mode = SINGLE_QUOTE;
			} else if (c == '#') {
				*out_len = last_significant;
				return 0;
			} else if (c == ' ') {
				out[n++] = (char)c;
			} else {
				out[n++] = (char)c;
				last_significant = n;
			}
			break;
		case DOUBLE_QUOTE:
			if (c == '"') {
				mode = NORMAL;
			} else if (c == '\\') {
				mode = ESCAPE;
			} else {
				out[n++] = (char)c;
				last_significant = n;
			}
			break;
		case ESCAPE: {
			static const char from[] = "\"\\/bfrnt", to[] = "\"\\/\b\f\r\n\t";
			const char *known = strchr(from, c);
			if (c == 'u') {
				int wrote = unicode_escape(value, len, &i, out + n, error);
				if (wrote < 0)
					return -1;
				n += (size_t)wrote;
			} else if (known) {
				out[n++] = to[known - from];
			} else {
				return fail(error, "invalid escape sequence (JSON escapes only)");
			}
			last_significant = n;
			mode = DOUBLE_QUOTE;
			break;
		}
		case SINGLE_QUOTE:
			if (c == '\'') {
				mode = NORMAL;
			} else {
				out[n++] = (char)c;
				last_significant = n;
			}
			break;
		}
	}
	if (mode == DOUBLE_QUOTE)
		return fail(error, "unmatched \"");
	if (mode == SINGLE_QUOTE)
		return fail(error, "unmatched '");
	if (mode == ESCAPE)
		return fail(error, "incomplete escape sequence");
	*out_len = n;
	return 0;
}

static int nomad_line(const char *line, size_t len, struct env *into,
		      struct envfile_error *error)
{
	trim_space(&line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	const char *equals = memchr(line, '=', len);
	if (!equals)
		return fail(error, "missing =");
	const char *key = line, *value = equals + 1;
	size_t key_len = (size_t)(equals - line), value_len = len - key_len - 1;
	trim_space(&key, &key_len);
	trim_space(&value, &value_len);

	/* "export " is dropped only when a key follows it: "export = x" sets "export". */
	if (key_len > 7 && memcmp(key, "export ", 7) == 0) {
		key += 7;
		key_len -= 7;
	}
	if (key_len == 0)
		return fail(error, "empty key");
	if (!nomad_key_start((unsigned char)key[0]))
		return fail(error, "key must start with [A-Za-z_]");
	for (size_t i = 1; i < key_len; i++)
		if (!nomad_key_char((unsigned char)key[i]))
			return fail(error, "key characters must be [A-Za-z0-9_./]");

	char *decoded = malloc(value_len + 1);
	if (!decoded)
		return fail(error, "out of memory");
	size_t decoded_len = 0;
	int rc = nomad_value(value, value_len, decoded, &decoded_len, error);
	if (rc == 0 && env_set(into, key, key_len, decoded, decoded_len, true) != 0)
		rc = fail(error, "out of memory");
	wipe_free(decoded, value_len + 1);
	return rc;
}

/* ---------------------------------------------------------------- docker */

/* Go's utf8.Valid: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t need;
		unsigned char lo = 0x80, hi = 0xBF;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;
			if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			if (c == 0xF4)
				hi = 0x8F;
		} else {
			return false;
		}
		if (i + need >= n)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return false;
		i += need + 1;
	}
	return true;
}

static int docker_line(const char *line, size_t len, bool first_line, char **inherit,
		       struct env *into, struct envfile_error *error)
{
	if (!utf8_valid((const unsigned char *)line, len))
		return fail(error, "invalid UTF-8");
	if (first_line && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		len -= 3;
	}
	trim_left(&line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	if (memchr(line, '\0', len))
		return fail(error, "NUL byte (cannot be in an environment variable)");
	const char *equals = memchr(line, '=', len);
	size_t key_len = equals ? (size_t)(equals - line) : len;
	if (memchr(line, ' ', key_len) || memchr(line, '\t', key_len))
		return fail(error, "variable name contains whitespace");
	if (key_len == 0)
		return fail(error, "no variable name");

	if (equals) {
		if (env_set(into, line, key_len, equals + 1, len - key_len - 1, true) != 0)
			return fail(error, "out of memory");
		return 0;
	}
	/* A bare KEY passes the caller's value through, or nothing if it has none. */
	char *key = strndup(line, key_len);
	if (!key)
		return fail(error, "out of memory");
	const char *inherited = env_lookup(inherit, key);
	int rc = 0;
	if (inherited && env_set(into, key, key_len, inherited, strlen(inherited), false) != 0)
		rc = fail(error, "out of memory");
	free(key);
	return rc;
}

/* ---------------------------------------------------------------- both */

int envfile_format_parse(const char *name, enum envfile_format *format)
{
	if (strcmp(name, "nomad") == 0)
		*format = ENVFILE_NOMAD;
	else if (strcmp(name, "docker") == 0)
		*format = ENVFILE_DOCKER;
	else
		return -1;
	return 0;
}

/* Lines as Go's bufio.ScanLines cuts them: at '\n', one trailing '\r' dropped, a last line
 * without '\n' included, at most 64 KiB each. */
int envfile_parse(enum envfile_format format, const char *text, size_t len, char **inherit,
		  struct env *into, struct envfile_error *error)
{
	size_t pos = 0;
	error->line = 0;
	error->why[0] = '\0';
	while (pos < len) {
		error->line++;
		const char *line = text + pos;
		const char *newline = memchr(line, '\n', len - pos);
		size_t line_len = newline ? (size_t)(newline - line) : len - pos;
		pos += line_len + (newline ? 1 : 0);
		if (line_len > ENVFILE_LINE_MAX)
			return fail(error, "line longer than 64 KiB");
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		int rc = format == ENVFILE_NOMAD
				 ? nomad_line(line, line_len, into, error)
				 : docker_line(line, line_len, error->line == 1, inherit, into, error);
		if (rc != 0)
			return -1;
	}
	return 0;
}
