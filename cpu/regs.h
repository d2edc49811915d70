/* cpu/ internal: the user registers a signal frame holds (os.h, struct
 * user_regs), read out of and written into a Unicorn engine. */
#ifndef MMUSIM_CPU_REGS_H
#define MMUSIM_CPU_REGS_H

#include <unicorn/unicorn.h>

#include "os/os.h"

void regs_read(uc_engine *uc, enum mmu_arch arch, struct user_regs *r);
void regs_write(uc_engine *uc, enum mmu_arch arch, const struct user_regs *r);

#endif
