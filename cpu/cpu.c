/* The bridge between Unicorn 2.0.1 and the software MMU (DESIGN.md, "The
 * bridge"; ../shared/notes/unicorn-2.0.1.md has the measurements it rests
 * on).
 *
 * Guest memory as Unicorn sees it: for each run of adjacent VMAs with the
 * same execute permission, a host reservation (PROT_NONE, MAP_NORESERVE)
 * mapped as one Unicorn region with uc_mem_map_ptr. Regions change only in
 * system calls (where the notes found uc_mem_map/unmap safe); the stack's
 * region covers its whole limit up front so stack growth needs none. Into a
 * reservation, the frame behind a guest page is mmap'ed from the physical-
 * memory memfd once the MMU has translated it: read-only, or read-write when
 * the leaf entry is writable and already dirty, never more. The kernel's
 * unmap hook drops a page whenever its entry is removed or downgraded.
 *
 * Data accesses: the pre-access memory hooks see every load and store
 * (timing mode: all go through the TLB model; functional mode: only those
 * the shadow cannot serve). Instruction fetches of a page not yet in the
 * shadow fault in the host while Unicorn translates the block; a SIGSEGV
 * handler that accepts only addresses inside the reservations turns them
 * into MMU fetches. A fault the kernel cannot resolve kills the process: the
 * access is pointed at a scratch page (for a fetch, a page of traps that
 * stop the emulation) and Unicorn is stopped. */
#include "cpu/cpu.h"
#include "cpu/regs.h"
#include "cpu/cpuid.h"

#include <capstone/capstone.h>
#include <link.h>
#include <unwind.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

#define SHADOW_NONE 0
#define SHADOW_RO 1
#define SHADOW_RW 2
#define SHADOW_SCRATCH 3

struct region {
	uint64_t start, end;     /* guest [start, end) */
	bool exec;
	uint8_t *host;           /* the reservation */
	uint8_t *state;          /* SHADOW_* per guest page */
};

#define BLOCK_CACHE 4096
struct block_count {
	uint64_t addr;
	uint32_t size, insns;
};

/* A process as the CPU keeps it while another runs: its registers, its
 * regions (kept, with their shadow, while unmapped from Unicorn), and a
 * system call it is blocked in. */
struct task {
	int pid;
	struct proc *p;
	uc_context *ctx;
	bool started;            /* has run: ctx holds its registers */
	struct region *reg;
	size_t nreg;
	bool blocked;            /* in system call nr(args), to be made again */
	uint64_t nr, args[6];
	uint64_t set_tid;        /* CLONE_CHILD_SETTID, written when it first runs */
	/* Signal work for its way back to user mode, done between
	 * uc_emu_start calls (registers are stable there; a preemption may
	 * come first): a system call's return with a signal to deliver, an
	 * rt_sigreturn. */
	struct syscall_exit sx;
	bool sigreturn;
	char comm[16];           /* the program's name, as the kernel's messages give it */
};

/* Instructions a process runs before another gets its turn (about 1 ms at
 * 1 instruction per cycle on a 1 GHz core: a scheduler tick). */
#define QUANTUM 1000000

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
	struct region *reg;
	size_t nreg;
	size_t hint;
	uint8_t *trap;           /* a page of int3 / UDF: a dead process's fetches stop here */
	uint8_t *scratch;        /* a writable page for a dead process's last accesses */
	bool dying;              /* the current process was killed; stop soon */
	int signo;
	struct fault_record killer;
	bool have_killer;
	bool exited;
	int status;
	uint64_t insns;
	struct block_count blocks[BLOCK_CACHE];
	struct task *tasks;
	size_t ntasks;
	struct task *cur;        /* whose registers and regions Unicorn has */
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
};

/* The registers the bridge names, per architecture. */
static int return_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_RAX : UC_ARM64_REG_X0; }
static int pc_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_RIP : UC_ARM64_REG_PC; }
static int sp_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_RSP : UC_ARM64_REG_SP; }
static int tls_reg(const struct cpu *c) { return c->f->arch == ARCH_X86_64 ? UC_X86_REG_FS_BASE : UC_ARM64_REG_TPIDR_EL0; }

static uint64_t read_pc(struct cpu *c)
{
	uint64_t v = 0;
	uc_reg_read(c->uc, pc_reg(c), &v);
	return v;
}

static struct cpu *active;            /* the cpu whose reservations the SIGSEGV handler serves */
static struct sigaction previous_segv;

/* ---- regions -------------------------------------------------------------------- */
static struct region *region_of(struct cpu *c, uint64_t va)
{
	if (c->hint < c->nreg && va >= c->reg[c->hint].start && va < c->reg[c->hint].end)
		return &c->reg[c->hint];
	for (size_t i = 0; i < c->nreg; i++)
		if (va >= c->reg[i].start && va < c->reg[i].end) {
			c->hint = i;
			return &c->reg[i];
		}
	return NULL;
}

/* Takes a region out of Unicorn (its host side stays). The translated code
 * goes first: Unicorn finds it only while the memory is mapped. */
static void region_unmap(struct cpu *c, struct region *r)
{
	c->hooked = false;   /* its pages leave the shadow */
	uc_ctl_remove_cache(c->uc, r->start, r->end);
	uc_mem_unmap(c->uc, r->start, r->end - r->start);
}

static void region_free(struct cpu *c, struct region *r)
{
	region_unmap(c, r);
	munmap(r->host, r->end - r->start);
	free(r->state);
}

/* Puts a region's reservation into Unicorn: readable and writable (the
 * shadow's host protections and the hooks check data accesses), executable
 * as its VMAs are. */
static bool region_map(struct cpu *c, const struct region *r)
{
	uint32_t perms = UC_PROT_READ | UC_PROT_WRITE | (r->exec ? UC_PROT_EXEC : 0);
	return uc_mem_map_ptr(c->uc, r->start, r->end - r->start, perms, r->host) == UC_ERR_OK;
}

