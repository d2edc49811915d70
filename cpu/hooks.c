/* What Unicorn and the host tell the bridge: the pre-access memory hooks,
 * the block hook (instruction counts, fetches), the host SIGSEGV handler
 * (and the unwinding that tells a fetch from a load), system calls and
 * interrupts, and the faulting instruction for fault records. A fault the
 * kernel cannot resolve kills the process: the access is pointed at a
 * scratch page (for a fetch, a page of traps) and Unicorn is stopped. */
#include "cpu/internal.h"
#include "cpu/cpuid.h"
#include "cpu/privilege.h"

#include <errno.h>
#include <inttypes.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unwind.h>

static struct cpu *active;            /* the cpu whose reservations the SIGSEGV handler serves */
static struct sigaction previous_segv;

/* ---- faults and data accesses ---- */

/* A fault, undefined instruction or breakpoint whose signal the process
 * catches: it stops here, its registers as they are before the faulting
 * instruction (a pre-access hook runs before it; `pc` names it), and the
 * handler runs once the emulation has stopped. Returns false when the
 * signal is not caught (the process dies of it). On x86-64 the program
 * counter a hook sees for a lock-prefixed or SSE access is its block's
 * start (Unicorn 2.0.1): the handler's frame then names that. */
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
	insns_post(c);
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

/* An access the TLBs did not answer at once (or one straddling two pages):
 * out of line, so that the common case saves no registers. */
static __attribute__((noinline)) void mem_access_slow(struct cpu *c, uint64_t addr, uint64_t last,
						     enum mmu_access acc)
{
	bool was_dying = c->dying;
	c->in_access++;   /* Unicorn's helper holds this access's TLB entry */
	access_page(c, addr, acc);
	if ((last ^ addr) >> c->shift) {   /* straddles a page boundary: the second page too */
		access_page(c, last & ~(c->page - 1), acc);
		/* A store that faults on its second page writes nothing of its
		 * first, as the hardware: that half lands on the scratch page
		 * (dropped when a caught fault resumes), so a handler sees the
		 * old bytes. */
		if (acc == ACC_WRITE && !was_dying && c->dying)
			scratch_cover(c, addr, false);
	}
	c->in_access--;
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
	if (!tlb_hit_accounted(c, addr, last, acc))
		mem_access_slow(c, addr, last, acc);
}

/* The pre-access memory hooks: always in timing mode (every access goes
 * through the TLB model). Functional mode goes without while it can: with
 * any memory hook Unicorn sends every load and store through its C helpers
 * (bench_run's raw-memhk), so its data misses arrive through the SIGSEGV
 * handler instead — where the registers are those of the block's start, not
 * of the faulting instruction. A process that catches its faults (SIGSEGV,
 * SIGBUS) needs them exact for the handler's frame: it runs with the hooks.
 * Unicorn decides when it translates a block whether its accesses call the
 * hooks, so the process's translated code goes when that changes. */
void data_hooks_as_needed(struct cpu *c)
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

/* Outside every region, or a fetch from a region without execute
 * permission: the MMU and the handler say what it is — unless it is a
 * window of a huge run not made yet (shadow.c). */
static bool bad_access_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud)
{
	(void)uc;
	(void)size;
	(void)value;
	struct cpu *c = ud;
	insns_post(c);
	bool unmapped = type == UC_MEM_READ_UNMAPPED || type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_FETCH_UNMAPPED;
	if (unmapped && window_make(c, addr))
		return true;   /* a huge run's window, made now: Unicorn tries again */
	enum mmu_access acc = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT ? ACC_WRITE
			      : type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT   ? ACC_FETCH
											     : ACC_READ;
	if (!c->dying) {
		struct mmu_xlate x;
		struct fault_record rec;
		c->in_access++;
		enum fault_outcome o = os_access(c->k, addr, acc, &x, &rec);
		die(c, o == OUT_RESOLVED ? OUT_SIGSEGV : o, o == OUT_RESOLVED ? NULL : &rec);
		c->in_access--;
	}
	return false;
}

