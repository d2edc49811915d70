/* test_tlb: the TLBs against closed-form expectations computed from each
 * test's parameters: sweeps, capacity and set conflicts, replacement
 * policies, ASIDs and global entries, invalidation, the L2 level, huge and
 * contiguous mappings, and the events the TLBs report. Most tests run on both
 * x86-64 4-level paging and the AArch64 4 KiB granule. */
#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "tests/testlib.h"

#define PAGE 4096ull
#define BASE 0x10000000ull          /* user VA, aligned well beyond 2 MiB */
#define SZ_4K (1ull << 12)
#define SZ_64K (1ull << 16)
#define SZ_2M (1ull << 21)
#define L1_LAT 1
#define L2_LAT 7
#define WALK_LAT 30

static const struct pt_format *const formats[] = {&fmt_x86_64_4level, &fmt_aarch64_4k};
#define NFORMATS (sizeof formats / sizeof formats[0])

/* ---- helpers ------------------------------------------------------------ */

static bool is_x86(const struct pt_format *f) { return f->arch == ARCH_X86_64; }

static unsigned nlevels(const struct pt_format *f) { return (unsigned)(PT_LEVEL_LEAF - f->top_level + 1); }

/* A user data page a TLB entry can answer writes for without a hardware
 * update: x86 A=1 D=1; AArch64 AP[2]=0 (tspace_user_page sets AF). */
static struct pte data_leaf(const struct tspace *s, uint64_t frame, bool global)
{
	struct pte p = tspace_user_page(s, frame, true, false);
	p.global = global;
	if (is_x86(s->f)) {
		p.accessed = true;
		p.dirty = true;
	}
	return p;
}

/* Maps one fresh frame at va; returns the frame. */
static uint64_t map_page(struct tspace *s, uint64_t va, bool global)
{
	uint64_t frame = tspace_frame(s);
	struct pte leaf = data_leaf(s, frame, global);
	tspace_map(s, va, PT_LEVEL_LEAF, &leaf);
	return frame;
}

static void map_range(struct tspace *s, uint64_t va, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		map_page(s, va + i * PAGE, false);
}

static struct mmu *new_mmu(const struct mmu_config *c, struct tspace *s, uint16_t asid)
{
	return tspace_mmu(s, c, asid);
}

static struct mmu_config base_config(const struct tspace *s)
{
	return test_config(s->f, s->pm->size, WALK_LAT);
}

/* The physical address the tables give for va (a probe walk: no TLB, no
 * statistics, no A/D updates). */
static uint64_t table_pa(struct mmu *m, uint64_t root, uint64_t va, bool user)
{
	struct mmu_xlate x;
	if (!mmu_walk(m, root, va, ACC_READ, user, true, &x))
		return UINT64_MAX;
	return x.pa;
}

static struct mmu_xlate rd(struct mmu *m, uint64_t va)
{
	struct mmu_xlate x;
	memset(&x, 0, sizeof x);
	if (!mmu_access(m, va, ACC_READ, true, &x))
		x.tlb_level = -1;
	return x;
}

/* Reads va[0..n) `rounds` times; returns how many accesses missed at `id`. */
static uint64_t sweep(struct mmu *m, const uint64_t *va, size_t n, unsigned rounds, enum tlb_id id)
{
	uint64_t before = mmu_stats(m)->tlb_misses[id];
	for (unsigned r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++)
			rd(m, va[i]);
	return mmu_stats(m)->tlb_misses[id] - before;
}

/* Valid entries of a TLB level that hold va (base address) with this shift. */
static unsigned count_slots(const struct mmu *m, enum tlb_id t, uint64_t va, int asid, bool any_asid)
{
	unsigned n = 0;
	struct tlb_slot sl;
	for (unsigned a = 0; a < TLB_MAX_ARRAYS; a++)
		for (uint32_t set = 0; mmu_tlb_slot(m, t, a, set, 0, &sl); set++)
			for (uint32_t w = 0; mmu_tlb_slot(m, t, a, set, w, &sl); w++)
				if (sl.valid && sl.va == va && (any_asid || sl.asid == asid))
					n++;
	return n;
}

static unsigned count_valid(const struct mmu *m, enum tlb_id t)
{
	unsigned n = 0;
	struct tlb_slot sl;
	for (unsigned a = 0; a < TLB_MAX_ARRAYS; a++)
		for (uint32_t set = 0; mmu_tlb_slot(m, t, a, set, 0, &sl); set++)
			for (uint32_t w = 0; mmu_tlb_slot(m, t, a, set, w, &sl); w++)
				n += sl.valid;
	return n;
}

/* An event log for mmu_set_observer. */
#define EVLOG_MAX 8192
struct evlog {
	size_t n;
	struct mmu_event ev[EVLOG_MAX];
};

static void log_event(void *ctx, const struct mmu_event *ev)
{
	struct evlog *l = ctx;
	if (l->n < EVLOG_MAX)
		l->ev[l->n] = *ev;
	l->n++;
}

static void run(const char *name, void (*fn)(const struct pt_format *))
{
	run_on_formats(name, fn, formats, NFORMATS, &check_failed);
}

/* ---- 1. sequential sweep -------------------------------------------------- */

/* Every 8-byte word of P pages, page after page, mixing reads and writes: one
 * L1d miss (and one walk) per page however small the TLB, every other access
 * an L1 hit at the right address. */
