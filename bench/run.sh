#!/usr/bin/env bash
# bench/run.sh — the benchmark entry point: usher beside tini, tini-static, dumb-init, catatonit,
# the floor (bare vfork+exec+wait) and no init, in one run; writes bench/results.md.
#
# Usage: bench/run.sh [--quick] [--wait-quiet MINUTES] [--usher PATH]
#   --quick       fewer rounds (about 30 s): for trying changes, not for results.md
#   --wait-quiet M  first wait up to M minutes for the CPUs to be < 25 % busy with others' work
#   --usher PATH  the binary to measure (default: $USHER, else _build/usher from
#                 `build/compile.sh release`)
# Needs root (PID namespaces, mounts, runc) and the Debian packages tini dumb-init catatonit
# runc musl-tools (build/setup.sh installs them; this script installs nothing).
# Method and reasoning: docs/benchmarks.md.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1 LC_ALL=C

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench: %s\n' "$*" >&2; }

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || die "cannot find the project root from $0"
command_line="bench/run.sh${*:+ $*}"
mode=full wait_quiet=0
usher=${USHER:-$top/_build/usher}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) mode=quick ;;
	--wait-quiet)
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || die "--wait-quiet needs a number of minutes"
		wait_quiet=$2
		shift
		;;
	--usher)
		[ $# -ge 2 ] || die "--usher needs a PATH"
		usher=$2
		shift
		;;
	-h | --help)
		sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done

if [ "$mode" = full ]; then
	startup_rounds=1500 signal_count=2000 orphans=20000 batch=5000 reap_reps=3
	sys_n=100000 sys_reps=30 sys_passes=2
else
	startup_rounds=150 signal_count=300 orphans=5000 batch=5000 reap_reps=1
	sys_n=100000 sys_reps=10 sys_passes=1
fi

[ "$(id -u)" -eq 0 ] || die "needs root: PID namespaces, mounting /proc, pids cgroup, runc"

# --- what must be installed ------------------------------------------------------------------
missing=()
for p in tini dumb-init catatonit runc musl-tools util-linux python3; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in ii*) ;; *) missing+=("$p") ;; esac
done
[ "${#missing[@]}" -eq 0 ] || die "missing Debian packages: ${missing[*]} (build/setup.sh installs them)"
for b in /usr/bin/tini /usr/bin/tini-static /usr/bin/dumb-init /usr/bin/catatonit /usr/sbin/runc \
	/usr/bin/musl-gcc /usr/bin/unshare; do
	[ -x "$b" ] || die "$b is missing although its package is installed"
done

out=$top/_build/bench
mkdir -p "$out" || die "cannot create $out"
tsv=$out/results.tsv
: >"$tsv" || die "cannot write $tsv"
errlog=$out/stderr.log
: >"$errlog" || die "cannot write $errlog"
# How busy the CPUs are with other people's work: % non-idle over 2 s while we sleep.
# (The load average is no use: the reaping runs leave it in the hundreds for minutes.)
cpu_busy() {
	local a b
	read -r -a a < <(grep '^cpu ' /proc/stat) || return 1
	sleep 2
	read -r -a b < <(grep '^cpu ' /proc/stat) || return 1
	awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
		n = split(a, x, " "); split(b, y, " "); tot = 0
		for (i = 2; i <= n; i++) tot += y[i] - x[i]
		idle = (y[5] - x[5]) + (y[6] - x[6])
		printf "%.0f%%", (tot > 0 ? 100 * (tot - idle) / tot : 0) }'
}
rec() { printf '%s\n' "$(IFS=$'\t'; echo "$*")" >>"$tsv"; }
note() { say "note: $*"; rec note "$*"; }

# --- build the measurement programs ------------------------------------------------------------
cflags=(-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -static)
musl-gcc "${cflags[@]}" -Os -s -o "$out/floor" "$top/bench/floor.c" || die "building bench/floor.c failed"
musl-gcc "${cflags[@]}" -O2 -o "$out/driver" "$top/bench/driver.c" || die "building bench/driver.c failed"
musl-gcc "${cflags[@]}" -O2 -o "$out/workload" "$top/bench/workload.c" || die "building bench/workload.c failed"
driver=$out/driver workload=$out/workload floor=$out/floor

if [ "$wait_quiet" -gt 0 ]; then
	deadline=$((SECONDS + 60 * wait_quiet))
	while :; do
		busy=$(cpu_busy) || die "cannot read /proc/stat"
		[ "${busy%\%}" -ge 25 ] || break
		if [ "$SECONDS" -ge "$deadline" ]; then
			note "waited $wait_quiet min for a quiet moment and did not get one (CPUs $busy busy)"
			break
		fi
		say "CPUs $busy busy with other work: waiting for a quieter moment"
		sleep 10
	done
