/* clawrun: cgroup layer (see cgroup.h).
 *
 * Every operation works on paths "<mount point><cgroup path>" in each hierarchy found in
 * /proc/self/mountinfo.  The hierarchies are looked up when a handle is made and kept in
 * it; nothing is cached process-wide.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "cgroup.h"
#include "internal.h"
#include "resources.h"
#include "../runtime/util.h"

/* How long destroy waits for the processes to go and freeze waits for FROZEN. */
#define WAIT_MS 5000
/* Deeper nesting than this below a container cgroup is refused rather than recursed. */
#define MAX_DEPTH 256
/* Larger cgroup.procs / mountinfo files than this are an error (they never are). */
#define MAX_FILE (16 << 20)

static const char CLAWRUN_PREFIX[] = "/clawrun/";

/* ---------------------------------------------------------------- small helpers */

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

bool
clr_cg_has_word (const char *list, const char *word)
{
  size_t wl = strlen (word);
  const char *p = list;
  while (p && *p)
    {
      while (*p && isspace ((unsigned char) *p))
        p++;
      const char *s = p;
      while (*p && !isspace ((unsigned char) *p))
        p++;
      if ((size_t) (p - s) == wl && memcmp (s, word, wl) == 0)
        return true;
    }
  return false;
}

static bool
only_space (const char *s)
{
  for (; *s; s++)
    if (!isspace ((unsigned char) *s))
      return false;
  return true;
}

/* Write VALUE to DIR/FILE in one write(2): cgroup files take one value per write. */
static int
write_cg_file (const char *dir, const char *file, const char *value, int *errnum)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      *errnum = errno;
      return -1;
    }
  size_t len = strlen (value);
  ssize_t w;
  do
    w = write (fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0 || (size_t) w != len)
    {
      *errnum = w < 0 ? errno : EIO;
      return -1;
    }
  return 0;
}

/* Read DIR/FILE; NULL with *ERRNUM set on failure. */
static char *
read_cg_file (const char *dir, const char *file, int *errnum)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  clr_err e = { 0 };
  char *buf = NULL;
  if (clr_read_file (path, MAX_FILE, &buf, NULL, &e) < 0)
    {
      *errnum = e.code ? e.code : EIO;
      return NULL;
    }
  return buf;
}

static bool
dir_exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

struct strlist
{
  char **v;
  size_t n;
};

static void
strlist_push (struct strlist *l, char *s)
{
  l->v = xrealloc (l->v, (l->n + 1) * sizeof *l->v);
  l->v[l->n++] = s;
}

static void
strlist_clear (struct strlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->v[i]);
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

struct pidvec
{
  pid_t *v;
  size_t n, cap;
};

static void
pidvec_push (struct pidvec *p, pid_t pid)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 16;
      p->v = xrealloc (p->v, p->cap * sizeof *p->v);
    }
  p->v[p->n++] = pid;
}

static int
cmp_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

static void
pidvec_sort_unique (struct pidvec *p)
{
  if (p->n < 2)
    return;
  qsort (p->v, p->n, sizeof *p->v, cmp_pid);
  size_t j = 1;
  for (size_t i = 1; i < p->n; i++)
    if (p->v[i] != p->v[j - 1])
      p->v[j++] = p->v[i];
  p->n = j;
}

/* ---------------------------------------------------------------- mode & hierarchies */

int
clr_cgroup_detect_mode (enum clr_cgroup_mode *mode, clr_err *err)
{
  struct statfs st;
  if (statfs (CLR_CGROUP_ROOT, &st) < 0)
    return clr_fail (err, errno, "statfs %s", CLR_CGROUP_ROOT);
  if (st.f_type == CGROUP2_SUPER_MAGIC)
    {
      *mode = CLR_CGROUP_UNIFIED;
      return 0;
    }
  if (statfs (CLR_CGROUP_ROOT "/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    *mode = CLR_CGROUP_HYBRID;
  else
    *mode = CLR_CGROUP_LEGACY;
  return 0;
}

static void
hier_free (struct clr_cg_hier *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].mount);
      clr_strv_freep (&h[i].controllers);
    }
  free (h);
}

/* mountinfo escapes blanks and backslashes in paths as \ooo. */
static void
unescape_octal (char *s)
{
  char *w = s;
  for (char *r = s; *r;)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 4;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}

