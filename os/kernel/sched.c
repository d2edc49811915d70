/* The scheduler: which process runs next, and what its turn brings (its
 * blocked call made again, more sleep, or the end of a deadlock). */
#include "os/kernel/kernel.h"

#include <string.h>

enum sched_state proc_sched_state(const struct proc *p)
{
	if (!p->alive)
		return SCHED_DEAD;
	return p->blocked.active ? SCHED_BLOCKED : SCHED_RUNNABLE;
}

void sched_note_syscall(struct proc *p, uint64_t nr, const uint64_t a[6], const struct sys_result *r)
{
	p->blocked.active = r->action == SYSA_BLOCK;
	if (!p->blocked.active)
		return;
	p->blocked.nr = nr;
	memcpy(p->blocked.args, a, sizeof p->blocked.args);
}

/* Round robin over the threads in the order they were created (a
 * process's first thread is created with it). */
struct proc *sched_next_thread(struct kernel *k, int *tid)
{
	struct runqueue *rq = &k->svc->rq;
	size_t n = k->svc->nthreads;
	size_t from = rq->started ? rq->last + 1 : 0;
	for (size_t i = 0; i < n; i++) {
		size_t slot = (from + i) % n;
		struct thread *t = k->svc->threads[slot];
		if (t->alive && t->p->alive) {
			rq->started = true;
			rq->last = slot;
			*tid = t->tid;
			sched_place(k, t);
			return t->p;
		}
	}
	return NULL;
}

struct proc *sched_next(struct kernel *k)
{
	int tid;
	struct proc *p = sched_next_thread(k, &tid);
	if (p)
		thread_switch(p, k->svc->threads[k->svc->rq.last]);   /* its state is the thread's */
	return p;
}

/* A process that sleeps on makes a deadlock only once a whole round has
 * passed with every process asleep, and none of them waits with a
 * timeout (which then expires: simulated time moves on to it). */
static enum sched_verdict asleep_again(struct kernel *k)
{
	struct runqueue *rq = &k->svc->rq;
	if (++rq->asleep <= threads_alive(k))
		return TURN_ASLEEP;
	if (!os_wait_timeout(k))
		return TURN_DEADLOCK;
	rq->asleep = 0;   /* a timeout ends one sleep */
	return TURN_ASLEEP;
}

struct sched_turn sched_turn(struct kernel *k)
{
	struct proc *p = k->svc->current;
	struct sched_turn t = {.what = TURN_RUN};
	if (p->blocked.active) {
		t.nr = p->blocked.nr;
		memcpy(t.args, p->blocked.args, sizeof t.args);
		t.r = os_syscall(k, t.nr, t.args);
		if (t.r.action == SYSA_BLOCK)
			return (struct sched_turn){.what = asleep_again(k)};
		t.what = TURN_WOKEN;
	}
	k->svc->rq.asleep = 0;
	return t;
}
