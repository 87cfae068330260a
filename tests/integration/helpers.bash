#!/bin/bash
# Helpers for clawrun's bats integration tests, modelled on runc's
# tests/integration/helpers.bash.
#
# Every test gets its own TESTDIR (under BATS_TEST_TMPDIR) holding
#   $ROOT      the --root state directory (not created in advance: the runtime must)
#   $BUNDLE    the OCI bundle made by scripts/mkbundle (setup_bundle cds into it)
#   io/        stdout+stderr of every create / run -d / exec -d (see ct_output)
# so tests never share state.  Container ids are unique per test ($CT = "ct-<pid>")
# because cgroup paths (/clawrun/<id>) are global to the host.
#
# CLAWRUN selects the binary under test (default: ./clawrun of this repository).
# CLAWRUN=runc runs the suite against runc for a sanity check: the wrapper then sets
# linux.cgroupsPath to /clawrun/<id> when the config has none (runc would otherwise
# nest under its caller's cgroup, the host's process_api cgroup, which must never be
# touched; see shared/design/testenv.md), which is what clawrun does by default.

# bats-core >= 1.2.1 defines BATS_RUN_TMPDIR; BATS_TEST_TMPDIR needs >= 1.4.
if [ -z "${BATS_RUN_TMPDIR:-}" ]; then
	echo "bats >= 1.4 is required" >&2
	exit 1
fi

INTEGRATION_ROOT=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO_ROOT=$(cd "$INTEGRATION_ROOT/../.." && pwd)
MKBUNDLE=$REPO_ROOT/scripts/mkbundle
WORK_DIR=$REPO_ROOT/tests/.work

CLAWRUN=${CLAWRUN:-$REPO_ROOT/clawrun}
if [[ "$CLAWRUN" != */* ]]; then
	CLAWRUN=$(command -v "$CLAWRUN" || echo "$CLAWRUN")
fi
# Is the binary under test runc (sanity-check mode)?
IS_RUNC=${IS_RUNC:-}
if [ -z "$IS_RUNC" ]; then
	case "${CLAWRUN##*/}" in runc*) IS_RUNC=1 ;; *) IS_RUNC=0 ;; esac
fi
# Upper bound for a single runtime invocation, so that a hang fails one test instead
# of hanging the whole run.
CLAWRUN_TIMEOUT=${CLAWRUN_TIMEOUT:-30}

CGROUP_V1_CONTROLLERS="cpu cpuacct cpuset memory devices freezer blkio pids"

# ---------------------------------------------------------------------------
# Failing and skipping

# Fails the current test with a message.
function fail() {
	echo "$@" >&2
	return 1
}

# Skip unless the environment has what the test needs.
function requires() {
	local req
	for req in "$@"; do
		case "$req" in
		root)
			[ "$(id -u)" -eq 0 ] || skip "test requires root"
			;;
		clawrun)
			[ "$IS_RUNC" = 0 ] || skip "clawrun-specific behaviour (testing runc)"
			;;
		cgroups_v1)
			[ -d /sys/fs/cgroup/memory ] || skip "test requires cgroup v1 controllers"
			;;
		cgroups_hybrid)
			[ -d /sys/fs/cgroup/memory ] && [ -e /sys/fs/cgroup/unified/cgroup.procs ] ||
				skip "test requires a hybrid cgroup host"
			;;
		gcc_static)
			[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -n "$(gcc -print-file-name=libc.a 2>/dev/null | grep /)" ] ||
				skip "test requires a static libc (libc6-dev)"
			command -v gcc >/dev/null || skip "test requires gcc"
			;;
		python3)
			command -v python3 >/dev/null || skip "test requires python3"
			;;
		script)
			command -v script >/dev/null || skip "test requires script(1) (util-linux)"
			;;
		*)
			fail "BUG: unknown requirement $req"
			;;
		esac
	done
}

# ---------------------------------------------------------------------------
# Per-test directories and the bundle

