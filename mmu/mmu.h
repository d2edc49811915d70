/* mmu/ — the hardware: physical memory, page-table formats, the walker,
 * TLBs, walk caches, the cost model and fault syndromes.
 *
 * It knows page-table formats, not processes: a walk that cannot complete
 * returns a fault description; what to do about it is the OS model's job. */
#ifndef MMUSIM_MMU_H
#define MMUSIM_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mmu_arch { ARCH_X86_64, ARCH_AARCH64 };
/* The name traces, event logs and the command line use: "x86-64", "aarch64". */
const char *mmu_arch_name(enum mmu_arch a);
/* The inverse: true with *a set when `name` is one of them. */
bool mmu_arch_by_name(const char *name, enum mmu_arch *a);

/* ------------------------------------------------------------------------
 * Physical memory: frames as bytes in a memfd, so the Unicorn bridge can map
 * the very same frames into host address space.
 */
struct physmem {
	int fd;             /* the memfd */
	uint8_t *base;      /* the whole memfd, mapped shared */
	uint64_t size;      /* bytes */
	unsigned page_shift; /* base frame size: 12, 14 or 16 */
};

struct physmem *physmem_create(uint64_t size, unsigned page_shift);
void physmem_destroy(struct physmem *pm);
static inline uint64_t physmem_frames(const struct physmem *pm) { return pm->size >> pm->page_shift; }
/* A pointer to `len` bytes at physical address `pa`, or NULL if out of range. */
void *physmem_ptr(const struct physmem *pm, uint64_t pa, uint64_t len);
uint64_t physmem_read64(const struct physmem *pm, uint64_t pa);
void physmem_write64(struct physmem *pm, uint64_t pa, uint64_t v);
/* Gives [pa, pa+len) back to the host: it reads as zeros again and holds no
 * host memory until written (a hole punched in the memfd; every mapping of
 * it, the bridge's included, sees the zeros). */
void physmem_discard(struct physmem *pm, uint64_t pa, uint64_t len);

/* ------------------------------------------------------------------------
 * Page-table formats. Levels are numbered the architectural way, counting
 * towards the leaf: the last level is 3 (x86 PT, AArch64 L3); x86 PD is 2,
 * PDPT 1, PML4 0 and, with LA57, PML5 -1 (as AArch64's FEAT_LPA2 level -1).
 */
#define PT_LEVEL_LEAF 3
#define PT_MAX_LEVELS 5

struct pt_level {
	const char *name;       /* "PML4", "PD", "L2" ... */
	const char *linux_name; /* "pgd", "p4d", "pud", "pmd", "pte" */
	uint8_t va_shift;       /* lowest VA bit of this level's index */
	uint8_t index_bits;     /* entries = 1 << index_bits */
	bool block_ok;          /* may hold a huge/block leaf (the last level always may) */
	uint8_t contig_entries; /* AArch64 contiguous-hint run length at this level; 1 = none */
};

/* One named bit field of a descriptor, for explaining entries to people. */
struct pte_field {
	const char *name;  /* "P", "R/W", "AP[2:1]", "UXN" ... */
	uint8_t lo, width;
	uint8_t where;     /* PTF_TABLE, PTF_LEAF or both */
	const char *what;  /* one-line meaning */
};
#define PTF_TABLE 1
#define PTF_LEAF  2

struct pt_format {
	const char *name;        /* "x86-64 4-level", "AArch64 4K granule" */
	const char *id;          /* short key used in presets: "x86-64/4", "aarch64/16k" */
	enum mmu_arch arch;
	uint8_t page_shift;      /* base page: 12, 14, 16 */
	uint8_t va_bits;         /* 48 or 57 */
	int8_t top_level;        /* -1, 0 or 1 */
	struct pt_level level[PT_MAX_LEVELS]; /* indexed by level - top_level */
	const struct pte_field *fields;       /* terminated by name == NULL */
};

extern const struct pt_format fmt_x86_64_4level;
extern const struct pt_format fmt_x86_64_5level;
extern const struct pt_format fmt_aarch64_4k;
extern const struct pt_format fmt_aarch64_16k;
extern const struct pt_format fmt_aarch64_64k;

