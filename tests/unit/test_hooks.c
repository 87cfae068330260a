/* Unit tests for runtime/hooks.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#include "runtime/config.h"
#include "runtime/hooks.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

static char tmpdir[] = "/tmp/clawrun-test-hooks-XXXXXX";

static char *
tpath (const char *name)
{
  return xasprintf ("%s/%s", tmpdir, name);
}

static char *
slurp (const char *path)
{
  char *s = NULL;
  clr_err err;
  if (clr_read_file (path, 16 << 20, &s, NULL, &err) < 0)
    return NULL;
  return s;
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One hook in a list, run with KIND. */
static int
run1 (struct clr_hook *h, enum clr_hook_kind kind, const char *state, clr_err *err)
{
  struct clr_hook_list l = { .hooks = h, .n = 1 };
  return clr_hooks_run (&l, kind, state, err);
}

static struct clr_hook
sh_hook (char **args)
{
  struct clr_hook h = { .path = "/bin/sh", .args = args, .n_args = clr_strv_len (args) };
  return h;
}

static bool
no_children_left (void)
{
  int st;
  return waitpid (-1, &st, WNOHANG | __WALL) < 0 && errno == ECHILD;
}

static void
test_stdin (void)
{
  cleanup_free char *out = tpath ("stdin.out");
  char *args[] = { "sh", "-c", "cat > \"$0\"", out, NULL };
  struct clr_hook h = sh_hook (args);
  const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
                      "\"bundle\":\"/b\"}";
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_CREATE_RUNTIME, state, &err);
  TAP_OK (r == 0, "hook reading stdin succeeds (%s)", r ? err.msg : "ok");
  cleanup_free char *got = slurp (out);
  TAP_OK (got && strcmp (got, state) == 0, "state JSON arrives on the hook's stdin");
}

static void
test_partial_read (void)
{
  cleanup_free char *out = tpath ("partial.out");
  char *args[] = { "sh", "-c", "head -c 10 > \"$0\"", out, NULL };
  struct clr_hook h = sh_hook (args);
  size_t big = 1 << 20;
  cleanup_free char *state = xmalloc (big + 1);
  memset (state, 'x', big);
  state[big] = '\0';
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_PRESTART, state, &err);
  TAP_OK (r == 0, "hook reading only part of a 1 MiB state succeeds (%s)", r ? err.msg : "ok");
  cleanup_free char *got = slurp (out);
  TAP_OK (got && strcmp (got, "xxxxxxxxxx") == 0, "partial reader got the first bytes");
}

static bool
sigpipe_blocked (void)
{
  sigset_t cur;
  sigprocmask (SIG_BLOCK, NULL, &cur);
  return sigismember (&cur, SIGPIPE) == 1;
}

static bool
sigpipe_pending (void)
{
  sigset_t p;
  sigpending (&p);
  return sigismember (&p, SIGPIPE) == 1;
}

static void
test_no_read_large_state (void)
{
  size_t big = 1 << 20;
  cleanup_free char *state = xmalloc (big + 1);
  memset (state, 'y', big);
  state[big] = '\0';

  /* exits at once without reading: EPIPE for us, never SIGPIPE */
  struct clr_hook t = { .path = "/usr/bin/true" };
  clr_err err = { 0 };
  double t0 = now_s ();
  int r = run1 (&t, CLR_HOOK_POSTSTART, state, &err);
  TAP_OK (r == 0, "hook not reading a 1 MiB state: no hang, no SIGPIPE (%s)", r ? err.msg : "ok");
  TAP_OK (now_s () - t0 < 5, "... and it returned promptly");
  TAP_OK (!sigpipe_blocked () && !sigpipe_pending (), "SIGPIPE neither left blocked nor pending");

  /* a hook that sleeps without reading: the pipe fills, we must keep waiting on it */
  char *args[] = { "sh", "-c", "sleep 0.3", NULL };
  struct clr_hook s = sh_hook (args);
  r = run1 (&s, CLR_HOOK_POSTSTART, state, &err);
  TAP_OK (r == 0, "slow hook not reading a 1 MiB state succeeds (%s)", r ? err.msg : "ok");

  /* caller that already blocks SIGPIPE: still blocked afterwards, nothing pending */
  sigset_t pipe_set, old;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &old);
  r = run1 (&t, CLR_HOOK_POSTSTART, state, &err);
  TAP_OK (r == 0 && sigpipe_blocked () && !sigpipe_pending (),
          "caller's blocked SIGPIPE stays blocked and no SIGPIPE is left pending");
  sigprocmask (SIG_SETMASK, &old, NULL);
}

