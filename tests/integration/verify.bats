#!/usr/bin/env bats
# clawrun verify [--image IMAGE] [--keep-going] [--verbose], and its checker
# (tools/check/check.c, build/clawrun-check).
#
# Escape attempts run inside sessions only.  The negative controls that run the
# checker on the host are the read-only ones (caps, host-pids, host-file,
# docker-socket, setuid through a copy that refuses everything but report-euid); the
# others run in deliberately weakened sessions (--cap-add, --seccomp unconfined).

load helpers

setup() {
	requires root clawrun
	setup_root
	CHECKER=$(dirname "$CLAWRUN")/build/clawrun-check
	[ -x "$CHECKER" ] || CHECKER=$(dirname "$CLAWRUN")/../libexec/clawrun/clawrun-check
	[ -x "$CHECKER" ] || fail "clawrun-check not built (make)"
	mounts_before=$(grep -c . /proc/self/mountinfo)
	verify_tmp_before=$(ls -d /tmp/clawrun-verify* 2>/dev/null | sort)
	verify_cg_before=$(ls -d /sys/fs/cgroup/*/clawrun/verify-* /sys/fs/cgroup/clawrun/verify-* 2>/dev/null | sort)
}

teardown() {
	[ -z "${NEGDIR:-}" ] || rm -rf "$NEGDIR"
	teardown_bundle
}

# verify ARG...: `clawrun --root $ROOT verify ARG...` (like bats' run)
function verify() {
	run timeout -k 5 120 "$CLAWRUN" --root "$ROOT" verify "$@"
	echo "verify $* (status=$status):" >&2
	echo "$output" >&2
}

# every description, in the order verify prints them
DESCRIPTIONS=(
	"cannot read host files"
	"cannot see host processes"
	"cannot reach the Docker socket"
	"cannot write the root filesystem"
	"cannot gain privileges through a setuid binary"
	"has no capabilities"
	"cannot reach a blocked address"
	"cannot mount"
	"cannot ptrace"
	"memory limit holds"
	"pids limit holds"
	"workspace limit holds"
	"timeout ends the session (SIGTERM ignored, double fork)"
	"leaves nothing behind"
)

function all_passed() {
	[ "$status" -eq 0 ] || fail "verify exited $status"
	local d n
	n=$(printf '%s\n' "$output" | grep -c '^✓ ')
	[ "$n" -eq ${#DESCRIPTIONS[@]} ] || fail "expected ${#DESCRIPTIONS[@]} ✓ lines, got $n"
	! printf '%s\n' "$output" | grep -q '^✗ ' || fail "a ✗ line"
	for d in "${DESCRIPTIONS[@]}"; do
		[ "$(printf '%s\n' "$output" | grep -cF -- "✓ $d")" -eq 1 ] || fail "no single line for: $d"
	done
	[ "${lines[${#lines[@]} - 1]}" = "${#DESCRIPTIONS[@]} checks, 0 failed" ] || fail "bad summary: ${lines[${#lines[@]} - 1]}"
}

function nothing_left() {
	[ -z "$("$CLAWRUN" --root "$ROOT" list -q 2>/dev/null)" ] || fail "containers left: $("$CLAWRUN" --root "$ROOT" list -q)"
	[ -z "$(ls -A "$ROOT/sessions" 2>/dev/null)" ] || fail "session dirs left: $(ls "$ROOT/sessions")"
	[ "$(ls -d /sys/fs/cgroup/*/clawrun/verify-* /sys/fs/cgroup/clawrun/verify-* 2>/dev/null | sort)" = "$verify_cg_before" ] ||
		fail "verify cgroups left"
	[ "$(ls -d /tmp/clawrun-verify* 2>/dev/null | sort)" = "$verify_tmp_before" ] || fail "temp files left in /tmp"
	[ "$(grep -c . /proc/self/mountinfo)" -le "$mounts_before" ] || fail "mounts left on the host"
	[ -z "$(__runtime_pids_of_test)" ] || fail "runtime processes left"
}

@test "verify: every check passes on this host, one line each" {
	SECONDS=0
	verify
	all_passed
	# the timeout session dominates: 3 s + 1 s grace, the others overlap it
	[ "$SECONDS" -lt 30 ]
	nothing_left
}

