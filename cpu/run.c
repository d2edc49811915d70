/* Running processes: the engine, the task each process is to the CPU, the
 * turns the kernel's scheduler gives them (os/sched.c), slices of guest
 * code, system-call results and signal delivery on the way back to user
 * mode. */
#include "cpu/internal.h"
#include "cpu/regs.h"
#include "cpu/cpuid.h"
#include "cpu/privilege.h"
#include "mmu/errmsg.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Instructions a process runs before another gets its turn (about 1 ms at
 * 1 instruction per cycle on a 1 GHz core: a scheduler tick). */
#define QUANTUM 1000000

/* ---- tasks ---- */

struct task *task_of(struct cpu *c, int tid)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i]->p && c->tasks[i]->tid == tid)
			return c->tasks[i];
	return NULL;
}

struct task *regions_holder(struct cpu *c, int pid)
{
	struct task *any = NULL;
	for (size_t i = 0; i < c->ntasks; i++) {
		struct task *t = c->tasks[i];
		if (t->pid != pid || !t->ctx)
			continue;
		if (t->reg)
			return t;
		any = any ? any : t;
	}
	return any;
}

/* A task for thread tid of process p, last in the table (which keeps
 * creation order). */
static struct task *task_new(struct cpu *c, struct proc *p, int tid)
{
	struct task **nt = realloc(c->tasks, (c->ntasks + 1) * sizeof *nt);
	if (!nt)
		return NULL;
	c->tasks = nt;
	struct task *t = calloc(1, sizeof *t);
	if (!t || uc_context_alloc(c->uc, &t->ctx) != UC_ERR_OK) {
		free(t);
		return NULL;
	}
	t->pid = proc_pid(p);
	t->tid = tid;
	t->p = p;
	c->tasks[c->ntasks++] = t;
	return t;
}

/* Another live task of t's process, or NULL. */
static struct task *sibling_of(struct cpu *c, const struct task *t)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i] != t && c->tasks[i]->p && c->tasks[i]->p == t->p && c->tasks[i]->ctx)
			return c->tasks[i];
	return NULL;
}

static void task_free(struct cpu *c, struct task *t)
{
	if (t == c->cur || t == c->reg_heir) {
		c->reg_dead = true;
		if (t == c->cur)
			c->cur = NULL;
		c->reg_heir = NULL;
	} else {
		regions_free_host(t->reg, t->nreg);   /* not in Unicorn: only the host side */
	}
	t->reg = NULL;
	t->nreg = 0;
	if (t->ctx)
		uc_context_free(t->ctx);
	t->ctx = NULL;
}

/* A thread ended and its process goes on: a sibling keeps the regions.
 * Those in Unicorn stay there (taking a region out costs Unicorn 2.0.1 a
 * flush per page of its length: a thread's 64 MiB malloc arena is 16,384)
 * until another process runs. */
static void thread_task_free(struct cpu *c, struct task *t)
{
	struct task *heir = sibling_of(c, t);
	if (!heir) {   /* its siblings never got a context: nothing to keep */
		task_free(c, t);
		t->p = NULL;
		return;
	}
	if (t == c->cur || t == c->reg_heir) {
		c->cur = NULL;
		c->reg_heir = heir;
	} else if (t->reg) {
		heir->reg = t->reg;
		heir->nreg = t->nreg;
	}
	t->reg = NULL;
	t->nreg = 0;
	uc_context_free(t->ctx);
	t->ctx = NULL;
	t->p = NULL;
}

static void set_comm(struct task *t, const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	snprintf(t->comm, sizeof t->comm, "%s", slash ? slash + 1 : path ? path : "?");
}

/* Unicorn's code buffer only grows: the blocks that go with a process's
 * regions at a switch are unlinked, but 2.0.1 reuses their space only
 * after a full flush, made when its 1 GiB buffer is full, and that flush
 * zeroes the whole gigabyte. Every switch between processes translates the
 * code of the one that comes back anew (~6 KiB a switch in a fork/wait or
 * pipe ping-pong loop), so mmusim's resident memory grew with the switches
 * a run made, up to a gigabyte. Between two processes no region is in
 * Unicorn and every register is in a task's context, so a fresh engine
 * loses nothing but code that has gone anyway: every ENGINE_SWITCHES
 * switches the engine is replaced, which bounds its dead code. */
#define ENGINE_SWITCHES 256

static void engine_renew(struct cpu *c);

