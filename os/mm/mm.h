/* os/mm: the memory manager — frames, address spaces, VMAs, page tables,
 * the fault handler, the page cache, rmap, reclaim and swap. Private to
 * os/. It reports on the bus beneath it (os/events) and never calls up
 * into the kernel services (os/kernel), which call down into it. */
#ifndef MMUSIM_OS_MM_H
#define MMUSIM_OS_MM_H

#include <errno.h>

#include "os/events/events.h"

#define NO_PFN UINT64_MAX

/* Page flags, as Linux's PG_* for the states the model has. */
#define PG_UPTODATE  0x01
#define PG_DIRTY     0x02
#define PG_LOCKED    0x04   /* I/O in progress */
#define PG_WRITEBACK 0x08
#define PG_REFERENCED 0x10
#define PG_BUDDY     0x20   /* heads a free block in the buddy lists */
#define PG_SHARED    0x40   /* page cache: has been mapped by two entries at once (counted) */
#define PG_MLOCKED   0x80   /* mapped by a VM_LOCKED VMA: off the LRU, never reclaimed (mlock.c) */

/* struct page: one per frame, as Linux keeps them. */
struct page {
	uint64_t index;       /* page index in its file; for anonymous pages va >> page_shift */
	uint32_t refcount;    /* references: mappings, the page cache, the kernel */
	uint32_t mapcount;    /* page-table entries mapping it */
	uint32_t next, prev;  /* buddy free-list links (frame numbers; UINT32_MAX = none) */
	union {
		uint32_t swap_slot;  /* anonymous: in the swap cache under this slot (0: not) */
		uint32_t mapping;    /* USE_PAGECACHE: the file's inode (page_inode) */
	};
	uint8_t use;          /* enum frame_use */
	uint8_t order;        /* buddy order of the block this frame heads */
	uint8_t flags;        /* PG_* */
	uint8_t lru;          /* LRU_* list it is on */
};   /* 32 bytes, one per frame in use: 4 GiB of 4 KiB frames cost 32 MiB */
#define LRU_NONE 0
#define LRU_INACTIVE 1
#define LRU_ACTIVE 2


/* A host file as the kernel knows it: one per (device, inode) however often
 * it is opened, so every mapping of a file shares one page cache. */
struct inode {
	uint64_t dev, ino;
	int host_fd;
	bool host_writable;
	uint64_t size;
	char name[256];         /* the guest path it was first opened by */
	uint32_t refcount;      /* open files and VMAs */
	bool unlinked;          /* its last name went: it goes with its last user (inode_evict) */
	int wb_err;             /* a writeback the host refused (-errno), until fsync or msync says it */
	uint32_t id;            /* its place in the kernel's inode table, from 1 (struct page's mapping) */
	/* The page cache: an open-addressing hash of page index -> frame. */
	uint64_t *pc_index;
	uint32_t *pc_pfn;
	uint64_t pc_cap, pc_count;
	struct inode *next;
};

#define BUDDY_MAX_ORDER 19
struct frames {
	struct page *page;
	uint64_t n;                              /* frames in physical memory */
	uint32_t free_head[BUDDY_MAX_ORDER + 1]; /* per order, UINT32_MAX when empty */
	uint64_t nfree;
	uint64_t by_use[USE_COUNT];
};

/* vm.max_map_count: the VMAs an address space may have (Linux's default). */
#define MAX_MAP_COUNT 65530

struct mm {
	int pid;                /* of the process it belongs to, for events */
	uint64_t root;          /* page-table root (CR3 / TTBR0_EL1) */
	uint16_t asid;
	struct vma *vma;        /* sorted by start, non-overlapping (vma.c) */
	size_t nvma, cap, head; /* used, allocated, free slots before vma[0] */
	uint64_t changed_lo, changed_hi;   /* VMAs changed there since vma_changes_take (lo >= hi: none) */
	uint64_t start_brk, brk;
	uint32_t def_flags;     /* VM_LOCKED_MASK after mlockall(MCL_FUTURE): given to new VMAs */
	uint64_t mmap_base;     /* top-down allocations start below this */
	/* Where the last top-down search ended (vma.c): no hole between it and
	 * gap_below is larger than gap_hole, so a longer request starts there
	 * (Linux's old free_area_cache; 0: search from the top). */
	uint64_t gap_hint, gap_below, gap_floor, gap_hole;
	uint64_t stack_top;
	uint64_t rss_anon, rss_file, pt_pages, swap_entries;
	/* High-water marks (VmHWM in pages, VmPeak in bytes): as Linux, raised
	 * only when the count is about to drop, so a reader takes the larger
	 * of the mark and the present count. */
	uint64_t hiwater_rss, hiwater_vm;
	uint64_t arg_start, arg_end, env_start, env_end;   /* the strings exec left on the stack */
	bool anon_moved;        /* an anonymous VMA has a non-zero offset (rmap looks there too) */
	/* Several CPUs (smp.c): the CPUs that have it loaded (mm_cpumask), its
	 * flush generation and the one each CPU has caught up with. */
	uint64_t cpumask, tlb_gen;
	uint64_t cpu_gen[MMU_MAX_CPUS];
};
static inline uint64_t mm_rss(const struct mm *mm) { return mm->rss_anon + mm->rss_file; }
/* An anonymous page's index (struct page) for address va of anonymous VMA
 * v: the address minus how far the VMA has moved since (Linux's
 * linear_page_index with the vm_pgoff a move keeps). */
