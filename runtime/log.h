/* clawrun: diagnostics.  Errors go to stderr ("clawrun: <msg>"); warnings and --debug
 * lines too, unless --log is given.  With --log, everything is also written to
 * the log file as text or JSON lines {"level":"error","msg":"...","time":"..."} (the
 * format containerd-shim-runc-v2 parses; it shows the last error line to the user). */
#ifndef CLAWRUN_LOG_H
#define CLAWRUN_LOG_H

#include <stdbool.h>

#include "error.h"

enum clr_log_level { CLR_LOG_DEBUG, CLR_LOG_INFO, CLR_LOG_WARN, CLR_LOG_ERROR };

/* Set from the parsed command line (part of it: not mutable state of its own). */
void clr_log_setup (const char *path, bool json, bool debug);

void clr_log (enum clr_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define clr_debug(...) clr_log (CLR_LOG_DEBUG, __VA_ARGS__)
#define clr_warn(...) clr_log (CLR_LOG_WARN, __VA_ARGS__)
/* Print an error once: stderr and the log file. */
void clr_log_error (const clr_err *err);

#endif
