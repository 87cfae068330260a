/* clawrun: the network policy document.  See policy.h and shared/design/egress.md §7. */
#define _GNU_SOURCE
#include "policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "../runtime/json.h"
#include "../runtime/util.h"

/* egress.md §7 "@default": private, shared, link-local (cloud metadata 169.254.169.254),
 * multicast, reserved; IPv6 ULA (AWS's fd00:ec2::254), link-local, multicast, NAT64
 * local-use, Teredo, 6to4, discard.  Loopback is not here: it is allowed only because
 * the sandbox's netns is private (the BPF flag), never by policy. */
static const char *const default_blocked[] = {
  "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12",
  "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
  "::/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b:1::/48", "2001::/32",
  "2002::/16", "100::/64",
};

/* Cloud metadata services: blocked whatever any source says (AWS/GCP/Azure v4, AWS v6,
 * Alibaba). */
static const char *const metadata_floor[] = {
  "169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32",
};

void
clr_policy_init (struct clr_policy *p)
{
  memset (p, 0, sizeof *p);
  p->block_inbound = true;
  p->audit = true;
  p->strict_sockets = true;
  p->tc_backstop = true;
  p->dns.min_ttl = 5;
  p->dns.max_ttl = 3600;
  p->dns.grace = 3600;
  p->dns.max_ips_per_name = 64;
  for (size_t i = 0; i < CLR_ARRAY_SIZE (default_blocked); i++)
    {
      struct clr_cidr c;
      clr_err e;
      if (clr_cidr_parse (default_blocked[i], &c, &e) == 0)
        {
          p->blocked = xrealloc (p->blocked, (p->n_blocked + 1) * sizeof *p->blocked);
          p->blocked[p->n_blocked++] = c;
        }
    }
}

void
clr_policy_free (struct clr_policy *p)
{
  for (size_t i = 0; i < p->n_allow; i++)
    free (p->allow[i].host);
  free (p->allow);
  free (p->blocked);
  free (p->unblocked);
  free (p->pool);
  memset (p, 0, sizeof *p);
}

/* --- addresses --- */

int
clr_cidr_parse (const char *s, struct clr_cidr *out, clr_err *err)
{
  char buf[INET6_ADDRSTRLEN + 8];
  memset (out, 0, sizeof *out);
  if (strlen (s) >= sizeof buf)
    return clr_fail (err, 0, "\"%.64s\": not an address or CIDR", s);
  strcpy (buf, s);
  char *slash = strchr (buf, '/');
  if (slash)
    *slash++ = '\0';
  if (inet_pton (AF_INET, buf, out->addr) == 1)
    out->family = AF_INET;
  else if (inet_pton (AF_INET6, buf, out->addr) == 1)
    out->family = AF_INET6;
  else
    return clr_fail (err, 0, "\"%s\": not an IPv4 or IPv6 address", s);
  unsigned max = out->family == AF_INET ? 32 : 128;
  out->prefixlen = max;
  if (slash)
    {
      uint64_t v;
      if (clr_parse_u64 (slash, max, &v) < 0)
        return clr_fail (err, 0, "\"%s\": prefix length must be 0-%u", s, max);
      out->prefixlen = v;
    }
  /* host bits set usually means a typo (10.0.0.1/8 meant 10.0.0.0/8 or 10.0.0.1/32) */
  for (unsigned bit = out->prefixlen; bit < max; bit++)
    if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
      return clr_fail (err, 0, "\"%s\": host bits set after /%u", s, out->prefixlen);
  return 0;
}

