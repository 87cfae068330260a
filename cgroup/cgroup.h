/* clawrun: cgroup layer.  Detects the host's mode at run time (pure v2, hybrid = v1
 * controllers + an empty cgroup2 at /sys/fs/cgroup/unified, or legacy v1) and hides it
 * behind one handle.
 *
 * Paths are cgroup paths ("/clawrun/<id>"), the same in every hierarchy.  Never nest
 * under the caller's own cgroup: on the build machines the caller lives in the host's
 * control cgroup (process_api) that must never be touched (shared/design/testenv.md).
 */
#ifndef CLAWRUN_CGROUP_H
#define CLAWRUN_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../runtime/error.h"

enum clr_cgroup_mode {
  CLR_CGROUP_UNIFIED = 0, /* cgroup2 at /sys/fs/cgroup */
  CLR_CGROUP_HYBRID,      /* v1 controllers; cgroup2 (no controllers) at /sys/fs/cgroup/unified */
  CLR_CGROUP_LEGACY,      /* v1 only */
};

struct clr_cgroup {
  enum clr_cgroup_mode mode;
  char *path;             /* absolute cgroup path, e.g. "/clawrun/abc" */
  int unified_fd;         /* O_DIRECTORY fd of the cgroup2 directory (v2, or hybrid's
                             unified mount); -1 if none.  For clone3(CLONE_INTO_CGROUP)
                             and for attaching cgroup BPF programs. */
};

/* The host's mode (cached per process is fine: it is derived, not configured). */
int clr_cgroup_detect_mode (enum clr_cgroup_mode *mode, clr_err *err);

/* The cgroup path to use: CGROUPS_PATH when absolute; "/clawrun/<CGROUPS_PATH>" when
 * relative; "/clawrun/<ID>" when NULL.  Returns a malloc'd string. */
char *clr_cgroup_resolve_path (const char *cgroups_path, const char *id);

/* Create the cgroup in every hierarchy (all v1 controllers and/or the unified one),
 * copying cpuset.cpus/mems down on v1, and apply RESOURCES_JSON (a yajl_val of
 * linux.resources, may be NULL).  On failure nothing is left behind. */
int clr_cgroup_create (const char *path, const void *resources_json, struct clr_cgroup **out,
                       clr_err *err);

/* Open the handle of an existing cgroup (for kill/ps/delete/exec/pause).  A cgroup that
 * no longer exists anywhere is not an error: the handle is returned with unified_fd -1
 * and the other calls treat it as empty. */
int clr_cgroup_open (const char *path, struct clr_cgroup **out, clr_err *err);

/* Move PID into the cgroup in every hierarchy.  SKIP_UNIFIED when it is already there
 * (clone3 with CLONE_INTO_CGROUP on unified_fd). */
int clr_cgroup_enter (struct clr_cgroup *cg, pid_t pid, bool skip_unified, clr_err *err);

/* All pids in the cgroup (and its descendants), host pid namespace.  *PIDS malloc'd. */
int clr_cgroup_pids (struct clr_cgroup *cg, pid_t **pids, size_t *n, clr_err *err);

/* Send SIG to every process in the cgroup.  For SIGKILL on v2 this is cgroup.kill;
 * on v1 the cgroup is frozen first so nothing can fork past the kill. */
int clr_cgroup_kill (struct clr_cgroup *cg, int sig, clr_err *err);

/* Freeze / thaw (cgroup.freeze on v2, freezer.state on v1); and query. */
int clr_cgroup_freeze (struct clr_cgroup *cg, bool frozen, clr_err *err);
int clr_cgroup_is_frozen (struct clr_cgroup *cg, bool *frozen, clr_err *err);

/* Kill what is left, wait for the cgroup to empty (bounded), and rmdir it in every
 * hierarchy, plus its parents up to and including "/clawrun" when they are empty.
 * Missing directories are fine (idempotent: delete --force twice). */
int clr_cgroup_destroy (struct clr_cgroup *cg, clr_err *err);

void clr_cgroup_free (struct clr_cgroup *cg);
static inline void clr_cgroup_freep (struct clr_cgroup **c)
{
  if (*c)
    clr_cgroup_free (*c);
}
#define cleanup_cgroup __attribute__ ((cleanup (clr_cgroup_freep)))

#endif
