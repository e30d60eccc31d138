/* sandbox/seccomp-build.c — compiles a parsed profile to BPF: the rules that apply (as
 * seccomp-docker.c decides) added as runc does, range blocks and an ENOSYS stub in front. */
#include "seccomp-internal.h"
#include "util.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* x32 syscalls arrive with AUDIT_ARCH_X86_64 and this bit set in the number. */
#define X32_SYSCALL_BIT 0x40000000u
#define MAX_ARCHES SBX_MAX_ARCHES

struct build {
	scmp_filter_ctx ctx;
	/* With a range block, the other arches' contexts, merged into ctx before export (NULL when
	 * there are none): x86, ranged on its own (its socket and IPC calls are multiplexed, so
	 * libseccomp keeps those), and full, the arches without a block, given every rule. */
	scmp_filter_ctx x86, full;
	const char *origin;
	uint32_t arches[MAX_ARCHES];
	int max_nr[MAX_ARCHES]; /* highest syscall number the applied rules name, per arch */
	size_t arch_count;
	size_t rules_added;
	bool names_exit, names_exit_group;
	/* The numbers allowed outright, for the range blocks (ranges.c): the native arch's with
	 * x32's (its numbers carry X32_SYSCALL_BIT under x86_64's audit arch), and x86's. */
	bool ranged;
	enum { UNRANGED, RANGED, RANGED_X86 } arch_group[MAX_ARCHES];
	uint32_t *outright, *outright_x86;
	size_t outright_count, outright_x86_count;
	const char **conditional; /* names some applied rule gives arguments or another action */
	size_t conditional_count;
};

static int add_arches(struct build *b, const struct sbx_profile *profile, const struct sbx_build_options *options)
{
	const uint32_t *extra = options->arches_override ? options->arches : profile->arches;
	size_t extra_count = options->arches_override ? options->arch_count : profile->arch_count;
#ifdef USHER_SECCOMP_GEN
	/* A filter for another arch: it replaces the running one in the context. */
	if (sbx_native_arch() != seccomp_arch_native()) {
		int rc = seccomp_arch_add(b->ctx, sbx_native_arch());
		if (rc == 0)
			rc = seccomp_arch_remove(b->ctx, SCMP_ARCH_NATIVE);
		if (rc < 0) {
			usher_err("%s: building for architecture %#x: %s", b->origin, sbx_native_arch(), strerror(-rc));
			return -1;
		}
	}
#endif
	b->arches[b->arch_count++] = sbx_native_arch();
	for (size_t k = 0; k < extra_count; k++) {
		bool known = false;
		for (size_t a = 0; a < b->arch_count; a++)
			known |= b->arches[a] == extra[k];
		if (known)
			continue;
		if (b->arch_count == MAX_ARCHES) {
			usher_err("%s: more than %d architectures", b->origin, MAX_ARCHES);
			return -1;
		}
		int rc = seccomp_arch_add(b->ctx, extra[k]);
		if (rc < 0) {
			usher_err("%s: adding architecture %#x: %s", b->origin, extra[k], strerror(-rc));
			return -1;
		}
		b->arches[b->arch_count++] = extra[k];
	}
	for (size_t a = 0; a < b->arch_count; a++)
		b->max_nr[a] = -1;
	return 0;
}

/* False for a name no arch of the filter has; keeps max_nr for the ENOSYS stub. */
static bool note_syscall(struct build *b, const char *name)
{
	bool known = false;
	for (size_t a = 0; a < b->arch_count; a++) {
		int nr = seccomp_syscall_resolve_name_arch(b->arches[a], name);
		if (nr < 0)
			continue;
		known = true;
		if (nr > b->max_nr[a])
			b->max_nr[a] = nr;
	}
	return known;
}

/* ranged: a mask of the contexts whose arches the range block decides it for (IN_CTX,
 * IN_X86); the others get the rule. */