static inline uint64_t anon_index(const struct vma *v, uint64_t va, unsigned page_shift)
{
	return (v->file ? va : va - v->offset) >> page_shift;
}
void vma_array_free(struct mm *mm);
void vma_merge_range(struct mm *mm, uint64_t start, uint64_t end);
void vma_changed(struct mm *mm, uint64_t start, uint64_t end);   /* the layout changed in [start, end) */
bool vma_changes_take(struct mm *mm, uint64_t *lo, uint64_t *hi);
uint64_t mm_total_vm(const struct mm *mm);   /* vma.c: bytes mapped (VmSize) */
/* Before rss drops: keep its peak. */
static inline void update_hiwater_rss(struct mm *mm)
{
	if (mm->hiwater_rss < mm_rss(mm))
		mm->hiwater_rss = mm_rss(mm);
}

/* What the memory manager needs of the task an access is made for; the
 * kernel services own the task (struct proc) and fill this in. */
struct fault_counts {
	uint64_t minflt, majflt;     /* faults resolved without and with I/O (getrusage) */
	uint64_t fault_cycles;       /* spent handling them: system time */
};
struct mm_task {
	struct mm *mm;
	uint64_t stack_limit;        /* RLIMIT_STACK: how far its stack may grow */
	struct fault_counts *counts;
};

/* What differs between the kernels the handler can follow. */
struct personality_desc {
	const char *name;
	bool zero_page;         /* a read of fresh anonymous memory maps the shared zero page */
	bool stack_grows;       /* grows-down VMAs expand on a fault below them */
	bool prot_fault_sigbus; /* a permission violation is SIGBUS (XNU), not SIGSEGV */
	unsigned arm64_page_shift; /* the page size it uses on arm64 (0: any) */
	bool arm64_only;
	bool fork_mkold;        /* fork clears A/AF in the child's entries (Linux pte_mkold) */
	bool uses_dbm;          /* writable pages carry AArch64 DBM (Linux PTE_WRITE) */
	bool fault_around;      /* read faults map cached neighbours (do_fault_around) */
	bool thp;               /* transparent huge pages, as the preset's policy says */
};
const struct personality_desc *personality_desc(enum personality p);
/* Fill rec->chain with the personality's functions for the steps taken. */
void personality_chain(const struct kernel *k, struct fault_record *rec);

struct services;   /* the kernel services' own state (os/kernel/kernel.h) */

/* The kernel as the memory manager sees it: physical memory, the MMU, the
 * frames, the address spaces, the page cache and swap, and the bus. The
 * services' state hangs off `svc`, which nothing in os/mm reads. */
