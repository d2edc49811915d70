/* Personalities: where Linux, XNU and LiteOS-A differ, and the names of the
 * functions each runs for the steps a fault takes.
 *
 * Linux 6.1 (Debian 12): arch/x86/mm/fault.c, arch/arm64/mm/fault.c,
 * mm/memory.c. XNU: osfmk/i386/trap.c user_trap, osfmk/arm64/sleh.c
 * sleh_synchronous / handle_user_abort, osfmk/vm/vm_fault.c. LiteOS-A:
 * arch/arm/arm/src/los_exc.c OsArmSharedPageFault, kernel/base/vm/
 * los_vm_fault.c OsVmPageFaultHandler. */
#include "os/mm/mm.h"

#include <string.h>

static const struct personality_desc descs[] = {
	[PERS_LINUX] = {.name = "linux", .zero_page = true, .stack_grows = true, .fork_mkold = true,
			.uses_dbm = true, .fault_around = true, .thp = true},
	/* XNU: no shared zero page for anonymous memory, a fixed-size main
	 * thread stack, KERN_PROTECTION_FAILURE delivered as SIGBUS, 16 KiB
	 * pages on arm64, reference bits emulated in software (arm_fast_fault). */
	[PERS_XNU] = {.name = "xnu", .prot_fault_sigbus = true, .arm64_page_shift = 14, .fork_mkold = true},
	/* LiteOS-A: Arm only, 4 KiB pages, a zeroed page for every first touch,
	 * fixed stacks, entries mapped with AF set and no DBM. */
	[PERS_LITEOS] = {.name = "liteos", .arm64_page_shift = 12, .arm64_only = true},
};

const struct personality_desc *personality_desc(enum personality p) { return &descs[p]; }
const char *personality_name(enum personality p) { return descs[p].name; }

int personality_by_name(const char *name)
{
	for (int i = 0; i < (int)(sizeof descs / sizeof descs[0]); i++)
		if (!strcmp(descs[i].name, name))
			return i;
	return -1;
}

static void add(struct fault_record *r, const char *fn)
{
	if (r->nchain < FAULT_MAX_CHAIN)
		r->chain[r->nchain++] = fn;
}

static bool took(const struct fault_record *r, enum fault_step s)
{
	for (int i = 0; i < r->nsteps; i++)
		if (r->steps[i] == s)
			return true;
	return false;
}

