/* The page-fault handler: one model of the path the kernels take.
 *
 *   1. decode the access and syndrome; addresses outside user space fail
 *   2. find the VMA; below a grows-down VMA expand the stack (guard gap,
 *      stack limit), else SIGSEGV/SEGV_MAPERR
 *   3. check the VMA's permissions: SIGSEGV/SEGV_ACCERR
 *   4. allocate missing intermediate tables
 *   5. not present: the zero page for a read, a zeroed frame for a write
 *   6. present but write-protected: copy a shared frame, reuse a sole one
 *   7. AArch64 access-flag and software dirty-state faults
 *   8. no memory: the OOM outcome
 * The personality decides the policies and names the kernel's functions. */
#include "os/mm/mm.h"

#include <string.h>

static const char *const step_names[STEP_COUNT] = {
	"entry", "find_vma", "expand_stack", "bad_area", "access_error", "alloc_p4d", "alloc_pud",
	"alloc_pmd", "alloc_pte", "zero_page", "anon_page", "wp_copy", "wp_reuse", "set_young",
	"set_dirty", "spurious", "oom", "bad_entry", "pkey", "fault_around", "read_fault", "cow_fault",
	"shared_fault", "wp_shared", "pagecache_miss", "beyond_eof", "swap_in", "reclaim", "huge_page",
	"huge_fallback", "split_huge",
};
const char *fault_step_name(enum fault_step s) { return step_names[s]; }

static const char *const outcome_names[] = {"resolved", "SIGSEGV", "SIGBUS", "SIGKILL", "OOM"};
const char *fault_outcome_name(enum fault_outcome o) { return outcome_names[o]; }


static void finish(struct fault_record *r, enum fault_outcome o, int signo, int code)
{
	r->outcome = o;
	r->signo = signo;
	r->si_code = code;
}

static void bad_area(struct kernel *k, struct fault_record *r, int code)
{
	record_step(k, STEP_BAD_AREA);
	finish(r, OUT_SIGSEGV, SIGSEGV, code);
}

static void oom(struct kernel *k, struct fault_record *r)
{
	record_step(k, STEP_OOM);
	finish(r, OUT_OOM, SIGKILL, 0);
}

/* Step 2: the VMA, growing a stack if that is what the address asks for. */
static struct vma *find_vma_or_grow(struct kernel *k, const struct mm_task *t, uint64_t va)
{
	struct mm *mm = t->mm;
	record_step(k, STEP_FIND_VMA);
	struct vma *v = vma_find(mm, va);
	if (!v || v->start <= va)
		return v;
	if (!(v->flags & VM_GROWSDOWN) || !k->pers->stack_grows)
		return NULL;
	/* expand_downwards: within RLIMIT_STACK, and stack_guard_gap clear of
	 * the accessible VMA below. */
	uint64_t start = va & ~(k->page - 1);
	if (v->end - start > t->stack_limit)
		return NULL;
	struct vma *prev = vma_prev(mm, v);
	if (prev && !(prev->flags & VM_GROWSDOWN) && (prev->flags & (VM_READ | VM_WRITE | VM_EXEC)) &&
	    (start < prev->end || start - prev->end < k->cfg.stack_guard_gap))
		return NULL;
	v->start = start;
	record_step(k, STEP_EXPAND_STACK);
	return v;
}

/* Step 3, as each kernel checks it. Linux x86 (access_error): a write needs
 * VM_WRITE; a protection fault on a read or fetch is an error; otherwise any
 * access right will do. Linux arm64: a fetch needs VM_EXEC, a write
 * VM_WRITE, a read any right. XNU and LiteOS-A: the matching right. */
static bool access_allowed(const struct kernel *k, const struct vma *v, const struct mmu_fault *hw)
{
	uint32_t any = VM_READ | VM_WRITE | VM_EXEC;
	if (hw->access == ACC_WRITE)
		return v->flags & VM_WRITE;
	if (k->cfg.personality == PERS_LINUX) {
		if (k->fmt->arch == ARCH_X86_64)
			return hw->kind != FAULT_PERMISSION && (v->flags & any);
		return hw->access == ACC_FETCH ? (v->flags & VM_EXEC) : (v->flags & any);
	}
	return v->flags & (hw->access == ACC_FETCH ? VM_EXEC : VM_READ);
}

