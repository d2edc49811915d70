/* x86-64 CPUID as the guest sees it: Unicorn 2.0.1's own answers (its
 * qemu64-like model, the same on every host), except that leaf 1 leaves
 * out FPU and MMX, which its translator does run. glibc's ld.so refuses
 * every library marked x86-64-baseline (all of Debian's) without them
 * ("CPU ISA level is lower than required"). The hook asks a second,
 * hook-free engine for the answer and adds the two bits. */
#include "cpu/cpuid.h"

#include <stdlib.h>

#define CODE_VA 0x1000
#define FPU (1u << 0)
#define MMX (1u << 23)

struct cpuid {
	uc_engine *plain;   /* a bare engine that runs one cpuid */
};

static const uint8_t cpuid_code[] = {0x0f, 0xa2};   /* cpuid */

/* The guest's rax/rcx in, rax..rdx out of the bare engine. */
static int cpuid_hook(uc_engine *uc, void *user)
{
	struct cpuid *m = user;
	int in[2] = {UC_X86_REG_RAX, UC_X86_REG_RCX}, out[4] = {UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX,
								  UC_X86_REG_RDX};
	uint64_t v[4] = {0};
	for (int i = 0; i < 2; i++) {
		uc_reg_read(uc, in[i], &v[i]);
		uint64_t w = (uint32_t)v[i];
		uc_reg_write(m->plain, in[i], &w);
	}
	uint32_t leaf = (uint32_t)v[0];
	if (uc_emu_start(m->plain, CODE_VA, CODE_VA + sizeof cpuid_code, 0, 0) != UC_ERR_OK)
		return 0;   /* let the guest's own cpuid run */
	for (int i = 0; i < 4; i++) {
		uc_reg_read(m->plain, out[i], &v[i]);
		v[i] = (uint32_t)v[i];
	}
	if (leaf == 1)
		v[3] |= FPU | MMX;
	for (int i = 0; i < 4; i++)
		uc_reg_write(uc, out[i], &v[i]);
	return 1;   /* skip the instruction: the registers are its result */
}

struct cpuid *cpuid_install(uc_engine *uc)
{
	struct cpuid *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	uc_hook h;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &m->plain) != UC_ERR_OK)
		goto fail;
	if (uc_mem_map(m->plain, CODE_VA, 0x1000, UC_PROT_READ | UC_PROT_EXEC) != UC_ERR_OK ||
	    uc_mem_write(m->plain, CODE_VA, cpuid_code, sizeof cpuid_code) != UC_ERR_OK ||
	    uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)cpuid_hook, m, 1, 0, UC_X86_INS_CPUID) != UC_ERR_OK) {
		uc_close(m->plain);
		goto fail;
	}
	return m;
fail:
	free(m);
	return NULL;
}

void cpuid_release(struct cpuid *m)
{
	if (!m)
		return;
	uc_close(m->plain);
	free(m);
}
