/* clawrun: config.json parser.
 *
 * yajl builds the tree; one walk over it fills struct clr_config.  Every object is
 * visited once: bind_object() drops each member into a slot indexed by a per-object
 * enum, so fields are then checked in a fixed order whatever the key order in the
 * file, and unknown keys (other platforms, newer spec versions) cost one failed
 * comparison each.  Strings point into the tree, which lives as long as the config;
 * everything else comes from the arena.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include <linux/capability.h>
#include <linux/ioprio.h>
#include <linux/mount.h>
#include <seccomp.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "config.h"
#include "util.h"

/* Newer than some distributions' headers. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
/* Reserved by the kernel ABI but never merged; the spec lists it, so accept it and let
 * sched_setattr() report EINVAL. */
#define CLR_SCHED_ISO 4
/* <linux/sched.h> clashes with glibc's <sched.h> on some versions: values from the
 * kernel UAPI. */
#define CLR_SCHED_FLAG_RESET_ON_FORK 0x01
#define CLR_SCHED_FLAG_RECLAIM 0x02
#define CLR_SCHED_FLAG_DL_OVERRUN 0x04
#define CLR_SCHED_FLAG_KEEP_POLICY 0x08
#define CLR_SCHED_FLAG_KEEP_PARAMS 0x10
#define CLR_SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#define CLR_SCHED_FLAG_UTIL_CLAMP_MAX 0x40

/* A bundle's config.json is a few KiB; anything this large is a mistake or an attack. */
#define CONFIG_MAX_BYTES (32u << 20)
/* yajl_tree_free() recurses once per level: bound the depth before building a tree. */
#define JSON_MAX_DEPTH 512

/* ------------------------------------------------------------------------------------ */
/* arena */

#define ARENA_ALIGN alignof (max_align_t)
#define ARENA_FIRST_CHUNK 4096
#define ARENA_MAX_CHUNK (64 * 1024)

struct arena_chunk {
  struct arena_chunk *next;
  size_t size, used;
  alignas (max_align_t) unsigned char data[];
};

struct arena_cleanup {
  struct arena_cleanup *next;
  void (*fn) (void *);
  void *p;
};

struct clr_arena {
  struct arena_chunk *head; /* the chunk small allocations are bumped from */
  size_t next_size;
  struct arena_cleanup *cleanups;
};

static void __attribute__ ((noreturn)) arena_oom (void)
{
  static const char m[] = "clawrun: out of memory\n";
  (void) !write (2, m, sizeof m - 1);
  abort ();
}

struct clr_arena *
clr_arena_new (void)
{
  return xcalloc (1, sizeof (struct clr_arena));
}

static struct arena_chunk *
arena_chunk_new (size_t size)
{
  if (size > SIZE_MAX - sizeof (struct arena_chunk))
    arena_oom ();
  /* calloc: every allocation is handed out zeroed and never reused. */
  struct arena_chunk *c = xcalloc (1, sizeof *c + size);
  c->size = size;
  return c;
}

void *
clr_arena_alloc (struct clr_arena *a, size_t n)
{
  if (n > SIZE_MAX - ARENA_ALIGN)
    arena_oom ();
  n = n ? (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1) : ARENA_ALIGN;

  struct arena_chunk *c = a->head;
  if (c && c->size - c->used >= n)
    {
      void *p = c->data + c->used;
      c->used += n;
      return p;
    }
  if (n > ARENA_MAX_CHUNK / 4)
    {
      /* Big block: a chunk of its own, linked behind the head so the head's free
       * space keeps serving small allocations. */
      struct arena_chunk *b = arena_chunk_new (n);
      b->used = n;
      if (c)
        {
          b->next = c->next;
          c->next = b;
        }
      else
        a->head = b;
      return b->data;
    }
  size_t size = a->next_size ? a->next_size : ARENA_FIRST_CHUNK;
  if (size < n)
    size = n;
  a->next_size = size * 2 > ARENA_MAX_CHUNK ? ARENA_MAX_CHUNK : size * 2;
  struct arena_chunk *nc = arena_chunk_new (size);
  nc->next = c;
  nc->used = n;
  a->head = nc;
  return nc->data;
}

static void *
arena_array (struct clr_arena *a, size_t n, size_t size)
{
  if (size && n > SIZE_MAX / size)
    arena_oom ();
  return clr_arena_alloc (a, n * size);
}

char *
clr_arena_strdup (struct clr_arena *a, const char *s)
{
  size_t l = strlen (s);
  char *r = clr_arena_alloc (a, l + 1);
  memcpy (r, s, l);
  return r;
}

/* Run FN(P) when the arena is freed (before its memory goes). */
static void
arena_on_free (struct clr_arena *a, void (*fn) (void *), void *p)
{
  struct arena_cleanup *c = clr_arena_alloc (a, sizeof *c);
  c->fn = fn;
  c->p = p;
  c->next = a->cleanups;
  a->cleanups = c;
}

void
clr_arena_free (struct clr_arena *a)
{
  if (a == NULL)
    return;
  for (struct arena_cleanup *c = a->cleanups; c; c = c->next)
    c->fn (c->p);
  struct arena_chunk *c = a->head;
  while (c)
    {
      struct arena_chunk *next = c->next;
      free (c);
      c = next;
    }
  free (a);
}

static void
tree_free_cb (void *p)
{
  yajl_tree_free (p);
}

static void
tree_freep (yajl_val *t)
{
  if (*t)
    yajl_tree_free (*t);
}

#define cleanup_tree __attribute__ ((cleanup (tree_freep)))

/* ------------------------------------------------------------------------------------ */
/* name tables */

#define CAP(n) [CAP_##n] = "CAP_" #n
static const char *const cap_names[] = {
  CAP (CHOWN),           CAP (DAC_OVERRIDE),   CAP (DAC_READ_SEARCH), CAP (FOWNER),
  CAP (FSETID),          CAP (KILL),           CAP (SETGID),          CAP (SETUID),
  CAP (SETPCAP),         CAP (LINUX_IMMUTABLE), CAP (NET_BIND_SERVICE), CAP (NET_BROADCAST),
  CAP (NET_ADMIN),       CAP (NET_RAW),        CAP (IPC_LOCK),        CAP (IPC_OWNER),
  CAP (SYS_MODULE),      CAP (SYS_RAWIO),      CAP (SYS_CHROOT),      CAP (SYS_PTRACE),
  CAP (SYS_PACCT),       CAP (SYS_ADMIN),      CAP (SYS_BOOT),        CAP (SYS_NICE),
  CAP (SYS_RESOURCE),    CAP (SYS_TIME),       CAP (SYS_TTY_CONFIG),  CAP (MKNOD),
  CAP (LEASE),           CAP (AUDIT_WRITE),    CAP (AUDIT_CONTROL),   CAP (SETFCAP),
  CAP (MAC_OVERRIDE),    CAP (MAC_ADMIN),      CAP (SYSLOG),          CAP (WAKE_ALARM),
  CAP (BLOCK_SUSPEND),   CAP (AUDIT_READ),     CAP (PERFMON),         CAP (BPF),
  CAP (CHECKPOINT_RESTORE),
};
#undef CAP
_Static_assert (CLR_ARRAY_SIZE (cap_names) == CAP_CHECKPOINT_RESTORE + 1, "capability table has holes");
_Static_assert (CLR_ARRAY_SIZE (cap_names) <= 64, "capability masks are 64 bits");

struct name_val {
  const char *name;
  long value;
};

#define NV(x) { #x, x }
static const struct name_val rlimit_names[] = {
  NV (RLIMIT_AS),     NV (RLIMIT_CORE),   NV (RLIMIT_CPU),        NV (RLIMIT_DATA),
  NV (RLIMIT_FSIZE),  NV (RLIMIT_LOCKS),  NV (RLIMIT_MEMLOCK),    NV (RLIMIT_MSGQUEUE),
  NV (RLIMIT_NICE),   NV (RLIMIT_NOFILE), NV (RLIMIT_NPROC),      NV (RLIMIT_RSS),
  NV (RLIMIT_RTPRIO), NV (RLIMIT_RTTIME), NV (RLIMIT_SIGPENDING), NV (RLIMIT_STACK),
};
_Static_assert (RLIMIT_NLIMITS <= 64, "rlimit duplicate mask is 64 bits");