/* ---- the host SIGSEGV handler ---- */

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

static bool own_text(uintptr_t ip) { return ip >= own_text_lo && ip < own_text_hi && !uc_helpers_text(ip); }

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
		insns_post(c);
		bool write = false;
#if defined(__x86_64__)
		write = ((ucontext_t *)uctx)->uc_mcontext.gregs[REG_ERR] & 2;
#endif
		enum mmu_access acc = write ? ACC_WRITE : ACC_FETCH;
		/* With the pre-access hooks, a data access was prepared by its hook
		 * (or accounted there: `hooked`); a read here is otherwise the
		 * translator. Without them, ask the stack. */
		c->in_access++;   /* interrupted: a helper or the translator */
		if (c->hooked && c->hooked_page == va >> c->shift && (c->hooked_acc == ACC_WRITE) == write) {
			fill_hooked(c, r, va);
		} else {
			if (!write && !c->data_hooked && (!r->exec || !translating()))
				acc = ACC_READ;
			c->in_segv = true;
			access_page(c, va, acc);   /* the exact address, as CR2/FAR hold */
			c->in_segv = false;
			cover_unserved(c, r, va, acc);
		}
		c->in_access--;
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

/* ---- instructions ---- */

static size_t block_home(const struct block_counts *t, int pid, uint64_t addr, uint32_t size)
{
	uint64_t h = (addr ^ ((uint64_t)size << 48) ^ ((uint64_t)(uint32_t)pid << 32)) * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & (t->cap - 1);   /* every address bit: blocks 3 bytes apart spread */
}

static struct block_count *block_find(struct block_counts *t, int pid, uint64_t addr, uint32_t size)
{
	for (size_t s = block_home(t, pid, addr, size);; s = (s + 1) & (t->cap - 1)) {
		struct block_count *b = &t->slot[s];
		if (!b->insns || (b->addr == addr && b->size == size && b->pid == pid))
			return b;
	}
}

/* Room for one more at a load of at most 70%; false when the host has none. */
static bool block_room(struct block_counts *t)
{
	if (t->cap && (t->used + 1) * 10 <= t->cap * 7)
		return true;
	size_t cap = t->cap ? 2 * t->cap : 4096;
	struct block_count *old = t->slot, *n = calloc(cap, sizeof *n);
	if (!n)
		return false;
	size_t ocap = t->cap;
	t->slot = n;
	t->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].insns)
			*block_find(t, old[i].pid, old[i].addr, old[i].size) = old[i];
	free(old);
	return true;
}

void block_counts_forget(struct cpu *c)
{
	if (c->blocks.used)
		memset(c->blocks.slot, 0, c->blocks.cap * sizeof *c->blocks.slot);
	c->blocks.used = 0;
	if (c->blocks.memo_used)
		memset(c->blocks.memo, 0, sizeof c->blocks.memo);
	c->blocks.memo_used = false;
}

/* x86 instructions vary in length: a block's are counted by disassembling
 * it once; arm64's are 4 bytes each. */
static uint32_t count_insns(struct cpu *c, uint64_t addr, uint32_t size)
{
	uint8_t code[4096];
	uint32_t n = size < sizeof code ? size : sizeof code, count = 0;
	if (uc_mem_read(c->uc, addr, code, n) == UC_ERR_OK) {
		cs_insn *insn;
		count = (uint32_t)cs_disasm(c->cs, code, n, addr, 0, &insn);
		if (count)
			cs_free(insn, count);
	}
	return count ? count : 1;
}

/* The table's answer (counting the block on a miss). Out of line: inlined,
 * its code buffer made every block hook save registers. */
