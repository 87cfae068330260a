/* clawrun: error reporting.
 *
 * Every fallible function returns a negative value and fills a struct clr_err with
 * the errno and a message carrying context ("mount proc on /proc: EPERM (operation
 * not permitted)").  The struct has a fixed size so that an error raised in the
 * container's init can be sent to the parent over the sync socket as one message
 * and printed there exactly once.
 */
#ifndef CLAWRUN_ERROR_H
#define CLAWRUN_ERROR_H

#include <stddef.h>

#define CLR_ERR_MSG_MAX 1024

typedef struct clr_err {
  int code;                    /* errno, or 0 for a plain (non-errno) error */
  char msg[CLR_ERR_MSG_MAX];   /* always NUL-terminated */
} clr_err;

/* Fill ERR with the formatted message; when ERRNUM != 0 append
 * ": ENAME (description)".  Always returns -1 so callers can write
 * `return clr_fail (err, errno, "open %s", path);`. */
int clr_fail (clr_err *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefix the message already in ERR with more context: "CTX: <old message>".
 * Returns -1. */
int clr_wrap (clr_err *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* "ENOENT (no such file or directory)" for ERRNUM, into BUF. */
const char *clr_errno_text (int errnum, char *buf, size_t len);

#endif
