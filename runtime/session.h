/* clawrun: sandbox sessions, `clawrun run --image IMAGE [options] [--] [CMD ARGS...]`.
 *
 * The session runner builds the bundle itself, with hardened defaults
 * (shared/design/security.md "Default sandbox profile"), inside a private mount
 * namespace of its own: the per-session tmpfs, the overlay root and the workspace exist
 * only there and in the container, so they vanish with the session whatever happens
 * to it (a kill -9 included).  It then runs the container in the foreground with a
 * timeout, exports files from /workspace, writes the audit log and removes everything.
 */
#ifndef CLAWRUN_SESSION_H
#define CLAWRUN_SESSION_H

#include <stdbool.h>

#include "commands.h"

/* True when ARGV (a `run` command line) asks for a session (--image). */
bool clr_session_requested (int argc, char **argv);

/* The host uid that is root inside a default session (its user namespace), or 0 when
 * sessions run without one on this host. */
unsigned clr_session_host_root (void);

/* The whole `run --image` command; returns the exit status. */
int clr_session_main (struct clr_globals *g, int argc, char **argv);

#endif
