#!/usr/bin/env bats
# events: runc's JSON event stream (stats every --interval, oom) and --stats.

load helpers

setup() {
	requires root
	setup_bundle sleep 1000
}

teardown() {
	# a stream still running would be reported as a leftover runtime process
	[ -n "${EVENTS_PID:-}" ] && kill -9 "$EVENTS_PID" 2>/dev/null
	teardown_bundle
}

# start_events ARG...: `clawrun events ARG...` in the background; its stdout in
# $EVENTS_OUT, its exit status (when it ends) in $EVENTS_OUT.rc.
function start_events() {
	EVENTS_OUT=$TESTDIR/events.out
	rm -f "$EVENTS_OUT" "$EVENTS_OUT.rc"
	: >"$EVENTS_OUT"
	(
		rc=0
		__clawrun events "$@" </dev/null >"$EVENTS_OUT" 2>"$EVENTS_OUT.err" || rc=$?
		echo "$rc" >"$EVENTS_OUT.rc"
	) &
	EVENTS_PID=$!
}

function __events_lines_ge() {
	[ "$(wc -l <"$EVENTS_OUT")" -ge "$1" ]
}

# wait_events_exit [TIMEOUT_S]: wait for the stream to end; sets $events_rc.
function wait_events_exit() {
	poll "${1:-5}" test -s "$EVENTS_OUT.rc" || fail "events did not exit: $(cat "$EVENTS_OUT.err")"
	wait "$EVENTS_PID" 2>/dev/null || true
	EVENTS_PID=
	events_rc=$(cat "$EVENTS_OUT.rc")
}

@test "events --stats prints one stats event as JSON" {
	run_detached
	clawrun events --stats "$CT"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e --arg id "$CT" '.type == "stats" and .id == $id' <<<"$output"
	jq -e '.data.memory.usage.usage > 0' <<<"$output"
	jq -e '.data.pids.current >= 1' <<<"$output"
	jq -e '.data.cpu.usage.total > 0' <<<"$output"
	jq -e '.data.memory.usage | has("limit") and has("failcnt")' <<<"$output"
	jq -e '.data.memory.raw | type == "object"' <<<"$output"
	jq -e '(.data.blkio | type == "object") and (.data.hugetlb | type == "object")' <<<"$output"
}

@test "events --stats reports the configured limits" {
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}'
	run_detached
	clawrun events --stats "$CT"
	[ "$status" -eq 0 ]
	jq -e '.data.memory.usage.limit == 67108864' <<<"$output"
	jq -e '.data.pids.limit == 50' <<<"$output"
}

@test "events --stats counts every process of the container" {
	run_detached
	clawrun exec -d "$CT" sleep 1000
	[ "$status" -eq 0 ]
	clawrun events --stats "$CT"
	[ "$status" -eq 0 ]
	jq -e '.data.pids.current == 2' <<<"$output"
}

@test "events --interval streams stats until the container is killed" {
	# runc 1.1 keeps streaming (errors) after the container is gone
	requires clawrun
	run_detached
	local start=$SECONDS
	start_events --interval 200ms "$CT"
	# 200 ms apart: two within about a second (generous on a loaded machine)
	poll 3 __events_lines_ge 2
	[ $((SECONDS - start)) -le 4 ]
	clawrun kill "$CT" KILL
	[ "$status" -eq 0 ]
	wait_events_exit 5
	[ "$events_rc" -eq 0 ]
	jq -se --arg id "$CT" 'length >= 2 and all(.[]; .type == "stats" and .id == $id and .data.pids.current >= 0)' "$EVENTS_OUT"
}

@test "events ends cleanly on SIGTERM and SIGINT" {
	# runc dies of the signal
	requires clawrun
	run_detached
	local sig
	for sig in TERM INT; do
		start_events --interval 100ms "$CT"
		poll 3 __events_lines_ge 1
		# the runtime process itself (not the `timeout` wrapper around it)
		local p
		p=$(pgrep -f "^$CLAWRUN --root $ROOT events " | head -1)
		[ -n "$p" ] || fail "cannot find the events process"
		kill -"$sig" "$p"
		wait_events_exit 5
		[ "$events_rc" -eq 0 ] || fail "events exited $events_rc on SIG$sig"
	done
	testcontainer "$CT" running
}

@test "an OOM kill produces an oom event and the process exits 137" {
	requires cgroups_v1
	make_rootfs_writable
	# 16 MiB of memory and no swap; the shell starts eating memory once /go exists
	update_config '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	set_args sh -c 'while [ ! -e /go ]; do sleep 0.05; done; x=$(yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -c 64000000); echo survived ${#x}'
	(
		rc=0
		__clawrun run "$CT" </dev/null >"$TESTDIR/run.out" 2>&1 || rc=$?
		echo "$rc" >"$TESTDIR/run.rc"
	) &
	wait_for_container "$CT" running 10
	start_events --interval 100ms "$CT"
	# the first stats event: the stream is set up and watching
	poll 5 __events_lines_ge 1
	touch "$BUNDLE/rootfs/go"
	poll 20 test -s "$TESTDIR/run.rc"
	[ "$(cat "$TESTDIR/run.rc")" -eq 137 ] || fail "run exited $(cat "$TESTDIR/run.rc"): $(cat "$TESTDIR/run.out")"
	wait_events_exit 10
	[ "$events_rc" -eq 0 ]
	jq -se --arg id "$CT" 'any(.[]; .type == "oom" and .id == $id)' "$EVENTS_OUT" ||
		fail "no oom event: $(grep -v '"stats"' "$EVENTS_OUT")"
}

@test "events of a missing container fails with 'does not exist'" {
	clawrun events --stats "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	clawrun events "$CT"
	[ "$status" -ne 0 ]
}

@test "events of a stopped container fails" {
	set_args true
	clawrun run -d "$CT"
	[ "$status" -eq 0 ]
	wait_for_container "$CT" stopped
	clawrun events --stats "$CT"
	[ "$status" -ne 0 ]
	clawrun events --interval 100ms "$CT"
	[ "$status" -ne 0 ]
}

@test "events rejects a bad --interval and needs an id" {
	requires clawrun
	run_detached
	local v
	for v in 5x abc 10 -1s 0; do
		clawrun events --interval "$v" "$CT"
		[ "$status" -ne 0 ] || fail "--interval $v accepted"
		[[ "$output" == *"--interval"* ]]
	done
	clawrun events
	[ "$status" -ne 0 ]
	clawrun events --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--stats"* ]]
}
