#!/usr/bin/env bats
# delete: removes the container's state, cgroup and processes.

load helpers

setup() {
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

# Everything the container had is gone.
function assert_gone() {
	local id=$1 pid=${2:-}
	clawrun state "$id"
	[ "$status" -ne 0 ] || fail "state $id still works"
	[ ! -e "$ROOT/$id" ] || fail "state directory $ROOT/$id left"
	[ -z "$(cgroup_dirs "/clawrun/$id")" ] || fail "cgroup left: $(cgroup_dirs "/clawrun/$id")"
	[ -z "$(pids_in_cgroup "/clawrun/$id")" ] || fail "processes left in /clawrun/$id"
	if [ -n "$pid" ]; then
		wait_pid_gone "$pid" || fail "init $pid still running"
	fi
}

@test "delete of a stopped container" {
	set_args true
	clawrun run -d "$CT"
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
	clawrun delete "$CT"
	[ "$status" -eq 0 ]
	assert_gone "$CT"
}

@test "delete of a missing container fails: 'container <id> does not exist'" {
	clawrun delete "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container $CT does not exist"* ]]
}

@test "delete --force of a missing container exits 0" {
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
}

@test "delete --force twice: both exit 0" {
	run_detached
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	assert_gone "$CT"
}

@test "delete of a running container without --force fails and leaves it running" {
	run_detached
	clawrun delete "$CT"
	[ "$status" -ne 0 ]
	testcontainer "$CT" running
}

@test "delete --force of a running container kills it and removes everything" {
	run_detached
	local pid
	pid=$(ct_pid "$CT")
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	assert_gone "$CT" "$pid"
}

@test "delete -f is --force" {
	run_detached
	clawrun delete -f "$CT"
	[ "$status" -eq 0 ]
	assert_gone "$CT"
}

@test "delete of a created container removes it" {
	create_container
	local pid
	pid=$(ct_pid "$CT")
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	assert_gone "$CT" "$pid"
}

@test "delete --force kills every process of the container" {
	set_args sh -c 'sleep 1000 & sleep 1000 & echo ready; wait'
	run_detached
	wait_for_output "$CT" ready
	clawrun ps --format json "$CT"
	local pids p
	pids=$(jq -r '.[]' <<<"$output")
	[ "$(wc -w <<<"$pids")" -ge 3 ]
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	for p in $pids; do
		wait_pid_gone "$p" || fail "pid $p survived delete --force"
	done
	assert_gone "$CT"
}

@test "delete removes the cgroup in every hierarchy" {
	run_detached
	[ -n "$(cgroup_dirs "/clawrun/$CT")" ]
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ]
}

@test "delete removes the state directory" {
	run_detached
	[ -d "$ROOT/$CT" ]
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CT" ]
}

@test "delete of one container leaves the others" {
	run_detached "$CT-a"
	run_detached "$CT-b"
	clawrun delete --force "$CT-a"
	[ "$status" -eq 0 ]
	testcontainer "$CT-b" running
	[ -n "$(cgroup_dirs "/clawrun/$CT-b")" ]
}

@test "after delete the id can be used again" {
	run_detached
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	run_detached
}

@test "delete without an id fails" {
	clawrun delete
	[ "$status" -ne 0 ]
}
