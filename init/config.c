/* init/config.c — reads the INI-style config file: [Service] keys go to the option
 * tables, [Login NAME] sections to creds/. Every error names the file and line. */
#include "config.h"
#include "creds.h"
#include "options.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_FILES 16

static char *config_texts[CONFIG_MAX_FILES];
static unsigned config_count;

static char *trim(char *text)
{
	while (*text == ' ' || *text == '\t')
		text++;
	char *end = text + strlen(text);
	while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return text;
}

/* "[Service]" -> section "Service", login NULL; "[Login acr]" or [Login "acr"] -> login "acr". */
static int parse_section(char *line, const char *where, const char **login)
{
	char *close = strchr(line, ']');
	if (!close || *trim(close + 1) != '\0') {
		usher_err("%s: malformed section header", where);
		return -1;
	}
	*close = '\0';
	char *name = trim(line + 1);
	if (strcmp(name, "Service") == 0) {
		*login = NULL;
		return 0;
	}
	if (strncmp(name, "Login", 5) == 0 && (name[5] == ' ' || name[5] == '\t')) {
		char *helper = trim(name + 5);
		size_t length = strlen(helper);
		if (length >= 2 && helper[0] == '"' && helper[length - 1] == '"') {
			helper[length - 1] = '\0';
			helper++;
		}
		if (*helper && !strpbrk(helper, "\" \t")) {
			*login = helper;
			return 0;
		}
	}
	usher_err("%s: unknown section [%s] (expected [Service] or [Login NAME])", where, name);
	return -1;
}

int config_read(const char *path)
{
	if (config_count == CONFIG_MAX_FILES) {
		usher_err("%s: more than %d config files", path, CONFIG_MAX_FILES);
		return -1;
	}
	char *text = read_small_file(path, CONFIG_MAX_BYTES, NULL);
	if (!text)
		return -1;
	config_texts[config_count++] = text; /* setters keep pointers into it */
	return config_parse(text, path);
}

int config_parse(char *text, const char *path)
{
	bool in_section = false;
	const char *login = NULL;
	unsigned line_number = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line_number++;
		char where[512];
		snprintf(where, sizeof where, "%s:%u", path, line_number);
		char *content = trim(line);
		if (*content == '\0' || *content == '#' || *content == ';')
			continue;
		if (*content == '[') {
			if (parse_section(content, where, &login) != 0)
				return -1;
			in_section = true;
			continue;
		}
		char *equals = strchr(content, '=');
		if (!equals) {
			usher_err("%s: expected Key=Value", where);
			return -1;
		}
		*equals = '\0';
		char *key = trim(content), *value = trim(equals + 1);
		if (!in_section) {
			usher_err("%s: '%s' comes before any section ([Service] or [Login NAME])", where, key);
			return -1;
		}
		const char *lasting_where = keep_string(where);
		if (login)
			settings.creds_used = true;
		int rc = login ? creds_login_set(login, key, value, lasting_where)
			       : options_set_conf_key(key, value, lasting_where);
		if (rc != 0)
			return -1;
	}
	return 0;
}