static bool region_new(struct cpu *c, struct region *r, uint64_t start, uint64_t end, bool exec)
{
	*r = (struct region){.start = start, .end = end, .exec = exec};
	r->host = mmap(NULL, end - start, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	r->state = calloc((end - start) >> c->shift, 1);
	if (r->host == MAP_FAILED || !r->state) {
		free(r->state);
		return false;
	}
	if (!region_map(c, r)) {
		munmap(r->host, end - start);
		free(r->state);
		return false;
	}
	return true;
}

/* The regions the current process's VMAs call for: runs of VMAs with the
 * same execute permission, across holes of up to REGION_GAP (a hole has no
 * VMA: an access there faults in the MMU as it should); a grows-down stack
 * covers its limit. Unicorn's cost grows with its regions and it aborts
 * past 1,022 (AArch64), so a process is kept to REGION_BUDGET: past it,
 * runs merge whatever their permission, into executable regions (the MMU
 * still refuses fetches from non-executable pages in timing mode; in
 * functional mode a shadowed one would run). Returns a malloc'ed array. */
#define REGION_GAP (16ull << 20)
#define REGION_BUDGET 128
/* Region ends are rounded out to this (not into a neighbour): a process
 * that maps page after page keeps its regions, which Unicorn unmaps and
 * maps again at a cost that grows with their size, for a while. */
#define REGION_ALIGN (2ull << 20)

static size_t merge_regions(const struct vma *v, size_t nv, struct region *out, bool any_exec)
{
	size_t n = 0;
	for (size_t i = 0; i < nv; i++) {
		bool exec = v[i].flags & VM_EXEC;
		uint64_t start = v[i].start, end = v[i].end;
		if (v[i].flags & VM_GROWSDOWN) {
			uint64_t limit = 8ull << 20;
			start = end - limit > end ? 0 : end - limit;
			if (n && out[n - 1].end > start)
				start = out[n - 1].end;
		}
		if (n && start - out[n - 1].end <= REGION_GAP && (any_exec || out[n - 1].exec == exec)) {
			out[n - 1].end = end;
			out[n - 1].exec |= exec;
			continue;
		}
		out[n++] = (struct region){.start = start, .end = end, .exec = exec};
	}
	return n;
}

static size_t wanted_regions(struct cpu *c, struct region **out)
{
	const struct vma *v;
	size_t nv = proc_vmas(kernel_current(c->k), &v);
	*out = malloc((nv + 1) * sizeof **out);
	if (!*out)
		return 0;
	size_t n = merge_regions(v, nv, *out, false);
	if (n > REGION_BUDGET)
		n = merge_regions(v, nv, *out, true);
	struct region *r = *out;
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = r[i].start & ~(REGION_ALIGN - 1), hi = (r[i].end + REGION_ALIGN - 1) & ~(REGION_ALIGN - 1);
		uint64_t floor = i ? r[i - 1].end : 0x10000, ceil = i + 1 < n ? r[i + 1].start : r[i].end;
		if (lo < floor)
			lo = floor > r[i].start ? r[i].start : floor;
		if (hi > ceil || hi < r[i].end)   /* into the next one, or past the top */
			hi = ceil > r[i].end ? ceil : r[i].end;
		r[i].start = lo;
		r[i].end = hi;
	}
	return n;
}

static void mem_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud);

/* The pre-access memory hooks: always in timing mode (every access goes
 * through the TLB model). Functional mode goes without while it can: with
 * any memory hook Unicorn sends every load and store through its C helpers
 * (bench_run's raw-memhk), so its data misses arrive through the SIGSEGV
 * handler instead — where the registers are those of the block's start, not
 * of the faulting instruction. A process that catches its faults (SIGSEGV,
 * SIGBUS) needs them exact for the handler's frame: it runs with the hooks.
 * Unicorn decides when it translates a block whether its accesses call the
 * hooks, so the process's translated code goes when that changes. */
static void data_hooks_as_needed(struct cpu *c)
{
	bool want = c->o.mode == CPU_TIMING || (c->cur && proc_catches_faults(c->cur->p));
	if (want == c->data_hooked)
		return;
	if (want)
		uc_hook_add(c->uc, &c->data_hook, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)mem_hook, c, 1, 0);
	else
		uc_hook_del(c->uc, c->data_hook);
	c->data_hooked = want;
	for (size_t i = 0; i < c->nreg; i++)
		if (c->reg[i].exec)
			uc_ctl_remove_cache(c->uc, c->reg[i].start, c->reg[i].end);
}

/* Brings the Unicorn regions in line with the VMAs (after system calls). */
static void sync_regions(struct cpu *c)
{
	struct region *want = NULL;
	size_t nw = wanted_regions(c, &want);
	/* Keep regions that are wanted as they are; free the others. */
	bool *keep_want = calloc(nw + 1, sizeof *keep_want);
	if (!want || !keep_want) {
		free(want);
		free(keep_want);
		return;
	}
	size_t kept = 0;
	for (size_t i = 0; i < c->nreg; i++) {
		size_t j = 0;
		while (j < nw && !(want[j].start == c->reg[i].start && want[j].end == c->reg[i].end &&
				   want[j].exec == c->reg[i].exec))
			j++;
		if (j < nw) {
			keep_want[j] = true;
			c->reg[kept++] = c->reg[i];
		} else {
			region_free(c, &c->reg[i]);
		}
	}
	c->nreg = kept;
	struct region *nr = realloc(c->reg, (kept + nw + 1) * sizeof *nr);
	if (nr) {
		c->reg = nr;
		for (size_t j = 0; j < nw; j++)
			if (!keep_want[j] && region_new(c, &c->reg[c->nreg], want[j].start, want[j].end, want[j].exec))
				c->nreg++;
	}
	free(want);
	free(keep_want);
	c->hint = 0;
	data_hooks_as_needed(c);
}

static void regions_clear(struct cpu *c)
{
	for (size_t i = 0; i < c->nreg; i++)
		region_free(c, &c->reg[i]);
	c->nreg = 0;
}

/* ---- the shadow ---------------------------------------------------------------------- */
static void shadow_set(struct cpu *c, struct region *r, uint64_t va, const struct mmu_xlate *x)
{
	uint64_t off = va - r->start, frame = x->pa & ~(c->page - 1);
	bool rw = (x->perm_user & PERM_W) && x->dirty;
	uint8_t want = rw ? SHADOW_RW : SHADOW_RO;
	if (r->state[off >> c->shift] == want)
		return;
	if (mmap(r->host + off, c->page, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED | MAP_FIXED, c->pm->fd,
		 (off_t)frame) == MAP_FAILED)
		return;
	r->state[off >> c->shift] = want;
}

/* Drops the shadow of [va, va+len) in a set of regions; `live` when they
 * are the ones Unicorn has (its translated code must go too). */