static bool
prefix_match (const uint8_t *a, const uint8_t *b, unsigned len)
{
  unsigned bytes = len / 8, bits = len % 8;
  if (memcmp (a, b, bytes) != 0)
    return false;
  if (bits == 0)
    return true;
  uint8_t mask = (uint8_t) (0xff << (8 - bits));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

bool
clr_cidr_contains (const struct clr_cidr *c, int family, const uint8_t *addr)
{
  return c->family == family && prefix_match (c->addr, addr, c->prefixlen);
}

/* Does A cover all of B? */
static bool
cidr_covers (const struct clr_cidr *a, const struct clr_cidr *b)
{
  return a->family == b->family && a->prefixlen <= b->prefixlen && prefix_match (a->addr, b->addr, a->prefixlen);
}

static bool
cidr_overlaps (const struct clr_cidr *a, const struct clr_cidr *b)
{
  return cidr_covers (a, b) || cidr_covers (b, a);
}

/* v4-mapped ::ffff:a.b.c.d and NAT64 64:ff9b::a.b.c.d carry an IPv4 address that the
 * IPv4 policy judges (egress.md §6). */
static bool
embedded_v4 (const uint8_t *a6, uint8_t v4[4])
{
  static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
  if (memcmp (a6, mapped, 12) != 0 && memcmp (a6, nat64, 12) != 0)
    return false;
  memcpy (v4, a6 + 12, 4);
  return true;
}

bool
clr_policy_is_blocked (const struct clr_policy *p, int family, const uint8_t *addr)
{
  uint8_t v4[4];
  if (family == AF_INET6 && embedded_v4 (addr, v4))
    return clr_policy_is_blocked (p, AF_INET, v4);
  for (size_t i = 0; i < p->n_blocked; i++)
    if (clr_cidr_contains (&p->blocked[i], family, addr))
      return true;
  return false;
}

/* --- names --- */

/* RFC 1123 host name, lower-cased into OUT; "*." prefix allowed (checked later). */
static int
parse_host (const char *s, char **out, clr_err *err)
{
  size_t n = strlen (s);
  if (n > 0 && s[n - 1] == '.')
    n--;
  if (n == 0 || n > 253)
    return clr_fail (err, 0, "\"%s\": not a host name", s);
  char *h = xmalloc (n + 1);
  size_t label = 0;
  for (size_t i = 0; i < n; i++)
    {
      char c = (char) tolower ((unsigned char) s[i]);
      h[i] = c;
      if (i == 0 && c == '*' && n > 2 && s[1] == '.')
        {
          h[++i] = '.';
          continue;
        }
      if (c == '.')
        {
          if (label == 0)
            goto bad;
          label = 0;
          continue;
        }
      if (!(isalnum ((unsigned char) c) || c == '-' || c == '_') || ++label > 63)
        goto bad;
    }
  if (label == 0)
    goto bad;
  h[n] = '\0';
  *out = h;
  return 0;
bad:
  free (h);
  return clr_fail (err, 0, "\"%s\": not a host name", s);
}

const struct clr_policy_rule *
clr_policy_match_host (const struct clr_policy *p, const char *name)
{
  size_t n = strlen (name);
  for (size_t i = 0; i < p->n_allow; i++)
    {
      const char *h = p->allow[i].host;
      if (h == NULL)
        continue;
      if (h[0] == '*')
        {
          /* "*.example.com" matches a.example.com and a.b.example.com, not example.com */
          size_t sl = strlen (h + 1);
          if (p->dns.wildcards && n > sl && strcasecmp (name + n - sl, h + 1) == 0)
            return &p->allow[i];
        }
      else if (strcasecmp (h, name) == 0)
        return &p->allow[i];
    }
  return NULL;
}

/* --- ports --- */

/* "tcp/443", "udp/9000-9001", "443" (DEFAULT_PROTO), "icmp", "tcp" (all ports) */
static int
parse_port_spec (const char *s, const char *default_proto, struct clr_port_range *out, clr_err *err)
{
  const char *slash = strchr (s, '/');
  char proto[8];
  const char *range;
  if (slash)
    {
      if ((size_t) (slash - s) >= sizeof proto)
        return clr_fail (err, 0, "\"%s\": protocol must be tcp, udp or icmp", s);
      memcpy (proto, s, (size_t) (slash - s));
      proto[slash - s] = '\0';
      range = slash + 1;
    }
  else if (isdigit ((unsigned char) s[0]))
    {
      snprintf (proto, sizeof proto, "%s", default_proto);
      range = s;
    }
  else
    {
      snprintf (proto, sizeof proto, "%.7s", s);
      range = "";
    }
  if (strcasecmp (proto, "tcp") == 0)
    out->protos = CLR_PROTO_TCP;
  else if (strcasecmp (proto, "udp") == 0)
    out->protos = CLR_PROTO_UDP;
  else if (strcasecmp (proto, "icmp") == 0)
    out->protos = CLR_PROTO_ICMP;
  else
    return clr_fail (err, 0, "\"%s\": protocol must be tcp, udp or icmp", s);
  if (*range == '\0' || out->protos == CLR_PROTO_ICMP)
    {
      if (*range && out->protos == CLR_PROTO_ICMP)
        return clr_fail (err, 0, "\"%s\": icmp takes no port", s);
      out->lo = 0;
      out->hi = 65535;
      return 0;
    }
  char lo_s[8] = "", *dash = strchr (range, '-');
  uint64_t lo, hi;
  if (dash)
    {
      if ((size_t) (dash - range) >= sizeof lo_s)
        return clr_fail (err, 0, "\"%s\": bad port range", s);
      memcpy (lo_s, range, (size_t) (dash - range));
      lo_s[dash - range] = '\0';
      if (clr_parse_u64 (lo_s, 65535, &lo) < 0 || clr_parse_u64 (dash + 1, 65535, &hi) < 0)
        return clr_fail (err, 0, "\"%s\": port out of range (1-65535)", s);
    }
  else if (clr_parse_u64 (range, 65535, &lo) < 0)
    return clr_fail (err, 0, "\"%s\": port out of range (1-65535)", s);
  else
    hi = lo;
  if (lo == 0 || hi < lo)
    return clr_fail (err, 0, "\"%s\": port out of range (1-65535)", s);
  out->lo = (uint16_t) lo;
  out->hi = (uint16_t) hi;
  return 0;
}

static void
any_port (struct clr_policy_rule *r)
{
  r->ports[0] = (struct clr_port_range){ 0, 65535, CLR_PROTO_TCP | CLR_PROTO_UDP };
  r->n_ports = 1;
}

static struct clr_policy_rule *
push_rule (struct clr_policy *p)
{
  p->allow = xrealloc (p->allow, (p->n_allow + 1) * sizeof *p->allow);
  struct clr_policy_rule *r = &p->allow[p->n_allow++];
  memset (r, 0, sizeof *r);
  return r;
}

static void
push_cidr (struct clr_cidr **v, size_t *n, const struct clr_cidr *c)
{
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i].family == c->family && (*v)[i].prefixlen == c->prefixlen && memcmp ((*v)[i].addr, c->addr, 16) == 0)
      return;
  *v = xrealloc (*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = *c;
}

