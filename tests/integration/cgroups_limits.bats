#!/usr/bin/env bats
# cgroup limits enforced on this host (hybrid: v1 controllers), by behaviour.
# The same checks on pure cgroup v2 run in the QEMU guest (tests/guest/cgroupv2.bats).

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "a memory limit OOM-kills an allocation above it (137) and lets one below it run" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	set_args sh -c 'x=$(head -c 8000000 /dev/zero | tr "\0" a); echo below-ok'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = below-ok ]
	set_args sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo above-survived'
	clawrun run "$CT"
	[ "$status" -eq 137 ]
	[[ "$output" != *above-survived* ]]
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ]
}

@test "a cpu quota throttles a busy loop" {
	# 20% of one CPU for ~1.5 s of wall time: well under 0.7 s of CPU
	update_config '.linux.resources.cpu = {"quota": 20000, "period": 100000}'
	set_args sh -c 'end=$(($(cut -d. -f1 /proc/uptime) + 2)); while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do :; done; cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null || cat /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage'
	update_config '.mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]}]'
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	local ns=${lines[-1]}
	# at most ~0.2 s of CPU per second of wall time (2 s max): 0.6 s with slack
	[ "$ns" -lt 600000000 ]
	[ "$ns" -gt 50000000 ]
}

@test "pause freezes every process and resume thaws them" {
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/dev/shm/count; sleep 0.05; done'
	run_detached
	sleep 0.3
	clawrun pause "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" paused
	local a b
	a=$(cat "/proc/$(ct_pid "$CT")/root/dev/shm/count")
	sleep 0.5
	b=$(cat "/proc/$(ct_pid "$CT")/root/dev/shm/count")
	[ "$a" = "$b" ]
	clawrun resume "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" running
	sleep 0.5
	[ "$(cat "/proc/$(ct_pid "$CT")/root/dev/shm/count")" != "$b" ]
}

@test "update changes a limit of a running container, and it is enforced" {
	update_config '.linux.resources.pids = {"limit": 100}'
	set_args sleep 100
	run_detached
	clawrun update --pids-limit 5 "$CT"
	[ "$status" -eq 0 ]
	clawrun exec "$CT" sh -c 'n=0; while sleep 2 & do n=$((n+1)); echo $n; [ $n -ge 20 ] && break; done'
	local forked
	forked=$(printf '%s\n' "$output" | grep -E '^[0-9]+$' | tail -n 1)
	[ "$forked" -lt 5 ]
}
