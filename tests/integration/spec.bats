#!/usr/bin/env bats
# spec: writes runc's default config.json.

load helpers

setup() {
	setup_root
	mkdir -p "$TESTDIR/spec"
	cd "$TESTDIR/spec" || return
}

teardown() {
	teardown_bundle
}

@test "spec writes a valid config.json in the current directory" {
	clawrun spec
	[ "$status" -eq 0 ]
	[ -f config.json ]
	jq -e '.ociVersion | startswith("1.")' config.json
	jq -e '.root.path == "rootfs"' config.json
	jq -e '.process.args == ["sh"]' config.json
}

@test "spec produces the same document as runc spec" {
	command -v runc >/dev/null || skip "runc is not installed"
	clawrun spec
	[ "$status" -eq 0 ]
	mkdir ref
	(cd ref && runc spec)
	# ociVersion is the runtime's own spec version; everything else is identical.
	diff -u <(jq -S 'del(.ociVersion)' ref/config.json) <(jq -S 'del(.ociVersion)' config.json)
}

@test "spec --bundle writes into the bundle directory" {
	mkdir b
	clawrun spec --bundle "$PWD/b"
	[ "$status" -eq 0 ]
	[ -f b/config.json ]
	[ ! -e config.json ]
	jq -e . b/config.json >/dev/null
}

@test "spec -b with a relative path" {
	mkdir b
	clawrun spec -b b
	[ "$status" -eq 0 ]
	[ -f b/config.json ]
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"keep": true}' >config.json
	clawrun spec
	[ "$status" -ne 0 ]
	[[ "$output" == *config.json* ]]
	jq -e '.keep == true' config.json
}

@test "spec into a missing directory fails" {
	clawrun spec --bundle "$TESTDIR/does-not-exist"
	[ "$status" -ne 0 ]
	[ ! -e "$TESTDIR/does-not-exist" ]
}

@test "spec writes a file owned by the caller, not group- or world-writable" {
	clawrun spec
	[ "$status" -eq 0 ]
	[ "$(stat -c %u config.json)" = "$(id -u)" ]
	local mode
	mode=$(stat -c %a config.json)
	[ $((8#$mode & 8#022)) -eq 0 ]
}

@test "the spec document runs once given a rootfs and a non-terminal process" {
	clawrun spec
	[ "$status" -eq 0 ]
	"$MKBUNDLE" "$TESTDIR/tmpb"
	mv "$TESTDIR/tmpb/rootfs" rootfs
	BUNDLE=$PWD
	update_config '.process.terminal = false | .process.args = ["echo", "spec-ok"]'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *spec-ok* ]]
}