static void engine_renew_now_and_then(struct cpu *c)
{
	if (++c->mm_switches % ENGINE_SWITCHES == 0)
		engine_renew(c);
}

/* Unicorn gets t's registers and regions (the current ones are put away);
 * between two threads of one process, the registers only (the TLS base
 * among them). */
static void switch_to(struct cpu *c, struct task *t)
{
	if (c->cur == t)
		return;
	if (c->reg_dead) {
		regions_clear(c);
		free(c->reg);
		c->reg = NULL;
		c->reg_dead = false;
	}
	struct task *owner = c->cur ? c->cur : c->reg_heir;   /* of the regions in Unicorn */
	bool same_mm = owner && owner->p == t->p;
	if (c->cur)
		uc_context_save(c->uc, c->cur->ctx);
	if (owner && !same_mm) {
		regions_put_away(c, owner);
		engine_renew_now_and_then(c);
	}
	c->reg_heir = NULL;
	c->cur = t;
	kernel_switch_thread(c->k, t->p, t->tid);
	if (!same_mm) {
		regions_take_back(c, regions_holder(c, t->pid));
		sync_regions(c);
	}
	if (t->started)
		uc_context_restore(c->uc, t->ctx);
}

/* ---- system calls ---- */

/* The child of a fork: the parent's registers as they are inside the
 * system call, returning 0, past the instruction (on x86-64 the hook sees
 * RIP at the syscall itself). */
static void child_context(struct cpu *c, struct task *t, const struct sys_result *r)
{
	t->started = true;
	t->set_tid = r->child.set_tid;
	memcpy(t->comm, c->cur->comm, sizeof t->comm);
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

static void fork_task(struct cpu *c, const struct sys_result *r)
{
	struct proc *child = proc_find(c->k, (int)r->value);
	struct task *t = child ? task_new(c, child, proc_pid(child)) : NULL;
	if (t)
		child_context(c, t, r);
}

/* A new thread of the current process: the caller's registers, as for a
 * fork, on the stack and with the TLS base clone gave. */
static void thread_task(struct cpu *c, const struct sys_result *r)
{
	struct task *t = task_new(c, c->cur->p, (int)r->value);
	if (t)
		child_context(c, t, r);
}

/* execve in a threaded process: the other threads' tasks go. */
static void drop_sibling_tasks(struct cpu *c, struct task *t)
{
	for (struct task *s; (s = sibling_of(c, t));) {
		uc_context_free(s->ctx);
		s->ctx = NULL;
		s->p = NULL;
	}
	t->tid = t->pid;
}

/* What a system call's result asks of the CPU. Returns whether the return
 * value goes into the return register (not for a call that blocks: the
 * kernel makes it again on a later turn). */
static bool apply_result(struct cpu *c, const struct sys_result *r)
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
		uc_emu_stop(c->uc);
		return false;
	case SYSA_FORK:
		fork_task(c, r);
		break;
	case SYSA_THREAD:
		thread_task(c, r);
		break;
	case SYSA_THREAD_EXIT:
		c->thread_exited = true;
		uc_emu_stop(c->uc);
		return false;
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
		drop_sibling_tasks(c, c->cur);
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

/* System call nr(a) returned r: the CPU carries out the rest. */
static void syscall_return(struct cpu *c, const struct sys_result *r, uint64_t nr, const uint64_t a[6])
{
	uint64_t ret = (uint64_t)r->ret;
	if (apply_result(c, r)) {
		uc_reg_write(c->uc, return_reg(c), &ret);
		if (!c->exited && !c->dying && !c->thread_exited)
			signal_after_syscall(c, nr, a);
	}
	sync_regions(c);
}

void syscall_enter(struct cpu *c, uint64_t nr, uint64_t a[6])
{
	uint64_t sp = 0;
	uc_reg_read(c->uc, sp_reg(c), &sp);
	os_syscall_sp(c->k, sp);
	struct sys_result r = os_syscall(c->k, nr, a);
	syscall_return(c, &r, nr, a);
}

/* ---- the engine ---- */

/* A Unicorn engine for the machine's architecture, without hooks, in
 * user mode (privilege.c). */
static uc_err engine_open(struct cpu *c, uc_engine **uc)
{
	bool x86 = c->f->arch == ARCH_X86_64;
	uc_overrides_check();
	uc_err e = x86 ? uc_open(UC_ARCH_X86, UC_MODE_64, uc) : uc_open(UC_ARCH_ARM64, UC_MODE_ARM, uc);
	if (e == UC_ERR_OK && !x86)   /* LSE atomics and the rest of ARMv8.x: the default A72 model lacks them */
		uc_ctl_set_cpu_model(*uc, UC_CPU_ARM64_MAX);
	if (e == UC_ERR_OK && !privilege_drop(*uc, x86)) {
		uc_close(*uc);
		e = UC_ERR_EXCEPTION;
	}
	return e;
}

/* A fresh engine in place of the old (called between processes: no region
 * in Unicorn, the registers in the tasks' contexts, which are the CPU
 * state's bytes and restore into any engine of the same model). The data
 * hook comes back with the next sync_regions. If none can be had, the old
 * one goes on. */
static void engine_renew(struct cpu *c)
{
	uc_engine *fresh;
	if (engine_open(c, &fresh) != UC_ERR_OK)
		return;
	uc_engine *old = c->uc;
	cpuid_release(c->cpuid);
	c->cpuid = NULL;
	c->uc = fresh;
	hooks_install(c);
	c->data_hooked = false;
	uc_close(old);
}

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
	kernel_set_stop(k, o->stop);   /* a long kernel operation gives up on it too */
	c->tlb_fast = o->mode == CPU_TIMING && !kernel_tlb_checked(k);
	c->shift = c->f->page_shift;
	c->page = 1ull << c->shift;
	bool x86 = c->f->arch == ARCH_X86_64;
	uc_err e = engine_open(c, &c->uc);
	if (e != UC_ERR_OK) {
		snprintf(err, errlen, "unicorn: %s", e == UC_ERR_EXCEPTION ? "the guest cannot be made to run as user code" : uc_strerror(e));
		free(c);
		return NULL;
	}
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
	hooks_install(c);
	kernel_set_unmap_hook(k, shadow_unmap_hook, c);
	return c;
}

