/* clawrun: images for sandbox sessions.
 *
 * An IMAGE is either a root filesystem directory (one "layer": the directory itself) or
 * an OCI image layout, "oci:PATH[:TAG]" (image-spec image-layout.md): oci-layout,
 * index.json, and content-addressed blobs/<algo>/<hex>.  The index names manifests by
 * the org.opencontainers.image.ref.name annotation; a manifest names the config blob
 * (Env, Entrypoint, Cmd, WorkingDir, User) and the layers, lowest first.
 *
 * Everything in the layout is untrusted, written by whoever built the image:
 *   - digests are checked for syntax before they become a path (no "sha256:../..") and
 *     blobs are opened with RESOLVE_BENEATH the layout directory;
 *   - every blob is verified against its descriptor's digest and size: JSON blobs before
 *     they are parsed, layers while libarchive reads them (the read callback hashes what
 *     it hands to libarchive, the rest of the blob is hashed after the tar's end), and a
 *     digest mismatch wins over whatever error a damaged stream produced;
 *   - JSON is bounded (4 MiB per blob, 64 nesting levels) before yajl sees it;
 *   - layers are extracted by our own writer on top of archive_read_*(), never by
 *     archive_write_disk(): every entry's path is cleaned component by component ("..":
 *     refused, absolute: refused), parents are walked with openat(O_NOFOLLOW) one
 *     component at a time from the layer's root fd (a symlink in the way is an error, so
 *     nothing is ever written through one), leaves are created with O_EXCL / *at()
 *     calls that do not follow symlinks, hardlink targets are cleaned the same way and
 *     must already exist in this layer, block and character devices are refused;
 *   - ownership, modes (setuid/setgid included: containers run with no_new_privs, so
 *     such bits grant nothing to the session), times and user.* and security.capability
 *     xattrs are kept; trusted.* (overlayfs' own metadata: opaque, redirect, metacopy)
 *     and user.overlay.* from the tar are dropped, so an image cannot forge overlay
 *     state other than the whiteouts below.
 *
 * Whiteouts are converted to what overlayfs understands when the layers are stacked as
 * lowerdirs: ".wh.NAME" becomes a 0:0 character device NAME, ".wh..wh..opq" in D sets
 * trusted.overlay.opaque=y on D.  A 0:0 character device in the tar is already that form
 * and is kept as a whiteout (harmless: it opens nothing).  Other ".wh..wh.*" names are
 * aufs bookkeeping and are skipped, as docker does.
 *
 * Cache: each layer is extracted once into CACHE/<algo>/<hex> (keyed by the compressed
 * blob's digest).  Extraction goes to CACHE/.tmp-<hex>-<pid>, which is syncfs()ed and
 * then renamed into place with RENAME_NOREPLACE, so a cache entry that exists is
 * complete and verified; concurrent sessions may extract the same layer, the first
 * rename wins and the others drop their copies.  On any error the temp dir is removed.
 * The extractor holds flock() on its temp dir: a temp dir left by a crashed process is
 * unlocked and is swept by the next extraction of the same layer.  A warm open reads
 * oci-layout, index.json, the manifest and the config, and stat()s the layer dirs.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "../runtime/json.h"
#include "../runtime/util.h"
#include "image.h"

#define JSON_BLOB_MAX (4u << 20) /* index.json, manifest, config */
#define OCI_LAYOUT_MAX (64u << 10)
#define JSON_MAX_DEPTH 64             /* yajl_tree_free() recurses per level */
#define MAX_INDEX_DEPTH 4             /* nested image indexes followed */
#define MAX_LAYERS 500                /* overlayfs' OVL_MAX_STACK */
#define LAYER_MAX_BYTES (16ull << 30) /* sum of file sizes in one layer */
#define LAYER_MAX_ENTRIES 4000000ull
#define READ_CHUNK (256u << 10)
#define STALE_TMP_SECS 10 /* an unlocked temp dir older than this is dead */
#define QUOTE_MAX 512

#define REF_NAME "org.opencontainers.image.ref.name"
#define OPAQUE_XATTR "trusted.overlay.opaque"

/* The platform a nested image index is resolved for (GOARCH spelling). */
#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__i386__)
#define HOST_ARCH "386"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH "ppc64le"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#else
#error "clawrun: unknown architecture for OCI platform matching"
#endif

static const char *const mt_index[] = {
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  NULL,
};
static const char *const mt_manifest[] = {
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  NULL,
};
static const char *const mt_config[] = {
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
  NULL,
};
/* Compression is detected from the stream (gzip, zstd or none) as docker and containerd
 * do; the media type only has to be a tar layer. */
static const char *const mt_layer[] = {
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  NULL,
};

static bool
in_list (const char *s, const char *const *list)
{
  for (; s && *list; list++)
    if (strcmp (s, *list) == 0)
      return true;
  return false;
}

/* Names from the image go into one-line error messages: escape control characters,
 * quotes and backslashes, and cut very long ones. */
static const char *
quote (const char *s, char *buf, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  for (; s && *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (n + 8 >= len)
        {
          memcpy (buf + n, "...", 3);
          n += 3;
          break;
        }
      if (c < 0x20 || c == 0x7f)
        {
          buf[n++] = '\\';
          buf[n++] = 'x';
          buf[n++] = hex[c >> 4];
          buf[n++] = hex[c & 15];
        }
      else
        {
          if (c == '"' || c == '\\')
            buf[n++] = '\\';
          buf[n++] = (char) c;
        }
    }
  buf[n] = '\0';
  return buf;
}

/* ------------------------------------------------------------------ JSON */

static void
yajl_freep (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}
#define cleanup_json __attribute__ ((cleanup (yajl_freep)))

/* yajl_tree_parse() stops at a NUL byte and truncates strings at an escaped \u0000, and
 * yajl_tree_free() recurses once per nesting level: refuse all three before parsing.
 * Comments are skipped as yajl_tree does (a quote inside one must not hide nesting). */
static int
json_prescan (const char *s, size_t len, clr_err *err)
{
  if (memchr (s, '\0', len))
    return clr_fail (err, 0, "invalid JSON: NUL byte");
  unsigned depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < len; i++)
    {
      char c = s[i];
      if (in_str)
        {
          if (c == '\\')
            {
              if (i + 5 < len && strncmp (s + i + 1, "u0000", 5) == 0)
                return clr_fail (err, 0, "invalid JSON: \\u0000 in a string");
              i++;
            }
          else if (c == '"')
            in_str = false;
        }
      else if (c == '"')
        in_str = true;
      else if (c == '/' && i + 1 < len && s[i + 1] == '*')
        {
          const char *end = memmem (s + i + 2, len - i - 2, "*/", 2);
          i = end ? (size_t) (end - s) + 1 : len;
        }
      else if (c == '/' && i + 1 < len && s[i + 1] == '/')
        {
          const char *end = memchr (s + i + 2, '\n', len - i - 2);
          i = end ? (size_t) (end - s) : len;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > JSON_MAX_DEPTH)
            return clr_fail (err, 0, "invalid JSON: nested deeper than %d levels", JSON_MAX_DEPTH);
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return 0;
}

