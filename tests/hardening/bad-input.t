#!/usr/bin/env bash
# tests/hardening/bad-input.t — every option and config key with bad values: one line naming
# the option or file:line, exit 125, the workload never started, no hang. A table walked row by
# row: a new option gets its row by adding one line below (and the coverage check at the end
# fails until it has one).
. "$SOURCE_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d); chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
BOUND=${BAD_INPUT_BOUND:-3} # seconds; catches hangs, not speed (a busy 2-core machine)

# The bad files every file-taking option is tried with.
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"
echo 'A=1' >"$tmp/noread"; chmod 000 "$tmp/noread"
truncate -s 2G "$tmp/huge"
printf '[Service]\nVerbosity=1\n' >"$tmp/ok.conf"
long=$(head -c 5000 /dev/zero | tr '\0' x)
big=99999999999999999999999

# ROWS: KIND | VALUE | what stderr must also match (grep -E; optional)
#   cli   VALUE = usher's arguments (shell words); stderr must name the option (its first word)
#         or, for a bad file, the file's path (a file is read later than its option is set)
#   env   VALUE = NAME=VALUE in usher's environment; stderr must name NAME
#   conf  VALUE = one [Service] line; stderr must say bad.conf:2
#   svc   VALUE = one line of a [Service web] section after ExecStart=; stderr must say bad.conf:3
#   login VALUE = one line of a [Login t] section after ExecStart=; stderr must say bad.conf:3
# @FIFO@ @DIR@ @NOREAD@ (mode 000, tried without CAP_DAC_*) @HUGE@ (2 GiB) @MISSING@ @LONG@
# (5000 bytes) @BIG@ (an overflowing number) stand for the bad files and values above.
# An empty list where the empty set makes sense (--var-files '', --groups '') is not bad input;
# empty security options (--cap-keep '') are sandbox/'s rule (issue 8, item 4).
rows() {
	cat <<'ROWS'
cli   | --verbosity ''                 |
cli   | --verbosity 5                  |
cli   | --verbosity @BIG@              |
cli   | --verbosity x                  |
cli   | --config ''                    |
cli   | --config @FIFO@                | not a regular file
cli   | --config @DIR@                 | not a regular file
cli   | --config @NOREAD@              | Permission denied
cli   | --config @HUGE@                | larger than 1024 KiB
cli   | --config @MISSING@             | No such file
cli   | --subreaper=maybe              | takes no value
cli   | --kill-group=1                 | takes no value
cli   | --single-child=yes             | takes no value
cli   | --pdeath-signal ''             |
cli   | --pdeath-signal NOPE           |
cli   | --pdeath-signal 65             |
cli   | --pdeath-signal @BIG@          |
cli   | --remap-exit ''                |
cli   | --remap-exit 256               |
cli   | --remap-exit -1                |
cli   | --remap-exit @BIG@             |
cli   | --warn-on-reap=no              | takes no value
cli   | --rewrite ''                   |
cli   | --rewrite TERM                 |
cli   | --rewrite KILL:TERM            |
cli   | --rewrite TERM:NOPE            |
cli   | --rewrite @LONG@:1             |
cli   | --expand-argv ''               |
cli   | --expand-argv maybe            |
cli   | --grace ''                     |
cli   | --grace 10x                    |
cli   | --grace -1s                    |
cli   | --grace 577h                   | at most 576h
cli   | --grace @BIG@h                 |
cli   | --grace 1.2345s                |
cli   | --env-file ''                  |
cli   | --env-file -                   |
cli   | --env-file nomda:/x            | unknown format
cli   | --env-file @FIFO@              | not a regular file
cli   | --env-file @DIR@               | not a regular file
cli   | --env-file @NOREAD@            | Permission denied
cli   | --env-file @HUGE@              | larger than 1024 KiB
cli   | --env-file @MISSING@           | No such file
cli   | --env-dir ''                   |
cli   | --env-dir @FIFO@               | Not a directory
cli   | --env-dir @MISSING@            | No such file
cli   | --env 1BAD=x                   |
cli   | --env NOEQUALS                 |
cli   | --env ''                       |
cli   | --unset-env ''                 |
cli   | --unset-env 'A B'              |
cli   | --var-files 'A,1B'             |
cli   | --wait-for ''                  |
cli   | --wait-timeout ''              |
cli   | --wait-timeout forever         |
cli   | --wait-timeout @BIG@           |
cli   | --reload-signal ''             |
cli   | --reload-signal TERM           |
cli   | --reload-signal KILL           |
cli   | --reload-signal 0              |
cli   | --on-reload ''                 |
cli   | --on-reload sometimes          |
cli   | --restart-on-change=yes        | takes no value
cli   | --user ''                      |
cli   | --user nosuchuser              |
cli   | --user @BIG@                   |
cli   | --user 'root:nosuchgroup'      |
cli   | --group ''                     |
cli   | --group nosuchgroup            |
cli   | --group @BIG@                  |
cli   | --groups nosuchgroup           |
cli   | --init-groups ''               |
cli   | --init-groups maybe            |
cli   | --cap-keep NOPE                |
cli   | --cap-keep CAP_                |
cli   | --cap-drop NOPE                |
cli   | --cap-drop @LONG@              |
cli   | --no-new-privs=1               | takes no value
cli   | --seccomp ''                   |
cli   | --seccomp @FIFO@               | not a regular file
cli   | --seccomp @DIR@                | not a regular file
cli   | --seccomp @NOREAD@             | Permission denied
cli   | --seccomp @HUGE@               | larger than
cli   | --seccomp @MISSING@            | No such file
cli   | --seccomp @OKCONF@             |
cli   | --seccomp-arches ''            |
cli   | --seccomp-arches sparc         |
cli   | --rlimit ''                    |
cli   | --rlimit nofile                |
cli   | --rlimit nope=1                |
cli   | --rlimit nofile=@BIG@          |
cli   | --rlimit nofile=2:1            |
cli   | --rlimit cpu=@BIG@h            |
cli   | --umask ''                     |
cli   | --umask 8                      |
cli   | --umask 77777                  |
cli   | --log-prefix=yes               | takes no value
cli   | --control-socket ''            |
cli   | --control-socket relative      |
cli   | --control-socket @LONG@        |
cli   | --nosuchoption                 | unknown option
cli   | -Z                             | unknown option
cli   | --grace                        |
env   | USHER_GRACE=10x                |
env   | USHER_VERBOSITY=9              |
env   | USHER_SUBREAPER=maybe          |
env   | USHER_USER=nosuchuser          |
env   | TINI_VERBOSITY=x               |
conf  | Verbosity=                     |
conf  | Verbosity=@BIG@                |
conf  | Subreaper=maybe                |
conf  | KillProcessGroup=                |
conf  | SingleChild=2                  |
conf  | ParentDeathSignal=NOPE         |
conf  | SuccessExitStatus=256          |
conf  | WarnOnReap=@LONG@              |
conf  | SignalRewrite=TERM             |
conf  | ExpandArgv=maybe               |
conf  | TimeoutStopSec=                |
conf  | TimeoutStopSec=@BIG@h          |
conf  | EnvironmentFile=               |
conf  | EnvironmentFile=@FIFO@         | not a regular file
conf  | EnvironmentFile=@HUGE@         | larger than
conf  | EnvironmentDirectory=          |
conf  | Environment=1BAD=x             |
conf  | Environment="A=1               |
conf  | UnsetEnvironment=              |
conf  | VarFiles=1B                    |
conf  | WaitFor=                       |
conf  | WaitTimeoutSec=@BIG@           |
conf  | ReloadSignal=STOP              |
conf  | OnReload=                      |
conf  | RestartOnChange=maybe          |
conf  | User=nosuchuser                |
conf  | Group=nosuchgroup              |
conf  | SupplementaryGroups=nosuchgroup |
conf  | InitGroups=maybe               |
conf  | KeepCapabilities=NOPE          |
conf  | DropCapabilities=NOPE          |
conf  | NoNewPrivileges=maybe          |
conf  | Seccomp=@FIFO@                 | not a regular file
conf  | Seccomp=@HUGE@                 | larger than
conf  | SeccompArchitectures=sparc     |
conf  | UMask=9                        |
conf  | LimitNOFILE=x                  |
conf  | LimitCPU=@BIG@h                |
conf  | LimitAS=@BIG@                  |
conf  | LimitNOPE=1                    |
conf  | LogPrefix=maybe                |
conf  | ControlSocket=relative         |
conf  | HealthCheck=bogus:x            |
conf  | HealthIntervalSec=0            |
conf  | HealthTimeoutSec=1x            |
conf  | HealthRetries=0                |
conf  | HealthStartPeriodSec=@BIG@h    |
conf  | HealthAction=restart           | cannot restart the main command
conf  | HealthAction=maybe             |
conf  | HealthNope=1                   | unknown key
conf  | NoSuchKey=1                    | unknown key
conf  | no equals sign                 | expected Key=Value
conf  | [Nope]                         | unknown section
svc   | Type=bogus                     |
svc   | Restart=sometimes              |
svc   | RestartSec=@BIG@h              |
svc   | TimeoutStopSec=10x             |
svc   | KillSignal=NOPE                |
svc   | StartLimitBurst=x              |
svc   | FailureAction=maybe            |
svc   | After=nosuch                   |
svc   | ReadyCheck=bogus:x             |
svc   | HealthCheck=bogus:x            |
svc   | HealthCheck=tcp:no-such-host:1 | unknown host
svc   | HealthIntervalSec=0            |
svc   | HealthRetries=@BIG@            |
svc   | HealthAction=maybe             |
svc   | User=nosuchuser                |
svc   | NoSuchKey=1                    |
login | ExecStart=/bin/true 'unterminated | unterminated
login | TimeoutSec=                    |
login | TimeoutSec=0                   |
login | TimeoutSec=@BIG@h              |
login | TimeoutStopSec=x               |
login | RetrySec=x                     |
login | Retries=101                    |
login | Retries=@BIG@                  |
login | Optional=maybe                 |
login | StandardInput=file:@FIFO@      | not a regular file
login | StandardInput=file:@DIR@       | not a regular file
login | StandardInput=file:@HUGE@      | larger than
login | StandardInput=file:@MISSING@   | No such file
login | StandardInput=output-of:nope   |
login | StandardInput=sometimes        |
login | StandardOutput=sometimes       |
login | StandardInputText=@HUGETEXT@   | more than
login | Environment=1BAD=x             |
login | NoSuchKey=1                    | unknown key
ROWS
}