struct kernel {
	struct os_config cfg;
	const struct personality_desc *pers;
	struct physmem *pm;
	struct mmu *mmu;
	const struct pt_format *fmt;
	uint64_t page;          /* base page size */
	uint64_t user_top;      /* first address above user space */
	struct frames frames;
	uint64_t zero_pfn;
	uint16_t next_asid;
	struct event_bus bus;
	uint64_t fault_seq;
	struct fault_record *rec;   /* the fault being handled, if any */
	struct os_stats st;
	/* Every live address space, in the order their processes were made
	 * (rmap walks them in that order). */
	struct mm **mms;
	size_t nmms, mms_cap;
	struct mm *mm_current;      /* the running process's (NULL once it exited) */
	/* LRU lists (index 0 inactive, 1 active), by frame number. */
	uint32_t lru_head[2], lru_tail[2];
	uint64_t lru_count[2];
	uint64_t memlimit_frames;   /* 0: all of physical memory */
	/* Swap: slots of one page; slot 0 is the device's header. */
	int swap_fd;
	uint64_t swap_slots, swap_free, swap_next;
	bool mlock_used;            /* some VMA was ever VM_LOCKED: reclaim checks mappings (mlock.c) */
	uint16_t *swap_map;         /* entries naming each slot */
	uint32_t *swap_cache;       /* slot -> frame while in the swap cache */
	os_unmap_fn unmap_hook;
	void *unmap_ctx;
	os_pc_fn pc_hook;
	void *pc_ctx;
	struct inode *inodes;
	struct inode **inode_table; /* by id - 1 */
	uint32_t ninodes, inode_cap;
	uint32_t idle_dirty;        /* inodes nobody uses that keep a host fd for dirty pages (pagecache.c) */
	struct services *svc;
	int64_t disk_used;          /* host disk the guest's files took, net (diskquota.c) */
	bool disk_noted;            /* the --disk-limit note was printed */
	struct smp *smp;            /* several CPUs (smp.c); NULL with one */
	struct tlb_check *tlbcheck; /* --check-tlb (smp.c); NULL without */
	const volatile sig_atomic_t *stop;   /* the host's stop request (kernel_set_stop); NULL: none */
};

static inline bool kernel_stopping(const struct kernel *k) { return k->stop && *k->stop; }

/* The bus, as the memory manager and the services use it. */
static inline void emit(struct kernel *k, struct os_event *ev) { bus_emit(&k->bus, ev); }
static inline bool observed(const struct kernel *k) { return bus_observed(&k->bus); }
static inline bool op_hooked(const struct kernel *k) { return bus_op_hooked(&k->bus); }
/* One more entry maps pg; a page-cache frame that another entry maps
 * already (a library in two processes) is counted once, when it first is. */
static inline void pagecache_map_one(struct kernel *k, struct page *pg)
{
	if (pg->use == USE_PAGECACHE && pg->mapcount && !(pg->flags & PG_SHARED)) {
		pg->flags |= PG_SHARED;
		k->st.pagecache_shared++;
	}
	pg->mapcount++;
}
static inline void op_emit(struct kernel *k, int pid, struct os_op *op) { bus_op(&k->bus, pid, op); }
/* The process events name when no other is concerned: the running one. */
static inline int current_pid(const struct kernel *k) { return k->mm_current ? k->mm_current->pid : 0; }
/* Note a step of the fault being handled (if one is). */
static inline void record_step(struct kernel *k, enum fault_step s)
{
	if (k->rec && k->rec->nsteps < FAULT_MAX_STEPS)
		k->rec->steps[k->rec->nsteps++] = (uint8_t)s;
}

/* memory.c: the memory manager's part of kernel_create and kernel_destroy. */
bool mm_kernel_init(struct kernel *k, const struct mmu_config *mc, char *err, size_t errlen);
void mm_kernel_release(struct kernel *k);   /* writes back shared pages, drops the page cache */
void mm_kernel_destroy(struct kernel *k);
/* A file operation (OP_PREAD, OP_PWRITE, OP_TRUNCATE, OP_FSYNC) on inode i
 * by process pid, told to the operation hook before it is made. */
void op_file(struct kernel *k, int pid, enum os_op_kind kind, const struct inode *i, uint32_t open_flags,
	     uint64_t offset, uint64_t len);

/* frames.c */
bool frames_init(struct kernel *k);
void frames_free_all(struct kernel *k);
uint64_t frame_alloc(struct kernel *k, unsigned order, enum frame_use use);
void frame_get(struct kernel *k, uint64_t pfn);
void frame_put(struct kernel *k, uint64_t pfn);   /* frees at refcount 0 */
static inline struct page *pfn_page(struct kernel *k, uint64_t pfn) { return &k->frames.page[pfn]; }
/* The file a page-cache page belongs to. */
static inline struct inode *page_inode(const struct kernel *k, const struct page *pg)
{
	return pg->use == USE_PAGECACHE && pg->mapping ? k->inode_table[pg->mapping - 1] : NULL;
}
static inline uint64_t pfn_pa(const struct kernel *k, uint64_t pfn) { return pfn << k->fmt->page_shift; }
static inline uint64_t pa_pfn(const struct kernel *k, uint64_t pa) { return pa >> k->fmt->page_shift; }

