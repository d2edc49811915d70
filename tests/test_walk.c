/* The walker on hand-built tables: every level's not-present fault on every
 * format, permissions (leaf and inherited from tables), huge and block
 * leaves, reserved bits, A/D and AF/DBM updates, protection keys, VA range
 * checks and walks that run off physical memory. No TLBs are configured, so
 * every access walks. */

#include "tests/check.h"
#include "tests/testlib.h"

static const struct pt_format *const formats[] = {
	&fmt_x86_64_4level, &fmt_x86_64_5level, &fmt_aarch64_4k, &fmt_aarch64_16k, &fmt_aarch64_64k,
};
#define NFORMATS (sizeof formats / sizeof formats[0])

static struct mmu *new_mmu(struct tspace *s, bool hw_af, bool hw_dbm, uint8_t pa_bits)
{
	struct mmu_config c = test_config(s->f, s->pm->size, 10);
	c.hw_af = hw_af;
	c.hw_dbm = hw_dbm;
	if (pa_bits)
		c.pa_bits = pa_bits;
	return tspace_mmu(s, &c, 1);
}

static bool x86(const struct tspace *s) { return s->f->arch == ARCH_X86_64; }

/* A user VA that is page-aligned for every granule and uses index bits of
 * every level. */
static const uint64_t VA = 0x00007f1234560000ull;

static void not_present_every_level(void)
{
	for (size_t i = 0; i < NFORMATS; i++) {
		struct tspace s;
		tspace_init(&s, formats[i], 64);
		struct mmu *m = new_mmu(&s, false, false, 0);
		uint64_t frame = tspace_frame(&s);
		struct pte leaf = tspace_user_page(&s, frame, true, false);
		tspace_map(&s, VA, PT_LEVEL_LEAF, &leaf);

		struct mmu_xlate x;
		CHECK(mmu_access(m, VA + 0x123, ACC_READ, true, &x));
		CHECK_EQ(x.pa, frame + 0x123);
		CHECK_EQ(x.page_shift, s.f->page_shift);
		CHECK_EQ(x.leaf_level, 3);
		CHECK_EQ(x.walk.nsteps, PT_LEVEL_LEAF - s.f->top_level + 1);

		for (int l = s.f->top_level; l <= PT_LEVEL_LEAF; l++) {
			/* Same indices above level l, a different (empty) entry at l. */
			uint64_t va = VA ^ (1ull << pt_leaf_shift(s.f, l));
			CHECK(!mmu_access(m, va, ACC_READ, true, &x));
			CHECK_EQ(x.fault.kind, FAULT_NOT_PRESENT);
			CHECK_EQ(x.fault.level, l);
			CHECK_EQ(x.walk.nsteps, l - s.f->top_level + 1);
			CHECK_EQ(x.fault.syn.addr, va);
			if (x86(&s))
				CHECK_EQ(x.fault.syn.code, 0x4);
			else
				CHECK_EQ(x.fault.syn.code, 0x92000004ull + (uint64_t)l);
			CHECK(!mmu_access(m, va, ACC_WRITE, true, &x));
			CHECK_EQ(x.fault.syn.code, x86(&s) ? 0x6 : 0x92000044ull + (uint64_t)l);
		}
		CHECK_EQ(mmu_stats(m)->faults[FAULT_NOT_PRESENT], 2u * (unsigned)(PT_LEVEL_LEAF - s.f->top_level + 1));
		mmu_destroy(m);
		tspace_free(&s);
	}
}

