/* VMAs: a sorted array of non-overlapping areas per address space.
 * vma_find is a binary search (as fast as Linux's find_vma on a tree);
 * insertion, splitting and removal move the tail of the array, which for the
 * tens to thousands of VMAs a process has is a short memmove. */
#include "os/mm/mm.h"

#include <stdlib.h>
#include <string.h>

static size_t lower_bound(const struct mm *mm, uint64_t addr)
{
	/* index of the first VMA with end > addr */
	size_t lo = 0, hi = mm->nvma;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mm->vma[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vma *vma_find(struct mm *mm, uint64_t addr)
{
	size_t i = lower_bound(mm, addr);
	return i < mm->nvma ? &mm->vma[i] : NULL;
}

struct vma *vma_prev(struct mm *mm, const struct vma *v)
{
	size_t i = v ? (size_t)(v - mm->vma) : mm->nvma;
	return i > 0 ? &mm->vma[i - 1] : NULL;
}

static bool grow(struct mm *mm)
{
	if (mm->nvma < mm->cap)
		return true;
	size_t cap = mm->cap ? mm->cap * 2 : 16;
	struct vma *nv = realloc(mm->vma, cap * sizeof *nv);
	if (!nv)
		return false;
	mm->vma = nv;
	mm->cap = cap;
	return true;
}

/* Anonymous neighbours with the same flags merge (and the same offset:
 * their pages' indexes follow on); file mappings are kept as they were
 * made (merging them is only an optimisation). */
static bool mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->flags == b->flags && !a->file && !b->file && a->offset == b->offset;
}

static void remove_at(struct mm *mm, size_t i)
{
	memmove(&mm->vma[i], &mm->vma[i + 1], (mm->nvma - i - 1) * sizeof *mm->vma);
	mm->nvma--;
}

/* Merge the VMA at index i with equal neighbours. */
static void merge_at(struct mm *mm, size_t i)
{
	if (i + 1 < mm->nvma && mergeable(&mm->vma[i], &mm->vma[i + 1])) {
		mm->vma[i].end = mm->vma[i + 1].end;
		remove_at(mm, i + 1);
	}
	if (i > 0 && mergeable(&mm->vma[i - 1], &mm->vma[i])) {
		mm->vma[i - 1].end = mm->vma[i].end;
		remove_at(mm, i);
	}
}

void vma_merge_around(struct mm *mm, uint64_t addr)
{
	size_t i = lower_bound(mm, addr);
	if (i < mm->nvma && mm->vma[i].start <= addr)
		merge_at(mm, i);
	else if (i > 0)
		merge_at(mm, i - 1);
}

bool vma_insert(struct mm *mm, struct vma v)
{
	if (!grow(mm))
		return false;
	size_t i = lower_bound(mm, v.start);
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof *mm->vma);
	mm->vma[i] = v;
	mm->nvma++;
	/* Private writable anonymous stacks stay separate from what is below them. */
	if (!(v.flags & VM_GROWSDOWN))
		merge_at(mm, i);
	return true;
}

bool vma_straddles(struct mm *mm, uint64_t addr)
{
	size_t i = lower_bound(mm, addr);
	return i < mm->nvma && mm->vma[i].start < addr;
}

bool vma_split(struct mm *mm, uint64_t addr)
{
	size_t i = lower_bound(mm, addr);
	if (i == mm->nvma || mm->vma[i].start >= addr)
		return true;        /* nothing straddles addr */
	if (!grow(mm))
		return false;
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof *mm->vma);
	mm->nvma++;
	mm->vma[i].end = addr;
	mm->vma[i + 1].start = addr;
	if (mm->vma[i + 1].file) {
		mm->vma[i + 1].offset += addr - mm->vma[i].start;
		inode_get(mm->vma[i + 1].file);
	}
	return true;
}

void vma_remove_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end)
{
	/* Callers split at start and end first. */
	if (!mm->nvma)
		return;
	if (end > mm->gap_hint)
		mm->gap_hint = 0;   /* a hole above it may be larger now */
	uint64_t total = mm_total_vm(mm);   /* VmPeak: the size before it shrinks */
	if (mm->hiwater_vm < total)
		mm->hiwater_vm = total;
	size_t i = lower_bound(mm, start);
	size_t j = i;
	while (j < mm->nvma && mm->vma[j].end <= end) {
		if (mm->vma[j].file)
			inode_put(k, mm->vma[j].file);
		j++;
	}
	memmove(&mm->vma[i], &mm->vma[j], (mm->nvma - j) * sizeof *mm->vma);
	mm->nvma -= j - i;
}

uint64_t mm_total_vm(const struct mm *mm)
{
	uint64_t total = 0;
	for (size_t i = 0; i < mm->nvma; i++)
		total += mm->vma[i].end - mm->vma[i].start;
	return total;
}

/* The highest gap of `len` bytes that ends at or below `below` and starts at
 * or above `floor`; 0 when there is none. */
uint64_t vma_gap_topdown(struct mm *mm, uint64_t len, uint64_t below, uint64_t floor)
{
	/* Every hole above the hint is smaller than len: start at the hint.
	 * Packed mappings then cost a lookup each, not a walk past them all. */
	uint64_t from = below, hole = 0;
	if (mm->gap_hint && mm->gap_below == below && mm->gap_floor == floor && len > mm->gap_hole) {
		from = mm->gap_hint;
		hole = mm->gap_hole;
	}
	size_t i = lower_bound(mm, from);   /* VMAs from i upward end above `from` */
	uint64_t top = from;
	if (i < mm->nvma && mm->vma[i].start < top)
		top = mm->vma[i].start;
	for (;;) {
		uint64_t bottom = i > 0 ? mm->vma[i - 1].end : floor;
		if (bottom < floor)
			bottom = floor;
		if (top >= bottom && top - bottom >= len) {
			/* The hint is the gap's top: a request that is not used
			 * after all leaves it right, a mapping made there too. */
			mm->gap_hint = top;
			mm->gap_below = below;
			mm->gap_floor = floor;
			mm->gap_hole = hole;
			return top - len;
		}
		if (top >= bottom && top - bottom > hole)
			hole = top - bottom;
		if (i == 0)
			return 0;
		i--;
		top = mm->vma[i].start;
	}
}