static void shadow_drop_range(struct cpu *c, struct region *reg, size_t nreg, bool live, uint64_t va, uint64_t len)
{
	for (size_t i = 0; i < nreg; i++) {
		struct region *r = &reg[i];
		uint64_t lo = va & ~(c->page - 1), hi = va + len;
		if (hi <= r->start || lo >= r->end)
			continue;
		if (lo < r->start)
			lo = r->start;
		if (hi > r->end)
			hi = r->end;
		for (uint64_t a = lo; a < hi; a += c->page) {
			uint64_t off = a - r->start;
			if (r->state[off >> c->shift] == SHADOW_NONE)
				continue;
			mmap(r->host + off, c->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
			     0);
			r->state[off >> c->shift] = SHADOW_NONE;
			if (live && r->exec)   /* code bytes may change under it: drop the translated blocks */
				uc_ctl_remove_cache(c->uc, a, a + c->page);
		}
	}
}

static struct task *task_of(struct cpu *c, int pid)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i].pid == pid)
			return &c->tasks[i];
	return NULL;
}

static void unmap_hook(void *ctx, int pid, uint64_t va, uint64_t len)
{
	struct cpu *c = ctx;
	c->hooked = false;   /* pages leave the shadow */
	if (c->cur && c->cur->pid == pid) {
		shadow_drop_range(c, c->reg, c->nreg, true, va, len);
		return;
	}
	struct task *t = task_of(c, pid);
	if (t)
		shadow_drop_range(c, t->reg, t->nreg, false, va, len);
}

/* A dead process's last accesses land on a page of no consequence. */
static void scratch_cover(struct cpu *c, uint64_t va, bool fetch)
{
	struct region *r = region_of(c, va);
	if (!r)
		return;
	uint64_t off = (va & ~(c->page - 1)) - r->start;
	if (r->state[off >> c->shift] == SHADOW_SCRATCH)
		return;
	void *src = fetch ? c->trap : c->scratch;
	/* Copy the scratch content in: an anonymous private page of its own. */
	void *p = mmap(r->host + off, c->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p != MAP_FAILED)
		memcpy(p, src, c->page);
	r->state[off >> c->shift] = SHADOW_SCRATCH;
	if (r->exec)
		uc_ctl_remove_cache(c->uc, va & ~(c->page - 1), (va & ~(c->page - 1)) + c->page);
}

/* A fault, undefined instruction or breakpoint whose signal the process
 * catches: it stops here, its registers as they are before the faulting
 * instruction (a pre-access hook runs before it; `pc` names it), and the
 * handler runs once the emulation has stopped. Returns false when the
 * signal is not caught (the process dies of it). On x86-64 the program
 * counter a hook sees for a lock-prefixed or SSE access is its block's
 * start (unicorn-2.0.1.md): the handler's frame then names that. */
static bool catch_fault(struct cpu *c, int signo, int code, uint64_t addr, uint64_t syndrome, uint64_t pc)
{
	if (!os_signal_fault(c->k, signo, code, addr, syndrome))
		return false;
	uc_context_save(c->uc, c->fault_ctx);
	uc_context_reg_write(c->fault_ctx, pc_reg(c), &pc);
	c->dying = c->caught = true;
	c->signo = 0;
	uc_emu_stop(c->uc);
	return true;
}

static void die(struct cpu *c, enum fault_outcome o, const struct fault_record *rec)
{
	static const int sig[] = {[OUT_SIGSEGV] = SIGSEGV, [OUT_SIGBUS] = SIGBUS, [OUT_SIGKILL] = SIGKILL,
				  [OUT_OOM] = SIGKILL};
	if (!c->dying && rec && catch_fault(c, rec->signo, rec->si_code, rec->va, rec->hw.syn.code, rec->pc))
		return;
	if (!c->dying) {
		c->dying = true;
		c->signo = sig[o];
		if (rec) {
			c->killer = *rec;
			c->have_killer = true;
		}
	}
	uc_emu_stop(c->uc);
}

static bool shadow_serves(const struct cpu *c, const struct region *r, uint64_t va, enum mmu_access acc)
{
	uint8_t st = r->state[(va - r->start) >> c->shift];
	return st == SHADOW_RW || (st == SHADOW_RO && acc != ACC_WRITE);
}

/* What the shadow still cannot serve after a fault goes to the scratch
 * page: the host never faults on it again. */
static void cover_unserved(struct cpu *c, const struct region *r, uint64_t va, enum mmu_access acc)
{
	if (!shadow_serves(c, r, va, acc))
		scratch_cover(c, va, acc == ACC_FETCH);
}

/* One access to the page at va through the MMU (and the fault handler);
 * the shadow gets the page when it can be had. */
static void access_page(struct cpu *c, uint64_t va, enum mmu_access acc)
{
	struct region *r = region_of(c, va);
	if (!r)
		return;   /* outside every region: Unicorn's unmapped hook takes it */
	bool served = shadow_serves(c, r, va, acc);
	if (c->dying) {
		cover_unserved(c, r, va, acc);
		return;
	}
	if (served && c->o.mode == CPU_FUNCTIONAL)
		return;
	struct mmu_xlate x;
	struct fault_record rec;
	rec.outcome = OUT_RESOLVED;
	enum fault_outcome o = os_access(c->k, va, acc, &x, &rec);
	if (o == OUT_RESOLVED) {
		shadow_set(c, r, va & ~(c->page - 1), &x);
		return;
	}
	die(c, o, &rec);
	scratch_cover(c, va, acc == ACC_FETCH);
}

static void mem_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud)
{
	(void)uc;
	(void)value;
	struct cpu *c = ud;
	enum mmu_access acc = type == UC_MEM_WRITE ? ACC_WRITE : ACC_READ;
	uint64_t last = addr + (uint64_t)(size > 0 ? size - 1 : 0);
	/* Timing mode: most accesses the TLBs answer: accounted, done. The
	 * shadow serves the access if it holds the page; if not (the kernel's
	 * own accesses and a region made anew fill neither), the host faults
	 * right after, and the SIGSEGV handler knows it by `hooked`. (Functional
	 * mode, hooked for a process that catches its faults, accounts nothing
	 * the shadow serves.) */
	if (c->o.mode == CPU_TIMING && !((last ^ addr) >> c->shift) && !c->dying && os_access_tlb(c->k, addr, acc)) {
		c->hooked_page = addr >> c->shift;
		c->hooked_acc = acc;
		c->hooked = true;
		return;
	}
	access_page(c, addr, acc);
	if ((last ^ addr) >> c->shift)   /* straddles a page boundary: the second page too */
		access_page(c, last & ~(c->page - 1), acc);
}