enum { IN_CTX = 1, IN_X86 = 2 };
static int add_one(struct build *b, uint32_t action, const char *name, unsigned count,
                   const struct scmp_arg_cmp *conditions, unsigned ranged)
{
	/* The native number, or libseccomp's pseudo number for a name only compat arches have. */
	int nr = seccomp_syscall_resolve_name(name);
	int rc = ranged & IN_CTX ? 0 : seccomp_rule_add_array(b->ctx, action, nr, count, conditions);
	if (rc == 0 && b->x86 && !(ranged & IN_X86))
		rc = seccomp_rule_add_array(b->x86, action, nr, count, conditions);
	if (rc == 0 && b->full)
		rc = seccomp_rule_add_array(b->full, action, nr, count, conditions);
	if (rc < 0) {
		usher_err("%s: rule for \"%s\": %s", b->origin, name, strerror(-rc));
		return -1;
	}
	b->rules_added++;
	return 0;
}

/* Several conditions on one argument are ORed, each its own rule, as runc does (libseccomp
 * allows one comparison per argument per rule); otherwise all conditions form one rule. */
static int add_rule(struct build *b, const struct sbx_rule *rule, uint32_t action, const char *name, unsigned ranged)
{
	/* On the heap: a profile may give thousands of conditions. */
	struct scmp_arg_cmp *conditions = calloc(rule->arg_count + 1, sizeof *conditions);
	if (!conditions) {
		usher_err("%s: out of memory", b->origin);
		return -1;
	}
	unsigned per_index[6] = { 0 };
	bool repeated = false;
	for (size_t k = 0; k < rule->arg_count; k++) {
		const struct sbx_arg *arg = &rule->args[k];
		conditions[k] = (struct scmp_arg_cmp){ .arg = arg->index, .op = (enum scmp_compare)arg->op,
		                                       .datum_a = arg->value, .datum_b = arg->value_two };
		repeated |= ++per_index[arg->index] > 1;
	}
	int rc = 0;
	if (!repeated)
		rc = add_one(b, action, name, (unsigned)rule->arg_count, conditions, ranged);
	for (size_t k = 0; repeated && rc == 0 && k < rule->arg_count; k++)
		rc = add_one(b, action, name, 1, &conditions[k], ranged);
	free(conditions);
	return rc;
}

static int set_attributes(struct build *b, scmp_filter_ctx ctx);

/* A context for the arches of one group, which leave ctx. NULL when the group is empty. */
static int split_group(struct build *b, uint32_t default_action, unsigned group, scmp_filter_ctx *out)
{
	bool any = false;
	for (size_t a = 0; a < b->arch_count; a++)
		any |= (unsigned)b->arch_group[a] == group;
	if (!any)
		return 0;
	*out = seccomp_init(default_action);
	if (!*out) {
		usher_err("%s: seccomp_init failed (default action %#x)", b->origin, default_action);
		return -1;
	}
	int rc = set_attributes(b, *out);
	/* seccomp_init() gave it the running arch: keep it only if it is in the group. */
	bool keep_running = false;
	for (size_t a = 0; rc == 0 && a < b->arch_count; a++) {
		if ((unsigned)b->arch_group[a] != group)
			continue;
		keep_running |= b->arches[a] == seccomp_arch_native();
		if (b->arches[a] != seccomp_arch_native())
			rc = seccomp_arch_add(*out, b->arches[a]);
		if (rc == 0 && seccomp_arch_exist(b->ctx, b->arches[a]) == 0)
			rc = seccomp_arch_remove(b->ctx, b->arches[a]);
	}
	if (rc == 0 && !keep_running)
		rc = seccomp_arch_remove(*out, SCMP_ARCH_NATIVE);
	if (rc < 0) {
		usher_err("%s: a filter for the compat architectures: %s", b->origin, strerror(-rc));
		return -1;
	}
	return 0;
}

/* Ranges for the native arch when it has no syscall multiplexers (x86_64, aarch64), for x32
 * beside x86_64, and for x86 beside x86_64 in a context of its own: the names it multiplexes
 * (socket and IPC calls, which libseccomp turns into socketcall/ipc rules too) resolve to
 * pseudo numbers there and stay with libseccomp. Any other arch moves to a context that keeps
 * every rule. Names some applied rule gives conditions or another action are never ranged. */
