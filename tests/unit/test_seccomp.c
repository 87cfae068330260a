/* Unit tests for seccomp/seccomp.c.
 *
 * Every filter is compiled in the test process but loaded only in a forked child,
 * which then makes the syscall under test and reports what it saw through its exit
 * status (an errno value, 0, or a small failure code).  The test process itself never
 * runs under a filter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>
#include <yajl/yajl_tree.h>

/* gnu11 predefines `linux` as 1, which breaks config.h's `struct clr_linux linux`. */

#include "runtime/util.h"
#include "seccomp/seccomp.h"
#include "tests/unit/tap.h"

#ifndef AF_PACKET
#define AF_PACKET 17
#endif

static char tmpdir[] = "/tmp/clawrun-test-seccomp-XXXXXX";

/* Whether a loaded filter takes effect in a forked child, and the libseccomp API level.
 * Under valgrind (3.19 has no seccomp(2)) filters do not behave: the child-side checks
 * are then skipped and only the parent side (compile, send_notify, free) is checked. */
static bool filters_apply;
static unsigned api_level;

#define SKIP_NO_FILTERS "seccomp filters do not take effect in this process (valgrind?)"

/* A check that needs a child running under a loaded filter. */
#define CHILD_OK(cond, ...)                                                                  \
  do                                                                                         \
    {                                                                                        \
      if (filters_apply)                                                                     \
        TAP_OK (cond, __VA_ARGS__);                                                          \
      else                                                                                   \
        TAP_SKIP (SKIP_NO_FILTERS, __VA_ARGS__);                                             \
    }                                                                                        \
  while (0)

/* Skip the N checks of a test that needs libseccomp API level LEVEL. */
static bool
need_api (unsigned level, int n, const char *what)
{
  char reason[96];
  if (api_level >= level)
    return true;
  snprintf (reason, sizeof reason, "libseccomp API level %u < %u here", api_level, level);
  for (int i = 0; i < n; i++)
    TAP_SKIP (reason, "%s", what);
  return false;
}

/* ---- helpers ---- */

#define NAMES(...) ((char *[]) { __VA_ARGS__, NULL })
#define N_OF(...) (sizeof ((const char *[]) { __VA_ARGS__ }) / sizeof (const char *))
#define RULE(act, ...) { .names = NAMES (__VA_ARGS__), .n_names = N_OF (__VA_ARGS__), .action = (act) }

static struct clr_seccomp
profile (const char *default_action, struct clr_seccomp_syscall *rules, size_t n)
{
  return (struct clr_seccomp) { .default_action = default_action, .syscalls = rules, .n_syscalls = n };
}

/* Wait for PID for at most SECS seconds, then SIGKILL it (a hung child must not hang
 * the suite).  Returns the wait status. */
static int
wait_child (pid_t pid, int secs)
{
  int status = 0;
  for (int i = 0; i < secs * 100; i++)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        return status;
      nanosleep (&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
    }
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  return status;
}

typedef int (*child_fn) (void *arg);

/* Exit codes the child uses for its own trouble (errno values stay below these). */
enum { CHILD_LOAD_FAILED = 200, CHILD_UNEXPECTED_NOTIFY_FD = 201 };

/* Fork; the child loads F then exits with FN (ARG).  Returns the child's wait status. */
static int
run_child (struct clr_seccomp_filter *f, child_fn fn, void *arg)
{
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      clr_err err;
      int nfd = -2;
      if (clr_seccomp_load (f, &nfd, &err) < 0)
        {
          fprintf (stderr, "# child: %s\n", err.msg);
          _exit (CHILD_LOAD_FAILED);
        }
      if (nfd != -1)
        _exit (CHILD_UNEXPECTED_NOTIFY_FD);
      _exit (fn (arg));
    }
  return wait_child (pid, 20);
}

static bool
exited_with (int status, int code)
{
  return status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == code;
}

static bool
killed_by (int status, int sig)
{
  return status != -1 && WIFSIGNALED (status) && WTERMSIG (status) == sig;
}

/* Compile SC; on failure print the error and return NULL. */
static struct clr_seccomp_filter *
compile_ok (const struct clr_seccomp *sc)
{
  struct clr_seccomp_filter *f = NULL;
  clr_err err = { 0 };
  if (clr_seccomp_compile (sc, &f, &err) < 0)
    {
      printf ("# compile: %s\n", err.msg);
      return NULL;
    }
  return f;
}

