/* creds/login-keys.c — the [Login NAME] sections' keys (ExecStart=, Environment=, TimeoutSec=,
 * Retries=, StandardInput=...), checked and kept in the table login.c runs the helpers from. */
#include "creds.h"
#include "internal.h"
#include "login.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct login logins[LOGIN_MAX];
size_t login_count;

/* ---------------------------------------------------------------- config keys */

char *login_strdup(const char *text)
{
	char *copy = strdup(text);
	if (!copy) {
		usher_err("login: out of memory");
		exit(EXIT_USHER_FAILED);
	}
	return copy;
}

static void replace_string(char **slot, const char *text)
{
	free(*slot);
	*slot = login_strdup(text);
}

/* Where a key was set, as expansion errors print it: "usher.conf:12: [Login acr] ExecStart=". */
static void set_where(char **slot, const char *where, const char *name, const char *key)
{
	size_t size = strlen(where) + strlen(name) + strlen(key) + 16;
	char *text = malloc(size);
	if (!text) {
		usher_err("login: out of memory");
		exit(EXIT_USHER_FAILED);
	}
	snprintf(text, size, "%s: [Login %s] %s", where, name, key);
	free(*slot);
	*slot = text;
}

static void words_clear(struct words *w)
{
	for (size_t i = 0; i < w->count; i++)
		secret_free(w->word[i], strlen(w->word[i]));
	free(w->word);
	w->word = NULL;
	w->count = 0;
}

static void words_push(struct words *w, char *word)
{
	words_append(&w->word, &w->count, word);
}

static struct login *find_login(const char *name)
{
	for (size_t i = 0; i < login_count; i++)
		if (strcmp(logins[i].name, name) == 0)
			return &logins[i];
	return NULL;
}

static struct login *find_or_add_login(const char *name, const char *where)
{
	struct login *l = find_login(name);
	if (l)
		return l;
	if (!section_name_valid(name, LOGIN_NAME_MAX)) {
		usher_err("%s: [Login %s]: a name is 1 to %d of A-Z a-z 0-9 . _ -", where, name,
			  LOGIN_NAME_MAX);
		return NULL;
	}
	if (login_count == LOGIN_MAX) {
		usher_err("%s: [Login %s]: too many login helpers (at most %d)", where, name, LOGIN_MAX);
		return NULL;
	}
	l = &logins[login_count++];
	char label[LOGIN_NAME_MAX + 16], prefix[LOGIN_NAME_MAX + 16];
	snprintf(label, sizeof label, "login \"%s\"", name);
	snprintf(prefix, sizeof prefix, "usher: %s: ", name);
	*l = (struct login){
		.label = login_strdup(label),
		.prefix = login_strdup(prefix),
		.name = login_strdup(name),
		.where = login_strdup(where),
		.timeout_ms = 60000,
		.stop_grace_ms = 5000,
		.retry_ms = 1000,
	};
	return l;
}

static int set_duration(long *slot, const char *value, bool zero_ok, const char *where,
			const char *key)
{
	long ms;
	char what[512];
	snprintf(what, sizeof what, "%s: %s", where, key);
	if (duration_option(value, what, &ms) != 0)
		return -1;
	if (!zero_ok && ms == 0) {
		usher_err("%s: must be more than 0", what);
		return -1;
	}
	*slot = ms;
	return 0;
}

static int set_exec_start(struct login *l, const char *value, const char *where)
{
	words_clear(&l->exec);
	if (split_words(value, &l->exec.word, &l->exec.count, where, "ExecStart=") != 0)
		return -1;
	if (l->exec.count > 0 && strchr("-@:+!|", l->exec.word[0][0])) {
		usher_err("%s: ExecStart=: systemd's prefixes (- @ : + !) are not supported; "
			  "use Optional=yes", where);
		words_clear(&l->exec);
		return -1;
	}
	set_where(&l->exec_where, where, l->name, "ExecStart=");
	return 0;
}

static int set_environment(struct login *l, const char *value, const char *where)
{
	if (!*value) { /* an empty assignment resets the list, as in systemd */
		words_clear(&l->environment);
		words_clear(&l->environment_where);
		return 0;
	}
	size_t first = l->environment.count;
	if (split_words(value, &l->environment.word, &l->environment.count, where,
			"Environment=") != 0)
		return -1;
	size_t bad = words_bad_assignment(l->environment.word, first, l->environment.count);
	if (bad) { /* the value may be a secret: name the word, not its text */
		usher_err("%s: Environment=: word %zu is not KEY=VALUE", where, bad);
		return -1;
	}
	for (size_t i = first; i < l->environment.count; i++) {
		char *assignment_where = NULL;
		set_where(&assignment_where, where, l->name, "Environment=");
		words_push(&l->environment_where, assignment_where);
	}
	return 0;
}