static int plan_ranges(struct build *b, const struct sbx_profile *profile, const struct sbx_build_options *options,
                       uint32_t default_action)
{
	uint32_t native = b->arches[0];
	b->ranged = !options->plain && default_action != SCMP_ACT_ALLOW &&
	            (native == SCMP_ARCH_X86_64 || native == SCMP_ARCH_AARCH64);
	size_t names = 0;
	for (size_t r = 0; b->ranged && r < profile->rule_count; r++)
		names += profile->rules[r].name_count;
	if (!b->ranged || names == 0)
		return 0;
	for (size_t a = 0; a < b->arch_count; a++) {
		bool with_x86_64 = native == SCMP_ARCH_X86_64;
		b->arch_group[a] = a == 0 || (with_x86_64 && b->arches[a] == SCMP_ARCH_X32) ? RANGED
		                 : with_x86_64 && b->arches[a] == SCMP_ARCH_X86 ? RANGED_X86 : UNRANGED;
	}
	if (split_group(b, default_action, RANGED_X86, &b->x86) < 0 ||
	    split_group(b, default_action, UNRANGED, &b->full) < 0)
		return -1;
	b->outright = malloc(names * 2 * sizeof *b->outright); /* x86_64's and x32's */
	b->outright_x86 = malloc(names * sizeof *b->outright_x86);
	b->conditional = malloc(names * sizeof *b->conditional);
	if (!b->outright || !b->outright_x86 || !b->conditional) {
		usher_err("%s: out of memory", b->origin);
		return -1;
	}
	for (size_t r = 0; r < profile->rule_count; r++) {
		const struct sbx_rule *rule = &profile->rules[r];
		if (sbx_rule_applies(rule, options) && (rule->arg_count > 0 || rule->action != SCMP_ACT_ALLOW))
			for (size_t n = 0; n < rule->name_count; n++)
				b->conditional[b->conditional_count++] = rule->names[n];
	}
	return 0;
}

/* Which contexts the rule's name went to a range block from, instead of libseccomp (IN_*). */
static unsigned to_ranges(struct build *b, const struct sbx_rule *rule, const char *name)
{
	if (!b->ranged || rule->arg_count > 0 || rule->action != SCMP_ACT_ALLOW)
		return 0;
	for (size_t k = 0; k < b->conditional_count; k++)
		if (strcmp(b->conditional[k], name) == 0)
			return 0;
	unsigned ranged = 0;
	for (size_t a = 0; a < b->arch_count; a++) {
		if (b->arch_group[a] == UNRANGED)
			continue;
		int nr = seccomp_syscall_resolve_name_arch(b->arches[a], name);
		if (nr < 0)
			continue; /* not on this arch, or multiplexed (x86): libseccomp decides */
		if (b->arch_group[a] == RANGED) {
			b->outright[b->outright_count++] = (uint32_t)nr;
			ranged |= IN_CTX;
		} else {
			b->outright_x86[b->outright_x86_count++] = (uint32_t)nr;
			ranged |= IN_X86;
		}
	}
	return ranged;
}

static int add_rules(struct build *b, const struct sbx_profile *profile, const struct sbx_build_options *options,
                     uint32_t default_action)
{
	if (plan_ranges(b, profile, options, default_action) < 0)
		return -1;
	for (size_t r = 0; r < profile->rule_count; r++) {
		const struct sbx_rule *rule = &profile->rules[r];
		if (!sbx_rule_applies(rule, options))
			continue;
		for (size_t n = 0; n < rule->name_count; n++) {
			const char *name = rule->names[n];
			b->names_exit |= strcmp(name, "exit") == 0;
			b->names_exit_group |= strcmp(name, "exit_group") == 0;
			if (!note_syscall(b, name)) {
				/* The built-in profile names 32-bit and newer syscalls on purpose, as Docker's does. */
				const char *also = b->arch_count > 1 ? " or its compat arches" : "";
				if (options->quiet)
					usher_debug("%s: \"%s\" is not a syscall on %s%s, skipped", b->origin, name, sbx_native_go_name(), also);
				else
					usher_info("%s: \"%s\" is not a syscall on %s%s, skipped", b->origin, name, sbx_native_go_name(), also);
				continue;
			}
			/* libseccomp refuses a rule whose action is the default one; it changes nothing. */
			if (rule->action == default_action)
				continue;
			if (add_rule(b, rule, rule->action, name, to_ranges(b, rule, name)) < 0)
				return -1;
		}
	}
	return 0;
}

/* A process whose profile refuses exit and exit_group cannot end: libc retries exit forever
 * (musl's _Exit loops), so a workload whose execve was refused would spin. Unless the profile
 * says otherwise about them, both are allowed. */