/* The enabled v1 subsystem names, from /proc/cgroups: only these (and "name=...") in a
 * cgroup mount's super options are controllers; the rest are options such as xattr or
 * release_agent=. */
static int
read_subsystems (char ***out, clr_err *err)
{
  cleanup_free char *buf = NULL;
  if (clr_read_file ("/proc/cgroups", MAX_FILE, &buf, NULL, err) < 0)
    return -1;
  struct strlist l = { 0 };
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (line[0] == '#')
        continue;
      char name[64];
      int hierarchy, num, enabled;
      if (sscanf (line, "%63s %d %d %d", name, &hierarchy, &num, &enabled) == 4 && enabled)
        strlist_push (&l, xstrdup (name));
    }
  strlist_push (&l, NULL);
  *out = l.v;
  return 0;
}

static bool
strv_contains (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

/* Every v1 hierarchy mounted directly under /sys/fs/cgroup (each once, however often it
 * is mounted; a later mount on the same point hides an earlier one). */
static int
load_v1_hierarchies (struct clr_cg_hier **hier, size_t *n, clr_err *err)
{
  cleanup_strv char **subsys = NULL;
  if (read_subsystems (&subsys, err) < 0)
    return -1;
  cleanup_free char *buf = NULL;
  if (clr_read_file ("/proc/self/mountinfo", MAX_FILE, &buf, NULL, err) < 0)
    return -1;

  struct clr_cg_hier *h = NULL;
  size_t nh = 0;
  cleanup_free char **devs = NULL; /* "maj:min" of each entry, pointing into buf */
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
      char *f[6], *s2 = NULL, *t;
      int i;
      for (i = 0; i < 6 && (t = strtok_r (i ? NULL : line, " ", &s2)); i++)
        f[i] = t;
      if (i < 6)
        continue;
      while ((t = strtok_r (NULL, " ", &s2)) && strcmp (t, "-") != 0)
        ;
      char *fstype = t ? strtok_r (NULL, " ", &s2) : NULL;
      char *source = fstype ? strtok_r (NULL, " ", &s2) : NULL;
      char *superopts = source ? strtok_r (NULL, " ", &s2) : NULL;
      if (!superopts || strcmp (fstype, "cgroup") != 0)
        continue;
      char *mnt = f[4];
      unescape_octal (mnt);
      const char *leaf = mnt + sizeof CLR_CGROUP_ROOT;
      if (!clr_has_prefix (mnt, CLR_CGROUP_ROOT "/") || *leaf == '\0' || strchr (leaf, '/'))
        continue;

      struct strlist ctrls = { 0 };
      char *s3 = NULL;
      for (char *o = strtok_r (superopts, ",", &s3); o; o = strtok_r (NULL, ",", &s3))
        if (clr_has_prefix (o, "name=") || strv_contains (subsys, o))
          strlist_push (&ctrls, xstrdup (o));
      if (ctrls.n == 0)
        continue;
      strlist_push (&ctrls, NULL);

      size_t k;
      for (k = 0; k < nh; k++)
        if (strcmp (h[k].mount, mnt) == 0 || strcmp (devs[k], f[2]) == 0)
          break;
      if (k < nh && strcmp (h[k].mount, mnt) != 0)
        {
          /* the same hierarchy mounted a second time under /sys/fs/cgroup */
          clr_strv_freep (&ctrls.v);
          continue;
        }
      if (k == nh)
        {
          h = xrealloc (h, (nh + 1) * sizeof *h);
          devs = xrealloc (devs, (nh + 1) * sizeof *devs);
          h[nh].mount = xstrdup (mnt);
          h[nh].unified = false;
          nh++;
        }
      else
        clr_strv_freep (&h[k].controllers);
      h[k].controllers = ctrls.v;
      devs[k] = f[2];
    }
  *hier = h;
  *n = nh;
  return 0;
}

