#!/usr/bin/env bash
# tests/containers/containers-image.t — what Dockerfile.example builds, for amd64 and arm64:
# the files in the image, the binary in it, and a two-arch manifest list made as the README says.
#
# arm64: the builder stage runs on the build platform (amd64, no emulation) and cross-compiles;
# the final stage has no RUN, so podman builds the arm64 image on this machine without qemu.
# The arm64 /usher is then run under qemu-aarch64-static (no binfmt_misc here).
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"
. "$SOURCE_ROOT/tests/containers/ct-lib.sh"

ct_requirements
ct_setup
ct_image
diag "image: $CT_IMAGE — $CT_VARIANT"

# image_files IMAGE — the files of IMAGE, one per line (podman export of a created container).
image_files() {
	local cid
	cid=$(podman create "$1" 2>/dev/null) || return 1
	podman export "$cid" | tar -t | grep -v '/$' | sort
	podman rm "$cid" >/dev/null
}
# image_usher IMAGE OUT — copies /usher out of IMAGE.
image_usher() {
	local cid
	cid=$(podman create "$1" 2>/dev/null) && podman cp "$cid:/usher" "$2" && podman rm "$cid" >/dev/null
}

# --- the Dockerfile itself ---------------------------------------------------------------------
final_stage=$(awk '/^FROM /{stage=""} {stage = stage $0 "\n"} END {printf "%s", stage}' "$SOURCE_ROOT/Dockerfile.example")
unlike "$final_stage" "^RUN " "Dockerfile.example: the final stage has no RUN (builds for any platform without emulation)"
like "$(grep '^FROM .* AS builder' "$SOURCE_ROOT/Dockerfile.example")" '--platform=\$BUILDPLATFORM' "Dockerfile.example: the builder runs on \$BUILDPLATFORM"

# --- amd64 ----------------------------------------------------------------------------------------
case "$CT_VARIANT" in
distroless*) expect_files="" ;; # distroless has its own files; only /usher is checked
*) expect_files=$(printf '%s\n' etc/group etc/passwd usher) ;;
esac
files=$(image_files "$CT_IMAGE")
if [ -n "$expect_files" ]; then
	is "$files" "$expect_files" "amd64 image: only /usher, /etc/passwd and /etc/group (scratch variant)"
else
	like "$files" "^usher$" "amd64 image: /usher is there (distroless variant)"
fi
image_usher "$CT_IMAGE" "$CT_TMP/usher-amd64"
ok $? "amd64 image: /usher copied out"
is "$(stat -c %s "$CT_TMP/usher-amd64")" "$(stat -c %s "$USHER")" "amd64 image: /usher has the size of this build's usher"
is "$(sha256sum <"$CT_TMP/usher-amd64")" "$(sha256sum <"$USHER")" "amd64 image: /usher is byte-identical to this build's $USHER (the same sources, the same toolchain)"
[ "$(stat -c %s "$CT_TMP/usher-amd64")" -le 262144 ]
ok $? "amd64 image: /usher is within the 256 KiB budget ($(stat -c %s "$CT_TMP/usher-amd64") bytes)"
is "$(podman image inspect -f '{{.Architecture}}' "$CT_IMAGE")" amd64 "amd64 image: architecture amd64"
like "$(podman run --rm --entrypoint /usher "$CT_IMAGE" --version 2>&1)" "^usher" "amd64 image: /usher --version runs in it"

# --- arm64 ----------------------------------------------------------------------------------------
start=$SECONDS
if ct_build_image linux/arm64 "$CT_REPO:arm64"; then
	ok 0 "arm64 image: podman build --platform linux/arm64 ($((SECONDS - start)) s, cross-compiled in the amd64 builder)"
	is "$(podman image inspect -f '{{.Architecture}}' "$CT_REPO:arm64")" arm64 "arm64 image: architecture arm64"
	image_usher "$CT_REPO:arm64" "$CT_TMP/usher-arm64"
	like "$(file -b "$CT_TMP/usher-arm64" 2>/dev/null || readelf -h "$CT_TMP/usher-arm64")" "ARM aarch64|AArch64" "arm64 image: /usher is an aarch64 program"
	unlike "$(readelf -l "$CT_TMP/usher-arm64")" "INTERP" "arm64 image: /usher is static (no program interpreter)"
	[ "$(stat -c %s "$CT_TMP/usher-arm64")" -le 262144 ]
	ok $? "arm64 image: /usher is within the 256 KiB budget ($(stat -c %s "$CT_TMP/usher-arm64") bytes)"
	if [ -x "$BUILD_ROOT/arm64/usher" ]; then
		is "$(sha256sum <"$CT_TMP/usher-arm64")" "$(sha256sum <"$BUILD_ROOT/arm64/usher")" "arm64 image: /usher is byte-identical to build/compile.sh arm64's"
	else
		ok 1 "arm64 image: compare with $BUILD_ROOT/arm64/usher"
		diag "$BUILD_ROOT/arm64/usher missing: build/compile.sh release builds it"
	fi
	like "$(qemu-aarch64-static "$CT_TMP/usher-arm64" --version 2>&1)" "^usher" "arm64 image: its /usher runs under qemu-aarch64-static"
else
	ok 1 "arm64 image: podman build --platform linux/arm64"
	tail -n 30 "$CT_TMP/build-arm64.log" | while IFS= read -r l; do diag "$l"; done
fi

# --- the two-arch manifest list, as the README says ------------------------------------------------
manifest=$CT_REPO:multi
podman manifest exists "$manifest" && podman manifest rm "$manifest" >/dev/null
ctx="$CT_TMP/context"
if podman build --platform linux/amd64,linux/arm64 --build-arg BUILDPLATFORM=linux/amd64 \
	--manifest "$manifest" -f "$ctx/Dockerfile.test" "$ctx" >"$CT_TMP/build-multi.log" 2>&1; then
	ok 0 "podman build --platform linux/amd64,linux/arm64 --manifest $manifest"
	arches=$(podman manifest inspect "$manifest" | python3 -c 'import json,sys; print(" ".join(sorted(m["platform"]["architecture"] for m in json.load(sys.stdin)["manifests"])))')
	is "$arches" "amd64 arm64" "the manifest list holds an amd64 and an arm64 image"
else
	ok 1 "podman build --platform linux/amd64,linux/arm64 --manifest $manifest"
	tail -n 30 "$CT_TMP/build-multi.log" | while IFS= read -r l; do diag "$l"; done
fi
podman manifest rm "$manifest" >/dev/null 2>&1

# Every source change leaves the last build's untagged builder images (~50 MB of layers per
# architecture). Those older than a day go; newer ones, and the layers they share with the
# builds above (the packages, the static libraries), stay as podman's build cache.
pruned=$(podman image prune -f --filter until=24h 2>/dev/null | wc -l)
diag "podman image prune --filter until=24h: $pruned untagged images older than a day removed"

done_testing
