#!/usr/bin/env bash
# build/setup-engine.sh — makes rootful podman work on a machine of this project's kind and
# builds the local debian:bookworm base image once (cached). build/setup.sh runs it.
#
# 1. /etc/containers/containers.conf: [engine] runtime = "runc" (Debian's crun refuses hybrid
#    cgroups) and [containers] default_ulimits no higher than this machine's hard limits (root
#    may lack CAP_SYS_RESOURCE: podman's default 1048576 then fails every run). Only these two
#    keys are set; every other line of the file is kept.
# 2. localhost/debian:bookworm, made with mmdebstrap from the machine's own apt sources (no
#    registry is reachable), tagged debian:bookworm so that FROM debian:bookworm resolves
#    locally. Rebuilt only when it is missing or the sources it was made from changed.
# Needs root (rootful podman); says so and does nothing without it. Environment:
# USHER_CONTAINERS_CONF (another containers.conf to edit, for tests); USHER_ENGINE_SOURCES (the deb822 sources file to
# build the image from; default /etc/apt/sources.list.d/debian.sources).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Without root there is nothing to set up: the container tests skip then, saying so.
if [ "$(id -u)" -ne 0 ]; then
	say "engine: skipped: rootful podman needs root (the container tests will skip)"
	exit 0
fi
for tool in podman mmdebstrap python3; do
	command -v "$tool" >/dev/null 2>&1 || die "engine: $tool not found: run build/setup.sh"
done

# --- 1. containers.conf ------------------------------------------------------------------
# hard_limit OPTION CAP — the hard limit `ulimit -H OPTION`, at most CAP ("unlimited" → CAP).
hard_limit() {
	local v
	v=$(ulimit -H "$1") || die "engine: ulimit -H $1 failed"
	if [ "$v" = unlimited ] || [ "$v" -gt "$2" ]; then v=$2; fi
	echo "$v"
}
nofile=$(hard_limit -n 1048576)
nproc=$(hard_limit -u 32768)
conf=${USHER_CONTAINERS_CONF:-/etc/containers/containers.conf} # the variable: for tests
mkdir -p "$(dirname "$conf")" || die "engine: cannot create $(dirname "$conf")"
# set_keys FILE SECTION KEY VALUE ... — sets each KEY in its [SECTION] of a TOML file, keeping
# every other line: replaces the key's line (even commented out by Debian's example? no: only
# an active one), or adds it under the section's header, or adds the section at the end.
python3 - "$conf" containers default_ulimits "[\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]" \
	engine runtime '"runc"' <<'EOF' || die "engine: cannot update $conf"
import os, re, sys
path, args = sys.argv[1], sys.argv[2:]
lines = open(path).read().splitlines() if os.path.exists(path) else [
    "# /etc/containers/containers.conf — written by usher's build/setup-engine.sh; see containers.conf(5)."]
changed = False
for section, key, value in zip(args[0::3], args[1::3], args[2::3]):
    want = f"{key} = {value}"
    header = next((i for i, l in enumerate(lines) if re.match(rf"\s*\[{section}\]\s*(#.*)?$", l)), None)
    if header is None:
        lines += ["", f"[{section}]", want]
        changed = True
        continue
    end = next((i for i in range(header + 1, len(lines)) if re.match(r"\s*\[", lines[i])), len(lines))
    at = next((i for i in range(header + 1, end) if re.match(rf"\s*{key}\s*=", lines[i])), None)
    if at is None:
        lines.insert(header + 1, want)
        changed = True
    elif lines[at].strip() != want:
        lines[at] = want
        changed = True
if changed:
    tmp = path + ".usher-tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    print(f"usher build: engine: {path}: set " + ", ".join(f"[{s}] {k}" for s, k in zip(args[0::3], args[1::3])))
EOF

# --- 2. the local base image ---------------------------------------------------------------
sources=${USHER_ENGINE_SOURCES:-/etc/apt/sources.list.d/debian.sources}
[ -f "$sources" ] || die "engine: $sources missing: set USHER_ENGINE_SOURCES to a deb822 sources file for Debian bookworm"
# Only the binary archives: the image's own setup.sh adds deb-src when it needs it.
sources_text=$(sed -E 's/^Types:.*/Types: deb/' "$sources")
want_key="usher-base-1 $(printf '%s' "$sources_text" | sha256sum | cut -c1-16)"
image=localhost/debian:bookworm
have_key=$(podman image inspect --format '{{ index .Labels "usher.base" }}' "$image" 2>/dev/null || true)
if [ "$have_key" = "$want_key" ]; then
	say "engine: $image up to date ($want_key)"
	exit 0
fi
say "engine: building $image with mmdebstrap from $sources (about 30 s)"
tmp=$(mktemp -d /tmp/usher-base.XXXXXX) || die "engine: mktemp failed"
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$sources_text" >"$tmp/debian.sources"
# mmdebstrap names the file 0000debian.sources in the image; setup.sh there looks for the
# usual debian.sources to make its deb-src entry from.
mmdebstrap --quiet --variant=minbase \
	--customize-hook='mv "$1/etc/apt/sources.list.d/0000debian.sources" "$1/etc/apt/sources.list.d/debian.sources"' \
	bookworm "$tmp/rootfs.tar" "$tmp/debian.sources" >"$tmp/mmdebstrap.log" 2>&1 \
	|| { tail -n 20 "$tmp/mmdebstrap.log" >&2; die "engine: mmdebstrap failed"; }
podman import --quiet --change 'CMD ["bash"]' --change "LABEL usher.base=\"$want_key\"" \
	"$tmp/rootfs.tar" "$image" >/dev/null || die "engine: podman import failed"
podman tag "$image" debian:bookworm || die "engine: podman tag failed"
say "engine: $image built ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
