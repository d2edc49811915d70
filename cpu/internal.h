/* cpu/ internals, shared by its three rooms (shadow.c, hooks.c, run.c).
 * Nothing outside cpu/ includes this. */
#ifndef MMUSIM_CPU_INTERNAL_H
#define MMUSIM_CPU_INTERNAL_H

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "cpu/cpu.h"

/* What the shadow holds for a guest page. */
#define SHADOW_NONE 0
#define SHADOW_RO 1
#define SHADOW_RW 2
#define SHADOW_SCRATCH 3   /* a dead process's last accesses land here */

/* A run of guest pages Unicorn sees as one region, over a host reservation. */
struct region {
	uint64_t start, end;     /* guest [start, end) */
	bool exec;
	bool window;             /* one window of a huge run (shadow.c), made when first touched */
	uint8_t *host;           /* the reservation */
	uint8_t *state;          /* SHADOW_* per guest page */
};

/* x86 instruction counts of translated blocks, each counted once (by
 * disassembly) for as long as the code under it stays: an open-addressing
 * table keyed by (process, address, size) that grows with the hot blocks
 * a program has (an interpreter has tens of thousands). */
struct block_count {
	uint64_t addr;
	uint32_t size, insns;    /* insns 0: an empty slot */
	int pid;
};
struct block_counts {
	struct block_count *slot;
	size_t cap, used;        /* cap: a power of two */
	/* In front of the table, a direct-mapped memo keyed by the block's
	 * address: a hot block's count costs one compare, not the table's hash,
	 * probe and call (they were a third of the block hook's host
	 * instructions). Cleared with the table. */
	struct block_count memo[1024];
	bool memo_used;
};

/* A thread as the CPU keeps it while another runs: its registers and
 * (for one task of each process) the process's regions, kept with their
 * shadow while out of Unicorn. Threads of one process share the regions:
 * they are in Unicorn while one of them runs, else held by one of its
 * tasks. Whether it runs or sleeps is the kernel's (os/sched.c). */
struct task {
	int pid;                 /* its process's */
	int tid;
	struct proc *p;          /* NULL once it has ended */
	uc_context *ctx;
	bool started;            /* has run: ctx holds its registers */
	struct region *reg;
	size_t nreg;
	uint64_t set_tid;        /* CLONE_CHILD_SETTID, written when it first runs */
	/* Signal work for its way back to user mode, done between
	 * uc_emu_start calls (registers are stable there; a preemption may
	 * come first): a system call's return with a signal to deliver, an
	 * rt_sigreturn. */
	struct syscall_exit sx;
	bool sigreturn;
	char comm[16];           /* the program's name, as the kernel's messages give it */
};

struct cpu {
	struct kernel *k;
	struct mmu *mmu;
	const struct pt_format *f;
	struct physmem *pm;
	struct cpu_options o;
	uc_engine *uc;
	struct cpuid *cpuid;     /* x86-64: CPUID with FPU and MMX (cpuid.c) */
	csh cs;
	uint64_t page;
	unsigned shift;
	struct region *reg;      /* the current process's regions, in Unicorn */
	size_t nreg;
	/* region_of's memo: a region index by 16 KiB of address (checked
	 * before use; stale ones only miss). Stack, heap and data alternate
	 * on nearly every access; a single last-region hint missed often. */
	uint32_t region_hint[128];
	struct region *runs;     /* the runs reg was made for (shadow.c), while runs_valid */
	size_t nruns;
	bool runs_valid;
	bool runs_merged;        /* past the budget: runs merged whatever their permission */
	bool runs_on_demand;     /* past it even so: each run made when first touched */
	uint8_t *trap;           /* a page of int3 / UDF: a dead process's fetches stop here */
	uint8_t *scratch;        /* a writable page for a dead process's last accesses */
	bool dying;              /* the current process was killed; stop soon */
	int signo;
	struct fault_record killer;
	bool have_killer;
	const char *trap_killer;  /* or the trap that killed it, as Linux names it ("divide error") */
	uint64_t trap_pc;
	bool exited;
	bool thread_exited;      /* the current thread ended, its process goes on */
	int status;
	uint64_t insns;
	/* Counted by the block hook, not yet given to the MMU's statistics
	 * (insns_post): functional mode gives them where something may read
	 * them, not on every block. */
	uint64_t insns_unposted;
	struct block_counts blocks;
	struct task **tasks;     /* in the order they were created */
	size_t ntasks;
	struct task *cur;        /* whose registers and regions Unicorn has */
	struct task *reg_heir;   /* with no cur: the task whose process's regions Unicorn still has
				  * (a thread ended; its sibling runs next, most likely) */
	bool reg_dead;           /* with no cur: Unicorn still has a dead process's regions, taken
				  * out when another process runs (not at all when none does) */
	uint64_t mm_switches;    /* between processes: every few hundred, a fresh engine (run.c) */
	uint64_t slice_end;      /* preempt the current process at this count */
	bool preempt;
	bool exec_pending;       /* execve succeeded: start the new image */
	/* A fault whose signal a handler catches (`dying` stops the rest of
	 * the block, as for a fatal one; the registers as they were at the
	 * faulting instruction are kept in fault_ctx). */
	bool caught;
	uc_context *fault_ctx;
	bool halted;             /* --max-insns reached, or SIGINT/SIGTERM: the whole run stops */
	struct exec_image exec;
	uc_hook data_hook;       /* the pre-access memory hooks, while installed */
	bool data_hooked;
	uint64_t block_pc;       /* the translated block running now */
	/* The last data access mem_hook accounted as an L1 TLB hit: the host
	 * may still fault on it (forgotten when the shadow loses pages). */
	bool hooked;
	uint64_t hooked_page;
	enum mmu_access hooked_acc;
	bool in_segv;            /* the access comes from the host SIGSEGV handler */
	/* Inside a memory hook or the SIGSEGV handler, Unicorn's load/store
	 * helper holds a TLB entry that uc_ctl_remove_cache would refill: code
	 * pages whose translated blocks must go wait here until the next block
	 * hook (code_removals_flush). */
	unsigned in_access;
	uint64_t stale_code[32];
	unsigned nstale;
	bool stale_overflow;     /* more than fit: every executable region's blocks go */
	bool rerun_block;        /* the block hook stopped a stale block: start it again */
	/* Timing mode without --check-tlb: TLB hits take os_access_tlb's quick
	 * path, which checks nothing. With the check on, every access goes
	 * through os_access (mmu_access checks each hit). Decided once. */
	bool tlb_fast;
};

