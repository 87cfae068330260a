#!/usr/bin/env bats
# ps: the container's processes.

load helpers

setup() {
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

@test "ps --format json prints a JSON array of host pids" {
	run_detached
	clawrun ps --format json "$CT"
	[ "$status" -eq 0 ]
	jq -e 'type == "array" and all(.[]; type == "number")' <<<"$output"
	jq -e --argjson p "$(ct_pid "$CT")" 'index($p) != null' <<<"$output"
}

@test "ps --format json lists exec'd processes too" {
	run_detached
	clawrun exec -d --pid-file "$TESTDIR/e.pid" "$CT" sleep 1000
	[ "$status" -eq 0 ]
	clawrun ps --format json "$CT"
	[ "$status" -eq 0 ]
	jq -e --argjson p "$(cat "$TESTDIR/e.pid")" 'index($p) != null' <<<"$output"
	jq -e 'length == 2' <<<"$output"
}

@test "ps of a created container lists init" {
	create_container
	clawrun ps --format json "$CT"
	[ "$status" -eq 0 ]
	jq -e --argjson p "$(ct_pid "$CT")" '. == [$p]' <<<"$output"
}

@test "ps prints a table with a PID column" {
	run_detached
	clawrun ps "$CT"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *"$(ct_pid "$CT")"* ]]
}

@test "ps --format table is the default" {
	run_detached
	clawrun ps --format table "$CT"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
}

@test "ps of a missing container fails" {
	clawrun ps "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "ps without an id fails" {
	clawrun ps
	[ "$status" -ne 0 ]
}
