/* Unicorn 2.0.1's load and store helpers, replaced. With memory hooks on
 * (timing mode), translated code calls a helper for every access, and
 * without them for every store; its generic path (region lookup, hook
 * lists, Unicorn's TLB, page-dirty checks) took about 160 host
 * instructions a load on gzip. The accesses direct_host takes are done
 * here, on the region's host memory (accounted as mem_hook would); all
 * else goes to Unicorn's own helper, whose hook does what it always did.
 * docs/architecture.md, "Unicorn's load and store helpers". */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/internal.h"

/* The replacements' code, in a section of its own (the unwinder's test). */
#define HELPER_TEXT __attribute__((section("mmusim_uc_helpers"), noinline))
extern const char __start_mmusim_uc_helpers[], __stop_mmusim_uc_helpers[];

bool uc_helpers_text(uintptr_t ip)
{
	return ip >= (uintptr_t)__start_mmusim_uc_helpers && ip < (uintptr_t)__stop_mmusim_uc_helpers;
}

static struct cpu *direct;   /* the engine running now, when its hits are done here */

/* libunicorn's own code: its helpers call these too (a store split into
 * bytes, with its hooks off): those calls go straight to Unicorn's. */
static uintptr_t unicorn_lo, unicorn_hi;

static inline bool from_unicorn(const void *ret)
{
	return (uintptr_t)ret >= unicorn_lo && (uintptr_t)ret < unicorn_hi;
}

/* Unicorn splits an access that crosses one of its pages (1 KiB on
 * AArch64) and calls its hooks for each part: those go to it. */
#define UNICORN_MIN_PAGE 1024u

/* QEMU 5.0's memory-op index (include/exec/memop.h): the op above 4 bits
 * of MMU index; the op's alignment field, 3 bits from bit 4. */
#define OI_OP_SHIFT 4
#define MO_SIZE 3u
#define MO_ASHIFT 4
#define MO_AMASK (7u << MO_ASHIFT)

/* Whether addr meets the alignment the op asks for (Unicorn raises the
 * guest's alignment fault otherwise). */
static inline bool aligned_as_asked(uint64_t addr, uint32_t oi)
{
	uint32_t op = oi >> OI_OP_SHIFT, a = op & MO_AMASK;
	unsigned bits = a == 0 ? 0 : a == MO_AMASK ? (op & MO_SIZE) : a >> MO_ASHIFT;
	return !(addr & ((1ull << bits) - 1));
}

/* Where an access is done here: host memory of the region holding it;
 * NULL to leave it to Unicorn. Under memory hooks (timing mode) only when
 * the TLBs answer at once, with mem_hook's accounting done. Without them
 * (functional mode) only stores: 2.0.1 deems every page unwritten, so
 * each store comes here, while a load comes only when Unicorn's TLB
 * misses, and its helper is what fills that TLB. Stores to executable
 * regions go to Unicorn: it drops translated code a store overwrites. */
static inline uint8_t *direct_host(uint64_t addr, uint32_t oi, unsigned size, enum mmu_access acc, const void *ret)
{
	struct cpu *c = direct;
	if (!c || from_unicorn(ret) || (addr & (UNICORN_MIN_PAGE - 1)) + size > UNICORN_MIN_PAGE ||
	    !aligned_as_asked(addr, oi))
		return NULL;
	struct region *r = region_of(c, addr);
	if (!r || (acc == ACC_WRITE && r->exec))
		return NULL;
	if (c->data_hooked ? !tlb_hit_accounted(c, addr, addr + size - 1, acc) : acc != ACC_WRITE)
		return NULL;
	return r->host + (addr - r->start);
}

typedef uint64_t load_fn(void *env, uint64_t addr, uint32_t oi, uintptr_t ra);

/* Each replacement and Unicorn's own helper it stands for (uc_helpers_ours
 * finds them all before any engine runs). */
#define LOAD_HELPER(name, type)                                                              \
	uint64_t name(void *env, uint64_t addr, uint32_t oi, uintptr_t ra);                   \
	static load_fn *own_##name;                                                           \
	HELPER_TEXT uint64_t name(void *env, uint64_t addr, uint32_t oi, uintptr_t ra)        \
	{                                                                                     \
		const uint8_t *h = direct_host(addr, oi, sizeof(type), ACC_READ, __builtin_return_address(0)); \
		if (h) {                                                                      \
			type v;                                                               \
			memcpy(&v, h, sizeof v);                                              \
			return v;                                                             \
		}                                                                             \
		return own_##name(env, addr, oi, ra);                                         \
	}

