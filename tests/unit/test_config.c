/* Unit tests for runtime/config.c (TAP).  JSON in this file is written with single
 * quotes for readability; J() turns them into double quotes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/mount.h>
#include <seccomp.h>
#include <yajl/yajl_tree.h>

#include "runtime/config.h"
#include "runtime/util.h"
#include "tests/unit/tap.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static char *
J (const char *s)
{
  char *r = xstrdup (s);
  for (char *p = r; *p; p++)
    if (*p == '\'')
      *p = '"';
  return r;
}

static struct clr_config *
parse_ok (const char *sq, const char *desc)
{
  cleanup_free char *json = J (sq);
  struct clr_config *cfg = NULL;
  clr_err err = { 0 };
  int r = clr_config_parse (json, strlen (json), &cfg, &err);
  TAP_OK (r == 0 && cfg != NULL, "accepts: %s", desc);
  if (r < 0)
    printf ("#   error: %s\n", err.msg);
  return cfg;
}

static void
expect_err (const char *sq, const char *msg)
{
  cleanup_free char *json = J (sq);
  struct clr_config *cfg = NULL;
  clr_err err = { 0 };
  int r = clr_config_parse (json, strlen (json), &cfg, &err);
  TAP_OK (r < 0 && cfg == NULL && strcmp (err.msg, msg) == 0, "rejects with: %s", msg);
  if (r == 0)
    {
      printf ("#   unexpectedly accepted\n");
      clr_config_free (cfg);
    }
  else if (strcmp (err.msg, msg) != 0)
    printf ("#   got: %s\n", err.msg);
}

#define HEAD "'ociVersion':'1.0.2','root':{'path':'rootfs'}"
#define USER "'user':{'uid':0,'gid':0}"
#define PMIN USER ",'args':['sh'],'cwd':'/'"
/* A config whose process has EXTRA fields. */
#define WITH_PROC(extra) "{" HEAD ",'process':{" PMIN extra "}}"
#define WITH_LINUX(extra) "{" HEAD ",'linux':{" extra "}}"
#define WITH_TOP(extra) "{" HEAD "," extra "}"

/* runc spec's output, extended with everything a Docker/containerd bundle carries. */
static const char full_config[] =
  "{"
  "'ociVersion':'1.2.0',"
  "'process':{"
  "  'terminal':true,'consoleSize':{'height':24,'width':80},"
  "  'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,10,4294967295],'username':'x'},"
  "  'args':['sh','-c','echo hi'],"
  "  'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm','EMPTY='],"
  "  'cwd':'/home/agent',"
  "  'capabilities':{"
  "    'bounding':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE','CAP_CHECKPOINT_RESTORE'],"
  "    'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
  "    'inheritable':[],"
  "    'permitted':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
  "    'ambient':['CAP_CHOWN']},"
  "  'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':512},"
  "             {'type':'RLIMIT_CORE','hard':18446744073709551615,'soft':0}],"
  "  'noNewPrivileges':true,"
  "  'apparmorProfile':'docker-default',"
  "  'selinuxLabel':'system_u:system_r:container_t:s0:c1,c2',"
  "  'oomScoreAdj':-500,"
  "  'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':4},"
  "  'scheduler':{'policy':'SCHED_DEADLINE','flags':['SCHED_FLAG_RESET_ON_FORK','SCHED_FLAG_RECLAIM'],"
  "               'runtime':10000000,'deadline':20000000,'period':30000000},"
  "  'commandLine':'windows only'"
  "},"
  "'root':{'path':'rootfs','readonly':true},"
  "'hostname':'agent',"
  "'domainname':'example.org',"
  "'mounts':["
  "  {'destination':'/proc','type':'proc','source':'proc'},"
  "  {'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']},"
  "  {'destination':'/dev/pts','type':'devpts','source':'devpts',"
  "   'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},"
  "  {'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','noexec','nodev','mode=1777','size=65536k']},"
  "  {'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']},"
  "  {'destination':'/sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']},"
  "  {'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','relatime','ro']},"
  "  {'destination':'/work','type':'bind','source':'/srv/work','options':['rbind','rro','rnosuid','rprivate']},"
  "  {'destination':'/data','source':'/srv/data','options':['bind','idmap','ro','rw','x-custom'],"
  "   'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
  "   'gidMappings':[{'containerID':0,'hostID':200000,'size':1000}]},"
  "  {'destination':'/tmp','type':'tmpfs','source':'tmpfs','options':['tmpcopyup','rnoatime','rnodev','size=1g']}"
  "],"
  "'hooks':{"
  "  'prestart':[{'path':'/usr/bin/prestart'}],"
  "  'createRuntime':[{'path':'/usr/local/bin/netns-setup','args':['netns-setup','--id','x'],'env':['A=1'],'timeout':5},"
  "                   {'path':'/bin/second'}],"
  "  'createContainer':[],"
  "  'startContainer':[{'path':'/bin/true'}],"
  "  'poststart':[{'path':'/bin/true','args':[]}],"
  "  'poststop':[{'path':'/bin/cleanup','timeout':30}]"
  "},"
  "'annotations':{'org.opencontainers.image.os':'linux','com.example.key':'v'},"
  "'linux':{"
  "  'namespaces':[{'type':'pid'},{'type':'network','path':'/var/run/netns/agent'},{'type':'ipc'},"
  "                {'type':'uts'},{'type':'mount'},{'type':'user'},{'type':'cgroup','path':''},{'type':'time'}],"
  "  'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
  "  'gidMappings':[{'containerID':0,'hostID':100000,'size':65536},{'containerID':65536,'hostID':4294967295,'size':1}],"
  "  'timeOffsets':{'monotonic':{'secs':-100,'nanosecs':5},'boottime':{'secs':86400}},"
  "  'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,'uid':0,'gid':0},"
  "             {'path':'/dev/sda','type':'b','major':8,'minor':0},"
  "             {'path':'/dev/ttyX','type':'u','major':4,'minor':64},"
  "             {'path':'/dev/fifo','type':'p'}],"
  "  'cgroupsPath':'/clawrun/agent-1',"
  "  'resources':{'devices':[{'allow':false,'access':'rwm'}],'memory':{'limit':536870912},'pids':{'limit':100}},"
  "  'sysctl':{'net.ipv4.ip_forward':'1','kernel.shm_rmid_forced':'1'},"
  "  'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys','/proc/latency_stats','/proc/timer_list',"
  "                 '/proc/timer_stats','/proc/sched_debug','/sys/firmware','/proc/scsi'],"
  "  'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger'],"
  "  'rootfsPropagation':'slave',"
  "  'mountLabel':'system_u:object_r:container_file_t:s0',"
  "  'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
  "    'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32'],"
  "    'flags':['SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
  "    'listenerPath':'/run/seccomp.sock','listenerMetadata':'meta',"
  "    'syscalls':["
  "      {'names':['read','write','exit_group'],'action':'SCMP_ACT_ALLOW'},"
  "      {'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':0,'op':'SCMP_CMP_EQ'}]},"
  "      {'names':['clone'],'action':'SCMP_ACT_ALLOW',"
  "       'args':[{'index':0,'value':2114060288,'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'}]},"
  "      {'names':['ptrace'],'action':'SCMP_ACT_ERRNO','errnoRet':38,"
  "       'args':[{'index':5,'value':18446744073709551615,'op':'SCMP_CMP_NE'}]},"
  "      {'names':['mount'],'action':'SCMP_ACT_NOTIFY'}]},"
  "  'personality':{'domain':'LINUX32'},"
  "  'intelRdt':{'closID':'x'},'netDevices':{'eth1':{}}"
  "},"
  "'windows':{'layerFolders':[]},'vm':{'hypervisor':{'path':'/x'}},'solaris':{}"
  "}";

