/* Locked memory, as Linux's mm/mlock.c: VM_LOCKED VMAs, and the pages they
 * map taken off the LRU lists (Linux's unevictable list) so that reclaim
 * never sees them. A page is mlocked (PG_MLOCKED) while some VM_LOCKED VMA
 * maps it: when it is mapped there (mlock of present pages, a fault in a
 * locked VMA), or when reclaim meets a page a locked VMA maps (Linux's
 * "culling" in folio_referenced). It goes back on the LRU when the last
 * locked mapping goes (munlock, munmap, exit), and its frame may then be
 * reclaimed as any other. The system calls, their limits and the faulting
 * in are os/kernel/mlock.c's. */
#include "os/mm/mm.h"

/* mlock_folio: off the LRU, where reclaim looks. */
static void page_mlock(struct kernel *k, uint64_t pfn)
{
	struct page *pg = pfn_page(k, pfn);
	if ((pg->use != USE_ANON && pg->use != USE_PAGECACHE) || (pg->flags & PG_MLOCKED))
		return;   /* the zero page is nobody's; page tables are not on the LRU */
	pg->flags |= PG_MLOCKED;
	lru_del(k, pfn);
}

/* munlock_folio: back on the (inactive) LRU, evictable again. */
static void page_munlock(struct kernel *k, uint64_t pfn)
{
	struct page *pg = pfn_page(k, pfn);
	pg->flags &= (uint8_t)~PG_MLOCKED;
	lru_add(k, pfn);
}

static uint64_t leaf_pfn(struct kernel *k, int level, pte_t orig, bool *present)
{
	struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, orig.raw));
	*present = d.kind != PTE_INVALID;
	return pa_pfn(k, d.oa);
}

static void mlock_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx)
{
	(void)mm, (void)va, (void)at, (void)ctx;
	bool present;
	uint64_t pfn = leaf_pfn(k, level, orig, &present);
	if (present)
		page_mlock(k, pfn);
}

void mlock_present(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end)
{
	pt_for_each_leaf(k, mm, start, end, mlock_leaf, NULL);
}

static void locked_mapping(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
			   void *ctx)
{
	(void)k, (void)level, (void)at, (void)orig;
	struct vma *v = vma_find(mm, va);
	if (v && v->start <= va && (v->flags & VM_LOCKED))
		*(bool *)ctx = true;
}

static bool mapped_locked(struct kernel *k, uint64_t pfn)
{
	bool locked = false;
	rmap_walk(k, pfn, locked_mapping, &locked);
	return locked;
}

void mlock_recheck(struct kernel *k, uint64_t pfn)
{
	struct page *pg = pfn_page(k, pfn);
	if ((pg->flags & PG_MLOCKED) && !mapped_locked(k, pfn))
		page_munlock(k, pfn);
}

bool mlock_cull(struct kernel *k, uint64_t pfn)
{
	if (!k->mlock_used || !mapped_locked(k, pfn))
		return false;
	page_mlock(k, pfn);
	return true;
}

static void munlock_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
			 void *ctx)
{
	(void)mm, (void)va, (void)at, (void)ctx;
	bool present;
	uint64_t pfn = leaf_pfn(k, level, orig, &present);
	if (present)
		mlock_recheck(k, pfn);
}

void mlock_after_fault(struct kernel *k, struct mm *mm, uint64_t va)
{
	struct vma *v = vma_find(mm, va);
	if (!v || v->start > va || !(v->flags & VM_LOCKED))
		return;
	/* The faulting page, and the neighbours fault-around may have mapped. */
	uint64_t window = k->cfg.fault_around_bytes > k->page ? k->cfg.fault_around_bytes : k->page;
	uint64_t s = va & ~(window - 1), e = s + window;
	mlock_present(k, mm, s > v->start ? s : v->start, e < v->end ? e : v->end);
}

/* mlock_fixup for [start, end), inside one VMA. */
static int64_t lock_fixup(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, uint32_t flags)
{
	struct vma *v = vma_find(mm, start);
	uint32_t old = v->flags, new = (old & ~VM_LOCKED_MASK) | flags;
	if (new == old)
		return 0;
	if (!vma_split(mm, start) || !vma_split(mm, end))
		return -ENOMEM;
	vma_find(mm, start)->flags = new;
	if ((new & VM_LOCKED) && !(old & VM_LOCKED)) {
		k->mlock_used = true;
		mlock_present(k, mm, start, end);
	} else if (!(new & VM_LOCKED) && (old & VM_LOCKED)) {
		pt_for_each_leaf(k, mm, start, end, munlock_leaf, NULL);
	}
	vma_merge_around(mm, start);
	vma_merge_around(mm, end);
	return 0;
}

int64_t mm_lock_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, uint32_t flags)
{
	if (end < start)
		return -EINVAL;
	for (uint64_t a = start; a < end;) {
		struct vma *v = vma_find(mm, a);
		if (!v || v->start > a)
			return -ENOMEM;   /* a hole: what came before keeps its change */
		uint64_t e = v->end < end ? v->end : end;
		int64_t rc = lock_fixup(k, mm, a, e, flags);
		if (rc)
			return rc;
		a = e;
	}
	return 0;
}

void mm_lock_all(struct kernel *k, struct mm *mm, uint32_t to_add)
{
	for (struct vma *v = vma_find(mm, 0); v; v = vma_find(mm, v->end)) {
		uint64_t s = v->start, e = v->end;
		if (lock_fixup(k, mm, s, e, to_add))
			return;
		v = vma_find(mm, s);   /* merged, perhaps: continue after what holds s */
	}
}

uint64_t mm_locked_bytes(const struct mm *mm)
{
	uint64_t n = 0;
	for (size_t i = 0; i < mm->nvma; i++)
		if (mm->vma[i].flags & VM_LOCKED)
			n += mm->vma[i].end - mm->vma[i].start;
	return n;
}

int mm_mincore(struct kernel *k, struct mm *mm, uint64_t va)
{
	struct vma *v = vma_find(mm, va);
	if (!v || v->start > va)
		return -ENOMEM;
	int level;
	ptep_t at = leaf_lookup(k, mm, va, &level);
	uint64_t raw = ptep_none(at) ? 0 : pte_read(k, at).raw;
	if (raw && pte_decode(k->fmt, level, pte_present_view(k->fmt, raw)).kind != PTE_INVALID)
		return 1;   /* mapped (a PROT_NONE entry too: it holds its frame) */
	if (raw && pte_is_swap(k->fmt, raw)) {   /* out, unless still in the swap cache */
		unsigned type;
		uint64_t slot;
		pte_swap_decode(k->fmt, raw, &type, &slot);
		return slot < k->swap_slots && k->swap_cache[slot] != UINT32_MAX;
	}
	if (!v->file)
		return 0;
	uint64_t index = (v->offset + (va - v->start)) >> k->fmt->page_shift;
	return pagecache_lookup(v->file, index) != NO_PFN;   /* mincore_unmapped_range: the file's cache */
}
