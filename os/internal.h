/* os/ internals. Nothing outside os/ includes this. */
#ifndef MMUSIM_OS_INTERNAL_H
#define MMUSIM_OS_INTERNAL_H

#include <errno.h>

#include "os.h"

#define NO_PFN UINT64_MAX

/* struct page: one per frame, as Linux keeps them. */
struct page {
	uint32_t refcount;    /* references: mappings, the page cache, the kernel */
	uint32_t mapcount;    /* page-table entries mapping it */
	uint8_t use;          /* enum frame_use */
	uint8_t order;        /* buddy order of the block this frame heads */
	bool free_block;      /* heads a free block in the buddy lists */
	bool dirty;
	uint32_t next, prev;  /* free-list links (frame numbers; UINT32_MAX = none) */
};

#define BUDDY_MAX_ORDER 19
struct frames {
	struct page *page;
	uint64_t n;                              /* frames in physical memory */
	uint32_t free_head[BUDDY_MAX_ORDER + 1]; /* per order, UINT32_MAX when empty */
	uint64_t nfree;
	uint64_t by_use[USE_COUNT];
};

struct mm {
	int pid;                /* of the process it belongs to, for events */
	uint64_t root;          /* page-table root (CR3 / TTBR0_EL1) */
	uint16_t asid;
	struct vma *vma;        /* sorted by start, non-overlapping */
	size_t nvma, cap;
	uint64_t start_brk, brk;
	uint64_t mmap_base;     /* top-down allocations start below this */
	uint64_t stack_top;
	uint64_t rss_anon, pt_pages;
};

struct proc {
	struct kernel *k;
	int pid, ppid;
	bool alive;
	int status;             /* exit code or 128 + signal */
	struct mm mm;
	uint64_t minflt, majflt;
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
};
const struct personality_desc *personality_desc(enum personality p);
/* Fill rec->chain with the personality's functions for the steps taken. */
void personality_chain(const struct kernel *k, struct fault_record *rec);

#define MAX_SUBSCRIBERS 8
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
	struct proc **procs;    /* indexed by slot; pids are looked up linearly */
	size_t nprocs, cap;
	struct proc *current;
	uint16_t next_asid;
	os_event_fn sub[MAX_SUBSCRIBERS];
	void *sub_ctx[MAX_SUBSCRIBERS];
	int nsub;
	uint64_t event_seq, fault_seq;
	struct fault_record *rec;   /* the fault being handled, if any */
	struct os_stats st;
};

/* kernel.c */
void emit(struct kernel *k, struct os_event *ev);
static inline bool observed(const struct kernel *k) { return k->nsub > 0; }
/* Note a step of the fault being handled (if one is). */
static inline void record_step(struct kernel *k, enum fault_step s)
{
	if (k->rec && k->rec->nsteps < FAULT_MAX_STEPS)
		k->rec->steps[k->rec->nsteps++] = (uint8_t)s;
}

/* frames.c */
bool frames_init(struct kernel *k);
void frames_free_all(struct kernel *k);
uint64_t frame_alloc(struct kernel *k, unsigned order, enum frame_use use);
void frame_get(struct kernel *k, uint64_t pfn);
void frame_put(struct kernel *k, uint64_t pfn);   /* frees at refcount 0 */
static inline struct page *pfn_page(struct kernel *k, uint64_t pfn) { return &k->frames.page[pfn]; }
static inline uint64_t pfn_pa(const struct kernel *k, uint64_t pfn) { return pfn << k->fmt->page_shift; }
static inline uint64_t pa_pfn(const struct kernel *k, uint64_t pa) { return pa >> k->fmt->page_shift; }

/* vma.c */
struct vma *vma_find(struct mm *mm, uint64_t addr);     /* first VMA with end > addr */
struct vma *vma_prev(struct mm *mm, const struct vma *v);
bool vma_insert(struct mm *mm, struct vma v);           /* merges with equal neighbours */
bool vma_split(struct mm *mm, uint64_t addr);           /* so that no VMA straddles addr */
void vma_remove_range(struct mm *mm, uint64_t start, uint64_t end);
void vma_merge_around(struct mm *mm, uint64_t addr);
uint64_t vma_gap_topdown(struct mm *mm, uint64_t len, uint64_t below, uint64_t floor);

/* pgtable.c */
uint64_t table_alloc(struct kernel *k, struct mm *mm, int level);   /* pa or PT_NO_MEMORY */
/* The leaf entry's address for va, allocating missing tables (counted in
 * the current fault record) when `alloc`; PT_NO_MEMORY if missing. */
uint64_t pte_lookup(struct kernel *k, struct mm *mm, uint64_t va, bool alloc);
/* Write an entry; a removal or downgrade of a present entry invalidates the
 * TLB for (va, asid) unless the caller batches (`flush` false). */
void pte_write(struct kernel *k, struct mm *mm, uint64_t va, int level, uint64_t entry_pa, uint64_t val,
	       bool flush);
/* The leaf a kernel would write for a page of `vma`. */
struct pte leaf_for_vma(const struct kernel *k, const struct vma *v, uint64_t pa, bool writable, bool dirty);
/* Calls fn for every leaf entry present in [start, end). */
typedef void (*leaf_fn)(struct kernel *k, struct mm *mm, uint64_t va, int level, uint64_t entry_pa,
			uint64_t raw, void *ctx);
void pt_for_each_leaf(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, leaf_fn fn, void *ctx);
/* Unmap [start, end): drop the pages, free tables no VMA needs any more. */
void zap_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);
void free_all_tables(struct kernel *k, struct mm *mm);

/* mm.c */
bool mm_init(struct kernel *k, struct mm *mm, int pid);
struct proc *proc_create(struct kernel *k, int pid);

#endif
