#!/usr/bin/env bats
# Sandbox sessions: clawrun run --image IMAGE [options] [--] [CMD ARGS...]

load helpers

setup() {
	setup_bundle
	IMG=$BUNDLE/rootfs
	AUDIT=$TESTDIR/audit.jsonl
	mounts_before=$(grep -c . /proc/self/mountinfo)
}

teardown() {
	teardown_bundle
}

# session ARG...: run a session named $CT with the test's state root
function session() {
	run timeout -k 5 60 "$CLAWRUN" --root "$ROOT" run --image "$IMG" --name "$CT" "$@"
	echo "session $* (status=$status):" >&2
	echo "$output" >&2
}

function nothing_left() {
	[ ! -e "$ROOT/$CT" ] || fail "state dir left"
	[ ! -e "$ROOT/sessions/$CT" ] || fail "session dir left"
	[ -z "$(cgroup_dirs "/clawrun/$CT")" ] || fail "cgroup left"
	[ "$(grep -c . /proc/self/mountinfo)" -le "$mounts_before" ] || fail "mounts left on the host"
}

@test "session: runs the command with hardened defaults" {
	session -- sh -c 'id -u; id -g; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; pwd; hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"/workspace"* ]]
	[[ "$output" == *"$CT"* ]]
	nothing_left
}

@test "session: the exit status is the command's" {
	session -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	nothing_left
}

@test "session: the root is read-only, /workspace and /tmp are writable" {
	session -- sh -c 'touch /bin/x 2>/dev/null && echo root-writable; echo a >/workspace/a && echo ws-ok; echo b >/tmp/b && echo tmp-ok'
	[ "$status" -eq 0 ]
	[[ "$output" != *root-writable* ]]
	[[ "$output" == *ws-ok* ]]
	[[ "$output" == *tmp-ok* ]]
}

@test "session: /tmp is size-capped by --tmp-size" {
	session --tmp-size 1m -- sh -c 'dd if=/dev/zero of=/tmp/big bs=1k count=4096 2>&1; echo rc=$?'
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "session: --workspace-size caps the workspace" {
	session --workspace-size 2m -- sh -c 'dd if=/dev/zero of=/workspace/big bs=1k count=8192 2>&1; echo rc=$?'
	[[ "$output" == *"No space left on device"* ]]
}

@test "session: --pids-limit holds against a fork loop" {
	# the shell dies when fork fails; it prints how many children it got before that
	session --pids-limit 10 -- sh -c 'n=0; while sleep 3 & do n=$((n+1)); echo $n; [ $n -ge 30 ] && break; done'
	local forked
	forked=$(printf '%s\n' "$output" | grep -E '^[0-9]+$' | tail -n 1)
	[ "$forked" -gt 0 ]
	[ "$forked" -lt 10 ]
}

@test "session: --memory OOM-kills an allocation above it (exit 137)" {
	session --memory 32m -- sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
	[ "$status" -eq 137 ]
	[[ "$output" != *survived* ]]
	nothing_left
}

@test "session: --timeout ends the session with status 124 and says so" {
	session --timeout 1s --grace 1s --audit-log "$AUDIT" -- sleep 30
	[ "$status" -eq 124 ]
	[[ "$output" == *"timed out"* ]]
	grep '"event":"exit"' "$AUDIT" | grep -q '"timed_out":true'
	nothing_left
}

@test "session: a command ignoring SIGTERM is killed after --grace" {
	SECONDS=0
	session --timeout 1s --grace 1s -- sh -c 'trap "" TERM; (trap "" TERM; sleep 60) & sleep 60'
	[ "$status" -eq 124 ]
	[ "$SECONDS" -lt 20 ]
	nothing_left
}

@test "session: a secret reaches the process environment only" {
	export MY_TOKEN=s3cr3t-value
	session --secret MY_TOKEN --audit-log "$AUDIT" -- sh -c 'echo "token=$MY_TOKEN"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"token=s3cr3t-value"* ]]
	grep -q MY_TOKEN "$AUDIT"
	! grep -q s3cr3t-value "$AUDIT"
	! grep -rqs s3cr3t-value "$ROOT"
	nothing_left
}

@test "session: a secret file must be 0600" {
	echo v >"$TESTDIR/tok"
	chmod 0644 "$TESTDIR/tok"
	session --secret "TOK=$TESTDIR/tok" -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"mode 0600"* ]]
	chmod 0600 "$TESTDIR/tok"
	session --secret "TOK=$TESTDIR/tok" -- sh -c 'echo "[$TOK]"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"[v]"* ]]
}

