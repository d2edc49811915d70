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
	vma_changed(mm, start, v->start);
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

static void new_anon_mapping(struct kernel *k, struct mm *mm, const struct vma *v, uint64_t pfn, uint64_t va)
{
	struct page *pg = pfn_page(k, pfn);
	pg->mapcount = 1;
	pg->index = anon_index(v, va, k->fmt->page_shift);   /* where the reverse map will look for it */
	mm->rss_anon++;
	if (k->rec)
		k->rec->frames_allocated++;
	lru_add(k, pfn);
}

/* The leaf entry the handler settles on for the faulting page. */
static void set_pte(const struct vm_fault *vmf, const struct pte *d)
{
	pte_write(vmf->k, vmf->mm, vmf->address, PT_LEVEL_LEAF, vmf->pte, pte_make(vmf->k, PT_LEVEL_LEAF, d), true);
}

static void cow_event(const struct vm_fault *vmf, uint64_t from, uint64_t to)
{
	struct kernel *k = vmf->k;
	if (!observed(k))
		return;
	struct os_event ev = {.kind = EV_COW_COPY, .pid = vmf->mm->pid};
	ev.u.cow.va = vmf->address;
	ev.u.cow.from = from;
	ev.u.cow.to = to;
	emit(k, &ev);
}

/* Step 5: do_anonymous_page. */
static void do_anonymous(const struct vm_fault *vmf)
{
	struct kernel *k = vmf->k;
	const struct vma *v = vmf->vma;
	bool shared = v->flags & VM_SHARED;
	if (vmf->access != ACC_WRITE && k->pers->zero_page && !shared) {
		struct pte z = leaf_for_vma(k, v, pfn_pa(k, k->zero_pfn), false, false);
		set_pte(vmf, &z);
		record_step(k, STEP_ZERO_PAGE);
		finish(vmf->r, OUT_RESOLVED, 0, 0);
		return;
	}
	uint64_t pfn = frame_alloc(k, 0, USE_ANON);
	if (pfn == NO_PFN) {
		record_step(k, STEP_ANON_PAGE);   /* attempted */
		oom(k, vmf->r);
		return;
	}
	zero_frame(k, pfn);
	new_anon_mapping(k, vmf->mm, vmf->vma, pfn, vmf->address);
	bool writable = v->flags & VM_WRITE;
	struct pte p = leaf_for_vma(k, v, pfn_pa(k, pfn), writable, writable);
	set_pte(vmf, &p);
	record_step(k, STEP_ANON_PAGE);
	finish(vmf->r, OUT_RESOLVED, 0, 0);
}

/* Step 6: do_wp_page. A frame mapped or referenced elsewhere (or the zero
 * page) is copied; a frame only this entry holds is made writable in place. */
static void do_wp_page(const struct vm_fault *vmf, struct pte d)
{
	struct kernel *k = vmf->k;
	struct mm *mm = vmf->mm;
	uint64_t old = pa_pfn(k, d.oa);
	struct page *pg = pfn_page(k, old);
	bool from_zero = pg->use == USE_ZERO;
	if (!from_zero && pg->refcount == 1) {
		struct pte w = leaf_for_vma(k, vmf->vma, d.oa, true, true);
		set_pte(vmf, &w);
		record_step(k, STEP_WP_REUSE);
		finish(vmf->r, OUT_RESOLVED, 0, 0);
		return;
	}
	uint64_t pfn = frame_alloc(k, 0, USE_ANON);
	if (pfn == NO_PFN) {
		record_step(k, STEP_WP_COPY);     /* attempted */
		oom(k, vmf->r);
		return;
	}
	if (from_zero) {
		zero_frame(k, pfn);
	} else {
		memcpy(physmem_ptr(k->pm, pfn_pa(k, pfn), k->page), physmem_ptr(k->pm, d.oa, k->page), k->page);
		mmu_charge(k->mmu, COST_COPY, k->page / 1024);
		vmf->r->frames_copied++;
		k->st.cow_copies++;
	}
	new_anon_mapping(k, mm, vmf->vma, pfn, vmf->address);
	struct pte w = leaf_for_vma(k, vmf->vma, pfn_pa(k, pfn), true, true);
	set_pte(vmf, &w);
	if (!from_zero) {
		pg->mapcount--;
		if (pg->use == USE_PAGECACHE)
			mm->rss_file--;
		else
			mm->rss_anon--;
		frame_put(k, old);
	}
	cow_event(vmf, d.oa, pfn_pa(k, pfn));
	record_step(k, STEP_WP_COPY);
	finish(vmf->r, OUT_RESOLVED, 0, 0);
}