/* TEXT is NUL-terminated at LEN.  The top level must be an object. */
static int
json_parse (const char *text, size_t len, yajl_val *out, clr_err *err)
{
  char eb[256] = "";
  if (json_prescan (text, len, err) < 0)
    return -1;
  yajl_val v = yajl_tree_parse (text, eb, sizeof eb);
  if (v == NULL)
    {
      /* yajl's message spans lines (it draws an arrow under the text): keep the first. */
      size_t l = strcspn (eb, "\n");
      while (l > 0 && (eb[l - 1] == ' ' || eb[l - 1] == '.'))
        l--;
      eb[l] = '\0';
      return clr_fail (err, 0, "invalid JSON: %s", eb[0] ? eb : "syntax error");
    }
  if (!YAJL_IS_OBJECT (v))
    {
      yajl_tree_free (v);
      return clr_fail (err, 0, "invalid JSON: not an object");
    }
  *out = v;
  return 0;
}


static const char *
jstr (yajl_val obj, const char *key)
{
  yajl_val v = clr_json_get (obj, key);
  return YAJL_IS_STRING (v) ? v->u.string : NULL;
}

/* null or absent: *OUT = NULL.  Otherwise an array of strings. */
static int
jstrv (yajl_val obj, const char *key, char ***out, clr_err *err)
{
  yajl_val v = clr_json_get (obj, key);
  *out = NULL;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return clr_fail (err, 0, "config.%s: expected an array of strings", key);
  char **r = xcalloc (v->u.array.len + 1, sizeof *r);
  for (size_t i = 0; i < v->u.array.len; i++)
    {
      yajl_val s = v->u.array.values[i];
      if (!YAJL_IS_STRING (s))
        {
          clr_strv_freep (&r);
          return clr_fail (err, 0, "config.%s: expected an array of strings", key);
        }
      r[i] = xstrdup (s->u.string);
    }
  *out = r;
  return 0;
}

/* ------------------------------------------------------------------ digests, descriptors */

struct digest
{
  const EVP_MD *md;
  char algo[8];
  char hex[EVP_MAX_MD_SIZE * 2 + 1];
  char text[8 + 1 + EVP_MAX_MD_SIZE * 2 + 1]; /* "sha256:..." */
};

/* image-spec descriptor.md: the registered algorithms with their exact encodings (lower
 * case hex of the right length).  Anything else is refused before it can become a path
 * component. */
static bool
parse_digest (const char *s, struct digest *d)
{
  const char *colon = s ? strchr (s, ':') : NULL;
  size_t hexlen;
  if (colon == NULL)
    return false;
  if ((size_t) (colon - s) == 6 && strncmp (s, "sha256", 6) == 0)
    d->md = EVP_sha256 (), hexlen = 64;
  else if ((size_t) (colon - s) == 6 && strncmp (s, "sha512", 6) == 0)
    d->md = EVP_sha512 (), hexlen = 128;
  else
    return false;
  const char *h = colon + 1;
  if (strlen (h) != hexlen)
    return false;
  for (size_t i = 0; i < hexlen; i++)
    if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
      return false;
  memcpy (d->algo, s, 6);
  d->algo[6] = '\0';
  memcpy (d->hex, h, hexlen + 1);
  snprintf (d->text, sizeof d->text, "%s:%s", d->algo, d->hex);
  return true;
}

static void
md_hex (EVP_MD_CTX *ctx, char *out)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  static const char hex[] = "0123456789abcdef";
  EVP_DigestFinal_ex (ctx, md, &n);
  for (unsigned i = 0; i < n; i++)
    {
      out[2 * i] = hex[md[i] >> 4];
      out[2 * i + 1] = hex[md[i] & 15];
    }
  out[2 * n] = '\0';
}

static void
md_ctx_freep (EVP_MD_CTX **c)
{
  EVP_MD_CTX_free (*c);
}
#define cleanup_md __attribute__ ((cleanup (md_ctx_freep)))

static EVP_MD_CTX *
md_new (const EVP_MD *md)
{
  EVP_MD_CTX *c = EVP_MD_CTX_new ();
  if (c == NULL || EVP_DigestInit_ex (c, md, NULL) != 1)
    {
      fprintf (stderr, "clawrun: out of memory (digest)\n");
      abort ();
    }
  return c;
}

struct desc
{
  char media_type[256];
  struct digest dg;
  uint64_t size;
};

/* WHAT names the descriptor in errors ("index.json: manifests[2]"). */
static int
parse_desc (yajl_val v, struct desc *d, const char *what, clr_err *err)
{
  char q[QUOTE_MAX];
  if (!YAJL_IS_OBJECT (v))
    return clr_fail (err, 0, "%s: not a descriptor object", what);
  const char *mt = jstr (v, "mediaType"), *dg = jstr (v, "digest");
  yajl_val size = clr_json_get (v, "size");
  if (mt == NULL || *mt == '\0')
    return clr_fail (err, 0, "%s: no mediaType", what);
  if (strlen (mt) >= sizeof d->media_type)
    return clr_fail (err, 0, "%s: mediaType too long", what);
  if (dg == NULL)
    return clr_fail (err, 0, "%s: no digest", what);
  if (!parse_digest (dg, &d->dg))
    return clr_fail (err, 0, "%s: invalid or unsupported digest \"%s\"", what,
                     quote (dg, q, sizeof q));
  if (!YAJL_IS_INTEGER (size) || YAJL_GET_INTEGER (size) < 0)
    return clr_fail (err, 0, "%s: size must be a non-negative integer", what);
  strcpy (d->media_type, mt);
  d->size = (uint64_t) YAJL_GET_INTEGER (size);
  return 0;
}

/* ------------------------------------------------------------------ the layout */

struct ctx
{
  char *path;  /* the layout directory */
  char *tag;   /* NULL: none given */
  char *label; /* error prefix; gains the tag once a manifest is chosen */
  int layoutfd;
  int cachefd;
  char *cache_real; /* realpath of the cache dir, for the layer paths handed out */
};

static void
ctx_clear (struct ctx *c)
{
  free (c->path);
  free (c->tag);
  free (c->label);
  free (c->cache_real);
  if (c->layoutfd >= 0)
    close (c->layoutfd);
  if (c->cachefd >= 0)
    close (c->cachefd);
}

/* A regular file REL inside the layout, not escaping it (symlinks within it are fine: a
 * shared blob store).  O_NONBLOCK so that a FIFO planted there cannot block the open. */
