# build/lib.sh — what every build script shares: its one-line messages and the project's
# paths. Sourced, not run; sets top, deps and prefix.
die() { printf 'usher build: %s\n' "$*" >&2; exit 1; }
say() { printf 'usher build: %s\n' "$*"; }

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || die "cannot find the project root from ${BASH_SOURCE[0]}"
deps="$top/_build/deps"
prefix="$deps/prefix"