/* ---- file-backed pages (mm/memory.c do_fault, mm/filemap.c) ---------------- */
/* A page-cache frame that other entries mapped already is now shared: say
 * which page of which file, and how many entries map it. */
static void share_event(const struct vm_fault *vmf, uint64_t va, uint64_t pfn)
{
	struct kernel *k = vmf->k;
	const struct page *pg = pfn_page(k, pfn);
	if (!observed(k) || pg->mapcount < 2)
		return;
	struct os_event ev = {.kind = EV_PAGECACHE_SHARE, .pid = vmf->mm->pid};
	ev.u.share.pa = pfn_pa(k, pfn);
	ev.u.share.va = va;
	ev.u.share.offset = pg->index << k->fmt->page_shift;
	ev.u.share.file = inode_name(page_inode(k, pg));
	ev.u.share.mapcount = pg->mapcount;
	emit(k, &ev);
}

/* Maps page-cache frame pfn at va (the faulting page, or a neighbour that
 * fault-around maps) through the entry at `at`. */
static void map_cache_page(const struct vm_fault *vmf, uint64_t va, ptep_t at, uint64_t pfn, bool writable, bool old)
{
	struct kernel *k = vmf->k;
	struct pte p = leaf_for_vma(k, vmf->vma, pfn_pa(k, pfn), writable, writable);
	p.accessed = !old;
	pte_write(k, vmf->mm, va, PT_LEVEL_LEAF, at, pte_make(k, PT_LEVEL_LEAF, &p), true);
	pagecache_map_one(k, pfn_page(k, pfn));
	vmf->mm->rss_file++;
	share_event(vmf, va, pfn);
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
static bool fault_around(const struct vm_fault *vmf)
{
	struct kernel *k = vmf->k;
	const struct vma *v = vmf->vma;
	uint64_t va = vmf->address;
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
		ptep_t at = pte_lookup(k, vmf->mm, a, false);
		if (ptep_none(at) || pte_read(k, at).raw)
			continue;
		frame_get(k, pfn);
		map_cache_page(vmf, a, at, pfn, false, old_prefault && a != va);
		mapped++;
		target |= a == va;
	}
	if (mapped)
		record_step(k, STEP_FAULT_AROUND);
	vmf->r->pages_around = (uint16_t)mapped;
	return target;
}

/* do_cow_fault's private copy of page-cache frame pfn. */
static void cow_file_page(const struct vm_fault *vmf, uint64_t pfn)
{
	struct kernel *k = vmf->k;
	uint64_t copy = frame_alloc(k, 0, USE_ANON);
	if (copy == NO_PFN) {
		frame_put(k, pfn);
		oom(k, vmf->r);
		return;
	}
	memcpy(physmem_ptr(k->pm, pfn_pa(k, copy), k->page), physmem_ptr(k->pm, pfn_pa(k, pfn), k->page), k->page);
	mmu_charge(k->mmu, COST_COPY, k->page / 1024);
	vmf->r->frames_copied++;
	frame_put(k, pfn);
	new_anon_mapping(k, vmf->mm, vmf->vma, copy, vmf->address);
	struct pte p = leaf_for_vma(k, vmf->vma, pfn_pa(k, copy), true, true);
	set_pte(vmf, &p);
	cow_event(vmf, pfn_pa(k, pfn), pfn_pa(k, copy));
	finish(vmf->r, OUT_RESOLVED, 0, 0);
}

