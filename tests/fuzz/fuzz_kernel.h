/* A small simulated machine for the harnesses that run what they parse:
 * the default preset of `arch` with 16 MiB of physical memory and 16 MiB
 * of swap, the Linux personality, the guest's files below an empty
 * temporary directory, and a stop request 3 s after it is made (as
 * --max-seconds gives one). Aborts if it cannot be made (not the input's fault). */
#ifndef MMUSIM_FUZZ_KERNEL_H
#define MMUSIM_FUZZ_KERNEL_H

#include "os/os.h"

struct kernel *fuzz_kernel(enum mmu_arch arch);

#endif
