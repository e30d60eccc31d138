/* sandbox/caps.c — --cap-keep/--cap-drop: names checked with libcap-ng, the final sets
 * planned before the fork, applied around the uid switch in the child and read back. */
#include "caps.h"

#include "util.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Securebits for a non-root workload: uid 0 gets no capabilities at execve (NOROOT), so
 * a kept CAP_SETUID cannot lead back to root's full bounding set, and neither that nor the
 * setuid fix-up (capabilities cleared when leaving uid 0) can be switched off again. */
static const unsigned non_root_securebits =
	SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED;

static uint64_t bit(int cap)
{
	return 1ULL << cap;
}

/* libcap-ng probes the kernel (last capability, prctl options) on first use; usher's
 * build takes away its constructor so a plain start does not pay for that probe
 * (build/setup.sh, lazy_capng_init). Name lookups do not trigger it themselves. */
static void capng_ready(void)
{
	static bool ready;
	if (!ready) {
		ready = true;
		capng_get_caps_process();
	}
}

/* --- option setters ------------------------------------------------------------------- */

/* "NET_BIND_SERVICE", "cap_net_bind_service" or "ALL", as Docker's --cap-add takes them. */
static int parse_cap_name(const char *word, int *cap)
{
	const char *name = strncasecmp(word, "CAP_", 4) == 0 ? word + 4 : word;
	capng_ready();
	*cap = capng_name_to_capability(name);
	return *cap >= 0 && *cap < 64 ? 0 : -1;
}

/* Comma- or space-separated names; repeatable (adds). A value without names is the empty
 * set, never "everything": for the keep list that resets it to nothing kept; a drop list
 * of nothing would keep everything, so it is refused. */
static int add_to_list(struct cap_list *list, const char *value, const char *where, bool is_drop)
{
	char copy[1024];
	if (strlen(value) >= sizeof copy) {
		usher_err("%s: list of capabilities too long", where);
		return -1;
	}
	strcpy(copy, value);
	struct cap_list added = *list;
	bool named = false;
	char *save = NULL;
	for (char *word = strtok_r(copy, ", \t", &save); word; word = strtok_r(NULL, ", \t", &save)) {
		int cap;
		named = true;
		if (strcasecmp(word, "ALL") == 0) {
			added.all = true;
		} else if (parse_cap_name(word, &cap) == 0) {
			added.mask |= bit(cap);
		} else {
			usher_err("%s: unknown capability '%s'", where, word);
			return -1;
		}
	}
	if (!named && is_drop) {
		usher_err("%s: empty value: name the capabilities to drop, or ALL", where);
		return -1;
	}
	if (!named)
		added = (struct cap_list){ 0 };
	added.given = true;
	*list = added;
	return 0;
}

int caps_set_keep(struct sbx_caps *c, const char *value, const char *where)
{
	return add_to_list(&c->keep, value, where, false);
}

int caps_set_drop(struct sbx_caps *c, const char *value, const char *where)
{
	return add_to_list(&c->drop, value, where, true);
}

/* --- reading the kernel's view -------------------------------------------------------- */

struct cap_sets {
	uint64_t inheritable, permitted, effective, bounding, ambient;
	int last_cap;
};

static int read_cap_sets(struct cap_sets *sets)
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &header, data) != 0) {
		usher_err("capget: %s", strerror(errno));
		return -1;
	}
	sets->inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	sets->permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	sets->effective = data[0].effective | (uint64_t)data[1].effective << 32;
	sets->bounding = sets->ambient = 0;
	/* PR_CAPBSET_READ says EINVAL past the last capability the kernel knows. */
	int cap;
	for (cap = 0; cap < 64; cap++) {
		int in_bounding = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0L, 0L, 0L);
		if (in_bounding < 0 && errno == EINVAL)
			break;
		if (in_bounding < 0) {
			usher_err("reading the bounding set: %s", strerror(errno));
			return -1;
		}
		int in_ambient = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)cap, 0L, 0L);
		if (in_ambient < 0) {
			usher_err("reading the ambient set: %s", strerror(errno));
			return -1;
		}
		sets->bounding |= in_bounding ? bit(cap) : 0;
		sets->ambient |= in_ambient ? bit(cap) : 0;
	}
	sets->last_cap = cap - 1;
	return 0;
}