/* do_fault: read, private write (copy) or shared write. */
static void do_fault(const struct vm_fault *vmf)
{
	struct kernel *k = vmf->k;
	const struct vma *v = vmf->vma;
	struct fault_record *r = vmf->r;
	uint64_t index = file_index(k, v, vmf->address);
	bool beyond = index >= inode_pages(k, v->file);
	if (vmf->access != ACC_WRITE) {
		if (!beyond && fault_around(vmf)) {
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
	if (vmf->access != ACC_WRITE) {        /* do_read_fault: read-only, even if writable */
		map_cache_page(vmf, vmf->address, vmf->pte, pfn, false, false);
	} else if (v->flags & VM_SHARED) {     /* do_shared_fault: writable, dirty */
		pfn_page(k, pfn)->flags |= PG_DIRTY;
		map_cache_page(vmf, vmf->address, vmf->pte, pfn, true, false);
	} else {                               /* do_cow_fault: a private copy */
		cow_file_page(vmf, pfn);
		return;
	}
	finish(r, OUT_RESOLVED, 0, 0);
}

/* wp_page_shared: a write to a clean page of a shared mapping makes it
 * writable and dirty in place; nothing is copied. */
static void wp_page_shared(const struct vm_fault *vmf, struct pte d)
{
	struct kernel *k = vmf->k;
	struct page *pg = pfn_page(k, pa_pfn(k, d.oa));
	pg->flags |= PG_DIRTY;
	struct pte w = leaf_for_vma(k, vmf->vma, d.oa, true, true);
	set_pte(vmf, &w);
	record_step(k, STEP_WP_SHARED);
	finish(vmf->r, OUT_RESOLVED, 0, 0);
}

/* The end of handle_pte_fault and huge_pmd_set_accessed: the entry at `at`
 * (for va, at `level`) made young, and written if anything changed; if
 * nothing did, the fault was spurious (the entry already allowed it). */
static void set_access_flags(const struct vm_fault *vmf, uint64_t va, int level, ptep_t at, pte_t orig, struct pte d)
{
	struct kernel *k = vmf->k;
	if (!d.accessed) {
		d.accessed = true;                         /* pte_mkyoung */
		record_step(k, STEP_SET_YOUNG);
	}
	pte_t val = pte_make(k, level, &d);
	if (val.raw == orig.raw)
		record_step(k, STEP_SPURIOUS);
	else
		pte_write(k, vmf->mm, va, level, at, val, true);
	finish(vmf->r, OUT_RESOLVED, 0, 0);
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
static bool do_huge_anonymous(const struct vm_fault *vmf)
{
	struct kernel *k = vmf->k;
	const struct vma *v = vmf->vma;
	struct fault_record *r = vmf->r;
	const int level = PT_LEVEL_LEAF - 1;
	uint64_t size = 1ull << pt_leaf_shift(k->fmt, level), haddr = vmf->address & ~(size - 1);
	if (!thp_enabled(k, v) || !pt_level_info(k->fmt, level)->block_ok || haddr < v->start || haddr + size > v->end)
		return false;
	ptep_t at = entry_lookup(k, vmf->mm, haddr, level, true);
	if (ptep_none(at) || pte_read(k, at).raw)
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
	pg->index = anon_index(v, haddr, k->fmt->page_shift);
	vmf->mm->rss_anon += 1ull << order;
	lru_add(k, head);
	bool writable = v->flags & VM_WRITE;
	struct pte b = leaf_for_vma(k, v, pfn_pa(k, head), writable, writable);
	b.kind = PTE_BLOCK;
	pte_write(k, vmf->mm, haddr, level, at, pte_make(k, level, &b), true);
	r->frames_allocated++;
	r->huge = true;
	k->st.thp_allocs++;
	record_step(k, STEP_HUGE_PAGE);
	finish(r, OUT_RESOLVED, 0, 0);
	return true;
}

/* A fault where a block entry (at `at`, `level`) maps the address
 * (wp_huge_pmd, huge_pmd_set_accessed). Returns false when the block was
 * split and the fault goes on at the page level. */
static bool huge_block_fault(const struct vm_fault *vmf, int level, ptep_t at)
{
	struct kernel *k = vmf->k;
	struct fault_record *r = vmf->r;
	pte_t orig = pte_read(k, at);
	struct pte d = pte_decode(k->fmt, level, orig.raw);
	uint64_t base = vmf->address & ~((1ull << pt_leaf_shift(k->fmt, level)) - 1);
	if (vmf->access == ACC_WRITE && !d.write && !d.dbm) {
		uint64_t head = pa_pfn(k, d.oa);
		if (pfn_page(k, head)->refcount > 1 || (vmf->vma->flags & VM_SHARED)) {
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
	} else if (vmf->access == ACC_WRITE && !d.write) {
		d.write = true;
		record_step(k, STEP_SET_DIRTY);
	}
	r->huge = true;
	set_access_flags(vmf, base, level, at, orig, d);
	return true;
}

/* Steps 4 to 8 for an address inside an allowed VMA. */
static void handle_pte_fault(struct vm_fault *vmf)
{
	struct kernel *k = vmf->k;
	int level;
	ptep_t leaf = leaf_lookup(k, vmf->mm, vmf->address, &level);
	if (!ptep_none(leaf) && level < PT_LEVEL_LEAF &&
	    pte_decode(k->fmt, level, pte_read(k, leaf).raw).kind == PTE_BLOCK && huge_block_fault(vmf, level, leaf))
		return;
	if (ptep_none(leaf) && do_huge_anonymous(vmf))
		return;
	vmf->pte = pte_lookup(k, vmf->mm, vmf->address, true);
	if (ptep_none(vmf->pte)) {
		oom(k, vmf->r);
		return;
	}
	vmf->orig_pte = pte_read(k, vmf->pte);
	uint64_t raw = vmf->orig_pte.raw;
	if (raw && pte_is_protnone(k->fmt, raw)) {
		/* A PROT_NONE entry in a VMA that allows the access again: restore it. */
		pte_write(k, vmf->mm, vmf->address, PT_LEVEL_LEAF, vmf->pte, (pte_t){pte_from_protnone(k->fmt, raw)}, true);
		record_step(k, STEP_SPURIOUS);
		finish(vmf->r, OUT_RESOLVED, 0, 0);
		return;
	}
	struct pte d = pte_decode(k->fmt, PT_LEVEL_LEAF, raw);
	if (d.kind == PTE_INVALID) {
		if (raw && pte_is_swap(k->fmt, raw))
			do_swap_page(vmf);
		else if (vmf->vma->file)
			do_fault(vmf);
		else
			do_anonymous(vmf);
		return;
	}
	/* handle_pte_fault: a write to a read-only entry goes to do_wp_page
	 * before anything else; otherwise the entry is made dirty (a DBM page)
	 * and young. */
	if (vmf->access == ACC_WRITE && !d.write) {
		if (!d.dbm) {
			if ((vmf->vma->flags & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED))
				wp_page_shared(vmf, d);
			else
				do_wp_page(vmf, d);
			return;
		}
		d.write = true;                            /* pte_mkdirty: clear AP[2] */
		record_step(k, STEP_SET_DIRTY);
	}
	set_access_flags(vmf, vmf->address, PT_LEVEL_LEAF, vmf->pte, vmf->orig_pte, d);
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
	struct vm_fault vmf = {.k = k, .mm = t->mm, .vma = v, .address = r->va & ~(k->page - 1), .access = r->access,
			       .r = r};
	handle_pte_fault(&vmf);
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
	if (k->mlock_used && r->outcome == OUT_RESOLVED)
		mlock_after_fault(k, t->mm, r->va);   /* a page of a locked VMA is mlocked as it comes */
	personality_chain(k, r);
	r->cycles = mmu_total_cycles(k->mmu) - c0;
	t->counts->fault_cycles += r->cycles;
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
