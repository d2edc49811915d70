/* The kernel object: the memory manager beneath (os/mm), the processes,
 * which one runs, and the services' hooks. */
#include "os/kernel/kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void os_config_default(struct os_config *c)
{
	*c = (struct os_config){
		.personality = PERS_LINUX,
		.stack_limit = 8ull << 20,          /* RLIMIT_STACK default */
		.max_procs = 256,                   /* RLIMIT_NPROC: stops a fork bomb, not a shell */
		.stack_guard_gap = 256ull << 12,    /* Linux stack_guard_gap: 256 pages */
		.fault_around_bytes = 64ull << 10,  /* Linux fault_around_bytes default */
		.thp = THP_MADVISE,
		.disk_limit = 1ull << 30,           /* --disk-limit: a fixed default, so runs agree across hosts */
	};
}

/* Whether the personality can run on this machine at all. */
static bool personality_fits(const struct personality_desc *pers, const struct os_config *oc,
			     const struct pt_format *f, char *err, size_t errlen)
{
	if (pers->arm64_only && f->arch != ARCH_AARCH64) {
		snprintf(err, errlen, "the %s personality runs on Arm only", pers->name);
		return false;
	}
	if (oc->swap_bytes && oc->personality == PERS_LITEOS) {
		snprintf(err, errlen, "LiteOS-A has no swap");
		return false;
	}
	if (pers->arm64_page_shift && f->arch == ARCH_AARCH64 && f->page_shift != pers->arm64_page_shift) {
		snprintf(err, errlen, "%s uses %u KiB pages on arm64: choose a preset with that granule", pers->name,
			 1u << (pers->arm64_page_shift - 10));
		return false;
	}
	return true;
}

struct kernel *kernel_create(const struct mmu_config *mc, const struct os_config *oc, char *err, size_t errlen)
{
	const struct personality_desc *pers = personality_desc(oc->personality);
	if (!personality_fits(pers, oc, mc->fmt, err, errlen))
		return NULL;
	struct kernel *k = calloc(1, sizeof *k);
	struct services *svc = calloc(1, sizeof *svc);
	if (!k || !svc) {
		free(k);
		free(svc);
		snprintf(err, errlen, "out of host memory");
		return NULL;
	}
	k->svc = svc;
	k->cfg = *oc;
	k->pers = pers;
	svc->rng = 0x243F6A8885A308D3ull;   /* a fixed seed: the same run, the same "random" bytes */
	if (!mm_kernel_init(k, mc, err, errlen))
		goto fail;
	struct proc *init = proc_create(k, 1);
	if (!init) {
		snprintf(err, errlen, "physical memory too small to start");
		goto fail;
	}
	kernel_switch(k, init);
	return k;
fail:
	kernel_destroy(k);
	return NULL;
}

void kernel_destroy(struct kernel *k)
{
	if (!k)
		return;
	struct services *svc = k->svc;
	k->bus.nsub = 0;
	k->bus.op_hook = NULL;
	/* Nothing written through a shared mapping is lost: every process's
	 * memory is released (writing back what it dirtied), then the caches. */
	for (size_t i = 0; i < svc->nprocs; i++)
		proc_exit(svc->procs[i], svc->procs[i]->status);
	if (k->frames.page)
		mm_kernel_release(k);
	files_release(k);
	locks_free(k);
	mode_model_free(k);
	free(svc->cmd_reported);
	for (size_t i = 0; i < svc->nprocs; i++) {
		vma_array_free(&svc->procs[i]->mm);
		free(svc->procs[i]->exe);
		proc_cwd_drop(svc->procs[i]);
		free(svc->procs[i]);
	}
	free(svc->root);
	free(svc->sysroot);
	free(svc->procs);
	for (size_t i = 0; i < svc->nthreads; i++)
		free(svc->threads[i]);
	free(svc->threads);
	mm_kernel_destroy(k);
	free(svc);
	free(k);
}

struct proc *proc_find(const struct kernel *k, int pid)
{
	for (size_t i = 0; i < k->svc->nprocs; i++)
		if (k->svc->procs[i]->pid == pid)
			return k->svc->procs[i];
	return NULL;
}

struct proc *kernel_current(const struct kernel *k) { return k->svc->current; }

void kernel_set_stop(struct kernel *k, const volatile sig_atomic_t *stop) { k->stop = stop; }
int proc_pid(const struct proc *p) { return p->pid; }
bool proc_alive(const struct proc *p) { return p->alive; }
int proc_exit_status(const struct proc *p) { return p->status; }

int proc_tid(const struct proc *p) { return p->thread->tid; }
const char *proc_thread_comm(const struct proc *p) { return p->thread->comm; }

void kernel_switch_thread(struct kernel *k, struct proc *p, int tid)
{
	for (size_t i = 0; i < k->svc->nthreads; i++)
		if (k->svc->threads[i]->p == p && k->svc->threads[i]->tid == tid) {
			thread_switch(p, k->svc->threads[i]);
			break;
		}
	kernel_switch(k, p);
}

void kernel_switch(struct kernel *k, struct proc *p)
{
	usage_switch(k, p);
	k->svc->current = p;
	k->mm_current = &p->mm;
	mmu_set_context(k->mmu, p->mm.root, p->mm.asid);
	if (observed(k)) {
		struct os_event ev = {.kind = EV_SWITCH, .pid = p->pid};
		ev.u.proc.root = p->mm.root;
		ev.u.proc.asid = p->mm.asid;
		emit(k, &ev);
	}
	if (op_hooked(k)) {
		struct os_op op = {.kind = OP_SWITCH};
		op_emit(k, p->pid, &op);
	}
}

void kernel_set_syscall_hook(struct kernel *k, os_syscall_fn fn, void *ctx)
{
	k->svc->syscall_hook = fn;
	k->svc->syscall_ctx = ctx;
}