/* A frame from frame_alloc is zeros already (free frames are holes in
 * physical memory, frames.c): clearing it is only the cost the model
 * charges. Writing the zeros here would also map the page into the
 * kernel's view of physical memory, besides the guest's, and the host
 * would count it twice in mmusim's RSS. */
static void zero_frame(struct kernel *k, uint64_t pfn)
{
	(void)pfn;
	mmu_charge(k->mmu, COST_ZERO, k->page / 1024);
}

static void new_anon_mapping(struct kernel *k, struct mm *mm, uint64_t pfn, uint64_t va)
{
	struct page *pg = pfn_page(k, pfn);
	pg->mapcount = 1;
	pg->index = va >> k->fmt->page_shift;   /* where the reverse map will look for it */
	mm->rss_anon++;
	if (k->rec)
		k->rec->frames_allocated++;
	lru_add(k, pfn);
}

/* Step 5: do_anonymous_page. */
static void do_anonymous(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, uint64_t entry,
			 struct fault_record *r)
{
	bool shared = v->flags & VM_SHARED;
	if (r->access != ACC_WRITE && k->pers->zero_page && !shared) {
		struct pte z = leaf_for_vma(k, v, pfn_pa(k, k->zero_pfn), false, false);
		pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_encode(k->fmt, PT_LEVEL_LEAF, &z), true);
		record_step(k, STEP_ZERO_PAGE);
		finish(r, OUT_RESOLVED, 0, 0);
		return;
	}
	uint64_t pfn = frame_alloc(k, 0, USE_ANON);
	if (pfn == NO_PFN) {
		record_step(k, STEP_ANON_PAGE);   /* attempted */
		oom(k, r);
		return;
	}
	zero_frame(k, pfn);
	new_anon_mapping(k, mm, pfn, va);
	bool writable = v->flags & VM_WRITE;
	struct pte p = leaf_for_vma(k, v, pfn_pa(k, pfn), writable, writable);
	pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_encode(k->fmt, PT_LEVEL_LEAF, &p), true);
	record_step(k, STEP_ANON_PAGE);
	finish(r, OUT_RESOLVED, 0, 0);
}

/* Step 6: do_wp_page. A frame mapped or referenced elsewhere (or the zero
 * page) is copied; a frame only this entry holds is made writable in place. */
static void do_wp_page(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, uint64_t entry,
		       struct pte d, struct fault_record *r)
{
	uint64_t old = pa_pfn(k, d.oa);
	struct page *pg = pfn_page(k, old);
	bool from_zero = pg->use == USE_ZERO;
	if (!from_zero && pg->refcount == 1) {
		struct pte w = leaf_for_vma(k, v, d.oa, true, true);
		pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_encode(k->fmt, PT_LEVEL_LEAF, &w), true);
		record_step(k, STEP_WP_REUSE);
		finish(r, OUT_RESOLVED, 0, 0);
		return;
	}
	uint64_t pfn = frame_alloc(k, 0, USE_ANON);
	if (pfn == NO_PFN) {
		record_step(k, STEP_WP_COPY);     /* attempted */
		oom(k, r);
		return;
	}
	if (from_zero) {
		zero_frame(k, pfn);
	} else {
		memcpy(physmem_ptr(k->pm, pfn_pa(k, pfn), k->page), physmem_ptr(k->pm, d.oa, k->page), k->page);
		mmu_charge(k->mmu, COST_COPY, k->page / 1024);
		r->frames_copied++;
		k->st.cow_copies++;
	}
	new_anon_mapping(k, mm, pfn, va);
	struct pte w = leaf_for_vma(k, v, pfn_pa(k, pfn), true, true);
	pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_encode(k->fmt, PT_LEVEL_LEAF, &w), true);
	if (!from_zero) {
		pg->mapcount--;
		if (pg->use == USE_PAGECACHE)
			mm->rss_file--;
		else
			mm->rss_anon--;
		frame_put(k, old);
	}
	if (observed(k)) {
		struct os_event ev = {.kind = EV_COW_COPY, .pid = mm->pid};
		ev.u.cow.va = va;
		ev.u.cow.from = d.oa;
		ev.u.cow.to = pfn_pa(k, pfn);
		emit(k, &ev);
	}
	record_step(k, STEP_WP_COPY);
	finish(r, OUT_RESOLVED, 0, 0);
}