@test "verify --verbose: shows what each check tried" {
	verify --verbose
	all_passed
	[[ "$output" == *"EROFS"* ]]
	[[ "$output" == *"OOM-killed"* ]]
	[[ "$output" == *"status 124 after"* ]]
	[[ "$output" == *"euid 1000"* ]]
	nothing_left
}

@test "verify --image: a busybox directory image passes" {
	"$MKBUNDLE" "$TESTDIR/bundle" >/dev/null
	verify --image "$TESTDIR/bundle/rootfs"
	all_passed
	[[ "$output" == *"$TESTDIR/bundle/rootfs"* ]]
	# the image is untouched: the checker was bind-mounted, not copied in
	[ ! -e "$TESTDIR/bundle/rootfs/clawrun-check" ]
	[ ! -e "$TESTDIR/bundle/rootfs/check-suid" ]
	nothing_left
}

@test "verify --image oci:LAYOUT passes" {
	requires python3
	"$REPO_ROOT/scripts/mkimage-oci" "$TESTDIR/oci" >/dev/null
	verify --image "oci:$TESTDIR/oci"
	all_passed
	nothing_left
}

@test "verify: a broken image fails, stops after the first session, exits 1, leaves nothing" {
	verify --image "$TESTDIR/no-such-image"
	[ "$status" -eq 1 ]
	[[ "${lines[1]}" == "✗ cannot read host files: no result (session exit status 1: "*"no-such-image"* ]]
	[[ "$output" == *"- memory limit holds: not run"* ]]
	[[ "$output" == *"- timeout ends the session (SIGTERM ignored, double fork): not run"* ]]
	[ "${lines[${#lines[@]} - 1]}" = "14 checks, 9 failed, 4 not run" ]
	verify --image "$TESTDIR/no-such-image" --keep-going
	[ "$status" -eq 1 ]
	[ "${lines[${#lines[@]} - 1]}" = "14 checks, 13 failed" ]
	nothing_left
}

@test "verify: ^C ends the sessions, reports them as not run, leaves nothing" {
	"$CLAWRUN" --root "$ROOT" verify >"$TESTDIR/out" 2>&1 3>&- &
	local pid=$!
	sleep 1.5 # the timeout session is running now
	kill -INT "$pid"
	local st=0
	wait "$pid" || st=$?
	cat "$TESTDIR/out" >&2
	[ "$st" -eq 130 ]
	grep -q "not run: interrupted" "$TESTDIR/out"
	nothing_left
}

@test "verify: --help, bad options" {
	verify --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: clawrun verify"* ]]
	[[ "$output" == *"--image"* ]]
	[[ "$output" == *"--keep-going"* ]]
	verify --bogus
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	verify extra-arg
	[ "$status" -eq 1 ]
	[ ! -e "$ROOT" ]
}

# ---- negative controls: the checks can fail ----

@test "checker: read-only checks report FAIL on the unsandboxed host" {
	# caps: root on the host has capabilities
	run "$CHECKER" caps
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL caps: "* ]]
	# host-pids: our own pid is visible
	run "$CHECKER" host-pids $$
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL host-pids: "*"is visible"* ]]
	# host-file: a canary on the host is readable
	echo "canary-$$-token" >"$TESTDIR/canary"
	run "$CHECKER" host-file "$TESTDIR/canary" "canary-$$-token"
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL host-file: read the host's"* ]]
	# the same path with another content is not the canary
	run "$CHECKER" host-file "$TESTDIR/canary" other-token
	[ "$status" -eq 0 ]
	[[ "$output" == "ok host-file: "* ]]
}

@test "checker: docker-socket reports FAIL when a socket answers" {
	requires python3
	python3 - "$TESTDIR/fake.sock" "$CHECKER" >"$TESTDIR/out" <<-'PY'
		import socket, subprocess, sys
		s = socket.socket(socket.AF_UNIX)
		s.bind(sys.argv[1])
		s.listen(1)
		r = subprocess.run([sys.argv[2], "docker-socket", sys.argv[1]], stdout=subprocess.PIPE)
		print(r.returncode, r.stdout.decode().strip())
	PY
	cat "$TESTDIR/out" >&2
	[[ "$(cat "$TESTDIR/out")" == "1 FAIL docker-socket: connected to $TESTDIR/fake.sock" ]]
}

