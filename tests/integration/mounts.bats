#!/usr/bin/env bats
# mounts: config "mounts", the default /dev, masked and read-only paths.

load helpers

setup() {
	setup_bundle
	mkdir -p "$TESTDIR/src"
	echo host-file >"$TESTDIR/src/file"
}

teardown() {
	teardown_bundle
}

# add_mount JSON: append one entry to "mounts".
function add_mount() {
	update_config ".mounts += [$1]"
}

@test "tmpfs mount" {
	add_mount '{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	set_args sh -c 'stat -f -c %T /mnt; echo x > /mnt/f && cat /mnt/f'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tmpfs ]
	[ "${lines[1]}" = x ]
}

@test "bind mount of a host directory" {
	add_mount '{"destination": "/data", "type": "bind", "source": "'"$TESTDIR/src"'", "options": ["rbind"]}'
	set_args cat /data/file
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = host-file ]
}

@test "bind mount without a type, by the bind option" {
	add_mount '{"destination": "/data", "source": "'"$TESTDIR/src"'", "options": ["bind"]}'
	set_args cat /data/file
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = host-file ]
}

@test "read-only bind mount cannot be written" {
	add_mount '{"destination": "/data", "type": "bind", "source": "'"$TESTDIR/src"'", "options": ["rbind", "ro"]}'
	set_args sh -c 'echo evil > /data/file; echo rc=$?; cat /data/file'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
	[ "$(cat "$TESTDIR/src/file")" = host-file ]
}

@test "read-write bind mount writes through to the host" {
	add_mount '{"destination": "/data", "type": "bind", "source": "'"$TESTDIR/src"'", "options": ["rbind", "rw"]}'
	set_args sh -c 'echo from-container > /data/new'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/src/new")" = from-container ]
}

@test "bind mount of a single file" {
	add_mount '{"destination": "/etc/motd", "type": "bind", "source": "'"$TESTDIR/src/file"'", "options": ["bind", "ro"]}'
	set_args cat /etc/motd
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = host-file ]
}

@test "a missing nested destination is created inside the rootfs" {
	add_mount '{"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs"}'
	set_args stat -f -c %T /a/b/c
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = tmpfs ]
	[ -d "$BUNDLE/rootfs/a/b/c" ]
}

@test "mount options nosuid, nodev, noexec are applied" {
	add_mount '{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec"]}'
	set_args grep ' /mnt ' /proc/mounts
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *nosuid* ]]
	[[ "$output" == *nodev* ]]
	[[ "$output" == *noexec* ]]
}

@test "mounts are applied in order: a later mount covers an earlier one" {
	add_mount '{"destination": "/data", "type": "bind", "source": "'"$TESTDIR/src"'", "options": ["rbind"]}'
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}'
	set_args sh -c 'ls -A /data | wc -l'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "/proc, /sys and /dev have the right filesystems" {
	set_args sh -c 'stat -f -c %T /proc /sys /dev /dev/pts /dev/shm'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = proc ]
	[ "${lines[1]}" = sysfs ]
	[ "${lines[2]}" = tmpfs ]
	[ "${lines[3]}" = devpts ]
	[ "${lines[4]}" = tmpfs ]
}

@test "/dev has the default device nodes" {
	set_args sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/null character special file 1:3"* ]]
	[[ "$output" == *"/dev/zero character special file 1:5"* ]]
	[[ "$output" == *"/dev/full character special file 1:7"* ]]
	[[ "$output" == *"/dev/random character special file 1:8"* ]]
	[[ "$output" == *"/dev/urandom character special file 1:9"* ]]
	[[ "$output" == *"/dev/tty character special file 5:0"* ]]
}

@test "/dev has the standard symlinks and ptmx" {
	set_args sh -c 'for l in fd stdin stdout stderr; do readlink /dev/$l; done; test -e /dev/ptmx && echo ptmx'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /proc/self/fd ]
	[ "${lines[1]}" = /proc/self/fd/0 ]
	[ "${lines[2]}" = /proc/self/fd/1 ]
	[ "${lines[3]}" = /proc/self/fd/2 ]
	[ "${lines[4]}" = ptmx ]
}

@test "the device nodes work" {
	set_args sh -c 'echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1 && head -c 8 /dev/urandom | wc -c'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"00 00 00 00"* ]]
	[ "${lines[1]}" = 8 ]
}

@test "linux.devices adds a device node" {
	update_config '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 0, "gid": 0}]'
	set_args stat -c '%F %t:%T %a' /dev/mynull
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = "character special file 1:3 666" ]
}

@test "root.readonly makes / read-only" {
	update_config '.root.readonly = true'
	set_args sh -c 'touch /newfile; echo rc=$?'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *rc=1* ]]
	[ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "root.readonly false makes / writable" {
	make_rootfs_writable
	set_args sh -c 'touch /newfile; echo rc=$?'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *rc=0* ]]
	[ -e "$BUNDLE/rootfs/newfile" ]
}

@test "masked paths are empty" {
	# Which of these exist depends on the kernel; at least one always does.
	set_args sh -c 'n=0; for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
		test -e $f || continue; n=$((n + 1)); echo "$f $(cat $f | wc -c)"; done; echo "files $n";
		echo "firmware $(ls -A /sys/firmware | wc -l)"'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" != *"files 0"* ]]
	[ "$(grep -c '^/proc/.* 0$' <<<"$output")" -eq "$(grep -c '^/proc/' <<<"$output")" ]
	[[ "$output" == *"firmware 0"* ]]
}

@test "a masked directory cannot be written" {
	set_args sh -c 'touch /sys/firmware/x; echo rc=$?; mkdir /proc/acpi/x; echo rc=$?'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'rc=0' <<<"$output")" -eq 0 ]
}

@test "read-only paths cannot be written" {
	set_args sh -c 'echo evil > /proc/sys/kernel/domainname; echo rc=$?; echo h > /proc/sysrq-trigger; echo rc=$?'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'rc=0' <<<"$output")" -eq 0 ]
	[ "$(cat /proc/sys/kernel/domainname)" != evil ]
}

@test "user-given masked and read-only paths" {
	make_rootfs_writable
	mkdir -p "$BUNDLE/rootfs/secret" "$BUNDLE/rootfs/ro"
	echo s3cret >"$BUNDLE/rootfs/secret/key"
	update_config '.linux.maskedPaths += ["/secret"] | .linux.readonlyPaths += ["/ro"]'
	set_args sh -c 'cat /secret/key; echo rc=$?; touch /ro/x; echo rc=$?'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" != *s3cret* ]]
	[ "$(grep -c 'rc=0' <<<"$output")" -eq 0 ]
}

@test "the container's mounts do not appear on the host" {
	add_mount '{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}'
	set_args sleep 1000
	run_detached
	! grep -q "$BUNDLE/rootfs" /proc/self/mountinfo
}

@test "/dev/pts is a private devpts instance" {
	set_args sh -c 'ls /dev/pts | grep -v ptmx | wc -l'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}
