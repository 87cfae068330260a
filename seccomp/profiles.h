/* clawrun: built-in seccomp profiles for sandbox sessions (`clawrun run --image`).
 *
 *   default     Docker's default profile semantics (allowlist, default ERRNO(EPERM))
 *               plus the extra refusals of shared/design/security.md: io_uring_*, bpf,
 *               perf_event_open, userfaultfd, keyctl/add_key/request_key, ptrace,
 *               kexec_*, open_by_handle_at, mount/umount2/pivot_root, unshare/clone/clone3
 *               with namespace flags, socket(AF_PACKET), ioctl(TIOCSTI/TIOCLINUX)
 *   strict      default minus what an agent session rarely needs
 *   unconfined  no filter
 *   FILE        a JSON file holding an OCI "seccomp" object
 */
#ifndef CLAWRUN_SECCOMP_PROFILES_H
#define CLAWRUN_SECCOMP_PROFILES_H

#include "../runtime/config.h"
#include "../runtime/error.h"

/* Build the named profile into ARENA.  *OUT is NULL for "unconfined". */
int clr_seccomp_profile (const char *name, struct clr_arena *arena, struct clr_seccomp **out,
                         clr_err *err);

/* Serialize a seccomp section as OCI JSON into an open yajl_gen map value position
 * (used by --dry-run and to write the session's config.json).  G is a yajl_gen. */
void clr_seccomp_to_json (const struct clr_seccomp *sc, void *g);

#endif
