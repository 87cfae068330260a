/* clawrun: container state on disk, in ROOT/<id>/.
 *
 *   state.json   what clawrun knows about the container (written atomically)
 *   config.json  the bundle's config as it was at create time
 *   exec.fifo    exists from create until start: init blocks reading it
 *
 * One flock(2) on the directory serialises commands on the same container; mkdir(2)
 * of the directory decides a create race on one id (exactly one winner).
 */
#ifndef CLAWRUN_STATE_H
#define CLAWRUN_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

#define CLR_DEFAULT_ROOT "/run/clawrun"
#define CLR_OCI_VERSION "1.2.0"
#define CLR_ID_MAX 1024

enum clr_status {
  CLR_STATUS_CREATING = 0,
  CLR_STATUS_CREATED,
  CLR_STATUS_RUNNING,
  CLR_STATUS_PAUSED,
  CLR_STATUS_STOPPED,
};

struct clr_state {
  char *id;
  pid_t pid;            /* host pid of init; 0 until create has finished */
  uint64_t pid_start;   /* /proc/<pid>/stat start time: guards against pid reuse */
  bool creating;        /* create has not finished (or was interrupted) */
  char *bundle;
  char *rootfs;
  char *created;        /* RFC 3339 */
  char *owner;          /* "" (runc leaves it empty for root) */
  char *cgroup_path;    /* absolute cgroup path */
  char **annotation_keys;   /* parallel NULL-terminated vectors */
  char **annotation_values;
};

const char *clr_status_name (enum clr_status s);

int clr_validate_id (const char *id, clr_err *err);

/* mkdir -p ROOT (0700) and open it. */
int clr_root_open (const char *root, bool create, int *rootfd, clr_err *err);

/* mkdir ROOT/ID (the create race is decided here) and return a locked dirfd. */
int clr_state_dir_create (int rootfd, const char *id, int *dirfd, clr_err *err);
/* Open and lock ROOT/ID; "container \"ID\" does not exist" (code ENOENT) when missing. */
int clr_state_dir_open (int rootfd, const char *id, bool lock, int *dirfd, clr_err *err);
/* Remove ROOT/ID entirely. */
int clr_state_dir_remove (int rootfd, const char *id, clr_err *err);

int clr_state_write (int dirfd, const struct clr_state *st, clr_err *err);
int clr_state_read (int dirfd, struct clr_state **out, clr_err *err);
void clr_state_free (struct clr_state *st);
static inline void clr_state_freep (struct clr_state **s)
{
  if (*s)
    clr_state_free (*s);
}
#define cleanup_state __attribute__ ((cleanup (clr_state_freep)))

/* Live status: checks the pid (and its start time), exec.fifo, and the freezer.
 * *PIDFD (optional) receives a pidfd for init when it is alive. */
int clr_state_status (int dirfd, const struct clr_state *st, enum clr_status *status, int *pidfd,
                      clr_err *err);

/* The OCI state document (runtime-spec "State"), as passed to hooks and printed by
 * `state` (PRETTY adds rootfs/created/owner and indentation, as runc prints). */
char *clr_state_json (const struct clr_state *st, enum clr_status status, bool pretty);

/* Load the config copy kept in the state dir. */
int clr_state_load_config (int dirfd, struct clr_config **cfg, clr_err *err);

#endif