static int
open_in_layout (struct ctx *c, const char *rel, clr_err *err)
{
  struct open_how how = {
    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
  };
  int fd = -1;
  for (int i = 0; i < 16; i++)
    {
      fd = (int) syscall (SYS_openat2, c->layoutfd, rel, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN)
        break;
    }
  if (fd < 0 && errno == ENOSYS)
    fd = openat (c->layoutfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0)
    return clr_fail (err, errno, "open %s", rel);
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return clr_fail (err, 0, "%s is not a regular file", rel);
    }
  int fl = fcntl (fd, F_GETFL);
  if (fl >= 0)
    (void) fcntl (fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

/* blobs/<algo>/<hex>; D was syntax-checked, so this is two plain components. */
static int
open_blob (struct ctx *c, const struct digest *d, clr_err *err)
{
  char rel[sizeof d->algo + sizeof d->hex + 8];
  snprintf (rel, sizeof rel, "blobs/%s/%s", d->algo, d->hex);
  return open_in_layout (c, rel, err);
}

/* A small JSON blob, verified against D before anyone parses it.  Errors: "KIND
 * DIGEST: ...", the caller adds the label. */
static int
read_json_blob (struct ctx *c, const struct desc *d, const char *kind, yajl_val *out, clr_err *err)
{
  if (d->size > JSON_BLOB_MAX)
    return clr_fail (err, 0, "%s %s: size %llu exceeds the %u MiB limit", kind, d->dg.text,
                     (unsigned long long) d->size, JSON_BLOB_MAX >> 20);
  cleanup_close int fd = open_blob (c, &d->dg, err);
  if (fd < 0)
    return clr_wrap (err, "%s %s", kind, d->dg.text);
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (clr_read_fd (fd, JSON_BLOB_MAX, &text, &len, err) < 0)
    return clr_wrap (err, "%s %s", kind, d->dg.text);
  if (len != d->size)
    return clr_fail (err, 0, "%s %s: size mismatch (blob has %zu bytes, descriptor says %llu)",
                     kind, d->dg.text, len, (unsigned long long) d->size);
  cleanup_md EVP_MD_CTX *md = md_new (d->dg.md);
  char got[sizeof d->dg.hex];
  EVP_DigestUpdate (md, text, len);
  md_hex (md, got);
  if (strcmp (got, d->dg.hex) != 0)
    return clr_fail (err, 0, "%s %s: digest mismatch (got %s:%s)", kind, d->dg.text, d->dg.algo,
                     got);
  if (json_parse (text, len, out, err) < 0)
    return clr_wrap (err, "%s %s", kind, d->dg.text);
  return 0;
}

static int
read_json_file (struct ctx *c, const char *name, size_t max, yajl_val *out, clr_err *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  cleanup_close int fd = open_in_layout (c, name, err); /* "open index.json: ENOENT ..." */
  if (fd < 0)
    return -1;
  if (clr_read_fd (fd, max, &text, &len, err) < 0 || json_parse (text, len, out, err) < 0)
    return clr_wrap (err, "%s", name);
  return 0;
}

static bool
platform_is_host (yajl_val platform)
{
  const char *os = jstr (platform, "os"), *arch = jstr (platform, "architecture");
  return os && arch && strcmp (os, "linux") == 0 && strcmp (arch, HOST_ARCH) == 0;
}

/* Pick the manifest descriptor from index.json: by tag, or the only one. */
static int
pick_tagged (struct ctx *c, yajl_val index, struct desc *out, clr_err *err)
{
  char what[64], q[QUOTE_MAX];
  yajl_val m = clr_json_get (index, "manifests");
  if (!YAJL_IS_ARRAY (m))
    return clr_fail (err, 0, "%s: index.json: no \"manifests\" array", c->label);
  size_t n = m->u.array.len;

  if (c->tag == NULL && n == 1)
    {
      if (parse_desc (m->u.array.values[0], out, "index.json: manifests[0]", err) < 0)
        return clr_wrap (err, "%s", c->label);
      const char *ref = jstr (clr_json_get (m->u.array.values[0], "annotations"), REF_NAME);
      if (ref && *ref)
        {
          free (c->label);
          c->label = xasprintf ("oci:%s:%s", c->path, quote (ref, q, sizeof q));
        }
      return 0;
    }

  const char *tag = c->tag ? c->tag : "latest";
  ssize_t pick = -1;
  for (size_t i = 0; i < n; i++)
    {
      yajl_val e = m->u.array.values[i];
      const char *ref = jstr (clr_json_get (e, "annotations"), REF_NAME);
      if (ref == NULL || strcmp (ref, tag) != 0)
        continue;
      /* One tag on several manifests (one per platform): take this host's. */
      bool host = platform_is_host (clr_json_get (e, "platform"));
      if (pick < 0 || host)
        pick = (ssize_t) i;
      if (host)
        break;
    }
  if (pick < 0)
    return clr_fail (err, 0, "%s: no manifest tagged \"%s\"", c->label, quote (tag, q, sizeof q));
  snprintf (what, sizeof what, "index.json: manifests[%zd]", pick);
  if (parse_desc (m->u.array.values[pick], out, what, err) < 0)
    return clr_wrap (err, "%s", c->label);
  free (c->label);
  c->label = xasprintf ("oci:%s:%s", c->path, quote (tag, q, sizeof q));
  return 0;
}

/* D names an image index (a multi-platform image): replace it with this host's
 * manifest, following nested indexes a few levels deep. */
static int
resolve_index (struct ctx *c, struct desc *d, clr_err *err)
{
  for (int depth = 0; in_list (d->media_type, mt_index); depth++)
    {
      if (depth >= MAX_INDEX_DEPTH)
        return clr_fail (err, 0, "%s: image indexes nested deeper than %d levels", c->label,
                         MAX_INDEX_DEPTH);
      cleanup_json yajl_val idx = NULL;
      if (read_json_blob (c, d, "index", &idx, err) < 0)
        return clr_wrap (err, "%s", c->label);
      yajl_val m = clr_json_get (idx, "manifests");
      if (!YAJL_IS_ARRAY (m))
        return clr_fail (err, 0, "%s: index %s: no \"manifests\" array", c->label, d->dg.text);
      ssize_t pick = -1;
      for (size_t i = 0; i < m->u.array.len && pick < 0; i++)
        if (platform_is_host (clr_json_get (m->u.array.values[i], "platform")))
          pick = (ssize_t) i;
      if (pick < 0)
        return clr_fail (err, 0, "%s: index %s: no manifest for linux/%s", c->label, d->dg.text,
                         HOST_ARCH);
      char what[sizeof d->dg.text + 64];
      snprintf (what, sizeof what, "index %s: manifests[%zd]", d->dg.text, pick);
      struct desc next;
      if (parse_desc (m->u.array.values[pick], &next, what, err) < 0)
        return clr_wrap (err, "%s", c->label);
      *d = next;
    }
  return 0;
}

/* ------------------------------------------------------------------ the layer cache */

static int
mkdir_p (const char *path, mode_t mode, clr_err *err)
{
  cleanup_free char *p = xstrdup (path);
  for (char *s = p + 1;; s++)
    {
      if (*s != '/' && *s != '\0')
        continue;
      char saved = *s;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return clr_fail (err, errno, "create %s", p);
      *s = saved;
      if (saved == '\0')
        return 0;
    }
}

static int
open_cache (struct ctx *c, const char *dir, clr_err *err)
{
  /* 0700: layers hold other images' files with their original owners and setuid bits. */
  if (mkdir_p (dir, 0700, err) < 0)
    return clr_wrap (err, "layer cache");
  c->cachefd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->cachefd < 0)
    return clr_fail (err, errno, "layer cache %s", dir);
  struct stat st;
  if (fstat (c->cachefd, &st) < 0)
    return clr_fail (err, errno, "layer cache %s", dir);
  /* Whoever can write the cache can plant a "verified" layer. */
  if (st.st_uid != geteuid () || (st.st_mode & 022))
    return clr_fail (err, 0,
                     "layer cache %s: must be owned by uid %u and not writable by group or others",
                     dir, (unsigned) geteuid ());
  c->cache_real = realpath (dir, NULL);
  if (c->cache_real == NULL)
    return clr_fail (err, errno, "layer cache %s", dir);
  return 0;
}

/* Remove CACHE/.tmp-<hex>-* left by extractions that died (their flock is gone).  A dir
 * younger than STALE_TMP_SECS may belong to an extractor between mkdir and flock. */
static void
sweep_stale (struct ctx *c, const char *hex)
{
  char prefix[160];
  snprintf (prefix, sizeof prefix, ".tmp-%s-", hex);
  int dfd = dup (c->cachefd);
  if (dfd < 0)
    return;
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return;
    }
  rewinddir (d);
  struct dirent *de;
  time_t now = time (NULL);
  while ((de = readdir (d)))
    {
      if (!clr_has_prefix (de->d_name, prefix))
        continue;
      cleanup_close int fd
          = openat (c->cachefd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat (fd, &st) < 0 || now - st.st_ctime < STALE_TMP_SECS)
        continue;
      if (flock (fd, LOCK_EX | LOCK_NB) < 0)
        continue; /* alive */
      clr_err ignored;
      (void) clr_remove_tree_at (c->cachefd, de->d_name, &ignored);
    }
  closedir (d);
}

