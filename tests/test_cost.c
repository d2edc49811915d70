/* test_cost: the cost model sums exactly. A scripted sequence of accesses
 * whose TLB, walk-cache and walk outcome is derived by hand, plus
 * instruction counts and fault-handling charges; every category must equal
 * its closed form, the per-access cycles must add up to the translation
 * categories and the total must be the sum of all categories. */
#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "tests/testlib.h"

#define PAGE 4096ull
#define L1_LAT 1
#define L2_LAT 7
#define WR_LAT 30        /* per page-table entry read from memory */
#define WC_TOP_LAT 3     /* walk cache of top-level (PML4 / L0) entries */
#define WC_PD_LAT 5      /* walk cache of PD / L2 entries */
#define CPI_MILLI 1500

static const struct pt_format *const formats[] = {&fmt_x86_64_4level, &fmt_aarch64_4k};
#define NFORMATS (sizeof formats / sizeof formats[0])

static const uint32_t unit_cost[COST_COUNT] = {
	[COST_TRAP] = 100, [COST_HANDLER] = 250, [COST_TABLE_ALLOC] = 40, [COST_ZERO] = 20,
	[COST_COPY] = 25, [COST_PAGECACHE] = 60, [COST_BACKING_READ] = 10000, [COST_SHOOTDOWN] = 500,
};

static bool is_x86(const struct pt_format *f) { return f->arch == ARCH_X86_64; }

/* A user page; `dirty` false makes it writable but clean (x86 D=0; AArch64
 * DBM=1 with AP[2]=1, which hardware dirty management clears on a write). */
static uint64_t map_user(struct tspace *s, uint64_t va, bool exec, bool dirty)
{
	uint64_t frame = tspace_frame(s);
	struct pte p = tspace_user_page(s, frame, true, exec);
	if (is_x86(s->f)) {
		p.accessed = true;
		p.dirty = dirty;
	} else if (!dirty) {
		p.write = false;
		p.dbm = true;
	}
	tspace_map(s, va, PT_LEVEL_LEAF, &p);
	return frame;
}

static struct mmu *new_mmu(const struct mmu_config *c, struct tspace *s) { return tspace_mmu(s, c, 0); }

/* Walk caches on the top level and the PD / L2 level, none on PDPT / L1. */
static void add_walk_caches(struct mmu_config *c, const struct pt_format *f)
{
	c->walk_cache[0 - f->top_level] = (struct walk_cache_config){.entries = 4, .ways = 0, .latency = WC_TOP_LAT};
	c->walk_cache[2 - f->top_level] = (struct walk_cache_config){.entries = 4, .ways = 0, .latency = WC_PD_LAT};
}

static uint32_t wc_latency(int level) { return level == 0 ? WC_TOP_LAT : level == 2 ? WC_PD_LAT : 0; }

static void run(const char *name, void (*fn)(const struct pt_format *))
{
	run_on_formats(name, fn, formats, NFORMATS, &check_failed);
}

/* ---- the scripted sequence -------------------------------------------------- */

#define VA_A 0x10000000ull               /* PML4/L0 0, PDPT/L1 0, PD/L2 128, PT/L3 0 */
#define VA_B (VA_A + PAGE)               /* same last-level table */
#define VA_F (VA_A + 2 * PAGE)           /* same table, writable but clean */
#define VA_D (VA_A + 5 * PAGE)           /* same table, entry empty */
#define VA_C (VA_A + 0x40000000ull)      /* next PDPT/L1 entry: own PD and PT */
#define VA_C2 (VA_C + PAGE)
#define VA_E (VA_A + 0x80000000ull)      /* PDPT/L1 entry 2: empty */

enum op { OP_ACCESS, OP_FLUSH_VA };

