#!/usr/bin/env bash
# build/setup.sh — installs the Debian packages usher needs and builds libseccomp and libcap-ng
# static against musl into _build/deps/prefix (cached by a stamp keyed by the source versions).
#
# Idempotent and quick when nothing is missing: one dpkg-query and one stamp comparison.
# Safe from any cwd. Needs root (or sudo) only when something must be installed.
#   build/setup.sh                 everything: release, ASan build, tests and benchmarks
#   build/setup.sh --release-only  only what build/compile.sh release needs (e.g. a Docker builder)
# Environment: USHER_SETUP_JOBS (parallel make jobs, default: nproc).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
jobs=${USHER_SETUP_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Bump when the way the static libraries are built changes: forces a rebuild.
RECIPE=5
# Flags for the musl build of the dependencies: the same size flags as usher's static build
# (meson.build). Without unwind tables the release binary is 4,096 bytes smaller.
DEPS_CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables"

# Every Debian package the project uses. The release build: musl, meson, and what makes the
# static libraries from Debian's sources (gperf for libseccomp, dpkg-dev for apt-get source and
# dpkg-source, make); the -dev packages give the source versions and jsmn.h.
PACKAGES=(
	gcc make libc6-dev musl-tools musl-dev gperf meson ninja-build pkg-config dpkg-dev
	libseccomp-dev libcap-ng-dev libjsmn-dev
)
# The ASan/UBSan build (clang 14 and its sanitizer runtime), the tests (python3 runs tap-run.py,
# unshare, ps) and the benchmarks (other inits to compare with, runc, hyperfine, strace, ip).
FULL_PACKAGES=(
	clang libclang-rt-14-dev
	python3 util-linux procps
	tini dumb-init catatonit runc hyperfine strace iproute2
)
case "${1:-}" in
	"") PACKAGES+=("${FULL_PACKAGES[@]}") ;;
	--release-only) ;;
	*) die "usage: build/setup.sh [--release-only]" ;;
esac
# The Debian source packages built static against musl, keyed to the installed -dev package so
# the headers of the release build and the ASan build are the same version.
SOURCES=(libseccomp:libseccomp-dev libcap-ng:libcap-ng-dev)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "packages: '$*' needs root and sudo is not installed"
	fi
}

apt_updated=0
apt_update() {
	[ "$apt_updated" -eq 0 ] || return 0
	say "packages: apt-get update"
	as_root apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null || die "packages: apt-get update failed (network or apt sources?)"
	apt_updated=1
}

# --- 1. Debian packages -------------------------------------------------------------------
missing_packages() {
	local p st
	for p in "${PACKAGES[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
		case "$st" in ii*) ;; *) printf '%s\n' "$p" ;; esac
	done
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -gt 0 ] || return 0
	say "packages: installing ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" \
		|| die "packages: apt-get install ${missing[*]} failed"
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] || die "packages: still not installed after apt-get install: ${missing[*]}"
}