static int
load_hierarchies (enum clr_cgroup_mode mode, struct clr_cg_hier **hier, size_t *n, clr_err *err)
{
  struct clr_cg_hier *h = NULL;
  size_t nh = 0;
  if (mode != CLR_CGROUP_UNIFIED && load_v1_hierarchies (&h, &nh, err) < 0)
    return -1;
  if (mode != CLR_CGROUP_LEGACY)
    {
      h = xrealloc (h, (nh + 1) * sizeof *h);
      h[nh].mount
          = xstrdup (mode == CLR_CGROUP_UNIFIED ? CLR_CGROUP_ROOT : CLR_CGROUP_ROOT "/unified");
      h[nh].controllers = NULL;
      h[nh].unified = true;
      nh++;
    }
  *hier = h;
  *n = nh;
  return 0;
}

const struct clr_cg_hier *
clr_cg_v1_hier (struct clr_cgroup *cg, const char *controller)
{
  struct clr_cg_priv *p = clr_cg_priv (cg);
  for (size_t i = 0; i < p->n_hier; i++)
    if (!p->hier[i].unified && strv_contains (p->hier[i].controllers, controller))
      return &p->hier[i];
  return NULL;
}

const struct clr_cg_hier *
clr_cg_unified_hier (struct clr_cgroup *cg)
{
  struct clr_cg_priv *p = clr_cg_priv (cg);
  for (size_t i = 0; i < p->n_hier; i++)
    if (p->hier[i].unified)
      return &p->hier[i];
  return NULL;
}

char *
clr_cg_dir (struct clr_cgroup *cg, const struct clr_cg_hier *h)
{
  return xasprintf ("%s%s", h->mount, cg->path);
}

/* ---------------------------------------------------------------- paths & handles */

char *
clr_cgroup_resolve_path (const char *cgroups_path, const char *id)
{
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    return xasprintf ("/clawrun/%s", id ? id : "");
  if (cgroups_path[0] == '/')
    return xstrdup (cgroups_path);
  return xasprintf ("/clawrun/%s", cgroups_path);
}

/* "/a//b/./c/" -> "/a/b/c".  ".." could climb out of the tree we manage (and out of the
 * mount point), and the root cgroup is the host's: both are refused. */
static int
normalize_path (const char *in, char **out, clr_err *err)
{
  if (in == NULL || in[0] != '/')
    return clr_fail (err, 0, "cgroupsPath \"%s\": must be absolute", in ? in : "");
  cleanup_free char *copy = xstrdup (in);
  cleanup_free char *res = xmalloc (strlen (in) + 2);
  size_t n = 0;
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        return clr_fail (err, 0, "cgroupsPath: must not contain \"..\"");
      res[n++] = '/';
      size_t l = strlen (c);
      memcpy (res + n, c, l);
      n += l;
    }
  res[n] = '\0';
  if (n == 0)
    return clr_fail (err, 0, "cgroupsPath \"%s\": must not be the root cgroup", in);
  *out = clr_steal_ptr (&res);
  return 0;
}

static int
handle_new (const char *path, struct clr_cg_priv **out, clr_err *err)
{
  cleanup_free char *norm = NULL;
  if (normalize_path (path, &norm, err) < 0)
    return -1;
  enum clr_cgroup_mode mode;
  if (clr_cgroup_detect_mode (&mode, err) < 0)
    return -1;
  struct clr_cg_hier *h = NULL;
  size_t nh = 0;
  if (load_hierarchies (mode, &h, &nh, err) < 0)
    return -1;
  struct clr_cg_priv *p = xcalloc (1, sizeof *p);
  p->pub.mode = mode;
  p->pub.path = clr_steal_ptr (&norm);
  p->pub.unified_fd = -1;
  p->hier = h;
  p->n_hier = nh;
  *out = p;
  return 0;
}

void
clr_cgroup_free (struct clr_cgroup *cg)
{
  if (cg == NULL)
    return;
  struct clr_cg_priv *p = clr_cg_priv (cg);
  if (cg->unified_fd >= 0)
    close (cg->unified_fd);
  free (cg->path);
  hier_free (p->hier, p->n_hier);
  free (p);
}

static int
open_unified_fd (struct clr_cgroup *cg, bool must_exist, clr_err *err)
{
  const struct clr_cg_hier *u = clr_cg_unified_hier (cg);
  if (u == NULL)
    return 0;
  cleanup_free char *dir = clr_cg_dir (cg, u);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT && !must_exist)
        return 0;
      return clr_fail (err, errno, "open %s", dir);
    }
  cg->unified_fd = fd;
  return 0;
}

