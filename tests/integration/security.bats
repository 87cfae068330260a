#!/usr/bin/env bats
# Security: the rows of shared/design/security.md (1-9, 11, 12) that can be checked
# from inside a container.  Every attack is attempted only from inside a container;
# checks that could modify something on the host (reopening the runtime binary for
# writing) only open, never write.

load helpers

# probe.c: rows 1 and 2 (see the comment in the source).
PROBE_SRC=$(cat <<'CSRC'
/* probe: security checks run inside a container (security.bats).
 *
 *   probe hold PID HOSTDEV:HOSTINO OUT
 *     PID runs the runtime (init of a created container).  Open /proc/PID/exe as
 *     O_PATH and record whether /proc/PID/environ is readable (ptrace access); wait
 *     until PID execs something else, then keep trying for 2 s to reopen the held
 *     executable for writing (O_WRONLY|O_APPEND: nothing is ever written).  Writes
 *     "key value" lines to OUT.
 *   probe watch HOSTDEV:HOSTINO OUT SECONDS
 *     For SECONDS (or until OUT.stop exists), watch /proc for processes whose exe is
 *     neither busybox nor this probe (the runtime while it joins the container) and
 *     apply the same checks to each.
 *
 * Result keys: seen N, ptraceable N, same_inode N, write_open_ok N, write_errno E.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static dev_t host_dev, bb_dev, self_dev;
static ino_t host_ino, bb_ino, self_ino;
static int seen, ptraceable, same_inode, write_ok, last_write_errno;

static double now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int exe_id (pid_t pid, dev_t *d, ino_t *i)
{
  char p[64];
  struct stat st;
  snprintf (p, sizeof p, "/proc/%d/exe", pid);
  if (stat (p, &st) < 0)
    return -1;
  *d = st.st_dev;
  *i = st.st_ino;
  return 0;
}

/* Is PID running something other than busybox or this probe?  A process whose exe
 * cannot even be looked at (EACCES: not dumpable, so not ptrace-accessible) is the
 * runtime doing its job: counted as seen. */
static int is_foreign (pid_t pid)
{
  dev_t d;
  ino_t i;
  if (exe_id (pid, &d, &i) < 0)
    return errno == EACCES || errno == EPERM;
  if (d == bb_dev && i == bb_ino)
    return 0;
  if (d == self_dev && i == self_ino)
    return 0;
  return 1;
}

/* ptrace-mode read access: /proc/PID/environ opens and reads only then. */
static void check_ptrace (pid_t pid)
{
  char p[64], buf[16];
  snprintf (p, sizeof p, "/proc/%d/environ", pid);
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read (fd, buf, sizeof buf);
  close (fd);
  /* Count it only if PID still ran the runtime after the read (not the user's
   * program, which is legitimately dumpable after its execve). */
  if (n >= 0 && is_foreign (pid))
    ptraceable++;
}

static int hold_exe (pid_t pid)
{
  char p[64];
  struct stat st;
  snprintf (p, sizeof p, "/proc/%d/exe", pid);
  int fd = open (p, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) == 0 && st.st_dev == host_dev && st.st_ino == host_ino)
    same_inode++;
  return fd;
}

/* Try to reopen FD for writing; never writes.  1 = opened (vulnerable). */
static int try_write (int fd)
{
  char p[64];
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_dev != host_dev || st.st_ino != host_ino)
    return 0; /* a private copy (memfd...): writing it harms nobody */
  snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
  int w = open (p, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (w >= 0)
    {
      close (w);
      return 1;
    }
  last_write_errno = errno;
  return 0;
}

static void report (const char *out)
{
  char tmp[4096];
  snprintf (tmp, sizeof tmp, "%s.tmp", out);
  FILE *f = fopen (tmp, "w");
  if (!f)
    exit (2);
  fprintf (f, "seen %d\nptraceable %d\nsame_inode %d\nwrite_open_ok %d\nwrite_errno %s\n",
           seen, ptraceable, same_inode, write_ok,
           last_write_errno ? strerrorname_np (last_write_errno) : "none");
  fclose (f);
  rename (tmp, out);
}

static void retry_writes (int *fds, int n, double secs)
{
  double end = now () + secs;
  while (now () < end)
    {
      for (int k = 0; k < n; k++)
        if (fds[k] >= 0 && try_write (fds[k]))
          {
            write_ok++;
            close (fds[k]);
            fds[k] = -1;
          }
      usleep (10000);
    }
}

