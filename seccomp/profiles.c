/* clawrun: built-in seccomp profiles for sandbox sessions (`clawrun run --image`).
 *
 * The profiles are built from the const tables of default_profile.inc straight into
 * the caller's arena, in one pass and without any file I/O: building `default` is on
 * the session start path.  What they contain, and why, is documented with the tables.
 *
 * Shape of the generated profile (all entries are ORed; the default action is
 * ERRNO(EPERM), so whatever no entry allows is refused with EPERM):
 *   1. one ALLOW entry with the allowlist;
 *   2. personality: one ALLOW entry per permitted value (arg0 == value);
 *   3. clone: ALLOW when (arg0 & namespace flags) == 0; clone3: ERRNO(ENOSYS), because
 *      its flags sit behind a pointer the filter cannot read, and glibc falls back to
 *      clone on ENOSYS (Docker does the same);
 *   4. ioctl and socket: ALLOW for every request/family but a few.
 *
 * Why (4) needs many entries: libseccomp cannot AND two conditions on one argument,
 * an unconditional rule for a syscall overrides its conditional ones, and a rule whose
 * action equals the default one is dropped (seccomp.c, as runc).  "ioctl unless the
 * request is TIOCSTI or TIOCLINUX" is therefore written as the complement: the set of
 * 32-bit values other than the refused ones, cut into aligned power-of-two blocks, one
 * SCMP_CMP_MASKED_EQ entry per block (about 32 per refused value).  Masking to 32 bits
 * also matches what the kernel sees (`unsigned int cmd`, `int family`): a plain 64-bit
 * compare would be bypassed by setting the upper bits of the register.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <seccomp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* gnu11 predefines `linux` as 1, which breaks config.h's `struct clr_linux linux`. */
#undef linux

#include "profiles.h"
#include "../runtime/json.h"
#include "../runtime/util.h"

#include "default_profile.inc"

/* Same bound as config.json: the file is parsed as part of a config document. */
#define PROFILE_FILE_MAX (32u << 20)

#define ACT_ALLOW "SCMP_ACT_ALLOW"
#define ACT_ERRNO "SCMP_ACT_ERRNO"
#define NO_ERRNO (-1)

struct profile_def {
  const char *const *archs;      /* NULL-terminated */
  const char *const *drop;       /* removed from allow_names */
  size_t n_drop;
  const uint64_t *personalities; /* allowed personality(2) values */
  size_t n_personalities;
  const uint32_t *families;      /* socket families: see families_allowed */
  size_t n_families;
  bool families_allowed;         /* true: only FAMILIES, the rest EAFNOSUPPORT;
                                    false: all but FAMILIES, which get EPERM */
};

static const struct profile_def default_def = {
  .archs = default_archs,
  .personalities = default_personalities,
  .n_personalities = CLR_ARRAY_SIZE (default_personalities),
  .families = default_socket_refused,
  .n_families = CLR_ARRAY_SIZE (default_socket_refused),
  .families_allowed = false,
};

static const struct profile_def strict_def = {
  .archs = strict_archs,
  .drop = strict_drop_names,
  .n_drop = CLR_ARRAY_SIZE (strict_drop_names),
  .personalities = strict_personalities,
  .n_personalities = CLR_ARRAY_SIZE (strict_personalities),
  .families = strict_socket_allowed,
  .n_families = CLR_ARRAY_SIZE (strict_socket_allowed),
  .families_allowed = true,
};

/* ------------------------------------------------------------------------------------ */
/* building a profile into an arena */

struct builder {
  struct clr_arena *arena;
  struct clr_seccomp_syscall *sys;
  size_t n, cap;
};

/* A NULL-terminated one-name vector, shared by all the entries of one syscall. */
static char **
one_name (struct clr_arena *a, const char *name)
{
  char **v = clr_arena_alloc (a, 2 * sizeof *v);
  v[0] = clr_arena_strdup (a, name);
  return v;
}

static struct clr_seccomp_syscall *
entry_new (struct builder *b, char **names, size_t n_names, const char *action, int errno_ret)
{
  struct clr_seccomp_syscall *e;

  /* The capacity is computed from the same tables: running out is a bug. */
  if (b->n == b->cap)
    abort ();
  e = &b->sys[b->n++];
  e->names = names;
  e->n_names = n_names;
  e->action = action;
  e->has_errno_ret = errno_ret != NO_ERRNO;
  e->errno_ret = errno_ret != NO_ERRNO ? (uint32_t) errno_ret : 0;
  return e;
}

static void
entry_arg (struct builder *b, struct clr_seccomp_syscall *e, unsigned index, int op,
           uint64_t value, uint64_t value_two)
{
  struct clr_seccomp_arg *a = clr_arena_alloc (b->arena, sizeof *a);
  a->index = index;
  a->op = op;
  a->value = value;
  a->value_two = value_two;
  e->args = a;
  e->n_args = 1;
}