const struct pt_format *pt_format_by_id(const char *id);
const struct pt_level *pt_level_info(const struct pt_format *f, int level);
unsigned pt_index(const struct pt_format *f, int level, uint64_t va);
/* Size in bytes of a table at `level` (x86: always 4 KiB; AArch64: up to a granule). */
uint64_t pt_table_bytes(const struct pt_format *f, int level);
/* log2 of the region a leaf at `level` maps (12, 21, 30; 14, 25; 16, 29 ...). */
unsigned pt_leaf_shift(const struct pt_format *f, int level);

/* A descriptor decoded into the hardware's own fields. On x86 table entries
 * carry R/W, U/S and XD too (they restrict everything below); on AArch64 the
 * table fields are APTable[1] (-> !write), APTable[0] (-> !user), UXNTable and
 * PXNTable, mapped onto the same members. */
enum pte_kind { PTE_INVALID, PTE_TABLE, PTE_BLOCK, PTE_PAGE };

struct pte {
	enum pte_kind kind;
	uint64_t oa;       /* output address: next table or mapped frame */
	bool write;        /* x86 R/W=1; AArch64 AP[2]=0 (table: APTable[1]=0) */
	bool user;         /* x86 U/S=1; AArch64 AP[1]=1 (table: APTable[0]=0) */
	bool nx;           /* x86 XD; AArch64 UXN (table: UXNTable) */
	bool pxn;          /* AArch64 PXN (table: PXNTable) */
	bool accessed;     /* x86 A; AArch64 AF */
	bool dirty;        /* x86 D */
	bool global;       /* x86 G; AArch64 !nG */
	bool pwt, pcd, pat;/* x86 cache control */
	uint8_t pkey;      /* x86 protection key, bits 62:59 */
	uint8_t attr_idx;  /* AArch64 AttrIndx[2:0] */
	uint8_t sh;        /* AArch64 SH[1:0] */
	bool ns;           /* AArch64 NS */
	bool dbm;          /* AArch64 DBM (bit 51) */
	bool contig;       /* AArch64 contiguous hint */
	uint8_t sw;        /* software bits: x86 11:9, AArch64 58:55 */
};

uint64_t pte_encode(const struct pt_format *f, int level, const struct pte *p);
struct pte pte_decode(const struct pt_format *f, int level, uint64_t raw);
/* "P RW US A D NX pfn=0x1234" or "PAGE AF AP=01(EL0 RW) UXN nG oa=0x..." */
int pte_describe(const struct pt_format *f, int level, uint64_t raw, char *buf, size_t len);

/* ------------------------------------------------------------------------
 * Accesses, faults and syndromes.
 */
enum mmu_access { ACC_READ, ACC_WRITE, ACC_FETCH };

enum mmu_fault_kind {
	FAULT_NONE,
	FAULT_NOT_PRESENT,  /* x86 P=0; AArch64 translation fault */
	FAULT_PERMISSION,   /* write to read-only, user to supervisor, fetch from NX/UXN */
	FAULT_ACCESS_FLAG,  /* AArch64 AF=0 without hardware AF management */
	FAULT_RESERVED,     /* x86 reserved bit set (RSVD); AArch64 address size fault */
	FAULT_PKEY,         /* x86 protection-key violation */
	FAULT_NONCANONICAL, /* x86 #GP; AArch64 VA outside TTBR0's range (level-0 translation fault) */
	FAULT_EXTERNAL,     /* the walk or access reached beyond physical memory */
};

struct mmu_syndrome {
	uint8_t vector;     /* x86 exception vector (14 #PF, 13 #GP, 18 #MC); AArch64 EC */
	uint64_t code;      /* x86 #PF error code; AArch64 ESR_EL1 */
	uint64_t addr;      /* CR2 / FAR_EL1 */
	bool addr_valid;    /* #GP and #MC do not write CR2 */
};

struct mmu_fault {
	enum mmu_fault_kind kind;
	int8_t level;            /* level of the entry that faulted */
	enum mmu_access access;
	bool user;
	bool in_walk;            /* FAULT_EXTERNAL: while reading a table entry */
	uint64_t va;
	struct mmu_syndrome syn;
};

