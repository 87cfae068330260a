/* clawrun: OCI hooks (runtime-spec config.md, "POSIX-platform Hooks").
 *
 * Each hook is a fork + execve with the container state JSON on stdin, stdout and
 * stderr inherited, nothing else open, default signal mask and dispositions, and the
 * environment exactly as configured.  The parent feeds stdin and waits on a pidfd with
 * poll(), so a timeout and a hook that never reads its stdin are handled by the same
 * loop and the caller never blocks past the deadline.
 *
 * This runs both in the clawrun host process (prestart, createRuntime, poststart,
 * poststop) and in the container's init while it is PID 1 of a new pid namespace
 * (createContainer, startContainer): only the hook's own pid is ever waited for, so
 * no other child of the caller gets reaped behind its back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* gnu11 predefines `linux` as 1, which breaks config.h's `struct clr_linux linux`
 * member; harmless to drop here (nothing below tests it). */

#include "config.h"
#include "hooks.h"
#include "log.h"
#include "util.h"

static const char *const hook_kind_names[CLR_HOOK__COUNT] = {
  [CLR_HOOK_PRESTART] = "prestart",
  [CLR_HOOK_CREATE_RUNTIME] = "createRuntime",
  [CLR_HOOK_CREATE_CONTAINER] = "createContainer",
  [CLR_HOOK_START_CONTAINER] = "startContainer",
  [CLR_HOOK_POSTSTART] = "poststart",
  [CLR_HOOK_POSTSTOP] = "poststop",
};

const char *
clr_hook_kind_name (enum clr_hook_kind kind)
{
  if ((unsigned) kind >= CLR_HOOK__COUNT)
    return "unknown";
  return hook_kind_names[kind];
}

/* What the child reports over the exec-error pipe when it cannot exec the hook.  The
 * pipe is O_CLOEXEC: a successful execve closes it and the parent reads EOF. */
enum child_stage { STAGE_STDIN = 1, STAGE_SIGNALS, STAGE_FDS, STAGE_EXEC };

struct child_report {
  int stage;
  int err;
};

static const char *
stage_name (int stage)
{
  switch (stage)
    {
    case STAGE_STDIN:
      return "set up stdin";
    case STAGE_SIGNALS:
      return "reset signals";
    case STAGE_FDS:
      return "close fds";
    default:
      return "exec";
    }
}

static void __attribute__ ((noreturn))
child_fail (int errfd, int stage, int e)
{
  struct child_report r = { .stage = stage, .err = e };
  /* Best effort: if even this fails the parent still sees exit status 127. */
  (void) !write (errfd, &r, sizeof r);
  _exit (127);
}

/* Close every fd >= 3 except KEEP (the exec-error pipe, which closes on exec). */
static int
close_fds_except (int keep)
{
  int r = 0;
  if (keep > 3)
    r = syscall (SYS_close_range, 3U, (unsigned) keep - 1, 0U);
  if (r == 0)
    r = syscall (SYS_close_range, (unsigned) keep + 1, ~0U, 0U);
  if (r == 0)
    return 0;
  if (errno != ENOSYS)
    return -1;
  /* Kernels before 5.9: close one by one up to the fd limit. */
  struct rlimit rl;
  int max = 65536;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < INT_MAX)
    max = (int) rl.rlim_cur;
  for (int fd = 3; fd < max; fd++)
    if (fd != keep)
      close (fd);
  return 0;
}

/* Runs in the forked child; never returns.  Only async-signal-safe calls: the caller
 * may have had other threads, and nothing here may touch malloc or stdio. */
static void __attribute__ ((noreturn))
hook_child (const struct clr_hook *hook, char *const *argv, char *const *envp, int stdin_fd,
            int errfd)
{
  /* STDIN_FD and ERRFD are >= 3 (see make_pipe), so dup2 never aliases them and
   * the new fd 0 has no FD_CLOEXEC. */
  if (dup2 (stdin_fd, 0) < 0)
    child_fail (errfd, STAGE_STDIN, errno);
  /* If the caller runs with stdout or stderr closed, give the hook /dev/null there, so
   * the first file it opens does not silently become its stdout.  Best effort. */
  for (int fd = 1; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF)
      {
        int n = open ("/dev/null", O_RDWR | O_NOCTTY);
        if (n >= 0 && n != fd)
          {
            dup2 (n, fd);
            close (n);
          }
      }

  /* Handlers are reset by execve anyway, but SIG_IGN and the blocked mask are
   * inherited: a hook must start with a clean slate whatever the caller set up. */
  clr_reset_signal_dispositions ();
  sigset_t none;
  sigemptyset (&none);
  if (sigprocmask (SIG_SETMASK, &none, NULL) < 0)
    child_fail (errfd, STAGE_SIGNALS, errno);

  /* No fd of the runtime (state dir, sync sockets, the rootfs) may reach the hook. */
  if (close_fds_except (errfd) < 0)
    child_fail (errfd, STAGE_FDS, errno);

  execve (hook->path, argv, envp);
  child_fail (errfd, STAGE_EXEC, errno);
}

