/* mmu/ internals: the TLB arrays, walk caches and the machine state. Nothing
 * outside mmu/ includes this. */
#ifndef MMUSIM_MMU_INTERNAL_H
#define MMUSIM_MMU_INTERNAL_H

#include "mmu/mmu.h"

#define TLB_NO_KEY UINT64_MAX

/* One TLB way (its key is in the array's `keys`). */
struct tlb_entry {
	uint64_t frame;      /* physical base of the region this entry maps */
	uint16_t asid;
	uint8_t shift;
	uint8_t perm_user, perm_kernel;
	bool dirty, global;
	uint8_t pkey;
	int8_t level;
};

struct tlb_array {
	uint64_t sizes;      /* bit n: holds 2^n-byte mappings */
	uint32_t sets, ways;
	enum tlb_repl repl;
	struct tlb_entry *e; /* sets * ways, set-major */
	/* Per entry, packed (what lookups compare): the VA of the mapping's
	 * base, truncated to the format's VA width, with the mapping's size
	 * shift in the low bits (bases are at least 4 KiB aligned, so the two
	 * never overlap); TLB_NO_KEY when the way is empty. */
	uint64_t *keys;
	/* The CAM: a hash index from key to the entries holding it (entry
	 * index + 1 in `bucket`, chained through `chain`; 0 ends a chain), so
	 * a lookup or fill costs the same in a 48-way set as in a 4-way one. */
	uint32_t *bucket, *chain;
	unsigned hash_bits;
	/* Recency: each touch gives the entry its set's next `stamp` (per set
	 * `clock`), so the least recently used way has the smallest; `head` is
	 * the way touched last (touching it again changes no order). A hit
	 * costs two stores; only a fill into a full LRU set looks for the
	 * smallest. `used`: the set's non-empty ways (a fill takes the first
	 * empty way while there is one). */
	uint32_t *head, *used;
	uint64_t *stamp, *clock;
	/* LRU sets wider than LRU_CANDIDATES: per set, the least recent ways
	 * as one scan found them, oldest first, with their stamps then; the
	 * first whose stamp has not changed since is still the least recent
	 * (a touch only ever gives a stamp above all others). */
	struct lru_candidates *cand;
	uint64_t *plru;      /* tree bits per set (REPL_PLRU) */
	uint64_t rng;
	uint64_t present;    /* sizes filled since creation (a superset of those held) */
};

#define LRU_CANDIDATES 8
struct lru_candidates {
	uint64_t stamp[LRU_CANDIDATES];
	uint32_t way[LRU_CANDIDATES];
	uint32_t next, n;    /* candidates [next, n) still to try */
};

/* A translation a lookup found: the lookup's answer for the 4 KiB page
 * `page` (the full va >> 12: a non-canonical address never matches its
 * masked twin) while nothing is flushed (tlb_forget empties it) and no
 * fill replaces its entry or maps its page (memo_forget_fill).
 * It answers without a lookup when its way is its set's most recent
 * (`*head == way`): a lookup would return it touching nothing. Else, when
 * `only` (no other entry of its array matches the page and ASID, so a
 * lookup finds it and no other), a lookup would return it after touching
 * it: tlb_memo_touch does the same. `grants`: bit acc set when a user
 * access of that kind passes entry_grants under the PKRU it was made with
 * (mmu_set_pkru empties it when that changes). */
struct tlb_memo {
	uint64_t page;       /* TLB_NO_KEY when empty */
	const struct tlb_entry *e;
	uint32_t *head;
	uint64_t *stamp, *clock;   /* the entry's recency stamp and its set's clock */
	struct tlb_array *a;
	uint32_t set, way;
	uint8_t grants;
	bool only;
	bool plru;           /* its array is tree pseudo-LRU: a touch moves tree bits too */
};

/* A touch's recency (struct tlb_array): the way's stamp is its set's next,
 * and it is the set's head. */
static inline void lru_stamp(uint64_t *stamp, uint64_t *clock, uint32_t *head, uint32_t way)
{
	*stamp = ++*clock;
	*head = way;
}

void tlb_memo_plru_touch(const struct tlb_memo *s);

/* What a lookup's touch of a memo's entry does (touch in tlb.c), from the
 * memo's pointers: inline, as a hit on an entry not its set's most recent
 * is common in a 48-way set. */
static inline void tlb_memo_touch(const struct tlb_memo *s)
{
	lru_stamp(s->stamp, s->clock, s->head, s->way);
	if (s->plru)
		tlb_memo_plru_touch(s);
}
#define TLB_MEMO_SLOTS 64   /* direct-mapped by page: a stack, a heap and a data page or two at once */

