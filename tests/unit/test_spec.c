/* Unit tests for `clawrun spec` and `clawrun features` (runtime/cmd_spec.c,
 * runtime/cmd_features.c, included here: command files are not in the library). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "runtime/cmd_spec.c"
#include "runtime/cmd_features.c"
#include "tap.h"

static struct clr_globals globals = { .root = "/run/clawrun" };

/* Run a command with ARGS (NULL-terminated, args[0] = command name); stderr goes to
 * /dev/null, stdout to OUT_PATH (NULL: /dev/null). */
static int
run_cmd (clr_cmd_fn fn, const char *out_path, const char **args)
{
  int argc = 0;
  char *argv[16];
  while (args[argc])
    {
      argv[argc] = (char *) args[argc];
      argc++;
    }
  argv[argc] = NULL;

  fflush (stdout);
  fflush (stderr);
  int saved_out = dup (1), saved_err = dup (2);
  int out = open (out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  dup2 (out, 1);
  dup2 (null, 2);
  optind = 0;
  int rc = fn (&globals, argc, argv);
  fflush (stdout);
  fflush (stderr);
  dup2 (saved_out, 1);
  dup2 (saved_err, 2);
  close (saved_out);
  close (saved_err);
  close (out);
  close (null);
  return rc;
}

static yajl_val
load_json (const char *path)
{
  char *text = NULL;
  size_t len;
  clr_err err;
  if (clr_read_file (path, 1 << 20, &text, &len, &err) < 0)
    return NULL;
  char errbuf[256];
  yajl_val v = yajl_tree_parse (text, errbuf, sizeof errbuf);
  free (text);
  return v;
}

static bool
json_equal (yajl_val a, yajl_val b)
{
  if (!a || !b)
    return a == b;
  if (YAJL_IS_OBJECT (a))
    {
      if (!YAJL_IS_OBJECT (b) || a->u.object.len != b->u.object.len)
        return false;
      for (size_t i = 0; i < a->u.object.len; i++)
        {
          const char *path[] = { a->u.object.keys[i], NULL };
          yajl_val other = yajl_tree_get (b, path, yajl_t_any);
          if (!other || !json_equal (a->u.object.values[i], other))
            return false;
        }
      return true;
    }
  if (YAJL_IS_ARRAY (a))
    {
      if (!YAJL_IS_ARRAY (b) || a->u.array.len != b->u.array.len)
        return false;
      for (size_t i = 0; i < a->u.array.len; i++)
        if (!json_equal (a->u.array.values[i], b->u.array.values[i]))
          return false;
      return true;
    }
  if (YAJL_IS_STRING (a))
    return YAJL_IS_STRING (b) && strcmp (a->u.string, b->u.string) == 0;
  if (YAJL_IS_NUMBER (a))
    return YAJL_IS_NUMBER (b) && strcmp (a->u.number.r, b->u.number.r) == 0;
  return a->type == b->type; /* true, false, null */
}

static yajl_val
get (yajl_val v, const char *a, const char *b, const char *c)
{
  const char *path[] = { a, b, c, NULL };
  return yajl_tree_get (v, path, yajl_t_any);
}

static const char *
get_str (yajl_val v, const char *a, const char *b, const char *c)
{
  yajl_val s = get (v, a, b, c);
  return YAJL_IS_STRING (s) ? s->u.string : NULL;
}

static bool
is_str (yajl_val v, const char *want)
{
  return YAJL_IS_STRING (v) && strcmp (v->u.string, want) == 0;
}

static size_t
array_len (yajl_val v)
{
  return YAJL_IS_ARRAY (v) ? v->u.array.len : (size_t) -1;
}

static bool
array_has (yajl_val arr, const char *key, const char *value)
{
  for (size_t i = 0; YAJL_IS_ARRAY (arr) && i < arr->u.array.len; i++)
    {
      yajl_val e = arr->u.array.values[i];
      if (key)
        e = get (e, key, NULL, NULL);
      if (YAJL_IS_STRING (e) && strcmp (e->u.string, value) == 0)
        return true;
    }
  return false;
}

static yajl_val
mount_at (yajl_val spec, const char *dest)
{
  yajl_val mounts = get (spec, "mounts", NULL, NULL);
  for (size_t i = 0; YAJL_IS_ARRAY (mounts) && i < mounts->u.array.len; i++)
    {
      const char *d = get_str (mounts->u.array.values[i], "destination", NULL, NULL);
      if (d && strcmp (d, dest) == 0)
        return mounts->u.array.values[i];
    }
  return NULL;
}

/* `runc spec [ARG]` in DIR; false when runc is missing or fails. */
static bool
runc_spec (const char *dir, const char *arg)
{
  if (system ("command -v runc >/dev/null 2>&1") != 0)
    return false;
  char *cmd = xasprintf ("cd '%s' && runc spec %s >/dev/null 2>&1", dir, arg ? arg : "");
  int rc = system (cmd);
  free (cmd);
  return rc == 0;
}

static void
test_spec (const char *tmp)
{
  char *dir = xasprintf ("%s/default", tmp);
  char *path = xasprintf ("%s/config.json", dir);
  mkdir (dir, 0755);

  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "--bundle", dir, NULL }) == 0,
          "spec --bundle DIR succeeds");
  yajl_val spec = load_json (path);
  TAP_OK (spec != NULL, "config.json is valid JSON");
  const char *v = get_str (spec, "ociVersion", NULL, NULL);
  TAP_OK (v && strcmp (v, "1.2.0") == 0, "ociVersion is 1.2.0");
  yajl_val args = get (spec, "process", "args", NULL);
  TAP_OK (array_len (args) == 1 && is_str (args->u.array.values[0], "sh"),
          "process.args is [\"sh\"]");
  v = get_str (spec, "root", "path", NULL);
  TAP_OK (v && strcmp (v, "rootfs") == 0, "root.path is rootfs");
  yajl_val ns = get (spec, "linux", "namespaces", NULL);
  TAP_OK (array_len (ns) == 5 && array_has (ns, "type", "network") && !array_has (ns, "type", "user"),
          "five namespaces including network, no user");
  TAP_OK (get (spec, "linux", "resources", NULL) != NULL, "linux.resources present");
  TAP_OK (array_len (get (spec, "linux", "maskedPaths", NULL)) == 10, "ten masked paths");
  TAP_OK (array_has (get (mount_at (spec, "/dev/pts"), "options", NULL, NULL), NULL, "gid=5"),
          "devpts has gid=5");
  TAP_OK (get (mount_at (spec, "/proc"), "options", NULL, NULL) == NULL, "/proc has no options key");

  struct stat before, after;
  stat (path, &before);
  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "-b", dir, NULL }) == 1,
          "spec refuses to overwrite config.json");
  TAP_OK (stat (path, &after) == 0 && after.st_ino == before.st_ino
              && after.st_size == before.st_size,
          "existing config.json left alone");

  char *rdir = xasprintf ("%s/runc", tmp);
  char *rpath = xasprintf ("%s/config.json", rdir);
  mkdir (rdir, 0755);
  if (runc_spec (rdir, NULL))
    {
      yajl_val ref = load_json (rpath);
      /* ociVersion differs on purpose: compare everything else. */
      yajl_val mine_v = get (spec, "ociVersion", NULL, NULL);
      yajl_val ref_v = get (ref, "ociVersion", NULL, NULL);
      char *saved = mine_v ? mine_v->u.string : NULL;
      if (mine_v && ref_v)
        mine_v->u.string = ref_v->u.string;
      TAP_OK (ref && json_equal (spec, ref), "spec equals `runc spec` apart from ociVersion");
      if (mine_v)
        mine_v->u.string = saved;
      yajl_tree_free (ref);
    }
  else
    TAP_SKIP ("runc not available", "spec equals `runc spec` apart from ociVersion");
  unlink (rpath);
  rmdir (rdir);
  yajl_tree_free (spec);
  unlink (path);
  rmdir (dir);
  free (dir);
  free (path);
  free (rdir);
  free (rpath);
}