struct mmu_syndrome mmu_syndrome_of(enum mmu_arch arch, const struct mmu_fault *f);
int mmu_syndrome_describe(enum mmu_arch arch, const struct mmu_syndrome *s, char *buf, size_t len);
const char *mmu_fault_kind_name(enum mmu_fault_kind k);
const char *mmu_access_name(enum mmu_access a);

/* ------------------------------------------------------------------------
 * Configuration (filled from a JSON preset by sim/; no numbers live in code).
 */
enum tlb_repl { REPL_LRU, REPL_PLRU, REPL_RANDOM };

#define TLB_MAX_ARRAYS 4
struct tlb_array_config {
	uint64_t sizes;     /* page sizes held: bit n set = 2^n bytes */
	uint32_t entries, ways;
	enum tlb_repl repl;
};
struct tlb_config {
	uint32_t latency;   /* cycles for a hit at this level */
	unsigned narrays;   /* 0: this TLB level is absent */
	struct tlb_array_config array[TLB_MAX_ARRAYS];
};

struct walk_cache_config {
	uint32_t entries, ways; /* 0 entries: no cache for this level */
	uint32_t latency;
};

enum mmu_cost {
	COST_INSTRUCTIONS,   /* instructions x base CPI */
	COST_TLB_L1,         /* L1 TLB hit latency */
	COST_TLB_L2,         /* L2 TLB hit latency (paid on L2 hits and L2 lookups that miss) */
	COST_WALK_CACHE,     /* walk-cache hits */
	COST_WALK_MEMORY,    /* page-table entries read from memory */
	COST_TRAP,           /* trap entry and exit */
	COST_HANDLER,        /* the fault handler's own work */
	COST_TABLE_ALLOC,    /* allocating a page-table page */
	COST_ZERO,           /* zeroing, per KiB */
	COST_COPY,           /* copying, per KiB */
	COST_PAGECACHE,      /* a page-cache lookup */
	COST_BACKING_READ,   /* reading a page from backing store (major fault) */
	COST_SHOOTDOWN,      /* a TLB shootdown */
	COST_COUNT
};
const char *mmu_cost_name(enum mmu_cost c);

struct mmu_config {
	const struct pt_format *fmt;
	uint64_t phys_size;       /* bytes of physical memory */
	uint8_t pa_bits;          /* x86 MAXPHYADDR; AArch64 PARange */
	bool hw_af;               /* AArch64 TCR.HA: hardware sets AF */
	bool hw_dbm;              /* AArch64 TCR.HD: hardware clears AP[2] on writes to DBM pages */
	struct tlb_config l1i, l1d, l2;  /* l2 is unified */
	struct walk_cache_config walk_cache[PT_MAX_LEVELS]; /* by level - top_level; leaf unused */
	uint32_t walk_read_latency;      /* cycles per page-table entry read from memory */
	uint32_t cpi_milli;              /* base cycles per 1000 instructions */
	uint32_t cost[COST_COUNT];       /* per-unit cycles for COST_TRAP .. COST_SHOOTDOWN */
	uint64_t seed;                   /* for random replacement */
	uint32_t ncpus;                  /* CPUs, each with its own TLBs and walk caches; 0 = 1 */
	/* Cycles of a TLB shootdown's parts (the OS model's shootdowns use them). */
	struct {
		uint32_t ipi_send;          /* x86: the initiator sending one IPI */
		uint32_t ipi_receive;       /* x86: a target taking the IPI and running the flush handler */
		uint32_t invalidate_entry;  /* one INVLPG / TLBI by VA (a whole-ASID flush counts as one) */
		uint32_t dsb;               /* arm64: DSB ISH waiting for a broadcast TLBI to complete */
	} smp_cost;
};
#define MMU_MAX_CPUS 64

/* ------------------------------------------------------------------------
 * Translation: TLBs, walker and statistics.
 */
struct walk_step {
	int8_t level;
	uint16_t index;
	uint64_t table_pa;
	uint64_t raw;      /* the entry as read (before any A/D update) */
};

/* The entries read from memory, top down. Levels supplied by a walk cache
 * are not listed: the first step's level shows where the walk started. */
struct mmu_walk {
	uint8_t nsteps;
	struct walk_step step[PT_MAX_LEVELS];
};

