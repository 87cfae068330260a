/* clawrun: preparing a process for the container's program; shared by the
 * container's init and by `exec`. */
#ifndef CLAWRUN_PROCESS_H
#define CLAWRUN_PROCESS_H

#include <stdbool.h>

#include "../seccomp/seccomp.h"
#include "config.h"
#include "error.h"

/* close every fd >= MIN except those in KEEP (CVE-2024-21626: no host fd may survive
 * into the container, where cwd=/proc/self/fd/N would reach the host). */
int clr_close_fds_except (int min, const int *keep, size_t n_keep);

/* rlimits, ioPriority, scheduler, umask (in the caller). */
int clr_process_apply_attrs (const struct clr_process *p, clr_err *err);

/* chdir(cwd) and verify with getcwd() that it is inside the root (CVE-2024-21626). */
int clr_process_chdir (const struct clr_process *p, clr_err *err);

/* Resolve args[0] with the process's PATH (after chdir and pivot).  The message for a
 * missing program is runc's ("exec: \"x\": executable file not found in $PATH"): Docker
 * maps it to exit status 127. */
int clr_process_find_executable (const struct clr_process *p, char **path, clr_err *err);

/* The environment to exec with: process.env plus HOME from the container's
 * /etc/passwd when process.env has none (as runc does).  malloc'd vector. */
char **clr_process_environ (const struct clr_process *p);

struct clr_finalize_opts {
  struct clr_seccomp_filter *seccomp;   /* NULL: none */
  const char *listener_path;            /* seccomp notify listener */
  const char *listener_metadata;
  const char *state_json;               /* for the listener */
  bool userns;                          /* in a new user namespace (setgroups may be denied) */
};

/* Drop to the process's credentials: bounding set, groups, gid, uid, capabilities
 * (inheritable never beyond ambient: CVE-2022-29162), no_new_privs, and the seccomp
 * filter last (or before dropping capabilities when no_new_privs is off, since loading
 * a filter then needs CAP_SYS_ADMIN). */
int clr_process_finalize (const struct clr_process *p, const struct clr_finalize_opts *o,
                          clr_err *err);

/* Reset signal mask and dispositions and execve.  Never returns: on failure prints
 * the error to stderr and exits 127 (not found) or 126. */
void clr_process_exec (const char *path, char *const argv[], char *const envp[])
    __attribute__ ((noreturn));

/* Open /proc and check it really is procfs (CVE-2019-16884 class: never write through
 * a /proc the container could fake).  Then write DATA to PROCFD/REL, checking the
 * opened file is on procfs too. */
int clr_proc_open (int *procfd, clr_err *err);
int clr_proc_write (int procfd, const char *rel, const char *data, clr_err *err);

#endif