#define STORE_HELPER(name, type)                                                             \
	void name(void *env, uint64_t addr, type val, uint32_t oi, uintptr_t ra);             \
	static void (*own_##name)(void *env, uint64_t addr, type val, uint32_t oi, uintptr_t ra); \
	HELPER_TEXT void name(void *env, uint64_t addr, type val, uint32_t oi, uintptr_t ra)  \
	{                                                                                     \
		uint8_t *h = direct_host(addr, oi, sizeof(type), ACC_WRITE, __builtin_return_address(0)); \
		if (h) {                                                                      \
			memcpy(h, &val, sizeof val);                                          \
			return;                                                               \
		}                                                                             \
		own_##name(env, addr, val, oi, ra);                                           \
	}

/* The helpers the host's TCG backend calls (tcg/i386's qemu_ld_helpers and
 * qemu_st_helpers, little-endian guests), by architecture. */
#define HELPERS(X, arch)                          \
	X(LOAD, helper_ret_ldub_mmu_##arch, uint8_t)   \
	X(LOAD, helper_le_lduw_mmu_##arch, uint16_t)   \
	X(LOAD, helper_le_ldul_mmu_##arch, uint32_t)   \
	X(LOAD, helper_le_ldq_mmu_##arch, uint64_t)    \
	X(STORE, helper_ret_stb_mmu_##arch, uint8_t)   \
	X(STORE, helper_le_stw_mmu_##arch, uint16_t)   \
	X(STORE, helper_le_stl_mmu_##arch, uint32_t)   \
	X(STORE, helper_le_stq_mmu_##arch, uint64_t)

#define DEFINE(kind, name, type) kind##_HELPER(name, type)
HELPERS(DEFINE, x86_64)
HELPERS(DEFINE, aarch64)
#undef DEFINE

static int find_unicorn_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t f = (uintptr_t)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && f >= lo && f < lo + ph->p_memsz) {
			unicorn_lo = lo;
			unicorn_hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* RDTSC and RDTSCP (Unicorn's helpers read the host's time-stamp
 * counter): the simulated clock's ticks, so that a run repeats (Go's
 * runtime reads the counter for its scheduling and hashing). TSC_AUX, which
 * RDTSCP puts in ECX, is the CPU's number, as Linux sets it. A helper's
 * CPUX86State begins with the general registers: RAX, RCX, RDX, ... */
typedef void rdtsc_fn(void *env);
void helper_rdtsc_x86_64(void *env);
void helper_rdtscp_x86_64(void *env);
static rdtsc_fn *own_helper_rdtsc_x86_64, *own_helper_rdtscp_x86_64;
static struct cpu *running;   /* the engine running now, overrides or not */

static void read_clock(struct cpu *c, uint64_t *regs)
{
	insns_post(c);   /* the block's instructions are in the cycles */
	uint64_t t = os_clock_ticks(c->k);
	regs[0] = (uint32_t)t;
	regs[2] = t >> 32;
}

HELPER_TEXT void helper_rdtsc_x86_64(void *env)
{
	if (running)
		read_clock(running, env);
	else
		own_helper_rdtsc_x86_64(env);
}

HELPER_TEXT void helper_rdtscp_x86_64(void *env)
{
	if (!running) {
		own_helper_rdtscp_x86_64(env);
		return;
	}
	read_clock(running, env);
	((uint64_t *)env)[1] = (uint32_t)mmu_cpu(running->mmu);
}

static const struct helper {
	const char *name;
	void *ours;
	void **own;
} helpers[] = {
#define ONE(kind, name, type) {#name, (void *)name, (void **)&own_##name},
	HELPERS(ONE, x86_64) HELPERS(ONE, aarch64)
	ONE(, helper_rdtsc_x86_64, ) ONE(, helper_rdtscp_x86_64, )
#undef ONE
};

/* Unicorn's own helpers, found before anything can call ours: a program
 * that links cpu/ and runs an engine of its own (bench_run) gets Unicorn's
 * behaviour through them. */
__attribute__((constructor)) static void find_unicorn_helpers(void)
{
	for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++)
		*helpers[i].own = dlsym(RTLD_NEXT, helpers[i].name);
	if (*helpers[0].own)
		dl_iterate_phdr(find_unicorn_text, *helpers[0].own);
}

/* Ours when every replacement is the one libunicorn's relocations found
 * (the link options export them), Unicorn's own are there, and
 * libunicorn's text is known. */
bool uc_helpers_ours(void)
{
	for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++)
		if (dlsym(RTLD_DEFAULT, helpers[i].name) != helpers[i].ours || !*helpers[i].own)
			return false;
	return unicorn_hi != 0;
}

void uc_helpers_direct(struct cpu *c)
{
	running = c;
	direct = c && uc_overrides_on() ? c : NULL;
}
