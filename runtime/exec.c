#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../cgroup/cgroup.h"
#include "container.h"
#include "exec.h"
#include "json.h"
#include "log.h"
#include "process.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

int
clr_parse_user (const char *s, uint32_t *uid, uint32_t *gid, bool *has_gid, clr_err *err)
{
  cleanup_free char *copy = xstrdup (s);
  char *colon = strchr (copy, ':');
  uint64_t v;
  if (colon)
    *colon = '\0';
  if (clr_parse_u64 (copy, UINT32_MAX - 1, &v) < 0)
    return clr_fail (err, 0, "--user \"%s\": expected uid[:gid] with numeric ids", s);
  *uid = (uint32_t) v;
  *has_gid = false;
  if (colon)
    {
      if (clr_parse_u64 (colon + 1, UINT32_MAX - 1, &v) < 0)
        return clr_fail (err, 0, "--user \"%s\": expected uid[:gid] with numeric ids", s);
      *gid = (uint32_t) v;
      *has_gid = true;
    }
  return 0;
}

/* ---- foreground wait ---- */

int
clr_wait_foreground (pid_t pid, int pidfd, int tty_master, clr_err *err)
{
  sigset_t all, old;
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  if (tty_master >= 0)
    {
      /* the pty delivers ^C and friends to the container itself */
      sigset_t winch;
      sigemptyset (&winch);
      sigaddset (&winch, SIGWINCH);
      sigprocmask (SIG_SETMASK, &old, NULL);
      if (clr_terminal_proxy (tty_master, pidfd, err) < 0)
        clr_log_error (err);
      sigprocmask (SIG_BLOCK, &all, NULL);
    }
  else
    {
      cleanup_close int sfd = signalfd (-1, &all, SFD_CLOEXEC);
      if (sfd < 0)
        {
          sigprocmask (SIG_SETMASK, &old, NULL);
          return clr_fail (err, errno, "signalfd");
        }
      for (;;)
        {
          struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
          if (poll (p, 2, -1) < 0 && errno != EINTR)
            break;
          if (p[0].revents)
            break;
          if (p[1].revents)
            {
              struct signalfd_siginfo si;
              if (read (sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD
                  && si.ssi_signo != SIGURG && si.ssi_signo != SIGWINCH)
                clr_pidfd_send_signal (pidfd, si.ssi_signo);
            }
        }
    }
  siginfo_t si;
  memset (&si, 0, sizeof si);
  int r;
  do
    r = waitid (P_PIDFD, pidfd, &si, WEXITED);
  while (r < 0 && errno == EINTR);
  sigprocmask (SIG_SETMASK, &old, NULL);
  (void) pid;
  if (r < 0)
    return clr_fail (err, errno, "wait for the container process");
  if (si.si_code == CLD_EXITED)
    return si.si_status;
  return 128 + si.si_status;
}

/* ---- exec ---- */

/* A session (run --image) names its audit log in an annotation: every exec into it
 * is recorded there. */
static void
audit_exec (const struct clr_config *cfg, const char *id, const struct clr_process *p, pid_t pid)
{
  const char *path = clr_config_annotation (cfg, "run.clawrun.audit-log");
  if (path == NULL)
    return;
  yajl_gen g = clr_json_gen (false);
  char now[64];
  clr_rfc3339_now (now, sizeof now);
  yajl_gen_map_open (g);
  clr_json_str (g, "time");
  clr_json_str (g, now);
  clr_json_str (g, "event");
  clr_json_str (g, "exec");
  clr_json_str (g, "session");
  clr_json_str (g, id);
  clr_json_str (g, "pid");
  yajl_gen_integer (g, pid);
  clr_json_str (g, "uid");
  yajl_gen_integer (g, p->user.uid);
  clr_json_str (g, "command");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < p->n_args; i++)
    clr_json_str (g, p->args[i]);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  /* the session created the log: an exec never creates one elsewhere */
  (void) clr_json_append_line (path, g, false);
}

struct exec_process {
  struct clr_process p;  /* shallow copy of the base, with owned replacements below */
  char **args, **env;
  uint32_t *gids;
};

static void
exec_process_free (struct exec_process *e)
{
  clr_strv_freep (&e->args);
  clr_strv_freep (&e->env);
  free (e->gids);
}

static int
cap_mask (char **names, uint64_t *mask, clr_err *err)
{
  for (size_t i = 0; names && names[i]; i++)
    {
      int c = clr_cap_from_name (names[i]);
      if (c < 0)
        return clr_fail (err, 0, "--cap: unknown capability \"%s\"", names[i]);
      *mask |= 1ULL << c;
    }
  return 0;
}

