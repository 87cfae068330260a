#!/usr/bin/env bats
# --help on every command: exit 0, a usage text naming the command, no side effects.

load helpers

setup() {
	setup_root
}

teardown() {
	teardown_bundle
}

function check_help() {
	local cmd=$1
	run "$CLAWRUN" --root "$ROOT" "$cmd" --help
	echo "$output" >&2
	[ "$status" -eq 0 ] || fail "$cmd --help exited with $status"
	[[ "${output,,}" == *usage* ]] || fail "$cmd --help shows no usage"
	[[ "$output" == *"$cmd"* ]] || fail "$cmd --help does not name the command"
	[ ! -e "$ROOT" ] || fail "$cmd --help created the state directory"
}

@test "create --help" { check_help create; }
@test "start --help" { check_help start; }
@test "run --help" { check_help run; }
@test "state --help" { check_help state; }
@test "kill --help" { check_help kill; }
@test "delete --help" { check_help delete; }
@test "list --help" { check_help list; }
@test "exec --help" { check_help exec; }
@test "ps --help" { check_help ps; }
@test "pause --help" { check_help pause; }
@test "resume --help" { check_help resume; }
@test "update --help" { check_help update; }
@test "events --help" { check_help events; }
@test "features --help" { check_help features; }
@test "spec --help" { check_help spec; }

@test "-h is the same as --help" {
	run "$CLAWRUN" --root "$ROOT" create -h
	[ "$status" -eq 0 ]
	[[ "${output,,}" == *usage* ]]
}

@test "--help documents the main flags of create and exec" {
	run "$CLAWRUN" create --help
	[ "$status" -eq 0 ]
	local f
	for f in --bundle --pid-file --console-socket; do
		[[ "$output" == *"$f"* ]] || fail "create --help lacks $f"
	done
	run "$CLAWRUN" exec --help
	[ "$status" -eq 0 ]
	for f in --process --env --cwd --user --tty --detach --pid-file; do
		[[ "$output" == *"$f"* ]] || fail "exec --help lacks $f"
	done
}