/* ---- file-backed pages (mm/memory.c do_fault, mm/filemap.c) ---------------- */
static void map_cache_page(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, uint64_t entry,
			   uint64_t pfn, bool writable, bool old)
{
	struct pte p = leaf_for_vma(k, v, pfn_pa(k, pfn), writable, writable);
	p.accessed = !old;
	pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_encode(k->fmt, PT_LEVEL_LEAF, &p), true);
	pfn_page(k, pfn)->mapcount++;
	mm->rss_file++;
}

/* The page-cache frame behind `index`, with a reference; a miss is a major
 * fault. NO_PFN when memory ran out. */
static uint64_t file_page(struct kernel *k, struct inode *i, uint64_t index, struct fault_record *r)
{
	bool major = false;
	uint64_t pfn = pagecache_get(k, i, index, &major);
	if (major) {
		r->major = true;
		record_step(k, STEP_PAGECACHE_MISS);
	}
	return pfn;
}

static uint64_t file_index(const struct kernel *k, const struct vma *v, uint64_t va)
{
	return (v->offset + (va - v->start)) >> k->fmt->page_shift;
}

/* do_fault_around: map the neighbours of a read fault that are already in
 * the page cache, within fault_around_bytes, the VMA and the page table.
 * Returns whether the faulting page itself was among them. */
static bool fault_around(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, struct fault_record *r)
{
	uint64_t bytes = k->pers->fault_around ? k->cfg.fault_around_bytes : 0;
	if (bytes <= k->page)
		return false;
	uint64_t table_span = 1ull << pt_leaf_shift(k->fmt, PT_LEVEL_LEAF - 1);
	uint64_t start = va & ~(bytes - 1), end;
	if (start < v->start)
		start = v->start;
	end = start + bytes;
	if (end > v->end)
		end = v->end;
	if (end > (va & ~(table_span - 1)) + table_span)
		end = (va & ~(table_span - 1)) + table_span;
	/* arm64 maps prefaulted entries old when the hardware keeps AF
	 * (arch_wants_old_prefaulted_pte), so only pages really used turn young. */
	bool old_prefault = k->fmt->arch == ARCH_AARCH64 && mmu_config_of(k->mmu)->hw_af;
	uint64_t pages = inode_pages(k, v->file);
	bool target = false;
	unsigned mapped = 0;
	mmu_charge(k->mmu, COST_PAGECACHE, 1);
	for (uint64_t a = start; a < end; a += k->page) {
		uint64_t index = file_index(k, v, a);
		if (index >= pages)
			break;
		uint64_t pfn = pagecache_lookup(v->file, index);
		if (pfn == NO_PFN || !(pfn_page(k, pfn)->flags & PG_UPTODATE))
			continue;
		uint64_t e = pte_lookup(k, mm, a, false);
		if (e == PT_NO_MEMORY || physmem_read64(k->pm, e))
			continue;
		frame_get(k, pfn);
		map_cache_page(k, mm, v, a, e, pfn, false, old_prefault && a != va);
		mapped++;
		target |= a == va;
	}
	if (mapped)
		record_step(k, STEP_FAULT_AROUND);
	r->pages_around = (uint16_t)mapped;
	return target;
}

/* do_fault: read, private write (copy) or shared write. */
static void do_fault(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, uint64_t entry,
		     struct fault_record *r)
{
	uint64_t index = file_index(k, v, va);
	bool beyond = index >= inode_pages(k, v->file);
	if (r->access != ACC_WRITE) {
		if (!beyond && fault_around(k, mm, v, va, r)) {
			finish(r, OUT_RESOLVED, 0, 0);
			return;
		}
		record_step(k, STEP_READ_FAULT);
	} else {
		record_step(k, v->flags & VM_SHARED ? STEP_SHARED_FAULT : STEP_COW_FAULT);
	}
	if (beyond) {   /* filemap_fault: no page past the end of the file */
		record_step(k, STEP_BEYOND_EOF);
		finish(r, OUT_SIGBUS, SIGBUS, BUS_ADRERR);
		return;
	}
	uint64_t pfn = file_page(k, v->file, index, r);
	if (pfn == NO_PFN) {
		oom(k, r);
		return;
	}
	if (r->access != ACC_WRITE) {          /* do_read_fault: read-only, even if writable */
		map_cache_page(k, mm, v, va, entry, pfn, false, false);
	} else if (v->flags & VM_SHARED) {     /* do_shared_fault: writable, dirty */
		pfn_page(k, pfn)->flags |= PG_DIRTY;
		map_cache_page(k, mm, v, va, entry, pfn, true, false);
	} else {                               /* do_cow_fault: a private copy */
		uint64_t copy = frame_alloc(k, 0, USE_ANON);
		if (copy == NO_PFN) {
			frame_put(k, pfn);
			oom(k, r);
			return;
		}
		memcpy(physmem_ptr(k->pm, pfn_pa(k, copy), k->page), physmem_ptr(k->pm, pfn_pa(k, pfn), k->page), k->page);
		mmu_charge(k->mmu, COST_COPY, k->page / 1024);
		r->frames_copied++;
		frame_put(k, pfn);
		new_anon_mapping(k, mm, copy, va);
		struct pte p = leaf_for_vma(k, v, pfn_pa(k, copy), true, true);
		pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_encode(k->fmt, PT_LEVEL_LEAF, &p), true);
		if (observed(k)) {
			struct os_event ev = {.kind = EV_COW_COPY, .pid = mm->pid};
			ev.u.cow.va = va;
			ev.u.cow.from = pfn_pa(k, pfn);
			ev.u.cow.to = pfn_pa(k, copy);
			emit(k, &ev);
		}
	}
	finish(r, OUT_RESOLVED, 0, 0);
}