static int
build_process (const struct clr_exec_opts *o, const struct clr_process *base, struct exec_process *e,
               clr_err *err)
{
  e->p = *base;
  size_t nargs = clr_strv_len (o->args);
  if (nargs == 0)
    return clr_fail (err, 0, "exec: no command given (ARGS or --process)");
  e->args = clr_strv_dup (o->args);
  e->p.args = e->args;
  e->p.n_args = nargs;
  /* environment: the container's, with --env overriding by name */
  size_t nadd = clr_strv_len (o->env), n = 0;
  e->env = xcalloc (base->n_env + nadd + 1, sizeof (char *));
  for (size_t i = 0; i < base->n_env; i++)
    {
      const char *eq = strchr (base->env[i], '=');
      size_t klen = eq ? (size_t) (eq - base->env[i]) : strlen (base->env[i]);
      bool overridden = false;
      for (size_t j = 0; j < nadd; j++)
        if (strncmp (o->env[j], base->env[i], klen) == 0 && (o->env[j][klen] == '=' || o->env[j][klen] == '\0'))
          overridden = true;
      if (!overridden)
        e->env[n++] = xstrdup (base->env[i]);
    }
  for (size_t j = 0; j < nadd; j++)
    {
      if (strchr (o->env[j], '=') == NULL)
        return clr_fail (err, 0, "--env \"%s\": expected KEY=VALUE", o->env[j]);
      e->env[n++] = xstrdup (o->env[j]);
    }
  e->p.env = e->env;
  e->p.n_env = n;
  if (o->cwd)
    {
      if (o->cwd[0] != '/')
        return clr_fail (err, 0, "--cwd \"%s\": must be an absolute path", o->cwd);
      e->p.cwd = o->cwd;
    }
  if (o->user)
    {
      bool has_gid;
      uint32_t gid = base->user.gid;
      if (clr_parse_user (o->user, &e->p.user.uid, &gid, &has_gid, err) < 0)
        return -1;
      e->p.user.gid = has_gid ? gid : 0;
    }
  size_t ng = clr_strv_len (o->additional_gids);
  if (ng)
    {
      e->gids = xcalloc (ng, sizeof (uint32_t));
      for (size_t i = 0; i < ng; i++)
        {
          uint64_t v;
          if (clr_parse_u64 (o->additional_gids[i], UINT32_MAX - 1, &v) < 0)
            return clr_fail (err, 0, "--additional-gids \"%s\": expected a number", o->additional_gids[i]);
          e->gids[i] = (uint32_t) v;
        }
      e->p.user.additional_gids = e->gids;
      e->p.user.n_additional_gids = ng;
    }
  uint64_t add = 0;
  if (cap_mask (o->caps, &add, err) < 0)
    return -1;
  if (add)
    {
      e->p.caps.present = true;
      e->p.caps.bounding |= add;
      e->p.caps.effective |= add;
      e->p.caps.permitted |= add;
    }
  e->p.terminal = o->tty;
  e->p.no_new_privileges = base->no_new_privileges || o->no_new_privs;
  e->p.has_oom_score_adj = false;
  return 0;
}

struct exec_child {
  const struct clr_process *p;
  const struct clr_config *cfg;
  int sync_fd;
  int console_fd;
  int preserve_fds;
  int ns_fds[8];
  int ns_types[8];
  size_t n_ns;
  bool userns;
  struct clr_seccomp_filter *seccomp;
  const char *state_json;
};

static int
exec_child_prepare (struct exec_child *c, char **exe, char ***envp, clr_err *err)
{
  /* user first (the others belong to it), mount last */
  for (int pass = 0; pass < 3; pass++)
    for (size_t i = 0; i < c->n_ns; i++)
      {
        int t = c->ns_types[i];
        int want = t == CLONE_NEWUSER ? 0 : t == CLONE_NEWNS ? 2 : 1;
        if (want != pass)
          continue;
        if (setns (c->ns_fds[i], t) < 0)
          return clr_fail (err, errno, "join the container's %s namespace", clr_namespace_name (t));
        close (c->ns_fds[i]);
        c->ns_fds[i] = -1;
      }
  if (setsid () < 0)
    return clr_fail (err, errno, "setsid");
  if (c->p->terminal)
    {
      cleanup_close int master = -1, slave = -1;
      cleanup_free char *path = NULL;
      if (clr_terminal_open_pty (&master, &slave, &path, err) < 0)
        return -1;
      if (c->p->has_console_size && clr_terminal_set_size (master, c->p->console_height, c->p->console_width, err) < 0)
        return -1;
      if (clr_send_fd (c->console_fd, master, path, err) < 0)
        return clr_wrap (err, "send the pty master to the console socket");
      close (c->console_fd);
      c->console_fd = -1;
      if (clr_terminal_make_controlling (slave, err) < 0)
        return -1;
    }
  if (clr_process_apply_attrs (c->p, err) < 0 || clr_process_chdir (c->p, err) < 0
      || clr_process_find_executable (c->p, exe, err) < 0)
    return -1;
  *envp = clr_process_environ (c->p);
  const struct clr_seccomp *sc = c->cfg->linux.seccomp;
  struct clr_finalize_opts fo = {
    .seccomp = c->seccomp,
    .listener_path = sc ? sc->listener_path : NULL,
    .listener_metadata = sc ? sc->listener_metadata : NULL,
    .state_json = c->state_json,
    .userns = c->userns,
  };
  return clr_process_finalize (c->p, &fo, err);
}