static void
test_env (void)
{
  cleanup_free char *out = tpath ("env.out");
  char *env[] = { "FOO=bar", "EMPTY=", "X=a b", NULL };
  struct clr_hook h = { .path = "/usr/bin/env", .env = env, .n_env = 3 };
  clr_err err = { 0 };

  /* /usr/bin/env prints to the hook's stdout, which is ours: point ours at a file. */
  fflush (stdout);
  int saved = dup (1);
  int fd = open (out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  dup2 (fd, 1);
  close (fd);
  int r = run1 (&h, CLR_HOOK_CREATE_CONTAINER, "{}", &err);
  dup2 (saved, 1);
  close (saved);
  TAP_OK (r == 0, "env hook succeeds (%s)", r ? err.msg : "ok");
  cleanup_free char *got = slurp (out);
  TAP_OK (got && strcmp (got, "FOO=bar\nEMPTY=\nX=a b\n") == 0,
          "hook gets exactly the configured env and inherits stdout");

  /* env NULL: an empty environment, not ours */
  struct clr_hook h2 = { .path = "/usr/bin/env" };
  fflush (stdout);
  saved = dup (1);
  fd = open (out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  dup2 (fd, 1);
  close (fd);
  setenv ("CLAWRUN_TEST_LEAK", "1", 1);
  r = run1 (&h2, CLR_HOOK_CREATE_CONTAINER, "{}", &err);
  unsetenv ("CLAWRUN_TEST_LEAK");
  dup2 (saved, 1);
  close (saved);
  cleanup_free char *got2 = slurp (out);
  TAP_OK (r == 0 && got2 && got2[0] == '\0', "no env configured: the hook's env is empty");
}

static void
test_args (void)
{
  cleanup_free char *out = tpath ("args.out");
  char *args[] = { "sh", "-c", "printf '%s\\n' \"$@\" > \"$0\"", out, "a b", "", "c", NULL };
  struct clr_hook h = sh_hook (args);
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_START_CONTAINER, "{}", &err);
  cleanup_free char *got = slurp (out);
  TAP_OK (r == 0 && got && strcmp (got, "a b\n\nc\n") == 0, "args are passed verbatim");

  /* args NULL: argv is {path}.  sh without arguments reads its script from stdin, and
   * $0 is then argv[0]. */
  cleanup_free char *out2 = tpath ("argv0.out");
  cleanup_free char *script = xasprintf ("echo \"$0\" > %s\n", out2);
  struct clr_hook h2 = { .path = "/bin/sh" };
  r = run1 (&h2, CLR_HOOK_START_CONTAINER, script, &err);
  cleanup_free char *got2 = slurp (out2);
  TAP_OK (r == 0 && got2 && strcmp (got2, "/bin/sh\n") == 0,
          "no args: argv[0] is the path");
}

static void
test_exit_status (void)
{
  char *args[] = { "sh", "-c", "exit 3", NULL };
  struct clr_hook h = sh_hook (args);
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_CREATE_RUNTIME, "{}", &err);
  TAP_OK (r < 0 && strcmp (err.msg, "createRuntime hook #0 (/bin/sh): exited with status 3") == 0
              && err.code == 0,
          "non-zero exit: '%s'", err.msg);
}

static void
test_signal (void)
{
  char *args[] = { "sh", "-c", "kill -9 $$", NULL };
  struct clr_hook h = sh_hook (args);
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_PRESTART, "{}", &err);
  TAP_OK (r < 0 && strcmp (err.msg, "prestart hook #0 (/bin/sh): killed by signal 9") == 0,
          "killed by a signal: '%s'", err.msg);
}

static void
test_timeout (void)
{
  char *args[] = { "sleep", "10", NULL };
  struct clr_hook h = { .path = "/usr/bin/sleep", .args = args, .n_args = 2,
                        .has_timeout = true, .timeout = 1 };
  clr_err err = { 0 };
  double t0 = now_s ();
  int r = run1 (&h, CLR_HOOK_POSTSTOP, "{}", &err);
  double el = now_s () - t0;
  TAP_OK (r < 0 && strcmp (err.msg, "poststop hook #0 (/usr/bin/sleep): timed out after 1s") == 0,
          "timeout: '%s'", err.msg);
  TAP_OK (el >= 0.9 && el < 3, "timeout fires after about 1 s (%.2f s)", el);
  TAP_OK (no_children_left (), "the timed-out hook was killed and reaped");

  /* a timeout that is not reached */
  char *args2[] = { "sh", "-c", "exit 0", NULL };
  struct clr_hook h2 = { .path = "/bin/sh", .args = args2, .n_args = 3, .has_timeout = true,
                         .timeout = 5 };
  r = run1 (&h2, CLR_HOOK_POSTSTOP, "{}", &err);
  TAP_OK (r == 0, "fast hook with a timeout succeeds");
}

