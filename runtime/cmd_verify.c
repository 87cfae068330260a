/* clawrun verify [--image IMAGE] [--keep-going] [--verbose]: prove the session
 * sandbox holds on this host by attacking it from inside.
 *
 * It runs the static checker (tools/check/check.c, installed as
 * PREFIX/libexec/clawrun/clawrun-check, or build/clawrun-check next to a built
 * ./clawrun) in real sessions -- `clawrun run --image` of this very binary, with small
 * limits -- and turns its "ok NAME: ..." / "FAIL NAME: ..." lines into a checklist:
 *
 *   job 0  one session: host-file host-pids docker-socket write-root setuid caps
 *          network mount ptrace (the checker's "all" mode, each check in a child)
 *   job 1  the timeout check, a session of its own (judged from here: status 124
 *          within timeout + grace), overlapping jobs 2-4
 *   job 2  memory, job 3 pids, job 4 workspace: one session each
 *
 * and finally checks that nothing was left behind.  Without --image the sessions run in
 * a throwaway image directory holding only the checker; with --image the checker is
 * bind-mounted into the given image.  Exit 0 iff every check passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "cli.h"
#include "session.h"
#include "commands.h"
#include "log.h"
#include "util.h"

static const char verify_usage[] = "clawrun verify [--image IMAGE] [--keep-going] [--verbose]";
static const char verify_description[] =
    "Check that the session sandbox holds on this host: run a static checker in real\n"
    "sessions (`clawrun run --image`) and try to read host files, see host\n"
    "processes, reach the Docker socket, write the root filesystem, gain root through\n"
    "a setuid binary, keep capabilities, exceed the memory, pids and workspace limits,\n"
    "outlive the timeout, reach the network, mount and ptrace.  Prints one line per\n"
    "check (✓ held, ✗ broken) and \"N checks, M failed\"; exits 0 iff all passed.\n"
    "Without --image the sessions use a throwaway image holding only the checker;\n"
    "IMAGE is a root filesystem directory or oci:PATH[:TAG] (the checker is bind-mounted\n"
    "into it).  Needs root.  Stops after the first failing session unless --keep-going.";
static const char *const verify_options[] = {
  "--image IMAGE", "run the checks in sessions of this image",
  "-k, --keep-going", "run every check even after one failed",
  "--verbose", "show the detail of passing checks too",
  NULL,
};

/* ---- the checks, in the order they are run and printed ---- */

enum { C_HOST_FILE, C_HOST_PIDS, C_DOCKER, C_WRITE_ROOT, C_SETUID, C_CAPS, C_NETWORK, C_MOUNT, C_PTRACE,
       C_MEMORY, C_PIDS, C_WORKSPACE, C_TIMEOUT, C_LEFTOVERS, N_CHECKS };

static const struct {
  const char *name, *desc;
} checks[N_CHECKS] = {
  [C_HOST_FILE] = { "host-file", "cannot read host files" },
  [C_HOST_PIDS] = { "host-pids", "cannot see host processes" },
  [C_DOCKER] = { "docker-socket", "cannot reach the Docker socket" },
  [C_WRITE_ROOT] = { "write-root", "cannot write the root filesystem" },
  [C_SETUID] = { "setuid", "cannot gain privileges through a setuid binary" },
  [C_CAPS] = { "caps", "has no capabilities" },
  [C_NETWORK] = { "network", "cannot reach a blocked address" },
  [C_MOUNT] = { "mount", "cannot mount" },
  [C_PTRACE] = { "ptrace", "cannot ptrace" },
  [C_MEMORY] = { "memory", "memory limit holds" },
  [C_PIDS] = { "pids", "pids limit holds" },
  [C_WORKSPACE] = { "workspace", "workspace limit holds" },
  [C_TIMEOUT] = { "timeout", "timeout ends the session (SIGTERM ignored, double fork)" },
  [C_LEFTOVERS] = { "leftovers", "leaves nothing behind" },
};