fi

started=$SECONDS
rec meta command "$command_line"
rec meta mode "$mode"
rec meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
rec meta machine "$(uname -sr), $(nproc) CPUs ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)"
rec meta load_before "$(cpu_busy)"
rec meta versions "$(dpkg-query -W -f='${Package} ${Version}, ' tini dumb-init catatonit runc | sed 's/, $//')"
rec meta libc_size "$(stat -L -c %s /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | awk '{printf "%.0f KiB", $1/1024}')"
rec meta startup_rounds "$startup_rounds"
rec meta signal_count "$signal_count"
rec meta reap_reps "$reap_reps"
rec meta orphans "$(printf "%'d" "$orphans" 2>/dev/null || echo "$orphans")"
rec meta sys_loops "$sys_passes×$sys_reps loops of $sys_n calls"

# --- usher: present? which sandbox options work? ---------------------------------------------
# A probe is one short start-up run of the variant; its stderr goes to the log and, on failure,
# its last line into the notes.
probe() { # NAME ARGS... → 0 if `usher ARGS -- /bin/true` exits 0 as PID 1
	local name=$1
	shift
	if "$driver" startup 1 /bin/true "$name=$*" >/dev/null 2>"$out/probe.err"; then
		return 0
	fi
	cat "$out/probe.err" >>"$errlog"
	# The init's own complaint if it made one, else the driver's.
	probe_why=$(grep -v -e '^$' -e '^driver: ' "$out/probe.err" | tail -n1 | tr '\t' ' ')
	[ -n "$probe_why" ] || probe_why=$(grep -v '^$' "$out/probe.err" | tail -n1 | tr '\t' ' ')
	return 1
}
have_usher=0 sbx_seccomp=0 sbx_moby=0 sbx_all=0
moby=$(realpath -m "${MOBY_PROFILE:-$top/../shared/fixtures/seccomp/moby-default.json}")
if [ ! -f "$moby" ]; then
	note "Docker's default profile not found at $moby: the rows that load it are skipped"
	moby=
fi
usher_variants=()
usher_src=$usher
if [ -e "$usher" ]; then
	# A snapshot: others rebuild _build/usher while the bench runs (exec then fails, or two
	# binaries get mixed in one table).
	cp "$usher" "$out/usher" || die "cannot copy $usher to $out/usher"
	usher=$out/usher
fi
if [ ! -e "$usher" ]; then
	note "usher not measured: $usher does not exist (build it with build/compile.sh release)"
	rec meta usher "not built"
elif ! probe usher "$usher --"; then
	note "usher not measured: \`$usher_src -- /bin/true\` as PID 1 failed: $probe_why"
	rec meta usher "failing"
