#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../cgroup/cgroup.h"
#include "../cgroup/systemd.h"
#include "container.h"
#include "hooks.h"
#include "log.h"
#include "process.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

/* ---- validation that needs the whole config ---- */

static bool
has_new_ns (const struct clr_config *cfg, int type)
{
  const struct clr_namespace *ns = clr_config_namespace (cfg, type);
  return ns && ns->path == NULL;
}

static int
validate_sysctl (const struct clr_config *cfg, clr_err *err)
{
  for (size_t i = 0; i < cfg->linux.n_sysctl; i++)
    {
      const char *k = cfg->linux.sysctl[i].key;
      int need;
      if (clr_has_prefix (k, "net.") || clr_has_prefix (k, "net/"))
        need = CLONE_NEWNET;
      else if (clr_has_prefix (k, "kernel.msg") || clr_has_prefix (k, "kernel.shm")
               || strcmp (k, "kernel.sem") == 0 || clr_has_prefix (k, "fs.mqueue."))
        need = CLONE_NEWIPC;
      else if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0)
        need = CLONE_NEWUTS;
      else
        return clr_fail (err, 0, "linux.sysctl: \"%s\" is not namespaced: refusing to set it for the host", k);
      const struct clr_namespace *ns = clr_config_namespace (cfg, need);
      if (ns == NULL)
        return clr_fail (err, 0, "linux.sysctl: \"%s\" requires a %s namespace of the container's own",
                         k, clr_namespace_name (need));
    }
  return 0;
}

static int
validate_config (const struct clr_config *cfg, const struct clr_create_opts *o, clr_err *err)
{
  if (cfg->process == NULL)
    return clr_fail (err, 0, "process: missing");
  if (clr_config_namespace (cfg, CLONE_NEWNS) == NULL)
    return clr_fail (err, 0, "linux.namespaces: a mount namespace is required");
  if (cfg->hostname && cfg->hostname[0] && !has_new_ns (cfg, CLONE_NEWUTS))
    return clr_fail (err, 0, "hostname: requires a new uts namespace");
  if (cfg->domainname && cfg->domainname[0] && !has_new_ns (cfg, CLONE_NEWUTS))
    return clr_fail (err, 0, "domainname: requires a new uts namespace");
  bool new_user = has_new_ns (cfg, CLONE_NEWUSER);
  if ((cfg->linux.n_uid_mappings || cfg->linux.n_gid_mappings) && !new_user)
    return clr_fail (err, 0, "linux.uidMappings: requires a new user namespace");
  if (new_user && (!cfg->linux.n_uid_mappings || !cfg->linux.n_gid_mappings))
    return clr_fail (err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  if (cfg->linux.has_time_offsets && !has_new_ns (cfg, CLONE_NEWTIME))
    return clr_fail (err, 0, "linux.timeOffsets: requires a new time namespace");
  const struct clr_namespace *user = clr_config_namespace (cfg, CLONE_NEWUSER);
  bool joins = false;
  for (size_t i = 0; i < cfg->linux.n_namespaces; i++)
    if (cfg->linux.namespaces[i].path && cfg->linux.namespaces[i].type != CLONE_NEWPID
        && cfg->linux.namespaces[i].type != CLONE_NEWUSER)
      joins = true;
  if (new_user && joins)
    return clr_fail (err, EOPNOTSUPP,
                     "linux.namespaces: joining namespaces by path together with a new user namespace");
  if (user && user->path && has_new_ns (cfg, CLONE_NEWPID))
    return clr_fail (err, EOPNOTSUPP,
                     "linux.namespaces: a new pid namespace inside a user namespace joined by path");
  if (cfg->process->terminal && o->console_socket == NULL && !o->proxy_tty)
    return clr_fail (err, 0, "process.terminal is true: --console-socket is required");
  if (cfg->process->apparmor_profile && cfg->process->apparmor_profile[0])
    clr_warn ("process.apparmorProfile \"%s\" ignored: AppArmor profiles are not applied by this build",
              cfg->process->apparmor_profile);
  if (cfg->process->selinux_label && cfg->process->selinux_label[0])
    clr_warn ("process.selinuxLabel ignored: SELinux labels are not applied by this build");
  return validate_sysctl (cfg, err);
}

/* ---- helpers ---- */

static int
map_ids (int procfd, pid_t pid, const char *file, const struct clr_idmap *m, size_t n, clr_err *err)
{
  char buf[4096], rel[64];
  size_t off = 0;
  for (size_t i = 0; i < n; i++)
    {
      int w = snprintf (buf + off, sizeof buf - off, "%u %u %u\n", m[i].container_id, m[i].host_id,
                        m[i].size);
      if (w < 0 || (size_t) w >= sizeof buf - off)
        return clr_fail (err, E2BIG, "%s: too many mappings", file);
      off += w;
    }
  snprintf (rel, sizeof rel, "%d/%s", pid, file);
  return clr_proc_write (procfd, rel, buf, err);
}

static int
open_join_ns (const struct clr_namespace *ns, size_t idx, clr_err *err)
{
  int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return clr_fail (err, errno, "linux.namespaces[%zu].path: open %s", idx, ns->path);
  int type = ioctl (fd, NS_GET_NSTYPE);
  if (type >= 0 && type != ns->type)
    {
      close (fd);
      return clr_fail (err, 0, "linux.namespaces[%zu].path: %s is not a %s namespace", idx, ns->path,
                       clr_namespace_name (ns->type));
    }
  return fd;
}

static pid_t
clone_init (int flags, int cgroup_fd, int *pidfd, bool *into_cgroup)
{
  struct clone_args args;
  memset (&args, 0, sizeof args);
  args.flags = (uint64_t) flags | CLONE_PIDFD;
  args.pidfd = (uint64_t) (uintptr_t) pidfd;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0)
    {
      /* The child is born in its cgroup: it never runs a single instruction, let alone
       * creates a socket, outside it (security.md row 13: egress BPF hooks there). */
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgroup_fd;
      pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
      if (pid >= 0)
        {
          *into_cgroup = true;
          return pid;
        }
      args.flags &= ~(uint64_t) CLONE_INTO_CGROUP;
      args.cgroup = 0;
    }
  *into_cgroup = false;
  return (pid_t) syscall (SYS_clone3, &args, sizeof args);
}

