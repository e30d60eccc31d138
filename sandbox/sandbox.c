/* sandbox/sandbox.c — the sandbox phase's public face: its options, the plan made before the
 * fork and the child's last steps (ids, capabilities, no_new_privs, limits, seccomp last). */
#include "sandbox.h"

#include "caps.h"
#include "opt.h"
#include "rlimits.h"
#include "seccomp.h"
#include "user.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

static bool no_new_privs_flag;

static int set_no_new_privs(const char *value, const char *where)
{
	if (parse_bool(value, &no_new_privs_flag) != 0) {
		usher_err("%s: expected yes or no, got '%s'", where, value);
		return -1;
	}
	return 0;
}

const struct usher_opt sandbox_options[] = {
	{ "user", 0, "User", "USER[:GROUP]",
	  "run the workload as USER (name or uid; from the image's /etc/passwd)", user_set_user },
	{ "group", 0, "Group", "GROUP", "primary group of the workload (name or gid)", user_set_group },
	{ "groups", 0, "SupplementaryGroups", "GROUP,...",
	  "extra supplementary groups (names or gids); repeatable", user_add_groups },
	{ "init-groups", 0, "InitGroups", "yes|no",
	  "give the user its groups from /etc/group (default yes)", user_set_init_groups },
	{ "cap-keep", 0, "KeepCapabilities", "CAP,...",
	  "keep only these capabilities (NET_BIND_SERVICE or CAP_NET_BIND_SERVICE, ALL)",
	  caps_set_keep },
	{ "cap-drop", 0, "DropCapabilities", "CAP,...",
	  "drop these capabilities (ALL: all but --cap-keep)", caps_set_drop },
	{ "no-new-privs", 0, "NoNewPrivileges", NULL,
	  "set no_new_privs (implied by --user, --cap-*, --seccomp)", set_no_new_privs },
	{ "seccomp", 0, "Seccomp", "default|log|unconfined|PATH",
	  "seccomp profile for the workload (Docker/OCI JSON for PATH)", sbx_seccomp_select },
	{ "seccomp-arches", 0, "SeccompArchitectures", "ARCH,...|native",
	  "compat architectures the seccomp filter also covers", sbx_seccomp_set_compat_arches },
	{ "rlimit", 0, NULL, "NAME=SOFT[:HARD]",
	  "resource limit, e.g. nofile=1024:4096 (also LimitNOFILE= etc.); repeatable", rlimits_set },
	{ NULL, 0, "LimitCPU", "SECONDS", "RLIMIT_CPU", rlimits_set_cpu },
	{ NULL, 0, "LimitFSIZE", "BYTES", "RLIMIT_FSIZE", rlimits_set_fsize },
	{ NULL, 0, "LimitDATA", "BYTES", "RLIMIT_DATA", rlimits_set_data },
	{ NULL, 0, "LimitSTACK", "BYTES", "RLIMIT_STACK", rlimits_set_stack },
	{ NULL, 0, "LimitCORE", "BYTES", "RLIMIT_CORE", rlimits_set_core },
	{ NULL, 0, "LimitRSS", "BYTES", "RLIMIT_RSS", rlimits_set_rss },
	{ NULL, 0, "LimitNOFILE", "N", "RLIMIT_NOFILE", rlimits_set_nofile },
	{ NULL, 0, "LimitAS", "BYTES", "RLIMIT_AS", rlimits_set_as },
	{ NULL, 0, "LimitNPROC", "N", "RLIMIT_NPROC", rlimits_set_nproc },
	{ NULL, 0, "LimitMEMLOCK", "BYTES", "RLIMIT_MEMLOCK", rlimits_set_memlock },
	{ NULL, 0, "LimitLOCKS", "N", "RLIMIT_LOCKS", rlimits_set_locks },
	{ NULL, 0, "LimitSIGPENDING", "N", "RLIMIT_SIGPENDING", rlimits_set_sigpending },
	{ NULL, 0, "LimitMSGQUEUE", "BYTES", "RLIMIT_MSGQUEUE", rlimits_set_msgqueue },
	{ NULL, 0, "LimitNICE", "N", "RLIMIT_NICE (raw: 20 - nice)", rlimits_set_nice },
	{ NULL, 0, "LimitRTPRIO", "N", "RLIMIT_RTPRIO", rlimits_set_rtprio },
	{ NULL, 0, "LimitRTTIME", "MICROSECONDS", "RLIMIT_RTTIME", rlimits_set_rttime },
	{ "umask", 0, "UMask", "MODE", "umask of the workload (octal, e.g. 0027)", umask_set },
	{ 0 },
};

/* --- before the fork ------------------------------------------------------------------ */

static struct sandbox_ids ids;
static bool no_new_privs;

int sandbox_prepare(void)
{
	/* Nothing asked: no /etc lookups, no capability reads; a plain init starts fast. */
	if (!sandbox_active())
		return 0;
	if (user_resolve("/etc/passwd", "/etc/group", &ids) != 0)
		return EXIT_USHER_FAILED;
	uint64_t workload_caps;
	if (caps_plan(ids.switch_uid && ids.uid != 0, &workload_caps) != 0)
		return EXIT_USHER_FAILED;
	/* A workload that was given less must not win it back through setuid or file
	 * capabilities; the seccomp filter also needs it, as the workload's uid cannot load
	 * one without CAP_SYS_ADMIN. */
	no_new_privs = no_new_privs_flag || user_requested() || caps_active() || sbx_seccomp_active();
	/* Last: the filter's rules depend on the capabilities the workload keeps. */
	return sbx_seccomp_prepare(workload_caps);
}

/* Also right before sandbox_prepare() has run: a vforked child must never skip a drop. */
bool sandbox_active(void)
{
	return user_requested() || caps_active() || no_new_privs || no_new_privs_flag ||
	       rlimits_requested() || sbx_seccomp_active();
}

const char *sandbox_home(void)
{
	return ids.home;
}

/* --- in the child --------------------------------------------------------------------- */

static int set_no_new_privs_now(void)
{
	if (!no_new_privs)
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

static void describe_result(void)
{
	if (usher_verbosity < 2)
		return;
	char line[700];
	user_describe(line, sizeof line);
	usher_info("sandbox: %s", line);
	caps_describe(line, sizeof line);
	usher_info("sandbox: capabilities %s", line);
	usher_info("sandbox: no_new_privs=%d seccomp=%s", prctl(PR_GET_NO_NEW_PRIVS, 0L, 0L, 0L, 0L),
		   sbx_seccomp_active() ? "next" : "none");
}

/* Limits first, while usher may still raise them; the bounding set and securebits while it
 * holds CAP_SETPCAP; then groups, gid, uid; the capability sets that survive the uid change;
 * no_new_privs; everything read back; the seccomp filter last, so it need not allow any of
 * the calls above. */
int sandbox_apply(void)
{
	if (rlimits_apply() != 0 || caps_before_id_switch() != 0 || user_apply(&ids) != 0 ||
	    caps_after_id_switch() != 0 || set_no_new_privs_now() != 0)
		return -1;
	if (user_verify(&ids) != 0 || caps_verify() != 0)
		return -1;
	describe_result();
	if (sbx_seccomp_active() && sbx_seccomp_load() != 0)
		return -1;
	return 0;
}