static __attribute__((noinline)) uint32_t block_insns_table(struct cpu *c, int pid, uint64_t addr, uint32_t size)
{
	if (c->blocks.cap) {   /* a hit costs a lookup only; the table grows on a miss */
		const struct block_count *b = block_find(&c->blocks, pid, addr, size);
		if (b->insns)
			return b->insns;
	}
	uint32_t n = count_insns(c, addr, size);
	if (block_room(&c->blocks)) {
		*block_find(&c->blocks, pid, addr, size) = (struct block_count){addr, size, n, pid};
		c->blocks.used++;
	}
	return n;
}

static inline uint32_t block_insns(struct cpu *c, uint64_t addr, uint32_t size)
{
	if (c->f->arch == ARCH_AARCH64)
		return size / 4;
	int pid = c->cur ? c->cur->pid : 0;
	struct block_counts *t = &c->blocks;
	struct block_count *m = &t->memo[(addr ^ (addr >> 10)) & (sizeof t->memo / sizeof t->memo[0] - 1)];
	if (m->addr == addr && m->size == size && m->pid == pid && m->insns)
		return m->insns;
	uint32_t n = block_insns_table(c, pid, addr, size);
	*m = (struct block_count){addr, size, n, pid};
	t->memo_used = true;
	return n;
}

static void block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct cpu *c = ud;
	if (code_removals_pending(c) && code_removals_flush(c, addr, size)) {
		/* This block may be translated from code that has gone: it stops
		 * before it runs (uncounted) and is looked up again. */
		c->rerun_block = true;
		uc_emu_stop(uc);
		return;
	}
	uint32_t n = block_insns(c, addr, size);
	c->block_pc = addr;
	c->insns += n;
	c->insns_unposted += n;
	if (c->o.mode == CPU_TIMING && !c->dying) {
		insns_post(c);   /* the fetch may fill a TLB, and an eviction's event reads the cycles */
		/* Fetches, accounted per block: the iTLB sees the pages it spans. */
		uint64_t last = addr + (size ? size - 1 : 0);
		bool straddles = (last ^ addr) >> c->shift;
		if (straddles || !c->tlb_fast || !os_access_tlb(c->k, addr, ACC_FETCH))   /* the block ran: its page is in the shadow */
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
void fault_pc_hook(void *ctx, struct fault_record *r)
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

/* ---- system calls and interrupts ---- */


static void x86_syscall_hook(uc_engine *uc, void *ud)
{
	static const int regs[7] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
				    UC_X86_REG_R10, UC_X86_REG_R8,  UC_X86_REG_R9};
	uint64_t v[7];
	for (int i = 0; i < 7; i++)
		uc_reg_read(uc, regs[i], &v[i]);
	insns_post(ud);
	syscall_enter(ud, v[0], v + 1);
}

/* The trap as Linux's message names it (x86 traps.c, arm64 traps.c). */
static const char *trap_name(const struct cpu *c, int signo, int code)
{
	if (c->f->arch == ARCH_AARCH64)
		return signo == SIGTRAP ? "breakpoint" : "undefined instruction";
	switch (signo) {
	case SIGFPE: return code == FPE_INTDIV ? "divide error" : "floating point exception";
	case SIGILL: return "invalid opcode";
	case SIGTRAP: return "int3";
	case SIGBUS: return code == BUS_ADRALN ? "alignment check" : "segment not present";
	default: return "general protection fault";
	}
}

/* A signal for the instruction at pc, as the trap that the CPU took gives
 * it on Linux: to a handler, or the end. (Not a write of the program
 * counter: inside a hook, Unicorn 2.0.1 then cancels uc_emu_stop.) */
static void insn_fault(struct cpu *c, int signo, int code, uint64_t addr, uint64_t pc)
{
	if (!c->dying && !catch_fault(c, signo, code, addr, 0, pc)) {
		c->dying = true;
		c->signo = signo;
		c->trap_killer = trap_name(c, signo, code);
		c->trap_pc = pc;
	}
	uc_emu_stop(c->uc);
}