@test "session: the secret is not in the runner's /proc/PID/environ" {
	export MY_TOKEN=hidden-value-42
	"$CLAWRUN" --root "$ROOT" run --image "$IMG" --name "$CT" --secret MY_TOKEN -- sleep 5 &
	local runner=$!
	echo "$runner" >>"$TESTDIR/pids"
	retry 50 0.1 test -e "$ROOT/$CT/state.json"
	! tr '\0' '\n' <"/proc/$runner/environ" | grep -q hidden-value-42
	kill "$runner"
	wait "$runner" || true
}

@test "session: --export copies matching files out of /workspace, never through a symlink" {
	local out=$TESTDIR/export
	session --export '*.txt' --export-to "$out" --audit-log "$AUDIT" -- sh -c \
		'mkdir -p /workspace/sub; echo one >/workspace/a.txt; echo two >/workspace/sub/b.txt; echo no >/workspace/c.log; ln -s /etc/passwd /workspace/evil.txt'
	[ "$status" -eq 0 ]
	[ "$(cat "$out/a.txt")" = one ]
	[ "$(cat "$out/sub/b.txt")" = two ]
	[ ! -e "$out/c.log" ]
	[ ! -e "$out/evil.txt" ]
	grep '"event":"exit"' "$AUDIT" | grep -q 'a.txt'
}

@test "session: the audit log has start and exit events" {
	session --audit-log "$AUDIT" -- true
	[ "$status" -eq 0 ]
	[ "$(grep -c . "$AUDIT")" -eq 2 ]
	jq -se '.[0].event == "start" and .[0].policy.uid == 1000 and .[0].policy.pids_limit == 64' "$AUDIT"
	jq -se '.[1].event == "exit" and .[1].status == 0 and .[1].timed_out == false and .[1].duration_ms >= 0' "$AUDIT"
}

@test "session: --dry-run prints the OCI config with the defaults" {
	session --dry-run -- echo hi
	[ "$status" -eq 0 ]
	echo "$output" >"$TESTDIR/cfg.json"
	jq -e '.process.user.uid == 1000 and .process.noNewPrivileges == true and .root.readonly == true' "$TESTDIR/cfg.json"
	jq -e '.process.capabilities.effective == [] and .process.capabilities.inheritable == []' "$TESTDIR/cfg.json"
	jq -e '.linux.resources.memory.limit == 2147483648 and .linux.resources.pids.limit == 64' "$TESTDIR/cfg.json"
	jq -e '.linux.resources.cpu.quota == 200000' "$TESTDIR/cfg.json"
	jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$TESTDIR/cfg.json"
	jq -e '.linux.maskedPaths | index("/proc/kcore") != null' "$TESTDIR/cfg.json"
	[ ! -e "$ROOT/$CT" ]
}

@test "session: --profile pins options and flags override it" {
	cat >"$TESTDIR/profile.json" <<-EOF
		{"memory": "256m", "pids-limit": 20, "env": ["FROM_PROFILE=1"], "timeout": "5m"}
	EOF
	session --profile "$TESTDIR/profile.json" --pids-limit 30 --dry-run -- true
	[ "$status" -eq 0 ]
	echo "$output" >"$TESTDIR/cfg.json"
	jq -e '.linux.resources.memory.limit == 268435456' "$TESTDIR/cfg.json"
	jq -e '.linux.resources.pids.limit == 30' "$TESTDIR/cfg.json"
	jq -e '.process.env | index("FROM_PROFILE=1") != null' "$TESTDIR/cfg.json"
}