static const struct name_val namespace_names[] = {
  { "pid", CLONE_NEWPID },   { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
  { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },     { "user", CLONE_NEWUSER },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static const struct name_val ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
  { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
  { "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};

static const struct name_val sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },   { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", CLR_SCHED_ISO }, { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct name_val sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", CLR_SCHED_FLAG_RESET_ON_FORK },
  { "SCHED_FLAG_RECLAIM", CLR_SCHED_FLAG_RECLAIM },
  { "SCHED_FLAG_DL_OVERRUN", CLR_SCHED_FLAG_DL_OVERRUN },
  { "SCHED_FLAG_KEEP_POLICY", CLR_SCHED_FLAG_KEEP_POLICY },
  { "SCHED_FLAG_KEEP_PARAMS", CLR_SCHED_FLAG_KEEP_PARAMS },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", CLR_SCHED_FLAG_UTIL_CLAMP_MIN },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", CLR_SCHED_FLAG_UTIL_CLAMP_MAX },
};

/* runc accepts the r-forms too; the rootfs is always changed recursively. */
static const struct name_val rootfs_propagations[] = {
  { "", 0 },
  { "shared", MS_SHARED | MS_REC },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE | MS_REC },           { "rslave", MS_SLAVE | MS_REC },
  { "private", MS_PRIVATE | MS_REC },       { "rprivate", MS_PRIVATE | MS_REC },
  { "unbindable", MS_UNBINDABLE | MS_REC }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static const struct name_val personality_domains[] = {
  { "LINUX", PER_LINUX },
  { "LINUX32", PER_LINUX32 },
};

static const struct name_val seccomp_ops[] = {
  NV (SCMP_CMP_NE), NV (SCMP_CMP_LT), NV (SCMP_CMP_LE),        NV (SCMP_CMP_EQ),
  NV (SCMP_CMP_GE), NV (SCMP_CMP_GT), NV (SCMP_CMP_MASKED_EQ),
};
#undef NV

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

static const char *const seccomp_archs[] = {
  "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",      "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",
};

static const char *const seccomp_flag_names[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

/* Mount options.  The list must stay sorted (strcmp order): it is searched with
 * bsearch().  The r* atime forms select one atime mode for mount_setattr(), which takes
 * the mode as an enum inside MOUNT_ATTR__ATIME, so the whole field is always cleared;
 * the negative forms fall back to the kernel default (relatime), except rnorelatime
 * which can only mean strictatime. */
enum mopt_kind {
  MO_SET,         /* flags |= v */
  MO_CLR,         /* clear_flags |= v */
  MO_PROPAGATION, /* propagation = v */
  MO_REC_SET,     /* rec_attr_set |= v */
  MO_REC_CLR,     /* rec_attr_clr |= v */
  MO_REC_ATIME,   /* atime mode v */
  MO_BIND,
  MO_RBIND,
  MO_IDMAP,
  MO_RIDMAP,
  MO_TMPCOPYUP,
};

struct mopt {
  const char *name;
  enum mopt_kind kind;
  unsigned long value;
};

#define MOUNT_OPTIONS(X)                                  \
  X ("async", MO_CLR, MS_SYNCHRONOUS)                     \
  X ("atime", MO_CLR, MS_NOATIME)                         \
  X ("bind", MO_BIND, 0)                                  \
  X ("dev", MO_CLR, MS_NODEV)                             \
  X ("diratime", MO_CLR, MS_NODIRATIME)                   \
  X ("dirsync", MO_SET, MS_DIRSYNC)                       \
  X ("exec", MO_CLR, MS_NOEXEC)                           \
  X ("idmap", MO_IDMAP, 0)                                \
  X ("lazytime", MO_SET, MS_LAZYTIME)                     \
  X ("mand", MO_SET, MS_MANDLOCK)                         \
  X ("noatime", MO_SET, MS_NOATIME)                       \
  X ("nodev", MO_SET, MS_NODEV)                           \
  X ("nodiratime", MO_SET, MS_NODIRATIME)                 \
  X ("noexec", MO_SET, MS_NOEXEC)                         \
  X ("nolazytime", MO_CLR, MS_LAZYTIME)                   \
  X ("nomand", MO_CLR, MS_MANDLOCK)                       \
  X ("norelatime", MO_CLR, MS_RELATIME)                   \
  X ("nostrictatime", MO_CLR, MS_STRICTATIME)             \
  X ("nosuid", MO_SET, MS_NOSUID)                         \
  X ("private", MO_PROPAGATION, MS_PRIVATE)               \
  X ("ratime", MO_REC_ATIME, MOUNT_ATTR_RELATIME)         \
  X ("rbind", MO_RBIND, 0)                                \
  X ("rdev", MO_REC_CLR, MOUNT_ATTR_NODEV)                \
  X ("rdiratime", MO_REC_CLR, MOUNT_ATTR_NODIRATIME)      \
  X ("relatime", MO_SET, MS_RELATIME)                     \
  X ("remount", MO_SET, MS_REMOUNT)                       \
  X ("rexec", MO_REC_CLR, MOUNT_ATTR_NOEXEC)              \
  X ("ridmap", MO_RIDMAP, 0)                              \
  X ("rnoatime", MO_REC_ATIME, MOUNT_ATTR_NOATIME)        \
  X ("rnodev", MO_REC_SET, MOUNT_ATTR_NODEV)              \
  X ("rnodiratime", MO_REC_SET, MOUNT_ATTR_NODIRATIME)    \
  X ("rnoexec", MO_REC_SET, MOUNT_ATTR_NOEXEC)            \
  X ("rnorelatime", MO_REC_ATIME, MOUNT_ATTR_STRICTATIME) \
  X ("rnostrictatime", MO_REC_ATIME, MOUNT_ATTR_RELATIME) \
  X ("rnosuid", MO_REC_SET, MOUNT_ATTR_NOSUID)            \
  X ("ro", MO_SET, MS_RDONLY)                             \
  X ("rprivate", MO_PROPAGATION, MS_PRIVATE | MS_REC)     \
  X ("rrelatime", MO_REC_ATIME, MOUNT_ATTR_RELATIME)      \
  X ("rro", MO_REC_SET, MOUNT_ATTR_RDONLY)                \
  X ("rrw", MO_REC_CLR, MOUNT_ATTR_RDONLY)                \
  X ("rshared", MO_PROPAGATION, MS_SHARED | MS_REC)       \
  X ("rslave", MO_PROPAGATION, MS_SLAVE | MS_REC)         \
  X ("rstrictatime", MO_REC_ATIME, MOUNT_ATTR_STRICTATIME) \
  X ("rsuid", MO_REC_CLR, MOUNT_ATTR_NOSUID)              \
  X ("runbindable", MO_PROPAGATION, MS_UNBINDABLE | MS_REC) \
  X ("rw", MO_CLR, MS_RDONLY)                             \
  X ("shared", MO_PROPAGATION, MS_SHARED)                 \
  X ("slave", MO_PROPAGATION, MS_SLAVE)                   \
  X ("strictatime", MO_SET, MS_STRICTATIME)               \
  X ("suid", MO_CLR, MS_NOSUID)                           \
  X ("sync", MO_SET, MS_SYNCHRONOUS)                      \
  X ("tmpcopyup", MO_TMPCOPYUP, 0)                        \
  X ("unbindable", MO_PROPAGATION, MS_UNBINDABLE)

#define MOPT_ENTRY(n, k, v) { n, k, v },
#define MOPT_NAME(n, k, v) n,
static const struct mopt mount_opts[] = { MOUNT_OPTIONS (MOPT_ENTRY) };
const char *const clr_known_mount_options[] = { MOUNT_OPTIONS (MOPT_NAME) NULL };
#undef MOPT_ENTRY
#undef MOPT_NAME

static int
mopt_cmp (const void *key, const void *elem)
{
  return strcmp (key, ((const struct mopt *) elem)->name);
}

static bool
lookup_nv (const struct name_val *t, size_t n, const char *s, long *out)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s, t[i].name) == 0)
      {
        *out = t[i].value;
        return true;
      }
  return false;
}

static bool
in_list (const char *const *t, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s, t[i]) == 0)
      return true;
  return false;
}

int
clr_cap_from_name (const char *name)
{
  if (name == NULL || strncmp (name, "CAP_", 4) != 0)
    return -1;
  for (size_t i = 0; i < CLR_ARRAY_SIZE (cap_names); i++)
    if (cap_names[i][4] == name[4] && strcmp (cap_names[i] + 4, name + 4) == 0)
      return (int) i;
  return -1;
}

const char *
clr_cap_name (int cap)
{
  if (cap < 0 || (size_t) cap >= CLR_ARRAY_SIZE (cap_names))
    return NULL;
  return cap_names[cap];
}

int
clr_cap_last (void)
{
  return (int) CLR_ARRAY_SIZE (cap_names) - 1;
}

const char *
clr_namespace_name (int clone_flag)
{
  for (size_t i = 0; i < CLR_ARRAY_SIZE (namespace_names); i++)
    if (namespace_names[i].value == clone_flag)
      return namespace_names[i].name;
  return NULL;
}

int
clr_rlimit_from_name (const char *name)
{
  long v;
  if (name == NULL || !lookup_nv (rlimit_names, CLR_ARRAY_SIZE (rlimit_names), name, &v))
    return -1;
  return (int) v;
}

/* ------------------------------------------------------------------------------------ */
/* parse context, field paths and errors */

struct pctx {
  struct clr_arena *arena;
  clr_err *err;
};

/* Where we are in the document, as a chain of stack frames: the path text is only
 * built when an error is reported. */
struct jpath {
  const struct jpath *up;
  const char *key; /* NULL: array element INDEX */
  size_t index;
};

#define AT(parent, k) (&(const struct jpath){ (parent), (k), 0 })
#define AT_I(parent, i) (&(const struct jpath){ (parent), NULL, (i) })

/* Render S for a message: quoted, control characters escaped and long values cut, so a
 * hostile config cannot put terminal escapes or megabytes into the log. */
