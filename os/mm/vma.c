/* VMAs: a sorted array of non-overlapping areas per address space.
 * vma_find is a binary search (as fast as Linux's find_vma on a tree).
 * The array has free slots at both ends: insertion, splitting and removal
 * move the shorter side, so top-down mmaps (which land just above the
 * program and its heap, near the front) cost a few moves each, not the
 * whole array (docs/architecture.md, "Many mappings"). */
#include "os/mm/mm.h"

#include <stddef.h>
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

/* The VMAs in the middle of a buffer of cap slots (a new one when cap
 * differs): room at both ends again. */
static bool recenter(struct mm *mm, size_t cap)
{
	size_t head = (cap - mm->nvma) / 2;
	if (cap == mm->cap) {
		memmove(mm->vma - mm->head + head, mm->vma, mm->nvma * sizeof *mm->vma);
		mm->vma += (ptrdiff_t)head - (ptrdiff_t)mm->head;
		mm->head = head;
		return true;
	}
	struct vma *nb = malloc(cap * sizeof *nb);
	if (!nb)
		return false;
	if (mm->nvma)
		memcpy(nb + head, mm->vma, mm->nvma * sizeof *nb);
	free(mm->vma ? mm->vma - mm->head : NULL);
	mm->vma = nb + head;
	mm->head = head;
	mm->cap = cap;
	return true;
}

/* Opens a slot at index i, moving the shorter side out. When that side
 * has no room the array is centred first (in a larger buffer when less
 * than half its length is free): each move of the whole array buys room
 * for a quarter of its length of inserts at either end. */
static bool open_slot(struct mm *mm, size_t i)
{
	bool front = i < mm->nvma - i;
	size_t room = front ? mm->head : mm->cap - mm->head - mm->nvma;
	if (!room) {
		size_t free_slots = mm->cap - mm->nvma;
		if (!recenter(mm, free_slots >= mm->nvma / 2 + 2 ? mm->cap : mm->cap < 8 ? 16 : mm->cap * 2))
			return false;
	}
	if (front) {
		memmove(mm->vma - 1, mm->vma, i * sizeof *mm->vma);
		mm->vma--;
		mm->head--;
	} else {
		memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof *mm->vma);
	}
	mm->nvma++;
	return true;
}

/* Closes the slots [i, j), moving the shorter side in. */
static void close_slots(struct mm *mm, size_t i, size_t j)
{
	if (i < mm->nvma - j) {
		memmove(mm->vma + (j - i), mm->vma, i * sizeof *mm->vma);
		mm->vma += j - i;
		mm->head += j - i;
	} else {
		memmove(&mm->vma[i], &mm->vma[j], (mm->nvma - j) * sizeof *mm->vma);
	}
	mm->nvma -= j - i;
}

void vma_changed(struct mm *mm, uint64_t start, uint64_t end)
{
	if (start >= end)
		return;
	if (mm->changed_lo >= mm->changed_hi) {
		mm->changed_lo = start;
		mm->changed_hi = end;
		return;
	}
	if (start < mm->changed_lo)
		mm->changed_lo = start;
	if (end > mm->changed_hi)
		mm->changed_hi = end;
}

bool vma_changes_take(struct mm *mm, uint64_t *lo, uint64_t *hi)
{
	*lo = mm->changed_lo;
	*hi = mm->changed_hi;
	mm->changed_lo = mm->changed_hi = 0;
	return *lo < *hi;
}

void vma_array_free(struct mm *mm)
{
	free(mm->vma ? mm->vma - mm->head : NULL);
	mm->vma = NULL;
	mm->nvma = mm->cap = mm->head = 0;
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
	close_slots(mm, i, i + 1);
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
	vma_changed(mm, addr ? addr - 1 : 0, addr + 1);
	size_t i = lower_bound(mm, addr);
	if (i < mm->nvma && mm->vma[i].start <= addr)
		merge_at(mm, i);
	else if (i > 0)
		merge_at(mm, i - 1);
}

/* mprotect_fixup's merges over [start, end): each VMA there with its
 * neighbours alike, the ones at both ends included. */
void vma_merge_range(struct mm *mm, uint64_t start, uint64_t end)
{
	vma_changed(mm, start ? start - 1 : 0, end + 1);
	size_t i = lower_bound(mm, start ? start - 1 : 0);
	while (i + 1 < mm->nvma && mm->vma[i].start <= end) {
		if (mergeable(&mm->vma[i], &mm->vma[i + 1])) {
			mm->vma[i].end = mm->vma[i + 1].end;
			remove_at(mm, i + 1);
		} else {
			i++;
		}
	}
}

bool vma_insert(struct mm *mm, struct vma v)
{
	size_t i = lower_bound(mm, v.start);
	if (!open_slot(mm, i))
		return false;
	mm->vma[i] = v;
	vma_changed(mm, v.start, v.end);
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
	if (!open_slot(mm, i))
		return false;
	vma_changed(mm, addr - 1, addr + 1);
	mm->vma[i] = mm->vma[i + 1];
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
	vma_changed(mm, start, end);
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
	close_slots(mm, i, j);
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