# Make TESTDIR and ROOT without a bundle (for tests of spec, features, version...).
function setup_root() {
	TESTDIR=$(mktemp -d "${BATS_TEST_TMPDIR:-$BATS_RUN_TMPDIR}/clawrun.XXXXXX")
	ROOT=$TESTDIR/state
	mkdir -p "$TESTDIR/io"
	echo "ct-$$" >"$TESTDIR/ids"
	: >"$TESTDIR/cgroups"
	: >"$TESTDIR/pids"
	CT=ct-$$
	IO_SEQ=0
	export TESTDIR ROOT CT
}

# setup_bundle [ARG...]: TESTDIR, ROOT and a busybox bundle in $BUNDLE whose process
# is ARG... (default: sh); cd into the bundle.
function setup_bundle() {
	setup_root
	BUNDLE=$TESTDIR/bundle
	"$MKBUNDLE" "$BUNDLE" "$@" || fail "mkbundle failed"
	export BUNDLE
	cd "$BUNDLE" || return
	# Safety net for runc: even a direct "$CLAWRUN" call must not nest under our cgroup.
	if [ "$IS_RUNC" = 1 ]; then
		update_config ".linux.cgroupsPath = \"/clawrun/$CT\""
	fi
}

# update_config 'jq filter' [BUNDLE_DIR]: rewrite config.json in place.
function update_config() {
	local cfg=${2:-${BUNDLE:-.}}/config.json
	local tmp
	tmp=$(mktemp "$cfg.XXXXXX")
	if ! jq "$1" "$cfg" >"$tmp"; then
		rm -f "$tmp"
		fail "update_config: jq failed on: $1"
		return 1
	fi
	mv "$tmp" "$cfg"
}

# json_array ARG...: a JSON array of strings (jq 1.6 has no "--args --").
function json_array() {
	local a i=0 jargs=() names=()
	for a in "$@"; do
		jargs+=(--arg "a$i" "$a")
		names+=("\$a$i")
		i=$((i + 1))
	done
	jq -cn "${jargs[@]}" "[$(IFS=,; echo "${names[*]}")]"
}

# set_args ARG...: the container's process.args.
function set_args() {
	update_config ".process.args = $(json_array "$@")"
}

# The root filesystem is read-only in `runc spec`'s config; many tests write.
function make_rootfs_writable() {
	update_config '.root.readonly = false'
}

# set_cgroups_path [LEAF]: linux.cgroupsPath = /clawrun-test-<pid>/LEAF (default $CT).
# teardown checks the directory is gone and removes the test's parent directory.
function set_cgroups_path() {
	local leaf=${1:-$CT}
	TEST_CGROUP_PARENT=/clawrun-test-$$
	TEST_CGROUP=$TEST_CGROUP_PARENT/$leaf
	echo "$TEST_CGROUP" >>"$TESTDIR/cgroups"
	update_config ".linux.cgroupsPath = \"$TEST_CGROUP\""
}

# ---------------------------------------------------------------------------
# Running the runtime

# Raw call: no output capture, global flags and --root prepended, fd 3 (bats' own
# output) closed so that no container can keep bats waiting.
function __clawrun() {
	__track "$@"
	timeout -k 5 "$CLAWRUN_TIMEOUT" "$CLAWRUN" --root "$ROOT" "$@" 3>&-
}

# Split a command line into the subcommand and its arguments, skipping the global
# flags.  Sets _SUBCMD and _SUBARGS.
function __parse_cmdline() {
	_SUBCMD=""
	_SUBARGS=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--root | --log | --log-format | --criu)
			shift 2
			continue
			;;
		--*=* | --debug | --systemd-cgroup | --rootless | --help | -h | --version | -v)
			shift
			continue
			;;
		esac
		_SUBCMD=$1
		shift
		_SUBARGS=("$@")
		return
	done
}

# For create/run: the bundle directory given by -b/--bundle (default: cwd).
function __bundle_of() {
	local b=$PWD
	while [ $# -gt 0 ]; do
		case "$1" in
		-b | --bundle) b=$2; shift 2; continue ;;
		--bundle=*) b=${1#--bundle=} ;;
		esac
		shift
	done
	echo "$b"
}