struct tlb {
	uint32_t latency;
	unsigned narrays;
	struct tlb_array arr[TLB_MAX_ARRAYS];
	struct tlb_memo memo[TLB_MEMO_SLOTS];
	/* The 4 KiB page (va >> 12) the last lookup missed, for the same
	 * ASID: until a fill it misses again. ~0 when none. */
	uint64_t missed_page;
};

/* Walk caches (x86 paging-structure caches, AArch64 walk cache): per level,
 * the table descriptor for a VA prefix, with the permissions accumulated from
 * the root down to it. */
struct wc_entry {
	uint64_t tag;        /* va >> level shift; TLB_NO_KEY when empty */
	uint64_t next;       /* next-level table */
	uint64_t stamp;
	uint16_t asid;
	uint8_t acc;         /* accumulated WC_* restrictions */
};
#define WC_NO_WRITE 1
#define WC_NO_USER  2
#define WC_NO_UX    4
#define WC_NO_PX    8

struct walk_cache {
	uint32_t sets, ways, latency;
	struct wc_entry *e;
	uint64_t tick;
};

/* A CPU's own translation state while another CPU is the selected one
 * (struct mmu holds the selected CPU's, so the hot path is the same with
 * one CPU or many). */
struct mmu_cpu_state {
	uint64_t root;
	uint16_t asid;
	uint32_t pkru;
	struct tlb tlb[TLB_COUNT];
	struct walk_cache wc[PT_MAX_LEVELS];
	struct mmu_stats st;
};

struct mmu {
	struct mmu_config cfg;
	const struct pt_format *fmt;
	struct physmem *pm;
	uint64_t root;
	uint16_t asid;
	uint32_t pkru;
	uint64_t va_mask;    /* the VA bits a translation uses */
	struct tlb tlb[TLB_COUNT];
	struct walk_cache wc[PT_MAX_LEVELS];
	struct mmu_stats st;
	mmu_event_fn observer;
	void *observer_ctx;
	unsigned ncpus, cpu;          /* CPUs, and the selected one */
	struct mmu_cpu_state *other;  /* per CPU; other[cpu] unused while selected */
	struct mmu_stats total;       /* mmu_stats's sum over several CPUs */
	mmu_check_fn check;           /* --check-tlb: told of every stale hit */
	void *check_ctx;
};

/* The VA a translation can use: on x86 canonical (bits 63:va_bits-1 all
 * equal), on AArch64 inside TTBR0's range (the user half). TLB and walk-cache
 * tags use the VA masked to va_bits, which is unique among such addresses. */
static inline bool mmu_va_in_range(const struct mmu *m, uint64_t va)
{
	unsigned bits = m->fmt->va_bits;
	if (m->fmt->arch == ARCH_AARCH64)
		return (va >> bits) == 0;
	int64_t sv = (int64_t)(va << (64 - bits)) >> (64 - bits);
	return (uint64_t)sv == va;
}

/* tlb.c */
bool tlb_init(struct tlb *t, const struct tlb_config *c, uint64_t seed, char *err, size_t errlen);
void tlb_free(struct tlb *t);
/* The entry for va, or NULL; *s gets where it sits (all but page and
 * grants). */
const struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid, struct tlb_memo *s);
void tlb_fill(struct mmu *m, enum tlb_id id, const struct mmu_xlate *x);
uint32_t tlb_flush(struct tlb *t, int scope, uint64_t va, uint16_t asid);
void tlb_forget(struct tlb *t);   /* no remembered hit or miss (struct tlb's memo, missed_page) */

/* walk.c */
bool wc_init(struct walk_cache *w, const struct walk_cache_config *c, char *err, size_t errlen);
void wc_free(struct walk_cache *w);
uint32_t wc_flush(struct walk_cache *w, int scope, uint64_t va, unsigned shift, uint16_t asid);
bool walk_translate(struct mmu *m, uint64_t root, uint16_t asid, uint64_t va, enum mmu_access acc,
		    bool user, bool probe, bool use_wc, struct mmu_xlate *x);

void mmu_emit(struct mmu *m, const struct mmu_event *ev);
/* Drop TLB and walk-cache entries (scope 0: covering va, 1: asid, 2: all);
 * returns how many. */
uint32_t mmu_invalidate(struct mmu *m, int scope, uint64_t va, uint16_t asid);
/* The same in a given CPU's TLBs and walk caches. */
uint32_t mmu_invalidate_in(struct mmu *m, struct tlb *tlb, struct walk_cache *wc, int scope, uint64_t va,
			   uint16_t asid);
/* Invalidation on a CPU, told to the observer. */
void mmu_flush_on(struct mmu *m, unsigned cpu, int scope, uint64_t va, uint16_t asid);
/* smp.c: --check-tlb's comparison of a hit with the tables. */
void mmu_check_hit(struct mmu *m, const struct tlb_entry *e, uint64_t va);

#endif