static void
fill_state_base (struct clr_state *st, const struct clr_config *cfg, const char *id,
                 const char *bundle, const char *rootfs, const char *cgroup_path)
{
  char now[64];
  clr_rfc3339_now (now, sizeof now);
  st->id = xstrdup (id);
  st->bundle = xstrdup (bundle);
  st->rootfs = xstrdup (rootfs);
  st->created = xstrdup (now);
  st->owner = xstrdup ("");
  st->cgroup_path = xstrdup (cgroup_path);
  st->creating = true;
  st->annotation_keys = xcalloc (cfg->n_annotations + 1, sizeof (char *));
  st->annotation_values = xcalloc (cfg->n_annotations + 1, sizeof (char *));
  for (size_t i = 0; i < cfg->n_annotations; i++)
    {
      st->annotation_keys[i] = xstrdup (cfg->annotations[i].key);
      st->annotation_values[i] = xstrdup (cfg->annotations[i].value);
    }
}

static int
run_hooks_with_state (const struct clr_config *cfg, enum clr_hook_kind kind,
                      const struct clr_state *st, enum clr_status status, clr_err *err)
{
  if (cfg->hooks[kind].n == 0)
    return 0;
  cleanup_free char *json = clr_state_json (st, status, false);
  return clr_hooks_run (&cfg->hooks[kind], kind, json, err);
}

/* ---- create ---- */

struct create_ctx {
  int rootfd, dirfd;
  bool dir_created;
  struct clr_cgroup *cg;
  bool scope_started;  /* --systemd-cgroup: systemd has a unit for c->cg */
  pid_t pid;
  int pidfd;
  int sync_parent, sync_child;
  int fifo_fd;
  int console_fd;      /* what the child sends the pty master to */
  int console_keep;    /* our end of the proxy socketpair */
  int procfd;
  int join_fds[CLR_MAX_JOIN_NS];
  size_t n_join;
  int pidns_fd;
  struct clr_seccomp_filter *seccomp;
  struct clr_state state;
  const char *id;
};

