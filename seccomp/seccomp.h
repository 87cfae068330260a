/* clawrun: the OCI seccomp section, compiled with libseccomp. */
#ifndef CLAWRUN_SECCOMP_H
#define CLAWRUN_SECCOMP_H

#include <stdbool.h>

#include "../runtime/config.h"
#include "../runtime/error.h"

struct clr_seccomp_filter; /* a compiled filter, ready to load */

/* Build the filter from SC.  Unknown syscall names are skipped (the kernel or libseccomp
 * may not know them: same as runc/crun); an unknown action, architecture, flag or
 * operator is an error, as are (like runc) SCMP_ACT_NOTIFY as default action or for
 * `write`, SCMP_ACT_NOTIFY without listenerPath, and errnoRet on an action other than
 * SCMP_ACT_ERRNO/SCMP_ACT_TRACE.  Done before the container is started so that errors
 * surface at `create`. */
int clr_seccomp_compile (const struct clr_seccomp *sc, struct clr_seccomp_filter **out,
                         clr_err *err);

/* Load it into the calling thread/process (last step before execve).  When the
 * profile uses SCMP_ACT_NOTIFY, *NOTIFY_FD receives the listener fd (else -1); it is
 * O_CLOEXEC and owned by the caller. */
int clr_seccomp_load (struct clr_seccomp_filter *f, int *notify_fd, clr_err *err);

/* Hand NOTIFY_FD to the listener at LISTENER_PATH (unix socket): one message whose
 * payload is the container state JSON (runtime-spec "containerProcessState": version,
 * fds ["seccompFd"], pid, metadata, state) with the fd in SCM_RIGHTS. */
int clr_seccomp_send_notify (const char *listener_path, const char *metadata, int notify_fd,
                             const char *state_json, clr_err *err);

void clr_seccomp_filter_free (struct clr_seccomp_filter *f);

/* Names for `features` (NULL-terminated). */
extern const char *const clr_seccomp_actions[];
extern const char *const clr_seccomp_operators[];
extern const char *const clr_seccomp_archs[];
extern const char *const clr_seccomp_flags[];

#endif