/* write() that cannot kill us with SIGPIPE when the hook closed its stdin early: block
 * SIGPIPE around the write and consume the one it generated, unless one was already
 * pending before (that one belongs to someone else).  The mask is restored before
 * returning, so SIGPIPE is never left blocked. */
static ssize_t
write_nosigpipe (int fd, const void *buf, size_t len)
{
  sigset_t pipe_set, old, pending;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigemptyset (&pending);
  (void) sigpending (&pending);
  bool was_pending = sigismember (&pending, SIGPIPE) == 1;
  (void) sigprocmask (SIG_BLOCK, &pipe_set, &old);

  ssize_t r = write (fd, buf, len);
  int e = errno;

  if (r < 0 && e == EPIPE && !was_pending)
    {
      const struct timespec zero = { 0, 0 };
      while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
        ;
    }
  (void) sigprocmask (SIG_SETMASK, &old, NULL);
  errno = e;
  return r;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move FD to a number >= 3, keeping O_CLOEXEC.  Needed when the caller runs with some
 * of 0, 1, 2 closed: a pipe end sitting at 1 would become the hook's stdout. */
static int
fd_above_stdio (int *fd)
{
  if (*fd >= 3)
    return 0;
  int n = fcntl (*fd, F_DUPFD_CLOEXEC, 3);
  if (n < 0)
    return -1;
  close (*fd);
  *fd = n;
  return 0;
}

static int
make_pipe (int fds[2])
{
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return -1;
  if (fd_above_stdio (&fds[0]) < 0 || fd_above_stdio (&fds[1]) < 0)
    {
      int e = errno;
      close (fds[0]);
      close (fds[1]);
      errno = e;
      return -1;
    }
  return 0;
}

/* Restores SIGCHLD's disposition on scope exit (see run_one_hook). */
struct sigchld_guard {
  bool changed;
  struct sigaction old;
};

static void
sigchld_guard_restore (struct sigchld_guard *g)
{
  if (g->changed)
    (void) sigaction (SIGCHLD, &g->old, NULL);
}

static int
run_one_hook (const struct clr_hook *hook, enum clr_hook_kind kind, size_t idx,
              const char *state, size_t state_len, clr_err *err)
{
  const char *kname = clr_hook_kind_name (kind);
  const char *path = hook->path ? hook->path : "";
#define HOOK_FAIL(errnum, fmt, ...)                                                          \
  clr_fail (err, errnum, "%s hook #%zu (%s): " fmt, kname, idx, path, ##__VA_ARGS__)

  if (hook->path == NULL || hook->path[0] != '/')
    return HOOK_FAIL (EINVAL, "path must be absolute");

  /* Everything the child needs is prepared before fork: it must not allocate. */
  char *default_argv[] = { (char *) hook->path, NULL };
  char *empty_env[] = { NULL };
  char *const *argv = hook->args && hook->args[0] ? hook->args : default_argv;
  char *const *envp = hook->env ? hook->env : empty_env;

  int in_pipe[2], err_pipe[2];
  if (make_pipe (in_pipe) < 0)
    return HOOK_FAIL (errno, "pipe");
  cleanup_close int in_r = in_pipe[0];
  cleanup_close int in_w = in_pipe[1];
  if (make_pipe (err_pipe) < 0)
    return HOOK_FAIL (errno, "pipe");
  cleanup_close int err_r = err_pipe[0];
  cleanup_close int err_w = err_pipe[1];

  /* With SIGCHLD ignored (or SA_NOCLDWAIT) the kernel reaps the hook by itself and its
   * exit status is lost; the caller may have inherited that from whoever exec'd us.
   * Use the default disposition while the hook runs. */
  __attribute__ ((cleanup (sigchld_guard_restore))) struct sigchld_guard guard = { 0 };
  if (sigaction (SIGCHLD, NULL, &guard.old) == 0
      && (guard.old.sa_handler == SIG_IGN || (guard.old.sa_flags & SA_NOCLDWAIT)))
    {
      struct sigaction dfl;
      memset (&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      sigemptyset (&dfl.sa_mask);
      if (sigaction (SIGCHLD, &dfl, NULL) == 0)
        guard.changed = true;
    }

  pid_t pid = fork ();
  if (pid < 0)
    return HOOK_FAIL (errno, "fork");
  if (pid == 0)
    hook_child (hook, argv, envp, in_r, err_w);

  close (clr_steal_fd (&in_r));
  close (clr_steal_fd (&err_w));

  /* Until we reap it the child keeps its pid, so PID (for kill and waitpid) and the
   * pidfd cannot refer to anyone else.  The pidfd only serves poll(): without one
   * (kernel < 5.3, or valgrind, which lacks pidfd_open) we poll waitpid(WNOHANG) in
   * short slices instead. */
  cleanup_close int pidfd = clr_pidfd_open (pid);

  /* Non-blocking writes, so a hook that never reads its stdin cannot stall us past the
   * timeout or forever.  This flag is on our end's file description only; if it
   * cannot be set, give up on stdin rather than risk blocking. */
  if (fcntl (in_w, F_SETFL, O_NONBLOCK) < 0)
    close (clr_steal_fd (&in_w));

  size_t off = 0;
  if (state_len == 0 && in_w >= 0)
    close (clr_steal_fd (&in_w));

  int status = 0;
  bool reaped = false, timed_out = false;
  int poll_errno = 0;
  int64_t deadline = hook->has_timeout && hook->timeout > 0
                         ? now_ms () + (int64_t) hook->timeout * 1000
                         : -1;
  for (;;)
    {
      struct pollfd pfd[2];
      nfds_t n = 0;
      int i_pid = -1, i_in = -1;
      if (pidfd >= 0)
        {
          pfd[n] = (struct pollfd) { .fd = pidfd, .events = POLLIN };
          i_pid = (int) n++;
        }
      if (in_w >= 0)
        {
          pfd[n] = (struct pollfd) { .fd = in_w, .events = POLLOUT };
          i_in = (int) n++;
        }

      int wait_ms = -1;
      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms ();
          if (left <= 0)
            {
              timed_out = true;
              break;
            }
          wait_ms = left > INT_MAX ? INT_MAX : (int) left;
        }
      if (pidfd < 0 && (wait_ms < 0 || wait_ms > 10))
        wait_ms = 10;

      int r = poll (pfd, n, wait_ms);
      if (r < 0 && errno != EINTR)
        {
          poll_errno = errno;
          break;
        }
      if (pidfd < 0)
        {
          pid_t w = waitpid (pid, &status, WNOHANG | __WALL);
          if (w == pid)
            {
              reaped = true;
              break;
            }
        }
      if (r <= 0)
        continue;
      if (i_pid >= 0 && pfd[i_pid].revents)
        break; /* exited */
      if (i_in >= 0 && pfd[i_in].revents)
        {
          ssize_t w = write_nosigpipe (in_w, state + off, state_len - off);
          if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
          if (w < 0)
            {
              /* EPIPE: the hook closed stdin without reading everything, which the
               * spec allows.  Any other error: the hook just sees a short stdin. */
              close (clr_steal_fd (&in_w));
              continue;
            }
          off += (size_t) w;
          if (off >= state_len)
            close (clr_steal_fd (&in_w)); /* EOF for the hook */
        }
    }

  if (!reaped && (timed_out || poll_errno))
    kill (pid, SIGKILL);

  /* Reap exactly this child, never waitpid(-1): when we are a container's PID 1 the
   * other children belong to the caller.  __WALL in case its exit signal is unusual. */
  if (!reaped)
    {
      pid_t w;
      while ((w = waitpid (pid, &status, __WALL)) < 0 && errno == EINTR)
        ;
      if (w < 0)
        return HOOK_FAIL (errno, "wait");
    }

  if (poll_errno)
    return HOOK_FAIL (poll_errno, "poll");
  if (timed_out)
    return HOOK_FAIL (0, "timed out after %ds", hook->timeout);

  /* The child has exited, so every write end of the error pipe is closed: this read
   * returns at once, with a report when setup or exec failed. */
  struct child_report rep;
  ssize_t got;
  while ((got = read (err_r, &rep, sizeof rep)) < 0 && errno == EINTR)
    ;
  if (got == (ssize_t) sizeof rep)
    return HOOK_FAIL (rep.err, "%s", stage_name (rep.stage));

  if (WIFEXITED (status))
    {
      if (WEXITSTATUS (status) != 0)
        return HOOK_FAIL (0, "exited with status %d", WEXITSTATUS (status));
      return 0;
    }
  if (WIFSIGNALED (status))
    return HOOK_FAIL (0, "killed by signal %d", WTERMSIG (status));
  return HOOK_FAIL (0, "ended with unexpected wait status 0x%x", (unsigned) status);
#undef HOOK_FAIL
}

int
clr_hooks_run (const struct clr_hook_list *list, enum clr_hook_kind kind,
               const char *state_json, clr_err *err)
{
  if (list == NULL)
    return 0;
  const char *state = state_json ? state_json : "";
  size_t state_len = strlen (state);
  for (size_t i = 0; i < list->n; i++)
    {
      clr_debug ("running %s hook #%zu (%s)", clr_hook_kind_name (kind), i,
                 list->hooks[i].path ? list->hooks[i].path : "");
      if (run_one_hook (&list->hooks[i], kind, i, state, state_len, err) < 0)
        return -1;
    }
  return 0;
}
