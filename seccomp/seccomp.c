/* clawrun: the OCI seccomp section, compiled with libseccomp.
 *
 * Semantics follow runc (libcontainer/seccomp) so that profiles written for
 * Docker/Podman/Kubernetes behave the same here:
 *  - unknown syscall names are skipped (the profile may list syscalls of newer kernels
 *    or other architectures);
 *  - a rule whose action equals the default action is skipped (libseccomp refuses it);
 *  - the args of one rule are ANDed, except that when two args share an index each arg
 *    becomes a rule of its own (ORed), which is what profiles with e.g. two
 *    `personality` values on arg 0 expect;
 *  - SCMP_ACT_NOTIFY is refused as default action and for `write`: the container's
 *    init still has to hand the listener fd out after the filter is loaded, and it
 *    would block forever on its own notified syscall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <seccomp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* gnu11 predefines `linux` as 1, which breaks config.h's `struct clr_linux linux`
 * member; nothing below tests the macro. */
#undef linux

#include "seccomp.h"
#include "../runtime/util.h"

/* SCMP_FLTATR_CTL_WAITKILL is an enum constant (no macro to test), new in 2.6. */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define CLR_HAVE_SCMP_WAITKILL 1
#else
#define CLR_HAVE_SCMP_WAITKILL 0
#endif

/* Version of the runtime-spec the container process state complies with. */
#define CLR_SECCOMP_STATE_OCI_VERSION "1.2.0"

struct clr_seccomp_filter {
  scmp_filter_ctx ctx;
  bool uses_notify; /* at least one SCMP_ACT_NOTIFY rule made it into the filter */
};

/* ---- name tables ----
 * Each list is written once (X-macro) and expanded both into the exported name array
 * for `features` and into the private lookup table, so they cannot drift apart. */

