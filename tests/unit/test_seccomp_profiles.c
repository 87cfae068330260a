/* Unit tests for seccomp/profiles.c: the built-in session profiles, FILE profiles and
 * the JSON serialization.
 *
 * As in test_seccomp.c, filters are compiled in the test process and loaded only in
 * forked children (after PR_SET_NO_NEW_PRIVS, as a session does), which make the
 * syscall under test and report the errno they saw through their exit status.  The
 * test process itself never runs under a filter, so valgrind can check it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/sched.h>
#include <seccomp.h>
#include <yajl/yajl_gen.h>

#include "runtime/config.h"
#include "runtime/json.h"
#include "runtime/util.h"
#include "seccomp/profiles.h"
#include "seccomp/seccomp.h"
#include "tests/unit/tap.h"

/* The profile tables themselves, to check the built profiles against them. */
#include "seccomp/default_profile.inc"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

extern char **environ;

static char tmpdir[] = "/tmp/clawrun-test-seccomp-profiles-XXXXXX";

/* Under valgrind (3.19 has no seccomp(2)) filters do not take effect in the children:
 * the child-side checks are then skipped, the parent side is still checked. */
static bool filters_apply;

#define CHILD_OK(cond, ...)                                                                  \
  do                                                                                         \
    {                                                                                        \
      if (filters_apply)                                                                     \
        TAP_OK (cond, __VA_ARGS__);                                                          \
      else                                                                                   \
        TAP_SKIP ("seccomp filters do not take effect here (valgrind?)", __VA_ARGS__);     \
    }                                                                                        \
  while (0)

/* ---- children ---- */

static int
wait_child (pid_t pid, int secs)
{
  int status = 0;
  for (int i = 0; i < secs * 100; i++)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        return status;
      nanosleep (&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
    }
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  return status;
}

typedef int (*child_fn) (void);

enum { CHILD_LOAD_FAILED = 200, CHILD_NNP_FAILED = 201, CHILD_SETUP_FAILED = 202,
       CHILD_SUCCEEDED_WRONGLY = 203 };

/* Fork; the child sets no_new_privs, loads F and exits with FN ().  Returns the exit
 * code, or 300 + signal, or -1. */
static int
run_child (struct clr_seccomp_filter *f, child_fn fn)
{
  int status;
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      clr_err err;
      int nfd = -1;
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit (CHILD_NNP_FAILED);
      if (clr_seccomp_load (f, &nfd, &err) < 0)
        {
          fprintf (stderr, "# child: %s\n", err.msg);
          _exit (CHILD_LOAD_FAILED);
        }
      _exit (fn ());
    }
  status = wait_child (pid, 20);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 300 + WTERMSIG (status);
  return -1;
}

/* What a child reports: 0 for success, else the errno (all < 200). */
static int
result (long ret)
{
  return ret < 0 ? errno : 0;
}

static const char *
errname (int code)
{
  static char buf[64];
  if (code == 0)
    return "success";
  if (code >= 300)
    snprintf (buf, sizeof buf, "killed by signal %d", code - 300);
  else if (code >= 200)
    snprintf (buf, sizeof buf, "child failure %d", code);
  else
    snprintf (buf, sizeof buf, "%s", strerrorname_np (code) ? strerrorname_np (code) : "?");
  return buf;
}

/* Run FN under F in a child and expect exit code WANT (0 or an errno). */
#define EXPECT(f, fn, want, what)                                                            \
  do                                                                                         \
    {                                                                                        \
      int _got = filters_apply ? run_child ((f), (fn)) : 0;                                  \
      CHILD_OK (_got == (want), "%s: %s", (what), errname (want));                           \
      if (filters_apply && _got != (want))                                                   \
        printf ("#   got %s\n", errname (_got));                                            \
    }                                                                                        \
  while (0)

/* Does a filter loaded in a child take effect here?  Uses libseccomp directly. */
static bool
probe_filters (void)
{
  int status;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      scmp_filter_ctx c = seccomp_init (SCMP_ACT_ALLOW);
      if (c == NULL || seccomp_attr_set (c, SCMP_FLTATR_CTL_NNP, 1) < 0
          || seccomp_rule_add (c, SCMP_ACT_ERRNO (EHWPOISON), SCMP_SYS (getppid), 0) < 0
          || seccomp_load (c) < 0)
        _exit (1);
      _exit (syscall (SYS_getppid) < 0 && errno == EHWPOISON ? 0 : 2);
    }
  if (pid < 0)
    return false;
  status = wait_child (pid, 20);
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* ---- the syscalls under test (each returns 0 or the errno) ---- */

static int do_getpid (void) { return getpid () > 0 ? 0 : CHILD_SETUP_FAILED; }

static int
do_pipe_rw (void)
{
  int p[2];
  char c = 0;
  if (pipe (p) < 0)
    return errno;
  if (write (p[1], "x", 1) != 1)
    return errno;
  if (read (p[0], &c, 1) != 1)
    return errno;
  return c == 'x' ? 0 : CHILD_SETUP_FAILED;
}

static int
do_open (void)
{
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  close (fd);
  return 0;
}

static int do_mount (void) { return result (mount ("none", tmpdir, "tmpfs", 0, NULL)); }
static int do_umount2 (void) { return result (umount2 (tmpdir, MNT_DETACH)); }
static int do_unshare_user (void) { return result (unshare (CLONE_NEWUSER)); }
static int do_unshare_files (void) { return result (unshare (CLONE_FILES)); }
static int do_setns (void) { return result (syscall (SYS_setns, 0, CLONE_NEWNET)); }
static int do_bpf (void) { return result (syscall (SYS_bpf, 0, NULL, 0)); }
static int do_perf (void) { return result (syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0)); }
static int do_io_uring (void) { return result (syscall (SYS_io_uring_setup, 1, NULL)); }
static int do_userfaultfd (void) { return result (syscall (SYS_userfaultfd, O_CLOEXEC)); }
/* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3) */
static int do_keyctl (void) { return result (syscall (SYS_keyctl, 0, -3, 0)); }
static int do_add_key (void) { return result (syscall (SYS_add_key, "user", "k", "v", 1, -3)); }
static int do_ptrace (void) { return result (ptrace (PTRACE_TRACEME, 0, NULL, NULL)); }
static int do_kexec (void) { return result (syscall (SYS_kexec_load, 0, 0, NULL, 0)); }
static int do_pivot_root (void) { return result (syscall (SYS_pivot_root, "/", "/")); }
static int do_fsopen (void) { return result (syscall (SYS_fsopen, "tmpfs", 0)); }
static int do_open_tree (void) { return result (syscall (SYS_open_tree, AT_FDCWD, "/", 0)); }

