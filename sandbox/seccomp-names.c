/* sandbox/seccomp-names.c — the names a seccomp profile and usher's compiled filters use:
 * capabilities (CAP_SYS_ADMIN <-> 21), architectures (SCMP_ARCH_X86_64), kernel versions. */
#include "seccomp-internal.h"

#include <linux/capability.h>
#include <seccomp.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

static const struct {
	const char *name;
	int value;
} capabilities[] = {
	{ "CHOWN", CAP_CHOWN }, { "DAC_OVERRIDE", CAP_DAC_OVERRIDE },
	{ "DAC_READ_SEARCH", CAP_DAC_READ_SEARCH }, { "FOWNER", CAP_FOWNER },
	{ "FSETID", CAP_FSETID }, { "KILL", CAP_KILL }, { "SETGID", CAP_SETGID },
	{ "SETUID", CAP_SETUID }, { "SETPCAP", CAP_SETPCAP },
	{ "LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE }, { "NET_BIND_SERVICE", CAP_NET_BIND_SERVICE },
	{ "NET_BROADCAST", CAP_NET_BROADCAST }, { "NET_ADMIN", CAP_NET_ADMIN },
	{ "NET_RAW", CAP_NET_RAW }, { "IPC_LOCK", CAP_IPC_LOCK }, { "IPC_OWNER", CAP_IPC_OWNER },
	{ "SYS_MODULE", CAP_SYS_MODULE }, { "SYS_RAWIO", CAP_SYS_RAWIO },
	{ "SYS_CHROOT", CAP_SYS_CHROOT }, { "SYS_PTRACE", CAP_SYS_PTRACE },
	{ "SYS_PACCT", CAP_SYS_PACCT }, { "SYS_ADMIN", CAP_SYS_ADMIN }, { "SYS_BOOT", CAP_SYS_BOOT },
	{ "SYS_NICE", CAP_SYS_NICE }, { "SYS_RESOURCE", CAP_SYS_RESOURCE },
	{ "SYS_TIME", CAP_SYS_TIME }, { "SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG },
	{ "MKNOD", CAP_MKNOD }, { "LEASE", CAP_LEASE }, { "AUDIT_WRITE", CAP_AUDIT_WRITE },
	{ "AUDIT_CONTROL", CAP_AUDIT_CONTROL }, { "SETFCAP", CAP_SETFCAP },
	{ "MAC_OVERRIDE", CAP_MAC_OVERRIDE }, { "MAC_ADMIN", CAP_MAC_ADMIN },
	{ "SYSLOG", CAP_SYSLOG }, { "WAKE_ALARM", CAP_WAKE_ALARM },
	{ "BLOCK_SUSPEND", CAP_BLOCK_SUSPEND }, { "AUDIT_READ", CAP_AUDIT_READ },
	{ "PERFMON", 38 }, { "BPF", 39 }, { "CHECKPOINT_RESTORE", 40 },
};

int sbx_cap_from_name(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) != 0)
		return -1;
	for (size_t k = 0; k < sizeof capabilities / sizeof capabilities[0]; k++)
		if (strcasecmp(name + 4, capabilities[k].name) == 0)
			return capabilities[k].value;
	return -1;
}

const char *sbx_cap_name(int cap)
{
	for (size_t k = 0; k < sizeof capabilities / sizeof capabilities[0]; k++)
		if (capabilities[k].value == cap)
			return capabilities[k].name;
	return NULL;
}

/* "6.18.44-foo" -> major 6, minor 18, *rest at ".44-foo". No sscanf: it would pull
 * musl's whole scanf and float parser into a binary that counts its kilobytes. */
bool sbx_kernel_version(const char *text, unsigned *major, unsigned *minor, const char **rest)
{
	unsigned parts[2] = { 0, 0 };
	const char *p = text;
	for (int part = 0; part < 2; part++) {
		if (part == 1 && *p++ != '.')
			return false;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++) {
			parts[part] = parts[part] * 10 + (unsigned)(*p - '0');
			if (parts[part] >= 0x10000)
				return false;
		}
	}
	*major = parts[0];
	*minor = parts[1];
	*rest = p;
	return true;
}

unsigned sbx_running_kernel(void)
{
	struct utsname uts;
	unsigned major, minor;
	const char *rest;
	if (uname(&uts) < 0 || !sbx_kernel_version(uts.release, &major, &minor, &rest))
		return 0;
	return major << 16 | minor;
}

/* "SCMP_ARCH_X86_64" or "x86_64" → libseccomp's token; 0 if unknown. */
uint32_t sbx_arch_from_name(const char *name)
{
	char lower[64];
	if (strncmp(name, "SCMP_ARCH_", 10) == 0)
		name += 10;
	size_t len = strlen(name);
	if (len >= sizeof lower)
		return 0;
	for (size_t k = 0; k <= len; k++)
		lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] - 'A' + 'a' : name[k]);
	return seccomp_arch_resolve_name(lower);
}