struct step {
	const char *what;
	enum op op;
	enum mmu_access acc;
	uint64_t va;
	bool ok;
	int tlb_level;    /* expected x.tlb_level */
	bool l1, l2;      /* which TLB levels are probed */
	int wc;           /* level of the walk-cache hit, -1 none */
	unsigned reads;   /* entries read from memory */
	int first;        /* level of the first entry read */
	int fault_level;
	/* On x86 a #PF also drops the paging-structure-cache entries covering the
	 * faulting address (Intel SDM 4.10.4.1); AArch64 keeps its walk cache.
	 * Where that changes a later walk, the x86 expectation differs: */
	bool x86_own;
	int x86_wc;
	unsigned x86_reads;
	int x86_first;
};

/* L1d: 2 entries, fully associative LRU; no L1i; L2: 32 entries. */
static const struct step script[] = {
	{"cold read of A: full walk", OP_ACCESS, ACC_READ, VA_A, true, 0, true, true, -1, 4, 0, 0, false, 0, 0, 0},
	{"A again: L1 hit", OP_ACCESS, ACC_READ, VA_A + 8, true, 1, true, false, -1, 0, 0, 0, false, 0, 0, 0},
	{"B: PD-level walk-cache hit, one read", OP_ACCESS, ACC_READ, VA_B, true, 0, true, true, 2, 1, 3, 0, false, 0, 0, 0},
	{"C: top-level walk-cache hit, three reads (evicts A from L1)", OP_ACCESS, ACC_READ, VA_C, true, 0, true,
	 true, 0, 3, 1, 0, false, 0, 0, 0},
	{"D: not present in A's table", OP_ACCESS, ACC_READ, VA_D, false, 0, true, true, 2, 1, 3, 3, false, 0, 0, 0},
	{"E: not present at PDPT/L1 (x86: D's fault dropped the top-level cache entry)", OP_ACCESS, ACC_READ, VA_E,
	 false, 0, true, true, 0, 1, 1, 1, true, -1, 2, 0},
	{"A: L1 miss, L2 hit (evicts B from L1)", OP_ACCESS, ACC_READ, VA_A + 16, true, 2, true, true, -1, 0, 0, 0, false, 0, 0, 0},
	{"A again: L1 hit", OP_ACCESS, ACC_READ, VA_A + 24, true, 1, true, false, -1, 0, 0, 0, false, 0, 0, 0},
	{"fetch A: no L1i, L2 hit", OP_ACCESS, ACC_FETCH, VA_A, true, 2, false, true, -1, 0, 0, 0, false, 0, 0, 0},
	{"F: walk via PD cache (evicts C from L1; x86: the faults dropped both cache entries)", OP_ACCESS, ACC_READ,
	 VA_F, true, 0, true, true, 2, 1, 3, 0, true, -1, 4, 0},
	{"write F (clean): both levels miss, re-walk", OP_ACCESS, ACC_WRITE, VA_F + 8, true, 0, true, true, 2, 1,
	 3, 0, false, 0, 0, 0},
	{"write F again: L1 hit", OP_ACCESS, ACC_WRITE, VA_F + 16, true, 1, true, false, -1, 0, 0, 0, false, 0, 0, 0},
	{"write A (dirty): L1 hit", OP_ACCESS, ACC_WRITE, VA_A + 32, true, 1, true, false, -1, 0, 0, 0, false, 0, 0, 0},
	{"flush A", OP_FLUSH_VA, ACC_READ, VA_A, true, 0, false, false, -1, 0, 0, 0, false, 0, 0, 0},
	{"B: L2 hit", OP_ACCESS, ACC_READ, VA_B, true, 2, true, true, -1, 0, 0, 0, false, 0, 0, 0},
	{"A: both levels and both walk caches flushed: full walk", OP_ACCESS, ACC_READ, VA_A, true, 0, true, true,
	 -1, 4, 0, 0, false, 0, 0, 0},
	{"C: L2 hit", OP_ACCESS, ACC_READ, VA_C + 8, true, 2, true, true, -1, 0, 0, 0, false, 0, 0, 0},
	{"C2: C's PD-level walk-cache entry survived the flush of A", OP_ACCESS, ACC_READ, VA_C2, true, 0, true,
	 true, 2, 1, 3, 0, false, 0, 0, 0},
};
#define NSTEPS (sizeof script / sizeof script[0])

