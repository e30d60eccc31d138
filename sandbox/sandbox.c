/* sandbox/sandbox.c — the sandbox phase's public face: its options, one plan per process
 * (made before the loop) and the child's last steps (ids, capabilities, limits, seccomp last). */
#include "sandbox.h"

#include "caps.h"
#include "opt.h"
#include "rlimits.h"
#include "seccomp.h"
#include "seccomp-compile.h"
#include "user.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

/* Everything one process is given: as the options set it, then as sandbox_prepare made it. */
struct sandbox_plan {
	bool no_new_privs_flag; /* --no-new-privs as given */
	bool no_new_privs;      /* decided by sandbox_prepare */
	struct sbx_user user;
	struct sbx_caps caps;
	struct sbx_limits limits;
	struct sbx_seccomp seccomp;
	struct sandbox_ids ids; /* resolved by sandbox_prepare */
};

/* The main command's plan lives in .bss: a plain start reads it and allocates nothing. */
static struct sandbox_plan main_plan;
static struct sandbox_plan *selected = &main_plan;

struct sandbox_plan *sandbox_plan_main(void)
{
	return &main_plan;
}

struct sandbox_plan *sandbox_plan_new(void)
{
	struct sandbox_plan *p = calloc(1, sizeof *p);
	if (!p)
		usher_err("out of memory");
	return p;
}

void sandbox_plan_select(struct sandbox_plan *p)
{
	selected = p ? p : &main_plan;
}

/* --- option setters: each writes into the selected plan -------------------------------- */

static int set_no_new_privs(const char *value, const char *where)
{
	if (parse_bool(value, &selected->no_new_privs_flag) != 0) {
		usher_err("%s: expected yes or no, got '%s'", where, value);
		return -1;
	}
	return 0;
}

#define PLAN_SETTER(name, part, impl) \
	static int name(const char *value, const char *where) \
	{ return impl(&selected->part, value, where); }
PLAN_SETTER(set_user, user, user_set_user)
PLAN_SETTER(set_group, user, user_set_group)
PLAN_SETTER(add_groups, user, user_add_groups)
PLAN_SETTER(set_init_groups, user, user_set_init_groups)
PLAN_SETTER(set_cap_keep, caps, caps_set_keep)
PLAN_SETTER(set_cap_drop, caps, caps_set_drop)
PLAN_SETTER(set_seccomp, seccomp, sbx_seccomp_select)
PLAN_SETTER(set_seccomp_arches, seccomp, sbx_seccomp_set_compat_arches)
PLAN_SETTER(set_rlimit, limits, rlimits_set)
PLAN_SETTER(set_umask, limits, umask_set)

#define LIMIT_SETTER(name, index) \
	static int name(const char *value, const char *where) \
	{ return rlimits_set_index(&selected->limits, index, value, where); }
LIMIT_SETTER(set_limit_cpu, 0)
LIMIT_SETTER(set_limit_fsize, 1)
LIMIT_SETTER(set_limit_data, 2)
LIMIT_SETTER(set_limit_stack, 3)
LIMIT_SETTER(set_limit_core, 4)
LIMIT_SETTER(set_limit_rss, 5)
LIMIT_SETTER(set_limit_nofile, 6)
LIMIT_SETTER(set_limit_as, 7)
LIMIT_SETTER(set_limit_nproc, 8)
LIMIT_SETTER(set_limit_memlock, 9)
LIMIT_SETTER(set_limit_locks, 10)
LIMIT_SETTER(set_limit_sigpending, 11)
LIMIT_SETTER(set_limit_msgqueue, 12)
LIMIT_SETTER(set_limit_nice, 13)
LIMIT_SETTER(set_limit_rtprio, 14)
LIMIT_SETTER(set_limit_rttime, 15)

