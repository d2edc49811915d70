/* Reverse mapping: every entry that maps a frame, found through the
 * address spaces the kernel has (an anonymous page at the address its
 * index names, or that plus the offset of a VMA mremap moved it with; a
 * file page through every VMA of its file). */
#include "os/mm/mm.h"

#include <stdlib.h>
#include <string.h>

bool mm_register(struct kernel *k, struct mm *mm)
{
	if (k->nmms == k->mms_cap) {
		size_t cap = k->mms_cap ? 2 * k->mms_cap : 16;
		struct mm **n = realloc(k->mms, cap * sizeof *n);
		if (!n)
			return false;
		k->mms = n;
		k->mms_cap = cap;
	}
	k->mms[k->nmms++] = mm;
	return true;
}

/* The rest keep their order: rmap visits them as the processes were made. */
void mm_unregister(struct kernel *k, struct mm *mm)
{
	for (size_t i = 0; i < k->nmms; i++)
		if (k->mms[i] == mm) {
			memmove(k->mms + i, k->mms + i + 1, (k->nmms - i - 1) * sizeof *k->mms);
			k->nmms--;
			return;
		}
}

static void rmap_check(struct kernel *k, struct mm *mm, uint64_t va, uint64_t pfn, rmap_fn fn, void *ctx)
{
	int level;
	ptep_t at = leaf_lookup(k, mm, va, &level);
	if (ptep_none(at))
		return;
	pte_t orig = pte_read(k, at);
	struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, orig.raw));
	if (d.kind != PTE_INVALID && pa_pfn(k, d.oa) == pfn)
		fn(k, mm, va & ~((1ull << pt_leaf_shift(k->fmt, level)) - 1), level, at, orig, ctx);
}

void rmap_walk(struct kernel *k, uint64_t pfn, rmap_fn fn, void *ctx)
{
	struct page *pg = pfn_page(k, pfn);
	unsigned shift = k->fmt->page_shift;
	for (size_t n = 0; n < k->nmms; n++) {
		struct mm *mm = k->mms[n];
		if (!pg->mapping) {   /* anonymous: found at the address its index names */
			uint64_t va = pg->index << shift;
			struct vma *v = vma_find(mm, va);
			if (v && v->start <= va && !v->file && !v->offset)
				rmap_check(k, mm, va, pfn, fn, ctx);
			for (size_t j = 0; mm->anon_moved && j < mm->nvma; j++) {   /* or moved since */
				const struct vma *m = &mm->vma[j];
				uint64_t at = va + m->offset;
				if (!m->file && m->offset && at >= m->start && at < m->end)
					rmap_check(k, mm, at, pfn, fn, ctx);
			}
			continue;
		}
		for (size_t j = 0; j < mm->nvma; j++) {
			const struct vma *v = &mm->vma[j];
			uint64_t first = v->offset >> shift, count = (v->end - v->start) >> shift;
			if (v->file && v->file == page_inode(k, pg) && pg->index >= first && pg->index < first + count)
				rmap_check(k, mm, v->start + ((pg->index - first) << shift), pfn, fn, ctx);
		}
	}
}

