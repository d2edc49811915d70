/* Address spaces: exec's layout, mmap/munmap/mprotect/brk/msync/madvise
 * with the system calls' rules and errors, fork's copy and exit's teardown. */
#include "os/mm/mm.h"

#include <stdlib.h>
#include <string.h>

/* Linux keeps mmap_base at least 128 MiB below the stack (mmap_base(): MIN_GAP). */
#define MMAP_MIN_GAP (128ull << 20)
/* The initial stack VMA (setup_arg_pages expands it to 128 KiB). */
#define INITIAL_STACK (128ull << 10)
/* mmap_min_addr: nothing is mapped below 64 KiB. */
#define MMAP_MIN_ADDR 0x10000ull

static uint64_t page_up(const struct kernel *k, uint64_t v) { return (v + k->page - 1) & ~(k->page - 1); }
static bool aligned(const struct kernel *k, uint64_t v) { return !(v & (k->page - 1)); }

static uint16_t next_asid(struct kernel *k)
{
	if (k->next_asid == 0) {   /* wrapped: a new generation, as kernels roll over */
		smp_flush_all_everywhere(k);
		k->next_asid = 1;
	}
	return k->next_asid++;
}

bool mm_init(struct kernel *k, struct mm *mm, int pid)
{
	memset(mm, 0, sizeof *mm);
	mm->pid = pid;
	mm->asid = next_asid(k);
	mm->root = table_alloc(k, mm, k->fmt->top_level);
	if (mm->root == PT_NO_MEMORY) {
		mm->root = 0;   /* no tables: nothing for a later teardown to free */
		return false;
	}
	smp_flush_asid_everywhere(k, mm->asid);   /* a reused ASID must not see old entries */
	return true;
}

/* Unmap [start, end): VMAs, entries, tables no VMA needs; then the pages
 * written through shared file mappings there go back to their files. */
static void unmap_region(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end)
{
	vma_split(mm, start);
	vma_split(mm, end);
	struct { struct inode *i; uint64_t first, last; } *wb = NULL;
	size_t nwb = 0;
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = vma_find(mm, v->end)) {
		if (!v->file || !(v->flags & VM_SHARED))
			continue;
		void *n = realloc(wb, (nwb + 1) * sizeof *wb);
		if (!n)
			break;
		wb = n;
		inode_get(v->file);
		wb[nwb].i = v->file;
		wb[nwb].first = v->offset >> k->fmt->page_shift;
		wb[nwb++].last = ((v->offset + (v->end - v->start)) >> k->fmt->page_shift) - 1;
	}
	vma_remove_range(k, mm, start, end);
	zap_range(k, mm, start, end);
	for (size_t n = 0; n < nwb; n++) {
		writeback_range(k, wb[n].i, wb[n].first, wb[n].last);
		inode_put(k, wb[n].i);
	}
	free(wb);
}

void mm_teardown(struct kernel *k, struct mm *mm)
{
	if (mm->root) {
		unmap_region(k, mm, 0, k->user_top);
		free_all_tables(k, mm);
		smp_flush_asid_everywhere(k, mm->asid);
	}
	vma_array_free(mm);
}

static uint32_t prot_to_vm(uint32_t prot)
{
	/* PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4: the same bits as VM_*. */
	return prot & (VM_READ | VM_WRITE | VM_EXEC);
}

/* Linux's load_elf_binary after the point of no return: the old address
 * space goes, a new one gets the stack and an empty heap. */
int mm_exec(struct kernel *k, struct mm *mm, uint64_t stack_top, uint64_t brk)
{
	if (!aligned(k, stack_top) || stack_top > k->user_top || stack_top < k->cfg.stack_limit + MMAP_MIN_GAP)
		return -EINVAL;
	mm_teardown(k, mm);
	if (!mm_init(k, mm, mm->pid))
		return -ENOMEM;   /* the old address space went all the same */
	mm->stack_top = stack_top;
	/* Linux starts with a small grows-down stack; XNU and LiteOS-A reserve
	 * the whole stack up front and never grow it. */
	struct vma stack = {.end = stack_top, .flags = VM_READ | VM_WRITE};
	if (k->pers->stack_grows) {
		stack.start = stack_top - INITIAL_STACK;
		stack.flags |= VM_GROWSDOWN;
	} else {
		stack.start = stack_top - page_up(k, k->cfg.stack_limit);
	}
	if (!vma_insert(mm, stack))
		return -ENOMEM;
	mm->start_brk = mm->brk = page_up(k, brk);
	mm->mmap_base = stack_top - MMAP_MIN_GAP;
	if (k->mm_current == mm)
		mmu_set_context(k->mmu, mm->root, mm->asid);
	return 0;
}