static void permissions(void)
{
	for (size_t i = 0; i < NFORMATS; i++) {
		struct tspace s;
		tspace_init(&s, formats[i], 64);
		struct mmu *m = new_mmu(&s, false, false, 0);
		uint64_t pg = 1ull << s.f->page_shift;
		struct mmu_xlate x;

		/* Write to a read-only page. */
		struct pte ro = tspace_user_page(&s, tspace_frame(&s), false, false);
		tspace_map(&s, VA, 3, &ro);
		CHECK(mmu_access(m, VA, ACC_READ, true, &x));
		CHECK(!mmu_access(m, VA, ACC_WRITE, true, &x));
		CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
		CHECK_EQ(x.fault.level, 3);
		CHECK_EQ(x.fault.syn.code, x86(&s) ? 0x7 : 0x9200004F);
		/* The kernel cannot write it either (x86 CR0.WP=1; AArch64 AP[2]). */
		CHECK(!mmu_access(m, VA, ACC_WRITE, false, &x));
		CHECK_EQ(x.fault.syn.code, x86(&s) ? 0x3 : 0x9600004F);

		/* User access to a supervisor page. */
		struct pte sup = tspace_user_page(&s, tspace_frame(&s), true, false);
		sup.user = false;
		tspace_map(&s, VA + pg, 3, &sup);
		CHECK(!mmu_access(m, VA + pg, ACC_READ, true, &x));
		CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
		CHECK_EQ(x.fault.syn.code, x86(&s) ? 0x5 : 0x9200000F);
		CHECK(mmu_access(m, VA + pg, ACC_WRITE, false, &x));

		/* Fetch from a non-executable page. */
		struct pte nx = tspace_user_page(&s, tspace_frame(&s), true, false);
		tspace_map(&s, VA + 2 * pg, 3, &nx);
		CHECK(!mmu_access(m, VA + 2 * pg, ACC_FETCH, true, &x));
		CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
		CHECK_EQ(x.fault.syn.code, x86(&s) ? 0x15 : 0x8200000F);

		/* An executable page can be fetched. */
		struct pte code = tspace_user_page(&s, tspace_frame(&s), false, true);
		tspace_map(&s, VA + 3 * pg, 3, &code);
		CHECK(mmu_access(m, VA + 3 * pg, ACC_FETCH, true, &x));

		/* Restrictions inherited from tables, in a fresh top-level slot so
		 * new tables are built with them. The leaf itself allows all. */
		struct { bool write, user, nx; enum mmu_access acc; bool as_user; } cases[] = {
			{false, true, false, ACC_WRITE, true},  /* x86 R/W=0 in a table; APTable[1] */
			{true, false, false, ACC_READ, true},   /* x86 U/S=0 in a table; APTable[0] */
			{true, true, true, ACC_FETCH, true},    /* x86 XD in a table; UXNTable */
		};
		/* The highest level with room for three more entries (the 16K
		 * granule's L0 has only two). */
		int slot = pt_level_info(s.f, s.f->top_level)->index_bits >= 2 ? s.f->top_level : s.f->top_level + 1;
		for (int c = 0; c < 3; c++) {
			uint64_t va = VA ^ ((uint64_t)(c + 1) << pt_leaf_shift(s.f, slot));
			s.build.table.write = cases[c].write;
			s.build.table.user = cases[c].user;
			s.build.table.nx = cases[c].nx;
			struct pte all = tspace_user_page(&s, tspace_frame(&s), true, true);
			all.pxn = false;
			tspace_map(&s, va, 3, &all);
			CHECK(!mmu_access(m, va, cases[c].acc, cases[c].as_user, &x));
			CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
			CHECK_EQ(x.fault.level, 3);
			/* The same page is fine for an access the tables do not restrict. */
			CHECK(mmu_access(m, va, cases[c].acc == ACC_READ ? ACC_WRITE : ACC_READ,
					 cases[c].acc != ACC_READ, &x));
		}
		s.build.table = (struct pte){.kind = PTE_TABLE, .write = true, .user = true};

		if (!x86(&s)) {
			/* EL0-writable memory is never executable at EL1 (implicit PXN)... */
			struct pte uw = tspace_user_page(&s, tspace_frame(&s), true, true);
			uw.pxn = false;
			tspace_map(&s, VA + 4 * pg, 3, &uw);
			CHECK(mmu_access(m, VA + 4 * pg, ACC_FETCH, true, &x));
			CHECK(!mmu_access(m, VA + 4 * pg, ACC_FETCH, false, &x));
			CHECK_EQ(x.fault.syn.code, 0x8600000F);
			/* ...and EL0 execution depends on UXN alone, not on AP[1]. */
			struct pte el1 = tspace_user_page(&s, tspace_frame(&s), false, true);
			el1.user = false;
			tspace_map(&s, VA + 5 * pg, 3, &el1);
			CHECK(mmu_access(m, VA + 5 * pg, ACC_FETCH, true, &x));
			CHECK(!mmu_access(m, VA + 5 * pg, ACC_READ, true, &x));
		}
		mmu_destroy(m);
		tspace_free(&s);
	}
}

