#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "log.h"
#include "process.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

int
clr_close_fds_except (int min, const int *keep, size_t n_keep)
{
  int sorted[64];
  size_t n = 0;
  for (size_t i = 0; i < n_keep && n < CLR_ARRAY_SIZE (sorted); i++)
    if (keep[i] >= min)
      sorted[n++] = keep[i];
  qsort (sorted, n, sizeof (int), cmp_int);
  unsigned lo = min;
  for (size_t i = 0; i < n; i++)
    {
      if ((unsigned) sorted[i] > lo)
        if (close_range (lo, sorted[i] - 1, 0) < 0)
          return -1;
      lo = sorted[i] + 1;
    }
  return close_range (lo, ~0U, 0);
}

int
clr_process_apply_attrs (const struct clr_process *p, clr_err *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return clr_fail (err, errno, "set %s to soft %llu hard %llu", p->rlimits[i].name,
                         (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);
    }
  if (p->has_io_priority)
    {
      int prio = (p->ioprio_class << 13) | p->ioprio_level;
      if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
        return clr_fail (err, errno, "set process.ioPriority");
    }
  if (p->has_scheduler)
    {
      struct
      {
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
      } attr = {
        .size = 48,
        .sched_policy = p->scheduler.policy,
        .sched_flags = p->scheduler.flags,
        .sched_nice = p->scheduler.nice,
        .sched_priority = p->scheduler.priority,
        .sched_runtime = p->scheduler.runtime,
        .sched_deadline = p->scheduler.deadline,
        .sched_period = p->scheduler.period,
      };
      if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
        return clr_fail (err, errno, "set process.scheduler");
    }
  if (p->user.has_umask)
    umask (p->user.umask & 0777);
  return 0;
}

int
clr_process_chdir (const struct clr_process *p, clr_err *err)
{
  if (chdir (p->cwd) < 0)
    return clr_fail (err, errno, "chdir to process.cwd %s", p->cwd);
  /* A cwd reached through a leaked fd (/proc/self/fd/N) lies outside the root:
   * getcwd() then fails with ENOENT or returns "(unreachable)..." (CVE-2024-21626). */
  char buf[PATH_MAX];
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return clr_fail (err, EPERM, "process.cwd %s: resolves outside the container root", p->cwd);
  return 0;
}

static const char *
env_get (char *const *env, const char *name)
{
  size_t l = strlen (name);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], name, l) == 0 && env[i][l] == '=')
      return env[i] + l + 1;
  return NULL;
}

