/* clawrun: the container lifecycle (library side of create/start/kill/delete). */
#ifndef CLAWRUN_CONTAINER_H
#define CLAWRUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "../seccomp/seccomp.h"
#include "commands.h"
#include "config.h"
#include "error.h"
#include "state.h"

struct clr_create_opts {
  const char *id;
  const char *bundle;          /* NULL: the current directory */
  const char *pid_file;        /* NULL: none */
  const char *console_socket;  /* NULL: none */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool proxy_tty;              /* `run` in the foreground: keep the pty master ourselves */
  /* Sessions: "K=V" added to the process environment right before execve, never
   * written anywhere (secrets); and init dies with the session runner (PDEATHSIG kept
   * to the end, re-armed after the credential change clears it). */
  char *const *extra_env;
  bool die_with_parent;
};

/* What a foreground `run` needs after create. */
struct clr_created {
  pid_t pid;
  int pidfd;                   /* of init (it is our child) */
  int tty_master;              /* with proxy_tty and process.terminal; else -1 */
};

int clr_container_create (const struct clr_globals *g, const struct clr_create_opts *o,
                          struct clr_created *out, clr_err *err);

/* Release init from exec.fifo and run poststart hooks. */
int clr_container_start (const struct clr_globals *g, const char *id, clr_err *err);

/* Signal init (or with ALL every process of the container). */
int clr_container_kill (const struct clr_globals *g, const char *id, int sig, bool all,
                        clr_err *err);

/* Remove a stopped (or, with FORCE, any) container: processes, cgroup, state. */
int clr_container_delete (const struct clr_globals *g, const char *id, bool force, clr_err *err);

/* Open ROOT/ID, read its state and status (for state/ps/exec/pause...). */
struct clr_container {
  int rootfd;
  int dirfd;
  struct clr_state *state;
  enum clr_status status;
  int pidfd;                   /* -1 unless init is alive */
};
int clr_container_load (const struct clr_globals *g, const char *id, bool lock,
                        struct clr_container *c, clr_err *err);
void clr_container_release (struct clr_container *c);
/* For a variable filled by clr_container_load (or zeroed with fds at -1 first). */
static inline void clr_container_releasep (struct clr_container *c)
{
  clr_container_release (c);
}
#define cleanup_container __attribute__ ((cleanup (clr_container_releasep)))

/* --- internal: between container.c and init.c --- */

#define CLR_MAX_JOIN_NS 8

struct clr_init_args {
  const struct clr_config *cfg;
  const char *id;
  const char *bundle;
  const char *rootfs;
  int sync_fd;
  int fifo_fd;
  int console_fd;              /* connected console socket (or our socketpair end); -1 */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool new_userns;
  int join_fds[CLR_MAX_JOIN_NS];   /* namespaces joined by path (pid is joined by the parent) */
  int join_types[CLR_MAX_JOIN_NS];
  size_t n_join;
  int unshare_flags;           /* namespaces the child creates itself (cgroup: after joining
                                  the cgroup, so the namespace is rooted there) */
  struct clr_seccomp_filter *seccomp;
  const struct clr_state *state;   /* for building the state JSON given to hooks */
  char *const *extra_env;
  bool die_with_parent;
};

/* Runs in the cloned child; never returns. */
void clr_init_main (struct clr_init_args *a) __attribute__ ((noreturn));

#endif
