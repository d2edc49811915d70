/* Memory pressure: the LRU lists, reclaim, swap.
 *
 * Anonymous and page-cache pages sit on two lists, inactive and active, as
 * in Linux (before MGLRU). Reclaim scans the inactive list from its cold
 * end and gives each page a second chance by its accessed bits: it clears A
 * (AArch64 AF) in every entry mapping the page, invalidating the TLB entry
 * as a kernel must, and a page that had been used moves to the active list.
 * An unused page goes: a clean file page is dropped, a dirty one written
 * back first; an anonymous page is written to swap and every entry mapping
 * it becomes a swap entry in the architecture's encoding. A swapped-in page
 * stays in the swap cache while other entries still name its slot, so a
 * page shared by copy-on-write is still one page after it comes back. */
#include "os/mm/mm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NONE UINT32_MAX

/* ---- the lists ------------------------------------------------------------- */
static void list_unlink(struct kernel *k, uint64_t pfn)
{
	struct page *pg = pfn_page(k, pfn);
	int l = pg->lru - 1;
	if (pg->prev != NONE)
		pfn_page(k, pg->prev)->next = pg->next;
	else
		k->lru_head[l] = pg->next;
	if (pg->next != NONE)
		pfn_page(k, pg->next)->prev = pg->prev;
	else
		k->lru_tail[l] = pg->prev;
	k->lru_count[l]--;
	pg->lru = LRU_NONE;
	pg->next = pg->prev = NONE;
}

static void list_push(struct kernel *k, uint64_t pfn, int lru)
{
	struct page *pg = pfn_page(k, pfn);
	int l = lru - 1;
	pg->lru = (uint8_t)lru;
	pg->prev = NONE;
	pg->next = k->lru_head[l];
	if (pg->next != NONE)
		pfn_page(k, pg->next)->prev = (uint32_t)pfn;
	else
		k->lru_tail[l] = (uint32_t)pfn;
	k->lru_head[l] = (uint32_t)pfn;
	k->lru_count[l]++;
}

void lru_init(struct kernel *k)
{
	for (int l = 0; l < 2; l++) {
		k->lru_head[l] = k->lru_tail[l] = NONE;
		k->lru_count[l] = 0;
	}
}

void lru_add(struct kernel *k, uint64_t pfn)
{
	if (pfn_page(k, pfn)->lru == LRU_NONE)
		list_push(k, pfn, LRU_INACTIVE);
}

void lru_del(struct kernel *k, uint64_t pfn)
{
	if (pfn_page(k, pfn)->lru != LRU_NONE)
		list_unlink(k, pfn);
}

/* ---- swap ------------------------------------------------------------------- */
bool swap_init(struct kernel *k, char *err, size_t errlen)
{
	if (!k->cfg.swap_bytes)
		return true;
	k->swap_slots = k->cfg.swap_bytes >> k->fmt->page_shift;
	if (k->swap_slots < 2 || k->swap_slots > pte_swap_max_offset(k->fmt) || k->swap_slots > UINT32_MAX) {
		snprintf(err, errlen, "swap of %llu bytes: too small or too large", (unsigned long long)k->cfg.swap_bytes);
		return false;
	}
	/* The swap device: host memory standing in for a disk. Slot 0 is its
	 * header, as on Linux, and never used. */
	k->swap_fd = memfd_create("mmusim-swap", MFD_CLOEXEC);
	k->swap_map = calloc(k->swap_slots, sizeof *k->swap_map);
	k->swap_cache = malloc(k->swap_slots * sizeof *k->swap_cache);
	if (k->swap_fd < 0 || !k->swap_map || !k->swap_cache ||
	    ftruncate(k->swap_fd, (off_t)(k->swap_slots << k->fmt->page_shift))) {
		snprintf(err, errlen, "cannot create the swap area");
		return false;
	}
	for (uint64_t s = 0; s < k->swap_slots; s++)
		k->swap_cache[s] = NONE;
	k->swap_map[0] = UINT16_MAX;
	k->swap_free = k->swap_slots - 1;
	k->swap_next = 1;
	return true;
}

