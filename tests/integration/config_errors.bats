#!/usr/bin/env bats
# Invalid configurations: create fails with one error line naming the field, and
# leaves nothing behind (teardown checks the state dir, cgroup and processes).

load helpers

setup() {
	setup_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

# create_fails [PATTERN...]: create must fail, print one line, state must not exist,
# and the output must contain every PATTERN.
function create_fails() {
	clawrun create "$CT"
	[ "$status" -ne 0 ] || fail "create succeeded"
	[ "$status" -ne 124 ] || fail "create hung"
	local p
	for p in "$@"; do
		[[ "$output" == *"$p"* ]] || fail "error does not mention '$p': $output"
	done
	local msg=$output
	clawrun state "$CT"
	[ "$status" -ne 0 ] || fail "the container exists after a failed create"
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ] || fail "cgroup left after a failed create"
	output=$msg
}

# The error is exactly one line on stderr (the contract engines parse).
function one_line_on_stderr() {
	local err
	err=$(__clawrun create "$CT" 2>&1 >/dev/null </dev/null) || true
	[ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] || fail "stderr is not one line: $err"
}

@test "missing config.json" {
	rm config.json
	create_fails config.json
}

@test "config.json is not JSON" {
	echo '{"ociVersion": "1.0.2", ' >config.json
	create_fails config.json
}

@test "config.json is a JSON array" {
	echo '[]' >config.json
	create_fails
}

@test "process.user.uid is a string: 'process.user.uid: expected a number'" {
	update_config '.process.user.uid = "0"'
	create_fails "process.user.uid: expected a number"
	one_line_on_stderr
}

@test "process.user.uid is negative" {
	update_config '.process.user.uid = -1'
	create_fails process.user.uid
}

@test "process.user.gid is out of range" {
	update_config '.process.user.gid = 4294967296'
	create_fails process.user.gid
}

@test "process.args is empty" {
	update_config '.process.args = []'
	create_fails process.args
}

@test "process.args is not an array of strings" {
	update_config '.process.args = ["sh", 1]'
	create_fails process.args
}

@test "process.cwd is relative" {
	update_config '.process.cwd = "tmp"'
	create_fails process.cwd
}

@test "ociVersion is missing" {
	update_config 'del(.ociVersion)'
	create_fails ociVersion
}

@test "ociVersion is not 1.x" {
	update_config '.ociVersion = "2.0.0"'
	create_fails ociVersion
}

@test "root.path is missing" {
	update_config 'del(.root)'
	create_fails root
}

@test "root.path does not exist" {
	update_config '.root.path = "no-such-rootfs"'
	create_fails no-such-rootfs
}

@test "an unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "nosuchns"}]'
	create_fails linux.namespaces nosuchns
}

@test "a namespace listed twice" {
	update_config '.linux.namespaces += [{"type": "pid"}]'
	create_fails linux.namespaces
}

@test "an unknown capability" {
	update_config '.process.capabilities.bounding += ["CAP_NO_SUCH"]'
	create_fails process.capabilities CAP_NO_SUCH
}

@test "an unknown rlimit" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOSUCH", "soft": 1, "hard": 1}]'
	create_fails process.rlimits RLIMIT_NOSUCH
}

@test "an rlimit with soft above hard" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]'
	create_fails RLIMIT_NOFILE
}

@test "a mount without a destination" {
	update_config '.mounts += [{"type": "tmpfs", "source": "tmpfs"}]'
	create_fails mounts
}

@test "a mount with a relative destination" {
	update_config '.mounts += [{"destination": "mnt", "type": "tmpfs", "source": "tmpfs"}]'
	create_fails mounts
}

@test "an unknown mount option is passed to the filesystem, which refuses it" {
	update_config '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["nosuchoption=1"]}]'
	create_fails
}

@test "a bind mount of a missing source" {
	update_config '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/no/such/source", "options": ["rbind"]}]'
	create_fails /no/such/source
}

@test "a hook with a relative path" {
	update_config '.hooks.createRuntime = [{"path": "bin/true"}]'
	create_fails hooks
}

@test "a hook with a non-positive timeout" {
	update_config '.hooks.createRuntime = [{"path": "/bin/true", "timeout": 0}]'
	create_fails hooks
}

@test "linux.resources.memory.limit is not a number" {
	update_config '.linux.resources.memory.limit = "lots"'
	create_fails linux.resources.memory.limit
}

@test "an unknown seccomp action" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOSUCH"}'
	create_fails SCMP_ACT_NOSUCH
}

@test "an unknown device type" {
	update_config '.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}]'
	create_fails linux.devices
}

@test "a missing executable fails create or start, and leaves nothing after delete" {
	update_config '.process.args = ["/no/such/binary"]'
	clawrun create "$CT"
	if [ "$status" -eq 0 ]; then
		clawrun start "$CT"
		[ "$status" -ne 0 ] || wait_for_container "$CT" stopped
	fi
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
}

@test "--log with --log-format json writes the error as a JSON line" {
	update_config '.process.user.uid = "0"'
	clawrun --log "$TESTDIR/log.json" --log-format json create "$CT"
	[ "$status" -ne 0 ]
	[ -s "$TESTDIR/log.json" ]
	local last
	last=$(grep '"level":"error"' "$TESTDIR/log.json" | tail -n 1)
	[ -n "$last" ]
	jq -e '.level == "error" and (.msg | type == "string") and (.time | type == "string")' <<<"$last"
	jq -e '.msg | contains("process.user.uid")' <<<"$last"
}

@test "every line of a JSON log is a JSON object" {
	update_config '.process.args = []'
	clawrun --log "$TESTDIR/log.json" --log-format json --debug create "$CT"
	[ "$status" -ne 0 ]
	[ -s "$TESTDIR/log.json" ]
	while IFS= read -r line; do
		jq -e 'type == "object" and has("level") and has("msg") and has("time")' <<<"$line" >/dev/null ||
			fail "not a log object: $line"
	done <"$TESTDIR/log.json"
}

@test "--log with the text format writes the error" {
	update_config '.process.args = []'
	clawrun --log "$TESTDIR/log.txt" create "$CT"
	[ "$status" -ne 0 ]
	grep -q process.args "$TESTDIR/log.txt"
}

@test "--log-format with an unknown value fails" {
	clawrun --log "$TESTDIR/log" --log-format xml list
	[ "$status" -ne 0 ]
}