/* vma.c */
struct vma *vma_find(struct mm *mm, uint64_t addr);     /* first VMA with end > addr */
struct vma *vma_prev(struct mm *mm, const struct vma *v);
bool vma_insert(struct mm *mm, struct vma v);           /* merges with equal neighbours */
int pagecache_take_wb_err(struct inode *i);   /* pagecache.c: the last writeback error, cleared */
bool vma_split(struct mm *mm, uint64_t addr);           /* so that no VMA straddles addr */
bool vma_straddles(struct mm *mm, uint64_t addr);       /* whether a VMA starts below addr and ends above it */
void vma_remove_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);  /* drops file references */
void vma_merge_around(struct mm *mm, uint64_t addr);
uint64_t vma_gap_topdown(struct mm *mm, uint64_t len, uint64_t below, uint64_t floor);

/* pgtable.c */
/* pte_t and ptep_t (mmu.h): an entry's value and where it lives. */
static inline bool ptep_none(ptep_t p) { return p.pa == PT_NO_MEMORY; }
static inline pte_t pte_read(const struct kernel *k, ptep_t p) { return (pte_t){physmem_read64(k->pm, p.pa)}; }
uint64_t table_alloc(struct kernel *k, struct mm *mm, int level);   /* pa or PT_NO_MEMORY */
/* The leaf entry for va, allocating missing tables (counted in the current
 * fault record) when `alloc`; none (ptep_none) if missing. */
ptep_t pte_lookup(struct kernel *k, struct mm *mm, uint64_t va, bool alloc);
/* The entry for va at `level` (building tables when `alloc`), and the leaf
 * entry mapping va whatever its level (*level: 3, or a block's level). */
ptep_t entry_lookup(struct kernel *k, struct mm *mm, uint64_t va, int level, bool alloc);
ptep_t leaf_lookup(struct kernel *k, struct mm *mm, uint64_t va, int *level);
unsigned block_order(const struct kernel *k, int level);   /* base pages in a block at level */
bool split_huge_page(struct kernel *k, uint64_t head);
/* Write an entry; a removal or downgrade of a present entry invalidates the
 * TLB for (va, asid) unless the caller batches (`flush` false). */
void pte_write(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t val, bool flush);
/* The leaf a kernel would write for a page of `vma`. */
struct pte leaf_for_vma(const struct kernel *k, const struct vma *v, uint64_t pa, bool writable, bool dirty);
/* An entry to write, from its decoded form. */
static inline pte_t pte_make(const struct kernel *k, int level, const struct pte *d)
{
	return (pte_t){pte_encode(k->fmt, level, d)};
}
/* Calls fn for every leaf entry present in [start, end). */
typedef void (*leaf_fn)(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx);
void pt_for_each_leaf(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, leaf_fn fn, void *ctx);
/* Unmap [start, end): drop the pages, free tables no VMA needs any more. */
void zap_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);

/* smp.c: several CPUs. With one (k->smp NULL) none of this runs and the
 * flushes stay as they were: local, free, with one COST_SHOOTDOWN charge
 * per operation. */
bool smp_init(struct kernel *k, char *err, size_t errlen);
void smp_free(struct kernel *k);
/* CPU `cpu` runs a task of `mm` now: it joins the mm's cpumask and, if the
 * mm was flushed while it was away, flushes its entries first (Linux's
 * tlb_gen check in switch_mm). */
void smp_enter(struct kernel *k, unsigned cpu, struct mm *mm);
/* An exited mm's memory is about to go: no CPU holds it as its last. */
void smp_forget_mm(struct kernel *k, const struct mm *mm);
/* The task a CPU ran can no longer run (it sleeps or ended): the CPU idles
 * with its mm loaded (x86 lazy TLB mode), or works again. */
void smp_set_lazy(struct kernel *k, unsigned cpu, bool lazy);
/* An entry of mm covering 2^shift bytes at va lost something a TLB may
 * cache: invalidated now on every CPU that may hold it, or at the end of
 * the open batch. */
void smp_flush_page(struct kernel *k, struct mm *mm, uint64_t va, unsigned shift);
/* A batch (Linux's mmu_gather, flush_tlb_range): the pages changed between
 * begin and end go in one shootdown. */
void smp_batch_begin(struct kernel *k, struct mm *mm);
void smp_batch_end(struct kernel *k, struct mm *mm);
/* A table of mm is unlinked in the open batch: its shootdown reaches the
 * lazy CPUs too (x86 freed_tables: their walks could still use it). */