/* SIGILL (ILL_ILLOPC) or SIGTRAP (SI_KERNEL, as x86's int3 gives it). */
static void insn_signal(struct cpu *c, int signo)
{
	uint64_t pc = read_pc(c);
	insn_fault(c, signo, signo == SIGILL ? ILL_ILLOPC : SI_KERNEL, pc, pc);
}

/* x86's x87 (#MF) and SSE (#XM) exceptions: the first unmasked one
 * raised, in the order Linux's math_error tests them. */
static int x86_fpe_code(struct cpu *c, uint32_t intno)
{
	uint64_t status = 0, control = 0, mxcsr = 0;
	unsigned err;
	if (intno == 16) {
		uc_reg_read(c->uc, UC_X86_REG_FPSW, &status);
		uc_reg_read(c->uc, UC_X86_REG_FPCW, &control);
		err = (unsigned)(status & ~control);
	} else {
		uc_reg_read(c->uc, UC_X86_REG_MXCSR, &mxcsr);
		err = (unsigned)(mxcsr & ~(mxcsr >> 7));
	}
	if (err & 0x01)
		return FPE_FLTINV;
	if (err & 0x04)
		return FPE_FLTDIV;
	if (err & 0x08)
		return FPE_FLTOVF;
	if (err & 0x12)
		return FPE_FLTUND;
	if (err & 0x20)
		return FPE_FLTRES;
	return 0;
}

/* An x86-64 exception or `int n`, as Linux turns it into a signal. The
 * guest runs at CPL 3 (privilege.c), so a privileged instruction is a #GP.
 * Unicorn reports `int n` with the program counter past it (Linux: at it,
 * for the #GP the gate's DPL 0 gives). */
static void x86_exception(struct cpu *c, uint32_t intno)
{
	uint64_t pc = read_pc(c);
	uint8_t b[2];
	bool int_n = pc >= 2 && read_code(c, pc - 2, b, 2) == 2 && b[0] == 0xcd && b[1] == intno;
	/* Before catch_fault keeps the registers: its context must not bring
	 * the exception back. fault_ctx serves as the scratch context. */
	if (!x86_exception_settle(c->uc, c->fault_ctx) && intno != 3 && !int_n) {
		static bool told;
		if (!told)
			fprintf(stderr, "mmusim: Unicorn's pending x86 exception cannot be cleared: "
					"a second fault may stop the run\n");
		told = true;
	}
	if (intno == 3) {
		insn_signal(c, SIGTRAP);
	} else if (int_n && intno == 0x80) {
		fprintf(stderr, "mmusim: int $0x80 (the 32-bit system call) is not implemented: -ENOSYS\n");
		uint64_t rax = (uint64_t)-ENOSYS;
		uc_reg_write(c->uc, UC_X86_REG_RAX, &rax);
	} else if (int_n && intno != 4) {
		insn_fault(c, SIGSEGV, SI_KERNEL, 0, pc - 2);
	} else if (intno == 0) {
		insn_fault(c, SIGFPE, FPE_INTDIV, pc, pc);
	} else if (intno == 1) {
		insn_fault(c, SIGTRAP, TRAP_BRKPT, pc, pc);
	} else if (intno == 11 || intno == 12) {
		insn_fault(c, SIGBUS, SI_KERNEL, 0, pc);
	} else if (intno == 16 || intno == 19) {
		insn_fault(c, SIGFPE, x86_fpe_code(c, intno), pc, pc);
	} else if (intno == 17) {
		insn_fault(c, SIGBUS, BUS_ADRALN, 0, pc);
	} else {   /* #GP and the rest */
		insn_fault(c, SIGSEGV, SI_KERNEL, 0, pc);
	}
}

/* in/out at CPL 3 with IOPL 0 and no I/O bitmap: a #GP on Linux (Unicorn
 * 2.0.1 does not check the port's permission, it calls these). */
