/* Unit tests for rootfs/image.c: directory images, OCI layouts built by
 * scripts/mkimage-oci (tags, nested index, gzip/zstd, layer extraction, whiteouts in
 * overlay form, the layer cache and its races), verification errors, hostile layers.
 *
 * Everything lives in a mkdtemp() directory, each test with its own cache dir.  The
 * overlay checks mount only inside a forked child that unshared its mount namespace and
 * made / rprivate first, so nothing is ever mounted in the host namespace; the child
 * reports "1 text" / "0 text" / "S why\ttext" lines over a pipe.  Needs root (mknod,
 * chown, trusted.* xattrs, overlay); skipped otherwise. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "rootfs/image.h"
#include "runtime/util.h"
#include "tap.h"

static char base[PATH_MAX - 512], script[PATH_MAX + 32];
static bool have_zstd;

/* ------------------------------------------------------------------ helpers */

static void __attribute__ ((format (printf, 1, 2))) diag (const char *fmt, ...)
{
  va_list ap;
  printf ("# ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
}

static char *__attribute__ ((format (printf, 1, 2))) pathf (const char *fmt, ...)
{
  char *s;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

static int __attribute__ ((format (printf, 1, 2))) sh (const char *fmt, ...)
{
  char cmd[8192];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (cmd, sizeof cmd, fmt, ap);
  va_end (ap);
  fflush (stdout);
  int r = system (cmd);
  return WIFEXITED (r) ? WEXITSTATUS (r) : -1;
}

/* Build base/NAME with scripts/mkimage-oci; returns the layout path. */
static char *
mkimage (const char *name, const char *opts)
{
  char *p = pathf ("%s/%s", base, name);
  if (sh ("%s %s %s >/dev/null", script, p, opts) != 0)
    diag ("mkimage-oci %s %s failed", p, opts);
  return p;
}

/* First line of `jq -r FILTER FILE`. */
static char *
jq (const char *file, const char *filter)
{
  char cmd[PATH_MAX + 256], line[512] = "";
  snprintf (cmd, sizeof cmd, "jq -r '%s' '%s'", filter, file);
  FILE *f = popen (cmd, "r");
  if (f == NULL)
    return xstrdup ("");
  if (fgets (line, sizeof line, f) == NULL)
    line[0] = '\0';
  pclose (f);
  line[strcspn (line, "\n")] = '\0';
  return xstrdup (line);
}

static char *
manifest_hex (const char *layout)
{
  cleanup_free char *index = pathf ("%s/index.json", layout);
  cleanup_free char *d = jq (index, ".manifests[0].digest");
  return xstrdup (strchr (d, ':') ? strchr (d, ':') + 1 : d);
}

/* hex of layer I of the manifest tagged first in the index (not for --nested) */
static char *
layer_hex (const char *layout, int i)
{
  cleanup_free char *m = manifest_hex (layout);
  cleanup_free char *mf = pathf ("%s/blobs/sha256/%s", layout, m);
  char filter[64];
  snprintf (filter, sizeof filter, ".layers[%d].digest", i);
  cleanup_free char *d = jq (mf, filter);
  return xstrdup (strchr (d, ':') ? strchr (d, ':') + 1 : d);
}

static bool
exists (const char *p)
{
  struct stat st;
  return lstat (p, &st) == 0;
}

static int
count_tmp (const char *cache)
{
  DIR *d = opendir (cache);
  int n = 0;
  if (d == NULL)
    return 0;
  struct dirent *de;
  while ((de = readdir (d)))
    if (clr_has_prefix (de->d_name, ".tmp-"))
      n++;
  closedir (d);
  return n;
}

static bool
strv_eq (char **v, const char *const *want)
{
  size_t i = 0;
  if (v == NULL)
    return want == NULL;
  if (want == NULL)
    return false;
  for (; v[i] && want[i]; i++)
    if (strcmp (v[i], want[i]) != 0)
      return false;
  return v[i] == NULL && want[i] == NULL;
}

static bool
has_xattr (const char *path, const char *name, const char *want)
{
  char buf[256];
  ssize_t n = lgetxattr (path, name, buf, sizeof buf - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return want == NULL || strcmp (buf, want) == 0;
}

static bool
is_whiteout (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0);
}

/* Open IMAGE expecting an error; true when the message is exactly WANT (or, with
 * PREFIX_ONLY, starts with it). */
static bool
open_fails (const char *image, const char *cache, const char *want, bool prefix_only, clr_err *err)
{
  struct clr_image *img = (struct clr_image *) 1;
  memset (err, 0, sizeof *err);
  int r = clr_image_open (image, cache, &img, err);
  if (r >= 0)
    {
      diag ("%s: opened, expected an error", image);
      clr_image_free (img);
      return false;
    }
  if (img != NULL)
    {
      diag ("%s: *out not NULL on error", image);
      return false;
    }
  bool ok = prefix_only ? clr_has_prefix (err->msg, want) : strcmp (err->msg, want) == 0;
  if (!ok)
    diag ("got:  %s\n# want: %s%s", err->msg, want, prefix_only ? "..." : "");
  return ok;
}

/* ------------------------------------------------------------------ overlay in a private mount ns
 */

static void __attribute__ ((format (printf, 3, 4))) report (int fd, int ok, const char *fmt, ...)
{
  char buf[1024];
  int n = snprintf (buf, sizeof buf, "%d ", ok);
  va_list ap;
  va_start (ap, fmt);
  n += vsnprintf (buf + n, sizeof buf - (size_t) n - 2, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 2)
    n = (int) sizeof buf - 2;
  buf[n++] = '\n';
  (void) !write (fd, buf, (size_t) n);
}

static char *
slurp (const char *path)
{
  char *s = NULL;
  size_t len;
  clr_err err;
  if (clr_read_file (path, 1 << 20, &s, &len, &err) < 0)
    return xstrdup ("");
  return s;
}

static void
checks_basic (int fd, const char *m)
{
  char p[PATH_MAX];
  snprintf (p, sizeof p, "%s/etc/deleteme", m);
  report (fd, !exists (p) && errno == ENOENT, "overlay: /etc/deleteme is gone (whiteout)");
  snprintf (p, sizeof p, "%s/etc/layer2", m);
  report (fd, exists (p), "overlay: /etc/layer2 from layer 2");
  snprintf (p, sizeof p, "%s/etc/passwd", m);
  cleanup_free char *pw = slurp (p);
  report (fd, strstr (pw, "user:x:1000:1000") != NULL, "overlay: /etc/passwd from layer 1");
  snprintf (p, sizeof p, "%s/bin/busybox", m);
  report (fd, access (p, X_OK) == 0, "overlay: /bin/busybox executable");
  snprintf (p, sizeof p, "%s/opq", m);
  DIR *d = opendir (p);
  char names[512] = "";
  if (d)
    {
      struct dirent *de;
      while ((de = readdir (d)))
        if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
          {
            strncat (names, de->d_name, sizeof names - strlen (names) - 2);
            strcat (names, " ");
          }
      closedir (d);
    }
  report (fd, strcmp (names, "new ") == 0,
          "overlay: opaque /opq shows only layer 2's file (got: %s)", names);
}

static void
checks_extras (int fd, const char *m)
{
  char p[PATH_MAX];
  snprintf (p, sizeof p, "%s/root", m);
  report (fd, !exists (p), "overlay: /root whited out by layer 3's .wh.root");
  snprintf (p, sizeof p, "%s/x/gone", m);
  report (fd, !exists (p), "overlay: a 0:0 char device from the tar acts as a whiteout");
  snprintf (p, sizeof p, "%s/dup", m);
  cleanup_free char *dup = slurp (p);
  report (fd, strcmp (dup, "second\n") == 0, "overlay: /dup has the later entry's content");
  snprintf (p, sizeof p, "%s/etc/layer2", m);
  report (fd, exists (p), "overlay: three layers stacked");
}

static void
in_mountns (const char *what, const char *lowerdir, void (*checks) (int, const char *))
{
  cleanup_free char *mnt = pathf ("%s/mnt", base);
  mkdir (mnt, 0755);
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    abort ();
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      char opts[8192];
      snprintf (opts, sizeof opts, "lowerdir=%s", lowerdir);
      if (unshare (CLONE_NEWNS) < 0)
        dprintf (p[1], "S unshare(CLONE_NEWNS): %s\t%s\n", strerror (errno), what);
      else if (mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        dprintf (p[1], "S make / rprivate: %s\t%s\n", strerror (errno), what);
      else if (mount ("overlay", mnt, "overlay", MS_RDONLY, opts) < 0)
        dprintf (p[1], "S overlay mount: %s\t%s\n", strerror (errno), what);
      else
        checks (p[1], mnt);
      _exit (0);
    }
  close (p[1]);
  FILE *f = fdopen (p[0], "r");
  char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) > 0)
    {
      line[strcspn (line, "\n")] = '\0';
      if (line[0] == 'S')
        {
          char *tab = strchr (line, '\t');
          if (tab)
            *tab++ = '\0';
          TAP_SKIP (line + 2, "%s", tab ? tab : what);
        }
      else
        TAP_OK (line[0] == '1', "%s", line + 2);
    }
  free (line);
  fclose (f);
  int st;
  waitpid (pid, &st, 0);
}