void smp_tables_freed(struct kernel *k, struct mm *mm);
/* Every entry of mm, everywhere (flush_tlb_mm). */
void smp_flush_mm(struct kernel *k, struct mm *mm);
/* ASID reuse and rollover: every CPU forgets the ASID (or everything). */
void smp_flush_asid_everywhere(struct kernel *k, uint16_t asid);
void smp_flush_all_everywhere(struct kernel *k);
/* The counts, for the scheduler to add to (NULL with one CPU). */
struct smp_stats *smp_stats_of(struct kernel *k);
/* --check-tlb: a leaf entry of mm changed (flush: an invalidation asked). */
void tlbcheck_note(struct kernel *k, const struct mm *mm, uint64_t va, int level, uint64_t old, uint64_t val,
		   bool flush);
void tlbcheck_free(struct kernel *k);
void free_all_tables(struct kernel *k, struct mm *mm);
/* A PROT_NONE entry still holds its frame: seen as the present entry it
 * restores to. Every other entry as it is. */
static inline uint64_t pte_present_view(const struct pt_format *f, uint64_t raw)
{
	return raw && pte_is_protnone(f, raw) ? pte_from_protnone(f, raw) : raw;
}

/* diskquota.c: the bound on what the guest adds to the host disk
 * (cfg.disk_limit). host_allocated: fd's blocks in bytes (st_blocks). */
int64_t host_allocated(int fd);
uint64_t disk_room(const struct kernel *k);          /* UINT64_MAX: no bound */
void disk_charge(struct kernel *k, int64_t bytes);   /* negative: freed */
void disk_full_note(struct kernel *k);               /* one line, once */
/* How many bytes of a write of [off, off + len) into host file fd fit
 * under the bound (its new blocks counted); 0: none. */
uint64_t disk_fit(struct kernel *k, int fd, uint64_t off, uint64_t len);

/* pagecache.c: inodes, the page cache, read/write through it, writeback */
void inode_get(struct inode *i);
void inode_put(struct kernel *k, struct inode *i);
uint64_t inode_pages(const struct kernel *k, const struct inode *i);   /* pages that hold file data */
struct stat;
struct inode *inode_lookup(const struct kernel *k, const struct stat *st);   /* the kernel's, if it has it */
/* The inode of host descriptor fd (taken over: closed when not kept),
 * made on first sight; NULL with *err = -errno. */
struct inode *inode_of_host_fd(struct kernel *k, int fd, const char *path, bool want_write, int *err);
/* The page-cache frame for (inode, index), read from the host file on a
 * miss (*major set); NO_PFN when no frame can be had. The caller gets a
 * reference. */
uint64_t pagecache_get(struct kernel *k, struct inode *i, uint64_t index, bool *major);
uint64_t pagecache_lookup(const struct inode *i, uint64_t index);
void pagecache_remove(struct kernel *k, struct inode *i, uint64_t index);
/* read(2) and write(2) of a file, through its page cache: bytes moved or -errno. */
/* Before a write(): how much of it the host and the disk bound can take
 * (cut short, or -ENOSPC / -EFBIG), its blocks reserved. */
void inode_unlinked(struct kernel *k, struct inode *i);   /* its last name went */
int64_t pagecache_reserve(struct kernel *k, struct inode *i, uint64_t off, uint64_t len);
int64_t pagecache_rw(struct kernel *k, struct inode *i, void *buf, uint64_t len, uint64_t off, bool write);
/* Cached pages at or beyond page `pages` leave the cache and every mapping. */
void pagecache_truncate(struct kernel *k, struct inode *i, uint64_t pages);
int os_truncate(struct kernel *k, struct inode *i, uint64_t len);   /* tells the operation hook */
void writeback_range(struct kernel *k, struct inode *i, uint64_t first, uint64_t last);

/* rmap.c: every page-table entry that maps a frame, in every address space. */
bool mm_register(struct kernel *k, struct mm *mm);
void mm_unregister(struct kernel *k, struct mm *mm);
typedef void (*rmap_fn)(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig, void *ctx);
void rmap_walk(struct kernel *k, uint64_t pfn, rmap_fn fn, void *ctx);

