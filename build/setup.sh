#!/usr/bin/env bash
# build/setup.sh — installs the Debian packages usher needs and builds libseccomp and libcap-ng
# static against musl into _build/deps/prefix (cached by a stamp keyed by the source versions).
#
# Idempotent and quick when nothing is missing: one dpkg-query and one stamp comparison.
# Safe from any cwd. Needs root (or sudo) only when something must be installed.
#   build/setup.sh                 everything: release (x86-64 and arm64), ASan build, tests,
#                                  benchmarks, and the container engine (build/setup-engine.sh)
#   build/setup.sh --release-only [ARCH]  only what one release build needs (a Docker builder):
#                                  ARCH amd64 (default: build/compile.sh amd64) or arm64
#                                  (cross-compiled: build/compile.sh arm64)
# Environment: USHER_SETUP_JOBS (parallel make jobs, default: nproc).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
jobs=${USHER_SETUP_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Bump when the way the static libraries are built changes: forces a rebuild.
RECIPE=8
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
# The arm64 release, cross-compiled: Debian's cross gcc, musl for arm64 (its libc.a and
# musl-gcc.specs, from the arm64 architecture) and the kernel headers for arm64.
ARM64_PACKAGES=(gcc-aarch64-linux-gnu musl-dev:arm64 linux-libc-dev-arm64-cross)
# The ASan/UBSan build (clang 14 and its sanitizer runtime), the tests (python3 runs tap-run.py,
# unshare, ps) and the benchmarks (other inits to compare with, runc, hyperfine, strace, ip;
# curl and busybox's wget beside `usher probe`, GNU time for their peak RSS); the container
# tests (podman, buildah, mmdebstrap for the local base image) and qemu-user for the arm64
# binary's tests.
FULL_PACKAGES=(
	clang libclang-rt-14-dev
	python3 python3-yaml util-linux procps
	tini dumb-init catatonit runc hyperfine strace iproute2
	curl busybox time
	podman buildah mmdebstrap qemu-user-static man-db groff-base bsdextrautils
)
# The real daemons of the services tests and benchmark (tests/services/daemons.t,
# bench/services.sh): nginx, php-fpm, containerd, and the supervisors to compare with
# (supervisord, s6-svscan); curl is the test client. Their packages would start the daemons at
# install time: install_packages keeps them from it with a policy-rc.d.
DAEMON_PACKAGES=(nginx php8.2-fpm containerd supervisor s6 curl)
# ARCHES: the static libraries to build (amd64: _build/deps/prefix, arm64: _build/deps/arm64/prefix).
full=0
case "${1:-}" in
	"") PACKAGES+=("${FULL_PACKAGES[@]}" "${DAEMON_PACKAGES[@]}" "${ARM64_PACKAGES[@]}") ARCHES=(amd64 arm64) full=1 ;;
	--release-only)
		case "${2:-amd64}" in
			amd64) ARCHES=(amd64) ;;
			arm64) PACKAGES+=("${ARM64_PACKAGES[@]}") ARCHES=(arm64) ;;
			*) die "setup: --release-only $2: the release architectures are amd64 and arm64" ;;
		esac ;;
	*) die "usage: build/setup.sh [--release-only [amd64|arm64]]" ;;
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

# Packages named PKG:arm64 need dpkg to know the architecture (and apt's lists for it).
add_foreign_arches() {
	local p arch
	for p in "$@"; do
		case "$p" in *:*) ;; *) continue ;; esac
		arch=${p#*:}
		[ "$arch" != "$(dpkg --print-architecture)" ] || continue
		dpkg --print-foreign-architectures | grep -qx "$arch" && continue
		say "packages: dpkg --add-architecture $arch (for $p)"
		as_root dpkg --add-architecture "$arch" || die "packages: dpkg --add-architecture $arch failed"
		apt_updated=0
	done
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -gt 0 ] || return 0
	say "packages: installing ${missing[*]}"
	add_foreign_arches "${missing[@]}"
	apt_update
	# Debian's rule for "do not start services now" (a Docker build has the same file).
	local policy=/usr/sbin/policy-rc.d made_policy=0 installed=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy" \
			|| die "packages: cannot write $policy"
		made_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" \
		&& installed=1
	[ "$made_policy" -eq 0 ] || as_root rm -f "$policy"
	[ "$installed" -eq 1 ] || die "packages: apt-get install ${missing[*]} failed"
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] || die "packages: still not installed after apt-get install: ${missing[*]}"
}

