/* One access, end to end: L1 TLB, L2 TLB, then the walker; the TLBs are
 * filled on the way back. Every probed TLB level costs its latency; a walk
 * costs its walk-cache hit and one memory read per entry. */
#include "mmu/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cost_names[COST_COUNT] = {
	"instructions", "tlb_l1", "tlb_l2", "walk_cache", "walk_memory", "trap", "handler",
	"table_alloc", "zero", "copy", "pagecache", "backing_read", "shootdown",
};

const char *mmu_cost_name(enum mmu_cost c) { return cost_names[c]; }

const char *mmu_tlb_name(enum tlb_id t)
{
	static const char *const names[] = {"L1i", "L1d", "L2"};
	return names[t];
}

/* One CPU's TLBs and walk caches; CPU 0's random replacement starts from
 * the preset's seed as it always did, the others from seeds of their own. */
static bool cpu_state_init(struct mmu *m, unsigned cpu, struct tlb *tlb, struct walk_cache *wc, char *err,
			   size_t errlen)
{
	const struct mmu_config *cfg = &m->cfg;
	const struct tlb_config *tc[TLB_COUNT] = {&cfg->l1i, &cfg->l1d, &cfg->l2};
	for (int i = 0; i < TLB_COUNT; i++)
		if (!tlb_init(&tlb[i], tc[i], cfg->seed + (uint64_t)i + 16ull * cpu, err, errlen))
			return false;
	for (int l = cfg->fmt->top_level; l < PT_LEVEL_LEAF; l++)
		if (!wc_init(&wc[l - cfg->fmt->top_level], &cfg->walk_cache[l - cfg->fmt->top_level], err, errlen))
			return false;
	return true;
}

static void cpu_state_free(struct tlb *tlb, struct walk_cache *wc)
{
	for (int i = 0; i < TLB_COUNT; i++)
		tlb_free(&tlb[i]);
	for (int l = 0; l < PT_MAX_LEVELS; l++)
		wc_free(&wc[l]);
}

struct mmu *mmu_create(const struct mmu_config *cfg, struct physmem *pm, char *err, size_t errlen)
{
	if (!cfg->fmt) {
		snprintf(err, errlen, "no page-table format");
		return NULL;
	}
	if (pm->page_shift != cfg->fmt->page_shift) {
		snprintf(err, errlen, "physical memory frames (%u KiB) do not match the %s granule",
			 1u << (pm->page_shift - 10), cfg->fmt->name);
		return NULL;
	}
	if (cfg->pa_bits < 32 || cfg->pa_bits > 52 || (cfg->fmt->arch == ARCH_AARCH64 && cfg->pa_bits > 48)) {
		snprintf(err, errlen, "physical address bits %u out of range", cfg->pa_bits);
		return NULL;
	}
	if (pm->size > (1ull << cfg->pa_bits)) {
		snprintf(err, errlen, "physical memory larger than %u address bits", cfg->pa_bits);
		return NULL;
	}
	struct mmu *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of host memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->fmt = cfg->fmt;
	m->pm = pm;
	m->va_mask = (1ull << cfg->fmt->va_bits) - 1;
	m->ncpus = cfg->ncpus ? cfg->ncpus : 1;
	if (m->ncpus > MMU_MAX_CPUS) {
		snprintf(err, errlen, "at most %d CPUs, not %u", MMU_MAX_CPUS, m->ncpus);
		free(m);
		return NULL;
	}
	if (!cpu_state_init(m, 0, m->tlb, m->wc, err, errlen))
		goto fail;
	if (m->ncpus > 1) {
		m->other = calloc(m->ncpus, sizeof *m->other);
		if (!m->other) {
			snprintf(err, errlen, "out of host memory");
			goto fail;
		}
		for (unsigned c = 1; c < m->ncpus; c++)
			if (!cpu_state_init(m, c, m->other[c].tlb, m->other[c].wc, err, errlen))
				goto fail;
	}
	return m;
fail:
	mmu_destroy(m);
	return NULL;
}

void mmu_destroy(struct mmu *m)
{
	if (!m)
		return;
	if (m->other)
		mmu_select_cpu(m, 0);   /* CPU 0's state back in m, every other in other[] */
	cpu_state_free(m->tlb, m->wc);
	for (unsigned c = 1; m->other && c < m->ncpus; c++)
		cpu_state_free(m->other[c].tlb, m->other[c].wc);
	free(m->other);
	free(m);
}

const struct mmu_config *mmu_config_of(const struct mmu *m) { return &m->cfg; }
struct physmem *mmu_physmem(const struct mmu *m) { return m->pm; }

