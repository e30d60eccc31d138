# tests/sandbox/sandbox-lib.sh — shared set-up of the sandbox tests: a scratch directory, an
# image-like /etc/passwd and /etc/group bind-mounted in a private mount namespace, and runners.
# Source after tests/lib/tap.sh. Needs root (user switches, capabilities, mounts).


if [ "$(id -u)" -ne 0 ]; then
	skip "sandbox tests need root (user switch, capabilities, mount namespaces)"
	done_testing
	exit 0
fi

T=$(mktemp -d /tmp/usher-sandbox.XXXXXX) || exit 1
chmod 0755 "$T"
trap 'rm -rf "$T"' EXIT
# The workloads run as other users: from a copy they can reach wherever the checkout is.
PROGS=$(copy_for_any_user "$BUILD_ROOT/tests/sandbox" "$T/progs") || exit 1
cp "$USHER" "$PROGS/usher" || exit 1 # some tests run usher itself as another user
# usher with an empty environment: the caller's variables (HOME, *_FILE, USHER_*) stay out.
USHER_CLEAN=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$PROGS/usher")

# The image's users: the workload sees these instead of the machine's own.
cat >"$T/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
# a comment line, and a malformed one, both skipped
broken:x:notanumber:1
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:1001::/srv/bob:/bin/sh
nohome:x:1002:1002:::/bin/sh
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"$T/group" <<'GROUP'
root:x:0:
alice:x:1000:
bob:x:1001:
audio:x:29:alice,bob
video:x:44:bob
staff:x:50:alice
nonroot:x:65532:
GROUP

# in_image CMD... — CMD with the test passwd/group over /etc's, in a private mount namespace.
in_image() {
	unshare --mount --propagation private sh -c \
		'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"' \
		sh "$T/passwd" "$T/group" "$@"
}

# in_image_pid1 CMD... — the same, CMD being PID 1 of a new PID namespace.
in_image_pid1() {
	unshare --mount --propagation private --pid --fork --mount-proc sh -c \
		'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"' \
		sh "$T/passwd" "$T/group" "$@"
}

# field NAME — the value of "NAME:" in the status report on stdin, tabs made single spaces.
field() {
	sed -n "s/^$1:[[:space:]]*//p" | tr -s '\t ' '  ' | sed 's/ *$//'
}

# report USHER-ARGS... — usher's status report of the workload, in the test image; stderr in
# $T/stderr, exit status in $T/rc.
report() {
	in_image "${USHER_CLEAN[@]}" "$@" -- "$PROGS/status-report" >"$T/out" 2>"$T/stderr"
	echo $? >"$T/rc"
	cat "$T/out"
}
