#!/usr/bin/env bats
# cgroups on this hybrid host: v1 controllers at /sys/fs/cgroup/<ctrl>, cgroup2 (no
# controllers) at /sys/fs/cgroup/unified.  Without cgroupsPath a container's cgroup is
# /clawrun/<id>, never below the caller's own cgroup.  Tests that set cgroupsPath use
# /clawrun-test-<pid>/... (set_cgroups_path), removed by teardown.

load helpers

setup() {
	requires cgroups_v1
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

# memory_cgroup PID: PID's cgroup path in the memory hierarchy.
function memory_cgroup() {
	sed -n 's/^[0-9]*:memory://p' "/proc/$1/cgroup"
}

@test "without cgroupsPath the container's cgroup is /clawrun/<id>" {
	create_container
	[ "$(memory_cgroup "$(ct_pid "$CT")")" = "/clawrun/$CT" ]
}

@test "the container is never placed below the caller's cgroup" {
	create_container
	local mine
	mine=$(memory_cgroup $$)
	[[ "$(memory_cgroup "$(ct_pid "$CT")")" != "$mine"/* ]]
	[[ "$(memory_cgroup "$(ct_pid "$CT")")" != *process_api* ]]
}

@test "init is in /clawrun/<id> in every v1 hierarchy" {
	create_container
	local pid ctrl
	pid=$(ct_pid "$CT")
	for ctrl in $CGROUP_V1_CONTROLLERS; do
		[ -d "/sys/fs/cgroup/$ctrl" ] || continue
		grep -qE "^[0-9]+:([^:]*,)?$ctrl(,[^:]*)?:/clawrun/$CT\$" "/proc/$pid/cgroup" ||
			fail "init is not in /clawrun/$CT for $ctrl: $(cat "/proc/$pid/cgroup")"
		grep -qx "$pid" "/sys/fs/cgroup/$ctrl/clawrun/$CT/cgroup.procs" || fail "$pid not in $ctrl cgroup.procs"
	done
}

@test "init is in /clawrun/<id> in the unified hierarchy too" {
	requires cgroups_hybrid
	create_container
	local pid
	pid=$(ct_pid "$CT")
	grep -qx "0::/clawrun/$CT" "/proc/$pid/cgroup"
	[ -d "/sys/fs/cgroup/unified/clawrun/$CT" ]
}

@test "delete removes /clawrun/<id> from every hierarchy" {
	run_detached
	[ -n "$(cgroup_dirs "/clawrun/$CT")" ]
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ]
}

@test "two containers get two cgroups" {
	create_container "$CT-a"
	create_container "$CT-b"
	[ "$(memory_cgroup "$(ct_pid "$CT-a")")" = "/clawrun/$CT-a" ]
	[ "$(memory_cgroup "$(ct_pid "$CT-b")")" = "/clawrun/$CT-b" ]
}

@test "an absolute cgroupsPath is used as given" {
	set_cgroups_path
	create_container
	[ "$(memory_cgroup "$(ct_pid "$CT")")" = "$TEST_CGROUP" ]
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ]
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs "$TEST_CGROUP")" ]
}

@test "a relative cgroupsPath goes below /clawrun" {
	update_config ".linux.cgroupsPath = \"rel-$CT\""
	echo "/clawrun/rel-$CT" >>"$TESTDIR/cgroups"
	create_container
	[ "$(memory_cgroup "$(ct_pid "$CT")")" = "/clawrun/rel-$CT" ]
}

@test "exec'd processes join the container's cgroup" {
	run_detached
	clawrun exec -d --pid-file "$TESTDIR/e.pid" "$CT" sleep 1000
	[ "$status" -eq 0 ]
	[ "$(memory_cgroup "$(cat "$TESTDIR/e.pid")")" = "/clawrun/$CT" ]
}

@test "children of the container process stay in its cgroup" {
	set_args sh -c 'sleep 1000 & echo ready; wait'
	run_detached
	wait_for_output "$CT" ready
	local pids p
	pids=$(pids_in_cgroup "/clawrun/$CT")
	[ "$(wc -w <<<"$pids")" -eq 2 ]
}

@test "linux.resources.memory.limit sets memory.limit_in_bytes" {
	update_config '.linux.resources.memory.limit = 67108864'
	create_container
	[ "$(cat "/sys/fs/cgroup/memory/clawrun/$CT/memory.limit_in_bytes")" = 67108864 ]
}

@test "linux.resources.pids.limit sets pids.max" {
	update_config '.linux.resources.pids.limit = 42'
	create_container
	[ "$(cat "/sys/fs/cgroup/pids/clawrun/$CT/pids.max")" = 42 ]
}

@test "linux.resources.cpu shares, quota and period" {
	update_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}'
	create_container
	[ "$(cat "/sys/fs/cgroup/cpu/clawrun/$CT/cpu.shares")" = 512 ]
	[ "$(cat "/sys/fs/cgroup/cpu/clawrun/$CT/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "/sys/fs/cgroup/cpu/clawrun/$CT/cpu.cfs_period_us")" = 100000 ]
}

function __pids_max_hit() {
	grep -qE '^max [1-9]' "/sys/fs/cgroup/pids/clawrun/$CT/pids.events"
}

@test "the pids limit is enforced" {
	update_config '.linux.resources.pids.limit = 4'
	# The shell may die when a fork fails; the container's state does not matter.
	set_args sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1000 & done; exec sleep 1000'
	clawrun run -d "$CT"
	[ "$status" -eq 0 ]
	poll 5 __pids_max_hit
	[ "$(pids_in_cgroup "/clawrun/$CT" | wc -l)" -le 4 ]
	[ "$(cat "/sys/fs/cgroup/pids/clawrun/$CT/pids.current")" -le 4 ]
}

@test "a cgroup namespace hides the host's cgroup paths" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	set_args cat /proc/self/cgroup
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	grep -qE '^[0-9]+:memory:/$' <<<"$output"
	[[ "$output" != *clawrun* ]]
}

@test "the devices cgroup denies devices that are not allowed" {
	# runc spec's default: deny all, then the runtime's default allow list.
	update_config '.linux.devices = [{"path": "/dev/sda-test", "type": "b", "major": 8, "minor": 0}]'
	set_args sh -c 'test -b /dev/sda-test && echo exists; head -c 1 /dev/sda-test >/dev/null 2>&1; echo rc=$?; head -c 1 /dev/zero >/dev/null; echo zero=$?'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *exists* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"zero=0"* ]]
}