static int set_input_text(struct login *l, const char *value, const char *where)
{
	if (!*value) { /* resets, as in systemd */
		secret_free(l->input_text, l->input_text ? strlen(l->input_text) : 0);
		l->input_text = NULL;
		return 0;
	}
	size_t old_len = l->input_text ? strlen(l->input_text) : 0;
	size_t add = strlen(value);
	if (old_len + add + 1 > INPUT_TEXT_MAX) {
		usher_err("%s: StandardInputText=: more than %d bytes", where, INPUT_TEXT_MAX);
		return -1;
	}
	char *text = malloc(old_len + add + 2);
	if (!text) {
		usher_err("login: out of memory");
		exit(EXIT_USHER_FAILED);
	}
	if (old_len)
		memcpy(text, l->input_text, old_len);
	memcpy(text + old_len, value, add);
	text[old_len + add] = '\n'; /* each line ends with a newline, as in systemd */
	text[old_len + add + 1] = '\0';
	secret_free(l->input_text, old_len);
	l->input_text = text;
	if (l->input == INPUT_NULL)
		l->input = INPUT_TEXT;
	set_where(&l->input_where, where, l->name, "StandardInputText=");
	return 0;
}

static int set_input(struct login *l, const char *value, const char *where)
{
	if (strcmp(value, "null") == 0) {
		l->input = INPUT_NULL;
	} else if (strcmp(value, "data") == 0 || strcmp(value, "text") == 0) {
		l->input = INPUT_TEXT;
	} else if (strncmp(value, "file:", 5) == 0 && value[5] == '/') {
		l->input = INPUT_FILE;
		replace_string(&l->input_file, value + 5);
	} else if (strncmp(value, "output-of:", 10) == 0) {
		struct login *from = find_login(value + 10);
		if (!from || from == l) {
			usher_err("%s: StandardInput=: no [Login %s] before this one", where, value + 10);
			return -1;
		}
		l->input = INPUT_OUTPUT;
		l->input_from = (size_t)(from - logins);
		from->output = OUTPUT_CAPTURE;
	} else {
		usher_err("%s: StandardInput=: \"%s\" is not null, data, file:/PATH or output-of:NAME",
			  where, value);
		return -1;
	}
	return 0;
}

static int set_output(struct login *l, const char *value, const char *where)
{
	if (strcmp(value, "inherit") == 0 || strcmp(value, "journal") == 0)
		l->output = OUTPUT_INHERIT;
	else if (strcmp(value, "capture") == 0)
		l->output = OUTPUT_CAPTURE;
	else if (strcmp(value, "null") == 0)
		l->output = OUTPUT_NULL;
	else {
		usher_err("%s: StandardOutput=: \"%s\" is not inherit, capture or null", where, value);
		return -1;
	}
	return 0;
}

int creds_login_set(const char *login_name, const char *key, const char *value,
		    const char *where)
{
	struct login *l = find_or_add_login(login_name, where);
	if (!l)
		return -1;
	if (strcmp(key, "ExecStart") == 0)
		return set_exec_start(l, value, where);
	if (strcmp(key, "Environment") == 0)
		return set_environment(l, value, where);
	if (strcmp(key, "TimeoutSec") == 0 || strcmp(key, "TimeoutStartSec") == 0)
		return set_duration(&l->timeout_ms, value, false, where, "TimeoutSec=");
	if (strcmp(key, "TimeoutStopSec") == 0)
		return set_duration(&l->stop_grace_ms, value, true, where, "TimeoutStopSec=");
	if (strcmp(key, "RetrySec") == 0)
		return set_duration(&l->retry_ms, value, true, where, "RetrySec=");
	if (strcmp(key, "Retries") == 0) {
		if (parse_long(value, 0, 100, &l->retries) != 0) {
			usher_err("%s: Retries=: \"%s\" is not a number from 0 to 100", where, value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "Optional") == 0) {
		if (parse_bool(value, &l->optional) != 0) {
			usher_err("%s: Optional=: \"%s\" is not yes or no", where, value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "StandardInputText") == 0)
		return set_input_text(l, value, where);
	if (strcmp(key, "StandardInput") == 0)
		return set_input(l, value, where);
	if (strcmp(key, "StandardOutput") == 0)
		return set_output(l, value, where);
	usher_err("%s: unknown key %s= in [Login %s]", where, key, login_name);
	return -1;
}

bool login_any(void)
{
	return login_count > 0;
}