static uint64_t step_cycles(const struct step *s)
{
	return (s->l1 ? L1_LAT : 0) + (s->l2 ? L2_LAT : 0) + (s->wc >= 0 ? wc_latency(s->wc) : 0) +
	       (uint64_t)s->reads * WR_LAT;
}

static void test_script(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 512);
	map_user(&s, VA_A, true, true);
	map_user(&s, VA_B, false, true);
	map_user(&s, VA_F, false, false);
	map_user(&s, VA_C, false, true);
	map_user(&s, VA_C2, false, true);

	struct mmu_config c = test_config(f, s.pm->size, WR_LAT);
	c.hw_dbm = true;
	c.l1d = test_tlb(L1_LAT, 2, 0, 1ull << 12, REPL_LRU);
	c.l2 = test_tlb(L2_LAT, 32, 0, 1ull << 12, REPL_LRU);
	add_walk_caches(&c, f);
	c.cpi_milli = CPI_MILLI;
	memcpy(c.cost, unit_cost, sizeof c.cost);
	struct mmu *m = new_mmu(&c, &s);
	const struct mmu_stats *st = mmu_stats(m);

	/* Expectations, summed from the script. */
	uint64_t e_l1 = 0, e_l2 = 0, e_wc = 0, e_mem = 0, e_reads = 0, e_walks = 0, e_faults = 0;
	uint64_t e_l1_hits = 0, e_l1_misses = 0, e_l2_hits = 0, e_l2_misses = 0, e_wc_hits[PT_MAX_LEVELS] = {0};
	uint64_t sum_x = 0;
	for (size_t i = 0; i < NSTEPS; i++) {
		struct step eff = script[i];
		if (f->arch == ARCH_X86_64 && eff.x86_own) {
			eff.wc = eff.x86_wc;
			eff.reads = eff.x86_reads;
			eff.first = eff.x86_first;
		}
		const struct step *sp = &eff;
		int before = check_failed;
		if (sp->op == OP_FLUSH_VA) {
			uint64_t total = mmu_total_cycles(m);
			mmu_flush_va(m, sp->va, 0);
			CHECK_EQ(mmu_total_cycles(m), total);   /* invalidation itself is free here */
			continue;
		}
		struct mmu_xlate x;
		memset(&x, 0xa5, sizeof x);
		bool ok = mmu_access(m, sp->va, sp->acc, true, &x);
		CHECK_EQ(ok, sp->ok);
		CHECK_EQ(x.tlb_level, sp->tlb_level);
		CHECK_EQ(x.cycles, step_cycles(sp));
		if (sp->tlb_level == 0) {
			CHECK_EQ(x.walk.nsteps, sp->reads);
			CHECK_EQ(x.walk.step[0].level, sp->first);
		}
		if (!sp->ok) {
			CHECK_EQ(x.fault.kind, FAULT_NOT_PRESENT);
			CHECK_EQ(x.fault.level, sp->fault_level);
		}
		if (check_failed != before)
			fprintf(stderr, "    at step %zu: %s\n", i + 1, sp->what);
		sum_x += x.cycles;
		e_l1 += sp->l1 ? L1_LAT : 0;
		e_l2 += sp->l2 ? L2_LAT : 0;
		e_wc += sp->wc >= 0 ? wc_latency(sp->wc) : 0;
		e_mem += (uint64_t)sp->reads * WR_LAT;
		e_reads += sp->reads;
		e_walks += sp->tlb_level == 0;
		e_faults += !sp->ok;
		if (sp->l1) {
			e_l1_hits += sp->tlb_level == 1;
			e_l1_misses += sp->tlb_level != 1;
		}
		if (sp->l2) {
			e_l2_hits += sp->tlb_level == 2;
			e_l2_misses += sp->tlb_level != 2;
		}
		if (sp->wc >= 0)
			e_wc_hits[sp->wc - f->top_level]++;
	}

	/* The translation categories. */
	CHECK_EQ(st->cycles[COST_TLB_L1], e_l1);
	CHECK_EQ(st->cycles[COST_TLB_L2], e_l2);
	CHECK_EQ(st->cycles[COST_WALK_CACHE], e_wc);
	CHECK_EQ(st->cycles[COST_WALK_MEMORY], e_mem);
	CHECK_EQ(sum_x, st->cycles[COST_TLB_L1] + st->cycles[COST_TLB_L2] + st->cycles[COST_WALK_CACHE] +
				st->cycles[COST_WALK_MEMORY]);
	/* And the counts behind them. */
	CHECK_EQ(st->walk_reads, e_reads);
	CHECK_EQ(st->walks, e_walks);
	CHECK_EQ(st->faults[FAULT_NOT_PRESENT], e_faults);
	CHECK_EQ(e_faults, 2);
	CHECK_EQ(st->tlb_hits[TLB_L1D], e_l1_hits);
	CHECK_EQ(st->tlb_misses[TLB_L1D], e_l1_misses);
	CHECK_EQ(st->tlb_hits[TLB_L2], e_l2_hits);
	CHECK_EQ(st->tlb_misses[TLB_L2], e_l2_misses);
	CHECK_EQ(st->tlb_hits[TLB_L1I] + st->tlb_misses[TLB_L1I], 0);
	for (int l = 0; l < PT_MAX_LEVELS; l++)
		CHECK_EQ(st->walk_cache_hits[l], e_wc_hits[l]);
	CHECK(e_wc_hits[0 - f->top_level] > 0 && e_wc_hits[2 - f->top_level] > 0);
	/* Nothing else has been charged yet. */
	CHECK_EQ(st->cycles[COST_INSTRUCTIONS], 0);
	for (int k = COST_TRAP; k < COST_COUNT; k++)
		CHECK_EQ(st->cycles[k], 0);
	CHECK_EQ(mmu_total_cycles(m), sum_x);

	/* A probe walk (for viewers) costs nothing and counts nothing. */
	uint64_t total = mmu_total_cycles(m), walks = st->walks;
	struct mmu_xlate x;
	CHECK(mmu_walk(m, s.root, VA_A, ACC_READ, true, true, &x));
	CHECK_EQ(x.cycles, 0);
	CHECK_EQ(mmu_total_cycles(m), total);
	CHECK_EQ(st->walks, walks);

	/* Instructions: cycles = instructions x CPI, on the running total (not a
	 * sum of per-call roundings: 3 x 1.5 = 4, but 6 x 1.5 = 9). */
	mmu_count_instructions(m, 3);
	st = mmu_stats(m);   /* the statistics as of the call: instructions' cycles are worked out then */
	CHECK_EQ(st->instructions, 3);
	CHECK_EQ(st->cycles[COST_INSTRUCTIONS], 3ull * CPI_MILLI / 1000);
	mmu_count_instructions(m, 3);
	st = mmu_stats(m);
	CHECK_EQ(st->cycles[COST_INSTRUCTIONS], 6ull * CPI_MILLI / 1000);
	CHECK_EQ(st->cycles[COST_INSTRUCTIONS], 9);
	mmu_count_instructions(m, 1000);
	st = mmu_stats(m);
	const uint64_t e_instr = 1006ull * CPI_MILLI / 1000;
	CHECK_EQ(st->instructions, 1006);
	CHECK_EQ(st->cycles[COST_INSTRUCTIONS], e_instr);

	/* Fault handling: a minor fault (trap, handler, a table page, zeroing
	 * 4 KiB) and a major one (trap, handler, page cache, backing store). */
	mmu_charge(m, COST_TRAP, 1);
	mmu_charge(m, COST_HANDLER, 1);
	mmu_charge(m, COST_TABLE_ALLOC, 1);
	mmu_charge(m, COST_ZERO, 4);
	mmu_charge(m, COST_TRAP, 1);
	mmu_charge(m, COST_HANDLER, 2);
	mmu_charge(m, COST_PAGECACHE, 1);
	mmu_charge(m, COST_BACKING_READ, 1);
	mmu_charge(m, COST_TABLE_ALLOC, 1);
	mmu_charge(m, COST_SHOOTDOWN, 0);
	CHECK_EQ(st->cycles[COST_SHOOTDOWN], 0);
	mmu_charge(m, COST_SHOOTDOWN, 3);
	const uint64_t units[COST_COUNT] = {[COST_TRAP] = 2, [COST_HANDLER] = 3, [COST_TABLE_ALLOC] = 2,
					    [COST_ZERO] = 4, [COST_PAGECACHE] = 1, [COST_BACKING_READ] = 1,
					    [COST_SHOOTDOWN] = 3};
	uint64_t e_charges = 0;
	for (int k = COST_TRAP; k < COST_COUNT; k++) {
		CHECK_EQ(st->cycles[k], (uint64_t)unit_cost[k] * units[k]);
		e_charges += (uint64_t)unit_cost[k] * units[k];
	}
	CHECK_EQ(st->cycles[COST_COPY], 0);
	CHECK_EQ(st->cycles[COST_BACKING_READ], 10000);
	/* Charges touch only their own categories. */
	CHECK_EQ(st->cycles[COST_TLB_L1], e_l1);
	CHECK_EQ(st->cycles[COST_WALK_MEMORY], e_mem);
	CHECK_EQ(st->cycles[COST_INSTRUCTIONS], e_instr);

	uint64_t sum = 0;
	for (int k = 0; k < COST_COUNT; k++)
		sum += st->cycles[k];
	CHECK_EQ(mmu_total_cycles(m), sum);
	CHECK_EQ(mmu_total_cycles(m), e_l1 + e_l2 + e_wc + e_mem + e_instr + e_charges);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- latency parameters scale the categories ------------------------------ */