@test "checker: setuid reports FAIL without no_new_privs; the setuid copy runs nothing else" {
	NEGDIR=$(mktemp -d /tmp/clawrun-negctl.XXXXXX)
	chmod 0755 "$NEGDIR"
	cp "$CHECKER" "$NEGDIR/check-suid"
	chown 0:0 "$NEGDIR/check-suid"
	chmod 4755 "$NEGDIR/check-suid"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CHECKER" setuid "$NEGDIR/check-suid"
	[ "$status" -eq 1 ]
	[ "$output" = "FAIL setuid: a setuid-root binary ran with euid 0" ]
	# the setuid copy refuses any real check
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NEGDIR/check-suid" caps
	[ "$status" -eq 2 ]
	[[ "$output" == *"refusing to run setuid"* ]]
}

function make_image() {
	BUNDLE=$TESTDIR/bundle
	"$MKBUNDLE" "$BUNDLE" >/dev/null || fail "mkbundle failed"
}

# weak_session CHECKER-ARGS... with extra session options in SESSION_OPTS
function weak_session() {
	run timeout -k 5 60 "$CLAWRUN" --root "$ROOT" run --image "$BUNDLE/rootfs" --name "$CT" \
		-v "$CHECKER:/clawrun-check:ro" "${SESSION_OPTS[@]}" -- /clawrun-check "$@"
	echo "session ${SESSION_OPTS[*]} $* (status=$status):" >&2
	echo "$output" >&2
}

@test "checker: weakened sessions make caps, ptrace and mount FAIL" {
	make_image
	SESSION_OPTS=()
	weak_session caps
	[ "$status" -eq 0 ]
	[[ "$output" == "ok caps: "* ]]

	SESSION_OPTS=(--cap-add SYS_ADMIN)
	weak_session caps
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL caps: "* ]]

	SESSION_OPTS=(--seccomp unconfined)
	weak_session ptrace
	[ "$status" -eq 1 ]
	[ "$output" = "FAIL ptrace: PTRACE_TRACEME succeeded" ]

	# without seccomp, a new user namespace gives CAP_SYS_ADMIN over a new mount namespace
	SESSION_OPTS=(--seccomp unconfined)
	weak_session mount
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL mount: mount tmpfs: EPERM, but mounted a tmpfs after unshare(CLONE_NEWUSER|CLONE_NEWNS)" ]]

	SESSION_OPTS=(-u 0:0 --cap-add SYS_ADMIN --seccomp unconfined)
	weak_session mount
	[ "$status" -eq 1 ]
	[ "$output" = "FAIL mount: mounted a tmpfs on /tmp" ]
	nothing_left
}

@test "checker: write-root reports FAIL in a container with a writable root" {
	make_image
	cp "$CHECKER" "$BUNDLE/rootfs/clawrun-check"
	set_args /clawrun-check write-root
	make_rootfs_writable
	cd "$BUNDLE"
	clawrun run "$CT"
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL write-root: created /.clawrun-check-"* ]]
	[ -z "$(ls -A "$BUNDLE/rootfs" | grep clawrun-check-)" ] # it removed what it made
}

@test "checker: the resource checks FAIL without the limits" {
	make_image
	# generous limits: the same attacks then succeed
	SESSION_OPTS=(--memory 1g --pids-limit 200 --workspace-size 256m)
	weak_session all memory 96 , pids 40 , workspace 24
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "FAIL memory: allocated and touched 96 MiB"* ]]
	[[ "${lines[1]}" == "FAIL pids: forked 40 processes"* ]]
	[[ "${lines[2]}" == "FAIL workspace: wrote 24 MiB into /workspace" ]]
	nothing_left
}

@test "checker: usage errors exit 2; timeout refuses to run in all" {
	run "$CHECKER"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: clawrun-check CHECK"* ]]
	run "$CHECKER" no-such-check
	[ "$status" -eq 2 ]
	[[ "$output" == *'unknown check "no-such-check"'* ]]
	run "$CHECKER" all timeout
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL timeout: cannot run in \"all\""* ]]
	# bad arguments are a FAIL (cannot verify), never an ok
	run "$CHECKER" memory lots
	[ "$status" -eq 1 ]
	[[ "$output" == "FAIL memory: usage"* ]]
}
