#!/usr/bin/env bats
# Docker end to end: a private dockerd + containerd (scripts/engines/docker-up) whose
# default runtime is the runtime under test, ${CLAWRUN:-$PWD/clawrun}, also registered
# as "clawrun-strict" (runtimeArgs ["--debug"]).  Run with CLAWRUN=/usr/sbin/runc to
# check the test itself against runc.
#
# Containers use --network none (dockerd runs with --bridge=none and no iptables);
# the image is a busybox-static rootfs imported as clawrun-test/busybox:latest.
# If docker.io cannot be installed (no mirror), every test is skipped with the reason.
# Set RUNTIME_TRACE_LOG=FILE to record every runtime call dockerd/containerd make.

bats_require_minimum_version 1.5.0

# Backstop per test; every docker command is also bounded by `timeout`.
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}

IMG=clawrun-test/busybox:latest
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup_file() {
	CLAWRUN_RUNTIME=${CLAWRUN:-$PWD/clawrun}
	# A bare name (CLAWRUN=runc, as tests/run-all documents) is looked up in PATH.
	if [[ $CLAWRUN_RUNTIME != */* ]]; then
		CLAWRUN_RUNTIME=$(command -v "$CLAWRUN_RUNTIME" || echo "$CLAWRUN_RUNTIME")
	fi
	export CLAWRUN_RUNTIME
	# Short path: unix sockets live under it.
	DOCKER_STATE=$(mktemp -d /tmp/clawrun-docker.XXXXXX)
	export DOCKER_STATE
	export DOCKER_CONFIG=$DOCKER_STATE/client
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	export DOCKER_SKIP=
	local rc=0
	"$REPO/scripts/engines/docker-up" "$DOCKER_STATE" "$CLAWRUN_RUNTIME" \
		>"$BATS_FILE_TMPDIR/docker-up.out" 2>&1 || rc=$?
	cat "$BATS_FILE_TMPDIR/docker-up.out"
	if [ "$rc" -eq 2 ]; then
		# bats 1.8 cannot skip from setup_file: every test skips with this reason.
		DOCKER_SKIP=$(grep -v '^docker-up: installing' "$BATS_FILE_TMPDIR/docker-up.out" |
			tail -n 1)
		DOCKER_SKIP="docker.io not installable: ${DOCKER_SKIP#docker-up: }"
		rm -rf "$DOCKER_STATE"
		return 0
	fi
	[ "$rc" -eq 0 ]
}

teardown_file() {
	[ -d "${DOCKER_STATE:-}" ] || return 0
	if [ -e "$DOCKER_STATE/.docker-up" ]; then
		"$REPO/scripts/engines/docker-down" "$DOCKER_STATE"
	else
		# docker-up failed before starting anything.
		rm -rf "$DOCKER_STATE"
	fi
}

setup() {
	[ -z "$DOCKER_SKIP" ] || skip "$DOCKER_SKIP"
	NAME=clawrun-bats-$BATS_TEST_NUMBER
}

teardown() {
	[ -z "$DOCKER_SKIP" ] || return 0
	d rm -f "$NAME" >/dev/null 2>&1 || true
}

# The docker client of the private daemon, bounded.
d() {
	timeout -k 5 60 /usr/bin/docker -H "unix://$DOCKER_STATE/docker.sock" "$@"
}

# docker run with the flags every test needs.
drun() {
	d run --network none "$@"
}

# wait_not_running NAME: until the container has stopped (at most 20 s).
wait_not_running() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(d inspect -f '{{.State.Running}}' "$1")" = false ] && return 0
		sleep 0.1
	done
	echo "container $1 still running" >&2
	return 1
}

@test "docker info: clawrun is the default runtime, clawrun-strict registered" {
	run -0 d info
	[[ $output == *"Default Runtime: clawrun"$'\n'* ]]
	run -0 d info --format '{{.DefaultRuntime}}|{{range $k, $v := .Runtimes}}{{$k}}={{$v.Path}} {{end}}'
	echo "$output"
	[[ $output == "clawrun|"* ]]
	[[ " ${output#*|}" == *" clawrun="* ]]
	[[ " ${output#*|}" == *" clawrun-strict="* ]]
}

@test "docker run --rm: echo hello" {
	run -0 drun --rm "$IMG" echo hello
	[ "$output" = hello ]
}

@test "docker run --rm: the exit status of the process (3)" {
	run -3 drun --rm "$IMG" sh -c 'exit 3'
}

@test "docker run --rm: a command that does not exist exits 127" {
	run -127 drun --rm "$IMG" nonexistent-cmd
	echo "$output"
	[[ $output == *nonexistent-cmd* ]]
	# The container was removed all the same.
	run -0 d ps -aq --filter "ancestor=$IMG"
	[ -z "$output" ]
}

@test "docker run --rm -i: stdin is piped to the container" {
	run -0 bash -c 'printf "line one\nline two\n" |
		timeout -k 5 60 /usr/bin/docker -H "unix://$DOCKER_STATE/docker.sock" \
			run --rm -i --network none "$1" cat' _ "$IMG"
	[ "$output" = $'line one\nline two' ]
}

@test "docker run -d, exec, top, stop -t 2, rm" {
	run -0 drun -d --name "$NAME" "$IMG" sleep 100
	id=$output
	[[ $id =~ ^[0-9a-f]{64}$ ]]
	run -0 d inspect -f '{{.State.Running}} {{.HostConfig.Runtime}}' "$NAME"
	[ "$output" = "true clawrun" ]

	run -0 d exec "$NAME" echo hi
	[ "$output" = hi ]
	run -5 d exec "$NAME" sh -c 'exit 5'

	run -0 d top "$NAME"
	echo "$output"
	[[ ${lines[0]} == *PID* ]]
	[[ $output == *"sleep 100"* ]]

	# sleep is pid 1 without a SIGTERM handler: SIGTERM is ignored, SIGKILL after 2 s.
	start=$(date +%s%N)
	run -0 d stop -t 2 "$NAME"
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	echo "stop took $elapsed_ms ms"
	[ "$output" = "$NAME" ]
	[ "$elapsed_ms" -ge 1900 ]
	run -0 d inspect -f '{{.State.Running}} {{.State.ExitCode}}' "$NAME"
	[ "$output" = "false 137" ]

	run -0 d rm "$NAME"
	run -1 d inspect "$NAME"
	# The runtime removed the container's cgroups (cgroupfs driver: /docker/<id>).
	for cg in /sys/fs/cgroup/*/docker/"$id"; do
		[ ! -e "$cg" ] || { echo "cgroup left: $cg"; false; }
	done
}

@test "docker kill" {
	run -0 drun -d --name "$NAME" "$IMG" sleep 100
	run -0 d kill "$NAME"
	wait_not_running "$NAME"
	run -0 d inspect -f '{{.State.Running}} {{.State.ExitCode}}' "$NAME"
	[ "$output" = "false 137" ]
	run -0 d rm "$NAME"
}

@test "docker run --read-only: the root filesystem cannot be written" {
	run -1 drun --rm --read-only "$IMG" touch /x
	echo "$output"
	[[ $output == *"Read-only file system"* ]]
	# Without --read-only the same command works.
	run -0 drun --rm "$IMG" touch /x
}

@test "docker run --user 1000" {
	run -0 drun --rm --user 1000 "$IMG" id -u
	[ "$output" = 1000 ]
	run -0 drun --rm --user 1000:1000 "$IMG" sh -c 'id -u; id -g'
	[ "$output" = $'1000\n1000' ]
}

@test "docker run --env FOO=bar" {
	run -0 drun --rm --env FOO=bar "$IMG" sh -c 'echo "FOO=$FOO"'
	[ "$output" = FOO=bar ]
}

@test "docker run -v HOSTDIR:/data:ro" {
	dir=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$dir"
	echo from-host >"$dir/file"
	run -0 drun --rm -v "$dir:/data:ro" "$IMG" cat /data/file
	[ "$output" = from-host ]
	run -1 drun --rm -v "$dir:/data:ro" "$IMG" touch /data/new
	[[ $output == *"Read-only file system"* ]]
	[ ! -e "$dir/new" ]
	# Read-write: the write reaches the host.
	run -0 drun --rm -v "$dir:/data" "$IMG" sh -c 'echo from-container >/data/new'
	[ "$(cat "$dir/new")" = from-container ]
}

@test "docker run --runtime clawrun-strict" {
	run -0 drun --rm --runtime clawrun-strict "$IMG" sh -c 'echo strict'
	[ "$output" = strict ]
}