#define CAPBIT(n) (UINT64_C (1) << clr_cap_from_name (n))

static void
test_full (void)
{
  struct clr_config *cfg = parse_ok (full_config, "full Docker-like config");
  if (cfg == NULL)
    return;
  TAP_OK (strcmp (cfg->oci_version, "1.2.0") == 0, "ociVersion");
  TAP_OK (strcmp (cfg->root_path, "rootfs") == 0 && cfg->root_readonly, "root");
  TAP_OK (strcmp (cfg->hostname, "agent") == 0 && strcmp (cfg->domainname, "example.org") == 0,
          "hostname, domainname");

  const struct clr_process *p = cfg->process;
  TAP_OK (p && p->terminal && p->has_console_size && p->console_height == 24 && p->console_width == 80,
          "terminal and consoleSize");
  TAP_OK (p->user.uid == 1000 && p->user.gid == 1001 && p->user.has_umask && p->user.umask == 18
              && p->user.n_additional_gids == 3 && p->user.additional_gids[2] == UINT32_MAX,
          "user");
  TAP_OK (p->n_args == 3 && strcmp (p->args[2], "echo hi") == 0 && p->args[3] == NULL, "args");
  TAP_OK (p->n_env == 3 && strcmp (p->env[2], "EMPTY=") == 0 && p->env[3] == NULL, "env");
  TAP_OK (strcmp (p->cwd, "/home/agent") == 0, "cwd");
  uint64_t three = CAPBIT ("CAP_AUDIT_WRITE") | CAPBIT ("CAP_KILL") | CAPBIT ("CAP_NET_BIND_SERVICE");
  TAP_OK (p->caps.present && p->caps.bounding == (three | (UINT64_C (1) << 40))
              && p->caps.effective == three && p->caps.permitted == three
              && p->caps.inheritable == 0 && p->caps.ambient == 1,
          "capabilities as bit masks");
  TAP_OK (p->n_rlimits == 2 && p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 512
              && p->rlimits[0].hard == 1024 && strcmp (p->rlimits[0].name, "RLIMIT_NOFILE") == 0
              && p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == UINT64_MAX,
          "rlimits (incl. uint64 max)");
  TAP_OK (p->no_new_privileges && strcmp (p->apparmor_profile, "docker-default") == 0
              && strcmp (p->selinux_label, "system_u:system_r:container_t:s0:c1,c2") == 0,
          "noNewPrivileges, apparmor, selinux");
  TAP_OK (p->has_oom_score_adj && p->oom_score_adj == -500, "oomScoreAdj");
  TAP_OK (p->has_io_priority && p->ioprio_class == 2 && p->ioprio_level == 4, "ioPriority");
  TAP_OK (p->has_scheduler && p->scheduler.policy == SCHED_DEADLINE && p->scheduler.flags == 0x3
              && p->scheduler.runtime == 10000000 && p->scheduler.deadline == 20000000
              && p->scheduler.period == 30000000,
          "scheduler");

  TAP_OK (cfg->n_mounts == 10, "10 mounts");
  const struct clr_mount *m = cfg->mounts;
  TAP_OK (strcmp (m[0].destination, "/proc") == 0 && strcmp (m[0].type, "proc") == 0
              && m[0].options == NULL && m[0].n_options == 0 && strcmp (m[0].data, "") == 0 && !m[0].bind,
          "proc mount");
  TAP_OK (m[1].flags == (MS_NOSUID | MS_STRICTATIME) && strcmp (m[1].data, "mode=755,size=65536k") == 0
              && m[1].n_data_options == 2 && m[1].n_options == 4,
          "tmpfs /dev flags and data");
  TAP_OK (m[2].flags == (MS_NOSUID | MS_NOEXEC)
              && strcmp (m[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5") == 0,
          "devpts data");
  TAP_OK (m[6].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY), "cgroup flags");
  TAP_OK (m[7].bind && m[7].recursive_bind && m[7].rec_attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID)
              && m[7].rec_attr_clr == 0 && m[7].propagation == (MS_PRIVATE | MS_REC) && m[7].flags == 0,
          "rbind with rro, rnosuid, rprivate");
  TAP_OK (m[8].type == NULL && m[8].bind && !m[8].recursive_bind && m[8].idmap && !m[8].recursive_idmap
              && m[8].flags == 0 && m[8].clear_flags == MS_RDONLY && strcmp (m[8].data, "x-custom") == 0
              && m[8].n_uid_mappings == 1 && m[8].uid_mappings[0].host_id == 100000
              && m[8].n_gid_mappings == 1 && m[8].gid_mappings[0].size == 1000,
          "idmapped bind mount, rw overrides ro");
  TAP_OK (m[9].tmpcopyup && m[9].rec_attr_set == (MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODEV)
              && m[9].rec_attr_clr == MOUNT_ATTR__ATIME && strcmp (m[9].data, "size=1g") == 0,
          "tmpcopyup and recursive atime");

  TAP_OK (cfg->hooks[CLR_HOOK_PRESTART].n == 1
              && strcmp (cfg->hooks[CLR_HOOK_PRESTART].hooks[0].path, "/usr/bin/prestart") == 0
              && cfg->hooks[CLR_HOOK_PRESTART].hooks[0].args == NULL
              && !cfg->hooks[CLR_HOOK_PRESTART].hooks[0].has_timeout,
          "prestart hook");
  const struct clr_hook *h = &cfg->hooks[CLR_HOOK_CREATE_RUNTIME].hooks[0];
  TAP_OK (cfg->hooks[CLR_HOOK_CREATE_RUNTIME].n == 2 && h->n_args == 3 && strcmp (h->args[1], "--id") == 0
              && h->n_env == 1 && h->has_timeout && h->timeout == 5,
          "createRuntime hook with args, env, timeout");
  TAP_OK (cfg->hooks[CLR_HOOK_CREATE_CONTAINER].n == 0 && cfg->hooks[CLR_HOOK_START_CONTAINER].n == 1
              && cfg->hooks[CLR_HOOK_POSTSTART].n == 1
              && cfg->hooks[CLR_HOOK_POSTSTART].hooks[0].args != NULL
              && cfg->hooks[CLR_HOOK_POSTSTART].hooks[0].n_args == 0
              && cfg->hooks[CLR_HOOK_POSTSTOP].hooks[0].timeout == 30,
          "other hooks");
  TAP_OK (cfg->n_annotations == 2 && strcmp (clr_config_annotation (cfg, "com.example.key"), "v") == 0
              && clr_config_annotation (cfg, "nope") == NULL,
          "annotations");

  const struct clr_linux *lx = &cfg->linux;
  TAP_OK (cfg->has_linux && lx->n_namespaces == 8, "8 namespaces");
  const struct clr_namespace *ns = clr_config_namespace (cfg, CLONE_NEWNET);
  TAP_OK (ns && strcmp (ns->path, "/var/run/netns/agent") == 0, "network namespace path");
  TAP_OK (clr_config_namespace (cfg, CLONE_NEWPID)->path == NULL
              && clr_config_namespace (cfg, CLONE_NEWCGROUP)->path == NULL
              && clr_config_namespace (cfg, CLONE_NEWTIME) != NULL
              && clr_config_namespace (cfg, CLONE_NEWUSER) != NULL,
          "namespace lookups (empty path = new)");
  TAP_OK (lx->n_uid_mappings == 1 && lx->uid_mappings[0].size == 65536 && lx->n_gid_mappings == 2
              && lx->gid_mappings[1].host_id == UINT32_MAX,
          "id mappings");
  TAP_OK (lx->has_time_offsets && lx->time_offset_monotonic_secs == -100
              && lx->time_offset_monotonic_nanosecs == 5 && lx->time_offset_boottime_secs == 86400
              && lx->time_offset_boottime_nanosecs == 0,
          "timeOffsets");
  TAP_OK (lx->n_devices == 4 && lx->devices[0].type == 'c' && lx->devices[0].major == 10
              && lx->devices[0].minor == 229 && lx->devices[0].has_file_mode && lx->devices[0].file_mode == 0666
              && lx->devices[0].has_uid && lx->devices[0].has_gid && lx->devices[1].type == 'b'
              && !lx->devices[1].has_file_mode && lx->devices[2].type == 'c' && lx->devices[3].type == 'p',
          "devices ('u' normalised to 'c')");
  TAP_OK (strcmp (lx->cgroups_path, "/clawrun/agent-1") == 0, "cgroupsPath");
  yajl_val res = lx->resources_json;
  const char *pids_path[] = { "pids", "limit", NULL };
  yajl_val pl = res ? yajl_tree_get (res, pids_path, yajl_t_number) : NULL;
  TAP_OK (pl && YAJL_GET_INTEGER (pl) == 100, "resources kept as raw JSON");
  TAP_OK (lx->n_sysctl == 2 && strcmp (lx->sysctl[0].key, "net.ipv4.ip_forward") == 0
              && strcmp (lx->sysctl[0].value, "1") == 0,
          "sysctl");
  TAP_OK (lx->n_masked_paths == 10 && lx->n_readonly_paths == 5
              && strcmp (lx->readonly_paths[4], "/proc/sysrq-trigger") == 0 && lx->masked_paths[10] == NULL,
          "maskedPaths, readonlyPaths");
  TAP_OK (lx->rootfs_propagation == (MS_SLAVE | MS_REC), "rootfsPropagation");
  TAP_OK (strcmp (lx->mount_label, "system_u:object_r:container_file_t:s0") == 0, "mountLabel");
  const struct clr_seccomp *s = lx->seccomp;
  TAP_OK (s && strcmp (s->default_action, "SCMP_ACT_ERRNO") == 0 && s->has_default_errno_ret
              && s->default_errno_ret == 1 && s->n_architectures == 3
              && strcmp (s->architectures[2], "SCMP_ARCH_X32") == 0 && s->n_flags == 2
              && strcmp (s->listener_path, "/run/seccomp.sock") == 0
              && strcmp (s->listener_metadata, "meta") == 0,
          "seccomp header");
  TAP_OK (s->n_syscalls == 5 && s->syscalls[0].n_names == 3 && s->syscalls[0].n_args == 0
              && !s->syscalls[0].has_errno_ret && s->syscalls[1].args[0].op == SCMP_CMP_EQ
              && s->syscalls[2].args[0].op == SCMP_CMP_MASKED_EQ
              && s->syscalls[2].args[0].value == 2114060288 && s->syscalls[3].has_errno_ret
              && s->syscalls[3].errno_ret == 38 && s->syscalls[3].args[0].index == 5
              && s->syscalls[3].args[0].value == UINT64_MAX && s->syscalls[3].args[0].op == SCMP_CMP_NE
              && strcmp (s->syscalls[4].action, "SCMP_ACT_NOTIFY") == 0,
          "seccomp syscalls and args");
  TAP_OK (lx->has_personality && lx->personality == PER_LINUX32, "personality");
  clr_config_free (cfg);
}