/* Outside every region, or a fetch from a region without execute
 * permission: the MMU and the handler say what it is. */
static bool bad_access_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud)
{
	(void)uc;
	(void)size;
	(void)value;
	struct cpu *c = ud;
	enum mmu_access acc = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT ? ACC_WRITE
			      : type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT   ? ACC_FETCH
											     : ACC_READ;
	if (!c->dying) {
		struct mmu_xlate x;
		struct fault_record rec;
		enum fault_outcome o = os_access(c->k, addr, acc, &x, &rec);
		die(c, o == OUT_RESOLVED ? OUT_SIGSEGV : o, o == OUT_RESOLVED ? NULL : &rec);
	}
	return false;
}

/* The host code that faulted on a guest page is either Unicorn's
 * translator reading instructions (called, through uc_emu_start, from this
 * program) or a guest load: translated code, or a C helper it called. The
 * unwinder tells them apart: it climbs from the handler through the signal
 * frame into the faulting code; from the translator it reaches this
 * program's own text again, from translated code (which has no unwind
 * information) it stops. */
struct unwind_probe {
	bool past_handler;       /* left this program's frames (the handler's) */
	bool back_home;          /* ... and came back to them: a translation */
};

static uintptr_t own_text_lo, own_text_hi;

static bool own_text(uintptr_t ip) { return ip >= own_text_lo && ip < own_text_hi; }

static _Unwind_Reason_Code unwind_step(struct _Unwind_Context *uc, void *arg)
{
	struct unwind_probe *pr = arg;
	uintptr_t ip = _Unwind_GetIP(uc);
	if (!pr->past_handler) {
		pr->past_handler = !own_text(ip);
		return _URC_NO_REASON;
	}
	if (own_text(ip)) {
		pr->back_home = true;
		return _URC_END_OF_STACK;
	}
	return _URC_NO_REASON;
}

static bool translating(void)
{
	struct unwind_probe pr = {0};
	_Unwind_Backtrace(unwind_step, &pr);
	return pr.back_home;
}

static int find_own_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (info->dlpi_name && info->dlpi_name[0])   /* the program itself has no name here */
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			own_text_lo = info->dlpi_addr + ph->p_vaddr;
			own_text_hi = own_text_lo + ph->p_memsz;
		}
	}
	return 1;
}

/* The access mem_hook accounted as an L1 TLB hit faulted in the host:
 * the shadow lacks the page. The tables allow the access (the TLB holds
 * nothing they do not), so it only needs the page. */
static void fill_hooked(struct cpu *c, struct region *r, uint64_t va)
{
	struct mmu_xlate x;
	enum mmu_access acc = c->hooked_acc;
	c->hooked = false;
	if (os_probe_access(c->k, va, acc, &x))
		shadow_set(c, r, va & ~(c->page - 1), &x);
	else
		access_page(c, va, acc);   /* not expected: let the kernel say */
	cover_unserved(c, r, va, acc);
}

/* Guest pages not in the shadow fault in the host: instruction fetches
 * while Unicorn translates, and data accesses (with the hooks, only those
 * mem_hook accounted as TLB hits). Only addresses inside the reservations
 * are ours. */
static void segv_handler(int sig, siginfo_t *si, void *uctx)
{
	struct cpu *c = active;
	uint8_t *host = si->si_addr;
	for (size_t i = 0; c && i < c->nreg; i++) {
		struct region *r = &c->reg[i];
		if (host < r->host || host >= r->host + (r->end - r->start))
			continue;
		uint64_t va = r->start + (uint64_t)(host - r->host);
		bool write = false;
#if defined(__x86_64__)
		write = ((ucontext_t *)uctx)->uc_mcontext.gregs[REG_ERR] & 2;
#endif
		enum mmu_access acc = write ? ACC_WRITE : ACC_FETCH;
		/* With the pre-access hooks, a data access was prepared by its hook
		 * (or accounted there: `hooked`); a read here is otherwise the
		 * translator. Without them, ask the stack. */
		if (c->hooked && c->hooked_page == va >> c->shift && (c->hooked_acc == ACC_WRITE) == write) {
			fill_hooked(c, r, va);
			return;
		}
		if (!write && !c->data_hooked && (!r->exec || !translating()))
			acc = ACC_READ;
		c->in_segv = true;
		access_page(c, va, acc);   /* the exact address, as CR2/FAR hold */
		c->in_segv = false;
		cover_unserved(c, r, va, acc);
		return;
	}
	/* Not ours: whoever handled SIGSEGV before us. */
	if (previous_segv.sa_flags & SA_SIGINFO && previous_segv.sa_sigaction)
		previous_segv.sa_sigaction(sig, si, uctx);
	else if (previous_segv.sa_handler != SIG_IGN && previous_segv.sa_handler != SIG_DFL)
		previous_segv.sa_handler(sig);
	else {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
}

/* ---- instructions ------------------------------------------------------------------ */
static uint32_t block_insns(struct cpu *c, uint64_t addr, uint32_t size)
{
	if (c->f->arch == ARCH_AARCH64)
		return size / 4;
	struct block_count *b = &c->blocks[(addr * 0x9E3779B97F4A7C15ull) >> 52];   /* every address bit: blocks 3 bytes apart must not collide */
	if (b->addr == addr && b->size == size)
		return b->insns;
	/* x86 instructions vary in length: count them once per block. */
	uint8_t code[4096];
	uint32_t n = size < sizeof code ? size : sizeof code, count = 0;
	if (uc_mem_read(c->uc, addr, code, n) == UC_ERR_OK) {
		cs_insn *insn;
		count = (uint32_t)cs_disasm(c->cs, code, n, addr, 0, &insn);
		if (count)
			cs_free(insn, count);
	}
	if (!count)
		count = 1;
	*b = (struct block_count){addr, size, count};
	return count;
}

static void block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct cpu *c = ud;
	uint32_t n = block_insns(c, addr, size);
	c->block_pc = addr;
	c->insns += n;
	mmu_count_instructions(c->mmu, n);
	if (c->o.mode == CPU_TIMING && !c->dying) {
		/* Fetches, accounted per block: the iTLB sees the pages it spans. */
		uint64_t last = addr + (size ? size - 1 : 0);
		bool straddles = (last ^ addr) >> c->shift;
		if (straddles || !os_access_tlb(c->k, addr, ACC_FETCH))   /* the block ran: its page is in the shadow */
			access_page(c, addr, ACC_FETCH);
		if (straddles)
			access_page(c, last & ~(c->page - 1), ACC_FETCH);
	}
	if (c->o.stop && *c->o.stop && !c->halted) {
		c->halted = true;
		uc_emu_stop(uc);
	}
	if (c->o.max_insns && c->insns >= c->o.max_insns && !c->halted) {
		fprintf(stderr, "mmusim: stopped after %" PRIu64 " instructions (--max-insns)\n", c->insns);
		c->halted = true;
		uc_emu_stop(uc);
	}
	if (c->insns >= c->slice_end && c->ntasks > 1 && !c->preempt) {
		c->preempt = true;   /* the tick: let the others run */
		uc_emu_stop(uc);
	}
}

