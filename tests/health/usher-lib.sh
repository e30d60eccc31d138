# tests/health/usher-lib.sh — what the health tests share: a scratch dir with a /run for the
# control socket, usher as PID 1 of its own PID namespace, and its `usher status` rows.
# Source it after tests/lib/tap.sh with NAME set (the scratch dir's name).
SERVER="$BUILD_ROOT/tests/health/test-server"
RECORDER="$BUILD_ROOT/tests/init/probe"
tmp=$(mktemp -d "/tmp/usher-$NAME.XXXXXX") || exit 1
chmod 755 "$tmp"
mkdir -p "$tmp/run"
sock="$tmp/run/usher/control.sock"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_usher NAME ARGS... — usher as PID 1 in the background, output in $tmp/NAME.log; USHER_PID
# is unshare's pid (its child is usher).
run_usher() {
	local name=$1
	shift
	unshare --pid --fork --mount-proc "$USHER" --control-socket "$sock" "$@" >"$tmp/$name.log" 2>&1 &
	USHER_PID=$!
	pids+=($USHER_PID)
}
status() { "$USHER" status --control-socket "$sock" 2>&1; }
row() { status | awk -v n="$1" '$1 == n'; }
field() { row "$1" | awk -v f="$2" '{ print $f }'; } # field NAME COLUMN (2 state, 3 pid, 4 restarts)
usher_pid1() { cat "/proc/$USHER_PID/task/$USHER_PID/children" 2>/dev/null | awk '{ print $1 }'; }
stop_usher() {
	local p
	p=$(usher_pid1)
	[ -n "$p" ] && kill "$p"
	wait "$USHER_PID" 2>/dev/null
	RC=$?
}
