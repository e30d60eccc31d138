/* init/service.h — services: [Service NAME] sections as parsed (service-config.c) and the
 * table the runtime (service.c) works on. Everything here is made before the loop. */
#ifndef USHER_SERVICE_H
#define USHER_SERVICE_H

#include "check.h"
#include <stdbool.h>

enum { SERVICE_MAX = 32, SERVICE_NAME_MAX = 64 };

enum service_type { SERVICE_SIMPLE, SERVICE_ONESHOT, SERVICE_NOTIFY };
enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };
enum service_action { ACTION_NONE, ACTION_EXIT };
enum health_action { HEALTH_RESTART, HEALTH_STOP, HEALTH_NONE };
enum dep_kind { DEP_AFTER = 1, DEP_REQUIRES = 2, DEP_WANTS = 4, DEP_BINDS_TO = 8 };

struct sandbox_plan;

struct service_def {
	const char *name;
	const char *where;            /* "file:line" of the [Service NAME] header */
	char **exec_argv;             /* ExecStart= split (systemd quoting), not yet ${VAR}-expanded */
	const char *exec_where;
	enum service_type type;
	unsigned char deps[SERVICE_MAX]; /* deps[j]: DEP_* bits, this service -> service j */
	const char *dep_where[SERVICE_MAX]; /* where each dependency was written */
	enum restart_policy restart;
	long restart_ms, restart_max_ms;          /* 100 ms, 30 s */
	long start_limit_burst;                    /* 5 */
	long start_limit_interval_ms;              /* 10 s */
	bool success_exit[256];                    /* SuccessExitStatus= (0 always counts) */
	bool success_signal[65];                   /* SuccessExitStatus=SIGTERM style */
	enum service_action failure_action;        /* exit */
	enum service_action success_action;        /* none */
	int kill_signal;                           /* SIGTERM */
	long stop_timeout_ms;                      /* TimeoutStopSec=, default: --grace */
	long start_timeout_ms;                     /* TimeoutStartSec=, default 90 s like systemd */
	bool has_ready_check;
	struct check_spec ready_check;             /* ReadyCheck= */
	bool has_health_check;                     /* issue 10 */
	struct check_spec health_check;
	long health_interval_ms, health_timeout_ms, health_retries, health_start_period_ms;
	enum health_action health_action;
	const char *working_directory;
	char **environment;                        /* Environment= KEY=VALUE, in order, not expanded */
	const char **environment_files;            /* EnvironmentFile= paths (creds' env-file formats) */
	struct sandbox_plan *sandbox;              /* User=, Group=, caps, seccomp, limits, umask */
};

/* service_defs[SERVICE_MAIN]: the main command's HealthCheck= and Health*= keys, from [Service]
 * (name "main", HealthAction= stop by default; where: its HealthCheck= line). */
enum { SERVICE_MAIN = SERVICE_MAX };
extern struct service_def service_defs[SERVICE_MAX + 1];
extern unsigned service_count;
/* service_defs[SERVICE_MAIN] has a HealthCheck= (the main command's). */
bool service_main_has_check(void);

/* config.c: "[Service NAME]" opens service NAME (a new one, or an error if NAME repeats);
 * returns its index, or -1 after printing. */
int service_open(const char *name, const char *where);
/* config.c: one Key=Value of the open service. 0, or -1 after printing "usher: FILE:LINE: ...".
 * Both copy where (it need not last); value must last for a sandbox key (as for any option:
 * the setters of sandbox_options[] may keep it, and write into the service's own plan). */
int service_set(unsigned index, const char *key, const char *value, const char *where);
/* config.c: a Health*= key of [Service], for the main command. As service_set(). */
int service_main_health_set(const char *key, const char *value, const char *where);
/* After every option and config file: resolve dependency names, refuse unknown names and cycles
 * (naming file and line), apply defaults. 0, or EXIT_USHER_FAILED after printing. */
int service_defs_finish(void);
/* Tests and the fuzzer only: forget every service (service_count 0), freeing their memory. */
void service_defs_reset(void);

#endif
