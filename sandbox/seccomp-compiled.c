/* sandbox/seccomp-compiled.c — compiled profiles (`usher seccomp compile`): a Docker/OCI profile
 * compiled once to BPF with what it was compiled for, written, read back, and matched at start. */
#include "seccomp-internal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "USHERBPF"
#define FORMAT 1

/* The file: this header, then insn_count instructions; native byte order (a file from a
 * machine of another byte order or arch fails the checksum or the arch check). */
struct header {
	char magic[8];
	uint32_t format;
	uint32_t native_arch;  /* SCMP_ARCH_* of the machine that compiled it */
	char version[16];      /* USHER_VERSION, NUL-padded */
	uint32_t arches[SBX_MAX_ARCHES]; /* every arch the filter covers, native first */
	uint32_t arch_count;
	uint32_t load_flags;   /* SECCOMP_FILTER_FLAG_* */
	uint64_t caps_mentioned; /* capabilities the profile's includes/excludes name */
	uint64_t caps;         /* of those, the ones the workload keeps */
	uint32_t kernel_low;   /* the kernels the minKernel conditions were decided for: */
	uint32_t kernel_high;  /* kernel_low <= running < kernel_high (major << 16 | minor) */
	uint64_t profile_hash; /* FNV-1a of the profile's text */
	uint32_t insn_count;
	uint32_t reserved;
	uint64_t checksum;     /* FNV-1a of the whole file with this field zero */
};

/* No padding: the layout is the file's (tests patch fields at fixed offsets). */
_Static_assert(sizeof(struct header) == 120, "struct header is the file's 120-byte header");

/* FNV-1a, 64 bits: any one changed byte changes it (each step is a bijection). */
static uint64_t fnv1a(uint64_t hash, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t k = 0; k < len; k++)
		hash = (hash ^ p[k]) * 0x100000001b3ULL;
	return hash;
}
#define FNV_START 0xcbf29ce484222325ULL

static uint64_t file_checksum(const struct header *h, const struct sock_filter *insns)
{
	struct header zeroed = *h;
	zeroed.checksum = 0;
	uint64_t sum = fnv1a(FNV_START, &zeroed, sizeof zeroed);
	return fnv1a(sum, insns, h->insn_count * sizeof *insns);
}

/* The kernels for which every minKernel of the profile is decided as it is for `kernel`. */
static void kernel_range(const struct sbx_profile *profile, unsigned kernel, uint32_t *low, uint32_t *high)
{
	*low = 0;
	*high = UINT32_MAX;
	for (size_t r = 0; r < profile->rule_count; r++) {
		const struct sbx_condition *conds[2] = { &profile->rules[r].includes, &profile->rules[r].excludes };
		for (int c = 0; c < 2; c++) {
			if (!conds[c]->has_min_kernel)
				continue;
			unsigned v = conds[c]->min_kernel;
			if (v <= kernel && v > *low)
				*low = v;
			if (v > kernel && v < *high)
				*high = v;
		}
	}
}

