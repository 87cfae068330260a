#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../cgroup/cgroup.h"
#include "json.h"
#include "state.h"
#include "util.h"

static const char *const status_names[] = {
  [CLR_STATUS_CREATING] = "creating", [CLR_STATUS_CREATED] = "created",
  [CLR_STATUS_RUNNING] = "running",   [CLR_STATUS_PAUSED] = "paused",
  [CLR_STATUS_STOPPED] = "stopped",
};

const char *
clr_status_name (enum clr_status s)
{
  return status_names[s];
}

int
clr_validate_id (const char *id, clr_err *err)
{
  size_t len = strlen (id);
  if (len == 0)
    return clr_fail (err, EINVAL, "container id must not be empty");
  if (len > CLR_ID_MAX)
    return clr_fail (err, EINVAL, "container id is longer than %d bytes", CLR_ID_MAX);
  /* The id names a directory under --root and a cgroup: no "/", no "." or "..", and
   * only the characters runc accepts ([A-Za-z0-9_+.-]). */
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return clr_fail (err, EINVAL, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
      return clr_fail (err, EINVAL, "invalid container id \"%.64s\": only [A-Za-z0-9_+.-] allowed", id);
  return 0;
}

int
clr_root_open (const char *root, bool create, int *rootfd, clr_err *err)
{
  if (create)
    {
      /* mkdir -p, 0700: the state of other users' containers is private. */
      cleanup_free char *p = xstrdup (root);
      for (char *s = p + 1; *s; s++)
        if (*s == '/')
          {
            *s = '\0';
            if (mkdir (p, 0755) < 0 && errno != EEXIST)
              return clr_fail (err, errno, "mkdir %s", p);
            *s = '/';
          }
      if (mkdir (p, 0700) < 0 && errno != EEXIST)
        return clr_fail (err, errno, "mkdir %s", p);
    }
  *rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*rootfd < 0)
    return clr_fail (err, errno, "open state root %s", root);
  return 0;
}

int
clr_state_dir_create (int rootfd, const char *id, int *dirfd, clr_err *err)
{
  if (mkdirat (rootfd, id, 0711) < 0)
    {
      if (errno == EEXIST)
        return clr_fail (err, 0, "container with id exists: %s", id);
      return clr_fail (err, errno, "mkdir state directory %s", id);
    }
  int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return clr_fail (err, e, "open state directory %s", id);
    }
  *dirfd = fd;
  return 0;
}

int
clr_state_dir_open (int rootfd, const char *id, bool lock, int *dirfd, clr_err *err)
{
  int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return clr_fail (err, 0, "container %s does not exist", id), err->code = ENOENT, -1;
      return clr_fail (err, errno, "open state directory %s", id);
    }
  if (lock && flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      close (fd);
      return clr_fail (err, e, "lock state directory %s", id);
    }
  *dirfd = fd;
  return 0;
}

int
clr_state_dir_remove (int rootfd, const char *id, clr_err *err)
{
  return clr_remove_tree_at (rootfd, id, err);
}

static void
gen_str (yajl_gen g, const char *key, const char *val)
{
  clr_json_str (g, key);
  clr_json_str (g, val ? val : "");
}

static void
gen_int (yajl_gen g, const char *key, long long v)
{
  clr_json_str (g, key);
  yajl_gen_integer (g, v);
}

static void
gen_annotations (yajl_gen g, const struct clr_state *st)
{
  if (st->annotation_keys == NULL || st->annotation_keys[0] == NULL)
    return;
  clr_json_str (g, "annotations");
  yajl_gen_map_open (g);
  for (size_t i = 0; st->annotation_keys[i]; i++)
    gen_str (g, st->annotation_keys[i], st->annotation_values[i]);
  yajl_gen_map_close (g);
}