void cpu_destroy(struct cpu *c)
{
	if (!c)
		return;
	kernel_set_unmap_hook(c->k, NULL, NULL);
	kernel_set_pc_hook(c->k, NULL, NULL);
	for (size_t i = 0; i < c->ntasks; i++) {
		task_free(c, c->tasks[i]);
		free(c->tasks[i]);
	}
	free(c->tasks);
	if (c->fault_ctx)
		uc_context_free(c->fault_ctx);
	free(c->blocks.slot);
	cpuid_release(c->cpuid);
	cs_close(&c->cs);
	/* Unicorn goes with the regions it has: uc_mem_unmap would flush its
	 * TLB page by page over them first. Their host side goes after. */
	uc_close(c->uc);
	regions_forget(c);
	munmap(c->trap, c->page);
	munmap(c->scratch, c->page);
	free(c);
}

uint64_t cpu_instructions(const struct cpu *c) { return c->insns; }

/* The kernel says what a new program starts with (rdx 0 on x86-64: no
 * function for atexit); the TLS base, outside struct user_regs, is 0. */
static void set_start_registers(struct cpu *c, const struct exec_image *img)
{
	struct user_regs regs;
	os_start_regs(c->k, img, &regs);
	regs_write(c->uc, c->f->arch, &regs);
	uint64_t zero = 0;
	uc_reg_write(c->uc, c->f->arch == ARCH_X86_64 ? UC_X86_REG_FS_BASE : UC_ARM64_REG_TPIDR_EL0, &zero);
}

/* ---- the end of a process ---- */

/* What Linux prints when a trap other than a page fault kills a process:
 * x86's do_trap/do_general_protection (show_signal), arm64's
 * force_signal_inject. */
static void report_trap_death(struct cpu *c, struct task *t)
{
	const char *name = proc_thread_comm(t->p);   /* the thread's, "in" the program's file */
	uint64_t sp = 0;
	uc_reg_read(c->uc, sp_reg(c), &sp);
	if (c->f->arch == ARCH_X86_64)
		fprintf(stderr, "traps: %s[%d] %s%s ip:%" PRIx64 " sp:%" PRIx64 " error:0 in %s\n", name, t->tid,
			strcmp(c->trap_killer, "general protection fault") ? "trap " : "", c->trap_killer, c->trap_pc, sp,
			t->comm);
	else
		fprintf(stderr, "%s[%d]: %s: pc=%016" PRIx64 "\n", name, t->tid, c->trap_killer, c->trap_pc);
}