/* ------------------------------------------------------------------ tests */

static void
test_dir_image (void)
{
  cleanup_free char *dir = pathf ("%s/rootdir", base);
  mkdir (dir, 0755);
  cleanup_free char *real = realpath (dir, NULL);
  struct clr_image *img = NULL;
  clr_err err;
  int r = clr_image_open (dir, NULL, &img, &err);
  TAP_OK (r == 0 && img && img->n_layers == 1 && strcmp (img->layers[0], real) == 0,
          "directory image: one layer, the directory");
  TAP_OK (img && img->manifest_digest == NULL && img->env && img->env[0] == NULL && !img->entrypoint
              && !img->cmd && !img->working_dir && !img->user,
          "directory image: no config (env empty, the rest NULL)");
  clr_image_free (img);

  /* relative */
  cleanup_close int cwd = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  img = NULL;
  r = -1;
  if (chdir (base) == 0)
    {
      r = clr_image_open ("rootdir", NULL, &img, &err);
      (void) !fchdir (cwd);
    }
  TAP_OK (r == 0 && img && strcmp (img->layers[0], real) == 0,
          "directory image: relative path -> realpath");
  clr_image_free (img);

  cleanup_free char *nodir = pathf ("%s/no-such-dir", base);
  cleanup_free char *want = pathf ("image %s: ENOENT (no such file or directory)", nodir);
  TAP_OK (open_fails (nodir, NULL, want, false, &err), "directory image: missing directory");
  cleanup_free char *file = pathf ("%s/afile", base);
  sh ("echo x > %s", file);
  cleanup_free char *want2 = pathf ("image %s: not a directory (and not oci:PATH[:TAG])", file);
  TAP_OK (open_fails (file, NULL, want2, false, &err),
          "directory image: a regular file is refused");
  TAP_OK (open_fails ("", NULL, "empty image name", false, &err), "empty image name");
}