static void
test_accepts (void)
{
  struct clr_config *cfg = parse_ok ("{'ociVersion':'1.0.0','root':{'path':'/'}}", "minimal config");
  if (cfg)
    {
      TAP_OK (cfg->process == NULL && !cfg->has_linux && cfg->n_mounts == 0 && cfg->mounts == NULL
                  && cfg->hooks[CLR_HOOK_POSTSTOP].n == 0 && cfg->n_annotations == 0
                  && !cfg->root_readonly && cfg->hostname == NULL
                  && clr_config_namespace (cfg, CLONE_NEWPID) == NULL,
              "minimal config has nothing else");
      clr_config_free (cfg);
    }
  cfg = parse_ok ("{'ociVersion':'1.3.0','root':{'path':'rootfs'}}", "ociVersion 1.3.0");
  clr_config_free (cfg);
  cfg = parse_ok ("{'ociVersion':'1.0.2-dev','root':{'path':'rootfs'}}", "ociVersion 1.0.2-dev (runc spec)");
  clr_config_free (cfg);

  cfg = parse_ok ("{" HEAD ",'process':{" PMIN ",'env':null,'rlimits':null},'hostname':null,'linux':null}",
                  "null means absent");
  if (cfg)
    {
      TAP_OK (cfg->process->env == NULL && cfg->process->n_rlimits == 0 && cfg->hostname == NULL
                  && !cfg->has_linux,
              "null fields are unset");
      clr_config_free (cfg);
    }

  cfg = parse_ok ("{'ociVersion':'1.0.0','hostname':'a','root':{'path':'r'},'hostname':'b'}",
                  "repeated key");
  if (cfg)
    {
      TAP_OK (strcmp (cfg->hostname, "b") == 0, "repeated key: last wins");
      clr_config_free (cfg);
    }

  cfg = parse_ok ("/* made by hand */ {" HEAD ", // trailing\n 'hostname':'x'}", "comments");
  clr_config_free (cfg);

  cfg = parse_ok ("{" HEAD ",'linux':{'uidMappings':[],'namespaces':[],'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'},"
                  "'rootfsPropagation':'','sysctl':{},'timeOffsets':{}}}",
                  "empty linux sections");
  if (cfg)
    {
      TAP_OK (cfg->has_linux && cfg->linux.n_uid_mappings == 0 && cfg->linux.seccomp
                  && cfg->linux.seccomp->n_syscalls == 0 && cfg->linux.seccomp->architectures == NULL
                  && cfg->linux.rootfs_propagation == 0 && cfg->linux.has_time_offsets,
              "empty linux sections parsed");
      clr_config_free (cfg);
    }

  cfg = parse_ok ("{" HEAD ",'linux':{'rootfsPropagation':'rshared'},'mounts':[{'destination':'/a','options':"
                  "['ro','rw','ro','private','shared','rrelatime','rnoatime','rstrictatime','rrw','rro','rrw',"
                  "'nodev','dev','','defaults','remount','async','sync','rnodiratime','rdiratime','ridmap']}]}",
                  "option overrides");
  if (cfg)
    {
      const struct clr_mount *m = &cfg->mounts[0];
      TAP_OK (m->flags == (MS_RDONLY | MS_REMOUNT | MS_SYNCHRONOUS) && m->clear_flags == MS_NODEV
                  && m->propagation == MS_SHARED
                  && m->rec_attr_set == MOUNT_ATTR_STRICTATIME
                  && m->rec_attr_clr == (MOUNT_ATTR__ATIME | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODIRATIME)
                  && m->idmap && m->recursive_idmap && m->n_data_options == 1
                  && strcmp (m->data, "defaults") == 0 && m->n_options == 21
                  && cfg->linux.rootfs_propagation == (MS_SHARED | MS_REC),
              "later mount options override earlier ones; empty option dropped");
      clr_config_free (cfg);
    }

  cfg = parse_ok ("{" HEAD ",'mounts':[{'destination':'/a','type':'bind','source':'/b'},"
                  "{'destination':'/c','type':'none','source':'/d','options':['rbind']}]}",
                  "bind by type or by option");
  if (cfg)
    {
      TAP_OK (cfg->mounts[0].bind && !cfg->mounts[0].recursive_bind && cfg->mounts[1].bind
                  && cfg->mounts[1].recursive_bind && cfg->mounts[0].flags == 0,
              "type bind is a non-recursive bind; rbind is recursive");
      clr_config_free (cfg);
    }

  /* Every advertised option is recognised (none lands in data). */
  size_t n_known = 0;
  size_t cap = 4096;
  cleanup_free char *buf = xmalloc (cap);
  size_t o = (size_t) snprintf (buf, cap, "{" HEAD ",'mounts':[{'destination':'/x','options':[");
  for (; clr_known_mount_options[n_known]; n_known++)
    o += (size_t) snprintf (buf + o, cap - o, "%s'%s'", n_known ? "," : "", clr_known_mount_options[n_known]);
  snprintf (buf + o, cap - o, "]}]}");
  cfg = parse_ok (buf, "all known mount options");
  TAP_OK (n_known == 53, "53 known mount options (%zu)", n_known);
  if (cfg)
    {
      TAP_OK (cfg->mounts[0].n_data_options == 0 && strcmp (cfg->mounts[0].data, "") == 0,
              "every known mount option is recognised");
      clr_config_free (cfg);
    }
}