static void
create_ctx_cleanup (struct create_ctx *c, bool failed)
{
  clr_err e2 = { 0 };
  if (failed && c->pidfd >= 0)
    {
      clr_pidfd_send_signal (c->pidfd, SIGKILL);
      waitpid (c->pid, NULL, 0);
    }
  if (failed && c->cg)
    {
      if (clr_cgroup_destroy (c->cg, &e2) < 0)
        clr_log_error (&e2);
    }
  /* after the cgroup is empty, so the stop is immediate */
  if (failed && c->scope_started)
    {
      cleanup_free char *unit = clr_systemd_unit_from_path (c->state.cgroup_path);
      if (unit && clr_systemd_stop_scope (unit, &e2) < 0)
        clr_log_error (&e2);
    }
  if (c->cg)
    clr_cgroup_free (c->cg);
  if (failed && c->dir_created)
    clr_state_dir_remove (c->rootfd, c->id, &e2);
  int *fds[] = { &c->dirfd, &c->rootfd, &c->sync_parent, &c->sync_child, &c->fifo_fd,
                 &c->console_fd, &c->procfd, &c->pidns_fd };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (fds); i++)
    if (*fds[i] >= 0)
      close (*fds[i]);
  if (failed)
    {
      if (c->pidfd >= 0)
        close (c->pidfd);
      if (c->console_keep >= 0)
        close (c->console_keep);
    }
  for (size_t i = 0; i < c->n_join; i++)
    close (c->join_fds[i]);
  if (c->seccomp)
    clr_seccomp_filter_free (c->seccomp);
  free (c->state.id);
  free (c->state.bundle);
  free (c->state.rootfs);
  free (c->state.created);
  free (c->state.owner);
  free (c->state.cgroup_path);
  clr_strv_freep (&c->state.annotation_keys);
  clr_strv_freep (&c->state.annotation_values);
}

