#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "selfexe.h"
#include "util.h"

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int
clr_ensure_sealed_self (char **argv, clr_err *err)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return clr_fail (err, errno, "open /proc/self/exe");
  int seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return 0; /* already running from our sealed copy */
  struct statvfs sv;
  if (fstatvfs (self, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return 0;
  struct stat st;
  if (fstat (self, &st) < 0)
    return clr_fail (err, errno, "stat /proc/self/exe");
  cleanup_close int mfd = memfd_create ("clawrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return clr_fail (err, errno, "memfd_create");
  off_t off = 0;
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, self, &off, st.st_size - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return clr_fail (err, n < 0 ? errno : EIO, "copy /proc/self/exe to a memfd");
    }
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return clr_fail (err, errno, "seal the memfd copy");
  fexecve (mfd, argv, environ);
  return clr_fail (err, errno, "re-exec from the sealed copy");
}
