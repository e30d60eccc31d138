/* tests/init/service-config-test.c — what service-config.c hands the service runtime: every
 * field of struct service_def after service_set() and service_defs_finish(). Prints TAP. */
#include "opt.h"
#include "options.h"
#include "service.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* What service-config.c takes from the rest of usher, standing in for options.c (--grace) and
 * sandbox/ (a sandbox key's setter must run with the service's own plan selected). */
struct init_settings settings = { .grace_ms = 7000 };
static int plans[SERVICE_MAX], plans_made, *selected;
struct sandbox_plan *sandbox_plan_new(void)
{
	return (struct sandbox_plan *)&plans[plans_made++];
}
void sandbox_plan_select(struct sandbox_plan *p)
{
	selected = (int *)p;
}
static const char *user_value;
static int set_user(const char *value, const char *where)
{
	(void)where;
	user_value = value;
	return selected ? (*selected)++, 0 : -1;
}
const struct usher_opt sandbox_options[] = { { "user", 0, "User", "U", "", set_user }, { 0 } };
/* creds/ checks EnvironmentFile= values (tested with the real usher in services-config.t). */
#include "creds.h"
static char env_file_where[200];
int creds_check_env_file(const char *value, const char *where)
{
	(void)value;
	snprintf(env_file_where, sizeof env_file_where, "%s", where);
	return 0;
}
static struct sandbox_plan *prepared;
int sandbox_prepare(struct sandbox_plan *p)
{
	prepared = p;
	return 0;
}

/* The TAP helper of every C test (its ok() under the name these cases use). */
#define check ok

static int set(int index, const char *key, const char *value)
{
	return service_set((unsigned)index, key, value, "test.conf:1");
}

static bool argv_is(char **argv, const char *const *expected)
{
	size_t i = 0;
	for (; argv && argv[i] && expected[i]; i++)
		if (strcmp(argv[i], expected[i]) != 0)
			return false;
	return argv && !argv[i] && !expected[i];
}