static int write_file(const char *path, const struct header *h, const struct sock_filter *insns)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		usher_err("%s: path too long", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		usher_err("%s: %s", tmp, strerror(errno));
		return -1;
	}
	size_t body = h->insn_count * sizeof *insns;
	bool ok = write(fd, h, sizeof *h) == (ssize_t)sizeof *h && write(fd, insns, body) == (ssize_t)body;
	int saved = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	/* Written whole or not at all: a half-written file must not be loaded. */
	if (!ok || rename(tmp, path) != 0) {
		usher_err("%s: %s", ok ? path : tmp, strerror(ok ? errno : saved));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int sbx_compiled_write(const char *json_path, const char *out_path, const struct sbx_build_options *options)
{
	size_t len;
	char *text = read_small_file(json_path, SBX_PROFILE_MAX_BYTES, &len);
	if (!text)
		return -1;
	struct sbx_profile profile;
	int rc = sbx_profile_parse(text, len, json_path, &profile);
	struct header h = { .magic = MAGIC, .format = FORMAT, .native_arch = seccomp_arch_native(),
	                    .version = USHER_VERSION, .profile_hash = fnv1a(FNV_START, text, len) };
	free(text);
	if (rc < 0)
		return -1;
	struct sbx_bpf bpf;
	rc = sbx_profile_compile(&profile, options, json_path, &bpf);
	if (rc == 0) {
		h.caps_mentioned = sbx_profile_caps_mentioned(&profile);
		h.caps = options->caps & h.caps_mentioned;
		kernel_range(&profile, options->kernel, &h.kernel_low, &h.kernel_high);
		memcpy(h.arches, bpf.arches, sizeof h.arches);
		h.arch_count = bpf.arch_count;
		h.load_flags = bpf.load_flags;
		h.insn_count = bpf.len;
		h.checksum = file_checksum(&h, bpf.insns);
		rc = write_file(out_path, &h, bpf.insns);
		if (rc == 0)
			usher_info("seccomp: %s: %u instructions for %u architecture(s), capabilities %#llx of %#llx",
			           out_path, bpf.len, bpf.arch_count, (unsigned long long)h.caps,
			           (unsigned long long)h.caps_mentioned);
		free(bpf.insns);
	}
	sbx_profile_free(&profile);
	return rc;
}

/* Reads path whole if it starts with the magic. 1: not a compiled profile (no magic). */
static int read_compiled(const char *path, unsigned char **data, size_t *size)
{
	const char *why;
	/* A file the user named: regular only, never blocking (a FIFO would hang PID 1). */
	int fd = user_file_open(path, SIZE_MAX, NULL, &why);
	if (fd < 0) {
		usher_err("%s: %s", path, why);
		return -1;
	}
	struct stat st;
	char magic[sizeof MAGIC - 1];
	ssize_t got = pread(fd, magic, sizeof magic, 0);
	if (got != (ssize_t)sizeof magic || memcmp(magic, MAGIC, sizeof magic) != 0) {
		close(fd);
		return 1;
	}
	size_t most = sizeof(struct header) + BPF_MAXINSNS * sizeof(struct sock_filter);
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(struct header) || st.st_size > (off_t)most) {
		usher_err("%s: not a compiled profile of this usher: %lld bytes (truncated or foreign)", path,
		          (long long)st.st_size);
		close(fd);
		return -1;
	}
	*size = (size_t)st.st_size;
	*data = malloc(*size);
	got = *data ? pread(fd, *data, *size, 0) : -1;
	int saved = errno;
	close(fd);
	if (got != (ssize_t)*size) {
		usher_err("%s: %s", path, got < 0 ? strerror(saved) : "short read");
		free(*data);
		return -1;
	}
	return 0;
}

int sbx_compiled_load(const char *path, struct sbx_compiled *c)
{
	memset(c, 0, sizeof *c);
	unsigned char *data;
	size_t size;
	int rc = read_compiled(path, &data, &size);
	if (rc != 0)
		return rc;
	struct header h;
	memcpy(&h, data, sizeof h);
	const char *why = NULL;
	if (size != sizeof h + (size_t)h.insn_count * sizeof(struct sock_filter))
		why = "its size does not match its header (truncated or foreign)";
	else if (h.checksum != file_checksum(&h, (const struct sock_filter *)(data + sizeof h)))
		why = "checksum mismatch (corrupted)";
	else if (h.format != FORMAT)
		why = "another format version";
	else if (h.native_arch != seccomp_arch_native())
		why = "compiled for another architecture";
	else if (h.insn_count == 0 || h.arch_count == 0 || h.arch_count > SBX_MAX_ARCHES)
		why = "no filter in it";
	if (why) {
		usher_err("%s: refused: %s", path, why);
		free(data);
		return -1;
	}
	if (strncmp(h.version, USHER_VERSION, sizeof h.version) != 0) {
		usher_err("%s: refused: compiled by usher %.16s, this is usher %s: compile it again "
		          "(usher seccomp compile)", path, h.version, USHER_VERSION);
		free(data);
		return -1;
	}
	c->insns = malloc(h.insn_count * sizeof *c->insns);
	if (!c->insns) {
		usher_err("%s: out of memory", path);
		free(data);
		return -1;
	}
	memcpy(c->insns, data + sizeof h, h.insn_count * sizeof *c->insns);
	free(data);
	memcpy(c->arches, h.arches, sizeof c->arches);
	c->arch_count = h.arch_count;
	c->len = (unsigned short)h.insn_count;
	c->load_flags = h.load_flags;
	c->caps_mentioned = h.caps_mentioned;
	c->caps = h.caps;
	c->kernel_low = h.kernel_low;
	c->kernel_high = h.kernel_high;
	c->profile_hash = h.profile_hash;
	return 0;
}