void swap_free_all(struct kernel *k)
{
	if (k->swap_fd > 0)
		close(k->swap_fd);
	free(k->swap_map);
	free(k->swap_cache);
}

static uint64_t swap_slot_alloc(struct kernel *k)
{
	if (!k->swap_free)
		return 0;
	while (k->swap_map[k->swap_next]) {
		k->swap_next++;
		if (k->swap_next == k->swap_slots)
			k->swap_next = 1;
	}
	k->swap_free--;
	return k->swap_next;
}

static void swap_event(struct kernel *k, enum os_event_kind kind, uint64_t pfn, uint64_t slot)
{
	if (!observed(k))
		return;
	struct os_event ev = {.kind = kind, .pid = current_pid(k)};
	ev.u.cache.pa = pfn_pa(k, pfn);
	ev.u.cache.index = slot;
	ev.u.cache.file = "swap";
	emit(k, &ev);
}

/* One reference to a slot goes (an entry naming it was dropped or swapped
 * in); the slot is free when none is left, and leaves the swap cache. */
void swap_slot_put(struct kernel *k, uint64_t slot)
{
	if (!slot || slot >= k->swap_slots || !k->swap_map[slot])
		return;
	if (--k->swap_map[slot])
		return;
	k->swap_free++;
	uint32_t pfn = k->swap_cache[slot];
	if (pfn != NONE) {
		k->swap_cache[slot] = NONE;
		pfn_page(k, pfn)->swap_slot = 0;
		frame_put(k, pfn);
	}
}

/* ---- the accessed bits ----------------------------------------------------------- */
static void clear_young_one(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
			    void *ctx)
{
	bool *young = ctx;
	struct pte d = pte_decode(k->fmt, level, orig.raw);
	if (!d.accessed)
		return;
	*young = true;
	d.accessed = false;    /* ptep_clear_flush_young: cleared, and the TLB entry invalidated */
	pte_write(k, mm, va, level, at, pte_make(k, level, &d), true);
}

static bool page_referenced(struct kernel *k, uint64_t pfn)
{
	bool young = false;
	rmap_walk(k, pfn, clear_young_one, &young);
	struct page *pg = pfn_page(k, pfn);
	young |= pg->flags & PG_REFERENCED;
	pg->flags &= (uint8_t)~PG_REFERENCED;
	return young;
}

/* ---- eviction ------------------------------------------------------------------------ */
struct unmap_ctx {
	pte_t swap_entry;      /* 0: clear the entries (a file page) */
	uint64_t slot;
};

static void unmap_for_reclaim(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
			      void *ctx)
{
	(void)level;   /* huge pages are not reclaimed: always a page */
	struct unmap_ctx *u = ctx;
	uint64_t pfn = pa_pfn(k, pte_decode(k->fmt, PT_LEVEL_LEAF, pte_present_view(k->fmt, orig.raw)).oa);
	struct page *pg = pfn_page(k, pfn);
	update_hiwater_rss(mm);   /* as try_to_unmap_one */
	pte_write(k, mm, va, PT_LEVEL_LEAF, at, u->swap_entry, true);
	if (u->swap_entry.raw) {
		k->swap_map[u->slot]++;
		mm->rss_anon--;
		mm->swap_entries++;
	} else {
		mm->rss_file--;
	}
	pg->mapcount--;
	frame_put(k, pfn);
}

/* A page can be evicted only when nothing but its mappings and the cache
 * hold it: an extra reference means the kernel is working on it. */
static bool evictable(const struct page *pg)
{
	uint32_t cache = pg->use == USE_PAGECACHE || pg->swap_slot ? 1 : 0;
	return pg->refcount == pg->mapcount + cache;
}

