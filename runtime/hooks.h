/* clawrun: OCI hooks (prestart, createRuntime, createContainer, startContainer,
 * poststart, poststop). */
#ifndef CLAWRUN_HOOKS_H
#define CLAWRUN_HOOKS_H

#include "config.h"
#include "error.h"

/* Run every hook of LIST in order: fork, execve(path, args, env) with the state JSON
 * on stdin, stdout/stderr inherited; a hook with a timeout is killed (SIGKILL) when
 * it runs longer.  Stops at the first hook that fails (non-zero exit, signal, timeout,
 * exec failure) and returns -1 with an error naming the hook kind, index and path:
 * "createRuntime hook #1 (/usr/bin/foo): exited with status 3". */
int clr_hooks_run (const struct clr_hook_list *list, enum clr_hook_kind kind,
                   const char *state_json, clr_err *err);

const char *clr_hook_kind_name (enum clr_hook_kind kind); /* "createRuntime" */

#endif