static const char *
quote (char *buf, size_t len, const char *s)
{
  size_t o = 0;
  buf[o++] = '"';
  for (; *s; s++)
    {
      unsigned char ch = (unsigned char) *s;
      if (len - o < 4 + 3 + 2)
        {
          memcpy (buf + o, "...", 3);
          o += 3;
          break;
        }
      if (ch == '"' || ch == '\\')
        {
          buf[o++] = '\\';
          buf[o++] = (char) ch;
        }
      else if (ch < 0x20 || ch == 0x7f)
        o += (size_t) snprintf (buf + o, len - o, "\\x%02x", ch);
      else
        buf[o++] = (char) ch;
    }
  buf[o++] = '"';
  buf[o] = '\0';
  return buf;
}
#define QUOTE_MAX 96
#define Q(s) quote ((char[QUOTE_MAX]){ 0 }, QUOTE_MAX, (s))

static bool
plain_key (const char *k)
{
  if (*k == '\0')
    return false;
  for (; *k; k++)
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')
          || *k == '_' || *k == '-'))
      return false;
  return true;
}

static size_t
path_format (const struct jpath *p, char *buf, size_t len)
{
  if (p == NULL)
    {
      buf[0] = '\0';
      return 0;
    }
  size_t n = path_format (p->up, buf, len);
  if (n + 1 >= len)
    return n;
  int w;
  if (p->key == NULL)
    w = snprintf (buf + n, len - n, "[%zu]", p->index);
  else if (plain_key (p->key))
    w = snprintf (buf + n, len - n, "%s%s", n ? "." : "", p->key);
  else
    w = snprintf (buf + n, len - n, "[%s]", Q (p->key));
  if (w < 0)
    return n;
  return n + (size_t) w >= len ? len - 1 : n + (size_t) w;
}

static int __attribute__ ((format (printf, 3, 4)))
fail_at (struct pctx *c, const struct jpath *p, const char *fmt, ...)
{
  char path[256], msg[CLR_ERR_MSG_MAX];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (p == NULL)
    return clr_fail (c->err, 0, "%s", msg);
  path_format (p, path, sizeof path);
  return clr_fail (c->err, 0, "%s: %s", path, msg);
}

/* ------------------------------------------------------------------------------------ */
/* typed accessors.  A NULL value means "absent" (JSON null counts as absent, as with
 * Go's encoding/json): the accessor succeeds and leaves *OUT alone. */

/* Drop each member of object V into SLOTS[i] where NAMES[i] is its key; unknown keys
 * are skipped.  A repeated key keeps its last value, like Go's encoding/json. */
static int
bind_object (struct pctx *c, const struct jpath *p, yajl_val v, const char *const *names,
             size_t n, yajl_val *slots)
{
  if (!YAJL_IS_OBJECT (v))
    return fail_at (c, p, "expected an object");
  memset (slots, 0, n * sizeof *slots);
  size_t len = v->u.object.len;
  for (size_t i = 0; i < len; i++)
    {
      const char *k = v->u.object.keys[i];
      for (size_t j = 0; j < n; j++)
        if (k[0] == names[j][0] && strcmp (k, names[j]) == 0)
          {
            yajl_val x = v->u.object.values[i];
            slots[j] = YAJL_IS_NULL (x) ? NULL : x;
            break;
          }
    }
  return 0;
}
#define BIND(c, p, v, names, slots) bind_object ((c), (p), (v), (names), CLR_ARRAY_SIZE (names), (slots))

static int
missing (struct pctx *c, const struct jpath *p)
{
  return fail_at (c, p, "missing");
}

static int
get_bool (struct pctx *c, const struct jpath *p, yajl_val v, bool *out)
{
  if (v == NULL)
    return 0;
  if (YAJL_IS_TRUE (v))
    *out = true;
  else if (YAJL_IS_FALSE (v))
    *out = false;
  else
    return fail_at (c, p, "expected a boolean");
  return 0;
}

static int
get_str (struct pctx *c, const struct jpath *p, yajl_val v, const char **out)
{
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return fail_at (c, p, "expected a string");
  *out = v->u.string;
  return 0;
}

static int
get_abs_path (struct pctx *c, const struct jpath *p, yajl_val v, const char **out)
{
  const char *s = NULL;
  if (get_str (c, p, v, &s) < 0)
    return -1;
  if (s == NULL)
    return 0;
  if (s[0] != '/')
    return fail_at (c, p, "must be an absolute path");
  *out = s;
  return 0;
}

/* Integers are read from the number's literal text: yajl's own conversion saturates,
 * accepts fractions, and cannot hold uint64 values above INT64_MAX (seccomp args). */
static int
get_integer (struct pctx *c, const struct jpath *p, yajl_val v, bool *neg, uint64_t *mag,
             bool *overflow)
{
  if (!YAJL_IS_NUMBER (v))
    return fail_at (c, p, "expected a number");
  const char *s = v->u.number.r;
  uint64_t r = 0;
  *overflow = false;
  *neg = *s == '-';
  if (*neg)
    s++;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      unsigned d = (unsigned) (*s - '0');
      if (r > (UINT64_MAX - d) / 10)
        *overflow = true;
      else
        r = r * 10 + d;
    }
  if (*s != '\0')
    return fail_at (c, p, "must be an integer");
  *mag = r;
  return 0;
}

static int
get_uint (struct pctx *c, const struct jpath *p, yajl_val v, uint64_t max, uint64_t *out)
{
  bool neg = false, overflow = false;
  uint64_t m = 0;
  if (v == NULL)
    return 0;
  if (get_integer (c, p, v, &neg, &m, &overflow) < 0)
    return -1;
  if (neg)
    return fail_at (c, p, "must not be negative");
  if (overflow || m > max)
    return fail_at (c, p, "out of range (maximum %" PRIu64 ")", max);
  *out = m;
  return 0;
}

static int
get_u32 (struct pctx *c, const struct jpath *p, yajl_val v, uint32_t *out)
{
  uint64_t x = 0;
  if (v == NULL)
    return 0;
  if (get_uint (c, p, v, UINT32_MAX, &x) < 0)
    return -1;
  *out = (uint32_t) x;
  return 0;
}

static int
get_u64 (struct pctx *c, const struct jpath *p, yajl_val v, uint64_t *out)
{
  return get_uint (c, p, v, UINT64_MAX, out);
}

static int
get_int (struct pctx *c, const struct jpath *p, yajl_val v, int64_t min, int64_t max,
         int64_t *out)
{
  bool neg = false, overflow = false;
  uint64_t m = 0;
  if (v == NULL)
    return 0;
  if (get_integer (c, p, v, &neg, &m, &overflow) < 0)
    return -1;
  int64_t x;
  if (overflow || m > (uint64_t) INT64_MAX + neg)
    goto range;
  /* -(m - 1) - 1: m may be 2^63, which has no positive int64_t. */
  x = neg ? (m ? -(int64_t) (m - 1) - 1 : 0) : (int64_t) m;
  if (x < min || x > max)
    goto range;
  *out = x;
  return 0;
range:
  return fail_at (c, p, "out of range (%" PRId64 " to %" PRId64 ")", min, max);
}

static int
get_int32 (struct pctx *c, const struct jpath *p, yajl_val v, int min, int max, int *out)
{
  int64_t x = 0;
  if (v == NULL)
    return 0;
  if (get_int (c, p, v, min, max, &x) < 0)
    return -1;
  *out = (int) x;
  return 0;
}

static int
get_enum (struct pctx *c, const struct jpath *p, yajl_val v, const struct name_val *t, size_t n,
          long *out)
{
  const char *s = NULL;
  if (get_str (c, p, v, &s) < 0)
    return -1;
  if (s == NULL)
    return 0;
  if (!lookup_nv (t, n, s, out))
    return fail_at (c, p, "unknown value %s", Q (s));
  return 0;
}
#define GET_ENUM(c, p, v, table, out) get_enum ((c), (p), (v), (table), CLR_ARRAY_SIZE (table), (out))

/* A string that must be one of the names in T. */
static int
get_name (struct pctx *c, const struct jpath *p, yajl_val v, const char *const *t, size_t n,
          const char **out)
{
  const char *s = NULL;
  if (get_str (c, p, v, &s) < 0)
    return -1;
  if (s == NULL)
    return 0;
  if (!in_list (t, n, s))
    return fail_at (c, p, "unknown value %s", Q (s));
  *out = s;
  return 0;
}
#define GET_NAME(c, p, v, table, out) get_name ((c), (p), (v), (table), CLR_ARRAY_SIZE (table), (out))

static int
want_array (struct pctx *c, const struct jpath *p, yajl_val v)
{
  if (!YAJL_IS_ARRAY (v))
    return fail_at (c, p, "expected an array");
  return 0;
}

static int
get_strv (struct pctx *c, const struct jpath *p, yajl_val v, char ***out, size_t *n)
{
  if (v == NULL)
    return 0;
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  char **r = arena_array (c->arena, len + 1, sizeof *r);
  for (size_t i = 0; i < len; i++)
    {
      yajl_val e = v->u.array.values[i];
      if (!YAJL_IS_STRING (e))
        return fail_at (c, AT_I (p, i), "expected a string");
      r[i] = e->u.string;
    }
  *out = r;
  *n = len;
  return 0;
}