/* What Linux prints when a process dies of a fault (show_signal_msg on x86,
 * arm64_show_signal on arm64), or of the OOM killer. */
static void report_death(struct cpu *c, struct task *t)
{
	if (c->o.quiet)
		return;
	if (!c->have_killer && c->trap_killer)
		report_trap_death(c, t);
	if (!c->have_killer)
		return;
	const struct fault_record *r = &c->killer;
	if (r->outcome == OUT_OOM) {   /* oom_kill_process: the faulting process is the victim */
		fprintf(stderr, "Out of memory: Killed process %d (%s)\n", t->pid, proc_thread_comm(t->p));
		return;
	}
	uint64_t sp = 0;
	uc_reg_read(c->uc, sp_reg(c), &sp);
	if (c->f->arch == ARCH_X86_64)
		fprintf(stderr, "%s[%d]: %s at %" PRIx64 " ip %" PRIx64 " sp %" PRIx64 " error %" PRIx64 " in %s\n",
			proc_thread_comm(t->p), t->tid, r->signo == SIGBUS ? "bus error" : "segfault", r->va, r->pc, sp,
			r->hw.syn.code, t->comm);
	else
		fprintf(stderr, "%s[%d]: unhandled exception: %s, ESR 0x%016" PRIx64 ", FAR 0x%016" PRIx64 " in %s\n",
			proc_thread_comm(t->p), t->tid, mmu_fault_kind_name(r->hw.kind), r->hw.syn.code, r->va, t->comm);
}

/* The end of the current process: an exit, or a signal's default action;
 * its other threads end with it. */
static void finish_task(struct cpu *c, struct task *t)
{
	if (c->dying) {
		report_death(c, t);
		proc_kill(t->p, c->signo);
	} else {
		proc_exit(t->p, c->status);
	}
	task_free(c, t);
	for (struct task *s; (s = sibling_of(c, t));) {
		task_free(c, s);
		s->p = NULL;
	}
	t->p = NULL;
}

/* Ends every process still alive, in the order they were created: killed
 * by signo, or (signo 0) exiting with `status`. */
static void end_all(struct cpu *c, int signo, int status)
{
	for (size_t i = 0; i < c->ntasks; i++) {
		struct task *t = c->tasks[i];
		if (!t->p)
			continue;
		switch_to(c, t);
		c->dying = signo != 0;
		c->exited = !signo;
		c->have_killer = false;
		c->signo = signo;
		c->status = status;
		finish_task(c, t);
	}
}

/* SIGINT or SIGTERM came: every process dies of it, as a terminal's ^C
 * kills the foreground process group. */
static bool stopped_by_signal(struct cpu *c)
{
	int signo = c->o.stop ? *c->o.stop : 0;
	if (!signo)
		return false;
	if (signo == SIGXCPU) {   /* --max-seconds: ended as --max-insns ends it */
		fprintf(stderr, "mmusim: stopped after the host-time limit (--max-seconds)\n");
		end_all(c, 0, 128 + SIGXCPU);
		return true;
	}
	fprintf(stderr, "mmusim: %s: stopping every process\n", signo == SIGINT ? "SIGINT" : signo == SIGHUP ? "SIGHUP" : "SIGTERM");
	end_all(c, signo, 0);
	return true;
}

/* ---- slices ---- */

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
 * instruction, and no scratch page left where the process goes on. */
static void resume_at_fault(struct cpu *c)
{
	uc_context_restore(c->uc, c->fault_ctx);
	shadow_drop_scratch(c);
	c->dying = c->caught = false;
}

/* Whether the emulation stopped for something run_slice handles (not only
 * for translated code to go). */
static bool stop_has_work(struct cpu *c, uc_err e)
{
	return e != UC_ERR_OK || c->caught || c->exited || c->thread_exited || c->dying || c->halted || c->preempt ||
	       c->exec_pending || c->cur->sigreturn || c->cur->sx.active || proc_sched_state(c->cur->p) == SCHED_BLOCKED;
}

/* Emulates from the PC until a stop with work. Code removals deferred
 * from hooks are done when it returns; a stop that only kept a stale block
 * from running (hooks.c) goes on, as if it had not stopped. */
