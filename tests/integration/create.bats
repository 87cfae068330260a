#!/usr/bin/env bats
# create: the container exists, is "created", its init waits before exec.

load helpers

setup() {
	setup_bundle sh -c 'echo STARTED; exec sleep 1000'
}

teardown() {
	teardown_bundle
}

@test "create leaves the container in state created" {
	clawrun create "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" created
}

@test "create returns with init alive in the container's cgroup" {
	create_container
	local pid
	pid=$(ct_pid "$CT")
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	grep -E "^[0-9]+:memory:/" "/proc/$pid/cgroup" | grep -vq process_api
}

@test "create does not start the user process" {
	create_container
	sleep 0.2
	[[ "$(ct_output "$CT")" != *STARTED* ]]
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" STARTED
}

@test "create --pid-file writes init's pid" {
	clawrun create --pid-file "$TESTDIR/pid" "$CT"
	[ "$status" -eq 0 ]
	[ -s "$TESTDIR/pid" ]
	[ "$(cat "$TESTDIR/pid")" = "$(ct_pid "$CT")" ]
}

@test "create --pid-file with a relative path is relative to the cwd" {
	clawrun create --pid-file pid.rel "$CT"
	[ "$status" -eq 0 ]
	[ "$(cat "$BUNDLE/pid.rel")" = "$(ct_pid "$CT")" ]
}

@test "create --bundle with an absolute path, from another directory" {
	cd "$TESTDIR"
	clawrun create --bundle "$BUNDLE" "$CT"
	[ "$status" -eq 0 ]
	clawrun state "$CT"
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
}

@test "create -b with a relative path records the absolute bundle" {
	cd "$TESTDIR"
	clawrun create -b bundle "$CT"
	[ "$status" -eq 0 ]
	clawrun state "$CT"
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
}

@test "create with an id already in use fails and leaves the first container alone" {
	create_container
	local pid
	pid=$(ct_pid "$CT")
	clawrun create "$CT"
	[ "$status" -ne 0 ]
	testcontainer "$CT" created
	[ "$(ct_pid "$CT")" = "$pid" ]
}

@test "create with a missing bundle fails and leaves nothing" {
	clawrun create --bundle "$TESTDIR/nope" "$CT"
	[ "$status" -ne 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
}

@test "create without an id fails" {
	clawrun create
	[ "$status" -ne 0 ]
}

@test "create rejects an id containing a slash" {
	clawrun create "a/b"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/a" ]
	[ -z "$(cgroup_dirs /clawrun/a)" ]
}

@test "create rejects the ids . and .." {
	clawrun create ".."
	[ "$status" -ne 0 ]
	clawrun create "."
	[ "$status" -ne 0 ]
	clawrun create "x/../y"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null | grep -v '^\.')" ] || [ ! -e "$ROOT/y" ]
}

@test "create rejects an id longer than 1024 bytes" {
	local long
	long=$(printf 'a%.0s' $(seq 1025))
	clawrun create "$long"
	[ "$status" -ne 0 ]
}

@test "create rejects an empty id" {
	clawrun create ""
	[ "$status" -ne 0 ]
}

@test "two containers from one bundle get separate inits" {
	clawrun create "$CT-a"
	[ "$status" -eq 0 ]
	clawrun create "$CT-b"
	[ "$status" -eq 0 ]
	testcontainer "$CT-a" created
	testcontainer "$CT-b" created
	[ "$(ct_pid "$CT-a")" != "$(ct_pid "$CT-b")" ]
}

@test "create puts init in new namespaces" {
	create_container
	local pid ns
	pid=$(ct_pid "$CT")
	for ns in pid net ipc uts mnt; do
		[ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] || fail "init shares the host's $ns namespace"
	done
	# The pid namespace takes effect for init itself; pid_for_children must match.
	[ "$(readlink "/proc/$pid/ns/pid_for_children")" = "$(readlink "/proc/$pid/ns/pid")" ]
}

@test "create joins an existing namespace given by path" {
	create_container "$CT-a"
	local pid
	pid=$(ct_pid "$CT-a")
	update_config '(.linux.namespaces[] | select(.type == "network")) .path = "/proc/'"$pid"'/ns/net"'
	clawrun create "$CT-b"
	[ "$status" -eq 0 ]
	[ "$(readlink "/proc/$(ct_pid "$CT-b")/ns/net")" = "$(readlink "/proc/$pid/ns/net")" ]
}

@test "create --no-pivot works" {
	clawrun create --no-pivot "$CT"
	[ "$status" -eq 0 ]
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" STARTED
}

@test "create --no-new-keyring works" {
	clawrun create --no-new-keyring "$CT"
	[ "$status" -eq 0 ]
	testcontainer "$CT" created
}

@test "create with a relative root.path resolves it against the bundle" {
	cd "$TESTDIR"
	jq -e '.root.path == "rootfs"' "$BUNDLE/config.json"
	clawrun create --bundle "$BUNDLE" "$CT"
	[ "$status" -eq 0 ]
	clawrun state "$CT"
	[ "$(jq -r .rootfs <<<"$output")" = "$BUNDLE/rootfs" ]
}

@test "create with an absolute root.path" {
	update_config '.root.path = "'"$BUNDLE/rootfs"'"'
	clawrun create "$CT"
	[ "$status" -eq 0 ]
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" STARTED
}
