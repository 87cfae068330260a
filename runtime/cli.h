/* clawrun: small helpers shared by the command files (runtime/cmd_*.c): usage errors,
 * --help text, and JSON output with yajl_gen.
 *
 * The usual option loop of a command:
 *
 *   static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
 *                                         { "help", no_argument, NULL, 'h' }, { 0 } };
 *   opterr = 0;
 *   int c;
 *   while ((c = getopt_long (argc, argv, "+:b:h", opts, NULL)) != -1)
 *     switch (c)
 *       {
 *       case 'b': bundle = optarg; break;
 *       case 'h': clr_cli_print_help (usage, description, option_lines); return 0;
 *       default: return clr_cli_bad_option (argv[0], c, argv);
 *       }
 *
 * ("+" stops at the first non-option, ":" makes a missing argument return ':'.)
 */
#ifndef CLAWRUN_CLI_H
#define CLAWRUN_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "json.h" /* clr_json_gen(), clr_json_str() */

/* clr_usage_error() is declared in commands.h (it is part of the command interface):
 *   clawrun CMD: MSG
 *   Try 'clawrun CMD --help'.
 * on stderr, returns 1.  CMD may be NULL (global options). */
#include "commands.h"

/* Report the option getopt_long() rejected: C is its return value ('?' for an
 * unknown option, ':' for a missing argument; needs opterr = 0 and ":" after "+" in
 * the optstring).  Uses optopt/optind.  Returns 1 (via clr_usage_error). */
int clr_cli_bad_option (const char *cmd, int c, char *const *argv);

/* Print a command's --help text on stdout:
 *
 *   Usage: USAGE
 *
 *   DESCRIPTION          (omitted when NULL; may span several lines)
 *
 *   Options:
 *     -b, --bundle DIR   path to the root of the bundle directory
 *     -h, --help         show this help and exit
 *
 * OPTIONS is a NULL-terminated list of pairs { "-b, --bundle DIR", "description", ...,
 * NULL } (may be NULL); the -h/--help line is always appended and the descriptions
 * are aligned in one column. */
void clr_cli_print_help (const char *usage, const char *description,
                         const char *const *options);

/* ---- JSON output ---- */

/* A new generator: clr_json_gen() of json.h (aborts on OOM; PRETTY: indented with two
 * spaces; change it with yajl_gen_config (g, yajl_gen_indent_string, "\t")). */
static inline yajl_gen clr_json_gen_new (bool pretty)
{
  return clr_json_gen (pretty);
}
static inline void clr_json_gen_freep (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}
#define cleanup_json_gen __attribute__ ((cleanup (clr_json_gen_freep)))

/* Write the generated document to OUT followed by exactly one newline, and flush.
 * Returns 0, or -1 with errno set (EINVAL: the document is incomplete/invalid). */
int clr_json_gen_print (yajl_gen g, FILE *out);

/* Emitters (yajl's status is ignored: the generator only fails on misuse).  A NULL
 * string value is emitted as null; clr_cli_strv takes a NULL-terminated vector (NULL:
 * an empty array).  The _kv forms emit KEY then the value, inside an open map. */
void clr_cli_strv (yajl_gen g, const char *const *v);
void clr_cli_kv_str (yajl_gen g, const char *key, const char *s);
void clr_cli_kv_int (yajl_gen g, const char *key, long long v);
void clr_cli_kv_bool (yajl_gen g, const char *key, bool v);
void clr_cli_kv_strv (yajl_gen g, const char *key, const char *const *v);

/* For commands whose only argument is the container id and whose only option is
 * --help: returns -1 with *ID set to continue, else the exit status to return. */
int clr_cli_id_only (int argc, char **argv, const char *usage, const char *description,
                     const char **id);

#endif