static void __attribute__ ((noreturn))
exec_child_main (struct exec_child *c)
{
  clr_err err = { 0 };
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  int keep[12];
  size_t nk = 0;
  keep[nk++] = c->sync_fd;
  if (c->console_fd >= 0)
    keep[nk++] = c->console_fd;
  for (size_t i = 0; i < c->n_ns; i++)
    keep[nk++] = c->ns_fds[i];
  clr_close_fds_except (3 + c->preserve_fds, keep, nk);
  struct clr_sync_msg m;
  if (clr_sync_expect (c->sync_fd, CLR_SYNC_GO, &m, &err) < 0)
    _exit (1);
  cleanup_free char *exe = NULL;
  cleanup_strv char **envp = NULL;
  if (exec_child_prepare (c, &exe, &envp, &err) < 0)
    {
      clr_sync_send (c->sync_fd, CLR_SYNC_ERROR, 0, &err, NULL);
      _exit (1);
    }
  prctl (PR_SET_PDEATHSIG, 0);
  if (clr_sync_send (c->sync_fd, CLR_SYNC_READY, 0, NULL, &err) < 0)
    _exit (1);
  /* sync_fd is O_CLOEXEC: the parent sees EOF once execve succeeded */
  clr_process_exec (exe, c->p->args, envp);
}