/* A block leaf at `level` mapping `oa`; physical memory must cover it. */
static void check_block(const struct pt_format *f, int level, uint64_t oa, uint64_t phys_frames)
{
	struct tspace s;
	tspace_init(&s, f, phys_frames);
	struct mmu *m = new_mmu(&s, false, false, 0);
	unsigned shift = pt_leaf_shift(f, level);
	uint64_t va = 0x0000400000000000ull >> (f->va_bits == 57 ? 0 : 1); /* aligned to 1 GiB and above */
	struct pte b = tspace_user_page(&s, oa, true, false);
	b.kind = PTE_BLOCK;
	tspace_map(&s, va, level, &b);
	struct mmu_xlate x;
	uint64_t off = (1ull << shift) - 8;
	CHECK(mmu_access(m, va + off, ACC_READ, true, &x));
	CHECK_EQ(x.pa, oa + off);
	CHECK_EQ(x.page_shift, shift);
	CHECK_EQ(x.leaf_level, level);
	CHECK_EQ(x.walk.nsteps, level - f->top_level + 1);
	CHECK_EQ(x.frame, oa);
	/* The next block's slot is empty. */
	CHECK(!mmu_access(m, va + (1ull << shift), ACC_READ, true, &x));
	CHECK_EQ(x.fault.level, level);
	mmu_destroy(m);
	tspace_free(&s);
}

static void huge_and_block_leaves(void)
{
	check_block(&fmt_x86_64_4level, 2, 0x400000, 0x800);           /* 2 MiB */
	check_block(&fmt_x86_64_4level, 1, 0, 1ull << 18);             /* 1 GiB */
	check_block(&fmt_x86_64_5level, 2, 0x200000, 0x800);
	check_block(&fmt_aarch64_4k, 2, 0x200000, 0x800);              /* 2 MiB */
	check_block(&fmt_aarch64_4k, 1, 0, 1ull << 18);                /* 1 GiB */
	check_block(&fmt_aarch64_16k, 2, 0x2000000, 0x1000);           /* 32 MiB */
	check_block(&fmt_aarch64_64k, 2, 0x20000000, 0x4000);          /* 512 MiB */

	/* Blocks where the architecture allows none. */
	struct { const struct pt_format *f; int level; } bad[] = {
		{&fmt_aarch64_16k, 1}, {&fmt_aarch64_4k, 0},
	};
	for (int i = 0; i < 2; i++) {
		struct tspace s;
		tspace_init(&s, bad[i].f, 64);
		struct mmu *m = new_mmu(&s, false, false, 0);
		struct pte b = tspace_user_page(&s, 0, true, false);
		b.kind = PTE_BLOCK;
		tspace_map(&s, VA, bad[i].level, &b);
		struct mmu_xlate x;
		CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
		CHECK_EQ(x.fault.kind, FAULT_NOT_PRESENT);   /* a translation fault */
		CHECK_EQ(x.fault.level, bad[i].level);
		CHECK_EQ(x.fault.syn.code, 0x92000004ull + (uint64_t)bad[i].level);
		mmu_destroy(m);
		tspace_free(&s);
	}
	/* x86: PS=1 in a PML4E is a reserved-bit fault. */
	struct tspace s;
	tspace_init(&s, &fmt_x86_64_4level, 64);
	struct mmu *m = new_mmu(&s, false, false, 0);
	physmem_write64(s.pm, s.root + 8ull * pt_index(s.f, 0, VA), 0x80000087ull);
	struct mmu_xlate x;
	CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_RESERVED);
	CHECK_EQ(x.fault.level, 0);
	CHECK_EQ(x.fault.syn.code, 0xD);
	mmu_destroy(m);
	tspace_free(&s);
}

