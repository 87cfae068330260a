#!/usr/bin/env bats
# start: created -> running -> stopped.

load helpers

setup() {
	setup_bundle sh -c 'echo STARTED; exec sleep 1000'
}

teardown() {
	teardown_bundle
}

@test "start moves a created container to running" {
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" running
	wait_for_output "$CT" STARTED
}

@test "start keeps init's pid" {
	create_container
	local pid
	pid=$(ct_pid "$CT")
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	[ "$(ct_pid "$CT")" = "$pid" ]
	wait_for_output "$CT" STARTED
	# After exec, init runs the user's program.
	poll 5 grep -q '^sleep' "/proc/$pid/comm"
}

@test "start of a running container fails" {
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	clawrun start "$CT"
	[ "$status" -ne 0 ]
	testcontainer "$CT" running
}

@test "start of a missing container fails with 'does not exist'" {
	clawrun start "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "start without an id fails" {
	clawrun start
	[ "$status" -ne 0 ]
}

@test "the container is stopped once its process exits" {
	set_args sh -c 'echo DONE; exit 3'
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" DONE
	wait_for_container "$CT" stopped
}

@test "start of a stopped container fails" {
	set_args true
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
	clawrun start "$CT"
	[ "$status" -ne 0 ]
	testcontainer "$CT" stopped
}

@test "start runs the process with the config's env, cwd and args" {
	update_config '.process.env += ["FOO=bar baz"] | .process.cwd = "/etc"'
	set_args sh -c 'echo "foo=$FOO cwd=$(pwd) arg=$0"' 'zero arg'
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" "foo=bar baz cwd=/etc arg=zero arg"
}

@test "start of two containers of the same bundle" {
	create_container "$CT-a"
	create_container "$CT-b"
	clawrun start "$CT-a"
	[ "$status" -eq 0 ]
	clawrun start "$CT-b"
	[ "$status" -eq 0 ]
	testcontainer "$CT-a" running
	testcontainer "$CT-b" running
}