/* Compile SC expecting a failure with exactly MSG. */
static void
expect_compile_error (const struct clr_seccomp *sc, const char *msg, const char *what)
{
  struct clr_seccomp_filter *f = (void *) 1;
  clr_err err = { 0 };
  int ret = clr_seccomp_compile (sc, &f, &err);
  TAP_OK (ret < 0 && f == NULL && strcmp (err.msg, msg) == 0, "%s: %s", what, msg);
  if (ret < 0 && strcmp (err.msg, msg) != 0)
    printf ("#   got: %s\n", err.msg);
  if (ret == 0)
    clr_seccomp_filter_free (f);
}

/* Does a filter loaded in a child take effect here?  Uses libseccomp directly so that a
 * bug in seccomp.c shows up as failures, not as skips. */
static bool
probe_filters (void)
{
  char path[128];
  int status;
  pid_t pid;

  snprintf (path, sizeof path, "%s/probe", tmpdir);
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      scmp_filter_ctx c = seccomp_init (SCMP_ACT_ALLOW);
      if (c == NULL || seccomp_attr_set (c, SCMP_FLTATR_CTL_NNP, 0) < 0
          || seccomp_rule_add (c, SCMP_ACT_ERRNO (EHWPOISON), SCMP_SYS (mkdir), 0) < 0
          || seccomp_load (c) < 0)
        _exit (1);
      _exit (syscall (SYS_mkdir, path, 0700) < 0 && errno == EHWPOISON ? 0 : 2);
    }
  if (pid < 0)
    return false;
  status = wait_child (pid, 20);
  rmdir (path);
  return exited_with (status, 0);
}

/* ---- child bodies: return the errno seen (0 for success) ---- */

static int
do_mkdir (void *arg)
{
  const char *path = arg;
  return syscall (SYS_mkdir, path, 0700) < 0 ? errno : 0;
}

static int
do_getppid (void *arg)
{
  return syscall (SYS_getppid) < 0 ? errno : 0;
}

struct sock_case {
  int domain, type, proto;
};

/* One socket() call of do_sockets() and the errno it must give (0: must work). */
struct sock_expect {
  struct sock_case c;
  int expect_errno;
};

/* Returns 0 when every socket of the list ARG (ended by domain 0) behaves as expected,
 * else the 1-based index of the first one that does not. */
static int
do_sockets (void *arg)
{
  const struct sock_expect *e = arg;
  for (int i = 0; e[i].c.domain; i++)
    {
      int fd = syscall (SYS_socket, e[i].c.domain, e[i].c.type, e[i].c.proto);
      int got = fd < 0 ? errno : 0;
      if (fd >= 0)
        close (fd);
      if (got != e[i].expect_errno)
        return i + 1;
    }
  return 0;
}

static int
do_personality (void *arg)
{
  /* (PER_LINUX32 | ADDR_NO_RANDOMIZE) & 0xffff == PER_LINUX32: refused. */
  if (syscall (SYS_personality, PER_LINUX32 | ADDR_NO_RANDOMIZE) != -1 || errno != EPERM)
    return 1;
  /* 0xffffffff (query) & 0xffff != PER_LINUX32: allowed. */
  if (syscall (SYS_personality, 0xffffffffUL) == -1)
    return 2;
  /* PER_LINUX: allowed. */
  if (syscall (SYS_personality, PER_LINUX) == -1)
    return 3;
  return 0;
}

static int
do_uname (void *arg)
{
  struct utsname u;
  syscall (SYS_uname, &u);
  return 0; /* not reached when the filter kills */
}

/* ---- tests ---- */

static void
test_tables (void)
{
  size_t n;
  bool kill_thread = false;

  for (n = 0; clr_seccomp_actions[n]; n++)
    kill_thread |= strcmp (clr_seccomp_actions[n], "SCMP_ACT_KILL_THREAD") == 0;
  TAP_OK (n == 9 && kill_thread, "9 actions for features, including SCMP_ACT_KILL_THREAD");
  for (n = 0; clr_seccomp_operators[n]; n++)
    ;
  TAP_OK (n == 7 && strcmp (clr_seccomp_operators[6], "SCMP_CMP_MASKED_EQ") == 0,
          "7 operators for features");
  for (n = 0; clr_seccomp_archs[n]; n++)
    ;
  TAP_OK (n == 19 && strcmp (clr_seccomp_archs[1], "SCMP_ARCH_X86_64") == 0,
          "19 architectures for features");
  for (n = 0; clr_seccomp_flags[n]; n++)
    ;
  TAP_OK (n == 3 || n == 4, "%zu flags for features", n);
}