static void
test_rejects (void)
{
  /* document */
  expect_err ("{'ociVersion':'2.0.0','root':{'path':'r'}}",
              "ociVersion: unsupported version \"2.0.0\" (clawrun supports 1.x)");
  expect_err ("{'ociVersion':'2.0','root':{'path':'r'}}",
              "ociVersion: unsupported version \"2.0\" (clawrun supports 1.x)");
  expect_err ("{'ociVersion':'10.0.0','root':{'path':'r'}}",
              "ociVersion: unsupported version \"10.0.0\" (clawrun supports 1.x)");
  expect_err ("{'root':{'path':'r'}}", "ociVersion: missing");
  expect_err ("{'ociVersion':1,'root':{'path':'r'}}", "ociVersion: expected a string");
  expect_err ("{'ociVersion':'1.0.0'}", "root: missing");
  expect_err ("{'ociVersion':'1.0.0','root':{'readonly':true}}", "root.path: missing");
  expect_err ("{'ociVersion':'1.0.0','root':'rootfs'}", "root: expected an object");
  expect_err ("{'ociVersion':'1.0.0','root':{'path':''}}", "root.path: must not be empty");
  expect_err ("{'ociVersion':'1.0.0','root':{'path':'r','readonly':'yes'}}", "root.readonly: expected a boolean");
  expect_err ("['ociVersion']", "expected a JSON object at the top level");
  expect_err ("{'ociVersion' x}", "invalid JSON: lexical error: invalid char in json text (line 1, column 15)");
  expect_err ("{\n'ociVersion':'1.0.0',\n", "invalid JSON: parse error: premature EOF (line 3, column 1)");
  expect_err ("{} {}", "invalid JSON: parse error: trailing garbage (line 1, column 4)");
  expect_err ("{'ociVersion':'1.0\\u0000evil','root':{'path':'r'}}",
              "invalid JSON: \\u0000 in a string is not supported");
  expect_err (WITH_TOP ("'hostname':5"), "hostname: expected a string");
  expect_err (WITH_TOP ("'annotations':{'a':1}"), "annotations.a: expected a string");
  expect_err (WITH_TOP ("'annotations':{'':'x'}"), "annotations: keys must not be empty");
  expect_err (WITH_TOP ("'annotations':['a']"), "annotations: expected an object");

  /* process */
  expect_err (WITH_TOP ("'process':[]"), "process: expected an object");
  expect_err ("{" HEAD ",'process':{'args':['sh'],'cwd':'/'}}", "process.user: missing");
  expect_err (WITH_PROC (",'user':{'uid':'0','gid':0}"), "process.user.uid: expected a number");
  expect_err (WITH_PROC (",'user':{'uid':-1,'gid':0}"), "process.user.uid: must not be negative");
  expect_err (WITH_PROC (",'user':{'uid':4294967296,'gid':0}"),
              "process.user.uid: out of range (maximum 4294967295)");
  expect_err (WITH_PROC (",'user':{'uid':184467440737095516160000,'gid':0}"),
              "process.user.uid: out of range (maximum 4294967295)");
  expect_err (WITH_PROC (",'user':{'uid':1.5,'gid':0}"), "process.user.uid: must be an integer");
  expect_err (WITH_PROC (",'user':{'uid':1e3,'gid':0}"), "process.user.uid: must be an integer");
  expect_err (WITH_PROC (",'user':{'uid':0}"), "process.user.gid: missing");
  expect_err (WITH_PROC (",'user':{'uid':0,'gid':0,'additionalGids':[1,-2]}"),
              "process.user.additionalGids[1]: must not be negative");
  expect_err ("{" HEAD ",'process':{" USER ",'cwd':'/'}}", "process.args: missing");
  expect_err (WITH_PROC (",'args':[]"), "process.args: must not be empty");
  expect_err (WITH_PROC (",'args':'sh'"), "process.args: expected an array");
  expect_err (WITH_PROC (",'args':['sh',null]"), "process.args[1]: expected a string");
  expect_err ("{" HEAD ",'process':{" USER ",'args':['sh']}}", "process.cwd: missing");
  expect_err (WITH_PROC (",'cwd':'home'"), "process.cwd: must be an absolute path");
  expect_err (WITH_PROC (",'terminal':'yes'"), "process.terminal: expected a boolean");
  expect_err (WITH_PROC (",'env':['PATH=/bin','FOO']"),
              "process.env[1]: invalid environment variable \"FOO\" (expected NAME=VALUE)");
  expect_err (WITH_PROC (",'env':['=x']"),
              "process.env[0]: invalid environment variable \"=x\" (expected NAME=VALUE)");
  expect_err (WITH_PROC (",'consoleSize':{'height':1}"), "process.consoleSize.width: missing");
  expect_err (WITH_PROC (",'capabilities':{'bounding':['CAP_CHOWN','CAP_KILL','CAP_SETUID','CAP_FOO']}"),
              "process.capabilities.bounding[3]: unknown capability \"CAP_FOO\"");
  expect_err (WITH_PROC (",'capabilities':{'ambient':['chown']}"),
              "process.capabilities.ambient[0]: unknown capability \"chown\"");
  expect_err (WITH_PROC (",'capabilities':{'effective':'CAP_KILL'}"),
              "process.capabilities.effective: expected an array");
  expect_err (WITH_PROC (",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},{'type':'RLIMIT_FOO','soft':1,'hard':1}]"),
              "process.rlimits[1].type: unknown value \"RLIMIT_FOO\"");
  expect_err (WITH_PROC (",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},{'type':'RLIMIT_NOFILE','soft':1,'hard':1}]"),
              "process.rlimits[1].type: duplicate \"RLIMIT_NOFILE\"");
  expect_err (WITH_PROC (",'rlimits':[{'type':'RLIMIT_NOFILE','hard':1}]"), "process.rlimits[0].soft: missing");
  expect_err (WITH_PROC (",'rlimits':[{'type':'RLIMIT_NOFILE','soft':2,'hard':1}]"),
              "process.rlimits[0]: RLIMIT_NOFILE: soft limit 2 exceeds hard limit 1");
  expect_err (WITH_PROC (",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':18446744073709551616}]"),
              "process.rlimits[0].hard: out of range (maximum 18446744073709551615)");
  expect_err (WITH_PROC (",'oomScoreAdj':1001"), "process.oomScoreAdj: out of range (-1000 to 1000)");
  expect_err (WITH_PROC (",'oomScoreAdj':-99999999999999999999"),
              "process.oomScoreAdj: out of range (-1000 to 1000)");
  expect_err (WITH_PROC (",'ioPriority':{'class':'IOPRIO_CLASS_FOO'}"),
              "process.ioPriority.class: unknown value \"IOPRIO_CLASS_FOO\"");
  expect_err (WITH_PROC (",'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':8}"),
              "process.ioPriority.priority: out of range (0 to 7)");
  expect_err (WITH_PROC (",'scheduler':{'nice':1}"), "process.scheduler.policy: missing");
  expect_err (WITH_PROC (",'scheduler':{'policy':'SCHED_FAST'}"),
              "process.scheduler.policy: unknown value \"SCHED_FAST\"");
  expect_err (WITH_PROC (",'scheduler':{'policy':'SCHED_OTHER','nice':20}"),
              "process.scheduler.nice: out of range (-20 to 19)");
  expect_err (WITH_PROC (",'scheduler':{'policy':'SCHED_OTHER','priority':5}"),
              "process.scheduler.priority: only valid with SCHED_FIFO or SCHED_RR");
  expect_err (WITH_PROC (",'scheduler':{'policy':'SCHED_RR','flags':['SCHED_FLAG_NOPE']}"),
              "process.scheduler.flags[0]: unknown value \"SCHED_FLAG_NOPE\"");
  expect_err (WITH_PROC (",'scheduler':{'policy':'SCHED_FIFO','runtime':1}"),
              "process.scheduler: runtime, deadline and period are only valid with SCHED_DEADLINE");
  expect_err (WITH_PROC (",'apparmorProfile':true"), "process.apparmorProfile: expected a string");

  /* mounts */
  expect_err (WITH_TOP ("'mounts':{}"), "mounts: expected an array");
  expect_err (WITH_TOP ("'mounts':['/proc']"), "mounts[0]: expected an object");
  expect_err (WITH_TOP ("'mounts':[{'destination':'/a'},{'destination':'/b'},{'type':'tmpfs'}]"),
              "mounts[2].destination: missing");
  expect_err (WITH_TOP ("'mounts':[{'destination':'/a'},{'destination':'/b'},{'destination':'c'}]"),
              "mounts[2].destination: must be an absolute path");
  expect_err (WITH_TOP ("'mounts':[{'destination':'/a','options':'ro'}]"), "mounts[0].options: expected an array");
  expect_err (WITH_TOP ("'mounts':[{'destination':'/a','options':['ro',1]}]"),
              "mounts[0].options[1]: expected a string");
  expect_err (WITH_TOP ("'mounts':[{'destination':'/a','source':7}]"), "mounts[0].source: expected a string");
  expect_err (WITH_TOP ("'mounts':[{'destination':'/a','options':['idmap'],'uidMappings':[{'containerID':0,'hostID':1}]}]"),
              "mounts[0].uidMappings[0].size: missing");

  /* hooks */
  expect_err (WITH_TOP ("'hooks':{'prestart':[{'path':'bin/x'}]}"), "hooks.prestart[0].path: must be an absolute path");
  expect_err (WITH_TOP ("'hooks':{'createRuntime':[{'args':['x']}]}"), "hooks.createRuntime[0].path: missing");
  expect_err (WITH_TOP ("'hooks':{'poststop':[{'path':'/x','timeout':0}]}"),
              "hooks.poststop[0].timeout: must be greater than zero");
  expect_err (WITH_TOP ("'hooks':{'poststop':[{'path':'/x','timeout':-3}]}"),
              "hooks.poststop[0].timeout: must be greater than zero");
  expect_err (WITH_TOP ("'hooks':{'poststart':{'path':'/x'}}"), "hooks.poststart: expected an array");

  /* linux */
  expect_err (WITH_TOP ("'linux':[]"), "linux: expected an object");
  expect_err (WITH_LINUX ("'namespaces':[{'type':'foo'}]"), "linux.namespaces[0].type: unknown value \"foo\"");
  expect_err (WITH_LINUX ("'namespaces':[{'type':'pid'},{'type':'net'}]"),
              "linux.namespaces[1].type: unknown value \"net\"");
  expect_err (WITH_LINUX ("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'pid','path':'/proc/1/ns/pid'}]"),
              "linux.namespaces[2].type: duplicate namespace \"pid\"");
  expect_err (WITH_LINUX ("'namespaces':[{'path':'/proc/1/ns/net'}]"), "linux.namespaces[0].type: missing");
  expect_err (WITH_LINUX ("'namespaces':[{'type':'network','path':'proc/1/ns/net'}]"),
              "linux.namespaces[0].path: must be an absolute path");
  expect_err (WITH_LINUX ("'uidMappings':[{'containerID':0,'size':1}]"), "linux.uidMappings[0].hostID: missing");
  expect_err (WITH_LINUX ("'gidMappings':[{'containerID':0,'hostID':0,'size':-1}]"),
              "linux.gidMappings[0].size: must not be negative");
  expect_err (WITH_LINUX ("'uidMappings':[{'containerID':0,'hostID':5000000000,'size':1}]"),
              "linux.uidMappings[0].hostID: out of range (maximum 4294967295)");
  expect_err (WITH_LINUX ("'devices':[{'type':'x','path':'/dev/x'}]"), "linux.devices[0].type: unknown value \"x\"");
  expect_err (WITH_LINUX ("'devices':[{'type':'c','path':'/dev/x','minor':1}]"), "linux.devices[0].major: missing");
  expect_err (WITH_LINUX ("'devices':[{'type':'c','path':'dev/x','major':1,'minor':1}]"),
              "linux.devices[0].path: must be an absolute path");
  expect_err (WITH_LINUX ("'devices':[{'path':'/dev/x'}]"), "linux.devices[0].type: missing");
  expect_err (WITH_LINUX ("'devices':[{'type':'b','path':'/dev/x','major':-8,'minor':0}]"),
              "linux.devices[0].major: must not be negative");
  expect_err (WITH_LINUX ("'resources':[]"), "linux.resources: expected an object");
  expect_err (WITH_LINUX ("'sysctl':{'net.ipv4.ip_forward':1}"),
              "linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string");
  expect_err (WITH_LINUX ("'maskedPaths':['/proc/kcore','proc/keys']"),
              "linux.maskedPaths[1]: must be an absolute path");
  expect_err (WITH_LINUX ("'readonlyPaths':[true]"), "linux.readonlyPaths[0]: expected a string");
  expect_err (WITH_LINUX ("'rootfsPropagation':'weird'"), "linux.rootfsPropagation: unknown value \"weird\"");
  expect_err (WITH_LINUX ("'cgroupsPath':{}"), "linux.cgroupsPath: expected a string");
  expect_err (WITH_LINUX ("'seccomp':{'syscalls':[]}"), "linux.seccomp.defaultAction: missing");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_MAYBE'}"),
              "linux.seccomp.defaultAction: unknown value \"SCMP_ACT_MAYBE\"");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_FOO'}]}"),
              "linux.seccomp.syscalls[0].action: unknown value \"SCMP_ACT_FOO\"");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]}"),
              "linux.seccomp.syscalls[0].action: missing");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_LOG'}]}"),
              "linux.seccomp.syscalls[0].names: must not be empty");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_Z80']}"),
              "linux.seccomp.architectures[1]: unknown value \"SCMP_ARCH_Z80\"");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_FAST']}"),
              "linux.seccomp.flags[0]: unknown value \"SECCOMP_FILTER_FLAG_FAST\"");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['kill'],'action':'SCMP_ACT_ALLOW',"
                          "'args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}"),
              "linux.seccomp.syscalls[0].args[0].index: out of range (maximum 5)");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['kill'],'action':'SCMP_ACT_ALLOW',"
                          "'args':[{'index':1,'value':1,'op':'SCMP_CMP_ALMOST'}]}]}"),
              "linux.seccomp.syscalls[0].args[0].op: unknown value \"SCMP_CMP_ALMOST\"");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['kill'],'action':'SCMP_ACT_ALLOW',"
                          "'args':[{'index':1,'op':'SCMP_CMP_EQ'}]}]}"),
              "linux.seccomp.syscalls[0].args[0].value: missing");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['kill'],'action':'SCMP_ACT_ALLOW',"
                          "'args':[{'index':1,'value':18446744073709551616,'op':'SCMP_CMP_EQ'}]}]}"),
              "linux.seccomp.syscalls[0].args[0].value: out of range (maximum 18446744073709551615)");
  expect_err (WITH_LINUX ("'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}"),
              "linux.seccomp.defaultErrnoRet: must not be negative");
  expect_err (WITH_LINUX ("'personality':{'domain':'LINUX64'}"), "linux.personality.domain: unknown value \"LINUX64\"");
  expect_err (WITH_LINUX ("'personality':{'domain':'LINUX','flags':['ADDR_NO_RANDOMIZE']}"),
              "linux.personality.flags[0]: unsupported personality flag \"ADDR_NO_RANDOMIZE\"");
  expect_err (WITH_LINUX ("'timeOffsets':{'realtime':{'secs':1}}"),
              "linux.timeOffsets.realtime: unknown clock (expected monotonic or boottime)");
  expect_err (WITH_LINUX ("'timeOffsets':{'boottime':{'nanosecs':1000000000}}"),
              "linux.timeOffsets.boottime.nanosecs: out of range (maximum 999999999)");

  /* hostile strings are escaped and cut in messages */
  expect_err (WITH_LINUX ("'namespaces':[{'type':'\\u001b[31mred'}]"),
              "linux.namespaces[0].type: unknown value \"\\x1b[31mred\"");
  expect_err (WITH_LINUX ("'namespaces':[{'type':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}]"),
              "linux.namespaces[0].type: unknown value "
              "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
}

