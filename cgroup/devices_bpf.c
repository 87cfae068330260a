#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../runtime/util.h"
#include "devices_bpf.h"

/* Hand-assembled like runc and crun do: the program is tiny and generated per rule
 * set, so neither clang nor libbpf is needed on the start path. */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src) INSN (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define AND32_IMM(dst, imm) INSN (BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm) INSN (BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JNE_REG(dst, src, off) INSN (BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define MOV64_IMM(dst, imm) INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT_INSN() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* registers: r2 = device type, r3 = requested access, r4 = major, r5 = minor */
enum { R0, R1, R2, R3, R4, R5 };

static int
access_bits (const char *a)
{
  int bits = 0;
  for (; *a; a++)
    bits |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/* Emit into OUT (may be NULL to count).  Returns the instruction count. */
static size_t
generate (const struct clr_dev_rule *rules, size_t n, struct bpf_insn *out)
{
  size_t k = 0;
#define EMIT(x)                                                                                    \
  do                                                                                               \
    {                                                                                              \
      if (out)                                                                                     \
        out[k] = (x);                                                                              \
      k++;                                                                                         \
    }                                                                                              \
  while (0)
  EMIT (LDX_W (R2, R1, 0));
  EMIT (AND32_IMM (R2, 0xFFFF));
  EMIT (LDX_W (R3, R1, 0));
  EMIT (RSH32_IMM (R3, 16));
  EMIT (LDX_W (R4, R1, 4));
  EMIT (LDX_W (R5, R1, 8));
  /* Last rule first: the first block that matches decides. */
  for (size_t i = n; i-- > 0;)
    {
      const struct clr_dev_rule *r = &rules[i];
      int acc = access_bits (r->access);
      bool all_access = acc == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
      bool any_type = r->type == 'a';
      /* v1: type "a" is every device with every access, whatever the other fields say */
      size_t conds = any_type ? 0
                              : 1 + (all_access ? 0 : 3) + (r->major >= 0 ? 1 : 0) + (r->minor >= 0 ? 1 : 0);
      size_t end = k + conds + 2; /* index of the next block */
      if (!any_type)
        {
          EMIT (JNE_IMM (R2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, (int16_t) (end - k - 1)));
          if (!all_access)
            {
              EMIT (MOV32_REG (R1, R3));
              EMIT (AND32_IMM (R1, acc));
              EMIT (JNE_REG (R1, R3, (int16_t) (end - k - 1)));
            }
          if (r->major >= 0)
            EMIT (JNE_IMM (R4, (int32_t) r->major, (int16_t) (end - k - 1)));
          if (r->minor >= 0)
            EMIT (JNE_IMM (R5, (int32_t) r->minor, (int16_t) (end - k - 1)));
        }
      EMIT (MOV64_IMM (R0, r->allow ? 1 : 0));
      EMIT (EXIT_INSN ());
      if (any_type)
        return k; /* nothing before it can be reached */
    }
  EMIT (MOV64_IMM (R0, 0));
  EMIT (EXIT_INSN ());
  return k;
#undef EMIT
}

size_t
clr_devices_bpf_insn_count (const struct clr_dev_rule *rules, size_t n)
{
  return generate (rules, n, NULL);
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

int
clr_devices_bpf_apply (int cgroup_fd, const struct clr_dev_rule *rules, size_t n, clr_err *err)
{
  for (size_t i = 0; i < n; i++)
    if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX)
      return clr_fail (err, EINVAL, "linux.resources.devices[%zu]: major/minor out of range", i);
  size_t count = generate (rules, n, NULL);
  cleanup_free struct bpf_insn *insns = xcalloc (count, sizeof *insns);
  generate (rules, n, insns);

  /* what is attached now: detached once the new program is in place */
  uint32_t old_ids[64];
  union bpf_attr q;
  memset (&q, 0, sizeof q);
  q.query.target_fd = cgroup_fd;
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = (uint64_t) (uintptr_t) old_ids;
  q.query.prog_cnt = CLR_ARRAY_SIZE (old_ids);
  if (sys_bpf (BPF_PROG_QUERY, &q) < 0)
    q.query.prog_cnt = 0;

  char log[4096] = "";
  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uint64_t) (uintptr_t) insns;
  a.insn_cnt = (uint32_t) count;
  a.license = (uint64_t) (uintptr_t) "GPL";
  a.log_buf = (uint64_t) (uintptr_t) log;
  a.log_size = sizeof log;
  a.log_level = 1;
  cleanup_close int prog = sys_bpf (BPF_PROG_LOAD, &a);
  if (prog < 0)
    {
      /* retry without the log: a full log buffer alone makes the load fail (ENOSPC) */
      a.log_buf = 0;
      a.log_size = 0;
      a.log_level = 0;
      prog = sys_bpf (BPF_PROG_LOAD, &a);
    }
  if (prog < 0)
    return clr_fail (err, errno, "load the device cgroup BPF program (%zu instructions)%s%.200s", count,
                     log[0] ? ": " : "", log);
  union bpf_attr at;
  memset (&at, 0, sizeof at);
  at.target_fd = cgroup_fd;
  at.attach_bpf_fd = prog;
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &at) < 0)
    return clr_fail (err, errno, "attach the device cgroup BPF program");
  for (uint32_t i = 0; i < q.query.prog_cnt && i < CLR_ARRAY_SIZE (old_ids); i++)
    {
      union bpf_attr g;
      memset (&g, 0, sizeof g);
      g.prog_id = old_ids[i];
      cleanup_close int old = sys_bpf (BPF_PROG_GET_FD_BY_ID, &g);
      if (old < 0)
        continue;
      union bpf_attr d;
      memset (&d, 0, sizeof d);
      d.target_fd = cgroup_fd;
      d.attach_bpf_fd = old;
      d.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &d) < 0 && errno != ENOENT)
        return clr_fail (err, errno, "detach the previous device cgroup BPF program");
    }
  return 0;
}