static void test_sequential_sweep(const struct pt_format *f)
{
	const uint64_t P = 16, E = 4, words = PAGE / 8;
	struct tspace s;
	tspace_init(&s, f, 256);
	map_range(&s, BASE, P);
	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, E, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 0);

	uint64_t bad_pa = 0, first_walks = 0, later_walks = 0, writes = 0;
	for (uint64_t p = 0; p < P; p++) {
		for (uint64_t w = 0; w < words; w++) {
			uint64_t va = BASE + p * PAGE + w * 8;
			enum mmu_access acc = w % 3 == 2 ? ACC_WRITE : ACC_READ;
			writes += acc == ACC_WRITE;
			struct mmu_xlate x;
			bool ok = mmu_access(m, va, acc, true, &x);
			if (!ok || x.pa != table_pa(m, s.root, va, true))
				bad_pa++;
			if (x.tlb_level == 0 && w == 0)
				first_walks++;
			else if (x.tlb_level == 0)
				later_walks++;
		}
	}
	const struct mmu_stats *st = mmu_stats(m);
	CHECK_EQ(bad_pa, 0);
	CHECK_EQ(first_walks, P);
	CHECK_EQ(later_walks, 0);
	CHECK_EQ(st->tlb_misses[TLB_L1D], P);
	CHECK_EQ(st->tlb_hits[TLB_L1D], P * words - P);
	CHECK_EQ(st->tlb_hits[TLB_L1I] + st->tlb_misses[TLB_L1I], 0);
	CHECK_EQ(st->tlb_hits[TLB_L2] + st->tlb_misses[TLB_L2], 0); /* absent level: never probed */
	CHECK_EQ(st->walks, P);
	CHECK_EQ(st->walk_reads, P * nlevels(f));
	CHECK_EQ(st->accesses[ACC_WRITE], writes);
	CHECK_EQ(st->cycles[COST_TLB_L1], P * words * L1_LAT);
	CHECK_EQ(st->cycles[COST_TLB_L2], 0);
	CHECK_EQ(st->cycles[COST_WALK_MEMORY], P * nlevels(f) * WALK_LAT);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- 2. cyclic sweep vs capacity ---------------------------------------- */

static void test_cyclic_capacity(const struct pt_format *f)
{
	enum { E = 8, R = 5 };
	const uint64_t Ns[] = {1, E / 2, E - 1, E, E + 1, 2 * E};
	struct tspace s;
	tspace_init(&s, f, 256);
	map_range(&s, BASE, 2 * E);
	uint64_t va[2 * E];
	for (uint64_t i = 0; i < 2 * E; i++)
		va[i] = BASE + i * PAGE;
	for (size_t k = 0; k < sizeof Ns / sizeof Ns[0]; k++) {
		uint64_t N = Ns[k];
		struct mmu_config c = base_config(&s);
		c.l1d = test_tlb(L1_LAT, E, 0, SZ_4K, REPL_LRU);
		struct mmu *m = new_mmu(&c, &s, 0);
		uint64_t misses = sweep(m, va, N, R, TLB_L1D);
		uint64_t expect = N > E ? N * R : N;
		CHECK_EQ(misses, expect);
		CHECK_EQ(mmu_stats(m)->tlb_hits[TLB_L1D], N * R - expect);
		CHECK_EQ(mmu_stats(m)->walks, expect); /* no L2: every miss walks */
		CHECK_EQ(count_valid(m, TLB_L1D), N < E ? N : E);
		mmu_destroy(m);
	}
	tspace_free(&s);
}

/* ---- 3. set conflicts ------------------------------------------------------ */

static void test_set_conflicts(const struct pt_format *f)
{
	enum { E = 16, W = 4, S = E / W, R = 4 };
	struct tspace s;
	tspace_init(&s, f, 512);
	/* W+1 pages S pages apart (all in one set), and E consecutive pages. */
	uint64_t same[W + 1], spread[E];
	for (uint32_t i = 0; i <= W; i++) {
		same[i] = BASE + (uint64_t)i * S * PAGE;
		map_page(&s, same[i], false);
	}
	for (uint32_t i = 0; i < E; i++) {
		spread[i] = BASE + 0x1000000 + i * PAGE;
		map_page(&s, spread[i], false);
	}
	uint32_t set0 = (uint32_t)(same[0] >> f->page_shift) & (S - 1);

	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, E, W, SZ_4K, REPL_LRU);

	/* W+1 same-set pages: LRU misses every time. */
	struct mmu *m = new_mmu(&c, &s, 0);
	CHECK_EQ(sweep(m, same, W + 1, R, TLB_L1D), (uint64_t)(W + 1) * R);
	unsigned in_set0 = 0, elsewhere = 0;
	for (uint32_t set = 0; set < S; set++)
		for (uint32_t w = 0; w < W; w++) {
			struct tlb_slot sl;
			CHECK(mmu_tlb_slot(m, TLB_L1D, 0, set, w, &sl));
			if (sl.valid && set == set0)
				in_set0++;
			else if (sl.valid)
				elsewhere++;
		}
	CHECK_EQ(in_set0, W);
	CHECK_EQ(elsewhere, 0);
	struct tlb_slot sl;
	CHECK(!mmu_tlb_slot(m, TLB_L1D, 0, S, 0, &sl));  /* out of range */
	CHECK(!mmu_tlb_slot(m, TLB_L1D, 0, 0, W, &sl));
	mmu_destroy(m);

	/* W same-set pages fit: only cold misses. */
	m = new_mmu(&c, &s, 0);
	CHECK_EQ(sweep(m, same, W, R, TLB_L1D), W);
	mmu_destroy(m);

	/* W+1 pages in consecutive sets, and E pages filling every set exactly. */
	m = new_mmu(&c, &s, 0);
	CHECK_EQ(sweep(m, spread, W + 1, R, TLB_L1D), W + 1);
	mmu_destroy(m);
	m = new_mmu(&c, &s, 0);
	CHECK_EQ(sweep(m, spread, E, R, TLB_L1D), E);
	CHECK_EQ(count_valid(m, TLB_L1D), E);
	mmu_destroy(m);

	/* The same W+1 conflicting pages in a fully associative TLB of E fit. */
	c.l1d = test_tlb(L1_LAT, E, 0, SZ_4K, REPL_LRU);
	m = new_mmu(&c, &s, 0);
	CHECK_EQ(sweep(m, same, W + 1, R, TLB_L1D), W + 1);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- 4. replacement policies ---------------------------------------------- */

/* Which way of set 0 holds va, or -1. */
static int way_of(const struct mmu *m, uint32_t ways, uint64_t va)
{
	for (uint32_t w = 0; w < ways; w++) {
		struct tlb_slot sl;
		if (mmu_tlb_slot(m, TLB_L1D, 0, 0, w, &sl) && sl.valid && sl.va == va)
			return (int)w;
	}
	return -1;
}

/* A reference tree pseudo-LRU for one set: node bits (heap-numbered from 1)
 * point to the half to evict next; a use points every node on its path away
 * from it; invalid ways are filled first, lowest first. */
struct plru_ref {
	unsigned ways;
	uint64_t bits;
	uint64_t page[16];
	bool valid[16];
};