static bool
contains (const char *const *v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* ACTION for every 32-bit value of argument INDEX that is not in EXCL: recursively
 * split the block of values whose top LEN bits are PREFIX until a block holds none of
 * EXCL, and add one MASKED_EQ entry per such block.  At most 32 entries per value of
 * EXCL (one per bit on the way down to it). */
static void
add_complement (struct builder *b, char **names, unsigned index, const uint32_t *excl,
                size_t n_excl, uint32_t prefix, unsigned len, const char *action,
                int errno_ret)
{
  uint32_t mask = len == 0 ? 0 : UINT32_MAX << (32 - len);
  bool hit = false;

  for (size_t i = 0; i < n_excl && ! hit; i++)
    hit = (excl[i] & mask) == prefix;
  if (! hit)
    {
      struct clr_seccomp_syscall *e = entry_new (b, names, 1, action, errno_ret);
      /* For MASKED_EQ, value is the mask and valueTwo the datum (runtime-spec, runc). */
      entry_arg (b, e, index, SCMP_CMP_MASKED_EQ, mask, prefix);
      return;
    }
  if (len == 32)
    return; /* exactly one of EXCL: not covered */
  add_complement (b, names, index, excl, n_excl, prefix, len + 1, action, errno_ret);
  add_complement (b, names, index, excl, n_excl, prefix | (UINT32_C (1) << (31 - len)),
                  len + 1, action, errno_ret);
}

static struct clr_seccomp *
build_builtin (const struct profile_def *def, struct clr_arena *arena)
{
  struct clr_seccomp *sc = clr_arena_alloc (arena, sizeof *sc);
  struct builder b = { .arena = arena };
  char **names, **socket_names, **ioctl_names;
  struct clr_seccomp_syscall *e;
  size_t i, n, n_archs;

  sc->default_action = ACT_ERRNO;
  sc->has_default_errno_ret = true;
  sc->default_errno_ret = EPERM;

  for (n_archs = 0; def->archs[n_archs]; n_archs++)
    ;
  sc->architectures = clr_arena_alloc (arena, (n_archs + 1) * sizeof *sc->architectures);
  for (i = 0; i < n_archs; i++)
    sc->architectures[i] = clr_arena_strdup (arena, def->archs[i]);
  sc->n_architectures = n_archs;

  /* allowlist + personalities + clone + clone3 + the ioctl and socket blocks */
  b.cap = 1 + def->n_personalities + 2 + 32 * CLR_ARRAY_SIZE (ioctl_refused)
          + 33 * def->n_families;
  b.sys = clr_arena_alloc (arena, b.cap * sizeof *b.sys);

  /* 1. the allowlist, minus the profile's drops */
  names = clr_arena_alloc (arena, (CLR_ARRAY_SIZE (allow_names) + 1) * sizeof *names);
  for (i = 0, n = 0; i < CLR_ARRAY_SIZE (allow_names); i++)
    if (! contains (def->drop, def->n_drop, allow_names[i]))
      names[n++] = clr_arena_strdup (arena, allow_names[i]);
  entry_new (&b, names, n, ACT_ALLOW, NO_ERRNO);

  /* 2. personality(2): one entry per value, as Docker writes it (args of one entry
   * on the same index would be ORed by runc but read as ANDed by a human). */
  names = one_name (arena, "personality");
  for (i = 0; i < def->n_personalities; i++)
    {
      e = entry_new (&b, names, 1, ACT_ALLOW, NO_ERRNO);
      entry_arg (&b, e, 0, SCMP_CMP_EQ, def->personalities[i], 0);
    }

  /* 3. clone without namespace flags; clone3 -> ENOSYS so that glibc uses clone. */
  e = entry_new (&b, one_name (arena, "clone"), 1, ACT_ALLOW, NO_ERRNO);
  entry_arg (&b, e, CLR_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLR_CLONE_NS_FLAGS, 0);
  entry_new (&b, one_name (arena, "clone3"), 1, ACT_ERRNO, ENOSYS);

  /* 4a. ioctl(fd, cmd, ...) unless cmd is TIOCSTI or TIOCLINUX (security.md row 12). */
  ioctl_names = one_name (arena, "ioctl");
  add_complement (&b, ioctl_names, 1, ioctl_refused, CLR_ARRAY_SIZE (ioctl_refused), 0, 0,
                  ACT_ALLOW, NO_ERRNO);

  /* 4b. socket(family, ...) (security.md row 14). */
  socket_names = one_name (arena, "socket");
  if (def->families_allowed)
    {
      for (i = 0; i < def->n_families; i++)
        {
          e = entry_new (&b, socket_names, 1, ACT_ALLOW, NO_ERRNO);
          entry_arg (&b, e, 0, SCMP_CMP_MASKED_EQ, UINT32_MAX, def->families[i]);
        }
      add_complement (&b, socket_names, 0, def->families, def->n_families, 0, 0, ACT_ERRNO,
                      EAFNOSUPPORT);
    }
  else
    add_complement (&b, socket_names, 0, def->families, def->n_families, 0, 0, ACT_ALLOW,
                    NO_ERRNO);

  sc->syscalls = b.sys;
  sc->n_syscalls = b.n;
  return sc;
}

/* ------------------------------------------------------------------------------------ */
/* a profile from a file */

static char **
strv_copy (struct clr_arena *a, char *const *v, size_t n)
{
  char **r;
  if (v == NULL)
    return NULL;
  r = clr_arena_alloc (a, (n + 1) * sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = clr_arena_strdup (a, v[i]);
  return r;
}

static const char *
str_copy (struct clr_arena *a, const char *s)
{
  return s ? clr_arena_strdup (a, s) : NULL;
}

/* Deep copy of SRC into A (the parsed strings point into the config's JSON tree). */
static struct clr_seccomp *
seccomp_copy (struct clr_arena *a, const struct clr_seccomp *src)
{
  struct clr_seccomp *d = clr_arena_alloc (a, sizeof *d);

  *d = *src;
  d->default_action = str_copy (a, src->default_action);
  d->architectures = strv_copy (a, src->architectures, src->n_architectures);
  d->flags = strv_copy (a, src->flags, src->n_flags);
  d->listener_path = str_copy (a, src->listener_path);
  d->listener_metadata = str_copy (a, src->listener_metadata);
  d->syscalls = NULL;
  if (src->n_syscalls > 0)
    d->syscalls = clr_arena_alloc (a, src->n_syscalls * sizeof *d->syscalls);
  for (size_t i = 0; i < src->n_syscalls; i++)
    {
      const struct clr_seccomp_syscall *s = &src->syscalls[i];
      struct clr_seccomp_syscall *t = &d->syscalls[i];

      *t = *s;
      t->names = strv_copy (a, s->names, s->n_names);
      t->action = str_copy (a, s->action);
      t->args = NULL;
      if (s->n_args > 0)
        {
          t->args = clr_arena_alloc (a, s->n_args * sizeof *t->args);
          memcpy (t->args, s->args, s->n_args * sizeof *t->args);
        }
    }
  return d;
}

/* The file holds a bare OCI "seccomp" object.  It is validated by the config parser
 * itself, wrapped into a minimal config document, so that both accept exactly the same
 * thing.  Syntax errors are reported on the file's own text first: the wrapper would
 * shift the columns of line 1. */
static int
load_file (const char *name, struct clr_arena *arena, struct clr_seccomp **out, clr_err *err)
{
  static const char head[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"/\"},"
                             "\"linux\":{\"seccomp\":";
  /* newline: the file may end with a // comment */
  static const char tail[] = "\n}}";
  static const char field_prefix[] = "linux.seccomp.";
  cleanup_config struct clr_config *cfg = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *doc = NULL;
  yajl_val tree = NULL;
  char ebuf[128];
  clr_err e = { 0 };
  size_t len = 0, doc_len;
  const char *msg;

  if (clr_read_file (name, PROFILE_FILE_MAX, &text, &len, &e) < 0)
    {
      if (e.code == ENOENT)
        return clr_fail (err, ENOENT,
                         "--seccomp \"%s\": no such profile (default, strict, unconfined) "
                         "or file",
                         name);
      if (err)
        *err = e;
      return clr_wrap (err, "--seccomp \"%s\"", name);
    }

  if (memchr (text, '\0', len) == NULL)
    tree = yajl_tree_parse (text, ebuf, sizeof ebuf);
  if (tree == NULL || ! YAJL_IS_OBJECT (tree))
    {
      yajl_tree_free (tree);
      /* Not a JSON object: the parser's own message, with line and column. */
      if (clr_config_parse (text, len, &cfg, &e) == 0)
        return clr_fail (err, 0, "--seccomp \"%s\": expected a JSON object", name);
      if (err)
        *err = e;
      return clr_wrap (err, "--seccomp \"%s\"", name);
    }
  yajl_tree_free (tree);

  doc_len = sizeof head - 1 + len + sizeof tail - 1;
  doc = xmalloc (doc_len + 1);
  memcpy (doc, head, sizeof head - 1);
  memcpy (doc + sizeof head - 1, text, len);
  memcpy (doc + sizeof head - 1 + len, tail, sizeof tail);
  if (clr_config_parse (doc, doc_len, &cfg, &e) < 0)
    {
      /* "linux.seccomp.syscalls[0].action: ..." -> "syscalls[0].action: ..." */
      msg = clr_has_prefix (e.msg, field_prefix) ? e.msg + sizeof field_prefix - 1 : e.msg;
      clr_fail (err, 0, "--seccomp \"%s\": %s", name, msg);
      if (err)
        err->code = e.code;
      return -1;
    }
  if (cfg->linux.seccomp == NULL)
    return clr_fail (err, 0, "--seccomp \"%s\": expected a JSON object", name);

  *out = seccomp_copy (arena, cfg->linux.seccomp);
  return 0;
}

/* ------------------------------------------------------------------------------------ */

int
clr_seccomp_profile (const char *name, struct clr_arena *arena, struct clr_seccomp **out,
                     clr_err *err)
{
  *out = NULL;
  if (name == NULL)
    return clr_fail (err, EINVAL, "--seccomp: no profile name");
  /* A file called like a built-in is reached as ./default. */
  if (strcmp (name, "unconfined") == 0)
    return 0;
  if (strcmp (name, "default") == 0)
    {
      *out = build_builtin (&default_def, arena);
      return 0;
    }
  if (strcmp (name, "strict") == 0)
    {
      *out = build_builtin (&strict_def, arena);
      return 0;
    }
  return load_file (name, arena, out, err);
}

/* ------------------------------------------------------------------------------------ */
/* JSON */

static void
gen_u64 (yajl_gen g, uint64_t v)
{
  char buf[24];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  /* yajl_gen_integer takes a long long: values above INT64_MAX go as text. */
  yajl_gen_number (g, buf, (size_t) n);
}

static void
gen_strv (yajl_gen g, const char *key, char *const *v, size_t n)
{
  clr_json_str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    clr_json_str (g, v[i] ? v[i] : "");
  yajl_gen_array_close (g);
}

static const char *
op_name (int op)
{
  switch (op)
    {
    case SCMP_CMP_NE:
      return "SCMP_CMP_NE";
    case SCMP_CMP_LT:
      return "SCMP_CMP_LT";
    case SCMP_CMP_LE:
      return "SCMP_CMP_LE";
    case SCMP_CMP_EQ:
      return "SCMP_CMP_EQ";
    case SCMP_CMP_GE:
      return "SCMP_CMP_GE";
    case SCMP_CMP_GT:
      return "SCMP_CMP_GT";
    case SCMP_CMP_MASKED_EQ:
      return "SCMP_CMP_MASKED_EQ";
    default:
      return NULL;
    }
}

static void
gen_syscall (yajl_gen g, const struct clr_seccomp_syscall *s)
{
  yajl_gen_map_open (g);
  gen_strv (g, "names", s->names, s->n_names);
  if (s->action)
    {
      clr_json_str (g, "action");
      clr_json_str (g, s->action);
    }
  if (s->has_errno_ret)
    {
      clr_json_str (g, "errnoRet");
      gen_u64 (g, s->errno_ret);
    }
  if (s->n_args > 0)
    {
      clr_json_str (g, "args");
      yajl_gen_array_open (g);
      for (size_t i = 0; i < s->n_args; i++)
        {
          const struct clr_seccomp_arg *a = &s->args[i];
          const char *op = op_name (a->op);

          yajl_gen_map_open (g);
          clr_json_str (g, "index");
          gen_u64 (g, a->index);
          clr_json_str (g, "value");
          gen_u64 (g, a->value);
          clr_json_str (g, "valueTwo");
          gen_u64 (g, a->value_two);
          clr_json_str (g, "op");
          /* Not reachable from the parser or the built-ins; a number makes a later
           * parse fail loudly instead of silently changing the operator. */
          if (op)
            clr_json_str (g, op);
          else
            yajl_gen_integer (g, a->op);
          yajl_gen_map_close (g);
        }
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

void
clr_seccomp_to_json (const struct clr_seccomp *sc, void *gen)
{
  yajl_gen g = gen;

  yajl_gen_map_open (g);
  if (sc->default_action)
    {
      clr_json_str (g, "defaultAction");
      clr_json_str (g, sc->default_action);
    }
  if (sc->has_default_errno_ret)
    {
      clr_json_str (g, "defaultErrnoRet");
      gen_u64 (g, sc->default_errno_ret);
    }
  if (sc->n_architectures > 0)
    gen_strv (g, "architectures", sc->architectures, sc->n_architectures);
  if (sc->n_flags > 0)
    gen_strv (g, "flags", sc->flags, sc->n_flags);
  if (sc->listener_path)
    {
      clr_json_str (g, "listenerPath");
      clr_json_str (g, sc->listener_path);
    }
  if (sc->listener_metadata)
    {
      clr_json_str (g, "listenerMetadata");
      clr_json_str (g, sc->listener_metadata);
    }
  if (sc->n_syscalls > 0)
    {
      clr_json_str (g, "syscalls");
      yajl_gen_array_open (g);
      for (size_t i = 0; i < sc->n_syscalls; i++)
        gen_syscall (g, &sc->syscalls[i]);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}
