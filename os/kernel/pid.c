/* Process and thread ids from one space, given out as Linux's alloc_pid
 * does (idr_alloc_cyclic): the number after the last one given, up to
 * pid_max, then round again from RESERVED_PIDS, skipping numbers in use.
 * A number is in use while a process (a zombie too) or a thread still in
 * the kernel's tables holds it, or a process group is named by it; a
 * thread that ended and was released frees its tid, so a program making
 * thread after thread reuses tids once the count has gone round. */
#include "os/kernel/kernel.h"

#include <errno.h>

static bool pid_in_use(const struct services *svc, int nr)
{
	for (size_t i = 0; i < svc->nprocs; i++)
		if (svc->procs[i]->pid == nr || svc->procs[i]->pgid == nr)
			return true;
	for (size_t i = 0; i < svc->nthreads; i++)
		if (svc->threads[i]->tid == nr)
			return true;
	return false;
}

int pid_next(const struct kernel *k)
{
	const struct services *svc = k->svc;
	int min = svc->last_pid >= PID_RESERVED ? PID_RESERVED : 1;
	int nr = svc->last_pid + 1;
	for (int tried = 0; tried < PID_MAX; tried++, nr++) {
		if (nr >= PID_MAX)
			nr = min;
		if (!pid_in_use(svc, nr))
			return nr;
	}
	return -EAGAIN;
}