static void
test_errno_default_eperm (void)
{
  char path[128];
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_ERRNO", "mkdir") };
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f = compile_ok (&sc);
  struct stat st;

  TAP_OK (f != NULL, "compile ALLOW + mkdir ERRNO");
  if (! f)
    return;
  snprintf (path, sizeof path, "%s/d1", tmpdir);
  CHILD_OK (exited_with (run_child (f, do_mkdir, path), EPERM),
          "mkdir gets EPERM (default errnoRet), no notify fd");
  CHILD_OK (stat (path, &st) < 0 && errno == ENOENT, "directory was not created");
  CHILD_OK (exited_with (run_child (f, do_getppid, NULL), 0), "other syscalls still allowed");
  clr_seccomp_filter_free (f);
}

static void
test_errno_ret (void)
{
  char path[128];
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_ERRNO", "mkdir") };
  r[0].has_errno_ret = true;
  r[0].errno_ret = 38;
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f = compile_ok (&sc);

  TAP_OK (f != NULL, "compile mkdir ERRNO errnoRet 38");
  if (! f)
    return;
  snprintf (path, sizeof path, "%s/d2", tmpdir);
  CHILD_OK (exited_with (run_child (f, do_mkdir, path), 38), "mkdir gets errno 38 (ENOSYS)");
  clr_seccomp_filter_free (f);
}

static void
test_default_errno (void)
{
  /* What libc and sanitizer runtimes may do around the checked syscall and _exit. */
  struct clr_seccomp_syscall r[] = {
    RULE ("SCMP_ACT_ALLOW", "exit_group", "exit", "write", "mmap", "munmap", "mprotect",
          "madvise", "brk", "futex", "sigaltstack", "gettid", "getpid", "rt_sigprocmask",
          "rt_sigaction", "prctl", "sched_yield", "close", "getrlimit", "prlimit64"),
  };
  struct clr_seccomp sc = profile ("SCMP_ACT_ERRNO", r, 1);
  struct clr_seccomp_filter *f;

  sc.has_default_errno_ret = true;
  sc.default_errno_ret = EHWPOISON;
  f = compile_ok (&sc);
  TAP_OK (f != NULL, "compile default ERRNO(defaultErrnoRet) with an allow list");
  if (! f)
    return;
  CHILD_OK (exited_with (run_child (f, do_getppid, NULL), EHWPOISON),
            "getppid gets defaultErrnoRet, the allow list is allowed");
  clr_seccomp_filter_free (f);
}

static void
test_masked_eq (void)
{
  struct clr_seccomp_arg a[] = { { .index = 0, .op = SCMP_CMP_MASKED_EQ, .value = 0xffff,
                                   .value_two = PER_LINUX32 } };
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_ERRNO", "personality") };
  r[0].args = a;
  r[0].n_args = 1;
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f = compile_ok (&sc);

  TAP_OK (f != NULL, "compile personality MASKED_EQ (mask 0xffff, datum PER_LINUX32)");
  if (! f)
    return;
  CHILD_OK (exited_with (run_child (f, do_personality, NULL), 0),
            "MASKED_EQ uses value as mask and valueTwo as datum");
  clr_seccomp_filter_free (f);
}

static void
test_socket_eq (void)
{
  struct clr_seccomp_arg a[] = { { .index = 0, .op = SCMP_CMP_EQ, .value = AF_PACKET } };
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_ERRNO", "socket") };
  r[0].args = a;
  r[0].n_args = 1;
  r[0].has_errno_ret = true;
  r[0].errno_ret = EHWPOISON; /* distinct from anything socket() could say by itself */
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f = compile_ok (&sc);
  struct sock_expect e[] = {
    { { AF_PACKET, SOCK_RAW, 0 }, EHWPOISON },
    { { AF_INET, SOCK_STREAM, 0 }, 0 },
    { { 0 }, 0 },
  };

  TAP_OK (f != NULL, "compile socket arg0 == AF_PACKET");
  if (! f)
    return;
  CHILD_OK (exited_with (run_child (f, do_sockets, e), 0),
          "socket(AF_PACKET) refused, socket(AF_INET) works");
  clr_seccomp_filter_free (f);
}