/* Talk to init until it is READY: run the runtime-namespace hooks when it asks. */
static int
drive_init (struct create_ctx *c, const struct clr_config *cfg, clr_err *err)
{
  for (;;)
    {
      struct clr_sync_msg m;
      if (clr_sync_recv (c->sync_parent, &m, err) < 0)
        {
          /* init died without a word: say how */
          siginfo_t si = { 0 };
          if (waitid (P_PIDFD, c->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid)
            return clr_fail (err, 0, "container init exited during setup (%s %d)",
                             si.si_code == CLD_EXITED ? "status" : "signal", si.si_status);
          return clr_wrap (err, "container init");
        }
      switch (m.type)
        {
        case CLR_SYNC_ERROR:
          *err = m.err;
          return -1;
        case CLR_SYNC_HOOKS:
          {
            clr_err herr = { 0 };
            int r = run_hooks_with_state (cfg, CLR_HOOK_PRESTART, &c->state, CLR_STATUS_CREATING, &herr);
            if (r == 0)
              r = run_hooks_with_state (cfg, CLR_HOOK_CREATE_RUNTIME, &c->state, CLR_STATUS_CREATING,
                                        &herr);
            if (r < 0)
              {
                *err = herr;
                return -1;
              }
            if (clr_sync_send (c->sync_parent, CLR_SYNC_HOOKS_DONE, 0, NULL, err) < 0)
              return -1;
            break;
          }
        case CLR_SYNC_READY:
          return 0;
        default:
          return clr_fail (err, EPROTO, "sync: unexpected message %u from init", m.type);
        }
    }
}

int
clr_container_create (const struct clr_globals *g, const struct clr_create_opts *o,
                      struct clr_created *out, clr_err *err)
{
  struct create_ctx c;
  memset (&c, 0, sizeof c);
  c.rootfd = c.dirfd = c.pidfd = c.sync_parent = c.sync_child = c.fifo_fd = -1;
  c.console_fd = c.console_keep = c.procfd = c.pidns_fd = -1;
  c.id = o->id;
  out->pid = 0;
  out->pidfd = out->tty_master = -1;
  cleanup_config struct clr_config *cfg = NULL;
  cleanup_free char *config_data = NULL;
  size_t config_len = 0;
  char bundle[PATH_MAX], rootfs[PATH_MAX];
  cleanup_free char *cgpath = NULL;
  int ret = -1;

  if (clr_validate_id (o->id, err) < 0)
    return -1;
  /* before anything exists */
  if (g->systemd_cgroup && !clr_systemd_available ())
    return clr_fail (err, 0, "%s", CLR_SYSTEMD_NOT_RUNNING);
  if (realpath (o->bundle ? o->bundle : ".", bundle) == NULL)
    return clr_fail (err, errno, "bundle %s", o->bundle ? o->bundle : ".");
  cleanup_free char *config_path = xasprintf ("%s/config.json", bundle);
  if (clr_read_file (config_path, 64 << 20, &config_data, &config_len, err) < 0)
    return -1;
  if (clr_config_parse (config_data, config_len, &cfg, err) < 0)
    return clr_wrap (err, "%s", config_path);
  if (validate_config (cfg, o, err) < 0)
    return -1;
  {
    cleanup_free char *rp = cfg->root_path[0] == '/' ? xstrdup (cfg->root_path)
                                                     : xasprintf ("%s/%s", bundle, cfg->root_path);
    if (realpath (rp, rootfs) == NULL)
      return clr_fail (err, errno, "root.path %s", rp);
    struct stat st;
    if (stat (rootfs, &st) < 0 || !S_ISDIR (st.st_mode))
      return clr_fail (err, ENOTDIR, "root.path %s", rp);
  }
  /* Compile seccomp before anything exists: a bad profile fails here, cheaply. */
  if (cfg->linux.seccomp && clr_seccomp_compile (cfg->linux.seccomp, &c.seccomp, err) < 0)
    goto out;

  if (clr_root_open (g->root, true, &c.rootfd, err) < 0)
    goto out;
  if (clr_state_dir_create (c.rootfd, o->id, &c.dirfd, err) < 0)
    goto out;
  c.dir_created = true;

  if (!g->systemd_cgroup)
    cgpath = clr_cgroup_resolve_path (cfg->linux.cgroups_path, o->id);
  else if ((cgpath = clr_systemd_cgroup_path (cfg->linux.cgroups_path, o->id, err)) == NULL)
    goto out;
  fill_state_base (&c.state, cfg, o->id, bundle, rootfs, cgpath);
  /* Record the cgroup before creating it: a create killed from here on leaves state
   * that `delete --force` can find and remove. */
  if (clr_state_write (c.dirfd, &c.state, err) < 0
      || clr_write_file_atomic_at (c.dirfd, "config.json", config_data, config_len, 0600, err) < 0)
    goto out;
  if (mkfifoat (c.dirfd, "exec.fifo", 0600) < 0)
    {
      clr_fail (err, errno, "mkfifo exec.fifo");
      goto out;
    }
  /* O_RDWR: opening does not block, and init's read() blocks until `start` writes. */
  c.fifo_fd = openat (c.dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
  if (c.fifo_fd < 0)
    {
      clr_fail (err, errno, "open exec.fifo");
      goto out;
    }
  if (clr_proc_open (&c.procfd, err) < 0)
    goto out;

  /* Namespaces joined by path; the pid namespace is joined here, by the parent, since
   * setns(CLONE_NEWPID) only applies to children. */
  int clone_flags = 0, unshare_flags = 0, join_types[CLR_MAX_JOIN_NS];
  const struct clr_namespace *userns = clr_config_namespace (cfg, CLONE_NEWUSER);
  bool user_joined = userns && userns->path;
  for (size_t i = 0; i < cfg->linux.n_namespaces; i++)
    {
      const struct clr_namespace *ns = &cfg->linux.namespaces[i];
      if (ns->path == NULL)
        {
          if (ns->type == CLONE_NEWCGROUP || (user_joined && ns->type != CLONE_NEWPID))
            unshare_flags |= ns->type;
          else
            clone_flags |= ns->type;
          continue;
        }
      int fd = open_join_ns (ns, i, err);
      if (fd < 0)
        goto out;
      if (ns->type == CLONE_NEWPID)
        {
          c.pidns_fd = fd;
          continue;
        }
      /* user first: the others may belong to it */
      if (ns->type == CLONE_NEWUSER && c.n_join > 0)
        {
          c.join_fds[c.n_join] = c.join_fds[0];
          join_types[c.n_join] = join_types[0];
          c.join_fds[0] = fd;
          join_types[0] = ns->type;
        }
      else
        {
          c.join_fds[c.n_join] = fd;
          join_types[c.n_join] = ns->type;
        }
      c.n_join++;
    }

  if (clr_cgroup_create (cgpath, cfg->linux.resources_json, &c.cg, err) < 0)
    goto out;

  if (cfg->process->terminal
      && clr_console_prepare (o->console_socket, &c.console_fd, &c.console_keep, err) < 0)
    goto out;

  int sp[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    {
      clr_fail (err, errno, "socketpair");
      goto out;
    }
  c.sync_parent = sp[0];
  c.sync_child = sp[1];

  if (c.pidns_fd >= 0 && setns (c.pidns_fd, CLONE_NEWPID) < 0)
    {
      clr_fail (err, errno, "join pid namespace %s", clr_config_namespace (cfg, CLONE_NEWPID)->path);
      goto out;
    }

  if (cfg->linux.has_time_offsets)
    {
      /* Offsets can only be set while no process is in the namespace: make it ours
       * for children only (unshare does not move the caller), set them, and let init
       * be born into it. */
      char offs[128];
      snprintf (offs, sizeof offs, "monotonic %lld %u\nboottime %lld %u\n",
                (long long) cfg->linux.time_offset_monotonic_secs, cfg->linux.time_offset_monotonic_nanosecs,
                (long long) cfg->linux.time_offset_boottime_secs, cfg->linux.time_offset_boottime_nanosecs);
      if (unshare (CLONE_NEWTIME) < 0)
        {
          clr_fail (err, errno, "linux.timeOffsets: unshare the time namespace");
          goto out;
        }
      if (clr_proc_write (c.procfd, "self/timens_offsets", offs, err) < 0)
        {
          clr_wrap (err, "linux.timeOffsets");
          goto out;
        }
      clone_flags &= ~CLONE_NEWTIME;
    }

  bool into_cgroup = false;
  c.pid = clone_init (clone_flags, c.cg->unified_fd, &c.pidfd, &into_cgroup);
  if (c.pid < 0)
    {
      clr_fail (err, errno, "clone3 container init");
      goto out;
    }
  if (c.pid == 0)
    {
      struct clr_init_args a = {
        .cfg = cfg,
        .id = o->id,
        .bundle = bundle,
        .rootfs = rootfs,
        .sync_fd = c.sync_child,
        .fifo_fd = c.fifo_fd,
        .console_fd = c.console_fd,
        .preserve_fds = o->preserve_fds,
        .no_pivot = o->no_pivot,
        .no_new_keyring = o->no_new_keyring,
        .new_userns = (clone_flags & CLONE_NEWUSER) != 0,
        .n_join = c.n_join,
        .unshare_flags = unshare_flags,
        .seccomp = c.seccomp,
        .state = &c.state,
        .extra_env = o->extra_env,
        .die_with_parent = o->die_with_parent,
      };
      memcpy (a.join_fds, c.join_fds, sizeof a.join_fds);
      memcpy (a.join_types, join_types, sizeof a.join_types);
      close (c.sync_parent);
      clr_init_main (&a);
    }
  close (c.sync_child);
  c.sync_child = -1;
  c.state.pid = c.pid;

  if (clone_flags & CLONE_NEWUSER)
    {
      if (map_ids (c.procfd, c.pid, "uid_map", cfg->linux.uid_mappings, cfg->linux.n_uid_mappings, err) < 0
          || map_ids (c.procfd, c.pid, "gid_map", cfg->linux.gid_mappings, cfg->linux.n_gid_mappings, err) < 0)
        goto out;
    }
  if (g->systemd_cgroup)
    {
      /* init is parked (it waits for GO) in the cgroup we made: the scope adopts it and
       * the directory (PIDs=[init]); starting the unit resets its controller files to
       * systemd's defaults, so the limits are written again once the job is done. */
      cleanup_free char *desc = xasprintf ("clawrun container %s", o->id);
      if (clr_systemd_start_scope (cfg->linux.cgroups_path, o->id, c.pid, desc, err) < 0)
        goto out;
      c.scope_started = true;
    }
  if (clr_cgroup_enter (c.cg, c.pid, into_cgroup, err) < 0)
    goto out;
  if (c.scope_started && clr_systemd_apply_resources (c.cg, cfg->linux.resources_json, err) < 0)
    goto out;
  if (cfg->process->has_oom_score_adj)
    {
      char rel[64], val[32];
      snprintf (rel, sizeof rel, "%d/oom_score_adj", c.pid);
      snprintf (val, sizeof val, "%d", cfg->process->oom_score_adj);
      if (clr_proc_write (c.procfd, rel, val, err) < 0)
        {
          clr_wrap (err, "process.oomScoreAdj");
          goto out;
        }
    }
  if (clr_sync_send (c.sync_parent, CLR_SYNC_GO, c.pid, NULL, err) < 0)
    goto out;
  if (drive_init (&c, cfg, err) < 0)
    goto out;

  c.state.pid_start = clr_proc_start_time (c.pid);
  c.state.creating = false;
  if (clr_state_write (c.dirfd, &c.state, err) < 0)
    goto out;
  if (o->pid_file && clr_write_pid_file (o->pid_file, c.pid, err) < 0)
    goto out;
  if (c.console_keep >= 0 && clr_recv_fd (c.console_keep, &out->tty_master, err) < 0)
    goto out;
  ret = 0;
  out->pid = c.pid;
  out->pidfd = clr_steal_fd (&c.pidfd);
out:
  create_ctx_cleanup (&c, ret < 0);
  return ret;
}

/* ---- load / start / kill / delete ---- */

int
clr_container_load (const struct clr_globals *g, const char *id, bool lock, struct clr_container *c,
                    clr_err *err)
{
  memset (c, 0, sizeof *c);
  c->rootfd = c->dirfd = c->pidfd = -1;
  if (clr_validate_id (id, err) < 0)
    return -1;
  if (clr_root_open (g->root, false, &c->rootfd, err) < 0)
    {
      if (err->code == ENOENT)
        {
          clr_fail (err, 0, "container %s does not exist", id);
          err->code = ENOENT;
        }
      return -1;
    }
  if (clr_state_dir_open (c->rootfd, id, lock, &c->dirfd, err) < 0)
    goto fail;
  if (clr_state_read (c->dirfd, &c->state, err) < 0)
    goto fail;
  if (clr_state_status (c->dirfd, c->state, &c->status, &c->pidfd, err) < 0)
    goto fail;
  return 0;
fail:
  clr_container_release (c);
  return -1;
}

void
clr_container_release (struct clr_container *c)
{
  if (c->state)
    clr_state_free (c->state);
  c->state = NULL;
  int *fds[] = { &c->rootfd, &c->dirfd, &c->pidfd };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (fds); i++)
    if (*fds[i] >= 0)
      {
        close (*fds[i]);
        *fds[i] = -1;
      }
}


int
clr_container_start (const struct clr_globals *g, const char *id, clr_err *err)
{
  cleanup_container struct clr_container c;
  if (clr_container_load (g, id, true, &c, err) < 0)
    return -1;
  if (c.status != CLR_STATUS_CREATED)
    return clr_fail (err, 0, "cannot start a container that is %s (it must be created)",
                     clr_status_name (c.status));
  cleanup_config struct clr_config *cfg = NULL;
  if (clr_state_load_config (c.dirfd, &cfg, err) < 0)
    return -1;
  /* O_NONBLOCK: with init gone there is no reader and this fails (ENXIO) at once. */
  cleanup_close int fd = openat (c.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return clr_fail (err, errno, "container not running: open exec.fifo");
  if (write (fd, "1", 1) != 1)
    return clr_fail (err, errno, "write exec.fifo");
  unlinkat (c.dirfd, "exec.fifo", 0);
  clr_err herr = { 0 };
  if (run_hooks_with_state (cfg, CLR_HOOK_POSTSTART, c.state, CLR_STATUS_RUNNING, &herr) < 0)
    clr_warn ("%s", herr.msg);
  return 0;
}

static bool
is_alive (enum clr_status s)
{
  return s == CLR_STATUS_CREATED || s == CLR_STATUS_RUNNING || s == CLR_STATUS_PAUSED
         || s == CLR_STATUS_CREATING;
}

int
clr_container_kill (const struct clr_globals *g, const char *id, int sig, bool all, clr_err *err)
{
  cleanup_container struct clr_container c;
  if (clr_container_load (g, id, false, &c, err) < 0)
    return -1;
  if (all)
    {
      cleanup_cgroup struct clr_cgroup *cg = NULL;
      if (clr_cgroup_open (c.state->cgroup_path, &cg, err) < 0)
        return -1;
      if (c.pidfd < 0)
        {
          /* runc: kill --all on a stopped container is fine when processes remain */
          pid_t *pids = NULL;
          size_t n = 0;
          if (clr_cgroup_pids (cg, &pids, &n, err) < 0)
            return -1;
          free (pids);
          if (n == 0)
            return clr_fail (err, 0, "container not running");
        }
      if (clr_cgroup_kill (cg, sig, err) < 0)
        return -1;
      /* A paused container must see its signal: thaw it after SIGKILL */
      if (c.status == CLR_STATUS_PAUSED && sig == SIGKILL)
        clr_cgroup_freeze (cg, false, err);
      return 0;
    }
  if (c.pidfd < 0 || !is_alive (c.status))
    return clr_fail (err, 0, "container not running");
  if (clr_pidfd_send_signal (c.pidfd, sig) < 0)
    {
      if (errno == ESRCH)
        return clr_fail (err, 0, "container not running");
      return clr_fail (err, errno, "kill container %s", id);
    }
  return 0;
}

/* Kill everything, remove the cgroup and the state.  Called with the dir locked. */
static int
destroy (struct clr_container *c, const char *id, bool systemd, clr_err *err)
{
  cleanup_cgroup struct clr_cgroup *cg = NULL;
  if (c->state->cgroup_path && clr_cgroup_open (c->state->cgroup_path, &cg, err) == 0)
    {
      if (clr_cgroup_destroy (cg, err) < 0)
        return -1;
    }
  else if (c->state->cgroup_path)
    return -1;
  /* The cgroup is empty and gone: stopping the scope is immediate (systemd has usually
   * collected it already: NoSuchUnit is fine).  Without systemd there is no unit. */
  cleanup_free char *unit = systemd && clr_systemd_available () ? clr_systemd_unit_from_path (c->state->cgroup_path)
                                                                : NULL;
  if (unit && clr_systemd_stop_scope (unit, err) < 0)
    return -1;
  if (c->pidfd >= 0)
    {
      /* init outside its cgroup (only if someone moved it): kill it by pidfd too */
      clr_pidfd_send_signal (c->pidfd, SIGKILL);
      struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
      poll (&p, 1, 5000);
    }
  cleanup_config struct clr_config *cfg = NULL;
  clr_err cerr = { 0 };
  if (clr_state_load_config (c->dirfd, &cfg, &cerr) == 0)
    {
      clr_err herr = { 0 };
      if (run_hooks_with_state (cfg, CLR_HOOK_POSTSTOP, c->state, CLR_STATUS_STOPPED, &herr) < 0)
        clr_warn ("%s", herr.msg);
    }
  /* a session runner killed with -9 leaves its (by then empty) session directory */
  cleanup_free char *sessdir = xasprintf ("sessions/%s", id);
  unlinkat (c->rootfd, sessdir, AT_REMOVEDIR);
  return clr_state_dir_remove (c->rootfd, id, err);
}

int
clr_container_delete (const struct clr_globals *g, const char *id, bool force, clr_err *err)
{
  cleanup_container struct clr_container c;
  memset (&c, 0, sizeof c);
  c.rootfd = c.dirfd = c.pidfd = -1;
  if (clr_validate_id (id, err) < 0)
    return -1;
  if (clr_root_open (g->root, false, &c.rootfd, err) < 0
      || clr_state_dir_open (c.rootfd, id, true, &c.dirfd, err) < 0)
    {
      if (err->code != ENOENT)
        return -1;
      if (force)
        return 0; /* gone already: a second `delete --force` succeeds (the shim does that) */
      return clr_fail (err, 0, "container %s does not exist", id), err->code = ENOENT, -1;
    }
  if (clr_state_read (c.dirfd, &c.state, err) < 0)
    {
      /* A create killed before it wrote state.json had created nothing else yet. */
      if (!force)
        return clr_wrap (err, "container %s", id);
      return clr_state_dir_remove (c.rootfd, id, err);
    }
  if (clr_state_status (c.dirfd, c.state, &c.status, &c.pidfd, err) < 0)
    return -1;
  if (!force && (c.status == CLR_STATUS_RUNNING || c.status == CLR_STATUS_PAUSED))
    return clr_fail (err, 0, "cannot delete container %s that is not stopped: %s", id,
                     clr_status_name (c.status));
  return destroy (&c, id, g->systemd_cgroup, err);
}