int
clr_cgroup_open (const char *path, struct clr_cgroup **out, clr_err *err)
{
  struct clr_cg_priv *p;
  if (handle_new (path, &p, err) < 0)
    return -1;
  cleanup_cgroup struct clr_cgroup *cg = &p->pub;
  if (open_unified_fd (cg, false, err) < 0)
    return -1;
  *out = clr_steal_ptr (&cg);
  return 0;
}

/* ---------------------------------------------------------------- pids */

/* The pids of DFD's cgroup.procs and of all its descendants, appended to V.  A cgroup
 * removed while we walk is simply empty. */
static int
collect_pids_at (int dfd, const char *where, struct pidvec *v, int depth, clr_err *err)
{
  if (depth > MAX_DEPTH)
    return clr_fail (err, ELOOP, "read %s: cgroups nested deeper than %d", where, MAX_DEPTH);
  cleanup_free char *buf = NULL;
  clr_err e = { 0 };
  if (clr_read_file_at (dfd, "cgroup.procs", MAX_FILE, &buf, NULL, &e) < 0)
    {
      if (e.code == ENOENT || e.code == ENODEV)
        return 0;
      return clr_fail (err, e.code, "read %s/cgroup.procs", where);
    }
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      int64_t pid;
      if (clr_parse_i64 (l, 1, INT32_MAX, &pid) == 0)
        pidvec_push (v, (pid_t) pid);
    }

  int dfd2 = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd2 < 0)
    return errno == ENOENT ? 0 : clr_fail (err, errno, "open %s", where);
  DIR *d = fdopendir (dfd2);
  if (d == NULL)
    {
      close (dfd2);
      return clr_fail (err, errno, "opendir %s", where);
    }
  int ret = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_close int cfd
          = openat (dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (cfd < 0)
        {
          if (errno == ENOENT)
            continue;
          ret = clr_fail (err, errno, "open %s/%s", where, de->d_name);
          break;
        }
      cleanup_free char *sub = xasprintf ("%s/%s", where, de->d_name);
      if (collect_pids_at (cfd, sub, v, depth + 1, err) < 0)
        {
          ret = -1;
          break;
        }
    }
  closedir (d);
  return ret;
}

/* All pids under DIR (recursively); a missing DIR is empty. */
static int
collect_pids (const char *dir, struct pidvec *v, clr_err *err)
{
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return errno == ENOENT ? 0 : clr_fail (err, errno, "open %s", dir);
  return collect_pids_at (dfd, dir, v, 0, err);
}

/* The hierarchy whose membership answers "which processes are in the container". */
static const struct clr_cg_hier *
pids_hier (struct clr_cgroup *cg)
{
  struct clr_cg_priv *p = clr_cg_priv (cg);
  if (cg->mode == CLR_CGROUP_UNIFIED)
    return clr_cg_unified_hier (cg);
  const struct clr_cg_hier *h = clr_cg_v1_hier (cg, "pids");
  if (!h)
    h = clr_cg_v1_hier (cg, "memory");
  for (size_t i = 0; !h && i < p->n_hier; i++)
    if (!p->hier[i].unified)
      h = &p->hier[i];
  return h ? h : clr_cg_unified_hier (cg);
}

int
clr_cgroup_pids (struct clr_cgroup *cg, pid_t **pids, size_t *n, clr_err *err)
{
  struct pidvec v = { 0 };
  const struct clr_cg_hier *h = pids_hier (cg);
  if (h)
    {
      cleanup_free char *dir = clr_cg_dir (cg, h);
      if (collect_pids (dir, &v, err) < 0)
        {
          free (v.v);
          return -1;
        }
    }
  pidvec_sort_unique (&v);
  *pids = v.v ? v.v : xmalloc (sizeof (pid_t));
  *n = v.n;
  return 0;
}

/* ---------------------------------------------------------------- create */

/* A new cpuset cgroup starts with empty cpus/mems and nothing can be attached to it
 * (ENOSPC); give it its parent's. */