static int
get_abs_pathv (struct pctx *c, const struct jpath *p, yajl_val v, char ***out, size_t *n)
{
  if (get_strv (c, p, v, out, n) < 0)
    return -1;
  for (size_t i = 0; i < *n; i++)
    if ((*out)[i][0] != '/')
      return fail_at (c, AT_I (p, i), "must be an absolute path");
  return 0;
}

/* An object of strings ({"key": "value"}), kept in document order. */
static int
get_kv (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_kv **out, size_t *n)
{
  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (v))
    return fail_at (c, p, "expected an object");
  size_t len = v->u.object.len;
  struct clr_kv *r = arena_array (c->arena, len, sizeof *r);
  for (size_t i = 0; i < len; i++)
    {
      const char *k = v->u.object.keys[i];
      yajl_val x = v->u.object.values[i];
      if (k[0] == '\0')
        return fail_at (c, p, "keys must not be empty");
      if (!YAJL_IS_STRING (x))
        return fail_at (c, AT (p, k), "expected a string");
      r[i].key = k;
      r[i].value = x->u.string;
    }
  *out = r;
  *n = len;
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* process */

static int
parse_idmaps (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_idmap **out,
              size_t *n)
{
  static const char *const keys[] = { "containerID", "hostID", "size" };
  if (v == NULL)
    return 0;
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_idmap *r = arena_array (c->arena, len, sizeof *r);
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      yajl_val f[3];
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      uint32_t *dst[3] = { &r[i].container_id, &r[i].host_id, &r[i].size };
      for (size_t k = 0; k < 3; k++)
        {
          if (f[k] == NULL)
            return missing (c, AT (ip, keys[k]));
          if (get_u32 (c, AT (ip, keys[k]), f[k], dst[k]) < 0)
            return -1;
        }
    }
  *out = r;
  *n = len;
  return 0;
}

static int
parse_user (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_user *u)
{
  enum { U_UID, U_GID, U_UMASK, U_GIDS, U__N };
  static const char *const keys[U__N] = {
    [U_UID] = "uid", [U_GID] = "gid", [U_UMASK] = "umask", [U_GIDS] = "additionalGids",
  };
  yajl_val f[U__N];
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  if (f[U_UID] == NULL)
    return missing (c, AT (p, "uid"));
  if (f[U_GID] == NULL)
    return missing (c, AT (p, "gid"));
  if (get_u32 (c, AT (p, "uid"), f[U_UID], &u->uid) < 0
      || get_u32 (c, AT (p, "gid"), f[U_GID], &u->gid) < 0
      || get_u32 (c, AT (p, "umask"), f[U_UMASK], &u->umask) < 0)
    return -1;
  u->has_umask = f[U_UMASK] != NULL;
  yajl_val g = f[U_GIDS];
  if (g)
    {
      const struct jpath *gp = AT (p, "additionalGids");
      if (want_array (c, gp, g) < 0)
        return -1;
      u->n_additional_gids = g->u.array.len;
      u->additional_gids = arena_array (c->arena, g->u.array.len, sizeof (uint32_t));
      for (size_t i = 0; i < g->u.array.len; i++)
        if (get_u32 (c, AT_I (gp, i), g->u.array.values[i], &u->additional_gids[i]) < 0)
          return -1;
    }
  return 0;
}

static int
parse_caps (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_caps *caps)
{
  static const char *const keys[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  uint64_t *dst[] = { &caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
                      &caps->ambient };
  yajl_val f[CLR_ARRAY_SIZE (keys)];
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  caps->present = true;
  for (size_t k = 0; k < CLR_ARRAY_SIZE (keys); k++)
    {
      yajl_val a = f[k];
      const struct jpath *sp = AT (p, keys[k]);
      if (a == NULL)
        continue;
      if (want_array (c, sp, a) < 0)
        return -1;
      uint64_t mask = 0;
      for (size_t i = 0; i < a->u.array.len; i++)
        {
          yajl_val e = a->u.array.values[i];
          if (!YAJL_IS_STRING (e))
            return fail_at (c, AT_I (sp, i), "expected a string");
          int cap = clr_cap_from_name (e->u.string);
          if (cap < 0)
            return fail_at (c, AT_I (sp, i), "unknown capability %s", Q (e->u.string));
          mask |= UINT64_C (1) << cap;
        }
      *dst[k] = mask;
    }
  return 0;
}

static int
parse_rlimits (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_process *proc)
{
  enum { R_TYPE, R_SOFT, R_HARD, R__N };
  static const char *const keys[R__N] = { [R_TYPE] = "type", [R_SOFT] = "soft", [R_HARD] = "hard" };
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_rlimit *r = arena_array (c->arena, len, sizeof *r);
  uint64_t seen = 0;
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      yajl_val f[R__N];
      long res = 0;
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      for (size_t k = 0; k < R__N; k++)
        if (f[k] == NULL)
          return missing (c, AT (ip, keys[k]));
      if (GET_ENUM (c, AT (ip, "type"), f[R_TYPE], rlimit_names, &res) < 0)
        return -1;
      /* The spec: duplicated types MUST be an error. */
      if (seen & (UINT64_C (1) << res))
        return fail_at (c, AT (ip, "type"), "duplicate %s", Q (f[R_TYPE]->u.string));
      seen |= UINT64_C (1) << res;
      r[i].resource = (int) res;
      for (size_t k = 0; k < CLR_ARRAY_SIZE (rlimit_names); k++)
        if (rlimit_names[k].value == res)
          r[i].name = rlimit_names[k].name;
      if (get_u64 (c, AT (ip, "soft"), f[R_SOFT], &r[i].soft) < 0
          || get_u64 (c, AT (ip, "hard"), f[R_HARD], &r[i].hard) < 0)
        return -1;
      /* setrlimit() would only say EINVAL, long after the config was accepted. */
      if (r[i].soft > r[i].hard)
        return fail_at (c, ip, "%s: soft limit %" PRIu64 " exceeds hard limit %" PRIu64, r[i].name,
                        r[i].soft, r[i].hard);
    }
  proc->rlimits = r;
  proc->n_rlimits = len;
  return 0;
}

static int
parse_scheduler (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_scheduler *s)
{
  enum { S_POLICY, S_NICE, S_PRIORITY, S_FLAGS, S_RUNTIME, S_DEADLINE, S_PERIOD, S__N };
  static const char *const keys[S__N] = {
    [S_POLICY] = "policy",     [S_NICE] = "nice",         [S_PRIORITY] = "priority",
    [S_FLAGS] = "flags",       [S_RUNTIME] = "runtime",   [S_DEADLINE] = "deadline",
    [S_PERIOD] = "period",
  };
  yajl_val f[S__N];
  long policy = 0;
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  if (f[S_POLICY] == NULL)
    return missing (c, AT (p, "policy"));
  if (GET_ENUM (c, AT (p, "policy"), f[S_POLICY], sched_policies, &policy) < 0)
    return -1;
  s->policy = (int) policy;
  if (get_int32 (c, AT (p, "nice"), f[S_NICE], -20, 19, &s->nice) < 0
      || get_int32 (c, AT (p, "priority"), f[S_PRIORITY], INT32_MIN, INT32_MAX, &s->priority) < 0
      || get_u64 (c, AT (p, "runtime"), f[S_RUNTIME], &s->runtime) < 0
      || get_u64 (c, AT (p, "deadline"), f[S_DEADLINE], &s->deadline) < 0
      || get_u64 (c, AT (p, "period"), f[S_PERIOD], &s->period) < 0)
    return -1;
  if (f[S_FLAGS])
    {
      const struct jpath *fp = AT (p, "flags");
      yajl_val a = f[S_FLAGS];
      if (want_array (c, fp, a) < 0)
        return -1;
      for (size_t i = 0; i < a->u.array.len; i++)
        {
          long fl = 0;
          if (GET_ENUM (c, AT_I (fp, i), a->u.array.values[i], sched_flags, &fl) < 0)
            return -1;
          s->flags |= (uint64_t) fl;
        }
    }
  /* The same consistency rules as runc, so a config fails the same way on both. */
  if (s->priority != 0 && s->policy != SCHED_FIFO && s->policy != SCHED_RR)
    return fail_at (c, AT (p, "priority"), "only valid with SCHED_FIFO or SCHED_RR");
  if (s->policy != SCHED_DEADLINE && (s->runtime || s->deadline || s->period))
    return fail_at (c, p, "runtime, deadline and period are only valid with SCHED_DEADLINE");
  return 0;
}

static int
parse_io_priority (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_process *proc)
{
  static const char *const keys[] = { "class", "priority" };
  yajl_val f[2];
  long cls = 0;
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  if (f[0] == NULL)
    return missing (c, AT (p, "class"));
  if (GET_ENUM (c, AT (p, "class"), f[0], ioprio_classes, &cls) < 0
      || get_int32 (c, AT (p, "priority"), f[1], 0, 7, &proc->ioprio_level) < 0)
    return -1;
  proc->ioprio_class = (int) cls;
  proc->has_io_priority = true;
  return 0;
}

static int
check_env (struct pctx *c, const struct jpath *p, char **env, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const char *eq = strchr (env[i], '=');
      if (eq == NULL || eq == env[i])
        return fail_at (c, AT_I (p, i), "invalid environment variable %s (expected NAME=VALUE)",
                        Q (env[i]));
    }
  return 0;
}

