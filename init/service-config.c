/* init/service-config.c — [Service NAME] sections: each key parsed and checked into
 * service_defs[], then names resolved, cycles refused and defaults applied, before anything runs. */
#include "creds.h"
#include "opt.h"
#include "options.h"
#include "sandbox.h"
#include "service.h"
#include "signals.h"
#include "util.h"

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct service_def service_defs[SERVICE_MAX + 1];
unsigned service_count;

/* Names of dependencies, kept until service_defs_finish() resolves them (a service may name
 * one defined further down, or in a later config file). */
struct pending {
	unsigned owner;
	unsigned char kind; /* DEP_* */
	char *name;
	const char *where;
};
static struct pending *pendings;
static size_t pending_count;
static const char *check_where[SERVICE_MAX + 1][2]; /* ReadyCheck=, HealthCheck= */
static char **wheres; /* every "file:line" kept, so that service_defs_reset() can free them */
static size_t where_count;

static void *or_die(void *p)
{
	if (!p) {
		usher_err("out of memory");
		exit(EXIT_USHER_FAILED);
	}
	return p;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/* Every message about a service: "usher: FILE:LINE: service "web": [Key=: ]why". -1. */
__attribute__((format(printf, 4, 5))) static int bad(const struct service_def *d,
						     const char *where, const char *key,
						     const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	bool main = d == &service_defs[SERVICE_MAIN];
	usher_err("%s: %s%s%s: %s%s%s", where, main ? "" : "service \"",
		  main ? "[Service] (the main command)" : d->name, main ? "" : "\"", key ? key : "",
		  key ? "=: " : "", why);
	return -1;
}

static const char *keep_where(const char *where)
{
	wheres = or_die(realloc(wheres, (where_count + 1) * sizeof *wheres));
	return wheres[where_count++] = or_die(strdup(where));
}

int service_open(const char *name, const char *where)
{
	if (!section_name_valid(name, SERVICE_NAME_MAX)) {
		usher_err("%s: [Service %s]: a name is 1 to %d of A-Z a-z 0-9 . _ -", where, name,
			  SERVICE_NAME_MAX);
		return -1;
	}
	if (strcmp(name, "main") == 0) {
		usher_err("%s: [Service main]: the name is the main command's (usher status)", where);
		return -1;
	}
	for (unsigned i = 0; i < service_count; i++)
		if (strcmp(service_defs[i].name, name) == 0) {
			usher_err("%s: [Service %s] again (first at %s)", where, name,
				  service_defs[i].where);
			return -1;
		}
	if (service_count == SERVICE_MAX) {
		usher_err("%s: [Service %s]: too many services (at most %d)", where, name, SERVICE_MAX);
		return -1;
	}
	struct service_def *d = &service_defs[service_count];
	*d = (struct service_def){
		.name = or_die(strdup(name)),
		.where = keep_where(where),
		.restart = RESTART_ON_FAILURE,
		.restart_ms = 100,
		.restart_max_ms = 30000,
		.start_limit_burst = 5,
		.start_limit_interval_ms = 10000,
		.failure_action = ACTION_EXIT,
		.success_action = ACTION_NONE,
		.kill_signal = SIGTERM,
		.stop_timeout_ms = -1, /* --grace, known only once every option is read */
		.start_timeout_ms = 90000,
		.health_interval_ms = 30000,
		.health_timeout_ms = 30000,
		.health_retries = 3,
		.health_action = HEALTH_RESTART,
	};
	return (int)service_count++;
}

static void pending_add(unsigned owner, unsigned kind, const char *name, size_t len,
			const char *where)
{
	pendings = or_die(realloc(pendings, (pending_count + 1) * sizeof *pendings));
	pendings[pending_count++] = (struct pending){ owner, (unsigned char)kind,
						      or_die(strndup(name, len)), where };
}

/* An empty value resets a list, as in systemd. */
static void pending_reset(unsigned owner, unsigned kind)
{
	size_t kept = 0;
	for (size_t i = 0; i < pending_count; i++)
		if (pendings[i].owner != owner || pendings[i].kind != kind)
			pendings[kept++] = pendings[i];
		else
			free(pendings[i].name);
	pending_count = kept;
}

/* A sandbox key goes to the service's own plan (a service gets only its own section's keys,
 * like a systemd unit); the setter checks the value and prints file:line itself. */
static int set_sandbox_key(struct service_def *d, const struct usher_opt *o, const char *value,
			   const char *where)
{
	if (!d->sandbox && !(d->sandbox = sandbox_plan_new()))
		return -1;
	sandbox_plan_select(d->sandbox);
	int rc = o->set(value, where); /* may keep value: it is in the config text, kept for good */
	sandbox_plan_select(NULL);
	return rc;
}

static const char *const dep_keys[] = { "After", "Requires", "Wants", "BindsTo" }; /* DEP_* */

static int set_dependencies(unsigned index, unsigned kind, const char *value, const char *where)
{
	if (!*value)
		pending_reset(index, kind);
	for (const char *p = value; *(p += strspn(p, " \t"));) {
		size_t len = strcspn(p, " \t");
		pending_add(index, kind, p, len, where);
		p += len;
	}
	return 0;
}

/* Exit codes 0-255 and signal names (SIGTERM, HUP), space-separated; empty resets. */
static int set_success_status(struct service_def *d, const char *value, const char *where)
{
	if (!*value) {
		memset(d->success_exit, 0, sizeof d->success_exit);
		memset(d->success_signal, 0, sizeof d->success_signal);
	}
	char word[32];
	for (const char *p = value; *(p += strspn(p, " \t"));) {
		size_t len = strcspn(p, " \t");
		snprintf(word, sizeof word, "%.*s", (int)len, p);
		p += len;
		long code;
		int sig;
		if (parse_long(word, 0, 255, &code) == 0)
			d->success_exit[code] = true;
		else if (*word > '9' && (sig = signal_from_name(word)) > 0)
			d->success_signal[sig] = true;
		else
			return bad(d, where, "SuccessExitStatus", "\"%s\" is not an exit code (0-255) "
				   "or a signal name", word);
	}
	return 0;
}

static int set_check(struct service_def *d, unsigned which, const char *value, const char *where)
{
	struct check_spec *spec = which ? &d->health_check : &d->ready_check;
	bool *has = which ? &d->has_health_check : &d->has_ready_check;
	*has = *value != '\0'; /* empty: none, as an empty value resets in systemd */
	free((char *)spec->text);
	spec->text = *has ? or_die(strdup(value)) : NULL;
	check_where[d - service_defs][which] = where;
	if (d == &service_defs[SERVICE_MAIN])
		d->where = where; /* service-health.c names it when there is no main command */
	return 0;
}

/* "service "web": Key=", as the shared word splitter names what it complains about. */
static const char *label(const struct service_def *d, const char *key)
{
	static char text[SERVICE_NAME_MAX + 40];
	snprintf(text, sizeof text, "service \"%s\": %s=", d->name, key);
	return text;
}

static int set_exec_start(struct service_def *d, const char *value, const char *where)
{
	char **argv = NULL;
	size_t count = 0;
	if (split_words(value, &argv, &count, where, label(d, "ExecStart")) != 0)
		return free_list(argv), -1;
	if (count && strchr("-@:+!|", argv[0][0]))
		return free_list(argv), bad(d, where, "ExecStart", "systemd's prefixes "
					    "(- @ : + !) are not supported");
	free_list(d->exec_argv);
	d->exec_argv = argv; /* an empty value clears it */
	d->exec_where = where;
	return 0;
}

static int set_environment(struct service_def *d, const char *value, const char *where)
{
	size_t count = 0;
	while (d->environment && d->environment[count])
		count++;
	if (!*value) { /* resets the list, as in systemd */
		free_list(d->environment);
		d->environment = NULL; /* check_service() makes it an empty list */
		count = 0;
	}
	size_t first = count;
	if (split_words(value, &d->environment, &count, where, label(d, "Environment")) != 0)
		return -1;
	size_t bad_word = words_bad_assignment(d->environment, first, count);
	if (bad_word) /* the value may be a secret: name the word, not its text */
		return bad(d, where, "Environment", "word %zu is not KEY=VALUE", bad_word);
	return 0;
}

/* "[-][nomad:|docker:]PATH", as --env-file; the file is read when the service starts. */
static int set_environment_file(struct service_def *d, const char *value, const char *where)
{
	size_t n = 0;
	while (d->environment_files && d->environment_files[n])
		n++;
	if (!*value) {
		while (n)
			free((char *)d->environment_files[--n]);
		if (d->environment_files)
			d->environment_files[0] = NULL;
		return 0;
	}
	char what[600];
	snprintf(what, sizeof what, "%s: service \"%s\": EnvironmentFile=", where, d->name);
	if (creds_check_env_file(value, what) != 0)
		return -1;
	d->environment_files = or_die(realloc(d->environment_files, (n + 2) * sizeof(char *)));
	d->environment_files[n] = or_die(strdup(value));
	d->environment_files[n + 1] = NULL;
	return 0;
}

/* The keys that are one value each, and what their bytes mean. */
enum key_kind { K_CHOICE, K_MS, K_MS_POSITIVE, K_TIMEOUT, K_COUNT, K_SIGNAL, K_PATH };
#define AT(field) offsetof(struct service_def, field)
static const struct key {
	const char *name;
	unsigned char kind;
	unsigned short offset;
	const char *choices; /* K_CHOICE: "a, b", in the enum's order */
} keys[] = {
	{ "Type", K_CHOICE, AT(type), "simple, oneshot, notify" },
	{ "Restart", K_CHOICE, AT(restart), "no, on-failure, always" },
	{ "FailureAction", K_CHOICE, AT(failure_action), "none, exit" },
	{ "SuccessAction", K_CHOICE, AT(success_action), "none, exit" },
	{ "HealthAction", K_CHOICE, AT(health_action), "restart, stop, none" },
	{ "RestartSec", K_MS, AT(restart_ms), NULL },
	{ "RestartMaxDelaySec", K_MS, AT(restart_max_ms), NULL },
	{ "StartLimitIntervalSec", K_MS, AT(start_limit_interval_ms), NULL },
	{ "HealthStartPeriodSec", K_MS, AT(health_start_period_ms), NULL },
	{ "HealthIntervalSec", K_MS_POSITIVE, AT(health_interval_ms), NULL },
	{ "HealthTimeoutSec", K_MS_POSITIVE, AT(health_timeout_ms), NULL },
	{ "TimeoutStartSec", K_TIMEOUT, AT(start_timeout_ms), NULL },
	{ "TimeoutStopSec", K_TIMEOUT, AT(stop_timeout_ms), NULL },
	{ "StartLimitBurst", K_COUNT, AT(start_limit_burst), NULL },
	{ "HealthRetries", K_COUNT, AT(health_retries), NULL },
	{ "KillSignal", K_SIGNAL, AT(kill_signal), NULL },
	{ "WorkingDirectory", K_PATH, AT(working_directory), NULL },
};

static int set_one_value(struct service_def *d, const struct key *k, const char *value,
			 const char *where)
{
	void *field = (char *)d + k->offset;
	long number;
	switch (k->kind) {
	case K_CHOICE: {
		int index = 0;
		for (const char *c = k->choices;; index++) {
			size_t n = strcspn(c, ",");
			if (strncmp(c, value, n) == 0 && value[n] == '\0')
				return *(int *)field = index, 0;
			if (!c[n])
				return bad(d, where, k->name, "\"%s\" is not one of %s", value, k->choices);
			c += n + 2;
		}
	}
	case K_TIMEOUT:
		if (strcmp(value, "infinity") == 0)
			return *(long *)field = 0, 0; /* systemd's word for none (0 too) */
		/* fall through */
	case K_MS:
	case K_MS_POSITIVE: {
		char what[600]; /* the one wording of every duration option, after service and key */
		snprintf(what, sizeof what, "%s: service \"%s\": %s=", where, d->name, k->name);
		if (duration_option(value, what, &number) != 0)
			return -1;
		if (k->kind == K_MS_POSITIVE && !number)
			return bad(d, where, k->name, "must be more than 0");
		return *(long *)field = number, 0;
	}
	case K_COUNT:
		if (parse_long(value, 1, 1000000, &number) != 0)
			return bad(d, where, k->name, "\"%s\" is not a number from 1 to 1000000",
				   value);
		return *(long *)field = number, 0;
	case K_SIGNAL:
		if ((number = signal_from_name(value)) < 1)
			return bad(d, where, k->name, "unknown signal \"%s\"", value);
		return *(int *)field = (int)number, 0;
	default: /* K_PATH */
		if (*value != '/')
			return bad(d, where, k->name, "\"%s\" is not an absolute path", value);
		free(*(char **)field);
		return *(const char **)field = or_die(strdup(value)), 0;
	}
}

int service_set(unsigned index, const char *key, const char *value, const char *where)
{
	struct service_def *d = &service_defs[index];
	where = keep_where(where);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].name, key) == 0)
			return set_one_value(d, &keys[i], value, where);
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(dep_keys[i], key) == 0)
			return set_dependencies(index, 1u << i, value, where);
	if (strcmp(key, "ExecStart") == 0)
		return set_exec_start(d, value, where);
	if (strcmp(key, "Environment") == 0)
		return set_environment(d, value, where);
	if (strcmp(key, "EnvironmentFile") == 0)
		return set_environment_file(d, value, where);
	if (strcmp(key, "SuccessExitStatus") == 0)
		return set_success_status(d, value, where);
	if (strcmp(key, "ReadyCheck") == 0 || strcmp(key, "HealthCheck") == 0)
		return set_check(d, *key == 'H', value, where);
	for (const struct usher_opt *o = sandbox_options; o->set; o++)
		if (o->conf_key && strcmp(o->conf_key, key) == 0)
			return set_sandbox_key(d, o, value, where);
	return bad(d, where, NULL, "unknown key %s=", key);
}