/* Evicts one page; returns whether its frame was freed. */
static bool evict(struct kernel *k, uint64_t pfn)
{
	struct page *pg = pfn_page(k, pfn);
	if (!evictable(pg) || pg->order)
		return false;      /* pinned, or a huge page (not split for reclaim here) */
	if (pg->use == USE_PAGECACHE) {
		struct inode *i = page_inode(k, pg);
		if (pg->flags & PG_DIRTY)
			writeback_range(k, i, pg->index, pg->index);
		struct unmap_ctx u = {0};
		rmap_walk(k, pfn, unmap_for_reclaim, &u);
		lru_del(k, pfn);
		pagecache_remove(k, i, pg->index);
		k->st.evicted++;
		swap_event(k, EV_EVICT, pfn, pg->index);
		frame_put(k, pfn);    /* the cache's reference: the frame is free */
		return true;
	}
	if (pg->use != USE_ANON || !k->swap_slots)
		return false;
	/* A page still in the swap cache was only ever mapped read-only there:
	 * its slot holds it already. Otherwise it is written to a new slot. */
	uint64_t slot = pg->swap_slot;
	bool cached = slot != 0;
	if (!cached) {
		slot = swap_slot_alloc(k);
		if (!slot)
			return false;     /* swap is full */
		const void *data = physmem_ptr(k->pm, pfn_pa(k, pfn), k->page);
		if (pwrite(k->swap_fd, data, k->page, (off_t)(slot << k->fmt->page_shift)) != (ssize_t)k->page) {
			k->swap_free++;
			return false;
		}
	}
	struct unmap_ctx u = {.swap_entry = {pte_encode_swap(k->fmt, 0, slot)}, .slot = slot};
	lru_del(k, pfn);
	frame_get(k, pfn);                 /* hold it while its entries change */
	rmap_walk(k, pfn, unmap_for_reclaim, &u);
	if (cached) {
		k->swap_cache[slot] = NONE;
		pg->swap_slot = 0;
		frame_put(k, pfn);         /* the swap cache's reference */
	} else if (!k->swap_map[slot]) {
		k->swap_free++;            /* no entry named it after all */
	}
	k->st.swapouts++;
	swap_event(k, EV_SWAP_OUT, pfn, slot);
	frame_put(k, pfn);                 /* the last reference: the frame is free */
	return true;
}

/* shrink_active_list: move the active list's cold end to the inactive list. */
static void refill_inactive(struct kernel *k, uint64_t n)
{
	while (n-- && k->lru_tail[1] != NONE) {
		uint64_t pfn = k->lru_tail[1];
		list_unlink(k, pfn);
		page_referenced(k, pfn);      /* start again from "not used" */
		list_push(k, pfn, LRU_INACTIVE);
	}
}

/* Frees up to `want` frames; returns how many. */
uint64_t reclaim(struct kernel *k, uint64_t want)
{
	uint64_t freed = 0;
	/* Two rounds over everything at most: the first gives second chances. */
	uint64_t budget = 2 * (k->lru_count[0] + k->lru_count[1]) + 32;
	while (freed < want && budget--) {
		if (k->lru_tail[0] == NONE) {
			if (k->lru_tail[1] == NONE)
				break;
			refill_inactive(k, 32);
			continue;
		}
		uint64_t pfn = k->lru_tail[0];
		k->st.scanned++;
		list_unlink(k, pfn);
		if (mlock_cull(k, pfn))
			continue;                        /* a locked VMA maps it: off the LRU for good */
		if (page_referenced(k, pfn)) {
			list_push(k, pfn, LRU_ACTIVE);   /* used since the last look: keep it */
			continue;
		}
		list_push(k, pfn, LRU_INACTIVE);     /* rotate first: evict unlinks it */
		if (evict(k, pfn))
			freed++;
		else {
			list_unlink(k, pfn);
			list_push(k, pfn, LRU_ACTIVE);   /* not now (no swap, pinned): out of the way */
		}
	}
	return freed;
}