static int
do_open_by_handle (void)
{
  return result (syscall (SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY));
}

static int
socket_result (long family, int type)
{
  /* raw syscall: FAMILY may carry bits above the int the kernel reads */
  long fd = syscall (SYS_socket, family, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno;
  close ((int) fd);
  return 0;
}

static int do_socket_packet (void) { return socket_result (AF_PACKET, SOCK_RAW); }
/* 0x1_00000011: the kernel truncates to AF_PACKET; a 64-bit compare would not */
static int do_socket_packet_hi (void) { return socket_result ((1L << 32) | AF_PACKET, SOCK_RAW); }
static int do_socket_vsock (void) { return socket_result (AF_VSOCK, SOCK_STREAM); }
static int do_socket_bluetooth (void) { return socket_result (AF_BLUETOOTH, SOCK_STREAM); }
static int do_socket_inet (void) { return socket_result (AF_INET, SOCK_STREAM); }
static int do_socket_inet_hi (void) { return socket_result ((1L << 32) | AF_INET, SOCK_STREAM); }
static int do_socket_inet6 (void) { return socket_result (AF_INET6, SOCK_DGRAM); }
static int do_socket_unix (void) { return socket_result (AF_UNIX, SOCK_STREAM); }
static int do_socket_netlink (void) { return socket_result (AF_NETLINK, SOCK_RAW); }

static int
do_clone_newuser (void)
{
  long r = syscall (SYS_clone, (unsigned long) (CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
  if (r == 0)
    _exit (0);
  if (r < 0)
    return errno;
  waitpid ((pid_t) r, NULL, 0);
  return CHILD_SUCCEEDED_WRONGLY;
}

static int
do_clone3 (void)
{
  struct clone_args args = { .exit_signal = SIGCHLD };
  long r = syscall (SYS_clone3, &args, sizeof args);
  if (r == 0)
    _exit (0);
  if (r < 0)
    return errno;
  waitpid ((pid_t) r, NULL, 0);
  return 0;
}

static int
do_fork (void)
{
  int status;
  pid_t pid = fork ();
  if (pid < 0)
    return errno;
  if (pid == 0)
    _exit (42);
  if (waitpid (pid, &status, 0) != pid)
    return errno;
  return WIFEXITED (status) && WEXITSTATUS (status) == 42 ? 0 : CHILD_SETUP_FAILED;
}

static void *
thread_main (void *arg)
{
  return arg;
}

/* glibc >= 2.34 creates threads with clone3 and falls back to clone on ENOSYS. */
static int
do_pthread (void)
{
  pthread_t t;
  void *ret = NULL;
  int r = pthread_create (&t, NULL, thread_main, (void *) 0x1234);
  if (r != 0)
    return r;
  if (pthread_join (t, &ret) != 0)
    return CHILD_SETUP_FAILED;
  return ret == (void *) 0x1234 ? 0 : CHILD_SETUP_FAILED;
}

/* posix_spawn also goes through clone3 first (glibc >= 2.35). */
static int
do_spawn (void)
{
  char *argv[] = { (char *) "true", NULL };
  int status;
  pid_t pid;
  int r = posix_spawn (&pid, "/bin/true", NULL, NULL, argv, environ);
  if (r != 0)
    return r;
  if (waitpid (pid, &status, 0) != pid)
    return errno;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : CHILD_SETUP_FAILED;
}

/* A pty master: a real tty for the terminal ioctls. */
static int
open_pty (void)
{
  int fd = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 || grantpt (fd) < 0 || unlockpt (fd) < 0)
    return -1;
  return fd;
}

static int
ioctl_result (unsigned long cmd, void *arg)
{
  int fd = open_pty ();
  if (fd < 0)
    return CHILD_SETUP_FAILED;
  /* raw syscall: CMD may carry bits above the unsigned int the kernel reads */
  return result (syscall (SYS_ioctl, fd, cmd, arg));
}

static int do_tiocsti (void) { return ioctl_result (TIOCSTI, (char *) "x"); }
static int do_tiocsti_hi (void) { return ioctl_result ((1UL << 32) | TIOCSTI, (char *) "x"); }
static int do_tioclinux (void) { char sub = 0; return ioctl_result (TIOCLINUX, &sub); }
static int do_tiocgwinsz (void) { struct winsize ws; return ioctl_result (TIOCGWINSZ, &ws); }

static int
do_tcgetattr (void)
{
  struct termios t;
  int fd = open_pty ();
  if (fd < 0)
    return CHILD_SETUP_FAILED;
  return result (tcgetattr (fd, &t));
}

/* FIONREAD (0x541B) sits right next to TIOCLINUX (0x541C). */
static int
do_fionread (void)
{
  int p[2], n = -1;
  if (pipe (p) < 0)
    return CHILD_SETUP_FAILED;
  return result (ioctl (p[0], FIONREAD, &n));
}

static int do_personality_query (void) { return result (personality (0xffffffff)); }
static int do_personality_linux (void) { return result (personality (PER_LINUX)); }
static int do_personality_linux32 (void) { return result (personality (PER_LINUX32)); }
static int do_personality_uname26 (void) { return result (personality (UNAME26)); }
static int do_personality_norandom (void) { return result (personality (ADDR_NO_RANDOMIZE)); }

static int
do_process_vm_readv (void)
{
  char src[4] = "abc", dst[4] = "";
  struct iovec l = { dst, sizeof dst }, r = { src, sizeof src };
  return result (process_vm_readv (getpid (), &l, 1, &r, 1, 0));
}

/* Zero-sized handle: without a filter the kernel answers EOVERFLOW. */
static int
do_name_to_handle (void)
{
  struct file_handle h = { .handle_bytes = 0 };
  int mount_id;
  return result (syscall (SYS_name_to_handle_at, AT_FDCWD, "/", &h, &mount_id, 0));
}

/* ---- helpers on profiles ---- */

static struct clr_seccomp *
profile_ok (const char *name, struct clr_arena *a)
{
  struct clr_seccomp *sc = (void *) 1;
  clr_err err = { 0 };
  if (clr_seccomp_profile (name, a, &sc, &err) < 0)
    {
      printf ("# profile %s: %s\n", name, err.msg);
      return NULL;
    }
  return sc;
}

static struct clr_seccomp_filter *
compile_ok (const struct clr_seccomp *sc)
{
  struct clr_seccomp_filter *f = NULL;
  clr_err err = { 0 };
  if (sc == NULL)
    return NULL;
  if (clr_seccomp_compile (sc, &f, &err) < 0)
    {
      printf ("# compile: %s\n", err.msg);
      return NULL;
    }
  return f;
}

static bool
strv_has (char *const *v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* Is NAME allowed by an entry of SC?  *CONDITIONAL tells whether only with args. */
static bool
allowed (const struct clr_seccomp *sc, const char *name, bool *conditional)
{
  bool any = false, cond = true;
  for (size_t i = 0; i < sc->n_syscalls; i++)
    {
      const struct clr_seccomp_syscall *s = &sc->syscalls[i];
      if (strcmp (s->action, "SCMP_ACT_ALLOW") != 0 || ! strv_has (s->names, s->n_names, name))
        continue;
      any = true;
      if (s->n_args == 0)
        cond = false;
    }
  if (conditional)
    *conditional = any && cond;
  return any;
}

/* The entries of SC that name NAME (at most 128 here). */
struct entry_set {
  const struct clr_seccomp_syscall *e[128];
  size_t n;
};

static void
entries_of (const struct clr_seccomp *sc, const char *name, struct entry_set *set)
{
  set->n = 0;
  for (size_t i = 0; i < sc->n_syscalls && set->n < CLR_ARRAY_SIZE (set->e); i++)
    if (strv_has (sc->syscalls[i].names, sc->syscalls[i].n_names, name))
      set->e[set->n++] = &sc->syscalls[i];
}

/* A model of the filter for one argument: the action ("" when no entry matches, i.e.
 * the default) and errno (-1: none) for argument ARG == V.  Fails (NULL) when two
 * entries with different outcomes match: the built-ins must partition the values. */
static const char *
model_set (const struct entry_set *set, unsigned arg, uint64_t v, int *errno_ret)
{
  const char *act = "";
  int err_ret = -1;
  for (size_t i = 0; i < set->n; i++)
    {
      const struct clr_seccomp_syscall *s = set->e[i];
      bool match = true;
      for (size_t j = 0; j < s->n_args; j++)
        {
          const struct clr_seccomp_arg *a = &s->args[j];
          if (a->index != arg)
            return NULL;
          if (a->op == SCMP_CMP_MASKED_EQ)
            match = match && (v & a->value) == a->value_two;
          else if (a->op == SCMP_CMP_EQ)
            match = match && v == a->value;
          else
            return NULL;
        }
      if (! match)
        continue;
      int e = s->has_errno_ret ? (int) s->errno_ret : -1;
      if (act[0] && (strcmp (act, s->action) != 0 || e != err_ret))
        return NULL;
      act = s->action;
      err_ret = e;
    }
  *errno_ret = err_ret;
  return act;
}

static const char *
model (const struct clr_seccomp *sc, const char *name, unsigned arg, uint64_t v, int *errno_ret)
{
  struct entry_set set;
  entries_of (sc, name, &set);
  return model_set (&set, arg, v, errno_ret);
}

static uint64_t
xorshift (uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Check PRED against the model for NAME's argument ARG over every 17-bit value, each
 * of them with random upper bits, and random 64-bit values.  Returns the number of
 * mismatches (printed). */
typedef bool (*expect_fn) (uint32_t low, const char *act, int errno_ret);

static int
check_model (const struct clr_seccomp *sc, const char *name, unsigned arg, expect_fn pred)
{
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  struct entry_set set;
  int bad = 0;
  entries_of (sc, name, &set);
  for (uint64_t i = 0; i < (1u << 17) + 100000; i++)
    {
      uint64_t v = i < (1u << 17) ? i : xorshift (&seed);
      for (int hi = 0; hi < 2; hi++)
        {
          int e = -1;
          const char *act;
          if (hi)
            v |= xorshift (&seed) << 32;
          act = model_set (&set, arg, v, &e);
          if (act == NULL || ! pred ((uint32_t) v, act, e))
            {
              if (bad++ < 5)
                printf ("#   %s arg%u = %#llx: %s (errno %d)\n", name, arg,
                        (unsigned long long) v, act ? (act[0] ? act : "default") : "overlap",
                        e);
            }
        }
    }
  return bad;
}

static bool
is_allow (const char *act, int e)
{
  return strcmp (act, "SCMP_ACT_ALLOW") == 0 && e == -1;
}

static bool
pred_ioctl (uint32_t low, const char *act, int e)
{
  bool refused = low == 0x5412 || low == 0x541C;
  return refused ? act[0] == '\0' : is_allow (act, e);
}

static bool
pred_default_socket (uint32_t low, const char *act, int e)
{
  bool refused = low == AF_PACKET || low == AF_VSOCK;
  return refused ? act[0] == '\0' : is_allow (act, e);
}

static bool
pred_strict_socket (uint32_t low, const char *act, int e)
{
  bool ok = low == AF_UNIX || low == AF_INET || low == AF_INET6 || low == AF_NETLINK;
  if (ok)
    return is_allow (act, e);
  return strcmp (act, "SCMP_ACT_ERRNO") == 0 && e == EAFNOSUPPORT;
}

/* Deep comparison of two seccomp sections; prints the first difference. */
static bool
strv_eq (char *const *a, size_t na, char *const *b, size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (strcmp (a[i], b[i]) != 0)
      return false;
  return true;
}

static bool
str_eq (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

#define DIFF(cond, ...)                                                                      \
  do                                                                                         \
    if (cond)                                                                                \
      {                                                                                      \
        printf ("#   differs: " __VA_ARGS__);                                               \
        printf ("\n");                                                                       \
        return false;                                                                        \
      }                                                                                      \
  while (0)

static bool
seccomp_eq (const struct clr_seccomp *a, const struct clr_seccomp *b)
{
  DIFF (! str_eq (a->default_action, b->default_action), "defaultAction");
  DIFF (a->has_default_errno_ret != b->has_default_errno_ret
            || a->default_errno_ret != b->default_errno_ret,
        "defaultErrnoRet");
  DIFF (! strv_eq (a->architectures, a->n_architectures, b->architectures, b->n_architectures),
        "architectures");
  DIFF (! strv_eq (a->flags, a->n_flags, b->flags, b->n_flags), "flags");
  DIFF (! str_eq (a->listener_path, b->listener_path), "listenerPath");
  DIFF (! str_eq (a->listener_metadata, b->listener_metadata), "listenerMetadata");
  DIFF (a->n_syscalls != b->n_syscalls, "number of syscalls %zu != %zu", a->n_syscalls,
        b->n_syscalls);
  for (size_t i = 0; i < a->n_syscalls; i++)
    {
      const struct clr_seccomp_syscall *x = &a->syscalls[i], *y = &b->syscalls[i];
      DIFF (! strv_eq (x->names, x->n_names, y->names, y->n_names), "syscalls[%zu].names", i);
      DIFF (! str_eq (x->action, y->action), "syscalls[%zu].action", i);
      DIFF (x->has_errno_ret != y->has_errno_ret || x->errno_ret != y->errno_ret,
            "syscalls[%zu].errnoRet", i);
      DIFF (x->n_args != y->n_args, "syscalls[%zu].args", i);
      for (size_t j = 0; j < x->n_args; j++)
        DIFF (x->args[j].index != y->args[j].index || x->args[j].value != y->args[j].value
                  || x->args[j].value_two != y->args[j].value_two
                  || x->args[j].op != y->args[j].op,
              "syscalls[%zu].args[%zu]", i, j);
    }
  return true;
}

/* SC -> JSON (inside a minimal config.json) -> clr_config_parse -> *CFG. */
static int
round_trip (const struct clr_seccomp *sc, struct clr_config **cfg, char **json_out)
{
  yajl_gen g = clr_json_gen (false);
  clr_err err = { 0 };
  char *json;
  int ret;

  yajl_gen_map_open (g);
  clr_json_str (g, "ociVersion");
  clr_json_str (g, "1.2.0");
  clr_json_str (g, "root");
  yajl_gen_map_open (g);
  clr_json_str (g, "path");
  clr_json_str (g, "rootfs");
  yajl_gen_map_close (g);
  clr_json_str (g, "linux");
  yajl_gen_map_open (g);
  clr_json_str (g, "seccomp");
  clr_seccomp_to_json (sc, g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  json = clr_json_gen_take (g);
  ret = clr_config_parse (json, strlen (json), cfg, &err);
  if (ret < 0)
    printf ("# parse: %s\n", err.msg);
  if (json_out)
    *json_out = json;
  else
    free (json);
  return ret;
}

static void
write_file (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    {
      perror (path);
      exit (1);
    }
  fputs (text, f);
  fclose (f);
}

/* Load PATH as a profile expecting a failure with exactly the message FMT. */
static void
expect_file_error (const char *path, const char *fmt, const char *what)
{
  struct clr_arena *a = clr_arena_new ();
  struct clr_seccomp *sc = (void *) 1;
  clr_err err = { 0 };
  char want[CLR_ERR_MSG_MAX];
  int ret;

  /* FMT names PATH as %1$s, any number of times */
  snprintf (want, sizeof want, fmt, path);
  ret = clr_seccomp_profile (path, a, &sc, &err);
  TAP_OK (ret < 0 && sc == NULL && strcmp (err.msg, want) == 0, "%s: %s", what, want);
  if (ret == 0 || strcmp (err.msg, want) != 0)
    printf ("#   got: %s\n", ret < 0 ? err.msg : "(success)");
  clr_arena_free (a);
}

/* ---- tests ---- */

static void
test_unconfined_and_names (void)
{
  struct clr_arena *a = clr_arena_new ();
  struct clr_seccomp *sc = (void *) 1;
  clr_err err = { 0 };

  TAP_OK (clr_seccomp_profile ("unconfined", a, &sc, &err) == 0 && sc == NULL,
          "unconfined: no filter (NULL)");
  sc = (void *) 1;
  TAP_OK (clr_seccomp_profile (NULL, a, &sc, &err) < 0 && sc == NULL && err.code == EINVAL,
          "NULL name: error");
  clr_arena_free (a);
}

static void
test_structure (void)
{
  struct clr_arena *a = clr_arena_new ();
  struct clr_seccomp *def = profile_ok ("default", a), *strict = profile_ok ("strict", a);
  bool cond = false;
  int bad = 0;

  TAP_OK (def && strict, "default and strict build");
  if (! def || ! strict)
    {
      clr_arena_free (a);
      return;
    }

  TAP_OK (strcmp (def->default_action, "SCMP_ACT_ERRNO") == 0 && def->has_default_errno_ret
              && def->default_errno_ret == EPERM,
          "default: defaultAction SCMP_ACT_ERRNO, defaultErrnoRet EPERM");
  TAP_OK (strcmp (strict->default_action, "SCMP_ACT_ERRNO") == 0
              && strict->default_errno_ret == EPERM,
          "strict: defaultAction SCMP_ACT_ERRNO(EPERM) (no kill)");
#if defined(__x86_64__)
  TAP_OK (def->n_architectures == 3 && strcmp (def->architectures[0], "SCMP_ARCH_X86_64") == 0
              && strcmp (def->architectures[1], "SCMP_ARCH_X86") == 0
              && strcmp (def->architectures[2], "SCMP_ARCH_X32") == 0
              && def->architectures[3] == NULL,
          "default: architectures x86_64, x86, x32");
  TAP_OK (strict->n_architectures == 1
              && strcmp (strict->architectures[0], "SCMP_ARCH_X86_64") == 0,
          "strict: native architecture only");
#elif defined(__aarch64__)
  TAP_OK (def->n_architectures == 2 && strcmp (def->architectures[0], "SCMP_ARCH_AARCH64") == 0
              && strcmp (def->architectures[1], "SCMP_ARCH_ARM") == 0,
          "default: architectures aarch64, arm");
  TAP_OK (strict->n_architectures == 1, "strict: native architecture only");
#else
  TAP_SKIP ("not x86_64/aarch64", "default: architectures");
  TAP_SKIP ("not x86_64/aarch64", "strict: architectures");
#endif

  /* the shared allowlist made it in, once */
  for (size_t i = 0; i < CLR_ARRAY_SIZE (allow_names); i++)
    if (! allowed (def, allow_names[i], &cond) || cond)
      {
        if (bad++ < 5)
          printf ("#   not allowed: %s\n", allow_names[i]);
      }
  TAP_OK (bad == 0, "default allows the %zu names of the allowlist unconditionally",
          CLR_ARRAY_SIZE (allow_names));
  TAP_OK (def->syscalls[0].n_names == CLR_ARRAY_SIZE (allow_names)
              && def->syscalls[0].names[def->syscalls[0].n_names] == NULL,
          "allowlist entry: %zu names, NULL-terminated", def->syscalls[0].n_names);

  /* security.md: never allowed, whatever the table says */
  bad = 0;
  for (size_t i = 0; i < CLR_ARRAY_SIZE (never_allowed_names); i++)
    if (allowed (def, never_allowed_names[i], NULL) || allowed (strict, never_allowed_names[i], NULL))
      {
        bad++;
        printf ("#   allowed: %s\n", never_allowed_names[i]);
      }
  TAP_OK (bad == 0, "none of the %zu refused syscalls (io_uring_*, bpf, mount, ...) is allowed",
          CLR_ARRAY_SIZE (never_allowed_names));

  TAP_OK (allowed (def, "clone", &cond) && cond, "clone: allowed only conditionally");
  TAP_OK (! allowed (def, "clone3", NULL), "clone3: not allowed");
  TAP_OK (allowed (def, "ioctl", &cond) && cond && allowed (def, "socket", &cond) && cond
              && allowed (def, "personality", &cond) && cond,
          "ioctl, socket, personality: allowed only conditionally");
  {
    bool found = false;
    for (size_t i = 0; i < def->n_syscalls; i++)
      {
        const struct clr_seccomp_syscall *s = &def->syscalls[i];
        if (strv_has (s->names, s->n_names, "clone"))
          found = s->n_args == 1 && s->args[0].index == 0 && s->args[0].op == SCMP_CMP_MASKED_EQ
                  && s->args[0].value == 0x7E020000 && s->args[0].value_two == 0;
      }
    TAP_OK (found, "clone: arg0 & 0x7E020000 == 0 (MASKED_EQ)");
    found = false;
    for (size_t i = 0; i < def->n_syscalls; i++)
      {
        const struct clr_seccomp_syscall *s = &def->syscalls[i];
        if (strv_has (s->names, s->n_names, "clone3"))
          found = strcmp (s->action, "SCMP_ACT_ERRNO") == 0 && s->has_errno_ret
                  && s->errno_ret == ENOSYS && s->n_args == 0;
      }
    TAP_OK (found, "clone3: SCMP_ACT_ERRNO with errnoRet ENOSYS");
  }
  TAP_OK (allowed (def, "chroot", &cond) && ! cond, "chroot: allowed (needs CAP_SYS_CHROOT)");
  TAP_OK (allowed (def, "process_vm_readv", NULL) && ! allowed (strict, "process_vm_readv", NULL),
          "process_vm_readv: default yes, strict no");

  /* strict is a subset of default, minus its drop list */
  bad = 0;
  for (size_t i = 0; i < strict->syscalls[0].n_names; i++)
    if (! allowed (def, strict->syscalls[0].names[i], NULL))
      bad++;
  for (size_t i = 0; i < CLR_ARRAY_SIZE (strict_drop_names); i++)
    if (allowed (strict, strict_drop_names[i], NULL))
      {
        bad++;
        printf ("#   strict allows %s\n", strict_drop_names[i]);
      }
  TAP_OK (bad == 0, "strict: subset of default without its %zu dropped names",
          CLR_ARRAY_SIZE (strict_drop_names));

  /* the argument rules, checked on a model of the filter */
  TAP_OK (check_model (def, "ioctl", 1, pred_ioctl) == 0,
          "default ioctl: every request allowed but TIOCSTI/TIOCLINUX (low 32 bits)");
  TAP_OK (check_model (strict, "ioctl", 1, pred_ioctl) == 0, "strict ioctl: same");
  TAP_OK (check_model (def, "socket", 0, pred_default_socket) == 0,
          "default socket: every family allowed but AF_PACKET/AF_VSOCK (low 32 bits)");
  TAP_OK (check_model (strict, "socket", 0, pred_strict_socket) == 0,
          "strict socket: UNIX/INET/INET6/NETLINK allowed, others EAFNOSUPPORT");

  {
    static const uint64_t want_def[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff, 0x40000, 0x400000, 0x1 };
    static const bool ok_def[] = { true, true, true, true, true, false, false, false };
    static const bool ok_strict[] = { true, true, false, false, true, false, false, false };
    bad = 0;
    for (size_t i = 0; i < CLR_ARRAY_SIZE (want_def); i++)
      {
        int e;
        const char *x = model (def, "personality", 0, want_def[i], &e);
        const char *y = model (strict, "personality", 0, want_def[i], &e);
        if (! x || ! y || (x[0] != '\0') != ok_def[i] || (y[0] != '\0') != ok_strict[i])
          {
            bad++;
            printf ("#   personality %#llx\n", (unsigned long long) want_def[i]);
          }
      }
    TAP_OK (bad == 0, "personality: Docker's values in default, strict without UNAME26");
  }

  printf ("# default: %zu entries (%zu allowlist names); strict: %zu entries (%zu names)\n",
          def->n_syscalls, def->syscalls[0].n_names, strict->n_syscalls,
          strict->syscalls[0].n_names);
  clr_arena_free (a);
}

static void
test_compile (void)
{
  static const char *const names[] = { "default", "strict" };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (names); i++)
    {
      struct clr_arena *a = clr_arena_new ();
      struct clr_seccomp_filter *f = compile_ok (profile_ok (names[i], a));
      TAP_OK (f != NULL, "%s compiles with clr_seccomp_compile", names[i]);
      clr_seccomp_filter_free (f);
      clr_arena_free (a);
    }
}

static void
test_build_speed (void)
{
  struct timespec t0, t1;
  const int n = 200;
  double us;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < n; i++)
    {
      struct clr_arena *a = clr_arena_new ();
      struct clr_seccomp *sc = profile_ok ("default", a);
      clr_arena_free (a);
      if (sc == NULL)
        break;
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n;
  printf ("# building default: %.1f us\n", us);
  /* generous: ~20 us natively, valgrind is ~50x slower */
  TAP_OK (us < 20000, "building default takes no file I/O and little time (%.1f us)", us);
}

static void
test_default_in_child (void)
{
  struct clr_arena *a = clr_arena_new ();
  struct clr_seccomp_filter *f = compile_ok (profile_ok ("default", a));

  TAP_OK (f != NULL, "default: compiled for the child tests");
  if (f == NULL)
    {
      clr_arena_free (a);
      return;
    }
  EXPECT (f, do_getpid, 0, "default: getpid");
  EXPECT (f, do_pipe_rw, 0, "default: pipe, write, read");
  EXPECT (f, do_open, 0, "default: open");
  EXPECT (f, do_fork, 0, "default: fork (clone without namespace flags)");
  EXPECT (f, do_pthread, 0, "default: pthread_create (clone3 ENOSYS -> clone fallback)");
  EXPECT (f, do_spawn, 0, "default: posix_spawn /bin/true");
  EXPECT (f, do_clone3, ENOSYS, "default: clone3");
  EXPECT (f, do_clone_newuser, EPERM, "default: clone(CLONE_NEWUSER)");
  EXPECT (f, do_unshare_user, EPERM, "default: unshare(CLONE_NEWUSER)");
  EXPECT (f, do_unshare_files, EPERM, "default: unshare(CLONE_FILES)");
  EXPECT (f, do_setns, EPERM, "default: setns");
  EXPECT (f, do_mount, EPERM, "default: mount");
  EXPECT (f, do_umount2, EPERM, "default: umount2");
  EXPECT (f, do_pivot_root, EPERM, "default: pivot_root");
  EXPECT (f, do_fsopen, EPERM, "default: fsopen");
  EXPECT (f, do_open_tree, EPERM, "default: open_tree");
  EXPECT (f, do_bpf, EPERM, "default: bpf");
  EXPECT (f, do_perf, EPERM, "default: perf_event_open");
  EXPECT (f, do_io_uring, EPERM, "default: io_uring_setup");
  EXPECT (f, do_userfaultfd, EPERM, "default: userfaultfd");
  EXPECT (f, do_keyctl, EPERM, "default: keyctl");
  EXPECT (f, do_add_key, EPERM, "default: add_key");
  EXPECT (f, do_ptrace, EPERM, "default: ptrace(PTRACE_TRACEME)");
  EXPECT (f, do_open_by_handle, EPERM, "default: open_by_handle_at");
  EXPECT (f, do_kexec, EPERM, "default: kexec_load");
  EXPECT (f, do_socket_packet, EPERM, "default: socket(AF_PACKET, SOCK_RAW)");
  EXPECT (f, do_socket_packet_hi, EPERM, "default: socket(1<<32 | AF_PACKET) (no 64-bit bypass)");
  EXPECT (f, do_socket_vsock, EPERM, "default: socket(AF_VSOCK)");
  EXPECT (f, do_socket_inet, 0, "default: socket(AF_INET, SOCK_STREAM)");
  EXPECT (f, do_socket_inet6, 0, "default: socket(AF_INET6, SOCK_DGRAM)");
  EXPECT (f, do_socket_unix, 0, "default: socket(AF_UNIX)");
  EXPECT (f, do_socket_netlink, 0, "default: socket(AF_NETLINK)");
  EXPECT (f, do_tiocsti, EPERM, "default: ioctl(pty, TIOCSTI)");
  EXPECT (f, do_tiocsti_hi, EPERM, "default: ioctl(pty, 1<<32 | TIOCSTI) (no 64-bit bypass)");
  EXPECT (f, do_tioclinux, EPERM, "default: ioctl(pty, TIOCLINUX)");
  EXPECT (f, do_tcgetattr, 0, "default: tcgetattr (TCGETS)");
  EXPECT (f, do_tiocgwinsz, 0, "default: ioctl(TIOCGWINSZ)");
  EXPECT (f, do_fionread, 0, "default: ioctl(FIONREAD), next to TIOCLINUX");
  EXPECT (f, do_personality_query, 0, "default: personality(0xffffffff)");
  EXPECT (f, do_personality_linux, 0, "default: personality(PER_LINUX)");
  EXPECT (f, do_personality_linux32, 0, "default: personality(PER_LINUX32)");
  EXPECT (f, do_personality_uname26, 0, "default: personality(UNAME26)");
  EXPECT (f, do_personality_norandom, EPERM, "default: personality(ADDR_NO_RANDOMIZE)");
  EXPECT (f, do_process_vm_readv, 0, "default: process_vm_readv (self)");
  {
    int got = filters_apply ? run_child (f, do_name_to_handle) : 0;
    CHILD_OK (got != EPERM && got < 200, "default: name_to_handle_at allowed (%s)", errname (got));
  }
  clr_seccomp_filter_free (f);
  clr_arena_free (a);
}

static void
test_strict_in_child (void)
{
  struct clr_arena *a = clr_arena_new ();
  struct clr_seccomp_filter *f = compile_ok (profile_ok ("strict", a));

  TAP_OK (f != NULL, "strict: compiled for the child tests");
  if (f == NULL)
    {
      clr_arena_free (a);
      return;
    }
  EXPECT (f, do_getpid, 0, "strict: getpid");
  EXPECT (f, do_pipe_rw, 0, "strict: pipe, write, read");
  EXPECT (f, do_fork, 0, "strict: fork");
  EXPECT (f, do_pthread, 0, "strict: pthread_create");
  EXPECT (f, do_spawn, 0, "strict: posix_spawn /bin/true");
  EXPECT (f, do_mount, EPERM, "strict: mount");
  EXPECT (f, do_unshare_user, EPERM, "strict: unshare(CLONE_NEWUSER)");
  EXPECT (f, do_clone_newuser, EPERM, "strict: clone(CLONE_NEWUSER)");
  EXPECT (f, do_io_uring, EPERM, "strict: io_uring_setup");
  EXPECT (f, do_ptrace, EPERM, "strict: ptrace");
  EXPECT (f, do_socket_inet, 0, "strict: socket(AF_INET)");
  EXPECT (f, do_socket_inet_hi, 0, "strict: socket(1<<32 | AF_INET) (the kernel reads AF_INET)");
  EXPECT (f, do_socket_inet6, 0, "strict: socket(AF_INET6)");
  EXPECT (f, do_socket_unix, 0, "strict: socket(AF_UNIX)");
  EXPECT (f, do_socket_netlink, 0, "strict: socket(AF_NETLINK)");
  EXPECT (f, do_socket_bluetooth, EAFNOSUPPORT, "strict: socket(AF_BLUETOOTH)");
  EXPECT (f, do_socket_vsock, EAFNOSUPPORT, "strict: socket(AF_VSOCK)");
  EXPECT (f, do_socket_packet, EAFNOSUPPORT, "strict: socket(AF_PACKET)");
  EXPECT (f, do_socket_packet_hi, EAFNOSUPPORT, "strict: socket(1<<32 | AF_PACKET)");
  EXPECT (f, do_tiocsti, EPERM, "strict: ioctl(TIOCSTI)");
  EXPECT (f, do_tcgetattr, 0, "strict: tcgetattr");
  EXPECT (f, do_process_vm_readv, EPERM, "strict: process_vm_readv");
  EXPECT (f, do_name_to_handle, EPERM, "strict: name_to_handle_at");
  EXPECT (f, do_personality_linux, 0, "strict: personality(PER_LINUX)");
  EXPECT (f, do_personality_uname26, EPERM, "strict: personality(UNAME26)");
  clr_seccomp_filter_free (f);
  clr_arena_free (a);
}

/* Control: without the profile (an allow-all filter), as root, the same calls succeed,
 * so the refusals above come from the profile, not from missing privileges.  The
 * upper-bit variants succeeding shows the bypass a 64-bit compare would leave. */
static void
test_control (void)
{
  struct clr_seccomp allow_all = { .default_action = "SCMP_ACT_ALLOW" };
  struct clr_seccomp_filter *f = compile_ok (&allow_all);
  static const struct
  {
    child_fn fn;
    const char *what;
  } calls[] = {
    { do_socket_packet, "socket(AF_PACKET)" },
    { do_socket_packet_hi, "socket(1<<32 | AF_PACKET)" },
    { do_tiocsti, "ioctl(TIOCSTI)" },
    { do_tiocsti_hi, "ioctl(1<<32 | TIOCSTI)" },
    { do_unshare_user, "unshare(CLONE_NEWUSER)" },
    { do_ptrace, "ptrace(PTRACE_TRACEME)" },
    { do_keyctl, "keyctl" },
    { do_personality_norandom, "personality(ADDR_NO_RANDOMIZE)" },
  };

  for (size_t i = 0; i < CLR_ARRAY_SIZE (calls); i++)
    {
      int got;
      if (geteuid () != 0 || f == NULL)
        {
          TAP_SKIP ("needs root", "control, no profile: %s works", calls[i].what);
          continue;
        }
      got = filters_apply ? run_child (f, calls[i].fn) : 0;
      /* a container without CAP_NET_RAW, a kernel without user namespaces, ... */
      if (got > 0 && got < 200)
        TAP_SKIP (errname (got), "control, no profile: %s works", calls[i].what);
      else
        CHILD_OK (got == 0, "control, no profile: %s works (%s)", calls[i].what, errname (got));
    }
  clr_seccomp_filter_free (f);
}

/* mkdir under the file profile below */
static int
do_mkdir (void)
{
  char path[128];
  snprintf (path, sizeof path, "%s/sub", tmpdir);
  return result (mkdir (path, 0700));
}

static void
test_file_profile (void)
{
  struct clr_arena *a = clr_arena_new ();
  struct clr_seccomp *sc = NULL;
  struct clr_seccomp_filter *f = NULL;
  clr_err err = { 0 };
  char path[256];
  int ret;

  snprintf (path, sizeof path, "%s/profile.json", tmpdir);
  /* comments are accepted like in config.json; the last line is a // comment without
   * a newline */
  write_file (path, "{\n"
                    "  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                    "  \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
                    "  \"listenerMetadata\": \"meta\",\n"
                    "  \"syscalls\": [\n"
                    "    { \"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
                    "      \"errnoRet\": 133 },\n"
                    "    { \"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
                    "      \"args\": [ { \"index\": 0, \"value\": 18446744073709551615,\n"
                    "                  \"valueTwo\": 7, \"op\": \"SCMP_CMP_MASKED_EQ\" } ] }\n"
                    "  ]\n"
                    "} // the end");
  ret = clr_seccomp_profile (path, a, &sc, &err);
  TAP_OK (ret == 0 && sc != NULL, "file profile loads");
  if (ret < 0)
    printf ("#   %s\n", err.msg);
  if (sc)
    {
      TAP_OK (strcmp (sc->default_action, "SCMP_ACT_ALLOW") == 0 && ! sc->has_default_errno_ret
                  && sc->n_architectures == 1
                  && strcmp (sc->architectures[0], "SCMP_ARCH_X86_64") == 0
                  && sc->listener_path == NULL
                  && strcmp (sc->listener_metadata, "meta") == 0 && sc->n_syscalls == 2
                  && sc->syscalls[0].n_names == 2
                  && strcmp (sc->syscalls[0].names[1], "mkdirat") == 0
                  && sc->syscalls[0].names[2] == NULL && sc->syscalls[0].has_errno_ret
                  && sc->syscalls[0].errno_ret == 133 && sc->syscalls[1].n_args == 1
                  && sc->syscalls[1].args[0].value == UINT64_MAX
                  && sc->syscalls[1].args[0].value_two == 7
                  && sc->syscalls[1].args[0].op == SCMP_CMP_MASKED_EQ,
              "file profile: content copied into the arena");
      f = compile_ok (sc);
      TAP_OK (f != NULL, "file profile compiles");
      if (f)
        EXPECT (f, do_mkdir, 133, "file profile: mkdir gets errnoRet 133 (EHWPOISON)");
      clr_seccomp_filter_free (f);
    }
  clr_arena_free (a);

  /* errors */
  snprintf (path, sizeof path, "%s/missing.json", tmpdir);
  expect_file_error (path,
                     "--seccomp \"%1$s\": no such profile (default, strict, unconfined) or file: "
                     "ENOENT (no such file or directory)",
                     "missing file");
  expect_file_error ("defualt",
                     "--seccomp \"%1$s\": no such profile (default, strict, unconfined) or file: "
                     "ENOENT (no such file or directory)",
                     "unknown name");
  expect_file_error (tmpdir, "--seccomp \"%1$s\": %1$s: read: EISDIR (is a directory)", "directory");

  snprintf (path, sizeof path, "%s/syntax.json", tmpdir);
  write_file (path, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  oops\n}\n");
  expect_file_error (path,
                     "--seccomp \"%1$s\": invalid JSON: lexical error: invalid char in json text (line 3, column 3)",
                     "syntax error: line and column of the file");
  snprintf (path, sizeof path, "%s/syntax1.json", tmpdir);
  write_file (path, "{\"defaultAction\": x}");
  expect_file_error (path,
                     "--seccomp \"%1$s\": invalid JSON: lexical error: invalid char in json text (line 1, column 19)",
                     "syntax error on line 1: column not shifted");
  snprintf (path, sizeof path, "%s/array.json", tmpdir);
  write_file (path, "[]");
  expect_file_error (path, "--seccomp \"%1$s\": expected a JSON object at the top level",
                     "not an object");
  snprintf (path, sizeof path, "%s/empty.json", tmpdir);
  write_file (path, "{}");
  expect_file_error (path, "--seccomp \"%1$s\": defaultAction: missing", "missing defaultAction");
  snprintf (path, sizeof path, "%s/action.json", tmpdir);
  write_file (path, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                    " \"action\": \"SCMP_ACT_FOO\"}]}");
  expect_file_error (path, "--seccomp \"%1$s\": syscalls[0].action: unknown value \"SCMP_ACT_FOO\"",
                     "unknown action, field named inside the file");
  snprintf (path, sizeof path, "%s/arch.json", tmpdir);
  write_file (path, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}");
  expect_file_error (path, "--seccomp \"%1$s\": architectures[0]: unknown value \"SCMP_ARCH_Z80\"",
                     "unknown architecture");
  snprintf (path, sizeof path, "%s/nul.json", tmpdir);
  {
    FILE *fp = fopen (path, "w");
    fwrite ("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\0x", 1, 37, fp);
    fclose (fp);
  }
  expect_file_error (path, "--seccomp \"%1$s\": invalid JSON: NUL byte at offset 35", "NUL byte");
}

static void
test_round_trip (void)
{
  static const char *const names[] = { "default", "strict" };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (names); i++)
    {
      struct clr_arena *a = clr_arena_new ();
      struct clr_seccomp *sc = profile_ok (names[i], a);
      struct clr_config *cfg = NULL;
      bool ok = sc && round_trip (sc, &cfg, NULL) == 0 && cfg->linux.seccomp
                && seccomp_eq (sc, cfg->linux.seccomp);
      TAP_OK (ok, "%s -> JSON -> clr_config_parse: same content", names[i]);
      clr_config_free (cfg);
      clr_arena_free (a);
    }

  /* every field and operator, values above INT64_MAX */
  {
    static char *names1[] = { (char *) "read", (char *) "write", NULL };
    static char *names2[] = { (char *) "kill", NULL };
    static char *archs[] = { (char *) "SCMP_ARCH_X86_64", (char *) "SCMP_ARCH_AARCH64", NULL };
    static char *flags[] = { (char *) "SECCOMP_FILTER_FLAG_LOG",
                             (char *) "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };
    struct clr_seccomp_arg args[] = {
      { 0, 1, 0, SCMP_CMP_NE },       { 1, 2, 0, SCMP_CMP_LT }, { 2, 3, 0, SCMP_CMP_LE },
      { 3, UINT64_MAX, 0, SCMP_CMP_EQ }, { 4, 5, 0, SCMP_CMP_GE }, { 5, 6, 0, SCMP_CMP_GT },
      { 0, 0xffff, UINT64_MAX - 1, SCMP_CMP_MASKED_EQ },
    };
    struct clr_seccomp_syscall sys[] = {
      { .names = names1, .n_names = 2, .action = "SCMP_ACT_NOTIFY" },
      { .names = names2, .n_names = 1, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true,
        .errno_ret = 0, .args = args, .n_args = CLR_ARRAY_SIZE (args) },
    };
    struct clr_seccomp sc = {
      .default_action = "SCMP_ACT_LOG", .has_default_errno_ret = true,
      .default_errno_ret = 4294967295u, .architectures = archs, .n_architectures = 2,
      .flags = flags, .n_flags = 2, .listener_path = "/run/agent.sock",
      .listener_metadata = "{\"x\": \"\\u00e9\\n\"}", .syscalls = sys, .n_syscalls = 2,
    };
    struct clr_config *cfg = NULL;
    char *json = NULL;
    bool ok = round_trip (&sc, &cfg, &json) == 0 && cfg->linux.seccomp
              && seccomp_eq (&sc, cfg->linux.seccomp);
    TAP_OK (ok, "all fields and operators -> JSON -> clr_config_parse: same content");
    TAP_OK (json && strstr (json, "\"value\":18446744073709551615") != NULL
                && strstr (json, "\"op\":\"SCMP_CMP_MASKED_EQ\"") != NULL
                && strstr (json, "\"errnoRet\":0") != NULL
                && strstr (json, "\"listenerPath\":\"/run/agent.sock\"") != NULL,
            "JSON: uint64 values as plain numbers, op names, errnoRet 0 kept");
    free (json);
    clr_config_free (cfg);
  }

  /* minimal: no optional field is invented */
  {
    struct clr_seccomp sc = { .default_action = "SCMP_ACT_ALLOW" };
    yajl_gen g = clr_json_gen (false);
    char *json;
    clr_seccomp_to_json (&sc, g);
    json = clr_json_gen_take (g);
    TAP_OK (strcmp (json, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}") == 0,
            "minimal section: only defaultAction (%s)", json);
    free (json);
  }

  /* a file profile round trips too */
  {
    struct clr_arena *a = clr_arena_new ();
    struct clr_seccomp *sc = NULL;
    struct clr_config *cfg = NULL;
    clr_err err = { 0 };
    char path[256];
    bool ok;
    snprintf (path, sizeof path, "%s/profile.json", tmpdir);
    ok = clr_seccomp_profile (path, a, &sc, &err) == 0 && sc && round_trip (sc, &cfg, NULL) == 0
         && seccomp_eq (sc, cfg->linux.seccomp);
    TAP_OK (ok, "file profile -> JSON -> clr_config_parse: same content");
    clr_config_free (cfg);
    clr_arena_free (a);
  }
}

static void
cleanup_tmpdir (void)
{
  char cmd[256];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    fprintf (stderr, "# could not remove %s\n", tmpdir);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  filters_apply = probe_filters ();
  printf ("# filters %s\n", filters_apply ? "take effect" : "do NOT take effect: child checks skipped");

  test_unconfined_and_names ();
  test_structure ();
  test_compile ();
  test_build_speed ();
  test_default_in_child ();
  test_strict_in_child ();
  test_control ();
  test_file_profile ();
  test_round_trip ();

  cleanup_tmpdir ();
  return tap_done ();
}