const struct usher_opt sandbox_options[] = {
	{ "user", 0, "User", "USER[:GROUP]",
	  "run the workload as USER (name or uid; from the image's /etc/passwd)", set_user },
	{ "group", 0, "Group", "GROUP", "primary group of the workload (name or gid)", set_group },
	{ "groups", 0, "SupplementaryGroups", "GROUP,...",
	  "extra supplementary groups (names or gids); repeatable", add_groups },
	{ "init-groups", 0, "InitGroups", "yes|no",
	  "give the user its groups from /etc/group (default yes)", set_init_groups },
	{ "cap-keep", 0, "KeepCapabilities", "CAP,...",
	  "keep only these capabilities (NET_BIND_SERVICE or CAP_NET_BIND_SERVICE, ALL)",
	  set_cap_keep },
	{ "cap-drop", 0, "DropCapabilities", "CAP,...",
	  "drop these capabilities (ALL: all but --cap-keep)", set_cap_drop },
	{ "no-new-privs", 0, "NoNewPrivileges", NULL,
	  "set no_new_privs (implied by --user, --cap-*, --seccomp)", set_no_new_privs },
	{ "seccomp", 0, "Seccomp", "default|log|unconfined|PATH",
	  "seccomp profile for the workload (Docker/OCI JSON for PATH)", set_seccomp },
	{ "seccomp-arches", 0, "SeccompArchitectures", "ARCH,...|native",
	  "compat architectures the seccomp filter also covers", set_seccomp_arches },
	{ "rlimit", 0, NULL, "NAME=SOFT[:HARD]",
	  "resource limit, e.g. nofile=1024:4096 (also LimitNOFILE= etc.); repeatable", set_rlimit },
	{ NULL, 0, "LimitCPU", "SECONDS", "RLIMIT_CPU", set_limit_cpu },
	{ NULL, 0, "LimitFSIZE", "BYTES", "RLIMIT_FSIZE", set_limit_fsize },
	{ NULL, 0, "LimitDATA", "BYTES", "RLIMIT_DATA", set_limit_data },
	{ NULL, 0, "LimitSTACK", "BYTES", "RLIMIT_STACK", set_limit_stack },
	{ NULL, 0, "LimitCORE", "BYTES", "RLIMIT_CORE", set_limit_core },
	{ NULL, 0, "LimitRSS", "BYTES", "RLIMIT_RSS", set_limit_rss },
	{ NULL, 0, "LimitNOFILE", "N", "RLIMIT_NOFILE", set_limit_nofile },
	{ NULL, 0, "LimitAS", "BYTES", "RLIMIT_AS", set_limit_as },
	{ NULL, 0, "LimitNPROC", "N", "RLIMIT_NPROC", set_limit_nproc },
	{ NULL, 0, "LimitMEMLOCK", "BYTES", "RLIMIT_MEMLOCK", set_limit_memlock },
	{ NULL, 0, "LimitLOCKS", "N", "RLIMIT_LOCKS", set_limit_locks },
	{ NULL, 0, "LimitSIGPENDING", "N", "RLIMIT_SIGPENDING", set_limit_sigpending },
	{ NULL, 0, "LimitMSGQUEUE", "BYTES", "RLIMIT_MSGQUEUE", set_limit_msgqueue },
	{ NULL, 0, "LimitNICE", "N", "RLIMIT_NICE (raw: 20 - nice)", set_limit_nice },
	{ NULL, 0, "LimitRTPRIO", "N", "RLIMIT_RTPRIO", set_limit_rtprio },
	{ NULL, 0, "LimitRTTIME", "MICROSECONDS", "RLIMIT_RTTIME", set_limit_rttime },
	{ "umask", 0, "UMask", "MODE", "umask of the workload (octal, e.g. 0027)", set_umask },
	{ 0 },
};

/* --- before the loop ------------------------------------------------------------------ */

