#!/usr/bin/env bats
# Global flags: --version, --help, unknown commands and flags.

load helpers

setup() {
	setup_root
}

teardown() {
	teardown_bundle
}

@test "--version prints 'clawrun version', 'commit:' and 'spec:' lines" {
	run "$CLAWRUN" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^clawrun\ version\ [0-9]+\.[0-9]+ ]]
	[[ "${lines[1]}" =~ ^commit:\ .+ ]]
	[ "${lines[2]}" = "spec: 1.2.0" ]
}

@test "--version reports the version in VERSION" {
	[ -f "$REPO_ROOT/VERSION" ] || skip "no VERSION file"
	run "$CLAWRUN" --version
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "clawrun version $(cat "$REPO_ROOT/VERSION")" ]
}

@test "--version needs no state directory and creates none" {
	run "$CLAWRUN" --root "$ROOT" --version
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT" ]
}

@test "--help lists every command" {
	run "$CLAWRUN" --help
	[ "$status" -eq 0 ]
	local cmd
	for cmd in create start run state kill delete list exec ps pause resume update events features spec; do
		[[ "$output" == *"$cmd"* ]] || fail "--help does not mention $cmd"
	done
}

@test "an unknown command fails with an error on stderr" {
	run "$CLAWRUN" --root "$ROOT" no-such-command
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-command* ]]
}

@test "an unknown global flag fails" {
	run "$CLAWRUN" --no-such-flag list
	[ "$status" -ne 0 ]
}

@test "an unknown command flag fails" {
	run "$CLAWRUN" --root "$ROOT" list --no-such-flag
	[ "$status" -ne 0 ]
}

@test "--systemd-cgroup without systemd is refused with a clear error, creating nothing" {
	requires clawrun
	setup_bundle true
	clawrun --systemd-cgroup run "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup: systemd is not running on this host"* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$ROOT/$CT" ]
}

@test "--rootless is accepted" {
	clawrun --rootless list
	[ "$status" -eq 0 ]
	clawrun --rootless=false list
	[ "$status" -eq 0 ]
}

@test "--debug is accepted and the command still works" {
	setup_bundle sh -c 'echo hello'
	clawrun --debug run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *hello* ]]
}