/* wp_page_shared: a write to a clean page of a shared mapping makes it
 * writable and dirty in place; nothing is copied. */
static void wp_page_shared(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, uint64_t entry,
			   struct pte d, struct fault_record *r)
{
	struct page *pg = pfn_page(k, pa_pfn(k, d.oa));
	pg->flags |= PG_DIRTY;
	struct pte w = leaf_for_vma(k, v, d.oa, true, true);
	pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_encode(k->fmt, PT_LEVEL_LEAF, &w), true);
	record_step(k, STEP_WP_SHARED);
	finish(r, OUT_RESOLVED, 0, 0);
}

/* The end of handle_pte_fault and huge_pmd_set_accessed: the entry made
 * young, and written if anything changed; if nothing did, the fault was
 * spurious (the entry already allowed the access). */
static void set_access_flags(struct kernel *k, struct mm *mm, uint64_t va, int level, uint64_t entry, uint64_t raw,
			     struct pte d, struct fault_record *r)
{
	if (!d.accessed) {
		d.accessed = true;                         /* pte_mkyoung */
		record_step(k, STEP_SET_YOUNG);
	}
	uint64_t val = pte_encode(k->fmt, level, &d);
	if (val == raw)
		record_step(k, STEP_SPURIOUS);
	else
		pte_write(k, mm, va, level, entry, val, true);
	finish(r, OUT_RESOLVED, 0, 0);
}

/* ---- transparent huge pages (mm/huge_memory.c) ------------------------------ */
static bool thp_enabled(const struct kernel *k, const struct vma *v)
{
	if (!k->pers->thp || k->cfg.thp == THP_NEVER || v->file || (v->flags & (VM_SHARED | VM_NOHUGEPAGE)))
		return false;
	return k->cfg.thp == THP_ALWAYS || (v->flags & VM_HUGEPAGE);
}

/* do_huge_pmd_anonymous_page: an empty level-2 entry whose whole region
 * lies in the VMA gets a huge page. False to fall back to base pages. */
static bool do_huge_anonymous(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, struct fault_record *r)
{
	const int level = PT_LEVEL_LEAF - 1;
	uint64_t size = 1ull << pt_leaf_shift(k->fmt, level), haddr = va & ~(size - 1);
	if (!thp_enabled(k, v) || !pt_level_info(k->fmt, level)->block_ok || haddr < v->start || haddr + size > v->end)
		return false;
	uint64_t entry = entry_lookup(k, mm, haddr, level, true);
	if (entry == PT_NO_MEMORY || physmem_read64(k->pm, entry))
		return false;   /* a page table is there already: base pages */
	unsigned order = block_order(k, level);
	uint64_t head = frame_alloc(k, order, USE_ANON);
	if (head == NO_PFN) {
		record_step(k, STEP_HUGE_FALLBACK);
		k->st.thp_fallbacks++;
		return false;
	}
	mmu_charge(k->mmu, COST_ZERO, size / 1024);   /* zeros already: see zero_frame */
	struct page *pg = pfn_page(k, head);
	pg->mapcount = 1;
	pg->index = haddr >> k->fmt->page_shift;
	mm->rss_anon += 1ull << order;
	lru_add(k, head);
	bool writable = v->flags & VM_WRITE;
	struct pte b = leaf_for_vma(k, v, pfn_pa(k, head), writable, writable);
	b.kind = PTE_BLOCK;
	pte_write(k, mm, haddr, level, entry, pte_encode(k->fmt, level, &b), true);
	r->frames_allocated++;
	r->huge = true;
	k->st.thp_allocs++;
	record_step(k, STEP_HUGE_PAGE);
	finish(r, OUT_RESOLVED, 0, 0);
	return true;
}