# --- 2. Static libseccomp and libcap-ng against musl -----------------------------------------
# set_arch ARCH — where and how the static libraries for ARCH are built: prefix (lib.sh's, for
# amd64; _build/deps/arm64/prefix for arm64), its stamp, kernel-header folder, compiler,
# configure's --host, and the suffix of the unpacked source trees (one per arch).
arch="" stamp="" kh="" arch_cc="" host_args=() tree_suffix="" asm_dir="" linux_dir=""
set_arch() {
	arch=$1
	case "$arch" in
	amd64)
		prefix="$deps/prefix" stamp="$deps/stamp" kh="$deps/kernel-headers" arch_cc=musl-gcc
		host_args=() tree_suffix="" linux_dir=/usr/include asm_dir="" ;;
	arm64)
		# Debian's cross gcc with musl's specs (musl-dev:arm64); the kernel headers for arm64
		# come from linux-libc-dev-arm64-cross, which leaves the amd64 headers alone.
		prefix="$deps/arm64/prefix" stamp="$deps/arm64/stamp" kh="$deps/arm64/kernel-headers"
		arch_cc=aarch64-linux-musl-gcc host_args=(--host=aarch64-linux-musl) tree_suffix=-arm64
		linux_dir=/usr/aarch64-linux-gnu/include asm_dir=/usr/aarch64-linux-gnu/include/asm ;;
	*) die "deps: unknown architecture $arch" ;;
	esac
}

