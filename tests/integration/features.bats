#!/usr/bin/env bats
# features: the OCI runtime-features document (runtime-spec features.md).

load helpers

setup() {
	setup_root
}

teardown() {
	teardown_bundle
}

function features() {
	clawrun features
	[ "$status" -eq 0 ] || fail "features failed: $output"
	FEATURES=$output
	jq -e . <<<"$FEATURES" >/dev/null || fail "features is not JSON"
}

@test "features prints JSON with ociVersionMin and ociVersionMax" {
	features
	jq -e '.ociVersionMin | startswith("1.")' <<<"$FEATURES"
	jq -e '.ociVersionMax | startswith("1.")' <<<"$FEATURES"
}

@test "features lists all six hooks" {
	features
	local h
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		jq -e --arg h "$h" '.hooks | index($h) != null' <<<"$FEATURES" >/dev/null || fail "hook $h missing"
	done
}

@test "features lists the common mount options" {
	features
	local o
	for o in ro rw bind rbind nosuid nodev noexec private rprivate; do
		jq -e --arg o "$o" '.mountOptions | index($o) != null' <<<"$FEATURES" >/dev/null || fail "mount option $o missing"
	done
}

@test "features lists the Linux namespaces" {
	features
	local n
	for n in cgroup ipc mount network pid uts user; do
		jq -e --arg n "$n" '.linux.namespaces | index($n) != null' <<<"$FEATURES" >/dev/null || fail "namespace $n missing"
	done
}

@test "features lists the capabilities" {
	features
	local c
	for c in CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_SYS_ADMIN CAP_SYS_PTRACE; do
		jq -e --arg c "$c" '.linux.capabilities | index($c) != null' <<<"$FEATURES" >/dev/null || fail "capability $c missing"
	done
}

@test "features reports seccomp support" {
	features
	jq -e '.linux.seccomp.enabled == true' <<<"$FEATURES"
	jq -e '.linux.seccomp.actions | index("SCMP_ACT_ERRNO") != null' <<<"$FEATURES"
	jq -e '.linux.seccomp.actions | index("SCMP_ACT_ALLOW") != null' <<<"$FEATURES"
}

@test "features reports cgroup v1 support" {
	features
	jq -e '.linux.cgroup.v1 == true' <<<"$FEATURES"
}

@test "features works without global flags and without a state directory" {
	cd "$TESTDIR"
	run "$CLAWRUN" features
	[ "$status" -eq 0 ]
	jq -e .ociVersionMax <<<"$output" >/dev/null
	[ ! -e "$ROOT" ]
}
