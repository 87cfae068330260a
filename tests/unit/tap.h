/* Minimal TAP producer for clawrun's C unit tests: tests/run-all counts the
 * "ok"/"not ok" lines of every test binary. */
#ifndef CLAWRUN_TAP_H
#define CLAWRUN_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)                                                                    \
  do                                                                                         \
    {                                                                                        \
      int _ok = !!(cond);                                                                    \
      printf ("%s %d - ", _ok ? "ok" : "not ok", ++tap_n);                                   \
      printf (__VA_ARGS__);                                                                  \
      printf ("\n");                                                                         \
      if (!_ok)                                                                              \
        {                                                                                    \
          tap_failed++;                                                                      \
          printf ("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
        }                                                                                    \
      fflush (stdout);                                                                       \
    }                                                                                        \
  while (0)

#define TAP_SKIP(reason, ...)                                                                \
  do                                                                                         \
    {                                                                                        \
      printf ("ok %d - ", ++tap_n);                                                          \
      printf (__VA_ARGS__);                                                                  \
      printf (" # SKIP %s\n", reason);                                                       \
      fflush (stdout);                                                                       \
    }                                                                                        \
  while (0)

/* Call at the end of main: prints the plan and returns the exit status. */
static inline int tap_done (void)
{
  printf ("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif
