#!/usr/bin/env bats
# update: change the resource limits of a live container (runc's flags and
# --resources FILE|-, as containerd-shim-runc-v2 and Docker send them).

load helpers

setup() {
	requires root cgroups_v1
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

# cg_file CONTROLLER FILE: a v1 file of the test container's cgroup (default path).
function cg_file() {
	cat "/sys/fs/cgroup/$1/clawrun/$CT/$2"
}

# The stored config copy's linux.resources (clawrun keeps it in ROOT/ID/config.json).
function stored_resources() {
	jq -c ".linux.resources | ${1:-.}" "$ROOT/$CT/config.json"
}

@test "update --memory sets memory.limit_in_bytes and records it" {
	run_detached
	clawrun update --memory 512m "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file memory memory.limit_in_bytes)" -eq 536870912 ]
	if [ "$IS_RUNC" = 0 ]; then
		[ "$(stored_resources .memory.limit)" -eq 536870912 ]
		# the rest of the config is still there
		jq -e '.process.args == ["sleep","1000"]' "$ROOT/$CT/config.json"
	fi
}

@test "update --memory takes runc's size units and -1" {
	run_detached
	local v want
	for v in 1g:1073741824 256M:268435456 1024k:1048576 1.5g:1610612736 104857600:104857600 64MiB:67108864; do
		clawrun update --memory "${v%%:*}" "$CT"
		[ "$status" -eq 0 ]
		want=${v#*:}
		[ "$(cg_file memory memory.limit_in_bytes)" -eq "$want" ] || fail "--memory ${v%%:*}: got $(cg_file memory memory.limit_in_bytes), want $want"
	done
	clawrun update --memory -1 "$CT"
	[ "$status" -eq 0 ]
	# unlimited: PAGE_COUNTER_MAX pages
	[ "$(cg_file memory memory.limit_in_bytes)" -gt 4611686018427387904 ]
}

@test "update --memory with --memory-swap sets memsw" {
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting"
	run_detached
	clawrun update --memory 256m --memory-swap 512m "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file memory memory.limit_in_bytes)" -eq 268435456 ]
	[ "$(cg_file memory memory.memsw.limit_in_bytes)" -eq 536870912 ]
	# shrinking below the old memsw works too (the order of the writes matters)
	clawrun update --memory 64m --memory-swap 128m "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file memory memory.limit_in_bytes)" -eq 67108864 ]
	[ "$(cg_file memory memory.memsw.limit_in_bytes)" -eq 134217728 ]
}

@test "update --memory-reservation sets the soft limit" {
	run_detached
	clawrun update --memory-reservation 128m "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file memory memory.soft_limit_in_bytes)" -eq 134217728 ]
}

@test "update --pids-limit sets pids.max (-1: max)" {
	run_detached
	clawrun update --pids-limit 42 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file pids pids.max)" = 42 ]
	clawrun update --pids-limit -1 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file pids pids.max)" = max ]
}

@test "update --cpu-quota and --cpu-period set the CFS bandwidth" {
	run_detached
	clawrun update --cpu-quota 50000 --cpu-period 200000 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file cpu cpu.cfs_quota_us)" = 50000 ]
	[ "$(cg_file cpu cpu.cfs_period_us)" = 200000 ]
	# one of them alone keeps the other
	clawrun update --cpu-quota 30000 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file cpu cpu.cfs_quota_us)" = 30000 ]
	[ "$(cg_file cpu cpu.cfs_period_us)" = 200000 ]
	clawrun update --cpu-quota -1 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file cpu cpu.cfs_quota_us)" = -1 ]
}

@test "update --cpu-shares (and runc's --cpu-share) set cpu.shares" {
	run_detached
	clawrun update --cpu-share 512 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file cpu cpu.shares)" = 512 ]
	if [ "$IS_RUNC" = 0 ]; then
		clawrun update --cpu-shares 2048 "$CT"
		[ "$status" -eq 0 ]
		[ "$(cg_file cpu cpu.shares)" = 2048 ]
	fi
}

@test "update --cpuset-cpus sets cpuset.cpus" {
	run_detached
	clawrun update --cpuset-cpus 0 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file cpuset cpuset.cpus)" = 0 ]
}

@test "update --resources - reads LinuxResources JSON from stdin" {
	run_detached
	cat >"$TESTDIR/res.json" <<-'EOF'
		{"memory":{"limit":268435456},"cpu":{"quota":20000,"period":100000},"pids":{"limit":100}}
	EOF
	clawrun update --resources - "$CT" <"$TESTDIR/res.json"
	[ "$status" -eq 0 ]
	[ "$(cg_file memory memory.limit_in_bytes)" -eq 268435456 ]
	[ "$(cg_file cpu cpu.cfs_quota_us)" = 20000 ]
	[ "$(cg_file cpu cpu.cfs_period_us)" = 100000 ]
	[ "$(cg_file pids pids.max)" = 100 ]
	if [ "$IS_RUNC" = 0 ]; then
		[ "$(stored_resources '[.memory.limit, .cpu.quota, .pids.limit]')" = "[268435456,20000,100]" ]
	fi
}