/* A fault where a block entry maps the address (wp_huge_pmd,
 * huge_pmd_set_accessed). Returns false when the block was split and the
 * fault goes on at the page level. */
static bool huge_block_fault(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t va, int level,
			     uint64_t entry, struct fault_record *r)
{
	uint64_t raw = physmem_read64(k->pm, entry);
	struct pte d = pte_decode(k->fmt, level, raw);
	uint64_t base = va & ~((1ull << pt_leaf_shift(k->fmt, level)) - 1);
	if (r->access == ACC_WRITE && !d.write && !d.dbm) {
		uint64_t head = pa_pfn(k, d.oa);
		if (pfn_page(k, head)->refcount > 1 || (v->flags & VM_SHARED)) {
			/* do_huge_pmd_wp_page: shared, so split and copy a page. */
			record_step(k, STEP_SPLIT_HUGE);
			if (!split_huge_page(k, head)) {
				oom(k, r);
				return true;
			}
			return false;
		}
		d.write = true;
		d.dirty = true;
		record_step(k, STEP_WP_REUSE);
	} else if (r->access == ACC_WRITE && !d.write) {
		d.write = true;
		record_step(k, STEP_SET_DIRTY);
	}
	r->huge = true;
	set_access_flags(k, mm, base, level, entry, raw, d, r);
	return true;
}

/* Steps 4 to 8 for an address inside an allowed VMA. */
static void handle_pte_fault(struct kernel *k, struct mm *mm, const struct vma *v, struct fault_record *r)
{
	uint64_t va = r->va & ~(k->page - 1);
	int level;
	uint64_t leaf = leaf_lookup(k, mm, va, &level);
	if (leaf != PT_NO_MEMORY && level < PT_LEVEL_LEAF &&
	    pte_decode(k->fmt, level, physmem_read64(k->pm, leaf)).kind == PTE_BLOCK &&
	    huge_block_fault(k, mm, v, va, level, leaf, r))
		return;
	if (leaf == PT_NO_MEMORY && do_huge_anonymous(k, mm, v, va, r))
		return;
	uint64_t entry = pte_lookup(k, mm, va, true);
	if (entry == PT_NO_MEMORY) {
		oom(k, r);
		return;
	}
	uint64_t raw = physmem_read64(k->pm, entry);
	if (raw && pte_is_protnone(k->fmt, raw)) {
		/* A PROT_NONE entry in a VMA that allows the access again: restore it. */
		pte_write(k, mm, va, PT_LEVEL_LEAF, entry, pte_from_protnone(k->fmt, raw), true);
		record_step(k, STEP_SPURIOUS);
		finish(r, OUT_RESOLVED, 0, 0);
		return;
	}
	struct pte d = pte_decode(k->fmt, PT_LEVEL_LEAF, raw);
	if (d.kind == PTE_INVALID) {
		if (raw && pte_is_swap(k->fmt, raw))
			do_swap_page(k, mm, v, va, entry, raw, r);
		else if (v->file)
			do_fault(k, mm, v, va, entry, r);
		else
			do_anonymous(k, mm, v, va, entry, r);
		return;
	}
	/* handle_pte_fault: a write to a read-only entry goes to do_wp_page
	 * before anything else; otherwise the entry is made dirty (a DBM page)
	 * and young. */
	if (r->access == ACC_WRITE && !d.write) {
		if (!d.dbm) {
			if ((v->flags & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED))
				wp_page_shared(k, mm, v, va, entry, d, r);
			else
				do_wp_page(k, mm, v, va, entry, d, r);
			return;
		}
		d.write = true;                            /* pte_mkdirty: clear AP[2] */
		record_step(k, STEP_SET_DIRTY);
	}
	set_access_flags(k, mm, va, PT_LEVEL_LEAF, entry, raw, d, r);
}

