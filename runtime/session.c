#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "../cgroup/cgroup.h"
#include "../cgroup/stats.h"
#include "../rootfs/image.h"
#include "../rootfs/rootfs.h"
#include "../seccomp/profiles.h"
#include "cli.h"
#include "container.h"
#include "exec.h"
#include "json.h"
#include "log.h"
#include "session.h"
#include "state.h"
#include "util.h"

extern char **environ;

/* ---- options ---- */

struct strv {
  char **v;
  size_t n;
};

static void
strv_push (struct strv *s, const char *x)
{
  s->v = xrealloc (s->v, (s->n + 2) * sizeof (char *));
  s->v[s->n++] = xstrdup (x);
  s->v[s->n] = NULL;
}

static void
strv_clear (struct strv *s)
{
  clr_strv_freep (&s->v);
  s->n = 0;
}

struct session_opts {
  char *image, *name, *workdir, *user, *hostname, *export_to, *audit_log, *seccomp, *network,
      *layer_cache, *entrypoint, *userns;
  struct strv env, env_files, volumes, secrets, exports, caps, allow, block, args;
  bool interactive, tty, dry_run;
  uint64_t memory, pids, workspace_size, tmp_size;
  double cpus;
  uint64_t timeout_ms, grace_ms;
};

static void
opts_free (struct session_opts *o)
{
  char **s[] = { &o->image, &o->name, &o->workdir, &o->user, &o->hostname, &o->export_to,
                 &o->audit_log, &o->seccomp, &o->network, &o->layer_cache, &o->entrypoint, &o->userns };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (s); i++)
    free (*s[i]);
  struct strv *v[] = { &o->env, &o->env_files, &o->volumes, &o->secrets, &o->exports,
                       &o->caps, &o->allow, &o->block, &o->args };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (v); i++)
    strv_clear (v[i]);
}

static void
set_str (char **dst, const char *v)
{
  free (*dst);
  *dst = xstrdup (v);
}

/* "512m", "2g", "1048576", "64k" (binary units, as docker) */
static int
parse_size (const char *what, const char *s, uint64_t *out, clr_err *err)
{
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s || v < 0)
    return clr_fail (err, 0, "%s \"%s\": expected a size such as 512m or 2g", what, s);
  uint64_t mul = 1;
  switch (tolower ((unsigned char) *end))
    {
    case '\0':
    case 'b':
      break;
    case 'k':
      mul = 1ULL << 10;
      break;
    case 'm':
      mul = 1ULL << 20;
      break;
    case 'g':
      mul = 1ULL << 30;
      break;
    case 't':
      mul = 1ULL << 40;
      break;
    default:
      return clr_fail (err, 0, "%s \"%s\": expected a size such as 512m or 2g", what, s);
    }
  if (*end && end[1] && !(tolower ((unsigned char) end[1]) == 'b' && end[2] == '\0')
      && !(tolower ((unsigned char) end[1]) == 'i' && tolower ((unsigned char) end[2]) == 'b' && end[3] == '\0'))
    return clr_fail (err, 0, "%s \"%s\": expected a size such as 512m or 2g", what, s);
  *out = (uint64_t) (v * (double) mul);
  return 0;
}

/* "30m", "10s", "1h30m", "500ms", "90" (seconds) */
static int
parse_duration (const char *what, const char *s, uint64_t *ms, clr_err *err)
{
  const char *p = s;
  double total = 0;
  if (*p == '\0')
    goto bad;
  while (*p)
    {
      char *end;
      errno = 0;
      double v = strtod (p, &end);
      if (errno || end == p || v < 0)
        goto bad;
      p = end;
      double unit = 1000;
      if (strncmp (p, "ms", 2) == 0)
        unit = 1, p += 2;
      else if (*p == 's')
        unit = 1000, p++;
      else if (*p == 'm')
        unit = 60000, p++;
      else if (*p == 'h')
        unit = 3600000, p++;
      else if (*p != '\0')
        goto bad;
      total += v * unit;
    }
  *ms = (uint64_t) total;
  return 0;
bad:
  return clr_fail (err, 0, "%s \"%s\": expected a duration such as 30m, 10s or 500ms", what, s);
}

enum {
  O_IMAGE = 256, O_NAME, O_ENV_FILE, O_HOSTNAME, O_MEMORY, O_CPUS, O_PIDS, O_WS, O_TMP, O_TIMEOUT,
  O_GRACE, O_SECRET, O_EXPORT, O_EXPORT_TO, O_AUDIT, O_SECCOMP, O_CAP_ADD, O_NETWORK, O_ALLOW,
  O_BLOCK, O_PROFILE, O_DRY_RUN, O_LAYER_CACHE, O_ENTRYPOINT, O_USERNS,
};

static const struct option session_options[] = {
  { "image", required_argument, NULL, O_IMAGE },
  { "name", required_argument, NULL, O_NAME },
  { "env", required_argument, NULL, 'e' },
  { "env-file", required_argument, NULL, O_ENV_FILE },
  { "volume", required_argument, NULL, 'v' },
  { "workdir", required_argument, NULL, 'w' },
  { "user", required_argument, NULL, 'u' },
  { "hostname", required_argument, NULL, O_HOSTNAME },
  { "interactive", no_argument, NULL, 'i' },
  { "tty", no_argument, NULL, 't' },
  { "memory", required_argument, NULL, O_MEMORY },
  { "cpus", required_argument, NULL, O_CPUS },
  { "pids-limit", required_argument, NULL, O_PIDS },
  { "workspace-size", required_argument, NULL, O_WS },
  { "tmp-size", required_argument, NULL, O_TMP },
  { "timeout", required_argument, NULL, O_TIMEOUT },
  { "grace", required_argument, NULL, O_GRACE },
  { "secret", required_argument, NULL, O_SECRET },
  { "export", required_argument, NULL, O_EXPORT },
  { "export-to", required_argument, NULL, O_EXPORT_TO },
  { "audit-log", required_argument, NULL, O_AUDIT },
  { "seccomp", required_argument, NULL, O_SECCOMP },
  { "cap-add", required_argument, NULL, O_CAP_ADD },
  { "network", required_argument, NULL, O_NETWORK },
  { "allow", required_argument, NULL, O_ALLOW },
  { "block", required_argument, NULL, O_BLOCK },
  { "profile", required_argument, NULL, O_PROFILE },
  { "dry-run", no_argument, NULL, O_DRY_RUN },
  { "layer-cache", required_argument, NULL, O_LAYER_CACHE },
  { "entrypoint", required_argument, NULL, O_ENTRYPOINT },
  { "userns", required_argument, NULL, O_USERNS },
  { "help", no_argument, NULL, 'h' },
  { 0 },
};