static void
test_spec_rootless (const char *tmp)
{
  char *dir = xasprintf ("%s/rootless", tmp);
  char *path = xasprintf ("%s/config.json", dir);
  mkdir (dir, 0755);

  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "--rootless", "-b", dir, NULL }) == 0,
          "spec --rootless succeeds");
  yajl_val spec = load_json (path);
  TAP_OK (spec != NULL, "rootless config.json is valid JSON");
  yajl_val ns = get (spec, "linux", "namespaces", NULL);
  TAP_OK (array_len (ns) == 5 && array_has (ns, "type", "user") && !array_has (ns, "type", "network"),
          "rootless: user namespace, no network namespace");
  yajl_val uidmap = get (spec, "linux", "uidMappings", NULL);
  yajl_val gidmap = get (spec, "linux", "gidMappings", NULL);
  yajl_val uid = array_len (uidmap) == 1 ? get (uidmap->u.array.values[0], "hostID", NULL, NULL) : NULL;
  yajl_val gid = array_len (gidmap) == 1 ? get (gidmap->u.array.values[0], "hostID", NULL, NULL) : NULL;
  TAP_OK (YAJL_IS_INTEGER (uid) && YAJL_GET_INTEGER (uid) == (long long) geteuid (),
          "rootless: uidMappings maps the euid");
  TAP_OK (YAJL_IS_INTEGER (gid) && YAJL_GET_INTEGER (gid) == (long long) getegid (),
          "rootless: gidMappings maps the egid");
  TAP_OK (get (spec, "linux", "resources", NULL) == NULL, "rootless: no linux.resources");
  yajl_val sys = mount_at (spec, "/sys");
  const char *type = get_str (sys, "type", NULL, NULL);
  TAP_OK (type && strcmp (type, "none") == 0 && array_has (get (sys, "options", NULL, NULL), NULL, "rbind"),
          "rootless: /sys is an rbind");
  TAP_OK (!array_has (get (mount_at (spec, "/dev/pts"), "options", NULL, NULL), NULL, "gid=5"),
          "rootless: devpts without gid=5");

  char *rdir = xasprintf ("%s/runc-rootless", tmp);
  char *rpath = xasprintf ("%s/config.json", rdir);
  mkdir (rdir, 0755);
  if (runc_spec (rdir, "--rootless"))
    {
      yajl_val ref = load_json (rpath);
      yajl_val mine_v = get (spec, "ociVersion", NULL, NULL);
      yajl_val ref_v = get (ref, "ociVersion", NULL, NULL);
      char *saved = mine_v ? mine_v->u.string : NULL;
      if (mine_v && ref_v)
        mine_v->u.string = ref_v->u.string;
      TAP_OK (ref && json_equal (spec, ref),
              "spec --rootless equals `runc spec --rootless` apart from ociVersion");
      if (mine_v)
        mine_v->u.string = saved;
      yajl_tree_free (ref);
    }
  else
    TAP_SKIP ("runc not available", "spec --rootless equals `runc spec --rootless`");
  unlink (rpath);
  rmdir (rdir);
  yajl_tree_free (spec);
  unlink (path);
  rmdir (dir);
  free (dir);
  free (path);
  free (rdir);
  free (rpath);
}

