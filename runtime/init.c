/* clawrun: the container's init, from clone3() to execve() of the container program.
 *
 * Runs in the child of `clawrun create`, already in its new namespaces and cgroup.
 * Every error is sent to the parent over the sync socket and printed there, once;
 * after `start` there is no parent listening, so late errors go to the container's
 * stderr and init exits 127/126 like a failed exec. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>

#include "../rootfs/rootfs.h"
#include "container.h"
#include "hooks.h"
#include "process.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

static int
join_namespaces (struct clr_init_args *a, clr_err *err)
{
  /* mount last: after it, paths resolve in the container's view */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < a->n_join; i++)
      {
        bool mnt = a->join_types[i] == CLONE_NEWNS;
        if ((pass == 0) == mnt)
          continue;
        if (setns (a->join_fds[i], a->join_types[i]) < 0)
          return clr_fail (err, errno, "join %s namespace", clr_namespace_name (a->join_types[i]));
        close (a->join_fds[i]);
        a->join_fds[i] = -1;
      }
  if (a->unshare_flags && unshare (a->unshare_flags) < 0)
    return clr_fail (err, errno, "unshare namespaces 0x%x", a->unshare_flags);
  return 0;
}

/* sysctls are written through a procfs instance of our own that is attached nowhere:
 * nothing in the image can stand in for it (CVE-2019-16884 class). */
