/* clawrun: running another process in a container (`exec`) and waiting for
 * foreground processes (`run`, `exec` without --detach). */
#ifndef CLAWRUN_EXEC_H
#define CLAWRUN_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "commands.h"
#include "error.h"

struct clr_exec_opts {
  const char *process_file;    /* --process: a runtime-spec process JSON */
  char **args;                 /* otherwise: ARGS after the id ... */
  char **env;                  /* --env K=V (added to the container's env, overriding) */
  const char *cwd;             /* --cwd */
  const char *user;            /* --user uid[:gid] */
  char **additional_gids;      /* --additional-gids */
  char **caps;                 /* --cap CAP_X */
  bool tty;                    /* --tty */
  bool no_new_privs;           /* --no-new-privs */
  const char *console_socket;
  bool detach;
  const char *pid_file;
  int preserve_fds;
};

/* Returns the exit status to exit with (the process's when not detached), or -1
 * with ERR filled. */
int clr_container_exec (const struct clr_globals *g, const char *id, const struct clr_exec_opts *o,
                        clr_err *err);

/* Wait for PID (our child), forwarding the signals we receive to it; with TTY_MASTER
 * >= 0 proxy the terminal.  Returns the shell-style status: code, or 128 + signal. */
int clr_wait_foreground (pid_t pid, int pidfd, int tty_master, clr_err *err);

/* Strict "uid[:gid]" (whole-string numbers in range; CVE class of crun's 2026 exec -u
 * misparse). */
int clr_parse_user (const char *s, uint32_t *uid, uint32_t *gid, bool *has_gid, clr_err *err);

#endif