static const char *const session_help_lines[] = {
  "--image IMAGE", "a root filesystem directory, or oci:PATH[:TAG] (an OCI image layout)",
  "--name ID", "session (container) id (default: generated)",
  "-e, --env K=V", "set an environment variable (K alone: take it from here)",
  "--env-file FILE", "read K=V lines",
  "-v, --volume HOST:CTR[:ro]", "bind-mount a host path",
  "-w, --workdir DIR", "working directory (default: the image's, else /workspace)",
  "-u, --user UID[:GID]|NAME", "user (default: the image's, else 1000:1000)",
  "--hostname NAME", "hostname (default: the session id)",
  "-i, --interactive", "keep stdin open (default: /dev/null)",
  "-t, --tty", "allocate a terminal",
  "--memory SIZE", "memory limit (default 2g)",
  "--cpus N", "CPU limit (default 2)",
  "--pids-limit N", "process limit (default 64)",
  "--workspace-size SIZE", "size of the writable workspace and overlay upper (default 5g)",
  "--tmp-size SIZE", "size of /tmp (default 1g)",
  "--timeout DUR", "wall-clock limit (default 30m): then SIGTERM to the whole session",
  "--grace DUR", "after the timeout's SIGTERM, SIGKILL after DUR (default 10s)",
  "--secret NAME[=FILE]", "put NAME in the process environment only, from our environment or a 0600 file",
  "--export GLOB", "copy matching files out of /workspace when the session ends (repeatable)",
  "--export-to DIR", "where --export copies to (default ./clawrun-export-ID)",
  "--audit-log FILE", "append JSON lines describing the session",
  "--seccomp PROFILE", "default, strict, unconfined, or a JSON file",
  "--cap-add CAP", "grant a capability (default: none)",
  "--network MODE", "none (default until the network sandbox lands)",
  "--profile FILE", "all of these options as one JSON document; flags override it",
  "--dry-run", "print the OCI config the session would run, and exit",
  "--layer-cache DIR", "image layer cache (default " CLR_DEFAULT_LAYER_CACHE ")",
  "--entrypoint CMD", "replace the image's Entrypoint (\"\" clears it)",
  "--userns MODE", "private (default where the host allows: session ids are unprivileged host ids) or host",
  NULL,
};

static int
apply_option (struct session_opts *o, int c, const char *arg, clr_err *err)
{
  switch (c)
    {
    case O_IMAGE:
      set_str (&o->image, arg);
      break;
    case O_NAME:
      set_str (&o->name, arg);
      break;
    case 'e':
      strv_push (&o->env, arg);
      break;
    case O_ENV_FILE:
      strv_push (&o->env_files, arg);
      break;
    case 'v':
      strv_push (&o->volumes, arg);
      break;
    case 'w':
      set_str (&o->workdir, arg);
      break;
    case 'u':
      set_str (&o->user, arg);
      break;
    case O_HOSTNAME:
      set_str (&o->hostname, arg);
      break;
    case 'i':
      o->interactive = true;
      break;
    case 't':
      o->tty = true;
      break;
    case O_MEMORY:
      return parse_size ("--memory", arg, &o->memory, err);
    case O_CPUS:
      {
        char *end;
        o->cpus = strtod (arg, &end);
        if (end == arg || *end || o->cpus <= 0 || o->cpus > 4096)
          return clr_fail (err, 0, "--cpus \"%s\": expected a positive number", arg);
        break;
      }
    case O_PIDS:
      if (clr_parse_u64 (arg, 1 << 22, &o->pids) < 0 || o->pids == 0)
        return clr_fail (err, 0, "--pids-limit \"%s\": expected a positive number", arg);
      break;
    case O_WS:
      return parse_size ("--workspace-size", arg, &o->workspace_size, err);
    case O_TMP:
      return parse_size ("--tmp-size", arg, &o->tmp_size, err);
    case O_TIMEOUT:
      return parse_duration ("--timeout", arg, &o->timeout_ms, err);
    case O_GRACE:
      return parse_duration ("--grace", arg, &o->grace_ms, err);
    case O_SECRET:
      strv_push (&o->secrets, arg);
      break;
    case O_EXPORT:
      strv_push (&o->exports, arg);
      break;
    case O_EXPORT_TO:
      set_str (&o->export_to, arg);
      break;
    case O_AUDIT:
      set_str (&o->audit_log, arg);
      break;
    case O_SECCOMP:
      set_str (&o->seccomp, arg);
      break;
    case O_CAP_ADD:
      strv_push (&o->caps, arg);
      break;
    case O_NETWORK:
      set_str (&o->network, arg);
      break;
    case O_ALLOW:
      strv_push (&o->allow, arg);
      break;
    case O_BLOCK:
      strv_push (&o->block, arg);
      break;
    case O_DRY_RUN:
      o->dry_run = true;
      break;
    case O_LAYER_CACHE:
      set_str (&o->layer_cache, arg);
      break;
    case O_ENTRYPOINT:
      set_str (&o->entrypoint, arg);
      break;
    case O_USERNS:
      if (strcmp (arg, "private") != 0 && strcmp (arg, "host") != 0)
        return clr_fail (err, 0, "--userns \"%s\": expected private or host", arg);
      set_str (&o->userns, arg);
      break;
    default:
      return clr_fail (err, 0, "internal: unknown option %d", c);
    }
  return 0;
}

/* --profile: {"image": "...", "memory": "1g", "env": ["A=b"], "dry-run": false, ...}
 * with the long option names as keys; strings, numbers, booleans, or arrays of
 * strings for the repeatable ones. */
static int
load_profile (struct session_opts *o, const char *path, clr_err *err)
{
  cleanup_free char *data = NULL;
  if (clr_read_file (path, 1 << 20, &data, NULL, err) < 0)
    return clr_wrap (err, "--profile");
  char ebuf[256];
  yajl_val root = yajl_tree_parse (data, ebuf, sizeof ebuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      if (root)
        yajl_tree_free (root);
      return clr_fail (err, 0, "--profile %s: expected a JSON object%s%.120s", path, root ? "" : ": ",
                       root ? "" : ebuf);
    }
  int ret = 0;
  for (size_t i = 0; i < YAJL_GET_OBJECT (root)->len && ret == 0; i++)
    {
      const char *key = YAJL_GET_OBJECT (root)->keys[i];
      yajl_val v = YAJL_GET_OBJECT (root)->values[i];
      const struct option *opt = NULL;
      for (const struct option *p = session_options; p->name; p++)
        if (strcmp (p->name, key) == 0 && strcmp (key, "profile") != 0 && strcmp (key, "help") != 0)
          opt = p;
      if (opt == NULL)
        {
          ret = clr_fail (err, 0, "--profile %s: unknown key \"%s\"", path, key);
          break;
        }
      if (opt->has_arg == no_argument)
        {
          if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
            ret = clr_fail (err, 0, "--profile %s: \"%s\": expected true or false", path, key);
          else if (YAJL_IS_TRUE (v))
            ret = apply_option (o, opt->val, "", err);
          continue;
        }
      size_t n = YAJL_IS_ARRAY (v) ? YAJL_GET_ARRAY (v)->len : 1;
      for (size_t j = 0; j < n && ret == 0; j++)
        {
          yajl_val x = YAJL_IS_ARRAY (v) ? YAJL_GET_ARRAY (v)->values[j] : v;
          char num[64];
          const char *arg;
          if (YAJL_IS_STRING (x))
            arg = YAJL_GET_STRING (x);
          else if (YAJL_IS_NUMBER (x))
            {
              snprintf (num, sizeof num, "%s", YAJL_GET_NUMBER (x));
              arg = num;
            }
          else
            {
              ret = clr_fail (err, 0, "--profile %s: \"%s\": expected a string or number", path, key);
              break;
            }
          if (apply_option (o, opt->val, arg, err) < 0)
            ret = clr_wrap (err, "--profile %s", path);
        }
    }
  yajl_tree_free (root);
  return ret;
}