/* Guest code bytes at va, read from the page tables (not through the MMU:
 * no fault, no TLB traffic). Returns how many could be read. */
static size_t read_code(struct cpu *c, uint64_t va, uint8_t *buf, size_t len)
{
	struct proc *p = kernel_current(c->k);
	size_t n = 0;
	uint64_t pa;
	while (n < len && p && proc_translate(p, va + n, &pa)) {
		const uint8_t *b = physmem_ptr(c->pm, pa, 1);
		if (!b)
			break;
		buf[n++] = *b;
	}
	return n;
}

/* "mnemonic operands", cut to the record's room. */
static void insn_text(char *out, size_t len, const cs_insn *insn)
{
	if (snprintf(out, len, "%s %s", insn->mnemonic, insn->op_str) < 0)
		out[0] = 0;
}

/* The faulting instruction, for fault records: its address and disassembly.
 * A fetch fault names the instruction at the fault address, except on x86
 * where one can straddle the page boundary: the block being translated
 * (from the program counter) is decoded up to the one that covers it. */
static void pc_hook(void *ctx, struct fault_record *r)
{
	struct cpu *c = ctx;
	uint64_t *pc = &r->pc, cur = 0, va = *pc;
	char *text = r->insn;
	size_t len = sizeof r->insn;
	if (c->in_segv && !c->data_hooked && r->access != ACC_FETCH) {
		/* A data access without memory hooks (functional mode): Unicorn
		 * keeps the guest PC only at block boundaries. */
		*pc = c->block_pc;
		r->pc_block = true;
		text[0] = 0;
		return;
	}
	uc_reg_read(c->uc, pc_reg(c), &cur);
	uint64_t at = va ? va : cur;
	static uint8_t code[4096 + 16];
	size_t n = 0;
	text[0] = 0;
	if (va && c->f->arch == ARCH_X86_64 && cur < va && va - cur < 4096) {
		n = read_code(c, cur, code, (size_t)(va - cur) + 16);
		const uint8_t *b = code;
		size_t left = n;
		uint64_t addr = cur;
		cs_insn *insn = cs_malloc(c->cs);
		while (insn && cs_disasm_iter(c->cs, &b, &left, &addr, insn)) {
			if (insn->address + insn->size > va) {
				at = insn->address;
				insn_text(text, len, insn);
				break;
			}
		}
		if (insn)
			cs_free(insn, 1);
		*pc = at;
		if (text[0])
			return;
		at = va;
	}
	*pc = at;
	n = read_code(c, at, code, 16);
	cs_insn *insn;
	if (n && cs_disasm(c->cs, code, n, at, 1, &insn) == 1) {
		insn_text(text, len, insn);
		cs_free(insn, 1);
	}
}

/* ---- system calls ------------------------------------------------------------------ */

static void set_comm(struct task *t, const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	snprintf(t->comm, sizeof t->comm, "%s", slash ? slash + 1 : path ? path : "?");
}

/* The child of a fork: the parent's registers as they are inside the
 * system call, returning 0, past the instruction (on x86-64 the hook sees
 * RIP at the syscall itself). */
static void fork_task(struct cpu *c, const struct sys_result *r)
{
	struct task *nt = realloc(c->tasks, (c->ntasks + 1) * sizeof *nt);
	if (!nt)
		return;
	size_t cur = (size_t)(c->cur - c->tasks);
	c->tasks = nt;
	c->cur = &c->tasks[cur];
	struct task *t = &c->tasks[c->ntasks];
	*t = (struct task){.pid = (int)r->value, .p = proc_find(c->k, (int)r->value), .started = true,
			   .set_tid = r->child.set_tid};
	memcpy(t->comm, c->cur->comm, sizeof t->comm);
	if (uc_context_alloc(c->uc, &t->ctx) != UC_ERR_OK)
		return;
	c->ntasks++;
	uc_context_save(c->uc, t->ctx);
	uint64_t zero = 0, pc = 0;
	uc_context_reg_write(t->ctx, return_reg(c), &zero);
	if (c->f->arch == ARCH_X86_64) {
		uc_context_reg_read(t->ctx, UC_X86_REG_RIP, &pc);
		pc += 2;   /* 0f 05 */
		uc_context_reg_write(t->ctx, UC_X86_REG_RIP, &pc);
	}
	if (r->child.sp)
		uc_context_reg_write(t->ctx, sp_reg(c), &r->child.sp);
	if (r->child.set_tls)
		uc_context_reg_write(t->ctx, tls_reg(c), &r->child.tls);
}

/* What a system call's result asks of the CPU. Returns whether the return
 * value goes into the return register (not for a call that blocks). */
static bool apply_result(struct cpu *c, const struct sys_result *r, uint64_t nr, const uint64_t a[6])
{
	switch (r->action) {
	case SYSA_NONE:
		break;
	case SYSA_EXIT:
		c->exited = true;
		c->status = (int)r->value;
		uc_emu_stop(c->uc);
		break;
	case SYSA_SET_TLS:
		uc_reg_write(c->uc, UC_X86_REG_FS_BASE, &r->value);
		break;
	case SYSA_KILLED:
		if (!c->dying) {
			c->dying = true;
			c->signo = (int)r->value;
		}
		uc_emu_stop(c->uc);
		break;
	case SYSA_BLOCK:
		c->cur->blocked = true;
		c->cur->nr = nr;
		memcpy(c->cur->args, a, sizeof c->cur->args);
		uc_emu_stop(c->uc);
		return false;
	case SYSA_FORK:
		fork_task(c, r);
		break;
	case SYSA_YIELD:
		c->preempt = true;
		uc_emu_stop(c->uc);
		break;
	case SYSA_SIGRETURN:
		c->cur->sigreturn = true;   /* every register changes: outside the hook */
		uc_emu_stop(c->uc);
		return false;
	case SYSA_EXEC:
		c->exec_pending = true;
		c->exec = r->exec;
		set_comm(c->cur, proc_exe(c->cur->p));
		uc_emu_stop(c->uc);
		return false;
	}
	return true;
}