static int
cpuset_copy_if_empty (const char *parent, const char *dir, const char *file, clr_err *err)
{
  int e = 0;
  cleanup_free char *own = read_cg_file (dir, file, &e);
  if (own == NULL)
    return clr_fail (err, e, "read %s/%s", dir, file);
  if (!only_space (own))
    return 0;
  cleanup_free char *from = read_cg_file (parent, file, &e);
  if (from == NULL)
    return clr_fail (err, e, "read %s/%s", parent, file);
  if (only_space (from))
    return 0;
  if (write_cg_file (dir, file, from, &e) < 0)
    return clr_fail (err, e, "copy %s/%s to %s", parent, file, dir);
  return 0;
}

/* Pure v2: controllers are usable in a child only when the parent enables them in
 * cgroup.subtree_control.  Failures are not fatal here (e.g. EBUSY when that level has
 * processes of its own): a limit that then cannot be written reports the missing file. */
static void
v2_enable_controllers (const char *dir)
{
  static const char *const wanted[]
      = { "cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma" };
  int e;
  cleanup_free char *avail = read_cg_file (dir, "cgroup.controllers", &e);
  cleanup_free char *enabled = read_cg_file (dir, "cgroup.subtree_control", &e);
  if (avail == NULL || enabled == NULL)
    return;
  for (size_t i = 0; i < CLR_ARRAY_SIZE (wanted); i++)
    if (clr_cg_has_word (avail, wanted[i]) && !clr_cg_has_word (enabled, wanted[i]))
      {
        char buf[32];
        snprintf (buf, sizeof buf, "+%s", wanted[i]);
        (void) write_cg_file (dir, "cgroup.subtree_control", buf, &e);
      }
}

/* mkdir -p PATH in hierarchy H, recording in CREATED every directory this call made. */
static int
mkdir_hier (struct clr_cgroup *cg, const struct clr_cg_hier *h, struct strlist *created,
            clr_err *err)
{
  bool cpuset = !h->unified && strv_contains (h->controllers, "cpuset");
  bool enable = h->unified && cg->mode == CLR_CGROUP_UNIFIED;
  /* A concurrent destroy of a sibling may remove a shared parent ("/clawrun") between our
   * mkdir of it and of its child: start over a few times. */
  for (int attempt = 0;; attempt++)
    {
      cleanup_free char *cur = xstrdup (h->mount);
      const char *p = cg->path;
      bool retry = false;
      while (*p)
        {
          const char *s = p + 1;
          const char *e = strchr (s, '/');
          size_t l = e ? (size_t) (e - s) : strlen (s);
          cleanup_free char *parent = clr_steal_ptr (&cur);
          cur = xasprintf ("%s/%.*s", parent, (int) l, s);
          p = s + l;
          if (enable)
            v2_enable_controllers (parent);
          if (mkdir (cur, 0755) == 0)
            strlist_push (created, xstrdup (cur));
          else if (errno == ENOENT && attempt < 3)
            {
              retry = true;
              break;
            }
          else if (errno != EEXIST)
            return clr_fail (err, errno, "mkdir %s", cur);
          else if (!dir_exists (cur))
            return clr_fail (err, ENOTDIR, "mkdir %s", cur);
          if (cpuset
              && (cpuset_copy_if_empty (parent, cur, "cpuset.cpus", err) < 0
                  || cpuset_copy_if_empty (parent, cur, "cpuset.mems", err) < 0))
            return -1;
        }
      if (!retry)
        return 0;
    }
}

/* Refuse to take over a cgroup that already has processes (in it or below it). */
static int
check_unused (struct clr_cgroup *cg, clr_err *err)
{
  struct clr_cg_priv *p = clr_cg_priv (cg);
  for (size_t i = 0; i < p->n_hier; i++)
    {
      cleanup_free char *dir = clr_cg_dir (cg, &p->hier[i]);
      struct pidvec v = { 0 };
      int r = collect_pids (dir, &v, err);
      pid_t first = v.n ? v.v[0] : 0;
      free (v.v);
      if (r < 0)
        return -1;
      if (first)
        return clr_fail (err, 0, "cgroup %s: already in use by pid %d", cg->path, (int) first);
    }
  return 0;
}

