/* clawrun: CVE-2019-5736 defence.  A container process can reach the runtime's binary
 * through /proc/<pid>/exe of a clawrun process that joins it (or via an executable
 * "#!/proc/self/exe"), and overwrite it for the host.  Before entering a container,
 * clawrun re-executes itself from a sealed memfd copy unless the binary is on a
 * read-only mount (then a write is impossible anyway and the copy is skipped). */
#ifndef CLAWRUN_SELFEXE_H
#define CLAWRUN_SELFEXE_H

#include "error.h"

/* Returns 0 when already safe; otherwise execs itself and only returns on failure. */
int clr_ensure_sealed_self (char **argv, clr_err *err);

#endif