void mmu_set_context(struct mmu *m, uint64_t root_pa, uint16_t asid)
{
	m->root = root_pa;
	m->asid = asid;
	for (int i = 0; i < TLB_COUNT; i++)
		tlb_forget(&m->tlb[i]);   /* what it remembers was for another ASID */
}

void mmu_set_pkru(struct mmu *m, uint32_t pkru)
{
	if (pkru != m->pkru)
		for (int i = 0; i < TLB_COUNT; i++)
			tlb_forget(&m->tlb[i]);   /* the memos' grants were for the old PKRU */
	m->pkru = pkru;
}

void mmu_set_observer(struct mmu *m, mmu_event_fn fn, void *ctx)
{
	m->observer = fn;
	m->observer_ctx = ctx;
}

void mmu_emit(struct mmu *m, const struct mmu_event *ev)
{
	if (m->observer)
		m->observer(m->observer_ctx, ev);
}

static inline uint8_t access_bit(enum mmu_access a)
{
	return a == ACC_READ ? PERM_R : a == ACC_WRITE ? PERM_W : PERM_X;
}

/* A TLB entry answers only when it grants the access without a hardware
 * update; otherwise the walker re-reads the tables (setting D, or faulting
 * with the authoritative entries). */
static inline bool entry_grants(const struct mmu *m, const struct tlb_entry *e, enum mmu_access acc, bool user)
{
	uint8_t rights = user ? e->perm_user : e->perm_kernel;
	if (!(rights & access_bit(acc)) || (acc == ACC_WRITE && !e->dirty))
		return false;
	if (m->pkru && user && acc != ACC_FETCH) {
		unsigned bits = (m->pkru >> (2 * e->pkey)) & 3;
		if ((bits & 1) || (acc == ACC_WRITE && (bits & 2)))
			return false;
	}
	return true;
}

static void xlate_from_entry(struct mmu_xlate *x, const struct tlb_entry *e, uint64_t va, int level)
{
	x->va = va;
	x->frame = e->frame;
	x->page_shift = e->shift;
	x->pa = e->frame + (va & ((1ull << e->shift) - 1));
	x->leaf_level = e->level;
	x->perm_user = e->perm_user;
	x->perm_kernel = e->perm_kernel;
	x->dirty = e->dirty;
	x->global = e->global;
	x->pkey = e->pkey;
	x->tlb_level = (int8_t)level;
	x->fault.kind = FAULT_NONE;
	x->walk.nsteps = 0;
}

/* The grants bits of a memo (struct tlb_memo) for entry e. */
static uint8_t user_grants(const struct mmu *m, const struct tlb_entry *e)
{
	return (uint8_t)(entry_grants(m, e, ACC_READ, true) << ACC_READ |
			 entry_grants(m, e, ACC_WRITE, true) << ACC_WRITE |
			 entry_grants(m, e, ACC_FETCH, true) << ACC_FETCH);
}

/* The memo slot of a page. */
static inline struct tlb_memo *memo_of(struct tlb *t, uint64_t page)
{
	return &t->memo[page & (TLB_MEMO_SLOTS - 1)];
}

/* The memo's entry for page, when it is the lookup's answer (see struct
 * tlb_memo), after what the lookup would touch; else NULL. */
static inline const struct tlb_memo *memo_hit(struct tlb *t, uint64_t page)
{
	const struct tlb_memo *s = memo_of(t, page);
	if (s->page != page)
		return NULL;
	if (*s->head != s->way) {
		if (!s->only)
			return NULL;
		tlb_memo_touch(s);
	}
	return s;
}

/* The entry of TLB t that grants the access, or NULL. A hit is memoized
 * (struct tlb_memo) by its page; so is a page that missed: it misses
 * again until a fill. */
static inline const struct tlb_entry *tlb_answer(struct mmu *m, struct tlb *t, uint64_t va, enum mmu_access acc,
						 bool user, bool check)
{
	uint64_t page = va >> 12;
	const struct tlb_memo *s = memo_hit(t, page);
	const struct tlb_entry *e = s ? s->e : NULL;
	if (!e && page != t->missed_page) {
		struct tlb_memo n;
		e = tlb_lookup(t, va & m->va_mask, m->asid, &n);
		if (!e) {
			t->missed_page = page;
		} else {
			n.page = page;
			n.grants = user_grants(m, e);
			*memo_of(t, page) = n;
		}
	}
	if (!e || !entry_grants(m, e, acc, user))
		return NULL;
	if (check)   /* --check-tlb: only mmu_access asks (mmu_access_tlb passes a constant false) */
		mmu_check_hit(m, e, va);
	return e;
}

/* The TLB level that grants an access: 1 (L1), 2 (L2), or 0 when none does
 * or the address is one no TLB holds; *e its entry. Counts nothing: a miss
 * is remembered (tlb_answer), so an access asked about again costs no
 * lookup. */