# --- 2. Static libseccomp and libcap-ng against musl -----------------------------------------
# Sets src_ver[SRC] from the installed -dev package's source version, and key (the stamp).
declare -A src_ver
key=""
source_key() {
	local entry src bin ver
	for entry in "${SOURCES[@]}"; do
		src=${entry%%:*} bin=${entry#*:}
		ver=$(dpkg-query -W -f='${source:Version}' "$bin" 2>/dev/null) \
			|| die "deps: cannot read the version of $bin (is it installed?)"
		[ -n "$ver" ] || die "deps: $bin has no source version"
		src_ver[$src]=$ver
		key+="$src=$ver "
	done
	key+="recipe=$RECIPE cflags=$DEPS_CFLAGS prefix=$prefix"
}

deps_ok() {
	[ -f "$deps/stamp" ] && [ "$(cat "$deps/stamp")" = "$key" ] \
		&& [ -f "$prefix/lib/libseccomp.a" ] && [ -f "$prefix/lib/libcap-ng.a" ] \
		&& [ -f "$prefix/lib/pkgconfig/libseccomp.pc" ] && [ -f "$prefix/lib/pkgconfig/libcap-ng.pc" ] \
		&& [ -e "$prefix/include/jsmn.h" ]
}

has_deb_src() {
	grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}

# apt-get source needs a deb-src entry: add one made from Debian's own deb822 file (or from the
# "deb" lines of a one-line-style sources.list).
ensure_deb_src() {
	has_deb_src && return 0
	local d=/etc/apt/sources.list.d to
	if [ -f "$d/debian.sources" ]; then
		to="$d/usher-deb-src.sources"
		say "deps: adding $to (deb-src, needed by apt-get source)"
		sed -E 's/^Types:.*/Types: deb-src/' "$d/debian.sources" | as_root tee "$to" >/dev/null \
			|| die "deps: cannot write $to"
	elif grep -qsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
		to="$d/usher-deb-src.list"
		say "deps: adding $to (deb-src, needed by apt-get source)"
		sed -nE 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list | as_root tee "$to" >/dev/null \
			|| die "deps: cannot write $to"
	else
		die "deps: no deb-src entry, and neither $d/debian.sources nor /etc/apt/sources.list to make one from: add a deb-src entry for Debian"
	fi
	apt_updated=0
	apt_update
}

# As root, apt drops to user _apt to download, which cannot write into a 0700 home or work tree.
apt_src_opts=()
[ "$(id -u)" -ne 0 ] || apt_src_opts=(-o APT::Sandbox::User=root)

# fetch_source SRC — downloads (once) and unpacks SRC at src_ver[SRC]; sets tree.
tree=""
fetch_source() {
	local src=$1 ver=${src_ver[$1]} dl="$deps/src" upver dsc
	upver=${ver#*:} ; dsc="$dl/${src}_${upver}.dsc" tree="$dl/$src-$upver"
	mkdir -p "$dl" || die "deps: cannot create $dl"
	if [ ! -f "$dsc" ]; then
		ensure_deb_src
		say "deps: apt-get source $src=$ver"
		if ! (cd "$dl" && apt-get source -q --download-only "${apt_src_opts[@]}" "$src=$ver" >/dev/null); then
			# The lists may predate the deb-src entry or the version: refresh once and retry.
			apt_updated=0
			apt_update
			(cd "$dl" && apt-get source -q --download-only "${apt_src_opts[@]}" "$src=$ver" >/dev/null) \
				|| die "deps: apt-get source $src=$ver failed: the version must match the installed -dev package; if Debian has a newer one, 'apt-get install --only-upgrade libseccomp-dev libcap-ng-dev' and re-run (or: deb-src entry? network?)"
		fi
		[ -f "$dsc" ] || die "deps: apt-get source did not leave $dsc"
	fi
	rm -rf "$tree" || die "deps: cannot remove the old $tree"
	(cd "$dl" && dpkg-source -x "$dsc" "$tree" >"$deps/logs/$src-unpack.log" 2>&1) \
		|| die "deps: dpkg-source -x $dsc failed (see $deps/logs/$src-unpack.log)"
}

# musl-gcc hides /usr/include; both libraries (and usher) need the kernel's linux/ and asm/ headers.
kernel_headers() {
	local kh="$deps/kernel-headers" multiarch
	multiarch=$(gcc -print-multiarch) || die "deps: gcc -print-multiarch failed"
	[ -d "/usr/include/$multiarch/asm" ] || die "deps: /usr/include/$multiarch/asm missing (package linux-libc-dev)"
	[ -d /usr/include/linux ] || die "deps: /usr/include/linux missing (package linux-libc-dev)"
	[ -d /usr/include/asm-generic ] || die "deps: /usr/include/asm-generic missing (package linux-libc-dev)"
	mkdir -p "$kh" || die "deps: cannot create $kh"
	{ ln -sfn /usr/include/linux "$kh/linux" && ln -sfn /usr/include/asm-generic "$kh/asm-generic" \
		&& ln -sfn "/usr/include/$multiarch/asm" "$kh/asm"; } || die "deps: cannot make the symlinks in $kh"
}

# build_autotools TREE LOG CONFIGURE-ARGS... — configure/make/install one library into $prefix
build_autotools() {
	local tree=$1 log=$2 ; shift 2
	(
		cd "$tree"
		export CC=musl-gcc CFLAGS="$DEPS_CFLAGS -idirafter $deps/kernel-headers"
		./configure --prefix="$prefix" --enable-static --disable-shared "$@"
	) >"$log" 2>&1 || die "deps: configure failed in $tree (see $log)"
}

# narrow_syscall_table TREE — libseccomp keeps one row per syscall name with an int for each
# of its 15 architectures (33 KiB, an eighth of usher). Every number in it fits a short
# (the largest is mips64n32's ~6450, the smallest __PNR_* -10245), so the row becomes
# shorts and the one accessor reads a short: half the size, the same answers. Checked
# against the CSV the table is generated from before anything is changed.
narrow_syscall_table() {
	local tree=$1 csv="$1/src/syscalls.csv" header="$1/src/syscalls.h" tmpl="$1/src/syscalls.perf.template"
	# ARM's six private calls (0xf0000 + n: breakpoint, cacheflush, usr26, usr32, set_tls,
	# get_tls) are the only numbers past a short; usher filters x86-64 and its compat
	# arches, so they become "not on this arch" for 32-bit ARM.
	sed -i -E 's/^(breakpoint|cacheflush|usr26|usr32|set_tls|get_tls),([^,]*),([^,]*),([^,]*),98304[0-9],/\1,\2,\3,\4,PNR,/' "$csv" \
		|| die "deps: cannot edit $csv"
	awk -F, '!/^#/ { for (i = 2; i <= NF; i++) if ($i != "PNR" && ($i + 0 > 32767 || $i + 0 < -32768)) bad = bad " " $1 }
		END { if (bad) { print "syscall numbers beyond a short:" bad; exit 1 } }' "$csv" \
		|| die "deps: libseccomp's syscall table cannot be narrowed"
	grep -q 'return \*(int \*)((char \*)s + offset);' "$tmpl" \
		|| die "deps: $tmpl changed: review narrow_syscall_table"
	sed -i '/^struct arch_syscall_table {/,/^};/ s/^\tint /\tshort /' "$header" \
		&& sed -i 's/return \*(int \*)((char \*)s + offset);/return *(short *)((char *)s + offset);/' "$tmpl" \
		|| die "deps: cannot patch $tree"
	[ "$(sed -n '/^struct arch_syscall_table {/,/^};/p' "$header" | grep -c '^.short ')" -eq 17 ] \
		|| die "deps: $header: expected 17 short fields after narrowing"
}

# only_our_arches TREE — after narrowing, the table still has a column for each of libseccomp's
# 15 architectures. usher builds filters for x86-64 (with x86 and x32) and aarch64 (with arm)
# only, so the other ten columns go: their arches keep their names but resolve no syscall,
# and a filter for one of them fails to build (usher says so) instead of being wrong. -9 KiB.
OUR_ARCHES="x86 x86_64 x32 arm aarch64"
only_our_arches() {
	local tree=$1 csv="$1/src/syscalls.csv" header="$1/src/syscalls.h" archh="$1/src/arch.h" a f
	head -1 "$csv" | grep -q ',x86,x86_64,x32,arm,aarch64,mips,mips64,mips64n32,parisc,parisc64,ppc,ppc64,riscv64,s390,s390x$' \
		&& grep -q '^#define ARCH_DEF(NAME) \\$' "$archh" \
		|| die "deps: $csv or $archh changed: review only_our_arches"
	cut -d, -f1-6 "$csv" >"$csv.ours" && mv "$csv.ours" "$csv" || die "deps: cannot cut $csv"
	for a in mips mips64 mips64n32 parisc parisc64 ppc ppc64 riscv64 s390 s390x; do
		f="$tree/src/arch-$a.c"
		grep -q "^ARCH_DEF($a)\$" "$f" || die "deps: $f changed: review only_our_arches"
		sed -i "/^struct arch_syscall_table {/,/^};/ { /^\tshort $a;\$/d }" "$header" \
			&& sed -i "s/^ARCH_DEF($a)\$/ARCH_DEF_ABSENT($a)/" "$f" || die "deps: cannot patch $f"
	done
	cat >>"$archh" <<-'EOF2'

	/* usher: an architecture whose column was dropped from the syscall table. */
	#define ARCH_DEF_ABSENT(NAME) \
		int NAME##_syscall_resolve_name(const char *name) \
		{ \
			(void)name; \
			return __NR_SCMP_ERROR; \
		} \
		const char *NAME##_syscall_resolve_num(int num) \
		{ \
			(void)num; \
			return NULL; \
		} \
		const struct arch_syscall_def *NAME##_syscall_iterate(unsigned int spot) \
		{ \
			(void)spot; \
			return NULL; \
		}
	EOF2
	[ "$(sed -n '/^struct arch_syscall_table {/,/^};/p' "$header" | grep -c '^.short ')" -eq 7 ] \
		|| die "deps: $header: expected 7 short fields after dropping the other arches"
}

# lazy_capng_init TREE — libcap-ng probes the kernel in a constructor (a /proc file and
# four prctl calls) in every program that links it, before main. Its own init(), which
# every entry point calls first ("so static libs get initialized"), runs the same probe on
# first use; without the constructor usher pays for it only when it has a sandbox to set up.
lazy_capng_init() {
	local file="$1/src/cap-ng.c"
	grep -q '^static void init_lib(void) __attribute__ ((constructor));$' "$file" \
		&& grep -q '^	init_lib();$' "$file" \
		|| die "deps: $file changed: review lazy_capng_init"
	sed -i 's/^static void init_lib(void) __attribute__ ((constructor));$/static void init_lib(void);/' "$file" \
		|| die "deps: cannot patch $file"
}

# slim_capng TREE — two things in libcap-ng pull 20 KiB of musl into usher for nothing: two
# sscanf calls (vfscanf and the float scanner) that read the hex of a "CapBnd:"/"CapAmb:" line,
# and one syslog() warning (syslog's socket code, strftime and the time-zone code) that in a
# container reaches no syslogd. The sscanf calls become a small hex reader with the same
# result (8 hex digits into each half, stopping at the first that is not one); the warning is
# dropped: usher checks every capng_apply() result and reports it itself.
slim_capng() {
	local file="$1/src/cap-ng.c"
	[ "$(grep -c 'sscanf(buf, "Cap\(Bnd\|Amb\):  %08x%08x",$' "$file")" -eq 2 ] \
		&& grep -q '^		syslog(LOG_ERR, "libcap-ng used by %s failed %s in capng_apply",$' "$file" \
		&& grep -q '^#include <byteswap.h>$' "$file" \
		|| die "deps: $file changed: review slim_capng"
	perl -0pi -e '
		s{sscanf\(buf, "Cap(Bnd|Amb):  %08x%08x",\s*&m\.(\w+)\[1\], &m\.\w+\[0\]\);}{usher_hex_halves(buf, &m.$2\[1\], &m.$2\[0\]);}g;
		s{syslog\(LOG_ERR, "libcap-ng used by %s failed %s in capng_apply",\s*get_exename\(exe, 2047\), text\[idx\]\);}{(void)exe; (void)text; (void)get_exename;};
		s{(#include <byteswap.h>\n)}{$1
/* usher: the two 8-digit hex halves after the colon of a /proc status line, as
 * sscanf("%08x%08x") reads them, without pulling in the scanf machinery. */
static void usher_hex_halves(const char *line, unsigned *hi, unsigned *lo)
{
	const char *p = strchr(line, \x27:\x27);
	unsigned *half[2] = { hi, lo };
	if (!p)
		return;
	for (p++; *p == \x27 \x27 || *p == \x27\\t\x27; p++)
		;
	for (int h = 0; h < 2; h++) {
		unsigned v = 0;
		int n = 0;
		for (; n < 8; n++, p++) {
			int d = *p >= \x270\x27 && *p <= \x279\x27 ? *p - \x270\x27
				: *p >= \x27a\x27 && *p <= \x27f\x27 ? *p - \x27a\x27 + 10
				: *p >= \x27A\x27 && *p <= \x27F\x27 ? *p - \x27A\x27 + 10 : -1;
			if (d < 0)
				break;
			v = v << 4 | (unsigned)d;
		}
		if (n == 0)
			return;
		*half[h] = v;
	}
}
};
	' "$file" || die "deps: cannot patch $file"
	grep -q 'sscanf(buf\|syslog(LOG' "$file" && die "deps: $file: slim_capng left a sscanf or syslog call"
	return 0
}

build_deps() {
	local log
	say "deps: building libseccomp and libcap-ng static with musl ($key)"
	kernel_headers
	rm -rf "$prefix" "$deps/stamp" || die "deps: cannot clear $prefix"
	mkdir -p "$prefix/include" "$prefix/lib" "$deps/logs" || die "deps: cannot create $prefix"

	fetch_source libseccomp
	narrow_syscall_table "$tree"
	only_our_arches "$tree"
	log="$deps/logs/libseccomp.log"
	say "deps: building libseccomp (log: $log)"
	build_autotools "$tree" "$log"
	{ make -C "$tree/src" -j"$jobs" && make -C "$tree/src" install \
		&& make -C "$tree/include" install && make -C "$tree" install-pkgconfDATA; } >>"$log" 2>&1 \
		|| die "deps: libseccomp make failed (see $log)"

	fetch_source libcap-ng
	lazy_capng_init "$tree"
	slim_capng "$tree"
	log="$deps/logs/libcap-ng.log"
	say "deps: building libcap-ng (log: $log)"
	build_autotools "$tree" "$log" --without-python --without-python3
	{ make -C "$tree/src" -j"$jobs" && make -C "$tree/src" install; } >>"$log" 2>&1 \
		|| die "deps: libcap-ng make failed (see $log)"

	[ -f /usr/include/jsmn.h ] || die "deps: /usr/include/jsmn.h missing (package libjsmn-dev)"
	ln -sfn /usr/include/jsmn.h "$prefix/include/jsmn.h" || die "deps: cannot link jsmn.h into $prefix/include"

	local f
	for f in lib/libseccomp.a lib/libcap-ng.a lib/pkgconfig/libseccomp.pc lib/pkgconfig/libcap-ng.pc \
		include/seccomp.h include/cap-ng.h; do
		[ -f "$prefix/$f" ] || die "deps: $prefix/$f missing after the build"
	done
	printf '%s' "$key" >"$deps/stamp" || die "deps: cannot write $deps/stamp"
	say "deps: done: $(stat -c '%n %s bytes' "$prefix/lib/libseccomp.a" "$prefix/lib/libcap-ng.a" | tr '\n' ' ')"
}

command -v dpkg-query >/dev/null 2>&1 || die "packages: dpkg-query not found: this script is for Debian (bookworm)"
# Engineers share one checkout: one setup at a time (apt and the deps build would collide).
mkdir -p "$deps" || die "setup: cannot create $deps"
exec 9>"$deps/.lock" || die "setup: cannot open $deps/.lock"
flock -n 9 || { say "setup: waiting for another build/setup.sh to finish"; flock 9; }
install_packages
source_key
if deps_ok; then
	say "deps: up to date in $prefix ($key)"
else
	build_deps
fi
