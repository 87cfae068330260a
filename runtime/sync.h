/* clawrun: the parent <-> child protocol over a SOCK_SEQPACKET socketpair.
 *
 * Every message has one fixed size and is checked on receipt (a short, long or
 * unknown message is an error): the bug class of CVE-2021-43784 (length overflow in
 * runc's internal messages) has nothing to overflow here. */
#ifndef CLAWRUN_SYNC_H
#define CLAWRUN_SYNC_H

#include <stdint.h>

#include "error.h"

enum clr_sync_type {
  CLR_SYNC_GO = 1,        /* parent -> child: cgroup joined, id maps written; payload: host pid */
  CLR_SYNC_HOOKS,         /* child -> parent: run prestart + createRuntime hooks now */
  CLR_SYNC_HOOKS_DONE,    /* parent -> child */
  CLR_SYNC_READY,         /* child -> parent: set up, about to block on exec.fifo / exec */
  CLR_SYNC_ERROR,         /* either way: payload err */
};

struct clr_sync_msg {
  uint32_t type;
  int32_t pid;
  clr_err err;
};

int clr_sync_send (int fd, uint32_t type, int32_t pid, const clr_err *e, clr_err *err);
/* Receive one message; EOF is an error ("WHO exited before ..."). */
int clr_sync_recv (int fd, struct clr_sync_msg *m, clr_err *err);
/* Receive and require TYPE; a CLR_SYNC_ERROR message is copied into ERR (returns -1). */
int clr_sync_expect (int fd, uint32_t type, struct clr_sync_msg *m, clr_err *err);

#endif