int main(void)
{
	int db = service_open("db", "test.conf:1"), web = service_open("web", "test.conf:9");
	int job = service_open("job", "test.conf:20");
	check(db == 0 && web == 1 && job == 2 && service_count == 3, "service_open returns indexes in order");
	check(service_open("db", "test.conf:30") < 0, "a repeated name is refused");
	check(set(db, "ExecStart", "/usr/sbin/db --name \"a b\" 'c d' e\\sf \\$HOME ${X}") == 0,
	      "ExecStart= with quotes and escapes");
	check(set(web, "ExecStart", "/bin/web") == 0 && set(web, "After", "db job") == 0 &&
		      set(web, "Requires", "db") == 0 && set(web, "BindsTo", "job") == 0 &&
		      set(web, "Wants", "db") == 0,
	      "web: After= Requires= BindsTo= Wants=");
	check(set(job, "ExecStart", "/bin/job") == 0 && set(job, "Type", "oneshot") == 0 &&
		      set(job, "Restart", "no") == 0 && set(job, "SuccessExitStatus", "3 SIGTERM HUP") == 0 &&
		      set(job, "KillSignal", "INT") == 0 && set(job, "TimeoutStopSec", "2s") == 0 &&
		      set(job, "TimeoutStartSec", "infinity") == 0 && set(job, "FailureAction", "none") == 0 &&
		      set(job, "SuccessAction", "exit") == 0 && set(job, "WorkingDirectory", "/srv") == 0 &&
		      set(job, "Environment", "A=1 'B=x y'") == 0 && set(job, "Environment", "C=3") == 0 &&
		      set(job, "EnvironmentFile", "-docker:/run/a.env") == 0 &&
		      set(job, "HealthCheck", "exec:/bin/check") == 0 && set(job, "HealthRetries", "5") == 0 &&
		      set(job, "HealthAction", "none") == 0 && set(job, "RestartSec", "1s") == 0 &&
		      set(job, "RestartMaxDelaySec", "4s") == 0,
	      "job: the single-value keys");
	check(set(db, "ReadyCheck", "tcp:127.0.0.1:5432") == 0, "db: ReadyCheck=");
	check(set(web, "User", "1000") == 0 && set(web, "User", "1001") == 0 && user_value &&
		      strcmp(user_value, "1001") == 0, "a sandbox key reaches sandbox_options[]' setter");
	check(plans_made == 1 && service_defs[web].sandbox == (struct sandbox_plan *)&plans[0] &&
		      plans[0] == 2 && !selected && !service_defs[db].sandbox,
	      "... with web's own plan selected (one plan, made once), the main plan after");
	check(set(db, "After", "nope") == 0, "an unknown name waits for service_defs_finish()");
	check(service_defs_finish() == EXIT_USHER_FAILED, "... which refuses it");
	check(set(db, "After", "") == 0 && service_defs_finish() == 0, "an empty After= resets; then finish succeeds");
	check(prepared && prepared == service_defs[web].sandbox, "finish prepares each service's own plan");

	const struct service_def *d = &service_defs[db], *w = &service_defs[web], *j = &service_defs[job];
	static const char *const db_argv[] = { "/usr/sbin/db", "--name", "a b", "c d", "e f", "$$HOME", "${X}", NULL };
	check(argv_is(d->exec_argv, db_argv), "exec_argv split with systemd quoting, ${X} and \\$ kept for expansion");
	check(d->type == SERVICE_SIMPLE && d->restart == RESTART_ON_FAILURE && d->restart_ms == 100 &&
		      d->restart_max_ms == 30000 && d->start_limit_burst == 5 &&
		      d->start_limit_interval_ms == 10000 && d->failure_action == ACTION_EXIT &&
		      d->success_action == ACTION_NONE && d->kill_signal == SIGTERM &&
		      d->start_timeout_ms == 90000,
	      "defaults: simple, on-failure, 100ms..30s, 5 in 10s, FailureAction=exit, SIGTERM, 90s");
	check(d->stop_timeout_ms == 7000, "TimeoutStopSec= defaults to --grace");
	check(d->health_interval_ms == 30000 && d->health_timeout_ms == 30000 && d->health_retries == 3 &&
		      d->health_start_period_ms == 0 && d->health_action == HEALTH_RESTART && !d->has_health_check,
	      "health defaults: Docker's 30s, 30s, 3, 0; HealthAction=restart");
	check(d->has_ready_check && strcmp(d->ready_check.text, "tcp:127.0.0.1:5432") == 0, "ready_check.text kept");
	check(d->environment && !d->environment[0] && !d->environment_files && !d->working_directory,
	      "no Environment=: an empty list");
	check(w->deps[db] == (DEP_AFTER | DEP_REQUIRES | DEP_WANTS) && w->deps[job] == (DEP_AFTER | DEP_BINDS_TO) &&
		      w->deps[web] == 0 && d->deps[web] == 0,
	      "deps[] bits per dependency, this service -> that one");
	check(w->dep_where[db] && strcmp(w->dep_where[db], "test.conf:1") == 0, "dep_where[] kept");
	check(j->type == SERVICE_ONESHOT && j->restart == RESTART_NO && j->kill_signal == SIGINT &&
		      j->stop_timeout_ms == 2000 && j->start_timeout_ms == 0 && j->failure_action == ACTION_NONE &&
		      j->success_action == ACTION_EXIT && j->restart_ms == 1000 && j->restart_max_ms == 4000,
	      "job: the values set");
	check(j->success_exit[3] && !j->success_exit[0] && !j->success_exit[15] && j->success_signal[SIGTERM] &&
		      j->success_signal[SIGHUP] && !j->success_signal[3],
	      "SuccessExitStatus=: numbers are exit codes, names are signals");
	static const char *const env[] = { "A=1", "B=x y", "C=3", NULL };
	check(argv_is(j->environment, env), "Environment= appends, in order");
	check(j->environment_files && strcmp(j->environment_files[0], "-docker:/run/a.env") == 0 &&
		      !j->environment_files[1], "EnvironmentFile= kept as written");
	check(strcmp(j->working_directory, "/srv") == 0, "WorkingDirectory=");
	check(strcmp(env_file_where, "test.conf:1: service \"job\": EnvironmentFile=") == 0,
	      "EnvironmentFile= checked by creds/, named with service and key");
	check(j->has_health_check && strcmp(j->health_check.text, "exec:/bin/check") == 0 &&
		      j->health_retries == 5 && j->health_action == HEALTH_NONE, "HealthCheck=, HealthRetries=, HealthAction=");
	check(strcmp(w->where, "test.conf:9") == 0 && strcmp(w->name, "web") == 0, "name and where");
	return done_testing();
}
