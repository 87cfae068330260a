/* clawrun: the OCI runtime-spec config.json, parsed and validated.
 *
 * clr_config_parse() turns the JSON text into these structs in one pass and rejects
 * anything malformed with an error naming the field ("process.user.uid: expected a
 * number"), so the rest of the runtime never looks at JSON.  All memory hangs off one
 * arena owned by the struct clr_config: clr_config_free() releases everything.
 *
 * Conventions:
 *  - string vectors (char **) are NULL-terminated; the n_* field gives the count;
 *  - an optional scalar has a has_* flag;
 *  - enums from the spec are converted to their kernel values at parse time
 *    (namespace type -> CLONE_NEW*, rlimit type -> RLIMIT_*, capability name -> number,
 *    mount options -> flags), and an unknown value is a parse error.
 */
#ifndef CLAWRUN_CONFIG_H
#define CLAWRUN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* gnu11 predefines `linux` as 1; the spec's section is called linux. */
#undef linux

struct clr_arena;

struct clr_kv {
  const char *key;
  const char *value;
};

struct clr_idmap {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

/* Capability sets as bit masks: bit N set = capability number N. */
struct clr_caps {
  bool present;                  /* process.capabilities was given */
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct clr_rlimit {
  int resource;                  /* RLIMIT_* */
  const char *name;              /* "RLIMIT_NOFILE", for messages */
  uint64_t soft, hard;
};

struct clr_scheduler {
  int policy;                    /* SCHED_* */
  int nice;
  int priority;
  uint64_t flags;                /* SCHED_FLAG_* */
  uint64_t runtime, deadline, period;
};

struct clr_user {
  uint32_t uid, gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
};

struct clr_process {
  bool terminal;
  bool has_console_size;
  uint32_t console_height, console_width;
  struct clr_user user;
  char **args;                   /* REQUIRED, at least one element */
  size_t n_args;
  char **env;
  size_t n_env;
  const char *cwd;               /* REQUIRED, absolute */
  struct clr_caps caps;
  struct clr_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  const char *apparmor_profile;  /* NULL when absent */
  const char *selinux_label;
  bool has_oom_score_adj;
  int oom_score_adj;
  bool has_io_priority;
  int ioprio_class;              /* IOPRIO_CLASS_RT/BE/IDLE (1/2/3) */
  int ioprio_level;              /* 0..7 */
  bool has_scheduler;
  struct clr_scheduler scheduler;
};

/* One entry of "mounts", with its options already split into what each mount step
 * needs.  Recognised options (ro, nosuid, bind, rbind, rro, private, ...) set the
 * fields below; every other option is filesystem data and is kept, in order, in
 * data_options (and comma-joined in data). */
struct clr_mount {
  const char *destination;       /* REQUIRED, absolute */
  const char *type;              /* NULL when absent; "bind" counts as a bind mount */
  const char *source;            /* NULL when absent */
  char **options;                /* the raw list, as given */
  size_t n_options;
  bool bind;                     /* bind or rbind option, or type "bind" */
  bool recursive_bind;           /* rbind */
  unsigned long flags;           /* MS_* to set: MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC,
                                    MS_SYNCHRONOUS, MS_DIRSYNC, MS_NOATIME, MS_NODIRATIME,
                                    MS_RELATIME, MS_STRICTATIME, MS_LAZYTIME, MS_MANDLOCK,
                                    MS_REMOUNT */
  unsigned long clear_flags;     /* MS_* explicitly cleared (rw, suid, dev, exec, ...) */
  unsigned long propagation;     /* 0 or one of MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE,
                                    possibly | MS_REC */
  uint64_t rec_attr_set;         /* MOUNT_ATTR_* from the recursive forms (rro, rnosuid, ...) */
  uint64_t rec_attr_clr;
  bool idmap;                    /* idmap / ridmap */
  bool recursive_idmap;
  bool tmpcopyup;
  char **data_options;           /* "size=65536k", "mode=755", "newinstance", ... */
  size_t n_data_options;
  const char *data;              /* data_options joined with ',' ("" when none) */
  struct clr_idmap *uid_mappings; /* mount idmapping (with idmap) */
  size_t n_uid_mappings;
  struct clr_idmap *gid_mappings;
  size_t n_gid_mappings;
};

struct clr_hook {
  const char *path;              /* REQUIRED, absolute */
  char **args;                   /* may be NULL */
  size_t n_args;
  char **env;                    /* may be NULL */
  size_t n_env;
  bool has_timeout;
  int timeout;                   /* seconds, > 0 */
};

enum clr_hook_kind {
  CLR_HOOK_PRESTART = 0,
  CLR_HOOK_CREATE_RUNTIME,
  CLR_HOOK_CREATE_CONTAINER,
  CLR_HOOK_START_CONTAINER,
  CLR_HOOK_POSTSTART,
  CLR_HOOK_POSTSTOP,
  CLR_HOOK__COUNT
};

struct clr_hook_list {
  struct clr_hook *hooks;
  size_t n;
};

struct clr_namespace {
  int type;                      /* CLONE_NEWNS, CLONE_NEWPID, ..., CLONE_NEWTIME */
  const char *path;              /* NULL: create a new one */
};

struct clr_device {
  const char *path;              /* REQUIRED, absolute */
  char type;                     /* 'c', 'b' or 'p' ("u" in the JSON is stored as 'c') */
  int64_t major, minor;          /* REQUIRED for c/b/u */
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

struct clr_seccomp_arg {
  unsigned index;                /* 0..5 */
  uint64_t value;
  uint64_t value_two;
  int op;                        /* enum scmp_compare (SCMP_CMP_NE, ... SCMP_CMP_MASKED_EQ) */
};

struct clr_seccomp_syscall {
  char **names;                  /* REQUIRED, non-empty */
  size_t n_names;
  const char *action;            /* "SCMP_ACT_ERRNO", ... (validated against the known set) */
  bool has_errno_ret;
  uint32_t errno_ret;
  struct clr_seccomp_arg *args;
  size_t n_args;
};

struct clr_seccomp {
  const char *default_action;    /* REQUIRED */
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures;          /* "SCMP_ARCH_X86_64", ... (validated) */
  size_t n_architectures;
  char **flags;                  /* "SECCOMP_FILTER_FLAG_LOG", ... (validated) */
  size_t n_flags;
  const char *listener_path;
  const char *listener_metadata;
  struct clr_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct clr_linux {
  struct clr_namespace *namespaces;
  size_t n_namespaces;
  struct clr_idmap *uid_mappings;
  size_t n_uid_mappings;
  struct clr_idmap *gid_mappings;
  size_t n_gid_mappings;
  struct clr_device *devices;
  size_t n_devices;
  const char *cgroups_path;      /* NULL when absent */
  /* linux.resources is parsed by the cgroup layer (cgroup/resources.c) from the raw
   * JSON node, so it can also parse `update --resources` input with the same code.
   * NULL when absent.  Type: yajl_val (kept opaque here). */
  void *resources_json;
  struct clr_kv *sysctl;
  size_t n_sysctl;
  char **masked_paths;
  size_t n_masked_paths;
  char **readonly_paths;
  size_t n_readonly_paths;
  unsigned long rootfs_propagation; /* 0 or MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE | MS_REC */
  const char *mount_label;
  struct clr_seccomp *seccomp;   /* NULL when absent */
  bool has_personality;
  unsigned long personality;     /* PER_LINUX or PER_LINUX32 (non-empty flags are a parse error) */
  bool has_time_offsets;
  int64_t time_offset_monotonic_secs;
  uint32_t time_offset_monotonic_nanosecs;
  int64_t time_offset_boottime_secs;
  uint32_t time_offset_boottime_nanosecs;
};

struct clr_config {
  const char *oci_version;       /* REQUIRED, "1.x..." */
  struct clr_process *process;   /* NULL when absent */
  const char *root_path;         /* REQUIRED on Linux */
  bool root_readonly;
  const char *hostname;
  const char *domainname;
  struct clr_mount *mounts;
  size_t n_mounts;
  struct clr_hook_list hooks[CLR_HOOK__COUNT];
  struct clr_kv *annotations;
  size_t n_annotations;
  bool has_linux;
  struct clr_linux linux;