static void
test_raw_input (void)
{
  clr_err err = { 0 };
  struct clr_config *cfg = NULL;
  static const char nul[] = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"}}\0garbage";
  int r = clr_config_parse (nul, sizeof nul - 1, &cfg, &err);
  TAP_OK (r < 0 && strcmp (err.msg, "invalid JSON: NUL byte at offset 42") == 0, "NUL byte in input: %s",
          err.msg);

  /* Not NUL-terminated: the parser must stop at LEN. */
  static const char prefix[] = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"}}XXXX";
  r = clr_config_parse (prefix, sizeof prefix - 5, &cfg, &err);
  TAP_OK (r == 0, "input is bounded by len");
  clr_config_free (cfg);
  cfg = NULL;

  r = clr_config_parse ("", 0, &cfg, &err);
  TAP_OK (r < 0 && strncmp (err.msg, "invalid JSON: ", 14) == 0, "empty input: %s", err.msg);

  /* Deep nesting is refused before yajl builds (and recursively frees) a tree. */
  size_t depth = 100000;
  char *deep = xmalloc (2 * depth + 64);
  size_t o = (size_t) sprintf (deep, "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"x\":");
  memset (deep + o, '[', depth);
  memset (deep + o + depth, ']', depth);
  strcpy (deep + o + 2 * depth, "}");
  r = clr_config_parse (deep, strlen (deep), &cfg, &err);
  TAP_OK (r < 0 && strcmp (err.msg, "invalid JSON: nested deeper than 512 levels") == 0, "deep nesting: %s",
          err.msg);
  free (deep);

  /* Brackets inside strings and comments do not count. */
  char *fake = xmalloc (4 * 1000 + 128);
  o = (size_t) sprintf (fake, "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"x\":\"");
  memset (fake + o, '[', 1000);
  o += 1000;
  o += (size_t) sprintf (fake + o, "\\\"\" /* ");
  memset (fake + o, '{', 1000);
  o += 1000;
  strcpy (fake + o, " */ }");
  r = clr_config_parse (fake, strlen (fake), &cfg, &err);
  TAP_OK (r == 0, "brackets in strings and comments are not nesting%s%s", r ? ": " : "", r ? err.msg : "");
  clr_config_free (cfg);
  cfg = NULL;
  free (fake);
}

