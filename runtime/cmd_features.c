/* clawrun features: the OCI runtime features document (runtime-spec features.md and
 * features-linux.md), as containerd reads it from `<runtime> features`. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* gnu11 predefines `linux` as 1, which breaks config.h's `struct clr_linux linux`. */

#include "../seccomp/seccomp.h"
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "error.h"
#include "log.h"
#include "util.h"

/* Older kernel headers lack some of these. */
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define FEATURES_OCI_VERSION_MIN "1.0.0"
#define FEATURES_OCI_VERSION_MAX "1.3.0"

static const char features_usage[] = "clawrun features [OPTIONS]";
static const char features_description[] =
    "Show the features this runtime supports, as the OCI runtime features JSON document\n"
    "(runtime-spec features.md): supported config versions, hooks, mount options,\n"
    "namespaces, capabilities, cgroup, seccomp and LSM support.";

static const char *const hook_names[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
  NULL,
};

static const char *const namespace_names[] = {
  "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time", NULL,
};

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* KEY: [V sorted], as runc lists them. */
static void
gen_sorted_strv (yajl_gen g, const char *key, const char *const *v)
{
  size_t n = clr_strv_len ((char *const *) v);
  cleanup_free const char **copy = xcalloc (n + 1, sizeof *copy);
  if (n > 0)
    memcpy (copy, v, n * sizeof *copy);
  qsort (copy, n, sizeof *copy, cmp_str);
  clr_cli_kv_strv (g, key, copy);
}

/* The running kernel's highest capability number, bounded by the ones clawrun knows. */
static int
last_capability (void)
{
  int last = clr_cap_last ();
  cleanup_free char *text = NULL;
  size_t len;
  clr_err err;
  uint64_t kernel;
  if (clr_read_file ("/proc/sys/kernel/cap_last_cap", 64, &text, &len, &err) == 0)
    {
      while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
      if (clr_parse_u64 (text, 1024, &kernel) == 0 && (int) kernel < last)
        last = (int) kernel;
    }
  return last;
}

/* Does the kernel accept seccomp filter flag NAME?  The libseccomp probe: with a NULL
 * program, a known flag fails with EFAULT (the program is read after the flags are
 * checked, and before any privilege check), an unknown one with EINVAL. */
static bool
seccomp_flag_supported (const char *name)
{
  static const struct
  {
    const char *name;
    unsigned long flag;
  } flags[] = {
    { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
    { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
    { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
    { "SECCOMP_FILTER_FLAG_NEW_LISTENER", SECCOMP_FILTER_FLAG_NEW_LISTENER },
    { "SECCOMP_FILTER_FLAG_TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC_ESRCH },
    /* only valid together with NEW_LISTENER */
    { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER },
  };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (flags); i++)
    if (strcmp (name, flags[i].name) == 0)
      return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags[i].flag, NULL) < 0
             && errno == EFAULT;
  return false;
}

static void
gen_features (yajl_gen g)
{
  yajl_gen_map_open (g);
  clr_cli_kv_str (g, "ociVersionMin", FEATURES_OCI_VERSION_MIN);
  clr_cli_kv_str (g, "ociVersionMax", FEATURES_OCI_VERSION_MAX);
  clr_cli_kv_strv (g, "hooks", hook_names);
  gen_sorted_strv (g, "mountOptions", clr_known_mount_options);

  clr_json_str (g, "linux");
  yajl_gen_map_open (g);
  clr_cli_kv_strv (g, "namespaces", namespace_names);

  clr_json_str (g, "capabilities");
  yajl_gen_array_open (g);
  int last = last_capability ();
  for (int cap = 0; cap <= last; cap++)
    if (clr_cap_name (cap))
      clr_json_str (g, clr_cap_name (cap));
  yajl_gen_array_close (g);

  clr_json_str (g, "cgroup");
  yajl_gen_map_open (g);
  clr_cli_kv_bool (g, "v1", true);
  clr_cli_kv_bool (g, "v2", true);
  clr_cli_kv_bool (g, "systemd", true); /* the driver is built in (sd-bus) */
  clr_cli_kv_bool (g, "systemdUser", false);
  clr_cli_kv_bool (g, "rdma", false);
  yajl_gen_map_close (g);

  clr_json_str (g, "seccomp");
  yajl_gen_map_open (g);
  clr_cli_kv_bool (g, "enabled", true);
  gen_sorted_strv (g, "actions", clr_seccomp_actions);
  gen_sorted_strv (g, "operators", clr_seccomp_operators);
  gen_sorted_strv (g, "archs", clr_seccomp_archs);
  gen_sorted_strv (g, "knownFlags", clr_seccomp_flags);
  size_t n_flags = clr_strv_len ((char *const *) clr_seccomp_flags);
  cleanup_free const char **supported = xcalloc (n_flags + 1, sizeof *supported);
  for (size_t i = 0, n = 0; i < n_flags; i++)
    if (seccomp_flag_supported (clr_seccomp_flags[i]))
      supported[n++] = clr_seccomp_flags[i];
  gen_sorted_strv (g, "supportedFlags", supported);
  yajl_gen_map_close (g);

  clr_json_str (g, "apparmor");
  yajl_gen_map_open (g);
  clr_cli_kv_bool (g, "enabled", access ("/sys/kernel/security/apparmor", F_OK) == 0);
  yajl_gen_map_close (g);

  clr_json_str (g, "selinux");
  yajl_gen_map_open (g);
  clr_cli_kv_bool (g, "enabled", access ("/sys/fs/selinux/enforce", F_OK) == 0);
  yajl_gen_map_close (g);

  clr_json_str (g, "intelRdt");
  yajl_gen_map_open (g);
  clr_cli_kv_bool (g, "enabled", false);
  yajl_gen_map_close (g);

  clr_json_str (g, "mountExtensions");
  yajl_gen_map_open (g);
  clr_json_str (g, "idmap");
  yajl_gen_map_open (g);
  clr_cli_kv_bool (g, "enabled", true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g); /* linux */

  clr_json_str (g, "annotations");
  yajl_gen_map_open (g);
  const struct scmp_version *v = seccomp_version ();
  char libseccomp[64];
  if (v)
    snprintf (libseccomp, sizeof libseccomp, "%u.%u.%u", v->major, v->minor, v->micro);
  else
    snprintf (libseccomp, sizeof libseccomp, "unknown");
  clr_cli_kv_str (g, "io.github.seccomp.libseccomp.version", libseccomp);
  clr_cli_kv_str (g, "org.opencontainers.runc.checkpoint.enabled", "false");
  clr_cli_kv_str (g, "run.clawrun.commit", CLAWRUN_COMMIT);
  clr_cli_kv_str (g, "run.clawrun.version", CLAWRUN_VERSION);
  yajl_gen_map_close (g);

  yajl_gen_map_close (g);
}

int
cmd_features (struct clr_globals *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        clr_cli_print_help (features_usage, features_description, NULL);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind < argc)
    return clr_usage_error (argv[0], "unexpected argument '%s'", argv[optind]);

  cleanup_json_gen yajl_gen gen = clr_json_gen_new (true);
  gen_features (gen);
  if (clr_json_gen_print (gen, stdout) < 0)
    {
      clr_err err;
      clr_fail (&err, errno, "write features");
      clr_log_error (&err);
      return 1;
    }
  return 0;
}