/* Whether [Service] had a Health*= key: the bare start reads this small flag, not the last
 * of service_defs[] (its own page: build/start-layout.ld). */
static bool main_keys_given;

bool service_main_has_check(void)
{
	return main_keys_given && service_defs[SERVICE_MAIN].has_health_check;
}

/* The main command has no Restart=: usher cannot run it again by itself (its exit is usher's),
 * so HealthAction=restart is refused; stop (usher exits, the container's restart policy starts
 * it again, as a Kubernetes liveness probe does) is its default. */
int service_main_health_set(const char *key, const char *value, const char *where)
{
	struct service_def *d = &service_defs[SERVICE_MAIN];
	main_keys_given = true;
	if (!d->name)
		*d = (struct service_def){ .name = "main", .health_interval_ms = 30000,
					   .health_timeout_ms = 30000, .health_retries = 3,
					   .health_action = HEALTH_STOP, .kill_signal = SIGTERM };
	if (strcmp(key, "HealthAction") == 0 && strcmp(value, "restart") == 0)
		return bad(d, where, key, "usher cannot restart the main command: stop (usher "
			   "exits; the container's restart policy runs it again) or none");
	return service_set(SERVICE_MAIN, key, value, where);
}

/* ---------------------------------------------------------------- after every option */

static int resolve_dependencies(void)
{
	for (size_t i = 0; i < pending_count; i++) {
		const struct pending *p = &pendings[i];
		struct service_def *d = &service_defs[p->owner];
		const char *key = dep_keys[__builtin_ctz(p->kind)];
		unsigned j = 0;
		while (j < service_count && strcmp(service_defs[j].name, p->name) != 0)
			j++;
		if (j == service_count)
			return bad(d, p->where, key, "no [Service %s] in the configuration", p->name);
		if (j == p->owner)
			return bad(d, p->where, key, "a service cannot depend on itself");
		d->deps[j] |= p->kind;
		d->dep_where[j] = p->where;
	}
	return 0;
}