int64_t mm_munmap(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len)
{
	if (!aligned(k, addr) || !len || addr >= k->user_top || page_up(k, len) > k->user_top - addr)
		return -EINVAL;
	/* A hole in the middle of a mapping makes one more (do_vmi_align_munmap). */
	struct vma *v = vma_find(mm, addr);
	if (v && v->start < addr && addr + page_up(k, len) < v->end && mm->nvma >= MAX_MAP_COUNT)
		return -ENOMEM;
	unmap_region(k, mm, addr, addr + page_up(k, len));
	return 0;
}

bool mm_enough_memory(const struct kernel *k, uint64_t pages)
{
	uint64_t ram = k->memlimit_frames ? k->memlimit_frames : k->frames.n;
	uint64_t swap = k->swap_slots ? k->swap_slots - 1 : 0;   /* slot 0 is the header */
	return pages <= ram + swap;
}

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);
	return !v || v->start >= end;
}

/* The descriptor's checks are the caller's (os_mmap): here the range. */
int64_t mm_mmap(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		struct inode *file, uint64_t offset)
{
	int64_t rc;
	uint64_t size = page_up(k, len);
	bool shared = flags & MAPF_SHARED;
	if (size == 0 || size > k->user_top - MMAP_MIN_ADDR) {
		rc = -ENOMEM;
	} else if (mm->nvma > MAX_MAP_COUNT) {   /* do_mmap: vm.max_map_count */
		rc = -ENOMEM;
	} else if (flags & MAPF_FIXED) {
		if (!aligned(k, addr))
			rc = -EINVAL;
		else if (addr < MMAP_MIN_ADDR || addr > k->user_top - size)
			rc = -ENOMEM;
		else
			rc = (int64_t)addr;
	} else {
		uint64_t hint = addr & ~(k->page - 1);
		if (hint >= MMAP_MIN_ADDR && hint <= k->user_top - size && range_free(mm, hint, hint + size))
			rc = (int64_t)hint;
		else {
			uint64_t a = vma_gap_topdown(mm, size, mm->mmap_base ? mm->mmap_base : k->user_top,
						     MMAP_MIN_ADDR);
			rc = a ? (int64_t)a : -ENOMEM;
		}
	}
	if (rc >= 0) {
		uint64_t start = (uint64_t)rc;
		if (flags & MAPF_FIXED)          /* MAP_FIXED replaces what was there */
			unmap_region(k, mm, start, start + size);
		struct vma v = {.start = start, .end = start + size, .flags = prot_to_vm(prot)};
		v.flags |= shared ? VM_SHARED : 0;
		v.flags |= flags & MAPF_GROWSDOWN ? VM_GROWSDOWN : 0;
		v.flags |= mm->def_flags | (flags & MAPF_LOCKED ? VM_LOCKED : 0);   /* mlockall(MCL_FUTURE), MAP_LOCKED */
		k->mlock_used |= (v.flags & VM_LOCKED) != 0;
		if (file) {
			v.file = file;
			v.offset = offset;
			inode_get(v.file);
		}
		if (!vma_insert(mm, v)) {
			if (file)
				inode_put(k, v.file);
			rc = -ENOMEM;
		}
	}
	return rc;
}

struct protect_ctx {
	const struct vma *v;
	bool changed;
};

/* change_protection: entries follow the new protection, except that write
 * permission is never granted here (a later write fault decides between
 * reuse and copy, as Linux does for private memory). PROT_NONE keeps the
 * page in an entry the hardware treats as not present (pte_make_protnone). */
