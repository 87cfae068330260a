#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>

#include "json.h"
#include "util.h"

yajl_gen
clr_json_gen (bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_config (g, yajl_gen_validate_utf8, 0);
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
    }
  return g;
}

char *
clr_json_gen_take (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  char *s = xmalloc (len + 1);
  memcpy (s, buf, len);
  s[len] = '\0';
  yajl_gen_free (g);
  return s;
}

int
clr_json_append_line (const char *path, yajl_gen g, bool create)
{
  cleanup_free char *line = clr_json_gen_take (g);
  cleanup_close int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
  if (fd < 0)
    return -1;
  size_t n = strlen (line);
  line[n] = '\n'; /* over the NUL: the buffer has room for it */
  return clr_write_all (fd, line, n + 1);
}