static int
parse_process (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_process *proc)
{
  enum {
    P_TERMINAL, P_CONSOLE, P_USER, P_ARGS, P_ENV, P_CWD, P_CAPS, P_RLIMITS, P_NNP,
    P_APPARMOR, P_SELINUX, P_OOM, P_IOPRIO, P_SCHED, P__N
  };
  static const char *const keys[P__N] = {
    [P_TERMINAL] = "terminal",       [P_CONSOLE] = "consoleSize",
    [P_USER] = "user",               [P_ARGS] = "args",
    [P_ENV] = "env",                 [P_CWD] = "cwd",
    [P_CAPS] = "capabilities",       [P_RLIMITS] = "rlimits",
    [P_NNP] = "noNewPrivileges",     [P_APPARMOR] = "apparmorProfile",
    [P_SELINUX] = "selinuxLabel",    [P_OOM] = "oomScoreAdj",
    [P_IOPRIO] = "ioPriority",       [P_SCHED] = "scheduler",
  };
  yajl_val f[P__N];
  if (BIND (c, p, v, keys, f) < 0)
    return -1;

  if (get_bool (c, AT (p, "terminal"), f[P_TERMINAL], &proc->terminal) < 0)
    return -1;
  if (f[P_CONSOLE])
    {
      static const char *const ckeys[] = { "height", "width" };
      const struct jpath *cp = AT (p, "consoleSize");
      yajl_val cf[2];
      if (BIND (c, cp, f[P_CONSOLE], ckeys, cf) < 0)
        return -1;
      if (cf[0] == NULL)
        return missing (c, AT (cp, "height"));
      if (cf[1] == NULL)
        return missing (c, AT (cp, "width"));
      if (get_u32 (c, AT (cp, "height"), cf[0], &proc->console_height) < 0
          || get_u32 (c, AT (cp, "width"), cf[1], &proc->console_width) < 0)
        return -1;
      proc->has_console_size = true;
    }

  if (f[P_USER] == NULL)
    return missing (c, AT (p, "user"));
  if (parse_user (c, AT (p, "user"), f[P_USER], &proc->user) < 0)
    return -1;

  if (f[P_ARGS] == NULL)
    return missing (c, AT (p, "args"));
  if (get_strv (c, AT (p, "args"), f[P_ARGS], &proc->args, &proc->n_args) < 0)
    return -1;
  if (proc->n_args == 0)
    return fail_at (c, AT (p, "args"), "must not be empty");

  if (get_strv (c, AT (p, "env"), f[P_ENV], &proc->env, &proc->n_env) < 0
      || check_env (c, AT (p, "env"), proc->env, proc->n_env) < 0)
    return -1;

  if (f[P_CWD] == NULL)
    return missing (c, AT (p, "cwd"));
  if (get_abs_path (c, AT (p, "cwd"), f[P_CWD], &proc->cwd) < 0)
    return -1;

  if (f[P_CAPS] && parse_caps (c, AT (p, "capabilities"), f[P_CAPS], &proc->caps) < 0)
    return -1;
  if (f[P_RLIMITS] && parse_rlimits (c, AT (p, "rlimits"), f[P_RLIMITS], proc) < 0)
    return -1;
  if (get_bool (c, AT (p, "noNewPrivileges"), f[P_NNP], &proc->no_new_privileges) < 0
      || get_str (c, AT (p, "apparmorProfile"), f[P_APPARMOR], &proc->apparmor_profile) < 0
      || get_str (c, AT (p, "selinuxLabel"), f[P_SELINUX], &proc->selinux_label) < 0
      || get_int32 (c, AT (p, "oomScoreAdj"), f[P_OOM], -1000, 1000, &proc->oom_score_adj) < 0)
    return -1;
  proc->has_oom_score_adj = f[P_OOM] != NULL;
  if (f[P_IOPRIO] && parse_io_priority (c, AT (p, "ioPriority"), f[P_IOPRIO], proc) < 0)
    return -1;
  if (f[P_SCHED])
    {
      if (parse_scheduler (c, AT (p, "scheduler"), f[P_SCHED], &proc->scheduler) < 0)
        return -1;
      proc->has_scheduler = true;
    }
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* mounts */

static void
apply_mount_options (struct pctx *c, struct clr_mount *m)
{
  char **data = arena_array (c->arena, m->n_options + 1, sizeof *data);
  size_t nd = 0, data_len = 0;

  for (size_t i = 0; i < m->n_options; i++)
    {
      const char *o = m->options[i];
      const struct mopt *mo = bsearch (o, mount_opts, CLR_ARRAY_SIZE (mount_opts),
                                       sizeof mount_opts[0], mopt_cmp);
      if (mo == NULL)
        {
          /* "a,,b" would confuse the filesystem's option parser. */
          if (o[0] == '\0')
            continue;
          data[nd++] = m->options[i];
          data_len += strlen (o) + 1;
          continue;
        }
      /* A later option overrides an earlier contrary one ("ro" then "rw"). */
      switch (mo->kind)
        {
        case MO_SET:
          m->flags |= mo->value;
          m->clear_flags &= ~mo->value;
          break;
        case MO_CLR:
          m->clear_flags |= mo->value;
          m->flags &= ~mo->value;
          break;
        case MO_PROPAGATION:
          m->propagation = mo->value;
          break;
        case MO_REC_SET:
          m->rec_attr_set |= mo->value;
          m->rec_attr_clr &= ~(uint64_t) mo->value;
          break;
        case MO_REC_CLR:
          m->rec_attr_clr |= mo->value;
          m->rec_attr_set &= ~(uint64_t) mo->value;
          break;
        case MO_REC_ATIME:
          m->rec_attr_set = (m->rec_attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | mo->value;
          m->rec_attr_clr |= MOUNT_ATTR__ATIME;
          break;
        case MO_RBIND:
          m->recursive_bind = true;
          /* fallthrough */
        case MO_BIND:
          m->bind = true;
          break;
        case MO_RIDMAP:
          m->recursive_idmap = true;
          /* fallthrough */
        case MO_IDMAP:
          m->idmap = true;
          break;
        case MO_TMPCOPYUP:
          m->tmpcopyup = true;
          break;
        }
    }

  m->data_options = data;
  m->n_data_options = nd;
  char *joined = clr_arena_alloc (c->arena, data_len + 1);
  char *w = joined;
  for (size_t i = 0; i < nd; i++)
    {
      size_t l = strlen (data[i]);
      if (i)
        *w++ = ',';
      memcpy (w, data[i], l);
      w += l;
    }
  m->data = joined;
}

static int
parse_mounts (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_config *cfg)
{
  enum { M_DEST, M_TYPE, M_SOURCE, M_OPTIONS, M_UIDMAP, M_GIDMAP, M__N };
  static const char *const keys[M__N] = {
    [M_DEST] = "destination", [M_TYPE] = "type",          [M_SOURCE] = "source",
    [M_OPTIONS] = "options",  [M_UIDMAP] = "uidMappings", [M_GIDMAP] = "gidMappings",
  };
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_mount *mounts = arena_array (c->arena, len, sizeof *mounts);
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      struct clr_mount *m = &mounts[i];
      yajl_val f[M__N];
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      if (f[M_DEST] == NULL)
        return missing (c, AT (ip, "destination"));
      if (get_abs_path (c, AT (ip, "destination"), f[M_DEST], &m->destination) < 0
          || get_str (c, AT (ip, "type"), f[M_TYPE], &m->type) < 0
          || get_str (c, AT (ip, "source"), f[M_SOURCE], &m->source) < 0
          || get_strv (c, AT (ip, "options"), f[M_OPTIONS], &m->options, &m->n_options) < 0
          || parse_idmaps (c, AT (ip, "uidMappings"), f[M_UIDMAP], &m->uid_mappings,
                           &m->n_uid_mappings) < 0
          || parse_idmaps (c, AT (ip, "gidMappings"), f[M_GIDMAP], &m->gid_mappings,
                           &m->n_gid_mappings) < 0)
        return -1;
      apply_mount_options (c, m);
      if (m->type && strcmp (m->type, "bind") == 0)
        m->bind = true;
    }
  cfg->mounts = mounts;
  cfg->n_mounts = len;
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* hooks */

static int
parse_hook_list (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_hook_list *out)
{
  enum { H_PATH, H_ARGS, H_ENV, H_TIMEOUT, H__N };
  static const char *const keys[H__N] = {
    [H_PATH] = "path", [H_ARGS] = "args", [H_ENV] = "env", [H_TIMEOUT] = "timeout",
  };
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_hook *hooks = arena_array (c->arena, len, sizeof *hooks);
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      struct clr_hook *h = &hooks[i];
      yajl_val f[H__N];
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      if (f[H_PATH] == NULL)
        return missing (c, AT (ip, "path"));
      if (get_abs_path (c, AT (ip, "path"), f[H_PATH], &h->path) < 0
          || get_strv (c, AT (ip, "args"), f[H_ARGS], &h->args, &h->n_args) < 0
          || get_strv (c, AT (ip, "env"), f[H_ENV], &h->env, &h->n_env) < 0)
        return -1;
      if (f[H_TIMEOUT])
        {
          int64_t t = 0;
          if (get_int (c, AT (ip, "timeout"), f[H_TIMEOUT], INT64_MIN, INT64_MAX, &t) < 0)
            return -1;
          if (t <= 0)
            return fail_at (c, AT (ip, "timeout"), "must be greater than zero");
          if (t > INT_MAX)
            return fail_at (c, AT (ip, "timeout"), "out of range (maximum %d)", INT_MAX);
          h->timeout = (int) t;
          h->has_timeout = true;
        }
    }
  out->hooks = hooks;
  out->n = len;
  return 0;
}

static int
parse_hooks (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_config *cfg)
{
  static const char *const keys[CLR_HOOK__COUNT] = {
    [CLR_HOOK_PRESTART] = "prestart",
    [CLR_HOOK_CREATE_RUNTIME] = "createRuntime",
    [CLR_HOOK_CREATE_CONTAINER] = "createContainer",
    [CLR_HOOK_START_CONTAINER] = "startContainer",
    [CLR_HOOK_POSTSTART] = "poststart",
    [CLR_HOOK_POSTSTOP] = "poststop",
  };
  yajl_val f[CLR_HOOK__COUNT];
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  for (size_t k = 0; k < CLR_HOOK__COUNT; k++)
    if (f[k] && parse_hook_list (c, AT (p, keys[k]), f[k], &cfg->hooks[k]) < 0)
      return -1;
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* linux */

static int
parse_namespaces (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_linux *lx)
{
  static const char *const keys[] = { "type", "path" };
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_namespace *ns = arena_array (c->arena, len, sizeof *ns);
  long seen = 0;
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      yajl_val f[2];
      long type = 0;
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      if (f[0] == NULL)
        return missing (c, AT (ip, "type"));
      if (GET_ENUM (c, AT (ip, "type"), f[0], namespace_names, &type) < 0)
        return -1;
      if (seen & type)
        return fail_at (c, AT (ip, "type"), "duplicate namespace %s", Q (f[0]->u.string));
      seen |= type;
      ns[i].type = (int) type;
      const char *path = NULL;
      if (get_str (c, AT (ip, "path"), f[1], &path) < 0)
        return -1;
      /* Go writes an unset path as ""; that means "create a new one". */
      if (path && path[0] != '\0')
        {
          if (path[0] != '/')
            return fail_at (c, AT (ip, "path"), "must be an absolute path");
          ns[i].path = path;
        }
    }
  lx->namespaces = ns;
  lx->n_namespaces = len;
  return 0;
}

static int
parse_devices (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_linux *lx)
{
  enum { D_TYPE, D_PATH, D_MAJOR, D_MINOR, D_MODE, D_UID, D_GID, D__N };
  static const char *const keys[D__N] = {
    [D_TYPE] = "type",   [D_PATH] = "path",         [D_MAJOR] = "major", [D_MINOR] = "minor",
    [D_MODE] = "fileMode", [D_UID] = "uid",         [D_GID] = "gid",
  };
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_device *devs = arena_array (c->arena, len, sizeof *devs);
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      struct clr_device *d = &devs[i];
      yajl_val f[D__N];
      const char *type = NULL;
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      if (f[D_TYPE] == NULL)
        return missing (c, AT (ip, "type"));
      if (get_str (c, AT (ip, "type"), f[D_TYPE], &type) < 0)
        return -1;
      if (strcmp (type, "c") != 0 && strcmp (type, "b") != 0 && strcmp (type, "u") != 0
          && strcmp (type, "p") != 0)
        return fail_at (c, AT (ip, "type"), "unknown value %s", Q (type));
      /* An unbuffered character device is created exactly like a buffered one. */
      d->type = type[0] == 'u' ? 'c' : type[0];
      if (f[D_PATH] == NULL)
        return missing (c, AT (ip, "path"));
      if (get_abs_path (c, AT (ip, "path"), f[D_PATH], &d->path) < 0)
        return -1;
      if (d->type != 'p')
        {
          if (f[D_MAJOR] == NULL)
            return missing (c, AT (ip, "major"));
          if (f[D_MINOR] == NULL)
            return missing (c, AT (ip, "minor"));
        }
      uint64_t major = 0, minor = 0;
      if (get_uint (c, AT (ip, "major"), f[D_MAJOR], INT64_MAX, &major) < 0
          || get_uint (c, AT (ip, "minor"), f[D_MINOR], INT64_MAX, &minor) < 0
          || get_u32 (c, AT (ip, "fileMode"), f[D_MODE], &d->file_mode) < 0
          || get_u32 (c, AT (ip, "uid"), f[D_UID], &d->uid) < 0
          || get_u32 (c, AT (ip, "gid"), f[D_GID], &d->gid) < 0)
        return -1;
      d->major = (int64_t) major;
      d->minor = (int64_t) minor;
      d->has_file_mode = f[D_MODE] != NULL;
      d->has_uid = f[D_UID] != NULL;
      d->has_gid = f[D_GID] != NULL;
    }
  lx->devices = devs;
  lx->n_devices = len;
  return 0;
}

