#!/usr/bin/env bats
# clawrun on real cgroup v2, run INSIDE the test guest by tests/guest/cgroupv2.bats:
#   scripts/guest/run -e CGV2_BUNDLE=DIR -- bats --tap tests/guest/inner-cgroupv2.bats
# On any other machine every test skips (never touch the host's cgroups).
#
# CGV2_BUNDLE: a bundle made by scripts/mkbundle on the host (the guest sees it
# read-only).  Its rootfs is shared by every container here (root.path absolute,
# root.readonly as in `runc spec`); each test writes its own config.json under /tmp.
# Without CGV2_BUNDLE, setup_file runs mkbundle with its cache under /tmp (the
# repository's cache is read-only here and cp -al cannot cross into /tmp): ~30 s of
# emulation.  CLAWRUN: the binary under test (default: ./clawrun of this repository).
#
# Every process costs ~0.1 s under emulation (jq ~0.5 s, bats ~1 s per test): shell
# builtins where possible, configs written without jq, no per-test bundle copies.

CG=/sys/fs/cgroup
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CLAWRUN=${CLAWRUN:-$REPO/clawrun}

in_guest() {
	local h
	read -r h </proc/sys/kernel/hostname
	[ "$h" = clawrun-guest ] && [ -d /run/clawrun-guest/ctl ]
}

setup_file() {
	in_guest || return 0
	local bundle=${CGV2_BUNDLE:-}
	if [ -z "$bundle" ]; then
		bundle=$BATS_RUN_TMPDIR/template
		MKBUNDLE_CACHE=$BATS_RUN_TMPDIR/mkbundle-cache "$REPO/scripts/mkbundle" "$bundle" sh
	fi
	# The one jq run (~0.5 s each here): the config every test starts from, with
	# placeholders that `config` replaces.
	TEMPLATE_JSON=$(jq --arg rootfs "$bundle/rootfs" '.root.path = $rootfs | del(.linux.cgroupsPath)
		| .process.args = "@ARGS@" | .linux.devices = "@DEVICES@" | .linux.resources = "@RESOURCES@"' \
		"$bundle/config.json")
	export TEMPLATE_JSON
}

setup() {
	in_guest || skip "not inside the guest (run via tests/guest/cgroupv2.bats)"
	[[ "${TEMPLATE_JSON:-}" == *@RESOURCES@* ]] || { echo "setup_file made no template config" >&2; return 1; }
	ROOT=$BATS_RUN_TMPDIR/state
	ID=cgv2-$BATS_TEST_NUMBER
	CGDIR=$CG/clawrun/$ID
	IDS=("$ID")
	CALLER_CG=
}

teardown() {
	[ -n "${ROOT:-}" ] || return 0 # setup skipped: not in the guest
	local id problems=0
	for id in "${IDS[@]}"; do
		"$CLAWRUN" --root "$ROOT" delete --force "$id" </dev/null >/dev/null 2>&1 3>&-
		if [ -d "$CG/clawrun/$id" ]; then
			echo "teardown: cgroup left after delete --force: $CG/clawrun/$id" >&2
			problems=1
			echo 1 >"$CG/clawrun/$id/cgroup.kill"
			for _ in {1..50}; do rmdir "$CG/clawrun/$id" 2>/dev/null && break; sleep 0.1; done
		fi
	done
	if [ -n "$CALLER_CG" ] && [ -d "$CALLER_CG" ]; then
		echo 1 >"$CALLER_CG/cgroup.kill"
		for _ in {1..50}; do rmdir "$CALLER_CG" 2>/dev/null && break; sleep 0.1; done
	fi
	return $problems
}

# ---------------------------------------------------------------------------- helpers

# json_str STRING: $REPLY = STRING as a JSON string.
json_str() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\t'/\\t}
	REPLY="\"$s\""
}