/* A call that returned (its result in the return register) with a signal
 * to deliver: the emulation stops so that run_slice delivers it, with what
 * a restart of the call needs. */
static void signal_after_syscall(struct cpu *c, uint64_t nr, const uint64_t a[6])
{
	if (!os_signal_pending(c->cur->p))
		return;
	c->cur->sx = (struct syscall_exit){.active = true, .orig = c->f->arch == ARCH_X86_64 ? nr : a[0]};
	uc_emu_stop(c->uc);
}

static void do_syscall(struct cpu *c, uint64_t nr, uint64_t a[6])
{
	uint64_t sp = 0;
	uc_reg_read(c->uc, sp_reg(c), &sp);
	os_syscall_sp(c->k, sp);
	struct sys_result r = os_syscall(c->k, nr, a);
	uint64_t ret = (uint64_t)r.ret;
	if (apply_result(c, &r, nr, a)) {
		uc_reg_write(c->uc, return_reg(c), &ret);
		if (!c->exited && !c->dying)
			signal_after_syscall(c, nr, a);
	}
	sync_regions(c);
}

static void x86_syscall_hook(uc_engine *uc, void *ud)
{
	static const int regs[7] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
				    UC_X86_REG_R10, UC_X86_REG_R8,  UC_X86_REG_R9};
	uint64_t v[7];
	for (int i = 0; i < 7; i++)
		uc_reg_read(uc, regs[i], &v[i]);
	do_syscall(ud, v[0], v + 1);
}

/* SIGILL (ILL_ILLOPC) or SIGTRAP (SI_KERNEL, as x86's int3 gives it) for
 * the instruction at the program counter: to a handler, or the end. */
static void insn_signal(struct cpu *c, int signo)
{
	uint64_t pc = read_pc(c);
	if (!c->dying && !catch_fault(c, signo, signo == SIGILL ? ILL_ILLOPC : SI_KERNEL, pc, 0, pc)) {
		c->dying = true;
		c->signo = signo;
	}
	uc_emu_stop(c->uc);
}

static void intr_hook(uc_engine *uc, uint32_t intno, void *ud)
{
	struct cpu *c = ud;
	if (c->f->arch == ARCH_AARCH64 && intno == 2) {   /* svc #0, PC already past it */
		uint64_t v[7];
		uc_reg_read(uc, UC_ARM64_REG_X8, &v[0]);
		for (int i = 0; i < 6; i++)
			uc_reg_read(uc, UC_ARM64_REG_X0 + i, &v[1 + i]);
		do_syscall(c, v[0], v + 1);
		return;
	}
	/* A trap page, int3, an undefined instruction. */
	insn_signal(c, intno == 3 ? SIGTRAP : SIGILL);
}

static bool invalid_insn_hook(uc_engine *uc, void *ud)
{
	(void)uc;
	insn_signal(ud, SIGILL);
	return false;
}

/* ---- the engine ---------------------------------------------------------------------- */
struct cpu *cpu_create(struct kernel *k, const struct cpu_options *o, char *err, size_t errlen)
{
	struct cpu *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->k = k;
	c->mmu = kernel_mmu(k);
	c->f = kernel_format(k);
	c->pm = mmu_physmem(c->mmu);
	c->o = *o;
	c->shift = c->f->page_shift;
	c->page = 1ull << c->shift;
	bool x86 = c->f->arch == ARCH_X86_64;
	uc_err e = x86 ? uc_open(UC_ARCH_X86, UC_MODE_64, &c->uc) : uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &c->uc);
	if (e != UC_ERR_OK) {
		snprintf(err, errlen, "unicorn: %s", uc_strerror(e));
		free(c);
		return NULL;
	}
	if (!x86)   /* LSE atomics and the rest of ARMv8.x: the default A72 model lacks them */
		uc_ctl_set_cpu_model(c->uc, UC_CPU_ARM64_MAX);
	if (cs_open(x86 ? CS_ARCH_X86 : CS_ARCH_ARM64, x86 ? CS_MODE_64 : CS_MODE_ARM, &c->cs) != CS_ERR_OK) {
		snprintf(err, errlen, "capstone cannot be opened");
		uc_close(c->uc);
		free(c);
		return NULL;
	}
	c->trap = mmap(NULL, c->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->scratch = mmap(NULL, c->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x86)
		memset(c->trap, 0xCC, c->page);   /* int3: one byte, so any offset stops */
	/* arm64: zeros are UDF #0, permanently undefined. */
	uc_hook h;
	uc_hook_add(c->uc, &h, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, (void *)bad_access_hook, c, 1, 0);
	uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, (void *)block_hook, c, 1, 0);
	uc_hook_add(c->uc, &h, UC_HOOK_INTR, (void *)intr_hook, c, 1, 0);
	uc_hook_add(c->uc, &h, UC_HOOK_INSN_INVALID, (void *)invalid_insn_hook, c, 1, 0);
	if (x86)
		uc_hook_add(c->uc, &h, UC_HOOK_INSN, (void *)x86_syscall_hook, c, 1, 0, UC_X86_INS_SYSCALL);
	if (x86)
		c->cpuid = cpuid_install(c->uc);
	kernel_set_unmap_hook(k, unmap_hook, c);
	if (!own_text_hi) {
		dl_iterate_phdr(find_own_text, NULL);
		translating();   /* the unwinder's first call loads what it needs: not in a signal handler */
	}
	return c;
}

static void task_free(struct cpu *c, struct task *t)
{
	if (t == c->cur) {
		regions_clear(c);
		free(c->reg);
		c->reg = NULL;
		c->cur = NULL;
	} else {
		for (size_t i = 0; i < t->nreg; i++) {   /* not in Unicorn: only the host side */
			munmap(t->reg[i].host, t->reg[i].end - t->reg[i].start);
			free(t->reg[i].state);
		}
		free(t->reg);
	}
	t->reg = NULL;
	t->nreg = 0;
	if (t->ctx)
		uc_context_free(t->ctx);
	t->ctx = NULL;
}