/* Ordering is After= alone, as in systemd: Requires= without After= starts both at once.
 * Depth-first; path[] holds the services being visited, to print the cycle. */
static int find_cycle(unsigned at, unsigned char *state, unsigned *path, unsigned depth)
{
	state[at] = 1; /* on the path */
	path[depth] = at;
	for (unsigned j = 0; j < service_count; j++) {
		if (!(service_defs[at].deps[j] & DEP_AFTER) || state[j] == 2)
			continue;
		if (state[j] == 0) {
			if (find_cycle(j, state, path, depth + 1) != 0)
				return -1;
			continue;
		}
		unsigned first = 0;
		while (path[first] != j)
			first++;
		char text[SERVICE_MAX * (SERVICE_NAME_MAX + 4) + 1], *out = text;
		for (unsigned k = first; k <= depth; k++)
			out += sprintf(out, "%s -> ", service_defs[path[k]].name);
		strcpy(out, service_defs[j].name);
		const struct service_def *start = &service_defs[j];
		unsigned next = first < depth ? path[first + 1] : j;
		return bad(start, start->dep_where[next], NULL, "dependency cycle %s", text);
	}
	state[at] = 2; /* done: no cycle through it */
	return 0;
}

/* Each service's plan is prepared here (user lookup, capabilities, seccomp filter), so a bad
 * one stops usher before anything runs; the runtime only applies it. */