static void protect_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
			 void *ctx)
{
	struct protect_ctx *c = ctx;
	struct pte n = pte_decode(k->fmt, level, pte_present_view(k->fmt, orig.raw));
	if (n.kind == PTE_INVALID)
		return;
	bool writable = c->v->flags & VM_WRITE;
	n.write = n.write && writable;
	n.dbm = n.dbm && writable;
	n.nx = !(c->v->flags & VM_EXEC);
	uint64_t val = pte_encode(k->fmt, level, &n);
	if (!(c->v->flags & (VM_READ | VM_WRITE | VM_EXEC)))
		val = pte_make_protnone(k->fmt, val);   /* the frame stays; the hardware sees nothing */
	if (val != orig.raw) {
		pte_write(k, mm, va, level, at, (pte_t){val}, true);
		c->changed = true;
	}
}

int64_t mm_mprotect(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot)
{
	int64_t rc = 0;
	uint64_t end = addr + page_up(k, len);
	if (!aligned(k, addr) || (prot & ~7u) || addr >= k->user_top || page_up(k, len) > k->user_top - addr) {
		rc = -EINVAL;
	} else if (len) {
		/* The whole range must be mapped. */
		for (uint64_t a = addr; a < end;) {
			struct vma *v = vma_find(mm, a);
			if (!v || v->start > a) {
				rc = -ENOMEM;
				break;
			}
			a = v->end;
		}
		/* split_vma: each split past vm.max_map_count is ENOMEM. */
		if (rc == 0 && ((vma_straddles(mm, addr) && mm->nvma >= MAX_MAP_COUNT) || !vma_split(mm, addr)))
			rc = -ENOMEM;
		if (rc == 0 && ((vma_straddles(mm, end) && mm->nvma >= MAX_MAP_COUNT) || !vma_split(mm, end)))
			rc = -ENOMEM;
		if (rc == 0) {
			bool changed = false;
			smp_batch_begin(k, mm);
			for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_find(mm, v->end)) {
				v->flags = (v->flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | prot_to_vm(prot);
				struct protect_ctx c = {.v = v};
				pt_for_each_leaf(k, mm, v->start, v->end, protect_leaf, &c);
				changed |= c.changed;
			}
			smp_batch_end(k, mm);
			vma_changed(mm, addr, end);
			if (changed && !k->smp)
				mmu_charge(k->mmu, COST_SHOOTDOWN, 1);
			vma_merge_range(mm, addr, end);
		}
	}
	return rc;
}

int64_t mm_brk(struct kernel *k, struct mm *mm, uint64_t addr)
{
	uint64_t result = mm->brk;
	if (addr >= mm->start_brk && addr < k->user_top) {
		uint64_t oldend = page_up(k, mm->brk), newend = page_up(k, addr);
		if (newend < oldend) {
			unmap_region(k, mm, newend, oldend);
			mm->brk = result = addr;
		} else if (newend == oldend) {
			mm->brk = result = addr;
		} else {
			/* The heap must stay a page below the next VMA's start gap
			 * (vm_start_gap: a stack's guard gap counts as taken). */
			struct vma *next = vma_find(mm, oldend);
			uint64_t limit = k->user_top;
			if (next) {
				uint64_t gap = next->flags & VM_GROWSDOWN ? k->cfg.stack_guard_gap : 0;
				limit = next->start > gap ? next->start - gap : 0;
			}
			struct vma v = {.start = oldend, .end = newend, .flags = VM_READ | VM_WRITE | mm->def_flags};
			if (newend + k->page <= limit && mm->nvma <= MAX_MAP_COUNT && vma_insert(mm, v))
				mm->brk = result = addr;
		}
	}
	return (int64_t)result;
}

/* The range must be mapped throughout (-ENOMEM otherwise), as msync and
 * madvise require. */
static int64_t check_range(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, uint64_t *end)
{
	if (!aligned(k, addr) || addr >= k->user_top || page_up(k, len) > k->user_top - addr)
		return -EINVAL;
	*end = addr + page_up(k, len);
	for (uint64_t a = addr; a < *end;) {
		struct vma *v = vma_find(mm, a);
		if (!v || v->start > a)
			return -ENOMEM;
		a = v->end;
	}
	return 0;
}