/* ------------------------------------------------------------------ extraction */

struct blob_reader
{
  int fd;
  EVP_MD_CTX *md;
  uint64_t want, got;
  int err;
  unsigned char *buf;
};

/* Hash everything read; stop one byte past the declared size (that is already a
 * mismatch, no need to read a blob that keeps growing). */
static ssize_t
blob_read_some (struct blob_reader *r)
{
  if (r->got > r->want)
    return 0;
  size_t room = READ_CHUNK;
  if (r->want - r->got + 1 < room)
    room = (size_t) (r->want - r->got + 1);
  ssize_t n;
  do
    n = read (r->fd, r->buf, room);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      r->err = errno;
      return -1;
    }
  EVP_DigestUpdate (r->md, r->buf, (size_t) n);
  r->got += (uint64_t) n;
  return n;
}

static la_ssize_t
blob_read_cb (struct archive *a, void *data, const void **buf)
{
  struct blob_reader *r = data;
  ssize_t n = blob_read_some (r);
  if (n < 0)
    {
      archive_set_error (a, r->err, "read blob: %s", strerror (r->err));
      return -1;
    }
  *buf = r->buf;
  return n;
}

struct dirfix
{
  char *path; /* cleaned, relative to the layer root; "" for the root */
  mode_t mode;
  struct timespec ts[2];
  size_t seq;
};

struct unpack
{
  struct archive *a;
  int rootfd;
  /* the last parent directory resolved: tar entries come grouped by directory */
  int pfd;
  size_t plen;
  char ppath[PATH_MAX];
  struct dirfix *fix;
  size_t nfix, capfix;
  uint64_t bytes, entries;
};

enum
{
  CLEAN_OK = 0,
  CLEAN_ABS = -1,
  CLEAN_DOTDOT = -2,
  CLEAN_LONG = -3
};

/* "./a//b/" -> "a/b"; "." and "./" -> "" (the layer root).  Any ".." is refused, even one
 * that would stay inside: tar writers never produce them. */
static int
clean_path (const char *in, char *out, size_t len)
{
  size_t n = 0;
  if (in[0] == '/')
    return CLEAN_ABS;
  for (const char *p = in; *p;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *e = strchrnul (p, '/');
      size_t l = (size_t) (e - p);
      if (l == 2 && p[0] == '.' && p[1] == '.')
        return CLEAN_DOTDOT;
      if (!(l == 1 && p[0] == '.'))
        {
          if (n + l + 2 > len)
            return CLEAN_LONG;
          if (n)
            out[n++] = '/';
          memcpy (out + n, p, l);
          n += l;
        }
      p = e;
    }
  out[n] = '\0';
  return CLEAN_OK;
}

/* Open directory PATH[0..LEN) under ROOTFD one component at a time, never following a
 * symlink; with CREATE, missing components are made (0755, root-owned, as tar does). */