/* --- flags --- */

int
clr_policy_add_allow (struct clr_policy *p, const char *spec, clr_err *err)
{
  char target[300] = "", port[32] = "";
  size_t len = strlen (spec);
  if (len == 0 || len >= sizeof target)
    return clr_fail (err, 0, "--allow \"%.64s\": expected NAME[:PORT[/PROTO]] or CIDR[:PORT[/PROTO]]", spec);
  if (spec[0] == '[')
    {
      /* [2001:db8::10]:8080 or [2001:db8::/32]:443 */
      const char *close = strchr (spec, ']');
      if (!close || (close[1] != '\0' && close[1] != ':'))
        return clr_fail (err, 0, "--allow %s: expected [IPV6]:PORT", spec);
      snprintf (target, sizeof target, "%.*s", (int) (close - spec - 1), spec + 1);
      if (close[1] == ':')
        snprintf (port, sizeof port, "%s", close + 2);
    }
  else
    {
      const char *c1 = strchr (spec, ':'), *c2 = strrchr (spec, ':');
      if (c1 && c1 != c2)
        snprintf (target, sizeof target, "%s", spec); /* bare IPv6, no port */
      else if (c1)
        {
          snprintf (target, sizeof target, "%.*s", (int) (c1 - spec), spec);
          if (snprintf (port, sizeof port, "%s", c1 + 1) >= (int) sizeof port)
            return clr_fail (err, 0, "--allow %s: bad port", spec);
        }
      else
        snprintf (target, sizeof target, "%s", spec);
    }
  struct clr_policy_rule r;
  memset (&r, 0, sizeof r);
  clr_err e = { 0 };
  bool is_addr = target[0] && (isdigit ((unsigned char) target[0]) || strchr (target, ':'));
  if (is_addr)
    {
      if (clr_cidr_parse (target, &r.cidr, &e) < 0)
        return clr_fail (err, 0, "--allow %s: %s", spec, e.msg);
    }
  else if (parse_host (target, &r.host, &e) < 0)
    return clr_fail (err, 0, "--allow %s: %s", spec, e.msg);
  if (port[0])
    {
      /* PORT[/PROTO] */
      char spec2[40];
      const char *slash = strchr (port, '/');
      if (slash)
        snprintf (spec2, sizeof spec2, "%s/%.*s", slash + 1, (int) (slash - port), port);
      else
        snprintf (spec2, sizeof spec2, "tcp/%s", port);
      if (parse_port_spec (spec2, "tcp", &r.ports[0], &e) < 0)
        {
          free (r.host);
          return clr_fail (err, 0, "--allow %s: %s", spec, e.msg);
        }
      r.n_ports = 1;
    }
  else
    any_port (&r);
  *push_rule (p) = r;
  return 0;
}