int64_t mm_msync(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, uint32_t flags)
{
	uint64_t end = 0;
	int64_t rc = (flags & MSF_SYNC) && (flags & MSF_ASYNC) ? -EINVAL : check_range(k, mm, addr, len, &end);
	/* MS_SYNC writes the range's dirty pages back now; MS_ASYNC and
	 * MS_INVALIDATE ask nothing of a kernel with a unified page cache. */
	if (rc == 0 && (flags & MSF_SYNC)) {
		for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_find(mm, v->end)) {
			if (!v->file || !(v->flags & VM_SHARED))
				continue;
			uint64_t s = addr > v->start ? addr : v->start, e = end < v->end ? end : v->end;
			uint64_t first = (v->offset + (s - v->start)) >> k->fmt->page_shift;
			uint64_t last = ((v->offset + (e - v->start)) >> k->fmt->page_shift) - 1;
			writeback_range(k, v->file, first, last);
			int err = pagecache_take_wb_err(v->file);
			if (err && !rc)
				rc = err;   /* lost data is reported, as filemap_write_and_wait_range does */
		}
	}
	return rc;
}

int64_t mm_madvise(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, enum os_advice advice)
{
	uint64_t end = 0;
	int64_t rc = check_range(k, mm, addr, len, &end);
	if (rc == 0) {
		switch (advice) {
		case ADV_NORMAL:
			break;
		case ADV_DONTNEED:
			/* The pages go; anonymous memory reads as zeros again, file
			 * pages come back from the page cache. */
			zap_range(k, mm, addr, end);
			break;
		case ADV_WILLNEED:
			/* Read a file mapping's pages into the page cache now. */
			for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_find(mm, v->end)) {
				if (!v->file)
					continue;
				uint64_t s = addr > v->start ? addr : v->start, e = end < v->end ? end : v->end;
				for (uint64_t a = s; a < e; a += k->page) {
					uint64_t index = (v->offset + (a - v->start)) >> k->fmt->page_shift;
					bool major = false;
					uint64_t pfn = index < inode_pages(k, v->file) ? pagecache_get(k, v->file, index, &major) : NO_PFN;
					if (pfn != NO_PFN)
						frame_put(k, pfn);
				}
			}
			break;
		case ADV_HUGEPAGE:
		case ADV_NOHUGEPAGE:
			vma_split(mm, addr);
			vma_split(mm, end);
			for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_find(mm, v->end)) {
				v->flags &= ~(VM_HUGEPAGE | VM_NOHUGEPAGE);
				v->flags |= advice == ADV_HUGEPAGE ? VM_HUGEPAGE : VM_NOHUGEPAGE;
			}
			vma_merge_around(mm, addr);
			vma_merge_around(mm, end);
			break;
		case ADV_COLD:
		case ADV_PAGEOUT:
			/* can_madv_lru_vma: locked VMAs are left alone. */
			for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_find(mm, v->end))
				if (!(v->flags & VM_LOCKED))
					reclaim_range(k, mm, addr > v->start ? addr : v->start, end < v->end ? end : v->end,
						      advice == ADV_PAGEOUT);
			break;
		}
	}
	return rc;
}

/* ---- fork -------------------------------------------------------------------- */
struct fork_ctx {
	struct mm *child;
	bool write_protected, failed;
};

/* copy_present_pte: private writable pages become read-only in both, the
 * frame shared; the child's copy is old (A/AF clear) and, for shared
 * mappings, clean. */