/* session limits (the timeout session's own timeout is TIMEOUT_S/GRACE_S) */
#define S_MEMORY "64m"
#define S_PIDS "32"
#define S_WORKSPACE "16m"
#define MEMORY_TRY_MB "256"
#define PIDS_TRY "64"
#define WORKSPACE_TRY_MB "64"
#define TIMEOUT_MS 3000
#define GRACE_MS 1000
#define TIMEOUT_SLACK_MS 3000
#define JOB_LIMIT_MS 60000 /* a session that takes longer than this is killed */

enum result { R_PENDING, R_PASS, R_FAIL, R_NOT_RUN };

struct check_result {
  enum result r;
  char detail[512];
};

enum job_state { J_PENDING, J_RUNNING, J_DONE, J_SKIPPED };

struct job {
  int first, n;  /* checks[first .. first+n) */
  int after;     /* job that must be done before this one starts (-1: none) */
  const char *timeout;
  char **args;   /* checker argv (NULL-terminated), after /clawrun-check */
  enum job_state state;
  char id[64];
  pid_t pid;
  int fd;
  bool eof, exited, killed;
  int64_t last_kill;
  char *out;
  size_t len;
  int64_t t0, t1;
  int status; /* the runner's exit status (128+N for a signal) */
};

struct verify {
  struct clr_globals *g;
  const char *image;        /* --image or the temp rootfs */
  bool keep_going, verbose;
  char *work;               /* private temp dir (0700) */
  char *canary;             /* host canary file */
  char token[33];
  char *checker;            /* the checker on the host */
  char **volumes;           /* -v arguments for --image */
  size_t n_volumes;
  struct check_result res[N_CHECKS];
};

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  interrupted = sig;
}

/* ---- small helpers ---- */

static char **
argv_new (void)
{
  return xcalloc (1, sizeof (char *));
}

static void
argv_push (char ***v, const char *s)
{
  size_t n = clr_strv_len (*v);
  *v = xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

static void
argv_pushf (char ***v, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
argv_pushf (char ***v, const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  argv_push (v, s);
  free (s);
}

/* "/proc/self/exe" with the global options, then ARGS */
static char **
self_argv (const struct clr_globals *g)
{
  char **v = argv_new ();
  argv_push (&v, "clawrun");
  argv_push (&v, "--root");
  argv_push (&v, g->root);
  if (g->log_path)
    {
      argv_push (&v, "--log");
      argv_push (&v, g->log_path);
    }
  if (g->log_json)
    argv_push (&v, "--log-format=json");
  if (g->debug)
    argv_push (&v, "--debug");
  return v;
}

/* Start /proc/self/exe ARGV with stdin /dev/null and stdout+stderr on a pipe (or
 * /dev/null for stderr when QUIET_ERR); *FD gets the read end.  OWN_PGRP: in a process
 * group of its own, away from the terminal's ^C (a session runner: verify ends those
 * with `clawrun kill`, so that each still cleans up after itself). */
static pid_t
spawn (char **argv, int *fd, bool quiet_err, bool own_pgrp)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return -1;
    }
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      signal (SIGPIPE, SIG_DFL);
      if (own_pgrp)
        setpgid (0, 0);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (p[1], 1) < 0 || dup2 (quiet_err ? null : p[1], 2) < 0)
        _exit (127);
      execv ("/proc/self/exe", argv);
      dprintf (2, "clawrun verify: exec /proc/self/exe: %s\n", strerror (errno));
      _exit (127);
    }
  close (p[1]);
  *fd = p[0];
  return pid;
}

