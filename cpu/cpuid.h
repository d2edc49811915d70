/* cpu/ internal: the x86-64 guest's CPUID (cpuid.c). */
#ifndef MMUSIM_CPU_CPUID_H
#define MMUSIM_CPU_CPUID_H

#include <unicorn/unicorn.h>

struct cpuid;
/* Hooks CPUID on uc; NULL if that failed (the guest sees Unicorn's own). */
struct cpuid *cpuid_install(uc_engine *uc);
void cpuid_release(struct cpuid *m);

#endif