static void reserved_bits(void)
{
	struct mmu_xlate x;
	/* x86 with MAXPHYADDR 40: address bits 51:40 are reserved. */
	struct tspace s;
	tspace_init(&s, &fmt_x86_64_4level, 0x800);
	struct mmu *m = new_mmu(&s, false, false, 40);
	struct pte p = tspace_user_page(&s, tspace_frame(&s), true, false);
	uint64_t e = tspace_map(&s, VA, 3, &p);
	CHECK(mmu_access(m, VA, ACC_READ, true, &x));
	physmem_write64(s.pm, e, physmem_read64(s.pm, e) | (1ull << 45));
	CHECK(!mmu_access(m, VA, ACC_WRITE, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_RESERVED);
	CHECK_EQ(x.fault.syn.code, 0xF); /* P W U RSVD */
	/* A 2 MiB PDE with bit 13 set (between PAT and the address). */
	struct pte b = tspace_user_page(&s, 0x200000, true, false);
	b.kind = PTE_BLOCK;
	uint64_t va2 = 0x40000000;
	uint64_t pde = tspace_map(&s, va2, 2, &b);
	CHECK(mmu_access(m, va2, ACC_READ, true, &x));
	physmem_write64(s.pm, pde, physmem_read64(s.pm, pde) | (1ull << 13));
	CHECK(!mmu_access(m, va2, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_RESERVED);
	CHECK_EQ(x.fault.level, 2);
	mmu_destroy(m);
	tspace_free(&s);

	/* AArch64 with a 40-bit PA: an output address above it is an address size
	 * fault at the level of the descriptor. */
	tspace_init(&s, &fmt_aarch64_4k, 64);
	m = new_mmu(&s, false, false, 40);
	p = tspace_user_page(&s, tspace_frame(&s), true, false);
	e = tspace_map(&s, VA, 3, &p);
	physmem_write64(s.pm, e, physmem_read64(s.pm, e) | (1ull << 44));
	CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_RESERVED);
	CHECK_EQ(x.fault.syn.code, 0x92000003);
	uint64_t l0e = s.root + 8ull * pt_index(s.f, 0, VA);
	physmem_write64(s.pm, l0e, physmem_read64(s.pm, l0e) | (1ull << 41));
	CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(x.fault.syn.code, 0x92000000);
	mmu_destroy(m);
	tspace_free(&s);
}

static void x86_accessed_dirty(void)
{
	struct tspace s;
	tspace_init(&s, &fmt_x86_64_4level, 64);
	struct mmu *m = new_mmu(&s, false, false, 0);
	struct pte p = tspace_user_page(&s, tspace_frame(&s), true, false);
	uint64_t leaf = tspace_map(&s, VA, 3, &p);
	struct mmu_xlate x;

	/* A probe walk translates without touching memory. */
	CHECK(mmu_walk(m, s.root, VA, ACC_WRITE, true, true, &x));
	CHECK_EQ(physmem_read64(s.pm, leaf) & 0x60, 0);
	CHECK_EQ(mmu_stats(m)->ad_updates, 0);

	/* A read sets A in all four entries, D in none. */
	CHECK(mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(mmu_stats(m)->ad_updates, 4);
	for (int i = 0; i < x.walk.nsteps; i++) {
		const struct walk_step *st = &x.walk.step[i];
		uint64_t now = physmem_read64(s.pm, st->table_pa + 8ull * st->index);
		CHECK(now & 0x20);
		CHECK_EQ(st->raw & 0x20, 0); /* the step shows the entry as read */
	}
	CHECK_EQ(physmem_read64(s.pm, leaf) & 0x40, 0);
	CHECK(!x.dirty);
	/* The first write sets D; a second changes nothing. */
	CHECK(mmu_access(m, VA, ACC_WRITE, true, &x));
	CHECK(physmem_read64(s.pm, leaf) & 0x40);
	CHECK(x.dirty);
	CHECK_EQ(mmu_stats(m)->ad_updates, 5);
	CHECK(mmu_access(m, VA, ACC_WRITE, true, &x));
	CHECK_EQ(mmu_stats(m)->ad_updates, 5);

	/* A faulting access sets A in the tables it used, not in the leaf. */
	struct pte ro = tspace_user_page(&s, tspace_frame(&s), false, false);
	uint64_t va2 = VA ^ (1ull << 39);
	uint64_t leaf2 = tspace_map(&s, va2, 3, &ro);
	CHECK(!mmu_access(m, va2, ACC_WRITE, true, &x));
	CHECK_EQ(physmem_read64(s.pm, leaf2) & 0x60, 0);
	CHECK(physmem_read64(s.pm, s.root + 8ull * pt_index(s.f, 0, va2)) & 0x20);
	mmu_destroy(m);
	tspace_free(&s);
}

static void a64_access_flag(void)
{
	struct mmu_xlate x;
	for (int hw = 0; hw < 2; hw++) {
		struct tspace s;
		tspace_init(&s, &fmt_aarch64_4k, 0x800);
		struct mmu *m = new_mmu(&s, hw, false, 0);
		struct pte p = tspace_user_page(&s, tspace_frame(&s), true, false);
		p.accessed = false;
		uint64_t leaf = tspace_map(&s, VA, 3, &p);
		struct pte b = tspace_user_page(&s, 0x200000, true, false);
		b.kind = PTE_BLOCK;
		b.accessed = false;
		uint64_t va2 = 0x40000000;
		tspace_map(&s, va2, 2, &b);
		struct pte ro = tspace_user_page(&s, tspace_frame(&s), false, false);
		ro.accessed = false;
		uint64_t va3 = VA + 0x1000;
		tspace_map(&s, va3, 3, &ro);
		if (!hw) {
			CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
			CHECK_EQ(x.fault.kind, FAULT_ACCESS_FLAG);
			CHECK_EQ(x.fault.syn.code, 0x9200000B);
			CHECK(!mmu_access(m, va2, ACC_WRITE, true, &x));
			CHECK_EQ(x.fault.syn.code, 0x9200004A); /* level 2 block */
			/* The access flag fault comes before the permission check. */
			CHECK(!mmu_access(m, va3, ACC_WRITE, true, &x));
			CHECK_EQ(x.fault.kind, FAULT_ACCESS_FLAG);
			CHECK_EQ(physmem_read64(s.pm, leaf) & (1ull << 10), 0);
		} else {
			CHECK(mmu_access(m, VA, ACC_READ, true, &x));
			CHECK(physmem_read64(s.pm, leaf) & (1ull << 10));
			CHECK(mmu_access(m, va2, ACC_WRITE, true, &x));
			CHECK(!mmu_access(m, va3, ACC_WRITE, true, &x));
			CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
		}
		mmu_destroy(m);
		tspace_free(&s);
	}
}

static void a64_dirty_bit_modifier(void)
{
	struct mmu_xlate x;
	for (int hw = 0; hw < 2; hw++) {
		struct tspace s;
		tspace_init(&s, &fmt_aarch64_4k, 64);
		struct mmu *m = new_mmu(&s, true, hw, 0);
		struct pte p = tspace_user_page(&s, tspace_frame(&s), false, false);
		p.dbm = true; /* writable-clean, as Linux maps it */
		uint64_t leaf = tspace_map(&s, VA, 3, &p);
		CHECK(mmu_access(m, VA, ACC_READ, true, &x));
		CHECK(!x.dirty);
		if (!hw) {
			CHECK(!mmu_access(m, VA, ACC_WRITE, true, &x));
			CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
			CHECK_EQ(x.fault.syn.code, 0x9200004F);
			CHECK(physmem_read64(s.pm, leaf) & 0x80);
		} else {
			CHECK(mmu_access(m, VA, ACC_WRITE, true, &x));
			CHECK(x.dirty);
			CHECK_EQ(physmem_read64(s.pm, leaf) & 0x80, 0); /* AP[2] cleared */
		}
		mmu_destroy(m);
		tspace_free(&s);
	}
}

static void x86_protection_keys(void)
{
	struct tspace s;
	tspace_init(&s, &fmt_x86_64_4level, 64);
	struct mmu *m = new_mmu(&s, false, false, 0);
	struct pte p = tspace_user_page(&s, tspace_frame(&s), true, true);
	p.pkey = 3;
	tspace_map(&s, VA, 3, &p);
	struct mmu_xlate x;
	CHECK(mmu_access(m, VA, ACC_WRITE, true, &x));
	mmu_set_pkru(m, 1u << 6);            /* AD for key 3 */
	CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_PKEY);
	CHECK_EQ(x.fault.syn.code, 0x25);
	CHECK(mmu_access(m, VA, ACC_READ, false, &x));  /* supervisor */
	CHECK(mmu_access(m, VA, ACC_FETCH, true, &x));  /* fetches are not checked */
	mmu_set_pkru(m, 1u << 7);            /* WD for key 3 */
	CHECK(mmu_access(m, VA, ACC_READ, true, &x));
	CHECK(!mmu_access(m, VA, ACC_WRITE, true, &x));
	CHECK_EQ(x.fault.syn.code, 0x27);
	mmu_set_pkru(m, 3u << 4);            /* key 2 only */
	CHECK(mmu_access(m, VA, ACC_WRITE, true, &x));
	mmu_destroy(m);
	tspace_free(&s);
}

static void va_ranges(void)
{
	struct mmu_xlate x;
	struct tspace s;
	tspace_init(&s, &fmt_x86_64_4level, 64);
	struct mmu *m = new_mmu(&s, false, false, 0);
	CHECK(!mmu_access(m, 0x0000800000000000ull, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_NONCANONICAL);
	CHECK_EQ(x.fault.syn.vector, 13);
	CHECK(!mmu_access(m, 0xffff800000000000ull, ACC_READ, true, &x)); /* canonical, unmapped */
	CHECK_EQ(x.fault.kind, FAULT_NOT_PRESENT);
	CHECK_EQ(x.fault.syn.vector, 14);
	mmu_destroy(m);
	tspace_free(&s);

	tspace_init(&s, &fmt_x86_64_5level, 64);
	m = new_mmu(&s, false, false, 0);
	CHECK(!mmu_access(m, 0x0000800000000000ull, ACC_READ, true, &x)); /* canonical with LA57 */
	CHECK_EQ(x.fault.kind, FAULT_NOT_PRESENT);
	CHECK(!mmu_access(m, 0x0100000000000000ull, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_NONCANONICAL);
	mmu_destroy(m);
	tspace_free(&s);

	tspace_init(&s, &fmt_aarch64_4k, 64);
	m = new_mmu(&s, false, false, 0);
	CHECK(!mmu_access(m, 1ull << 48, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_NONCANONICAL);
	CHECK_EQ(x.fault.syn.code, 0x92000004);
	CHECK_EQ(x.walk.nsteps, 0);
	mmu_destroy(m);
	tspace_free(&s);
}

static void off_physical_memory(void)
{
	struct mmu_xlate x;
	for (int a = 0; a < 2; a++) {
		struct tspace s;
		tspace_init(&s, a ? &fmt_aarch64_4k : &fmt_x86_64_4level, 64);
		struct mmu *m = new_mmu(&s, false, false, 0);
		struct pte p = tspace_user_page(&s, tspace_frame(&s), true, false);
		uint64_t leaf = tspace_map(&s, VA, 3, &p);
		/* Point the level-2 entry at a table beyond the 256 KiB of memory. */
		uint64_t l2e = pt_entry_addr(s.pm, s.f, s.root, VA, 2, NULL);
		struct pte t = pte_decode(s.f, 2, physmem_read64(s.pm, l2e));
		t.oa = 0x4000000;
		physmem_write64(s.pm, l2e, pte_encode(s.f, 2, &t));
		CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
		CHECK_EQ(x.fault.kind, FAULT_EXTERNAL);
		CHECK(x.fault.in_walk);
		CHECK_EQ(x.fault.level, 3);
		if (a)
			CHECK_EQ(x.fault.syn.code, 0x92000017);
		else
			CHECK_EQ(x.fault.syn.vector, 18);
		/* A leaf whose frame is beyond memory: an external abort on the access. */
		t.oa = leaf & ~0xFFFull;
		physmem_write64(s.pm, l2e, pte_encode(s.f, 2, &t));
		p.oa = 0x8000000;
		physmem_write64(s.pm, leaf, pte_encode(s.f, 3, &p));
		CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
		CHECK_EQ(x.fault.kind, FAULT_EXTERNAL);
		CHECK(!x.fault.in_walk);
		if (a)
			CHECK_EQ(x.fault.syn.code, 0x92000010);
		mmu_destroy(m);
		tspace_free(&s);
	}
}

static void a64_contiguous(void)
{
	struct tspace s;
	tspace_init(&s, &fmt_aarch64_4k, 64);
	struct mmu *m = new_mmu(&s, false, false, 0);
	uint64_t base = 0x10000; /* 64 KiB-aligned frames 16..31 */
	s.next_frame = 32;
	for (int i = 0; i < 16; i++) {
		struct pte p = tspace_user_page(&s, base + 0x1000ull * (unsigned)i, true, false);
		p.contig = true;
		tspace_map(&s, VA + 0x1000ull * (unsigned)i, 3, &p);
	}
	struct mmu_xlate x;
	CHECK(mmu_access(m, VA + 0x5008, ACC_READ, true, &x));
	CHECK_EQ(x.page_shift, 16);
	CHECK_EQ(x.frame, base);
	CHECK_EQ(x.pa, base + 0x5008);
	mmu_destroy(m);
	tspace_free(&s);
}

static void walk_steps(void)
{
	struct tspace s;
	tspace_init(&s, &fmt_x86_64_5level, 64);
	struct mmu *m = new_mmu(&s, false, false, 0);
	uint64_t va = 0x00AB123456789000ull;
	struct pte p = tspace_user_page(&s, tspace_frame(&s), true, false);
	tspace_map(&s, va, 3, &p);
	struct mmu_xlate x;
	CHECK(mmu_access(m, va, ACC_READ, true, &x));
	CHECK_EQ(x.walk.nsteps, 5);
	uint64_t table = s.root;
	for (int i = 0; i < 5; i++) {
		const struct walk_step *st = &x.walk.step[i];
		CHECK_EQ(st->level, i - 1);
		CHECK_EQ(st->index, pt_index(s.f, i - 1, va));
		CHECK_EQ(st->table_pa, table);
		table = pte_decode(s.f, st->level, st->raw).oa;
	}
	CHECK_EQ(x.frame, p.oa);
	CHECK_EQ(mmu_stats(m)->walk_reads, 5);
	mmu_destroy(m);
	tspace_free(&s);
}

int main(void)
{
	not_present_every_level();
	permissions();
	huge_and_block_leaves();
	reserved_bits();
	x86_accessed_dirty();
	a64_access_flag();
	a64_dirty_bit_modifier();
	x86_protection_keys();
	va_ranges();
	off_physical_memory();
	a64_contiguous();
	walk_steps();
	return check_report("test_walk");
}