static int
wait_status (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* Run /proc/self/exe ARGV to completion; its stdout (at most 64 KiB) in *OUT. */
static int
run_self (char **argv, char **out)
{
  int fd;
  pid_t pid = spawn (argv, &fd, true, false);
  if (pid < 0)
    return -1;
  size_t len = 0, cap = 65536;
  char *buf = xmalloc (cap);
  char chunk[4096];
  ssize_t n;
  while ((n = read (fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && len + (size_t) n < cap)
      {
        memcpy (buf + len, chunk, (size_t) n);
        len += (size_t) n;
      }
  buf[len] = '\0';
  close (fd);
  if (out)
    *out = buf;
  else
    free (buf);
  return wait_status (pid);
}

static int
copy_file (const char *src, int dirfd, const char *name, mode_t mode, clr_err *err)
{
  cleanup_close int in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return clr_fail (err, errno, "open %s", src);
  cleanup_close int out = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);
  if (out < 0)
    return clr_fail (err, errno, "create %s", name);
  if (clr_copy_fd (in, out) < 0)
    return clr_fail (err, errno, "copy %s to %s", src, name);
  /* chown first: it clears the setuid bit.  The setuid probe belongs to the session's
   * own root (its user namespace maps it to an unprivileged host uid): the attack it
   * tests is "become root of the sandbox", which no_new_privs must stop. */
  uid_t owner = (mode & S_ISUID) ? clr_session_host_root () : 0;
  if (fchown (out, owner, owner) < 0 || fchmod (out, mode) < 0)
    return clr_fail (err, errno, "chown/chmod %s", name);
  return 0;
}

static int
write_at (int dirfd, const char *name, const char *data, mode_t mode, clr_err *err)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0 || clr_write_all (fd, data, strlen (data)) < 0)
    return clr_fail (err, errno, "write %s", name);
  return 0;
}

/* ---- preparation ---- */

/* dirname(realpath of /proc/self/exe)/../libexec/clawrun/clawrun-check, else
 * <dir of clawrun>/build/clawrun-check */
static int
find_checker (struct verify *v, clr_err *err)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n < 0)
    return clr_fail (err, errno, "readlink /proc/self/exe");
  self[n] = '\0';
  char *dir = dirname (self);
  cleanup_free char *a = xasprintf ("%s/../libexec/clawrun/clawrun-check", dir);
  cleanup_free char *b = xasprintf ("%s/build/clawrun-check", dir);
  const char *cands[] = { a, b };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (cands); i++)
    {
      struct stat st;
      if (stat (cands[i], &st) == 0 && S_ISREG (st.st_mode))
        {
          char real[PATH_MAX];
          v->checker = xstrdup (realpath (cands[i], real) ? real : cands[i]);
          return 0;
        }
    }
  return clr_fail (err, 0, "the checker is missing: neither %s nor %s exists (run `make` or `make install`)", a, b);
}