int
clr_cgroup_create (const char *path, const void *resources_json, struct clr_cgroup **out,
                   clr_err *err)
{
  /* Validate the resources first: a bad config must not touch the hierarchies at all. */
  cleanup_cg_res struct clr_cg_res *res = NULL;
  if (clr_cg_res_parse (resources_json, &res, err) < 0)
    return -1;
  struct clr_cg_priv *p;
  if (handle_new (path, &p, err) < 0)
    return -1;
  cleanup_cgroup struct clr_cgroup *cg = &p->pub;
  if (p->n_hier == 0)
    return clr_fail (err, 0, "cgroup %s: no cgroup hierarchy is mounted under %s", cg->path,
                     CLR_CGROUP_ROOT);
  if (check_unused (cg, err) < 0)
    return -1;

  struct strlist created = { 0 };
  for (size_t i = 0; i < p->n_hier; i++)
    if (mkdir_hier (cg, &p->hier[i], &created, err) < 0)
      goto fail;
  if (open_unified_fd (cg, true, err) < 0)
    goto fail;
  if (clr_cg_res_apply (cg, res, true, err) < 0)
    goto fail;
  strlist_clear (&created);
  *out = clr_steal_ptr (&cg);
  return 0;

fail:
  /* Undo in reverse: children before the parents this call made.  Nothing ran in them
   * yet, so rmdir succeeds; a failure here must not mask the original error. */
  if (cg->unified_fd >= 0)
    {
      close (cg->unified_fd);
      cg->unified_fd = -1;
    }
  for (size_t i = created.n; i-- > 0;)
    (void) rmdir (created.v[i]);
  strlist_clear (&created);
  return -1;
}

/* ---------------------------------------------------------------- enter */

int
clr_cgroup_enter (struct clr_cgroup *cg, pid_t pid, bool skip_unified, clr_err *err)
{
  struct clr_cg_priv *p = clr_cg_priv (cg);
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < p->n_hier; i++)
    {
      if (p->hier[i].unified && skip_unified)
        continue;
      cleanup_free char *dir = clr_cg_dir (cg, &p->hier[i]);
      int e;
      if (write_cg_file (dir, "cgroup.procs", buf, &e) < 0)
        return clr_fail (err, e, "add pid %d to cgroup %s", (int) pid, dir);
    }
  return 0;
}

/* ---------------------------------------------------------------- freezer */

enum freezer_kind
{
  FREEZER_NONE,
  FREEZER_V1,
  FREEZER_V2,
};

/* v1 freezer controller when there is one (hybrid, legacy), else cgroup2's core freezer. */
static enum freezer_kind
freezer_of (struct clr_cgroup *cg, char **dir)
{
  const struct clr_cg_hier *h = NULL;
  enum freezer_kind k = FREEZER_NONE;
  if (cg->mode != CLR_CGROUP_UNIFIED && (h = clr_cg_v1_hier (cg, "freezer")))
    k = FREEZER_V1;
  else if ((h = clr_cg_unified_hier (cg)))
    k = FREEZER_V2;
  *dir = h ? clr_cg_dir (cg, h) : NULL;
  return k;
}

