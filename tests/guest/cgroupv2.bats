#!/usr/bin/env bats
# clawrun's cgroup v2 behaviour, tested in the pure cgroup-v2 guest (scripts/guest/run):
# this host has hybrid cgroups.  Run on the host, after `make clawrun`:
#   bats tests/guest/cgroupv2.bats
#
# setup_file makes a busybox bundle with scripts/mkbundle here (its cache is read-only in
# the guest, and building one there costs ~30 s of emulation), then boots the guest ONCE
# to run tests/guest/inner-cgroupv2.bats; each "inside:" test below reports one of its
# results.  Every test skips, with the reason, when the guest cannot be built or started
# here (scripts/guest/run exits 77).  About 50 s: a 4 s boot, bats' own ~4 s start and
# ~1 s per test under emulation, and the cpu and io tests' 2 s workloads.
#
# CLAWRUN selects the binary (default ./clawrun); it must be outside /tmp (the guest
# has its own /tmp).

# The whole file must stay under 90 s: the guest is killed (exit status 124) at this.
GUEST_RUN_TIMEOUT=${GUEST_RUN_TIMEOUT:-80}

setup_file() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export REPO
	cd "$REPO"
	local out=$BATS_FILE_TMPDIR
	CLAWRUN=${CLAWRUN:-$REPO/clawrun}
	export CLAWRUN
	: >"$out/setup.err"
	if [ ! -x "$CLAWRUN" ]; then
		echo "no clawrun binary at $CLAWRUN: run 'make clawrun' first" >"$out/setup.err"
		return 0
	fi
	case "$CLAWRUN" in "$REPO"/*) ;; /tmp/*)
		echo "CLAWRUN=$CLAWRUN is under /tmp outside the checkout, which the guest does not see" >"$out/setup.err"
		return 0
		;;
	esac
	# Under tests/.work (ignored by git, visible read-only in the guest); one directory
	# per run, removed by teardown_file.
	mkdir -p "$REPO/tests/.work"
	WORKDIR=$(mktemp -d "$REPO/tests/.work/guest-cgroupv2.XXXXXX")
	export WORKDIR
	if ! scripts/mkbundle "$WORKDIR/bundle" sh >"$out/setup.err" 2>&1; then
		echo "scripts/mkbundle failed: $(cat "$out/setup.err")" >"$out/setup.err"
		return 0
	fi
	local rc=0 start=$SECONDS
	scripts/guest/run --timeout "$GUEST_RUN_TIMEOUT" -e "CGV2_BUNDLE=$WORKDIR/bundle" \
		-e "CLAWRUN=$CLAWRUN" -- bats --tap tests/guest/inner-cgroupv2.bats \
		>"$out/inner.tap" 2>"$out/inner.err" || rc=$?
	echo "$rc" >"$out/inner.rc"
	echo $((SECONDS - start)) >"$out/inner.seconds"
}

teardown_file() {
	if [ -n "${WORKDIR:-}" ] && [[ "$WORKDIR" == "$REPO"/tests/.work/guest-cgroupv2.* ]]; then
		rm -rf "$WORKDIR"
	fi
}

# Fail when setup_file could not get as far as booting the guest; skip when the guest
# is unavailable here (77), with the reason it gave.
need_guest() {
	local f=$BATS_FILE_TMPDIR
	if [ -s "$f/setup.err" ] && [ ! -e "$f/inner.rc" ]; then
		cat "$f/setup.err"
		return 1
	fi
	if [ "$(cat "$f/inner.rc")" = 77 ]; then
		skip "guest unavailable: $(tail -n 1 "$f/inner.err")"
	fi
}

show_inner() {
	local f=$BATS_FILE_TMPDIR
	echo "--- in-guest TAP (exit status $(cat "$f/inner.rc"), $(cat "$f/inner.seconds") s):"
	cat "$f/inner.tap"
	echo "--- stderr:"
	cat "$f/inner.err"
}

# inner_ok NAME: the in-guest test whose name starts with NAME passed (not skipped).
inner_ok() {
	need_guest
	show_inner
	local line
	line=$(grep -E "^(not )?ok [0-9]+ " "$BATS_FILE_TMPDIR/inner.tap" | grep -F " $1" | head -n 1)
	[ -n "$line" ] || { echo "no in-guest result for: $1"; return 1; }
	[[ "$line" == ok* ]] || { echo "failed in the guest: $line"; return 1; }
	[[ "$line" != *"# skip"* ]] || { echo "skipped in the guest: $line"; return 1; }
}

@test "inside: the whole in-guest suite passed, within the time limit" {
	need_guest
	show_inner
	[ "$(cat "$BATS_FILE_TMPDIR/inner.rc")" = 0 ]
	grep -q '^1\.\.[1-9]' "$BATS_FILE_TMPDIR/inner.tap"
	run grep -c '^not ok' "$BATS_FILE_TMPDIR/inner.tap"
	[ "$output" = 0 ]
	[ "$(cat "$BATS_FILE_TMPDIR/inner.seconds")" -lt "$GUEST_RUN_TIMEOUT" ]
}

@test "inside: create puts init straight into /clawrun/<id> (clone3 CLONE_INTO_CGROUP)" {
	inner_ok "create: init is cloned straight into the default cgroup"
}

@test "inside: memory limit 32M -> memory.max; 64M allocation OOM-killed (137, oom_kill)" {
	inner_ok "memory: limit 32M"
}

@test "inside: pids limit 20 -> pids.max; a fork loop gets EAGAIN, the container survives" {
	inner_ok "pids: limit 20"
}

@test "inside: cpu quota 50000/100000 -> cpu.max; a 2 s busy loop gets ~1 s of CPU" {
	inner_ok "cpu: quota 50000/100000"
}

@test "inside: throttleReadBpsDevice -> io.max rbps; direct reads are throttled" {
	inner_ok "io: throttleReadBpsDevice"
}

@test "inside: the BPF device program denies a node without an allow rule (EPERM)" {
	inner_ok "devices: the BPF program denies"
}

@test "inside: pause/resume -> cgroup.freeze 1/0, state paused/running" {
	inner_ok "pause/resume"
}

@test "inside: kill --all KILL empties the cgroup via cgroup.kill; delete removes it" {
	inner_ok "kill --all KILL"
}

@test "inside: delete --force of a running, forking container removes its cgroup" {
	inner_ok "delete --force of a running"
}

@test "inside: update --memory/--pids-limit live; events --stats reports usage" {
	inner_ok "update --memory 64m --pids-limit 30"
}

@test "inside: a limit the kernel rejects fails create, naming the file, leaving nothing" {
	inner_ok "unified memory.foo"
}
