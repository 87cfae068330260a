/* clawrun: small yajl_gen helpers for the JSON clawrun prints and stores. */
#ifndef CLAWRUN_JSON_H
#define CLAWRUN_JSON_H

#include <stdbool.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* A generator; PRETTY indents with two spaces.  Aborts on OOM. */
yajl_gen clr_json_gen (bool pretty);

static inline void clr_json_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

/* The generated text as a malloc'd NUL-terminated string; frees G. */
char *clr_json_gen_take (yajl_gen g);

/* Append G's document as one line to PATH (created 0600 with CREATE) with a single
 * O_APPEND write, so concurrent writers (a session and its execs) never interleave.
 * Frees G.  Returns -1 with errno set. */
int clr_json_append_line (const char *path, yajl_gen g, bool create);

/* OBJ[KEY] of a parsed tree, NULL when OBJ is not an object or has no KEY. */
static inline yajl_val clr_json_get (yajl_val obj, const char *key)
{
  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return obj->u.object.values[i];
  return NULL;
}

#endif