/* "CHOWN,NET_BIND_SERVICE" or "none" into buf. */
static void cap_names(uint64_t mask, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	capng_ready();
	for (int cap = 0; cap < 64 && used < size; cap++) {
		if (!(mask & bit(cap)))
			continue;
		const char *name = capng_capability_to_name((unsigned)cap);
		int len = name ? snprintf(buf + used, size - used, "%s", used ? "," : "")
			       : snprintf(buf + used, size - used, "%s%d", used ? "," : "", cap);
		if (len < 0)
			return;
		used += (size_t)len;
		for (; name && *name && used + 1 < size; name++)
			buf[used++] = (char)toupper((unsigned char)*name);
		if (used < size)
			buf[used] = '\0';
	}
	if (!used)
		snprintf(buf, size, "none");
}

/* --- before the fork ------------------------------------------------------------------ */

int caps_plan(struct sbx_caps *c, bool to_non_root, uint64_t *workload_caps)
{
	struct cap_sets now;
	if (read_cap_sets(&now) != 0)
		return -1;
	struct cap_list keep_list = c->keep, drop_list = c->drop;
	*c = (struct sbx_caps){ .keep = keep_list, .drop = drop_list, .to_non_root = to_non_root,
				.last_cap = now.last_cap };
	*workload_caps = now.bounding;
	if (!keep_list.given && !drop_list.given && !to_non_root)
		return 0; /* root workload, nothing asked: it gets what usher has */

	uint64_t named_both = keep_list.mask & drop_list.mask;
	if (named_both) {
		char names[512];
		cap_names(named_both, names, sizeof names);
		usher_err("capabilities: %s both kept and dropped", names);
		return -1;
	}
	/* What usher can hand on: the workload's sets can only shrink from its own. */
	uint64_t available = now.permitted & now.bounding;
	uint64_t final;
	if (keep_list.given)
		final = keep_list.all ? available & ~drop_list.mask : keep_list.mask;
	else if (to_non_root)
		final = 0; /* a non-root uid gets nothing it was not explicitly given */
	else
		final = drop_list.all ? 0 : available & ~drop_list.mask;

	uint64_t known = now.last_cap >= 63 ? ~0ULL : bit(now.last_cap + 1) - 1;
	if (final & ~known) {
		char names[512];
		cap_names(final & ~known, names, sizeof names);
		usher_err("capabilities: %s unknown to this kernel", names);
		return -1;
	}
	uint64_t unavailable = final & ~available;
	if (unavailable) {
		char names[512];
		cap_names(unavailable, names, sizeof names);
		bool several = (unavailable & (unavailable - 1)) != 0;
		usher_err("capabilities: cannot keep %s: usher itself does not have %s", names,
			  several ? "them" : "it");
		return -1;
	}
	c->active = true;
	c->final = c->bounding = final;
	/* An engine that switched user itself without --cap-drop ALL (podman --user 1000,
	 * runAsUser) leaves usher a full bounding set and no CAP_SETPCAP to drop it. It cannot
	 * matter: usher has nothing permitted to hand on, is not root, and no_new_privs (always
	 * set with a capability plan) stops setuid binaries and file capabilities. So the set
	 * is left as it is and read back as such; with anything permitted the drop stays a must. */
	uid_t ruid, euid, suid;
	if (!now.permitted && (now.bounding & ~final) && getresuid(&ruid, &euid, &suid) == 0 &&
	    ruid && euid && suid) {
		c->bounding = now.bounding;
		usher_debug("bounding set left as it is: usher runs as uid %u with no capabilities",
			    (unsigned)ruid);
	}
	c->ambient = to_non_root ? final : 0;
	c->securebits = to_non_root ? non_root_securebits : 0;
	*workload_caps = final;
	return 0;
}

/* True once asked for (before caps_plan runs) as well as after. */
bool caps_active(const struct sbx_caps *c)
{
	return c->active || c->keep.given || c->drop.given;
}

/* --- in the child --------------------------------------------------------------------- */