static int prepare_sandboxes(void)
{
	for (unsigned i = 0; i < service_count; i++)
		if (service_defs[i].sandbox && sandbox_prepare(service_defs[i].sandbox) != 0)
			return -1;
	return 0;
}

/* The stored text becomes a parsed spec (check_parse keeps its own copy of the text). */
static int parse_stored_check(struct check_spec *spec, const char *where)
{
	char *text = (char *)spec->text;
	int rc = check_parse(text, where, spec);
	free(text);
	return rc;
}

static int check_service(struct service_def *d)
{
	unsigned i = (unsigned)(d - service_defs);
	if (!d->exec_argv || !d->exec_argv[0])
		return bad(d, d->where, NULL, "no ExecStart=");
	if (d->type == SERVICE_ONESHOT && d->restart == RESTART_ALWAYS)
		return bad(d, d->where, NULL, "Restart=always does not go with Type=oneshot");
	if (d->has_ready_check && d->type != SERVICE_SIMPLE)
		return bad(d, check_where[i][0], "ReadyCheck", "only for Type=simple (a "
			   "oneshot is ready when it exits 0, a notify service when it says READY=1)");
	if (d->restart_max_ms < d->restart_ms)
		return bad(d, d->where, NULL, "RestartMaxDelaySec= is shorter than RestartSec=");
	/* Both specs are parsed here, before anything runs (names resolved, exec: split). */
	if (d->has_ready_check && parse_stored_check(&d->ready_check, check_where[i][0]) != 0)
		return -1;
	if (d->has_health_check && parse_stored_check(&d->health_check, check_where[i][1]) != 0)
		return -1;
	if (d->stop_timeout_ms <= 0)
		d->stop_timeout_ms = settings.grace_ms; /* also TimeoutStopSec=infinity: capped there */
	if (!d->environment)
		d->environment = or_die(calloc(1, sizeof(char *)));
	return 0;
}