int sandbox_prepare(struct sandbox_plan *p)
{
	/* Nothing asked: no /etc lookups, no capability reads; a plain init starts fast. */
	if (!sandbox_active(p))
		return 0;
	if (user_resolve(&p->user, "/etc/passwd", "/etc/group", &p->ids) != 0)
		return EXIT_USHER_FAILED;
	uint64_t workload_caps;
	if (caps_plan(&p->caps, p->ids.switch_uid && p->ids.uid != 0, &workload_caps) != 0)
		return EXIT_USHER_FAILED;
	/* A workload that was given less must not win it back through setuid or file
	 * capabilities; the seccomp filter also needs it, as the workload's uid cannot load
	 * one without CAP_SYS_ADMIN. */
	p->no_new_privs = p->no_new_privs_flag || user_requested(&p->user) || caps_active(&p->caps) ||
			  sbx_seccomp_active(&p->seccomp);
	/* Last: the filter's rules depend on the capabilities the workload keeps. */
	return sbx_seccomp_prepare(&p->seccomp, workload_caps);
}

/* `usher seccomp compile` (seccomp-compile.c): p's user and capabilities decided as
 * sandbox_prepare() decides them, then the filter compiled for them into a file. */
int sandbox_compile_seccomp(struct sandbox_plan *p, const char *json_path, const char *out_path)
{
	uint64_t workload_caps;
	if (user_resolve(&p->user, "/etc/passwd", "/etc/group", &p->ids) != 0 ||
	    caps_plan(&p->caps, p->ids.switch_uid && p->ids.uid != 0, &workload_caps) != 0)
		return EXIT_USHER_FAILED;
	return sbx_seccomp_compile(&p->seccomp, json_path, out_path, workload_caps);
}

/* Also right before sandbox_prepare() has run: a vforked child must never skip a drop. */
bool sandbox_active(const struct sandbox_plan *p)
{
	return p && (p->no_new_privs_flag || p->no_new_privs || user_requested(&p->user) ||
		     caps_active(&p->caps) || rlimits_requested(&p->limits) ||
		     sbx_seccomp_active(&p->seccomp));
}

const char *sandbox_home(const struct sandbox_plan *p)
{
	return p ? p->ids.home : NULL;
}

/* --- in the child --------------------------------------------------------------------- */

static int set_no_new_privs_now(const struct sandbox_plan *p)
{
	if (!p->no_new_privs)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
		usher_err("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	int now = prctl(PR_GET_NO_NEW_PRIVS, 0L, 0L, 0L, 0L);
	if (now != 1) {
		usher_err("no_new_privs reads back as %d, not 1", now);
		return -1;
	}
	return 0;
}

static void describe_result(const struct sandbox_plan *p)
{
	if (usher_verbosity < 2)
		return;
	char line[700];
	user_describe(line, sizeof line);
	usher_info("sandbox: %s", line);
	caps_describe(line, sizeof line);
	usher_info("sandbox: capabilities %s", line);
	usher_info("sandbox: no_new_privs=%d seccomp=%s", prctl(PR_GET_NO_NEW_PRIVS, 0L, 0L, 0L, 0L),
		   sbx_seccomp_active(&p->seccomp) ? "next" : "none");
}

/* Limits first, while usher may still raise them; the bounding set and securebits while it
 * holds CAP_SETPCAP; then groups, gid, uid; the capability sets that survive the uid change;
 * no_new_privs; everything read back; the seccomp filter last, so it need not allow any of
 * the calls above. */
int sandbox_apply(const struct sandbox_plan *p)
{
	if (!p)
		return 0;
	unsigned securebits;
	if (rlimits_apply(&p->limits) != 0 || caps_before_id_switch(&p->caps, &securebits) != 0 ||
	    user_apply(&p->ids) != 0 || caps_after_id_switch(&p->caps) != 0 ||
	    set_no_new_privs_now(p) != 0)
		return -1;
	if (user_verify(&p->ids) != 0 || caps_verify(&p->caps, securebits) != 0)
		return -1;
	describe_result(p);
	return sbx_seccomp_load(&p->seccomp);
}