# Record the ids of containers a test creates so that teardown can check them.
function __track() {
	__parse_cmdline "$@"
	case "$_SUBCMD" in
	create | run) ;;
	*) return 0 ;;
	esac
	[ ${#_SUBARGS[@]} -gt 0 ] || return 0
	local id=${_SUBARGS[${#_SUBARGS[@]} - 1]}
	case "$id" in -*) return 0 ;; esac
	echo "$id" >>"$TESTDIR/ids"
	# runc sanity-check mode: never let runc nest under our own cgroup.
	if [ "$IS_RUNC" = 1 ] && __sane_id "$id"; then
		local bundle cfg cg
		bundle=$(__bundle_of "${_SUBARGS[@]}")
		cfg=$bundle/config.json
		if [ -f "$cfg" ] && jq -e . "$cfg" >/dev/null 2>&1; then
			cg=$(jq -r '.linux.cgroupsPath // ""' "$cfg")
			# Empty, or set by this wrapper for an earlier container of the same bundle.
			if [ -z "$cg" ] || [[ "$cg" == /clawrun/* ]]; then
				update_config ".linux.cgroupsPath = \"/clawrun/$id\"" "$bundle"
			elif [[ "$cg" != /* ]]; then
				update_config ".linux.cgroupsPath = \"/clawrun/$cg\"" "$bundle"
			fi
		fi
	fi
}

# Does this invocation leave a process running with our stdio (create, run -d,
# exec -d)?  Those get files instead of bats' capture pipe, which would otherwise
# stay open (and `run` block) for as long as the container lives.
function __detaches() {
	case "$_SUBCMD" in
	create) return 0 ;;
	run | exec)
		local a
		for a in "${_SUBARGS[@]}"; do
			case "$a" in
			-d | --detach) return 0 ;;
			--) return 1 ;;
			esac
		done
		;;
	esac
	return 1
}

# clawrun ARG...: like bats' `run`: sets $status, $output and $lines.  Prints the
# command and its output to stderr (bats shows it only when the test fails).
function clawrun() {
	__parse_cmdline "$@"
	if __detaches; then
		IO_SEQ=$((IO_SEQ + 1))
		local log=$TESTDIR/io/$IO_SEQ.log
		status=0
		__clawrun "$@" </dev/null >"$log" 2>&1 || status=$?
		output=$(cat "$log")
		# create / run -d: the container keeps writing to this file.
		if [ "$_SUBCMD" != exec ] && [ $status -eq 0 ]; then
			ln -sfn "$IO_SEQ.log" "$TESTDIR/io/ct-${_SUBARGS[${#_SUBARGS[@]} - 1]//\//_}.log"
		fi
		mapfile -t lines <<<"$output"
		[ -n "$output" ] || lines=()
	else
		run __clawrun "$@"
	fi
	echo "clawrun $* (status=$status):" >&2
	echo "$output" >&2
	return 0
}

# ct_output ID: what the container created by `create`/`run -d` wrote so far.
function ct_output() {
	cat "$TESTDIR/io/ct-${1//\//_}.log" 2>/dev/null
}

# wait_for_output ID STRING [TIMEOUT_S]: poll until the container's output contains
# STRING.
function wait_for_output() {
	local id=$1 want=$2 timeout=${3:-5}
	local deadline=$((SECONDS + timeout + 1)) i=0
	while :; do
		[[ "$(ct_output "$id")" == *"$want"* ]] && return 0
		i=$((i + 1))
		if [ $SECONDS -ge $deadline ] && [ $i -gt 10 ]; then
			echo "timeout waiting for '$want' in the output of $id: $(ct_output "$id")" >&2
			return 1
		fi
		sleep 0.02
	done
}

# poll TIMEOUT_S COMMAND...: run COMMAND every 20 ms until it succeeds.
function poll() {
	local timeout=$1 i=0
	shift
	local deadline=$((SECONDS + timeout + 1))
	while :; do
		"$@" && return 0
		i=$((i + 1))
		if [ $SECONDS -ge $deadline ] && [ $i -gt 10 ]; then
			echo "timeout: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# retry ATTEMPTS DELAY COMMAND...: runc's helper.
function retry() {
	local attempts=$1 delay=$2 i
	shift 2
	for ((i = 0; i < attempts; i++)); do
		run "$@"
		[ "$status" -eq 0 ] && return 0
		sleep "$delay"
	done
	echo "Command \"$*\" failed $attempts times. Output: $output" >&2
	false
}

# The status field of `state ID` (empty when state fails).
function ct_status() {
	__clawrun state "$1" 2>/dev/null </dev/null | jq -r '.status // empty' 2>/dev/null
}

# The pid field of `state ID`.
function ct_pid() {
	__clawrun state "$1" 2>/dev/null </dev/null | jq -r '.pid // empty' 2>/dev/null
}

function __has_status() {
	[ "$(ct_status "$1")" = "$2" ]
}

# wait_for_container ID STATUS [TIMEOUT_S]     (clawrun style, 20 ms polls)
# wait_for_container ATTEMPTS DELAY ID [STATUS] (runc's style)
function wait_for_container() {
	if [ $# -ge 3 ] && [[ "$1" =~ ^[0-9]+$ ]] && [[ "$2" =~ ^[0-9.]+$ ]]; then
		local attempts=$1 delay=$2 id=$3 want=${4:-}
		local i
		for ((i = 0; i < attempts; i++)); do
			if [ -n "$want" ]; then
				__has_status "$id" "$want" && return 0
			else
				__clawrun state "$id" >/dev/null 2>&1 && return 0
			fi
			sleep "$delay"
		done
		echo "container $id did not reach '${want:-existing}': $(ct_status "$id")" >&2
		return 1
	fi
	local id=$1 want=$2 timeout=${3:-5}
	poll "$timeout" __has_status "$id" "$want" || {
		echo "container $id is '$(ct_status "$id")', wanted '$want'" >&2
		return 1
	}
}

# testcontainer ID STATUS: `state ID` succeeds and reports STATUS.
function testcontainer() {
	clawrun state "$1"
	[ "$status" -eq 0 ] || fail "state $1 failed: $output"
	local got
	got=$(jq -r .status <<<"$output") || fail "state $1: not JSON: $output"
	[ "$got" = "$2" ] || fail "container $1 is '$got', expected '$2'"
}

# Convenience: create ID (bundle = cwd) and check it is "created".
function create_container() {
	local id=${1:-$CT}
	clawrun create "$id"
	[ "$status" -eq 0 ] || fail "create $id failed: $output"
	testcontainer "$id" created
}

# Convenience: run -d ID and wait for it to be "running".
function run_detached() {
	local id=${1:-$CT}
	clawrun run -d "$id"
	[ "$status" -eq 0 ] || fail "run -d $id failed: $output"
	testcontainer "$id" running
}

# Wait until process PID is gone (or a zombie).
function __pid_gone() {
	local st
	[ -e "/proc/$1" ] || return 0
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ] || [ -z "$st" ]
}
function wait_pid_gone() {
	poll "${2:-5}" __pid_gone "$1"
}

# ---------------------------------------------------------------------------
# cgroups

# cgroup_dirs CGPATH: the directories of cgroup path CGPATH that exist, in every v1
# hierarchy and the unified one.  Never looks outside CGPATH.
function cgroup_dirs() {
	local p=$1 d
	[ -n "$p" ] && [ "$p" != / ] || return 0
	for d in /sys/fs/cgroup/*"$p" /sys/fs/cgroup"$p"; do
		[ -d "$d" ] && echo "$d"
	done | sort -u
}

# pids_in_cgroup CGPATH: host pids whose memory (or unified) cgroup is CGPATH or below.
function pids_in_cgroup() {
	local p=$1 re
	re=$(printf '%s' "$p" | sed 's/[.[\*^$+?(){}|]/\\&/g')
	grep -lE "^[0-9]+:(memory|):${re}(/|\$)" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3 | sort -un
}

# ---------------------------------------------------------------------------
# The console socket (a small receiver in python3, like runc's recvtty)

function __write_recvtty() {
	cat >"$TESTDIR/recvtty.py" <<'PY'
# recvtty.py SOCKET OUT [INPUT]: accept one connection on the unix socket SOCKET,
# receive one fd (the pty master) with SCM_RIGHTS, write the payload name to OUT.name,
# send INPUT (if given) to the master, then copy everything from the master to OUT
# until the pty hangs up.
import array, os, socket, sys

path, out = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
with open(out + ".ready", "w") as f:
    f.write(str(os.getpid()))
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, flags, addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
for level, typ, cdata in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
with open(out + ".name", "wb") as f:
    f.write(msg)
with open(out + ".nfds", "w") as f:
    f.write(str(len(fds)))
if not fds:
    sys.exit(1)
master = fds[0]
conn.close()
srv.close()
if data:
    os.write(master, data)
with open(out, "ab", buffering=0) as f:
    while True:
        try:
            b = os.read(master, 4096)
        except OSError:
            break
        if not b:
            break
        f.write(b)
PY
}

# setup_recvtty [INPUT]: start the receiver; sets CONSOLE_SOCKET and TTY_OUT.
function setup_recvtty() {
	requires python3
	__write_recvtty
	CONSOLE_SOCKET=$TESTDIR/console.sock
	TTY_OUT=$TESTDIR/tty.out
	rm -f "$CONSOLE_SOCKET" "$TTY_OUT".*
	python3 "$TESTDIR/recvtty.py" "$CONSOLE_SOCKET" "$TTY_OUT" "$@" </dev/null >/dev/null 2>"$TESTDIR/recvtty.err" 3>&- &
	RECVTTY_PID=$!
	echo "$RECVTTY_PID" >>"$TESTDIR/pids"
	poll 5 test -e "$TTY_OUT.ready" || fail "recvtty did not start: $(cat "$TESTDIR/recvtty.err")"
	export CONSOLE_SOCKET TTY_OUT
}

# run_in_pty COMMAND_STRING: like `run`, with COMMAND_STRING (a shell command) started
# by script(1) on a new pty: its controlling terminal, stdin, stdout and stderr.
# Every fd above 2 is closed first (an inherited bats pipe keeps a foreground tty
# proxy waiting).
function run_in_pty() {
	requires script
	run __in_pty "$1"
}
function __in_pty() {
	local f fd
	for f in /proc/"$BASHPID"/fd/*; do
		fd=${f##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
	done
	script -qec "$1" /dev/null </dev/null
}

# wait_for_tty_output STRING [TIMEOUT_S]
function wait_for_tty_output() {
	poll "${2:-5}" grep -qF -- "$1" "$TTY_OUT" || {
		echo "tty output: $(cat "$TTY_OUT" 2>/dev/null)" >&2
		return 1
	}
}

# ---------------------------------------------------------------------------
# Static helper programs for the container (compiled once, cached in tests/.work)

# build_helper NAME SOURCE_TEXT: echo the path of a static binary built from the C
# source SOURCE_TEXT; rebuilt when the text changes.
function build_helper() {
	local name=$1 src=$2 hash dir bin
	requires gcc_static
	hash=$(printf '%s' "$src" | sha256sum | cut -c1-16)
	dir=$WORK_DIR/helpers
	bin=$dir/$name-$hash
	if [ ! -x "$bin" ]; then
		mkdir -p "$dir"
		printf '%s' "$src" >"$dir/$name-$hash.c"
		gcc -static -O1 -o "$bin.tmp.$$" "$dir/$name-$hash.c" >&2 || fail "cannot build helper $name"
		mv "$bin.tmp.$$" "$bin"
	fi
	echo "$bin"
}

# install_helper NAME SOURCE_TEXT: build it and copy it to the bundle's /bin/NAME.
function install_helper() {
	local bin
	bin=$(build_helper "$1" "$2") || return 1
	cp "$bin" "$BUNDLE/rootfs/bin/$1"
}

# ---------------------------------------------------------------------------
# Teardown: delete everything, then check that nothing is left.

function __regex_escape() {
	printf '%s' "$1" | sed 's/[.[\*^$+?(){}|]/\\&/g'
}

# Host pids of runtime processes started with our --root still running.  The
# bracket trick keeps grep from matching its own command line.
function __runtime_pids_of_test() {
	[ -n "${TESTDIR:-}" ] || return 0
	local re
	re=$(__regex_escape "$TESTDIR")
	re="[${re:0:1}]${re:1}"
	grep -laE -- "$re" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | while read -r p; do
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] || echo "$p"
	done
}

# Ids that name exactly one directory (invalid ones are tested, never cleaned up by
# path).
function __sane_id() {
	[ -n "$1" ] && [ "$1" != . ] && [ "$1" != .. ] && [[ "$1" != */* ]] && [ ${#1} -le 200 ]
}

function teardown_bundle() {
	[ -n "${TESTDIR:-}" ] || return 0
	cd "$INTEGRATION_ROOT" || true
	local problems=() ids=() id p pids cg d

	# Helper processes this test started (recvtty...).
	if [ -s "$TESTDIR/pids" ]; then
		while read -r p; do
			[ -n "$p" ] && kill -9 "$p" 2>/dev/null && wait_pid_gone "$p" 2
		done <"$TESTDIR/pids"
	fi

	# Every container the runtime knows about, and every id the test used.
	mapfile -t ids < <(
		{
			__clawrun list -q 2>/dev/null </dev/null
			cat "$TESTDIR/ids"
		} | awk 'NF && !seen[$0]++'
	)
	for id in "${ids[@]}"; do
		__sane_id "$id" || continue
		__clawrun delete --force "$id" </dev/null >/dev/null 2>&1
	done

	# Runtime processes of this test still alive (a hung create, a killed run...).
	pids=$(__runtime_pids_of_test)
	if [ -n "$pids" ]; then
		problems+=("runtime processes left: $(echo $pids)")
		for p in $pids; do kill -9 "$p" 2>/dev/null; done
	fi

	local cgpaths=()
	for id in "${ids[@]}"; do
		__sane_id "$id" || continue
		cgpaths+=("/clawrun/$id")
		if [ -e "$ROOT/$id" ]; then
			problems+=("state directory left: $ROOT/$id")
		fi
	done
	while read -r cg; do
		[ -n "$cg" ] && cgpaths+=("$cg")
	done <"$TESTDIR/cgroups"

	for cg in "${cgpaths[@]}"; do
		pids=$(pids_in_cgroup "$cg")
		if [ -n "$pids" ]; then
			problems+=("processes left in $cg: $(echo $pids)")
			for p in $pids; do kill -9 "$p" 2>/dev/null; done
		fi
		d=$(cgroup_dirs "$cg")
		if [ -n "$d" ]; then
			problems+=("cgroup left: $(echo $d)")
			# Remove them so that one failure does not cascade (children first).
			for p in $pids; do wait_pid_gone "$p" 2 2>/dev/null; done
			echo "$d" | sort -r | while read -r p; do rmdir "$p" 2>/dev/null; done
		fi
	done

	# A runtime that nests below its caller's cgroup would have written into the
	# host's control cgroup (process_api), which must never be touched: report it
	# (read-only check; nothing there is ever removed by the tests).
	local ctl
	for ctl in /sys/fs/cgroup/*/process_api; do
		[ -d "$ctl" ] || continue
		for id in "${ids[@]}"; do
			__sane_id "$id" || continue
			d=$(find "$ctl" -maxdepth 4 -type d -name "$id" 2>/dev/null)
			[ -z "$d" ] || problems+=("a cgroup was created under the host's process_api: $d (not removed: fix the runtime; never nest under the caller's cgroup)")
		done
	done

	# The test's own cgroup parents (set_cgroups_path): remove them once empty.
	if [ -n "${TEST_CGROUP_PARENT:-}" ]; then
		for d in /sys/fs/cgroup/*"$TEST_CGROUP_PARENT" /sys/fs/cgroup"$TEST_CGROUP_PARENT"; do
			[ -d "$d" ] || continue
			find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
			rmdir "$d" 2>/dev/null || problems+=("cannot remove $d")
		done
	fi
	# runc leaves the (empty) parent /clawrun behind; clawrun removes it itself.
	if [ "$IS_RUNC" = 1 ]; then
		for d in /sys/fs/cgroup/*/clawrun /sys/fs/cgroup/clawrun; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
	fi

	rm -rf "$TESTDIR"
	unset TESTDIR ROOT BUNDLE

	if [ ${#problems[@]} -gt 0 ]; then
		printf 'teardown: %s\n' "${problems[@]}" >&2
		return 1
	fi
}
