#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

const char *
clr_errno_text (int errnum, char *buf, size_t len)
{
  const char *name = strerrorname_np (errnum);
  char desc[256];
  /* GNU strerror_r returns a pointer, maybe not into desc. */
  const char *d = strerror_r (errnum, desc, sizeof desc);
  snprintf (buf, len, "%s (%c%s)", name ? name : "errno", d[0] ? tolower ((unsigned char) d[0]) : ' ',
            d[0] ? d + 1 : "");
  return buf;
}

int
clr_fail (clr_err *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  err->code = errnum;
  if (errnum != 0)
    {
      char t[300];
      size_t l = strlen (err->msg);
      snprintf (err->msg + l, sizeof err->msg - l, ": %s", clr_errno_text (errnum, t, sizeof t));
    }
  return -1;
}

int
clr_wrap (clr_err *err, const char *fmt, ...)
{
  char prefix[CLR_ERR_MSG_MAX], old[CLR_ERR_MSG_MAX];
  va_list ap;
  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  vsnprintf (prefix, sizeof prefix, fmt, ap);
  va_end (ap);
  memcpy (old, err->msg, sizeof old);
  old[sizeof old - 1] = '\0';
  size_t pl = strnlen (prefix, sizeof err->msg - 3);
  memcpy (err->msg, prefix, pl);
  memcpy (err->msg + pl, ": ", 2);
  size_t room = sizeof err->msg - pl - 3;
  size_t ol = strnlen (old, room);
  memcpy (err->msg + pl + 2, old, ol);
  err->msg[pl + 2 + ol] = '\0';
  return -1;
}