/* The same single cold access under two latency settings: every category
 * follows its own parameter. A cold read with L1 + L2 and no walk caches
 * costs L1 + L2 + levels x walk latency. */
static void test_scaling(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 64);
	map_user(&s, VA_A, false, true);
	const uint32_t lat[2][3] = {{1, 7, 30}, {2, 11, 100}};
	const uint64_t levels = (uint64_t)(PT_LEVEL_LEAF - f->top_level + 1);
	for (int k = 0; k < 2; k++) {
		struct mmu_config c = test_config(f, s.pm->size, lat[k][2]);
		c.l1d = test_tlb(lat[k][0], 4, 0, 1ull << 12, REPL_LRU);
		c.l2 = test_tlb(lat[k][1], 16, 0, 1ull << 12, REPL_LRU);
		struct mmu *m = new_mmu(&c, &s);
		struct mmu_xlate x;
		CHECK(mmu_access(m, VA_A, ACC_READ, true, &x));
		CHECK_EQ(x.cycles, lat[k][0] + lat[k][1] + levels * lat[k][2]);
		CHECK_EQ(mmu_stats(m)->cycles[COST_TLB_L1], lat[k][0]);
		CHECK_EQ(mmu_stats(m)->cycles[COST_TLB_L2], lat[k][1]);
		CHECK_EQ(mmu_stats(m)->cycles[COST_WALK_MEMORY], levels * lat[k][2]);
		CHECK_EQ(mmu_stats(m)->cycles[COST_WALK_CACHE], 0);
		/* No TLB levels at all: only the walk is paid. */
		mmu_destroy(m);
		c.l1d = c.l2 = (struct tlb_config){0};
		m = new_mmu(&c, &s);
		CHECK(mmu_access(m, VA_A, ACC_READ, true, &x));
		CHECK(mmu_access(m, VA_A, ACC_READ, true, &x));
		CHECK_EQ(x.cycles, levels * lat[k][2]);
		CHECK_EQ(mmu_total_cycles(m), 2 * levels * lat[k][2]);
		CHECK_EQ(mmu_stats(m)->cycles[COST_TLB_L1] + mmu_stats(m)->cycles[COST_TLB_L2], 0);
		mmu_destroy(m);
	}
	tspace_free(&s);
}

