# tests/containers/ct-lib.sh — what the podman tests share: the checks that they can run, the
# image built from Dockerfile.example (once per run, then podman's cache), and run helpers.
# Sourced after tests/lib/tap.sh. Sets CT_TMP, CT_BIN (/t in containers), CT_RES (/results).
#
# The image: Dockerfile.example built from a clean copy of the checkout (no _build, no .git).
# Its final stage is as shipped (gcr.io/distroless/static-debian12) when that image is in
# podman's storage, else FROM scratch plus the minimal /etc/passwd and /etc/group below (no
# registry is reachable here); CT_VARIANT says which, and every test prints it.

# Images are named per checkout: engineers' worktrees share this machine's podman storage,
# and one run must not test another checkout's image. The kube test takes a lock instead.
CT_REPO="localhost/usher-test-$(printf '%s' "$SOURCE_ROOT" | sha256sum | cut -c1-8)"
CT_IMAGE=$CT_REPO:amd64
CT_DISTROLESS=gcr.io/distroless/static-debian12
CT_PREFIX="usher-ct-$$"

ct_skip_all() {
	skip "$1"
	done_testing
	exit $?
}

# ct_requirements — skips the whole test (saying why) only where it cannot mean anything:
# the ASan build (the images hold no libc) or not root (rootful podman). A missing podman is
# a failure: build/setup.sh installs it.
ct_requirements() {
	[ "${STATIC_BUILD:-0}" = 1 ] ||
		ct_skip_all "containers: needs the static build (STATIC_BUILD=1): the image has no shared libraries for a dynamic usher"
	[ "$(id -u)" -eq 0 ] || ct_skip_all "containers: rootful podman needs root"
	local tool
	for tool in podman python3; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			ok 1 "$tool is installed"
			diag "$tool not found: run build/setup.sh"
			done_testing
			exit 1
		fi
	done
	if ! podman image exists localhost/debian:bookworm; then
		ok 1 "the local debian:bookworm base image exists"
		diag "run build/setup.sh (build/setup-engine.sh makes it)"
		done_testing
		exit 1
	fi
}

ct_cleanup() {
	local id
	# ct_run runs in $(...): the names it started are in a file, not in a variable.
	while read -r id; do
		podman rm -f -t 0 "$id" >/dev/null 2>&1
	done <"$CT_TMP/started" 2>/dev/null
	if [ "${CT_KEEP:-0}" = 1 ]; then
		diag "CT_KEEP=1: kept $CT_TMP"
	else
		rm -rf "$CT_TMP"
	fi
}

# ct_setup — the temp dir with /t (the static test programs, read-only in containers) and
# /results (world-writable: the workloads may run as any user).
ct_setup() {
	CT_TMP=$(mktemp -d /tmp/usher-ct.XXXXXX) || { ok 1 "mktemp"; done_testing; exit 1; }
	trap ct_cleanup EXIT
	trap 'exit 130' INT TERM
	CT_BIN="$CT_TMP/bin" CT_RES="$CT_TMP/results"
	mkdir -p "$CT_BIN" "$CT_RES" && chmod 1777 "$CT_RES" &&
		cp "$USHER" "$CT_BIN/usher" &&
		cp "$BUILD_ROOT/tests/containers/ct-probe" "$BUILD_ROOT/tests/oci/oci-workload" \
			"$BUILD_ROOT/tests/creds/login-echo" "$CT_BIN/"
	ok $? "test programs in $CT_BIN (mounted read-only at /t), results in $CT_RES"
}

# ct_context DIR — a clean copy of the checkout in DIR: what git would check out plus local
# changes, without _build/ or .git/ (.dockerignore says the same).
ct_context() {
	mkdir -p "$1" && tar -C "$SOURCE_ROOT" --exclude=./_build --exclude=./.git -cf - . | tar -C "$1" -xf -
}