/* reclaim.c */
void lru_init(struct kernel *k);
void lru_add(struct kernel *k, uint64_t pfn);
void lru_del(struct kernel *k, uint64_t pfn);
bool swap_init(struct kernel *k, char *err, size_t errlen);
void swap_free_all(struct kernel *k);
void swap_slot_put(struct kernel *k, uint64_t slot);
uint64_t reclaim(struct kernel *k, uint64_t want);
bool over_limit(const struct kernel *k);
int64_t reclaim_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, bool pageout);
struct vm_fault;
void do_swap_page(const struct vm_fault *vmf);   /* a swap entry: the page read back */

/* fault.c */
/* The fault being handled, as Linux's struct vm_fault: where it happened
 * and what the handler found there, carried from step to step. */
struct vm_fault {
	struct kernel *k;
	struct mm *mm;
	const struct vma *vma;
	uint64_t address;            /* the faulting page */
	enum mmu_access access;
	ptep_t pte;                  /* the leaf entry for it */
	pte_t orig_pte;              /* its value when the handler looked */
	struct fault_record *r;
};
/* An access by task t, its faults handled and the access retried;
 * the outcome, and the last fault's record in r. */
enum fault_outcome mm_access(struct kernel *k, const struct mm_task *t, uint64_t va, enum mmu_access acc,
			     struct mmu_xlate *x, struct fault_record *r);

/* mmap.c: address spaces and the calls that change them. Each returns what
 * the system call returns (a result >= 0 or -errno). */
bool mm_init(struct kernel *k, struct mm *mm, int pid);
void mm_teardown(struct kernel *k, struct mm *mm);
/* exec's fresh address space: a stack ending at stack_top, the heap at brk. */
int mm_exec(struct kernel *k, struct mm *mm, uint64_t stack_top, uint64_t brk);
/* fork's copy: the VMAs and layout first, then the page tables (dup_mmap). */
bool mm_dup_vmas(struct mm *child, const struct mm *parent);
bool mm_dup_tables(struct kernel *k, struct mm *child, struct mm *parent);
int64_t mm_mmap(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		struct inode *file, uint64_t offset);
int64_t mm_munmap(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len);
int64_t mm_mprotect(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot);
int64_t mm_brk(struct kernel *k, struct mm *mm, uint64_t addr);
/* __vm_enough_memory under vm.overcommit_memory 0 (what /proc/sys/vm says):
 * a charge of more pages than RAM and swap together is refused. Applied
 * where the model charges (the ELF loader's bss, as vm_brk_flags does). */
bool mm_enough_memory(const struct kernel *k, uint64_t pages);
int64_t mm_msync(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, uint32_t flags);
/* mremap.c: *unsupported when the move would need pages copied (an
 * anonymous page shared since fork): -ENOMEM then, nothing changed. */
int64_t mm_mremap(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
		  uint32_t flags, uint64_t new_addr, bool *unsupported);
int64_t mm_madvise(struct kernel *k, struct mm *mm, uint64_t addr, uint64_t len, enum os_advice advice);
/* mlock.c: VM_LOCKED VMAs and the pages they hold (Linux mm/mlock.c). */
/* apply_vma_lock_flags: [start, end) (page-aligned) gets `flags` (0 or
 * VM_LOCKED[|VM_LOCKONFAULT]) VMA by VMA, split and merged as mprotect
 * does; -ENOMEM at a hole (VMAs before it keep their change). */
int64_t mm_lock_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, uint32_t flags);
/* apply_mlockall_flags: every VMA gets `to_add` (0 unlocks all). */
void mm_lock_all(struct kernel *k, struct mm *mm, uint32_t to_add);
uint64_t mm_locked_bytes(const struct mm *mm);          /* VmLck: the VM_LOCKED VMAs' size */
/* Pages mapped in [start, end) of a VM_LOCKED VMA leave the LRU (mlock_vma_folio). */
void mlock_present(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);
/* A mapping of an mlocked page went: back on the LRU unless a locked VMA still maps it. */
void mlock_recheck(struct kernel *k, uint64_t pfn);
/* Reclaim found pfn: true (and the page moved off the LRU) when a locked VMA maps it. */
bool mlock_cull(struct kernel *k, uint64_t pfn);
/* After a resolved fault at va in VMA v: its new pages are mlocked when v is locked. */
void mlock_after_fault(struct kernel *k, struct mm *mm, uint64_t va);
/* mincore of the page at va: 1 resident, 0 not, -ENOMEM outside every VMA. */
int mm_mincore(struct kernel *k, struct mm *mm, uint64_t va);

/* As the kernel reads its own tables (follow_page). */
bool mm_translate(struct kernel *k, struct mm *mm, uint64_t va, uint64_t *pa);

#endif
