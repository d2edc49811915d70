/* The registers of a signal frame, between Unicorn and os/. On arm64 only
 * the condition flags of PSTATE pass (NZCV): the exception level and the
 * rest are the emulator's, and a frame must not change them. */
#include "cpu/regs.h"

static const int x86_gpr[] = {
	UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12,
	UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15, UC_X86_REG_RDI, UC_X86_REG_RSI,
	UC_X86_REG_RBP, UC_X86_REG_RBX, UC_X86_REG_RDX, UC_X86_REG_RAX, UC_X86_REG_RCX,
};   /* in X86_* order (struct sigcontext's) */

static int a64_x(int i)
{
	return i == 29 ? UC_ARM64_REG_X29 : i == 30 ? UC_ARM64_REG_X30 : UC_ARM64_REG_X0 + i;
}

void regs_read(uc_engine *uc, enum mmu_arch arch, struct user_regs *r)
{
	*r = (struct user_regs){0};
	if (arch == ARCH_X86_64) {
		for (int i = 0; i <= X86_RCX; i++)
			uc_reg_read(uc, x86_gpr[i], &r->r[i]);
		uc_reg_read(uc, UC_X86_REG_RSP, &r->sp);
		uc_reg_read(uc, UC_X86_REG_RIP, &r->pc);
		uc_reg_read(uc, UC_X86_REG_RFLAGS, &r->flags);
		for (int i = 0; i < 16; i++)
			uc_reg_read(uc, UC_X86_REG_XMM0 + i, r->v[i]);
		for (int i = 0; i < 8; i++)
			uc_reg_read(uc, UC_X86_REG_ST0 + i, r->st[i]);
		uint32_t v = 0;
		uc_reg_read(uc, UC_X86_REG_MXCSR, &r->fpcr);
		uc_reg_read(uc, UC_X86_REG_FPCW, &v);
		r->fcw = (uint16_t)v;
		uc_reg_read(uc, UC_X86_REG_FPSW, &v);
		r->fsw = (uint16_t)v;
		uc_reg_read(uc, UC_X86_REG_FPTAG, &v);
		r->ftw = (uint16_t)v;
		return;
	}
	for (int i = 0; i < 31; i++)
		uc_reg_read(uc, a64_x(i), &r->r[i]);
	uc_reg_read(uc, UC_ARM64_REG_SP, &r->sp);
	uc_reg_read(uc, UC_ARM64_REG_PC, &r->pc);
	uint32_t nzcv = 0;
	uc_reg_read(uc, UC_ARM64_REG_NZCV, &nzcv);
	r->flags = nzcv & 0xf0000000u;
	for (int i = 0; i < 32; i++)
		uc_reg_read(uc, UC_ARM64_REG_V0 + i, r->v[i]);
	uc_reg_read(uc, UC_ARM64_REG_FPSR, &r->fpsr);
	uc_reg_read(uc, UC_ARM64_REG_FPCR, &r->fpcr);
}

void regs_write(uc_engine *uc, enum mmu_arch arch, const struct user_regs *r)
{
	if (arch == ARCH_X86_64) {
		for (int i = 0; i <= X86_RCX; i++)
			uc_reg_write(uc, x86_gpr[i], &r->r[i]);
		uc_reg_write(uc, UC_X86_REG_RSP, &r->sp);
		uc_reg_write(uc, UC_X86_REG_RIP, &r->pc);
		uc_reg_write(uc, UC_X86_REG_RFLAGS, &r->flags);
		for (int i = 0; i < 16; i++)
			uc_reg_write(uc, UC_X86_REG_XMM0 + i, r->v[i]);
		for (int i = 0; i < 8; i++)
			uc_reg_write(uc, UC_X86_REG_ST0 + i, r->st[i]);
		uint32_t fcw = r->fcw, fsw = r->fsw, ftw = r->ftw, mxcsr = r->fpcr;
		uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
		uc_reg_write(uc, UC_X86_REG_FPCW, &fcw);
		uc_reg_write(uc, UC_X86_REG_FPSW, &fsw);
		uc_reg_write(uc, UC_X86_REG_FPTAG, &ftw);
		return;
	}
	for (int i = 0; i < 31; i++)
		uc_reg_write(uc, a64_x(i), &r->r[i]);
	uc_reg_write(uc, UC_ARM64_REG_SP, &r->sp);
	uc_reg_write(uc, UC_ARM64_REG_PC, &r->pc);
	uint32_t nzcv = (uint32_t)r->flags & 0xf0000000u;
	uc_reg_write(uc, UC_ARM64_REG_NZCV, &nzcv);
	for (int i = 0; i < 32; i++)
		uc_reg_write(uc, UC_ARM64_REG_V0 + i, r->v[i]);
	uc_reg_write(uc, UC_ARM64_REG_FPSR, &r->fpsr);
	uc_reg_write(uc, UC_ARM64_REG_FPCR, &r->fpcr);
}
