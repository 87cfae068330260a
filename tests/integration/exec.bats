#!/usr/bin/env bats
# exec: run another process in a running container.

load helpers

setup() {
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

@test "exec runs a command and prints its output" {
	run_detached
	clawrun exec "$CT" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "exec exits with the process's exit status" {
	run_detached
	clawrun exec "$CT" sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "exec exits 128+N when the process is killed by signal N" {
	run_detached
	clawrun exec "$CT" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
}

@test "exec passes options after the id to the process" {
	run_detached
	clawrun exec "$CT" ls -ld /
	[ "$status" -eq 0 ]
	[[ "$output" == d* ]]
}

@test "exec passes stdin through" {
	run_detached
	run bash -c "echo in-data | timeout -k 5 20 '$CLAWRUN' --root '$ROOT' exec '$CT' cat 3>&-"
	[ "$status" -eq 0 ]
	[ "$output" = in-data ]
}

@test "exec into a stopped container fails" {
	set_args true
	clawrun run -d "$CT"
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
	clawrun exec "$CT" true
	[ "$status" -ne 0 ]
}

@test "exec into a missing container fails with 'does not exist'" {
	clawrun exec "$CT" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "exec of a missing executable fails" {
	run_detached
	clawrun exec "$CT" /no/such/binary
	[ "$status" -ne 0 ]
	testcontainer "$CT" running
}

@test "exec without a command fails" {
	run_detached
	clawrun exec "$CT"
	[ "$status" -ne 0 ]
}

@test "exec inherits the config's env and adds --env" {
	update_config '.process.env += ["FROM_CONFIG=1"]'
	run_detached
	clawrun exec --env A=1 --env "B=two words" "$CT" sh -c 'echo "$FROM_CONFIG|$A|$B|$PATH"'
	[ "$status" -eq 0 ]
	[[ "$output" == "1|1|two words|"*/bin* ]]
}

@test "exec --env overrides a config variable" {
	update_config '.process.env += ["X=config"]'
	run_detached
	clawrun exec -e X=flag "$CT" sh -c 'echo $X'
	[ "$status" -eq 0 ]
	[ "$output" = flag ]
}

@test "exec --cwd" {
	run_detached
	clawrun exec --cwd /etc "$CT" pwd
	[ "$status" -eq 0 ]
	[ "$output" = /etc ]
}

@test "exec uses the config's cwd by default" {
	update_config '.process.cwd = "/home"'
	run_detached
	clawrun exec "$CT" pwd
	[ "$status" -eq 0 ]
	[ "$output" = /home ]
}

@test "exec --user uid" {
	run_detached
	clawrun exec --user 1000 "$CT" sh -c 'echo "$(id -u) $(id -g)"'
	[ "$status" -eq 0 ]
	[ "$output" = "1000 0" ]
}

@test "exec --user uid:gid" {
	run_detached
	clawrun exec --user 1000:1000 "$CT" sh -c 'echo "$(id -u) $(id -g)"'
	[ "$status" -eq 0 ]
	[ "$output" = "1000 1000" ]
}

@test "exec -u is --user" {
	run_detached
	clawrun exec -u 65534:65534 "$CT" id -u
	[ "$status" -eq 0 ]
	[ "$output" = 65534 ]
}

@test "exec --additional-gids" {
	run_detached
	clawrun exec --user 1000:1000 --additional-gids 5 --additional-gids 100 "$CT" id -G
	[ "$status" -eq 0 ]
	[[ " $output " == *" 5 "* ]]
	[[ " $output " == *" 100 "* ]]
}

@test "exec has the config's capabilities by default" {
	run_detached
	clawrun exec "$CT" grep CapEff /proc/self/status
	[ "$status" -eq 0 ]
	# CAP_AUDIT_WRITE, CAP_KILL and CAP_NET_BIND_SERVICE (runc spec's default)
	[[ "$output" == *0000000020000420 ]]
}

@test "exec --cap adds a capability" {
	run_detached
	clawrun exec --cap CAP_SYS_ADMIN "$CT" grep CapEff /proc/self/status
	[ "$status" -eq 0 ]
	local eff=$(( 16#${output##*[[:space:]]} ))
	[ $(( (eff >> 21) & 1 )) -eq 1 ]
	[ $(( (eff >> 5) & 1 )) -eq 1 ]
}

@test "exec --no-new-privs" {
	update_config '.process.noNewPrivileges = false'
	run_detached
	clawrun exec "$CT" grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" == *0 ]]
	clawrun exec --no-new-privs "$CT" grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" == *1 ]]
}

@test "exec --process FILE" {
	run_detached
	cat >"$TESTDIR/process.json" <<-'JSON'
	{
		"terminal": false,
		"user": {"uid": 1000, "gid": 1000},
		"args": ["sh", "-c", "echo \"$(id -u) $(pwd) $GREETING\""],
		"env": ["PATH=/bin", "GREETING=hi"],
		"cwd": "/tmp"
	}
	JSON
	clawrun exec --process "$TESTDIR/process.json" "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = "1000 /tmp hi" ]
}

@test "exec --process with an invalid document fails" {
	run_detached
	echo '{"args": "not-an-array"' >"$TESTDIR/process.json"
	clawrun exec --process "$TESTDIR/process.json" "$CT"
	[ "$status" -ne 0 ]
	testcontainer "$CT" running
}

@test "exec --detach --pid-file" {
	run_detached
	clawrun exec --detach --pid-file "$TESTDIR/exec.pid" "$CT" sleep 1000
	[ "$status" -eq 0 ]
	local pid
	pid=$(cat "$TESTDIR/exec.pid")
	[ -d "/proc/$pid" ]
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$(ct_pid "$CT")/ns/pid")" ]
	clawrun ps --format json "$CT"
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
}

@test "exec -d returns while the process keeps running" {
	run_detached
	clawrun exec -d "$CT" sh -c 'sleep 1000'
	[ "$status" -eq 0 ]
	clawrun ps --format json "$CT"
	[ "$(jq length <<<"$output")" -ge 2 ]
}

@test "exec joins every namespace of init" {
	run_detached
	local init ns
	init=$(ct_pid "$CT")
	clawrun exec -d --pid-file "$TESTDIR/exec.pid" "$CT" sleep 1000
	[ "$status" -eq 0 ]
	local pid
	pid=$(cat "$TESTDIR/exec.pid")
	for ns in pid net ipc uts mnt; do
		[ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/$init/ns/$ns")" ] || fail "exec is not in init's $ns namespace"
	done
}

@test "exec joins the container's cgroup" {
	run_detached
	clawrun exec "$CT" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	local init_cg
	init_cg=$(grep -E '^[0-9]+:memory:' "/proc/$(ct_pid "$CT")/cgroup")
	[[ "$output" == *"${init_cg#*:}"* ]]
}

@test "exec --preserve-fds passes extra fds" {
	run_detached
	echo preserved >"$TESTDIR/fd3"
	run bash -c "timeout -k 5 20 '$CLAWRUN' --root '$ROOT' exec --preserve-fds 1 '$CT' cat /proc/self/fd/3 3<'$TESTDIR/fd3'"
	[ "$status" -eq 0 ]
	[ "$output" = preserved ]
}

@test "exec: the process sees init as pid 1" {
	run_detached
	clawrun exec "$CT" cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = sleep ]
}

@test "several execs run concurrently" {
	run_detached
	local i
	for i in 1 2 3 4; do
		clawrun exec -d "$CT" sh -c "echo $i > /dev/shm/$i"
		[ "$status" -eq 0 ]
	done
	poll 5 __exec_files_present
}

function __exec_files_present() {
	__clawrun exec "$CT" sh -c 'cat /dev/shm/1 /dev/shm/2 /dev/shm/3 /dev/shm/4' </dev/null 2>/dev/null | grep -c . | grep -qx 4
}