bool over_limit(const struct kernel *k)
{
	uint64_t used = k->frames.n - 1 - k->frames.nfree;
	return k->memlimit_frames && used >= k->memlimit_frames;
}

/* ---- madvise(MADV_COLD / MADV_PAGEOUT) ------------------------------------------------- */
struct range_ctx {
	bool pageout;
};

static void cold_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx)
{
	(void)mm;
	(void)va;
	(void)at;
	struct range_ctx *c = ctx;
	struct pte d = pte_decode(k->fmt, level, orig.raw);
	if (d.kind == PTE_INVALID)
		return;
	uint64_t pfn = pa_pfn(k, d.oa);
	struct page *pg = pfn_page(k, pfn);
	if (pg->lru == LRU_NONE || pg->mapcount != 1 || pg->order)
		return;      /* only pages this process alone maps, as Linux does */
	list_unlink(k, pfn);
	list_push(k, pfn, LRU_INACTIVE);
	if (c->pageout) {
		page_referenced(k, pfn);
		evict(k, pfn);
	}
}

int64_t reclaim_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, bool pageout)
{
	struct range_ctx c = {pageout};
	pt_for_each_leaf(k, mm, start, end, cold_leaf, &c);
	return 0;
}

/* ---- do_swap_page ------------------------------------------------------------------------ */
void do_swap_page(const struct vm_fault *vmf)
{
	struct kernel *k = vmf->k;
	struct mm *mm = vmf->mm;
	struct fault_record *r = vmf->r;
	unsigned type;
	uint64_t slot;
	pte_swap_decode(k->fmt, vmf->orig_pte.raw, &type, &slot);
	record_step(k, STEP_SWAP_IN);
	if (type != 0 || !slot || slot >= k->swap_slots || !k->swap_map[slot]) {
		record_step(k, STEP_BAD_ENTRY);      /* a swap entry naming nothing */
		r->outcome = OUT_SIGBUS;
		r->signo = SIGBUS;
		r->si_code = BUS_OBJERR;
		return;
	}
	uint64_t pfn = k->swap_cache[slot];
	if (pfn == NONE) {
		pfn = frame_alloc(k, 0, USE_ANON);
		if (pfn == NO_PFN) {
			record_step(k, STEP_OOM);
			r->outcome = OUT_OOM;
			r->signo = SIGKILL;
			return;
		}
		void *data = physmem_ptr(k->pm, pfn_pa(k, pfn), k->page);
		if (pread(k->swap_fd, data, k->page, (off_t)(slot << k->fmt->page_shift)) != (ssize_t)k->page)
			memset(data, 0, k->page);
		mmu_charge(k->mmu, COST_BACKING_READ, 1);
		r->major = true;
		struct page *pg = pfn_page(k, pfn);
		pg->index = anon_index(vmf->vma, vmf->address, k->fmt->page_shift);
		pg->swap_slot = (uint32_t)slot;   /* the swap cache holds this reference (slots fit: swap_init) */
		k->swap_cache[slot] = (uint32_t)pfn;
		lru_add(k, pfn);
		k->st.swapins++;
		swap_event(k, EV_SWAP_IN, pfn, slot);
	}
	struct page *pg = pfn_page(k, pfn);
	frame_get(k, pfn);
	pg->mapcount++;
	mm->rss_anon++;
	mm->swap_entries--;
	bool last = k->swap_map[slot] == 1;
	/* Writable only when no other entry still names the slot: otherwise the
	 * page is shared and a write must copy it first. */
	bool writable = (vmf->vma->flags & VM_WRITE) && last && vmf->access == ACC_WRITE;
	struct pte p = leaf_for_vma(k, vmf->vma, pfn_pa(k, pfn), writable, writable);
	pte_write(k, mm, vmf->address, PT_LEVEL_LEAF, vmf->pte, pte_make(k, PT_LEVEL_LEAF, &p), true);
	swap_slot_put(k, slot);
	r->outcome = OUT_RESOLVED;
}
