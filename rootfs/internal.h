/* clawrun: private declarations shared by the files of rootfs/. */
#ifndef CLAWRUN_ROOTFS_INTERNAL_H
#define CLAWRUN_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rootfs.h"

/* What one clr_rootfs_prepare() call knows; lives on its stack (no global state). */
struct clr_rootfs_state {
  struct clr_rootfs_ctx *ctx;
  const struct clr_config *cfg;
  int rootfd;               /* == ctx->rootfd */
  bool new_netns;           /* the container gets a network namespace of its own */
  bool dev_is_bind;         /* the config bind-mounts /dev: it is the host's, leave it alone */
  bool dev_ro;              /* the /dev mount asked for ro: applied after the devices exist */
  bool has_devpts;          /* devpts mounted at /dev/pts */
  bool has_shm;             /* something mounted at /dev/shm */
  int cgroup_unified;       /* -1 not looked yet, 0 v1/hybrid host, 1 unified host */
  char *proc_cgroup;        /* /proc/self/cgroup, read on first use (malloc'd) */
};

/* ---- resolve.c ---- */

/* openat2(DIRFD, PATH, FLAGS|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS), retried on
 * EAGAIN.  Returns the fd or -1 with errno. */
int rootfs_openat2 (int dirfd, const char *path, int flags);

/* clr_open_in_root() that also says whether the last component had to be created. */
int rootfs_open_in_root (int rootfd, const char *path, int flags, int create, bool *created,
                         clr_err *err);

/* The same, for a caller whose own openat2 of PATH just said ENOENT. */
int rootfs_create_in_root (int rootfd, const char *path, int flags, int create, bool *created,
                           clr_err *err);

/* Lexical clean of an absolute path ("//dev/./pts/" -> "/dev/pts", ".." above / stays at /).
 * Returns false when it does not fit. */
bool rootfs_path_clean (const char *in, char *out, size_t len);
bool rootfs_path_eq (const char *a, const char *b);

/* ---- mount.c ---- */

/* Perform one "mounts" entry (or a synthesized one, e.g. the default /dev tmpfs). */
int rootfs_do_mount (struct clr_rootfs_state *st, const struct clr_mount *m, clr_err *err);

/* Clone the mount at SRC_FD ("" + AT_EMPTY_PATH) or at host path SRC and attach it on
 * TARGET (an O_PATH fd).  WHAT and DEST are for messages. */
int rootfs_bind_fd (int src_fd, const char *src, int target, const char *dest, clr_err *err);

/* ---- dev.c ---- */

/* Default devices, linux.devices, /dev/pts, /dev/shm, /dev/ptmx and the /dev/fd links. */
int rootfs_setup_dev (struct clr_rootfs_state *st, clr_err *err);

#endif
