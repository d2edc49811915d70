/* Several CPUs, the memory manager's part: which address space each CPU has
 * loaded, and TLB shootdowns as the personality's kernel makes them.
 *
 * x86-64 Linux (arch/x86/mm/tlb.c, flush_tlb_mm_range): the initiator
 * flushes locally - INVLPG per page, the whole PCID past
 * tlb_single_page_flush_ceiling (33) pages - and sends an IPI to every other
 * CPU in the mm's cpumask that is not in lazy TLB mode; each target runs
 * the same flush and the initiator waits for them. A CPU that switched to
 * another mm left the cpumask; a lazy one was skipped: both catch up when
 * they run the mm again (the mm's tlb_gen is ahead of theirs: full flush).
 *
 * arm64 Linux (arch/arm64/include/asm/tlbflush.h, __flush_tlb_range): TLBI
 * VALE1IS per page, or ASIDE1IS past MAX_DVM_OPS (PTRS_PER_PTE) pages,
 * broadcast by the hardware to every CPU of the inner-shareable domain,
 * then DSB ISH; no IPI, no cpumask. */
#include "os/mm/mm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X86_FLUSH_CEILING 33   /* tlb_single_page_flush_ceiling */
#define BATCH_PAGES 64         /* pages a batch lists before it flushes the ASID instead */

struct smp_batch {
	struct mm *mm;
	int depth;
	uint64_t start, end;
	uint32_t pages, n;
	bool whole;             /* too many to list, or the whole mm: the ASID goes */
	bool freed_tables;      /* tables unlinked: lazy CPUs are not skipped */
	uint64_t va[BATCH_PAGES];
	uint8_t shift[BATCH_PAGES];
};

struct smp {
	unsigned ncpus, cur;
	struct mm *loaded[MMU_MAX_CPUS];   /* the mm whose context each CPU holds (may be stale) */
	uint64_t lazy;                      /* CPUs idling with their mm loaded */
	struct smp_batch batch;
	struct smp_stats st;
};

bool smp_init(struct kernel *k, char *err, size_t errlen)
{
	unsigned n = mmu_cpus(k->mmu);
	if (n <= 1)
		return true;
	k->smp = calloc(1, sizeof *k->smp);
	if (!k->smp) {
		snprintf(err, errlen, "out of host memory");
		return false;
	}
	k->smp->ncpus = n;
	return true;
}

void smp_free(struct kernel *k)
{
	free(k->smp);
	k->smp = NULL;
}

const struct smp_stats *kernel_smp_stats(const struct kernel *k) { return k->smp ? &k->smp->st : NULL; }

struct smp_stats *smp_stats_of(struct kernel *k) { return k->smp ? &k->smp->st : NULL; }

static bool is_x86(const struct kernel *k) { return k->fmt->arch == ARCH_X86_64; }

void smp_enter(struct kernel *k, unsigned cpu, struct mm *mm)
{
	struct smp *s = k->smp;
	if (!s || cpu >= s->ncpus)
		return;
	mmu_select_cpu(k->mmu, cpu);
	s->cur = cpu;
	k->bus.cpu = (uint8_t)cpu;
	s->lazy &= ~(1ull << cpu);
	struct mm *old = s->loaded[cpu];
	uint64_t bit = 1ull << cpu;
	if (old && old != mm)
		old->cpumask &= ~bit;   /* switch_mm: it leaves the previous mm's cpumask */
	s->loaded[cpu] = mm;
	mm->cpumask |= bit;
	mmu_set_context(k->mmu, mm->root, mm->asid);
	if (mm->cpu_gen[cpu] != mm->tlb_gen) {
		/* flushed while this CPU was away or lazy: its entries may be stale */
		mmu_flush_asid(k->mmu, mm->asid);
		mmu_charge_cycles_on(k->mmu, cpu, COST_SHOOTDOWN, mmu_config_of(k->mmu)->smp_cost.invalidate_entry);
		mm->cpu_gen[cpu] = mm->tlb_gen;
		s->st.switch_flushes++;
	}
}

void smp_forget_mm(struct kernel *k, const struct mm *mm)
{
	for (unsigned cpu = 0; k->smp && cpu < k->smp->ncpus; cpu++)
		if (k->smp->loaded[cpu] == mm)
			k->smp->loaded[cpu] = NULL;
}