@test "update -r FILE reads the JSON from a file" {
	run_detached
	echo '{"pids":{"limit":77}}' >"$TESTDIR/res.json"
	clawrun update -r "$TESTDIR/res.json" "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file pids pids.max)" = 77 ]
}

@test "update --resources: Docker's zeros mean 'unchanged'" {
	run_detached
	clawrun update --pids-limit 42 --cpu-quota 50000 --cpu-period 100000 --cpu-share 512 "$CT"
	[ "$status" -eq 0 ]
	# what dockerd sends for `docker update --memory 300m`
	cat >"$TESTDIR/res.json" <<-'EOF'
		{"memory":{"limit":314572800},"cpu":{"shares":0,"quota":0,"period":0,"cpus":"","mems":""},"blockIO":{"weight":0},"pids":{"limit":0}}
	EOF
	clawrun update --resources - "$CT" <"$TESTDIR/res.json"
	[ "$status" -eq 0 ]
	[ "$(cg_file memory memory.limit_in_bytes)" -eq 314572800 ]
	[ "$(cg_file pids pids.max)" = 42 ]
	[ "$(cg_file cpu cpu.cfs_quota_us)" = 50000 ]
	[ "$(cg_file cpu cpu.cfs_period_us)" = 100000 ]
	[ "$(cg_file cpu cpu.shares)" = 512 ]
	if [ "$IS_RUNC" = 0 ]; then
		[ "$(stored_resources '[.pids.limit, .cpu.quota, .cpu.shares, .memory.limit]')" = "[42,50000,512,314572800]" ]
	fi
}

@test "update of a paused container works" {
	run_detached
	clawrun pause "$CT"
	[ "$status" -eq 0 ]
	clawrun update --pids-limit 10 "$CT"
	[ "$status" -eq 0 ]
	[ "$(cg_file pids pids.max)" = 10 ]
	clawrun resume "$CT"
	[ "$status" -eq 0 ]
}

@test "update with a bad flag value fails, names the flag and changes nothing" {
	requires clawrun
	run_detached
	clawrun update --pids-limit 42 "$CT"
	[ "$status" -eq 0 ]
	local args
	for args in "--memory abc" "--memory 12q" "--memory-swap -5" "--pids-limit x" "--cpu-quota 1.5" \
		"--cpu-period -1" "--cpu-shares lots" "--blkio-weight 5" "--cpuset-cpus a-b"; do
		# shellcheck disable=SC2086
		clawrun update $args --pids-limit 7 "$CT"
		[ "$status" -ne 0 ] || fail "update $args succeeded"
		[[ "$output" == *"${args%% *}"* ]] || fail "update $args: the error does not name the flag: $output"
	done
	[ "$(cg_file pids pids.max)" = 42 ]
}

@test "update --resources with bad JSON fails and changes nothing" {
	run_detached
	clawrun update --pids-limit 42 "$CT"
	[ "$status" -eq 0 ]
	echo '{"pids":{"limit":7},' >"$TESTDIR/bad.json"
	clawrun update --resources - "$CT" <"$TESTDIR/bad.json"
	[ "$status" -ne 0 ]
	# a type error anywhere rejects the whole object
	echo '{"pids":{"limit":7},"memory":{"limit":"lots"}}' >"$TESTDIR/bad.json"
	clawrun update --resources - "$CT" <"$TESTDIR/bad.json"
	[ "$status" -ne 0 ]
	[ "$(cg_file pids pids.max)" = 42 ]
	clawrun update -r "$TESTDIR/does-not-exist.json" "$CT"
	[ "$status" -ne 0 ]
}

@test "update --resources rejects JSON that is not an object" {
	requires clawrun
	run_detached
	echo '[1,2]' >"$TESTDIR/bad.json"
	clawrun update --resources - "$CT" <"$TESTDIR/bad.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"object"* ]]
}

@test "update --l3-cache-schema and --mem-bw-schema are not supported" {
	run_detached
	clawrun update --l3-cache-schema "L3:0=f" "$CT"
	[ "$status" -ne 0 ]
	clawrun update --mem-bw-schema "MB:0=50" "$CT"
	[ "$status" -ne 0 ]
}

@test "update --kernel-memory is accepted with a warning" {
	requires clawrun
	run_detached
	clawrun update --kernel-memory 64m --pids-limit 9 "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ignored"* ]]
	[ "$(cg_file pids pids.max)" = 9 ]
}

@test "update of a missing container fails with 'does not exist'" {
	clawrun update --memory 512m "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "update of a stopped container fails" {
	set_args true
	clawrun run -d "$CT"
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
	clawrun update --pids-limit 10 "$CT"
	[ "$status" -ne 0 ]
}

@test "update without limits or without an id fails; --help works" {
	requires clawrun
	run_detached
	clawrun update "$CT"
	[ "$status" -ne 0 ]
	clawrun update --memory 1g
	[ "$status" -ne 0 ]
	clawrun update --resources - --memory 1g "$CT"
	[ "$status" -ne 0 ]
	clawrun update --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--resources"* ]]
	[[ "$output" == *"--pids-limit"* ]]
}