/* Effective rights of a translation. A write is in PERM_W when the entries
 * allow it; `dirty` says it needs no hardware update first (x86 D set;
 * AArch64 AP[2]=0 rather than a DBM page that is still clean). */
#define PERM_R 0x01
#define PERM_W 0x02
#define PERM_X 0x04

struct mmu_xlate {
	uint64_t va, pa;
	uint64_t frame;        /* physical base of the mapping (page or block) */
	uint8_t page_shift;    /* log2 of the mapping's size */
	int8_t leaf_level;
	uint8_t perm_user;     /* PERM_* at CPL3 / EL0 */
	uint8_t perm_kernel;   /* PERM_* at CPL0 / EL1 */
	bool dirty, global;
	uint8_t pkey;
	int8_t tlb_level;      /* 1 or 2 on a TLB hit, 0 when walked */
	uint64_t cycles;       /* spent on this translation */
	struct mmu_fault fault;  /* kind FAULT_NONE on success */
	struct mmu_walk walk;    /* entries visited (valid when tlb_level == 0) */
};

enum tlb_id { TLB_L1I, TLB_L1D, TLB_L2, TLB_COUNT };

struct mmu_stats {
	uint64_t accesses[3];             /* by enum mmu_access */
	uint64_t instructions;
	uint64_t tlb_hits[TLB_COUNT], tlb_misses[TLB_COUNT];
	uint64_t walks, walk_reads;
	uint64_t walk_cache_hits[PT_MAX_LEVELS];
	uint64_t faults[FAULT_EXTERNAL + 1];
	uint64_t ad_updates;              /* A/D/AF written back by the hardware */
	uint64_t cycles[COST_COUNT];
};

/* Something the hardware did, for whoever listens (the event bus). */
enum mmu_event_kind { MMU_EV_TLB_FILL, MMU_EV_TLB_FLUSH };
struct tlb_slot {
	uint64_t va;          /* base VA of the mapping */
	uint16_t asid;
	uint8_t shift;
	bool valid, global;
};
struct mmu_event {
	enum mmu_event_kind kind;
	enum tlb_id tlb;
	uint8_t array;
	uint8_t cpu;                      /* whose TLB */
	uint32_t set, way;
	struct tlb_slot filled, victim;   /* TLB_FILL */
	uint8_t flush_scope;              /* TLB_FLUSH: 0 va, 1 asid, 2 all */
	uint64_t flush_va;
	uint16_t flush_asid;
	uint32_t flushed;                 /* entries dropped */
};
typedef void (*mmu_event_fn)(void *ctx, const struct mmu_event *ev);

struct mmu;

/* A configuration that cannot be built gets a one-line reason in `err`. */
struct mmu *mmu_create(const struct mmu_config *cfg, struct physmem *pm, char *err, size_t errlen);
void mmu_destroy(struct mmu *m);
const struct mmu_config *mmu_config_of(const struct mmu *m);
struct physmem *mmu_physmem(const struct mmu *m);

/* The current translation context: the root table (CR3 / TTBR0_EL1) and ASID/PCID. */
void mmu_set_context(struct mmu *m, uint64_t root_pa, uint16_t asid);
/* x86 PKRU: two bits per key, AD (bit 2k) and WD (bit 2k+1). */
void mmu_set_pkru(struct mmu *m, uint32_t pkru);
void mmu_set_observer(struct mmu *m, mmu_event_fn fn, void *ctx);

/* Translate one access through the TLBs, walking on a miss; charges cycles.
 * Returns true on success; on a fault x->fault says what happened. */
bool mmu_access(struct mmu *m, uint64_t va, enum mmu_access acc, bool user, struct mmu_xlate *x);
/* mmu_access's common cases, for callers that need no translation back:
 * the TLBs grant the access (an L1 hit, or an L1 miss the L2 TLB answers,
 * filling L1). Accounted exactly as mmu_access would; false (and nothing
 * accounted) when a walk is needed. It makes no coherence check (so the
 * hit path pays nothing for it): with mmu_set_check on, use mmu_access. */
bool mmu_access_tlb(struct mmu *m, uint64_t va, enum mmu_access acc, bool user);