int main (int argc, char **argv)
{
  struct stat st;
  if (argc < 4)
    return 2;
  if (stat ("/bin/busybox", &st) == 0)
    bb_dev = st.st_dev, bb_ino = st.st_ino;
  if (stat ("/proc/self/exe", &st) == 0)
    self_dev = st.st_dev, self_ino = st.st_ino;

  if (strcmp (argv[1], "hold") == 0 && argc == 5)
    {
      pid_t pid = atoi (argv[2]);
      sscanf (argv[3], "%lu:%lu", &host_dev, &host_ino);
      if (!is_foreign (pid))
        {
          report (argv[4]);
          return 0;
        }
      seen = 1;
      int fd = hold_exe (pid);
      check_ptrace (pid);
      /* Wait (up to 20 s) for PID to exec the user's program: the runtime binary
       * is then no longer executed by anyone in the container. */
      double end = now () + 20;
      while (is_foreign (pid) && now () < end)
        usleep (5000);
      retry_writes (&fd, 1, 2.0);
      report (argv[4]);
      return 0;
    }
  if (strcmp (argv[1], "watch") == 0 && argc == 5)
    {
      sscanf (argv[2], "%lu:%lu", &host_dev, &host_ino);
      const char *out = argv[3];
      double end = now () + atof (argv[4]);
      char stop[4096];
      snprintf (stop, sizeof stop, "%s.stop", out);
      int fds[256], nfds = 0;
      pid_t pids[256];
      int npids = 0;
      while (now () < end && access (stop, F_OK) != 0)
        {
          DIR *d = opendir ("/proc");
          struct dirent *e;
          while (d && (e = readdir (d)))
            {
              pid_t pid = atoi (e->d_name);
              if (pid <= 0 || pid == getpid () || !is_foreign (pid))
                continue;
              int known = 0;
              for (int k = 0; k < npids; k++)
                known |= pids[k] == pid;
              if (known || npids == 256)
                continue;
              pids[npids++] = pid;
              seen++;
              check_ptrace (pid);
              int fd = hold_exe (pid);
              if (fd >= 0 && nfds < 256)
                fds[nfds++] = fd;
            }
          if (d)
            closedir (d);
        }
      /* Every runtime process is gone now: try the held executables. */
      retry_writes (fds, nfds, 1.0);
      report (out);
      return 0;
    }
  return 2;
}
CSRC
)

