#!/usr/bin/env bats
# run: create + start + wait (+ delete unless --keep), or -d.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "run prints the process's output and exits 0" {
	set_args echo hello world
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = "hello world" ]
}

@test "run exits with the process's exit status" {
	set_args sh -c 'exit 42'
	clawrun run "$CT"
	[ "$status" -eq 42 ]
}

@test "run exits 128+N when the process is killed by signal N" {
	set_args sleep 1000
	(
		rc=0
		__clawrun run "$CT" </dev/null >/dev/null 2>&1 || rc=$?
		echo "$rc" >"$TESTDIR/rc"
	) &
	wait_for_container "$CT" running
	clawrun kill "$CT" KILL
	[ "$status" -eq 0 ]
	poll 10 test -s "$TESTDIR/rc"
	[ "$(cat "$TESTDIR/rc")" -eq 137 ]
}

@test "run keeps stdout and stderr apart" {
	set_args sh -c 'echo to-out; echo to-err >&2'
	__clawrun run "$CT" >"$TESTDIR/out" 2>"$TESTDIR/err" </dev/null
	[ "$(cat "$TESTDIR/out")" = to-out ]
	[ "$(cat "$TESTDIR/err")" = to-err ]
}

@test "run passes stdin through" {
	set_args sh -c 'read line; echo "got:$line"'
	run bash -c "echo hello-stdin | timeout -k 5 20 '$CLAWRUN' --root '$ROOT' run '$CT' 3>&-"
	[ "$status" -eq 0 ]
	[ "$output" = "got:hello-stdin" ]
}

@test "run without --keep removes the container" {
	set_args true
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ]
}

@test "run --keep leaves a stopped container" {
	set_args true
	clawrun run --keep "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" stopped
	clawrun delete "$CT"
	[ "$status" -eq 0 ]
}

@test "run -d returns with the container running" {
	set_args sleep 1000
	clawrun run -d "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" running
}

@test "run --detach --pid-file writes the pid" {
	set_args sleep 1000
	clawrun run --detach --pid-file "$TESTDIR/pid" "$CT"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/pid")" = "$(ct_pid "$CT")" ]
}

@test "run: the process is pid 1 of its pid namespace" {
	set_args sh -c 'echo $$'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "run: the container sees only its own processes" {
	set_args sh -c 'ls -d /proc/[0-9]* | wc -l'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	# sh, ls and wc at most.
	[ "$output" -le 3 ]
}

@test "run sets the hostname from the config" {
	update_config '.hostname = "claw-host"'
	set_args hostname
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = claw-host ]
}

@test "run sets env and cwd from the config" {
	update_config '.process.env = ["PATH=/bin", "A=1", "B=two words"] | .process.cwd = "/tmp"'
	set_args sh -c 'echo "$A|$B|$(pwd)|$PATH"'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = "1|two words|/tmp|/bin" ]
}

@test "run creates a missing cwd" {
	update_config '.process.cwd = "/does/not/exist"'
	make_rootfs_writable
	set_args pwd
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = /does/not/exist ]
}

@test "run as an unprivileged user" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}'
	set_args sh -c 'echo "$(id -u) $(id -g) $(id -G)"'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == "1000 1000 "* ]]
	[[ " $output " == *" 5 "* ]]
	[[ " $output " == *" 100 "* ]]
}

@test "run keeps arguments verbatim" {
	set_args printf '[%s]' 'a b' '$HOME' '' "'q'" '*'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = "[a b][\$HOME][]['q'][*]" ]
}

@test "run applies rlimits" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}]'
	set_args sh -c 'echo "$(ulimit -Sn) $(ulimit -Hn)"'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = "512 1024" ]
}

@test "run applies the umask" {
	update_config '.process.user.umask = 63'
	set_args sh -c umask
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = 0077 ]
}

@test "run of a missing executable fails" {
	set_args /no/such/binary
	clawrun run "$CT"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
}

@test "run: the container is gone from list after a non-kept run" {
	set_args true
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	clawrun list -q
	[ "$status" -eq 0 ]
	[[ "$output" != *"$CT"* ]]
}
