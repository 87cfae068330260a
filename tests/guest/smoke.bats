#!/usr/bin/env bats
# Smoke tests of the pure cgroup-v2 test guest (scripts/guest/run), run on the host.
#
# setup_file boots the guest once to run tests/guest/inner-smoke.bats inside it; the
# "inside:" tests below each check one of its results.  The "run:" tests check
# scripts/guest/run's own contract (one boot each).  Everything skips when the guest
# cannot be built or started here (scripts/guest/run exits 77).
#
# A boot costs ~3-4 s and the in-guest suite ~30 s (software emulation): this file
# takes about a minute.

GUEST_RUN_TIMEOUT=${GUEST_RUN_TIMEOUT:-400}

setup_file() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export REPO
	GUEST=$REPO/scripts/guest/run
	export GUEST
	cd "$REPO"
	local rc=0
	"$GUEST" --timeout "$GUEST_RUN_TIMEOUT" -- bats --tap tests/guest/inner-smoke.bats \
		>"$BATS_FILE_TMPDIR/inner.tap" 2>"$BATS_FILE_TMPDIR/inner.err" || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/inner.rc"
}

# Skip when the guest is unavailable (77), with the reason it gave.
need_guest() {
	if [ "$(cat "$BATS_FILE_TMPDIR/inner.rc")" = 77 ]; then
		skip "guest unavailable: $(tail -n 1 "$BATS_FILE_TMPDIR/inner.err")"
	fi
}

# inner_ok NAME: the in-guest test whose name starts with NAME passed.
inner_ok() {
	need_guest
	echo "--- in-guest TAP (exit status $(cat "$BATS_FILE_TMPDIR/inner.rc")):"
	cat "$BATS_FILE_TMPDIR/inner.tap"
	echo "--- stderr:"
	cat "$BATS_FILE_TMPDIR/inner.err"
	local line
	line=$(grep -E "^(not )?ok [0-9]+ " "$BATS_FILE_TMPDIR/inner.tap" |
		grep -F " $1" | head -n 1)
	[ -n "$line" ] || { echo "no in-guest result for: $1"; return 1; }
	[[ "$line" == ok* ]] || { echo "failed in the guest: $line"; return 1; }
	[[ "$line" != *"# skip"* ]] || { echo "skipped in the guest: $line"; return 1; }
}

@test "inside: the whole in-guest suite passed" {
	need_guest
	cat "$BATS_FILE_TMPDIR/inner.tap" "$BATS_FILE_TMPDIR/inner.err"
	[ "$(cat "$BATS_FILE_TMPDIR/inner.rc")" = 0 ]
	grep -q '^1\.\.[1-9]' "$BATS_FILE_TMPDIR/inner.tap"
	run grep -c '^not ok' "$BATS_FILE_TMPDIR/inner.tap"
	[ "$output" = 0 ]
}

@test "inside: cgroup2 is mounted with memory, pids, cpu and io controllers" {
	inner_ok "cgroup2 is mounted on /sys/fs/cgroup"
}

@test "inside: memory.max=32M OOM-kills a 64M allocation (memory.events oom_kill)" {
	inner_ok "memory.max=32M"
}

@test "inside: pids.max stops a fork loop" {
	inner_ok "pids.max stops a fork loop"
}

@test "inside: overlayfs and pivot_root work" {
	inner_ok "overlayfs mounts, and pivot_root"
}

@test "inside: unshare of every namespace type works" {
	inner_ok "unshare of every namespace type"
}

@test "inside: seccomp and cgroup BPF are available" {
	inner_ok "seccomp filters and cgroup BPF"
}

@test "run: exit status, separate stdout/stderr, cwd, environment, read-only repo, /tmp" {
	need_guest
	cd "$REPO"
	local rc=0
	"$GUEST" -e "SMOKE_VAR=a b 'c'" -- bash -c '
		echo "out:$PWD"
		echo "err:$SMOKE_VAR" >&2
		[ "$(hostname)" = clawrun-guest ] && echo "out:hostname"
		touch "$PWD/.guest-ro-probe" 2>/dev/null || echo "out:repo-ro"
		echo x >/tmp/probe && [ "$(stat -f -c %T /tmp)" = tmpfs ] && echo "out:tmp-rw"
		[ -z "${TMPDIR:-}" ] && echo "out:no-TMPDIR"
		printf "out:[%s]\n" "$@"
		exit 7' arg0 "two words" "it's" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
	echo "status=$rc"
	echo "--- stdout:"; cat "$BATS_TEST_TMPDIR/out"
	echo "--- stderr:"; cat "$BATS_TEST_TMPDIR/err"
	[ "$rc" = 7 ]
	[ ! -e "$REPO/.guest-ro-probe" ]
	diff -u - "$BATS_TEST_TMPDIR/out" <<-EOF
		out:$REPO
		out:hostname
		out:repo-ro
		out:tmp-rw
		out:no-TMPDIR
		out:[two words]
		out:[it's]
	EOF
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "err:a b 'c'" ]
}

@test "run: --timeout kills a command that hangs (exit status 124)" {
	need_guest
	local rc=0 start=$SECONDS
	"$GUEST" --timeout 12 -- sleep 600 >"$BATS_TEST_TMPDIR/out" 2>&1 || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" = 124 ]
	[ $((SECONDS - start)) -lt 30 ]
	grep -q 'timed out' "$BATS_TEST_TMPDIR/out"
}

@test "run: exit status 77 with a reason when qemu is missing" {
	run env GUEST_QEMU=/nonexistent/qemu-system-x86_64 "$BATS_TEST_DIRNAME/../../scripts/guest/run" -- true
	echo "$output"
	[ "$status" = 77 ]
	[[ "$output" == "guest: "*"not installed"* ]]
}