TIOCSTI_SRC=$(cat <<'CSRC'
/* tiocsti: try to push one harmless byte (a space) into the input queue of the
 * terminal on stdin.  Prints TIOCSTI-REFUSED <errno> or TIOCSTI-INJECTED. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main (void)
{
  char c = ' ';
  if (!isatty (0))
    {
      puts ("STDIN-NOT-A-TTY");
      return 2;
    }
  if (ioctl (0, TIOCSTI, &c) == 0)
    {
      puts ("TIOCSTI-INJECTED");
      return 1;
    }
  printf ("TIOCSTI-REFUSED %s\n", strerrorname_np (errno));
  return 0;
}
CSRC
)

setup() {
	setup_bundle sleep 1000
	SHARED=$TESTDIR/shared
	mkdir -p "$SHARED"
}

teardown() {
	teardown_bundle
}

# The host binary's identity, as the container would see it through /proc/PID/exe.
function host_exe_id() {
	stat -L -c '%d:%i' "$CLAWRUN"
}

# Bind $SHARED (host) at /shared (container), read-write.
function mount_shared() {
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": "'"$SHARED"'", "options": ["rbind", "rw"]}]'
}

# result KEY: a value from the probe's report.
function result() {
	awk -v k="$1" '$1 == k { print $2 }' "$SHARED/result"
}

# A host file whose content must never show up inside a container.
function host_marker() {
	grep -m1 PRETTY_NAME /etc/os-release
}

# --- Row 1 and 2: the runtime binary and process, seen from inside -------------

@test "row 1: the runtime's executable cannot be reopened for writing from a created container" {
	install_helper probe "$PROBE_SRC"
	mount_shared
	create_container
	clawrun exec -d "$CT" /bin/probe hold 1 "$(host_exe_id)" /shared/result
	if [ "$status" -ne 0 ]; then
		skip "the runtime refuses exec into a created container"
	fi
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	poll 25 test -s "$SHARED/result"
	cat "$SHARED/result" >&2
	[ "$(result write_open_ok)" = 0 ]
}

@test "row 2: init, still the runtime, is not ptrace-accessible from a created container" {
	install_helper probe "$PROBE_SRC"
	mount_shared
	create_container
	clawrun exec -d "$CT" /bin/probe hold 1 "$(host_exe_id)" /shared/result
	if [ "$status" -ne 0 ]; then
		skip "the runtime refuses exec into a created container"
	fi
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	poll 25 test -s "$SHARED/result"
	cat "$SHARED/result" >&2
	[ "$(result seen)" = 1 ] || skip "init was no longer the runtime"
	[ "$(result ptraceable)" = 0 ]
}

@test "rows 1, 2: exec never exposes a writable or ptrace-accessible runtime" {
	install_helper probe "$PROBE_SRC"
	mount_shared
	set_args /bin/probe watch "$(host_exe_id)" /shared/result 20
	run_detached
	local i
	for i in $(seq 20); do
		clawrun exec "$CT" true
		[ "$status" -eq 0 ]
	done
	touch "$SHARED/result.stop"
	poll 10 test -s "$SHARED/result"
	cat "$SHARED/result" >&2
	[ "$(result ptraceable)" = 0 ]
	[ "$(result write_open_ok)" = 0 ]
	[ "$(result seen)" -gt 0 ] || skip "the probe never caught the runtime inside the container (a race)"
}

# --- Row 3: leaked fds and cwd=/proc/self/fd/N ----------------------------------

# The shell's own fds: "cd" pins /proc/<shell>/fd, then ls (a child) lists it.
LIST_FDS='cd /proc/self/fd && ls -l'

# leaked_fds OUTPUT: the fds above 2 (a transient one that vanished between readdir
# and readlink has no "->" and is ignored: a leaked fd stays).
function leaked_fds() {
	awk '$9 ~ /^[0-9]+$/ && $9 > 2 && $10 == "->" { print $9, $10, $11 }' <<<"$1"
}

@test "row 3: run leaks no host fd into the container" {
	set_args sh -c "$LIST_FDS"
	exec 5<"$TESTDIR" 6>"$TESTDIR/leak-file" 7</etc/os-release
	clawrun run "$CT"
	exec 5<&- 6>&- 7<&-
	[ "$status" -eq 0 ]
	[ -z "$(leaked_fds "$output")" ] || fail "leaked: $(leaked_fds "$output")"
}

@test "row 3: exec leaks no host fd into the container" {
	run_detached
	exec 5<"$TESTDIR" 6>"$TESTDIR/leak-file" 7</etc/os-release
	clawrun exec "$CT" sh -c "$LIST_FDS"
	exec 5<&- 6>&- 7<&-
	[ "$status" -eq 0 ]
	[ -z "$(leaked_fds "$output")" ] || fail "leaked: $(leaked_fds "$output")"
}

@test "row 3: init's fds after start are only stdio" {
	set_args sh -c "$LIST_FDS; cd /; echo listed; exec sleep 1000"
	create_container
	clawrun start "$CT"
	[ "$status" -eq 0 ]
	wait_for_output "$CT" listed
	[ -z "$(leaked_fds "$(ct_output "$CT")")" ] || fail "init has extra fds: $(leaked_fds "$(ct_output "$CT")")"
}

@test "row 3: process.cwd = /proc/self/fd/N cannot escape the root" {
	local n marker
	marker=$(host_marker)
	for n in 3 4 5 6 7 8; do
		update_config ".process.cwd = \"/proc/self/fd/$n\""
		set_args sh -c 'cat ../../../../../../../../../../etc/os-release 2>/dev/null; cat ./etc/os-release 2>/dev/null; true'
		clawrun run "$CT-$n"
		[[ "$output" != *"$marker"* ]] || fail "cwd /proc/self/fd/$n reached the host: $output"
	done
}

@test "row 3: exec --cwd /proc/self/fd/N cannot escape the root" {
	run_detached
	local n marker
	marker=$(host_marker)
	for n in 3 4 5 6 7 8; do
		clawrun exec --cwd "/proc/self/fd/$n" "$CT" sh -c 'cat ../../../../../../../../../../etc/os-release 2>/dev/null; true'
		[[ "$output" != *"$marker"* ]] || fail "exec --cwd /proc/self/fd/$n reached the host: $output"
	done
}

# --- Rows 4 and 5: symlinks in the image -----------------------------------------

@test "row 4: a mount onto an absolute symlink lands inside the rootfs" {
	local hostdir=$TESTDIR/hostdir4
	mkdir -p "$hostdir"
	echo host >"$hostdir/marker"
	ln -s "$hostdir" "$BUNDLE/rootfs/evil"
	update_config '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}]'
	set_args sh -c "stat -f -c %T '$hostdir'; ls -A '$hostdir'"
	clawrun run "$CT"
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = tmpfs ]
		[[ "$output" != *marker* ]]
	fi
	[ "$(cat "$hostdir/marker")" = host ]
	[ "$(ls -A "$hostdir")" = marker ]
}

@test "row 4: a bind mount onto a ../ symlink lands inside the rootfs" {
	local hostdir=$TESTDIR/hostdir4b src=$TESTDIR/src4b
	mkdir -p "$hostdir" "$src"
	echo host >"$hostdir/marker"
	echo from-src >"$src/file"
	ln -s "../../../../../../../../../../..$hostdir" "$BUNDLE/rootfs/evil"
	update_config '.mounts += [{"destination": "/evil", "type": "bind", "source": "'"$src"'", "options": ["rbind"]}]'
	set_args sh -c "cat '$hostdir/file'; cat /evil/file"
	clawrun run "$CT"
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = from-src ]
	fi
	[ "$(ls -A "$hostdir")" = marker ]
}

@test "row 5: no host directory is created through a symlink in the image" {
	local hostdir=$TESTDIR/hostdir5
	mkdir -p "$hostdir"
	ln -s "$hostdir" "$BUNDLE/rootfs/evil"
	ln -s "../../../../../../../../../..$hostdir" "$BUNDLE/rootfs/evil-rel"
	update_config '.mounts += [
		{"destination": "/evil/sub/dir", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/evil-rel/sub2", "type": "tmpfs", "source": "tmpfs"}]'
	set_args true
	clawrun run "$CT"
	[ -z "$(ls -A "$hostdir")" ] || fail "created on the host: $(ls -A "$hostdir")"
}

@test "row 5: a missing cwd is not created on the host through a symlink" {
	local hostdir=$TESTDIR/hostdir5c
	mkdir -p "$hostdir"
	ln -s "$hostdir" "$BUNDLE/rootfs/evil"
	make_rootfs_writable
	update_config '.process.cwd = "/evil/newcwd"'
	set_args pwd
	clawrun run "$CT"
	[ -z "$(ls -A "$hostdir")" ] || fail "created on the host: $(ls -A "$hostdir")"
}

@test "row 5: a file bind-mount target is not created on the host through a symlink" {
	local hostdir=$TESTDIR/hostdir5f
	mkdir -p "$hostdir"
	echo content >"$TESTDIR/srcfile"
	ln -s "$hostdir" "$BUNDLE/rootfs/evil"
	update_config '.mounts += [{"destination": "/evil/file", "type": "bind", "source": "'"$TESTDIR/srcfile"'", "options": ["bind"]}]'
	set_args true
	clawrun run "$CT"
	[ -z "$(ls -A "$hostdir")" ] || fail "created on the host: $(ls -A "$hostdir")"
}

# --- Row 6: a fake /proc ------------------------------------------------------------

# make_fake_proc DIR: files the runtime might write to, with known content.
function make_fake_proc() {
	mkdir -p "$1/sys/kernel" "$1/sys/net/ipv4" "$1/self/attr" "$1/1"
	echo untouched >"$1/sys/kernel/domainname"
	echo untouched >"$1/sys/net/ipv4/ip_forward"
	echo untouched >"$1/self/oom_score_adj"
	echo untouched >"$1/1/oom_score_adj"
	echo untouched >"$1/self/attr/exec"
	echo untouched >"$1/self/setgroups"
}

function fake_proc_untouched() {
	local f bad=0
	while read -r f; do
		[ "$(cat "$f")" = untouched ] || {
			echo "the runtime wrote to the fake $f: $(cat "$f")" >&2
			bad=1
		}
	done < <(find "$1" -type f)
	return $bad
}

@test "row 6: a bind mount over /proc does not receive the runtime's writes" {
	make_fake_proc "$TESTDIR/fakeproc"
	update_config '.mounts += [{"destination": "/proc", "type": "bind", "source": "'"$TESTDIR/fakeproc"'", "options": ["rbind"]}]
		| .linux.sysctl = {"kernel.domainname": "pwned", "net.ipv4.ip_forward": "1"}
		| .process.oomScoreAdj = 100'
	set_args true
	clawrun run "$CT"
	fake_proc_untouched "$TESTDIR/fakeproc"
}

@test "row 6: /proc as a symlink in the image does not redirect the runtime's writes" {
	make_fake_proc "$BUNDLE/rootfs/fakeproc"
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /fakeproc "$BUNDLE/rootfs/proc"
	update_config '.linux.sysctl = {"kernel.domainname": "pwned"} | .process.oomScoreAdj = 100'
	set_args sh -c 'stat -f -c %T /proc/self/'
	clawrun run "$CT"
	if [ "$status" -eq 0 ]; then
		[ "$output" = proc ]
	fi
	fake_proc_untouched "$BUNDLE/rootfs/fakeproc"
}

@test "row 6: sysctls are written to the container's real procfs" {
	update_config '.linux.sysctl = {"kernel.domainname": "claw-domain"}'
	set_args cat /proc/sys/kernel/domainname
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$output" = claw-domain ]
	[ "$(cat /proc/sys/kernel/domainname)" != claw-domain ]
}

# --- Row 7: the image's /dev -----------------------------------------------------

@test "row 7: the image's /dev/null (a regular file) is never used as a mask" {
	update_config 'del(.mounts[] | select(.destination == "/dev"))'
	echo EVIL-DEVNULL >"$BUNDLE/rootfs/dev/null"
	set_args sh -c 'cat /proc/timer_list /proc/kcore /proc/keys 2>/dev/null; stat -c "%F %t:%T" /dev/null'
	clawrun run "$CT"
	[[ "$output" != *EVIL-DEVNULL* ]]
	if [ "$status" -eq 0 ]; then
		[[ "$output" == *"character special file 1:3"* ]]
	fi
	[ "$(cat "$BUNDLE/rootfs/dev/null" 2>/dev/null || true)" != "" ] || true
}

@test "row 7: the image's /dev/null as a symlink is never used as a mask" {
	update_config 'del(.mounts[] | select(.destination == "/dev"))'
	echo EVIL-TARGET >"$BUNDLE/rootfs/etc/evil"
	ln -s /etc/evil "$BUNDLE/rootfs/dev/null"
	set_args sh -c 'cat /proc/timer_list /proc/kcore /proc/keys 2>/dev/null; stat -c "%F %t:%T" /dev/null'
	clawrun run "$CT"
	[[ "$output" != *EVIL-TARGET* ]]
	if [ "$status" -eq 0 ]; then
		[[ "$output" == *"character special file 1:3"* ]]
	fi
	[ "$(cat "$BUNDLE/rootfs/etc/evil")" = EVIL-TARGET ]
}

@test "row 7: a config without a /dev mount still gets working device nodes" {
	update_config 'del(.mounts[] | select(.destination == "/dev"))'
	set_args sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/null character special file 1:3"* ]]
	[[ "$output" == *"/dev/zero character special file 1:5"* ]]
	[[ "$output" == *"/dev/urandom character special file 1:9"* ]]
}

# --- Row 8: inheritable capabilities -------------------------------------------------
# The inheritable set stays empty, except for the bits the kernel needs to raise an
# ambient capability the config explicitly asks for (ambient must be a subset of
# inheritable); exec --cap never adds to it (CVE-2022-29162).

# cap_mask FIELD OUTPUT: the hex mask of CapInh/CapAmb/... from /proc/self/status.
function cap_mask() {
	printf '%d' "0x$(awk -v f="$1:" '$1 == f { print $2 }' <<<"$2")"
}

@test "row 8: without ambient capabilities the inheritable set is empty" {
	update_config 'del(.process.capabilities.ambient) | del(.process.capabilities.inheritable)'
	set_args grep -E '^Cap(Inh|Amb):' /proc/self/status
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$(cap_mask CapInh "$output")" -eq 0 ]
	[ "$(cap_mask CapAmb "$output")" -eq 0 ]
}

@test "row 8: the inheritable set holds nothing beyond the requested ambient set" {
	# runc spec asks for ambient CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE.
	jq -e '.process.capabilities.ambient | length > 0' config.json
	set_args grep -E '^Cap(Inh|Amb):' /proc/self/status
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	local inh amb requested=$((0x20000420))
	inh=$(cap_mask CapInh "$output")
	amb=$(cap_mask CapAmb "$output")
	[ $((inh & ~requested)) -eq 0 ] || fail "inheritable has more than the requested ambient caps"
	[ $((amb & ~requested)) -eq 0 ] || fail "ambient has more than requested"
	[ $((inh & ~amb)) -eq 0 ] || fail "inheritable bits that are not ambient"
}

@test "row 8: exec --cap does not fill the inheritable set" {
	run_detached
	clawrun exec --cap CAP_SYS_ADMIN --cap CAP_NET_ADMIN "$CT" grep -E '^Cap(Inh|Amb|Eff):' /proc/self/status
	[ "$status" -eq 0 ]
	local inh eff
	inh=$(cap_mask CapInh "$output")
	eff=$(cap_mask CapEff "$output")
	# CAP_SYS_ADMIN = 21, CAP_NET_ADMIN = 12: effective, never inheritable.
	[ $(((eff >> 21) & 1)) -eq 1 ]
	[ $(((inh >> 21) & 1)) -eq 0 ]
	[ $(((inh >> 12) & 1)) -eq 0 ]
	[ $((inh & ~0x20000420)) -eq 0 ]
}

@test "row 8: an unprivileged user without ambient capabilities has none effective" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | del(.process.capabilities.ambient)'
	set_args grep -E '^Cap(Inh|Prm|Eff|Amb):' /proc/self/status
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[ "$(cap_mask CapInh "$output")" -eq 0 ]
	[ "$(cap_mask CapEff "$output")" -eq 0 ]
	[ "$(cap_mask CapPrm "$output")" -eq 0 ]
}

# --- Row 9: cgroupfs from inside --------------------------------------------------------

@test "row 9: cgroupfs is not writable from inside" {
	# ": >> f" opens f for appending and writes nothing (busybox test -w is always
	# true for root, even on a read-only mount).
	set_args sh -c 'for f in /sys/fs/cgroup/*/cgroup.procs /sys/fs/cgroup/*/tasks /sys/fs/cgroup/*/release_agent /sys/fs/cgroup/*/notify_on_release /sys/fs/cgroup/*/cgroup.subtree_control; do test -f "$f" || continue; (: >> "$f") 2>/dev/null && echo "WRITABLE $f"; done; echo checked'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *checked* ]]
	[[ "$output" != *WRITABLE* ]]
}

