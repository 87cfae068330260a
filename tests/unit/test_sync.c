/* security.md row 10 (CVE-2021-43784): messages between clawrun's processes have one
 * fixed size and are checked on receipt; nothing a peer sends can overflow a buffer. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/sync.h"
#include "tests/unit/tap.h"

static int
pair (int sv[2])
{
  return socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

int
main (void)
{
  int sv[2];
  struct clr_sync_msg m;
  clr_err err = { 0 };

  pair (sv);
  clr_err payload = { .code = EPERM };
  snprintf (payload.msg, sizeof payload.msg, "mount /proc: denied");
  TAP_OK (clr_sync_send (sv[0], CLR_SYNC_ERROR, 7, &payload, &err) == 0, "send an error message");
  TAP_OK (clr_sync_recv (sv[1], &m, &err) == 0 && m.type == CLR_SYNC_ERROR && m.pid == 7
              && m.err.code == EPERM && strcmp (m.err.msg, "mount /proc: denied") == 0,
          "it arrives intact");
  TAP_OK (clr_sync_send (sv[0], CLR_SYNC_ERROR, 0, &payload, &err) == 0
              && clr_sync_expect (sv[1], CLR_SYNC_READY, &m, &err) < 0 && strcmp (err.msg, "mount /proc: denied") == 0,
          "expect() turns an ERROR message into the caller's error");

  char small[16] = { 0 };
  (void) !write (sv[0], small, sizeof small);
  TAP_OK (clr_sync_recv (sv[1], &m, &err) < 0 && err.code == EPROTO, "a short message is refused: %s", err.msg);

  static char big[sizeof (struct clr_sync_msg) + 4096];
  memset (big, 'A', sizeof big);
  (void) !write (sv[0], big, sizeof big);
  TAP_OK (clr_sync_recv (sv[1], &m, &err) < 0 && err.code == EPROTO, "an oversized message is refused: %s", err.msg);

  struct clr_sync_msg bad;
  memset (&bad, 'B', sizeof bad); /* no NUL anywhere in the message text */
  bad.type = CLR_SYNC_ERROR;
  (void) !write (sv[0], &bad, sizeof bad);
  TAP_OK (clr_sync_recv (sv[1], &m, &err) == 0 && strlen (m.err.msg) < sizeof m.err.msg,
          "an unterminated error text is cut at the buffer end");

  bad.type = 999;
  (void) !write (sv[0], &bad, sizeof bad);
  TAP_OK (clr_sync_recv (sv[1], &m, &err) < 0 && err.code == EPROTO, "an unknown message type is refused");

  TAP_OK (clr_sync_send (sv[0], CLR_SYNC_HOOKS, 0, NULL, &err) == 0
              && clr_sync_expect (sv[1], CLR_SYNC_READY, &m, &err) < 0 && err.code == EPROTO,
          "an unexpected type is an error");

  close (sv[0]);
  TAP_OK (clr_sync_recv (sv[1], &m, &err) < 0 && err.code == EPIPE, "EOF (the peer died) is an error: %s", err.msg);
  close (sv[1]);
  return tap_done ();
}