static const struct
{
  int type;
  const char *file;
} ns_files[] = {
  { CLONE_NEWUSER, "user" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
  { CLONE_NEWNET, "net" },   { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
  { CLONE_NEWNS, "mnt" },
};

int
clr_container_exec (const struct clr_globals *g, const char *id, const struct clr_exec_opts *o,
                    clr_err *err)
{
  struct clr_container c;
  if (clr_container_load (g, id, false, &c, err) < 0)
    return -1;
  int ret = -1;
  cleanup_config struct clr_config *cfg = NULL;
  cleanup_config struct clr_config *holder = NULL;
  struct exec_process ep;
  memset (&ep, 0, sizeof ep);
  const struct clr_process *proc = NULL;
  struct exec_child ch;
  memset (&ch, 0, sizeof ch);
  ch.console_fd = -1;
  int sync_parent = -1, console_keep = -1, pidns_fd = -1, procfd = -1, pidfd = -1, master = -1;
  pid_t pid = -1;
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  cleanup_free char *state_json = NULL;

  if (c.status != CLR_STATUS_RUNNING && c.status != CLR_STATUS_CREATED)
    {
      clr_fail (err, 0, "cannot exec in a %s container", clr_status_name (c.status));
      goto out;
    }
  if (clr_state_load_config (c.dirfd, &cfg, err) < 0)
    goto out;
  if (o->process_file)
    {
      cleanup_free char *data = NULL;
      size_t len;
      struct clr_process *pp;
      if (clr_read_file (o->process_file, 16 << 20, &data, &len, err) < 0
          || clr_process_parse_json (data, len, &holder, &pp, err) < 0)
        goto out;
      proc = pp;
    }
  else
    {
      if (build_process (o, cfg->process, &ep, err) < 0)
        goto out;
      proc = &ep.p;
    }
  if (proc->terminal && o->console_socket == NULL && o->detach)
    {
      clr_fail (err, 0, "--tty with --detach requires --console-socket");
      goto out;
    }
  if (clr_proc_open (&procfd, err) < 0)
    goto out;

  /* namespace fds of init, opened through a checked procfs; skip those we share */
  for (size_t i = 0; i < CLR_ARRAY_SIZE (ns_files); i++)
    {
      char rel[64], self[64];
      struct stat a, b;
      snprintf (rel, sizeof rel, "%d/ns/%s", c.state->pid, ns_files[i].file);
      snprintf (self, sizeof self, "self/ns/%s", ns_files[i].file);
      if (fstatat (procfd, rel, &a, 0) < 0 || fstatat (procfd, self, &b, 0) < 0)
        continue;
      if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      int fd = openat (procfd, rel, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          clr_fail (err, errno, "open /proc/%s", rel);
          goto out;
        }
      ch.ns_fds[ch.n_ns] = fd;
      ch.ns_types[ch.n_ns++] = ns_files[i].type;
      if (ns_files[i].type == CLONE_NEWUSER)
        ch.userns = true;
    }
  {
    char rel[64], self[64];
    struct stat a, b;
    snprintf (rel, sizeof rel, "%d/ns/pid", c.state->pid);
    if (fstatat (procfd, rel, &a, 0) == 0 && fstatat (procfd, "self/ns/pid", &b, 0) == 0
        && a.st_ino != b.st_ino)
      {
        pidns_fd = openat (procfd, rel, O_RDONLY | O_CLOEXEC);
        if (pidns_fd < 0)
          {
            clr_fail (err, errno, "open /proc/%s", rel);
            goto out;
          }
        (void) self;
      }
  }
  if (clr_cgroup_open (c.state->cgroup_path, &cg, err) < 0)
    goto out;
  if (cfg->linux.seccomp && clr_seccomp_compile (cfg->linux.seccomp, &ch.seccomp, err) < 0)
    goto out;
  if (proc->terminal && clr_console_prepare (o->console_socket, &ch.console_fd, &console_keep, err) < 0)
    goto out;
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    {
      clr_fail (err, errno, "socketpair");
      goto out;
    }
  sync_parent = sp[0];
  ch.sync_fd = sp[1];
  ch.p = proc;
  ch.cfg = cfg;
  state_json = clr_state_json (c.state, c.status, false);
  ch.state_json = state_json;
  ch.preserve_fds = o->preserve_fds;

  /* Nothing in the container may ptrace us or open /proc/<us>/exe while we join
   * its namespaces (CVE-2016-9962, CVE-2019-5736). */
  prctl (PR_SET_DUMPABLE, 0);
  if (pidns_fd >= 0 && setns (pidns_fd, CLONE_NEWPID) < 0)
    {
      clr_fail (err, errno, "join the container's pid namespace");
      goto out;
    }
  {
    struct clone_args args;
    memset (&args, 0, sizeof args);
    args.flags = CLONE_PIDFD;
    args.pidfd = (uint64_t) (uintptr_t) &pidfd;
    args.exit_signal = SIGCHLD;
    bool into = false;
    if (cg->unified_fd >= 0)
      {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t) cg->unified_fd;
        pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
        into = pid >= 0;
        if (pid < 0)
          {
            args.flags &= ~(uint64_t) CLONE_INTO_CGROUP;
            args.cgroup = 0;
          }
      }
    if (!into)
      pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
    if (pid < 0)
      {
        clr_fail (err, errno, "clone3");
        goto out;
      }
    if (pid == 0)
      {
        close (sync_parent);
        exec_child_main (&ch);
      }
    close (ch.sync_fd);
    ch.sync_fd = -1;
    if (clr_cgroup_enter (cg, pid, into, err) < 0)
      goto kill_out;
  }
  if (clr_sync_send (sync_parent, CLR_SYNC_GO, pid, NULL, err) < 0)
    goto kill_out;
  struct clr_sync_msg m;
  if (clr_sync_expect (sync_parent, CLR_SYNC_READY, &m, err) < 0)
    goto kill_out;
  audit_exec (cfg, id, proc, pid);
  if (o->pid_file && clr_write_pid_file (o->pid_file, pid, err) < 0)
    goto kill_out;
  if (o->detach)
    {
      ret = 0;
      goto out;
    }
  if (console_keep >= 0 && clr_recv_fd (console_keep, &master, err) < 0)
    goto kill_out;
  clr_container_release (&c); /* do not hold the state while the process runs */
  ret = clr_wait_foreground (pid, pidfd, master, err);
  goto out;

kill_out:
  clr_pidfd_send_signal (pidfd, SIGKILL);
  waitpid (pid, NULL, 0);
out:
  int *fds[] = { &sync_parent, &console_keep, &pidns_fd, &procfd, &pidfd, &master, &ch.console_fd, &ch.sync_fd };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (fds); i++)
    if (*fds[i] >= 0)
      close (*fds[i]);
  for (size_t i = 0; i < ch.n_ns; i++)
    if (ch.ns_fds[i] >= 0)
      close (ch.ns_fds[i]);
  if (ch.seccomp)
    clr_seccomp_filter_free (ch.seccomp);
  exec_process_free (&ep);
  clr_container_release (&c);
  return ret;
}
