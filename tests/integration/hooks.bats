#!/usr/bin/env bats
# OCI hooks: prestart, createRuntime, createContainer, startContainer, poststart,
# poststop.  Host-side hooks run the host's /bin/sh and write into $TESTDIR.

load helpers

setup() {
	setup_bundle sleep 1000
	HOOKS=$TESTDIR/hooks
	mkdir -p "$HOOKS"
}

teardown() {
	teardown_bundle
}

# add_hook KIND SCRIPT [EXTRA_JSON]: append a /bin/sh -c SCRIPT hook.
function add_hook() {
	local kind=$1 script=$2 extra=${3:-\{\}}
	local hook
	hook=$(jq -cn --arg s "$script" --argjson extra "$extra" '{path: "/bin/sh", args: ["sh", "-c", $s]} + $extra')
	update_config ".hooks.$kind += [$hook]"
}

@test "createRuntime hook gets the state on stdin" {
	add_hook createRuntime "cat > $HOOKS/cr.json"
	create_container
	[ -s "$HOOKS/cr.json" ]
	jq -e --arg id "$CT" '.id == $id' "$HOOKS/cr.json"
	jq -e --arg b "$BUNDLE" '.bundle == $b' "$HOOKS/cr.json"
	jq -e '.pid > 0' "$HOOKS/cr.json"
	jq -e '.ociVersion | startswith("1.")' "$HOOKS/cr.json"
	[ "$(jq -r .pid "$HOOKS/cr.json")" = "$(ct_pid "$CT")" ]
}

@test "createRuntime hook runs in the runtime's namespaces, init already exists" {
	add_hook createRuntime 's=$(tr -d " \n\t"); pid=$(echo "$s" | sed "s/.*\"pid\":\([0-9]*\).*/\1/"); readlink /proc/self/ns/mnt > '"$HOOKS"'/mnt; test -d "/proc/$pid" && echo alive > '"$HOOKS"'/alive'
	create_container
	[ "$(cat "$HOOKS/mnt")" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(cat "$HOOKS/alive")" = alive ]
}

@test "prestart hook runs during create" {
	add_hook prestart "cat > $HOOKS/prestart.json"
	create_container
	[ -s "$HOOKS/prestart.json" ]
	jq -e --arg id "$CT" '.id == $id' "$HOOKS/prestart.json"
}

@test "createContainer hook runs in the container's namespaces" {
	add_hook createContainer "for n in uts ipc net mnt; do readlink /proc/self/ns/\$n; done > $HOOKS/cc.ns"
	create_container
	local pid n
	pid=$(ct_pid "$CT")
	[ "$(cat "$HOOKS/cc.ns")" = "$(for n in uts ipc net mnt; do readlink "/proc/$pid/ns/$n"; done)" ]
}

@test "startContainer hook runs inside the container before the process" {
	set_args sh -c 'cat /dev/shm/hook-ran; echo process-ran; exec sleep 1000'
	# path and args resolve in the container: busybox's sh.
	add_hook startContainer 'echo "hook-ran as $(id -u) in $(hostname)" > /dev/shm/hook-ran'
	update_config '.hostname = "inside"'
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" process-ran
	[[ "$(ct_output "$CT")" == *"hook-ran as 0 in inside"* ]]
}

@test "startContainer hook does not run at create" {
	add_hook startContainer 'echo x > /dev/shm/x'
	set_args sh -c 'test -e /dev/shm/x && echo HOOK-RAN || echo NO-HOOK; exec sleep 1000'
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" HOOK-RAN
}

@test "poststart hook runs after start, not at create" {
	add_hook poststart "cat > $HOOKS/poststart.json"
	create_container
	[ ! -e "$HOOKS/poststart.json" ]
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	poll 5 test -s "$HOOKS/poststart.json"
	jq -e --arg id "$CT" '.id == $id' "$HOOKS/poststart.json"
}

@test "poststop hook runs at delete" {
	add_hook poststop "cat > $HOOKS/poststop.json"
	run_detached
	[ ! -e "$HOOKS/poststop.json" ]
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	[ -s "$HOOKS/poststop.json" ]
	jq -e --arg id "$CT" '.id == $id' "$HOOKS/poststop.json"
}

@test "hooks of one kind run in order" {
	add_hook createRuntime "echo one >> $HOOKS/order"
	add_hook createRuntime "echo two >> $HOOKS/order"
	add_hook createRuntime "echo three >> $HOOKS/order"
	create_container
	[ "$(cat "$HOOKS/order" | tr '\n' ' ')" = "one two three " ]
}

@test "hook kinds run in lifecycle order" {
	local k
	for k in createRuntime createContainer prestart poststart poststop; do
		add_hook "$k" "echo $k >> $HOOKS/lifecycle"
	done
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	poll 5 grep -q poststart "$HOOKS/lifecycle"
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	cat "$HOOKS/lifecycle" >&2
	local cr cc ps pst
	cr=$(grep -n '^createRuntime$' "$HOOKS/lifecycle" | cut -d: -f1)
	cc=$(grep -n '^createContainer$' "$HOOKS/lifecycle" | cut -d: -f1)
	ps=$(grep -n '^poststart$' "$HOOKS/lifecycle" | cut -d: -f1)
	pst=$(grep -n '^poststop$' "$HOOKS/lifecycle" | cut -d: -f1)
	[ "$cr" -lt "$cc" ]
	[ "$cc" -lt "$ps" ]
	[ "$ps" -lt "$pst" ]
}

@test "hook args and env are passed as given" {
	local hook
	hook=$(jq -cn --arg out "$HOOKS/args" '{path: "/bin/sh", args: ["sh", "-c", "echo \"$0|$1|$HOOKVAR|${HOME:-nohome}\" > \($out)", "first", "second"], env: ["HOOKVAR=hv"]}')
	update_config ".hooks.createRuntime = [$hook]"
	create_container
	[ "$(cat "$HOOKS/args")" = "first|second|hv|nohome" ]
}

@test "a failing createRuntime hook fails create and leaves nothing" {
	add_hook createRuntime 'exit 3'
	clawrun create "$CT"
	[ "$status" -ne 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ]
}

@test "a failing prestart hook fails create" {
	add_hook prestart 'exit 1'
	clawrun create "$CT"
	[ "$status" -ne 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
}

@test "a failing createContainer hook fails create" {
	add_hook createContainer 'exit 2'
	clawrun create "$CT"
	[ "$status" -ne 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
}

@test "a hook with a missing binary fails create" {
	update_config '.hooks.createRuntime = [{"path": "/no/such/hook"}]'
	clawrun create "$CT"
	[ "$status" -ne 0 ]
}

@test "a hook that exceeds its timeout is killed and fails create" {
	add_hook createRuntime "echo \$\$ > $HOOKS/slow.pid; exec sleep 30" '{"timeout": 1}'
	local t0=$SECONDS
	clawrun create "$CT"
	[ "$status" -ne 0 ]
	[ $((SECONDS - t0)) -lt 10 ]
	local p
	p=$(cat "$HOOKS/slow.pid")
	wait_pid_gone "$p" 5 || {
		# still our hook's `sleep 30`? (never kill a guessed pid)
		grep -qx sleep30 <(tr -d '\0' <"/proc/$p/cmdline") && kill -9 "$p"
		fail "the timed-out hook was not killed"
	}
}

@test "poststop runs after a container that ran to completion" {
	set_args true
	add_hook poststop "echo ran > $HOOKS/poststop"
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$(cat "$HOOKS/poststop")" = ran ]
}