/* The registers the bridge names, per architecture. */
static inline int return_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_RAX : UC_ARM64_REG_X0; }
static inline int pc_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_RIP : UC_ARM64_REG_PC; }
static inline int sp_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_RSP : UC_ARM64_REG_SP; }
static inline int tls_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_FS_BASE : UC_ARM64_REG_TPIDR_EL0; }

static inline uint64_t read_pc(struct cpu *c)
{
	uint64_t v = 0;
	uc_reg_read(c->uc, pc_reg(c), &v);
	return v;
}

/* The instructions counted since the last post go to the MMU's
 * statistics (the count and its cycles): before any call into os/ (its
 * events and system calls read the cycles) and when Unicorn stops. */
static inline void insns_post(struct cpu *c)
{
	if (c->insns_unposted) {
		mmu_count_instructions(c->mmu, c->insns_unposted);
		c->insns_unposted = 0;
	}
}

/* ---- shadow.c: regions and the shadow of guest memory ---- */
/* The current process's region holding va (inline: the hooks ask often). */
static inline struct region *region_of(struct cpu *c, uint64_t va)
{
	uint32_t *hint = &c->region_hint[(va >> 14) % (sizeof c->region_hint / sizeof c->region_hint[0])];
	if (*hint < c->nreg && va >= c->reg[*hint].start && va < c->reg[*hint].end)
		return &c->reg[*hint];
	for (size_t i = 0; i < c->nreg; i++)
		if (va >= c->reg[i].start && va < c->reg[i].end) {
			*hint = (uint32_t)i;
			return &c->reg[i];
		}
	return NULL;
}

static inline bool shadow_serves(const struct cpu *c, const struct region *r, uint64_t va, enum mmu_access acc)
{
	uint8_t st = r->state[(va - r->start) >> c->shift];
	return st == SHADOW_RW || (st == SHADOW_RO && acc != ACC_WRITE);
}

void sync_regions(struct cpu *c);
void regions_forget(struct cpu *c);
/* Unicorn's unmapped hook: makes the window of a huge run that holds va;
 * false if va is in none. */
bool window_make(struct cpu *c, uint64_t va);
void regions_clear(struct cpu *c);
void regions_put_away(struct cpu *c, struct task *t);
void regions_take_back(struct cpu *c, struct task *t);
void regions_free_host(struct region *reg, size_t nreg);
void shadow_set(struct cpu *c, struct region *r, uint64_t va, const struct mmu_xlate *x);
void shadow_drop_scratch(struct cpu *c);
void scratch_cover(struct cpu *c, uint64_t va, bool fetch);
void shadow_unmap_hook(void *ctx, int pid, uint64_t va, uint64_t len);
/* Removes the translated code deferred from inside hooks; whether the
 * block at [addr, addr+size) was on a page of it. */
bool code_removals_flush(struct cpu *c, uint64_t addr, uint64_t size);
/* Whether any are deferred (inline: the block hook asks on every block). */
static inline bool code_removals_pending(const struct cpu *c) { return c->nstale || c->stale_overflow; }

/* An access within one page that the TLBs answer at once, accounted (timing
 * mode without --check-tlb): mem_hook's quick path and uc_helpers.c's. The
 * host may still fault on it if the shadow lacks the page; the SIGSEGV
 * handler knows it by `hooked`. */
static inline bool tlb_hit_accounted(struct cpu *c, uint64_t addr, uint64_t last, enum mmu_access acc)
{
	if (!c->tlb_fast || ((last ^ addr) >> c->shift) || c->dying || !os_access_tlb(c->k, addr, acc))
		return false;
	c->hooked_page = addr >> c->shift;
	c->hooked_acc = acc;
	c->hooked = true;
	return true;
}

/* ---- hooks.c: what Unicorn and the host tell the bridge ---- */
void hooks_install(struct cpu *c);
void uc_overrides_check(void);
/* The overrides on, uc_helpers.c's among them. */
bool uc_overrides_on(void);
/* ---- uc_helpers.c: Unicorn's load and store helpers, replaced ---- */
/* While c's engine runs (emulate), the replacements do what accesses they
 * can themselves; NULL: none. */
void uc_helpers_direct(struct cpu *c);
bool uc_helpers_ours(void);
/* Whether a return address is in the replacements' own code (their frames
 * count as Unicorn's: hooks.c's unwinder). */
bool uc_helpers_text(uintptr_t ip);
void data_hooks_as_needed(struct cpu *c);
/* The code under some translated blocks changed: count their instructions anew. */
void block_counts_forget(struct cpu *c);
void fault_pc_hook(void *ctx, struct fault_record *r);
void segv_catch(struct cpu *c);
void segv_release(void);

/* ---- run.c: processes, slices and system calls ---- */
struct task *task_of(struct cpu *c, int tid);
/* The task of process pid that holds its regions while none of it runs. */
struct task *regions_holder(struct cpu *c, int pid);
void syscall_enter(struct cpu *c, uint64_t nr, uint64_t a[6]);

#endif
