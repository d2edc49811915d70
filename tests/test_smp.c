/* Several CPUs in the MMU: each CPU's TLBs are its own, a flush reaches
 * only the CPU it is made on, and the coherence check (--check-tlb) fires
 * on a hit the tables no longer grant: the case of a skipped shootdown. */
#include "tests/check.h"
#include "tests/testlib.h"

struct seen {
	int stale;
	unsigned cpu;
	uint64_t va;
	enum mmu_fault_kind why;
};

static void on_stale(void *ctx, unsigned cpu, uint64_t va, uint16_t asid, const struct mmu_xlate *cached,
		     const struct mmu_xlate *tables)
{
	(void)asid;
	(void)cached;
	struct seen *s = ctx;
	s->stale++;
	s->cpu = cpu;
	s->va = va;
	s->why = tables->fault.kind;
}

static void skipped_shootdown(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 64);
	struct mmu_config c = test_config(f, 64ull << f->page_shift, 1);
	c.l1d = test_tlb(1, 16, 4, 1ull << f->page_shift, REPL_LRU);
	c.ncpus = 2;
	const uint64_t VA = 0x400000;
	struct pte page = tspace_user_page(&s, tspace_frame(&s), true, false);
	uint64_t pte = tspace_map(&s, VA, PT_LEVEL_LEAF, &page);
	struct mmu *m = tspace_mmu(&s, &c, 1);
	CHECK_EQ(mmu_cpus(m), 2);
	struct seen seen = {0};
	mmu_set_check(m, on_stale, &seen);
	struct mmu_xlate x;
	/* Both CPUs cache the page. */
	mmu_select_cpu(m, 1);
	mmu_set_context(m, s.root, 1);
	CHECK(mmu_access(m, VA, ACC_READ, true, &x));
	mmu_select_cpu(m, 0);
	CHECK(mmu_access(m, VA, ACC_READ, true, &x));
	CHECK(mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(seen.stale, 0);   /* hits the tables grant are not reported */
	/* CPU 0 unmaps it and flushes only itself: the shootdown skipped. */
	physmem_write64(s.pm, pte, 0);
	mmu_flush_va(m, VA, 1);
	CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(seen.stale, 0);
	mmu_select_cpu(m, 1);
	CHECK(mmu_access(m, VA, ACC_READ, true, &x));   /* CPU 1's stale entry still answers */
	CHECK_EQ(seen.stale, 1);
	CHECK_EQ(seen.cpu, 1);
	CHECK_EQ(seen.va, VA);
	CHECK_EQ(seen.why, FAULT_NOT_PRESENT);
	/* The shootdown made: CPU 1 walks and faults, nothing stale. */
	mmu_flush_va_on(m, 1, VA, 1);
	CHECK(!mmu_access(m, VA, ACC_READ, true, &x));
	CHECK_EQ(seen.stale, 1);
	/* Statistics are per CPU and summed. */
	CHECK_EQ(mmu_cpu_stats(m, 0)->accesses[ACC_READ] + mmu_cpu_stats(m, 1)->accesses[ACC_READ],
		 mmu_stats(m)->accesses[ACC_READ]);
	mmu_destroy(m);
	tspace_free(&s);
}

int main(void)
{
	static const struct pt_format *const fmts[] = {&fmt_x86_64_4level, &fmt_aarch64_4k, &fmt_aarch64_16k};
	run_on_formats("skipped_shootdown", skipped_shootdown, fmts, 3, &check_failed);
	return check_report("test_smp");
}