fill() { # TEXT — the placeholders replaced
	local text=$1
	text=${text//@FIFO@/$tmp/fifo}
	text=${text//@DIR@/$tmp/dir}
	text=${text//@NOREAD@/$tmp/noread}
	text=${text//@HUGE@/$tmp/huge}
	text=${text//@MISSING@/$tmp/missing}
	text=${text//@OKCONF@/$tmp/ok.conf}
	text=${text//@LONG@/$long}
	text=${text//@BIG@/$big}
	text=${text//@HUGETEXT@/$(head -c 70000 /dev/zero | tr '\0' y)}
	printf '%s' "$text"
}

n=0
while IFS='|' read -r kind value extra; do
	kind=${kind// /} extra=${extra# } extra=${extra%% }
	value=${value#"${value%%[! ]*}"} value=${value%"${value##*[! ]}"}
	[ -n "$kind" ] || continue
	n=$((n + 1))
	filled=$(fill "$value")
	cmd=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin)
	case "$value" in *@NOREAD@*) cmd=(setpriv --bounding-set -dac_override,-dac_read_search "${cmd[@]}") ;; esac
	case "$kind" in
	cli)
		eval "args=($filled)"
		name=${args[0]%%=*}
		cmd+=("$USHER" "${args[@]}")
		;;
	env)
		name=${filled%%=*}
		cmd+=("$filled" "$USHER")
		;;
	conf)
		printf '[Service]\n%s\n' "$filled" >"$tmp/bad.conf"
		name="bad.conf:2:"
		cmd+=("$USHER" --config "$tmp/bad.conf")
		;;
	svc)
		printf '[Service web]\nExecStart=/bin/true\n%s\n' "$filled" >"$tmp/bad.conf"
		name="bad.conf:3:"
		cmd+=("$USHER" --config "$tmp/bad.conf")
		;;
	login)
		printf '[Login t]\nExecStart=/bin/true\n%s\n' "$filled" >"$tmp/bad.conf"
		name="bad.conf:3:"
		case "$value" in StandardInput=file:*) name='login "t"' ;; esac # found when it runs
		cmd+=("$USHER" --config "$tmp/bad.conf")
		;;
	esac
	# A bad file is named by its path (read when its option is used, not when it is set).
	for file in fifo dir noread huge missing ok.conf; do
		case "$filled" in *"$tmp/$file"*) name="$tmp/$file" ;; esac
	done
	rm -f "$tmp/started"
	timeout -k 1 "$BOUND" "${cmd[@]}" -- touch "$tmp/started" >"$tmp/out" 2>"$tmp/err"; rc=$?
	err=$(cat "$tmp/err")
	lines=$(printf '%s\n' "$err" | grep -c .)
	what="$kind ${value:0:60}"
	problems=()
	[ "$rc" -eq 125 ] || problems+=("exit $rc, not 125")
	[ "$lines" -eq 1 ] || problems+=("$lines lines on stderr")
	[ -e "$tmp/started" ] && problems+=("the workload started")
	printf '%s' "$err" | grep -qF -- "$name" || problems+=("does not name $name")
	[ -z "$extra" ] || printf '%s' "$err" | grep -qE -- "$extra" || problems+=("does not say '$extra'")
	if [ ${#problems[@]} -eq 0 ]; then
		ok 0 "$what"
	else
		ok 1 "$what"
		diag "$(IFS=';'; echo "${problems[*]}")"
		diag "stderr: ${err:0:300}"
	fi
done < <(rows)

# Coverage: every option that takes a value, every flag and every [Service] key --help lists
# has a row (with a new option, add its row above).
table=$(rows)
missing=()
while read -r option; do
	grep -qE -- "^cli +\| *$option([ =]|$)" <<<"$table" || missing+=("$option")
done < <("$USHER" --help | sed -nE 's/^  (-., )? *(--[a-z-]+).*/\2/p' | grep -vE -- '^--(help|version|license|verbose)$')
while read -r key; do
	grep -qE -- "^conf +\| *$key=" <<<"$table" || missing+=("$key=")
done < <("$USHER" --help | grep -oE '\[[A-Za-z]+=\]' | tr -d '[]=' | grep -vx Key)
is "${missing[*]}" "" "every option and [Service] key has a row"
done_testing