static void
test_load (void)
{
  char dir[] = "/tmp/clawrun-test-config.XXXXXX";
  TAP_OK (mkdtemp (dir) != NULL, "mkdtemp");
  char path[PATH_MAX];
  snprintf (path, sizeof path, "%s/config.json", dir);
  clr_err err = { 0 };
  struct clr_config *cfg = NULL;

  cleanup_free char *good = J (full_config);
  FILE *f = fopen (path, "w");
  fputs (good, f);
  fclose (f);
  int r = clr_config_load (path, &cfg, &err);
  TAP_OK (r == 0 && cfg && cfg->n_mounts == 10, "clr_config_load reads a file");
  clr_config_free (cfg);
  cfg = NULL;

  f = fopen (path, "w");
  fputs ("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"user\":{\"uid\":-1,\"gid\":0}}}", f);
  fclose (f);
  r = clr_config_load (path, &cfg, &err);
  char want[PATH_MAX + 100];
  snprintf (want, sizeof want, "%s: process.user.uid: must not be negative", path);
  TAP_OK (r < 0 && cfg == NULL && strcmp (err.msg, want) == 0, "load errors name the file: %s", err.msg);

  f = fopen (path, "w");
  fputs ("{\"ociVersion\": }", f);
  fclose (f);
  r = clr_config_load (path, &cfg, &err);
  snprintf (want, sizeof want, "%s: invalid JSON: ", path);
  TAP_OK (r < 0 && strncmp (err.msg, want, strlen (want)) == 0, "invalid JSON names the file: %s", err.msg);

  unlink (path);
  r = clr_config_load (path, &cfg, &err);
  TAP_OK (r < 0 && err.code == ENOENT, "missing file: %s", err.msg);
  rmdir (dir);

  /* runc's own template, if runc is installed. */
  char cmd[PATH_MAX + 64];
  char rdir[] = "/tmp/clawrun-test-runc.XXXXXX";
  if (mkdtemp (rdir) == NULL)
    return;
  snprintf (cmd, sizeof cmd, "cd %s && runc spec >/dev/null 2>&1", rdir);
  snprintf (path, sizeof path, "%s/config.json", rdir);
  if (system (cmd) != 0)
    TAP_SKIP ("runc not installed", "runc spec output parses");
  else
    {
      r = clr_config_load (path, &cfg, &err);
      TAP_OK (r == 0 && cfg->process && cfg->process->caps.present && cfg->n_mounts == 7
                  && cfg->linux.n_namespaces == 5 && cfg->linux.resources_json,
              "runc spec output parses%s%s", r ? ": " : "", r ? err.msg : "");
      clr_config_free (cfg);
      cfg = NULL;
      unlink (path);
      snprintf (cmd, sizeof cmd, "cd %s && runc spec --rootless >/dev/null 2>&1", rdir);
      if (system (cmd) == 0)
        {
          r = clr_config_load (path, &cfg, &err);
          TAP_OK (r == 0 && cfg->linux.n_uid_mappings == 1 && clr_config_namespace (cfg, CLONE_NEWUSER),
                  "runc spec --rootless output parses%s%s", r ? ": " : "", r ? err.msg : "");
          clr_config_free (cfg);
          cfg = NULL;
          unlink (path);
        }
    }
  rmdir (rdir);
}

