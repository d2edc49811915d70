/* Page-table editing, as a kernel's pgtable code does it: tables come from
 * the frame allocator; every entry written is recorded (in the fault being
 * handled and on the event bus); removing or downgrading a present entry
 * invalidates its TLB entry by VA and ASID. */
#include "os/mm/mm.h"

#include <string.h>

static enum fault_step alloc_step(const struct kernel *k, int level)
{
	const char *n = pt_level_info(k->fmt, level)->linux_name;
	if (!strcmp(n, "p4d"))
		return STEP_ALLOC_P4D;
	if (!strcmp(n, "pud"))
		return STEP_ALLOC_PUD;
	if (!strcmp(n, "pmd"))
		return STEP_ALLOC_PMD;
	return STEP_ALLOC_PTE;
}

uint64_t table_alloc(struct kernel *k, struct mm *mm, int level)
{
	uint64_t pfn = frame_alloc(k, 0, USE_PAGETABLE);
	if (pfn == NO_PFN) {
		if (k->rec && level > k->fmt->top_level)
			record_step(k, alloc_step(k, level));   /* attempted; OOM follows */
		return PT_NO_MEMORY;
	}
	uint64_t pa = pfn_pa(k, pfn);
	memset(physmem_ptr(k->pm, pa, k->page), 0, k->page);
	mm->pt_pages++;
	k->st.tables_allocated++;
	mmu_charge(k->mmu, COST_TABLE_ALLOC, 1);
	if (k->rec && level > k->fmt->top_level) {
		k->rec->tables_allocated++;
		record_step(k, alloc_step(k, level));
	}
	if (observed(k)) {
		struct os_event ev = {.kind = EV_TABLE_ALLOC, .pid = mm->pid};
		ev.u.table.pa = pa;
		ev.u.table.level = (int8_t)level;
		emit(k, &ev);
	}
	return pa;
}

static void table_free(struct kernel *k, struct mm *mm, uint64_t pa, int level)
{
	if (observed(k)) {
		struct os_event ev = {.kind = EV_TABLE_FREE, .pid = mm->pid};
		ev.u.table.pa = pa;
		ev.u.table.level = (int8_t)level;
		emit(k, &ev);
	}
	mm->pt_pages--;
	frame_put(k, pa_pfn(k, pa));
}

static void note_write(struct kernel *k, const struct mm *mm, uint64_t va, int level, ptep_t at, pte_t old,
		       pte_t val)
{
	uint64_t tsize = pt_table_bytes(k->fmt, level);
	struct pte_change c = {.level = (int8_t)level, .va = va, .old = old.raw, .new = val.raw};
	c.table_pa = at.pa & ~(tsize - 1);
	c.index = (uint16_t)((at.pa - c.table_pa) / 8);
	if (k->rec && k->rec->npte < FAULT_MAX_PTES)
		k->rec->pte[k->rec->npte++] = c;
	if (observed(k)) {
		struct os_event ev = {.kind = EV_PTE, .pid = mm->pid};
		ev.u.pte = c;
		emit(k, &ev);
	}
}

struct build_ctx {
	struct kernel *k;
	struct mm *mm;
};

static uint64_t build_alloc(void *ctx, int level)
{
	struct build_ctx *b = ctx;
	return table_alloc(b->k, b->mm, level);
}

static void build_linked(void *ctx, int level, uint64_t va, ptep_t at, pte_t old, pte_t val)
{
	struct build_ctx *b = ctx;
	note_write(b->k, b->mm, va, level, at, old, val);
}

/* A table link as the kernels write them for user space: x86 _PAGE_TABLE
 * (P RW US A D); arm64 PMD_TYPE_TABLE | PMD_TABLE_PXN. */
static struct pte table_link(const struct kernel *k)
{
	struct pte t = {.kind = PTE_TABLE, .write = true, .user = true};
	if (k->fmt->arch == ARCH_X86_64)
		t.accessed = t.dirty = true;
	else
		t.pxn = true;
	return t;
}

ptep_t pte_lookup(struct kernel *k, struct mm *mm, uint64_t va, bool alloc)
{
	return entry_lookup(k, mm, va, PT_LEVEL_LEAF, alloc);
}