/* ---- invalidation drops walk-cache entries -------------------------------- */

/* With walk caches and no TLBs: after a walk of P1, a neighbour P2 costs one
 * PD-level cache hit and one read; every flush scope that covers P2 (or its
 * ASID) makes the next walk of P2 a full one again. */
static void wc_flush_case(struct mmu *m, uint64_t p1, uint64_t p2, bool user, unsigned levels, const char *what)
{
	const uint64_t full = (uint64_t)levels * WR_LAT, cached = WC_PD_LAT + WR_LAT;
	int before = check_failed;
	struct mmu_xlate x;
	mmu_flush_all(m);
	CHECK(mmu_access(m, p1, ACC_READ, user, &x));
	CHECK_EQ(x.cycles, full);
	CHECK(mmu_access(m, p2, ACC_READ, user, &x));
	CHECK_EQ(x.cycles, cached);
	mmu_flush_va(m, p2, 0);
	CHECK(mmu_access(m, p2, ACC_READ, user, &x));
	CHECK_EQ(x.cycles, full);
	CHECK(mmu_access(m, p1, ACC_READ, user, &x));
	CHECK_EQ(x.cycles, cached);
	mmu_flush_va(m, p2, 1);     /* another ASID's flush leaves ours */
	CHECK(mmu_access(m, p1, ACC_READ, user, &x));
	CHECK_EQ(x.cycles, cached);
	mmu_flush_asid(m, 0);
	CHECK(mmu_access(m, p2, ACC_READ, user, &x));
	CHECK_EQ(x.cycles, full);
	mmu_flush_all(m);
	CHECK(mmu_access(m, p1, ACC_READ, user, &x));
	CHECK_EQ(x.cycles, full);
	if (check_failed != before)
		fprintf(stderr, "    in walk-cache flush case: %s\n", what);
}

