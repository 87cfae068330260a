/* clawrun: ptys and the --console-socket protocol. */
#ifndef CLAWRUN_TERMINAL_H
#define CLAWRUN_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* In the container (after pivot_root, with the container's devpts at /dev/pts):
 * open /dev/ptmx, unlock, open the slave.  *SLAVE_PATH is malloc'd ("/dev/pts/0"). */
int clr_terminal_open_pty (int *master, int *slave, char **slave_path, clr_err *err);

/* Make SLAVE the controlling terminal and fds 0,1,2 of the caller (after setsid()). */
int clr_terminal_make_controlling (int slave, clr_err *err);

int clr_terminal_set_size (int fd, unsigned rows, unsigned cols, clr_err *err);

/* Connect to the unix socket at PATH (the engine's --console-socket). */
int clr_console_socket_connect (const char *path, int *sock, clr_err *err);
/* Send exactly one fd with SCM_RIGHTS, NAME as payload (< 4096 bytes), as runc does. */
int clr_send_fd (int sock, int fd, const char *name, clr_err *err);
/* Receive one fd sent that way. */
int clr_recv_fd (int sock, int *fd, clr_err *err);

/* Where the container sends its pty master: the engine's --console-socket when
 * given (*SEND_FD connected to it, *KEEP_FD -1), else a socketpair whose other end
 * (*KEEP_FD) we keep to proxy the terminal ourselves. */
int clr_console_prepare (const char *console_socket, int *send_fd, int *keep_fd, clr_err *err);

/* Foreground `run`/`exec` with a terminal and no --console-socket: put our own stdin
 * in raw mode (when it is a tty), copy stdin -> MASTER and MASTER -> stdout, forward
 * window size changes, until MASTER hangs up or PIDFD (the container process) exits.
 * Restores the terminal mode.  Returns 0; the caller reaps the process. */
int clr_terminal_proxy (int master, int pidfd, clr_err *err);

#endif
