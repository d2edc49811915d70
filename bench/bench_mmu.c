/* bench_mmu: how fast the hardware model translates. Prints accesses per
 * second for three working sets on a preset: one that lives in the L1 dTLB,
 * one that needs the L2 TLB, and one that walks on most accesses. A figure,
 * not a test: nothing here asserts a speed.
 *
 * usage: bench_mmu [PRESET] [MILLION_ACCESSES] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench/clock.h"
#include "presets/preset.h"

static uint64_t next_frame = 1;
static struct physmem *pm;

static uint64_t alloc_frame(void *ctx, int level)
{
	(void)ctx;
	(void)level;
	uint64_t pa = next_frame++ << pm->page_shift;
	return physmem_ptr(pm, pa, 1ull << pm->page_shift) ? pa : PT_NO_MEMORY;
}

static void run(struct mmu *m, const char *what, uint64_t base, uint64_t pages, uint64_t n)
{
	const struct pt_format *f = mmu_config_of(m)->fmt;
	uint64_t x = 88172645463325252ull, sink = 0;
	struct mmu_xlate t;
	const struct mmu_stats *st = mmu_stats(m);
	uint64_t walks0 = st->walks, hits0 = st->tlb_hits[TLB_L1D];
	double t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t va = base + ((x % pages) << f->page_shift) + (i & 0x3F8);
		if (mmu_access(m, va, (i & 7) ? ACC_READ : ACC_WRITE, true, &t))
			sink += t.pa;
	}
	double dt = now() - t0;
	printf("  %-34s %8.1f M accesses/s  %6.1f ns/access  L1d hits %5.1f%%  walks %5.1f%%  (%" PRIx64 ")\n", what,
	       (double)n / dt / 1e6, dt * 1e9 / (double)n, 100.0 * (double)(st->tlb_hits[TLB_L1D] - hits0) / (double)n,
	       100.0 * (double)(st->walks - walks0) / (double)n, sink & 0xF);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "skylake";
	uint64_t n = (argc > 2 ? strtoull(argv[2], NULL, 10) : 20) * 1000000ull;
	struct preset p;
	char err[512];
	if (preset_load(name, &p, err, sizeof err)) {
		fprintf(stderr, "bench_mmu: %s\n", err);
		return 2;
	}
	const struct pt_format *f = p.mmu.fmt;
	uint64_t pages = (64ull << 20) >> f->page_shift; /* a 64 MiB region */
	p.mmu.phys_size = (pages + 4096) << f->page_shift;
	pm = physmem_create(p.mmu.phys_size, f->page_shift);
	struct mmu *m = pm ? mmu_create(&p.mmu, pm, err, sizeof err) : NULL;
	if (!m) {
		fprintf(stderr, "bench_mmu: %s\n", pm ? err : "no physical memory");
		return 1;
	}
	uint64_t root = alloc_frame(NULL, 0), base = 0x10000000;
	struct pt_builder b = {.alloc = alloc_frame, .table = {.kind = PTE_TABLE, .write = true, .user = true, .accessed = true}};
	for (uint64_t i = 0; i < pages; i++) {
		struct pte leaf = {.kind = PTE_PAGE, .oa = alloc_frame(NULL, 3), .write = true, .user = true,
				   .accessed = true, .dirty = true, .nx = true, .sh = 3};
		pt_map(pm, f, root, base + (i << f->page_shift), PT_LEVEL_LEAF, &leaf, &b);
	}
	mmu_set_context(m, root, 1);
	printf("bench_mmu: %s (%s), %" PRIu64 " M accesses each, 1 in 8 a write\n", p.name, f->name, n / 1000000);
	run(m, "16 pages (L1 dTLB resident)", base, 16, n);
	run(m, "1024 pages (L2 TLB resident)", base, 1024, n);
	run(m, "64 MiB (walks)", base, pages, n);
	mmu_destroy(m);
	physmem_destroy(pm);
	return 0;
}
