/* Fault syndromes as each architecture reports them.
 *
 * x86-64 (Intel SDM Vol. 3A, 4.7): #PF (vector 14) pushes an error code —
 * bit 0 P (0 not-present, 1 protection), 1 W/R, 2 U/S, 3 RSVD, 4 I/D, 5 PK —
 * and writes the linear address to CR2. A non-canonical address raises #GP(0)
 * instead; nothing is written to CR2.
 *
 * AArch64 (Arm ARM D17.2.37 ESR_EL1): EC 0x24/0x25 data abort from a lower /
 * the same EL, 0x20/0x21 instruction abort; IL=1 (bit 25) for 32-bit
 * instructions; for data aborts WnR is bit 6; the fault status code in bits
 * 5:0 is 0b0000LL address size, 0b0001LL translation, 0b0010LL access flag,
 * 0b0011LL permission (LL = level), 0b010000 synchronous external abort,
 * 0b0101LL external abort on a table walk. FAR_EL1 holds the VA. */
#include "mmu/mmu.h"

#include <stdio.h>

enum {
	PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_I = 16, PF_PK = 32,
	X86_VEC_GP = 13, X86_VEC_PF = 14, X86_VEC_MC = 18,
	EC_IABT_LOW = 0x20, EC_IABT_CUR = 0x21, EC_DABT_LOW = 0x24, EC_DABT_CUR = 0x25,
	ESR_IL = 1 << 25, ESR_WNR = 1 << 6,
};

static struct mmu_syndrome x86_syndrome(const struct mmu_fault *f)
{
	struct mmu_syndrome s = {.vector = X86_VEC_PF, .addr = f->va, .addr_valid = true};
	if (f->kind == FAULT_NONCANONICAL || f->kind == FAULT_EXTERNAL) {
		s.vector = f->kind == FAULT_NONCANONICAL ? X86_VEC_GP : X86_VEC_MC;
		s.addr = 0;
		s.addr_valid = false;
		return s;
	}
	s.code = (f->kind != FAULT_NOT_PRESENT ? PF_P : 0) | (f->access == ACC_WRITE ? PF_W : 0) |
		 (f->user ? PF_U : 0) | (f->kind == FAULT_RESERVED ? PF_RSVD : 0) |
		 (f->access == ACC_FETCH ? PF_I : 0) | (f->kind == FAULT_PKEY ? PF_PK : 0);
	return s;
}

static unsigned a64_fsc(const struct mmu_fault *f)
{
	unsigned ll = f->level < 0 ? 0 : (unsigned)f->level & 3;
	switch (f->kind) {
	case FAULT_RESERVED: return 0x00 + ll;
	case FAULT_NOT_PRESENT: return 0x04 + ll;
	case FAULT_NONCANONICAL: return 0x04; /* VA out of TTBR0's range: level 0 */
	case FAULT_ACCESS_FLAG: return 0x08 + ll;
	case FAULT_PERMISSION:
	case FAULT_PKEY: return 0x0C + ll;
	case FAULT_EXTERNAL: return f->in_walk ? 0x14 + ll : 0x10;
	case FAULT_NONE: break;
	}
	return 0;
}

static struct mmu_syndrome a64_syndrome(const struct mmu_fault *f)
{
	struct mmu_syndrome s = {.addr = f->va, .addr_valid = true};
	bool fetch = f->access == ACC_FETCH;
	s.vector = fetch ? (f->user ? EC_IABT_LOW : EC_IABT_CUR) : (f->user ? EC_DABT_LOW : EC_DABT_CUR);
	s.code = ((uint64_t)s.vector << 26) | ESR_IL | a64_fsc(f);
	if (!fetch && f->access == ACC_WRITE)
		s.code |= ESR_WNR;
	return s;
}

struct mmu_syndrome mmu_syndrome_of(enum mmu_arch arch, const struct mmu_fault *f)
{
	return arch == ARCH_X86_64 ? x86_syndrome(f) : a64_syndrome(f);
}

static const char *a64_fsc_name(unsigned fsc)
{
	switch (fsc & 0x3C) {
	case 0x00: return "address size fault";
	case 0x04: return "translation fault";
	case 0x08: return "access flag fault";
	case 0x0C: return "permission fault";
	case 0x14: return "synchronous external abort on translation table walk";
	}
	return fsc == 0x10 ? "synchronous external abort" : "other";
}

int mmu_syndrome_describe(enum mmu_arch arch, const struct mmu_syndrome *s, char *buf, size_t len)
{
	if (arch == ARCH_X86_64) {
		if (s->vector == X86_VEC_GP)
			return snprintf(buf, len, "#GP(0): non-canonical address (CR2 not written)");
		if (s->vector == X86_VEC_MC)
			return snprintf(buf, len, "#MC: access beyond physical memory");
		uint64_t c = s->code;
		return snprintf(buf, len, "#PF error code 0x%llx = %s, %s, %s%s%s%s; CR2=0x%llx",
				(unsigned long long)c, c & PF_P ? "protection violation" : "not present",
				c & PF_W ? "write" : "read", c & PF_U ? "user" : "supervisor",
				c & PF_RSVD ? ", reserved bit" : "", c & PF_I ? ", instruction fetch" : "",
				c & PF_PK ? ", protection key" : "", (unsigned long long)s->addr);
	}
	unsigned ec = (unsigned)(s->code >> 26) & 0x3F, fsc = (unsigned)s->code & 0x3F;
	bool iabt = ec == EC_IABT_LOW || ec == EC_IABT_CUR;
	bool low = ec == EC_IABT_LOW || ec == EC_DABT_LOW;
	int n = snprintf(buf, len, "ESR_EL1 0x%08llx: EC=0x%02x %s abort from %s, IL=%u, ", (unsigned long long)s->code,
			 ec, iabt ? "instruction" : "data", low ? "EL0" : "EL1", (unsigned)(s->code >> 25) & 1);
	if (n < 0 || (size_t)n >= len)
		return n;
	if (!iabt)
		n += snprintf(buf + n, len - (size_t)n, "WnR=%u (%s), ", (unsigned)(s->code >> 6) & 1,
			      s->code & ESR_WNR ? "write" : "read");
	if (n < 0 || (size_t)n >= len)
		return n;
	if (fsc == 0x10)
		return n + snprintf(buf + n, len - (size_t)n, "%cFSC=0x%02x %s; FAR_EL1=0x%llx", iabt ? 'I' : 'D',
				    fsc, a64_fsc_name(fsc), (unsigned long long)s->addr);
	return n + snprintf(buf + n, len - (size_t)n, "%cFSC=0x%02x %s, level %u; FAR_EL1=0x%llx", iabt ? 'I' : 'D', fsc,
			    a64_fsc_name(fsc), fsc & 3, (unsigned long long)s->addr);
}

const char *mmu_fault_kind_name(enum mmu_fault_kind k)
{
	static const char *const names[] = {"none", "not-present", "permission", "access-flag", "reserved-bit",
					    "protection-key", "non-canonical", "external"};
	return names[k];
}

const char *mmu_access_name(enum mmu_access a)
{
	static const char *const names[] = {"read", "write", "fetch"};
	return names[a];
}