static void resolve(struct kernel *k, const struct mm_task *t, struct fault_record *r)
{
	const struct mmu_fault *hw = &r->hw;
	if (hw->kind == FAULT_NONCANONICAL || r->va >= k->user_top) {
		/* x86 raises #GP for a non-canonical address: SIGSEGV, SI_KERNEL. */
		bad_area(k, r, hw->kind == FAULT_NONCANONICAL && k->fmt->arch == ARCH_X86_64 ? SI_KERNEL : SEGV_MAPERR);
		return;
	}
	if (hw->kind == FAULT_RESERVED || hw->kind == FAULT_EXTERNAL) {
		record_step(k, STEP_BAD_ENTRY);
		if (hw->kind == FAULT_RESERVED)
			finish(r, OUT_SIGKILL, SIGKILL, 0);      /* pgtable_bad / do_bad */
		else
			finish(r, OUT_SIGBUS, SIGBUS, BUS_OBJERR);
		return;
	}
	struct vma *v = find_vma_or_grow(k, t, r->va);
	if (!v) {
		bad_area(k, r, SEGV_MAPERR);
		return;
	}
	r->have_vma = true;
	r->vma = *v;
	if (hw->kind == FAULT_PKEY) {
		record_step(k, STEP_PKEY);
		finish(r, OUT_SIGSEGV, SIGSEGV, SEGV_PKUERR);
		return;
	}
	if (!access_allowed(k, v, hw)) {
		record_step(k, STEP_ACCESS_ERROR);
		if (k->pers->prot_fault_sigbus)
			finish(r, OUT_SIGBUS, SIGBUS, BUS_ADRERR);
		else
			finish(r, OUT_SIGSEGV, SIGSEGV, SEGV_ACCERR);
		return;
	}
	handle_pte_fault(k, t->mm, v, r);
}

static void handle_fault(struct kernel *k, const struct mm_task *t, const struct mmu_fault *hw,
			 struct fault_record *r)
{
	memset(r, 0, sizeof *r);
	r->seq = ++k->fault_seq;
	r->pid = t->mm->pid;
	r->va = hw->va;
	r->access = hw->access;
	r->hw = *hw;
	k->rec = r;
	uint64_t c0 = mmu_total_cycles(k->mmu);
	mmu_charge(k->mmu, COST_TRAP, 1);
	mmu_charge(k->mmu, COST_HANDLER, 1);
	record_step(k, STEP_ENTRY);
	resolve(k, t, r);
	personality_chain(k, r);
	r->cycles = mmu_total_cycles(k->mmu) - c0;
	if (k->pc_hook) {   /* after the fix-up, so a fetched page can be disassembled */
		r->pc = hw->access == ACC_FETCH ? hw->va : 0;
		k->pc_hook(k->pc_ctx, r);
	}
	k->rec = NULL;

	k->st.faults++;
	if (r->outcome == OUT_RESOLVED) {
		k->st.minor += !r->major;
		k->st.major += r->major;
		t->counts->minflt += !r->major;
		t->counts->majflt += r->major;
	}
	k->st.by_outcome[r->outcome]++;
	for (int i = 0; i < r->nsteps; i++)
		k->st.by_step[r->steps[i]]++;
	if (observed(k)) {
		struct os_event ev = {.kind = EV_FAULT, .pid = t->mm->pid};
		ev.u.fault = r;
		emit(k, &ev);
	}
}

/* A fault the handler resolves is retried; an access can take more than one
 * (an access-flag fault, then a write-protect fault). Four is more than any
 * path needs; a fault that keeps coming back is a kernel bug, reported as
 * SIGBUS rather than a hang. */
#define MAX_RETRIES 4

enum fault_outcome mm_access(struct kernel *k, const struct mm_task *t, uint64_t va, enum mmu_access acc,
			     struct mmu_xlate *x, struct fault_record *r)
{
	for (int tries = 0; tries < MAX_RETRIES; tries++) {
		if (mmu_access(k->mmu, va, acc, true, x))
			return OUT_RESOLVED;
		handle_fault(k, t, &x->fault, r);
		if (r->outcome != OUT_RESOLVED)
			return r->outcome;
	}
	return OUT_SIGBUS;
}

bool os_access_tlb(struct kernel *k, uint64_t va, enum mmu_access acc)
{
	return !op_hooked(k) && mmu_access_tlb(k->mmu, va, acc, true);
}

bool os_probe_access(struct kernel *k, uint64_t va, enum mmu_access acc, struct mmu_xlate *x)
{
	struct mm *mm = k->mm_current;
	return mm && mmu_walk(k->mmu, mm->root, va, acc, true, true, x);
}