static int
parse_session_args (int argc, char **argv, struct session_opts *o, bool *help, clr_err *err)
{
  /* defaults: shared/design/security.md "Default sandbox profile" */
  o->memory = 2ULL << 30;
  o->cpus = 2;
  o->pids = 64;
  o->workspace_size = 5ULL << 30;
  o->tmp_size = 1ULL << 30;
  o->timeout_ms = 30 * 60 * 1000;
  o->grace_ms = 10 * 1000;
  static const char *const shortopts = "+:e:v:w:u:ith";
  /* pass 1: --profile only, so that every flag overrides it */
  opterr = 0;
  optind = 0;
  int c;
  while ((c = getopt_long (argc, argv, shortopts, session_options, NULL)) != -1)
    if (c == O_PROFILE && load_profile (o, optarg, err) < 0)
      return -1;
  optind = 0;
  /* Lists given on the command line replace the profile's. */
  bool seen[O_USERNS + 1] = { 0 };
  while ((c = getopt_long (argc, argv, shortopts, session_options, NULL)) != -1)
    {
      if (c == 'h')
        {
          *help = true;
          return 0;
        }
      if (c == O_PROFILE)
        continue;
      if (c == '?' || c == ':')
        {
          const char *w = argv[optind - 1];
          return clr_fail (err, 0, c == ':' ? "option '%s' requires an argument" : "unknown option '%s'", w);
        }
      if (!seen[c < (int) CLR_ARRAY_SIZE (seen) ? c : 0])
        {
          struct strv *l = c == 'e' ? &o->env : c == O_ENV_FILE ? &o->env_files : c == 'v' ? &o->volumes
                         : c == O_SECRET ? &o->secrets : c == O_EXPORT ? &o->exports : c == O_CAP_ADD ? &o->caps
                         : c == O_ALLOW ? &o->allow : c == O_BLOCK ? &o->block : NULL;
          if (l)
            strv_clear (l);
          if (c < (int) CLR_ARRAY_SIZE (seen))
            seen[c] = true;
        }
      if (apply_option (o, c, optarg, err) < 0)
        return -1;
    }
  for (int i = optind; i < argc; i++)
    if (!(i == optind && strcmp (argv[i], "--") == 0))
      strv_push (&o->args, argv[i]);
  if (o->image == NULL)
    return clr_fail (err, 0, "--image: missing");
  if (o->network && strcmp (o->network, "none") != 0)
    return clr_fail (err, EOPNOTSUPP, "--network %s: only \"none\" is available until the network sandbox lands", o->network);
  if (o->allow.n || o->block.n)
    return clr_fail (err, EOPNOTSUPP, "--allow/--block: the egress allowlist is not available yet");
  if (o->grace_ms == 0)
    o->grace_ms = 1;
  return 0;
}

bool
clr_session_requested (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return false;
      if (strcmp (argv[i], "--image") == 0 || clr_has_prefix (argv[i], "--image="))
        return true;
    }
  return false;
}

/* ---- secrets: values live in memory only ---- */

static void
scrub_own_env (const char *name)
{
  /* /proc/<pid>/environ shows the original block: overwrite the value in place */
  size_t l = strlen (name);
  for (char **e = environ; e && *e; e++)
    if (strncmp (*e, name, l) == 0 && (*e)[l] == '=')
      explicit_bzero (*e + l + 1, strlen (*e + l + 1));
  unsetenv (name);
}

