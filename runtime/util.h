/* clawrun: small shared helpers (cleanup attributes, files, strings, syscalls). */
#ifndef CLAWRUN_UTIL_H
#define CLAWRUN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

/* ---- cleanup helpers (__attribute__((cleanup))) ---- */
static inline void clr_freep (void *p) { free (*(void **) p); }
static inline void clr_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
static inline void clr_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}
void clr_strv_freep (char ***v);

#define cleanup_free __attribute__ ((cleanup (clr_freep)))
#define cleanup_close __attribute__ ((cleanup (clr_closep)))
#define cleanup_file __attribute__ ((cleanup (clr_fclosep)))
#define cleanup_strv __attribute__ ((cleanup (clr_strv_freep)))

/* Hand an fd / pointer out of a cleanup-managed variable. */
static inline int clr_steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}
#define clr_steal_ptr(pp) ({ __typeof__ (*(pp)) _p = *(pp); *(pp) = NULL; _p; })

#define CLR_ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* ---- memory: abort on OOM (there is no sane recovery in a runtime) ---- */
void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t sz);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* ---- strings ---- */
bool clr_has_prefix (const char *s, const char *prefix);
bool clr_has_suffix (const char *s, const char *suffix);
size_t clr_strv_len (char *const *v);
char **clr_strv_dup (char *const *v);

/* Strict decimal parsing: the whole string must be a number in [min, max]. */
int clr_parse_u64 (const char *s, uint64_t max, uint64_t *out);
int clr_parse_i64 (const char *s, int64_t min, int64_t max, int64_t *out);

/* ---- files (all fds O_CLOEXEC) ---- */
/* Read a whole file (at most MAX bytes; more is an error) into a NUL-terminated buffer. */
int clr_read_file (const char *path, size_t max, char **out, size_t *len, clr_err *err);
int clr_read_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len,
                      clr_err *err);
int clr_read_fd (int fd, size_t max, char **out, size_t *len, clr_err *err);
/* Write DATA to DIRFD/NAME atomically: a temp file in the same directory, fsync-free
 * rename over NAME.  MODE for the new file. */
int clr_write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len,
                              mode_t mode, clr_err *err);
/* open(O_WRONLY|O_TRUNC) + write everything; no O_CREAT. */
int clr_write_file_at (int dirfd, const char *path, const void *data, size_t len, clr_err *err);
int clr_write_all (int fd, const void *data, size_t len);
/* Copy IN to OUT until EOF.  -1 with errno set. */
int clr_copy_fd (int in, int out);
/* rm -rf DIRFD/NAME without following symlinks and without crossing mounts. */
int clr_remove_tree_at (int dirfd, const char *name, clr_err *err);

/* ---- processes ---- */
/* Write PID (no newline, as runc) to PATH atomically: temp file + rename, so a reader
 * never sees a partial pid. */
int clr_write_pid_file (const char *path, pid_t pid, clr_err *err);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t clr_now_ms (void);

/* Field 22 of /proc/PID/stat (start time in clock ticks); 0 when the process is gone. */
uint64_t clr_proc_start_time (pid_t pid);
/* Open a pidfd for PID only if it still is the process that started at START_TIME
 * (0: do not check).  Returns -1 with errno ESRCH when it is gone or reused. */
int clr_pidfd_open_checked (pid_t pid, uint64_t start_time);
/* Map "KILL", "SIGKILL", "kill", "9" to a signal number; -1 if unknown. */
int clr_parse_signal (const char *s);
/* Current time as RFC 3339 with nanoseconds, UTC ("2026-11-22T12:00:00.123456789Z"). */
void clr_rfc3339_now (char *buf, size_t len);

/* Every signal to SIG_DFL, including the two realtime signals glibc reserves and
 * refuses to touch (an ignored one would otherwise survive execve). */
void clr_reset_signal_dispositions (void);

/* ---- raw syscalls glibc may lack ---- */
int clr_pidfd_open (pid_t pid);
int clr_pidfd_send_signal (int pidfd, int sig);

#endif
