#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sync.h"

int
clr_sync_send (int fd, uint32_t type, int32_t pid, const clr_err *e, clr_err *err)
{
  struct clr_sync_msg m;
  memset (&m, 0, sizeof m);
  m.type = type;
  m.pid = pid;
  if (e)
    m.err = *e;
  ssize_t r;
  do
    r = send (fd, &m, sizeof m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r != (ssize_t) sizeof m)
    return clr_fail (err, r < 0 ? errno : EIO, "sync: send");
  return 0;
}

int
clr_sync_recv (int fd, struct clr_sync_msg *m, clr_err *err)
{
  ssize_t r;
  do
    r = recv (fd, m, sizeof *m, MSG_TRUNC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return clr_fail (err, errno, "sync: receive");
  if (r == 0)
    return clr_fail (err, EPIPE, "sync: the other side exited");
  if (r != (ssize_t) sizeof *m || m->type < CLR_SYNC_GO || m->type > CLR_SYNC_ERROR)
    return clr_fail (err, EPROTO, "sync: malformed message (%zd bytes)", r);
  m->err.msg[sizeof m->err.msg - 1] = '\0';
  return 0;
}

int
clr_sync_expect (int fd, uint32_t type, struct clr_sync_msg *m, clr_err *err)
{
  if (clr_sync_recv (fd, m, err) < 0)
    return -1;
  if (m->type == CLR_SYNC_ERROR)
    {
      *err = m->err;
      return -1;
    }
  if (m->type != type)
    return clr_fail (err, EPROTO, "sync: unexpected message %u (wanted %u)", m->type, type);
  return 0;
}
