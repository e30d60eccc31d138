/* init/options.c — init's option rows, and one parser that walks every module's table
 * for USHER_* variables, tini/dumb-init variables, the command line and --help. */
#include "options.h"
#include "config.h"
#include "opt.h"
#include "signals.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct init_settings settings = {
	.grace_ms = 10000,
	.expand_argv = -1,
};

static const struct usher_opt *const all_tables[] = { init_options, creds_options, sandbox_options };
#define TABLE_COUNT (sizeof all_tables / sizeof all_tables[0])

static int flag_value(const char *value, const char *where, bool *out)
{
	if (parse_bool(value, out) != 0) {
		usher_err("%s: '%s' is not yes or no", where, value);
		return -1;
	}
	return 0;
}

static int set_subreaper(const char *value, const char *where)
{
	return flag_value(value, where, &settings.subreaper);
}

static int set_kill_group(const char *value, const char *where)
{
	return flag_value(value, where, &settings.kill_group);
}

static int set_warn_on_reap(const char *value, const char *where)
{
	return flag_value(value, where, &settings.warn_on_reap);
}

static int set_log_prefix(const char *value, const char *where)
{
	return flag_value(value, where, &settings.log_prefix);
}

static int set_single_child(const char *value, const char *where)
{
	bool single;
	if (flag_value(value, where, &single) != 0)
		return -1;
	if (single)
		settings.kill_group = false;
	return 0;
}

static int set_parent_death_signal(const char *value, const char *where)
{
	int sig = signal_from_name(value);
	if (sig < 1) {
		usher_err("%s: unknown signal '%s'", where, value);
		return -1;
	}
	settings.parent_death_signal = sig;
	return 0;
}

static int set_exit_to_zero(const char *value, const char *where)
{
	long code;
	if (parse_long(value, 0, 255, &code) != 0) {
		usher_err("%s: '%s' is not an exit code (0-255)", where, value);
		return -1;
	}
	settings.exit_to_zero[code] = true;
	return 0;
}

static int set_verbose(const char *value, const char *where)
{
	bool on;
	if (flag_value(value, where, &on) != 0)
		return -1;
	if (on)
		usher_verbosity++;
	return 0;
}

static int set_verbosity(const char *value, const char *where)
{
	long level;
	if (parse_long(value, 0, 4, &level) != 0) {
		usher_err("%s: '%s' is not a verbosity level (0-4)", where, value);
		return -1;
	}
	usher_verbosity = (int)level;
	return 0;
}

static int set_grace(const char *value, const char *where)
{
	return duration_option(value, where, &settings.grace_ms);
}

static int set_rewrite(const char *value, const char *where)
{
	return signal_rewrite_add(value, where);
}

static int set_expand_argv(const char *value, const char *where)
{
	bool on;
	if (flag_value(value, where, &on) != 0)
		return -1;
	settings.expand_argv = on;
	if (on)
		settings.creds_used = true; /* expansion reads the credentials' environment */
	return 0;
}

static int set_control_socket(const char *value, const char *where)
{
	if (strcmp(value, "none") != 0 && (value[0] != '/' || strlen(value) > 100)) {
		usher_err("%s: '%s' is not an absolute path of at most 100 bytes, or none", where, value);
		return -1;
	}
	settings.control_socket = value;
	return 0;
}

static int set_config(const char *value, const char *where)
{
	if (!*value) {
		usher_err("%s: missing path", where);
		return -1;
	}
	return config_read(value);
}

static void print_help(void);

static int show_help(const char *value, const char *where)
{
	(void)value, (void)where;
	print_help();
	exit(0);
}

static int show_version(const char *value, const char *where)
{
	(void)value, (void)where;
	printf("usher version %s\n", USHER_VERSION);
	exit(0);
}

static int show_license(const char *value, const char *where)
{
	(void)value, (void)where;
	printf("usher %s is free software under the MIT license.\n"
	       "It links libseccomp (LGPL-2.1) and libcap-ng (LGPL-2.1) statically;\n"
	       "their sources are Debian's source packages of the same names.\n",
	       USHER_VERSION);
	exit(0);
}