static int
parse_seccomp_args (struct pctx *c, const struct jpath *p, yajl_val v,
                    struct clr_seccomp_syscall *sc)
{
  enum { A_INDEX, A_VALUE, A_VALUE2, A_OP, A__N };
  static const char *const keys[A__N] = {
    [A_INDEX] = "index", [A_VALUE] = "value", [A_VALUE2] = "valueTwo", [A_OP] = "op",
  };
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_seccomp_arg *args = arena_array (c->arena, len, sizeof *args);
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      yajl_val f[A__N];
      uint64_t index = 0;
      long op = 0;
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      if (f[A_INDEX] == NULL)
        return missing (c, AT (ip, "index"));
      if (f[A_VALUE] == NULL)
        return missing (c, AT (ip, "value"));
      if (f[A_OP] == NULL)
        return missing (c, AT (ip, "op"));
      if (get_uint (c, AT (ip, "index"), f[A_INDEX], 5, &index) < 0
          || get_u64 (c, AT (ip, "value"), f[A_VALUE], &args[i].value) < 0
          || get_u64 (c, AT (ip, "valueTwo"), f[A_VALUE2], &args[i].value_two) < 0
          || GET_ENUM (c, AT (ip, "op"), f[A_OP], seccomp_ops, &op) < 0)
        return -1;
      args[i].index = (unsigned) index;
      args[i].op = (int) op;
    }
  sc->args = args;
  sc->n_args = len;
  return 0;
}

static int
parse_seccomp_syscalls (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_seccomp *s)
{
  enum { Y_NAMES, Y_ACTION, Y_ERRNO, Y_ARGS, Y__N };
  static const char *const keys[Y__N] = {
    [Y_NAMES] = "names", [Y_ACTION] = "action", [Y_ERRNO] = "errnoRet", [Y_ARGS] = "args",
  };
  if (want_array (c, p, v) < 0)
    return -1;
  size_t len = v->u.array.len;
  struct clr_seccomp_syscall *sys = arena_array (c->arena, len, sizeof *sys);
  for (size_t i = 0; i < len; i++)
    {
      const struct jpath *ip = AT_I (p, i);
      struct clr_seccomp_syscall *sc = &sys[i];
      yajl_val f[Y__N];
      if (BIND (c, ip, v->u.array.values[i], keys, f) < 0)
        return -1;
      if (f[Y_NAMES] == NULL)
        return missing (c, AT (ip, "names"));
      if (get_strv (c, AT (ip, "names"), f[Y_NAMES], &sc->names, &sc->n_names) < 0)
        return -1;
      if (sc->n_names == 0)
        return fail_at (c, AT (ip, "names"), "must not be empty");
      if (f[Y_ACTION] == NULL)
        return missing (c, AT (ip, "action"));
      if (GET_NAME (c, AT (ip, "action"), f[Y_ACTION], seccomp_actions, &sc->action) < 0
          || get_u32 (c, AT (ip, "errnoRet"), f[Y_ERRNO], &sc->errno_ret) < 0)
        return -1;
      sc->has_errno_ret = f[Y_ERRNO] != NULL;
      if (f[Y_ARGS] && parse_seccomp_args (c, AT (ip, "args"), f[Y_ARGS], sc) < 0)
        return -1;
    }
  s->syscalls = sys;
  s->n_syscalls = len;
  return 0;
}

static int
get_namev (struct pctx *c, const struct jpath *p, yajl_val v, const char *const *t, size_t n,
           char ***out, size_t *nout)
{
  if (get_strv (c, p, v, out, nout) < 0)
    return -1;
  for (size_t i = 0; i < *nout; i++)
    if (!in_list (t, n, (*out)[i]))
      return fail_at (c, AT_I (p, i), "unknown value %s", Q ((*out)[i]));
  return 0;
}

