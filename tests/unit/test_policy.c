/* Unit tests: the network policy document (netns/policy.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/policy.h"
#include "tests/unit/tap.h"

static int
merge (struct clr_policy *p, const char *json, bool op, clr_err *err)
{
  return clr_policy_merge_json (p, json, strlen (json), "test", op, err);
}

static bool
blocked4 (const struct clr_policy *p, const char *a)
{
  uint8_t b[4];
  inet_pton (AF_INET, a, b);
  return clr_policy_is_blocked (p, AF_INET, b);
}

static bool
blocked6 (const struct clr_policy *p, const char *a)
{
  uint8_t b[16];
  inet_pton (AF_INET6, a, b);
  return clr_policy_is_blocked (p, AF_INET6, b);
}

/* one bad document: the error names FIELD */
static void
bad (const char *json, const char *field)
{
  struct clr_policy p;
  clr_err err = { 0 };
  clr_policy_init (&p);
  int r = merge (&p, json, false, &err);
  if (r == 0)
    r = clr_policy_check (&p, &err);
  TAP_OK (r < 0 && strstr (err.msg, field) != NULL, "rejected, naming %s: %s", field, err.msg);
  clr_policy_free (&p);
}

int
main (void)
{
  clr_err err = { 0 };
  struct clr_policy p;

  clr_policy_init (&p);
  TAP_OK (clr_policy_check (&p, &err) == 0, "defaults check");
  TAP_OK (blocked4 (&p, "169.254.169.254") && blocked4 (&p, "10.1.2.3") && blocked4 (&p, "192.168.0.1")
              && blocked4 (&p, "100.100.100.200") && blocked4 (&p, "172.16.5.5"),
          "@default blocks metadata and private ranges");
  TAP_OK (!blocked4 (&p, "192.0.2.10") && !blocked4 (&p, "8.8.8.8"), "public addresses are not blocked");
  TAP_OK (blocked6 (&p, "fd00:ec2::254") && blocked6 (&p, "fe80::1") && blocked6 (&p, "::ffff:169.254.169.254")
              && blocked6 (&p, "64:ff9b::a9fe:a9fe") && !blocked6 (&p, "2001:db8::10"),
          "IPv6: ULA, link-local, v4-mapped and NAT64 metadata blocked; documentation range not");
  clr_policy_free (&p);

  clr_policy_init (&p);
  const char *doc = "{\"version\": 1, \"egress\": {\"mode\": \"allowlist\", \"allow\": ["
                    "{\"host\": \"API.GitHub.com.\", \"ports\": [\"tcp/443\"]},"
                    "{\"cidr\": \"192.0.2.0/24\", \"ports\": [\"tcp/8080\", \"udp/9000-9001\"]}],"
                    "\"blocked_cidrs\": [\"@default\", \"203.0.113.0/24\"], \"icmp\": false},"
                    "\"dns\": {\"min_ttl\": 1, \"max_ttl\": 60, \"resolver\": [\"10.88.0.1\"]}}";
  TAP_OK (merge (&p, doc, false, &err) == 0 && clr_policy_check (&p, &err) == 0, "the design's example parses: %s",
          err.msg);
  TAP_OK (p.mode == CLR_EGRESS_ALLOWLIST && p.n_allow == 2, "mode and rules");
  TAP_OK (p.allow[0].host && strcmp (p.allow[0].host, "api.github.com") == 0, "host lower-cased, dot dropped");
  TAP_OK (p.allow[1].n_ports == 2 && p.allow[1].ports[1].lo == 9000 && p.allow[1].ports[1].hi == 9001
              && p.allow[1].ports[1].protos == CLR_PROTO_UDP,
          "port ranges");
  TAP_OK (clr_policy_match_host (&p, "api.github.com") == &p.allow[0]
              && clr_policy_match_host (&p, "x.api.github.com") == NULL,
          "exact host match only");
  TAP_OK (blocked4 (&p, "203.0.113.7"), "user blocked range");
  TAP_OK (p.has_resolver4 && p.resolver4[0] == 10 && p.dns.min_ttl == 1, "dns fields");
  char *js = clr_policy_to_json (&p, false);
  struct clr_policy q;
  clr_policy_init (&q);
  TAP_OK (merge (&q, js, false, &err) == 0 && q.n_allow == 2, "to_json round-trips: %s", js);
  clr_policy_free (&q);
  free (js);
  clr_policy_free (&p);

  /* flags */
  clr_policy_init (&p);
  TAP_OK (clr_policy_add_allow (&p, "api.github.com:443", &err) == 0 && p.allow[0].ports[0].lo == 443
              && p.allow[0].ports[0].protos == CLR_PROTO_TCP,
          "--allow NAME:PORT");
  TAP_OK (clr_policy_add_allow (&p, "192.0.2.0/24:8080", &err) == 0 && p.allow[1].cidr.prefixlen == 24,
          "--allow CIDR:PORT");
  TAP_OK (clr_policy_add_allow (&p, "192.0.2.10:9000-9001/udp", &err) == 0 && p.allow[2].ports[0].hi == 9001
              && p.allow[2].ports[0].protos == CLR_PROTO_UDP,
          "--allow ADDR:LO-HI/udp");
  TAP_OK (clr_policy_add_allow (&p, "[2001:db8::10]:8080", &err) == 0 && p.allow[3].cidr.family == AF_INET6
              && p.allow[3].cidr.prefixlen == 128,
          "--allow [V6]:PORT");
  TAP_OK (clr_policy_add_allow (&p, "2001:db8::/32", &err) == 0 && p.allow[4].ports[0].protos == (CLR_PROTO_TCP | CLR_PROTO_UDP),
          "--allow bare IPv6 CIDR: any port");
  TAP_OK (clr_policy_add_allow (&p, "pypi.org", &err) == 0, "--allow NAME");
  TAP_OK (clr_policy_add_allow (&p, "api.github.com:70000", &err) < 0 && strstr (err.msg, "70000"),
          "--allow port out of range: %s", err.msg);
  TAP_OK (clr_policy_add_allow (&p, "bad_host!:443", &err) < 0, "--allow bad name: %s", err.msg);
  TAP_OK (clr_policy_add_allow (&p, "10.0.0.1/8", &err) < 0 && strstr (err.msg, "host bits"),
          "--allow CIDR with host bits: %s", err.msg);
  TAP_OK (clr_policy_add_allow (&p, "api.github.com:443/sctp", &err) < 0, "--allow unknown protocol: %s",
          err.msg);
  TAP_OK (clr_policy_add_block (&p, "198.51.100.0/24", &err) == 0, "--block CIDR");
  TAP_OK (clr_policy_add_block (&p, "nonsense", &err) < 0 && strstr (err.msg, "--block"), "--block bad: %s", err.msg);
  TAP_OK (clr_policy_check (&p, &err) == 0, "flags check: %s", err.msg);
  clr_policy_free (&p);

  /* deny wins; only the operator lifts; the floor stays */
  clr_policy_init (&p);
  clr_policy_add_allow (&p, "10.1.2.3:80", &err);
  TAP_OK (clr_policy_check (&p, &err) < 0 && strstr (err.msg, "10.0.0.0/8"), "allow inside @default refused: %s",
          err.msg);
  clr_policy_free (&p);
  clr_policy_init (&p);
  TAP_OK (merge (&p, "{\"version\":1,\"egress\":{\"unblocked_cidrs\":[\"10.0.0.0/8\"]}}", false, &err) < 0
              && strstr (err.msg, "unblocked_cidrs"),
          "a non-operator source cannot lift a range: %s", err.msg);
  TAP_OK (merge (&p, "{\"version\":1,\"egress\":{\"unblocked_cidrs\":[\"10.0.0.0/8\", \"169.254.0.0/16\"]}}", true,
                 &err) == 0,
          "the operator file can");
  clr_policy_add_allow (&p, "10.1.2.3:80", &err);
  TAP_OK (clr_policy_check (&p, &err) == 0 && !blocked4 (&p, "10.1.2.3"), "lifted range allows: %s", err.msg);
  TAP_OK (blocked4 (&p, "169.254.169.254") && !blocked4 (&p, "169.254.1.1"), "the metadata floor survives a lift");
  clr_policy_free (&p);

  /* wildcards */
  clr_policy_init (&p);
  clr_policy_add_allow (&p, "*.example.com:443", &err);
  TAP_OK (clr_policy_check (&p, &err) < 0 && strstr (err.msg, "wildcards"), "wildcard needs dns.wildcards: %s",
          err.msg);
  merge (&p, "{\"version\":1,\"dns\":{\"wildcards\":true}}", false, &err);
  TAP_OK (clr_policy_check (&p, &err) == 0 && clr_policy_match_host (&p, "a.b.example.com")
              && !clr_policy_match_host (&p, "example.com") && !clr_policy_match_host (&p, "badexample.com"),
          "wildcard matches names strictly below the suffix");
  clr_policy_free (&p);

  /* errors name the field */
  bad ("{", "invalid JSON");
  bad ("[]", "expected a JSON object");
  bad ("{\"egress\":{}}", "version");
  bad ("{\"version\":2}", "version");
  bad ("{\"version\":1,\"colour\":1}", "\"colour\"");
  bad ("{\"version\":1,\"egress\":{\"mode\":\"proxy\"}}", "egress.mode");
  bad ("{\"version\":1,\"egress\":{\"allow\":[{\"cidr\":\"192.0.2.0/24\",\"ports\":[\"tcp/70000\"]}]}}",
       "egress.allow[0].ports[0]");
  bad ("{\"version\":1,\"egress\":{\"allow\":[{\"host\":\"a\",\"cidr\":\"192.0.2.0/24\"}]}}", "egress.allow[0]");
  bad ("{\"version\":1,\"egress\":{\"allow\":[{\"cidr\":\"192.0.2.300\"}]}}", "egress.allow[0].cidr");
  bad ("{\"version\":1,\"egress\":{\"blocked_cidrs\":[\"x\"]}}", "egress.blocked_cidrs[0]");
  bad ("{\"version\":1,\"dns\":{\"min_ttl\":-1}}", "dns.min_ttl");
  bad ("{\"version\":1,\"dns\":{\"min_ttl\":100,\"max_ttl\":10}}", "dns.min_ttl");
  bad ("{\"version\":1,\"ingress\":\"maybe\"}", "ingress");
  bad ("{\"version\":1,\"pool\":\"10.88.0.0/31\"}", "pool");

  /* loading: host file, annotation inline and @file */
  char dir[] = "/tmp/clawrun-policy-XXXXXX";
  if (mkdtemp (dir))
    {
      char path[256];
      snprintf (path, sizeof path, "%s/host.json", dir);
      FILE *f = fopen (path, "w");
      fputs ("{\"version\":1,\"egress\":{\"allow\":[{\"host\":\"pypi.org\",\"ports\":[\"tcp/443\"]}]}}", f);
      fclose (f);
      snprintf (path, sizeof path, "%s/p.json", dir);
      f = fopen (path, "w");
      fputs ("{\"version\":1,\"egress\":{\"allow\":[{\"cidr\":\"192.0.2.10\"}]}}", f);
      fclose (f);
      char hostfile[256];
      snprintf (hostfile, sizeof hostfile, "%s/host.json", dir);
      setenv ("CLAWRUN_POLICY_FILE", hostfile, 1);
      bool found;
      clr_policy_init (&p);
      TAP_OK (clr_policy_load_for_container ("@p.json", dir, &p, &found, &err) == 0 && found && p.n_allow == 2
                  && p.mode == CLR_EGRESS_ALLOWLIST,
              "host file + @file annotation add up: %s", err.msg);
      clr_policy_free (&p);
      clr_policy_init (&p);
      TAP_OK (clr_policy_load_for_container ("@../etc/passwd", dir, &p, &found, &err) < 0, "@file may not leave the bundle: %s", err.msg);
      clr_policy_free (&p);
      clr_policy_init (&p);
      TAP_OK (clr_policy_load_for_container ("{\"version\":1,\"egress\":{\"mode\":\"none\"}}", dir, &p, &found, &err) == 0
                  && p.mode == CLR_EGRESS_NONE,
              "inline annotation");
      clr_policy_free (&p);
      setenv ("CLAWRUN_POLICY_FILE", "/nonexistent/policy.json", 1);
      clr_policy_init (&p);
      TAP_OK (clr_policy_load_for_container (NULL, dir, &p, &found, &err) == 0 && !found, "no source: no policy");
      clr_policy_free (&p);
      snprintf (path, sizeof path, "%s/host.json", dir);
      unlink (path);
      snprintf (path, sizeof path, "%s/p.json", dir);
      unlink (path);
      rmdir (dir);
    }
  return tap_done ();
}
