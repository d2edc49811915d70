/* cpu/ internal: the guest as user code (privilege.c). */
#ifndef MMUSIM_CPU_PRIVILEGE_H
#define MMUSIM_CPU_PRIVILEGE_H

#include <stdbool.h>
#include <unicorn/unicorn.h>

/* Leaves kernel mode for good on a new engine with nothing mapped:
 * x86-64 CPL 3, AArch64 EL0. False if the engine is still privileged. */
bool privilege_drop(uc_engine *uc, bool x86);
/* x86-64, after an exception reached the interrupt hook: no exception in
 * flight any more, so the next one is not taken for a double fault.
 * `scratch` is any context of the engine. False if it could not be done. */
bool x86_exception_settle(uc_engine *uc, uc_context *scratch);

#endif