static void plru_ref_touch(struct plru_ref *r, unsigned way)
{
	unsigned node = 1;
	for (unsigned half = r->ways / 2; half; half /= 2) {
		bool right = way & half;
		if (right)
			r->bits &= ~(1ull << node);  /* used the right half: evict left next */
		else
			r->bits |= 1ull << node;
		node = node * 2 + right;
	}
}

static unsigned plru_ref_victim(const struct plru_ref *r)
{
	for (unsigned w = 0; w < r->ways; w++)
		if (!r->valid[w])
			return w;
	unsigned node = 1;
	while (node < r->ways)
		node = node * 2 + ((r->bits >> node) & 1);
	return node - r->ways;
}

/* Returns true on a miss. */
static bool plru_ref_access(struct plru_ref *r, uint64_t page)
{
	for (unsigned w = 0; w < r->ways; w++)
		if (r->valid[w] && r->page[w] == page) {
			plru_ref_touch(r, w);
			return false;
		}
	unsigned v = plru_ref_victim(r);
	r->valid[v] = true;
	r->page[v] = page;
	plru_ref_touch(r, v);
	return true;
}

static uint64_t lcg(uint64_t *st)
{
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	return *st >> 33;
}

static void test_replacement(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 512);
	uint64_t pg[48];
	for (unsigned i = 0; i < 48; i++) {
		pg[i] = BASE + i * PAGE;
		map_page(&s, pg[i], false);
	}
	const uint64_t A = pg[0], B = pg[1], C = pg[2], D = pg[3], E = pg[4];

	/* One 4-way set. Fill A B C D (ways 0..3), use A, then E must replace:
	 * tree PLRU: after the fills every node points left; using A (way 0)
	 * points the root at the right half and node 2 at way 1; the victim
	 * walks root -> right (node 3) -> left: way 2, C. True LRU evicts B. */
	const uint64_t seq[] = {A, B, C, D, A, E};
	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, 4, 4, SZ_4K, REPL_PLRU);
	struct mmu *m = new_mmu(&c, &s, 0);
	CHECK_EQ(sweep(m, seq, 4, 1, TLB_L1D), 4);
	CHECK_EQ(way_of(m, 4, A), 0);
	CHECK_EQ(way_of(m, 4, D), 3);
	CHECK_EQ(sweep(m, seq + 4, 2, 1, TLB_L1D), 1); /* A hits, E misses */
	CHECK_EQ(way_of(m, 4, E), 2);
	CHECK_EQ(way_of(m, 4, C), -1);
	CHECK_EQ(way_of(m, 4, B), 1);
	/* B D A are still there; C misses. PLRU total: 4 + E + C = 6. */
	const uint64_t tail[] = {B, D, A, C};
	CHECK_EQ(sweep(m, tail, 3, 1, TLB_L1D), 0);
	CHECK_EQ(sweep(m, tail + 3, 1, 1, TLB_L1D), 1);
	CHECK_EQ(mmu_stats(m)->tlb_misses[TLB_L1D], 6);
	mmu_destroy(m);

	/* The same sequence under true LRU: E evicts B (way 1); then B misses
	 * (evicting C), D and A hit, C misses: 7 misses. */
	c.l1d = test_tlb(L1_LAT, 4, 4, SZ_4K, REPL_LRU);
	m = new_mmu(&c, &s, 0);
	sweep(m, seq, 6, 1, TLB_L1D);
	CHECK_EQ(way_of(m, 4, E), 1);
	CHECK_EQ(way_of(m, 4, B), -1);
	CHECK_EQ(way_of(m, 4, C), 2);
	sweep(m, tail, 4, 1, TLB_L1D);
	CHECK_EQ(mmu_stats(m)->tlb_misses[TLB_L1D], 7);
	mmu_destroy(m);

	/* A long pseudo-random sequence on an 8-way, 2-set PLRU TLB against the
	 * reference model, set by set. */
	const uint32_t ways = 8, sets = 2;
	c.l1d = test_tlb(L1_LAT, ways * sets, ways, SZ_4K, REPL_PLRU);
	m = new_mmu(&c, &s, 0);
	struct plru_ref ref[2];
	memset(ref, 0, sizeof ref);
	ref[0].ways = ref[1].ways = ways;
	uint64_t st = 12345, expect = 0, mismatches = 0;
	for (unsigned i = 0; i < 3000; i++) {
		uint64_t va = pg[lcg(&st) % 40];
		uint32_t set = (uint32_t)(va >> f->page_shift) & (sets - 1);
		bool miss = plru_ref_access(&ref[set], va);
		expect += miss;
		struct mmu_xlate x = rd(m, va);
		if ((x.tlb_level == 0) != miss)
			mismatches++;
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(mmu_stats(m)->tlb_misses[TLB_L1D], expect);
	CHECK(expect > 40 && expect < 3000);
	for (uint32_t set = 0; set < sets; set++)
		for (uint32_t w = 0; w < ways; w++) {
			struct tlb_slot sl;
			CHECK(mmu_tlb_slot(m, TLB_L1D, 0, set, w, &sl) && sl.valid && sl.va == ref[set].page[w]);
		}
	mmu_destroy(m);

	/* Random replacement: the same seed gives the same victims; another seed
	 * gives another sequence. */
	static struct evlog logs[3];
	uint64_t misses[3];
	const uint64_t seeds[3] = {7, 7, 8};
	for (int k = 0; k < 3; k++) {
		c.l1d = test_tlb(L1_LAT, 16, 4, SZ_4K, REPL_RANDOM);
		c.seed = seeds[k];
		m = new_mmu(&c, &s, 0);
		logs[k].n = 0;
		mmu_set_observer(m, log_event, &logs[k]);
		st = 999;
		for (unsigned i = 0; i < 2000; i++)
			rd(m, pg[lcg(&st) % 40]);
		misses[k] = mmu_stats(m)->tlb_misses[TLB_L1D];
		CHECK_EQ(logs[k].n, misses[k]); /* one fill per miss */
		mmu_destroy(m);
	}
	CHECK_EQ(misses[0], misses[1]);
	CHECK(misses[0] > 40 && misses[0] < 2000);
	size_t same01 = 0, same02 = 0, n = logs[0].n < EVLOG_MAX ? logs[0].n : EVLOG_MAX;
	for (size_t i = 0; i < n; i++) {
		same01 += logs[0].ev[i].way == logs[1].ev[i].way && logs[0].ev[i].filled.va == logs[1].ev[i].filled.va;
		if (i < logs[2].n)
			same02 += logs[0].ev[i].way == logs[2].ev[i].way &&
				  logs[0].ev[i].filled.va == logs[2].ev[i].filled.va;
	}
	CHECK_EQ(same01, n);
	CHECK(same02 < n);
	tspace_free(&s);
}