static int allow_exit(struct build *b, uint32_t default_action)
{
	if (default_action == SCMP_ACT_ALLOW)
		return 0;
	if (!b->names_exit && note_syscall(b, "exit") && add_one(b, SCMP_ACT_ALLOW, "exit", 0, NULL, 0) < 0)
		return -1;
	if (!b->names_exit_group && note_syscall(b, "exit_group") &&
	    add_one(b, SCMP_ACT_ALLOW, "exit_group", 0, NULL, 0) < 0)
		return -1;
	return 0;
}

static int export_bpf(struct build *b, struct sock_filter **insns, size_t *len)
{
	int fd = memfd_create("usher-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		usher_err("%s: memfd_create: %s", b->origin, strerror(errno));
		return -1;
	}
	int rc = seccomp_export_bpf(b->ctx, fd);
	off_t size = rc < 0 ? -1 : lseek(fd, 0, SEEK_CUR);
	if (rc < 0 || size <= 0 || size % (off_t)sizeof **insns != 0) {
		usher_err("%s: exporting the filter: %s", b->origin, rc < 0 ? strerror(-rc) : "odd size");
		close(fd);
		return -1;
	}
	*insns = malloc((size_t)size);
	ssize_t got = *insns ? pread(fd, *insns, (size_t)size, 0) : -1;
	int saved = errno;
	close(fd);
	if (got != size) {
		usher_err("%s: reading the exported filter: %s", b->origin, got < 0 ? strerror(saved) : "short read");
		free(*insns);
		*insns = NULL;
		return -1;
	}
	*len = (size_t)size / sizeof **insns;
	return 0;
}

/* runc's idea (patchbpf): syscalls numbered above every syscall the profile names are newer
 * than the profile, so they say ENOSYS and libc falls back to an older call, instead of the
 * default errno. The stub goes in front; libseccomp's program reloads what it needs. */
static size_t write_stub(const struct build *b, struct sock_filter *stub)
{
	size_t n = 0;
	stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	for (size_t a = 0; a < b->arch_count; a++) {
		/* x32 shares x86_64's audit arch: its numbers are told apart by X32_SYSCALL_BIT. */
		if (b->max_nr[a] < 0 || b->arches[a] == SCMP_ARCH_X32)
			continue;
		bool x86_64 = b->arches[a] == SCMP_ARCH_X86_64;
		unsigned char block = x86_64 ? 5 : 4;
		stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b->arches[a], 0, block - 1);
		stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
		if (x86_64)
			stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0xff, 0);
		stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (unsigned)b->max_nr[a], 0, 0xff);
		stub[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	}
	/* 0xff marks "to the end of the stub": now that its length is known, point them there. */
	for (size_t k = 0; k < n; k++) {
		if (BPF_CLASS(stub[k].code) != BPF_JMP)
			continue;
		if (stub[k].jt == 0xff)
			stub[k].jt = (unsigned char)(n - k - 1);
		if (stub[k].jf == 0xff)
			stub[k].jf = (unsigned char)(n - k - 1);
	}
	return n;
}

