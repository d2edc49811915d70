/* mremap with Linux's semantics (mm/mremap.c): shrink in place, grow in
 * place when the addresses after the mapping are free, else (with
 * MREMAP_MAYMOVE) move it: a new VMA, and the page-table entries moved to
 * it — no page is copied and no fault is taken again. Each move is two
 * PTE writes in the event log: the entry removed at the old address (the
 * TLB and the shadow lose it, as every removal does) and the same value
 * written at the new one. MREMAP_FIXED names the new place (what was there
 * is unmapped), MREMAP_DONTUNMAP leaves the old VMA, empty.
 *
 * Anonymous pages still shared with another process since fork move too
 * (they stay shared; a write COW-breaks as before). Their index keeps the
 * address the other process maps them at, so the moved VMA's offset says
 * how far they went and rmap looks there (anon_index): Linux's vm_pgoff,
 * which a move keeps. */
#include "os/mm/mm.h"

#include <stdlib.h>
#include <string.h>

#define MREMAP_MAYMOVE   1u
#define MREMAP_FIXED     2u
#define MREMAP_DONTUNMAP 4u
#define MMAP_MIN_ADDR 0x10000ull

static uint64_t page_up(const struct kernel *k, uint64_t v) { return (v + k->page - 1) & ~(k->page - 1); }

struct moved_leaf {
	uint64_t va;
	pte_t val;
};
struct collect {
	struct moved_leaf *v;
	size_t n, cap;
	bool unmovable;   /* a huge page that could not be split */
	bool nomem;
};

static void collect_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx)
{
	(void)k;
	(void)mm;
	(void)at;
	struct collect *c = ctx;
	if (level != PT_LEVEL_LEAF) {   /* a huge page that could not be split */
		c->unmovable = true;
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct moved_leaf *v = realloc(c->v, cap * sizeof *v);
		if (!v) {
			c->nomem = true;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (struct moved_leaf){va, orig};
}

/* A huge page the range holds whole: split, its small entries move
 * (Linux moves a PMD whole when both addresses are aligned; the model
 * splits it instead). */
static void split_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx)
{
	(void)mm;
	(void)va;
	(void)at;
	(void)ctx;
	struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, orig.raw));
	if (level != PT_LEVEL_LEAF && d.kind == PTE_BLOCK)
		split_huge_page(k, pa_pfn(k, d.oa));
}

static void find_shared_anon(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
			     void *ctx)
{
	(void)mm;
	(void)va;
	(void)at;
	struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, orig.raw));
	if (d.kind != PTE_INVALID) {
		struct page *pg = pfn_page(k, pa_pfn(k, d.oa));
		if (pg->use == USE_ANON && pg->mapcount > 1)
			*(bool *)ctx = true;
	}
}

/* Whether [old, old + len) maps an anonymous page another entry maps too
 * (a fork's): its index must stay, the moved VMA gets an offset instead. */
static bool maps_shared_anon(struct kernel *k, struct mm *mm, uint64_t old, uint64_t len)
{
	bool shared = false;
	pt_for_each_leaf(k, mm, old, old + len, split_leaf, NULL);
	pt_for_each_leaf(k, mm, old, old + len, find_shared_anon, &shared);
	return shared;
}

/* The entries of [old, old + len) moved to new (anonymous pages' indexes
 * too unless keep_index): -EBUSY (nothing moved) when one cannot be moved
 * without copying. */
static int move_page_tables(struct kernel *k, struct mm *mm, uint64_t old, uint64_t len, uint64_t new,
			    bool keep_index)
{
	struct collect c = {0};
	pt_for_each_leaf(k, mm, old, old + len, split_leaf, NULL);
	pt_for_each_leaf(k, mm, old, old + len, collect_leaf, &c);
	if (c.unmovable || c.nomem) {
		free(c.v);
		return c.nomem ? -ENOMEM : -EBUSY;
	}
	/* Tables for the new range first, so that a failure moves nothing. */
	for (size_t i = 0; i < c.n; i++)
		if (ptep_none(pte_lookup(k, mm, c.v[i].va - old + new, true))) {
			free(c.v);
			return -ENOMEM;
		}
	smp_batch_begin(k, mm);
	for (size_t i = 0; i < c.n; i++) {
		uint64_t nva = c.v[i].va - old + new;
		int level;
		ptep_t from = leaf_lookup(k, mm, c.v[i].va, &level);
		ptep_t to = pte_lookup(k, mm, nva, false);
		pte_write(k, mm, c.v[i].va, PT_LEVEL_LEAF, from, (pte_t){0}, true);
		pte_write(k, mm, nva, PT_LEVEL_LEAF, to, c.v[i].val, false);
		struct pte d = pte_decode(k->fmt, PT_LEVEL_LEAF, pte_present_view(k->fmt, c.v[i].val.raw));
		if (d.kind != PTE_INVALID && !keep_index) {
			struct page *pg = pfn_page(k, pa_pfn(k, d.oa));
			if (pg->use == USE_ANON)   /* rmap looks for it where it is mapped */
				pg->index = nva >> k->fmt->page_shift;
		}
	}
	smp_batch_end(k, mm);
	if (c.n && !k->smp)
		mmu_charge(k->mmu, COST_SHOOTDOWN, 1);
	free(c.v);
	return 0;
}