/* ---- 4b. a wide fully associative LRU TLB (Cortex-A76's 48-way L1) ----- */

/* A reference LRU over `ways` slots: slot order by last use, empty slots
 * taken lowest first. */
struct lru_ref {
	unsigned ways;
	uint64_t page[64], used[64]; /* page 0: empty */
	uint64_t now;
};

/* The way an access to page lands in (hit or fill). */
static unsigned lru_ref_access(struct lru_ref *r, uint64_t page)
{
	unsigned w, victim = 0;
	for (w = 0; w < r->ways && r->page[w] != page; w++)
		;
	if (w == r->ways) {
		for (unsigned v = 0; v < r->ways; v++) {
			if (!r->page[v]) {
				victim = v;
				break;
			}
			if (r->used[v] < r->used[victim])
				victim = v;
		}
		w = victim;
		r->page[w] = page;
	}
	r->used[w] = ++r->now;
	return w;
}

static void test_wide_lru(const struct pt_format *f)
{
	enum { W = 48, P = 160 };
	struct tspace s;
	tspace_init(&s, f, 512);
	map_range(&s, BASE, P);
	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, W, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 0);
	struct lru_ref ref = {.ways = W};
	uint64_t st = 7;
	/* Fill all 48, then empty two ways in the middle: the next two new
	 * pages go to them, lowest first, before anything is evicted. */
	for (uint64_t p = 0; p < W; p++) {
		rd(m, BASE + p * PAGE);
		lru_ref_access(&ref, p + 1);
	}
	CHECK_EQ(way_of(m, W, BASE + 17 * PAGE), 17);
	mmu_flush_va(m, BASE + 5 * PAGE, 0);
	mmu_flush_va(m, BASE + 17 * PAGE, 0);
	ref.page[17] = ref.page[5] = 0;
	CHECK_EQ(count_valid(m, TLB_L1D), W - 2);
	rd(m, BASE + 100 * PAGE);
	CHECK_EQ(way_of(m, W, BASE + 100 * PAGE), 5);
	rd(m, BASE + 101 * PAGE);
	CHECK_EQ(way_of(m, W, BASE + 101 * PAGE), 17);
	lru_ref_access(&ref, 101);
	lru_ref_access(&ref, 102);
	/* Then random reuse over 160 pages: every hit, miss and way as LRU,
	 * half of the accesses by mmu_access_tlb first (cpu/'s path: its memo
	 * answers hits that are not their set's most recent, and must touch
	 * them as a lookup does). */
	unsigned wrong = 0;
	for (int i = 0; i < 20000; i++) {
		uint64_t p = lcg(&st) % P;
		uint64_t misses = mmu_stats(m)->tlb_misses[TLB_L1D];
		bool ref_hit = false;
		for (unsigned w = 0; w < W; w++)
			ref_hit |= ref.page[w] == p + 1;
		unsigned w = lru_ref_access(&ref, p + 1);
		if ((i & 1) || !mmu_access_tlb(m, BASE + p * PAGE, ACC_READ, true))
			rd(m, BASE + p * PAGE);
		bool hit = mmu_stats(m)->tlb_misses[TLB_L1D] == misses;
		wrong += hit != ref_hit || way_of(m, W, BASE + p * PAGE) != (int)w;
	}
	CHECK_EQ(wrong, 0);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- 5. ASIDs and global entries ------------------------------------------ */

static void test_asid(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 256);
	const uint64_t V = BASE, G = BASE + 0x200000;
	uint64_t root1 = s.root, root2 = tspace_frame(&s);
	uint64_t f1 = map_page(&s, V, false);
	uint64_t fg = map_page(&s, G, true);
	s.root = root2;
	uint64_t f2 = map_page(&s, V, false);
	struct pte gl = data_leaf(&s, fg, true);
	tspace_map(&s, G, PT_LEVEL_LEAF, &gl);
	s.root = root1;
	CHECK(f1 != f2);

	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, 16, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 0);
	mmu_set_context(m, root1, 1);
	struct mmu_xlate x = rd(m, V + 8);
	CHECK_EQ(x.tlb_level, 0);
	CHECK_EQ(x.pa, f1 + 8);
	x = rd(m, V + 16);
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(x.pa, f1 + 16);

	mmu_set_context(m, root2, 2);
	x = rd(m, V + 8);
	CHECK_EQ(x.tlb_level, 0);     /* ASID 1's entry does not answer ASID 2 */
	CHECK_EQ(x.pa, f2 + 8);
	x = rd(m, V + 24);
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(x.pa, f2 + 24);
	CHECK_EQ(count_slots(m, TLB_L1D, V, 1, false), 1);
	CHECK_EQ(count_slots(m, TLB_L1D, V, 2, false), 1);

	mmu_set_context(m, root1, 1);
	x = rd(m, V + 32);
	CHECK_EQ(x.tlb_level, 1);     /* both live side by side */
	CHECK_EQ(x.pa, f1 + 32);

	/* A global page filled under ASID 1 answers every ASID. */
	x = rd(m, G);
	CHECK_EQ(x.tlb_level, 0);
	CHECK(x.global);
	uint64_t walks = mmu_stats(m)->walks;
	mmu_set_context(m, root2, 2);
	x = rd(m, G + 0x40);
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(x.pa, fg + 0x40);
	mmu_set_context(m, root2, 3);
	x = rd(m, G + 0x80);
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(mmu_stats(m)->walks, walks);
	CHECK_EQ(count_slots(m, TLB_L1D, G, 0, true), 1);
	/* ... while a non-global page under a third ASID still misses. */
	x = rd(m, V);
	CHECK_EQ(x.tlb_level, 0);
	CHECK_EQ(x.pa, f2);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- 6. invalidation ---------------------------------------------------- */