void smp_set_lazy(struct kernel *k, unsigned cpu, bool lazy)
{
	if (!k->smp || cpu >= k->smp->ncpus)
		return;
	if (lazy)
		k->smp->lazy |= 1ull << cpu;
	else
		k->smp->lazy &= ~(1ull << cpu);
}

/* The invalidation itself on one CPU: the listed pages, or the ASID. */
static void invalidate_on(struct kernel *k, unsigned cpu, uint16_t asid, bool full)
{
	struct smp *s = k->smp;
	if (full) {
		mmu_flush_asid_on(k->mmu, cpu, asid);
		return;
	}
	for (uint32_t i = 0; i < s->batch.n; i++)
		mmu_flush_va_on(k->mmu, cpu, s->batch.va[i], asid);
}

static void emit_shootdown(struct kernel *k, const struct shootdown *sd, int pid)
{
	if (!observed(k))
		return;
	struct os_event ev = {.kind = EV_SHOOTDOWN, .pid = pid};
	ev.u.shootdown = sd;
	emit(k, &ev);
}

/* The shootdown of what the batch holds. */
static void shootdown(struct kernel *k, struct mm *mm)
{
	struct smp *s = k->smp;
	const struct mmu_config *c = mmu_config_of(k->mmu);
	unsigned me = s->cur;
	uint64_t mine = 1ull << me, all = (s->ncpus == 64 ? ~0ull : (1ull << s->ncpus) - 1);
	struct shootdown sd = {.initiator = me, .start = s->batch.start, .end = s->batch.end, .pages = s->batch.pages,
			       .asid = mm->asid};
	mm->tlb_gen++;
	if (is_x86(k)) {
		bool full = s->batch.whole || s->batch.pages > X86_FLUSH_CEILING || s->batch.n < s->batch.pages;
		/* entries flushed on each CPU: the pages, or one PCID flush */
		uint64_t entries = full ? 1 : s->batch.n;
		sd.method = full ? SD_IPI_FULL : SD_IPI_INVLPG;
		uint64_t skip = s->batch.freed_tables ? 0 : s->lazy;
		sd.lazy = mm->cpumask & skip & ~mine;
		sd.targets = mm->cpumask & ~skip & ~mine;
		/* The initiator flushes only if it runs this mm (else its turn
		 * comes at the switch back, by tlb_gen). */
		if (s->loaded[me] == mm) {
			invalidate_on(k, me, mm->asid, full);
			sd.cycles += entries * c->smp_cost.invalidate_entry;
			mm->cpu_gen[me] = mm->tlb_gen;
		}
		unsigned nt = (unsigned)__builtin_popcountll(sd.targets);
		if (nt) {
			sd.target_cycles = c->smp_cost.ipi_receive + entries * c->smp_cost.invalidate_entry;
			sd.cycles += (uint64_t)nt * c->smp_cost.ipi_send + sd.target_cycles;   /* it waits for the acks */
		}
		for (unsigned cpu = 0; cpu < s->ncpus; cpu++)
			if (sd.targets & (1ull << cpu)) {
				invalidate_on(k, cpu, mm->asid, full);
				mmu_charge_cycles_on(k->mmu, cpu, COST_SHOOTDOWN, sd.target_cycles);
				mm->cpu_gen[cpu] = mm->tlb_gen;
			}
		s->st.ipis += nt;
		s->st.lazy_skips += (uint64_t)__builtin_popcountll(sd.lazy);
		s->st.entries_invalidated += entries * (1 + nt);
	} else {
		/* PTRS_PER_PTE: the leaf table's entries */
		uint32_t max_ops = 1u << pt_level_info(k->fmt, PT_LEVEL_LEAF)->index_bits;
		bool full = s->batch.whole || s->batch.pages >= max_ops || s->batch.n < s->batch.pages;
		uint64_t entries = full ? 1 : s->batch.n;
		sd.method = full ? SD_TLBI_ASID : SD_TLBI_VA;
		sd.targets = all & ~mine;   /* the broadcast reaches every CPU */
		for (unsigned cpu = 0; cpu < s->ncpus; cpu++) {
			invalidate_on(k, cpu, mm->asid, full);
			mm->cpu_gen[cpu] = mm->tlb_gen;
		}
		sd.cycles = entries * c->smp_cost.invalidate_entry + c->smp_cost.dsb;
		s->st.entries_invalidated += entries;
	}
	mmu_charge_cycles_on(k->mmu, me, COST_SHOOTDOWN, sd.cycles);
	s->st.shootdowns++;
	s->st.by_method[sd.method]++;
	emit_shootdown(k, &sd, mm->pid);
}