@test "row 9: the host's cgroup tree is not visible inside" {
	set_args sh -c 'ls -A /sys/fs/cgroup/memory /sys/fs/cgroup/pids 2>/dev/null'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" != *process_api* ]]
	[[ "$output" != *"$CT"* ]]
}

@test "row 9: with a cgroup namespace, the container's cgroup is its root" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	set_args sh -c 'cat /proc/self/cgroup; (: >> /sys/fs/cgroup/memory/cgroup.procs) 2>/dev/null && echo WRITABLE; true'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	grep -qE '^[0-9]+:memory:/$' <<<"$output"
	[[ "$output" != *WRITABLE* ]]
}

@test "row 9: the container cannot mount a writable cgroupfs" {
	set_args sh -c 'mkdir -p /dev/shm/cg; mount -t cgroup -o memory none /dev/shm/cg 2>/dev/null && echo MOUNTED; mount -t cgroup2 none /dev/shm/cg 2>/dev/null && echo MOUNTED2; true'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" != *MOUNTED* ]]
}

# --- Row 11: strict uid/gid parsing -----------------------------------------------------

@test "row 11: exec --user rejects anything but whole numbers in range" {
	run_detached
	local u
	for u in 1000abc 0x10 1e3 -1 " 1000" "1000 " 4294967296 99999999999999999999 1000:1000x 1000:-1 1000:4294967296 ""; do
		clawrun exec --user "$u" "$CT" echo RAN
		[ "$status" -ne 0 ] || fail "exec --user '$u' was accepted"
		[[ "$output" != *RAN* ]] || fail "exec --user '$u' ran the process"
	done
}