static void
test_spec_usage (const char *tmp)
{
  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "--help", NULL }) == 0, "spec --help: 0");
  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "-h", NULL }) == 0, "spec -h: 0");
  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "--nope", NULL }) == 1,
          "spec --nope: usage error");
  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "-b", NULL }) == 1,
          "spec -b without a value: usage error");
  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "extra", NULL }) == 1,
          "spec with an argument: usage error");
  char *missing = xasprintf ("%s/does-not-exist", tmp);
  TAP_OK (run_cmd (cmd_spec, NULL, (const char *[]){ "spec", "-b", missing, NULL }) == 1,
          "spec into a missing bundle fails");
  free (missing);
}

static void
test_features (const char *tmp)
{
  char *out = xasprintf ("%s/features.json", tmp);
  TAP_OK (run_cmd (cmd_features, out, (const char *[]){ "features", NULL }) == 0, "features: 0");
  yajl_val f = load_json (out);
  TAP_OK (f != NULL, "features prints valid JSON");
  const char *v = get_str (f, "ociVersionMin", NULL, NULL);
  TAP_OK (v && strcmp (v, "1.0.0") == 0, "ociVersionMin 1.0.0");
  v = get_str (f, "ociVersionMax", NULL, NULL);
  TAP_OK (v && strcmp (v, "1.3.0") == 0, "ociVersionMax 1.3.0");
  TAP_OK (array_len (get (f, "hooks", NULL, NULL)) == 6, "six hooks");
  yajl_val mo = get (f, "mountOptions", NULL, NULL);
  TAP_OK (array_len (mo) != (size_t) -1 && array_len (mo) > 0, "mountOptions is a non-empty array");
  yajl_val ns = get (f, "linux", "namespaces", NULL);
  TAP_OK (array_len (ns) == 8 && array_has (ns, NULL, "time"), "eight namespaces including time");
  yajl_val caps = get (f, "linux", "capabilities", NULL);
  TAP_OK (array_len (caps) != (size_t) -1 && array_len (caps) >= 1
              && is_str (caps->u.array.values[0], "CAP_CHOWN"),
          "capabilities start with CAP_CHOWN");
  TAP_OK ((int) array_len (caps) <= clr_cap_last () + 1, "capabilities bounded by clr_cap_last");
  TAP_OK (YAJL_IS_TRUE (get (f, "linux", "cgroup", "v2")), "cgroup.v2 true");
  TAP_OK (YAJL_IS_TRUE (get (f, "linux", "cgroup", "systemd")), "cgroup.systemd true (the driver is built in)");
  TAP_OK (YAJL_IS_TRUE (get (f, "linux", "seccomp", "enabled")), "seccomp enabled");
  TAP_OK (array_len (get (f, "linux", "seccomp", "supportedFlags"))
              <= array_len (get (f, "linux", "seccomp", "knownFlags")),
          "supportedFlags subset of knownFlags (size)");
  const char *ann[] = { "annotations", "org.opencontainers.runc.checkpoint.enabled", NULL };
  yajl_val cp = yajl_tree_get (f, ann, yajl_t_string);
  TAP_OK (cp && strcmp (cp->u.string, "false") == 0, "checkpoint annotation false");
  const char *ver[] = { "annotations", "run.clawrun.version", NULL };
  yajl_val cv = yajl_tree_get (f, ver, yajl_t_string);
  TAP_OK (cv && strcmp (cv->u.string, CLAWRUN_VERSION) == 0, "clawrun version annotation");
  yajl_tree_free (f);
  unlink (out);
  free (out);

  TAP_OK (run_cmd (cmd_features, NULL, (const char *[]){ "features", "--help", NULL }) == 0,
          "features --help: 0");
  TAP_OK (run_cmd (cmd_features, NULL, (const char *[]){ "features", "--json", NULL }) == 1,
          "features --json: usage error");
  TAP_OK (run_cmd (cmd_features, NULL, (const char *[]){ "features", "x", NULL }) == 1,
          "features with an argument: usage error");
}

int
main (void)
{
  char tmp[] = "/tmp/clawrun-test-spec.XXXXXX";
  if (!mkdtemp (tmp))
    {
      perror ("mkdtemp");
      return 1;
    }
  test_spec (tmp);
  test_spec_rootless (tmp);
  test_spec_usage (tmp);
  test_features (tmp);
  rmdir (tmp);
  return tap_done ();
}
