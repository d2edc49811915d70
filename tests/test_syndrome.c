/* Fault syndromes for every fault kind at every level on both architectures,
 * as literal values from the manuals: x86 #PF error code bits (SDM 4.7) and
 * AArch64 ESR_EL1 (EC, IL, WnR, DFSC/IFSC). */
#include "tests/check.h"
#include "mmu/mmu.h"

static struct mmu_syndrome syn(enum mmu_arch arch, enum mmu_fault_kind k, int level, enum mmu_access a, bool user)
{
	struct mmu_fault f = {.kind = k, .level = (int8_t)level, .access = a, .user = user, .va = 0x1234567000};
	return mmu_syndrome_of(arch, &f);
}

static void x86_error_codes(void)
{
	const enum mmu_arch X = ARCH_X86_64;
	struct mmu_syndrome s = syn(X, FAULT_NOT_PRESENT, 3, ACC_WRITE, true);
	CHECK_EQ(s.vector, 14);
	CHECK_EQ(s.code, 0x6);              /* the example: user write, not present */
	CHECK_EQ(s.addr, 0x1234567000);     /* CR2 */
	CHECK(s.addr_valid);
	/* The error code carries no level: every level gives the same code. */
	for (int l = 0; l <= 3; l++) {
		CHECK_EQ(syn(X, FAULT_NOT_PRESENT, l, ACC_READ, true).code, 0x4);
		CHECK_EQ(syn(X, FAULT_NOT_PRESENT, l, ACC_READ, false).code, 0x0);
		CHECK_EQ(syn(X, FAULT_NOT_PRESENT, l, ACC_FETCH, true).code, 0x14);
		CHECK_EQ(syn(X, FAULT_PERMISSION, l, ACC_WRITE, true).code, 0x7);
		CHECK_EQ(syn(X, FAULT_RESERVED, l, ACC_READ, true).code, 0xD);
		CHECK_EQ(syn(X, FAULT_RESERVED, l, ACC_WRITE, false).code, 0xB);
	}
	CHECK_EQ(syn(X, FAULT_NOT_PRESENT, -1, ACC_WRITE, false).code, 0x2); /* PML5 */
	CHECK_EQ(syn(X, FAULT_PERMISSION, 3, ACC_READ, true).code, 0x5);     /* user read of a supervisor page */
	CHECK_EQ(syn(X, FAULT_PERMISSION, 3, ACC_FETCH, true).code, 0x15);   /* fetch from NX */
	CHECK_EQ(syn(X, FAULT_PERMISSION, 3, ACC_FETCH, false).code, 0x11);
	CHECK_EQ(syn(X, FAULT_PKEY, 3, ACC_READ, true).code, 0x25);
	CHECK_EQ(syn(X, FAULT_PKEY, 3, ACC_WRITE, true).code, 0x27);
	s = syn(X, FAULT_NONCANONICAL, 0, ACC_READ, true);
	CHECK_EQ(s.vector, 13);                 /* #GP, no CR2 */
	CHECK(!s.addr_valid);
	CHECK_EQ(syn(X, FAULT_EXTERNAL, 2, ACC_READ, true).vector, 18);
}