else
	have_usher=1
	rec meta usher "$(git -C "$top" describe --always --dirty 2>/dev/null || echo '?') ($usher_src, built $(date -u -r "$usher_src" '+%H:%M UTC'))"
	usher_variants=("usher=$usher --")
	if probe x "$usher --seccomp default --"; then
		sbx_seccomp=1
		usher_variants+=("usher+seccomp=$usher --seccomp default --")
		rec meta args-usher+seccomp "--seccomp default (root, every capability)"
	else
		note "usher --seccomp default does not work yet ($probe_why): its rows are skipped"
	fi
	if [ -z "$moby" ]; then
		:
	elif probe x "$usher --seccomp $moby --"; then
		sbx_moby=1
		usher_variants+=("usher+moby=$usher --seccomp $moby --")
		rec meta args-usher+moby "--seccomp moby-default.json"
		# The same profile compiled once (as an image build would), for the same root workload.
		if "$usher" seccomp compile "$moby" -o "$out/moby-default.bpf" 2>>"$errlog" &&
			probe x "$usher --seccomp $out/moby-default.bpf --"; then
			usher_variants+=("usher+moby.bpf=$usher --seccomp $out/moby-default.bpf --")
			rec meta args-usher+moby.bpf "--seccomp moby-default.bpf (usher seccomp compile)"
		else
			note "usher seccomp compile of moby-default.json does not work (${probe_why:-see $errlog}): its row is skipped"
		fi
	else
		note "usher --seccomp moby-default.json does not work yet ($probe_why): its rows are skipped"
	fi
	cap=
	for c in NET_BIND_SERVICE CAP_NET_BIND_SERVICE net_bind_service; do
		if probe x "$usher --user 1000:1000 --cap-keep $c --"; then
			cap=$c
			break
		fi
	done
	if [ -z "$cap" ]; then
		note "usher --user 1000:1000 --cap-keep CAP_NET_BIND_SERVICE does not work yet ($probe_why): the whole-sandbox start-up row is skipped"
	elif [ "$sbx_seccomp" -eq 1 ]; then
		sbx_all=1
		usher_variants+=("usher+sandbox=$usher --user 1000:1000 --cap-keep $cap --seccomp default --")
		rec meta args-usher+sandbox "--user 1000:1000 --cap-keep $cap --seccomp default"
	fi
	# What usher says about its filter (precompiled or built at start) for each sandbox variant.
	for v in "${usher_variants[@]:1}"; do
		args=${v#*=}
		args=${args% --}
		args=${args#"$usher "}
		# shellcheck disable=SC2086 # the words of the variant, as the driver splits them
		said=$(unshare --pid --fork --mount-proc "$usher" -v $args -- /bin/true 2>&1 | grep -i 'seccomp:' | head -n2 | tr '\n\t' '  ' || true)
		[ -z "$said" ] || note "\`usher -v $args\` says: $said"
	done
fi

peers=("tini=/usr/bin/tini --" "tini-static=/usr/bin/tini-static --" "dumb-init=/usr/bin/dumb-init --"
	"catatonit=/usr/bin/catatonit --")
first_usher=()
[ "$have_usher" -eq 0 ] || first_usher=("usher=$usher --")

# --- sizes --------------------------------------------------------------------------------------
size_of() { # NAME PATH
	local kind=static
	if command -v file >/dev/null 2>&1; then
		case "$(file -b "$2")" in *"dynamically linked"*) kind=dynamic ;; esac
	fi
	rec size "$1" "$(stat -c %s "$2")" "$kind"
}
if [ "$have_usher" -eq 1 ]; then
	size_of usher "$usher"
	# The docs promise a stripped release binary; measure what stripping would give as well.
	if command -v strip >/dev/null 2>&1 && strip -o "$out/usher.stripped" "$usher" 2>>"$errlog"; then
		size_of usher-stripped "$out/usher.stripped"
	fi
fi
size_of tini /usr/bin/tini
size_of tini-static /usr/bin/tini-static
size_of dumb-init /usr/bin/dumb-init
size_of catatonit /usr/bin/catatonit
size_of floor "$floor"

# --- the four init measurements ------------------------------------------------------------------
run_driver() { # what; driver args...
	local what=$1
	shift
	say "$what"
	"$driver" "$@" >>"$tsv" 2>>"$errlog" || die "$what failed: $(tail -n1 "$errlog")"
}
run_driver "start-up: $startup_rounds interleaved rounds of every init with -- /bin/true" \
	startup "$startup_rounds" /bin/true "none=" "floor=$floor --" "${usher_variants[@]}" "${peers[@]}"
# The same on one CPU: every hop then stays on it, so no hop waits for the other vCPU to wake
# from idle; the difference to the table above is what idle wake-ups add (docs/benchmarks.md).
run_driver "start-up on one CPU: $startup_rounds interleaved rounds" \
	startup-pinned "$startup_rounds" /bin/true "none=" "floor=$floor --" "${first_usher[@]}" \
	"tini-static=/usr/bin/tini-static --"
run_driver "start-up as under runc (PID 1 leads its own session): $startup_rounds interleaved rounds" \
	--session startup "$startup_rounds" /bin/true "none=" "floor=$floor --" "${first_usher[@]}" "${peers[@]}"
run_driver "PID 1 RSS while the workload sleeps" rss "$workload" "floor=$floor --" "${first_usher[@]}" "${peers[@]}"
run_driver "signal latency: $signal_count SIGUSR1 per init, interleaved" \
	signal "$signal_count" "$workload" "none=" "${first_usher[@]}" "${peers[@]}"
run_driver "signal latency on one CPU under SCHED_FIFO: $signal_count SIGUSR1 per init, interleaved" \
	signal-pinned "$signal_count" "$workload" "none=" "${first_usher[@]}" "${peers[@]}"
run_driver "signal latency as under runc (PID 1 leads its own session): $signal_count SIGUSR1 per init" \
	--session signal "$signal_count" "$workload" "none=" "${first_usher[@]}" "${peers[@]}"
rec meta load_after "$(cpu_busy)"
run_driver "reaping: $orphans orphans per init, released $batch at a time" \
	reap "$orphans" "$batch" "$reap_reps" "$workload" "floor=$floor --" "${first_usher[@]}" "${peers[@]}"

# --- sandbox: cost per system call -------------------------------------------------------------
capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
bundle=$out/runc-bundle
rm -rf "$bundle"
mkdir -p "$bundle/rootfs" || die "cannot create $bundle"
cp "$workload" "$bundle/rootfs/workload" || die "cannot copy the workload into $bundle/rootfs"
(cd "$bundle" && runc spec) || die "runc spec failed"
cp "$bundle/config.json" "$bundle/spec.json"
if [ -n "$moby" ]; then
	python3 "$top/bench/moby2oci.py" "$moby" "$capbnd" >"$out/moby-oci.json" ||
		die "converting $moby for runc failed"
fi

sys_rows=("no filter (floor)")
[ "$sbx_seccomp" -eq 0 ] || sys_rows+=("usher --seccomp default")
[ "$sbx_moby" -eq 0 ] || sys_rows+=("usher --seccomp moby-default.json")
sys_rows+=("runc, no seccomp")
[ -z "$moby" ] || sys_rows+=("runc, moby-default.json")

run_sys() { # ROW → the workload's output on stdout
	local wl=("$workload" syscalls "$sys_n" "$sys_reps")
	case $1 in
	"no filter (floor)") unshare --pid --fork --mount-proc "$floor" -- "${wl[@]}" ;;
	"usher --seccomp default") unshare --pid --fork --mount-proc "$usher" --seccomp default -- "${wl[@]}" ;;
	"usher --seccomp moby-default.json") unshare --pid --fork --mount-proc "$usher" --seccomp "$moby" -- "${wl[@]}" ;;
	runc*)
		local sec=- id=usher-bench-$$
		[ "$1" = "runc, no seccomp" ] || sec=$out/moby-oci.json
		cp "$bundle/spec.json" "$bundle/config.json"
		python3 "$top/bench/runc-config.py" "$bundle/config.json" "$capbnd" "$sec" \
			/workload syscalls "$sys_n" "$sys_reps" || return 1
		runc delete -f "$id" >/dev/null 2>&1 || true
		runc run --bundle "$bundle" "$id"
		;;
	esac
}
say "sandbox: $sys_passes passes × ${#sys_rows[@]} filters × $sys_reps loops of $sys_n getppid/personality calls"
sysraw=$out/sys.raw
: >"$sysraw"
for ((pass = 0; pass < sys_passes; pass++)); do
	for row in "${sys_rows[@]}"; do
		run_sys "$row" 2>>"$errlog" | sed "s/^/$row\t/" >>"$sysraw" ||
			die "sandbox row '$row' failed: $(tail -n1 "$errlog")"
	done
