/* clawrun: the command table.  One file per command (runtime/cmd_<name>.c); each
 * parses its own flags with getopt_long and calls into the library code. */
#ifndef CLAWRUN_COMMANDS_H
#define CLAWRUN_COMMANDS_H

#include <stdbool.h>

/* The parsed global command line: the only process-wide state. */
struct clr_globals {
  const char *root;          /* --root, default /run/clawrun */
  const char *log_path;      /* --log */
  bool log_json;             /* --log-format json */
  bool debug;                /* --debug */
  bool systemd_cgroup;       /* --systemd-cgroup */
  bool rootless;             /* --rootless (accepted, ignored) */
};

/* Each returns the process exit status.  ARGV[0] is the command name; getopt state
 * is reset by the caller. */
typedef int (*clr_cmd_fn) (struct clr_globals *g, int argc, char **argv);

int cmd_create (struct clr_globals *g, int argc, char **argv);
int cmd_start (struct clr_globals *g, int argc, char **argv);
int cmd_run (struct clr_globals *g, int argc, char **argv);
int cmd_state (struct clr_globals *g, int argc, char **argv);
int cmd_kill (struct clr_globals *g, int argc, char **argv);
int cmd_delete (struct clr_globals *g, int argc, char **argv);
int cmd_list (struct clr_globals *g, int argc, char **argv);
int cmd_exec (struct clr_globals *g, int argc, char **argv);
int cmd_ps (struct clr_globals *g, int argc, char **argv);
int cmd_pause (struct clr_globals *g, int argc, char **argv);
int cmd_resume (struct clr_globals *g, int argc, char **argv);
int cmd_update (struct clr_globals *g, int argc, char **argv);
int cmd_events (struct clr_globals *g, int argc, char **argv);
int cmd_stats (struct clr_globals *g, int argc, char **argv);
int cmd_features (struct clr_globals *g, int argc, char **argv);
int cmd_spec (struct clr_globals *g, int argc, char **argv);
int cmd_verify (struct clr_globals *g, int argc, char **argv);

/* Print "clawrun: <msg>" for a usage error and return exit status 1 (runc: 1). */
int clr_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