static void test_invalidation(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 256);
	const uint64_t A = BASE, B = BASE + PAGE, G = BASE + 2 * PAGE;
	uint64_t root1 = s.root, root2 = tspace_frame(&s);
	map_page(&s, A, false);
	map_page(&s, B, false);
	uint64_t fg = map_page(&s, G, true);
	s.root = root2;
	uint64_t fa2 = map_page(&s, A, false);
	struct pte gl = data_leaf(&s, fg, true);
	tspace_map(&s, G, PT_LEVEL_LEAF, &gl);
	s.root = root1;

	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, 16, 0, SZ_4K, REPL_LRU);
	c.l2 = test_tlb(L2_LAT, 64, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 0);
	mmu_set_context(m, root1, 1);
	rd(m, A);
	rd(m, B);
	rd(m, G);
	mmu_set_context(m, root2, 2);
	rd(m, A);
	CHECK_EQ(rd(m, G).tlb_level, 1);
	CHECK_EQ(count_valid(m, TLB_L1D), 4);
	CHECK_EQ(count_valid(m, TLB_L2), 4);

	/* flush_va(A, 1): A for ASID 1 goes from both levels; A for ASID 2 and B stay. */
	mmu_flush_va(m, A + 0x123, 1);
	CHECK_EQ(count_slots(m, TLB_L1D, A, 1, false), 0);
	CHECK_EQ(count_slots(m, TLB_L2, A, 1, false), 0);
	CHECK_EQ(count_slots(m, TLB_L1D, A, 2, false), 1);
	CHECK_EQ(count_valid(m, TLB_L1D), 3);
	CHECK_EQ(rd(m, A).tlb_level, 1);                /* still ASID 2 */
	mmu_set_context(m, root1, 1);
	CHECK_EQ(rd(m, B).tlb_level, 1);
	CHECK_EQ(rd(m, A).tlb_level, 0);                /* walked again */
	CHECK_EQ(rd(m, A).tlb_level, 1);

	/* flush_va of a page for an ASID that has no entry for it drops nothing
	 * of other ASIDs. */
	mmu_flush_va(m, B, 2);
	CHECK_EQ(rd(m, B).tlb_level, 1);

	/* A global entry goes with a flush_va under any ASID. */
	mmu_flush_va(m, G, 2);
	CHECK_EQ(count_slots(m, TLB_L1D, G, 0, true), 0);
	CHECK_EQ(count_slots(m, TLB_L2, G, 0, true), 0);
	CHECK_EQ(rd(m, G).tlb_level, 0);
	mmu_set_context(m, root2, 2);
	CHECK_EQ(rd(m, G).tlb_level, 1);                /* refilled, global */

	/* flush_asid(1): ASID 1's non-global entries only. */
	mmu_set_context(m, root1, 1);
	CHECK_EQ(count_valid(m, TLB_L1D), 4);           /* A/1, B/1, A/2, G */
	mmu_flush_asid(m, 1);
	CHECK_EQ(count_valid(m, TLB_L1D), 2);
	CHECK_EQ(count_valid(m, TLB_L2), 2);
	CHECK_EQ(count_slots(m, TLB_L1D, A, 2, false), 1);
	CHECK_EQ(count_slots(m, TLB_L1D, G, 0, true), 1);
	CHECK_EQ(rd(m, G).tlb_level, 1);
	CHECK_EQ(rd(m, B).tlb_level, 0);
	CHECK_EQ(rd(m, A).tlb_level, 0);
	mmu_set_context(m, root2, 2);
	struct mmu_xlate x = rd(m, A);
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(x.pa, fa2);

	/* flush_all: everything, global included, at every level. */
	mmu_flush_all(m);
	CHECK_EQ(count_valid(m, TLB_L1D), 0);
	CHECK_EQ(count_valid(m, TLB_L2), 0);
	CHECK_EQ(rd(m, G).tlb_level, 0);
	CHECK_EQ(rd(m, A).tlb_level, 0);
	mmu_destroy(m);
	tspace_free(&s);
}

/* A fault on x86 drops the faulting address's TLB entries (Intel SDM
 * 4.10.4.1); an AArch64 fault leaves the TLB alone. */
static void test_fault_invalidates(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 256);
	const uint64_t RO = BASE, OTHER = BASE + PAGE;
	struct pte ro = tspace_user_page(&s, tspace_frame(&s), false, false);
	ro.accessed = true;
	tspace_map(&s, RO, PT_LEVEL_LEAF, &ro);
	map_page(&s, OTHER, false);
	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, 16, 0, SZ_4K, REPL_LRU);
	c.l2 = test_tlb(L2_LAT, 64, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 5);
	CHECK_EQ(rd(m, RO).tlb_level, 0);
	CHECK_EQ(rd(m, OTHER).tlb_level, 0);
	CHECK_EQ(rd(m, RO).tlb_level, 1);
	struct mmu_xlate x;
	CHECK(!mmu_access(m, RO, ACC_WRITE, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
	CHECK_EQ(x.tlb_level, 0);
	CHECK_EQ(mmu_stats(m)->faults[FAULT_PERMISSION], 1);
	unsigned expect = is_x86(f) ? 0 : 1;
	CHECK_EQ(count_slots(m, TLB_L1D, RO, 5, false), expect);
	CHECK_EQ(count_slots(m, TLB_L2, RO, 5, false), expect);
	CHECK_EQ(rd(m, RO).tlb_level, is_x86(f) ? 0 : 1);
	CHECK_EQ(rd(m, OTHER).tlb_level, 1);             /* other pages untouched */
	mmu_destroy(m);
	tspace_free(&s);
}

/* A write needs a dirty entry: x86 D=0, or an AArch64 DBM page with AP[2]=1
 * under hardware dirty management, is re-walked once; the walk makes the
 * entry dirty, refreshes the TLB entry in place, and the next write hits. */
static void test_dirty_rewalk(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 256);
	const uint64_t P = BASE;
	struct pte leaf = tspace_user_page(&s, tspace_frame(&s), true, false);
	if (is_x86(f)) {
		leaf.accessed = true;
		leaf.dirty = false;
	} else {
		leaf.write = false;
		leaf.dbm = true;
	}
	uint64_t entry = tspace_map(&s, P, PT_LEVEL_LEAF, &leaf);
	struct mmu_config c = base_config(&s);
	c.hw_dbm = true;
	c.l1d = test_tlb(L1_LAT, 16, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 0);
	static struct evlog log;
	log.n = 0;
	mmu_set_observer(m, log_event, &log);
	CHECK_EQ(rd(m, P).tlb_level, 0);
	CHECK_EQ(rd(m, P).tlb_level, 1);
	uint64_t ad = mmu_stats(m)->ad_updates;
	struct mmu_xlate x;
	CHECK(mmu_access(m, P + 8, ACC_WRITE, true, &x));
	CHECK_EQ(x.tlb_level, 0);
	/* The refill replaced the clean entry in place: same way, nothing evicted. */
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.ev[1].way, log.ev[0].way);
	CHECK(log.ev[1].filled.valid);
	CHECK(!log.ev[1].victim.valid);
	CHECK(x.dirty);
	CHECK_EQ(mmu_stats(m)->ad_updates, ad + 1);
	struct pte now = pte_decode(f, PT_LEVEL_LEAF, physmem_read64(s.pm, entry));
	CHECK(is_x86(f) ? now.dirty : now.write);
	CHECK_EQ(count_slots(m, TLB_L1D, P, 0, true), 1);  /* refreshed, not duplicated */
	CHECK(mmu_access(m, P + 16, ACC_WRITE, true, &x));
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(mmu_stats(m)->tlb_misses[TLB_L1D], 2);
	CHECK_EQ(mmu_stats(m)->walks, 2);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- 7. the L2 level ------------------------------------------------------- */

