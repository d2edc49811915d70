/* Debian's Unicorn 2.0.1, sped up from outside. libunicorn calls the
 * internals below through its PLT, so definitions exported by the
 * executable (cpu/CMakeLists.txt's link options) take their place.
 * docs/architecture.md, "Unicorn's store path". */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/internal.h"

/* Opaque: only Unicorn's own functions look inside. */
struct uc_struct;
struct page_collection;

typedef struct page_collection *collection_lock_fn(struct uc_struct *uc, uint64_t start, uint64_t end);
typedef void collection_unlock_fn(struct page_collection *set);

/* possible: 2.0.1 is what we run on and our definitions are the ones
 * found; overriding: and not turned off (cpu_unicorn_overrides). */
static bool checked, possible, overriding;
static bool helpers_ours;   /* uc_helpers.c's replacements are the ones found */

/* 2.0.1 builds a page collection (a GTree with an entry per page holding
 * code) for every guest store: it is its page locks' bookkeeping, and the
 * locks are compiled out. Nothing reads it but page_collection_unlock,
 * which frees it, so one constant stands for all of them. */
static char no_collection;

static void *unicorn_own(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f) {
		fprintf(stderr, "mmusim: libunicorn has no %s\n", name);
		abort();
	}
	return f;
}

#define COLLECTION_OVERRIDES(arch)                                                                       \
	struct page_collection *page_collection_lock_##arch(struct uc_struct *uc, uint64_t start,        \
							      uint64_t end);                           \
	void page_collection_unlock_##arch(struct page_collection *set);                                 \
	struct page_collection *page_collection_lock_##arch(struct uc_struct *uc, uint64_t start,        \
							      uint64_t end)                            \
	{                                                                                                \
		static collection_lock_fn *own;                                                          \
		if (overriding)                                                                          \
			return (struct page_collection *)&no_collection;                                 \
		if (!own)                                                                                \
			own = (collection_lock_fn *)unicorn_own("page_collection_lock_" #arch);          \
		return own(uc, start, end);                                                              \
	}                                                                                                \
	void page_collection_unlock_##arch(struct page_collection *set)                                  \
	{                                                                                                \
		static collection_unlock_fn *own;                                                        \
		if (set == (struct page_collection *)&no_collection)                                     \
			return;                                                                          \
		if (!own)                                                                                \
			own = (collection_unlock_fn *)unicorn_own("page_collection_unlock_" #arch);      \
		own(set);                                                                                \
	}

COLLECTION_OVERRIDES(x86_64)
COLLECTION_OVERRIDES(aarch64)

/* 2.0.1 finds the region of every load and store its helpers take (all of
 * them in timing mode, where memory hooks are on) by trying its region
 * cache, which it never updates, then bisecting. A memo by page answers
 * first. The region a page is in changes only through the calls below,
 * which forget the memo; while one runs (its own lookups see regions half
 * changed) the memo is not used. */
struct MemoryRegion;
typedef struct MemoryRegion *region_lookup_fn(struct uc_struct *uc, uint64_t address);
struct region_memo {
	struct uc_struct *uc;
	uint64_t page;
	struct MemoryRegion *mr;
};
/* By 1 KiB: no region is aligned more finely (ARM's smallest page). */
#define MEMO_SHIFT 10
#define MEMO_SLOTS 512
static struct region_memo region_memo[MEMO_SLOTS];
static int regions_changing;
static bool memo_on;   /* overriding, and no region changing */

static void memo_reset(void)
{
	memo_on = overriding && !regions_changing;
	memset(region_memo, 0, sizeof region_memo);
}

__attribute__((noinline)) static struct MemoryRegion *region_lookup(struct uc_struct *uc, uint64_t address)
{
	static region_lookup_fn *own;
	if (!own)
		own = (region_lookup_fn *)unicorn_own("memory_mapping");
	struct MemoryRegion *mr = own(uc, address);
	if (mr && memo_on)
		region_memo[(address >> MEMO_SHIFT) % MEMO_SLOTS] = (struct region_memo){uc, address >> MEMO_SHIFT, mr};
	return mr;
}

struct MemoryRegion *memory_mapping(struct uc_struct *uc, uint64_t address);
struct MemoryRegion *memory_mapping(struct uc_struct *uc, uint64_t address)
{
	const struct region_memo *m = &region_memo[(address >> MEMO_SHIFT) % MEMO_SLOTS];
	if (m->uc == uc && m->page == address >> MEMO_SHIFT && memo_on)
		return m->mr;
	return region_lookup(uc, address);
}

static void regions_change(int by)
{
	regions_changing += by;
	memo_reset();
}

/* The calls that change an engine's regions. The executable's own calls
 * bind to these (libunicorn's come after them), so none is missed. */
#define REGION_CHANGE(ret, name, params, args)                                  \
	ret name params                                                          \
	{                                                                        \
		static ret(*own) params;                                         \
		if (!own)                                                        \
			own = (ret(*) params)unicorn_own(#name);                 \
		regions_change(1);                                               \
		ret e = own args;                                                \
		regions_change(-1);                                              \
		return e;                                                        \
	}

REGION_CHANGE(uc_err, uc_mem_map, (uc_engine * uc, uint64_t address, size_t size, uint32_t perms),
	      (uc, address, size, perms))
REGION_CHANGE(uc_err, uc_mem_map_ptr, (uc_engine * uc, uint64_t address, size_t size, uint32_t perms, void *ptr),
	      (uc, address, size, perms, ptr))
REGION_CHANGE(uc_err, uc_mmio_map,
	      (uc_engine * uc, uint64_t address, size_t size, uc_cb_mmio_read_t read_cb, void *user_data_read,
	       uc_cb_mmio_write_t write_cb, void *user_data_write),
	      (uc, address, size, read_cb, user_data_read, write_cb, user_data_write))
REGION_CHANGE(uc_err, uc_mem_unmap, (uc_engine * uc, uint64_t address, size_t size), (uc, address, size))
REGION_CHANGE(uc_err, uc_mem_protect, (uc_engine * uc, uint64_t address, size_t size, uint32_t perms),
	      (uc, address, size, perms))
REGION_CHANGE(uc_err, uc_close, (uc_engine * uc), (uc))

/* On only where what it replaces is known: Unicorn 2.0.1 exactly, and the
 * symbols resolving to ours (the link options exported them). */
void uc_overrides_check(void)
{
	if (checked)
		return;
	checked = true;
	unsigned major, minor;
	possible = (uc_version(&major, &minor) >> 8) == 0x020001 &&
		   dlsym(RTLD_DEFAULT, "page_collection_lock_x86_64") == (void *)page_collection_lock_x86_64 &&
		   dlsym(RTLD_DEFAULT, "page_collection_lock_aarch64") == (void *)page_collection_lock_aarch64 &&
		   dlsym(RTLD_DEFAULT, "memory_mapping") == (void *)memory_mapping;
	/* Unicorn as Debian ships it, to compare with (tests/engine_agree.sh). */
	const char *stock = getenv("MMUSIM_UNICORN_AS_SHIPPED");
	overriding = possible && !(stock && *stock && strcmp(stock, "0"));
	helpers_ours = possible && uc_helpers_ours();
	memo_reset();
}

bool uc_overrides_on(void)
{
	return overriding && helpers_ours;
}

bool cpu_unicorn_overrides(bool on)
{
	uc_overrides_check();
	overriding = on && possible;
	memo_reset();
	return overriding;
}

const char *cpu_engine_version(void)
{
	uc_overrides_check();
	static char line[320];
	unsigned major, minor;
	unsigned version = uc_version(&major, &minor);
	snprintf(line, sizeof line, "unicorn %u.%u.%u%s", major, minor, (version >> 8) & 0xff,
		 !overriding     ? ""
		 : helpers_ours ? " (its store path without page collections, its regions memoized, its load and store "
				  "helpers replaced for TLB hits: cpu/uc_overrides.c, cpu/uc_helpers.c)"
				: " (its store path without page collections, its regions memoized: cpu/uc_overrides.c)");
	return line;
}
