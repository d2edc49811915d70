/* Frames: a binary buddy allocator over physical memory (as Linux's page
 * allocator), with a struct page per frame. Frame 0 is never handed out.
 * Allocation is deterministic: the lowest free block of the smallest
 * sufficient order, so the same run gets the same frames. */
#include "os/mm/mm.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

static void free_list_add(struct frames *f, unsigned order, uint64_t pfn)
{
	struct page *p = &f->page[pfn];
	p->prev = NONE;
	p->next = f->free_head[order];
	if (p->next != NONE)
		f->page[p->next].prev = (uint32_t)pfn;
	f->free_head[order] = (uint32_t)pfn;
	p->order = (uint8_t)order;
	p->flags = PG_BUDDY;
	p->use = USE_FREE;
}

static void free_list_del(struct frames *f, unsigned order, uint64_t pfn)
{
	struct page *p = &f->page[pfn];
	if (p->prev != NONE)
		f->page[p->prev].next = p->next;
	else
		f->free_head[order] = p->next;
	if (p->next != NONE)
		f->page[p->next].prev = p->prev;
	p->flags &= (uint8_t)~(PG_BUDDY | PG_SHARED);
}

bool frames_init(struct kernel *k)
{
	struct frames *f = &k->frames;
	f->n = physmem_frames(k->pm);
	if (f->n > NONE)
		return false;
	f->page = calloc(f->n, sizeof *f->page);
	if (!f->page)
		return false;
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
		f->free_head[o] = NONE;
	/* Cut [1, n) into the largest aligned blocks and push them from the top
	 * down, so each list's head is its lowest block. */
	uint64_t starts[64 * (BUDDY_MAX_ORDER + 1)];
	unsigned orders[64 * (BUDDY_MAX_ORDER + 1)], nb = 0;
	for (uint64_t pfn = 1; pfn < f->n;) {
		unsigned o = BUDDY_MAX_ORDER;
		while (o && ((pfn & ((1ull << o) - 1)) || pfn + (1ull << o) > f->n))
			o--;
		if (nb == sizeof orders / sizeof orders[0]) { /* a huge memory: push as we go */
			free_list_add(f, o, pfn);
		} else {
			starts[nb] = pfn;
			orders[nb++] = o;
		}
		pfn += 1ull << o;
	}
	while (nb--)
		free_list_add(f, orders[nb], starts[nb]);
	f->nfree = f->n - 1;
	f->by_use[USE_FREE] = f->n - 1;
	return true;
}

void frames_free_all(struct kernel *k)
{
	free(k->frames.page);
	k->frames.page = NULL;
}

static void frame_event(struct kernel *k, enum os_event_kind kind, uint64_t pfn, enum frame_use use)
{
	if (!observed(k))
		return;
	struct os_event ev = {.kind = kind, .pid = current_pid(k)};
	ev.u.frame.pa = pfn_pa(k, pfn);
	ev.u.frame.use = use;
	ev.u.frame.refcount = k->frames.page[pfn].refcount;
	emit(k, &ev);
}

/* Direct reclaim, when memory is short: its entry changes are not the
 * fault's own, so they are kept out of the fault record (they are still on
 * the event bus), and the record notes that reclaim ran. */
static void direct_reclaim(struct kernel *k)
{
	struct fault_record *r = k->rec;
	k->rec = NULL;
	uint64_t freed = reclaim(k, 32);
	k->rec = r;
	if (freed)
		record_step(k, STEP_RECLAIM);
}

uint64_t frame_alloc(struct kernel *k, unsigned order, enum frame_use use)
{
	struct frames *f = &k->frames;
	if (f->nfree < (1ull << order) || over_limit(k))
		direct_reclaim(k);
	if (over_limit(k))
		return NO_PFN;      /* the memory limit is hard, like memory.max */
	unsigned o = order;
	while (o <= BUDDY_MAX_ORDER && f->free_head[o] == NONE)
		o++;
	if (o > BUDDY_MAX_ORDER)
		return NO_PFN;
	uint64_t pfn = f->free_head[o];
	free_list_del(f, o, pfn);
	while (o > order) {                 /* split, keeping the lower half */
		o--;
		free_list_add(f, o, pfn + (1ull << o));
	}
	uint64_t n = 1ull << order;
	for (uint64_t i = 0; i < n; i++) {
		struct page *p = &f->page[pfn + i];
		*p = (struct page){.use = (uint8_t)use, .next = NONE, .prev = NONE};
	}
	f->page[pfn].refcount = 1;
	f->page[pfn].order = (uint8_t)order;
	f->nfree -= n;
	f->by_use[USE_FREE] -= n;
	f->by_use[use] += n;
	frame_event(k, EV_FRAME_ALLOC, pfn, use);
	return pfn;
}

static void frame_free(struct kernel *k, uint64_t pfn)
{
	struct frames *f = &k->frames;
	unsigned order = f->page[pfn].order;
	enum frame_use use = f->page[pfn].use;
	uint64_t n = 1ull << order;
	lru_del(k, pfn);
	f->by_use[use] -= n;
	f->by_use[USE_FREE] += n;
	f->nfree += n;
	frame_event(k, EV_FRAME_FREE, pfn, use);
	/* A free frame is a hole in physical memory: it costs the host nothing
	 * and reads as zeros, so a frame handed out needs no clearing. */
	physmem_discard(k->pm, pfn_pa(k, pfn), n * k->page);
	for (uint64_t i = 0; i < n; i++)
		f->page[pfn + i].use = USE_FREE;
	while (order < BUDDY_MAX_ORDER) {   /* coalesce with free buddies */
		uint64_t buddy = pfn ^ (1ull << order);
		if (buddy >= f->n || buddy == 0 || !(f->page[buddy].flags & PG_BUDDY) || f->page[buddy].order != order)
			break;
		free_list_del(f, order, buddy);
		pfn &= ~(1ull << order);
		order++;
	}
	free_list_add(f, order, pfn);
}

void frame_get(struct kernel *k, uint64_t pfn)
{
	k->frames.page[pfn].refcount++;
}

void frame_put(struct kernel *k, uint64_t pfn)
{
	struct page *p = &k->frames.page[pfn];
	if (p->use == USE_ZERO)
		return;           /* the zero page is never freed */
	if (--p->refcount == 0)
		frame_free(k, pfn);
}
