/* clawrun: the device allow-list on cgroup v2, where there are no devices.allow/deny
 * files: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the rules (the same
 * semantics as v1 and as runc's devicefilter: the last rule that matches decides, a
 * rule matches only when it grants every requested access bit; nothing matches: deny). */
#ifndef CLAWRUN_DEVICES_BPF_H
#define CLAWRUN_DEVICES_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../runtime/error.h"

struct clr_dev_rule {
  bool allow;
  char type;           /* 'a' (all), 'b', 'c' */
  int64_t major;       /* -1: any */
  int64_t minor;       /* -1: any */
  char access[4];      /* combination of "rwm" */
};

/* Generate and load the program, attach it to CGROUP_FD (a cgroup2 directory) with
 * BPF_F_ALLOW_MULTI, then detach device programs attached there before (update). */
int clr_devices_bpf_apply (int cgroup_fd, const struct clr_dev_rule *rules, size_t n, clr_err *err);

/* Exposed for tests: the number of instructions the rules compile to. */
size_t clr_devices_bpf_insn_count (const struct clr_dev_rule *rules, size_t n);

#endif