int
clr_policy_add_block (struct clr_policy *p, const char *spec, clr_err *err)
{
  struct clr_cidr c;
  clr_err e = { 0 };
  if (clr_cidr_parse (spec, &c, &e) < 0)
    return clr_fail (err, 0, "--block %s: %s", spec, e.msg);
  push_cidr (&p->blocked, &p->n_blocked, &c);
  return 0;
}

/* --- the JSON document --- */

#define FIELD_FAIL(...) (clr_fail (err, 0, __VA_ARGS__))

static int
check_keys (yajl_val obj, const char *where, const char *const *known, const char *source, clr_err *err)
{
  for (size_t i = 0; i < obj->u.object.len; i++)
    {
      bool ok = false;
      for (size_t k = 0; known[k]; k++)
        ok |= strcmp (obj->u.object.keys[i], known[k]) == 0;
      if (!ok)
        return FIELD_FAIL ("%s: %s%s\"%s\": unknown field", source, where, *where ? "." : "",
                           obj->u.object.keys[i]);
    }
  return 0;
}

static int
get_bool (yajl_val obj, const char *key, bool *out, const char *where, const char *source, clr_err *err)
{
  yajl_val v = clr_json_get (obj, key);
  if (!v)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return FIELD_FAIL ("%s: %s.%s: expected true or false", source, where, key);
  *out = YAJL_IS_TRUE (v);
  return 0;
}

static int
get_u32 (yajl_val obj, const char *key, uint32_t max, uint32_t *out, const char *where, const char *source,
         clr_err *err)
{
  yajl_val v = clr_json_get (obj, key);
  if (!v)
    return 0;
  if (!YAJL_IS_INTEGER (v) || YAJL_GET_INTEGER (v) < 0 || YAJL_GET_INTEGER (v) > max)
    return FIELD_FAIL ("%s: %s.%s: expected an integer 0-%u", source, where, key, max);
  *out = (uint32_t) YAJL_GET_INTEGER (v);
  return 0;
}

static int
parse_cidr_list (yajl_val v, const char *field, const char *source, bool allow_default, struct clr_cidr **out,
                 size_t *n, clr_err *err)
{
  if (!YAJL_IS_ARRAY (v))
    return FIELD_FAIL ("%s: %s: expected an array of CIDRs", source, field);
  for (size_t i = 0; i < v->u.array.len; i++)
    {
      yajl_val it = v->u.array.values[i];
      const char *s = YAJL_IS_STRING (it) ? it->u.string : NULL;
      if (!s)
        return FIELD_FAIL ("%s: %s[%zu]: expected a string", source, field, i);
      if (strcmp (s, "@default") == 0)
        {
          if (!allow_default)
            return FIELD_FAIL ("%s: %s[%zu]: \"@default\" cannot be lifted as a whole", source, field, i);
          for (size_t k = 0; k < CLR_ARRAY_SIZE (default_blocked); k++)
            {
              struct clr_cidr c;
              clr_err e;
              if (clr_cidr_parse (default_blocked[k], &c, &e) == 0)
                push_cidr (out, n, &c);
            }
          continue;
        }
      struct clr_cidr c;
      clr_err e = { 0 };
      if (clr_cidr_parse (s, &c, &e) < 0)
        return FIELD_FAIL ("%s: %s[%zu]: %s", source, field, i, e.msg);
      push_cidr (out, n, &c);
    }
  return 0;
}

