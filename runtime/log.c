#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "log.h"
#include "util.h"

/* Copied from the parsed command line once, in main(); never changed afterwards. */
static struct
{
  const char *path;
  bool json;
  bool debug;
} log_cfg;

void
clr_log_setup (const char *path, bool json, bool debug)
{
  log_cfg.path = path;
  log_cfg.json = json;
  log_cfg.debug = debug;
}

static const char *const level_names[] = { "debug", "info", "warning", "error" };

static void
write_log_line (enum clr_log_level level, const char *msg)
{
  if (log_cfg.path == NULL)
    return;
  cleanup_close int fd = open (log_cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  char now[64];
  clr_rfc3339_now (now, sizeof now);
  if (!log_cfg.json)
    {
      cleanup_free char *line = xasprintf ("%s %s: %s\n", now, level_names[level], msg);
      (void) clr_write_all (fd, line, strlen (line));
      return;
    }
  yajl_gen g = yajl_gen_alloc (NULL);
  if (!g)
    return;
  yajl_gen_map_open (g);
  yajl_gen_string (g, (const unsigned char *) "level", 5);
  yajl_gen_string (g, (const unsigned char *) level_names[level], strlen (level_names[level]));
  yajl_gen_string (g, (const unsigned char *) "msg", 3);
  yajl_gen_string (g, (const unsigned char *) msg, strlen (msg));
  yajl_gen_string (g, (const unsigned char *) "time", 4);
  yajl_gen_string (g, (const unsigned char *) now, strlen (now));
  yajl_gen_map_close (g);
  const unsigned char *buf;
  size_t len;
  if (yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    {
      cleanup_free char *line = xasprintf ("%.*s\n", (int) len, buf);
      (void) clr_write_all (fd, line, len + 1);
    }
  yajl_gen_free (g);
}

void
clr_log (enum clr_log_level level, const char *fmt, ...)
{
  if (level == CLR_LOG_DEBUG && !log_cfg.debug)
    return;
  char msg[2048];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  /* With --log, only errors reach stderr: under an engine clawrun's stderr is the
   * container's stderr, and diagnostics must not mix into the workload's output. */
  if (log_cfg.path == NULL && (level >= CLR_LOG_WARN || log_cfg.debug))
    dprintf (2, "clawrun: %s%s\n", level == CLR_LOG_WARN ? "warning: " : "", msg);
  write_log_line (level, msg);
}

void
clr_log_error (const clr_err *err)
{
  dprintf (2, "clawrun: %s\n", err->msg);
  write_log_line (CLR_LOG_ERROR, err->msg);
}