static int
parse_seccomp (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_linux *lx)
{
  enum { C_DEFAULT, C_DEFERRNO, C_ARCHS, C_FLAGS, C_LPATH, C_LMETA, C_SYSCALLS, C__N };
  static const char *const keys[C__N] = {
    [C_DEFAULT] = "defaultAction", [C_DEFERRNO] = "defaultErrnoRet",
    [C_ARCHS] = "architectures",   [C_FLAGS] = "flags",
    [C_LPATH] = "listenerPath",    [C_LMETA] = "listenerMetadata",
    [C_SYSCALLS] = "syscalls",
  };
  yajl_val f[C__N];
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  struct clr_seccomp *s = clr_arena_alloc (c->arena, sizeof *s);
  if (f[C_DEFAULT] == NULL)
    return missing (c, AT (p, "defaultAction"));
  if (GET_NAME (c, AT (p, "defaultAction"), f[C_DEFAULT], seccomp_actions, &s->default_action) < 0
      || get_u32 (c, AT (p, "defaultErrnoRet"), f[C_DEFERRNO], &s->default_errno_ret) < 0
      || get_namev (c, AT (p, "architectures"), f[C_ARCHS], seccomp_archs,
                    CLR_ARRAY_SIZE (seccomp_archs), &s->architectures, &s->n_architectures) < 0
      || get_namev (c, AT (p, "flags"), f[C_FLAGS], seccomp_flag_names,
                    CLR_ARRAY_SIZE (seccomp_flag_names), &s->flags, &s->n_flags) < 0
      || get_str (c, AT (p, "listenerPath"), f[C_LPATH], &s->listener_path) < 0
      || get_str (c, AT (p, "listenerMetadata"), f[C_LMETA], &s->listener_metadata) < 0)
    return -1;
  s->has_default_errno_ret = f[C_DEFERRNO] != NULL;
  if (f[C_SYSCALLS] && parse_seccomp_syscalls (c, AT (p, "syscalls"), f[C_SYSCALLS], s) < 0)
    return -1;
  lx->seccomp = s;
  return 0;
}

static int
parse_personality (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_linux *lx)
{
  static const char *const keys[] = { "domain", "flags" };
  yajl_val f[2];
  long domain = 0;
  char **flags = NULL;
  size_t n_flags = 0;
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  if (f[0] == NULL)
    return missing (c, AT (p, "domain"));
  if (GET_ENUM (c, AT (p, "domain"), f[0], personality_domains, &domain) < 0
      || get_strv (c, AT (p, "flags"), f[1], &flags, &n_flags) < 0)
    return -1;
  /* The spec defines no flag names; refuse rather than silently run without them. */
  if (n_flags > 0)
    return fail_at (c, AT_I (AT (p, "flags"), 0), "unsupported personality flag %s", Q (flags[0]));
  lx->personality = (unsigned long) domain;
  lx->has_personality = true;
  return 0;
}

static int
parse_time_offsets (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_linux *lx)
{
  static const char *const keys[] = { "secs", "nanosecs" };
  if (!YAJL_IS_OBJECT (v))
    return fail_at (c, p, "expected an object");
  for (size_t i = 0; i < v->u.object.len; i++)
    {
      const char *clock = v->u.object.keys[i];
      const struct jpath *cp = AT (p, clock);
      int64_t *secs;
      uint32_t *nsecs;
      yajl_val f[2];
      if (strcmp (clock, "monotonic") == 0)
        {
          secs = &lx->time_offset_monotonic_secs;
          nsecs = &lx->time_offset_monotonic_nanosecs;
        }
      else if (strcmp (clock, "boottime") == 0)
        {
          secs = &lx->time_offset_boottime_secs;
          nsecs = &lx->time_offset_boottime_nanosecs;
        }
      else
        return fail_at (c, cp, "unknown clock (expected monotonic or boottime)");
      if (YAJL_IS_NULL (v->u.object.values[i]))
        continue;
      if (BIND (c, cp, v->u.object.values[i], keys, f) < 0)
        return -1;
      uint64_t ns = 0;
      if (get_int (c, AT (cp, "secs"), f[0], INT64_MIN, INT64_MAX, secs) < 0
          || get_uint (c, AT (cp, "nanosecs"), f[1], 999999999, &ns) < 0)
        return -1;
      *nsecs = (uint32_t) ns;
    }
  lx->has_time_offsets = true;
  return 0;
}