/* name, libseccomp action (errno part 0), accepts errnoRet */
#define CLR_SCMP_ACTIONS(X)                                                                  \
  X ("SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false)                                           \
  X ("SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false)                                  \
  X ("SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false)                                    \
  X ("SCMP_ACT_TRAP", SCMP_ACT_TRAP, false)                                                  \
  X ("SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true)                                             \
  X ("SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true)                                             \
  X ("SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false)                                                \
  X ("SCMP_ACT_LOG", SCMP_ACT_LOG, false)                                                    \
  X ("SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false)

#define CLR_SCMP_OPERATORS(X)                                                                \
  X ("SCMP_CMP_NE", SCMP_CMP_NE)                                                             \
  X ("SCMP_CMP_LT", SCMP_CMP_LT)                                                             \
  X ("SCMP_CMP_LE", SCMP_CMP_LE)                                                             \
  X ("SCMP_CMP_EQ", SCMP_CMP_EQ)                                                             \
  X ("SCMP_CMP_GE", SCMP_CMP_GE)                                                             \
  X ("SCMP_CMP_GT", SCMP_CMP_GT)                                                             \
  X ("SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ)

/* The architectures the runtime-spec lists (as of libseccomp 2.5.0). */
#define CLR_SCMP_ARCHS(X)                                                                    \
  X (X86) X (X86_64) X (X32) X (ARM) X (AARCH64) X (MIPS) X (MIPS64) X (MIPS64N32)          \
  X (MIPSEL) X (MIPSEL64) X (MIPSEL64N32) X (PPC) X (PPC64) X (PPC64LE) X (S390)            \
  X (S390X) X (PARISC) X (PARISC64) X (RISCV64)

/* name, filter attribute (-1: known to the spec but not to this libseccomp) */
#if CLR_HAVE_SCMP_WAITKILL
#define CLR_SCMP_FLAG_WAITKILL(X) X ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL)
#else
#define CLR_SCMP_FLAG_WAITKILL(X)
#endif
#define CLR_SCMP_FLAGS(X)                                                                    \
  X ("SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC)                                     \
  X ("SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG)                                         \
  X ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB)                                  \
  CLR_SCMP_FLAG_WAITKILL (X)

#define CLR_NAME_OF3(name, a, b) name,
#define CLR_NAME_OF2(name, a) name,
#define CLR_ARCH_NAME(n) "SCMP_ARCH_" #n,

const char *const clr_seccomp_actions[] = { CLR_SCMP_ACTIONS (CLR_NAME_OF3) NULL };
const char *const clr_seccomp_operators[] = { CLR_SCMP_OPERATORS (CLR_NAME_OF2) NULL };
const char *const clr_seccomp_archs[] = { CLR_SCMP_ARCHS (CLR_ARCH_NAME) NULL };
const char *const clr_seccomp_flags[] = { CLR_SCMP_FLAGS (CLR_NAME_OF2) NULL };

struct action_def {
  const char *name;
  uint32_t action;
  bool takes_errno;
};
#define CLR_ACTION_DEF(n, a, e) { n, a, e },
static const struct action_def action_defs[] = { CLR_SCMP_ACTIONS (CLR_ACTION_DEF) };

#define CLR_ARCH_TOKEN(n) SCMP_ARCH_##n,
static const uint32_t arch_tokens[] = { CLR_SCMP_ARCHS (CLR_ARCH_TOKEN) };

struct flag_def {
  const char *name;
  enum scmp_filter_attr attr;
};
#define CLR_FLAG_DEF(n, a) { n, a },
static const struct flag_def flag_defs[] = { CLR_SCMP_FLAGS (CLR_FLAG_DEF) };

_Static_assert (CLR_ARRAY_SIZE (clr_seccomp_archs) == CLR_ARRAY_SIZE (arch_tokens) + 1,
                "arch tables out of sync");

/* ---- compile ---- */

/* The libseccomp action for NAME with its errno (EPERM when none is given, as runc).
 * WHAT names the field for messages ("defaultAction", or the syscall). */
static int
resolve_action (const char *name, bool has_errno_ret, uint32_t errno_ret, const char *what,
                uint32_t *out, clr_err *err)
{
  const struct action_def *def = NULL;
  size_t i;

  if (name == NULL)
    return clr_fail (err, 0, "seccomp: %s: missing action", what);
  for (i = 0; i < CLR_ARRAY_SIZE (action_defs); i++)
    if (strcmp (action_defs[i].name, name) == 0)
      {
        def = &action_defs[i];
        break;
      }
  if (def == NULL)
    return clr_fail (err, 0, "seccomp: unknown action \"%s\"", name);

  if (! def->takes_errno)
    {
      /* runtime-spec: "When the action doesn't support an errno, the runtime MUST print
       * an error and fail." */
      if (has_errno_ret)
        return clr_fail (err, 0, "seccomp: %s: errnoRet is not supported by action \"%s\"",
                         what, name);
      *out = def->action;
      return 0;
    }

  if (! has_errno_ret)
    errno_ret = EPERM;
  /* The kernel only has 16 bits for it: runc would silently truncate, so that 65536
   * turned into ERRNO(0), i.e. a fake success.  Refuse instead. */
  if (errno_ret > 0xffff)
    return clr_fail (err, 0, "seccomp: %s: errnoRet %u out of range (0-65535)", what,
                     errno_ret);
  *out = def->action | errno_ret;
  return 0;
}

static int
add_arch (scmp_filter_ctx ctx, const char *name, clr_err *err)
{
  size_t i;
  int ret;

  for (i = 0; i < CLR_ARRAY_SIZE (arch_tokens); i++)
    if (strcmp (clr_seccomp_archs[i], name) == 0)
      break;
  if (i == CLR_ARRAY_SIZE (arch_tokens))
    return clr_fail (err, 0, "seccomp: unknown architecture \"%s\"", name);

  ret = seccomp_arch_add (ctx, arch_tokens[i]);
  /* The native architecture is always in the filter already: listing it is normal. */
  if (ret < 0 && ret != -EEXIST)
    return clr_fail (err, -ret, "seccomp: add architecture \"%s\"", name);
  return 0;
}

static int
set_flag (scmp_filter_ctx ctx, const char *name, clr_err *err)
{
  size_t i;
  int ret;

  for (i = 0; i < CLR_ARRAY_SIZE (flag_defs); i++)
    if (strcmp (flag_defs[i].name, name) == 0)
      {
        ret = seccomp_attr_set (ctx, flag_defs[i].attr, 1);
        if (ret < 0)
          return clr_fail (err, -ret, "seccomp: set flag \"%s\"", name);
        return 0;
      }
  if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
    return clr_fail (err, 0,
                     "seccomp: flag \"%s\" not supported (needs libseccomp >= 2.6, built "
                     "with %d.%d.%d)",
                     name, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
  return clr_fail (err, 0, "seccomp: unknown flag \"%s\"", name);
}

static bool
valid_operator (int op)
{
#define CLR_OP_CASE(n, o) case o:
  switch (op)
    {
      CLR_SCMP_OPERATORS (CLR_OP_CASE)
      return true;
    default:
      return false;
    }
#undef CLR_OP_CASE
}

/* Add the rules of one "syscalls" entry. */
static int
add_syscall_entry (struct clr_seccomp_filter *f, const struct clr_seccomp_syscall *sys,
                   uint32_t default_action, clr_err *err)
{
  cleanup_free struct scmp_arg_cmp *cmps = NULL;
  const char *first = sys->n_names > 0 && sys->names[0] ? sys->names[0] : "?";
  unsigned per_index[6] = { 0 };
  char what[128];
  bool split = false;
  uint32_t action;
  size_t i, j;
  int ret;

  snprintf (what, sizeof what, "syscall \"%s\"", first);
  ret = resolve_action (sys->action, sys->has_errno_ret, sys->errno_ret, what, &action, err);
  if (ret < 0)
    return ret;

  if (action == SCMP_ACT_NOTIFY)
    for (i = 0; i < sys->n_names; i++)
      if (sys->names[i] && strcmp (sys->names[i], "write") == 0)
        return clr_fail (err, 0, "seccomp: SCMP_ACT_NOTIFY cannot be used for the write syscall");

  if (sys->n_args > 0)
    cmps = xcalloc (sys->n_args, sizeof *cmps);
  for (i = 0; i < sys->n_args; i++)
    {
      const struct clr_seccomp_arg *a = &sys->args[i];
      if (a->index >= CLR_ARRAY_SIZE (per_index))
        return clr_fail (err, 0, "seccomp: syscall \"%s\": argument index %u out of range (0-5)",
                         first, a->index);
      if (! valid_operator (a->op))
        return clr_fail (err, 0, "seccomp: syscall \"%s\": unknown operator %d", first, a->op);
      if (++per_index[a->index] > 1)
        split = true;
      /* For SCMP_CMP_MASKED_EQ libseccomp takes (mask, datum) = (value, valueTwo),
       * which is also how runc passes them. */
      cmps[i] = (struct scmp_arg_cmp) { .arg = a->index,
                                        .op = (enum scmp_compare) a->op,
                                        .datum_a = a->value,
                                        .datum_b = a->value_two };
    }

  /* Same as the default: redundant, and seccomp_rule_add() would fail with EACCES.
   * Checked after the args so that a bad arg is reported even in a redundant rule. */
  if (action == default_action)
    return 0;

  for (i = 0; i < sys->n_names; i++)
    {
      const char *name = sys->names[i];
      int nr;

      if (name == NULL)
        continue;
      nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        continue; /* unknown to this libseccomp/arch: skipped, as runc does */

      if (sys->n_args == 0)
        ret = seccomp_rule_add_array (f->ctx, action, nr, 0, NULL);
      else if (! split)
        ret = seccomp_rule_add_array (f->ctx, action, nr, sys->n_args, cmps);
      else
        /* libseccomp ANDs the conditions of a rule; two conditions on one argument
         * would (almost) never match together.  runc then adds one rule per condition,
         * which ORs them. */
        for (j = 0, ret = 0; j < sys->n_args && ret >= 0; j++)
          ret = seccomp_rule_add_array (f->ctx, action, nr, 1, &cmps[j]);
      if (ret < 0)
        return clr_fail (err, -ret, "seccomp: add rule for \"%s\"", name);

      if (action == SCMP_ACT_NOTIFY)
        f->uses_notify = true;
    }
  return 0;
}

int
clr_seccomp_compile (const struct clr_seccomp *sc, struct clr_seccomp_filter **out,
                     clr_err *err)
{
  struct clr_seccomp_filter *f;
  uint32_t default_action;
  size_t i;
  int ret;

  *out = NULL;
  ret = resolve_action (sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret,
                        "defaultAction", &default_action, err);
  if (ret < 0)
    return ret;
  if (default_action == SCMP_ACT_NOTIFY)
    return clr_fail (err, 0, "seccomp: SCMP_ACT_NOTIFY cannot be used as default action");

  f = xcalloc (1, sizeof *f);
  f->ctx = seccomp_init (default_action);
  if (f->ctx == NULL)
    {
      free (f);
      return clr_fail (err, EINVAL, "seccomp: init filter with default action \"%s\"",
                       sc->default_action);
    }

  /* The runtime sets no_new_privs itself when process.noNewPrivileges asks for it;
   * libseccomp would otherwise turn it on behind our back at load time. */
  ret = seccomp_attr_set (f->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    {
      clr_fail (err, -ret, "seccomp: clear the no_new_privs attribute");
      goto fail;
    }
  /* Report the kernel's errno from seccomp_load() instead of a generic ECANCELED.
   * Best effort: older libseccomp lacks the attribute and the filter works anyway. */
  (void) seccomp_attr_set (f->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  /* A binary tree of syscall numbers instead of a linear chain: Docker-sized profiles
   * otherwise cost every syscall dozens of comparisons.  Best effort, as above. */
  (void) seccomp_attr_set (f->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (i = 0; i < sc->n_architectures; i++)
    if (add_arch (f->ctx, sc->architectures[i], err) < 0)
      goto fail;

  for (i = 0; i < sc->n_flags; i++)
    if (set_flag (f->ctx, sc->flags[i], err) < 0)
      goto fail;

  for (i = 0; i < sc->n_syscalls; i++)
    if (add_syscall_entry (f, &sc->syscalls[i], default_action, err) < 0)
      goto fail;

  /* Without a listener nobody would ever answer: the container would hang on the
   * first notified syscall.  Refuse at create time rather than hang at run time. */
  if (f->uses_notify && (sc->listener_path == NULL || sc->listener_path[0] == '\0'))
    {
      clr_fail (err, 0, "seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set");
      goto fail;
    }

  *out = f;
  return 0;

fail:
  clr_seccomp_filter_free (f);
  return -1;
}

void
clr_seccomp_filter_free (struct clr_seccomp_filter *f)
{
  if (f == NULL)
    return;
  if (f->ctx)
    seccomp_release (f->ctx);
  free (f);
}

/* ---- load ---- */

int
clr_seccomp_load (struct clr_seccomp_filter *f, int *notify_fd, clr_err *err)
{
  int ret;

  if (notify_fd)
    *notify_fd = -1;

  /* libseccomp generates the BPF from the already-built ctx here; nothing is
   * re-resolved. */
  ret = seccomp_load (f->ctx);
  if (ret < 0)
    return clr_fail (err, -ret, "seccomp: load filter");

  if (f->uses_notify)
    {
      /* The listener fd comes from SECCOMP_FILTER_FLAG_NEW_LISTENER and is O_CLOEXEC, so
       * it does not leak into the container's program. */
      ret = seccomp_notify_fd (f->ctx);
      if (ret < 0)
        return clr_fail (err, -ret, "seccomp: get the notify fd");
      if (notify_fd)
        *notify_fd = ret;
      else
        close (ret); /* nobody to hand it to: notified syscalls will get ENOSYS */
    }
  return 0;
}

/* ---- send the listener fd to the seccomp agent ---- */

static void
yajl_tree_freep (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}

static void
yajl_gen_freep (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}

static yajl_gen_status
gen_str (yajl_gen g, const char *s)
{
  return yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

/* Re-emit a parsed tree.  Numbers go out as their original text so that nothing in
 * the state (e.g. a large pid or annotation number) is reformatted. */
static yajl_gen_status
gen_tree (yajl_gen g, yajl_val v)
{
  yajl_gen_status s;
  size_t i;

  switch (v->type)
    {
    case yajl_t_string:
      return gen_str (g, v->u.string);
    case yajl_t_number:
      return yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
    case yajl_t_true:
      return yajl_gen_bool (g, 1);
    case yajl_t_false:
      return yajl_gen_bool (g, 0);
    case yajl_t_null:
      return yajl_gen_null (g);
    case yajl_t_object:
      if ((s = yajl_gen_map_open (g)) != yajl_gen_status_ok)
        return s;
      for (i = 0; i < v->u.object.len; i++)
        {
          if ((s = gen_str (g, v->u.object.keys[i])) != yajl_gen_status_ok)
            return s;
          if ((s = gen_tree (g, v->u.object.values[i])) != yajl_gen_status_ok)
            return s;
        }
      return yajl_gen_map_close (g);
    case yajl_t_array:
      if ((s = yajl_gen_array_open (g)) != yajl_gen_status_ok)
        return s;
      for (i = 0; i < v->u.array.len; i++)
        if ((s = gen_tree (g, v->u.array.values[i])) != yajl_gen_status_ok)
          return s;
      return yajl_gen_array_close (g);
    default:
      return yajl_gen_invalid_string;
    }
}

/* Build the runtime-spec "containerProcessState" document into G. */
static int
gen_process_state (yajl_gen g, const char *metadata, yajl_val state, clr_err *err)
{
  const char *pid_path[] = { "pid", NULL };
  yajl_val pid = yajl_tree_get (state, pid_path, yajl_t_number);
  yajl_gen_status s = yajl_gen_status_ok;

  if (pid == NULL || ! YAJL_IS_INTEGER (pid) || pid->u.number.i <= 0)
    return clr_fail (err, 0, "seccomp: container state has no valid \"pid\"");

#define GEN(call)                                                                            \
  do                                                                                         \
    if (s == yajl_gen_status_ok)                                                             \
      s = (call);                                                                            \
  while (0)
  GEN (yajl_gen_map_open (g));
  GEN (gen_str (g, "ociVersion"));
  GEN (gen_str (g, CLR_SECCOMP_STATE_OCI_VERSION));
  GEN (gen_str (g, "fds"));
  GEN (yajl_gen_array_open (g));
  GEN (gen_str (g, "seccompFd"));
  GEN (yajl_gen_array_close (g));
  GEN (gen_str (g, "pid"));
  GEN (yajl_gen_number (g, pid->u.number.r, strlen (pid->u.number.r)));
  if (metadata)
    {
      GEN (gen_str (g, "metadata"));
      GEN (gen_str (g, metadata));
    }
  GEN (gen_str (g, "state"));
  GEN (gen_tree (g, state));
  GEN (yajl_gen_map_close (g));
#undef GEN
  if (s != yajl_gen_status_ok)
    return clr_fail (err, 0, "seccomp: generate the container process state (yajl status %d)",
                     (int) s);
  return 0;
}

/* A connected SOCK_STREAM socket to PATH.  sun_path holds 107 bytes; a longer path
 * is reached through its directory's /proc/self/fd entry. */
static int
connect_unix (const char *path, clr_err *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;
  cleanup_close int dirfd = -1;
  int ret;

  if (strlen (path) < sizeof addr.sun_path)
    memcpy (addr.sun_path, path, strlen (path) + 1);
  else
    {
      cleanup_free char *dir = xstrdup (path);
      char *slash = strrchr (dir, '/');
      const char *base;

      if (slash == NULL || slash[1] == '\0')
        return clr_fail (err, ENAMETOOLONG, "seccomp: listener path \"%s\"", path);
      *slash = '\0';
      base = slash + 1;
      dirfd = open (dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return clr_fail (err, errno, "seccomp: open the directory of listener \"%s\"", path);
      ret = snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, base);
      if (ret < 0 || (size_t) ret >= sizeof addr.sun_path)
        return clr_fail (err, ENAMETOOLONG, "seccomp: listener path \"%s\"", path);
    }

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return clr_fail (err, errno, "seccomp: socket for listener \"%s\"", path);
  do
    ret = connect (fd, (struct sockaddr *) &addr, sizeof addr);
  while (ret < 0 && errno == EINTR);
  if (ret < 0)
    return clr_fail (err, errno, "seccomp: connect to listener \"%s\"", path);
  return clr_steal_fd (&fd);
}

int
clr_seccomp_send_notify (const char *listener_path, const char *metadata, int notify_fd,
                         const char *state_json, clr_err *err)
{
  __attribute__ ((cleanup (yajl_tree_freep))) yajl_val state = NULL;
  __attribute__ ((cleanup (yajl_gen_freep))) yajl_gen g = NULL;
  cleanup_close int sock = -1;
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctrl;
  struct msghdr msg = { 0 };
  struct cmsghdr *cmsg;
  struct iovec iov;
  const unsigned char *buf;
  size_t len, off;
  char perr[256] = "";

  if (listener_path == NULL || listener_path[0] == '\0')
    return clr_fail (err, 0, "seccomp: no listenerPath to send the notify fd to");
  if (notify_fd < 0)
    return clr_fail (err, EBADF, "seccomp: send notify fd to \"%s\"", listener_path);
  if (state_json == NULL)
    return clr_fail (err, 0, "seccomp: send notify fd: no container state");

  state = yajl_tree_parse (state_json, perr, sizeof perr);
  if (state == NULL)
    return clr_fail (err, 0, "seccomp: parse the container state: %s", perr);
  if (! YAJL_IS_OBJECT (state))
    return clr_fail (err, 0, "seccomp: the container state is not a JSON object");

  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return clr_fail (err, ENOMEM, "seccomp: yajl_gen_alloc");
  if (gen_process_state (g, metadata, state, err) < 0)
    return -1;
  yajl_gen_get_buf (g, &buf, &len);

  /* Build the message before connecting: an agent that accepts the connection must
   * never see it closed without a state. */
  sock = connect_unix (listener_path, err);
  if (sock < 0)
    return -1;

  memset (&ctrl, 0, sizeof ctrl);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl.buf;
  msg.msg_controllen = sizeof ctrl.buf;
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &notify_fd, sizeof (int));

  /* The spec allows several sendmsg() calls, with the fds only in the first one. */
  for (off = 0; off < len;)
    {
      ssize_t n;

      iov.iov_base = (void *) (buf + off);
      iov.iov_len = len - off;
      n = sendmsg (sock, &msg, MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return clr_fail (err, errno, "seccomp: send the notify fd to \"%s\"", listener_path);
        }
      off += (size_t) n;
      msg.msg_control = NULL;
      msg.msg_controllen = 0;
    }
  /* One state per connection, then close (runtime-spec); cleanup_close does it. */
  return 0;
}