# Sets src_ver[SRC] from the installed -dev package's source version, and key (the stamp).
declare -A src_ver
key=""
source_key() {
	local entry src bin ver
	key=""
	for entry in "${SOURCES[@]}"; do
		src=${entry%%:*} bin=${entry#*:}
		ver=$(dpkg-query -W -f='${source:Version}' "$bin" 2>/dev/null) \
			|| die "deps: cannot read the version of $bin (is it installed?)"
		[ -n "$ver" ] || die "deps: $bin has no source version"
		src_ver[$src]=$ver
		key+="$src=$ver "
	done
	key+="recipe=$RECIPE cflags=$DEPS_CFLAGS prefix=$prefix"
	[ "$arch" = amd64 ] || key+=" cc=$arch_cc ${host_args[*]}"
}

deps_ok() {
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] \
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
	upver=${ver#*:} ; dsc="$dl/${src}_${upver}.dsc" tree="$dl/$src-$upver$tree_suffix"
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
	(cd "$dl" && dpkg-source -x "$dsc" "$tree" >"$deps/logs/$src$tree_suffix-unpack.log" 2>&1) \
		|| die "deps: dpkg-source -x $dsc failed (see $deps/logs/$src$tree_suffix-unpack.log)"
}

# musl-gcc hides /usr/include; both libraries (and usher) need the kernel's linux/ and asm/ headers.
kernel_headers() {
	local multiarch asm=$asm_dir pkg=linux-libc-dev
	if [ -z "$asm" ]; then
		multiarch=$(gcc -print-multiarch) || die "deps: gcc -print-multiarch failed"
		asm="/usr/include/$multiarch/asm"
	fi
	[ "$arch" = amd64 ] || pkg=linux-libc-dev-$arch-cross
	[ -d "$asm" ] || die "deps: $asm missing (package $pkg)"
	[ -d "$linux_dir/linux" ] || die "deps: $linux_dir/linux missing (package $pkg)"
	[ -d "$linux_dir/asm-generic" ] || die "deps: $linux_dir/asm-generic missing (package $pkg)"
	mkdir -p "$kh" || die "deps: cannot create $kh"
	{ ln -sfn "$linux_dir/linux" "$kh/linux" && ln -sfn "$linux_dir/asm-generic" "$kh/asm-generic" \
		&& ln -sfn "$asm" "$kh/asm"; } || die "deps: cannot make the symlinks in $kh"
}

# build_autotools TREE LOG CONFIGURE-ARGS... — configure/make/install one library into $prefix
build_autotools() {
	local tree=$1 log=$2 ; shift 2
	(
		cd "$tree"
		export CC=$arch_cc CFLAGS="$DEPS_CFLAGS -idirafter $kh"
		./configure --prefix="$prefix" --enable-static --disable-shared "${host_args[@]}" "$@"
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

# seccomp_advisories TREE — three fixes of libseccomp 2.6.1 that Debian's 2.5.4 lacks, each
# applied only where the old code is found (a newer source that has them is left alone; code
# that is neither is an error to review). See docs/building.md.
#  GHSA-4q85-33p6-j5g6: _db_tree_add() merging two 64-bit LT/LE comparisons of one argument
#    set the true-path action where the false-path one was meant (a copy-paste slip), so a
#    filter could allow what a narrower rule denied.
#  GHSA-2hqh-5c36-grrm, GHSA-46fr-jh49-xvhx: the program's instruction count is 16 bits; past
#    65,535 it wrapped (heap overflow), and the failure path freed the program twice. usher
#    compiles a user's profile in PID 1, so a huge one must be an error, not a crash.
seccomp_advisories() {
	local db="$1/src/db.c" gen="$1/src/gen_bpf.c"
	perl -0 -e '
		my ($db, $gen) = @ARGV;
		local $/; open(my $f, "<", $db) or die "$db: $!\n"; my $d = <$f>; close $f;
		open($f, "<", $gen) or die "$gen: $!\n"; my $g = <$f>; close $f;
		my $lt_old = "LT/LE\n\t\t\t\t\t * comparisons correctly */\n\t\t\t\t\tif (n_iter->arg_h_flg &&\n\t\t\t\t\t    (n_iter->datum_full <\n\t\t\t\t\t     x_iter->datum_full))\n\t\t\t\t\t\tx_iter->act_t = n_iter->act_t;";
		(my $lt_new = $lt_old) =~ s/x_iter->act_t = n_iter->act_t;/x_iter->act_f = n_iter->act_f;/;
		my $cnt_old = "\t/* (re)allocate the program memory */\n\tprg->blk_cnt += blk->blk_cnt;";
		my $cnt_new = "\t/* usher: a 16-bit count must not wrap (GHSA-2hqh-5c36-grrm) */\n\tif (old_cnt + blk->blk_cnt > UINT16_MAX) {\n\t\trc = -EFAULT;\n\t\tgoto bpf_append_blk_failure;\n\t}\n\n" . $cnt_old;
		my $free_old = "bpf_append_blk_failure:\n\tprg->blk_cnt = 0;\n\tfree(prg->blks);\n";
		my $free_new = $free_old . "\tprg->blks = NULL; /* usher: freed once (GHSA-46fr-jh49-xvhx) */\n";
		my $n = 0;
		for ([\$d, $lt_old, $lt_new, "db.c LT/LE merge"], [\$g, $cnt_old, $cnt_new, "gen_bpf.c count"],
		     [\$g, $free_old, $free_new, "gen_bpf.c double free"]) {
			my ($text, $old, $new, $what) = @$_;
			my $count = () = $$text =~ /\Q$old\E/g;
			if ($count == 1) { $$text =~ s/\Q$old\E/$new/; $n++; }
			elsif (index($$text, $new) >= 0 || $count == 0) { print "deps: $what: not the 2.5.4 code, left alone\n"; }
			else { die "$what: found $count times\n"; }
		}
		open($f, ">", $db) or die; print $f $d; close $f;
		open($f, ">", $gen) or die; print $f $g; close $f;
		print "deps: libseccomp advisories: $n of 3 fixes applied\n";
	' "$db" "$gen" || die "deps: cannot apply the libseccomp advisory fixes to $1: review seccomp_advisories"
	grep -A5 'value to ensure we handle LT/LE' "$db" | grep -q 'x_iter->act_f = n_iter->act_f;' \
		&& grep -q 'UINT16_MAX' "$gen" \
		|| die "deps: $1: the libseccomp advisory fixes are neither applied nor present: review seccomp_advisories"
}

# fix_bpf_hash_mask TREE — libseccomp 2.5's BPF generator hashes its blocks into a table of
# 256 buckets through the mask (_BPF_HASH_BITS - 1) = 7, so only 8 buckets are ever used and
# a three-arch profile (Docker's archMap: x86_64 + x86 + x32) spends half its build time
# walking chains hundreds long. The mask becomes (_BPF_HASH_SIZE - 1). Lookups still compare
# the full hash and the block, and the table is only walked in order to free it, so the
# program generated is instruction for instruction the same (docs/seccomp.md).
fix_bpf_hash_mask() {
	local file="$1/src/gen_bpf.c"
	grep -q '^#define _BPF_HASH_MASK[[:space:]]*(_BPF_HASH_BITS - 1)$' "$file" \
		|| die "deps: $file changed: review fix_bpf_hash_mask"
	sed -i 's/^#define _BPF_HASH_MASK[[:space:]]*(_BPF_HASH_BITS - 1)$/#define _BPF_HASH_MASK (_BPF_HASH_SIZE - 1)/' "$file" \
		|| die "deps: cannot edit $file"
}

build_deps() {
	local log
	say "deps: building libseccomp and libcap-ng static with musl for $arch ($key)"
	command -v "$arch_cc" >/dev/null 2>&1 || die "deps: $arch_cc not found (run build/setup.sh)"
	kernel_headers
	rm -rf "$prefix" "$stamp" || die "deps: cannot clear $prefix"
	mkdir -p "$prefix/include" "$prefix/lib" "$deps/logs" || die "deps: cannot create $prefix"

	fetch_source libseccomp
	narrow_syscall_table "$tree"
	only_our_arches "$tree"
	fix_bpf_hash_mask "$tree"
	seccomp_advisories "$tree"
	log="$deps/logs/libseccomp$tree_suffix.log"
	say "deps: building libseccomp (log: $log)"
	build_autotools "$tree" "$log"
	{ make -C "$tree/src" -j"$jobs" && make -C "$tree/src" install \
		&& make -C "$tree/include" install && make -C "$tree" install-pkgconfDATA; } >>"$log" 2>&1 \
		|| die "deps: libseccomp make failed (see $log)"

	fetch_source libcap-ng
	lazy_capng_init "$tree"
	slim_capng "$tree"
	log="$deps/logs/libcap-ng$tree_suffix.log"
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
	printf '%s' "$key" >"$stamp" || die "deps: cannot write $stamp"
	say "deps: done: $(stat -c '%n %s bytes' "$prefix/lib/libseccomp.a" "$prefix/lib/libcap-ng.a" | tr '\n' ' ')"
}

command -v dpkg-query >/dev/null 2>&1 || die "packages: dpkg-query not found: this script is for Debian (bookworm)"
# Engineers share one checkout: one setup at a time (apt and the deps build would collide).
mkdir -p "$deps" || die "setup: cannot create $deps"
exec 9>"$deps/.lock" || die "setup: cannot open $deps/.lock"
flock -n 9 || { say "setup: waiting for another build/setup.sh to finish"; flock 9; }
install_packages
for a in "${ARCHES[@]}"; do
	set_arch "$a"
	source_key
	if deps_ok; then
		say "deps: up to date in $prefix ($key)"
	else
		build_deps
	fi
done
# The container engine the tests use (podman's settings for this kind of machine, the local
# debian:bookworm base image): only for the full set-up.
[ "$full" -eq 0 ] || "$top/build/setup-engine.sh" || die "setup: build/setup-engine.sh failed"
