/* clawrun: linux.resources -> cgroup files (v1 and v2). */
#ifndef CLAWRUN_CGROUP_RESOURCES_H
#define CLAWRUN_CGROUP_RESOURCES_H

#include "cgroup.h"

/* Write the limits of RESOURCES_JSON (a yajl_val: the object under linux.resources; NULL
 * means nothing to do) into CG, as cgroup v1 or v2 files per CG->mode.  The whole object
 * is validated before anything is written, so a type error changes nothing.  A limit the
 * host cannot apply is an error naming the file and the value.  For `update`: devices are
 * rewritten only when the object has a "devices" member. */
int clr_cgroup_apply_resources (struct clr_cgroup *cg, const void *resources_json, clr_err *err);

#endif