void cpu_destroy(struct cpu *c)
{
	if (!c)
		return;
	kernel_set_unmap_hook(c->k, NULL, NULL);
	kernel_set_pc_hook(c->k, NULL, NULL);
	for (size_t i = 0; i < c->ntasks; i++)
		task_free(c, &c->tasks[i]);
	free(c->tasks);
	if (c->fault_ctx)
		uc_context_free(c->fault_ctx);
	regions_clear(c);
	free(c->reg);
	cpuid_release(c->cpuid);
	munmap(c->trap, c->page);
	munmap(c->scratch, c->page);
	cs_close(&c->cs);
	uc_close(c->uc);
	free(c);
}

uint64_t cpu_instructions(const struct cpu *c) { return c->insns; }

static void set_start_registers(struct cpu *c, const struct exec_image *img)
{
	uint64_t zero = 0;
	if (c->f->arch == ARCH_X86_64) {
		static const int gp[] = {UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
					 UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_R8,
					 UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12,
					 UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15, UC_X86_REG_FS_BASE};
		for (size_t i = 0; i < sizeof gp / sizeof gp[0]; i++)
			uc_reg_write(c->uc, gp[i], &zero);   /* rdx 0: no function for atexit */
		uc_reg_write(c->uc, UC_X86_REG_RSP, &img->sp);
		uc_reg_write(c->uc, UC_X86_REG_RIP, &img->entry);
	} else {
		for (int i = 0; i <= 30; i++)
			uc_reg_write(c->uc, UC_ARM64_REG_X0 + i, &zero);
		uc_reg_write(c->uc, UC_ARM64_REG_TPIDR_EL0, &zero);
		uc_reg_write(c->uc, UC_ARM64_REG_SP, &img->sp);
		uc_reg_write(c->uc, UC_ARM64_REG_PC, &img->entry);
	}
}

/* What Linux prints when a process dies of a fault (show_signal_msg on x86,
 * arm64_show_signal on arm64), or of the OOM killer. */
static void report_death(struct cpu *c, struct task *t)
{
	if (c->o.quiet || !c->have_killer)
		return;
	const struct fault_record *r = &c->killer;
	if (r->outcome == OUT_OOM) {   /* oom_kill_process: the faulting process is the victim */
		fprintf(stderr, "Out of memory: Killed process %d (%s)\n", t->pid, t->comm);
		return;
	}
	uint64_t sp = 0;
	uc_reg_read(c->uc, sp_reg(c), &sp);
	if (c->f->arch == ARCH_X86_64)
		fprintf(stderr, "%s[%d]: %s at %" PRIx64 " ip %" PRIx64 " sp %" PRIx64 " error %" PRIx64 " in %s\n",
			t->comm, t->pid, r->signo == SIGBUS ? "bus error" : "segfault", r->va, r->pc, sp, r->hw.syn.code,
			t->comm);
	else
		fprintf(stderr, "%s[%d]: unhandled exception: %s, ESR 0x%016" PRIx64 ", FAR 0x%016" PRIx64 " in %s\n",
			t->comm, t->pid, mmu_fault_kind_name(r->hw.kind), r->hw.syn.code, r->va, t->comm);
}

/* Unicorn gets t's registers and regions (the current ones are put away). */
static void switch_to(struct cpu *c, struct task *t)
{
	if (c->cur == t)
		return;
	if (c->cur) {
		struct task *o = c->cur;
		uc_context_save(c->uc, o->ctx);
		for (size_t i = 0; i < c->nreg; i++)   /* out of Unicorn, shadow kept */
			region_unmap(c, &c->reg[i]);
		o->reg = c->reg;
		o->nreg = c->nreg;
	}
	c->cur = t;
	c->reg = t->reg;
	c->nreg = t->nreg;
	t->reg = NULL;
	t->nreg = 0;
	c->hint = 0;
	kernel_switch(c->k, t->p);
	for (size_t i = 0; i < c->nreg; i++)
		region_map(c, &c->reg[i]);
	sync_regions(c);
	if (t->started)
		uc_context_restore(c->uc, t->ctx);
}

/* The end of the current process: an exit, or a signal's default action. */
static void finish_task(struct cpu *c, struct task *t)
{
	if (c->dying) {
		report_death(c, t);
		proc_kill(t->p, c->signo);
	} else {
		proc_exit(t->p, c->status);
	}
	task_free(c, t);
	t->p = NULL;
}

static bool task_live(const struct task *t) { return t->p != NULL; }

static size_t live_tasks(const struct cpu *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->ntasks; i++)
		n += task_live(&c->tasks[i]);
	return n;
}

/* Ends every process still alive: killed by signo, or (signo 0) exiting
 * with `status`. */
static void end_all(struct cpu *c, int signo, int status)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (task_live(&c->tasks[i])) {
			switch_to(c, &c->tasks[i]);
			c->dying = signo != 0;
			c->exited = !signo;
			c->have_killer = false;
			c->signo = signo;
			c->status = status;
			finish_task(c, &c->tasks[i]);
		}
}

/* A blocked process's system call, made again now that others have run.
 * Returns false while it would still block. */
static bool retry_blocked(struct cpu *c, struct task *t)
{
	struct sys_result r = os_syscall(c->k, t->nr, t->args);
	if (r.action == SYSA_BLOCK)
		return false;
	t->blocked = false;
	uint64_t ret = (uint64_t)r.ret;
	if (apply_result(c, &r, t->nr, t->args)) {
		uc_reg_write(c->uc, return_reg(c), &ret);
		if (!c->exited && !c->dying)
			signal_after_syscall(c, t->nr, t->args);
	}
	sync_regions(c);
	return true;
}

/* On the way back to user mode: rt_sigreturn's registers, then the signals
 * to deliver (a handler's frame, the restart of an interrupted call, or
 * the end of the process: no kernel line for it, as Linux prints none for
 * a kill). */
