/* The guest runs as user code: x86-64 at CPL 3, AArch64 at EL0, with the
 * user-mode controls Linux sets. A privileged instruction then faults as
 * on Linux instead of running with the emulator's privilege (where
 * `mov %rax,%dr7` crashed Unicorn's translator and `msr dbgbcr0_el1`
 * succeeded). docs/architecture.md, the bridge, "Privilege". */
#include "cpu/privilege.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where the few instructions that leave kernel mode run, on an engine
 * with nothing else mapped yet; the page is gone when they have run. */
#define DROP_PAGE 0x10000ull

/* x86-64: an iretq to CS 0x33 / SS 0x2b (Linux's user selectors), whose
 * descriptors come from a GDT in the same page. Unicorn keeps the loaded
 * descriptors (and so CPL 3) when the page and the GDT are gone. */
static bool drop_x86(uc_engine *uc)
{
	static const uint64_t gdt[7] = {
		[5] = 0x00cff3000000ffffull,   /* data, DPL 3 */
		[6] = 0x00affb000000ffffull,   /* 64-bit code, DPL 3 */
	};
	uint8_t page[4096] = {0};
	memcpy(page, gdt, sizeof gdt);
	page[0x100] = 0x48, page[0x101] = 0xcf;   /* iretq */
	const uint64_t frame[5] = {DROP_PAGE + 0x200, 0x33, 0x202 /* IF, as user code runs */,
				   DROP_PAGE + 0x800, 0x2b};
	memcpy(page + 0x400, frame, sizeof frame);
	if (uc_mem_map(uc, DROP_PAGE, sizeof page, UC_PROT_ALL) != UC_ERR_OK)
		return false;
	uc_mem_write(uc, DROP_PAGE, page, sizeof page);
	uc_x86_mmr gdtr = {.base = DROP_PAGE, .limit = sizeof gdt - 1};
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
	uint64_t sp = DROP_PAGE + 0x400;
	uc_reg_write(uc, UC_X86_REG_RSP, &sp);
	uc_err e = uc_emu_start(uc, DROP_PAGE + 0x100, DROP_PAGE + 0x200, 0, 0);
	uc_mem_unmap(uc, DROP_PAGE, sizeof page);
	memset(&gdtr, 0, sizeof gdtr);
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
	uint64_t zero = 0, cs = 0;
	uc_reg_write(uc, UC_X86_REG_RSP, &zero);
	uc_reg_write(uc, UC_X86_REG_RIP, &zero);
	uc_reg_read(uc, UC_X86_REG_CS, &cs);
	return e == UC_ERR_OK && cs == 0x33;
}

/* AArch64: SCTLR_EL1.UCI/UCT/DZE (cache maintenance, CTR_EL0 and DC ZVA
 * allowed at EL0) and CNTKCTL_EL1.EL0VCTEN (the virtual counter), as
 * Linux sets them, then an eret to EL0t with DAIF clear. */
static bool drop_aarch64(uc_engine *uc)
{
	static const uint32_t code[] = {
		0xd538100a,   /* mrs x10, sctlr_el1 */
		0xb272054a,   /* orr x10, x10, #0xc000     (UCT, DZE) */
		0xb266014a,   /* orr x10, x10, #0x4000000  (UCI) */
		0xd518100a,   /* msr sctlr_el1, x10 */
		0xd280004a,   /* mov x10, #2               (EL0VCTEN) */
		0xd518e10a,   /* msr cntkctl_el1, x10 */
		0xd518401f,   /* msr spsr_el1, xzr         (EL0t) */
		0xd5184029,   /* msr elr_el1, x9 */
		0xd69f03e0,   /* eret */
	};
	if (uc_mem_map(uc, DROP_PAGE, 4096, UC_PROT_ALL) != UC_ERR_OK)
		return false;
	uc_mem_write(uc, DROP_PAGE, code, sizeof code);
	uint64_t to = DROP_PAGE + 0x800, zero = 0;
	uc_reg_write(uc, UC_ARM64_REG_X9, &to);
	uc_err e = uc_emu_start(uc, DROP_PAGE, to, 0, 0);
	uc_mem_unmap(uc, DROP_PAGE, 4096);
	uint64_t pc = 0, pstate = 0;
	uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
	uc_reg_read(uc, UC_ARM64_REG_PSTATE, &pstate);
	uc_reg_write(uc, UC_ARM64_REG_X9, &zero);
	uc_reg_write(uc, UC_ARM64_REG_X10, &zero);
	uc_reg_write(uc, UC_ARM64_REG_PC, &zero);
	return e == UC_ERR_OK && pc == to && (pstate & 0xf) == 0;
}

bool privilege_drop(uc_engine *uc, bool x86)
{
	return x86 ? drop_x86(uc) : drop_aarch64(uc);
}

/* ---- x86-64: the exception in flight ----
 * Unicorn hands an exception to the interrupt hook without delivering it,
 * so the CPU's "exception in flight" (QEMU's old_exception, which only a
 * delivery clears) stays set: the next #DE or #GP becomes a double fault
 * and the one after a triple fault, which halts the engine silently. It
 * lives in the saved CPU state, at an offset found once by raising two
 * #DE on a probe engine: the one int that reads -1, then 0 (#DE), then
 * 8 (#DF). */

static void probe_stop(uc_engine *uc, uint32_t intno, void *ud)
{
	(void)intno, (void)ud;
	uc_emu_stop(uc);
}

static long find_old_exception(void)
{
	uc_engine *uc;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return -1;
	long at = -1;
	size_t size = uc_context_size(uc);
	uc_context *ctx[3] = {NULL, NULL, NULL};
	uc_hook h;
	static const uint8_t div0[] = {0x31, 0xc9, 0xf7, 0xf1};   /* xor %ecx,%ecx; div %ecx */
	if (uc_mem_map(uc, DROP_PAGE, 4096, UC_PROT_ALL) != UC_ERR_OK ||
	    uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)probe_stop, NULL, 1, 0) != UC_ERR_OK)
		goto out;
	uc_mem_write(uc, DROP_PAGE, div0, sizeof div0);
	for (int i = 0; i < 3; i++) {
		if (uc_context_alloc(uc, &ctx[i]) != UC_ERR_OK)
			goto out;
		if (i)
			uc_emu_start(uc, DROP_PAGE, DROP_PAGE + sizeof div0, 0, 0);
		uc_context_save(uc, ctx[i]);
	}
	for (size_t off = 0; off + sizeof(int) <= size; off += sizeof(int)) {
		int v[3];
		for (int i = 0; i < 3; i++)
			memcpy(&v[i], (const char *)ctx[i] + off, sizeof(int));
		if (v[0] == -1 && v[1] == 0 && v[2] == 8) {
			if (at >= 0) {   /* two candidates: trust neither */
				at = -1;
				break;
			}
			at = (long)off;
		}
	}
out:
	for (int i = 0; i < 3; i++)
		if (ctx[i])
			uc_context_free(ctx[i]);
	uc_close(uc);
	return at;
}

bool x86_exception_settle(uc_engine *uc, uc_context *scratch)
{
	static long at = -2;
	if (at == -2)
		at = find_old_exception();
	if (at < 0)
		return false;
	const int none = -1;
	uc_context_save(uc, scratch);
	memcpy((char *)scratch + at, &none, sizeof none);
	uc_context_restore(uc, scratch);
	return true;
}