@test "row 11: exec --additional-gids rejects non-numbers" {
	run_detached
	local g
	for g in abc 5x -5 4294967296; do
		clawrun exec --additional-gids "$g" "$CT" echo RAN
		[ "$status" -ne 0 ] || fail "--additional-gids '$g' was accepted"
	done
}

@test "row 11: exec --process with a non-numeric uid is rejected" {
	run_detached
	echo '{"user": {"uid": "0abc", "gid": 0}, "args": ["echo", "RAN"], "cwd": "/"}' >"$TESTDIR/p.json"
	clawrun exec --process "$TESTDIR/p.json" "$CT"
	[ "$status" -ne 0 ]
	[[ "$output" != *RAN* ]]
}

# --- Row 12: sessions and TIOCSTI -------------------------------------------------------
# A detached container inherits our stdio as is: run -d (or exec -d) on a pty made by
# script(1), then wait for the process to finish while script collects its output.

function run_detached_in_pty() {
	local c="'$CLAWRUN' --root '$ROOT'"
	run_in_pty "timeout --foreground -k 5 20 $c run -d '$CT' && for i in \$(seq 200); do $c state '$CT' | grep -q '\"stopped\"' && break; sleep 0.05; done"
}

function exec_detached_in_pty() {
	local c="'$CLAWRUN' --root '$ROOT'" pidf=$TESTDIR/exec-pty.pid
	run_in_pty "timeout --foreground -k 5 20 $c exec -d --pid-file '$pidf' '$CT' $* && for i in \$(seq 200); do test -d /proc/\$(cat '$pidf') || break; sleep 0.05; done"
}