static void a64_esr(void)
{
	const enum mmu_arch A = ARCH_AARCH64;
	struct mmu_syndrome s = syn(A, FAULT_NOT_PRESENT, 3, ACC_WRITE, true);
	CHECK_EQ(s.code, 0x92000047);     /* the example */
	CHECK_EQ(s.vector, 0x24);         /* EC: data abort from a lower EL */
	CHECK_EQ(s.addr, 0x1234567000);   /* FAR_EL1 */
	static const uint64_t translation[] = {0x04, 0x05, 0x06, 0x07};
	static const uint64_t access_flag[] = {0x08, 0x09, 0x0A, 0x0B};
	static const uint64_t permission[] = {0x0C, 0x0D, 0x0E, 0x0F};
	static const uint64_t addr_size[] = {0x00, 0x01, 0x02, 0x03};
	static const uint64_t ext_walk[] = {0x14, 0x15, 0x16, 0x17};
	for (int l = 0; l <= 3; l++) {
		/* Data aborts from EL0: EC 0x24, IL: 0x92000000; WnR (bit 6) for writes. */
		CHECK_EQ(syn(A, FAULT_NOT_PRESENT, l, ACC_READ, true).code, 0x92000000 | translation[l]);
		CHECK_EQ(syn(A, FAULT_NOT_PRESENT, l, ACC_WRITE, true).code, 0x92000040 | translation[l]);
		CHECK_EQ(syn(A, FAULT_ACCESS_FLAG, l, ACC_READ, true).code, 0x92000000 | access_flag[l]);
		CHECK_EQ(syn(A, FAULT_ACCESS_FLAG, l, ACC_WRITE, true).code, 0x92000040 | access_flag[l]);
		CHECK_EQ(syn(A, FAULT_PERMISSION, l, ACC_WRITE, true).code, 0x92000040 | permission[l]);
		CHECK_EQ(syn(A, FAULT_RESERVED, l, ACC_READ, true).code, 0x92000000 | addr_size[l]);
		/* Instruction aborts from EL0: EC 0x20, no WnR. */
		CHECK_EQ(syn(A, FAULT_NOT_PRESENT, l, ACC_FETCH, true).code, 0x82000000 | translation[l]);
		CHECK_EQ(syn(A, FAULT_PERMISSION, l, ACC_FETCH, true).code, 0x82000000 | permission[l]);
		CHECK_EQ(syn(A, FAULT_ACCESS_FLAG, l, ACC_FETCH, true).code, 0x82000000 | access_flag[l]);
		/* The same EL: EC 0x25 (data) and 0x21 (instruction). */
		CHECK_EQ(syn(A, FAULT_NOT_PRESENT, l, ACC_WRITE, false).code, 0x96000040 | translation[l]);
		CHECK_EQ(syn(A, FAULT_NOT_PRESENT, l, ACC_FETCH, false).code, 0x86000000 | translation[l]);
		struct mmu_fault ext = {.kind = FAULT_EXTERNAL, .level = (int8_t)l, .access = ACC_READ, .user = true,
					.in_walk = true};
		CHECK_EQ(mmu_syndrome_of(A, &ext).code, 0x92000000 | ext_walk[l]);
	}
	CHECK_EQ(syn(A, FAULT_EXTERNAL, 3, ACC_READ, true).code, 0x92000010); /* not on a walk */
	CHECK_EQ(syn(A, FAULT_NONCANONICAL, 0, ACC_READ, true).code, 0x92000004);
	CHECK_EQ(syn(A, FAULT_PERMISSION, 3, ACC_FETCH, true).vector, 0x20);
}

static void descriptions(void)
{
	char buf[256];
	struct mmu_syndrome s = syn(ARCH_AARCH64, FAULT_NOT_PRESENT, 3, ACC_WRITE, true);
	mmu_syndrome_describe(ARCH_AARCH64, &s, buf, sizeof buf);
	CHECK(strstr(buf, "0x92000047") && strstr(buf, "EC=0x24") && strstr(buf, "WnR=1") &&
	      strstr(buf, "translation fault, level 3") && strstr(buf, "FAR_EL1=0x1234567000"));
	s = syn(ARCH_AARCH64, FAULT_PERMISSION, 2, ACC_FETCH, true);
	mmu_syndrome_describe(ARCH_AARCH64, &s, buf, sizeof buf);
	CHECK(strstr(buf, "instruction abort") && strstr(buf, "IFSC=0x0e permission fault, level 2") &&
	      !strstr(buf, "WnR"));
	s = syn(ARCH_X86_64, FAULT_NOT_PRESENT, 3, ACC_WRITE, true);
	mmu_syndrome_describe(ARCH_X86_64, &s, buf, sizeof buf);
	CHECK(strstr(buf, "#PF error code 0x6") && strstr(buf, "not present") && strstr(buf, "write") &&
	      strstr(buf, "user") && strstr(buf, "CR2=0x1234567000"));
	s = syn(ARCH_X86_64, FAULT_NONCANONICAL, 0, ACC_READ, true);
	mmu_syndrome_describe(ARCH_X86_64, &s, buf, sizeof buf);
	CHECK(strstr(buf, "#GP"));
	CHECK_STR(mmu_fault_kind_name(FAULT_ACCESS_FLAG), "access-flag");
	CHECK_STR(mmu_access_name(ACC_FETCH), "fetch");
}

int main(void)
{
	x86_error_codes();
	a64_esr();
	descriptions();
	return check_report("test_syndrome");
}