static void fork_leaf(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
		      void *ctx)
{
	struct fork_ctx *c = ctx;
	if (c->failed)
		return;
	uint64_t raw = orig.raw, view = pte_present_view(k->fmt, raw);
	struct pte d = pte_decode(k->fmt, level, view);
	ptep_t centry;
	if (d.kind == PTE_INVALID) {
		/* copy_nonpresent_pte: a swap entry is shared, its slot counted twice. */
		if (!pte_is_swap(k->fmt, raw))
			return;
		if (ptep_none(centry = entry_lookup(k, c->child, va, level, true))) {
			c->failed = true;
			return;
		}
		unsigned type;
		uint64_t slot;
		pte_swap_decode(k->fmt, raw, &type, &slot);
		k->swap_map[slot]++;
		c->child->swap_entries++;
		pte_write(k, c->child, va, level, centry, orig, false);
		return;
	}
	uint64_t cval = raw;   /* a PROT_NONE entry is copied as it is */
	if (view == raw) {
		struct vma *v = vma_find(mm, va);
		bool cow = v && !(v->flags & VM_SHARED) && (v->flags & VM_WRITE);
		if (cow && (d.write || d.dbm)) {
			struct pte ro = d;
			ro.write = false;
			ro.dbm = false;
			pte_write(k, mm, va, level, at, pte_make(k, level, &ro), false);
			c->write_protected = true;
			d = ro;
		}
		if (v && (v->flags & VM_SHARED)) {   /* pte_mkclean */
			d.dirty = false;                 /* x86 D */
			if (d.dbm)
				d.write = false;         /* arm64: AP[2] set, DBM kept: writable but clean */
		}
		if (k->pers->fork_mkold)
			d.accessed = false;
		cval = pte_encode(k->fmt, level, &d);
	}
	if (ptep_none(centry = entry_lookup(k, c->child, va, level, true))) {
		c->failed = true;
		return;
	}
	pte_write(k, c->child, va, level, centry, (pte_t){cval}, false);
	uint64_t pfn = pa_pfn(k, d.oa);
	struct page *pg = pfn_page(k, pfn);
	if (pg->use != USE_ZERO) {
		frame_get(k, pfn);
		pagecache_map_one(k, pg);
		if (pg->use == USE_PAGECACHE)
			c->child->rss_file++;
		else
			c->child->rss_anon += 1ull << block_order(k, level);
	}
}

bool mm_dup_vmas(struct mm *cm, const struct mm *pm)
{
	cm->vma = malloc((pm->nvma ? pm->nvma : 1) * sizeof *cm->vma);
	if (!cm->vma)
		return false;
	if (pm->nvma)   /* a process with no VMAs has no array at all */
		memcpy(cm->vma, pm->vma, pm->nvma * sizeof *cm->vma);
	cm->nvma = cm->cap = pm->nvma;
	cm->head = 0;
	for (size_t i = 0; i < cm->nvma; i++) {
		if (cm->vma[i].file)
			inode_get(cm->vma[i].file);
		cm->vma[i].flags &= ~VM_LOCKED_MASK;   /* locks are not inherited (dup_mmap), nor MCL_FUTURE */
	}
	cm->start_brk = pm->start_brk;
	cm->brk = pm->brk;
	cm->mmap_base = pm->mmap_base;
	cm->stack_top = pm->stack_top;
	/* dup_mm: the child's high-water marks start at what it maps (0 here:
	 * a reader takes the larger of a mark and the present count). */
	cm->arg_start = pm->arg_start;
	cm->arg_end = pm->arg_end;
	cm->env_start = pm->env_start;
	cm->env_end = pm->env_end;
	cm->anon_moved = pm->anon_moved;
	return true;
}

bool mm_dup_tables(struct kernel *k, struct mm *cm, struct mm *pm)
{
	struct fork_ctx fc = {.child = cm};
	for (size_t i = 0; i < pm->nvma && !fc.failed; i++)
		pt_for_each_leaf(k, pm, pm->vma[i].start, pm->vma[i].end, fork_leaf, &fc);
	if (fc.write_protected && k->smp) {
		smp_flush_mm(k, pm);
	} else if (fc.write_protected) {   /* flush_tlb_mm(oldmm) */
		mmu_flush_asid(k->mmu, pm->asid);
		mmu_charge(k->mmu, COST_SHOOTDOWN, 1);
	}
	return !fc.failed;
}

/* As the kernel reads its own tables (follow_page), not as the MMU does:
 * an entry whose access flag is clear still maps its frame. */
bool mm_translate(struct kernel *k, struct mm *mm, uint64_t va, uint64_t *pa)
{
	ptep_t at = pte_lookup(k, mm, va & ~(k->page - 1), false);
	if (ptep_none(at))
		return false;
	struct pte d = pte_decode(k->fmt, PT_LEVEL_LEAF, pte_read(k, at).raw);
	if (d.kind == PTE_INVALID)
		return false;
	*pa = d.oa + (va & (k->page - 1));
	return true;
}