static void test_wc_flush(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 128);
	const unsigned levels = (unsigned)(PT_LEVEL_LEAF - f->top_level + 1);
	map_user(&s, VA_A, false, true);
	map_user(&s, VA_B, false, true);
	const uint64_t K1 = 0xffff888000000000ull, K2 = K1 + PAGE;
	if (is_x86(f)) {
		for (int i = 0; i < 2; i++) {
			struct pte k = {.kind = PTE_PAGE, .oa = tspace_frame(&s), .write = true, .accessed = true,
					.dirty = true, .nx = true};
			tspace_map(&s, i ? K2 : K1, PT_LEVEL_LEAF, &k);
		}
	}
	struct mmu_config c = test_config(f, s.pm->size, WR_LAT);
	add_walk_caches(&c, f);
	struct mmu *m = new_mmu(&c, &s);
	wc_flush_case(m, VA_A, VA_B, true, levels, "user half");
	/* Walk-cache entries are tagged with the ASID. */
	struct mmu_xlate x;
	mmu_flush_all(m);
	CHECK(mmu_access(m, VA_A, ACC_READ, true, &x));
	mmu_set_context(m, s.root, 9);
	CHECK(mmu_access(m, VA_B, ACC_READ, true, &x));
	CHECK_EQ(x.cycles, (uint64_t)levels * WR_LAT);
	mmu_set_context(m, s.root, 0);
	if (is_x86(f))
		wc_flush_case(m, K1, K2, false, levels, "x86 kernel half (canonical upper-half VA)");
	mmu_destroy(m);
	tspace_free(&s);
}

int main(void)
{
	run("scripted sequence", test_script);
	run("latency scaling", test_scaling);
	run("walk-cache invalidation", test_wc_flush);
	return check_report("test_cost");
}
