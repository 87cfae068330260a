#!/usr/bin/env bats
# kill: signals to init (or every process with --all).

load helpers

# Init traps TERM, USR1 and HUP and reports them on stdout.
TRAPPER='trap "echo got-TERM; exit 0" TERM; trap "echo got-USR1" USR1; trap "echo got-HUP" HUP; echo ready; while :; do sleep 0.05; done'

setup() {
	setup_bundle sh -c "$TRAPPER"
}

teardown() {
	teardown_bundle
}

function start_trapper() {
	run_detached "${1:-$CT}"
	wait_for_output "${1:-$CT}" ready
}

@test "kill without a signal sends SIGTERM" {
	start_trapper
	clawrun kill "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" got-TERM
	wait_for_container "$CT" stopped
}

@test "kill accepts TERM, SIGTERM and 15" {
	local sig n=0
	for sig in TERM SIGTERM 15; do
		n=$((n + 1))
		start_trapper "$CT-$n"
		clawrun kill "$CT-$n" "$sig"
		[ "$status" -eq 0 ]
		wait_for_output "$CT-$n" got-TERM
		wait_for_container "$CT-$n" stopped
	done
}

@test "kill accepts KILL, SIGKILL and 9" {
	local sig n=0
	for sig in KILL SIGKILL 9; do
		n=$((n + 1))
		start_trapper "$CT-$n"
		clawrun kill "$CT-$n" "$sig"
		[ "$status" -eq 0 ]
		wait_for_container "$CT-$n" stopped
	done
}

@test "kill with a non-fatal signal leaves the container running" {
	start_trapper
	clawrun kill "$CT" USR1
	[ "$status" -eq 0 ]
	wait_for_output "$CT" got-USR1
	clawrun kill "$CT" SIGHUP
	[ "$status" -eq 0 ]
	wait_for_output "$CT" got-HUP
	testcontainer "$CT" running
}

@test "kill with an unknown signal fails and sends nothing" {
	start_trapper
	clawrun kill "$CT" NOSUCHSIG
	[ "$status" -ne 0 ]
	clawrun kill "$CT" 1000
	[ "$status" -ne 0 ]
	testcontainer "$CT" running
}

@test "kill of a missing container fails with 'does not exist'" {
	clawrun kill "$CT" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "kill of a stopped container fails with a not-found wording" {
	set_args true
	clawrun run -d "$CT"
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
	clawrun kill "$CT" KILL
	[ "$status" -ne 0 ]
	# containerd-shim-runc-v2 maps these to NotFound.
	[[ "$output" == *"container not running"* || "$output" == *"no such process"* || "$output" == *"does not exist"* ]]
}

@test "kill of a created container stops it" {
	create_container
	clawrun kill "$CT" KILL
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
}

@test "kill --all signals every process of the container" {
	set_args sh -c 'sleep 1000 & sleep 1000 & echo ready; wait'
	run_detached
	wait_for_output "$CT" ready
	clawrun ps --format json "$CT"
	[ "$status" -eq 0 ]
	local pids
	pids=$(jq -r '.[]' <<<"$output")
	[ "$(wc -w <<<"$pids")" -ge 3 ]
	clawrun kill --all "$CT" KILL
	[ "$status" -eq 0 ]
	local p
	for p in $pids; do
		wait_pid_gone "$p" || fail "pid $p survived kill --all"
	done
	wait_for_container "$CT" stopped
}

@test "kill -a is --all" {
	set_args sh -c 'sleep 1000 & echo ready; wait'
	run_detached
	wait_for_output "$CT" ready
	clawrun kill -a "$CT" 9
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
}

@test "kill without an id fails" {
	clawrun kill
	[ "$status" -ne 0 ]
}