static void batch_reset(struct smp *s)
{
	s->batch.start = UINT64_MAX;
	s->batch.end = 0;
	s->batch.pages = s->batch.n = 0;
	s->batch.whole = s->batch.freed_tables = false;
}

static void batch_add(struct kernel *k, uint64_t va, unsigned shift)
{
	struct smp *s = k->smp;
	uint64_t size = 1ull << shift;
	va &= ~(size - 1);
	if (va < s->batch.start)
		s->batch.start = va;
	if (va + size > s->batch.end)
		s->batch.end = va + size;
	s->batch.pages += (uint32_t)(size >> k->fmt->page_shift);
	if (s->batch.n < BATCH_PAGES) {
		s->batch.va[s->batch.n] = va;
		s->batch.shift[s->batch.n++] = (uint8_t)shift;
	} else {
		s->batch.whole = true;
	}
}

void smp_flush_page(struct kernel *k, struct mm *mm, uint64_t va, unsigned shift)
{
	struct smp *s = k->smp;
	if (s->batch.depth && s->batch.mm == mm) {
		batch_add(k, va, shift);
		return;
	}
	/* One page on its own (a fault's COW break, reclaim, rmap): its own
	 * shootdown, as flush_tlb_page. A batch of another mm is kept. */
	struct smp_batch saved = s->batch;
	batch_reset(s);
	batch_add(k, va, shift);
	shootdown(k, mm);
	s->batch = saved;
}

void smp_tables_freed(struct kernel *k, struct mm *mm)
{
	struct smp *s = k->smp;
	if (s->batch.depth && s->batch.mm == mm)
		s->batch.freed_tables = true;
}

void smp_batch_begin(struct kernel *k, struct mm *mm)
{
	struct smp *s = k->smp;
	if (!s)
		return;
	if (s->batch.depth++ == 0) {
		s->batch.mm = mm;
		batch_reset(s);
	}
}

void smp_batch_end(struct kernel *k, struct mm *mm)
{
	struct smp *s = k->smp;
	if (!s || --s->batch.depth > 0)
		return;
	if ((s->batch.pages || s->batch.whole) && s->batch.mm == mm)
		shootdown(k, mm);
	s->batch.mm = NULL;
	batch_reset(s);
}

void smp_flush_mm(struct kernel *k, struct mm *mm)
{
	struct smp *s = k->smp;
	struct smp_batch saved = s->batch;
	batch_reset(s);
	s->batch.start = 0;
	s->batch.end = k->user_top;
	s->batch.whole = true;
	shootdown(k, mm);
	s->batch = saved;
}

void smp_flush_asid_everywhere(struct kernel *k, uint16_t asid)
{
	if (!k->smp) {
		mmu_flush_asid(k->mmu, asid);
		return;
	}
	for (unsigned cpu = 0; cpu < k->smp->ncpus; cpu++)
		mmu_flush_asid_on(k->mmu, cpu, asid);
}

void smp_flush_all_everywhere(struct kernel *k)
{
	if (!k->smp) {
		mmu_flush_all(k->mmu);
		return;
	}
	for (unsigned cpu = 0; cpu < k->smp->ncpus; cpu++)
		mmu_flush_all_on(k->mmu, cpu);
}

/* ---- --check-tlb ---------------------------------------------------------
 * The last change of each page's entry, by (ASID, page), so that a stale hit
 * names the change that should have flushed it. A small hash; a collision
 * loses the older change (the report then says so). */