SESSION_CMD='read -r pid comm state ppid pgrp sid ttynr rest < /proc/self/stat; test -t 0 && echo stdin-is-a-tty; echo "pid=$pid sid=$sid tty=$ttynr"'

@test "row 12: the container process is in a new session without our terminal" {
	set_args sh -c "$SESSION_CMD"
	run_detached_in_pty
	[[ "$output" == *stdin-is-a-tty* ]] || skip "the runtime does not pass our terminal through"
	[[ "$output" == *"sid=1 tty=0"* ]]
}

@test "row 12: an exec'd process is in a new session without our terminal" {
	run_detached
	exec_detached_in_pty sh -c "'$SESSION_CMD'"
	[[ "$output" == *stdin-is-a-tty* ]] || skip "the runtime does not pass our terminal through"
	local pid sid
	pid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' <<<"$output")
	sid=$(sed -n 's/.*sid=\([0-9]*\) .*/\1/p' <<<"$output")
	[ -n "$pid" ]
	[ "$pid" = "$sid" ]
	[[ "$output" == *"tty=0"* ]]
}

@test "row 12: TIOCSTI into the caller's terminal is refused (run)" {
	install_helper tiocsti "$TIOCSTI_SRC"
	set_args /bin/tiocsti
	run_detached_in_pty
	[[ "$output" != *STDIN-NOT-A-TTY* ]] || skip "the runtime does not pass our terminal through"
	[[ "$output" == *TIOCSTI-REFUSED* ]]
	[[ "$output" != *TIOCSTI-INJECTED* ]]
}