int service_defs_finish(void)
{
	if (resolve_dependencies() != 0)
		return EXIT_USHER_FAILED;
	unsigned char state[SERVICE_MAX] = { 0 };
	unsigned path[SERVICE_MAX];
	for (unsigned i = 0; i < service_count; i++)
		if (state[i] == 0 && find_cycle(i, state, path, 0) != 0)
			return EXIT_USHER_FAILED;
	for (unsigned i = 0; i < service_count; i++)
		if (check_service(&service_defs[i]) != 0)
			return EXIT_USHER_FAILED;
	struct service_def *m = &service_defs[SERVICE_MAIN];
	if (service_main_has_check() && parse_stored_check(&m->health_check, m->where) != 0)
		return EXIT_USHER_FAILED;
	if (prepare_sandboxes() != 0)
		return EXIT_USHER_FAILED;
	for (size_t i = 0; i < pending_count; i++)
		free(pendings[i].name);
	free(pendings);
	pendings = NULL;
	pending_count = 0;
	return 0;
}

static void free_check(struct check_spec *c)
{
	free((char *)c->text); /* ours before check_parse(), then its copy */
	free((char *)c->http_host);
	free((char *)c->http_path);
	free_list(c->exec_argv);
}

/* Tests and the fuzzer: forget every service, freeing what service_set() allocated. */
void service_defs_reset(void)
{
	for (unsigned i = 0; i < service_count; i++) {
		struct service_def *d = &service_defs[i];
		free((char *)d->name);
		free_list(d->exec_argv);
		free_list(d->environment);
		free_list((char **)d->environment_files);
		free((char *)d->working_directory);
		free_check(&d->ready_check);
		free_check(&d->health_check);
		memset(d, 0, sizeof *d);
	}
	free_check(&service_defs[SERVICE_MAIN].health_check);
	memset(&service_defs[SERVICE_MAIN], 0, sizeof service_defs[SERVICE_MAIN]);
	main_keys_given = false;
	for (size_t i = 0; i < pending_count; i++)
		free(pendings[i].name);
	free(pendings);
	pendings = NULL;
	pending_count = service_count = 0;
	while (where_count)
		free(wheres[--where_count]);
}