int
clr_state_write (int dirfd, const struct clr_state *st, clr_err *err)
{
  yajl_gen g = clr_json_gen (false);
  yajl_gen_map_open (g);
  gen_str (g, "id", st->id);
  gen_int (g, "pid", st->pid);
  clr_json_str (g, "pid_start");
  yajl_gen_integer (g, (long long) st->pid_start);
  clr_json_str (g, "creating");
  yajl_gen_bool (g, st->creating);
  gen_str (g, "bundle", st->bundle);
  gen_str (g, "rootfs", st->rootfs);
  gen_str (g, "created", st->created);
  gen_str (g, "owner", st->owner);
  gen_str (g, "cgroup_path", st->cgroup_path);
  gen_annotations (g, st);
  yajl_gen_map_close (g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  int ret = clr_write_file_atomic_at (dirfd, "state.json", buf, len, 0600, err);
  yajl_gen_free (g);
  return ret;
}

static char *
tree_str (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_int (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

int
clr_state_read (int dirfd, struct clr_state **out, clr_err *err)
{
  cleanup_free char *data = NULL;
  if (clr_read_file_at (dirfd, "state.json", 1 << 20, &data, NULL, err) < 0)
    return -1;
  char ebuf[256];
  yajl_val root = yajl_tree_parse (data, ebuf, sizeof ebuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      if (root)
        yajl_tree_free (root);
      return clr_fail (err, EINVAL, "state.json: corrupt");
    }
  struct clr_state *st = xcalloc (1, sizeof *st);
  st->id = tree_str (root, "id");
  st->pid = (pid_t) tree_int (root, "pid");
  st->pid_start = (uint64_t) tree_int (root, "pid_start");
  const char *cpath[] = { "creating", NULL };
  st->creating = YAJL_IS_TRUE (yajl_tree_get (root, cpath, yajl_t_true));
  st->bundle = tree_str (root, "bundle");
  st->rootfs = tree_str (root, "rootfs");
  st->created = tree_str (root, "created");
  st->owner = tree_str (root, "owner");
  st->cgroup_path = tree_str (root, "cgroup_path");
  const char *apath[] = { "annotations", NULL };
  yajl_val ann = yajl_tree_get (root, apath, yajl_t_object);
  size_t n = ann ? YAJL_GET_OBJECT (ann)->len : 0;
  st->annotation_keys = xcalloc (n + 1, sizeof (char *));
  st->annotation_values = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0, j = 0; i < n; i++)
    {
      yajl_val v = YAJL_GET_OBJECT (ann)->values[i];
      if (!YAJL_IS_STRING (v))
        continue;
      st->annotation_keys[j] = xstrdup (YAJL_GET_OBJECT (ann)->keys[i]);
      st->annotation_values[j++] = xstrdup (YAJL_GET_STRING (v));
    }
  yajl_tree_free (root);
  if (st->id == NULL)
    {
      clr_state_free (st);
      return clr_fail (err, EINVAL, "state.json: corrupt (no id)");
    }
  *out = st;
  return 0;
}

void
clr_state_free (struct clr_state *st)
{
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_path);
  clr_strv_freep (&st->annotation_keys);
  clr_strv_freep (&st->annotation_values);
  free (st);
}

int
clr_state_status (int dirfd, const struct clr_state *st, enum clr_status *status, int *pidfd,
                  clr_err *err)
{
  if (pidfd)
    *pidfd = -1;
  if (st->pid <= 0)
    {
      *status = st->creating ? CLR_STATUS_CREATING : CLR_STATUS_STOPPED;
      return 0;
    }
  int fd = clr_pidfd_open_checked (st->pid, st->pid_start);
  if (fd < 0)
    {
      *status = CLR_STATUS_STOPPED;
      return 0;
    }
  /* A zombie init has exited: the container is stopped. */
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/stat", st->pid);
  cleanup_close int sfd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = sfd >= 0 ? read (sfd, buf, sizeof buf - 1) : -1;
  if (n > 0)
    {
      buf[n] = '\0';
      char *p = strrchr (buf, ')');
      if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
        {
          close (fd);
          *status = CLR_STATUS_STOPPED;
          return 0;
        }
    }
  if (st->creating)
    *status = CLR_STATUS_CREATING;
  else if (faccessat (dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    *status = CLR_STATUS_CREATED;
  else
    {
      *status = CLR_STATUS_RUNNING;
      cleanup_cgroup struct clr_cgroup *cg = NULL;
      bool frozen = false;
      if (st->cgroup_path && clr_cgroup_open (st->cgroup_path, &cg, err) == 0
          && clr_cgroup_is_frozen (cg, &frozen, err) == 0 && frozen)
        *status = CLR_STATUS_PAUSED;
    }
  if (pidfd)
    *pidfd = fd;
  else
    close (fd);
  return 0;
}

char *
clr_state_json (const struct clr_state *st, enum clr_status status, bool pretty)
{
  yajl_gen g = clr_json_gen (pretty);
  yajl_gen_map_open (g);
  gen_str (g, "ociVersion", CLR_OCI_VERSION);
  gen_str (g, "id", st->id);
  gen_str (g, "status", clr_status_name (status));
  gen_int (g, "pid", status == CLR_STATUS_STOPPED ? 0 : st->pid);
  gen_str (g, "bundle", st->bundle);
  if (pretty)
    {
      gen_str (g, "rootfs", st->rootfs);
      gen_str (g, "created", st->created);
      gen_str (g, "owner", st->owner);
    }
  gen_annotations (g, st);
  yajl_gen_map_close (g);
  char *s = clr_json_gen_take (g);
  return s;
}

int
clr_state_load_config (int dirfd, struct clr_config **cfg, clr_err *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  if (clr_read_file_at (dirfd, "config.json", 64 << 20, &data, &len, err) < 0)
    return -1;
  return clr_config_parse (data, len, cfg, err);
}