static int
parse_allow (struct clr_policy *p, yajl_val v, const char *source, clr_err *err)
{
  static const char *const rule_keys[] = { "host", "cidr", "ports", NULL };
  if (!YAJL_IS_ARRAY (v))
    return FIELD_FAIL ("%s: egress.allow: expected an array", source);
  for (size_t i = 0; i < v->u.array.len; i++)
    {
      yajl_val it = v->u.array.values[i];
      char where[48];
      snprintf (where, sizeof where, "egress.allow[%zu]", i);
      if (!YAJL_IS_OBJECT (it))
        return FIELD_FAIL ("%s: %s: expected an object with \"host\" or \"cidr\"", source, where);
      if (check_keys (it, where, rule_keys, source, err) < 0)
        return -1;
      yajl_val host = clr_json_get (it, "host"), cidr = clr_json_get (it, "cidr"), ports = clr_json_get (it, "ports");
      if ((host != NULL) == (cidr != NULL))
        return FIELD_FAIL ("%s: %s: exactly one of \"host\" and \"cidr\"", source, where);
      struct clr_policy_rule r;
      memset (&r, 0, sizeof r);
      clr_err e = { 0 };
      if (host && (!YAJL_IS_STRING (host) || parse_host (host->u.string, &r.host, &e) < 0))
        return FIELD_FAIL ("%s: %s.host: %s", source, where, YAJL_IS_STRING (host) ? e.msg : "expected a string");
      if (cidr && (!YAJL_IS_STRING (cidr) || clr_cidr_parse (cidr->u.string, &r.cidr, &e) < 0))
        return FIELD_FAIL ("%s: %s.cidr: %s", source, where, YAJL_IS_STRING (cidr) ? e.msg : "expected a string");
      if (ports)
        {
          if (!YAJL_IS_ARRAY (ports) || ports->u.array.len == 0 || ports->u.array.len > CLR_POLICY_MAX_PORTS)
            {
              free (r.host);
              return FIELD_FAIL ("%s: %s.ports: expected 1-%d strings like \"tcp/443\"", source, where,
                                 CLR_POLICY_MAX_PORTS);
            }
          for (size_t k = 0; k < ports->u.array.len; k++)
            {
              yajl_val pv = ports->u.array.values[k];
              if (!YAJL_IS_STRING (pv) || parse_port_spec (pv->u.string, "tcp", &r.ports[k], &e) < 0)
                {
                  free (r.host);
                  return FIELD_FAIL ("%s: %s.ports[%zu]: %s", source, where, k,
                                     YAJL_IS_STRING (pv) ? e.msg : "expected a string like \"tcp/443\"");
                }
            }
          r.n_ports = ports->u.array.len;
        }
      else
        any_port (&r);
      *push_rule (p) = r;
    }
  return 0;
}