# ct_dockerfile CONTEXT — CONTEXT/Dockerfile.test: Dockerfile.example, or its scratch variant.
# Sets CT_VARIANT. The scratch variant replaces only the final FROM line.
ct_dockerfile() {
	local ctx=$1
	if podman image exists "$CT_DISTROLESS"; then
		CT_VARIANT="distroless ($CT_DISTROLESS, as shipped)"
		cp "$ctx/Dockerfile.example" "$ctx/Dockerfile.test"
		return
	fi
	CT_VARIANT="scratch + minimal /etc/passwd and /etc/group ($CT_DISTROLESS is not in podman's storage)"
	mkdir -p "$ctx/image-etc"
	# The users distroless/static has, with the same ids.
	printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
		'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$ctx/image-etc/passwd"
	printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$ctx/image-etc/group"
	python3 - "$ctx/Dockerfile.example" "$ctx/Dockerfile.test" "$CT_DISTROLESS" <<'EOF'
import sys
src, dst, distroless = sys.argv[1:]
text = open(src).read()
line = f"FROM {distroless}\n"
assert text.count(line) == 1, "Dockerfile.example: expected one FROM " + distroless
open(dst, "w").write(text.replace(line, "FROM scratch\nCOPY image-etc/passwd image-etc/group /etc/\n"))
EOF
}

# ct_build_image [PLATFORM TAG] — podman build of the test image (the first run builds, later
# ones hit podman's layer cache). Prints podman's output into CT_TMP/build-TAG.log.
ct_build_image() {
	local platform=${1:-} tag=${2:-$CT_IMAGE} ctx="$CT_TMP/context" args=()
	[ -d "$ctx" ] || ct_context "$ctx" || return 1
	ct_dockerfile "$ctx" || return 1
	# podman 4.3 sets TARGETARCH but not BUILDPLATFORM for FROM lines (Dockerfile.example says so).
	args=(--build-arg BUILDPLATFORM=linux/amd64 -f "$ctx/Dockerfile.test" -t "$tag")
	[ -z "$platform" ] || args+=(--platform "$platform")
	podman build "${args[@]}" "$ctx" >"$CT_TMP/build-${tag##*:}.log" 2>&1
}

# ct_image — the amd64 test image, built (or found in cache), with a line saying which variant.
ct_image() {
	local start=$SECONDS
	if ct_build_image; then
		ok 0 "podman build of Dockerfile.example: $CT_VARIANT, $((SECONDS - start)) s"
	else
		ok 1 "podman build of Dockerfile.example: $CT_VARIANT"
		tail -n 30 "$CT_TMP/build-amd64.log" | while IFS= read -r l; do diag "$l"; done
		done_testing
		exit 1
	fi
}

# ct_run NAME [PODMAN-RUN-OPTIONS...] -- IMAGE-ARGS... — podman run -d, named; prints the id.
# Every container gets /t and /results mounted. The image: CT_RUN_IMAGE, default CT_IMAGE.
ct_run() {
	local name="$CT_PREFIX-$1" opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift
	echo "$name" >>"$CT_TMP/started"
	podman run -d --name "$name" -v "$CT_BIN:/t:ro" -v "$CT_RES:/results" "${opts[@]}" "${CT_RUN_IMAGE:-$CT_IMAGE}" "$@" >/dev/null \
		2>"$CT_TMP/$name.run-err" && echo "$name"
}

# ct_wait NAME — the container's exit status (podman wait), bounded: podman stop -t 0 after 60 s.
ct_wait() {
	timeout 60 podman wait "$1" 2>/dev/null || { podman stop -t 0 "$1" >/dev/null 2>&1; echo timeout; }
}

# ct_logs NAME — the container's stdout and stderr, as diagnostics.
ct_logs() {
	podman logs "$1" 2>&1 | while IFS= read -r l; do diag "  $l"; done
}

ct_field() { # ct_field FILE KEY — the value of KEY=VALUE (one per line or space-separated)
	tr ' ' '\n' <"$1" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1
}

# ct_bare_image — $CT_REPO:bare, FROM scratch with only the test image's /usher: no
# /etc/passwd at all, the shape in which podman --user writes a root-only one (issue 9 item 2).
CT_BARE=$CT_REPO:bare
ct_bare_image() {
	printf 'FROM scratch\nCOPY --from=%s /usher /usher\nENTRYPOINT ["/usher", "--"]\n' "$CT_IMAGE" >"$CT_TMP/Containerfile.bare"
	podman build -f "$CT_TMP/Containerfile.bare" -t "$CT_BARE" "$CT_TMP/bin" >"$CT_TMP/build-bare.log" 2>&1
	ok $? "the bare image: FROM scratch, only /usher (no /etc/passwd)"
}