static int
read_secrets (const struct session_opts *o, struct strv *out, clr_err *err)
{
  for (size_t i = 0; i < o->secrets.n; i++)
    {
      const char *spec = o->secrets.v[i];
      const char *eq = strchr (spec, '=');
      cleanup_free char *name = eq ? strndup (spec, eq - spec) : xstrdup (spec);
      if (name[0] == '\0' || strchr (name, '='))
        return clr_fail (err, 0, "--secret \"%s\": expected NAME or NAME=FILE", spec);
      cleanup_free char *value = NULL;
      if (eq)
        {
          cleanup_close int fd = open (eq + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
          struct stat st;
          if (fd < 0 || fstat (fd, &st) < 0)
            return clr_fail (err, errno, "--secret %s: open %s", name, eq + 1);
          if (!S_ISREG (st.st_mode) || (st.st_mode & 077))
            return clr_fail (err, 0, "--secret %s: %s must be a regular file with mode 0600 or stricter", name,
                             eq + 1);
          size_t len;
          if (clr_read_fd (fd, 1 << 20, &value, &len, err) < 0)
            return clr_wrap (err, "--secret %s", name);
          while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\r'))
            value[--len] = '\0';
        }
      else
        {
          const char *v = getenv (name);
          if (v == NULL)
            return clr_fail (err, 0, "--secret %s: not set in clawrun's environment", name);
          value = xstrdup (v);
          scrub_own_env (name);
        }
      char *kv = xasprintf ("%s=%s", name, value);
      explicit_bzero (value, strlen (value));
      strv_push (out, kv);
      explicit_bzero (kv, strlen (kv));
      free (kv);
    }
  return 0;
}

static void
wipe_strv (struct strv *s)
{
  for (size_t i = 0; i < s->n; i++)
    explicit_bzero (s->v[i], strlen (s->v[i]));
  strv_clear (s);
}

/* ---- the process ---- */

/* "uid[:gid]" or a user name looked up in the image's /etc/passwd (top layer first). */
static int
resolve_user (const char *spec, const struct clr_image *img, uint32_t *uid, uint32_t *gid, clr_err *err)
{
  bool has_gid;
  clr_err e2;
  if (clr_parse_user (spec, uid, gid, &has_gid, &e2) == 0)
    {
      if (!has_gid)
        *gid = *uid;
      return 0;
    }
  cleanup_free char *name = xstrdup (spec);
  char *colon = strchr (name, ':');
  if (colon)
    *colon = '\0';
  for (size_t i = img->n_layers; i-- > 0;)
    {
      cleanup_free char *path = xasprintf ("%s/etc/passwd", img->layers[i]);
      cleanup_file FILE *f = fopen (path, "re");
      char line[1024];
      while (f && fgets (line, sizeof line, f))
        {
          char *save, *n = strtok_r (line, ":", &save), *x = strtok_r (NULL, ":", &save);
          char *u = strtok_r (NULL, ":", &save), *g = strtok_r (NULL, ":", &save);
          uint64_t a, b;
          (void) x;
          if (n && u && g && strcmp (n, name) == 0 && clr_parse_u64 (u, UINT32_MAX - 1, &a) == 0
              && clr_parse_u64 (g, UINT32_MAX - 1, &b) == 0)
            {
              *uid = (uint32_t) a;
              *gid = (uint32_t) b;
              if (colon && clr_parse_u64 (colon + 1, UINT32_MAX - 1, &b) == 0)
                *gid = (uint32_t) b;
              return 0;
            }
        }
      if (f)
        break; /* the top-most passwd decides */
    }
  return clr_fail (err, 0, "--user \"%s\": not a uid[:gid] and not a user of the image", spec);
}

static int
read_env_file (const char *path, struct strv *env, clr_err *err)
{
  cleanup_file FILE *f = fopen (path, "re");
  if (f == NULL)
    return clr_fail (err, errno, "--env-file %s", path);
  char line[8192];
  while (fgets (line, sizeof line, f))
    {
      line[strcspn (line, "\r\n")] = '\0';
      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (strchr (line, '=') == NULL)
        {
          const char *v = getenv (line);
          if (v)
            {
              cleanup_free char *kv = xasprintf ("%s=%s", line, v);
              strv_push (env, kv);
            }
          continue;
        }
      strv_push (env, line);
    }
  return 0;
}

/* name=value list with later entries replacing earlier ones of the same name */
static void
env_set (struct strv *env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t kl = eq ? (size_t) (eq - kv) : strlen (kv);
  for (size_t i = 0; i < env->n; i++)
    if (strncmp (env->v[i], kv, kl) == 0 && env->v[i][kl] == '=')
      {
        free (env->v[i]);
        env->v[i] = xstrdup (kv);
        return;
      }
  strv_push (env, kv);
}

/* Host ids of the session's ids 0..65535 when it has a user namespace (the default
 * profile's "user where the host allows"): a range nothing on a Debian host allocates,
 * so even a process that became root in the sandbox is nobody on the host. */
#define SESSION_ID_BASE 2000000000LL
#define SESSION_ID_RANGE 65536

/* Every runner mounts its session tmpfs here, in its own private mount namespace: a
 * path the sandbox's user namespace can traverse (no 0700 state directory above it),
 * and nothing per session on the host's filesystem. */
#define SESSION_DIR "/run/clawrun-session"

static bool
host_allows_userns (void)
{
  char buf[32] = "";
  cleanup_close int fd = open ("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read (fd, buf, sizeof buf - 1) > 0 && atoi (buf) > 0;
}

unsigned
clr_session_host_root (void)
{
  return host_allows_userns () ? (unsigned) SESSION_ID_BASE : 0;
}

struct session_plan {
  char id[80];
  bool userns;
  char *dir;             /* per-session tmpfs (inside our private mount namespace) */
  struct clr_image *img;
  struct clr_arena *arena;
  struct clr_seccomp *seccomp;
  uint32_t uid, gid;
  char *cwd;
  struct strv env, argv;
  uint64_t caps;
};

static void
plan_free (struct session_plan *p)
{
  free (p->dir);
  if (p->img)
    clr_image_free (p->img);
  if (p->arena)
    clr_arena_free (p->arena);
  free (p->cwd);
  strv_clear (&p->env);
  strv_clear (&p->argv);
}

static int
build_plan (const struct session_opts *o, struct session_plan *p, clr_err *err)
{
  if (o->name)
    {
      if (clr_validate_id (o->name, err) < 0)
        return clr_wrap (err, "--name");
      snprintf (p->id, sizeof p->id, "%s", o->name);
      if (strlen (o->name) >= sizeof p->id)
        return clr_fail (err, 0, "--name: at most %zu characters", sizeof p->id - 1);
    }
  else
    {
      unsigned char r[6];
      if (getrandom (r, sizeof r, 0) != sizeof r)
        return clr_fail (err, errno, "getrandom");
      snprintf (p->id, sizeof p->id, "session-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
    }
  if (clr_image_open (o->image, o->layer_cache, &p->img, err) < 0)
    return -1;
  p->arena = clr_arena_new ();
  if (clr_seccomp_profile (o->seccomp ? o->seccomp : "default", p->arena, &p->seccomp, err) < 0)
    return -1;
  for (size_t i = 0; i < o->caps.n; i++)
    {
      const char *n = o->caps.v[i];
      cleanup_free char *full = clr_has_prefix (n, "CAP_") ? xstrdup (n) : xasprintf ("CAP_%s", n);
      for (char *q = full; *q; q++)
        *q = (char) toupper ((unsigned char) *q);
      int cap = clr_cap_from_name (full);
      if (cap < 0)
        return clr_fail (err, 0, "--cap-add \"%s\": unknown capability", n);
      p->caps |= 1ULL << cap;
    }
  p->userns = host_allows_userns () && !(o->userns && strcmp (o->userns, "host") == 0);
  /* user: flag > image > 1000:1000 */
  p->uid = p->gid = 1000;
  const char *user = o->user ? o->user : (p->img->user && p->img->user[0] ? p->img->user : NULL);
  if (user && resolve_user (user, p->img, &p->uid, &p->gid, err) < 0)
    return -1;
  /* environment: image, then --env-file, then -e */
  if (p->img->env == NULL || !clr_strv_len (p->img->env))
    strv_push (&p->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (size_t i = 0; p->img->env && p->img->env[i]; i++)
    env_set (&p->env, p->img->env[i]);
  struct strv extra = { 0 };
  for (size_t i = 0; i < o->env_files.n; i++)
    if (read_env_file (o->env_files.v[i], &extra, err) < 0)
      {
        strv_clear (&extra);
        return -1;
      }
  for (size_t i = 0; i < o->env.n; i++)
    {
      if (strchr (o->env.v[i], '='))
        strv_push (&extra, o->env.v[i]);
      else if (getenv (o->env.v[i]))
        {
          cleanup_free char *kv = xasprintf ("%s=%s", o->env.v[i], getenv (o->env.v[i]));
          strv_push (&extra, kv);
        }
    }
  for (size_t i = 0; i < extra.n; i++)
    env_set (&p->env, extra.v[i]);
  strv_clear (&extra);
  env_set (&p->env, "HOME=/workspace");
  /* command: Docker's rules: args replace Cmd, Entrypoint stays */
  if (o->entrypoint)
    {
      if (o->entrypoint[0])
        strv_push (&p->argv, o->entrypoint);
    }
  else
    for (size_t i = 0; p->img->entrypoint && p->img->entrypoint[i]; i++)
      strv_push (&p->argv, p->img->entrypoint[i]);
  if (o->args.n)
    for (size_t i = 0; i < o->args.n; i++)
      strv_push (&p->argv, o->args.v[i]);
  else if (o->entrypoint == NULL) /* docker: --entrypoint also drops the image's Cmd */
    for (size_t i = 0; p->img->cmd && p->img->cmd[i]; i++)
      strv_push (&p->argv, p->img->cmd[i]);
  if (p->argv.n == 0)
    return clr_fail (err, 0, "no command: give one after the options, or use an image with Entrypoint/Cmd");
  const char *wd = o->workdir ? o->workdir
                   : (p->img->working_dir && p->img->working_dir[0] && strcmp (p->img->working_dir, "/") != 0)
                       ? p->img->working_dir
                       : "/workspace";
  if (wd[0] != '/')
    return clr_fail (err, 0, "--workdir \"%s\": must be an absolute path", wd);
  if (p->userns && (p->uid >= SESSION_ID_RANGE || p->gid >= SESSION_ID_RANGE))
    return clr_fail (err, 0, "--user %u:%u: ids must be below %d in a user namespace (or --userns host)",
                     p->uid, p->gid, SESSION_ID_RANGE);
  p->cwd = xstrdup (wd);
  return 0;
}

/* ---- the OCI config ---- */

static void
jstr (yajl_gen g, const char *k, const char *v)
{
  clr_json_str (g, k);
  clr_json_str (g, v);
}

static void
jstrv (yajl_gen g, const char *k, char *const *v, size_t n)
{
  clr_json_str (g, k);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    clr_json_str (g, v[i]);
  yajl_gen_array_close (g);
}

static void
jmount (yajl_gen g, const char *dst, const char *type, const char *src, const char *const *opts)
{
  yajl_gen_map_open (g);
  jstr (g, "destination", dst);
  jstr (g, "type", type);
  jstr (g, "source", src);
  clr_json_str (g, "options");
  yajl_gen_array_open (g);
  for (; opts && *opts; opts++)
    clr_json_str (g, *opts);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
jcaps (yajl_gen g, uint64_t caps)
{
  static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable", "ambient" };
  clr_json_str (g, "capabilities");
  yajl_gen_map_open (g);
  for (size_t s = 0; s < CLR_ARRAY_SIZE (sets); s++)
    {
      clr_json_str (g, sets[s]);
      yajl_gen_array_open (g);
      /* --cap-add must work for the default non-root user, which only ambient
       * capabilities survive execve for; inheritable holds exactly those (the kernel
       * requires it) and nothing else (CVE-2022-29162) */
      for (int c = 0; c <= clr_cap_last (); c++)
        if (caps & (1ULL << c))
          clr_json_str (g, clr_cap_name (c));
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
  "/proc/sysrq-trigger", "/sys/firmware", "/sys/devices/virtual/powercap", "/sys/kernel/debug",
  "/sys/kernel/security", NULL,
};
static const char *const readonly_paths[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", NULL };

static char *
session_config (const struct session_opts *o, const struct session_plan *p, bool pretty)
{
  yajl_gen g = clr_json_gen (pretty);
  char buf[128];
  yajl_gen_map_open (g);
  jstr (g, "ociVersion", CLR_OCI_VERSION);
  clr_json_str (g, "process");
  yajl_gen_map_open (g);
  clr_json_str (g, "terminal");
  yajl_gen_bool (g, o->tty);
  clr_json_str (g, "user");
  yajl_gen_map_open (g);
  clr_json_str (g, "uid");
  yajl_gen_integer (g, p->uid);
  clr_json_str (g, "gid");
  yajl_gen_integer (g, p->gid);
  yajl_gen_map_close (g);
  jstrv (g, "args", p->argv.v, p->argv.n);
  jstrv (g, "env", p->env.v, p->env.n);
  jstr (g, "cwd", p->cwd);
  jcaps (g, p->caps);
  clr_json_str (g, "rlimits");
  yajl_gen_array_open (g);
  static const struct { const char *t; long long v; } rl[] = { { "RLIMIT_NOFILE", 1024 }, { "RLIMIT_CORE", 0 } };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (rl); i++)
    {
      yajl_gen_map_open (g);
      jstr (g, "type", rl[i].t);
      clr_json_str (g, "soft");
      yajl_gen_integer (g, rl[i].v);
      clr_json_str (g, "hard");
      yajl_gen_integer (g, rl[i].v);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  clr_json_str (g, "noNewPrivileges");
  yajl_gen_bool (g, true);
  yajl_gen_map_close (g);

  clr_json_str (g, "root");
  yajl_gen_map_open (g);
  jstr (g, "path", "rootfs");
  clr_json_str (g, "readonly");
  yajl_gen_bool (g, true);
  yajl_gen_map_close (g);
  jstr (g, "hostname", o->hostname ? o->hostname : p->id);

  clr_json_str (g, "mounts");
  yajl_gen_array_open (g);
  static const char *const proc_o[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const dev_o[] = { "nosuid", "noexec", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts_o[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  static const char *const shm_o[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const ro_o[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const etc_o[] = { "rbind", "ro", "nosuid", "nodev", "noexec", "rprivate", NULL };
  static const char *const ws_o[] = { "rbind", "rw", "nosuid", "nodev", "rprivate", NULL };
  jmount (g, "/proc", "proc", "proc", proc_o);
  jmount (g, "/dev", "tmpfs", "tmpfs", dev_o);
  jmount (g, "/dev/pts", "devpts", "devpts", pts_o);
  jmount (g, "/dev/shm", "tmpfs", "shm", shm_o);
  jmount (g, "/dev/mqueue", "mqueue", "mqueue", proc_o);
  jmount (g, "/sys", "sysfs", "sysfs", ro_o);
  jmount (g, "/sys/fs/cgroup", "cgroup", "cgroup", ro_o);
  cleanup_free char *ws = xasprintf ("%s/workspace", p->dir);
  jmount (g, "/workspace", "bind", ws, ws_o);
  snprintf (buf, sizeof buf, "size=%" PRIu64, o->tmp_size);
  const char *tmp_o[] = { "nosuid", "nodev", "mode=1777", buf, NULL };
  jmount (g, "/tmp", "tmpfs", "tmpfs", tmp_o);
  static const char *const etc_files[] = { "resolv.conf", "hosts", "hostname" };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (etc_files); i++)
    {
      cleanup_free char *src = xasprintf ("%s/etc/%s", p->dir, etc_files[i]);
      cleanup_free char *dst = xasprintf ("/etc/%s", etc_files[i]);
      jmount (g, dst, "bind", src, etc_o);
    }
  for (size_t i = 0; i < o->volumes.n; i++)
    {
      cleanup_free char *spec = xstrdup (o->volumes.v[i]);
      char *ctr = strchr (spec, ':');
      char *mode = ctr ? strchr (ctr + 1, ':') : NULL;
      if (ctr)
        *ctr++ = '\0';
      if (mode)
        *mode++ = '\0';
      const char *vol_o[] = { "rbind", mode && strcmp (mode, "ro") == 0 ? "ro" : "rw", "nosuid", "nodev", "rprivate", NULL };
      cleanup_free char *src = xasprintf ("%s/volumes/%zu", p->dir, i);
      jmount (g, ctr ? ctr : spec, "bind", src, vol_o);
    }
  yajl_gen_array_close (g);

  clr_json_str (g, "annotations");
  yajl_gen_map_open (g);
  jstr (g, "run.clawrun.session", p->id);
  jstr (g, "run.clawrun.image", o->image);
  if (o->audit_log)
    {
      char abs[PATH_MAX];
      jstr (g, "run.clawrun.audit-log", realpath (o->audit_log, abs) ? abs : o->audit_log);
    }
  yajl_gen_map_close (g);

  clr_json_str (g, "linux");
  yajl_gen_map_open (g);
  clr_json_str (g, "namespaces");
  yajl_gen_array_open (g);
  static const char *const ns[] = { "user", "pid", "network", "ipc", "uts", "mount", "cgroup" };
  for (size_t i = p->userns ? 0 : 1; i < CLR_ARRAY_SIZE (ns); i++)
    {
      yajl_gen_map_open (g);
      jstr (g, "type", ns[i]);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  if (p->userns)
    {
      static const char *const maps[] = { "uidMappings", "gidMappings" };
      for (size_t i = 0; i < 2; i++)
        {
          clr_json_str (g, maps[i]);
          yajl_gen_array_open (g);
          yajl_gen_map_open (g);
          clr_json_str (g, "containerID");
          yajl_gen_integer (g, 0);
          clr_json_str (g, "hostID");
          yajl_gen_integer (g, SESSION_ID_BASE);
          clr_json_str (g, "size");
          yajl_gen_integer (g, SESSION_ID_RANGE);
          yajl_gen_map_close (g);
          yajl_gen_array_close (g);
        }
    }
  clr_json_str (g, "resources");
  yajl_gen_map_open (g);
  clr_json_str (g, "memory");
  yajl_gen_map_open (g);
  clr_json_str (g, "limit");
  yajl_gen_integer (g, (long long) o->memory);
  clr_json_str (g, "swap");
  yajl_gen_integer (g, (long long) o->memory);
  yajl_gen_map_close (g);
  clr_json_str (g, "cpu");
  yajl_gen_map_open (g);
  clr_json_str (g, "quota");
  yajl_gen_integer (g, (long long) (o->cpus * 100000));
  clr_json_str (g, "period");
  yajl_gen_integer (g, 100000);
  yajl_gen_map_close (g);
  clr_json_str (g, "pids");
  yajl_gen_map_open (g);
  clr_json_str (g, "limit");
  yajl_gen_integer (g, (long long) o->pids);
  yajl_gen_map_close (g);
  clr_json_str (g, "devices");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  clr_json_str (g, "allow");
  yajl_gen_bool (g, false);
  jstr (g, "access", "rwm");
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  jstrv (g, "maskedPaths", (char *const *) masked_paths, CLR_ARRAY_SIZE (masked_paths) - 1);
  jstrv (g, "readonlyPaths", (char *const *) readonly_paths, CLR_ARRAY_SIZE (readonly_paths) - 1);
  if (p->seccomp)
    {
      clr_json_str (g, "seccomp");
      clr_seccomp_to_json (p->seccomp, g);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return clr_json_gen_take (g);
}

/* ---- the session's filesystem (private mount namespace) ---- */

static int
write_small (const char *dir, const char *name, const char *data, clr_err *err)
{
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return clr_fail (err, errno, "open %s", dir);
  return clr_write_file_atomic_at (dfd, name, data, strlen (data), 0644, err);
}

static int
setup_filesystem (const struct clr_globals *g, const struct session_opts *o, struct session_plan *p,
                  clr_err *err)
{
  if (unshare (CLONE_NEWNS) < 0)
    return clr_fail (err, errno, "unshare mount namespace");
  /* nothing we mount from here on propagates back to the host */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return clr_fail (err, errno, "make / a slave mount");
  if (mkdir (SESSION_DIR, 0755) < 0 && errno != EEXIST)
    return clr_fail (err, errno, "mkdir %s", SESSION_DIR);
  p->dir = xstrdup (SESSION_DIR);
  char data[128];
  snprintf (data, sizeof data, "size=%" PRIu64 ",mode=0711", o->workspace_size);
  if (mount ("clawrun-session", p->dir, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
    return clr_fail (err, errno, "mount the session tmpfs (%s) on %s", data, p->dir);
  static const char *const dirs[] = { "upper", "work", "rootfs", "workspace", "etc" };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *d = xasprintf ("%s/%s", p->dir, dirs[i]);
      if (mkdir (d, 0755) < 0)
        return clr_fail (err, errno, "mkdir %s", d);
    }
  cleanup_free char *ws = xasprintf ("%s/workspace", p->dir);
  uint32_t shift = p->userns ? (uint32_t) SESSION_ID_BASE : 0;
  if (chown (ws, p->uid + shift, p->gid + shift) < 0)
    return clr_fail (err, errno, "chown %s", ws);
  /* -v sources: bound here by us, as host root, so that the sandbox (maybe in its own
   * user namespace) never has to walk the host path to them */
  if (o->volumes.n)
    {
      cleanup_free char *vdir = xasprintf ("%s/volumes", p->dir);
      if (mkdir (vdir, 0755) < 0)
        return clr_fail (err, errno, "mkdir %s", vdir);
    }
  for (size_t i = 0; i < o->volumes.n; i++)
    {
      cleanup_free char *spec = xstrdup (o->volumes.v[i]);
      char *colon = strchr (spec, ':');
      if (colon)
        *colon = '\0';
      if (colon == NULL || colon[1] != '/')
        return clr_fail (err, 0, "-v \"%s\": expected HOST:CONTAINER[:ro] with an absolute container path",
                         o->volumes.v[i]);
      struct stat st;
      if (stat (spec, &st) < 0)
        return clr_fail (err, errno, "-v %s", spec);
      cleanup_free char *dst = xasprintf ("%s/volumes/%zu", p->dir, i);
      int r = S_ISDIR (st.st_mode) ? mkdir (dst, 0755) : mknod (dst, S_IFREG | 0644, 0);
      if (r < 0 || mount (spec, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
        return clr_fail (err, errno, "-v %s: bind into the session", spec);
    }
  /* overlay: layers read-only below, the upper on the session tmpfs */
  size_t len = 64 + strlen (p->dir) * 2;
  for (size_t i = 0; i < p->img->n_layers; i++)
    len += strlen (p->img->layers[i]) + 1;
  cleanup_free char *ov = xmalloc (len);
  size_t off = (size_t) snprintf (ov, len, "lowerdir=");
  for (size_t i = p->img->n_layers; i-- > 0;)
    off += (size_t) snprintf (ov + off, len - off, "%s%s", p->img->layers[i], i ? ":" : "");
  snprintf (ov + off, len - off, ",upperdir=%s/upper,workdir=%s/work", p->dir, p->dir);
  cleanup_free char *rootfs = xasprintf ("%s/rootfs", p->dir);
  if (mount ("overlay", rootfs, "overlay", MS_NOSUID | MS_NODEV, ov) < 0)
    return clr_fail (err, errno, "mount the overlay root for %s", o->image);
  /* Mount points, made now by us (host root) in the overlay's upper layer: a sandbox
   * in its own user namespace could not create them in the image's root-owned
   * directories.  Resolved inside the root like every mount target (CVE-2024-45310). */
  {
    cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    static const char *const dirs[] = { "/proc", "/sys", "/dev", "/workspace", "/tmp", "/etc" };
    static const char *const files[] = { "/etc/resolv.conf", "/etc/hosts", "/etc/hostname" };
    if (rootfd < 0)
      return clr_fail (err, errno, "open %s", rootfs);
    for (size_t i = 0; i < CLR_ARRAY_SIZE (dirs) + CLR_ARRAY_SIZE (files) + o->volumes.n; i++)
      {
        cleanup_free char *vol = NULL;
        const char *path;
        int create = CLR_RESOLVE_MKDIR;
        if (i < CLR_ARRAY_SIZE (dirs))
          path = dirs[i];
        else if (i < CLR_ARRAY_SIZE (dirs) + CLR_ARRAY_SIZE (files))
          path = files[i - CLR_ARRAY_SIZE (dirs)], create = CLR_RESOLVE_MKFILE;
        else
          {
            size_t v = i - CLR_ARRAY_SIZE (dirs) - CLR_ARRAY_SIZE (files);
            vol = xstrdup (strchr (o->volumes.v[v], ':') + 1);
            char *colon = strchr (vol, ':');
            if (colon)
              *colon = '\0';
            cleanup_free char *src = xasprintf ("%s/volumes/%zu", p->dir, v);
            struct stat st;
            if (stat (src, &st) == 0 && !S_ISDIR (st.st_mode))
              create = CLR_RESOLVE_MKFILE;
            path = vol;
          }
        int fd = clr_open_in_root (rootfd, path, O_PATH | O_CLOEXEC, create, err);
        if (fd < 0)
          return clr_wrap (err, "mount point %s", path);
        close (fd);
      }
  }
  cleanup_free char *etc = xasprintf ("%s/etc", p->dir);
  const char *host = o->hostname ? o->hostname : p->id;
  cleanup_free char *hosts = xasprintf ("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost\n", host);
  cleanup_free char *hostname = xasprintf ("%s\n", host);
  if (write_small (etc, "hosts", hosts, err) < 0 || write_small (etc, "hostname", hostname, err) < 0
      || write_small (etc, "resolv.conf", "# clawrun session without network\n", err) < 0)
    return -1;
  return 0;
}

static void
teardown_filesystem (struct session_plan *p)
{
  if (p->dir == NULL)
    return;
  /* the mounts die with our namespace anyway; detach so the directory can go */
  /* the mounts live in our private namespace only: detach, the mount point stays */
  umount2 (p->dir, MNT_DETACH);
}

/* ---- audit log ---- */

struct audit {
  const char *path;
};

static void
audit_write (const struct audit *a, yajl_gen g)
{
  if (a->path == NULL)
    {
      yajl_gen_free (g);
      return;
    }
  if (clr_json_append_line (a->path, g, true) < 0)
    clr_warn ("audit log %s: %s", a->path, strerror (errno));
}

static yajl_gen
audit_begin (const char *event, const char *id)
{
  yajl_gen g = clr_json_gen (false);
  char now[64];
  clr_rfc3339_now (now, sizeof now);
  yajl_gen_map_open (g);
  jstr (g, "time", now);
  jstr (g, "event", event);
  jstr (g, "session", id);
  return g;
}

static void
audit_start (const struct audit *a, const struct session_opts *o, const struct session_plan *p)
{
  yajl_gen g = audit_begin ("start", p->id);
  jstr (g, "image", o->image);
  jstr (g, "image_digest", p->img->manifest_digest ? p->img->manifest_digest : "");
  jstrv (g, "command", p->argv.v, p->argv.n);
  clr_json_str (g, "policy");
  yajl_gen_map_open (g);
  clr_json_str (g, "uid");
  yajl_gen_integer (g, p->uid);
  clr_json_str (g, "gid");
  yajl_gen_integer (g, p->gid);
  clr_json_str (g, "memory");
  yajl_gen_integer (g, (long long) o->memory);
  clr_json_str (g, "cpus");
  yajl_gen_double (g, o->cpus);
  clr_json_str (g, "pids_limit");
  yajl_gen_integer (g, (long long) o->pids);
  clr_json_str (g, "workspace_size");
  yajl_gen_integer (g, (long long) o->workspace_size);
  clr_json_str (g, "timeout_ms");
  yajl_gen_integer (g, (long long) o->timeout_ms);
  jstr (g, "seccomp", o->seccomp ? o->seccomp : "default");
  jstrv (g, "cap_add", o->caps.v, o->caps.n);
  jstr (g, "network", o->network ? o->network : "none");
  jstrv (g, "volumes", o->volumes.v, o->volumes.n);
  yajl_gen_map_close (g);
  /* names only: a secret's value is never written anywhere */
  clr_json_str (g, "secrets");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < o->secrets.n; i++)
    {
      const char *eq = strchr (o->secrets.v[i], '=');
      yajl_gen_string (g, (const unsigned char *) o->secrets.v[i],
                       eq ? (size_t) (eq - o->secrets.v[i]) : strlen (o->secrets.v[i]));
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  audit_write (a, g);
}

/* ---- export ---- */

static int
mkdir_p_at (int base, const char *rel, int *out, clr_err *err)
{
  cleanup_free char *copy = xstrdup (rel);
  int fd = dup (base);
  for (char *save = NULL, *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (mkdirat (fd, c, 0755) < 0 && errno != EEXIST)
        {
          int e = errno;
          close (fd);
          return clr_fail (err, e, "mkdir %s", rel);
        }
      int n = openat (fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (fd);
      if (n < 0)
        return clr_fail (err, errno, "open %s", rel);
      fd = n;
    }
  *out = fd;
  return 0;
}

static int
copy_file_at (int sfd, const char *name, int ddir, const char *dname, clr_err *err)
{
  /* O_NOFOLLOW: a symlink is never followed out of the workspace */
  cleanup_close int in = openat (sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (in < 0 || fstat (in, &st) < 0 || !S_ISREG (st.st_mode))
    return 0;
  cleanup_close int out = openat (ddir, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0)
    return clr_fail (err, errno, "export: create %s", dname);
  if (clr_copy_fd (in, out) < 0)
    return clr_fail (err, errno, "export: copy %s", name);
  return 1;
}

static bool
matches (const struct strv *globs, const char *rel)
{
  const char *base = strrchr (rel, '/');
  base = base ? base + 1 : rel;
  for (size_t i = 0; i < globs->n; i++)
    if (fnmatch (globs->v[i], rel, 0) == 0 || fnmatch (globs->v[i], base, 0) == 0)
      return true;
  return false;
}

static int
export_walk (int dirfd, const char *prefix, const struct strv *globs, int outfd, struct strv *done, int depth,
             clr_err *err)
{
  if (depth > 64)
    return 0;
  int dup_fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dup_fd >= 0 ? fdopendir (dup_fd) : NULL;
  if (d == NULL)
    return 0;
  struct dirent *de;
  int ret = 0;
  while (ret == 0 && (de = readdir (d)))
    {
      if (!strcmp (de->d_name, ".") || !strcmp (de->d_name, ".."))
        continue;
      cleanup_free char *rel = *prefix ? xasprintf ("%s/%s", prefix, de->d_name) : xstrdup (de->d_name);
      struct stat st;
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          cleanup_close int sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub >= 0)
            ret = export_walk (sub, rel, globs, outfd, done, depth + 1, err);
          continue;
        }
      if (!S_ISREG (st.st_mode) || !matches (globs, rel))
        continue;
      cleanup_free char *parent = xstrdup (rel);
      char *slash = strrchr (parent, '/');
      int ddir = -1;
      if (slash)
        {
          *slash = '\0';
          if (mkdir_p_at (outfd, parent, &ddir, err) < 0)
            {
              ret = -1;
              break;
            }
        }
      int r = copy_file_at (dirfd, de->d_name, ddir >= 0 ? ddir : outfd, de->d_name, err);
      if (ddir >= 0)
        close (ddir);
      if (r < 0)
        ret = -1;
      else if (r > 0)
        strv_push (done, rel);
    }
  closedir (d);
  return ret;
}

static int
export_files (const struct session_opts *o, const struct session_plan *p, struct strv *done, clr_err *err)
{
  if (o->exports.n == 0)
    return 0;
  cleanup_free char *to = o->export_to ? xstrdup (o->export_to) : xasprintf ("clawrun-export-%s", p->id);
  if (mkdir (to, 0755) < 0 && errno != EEXIST)
    return clr_fail (err, errno, "--export-to %s", to);
  cleanup_close int outfd = open (to, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *ws = xasprintf ("%s/workspace", p->dir);
  cleanup_close int wsfd = open (ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (outfd < 0 || wsfd < 0)
    return clr_fail (err, errno, "export: open %s", outfd < 0 ? to : ws);
  return export_walk (wsfd, "", &o->exports, outfd, done, 0, err);
}

/* ---- running ---- */

/* A watchdog process enforces the timeout, so it holds whatever the foreground does
 * (terminal proxy included): SIGTERM to every process of the session, SIGKILL after
 * the grace period.  It writes one byte to FD when it fired. */
static pid_t
start_watchdog (const char *cgroup_path, uint64_t timeout_ms, uint64_t grace_ms, int fd)
{
  pid_t pid = fork ();
  if (pid != 0)
    return pid;
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  struct timespec ts = { (time_t) (timeout_ms / 1000), (long) (timeout_ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
  (void) !write (fd, "t", 1);
  clr_err err;
  struct clr_cgroup *cg = NULL;
  if (clr_cgroup_open (cgroup_path, &cg, &err) == 0)
    {
      clr_cgroup_kill (cg, SIGTERM, &err);
      struct timespec g = { (time_t) (grace_ms / 1000), (long) (grace_ms % 1000) * 1000000L };
      while (nanosleep (&g, &g) < 0 && errno == EINTR)
        ;
      clr_cgroup_kill (cg, SIGKILL, &err);
      clr_cgroup_free (cg);
    }
  _exit (0);
}

int
clr_session_main (struct clr_globals *g, int argc, char **argv)
{
  struct session_opts o;
  memset (&o, 0, sizeof o);
  struct session_plan p;
  memset (&p, 0, sizeof p);
  struct strv secrets = { 0 }, exported = { 0 };
  clr_err err = { 0 };
  int status = 1;
  bool help = false, created = false;
  struct audit audit = { 0 };
  int64_t t0 = clr_now_ms ();
  cleanup_free char *cgpath = NULL;
  int wd_pipe[2] = { -1, -1 };
  pid_t wd = -1;

  /* ^C or SIGTERM during setup must not leave a half-built session: hold them until
   * the container runs, then the foreground wait forwards them to it */
  sigset_t hold, old_mask;
  sigemptyset (&hold);
  sigaddset (&hold, SIGINT);
  sigaddset (&hold, SIGTERM);
  sigaddset (&hold, SIGHUP);
  sigaddset (&hold, SIGQUIT);
  sigprocmask (SIG_BLOCK, &hold, &old_mask);
  if (parse_session_args (argc, argv, &o, &help, &err) < 0)
    {
      clr_log_error (&err);
      goto out;
    }
  if (help)
    {
      clr_cli_print_help ("clawrun run --image IMAGE [OPTIONS] [--] [CMD ARGS...]",
                          "Start an agent session from an image with hardened defaults: uid 1000, no\n"
                          "capabilities, no_new_privs, the default seccomp profile, a read-only root,\n"
                          "writable /workspace and /tmp, private namespaces, resource limits and a\n"
                          "timeout.  The exit status is the command's (124 when it timed out).",
                          session_help_lines);
      status = 0;
      goto out;
    }
  audit.path = o.audit_log;
  if (read_secrets (&o, &secrets, &err) < 0 || build_plan (&o, &p, &err) < 0)
    {
      clr_log_error (&err);
      goto out;
    }
  if (o.dry_run)
    {
      p.dir = xasprintf ("%s/sessions/%s", g->root, p.id);
      cleanup_free char *cfg = session_config (&o, &p, true);
      printf ("%s\n", cfg);
      free (p.dir);
      p.dir = NULL;
      status = 0;
      goto out;
    }
  if (setup_filesystem (g, &o, &p, &err) < 0)
    {
      clr_log_error (&err);
      goto out;
    }
  {
    cleanup_free char *cfg = session_config (&o, &p, false);
    if (write_small (p.dir, "config.json", cfg, &err) < 0)
      {
        clr_log_error (&err);
        goto out;
      }
  }
  if (!o.interactive)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0)
        {
          dup2 (null, 0);
          close (null);
        }
    }
  struct clr_create_opts co = {
    .id = p.id,
    .bundle = p.dir,
    .proxy_tty = o.tty,
    .extra_env = secrets.v,
    .die_with_parent = true,
  };
  struct clr_created cr;
  if (clr_container_create (g, &co, &cr, &err) < 0)
    {
      clr_log_error (&err);
      goto out;
    }
  created = true;
  wipe_strv (&secrets);
  audit_start (&audit, &o, &p);
  cgpath = clr_cgroup_resolve_path (NULL, p.id);
  if (pipe2 (wd_pipe, O_CLOEXEC) == 0)
    wd = start_watchdog (cgpath, o.timeout_ms, o.grace_ms, wd_pipe[1]);
  if (clr_container_start (g, p.id, &err) < 0)
    {
      clr_log_error (&err);
      close (cr.pidfd);
      goto out_wd;
    }
  status = clr_wait_foreground (cr.pid, cr.pidfd, cr.tty_master, &err);
  close (cr.pidfd);
  if (cr.tty_master >= 0)
    close (cr.tty_master);
  if (status < 0)
    {
      clr_log_error (&err);
      status = 1;
    }
out_wd:;
  bool timed_out = false;
  if (wd > 0)
    {
      char c;
      struct pollfd pf = { .fd = wd_pipe[0], .events = POLLIN };
      timed_out = poll (&pf, 1, 0) == 1 && read (wd_pipe[0], &c, 1) == 1;
      kill (wd, SIGKILL);
      waitpid (wd, NULL, 0);
    }
  if (wd_pipe[0] >= 0)
    {
      close (wd_pipe[0]);
      close (wd_pipe[1]);
    }
  if (timed_out)
    {
      clr_log (CLR_LOG_ERROR, "session %s timed out after %" PRIu64 " ms", p.id, o.timeout_ms);
      status = 124;
    }
  /* usage before the cgroup goes */
  struct clr_cgroup_stats stats;
  memset (&stats, 0, sizeof stats);
  uint64_t ooms = 0;
  {
    struct clr_cgroup *cg = NULL;
    clr_err e2;
    bool avail;
    if (clr_cgroup_open (cgpath, &cg, &e2) == 0)
      {
        clr_cgroup_stats (cg, &stats, &e2);
        clr_cgroup_oom_kills (cg, &ooms, &avail, &e2);
        clr_cgroup_free (cg);
      }
  }
  if (export_files (&o, &p, &exported, &err) < 0)
    clr_log_error (&err);
  {
    yajl_gen ag = audit_begin ("exit", p.id);
    clr_json_str (ag, "status");
    yajl_gen_integer (ag, status);
    clr_json_str (ag, "signal");
    yajl_gen_integer (ag, status > 128 && status < 128 + 65 ? status - 128 : 0);
    clr_json_str (ag, "timed_out");
    yajl_gen_bool (ag, timed_out);
    clr_json_str (ag, "duration_ms");
    yajl_gen_integer (ag, clr_now_ms () - t0);
    clr_json_str (ag, "peak_memory_bytes");
    yajl_gen_integer (ag, (long long) stats.memory.usage.max);
    clr_json_str (ag, "cpu_time_ns");
    yajl_gen_integer (ag, (long long) stats.cpu.total);
    clr_json_str (ag, "oom_kills");
    yajl_gen_integer (ag, (long long) ooms);
    jstrv (ag, "exported", exported.v, exported.n);
    yajl_gen_map_close (ag);
    audit_write (&audit, ag);
  }
  clr_cgroup_stats_release (&stats);
out:
  if (created)
    {
      clr_err e2 = { 0 };
      if (clr_container_delete (g, p.id, true, &e2) < 0)
        clr_log_error (&e2);
    }
  teardown_filesystem (&p);
  wipe_strv (&secrets);
  strv_clear (&exported);
  plan_free (&p);
  opts_free (&o);
  sigprocmask (SIG_SETMASK, &old_mask, NULL);
  return status;
}