static bool needs_enosys_stub(uint32_t default_action)
{
	/* Only an errno default is turned into ENOSYS, a better errno: with ALLOW or LOG nothing
	 * is refused, and a KILL or TRAP default is kept as the profile says. */
	return (default_action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO;
}

static int finish(struct build *b, uint32_t default_action, unsigned load_flags, struct sbx_bpf *bpf)
{
	struct sock_filter *program = NULL;
	size_t program_len = 0;
	scmp_filter_ctx *others[] = { &b->x86, &b->full };
	for (size_t k = 0; k < 2; k++) { /* one program again: libseccomp dispatches on the arch */
		int rc = *others[k] ? seccomp_merge(b->ctx, *others[k]) : 0;
		if (rc < 0) {
			usher_err("%s: merging the architectures' filters: %s", b->origin, strerror(-rc));
			return -1;
		}
		*others[k] = NULL; /* merge released it */
	}
	if (export_bpf(b, &program, &program_len) < 0)
		return -1;
	struct sock_filter stub[1 + 5 * MAX_ARCHES + 2 * (5 + 2 * SBX_MAX_RANGES)];
	size_t stub_len = needs_enosys_stub(default_action) ? write_stub(b, stub) : 0;
	if (stub_len == 1)
		stub_len = 0; /* no arch had a known syscall: no stub */
	/* After the ENOSYS stub (every outright number is at most the highest named one). */
	uint32_t audit = b->arches[0] == SCMP_ARCH_X86_64 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;
	size_t ranges = b->ranged ? sbx_ranges_write(audit, b->outright, b->outright_count, stub + stub_len) : 0;
	size_t ranges_x86 = b->ranged ? sbx_ranges_write(AUDIT_ARCH_I386, b->outright_x86, b->outright_x86_count,
	                                                  stub + stub_len + ranges) : 0;
	if (b->ranged && ((b->outright_count > 0 && ranges == 0) || (b->outright_x86_count > 0 && ranges_x86 == 0))) {
		free(program);
		return -2; /* too scattered for the block: the caller builds it plain */
	}
	stub_len += ranges + ranges_x86;
	size_t total = stub_len + program_len;
	if (total > BPF_MAXINSNS) {
		usher_err("%s: the filter has %zu instructions; the kernel takes at most %d", b->origin, total, BPF_MAXINSNS);
		free(program);
		return -1;
	}
	bpf->insns = malloc(total * sizeof *bpf->insns);
	if (!bpf->insns) {
		usher_err("%s: out of memory", b->origin);
		free(program);
		return -1;
	}
	memcpy(bpf->insns, stub, stub_len * sizeof *stub);
	memcpy(bpf->insns + stub_len, program, program_len * sizeof *program);
	free(program);
	bpf->len = (unsigned short)total;
	bpf->load_flags = load_flags;
	memcpy(bpf->arches, b->arches, sizeof bpf->arches);
	bpf->arch_count = (unsigned)b->arch_count;
	return 0;
}

static int set_attributes(struct build *b, scmp_filter_ctx ctx)
{
	static const struct {
		enum scmp_filter_attr attr;
		uint32_t value;
	} attributes[] = {
		{ SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS }, /* other arches: killed */
		{ SCMP_FLTATR_CTL_NNP, 0 },      /* usher loads the BPF itself */
		{ SCMP_FLTATR_API_SYSRAWRC, 1 }, /* real errnos in messages */
	};
	for (size_t k = 0; k < sizeof attributes / sizeof attributes[0]; k++) {
		int rc = seccomp_attr_set(ctx, attributes[k].attr, attributes[k].value);
		if (rc < 0) {
			usher_err("%s: seccomp_attr_set(%d): %s", b->origin, attributes[k].attr, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int sbx_profile_compile(const struct sbx_profile *profile, const struct sbx_build_options *options,
                        const char *origin, struct sbx_bpf *bpf)
{
	memset(bpf, 0, sizeof *bpf);
	uint32_t default_action = options->log_default ? SCMP_ACT_LOG : profile->default_action;
	struct build b = { .origin = origin };
	b.ctx = seccomp_init(default_action);
	if (!b.ctx) {
		usher_err("%s: seccomp_init failed (default action %#x)", origin, default_action);
		return -1;
	}
	int rc = set_attributes(&b, b.ctx);
	if (rc == 0)
		rc = add_arches(&b, profile, options);
	if (rc == 0)
		rc = add_rules(&b, profile, options, default_action);
	if (rc == 0)
		rc = allow_exit(&b, default_action);
	/* The binary tree (O(log n) per syscall); libseccomp 2.5 misbehaves with it and no rules. */
	if (rc == 0 && b.rules_added > 0) {
		int attr_rc = seccomp_attr_set(b.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		if (attr_rc == 0 && b.x86)
			attr_rc = seccomp_attr_set(b.x86, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		if (attr_rc == 0 && b.full)
			attr_rc = seccomp_attr_set(b.full, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		if (attr_rc < 0) {
			usher_err("%s: binary tree optimisation: %s", origin, strerror(-attr_rc));
			rc = -1;
		}
	}
	if (rc == 0)
		rc = finish(&b, default_action, profile->load_flags, bpf);
	seccomp_release(b.ctx);
	if (b.x86)
		seccomp_release(b.x86);
	if (b.full)
		seccomp_release(b.full);
	free(b.outright);
	free(b.outright_x86);
	free(b.conditional);
	if (rc == -2) {
		struct sbx_build_options plain = *options;
		plain.plain = true;
		return sbx_profile_compile(profile, &plain, origin, bpf);
	}
	return rc;
}