# config RESOURCES DEVICES ARG...: $B, a bundle directory (the shared rootfs) whose
# config.json is `runc spec`'s with linux.resources = RESOURCES (JSON text; without a
# "devices" member, runc spec's deny-all rule is added, as in its default config),
# linux.devices = DEVICES (JSON text) and process.args = ARG...  No jq: substitutions.
config() {
	local res=$1 devs=$2 args=() a
	shift 2
	if [[ "$res" != *'"devices"'* ]]; then
		a=${res#\{}
		[[ "$a" =~ ^[[:space:]]*\} ]] && a="}" || a=", $a"
		res="{\"devices\": [$DENY_ALL]$a"
	fi
	for a in "$@"; do
		json_str "$a"
		args+=("$REPLY")
	done
	printf -v a '%s,' "${args[@]}"
	a=${TEMPLATE_JSON/\"@ARGS@\"/"[${a%,}]"}
	a=${a/\"@DEVICES@\"/"$devs"}
	B=$BATS_TEST_TMPDIR
	echo "${a/\"@RESOURCES@\"/"$res"}" >"$B/config.json"
}

# runc spec's device rule: deny everything (clawrun adds its defaults, /dev/null...).
DENY_ALL='{"allow": false, "access": "rwm"}'

# cr ARG...: `clawrun --root $ROOT ARG...` like bats' run ($status, $output, $lines),
# for commands whose processes all end with them.  Logged to stderr (shown on failure).
cr() {
	run timeout -k 5 30 "$CLAWRUN" --root "$ROOT" "$@" 3>&-
	echo "clawrun $* (status=$status): $output" >&2
}

# crd ARG...: the same for commands that leave a container running (create, run -d):
# its stdio goes to a file, never to bats' pipes.
crd() {
	local log=$BATS_TEST_TMPDIR/io.$((++CRD_SEQ))
	status=0
	timeout -k 5 30 "$CLAWRUN" --root "$ROOT" "$@" </dev/null >"$log" 2>&1 3>&- || status=$?
	output=$(<"$log")
	echo "clawrun $* (status=$status): $output" >&2
}

# create_start [ID]: create and start a container of bundle $B.
create_start() {
	local id=${1:-$ID}
	crd create -b "$B" "$id"
	[ "$status" -eq 0 ]
	cr start "$id"
	[ "$status" -eq 0 ]
}

# ct_state ID: $ct_status and $ct_pid from `clawrun state ID` (status "" when it fails).
ct_state() {
	ct_status= ct_pid=
	output=$("$CLAWRUN" --root "$ROOT" state "$1" 2>&1 3>&-) || { echo "state $1: $output" >&2; return 0; }
	[[ "$output" =~ \"status\":\ *\"([a-z]+)\" ]] && ct_status=${BASH_REMATCH[1]}
	[[ "$output" =~ \"pid\":\ *([0-9]+) ]] && ct_pid=${BASH_REMATCH[1]}
	echo "state $1: status=$ct_status pid=$ct_pid" >&2
}

# keyval FILE KEY: the value of KEY in a flat-keyed cgroup file ("KEY VALUE" lines).
keyval() {
	local k v
	while read -r k v; do
		[ "$k" = "$2" ] && { echo "$v"; return 0; }
	done <"$1"
	echo "keyval: no $2 in $1" >&2
	return 1
}

# wait_empty DIR: poll (5 s) until the cgroup DIR holds no process.
wait_empty() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -z "$(<"$1/cgroup.procs")" ] && return 0
		sleep 0.05
	done
	echo "cgroup $1 still holds: $(<"$1/cgroup.procs")" >&2
	return 1
}

# traced FILE CMD...: run CMD under strace (open and write calls) into FILE when strace
# is installed; plainly (with a note in the TAP stream) when not.  Sets $status.
traced() {
	local out=$1
	shift
	status=0
	if command -v strace >/dev/null; then
		strace -f -qq -e trace=openat,write -o "$out" "$@" </dev/null >/dev/null 2>&1 3>&- || status=$?
	else
		: >"$out"
		echo "# strace is not installed: the cgroup.kill write itself is not checked" >&3
		"$@" </dev/null >/dev/null 2>&1 3>&- || status=$?
	fi
}

# wrote_cgroup_kill FILE DIR: the strace log FILE shows "1" written to DIR/cgroup.kill
# (passes when FILE is empty: no strace).
wrote_cgroup_kill() {
	[ -s "$1" ] || return 0
	local fd
	fd=$(grep -F "\"$2/cgroup.kill\"" "$1" | grep -oE '= [0-9]+$' | head -n 1) || true
	cat "$1" >&2
	[ -n "$fd" ] || { echo "no open of $2/cgroup.kill" >&2; return 1; }
	grep -qE "write\(${fd#= }, \"1\"" "$1" || { echo "cgroup.kill opened, no write of 1" >&2; return 1; }
}

# ---------------------------------------------------------------------------- tests

@test "create: init is cloned straight into the default cgroup /clawrun/<id> (CLONE_INTO_CGROUP)" {
	config '{}' '[]' sleep 1000
	# The caller sits in a cgroup that cannot take one more task (pids.max 1): a fork
	# there fails, so create can only succeed if init is born in its own cgroup.
	CALLER_CG=$CG/cgv2-caller-$BATS_TEST_NUMBER
	mkdir "$CALLER_CG"
	echo 1 >"$CALLER_CG/pids.max"
	status=0
	timeout -k 5 30 sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --root "$3" create -b "$4" "$5"' \
		sh "$CALLER_CG" "$CLAWRUN" "$ROOT" "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/create.log" 2>&1 3>&- ||
		status=$?
	echo "create (status=$status): $(<"$BATS_TEST_TMPDIR/create.log")"
	[ "$status" -eq 0 ]
	[ "$(keyval "$CALLER_CG/pids.events" max)" = 0 ]
	[ -z "$(<"$CALLER_CG/cgroup.procs")" ]

	[ -d "$CGDIR" ]
	ct_state "$ID"
	[ "$ct_status" = created ]
	[ -n "$ct_pid" ]
	[ "$(<"$CGDIR/cgroup.procs")" = "$ct_pid" ]
	[ "$(<"/proc/$ct_pid/cgroup")" = "0::/clawrun/$ID" ]

	cr start "$ID"
	[ "$status" -eq 0 ]
	ct_state "$ID"
	[ "$ct_status" = running ]
	[ "$(<"$CGDIR/cgroup.procs")" = "$ct_pid" ]
	[ "$(<"/proc/$ct_pid/cgroup")" = "0::/clawrun/$ID" ]
}

@test "memory: limit 32M sets memory.max; a 64M allocation is OOM-killed (exit 137, oom_kill)" {
	# busybox tail buffers its input until a newline: /dev/zero has none, so it grows
	# its heap (anonymous memory) without bound.
	config '{"memory": {"limit": 33554432}}' '[]' tail /dev/zero
	cr run --keep -b "$B" "$ID"
	[ "$status" -eq 137 ]
	[ "$(<"$CGDIR/memory.max")" = 33554432 ]
	cat "$CGDIR/memory.events"
	[ "$(keyval "$CGDIR/memory.events" oom_kill)" -ge 1 ]
	cr delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$CGDIR" ]
}

@test "pids: limit 20 sets pids.max; a fork loop gets EAGAIN and the container survives" {
	# ash gives up a script when a fork fails: the loop runs in a subshell, and the
	# container's init reports afterwards.
	config '{"pids": {"limit": 20}}' '[]' \
		sh -c '(i=0; while [ $i -lt 25 ]; do sleep 30 & i=$((i + 1)); done); echo "survived $?"'
	cr run --keep -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"can't fork: Resource temporarily unavailable"* ]]
	[[ "$output" == *"survived 2"* ]]
	[ "$(<"$CGDIR/pids.max")" = 20 ]
	cat "$CGDIR/pids.events"
	[ "$(keyval "$CGDIR/pids.events" max)" -ge 1 ]
	if [ -e "$CGDIR/pids.peak" ]; then
		[ "$(<"$CGDIR/pids.peak")" -le 20 ]
	fi
}

@test "cpu: quota 50000/100000 sets cpu.max; a 2 s busy loop gets about 1 s of CPU" {
	config '{"cpu": {"quota": 50000, "period": 100000}}' '[]' \
		sh -c 'while :; do :; done & sleep 2; kill $!'
	cr run --keep -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$(<"$CGDIR/cpu.max")" = "50000 100000" ]
	cat "$CGDIR/cpu.stat"
	local usage
	usage=$(keyval "$CGDIR/cpu.stat" usage_usec)
	# 1 s +- 30% (the container's start-up counts too; emulation is slow)
	[ "$usage" -ge 700000 ]
	[ "$usage" -le 1300000 ]
	[ "$(keyval "$CGDIR/cpu.stat" nr_throttled)" -ge 1 ]
}

@test "io: throttleReadBpsDevice sets io.max rbps; direct reads of 2x the rate take >= 1.5 s" {
	local dev maj min a b
	read -r dev </sys/block/vda/dev
	maj=${dev%:*} min=${dev#*:}
	# 2 MiB at 1 MiB/s, timed inside the container with /proc/uptime (no processes).
	config "{\"devices\": [$DENY_ALL, {\"allow\": true, \"type\": \"b\", \"major\": $maj, \"minor\": $min, \"access\": \"r\"}],
		\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}]}}" \
		"[{\"path\": \"/dev/vda\", \"type\": \"b\", \"major\": $maj, \"minor\": $min}]" \
		sh -c 'read a b </proc/uptime; dd if=/dev/vda of=/dev/null bs=65536 count=32 iflag=direct
			read c d </proc/uptime; echo "uptime $a $c"'
	cr run --keep -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"32+0 records in"* ]]
	local io_max
	io_max=$(<"$CGDIR/io.max")
	[[ "$io_max" == "$maj:$min rbps=1048576 "* ]]
	[[ "$output" =~ uptime\ ([0-9]+)\.([0-9]+)\ ([0-9]+)\.([0-9]+) ]]
	a=$((10#${BASH_REMATCH[1]}${BASH_REMATCH[2]}))
	b=$((10#${BASH_REMATCH[3]}${BASH_REMATCH[4]}))
	echo "read 2 MiB in $((b - a)) centiseconds"
	[ $((b - a)) -ge 150 ]
	local stat
	stat=$(<"$CGDIR/io.stat")
	echo "io.stat: $stat"
	[[ "$stat" =~ $maj:$min\ rbytes=([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -ge 2097152 ]
}

@test "devices: the BPF program denies a /dev node without an allow rule (EPERM), /dev/null works" {
	local dev maj min
	read -r dev </sys/block/vda/dev
	maj=${dev%:*} min=${dev#*:}
	# linux.devices makes the node; resources.devices stays runc spec's deny-all
	# (plus clawrun's built-in defaults).
	config '{}' "[{\"path\": \"/dev/vda\", \"type\": \"b\", \"major\": $maj, \"minor\": $min}]" \
		sh -c '[ -b /dev/vda ] && echo vda-present; echo x >/dev/null && echo null-ok
			head -c 1 /dev/vda >/dev/null; echo "vda-read $?"'
	cr run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *vda-present* ]]
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *"/dev/vda: Operation not permitted"* ]]
	[[ "$output" == *"vda-read 1"* ]]
	[ ! -e "$CGDIR" ]
}

@test "pause/resume: cgroup.freeze 1/0 and state paused/running" {
	config '{}' '[]' sh -c 'sleep 1000 & exec sleep 1000'
	create_start
	cr pause "$ID"
	[ "$status" -eq 0 ]
	[ "$(<"$CGDIR/cgroup.freeze")" = 1 ]
	[ "$(keyval "$CGDIR/cgroup.events" frozen)" = 1 ]
	ct_state "$ID"
	[ "$ct_status" = paused ]
	cr resume "$ID"
	[ "$status" -eq 0 ]
	[ "$(<"$CGDIR/cgroup.freeze")" = 0 ]
	[ "$(keyval "$CGDIR/cgroup.events" frozen)" = 0 ]
	ct_state "$ID"
	[ "$ct_status" = running ]
}

@test "kill --all KILL empties the cgroup with cgroup.kill; delete removes the directory" {
	config '{}' '[]' \
		sh -c 'i=0; while [ $i -lt 5 ]; do sleep 1000 & i=$((i + 1)); done; exec sleep 1000'
	create_start
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(<"$CGDIR/pids.current")" -ge 6 ] && break
		sleep 0.05
	done
	echo "processes: $(<"$CGDIR/cgroup.procs")"
	[ "$(<"$CGDIR/pids.current")" -eq 6 ]
	traced "$BATS_TEST_TMPDIR/kill.strace" timeout -k 5 30 "$CLAWRUN" --root "$ROOT" kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wrote_cgroup_kill "$BATS_TEST_TMPDIR/kill.strace" "$CGDIR"
	wait_empty "$CGDIR"
	ct_state "$ID"
	[ "$ct_status" = stopped ]
	cr delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$CGDIR" ]
	cr state "$ID"
	[ "$status" -ne 0 ]
}

@test "delete --force of a running, forking container empties and removes its cgroup" {
	# Background sleepers plus a loop that never stops forking short-lived children.
	config '{}' '[]' sh -c 'sleep 1000 & sleep 1000 & while :; do /bin/true; done'
	create_start
	local i procs p
	for ((i = 0; i < 100; i++)); do
		[ "$(<"$CGDIR/pids.current")" -ge 3 ] && break
		sleep 0.05
	done
	procs=$(<"$CGDIR/cgroup.procs")
	echo "processes: $procs"
	[ "$(<"$CGDIR/pids.current")" -ge 3 ]
	traced "$BATS_TEST_TMPDIR/delete.strace" timeout -k 5 30 "$CLAWRUN" --root "$ROOT" delete --force "$ID"
	[ "$status" -eq 0 ]
	wrote_cgroup_kill "$BATS_TEST_TMPDIR/delete.strace" "$CGDIR"
	[ ! -e "$CGDIR" ]
	for p in $procs; do
		[ ! -e "/proc/$p" ] || [[ "$(<"/proc/$p/cgroup")" != "0::/clawrun/$ID" ]]
	done
	[ ! -e "$ROOT/$ID" ]
}

@test "update --memory 64m --pids-limit 30 changes the limits live; events --stats reports usage" {
	config '{"memory": {"limit": 33554432}, "pids": {"limit": 20}}' '[]' \
		sleep 1000
	create_start
	[ "$(<"$CGDIR/memory.max")" = 33554432 ]
	[ "$(<"$CGDIR/pids.max")" = 20 ]
	cr update --memory 64m --pids-limit 30 "$ID"
	[ "$status" -eq 0 ]
	[ "$(<"$CGDIR/memory.max")" = 67108864 ]
	[ "$(<"$CGDIR/pids.max")" = 30 ]
	ct_state "$ID"
	[ "$ct_status" = running ]
	cr events --stats "$ID"
	[ "$status" -eq 0 ]
	jq -e '.type == "stats" and .id == $id
		and .data.memory.usage.usage > 0 and .data.memory.usage.limit == 67108864
		and .data.pids.current >= 1 and .data.pids.limit == 30' --arg id "$ID" <<<"$output"
}

@test "unified memory.foo: create fails naming the file and leaves nothing behind" {
	config '{"unified": {"memory.foo": "1"}}' '[]' true
	crd create -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *memory.foo* ]]
	[ ! -e "$CGDIR" ]
	[ ! -e "$ROOT/$ID" ]
	cr state "$ID"
	[ "$status" -ne 0 ]
}