/* Linux's vma_to_resize: the VMA holding [addr, addr + old_len). */
static struct vma *vma_to_resize(struct mm *mm, uint64_t addr, uint64_t old_len, int64_t *err)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || v->start > addr || old_len > v->end - addr) {
		*err = -EFAULT;
		return NULL;
	}
	return v;
}

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);
	return !v || v->start >= end;
}

/* move_vma: a copy of v's part at new (len new_len), the entries moved,
 * the old range unmapped unless DONTUNMAP. */
static int64_t move_vma(struct kernel *k, struct mm *mm, struct vma *v, uint64_t addr, uint64_t old_len,
			uint64_t new_len, uint64_t new, bool dontunmap, bool *unsupported)
{
	struct vma nv = *v;
	nv.start = new;
	nv.end = new + new_len;
	/* Pages shared since fork, or already moved: indexes stay, the offset says where. */
	bool keep_index = !nv.file && (v->offset || maps_shared_anon(k, mm, addr, old_len));
	if (nv.file) {
		nv.offset = v->offset + (addr - v->start);
		inode_get(nv.file);
	} else if (keep_index) {
		nv.offset = v->offset + (new - addr);
		mm->anon_moved = mm->anon_moved || nv.offset;
	}
	if (!vma_insert(mm, nv)) {
		if (nv.file)
			inode_put(k, nv.file);
		return -ENOMEM;
	}
	int rc = move_page_tables(k, mm, addr, old_len, new, keep_index);
	if (rc) {
		vma_remove_range(k, mm, new, new + new_len);
		zap_range(k, mm, new, new + new_len);
		*unsupported = rc == -EBUSY;
		return -ENOMEM;
	}
	if (!dontunmap) {
		vma_split(mm, addr);
		vma_split(mm, addr + old_len);
		vma_remove_range(k, mm, addr, addr + old_len);
		zap_range(k, mm, addr, addr + old_len);   /* no entries left: frees the tables */
	}
	return (int64_t)new;
}

int64_t mm_mremap(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
		  uint32_t flags, uint64_t new_addr, bool *unsupported)
{
	*unsupported = false;
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (addr & (k->page - 1))
		return -EINVAL;
	old_len = page_up(k, old_len);
	new_len = page_up(k, new_len);
	if (!new_len)
		return -EINVAL;
	int64_t err = 0;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {   /* mremap_to */
		if (flags & MREMAP_FIXED) {
			if (new_addr & (k->page - 1))
				return -EINVAL;
			if (new_len > k->user_top || new_addr > k->user_top - new_len)
				return -EINVAL;
			if (addr + old_len > new_addr && new_addr + new_len > addr)   /* overlap */
				return -EINVAL;
			if (new_addr < MMAP_MIN_ADDR)
				return -EPERM;
			mm_munmap(k, mm, new_addr, new_len);
			if (old_len > new_len) {
				mm_munmap(k, mm, addr + new_len, old_len - new_len);
				old_len = new_len;
			}
		}
		struct vma *v = vma_to_resize(mm, addr, old_len, &err);
		if (!v)
			return err;
		if (!(flags & MREMAP_FIXED)) {
			new_addr = vma_gap_topdown(mm, new_len, mm->mmap_base ? mm->mmap_base : k->user_top, MMAP_MIN_ADDR);
			if (!new_addr)
				return -ENOMEM;
		}
		return move_vma(k, mm, v, addr, old_len, new_len, new_addr, flags & MREMAP_DONTUNMAP, unsupported);
	}
	if (old_len >= new_len) {   /* shrink: the tail goes (nothing checked when nothing changes) */
		if (old_len > new_len) {
			int64_t rc = mm_munmap(k, mm, addr + new_len, old_len - new_len);
			if (rc)
				return rc;
		}
		return (int64_t)addr;
	}
	struct vma *v = vma_to_resize(mm, addr, old_len, &err);
	if (!v)
		return err;
	/* Grow in place: the mapping ends at its VMA's end, the space after it is free. */
	if (old_len == v->end - addr && addr + new_len <= k->user_top && range_free(mm, v->end, addr + new_len)) {
		uint64_t old_end = v->end;
		vma_changed(mm, old_end, addr + new_len);
		v->end = addr + new_len;
		vma_merge_around(mm, old_end);
		vma_merge_around(mm, addr + new_len);
		return (int64_t)addr;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	new_addr = vma_gap_topdown(mm, new_len, mm->mmap_base ? mm->mmap_base : k->user_top, MMAP_MIN_ADDR);
	if (!new_addr)
		return -ENOMEM;
	return move_vma(k, mm, v, addr, old_len, new_len, new_addr, false, unsupported);
}