static void deliver_signals(struct cpu *c)
{
	struct task *t = c->cur;
	struct user_regs regs;
	if (t->sigreturn) {
		t->sigreturn = false;
		regs_read(c->uc, c->f->arch, &regs);
		os_sigreturn(c->k, &regs);
		regs_write(c->uc, c->f->arch, &regs);
	}
	if (!os_signal_pending(t->p) && !t->sx.active)
		return;
	regs_read(c->uc, c->f->arch, &regs);
	int killer = os_signal_deliver(c->k, &regs, &t->sx);
	t->sx.active = false;
	regs_write(c->uc, c->f->arch, &regs);
	if (killer) {
		c->dying = true;
		c->have_killer = false;
		c->signo = killer;
	}
}

/* After a caught fault: the registers as they were at the faulting
 * instruction, and no scratch page left where the process goes on (its
 * accesses there reach the MMU again). */
static void resume_at_fault(struct cpu *c)
{
	uc_context_restore(c->uc, c->fault_ctx);
	for (size_t i = 0; i < c->nreg; i++) {
		struct region *r = &c->reg[i];
		for (uint64_t a = r->start; a < r->end; a += c->page)
			if (r->state[(a - r->start) >> c->shift] == SHADOW_SCRATCH)
				shadow_drop_range(c, r, 1, true, a, c->page);
	}
	c->dying = c->caught = false;
}

/* Runs the current process for a slice: until it exits, dies, blocks,
 * execs or its quantum is up. */
static void run_slice(struct cpu *c)
{
	c->slice_end = c->insns + QUANTUM;
	c->preempt = false;
	for (;;) {
		deliver_signals(c);
		if (c->dying)
			return;
		uint64_t pc = read_pc(c);
		uc_err e = uc_emu_start(c->uc, pc, UINT64_MAX, 0, 0);
		if (c->caught) {
			resume_at_fault(c);
			continue;
		}
		if (c->exited || c->dying || c->halted || c->preempt || c->cur->blocked)
			return;
		if (c->exec_pending) {   /* the new program, in the same slice */
			c->exec_pending = false;
			set_start_registers(c, &c->exec);
			continue;
		}
		if (e != UC_ERR_OK) {   /* an error no hook claimed */
			c->dying = true;
			c->signo = e == UC_ERR_INSN_INVALID ? SIGILL : SIGSEGV;
			return;
		}
	}
}

/* Round robin from the task after `from`, pid order as created. */
static struct task *next_task(struct cpu *c, size_t from)
{
	for (size_t n = 1; n <= c->ntasks; n++) {
		struct task *t = &c->tasks[(from + n) % c->ntasks];
		if (task_live(t))
			return t;
	}
	return NULL;
}

/* SIGINT or SIGTERM came: every process dies of it, as a terminal's ^C
 * kills the foreground process group. */
static bool stopped_by_signal(struct cpu *c)
{
	int signo = c->o.stop ? *c->o.stop : 0;
	if (!signo)
		return false;
	fprintf(stderr, "mmusim: %s: stopping every process\n", signo == SIGINT ? "SIGINT" : "SIGTERM");
	end_all(c, signo, 0);
	return true;
}

int cpu_run(struct cpu *c, const char *program, int argc, char *const argv[], char *const envp[], char *err,
	    size_t errlen)
{
	struct kernel *k = c->k;
	struct proc *p = kernel_current(k);
	os_attach_host_fd(p, 0, STDIN_FILENO, OPEN_READ);
	os_attach_host_fd(p, 1, STDOUT_FILENO, OPEN_WRITE);
	os_attach_host_fd(p, 2, STDERR_FILENO, OPEN_WRITE);
	struct exec_image img;
	int rc = os_exec_elf(p, program, argc, argv, envp, program, &img, err, errlen);
	if (rc)
		return rc < 0 ? rc : -1;   /* -errno: ENOENT (no interpreter) is the shell's 127 */
	kernel_set_pc_hook(k, pc_hook, c);   /* from here on, faults have an instruction */
	char *real = realpath(program, NULL);
	proc_set_exe(p, real ? real : program);
	free(real);
	c->tasks = calloc(1, sizeof *c->tasks);
	if (!c->tasks || uc_context_alloc(c->uc, &c->tasks[0].ctx) != UC_ERR_OK ||
	    uc_context_alloc(c->uc, &c->fault_ctx) != UC_ERR_OK) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->ntasks = 1;
	struct task *first = &c->tasks[0];
	*first = (struct task){.pid = proc_pid(p), .p = p, .ctx = first->ctx};
	set_comm(first, program);
	switch_to(c, first);
	set_start_registers(c, &img);
	first->started = true;

	struct sigaction sa = {0};
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	active = c;
	sigaction(SIGSEGV, &sa, &previous_segv);
	size_t idx = 0, stuck = 0;
	for (;;) {
		if (stopped_by_signal(c))
			break;
		struct task *t = task_live(&c->tasks[idx]) ? &c->tasks[idx] : next_task(c, idx);
		if (!t)
			break;
		idx = (size_t)(t - c->tasks);
		switch_to(c, t);
		c->exited = c->dying = c->have_killer = c->preempt = false;
		if (t->blocked && !retry_blocked(c, t)) {
			if (++stuck > live_tasks(c) && os_wait_timeout(k)) {
				stuck = 0;   /* a timeout ends one sleep */
			} else if (stuck > live_tasks(c)) {   /* a whole round asleep: nothing can wake anyone */
				fprintf(stderr, "mmusim: every process is blocked (deadlock); killing them\n");
				end_all(c, SIGKILL, 0);
				break;
			}
			idx = (size_t)(next_task(c, idx) - c->tasks);
			continue;
		} else {
			if (t->set_tid) {   /* schedule_tail: the child learns its tid */
				uint32_t tid = (uint32_t)t->pid;
				os_copy_to_user(k, t->set_tid, &tid, 4);
				t->set_tid = 0;
			}
			if (!c->exited && !c->dying)   /* the retried call may have ended it */
				run_slice(c);
		}
		stuck = 0;
		t = c->cur;   /* the task array moves when the slice forks */
		idx = (size_t)(t - c->tasks);
		if (stopped_by_signal(c))
			break;
		if (c->halted) {
			end_all(c, 0, 128 + SIGXCPU);
			break;
		}
		if (c->exited || c->dying)
			finish_task(c, t);
		struct task *n = next_task(c, idx);
		if (!n)
			break;
		idx = (size_t)(n - c->tasks);
	}
	sigaction(SIGSEGV, &previous_segv, NULL);
	active = NULL;
	return proc_exit_status(p);   /* process 1's: its exit code, or 128 + signal */
}
