/* init/config.c — reads the INI-style config file: [Service] keys go to the option
 * tables, [Service NAME] to service-config.c, [Login NAME] to creds/. Errors name file and line. */
#include "config.h"
#include "creds.h"
#include "options.h"
#include "service.h"
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

enum section { NONE, MAIN, LOGIN, SERVICE };

/* "[Service]" -> MAIN; "[Login acr]" or [Login "acr"] -> LOGIN, *name "acr"; the same for
 * "[Service web]" -> SERVICE. NONE after printing. */
static enum section parse_section(char *line, const char *where, const char **name)
{
	char *close = strchr(line, ']');
	if (!close || *trim(close + 1) != '\0') {
		usher_err("%s: malformed section header", where);
		return NONE;
	}
	*close = '\0';
	char *header = trim(line + 1);
	if (strcmp(header, "Service") == 0)
		return MAIN;
	static const char *const kinds[] = { "Login", "Service" };
	for (int k = 0; k < 2; k++) {
		size_t kind_len = strlen(kinds[k]);
		if (strncmp(header, kinds[k], kind_len) != 0 ||
		    (header[kind_len] != ' ' && header[kind_len] != '\t'))
			continue;
		char *quoted = trim(header + kind_len);
		size_t length = strlen(quoted);
		if (length >= 2 && quoted[0] == '"' && quoted[length - 1] == '"') {
			quoted[length - 1] = '\0';
			quoted++;
		}
		if (*quoted && !strpbrk(quoted, "\" \t")) {
			*name = quoted;
			return k ? SERVICE : LOGIN;
		}
	}
	usher_err("%s: unknown section [%s] (expected [Service], [Service NAME] or [Login NAME])",
		  where, header);
	return NONE;
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
	enum section section = NONE;
	const char *name = NULL;
	int service = -1;
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
			section = parse_section(content, where, &name);
			if (section == NONE)
				return -1;
			if (section == SERVICE && (service = service_open(name, keep_string(where))) < 0)
				return -1;
			continue;
		}
		char *equals = strchr(content, '=');
		if (!equals) {
			usher_err("%s: expected Key=Value", where);
			return -1;
		}
		*equals = '\0';
		char *key = trim(content), *value = trim(equals + 1);
		if (section == NONE) {
			usher_err("%s: '%s' comes before any section ([Service] or [Login NAME])", where, key);
			return -1;
		}
		const char *lasting_where = keep_string(where);
		if (section == LOGIN)
			settings.creds_used = true;
		/* [Service]'s Health*= keys are the main command's HealthCheck= (service-config.c). */
		bool health = strncmp(key, "Health", 6) == 0;
		int rc = section == LOGIN     ? creds_login_set(name, key, value, lasting_where)
			 : section == SERVICE ? service_set((unsigned)service, key, value, lasting_where)
			 : health             ? service_main_health_set(key, value, lasting_where)
					      : options_set_conf_key(key, value, lasting_where);
		if (rc != 0)
			return -1;
	}
	return 0;
}