static void
test_same_index_or (void)
{
  struct clr_seccomp_arg a[] = {
    { .index = 0, .op = SCMP_CMP_EQ, .value = AF_PACKET },
    { .index = 0, .op = SCMP_CMP_EQ, .value = AF_NETLINK },
  };
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_ERRNO", "socket") };
  r[0].args = a;
  r[0].n_args = 2;
  r[0].has_errno_ret = true;
  r[0].errno_ret = EHWPOISON;
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f = compile_ok (&sc);
  struct sock_expect e[] = {
    { { AF_PACKET, SOCK_RAW, 0 }, EHWPOISON },
    { { AF_NETLINK, SOCK_RAW, 0 }, EHWPOISON },
    { { AF_INET, SOCK_STREAM, 0 }, 0 },
    { { 0 }, 0 },
  };

  TAP_OK (f != NULL, "compile two args on index 0 (libseccomp alone would say EINVAL)");
  if (! f)
    return;
  CHILD_OK (exited_with (run_child (f, do_sockets, e), 0),
          "same-index args are ORed: AF_PACKET and AF_NETLINK refused, AF_INET works");
  clr_seccomp_filter_free (f);
}

static void
test_distinct_index_and (void)
{
  struct clr_seccomp_arg a[] = {
    { .index = 0, .op = SCMP_CMP_EQ, .value = AF_INET },
    { .index = 1, .op = SCMP_CMP_EQ, .value = SOCK_DGRAM },
  };
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_ERRNO", "socket") };
  r[0].args = a;
  r[0].n_args = 2;
  r[0].has_errno_ret = true;
  r[0].errno_ret = EHWPOISON;
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f = compile_ok (&sc);
  struct sock_expect e[] = {
    { { AF_INET, SOCK_DGRAM, 0 }, EHWPOISON },
    { { AF_INET, SOCK_STREAM, 0 }, 0 },
    { { AF_UNIX, SOCK_DGRAM, 0 }, 0 },
    { { 0 }, 0 },
  };

  TAP_OK (f != NULL, "compile args on index 0 and 1");
  if (! f)
    return;
  CHILD_OK (exited_with (run_child (f, do_sockets, e), 0),
          "distinct-index args are ANDed: only AF_INET+SOCK_DGRAM refused");
  clr_seccomp_filter_free (f);
}

static void
test_unknown_syscall_skipped (void)
{
  char path[128];
  struct clr_seccomp_syscall r[] = {
    RULE ("SCMP_ACT_ERRNO", "clawrun_no_such_syscall", "mkdir"),
    /* Only on other architectures: resolved to a pseudo number that libseccomp
     * handles; Docker's default profile has many of these. */
    RULE ("SCMP_ACT_ERRNO", "socketcall", "arm_fadvise64_64", "_llseek"),
  };
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 2);
  struct clr_seccomp_filter *f = compile_ok (&sc);

  TAP_OK (f != NULL, "unknown and foreign-arch syscall names are skipped silently");
  if (! f)
    return;
  snprintf (path, sizeof path, "%s/d3", tmpdir);
  CHILD_OK (exited_with (run_child (f, do_mkdir, path), EPERM),
          "the known name of the same entry is still filtered");
  clr_seccomp_filter_free (f);
}

static void
test_rule_same_as_default_skipped (void)
{
  struct clr_seccomp_syscall r[] = {
    RULE ("SCMP_ACT_ERRNO", "mkdir"),
    RULE ("SCMP_ACT_ERRNO", "rmdir"),
    RULE ("SCMP_ACT_ALLOW", "getppid"),
  };
  r[1].has_errno_ret = true;
  r[1].errno_ret = EPERM;
  struct clr_seccomp sc = profile ("SCMP_ACT_ERRNO", r, 3);
  struct clr_seccomp_filter *f = compile_ok (&sc);

  TAP_OK (f != NULL, "rules equal to the default action (ERRNO = ERRNO(EPERM)) are skipped");
  clr_seccomp_filter_free (f);
}

