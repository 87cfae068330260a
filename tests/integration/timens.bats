#!/usr/bin/env bats
# linux.timeOffsets in a new time namespace

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "timeOffsets shift the container's boottime clock" {
	update_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000}, "monotonic": {"secs": 3600, "nanosecs": 5}}'
	set_args cut -d. -f1 /proc/uptime
	local host
	host=$(cut -d. -f1 /proc/uptime)
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" -ge $((host + 864000)) ]
	[ "$output" -lt $((host + 864000 + 60)) ]
}

@test "timeOffsets without a time namespace is an error" {
	update_config '.linux.timeOffsets = {"boottime": {"secs": 1}}'
	clawrun create "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.timeOffsets: requires a new time namespace"* ]]
	[ ! -e "$ROOT/$CT" ]
}
