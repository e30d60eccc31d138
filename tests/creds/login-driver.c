/* tests/creds/login-driver.c — runs the login half alone, as init would: signals blocked,
 * [Login NAME] sections from a file, secrets from an env file; then execs the rest of argv. */
#include "creds.h"
#include "internal.h"
#include "util.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static char *trim(char *text)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t len = strlen(text);
	while (len > 0 && strchr(" \t\r\n", text[len - 1]))
		text[--len] = '\0';
	return text;
}

/* Only what the login half sees of init's config reader: [Login NAME] and Key=Value. */
static int read_config(const char *path)
{
	FILE *file = fopen(path, "r");
	if (!file) {
		perror(path);
		return -1;
	}
	char line[8192], section[256] = "", where[4200];
	int number = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, file)) {
		number++;
		snprintf(where, sizeof where, "%s:%d", path, number);
		char *text = trim(line);
		if (!*text || *text == '#' || *text == ';')
			continue;
		if (strncmp(text, "[Login ", 7) == 0 && text[strlen(text) - 1] == ']') {
			text[strlen(text) - 1] = '\0';
			snprintf(section, sizeof section, "%s", trim(text + 7));
			continue;
		}
		char *equals = strchr(text, '=');
		if (!equals || !*section) {
			usher_err("%s: not Key=Value in a [Login NAME] section", where);
			rc = -1;
			break;
		}
		*equals = '\0';
		rc = creds_login_set(section, trim(text), trim(equals + 1), where);
	}
	fclose(file);
	return rc;
}

/* KEY=VALUE lines; every value is registered as a secret, as the loading half does. */
static size_t environ_count;

static char **read_env(const char *path)
{
	size_t count = 0;
	while (environ[count])
		count++;
	environ_count = count;
	char **env = calloc(count + 256, sizeof *env);
	memcpy(env, environ, count * sizeof *env);
	FILE *file = path ? fopen(path, "r") : NULL;
	char line[8192];
	while (file && fgets(line, sizeof line, file) && count < count + 255) {
		line[strcspn(line, "\n")] = '\0';
		char *equals = strchr(line, '=');
		if (!equals)
			continue;
		secret_register(equals + 1);
		env[count++] = strdup(line);
	}
	if (file)
		fclose(file);
	return env;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: login-driver CONFIG [ENVFILE] [-- COMMAND...]\n");
		return 2;
	}
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL); /* as init does, first thing */
	signal(SIGPIPE, SIG_IGN);           /* an ignored signal must not reach helpers */
	if (getenv("LOGIN_DRIVER_VERBOSE"))
		usher_verbosity = atoi(getenv("LOGIN_DRIVER_VERBOSE"));
	if (read_config(argv[1]) != 0)
		return EXIT_USHER_FAILED;
	int next = 2;
	const char *env_file = argc > 2 && strcmp(argv[2], "--") != 0 ? argv[next++] : NULL;
	char **env = read_env(env_file);
	int rc = login_run_all(env);
	secret_wipe_all();
	for (char **p = env; *p; p++)
		if (p - env >= (ptrdiff_t)environ_count)
			free(*p);
	free(env);
	if (rc != 0)
		return rc;
	if (next < argc && strcmp(argv[next], "--") == 0 && next + 1 < argc) {
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		execvp(argv[next + 1], argv + next + 1);
		perror(argv[next + 1]);
		return EXIT_NOT_FOUND;
	}
	return 0;
}