ptep_t leaf_lookup(struct kernel *k, struct mm *mm, uint64_t va, int *level)
{
	uint64_t table = mm->root;
	for (int l = k->fmt->top_level;; l++) {
		ptep_t at = {table + 8ull * pt_index(k->fmt, l, va)};
		struct pte d = pte_decode(k->fmt, l, pte_read(k, at).raw);
		if (l == PT_LEVEL_LEAF || d.kind == PTE_BLOCK) {
			*level = l;
			return at;
		}
		if (d.kind != PTE_TABLE)
			return (ptep_t){PT_NO_MEMORY};
		table = d.oa;
	}
}

ptep_t entry_lookup(struct kernel *k, struct mm *mm, uint64_t va, int level, bool alloc)
{
	struct build_ctx c = {k, mm};
	struct pt_builder b = {.alloc = build_alloc, .linked = build_linked, .ctx = &c, .table = table_link(k)};
	return (ptep_t){pt_entry_addr(k->pm, k->fmt, mm->root, va, level, alloc ? &b : NULL)};
}

/* Does replacing `old` by `val` take away anything a TLB may have cached? */
static bool is_downgrade(const struct kernel *k, int level, pte_t old, pte_t val)
{
	struct pte o = pte_decode(k->fmt, level, old.raw), n = pte_decode(k->fmt, level, val.raw);
	if (o.kind == PTE_INVALID)
		return false;
	if (n.kind == PTE_INVALID || n.oa != o.oa)
		return true;
	return (o.write && !n.write) || (o.user && !n.user) || (!o.nx && n.nx) || (o.accessed && !n.accessed) ||
	       (o.dirty && !n.dirty) || (o.dbm && !n.dbm);
}

void pte_write(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t val, bool flush)
{
	pte_t old = pte_read(k, at);
	if (old.raw == val.raw)
		return;
	physmem_write64(k->pm, at.pa, val.raw);
	note_write(k, mm, va, level, at, old, val);
	if (k->tlbcheck)
		tlbcheck_note(k, mm, va, level, old.raw, val.raw, flush || k->smp);
	if (is_downgrade(k, level, old, val)) {
		if (k->smp && level < PT_LEVEL_LEAF && pte_decode(k->fmt, level, old.raw).kind == PTE_TABLE)
			smp_tables_freed(k, mm);
		if (flush && k->smp)
			smp_flush_page(k, mm, va, pt_leaf_shift(k->fmt, level));
		else if (flush)
			mmu_flush_va(k->mmu, va, mm->asid);
		if (k->unmap_hook && pte_decode(k->fmt, level, old.raw).kind != PTE_TABLE)
			k->unmap_hook(k->unmap_ctx, mm->pid, va & ~((1ull << pt_leaf_shift(k->fmt, level)) - 1),
				      1ull << pt_leaf_shift(k->fmt, level));
	}
}

struct pte leaf_for_vma(const struct kernel *k, const struct vma *v, uint64_t pa, bool writable, bool dirty)
{
	struct pte p = {.kind = PTE_PAGE, .oa = pa, .user = true, .accessed = true, .nx = !(v->flags & VM_EXEC)};
	if (k->fmt->arch == ARCH_X86_64) {
		p.write = writable;
		p.dirty = dirty && writable;
		return p;
	}
	/* arm64: nG for user pages, inner shareable, normal memory (AttrIndx 0),
	 * never executable at EL1. Linux marks writable pages with DBM (its
	 * PTE_WRITE) and keeps AP[2] set until the page is dirty. */
	p.global = false;
	p.sh = 3;
	p.pxn = true;
	p.dbm = writable && k->pers->uses_dbm;
	p.write = writable && (dirty || !k->pers->uses_dbm);
	return p;
}

/* ---- Huge pages ------------------------------------------------------------------ */
unsigned block_order(const struct kernel *k, int level)
{
	return pt_leaf_shift(k->fmt, level) - k->fmt->page_shift;
}

