/* clawrun spec: write a starter config.json into the bundle directory.
 *
 * The document is runc 1.1's `runc spec` (and `runc spec --rootless`) output with
 * ociVersion "1.2.0": same keys, same order, same values. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "log.h"
#include "util.h"

#define SPEC_OCI_VERSION "1.2.0"
#define SPEC_FILE "config.json"

static const char spec_usage[] = "clawrun spec [OPTIONS]";
static const char spec_description[] =
    "Create a starter specification file, \"config.json\", in the bundle directory\n"
    "(default: the current directory).  An existing config.json is never overwritten.\n"
    "The spec runs \"sh\" in ./rootfs: edit process.args and the rest as needed.\n"
    "With --rootless the spec is adjusted for a container started by an unprivileged\n"
    "user: a user namespace mapping the caller's uid/gid to root, no network\n"
    "namespace, /sys bind-mounted from the host, and no cgroup resources.";
static const char *const spec_options[] = {
  "-b, --bundle DIR", "path to the root of the bundle directory",
  "    --rootless", "generate a configuration for a rootless container",
  NULL,
};

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL",
                                            "CAP_NET_BIND_SERVICE", NULL };

struct spec_mount {
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct spec_mount default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts", "devpts", "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* Rootless: sysfs cannot be mounted without owning the network namespace. */
static const struct spec_mount rootless_sys_mount
    = { "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL } };

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
  NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void
gen_mount (yajl_gen g, const struct spec_mount *m, bool rootless)
{
  if (rootless && strcmp (m->destination, "/sys") == 0)
    m = &rootless_sys_mount;

  /* Rootless: uid=/gid= options name ids that are not mapped in the user namespace. */
  const char *opts[CLR_ARRAY_SIZE (m->options)];
  size_t n = 0;
  for (size_t i = 0; m->options[i]; i++)
    if (!rootless || (!clr_has_prefix (m->options[i], "uid=")
                      && !clr_has_prefix (m->options[i], "gid=")))
      opts[n++] = m->options[i];
  opts[n] = NULL;

  yajl_gen_map_open (g);
  clr_cli_kv_str (g, "destination", m->destination);
  clr_cli_kv_str (g, "type", m->type);
  clr_cli_kv_str (g, "source", m->source);
  if (n > 0) /* omitted when empty, as runc's omitempty */
    clr_cli_kv_strv (g, "options", opts);
  yajl_gen_map_close (g);
}

static void
gen_idmap (yajl_gen g, const char *key, unsigned long host_id)
{
  clr_json_str (g, key);
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  clr_cli_kv_int (g, "containerID", 0);
  clr_cli_kv_int (g, "hostID", (long long) host_id);
  clr_cli_kv_int (g, "size", 1);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
}

/* The whole document.  UID/GID: the host ids mapped to root with ROOTLESS. */
static void
gen_spec (yajl_gen g, bool rootless, uid_t uid, gid_t gid)
{
  yajl_gen_map_open (g);
  clr_cli_kv_str (g, "ociVersion", SPEC_OCI_VERSION);

  clr_json_str (g, "process");
  yajl_gen_map_open (g);
  clr_cli_kv_bool (g, "terminal", true);
  clr_json_str (g, "user");
  yajl_gen_map_open (g);
  clr_cli_kv_int (g, "uid", 0);
  clr_cli_kv_int (g, "gid", 0);
  yajl_gen_map_close (g);
  clr_cli_kv_strv (g, "args", (const char *const[]){ "sh", NULL });
  clr_cli_kv_strv (g, "env",
                    (const char *const[]){
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "TERM=xterm", NULL });
  clr_cli_kv_str (g, "cwd", "/");
  clr_json_str (g, "capabilities");
  yajl_gen_map_open (g);
  clr_cli_kv_strv (g, "bounding", default_caps);
  clr_cli_kv_strv (g, "effective", default_caps);
  clr_cli_kv_strv (g, "permitted", default_caps);
  clr_cli_kv_strv (g, "ambient", default_caps);
  yajl_gen_map_close (g);
  clr_json_str (g, "rlimits");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  clr_cli_kv_str (g, "type", "RLIMIT_NOFILE");
  clr_cli_kv_int (g, "hard", 1024);
  clr_cli_kv_int (g, "soft", 1024);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  clr_cli_kv_bool (g, "noNewPrivileges", true);
  yajl_gen_map_close (g); /* process */

  clr_json_str (g, "root");
  yajl_gen_map_open (g);
  clr_cli_kv_str (g, "path", "rootfs");
  clr_cli_kv_bool (g, "readonly", true);
  yajl_gen_map_close (g);

  clr_cli_kv_str (g, "hostname", "runc");

  clr_json_str (g, "mounts");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < CLR_ARRAY_SIZE (default_mounts); i++)
    gen_mount (g, &default_mounts[i], rootless);
  yajl_gen_array_close (g);

  clr_json_str (g, "linux");
  yajl_gen_map_open (g);
  if (rootless)
    {
      gen_idmap (g, "uidMappings", (unsigned long) uid);
      gen_idmap (g, "gidMappings", (unsigned long) gid);
    }
  else
    {
      clr_json_str (g, "resources");
      yajl_gen_map_open (g);
      clr_json_str (g, "devices");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      clr_cli_kv_bool (g, "allow", false);
      clr_cli_kv_str (g, "access", "rwm");
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
    }
  clr_json_str (g, "namespaces");
  yajl_gen_array_open (g);
  static const char *const ns_root[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };
  for (const char *const *ns = rootless ? ns_rootless : ns_root; *ns; ns++)
    {
      yajl_gen_map_open (g);
      clr_cli_kv_str (g, "type", *ns);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  clr_cli_kv_strv (g, "maskedPaths", masked_paths);
  clr_cli_kv_strv (g, "readonlyPaths", readonly_paths);
  yajl_gen_map_close (g); /* linux */

  yajl_gen_map_close (g);
}

/* Create BUNDLE/config.json with DATA; never replaces an existing file (O_EXCL, which
 * also refuses a dangling symlink).  A partly written file is removed. */
static int
write_spec (const char *bundle, const void *data, size_t len, clr_err *err)
{
  cleanup_close int dirfd = open (bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return clr_fail (err, errno, "open bundle directory %s", bundle);
  cleanup_close int fd = openat (dirfd, SPEC_FILE,
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                                 0666);
  if (fd < 0 && errno == EEXIST)
    return clr_fail (err, 0, "File %s exists. Remove it first", SPEC_FILE);
  if (fd < 0)
    return clr_fail (err, errno, "create %s", SPEC_FILE);
  if (clr_write_all (fd, data, len) < 0 || close (clr_steal_fd (&fd)) < 0)
    {
      int saved = errno;
      (void) unlinkat (dirfd, SPEC_FILE, 0);
      return clr_fail (err, saved, "write %s", SPEC_FILE);
    }
  return 0;
}

int
cmd_spec (struct clr_globals *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *bundle = ".";
  bool rootless = false;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:b:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'R':
        rootless = true;
        break;
      case 'h':
        clr_cli_print_help (spec_usage, spec_description, spec_options);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind < argc)
    return clr_usage_error (argv[0], "unexpected argument '%s'", argv[optind]);
  if (bundle[0] == '\0')
    return clr_usage_error (argv[0], "--bundle: empty path");

  cleanup_json_gen yajl_gen gen = clr_json_gen_new (true);
  yajl_gen_config (gen, yajl_gen_indent_string, "\t"); /* as runc writes it */
  gen_spec (gen, rootless, geteuid (), getegid ());

  const unsigned char *buf;
  size_t len;
  clr_err err = { 0 };
  if (yajl_gen_get_buf (gen, &buf, &len) != yajl_gen_status_ok)
    clr_fail (&err, 0, "generate %s", SPEC_FILE);
  else if (write_spec (bundle, buf, len, &err) == 0)
    return 0;
  clr_log_error (&err);
  return 1;
}
