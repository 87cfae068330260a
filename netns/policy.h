/* clawrun: the network policy document (shared/design/egress.md section 7).
 *
 * One versioned JSON document, merged from up to four sources (later wins):
 *   1. the host default /etc/clawrun/policy.json (operator level: the only source that
 *      may lift a range out of the default blocklist),
 *   2. the OCI annotation run.clawrun.network (inline JSON, or "@file" in the bundle),
 *   3. a session's --profile "network-policy",
 *   4. the session flags --network, --allow, --block.
 * Deny by default; deny wins over allow; the cloud metadata addresses are a floor no
 * source can remove.
 */
#ifndef CLAWRUN_POLICY_H
#define CLAWRUN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../runtime/error.h"

#define CLR_POLICY_ANNOTATION "run.clawrun.network"
#define CLR_POLICY_HOST_FILE "/etc/clawrun/policy.json"
#define CLR_POLICY_VERSION 1

/* protocol bits of a port range */
#define CLR_PROTO_TCP 1u
#define CLR_PROTO_UDP 2u
#define CLR_PROTO_ICMP 4u

/* How many port ranges one allow rule (and one BPF map item) holds. */
#define CLR_POLICY_MAX_PORTS 8

enum clr_egress_mode {
  CLR_EGRESS_UNSET = 0,  /* no source said anything: no policy is attached */
  CLR_EGRESS_NONE,       /* no network: loopback only (sessions: no veth at all) */
  CLR_EGRESS_ALLOWLIST,  /* deny by default; what `allow` lists */
};

struct clr_port_range {
  uint16_t lo, hi;       /* inclusive; 0-65535 for "any port" */
  uint8_t protos;        /* CLR_PROTO_* bits */
};

struct clr_cidr {
  int family;            /* AF_INET or AF_INET6 */
  uint8_t addr[16];      /* network byte order; the first 4 bytes for AF_INET */
  uint8_t prefixlen;
};

struct clr_policy_rule {
  char *host;            /* a name rule: lower-case, no trailing dot; "*.example.com"
                            is a wildcard (only when dns.wildcards is true).  NULL for
                            a CIDR rule. */
  struct clr_cidr cidr;  /* a CIDR rule (host == NULL) */
  struct clr_port_range ports[CLR_POLICY_MAX_PORTS];
  size_t n_ports;        /* >= 1 after parsing ("any port, tcp+udp" when none given) */
};

struct clr_policy {
  enum clr_egress_mode mode;
  struct clr_policy_rule *allow;
  size_t n_allow;
  struct clr_cidr *blocked; /* expanded: @default, the metadata floor, user CIDRs */
  size_t n_blocked;
  bool icmp;             /* egress.icmp: ping to allowed addresses */
  bool strict_sockets;   /* egress.strict_sockets: only TCP and UDP inet sockets */
  bool block_inbound;    /* ingress: "deny" (the default) */
  bool audit;            /* deny events recorded */
  bool tc_backstop;      /* egress.tc_backstop: TC program on the host-side veth */
  struct {
    uint32_t min_ttl, max_ttl, grace, max_ips_per_name;
    bool wildcards;      /* "*.suffix" host rules accepted (they reopen a DNS tunnel) */
  } dns;
  /* Set by whoever built the sandbox's network (the session runner): where the
   * resolver listens.  JSON: "dns": {"resolver": ["10.88.0.1", "fd88::1"]}. */
  bool has_resolver4, has_resolver6;
  uint8_t resolver4[4], resolver6[16];
  char *pool;            /* "pool": session address pool, default 10.88.0.0/16 */
  struct clr_cidr *unblocked; /* "egress.unblocked_cidrs" of the host file: removed from
                                 `blocked` by clr_policy_check (never the metadata floor) */
  size_t n_unblocked;
};

void clr_policy_init (struct clr_policy *p);     /* defaults: mode UNSET, @default blocked */
void clr_policy_free (struct clr_policy *p);    /* the contents; P itself is not freed */
static inline void clr_policy_freep (struct clr_policy *p) { clr_policy_free (p); }
#define cleanup_policy __attribute__ ((cleanup (clr_policy_freep)))

/* Merge the JSON document DATA over P.  SOURCE names it in errors ("policy file
 * /etc/clawrun/policy.json", "annotation run.clawrun.network").  OPERATOR: this source
 * may lift ranges out of the default blocklist ("unblocked_cidrs").  Errors name the
 * field: `annotation run.clawrun.network: egress.allow[2].ports[0]: "tcp/70000": port
 * out of range`. */
int clr_policy_merge_json (struct clr_policy *p, const char *data, size_t len, const char *source,
                           bool operator_level, clr_err *err);

/* After the last merge: apply the operator's lifts, add the metadata floor, refuse
 * rules that can never match (an allow inside a blocked range, a wildcard without
 * dns.wildcards).  Errors name the rule. */
int clr_policy_check (struct clr_policy *p, clr_err *err);

/* --allow NAME[:PORT[/PROTO]] | ADDR[:PORT[/PROTO]] | CIDR[:PORT[/PROTO]] ([v6]:PORT for
 * IPv6 with a port); PORT may be LO-HI; PROTO tcp (default) or udp. */
int clr_policy_add_allow (struct clr_policy *p, const char *spec, clr_err *err);
/* --block CIDR */
int clr_policy_add_block (struct clr_policy *p, const char *spec, clr_err *err);

/* Parse "ADDR" or "ADDR/LEN" (either family) into OUT; host bits must be zero. */
int clr_cidr_parse (const char *s, struct clr_cidr *out, clr_err *err);
bool clr_cidr_contains (const struct clr_cidr *c, int family, const uint8_t *addr);

/* Is ADDR (AF_INET: 4 bytes, AF_INET6: 16) inside a blocked range?  v4-mapped and NAT64
 * addresses are judged by their embedded IPv4 address.  The DNS resolver drops such
 * answers (rebinding guard). */
bool clr_policy_is_blocked (const struct clr_policy *p, int family, const uint8_t *addr);

/* The host rule matching NAME (lower-case, no trailing dot), or NULL: exact match, or
 * "*.suffix" (matching names strictly below suffix) when dns.wildcards is on. */
const struct clr_policy_rule *clr_policy_match_host (const struct clr_policy *p, const char *name);

/* The whole policy as JSON (for the session's generated config.json annotation, the
 * audit log and --dry-run).  Malloc'd. */
char *clr_policy_to_json (const struct clr_policy *p, bool pretty);

/* Load the policy a container gets: the host file (CLAWRUN_POLICY_FILE in the
 * environment overrides its path, for tests), then the annotation VALUE (may be NULL;
 * "@file" is read relative to BUNDLE, refusing paths that leave it).  *FOUND is false
 * when neither exists (runc behaviour: no policy). */
int clr_policy_load_for_container (const char *annotation_value, const char *bundle,
                                   struct clr_policy *p, bool *found, clr_err *err);

#endif