static inline int tlb_level(struct mmu *m, enum tlb_id l1, uint64_t va, enum mmu_access acc, bool user, bool check,
		     const struct tlb_entry **e)
{
	*e = NULL;
	if ((va & ~m->va_mask) && !mmu_va_in_range(m, va))
		return 0;
	if (m->tlb[l1].narrays && (*e = tlb_answer(m, &m->tlb[l1], va, acc, user, check)))
		return 1;
	if (m->tlb[TLB_L2].narrays && (*e = tlb_answer(m, &m->tlb[TLB_L2], va, acc, user, check)))
		return 2;
	return 0;
}

/* One TLB looked up: its latency charged, a hit or a miss counted. */
static inline uint32_t count_probe(struct mmu *m, enum tlb_id id, bool hit)
{
	uint32_t latency = m->tlb[id].latency;
	m->st.cycles[id == TLB_L2 ? COST_TLB_L2 : COST_TLB_L1] += latency;
	if (hit)
		m->st.tlb_hits[id]++;
	else
		m->st.tlb_misses[id]++;
	return latency;
}

/* Counts the lookups of an access the TLBs answered at `level` (0: it
 * missed in each TLB it was looked up in, or none could hold it) and
 * returns the cycles they took. */
static inline uint32_t count_lookups(struct mmu *m, enum tlb_id l1, uint64_t va, int level)
{
	uint32_t cycles = 0;
	if (!level && (va & ~m->va_mask) && !mmu_va_in_range(m, va))
		return 0;
	if (m->tlb[l1].narrays)
		cycles += count_probe(m, l1, level == 1);
	if (level != 1 && m->tlb[TLB_L2].narrays)
		cycles += count_probe(m, TLB_L2, level == 2);
	return cycles;
}

/* mmu_access_tlb past its memo: the whole lookup. */
__attribute__((noinline)) static bool access_tlb_looked_up(struct mmu *m, uint64_t va, enum mmu_access acc, bool user)
{
	enum tlb_id l1 = acc == ACC_FETCH ? TLB_L1I : TLB_L1D;
	const struct tlb_entry *e;
	int level = tlb_level(m, l1, va, acc, user, false, &e);
	if (!level)
		return false;   /* a walk is needed: mmu_access counts it all */
	m->st.accesses[acc]++;
	count_lookups(m, l1, va, level);
	if (level == 2) {
		struct mmu_xlate x;
		xlate_from_entry(&x, e, va, 2);
		tlb_fill(m, l1, &x);
	}
	return true;
}

/* An L1 hit: counted as count_lookups does at level 1. */
static inline void count_l1_hit(struct mmu *m, enum tlb_id l1, enum mmu_access acc)
{
	m->st.accesses[acc]++;
	m->st.cycles[COST_TLB_L1] += m->tlb[l1].latency;
	m->st.tlb_hits[l1]++;
}

/* An L1 hit on a memo whose entry is not its set's most recent: the touch
 * the lookup would do, then the count. Out of line, so that the fast path
 * makes no call (and has no registers to save). */
__attribute__((noinline)) static bool access_tlb_touched(struct mmu *m, uint64_t va, enum mmu_access acc)
{
	enum tlb_id l1 = acc == ACC_FETCH ? TLB_L1I : TLB_L1D;
	tlb_memo_touch(memo_of(&m->tlb[l1], va >> 12));
	count_l1_hit(m, l1, acc);
	return true;
}

/* Most accesses: an L1 hit the memo answers (what tlb_level, then
 * count_lookups at level 1, would do). Everything else, a memo that does
 * not grant the access included, takes the whole path. */
bool mmu_access_tlb(struct mmu *m, uint64_t va, enum mmu_access acc, bool user)
{
	enum tlb_id l1 = acc == ACC_FETCH ? TLB_L1I : TLB_L1D;
	uint64_t page = va >> 12;
	const struct tlb_memo *s = memo_of(&m->tlb[l1], page);
	if (__builtin_expect(s->page == page && user && (s->grants >> acc & 1), 1)) {
		if (__builtin_expect(*s->head == s->way, 1)) {
			count_l1_hit(m, l1, acc);
			return true;
		}
		if (s->only)
			return access_tlb_touched(m, va, acc);
	}
	return access_tlb_looked_up(m, va, acc, user);
}

