/* Helpers for tests: hand-built page tables in a fresh physical memory, and
 * a plain machine configuration with round numbers that tests can reason
 * about in closed form. */
#ifndef MMUSIM_TESTLIB_H
#define MMUSIM_TESTLIB_H

#include "mmu/mmu.h"

struct tspace {
	struct physmem *pm;
	const struct pt_format *f;
	uint64_t next_frame;   /* bump allocator; frame 0 is never handed out */
	uint64_t root;
	struct pt_builder build; /* builds tables from this space; build.table: their attributes */
};

/* Physical memory of `frames` base pages, a root table allocated. */
void tspace_init(struct tspace *s, const struct pt_format *f, uint64_t frames);
void tspace_free(struct tspace *s);
/* A fresh zeroed frame (its physical address). */
uint64_t tspace_frame(struct tspace *s);
/* Map `leaf` for va at `level`; returns the leaf entry's physical address. */
uint64_t tspace_map(struct tspace *s, uint64_t va, int level, const struct pte *leaf);
/* A user page (x86: P RW US, A/D as given; AArch64: AF set, AP EL0, nG). */
struct pte tspace_user_page(const struct tspace *s, uint64_t frame, bool write, bool exec);

/* An MMU with configuration c over s's memory, its context s's root and
 * asid (exits the test program if it cannot be made). */
struct mmu *tspace_mmu(struct tspace *s, const struct mmu_config *c, uint16_t asid);
/* fn(f) for each of the n formats; a format under which it failed is named
 * on stderr. `failed` is the test's failure count (check.h). */
void run_on_formats(const char *name, void (*fn)(const struct pt_format *), const struct pt_format *const *formats,
		    size_t n, const int *failed);

/* A configuration with no TLBs and no walk caches, walk reads costing
 * `walk_latency` cycles and every fault cost zero. */
struct mmu_config test_config(const struct pt_format *f, uint64_t phys_size, uint32_t walk_latency);
/* One TLB array: entries, ways (0 = fully associative), sizes mask, policy. */
struct tlb_config test_tlb(uint32_t latency, uint32_t entries, uint32_t ways, uint64_t sizes, enum tlb_repl repl);

#endif