/* __split_huge_pmd: the block entry becomes a table of entries mapping the
 * same frames with the same attributes; the TLB's huge entry goes. */
static bool split_block(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at)
{
	const struct pt_format *f = k->fmt;
	pte_t orig = pte_read(k, at);
	struct pte b = pte_decode(f, level, pte_present_view(f, orig.raw));
	bool protnone = pte_is_protnone(f, orig.raw);
	uint64_t table = table_alloc(k, mm, level + 1);
	if (table == PT_NO_MEMORY)
		return false;
	uint64_t base = va & ~((1ull << pt_leaf_shift(f, level)) - 1);
	unsigned shift = pt_leaf_shift(f, level + 1), n = 1u << pt_level_info(f, level + 1)->index_bits;
	struct pte p = b;
	p.kind = level + 1 == PT_LEVEL_LEAF ? PTE_PAGE : PTE_BLOCK;
	for (unsigned i = 0; i < n; i++) {
		p.oa = b.oa + ((uint64_t)i << shift);
		uint64_t val = pte_encode(f, level + 1, &p);
		pte_write(k, mm, base + ((uint64_t)i << shift), level + 1, (ptep_t){table + 8ull * i},
			  (pte_t){protnone ? pte_make_protnone(f, val) : val}, false);
	}
	struct pte t = table_link(k);
	t.oa = table;
	pte_write(k, mm, base, level, at, pte_make(k, level, &t), true);
	return true;
}

struct split_ctx {
	bool failed;
};

static void split_one(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx)
{
	(void)orig;
	struct split_ctx *c = ctx;
	if (level < PT_LEVEL_LEAF && !split_block(k, mm, va, level, at))
		c->failed = true;
}

/* split_huge_page: every block mapping of the compound page at `head` is
 * split, then the page becomes 2^order pages of its own, each referenced
 * and mapped as the whole was. */
bool split_huge_page(struct kernel *k, uint64_t head)
{
	struct page *hp = pfn_page(k, head);
	unsigned order = hp->order;
	if (!order)
		return true;
	/* The split's tables and entries are its own work, on the event bus;
	 * the fault that asked for it records one step, split_huge. */
	struct split_ctx c = {0};
	struct fault_record *r = k->rec;
	k->rec = NULL;
	rmap_walk(k, head, split_one, &c);
	k->rec = r;
	if (c.failed)
		return false;
	uint32_t ref = hp->refcount, map = hp->mapcount;
	for (uint64_t i = 0; i < (1ull << order); i++) {
		struct page *pg = pfn_page(k, head + i);
		pg->order = 0;
		pg->refcount = ref;
		pg->mapcount = map;
		pg->use = hp->use;
		pg->index = hp->index + i;
		lru_add(k, head + i);
	}
	k->st.thp_splits++;
	return true;
}

/* ---- Walking a range --------------------------------------------------------- */
struct range_walk {
	struct kernel *k;
	struct mm *mm;
	leaf_fn leaf;
	void *ctx;
	bool free_tables;    /* free tables left empty that no VMA needs */
};

static bool table_empty(const struct kernel *k, uint64_t table, int level)
{
	const uint64_t *e = physmem_ptr(k->pm, table, pt_table_bytes(k->fmt, level));
	for (uint64_t i = 0; i < pt_table_bytes(k->fmt, level) / 8; i++)
		if (e[i])
			return false;
	return true;
}

static bool span_has_vma(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);
	return v && v->start < end;
}

