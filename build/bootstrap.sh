#!/usr/bin/env bash
# build/bootstrap.sh — the first command on a new machine: installs what is missing, builds the
# static release binary _build/usher and runs the demo of it as PID 1. Safe to re-run.
set -euo pipefail

die() { printf 'usher build: %s\n' "$*" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || die "bootstrap: cannot find build/ from $0"

"$here/setup.sh" || die "bootstrap: build/setup.sh failed"
"$here/compile.sh" release || die "bootstrap: build/compile.sh release failed"
"$here/demo.sh" || die "bootstrap: build/demo.sh failed"
