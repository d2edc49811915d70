/* What a process used — faults, CPU time, context switches, peak resident
 * set — as getrusage, wait4 and times report it (kernel/sys.c's
 * getrusage). Time is the cost model's: cycles while the process is
 * current; system time is what its calls and its fault handling cost. */
#include "os/kernel/syscall.h"

#include <stddef.h>
#include <string.h>

void usage_charge_cpu(struct kernel *k)
{
	uint64_t now = mmu_total_cycles(k->mmu);
	struct proc *p = k->svc->current;
	if (p)
		p->run_cycles += now - k->svc->switch_cycles;
	k->svc->switch_cycles = now;
}

void usage_switch(struct kernel *k, struct proc *next)
{
	struct proc *prev = k->svc->current;
	usage_charge_cpu(k);
	if (prev && prev != next && prev->alive) {
		if (prev->voluntary)
			prev->nvcsw++;
		else
			prev->nivcsw++;
	}
	if (prev)
		prev->voluntary = false;
}

static uint64_t mm_hiwater(const struct mm *mm)
{
	uint64_t rss = mm_rss(mm);
	return mm->hiwater_rss > rss ? mm->hiwater_rss : rss;
}

/* As setmax_mm_hiwater_rss at exec and exit: the address space goes. */
void usage_leave_mm(struct proc *p)
{
	uint64_t hw = mm_hiwater(&p->mm);
	if (p->maxrss < hw)
		p->maxrss = hw;
}

void usage_self(const struct proc *p, struct usage *u)
{
	uint64_t run = p->run_cycles;
	if (p->k->svc->current == p)   /* the slice it is in counts too */
		run += mmu_total_cycles(p->k->mmu) - p->k->svc->switch_cycles;
	uint64_t sys = p->sys_cycles + p->flt.fault_cycles;
	*u = (struct usage){.minflt = p->flt.minflt,
			    .majflt = p->flt.majflt,
			    .stime = sys < run ? sys : run,
			    .utime = sys < run ? run - sys : 0,
			    .nvcsw = p->nvcsw,
			    .nivcsw = p->nivcsw,
			    .maxrss = p->maxrss};
	if (p->alive && p->mm.root) {
		uint64_t hw = mm_hiwater(&p->mm);
		if (u->maxrss < hw)
			u->maxrss = hw;
	}
}

/* to += now - mark, field by field (a derived time that went back: 0). */
static void usage_add_delta(struct usage *to, const struct usage *now, const struct usage *mark)
{
	uint64_t *t = &to->minflt;
	const uint64_t *n = &now->minflt, *m = &mark->minflt;
	for (size_t i = 0; i < offsetof(struct usage, maxrss) / sizeof(uint64_t); i++)
		t[i] += n[i] > m[i] ? n[i] - m[i] : 0;
}

void usage_thread(const struct proc *p, const struct thread *t, struct usage *u)
{
	struct usage now;
	usage_self(p, &now);
	*u = t->used;
	if (t == p->thread)
		usage_add_delta(u, &now, &t->mark);
	u->maxrss = now.maxrss;   /* getrusage(RUSAGE_THREAD): the address space's peak */
}

void usage_thread_leave(struct proc *p)
{
	struct usage now;
	usage_self(p, &now);
	usage_add_delta(&p->thread->used, &now, &p->thread->mark);
}

void usage_thread_enter(struct proc *p) { usage_self(p, &p->thread->mark); }

static void usage_add(struct usage *to, const struct usage *u)
{
	to->minflt += u->minflt;
	to->majflt += u->majflt;
	to->utime += u->utime;
	to->stime += u->stime;
	to->nvcsw += u->nvcsw;
	to->nivcsw += u->nivcsw;
	if (to->maxrss < u->maxrss)
		to->maxrss = u->maxrss;
}

/* wait_task_zombie: the child's counts and its own children's join the
 * parent's children's. */
void usage_reap(struct proc *parent, const struct proc *child)
{
	struct usage u;
	usage_self(child, &u);
	usage_add(&parent->children, &u);
	usage_add(&parent->children, &child->children);
}

static void timeval_of(const struct kernel *k, uint64_t cycles, uint64_t tv[2])
{
	(void)k;
	uint64_t us = cycles / 3000;   /* 3 GHz, as now_ns */
	tv[0] = us / 1000000;
	tv[1] = us % 1000000;
}

int64_t put_rusage(struct proc *p, int who, uint64_t va)
{
	struct usage u = {0};
	switch (who) {
	case 0:    /* RUSAGE_SELF */
		usage_self(p, &u);
		break;
	case 1:    /* RUSAGE_THREAD */
		usage_thread(p, p->thread, &u);
		break;
	case -1:   /* RUSAGE_CHILDREN */
		u = p->children;
		break;
	case -2:   /* RUSAGE_BOTH */
		usage_self(p, &u);
		usage_add(&u, &p->children);
		break;
	default:
		return -EINVAL;
	}
	uint64_t ru[18] = {0};   /* 2 timevals, then 14 longs */
	timeval_of(p->k, u.utime, ru);
	timeval_of(p->k, u.stime, ru + 2);
	/* then ru_maxrss (KiB), ixrss, idrss, isrss, minflt, majflt, nswap,
	 * inblock, oublock, msgsnd, msgrcv, nsignals, nvcsw, nivcsw */
	ru[4 + 0] = u.maxrss * p->k->page / 1024;
	ru[4 + 4] = u.minflt;
	ru[4 + 5] = u.majflt;
	ru[4 + 12] = u.nvcsw;
	ru[4 + 13] = u.nivcsw;
	return put_user(p->k, va, ru, sizeof ru);
}

/* times(2): clock ticks of 10 ms (USER_HZ 100); returns the ticks since boot. */
int64_t sys_times(struct proc *p, uint64_t va)
{
	struct usage self;
	usage_self(p, &self);
	uint64_t per_tick = 30000000;   /* cycles in 10 ms at 3 GHz */
	uint64_t t[4] = {self.utime / per_tick, self.stime / per_tick, p->children.utime / per_tick,
			 p->children.stime / per_tick};
	if (va && put_user(p->k, va, t, sizeof t))
		return -EFAULT;
	return (int64_t)(now_ns(p->k) / 10000000ull);
}
