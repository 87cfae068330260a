#!/usr/bin/env bats
# stats: a `docker stats --no-stream` style snapshot (clawrun's own command).

load helpers

setup() {
	requires root clawrun
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

function mem_total_bytes() {
	echo $(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))
}

@test "stats prints a table with a row per container" {
	run_detached
	clawrun stats "$CT"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == ID* ]]
	[[ "${lines[0]}" == *"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"PIDS"* ]]
	[[ "${lines[1]}" == "$CT "* ]]
	# CPU %, usage / limit with binary units, MEM %, and one process
	[[ "${lines[1]}" =~ [0-9]+\.[0-9]{2}%\ +[0-9.]+(B|KiB|MiB|GiB)\ /\ [0-9.]+(B|KiB|MiB|GiB|TiB)\ +[0-9]+\.[0-9]{2}%\ +1$ ]]
}

@test "stats --format json prints an array of objects" {
	run_detached
	clawrun stats --format json "$CT"
	[ "$status" -eq 0 ]
	jq -e --arg id "$CT" 'length == 1 and .[0].id == $id' <<<"$output"
	jq -e '.[0] | (.cpu_percent | type) == "number" and .cpu_percent >= 0' <<<"$output"
	jq -e '.[0] | .memory_usage > 0 and .memory_limit >= .memory_usage and .pids == 1' <<<"$output"
	jq -e '.[0] | has("memory_percent")' <<<"$output"
}

@test "stats shows the memory limit, or the host's memory when unlimited" {
	requires cgroups_v1
	update_config '.linux.resources.memory = {"limit": 268435456}'
	run_detached "$CT"
	clawrun stats --format json "$CT"
	[ "$status" -eq 0 ]
	jq -e '.[0].memory_limit == 268435456' <<<"$output"
	clawrun stats "$CT"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *" / 256MiB "* ]]
	clawrun update --memory -1 "$CT"
	[ "$status" -eq 0 ]
	clawrun stats --format json "$CT"
	[ "$status" -eq 0 ]
	jq -e --argjson t "$(mem_total_bytes)" '.[0].memory_limit == $t' <<<"$output"
}

@test "stats measures CPU use over a short window" {
	set_args sh -c 'while :; do :; done'
	run_detached
	clawrun stats --format json "$CT"
	[ "$status" -eq 0 ]
	# a busy loop on a possibly busy 2-CPU machine: clearly more than nothing
	jq -e '.[0].cpu_percent > 5 and .[0].cpu_percent <= 250' <<<"$output"
	clawrun stats --format json
	[ "$status" -eq 0 ]
}

@test "stats without an id lists every live container" {
	run_detached "$CT-a"
	run_detached "$CT-b"
	set_args true
	clawrun run -d "$CT-c"
	[ "$status" -eq 0 ]
	wait_for_container "$CT-c" stopped
	clawrun stats --format json
	[ "$status" -eq 0 ]
	jq -e --arg a "$CT-a" --arg b "$CT-b" '[.[].id] == [$a, $b]' <<<"$output"
	clawrun stats
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "stats with no containers prints just the header (or [])" {
	clawrun stats
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == ID* ]]
	clawrun stats --format json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "stats of a missing container fails; bad --format fails" {
	clawrun stats "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	run_detached
	clawrun stats --format xml "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--format"* ]]
	clawrun stats --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--format"* ]]
}
