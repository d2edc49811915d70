/* release_task: a process whose parent collected its status (wait4, or
 * SIGCHLD ignored) leaves the kernel's tables and its memory goes, as
 * Linux frees the task_struct. Before, every process ever created stayed
 * (struct proc is ~7.5 KiB), so a long-running shell script grew mmusim
 * without bound. What it counted in /proc/stat (its time, its switches,
 * one fork) stays in the totals. Threads that end while their process
 * lives are freed here too, so a program making and joining thread after
 * thread runs in the same memory however many it made. */
#include "os/kernel/kernel.h"

#include <stdlib.h>

static bool releasable(const struct kernel *k, const struct proc *p)
{
	return !p->alive && p->reaped && p != k->svc->current;
}

/* A thread that ended while its process lives (release_task of a
 * non-leader: Linux frees it at once) once no field points at it: not its
 * process's running thread. The leader stays until its process goes (a
 * zombie's task/ lists it). */
static bool thread_releasable(const struct thread *t)
{
	return !t->alive && t->p->alive && t != t->p->thread && t->tid != t->p->pid;
}

/* Threads leave the round robin's order (those of process `gone`, or, with
 * NULL, those that ended); the slot the scheduler picked last moves with
 * the others, or (if it goes) the next pick is the slot after it, as
 * before. */
static void threads_release(struct services *svc, const struct proc *gone)
{
	size_t kept = 0, last = svc->rq.last;
	for (size_t i = 0; i < svc->nthreads; i++) {
		struct thread *t = svc->threads[i];
		bool release = gone ? t->p == gone : thread_releasable(t);
		if (i == svc->rq.last)
			last = release ? kept - 1 : kept;   /* kept - 1 may wrap: the next pick is slot 0 */
		if (!release) {
			svc->threads[kept++] = t;
			continue;
		}
		if (!gone && t->p->sig.curr_target == t)
			t->p->sig.curr_target = t->p->thread;
		free(t);
	}
	svc->nthreads = kept;
	svc->rq.last = last;
}

static void proc_release(struct kernel *k, struct proc *p)
{
	procfs_keep_totals(k, p);
	threads_release(k->svc, p);
	smp_forget_mm(k, &p->mm);
	free(p->mm.vma);
	free(p->exe);
	free(p);
}

void os_release_reaped(struct kernel *k)
{
	struct services *svc = k->svc;
	size_t kept = 0;
	for (size_t i = 0; i < svc->nprocs; i++) {
		struct proc *p = svc->procs[i];
		if (releasable(k, p))
			proc_release(k, p);
		else
			svc->procs[kept++] = p;
	}
	svc->nprocs = kept;
	threads_release(svc, NULL);
}