static void
test_process_json (void)
{
  clr_err err = { 0 };
  struct clr_config *holder = NULL;
  struct clr_process *p = NULL;
  cleanup_free char *j1 = J ("{'user':{'uid':5,'gid':6},'args':['ls','-l'],'cwd':'/tmp','env':['A=b']}");
  int r = clr_process_parse_json (j1, strlen (j1), &holder, &p, &err);
  TAP_OK (r == 0 && holder && p && p->user.uid == 5 && p->n_args == 2 && strcmp (p->cwd, "/tmp") == 0,
          "standalone process with a fresh holder");

  /* A second one into the same holder (its tree must stay alive with the holder). */
  struct clr_process *p2 = NULL;
  cleanup_free char *j2 = J ("{'user':{'uid':7,'gid':7},'args':['true'],'cwd':'/'}");
  r = clr_process_parse_json (j2, strlen (j2), &holder, &p2, &err);
  TAP_OK (r == 0 && p2 && p2->user.uid == 7 && strcmp (p2->args[0], "true") == 0
              && strcmp (p->args[1], "-l") == 0,
          "standalone process into an existing holder");

  struct clr_process *p3 = NULL;
  cleanup_free char *j3 = J ("{'user':{'uid':7,'gid':7},'cwd':'/'}");
  r = clr_process_parse_json (j3, strlen (j3), &holder, &p3, &err);
  TAP_OK (r < 0 && p3 == NULL && strcmp (err.msg, "process.args: missing") == 0, "process errors: %s", err.msg);
  clr_config_free (holder);

  holder = NULL;
  r = clr_process_parse_json (j3, strlen (j3), &holder, &p3, &err);
  TAP_OK (r < 0 && holder == NULL, "failed parse leaves no holder");
  r = clr_process_parse_json ("[]", 2, &holder, &p3, &err);
  TAP_OK (r < 0 && holder == NULL && strcmp (err.msg, "expected a JSON object at the top level") == 0,
          "process must be an object: %s", err.msg);

  /* A config struct built by hand can own parsed processes too. */
  struct clr_arena *a = clr_arena_new ();
  struct clr_config *built = clr_arena_alloc (a, sizeof *built);
  built->arena = a;
  built->root_path = clr_arena_strdup (a, "/rootfs");
  r = clr_process_parse_json (j1, strlen (j1), &built, &p, &err);
  TAP_OK (r == 0 && built->tree != NULL && strcmp (built->root_path, "/rootfs") == 0 && p->n_env == 1,
          "process into a hand-built config");
  clr_config_free (built);
}