const struct usher_opt init_options[] = {
	{ "help", 'h', NULL, NULL, "show this help and exit", show_help },
	{ "version", 'V', NULL, NULL, "show the version and exit", show_version },
	{ "license", 'l', NULL, NULL, "show license information and exit", show_license },
	{ "verbose", 'v', NULL, NULL, "more messages; repeat for more (-vv debug)", set_verbose },
	{ "verbosity", 0, "Verbosity", "N", "0 errors only, 1 warnings (default), 2 info, 3 debug",
	  set_verbosity },
	{ "config", 0, NULL, "PATH", "read options from a config file here", set_config },
	{ "subreaper", 's', "Subreaper", NULL,
	  "register as a child subreaper (automatic when not PID 1)", set_subreaper },
	{ "kill-group", 'g', "KillProcessGroup", NULL,
	  "forward signals to the workload's process group, not just the workload", set_kill_group },
	{ "single-child", 'c', "SingleChild", NULL,
	  "forward signals to the workload only (the default; dumb-init's -c)", set_single_child },
	{ "pdeath-signal", 'p', "ParentDeathSignal", "SIG",
	  "have usher receive SIG when its parent dies", set_parent_death_signal },
	{ "remap-exit", 'e', "SuccessExitStatus", "CODE",
	  "report workload exit CODE (0-255, 128+N for signal N) as 0; repeatable", set_exit_to_zero },
	{ "warn-on-reap", 'w', "WarnOnReap", NULL,
	  "warn when reaping a zombie that is not the workload", set_warn_on_reap },
	{ "rewrite", 'r', "SignalRewrite", "FROM:TO",
	  "forward signal FROM as TO (TO 0 drops it); repeatable", set_rewrite },
	{ "expand-argv", 0, "ExpandArgv", "yes|no",
	  "expand ${VAR} in the command (default: yes when credentials are loaded)",
	  set_expand_argv },
	{ "log-prefix", 0, "LogPrefix", NULL,
	  "start each line services and the command print with \"NAME | \" (docs/logs.md)",
	  set_log_prefix },
	{ "grace", 0, "TimeoutStopSec", "DURATION",
	  "SIGTERM to SIGKILL delay when stopping what is left (default 10s)", set_grace },
	{ "control-socket", 0, "ControlSocket", "PATH|none",
	  "the socket of usher status/health (default " "/run/usher/control.sock)",
	  set_control_socket },
	{ 0 },
};

/* Applies one row; remembers when it is a credentials option (see expand_argv). */
static int apply(const struct usher_opt *o, const char *value, const char *where)
{
	for (const struct usher_opt *c = creds_options; c->set; c++)
		if (c == o)
			settings.creds_used = true;
	return o->set(value, where);
}

static const struct usher_opt *find_long(const char *name, size_t length)
{
	for (size_t t = 0; t < TABLE_COUNT; t++)
		for (const struct usher_opt *o = all_tables[t]; o->set; o++)
			if (o->long_name && strlen(o->long_name) == length &&
			    strncmp(o->long_name, name, length) == 0)
				return o;
	return NULL;
}

static const struct usher_opt *find_short(char name)
{
	for (size_t t = 0; t < TABLE_COUNT; t++)
		for (const struct usher_opt *o = all_tables[t]; o->set; o++)
			if (o->short_name == name)
				return o;
	return NULL;
}

int options_set_conf_key(const char *key, const char *value, const char *where)
{
	for (size_t t = 0; t < TABLE_COUNT; t++)
		for (const struct usher_opt *o = all_tables[t]; o->set; o++)
			if (o->conf_key && strcmp(o->conf_key, key) == 0)
				return apply(o, value, where);
	usher_err("%s: unknown key '%s' in [Service]", where, key);
	return -1;
}

/* USHER_FOO_BAR for --foo-bar; flags take yes/no there. */
static int apply_usher_variable(const char *assignment)
{
	const char *equals = strchr(assignment, '=');
	char name[64];
	size_t length = (size_t)(equals - assignment) - 6;
	if (length == 0 || length >= sizeof name)
		return 0;
	for (size_t i = 0; i < length; i++) {
		char c = assignment[6 + i];
		name[i] = c == '_' ? '-' : (char)tolower((unsigned char)c);
	}
	name[length] = '\0';
	const struct usher_opt *o = find_long(name, length);
	if (!o)
		return 0; /* not an option: left alone, as any other variable */
	char where_text[80];
	snprintf(where_text, sizeof where_text, "USHER_%.*s", (int)length, assignment + 6);
	const char *where = keep_string(where_text);
	if (o->set == show_help || o->set == show_version || o->set == show_license)
		return 0;
	if (!o->arg_name && o->set != set_verbose) {
		bool on;
		if (flag_value(equals + 1, where, &on) != 0)
			return -1;
		return on ? apply(o, "yes", where) : 0;
	}
	return apply(o, equals + 1, where);
}