@test "session: a bad profile key is an error naming it" {
	echo '{"memroy": "1g"}' >"$TESTDIR/profile.json"
	session --profile "$TESTDIR/profile.json" -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown key "memroy"'* ]]
	nothing_left
}

@test "session: bad flag values are one-line errors and leave nothing" {
	for args in "--memory lots" "--timeout soon" "--cpus -1" "--user nobody-here" "--cap-add CAP_NOPE"; do
		# shellcheck disable=SC2086
		session $args -- true
		[ "$status" -ne 0 ] || fail "$args accepted"
		[ "${#lines[@]}" -eq 1 ] || fail "$args: not one line: $output"
	done
	nothing_left
}

@test "session: a missing image is an error and leaves nothing" {
	IMG=$TESTDIR/no-such-image
	session -- true
	[ "$status" -ne 0 ]
	nothing_left
}

@test "session: -e and --env-file set the environment, -w the working directory" {
	printf 'A=from-file\nB=b\n' >"$TESTDIR/env"
	session --env-file "$TESTDIR/env" -e A=from-flag -w /tmp -- sh -c 'echo "$A $B $(pwd)"'
	[ "$status" -eq 0 ]
	[ "$output" = "from-flag b /tmp" ]
}

@test "session: -v mounts a host directory, read-only with :ro" {
	mkdir "$TESTDIR/data"
	echo host >"$TESTDIR/data/f"
	session -v "$TESTDIR/data:/data:ro" -- sh -c 'cat /data/f; echo x >/data/g 2>/dev/null || echo ro'
	[ "$status" -eq 0 ]
	[[ "$output" == *host* ]]
	[[ "$output" == *ro* ]]
	[ ! -e "$TESTDIR/data/g" ]
}

@test "session: the default seccomp profile refuses unshare and mount" {
	session -- sh -c 'unshare -U true 2>/dev/null && echo unshared; mount -t tmpfs x /tmp 2>/dev/null && echo mounted; echo done'
	[ "$status" -eq 0 ]
	[[ "$output" != *unshared* ]]
	[[ "$output" != *mounted* ]]
}

@test "session: exec into a session is recorded in its audit log" {
	"$CLAWRUN" --root "$ROOT" run --image "$IMG" --name "$CT" --audit-log "$AUDIT" -- sleep 10 &
	local runner=$!
	echo "$runner" >>"$TESTDIR/pids"
	retry 50 0.1 sh -c "\"$CLAWRUN\" --root \"$ROOT\" state $CT | grep -q running"
	clawrun exec "$CT" echo hello-exec
	[ "$status" -eq 0 ]
	[ "$output" = hello-exec ]
	jq -se 'map(select(.event == "exec"))[0].command == ["echo", "hello-exec"]' "$AUDIT"
	kill "$runner"
	wait "$runner" || true
}

@test "session: kill -9 of the runner takes the session down with it" {
	"$CLAWRUN" --root "$ROOT" run --image "$IMG" --name "$CT" -- sleep 60 &
	local runner=$!
	retry 50 0.1 sh -c "\"$CLAWRUN\" --root \"$ROOT\" state $CT | grep -q running"
	local pid
	pid=$("$CLAWRUN" --root "$ROOT" state "$CT" | jq .pid)
	kill -9 "$runner"
	wait "$runner" || true
	wait_pid_gone "$pid" 5
	clawrun delete --force "$CT"
	[ "$status" -eq 0 ]
	nothing_left
}

# --- OCI image layouts -------------------------------------------------------------

function oci_image() {
	OCI=$TESTDIR/oci
	"$REPO_ROOT/scripts/mkimage-oci" "$OCI" "$@" >/dev/null 2>&1 || fail "mkimage-oci failed"
	CACHE=$TESTDIR/cache
	IMG=oci:$OCI
}

