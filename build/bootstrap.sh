#!/usr/bin/env bash
# build/bootstrap.sh — the first command on a new machine: installs what is missing, builds the
# static release binary _build/usher and runs the demo of it as PID 1. Safe to re-run.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$top/build"

"$here/setup.sh" || die "bootstrap: build/setup.sh failed"
"$here/compile.sh" release || die "bootstrap: build/compile.sh release failed"
"$here/demo.sh" || die "bootstrap: build/demo.sh failed"