static void walk_table(struct range_walk *w, uint64_t table, int level, uint64_t base, uint64_t start,
		       uint64_t end)
{
	const struct pt_format *f = w->k->fmt;
	unsigned shift = pt_leaf_shift(f, level);
	uint64_t span = 1ull << shift;
	unsigned n = 1u << pt_level_info(f, level)->index_bits;
	for (unsigned i = (unsigned)((start - base) >> shift); i < n; i++) {
		uint64_t va = base + ((uint64_t)i << shift);
		if (va >= end)
			break;
		ptep_t at = {table + 8ull * i};
		pte_t orig = pte_read(w->k, at);
		if (!orig.raw)
			continue;
		struct pte d = pte_decode(f, level, pte_present_view(f, orig.raw));
		if (d.kind == PTE_BLOCK && (va < start || va + span > end)) {
			/* The range takes part of a huge page: split it first. */
			if (!split_huge_page(w->k, pa_pfn(w->k, d.oa)))
				continue;
			d = pte_decode(f, level, pte_read(w->k, at).raw);
		}
		if (d.kind != PTE_TABLE) {
			if (w->leaf)
				w->leaf(w->k, w->mm, va, level, at, orig, w->ctx);
			continue;
		}
		uint64_t s = start > va ? start : va, e = end < va + span ? end : va + span;
		walk_table(w, d.oa, level + 1, va, s, e);
		if (w->free_tables && table_empty(w->k, d.oa, level + 1) && !span_has_vma(w->mm, va, va + span)) {
			pte_write(w->k, w->mm, va, level, at, (pte_t){0}, false);
			table_free(w->k, w->mm, d.oa, level + 1);
		}
	}
}

void pt_for_each_leaf(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, leaf_fn fn, void *ctx)
{
	struct range_walk w = {k, mm, fn, ctx, false};
	walk_table(&w, mm->root, k->fmt->top_level, 0, start, end);
}

struct zap_ctx {
	bool flush_each;
	uint64_t zapped;
};

static void zap_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx)
{
	struct zap_ctx *z = ctx;
	struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, orig.raw));
	pte_write(k, mm, va, level, at, (pte_t){0}, z->flush_each);
	z->zapped++;
	if (d.kind == PTE_INVALID) {
		if (pte_is_swap(k->fmt, orig.raw)) {    /* the slot loses an entry naming it */
			unsigned type;
			uint64_t slot;
			pte_swap_decode(k->fmt, orig.raw, &type, &slot);
			swap_slot_put(k, slot);
			mm->swap_entries--;
		}
		return;
	}
	uint64_t pfn = pa_pfn(k, d.oa);
	struct page *pg = pfn_page(k, pfn);
	if (pg->use == USE_ZERO)
		return;
	pg->mapcount--;
	update_hiwater_rss(mm);
	if (pg->use == USE_PAGECACHE)
		mm->rss_file--;
	else
		mm->rss_anon -= 1ull << block_order(k, level);
	if ((pg->flags & PG_MLOCKED) && pg->refcount > 1)
		mlock_recheck(k, pfn);   /* it stays (cache, another mapping): evictable unless still locked */
	frame_put(k, pfn);
}

/* Linux flushes page by page up to tlb_single_page_flush_ceiling (33 pages),
 * the whole address space above that. */
#define SINGLE_PAGE_FLUSH_CEILING 33

void zap_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end)
{
	/* Several CPUs: every page goes into one shootdown (smp.c decides how). */
	struct zap_ctx z = {.flush_each = k->smp || (end - start) / k->page <= SINGLE_PAGE_FLUSH_CEILING};
	struct range_walk w = {k, mm, zap_leaf, &z, true};
	smp_batch_begin(k, mm);
	walk_table(&w, mm->root, k->fmt->top_level, 0, start, end);
	smp_batch_end(k, mm);
	if (z.zapped && !k->smp) {
		if (!z.flush_each)
			mmu_flush_asid(k->mmu, mm->asid);
		mmu_charge(k->mmu, COST_SHOOTDOWN, 1);
	}
}

static void free_tables_below(struct kernel *k, struct mm *mm, uint64_t table, int level)
{
	if (level < PT_LEVEL_LEAF) {
		unsigned n = 1u << pt_level_info(k->fmt, level)->index_bits;
		for (unsigned i = 0; i < n; i++) {
			struct pte d = pte_decode(k->fmt, level, physmem_read64(k->pm, table + 8ull * i));
			if (d.kind == PTE_TABLE)
				free_tables_below(k, mm, d.oa, level + 1);
		}
	}
	table_free(k, mm, table, level);
}

void free_all_tables(struct kernel *k, struct mm *mm)
{
	free_tables_below(k, mm, mm->root, k->fmt->top_level);
	mm->root = 0;
}