static bool
is_executable (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

int
clr_process_find_executable (const struct clr_process *p, char **out, clr_err *err)
{
  const char *name = p->args[0];
  if (strchr (name, '/'))
    {
      struct stat st;
      if (stat (name, &st) < 0)
        return clr_fail (err, errno, "exec: \"%s\"", name);
      if (S_ISDIR (st.st_mode))
        return clr_fail (err, EACCES, "exec: \"%s\": is a directory", name);
      *out = xstrdup (name);
      return 0;
    }
  const char *path = env_get (p->env, "PATH");
  if (path == NULL)
    path = DEFAULT_PATH;
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *cand = xasprintf ("%s/%s", *dir ? dir : ".", name);
      if (is_executable (cand))
        {
          *out = clr_steal_ptr (&cand);
          return 0;
        }
    }
  return clr_fail (err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

static char *
home_for_uid (uint32_t uid)
{
  /* The container's /etc/passwd (we are past pivot_root): never the host's. */
  cleanup_file FILE *f = fopen ("/etc/passwd", "re");
  char line[1024];
  while (f && fgets (line, sizeof line, f))
    {
      char *fields[7] = { 0 };
      char *save = NULL, *s = line;
      int n = 0;
      for (char *tok = strsep (&s, ":"); tok && n < 7; tok = strsep (&s, ":"))
        fields[n++] = tok;
      (void) save;
      uint64_t id;
      if (n >= 6 && clr_parse_u64 (fields[2], UINT32_MAX, &id) == 0 && id == uid)
        return xstrdup (fields[5][0] ? fields[5] : "/");
    }
  return xstrdup ("/");
}

char **
clr_process_environ (const struct clr_process *p)
{
  size_t n = p->n_env;
  char **env = xcalloc (n + 2, sizeof *env);
  for (size_t i = 0; i < n; i++)
    env[i] = xstrdup (p->env[i]);
  if (env_get (p->env, "HOME") == NULL)
    {
      cleanup_free char *home = home_for_uid (p->user.uid);
      env[n] = xasprintf ("HOME=%s", home);
    }
  return env;
}

static int
capset_sets (uint64_t eff, uint64_t prm, uint64_t inh)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = {
    { .effective = (uint32_t) eff, .permitted = (uint32_t) prm, .inheritable = (uint32_t) inh },
    { .effective = (uint32_t) (eff >> 32), .permitted = (uint32_t) (prm >> 32),
      .inheritable = (uint32_t) (inh >> 32) },
  };
  return (int) syscall (SYS_capset, &hdr, data);
}

static int
last_cap (void)
{
  char buf[16] = { 0 };
  int fd = open ("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      ssize_t n = read (fd, buf, sizeof buf - 1);
      close (fd);
      uint64_t v;
      if (n > 0 && (buf[n - 1] == '\n' ? (buf[n - 1] = '\0', 1) : 1)
          && clr_parse_u64 (buf, 63, &v) == 0)
        return (int) v;
    }
  return clr_cap_last ();
}

static int
load_seccomp (const struct clr_finalize_opts *o, clr_err *err)
{
  if (o->seccomp == NULL)
    return 0;
  int notify_fd = -1;
  if (clr_seccomp_load (o->seccomp, &notify_fd, err) < 0)
    return -1;
  if (notify_fd >= 0)
    {
      int r = clr_seccomp_send_notify (o->listener_path, o->listener_metadata, notify_fd,
                                       o->state_json, err);
      close (notify_fd);
      if (r < 0)
        return -1;
    }
  return 0;
}

int
clr_process_finalize (const struct clr_process *p, const struct clr_finalize_opts *o, clr_err *err)
{
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which is about to go:
   * load it first (as runc does); the profile must then allow what follows. */
  if (!p->no_new_privileges && load_seccomp (o, err) < 0)
    return -1;

  /* A config without "capabilities" gets none: a sandbox fails closed. */
  uint64_t bounding = p->caps.present ? p->caps.bounding : 0;
  uint64_t ambient = p->caps.present ? p->caps.ambient : 0;
  int last = last_cap ();
  for (int c = 0; c <= last; c++)
    if (!(bounding & (1ULL << c)) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return clr_fail (err, errno, "drop capability %s from the bounding set",
                       clr_cap_name (c) ? clr_cap_name (c) : "?");

  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return clr_fail (err, errno, "prctl PR_SET_KEEPCAPS");
  size_t ngroups = p->user.n_additional_gids;
  if (setgroups (ngroups, (const gid_t *) p->user.additional_gids) < 0
      && !(o->userns && errno == EPERM && ngroups == 0))
    return clr_fail (err, errno, "setgroups to process.user.additionalGids");
  if (setresgid (p->user.gid, p->user.gid, p->user.gid) < 0)
    return clr_fail (err, errno, "setgid to %u", p->user.gid);
  if (setresuid (p->user.uid, p->user.uid, p->user.uid) < 0)
    return clr_fail (err, errno, "setuid to %u", p->user.uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return clr_fail (err, errno, "prctl PR_SET_KEEPCAPS");

  uint64_t eff = p->caps.present ? p->caps.effective : 0;
  uint64_t prm = p->caps.present ? p->caps.permitted : 0;
  /* Inheritable carries only what ambient needs; a wider inheritable set lets a
   * file-capability binary gain privileges across execve (CVE-2022-29162). */
  uint64_t inh = ambient;
  if (capset_sets (eff, prm | ambient, inh) < 0)
    return clr_fail (err, errno, "set capabilities");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return clr_fail (err, errno, "clear ambient capabilities");
  for (int c = 0; c <= last; c++)
    if ((ambient & (1ULL << c)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      return clr_fail (err, errno, "raise ambient capability %s", clr_cap_name (c));

  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return clr_fail (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  if (p->no_new_privileges && load_seccomp (o, err) < 0)
    return -1;
  return 0;
}

void
clr_process_exec (const char *path, char *const argv[], char *const envp[])
{
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  clr_reset_signal_dispositions ();
  execve (path, argv, envp);
  int e = errno;
  char t[300];
  dprintf (2, "clawrun: exec: \"%s\": %s\n", argv[0], clr_errno_text (e, t, sizeof t));
  _exit (e == ENOENT ? 127 : 126);
}

int
clr_proc_open (int *procfd, clr_err *err)
{
  int fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct statfs sfs;
  if (fd < 0)
    return clr_fail (err, errno, "open /proc");
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    {
      close (fd);
      return clr_fail (err, EPERM, "/proc is not procfs");
    }
  *procfd = fd;
  return 0;
}

int
clr_proc_write (int procfd, const char *rel, const char *data, clr_err *err)
{
  cleanup_close int fd = openat (procfd, rel, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  struct statfs sfs;
  if (fd < 0)
    return clr_fail (err, errno, "open /proc/%s", rel);
  /* The target itself must be on procfs: a bind mount over it would redirect the
   * write (CVE-2019-19921, CVE-2025-52881). */
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return clr_fail (err, EPERM, "/proc/%s is not on procfs", rel);
  if (clr_write_all (fd, data, strlen (data)) < 0)
    return clr_fail (err, errno, "write /proc/%s", rel);
  return 0;
}