static void linux_chain(const struct kernel *k, struct fault_record *r)
{
	bool x86 = k->fmt->arch == ARCH_X86_64;
	enum mmu_fault_kind hw = r->hw.kind;
	if (x86 && hw == FAULT_NONCANONICAL) {
		add(r, "exc_general_protection");
		add(r, "gp_user_force_sig_segv");
		add(r, "force_sig");
		return;
	}
	if (x86 && hw == FAULT_EXTERNAL) {
		add(r, "exc_machine_check");
		add(r, "do_machine_check");
		add(r, "force_sig_mceerr");
		return;
	}
	if (x86) {
		add(r, "exc_page_fault");
		add(r, "handle_page_fault");
		add(r, "do_user_addr_fault");
		if (hw == FAULT_RESERVED) {
			add(r, "pgtable_bad");
			return;
		}
		if (!took(r, STEP_FIND_VMA)) {     /* not a user address */
			add(r, "bad_area_nosemaphore");
			add(r, "__bad_area_nosemaphore");
			add(r, "force_sig_fault");
			return;
		}
	} else {
		add(r, r->access == ACC_FETCH ? "el0_ia" : "el0_da");
		add(r, "do_mem_abort");
		if (hw == FAULT_RESERVED || hw == FAULT_EXTERNAL) {
			add(r, hw == FAULT_RESERVED ? "do_bad" : "do_sea");
			add(r, "arm64_notify_die");
			return;
		}
		if (hw == FAULT_NOT_PRESENT || hw == FAULT_NONCANONICAL)
			add(r, "do_translation_fault");
		if (!took(r, STEP_FIND_VMA)) {     /* not a TTBR0 address */
			add(r, "do_bad_area");
			add(r, "arm64_force_sig_fault");
			return;
		}
		add(r, "do_page_fault");
		add(r, "__do_page_fault");
	}
	add(r, "find_vma");
	if (took(r, STEP_EXPAND_STACK))
		add(r, "expand_stack");
	if (took(r, STEP_BAD_AREA) || took(r, STEP_ACCESS_ERROR) || took(r, STEP_PKEY)) {
		if (!x86) {
			add(r, "arm64_force_sig_fault");   /* VM_FAULT_BADMAP / VM_FAULT_BADACCESS */
			return;
		}
		if (!took(r, STEP_BAD_AREA))
			add(r, "access_error");
		add(r, took(r, STEP_BAD_AREA) ? "bad_area" : "bad_area_access_error");
		add(r, "__bad_area");
		add(r, "__bad_area_nosemaphore");
		add(r, took(r, STEP_PKEY) ? "force_sig_pkuerr" : "force_sig_fault");
		return;
	}
	add(r, "handle_mm_fault");
	add(r, "__handle_mm_fault");
	if (took(r, STEP_ALLOC_P4D))
		add(r, "__p4d_alloc");
	if (took(r, STEP_ALLOC_PUD))
		add(r, "__pud_alloc");
	if (took(r, STEP_ALLOC_PMD))
		add(r, "__pmd_alloc");
	if (r->huge) {   /* resolved at the pmd: no handle_pte_fault */
		if (took(r, STEP_HUGE_PAGE)) {
			add(r, "create_huge_pmd");
			add(r, "do_huge_pmd_anonymous_page");
			add(r, "__do_huge_pmd_anonymous_page");
		} else if (took(r, STEP_WP_REUSE) || took(r, STEP_SET_DIRTY)) {
			add(r, "wp_huge_pmd");
			add(r, "do_huge_pmd_wp_page");
		} else {
			add(r, "huge_pmd_set_accessed");
		}
		return;
	}
	if (took(r, STEP_HUGE_FALLBACK)) {   /* no huge page to be had: on to base pages */
		add(r, "create_huge_pmd");
		add(r, "do_huge_pmd_anonymous_page");
	}
	if (took(r, STEP_SPLIT_HUGE)) {
		add(r, "wp_huge_pmd");
		add(r, "do_huge_pmd_wp_page");
		add(r, "__split_huge_pmd");
	}
	/* Out of memory for a pud/pmd table: __handle_mm_fault gives up. */
	int n = r->nsteps;
	if (took(r, STEP_OOM) && n >= 2 && r->steps[n - 2] >= STEP_ALLOC_P4D && r->steps[n - 2] <= STEP_ALLOC_PMD) {
		if (x86)
			add(r, "mm_fault_error");
		add(r, "pagefault_out_of_memory");
		return;
	}
	add(r, "handle_pte_fault");
	bool file = took(r, STEP_READ_FAULT) || took(r, STEP_COW_FAULT) || took(r, STEP_SHARED_FAULT) ||
		    took(r, STEP_FAULT_AROUND) || took(r, STEP_BEYOND_EOF);
	if (took(r, STEP_SWAP_IN)) {
		add(r, "do_swap_page");
		add(r, "lookup_swap_cache");
		if (r->major) {
			add(r, "swapin_readahead");
			add(r, "swap_readpage");
		}
	} else if (file) {
		add(r, "do_fault");
		add(r, took(r, STEP_COW_FAULT) ? "do_cow_fault" : took(r, STEP_SHARED_FAULT) ? "do_shared_fault" : "do_read_fault");
		if (took(r, STEP_ALLOC_PTE))
			add(r, "pte_alloc_one");
		if (took(r, STEP_FAULT_AROUND)) {
			add(r, "do_fault_around");
			add(r, "filemap_map_pages");
		}
		bool page = took(r, STEP_READ_FAULT) || took(r, STEP_COW_FAULT) || took(r, STEP_SHARED_FAULT);
		if (page) {
			add(r, "__do_fault");
			add(r, "filemap_fault");
			if (took(r, STEP_PAGECACHE_MISS))
				add(r, "filemap_read_folio");
		}
		if (took(r, STEP_BEYOND_EOF)) {   /* VM_FAULT_SIGBUS */
			if (x86) {
				add(r, "mm_fault_error");
				add(r, "do_sigbus");
			} else {
				add(r, "arm64_force_sig_fault");
			}
			return;
		}
		if (took(r, STEP_COW_FAULT) && !took(r, STEP_OOM))
			add(r, "copy_user_highpage");
		if (page && !took(r, STEP_OOM))
			add(r, "finish_fault");
		if (took(r, STEP_SHARED_FAULT) && !took(r, STEP_OOM))
			add(r, "fault_dirty_shared_page");
	} else if (took(r, STEP_ZERO_PAGE) || took(r, STEP_ANON_PAGE) || took(r, STEP_ALLOC_PTE)) {
		add(r, "do_anonymous_page");
		if (took(r, STEP_ALLOC_PTE))
			add(r, "__pte_alloc");
		if (took(r, STEP_ZERO_PAGE))
			add(r, "my_zero_pfn");
		else if (took(r, STEP_ANON_PAGE))
			add(r, "alloc_zeroed_user_highpage_movable");
	}
	if (took(r, STEP_WP_SHARED)) {
		add(r, "do_wp_page");
		add(r, "wp_page_shared");
		add(r, "fault_dirty_shared_page");
	}
	if (took(r, STEP_WP_COPY) || took(r, STEP_WP_REUSE)) {
		add(r, "do_wp_page");
		if (took(r, STEP_WP_REUSE)) {
			add(r, "wp_page_reuse");
		} else {
			add(r, "wp_page_copy");
			add(r, r->frames_copied ? "__wp_page_copy_user" : "alloc_zeroed_user_highpage_movable");
		}
	}
	if (took(r, STEP_SET_DIRTY))
		add(r, "pte_mkdirty");
	if (took(r, STEP_SET_YOUNG))
		add(r, "pte_mkyoung");
	if (took(r, STEP_SET_DIRTY) || took(r, STEP_SET_YOUNG))
		add(r, "ptep_set_access_flags");
	if (took(r, STEP_SPURIOUS))
		add(r, "flush_tlb_fix_spurious_fault");
	if (took(r, STEP_RECLAIM))
		add(r, "__alloc_pages_direct_reclaim");   /* the allocation had to reclaim first */
	if (took(r, STEP_OOM)) {
		if (x86)
			add(r, "mm_fault_error");
		add(r, "pagefault_out_of_memory");
	}
}

