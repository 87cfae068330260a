#!/usr/bin/env bats
# Smoke tests of the cgroup-v2 test guest, run INSIDE it by tests/guest/smoke.bats:
#   scripts/guest/run -- bats tests/guest/inner-smoke.bats
# They create cgroups, mounts and namespaces freely: the guest has its own kernel.  On
# any other machine every test skips (never touch the host's cgroups).  Scratch files go
# to $BATS_TEST_TMPDIR (the guest's /tmp, a tmpfs): the repository is read-only here.
#
# Every process costs ~0.1 s under emulation, so these use shell builtins where they can.

CG=/sys/fs/cgroup

setup() {
	local h
	read -r h </proc/sys/kernel/hostname
	if [ "$h" != clawrun-guest ] || [ ! -d /run/clawrun-guest/ctl ]; then
		skip "not inside the guest (run via scripts/guest/run)"
	fi
}

# A fresh child cgroup of the root: $CGDIR.
make_cgroup() {
	CGDIR=$CG/smoke-$BATS_TEST_NUMBER
	mkdir "$CGDIR"
}

teardown() {
	if [ -n "${CGDIR:-}" ] && [ -d "$CGDIR" ]; then
		echo 1 >"$CGDIR/cgroup.kill" 2>/dev/null
		for _ in {1..50}; do rmdir "$CGDIR" 2>/dev/null && break; sleep 0.1; done
	fi
}

# has WORD FILE: the whitespace-separated FILE contains WORD.
has() {
	local content
	content=$(<"$2")
	[[ " ${content//$'\n'/ } " == *" $1 "* ]]
}

@test "cgroup2 is mounted on /sys/fs/cgroup with memory, pids, cpu and io enabled" {
	local dev fs mnt type rest
	# The only cgroup mount is cgroup2 on /sys/fs/cgroup (cgroup_no_v1=all).
	while read -r dev mnt type rest; do
		[[ "$type" != cgroup* ]] && continue
		echo "$dev $mnt $type"
		[ "$type" = cgroup2 ]
		[ "$mnt" = $CG ]
	done </proc/mounts
	for c in memory pids cpu io; do
		has "$c" $CG/cgroup.controllers
		has "$c" $CG/cgroup.subtree_control
	done
	make_cgroup
	for f in memory.max memory.events pids.max cpu.max io.max; do
		[ -f "$CGDIR/$f" ]
	done
	# io.max takes a limit for the null block device /dev/vda.
	read -r dev </sys/block/vda/dev
	echo "$dev rbps=1048576" >"$CGDIR/io.max"
	has "rbps=1048576" "$CGDIR/io.max"
	echo "50000 100000" >"$CGDIR/cpu.max"
	[ "$(<"$CGDIR/cpu.max")" = "50000 100000" ]
}

@test "memory.max=32M: allocating 64M is OOM-killed and counted in memory.events" {
	# Debian's python3, not a pyenv shim from $PATH (bash scripts: slow under emulation).
	[ -x /usr/bin/python3 ] || skip "python3 not installed"
	make_cgroup
	echo 32M >"$CGDIR/memory.max"
	[ "$(<"$CGDIR/memory.max")" = 33554432 ]
	run sh -c 'echo $$ >"$1/cgroup.procs" &&
		exec /usr/bin/python3 -S -c "s = b\"x\" * (64 << 20); print(\"survived\")"' sh "$CGDIR"
	echo "status=$status output=$output"
	cat "$CGDIR/memory.events"
	[ "$status" -eq 137 ] # SIGKILL
	[[ "$output" != *survived* ]]
	[[ "$(<"$CGDIR/memory.events")" =~ oom_kill\ [1-9] ]]
}

@test "pids.max stops a fork loop" {
	make_cgroup
	echo 10 >"$CGDIR/pids.max"
	# dash (sh) reports a failed fork instead of retrying the way bash does.  (The
	# sleepers must not hold run's output pipe open.)
	run sh -c 'echo $$ >"$1/cgroup.procs"; n=0
		while [ $n -lt 40 ]; do sleep 30 >/dev/null 2>&1 & n=$((n + 1)); done 2>/dev/null
		echo "current=$(cat "$1/pids.current")"' sh "$CGDIR"
	echo "status=$status output=$output"
	cat "$CGDIR/pids.events"
	[ "$(<"$CGDIR/pids.current")" -le 10 ]
	[[ "$(<"$CGDIR/pids.events")" =~ max\ [1-9] ]]
}

@test "overlayfs mounts, and pivot_root into it works" {
	d=$BATS_TEST_TMPDIR
	mkdir -p "$d/lower/bin" "$d/upper" "$d/work" "$d/merged"
	cp /bin/busybox "$d/lower/bin/busybox"
	echo from-lower >"$d/lower/hello"
	mount -t overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" overlay "$d/merged"
	echo from-upper >"$d/merged/written"
	[ "$(<"$d/upper/written")" = from-upper ]
	[ "$(<"$d/merged/hello")" = from-lower ]
	run unshare -m /bin/busybox sh -c '
		set -e
		mount --make-rprivate /
		cd "$1"
		mkdir -p old proc
		pivot_root . old
		exec /bin/busybox sh -c "
			/bin/busybox umount -l /old && /bin/busybox rmdir /old &&
			/bin/busybox mount -t proc proc /proc &&
			/bin/busybox cat /hello /written && /bin/busybox ls /"' sh "$d/merged"
	echo "status=$status output=$output"
	umount "$d/merged"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-lower ]
	[ "${lines[1]}" = from-upper ]
	[[ "$output" != *old* ]]
}

@test "unshare of every namespace type works (user, mount, uts, ipc, net, pid, cgroup, time)" {
	local ns="user mnt uts ipc net pid_for_children cgroup time_for_children" n
	run unshare --user --map-root-user --mount --uts --ipc --net --pid --fork --cgroup --time \
		/bin/busybox sh -c 'for n in $1; do echo "$n $(/bin/busybox readlink /proc/self/ns/$n)"; done
			/bin/busybox id -u' sh "$ns"
	echo "status=$status"
	printf '%s\n' "${lines[@]}"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 0 ]
	declare -A inside=()
	for l in "${lines[@]}"; do inside[${l%% *}]=${l#* }; done
	for n in $ns; do
		[ -n "${inside[$n]}" ]
		[ "${inside[$n]}" != "$(readlink /proc/self/ns/$n)" ]
	done
}

@test "seccomp filters and cgroup BPF are available" {
	local st
	st=$(</proc/self/status)
	[[ "$st" =~ Seccomp:[[:space:]] ]]
	[[ "$st" =~ Seccomp_filters:[[:space:]] ]]
	[ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ]
}