int
clr_policy_merge_json (struct clr_policy *p, const char *data, size_t len, const char *source, bool operator_level,
                       clr_err *err)
{
  static const char *const top_keys[] = { "version", "egress", "ingress", "dns", "audit", "pool", NULL };
  static const char *const egress_keys[] = { "mode", "allow", "blocked_cidrs", "unblocked_cidrs", "icmp",
                                             "strict_sockets", "tc_backstop", NULL };
  static const char *const dns_keys[] = { "mode", "min_ttl", "max_ttl", "grace", "max_ips_per_name", "wildcards",
                                          "resolver", NULL };
  char errbuf[256] = "";
  cleanup_free char *text = xmalloc (len + 1);
  memcpy (text, data, len);
  text[len] = '\0';
  yajl_val root = yajl_tree_parse (text, errbuf, sizeof errbuf);
  if (root == NULL)
    {
      char *nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      return FIELD_FAIL ("%s: invalid JSON: %s", source, errbuf);
    }
  int ret = -1;
  if (!YAJL_IS_OBJECT (root))
    {
      FIELD_FAIL ("%s: expected a JSON object", source);
      goto out;
    }
  if (check_keys (root, "", top_keys, source, err) < 0)
    goto out;
  yajl_val v = clr_json_get (root, "version");
  if (!v || !YAJL_IS_INTEGER (v) || YAJL_GET_INTEGER (v) != CLR_POLICY_VERSION)
    {
      FIELD_FAIL ("%s: version: expected %d", source, CLR_POLICY_VERSION);
      goto out;
    }
  yajl_val eg = clr_json_get (root, "egress");
  if (eg)
    {
      if (!YAJL_IS_OBJECT (eg))
        {
          FIELD_FAIL ("%s: egress: expected an object", source);
          goto out;
        }
      if (check_keys (eg, "egress", egress_keys, source, err) < 0)
        goto out;
      yajl_val mode = clr_json_get (eg, "mode");
      if (mode)
        {
          const char *m = YAJL_IS_STRING (mode) ? mode->u.string : "";
          if (strcmp (m, "none") == 0)
            p->mode = CLR_EGRESS_NONE;
          else if (strcmp (m, "allowlist") == 0)
            p->mode = CLR_EGRESS_ALLOWLIST;
          else
            {
              FIELD_FAIL ("%s: egress.mode: \"%s\": expected \"none\" or \"allowlist\"", source, m);
              goto out;
            }
        }
      yajl_val a = clr_json_get (eg, "allow");
      if (a && parse_allow (p, a, source, err) < 0)
        goto out;
      yajl_val b = clr_json_get (eg, "blocked_cidrs");
      if (b && parse_cidr_list (b, "egress.blocked_cidrs", source, true, &p->blocked, &p->n_blocked, err) < 0)
        goto out;
      yajl_val u = clr_json_get (eg, "unblocked_cidrs");
      if (u)
        {
          /* only the operator's own file may open a private range (egress.md §7) */
          if (!operator_level)
            {
              FIELD_FAIL ("%s: egress.unblocked_cidrs: only the host policy file may lift a blocked range", source);
              goto out;
            }
          if (parse_cidr_list (u, "egress.unblocked_cidrs", source, false, &p->unblocked, &p->n_unblocked, err) < 0)
            goto out;
        }
      if (get_bool (eg, "icmp", &p->icmp, "egress", source, err) < 0
          || get_bool (eg, "strict_sockets", &p->strict_sockets, "egress", source, err) < 0
          || get_bool (eg, "tc_backstop", &p->tc_backstop, "egress", source, err) < 0)
        goto out;
    }
  yajl_val in = clr_json_get (root, "ingress");
  if (in)
    {
      const char *s = YAJL_IS_STRING (in) ? in->u.string : "";
      if (strcmp (s, "deny") == 0)
        p->block_inbound = true;
      else if (strcmp (s, "allow") == 0)
        p->block_inbound = false;
      else
        {
          FIELD_FAIL ("%s: ingress: expected \"deny\" or \"allow\"", source);
          goto out;
        }
    }
  yajl_val dns = clr_json_get (root, "dns");
  if (dns)
    {
      if (!YAJL_IS_OBJECT (dns))
        {
          FIELD_FAIL ("%s: dns: expected an object", source);
          goto out;
        }
      if (check_keys (dns, "dns", dns_keys, source, err) < 0)
        goto out;
      yajl_val m = clr_json_get (dns, "mode");
      if (m && !(YAJL_IS_STRING (m) && strcmp (m->u.string, "resolver") == 0))
        {
          FIELD_FAIL ("%s: dns.mode: expected \"resolver\"", source);
          goto out;
        }
      if (get_u32 (dns, "min_ttl", 86400, &p->dns.min_ttl, "dns", source, err) < 0
          || get_u32 (dns, "max_ttl", 7 * 86400, &p->dns.max_ttl, "dns", source, err) < 0
          || get_u32 (dns, "grace", 7 * 86400, &p->dns.grace, "dns", source, err) < 0
          || get_u32 (dns, "max_ips_per_name", 1024, &p->dns.max_ips_per_name, "dns", source, err) < 0
          || get_bool (dns, "wildcards", &p->dns.wildcards, "dns", source, err) < 0)
        goto out;
      yajl_val r = clr_json_get (dns, "resolver");
      if (r)
        {
          if (!YAJL_IS_ARRAY (r))
            {
              FIELD_FAIL ("%s: dns.resolver: expected an array of addresses", source);
              goto out;
            }
          for (size_t i = 0; i < r->u.array.len; i++)
            {
              yajl_val it = r->u.array.values[i];
              struct clr_cidr c;
              clr_err e = { 0 };
              if (!YAJL_IS_STRING (it) || clr_cidr_parse (it->u.string, &c, &e) < 0
                  || c.prefixlen != (c.family == AF_INET ? 32 : 128))
                {
                  FIELD_FAIL ("%s: dns.resolver[%zu]: expected an IPv4 or IPv6 address", source, i);
                  goto out;
                }
              if (c.family == AF_INET)
                {
                  p->has_resolver4 = true;
                  memcpy (p->resolver4, c.addr, 4);
                }
              else
                {
                  p->has_resolver6 = true;
                  memcpy (p->resolver6, c.addr, 16);
                }
            }
        }
    }
  if (get_bool (root, "audit", &p->audit, "", source, err) < 0)
    goto out;
  yajl_val pool = clr_json_get (root, "pool");
  if (pool)
    {
      struct clr_cidr c;
      clr_err e = { 0 };
      if (!YAJL_IS_STRING (pool) || clr_cidr_parse (pool->u.string, &c, &e) < 0 || c.family != AF_INET
          || c.prefixlen > 30)
        {
          FIELD_FAIL ("%s: pool: expected an IPv4 CIDR of /30 or wider", source);
          goto out;
        }
      free (p->pool);
      p->pool = xstrdup (pool->u.string);
    }
  ret = 0;
out:
  yajl_tree_free (root);
  return ret;
}