static void xnu_chain(const struct kernel *k, struct fault_record *r)
{
	bool x86 = k->fmt->arch == ARCH_X86_64;
	if (x86) {
		add(r, "user_trap");
	} else {
		add(r, "sleh_synchronous");
		add(r, "handle_abort");
		add(r, "handle_user_abort");
		/* Referenced/modified emulation is resolved in the pmap layer. */
		bool fast = took(r, STEP_SET_YOUNG) || took(r, STEP_SET_DIRTY) || took(r, STEP_SPURIOUS) ||
			    took(r, STEP_WP_SHARED);
		if (fast && !took(r, STEP_WP_COPY) && !took(r, STEP_WP_REUSE)) {
			add(r, "arm_fast_fault");
			return;
		}
	}
	if (took(r, STEP_BAD_ENTRY) || !took(r, STEP_FIND_VMA)) {
		add(r, "exception_triage");
		return;
	}
	add(r, "vm_fault");
	add(r, "vm_fault_internal");
	add(r, "vm_map_lookup_and_lock_object");
	if (took(r, STEP_BAD_AREA) || took(r, STEP_ACCESS_ERROR) || took(r, STEP_PKEY)) {
		add(r, "exception_triage");   /* KERN_INVALID_ADDRESS / KERN_PROTECTION_FAILURE */
		return;
	}
	bool file = took(r, STEP_READ_FAULT) || took(r, STEP_COW_FAULT) || took(r, STEP_SHARED_FAULT) ||
		    took(r, STEP_BEYOND_EOF);
	if (file || took(r, STEP_SWAP_IN)) {
		/* The slow path: the page comes from the object's pager (the vnode
		 * pager for a file, the compressor for anonymous memory). */
		add(r, "vm_fault_page");
		add(r, "vm_page_lookup");
		if (took(r, STEP_SWAP_IN)) {
			add(r, "vm_compressor_pager_get");
		} else if (took(r, STEP_PAGECACHE_MISS) || took(r, STEP_BEYOND_EOF)) {
			add(r, "vnode_pager_data_request");
			add(r, "vnode_pagein");
		}
		if (took(r, STEP_BEYOND_EOF)) {
			add(r, "exception_triage");     /* KERN_MEMORY_ERROR: SIGBUS */
			return;
		}
		if (took(r, STEP_COW_FAULT)) {
			add(r, "vm_page_grab");
			add(r, "vm_page_copy");
			add(r, "vm_page_insert");
		}
		add(r, "pmap_enter");
	} else if (took(r, STEP_WP_COPY)) {
		add(r, "vm_fault_page");
		add(r, "vm_page_lookup");
		add(r, "vm_page_grab");
		if (!took(r, STEP_OOM)) {
			add(r, r->frames_copied ? "vm_page_copy" : "vm_page_zero_fill");
			add(r, "vm_page_insert");
			add(r, "pmap_enter");
		}
	} else if (took(r, STEP_WP_REUSE) || took(r, STEP_WP_SHARED) || took(r, STEP_SPURIOUS) ||
		   took(r, STEP_SET_YOUNG) || took(r, STEP_SET_DIRTY)) {
		add(r, "vm_page_lookup");
		add(r, "pmap_enter");
	} else {
		add(r, "vm_page_lookup");
		if (took(r, STEP_ANON_PAGE) || took(r, STEP_ZERO_PAGE)) {
			add(r, "vm_page_grab");
			if (!took(r, STEP_OOM)) {
				add(r, "vm_page_insert");
				add(r, "vm_page_zero_fill");
			}
		}
		add(r, "pmap_enter");
	}
	if (r->tables_allocated || took(r, STEP_ALLOC_PTE) || took(r, STEP_ALLOC_PMD) || took(r, STEP_ALLOC_PUD))
		add(r, "pmap_expand");
	if (took(r, STEP_OOM)) {
		add(r, "vm_page_wait");
		add(r, "memorystatus_kill_on_VM_page_shortage");
	}
}