  /* private */
  struct clr_arena *arena;
  void *tree;                    /* yajl_val of the whole document */
};

/* Parse and validate a config.json document. */
int clr_config_parse (const char *json, size_t len, struct clr_config **out, clr_err *err);
/* Read and parse PATH; errors are prefixed with the path. */
int clr_config_load (const char *path, struct clr_config **out, clr_err *err);
void clr_config_free (struct clr_config *cfg);
static inline void clr_config_freep (struct clr_config **c)
{
  if (*c)
    clr_config_free (*c);
}
#define cleanup_config __attribute__ ((cleanup (clr_config_freep)))

/* Parse a standalone "process" object (exec --process FILE).  When *HOLDER is NULL, a
 * fresh holder is created and stored in *HOLDER on success only; free it with
 * clr_config_free().  When *HOLDER is an existing config, the process is allocated
 * from its arena and lives as long as it.  Errors name fields "process.args", ...;
 * JSON syntax errors carry no file name (the caller adds it). */
int clr_process_parse_json (const char *json, size_t len, struct clr_config **holder,
                            struct clr_process **out, clr_err *err);

/* Lookups. */
const struct clr_namespace *clr_config_namespace (const struct clr_config *cfg, int type);
const char *clr_config_annotation (const struct clr_config *cfg, const char *key);

/* Name tables, shared with `features`. */
int clr_cap_from_name (const char *name);          /* "CAP_CHOWN" -> 0; -1 unknown */
const char *clr_cap_name (int cap);                /* 0 -> "CAP_CHOWN"; NULL unknown */
int clr_cap_last (void);                           /* highest capability number known */
const char *clr_namespace_name (int clone_flag);   /* CLONE_NEWPID -> "pid" */
int clr_rlimit_from_name (const char *name);       /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */

/* All mount option names clr_config_parse understands (NULL-terminated), for features. */
extern const char *const clr_known_mount_options[];

/* Small arena allocator used by the parser (also usable by callers that build a
 * config programmatically, e.g. `clawrun run --image`). */
struct clr_arena *clr_arena_new (void);
void *clr_arena_alloc (struct clr_arena *a, size_t n); /* zeroed */
char *clr_arena_strdup (struct clr_arena *a, const char *s);
void clr_arena_free (struct clr_arena *a);

#endif
