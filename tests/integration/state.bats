#!/usr/bin/env bats
# state: the OCI state document.

load helpers

setup() {
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

@test "state of a created container has every OCI field" {
	create_container
	clawrun state "$CT"
	[ "$status" -eq 0 ]
	jq -e '.ociVersion | startswith("1.")' <<<"$output"
	jq -e --arg id "$CT" '.id == $id' <<<"$output"
	jq -e '.status == "created"' <<<"$output"
	jq -e '.pid > 0' <<<"$output"
	jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$output"
}

@test "state reports rootfs, created and owner" {
	create_container
	clawrun state "$CT"
	[ "$status" -eq 0 ]
	jq -e --arg r "$BUNDLE/rootfs" '.rootfs == $r' <<<"$output"
	jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")' <<<"$output"
	jq -e 'has("owner")' <<<"$output"
}

@test "state: created is close to now" {
	local before after created
	before=$(date +%s)
	create_container
	after=$(date +%s)
	clawrun state "$CT"
	created=$(jq -r .created <<<"$output")
	created=$(date -d "$created" +%s)
	[ "$created" -ge $((before - 1)) ]
	[ "$created" -le $((after + 1)) ]
}

@test "state includes the config's annotations" {
	update_config '.annotations = {"org.example.key": "value", "other": "x y"}'
	create_container
	clawrun state "$CT"
	[ "$status" -eq 0 ]
	jq -e '.annotations["org.example.key"] == "value"' <<<"$output"
	jq -e '.annotations.other == "x y"' <<<"$output"
}

@test "state: pid is init's host pid" {
	create_container
	local pid
	pid=$(ct_pid "$CT")
	# Init's pid in its own namespace is 1.
	grep -q '^NSpid:.*[[:space:]]1$' "/proc/$pid/status"
}

@test "state is running after start, with the same pid" {
	create_container
	local pid
	pid=$(ct_pid "$CT")
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" running
	[ "$(ct_pid "$CT")" = "$pid" ]
}

@test "state is stopped after the process exits" {
	set_args true
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
	clawrun state "$CT"
	[ "$status" -eq 0 ]
	jq -e '.status == "stopped"' <<<"$output"
}

@test "state is stopped after init is killed from outside" {
	run_detached
	local pid
	pid=$(ct_pid "$CT")
	kill -9 "$pid"
	wait_for_container "$CT" stopped
}

@test "state of a missing container fails with 'does not exist'" {
	clawrun state "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "state after delete fails" {
	create_container
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "state without an id fails" {
	clawrun state
	[ "$status" -ne 0 ]
}

@test "state output is a single JSON document" {
	create_container
	clawrun state "$CT"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 1 ]
}
