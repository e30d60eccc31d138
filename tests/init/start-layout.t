#!/usr/bin/env bash
# tests/init/start-layout.t — build/start-layout.ld still names what usher's bare start runs, and
# the release binaries are laid out as it says (docs/benchmarks.md: what each fault costs).
. "$SOURCE_ROOT/tests/lib/tap.sh"
script="$SOURCE_ROOT/build/start-layout.ld"
sources=("$SOURCE_ROOT/init" "$SOURCE_ROOT/creds" "$SOURCE_ROOT/sandbox")

# A renamed function or variable would silently fall out of the start's pages: each name the
# script gives for usher's own code (before its musl block) and state must still be defined.
functions=$(sed -n '/\.text\.start : {/,/musl:/p' "$script" | grep -o '\.text\.[A-Za-z_0-9]*' |
	sed 's/^\.text\.//' | grep -vx 'start\|startup' | sort -u)
variables=$(sed -n '/\.bss\.start (NOLOAD) : {/,/^  }/p' "$script" | grep -v 'libc\.a\|crtbegin' |
	grep -o '\.bss\.[A-Za-z_0-9]*' | sed 's/^\.bss\.//' | grep -vx 'start' | sort -u)
[ "$(echo "$functions" | wc -w)" -ge 30 ]
ok $? "the script lists usher's start-path functions: $(echo $functions | wc -w)"
[ "$(echo "$variables" | wc -w)" -ge 10 ]
ok $? "the script lists usher's start-path state: $(echo $variables | wc -w)"
missing=
for f in $functions; do
	grep -rqE "^([a-z].*[ *])?$f\([^;]*$" "${sources[@]}" --include='*.c' || missing="$missing $f"
done
is "$missing" "" "every function named in start-layout.ld is defined in init/, creds/ or sandbox/"
missing=
for v in $variables; do
	grep -rqE "^(\s*static .*[ *]|[a-z].*[ *]|\} )$v(\[[^]]*\])*( = .*)?;" "${sources[@]}" --include='*.c' ||
		missing="$missing $v"
done
is "$missing" "" "every variable named in start-layout.ld is defined in init/, creds/ or sandbox/"

# section NAME FILE — "address size" (hex) of a section, empty if there is none
section() {
	readelf -SW "$2" | awk -v n="$1" '{ for (i = 1; i < NF; i++) if ($i == n) { print $(i + 2), $(i + 4); exit } }'
}

check_binary() { # LABEL FILE
	local label=$1 file=$2 init text fini data bss loads
	read -r init _ < <(section .init "$file")
	read -r text _ < <(section .text.start "$file")
	read -r fini _ < <(section .fini "$file")
	read -r data data_size < <(section .data "$file")
	read -r bss _ < <(section .bss.start "$file")
	if [ -z "$text" ] || [ -z "$fini" ] || [ -z "$init" ]; then
		ok 1 "$label: .init, .text.start and .fini exist"
		return
	fi
	# One 64 KiB fault-around window (the kernel's default) for the ELF headers, .init, the
	# start's code and .fini: one text fault for the whole start.
	is "$(( 0x$init >> 16 )) $(( 0x$text >> 16 )) $(( (0x$fini + 16) >> 16 ))" \
		"$(( 0x$init >> 16 )) $(( 0x$init >> 16 )) $(( 0x$init >> 16 ))" \
		"$label: .init, .text.start and .fini in one 64 KiB window"
	# The start's state begins on the page of .data's end, which the kernel faults in at exec.
	if [ -n "$bss" ] && [ -n "$data" ]; then
		is "$(( 0x$bss >> 12 ))" "$(( (0x$data + 0x$data_size) >> 12 ))" \
			"$label: .bss.start begins on the page where .data ends"
	else
		ok 1 "$label: .data and .bss.start exist"
	fi
	loads=$(readelf -lW "$file" | grep -c '^ *LOAD')
	is "$loads" 2 "$label: two segments (code and read-only data together: -z noseparate-code)"
}

# What the layout is for: the page faults of a bare start as PID 1 of a new PID namespace,
# usher's own (with the workload's subtracted). The floor (bench/floor.c: vfork, exec, wait)
# takes 6 here; usher took 10-11 before its start-path state and code were regrouped.
faults_of_usher() {
	local counter="$BUILD_ROOT/tests/init/fault-count" probe="$BUILD_ROOT/tests/init/probe" alone with
	alone=$("$counter" 5 "$probe" true) && with=$("$counter" 5 "$USHER" -- "$probe" true) ||
		return 1
	echo $((with - alone))
}

if [ "${STATIC_BUILD:-0}" = 1 ]; then
	check_binary "release" "$USHER"
	if [ "$(id -u)" = 0 ]; then
		own=$(faults_of_usher)
		[ -n "$own" ] && [ "$own" -le 7 ]
		ok $? "a bare start as PID 1 takes at most 7 page faults of usher's own (took ${own:-?})"
	else
		skip "a new PID namespace needs root"
	fi
	if [ -x "$BUILD_ROOT/arm64/usher" ]; then
		check_binary "arm64" "$BUILD_ROOT/arm64/usher"
	else
		skip "arm64: no $BUILD_ROOT/arm64/usher (build/compile.sh release builds it)"
	fi
else
	skip "the layout script is for the static musl builds; this is the ASan build"
fi
done_testing