static void liteos_chain(struct fault_record *r)
{
	add(r, "OsArmSharedPageFault");
	if (took(r, STEP_BAD_ENTRY))
		return;
	add(r, "OsVmPageFaultHandler");
	if (took(r, STEP_FIND_VMA))
		add(r, "LOS_RegionFind");
	if (took(r, STEP_BAD_AREA)) {
		add(r, "OsFaultTryFixup");
		return;
	}
	add(r, "OsVmRegionPermissionCheck");
	if (took(r, STEP_ACCESS_ERROR)) {
		add(r, "OsFaultTryFixup");
		return;
	}
	if (r->have_vma && r->vma.file) {   /* LOS_IsRegionFileValid */
		add(r, "OsDoFileFault");
		if (took(r, STEP_SHARED_FAULT) || took(r, STEP_WP_SHARED)) {
			add(r, "OsDoSharedFault");
			if (took(r, STEP_WP_SHARED)) {
				add(r, "LOS_ArchMmuQuery");
				add(r, "LOS_ArchMmuChangeProt");
			} else {
				add(r, "OsVmmFileFault");
				add(r, "LOS_ArchMmuMap");
			}
			add(r, "OsMarkPageDirty");
		} else if (took(r, STEP_COW_FAULT) || took(r, STEP_WP_COPY)) {
			add(r, "OsDoCowFault");
			add(r, "LOS_PhysPageAlloc");
			add(r, "OsVmmFileFault");
			add(r, "LOS_ArchMmuMap");
		} else {
			add(r, "OsDoReadFault");
			add(r, "OsVmmFileFault");
			add(r, took(r, STEP_BEYOND_EOF) ? "OsFaultTryFixup" : "LOS_ArchMmuMap");
		}
		return;
	}
	add(r, "LOS_PhysPageAlloc");
	if (took(r, STEP_OOM)) {
		add(r, "OsFaultTryFixup");
		return;
	}
	if (took(r, STEP_ANON_PAGE)) {
		add(r, "LOS_ArchMmuMap");
		return;
	}
	/* A page already mapped (copy-on-write): OsPhysSharePageCopy copies it,
	 * or keeps it when this mapping is its only user and frees the new one. */
	add(r, "LOS_ArchMmuQuery");
	add(r, "LOS_ArchMmuUnmap");
	add(r, "OsPhysSharePageCopy");
	if (!took(r, STEP_WP_COPY))
		add(r, "LOS_PhysPageFree");
	add(r, "LOS_ArchMmuMap");
}

void personality_chain(const struct kernel *k, struct fault_record *r)
{
	switch (k->cfg.personality) {
	case PERS_LINUX: linux_chain(k, r); break;
	case PERS_XNU: xnu_chain(k, r); break;
	case PERS_LITEOS: liteos_chain(r); break;
	}
}