/* A walk from `root` without TLBs (but with A/D updates unless `probe`). */
bool mmu_walk(struct mmu *m, uint64_t root_pa, uint64_t va, enum mmu_access acc, bool user,
	      bool probe, struct mmu_xlate *x);

/* Invalidation, as INVLPG/INVPCID or TLBI VAE1/ASIDE1/VMALLE1 do: TLB entries
 * and the walk-cache entries covering them. */
void mmu_flush_va(struct mmu *m, uint64_t va, uint16_t asid);
void mmu_flush_asid(struct mmu *m, uint16_t asid);
void mmu_flush_all(struct mmu *m);
/* As just made: TLBs and walk caches empty (replacement state too), every
 * counter zero; the physical memory is left as it is (mmusim run --warm's
 * second run). false, with a reason, when host memory runs out. */
bool mmu_restart(struct mmu *m, char *err, size_t errlen);

/* Several CPUs (mmu_config.ncpus). Each has its own TLBs, walk caches,
 * context (root, ASID, PKRU) and statistics; every call above acts on the
 * selected CPU, 0 at first. */
unsigned mmu_cpus(const struct mmu *m);
unsigned mmu_cpu(const struct mmu *m);
void mmu_select_cpu(struct mmu *m, unsigned cpu);
const struct mmu_stats *mmu_cpu_stats(const struct mmu *m, unsigned cpu);
uint64_t mmu_cpu_cycles(const struct mmu *m, unsigned cpu);
/* Invalidation on any CPU, selected or not (what an IPI handler or a
 * broadcast TLBI does there); the events name that CPU. */
void mmu_flush_va_on(struct mmu *m, unsigned cpu, uint64_t va, uint16_t asid);
void mmu_flush_asid_on(struct mmu *m, unsigned cpu, uint16_t asid);
void mmu_flush_all_on(struct mmu *m, unsigned cpu);
/* Cycles of kind c spent by a CPU (a shootdown's initiator and targets). */
void mmu_charge_cycles_on(struct mmu *m, unsigned cpu, enum mmu_cost c, uint64_t cycles);

/* The TLB coherence check (--check-tlb): with a function set, every TLB hit
 * is compared with a walk of the page tables as they are now (a probe that
 * changes no state or statistics); a hit the tables no longer grant (frame,
 * rights or dirty state) is told to fn with both translations
 * (tables->fault says why the walk failed). */
typedef void (*mmu_check_fn)(void *ctx, unsigned cpu, uint64_t va, uint16_t asid, const struct mmu_xlate *cached,
			     const struct mmu_xlate *tables);
void mmu_set_check(struct mmu *m, mmu_check_fn fn, void *ctx);

/* Account work that is not a translation (instructions, fault handling). */
void mmu_charge(struct mmu *m, enum mmu_cost c, uint64_t units);
void mmu_count_instructions(struct mmu *m, uint64_t n);
/* Summed over every CPU, as of the call: call again after more work (the
 * instructions' cycles are worked out here, not as they are counted). */
const struct mmu_stats *mmu_stats(const struct mmu *m);
uint64_t mmu_total_cycles(const struct mmu *m);

/* For viewers and tests: what a TLB level holds at (array, set, way). */
bool mmu_tlb_slot(const struct mmu *m, enum tlb_id t, unsigned array, uint32_t set, uint32_t way,
		  struct tlb_slot *out);
const char *mmu_tlb_name(enum tlb_id t);

/* An entry's raw value and where it lives, as Linux's pte_t and pte_t *:
 * types of their own, so neither is taken for the other or for an address
 * where several stand in a row. */
typedef struct { uint64_t raw; } pte_t;
typedef struct { uint64_t pa; } ptep_t;

/* Building page tables (the OS model, the demo and tests use this). */
typedef uint64_t (*pt_alloc_fn)(void *ctx, int level);  /* a zeroed table's pa, or PT_NO_MEMORY */
#define PT_NO_MEMORY UINT64_MAX
struct pt_builder {
	pt_alloc_fn alloc;   /* NULL: do not build, stop at a missing table */
	/* Optional: told of every link written (entry at `level` -> new table). */
	void (*linked)(void *ctx, int level, uint64_t va, ptep_t at, pte_t old, pte_t val);
	void *ctx;
	struct pte table;    /* the links' attributes (kind and oa are filled in) */
};
/* Physical address of the entry for `va` at `level`, descending from `root`
 * and building missing tables with `b` (NULL: build nothing). Returns
 * PT_NO_MEMORY when a table is missing and cannot be had, or when a block
 * leaf sits above `level`. */