@test "row 12: TIOCSTI into the caller's terminal is refused (exec)" {
	install_helper tiocsti "$TIOCSTI_SRC"
	run_detached
	exec_detached_in_pty /bin/tiocsti
	[[ "$output" != *STDIN-NOT-A-TTY* ]] || skip "the runtime does not pass our terminal through"
	[[ "$output" == *TIOCSTI-REFUSED* ]]
	[[ "$output" != *TIOCSTI-INJECTED* ]]
}

# --- Other defences visible from inside ---------------------------------------------------

@test "noNewPrivileges from the config is applied" {
	update_config '.process.noNewPrivileges = true'
	set_args grep NoNewPrivs /proc/self/status
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *1 ]]
}

@test "a seccomp profile from the config is applied" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args sh -c 'mkdir /dev/shm/x 2>&1; echo rc=$?; grep Seccomp: /proc/self/status'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *rc=1* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
}

@test "without CAP_SYS_ADMIN the container cannot mount or change its hostname" {
	set_args sh -c 'mount -t tmpfs none /dev/shm 2>/dev/null && echo MOUNTED; hostname evil 2>/dev/null && echo RENAMED; echo done'
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *done* ]]
	[[ "$output" != *MOUNTED* ]]
	[[ "$output" != *RENAMED* ]]
}

@test "the container cannot see or signal host processes" {
	set_args sh -c "kill -0 $$ 2>/dev/null && echo SIGNALLED; test -e /proc/$$/status && echo VISIBLE; echo done"
	clawrun run "$CT"
	[ "$status" -eq 0 ]
	[[ "$output" == *done* ]]
	[[ "$output" != *SIGNALLED* ]]
	[[ "$output" != *VISIBLE* ]] || [ "$$" -le 3 ]
}