static void test_l2(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 256);
	uint64_t va[24];
	for (unsigned i = 0; i < 24; i++) {
		va[i] = BASE + i * PAGE;
		map_page(&s, va[i], false);
	}

	/* An L1 miss that hits L2 refills L1. */
	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, 2, 0, SZ_4K, REPL_LRU);
	c.l2 = test_tlb(L2_LAT, 8, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 0);
	rd(m, va[0]);
	rd(m, va[1]);
	rd(m, va[2]);    /* evicts va[0] from L1 only */
	CHECK_EQ(count_slots(m, TLB_L1D, va[0], 0, true), 0);
	CHECK_EQ(count_slots(m, TLB_L2, va[0], 0, true), 1);
	const struct mmu_stats *st = mmu_stats(m);
	uint64_t l2h = st->tlb_hits[TLB_L2], walks = st->walks;
	struct mmu_xlate x = rd(m, va[0] + 0x10);
	CHECK_EQ(x.tlb_level, 2);
	CHECK_EQ(x.pa, table_pa(m, s.root, va[0] + 0x10, true));
	CHECK_EQ(x.cycles, L1_LAT + L2_LAT);
	CHECK_EQ(st->tlb_hits[TLB_L2], l2h + 1);
	CHECK_EQ(st->walks, walks);
	CHECK_EQ(count_slots(m, TLB_L1D, va[0], 0, true), 1);
	x = rd(m, va[0] + 0x18);
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(x.cycles, L1_LAT);
	CHECK_EQ(st->tlb_hits[TLB_L2], l2h + 1);
	mmu_destroy(m);

	/* Cyclic sweeps with E1 < N: L1 always misses; L2 hits after the cold
	 * pass while N <= E2, and misses every time beyond. */
	const uint32_t E1 = 4, E2 = 16;
	const unsigned R = 4;
	const uint64_t Ns[] = {E1 + 1, 8, E2, E2 + 1};
	for (size_t k = 0; k < sizeof Ns / sizeof Ns[0]; k++) {
		uint64_t N = Ns[k];
		c.l1d = test_tlb(L1_LAT, E1, 0, SZ_4K, REPL_LRU);
		c.l2 = test_tlb(L2_LAT, E2, 0, SZ_4K, REPL_LRU);
		m = new_mmu(&c, &s, 0);
		st = mmu_stats(m);
		sweep(m, va, N, R, TLB_L1D);
		uint64_t l2miss = N <= E2 ? N : N * R;
		CHECK_EQ(st->tlb_misses[TLB_L1D], N * R);
		CHECK_EQ(st->tlb_hits[TLB_L1D], 0);
		CHECK_EQ(st->tlb_misses[TLB_L2], l2miss);
		CHECK_EQ(st->tlb_hits[TLB_L2], N * R - l2miss);
		CHECK_EQ(st->walks, l2miss);
		CHECK_EQ(st->cycles[COST_TLB_L1], N * R * L1_LAT);
		CHECK_EQ(st->cycles[COST_TLB_L2], N * R * L2_LAT);
		mmu_destroy(m);
	}
	tspace_free(&s);
}

/* ---- 8. huge pages and the contiguous hint --------------------------------- */

#define HVA 0x40000000ull      /* 1 GiB aligned */
#define HPA 0x400000ull        /* 2 MiB aligned frame of the block */

/* Touches the 512 base pages of the 2 MiB block once each; returns how many
 * of those accesses gave the wrong address or shift. */
static uint64_t touch_block(struct mmu *m, unsigned want_shift)
{
	uint64_t bad = 0;
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t off = i * PAGE + (i * 8) % PAGE;
		struct mmu_xlate x = rd(m, HVA + off);
		if (x.tlb_level < 0 || x.pa != HPA + off || x.page_shift != want_shift)
			bad++;
	}
	return bad;
}

