#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int
clr_usage_error (const char *cmd, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (cmd)
    fprintf (stderr, "clawrun %s: %s\nTry 'clawrun %s --help'.\n", cmd, msg, cmd);
  else
    fprintf (stderr, "clawrun: %s\nTry 'clawrun --help'.\n", msg);
  fflush (stderr);
  return 1;
}

int
clr_cli_bad_option (const char *cmd, int c, char *const *argv)
{
  /* getopt_long leaves optind past the offending word, except inside a cluster of
   * short options ("-xz"), where optopt names the character. */
  const char *word = optind > 0 ? argv[optind - 1] : NULL;
  bool is_long = word && word[0] == '-' && word[1] == '-';
  if (c == ':')
    {
      if (is_long)
        return clr_usage_error (cmd, "option '%s' requires an argument", word);
      return clr_usage_error (cmd, "option '-%c' requires an argument", optopt);
    }
  if (is_long)
    {
      /* "--flag=value" for a flag that takes no value also lands here. */
      const char *eq = strchr (word, '=');
      if (eq && optopt != 0)
        return clr_usage_error (cmd, "option '%.*s' doesn't allow an argument",
                                (int) (eq - word), word);
      return clr_usage_error (cmd, "unknown option '%s'", word);
    }
  if (optopt != 0 && isprint (optopt))
    return clr_usage_error (cmd, "unknown option '-%c'", optopt);
  return clr_usage_error (cmd, "unknown option '%s'", word ? word : "?");
}

void
clr_cli_print_help (const char *usage, const char *description, const char *const *options)
{
  static const char *const help_line[] = { "-h, --help", "show this help and exit", NULL };
  size_t width = strlen (help_line[0]);
  for (size_t i = 0; options && options[i]; i += 2)
    if (strlen (options[i]) > width)
      width = strlen (options[i]);

  printf ("Usage: %s\n", usage);
  if (description)
    printf ("\n%s%s", description,
            description[0] && description[strlen (description) - 1] == '\n' ? "" : "\n");
  printf ("\nOptions:\n");
  for (size_t i = 0; options && options[i]; i += 2)
    printf ("  %-*s  %s\n", (int) width, options[i], options[i + 1] ? options[i + 1] : "");
  printf ("  %-*s  %s\n", (int) width, help_line[0], help_line[1]);
  fflush (stdout);
}

/* ---- JSON ---- */

int
clr_json_gen_print (yajl_gen g, FILE *out)
{
  const unsigned char *buf;
  size_t len;
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    {
      errno = EINVAL;
      return -1;
    }
  /* yajl ends a beautified document with a newline, a compact one without. */
  while (len > 0 && buf[len - 1] == '\n')
    len--;
  if (fwrite (buf, 1, len, out) != len || fputc ('\n', out) == EOF || fflush (out) == EOF)
    return -1;
  return 0;
}

static void
str_or_null (yajl_gen g, const char *s)
{
  if (s)
    clr_json_str (g, s);
  else
    yajl_gen_null (g);
}

void
clr_cli_strv (yajl_gen g, const char *const *v)
{
  yajl_gen_array_open (g);
  for (size_t i = 0; v && v[i]; i++)
    clr_json_str (g, v[i]);
  yajl_gen_array_close (g);
}

void
clr_cli_kv_str (yajl_gen g, const char *key, const char *s)
{
  clr_json_str (g, key);
  str_or_null (g, s);
}

void
clr_cli_kv_int (yajl_gen g, const char *key, long long v)
{
  clr_json_str (g, key);
  yajl_gen_integer (g, v);
}

void
clr_cli_kv_bool (yajl_gen g, const char *key, bool v)
{
  clr_json_str (g, key);
  yajl_gen_bool (g, v);
}

void
clr_cli_kv_strv (yajl_gen g, const char *key, const char *const *v)
{
  clr_json_str (g, key);
  clr_cli_strv (g, v);
}

int
clr_cli_id_only (int argc, char **argv, const char *usage, const char *description, const char **id)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
  opterr = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        clr_cli_print_help (usage, description, NULL);
        return 0;
      default:
        return clr_cli_bad_option (argv[0], c, argv);
      }
  if (optind != argc - 1)
    return clr_usage_error (argv[0], optind >= argc ? "missing container id" : "too many arguments");
  *id = argv[optind];
  return -1;
}