static int
parse_linux (struct pctx *c, const struct jpath *p, yajl_val v, struct clr_linux *lx)
{
  enum {
    L_NS, L_UIDMAP, L_GIDMAP, L_TIMEOFF, L_DEVICES, L_CGPATH, L_RESOURCES, L_SYSCTL,
    L_MASKED, L_RO, L_PROPAGATION, L_MOUNTLABEL, L_SECCOMP, L_PERSONALITY, L__N
  };
  static const char *const keys[L__N] = {
    [L_NS] = "namespaces",            [L_UIDMAP] = "uidMappings",
    [L_GIDMAP] = "gidMappings",       [L_TIMEOFF] = "timeOffsets",
    [L_DEVICES] = "devices",          [L_CGPATH] = "cgroupsPath",
    [L_RESOURCES] = "resources",      [L_SYSCTL] = "sysctl",
    [L_MASKED] = "maskedPaths",       [L_RO] = "readonlyPaths",
    [L_PROPAGATION] = "rootfsPropagation", [L_MOUNTLABEL] = "mountLabel",
    [L_SECCOMP] = "seccomp",          [L_PERSONALITY] = "personality",
  };
  yajl_val f[L__N];
  long prop = 0;
  if (BIND (c, p, v, keys, f) < 0)
    return -1;
  if (f[L_NS] && parse_namespaces (c, AT (p, "namespaces"), f[L_NS], lx) < 0)
    return -1;
  if (parse_idmaps (c, AT (p, "uidMappings"), f[L_UIDMAP], &lx->uid_mappings, &lx->n_uid_mappings) < 0
      || parse_idmaps (c, AT (p, "gidMappings"), f[L_GIDMAP], &lx->gid_mappings, &lx->n_gid_mappings) < 0)
    return -1;
  if (f[L_TIMEOFF] && parse_time_offsets (c, AT (p, "timeOffsets"), f[L_TIMEOFF], lx) < 0)
    return -1;
  if (f[L_DEVICES] && parse_devices (c, AT (p, "devices"), f[L_DEVICES], lx) < 0)
    return -1;
  if (get_str (c, AT (p, "cgroupsPath"), f[L_CGPATH], &lx->cgroups_path) < 0)
    return -1;
  if (f[L_RESOURCES])
    {
      if (!YAJL_IS_OBJECT (f[L_RESOURCES]))
        return fail_at (c, AT (p, "resources"), "expected an object");
      lx->resources_json = f[L_RESOURCES];
    }
  if (get_kv (c, AT (p, "sysctl"), f[L_SYSCTL], &lx->sysctl, &lx->n_sysctl) < 0
      || get_abs_pathv (c, AT (p, "maskedPaths"), f[L_MASKED], &lx->masked_paths,
                        &lx->n_masked_paths) < 0
      || get_abs_pathv (c, AT (p, "readonlyPaths"), f[L_RO], &lx->readonly_paths,
                        &lx->n_readonly_paths) < 0
      || GET_ENUM (c, AT (p, "rootfsPropagation"), f[L_PROPAGATION], rootfs_propagations, &prop) < 0
      || get_str (c, AT (p, "mountLabel"), f[L_MOUNTLABEL], &lx->mount_label) < 0)
    return -1;
  lx->rootfs_propagation = (unsigned long) prop;
  if (f[L_SECCOMP] && parse_seccomp (c, AT (p, "seccomp"), f[L_SECCOMP], lx) < 0)
    return -1;
  if (f[L_PERSONALITY] && parse_personality (c, AT (p, "personality"), f[L_PERSONALITY], lx) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* document */

static int
parse_config (struct pctx *c, yajl_val v, struct clr_config *cfg)
{
  enum { T_VERSION, T_ROOT, T_PROCESS, T_HOSTNAME, T_DOMAINNAME, T_MOUNTS, T_HOOKS,
         T_ANNOTATIONS, T_LINUX, T__N };
  static const char *const keys[T__N] = {
    [T_VERSION] = "ociVersion",   [T_ROOT] = "root",         [T_PROCESS] = "process",
    [T_HOSTNAME] = "hostname",    [T_DOMAINNAME] = "domainname", [T_MOUNTS] = "mounts",
    [T_HOOKS] = "hooks",          [T_ANNOTATIONS] = "annotations", [T_LINUX] = "linux",
  };
  yajl_val f[T__N];
  if (BIND (c, NULL, v, keys, f) < 0)
    return -1;

  if (f[T_VERSION] == NULL)
    return missing (c, AT (NULL, "ociVersion"));
  if (get_str (c, AT (NULL, "ociVersion"), f[T_VERSION], &cfg->oci_version) < 0)
    return -1;
  /* The spec keeps compatibility within a major version. */
  if (strncmp (cfg->oci_version, "1.", 2) != 0)
    return fail_at (c, AT (NULL, "ociVersion"), "unsupported version %s (clawrun supports 1.x)",
                    Q (cfg->oci_version));

  if (f[T_ROOT] == NULL)
    return missing (c, AT (NULL, "root"));
  {
    static const char *const rkeys[] = { "path", "readonly" };
    const struct jpath *rp = AT (NULL, "root");
    yajl_val rf[2];
    if (BIND (c, rp, f[T_ROOT], rkeys, rf) < 0)
      return -1;
    if (rf[0] == NULL)
      return missing (c, AT (rp, "path"));
    if (get_str (c, AT (rp, "path"), rf[0], &cfg->root_path) < 0
        || get_bool (c, AT (rp, "readonly"), rf[1], &cfg->root_readonly) < 0)
      return -1;
    if (cfg->root_path[0] == '\0')
      return fail_at (c, AT (rp, "path"), "must not be empty");
  }

  if (f[T_PROCESS])
    {
      cfg->process = clr_arena_alloc (c->arena, sizeof *cfg->process);
      if (parse_process (c, AT (NULL, "process"), f[T_PROCESS], cfg->process) < 0)
        return -1;
    }
  if (get_str (c, AT (NULL, "hostname"), f[T_HOSTNAME], &cfg->hostname) < 0
      || get_str (c, AT (NULL, "domainname"), f[T_DOMAINNAME], &cfg->domainname) < 0)
    return -1;
  if (f[T_MOUNTS] && parse_mounts (c, AT (NULL, "mounts"), f[T_MOUNTS], cfg) < 0)
    return -1;
  if (f[T_HOOKS] && parse_hooks (c, AT (NULL, "hooks"), f[T_HOOKS], cfg) < 0)
    return -1;
  if (get_kv (c, AT (NULL, "annotations"), f[T_ANNOTATIONS], &cfg->annotations,
              &cfg->n_annotations) < 0)
    return -1;
  if (f[T_LINUX])
    {
      if (parse_linux (c, AT (NULL, "linux"), f[T_LINUX], &cfg->linux) < 0)
        return -1;
      cfg->has_linux = true;
    }
  return 0;
}

/* yajl_tree_parse() cannot see past a NUL byte and silently truncates strings at an
 * escaped \u0000, and yajl_tree_free() recurses once per nesting level: reject all
 * three before building the tree.  Comments are skipped because yajl_tree allows them.
 * S is NUL-terminated at LEN (the terminator stops every scan), and the byte-class
 * table keeps the common case to one load and test per byte. */
enum { SC_OUT = 1, SC_STR = 2 };
static const unsigned char scan_class[256] = {
  ['\0'] = SC_OUT | SC_STR, ['"'] = SC_OUT | SC_STR, ['\\'] = SC_STR,
  ['/'] = SC_OUT, ['['] = SC_OUT, [']'] = SC_OUT, ['{'] = SC_OUT, ['}'] = SC_OUT,
};

static int
prescan (const char *s, size_t len, clr_err *err)
{
  const char *nul = memchr (s, '\0', len);
  if (nul)
    return clr_fail (err, 0, "invalid JSON: NUL byte at offset %zu", (size_t) (nul - s));
  const char *p = s, *end = s + len, *e;
  unsigned depth = 0;
  for (;;)
    {
      while (!(scan_class[(unsigned char) *p] & SC_OUT))
        p++;
      if (p >= end)
        return 0;
      switch (*p++)
        {
        case '"':
          for (;;)
            {
              while (!(scan_class[(unsigned char) *p] & SC_STR))
                p++;
              if (*p != '\\')
                break;
              if (p[1] == 'u' && strncmp (p + 2, "0000", 4) == 0)
                return clr_fail (err, 0, "invalid JSON: \\u0000 in a string is not supported");
              p += p[1] ? 2 : 1;
            }
          if (p < end)
            p++;
          break;
        case '/':
          if (*p == '*')
            p = (e = strstr (p + 1, "*/")) ? e + 2 : end;
          else if (*p == '/')
            p = (e = strchr (p + 1, '\n')) ? e + 1 : end;
          break;
        case '[':
        case '{':
          if (++depth > JSON_MAX_DEPTH)
            return clr_fail (err, 0, "invalid JSON: nested deeper than %d levels", JSON_MAX_DEPTH);
          break;
        default: /* ']' '}' */
          if (depth)
            depth--;
          break;
        }
    }
}

/* yajl_tree's message is multi-line and has no position: parse again with a bare
 * handle (error path only) for a one-line message and the line and column. */
static int
syntax_error (const char *text, size_t len, const char *tree_msg, clr_err *err)
{
  char msg[256];
  size_t off = len;
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  if (h == NULL)
    arena_oom ();
  yajl_config (h, yajl_allow_comments, 1);
  yajl_status st = yajl_parse (h, (const unsigned char *) text, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  else
    off = yajl_get_bytes_consumed (h);
  if (st == yajl_status_ok)
    snprintf (msg, sizeof msg, "%s", tree_msg);
  else
    {
      unsigned char *m = yajl_get_error (h, 0, (const unsigned char *) text, len);
      snprintf (msg, sizeof msg, "%s", m ? (const char *) m : "unknown error");
      if (m)
        yajl_free_error (h, m);
    }
  yajl_free (h);

  size_t l = strcspn (msg, "\n");
  while (l > 0 && (msg[l - 1] == ' ' || msg[l - 1] == '.'))
    l--;
  msg[l] = '\0';

  size_t line = 1, col_start = 0;
  if (off > len)
    off = len;
  for (size_t i = 0; i < off; i++)
    if (text[i] == '\n')
      {
        line++;
        col_start = i + 1;
      }
  size_t col = off > col_start ? off - col_start : 1;
  return clr_fail (err, 0, "invalid JSON: %s (line %zu, column %zu)", msg, line, col);
}

/* TEXT must be NUL-terminated at LEN. */
static int
parse_tree (const char *text, size_t len, yajl_val *out, clr_err *err)
{
  char eb[256] = "";
  if (prescan (text, len, err) < 0)
    return -1;
  yajl_val t = yajl_tree_parse (text, eb, sizeof eb);
  if (t == NULL)
    return syntax_error (text, len, eb, err);
  if (!YAJL_IS_OBJECT (t))
    {
      yajl_tree_free (t);
      return clr_fail (err, 0, "expected a JSON object at the top level");
    }
  *out = t;
  return 0;
}

static struct clr_config *
config_new (void)
{
  struct clr_arena *a = clr_arena_new ();
  struct clr_config *cfg = clr_arena_alloc (a, sizeof *cfg);
  cfg->arena = a;
  return cfg;
}

static int
config_parse_text (const char *text, size_t len, struct clr_config **out, clr_err *err)
{
  cleanup_tree yajl_val tree = NULL;
  if (parse_tree (text, len, &tree, err) < 0)
    return -1;
  cleanup_config struct clr_config *cfg = config_new ();
  cfg->tree = clr_steal_ptr (&tree);
  struct pctx c = { .arena = cfg->arena, .err = err };
  if (parse_config (&c, cfg->tree, cfg) < 0)
    return -1;
  *out = clr_steal_ptr (&cfg);
  return 0;
}

int
clr_config_parse (const char *json, size_t len, struct clr_config **out, clr_err *err)
{
  if (len == SIZE_MAX)
    arena_oom ();
  /* yajl_tree wants a C string. */
  cleanup_free char *text = xmalloc (len + 1);
  if (len)
    memcpy (text, json, len);
  text[len] = '\0';
  return config_parse_text (text, len, out, err);
}

int
clr_config_load (const char *path, struct clr_config **out, clr_err *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (clr_read_file (path, CONFIG_MAX_BYTES, &text, &len, err) < 0)
    return -1;
  if (config_parse_text (text, len, out, err) < 0)
    return clr_wrap (err, "%s", path);
  return 0;
}

void
clr_config_free (struct clr_config *cfg)
{
  if (cfg == NULL)
    return;
  yajl_val tree = cfg->tree;
  /* cfg itself may live in the arena: read everything before freeing it. */
  struct clr_arena *a = cfg->arena;
  if (tree)
    yajl_tree_free (tree);
  clr_arena_free (a);
}

int
clr_process_parse_json (const char *json, size_t len, struct clr_config **holder,
                        struct clr_process **out, clr_err *err)
{
  if (len == SIZE_MAX)
    arena_oom ();
  cleanup_free char *text = xmalloc (len + 1);
  if (len)
    memcpy (text, json, len);
  text[len] = '\0';

  cleanup_tree yajl_val tree = NULL;
  if (parse_tree (text, len, &tree, err) < 0)
    return -1;

  cleanup_config struct clr_config *fresh = NULL;
  struct clr_config *owner = *holder;
  if (owner == NULL)
    owner = fresh = config_new ();

  struct pctx c = { .arena = owner->arena, .err = err };
  struct clr_process *proc = clr_arena_alloc (owner->arena, sizeof *proc);
  if (parse_process (&c, AT (NULL, "process"), tree, proc) < 0)
    return -1;

  /* The strings point into this tree: it must live as long as OWNER. */
  if (owner->tree == NULL)
    owner->tree = clr_steal_ptr (&tree);
  else
    arena_on_free (owner->arena, tree_free_cb, clr_steal_ptr (&tree));
  if (fresh)
    *holder = clr_steal_ptr (&fresh);
  *out = proc;
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* lookups */

const struct clr_namespace *
clr_config_namespace (const struct clr_config *cfg, int type)
{
  for (size_t i = 0; i < cfg->linux.n_namespaces; i++)
    if (cfg->linux.namespaces[i].type == type)
      return &cfg->linux.namespaces[i];
  return NULL;
}

const char *
clr_config_annotation (const struct clr_config *cfg, const char *key)
{
  /* Backwards: with a repeated key the last one wins, as when Go decodes a map. */
  for (size_t i = cfg->n_annotations; i > 0; i--)
    if (strcmp (cfg->annotations[i - 1].key, key) == 0)
      return cfg->annotations[i - 1].value;
  return NULL;
}