static int
walk_dir (int rootfd, const char *path, size_t len, bool create, int *out, clr_err *err)
{
  char comp[NAME_MAX + 1], q[QUOTE_MAX];
  int cur = rootfd;
  size_t i = 0;
  while (i < len)
    {
      size_t j = i;
      while (j < len && path[j] != '/')
        j++;
      if (j - i > NAME_MAX)
        {
          if (cur != rootfd)
            close (cur);
          return clr_fail (err, ENAMETOOLONG, "open \"%.*s\"", (int) j, path);
        }
      memcpy (comp, path + i, j - i);
      comp[j - i] = '\0';
      bool made = false;
      int fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create)
        {
          if (mkdirat (cur, comp, 0755) < 0 && errno != EEXIST)
            {
              int e = errno;
              if (cur != rootfd)
                close (cur);
              return clr_fail (err, e, "create \"%.*s\"", (int) j, path);
            }
          made = true;
          fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (fd < 0)
        {
          int e = errno;
          struct stat st;
          bool lnk
              = (e == ELOOP || e == ENOTDIR) && fstatat (cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0;
          if (cur != rootfd)
            close (cur);
          snprintf (q, sizeof q, "%.*s", (int) j, path);
          char qq[QUOTE_MAX];
          quote (q, qq, sizeof qq);
          if (lnk && S_ISLNK (st.st_mode))
            return clr_fail (err, 0, "path goes through symlink \"%s\"", qq);
          if (lnk)
            return clr_fail (err, 0, "\"%s\" is not a directory", qq);
          return clr_fail (err, e, "open \"%s\"", qq);
        }
      if (made)
        (void) fchmod (fd, 0755); /* not the umask's idea */
      if (cur != rootfd)
        close (cur);
      cur = fd;
      i = j + 1;
    }
  *out = cur;
  return 0;
}

/* The parent of the entry at PATH (DIRLEN bytes of it).  Borrowed: do not close. */
static int
open_parent (struct unpack *u, const char *path, size_t dirlen, int *out, clr_err *err)
{
  if (dirlen == 0)
    {
      *out = u->rootfd;
      return 0;
    }
  if (u->pfd >= 0 && u->plen == dirlen && memcmp (u->ppath, path, dirlen) == 0)
    {
      *out = u->pfd;
      return 0;
    }
  int fd;
  if (walk_dir (u->rootfd, path, dirlen, true, &fd, err) < 0)
    return -1;
  if (u->pfd >= 0)
    close (u->pfd);
  u->pfd = fd;
  memcpy (u->ppath, path, dirlen);
  u->plen = dirlen;
  *out = fd;
  return 0;
}

/* Make room for LEAF in PARENT: a later entry replaces an earlier one, except that a
 * directory over a directory is merged.  Returns 1 when an existing directory is kept. */
static int
prepare_leaf (struct unpack *u, int parent, const char *leaf, bool want_dir, clr_err *err)
{
  struct stat st;
  if (fstatat (parent, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : clr_fail (err, errno, "stat");
  if (S_ISDIR (st.st_mode))
    {
      if (want_dir)
        return 1;
      if (clr_remove_tree_at (parent, leaf, err) < 0)
        return -1;
      /* The cached parent is PARENT or lies somewhere else; when PARENT is the root the
       * cached directory may have been inside what was just removed. */
      if (parent != u->pfd && u->pfd >= 0)
        {
          close (u->pfd);
          u->pfd = -1;
        }
      return 0;
    }
  if (unlinkat (parent, leaf, 0) < 0 && errno != ENOENT)
    return clr_fail (err, errno, "replace");
  return 0;
}

static bool
xattr_allowed (const char *name)
{
  /* trusted.* is overlayfs' (and other kernel users') metadata, user.overlay.* the same
   * for userxattr mounts, security.* other than capabilities are host labels. */
  if (clr_has_prefix (name, "user."))
    return !clr_has_prefix (name, "user.overlay.");
  return strcmp (name, "security.capability") == 0;
}

static int
apply_xattrs (int fd, struct archive_entry *e, clr_err *err)
{
  const char *name;
  const void *val;
  size_t size;
  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &val, &size) == ARCHIVE_OK)
    {
      if (name == NULL || !xattr_allowed (name))
        continue;
      /* A cache on a filesystem without user xattrs still gets the files. */
      if (fsetxattr (fd, name, val, size, 0) < 0 && errno != EOPNOTSUPP)
        return clr_fail (err, errno, "set xattr %s", name);
    }
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  ts[1].tv_nsec = UTIME_OMIT;
  ts[0].tv_nsec = UTIME_OMIT;
  if (archive_entry_mtime_is_set (e))
    {
      ts[1].tv_sec = archive_entry_mtime (e);
      ts[1].tv_nsec = archive_entry_mtime_nsec (e);
      ts[0] = ts[1];
    }
  if (archive_entry_atime_is_set (e))
    {
      ts[0].tv_sec = archive_entry_atime (e);
      ts[0].tv_nsec = archive_entry_atime_nsec (e);
    }
}

static int
entry_owner (struct archive_entry *e, uid_t *uid, gid_t *gid, clr_err *err)
{
  la_int64_t u = archive_entry_uid (e), g = archive_entry_gid (e);
  if (u < 0 || u >= UINT32_MAX || g < 0 || g >= UINT32_MAX)
    return clr_fail (err, 0, "invalid owner %lld:%lld", (long long) u, (long long) g);
  *uid = (uid_t) u;
  *gid = (gid_t) g;
  return 0;
}

static int
write_file (struct unpack *u, int parent, const char *leaf, struct archive_entry *e, clr_err *err)
{
  la_int64_t size = archive_entry_size_is_set (e) ? archive_entry_size (e) : 0;
  if (size < 0)
    return clr_fail (err, 0, "invalid size");
  u->bytes += (uint64_t) size;
  if (u->bytes > LAYER_MAX_BYTES)
    return clr_fail (err, EFBIG, "layer larger than %llu GiB when extracted",
                     LAYER_MAX_BYTES >> 30);
  uid_t uid;
  gid_t gid;
  if (entry_owner (e, &uid, &gid, err) < 0 || prepare_leaf (u, parent, leaf, false, err) < 0)
    return -1;
  cleanup_close int fd
      = openat (parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return clr_fail (err, errno, "create");
  la_int64_t end = 0;
  for (;;)
    {
      const void *buf;
      size_t len;
      la_int64_t off;
      int r = archive_read_data_block (u->a, &buf, &len, &off);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        return clr_fail (err, 0, "%s", archive_error_string (u->a) ?: "read error");
      /* sparse files: holes are the gaps between blocks */
      const char *p = buf;
      while (len > 0)
        {
          ssize_t w = pwrite (fd, p, len, off);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return clr_fail (err, errno, "write");
          p += w;
          off += w;
          len -= (size_t) w;
        }
      if (off > end)
        end = off;
    }
  if (end < size && ftruncate (fd, size) < 0)
    return clr_fail (err, errno, "truncate");
  /* chown clears setuid/setgid and file capabilities: owner, then mode, then xattrs. */
  if (fchown (fd, uid, gid) < 0)
    return clr_fail (err, errno, "chown");
  if (fchmod (fd, archive_entry_perm (e) & 07777) < 0)
    return clr_fail (err, errno, "chmod");
  if (apply_xattrs (fd, e, err) < 0)
    return -1;
  struct timespec ts[2];
  entry_times (e, ts);
  if (futimens (fd, ts) < 0)
    return clr_fail (err, errno, "set times");
  return 0;
}

static void
add_fix (struct unpack *u, const char *path, mode_t mode, struct archive_entry *e)
{
  if (u->nfix == u->capfix)
    {
      u->capfix = u->capfix ? u->capfix * 2 : 64;
      u->fix = xrealloc (u->fix, u->capfix * sizeof *u->fix);
    }
  struct dirfix *f = &u->fix[u->nfix];
  f->path = xstrdup (path);
  f->mode = mode;
  entry_times (e, f->ts);
  f->seq = u->nfix++;
}

static int
make_dir (struct unpack *u, int parent, const char *leaf, const char *path, struct archive_entry *e,
          clr_err *err)
{
  uid_t uid;
  gid_t gid;
  if (entry_owner (e, &uid, &gid, err) < 0)
    return -1;
  int r = prepare_leaf (u, parent, leaf, true, err);
  if (r < 0)
    return -1;
  /* 0700 while we fill it; the real mode and times are set at the end (creating entries
   * changes the mtime, and a read-only mode would stop us). */
  if (r == 0 && mkdirat (parent, leaf, 0700) < 0)
    return clr_fail (err, errno, "mkdir");
  cleanup_close int fd = openat (parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return clr_fail (err, errno, "open");
  if (fchown (fd, uid, gid) < 0)
    return clr_fail (err, errno, "chown");
  if (apply_xattrs (fd, e, err) < 0)
    return -1;
  add_fix (u, path, archive_entry_perm (e) & 07777, e);
  return 0;
}

static int
make_symlink (struct unpack *u, int parent, const char *leaf, struct archive_entry *e, clr_err *err)
{
  const char *target = archive_entry_symlink (e);
  uid_t uid;
  gid_t gid;
  if (target == NULL || *target == '\0')
    return clr_fail (err, 0, "symlink without a target");
  if (entry_owner (e, &uid, &gid, err) < 0 || prepare_leaf (u, parent, leaf, false, err) < 0)
    return -1;
  /* The target is not checked: it is resolved inside the container's root at run time,
   * and nothing here ever follows it. */
  if (symlinkat (target, parent, leaf) < 0)
    return clr_fail (err, errno, "symlink");
  if (fchownat (parent, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return clr_fail (err, errno, "chown");
  struct timespec ts[2];
  entry_times (e, ts);
  if (utimensat (parent, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return clr_fail (err, errno, "set times");
  return 0;
}

static int
make_fifo (struct unpack *u, int parent, const char *leaf, struct archive_entry *e, clr_err *err)
{
  uid_t uid;
  gid_t gid;
  if (entry_owner (e, &uid, &gid, err) < 0 || prepare_leaf (u, parent, leaf, false, err) < 0)
    return -1;
  if (mknodat (parent, leaf, S_IFIFO | 0600, 0) < 0)
    return clr_fail (err, errno, "mkfifo");
  /* fchmodat() follows a symlink, but LEAF is the FIFO just made, in a directory only we
   * can write. */
  if (fchownat (parent, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0
      || fchmodat (parent, leaf, archive_entry_perm (e) & 07777, 0) < 0)
    return clr_fail (err, errno, "chown/chmod");
  struct timespec ts[2];
  entry_times (e, ts);
  if (utimensat (parent, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return clr_fail (err, errno, "set times");
  return 0;
}

/* An overlayfs whiteout: a 0:0 character device. */
static int
make_whiteout (struct unpack *u, int parent, const char *name, clr_err *err)
{
  if (prepare_leaf (u, parent, name, false, err) < 0)
    return -1;
  if (mknodat (parent, name, S_IFCHR | 0, makedev (0, 0)) < 0)
    return clr_fail (err, errno, "create whiteout");
  return 0;
}

static int
make_hardlink (struct unpack *u, int parent, const char *leaf, const char *path, const char *target,
               clr_err *err)
{
  char tpath[PATH_MAX], q[QUOTE_MAX];
  if (clean_path (target, tpath, sizeof tpath) != CLEAN_OK || tpath[0] == '\0')
    return clr_fail (err, 0, "hardlink target \"%s\" escapes the layer",
                     quote (target, q, sizeof q));
  if (strcmp (tpath, path) == 0)
    return 0;
  const char *tleaf = strrchr (tpath, '/');
  size_t tdirlen = tleaf ? (size_t) (tleaf - tpath) : 0;
  tleaf = tleaf ? tleaf + 1 : tpath;
  int tparent = u->rootfd;
  if (tdirlen && walk_dir (u->rootfd, tpath, tdirlen, false, &tparent, err) < 0)
    return clr_wrap (err, "hardlink target \"%s\"", quote (target, q, sizeof q));
  int ret = 0;
  struct stat st;
  /* It must exist in this layer already (lower layers are not visible here), and a
   * directory cannot be linked. */
  if (fstatat (tparent, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    ret = clr_fail (err, errno, "hardlink target \"%s\"", quote (target, q, sizeof q));
  else if (S_ISDIR (st.st_mode))
    ret = clr_fail (err, 0, "hardlink target \"%s\" is a directory", quote (target, q, sizeof q));
  else if (prepare_leaf (u, parent, leaf, false, err) < 0)
    ret = -1;
  else if (linkat (tparent, tleaf, parent, leaf, 0) < 0) /* 0: never follows */
    ret = clr_fail (err, errno, "hardlink to \"%s\"", quote (target, q, sizeof q));
  if (tparent != u->rootfd)
    close (tparent);
  return ret;
}

static int
extract_entry (struct unpack *u, struct archive_entry *e, clr_err *err)
{
  char path[PATH_MAX], q[QUOTE_MAX];
  const char *raw = archive_entry_pathname (e);
  if (raw == NULL)
    raw = archive_entry_pathname_utf8 (e);
  if (raw == NULL || *raw == '\0')
    return clr_fail (err, 0, "an entry without a name");
  switch (clean_path (raw, path, sizeof path))
    {
    case CLEAN_ABS:
      return clr_fail (err, 0, "entry \"%s\": absolute path not allowed", quote (raw, q, sizeof q));
    case CLEAN_DOTDOT:
      return clr_fail (err, 0, "entry \"%s\": path escapes the layer", quote (raw, q, sizeof q));
    case CLEAN_LONG:
      return clr_fail (err, ENAMETOOLONG, "entry \"%s\"", quote (raw, q, sizeof q));
    default:
      break;
    }
  if (++u->entries > LAYER_MAX_ENTRIES)
    return clr_fail (err, 0, "more than %llu entries", LAYER_MAX_ENTRIES);

  const char *hardlink = archive_entry_hardlink (e);
  mode_t type = archive_entry_filetype (e);
  bool whiteout_dev = false;
  if (hardlink == NULL && (type == AE_IFBLK || type == AE_IFCHR))
    {
      if (type == AE_IFCHR && archive_entry_rdevmajor (e) == 0 && archive_entry_rdevminor (e) == 0)
        whiteout_dev = true;
      else
        return clr_fail (err, 0, "device node %s not allowed", quote (path, q, sizeof q));
    }
  if (hardlink == NULL && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK
      && type != AE_IFIFO && !whiteout_dev)
    return clr_fail (err, 0, "entry \"%s\": unsupported file type 0%o", quote (raw, q, sizeof q),
                     (unsigned) type);

  if (path[0] == '\0')
    {
      /* "./": the layer root itself (owner, mode and times). */
      uid_t uid;
      gid_t gid;
      if (type != AE_IFDIR || hardlink)
        return clr_fail (err, 0, "entry \"%s\": the layer root must be a directory",
                         quote (raw, q, sizeof q));
      if (entry_owner (e, &uid, &gid, err) < 0)
        return clr_wrap (err, "entry \"%s\"", quote (raw, q, sizeof q));
      if (fchown (u->rootfd, uid, gid) < 0)
        return clr_fail (err, errno, "entry \"%s\": chown", quote (raw, q, sizeof q));
      add_fix (u, "", archive_entry_perm (e) & 07777, e);
      return 0;
    }

  const char *leaf = strrchr (path, '/');
  size_t dirlen = leaf ? (size_t) (leaf - path) : 0;
  leaf = leaf ? leaf + 1 : path;
  int parent;
  if (open_parent (u, path, dirlen, &parent, err) < 0)
    return clr_wrap (err, "entry \"%s\"", quote (raw, q, sizeof q));

  int r;
  if (clr_has_prefix (leaf, ".wh."))
    {
      const char *name = leaf + 4;
      if (strcmp (name, ".wh..opq") == 0)
        {
          if (fsetxattr (parent, OPAQUE_XATTR, "y", 1, 0) < 0)
            return clr_fail (err, errno, "entry \"%s\": set %s", quote (raw, q, sizeof q),
                             OPAQUE_XATTR);
          return 0;
        }
      if (clr_has_prefix (name, ".wh."))
        return 0; /* aufs metadata (.wh..wh.plnk, .wh..wh.aufs) */
      if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        return clr_fail (err, 0, "entry \"%s\": invalid whiteout", quote (raw, q, sizeof q));
      r = make_whiteout (u, parent, name, err);
    }
  else if (hardlink)
    r = make_hardlink (u, parent, leaf, path, hardlink, err);
  else if (whiteout_dev)
    r = make_whiteout (u, parent, leaf, err);
  else if (type == AE_IFREG)
    r = write_file (u, parent, leaf, e, err);
  else if (type == AE_IFDIR)
    r = make_dir (u, parent, leaf, path, e, err);
  else if (type == AE_IFLNK)
    r = make_symlink (u, parent, leaf, e, err);
  else
    r = make_fifo (u, parent, leaf, e, err);
  if (r < 0)
    return clr_wrap (err, "entry \"%s\"", quote (raw, q, sizeof q));
  return 0;
}

static int
fix_cmp (const void *a, const void *b)
{
  const struct dirfix *x = a, *y = b;
  int c = strcmp (x->path, y->path);
  return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Directory modes and times, now that nothing will be created in them any more.  The
 * last entry for a path wins; deepest first (descending order puts "a/b" before "a"). */
static int
apply_dir_fixes (struct unpack *u, clr_err *err)
{
  bool root_done = false;
  if (u->nfix)
    qsort (u->fix, u->nfix, sizeof *u->fix, fix_cmp);
  for (size_t i = u->nfix; i-- > 0;)
    {
      struct dirfix *f = &u->fix[i];
      if (i + 1 < u->nfix && strcmp (f->path, u->fix[i + 1].path) == 0)
        continue;
      int fd = u->rootfd;
      if (f->path[0] == '\0')
        root_done = true;
      else
        {
          clr_err ignored;
          /* gone or replaced by a later entry: nothing to fix */
          if (walk_dir (u->rootfd, f->path, strlen (f->path), false, &fd, &ignored) < 0)
            continue;
        }
      int r = 0;
      if (fchmod (fd, f->mode) < 0 || futimens (fd, f->ts) < 0)
        r = clr_fail (err, errno, "directory \"%s\"", f->path);
      if (fd != u->rootfd)
        close (fd);
      if (r < 0)
        return -1;
    }
  if (!root_done && fchmod (u->rootfd, 0755) < 0)
    return clr_fail (err, errno, "chmod layer root");
  return 0;
}

static void
archive_freep (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}
#define cleanup_archive __attribute__ ((cleanup (archive_freep)))

/* Stream blob D into ROOTFD, hashing as libarchive reads.  Errors carry no prefix. */
static int
unpack_blob (struct ctx *c, const struct desc *d, int rootfd, clr_err *err)
{
  cleanup_close int fd = open_blob (c, &d->dg, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0)
    return clr_fail (err, errno, "stat blob");
  if ((uint64_t) st.st_size != d->size)
    return clr_fail (err, 0, "size mismatch (blob has %lld bytes, manifest says %llu)",
                     (long long) st.st_size, (unsigned long long) d->size);

  cleanup_md EVP_MD_CTX *md = md_new (d->dg.md);
  cleanup_free unsigned char *buf = xmalloc (READ_CHUNK);
  struct blob_reader rd = { .fd = fd, .md = md, .want = d->size, .buf = buf };
  struct unpack u = { .rootfd = rootfd, .pfd = -1 };
  int ret = 0;
  {
    cleanup_archive struct archive *a = archive_read_new ();
    if (a == NULL)
      return clr_fail (err, ENOMEM, "archive_read_new");
    u.a = a;
    archive_read_support_format_tar (a);
    archive_read_support_format_empty (a);
    /* Only the built-in decoders: libarchive would run an external program for a filter
     * it was built without.  Report that only when this layer needs it. */
    bool zstd = clr_has_suffix (d->media_type, "+zstd");
    bool gzip = clr_has_suffix (d->media_type, "gzip");
    if (archive_read_support_filter_gzip (a) != ARCHIVE_OK && gzip)
      return clr_fail (err, 0, "libarchive lacks built-in gzip support");
    if (archive_read_support_filter_zstd (a) != ARCHIVE_OK && zstd)
      return clr_fail (err, 0, "libarchive lacks built-in zstd support");
    if (archive_read_open (a, &rd, NULL, blob_read_cb, NULL) != ARCHIVE_OK)
      ret = clr_fail (err, 0, "%s", archive_error_string (a) ?: "cannot read the archive");
    while (ret == 0)
      {
        struct archive_entry *e;
        int r = archive_read_next_header (a, &e);
        if (r == ARCHIVE_EOF)
          break;
        if (r < ARCHIVE_WARN) /* a WARN is e.g. a name not convertible to the locale */
          ret = clr_fail (err, 0, "%s", archive_error_string (a) ?: "cannot read the archive");
        else
          ret = extract_entry (&u, e, err);
      }
    if (ret == 0)
      ret = apply_dir_fixes (&u, err);
  }
  if (u.pfd >= 0)
    close (u.pfd);
  for (size_t i = 0; i < u.nfix; i++)
    free (u.fix[i].path);
  free (u.fix);

  /* The rest of the blob (past the tar's end, or past where extraction failed) counts:
   * the digest covers every byte, and a damaged blob is reported as such rather than by
   * whatever the decompressor made of it. */
  while (blob_read_some (&rd) > 0)
    ;
  if (rd.err)
    return clr_fail (err, rd.err, "read blob");
  if (rd.got > d->size)
    return clr_fail (err, 0, "blob grew past the %llu bytes the manifest says while being read",
                     (unsigned long long) d->size);
  if (rd.got < d->size)
    return clr_fail (err, 0, "size mismatch (read %llu bytes, manifest says %llu)",
                     (unsigned long long) rd.got, (unsigned long long) d->size);
  char got[sizeof d->dg.hex];
  md_hex (md, got);
  if (strcmp (got, d->dg.hex) != 0)
    return clr_fail (err, 0, "digest mismatch (got %s:%s)", d->dg.algo, got);
  return ret;
}

/* Extract layer D into the cache unless it is there; *OUT: its directory. */
static int
ensure_layer (struct ctx *c, const struct desc *d, char **out, clr_err *err)
{
  char rel[sizeof d->dg.algo + sizeof d->dg.hex + 2];
  snprintf (rel, sizeof rel, "%s/%s", d->dg.algo, d->dg.hex);
  struct stat st;
  if (fstatat (c->cachefd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (!S_ISDIR (st.st_mode))
        return clr_fail (err, 0, "layer cache entry %s/%s is not a directory", c->cache_real, rel);
      *out = xasprintf ("%s/%s", c->cache_real, rel);
      return 0;
    }
  if (errno != ENOENT)
    return clr_fail (err, errno, "layer cache %s/%s", c->cache_real, rel);

  if (mkdirat (c->cachefd, d->dg.algo, 0700) < 0 && errno != EEXIST)
    return clr_fail (err, errno, "layer cache %s/%s", c->cache_real, d->dg.algo);
  char tmp[sizeof d->dg.hex + 32];
  snprintf (tmp, sizeof tmp, ".tmp-%s-%d", d->dg.hex, (int) getpid ());
  sweep_stale (c, d->dg.hex);
  /* Our own pid's leftover (pid reuse after a crash) is not ours any more. */
  cleanup_close int old = openat (c->cachefd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (old >= 0 && flock (old, LOCK_EX | LOCK_NB) == 0
      && clr_remove_tree_at (c->cachefd, tmp, err) < 0)
    return clr_wrap (err, "%s: layer %s: layer cache %s", c->label, d->dg.text, c->cache_real);
  if (mkdirat (c->cachefd, tmp, 0700) < 0)
    return clr_fail (err, errno, "layer cache %s/%s", c->cache_real, tmp);
  cleanup_close int tfd = openat (c->cachefd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int ret = 0;
  if (tfd < 0)
    ret = clr_fail (err, errno, "layer cache %s/%s", c->cache_real, tmp);
  else if (flock (tfd, LOCK_EX | LOCK_NB) < 0)
    ret = clr_fail (err, errno, "lock %s/%s", c->cache_real, tmp);
  else if (unpack_blob (c, d, tfd, err) < 0)
    ret = -1;
  /* Once renamed the layer is trusted forever: it must not be torn by a crash. */
  else if (syncfs (tfd) < 0)
    ret = clr_fail (err, errno, "syncfs %s/%s", c->cache_real, tmp);
  else
    {
      int r = renameat2 (c->cachefd, tmp, c->cachefd, rel, RENAME_NOREPLACE);
      if (r < 0 && errno == EINVAL) /* a filesystem without RENAME_NOREPLACE */
        r = renameat (c->cachefd, tmp, c->cachefd, rel);
      /* EEXIST/ENOTEMPTY: another session finished the same layer first; use theirs. */
      if (r < 0 && errno != EEXIST && errno != ENOTEMPTY)
        ret = clr_fail (err, errno, "rename %s into the layer cache", tmp);
    }

  /* Nothing half-extracted stays (and nothing left of a lost race). */
  clr_err rm_err;
  if (fstatat (c->cachefd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0)
    (void) clr_remove_tree_at (c->cachefd, tmp, &rm_err);
  if (ret < 0)
    return clr_wrap (err, "%s: layer %s", c->label, d->dg.text);
  *out = xasprintf ("%s/%s", c->cache_real, rel);
  return 0;
}

/* ------------------------------------------------------------------ open */

static void
image_freep (struct clr_image **img)
{
  clr_image_free (*img);
}

void
clr_image_free (struct clr_image *img)
{
  if (img == NULL)
    return;
  for (size_t i = 0; i < img->n_layers; i++)
    free (img->layers[i]);
  free (img->layers);
  free (img->manifest_digest);
  clr_strv_freep (&img->env);
  clr_strv_freep (&img->entrypoint);
  clr_strv_freep (&img->cmd);
  free (img->working_dir);
  free (img->user);
  free (img);
}

static int
open_dir_image (const char *image, struct clr_image **out, clr_err *err)
{
  struct stat st;
  if (stat (image, &st) < 0)
    return clr_fail (err, errno, "image %s", image);
  if (!S_ISDIR (st.st_mode))
    return clr_fail (err, 0, "image %s: not a directory (and not oci:PATH[:TAG])", image);
  char *real = realpath (image, NULL);
  if (real == NULL)
    return clr_fail (err, errno, "image %s", image);
  struct clr_image *img = xcalloc (1, sizeof *img);
  img->layers = xcalloc (1, sizeof *img->layers);
  img->layers[0] = real;
  img->n_layers = 1;
  img->env = xcalloc (1, sizeof *img->env);
  *out = img;
  return 0;
}

static int
read_config (struct ctx *c, const struct desc *cd, struct clr_image *img, clr_err *err)
{
  cleanup_json yajl_val root = NULL;
  if (read_json_blob (c, cd, "config", &root, err) < 0)
    return clr_wrap (err, "%s", c->label);
  yajl_val cfg = clr_json_get (root, "config");
  if (cfg != NULL && !YAJL_IS_NULL (cfg) && !YAJL_IS_OBJECT (cfg))
    return clr_fail (err, 0, "%s: config %s: \"config\" is not an object", c->label, cd->dg.text);
  if (jstrv (cfg, "Env", &img->env, err) < 0 || jstrv (cfg, "Entrypoint", &img->entrypoint, err) < 0
      || jstrv (cfg, "Cmd", &img->cmd, err) < 0)
    return clr_wrap (err, "%s: config %s", c->label, cd->dg.text);
  if (img->env == NULL)
    img->env = xcalloc (1, sizeof *img->env);
  static const char *const str_keys[] = { "WorkingDir", "User" };
  char **dst[] = { &img->working_dir, &img->user };
  for (size_t i = 0; i < 2; i++)
    {
      yajl_val v = clr_json_get (cfg, str_keys[i]);
      if (v && !YAJL_IS_NULL (v) && !YAJL_IS_STRING (v))
        return clr_fail (err, 0, "%s: config %s: config.%s: expected a string", c->label,
                         cd->dg.text, str_keys[i]);
      if (YAJL_IS_STRING (v) && v->u.string[0])
        *dst[i] = xstrdup (v->u.string);
    }
  return 0;
}

static int
open_oci_image (struct ctx *c, const char *cache_dir, struct clr_image **out, clr_err *err)
{
  char q[QUOTE_MAX];
  c->layoutfd = open (c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->layoutfd < 0)
    return clr_fail (err, errno, "%s", c->label);

  {
    cleanup_json yajl_val lay = NULL;
    if (read_json_file (c, "oci-layout", OCI_LAYOUT_MAX, &lay, err) < 0)
      return clr_wrap (err, "%s", c->label);
    const char *v = jstr (lay, "imageLayoutVersion");
    if (v == NULL || strcmp (v, "1.0.0") != 0)
      return clr_fail (err, 0, "%s: oci-layout: unsupported imageLayoutVersion%s%s%s", c->label,
                       v ? " \"" : "", v ? quote (v, q, sizeof q) : "", v ? "\"" : " (missing)");
  }

  struct desc md;
  {
    cleanup_json yajl_val index = NULL;
    if (read_json_file (c, "index.json", JSON_BLOB_MAX, &index, err) < 0)
      return clr_wrap (err, "%s", c->label);
    if (pick_tagged (c, index, &md, err) < 0)
      return -1;
  }
  if (resolve_index (c, &md, err) < 0)
    return -1;
  if (!in_list (md.media_type, mt_manifest))
    return clr_fail (err, 0, "%s: manifest %s: unsupported media type \"%s\"", c->label, md.dg.text,
                     quote (md.media_type, q, sizeof q));

  cleanup_json yajl_val man = NULL;
  if (read_json_blob (c, &md, "manifest", &man, err) < 0)
    return clr_wrap (err, "%s", c->label);
  yajl_val sv = clr_json_get (man, "schemaVersion");
  if (!YAJL_IS_INTEGER (sv) || YAJL_GET_INTEGER (sv) != 2)
    return clr_fail (err, 0, "%s: manifest %s: schemaVersion must be 2", c->label, md.dg.text);
  const char *own_mt = jstr (man, "mediaType");
  if (own_mt && strcmp (own_mt, md.media_type) != 0)
    return clr_fail (err, 0, "%s: manifest %s: mediaType \"%s\" does not match its descriptor",
                     c->label, md.dg.text, quote (own_mt, q, sizeof q));

  struct desc cd;
  if (parse_desc (clr_json_get (man, "config"), &cd, "config", err) < 0)
    return clr_wrap (err, "%s: manifest %s", c->label, md.dg.text);
  if (!in_list (cd.media_type, mt_config))
    return clr_fail (err, 0, "%s: manifest %s: not a container image (config media type \"%s\")",
                     c->label, md.dg.text, quote (cd.media_type, q, sizeof q));
  yajl_val layers = clr_json_get (man, "layers");
  if (!YAJL_IS_ARRAY (layers) || layers->u.array.len == 0)
    return clr_fail (err, 0, "%s: manifest %s: no layers", c->label, md.dg.text);
  size_t n = layers->u.array.len;
  if (n > MAX_LAYERS)
    return clr_fail (err, 0, "%s: manifest %s: %zu layers, at most %d can be stacked", c->label,
                     md.dg.text, n, MAX_LAYERS);
  cleanup_free struct desc *ld = xcalloc (n, sizeof *ld);
  for (size_t i = 0; i < n; i++)
    {
      char what[32];
      snprintf (what, sizeof what, "layers[%zu]", i);
      if (parse_desc (layers->u.array.values[i], &ld[i], what, err) < 0)
        return clr_wrap (err, "%s: manifest %s", c->label, md.dg.text);
      if (!in_list (ld[i].media_type, mt_layer))
        return clr_fail (err, 0, "%s: layer %s: unsupported media type \"%s\"", c->label,
                         ld[i].dg.text, quote (ld[i].media_type, q, sizeof q));
    }

  __attribute__ ((cleanup (image_freep))) struct clr_image *img = xcalloc (1, sizeof *img);
  img->manifest_digest = xstrdup (md.dg.text);
  if (read_config (c, &cd, img, err) < 0)
    return -1;

  /* Only now, with the image known to be sane, touch the cache. */
  if (open_cache (c, cache_dir ? cache_dir : CLR_DEFAULT_LAYER_CACHE, err) < 0)
    return clr_wrap (err, "%s", c->label);
  img->layers = xcalloc (n, sizeof *img->layers);
  for (size_t i = 0; i < n; i++)
    {
      if (ensure_layer (c, &ld[i], &img->layers[i], err) < 0)
        return -1;
      img->n_layers++;
    }
  *out = clr_steal_ptr (&img);
  return 0;
}

int
clr_image_open (const char *image, const char *cache_dir, struct clr_image **out, clr_err *err)
{
  *out = NULL;
  if (image == NULL || *image == '\0')
    return clr_fail (err, 0, "empty image name");
  if (!clr_has_prefix (image, "oci:"))
    return open_dir_image (image, out, err);

  /* oci:PATH[:TAG], split at the first colon as skopeo does (PATH cannot hold one). */
  struct ctx c = { .layoutfd = -1, .cachefd = -1 };
  const char *p = image + 4, *colon = strchr (p, ':');
  c.path = colon ? strndup (p, (size_t) (colon - p)) : xstrdup (p);
  if (c.path == NULL)
    abort ();
  c.label = xasprintf ("oci:%s", c.path);
  int ret;
  if (c.path[0] == '\0')
    ret = clr_fail (err, 0, "%s: no layout path", image);
  else if (colon && colon[1] == '\0')
    ret = clr_fail (err, 0, "%s: empty tag", image);
  else
    {
      if (colon)
        c.tag = xstrdup (colon + 1);
      ret = open_oci_image (&c, cache_dir, out, err);
    }
  ctx_clear (&c);
  return ret;
}