int
clr_policy_check (struct clr_policy *p, clr_err *err)
{
  /* the operator's lifts, then the floor nobody can lift */
  for (size_t u = 0; u < p->n_unblocked; u++)
    for (size_t i = 0; i < p->n_blocked;)
      if (cidr_covers (&p->unblocked[u], &p->blocked[i]))
        p->blocked[i] = p->blocked[--p->n_blocked];
      else
        i++;
  for (size_t i = 0; i < CLR_ARRAY_SIZE (metadata_floor); i++)
    {
      struct clr_cidr c;
      clr_err e;
      if (clr_cidr_parse (metadata_floor[i], &c, &e) == 0)
        push_cidr (&p->blocked, &p->n_blocked, &c);
    }
  if (p->dns.min_ttl > p->dns.max_ttl)
    return FIELD_FAIL ("network policy: dns.min_ttl (%u) is above dns.max_ttl (%u)", p->dns.min_ttl, p->dns.max_ttl);
  for (size_t i = 0; i < p->n_allow; i++)
    {
      const struct clr_policy_rule *r = &p->allow[i];
      if (r->host && r->host[0] == '*' && !p->dns.wildcards)
        return FIELD_FAIL ("network policy: allow \"%s\": wildcards reopen a DNS tunnel through that zone; "
                           "set dns.wildcards to true to accept that",
                           r->host);
      if (r->host)
        continue;
      for (size_t b = 0; b < p->n_blocked; b++)
        if (cidr_covers (&p->blocked[b], &r->cidr))
          {
            char a[INET6_ADDRSTRLEN], bb[INET6_ADDRSTRLEN];
            inet_ntop (r->cidr.family, r->cidr.addr, a, sizeof a);
            inet_ntop (p->blocked[b].family, p->blocked[b].addr, bb, sizeof bb);
            return FIELD_FAIL ("network policy: allow %s/%u is inside the blocked range %s/%u (deny wins; "
                               "only the host policy file can lift a range)",
                               a, r->cidr.prefixlen, bb, p->blocked[b].prefixlen);
          }
    }
  (void) cidr_overlaps;
  return 0;
}

/* --- loading for a container --- */

int
clr_policy_load_for_container (const char *annotation_value, const char *bundle, struct clr_policy *p, bool *found,
                               clr_err *err)
{
  *found = false;
  const char *host = getenv ("CLAWRUN_POLICY_FILE");
  if (host == NULL || *host == '\0')
    host = CLR_POLICY_HOST_FILE;
  cleanup_free char *data = NULL;
  size_t len = 0;
  clr_err e = { 0 };
  if (clr_read_file (host, 1 << 20, &data, &len, &e) == 0)
    {
      cleanup_free char *src = xasprintf ("policy file %s", host);
      if (clr_policy_merge_json (p, data, len, src, true, err) < 0)
        return -1;
      *found = true;
    }
  else if (e.code != ENOENT)
    return clr_fail (err, e.code, "policy file %s", host);
  if (annotation_value)
    {
      if (annotation_value[0] == '@')
        {
          /* a file in the bundle: refuse anything that leaves it */
          const char *rel = annotation_value + 1;
          if (rel[0] == '/' || strstr (rel, "..") || *rel == '\0')
            return clr_fail (err, 0, "annotation %s: \"%s\": expected @FILE relative to the bundle",
                             CLR_POLICY_ANNOTATION, annotation_value);
          cleanup_close int dfd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (dfd < 0)
            return clr_fail (err, errno, "bundle %s", bundle);
          free (data);
          data = NULL;
          if (clr_read_file_at (dfd, rel, 1 << 20, &data, &len, err) < 0)
            return clr_wrap (err, "annotation %s", CLR_POLICY_ANNOTATION);
          cleanup_free char *src = xasprintf ("annotation %s (%s)", CLR_POLICY_ANNOTATION, rel);
          if (clr_policy_merge_json (p, data, len, src, false, err) < 0)
            return -1;
        }
      else if (clr_policy_merge_json (p, annotation_value, strlen (annotation_value),
                                      "annotation " CLR_POLICY_ANNOTATION, false, err) < 0)
        return -1;
      *found = true;
    }
  if (*found && p->mode == CLR_EGRESS_UNSET)
    p->mode = CLR_EGRESS_ALLOWLIST;
  return *found ? clr_policy_check (p, err) : 0;
}

/* --- output --- */