static void test_huge(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 4096);   /* 16 MiB */
	struct pte blk = data_leaf(&s, HPA, false);
	blk.kind = PTE_BLOCK;
	tspace_map(&s, HVA, 2, &blk);
	struct mmu_config c = base_config(&s);
	struct mmu *m;
	const struct mmu_stats *st;

	/* One array holding 4K and 2M: one entry covers the block. The entry's
	 * own shift is 21 and a flush of any address inside drops it. */
	c.l1d = test_tlb(L1_LAT, 8, 0, SZ_4K | SZ_2M, REPL_LRU);
	m = new_mmu(&c, &s, 0);
	st = mmu_stats(m);
	CHECK_EQ(touch_block(m, 21), 0);
	CHECK_EQ(st->tlb_misses[TLB_L1D], 1);
	CHECK_EQ(st->tlb_hits[TLB_L1D], 511);
	CHECK_EQ(st->walks, 1);
	CHECK_EQ(st->walk_reads, nlevels(f) - 1);   /* the walk stops at the PD / L2 block */
	CHECK_EQ(count_valid(m, TLB_L1D), 1);
	CHECK_EQ(count_slots(m, TLB_L1D, HVA, 0, true), 1);
	struct tlb_slot sl = {0};
	for (uint32_t w = 0; w < 8; w++)
		if (mmu_tlb_slot(m, TLB_L1D, 0, 0, w, &sl) && sl.valid)
			break;
	CHECK_EQ(sl.shift, 21);
	mmu_flush_va(m, HVA + 0x1ff123, 0);
	CHECK_EQ(count_valid(m, TLB_L1D), 0);
	CHECK_EQ(rd(m, HVA).tlb_level, 0);
	mmu_destroy(m);

	/* Separate arrays: a 4K array and a 2M array; the block goes to array 1. */
	c.l1d = (struct tlb_config){.latency = L1_LAT, .narrays = 2,
				    .array = {{SZ_4K, 16, 4, REPL_LRU}, {SZ_2M, 4, 0, REPL_LRU}}};
	m = new_mmu(&c, &s, 0);
	st = mmu_stats(m);
	CHECK_EQ(touch_block(m, 21), 0);
	CHECK_EQ(st->tlb_misses[TLB_L1D], 1);
	CHECK_EQ(count_valid(m, TLB_L1D), 1);
	unsigned in_arr1 = 0;
	for (uint32_t w = 0; w < 4; w++)
		if (mmu_tlb_slot(m, TLB_L1D, 1, 0, w, &sl) && sl.valid && sl.va == HVA && sl.shift == 21)
			in_arr1++;
	CHECK_EQ(in_arr1, 1);
	mmu_destroy(m);

	/* A 4K-only L1 splinters the block: each base page misses once, and a
	 * second pass (the TLB holds all 512) hits. */
	c.l1d = test_tlb(L1_LAT, 512, 0, SZ_4K, REPL_LRU);
	m = new_mmu(&c, &s, 0);
	st = mmu_stats(m);
	CHECK_EQ(touch_block(m, 21), 0);
	CHECK_EQ(st->tlb_misses[TLB_L1D], 512);
	CHECK_EQ(count_valid(m, TLB_L1D), 512);
	CHECK_EQ(count_slots(m, TLB_L1D, HVA + 5 * PAGE, 0, true), 1);
	CHECK_EQ(touch_block(m, 12), 0);   /* hits report the splinter's own size */
	CHECK_EQ(st->tlb_misses[TLB_L1D], 512);
	CHECK_EQ(st->tlb_hits[TLB_L1D], 512);
	CHECK_EQ(st->walks, 512);
	mmu_destroy(m);

	/* 4K-only L1 over an L2 that holds 2M: L1 misses on every page, the L2
	 * entry answers all but the first, and one walk. */
	c.l1d = test_tlb(L1_LAT, 16, 0, SZ_4K, REPL_LRU);
	c.l2 = test_tlb(L2_LAT, 64, 0, SZ_4K | SZ_2M, REPL_LRU);
	m = new_mmu(&c, &s, 0);
	st = mmu_stats(m);
	CHECK_EQ(touch_block(m, 21), 0);
	CHECK_EQ(st->tlb_misses[TLB_L1D], 512);
	CHECK_EQ(st->tlb_misses[TLB_L2], 1);
	CHECK_EQ(st->tlb_hits[TLB_L2], 511);
	CHECK_EQ(st->walks, 1);
	CHECK_EQ(count_valid(m, TLB_L2), 1);
	mmu_destroy(m);
	c.l2 = (struct tlb_config){0};

	if (!is_x86(f)) {
		/* Contiguous hint: 16 L3 entries, consecutive frames of a 64 KiB
		 * aligned run, one 64K TLB entry; the page after the run is not
		 * covered by it. */
		const uint64_t CVA = 0x20000000ull, CPA = 0x100000ull;
		for (uint64_t i = 0; i < 16; i++) {
			struct pte p = data_leaf(&s, CPA + i * PAGE, false);
			p.contig = true;
			tspace_map(&s, CVA + i * PAGE, PT_LEVEL_LEAF, &p);
		}
		struct pte after = data_leaf(&s, CPA + 16 * PAGE, false);
		tspace_map(&s, CVA + 16 * PAGE, PT_LEVEL_LEAF, &after);
		const uint64_t sizes[2] = {SZ_4K | SZ_64K, SZ_4K};
		for (int k = 0; k < 2; k++) {
			c.l1d = test_tlb(L1_LAT, 32, 0, sizes[k], REPL_LRU);
			m = new_mmu(&c, &s, 0);
			st = mmu_stats(m);
			uint64_t bad = 0;
			for (uint64_t i = 0; i < 16; i++) {
				struct mmu_xlate x = rd(m, CVA + i * PAGE + 0x88);
				/* every access reports the 64 KiB translation: walked or
				 * from the 64K entry */
				if (x.pa != CPA + i * PAGE + 0x88 || x.page_shift != 16)
					bad++;
			}
			CHECK_EQ(bad, 0);
			CHECK_EQ(st->tlb_misses[TLB_L1D], k == 0 ? 1 : 16);
			CHECK_EQ(count_valid(m, TLB_L1D), k == 0 ? 1 : 16);
			struct mmu_xlate x = rd(m, CVA + 16 * PAGE);
			CHECK_EQ(x.tlb_level, 0);
			CHECK_EQ(x.page_shift, 12);
			mmu_destroy(m);
		}
	}
	tspace_free(&s);
}

/* ---- 9. events ------------------------------------------------------------- */

