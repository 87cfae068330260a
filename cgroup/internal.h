/* clawrun: private part of the cgroup layer, shared by the cgroup layer's .c files. */
#ifndef CLAWRUN_CGROUP_INTERNAL_H
#define CLAWRUN_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

#define CLR_CGROUP_ROOT "/sys/fs/cgroup"

/* One mounted hierarchy. */
struct clr_cg_hier
{
  char *mount;        /* mount point, e.g. "/sys/fs/cgroup/memory" */
  char **controllers; /* v1: "cpu", "cpuacct", "name=systemd", ...; NULL for cgroup2 */
  bool unified;       /* cgroup2 */
};

/* The real handle: the public struct first, so a struct clr_cgroup * handed out by
 * create/open can be turned back into this (the header stays free of hierarchy details). */
struct clr_cg_priv
{
  struct clr_cgroup pub;
  struct clr_cg_hier *hier;
  size_t n_hier;
};

static inline struct clr_cg_priv *
clr_cg_priv (struct clr_cgroup *cg)
{
  return (struct clr_cg_priv *) cg;
}

/* The v1 hierarchy that holds CONTROLLER ("memory", "name=systemd"), or NULL. */
const struct clr_cg_hier *clr_cg_v1_hier (struct clr_cgroup *cg, const char *controller);
/* The cgroup2 hierarchy (pure v2 or hybrid's unified mount), or NULL. */
const struct clr_cg_hier *clr_cg_unified_hier (struct clr_cgroup *cg);
/* "<mount><cgroup path>", malloc'd. */
char *clr_cg_dir (struct clr_cgroup *cg, const struct clr_cg_hier *h);

static inline bool
clr_cg_is_v2 (struct clr_cgroup *cg)
{
  return cg->mode == CLR_CGROUP_UNIFIED;
}

/* The directory with CONTROLLER's files: the cgroup2 directory on pure v2, the
 * controller's v1 hierarchy otherwise; NULL (malloc'd otherwise) when the host has
 * none. */
static inline char *
clr_cg_ctrl_dir (struct clr_cgroup *cg, const char *controller)
{
  const struct clr_cg_hier *h
      = clr_cg_is_v2 (cg) ? clr_cg_unified_hier (cg) : clr_cg_v1_hier (cg, controller);
  return h ? clr_cg_dir (cg, h) : NULL;
}

/* Does the whitespace-separated LIST contain WORD? */
bool clr_cg_has_word (const char *list, const char *word);

/* linux.resources, parsed and validated up front so that a bad config touches nothing. */
struct clr_cg_res;
int clr_cg_res_parse (const void *resources_json, struct clr_cg_res **out, clr_err *err);
/* CREATING: first application (create): the device allow-list is always written, even
 * without linux.resources.devices, as runc does. */
int clr_cg_res_apply (struct clr_cgroup *cg, const struct clr_cg_res *res, bool creating,
                      clr_err *err);
void clr_cg_res_free (struct clr_cg_res *res);
static inline void
clr_cg_res_freep (struct clr_cg_res **r)
{
  if (*r)
    clr_cg_res_free (*r);
}
#define cleanup_cg_res __attribute__ ((cleanup (clr_cg_res_freep)))

#endif