#define CHECK_SLOTS 4096
struct tlb_change {
	uint64_t key;           /* asid << 48 | va >> page_shift; 0: empty */
	uint64_t seq;           /* the pte event's number (0: nobody listened) */
	uint64_t old, val;
	uint8_t cpu;
	bool flushed;           /* asked for an invalidation */
};
struct tlb_check {
	struct tlb_change slot[CHECK_SLOTS];
	uint64_t stale;
};

static uint64_t change_key(const struct kernel *k, uint16_t asid, uint64_t va)
{
	return ((uint64_t)asid << 48 | ((va >> k->fmt->page_shift) & 0xFFFFFFFFFFFFull)) + 1;
}

static struct tlb_change *change_slot(struct tlb_check *c, uint64_t key)
{
	return &c->slot[(key * 0x9E3779B97F4A7C15ull) >> (64 - 12)];
}

void tlbcheck_note(struct kernel *k, const struct mm *mm, uint64_t va, int level, uint64_t old, uint64_t val,
		   bool flush)
{
	uint64_t size = 1ull << pt_leaf_shift(k->fmt, level);
	uint64_t key = change_key(k, mm->asid, va & ~(size - 1));
	*change_slot(k->tlbcheck, key) = (struct tlb_change){.key = key, .seq = observed(k) ? k->bus.seq : 0, .old = old,
							      .val = val, .cpu = k->bus.cpu, .flushed = flush};
}

static void perm_string(uint8_t p, char out[4])
{
	out[0] = p & PERM_R ? 'r' : '-';
	out[1] = p & PERM_W ? 'w' : '-';
	out[2] = p & PERM_X ? 'x' : '-';
	out[3] = 0;
}

static void stale_hit(void *ctx, unsigned cpu, uint64_t va, uint16_t asid, const struct mmu_xlate *cached,
		      const struct mmu_xlate *now)
{
	struct kernel *k = ctx;
	struct tlb_check *c = k->tlbcheck;
	if (k->smp)
		k->smp->st.stale_hits++;
	if (c->stale++)
		return;   /* the first tells; a stale entry hits again and again */
	char cp[4], np[4], tables[96], change[160] = "no change of it recorded";
	perm_string(cached->perm_user, cp);
	if (now->fault.kind != FAULT_NONE) {
		snprintf(tables, sizeof tables, "the tables now: %s fault", mmu_fault_kind_name(now->fault.kind));
	} else {
		perm_string(now->perm_user, np);
		snprintf(tables, sizeof tables, "the tables now: pa 0x%llx %s%s", (unsigned long long)now->pa, np,
			 now->dirty ? " dirty" : "");
	}
	for (int level = PT_LEVEL_LEAF; level >= k->fmt->top_level; level--) {
		uint64_t size = 1ull << pt_leaf_shift(k->fmt, level);
		uint64_t key = change_key(k, asid, va & ~(size - 1));
		const struct tlb_change *ch = change_slot(c, key);
		if (ch->key != key)
			continue;
		char seq[32] = "";
		if (ch->seq)
			snprintf(seq, sizeof seq, " (event %llu)", (unsigned long long)ch->seq);
		snprintf(change, sizeof change, "last changed on cpu %u%s: 0x%llx -> 0x%llx, %s", ch->cpu, seq,
			 (unsigned long long)ch->old, (unsigned long long)ch->val,
			 ch->flushed ? "an invalidation asked" : "no invalidation asked");
		break;
	}
	fprintf(stderr, "mmusim: --check-tlb: stale TLB hit on cpu %u at 0x%llx (asid %u): cached pa 0x%llx %s%s; %s; %s\n",
		cpu, (unsigned long long)va, asid, (unsigned long long)cached->pa, cp, cached->dirty ? " dirty" : "", tables,
		change);
}

bool kernel_check_tlb(struct kernel *k)
{
	if (!k->tlbcheck && !(k->tlbcheck = calloc(1, sizeof *k->tlbcheck)))
		return false;
	mmu_set_check(k->mmu, stale_hit, k);
	return true;
}

bool kernel_tlb_checked(const struct kernel *k) { return k->tlbcheck != NULL; }

uint64_t kernel_stale_tlb_hits(const struct kernel *k) { return k->tlbcheck ? k->tlbcheck->stale : 0; }

void tlbcheck_free(struct kernel *k)
{
	free(k->tlbcheck);
	k->tlbcheck = NULL;
}