bool mmu_access(struct mmu *m, uint64_t va, enum mmu_access acc, bool user, struct mmu_xlate *x)
{
	enum tlb_id l1 = acc == ACC_FETCH ? TLB_L1I : TLB_L1D;
	const struct tlb_entry *e;
	int level = tlb_level(m, l1, va, acc, user, m->check != NULL, &e);
	m->st.accesses[acc]++;
	x->cycles = count_lookups(m, l1, va, level);
	if (level) {
		xlate_from_entry(x, e, va, level);
		if (level == 2)
			tlb_fill(m, l1, x);
		return true;
	}
	if (!walk_translate(m, m->root, m->asid, va, acc, user, false, true, x)) {
		m->st.faults[x->fault.kind]++;
		/* x86 invalidates the faulting address's TLB and paging-structure
		 * cache entries on #PF (Intel SDM 4.10.4.1). */
		if (m->fmt->arch == ARCH_X86_64 && x->fault.kind != FAULT_NONCANONICAL)
			mmu_invalidate(m, 0, va, m->asid);
		return false;
	}
	tlb_fill(m, TLB_L2, x);
	tlb_fill(m, l1, x);
	return true;
}

bool mmu_walk(struct mmu *m, uint64_t root_pa, uint64_t va, enum mmu_access acc, bool user, bool probe,
	      struct mmu_xlate *x)
{
	x->cycles = 0;
	return walk_translate(m, root_pa, m->asid, va, acc, user, probe, false, x);
}

uint32_t mmu_invalidate_in(struct mmu *m, struct tlb *tlb, struct walk_cache *wc, int scope, uint64_t va,
			   uint16_t asid)
{
	uint32_t n = 0;
	va &= m->va_mask;
	for (int i = 0; i < TLB_COUNT; i++)
		n += tlb_flush(&tlb[i], scope, va, asid);
	for (int l = m->fmt->top_level; l < PT_LEVEL_LEAF; l++)
		n += wc_flush(&wc[l - m->fmt->top_level], scope, va, pt_leaf_shift(m->fmt, l), asid);
	return n;
}

uint32_t mmu_invalidate(struct mmu *m, int scope, uint64_t va, uint16_t asid)
{
	return mmu_invalidate_in(m, m->tlb, m->wc, scope, va, asid);
}

void mmu_flush_on(struct mmu *m, unsigned cpu, int scope, uint64_t va, uint16_t asid)
{
	uint32_t n = cpu == m->cpu ? mmu_invalidate(m, scope, va, asid)
				   : mmu_invalidate_in(m, m->other[cpu].tlb, m->other[cpu].wc, scope, va, asid);
	va &= m->va_mask;
	if (m->observer) {
		struct mmu_event ev = {.kind = MMU_EV_TLB_FLUSH, .flush_scope = (uint8_t)scope, .flush_va = va,
				       .flush_asid = asid, .flushed = n, .cpu = (uint8_t)cpu};
		mmu_emit(m, &ev);
	}
}

void mmu_flush_va(struct mmu *m, uint64_t va, uint16_t asid) { mmu_flush_on(m, m->cpu, 0, va, asid); }
void mmu_flush_asid(struct mmu *m, uint16_t asid) { mmu_flush_on(m, m->cpu, 1, 0, asid); }
void mmu_flush_all(struct mmu *m) { mmu_flush_on(m, m->cpu, 2, 0, 0); }

static bool restart_cpu(struct mmu *m, char *err, size_t errlen)
{
	mmu_invalidate(m, 2, 0, 0);   /* the walk caches; no event: nobody is told of a power-on */
	const struct tlb_config *tc[TLB_COUNT] = {&m->cfg.l1i, &m->cfg.l1d, &m->cfg.l2};
	for (int i = 0; i < TLB_COUNT; i++) {   /* empty, their replacement state as at creation */
		tlb_free(&m->tlb[i]);
		if (!tlb_init(&m->tlb[i], tc[i], m->cfg.seed + (uint64_t)i, err, errlen))
			return false;
	}
	m->st = (struct mmu_stats){0};
	return true;
}

bool mmu_restart(struct mmu *m, char *err, size_t errlen)
{
	for (unsigned c = mmu_cpus(m); c-- > 0;) {   /* every CPU; CPU 0 selected at the end, as at creation */
		mmu_select_cpu(m, c);
		if (!restart_cpu(m, err, errlen))
			return false;
	}
	return true;
}

void mmu_charge(struct mmu *m, enum mmu_cost c, uint64_t units)
{
	m->st.cycles[c] += (uint64_t)m->cfg.cost[c] * units;
}

/* Once per block in timing mode: one add. Their cycles are worked out
 * when the statistics are read (mmu_cpu_stats). */
void mmu_count_instructions(struct mmu *m, uint64_t n)
{
	m->st.instructions += n;
}

uint64_t mmu_total_cycles(const struct mmu *m)
{
	uint64_t sum = 0;
	for (unsigned cpu = 0; cpu < m->ncpus; cpu++)
		sum += mmu_cpu_cycles(m, cpu);
	return sum;
}
