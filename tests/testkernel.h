/* Helpers for tests of the OS model: kernels on presets or hand-made
 * machines, exiting with a message when one cannot be made. */
#ifndef MMUSIM_TESTKERNEL_H
#define MMUSIM_TESTKERNEL_H

#include "os/os.h"

/* The default kernel configuration with personality `pers`. */
struct os_config test_os_config(const char *pers);
/* A kernel on the machine `mc`; `what` names it in the failure message. */
struct kernel *test_kernel_on(const struct mmu_config *mc, const struct os_config *oc, const char *what);
/* A kernel on preset `preset` with `mem` bytes of physical memory (0: the
 * preset's). */
struct kernel *test_kernel(const char *preset, uint64_t mem, const struct os_config *oc);

#endif
