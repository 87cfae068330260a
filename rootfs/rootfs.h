/* clawrun: the container's filesystem view: mounts, /dev, masked and read-only
 * paths, pivot_root.  Runs in the container's init, inside its new mount namespace.
 *
 * Every mount target is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) to an O_PATH fd and mounted onto that fd with the new mount
 * API (open_tree/fsopen/fsmount/move_mount), never onto a path string joined with the
 * rootfs (CVE-2021-30465); missing targets are created with mkdirat/openat relative to
 * fds resolved the same way, never with a host-side mkdir -p (CVE-2024-45310).
 */
#ifndef CLAWRUN_ROOTFS_H
#define CLAWRUN_ROOTFS_H

#include <stdbool.h>

#include "../runtime/config.h"
#include "../runtime/error.h"

struct clr_rootfs_ctx {
  const struct clr_config *cfg;
  const char *rootfs;     /* absolute host path of the root filesystem */
  const char *bundle;     /* absolute bundle path (relative bind sources are relative to it) */
  bool no_pivot;          /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  bool new_userns;        /* container has its own user namespace: bind-mount device
                             nodes from the host instead of mknod */
  bool new_cgroupns;      /* a cgroup mount shows the container's own cgroup (cgroupns) */
  int rootfd;             /* set by clr_rootfs_prepare: O_PATH fd of the rootfs; -1 before */
};

/* Before pivot_root: make the mount tree private/slave (rootfsPropagation), turn the
 * rootfs into a mount point, perform every entry of "mounts" in order, create /dev
 * (a fresh tmpfs when the config has no /dev mount), the default devices and
 * linux.devices, and the /dev symlinks.  createContainer hooks run after this. */
int clr_rootfs_prepare (struct clr_rootfs_ctx *ctx, clr_err *err);

/* pivot_root (or chroot with no_pivot) into the rootfs, then masked paths, read-only
 * paths, root.readonly and rootfsPropagation.  Afterwards "/" is the container root
 * and ctx->rootfd is closed. */
int clr_rootfs_pivot (struct clr_rootfs_ctx *ctx, clr_err *err);

/* After pivot: bind-mount the pty slave (an fd) onto /dev/console. */
int clr_rootfs_mount_console (int slave_fd, clr_err *err);

/* Safe resolution helper, shared with others that touch paths in the rootfs:
 * open PATH (absolute or relative, interpreted inside ROOTFD) with
 * RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS and FLAGS (O_PATH etc.).  With MKDIR, missing
 * directories are created (mode 0755) component by component; with MKFILE the last
 * component is created as an empty regular file instead of a directory. */
enum { CLR_RESOLVE_NOCREATE = 0, CLR_RESOLVE_MKDIR = 1, CLR_RESOLVE_MKFILE = 2 };
int clr_open_in_root (int rootfd, const char *path, int flags, int create, clr_err *err);

#endif
