/* Several CPUs. struct mmu holds the selected CPU's TLBs, walk caches,
 * context and statistics, and other[] every other CPU's: selecting a CPU
 * swaps them, so translation costs the same with one CPU or many. A remote
 * CPU's TLBs are flushed where they lie. And --check-tlb's comparison of
 * every hit with the page tables. */
#include "mmu/internal.h"

#include <string.h>

unsigned mmu_cpus(const struct mmu *m) { return m->ncpus; }
unsigned mmu_cpu(const struct mmu *m) { return m->cpu; }

static void state_swap(struct mmu *m, struct mmu_cpu_state *s, bool save)
{
	if (save) {
		s->root = m->root;
		s->asid = m->asid;
		s->pkru = m->pkru;
		memcpy(s->tlb, m->tlb, sizeof s->tlb);
		memcpy(s->wc, m->wc, sizeof s->wc);
		s->st = m->st;
		return;
	}
	m->root = s->root;
	m->asid = s->asid;
	m->pkru = s->pkru;
	memcpy(m->tlb, s->tlb, sizeof m->tlb);
	memcpy(m->wc, s->wc, sizeof m->wc);
	m->st = s->st;
}

void mmu_select_cpu(struct mmu *m, unsigned cpu)
{
	if (cpu == m->cpu || cpu >= m->ncpus)
		return;
	state_swap(m, &m->other[m->cpu], true);
	state_swap(m, &m->other[cpu], false);
	m->cpu = cpu;
	for (int i = 0; i < TLB_COUNT; i++)
		tlb_forget(&m->tlb[i]);   /* its pointers were into this CPU's arrays; keep it simple */
}

/* A CPU's statistics as read: the instructions' cycles brought up to
 * their count (mmu_count_instructions leaves them). */
const struct mmu_stats *mmu_cpu_stats(const struct mmu *m, unsigned cpu)
{
	struct mmu_stats *st = (struct mmu_stats *)(cpu == m->cpu ? &m->st : &m->other[cpu].st);
	st->cycles[COST_INSTRUCTIONS] = st->instructions * m->cfg.cpi_milli / 1000;
	return st;
}

uint64_t mmu_cpu_cycles(const struct mmu *m, unsigned cpu)
{
	const struct mmu_stats *st = mmu_cpu_stats(m, cpu);
	uint64_t sum = 0;
	for (int c = 0; c < COST_COUNT; c++)
		sum += st->cycles[c];
	return sum;
}

const struct mmu_stats *mmu_stats(const struct mmu *m)
{
	if (m->ncpus == 1)
		return mmu_cpu_stats(m, m->cpu);
	/* `total` is a cache of the sum, refreshed on each call: no state. */
	struct mmu_stats *total = (struct mmu_stats *)&m->total;
	memset(total, 0, sizeof *total);
	uint64_t *sum = (uint64_t *)total;
	for (unsigned cpu = 0; cpu < m->ncpus; cpu++) {
		const uint64_t *one = (const uint64_t *)mmu_cpu_stats(m, cpu);
		for (size_t i = 0; i < sizeof *total / sizeof *sum; i++)
			sum[i] += one[i];
	}
	return total;
}

void mmu_flush_va_on(struct mmu *m, unsigned cpu, uint64_t va, uint16_t asid) { mmu_flush_on(m, cpu, 0, va, asid); }
void mmu_flush_asid_on(struct mmu *m, unsigned cpu, uint16_t asid) { mmu_flush_on(m, cpu, 1, 0, asid); }
void mmu_flush_all_on(struct mmu *m, unsigned cpu) { mmu_flush_on(m, cpu, 2, 0, 0); }

void mmu_charge_cycles_on(struct mmu *m, unsigned cpu, enum mmu_cost c, uint64_t cycles)
{
	struct mmu_stats *st = cpu == m->cpu ? &m->st : &m->other[cpu].st;
	st->cycles[c] += cycles;
}

void mmu_set_check(struct mmu *m, mmu_check_fn fn, void *ctx)
{
	m->check = fn;
	m->check_ctx = ctx;
}

/* An access the entry grants, for the probe walk. */
static enum mmu_access granted_access(uint8_t perm)
{
	return perm & PERM_R ? ACC_READ : perm & PERM_X ? ACC_FETCH : ACC_WRITE;
}

void mmu_check_hit(struct mmu *m, const struct tlb_entry *e, uint64_t va)
{
	bool user = e->perm_user != 0;
	uint8_t perm = user ? e->perm_user : e->perm_kernel;
	struct mmu_stats saved = m->st;   /* the check is no part of the run */
	struct mmu_xlate now;
	memset(&now, 0, sizeof now);
	bool ok = walk_translate(m, m->root, m->asid, va, granted_access(perm), user, true, false, &now);
	m->st = saved;
	uint64_t pa = e->frame + (va & ((1ull << e->shift) - 1));
	if (ok && now.pa == pa && !(e->perm_user & ~now.perm_user) && !(e->perm_kernel & ~now.perm_kernel) &&
	    (!e->dirty || now.dirty))
		return;
	struct mmu_xlate cached;
	memset(&cached, 0, sizeof cached);
	cached.va = va;
	cached.pa = pa;
	cached.frame = e->frame;
	cached.page_shift = e->shift;
	cached.perm_user = e->perm_user;
	cached.perm_kernel = e->perm_kernel;
	cached.dirty = e->dirty;
	m->check(m->check_ctx, m->cpu, va, e->asid, &cached, &now);
}