@test "session: an OCI layout with two layers, a whiteout and an opaque dir" {
	oci_image
	session --layer-cache "$CACHE" -- sh -c 'test -e /etc/deleteme && echo deleteme-visible; ls /opq; cat /etc/layer2 >/dev/null && echo layer2; echo "FOO=$FOO"; id -u'
	[ "$status" -eq 0 ]
	[[ "$output" != *deleteme-visible* ]]
	[[ "$output" == *layer2* ]]
	[[ "$output" == *"FOO=bar"* ]]
	[ "${lines[-1]}" = 1000 ]
	# the opaque directory shows only the upper layer's file
	[ "${lines[0]}" = new ]
	[ "${lines[1]}" = layer2 ] # not "old": layer 1's file stays hidden
	nothing_left
}

@test "session: the layer cache is reused on the second run" {
	oci_image
	session --layer-cache "$CACHE" -- true
	[ "$status" -eq 0 ]
	local before
	before=$(find "$CACHE" -mindepth 2 -maxdepth 2 -type d -printf '%i %T@\n' | sort)
	session --layer-cache "$CACHE" -- true
	[ "$status" -eq 0 ]
	[ "$(find "$CACHE" -mindepth 2 -maxdepth 2 -type d -printf '%i %T@\n' | sort)" = "$before" ]
}

@test "session: a layer with a wrong digest is refused and leaves nothing" {
	oci_image --corrupt-layer
	session --layer-cache "$CACHE" -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"digest mismatch"* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$(find "$CACHE" -name '.tmp-*' 2>/dev/null)" ]
	nothing_left
}

@test "session: hostile layers are refused (.., absolute, symlink out, hardlink out, device)" {
	for evil in dotdot abs symlink-out hardlink-out device; do
		rm -rf "$TESTDIR/oci" "$TESTDIR/cache"
		oci_image --evil "$evil"
		session --layer-cache "$CACHE" -- true
		[ "$status" -ne 0 ] || fail "--evil $evil accepted"
		[ "${#lines[@]}" -eq 1 ] || fail "$evil: not one line: $output"
	done
	nothing_left
}

@test "session: a missing tag is an error naming it" {
	oci_image
	IMG=oci:$OCI:v9
	session --layer-cache "$CACHE" -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *'"v9"'* ]]
}

@test "session: --cap-add grants the capability to the default non-root user" {
	session --cap-add NET_BIND_SERVICE -- grep -E '^Cap(Eff|Inh)' /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" == *"CapEff:	0000000000000400"* ]]
	[[ "$output" == *"CapInh:	0000000000000400"* ]]
}

@test "session: --entrypoint replaces the image's entrypoint and Cmd" {
	session --entrypoint /bin/echo -- hi there
	[ "$status" -eq 0 ]
	[ "$output" = "hi there" ]
}

@test "session: SIGTERM to the runner reaches the session's command" {
	"$CLAWRUN" --root "$ROOT" run --image "$IMG" --name "$CT" -- sh -c 'trap "echo got-term; exit 3" TERM; sleep 30 & wait' >"$TESTDIR/out" 2>&1 &
	local runner=$!
	retry 50 0.1 sh -c "\"$CLAWRUN\" --root \"$ROOT\" state $CT | grep -q running"
	sleep 0.3
	kill -TERM "$runner"
	local rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 3 ]
	grep -q got-term "$TESTDIR/out"
	nothing_left
}

@test "session: a user namespace maps the session's ids to unprivileged host ids" {
	[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "the host allows no user namespaces"
	session -- sh -c 'cat /proc/self/uid_map; stat -c %u /bin/busybox'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ *0\ +2000000000\ +65536$ ]]
	# image files owned by host root are nobody's inside
	[ "${lines[1]}" = 65534 ]
	# and the workspace belongs to the session user, seen from the host as a mapped id
	session -- sh -c 'stat -c %u /workspace'
	[ "$output" = 1000 ]
}

@test "session: --userns host runs without a user namespace" {
	session --userns host -- cat /proc/self/uid_map
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\ *0\ +0\ +4294967295$ ]]
	session --userns sideways -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *'--userns "sideways": expected private or host'* ]]
}

@test "session: ids beyond the user namespace's range are refused" {
	session --user 70000 -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"below 65536"* ]]
	nothing_left
}