static void
test_names (void)
{
  bool roundtrip = true;
  for (int i = 0; i <= clr_cap_last (); i++)
    if (clr_cap_name (i) == NULL || clr_cap_from_name (clr_cap_name (i)) != i)
      roundtrip = false;
  TAP_OK (roundtrip && clr_cap_last () == 40, "capability names round-trip, last is 40");
  TAP_OK (clr_cap_from_name ("CAP_CHOWN") == 0 && clr_cap_from_name ("CAP_SYS_ADMIN") == 21
              && clr_cap_from_name ("CAP_CHECKPOINT_RESTORE") == 40 && clr_cap_from_name ("CAP_BPF") == 39,
          "capability numbers");
  TAP_OK (clr_cap_from_name ("CAP_") == -1 && clr_cap_from_name ("CHOWN") == -1
              && clr_cap_from_name ("cap_chown") == -1 && clr_cap_from_name (NULL) == -1
              && clr_cap_name (41) == NULL && clr_cap_name (-1) == NULL,
          "unknown capabilities");
  TAP_OK (strcmp (clr_namespace_name (CLONE_NEWNS), "mount") == 0
              && strcmp (clr_namespace_name (CLONE_NEWPID), "pid") == 0
              && strcmp (clr_namespace_name (CLONE_NEWNET), "network") == 0
              && strcmp (clr_namespace_name (CLONE_NEWIPC), "ipc") == 0
              && strcmp (clr_namespace_name (CLONE_NEWUTS), "uts") == 0
              && strcmp (clr_namespace_name (CLONE_NEWUSER), "user") == 0
              && strcmp (clr_namespace_name (CLONE_NEWCGROUP), "cgroup") == 0
              && strcmp (clr_namespace_name (CLONE_NEWTIME), "time") == 0 && clr_namespace_name (0) == NULL,
          "namespace names");
  TAP_OK (clr_rlimit_from_name ("RLIMIT_NOFILE") == RLIMIT_NOFILE
              && clr_rlimit_from_name ("RLIMIT_RTTIME") == RLIMIT_RTTIME
              && clr_rlimit_from_name ("RLIMIT_AS") == RLIMIT_AS
              && clr_rlimit_from_name ("RLIMIT_SIGPENDING") == RLIMIT_SIGPENDING
              && clr_rlimit_from_name ("NOFILE") == -1 && clr_rlimit_from_name (NULL) == -1,
          "rlimit names");
}

static void
test_arena (void)
{
  struct clr_arena *a = clr_arena_new ();
  bool ok = true;
  for (int i = 0; i < 10000; i++)
    {
      size_t n = (size_t) (i % 97) + 1;
      unsigned char *p = clr_arena_alloc (a, n);
      if ((uintptr_t) p % 16 != 0)
        ok = false;
      for (size_t k = 0; k < n; k++)
        if (p[k] != 0)
          ok = false;
      memset (p, 0xff, n);
    }
  unsigned char *big = clr_arena_alloc (a, 1 << 20);
  for (size_t k = 0; k < (1 << 20); k += 4096)
    if (big[k] != 0)
      ok = false;
  memset (big, 0xee, 1 << 20);
  unsigned char *after = clr_arena_alloc (a, 8);
  if (after[0] != 0 || after == big)
    ok = false;
  char *s = clr_arena_strdup (a, "hello");
  TAP_OK (ok && strcmp (s, "hello") == 0, "arena: zeroed, aligned, big blocks separate");
  clr_arena_free (a);
  clr_arena_free (NULL);
  clr_config_free (NULL);
}

static void
bench (void)
{
  cleanup_free char *json = J (full_config);
  size_t len = strlen (json);
  clr_err err;
  struct timespec t0, t1;
  int n = getenv ("CLAWRUN_BENCH") ? 20000 : 200;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < n; i++)
    {
      struct clr_config *cfg = NULL;
      if (clr_config_parse (json, len, &cfg, &err) < 0)
        break;
      clr_config_free (cfg);
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n;
  printf ("# full config (%zu bytes): %.1f us per parse+free\n", len, us);
}

int
main (void)
{
  test_full ();
  test_accepts ();
  test_rejects ();
  test_raw_input ();
  test_load ();
  test_process_json ();
  test_names ();
  test_arena ();
  bench ();
  return tap_done ();
}