uint64_t pt_entry_addr(struct physmem *pm, const struct pt_format *f, uint64_t root_pa, uint64_t va,
		       int level, const struct pt_builder *b);
/* Write `leaf` (kind PTE_PAGE or PTE_BLOCK) as the entry for `va` at
 * `level`, building the tables above it. Returns the entry's address or
 * PT_NO_MEMORY. */
uint64_t pt_map(struct physmem *pm, const struct pt_format *f, uint64_t root_pa, uint64_t va, int level,
		const struct pte *leaf, const struct pt_builder *b);

/* ------------------------------------------------------------------------
 * Non-present leaf entries as Linux writes them (PTE level, level 3).
 * The hardware ignores every bit but P / valid; the kernel keeps two kinds
 * of non-present, non-zero entries there, and the walker treats both as not
 * present (they fault at level 3 with the ordinary not-present syndromes).
 *
 * Swap entries: a swapped-out page's (type, offset).
 *   x86-64 (arch/x86/include/asm/pgtable_64.h, L1TF-hardened since 4.19):
 *     bits 63:59 type, bits 58:9 the offset inverted, bits 8:0 zero
 *     (P and PROTNONE clear; bits 3:1, soft-dirty/uffd-wp/exclusive, left 0).
 *   arm64 (arch/arm64/include/asm/pgtable.h since 5.19, e.g. 6.1 and 6.6;
 *   later kernels moved PROT_NONE and the fields):
 *     bits 1:0 zero, bit 2 exclusive (left 0), bits 7:3 type, bits 57:8
 *     offset, bit 58 (PTE_PROT_NONE) zero.
 * Both hold 5 type bits and 50 offset bits. Out-of-range bits are dropped.
 * Two encodings are all-zero and so read as an empty entry, as in Linux,
 * which never stores them: arm64 (0, 0) and x86 (0, max offset) - offset 0
 * of a swap device is its header and the last offsets are never used.
 *
 * PROT_NONE entries: mprotect(PROT_NONE) and NUMA hinting keep the frame
 * in an entry the hardware cannot use.
 *   x86-64: P (bit 0) clear, _PAGE_PROTNONE (bit 8, G's position) set, and,
 *     as Linux does since 4.19 (pgtable-invert.h, flip_protnone_guard in
 *     pte_modify), the frame bits 51:12 stored inverted (L1TF).
 *   arm64: PTE_VALID (bit 0) clear, PTE_PROT_NONE (bit 58) set.
 * pte_make_protnone flips only these bits and leaves every other one (RW,
 * U/S, NX, AP, ...) as it was, so pte_from_protnone restores the entry
 * exactly (x86: except a G bit, which user entries never carry). Linux's
 * pte_modify(PAGE_NONE) also rewrites the permission bits; a caller that
 * wants that does so itself.
 */
#define PTE_SWAP_TYPES 32u   /* 5 type bits on both architectures */
uint64_t pte_swap_max_offset(const struct pt_format *f);   /* 2^50 - 1 on both */
uint64_t pte_encode_swap(const struct pt_format *f, unsigned type, uint64_t offset);
/* Non-present, non-zero and not a PROT_NONE entry (Linux's is_swap_pte). */
bool pte_is_swap(const struct pt_format *f, uint64_t raw);
void pte_swap_decode(const struct pt_format *f, uint64_t raw, unsigned *type, uint64_t *offset);

/* `present_raw` must be a present leaf; anything else is returned unchanged. */
uint64_t pte_make_protnone(const struct pt_format *f, uint64_t present_raw);
/* Linux's pte_protnone: the marker set and P / valid clear. */
bool pte_is_protnone(const struct pt_format *f, uint64_t raw);
/* The present entry back (P / valid set, marker clear, x86 frame re-inverted);
 * an entry that is not PROT_NONE is returned unchanged. */
uint64_t pte_from_protnone(const struct pt_format *f, uint64_t raw);

#endif
