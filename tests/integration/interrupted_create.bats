#!/usr/bin/env bats
# A create killed with SIGKILL at any point leaves nothing that `delete --force`
# cannot remove: afterwards no state directory, no cgroup, no process, and the id can
# be used again.

load helpers

setup() {
	setup_bundle sleep 1000
	HOOKS=$TESTDIR/hooks
	mkdir -p "$HOOKS"
}

teardown() {
	# Hook processes the killed create left behind (their pids are ours).
	local f
	for f in "$HOOKS"/createRuntime.pid "$HOOKS"/prestart.pid; do
		[ -f "$f" ] && kill_hook "$f"
	done
	teardown_bundle
}

# kill_hook PIDFILE: SIGKILL a host-side hook, after checking that the pid still is
# the hook's `sleep 30` (pids are never guessed).
function kill_hook() {
	local p
	p=$(cat "$1" 2>/dev/null) || return 0
	[[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -gt 1 ] || return 0
	grep -qx 'sleep30' <(tr -d '\0' <"/proc/$p/cmdline" 2>/dev/null) || return 0
	kill -9 "$p" 2>/dev/null || true
}

# Start `create` in the background, directly (no timeout wrapper: we kill it).
function start_create() {
	"$CLAWRUN" --root "$ROOT" create --pid-file "$TESTDIR/init.pid" "$CT" \
		</dev/null >"$TESTDIR/create.log" 2>&1 3>&- &
	CREATE_PID=$!
	echo "$CT" >>"$TESTDIR/ids"
}

function kill_create() {
	kill -9 "$CREATE_PID" 2>/dev/null || true
	wait "$CREATE_PID" 2>/dev/null || true
}

# A hook that saves the state it gets (with init's pid), records that it started and
# blocks.  Host-side hooks (createRuntime, prestart) also record their pid, for the
# teardown to kill; a createContainer hook runs in the container's pid namespace,
# where $$ is not a host pid, and dies with the container.
function blocking_hook() {
	local kind=$1 hook record
	case "$kind" in
	createRuntime | prestart) record="echo \$\$ > $HOOKS/$kind.pid" ;;
	*) record="echo started > $HOOKS/$kind.started" ;;
	esac
	hook=$(jq -cn --arg s "cat > $HOOKS/$kind.state; $record; exec sleep 30" '{path: "/bin/sh", args: ["sh", "-c", $s]}')
	update_config ".hooks.$kind = [$hook]"
}

# init's host pid, from the state a host-side hook received.
function init_pid_from_hook() {
	jq -r '.pid // empty' "$HOOKS/$1.state"
}

# Everything of the container is gone after delete --force.
function assert_cleaned_up() {
	local before
	before=$(pids_in_cgroup "/clawrun/$CT")
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ] || fail "delete --force failed: $output"
	clawrun state "$CT"
	[ "$status" -ne 0 ] || fail "the container still exists"
	[ ! -e "$ROOT/$CT" ] || fail "state directory left: $(ls -la "$ROOT/$CT")"
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ] || fail "cgroup left: $(cgroup_dirs "/clawrun/$CT")"
	local p
	for p in $before; do
		wait_pid_gone "$p" || fail "process $p left"
	done
	[ -z "$(pids_in_cgroup "/clawrun/$CT")" ] || fail "processes left in /clawrun/$CT"
}

# The id works again: a full create/start/delete.
function assert_reusable() {
	update_config 'del(.hooks)'
	set_args sh -c 'echo again'
	clawrun run "$CT"
	[ "$status" -eq 0 ] || fail "run after cleanup failed: $output"
	[[ "$output" == *again* ]]
}

@test "create killed during a createRuntime hook" {
	blocking_hook createRuntime
	start_create
	poll 10 test -s "$HOOKS/createRuntime.pid"
	kill_create
	kill_hook "$HOOKS/createRuntime.pid"
	assert_cleaned_up
	assert_reusable
}

@test "create killed during a prestart hook" {
	blocking_hook prestart
	start_create
	poll 10 test -s "$HOOKS/prestart.pid"
	kill_create
	kill_hook "$HOOKS/prestart.pid"
	assert_cleaned_up
	assert_reusable
}

@test "create killed during a createContainer hook (inside the container's namespaces)" {
	blocking_hook createContainer
	start_create
	poll 10 test -s "$HOOKS/createContainer.started"
	kill_create
	# The hook runs in the container (its cgroup and pid namespace): delete --force
	# must take it down with the rest.
	assert_cleaned_up
	assert_reusable
}

@test "create killed at many points: delete --force always cleans up" {
	local delay
	for delay in 0 0.001 0.003 0.005 0.01 0.02 0.04 0.08; do
		start_create
		sleep "$delay"
		kill_create
		assert_cleaned_up
	done
	assert_reusable
}

@test "a killed create's init is gone after delete --force" {
	blocking_hook createRuntime
	start_create
	poll 10 test -s "$HOOKS/createRuntime.pid"
	local init
	init=$(init_pid_from_hook createRuntime)
	[ -n "$init" ] && [ "$init" -gt 0 ]
	[ -d "/proc/$init" ]
	kill_create
	kill_hook "$HOOKS/createRuntime.pid"
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	wait_pid_gone "$init" || fail "init $init survived delete --force"
	[ -z "$(pids_in_cgroup "/clawrun/$CT")" ] || fail "processes left: $(pids_in_cgroup "/clawrun/$CT")"
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
}
