/* mmusim run --warm: the program runs once in full, then the machine starts
 * again as a second run on Linux finds it. What the first run left in the
 * page cache stays (and on the LRU lists, referenced or active as it left
 * them), with the sandbox's files as it left them; its processes, the
 * kernel's and the MMU's counters, simulated time, the TLBs and the pid
 * numbers start afresh, and a new process 1 waits to exec the measured run. */
#include "os/kernel/kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first run's processes and threads: gone (every one has exited, or is
 * made to now: its memory and descriptors released as at exit). */
static void procs_forget(struct kernel *k)
{
	struct services *svc = k->svc;
	for (size_t i = 0; i < svc->nprocs; i++)
		proc_exit(svc->procs[i], svc->procs[i]->status);
	for (size_t i = 0; i < svc->nprocs; i++) {
		vma_array_free(&svc->procs[i]->mm);
		free(svc->procs[i]->exe);
		free(svc->procs[i]);
	}
	for (size_t i = 0; i < svc->nthreads; i++)
		free(svc->threads[i]);
	svc->nprocs = svc->nthreads = 0;
	svc->current = NULL;
	svc->rq = (struct runqueue){0};
	svc->last_pid = 0;
}

/* The services' run-long state: time, the random generator, which notes
 * were printed (the first run's went nowhere), the sandbox (the working
 * directory with it). */
static void services_reset(struct kernel *k)
{
	struct services *svc = k->svc;
	svc->sleep_cycles = svc->switch_cycles = svc->syscall_sp = 0;
	svc->rng = 0x243F6A8885A308D3ull;   /* kernel_create's seed */
	memset(svc->enosys_reported, 0, sizeof svc->enosys_reported);
	svc->ncmd_reported = 0;
	svc->mremap_noted = false;
	files_release(k);   /* the sandbox opens again at its root on first use */
}

/* The memory manager's counters; a page-cache page counts as shared again
 * when two entries of the new run map it. */
static void mm_counters_reset(struct kernel *k)
{
	k->st = (struct os_stats){0};
	k->fault_seq = 0;
	k->next_asid = 1;
	for (uint64_t i = 0; i < k->frames.n; i++)
		if (!k->frames.page[i].mapcount)
			k->frames.page[i].flags &= ~PG_SHARED;
}

int os_warm_restart(struct kernel *k, char *err, size_t errlen)
{
	procs_forget(k);
	services_reset(k);
	mm_counters_reset(k);
	k->mm_current = NULL;
	if (!mmu_restart(k->mmu, err, errlen))
		return -1;
	struct proc *init = proc_create(k, 1);
	if (!init) {
		snprintf(err, errlen, "physical memory too small to start again");
		return -1;
	}
	kernel_switch(k, init);
	return 0;
}