int caps_before_id_switch(const struct sbx_caps *c, unsigned *securebits)
{
	*securebits = 0;
	if (!c->active)
		return 0;
	struct cap_sets now;
	if (read_cap_sets(&now) != 0)
		return -1;
	/* Only what is there is dropped: a runtime may have narrowed the set already, and
	 * then usher needs no CAP_SETPCAP for it. */
	for (int cap = 0; cap <= c->last_cap; cap++) {
		if ((now.bounding & bit(cap)) && !(c->bounding & bit(cap)) &&
		    prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0L, 0L, 0L) != 0) {
			usher_err("dropping capability %d from the bounding set: %s%s", cap,
				  strerror(errno),
				  errno == EPERM ? " (usher lacks CAP_SETPCAP)" : "");
			return -1;
		}
	}
	if (c->securebits) {
		if (!(now.effective & bit(CAP_SETPCAP))) {
			/* Hardening beyond what was asked; the drop itself is complete without it. */
			usher_debug("securebits left alone: usher lacks CAP_SETPCAP");
		} else {
			int bits = prctl(PR_GET_SECUREBITS, 0L, 0L, 0L, 0L);
			if (bits < 0 || prctl(PR_SET_SECUREBITS, (unsigned long)bits | c->securebits,
					      0L, 0L, 0L) != 0) {
				usher_err("setting securebits: %s", strerror(errno));
				return -1;
			}
			*securebits = c->securebits;
		}
	}
	/* Without keep-caps, leaving uid 0 empties the permitted set the workload keeps from. */
	if (c->to_non_root && c->final && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) {
		usher_err("PR_SET_KEEPCAPS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int caps_after_id_switch(const struct sbx_caps *c)
{
	if (!c->active)
		return 0;
	if (c->to_non_root && c->final && prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0) {
		usher_err("PR_SET_KEEPCAPS: %s", strerror(errno));
		return -1;
	}
	/* libcap-ng's state is per thread and was filled by whoever ran first: start afresh,
	 * aimed at this process. */
	capng_clear(CAPNG_SELECT_BOTH);
	capng_setpid((int)getpid());
	for (int cap = 0; cap <= c->last_cap; cap++) {
		if ((c->final & bit(cap)) &&
		    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE,
				 (unsigned)cap) != 0) {
			usher_err("capability %d: libcap-ng refused it", cap);
			return -1;
		}
	}
	if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
		usher_err("setting the permitted/effective/inheritable sets: %s", strerror(errno));
		return -1;
	}
	/* Ambient is what carries a kept capability across execve for a non-root uid; it needs
	 * the capability in both permitted and inheritable, set just above. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) != 0) {
		usher_err("clearing the ambient set: %s", strerror(errno));
		return -1;
	}
	for (int cap = 0; cap <= c->last_cap; cap++) {
		if ((c->ambient & bit(cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0L, 0L) != 0) {
			usher_err("raising capability %d in the ambient set: %s", cap, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int expect_set(const char *set_name, uint64_t have, uint64_t want)
{
	if (have == want)
		return 0;
	char extra[512], missing[512];
	cap_names(have & ~want, extra, sizeof extra);
	cap_names(want & ~have, missing, sizeof missing);
	usher_err("%s set is 0x%llx, not 0x%llx (extra: %s; missing: %s)", set_name,
		  (unsigned long long)have, (unsigned long long)want, extra, missing);
	return -1;
}

int caps_verify(const struct sbx_caps *c, unsigned securebits)
{
	if (!c->active)
		return 0;
	struct cap_sets now;
	if (read_cap_sets(&now) != 0)
		return -1;
	if (expect_set("bounding", now.bounding, c->bounding) != 0 ||
	    expect_set("permitted", now.permitted, c->final) != 0 ||
	    expect_set("effective", now.effective, c->final) != 0 ||
	    expect_set("inheritable", now.inheritable, c->final) != 0 ||
	    expect_set("ambient", now.ambient, c->ambient) != 0)
		return -1;
	int bits = prctl(PR_GET_SECUREBITS, 0L, 0L, 0L, 0L);
	if (bits < 0 || ((unsigned)bits & securebits) != securebits) {
		usher_err("securebits are 0x%x, missing 0x%x", (unsigned)bits, securebits);
		return -1;
	}
	return 0;
}

void caps_describe(char *buf, size_t size)
{
	struct cap_sets now;
	char names[512];
	if (read_cap_sets(&now) != 0) {
		snprintf(buf, size, "unreadable");
		return;
	}
	cap_names(now.bounding, names, sizeof names);
	snprintf(buf, size, "inh=0x%llx prm=0x%llx eff=0x%llx bnd=0x%llx amb=0x%llx (%s) securebits=0x%x",
		 (unsigned long long)now.inheritable, (unsigned long long)now.permitted,
		 (unsigned long long)now.effective, (unsigned long long)now.bounding,
		 (unsigned long long)now.ambient, names,
		 (unsigned)prctl(PR_GET_SECUREBITS, 0L, 0L, 0L, 0L));
}