static void test_events(const struct pt_format *f)
{
	struct tspace s;
	tspace_init(&s, f, 256);
	const uint64_t A = BASE, B = BASE + PAGE, C = BASE + 2 * PAGE;
	map_range(&s, BASE, 3);
	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, 2, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 3);
	static struct evlog log;
	log.n = 0;
	mmu_set_observer(m, log_event, &log);

	rd(m, A + 0x10);
	rd(m, B);
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.ev[0].kind, MMU_EV_TLB_FILL);
	CHECK_EQ(log.ev[0].tlb, TLB_L1D);
	CHECK(log.ev[0].filled.valid);
	CHECK_EQ(log.ev[0].filled.va, A);
	CHECK_EQ(log.ev[0].filled.asid, 3);
	CHECK_EQ(log.ev[0].filled.shift, 12);
	CHECK(!log.ev[0].victim.valid);     /* an empty way */
	CHECK(!log.ev[1].victim.valid);
	CHECK(log.ev[0].way != log.ev[1].way);
	uint32_t way_a = log.ev[0].way;
	rd(m, A);                           /* a hit: no event */
	CHECK_EQ(log.n, 2);
	rd(m, C);                           /* evicts the LRU entry: B */
	CHECK_EQ(log.n, 3);
	CHECK_EQ(log.ev[2].kind, MMU_EV_TLB_FILL);
	CHECK(log.ev[2].victim.valid);
	CHECK_EQ(log.ev[2].victim.va, B);
	CHECK_EQ(log.ev[2].victim.asid, 3);
	CHECK_EQ(log.ev[2].filled.va, C);
	CHECK_EQ(log.ev[2].way, log.ev[1].way);
	CHECK(log.ev[2].way != way_a);
	CHECK_EQ(log.ev[2].set, 0);

	mmu_flush_va(m, C + 0x20, 3);
	CHECK_EQ(log.n, 4);
	CHECK_EQ(log.ev[3].kind, MMU_EV_TLB_FLUSH);
	CHECK_EQ(log.ev[3].flush_scope, 0);
	CHECK_EQ(log.ev[3].flush_va, C + 0x20);
	CHECK_EQ(log.ev[3].flush_asid, 3);
	CHECK_EQ(log.ev[3].flushed, 1);
	mmu_flush_va(m, C, 3);              /* nothing left to drop */
	CHECK_EQ(log.n, 5);
	CHECK_EQ(log.ev[4].flushed, 0);
	mmu_flush_asid(m, 4);               /* another ASID: nothing */
	CHECK_EQ(log.ev[5].flush_scope, 1);
	CHECK_EQ(log.ev[5].flushed, 0);
	mmu_flush_asid(m, 3);               /* A */
	CHECK_EQ(log.ev[6].flushed, 1);
	rd(m, A);
	rd(m, B);
	CHECK_EQ(log.n, 9);
	mmu_flush_all(m);
	CHECK_EQ(log.n, 10);
	CHECK_EQ(log.ev[9].kind, MMU_EV_TLB_FLUSH);
	CHECK_EQ(log.ev[9].flush_scope, 2);
	CHECK_EQ(log.ev[9].flushed, 2);

	/* Without an observer nothing is reported. */
	mmu_set_observer(m, NULL, NULL);
	rd(m, C);
	mmu_flush_all(m);
	CHECK_EQ(log.n, 10);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- x86 kernel-half addresses ------------------------------------------- */

/* A canonical upper-half address is an ordinary translation on x86: it is
 * cached in the TLB like any other. */
static void test_x86_kernel_half(void)
{
	const struct pt_format *f = &fmt_x86_64_4level;
	struct tspace s;
	tspace_init(&s, f, 256);
	const uint64_t K = 0xffff888000001000ull;
	uint64_t frame = tspace_frame(&s);
	struct pte leaf = {.kind = PTE_PAGE, .oa = frame, .write = true, .accessed = true, .dirty = true,
			   .global = true, .nx = true};
	tspace_map(&s, K, PT_LEVEL_LEAF, &leaf);
	struct mmu_config c = base_config(&s);
	c.l1d = test_tlb(L1_LAT, 16, 0, SZ_4K, REPL_LRU);
	struct mmu *m = new_mmu(&c, &s, 0);
	int before = check_failed;
	struct mmu_xlate x;
	CHECK(mmu_access(m, K + 8, ACC_READ, false, &x));
	CHECK_EQ(x.pa, frame + 8);
	CHECK_EQ(x.tlb_level, 0);
	CHECK(mmu_access(m, K + 16, ACC_READ, false, &x));
	CHECK_EQ(x.pa, frame + 16);
	CHECK_EQ(x.tlb_level, 1);
	CHECK_EQ(mmu_stats(m)->walks, 1);
	CHECK_EQ(mmu_stats(m)->tlb_hits[TLB_L1D], 1);
	/* The user cannot reach it, from the TLB or otherwise. */
	CHECK(!mmu_access(m, K, ACC_READ, true, &x));
	CHECK_EQ(x.fault.kind, FAULT_PERMISSION);
	if (check_failed != before)
		fprintf(stderr, "  ^ %d failure(s) in x86 kernel-half TLB caching\n", check_failed - before);
	mmu_destroy(m);
	tspace_free(&s);
}

/* ---- configuration errors ------------------------------------------------ */

static void test_bad_configs(void)
{
	struct tspace s;
	tspace_init(&s, &fmt_x86_64_4level, 16);
	struct mmu_config c = base_config(&s);
	char err[200];
	/* 12 entries 4-way: 3 sets. */
	c.l1d = test_tlb(L1_LAT, 12, 4, SZ_4K, REPL_LRU);
	err[0] = 0;
	CHECK(mmu_create(&c, s.pm, err, sizeof err) == NULL);
	CHECK(err[0] != 0);
	/* PLRU over 3 ways. */
	c.l1d = test_tlb(L1_LAT, 6, 3, SZ_4K, REPL_PLRU);
	CHECK(mmu_create(&c, s.pm, err, sizeof err) == NULL);
	/* LRU over 3 ways, 2 sets: fine. */
	c.l1d = test_tlb(L1_LAT, 6, 3, SZ_4K, REPL_LRU);
	struct mmu *m = mmu_create(&c, s.pm, err, sizeof err);
	CHECK(m != NULL);
	mmu_destroy(m);
	tspace_free(&s);
}

int main(void)
{
	run("sequential sweep", test_sequential_sweep);
	run("cyclic sweep vs capacity", test_cyclic_capacity);
	run("set conflicts", test_set_conflicts);
	run("replacement", test_replacement);
	run("wide LRU", test_wide_lru);
	run("ASIDs", test_asid);
	run("invalidation", test_invalidation);
	run("fault invalidation", test_fault_invalidates);
	run("dirty re-walk", test_dirty_rewalk);
	run("L2", test_l2);
	run("huge pages", test_huge);
	run("events", test_events);
	test_x86_kernel_half();
	test_bad_configs();
	return check_report("test_tlb");
}