static int apply_environment(char **envp)
{
	for (char **e = envp; *e; e++) {
		/* Most of a container's environment is none of these: the first letter says so
		 * without walking each value (PATH, long secrets) to its '='. */
		if (**e != 'U' && **e != 'T' && **e != 'D')
			continue;
		const char *value = strchr(*e, '=');
		if (!value)
			continue;
		value++;
		if (strncmp(*e, "USHER_", 6) == 0) {
			if (apply_usher_variable(*e) != 0)
				return -1;
		} else if (strncmp(*e, "TINI_SUBREAPER=", 15) == 0) {
			settings.subreaper = true; /* tini: set at all means on */
		} else if (strncmp(*e, "TINI_KILL_PROCESS_GROUP=", 24) == 0) {
			settings.kill_group = true;
		} else if (strncmp(*e, "TINI_VERBOSITY=", 15) == 0) {
			if (set_verbosity(value, "TINI_VERBOSITY") != 0)
				return -1;
		} else if (strcmp(*e, "DUMB_INIT_SETSID=0") == 0) {
			settings.kill_group = false;
		}
	}
	return 0;
}

static int apply_long_option(int argc, char **argv, int *index)
{
	const char *text = argv[*index] + 2;
	const char *equals = strchr(text, '=');
	size_t length = equals ? (size_t)(equals - text) : strlen(text);
	const struct usher_opt *o = find_long(text, length);
	char where[80];
	snprintf(where, sizeof where, "--%.*s", (int)length, text);
	if (!o) {
		usher_err("unknown option '%s' (see usher --help)", where);
		return -1;
	}
	if (!o->arg_name) {
		if (equals) {
			usher_err("%s takes no value", where);
			return -1;
		}
		return apply(o, "yes", keep_string(where));
	}
	if (equals)
		return apply(o, equals + 1, keep_string(where));
	if (*index + 1 >= argc) {
		usher_err("%s needs a value (%s)", where, o->arg_name);
		return -1;
	}
	return apply(o, argv[++*index], keep_string(where));
}

static int apply_short_options(int argc, char **argv, int *index)
{
	const char *cluster = argv[*index] + 1;
	for (size_t i = 0; cluster[i]; i++) {
		const struct usher_opt *o = find_short(cluster[i]);
		char where_text[4] = { '-', cluster[i], '\0' };
		const char *where = keep_string(where_text);
		if (!o) {
			usher_err("unknown option '%s' (see usher --help)", where);
			return -1;
		}
		if (!o->arg_name) {
			if (apply(o, "yes", where) != 0)
				return -1;
			continue;
		}
		if (cluster[i + 1])
			return apply(o, cluster + i + 1, where);
		if (*index + 1 >= argc) {
			usher_err("%s needs a value (%s)", where, o->arg_name);
			return -1;
		}
		return apply(o, argv[++*index], where);
	}
	return 0;
}

int options_parse(int argc, char **argv, char **envp)
{
	if (apply_environment(envp) != 0)
		return -1;
	int index = 1;
	for (; index < argc; index++) {
		const char *arg = argv[index];
		if (strcmp(arg, "--") == 0)
			return index + 1;
		if (arg[0] != '-' || arg[1] == '\0')
			break; /* the command starts here, as with tini and env(1) */
		int rc = arg[1] == '-' ? apply_long_option(argc, argv, &index)
				       : apply_short_options(argc, argv, &index);
		if (rc != 0)
			return -1;
	}
	return index;
}

static void print_table(const struct usher_opt *table)
{
	for (const struct usher_opt *o = table; o->set; o++) {
		if (!o->long_name)
			continue;
		char left[64];
		snprintf(left, sizeof left, "%c%c%s --%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? "," : " ", o->long_name,
			 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
		printf("  %-32s %s", left, o->help);
		if (o->conf_key)
			printf(" [%s=]", o->conf_key);
		printf("\n");
	}
}

static void print_help(void)
{
	printf("usher %s - a PID 1 for containers: reaps, forwards signals, loads secrets,\n"
	       "runs login helpers, drops privileges, then runs the workload.\n\n"
	       "usage: usher [options] [--] command [args...]\n\n"
	       "Init (tini and dumb-init compatible):\n", USHER_VERSION);
	print_table(init_options);
	printf("\nCredentials:\n");
	print_table(creds_options);
	printf("\nSandbox:\n");
	print_table(sandbox_options);
	printf("\nEvery --long-option is also the variable USHER_LONG_OPTION; [Key=] is its name in\n"
	       "the config file's [Service] section. A [Service NAME] section is a service started\n"
	       "before the command (ExecStart=, After=, ReadyCheck=, Restart=...: docs/services.md);\n"
	       "a [Login NAME] section a login helper. tini's TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP,\n"
	       "TINI_VERBOSITY and dumb-init's DUMB_INIT_SETSID=0 are honoured.\n\n"
	       "Subcommands, only as usher's first argument (`usher -- probe` runs a workload\n"
	       "called probe): usher probe SPEC... (docs/health.md), usher status,\n"
	       "usher health [NAME...].\n\n"
	       "Exit status: the workload's, or 128+N if signal N killed it; 125 if usher itself\n"
	       "failed (usage, config, credentials, login helper, sandbox), 126 if the command\n"
	       "cannot be executed, 127 if it is not found.\n");
}