void sbx_compiled_free(struct sbx_compiled *c)
{
	free(c->insns);
	memset(c, 0, sizeof *c);
}

/* "CAP_SYS_ADMIN,CAP_SYS_PTRACE" or "none", into buf. */
static const char *cap_list(uint64_t caps, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int cap = 0; cap < 64; cap++) {
		if (!(caps >> cap & 1))
			continue;
		const char *name = sbx_cap_name(cap);
		int n = name ? snprintf(buf + used, size - used, "%sCAP_%s", used ? "," : "", name)
		             : snprintf(buf + used, size - used, "%s%d", used ? "," : "", cap);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return used ? buf : "none";
}

/* "x86_64,x86,x32" into buf (numbers for arches usher never meets on x86-64 or arm64). */
static const char *arch_list(const uint32_t *arches, size_t count, char *buf, size_t size)
{
	static const struct {
		uint32_t arch;
		const char *name;
	} names[] = { { SCMP_ARCH_X86_64, "x86_64" }, { SCMP_ARCH_X86, "x86" }, { SCMP_ARCH_X32, "x32" },
	              { SCMP_ARCH_AARCH64, "aarch64" }, { SCMP_ARCH_ARM, "arm" } };
	size_t used = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < count && used < size; k++) {
		const char *name = NULL;
		for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
			if (names[n].arch == arches[k])
				name = names[n].name;
		int w = name ? snprintf(buf + used, size - used, "%s%s", k ? "," : "", name)
		             : snprintf(buf + used, size - used, "%s%#x", k ? "," : "", arches[k]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* What --seccomp-arches asks for: the native arch plus compat, as the builder adds them. */
static size_t wanted_arches(const uint32_t *compat, size_t compat_count, uint32_t *want)
{
	size_t n = 0;
	want[n++] = seccomp_arch_native();
	for (size_t k = 0; k < compat_count && n < SBX_MAX_ARCHES; k++) {
		bool known = false;
		for (size_t a = 0; a < n; a++)
			known |= want[a] == compat[k];
		if (!known)
			want[n++] = compat[k];
	}
	return n;
}

static bool same_arches(const struct sbx_compiled *c, const uint32_t *want, size_t n)
{
	if (n != c->arch_count)
		return false;
	for (size_t a = 0; a < n; a++) {
		bool found = false;
		for (size_t b = 0; b < c->arch_count; b++)
			found |= want[a] == c->arches[b];
		if (!found)
			return false;
	}
	return true;
}

int sbx_compiled_match(const struct sbx_compiled *c, const char *origin, uint64_t workload_caps,
                       bool arches_override, const uint32_t *compat, size_t compat_count, unsigned kernel)
{
	uint64_t caps = workload_caps & c->caps_mentioned;
	if (caps != c->caps) {
		char lacks[400], adds[400];
		usher_err("%s: refused: compiled for other capabilities: this workload will lack %s and "
		          "have %s too (of those the profile names): compile it with the same --user/--cap-* "
		          "options", origin, cap_list(c->caps & ~caps, lacks, sizeof lacks),
		          cap_list(caps & ~c->caps, adds, sizeof adds));
		return -1;
	}
	uint32_t want[SBX_MAX_ARCHES];
	size_t want_count = arches_override ? wanted_arches(compat, compat_count, want) : 0;
	if (arches_override && !same_arches(c, want, want_count)) {
		char had[200], asked[200];
		usher_err("%s: refused: compiled for the architectures %s, --seccomp-arches asks for %s: "
		          "compile it with the same --seccomp-arches", origin,
		          arch_list(c->arches, c->arch_count, had, sizeof had),
		          arch_list(want, want_count, asked, sizeof asked));
		return -1;
	}
	if (kernel < c->kernel_low || kernel >= c->kernel_high) {
		usher_err("%s: refused: its minKernel rules were decided for kernels %u.%u to %u.%u, this is "
		          "%u.%u: compile it on this kernel", origin, c->kernel_low >> 16, c->kernel_low & 0xffff,
		          c->kernel_high >> 16, c->kernel_high & 0xffff, kernel >> 16, kernel & 0xffff);
		return -1;
	}
	return 0;
}