static int
prepare (struct verify *v, clr_err *err)
{
  if (geteuid () != 0)
    return clr_fail (err, EPERM, "verify needs root (it runs sessions and prepares a setuid-root test binary)");
  if (find_checker (v, err) < 0)
    return -1;
  unsigned char r[16];
  if (getrandom (r, sizeof r, 0) != sizeof r)
    return clr_fail (err, errno, "getrandom");
  for (size_t i = 0; i < sizeof r; i++)
    snprintf (v->token + 2 * i, 3, "%02x", r[i]);

  /* The canary: world-readable on the host, so that only the sandbox keeps it out. */
  char canary[] = "/tmp/clawrun-verify-canary.XXXXXX";
  int cfd = mkstemp (canary);
  if (cfd < 0)
    return clr_fail (err, errno, "mkstemp %s", canary);
  v->canary = xstrdup (canary);
  cleanup_free char *content = xasprintf ("clawrun verify canary %s\n", v->token);
  int w = clr_write_all (cfd, content, strlen (content));
  int e = errno;
  if (w < 0 || fchmod (cfd, 0644) < 0)
    {
      close (cfd);
      return clr_fail (err, w < 0 ? e : errno, "write %s", canary);
    }
  close (cfd);

  /* The work dir stays 0700: it holds a setuid-root binary. */
  char work[] = "/tmp/clawrun-verify.XXXXXX";
  if (mkdtemp (work) == NULL)
    return clr_fail (err, errno, "mkdtemp %s", work);
  v->work = xstrdup (work);
  cleanup_close int wfd = open (work, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (wfd < 0)
    return clr_fail (err, errno, "open %s", work);

  if (v->image)
    {
      /* the given image, with the checker bind-mounted in */
      if (copy_file (v->checker, wfd, "clawrun-check", 0755, err) < 0
          || copy_file (v->checker, wfd, "check-suid", 04755, err) < 0)
        return clr_wrap (err, "prepare %s", work);
      char **vol = argv_new ();
      argv_pushf (&vol, "%s/clawrun-check:/clawrun-check:ro", work);
      argv_pushf (&vol, "%s/check-suid:/check-suid:ro", work);
      v->volumes = vol;
      v->n_volumes = 2;
      return 0;
    }

  /* a throwaway image: the checker, its setuid copy, the mount points, a passwd */
  if (mkdirat (wfd, "rootfs", 0755) < 0)
    return clr_fail (err, errno, "mkdir %s/rootfs", work);
  cleanup_close int rfd = openat (wfd, "rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (rfd < 0)
    return clr_fail (err, errno, "open %s/rootfs", work);
  (void) !fchmodat (wfd, "rootfs", 0755, 0); /* whatever the umask */
  static const char *const dirs[] = { "proc", "sys", "dev", "tmp", "etc", "workspace" };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (dirs); i++)
    if (mkdirat (rfd, dirs[i], 0755) < 0 || fchmodat (rfd, dirs[i], strcmp (dirs[i], "tmp") ? 0755 : 01777, 0) < 0)
      return clr_fail (err, errno, "mkdir %s/rootfs/%s", work, dirs[i]);
  if (write_at (rfd, "etc/passwd", "root:x:0:0:root:/root:/bin/false\nuser:x:1000:1000:user:/workspace:/bin/false\n", 0644, err) < 0
      || write_at (rfd, "etc/group", "root:x:0:\nuser:x:1000:\n", 0644, err) < 0
      || write_at (rfd, "etc/hosts", "", 0644, err) < 0 || write_at (rfd, "etc/hostname", "", 0644, err) < 0
      || write_at (rfd, "etc/resolv.conf", "", 0644, err) < 0
      || copy_file (v->checker, rfd, "clawrun-check", 0755, err) < 0
      || copy_file (v->checker, rfd, "check-suid", 04755, err) < 0)
    return clr_wrap (err, "prepare the image %s/rootfs", work);
  v->image = xasprintf ("%s/rootfs", work);
  return 0;
}

static void
cleanup (struct verify *v)
{
  if (v->canary)
    unlink (v->canary);
  if (v->work)
    {
      cleanup_close int tmp = open ("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
      clr_err e2;
      const char *base = strrchr (v->work, '/') + 1;
      if (tmp < 0 || clr_remove_tree_at (tmp, base, &e2) < 0)
        clr_warn ("cannot remove %s", v->work);
    }
}

/* ---- jobs ---- */

static void
job_args (struct job *j, const char *first, ...)
{
  j->args = argv_new ();
  va_list ap;
  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
    argv_push (&j->args, s);
  va_end (ap);
}

static int
job_start (struct verify *v, struct job *j, int index)
{
  snprintf (j->id, sizeof j->id, "verify-%d-%d", (int) getpid (), index);
  char **a = self_argv (v->g);
  argv_push (&a, "run");
  argv_push (&a, "--image");
  argv_push (&a, v->image);
  argv_push (&a, "--name");
  argv_push (&a, j->id);
  argv_push (&a, "--memory=" S_MEMORY);
  argv_push (&a, "--pids-limit=" S_PIDS);
  argv_push (&a, "--workspace-size=" S_WORKSPACE);
  argv_push (&a, "--tmp-size=16m");
  argv_pushf (&a, "--timeout=%s", j->timeout);
  argv_pushf (&a, "--grace=%dms", GRACE_MS);
  argv_push (&a, "--network=none");
  for (size_t i = 0; i < v->n_volumes; i++)
    {
      argv_push (&a, "-v");
      argv_push (&a, v->volumes[i]);
    }
  argv_push (&a, "--");
  argv_push (&a, "/clawrun-check");
  for (size_t i = 0; j->args[i]; i++)
    argv_push (&a, j->args[i]);
  if (v->g->debug)
    {
      fprintf (stderr, "clawrun verify: session %s:", j->id);
      for (size_t i = 0; a[i]; i++)
        fprintf (stderr, " %s", a[i]);
      fputc ('\n', stderr);
    }
  j->t0 = clr_now_ms ();
  j->pid = spawn (a, &j->fd, false, true);
  clr_strv_freep (&a);
  if (j->pid < 0)
    return -1;
  fcntl (j->fd, F_SETFL, O_NONBLOCK);
  j->state = J_RUNNING;
  j->len = 0;
  j->out = xmalloc (1);
  j->out[0] = '\0';
  return 0;
}

static void
job_read (struct job *j)
{
  char buf[4096];
  for (;;)
    {
      ssize_t n = read (j->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return; /* EAGAIN */
      if (n == 0)
        {
          j->eof = true;
          return;
        }
      if (j->len + (size_t) n > 65536)
        continue; /* enough */
      j->out = xrealloc (j->out, j->len + (size_t) n + 1);
      memcpy (j->out + j->len, buf, (size_t) n);
      j->len += (size_t) n;
      j->out[j->len] = '\0';
    }
}

/* The last line of the job's output that is not a checker result (the runner's error). */
static void
last_other_line (const struct job *j, char *buf, size_t len)
{
  buf[0] = '\0';
  cleanup_free char *copy = xstrdup (j->out);
  char *save = NULL;
  for (char *l = strtok_r (copy, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (!clr_has_prefix (l, "ok ") && !clr_has_prefix (l, "FAIL ") && !clr_has_prefix (l, "started "))
      snprintf (buf, len, "%s", l);
}

static void
set_result (struct check_result *r, enum result res, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static void
set_result (struct check_result *r, enum result res, const char *fmt, ...)
{
  r->r = res;
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (r->detail, sizeof r->detail, fmt, ap);
  va_end (ap);
}

static void
print_result (const struct verify *v, int c)
{
  const struct check_result *r = &v->res[c];
  if (r->r == R_PASS)
    printf (v->verbose && r->detail[0] ? "✓ %s (%s)\n" : "✓ %s\n", checks[c].desc, r->detail);
  else if (r->r == R_FAIL)
    printf ("✗ %s: %s\n", checks[c].desc, r->detail);
  else
    printf ("- %s: not run%s%s\n", checks[c].desc, r->detail[0] ? ": " : "", r->detail);
  fflush (stdout);
}

/* Turn a finished job's output into results. */
static void
job_evaluate (struct verify *v, struct job *j)
{
  char other[256];
  last_other_line (j, other, sizeof other);
  if (interrupted && j->killed)
    {
      for (int c = j->first; c < j->first + j->n; c++)
        set_result (&v->res[c], R_NOT_RUN, "interrupted");
      return;
    }
  if (j->first == C_TIMEOUT)
    {
      struct check_result *r = &v->res[C_TIMEOUT];
      int64_t ms = j->t1 - j->t0;
      if (strstr (j->out, "started timeout:") == NULL)
        set_result (r, R_FAIL, "the checker did not start (session exit status %d%s%s)", j->status,
                    other[0] ? ": " : "", other);
      else if (j->status != 124)
        set_result (r, R_FAIL, "the session ended with status %d after %.1f s (expected 124)", j->status,
                    ms / 1000.0);
      else if (ms < TIMEOUT_MS - 100 || ms > TIMEOUT_MS + GRACE_MS + TIMEOUT_SLACK_MS)
        set_result (r, R_FAIL, "the session ended after %.1f s (timeout %.1f s, grace %.1f s)", ms / 1000.0,
                    TIMEOUT_MS / 1000.0, GRACE_MS / 1000.0);
      else
        set_result (r, R_PASS, "status 124 after %.1f s (timeout %.1f s + grace %.1f s)", ms / 1000.0,
                    TIMEOUT_MS / 1000.0, GRACE_MS / 1000.0);
      return;
    }
  for (int c = j->first; c < j->first + j->n; c++)
    {
      cleanup_free char *ok = xasprintf ("ok %s: ", checks[c].name);
      cleanup_free char *fail = xasprintf ("FAIL %s: ", checks[c].name);
      bool found = false;
      cleanup_free char *copy = xstrdup (j->out);
      char *save = NULL;
      for (char *l = strtok_r (copy, "\n", &save); l && !found; l = strtok_r (NULL, "\n", &save))
        if (clr_has_prefix (l, ok))
          {
            set_result (&v->res[c], R_PASS, "%s", l + strlen (ok));
            found = true;
          }
        else if (clr_has_prefix (l, fail))
          {
            set_result (&v->res[c], R_FAIL, "%s", l + strlen (fail));
            found = true;
          }
      if (!found && c > j->first && v->res[c - 1].r == R_FAIL && clr_has_prefix (v->res[c - 1].detail, "no result"))
        set_result (&v->res[c], R_FAIL, "no result (same session)");
      else if (!found)
        set_result (&v->res[c], R_FAIL, "no result (session exit status %d%s%s)", j->status, other[0] ? ": " : "",
                    other);
    }
}

/* ^C: end the running sessions now (their checker may ignore signals).  Repeated
 * while the runner lives: the session may not exist yet on the first try. */
static void
job_kill (struct verify *v, struct job *j)
{
  int64_t now = clr_now_ms ();
  if (j->killed && now - j->last_kill < 300)
    return;
  j->killed = true;
  j->last_kill = now;
  char **a = self_argv (v->g);
  argv_push (&a, "kill");
  argv_push (&a, j->id);
  argv_push (&a, "KILL");
  run_self (a, NULL);
  clr_strv_freep (&a);
}

static bool
any_failed (const struct verify *v)
{
  for (int c = 0; c < N_CHECKS; c++)
    if (v->res[c].r == R_FAIL)
      return true;
  return false;
}

static void
run_jobs (struct verify *v, struct job *jobs, size_t n_jobs)
{
  bool stopping = false;
  for (;;)
    {
      if (interrupted || (!v->keep_going && any_failed (v)))
        stopping = true;
      size_t running = 0;
      for (size_t i = 0; i < n_jobs; i++)
        {
          struct job *j = &jobs[i];
          if (j->state == J_PENDING && stopping)
            {
              j->state = J_SKIPPED;
              for (int c = j->first; c < j->first + j->n; c++)
                {
                  set_result (&v->res[c], R_NOT_RUN, "%s",
                              interrupted ? "interrupted" : "stopped after a failure (--keep-going runs everything)");
                  print_result (v, c);
                }
            }
          if (j->state == J_PENDING && (j->after < 0 || jobs[j->after].state == J_DONE))
            {
              if (job_start (v, j, (int) i) < 0)
                {
                  j->state = J_DONE;
                  for (int c = j->first; c < j->first + j->n; c++)
                    set_result (&v->res[c], R_FAIL, "cannot start a session: %s", strerror (errno));
                  for (int c = j->first; c < j->first + j->n; c++)
                    print_result (v, c);
                  continue;
                }
            }
          if (j->state == J_RUNNING)
            running++;
        }
      if (running == 0)
        break;
      struct pollfd pfd[8];
      struct job *pj[8];
      size_t np = 0;
      for (size_t i = 0; i < n_jobs && np < CLR_ARRAY_SIZE (pfd); i++)
        if (jobs[i].state == J_RUNNING && !jobs[i].eof)
          {
            pfd[np] = (struct pollfd){ .fd = jobs[i].fd, .events = POLLIN };
            pj[np++] = &jobs[i];
          }
      poll (pfd, np, 100);
      for (size_t i = 0; i < np; i++)
        if (pfd[i].revents)
          job_read (pj[i]);
      int64_t now = clr_now_ms ();
      for (size_t i = 0; i < n_jobs; i++)
        {
          struct job *j = &jobs[i];
          if (j->state != J_RUNNING)
            continue;
          if (interrupted && !j->exited)
            job_kill (v, j);
          if (!j->exited)
            {
              int st;
              pid_t r = waitpid (j->pid, &st, WNOHANG);
              if (r == j->pid)
                {
                  j->exited = true;
                  j->t1 = now;
                  j->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
                }
              else if (now - j->t0 > JOB_LIMIT_MS && !j->killed)
                {
                  clr_warn ("verify: session %s takes too long: killing it", j->id);
                  job_kill (v, j);
                }
              else if (now - j->t0 > JOB_LIMIT_MS + 10000)
                kill (j->pid, SIGKILL); /* our own child, stuck */
            }
          /* done: the runner exited and its output ended (or stayed open 1 s after) */
          if (j->exited && (j->eof || now - j->t1 > 1000))
            {
              if (!j->eof)
                job_read (j);
              close (j->fd);
              j->fd = -1;
              j->state = J_DONE;
              job_evaluate (v, j);
              for (int c = j->first; c < j->first + j->n; c++)
                print_result (v, c);
            }
        }
    }
}

/* ---- after the sessions: nothing may be left ---- */

static void
check_leftovers (struct verify *v, struct job *jobs, size_t n_jobs)
{
  char problems[512] = "";
#define PROBLEM(...)                                                                                             \
  do                                                                                                             \
    {                                                                                                            \
      size_t _l = strlen (problems);                                                                             \
      if (_l + 3 < sizeof problems)                                                                              \
        snprintf (problems + _l, sizeof problems - _l, "%s", _l ? "; " : "");                                    \
      _l = strlen (problems);                                                                                    \
      snprintf (problems + _l, sizeof problems - _l, __VA_ARGS__);                                               \
    }                                                                                                            \
  while (0)
  /* containers the runtime still lists */
  char **a = self_argv (v->g);
  argv_push (&a, "list");
  argv_push (&a, "-q");
  cleanup_free char *list = NULL;
  int st = run_self (a, &list);
  clr_strv_freep (&a);
  size_t started = 0;
  for (size_t i = 0; i < n_jobs; i++)
    {
      struct job *j = &jobs[i];
      if (j->id[0] == '\0')
        continue;
      started++;
      bool listed = false;
      if (st == 0 && list)
        {
          cleanup_free char *copy = xstrdup (list);
          char *save = NULL;
          for (char *l = strtok_r (copy, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
            if (strcmp (l, j->id) == 0)
              listed = true;
        }
      if (listed)
        {
          PROBLEM ("container %s left", j->id);
          char **d = self_argv (v->g);
          argv_push (&d, "delete");
          argv_push (&d, "--force");
          argv_push (&d, j->id);
          run_self (d, NULL);
          clr_strv_freep (&d);
        }
      cleanup_free char *sdir = xasprintf ("%s/sessions/%s", v->g->root, j->id);
      if (access (sdir, F_OK) == 0)
        {
          PROBLEM ("session directory %s left", sdir);
          rmdir (sdir);
        }
      cleanup_free char *sd = xasprintf ("%s/%s", v->g->root, j->id);
      if (access (sd, F_OK) == 0)
        PROBLEM ("state directory %s left", sd);
      cleanup_free char *cg = clr_cgroup_resolve_path (NULL, j->id);
      const char *pats[] = { "/sys/fs/cgroup/*%s", "/sys/fs/cgroup%s" };
      for (size_t p = 0; p < CLR_ARRAY_SIZE (pats); p++)
        {
          cleanup_free char *pat = xasprintf (pats[p], cg);
          glob_t gl;
          if (glob (pat, GLOB_NOSORT, NULL, &gl) == 0)
            {
              for (size_t k = 0; k < gl.gl_pathc; k++)
                {
                  struct stat sb;
                  if (stat (gl.gl_pathv[k], &sb) == 0 && S_ISDIR (sb.st_mode))
                    PROBLEM ("cgroup %s left", gl.gl_pathv[k]);
                }
              globfree (&gl);
            }
        }
    }
  if (st != 0)
    PROBLEM ("`clawrun list` failed with status %d", st);
  if (started == 0)
    set_result (&v->res[C_LEFTOVERS], R_NOT_RUN, "no session ran");
  else if (problems[0])
    set_result (&v->res[C_LEFTOVERS], R_FAIL, "%s", problems);
  else
    set_result (&v->res[C_LEFTOVERS], R_PASS, "%zu sessions: no container, session directory or cgroup left",
                started);
#undef PROBLEM
}

int
cmd_verify (struct clr_globals *g, int argc, char **argv)
{
  struct verify v = { .g = g };
  static const struct option opts[] = {
    { "image", required_argument, NULL, 'i' },
    { "keep-going", no_argument, NULL, 'k' },
    { "verbose", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:kh", opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        v.image = optarg;
        break;
      case 'k':
        v.keep_going = true;
        break;
      case 'V':
        v.verbose = true;
        break;
      case 'h':
        clr_cli_print_help (verify_usage, verify_description, verify_options);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind != argc)
    return clr_usage_error (argv[0], "unexpected argument \"%s\"", argv[optind]);
  if (v.image && v.image[0] == '\0')
    return clr_usage_error (argv[0], "--image: empty");
  bool own_image = v.image == NULL;

  /* ^C and friends: stop, end the sessions, clean up.  A closed stdout must not kill
   * us before the cleanup either. */
  struct sigaction sa = { .sa_handler = on_signal }, ign = { .sa_handler = SIG_IGN }, old[4];
  const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (sigs); i++)
    sigaction (sigs[i], sigs[i] == SIGPIPE ? &ign : &sa, &old[i]);

  int status = 1;
  clr_err err = { 0 };
  struct job jobs[5];
  memset (jobs, 0, sizeof jobs);
  int64_t t0 = clr_now_ms ();
  char pid[32], timeout[32];
  snprintf (pid, sizeof pid, "%d", (int) getpid ());
  snprintf (timeout, sizeof timeout, "%dms", TIMEOUT_MS);
  for (size_t i = 0; i < CLR_ARRAY_SIZE (jobs); i++)
    jobs[i].fd = -1;
  if (prepare (&v, &err) < 0)
    {
      clr_log_error (&err);
      goto out;
    }
  jobs[0] = (struct job){ .first = C_HOST_FILE, .n = C_PTRACE - C_HOST_FILE + 1, .after = -1, .timeout = "20s" };
  job_args (&jobs[0], "all", "host-file", v.canary, v.token, ",", "host-pids", pid, ",", "docker-socket", ",",
            "write-root", ",", "setuid", "/check-suid", ",", "caps", ",", "network", "192.0.2.1", "80", ",", "mount",
            ",", "ptrace", NULL);
  jobs[1] = (struct job){ .first = C_TIMEOUT, .n = 1, .after = 0, .timeout = timeout };
  job_args (&jobs[1], "timeout", NULL);
  jobs[2] = (struct job){ .first = C_MEMORY, .n = 1, .after = 0, .timeout = "20s" };
  job_args (&jobs[2], "memory", MEMORY_TRY_MB, NULL);
  jobs[3] = (struct job){ .first = C_PIDS, .n = 1, .after = 2, .timeout = "20s" };
  job_args (&jobs[3], "pids", PIDS_TRY, NULL);
  jobs[4] = (struct job){ .first = C_WORKSPACE, .n = 1, .after = 3, .timeout = "20s" };
  job_args (&jobs[4], "workspace", WORKSPACE_TRY_MB, NULL);

  printf ("clawrun verify: attacking the session sandbox from inside (image: %s)\n",
          own_image ? "a throwaway image holding only the checker" : v.image);
  fflush (stdout);
  run_jobs (&v, jobs, CLR_ARRAY_SIZE (jobs));
  check_leftovers (&v, jobs, CLR_ARRAY_SIZE (jobs));
  print_result (&v, C_LEFTOVERS);

  int failed = 0, not_run = 0;
  for (int i = 0; i < N_CHECKS; i++)
    {
      if (v.res[i].r == R_FAIL)
        failed++;
      else if (v.res[i].r != R_PASS)
        not_run++;
    }
  if (v.verbose)
    printf ("(%.1f s)\n", (clr_now_ms () - t0) / 1000.0);
  if (not_run)
    printf ("%d checks, %d failed, %d not run\n", N_CHECKS, failed, not_run);
  else
    printf ("%d checks, %d failed\n", N_CHECKS, failed);
  fflush (stdout);
  status = interrupted ? 128 + interrupted : failed || not_run ? 1 : 0;

out:
  cleanup (&v);
  for (size_t i = 0; i < CLR_ARRAY_SIZE (jobs); i++)
    {
      clr_strv_freep (&jobs[i].args);
      free (jobs[i].out);
      if (jobs[i].fd >= 0)
        close (jobs[i].fd);
    }
  clr_strv_freep (&v.volumes);
  free (v.checker);
  free (v.canary);
  free (v.work);
  if (own_image)
    free ((char *) v.image);
  for (size_t i = 0; i < CLR_ARRAY_SIZE (sigs); i++)
    sigaction (sigs[i], &old[i], NULL);
  return status;
}