static void
test_exec_failure (void)
{
  struct clr_hook h = { .path = "/nonexistent/clawrun-hook" };
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_POSTSTOP, "{}", &err);
  TAP_OK (r < 0 && err.code == ENOENT
              && strcmp (err.msg, "poststop hook #0 (/nonexistent/clawrun-hook): exec: ENOENT "
                                  "(no such file or directory)")
                     == 0,
          "missing hook: '%s'", err.msg);

  cleanup_free char *noexec = tpath ("noexec");
  int fd = open (noexec, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  close (fd);
  struct clr_hook h2 = { .path = noexec };
  r = run1 (&h2, CLR_HOOK_PRESTART, "{}", &err);
  TAP_OK (r < 0 && err.code == EACCES && strstr (err.msg, "): exec: EACCES"),
          "non-executable hook: '%s'", err.msg);

  struct clr_hook h3 = { .path = "relative/hook" };
  r = run1 (&h3, CLR_HOOK_PRESTART, "{}", &err);
  TAP_OK (r < 0 && strstr (err.msg, "prestart hook #0 (relative/hook)"), "relative path refused");
}

static void
test_fds_and_signals (void)
{
  /* a leaked, non-CLOEXEC fd of ours must not reach the hook */
  int leak = open ("/dev/null", O_RDONLY);
  int leak_hi = fcntl (leak, F_DUPFD, 100);
  cleanup_free char *out = tpath ("fds.out");
  char *args[] = { "sh", "-c", "ls /proc/self/fd > \"$0\"", out, NULL };
  struct clr_hook h = sh_hook (args);
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_PRESTART, "{}", &err);
  close (leak);
  close (leak_hi);
  cleanup_free char *got = slurp (out);
  /* 0-2 plus ls's own directory fd */
  TAP_OK (r == 0 && got && strcmp (got, "0\n1\n2\n3\n") == 0,
          "hook has only fds 0-2 open");

  /* blocked and ignored signals of the caller are reset */
  sigset_t usr1, old;
  sigemptyset (&usr1);
  sigaddset (&usr1, SIGUSR1);
  sigprocmask (SIG_BLOCK, &usr1, &old);
  struct sigaction ign = { .sa_handler = SIG_IGN }, old_sa;
  sigaction (SIGUSR2, &ign, &old_sa);
  cleanup_free char *out2 = tpath ("sig.out");
  char *args2[] = { "sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status > \"$0\"", out2, NULL };
  struct clr_hook h2 = sh_hook (args2);
  r = run1 (&h2, CLR_HOOK_PRESTART, "{}", &err);
  sigprocmask (SIG_SETMASK, &old, NULL);
  sigaction (SIGUSR2, &old_sa, NULL);
  cleanup_free char *got2 = slurp (out2);
  TAP_OK (r == 0 && got2 && strcmp (got2, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n") == 0,
          "signal mask and dispositions are reset (%s)", got2 ? got2 : "no output");
}

/* With our stdout closed, the hook's fd 1 is /dev/null, not its first open file. */
static void
test_closed_stdout (void)
{
  cleanup_free char *out = tpath ("closed.out");
  char *args[] = { "sh", "-c", "x=$(readlink /proc/$$/fd/1); echo \"$x\" > \"$0\"", out, NULL };
  struct clr_hook h = sh_hook (args);
  clr_err err = { 0 };
  fflush (stdout);
  int saved = fcntl (1, F_DUPFD_CLOEXEC, 3);
  close (1);
  int r = run1 (&h, CLR_HOOK_POSTSTOP, "{}", &err);
  dup2 (saved, 1);
  close (saved);
  cleanup_free char *got = slurp (out);
  TAP_OK (r == 0 && got && strcmp (got, "/dev/null\n") == 0,
          "caller with stdout closed: hook's stdout is /dev/null");
}

static void
test_sequence (void)
{
  cleanup_free char *a = tpath ("seq.a");
  cleanup_free char *c = tpath ("seq.c");
  char *args_a[] = { "sh", "-c", "touch \"$0\"", a, NULL };
  char *args_b[] = { "sh", "-c", "exit 1", NULL };
  char *args_c[] = { "sh", "-c", "touch \"$0\"", c, NULL };
  struct clr_hook hooks[] = { sh_hook (args_a), sh_hook (args_b), sh_hook (args_c) };
  struct clr_hook_list l = { .hooks = hooks, .n = 3 };
  clr_err err = { 0 };
  int r = clr_hooks_run (&l, CLR_HOOK_CREATE_CONTAINER, "{}", &err);
  TAP_OK (r < 0 && strcmp (err.msg, "createContainer hook #1 (/bin/sh): exited with status 1") == 0,
          "second hook fails: '%s'", err.msg);
  TAP_OK (access (a, F_OK) == 0 && access (c, F_OK) < 0, "hooks run in order and stop at the first failure");

  struct clr_hook_list empty = { 0 };
  TAP_OK (clr_hooks_run (&empty, CLR_HOOK_POSTSTOP, "{}", &err) == 0
              && clr_hooks_run (NULL, CLR_HOOK_POSTSTOP, "{}", &err) == 0,
          "empty and NULL hook lists succeed");
}

