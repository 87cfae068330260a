#!/usr/bin/env bats
# process.terminal: a pty made in the container, its master sent over
# --console-socket (SCM_RIGHTS), or proxied by a foreground run/exec.

load helpers

setup() {
	setup_bundle
	update_config '.process.terminal = true'
}

teardown() {
	teardown_bundle
}

@test "create --console-socket sends exactly one pty master" {
	set_args sh -c 'tty; exec sleep 1000'
	setup_recvtty
	clawrun create --console-socket "$CONSOLE_SOCKET" "$CT"
	[ "$status" -eq 0 ]
	poll 5 test -s "$TTY_OUT.nfds"
	[ "$(cat "$TTY_OUT.nfds")" = 1 ]
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_tty_output /dev/pts/
}

@test "the process's stdin, stdout and stderr are the pty" {
	set_args sh -c 'test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY; exec sleep 1000'
	setup_recvtty
	clawrun run -d --console-socket "$CONSOLE_SOCKET" "$CT"
	[ "$status" -eq 0 ]
	wait_for_tty_output ALL-TTY
}

@test "the pty is the controlling terminal of a new session" {
	set_args sh -c 'read -r pid comm state ppid pgrp sid ttynr rest < /proc/self/stat; echo "sid=$sid tty=$ttynr"; exec sleep 1000'
	setup_recvtty
	clawrun run -d --console-socket "$CONSOLE_SOCKET" "$CT"
	[ "$status" -eq 0 ]
	wait_for_tty_output sid=
	# The shell is pid 1 and the session leader; tty_nr is non-zero.
	grep -q 'sid=1 ' "$TTY_OUT"
	! grep -q 'tty=0' "$TTY_OUT"
}

@test "input written to the master reaches the process" {
	set_args sh -c 'read -r line; echo "got:$line"; exec sleep 1000'
	setup_recvtty $'hello-pty\n'
	clawrun run -d --console-socket "$CONSOLE_SOCKET" "$CT"
	[ "$status" -eq 0 ]
	wait_for_tty_output got:hello-pty
}

@test "process.consoleSize sets the window size" {
	update_config '.process.consoleSize = {"height": 33, "width": 111}'
	set_args sh -c 'stty size; exec sleep 1000'
	setup_recvtty
	clawrun run -d --console-socket "$CONSOLE_SOCKET" "$CT"
	[ "$status" -eq 0 ]
	wait_for_tty_output "33 111"
}

@test "/dev/console is the container's pty" {
	set_args sh -c 'stat -c "%F %t" /dev/console; exec sleep 1000'
	setup_recvtty
	clawrun run -d --console-socket "$CONSOLE_SOCKET" "$CT"
	[ "$status" -eq 0 ]
	# pts majors are 136-143 (hex 88-8f).
	wait_for_tty_output "character special file 8"
}

@test "create with terminal true and no --console-socket fails" {
	set_args sleep 1000
	clawrun create "$CT"
	[ "$status" -ne 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
}

@test "create with a console socket nobody listens on fails" {
	set_args sleep 1000
	clawrun create --console-socket "$TESTDIR/nobody.sock" "$CT"
	[ "$status" -ne 0 ]
	clawrun state "$CT"
	[ "$status" -ne 0 ]
}

@test "exec --tty --detach --console-socket" {
	update_config '.process.terminal = false'
	set_args sleep 1000
	run_detached
	setup_recvtty
	clawrun exec --tty --detach --console-socket "$CONSOLE_SOCKET" "$CT" sh -c 'tty; test -t 0 && echo EXEC-TTY; exec sleep 1000'
	[ "$status" -eq 0 ]
	wait_for_tty_output EXEC-TTY
	grep -q /dev/pts/ "$TTY_OUT"
}

@test "exec -t -d without --console-socket fails" {
	update_config '.process.terminal = false'
	set_args sleep 1000
	run_detached
	clawrun exec -t -d "$CT" true
	[ "$status" -ne 0 ]
	testcontainer "$CT" running
}

@test "foreground run with a terminal proxies the pty and returns the exit status" {
	set_args sh -c 'tty; echo in-a-tty; exit 5'
	run_in_pty "timeout --foreground -k 5 20 '$CLAWRUN' --root '$ROOT' run '$CT'"
	[ "$status" -eq 5 ]
	[[ "$output" == *in-a-tty* ]]
	[[ "$output" == */dev/pts/* ]]
}

@test "foreground exec --tty proxies the pty" {
	update_config '.process.terminal = false'
	set_args sleep 1000
	run_detached
	run_in_pty "timeout --foreground -k 5 20 '$CLAWRUN' --root '$ROOT' exec -t '$CT' sh -c 'test -t 1 && echo EXEC-TTY; exit 3'"
	[ "$status" -eq 3 ]
	[[ "$output" == *EXEC-TTY* ]]
}