static uint32_t x86_in_hook(uc_engine *uc, uint32_t port, int size, void *ud)
{
	(void)uc, (void)port, (void)size;
	struct cpu *c = ud;
	insns_post(c);
	insn_fault(c, SIGSEGV, SI_KERNEL, 0, read_pc(c));
	return 0;
}

static void x86_out_hook(uc_engine *uc, uint32_t port, int size, uint32_t value, void *ud)
{
	(void)value;
	x86_in_hook(uc, port, size, ud);
}

/* AArch64 at EL0: Linux emulates MRS of the ID registers (op0 3, op1 0,
 * CRn 0, CRm 0 and 4-7) for user code. The value is the model CPU's
 * (Linux would hide the fields it does not vouch for). */
static bool aarch64_emulate_mrs(struct cpu *c)
{
	uint64_t pc = read_pc(c);
	uint8_t b[4];
	if (read_code(c, pc, b, 4) != 4)
		return false;
	uint32_t insn = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	unsigned op1 = insn >> 16 & 7, crn = insn >> 12 & 15, crm = insn >> 8 & 15, rt = insn & 31;
	if ((insn & 0xfff00000) != 0xd5300000 || op1 || crn || (crm != 0 && crm < 4))
		return false;
	uc_arm64_cp_reg reg = {.crn = crn, .crm = crm, .op0 = 3, .op1 = op1, .op2 = insn >> 5 & 7};
	if (uc_reg_read(c->uc, UC_ARM64_REG_CP_REG, &reg) != UC_ERR_OK)
		return false;
	if (rt != 31)
		uc_reg_write(c->uc, UC_ARM64_REG_X0 + (int)rt, &reg.val);
	pc += 4;
	uc_reg_write(c->uc, UC_ARM64_REG_PC, &pc);
	return true;
}

static void intr_hook(uc_engine *uc, uint32_t intno, void *ud)
{
	struct cpu *c = ud;
	insns_post(c);
	if (c->f->arch == ARCH_X86_64) {
		x86_exception(c, intno);
		return;
	}
	if (intno == 2) {   /* svc #0, PC already past it */
		uint64_t v[7];
		uc_reg_read(uc, UC_ARM64_REG_X8, &v[0]);
		for (int i = 0; i < 6; i++)
			uc_reg_read(uc, UC_ARM64_REG_X0 + i, &v[1 + i]);
		syscall_enter(c, v[0], v + 1);
		return;
	}
	if (intno == 7) {   /* brk */
		uint64_t pc = read_pc(c);
		insn_fault(c, SIGTRAP, TRAP_BRKPT, pc, pc);
		return;
	}
	/* A trap page, an undefined or privileged instruction. */
	if (!c->dying && intno == 1 && aarch64_emulate_mrs(c))
		return;
	insn_signal(c, SIGILL);
}

/* x86's #UD: SIGILL with ILL_ILLOPN, as Linux's do_error_trap gives it. */
static bool invalid_insn_hook(uc_engine *uc, void *ud)
{
	struct cpu *c = ud;
	(void)uc;
	insns_post(c);
	uint64_t pc = read_pc(c);
	insn_fault(c, SIGILL, c->f->arch == ARCH_X86_64 ? ILL_ILLOPN : ILL_ILLOPC, pc, pc);
	return false;
}

/* ---- AArch64 DC ZVA ---- */

/* Unicorn 2.0.1 zeroes a DC ZVA block with one-byte stores through its slow
 * path (it deems every page clean), each through mem_hook: ~65,000 host
 * instructions an instruction. Its SYS hook takes the instruction over:
 * mem_hook sees the same accesses in the same order, each followed by its
 * byte stored into the host memory behind the region, as Unicorn's store
 * would (so faults, scratch pages and host fills go as before). The order,
 * from its helper_dc_zva: twice the register's address then the block's
 * (when not at a 1 KiB boundary), then every byte of the block. */
#define ZVA_BLOCK 64u   /* DCZID_EL0 = 4 on UC_CPU_ARM64_MAX: 4 << 4 bytes */