static uc_err emulate(struct cpu *c)
{
	for (;;) {
		c->rerun_block = false;
		uc_helpers_direct(c);
		uc_err e = uc_emu_start(c->uc, read_pc(c), UINT64_MAX, 0, 0);
		uc_helpers_direct(NULL);
		insns_post(c);
		code_removals_flush(c, 0, 0);
		if (!c->rerun_block || stop_has_work(c, e))
			return e;
	}
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
		uc_err e = emulate(c);
		if (c->caught) {
			resume_at_fault(c);
			continue;
		}
		if (c->exited || c->thread_exited || c->dying || c->halted || c->preempt || proc_sched_state(c->cur->p) == SCHED_BLOCKED)
			return;
		if (c->exec_pending) {   /* the new program, in the same slice */
			c->exec_pending = false;
			block_counts_forget(c);   /* the same pid, other code */
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

/* schedule_tail: a child learns its tid when it first runs. */
static void first_run(struct cpu *c, struct task *t)
{
	if (!t->set_tid)
		return;
	uint32_t tid = (uint32_t)t->tid;
	os_copy_to_user(c->k, t->set_tid, &tid, 4);
	t->set_tid = 0;
}

/* One turn of the process the kernel picked: a slice, unless it sleeps on
 * (or its woken call ended it). Returns false when the whole run ends. */
static bool take_turn(struct cpu *c, struct task *t)
{
	switch_to(c, t);
	c->exited = c->thread_exited = c->dying = c->have_killer = c->preempt = false;
	c->trap_killer = NULL;
	struct sched_turn turn = sched_turn(c->k);
	if (turn.what == TURN_ASLEEP)
		return true;
	if (turn.what == TURN_DEADLOCK) {
		fprintf(stderr, "mmusim: every process is blocked (deadlock); killing them\n");
		end_all(c, SIGKILL, 0);
		return false;
	}
	if (turn.what == TURN_WOKEN)
		syscall_return(c, &turn.r, turn.nr, turn.args);
	first_run(c, t);
	if (!c->exited && !c->dying)   /* the woken call may have ended it */
		run_slice(c);
	if (stopped_by_signal(c))
		return false;
	if (c->halted) {
		end_all(c, 0, 128 + SIGXCPU);
		return false;
	}
	if (c->exited || c->dying)
		finish_task(c, t);
	else if (c->thread_exited)
		thread_task_free(c, t);
	return true;
}

/* The tasks of threads that ended leave the table (a process killed while
 * it did not run ends here), then the kernel frees the processes reaped
 * since: no task points at one of them any more. */
static void tasks_release(struct cpu *c)
{
	size_t kept = 0;
	for (size_t i = 0; i < c->ntasks; i++) {
		struct task *t = c->tasks[i];
		if (t->p && proc_alive(t->p)) {
			c->tasks[kept++] = t;
			continue;
		}
		task_free(c, t);   /* whatever it still held */
		free(t);
	}
	c->ntasks = kept;
	os_release_reaped(c->k);
}

/* Turns, as the kernel's scheduler gives them, until no process is left. */
static void run_processes(struct cpu *c)
{
	for (;;) {
		tasks_release(c);
		int tid = 0;
		struct proc *p = sched_next_thread(c->k, &tid);
		if (!p || stopped_by_signal(c))
			return;
		struct task *t = task_of(c, tid);
		if (!t) {   /* no context could be made for it when it was forked */
			proc_kill(p, SIGKILL);
			continue;
		}
		if (!take_turn(c, t))
			return;
	}
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
	if (rc && !proc_alive(p)) {
		/* Past the point of no return (a bss larger than RAM and swap):
		 * the process was killed, as Linux's exec kills it; the run ends
		 * with its status, as a shell would report it. */
		errmsg_print(err);
		return proc_exit_status(p);
	}
	if (rc)
		return rc < 0 ? rc : -1;   /* -errno: ENOENT (no interpreter) is the shell's 127 */
	kernel_set_pc_hook(k, fault_pc_hook, c);   /* from here on, faults have an instruction */
	char *real = realpath(program, NULL);
	proc_set_exe(p, real ? real : program);
	free(real);
	struct task *first = task_new(c, p, proc_pid(p));
	if (!first || uc_context_alloc(c->uc, &c->fault_ctx) != UC_ERR_OK) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	set_comm(first, program);
	switch_to(c, first);
	set_start_registers(c, &img);
	first->started = true;
	segv_catch(c);
	run_processes(c);
	segv_release();
	return proc_exit_status(p);   /* process 1's: its exit code, or 128 + signal */
}
