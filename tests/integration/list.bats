#!/usr/bin/env bats
# list: the containers under --root.

load helpers

setup() {
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

@test "list with no containers prints only the header" {
	clawrun list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -le 1 ]
	[[ "${lines[0]:-}" != *"$CT"* ]]
}

@test "list works when the root directory does not exist" {
	[ ! -e "$ROOT" ]
	clawrun list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "list --format json with no containers is empty" {
	clawrun list --format json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 0 ]
}

@test "list has the runc table header" {
	create_container
	clawrun list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID[[:space:]]+PID[[:space:]]+STATUS[[:space:]]+BUNDLE[[:space:]]+CREATED[[:space:]]+OWNER[[:space:]]*$ ]]
}

@test "list shows id, pid, status and bundle of each container" {
	create_container
	local pid
	pid=$(ct_pid "$CT")
	clawrun list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	read -r -a f <<<"${lines[1]}"
	[ "${f[0]}" = "$CT" ]
	[ "${f[1]}" = "$pid" ]
	[ "${f[2]}" = created ]
	[ "${f[3]}" = "$BUNDLE" ]
}

@test "list -q prints one id per line" {
	create_container "$CT-a"
	create_container "$CT-b"
	clawrun list -q
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "$CT-a $CT-b " ]
}

@test "list --quiet is -q" {
	create_container
	clawrun list --quiet
	[ "$status" -eq 0 ]
	[ "$output" = "$CT" ]
}

@test "list --format json has the state fields" {
	create_container
	clawrun list --format json
	[ "$status" -eq 0 ]
	jq -e 'length == 1' <<<"$output"
	jq -e --arg id "$CT" '.[0].id == $id' <<<"$output"
	jq -e '.[0].status == "created"' <<<"$output"
	jq -e '.[0].pid > 0' <<<"$output"
	jq -e --arg b "$BUNDLE" '.[0].bundle == $b' <<<"$output"
	jq -e '.[0] | has("created") and has("owner")' <<<"$output"
}

@test "list follows the status: created, running, stopped" {
	create_container
	clawrun list --format json
	jq -e '.[0].status == "created"' <<<"$output"
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	clawrun list --format json
	jq -e '.[0].status == "running"' <<<"$output"
	clawrun kill "$CT" KILL
	wait_for_container "$CT" stopped
	clawrun list --format json
	jq -e '.[0].status == "stopped"' <<<"$output"
}

@test "list --format table is the default" {
	create_container
	clawrun list --format table
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID* ]]
	[[ "${lines[1]}" == "$CT"* ]]
}

@test "list with an unknown format fails" {
	clawrun list --format yaml
	[ "$status" -ne 0 ]
}

@test "list does not show containers of another --root" {
	create_container
	local save=$ROOT
	ROOT=$TESTDIR/other-root
	clawrun list -q
	ROOT=$save
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