static void zva_store(struct cpu *c, struct region *r, uint64_t va)
{
	if (c->data_hooked)
		mem_hook(c->uc, UC_MEM_WRITE, va, 1, 0, c);
	*(volatile uint8_t *)(r->host + (va - r->start)) = 0;
}

static uint32_t dc_zva_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
	struct cpu *c = ud;
	bool zva = cp->op0 == 1 && cp->op1 == 3 && cp->crn == 7 && cp->crm == 4 && cp->op2 == 1;
	uint64_t in = cp->val, block = in & ~(uint64_t)(ZVA_BLOCK - 1);
	struct region *r = zva && reg != UC_ARM64_REG_XZR && !(in >> 56) ? region_of(c, block) : NULL;
	if (!r)
		return 0;   /* another SYS, a tagged or unmapped address: Unicorn runs it */
	for (int pass = 0; pass < 2; pass++) {
		zva_store(c, r, in);
		if (block != (in & ~(uint64_t)1023))
			zva_store(c, r, block);
	}
	for (uint64_t i = 0; i < ZVA_BLOCK; i++)
		zva_store(c, r, block + i);
	if (r->exec)   /* Unicorn's stores drop translated code they overwrite */
		uc_ctl_remove_cache(uc, block, block + ZVA_BLOCK);
	return 1;   /* done: Unicorn skips it */
}

/* The hook zeroes ZVA_BLOCK bytes: only for a CPU whose DCZID_EL0 says so
 * (and allows DC ZVA). */
static bool dc_zva_block_is_ours(uc_engine *uc)
{
	uc_arm64_cp_reg dczid = {.op0 = 3, .op1 = 3, .crn = 0, .crm = 0, .op2 = 7};
	return uc_reg_read(uc, UC_ARM64_REG_CP_REG, &dczid) == UC_ERR_OK && (4u << (dczid.val & 15)) == ZVA_BLOCK &&
	       !(dczid.val & 16);
}

/* ---- installing them ---- */
void hooks_install(struct cpu *c)
{
	uc_hook h;
	uc_hook_add(c->uc, &h, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, (void *)bad_access_hook, c, 1, 0);
	uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, (void *)block_hook, c, 1, 0);
	uc_hook_add(c->uc, &h, UC_HOOK_INTR, (void *)intr_hook, c, 1, 0);
	uc_hook_add(c->uc, &h, UC_HOOK_INSN_INVALID, (void *)invalid_insn_hook, c, 1, 0);
	if (c->f->arch == ARCH_X86_64) {
		uc_hook_add(c->uc, &h, UC_HOOK_INSN, (void *)x86_syscall_hook, c, 1, 0, UC_X86_INS_SYSCALL);
		uc_hook_add(c->uc, &h, UC_HOOK_INSN, (void *)x86_in_hook, c, 1, 0, UC_X86_INS_IN);
		uc_hook_add(c->uc, &h, UC_HOOK_INSN, (void *)x86_out_hook, c, 1, 0, UC_X86_INS_OUT);
		c->cpuid = cpuid_install(c->uc);
	}
	if (c->f->arch == ARCH_AARCH64 && dc_zva_block_is_ours(c->uc))
		uc_hook_add(c->uc, &h, UC_HOOK_INSN, (void *)dc_zva_hook, c, 1, 0, UC_ARM64_INS_SYS);
	if (!own_text_hi) {
		dl_iterate_phdr(find_own_text, NULL);
		translating();   /* the unwinder's first call loads what it needs: not in a signal handler */
	}
}

/* c's reservations get the host's SIGSEGV while it runs; every other
 * SIGSEGV goes on to the previous handler. */
void segv_catch(struct cpu *c)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	active = c;
	sigaction(SIGSEGV, &sa, &previous_segv);
}

void segv_release(void)
{
	sigaction(SIGSEGV, &previous_segv, NULL);
	active = NULL;
}
