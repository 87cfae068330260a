/* clawrun: small yajl_gen helpers for the JSON clawrun prints and stores. */
#ifndef CLAWRUN_JSON_H
#define CLAWRUN_JSON_H

#include <stdbool.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* A generator; PRETTY indents with two spaces.  Aborts on OOM. */
yajl_gen clr_json_gen (bool pretty);

static inline void clr_json_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

/* The generated text as a malloc'd NUL-terminated string; frees G. */
char *clr_json_gen_take (yajl_gen g);

#endif