static int
apply_sysctl (const struct clr_config *cfg, clr_err *err)
{
  if (cfg->linux.n_sysctl == 0)
    return 0;
  cleanup_close int fsfd = fsopen ("proc", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return clr_fail (err, errno, "fsopen proc for linux.sysctl");
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return clr_fail (err, errno, "create proc for linux.sysctl");
  cleanup_close int procfd = fsmount (fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (procfd < 0)
    return clr_fail (err, errno, "fsmount proc for linux.sysctl");
  for (size_t i = 0; i < cfg->linux.n_sysctl; i++)
    {
      const char *key = cfg->linux.sysctl[i].key;
      cleanup_free char *rel = xasprintf ("sys/%s", key);
      for (char *p = rel + 4; *p; p++)
        if (*p == '.')
          *p = '/';
        else if (*p == '/')
          *p = '.'; /* runc: "net/ipv4/conf/eth0.100/..." style keys */
      if (strstr (rel, ".."))
        return clr_fail (err, EINVAL, "linux.sysctl: invalid key \"%s\"", key);
      if (clr_proc_write (procfd, rel, cfg->linux.sysctl[i].value, err) < 0)
        return clr_wrap (err, "linux.sysctl %s", key);
    }
  return 0;
}

static int
setup_terminal (struct clr_init_args *a, clr_err *err)
{
  const struct clr_process *p = a->cfg->process;
  if (setsid () < 0)
    return clr_fail (err, errno, "setsid");
  if (!p->terminal)
    return 0;
  cleanup_close int master = -1, slave = -1;
  cleanup_free char *slave_path = NULL;
  if (clr_terminal_open_pty (&master, &slave, &slave_path, err) < 0)
    return -1;
  if (p->has_console_size && clr_terminal_set_size (master, p->console_height, p->console_width, err) < 0)
    return -1;
  if (clr_rootfs_mount_console (slave, err) < 0)
    return -1;
  if (clr_send_fd (a->console_fd, master, slave_path, err) < 0)
    return clr_wrap (err, "send the pty master to the console socket");
  close (a->console_fd);
  a->console_fd = -1;
  return clr_terminal_make_controlling (slave, err);
}

static int
prepare (struct clr_init_args *a, pid_t host_pid, char **exe, char ***envp, clr_err *err)
{
  const struct clr_config *cfg = a->cfg;
  const struct clr_process *p = cfg->process;

  if (join_namespaces (a, err) < 0)
    return -1;
  if (a->new_userns)
    {
      /* become the namespace's root (the parent has written the maps by now) */
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        return clr_fail (err, errno, "become root in the user namespace");
      if (setgroups (0, NULL) < 0 && errno != EPERM)
        return clr_fail (err, errno, "setgroups");
    }
  if (cfg->hostname && cfg->hostname[0] && sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
    return clr_fail (err, errno, "sethostname %s", cfg->hostname);
  if (cfg->domainname && cfg->domainname[0]
      && setdomainname (cfg->domainname, strlen (cfg->domainname)) < 0)
    return clr_fail (err, errno, "setdomainname %s", cfg->domainname);
  if (!a->no_new_keyring)
    {
      /* a session keyring of its own: the host's keys stay out of reach */
      char name[CLR_ID_MAX + 8];
      snprintf (name, sizeof name, "_ses.%s", a->id);
      if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS
          && errno != EACCES && errno != EPERM)
        return clr_fail (err, errno, "join session keyring");
    }

  struct clr_rootfs_ctx rctx = {
    .cfg = cfg,
    .rootfs = a->rootfs,
    .bundle = a->bundle,
    .no_pivot = a->no_pivot,
    .new_userns = a->new_userns,
    .new_cgroupns = clr_config_namespace (cfg, CLONE_NEWCGROUP) != NULL,
    .rootfd = -1,
  };
  if (clr_rootfs_prepare (&rctx, err) < 0)
    return -1;
  {
    /* runc creates a missing cwd; do it inside the root, safely */
    int fd = clr_open_in_root (rctx.rootfd, p->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC, CLR_RESOLVE_MKDIR, err);
    if (fd < 0)
      return clr_wrap (err, "process.cwd");
    close (fd);
  }
  if (apply_sysctl (cfg, err) < 0)
    return -1;
  if (cfg->linux.has_personality && personality (cfg->linux.personality) < 0)
    return clr_fail (err, errno, "linux.personality");

  struct clr_state st = *a->state;
  st.pid = host_pid;
  if (cfg->hooks[CLR_HOOK_PRESTART].n || cfg->hooks[CLR_HOOK_CREATE_RUNTIME].n)
    {
      struct clr_sync_msg m;
      if (clr_sync_send (a->sync_fd, CLR_SYNC_HOOKS, 0, NULL, err) < 0
          || clr_sync_expect (a->sync_fd, CLR_SYNC_HOOKS_DONE, &m, err) < 0)
        return -1;
    }
  if (cfg->hooks[CLR_HOOK_CREATE_CONTAINER].n)
    {
      cleanup_free char *json = clr_state_json (&st, CLR_STATUS_CREATING, false);
      if (clr_hooks_run (&cfg->hooks[CLR_HOOK_CREATE_CONTAINER], CLR_HOOK_CREATE_CONTAINER, json, err) < 0)
        return -1;
    }
  if (clr_rootfs_pivot (&rctx, err) < 0)
    return -1;
  if (setup_terminal (a, err) < 0)
    return -1;
  if (clr_process_apply_attrs (p, err) < 0)
    return -1;
  if (clr_process_chdir (p, err) < 0)
    return -1;
  if (clr_process_find_executable (p, exe, err) < 0)
    return -1;
  *envp = clr_process_environ (p);
  if (a->extra_env && a->extra_env[0])
    {
      size_t n = clr_strv_len (*envp), m = clr_strv_len (a->extra_env);
      *envp = xrealloc (*envp, (n + m + 1) * sizeof (char *));
      for (size_t i = 0; i < m; i++)
        (*envp)[n + i] = xstrdup (a->extra_env[i]);
      (*envp)[n + m] = NULL;
    }
  return 0;
}

static int
finalize (struct clr_init_args *a, const char *state_json, clr_err *err)
{
  const struct clr_seccomp *sc = a->cfg->linux.seccomp;
  struct clr_finalize_opts fo = {
    .seccomp = a->seccomp,
    .listener_path = sc ? sc->listener_path : NULL,
    .listener_metadata = sc ? sc->listener_metadata : NULL,
    .state_json = state_json,
    .userns = a->new_userns || clr_config_namespace (a->cfg, CLONE_NEWUSER) != NULL,
  };
  if (clr_process_finalize (a->cfg->process, &fo, err) < 0)
    return -1;
  /* setuid cleared the parent-death signal: a session's init must still die with
   * the session runner (its timeout is the sandbox's promise) */
  if (a->die_with_parent)
    prctl (PR_SET_PDEATHSIG, SIGKILL);
  return 0;
}

void
clr_init_main (struct clr_init_args *a)
{
  clr_err err = { 0 };
  const struct clr_config *cfg = a->cfg;
  /* Die with `create` until setup is complete (an interrupted create must not leave a
   * half-built container running); stay non-dumpable so nothing in the container can
   * ptrace or open /proc/<init>/exe while we still hold host resources
   * (CVE-2016-9962, CVE-2019-5736). */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  prctl (PR_SET_DUMPABLE, 0);

  /* No fd of the caller or of clawrun may reach the container (CVE-2024-21626):
   * keep only the preserved range and our own. */
  int keep[CLR_MAX_JOIN_NS + 4];
  size_t nkeep = 0;
  keep[nkeep++] = a->sync_fd;
  keep[nkeep++] = a->fifo_fd;
  if (a->console_fd >= 0)
    keep[nkeep++] = a->console_fd;
  for (size_t i = 0; i < a->n_join; i++)
    keep[nkeep++] = a->join_fds[i];
  clr_close_fds_except (3 + a->preserve_fds, keep, nkeep);

  struct clr_sync_msg m;
  if (clr_sync_expect (a->sync_fd, CLR_SYNC_GO, &m, &err) < 0)
    _exit (1);
  pid_t host_pid = m.pid;

  cleanup_free char *exe = NULL;
  cleanup_strv char **envp = NULL;
  bool late_finalize = cfg->hooks[CLR_HOOK_START_CONTAINER].n > 0;
  struct clr_state st = *a->state;
  st.pid = host_pid;
  cleanup_free char *state_json = clr_state_json (&st, CLR_STATUS_CREATED, false);
  if (prepare (a, host_pid, &exe, &envp, &err) < 0
      || (!late_finalize && finalize (a, state_json, &err) < 0))
    {
      clr_sync_send (a->sync_fd, CLR_SYNC_ERROR, 0, &err, NULL);
      _exit (1);
    }
  /* Only the exec.fifo, the sync socket and the preserved fds are left. */
  int keep2[] = { a->sync_fd, a->fifo_fd };
  clr_close_fds_except (3 + a->preserve_fds, keep2, 2);
  if (!a->die_with_parent)
    prctl (PR_SET_PDEATHSIG, 0);
  if (clr_sync_send (a->sync_fd, CLR_SYNC_READY, 0, NULL, &err) < 0)
    _exit (1);
  close (a->sync_fd);

  /* Blocks until `start` writes a byte. */
  char c;
  ssize_t r;
  do
    r = read (a->fifo_fd, &c, 1);
  while (r < 0 && errno == EINTR);
  close (a->fifo_fd);
  if (r != 1)
    _exit (1);

  if (late_finalize)
    {
      cleanup_free char *json = clr_state_json (&st, CLR_STATUS_RUNNING, false);
      if (clr_hooks_run (&cfg->hooks[CLR_HOOK_START_CONTAINER], CLR_HOOK_START_CONTAINER, json, &err) < 0
          || finalize (a, state_json, &err) < 0)
        {
          dprintf (2, "clawrun: %s\n", err.msg);
          _exit (127);
        }
    }
  clr_process_exec (exe, cfg->process->args, envp);
}