done
# Minimum over passes of the per-pass minimum; the status (ok or an errno) from the last pass.
for row in "${sys_rows[@]}"; do
	grep -c "^$row	getppid	" "$sysraw" >/dev/null || die "sandbox row '$row' printed nothing"
	awk -F'\t' -v row="$row" '
		$1 == row && $2 == "seccomp" { mode = $3; filters = $4 }
		$1 == row && ($2 == "getppid" || $2 == "personality") {
			if (!($2 in best) || $3 + 0 < best[$2]) best[$2] = $3 + 0
			med[$2] = $4; st[$2] = $5
		}
		END {
			printf "seccomp\t%s\t%s\t%s\n", row, mode, filters
			for (s in best) printf "sys-%s\t%s\t%.1f\t%s\t%s\n", s, row, best[s], med[s], st[s]
		}' "$sysraw" >>"$tsv"
done
[ "$sbx_seccomp" -eq 1 ] || note "usher's sandbox options are not there yet: the per-syscall table has no usher rows"

rec meta elapsed "$((SECONDS - started))"
python3 "$top/bench/report.py" "$tsv" >"$out/results.md" || die "report.py failed"
# bench/services.sh writes its own section at the end of results.md: carry it over.
if grep -q '^<!-- services.sh:' "$top/bench/results.md" 2>/dev/null; then
	{ echo; sed -n '/^<!-- services.sh:/,$p' "$top/bench/results.md"; } >>"$out/results.md"
fi
cp "$out/results.md" "$top/bench/results.md" || die "cannot write bench/results.md"
cat "$top/bench/results.md"
say "wrote bench/results.md ($((SECONDS - started)) s; raw numbers in $tsv, stderr of the runs in $errlog)"
