/* clawrun: the systemd cgroup driver (--systemd-cgroup).
 *
 * runc's semantics: linux.cgroupsPath is "slice:prefix:name" (e.g.
 * "system.slice:docker:<id>"); the container gets a transient scope unit
 * "<prefix>-<name>.scope" in that slice, started over D-Bus with Delegate=yes and the
 * container's init as its only PID.  systemd then owns the unit's cgroup directory and
 * hands its contents to us: limits are still written through cgroupfs (cgroup.h,
 * resources.h) on the path clr_systemd_cgroup_path returns.
 *
 * A name ending in ".slice" asks for a slice unit instead (kubelet's pod cgroups); a slice
 * cannot hold processes in systemd's model, so it is started without PIDs and the caller
 * puts the process in through cgroupfs.
 */
#ifndef CLAWRUN_CGROUP_SYSTEMD_H
#define CLAWRUN_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "../runtime/error.h"
#include "cgroup.h"

/* Is systemd the host's init (sd_booted(): /run/systemd/system exists)?  When it is not,
 * start/stop fail with the message below, before touching anything. */
bool clr_systemd_available (void);

#define CLR_SYSTEMD_NOT_RUNNING                                                              \
  "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); use "     \
  "the default cgroupfs driver"

/* Validate CGROUPS_PATH ("slice:prefix:name"; NULL or "" means
 * "system.slice:clawrun:<ID>", an empty slice means "system.slice") and return the
 * absolute cgroup path systemd will give the unit, malloc'd:
 *   "system.slice:docker:abc" -> "/system.slice/docker-abc.scope"
 *   "a-b.slice:pre:x"         -> "/a.slice/a-b.slice/pre-x.scope"
 *   ":p:system-pod1.slice"    -> "/system.slice/system-pod1.slice"
 * Does not need systemd (pure string work).  NULL with ERR filled when malformed. */
char *clr_systemd_cgroup_path (const char *cgroups_path, const char *id, clr_err *err);

/* The unit name behind a cgroup path clr_systemd_cgroup_path returned (its last
 * component, with systemd's "_" escape undone), malloc'd; NULL when that component is
 * not a .scope or .slice. */
char *clr_systemd_unit_from_path (const char *cgroup_path);

/* Start the transient unit for CGROUPS_PATH/ID (StartTransientUnit, job mode "fail")
 * with PID in it, and wait (at most 10 s) until systemd reports the job "done".
 * DESCRIPTION may be NULL ("clawrun container <id>").  A leftover failed unit of the
 * same name is reset and the start retried once; an existing slice is fine. */
int clr_systemd_start_scope (const char *cgroups_path, const char *id, pid_t pid,
                             const char *description, clr_err *err);

/* Write the container's limits (linux.resources, may be NULL) into CG again once
 * clr_systemd_start_scope has returned: systemd realizing the new unit rewrote its
 * cgroup's controller files to the unit's defaults (memory.max "max", pids.max from
 * DefaultTasksMax, cpu.weight 100, on v1 devices.allow "a").  Create semantics: the
 * device list is always rewritten, not only when the object has "devices". */
int clr_systemd_apply_resources (struct clr_cgroup *cg, const void *resources_json, clr_err *err);

/* Stop UNIT (StopUnit, mode "replace"), wait for the job (at most 10 s) and reset it if
 * it failed.  A unit systemd does not know (already stopped and collected) is not an
 * error.  Call it after the cgroup has been emptied (clr_cgroup_destroy): a scope that
 * still has processes gets SIGTERM and up to TimeoutStopSec (90 s) from systemd. */
int clr_systemd_stop_scope (const char *unit, clr_err *err);

#endif