static bool
v2_frozen (const char *dir)
{
  int e;
  cleanup_free char *ev = read_cg_file (dir, "cgroup.events", &e);
  if (ev == NULL)
    return false;
  for (char *l = ev; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (clr_has_prefix (l, "frozen "))
      return l[7] == '1';
  return false;
}

static int
set_frozen (struct clr_cgroup *cg, enum freezer_kind kind, const char *dir, bool frozen,
            clr_err *err)
{
  const char *what = frozen ? "freeze" : "thaw";
  int e;
  if (kind == FREEZER_NONE)
    return clr_fail (err, EOPNOTSUPP, "%s cgroup %s: no freezer", what, cg->path);
  if (!dir_exists (dir))
    return clr_fail (err, ENOENT, "%s cgroup %s", what, cg->path);

  if (kind == FREEZER_V2)
    {
      if (write_cg_file (dir, "cgroup.freeze", frozen ? "1" : "0", &e) < 0)
        return clr_fail (err, e, "%s cgroup %s: write %s/cgroup.freeze", what, cg->path, dir);
      /* the write only requests the state: wait until every task has stopped */
      for (int64_t deadline = clr_now_ms () + WAIT_MS, ms = 1;; ms = ms < 10 ? ms * 2 : 10)
        {
          if (v2_frozen (dir) == frozen)
            return 0;
          if (clr_now_ms () > deadline)
            break;
          sleep_ms ((int) ms);
        }
      if (frozen)
        (void) write_cg_file (dir, "cgroup.freeze", "0", &e);
      return clr_fail (err, ETIMEDOUT, "%s cgroup %s", what, cg->path);
    }

  /* v1: writing FROZEN may leave the cgroup in FREEZING when a task cannot be stopped
   * right now; runc's remedy is to keep re-writing and, now and then, thaw and retry. */
  const char *want = frozen ? "FROZEN" : "THAWED";
  cleanup_free char *state = NULL;
  int64_t deadline = clr_now_ms () + WAIT_MS;
  for (int i = 0;; i++)
    {
      if (frozen && i % 50 == 49)
        {
          (void) write_cg_file (dir, "freezer.state", "THAWED", &e);
          sleep_ms (10);
        }
      if (write_cg_file (dir, "freezer.state", want, &e) < 0)
        return clr_fail (err, e, "%s cgroup %s: write %s/freezer.state", what, cg->path, dir);
      free (state);
      state = read_cg_file (dir, "freezer.state", &e);
      if (state == NULL)
        return clr_fail (err, e, "%s cgroup %s: read %s/freezer.state", what, cg->path, dir);
      if (clr_has_prefix (state, want))
        return 0;
      if (clr_now_ms () > deadline)
        break;
      sleep_ms (i < 10 ? 1 : 10);
    }
  if (frozen)
    (void) write_cg_file (dir, "freezer.state", "THAWED", &e);
  state[strcspn (state, "\n")] = '\0';
  return clr_fail (err, ETIMEDOUT, "%s cgroup %s (state %s)", what, cg->path, state);
}

int
clr_cgroup_freeze (struct clr_cgroup *cg, bool frozen, clr_err *err)
{
  cleanup_free char *dir = NULL;
  enum freezer_kind k = freezer_of (cg, &dir);
  return set_frozen (cg, k, dir, frozen, err);
}

int
clr_cgroup_is_frozen (struct clr_cgroup *cg, bool *frozen, clr_err *err)
{
  cleanup_free char *dir = NULL;
  enum freezer_kind k = freezer_of (cg, &dir);
  *frozen = false;
  if (k == FREEZER_V2)
    *frozen = v2_frozen (dir);
  else if (k == FREEZER_V1)
    {
      int e;
      cleanup_free char *state = read_cg_file (dir, "freezer.state", &e);
      if (state == NULL && e != ENOENT)
        return clr_fail (err, e, "read %s/freezer.state", dir);
      /* FREEZING is not paused yet: report it as running */
      *frozen = state && clr_has_prefix (state, "FROZEN");
    }
  return 0;
}

/* ---------------------------------------------------------------- kill */

static int
signal_all (struct clr_cgroup *cg, int sig, clr_err *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (clr_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return clr_fail (err, errno, "kill pid %d of cgroup %s", (int) pids[i], cg->path);
  return 0;
}

int
clr_cgroup_kill (struct clr_cgroup *cg, int sig, clr_err *err)
{
  if (sig != SIGKILL)
    return signal_all (cg, sig, err);

  /* cgroup.kill (5.14+) kills the whole subtree at once, forks included.  On hybrid it
   * covers what entered the unified hierarchy; the v1 pass below catches the rest. */
  const struct clr_cg_hier *u = clr_cg_unified_hier (cg);
  if (u)
    {
      cleanup_free char *dir = clr_cg_dir (cg, u);
      int e;
      if (write_cg_file (dir, "cgroup.kill", "1", &e) == 0)
        {
          if (cg->mode == CLR_CGROUP_UNIFIED)
            return 0;
        }
      else if (e == ENOENT && cg->mode == CLR_CGROUP_UNIFIED && !dir_exists (dir))
        return 0;
      else if (e != ENOENT && cg->mode == CLR_CGROUP_UNIFIED)
        return clr_fail (err, e, "write %s/cgroup.kill", dir);
    }

  /* Without cgroup.kill, freeze first so nothing forks (or exits, freeing its pid for
   * reuse) between reading the pids and signalling them; the kill lands at thaw. */
  cleanup_free char *fdir = NULL;
  enum freezer_kind k = freezer_of (cg, &fdir);
  if (k != FREEZER_NONE && dir_exists (fdir))
    {
      clr_err ferr;
      /* a freeze that times out still leaves most tasks stopped: kill anyway */
      (void) set_frozen (cg, k, fdir, true, &ferr);
    }
  int r = signal_all (cg, SIGKILL, err);
  if (k != FREEZER_NONE && dir_exists (fdir))
    {
      clr_err terr;
      if (set_frozen (cg, k, fdir, false, r < 0 ? &terr : err) < 0 && r == 0)
        r = -1;
    }
  return r;
}

/* ---------------------------------------------------------------- destroy */

/* rmdir DIR and every cgroup below it (a container with its own cgroup namespace may
 * have made some).  EBUSY means tasks are still leaving: retry until DEADLINE. */
static int
rmdir_tree (const char *dir, int64_t deadline, int depth, clr_err *err)
{
  for (int ms = 1;; ms = ms < 20 ? ms * 2 : 20)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      int e = errno;
      if (e != EBUSY && e != ENOTEMPTY)
        return clr_fail (err, e, "rmdir %s", dir);
      if (depth < MAX_DEPTH)
        {
          DIR *d = opendir (dir);
          if (d)
            {
              struct dirent *de;
              int ret = 0;
              while ((de = readdir (d)))
                {
                  if (de->d_type != DT_DIR || !strcmp (de->d_name, ".")
                      || !strcmp (de->d_name, ".."))
                    continue;
                  cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
                  if (rmdir_tree (sub, deadline, depth + 1, err) < 0)
                    {
                      ret = -1;
                      break;
                    }
                }
              closedir (d);
              if (ret < 0)
                return -1;
            }
        }
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      e = errno;
      if ((e != EBUSY && e != ENOTEMPTY) || clr_now_ms () > deadline)
        return clr_fail (err, e, "rmdir %s", dir);
      sleep_ms (ms);
    }
}

int
clr_cgroup_destroy (struct clr_cgroup *cg, clr_err *err)
{
  struct clr_cg_priv *p = clr_cg_priv (cg);
  int64_t deadline = clr_now_ms () + WAIT_MS;

  clr_err kerr;
  (void) clr_cgroup_kill (cg, SIGKILL, &kerr);
  for (int i = 0, ms = 1;; i++, ms = ms < 10 ? ms * 2 : 10)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;
      if (clr_cgroup_pids (cg, &pids, &n, &kerr) < 0 || n == 0 || clr_now_ms () > deadline)
        break;
      /* something slipped past the first kill (a fork racing it): kill again */
      if (i % 20 == 19)
        (void) clr_cgroup_kill (cg, SIGKILL, &kerr);
      sleep_ms (ms);
    }

  /* Leave at least a moment for rmdir retries even when the wait used up the budget. */
  int64_t rm_deadline = deadline > clr_now_ms () + 500 ? deadline : clr_now_ms () + 500;
  int ret = 0;
  for (size_t i = 0; i < p->n_hier; i++)
    {
      cleanup_free char *dir = clr_cg_dir (cg, &p->hier[i]);
      if (rmdir_tree (dir, rm_deadline, 0, ret < 0 ? &kerr : err) < 0)
        ret = -1;
    }

  /* We own /clawrun/...: take empty parents away up to /clawrun itself.  A parent still
   * holding another container (ENOTEMPTY/EBUSY) stops the climb. */
  if (ret == 0 && clr_has_prefix (cg->path, CLAWRUN_PREFIX))
    for (size_t i = 0; i < p->n_hier; i++)
      {
        cleanup_free char *dir = clr_cg_dir (cg, &p->hier[i]);
        size_t stop = strlen (p->hier[i].mount) + sizeof CLAWRUN_PREFIX - 2; /* ".../clawrun" */
        char *slash;
        while ((slash = strrchr (dir, '/')) && (size_t) (slash - dir) >= stop)
          {
            *slash = '\0';
            if (rmdir (dir) == 0 || errno == ENOENT)
              continue;
            if (errno != ENOTEMPTY && errno != EBUSY && errno != EEXIST)
              {
                if (ret == 0)
                  clr_fail (err, errno, "rmdir %s", dir);
                ret = -1;
              }
            break;
          }
      }

  if (ret == 0 && cg->unified_fd >= 0)
    {
      close (cg->unified_fd);
      cg->unified_fd = -1;
    }
  return ret;
}