static void
test_arches_and_flags (void)
{
  char path[128];
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_ERRNO", "mkdir") };
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f;

  /* SPEC_ALLOW needs API level 4 (kernel 4.17). */
  if (! need_api (4, 2, "extra architectures and flags"))
    return;
  sc.architectures = NAMES ("SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64");
  sc.n_architectures = 3;
  sc.flags = NAMES ("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                    "SECCOMP_FILTER_FLAG_TSYNC");
  sc.n_flags = 3;
  f = compile_ok (&sc);
  TAP_OK (f != NULL, "compile with extra architectures (native listed too) and flags");
  if (! f)
    return;
  snprintf (path, sizeof path, "%s/d4", tmpdir);
  CHILD_OK (exited_with (run_child (f, do_mkdir, path), EPERM), "loads with LOG|SPEC_ALLOW|TSYNC");
  clr_seccomp_filter_free (f);
}

static void
test_compile_errors (void)
{
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_FOO", "mkdir") };
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);

  expect_compile_error (&sc, "seccomp: unknown action \"SCMP_ACT_FOO\"", "unknown rule action");

  sc = profile ("SCMP_ACT_BAR", NULL, 0);
  expect_compile_error (&sc, "seccomp: unknown action \"SCMP_ACT_BAR\"", "unknown default action");

  sc = profile ("SCMP_ACT_NOTIFY", NULL, 0);
  expect_compile_error (&sc, "seccomp: SCMP_ACT_NOTIFY cannot be used as default action",
                        "NOTIFY as default");

  sc = profile ("SCMP_ACT_ALLOW", NULL, 0);
  sc.has_default_errno_ret = true;
  sc.default_errno_ret = 1;
  expect_compile_error (
      &sc, "seccomp: defaultAction: errnoRet is not supported by action \"SCMP_ACT_ALLOW\"",
      "defaultErrnoRet with ALLOW");

  struct clr_seccomp_syscall r2[] = { RULE ("SCMP_ACT_KILL", "mkdir") };
  r2[0].has_errno_ret = true;
  r2[0].errno_ret = 1;
  sc = profile ("SCMP_ACT_ALLOW", r2, 1);
  expect_compile_error (
      &sc, "seccomp: syscall \"mkdir\": errnoRet is not supported by action \"SCMP_ACT_KILL\"",
      "errnoRet with KILL");

  struct clr_seccomp_syscall r3[] = { RULE ("SCMP_ACT_ERRNO", "mkdir") };
  r3[0].has_errno_ret = true;
  r3[0].errno_ret = 65536;
  sc = profile ("SCMP_ACT_ALLOW", r3, 1);
  expect_compile_error (&sc, "seccomp: syscall \"mkdir\": errnoRet 65536 out of range (0-65535)",
                        "errnoRet too large");

  sc = profile ("SCMP_ACT_ALLOW", NULL, 0);
  sc.architectures = NAMES ("SCMP_ARCH_VAX");
  sc.n_architectures = 1;
  expect_compile_error (&sc, "seccomp: unknown architecture \"SCMP_ARCH_VAX\"", "unknown arch");

  sc = profile ("SCMP_ACT_ALLOW", NULL, 0);
  sc.flags = NAMES ("SECCOMP_FILTER_FLAG_NOPE");
  sc.n_flags = 1;
  expect_compile_error (&sc, "seccomp: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"", "unknown flag");

  sc = profile ("SCMP_ACT_ALLOW", NULL, 0);
  sc.flags = NAMES ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  sc.n_flags = 1;
  if (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6)
    {
      char msg[256];
      snprintf (msg, sizeof msg,
                "seccomp: flag \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\" not supported (needs "
                "libseccomp >= 2.6, built with %d.%d.%d)",
                SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
      expect_compile_error (&sc, msg, "WAIT_KILLABLE_RECV on old libseccomp");
    }
  else
    TAP_SKIP ("libseccomp >= 2.6", "WAIT_KILLABLE_RECV on old libseccomp");

  struct clr_seccomp_arg bad_index[] = { { .index = 6, .op = SCMP_CMP_EQ } };
  struct clr_seccomp_syscall r4[] = { RULE ("SCMP_ACT_ERRNO", "mkdir") };
  r4[0].args = bad_index;
  r4[0].n_args = 1;
  sc = profile ("SCMP_ACT_ALLOW", r4, 1);
  expect_compile_error (&sc, "seccomp: syscall \"mkdir\": argument index 6 out of range (0-5)",
                        "argument index 6");

  struct clr_seccomp_arg bad_op[] = { { .index = 0, .op = 42 } };
  r4[0].args = bad_op;
  expect_compile_error (&sc, "seccomp: syscall \"mkdir\": unknown operator 42", "bad operator");

  struct clr_seccomp_syscall r5[] = { RULE ("SCMP_ACT_NOTIFY", "read", "write") };
  sc = profile ("SCMP_ACT_ALLOW", r5, 1);
  sc.listener_path = "/run/agent.sock";
  expect_compile_error (&sc, "seccomp: SCMP_ACT_NOTIFY cannot be used for the write syscall",
                        "NOTIFY on write");

  struct clr_seccomp_syscall r6[] = { RULE ("SCMP_ACT_NOTIFY", "getppid") };
  sc = profile ("SCMP_ACT_ALLOW", r6, 1);
  if (need_api (5, 1, "NOTIFY without listenerPath"))
    expect_compile_error (&sc, "seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set",
                        "NOTIFY without listenerPath");

  /* libseccomp refuses the same condition with two different actions. */
  struct clr_seccomp_arg eq1[] = { { .index = 0, .op = SCMP_CMP_EQ, .value = 1 } };
  struct clr_seccomp_syscall r7[] = { RULE ("SCMP_ACT_ERRNO", "mount"),
                                      RULE ("SCMP_ACT_TRAP", "mount") };
  r7[0].args = r7[1].args = eq1;
  r7[0].n_args = r7[1].n_args = 1;
  sc = profile ("SCMP_ACT_ALLOW", r7, 2);
  expect_compile_error (&sc, "seccomp: add rule for \"mount\": EEXIST (file exists)",
                        "libseccomp error names the syscall");
}

static void
test_kill (const char *action, int sig)
{
  struct clr_seccomp_syscall r[] = { RULE (action, "uname") };
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f;

  /* SCMP_ACT_KILL_PROCESS needs API level 3 (kernel 4.14). */
  if (! need_api (strcmp (action, "SCMP_ACT_KILL_PROCESS") == 0 ? 3 : 1, 2, action))
    return;
  f = compile_ok (&sc);
  TAP_OK (f != NULL, "compile uname %s", action);
  if (! f)
    return;
  CHILD_OK (killed_by (run_child (f, do_uname, NULL), sig), "%s: child killed by SIGSYS",
            action);
  clr_seccomp_filter_free (f);
}

/* ---- SCMP_ACT_NOTIFY and the listener ---- */

struct notify_child_arg {
  struct clr_seccomp_filter *f;
  const char *listener;
};

static int
listen_unix (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
  unlink (path);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 4) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Accept one connection on LFD (waiting at most 10s) and read the whole message and
 * the fd it carries.  Returns the payload (malloc'd) or NULL. */
static char *
accept_state (int lfd, int *got_fd, int *n_fds)
{
  struct pollfd p = { .fd = lfd, .events = POLLIN };
  cleanup_close int c = -1;
  size_t len = 0, cap = 65536;
  cleanup_free char *buf = xmalloc (cap);

  *got_fd = -1;
  *n_fds = 0;
  if (poll (&p, 1, 10000) != 1)
    return NULL;
  c = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return NULL;
  for (;;)
    {
      union {
        char b[CMSG_SPACE (4 * sizeof (int))];
        struct cmsghdr align;
      } ctrl;
      struct iovec iov = { buf + len, cap - len - 1 };
      struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.b,
                            .msg_controllen = sizeof ctrl.b };
      ssize_t n = recvmsg (c, &msg, MSG_CMSG_CLOEXEC);
      if (n < 0)
        return NULL;
      for (struct cmsghdr *cm = CMSG_FIRSTHDR (&msg); cm; cm = CMSG_NXTHDR (&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
          {
            int k = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
            int fds[4];
            memcpy (fds, CMSG_DATA (cm), k * sizeof (int));
            for (int i = 0; i < k; i++)
              {
                if (*got_fd < 0)
                  *got_fd = fds[i];
                else
                  close (fds[i]);
              }
            *n_fds += k;
          }
      if (n == 0)
        break; /* the runtime closes after one state */
      len += n;
      if (len + 1 >= cap)
        return NULL;
    }
  buf[len] = '\0';
  return clr_steal_ptr (&buf);
}

static const char *
tree_str (yajl_val v, const char **path)
{
  yajl_val s = yajl_tree_get (v, path, yajl_t_string);
  return s ? s->u.string : "";
}

static void
check_state_payload (const char *payload, pid_t pid, const char *what)
{
  char e[256];
  yajl_val v = payload ? yajl_tree_parse (payload, e, sizeof e) : NULL;
  const char *ver[] = { "ociVersion", NULL }, *fds[] = { "fds", NULL },
             *p[] = { "pid", NULL }, *md[] = { "metadata", NULL },
             *sid[] = { "state", "id", NULL }, *spid[] = { "state", "pid", NULL },
             *ann[] = { "state", "annotations", "k", NULL };
  yajl_val fa = v ? yajl_tree_get (v, fds, yajl_t_array) : NULL;
  yajl_val pv = v ? yajl_tree_get (v, p, yajl_t_number) : NULL;
  yajl_val spv = v ? yajl_tree_get (v, spid, yajl_t_number) : NULL;

  TAP_OK (v != NULL, "%s: payload is JSON", what);
  TAP_OK (v && strcmp (tree_str (v, ver), "1.2.0") == 0, "%s: ociVersion 1.2.0", what);
  TAP_OK (fa && fa->u.array.len == 1 && YAJL_IS_STRING (fa->u.array.values[0])
              && strcmp (fa->u.array.values[0]->u.string, "seccompFd") == 0,
          "%s: fds [\"seccompFd\"]", what);
  TAP_OK (pv && spv && YAJL_GET_INTEGER (pv) == pid && YAJL_GET_INTEGER (spv) == pid,
          "%s: pid %d passed through from the state", what, (int) pid);
  TAP_OK (v && strcmp (tree_str (v, md), "agent-metadata") == 0, "%s: metadata", what);
  TAP_OK (v && strcmp (tree_str (v, sid), "ctr-1") == 0 && strcmp (tree_str (v, ann), "v") == 0,
          "%s: state embedded as an object", what);
  if (v)
    yajl_tree_free (v);
}

static int
notify_child (void *argp)
{
  struct notify_child_arg *a = argp;
  clr_err err;
  char state[256];
  int nfd = -1;
  long r;

  if (clr_seccomp_load (a->f, &nfd, &err) < 0)
    return 10;
  if (nfd < 0)
    return 11;
  snprintf (state, sizeof state,
            "{\"ociVersion\":\"1.2.0\",\"id\":\"ctr-1\",\"status\":\"creating\",\"pid\":%d,"
            "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}",
            (int) getpid ());
  if (clr_seccomp_send_notify (a->listener, "agent-metadata", nfd, state, &err) < 0)
    {
      fprintf (stderr, "# child: %s\n", err.msg);
      return 12;
    }
  close (nfd);
  /* Blocks until the agent (the test) answers: it returns 4242. */
  r = syscall (SYS_getppid);
  return r == 4242 ? 0 : 13;
}

static void
test_notify (void)
{
  char listener[128];
  struct clr_seccomp_syscall r[] = { RULE ("SCMP_ACT_NOTIFY", "getppid") };
  struct clr_seccomp sc = profile ("SCMP_ACT_ALLOW", r, 1);
  struct clr_seccomp_filter *f;
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  cleanup_close int lfd = -1;
  cleanup_close int nfd = -1;
  cleanup_free char *payload = NULL;
  int n_fds = 0, st;
  pid_t pid;

  /* SCMP_ACT_NOTIFY needs API level 5 (kernel 5.0); the agent side needs filters. */
  if (! need_api (5, 1, "NOTIFY"))
    return;
  if (! filters_apply)
    {
      TAP_SKIP (SKIP_NO_FILTERS, "NOTIFY");
      return;
    }
  snprintf (listener, sizeof listener, "%s/agent.sock", tmpdir);
  sc.listener_path = listener;
  sc.listener_metadata = "agent-metadata";
  f = compile_ok (&sc);
  TAP_OK (f != NULL, "compile getppid NOTIFY");
  if (! f)
    return;
  lfd = listen_unix (listener);
  TAP_OK (lfd >= 0, "listener socket");
  if (lfd < 0)
    goto out;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    _exit (notify_child (&(struct notify_child_arg) { f, listener }));

  payload = accept_state (lfd, &nfd, &n_fds);
  TAP_OK (payload != NULL && nfd >= 0 && n_fds == 1,
          "clr_seccomp_send_notify delivered one fd with the state");
  check_state_payload (payload, pid, "notify");

  if (nfd >= 0 && seccomp_notify_alloc (&req, &resp) == 0)
    {
      struct pollfd p = { .fd = nfd, .events = POLLIN };
      bool ready = poll (&p, 1, 10000) == 1;
      int rr = ready ? seccomp_notify_receive (nfd, req) : -1;
      TAP_OK (rr == 0 && req->data.nr == SYS_getppid && req->pid == (uint32_t) pid,
              "notification received for the child's getppid");
      TAP_OK (waitpid (pid, &st, WNOHANG) == 0, "child is blocked until the agent answers");
      if (rr == 0)
        {
          resp->id = req->id;
          resp->val = 4242;
          resp->error = 0;
          resp->flags = 0;
          TAP_OK (seccomp_notify_respond (nfd, resp) == 0, "respond");
        }
      seccomp_notify_free (req, resp);
    }
  else
    TAP_OK (false, "seccomp_notify_alloc");

  st = wait_child (pid, 20);
  TAP_OK (exited_with (st, 0), "child's getppid returned the agent's value 4242 (status 0x%x)",
          st);
out:
  unlink (listener);
  clr_seccomp_filter_free (f);
}

/* send_notify on its own, in this process: long listener paths and error reports. */
static void
test_send_notify_direct (void)
{
  char dir[256], listener[300];
  cleanup_close int lfd = -1;
  int pipefd[2], got = -1, n_fds = 0;
  clr_err err = { 0 };
  char *payload;
  const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"ctr-1\",\"status\":\"creating\","
                      "\"pid\":4422,\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"},"
                      "\"big\":18446744073709551615,\"f\":1.5e3,\"n\":null,\"t\":[true,false]}";

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return;

  /* A path longer than sun_path (108). */
  snprintf (dir, sizeof dir, "%s/%s", tmpdir,
            "a-rather-long-directory-name-to-go-past-the-108-bytes-of-sun_path-0123456789");
  mkdir (dir, 0700);
  snprintf (listener, sizeof listener, "%s/agent.sock", dir);
  TAP_OK (strlen (listener) >= sizeof ((struct sockaddr_un *) 0)->sun_path,
          "listener path is %zu bytes", strlen (listener));
  {
    /* bind() needs a short path too: go through the directory's fd. */
    cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    char via[128];
    snprintf (via, sizeof via, "/proc/self/fd/%d/agent.sock", dfd);
    lfd = listen_unix (via);
  }
  TAP_OK (lfd >= 0, "long-path listener");
  if (lfd >= 0)
    {
      int ret = clr_seccomp_send_notify (listener, "agent-metadata", pipefd[0], state, &err);
      TAP_OK (ret == 0, "send to a long listener path%s%s", ret ? ": " : "", ret ? err.msg : "");
      payload = accept_state (lfd, &got, &n_fds);
      TAP_OK (payload && got >= 0 && n_fds == 1, "fd received");
      check_state_payload (payload, 4422, "direct");
      TAP_OK (payload && strstr (payload, "18446744073709551615") && strstr (payload, "1.5e3")
                  && strstr (payload, "\"n\":null") && strstr (payload, "[true,false]"),
              "numbers and literals of the state are passed through verbatim");
      free (payload);
      if (got >= 0)
        {
          struct stat a, b;
          TAP_OK (fstat (got, &a) == 0 && fstat (pipefd[0], &b) == 0 && a.st_ino == b.st_ino,
                  "the received fd is the one sent");
          close (got);
        }
    }
  snprintf (listener, sizeof listener, "%s/agent.sock", dir);
  unlink (listener);
  rmdir (dir);

  snprintf (listener, sizeof listener, "%s/nobody.sock", tmpdir);
  TAP_OK (clr_seccomp_send_notify (listener, NULL, pipefd[0], state, &err) < 0
              && clr_has_prefix (err.msg, "seccomp: connect to listener \"")
              && strstr (err.msg, "ENOENT"),
          "no listener: %s", err.msg);
  TAP_OK (clr_seccomp_send_notify (listener, NULL, pipefd[0], "{\"id\":", &err) < 0
              && clr_has_prefix (err.msg, "seccomp: parse the container state: "),
          "bad state JSON: error");
  TAP_OK (clr_seccomp_send_notify (listener, NULL, pipefd[0], "{\"id\":\"x\"}", &err) < 0
              && strcmp (err.msg, "seccomp: container state has no valid \"pid\"") == 0,
          "state without pid: %s", err.msg);
  TAP_OK (clr_seccomp_send_notify (listener, NULL, -1, state, &err) < 0, "negative fd refused");
  close (pipefd[0]);
  close (pipefd[1]);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  api_level = seccomp_api_get ();
  filters_apply = probe_filters ();
  printf ("# libseccomp %u.%u.%u, API level %u, filters %s\n", seccomp_version ()->major,
          seccomp_version ()->minor, seccomp_version ()->micro, api_level,
          filters_apply ? "take effect" : "do NOT take effect: child checks skipped");

  test_tables ();
  test_errno_default_eperm ();
  test_errno_ret ();
  test_default_errno ();
  test_masked_eq ();
  test_socket_eq ();
  test_same_index_or ();
  test_distinct_index_and ();
  test_unknown_syscall_skipped ();
  test_rule_same_as_default_skipped ();
  test_arches_and_flags ();
  test_compile_errors ();
  test_kill ("SCMP_ACT_KILL_PROCESS", SIGSYS);
  test_kill ("SCMP_ACT_KILL", SIGSYS);
  test_kill ("SCMP_ACT_TRAP", SIGSYS);
  test_notify ();
  test_send_notify_direct ();

  /* Whatever a broken filter let through. */
  for (const char *d = "1234"; *d; d++)
    {
      char p[128];
      snprintf (p, sizeof p, "%s/d%c", tmpdir, *d);
      rmdir (p);
    }
  rmdir (tmpdir);
  return tap_done ();
}