static void
test_basic (const char *img_path)
{
  cleanup_free char *cache = pathf ("%s/cache-basic", base);
  cleanup_free char *ref = pathf ("oci:%s", img_path);
  cleanup_free char *l1 = layer_hex (img_path, 0), *l2 = layer_hex (img_path, 1);
  cleanup_free char *mh = manifest_hex (img_path);
  cleanup_free char *d1 = pathf ("%s/sha256/%s", cache, l1),
                    *d2 = pathf ("%s/sha256/%s", cache, l2);
  struct clr_image *img = NULL;
  clr_err err = { 0 };

  int64_t t0 = clr_now_ms ();
  int r = clr_image_open (ref, cache, &img, &err);
  int64_t cold = clr_now_ms () - t0;
  TAP_OK (r == 0, "oci layout opens (%s)", r == 0 ? "ok" : err.msg);
  if (r < 0)
    return;
  diag ("cold open (2 layers extracted): %lld ms", (long long) cold);
  TAP_OK (img->n_layers == 2 && strcmp (img->layers[0], d1) == 0
              && strcmp (img->layers[1], d2) == 0,
          "two layers, lowest first, at CACHE/sha256/<hex>");
  cleanup_free char *md = pathf ("sha256:%s", mh);
  TAP_OK (img->manifest_digest && strcmp (img->manifest_digest, md) == 0, "manifest digest");
  static const char *const env[] = { "PATH=/bin", "FOO=bar", NULL }, *const cmd[] = { "sh", NULL };
  TAP_OK (strv_eq (img->env, env), "config Env");
  TAP_OK (img->entrypoint == NULL, "config Entrypoint null -> NULL");
  TAP_OK (strv_eq (img->cmd, cmd), "config Cmd");
  TAP_OK (img->working_dir && strcmp (img->working_dir, "/") == 0, "config WorkingDir");
  TAP_OK (img->user && strcmp (img->user, "1000") == 0, "config User");
  clr_image_free (img);

  struct stat st;
  TAP_OK (stat (cache, &st) == 0 && (st.st_mode & 07777) == 0700, "cache dir created 0700");
  TAP_OK (stat (d1, &st) == 0 && (st.st_mode & 07777) == 0755, "layer root 0755");
  TAP_OK (count_tmp (cache) == 0, "no temp dirs left");

  /* layer 1 */
  cleanup_free char *bb = pathf ("%s/bin/busybox", d1), *shp = pathf ("%s/bin/sh", d1);
  char lnk[64] = "";
  ssize_t ln = readlink (shp, lnk, sizeof lnk - 1);
  if (ln > 0)
    lnk[ln] = '\0';
  TAP_OK (stat (bb, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 07777) == 0755
              && st.st_size > 100000,
          "layer 1: bin/busybox");
  TAP_OK (strcmp (lnk, "busybox") == 0, "layer 1: bin/sh -> busybox (symlink kept as is)");
  cleanup_free char *pw = pathf ("%s/etc/passwd", d1);
  cleanup_free char *pwc = slurp (pw);
  TAP_OK (strstr (pwc, "user:x:1000:1000:") != NULL, "layer 1: etc/passwd has user 1000");
  cleanup_free char *home = pathf ("%s/home/user", d1);
  TAP_OK (stat (home, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000,
          "layer 1: owners kept (home/user 1000:1000)");
  cleanup_free char *suid = pathf ("%s/bin/suid-test", d1);
  TAP_OK (stat (suid, &st) == 0 && (st.st_mode & 07777) == 04755, "layer 1: setuid bit kept");
  cleanup_free char *tmpd = pathf ("%s/tmp", d1);
  TAP_OK (stat (tmpd, &st) == 0 && (st.st_mode & 07777) == 01777, "layer 1: sticky tmp 1777");
  TAP_OK (stat (pw, &st) == 0 && st.st_mtime == 1700000000, "layer 1: mtimes kept");
  cleanup_free char *opq1 = pathf ("%s/opq", d1);
  TAP_OK (stat (opq1, &st) == 0 && st.st_mtime == 1700000000, "layer 1: directory mtimes kept");

  /* layer 2 */
  cleanup_free char *wh = pathf ("%s/etc/deleteme", d2), *whf = pathf ("%s/etc/.wh.deleteme", d2);
  TAP_OK (is_whiteout (wh), "layer 2: .wh.deleteme -> 0:0 char device etc/deleteme");
  TAP_OK (!exists (whf), "layer 2: no .wh.deleteme file left");
  cleanup_free char *opq2 = pathf ("%s/opq", d2), *opqm = pathf ("%s/opq/.wh..wh..opq", d2);
  TAP_OK (has_xattr (opq2, "trusted.overlay.opaque", "y"),
          "layer 2: opq has trusted.overlay.opaque=y");
  TAP_OK (!has_xattr (opq1, "trusted.overlay.opaque", NULL), "layer 1: opq not opaque");
  TAP_OK (!exists (opqm), "layer 2: no .wh..wh..opq file left");
  cleanup_free char *nw = pathf ("%s/opq/new", d2), *l2f = pathf ("%s/etc/layer2", d2);
  TAP_OK (exists (nw) && exists (l2f), "layer 2: opq/new and etc/layer2");

  /* overlay, in a private mount namespace */
  cleanup_free char *lower = pathf ("%s:%s", d2, d1);
  in_mountns ("overlay of the two layers", lower, checks_basic);

  /* warm open: a cache hit */
  struct stat s1a, s2a, s1b, s2b;
  stat (d1, &s1a);
  stat (d2, &s2a);
  img = NULL;
  t0 = clr_now_ms ();
  r = clr_image_open (ref, cache, &img, &err);
  int64_t warm = clr_now_ms () - t0;
  stat (d1, &s1b);
  stat (d2, &s2b);
  TAP_OK (r == 0 && img->n_layers == 2, "second open succeeds");
  TAP_OK (s1a.st_ino == s1b.st_ino && s2a.st_ino == s2b.st_ino && s1a.st_ctime == s1b.st_ctime
              && s2a.st_ctim.tv_nsec == s2b.st_ctim.tv_nsec,
          "second open is a cache hit (layer dirs untouched)");
  TAP_OK (warm < 2000, "warm open is fast (%lld ms, cold %lld ms)", (long long) warm,
          (long long) cold);
  clr_image_free (img);

  /* A warm open does not even read the layer blobs: hide them and open again. */
  sh ("mv %s/blobs/sha256/%s %s/l1.aside && mv %s/blobs/sha256/%s %s/l2.aside", img_path, l1, base,
      img_path, l2, base);
  img = NULL;
  r = clr_image_open (ref, cache, &img, &err);
  TAP_OK (r == 0, "warm open does not read cached layer blobs (%s)", r == 0 ? "ok" : err.msg);
  clr_image_free (img);
  sh ("mv %s/l1.aside %s/blobs/sha256/%s && mv %s/l2.aside %s/blobs/sha256/%s", base, img_path, l1,
      base, img_path, l2);

  /* the cache dir must be private */
  chmod (cache, 0770);
  cleanup_free char *want = pathf (
      "%s:latest: layer cache %s: must be owned by uid %u and not writable by group or others", ref,
      cache, (unsigned) geteuid ());
  TAP_OK (open_fails (ref, cache, want, false, &err), "a group-writable cache dir is refused");
  chmod (cache, 0700);
}

static void
test_concurrent (const char *img_path)
{
  cleanup_free char *cache = pathf ("%s/cache-conc", base);
  cleanup_free char *ref = pathf ("oci:%s", img_path);
  /* Results come back over a pipe, not as exit codes: under valgrind a child's exit
   * code reports the parent's memory it inherited. */
  int go[2], res[2];
  if (pipe (go) < 0 || pipe (res) < 0)
    abort ();
  enum
  {
    N = 4
  };
  pid_t pids[N];
  fflush (stdout);
  for (int i = 0; i < N; i++)
    {
      pids[i] = fork ();
      if (pids[i] == 0)
        {
          char c;
          close (go[1]);
          close (res[0]);
          (void) !read (go[0], &c, 1); /* all start together */
          struct clr_image *img = NULL;
          clr_err err;
          int r = clr_image_open (ref, cache, &img, &err);
          if (r < 0)
            fprintf (stderr, "# child: %s\n", err.msg);
          clr_image_free (img);
          (void) !write (res[1], r == 0 ? "1" : "0", 1);
          _exit (0);
        }
    }
  close (go[0]);
  close (go[1]);
  close (res[1]);
  int ok = 0;
  char c;
  while (read (res[0], &c, 1) == 1)
    ok += c == '1';
  close (res[0]);
  for (int i = 0; i < N; i++)
    waitpid (pids[i], NULL, 0);
  TAP_OK (ok == N, "%d concurrent cold opens of one image all succeed (%d ok)", N, ok);
  cleanup_free char *l1 = layer_hex (img_path, 0), *l2 = layer_hex (img_path, 1);
  cleanup_free char *d1 = pathf ("%s/sha256/%s/bin/busybox", cache, l1),
                    *d2 = pathf ("%s/sha256/%s/etc/layer2", cache, l2);
  TAP_OK (exists (d1) && exists (d2) && count_tmp (cache) == 0,
          "one copy of each layer, no temp dirs left");

  /* A temp dir left by a crashed extraction with our pid is not in the way. */
  cleanup_free char *cache2 = pathf ("%s/cache-leftover", base);
  sh ("mkdir -m 700 %s && mkdir %s/.tmp-%s-%d && touch %s/.tmp-%s-%d/half", cache2, cache2, l1,
      (int) getpid (), cache2, l1, (int) getpid ());
  struct clr_image *img = NULL;
  clr_err err;
  int r = clr_image_open (ref, cache2, &img, &err);
  TAP_OK (r == 0 && count_tmp (cache2) == 0, "a leftover temp dir of this pid is replaced (%s)",
          r == 0 ? "ok" : err.msg);
  clr_image_free (img);
}

static void
test_corrupt (void)
{
  cleanup_free char *p = mkimage ("corrupt", "--corrupt-layer");
  cleanup_free char *cache = pathf ("%s/cache-corrupt", base);
  cleanup_free char *l1 = layer_hex (p, 0), *l2 = layer_hex (p, 1);
  cleanup_free char *want
      = pathf ("oci:%s:latest: layer sha256:%s: digest mismatch (got sha256:", p, l2);
  cleanup_free char *ref = pathf ("oci:%s", p);
  clr_err err;
  TAP_OK (open_fails (ref, cache, want, true, &err),
          "corrupt layer: digest mismatch, naming image and blob");
  const char *got = strstr (err.msg, "(got sha256:");
  TAP_OK (got && strlen (got) == strlen ("(got sha256:)") + 64 && strncmp (got + 12, l2, 64) != 0,
          "the message carries the actual digest");
  cleanup_free char *d1 = pathf ("%s/sha256/%s", cache, l1),
                    *d2 = pathf ("%s/sha256/%s", cache, l2);
  TAP_OK (exists (d1), "the verified layer 1 stays cached");
  TAP_OK (!exists (d2) && count_tmp (cache) == 0,
          "nothing of the corrupt layer is left in the cache");
}

static void
test_evil (void)
{
  static const char *const kinds[] = { "dotdot", "abs", "symlink-out", "hardlink-out", "device" };
  cleanup_free char *cache = pathf ("%s/cache-evil", base);
  for (size_t k = 0; k < CLR_ARRAY_SIZE (kinds); k++)
    {
      const char *kind = kinds[k];
      cleanup_free char *canary = pathf ("%s/canary-%s", base, kind);
      if (strcmp (kind, "hardlink-out") == 0)
        sh ("echo host file > %s", canary);
      char opts[PATH_MAX + 64], name[64];
      snprintf (opts, sizeof opts, "--evil %s --canary %s", kind, canary);
      snprintf (name, sizeof name, "evil-%s", kind);
      cleanup_free char *p = mkimage (name, opts);
      cleanup_free char *ref = pathf ("oci:%s", p);
      cleanup_free char *l3 = layer_hex (p, 2);
      char up[PATH_MAX];
      up[0] = '\0';
      for (int i = 0; i < 32; i++)
        strcat (up, "../");
      strcat (up, canary + 1);
      cleanup_free char *what = NULL;
      if (strcmp (kind, "dotdot") == 0)
        what = pathf ("entry \"%s\": path escapes the layer", up);
      else if (strcmp (kind, "abs") == 0)
        what = pathf ("entry \"%s\": absolute path not allowed", canary);
      else if (strcmp (kind, "symlink-out") == 0)
        what = pathf ("entry \"escape/canary-%s\": path goes through symlink \"escape\"", kind);
      else if (strcmp (kind, "hardlink-out") == 0)
        what = pathf ("entry \"evil-link\": hardlink target \"%s\" escapes the layer", up);
      else
        what = pathf ("device node dev/sda not allowed");
      cleanup_free char *want = pathf ("oci:%s:latest: layer sha256:%s: %s", p, l3, what);
      clr_err err;
      TAP_OK (open_fails (ref, cache, want, false, &err), "hostile layer (%s) refused: %s", kind,
              what);

      struct stat st;
      bool canary_ok = strcmp (kind, "hardlink-out") == 0
                           ? stat (canary, &st) == 0 && st.st_nlink == 1
                           : !exists (canary);
      cleanup_free char *d3 = pathf ("%s/sha256/%s", cache, l3);
      cleanup_free char *l1 = layer_hex (p, 0);
      cleanup_free char *d1 = pathf ("%s/sha256/%s", cache, l1);
      TAP_OK (
          canary_ok && !exists (d3) && count_tmp (cache) == 0 && exists (d1),
          "hostile layer (%s): nothing written outside, nothing of it cached, earlier layers kept",
          kind);
    }
}

static void
test_tags_and_formats (const char *basic)
{
  cleanup_free char *cache = pathf ("%s/cache-tags", base);
  clr_err err;
  struct clr_image *img = NULL;

  cleanup_free char *v2 = pathf ("oci:%s:v2", basic);
  cleanup_free char *want = pathf ("oci:%s: no manifest tagged \"v2\"", basic);
  TAP_OK (open_fails (v2, cache, want, false, &err), "missing tag");

  cleanup_free char *p = mkimage ("tagged", "--tag v1");
  cleanup_free char *r1 = pathf ("oci:%s:v1", p), *r0 = pathf ("oci:%s", p);
  int r = clr_image_open (r1, cache, &img, &err);
  TAP_OK (r == 0 && img->n_layers == 2, "oci:PATH:v1 picks the manifest tagged v1 (%s)",
          r ? err.msg : "ok");
  clr_image_free (img);
  img = NULL;
  r = clr_image_open (r0, cache, &img, &err);
  TAP_OK (r == 0, "oci:PATH with one manifest (tagged v1) uses it (%s)", r ? err.msg : "ok");
  clr_image_free (img);
  cleanup_free char *latest = pathf ("oci:%s:latest", p);
  cleanup_free char *want_l = pathf ("oci:%s: no manifest tagged \"latest\"", p);
  TAP_OK (open_fails (latest, cache, want_l, false, &err),
          "an explicit tag must match, even with one manifest");

  /* a second manifest, zstd layers, in the same layout */
  cleanup_free char *p2 = mkimage ("tagged", have_zstd ? "--tag v2 --compress zstd" : "--tag v2");
  TAP_OK (open_fails (r0, cache, want_l, false, &err),
          "two manifests, no tag: needs one tagged latest");
  cleanup_free char *rz = pathf ("oci:%s:v2", p);
  img = NULL;
  r = clr_image_open (rz, cache, &img, &err);
  cleanup_free char *busy
      = img && img->n_layers == 2 ? pathf ("%s/bin/busybox", img->layers[0]) : xstrdup ("");
  cleanup_free char *opq
      = img && img->n_layers == 2 ? pathf ("%s/opq", img->layers[1]) : xstrdup ("");
  if (have_zstd)
    TAP_OK (r == 0 && exists (busy) && has_xattr (opq, "trusted.overlay.opaque", "y"),
            "tar+zstd layers extract (%s)", r ? err.msg : "ok");
  else
    TAP_SKIP ("zstd not installed", "tar+zstd layers extract");
  clr_image_free (img);

  cleanup_free char *pn = mkimage ("plain", "--compress none");
  cleanup_free char *rn = pathf ("oci:%s", pn);
  img = NULL;
  r = clr_image_open (rn, cache, &img, &err);
  TAP_OK (r == 0 && img->n_layers == 2, "uncompressed tar layers extract (%s)", r ? err.msg : "ok");
  clr_image_free (img);

  /* nested index: linux/<host arch> is chosen, the decoy's missing blob is never read */
  cleanup_free char *pnest = mkimage ("nested", "--nested");
  cleanup_free char *rnest = pathf ("oci:%s", pnest);
  cleanup_free char *nested_hex = manifest_hex (pnest);
  cleanup_free char *nested_idx = pathf ("%s/blobs/sha256/%s", pnest, nested_hex);
  cleanup_free char *inner = jq (nested_idx, ".manifests[1].digest");
  img = NULL;
  r = clr_image_open (rnest, cache, &img, &err);
  TAP_OK (r == 0 && img->n_layers == 2 && strcmp (img->manifest_digest, inner) == 0,
          "nested image index: the host platform's manifest (%s)", r ? err.msg : "ok");
  clr_image_free (img);
}

static void
test_bad_layouts (const char *basic)
{
  cleanup_free char *cache = pathf ("%s/cache-bad", base);
  clr_err err;
  cleanup_free char *p = mkimage ("bad", "");
  cleanup_free char *ref = pathf ("oci:%s", p);
  cleanup_free char *index = pathf ("%s/index.json", p), *saved = pathf ("%s/index.saved", base);
  sh ("cp %s %s", index, saved);

  sh ("printf '{ \"schemaVersion\": 2, \"manifests\": [ oops' > %s", index);
  cleanup_free char *want = pathf ("oci:%s: index.json: invalid JSON: ", p);
  TAP_OK (open_fails (ref, cache, want, true, &err), "bad index.json: %s", err.msg);
  TAP_OK (strchr (err.msg, '\n') == NULL, "the JSON error is one line");

  sh ("python3 -c 'print(\"[\" * 100000 + \"]\" * 100000)' > %s", index);
  cleanup_free char *want_d
      = pathf ("oci:%s: index.json: invalid JSON: nested deeper than 64 levels", p);
  TAP_OK (open_fails (ref, cache, want_d, false, &err),
          "deeply nested index.json is refused before yajl");

  sh ("python3 -c 'print(\"/*\\\"*/\" + \"[\" * 100000 + \"]\" * 100000)' > %s", index);
  TAP_OK (open_fails (ref, cache, want_d, false, &err),
          "a quote in a comment does not hide the nesting");

  sh ("jq '.manifests[0].digest = \"sha256:../../../../etc/passwd\"' %s > %s", saved, index);
  cleanup_free char *want_g = pathf ("oci:%s: index.json: manifests[0]: invalid or unsupported "
                                     "digest \"sha256:../../../../etc/passwd\"",
                                     p);
  TAP_OK (open_fails (ref, cache, want_g, false, &err), "a digest that is a path is refused");

  sh ("jq '.manifests[0].size = 10' %s > %s", saved, index);
  cleanup_free char *mh = manifest_hex (p);
  cleanup_free char *want_s
      = pathf ("oci:%s:latest: manifest sha256:%s: size mismatch (blob has ", p, mh);
  TAP_OK (open_fails (ref, cache, want_s, true, &err), "manifest size mismatch");
  sh ("cp %s %s", saved, index);

  /* same size, different content: the manifest is verified before it is parsed */
  cleanup_free char *mblob = pathf ("%s/blobs/sha256/%s", p, mh);
  sh ("cp %s %s/m.saved && sed -i 's/\"schemaVersion\":2/\"schemaVersion\":3/' %s", mblob, base,
      mblob);
  cleanup_free char *want_m
      = pathf ("oci:%s:latest: manifest sha256:%s: digest mismatch (got sha256:", p, mh);
  TAP_OK (open_fails (ref, cache, want_m, true, &err), "tampered manifest: digest mismatch");
  sh ("cp %s/m.saved %s", base, mblob);

  cleanup_free char *layout = pathf ("%s/oci-layout", p);
  sh ("echo '{\"imageLayoutVersion\":\"2.0.0\"}' > %s", layout);
  cleanup_free char *want_v
      = pathf ("oci:%s: oci-layout: unsupported imageLayoutVersion \"2.0.0\"", p);
  TAP_OK (open_fails (ref, cache, want_v, false, &err), "unsupported imageLayoutVersion");
  unlink (layout);
  cleanup_free char *want_n
      = pathf ("oci:%s: open oci-layout: ENOENT (no such file or directory)", p);
  TAP_OK (open_fails (ref, cache, want_n, false, &err), "missing oci-layout");

  cleanup_free char *nolayout = pathf ("oci:%s/none", base);
  cleanup_free char *want_x = pathf ("oci:%s/none: ENOENT (no such file or directory)", base);
  TAP_OK (open_fails (nolayout, cache, want_x, false, &err), "missing layout dir");
  TAP_OK (open_fails ("oci:", cache, "oci:: no layout path", false, &err), "oci: without a path");
  cleanup_free char *empty_tag = pathf ("oci:%s:", basic);
  cleanup_free char *want_t = pathf ("oci:%s:: empty tag", basic);
  TAP_OK (open_fails (empty_tag, cache, want_t, false, &err), "oci:PATH: with an empty tag");
  TAP_OK (!exists (cache), "failed opens before any layer did not create the cache");
}

static void
test_extras (void)
{
  cleanup_free char *p = mkimage ("extras", "--extras");
  cleanup_free char *ref = pathf ("oci:%s", p);
  cleanup_free char *cache = pathf ("%s/cache-extras", base);
  struct clr_image *img = NULL;
  clr_err err;
  int r = clr_image_open (ref, cache, &img, &err);
  TAP_OK (r == 0 && img->n_layers == 3, "extras image opens (%s)", r ? err.msg : "ok");
  if (r < 0)
    return;
  const char *d = img->layers[2];
  struct stat a, b;
  cleanup_free char *file = pathf ("%s/x/file", d), *hard = pathf ("%s/x/hard", d);
  TAP_OK (stat (file, &a) == 0 && stat (hard, &b) == 0 && a.st_ino == b.st_ino && a.st_nlink == 2,
          "hardlink inside the layer");
  TAP_OK (a.st_uid == 1000 && (a.st_mode & 07777) == 0640, "hardlinked file keeps owner and mode");
  cleanup_free char *fifo = pathf ("%s/x/fifo", d);
  TAP_OK (lstat (fifo, &a) == 0 && S_ISFIFO (a.st_mode) && (a.st_mode & 07777) == 0600, "fifo");
  cleanup_free char *utf = pathf ("%s/x/caf\xc3\xa9", d);
  TAP_OK (exists (utf), "UTF-8 name extracted byte for byte in the C locale");
  cleanup_free char *attrs = pathf ("%s/x/attrs", d);
  TAP_OK (has_xattr (attrs, "user.test", "kept"), "user.* xattr kept");
  TAP_OK (!has_xattr (attrs, "trusted.overlay.redirect", NULL)
              && !has_xattr (attrs, "security.selinux", NULL),
          "trusted.overlay.* and security.selinux from the tar dropped");
  cleanup_free char *ro = pathf ("%s/ro", d), *rof = pathf ("%s/ro/f", d);
  TAP_OK (stat (ro, &a) == 0 && (a.st_mode & 07777) == 0555 && exists (rof),
          "read-only directory gets its files, then its mode");
  cleanup_free char *x = pathf ("%s/x", d);
  TAP_OK (stat (x, &a) == 0 && a.st_mtime == 1600000000 && a.st_uid == 1000
              && (a.st_mode & 07777) == 0750,
          "directory mode, owner and mtime applied after its entries");
  cleanup_free char *dup = pathf ("%s/dup", d);
  cleanup_free char *dupc = slurp (dup);
  TAP_OK (strcmp (dupc, "second\n") == 0, "a later entry replaces an earlier one");
  cleanup_free char *rootwh = pathf ("%s/root", d), *gone = pathf ("%s/x/gone", d);
  cleanup_free char *plnk = pathf ("%s/x/.wh..wh.plnk", d);
  TAP_OK (is_whiteout (rootwh) && is_whiteout (gone), "whiteouts: .wh.root and a 0:0 char device");
  TAP_OK (!exists (plnk), "aufs .wh..wh.* metadata skipped");

  cleanup_free char *lower = pathf ("%s:%s:%s", img->layers[2], img->layers[1], img->layers[0]);
  in_mountns ("overlay of the three layers", lower, checks_extras);
  clr_image_free (img);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      TAP_SKIP ("needs root", "image tests (mknod, chown, trusted xattrs, overlay)");
      return tap_done ();
    }
  /* scripts/mkimage-oci, relative to build/tests/test_image */
  char exe[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  for (int i = 0; i < 3; i++)
    {
      char *sl = strrchr (exe, '/');
      if (sl)
        *sl = '\0';
    }
  snprintf (script, sizeof script, "%s/scripts/mkimage-oci", exe);
  if (access (script, X_OK) != 0)
    snprintf (script, sizeof script, "scripts/mkimage-oci");
  if (access (script, X_OK) != 0 || sh ("command -v jq python3 gzip tar sha256sum >/dev/null") != 0
      || !(exists ("/bin/busybox") || exists ("/usr/bin/busybox")))
    {
      TAP_SKIP ("mkimage-oci or its tools (jq python3 gzip tar busybox-static) missing",
                "image tests");
      return tap_done ();
    }
  have_zstd = sh ("command -v zstd >/dev/null") == 0;
  snprintf (base, sizeof base, "/tmp/clawrun-image-XXXXXX");
  if (mkdtemp (base) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }

  test_dir_image ();
  cleanup_free char *basic = mkimage ("basic", "");
  test_basic (basic);
  test_concurrent (basic);
  test_corrupt ();
  test_evil ();
  test_tags_and_formats (basic);
  test_bad_layouts (basic);
  test_extras ();

  clr_err err;
  if (clr_remove_tree_at (AT_FDCWD, base, &err) < 0)
    diag ("cleanup %s: %s", base, err.msg);
  return tap_done ();
}