static void
test_sigchld_ignored (void)
{
  struct sigaction ign = { .sa_handler = SIG_IGN }, old, now;
  sigaction (SIGCHLD, &ign, &old);
  char *args[] = { "sh", "-c", "exit 7", NULL };
  struct clr_hook h = sh_hook (args);
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_POSTSTART, "{}", &err);
  sigaction (SIGCHLD, NULL, &now);
  sigaction (SIGCHLD, &old, NULL);
  TAP_OK (r < 0 && strcmp (err.msg, "poststart hook #0 (/bin/sh): exited with status 7") == 0,
          "exit status is reported even with SIGCHLD ignored: '%s'", err.msg);
  TAP_OK (now.sa_handler == SIG_IGN, "the caller's SIGCHLD disposition is restored");
}

/* Other children of the caller (the container's processes, when init is PID 1) are
 * not reaped by the hook runner. */
static int
check_other_child_kept (void)
{
  pid_t other = fork ();
  if (other == 0)
    _exit (42);
  usleep (100 * 1000); /* let it become a zombie before the hook runs */
  char *args[] = { "sh", "-c", "exit 0", NULL };
  struct clr_hook h = sh_hook (args);
  clr_err err = { 0 };
  int r = run1 (&h, CLR_HOOK_START_CONTAINER, "{}", &err);
  int st = 0;
  pid_t w = waitpid (other, &st, 0);
  return r == 0 && w == other && WIFEXITED (st) && WEXITSTATUS (st) == 42;
}

static void
test_reaps_only_hook (void)
{
  TAP_OK (check_other_child_kept (), "an unrelated child is left for the caller to reap");

  /* The same as PID 1 of a new pid namespace (the container init's situation).  The
   * unshare happens in a helper child: after it, this process could not fork again
   * once the namespace's init is gone. */
  fflush (stdout);
  pid_t helper = fork ();
  if (helper == 0)
    {
      if (unshare (CLONE_NEWPID) < 0)
        _exit (77);
      pid_t pid = fork ();
      if (pid == 0)
        _exit (getpid () == 1 && check_other_child_kept () ? 0 : 1);
      int st = 0;
      if (pid < 0 || waitpid (pid, &st, 0) < 0)
        _exit (2);
      _exit (WIFEXITED (st) ? WEXITSTATUS (st) : 3);
    }
  int st = 0;
  waitpid (helper, &st, 0);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 77)
    TAP_SKIP ("unshare(CLONE_NEWPID) not permitted", "as PID 1 of a pid namespace");
  else
    TAP_OK (WIFEXITED (st) && WEXITSTATUS (st) == 0, "as PID 1 of a pid namespace, too");
}

static void
test_kind_names (void)
{
  TAP_OK (strcmp (clr_hook_kind_name (CLR_HOOK_PRESTART), "prestart") == 0
              && strcmp (clr_hook_kind_name (CLR_HOOK_CREATE_RUNTIME), "createRuntime") == 0
              && strcmp (clr_hook_kind_name (CLR_HOOK_CREATE_CONTAINER), "createContainer") == 0
              && strcmp (clr_hook_kind_name (CLR_HOOK_START_CONTAINER), "startContainer") == 0
              && strcmp (clr_hook_kind_name (CLR_HOOK_POSTSTART), "poststart") == 0
              && strcmp (clr_hook_kind_name (CLR_HOOK_POSTSTOP), "poststop") == 0,
          "hook kind names match config.json");
}

int
main (void)
{
  if (!mkdtemp (tmpdir))
    {
      perror ("mkdtemp");
      return 1;
    }
  test_kind_names ();
  test_stdin ();
  test_partial_read ();
  test_no_read_large_state ();
  test_env ();
  test_args ();
  test_exit_status ();
  test_signal ();
  test_timeout ();
  test_exec_failure ();
  test_fds_and_signals ();
  test_closed_stdout ();
  test_sequence ();
  test_sigchld_ignored ();
  test_reaps_only_hook ();
  TAP_OK (no_children_left (), "no hook process is left behind");

  clr_err err;
  clr_remove_tree_at (AT_FDCWD, tmpdir, &err);
  return tap_done ();
}