static void
gen_cidr (yajl_gen g, const struct clr_cidr *c)
{
  char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];
  inet_ntop (c->family, c->addr, a, sizeof a);
  snprintf (buf, sizeof buf, "%s/%u", a, c->prefixlen);
  clr_json_str (g, buf);
}

static void
gen_ports (yajl_gen g, const struct clr_policy_rule *r)
{
  clr_json_str (g, "ports");
  yajl_gen_array_open (g);
  for (size_t k = 0; k < r->n_ports; k++)
    {
      const struct clr_port_range *pr = &r->ports[k];
      static const struct { uint8_t bit; const char *name; } protos[] = {
        { CLR_PROTO_TCP, "tcp" }, { CLR_PROTO_UDP, "udp" }, { CLR_PROTO_ICMP, "icmp" } };
      for (size_t i = 0; i < CLR_ARRAY_SIZE (protos); i++)
        {
          if (!(pr->protos & protos[i].bit))
            continue;
          char buf[32];
          if (protos[i].bit == CLR_PROTO_ICMP || (pr->lo == 0 && pr->hi == 65535))
            snprintf (buf, sizeof buf, "%s", protos[i].name);
          else if (pr->lo == pr->hi)
            snprintf (buf, sizeof buf, "%s/%u", protos[i].name, pr->lo);
          else
            snprintf (buf, sizeof buf, "%s/%u-%u", protos[i].name, pr->lo, pr->hi);
          clr_json_str (g, buf);
        }
    }
  yajl_gen_array_close (g);
}

char *
clr_policy_to_json (const struct clr_policy *p, bool pretty)
{
  yajl_gen g = clr_json_gen (pretty);
  yajl_gen_map_open (g);
  clr_json_str (g, "version");
  yajl_gen_integer (g, CLR_POLICY_VERSION);
  clr_json_str (g, "egress");
  yajl_gen_map_open (g);
  clr_json_str (g, "mode");
  clr_json_str (g, p->mode == CLR_EGRESS_NONE ? "none" : "allowlist");
  clr_json_str (g, "allow");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < p->n_allow; i++)
    {
      const struct clr_policy_rule *r = &p->allow[i];
      yajl_gen_map_open (g);
      if (r->host)
        {
          clr_json_str (g, "host");
          clr_json_str (g, r->host);
        }
      else
        {
          clr_json_str (g, "cidr");
          gen_cidr (g, &r->cidr);
        }
      gen_ports (g, r);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  clr_json_str (g, "blocked_cidrs");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < p->n_blocked; i++)
    gen_cidr (g, &p->blocked[i]);
  yajl_gen_array_close (g);
  clr_json_str (g, "icmp");
  yajl_gen_bool (g, p->icmp);
  clr_json_str (g, "strict_sockets");
  yajl_gen_bool (g, p->strict_sockets);
  clr_json_str (g, "tc_backstop");
  yajl_gen_bool (g, p->tc_backstop);
  yajl_gen_map_close (g);
  clr_json_str (g, "ingress");
  clr_json_str (g, p->block_inbound ? "deny" : "allow");
  clr_json_str (g, "dns");
  yajl_gen_map_open (g);
  clr_json_str (g, "mode");
  clr_json_str (g, "resolver");
  const struct { const char *k; uint32_t v; } nums[] = {
    { "min_ttl", p->dns.min_ttl }, { "max_ttl", p->dns.max_ttl }, { "grace", p->dns.grace },
    { "max_ips_per_name", p->dns.max_ips_per_name } };
  for (size_t i = 0; i < CLR_ARRAY_SIZE (nums); i++)
    {
      clr_json_str (g, nums[i].k);
      yajl_gen_integer (g, nums[i].v);
    }
  clr_json_str (g, "wildcards");
  yajl_gen_bool (g, p->dns.wildcards);
  if (p->has_resolver4 || p->has_resolver6)
    {
      clr_json_str (g, "resolver");
      yajl_gen_array_open (g);
      char a[INET6_ADDRSTRLEN];
      if (p->has_resolver4)
        clr_json_str (g, inet_ntop (AF_INET, p->resolver4, a, sizeof a));
      if (p->has_resolver6)
        clr_json_str (g, inet_ntop (AF_INET6, p->resolver6, a, sizeof a));
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
  clr_json_str (g, "audit");
  yajl_gen_bool (g, p->audit);
  if (p->pool)
    {
      clr_json_str (g, "pool");
      clr_json_str (g, p->pool);
    }
  yajl_gen_map_close (g);
  return clr_json_gen_take (g);
}
